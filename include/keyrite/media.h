/*
 * keyrite media: the one writer for everything that leaves the state
 * folder.  It accepts artifact types from an allow-list; there is no type
 * for key material, so no caller can hand it a private key.
 */
#ifndef KEYRITE_MEDIA_H
#define KEYRITE_MEDIA_H

#include <stddef.h>

#include <keyrite/base.h>

enum kr_artifact {
	KR_ART_CERTIFICATE = 1,
	KR_ART_CRL,
	KR_ART_OCSP_RESPONSE,
	KR_ART_SIGNATURE,
	KR_ART_SIGNED_IMAGE,
	KR_ART_PUBLIC_KEY,
	KR_ART_PIN_SET,
	KR_ART_MANIFEST,
	KR_ART_AUDIT_EXPORT,
	KR_ART_CEREMONY_REPORT,
	KR_ART_SHARE_FILE,	/* a custodian's encrypted share */
};

const char	*kr_artifact_name(enum kr_artifact);

/*
 * Writes an artifact atomically (0600 temporary file, fsync, rename,
 * folder fsync; KR_FILE_NOREPLACE refuses an existing file).  Refuses an
 * unknown type and any content that carries a PEM private-key block.
 */
int		 kr_media_write(enum kr_artifact, const char *, const void *,
		    size_t, unsigned, struct kr_err *) KR_WUR;

/*
 * The same for an artifact whose bytes (`data`, checked as above) were
 * already written to `src` inside the state folder: the kernel copies
 * them to the destination.
 */
int		 kr_media_copy(enum kr_artifact, const char *, const void *,
		    size_t, const char *, unsigned, struct kr_err *) KR_WUR;

/*
 * Two steps, for an artifact that may leave only once it is recorded (a
 * custodian's share file): the bytes are checked as above and written
 * under a temporary name beside `path` (PATH.tmp-XXXXXXXXXXXXXXXX);
 * kr_media_place gives them their name after the record is committed.
 */
int		 kr_media_stage(enum kr_artifact, const char *, const void *,
		    size_t, char **, struct kr_err *) KR_WUR;
int		 kr_media_place(const char *, const char *, struct kr_err *)
		    KR_WUR;

#endif /* KEYRITE_MEDIA_H */
