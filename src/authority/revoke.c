/*
 * revoke, revoke --lift-hold, import openssl-index.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

/*
 * A serial as openssl prints it (hex magnitude, any case, ':' allowed) as
 * the minimal content octets of a positive INTEGER.
 */
int
kr_serial_parse(const char *s, uint8_t *out, size_t *len, struct kr_err *err)
{
	uint8_t	mag[KR_SERIAL_MAX + 1];
	char	hex[2 * (KR_SERIAL_MAX + 1) + 2];
	size_t	n = 0, i, skip = 0;

	for (; *s != '\0'; s++) {
		if (*s == ':')
			continue;
		if (!isxdigit((unsigned char)*s) || n + 2 >= sizeof(hex))
			return kr_err_set(err, KR_EUSAGE, "'%.48s' is not a "
			    "serial number: give it in hex, as `openssl x509 "
			    "-serial` prints it", s);
		hex[n++] = (char)tolower((unsigned char)*s);
	}
	if (n == 0)
		return kr_err_set(err, KR_EUSAGE, "the serial number is empty");
	if (n % 2 == 1) {
		memmove(hex + 1, hex, n);
		hex[0] = '0';
		n++;
	}
	hex[n] = '\0';
	if (kr_hex_decode(mag, n / 2, hex) != KR_OK)
		return kr_err_set(err, KR_EUSAGE, "bad hex in the serial");
	while (skip + 1 < n / 2 && mag[skip] == 0)
		skip++;
	i = 0;
	if (mag[skip] == 0)
		return kr_err_set(err, KR_EUSAGE, "serial number 0 is not valid");
	if ((mag[skip] & 0x80) != 0)
		out[i++] = 0;
	if (n / 2 - skip + i > KR_SERIAL_MAX)
		return kr_err_set(err, KR_EUSAGE, "a serial number has at most "
		    "20 octets");
	memcpy(out + i, mag + skip, n / 2 - skip);
	*len = i + n / 2 - skip;
	return KR_OK;
}

int
kr_ca_key_load(struct kr_appliance *app, const char *name,
    struct kr_key_rec *k, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_store_key_get(app->store, name, k, err)) != KR_OK)
		return ret;
	if (strcmp(k->state, "active") != 0)
		return kr_err_set(err, KR_EREFUSED, "key '%s' is %s: it signs "
		    "nothing more", k->name, k->state);
	if (strcmp(k->purpose, "ca") != 0)
		return kr_err_set(err, KR_EREFUSED, "key '%s' has purpose %s: "
		    "certificates, CRLs and OCSP responses are signed only by "
		    "keys of purpose ca", k->name, k->purpose);
	return KR_OK;
}

static int
kr_revoke_audit(struct kr_appliance *app, const struct kr_revoke_req *req,
    const struct kr_key_rec *k, struct kr_revoke_result *res,
    struct kr_err *err)
{
	struct kr_json	j;
	int		ret;

	kr_json_begin(&j);
	kr_json_str(&j, "issuer_key", k->name);
	kr_json_str(&j, "serial", res->serial);
	kr_json_str(&j, "subject", res->subject);
	if (!req->lift_hold) {
		kr_json_str(&j, "reason", req->reason == KR_REASON_NONE ?
		    "unspecified" : kr_reason_name(req->reason));
		/* A member only when one was given. */
		if (req->invalidity != 0)
			kr_json_int(&j, "invalidity_date", req->invalidity);
	}
	ret = kr_audit_record(app, req->actor, req->lift_hold ?
	    "revoke.lift-hold" : "revoke", kr_json_end(&j), &res->audit_seq,
	    err);
	kr_json_free(&j);
	return ret;
}

static int
kr_revoke_lift(struct kr_appliance *app, const struct kr_key_rec *k,
    const uint8_t *serial, size_t len, struct kr_err *err)
{
	struct kr_revocation_rec	r;
	int				ret;

	ret = kr_store_revocation_get(app->store, k->id, serial, len, &r, err);
	if (ret == KR_ENOENT)
		return kr_err_set(err, KR_EREFUSED, "that certificate is not "
		    "revoked by '%s', so there is no hold to lift", k->name);
	if (ret != KR_OK)
		return ret;
	if (r.reason != KR_REASON_CERTIFICATE_HOLD || r.lifted_at != 0)
		return kr_err_set(err, KR_EREFUSED, "that certificate is "
		    "revoked for %s%s: only a certificateHold in force can be "
		    "lifted", r.reason == KR_REASON_NONE ? "no stated reason" :
		    kr_reason_name((enum kr_reason)r.reason),
		    r.lifted_at != 0 ? " (its hold was already lifted)" : "");
	return kr_store_revocation_lift(app->store, r.id, kr_time_now(), err);
}

