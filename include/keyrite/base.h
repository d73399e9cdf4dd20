/*
 * keyrite base: the project-wide error type, secure memory, process
 * hardening, atomic file writes, byte buffers and hex/base64/PEM helpers.
 *
 * Every other module sits on top of this one.  Nothing here knows about
 * keys, shares or certificates.
 */
#ifndef KEYRITE_BASE_H
#define KEYRITE_BASE_H

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KR_WUR		__attribute__((warn_unused_result))
#define KR_PRINTF(f, a)	__attribute__((format(printf, f, a)))

/*
 * Error codes: 0 is success, every failure is negative.  Each code belongs
 * to one exit class (see kr_exit_status()): 1 for a refusal (policy,
 * quorum, verification), 2 for a usage or input error.
 */
enum kr_code {
	KR_OK = 0,
	KR_EUSAGE = -1,		/* bad command line */
	KR_EINPUT = -2,		/* malformed, oversized or unusable input */
	KR_ENOENT = -3,		/* a named thing does not exist */
	KR_EEXIST = -4,		/* a named thing already exists */
	KR_EIO = -5,		/* a read, write or sync failed */
	KR_ENOMEM = -6,		/* out of (secure) memory */
	KR_ESTATE = -7,		/* state folder missing, damaged or read-only */
	KR_EREFUSED = -8,	/* refused by policy */
	KR_EQUORUM = -9,	/* not enough valid shares */
	KR_EAUTH = -10,		/* wrong passphrase */
	KR_EVERIFY = -11,	/* a signature, MAC or hash did not verify */
	KR_ECLOCK = -12,	/* clock earlier than the newest audit entry */
	KR_ESELFTEST = -13,	/* a power-on self-test failed */
	KR_ECRYPTO = -14,	/* a cryptographic library call failed */
	KR_EINTERNAL = -15,	/* a bug: an invariant did not hold */
	KR_EBUSY = -16,		/* another keyrite holds the state folder */
};

#define KR_ERR_MSG_MAX	1024

/*
 * An error context: the code plus a message written for the operator in
 * the ceremony room.  The message names the file, share or custodian
 * involved and, where it can, what to do next.  It never holds a secret.
 */
struct kr_err {
	int	code;
	char	msg[KR_ERR_MSG_MAX];
};

void		 kr_err_clear(struct kr_err *);
/* Sets code and message; returns code so callers can `return kr_err_set()`. */
int		 kr_err_set(struct kr_err *, int, const char *, ...)
		    KR_PRINTF(3, 4);
int		 kr_err_vset(struct kr_err *, int, const char *, va_list)
		    KR_PRINTF(3, 0);
/* Prepends context ("share 3 (bob): ") to an existing message. */
int		 kr_err_prefix(struct kr_err *, const char *, ...)
		    KR_PRINTF(2, 3);
const char	*kr_strerror(int);
int		 kr_exit_status(int);

/*
 * Secure memory: sodium_malloc'd (guard pages, mlock'd, canary), wiped on
 * free.  kr_secure_free is safe on NULL.
 */
void		*kr_secure_alloc(size_t);
void		 kr_secure_free(void *);
void		 kr_wipe(void *, size_t);
/*
 * Bulk memory, for large public buffers only (a CRL of a million
 * entries): its own mapping, backed by huge pages where the kernel
 * gives them, which takes a small fraction of the page faults of
 * malloc'd memory.  Locked like the rest of the process as it is touched
 * (mlockall).  The caller keeps the length; kr_bulk_free is safe on NULL.
 */
void		*kr_bulk_alloc(size_t);
void		*kr_bulk_realloc(void *, size_t oldlen, size_t newlen);
void		 kr_bulk_free(void *, size_t);
/* Constant-time equality for secret-derived bytes. */
bool		 kr_ct_equal(const void *a, const void *b, size_t len);

/*
 * Process hardening, run first in main(): core dumps off, not dumpable,
 * umask 077, SIGXFSZ ignored (a write over ulimit -f fails with EFBIG),
 * memory locked where the system permits.  A failure to lock
 * memory is not fatal but is reported in `warning` for the operator.
 */
struct kr_hardening {
	bool	core_off;
	bool	nondumpable;
	bool	locked;
	char	warning[512];
};

int		 kr_harden_process(struct kr_hardening *, struct kr_err *)
		    KR_WUR;

/* Files.  Every path given here appears in error messages. */
#define KR_FILE_NOREPLACE	0x1	/* fail with KR_EEXIST if present */

