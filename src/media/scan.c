/*
 * The scan for private keys in everything that leaves (media.c,
 * stream.c).  Anywhere in the bytes: a PEM private key block (OpenSSH's
 * armour included) and the Base64 line of a minisign secret key.  At the
 * start only, as a file holds them: DER PKCS#8 (plain and encrypted),
 * SEC1 EC and PKCS#1 RSA private keys, OpenSSH's binary key
 * ("openssh-key-v1\0") and minisign's, and a minisign secret key file.
 *
 * A signed image is arbitrary bytes, so the binary forms are anchored:
 * the file starts with the structure, every length in it agrees with the
 * one around it, and the outer one fits the file.  A certificate, a CRL,
 * an OCSP response or a CMS signature starts with a SEQUENCE too, but
 * not with one of these shapes.  The scan reads DER headers only; it is
 * no parser (der/ holds the one reader).
 */
#include <string.h>

#include "media_int.h"

/* --- PEM blocks and minisign lines, anywhere ----------------------------- */

static const char	kr_media_key_mark[] = "PRIVATE KEY-----";

#define KR_MEDIA_KEY_GAP	8

/* The longest match, mark + gap + one Base64 character, less one. */
_Static_assert(sizeof(kr_media_key_mark) - 1 + KR_MEDIA_KEY_GAP + 1 - 1 ==
    KR_MEDIA_CARRY, "the streaming scan keeps one byte less than the "
    "longest match");

/*
 * The Base64 of a minisign secret key's first bytes: "Ed", the KDF
 * ("Sc" scrypt, or two NULs: none), the checksum ("B2").  A public key
 * starts "RWT"/"RWQ" with other bytes after.
 */
static const char *const kr_media_minisign_b64[] = { "RWRTY0Iy", "RWQAAEIy" };

/* A line of it: a line start, the 8 characters and 16 more Base64. */
#define KR_MEDIA_MINISIGN_MORE	16
_Static_assert(1 + 8 + KR_MEDIA_MINISIGN_MORE - 1 <= KR_MEDIA_CARRY,
    "the streaming scan finds a minisign line at a seam");

static bool
kr_media_b64(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* After the mark: blanks holding a line feed, then Base64. */
static bool
kr_media_block_follows(const uint8_t *q, const uint8_t *end)
{
	const uint8_t	*stop = end - q > KR_MEDIA_KEY_GAP ?
			    q + KR_MEDIA_KEY_GAP : end;
	bool		 lf = false;

	for (; q < stop && (*q == ' ' || *q == '\t' || *q == '\r' ||
	    *q == '\n'); q++)
		lf = lf || *q == '\n';
	return lf && q < end && kr_media_b64(*q);
}

/*
 * What the label before the mark says the block is: "-----BEGIN ", the
 * kind's word (none for PKCS#8), then the mark.  The table holds the
 * words only; no whole label stands in the source.
 */
static const char *
kr_media_pem_kind(const uint8_t *start, const uint8_t *mark, size_t *back)
{
	static const char	begin[] = "-----BEGIN ";
	static const struct {
		const char	*word;
		const char	*what;
	} kinds[] = {
		{ "ENCRYPTED ", "a PEM encrypted PKCS#8 private key" },
		{ "EC ", "a PEM SEC1 EC private key" },
		{ "RSA ", "a PEM PKCS#1 RSA private key" },
		{ "OPENSSH ", "an OpenSSH private key" },
		{ "", "a PEM PKCS#8 private key" },
	};
	size_t	i, w, b = sizeof(begin) - 1;

	*back = 0;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		w = strlen(kinds[i].word);
		if ((size_t)(mark - start) >= b + w &&
		    memcmp(mark - w, kinds[i].word, w) == 0 &&
		    memcmp(mark - w - b, begin, b) == 0) {
			*back = b + w;
			return kinds[i].what;
		}
	}
	return "a PEM private key block";
}

static bool
kr_media_pem_found(const uint8_t *p, const uint8_t *end,
    struct kr_media_hit *hit)
{
	const uint8_t	*start = p, *h;
	size_t		 n = sizeof(kr_media_key_mark) - 1, back;

	while ((size_t)(end - p) >= n &&
	    (h = memchr(p, 'P', (size_t)(end - p) - n + 1)) != NULL) {
		if (memcmp(h, kr_media_key_mark, n) == 0 &&
		    kr_media_block_follows(h + n, end)) {
			hit->what = kr_media_pem_kind(start, h, &back);
			hit->off = (uint64_t)(h - back - start);
			return true;
		}
		p = h + 1;
	}
	return false;
}

