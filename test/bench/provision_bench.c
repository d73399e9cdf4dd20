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
 * Not a test: nothing is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <keyrite/keystore.h>

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

int
main(int argc, char **argv)
{
	unsigned long	n;

	if (argc != 4 || strcmp(argv[1], "sign") != 0 ||
	    (n = strtoul(argv[3], NULL, 10)) == 0) {
		fprintf(stderr, "usage: provision_bench sign p256|ed25519 N\n");
		return 2;
	}
	if (strcmp(argv[2], "p256") == 0)
		return bench_sign(KR_KEY_P256, n);
	if (strcmp(argv[2], "ed25519") == 0)
		return bench_sign(KR_KEY_ED25519, n);
	fprintf(stderr, "provision_bench: unknown algorithm %s\n", argv[2]);
	return 2;
}