/*
 * Writes `path` atomically: mode 0600, written, fsync'd, given its name
 * and the folder fsync'd (see struct kr_file_out for the temporary file).
 * On failure, a write over the file size limit (EFBIG) included, nothing
 * is left behind.
 */
int		 kr_file_write(const char *path, const void *data, size_t len,
		    unsigned flags, struct kr_err *err) KR_WUR;
/*
 * Reads a whole regular file of at most `max` bytes into malloc'd memory
 * (sodium_malloc'd when `secure`).  Refuses symlinks and oversize files.
 */
int		 kr_file_read(const char *path, size_t max, bool secure,
		    uint8_t **out, size_t *outlen, struct kr_err *err) KR_WUR;
/*
 * A file written piece by piece (large outputs), with the same guarantees
 * as kr_file_write: open, write, then commit (sync, name, sync the
 * folder) or abort (nothing left).  A new file under KR_FILE_NOREPLACE
 * has no name until it is committed (O_TMPFILE where the file system
 * has it), so a process killed while writing it leaves nothing behind;
 * elsewhere the temporary name is PATH.tmp-XXXXXXXXXXXXXXXX (16 hex
 * digits), which kr_file_tmp_name recognises.
 */
struct kr_file_out {
	int		 fd;
	char		*path;
	char		*tmp;		/* NULL while the file has no name */
	unsigned	 flags;
};

#define KR_FILE_STAGED		0x2	/* internal: kr_file_stage */

int		 kr_file_out_open(struct kr_file_out *, const char *, unsigned,
		    struct kr_err *) KR_WUR;
int		 kr_file_out_write(struct kr_file_out *, const void *, size_t,
		    struct kr_err *) KR_WUR;
int		 kr_file_out_commit(struct kr_file_out *, struct kr_err *)
		    KR_WUR;
void		 kr_file_out_abort(struct kr_file_out *);
/*
 * Two-step writes for files a database record owns: kr_file_stage writes
 * the bytes under a temporary name beside `path` (synced, folder synced)
 * and returns that name; after the record is committed, kr_file_place
 * renames it to `path` (never over an existing file) and syncs the
 * folder.  Whoever finds a staged file after a crash decides from the
 * records whether to place it or remove it.
 */
int		 kr_file_stage(const char *path, const void *data, size_t len,
		    char **tmp, struct kr_err *err) KR_WUR;
int		 kr_file_place(const char *tmp, const char *path,
		    struct kr_err *err) KR_WUR;
/*
 * Files written in groups (provision batch): each opened and written with
 * kr_file_out_open/write as above, then made durable together by
 * kr_file_out_sync_group (writeback of all started, then fdatasync of
 * each: one journal commit for the group instead of one per file), then
 * each given its name by kr_file_out_name, which does not sync again and
 * does not sync the folder: the caller syncs it once (kr_fsync_dir)
 * after the group's last name.  Always closes.
 */
int		 kr_file_out_sync_group(struct kr_file_out *, size_t,
		    struct kr_err *) KR_WUR;
int		 kr_file_out_name(struct kr_file_out *, struct kr_err *) KR_WUR;
/*
 * Renames `from` to `to`, never over anything there: renameat2 with
 * RENAME_NOREPLACE (FAT and exFAT media have no hard links).  Where the
 * file system lacks it (EINVAL: FUSE file systems such as fusefat,
 * exFAT or NTFS through FUSE), link() then unlink; where it has no hard
 * links either (a folder, or FAT through FUSE), the name is checked to be
 * free, then rename().  0, or -1 with errno.
 */
int		 kr_rename_noreplace(const char *from, const char *to);
/* Whether a file name is one of keyrite's temporary names; the stem length. */
bool		 kr_file_tmp_name(const char *, size_t *);
/* Overwrites a file's bytes with zeros, fsyncs and unlinks it. */
int		 kr_file_shred(const char *, struct kr_err *) KR_WUR;
int		 kr_mkdir_private(const char *, struct kr_err *) KR_WUR;
int		 kr_fsync_dir(const char *, struct kr_err *) KR_WUR;
bool		 kr_path_exists(const char *);
/*
 * `real` is the folder `top` or lies inside it (both resolved paths, as
 * realpath(3) gives them; a `top` of "/" holds everything).
 */
bool		 kr_path_under(const char *real, const char *top);
/* Joins a folder and a name into a malloc'd string; NULL on overflow. */
char		*kr_path_join(const char *dir, const char *name);
/* The folder part of a path (as dirname(3)), malloc'd; NULL: no memory. */
char		*kr_path_dir(const char *path);

/* Signals held across a critical section (record, then release). */

struct kr_sigmask {
	sigset_t	old;
};

