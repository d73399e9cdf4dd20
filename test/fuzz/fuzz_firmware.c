/*
 * libFuzzer target for the firmware parsers of outside input:
 *
 *   - MCUboot images (kr_mcuboot_check): the input as an image, and as an
 *     edit of a signed image built at start-up, so mutations reach the TLV
 *     areas behind a valid header;
 *   - RAUC inputs (kr_rauc_split): the input as a file, and appended to a
 *     valid squashfs superblock so the bundle trailer logic is reached;
 *   - MCUboot version strings;
 *   - certificate chain files for the CMS formats: the input is the
 *     --chain file of a CMS signing with a valid signer certificate.
 *
 * The key and certificate are made at start-up through the keystore
 * (test/lib).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/firmware.h>
#include <keyrite/keystore.h>
#include <keyrite/x509.h>

#include "testpki.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct kr_signer	*signer;
static uint8_t		*cert;
static size_t		 cert_len;
static uint8_t		*image;		/* a signed MCUboot image */
static size_t		 image_len;
static volatile int	 sink;		/* results nobody needs */

/* A self-issued certificate for the signer's own key. */
static int
make_cert(void)
{
	struct kr_cert_fields	*f = calloc(1, sizeof(*f));
	struct kr_err		 err;
	int			 ret = -1;

	if (f == NULL || tl_dn(f->subject, &f->subject_len, "CN=fuzz",
	    &err) != KR_OK)
		goto out;
	f->serial[0] = 1;
	f->serial_len = 1;
	f->sig_alg = KR_SIG_ECDSA_P256_SHA256;
	memcpy(f->issuer, f->subject, f->subject_len);
	f->issuer_len = f->subject_len;
	f->not_before = 1700000000;
	f->not_after = 1900000000;
	memcpy(f->spki, signer->spki, signer->spki_len);
	f->spki_len = signer->spki_len;
	if (tl_cert_sign(f, signer, &cert, &cert_len, &err) == KR_OK)
		ret = 0;
out:
	free(f);
	return ret;
}

static int
make_image(void)
{
	struct kr_fw_opts	 o;
	struct kr_fw_result	*r = NULL;
	struct kr_err		 err;
	uint8_t			 app[300];
	int			 ret = -1;

	memset(app, 0x5a, sizeof(app));
	memset(&o, 0, sizeof(o));
	o.format = KR_FW_MCUBOOT;
	o.mcuboot.pad_header = true;
	o.mcuboot.has_security_counter = true;
	o.mcuboot.security_counter = 3;
	if (kr_fw_sign_buf(signer, &o, "app", app, sizeof(app), &r, &err) ==
	    KR_OK && kr_fw_output_buf(r, app, sizeof(app), &image, &image_len,
	    &err) == KR_OK)
		ret = 0;
	kr_fw_result_free(&r);
	return ret;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct kr_err	err;
	char		why[KR_ERR_MSG_MAX] = "";

	(void)argc;
	(void)argv;
	if (kr_crypto_init(&err) != KR_OK || (signer = tl_signer_make(
	    KR_KEY_P256, KR_PURPOSE_FIRMWARE, "fuzz-fw", why)) == NULL ||
	    make_cert() != 0 || make_image() != 0) {
		fprintf(stderr, "fuzz_firmware: set-up failed %s\n", why);
		abort();
	}
	/* freed at exit: LeakSanitizer would take it for a leak */
	tl_signer_keep(&signer);
	return 0;
}

static void
fuzz_mcuboot(const uint8_t *d, size_t n)
{
	struct kr_mcuboot_info	info;
	struct kr_err		err;
	uint8_t			*b;
	size_t			 at, k;

	sink = kr_mcuboot_check(d, n, signer->spki, signer->spki_len, &info,
	    &err);
	if (n < 3 || (b = malloc(image_len)) == NULL)
		return;
	memcpy(b, image, image_len);
	at = (size_t)(d[0] | d[1] << 8) % image_len;
	k = n - 2 < image_len - at ? n - 2 : image_len - at;
	memcpy(b + at, d + 2, k);
	/* the edited image, and the same cut short at the edit's end */
	sink = kr_mcuboot_check(b, image_len, signer->spki, signer->spki_len,
	    &info, &err);
	sink = kr_mcuboot_check(b, at + k, signer->spki, signer->spki_len,
	    &info, &err);
	free(b);
}

static void
fuzz_rauc(const uint8_t *d, size_t n)
{
	struct kr_err	 err;
	uint64_t	 sq;
	bool		 bundle;
	uint8_t		*b;

	sink = kr_rauc_split("fuzz", d, n, &sq, &bundle, &err);
	if ((b = calloc(1, 96 + n)) == NULL)
		return;
	memcpy(b, "hsqs", 4);
	b[28] = 4;
	b[40] = 96;		/* bytes_used: the superblock alone */
	memcpy(b + 96, d, n);
	if (kr_rauc_split("fuzz", b, 96 + n, &sq, &bundle, &err) == KR_OK &&
	    sq > 96 + n)
		abort();
	free(b);
}

static void
fuzz_version(const uint8_t *d, size_t n)
{
	struct kr_mcuboot_version	v;
	struct kr_err			err;
	char				s[64];

	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	memcpy(s, d, n);
	s[n] = '\0';
	sink = kr_mcuboot_version_parse(s, &v, &err);
}

static void
fuzz_chain(const uint8_t *d, size_t n)
{
	struct kr_fw_opts	 o;
	struct kr_fw_result	*r = NULL;
	struct kr_err		 err;
	static const uint8_t	 content[] = "sw-description";

	memset(&o, 0, sizeof(o));
	o.format = KR_FW_CMS;
	o.now = 1800000000;
	o.cert = cert;
	o.cert_len = cert_len;
	o.chain = d;
	o.chain_len = n;
	if (kr_fw_sign_buf(signer, &o, "fuzz", content, sizeof(content) - 1,
	    &r, &err) == KR_OK && r->head_len == 0)
		abort();
	kr_fw_result_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_mcuboot(d, n);
	fuzz_rauc(d, n);
	fuzz_version(d, n);
	fuzz_chain(d, n);
	return 0;
}
