/*
 * Growable byte buffers and a bounds-checked reader for binary formats.
 */
#include <stdlib.h>
#include <string.h>

#include <keyrite/base.h>

void
kr_buf_init(struct kr_buf *b, bool secure)
{
	memset(b, 0, sizeof(*b));
	b->secure = secure;
}

void
kr_buf_free(struct kr_buf *b)
{
	if (b == NULL)
		return;
	if (b->secure)
		kr_secure_free(b->p);
	else
		free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static bool
kr_buf_grow(struct kr_buf *b, size_t need)
{
	uint8_t	*np;
	size_t	 cap;

	if (b->failed)
		return false;
	if (need <= b->cap)
		return true;
	for (cap = b->cap ? b->cap : 64; cap < need; cap *= 2)
		if (cap > SIZE_MAX / 2)
			goto fail;
	np = b->secure ? kr_secure_alloc(cap) : malloc(cap);
	if (np == NULL)
		goto fail;
	if (b->len > 0)
		memcpy(np, b->p, b->len);
	if (b->secure)
		kr_secure_free(b->p);
	else
		free(b->p);
	b->p = np;
	b->cap = cap;
	return true;
fail:
	b->failed = true;
	return false;
}

void
kr_buf_put(struct kr_buf *b, const void *data, size_t len)
{
	if (len == 0)
		return;
	if (b->len > SIZE_MAX - len || !kr_buf_grow(b, b->len + len)) {
		b->failed = true;
		return;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

void
kr_buf_put_u8(struct kr_buf *b, uint8_t v)
{
	kr_buf_put(b, &v, 1);
}

void
kr_buf_put_u16(struct kr_buf *b, uint16_t v)
{
	uint8_t	o[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	kr_buf_put(b, o, sizeof(o));
}

void
kr_buf_put_u32(struct kr_buf *b, uint32_t v)
{
	uint8_t	o[4];
	int	i;

	for (i = 0; i < 4; i++)
		o[i] = (uint8_t)(v >> (24 - 8 * i));
	kr_buf_put(b, o, sizeof(o));
}

void
kr_buf_put_u64(struct kr_buf *b, uint64_t v)
{
	uint8_t	o[8];
	int	i;

	for (i = 0; i < 8; i++)
		o[i] = (uint8_t)(v >> (56 - 8 * i));
	kr_buf_put(b, o, sizeof(o));
}

int
kr_buf_status(const struct kr_buf *b, struct kr_err *err)
{
	if (b->failed)
		return kr_err_set(err, KR_ENOMEM, "out of memory while "
		    "building a file");
	return KR_OK;
}

void
kr_rd_init(struct kr_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->bad = false;
}

size_t
kr_rd_left(const struct kr_rd *r)
{
	return r->bad ? 0 : r->len - r->off;
}

const uint8_t *
kr_rd_bytes(struct kr_rd *r, size_t n)
{
	const uint8_t	*p;

	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

void
kr_rd_copy(struct kr_rd *r, void *out, size_t n)
{
	const uint8_t	*p = kr_rd_bytes(r, n);

	if (p != NULL)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

static uint64_t
kr_rd_be(struct kr_rd *r, size_t n)
{
	const uint8_t	*p = kr_rd_bytes(r, n);
	uint64_t	 v = 0;
	size_t		 i;

	if (p == NULL)
		return 0;
	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

uint8_t
kr_rd_u8(struct kr_rd *r)
{
	return (uint8_t)kr_rd_be(r, 1);
}

uint16_t
kr_rd_u16(struct kr_rd *r)
{
	return (uint16_t)kr_rd_be(r, 2);
}

uint32_t
kr_rd_u32(struct kr_rd *r)
{
	return (uint32_t)kr_rd_be(r, 4);
}

uint64_t
kr_rd_u64(struct kr_rd *r)
{
	return kr_rd_be(r, 8);
}

void
kr_buf_put_sum(struct kr_buf *b, const char *hex, const char *name)
{
	kr_buf_put(b, hex, 64);
	kr_buf_put(b, "  ", 2);
	kr_buf_put(b, name, strlen(name));
	kr_buf_put_u8(b, '\n');
}
