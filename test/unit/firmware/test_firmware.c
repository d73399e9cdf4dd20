/*
 * firmware: every format signed with keys made at run time through the
 * keystore (sealed, opened with a random quorum secret), and checked by an
 * independent tool:
 *
 *   raw       openssl dgst -verify / openssl pkeyutl -verify -rawin
 *   minisign  minisign -V
 *   mcuboot   test/tools/mcuboot_verify.py (python3-cryptography)
 *   cms       openssl cms -verify
 *   rauc      rauc info --keyring
 *
 * and one tampered byte makes each check fail.  Refusals (slot size,
 * squashfs magic, Ed25519 CMS, a certificate for another key, empty
 * images), the streaming reader at chunk boundaries and its memory bound
 * on a 100 MB image are checked too.
 *
 * argv: openssl minisign rauc mksquashfs python3 mcuboot_verify.py
 * KEYRITE_TEST_KEEP=1 keeps the temporary folder for a look.
 * Certificates (root, intermediate, one signer certificate per firmware
 * key with codeSigning + emailProtection) are built by keyrite's own
 * builder and signed by CA keys made at run time.
 *
 * TEST-KEY-033 (docs/traceability.md): these tests as a whole.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <keyrite/firmware.h>
#include <keyrite/keystore.h>
#include <keyrite/media.h>
#include <keyrite/x509.h>

#include "firmware_int.h"
#include "testpki.h"

enum { K_P256, K_P384, K_RSA, K_ED, K_ROOT, K_INT, NKEYS };

static const enum kr_key_alg key_algs[NKEYS] = {
	KR_KEY_P256, KR_KEY_P384, KR_KEY_RSA3072, KR_KEY_ED25519,
	KR_KEY_P256, KR_KEY_P384,
};
static const char *const key_tags[NKEYS] = {
	"p256", "p384", "rsa", "ed25519", "root", "int",
};

static struct kr_signer	*keys[NKEYS];
static char		 keyerr[NKEYS][KR_ERR_MSG_MAX];
static uint8_t		*certs[NKEYS];		/* DER */
static size_t		 cert_len[NKEYS];
static const char	*openssl = "openssl";
static const char	*minisign = "minisign";
static const char	*rauc = "rauc";
static const char	*mksquashfs = "mksquashfs";
static const char	*python = "python3";
static const char	*verifier = "mcuboot_verify.py";

#define SMALL_LEN	200003		/* not a multiple of anything */

/* --- helpers ------------------------------------------------------------ */

/* Copies a file, flipping the byte at `off` (from the end if negative). */
static void
copy_tamper(const char *src, const char *dst, long off)
{
	uint8_t	*b;
	size_t	 len;

	b = tl_read(src, &len);
	if (off < 0)
		off += (long)len;
	ck_assert_msg(off >= 0 && (size_t)off < len, "tamper offset %ld of %zu",
	    off, len);
	b[off] ^= 0x01;
	tl_write(dst, b, len);
	free(b);
}

#define SH_OK	TL_SH_OK
#define SH_FAIL	TL_SH_FAIL

static struct kr_signer *
key(int k)
{
	ck_assert_msg(keys[k] != NULL, "key %s: %s", key_tags[k], keyerr[k]);
	return keys[k];
}

static void
fill_random(const char *name, size_t len)
{
	uint8_t	*b = malloc(len);

	ck_assert_ptr_nonnull(b);
	kr_random(b, len);
	tl_write(name, b, len);
	free(b);
}

static void
opts_init(struct kr_fw_opts *o, enum kr_fw_format f)
{
	memset(o, 0, sizeof(*o));
	o->format = f;
}

static struct kr_fw_result *
sign_ok(int k, const struct kr_fw_opts *o, const char *in)
{
	struct kr_fw_result	*r = NULL;
	struct kr_err		 err;

	kr_err_clear(&err);
	ck_assert_msg(kr_fw_sign_file(key(k), o, tl_path(in), &r, &err) ==
	    KR_OK, "sign %s with %s: %s", in, key_tags[k], err.msg);
	return r;
}

/* Signs and expects `code`, with `needle` in the message. */
static void
sign_refused(int k, const struct kr_fw_opts *o, const char *in, int code,
    const char *needle)
{
	struct kr_fw_result	*r = NULL;
	struct kr_err		 err;
	int			 ret;

	kr_err_clear(&err);
	ret = kr_fw_sign_file(key(k), o, tl_path(in), &r, &err);
	ck_assert_msg(ret == code, "sign %s with %s: got %d (%s), want %d",
	    in, key_tags[k], ret, err.msg, code);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err.msg, needle) != NULL, "\"%s\" not in \"%s\"",
	    needle, err.msg);
}

/* Writes a result's output as authority/ does: into a media stream. */
static int
fw_write_file(const struct kr_fw_result *r, const char *in, const char *out,
    struct kr_err *err)
{
	struct kr_media_stream	ms;
	struct kr_fw_output	dst = { kr_media_stream_put, &ms };
	int			ret;

	ret = kr_media_stream_open(&ms, KR_ART_SIGNED_IMAGE, out, 0, err);
	if (ret == KR_OK &&
	    (ret = kr_fw_write(r, in, &dst, NULL, NULL, err)) == KR_OK)
		return kr_media_stream_commit(&ms, err);
	kr_media_stream_abort(&ms);
	return ret;
}

static void
write_out(const struct kr_fw_result *r, const char *in, const char *out)
{
	struct kr_err	err;

	kr_err_clear(&err);
	(void)unlink(tl_path(out));
	ck_assert_msg(fw_write_file(r, tl_path(in), tl_path(out), &err) ==
	    KR_OK, "write %s: %s", out, err.msg);
}

static void
check_digest(const struct kr_fw_result *r, const char *in,
    enum kr_hash_alg alg)
{
	uint8_t	*b, md[KR_HASH_MAX_BYTES];
	size_t	 len;

	b = tl_read(in, &len);
	ck_assert_int_eq(r->digest_alg, alg);
	ck_assert_uint_eq(r->img_len, len);
	ck_assert_int_eq(kr_hash(alg, b, len, md), KR_OK);
	ck_assert_mem_eq(r->digest, md, kr_hash_len(alg));
	free(b);
}


/* --- raw ----------------------------------------------------------------- */

