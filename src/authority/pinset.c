/*
 * Pin sets (docs/rotation.md, docs/formats.md): the roots a device may
 * trust, each by the SHA-256 of its SubjectPublicKeyInfo, with the times
 * it is trusted between.  The file is one line of keyrite's canonical
 * JSON and a line feed; those bytes, exactly as written, are what every
 * pinned root signs, each signature in a file of its own (FILE.N.sig for
 * pin N).  The reader takes only that form: it writes the file again from
 * what it read and refuses any byte that differs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

#define KR_PINSET_SIG_MAX	1024

/* The signature algorithm of a name kr_sig_alg_name gives, or 0. */
static enum kr_sig_alg
kr_pinset_sig_alg(const char *name)
{
	int	a;

	for (a = KR_SIG_ECDSA_P256_SHA256; a <= KR_SIG_ED25519; a++)
		if (strcmp(kr_sig_alg_name((enum kr_sig_alg)a), name) == 0)
			return (enum kr_sig_alg)a;
	return 0;
}

static void
kr_pinset_pin_json(struct kr_buf *b, const struct kr_pin *p)
{
	struct kr_json	j;
	char		nb[KR_TIME_STR_BYTES], na[KR_TIME_STR_BYTES];

	kr_time_format(p->not_before, nb);
	kr_time_format(p->not_after, na);
	kr_json_begin(&j);
	kr_json_str(&j, "key", p->key);
	kr_json_str(&j, "subject", p->subject);
	kr_json_str(&j, "spki_sha256", p->spki_sha256);
	kr_json_str(&j, "sig_alg", p->sig_alg);
	kr_json_str(&j, "not_before", nb);
	kr_json_str(&j, "not_after", na);
	kr_json_list_add(b, &j);
}

/* The file's bytes (malloc'd, NUL after them) and their SHA-256. */
int
kr_pinset_format(struct kr_pinset *ps, char **text, size_t *len,
    struct kr_err *err)
{
	struct kr_json	 j;
	struct kr_buf	 arr;
	char		 issued[KR_TIME_STR_BYTES];
	const char	*t;
	size_t		 i;
	int		 ret = KR_ENOMEM;

	*text = NULL;
	kr_time_format(ps->issued, issued);
	kr_buf_init(&arr, false);
	for (i = 0; i < ps->n; i++)
		kr_pinset_pin_json(&arr, &ps->pins[i]);
	(void)kr_json_list_end(&arr);
	kr_json_begin(&j);
	kr_json_str(&j, "format", KR_PINSET_FORMAT);
	kr_json_int(&j, "version", 1);
	kr_json_int(&j, "sequence", ps->sequence);
	kr_json_str(&j, "issued", issued);
	kr_json_raw(&j, "pins", kr_buf_status(&arr, err) == KR_OK ?
	    (const char *)arr.p : NULL);
	if ((t = kr_json_end(&j)) != NULL &&
	    (*text = malloc(strlen(t) + 2)) != NULL) {
		*len = strlen(t) + 1;
		(void)snprintf(*text, *len + 1, "%s\n", t);
		ret = kr_hash(KR_HASH_SHA256, (const uint8_t *)*text, *len,
		    ps->sha256);
	}
	kr_json_free(&j);
	kr_buf_free(&arr);
	if (ret != KR_OK) {
		free(*text);
		*text = NULL;
		return kr_err_set(err, ret, "cannot write the pin set");
	}
	return KR_OK;
}

static bool
kr_pinset_time(const char *v, int64_t *t)
{
	char	buf[KR_TIME_STR_BYTES];

	return kr_js_str(v, buf, sizeof(buf)) &&
	    kr_time_parse(buf, KR_TIME_SECOND, t);
}

static int
kr_pinset_pin_read(const char *path, size_t i, const char *o,
    struct kr_pin *p, struct kr_err *err)
{
	if (!kr_js_str(kr_js_member(o, "key"), p->key, sizeof(p->key)) ||
	    !kr_js_str(kr_js_member(o, "subject"), p->subject,
	    sizeof(p->subject)) ||
	    !kr_js_str(kr_js_member(o, "spki_sha256"), p->spki_sha256,
	    sizeof(p->spki_sha256)) || strlen(p->spki_sha256) != 64 ||
	    !kr_reqf_is_hex(p->spki_sha256, 64) ||
	    !kr_js_str(kr_js_member(o, "sig_alg"), p->sig_alg,
	    sizeof(p->sig_alg)) || kr_pinset_sig_alg(p->sig_alg) == 0 ||
	    !kr_pinset_time(kr_js_member(o, "not_before"), &p->not_before) ||
	    !kr_pinset_time(kr_js_member(o, "not_after"), &p->not_after) ||
	    p->not_after <= p->not_before)
		return kr_err_set(err, KR_EINPUT, "%s: pin %zu is not a pin "
		    "keyrite writes (key, subject, spki_sha256 of 64 lower-case "
		    "hex digits, sig_alg, not_before before not_after)", path,
		    i + 1);
	return KR_OK;
}

