/*
 * The driver of test/bench/provision_bench.sh: the signing rate of
 * keyrite's back end alone, the baseline `provision batch` is compared
 * with.
 *
 *   provision_bench sign p256|ed25519 N
 *       makes a sealed CA key (Mbed TLS ECDSA P-256 or libsodium
 *       Ed25519), opens it, and signs N messages of the size of a device
 *       certificate's TBS (about 400 bytes, each one different) through
 *       kr_signer_sign, the call `provision batch` makes; prints
 *       "signatures N", "seconds S" and "rate R" (signatures per second).
 *
 *   provision_bench crypto p256|ed25519 N DIR
 *       the least cryptography any correct issuer does per device, alone:
 *       for each of the first N requests DIR/d0000001.csr... (read
 *       beforehand, not timed) the CSR's signature checked with the key it
 *       carries (kr_csr_parse: proof of possession), a TBS-sized message
 *       signed through kr_signer_sign, and that signature verified with
 *       the issuer's public key (the fault check) by one kr_verifier, as
 *       provision batch does; on one thread; prints "devices N", "seconds
 *       S" and "rate R"; then the same with the fault check made by
 *       kr_sig_verify (no kept key), "rate_oneshot R".
 *
 *   provision_bench verify p256|ed25519 N
 *       the fault check alone: N signatures by one key (made beforehand,
 *       not timed) verified by kr_sig_verify, then by one kr_verifier;
 *       prints "oneshot_ms T" and "verifier_ms T" (per signature).
 *
 *   provision_bench csrs DIR N
 *       writes N PKCS#10 requests DIR/d0000001.csr... for fresh P-256
 *       keys (subject serialNumber=P0000001...) made with Mbed TLS: the
 *       devices of the benchmark (openssl makes them about 20 times
 *       slower, one process each).  The device keys are not kept.
 *
 * Not a test: nothing else is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_csr.h>

#include <keyrite/keystore.h>
#include <keyrite/x509.h>

#include "testpki.h"

#define BENCH_TBS_BYTES	400

static double
bench_now(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
bench_sign(enum kr_key_alg alg, unsigned long n)
{
	struct kr_signer	*s;
	struct kr_err		 err;
	uint8_t			 msg[BENCH_TBS_BYTES], sig[KR_SIG_MAX_BYTES];
	char			 errbuf[KR_ERR_MSG_MAX];
	size_t			 siglen;
	unsigned long		 i;
	double			 t0, t;

	if ((s = tl_signer_make(alg, KR_PURPOSE_CA, "bench-ca", errbuf)) ==
	    NULL) {
		fprintf(stderr, "provision_bench: %s\n", errbuf);
		return 1;
	}
	kr_random(msg, sizeof(msg));
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		memcpy(msg, &i, sizeof(i));
		siglen = sizeof(sig);
		if (kr_signer_sign(s, kr_sig_alg_default(alg), msg, sizeof(msg),
		    sig, &siglen, &err) != KR_OK) {
			fprintf(stderr, "provision_bench: %s\n", err.msg);
			kr_signer_free(&s);
			return 1;
		}
	}
	t = bench_now() - t0;
	kr_signer_free(&s);
	printf("signatures %lu\nseconds %.3f\nrate %.1f\n", n, t,
	    (double)n / t);
	return 0;
}

static uint8_t **
bench_read_csrs(const char *dir, unsigned long n, size_t *lens)
{
	uint8_t		**d;
	char		  path[4096];
	struct kr_err	  err;
	unsigned long	  i;

	if ((d = calloc(n, sizeof(*d))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		(void)snprintf(path, sizeof(path), "%s/d%07lu.csr", dir, i + 1);
		if (kr_file_read(path, KR_CSR_MAX, false, &d[i], &lens[i],
		    &err) != KR_OK) {
			fprintf(stderr, "provision_bench: %s\n", err.msg);
			while (i-- > 0)
				free(d[i]);
			free(d);
			return NULL;
		}
	}
	return d;
}

/*
 * One device's cryptography: CSR check, signature, its verification (by
 * v, or with v NULL by kr_sig_verify).
 */