/* The independent check of a raw signature; the exit status. */
static int
raw_verify(int k, enum kr_sig_alg sa, const char *img, const char *sig)
{
	if (k == K_ED)
		return tl_sh_logged("%s pkeyutl -verify -pubin -inkey "
		    "pub-ed25519.pem -rawin -in %s -sigfile %s", openssl, img,
		    sig);
	if (sa == KR_SIG_RSA_PSS_SHA256)
		return tl_sh_logged("%s dgst -sha256 -sigopt "
		    "rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -verify "
		    "pub-rsa.pem -signature %s %s", openssl, sig, img);
	return tl_sh_logged("%s dgst -%s -verify pub-%s.pem -signature %s %s",
	    openssl, k == K_P384 ? "sha384" : "sha256", key_tags[k], sig, img);
}

static void
raw_case(int k, enum kr_sig_alg sa)
{
	struct kr_fw_opts	 o;
	struct kr_fw_result	*r;

	opts_init(&o, KR_FW_RAW);
	o.sig_alg = sa;
	r = sign_ok(k, &o, "img.bin");
	check_digest(r, "img.bin", kr_fw_record_hash(r->sig_alg));
	ck_assert_uint_eq(r->copy_len, 0);
	ck_assert_uint_eq(r->head_len, r->sig_len);
	write_out(r, NULL, "raw.sig");
	ck_assert_msg(raw_verify(k, r->sig_alg, "img.bin", "raw.sig") == 0,
	    "%s raw signature refused: %s", key_tags[k], tl_sh_log());
	copy_tamper("img.bin", "img-bad.bin", SMALL_LEN / 2);
	ck_assert_msg(raw_verify(k, r->sig_alg, "img-bad.bin", "raw.sig") != 0,
	    "%s: a tampered image verified", key_tags[k]);
	copy_tamper("raw.sig", "raw-bad.sig", -1);
	ck_assert_msg(raw_verify(k, r->sig_alg, "img.bin", "raw-bad.sig") != 0,
	    "%s: a tampered signature verified", key_tags[k]);
	kr_fw_result_free(&r);
}

START_TEST(test_raw_p256)
{
	raw_case(K_P256, 0);
}
END_TEST

START_TEST(test_raw_p384)
{
	raw_case(K_P384, 0);
}
END_TEST

START_TEST(test_raw_rsa_pkcs1)
{
	raw_case(K_RSA, KR_SIG_RSA_PKCS1_SHA256);
}
END_TEST

START_TEST(test_raw_rsa_pss)
{
	raw_case(K_RSA, KR_SIG_RSA_PSS_SHA256);
}
END_TEST

START_TEST(test_raw_ed25519)
{
	raw_case(K_ED, 0);
}
END_TEST

/* Pure Ed25519 holds the image in memory: a larger one is refused. */
START_TEST(test_raw_ed25519_limit)
{
	struct kr_fw_opts	o;
	int			fd;

	fd = open(tl_path("big-sparse.bin"), O_WRONLY | O_CREAT | O_TRUNC,
	    0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, KR_FW_PURE_MAX + 1), 0);
	close(fd);
	opts_init(&o, KR_FW_RAW);
	sign_refused(K_ED, &o, "big-sparse.bin", KR_EINPUT, "minisign");
	o.sig_alg = KR_SIG_ECDSA_P256_SHA256;
	sign_refused(K_RSA, &o, "img.bin", KR_EREFUSED, "cannot make");
}
END_TEST

/* --- minisign ------------------------------------------------------------ */

START_TEST(test_minisign)
{
	struct kr_fw_opts	 o;
	struct kr_fw_result	*r;
	struct kr_err		 err;
	char			*pub = NULL;

	kr_err_clear(&err);
	ck_assert_msg(kr_minisign_pubkey(key(K_ED)->key_id, key(K_ED)->spki,
	    key(K_ED)->spki_len, &pub, &err) == KR_OK, "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(pub, "untrusted comment: minisign "
	    "public key "));
	tl_write("ms.pub", pub, strlen(pub));
	free(pub);
	opts_init(&o, KR_FW_MINISIGN);
	o.version = "1.2.3";
	r = sign_ok(K_ED, &o, "img.bin");
	check_digest(r, "img.bin", KR_HASH_BLAKE2B512);
	write_out(r, NULL, "img.bin.minisig");
	SH_OK("%s -Vm img.bin -x img.bin.minisig -p ms.pub", minisign);
	ck_assert_msg(strstr(tl_sh_log(), "file:img.bin\thashed\tversion:1.2.3")
	    != NULL, "trusted comment: %s", tl_sh_log());
	copy_tamper("img.bin", "img-bad.bin", 7);
	SH_FAIL("%s -Vm img-bad.bin -x img.bin.minisig -p ms.pub", minisign);
	/* A trusted comment edited: the global signature fails. */
	SH_OK("sed 's/version:1.2.3/version:1.2.4/' img.bin.minisig > "
	    "edited.minisig");
	SH_FAIL("%s -Vm img.bin -x edited.minisig -p ms.pub", minisign);
	kr_fw_result_free(&r);
}
END_TEST

START_TEST(test_minisign_refusals)
{
	struct kr_fw_opts	o;
	struct kr_err		err;
	char			*pub = NULL;

	opts_init(&o, KR_FW_MINISIGN);
	sign_refused(K_P256, &o, "img.bin", KR_EREFUSED, "Ed25519");
	o.version = "1.0\nforged";
	sign_refused(K_ED, &o, "img.bin", KR_EINPUT, "control character");
	kr_err_clear(&err);
	ck_assert_int_eq(kr_minisign_pubkey(key(K_P256)->key_id,
	    key(K_P256)->spki, key(K_P256)->spki_len, &pub, &err),
	    KR_EREFUSED);
	ck_assert_ptr_null(pub);
}
END_TEST

/* --- mcuboot ------------------------------------------------------------- */

static int
mcuboot_verify(int k, const char *img)
{
	return tl_sh_logged("%s %s %s pub-%s.pem", python, verifier, img,
	    key_tags[k]);
}