/* The minisign line at q (a line start), with Base64 after its head. */
static bool
kr_media_minisign_at(const uint8_t *q, const uint8_t *end)
{
	size_t	i, k;

	if (end - q < 8 + KR_MEDIA_MINISIGN_MORE)
		return false;
	for (i = 0; i < 2; i++) {
		if (memcmp(q, kr_media_minisign_b64[i], 8) != 0)
			continue;
		for (k = 8; k < 8 + KR_MEDIA_MINISIGN_MORE &&
		    kr_media_b64(q[k]); k++)
			continue;
		if (k == 8 + KR_MEDIA_MINISIGN_MORE)
			return true;
	}
	return false;
}

static bool
kr_media_minisign_found(const uint8_t *p, const uint8_t *end, bool bol,
    struct kr_media_hit *hit)
{
	const uint8_t	*start = p, *q;

	if (bol && kr_media_minisign_at(p, end))
		q = p;
	else {
		for (q = NULL; p < end && (p = memchr(p, '\n',
		    (size_t)(end - p))) != NULL; p++)
			if (kr_media_minisign_at(p + 1, end)) {
				q = p + 1;
				break;
			}
		if (q == NULL)
			return false;
	}
	hit->what = "a minisign secret key (its Base64 line)";
	hit->off = (uint64_t)(q - start);
	return true;
}

bool
kr_media_key_found(const void *data, size_t len, bool bol,
    struct kr_media_hit *hit)
{
	const uint8_t	*p = data;

	return kr_media_pem_found(p, p + len, hit) ||
	    kr_media_minisign_found(p, p + len, bol, hit);
}

/* --- binary keys at the start -------------------------------------------- */

/*
 * A DER element header at *p: tag, length (definite, at most 4 bytes of
 * it) and where its contents start.  False when the header does not fit
 * before `end` or is not DER.
 */
struct kr_media_tlv {
	uint8_t		tag;
	uint64_t	len;
	const uint8_t	*val;
};

static bool
kr_media_tlv(const uint8_t *p, const uint8_t *end, struct kr_media_tlv *t)
{
	size_t	n, i;

	if (end - p < 2)
		return false;
	t->tag = p[0];
	if (p[1] < 0x80) {
		t->len = p[1];
		t->val = p + 2;
		return true;
	}
	n = p[1] & 0x7f;
	if (n == 0 || n > 4 || (size_t)(end - p) < 2 + n || p[2] == 0)
		return false;
	for (t->len = 0, i = 0; i < n; i++)
		t->len = t->len << 8 | p[2 + i];
	if (t->len < 0x80)
		return false;
	t->val = p + 2 + n;
	return true;
}

/*
 * Walks the elements inside a SEQUENCE whose contents run from `p` to
 * `lim` (its declared end), all of it at hand (`end` >= `lim`: a private
 * key is a few kilobytes; a structure longer than what is at hand is a
 * certificate, a CRL or an image, never refused as a key).  `tags` are
 * the tags expected in order; a tag with 0x100 set is optional.  Every
 * element must lie inside the SEQUENCE and together they fill it
 * exactly.  `first_int`: the value of a first INTEGER must be this (-1:
 * any).
 */
static bool
kr_media_seq_is(const uint8_t *p, const uint8_t *lim, const uint8_t *end,
    const unsigned *tags, size_t ntags, int first_int)
{
	struct kr_media_tlv	t;
	size_t			i;

	if (lim > end)
		return false;
	for (i = 0; i < ntags && p < lim; i++) {
		if (!kr_media_tlv(p, end, &t) ||
		    t.tag != (uint8_t)tags[i]) {
			if ((tags[i] & 0x100) != 0)
				continue;
			return false;
		}
		if (t.len > (uint64_t)(lim - t.val))
			return false;
		if (i == 0 && first_int >= 0 && (t.len != 1 ||
		    t.val[0] != first_int))
			return false;
		p = t.val + t.len;
	}
	/* Required elements left over, or bytes after the last. */
	for (; i < ntags; i++)
		if ((tags[i] & 0x100) == 0)
			return false;
	return p == lim;
}

#define OPT	0x100
static const unsigned	kr_p8_tags[] = { 0x02, 0x30, 0x04, 0xa0 | OPT,
			    0x81 | OPT, 0xa1 | OPT };