static int
kr_pinset_members(const char *path, const char *doc, struct kr_pinset *ps,
    struct kr_err *err)
{
	const char	*e, *p;
	char		 fmt[32];
	int64_t		 version;

	if (!kr_js_str(kr_js_member(doc, "format"), fmt, sizeof(fmt)) ||
	    strcmp(fmt, KR_PINSET_FORMAT) != 0 ||
	    !kr_js_int(kr_js_member(doc, "version"), &version) || version != 1)
		return kr_err_set(err, KR_EINPUT, "%s is not a keyrite pin set "
		    "of version 1 (format \"%s\")", path, KR_PINSET_FORMAT);
	if (!kr_js_int(kr_js_member(doc, "sequence"), &ps->sequence) ||
	    ps->sequence < 1 ||
	    !kr_pinset_time(kr_js_member(doc, "issued"), &ps->issued))
		return kr_err_set(err, KR_EINPUT, "%s: its sequence or issue "
		    "time cannot be read", path);
	p = kr_js_member(doc, "pins");
	for (e = kr_js_next(&p, true); e != NULL; e = kr_js_next(&p, false)) {
		if (ps->n == KR_PINSET_PINS_MAX)
			return kr_err_set(err, KR_EINPUT, "%s pins more than %d "
			    "roots", path, KR_PINSET_PINS_MAX);
		if (kr_pinset_pin_read(path, ps->n, e, &ps->pins[ps->n], err) !=
		    KR_OK)
			return err->code;
		ps->n++;
	}
	if (ps->n == 0)
		return kr_err_set(err, KR_EINPUT, "%s pins no root", path);
	return KR_OK;
}

/*
 * The document without JSON's insignificant white space (outside
 * strings), NUL-terminated, for the reader of the canonical form: a file
 * written again by another tool (json.dumps puts a space after ':' and
 * ',') is read, and then refused as edited rather than as no pin set.
 */