/* Checks an MCUboot image both ways; tampering anywhere must fail. */
static void
mcuboot_checks(int k, const char *img, uint32_t hs)
{
	struct kr_mcuboot_info	 info;
	struct kr_err		 err;
	uint8_t			*b;
	size_t			 len;
	long			 offs[5];
	size_t			 i;

	ck_assert_msg(mcuboot_verify(k, img) == 0, "%s: %s", key_tags[k],
	    tl_sh_log());
	b = tl_read(img, &len);
	kr_err_clear(&err);
	ck_assert_msg(kr_mcuboot_check(b, len, key(k)->spki,
	    key(k)->spki_len, &info, &err) == KR_OK, "%s", err.msg);
	free(b);
	offs[0] = 21;				/* header: minor version */
	offs[1] = (long)hs + 1000;		/* image */
	offs[2] = (long)(hs + info.img_size + info.prot_tlv_size) + 8;
						/* hash TLV value */
	offs[3] = -1;				/* signature */
	offs[4] = (long)(hs + info.img_size + info.prot_tlv_size) + 1;
						/* TLV info magic */
	for (i = 0; i < 5; i++) {
		copy_tamper(img, "mcu-bad.bin", offs[i]);
		ck_assert_msg(mcuboot_verify(k, "mcu-bad.bin") != 0, "%s: "
		    "tampered byte %ld verified", key_tags[k], offs[i]);
		b = tl_read("mcu-bad.bin", &len);
		ck_assert_int_ne(kr_mcuboot_check(b, len, key(k)->spki,
		    key(k)->spki_len, NULL, &err), KR_OK);
		free(b);
	}
	/* Another key's hash and signature do not pass. */
	b = tl_read(img, &len);
	ck_assert_int_ne(kr_mcuboot_check(b, len, key(K_ROOT)->spki,
	    key(K_ROOT)->spki_len, NULL, &err), KR_OK);
	free(b);
}

static void
mcuboot_case(int k)
{
	struct kr_fw_opts	 o;
	struct kr_fw_result	*r;
	struct kr_mcuboot_info	 info;
	struct kr_err		 err;
	uint8_t			*b, *img;
	size_t			 len;

	/* --pad-header, a security counter, a slot that fits */
	opts_init(&o, KR_FW_MCUBOOT);
	o.version = "1.2.3+4";
	o.mcuboot.header_size = 0x200;
	o.mcuboot.pad_header = true;
	o.mcuboot.align = 8;
	o.mcuboot.slot_size = 0x40000;
	o.mcuboot.has_security_counter = true;
	o.mcuboot.security_counter = 7;
	r = sign_ok(k, &o, "img.bin");
	check_digest(r, "img.bin", k == K_P384 ? KR_HASH_SHA384 :
	    KR_HASH_SHA256);
	write_out(r, "img.bin", "mcu.bin");
	b = tl_read("mcu.bin", &len);
	ck_assert_uint_eq(len, r->out_len);
	ck_assert_int_eq(kr_mcuboot_check(b, len, key(k)->spki,
	    key(k)->spki_len, &info, &err), KR_OK);
	ck_assert_uint_eq(info.img_size, SMALL_LEN);
	ck_assert_uint_eq(info.header_size, 0x200);
	ck_assert(info.has_security_counter && info.security_counter == 7);
	ck_assert(info.version.major == 1 && info.version.minor == 2 &&
	    info.version.revision == 3 && info.version.build == 4);
	img = tl_read("img.bin", &len);
	ck_assert_mem_eq(b + 0x200, img, SMALL_LEN);
	free(img);
	free(b);
	mcuboot_checks(k, "mcu.bin", 0x200);
	kr_fw_result_free(&r);

	/* the image carries zeros for the header; no protected TLVs */
	opts_init(&o, KR_FW_MCUBOOT);
	o.mcuboot.header_size = 0x100;
	o.mcuboot.load_addr = 0x20000000;
	r = sign_ok(k, &o, "img-room.bin");
	write_out(r, "img-room.bin", "mcu2.bin");
	b = tl_read("mcu2.bin", &len);
	ck_assert_int_eq(kr_mcuboot_check(b, len, key(k)->spki,
	    key(k)->spki_len, &info, &err), KR_OK);
	ck_assert_uint_eq(info.img_size, SMALL_LEN);
	ck_assert_uint_eq(info.flags, 0x20);
	ck_assert_uint_eq(info.load_addr, 0x20000000);
	ck_assert(!info.has_security_counter);
	free(b);
	mcuboot_checks(k, "mcu2.bin", 0x100);
	kr_fw_result_free(&r);
}

START_TEST(test_mcuboot_p256)
{
	mcuboot_case(K_P256);
}
END_TEST

START_TEST(test_mcuboot_p384)
{
	mcuboot_case(K_P384);
}
END_TEST

START_TEST(test_mcuboot_ed25519)
{
	mcuboot_case(K_ED);
}
END_TEST

START_TEST(test_mcuboot_rsa)
{
	mcuboot_case(K_RSA);
}
END_TEST

START_TEST(test_mcuboot_refusals)
{
	struct kr_fw_opts	o;

	opts_init(&o, KR_FW_MCUBOOT);
	o.mcuboot.pad_header = true;
	o.mcuboot.slot_size = SMALL_LEN;
	sign_refused(K_P256, &o, "img.bin", KR_EINPUT, "does not fit the "
	    "MCUboot slot");
	sign_refused(K_P256, &o, "img.bin", KR_EINPUT, "more than the slot "
	    "size 200003");
	o.mcuboot.pad_header = false;
	o.mcuboot.slot_size = 0;
	sign_refused(K_P256, &o, "img.bin", KR_EINPUT, "zero bytes");
	o.version = "1.2.3.4";
	sign_refused(K_P256, &o, "img-room.bin", KR_EINPUT, "MCUboot version");
	o.version = NULL;
	o.mcuboot.align = 3;
	sign_refused(K_P256, &o, "img-room.bin", KR_EUSAGE, "alignment");
	o.mcuboot.align = 0;
	o.sig_alg = KR_SIG_RSA_PKCS1_SHA256;
	sign_refused(K_RSA, &o, "img-room.bin", KR_EREFUSED, "rsassa-pss");
}
END_TEST

START_TEST(test_mcuboot_version)
{
	static const struct {
		const char	*s;
		int		 ok;
		unsigned	 v[4];
	} t[] = {
		{ NULL, 1, { 0, 0, 0, 0 } },
		{ "", 1, { 0, 0, 0, 0 } },
		{ "1", 1, { 1, 0, 0, 0 } },
		{ "1.2", 1, { 1, 2, 0, 0 } },
		{ "1.2.3", 1, { 1, 2, 3, 0 } },
		{ "255.255.65535+4294967295", 1,
		    { 255, 255, 65535, 4294967295U } },
		{ "256", 0, { 0 } }, { "1.", 0, { 0 } }, { "1..2", 0, { 0 } },
		{ "1.2.3+", 0, { 0 } }, { "1+2", 0, { 0 } },
		{ "1.2.65536", 0, { 0 } }, { "1.2.3+4294967296", 0, { 0 } },
		{ "1.2.3+4.5", 0, { 0 } }, { "-1", 0, { 0 } },
		{ " 1", 0, { 0 } }, { "v1", 0, { 0 } },
	};
	struct kr_mcuboot_version	v;
	struct kr_err			err;
	size_t				i;
	int				ret;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ret = kr_mcuboot_version_parse(t[i].s, &v, &err);
		ck_assert_msg((ret == KR_OK) == t[i].ok, "\"%s\": %d",
		    t[i].s != NULL ? t[i].s : "(null)", ret);
		if (t[i].ok)
			ck_assert(v.major == t[i].v[0] &&
			    v.minor == t[i].v[1] && v.revision == t[i].v[2] &&
			    v.build == t[i].v[3]);
	}
}
END_TEST

