/*
 * keyrite firmware: the output formats for signed firmware and OTA images
 * (exact layouts in docs/firmware-formats.md).
 *
 *   raw.c       entry points, results; detached raw signatures
 *   minisign.c  minisign "ED" signatures and public keys
 *   mcuboot.c   MCUboot signed images (header, protected TLVs, TLVs)
 *   cms.c       detached CMS SignedData (RFC 5652), shared with rauc.c
 *   rauc.c      RAUC plain bundles
 *   stream.c    hashing files in fixed memory; writing outputs to a sink
 *
 * This module formats and signs; it does not decide.  The caller
 * (authority/) checks the key's purpose, unlocks it, records the result
 * and only then writes the output.  Every signature made here is checked
 * with the signer's public key before kr_fw_sign_*() returns.
 *
 * Images are hashed streaming: a reader thread fills KR_FW_NBUF buffers
 * of KR_FW_CHUNK bytes while the hashes run, so memory stays fixed
 * whatever the image size.  Only pure Ed25519 (`raw` with an Ed25519 key)
 * needs the whole image in memory, and refuses images above
 * KR_FW_PURE_MAX.
 */
#ifndef KEYRITE_FIRMWARE_H
#define KEYRITE_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/keystore.h>
#include <keyrite/x509.h>

enum kr_fw_format {
	KR_FW_RAW = 1,		/* detached signature: ECDSA, RSA, Ed25519 */
	KR_FW_MINISIGN,		/* minisign "ED" signature file */
	KR_FW_MCUBOOT,		/* MCUboot signed image */
	KR_FW_RAUC,		/* RAUC plain bundle */
	KR_FW_CMS,		/* detached CMS SignedData, DER */
};

const char	*kr_fw_format_name(enum kr_fw_format);	/* "raw" ... */
int		 kr_fw_format_from_name(const char *, enum kr_fw_format *)
		    KR_WUR;

#define KR_FW_CHUNK		(1024 * 1024)	/* one read */
#define KR_FW_NBUF		4		/* reads in flight */
#define KR_FW_IMAGE_MAX		(UINT64_C(1) << 40)	/* 1 TiB */
#define KR_FW_PURE_MAX		(32 * 1024 * 1024)	/* raw Ed25519 */
#define KR_FW_NAME_MAX		255	/* image name in comments */
#define KR_FW_COMMENT_MAX	1024	/* a minisign comment */
#define KR_FW_CHAIN_MAX		8	/* chain certificates in a CMS */
#define KR_FW_CHAIN_FILE_MAX	(KR_FW_CHAIN_MAX * 64 * 1024)

/*
 * Progress while an image is read: (arg, bytes done, bytes in all), on the
 * calling thread, every 16 MiB and at the end.
 */
typedef void	 kr_fw_progress_fn(void *arg, uint64_t done, uint64_t total);

/* MCUboot options (imgtool's names in brackets). */
struct kr_mcuboot_opts {
	uint32_t	header_size;	/* [--header-size] 0: 32; >= 32 */
	bool		pad_header;	/* [--pad-header] prepend the header */
	uint32_t	align;		/* [--align] 1, 2, 4, 8, 16, 32; 0: 1 */
	uint32_t	max_sectors;	/* [--max-sectors] 0: 128 */
	bool		overwrite_only;	/* [--overwrite-only] trailer size */
	uint32_t	slot_size;	/* [--slot-size] 0: no check */
	uint32_t	load_addr;	/* [--load-addr] non-zero: RAM_LOAD */
	bool		has_security_counter;
	uint32_t	security_counter; /* [--security-counter] */
};

struct kr_fw_opts {
	enum kr_fw_format	 format;
	/*
	 * 0: the format's algorithm for the key (raw and cms: the key's
	 * default, RSA PKCS#1 v1.5 with SHA-256).  raw and cms take RSA-PSS
	 * here; minisign and mcuboot accept only their own.
	 */
	enum kr_sig_alg		 sig_alg;
	/* For messages and minisign's "file:"; NULL: the input's base name. */
	const char		*image_name;
	/* minisign "version:" and MCUboot's "major.minor.revision+build". */
	const char		*version;
	int64_t			 now;		/* signing time; 0: the clock */
	const char		*comment;	/* minisign untrusted comment */
	/*
	 * cms, rauc: the signer certificate (DER or PEM) and its chain (zero
	 * or more certificates, PEM blocks or DER one after another, in any
	 * order).  The certificate's key must be the signer's.  The chain
	 * must lead from the certificate towards a root; a self-signed root
	 * in it is left out of the CMS.
	 */
	const uint8_t		*cert;
	size_t			 cert_len;
	const uint8_t		*chain;
	size_t			 chain_len;
	struct kr_mcuboot_opts	 mcuboot;
	kr_fw_progress_fn	*progress;	/* may be NULL */
	void			*progress_arg;
};