static char *
kr_pinset_compact(const uint8_t *data, size_t len)
{
	char	*doc;
	size_t	 i, n = 0;
	bool	 str = false;

	if ((doc = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (!str && (data[i] == ' ' || data[i] == '\t' ||
		    data[i] == '\r' || data[i] == '\n'))
			continue;
		if (str && data[i] == '\\' && i + 1 < len) {
			doc[n++] = (char)data[i++];
		} else if (data[i] == '"')
			str = !str;
		doc[n++] = (char)data[i];
	}
	doc[n] = '\0';
	return doc;
}

/* Parsed, then written again: any byte that differs refuses the file. */
int
kr_pinset_parse(const char *path, const uint8_t *data, size_t len,
    struct kr_pinset *ps, struct kr_err *err)
{
	char	*doc, *again = NULL;
	size_t	 alen = 0;
	int	 ret;

	memset(ps, 0, sizeof(*ps));
	if (len == 0 || memchr(data, '\0', len) != NULL)
		return kr_err_set(err, KR_EINPUT, "%s is not a pin set: it is "
		    "empty or holds a NUL byte", path);
	if ((doc = kr_pinset_compact(data, len)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_pinset_members(path, doc, ps, err)) == KR_OK &&
	    (ret = kr_pinset_format(ps, &again, &alen, err)) == KR_OK &&
	    (alen != len || memcmp(again, data, len) != 0))
		ret = kr_err_set(err, KR_EINPUT, "%s is not byte for byte the "
		    "pin set its members make (one JSON line as keyrite writes "
		    "it, then a line feed): it was edited after it was written "
		    "(re-serialised by another tool, white space or a member "
		    "changed), so its signatures cannot be trusted. Take the "
		    "file as keyrite wrote it (`keyrite export`)", path);
	free(again);
	free(doc);
	return ret;
}

int
kr_authority_pinset_read(const char *path, struct kr_pinset *ps,
    struct kr_err *err)
{
	uint8_t	*data = NULL;
	size_t	 len;
	int	 ret;

	if ((ret = kr_file_read(path, KR_PINSET_FILE_MAX, false, &data, &len,
	    err)) == KR_OK)
		ret = kr_pinset_parse(path, data, len, ps, err);
	free(data);
	return ret;
}

/* The SPKI of a root certificate given with --root (PEM or DER). */
static int
kr_pinset_root(const char *path, struct kr_cert **c, char *fp,
    struct kr_err *err)
{
	uint8_t	*data = NULL;
	size_t	 len;
	int	 ret;

	if ((ret = kr_file_read(path, KR_CERT_MAX, false, &data, &len,
	    err)) == KR_OK && (ret = kr_cert_parse(path, data, len, c, err)) ==
	    KR_OK)
		kr_spki_fingerprint((*c)->f.spki, (*c)->f.spki_len, fp);
	free(data);
	return ret;
}

/* Pin i's signature, FILE.(i+1).sig, over the file's bytes. */
static int
kr_pinset_sig_check(const char *path, size_t i, const struct kr_pin *p,
    const struct kr_cert *root, const uint8_t *data, size_t len,
    struct kr_err *err)
{
	uint8_t	*sig = NULL;
	char	 sp[1100];
	size_t	 slen;
	int	 ret;

	(void)snprintf(sp, sizeof(sp), "%s.%zu.sig", path, i + 1);
	if ((ret = kr_file_read(sp, KR_PINSET_SIG_MAX, false, &sig, &slen,
	    err)) != KR_OK)
		return kr_err_prefix(err, "pin %zu (%s): ", i + 1, p->key);
	if (kr_sig_verify(kr_pinset_sig_alg(p->sig_alg), root->f.spki,
	    root->f.spki_len, data, len, sig, slen, 0, err) != KR_OK)
		ret = kr_err_set(err, KR_EVERIFY, "%s does not verify with the "
		    "key of pin %zu (%s, %s): the pin set or its signature was "
		    "changed, or the signature is another root's. Do not "
		    "install this pin set", sp, i + 1, p->key, p->sig_alg);
	free(sig);
	return ret;
}

static int
kr_pinset_check(const char *path, const uint8_t *data, size_t len,
    struct kr_cert **c, char (*fp)[65], size_t n, const struct kr_pinset *ps,
    struct kr_err *err)
{
	size_t	i, k;

	for (k = 0; k < n; k++) {
		for (i = 0; i < ps->n; i++)
			if (strcmp(fp[k], ps->pins[i].spki_sha256) == 0)
				break;
		if (i == ps->n)
			return kr_err_set(err, KR_EVERIFY, "root %zu given "
			    "(key SHA-256 %s) is not pinned in %s", k + 1,
			    fp[k], path);
	}
	for (i = 0; i < ps->n; i++) {
		for (k = 0; k < n; k++)
			if (strcmp(fp[k], ps->pins[i].spki_sha256) == 0)
				break;
		if (k == n)
			return kr_err_set(err, KR_EUSAGE, "pin %zu of %s (key "
			    "'%s', SHA-256 %s) has no --root certificate "
			    "given: give each pinned root's certificate", i + 1,
			    path, ps->pins[i].key, ps->pins[i].spki_sha256);
		if (kr_pinset_sig_check(path, i, &ps->pins[i], c[k], data, len,
		    err) != KR_OK)
			return err->code;
	}
	return KR_OK;
}

int
kr_authority_pinset_verify(const char *path, const char *const *roots,
    size_t nroots, struct kr_pinset *ps, struct kr_err *err)
{
	struct kr_cert	*c[KR_PINSET_PINS_MAX] = { NULL };
	char		 fp[KR_PINSET_PINS_MAX][65];
	uint8_t		*data = NULL;
	size_t		 len, k;
	int		 ret;

	if (nroots == 0 || nroots > KR_PINSET_PINS_MAX)
		return kr_err_set(err, KR_EUSAGE, "give from 1 to %d --root "
		    "certificates, one for each pinned root",
		    KR_PINSET_PINS_MAX);
	if ((ret = kr_file_read(path, KR_PINSET_FILE_MAX, false, &data, &len,
	    err)) != KR_OK || (ret = kr_pinset_parse(path, data, len, ps,
	    err)) != KR_OK)
		goto out;
	for (k = 0; k < nroots; k++)
		if ((ret = kr_pinset_root(roots[k], &c[k], fp[k], err)) !=
		    KR_OK)
			goto out;
	ret = kr_pinset_check(path, data, len, c, fp, nroots, ps, err);
out:
	for (k = 0; k < KR_PINSET_PINS_MAX; k++)
		kr_cert_free(&c[k]);
	free(data);
	return ret;
}

/* One file of a pin set row into the export, with where it came from. */
static int
kr_pinset_export_add(struct kr_media_export *x, const struct kr_audit_rec *r,
    enum kr_artifact type, const char *name, const void *data, size_t len,
    int64_t seq, struct kr_err *err)
{
	struct kr_json	j;
	const char	*t;
	int		ret;

	kr_json_begin(&j);
	kr_json_str(&j, "table", "audit");
	kr_json_str(&j, "event", r->event);
	kr_json_int(&j, "pinset_sequence", seq);
	kr_json_int(&j, "audit_seq", r->seq);
	if ((t = kr_json_end(&j)) == NULL)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	else
		ret = kr_media_export_add(x, type, name, data, len, t, err);
	kr_json_free(&j);
	return ret;
}

/* The row's pin set bytes, checked against the SHA-256 it records. */
int
kr_pinset_row_text(const struct kr_audit_rec *r, char **text,
    struct kr_err *err)
{
	uint8_t	dig[32], want[32];

	if ((*text = kr_js_str_dup(kr_js_member(r->payload, "pinset"))) ==
	    NULL || !kr_js_hex(kr_js_member(r->payload, "tbs_sha256"), want,
	    sizeof(want)) || kr_hash(KR_HASH_SHA256, (const uint8_t *)*text,
	    strlen(*text), dig) != KR_OK || memcmp(dig, want, 32) != 0)
		return kr_err_set(err, KR_EVERIFY, "the pin set of audit row "
		    "%lld does not have the SHA-256 its row records (the "
		    "database was altered): `keyrite audit verify` names the "
		    "rows; restore the state folder from a backup",
		    (long long)r->seq);
	return KR_OK;
}

/* Whether the row's pin set pins the key of SPKI SHA-256 `spki`. */
static int
kr_pinset_pins(const struct kr_audit_rec *r, const char *text,
    const char *spki, bool *pinned, struct kr_err *err)
{
	struct kr_pinset	ps;
	char			what[64];
	size_t			i;

	(void)snprintf(what, sizeof(what), "the pin set of audit row %lld",
	    (long long)r->seq);
	if (kr_pinset_parse(what, (const uint8_t *)text, strlen(text), &ps,
	    err) != KR_OK)
		return err->code;
	for (i = 0, *pinned = false; i < ps.n && !*pinned; i++)
		*pinned = strcmp(ps.pins[i].spki_sha256, spki) == 0;
	return KR_OK;
}

/*
 * export: a pin set signature row's files, pinset-N.json (once per
 * sequence: `*done` is the last added) and pinset-N.json.PIN.sig; with
 * `spki` (export --key), only the pin sets that pin that key, each with
 * all its signatures, whichever root made them.
 */
int
kr_pinset_export(struct kr_media_export *x, const struct kr_audit_rec *r,
    const char *spki, int64_t *done, size_t *files, struct kr_err *err)
{
	char	 kind[32], name[64], *hex, *text;
	uint8_t	*sig = NULL;
	int64_t	 seq, pin;
	size_t	 slen = 0;
	bool	 pinned = true;
	int	 ret;

	if (!kr_js_str(kr_js_member(r->payload, "kind"), kind, sizeof(kind)) ||
	    strcmp(kind, "pinset-signature") != 0 ||
	    !kr_js_int(kr_js_member(r->payload, "pinset_sequence"), &seq) ||
	    !kr_js_int(kr_js_member(r->payload, "pin"), &pin))
		return KR_OK;
	if ((ret = kr_pinset_row_text(r, &text, err)) != KR_OK ||
	    (spki != NULL && (ret = kr_pinset_pins(r, text, spki, &pinned,
	    err)) != KR_OK)) {
		(void)kr_err_prefix(err, "nothing was exported: ");
		goto out;
	}
	if (!pinned)
		goto out;
	if ((hex = kr_js_str_dup(kr_js_member(r->payload, "signature"))) ==
	    NULL || kr_hex_decode_alloc(hex, &sig, &slen) != KR_OK)
		ret = kr_err_set(err, KR_EVERIFY, "the signature in audit row "
		    "%lld cannot be read", (long long)r->seq);
	free(hex);
	if (ret == KR_OK && *done != seq) {
		(void)snprintf(name, sizeof(name), "pinset-%lld.json",
		    (long long)seq);
		if ((ret = kr_pinset_export_add(x, r, KR_ART_PIN_SET, name,
		    text, strlen(text), seq, err)) == KR_OK) {
			(*files)++;
			*done = seq;
		}
	}
	(void)snprintf(name, sizeof(name), "pinset-%lld.json.%lld.sig",
	    (long long)seq, (long long)pin);
	if (ret == KR_OK && (ret = kr_pinset_export_add(x, r, KR_ART_SIGNATURE,
	    name, sig, slen, seq, err)) == KR_OK)
		(*files)++;
out:
	free(sig);
	free(text);
	return ret;
}