void		 kr_signals_hold(struct kr_sigmask *);
void		 kr_signals_release(struct kr_sigmask *);
/* pthread_create for a worker that takes no signal; false: none started. */
bool		 kr_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg);

/*
 * A growable byte buffer.  A secure buffer lives in sodium_malloc memory
 * and is wiped whenever it grows or is freed.
 */
struct kr_buf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
	bool	 secure;
	bool	 failed;	/* an allocation failed; later puts are no-ops */
};

void		 kr_buf_init(struct kr_buf *, bool);
void		 kr_buf_free(struct kr_buf *);
void		 kr_buf_put(struct kr_buf *, const void *, size_t);
void		 kr_buf_put_u8(struct kr_buf *, uint8_t);
void		 kr_buf_put_u16(struct kr_buf *, uint16_t);
void		 kr_buf_put_u32(struct kr_buf *, uint32_t);
void		 kr_buf_put_u64(struct kr_buf *, uint64_t);
int		 kr_buf_status(const struct kr_buf *, struct kr_err *) KR_WUR;
/* One line of sha256sum's output: 64 hex digits, two spaces, the name. */
void		 kr_buf_put_sum(struct kr_buf *, const char *hex,
		    const char *name);

/*
 * Canonical JSON (json.c): the audit payloads and transcripts.  The
 * writer builds one object, members in the order added, no spaces.
 */
struct kr_json {
	struct kr_buf	b;
	bool		first;
};

void		 kr_json_begin(struct kr_json *);
void		 kr_json_str(struct kr_json *, const char *, const char *);
void		 kr_json_int(struct kr_json *, const char *, int64_t);
void		 kr_json_hex(struct kr_json *, const char *, const uint8_t *,
		    size_t);
void		 kr_json_str_array(struct kr_json *, const char *,
		    const char *const *, size_t);
void		 kr_json_bool(struct kr_json *, const char *, bool);
/* A member whose value is JSON text made elsewhere (NULL: ENOMEM). */
void		 kr_json_raw(struct kr_json *, const char *, const char *);
/*
 * An array of objects in a buffer (kr_buf_init'd), for kr_json_raw:
 * kr_json_list_add appends an object, which it ends and frees;
 * kr_json_list_end closes the array and returns its text (NULL when out
 * of memory); kr_buf_free frees it.
 */
void		 kr_json_list_add(struct kr_buf *, struct kr_json *);
const char	*kr_json_list_end(struct kr_buf *);
/* The NUL-terminated text (owned by the json), or NULL when out of memory. */
const char	*kr_json_end(struct kr_json *);
void		 kr_json_free(struct kr_json *);

/*
 * The reader, for that form only.  kr_js_member: the value of member
 * `key` of the object at p, or NULL.  kr_js_next walks an array: first
 * with *p at '[', then at each element; NULL after the last.
 */
const char	*kr_js_skip(const char *, int depth);
const char	*kr_js_member(const char *, const char *);
bool		 kr_js_str(const char *, char *, size_t);
char		*kr_js_str_dup(const char *);
bool		 kr_js_int(const char *, int64_t *);
bool		 kr_js_hex(const char *, uint8_t *, size_t);
const char	*kr_js_next(const char **, bool);

/*
 * A bounds-checked big-endian reader for file formats.  Any read past the
 * end sets `bad` and yields zeros; check `bad` once at the end.
 */
struct kr_rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	bool		 bad;
};

void		 kr_rd_init(struct kr_rd *, const void *, size_t);
const uint8_t	*kr_rd_bytes(struct kr_rd *, size_t);
void		 kr_rd_copy(struct kr_rd *, void *, size_t);
uint8_t		 kr_rd_u8(struct kr_rd *);
uint16_t	 kr_rd_u16(struct kr_rd *);
uint32_t	 kr_rd_u32(struct kr_rd *);
uint64_t	 kr_rd_u64(struct kr_rd *);
size_t		 kr_rd_left(const struct kr_rd *);

/* Hex, lower case.  `out` must hold 2 * len + 1 bytes. */
void		 kr_hex_encode(char *out, const uint8_t *in, size_t len);
/* Decodes exactly `outlen` bytes from a hex string of 2 * outlen digits. */
int		 kr_hex_decode(uint8_t *out, size_t outlen, const char *hex)
		    KR_WUR;
/* Decodes a hex string of any even length into malloc'd memory. */
int		 kr_hex_decode_alloc(const char *, uint8_t **, size_t *) KR_WUR;
/*
 * Hex as `openssl x509 -fingerprint` prints it, for a witness to read
 * aloud: upper-case pairs joined by ':', `per_line` pairs a line (0: all
 * on one), each later line begun with `indent`.  False (and "") when
 * `cap` is too small; KR_HEX_COLONS_BYTES(len, indent_len) always fits.
 */
