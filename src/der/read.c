/*
 * The strict DER reader (include/keyrite/der.h).
 *
 * Written by hand because Mbed TLS's asn1parse accepts lengths that are
 * not in their shortest form.  DER (X.690 10.1) wants the definite form
 * with the fewest octets; keyrite also refuses high tag numbers, which no
 * structure it reads uses.
 */
#include <string.h>

#include <keyrite/der.h>

void
kr_der_init(struct kr_der *d, const uint8_t *p, size_t len)
{
	d->p = p;
	d->end = p + len;
}

bool
kr_der_at_end(const struct kr_der *d)
{
	return d->p == d->end;
}

int
kr_der_done(const struct kr_der *d)
{
	return d->p == d->end ? KR_OK : KR_EINPUT;
}

/*
 * Reads a tag and a length at d->p.  On success *hdr is the number of
 * header bytes and *len the content length, which fits in what is left.
 */
static int
der_header(const struct kr_der *d, uint8_t *tag, size_t *hdr, size_t *len)
{
	const uint8_t	*p = d->p;
	size_t		 left = (size_t)(d->end - d->p), n, i, l;

	if (left < 2)
		return KR_EINPUT;
	if ((p[0] & 0x1f) == 0x1f)
		return KR_EINPUT;		/* high tag number form */
	*tag = p[0];
	if (p[1] < 0x80) {
		*hdr = 2;
		*len = p[1];
	} else {
		n = p[1] & 0x7f;
		/* 0x80 is the indefinite form; 4 octets cover 4 GiB */
		if (n == 0 || n > 4 || left < 2 + n || p[2] == 0)
			return KR_EINPUT;
		for (l = 0, i = 0; i < n; i++)
			l = (l << 8) | p[2 + i];
		if (l < 0x80)
			return KR_EINPUT;	/* short form was due */
		*hdr = 2 + n;
		*len = l;
	}
	if (*len > left - *hdr)
		return KR_EINPUT;
	return KR_OK;
}

bool
kr_der_peek(const struct kr_der *d, uint8_t tag)
{
	return d->p < d->end && d->p[0] == tag;
}

int
kr_der_get_any(struct kr_der *d, uint8_t *tag, struct kr_slice *content,
    struct kr_slice *whole)
{
	size_t	hdr, len;

	if (der_header(d, tag, &hdr, &len) != KR_OK)
		return KR_EINPUT;
	content->p = d->p + hdr;
	content->len = len;
	if (whole != NULL) {
		whole->p = d->p;
		whole->len = hdr + len;
	}
	d->p += hdr + len;
	return KR_OK;
}

int
kr_der_get_whole(struct kr_der *d, uint8_t tag, struct kr_slice *content,
    struct kr_slice *whole)
{
	struct kr_der	save = *d;
	uint8_t		t;

	if (kr_der_get_any(d, &t, content, whole) != KR_OK)
		return KR_EINPUT;
	if (t != tag) {
		*d = save;
		return KR_EINPUT;
	}
	return KR_OK;
}

int
kr_der_get(struct kr_der *d, uint8_t tag, struct kr_slice *content)
{
	return kr_der_get_whole(d, tag, content, NULL);
}

int
kr_der_enter(struct kr_der *d, uint8_t tag, struct kr_der *sub)
{
	struct kr_slice	c;

	if ((tag & 0x20) == 0 || kr_der_get(d, tag, &c) != KR_OK)
		return KR_EINPUT;
	kr_der_init(sub, c.p, c.len);
	return KR_OK;
}

int
kr_der_get_bool(struct kr_der *d, bool *v)
{
	struct kr_der	save = *d;
	struct kr_slice	c;

	if (kr_der_get(d, KR_DER_BOOLEAN, &c) != KR_OK)
		return KR_EINPUT;
	if (c.len != 1 || (c.p[0] != 0x00 && c.p[0] != 0xff)) {
		*d = save;
		return KR_EINPUT;
	}
	*v = c.p[0] == 0xff;
	return KR_OK;
}

