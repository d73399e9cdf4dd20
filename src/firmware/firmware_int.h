/*
 * firmware internals, shared by the files of src/firmware/ and its tests.
 */
#ifndef KEYRITE_FIRMWARE_INT_H
#define KEYRITE_FIRMWARE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <keyrite/firmware.h>

/* --- Inputs (stream.c) ------------------------------------------------- */

/*
 * An image: an open regular file or a buffer.  For a file, the identity
 * and size seen at open are kept so a change while it is read is noticed.
 */
struct kr_fw_input {
	const char	*label;		/* the path, or the caller's label */
	int		 fd;		/* -1 for a buffer */
	const uint8_t	*buf;
	uint64_t	 size;
	dev_t		 dev;
	ino_t		 ino;
	int64_t		 mtime_ns;
};

/* Opens a regular file (O_NOFOLLOW); refuses empty and oversize ones. */
int		 kr_fw_input_open(struct kr_fw_input *, const char *,
		    struct kr_err *) KR_WUR;
/* Wraps a buffer; refuses an empty one. */
int		 kr_fw_input_buf(struct kr_fw_input *, const char *,
		    const uint8_t *, size_t, struct kr_err *) KR_WUR;
void		 kr_fw_input_close(struct kr_fw_input *);
/* Reads exactly `len` bytes at `off`. */
int		 kr_fw_input_pread(struct kr_fw_input *, uint64_t, void *,
		    size_t, struct kr_err *) KR_WUR;
/* KR_EINPUT if the file's size, identity or time changed since open. */
int		 kr_fw_input_unchanged(struct kr_fw_input *, struct kr_err *)
		    KR_WUR;

/* --- Streaming (stream.c) ---------------------------------------------- */

#define KR_FW_SINKS_MAX	3

/* One hash fed from the stream; the first `skip` bytes are not fed. */
struct kr_fw_sink {
	struct kr_hash	h;
	uint64_t	skip;
};

/* Called on the reading thread's consumer with each piece, in order. */
typedef int	 kr_fw_out_fn(void *, const uint8_t *, size_t,
		    struct kr_err *);

/*
 * Feeds bytes [off, off + len) of an input to every sink while a reader
 * thread reads ahead into KR_FW_NBUF buffers of KR_FW_CHUNK bytes: sink 0
 * and `out` on the calling thread, the last sink (of two or more) on the
 * reader, any between on a thread each.  A buffer input is fed in place.
 */
struct kr_fw_stream {
	struct kr_fw_input	*in;
	uint64_t		 off;
	uint64_t		 len;
	struct kr_fw_sink	*sinks;
	size_t			 nsinks;	/* 0 .. KR_FW_SINKS_MAX */
	kr_fw_out_fn		*out;		/* may be NULL */
	void			*out_arg;
	kr_fw_progress_fn	*progress;	/* may be NULL */
	void			*progress_arg;
};

int		 kr_fw_stream_run(const struct kr_fw_stream *, struct kr_err *)
		    KR_WUR;

/* --- Signing context (raw.c) ------------------------------------------- */

struct kr_fw_ctx {
	struct kr_signer		*signer;
	const struct kr_fw_opts		*opts;
	struct kr_fw_input		*in;
	struct kr_fw_result		*res;
	int64_t				 now;
	struct kr_err			*err;
	/*
	 * kr_fw_check_file: the format's checks that need no signature
	 * (options, the key's algorithm, the input's shape and room), then
	 * stop: nothing is hashed or signed, the signer has no key.
	 */
	bool				 check;
};

int		 kr_fw_do_raw(struct kr_fw_ctx *) KR_WUR;
int		 kr_fw_do_minisign(struct kr_fw_ctx *) KR_WUR;
int		 kr_fw_do_mcuboot(struct kr_fw_ctx *) KR_WUR;
int		 kr_fw_do_cms(struct kr_fw_ctx *) KR_WUR;
int		 kr_fw_do_rauc(struct kr_fw_ctx *) KR_WUR;

/* The hash the record names for a signature algorithm (SHA-256 for Ed25519). */
enum kr_hash_alg kr_fw_record_hash(enum kr_sig_alg);
/* Stores the record digest and the image range in the result. */
void		 kr_fw_set_digest(struct kr_fw_result *, enum kr_hash_alg,
		    const uint8_t *, uint64_t, uint64_t);
/* Checks a signature the key just made (verify after sign). */
int		 kr_fw_check_sig(struct kr_fw_ctx *, enum kr_sig_alg, bool,
		    const uint8_t *, size_t, const uint8_t *, size_t) KR_WUR;
/* Progress with the context's callback. */
int		 kr_fw_stream_image(struct kr_fw_ctx *, uint64_t, uint64_t,
		    struct kr_fw_sink *, size_t) KR_WUR;
/* A printable key name for messages. */
const char	*kr_fw_key_label(const struct kr_signer *);

/* --- CMS (cms.c), shared with rauc.c ----------------------------------- */

/*
 * Signs bytes [0, len) of the input as a detached CMS SignedData with the
 * options' certificates (refusing Ed25519 and a certificate for another
 * key); the DER is malloc'd.  Sets the result's digest, signature and
 * certificate serial.
 */
int		 kr_fw_cms_sign(struct kr_fw_ctx *, uint64_t, uint8_t **,
		    size_t *) KR_WUR;
/* Refuses a key CMS cannot use (Ed25519), before any input is read. */
int		 kr_fw_cms_key_check(struct kr_fw_ctx *) KR_WUR;

/* --- RAUC (rauc.c) ----------------------------------------------------- */

int		 kr_fw_rauc_split_input(struct kr_fw_input *, uint64_t *,
		    bool *, struct kr_err *) KR_WUR;

#endif /* KEYRITE_FIRMWARE_INT_H */
