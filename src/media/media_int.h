/*
 * media internals, shared by media.c (the allow-list, whole-buffer writes,
 * the output plan) and stream.c (the streaming writer).
 */
#ifndef KEYRITE_MEDIA_INT_H
#define KEYRITE_MEDIA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/media.h>

/* KR_EINTERNAL naming `path` unless `type` is on the allow-list. */
int		 kr_media_type_check(enum kr_artifact, const char *,
		    struct kr_err *) KR_WUR;
/*
 * A private key found by the scan (scan.c): what it is ("a DER PKCS#8
 * private key") and its offset in the bytes scanned.
 */
struct kr_media_hit {
	const char	*what;
	uint64_t	 off;
};

/*
 * Keys found anywhere in the bytes: a PEM private key block (the end of
 * its label, "PRIVATE KEY-----", a few blanks holding a line feed, and
 * Base64) or a minisign secret key's Base64 line (at a line start; `bol`:
 * the bytes start a line).  KR_MEDIA_CARRY is the longest match less one.
 */
bool		 kr_media_key_found(const void *, size_t, bool,
		    struct kr_media_hit *);
/*
 * Keys a file holds from its first byte: the first `avail` bytes of a
 * file of `total` bytes start a DER private key (PKCS#8, encrypted
 * PKCS#8, SEC1, PKCS#1) whose lengths agree with each other and fit the
 * file, an OpenSSH binary key, or a minisign secret key (binary or its
 * file).  KR_MEDIA_HEAD bytes are enough for keys up to RSA 8192.
 */
bool		 kr_media_key_head(const void *, size_t, uint64_t,
		    struct kr_media_hit *);
/* Both, on a whole buffer. */
bool		 kr_media_key_scan(const void *, size_t, struct kr_media_hit *);
/* The refusal of an artifact that carries a private key, naming it. */
/* The type's allow-list and the key scan of a whole buffer. */
int		 kr_media_check(enum kr_artifact, const char *, const void *,
		    size_t, struct kr_err *) KR_WUR;
int		 kr_media_key_refused(enum kr_artifact, const char *,
		    const struct kr_media_hit *, struct kr_err *);

#endif /* KEYRITE_MEDIA_INT_H */
