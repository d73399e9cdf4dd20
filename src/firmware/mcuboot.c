/*
 * MCUboot signed images, as MCUboot's bootutil (image.h) reads them and
 * imgtool writes them.  All fields little-endian.
 *
 *   header (32 bytes, then padding to header_size):
 *     u32 magic 0x96f3b83d, u32 load address, u16 header size,
 *     u16 protected TLV size, u32 image size, u32 flags,
 *     u8 major, u8 minor, u16 revision, u32 build, u32 0
 *   image (image size bytes)
 *   protected TLVs, when asked: u16 0x6908, u16 total (with this info),
 *     then TLVs: u16 type, u16 length, value.  SEC_CNT (0x50) = u32.
 *   TLVs: u16 0x6907, u16 total, then
 *     SHA256 (0x10) or SHA384 (0x11): hash of header, image and
 *       protected TLVs
 *     KEYHASH (0x01): the same hash of the key (SPKI DER; RSAPublicKey
 *       for RSA)
 *     signature: ECDSA_SIG (0x22, DER, P-256 or P-384), RSA3072_PSS
 *       (0x23, PSS SHA-256 salt 32), ED25519 (0x24, pure Ed25519 over the
 *       hash itself)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/der.h>

#include "firmware_int.h"

#define MB_MAGIC		0x96f3b83dU
#define MB_HDR			32
#define MB_TLV_INFO		0x6907
#define MB_TLV_PROT_INFO	0x6908
#define MB_TLV_KEYHASH		0x01
#define MB_TLV_SHA256		0x10
#define MB_TLV_SHA384		0x11
#define MB_TLV_ECDSA_SIG	0x22
#define MB_TLV_RSA3072_PSS	0x23
#define MB_TLV_ED25519		0x24
#define MB_TLV_SEC_CNT		0x50
#define MB_F_RAM_LOAD		0x20
#define MB_ERASED		0xff
#define MB_MAX_SECTORS		128
#define MB_SEC_CNT_AREA		(4 + 4 + 4)
#define MB_TLV_AREA_MAX		(4 + 3 * 4 + 2 * 48 + KR_SIG_MAX_BYTES)

/* How each key algorithm signs an MCUboot image. */
struct mb_scheme {
	enum kr_key_alg		key;
	enum kr_sig_alg		sig;
	enum kr_hash_alg	hash;
	uint16_t		hash_tlv;
	uint16_t		sig_tlv;
	size_t			sig_max;
};

static const struct mb_scheme mb_schemes[] = {
	{ KR_KEY_P256, KR_SIG_ECDSA_P256_SHA256, KR_HASH_SHA256,
	    MB_TLV_SHA256, MB_TLV_ECDSA_SIG, 72 },
	{ KR_KEY_P384, KR_SIG_ECDSA_P384_SHA384, KR_HASH_SHA384,
	    MB_TLV_SHA384, MB_TLV_ECDSA_SIG, 104 },
	{ KR_KEY_ED25519, KR_SIG_ED25519, KR_HASH_SHA256,
	    MB_TLV_SHA256, MB_TLV_ED25519, 64 },
	{ KR_KEY_RSA3072, KR_SIG_RSA_PSS_SHA256, KR_HASH_SHA256,
	    MB_TLV_SHA256, MB_TLV_RSA3072_PSS, 384 },
};

#define MB_NSCHEMES	(sizeof(mb_schemes) / sizeof(mb_schemes[0]))

static const struct mb_scheme *
mb_scheme_for(enum kr_key_alg alg)
{
	size_t	i;

	for (i = 0; i < MB_NSCHEMES; i++)
		if (mb_schemes[i].key == alg)
			return &mb_schemes[i];
	return NULL;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

/* ---- versions and keys ------------------------------------------------- */

/* One decimal field of at most `max`; *s moves past it. */
static bool
version_field(const char **s, uint64_t max, uint64_t *v)
{
	const char	*p = *s;

	*v = 0;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		*v = *v * 10 + (uint64_t)(*p - '0');
		if (*v > max)
			return false;
	}
	*s = p;
	return true;
}

int
kr_mcuboot_version_parse(const char *s, struct kr_mcuboot_version *v,
    struct kr_err *err)
{
	static const uint64_t	 max[4] = { 255, 255, 65535, 4294967295U };
	static const char	 sep[3] = { '.', '.', '+' };
	const char		*p = s;
	uint64_t		 f[4] = { 0, 0, 0, 0 };
	size_t			 i;