/* The serial has its revocation record: say which, and what it means. */
static int
kr_revoke_twice(struct kr_appliance *app, const struct kr_key_rec *k,
    const uint8_t *serial, size_t len, const char *shown, struct kr_err *err)
{
	struct kr_revocation_rec	r;
	char				when[KR_TIME_STR_BYTES];

	if (kr_store_revocation_get(app->store, k->id, serial, len, &r,
	    err) != KR_OK || r.reason != KR_REASON_CERTIFICATE_HOLD)
		return kr_err_set(err, KR_EREFUSED, "certificate %s of '%s' is "
		    "already revoked: a certificate is revoked once", shown,
		    k->name);
	kr_time_format(r.lifted_at != 0 ? r.lifted_at : r.revoked_at, when);
	return kr_err_set(err, KR_EREFUSED, "certificate %s of '%s' was put "
	    "on hold%s %s, and keyrite cannot yet revoke a certificate again "
	    "once its serial has a hold record (docs/revocation.md, Limit). "
	    "Nothing was recorded", shown, k->name, r.lifted_at != 0 ?
	    "; the hold was lifted" : " (still in force) on", when);
}

static int
kr_revoke_record(struct kr_appliance *app, const struct kr_revoke_req *req,
    const struct kr_key_rec *k, const uint8_t *serial, size_t len,
    const struct kr_serial_lookup *lk, struct kr_revoke_result *res,
    struct kr_err *err)
{
	struct kr_revocation_rec	r;
	int				ret;

	if (req->lift_hold)
		ret = kr_revoke_lift(app, k, serial, len, err);
	else {
		memset(&r, 0, sizeof(r));
		memcpy(r.issuer_key_id, k->id, sizeof(r.issuer_key_id));
		memcpy(r.serial, serial, len);
		r.serial_len = len;
		r.revoked_at = kr_time_now();
		r.reason = req->reason;
		r.invalidity = req->invalidity;
		r.expires = lk->expires;
		(void)snprintf(r.source, sizeof(r.source), "keyrite");
		ret = kr_store_revocation_insert(app->store, &r, err);
		if (ret == KR_EEXIST)
			ret = kr_revoke_twice(app, k, serial, len, res->serial,
			    err);
	}
	if (ret != KR_OK)
		return ret;
	return kr_revoke_audit(app, req, k, res, err);
}

int
kr_authority_revoke(struct kr_appliance *app, const struct kr_revoke_req *req,
    struct kr_revoke_result *res, struct kr_err *err)
{
	struct kr_serial_lookup	lk;
	struct kr_key_rec	k;
	uint8_t			serial[KR_SERIAL_MAX];
	size_t			len;
	int			ret;

	memset(res, 0, sizeof(*res));
	if (!req->lift_hold && (req->reason == KR_REASON_REMOVE_FROM_CRL ||
	    req->reason < KR_REASON_NONE || req->reason > KR_REASON_AA_COMPROMISE))
		return kr_err_set(err, KR_EUSAGE, "removeFromCRL is not a reason "
		    "to revoke: use --lift-hold to lift a certificateHold");
	if (req->invalidity != 0 && req->invalidity > kr_time_now())
		return kr_err_set(err, KR_EUSAGE, "the invalidity date lies in "
		    "the future: it is when the key is known or suspected to "
		    "have been compromised");
	if ((ret = kr_ca_key_load(app, req->issuer_key, &k, err)) != KR_OK ||
	    (ret = kr_serial_parse(req->serial, serial, &len, err)) != KR_OK)
		return ret;
	kr_hex_encode(res->serial, serial, len);
	if ((ret = kr_store_serial_lookup(app->store, k.id, serial, len, &lk,
	    err)) != KR_OK)
		return ret;
	if (!lk.found)
		return kr_err_set(err, KR_EINPUT, "serial %s was %s: `keyrite "
		    "cert list` shows what was issued here", res->serial,
		    lk.other_issuer ? "issued by another key, not by this one" :
		    "never issued by this key (nor imported for it)");
	(void)snprintf(res->subject, sizeof(res->subject), "%s", lk.subject);
	if ((ret = kr_store_begin(app->store, err)) != KR_OK)
		return ret;
	if ((ret = kr_revoke_record(app, req, &k, serial, len, &lk, res,
	    err)) != KR_OK) {
		kr_store_rollback(app->store);
		return ret;
	}
	return kr_store_commit(app->store, err);
}

/* import openssl-index */

struct kr_import {
	struct kr_appliance		*app;
	const struct kr_key_rec		*k;
	const char			*path;
	const struct kr_notice_sink	*notice;
	struct kr_import_result		*res;
	struct kr_err			*err;
	const char			*actor;
	struct kr_import_batch		*batch;
};

/* The store writes rows in batches: its error names the line at fault. */
static int
kr_import_failed(struct kr_import *im)
{
	return kr_err_prefix(im->err, "%s, line %u: ", im->path,
	    kr_store_import_failed(im->batch));
}

