/*
 * RAUC plain bundles:
 *
 *   squashfs | CMS SignedData (DER, detached over the squashfs) |
 *   u64 big-endian length of the CMS
 *
 * The input is a squashfs made with mksquashfs (holding manifest.raucm
 * and the images it names), or a plain bundle whose signature is replaced:
 * its old CMS and length are dropped and the squashfs signed again.
 *
 * A bundle is told from a bare squashfs by its end: the last 8 bytes give
 * a length n, and the n bytes before them are exactly one DER SEQUENCE,
 * starting at or after the end of the squashfs (its superblock's
 * bytes_used).  mksquashfs pads its output with zeros to 4 KiB, so a bare
 * squashfs ends in a zero length and never reads as a bundle.
 */
#include <stdlib.h>
#include <string.h>

#include "firmware_int.h"

#define SQ_SUPER_BYTES	96
#define SQ_MAGIC	"hsqs"		/* 0x73717368, little-endian */
#define SQ_MAJOR	4
#define RAUC_LEN_BYTES	8

static uint64_t
le64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
be64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The squashfs superblock: magic, version 4, bytes_used in the file. */
static int
check_super(struct kr_fw_input *in, uint64_t *used, struct kr_err *err)
{
	uint8_t	sb[SQ_SUPER_BYTES];
	int	ret;

	if (in->size < SQ_SUPER_BYTES)
		return kr_err_set(err, KR_EINPUT, "%s is not a squashfs image "
		    "(only %llu bytes): a RAUC plain bundle carries a squashfs "
		    "made with mksquashfs", in->label,
		    (unsigned long long)in->size);
	if ((ret = kr_fw_input_pread(in, 0, sb, sizeof(sb), err)) != KR_OK)
		return ret;
	if (memcmp(sb, SQ_MAGIC, 4) != 0)
		return kr_err_set(err, KR_EINPUT, "%s is not a squashfs image "
		    "(it does not start with the squashfs magic \"hsqs\"): a "
		    "RAUC plain bundle carries a squashfs made with "
		    "mksquashfs", in->label);
	if ((sb[28] | sb[29] << 8) != SQ_MAJOR)
		return kr_err_set(err, KR_EINPUT, "%s is a squashfs of version "
		    "%u, not 4", in->label, (unsigned)(sb[28] | sb[29] << 8));
	*used = le64(sb + 40);
	if (*used < SQ_SUPER_BYTES || *used > in->size)
		return kr_err_set(err, KR_EINPUT, "%s: its squashfs says it "
		    "uses %llu bytes, but the file has %llu", in->label,
		    (unsigned long long)*used, (unsigned long long)in->size);
	return KR_OK;
}

/* Whether `n` bytes at `off` start as one DER SEQUENCE of exactly n. */
static int
is_one_sequence(struct kr_fw_input *in, uint64_t off, uint64_t n,
    bool *yes, struct kr_err *err)
{
	uint8_t		h[6];
	uint64_t	len = 0;
	size_t		hl, i;
	int		ret;

	*yes = false;
	if (n < 2)
		return KR_OK;
	if ((ret = kr_fw_input_pread(in, off, h, n < sizeof(h) ? (size_t)n :
	    sizeof(h), err)) != KR_OK)
		return ret;
	if (h[0] != 0x30)
		return KR_OK;
	if (h[1] < 0x80) {
		len = h[1];
		hl = 2;
	} else {
		hl = 2 + (size_t)(h[1] & 0x7f);
		if (hl < 3 || hl > sizeof(h) || n < hl)
			return KR_OK;
		for (i = 2; i < hl; i++)
			len = len << 8 | h[i];
	}
	*yes = hl + len == n;
	return KR_OK;
}

int
kr_fw_rauc_split_input(struct kr_fw_input *in, uint64_t *sq_len,
    bool *bundle, struct kr_err *err)
{
	uint8_t		tail[RAUC_LEN_BYTES];
	uint64_t	used = 0, n, off;
	bool		yes = false;
	int		ret;

	*bundle = false;
	*sq_len = in->size;
	if ((ret = check_super(in, &used, err)) != KR_OK)
		return ret;
	if (in->size - used < RAUC_LEN_BYTES + 2)
		return KR_OK;
	if ((ret = kr_fw_input_pread(in, in->size - RAUC_LEN_BYTES, tail,
	    sizeof(tail), err)) != KR_OK)
		return ret;
	n = be64(tail);
	if (n == 0 || n > in->size - used - RAUC_LEN_BYTES)
		return KR_OK;
	off = in->size - RAUC_LEN_BYTES - n;
	if ((ret = is_one_sequence(in, off, n, &yes, err)) != KR_OK)
		return ret;
	if (yes) {
		*bundle = true;
		*sq_len = off;
	}
	return KR_OK;
}

int
kr_rauc_split(const char *label, const uint8_t *buf, size_t len,
    uint64_t *sq_len, bool *bundle, struct kr_err *err)
{
	struct kr_fw_input	in;
	int			ret;

	if ((ret = kr_fw_input_buf(&in, label, buf, len, err)) != KR_OK)
		return ret;
	return kr_fw_rauc_split_input(&in, sq_len, bundle, err);
}

int
kr_fw_do_rauc(struct kr_fw_ctx *c)
{
	struct kr_fw_result	*r = c->res;
	struct kr_buf		 t;
	uint8_t			*cms = NULL;
	size_t			 cmslen = 0;
	uint64_t		 sq_len;
	bool			 bundle;
	int			 ret;

	if ((ret = kr_fw_cms_key_check(c)) != KR_OK ||
	    (ret = kr_fw_rauc_split_input(c->in, &sq_len, &bundle,
	    c->err)) != KR_OK ||
	    (ret = kr_fw_cms_sign(c, sq_len, &cms, &cmslen)) != KR_OK ||
	    c->check)
		return ret;
	kr_buf_init(&t, false);
	kr_buf_put(&t, cms, cmslen);
	kr_buf_put_u64(&t, (uint64_t)cmslen);
	free(cms);
	if ((ret = kr_buf_status(&t, c->err)) != KR_OK) {
		kr_buf_free(&t);
		return ret;
	}
	r->copy_off = 0;
	r->copy_len = sq_len;
	r->tail = t.p;
	r->tail_len = t.len;
	return KR_OK;
}