	memset(v, 0, sizeof(*v));
	if (s == NULL || *s == '\0')
		return KR_OK;
	for (i = 0; ; i++) {
		if (!version_field(&p, max[i], &f[i]))
			goto bad;
		if (*p == '\0')
			break;
		if (i == 3 || *p != sep[i])
			goto bad;
		p++;
	}
	v->major = (uint8_t)f[0];
	v->minor = (uint8_t)f[1];
	v->revision = (uint16_t)f[2];
	v->build = (uint32_t)f[3];
	return KR_OK;
bad:
	return kr_err_set(err, KR_EINPUT, "MCUboot version \"%.64s\" is not "
	    "major.minor.revision+build (decimal, at most "
	    "255.255.65535+4294967295)", s);
}

/* The subjectPublicKey BIT STRING contents of an SPKI. */
static int
spki_key_bits(const uint8_t *spki, size_t len, struct kr_slice *bits)
{
	struct kr_der	d, seq;
	struct kr_slice	alg;
	unsigned	unused;

	kr_der_init(&d, spki, len);
	if (kr_der_enter(&d, KR_DER_SEQUENCE, &seq) != KR_OK ||
	    kr_der_get(&seq, KR_DER_SEQUENCE, &alg) != KR_OK ||
	    kr_der_get_bitstring(&seq, bits, &unused) != KR_OK ||
	    unused != 0 || kr_der_done(&seq) != KR_OK ||
	    kr_der_done(&d) != KR_OK)
		return KR_EINPUT;
	return KR_OK;
}

int
kr_mcuboot_key_bytes(const uint8_t *spki, size_t len, const uint8_t **out,
    size_t *outlen, struct kr_err *err)
{
	struct kr_spki_info	info;
	struct kr_slice		bits;
	int			ret;

	if ((ret = kr_spki_parse(spki, len, &info, err)) != KR_OK)
		return ret;
	if (info.type != KR_PK_RSA) {
		*out = spki;
		*outlen = len;
		return KR_OK;
	}
	if (spki_key_bits(spki, len, &bits) != KR_OK)
		return kr_err_set(err, KR_EINPUT, "the RSA public key is not "
		    "a well-formed SubjectPublicKeyInfo");
	*out = bits.p;
	*outlen = bits.len;
	return KR_OK;
}

int
kr_mcuboot_pubkey_c(const uint8_t *spki, size_t len, char **out,
    struct kr_err *err)
{
	struct kr_spki_info	 info;
	struct kr_buf		 b;
	const uint8_t		*kb;
	const char		*name;
	char			 line[128];
	size_t			 n, i;
	int			 ret;

	*out = NULL;
	if ((ret = kr_mcuboot_key_bytes(spki, len, &kb, &n, err)) != KR_OK ||
	    (ret = kr_spki_parse(spki, len, &info, err)) != KR_OK)
		return ret;
	name = info.type == KR_PK_RSA ? "rsa_pub_key" :
	    info.type == KR_PK_ED25519 ? "ed25519_pub_key" : "ecdsa_pub_key";
	kr_buf_init(&b, false);
	(void)snprintf(line, sizeof(line), "/* MCUboot public key, written by "
	    "keyrite. */\nconst unsigned char %s[] = {", name);
	kr_buf_put(&b, line, strlen(line));
	for (i = 0; i < n; i++) {
		(void)snprintf(line, sizeof(line), "%s0x%02x,",
		    i % 8 == 0 ? "\n    " : " ", kb[i]);
		kr_buf_put(&b, line, strlen(line));
	}
	(void)snprintf(line, sizeof(line), "\n};\nconst unsigned int "
	    "%s_len = %zu;\n", name, n);
	kr_buf_put(&b, line, strlen(line) + 1);
	if ((ret = kr_buf_status(&b, err)) != KR_OK) {
		kr_buf_free(&b);
		return ret;
	}
	*out = (char *)b.p;
	return KR_OK;
}

/* ---- signing ----------------------------------------------------------- */