static int
bench_device(struct kr_signer *s, struct kr_verifier *v, enum kr_key_alg alg,
    const uint8_t *csrd, size_t csrlen, uint8_t *msg, struct kr_err *err)
{
	struct kr_csr	*csr = NULL;
	uint8_t		 sig[KR_SIG_MAX_BYTES];
	size_t		 siglen = sizeof(sig);
	int		 ret;

	if ((ret = kr_csr_parse("csr", csrd, csrlen, &csr, err)) != KR_OK)
		return ret;
	memcpy(msg, csr->spki.p, 32);	/* each message different */
	kr_csr_free(&csr);
	if ((ret = kr_signer_sign(s, kr_sig_alg_default(alg), msg,
	    BENCH_TBS_BYTES, sig, &siglen, err)) != KR_OK)
		return ret;
	if (v != NULL)
		return kr_verifier_check(v, kr_sig_alg_default(alg), s->spki,
		    s->spki_len, msg, BENCH_TBS_BYTES, sig, siglen, 0, err);
	return kr_sig_verify(kr_sig_alg_default(alg), s->spki, s->spki_len,
	    msg, BENCH_TBS_BYTES, sig, siglen, 0, err);
}

/* Seconds for the n devices, their fault check by v (or kr_sig_verify). */
static double
bench_devices(struct kr_signer *s, struct kr_verifier *v, enum kr_key_alg alg,
    uint8_t **csrs, const size_t *lens, unsigned long n)
{
	struct kr_err	err;
	uint8_t		msg[BENCH_TBS_BYTES];
	unsigned long	i;
	double		t0;

	kr_random(msg, sizeof(msg));
	t0 = bench_now();
	for (i = 0; i < n; i++)
		if (bench_device(s, v, alg, csrs[i], lens[i], msg, &err) !=
		    KR_OK) {
			fprintf(stderr, "provision_bench: %s\n", err.msg);
			return -1;
		}
	return bench_now() - t0;
}

static int
bench_crypto(enum kr_key_alg alg, unsigned long n, const char *dir)
{
	struct kr_signer	*s;
	struct kr_verifier	*v = NULL;
	struct kr_err		 err;
	uint8_t			**csrs;
	char			 errbuf[KR_ERR_MSG_MAX];
	size_t			*lens;
	unsigned long		 i;
	double			 t, t1;
	int			 rc = 1;

	if ((lens = calloc(n, sizeof(*lens))) == NULL ||
	    (csrs = bench_read_csrs(dir, n, lens)) == NULL) {
		free(lens);
		return 1;
	}
	if ((s = tl_signer_make(alg, KR_PURPOSE_CA, "bench-ca", errbuf)) ==
	    NULL)
		fprintf(stderr, "provision_bench: %s\n", errbuf);
	else if (kr_verifier_new(&v, &err) != KR_OK)
		fprintf(stderr, "provision_bench: %s\n", err.msg);
	else if ((t = bench_devices(s, v, alg, csrs, lens, n)) > 0 &&
	    (t1 = bench_devices(s, NULL, alg, csrs, lens, n)) > 0) {
		printf("devices %lu\nseconds %.3f\nrate %.1f\n"
		    "rate_oneshot %.1f\n", n, t, (double)n / t,
		    (double)n / t1);
		rc = 0;
	}
	kr_verifier_free(&v);
	kr_signer_free(&s);
	for (i = 0; i < n; i++)
		free(csrs[i]);
	free(csrs);
	free(lens);
	return rc;
}

/* Seconds to verify the n signatures of sigs (by v, or kr_sig_verify). */
static double
bench_verify_all(struct kr_signer *s, struct kr_verifier *v,
    enum kr_sig_alg sa, const uint8_t *msgs, const uint8_t *sigs,
    const size_t *lens, unsigned long n)
{
	struct kr_err	err;
	unsigned long	i;
	double		t0 = bench_now();
	int		rc;

	for (i = 0; i < n; i++) {
		rc = v != NULL ? kr_verifier_check(v, sa, s->spki, s->spki_len,
		    msgs + i * BENCH_TBS_BYTES, BENCH_TBS_BYTES,
		    sigs + i * KR_SIG_MAX_BYTES, lens[i], 0, &err) :
		    kr_sig_verify(sa, s->spki, s->spki_len, msgs + i *
		    BENCH_TBS_BYTES, BENCH_TBS_BYTES, sigs + i *
		    KR_SIG_MAX_BYTES, lens[i], 0, &err);
		if (rc != KR_OK) {
			fprintf(stderr, "provision_bench: %s\n", err.msg);
			return -1;
		}
	}
	return bench_now() - t0;
}

