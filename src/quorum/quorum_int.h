/*
 * keyrite quorum: private declarations shared by the module's files and
 * its tests.
 */
#ifndef KEYRITE_QUORUM_INT_H
#define KEYRITE_QUORUM_INT_H

#include <stddef.h>
#include <stdint.h>

#include <keyrite/quorum.h>

/* Share file formats 1 and 2; the layouts are in docs/formats.md. */
#define KR_SHARE_MAGIC		"KRSHARE\0"
#define KR_SHARE_MAGIC_BYTES	8
#define KR_SHARE_VERSION	1
#define KR_SHARE_VERSION_2	2	/* with the custodian's approval key */
#define KR_SHARE_KDF_ARGON2ID13	1	/* Argon2id, version 0x13 */
#define KR_SHARE_CT_BYTES	(KR_QUORUM_SECRET_BYTES + KR_AEAD_TAG_BYTES)
#define KR_SHARE_CT2_BYTES	(KR_QUORUM_SECRET_BYTES + \
				    KR_APPROVAL_SEED_BYTES + KR_AEAD_TAG_BYTES)

/* Accepted KDF parameters (outside input, so bounded both ways). */
#define KR_SHARE_OPS_MIN	1
#define KR_SHARE_OPS_MAX	64
#define KR_SHARE_MEM_KIB_MIN	8
#define KR_SHARE_MEM_KIB_MAX	(4U * 1024 * 1024)	/* 4 GiB */

/*
 * kr_shamir_split() with the polynomial coefficients given instead of
 * drawn from the CSPRNG, for known-answer tests and the constant-time
 * test.  For secret byte j, coefs + j * (m - 1) holds the coefficients of
 * x^1 .. x^(m-1); the constant term is the secret byte.
 */
int		 kr_shamir_split_coefs(const uint8_t *, size_t, unsigned,
		    unsigned, const uint8_t *, uint8_t *, uint8_t *) KR_WUR;

#endif /* KEYRITE_QUORUM_INT_H */