/* The layout decided before anything is hashed. */
struct mb_plan {
	const struct mb_scheme		*sc;
	struct kr_mcuboot_version	 ver;
	uint32_t			 hs;		/* header size */
	uint32_t			 align;
	uint32_t			 max_sectors;
	uint64_t			 img_size;
	uint32_t			 prot_size;
	uint8_t				 head[65536];	/* header + padding */
	size_t				 head_len;
	uint64_t			 copy_off;
};

static uint64_t
align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* The boot trailer imgtool reserves at the end of the slot. */
static uint64_t
trailer_size(const struct mb_plan *p, bool overwrite_only)
{
	uint64_t	max_align = p->align > 8 ? p->align : 8;
	uint64_t	magic = align_up(16, max_align);

	if (overwrite_only)
		return max_align * 2 + magic;
	return (uint64_t)p->max_sectors * 3 * p->align + max_align * 4 +
	    magic;
}

static int
plan_options(struct kr_fw_ctx *c, struct mb_plan *p)
{
	const struct kr_mcuboot_opts	*m = &c->opts->mcuboot;
	int				 ret;

	p->hs = m->header_size != 0 ? m->header_size : MB_HDR;
	p->align = m->align != 0 ? m->align : 1;
	p->max_sectors = m->max_sectors != 0 ? m->max_sectors : MB_MAX_SECTORS;
	if (p->hs < MB_HDR || p->hs > 65535)
		return kr_err_set(c->err, KR_EUSAGE, "MCUboot header size %u "
		    "is not in 32..65535", p->hs);
	if (p->align > 32 || (p->align & (p->align - 1)) != 0)
		return kr_err_set(c->err, KR_EUSAGE, "MCUboot alignment %u is "
		    "not 1, 2, 4, 8, 16 or 32", p->align);
	if (p->max_sectors > 65536)
		return kr_err_set(c->err, KR_EUSAGE, "MCUboot max sectors %u "
		    "is more than 65536", p->max_sectors);
	if ((ret = kr_mcuboot_version_parse(c->opts->version, &p->ver,
	    c->err)) != KR_OK)
		return ret;
	p->prot_size = m->has_security_counter ? MB_SEC_CNT_AREA : 0;
	return KR_OK;
}

/* Without --pad-header the image must start with room for the header. */
static int
plan_room(struct kr_fw_ctx *c, struct mb_plan *p)
{
	uint8_t		buf[4096];
	uint32_t	at, i, n;
	int		ret;

	if (c->in->size <= p->hs)
		return kr_err_set(c->err, KR_EINPUT, "image %s is %llu bytes, "
		    "no more than the %u-byte header it must start with; "
		    "give --pad-header to have keyrite add the header",
		    c->res->image_name, (unsigned long long)c->in->size,
		    p->hs);
	for (at = 0; at < p->hs; at += n) {
		n = p->hs - at < sizeof(buf) ? p->hs - at : sizeof(buf);
		if ((ret = kr_fw_input_pread(c->in, at, buf, n, c->err)) !=
		    KR_OK)
			return ret;
		for (i = 0; i < n; i++)
			if (buf[i] != 0)
				return kr_err_set(c->err, KR_EINPUT, "image %s "
				    "does not start with %u zero bytes for the "
				    "MCUboot header (byte %u is 0x%02x): give "
				    "--pad-header to have keyrite add the "
				    "header, or build the image with room for "
				    "it", c->res->image_name, p->hs, at + i,
				    buf[i]);
	}
	return KR_OK;
}

static int
plan_fit(struct kr_fw_ctx *c, const struct mb_plan *p, uint64_t tlv)
{
	const struct kr_mcuboot_opts	*m = &c->opts->mcuboot;
	uint64_t			 total, tr;

	total = p->hs + p->img_size + p->prot_size + tlv;
	if (m->slot_size == 0)
		return KR_OK;
	tr = trailer_size(p, m->overwrite_only);
	if (total + tr > m->slot_size)
		return kr_err_set(c->err, KR_EINPUT, "image %s does not fit "
		    "the MCUboot slot: header %u + image %llu + TLVs %llu + "
		    "boot trailer %llu = %llu bytes, %llu more than the slot "
		    "size %u", c->res->image_name, p->hs,
		    (unsigned long long)p->img_size,
		    (unsigned long long)(p->prot_size + tlv),
		    (unsigned long long)tr,
		    (unsigned long long)(total + tr),
		    (unsigned long long)(total + tr - m->slot_size),
		    m->slot_size);
	return KR_OK;
}