START_TEST(test_mcuboot_pubkey_c)
{
	struct kr_err	 err;
	char		*c = NULL, want[64];
	const uint8_t	*kb;
	size_t		 kn;

	kr_err_clear(&err);
	ck_assert_int_eq(kr_mcuboot_pubkey_c(key(K_P256)->spki,
	    key(K_P256)->spki_len, &c, &err), KR_OK);
	ck_assert_ptr_nonnull(strstr(c, "const unsigned char ecdsa_pub_key[] "
	    "= {\n    0x30, 0x59,"));
	ck_assert_ptr_nonnull(strstr(c, "ecdsa_pub_key_len = 91;"));
	free(c);
	ck_assert_int_eq(kr_mcuboot_pubkey_c(key(K_RSA)->spki,
	    key(K_RSA)->spki_len, &c, &err), KR_OK);
	ck_assert_int_eq(kr_mcuboot_key_bytes(key(K_RSA)->spki,
	    key(K_RSA)->spki_len, &kb, &kn, &err), KR_OK);
	ck_assert_uint_lt(kn, key(K_RSA)->spki_len);
	ck_assert_uint_eq(kb[0], 0x30);
	snprintf(want, sizeof(want), "rsa_pub_key_len = %zu;", kn);
	ck_assert_ptr_nonnull(strstr(c, want));
	free(c);
}
END_TEST

/* An image in memory, and the output rebuilt from memory. */
START_TEST(test_mcuboot_buffer)
{
	struct kr_fw_opts	 o;
	struct kr_fw_result	*r = NULL;
	struct kr_err		 err;
	uint8_t			 img[5000], *out = NULL;
	size_t			 outlen;

	kr_random(img, sizeof(img));
	opts_init(&o, KR_FW_MCUBOOT);
	o.mcuboot.pad_header = true;
	kr_err_clear(&err);
	ck_assert_msg(kr_fw_sign_buf(key(K_ED), &o, "app.bin", img,
	    sizeof(img), &r, &err) == KR_OK, "%s", err.msg);
	ck_assert_str_eq(r->image_name, "app.bin");
	ck_assert_int_eq(kr_fw_output_buf(r, img, sizeof(img), &out, &outlen,
	    &err), KR_OK);
	ck_assert_int_eq(kr_mcuboot_check(out, outlen, key(K_ED)->spki,
	    key(K_ED)->spki_len, NULL, &err), KR_OK);
	free(out);
	img[100] ^= 1;
	ck_assert_int_eq(kr_fw_output_buf(r, img, sizeof(img), &out, &outlen,
	    &err), KR_EVERIFY);
	ck_assert_ptr_null(out);
	kr_fw_result_free(&r);
}
END_TEST

/* An image that changes between signing and writing is not written. */
START_TEST(test_changed_image)
{
	struct kr_fw_opts	 o;
	struct kr_fw_result	*r;
	struct kr_err		 err;

	SH_OK("cp img.bin img-copy.bin");
	opts_init(&o, KR_FW_MCUBOOT);
	o.mcuboot.pad_header = true;
	r = sign_ok(K_P256, &o, "img-copy.bin");
	copy_tamper("img.bin", "img-copy.bin", 12345);
	(void)unlink(tl_path("changed.bin"));
	kr_err_clear(&err);
	ck_assert_int_eq(fw_write_file(r, tl_path("img-copy.bin"),
	    tl_path("changed.bin"), &err), KR_EVERIFY);
	ck_assert_ptr_nonnull(strstr(err.msg, "changed after it was signed"));
	ck_assert(!kr_path_exists(tl_path("changed.bin")));
	SH_OK("! ls changed.bin.tmp-* 2>/dev/null");
	kr_fw_result_free(&r);
}
END_TEST

/* --- cms ----------------------------------------------------------------- */

static void
cert_opts(struct kr_fw_opts *o, int k, bool chain)
{
	static uint8_t	*chainbuf;
	static size_t	 chainlen;

	o->cert = certs[k];
	o->cert_len = cert_len[k];
	if (chain && chainbuf == NULL)
		chainbuf = tl_read("chain.pem", &chainlen);
	o->chain = chain ? chainbuf : NULL;
	o->chain_len = chain ? chainlen : 0;
}

static int
cms_verify(const char *sig, const char *content)
{
	return tl_sh_logged("%s cms -verify -binary -inform DER -in %s "
	    "-content %s -CAfile root.pem -purpose any -out /dev/null", openssl,
	    sig, content);
}

static void
cms_case(int k, enum kr_sig_alg sa)
{
	struct kr_fw_opts	 o;
	struct kr_fw_result	*r;
	uint8_t			*b;
	size_t			 len;

	opts_init(&o, KR_FW_CMS);
	o.sig_alg = sa;
	cert_opts(&o, k, true);
	r = sign_ok(k, &o, "img.bin");
	check_digest(r, "img.bin", kr_sig_alg_hash(r->sig_alg));
	ck_assert_uint_gt(r->cert_serial_len, 0);
	write_out(r, NULL, "img.p7s");
	ck_assert_msg(cms_verify("img.p7s", "img.bin") == 0, "%s: %s",
	    key_tags[k], tl_sh_log());
	/* the intermediate is carried, the root is not */
	b = tl_read("img.p7s", &len);
	ck_assert(tl_contains(b, len, certs[K_INT], cert_len[K_INT]));
	ck_assert(!tl_contains(b, len, certs[K_ROOT], cert_len[K_ROOT]));
	free(b);
	copy_tamper("img.bin", "img-bad.bin", 1);
	ck_assert_msg(cms_verify("img.p7s", "img-bad.bin") != 0,
	    "%s: tampered content verified", key_tags[k]);
	copy_tamper("img.p7s", "bad.p7s", -10);
	ck_assert_msg(cms_verify("bad.p7s", "img.bin") != 0,
	    "%s: tampered signature verified", key_tags[k]);
	kr_fw_result_free(&r);
}

START_TEST(test_cms_p256)
{
	cms_case(K_P256, 0);
}
END_TEST

START_TEST(test_cms_p384)
{
	cms_case(K_P384, 0);
}
END_TEST

