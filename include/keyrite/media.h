/*
 * keyrite media: the one writer for everything that leaves the state
 * folder.  It accepts artifact types from an allow-list; there is no type
 * for key material, so no caller can hand it a private key.
 */
#ifndef KEYRITE_MEDIA_H
#define KEYRITE_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
	KR_ART_CERT_REQUEST,	/* a prepared certificate request (public) */
	KR_ART_CRL_REQUEST,	/* a prepared CRL request (public) */
	/*
	 * A file of a state folder's backup: the database copy (no secret),
	 * a sealed key or PIN file (encrypted under its quorum), the policy,
	 * the backup's MANIFEST.  Scanned as any other artifact.
	 */
	KR_ART_BACKUP_FILE,
	KR_ART_CHECKSUMS,	/* an export's SHA256SUMS */
	KR_ART_PROV_RECORD,	/* a device's provisioning record (YAML) */
};
#define KR_ART_LAST	KR_ART_PROV_RECORD	/* one past it is no type */

const char	*kr_artifact_name(enum kr_artifact);

/*
 * Writes an artifact atomically (0600 temporary file, fsync, rename,
 * folder fsync; KR_FILE_NOREPLACE refuses an existing file).  Refuses an
 * unknown type and any content that carries a private key: a PEM block
 * or a minisign secret key line anywhere, or a file that is a DER
 * (PKCS#8, SEC1, PKCS#1), OpenSSH or minisign private key (src/media/
 * scan.c); the message names which and at which byte.
 */
int		 kr_media_write(enum kr_artifact type, const char *path,
		    const void *data, size_t len, unsigned flags,
		    struct kr_err *err) KR_WUR;
/*
 * Whether bytes brought in carry a private key, as kr_media_write would
 * find one: true, with what and where written into `what`.
 */
bool		 kr_media_holds_key(const void *data, size_t len, char *what,
		    size_t cap);


/*
 * A streamed artifact, for outputs too large to hold in memory (signed
 * images): opened for a type on the allow-list, written piece by piece,
 * then committed (fsync, name, folder fsync, as kr_media_write; the
 * flags are kr_media_write's) or aborted (nothing is left).  Each piece
 * is scanned for private key blocks as kr_media_write scans a buffer
 * before any of it is written, together with the last KR_MEDIA_CARRY
 * bytes before it, so a block split between pieces is found too.  After
 * a refused or failed write the stream takes nothing more and commit
 * refuses; abort is always safe, also after commit and twice.  The
 * first KR_MEDIA_HEAD bytes are kept too: commit checks them for a
 * private key a file holds from its start (DER, OpenSSH, minisign),
 * whose lengths must agree with the stream's, and refuses one before
 * the file has a name.
 */
#define KR_MEDIA_CARRY	24
#define KR_MEDIA_HEAD	16384

struct kr_media_stream {
	struct kr_file_out	out;
	enum kr_artifact	type;
	uint64_t		len;		/* bytes written */
	uint8_t			carry[KR_MEDIA_CARRY];	/* the last ones */
	size_t			carry_len;
	uint8_t			head[KR_MEDIA_HEAD];	/* the first ones */
	size_t			head_len;
	bool			closed;		/* failed, committed, aborted */
};

int		 kr_media_stream_open(struct kr_media_stream *s,
		    enum kr_artifact type, const char *path, unsigned flags,
		    struct kr_err *err) KR_WUR;
int		 kr_media_stream_write(struct kr_media_stream *, const void *,
		    size_t, struct kr_err *) KR_WUR;
/*
 * kr_media_stream_write with the stream as a `void *`, the shape of a
 * byte sink a lower module's writer takes (firmware's kr_fw_output).
 */
int		 kr_media_stream_put(void *s, const void *data, size_t len,
		    struct kr_err *err) KR_WUR;
int		 kr_media_stream_commit(struct kr_media_stream *,
		    struct kr_err *) KR_WUR;
void		 kr_media_stream_abort(struct kr_media_stream *);

/*
 * An artifact written through a stream on a second thread while the
 * caller goes on (src/media/background.c): `data` must stay unchanged
 * until finish.  Start opens the stream (its errors come at once);
 * finish waits, then with `commit` names the file (the stream's commit),
 * without it leaves nothing.  A write error found by the thread is
 * returned by finish.
 */
struct kr_media_bg;

int		 kr_media_bg_start(struct kr_media_bg **out,
		    enum kr_artifact type, const char *path, const void *data,
		    size_t len, unsigned flags, struct kr_err *err) KR_WUR;
int		 kr_media_bg_finish(struct kr_media_bg **, bool commit,
		    struct kr_err *) KR_WUR;