static void
plan_header(struct kr_fw_ctx *c, struct mb_plan *p)
{
	const struct kr_mcuboot_opts	*m = &c->opts->mcuboot;
	uint8_t				*h = p->head;

	memset(h, 0, MB_HDR);
	put32(h, MB_MAGIC);
	put32(h + 4, m->load_addr);
	put16(h + 8, (uint16_t)p->hs);
	put16(h + 10, (uint16_t)p->prot_size);
	put32(h + 12, (uint32_t)p->img_size);
	put32(h + 16, m->load_addr != 0 ? MB_F_RAM_LOAD : 0);
	h[20] = p->ver.major;
	h[21] = p->ver.minor;
	put16(h + 22, p->ver.revision);
	put32(h + 24, p->ver.build);
	p->head_len = MB_HDR;
	if (m->pad_header) {
		memset(h + MB_HDR, MB_ERASED, p->hs - MB_HDR);
		p->head_len = p->hs;
	}
}

static int
plan_make(struct kr_fw_ctx *c, struct mb_plan *p)
{
	const struct kr_mcuboot_opts	*m = &c->opts->mcuboot;
	int				 ret;

	if ((ret = plan_options(c, p)) != KR_OK)
		return ret;
	if (m->pad_header) {
		p->img_size = c->in->size;
		p->copy_off = 0;
	} else {
		if ((ret = plan_room(c, p)) != KR_OK)
			return ret;
		p->img_size = c->in->size - p->hs;
		p->copy_off = MB_HDR;
	}
	if (p->img_size > UINT32_MAX - 65536)
		return kr_err_set(c->err, KR_EINPUT, "image %s is %llu bytes; "
		    "an MCUboot image holds less than 4 GiB",
		    c->res->image_name, (unsigned long long)p->img_size);
	if ((ret = plan_fit(c, p, 4 + 3 * 4 + 2 * kr_hash_len(p->sc->hash) +
	    p->sc->sig_max)) != KR_OK)
		return ret;
	plan_header(c, p);
	return KR_OK;
}

/* The protected TLV area (the security counter), or nothing. */
static void
prot_area(struct kr_fw_ctx *c, struct kr_buf *b)
{
	uint8_t	a[MB_SEC_CNT_AREA];

	if (!c->opts->mcuboot.has_security_counter)
		return;
	put16(a, MB_TLV_PROT_INFO);
	put16(a + 2, MB_SEC_CNT_AREA);
	put16(a + 4, MB_TLV_SEC_CNT);
	put16(a + 6, 4);
	put32(a + 8, c->opts->mcuboot.security_counter);
	kr_buf_put(b, a, sizeof(a));
}

static void
put_tlv(struct kr_buf *b, uint16_t type, const uint8_t *v, size_t len)
{
	uint8_t	h[4];

	put16(h, type);
	put16(h + 2, (uint16_t)len);
	kr_buf_put(b, h, 4);
	kr_buf_put(b, v, len);
}

/* Hashes header, image and protected TLVs; the record hash beside. */
static int
mb_hash(struct kr_fw_ctx *c, const struct mb_plan *p, const struct kr_buf *t,
    uint8_t *md, uint8_t *rec)
{
	struct kr_fw_sink	k[2];
	int			ret;

	memset(k, 0, sizeof(k));
	if (kr_hash_init(&k[0].h, p->sc->hash) != KR_OK ||
	    kr_hash_init(&k[1].h, p->sc->hash) != KR_OK)
		return kr_err_set(c->err, KR_ECRYPTO, "cannot start hashing");
	kr_hash_update(&k[0].h, p->head, p->head_len);
	k[0].skip = p->copy_off;
	if ((ret = kr_fw_stream_image(c, 0, c->in->size, k, 2)) == KR_OK) {
		kr_hash_update(&k[0].h, t->p, t->len);
		kr_hash_final(&k[0].h, md);
		kr_hash_final(&k[1].h, rec);
	}
	kr_wipe(k, sizeof(k));
	return ret;
}