START_TEST(test_cms_rsa_pkcs1)
{
	cms_case(K_RSA, 0);
}
END_TEST

START_TEST(test_cms_rsa_pss)
{
	cms_case(K_RSA, KR_SIG_RSA_PSS_SHA256);
}
END_TEST

/* The chain given with the root, out of order, as DER: still right. */
START_TEST(test_cms_chain_forms)
{
	struct kr_fw_opts	 o;
	struct kr_fw_result	*r;
	uint8_t			 der[2 * 4096];
	uint8_t			*b;
	size_t			 len;

	ck_assert_uint_le(cert_len[K_ROOT] + cert_len[K_INT], sizeof(der));
	memcpy(der, certs[K_ROOT], cert_len[K_ROOT]);
	memcpy(der + cert_len[K_ROOT], certs[K_INT], cert_len[K_INT]);
	opts_init(&o, KR_FW_CMS);
	o.cert = certs[K_P256];
	o.cert_len = cert_len[K_P256];
	o.chain = der;
	o.chain_len = cert_len[K_ROOT] + cert_len[K_INT];
	r = sign_ok(K_P256, &o, "img.bin");
	write_out(r, NULL, "forms.p7s");
	ck_assert_msg(cms_verify("forms.p7s", "img.bin") == 0, "%s",
	    tl_sh_log());
	b = tl_read("forms.p7s", &len);
	ck_assert(tl_contains(b, len, certs[K_INT], cert_len[K_INT]));
	ck_assert(!tl_contains(b, len, certs[K_ROOT], cert_len[K_ROOT]));
	free(b);
	kr_fw_result_free(&r);
	/* without the intermediate, openssl cannot build the path */
	o.chain = NULL;
	o.chain_len = 0;
	r = sign_ok(K_P256, &o, "img.bin");
	write_out(r, NULL, "nochain.p7s");
	ck_assert(cms_verify("nochain.p7s", "img.bin") != 0);
	kr_fw_result_free(&r);
}
END_TEST

START_TEST(test_cms_refusals)
{
	struct kr_fw_opts	o;

	opts_init(&o, KR_FW_CMS);
	cert_opts(&o, K_ED, true);
	sign_refused(K_ED, &o, "img.bin", KR_EREFUSED, "cannot verify "
	    "Ed25519 in CMS");
	o.format = KR_FW_RAUC;
	sign_refused(K_ED, &o, "img.bin", KR_EREFUSED, "Ed25519");
	o.format = KR_FW_CMS;
	cert_opts(&o, K_P384, true);
	sign_refused(K_P256, &o, "img.bin", KR_EREFUSED, "is for another key");
	cert_opts(&o, K_P256, true);
	o.chain = certs[K_P384];		/* not on the path */
	o.chain_len = cert_len[K_P384];
	sign_refused(K_P256, &o, "img.bin", KR_EINPUT, "not on the path");
	o.chain = (const uint8_t *)"garbage";
	o.chain_len = 7;
	sign_refused(K_P256, &o, "img.bin", KR_EINPUT, "chain certificate 1");
	o.chain = NULL;
	o.chain_len = 0;
	o.cert = NULL;
	sign_refused(K_P256, &o, "img.bin", KR_EUSAGE, "--cert");
	cert_opts(&o, K_P256, false);
	o.sig_alg = KR_SIG_RSA_PSS_SHA256;
	sign_refused(K_P256, &o, "img.bin", KR_EREFUSED, "cannot make");
}
END_TEST

/* --- rauc ---------------------------------------------------------------- */

static void
make_squashfs(void)
{
	SH_OK("rm -rf content && mkdir content && head -c 300000 /dev/urandom "
	    "> content/rootfs.img && printf '[update]\\ncompatible=keyrite-"
	    "test\\nversion=1.0\\n\\n[bundle]\\nformat=plain\\n\\n"
	    "[image.rootfs]\\nfilename=rootfs.img\\nsha256=%%s\\nsize=300000"
	    "\\n' \"$(sha256sum content/rootfs.img | cut -d' ' -f1)\" > "
	    "content/manifest.raucm && rm -f update.sqfs && %s content "
	    "update.sqfs -all-root -noappend -no-progress -quiet",
	    mksquashfs);
}

static int
rauc_info(const char *bundle)
{
	return tl_sh_logged("%s info --keyring root.pem %s", rauc, bundle);
}