#define KR_HEX_COLONS_BYTES(n, ind)	(3 * (n) + (n) * (ind) + 1)
bool		 kr_hex_colons(char *, size_t, const uint8_t *, size_t,
		    size_t, const char *);

/*
 * A size or an address in bytes as MCUboot's imgtool takes one: decimal
 * or 0x hex, at most 0xffffffff (KR_SIZE_FORMS says so in messages).
 */
#define KR_SIZE_FORMS	"decimal (512) or hex (0x200), at most 0xffffffff"
bool		 kr_size_parse(const char *, uint32_t *);

/* Base64 (standard alphabet, padded); malloc'd, NUL-terminated. */
char		*kr_base64_encode(const uint8_t *, size_t);
int		 kr_base64_decode(const char *, size_t, uint8_t **, size_t *)
		    KR_WUR;

/* PEM: "-----BEGIN label-----", base64 in 64-column lines, END line. */
char		*kr_pem_encode(const char *label, const uint8_t *der,
		    size_t len);
/*
 * Finds the first PEM block with this label in `text` and decodes it.
 * KR_ENOENT if there is none, KR_EINPUT if it is malformed.
 */
int		 kr_pem_decode(const char *label, const char *text, size_t len,
		    uint8_t **der, size_t *derlen) KR_WUR;

/*
 * Text a person reads (src/base/text.c).  kr_utf8_decode returns the
 * length of the shortest-form UTF-8 scalar value at p, or 0 if there is
 * none.  A control is C0, DEL or C1; a bidi control is an embedding,
 * override or isolate (U+202A..U+202E, U+2066..U+2069).  Printable means
 * neither, nor an invisible format character (zero-width, soft hyphen,
 * line separators, BOM, tags): what may reach a terminal as it is.
 */
size_t		 kr_utf8_decode(const uint8_t *, size_t, uint32_t *);
bool		 kr_cp_is_control(uint32_t);
bool		 kr_cp_is_bidi_control(uint32_t);
bool		 kr_cp_printable(uint32_t);

/*
 * The one terminal-escaping function: every non-printable code point and
 * every byte that is not UTF-8 is written as a visible escape (\x1b,
 * \u202e, \U000e0001).  KR_TEXT_LINES keeps '\n' and '\t' (multi-line
 * reports); without it they are escaped too (one-line values and
 * messages).  kr_text_escape appends to a buffer; kr_text_escape_str
 * writes a NUL-terminated string, cut at a whole unit if it does not fit,
 * and returns `out`; kr_text_escape_dup returns a malloc'd copy (NULL when
 * out of memory).  kr_text_safe says whether escaping would leave the
 * text unchanged.
 */
#define KR_TEXT_LINES	0x1u
/*
 * KR_TEXT_JSON: for JSON text keyrite wrote (kr_json), escapes in JSON's
 * own form instead, so the output stays valid JSON: \u202e, a surrogate
 * pair above U+FFFF, and U+FFFD for a byte that is not UTF-8.
 */
#define KR_TEXT_JSON	0x2u
/*
 * KR_TEXT_ASCII: every code point above U+007F escaped too (\u00fc), for
 * a terminal whose locale is not UTF-8 (the console under LC_ALL=C).
 */
#define KR_TEXT_ASCII	0x4u
void		 kr_text_escape(struct kr_buf *b, const char *s, size_t len,
		    unsigned flags);
char		*kr_text_escape_str(char *out, size_t cap, const char *s,
		    unsigned flags);
char		*kr_text_escape_dup(const char *, unsigned);
/* Writes `len` bytes of text to a stream, escaped. */
void		 kr_text_fput(FILE *f, const char *s, size_t len,
		    unsigned flags);
bool		 kr_text_safe(const char *s, size_t len, unsigned flags);

/* UTC time as "2026-11-23T17:35:00Z"; `out` holds 21 bytes. */
#define KR_TIME_STR_BYTES	21
void		 kr_time_format(int64_t, char *);
int64_t		 kr_time_now(void);
/*
 * The reverse: "YYYY-MM-DD" (midnight) and/or "YYYY-MM-DDTHH:MM:SSZ", as
 * `forms` allows, a real UTC date and time from 1970 on; false if not.
 */
#define KR_TIME_DAY	0x1u
#define KR_TIME_SECOND	0x2u
bool		 kr_time_parse(const char *, unsigned forms, int64_t *);

#endif /* KEYRITE_BASE_H */