static int
bench_verify(enum kr_key_alg alg, unsigned long n)
{
	struct kr_signer	*s;
	struct kr_verifier	*v = NULL;
	struct kr_err		 err;
	enum kr_sig_alg		 sa = kr_sig_alg_default(alg);
	uint8_t			*msgs, *sigs;
	char			 errbuf[KR_ERR_MSG_MAX];
	size_t			*lens;
	unsigned long		 i;
	double			 t1 = -1, t2 = -1;

	msgs = calloc(n, BENCH_TBS_BYTES);
	sigs = calloc(n, KR_SIG_MAX_BYTES);
	lens = calloc(n, sizeof(*lens));
	s = tl_signer_make(alg, KR_PURPOSE_CA, "bench-ca", errbuf);
	if (msgs != NULL && sigs != NULL && lens != NULL && s != NULL &&
	    kr_verifier_new(&v, &err) == KR_OK) {
		kr_random(msgs, n * BENCH_TBS_BYTES);
		for (i = 0; i < n; i++) {
			lens[i] = KR_SIG_MAX_BYTES;
			if (kr_signer_sign(s, sa, msgs + i * BENCH_TBS_BYTES,
			    BENCH_TBS_BYTES, sigs + i * KR_SIG_MAX_BYTES,
			    &lens[i], &err) != KR_OK)
				break;
		}
		if (i == n && (t1 = bench_verify_all(s, NULL, sa, msgs, sigs,
		    lens, n)) > 0)
			t2 = bench_verify_all(s, v, sa, msgs, sigs, lens, n);
	}
	if (t2 > 0)
		printf("oneshot_ms %.3f\nverifier_ms %.3f\n", t1 * 1e3 /
		    (double)n, t2 * 1e3 / (double)n);
	else
		fprintf(stderr, "provision_bench: verify failed\n");
	kr_verifier_free(&v);
	kr_signer_free(&s);
	free(msgs);
	free(sigs);
	free(lens);
	return t2 > 0 ? 0 : 1;
}

static int
bench_rng(void *arg, unsigned char *out, size_t len)
{
	(void)arg;
	kr_random(out, len);
	return 0;
}

/*
 * Mbed TLS 2.28 writes ecdsa-with-SHA256 with a NULL parameter, which RFC
 * 5758 forbids and keyrite refuses; the AlgorithmIdentifier is outside the
 * signed part, so the NULL is dropped and the outer length fixed.
 */
static const uint8_t bench_alg_null[] = { 0x30, 0x0c, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x05, 0x00 };

static char *
bench_csr_pem(const uint8_t *der, size_t len)
{
	uint8_t	 out[1024];
	size_t	 hdr, body, i, o;

	if (len < 4 || len > sizeof(out) || der[0] != 0x30)
		return NULL;
	hdr = der[1] < 0x80 ? 2 : 2 + (size_t)(der[1] & 0x7f);
	for (i = hdr; i + sizeof(bench_alg_null) <= len; i++)
		if (memcmp(der + i, bench_alg_null, sizeof(bench_alg_null)) ==
		    0)
			break;
	if (i + sizeof(bench_alg_null) > len)
		return NULL;
	body = len - hdr - 2;
	o = 0;
	out[o++] = 0x30;
	if (body >= 0x100) {
		out[o++] = 0x82;
		out[o++] = (uint8_t)(body >> 8);
	} else if (body >= 0x80)
		out[o++] = 0x81;
	out[o++] = (uint8_t)body;
	memcpy(out + o, der + hdr, i - hdr);
	o += i - hdr;
	out[o++] = 0x30;
	out[o++] = 0x0a;
	memcpy(out + o, bench_alg_null + 2, 10);
	o += 10;
	memcpy(out + o, der + i + 14, len - i - 14);
	o += len - i - 14;
	return kr_pem_encode("CERTIFICATE REQUEST", out, o);
}