/*
 * What a signing produced.  The output is: `head`, then bytes
 * [copy_off, copy_off + copy_len) of the input, then `tail`.  Detached
 * formats (raw, minisign, cms) have copy_len 0 and everything in head.
 *
 * `digest` is the record digest of the image bytes, named by digest_alg:
 * SHA-256, or SHA-384 for P-384 keys (and the hash of an RSA algorithm
 * that names another); for minisign BLAKE2b-512, the hash minisign signs,
 * so the image is read and hashed once.  The image is bytes
 * [img_off, img_off + img_len) of the input: the whole file, or a RAUC
 * bundle's squashfs part.
 */
struct kr_fw_result {
	enum kr_fw_format	 format;
	enum kr_sig_alg		 sig_alg;
	char			 image_name[KR_FW_NAME_MAX + 1];
	uint64_t		 img_off;
	uint64_t		 img_len;	/* image size, for the record */
	enum kr_hash_alg	 digest_alg;
	uint8_t			 digest[KR_HASH_MAX_BYTES];
	size_t			 digest_len;
	uint8_t			 sig[KR_SIG_MAX_BYTES];	/* the key's */
	size_t			 sig_len;
	/* cms, rauc: the signer certificate's serial (INTEGER contents). */
	uint8_t			 cert_serial[KR_SERIAL_MAX];
	size_t			 cert_serial_len;
	uint8_t			*head;
	size_t			 head_len;
	uint64_t		 copy_off;
	uint64_t		 copy_len;
	uint8_t			*tail;
	size_t			 tail_len;
	uint64_t		 out_len;	/* head + copy + tail */
};

/*
 * A bound on the size of the output for an input of `in_size` bytes in
 * opts->format (with opts->cert and opts->chain), so that room for it is
 * checked before anything is signed.
 */
uint64_t	 kr_fw_output_bound(const struct kr_fw_opts *, uint64_t);

/*
 * Signs the image at `path` (a regular file, not a symlink, not empty)
 * in the format opts->format.  On success *out holds the output and the
 * description; free it with kr_fw_result_free().  Nothing is written.
 */
/*
 * The checks signing `path` would make before it hashes and signs: the
 * format's options, the key's algorithm for the format, the signer
 * certificate and chain (cms, rauc), an MCUboot image's header room and
 * its fit in the slot, a RAUC input's squashfs.  Nothing is hashed or
 * signed: `s` needs only its name, algorithm, purpose and public key (a
 * batch is checked whole before its key is unlocked).
 */
int		 kr_fw_check_file(struct kr_signer *s,
		    const struct kr_fw_opts *opts, const char *path,
		    struct kr_err *err) KR_WUR;
int		 kr_fw_sign_file(struct kr_signer *s,
		    const struct kr_fw_opts *opts, const char *path,
		    struct kr_fw_result **out, struct kr_err *err) KR_WUR;
/* The same for an image in memory; `label` names it in messages. */
int		 kr_fw_sign_buf(struct kr_signer *s,
		    const struct kr_fw_opts *opts, const char *label,
		    const uint8_t *buf, size_t len, struct kr_fw_result **out,
		    struct kr_err *err) KR_WUR;
void		 kr_fw_result_free(struct kr_fw_result **);

/*
 * Where a written output goes: `write` takes the output's bytes in order
 * (the firmware layer never names, syncs or creates a file).  authority/
 * connects it to media's streaming writer (kr_media_stream_put), which
 * checks the bytes and writes them atomically; firmware/ cannot call
 * media/, which sits beside it (docs/architecture.md).
 */
typedef int	 kr_fw_write_fn(void *arg, const void *data, size_t len,
		    struct kr_err *err);

struct kr_fw_output {
	kr_fw_write_fn	*write;
	void		*arg;
};

/*
 * Writes a result's output into `dst`: the head, the image bytes
 * streamed from the input at `in` (read again in fixed memory), the
 * tail.  If the image bytes no longer hash to r->digest it fails with
 * KR_EVERIFY after some bytes went to `dst`: the caller discards the
 * output on any failure.  `in` is not read for detached formats and may
 * be NULL then.  progress may be NULL.
 */
int		 kr_fw_write(const struct kr_fw_result *r, const char *in,
		    const struct kr_fw_output *dst, kr_fw_progress_fn *progress,
		    void *arg, struct kr_err *err) KR_WUR;