static void
rauc_case(int k, enum kr_sig_alg sa)
{
	struct kr_fw_opts	 o;
	struct kr_fw_result	*r;
	struct stat		 st;
	char			 name[64];

	make_squashfs();
	opts_init(&o, KR_FW_RAUC);
	o.sig_alg = sa;
	cert_opts(&o, k, true);
	r = sign_ok(k, &o, "update.sqfs");
	check_digest(r, "update.sqfs", kr_sig_alg_hash(r->sig_alg));
	snprintf(name, sizeof(name), "update-%s.raucb", key_tags[k]);
	write_out(r, "update.sqfs", name);
	ck_assert_msg(rauc_info(name) == 0, "%s: %s", key_tags[k], tl_sh_log());
	ck_assert_ptr_nonnull(strstr(tl_sh_log(), "keyrite-test"));
	ck_assert_int_eq(stat(tl_path(name), &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, r->out_len);
	copy_tamper(name, "bad.raucb", 5000);
	ck_assert_msg(rauc_info("bad.raucb") != 0, "%s: tampered squashfs "
	    "accepted", key_tags[k]);
	copy_tamper(name, "bad.raucb", -20);
	ck_assert_msg(rauc_info("bad.raucb") != 0, "%s: tampered CMS "
	    "accepted", key_tags[k]);
	kr_fw_result_free(&r);
}

START_TEST(test_rauc_p256)
{
	rauc_case(K_P256, 0);
}
END_TEST

START_TEST(test_rauc_p384)
{
	rauc_case(K_P384, 0);
}
END_TEST

START_TEST(test_rauc_rsa)
{
	rauc_case(K_RSA, KR_SIG_RSA_PSS_SHA256);
}
END_TEST

/* An existing bundle: its signature is replaced, not added to. */
START_TEST(test_rauc_resign)
{
	struct kr_fw_opts	 o;
	struct kr_fw_result	*r, *r2;
	uint8_t			*b;
	size_t			 len;
	uint64_t		 sq;
	bool			 bundle;
	struct kr_err		 err;

	make_squashfs();
	opts_init(&o, KR_FW_RAUC);
	cert_opts(&o, K_P256, true);
	r = sign_ok(K_P256, &o, "update.sqfs");
	write_out(r, "update.sqfs", "first.raucb");
	cert_opts(&o, K_RSA, true);
	r2 = sign_ok(K_RSA, &o, "first.raucb");
	ck_assert_uint_eq(r2->img_len, r->img_len);
	ck_assert_mem_eq(r2->digest, r->digest, r->digest_len);
	write_out(r2, "first.raucb", "second.raucb");
	ck_assert_msg(rauc_info("second.raucb") == 0, "%s", tl_sh_log());
	ck_assert_ptr_nonnull(strstr(tl_sh_log(), "Firmware rsa"));
	b = tl_read("second.raucb", &len);
	ck_assert_uint_eq(len, r->img_len + r2->tail_len);
	kr_err_clear(&err);
	ck_assert_int_eq(kr_rauc_split("second", b, len, &sq, &bundle, &err),
	    KR_OK);
	ck_assert(bundle);
	ck_assert_uint_eq(sq, r->img_len);
	free(b);
	b = tl_read("update.sqfs", &len);
	ck_assert_int_eq(kr_rauc_split("sqfs", b, len, &sq, &bundle, &err),
	    KR_OK);
	ck_assert(!bundle);
	ck_assert_uint_eq(sq, len);
	free(b);
	kr_fw_result_free(&r);
	kr_fw_result_free(&r2);
}
END_TEST

START_TEST(test_rauc_refusals)
{
	struct kr_fw_opts	o;

	opts_init(&o, KR_FW_RAUC);
	cert_opts(&o, K_P256, true);
	sign_refused(K_P256, &o, "img.bin", KR_EINPUT, "\"hsqs\"");
	fill_random("tiny.bin", 50);
	sign_refused(K_P256, &o, "tiny.bin", KR_EINPUT, "not a squashfs");
	SH_OK("printf 'hsqs' > fake.sqfs && head -c 200 /dev/zero >> "
	    "fake.sqfs");
	sign_refused(K_P256, &o, "fake.sqfs", KR_EINPUT, "version");
}
END_TEST

/* --- inputs and refusals shared by every format --------------------------- */

START_TEST(test_bad_inputs)
{
	static const enum kr_fw_format f[] = {
		KR_FW_RAW, KR_FW_MINISIGN, KR_FW_MCUBOOT, KR_FW_RAUC,
		KR_FW_CMS,
	};
	struct kr_fw_opts	o;
	size_t			i;
	int			k;

	tl_write("empty.bin", "", 0);
	SH_OK("ln -sf img.bin link.bin && mkfifo fifo.bin");
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		opts_init(&o, f[i]);
		k = f[i] == KR_FW_MINISIGN ? K_ED : K_P256;
		cert_opts(&o, k, false);
		sign_refused(k, &o, "empty.bin", KR_EINPUT, "is empty");
		sign_refused(k, &o, "missing.bin", KR_ENOENT, "does not exist");
		sign_refused(k, &o, "link.bin", KR_EINPUT, "symbolic link");
		sign_refused(k, &o, "fifo.bin", KR_EINPUT, "not a regular");
		/* a CA key signs no firmware */
		sign_refused(K_ROOT, &o, "img.bin", KR_EREFUSED, "");
	}
	opts_init(&o, 42);
	sign_refused(K_P256, &o, "img.bin", KR_EUSAGE, "unknown firmware "
	    "format");
}
END_TEST

START_TEST(test_format_names)
{
	enum kr_fw_format	f;

	ck_assert_int_eq(kr_fw_format_from_name("mcuboot", &f), KR_OK);
	ck_assert_int_eq(f, KR_FW_MCUBOOT);
	ck_assert_str_eq(kr_fw_format_name(KR_FW_RAUC), "rauc");
	ck_assert_int_eq(kr_fw_format_from_name("MCUBOOT", &f), KR_EINPUT);
	ck_assert_int_eq(kr_fw_format_from_name(NULL, &f), KR_EINPUT);
	ck_assert_ptr_null(kr_fw_format_name(0));
}
END_TEST

/* --- streaming ------------------------------------------------------------ */

struct prog {
	uint64_t	calls, last, total;
	bool		backwards;
};

static void
on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct prog	*p = arg;

	if (done < p->last)
		p->backwards = true;
	p->calls++;
	p->last = done;
	p->total = total;
}

struct collect {
	struct kr_hash	h;
	uint64_t	n;
};

static int
collect_out(void *arg, const uint8_t *p, size_t len, struct kr_err *err)
{
	struct collect	*c = arg;

	(void)err;
	kr_hash_update(&c->h, p, len);
	c->n += len;
	return KR_OK;
}

/* Three sinks, skips, an output callback, at and around chunk edges. */
static void
stream_case(size_t len, uint64_t off)
{
	struct kr_fw_input	in;
	struct kr_fw_sink	k[3];
	struct kr_fw_stream	st;
	struct collect		c;
	struct prog		pr;
	struct kr_err		err;
	uint8_t			*b, md[3][64], want[64];
	uint64_t		 skips[3] = { 0, 1, KR_FW_CHUNK + 3 };
	enum kr_hash_alg	 algs[3] = { KR_HASH_SHA256,
	    KR_HASH_BLAKE2B512, KR_HASH_SHA384 };
	size_t			 i, n;

	fill_random("stream.bin", len);
	b = tl_read("stream.bin", &n);
	ck_assert_int_eq(kr_fw_input_open(&in, tl_path("stream.bin"), &err),
	    KR_OK);
	memset(k, 0, sizeof(k));
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(kr_hash_init(&k[i].h, algs[i]), KR_OK);
		k[i].skip = skips[i];
	}
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(kr_hash_init(&c.h, KR_HASH_SHA256), KR_OK);
	memset(&pr, 0, sizeof(pr));
	memset(&st, 0, sizeof(st));
	st.in = &in;
	st.off = off;
	st.len = len - off;
	st.sinks = k;
	st.nsinks = 3;
	st.out = collect_out;
	st.out_arg = &c;
	st.progress = on_progress;
	st.progress_arg = &pr;
	ck_assert_msg(kr_fw_stream_run(&st, &err) == KR_OK, "%s", err.msg);
	kr_fw_input_close(&in);
	for (i = 0; i < 3; i++) {
		kr_hash_final(&k[i].h, md[i]);
		n = skips[i] < len - off ? len - off - skips[i] : 0;
		ck_assert_int_eq(kr_hash(algs[i], b + off + (len - off - n), n,
		    want), KR_OK);
		ck_assert_msg(memcmp(md[i], want, kr_hash_len(algs[i])) == 0,
		    "len %zu off %llu sink %zu", len, (unsigned long long)off,
		    i);
	}
	kr_hash_final(&c.h, md[0]);
	ck_assert_int_eq(kr_hash(KR_HASH_SHA256, b + off, len - off, want),
	    KR_OK);
	ck_assert_mem_eq(md[0], want, 32);
	ck_assert_uint_eq(c.n, len - off);
	ck_assert(pr.calls >= 1 && !pr.backwards);
	ck_assert_uint_eq(pr.last, len - off);
	ck_assert_uint_eq(pr.total, len - off);
	free(b);
}