/* One device's key and request, written to DIR/dNNNNNNN.csr. */
static int
bench_csr(const char *dir, unsigned long i)
{
	mbedtls_pk_context	pk;
	mbedtls_x509write_csr	req;
	unsigned char		der[1024];
	char			subject[64], path[4096], *pem = NULL;
	FILE			*f = NULL;
	int			ok, n = 0;

	mbedtls_pk_init(&pk);
	mbedtls_x509write_csr_init(&req);
	(void)snprintf(subject, sizeof(subject), "serialNumber=P%07lu", i);
	(void)snprintf(path, sizeof(path), "%s/d%07lu.csr", dir, i);
	ok = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(
	    MBEDTLS_PK_ECKEY)) == 0 && mbedtls_ecp_gen_key(
	    MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), bench_rng, NULL) == 0;
	if (ok) {
		mbedtls_x509write_csr_set_md_alg(&req, MBEDTLS_MD_SHA256);
		mbedtls_x509write_csr_set_key(&req, &pk);
		ok = mbedtls_x509write_csr_set_subject_name(&req, subject) == 0 &&
		    (n = mbedtls_x509write_csr_der(&req, der, sizeof(der),
		    bench_rng, NULL)) > 0 && (pem = bench_csr_pem(der +
		    sizeof(der) - n, (size_t)n)) != NULL &&
		    (f = fopen(path, "wx")) != NULL;
		if (f != NULL && fputs(pem, f) == EOF)
			ok = 0;
		if (f != NULL && fclose(f) != 0)
			ok = 0;
	}
	mbedtls_x509write_csr_free(&req);
	mbedtls_pk_free(&pk);
	free(pem);
	if (!ok)
		fprintf(stderr, "provision_bench: cannot write %s\n", path);
	return ok ? 0 : 1;
}

static int
bench_csrs(const char *dir, unsigned long n)
{
	unsigned long	i;

	for (i = 1; i <= n; i++)
		if (bench_csr(dir, i) != 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned long	n;

	if (argc == 5 && strcmp(argv[1], "crypto") == 0 &&
	    (n = strtoul(argv[3], NULL, 10)) != 0 &&
	    (strcmp(argv[2], "p256") == 0 || strcmp(argv[2], "ed25519") == 0))
		return bench_crypto(strcmp(argv[2], "p256") == 0 ? KR_KEY_P256 :
		    KR_KEY_ED25519, n, argv[4]);
	if (argc == 4 && strcmp(argv[1], "verify") == 0 &&
	    (n = strtoul(argv[3], NULL, 10)) != 0 &&
	    (strcmp(argv[2], "p256") == 0 || strcmp(argv[2], "ed25519") == 0))
		return bench_verify(strcmp(argv[2], "p256") == 0 ? KR_KEY_P256 :
		    KR_KEY_ED25519, n);
	if (argc == 4 && strcmp(argv[1], "csrs") == 0 &&
	    (n = strtoul(argv[3], NULL, 10)) != 0)
		return bench_csrs(argv[2], n);
	if (argc != 4 || strcmp(argv[1], "sign") != 0 ||
	    (n = strtoul(argv[3], NULL, 10)) == 0) {
		fprintf(stderr, "usage: provision_bench sign p256|ed25519 N\n"
		    "       provision_bench crypto p256|ed25519 N DIR\n"
		    "       provision_bench verify p256|ed25519 N\n"
		    "       provision_bench csrs DIR N\n");
		return 2;
	}
	if (strcmp(argv[2], "p256") == 0)
		return bench_sign(KR_KEY_P256, n);
	if (strcmp(argv[2], "ed25519") == 0)
		return bench_sign(KR_KEY_ED25519, n);
	fprintf(stderr, "provision_bench: unknown algorithm %s\n", argv[2]);
	return 2;
}