/* The output for an image in memory, malloc'd; the digest is checked. */
int		 kr_fw_output_buf(const struct kr_fw_result *r,
		    const uint8_t *in, size_t inlen, uint8_t **out,
		    size_t *outlen, struct kr_err *err) KR_WUR;

/*
 * Hashes a file streaming in fixed memory (stream.c); *size receives its
 * length.  The file must be regular, not a symlink and not empty.
 */
int		 kr_fw_hash_file(const char *path, enum kr_hash_alg alg,
		    uint8_t *out, uint64_t *size, kr_fw_progress_fn *progress,
		    void *arg, struct kr_err *err) KR_WUR;

/* ---- minisign (minisign.c) --------------------------------------------- */

#define KR_MINISIGN_KEYNUM_BYTES	8

/*
 * minisign's key number: the first 8 bytes of the keyrite key id, written
 * as they are (minisign shows them as a little-endian 64-bit number).
 */
void		 kr_minisign_keynum(const uint8_t *key_id, uint8_t *out);
/*
 * The public key file for an Ed25519 key: "untrusted comment: minisign
 * public key <KEYNUM>" and base64("Ed" || keynum || public key), each line
 * ending in '\n'.  Arguments: key id, SPKI DER, its length, the text
 * (malloc'd, NUL-terminated).
 */
int		 kr_minisign_pubkey(const uint8_t *key_id, const uint8_t *spki,
		    size_t len, char **out, struct kr_err *err) KR_WUR;

/* ---- MCUboot (mcuboot.c) ----------------------------------------------- */

struct kr_mcuboot_version {
	uint8_t		major;
	uint8_t		minor;
	uint16_t	revision;
	uint32_t	build;
};

/* "1", "1.2", "1.2.3" or "1.2.3+4" (decimal); NULL or "" is 0.0.0+0. */
int		 kr_mcuboot_version_parse(const char *,
		    struct kr_mcuboot_version *, struct kr_err *) KR_WUR;

/*
 * The public key as MCUboot embeds it and hashes it for the KEYHASH TLV:
 * the SPKI DER for EC and Ed25519 keys, the PKCS#1 RSAPublicKey for RSA.
 * Points into `spki`.
 */
int		 kr_mcuboot_key_bytes(const uint8_t *spki, size_t len,
		    const uint8_t **out, size_t *outlen, struct kr_err *err)
		    KR_WUR;
/*
 * The key as a C source file in imgtool's "getpub --lang c" form:
 * "const unsigned char ecdsa_pub_key[] = { ... };" and its length.
 * malloc'd, NUL-terminated.
 */
int		 kr_mcuboot_pubkey_c(const uint8_t *, size_t, char **,
		    struct kr_err *) KR_WUR;

/* What kr_mcuboot_check() found in an image. */
struct kr_mcuboot_info {
	uint32_t			load_addr;
	uint32_t			header_size;
	uint32_t			prot_tlv_size;
	uint32_t			img_size;
	uint32_t			flags;
	struct kr_mcuboot_version	version;
	bool				has_security_counter;
	uint32_t			security_counter;
	uint32_t			tlv_size;	/* unprotected area */
	enum kr_hash_alg		hash_alg;
	uint16_t			sig_type;
};

/*
 * Parses a signed MCUboot image in memory strictly (header magic, sizes,
 * both TLV areas ending where they say, the image ending with the TLV
 * area) and checks its hash TLV, its KEYHASH against the SPKI given and
 * its signature.  KR_EINPUT for a malformed image, KR_EVERIFY for a hash,
 * key hash or signature that does not match.  out may be NULL.
 */
int		 kr_mcuboot_check(const uint8_t *img, size_t len,
		    const uint8_t *spki, size_t spki_len,
		    struct kr_mcuboot_info *out, struct kr_err *err) KR_WUR;

/* ---- RAUC (rauc.c) ----------------------------------------------------- */

/*
 * Finds the squashfs in a RAUC input (in memory; files are read the same
 * way, a few bytes at the start and the end): a squashfs ("hsqs" magic,
 * version 4, its bytes_used inside the file), or a plain bundle
 * (squashfs, CMS DER, 8-byte big-endian CMS length) whose signature is to
 * be replaced.  *sq_len receives the squashfs length, *bundle whether the
 * input was a bundle.  `label` names the input in messages.
 */
int		 kr_rauc_split(const char *label, const uint8_t *buf,
		    size_t len, uint64_t *sq_len, bool *bundle,
		    struct kr_err *err) KR_WUR;

#endif /* KEYRITE_FIRMWARE_H */