/* Signs the image hash: ECDSA/RSA as a digest, Ed25519 as a message. */
static int
mb_sign(struct kr_fw_ctx *c, const struct mb_scheme *sc, const uint8_t *md,
    uint8_t *sig, size_t *siglen)
{
	size_t	hl = kr_hash_len(sc->hash);
	bool	pure = kr_sig_alg_hash(sc->sig) == 0;
	int	ret;

	*siglen = KR_SIG_MAX_BYTES;
	if (pure)
		ret = kr_signer_sign(c->signer, sc->sig, md, hl, sig, siglen,
		    c->err);
	else
		ret = kr_signer_sign_digest(c->signer, sc->sig, md, hl, sig,
		    siglen, c->err);
	if (ret != KR_OK)
		return ret;
	if (*siglen > sc->sig_max)
		return kr_err_set(c->err, KR_EINTERNAL, "a %zu-byte %s "
		    "signature (bug: report it)", *siglen,
		    kr_sig_alg_name(sc->sig));
	return kr_fw_check_sig(c, sc->sig, !pure, md, hl, sig, *siglen);
}

/* The TLV area after the protected one: hash, key hash, signature. */
static int
mb_tlvs(struct kr_fw_ctx *c, const struct mb_scheme *sc, const uint8_t *md,
    const uint8_t *sig, size_t siglen, struct kr_buf *t)
{
	const uint8_t	*kb;
	uint8_t		 kh[KR_HASH_MAX_BYTES], info[4];
	size_t		 kn, hl = kr_hash_len(sc->hash);
	int		 ret;

	if ((ret = kr_mcuboot_key_bytes(c->signer->spki, c->signer->spki_len,
	    &kb, &kn, c->err)) != KR_OK)
		return ret;
	if ((ret = kr_hash(sc->hash, kb, kn, kh)) != KR_OK)
		return kr_err_set(c->err, ret, "cannot hash the key");
	put16(info, MB_TLV_INFO);
	put16(info + 2, (uint16_t)(4 + 3 * 4 + 2 * hl + siglen));
	kr_buf_put(t, info, 4);
	put_tlv(t, sc->hash_tlv, md, hl);
	put_tlv(t, MB_TLV_KEYHASH, kh, hl);
	put_tlv(t, sc->sig_tlv, sig, siglen);
	return kr_buf_status(t, c->err);
}

static int
mb_scheme_check(struct kr_fw_ctx *c, const struct mb_scheme **scp)
{
	const struct mb_scheme	*sc = mb_scheme_for(c->signer->alg);

	if (sc == NULL)
		return kr_err_set(c->err, KR_EREFUSED, "MCUboot verifies "
		    "P-256, P-384, Ed25519 and RSA-3072 signatures; key '%s' "
		    "is a %s key", kr_fw_key_label(c->signer),
		    kr_key_alg_name(c->signer->alg));
	if (c->opts->sig_alg != 0 && c->opts->sig_alg != sc->sig)
		return kr_err_set(c->err, KR_EREFUSED, "MCUboot images signed "
		    "with a %s key use %s, not %s",
		    kr_key_alg_name(c->signer->alg), kr_sig_alg_name(sc->sig),
		    kr_sig_alg_name(c->opts->sig_alg));
	*scp = sc;
	return KR_OK;
}

static int
mb_result(struct kr_fw_ctx *c, const struct mb_plan *p, struct kr_buf *t,
    const uint8_t *rec, const uint8_t *sig, size_t siglen)
{
	struct kr_fw_result	*r = c->res;

	if ((r->head = malloc(p->head_len)) == NULL)
		return kr_err_set(c->err, KR_ENOMEM, "out of memory");
	memcpy(r->head, p->head, p->head_len);
	r->head_len = p->head_len;
	r->copy_off = p->copy_off;
	r->copy_len = c->in->size - p->copy_off;
	r->tail = t->p;
	r->tail_len = t->len;
	t->p = NULL;
	t->len = t->cap = 0;
	memcpy(r->sig, sig, siglen);
	r->sig_len = siglen;
	r->sig_alg = p->sc->sig;
	kr_fw_set_digest(r, p->sc->hash, rec, 0, c->in->size);
	return KR_OK;
}