START_TEST(test_stream_edges)
{
	static const size_t	lens[] = { 1, 63, 64, KR_FW_CHUNK - 1,
	    KR_FW_CHUNK, KR_FW_CHUNK + 1, 4 * KR_FW_CHUNK,
	    9 * KR_FW_CHUNK + 77 };
	size_t			i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		stream_case(lens[i], 0);
		if (lens[i] > 5)
			stream_case(lens[i], 5);
	}
}
END_TEST

START_TEST(test_hash_file)
{
	struct kr_err	err;
	uint8_t		md[64], want[64], *b;
	uint64_t	size = 0;
	size_t		len;

	fill_random("h.bin", 3 * KR_FW_CHUNK + 1);
	b = tl_read("h.bin", &len);
	ck_assert_int_eq(kr_fw_hash_file(tl_path("h.bin"), KR_HASH_SHA384,
	    md, &size, NULL, NULL, &err), KR_OK);
	ck_assert_uint_eq(size, len);
	ck_assert_int_eq(kr_hash(KR_HASH_SHA384, b, len, want), KR_OK);
	ck_assert_mem_eq(md, want, 48);
	free(b);
	ck_assert_int_eq(kr_fw_hash_file(tl_path("nope"), KR_HASH_SHA256, md,
	    &size, NULL, NULL, &err), KR_ENOENT);
}
END_TEST

static long
status_kb(const char *field)
{
	FILE	*f = fopen("/proc/self/status", "r");
	char	 line[256];
	long	 v = -1;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field), NULL, 10);
	fclose(f);
	ck_assert_int_ge(v, 0);
	return v;
}

/* A 100 MB image through three formats, the peak RSS growing < 32 MB. */
START_TEST(test_rss_bound)
{
	struct kr_fw_opts	 o;
	struct kr_fw_result	*r;
	uint8_t			*chunk;
	FILE			*f;
	long			 before, after;
	char			 hex[65];
	size_t			 i;

	chunk = malloc(KR_FW_CHUNK);
	ck_assert_ptr_nonnull(chunk);
	kr_random(chunk, KR_FW_CHUNK);
	f = fopen(tl_path("big.bin"), "wb");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < 100; i++) {
		chunk[0] = (uint8_t)i;
		ck_assert_uint_eq(fwrite(chunk, 1, KR_FW_CHUNK, f),
		    KR_FW_CHUNK);
	}
	ck_assert_int_eq(fclose(f), 0);
	free(chunk);
	/* reset the high-water mark where the kernel allows it */
	if ((f = fopen("/proc/self/clear_refs", "w")) != NULL) {
		fputs("5", f);
		fclose(f);
	}
	before = status_kb("VmHWM:");
	opts_init(&o, KR_FW_RAW);
	r = sign_ok(K_P256, &o, "big.bin");
	kr_hex_encode(hex, r->digest, 32);
	kr_fw_result_free(&r);
	opts_init(&o, KR_FW_MINISIGN);
	r = sign_ok(K_ED, &o, "big.bin");
	kr_fw_result_free(&r);
	opts_init(&o, KR_FW_MCUBOOT);
	o.mcuboot.pad_header = true;
	r = sign_ok(K_P384, &o, "big.bin");
	write_out(r, "big.bin", "big-mcu.bin");
	kr_fw_result_free(&r);
	after = status_kb("VmHWM:");
	ck_assert_msg(after - before <= 32 * 1024, "peak RSS grew by %ld kB "
	    "(from %ld kB) signing a 100 MB image", after - before, before);
	SH_OK("%s dgst -sha256 -r big.bin | grep -q '^%s '", openssl, hex);
	SH_OK("rm -f big.bin big-mcu.bin");
}
END_TEST

/* --- fixtures ------------------------------------------------------------- */