/* Finish without commit, its error dropped (for failure paths). */
void		 kr_media_bg_cancel(struct kr_media_bg **);

/*
 * Artifacts released in groups (provision batch, src/media/group.c):
 * each is checked as kr_media_write checks it and written with no name
 * (KR_FILE_NOREPLACE); release makes the first n durable together (one
 * writeback, then fdatasync of each), names them in order and syncs
 * their folder once; the others are dropped, nothing of them left.  A
 * name that fails stops the release: *named says how many have theirs.
 * drop(g, n) leaves only the first n (the files of a device that failed
 * before its record was kept).
 */
struct kr_media_group;

int		 kr_media_group_new(struct kr_media_group **, size_t max,
		    struct kr_err *) KR_WUR;
int		 kr_media_group_add(struct kr_media_group *, enum kr_artifact,
		    const char *path, const void *data, size_t len,
		    struct kr_err *) KR_WUR;
size_t		 kr_media_group_count(const struct kr_media_group *);
void		 kr_media_group_drop(struct kr_media_group *, size_t n);
int		 kr_media_group_release(struct kr_media_group *, size_t n,
		    size_t *named, struct kr_err *) KR_WUR;
void		 kr_media_group_free(struct kr_media_group **);

/*
 * Outputs checked before anything is asked or signed.  An operation adds
 * every file it will write to one plan, with a bound on its size, before
 * any passphrase is read; each add refuses, naming the path, when:
 *   - the file's folder resolves (through any symbolic link, in any
 *     component) to the state folder or inside it;
 *   - the folder does not exist, is not a folder or is not writable;
 *   - the file already exists (keyrite never overwrites an output);
 *   - the file system holding it has no room (statvfs: free blocks and
 *     inodes) for everything the plan puts there so far.
 */
#define KR_MEDIA_PLAN_FS	8
#define KR_MEDIA_PATH_MAX	4096

struct kr_media_plan {
	char		state[KR_MEDIA_PATH_MAX];	/* resolved */
	struct {
		dev_t		dev;
		uint64_t	bytes;		/* whole blocks */
		uint64_t	files;
	}		fs[KR_MEDIA_PLAN_FS];
	size_t		nfs;
	struct {	/* kr_media_plan_distinct: the planned paths, folded */
		char	**slot;
		size_t	  n, cap;
	}		seen;
};

/*
 * From now on the plan also refuses a path it holds already, compared
 * without case (FAT media, where outputs go, do not tell A.crt from
 * a.crt); kr_media_plan_free then frees what it keeps.
 */
int		 kr_media_plan_distinct(struct kr_media_plan *,
		    struct kr_err *) KR_WUR;
void		 kr_media_plan_free(struct kr_media_plan *);

/* Resolves the state folder (`statedir`) the plan keeps outputs out of. */
int		 kr_media_plan_init(struct kr_media_plan *, const char *,
		    struct kr_err *) KR_WUR;
/*
 * Checks a folder outputs will go to (--out-dir, --share-dir): it exists,
 * is writable and is not the state folder nor inside it.  `what` names
 * it in messages ("the output folder", "the share folder").
 */
int		 kr_media_plan_dir(struct kr_media_plan *p, const char *dir,
		    const char *what, struct kr_err *err) KR_WUR;
/* Adds one output file of at most `size` bytes (see above). */
int		 kr_media_plan_add(struct kr_media_plan *p,
		    enum kr_artifact type, const char *path, uint64_t size,
		    struct kr_err *err) KR_WUR;
/*
 * kr_media_plan_add for a file in a folder of its own inside a checked
 * folder (a custodian's folder in the share folder: DIR/SUB/FILE).  SUB
 * may be missing: then DIR is checked in its place, and kr_media_stage
 * creates SUB (0700).  An existing SUB is checked as any output folder.
 */
int		 kr_media_plan_add_sub(struct kr_media_plan *p,
		    enum kr_artifact type, const char *path, uint64_t size,
		    struct kr_err *err) KR_WUR;
/* A bound on the PEM text of `der_len` bytes of DER. */
uint64_t	 kr_media_pem_bound(uint64_t);
/*
 * Two steps, for an artifact that may leave only once it is recorded (a
 * custodian's share file): the bytes are checked as above and written
 * under a temporary name beside `path` (PATH.tmp-XXXXXXXXXXXXXXXX);
 * kr_media_place gives them their name after the record is committed.
 * A missing folder of `path` is created (0700, its parent synced), as a
 * custodian's folder planned by kr_media_plan_add_sub.  kr_media_unstage
 * removes a staged file that is not to be placed, and its folder when
 * that is left empty.
 */