int
kr_fw_do_mcuboot(struct kr_fw_ctx *c)
{
	struct mb_plan	*p;
	struct kr_buf	 t;
	uint8_t		 md[KR_HASH_MAX_BYTES], rec[KR_HASH_MAX_BYTES];
	uint8_t		 sig[KR_SIG_MAX_BYTES];
	size_t		 siglen = 0, prot;
	int		 ret = KR_EINTERNAL;

	kr_buf_init(&t, false);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return kr_err_set(c->err, KR_ENOMEM, "out of memory");
	if ((ret = mb_scheme_check(c, &p->sc)) != KR_OK ||
	    (ret = plan_make(c, p)) != KR_OK || c->check)
		goto out;
	prot_area(c, &t);
	if ((ret = kr_buf_status(&t, c->err)) != KR_OK ||
	    (ret = mb_hash(c, p, &t, md, rec)) != KR_OK ||
	    (ret = mb_sign(c, p->sc, md, sig, &siglen)) != KR_OK)
		goto out;
	prot = t.len;
	if ((ret = mb_tlvs(c, p->sc, md, sig, siglen, &t)) != KR_OK ||
	    (ret = plan_fit(c, p, t.len - prot)) != KR_OK)
		goto out;
	ret = mb_result(c, p, &t, rec, sig, siglen);
out:
	kr_buf_free(&t);
	free(p);
	return ret;
}

/* ---- checking an image -------------------------------------------------- */

struct mb_found {
	const uint8_t	*hash;
	size_t		 hash_len;
	uint16_t	 hash_type;
	const uint8_t	*keyhash;
	size_t		 keyhash_len;
	const uint8_t	*sig;
	size_t		 sig_len;
	uint16_t	 sig_type;
	int		 nhash, nkey, nsig;
};

/* Walks one TLV area at `off`; *end receives where it ends. */
static int
walk_area(const uint8_t *b, size_t len, size_t off, uint16_t magic,
    struct kr_mcuboot_info *info, struct mb_found *f, size_t *end)
{
	size_t		tot, at;
	uint16_t	type, n;

	if (off > len || len - off < 4 || get16(b + off) != magic)
		return KR_EINPUT;
	tot = get16(b + off + 2);
	if (tot < 4 || tot > len - off)
		return KR_EINPUT;
	*end = off + tot;
	for (at = off + 4; at < *end; at += 4 + n) {
		if (*end - at < 4)
			return KR_EINPUT;
		type = get16(b + at);
		n = get16(b + at + 2);
		if (n > *end - at - 4)
			return KR_EINPUT;
		if (magic == MB_TLV_PROT_INFO && type == MB_TLV_SEC_CNT) {
			if (n != 4 || info->has_security_counter)
				return KR_EINPUT;
			info->has_security_counter = true;
			info->security_counter = get32(b + at + 4);
		} else if (magic == MB_TLV_INFO && (type == MB_TLV_SHA256 ||
		    type == MB_TLV_SHA384)) {
			f->hash = b + at + 4;
			f->hash_len = n;
			f->hash_type = type;
			f->nhash++;
		} else if (magic == MB_TLV_INFO && type == MB_TLV_KEYHASH) {
			f->keyhash = b + at + 4;
			f->keyhash_len = n;
			f->nkey++;
		} else if (magic == MB_TLV_INFO && (type == MB_TLV_ECDSA_SIG ||
		    type == MB_TLV_RSA3072_PSS || type == MB_TLV_ED25519)) {
			f->sig = b + at + 4;
			f->sig_len = n;
			f->sig_type = type;
			f->nsig++;
		}
	}
	return KR_OK;
}

static int
parse_image(const uint8_t *b, size_t len, struct kr_mcuboot_info *info,
    struct mb_found *f, struct kr_err *err)
{
	size_t	off, end;

