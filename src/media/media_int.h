/*
 * media internals, shared by media.c (the allow-list, whole-buffer writes,
 * the output plan) and stream.c (the streaming writer).
 */
#ifndef KEYRITE_MEDIA_INT_H
#define KEYRITE_MEDIA_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <keyrite/media.h>

/* KR_EINTERNAL naming `path` unless `type` is on the allow-list. */
int		 kr_media_type_check(enum kr_artifact, const char *,
		    struct kr_err *) KR_WUR;
/*
 * True when `data` holds a PEM private key block: the end of its label
 * ("PRIVATE KEY-----", of "-----BEGIN [EC |ENCRYPTED ]PRIVATE KEY-----"),
 * a few blanks holding a line feed, and Base64.  KR_MEDIA_CARRY is the
 * longest match less one.
 */
bool		 kr_media_key_found(const void *, size_t);
/* The refusal of an artifact that carries a private key block. */
int		 kr_media_key_refused(enum kr_artifact, const char *,
		    struct kr_err *);

#endif /* KEYRITE_MEDIA_INT_H */