static int
kr_import_line(const struct kr_index_entry *e, void *arg)
{
	struct kr_import		*im = arg;
	struct kr_external_rec		 x;
	struct kr_revocation_rec	 r;
	int				 ret;

	memset(&x, 0, sizeof(x));
	memcpy(x.issuer_key_id, im->k->id, sizeof(x.issuer_key_id));
	memcpy(x.serial, e->serial, e->serial_len);
	x.serial_len = e->serial_len;
	x.status = e->status;
	x.expires = e->expires;
	(void)snprintf(x.subject, sizeof(x.subject), "%s", e->subject);
	(void)snprintf(x.source, sizeof(x.source), "openssl-index");
	if ((ret = kr_store_import_external(im->batch, &x, e->line,
	    im->err)) != KR_OK)
		return kr_import_failed(im);
	im->res->lines++;
	if (e->status == 'E')
		im->res->expired++;
	else if (e->status == 'V')
		im->res->valid++;
	if (e->status != 'R')
		return 0;
	memset(&r, 0, sizeof(r));
	memcpy(r.issuer_key_id, im->k->id, sizeof(r.issuer_key_id));
	memcpy(r.serial, e->serial, e->serial_len);
	r.serial_len = e->serial_len;
	r.revoked_at = e->revoked_at;
	r.reason = e->reason == KR_REASON_UNSPECIFIED ? KR_REASON_NONE :
	    e->reason;
	r.invalidity = e->invalidity;
	r.expires = e->expires;
	(void)snprintf(r.source, sizeof(r.source), "openssl-index");
	if ((ret = kr_store_import_revocation(im->batch, &r, e->line,
	    im->err)) != KR_OK)
		return kr_import_failed(im);
	im->res->revoked++;
	if (im->notice != NULL && im->res->lines % 100000 == 0) {
		char	msg[128];

		(void)snprintf(msg, sizeof(msg), "imported %zu lines",
		    im->res->lines);
		im->notice->notice(im->notice->ctx, msg);
	}
	return 0;
}

static int
kr_import_audit(struct kr_import *im, const uint8_t *dig, struct kr_err *err)
{
	struct kr_json	j;
	int		ret;

	kr_json_begin(&j);
	kr_json_str(&j, "issuer_key", im->k->name);
	kr_json_str(&j, "file", im->path);
	kr_json_hex(&j, "file_sha256", dig, 32);
	kr_json_int(&j, "lines", (int64_t)im->res->lines);
	kr_json_int(&j, "valid", (int64_t)im->res->valid);
	kr_json_int(&j, "revoked", (int64_t)im->res->revoked);
	kr_json_int(&j, "expired", (int64_t)im->res->expired);
	ret = kr_audit_record(im->app, im->actor, "import.openssl-index",
	    kr_json_end(&j), &im->res->audit_seq, err);
	kr_json_free(&j);
	return ret;
}

static int
kr_file_sha256(const char *path, uint8_t *dig, struct kr_err *err)
{
	struct kr_hash	 h;
	uint8_t		 buf[65536];
	size_t		 n;
	FILE		*f;

	if ((f = fopen(path, "rb")) == NULL)
		return kr_err_set(err, KR_EINPUT, "cannot open %s", path);
	if (kr_hash_init(&h, KR_HASH_SHA256) != KR_OK) {
		(void)fclose(f);
		return kr_err_set(err, KR_ECRYPTO, "cannot hash %s", path);
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		kr_hash_update(&h, buf, n);
	(void)fclose(f);
	kr_hash_final(&h, dig);
	return KR_OK;
}

int
kr_authority_import_openssl_index(struct kr_appliance *app,
    const char *issuer_key, const char *path, const char *actor,
    const struct kr_notice_sink *notice, struct kr_import_result *res,
    struct kr_err *err)
{
	struct kr_import	im;
	struct kr_key_rec	k;
	uint8_t			dig[32];
	int			ret;

	memset(res, 0, sizeof(*res));
	if ((ret = kr_ca_key_load(app, issuer_key, &k, err)) != KR_OK ||
	    (ret = kr_file_sha256(path, dig, err)) != KR_OK)
		return ret;
	im = (struct kr_import){ app, &k, path, notice, res, err, actor, NULL };
	if ((ret = kr_store_begin(app->store, err)) != KR_OK)
		return ret;
	if ((ret = kr_store_import_open(app->store, &im.batch, err)) == KR_OK)
		ret = kr_index_read(path, kr_import_line, &im, err);
	if (ret > 0)
		ret = err->code != KR_OK ? err->code : KR_EINPUT;
	if (ret == KR_OK && kr_store_import_flush(im.batch, err) != KR_OK)
		ret = kr_import_failed(&im);
	if (ret == KR_OK &&
	    (ret = kr_store_import_check_own(im.batch, err)) == KR_OK)
		ret = kr_store_import_bind(im.batch, err);
	kr_store_import_close(&im.batch);
	if (ret == KR_OK)
		ret = kr_import_audit(&im, dig, err);
	if (ret != KR_OK) {
		kr_store_rollback(app->store);
		memset(res, 0, sizeof(*res));
		return ret;
	}
	return kr_store_commit(app->store, err);
}