static const unsigned	kr_p8_enc_tags[] = { 0x30, 0x04 };
static const unsigned	kr_sec1_tags[] = { 0x02, 0x04, 0xa0 | OPT,
			    0xa1 | OPT };
static const unsigned	kr_p1_tags[] = { 0x02, 0x02, 0x02, 0x02, 0x02,
			    0x02, 0x02, 0x02, 0x02, 0x30 | OPT };
#undef OPT

static const struct {
	const unsigned	*tags;
	size_t		 ntags;
	int		 version;
	const char	*what;
} kr_media_der_keys[] = {
	{ kr_p8_tags, 6, 0, "a DER PKCS#8 private key" },
	{ kr_p8_tags, 6, 1, "a DER PKCS#8 (v2) private key" },
	{ kr_sec1_tags, 4, 1, "a DER SEC1 EC private key" },
	{ kr_p1_tags, 10, 0, "a DER PKCS#1 RSA private key" },
	{ kr_p1_tags, 10, 1, "a DER PKCS#1 RSA (multi-prime) private key" },
	{ kr_p8_enc_tags, 2, -1, "a DER encrypted PKCS#8 private key" },
};

static bool
kr_media_der_key(const uint8_t *p, size_t avail, uint64_t total,
    struct kr_media_hit *hit)
{
	struct kr_media_tlv	t;
	const uint8_t		*end = p + avail, *lim;
	size_t			 i;

	if (!kr_media_tlv(p, end, &t) || t.tag != 0x30 ||
	    t.len > total - (uint64_t)(t.val - p) || t.len == 0)
		return false;
	lim = t.val + t.len;
	for (i = 0; i < sizeof(kr_media_der_keys) /
	    sizeof(kr_media_der_keys[0]); i++)
		if (kr_media_seq_is(t.val, lim, end, kr_media_der_keys[i].tags,
		    kr_media_der_keys[i].ntags, kr_media_der_keys[i].version)) {
			hit->what = kr_media_der_keys[i].what;
			hit->off = 0;
			return true;
		}
	return false;
}

/* A length-prefixed name of OpenSSH's key format: printable, short. */
static bool
kr_media_ssh_name(const uint8_t **p, const uint8_t *end)
{
	uint32_t	n;
	size_t		i;

	if (end - *p < 4)
		return false;
	n = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 |
	    (uint32_t)(*p)[2] << 8 | (*p)[3];
	if (n == 0 || n > 64 || (size_t)(end - *p) < 4 + n)
		return false;
	for (i = 0; i < n; i++)
		if ((*p)[4 + i] < 0x21 || (*p)[4 + i] > 0x7e)
			return false;
	*p += 4 + n;
	return true;
}

/* "openssh-key-v1\0", then a cipher name and a KDF name. */
static bool
kr_media_ssh_key(const uint8_t *p, size_t avail)
{
	static const char	magic[] = "openssh-key-v1";
	const uint8_t		*end = p + avail;

	if (avail < sizeof(magic) || memcmp(p, magic, sizeof(magic)) != 0)
		return false;
	p += sizeof(magic);
	return kr_media_ssh_name(&p, end) && kr_media_ssh_name(&p, end);
}

bool
kr_media_key_head(const void *data, size_t avail, uint64_t total,
    struct kr_media_hit *hit)
{
	static const char	comment[] = "untrusted comment: ";
	const uint8_t		*p = data;
	const uint8_t		*nl;

	if (kr_media_der_key(p, avail, total, hit))
		return true;
	hit->off = 0;
	if (kr_media_ssh_key(p, avail)) {
		hit->what = "an OpenSSH private key (binary, openssh-key-v1)";
		return true;
	}
	if (avail >= 6 && memcmp(p, "Ed", 2) == 0 && memcmp(p + 4, "B2", 2) ==
	    0 && (memcmp(p + 2, "Sc", 2) == 0 || memcmp(p + 2, "\0\0", 2) == 0)) {
		hit->what = "a minisign secret key (binary)";
		return true;
	}
	if (avail > sizeof(comment) && memcmp(p, comment, sizeof(comment) -
	    1) == 0 && (nl = memchr(p, '\n', avail)) != NULL &&
	    kr_media_minisign_at(nl + 1, p + avail)) {
		hit->what = "a minisign secret key file";
		return true;
	}
	return false;
}