	memset(info, 0, sizeof(*info));
	memset(f, 0, sizeof(*f));
	if (len < MB_HDR || get32(b) != MB_MAGIC)
		return kr_err_set(err, KR_EINPUT, "not an MCUboot image (no "
		    "header magic)");
	info->load_addr = get32(b + 4);
	info->header_size = get16(b + 8);
	info->prot_tlv_size = get16(b + 10);
	info->img_size = get32(b + 12);
	info->flags = get32(b + 16);
	info->version.major = b[20];
	info->version.minor = b[21];
	info->version.revision = get16(b + 22);
	info->version.build = get32(b + 24);
	off = (size_t)info->header_size + info->img_size;
	if (info->header_size < MB_HDR || off > len)
		return kr_err_set(err, KR_EINPUT, "MCUboot image: header and "
		    "image sizes pass the end of the file");
	if (info->prot_tlv_size > 0 && (walk_area(b, len, off,
	    MB_TLV_PROT_INFO, info, f, &end) != KR_OK ||
	    end != off + info->prot_tlv_size))
		return kr_err_set(err, KR_EINPUT, "MCUboot image: malformed "
		    "protected TLV area");
	off += info->prot_tlv_size;
	if (walk_area(b, len, off, MB_TLV_INFO, info, f, &end) != KR_OK ||
	    end != len)
		return kr_err_set(err, KR_EINPUT, "MCUboot image: malformed "
		    "TLV area, or bytes after it");
	info->tlv_size = (uint32_t)(end - off);
	if (f->nhash != 1 || f->nkey != 1 || f->nsig != 1)
		return kr_err_set(err, KR_EINPUT, "MCUboot image: needs "
		    "exactly one hash, one KEYHASH and one signature TLV");
	return KR_OK;
}

/* The hash, the key hash, then the signature. */
static int
check_found(const uint8_t *b, size_t hashed, const struct mb_scheme *sc,
    const struct mb_found *f, const uint8_t *spki, size_t spki_len,
    struct kr_err *err)
{
	const uint8_t	*kb;
	uint8_t		 md[KR_HASH_MAX_BYTES], kh[KR_HASH_MAX_BYTES];
	size_t		 hl = kr_hash_len(sc->hash), kn;
	int		 ret;

	if (f->hash_type != sc->hash_tlv || f->sig_type != sc->sig_tlv ||
	    f->hash_len != hl || f->keyhash_len != hl)
		return kr_err_set(err, KR_EVERIFY, "MCUboot image: its hash "
		    "or signature TLV is not the kind the key makes");
	if ((ret = kr_mcuboot_key_bytes(spki, spki_len, &kb, &kn, err)) !=
	    KR_OK)
		return ret;
	if (kr_hash(sc->hash, b, hashed, md) != KR_OK ||
	    kr_hash(sc->hash, kb, kn, kh) != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "cannot hash the image");
	if (memcmp(md, f->hash, hl) != 0)
		return kr_err_set(err, KR_EVERIFY, "MCUboot image: the image "
		    "hash does not match (header, image or protected TLVs "
		    "changed)");
	if (memcmp(kh, f->keyhash, hl) != 0)
		return kr_err_set(err, KR_EVERIFY, "MCUboot image: KEYHASH "
		    "names another key");
	/* pure Ed25519 signs the hash itself; the others sign over it */
	ret = kr_sig_verify(sc->sig, spki, spki_len, md, hl, f->sig,
	    f->sig_len, kr_sig_alg_hash(sc->sig) == 0 ? 0 : KR_VERIFY_DIGEST,
	    err);
	if (ret != KR_OK)
		return kr_err_set(err, KR_EVERIFY, "MCUboot image: the "
		    "signature does not verify");
	return KR_OK;
}

int
kr_mcuboot_check(const uint8_t *img, size_t len, const uint8_t *spki,
    size_t spki_len, struct kr_mcuboot_info *out, struct kr_err *err)
{
	struct kr_mcuboot_info	 info;
	struct kr_spki_info	 si;
	struct mb_found		 f;
	const struct mb_scheme	*sc;
	enum kr_key_alg		 alg;
	int			 ret;

	if (img == NULL || (ret = parse_image(img, len, &info, &f, err)) !=
	    KR_OK)
		return img == NULL ? kr_err_set(err, KR_EINPUT, "no image") :
		    ret;
	if ((ret = kr_spki_parse(spki, spki_len, &si, err)) != KR_OK)
		return ret;
	if (kr_spki_key_alg(&si, &alg) != KR_OK ||
	    (sc = mb_scheme_for(alg)) == NULL)
		return kr_err_set(err, KR_EINPUT, "MCUboot does not verify "
		    "with this kind of key");
	if ((ret = check_found(img, (size_t)info.header_size + info.img_size +
	    info.prot_tlv_size, sc, &f, spki, spki_len, err)) != KR_OK)
		return ret;
	info.hash_alg = sc->hash;
	info.sig_type = f.sig_type;
	if (out != NULL)
		*out = info;
	return KR_OK;
}