static bool
integer_minimal(const struct kr_slice *c)
{
	if (c->len == 0)
		return false;
	if (c->len == 1)
		return true;
	if (c->p[0] == 0x00 && (c->p[1] & 0x80) == 0)
		return false;
	if (c->p[0] == 0xff && (c->p[1] & 0x80) != 0)
		return false;
	return true;
}

int
kr_der_get_integer(struct kr_der *d, struct kr_slice *c)
{
	struct kr_der	save = *d;

	if (kr_der_get(d, KR_DER_INTEGER, c) != KR_OK)
		return KR_EINPUT;
	if (!integer_minimal(c)) {
		*d = save;
		return KR_EINPUT;
	}
	return KR_OK;
}

int
kr_der_get_small_int_tag(struct kr_der *d, uint8_t tag, int *v)
{
	struct kr_der	save = *d;
	struct kr_slice	c;
	size_t		i;
	int		x = 0;

	if (kr_der_get(d, tag, &c) != KR_OK)
		return KR_EINPUT;
	/* non-negative, minimal, at most 31 bits */
	if (!integer_minimal(&c) || (c.p[0] & 0x80) != 0 || c.len > 4) {
		*d = save;
		return KR_EINPUT;
	}
	for (i = 0; i < c.len; i++)
		x = (x << 8) | c.p[i];
	*v = x;
	return KR_OK;
}

int
kr_der_get_small_int(struct kr_der *d, int *v)
{
	return kr_der_get_small_int_tag(d, KR_DER_INTEGER, v);
}

int
kr_der_get_oid(struct kr_der *d, struct kr_oid *oid)
{
	struct kr_der	save = *d;
	struct kr_slice	c;

	if (kr_der_get(d, KR_DER_OID, &c) != KR_OK)
		return KR_EINPUT;
	if (c.len > sizeof(oid->der) || !kr_der_oid_valid(c.p, c.len)) {
		*d = save;
		return KR_EINPUT;
	}
	memcpy(oid->der, c.p, c.len);
	oid->len = c.len;
	return KR_OK;
}

int
kr_der_get_bitstring(struct kr_der *d, struct kr_slice *bits,
    unsigned *unused)
{
	struct kr_der	save = *d;
	struct kr_slice	c;
	unsigned	u;

	if (kr_der_get(d, KR_DER_BIT_STRING, &c) != KR_OK)
		return KR_EINPUT;
	if (c.len == 0)
		goto bad;
	u = c.p[0];
	if (u > 7 || (c.len == 1 && u != 0))
		goto bad;
	/* DER: the unused bits are zero (X.690 11.2.1) */
	if (u != 0 && (c.p[c.len - 1] & ((1u << u) - 1)) != 0)
		goto bad;
	bits->p = c.p + 1;
	bits->len = c.len - 1;
	*unused = u;
	return KR_OK;
bad:
	*d = save;
	return KR_EINPUT;
}

int
kr_der_get_null(struct kr_der *d)
{
	struct kr_der	save = *d;
	struct kr_slice	c;

	if (kr_der_get(d, KR_DER_NULL, &c) != KR_OK)
		return KR_EINPUT;
	if (c.len != 0) {
		*d = save;
		return KR_EINPUT;
	}
	return KR_OK;
}

int
kr_der_get_uint_fixed(struct kr_der *d, size_t max, uint8_t *out)
{
	struct kr_der	save = *d;
	struct kr_slice	c;

	if (kr_der_get_integer(d, &c) != KR_OK)
		return KR_EINPUT;
	/* positive and not zero; a leading 0x00 only keeps the sign */
	if ((c.p[0] & 0x80) != 0 || (c.len == 1 && c.p[0] == 0x00))
		goto bad;
	if (c.p[0] == 0x00) {
		c.p++;
		c.len--;
	}
	if (c.len > max)
		goto bad;
	memset(out, 0, max - c.len);
	memcpy(out + max - c.len, c.p, c.len);
	return KR_OK;
bad:
	*d = save;
	return KR_EINPUT;
}
