/*
 * The driver of test/bench/firmware_bench.sh: keyrite's firmware signing
 * path without the command line (which comes with the authority layer).
 *
 *   firmware_bench keygen p256|ed25519 DIR
 *       makes a sealed firmware key in DIR/key.sealed and, for the
 *       benchmark only, keeps the quorum secret in DIR/quorum.secret
 *       (0600); writes DIR/pub.pem and DIR/minisign.pub.
 *   firmware_bench sign raw|minisign DIR IMAGE OUT
 *       unseals the key (timed: "unlock"), signs IMAGE in that format and
 *       writes OUT (timed: "sign"), printing seconds on their own lines.
 *
 * Not a test and not a tool: a real key never has its quorum secret on
 * disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/firmware.h>
#include <keyrite/keystore.h>
#include <keyrite/media.h>

#include "testpki.h"

static int
bench_fail(const char *what, const struct kr_err *err)
{
	fprintf(stderr, "firmware_bench: %s: %s\n", what, err->msg);
	return 1;
}

static int
keygen(const char *alg, const char *dir)
{
	struct kr_sealed_header	 h;
	struct kr_err		 err;
	uint8_t			 q[KR_QUORUM_SECRET_BYTES], *file = NULL;
	char			 path[4096], *pem, *ms = NULL;
	size_t			 len;
	int			 ret = 1;

	snprintf(path, sizeof(path), "bench-%s", alg);
	tl_sealed_header(&h, strcmp(alg, "ed25519") == 0 ? KR_KEY_ED25519 :
	    KR_KEY_P256, KR_PURPOSE_FIRMWARE, path);
	kr_random(q, sizeof(q));
	if (kr_sealed_generate(&h, q, &file, &len, &err) != KR_OK)
		return bench_fail("keygen", &err);
	snprintf(path, sizeof(path), "%s/key.sealed", dir);
	if (kr_file_write(path, file, len, 0, &err) != KR_OK)
		goto out;
	snprintf(path, sizeof(path), "%s/quorum.secret", dir);
	if (kr_file_write(path, q, sizeof(q), 0, &err) != KR_OK)
		goto out;
	pem = kr_pem_encode("PUBLIC KEY", h.spki, h.spki_len);
	snprintf(path, sizeof(path), "%s/pub.pem", dir);
	if (pem == NULL || kr_file_write(path, pem, strlen(pem), 0, &err) !=
	    KR_OK) {
		free(pem);
		goto out;
	}
	free(pem);
	if (h.alg == KR_KEY_ED25519) {
		if (kr_minisign_pubkey(h.key_id, h.spki, h.spki_len, &ms,
		    &err) != KR_OK)
			goto out;
		snprintf(path, sizeof(path), "%s/minisign.pub", dir);
		if (kr_file_write(path, ms, strlen(ms), 0, &err) != KR_OK)
			goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		(void)bench_fail("keygen", &err);
	kr_wipe(q, sizeof(q));
	free(ms);
	free(file);
	return ret;
}

static int
sign(const char *format, const char *dir, const char *image, const char *out)
{
	struct kr_signer	*s = NULL;
	struct kr_fw_result	*r = NULL;
	struct kr_fw_opts	 o;
	struct kr_err		 err;
	uint8_t			*file = NULL, *q = NULL;
	char			 path[4096];
	size_t			 len, qlen;
	double			 t0, t1, t2;
	int			 ret = 1;

	snprintf(path, sizeof(path), "%s/key.sealed", dir);
	if (kr_file_read(path, KR_SEALED_FILE_MAX, false, &file, &len, &err) !=
	    KR_OK)
		return bench_fail("key", &err);
	snprintf(path, sizeof(path), "%s/quorum.secret", dir);
	if (kr_file_read(path, 64, true, &q, &qlen, &err) != KR_OK ||
	    qlen != KR_QUORUM_SECRET_BYTES) {
		ret = bench_fail("quorum secret", &err);
		goto out;
	}
	memset(&o, 0, sizeof(o));
	if (kr_fw_format_from_name(format, &o.format) != KR_OK) {
		fprintf(stderr, "firmware_bench: unknown format %s\n", format);
		goto out;
	}
	t0 = tl_seconds();
	if (kr_sealed_open(file, len, "bench key", q, &s, &err) != KR_OK) {
		ret = bench_fail("unlock", &err);
		goto out;
	}
	t1 = tl_seconds();
	/* raw and minisign are detached: the head is the whole output. */
	if (kr_fw_sign_file(s, &o, image, &r, &err) != KR_OK ||
	    (r->copy_len == 0 && r->tail_len == 0 ? kr_media_write(
	    KR_ART_SIGNATURE, out, r->head, r->head_len, 0, &err) :
	    kr_err_set(&err, KR_EUSAGE, "only raw and minisign")) != KR_OK) {
		ret = bench_fail("sign", &err);
		goto out;
	}
	t2 = tl_seconds();
	printf("unlock %.3f\nsign %.3f\n", t1 - t0, t2 - t1);
	ret = 0;
out:
	kr_fw_result_free(&r);
	kr_signer_free(&s);
	kr_secure_free(q);
	free(file);
	return ret;
}

int
main(int argc, char **argv)
{
	struct kr_err	err;

	if (kr_crypto_init(&err) != KR_OK)
		return bench_fail("crypto", &err);
	if (argc == 4 && strcmp(argv[1], "keygen") == 0)
		return keygen(argv[2], argv[3]);
	if (argc == 6 && strcmp(argv[1], "sign") == 0)
		return sign(argv[2], argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: firmware_bench keygen p256|ed25519 DIR\n"
	    "       firmware_bench sign raw|minisign DIR IMAGE OUT\n");
	return 2;
}