int		 kr_media_stage(enum kr_artifact type, const char *path,
		    const void *data, size_t len, char **tmp,
		    struct kr_err *err) KR_WUR;
int		 kr_media_place(const char *tmp, const char *path,
		    struct kr_err *err) KR_WUR;
void		 kr_media_unstage(const char *tmp);

/*
 * A folder of artifacts released whole or not at all (folder.c): stage
 * makes PATH.tmp-XXXXXXXXXXXXXXXX beside PATH (0700), put writes one
 * file into it (as kr_media_write), place syncs it and names it PATH
 * (never over an existing one), unstage removes it with its files.
 */
int		 kr_media_dir_stage(const char *path, char **tmp,
		    struct kr_err *err) KR_WUR;
int		 kr_media_dir_put(enum kr_artifact type, const char *tmp,
		    const char *name, const void *data, size_t len,
		    struct kr_err *err) KR_WUR;
int		 kr_media_dir_place(const char *tmp, const char *path,
		    struct kr_err *err) KR_WUR;
void		 kr_media_dir_unstage(const char *tmp);

/*
 * An export folder (keyrite export, src/media/export.c, docs/media.md):
 * files staged one by one under names a FAT file system keeps
 * ([A-Za-z0-9._-], no leading or trailing dot, unique as FAT compares
 * them), each checked and scanned as kr_media_stage checks it; no file
 * is written where anything (a symbolic link included) already is.
 * Seal adds MANIFEST.json (canonical JSON: "format", "about" as given,
 * and per file its name, type, record, size and SHA-256) and SHA256SUMS
 * (as sha256sum writes it, MANIFEST.json last).  Place names them all,
 * syncs the folder and its file system, and reads every file back from
 * the medium.  Undo removes whatever was staged or placed; finish syncs
 * once more, after which the medium may be removed.
 */
#define KR_MEDIA_NAME_MAX	128
#define KR_MEDIA_MANIFEST	"MANIFEST.json"
#define KR_MEDIA_SUMS		"SHA256SUMS"
#define KR_MEDIA_EXPORT_FORMAT	"keyrite-export-1"
/* The largest file an export writes (and so the largest kept copy). */
#define KR_MEDIA_EXPORT_FILE_MAX	((size_t)1 << 30)

struct kr_media_export;

bool		 kr_media_name_ok(const char *);
/*
 * An export path: a name, or "SUB/NAME" (one sub-folder, for artifacts
 * that are folders: a transcript, an audit bundle, a custodian's shares),
 * each part a name kr_media_name_ok accepts.
 */
bool		 kr_media_path_ok(const char *);
/* `in` with every character a FAT name may not hold made '_'. */
void		 kr_media_name_clean(char *out, size_t cap, const char *in);
int		 kr_media_export_open(struct kr_media_export **, const char *dir,
		    struct kr_err *) KR_WUR;
/*
 * `record`: JSON object text naming where the bytes came from.  `name`
 * may be "SUB/NAME": the export makes SUB, which must not exist before.
 */
int		 kr_media_export_add(struct kr_media_export *,
		    enum kr_artifact, const char *name, const void *data,
		    size_t len, const char *record, struct kr_err *) KR_WUR;
size_t		 kr_media_export_count(const struct kr_media_export *);
int		 kr_media_export_seal(struct kr_media_export *,
		    const char *about, char manifest_sha256[65],
		    struct kr_err *) KR_WUR;
int		 kr_media_export_place(struct kr_media_export *,
		    struct kr_err *) KR_WUR;
int		 kr_media_export_finish(struct kr_media_export *,
		    struct kr_err *) KR_WUR;
void		 kr_media_export_undo(struct kr_media_export *);
void		 kr_media_export_free(struct kr_media_export **);

/*
 * Checks an export folder with no state folder: KR_OK when every file
 * MANIFEST.json lists is there with its size and SHA-256, nothing else is
 * there but MANIFEST.json and SHA256SUMS, and SHA256SUMS agrees;
 * KR_EVERIFY with each problem in the report otherwise.
 */
#define KR_MEDIA_VERIFY_SHOWN	64

struct kr_media_export_report {
	size_t	files;			/* listed in the manifest */
	size_t	files_ok;
	bool	manifest_in_sums;
	char	manifest_sha256[65];
	size_t	nfailed;
	char	failed[KR_MEDIA_VERIFY_SHOWN][400];
};

int		 kr_media_export_verify(const char *dir,
		    struct kr_media_export_report *, struct kr_err *) KR_WUR;

#endif /* KEYRITE_MEDIA_H */