static Suite *
firmware_suite(void)
{
	Suite	*s = suite_create("firmware");
	TCase	*tc;

	tc = tcase_create("raw");
	tcase_add_test(tc, test_raw_p256);
	tcase_add_test(tc, test_raw_p384);
	tcase_add_test(tc, test_raw_rsa_pkcs1);
	tcase_add_test(tc, test_raw_rsa_pss);
	tcase_add_test(tc, test_raw_ed25519);
	tcase_add_test(tc, test_raw_ed25519_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("minisign");
	tcase_add_test(tc, test_minisign);
	tcase_add_test(tc, test_minisign_refusals);
	suite_add_tcase(s, tc);

	tc = tcase_create("mcuboot");
	tcase_add_test(tc, test_mcuboot_p256);
	tcase_add_test(tc, test_mcuboot_p384);
	tcase_add_test(tc, test_mcuboot_ed25519);
	tcase_add_test(tc, test_mcuboot_rsa);
	tcase_add_test(tc, test_mcuboot_refusals);
	tcase_add_test(tc, test_mcuboot_version);
	tcase_add_test(tc, test_mcuboot_pubkey_c);
	tcase_add_test(tc, test_mcuboot_buffer);
	tcase_add_test(tc, test_changed_image);
	suite_add_tcase(s, tc);

	tc = tcase_create("cms");
	tcase_add_test(tc, test_cms_p256);
	tcase_add_test(tc, test_cms_p384);
	tcase_add_test(tc, test_cms_rsa_pkcs1);
	tcase_add_test(tc, test_cms_rsa_pss);
	tcase_add_test(tc, test_cms_chain_forms);
	tcase_add_test(tc, test_cms_refusals);
	suite_add_tcase(s, tc);

	tc = tcase_create("rauc");
	tcase_add_test(tc, test_rauc_p256);
	tcase_add_test(tc, test_rauc_p384);
	tcase_add_test(tc, test_rauc_rsa);
	tcase_add_test(tc, test_rauc_resign);
	tcase_add_test(tc, test_rauc_refusals);
	suite_add_tcase(s, tc);

	tc = tcase_create("inputs");
	tcase_add_test(tc, test_bad_inputs);
	tcase_add_test(tc, test_format_names);
	tcase_add_test(tc, test_stream_edges);
	tcase_add_test(tc, test_hash_file);
	tcase_add_test(tc, test_rss_bound);
	suite_add_tcase(s, tc);
	return s;
}

/* One sealed key per role, opened with a random quorum secret. */
static void
make_keys(void)
{
	char	name[32];
	size_t	i;

	for (i = 0; i < NKEYS; i++) {
		snprintf(name, sizeof(name), "fw-%s", key_tags[i]);
		keys[i] = tl_signer_make(key_algs[i], i >= K_ROOT ?
		    KR_PURPOSE_CA : KR_PURPOSE_FIRMWARE, name, keyerr[i]);
		tl_signer_keep(&keys[i]);
	}
}

static int
cert_fields(struct kr_cert_fields *f, int k, const char *subject,
    const char *issuer, int ik)
{
	struct kr_err	err;

	kr_random(f->serial, 16);
	f->serial[0] = (f->serial[0] & 0x7f) | 0x01;
	f->serial_len = 16;
	f->sig_alg = kr_sig_alg_default(keys[ik]->alg);
	if (tl_dn(f->subject, &f->subject_len, subject, &err) != KR_OK ||
	    tl_dn(f->issuer, &f->issuer_len, issuer, &err) != KR_OK)
		return -1;
	f->not_before = kr_time_now() - 3600;
	f->not_after = kr_time_now() + 30 * 86400;
	memcpy(f->spki, keys[k]->spki, keys[k]->spki_len);
	f->spki_len = keys[k]->spki_len;
	f->has_ku = f->ku_critical = true;
	if (k >= K_ROOT) {
		f->has_bc = f->bc_critical = f->bc_ca = true;
		f->bc_pathlen = -1;
		f->ku = KR_KU_KEY_CERT_SIGN | KR_KU_CRL_SIGN;
	} else {
		f->ku = KR_KU_DIGITAL_SIGNATURE;
		f->has_eku = true;
		f->eku_count = 2;
		if (kr_oid_parse("codeSigning", &f->eku[0], &err) != KR_OK ||
		    kr_oid_parse("emailProtection", &f->eku[1], &err) != KR_OK)
			return -1;
	}
	f->has_ski = f->has_aki = true;
	f->ski_len = f->aki_len = KR_KEYID_BYTES;
	if (kr_key_identifier(f->spki, f->spki_len, f->ski) != KR_OK ||
	    kr_key_identifier(keys[ik]->spki, keys[ik]->spki_len, f->aki) !=
	    KR_OK)
		return -1;
	return 0;
}

/* Certificate for key k, issued by key ik; 0 on success. */
static int
make_cert(int k, const char *subject, const char *issuer, int ik)
{
	struct kr_cert_fields	*f = calloc(1, sizeof(*f));
	struct kr_err		 err;
	int			 ret = -1;

	if (f == NULL || keys[k] == NULL || keys[ik] == NULL ||
	    cert_fields(f, k, subject, issuer, ik) != 0)
		goto out;
	kr_err_clear(&err);
	if (tl_cert_sign(f, keys[ik], &certs[k], &cert_len[k], &err) !=
	    KR_OK) {
		fprintf(stderr, "certificate %s: %s\n", subject, err.msg);
		goto out;
	}
	ret = 0;
out:
	free(f);
	return ret;
}

/* Keys, certificates, public keys and the test images. */
static int
fixtures(void)
{
	char		 dn[64];
	uint8_t		*b;
	size_t		 i;
	int		 ret = 0;

	make_keys();
	if (make_cert(K_ROOT, "CN=Firmware Test Root,O=keyrite",
	    "CN=Firmware Test Root,O=keyrite", K_ROOT) != 0 ||
	    make_cert(K_INT, "CN=Firmware Test CA,O=keyrite",
	    "CN=Firmware Test Root,O=keyrite", K_ROOT) != 0 ||
	    tl_save_pem("root.pem", "CERTIFICATE", certs[K_ROOT],
	    cert_len[K_ROOT]) != 0 ||
	    tl_save_pem("chain.pem", "CERTIFICATE", certs[K_INT],
	    cert_len[K_INT]) != 0)
		return -1;
	for (i = 0; i < K_ROOT; i++) {
		snprintf(dn, sizeof(dn), "CN=Firmware %s,O=keyrite",
		    key_tags[i]);
		if (make_cert((int)i, dn, "CN=Firmware Test CA,O=keyrite",
		    K_INT) != 0)
			return -1;
		snprintf(dn, sizeof(dn), "pub-%s.pem", key_tags[i]);
		if (tl_save_pem(dn, "PUBLIC KEY", keys[i]->spki,
		    keys[i]->spki_len) != 0)
			return -1;
	}
	/* the root's public key too, for the wrong-key checks */
	if (tl_save_pem("pub-root.pem", "PUBLIC KEY", keys[K_ROOT]->spki,
	    keys[K_ROOT]->spki_len) != 0 ||
	    (b = calloc(1, SMALL_LEN + 0x100)) == NULL)
		return -1;
	kr_random(b, SMALL_LEN);
	if (tl_save("img.bin", b, SMALL_LEN) != 0)
		ret = -1;
	memmove(b + 0x100, b, SMALL_LEN);
	memset(b, 0, 0x100);
	if (tl_save("img-room.bin", b, SMALL_LEN + 0x100) != 0)
		ret = -1;
	free(b);
	return ret;
}

/* The verifier needs python3-cryptography; Debian's python3 has it. */
static void
pick_python(void)
{
	char	cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' -c 'import cryptography' "
	    ">/dev/null 2>&1", python);
	if (system(cmd) != 0 && access("/usr/bin/python3", X_OK) == 0)
		python = "/usr/bin/python3";
}

int
main(int argc, char **argv)
{
	struct kr_err	 err;
	int		 ret;
	size_t		 i;

	if (argc > 6) {
		openssl = argv[1];
		minisign = argv[2];
		rauc = argv[3];
		mksquashfs = argv[4];
		python = argv[5];
		verifier = argv[6];
	}
	pick_python();
	if (kr_crypto_init(&err) != KR_OK) {
		fprintf(stderr, "crypto init: %s\n", err.msg);
		return EXIT_FAILURE;
	}
	if (tl_work_begin("firmware") == NULL)
		return EXIT_FAILURE;
	if (fixtures() != 0)
		fprintf(stderr, "test fixtures incomplete; tests will fail\n");
	ret = tl_run(firmware_suite(), NULL);
	for (i = 0; i < NKEYS; i++) {
		kr_signer_free(&keys[i]);
		free(certs[i]);
	}
	tl_work_end();
	return ret;
}
