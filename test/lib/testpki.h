/*
 * PKI helpers for the tests (test/lib/, prefix tl_): sealed signers made
 * at run time, Distinguished Names, certificates signed and checked, and
 * signatures checked by openssl.  Links the keystore and x509 modules;
 * see testlib.h for the rest.
 */
#ifndef KR_TESTPKI_H
#define KR_TESTPKI_H

#include <keyrite/keystore.h>
#include <keyrite/x509.h>

#include "testlib.h"

/*
 * A sealed-key header for a new key: random key id, set id and dealer
 * key, epoch 1, quorum 2 of 3, created now.
 */
void		 tl_sealed_header(struct kr_sealed_header *h,
		    enum kr_key_alg alg, enum kr_purpose purpose,
		    const char *name);

/*
 * A sealed key generated and opened with a random quorum secret; NULL
 * with the reason in errbuf (KR_ERR_MSG_MAX bytes) if that failed.
 */
struct kr_signer *tl_signer_make(enum kr_key_alg alg, enum kr_purpose purpose,
		    const char *name, char *errbuf);

/*
 * Frees *sp at exit, in this process and in every process forked from it
 * (Check runs each test in a child).  A signer keeps its Mbed TLS blocks
 * behind secure memory, which LeakSanitizer does not scan: one left at
 * exit reads as a leak.  Up to 16 signers.
 */
void		 tl_signer_keep(struct kr_signer **sp);

/* Encodes a DN into out (KR_NAME_DER_MAX bytes); KR_OK or an error. */
int		 tl_dn(uint8_t *out, size_t *outlen, const char *s,
		    struct kr_err *err);
/* The same, asserting. */
void		 tl_set_name(uint8_t *out, size_t *outlen, const char *s);

/*
 * Builds the TBS, signs it with s, checks the signature with s's public
 * key and assembles the certificate (malloc'd into *out).
 */
int		 tl_cert_sign(const struct kr_cert_fields *f,
		    struct kr_signer *s, uint8_t **out, size_t *len,
		    struct kr_err *err);
/* The same, asserting; returns the certificate. */
uint8_t		*tl_cert_make(const struct kr_cert_fields *f,
		    struct kr_signer *s, size_t *len);

/*
 * Signs msg with s and has openssl verify it in the work folder (files
 * pub.pem, msg, sig); the message less its last byte must then fail.
 * opts are openssl dgst's options ("-sha256 ..."); "" means Ed25519
 * (pkeyutl -rawin).
 */
void		 tl_openssl_check(struct kr_signer *s, enum kr_sig_alg sa,
		    const char *opts, const uint8_t *msg, size_t msglen);

/*
 * Signs msg through kr_signer_sign and checks the signature (and that a
 * changed one fails); then through the digest path, which must refuse an
 * algorithm without a hash and otherwise verify over the digest.
 */
void		 tl_sign_check(struct kr_signer *s, enum kr_sig_alg sa,
		    const uint8_t *msg, size_t msglen);

#define TL_PSS	"-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:"

#endif
