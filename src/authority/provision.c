/*
 * provision batch: device certificates for a manufacturing line.
 *
 * every CSR checked (signature, on two threads; device id, key never
 * certified here, no key or device twice, the leaf linted, every output)
 * -> the batch's digest shown -> one quorum unlock approving that digest
 * -> per group of PROV_GROUP devices: per device the CSR read again (same
 * SHA-256), sign (the signature verified on a second thread), the
 * certificate and its record file written with no name, the certificate,
 * provisioning record and audit row into the group's transaction; then
 * commit (once every signature verified), the files made durable and
 * named, the folder synced.  Renewals (--renew-within-days) take the same
 * path with the expiring certificates in place of CSRs.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "authority_int.h"

#define PROV_CA_FILE		"bootstrap-ca.crt"
#define PROV_CERT_BOUND		8192
#define PROV_RECORD_BOUND	2048
#define PROV_PREVIEW_DEVICES	20
/*
 * Devices recorded in one transaction and released together (their
 * files made durable by one writeback, their folder synced once): two
 * open files each while the group is written.
 */
#define PROV_GROUP		128
#define PROV_CHECK_CHUNK	256	/* CSRs parsed on two threads at once */

struct kr_prov_item {
	char	*name;		/* the CSR's file name, or the old serial */
	uint8_t	 src_sha[32];	/* the CSR file, or the old certificate */
	uint8_t	 spki_sha[32];
	uint8_t	 neg_sha[32];	/* the negated point's SPKI (EC, Ed25519) */
	bool	 has_neg;
	char	 device[KR_DEVICE_ID_MAX + 1];
	char	*done;		/* --skip-provisioned: where it was, or NULL */
	char	*replaces;	/* re-provisioned: the serials it replaces */
	char	*was;		/* and how each ended, for the preview */
};

/* A certificate left out of a renewal batch, and why. */
struct kr_prov_skip {
	char	serial[2 * 20 + 1];
	char	reason[320];
};

struct kr_prov {
	struct kr_appliance		*app;
	const struct kr_prov_req	*req;
	struct kr_prov_result		*res;
	struct kr_issue			*is;
	struct kr_prov_item		*items;
	size_t				 n, cap;
	size_t				 ndone;		/* skipped, after n */
	uint8_t				 batch_dig[32];
	char				 ca_sha[65];
	bool				 ca_there;	/* bootstrap-ca.crt */
	struct kr_media_plan		 plan;
	struct kr_prov_skip		*skips;
	size_t				 nskips;
	size_t				 recorded;	/* from the failed one on,
							   recorded, not written */
	struct kr_media_group		*group;
	struct kr_prov_checker		*checker;
	struct kr_key_rec		 from;	/* renewals: whose certs */
};

static bool
kr_prov_renewing(const struct kr_prov *pv)
{
	return pv->req->csr_dir == NULL;
}

/* Renewals of a retired issuer's certificates under its successor. */
static bool
kr_prov_moving(const struct kr_prov *pv)
{
	return kr_prov_renewing(pv) && pv->req->from_issuer != NULL;
}

static const char *
kr_prov_event(const struct kr_prov *pv)
{
	return kr_prov_renewing(pv) ? "provision.renew" : "provision.device";
}

/* Operator and line go into YAML and records: printable, no quotes. */
static int
kr_prov_text_ok(const char *what, const char *s, size_t max, bool need,
    struct kr_err *err)
{
	size_t	len = s != NULL ? strlen(s) : 0;

	if (len == 0 && need)
		return kr_err_set(err, KR_EUSAGE, "give %s", what);
	if (len > max)
		return kr_err_set(err, KR_EUSAGE, "%s is longer than %zu bytes",
		    what, max);
	if (len > 0 && (!kr_text_safe(s, len, 0) || strpbrk(s, "\"\\") !=
	    NULL))
		return kr_err_set(err, KR_EUSAGE, "%s holds a control "
		    "character, a quote or a backslash: give plain text", what);
	return KR_OK;
}

/* A device id names files: letters, digits, '.', '-', '_'. */
static bool
kr_prov_id_ok(const char *id)
{
	const char	*p;

	if (id[0] == '\0' || id[0] == '.' || id[0] == '-')
		return false;
	for (p = id; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		    *p == '_'))
			return false;
	return true;
}

/*
 * The device a subject names under profile p: a CSR's (KR_EINPUT), or a
 * certificate's to be renewed (cert renew, the renewal batch: `code`).
 */
int
kr_prov_device_id(const struct kr_profile *p, const char *label,
    const uint8_t *subject, size_t len, char *out, int code,
    struct kr_err *err)
{
	const char	*attr = p->device_id;
	int		 ret;

	ret = kr_dn_value(subject, len, attr, out, KR_DEVICE_ID_MAX + 1);
	if (ret == KR_ENOENT)
		return kr_err_set(err, code, "%s: its subject has no %s, "
		    "which names the device (profile '%s', device_id)", label,
		    attr, p->name);
	if (ret == KR_EEXIST)
		return kr_err_set(err, code, "%s: its subject has two %s "
		    "attributes: which one names the device?", label, attr);
	if (ret != KR_OK || !kr_prov_id_ok(out))
		return kr_err_set(err, code, "%s: its %s is not a device "
		    "id: 1 to %d letters, digits, '.', '-' or '_', not "
		    "starting with '.' or '-'", label, attr, KR_DEVICE_ID_MAX);
	/* Its file would be the issuing CA's (FAT ignores case). */
	if (strcasecmp(out, "bootstrap-ca") == 0)
		return kr_err_set(err, code, "%s: its %s %s is the name "
		    "of the issuing CA's file beside the devices' (%s): it "
		    "cannot name a device", label, attr, out, PROV_CA_FILE);
	return KR_OK;
}

static int
kr_prov_grow(struct kr_prov *pv, struct kr_err *err)
{
	struct kr_prov_item	*n;
	size_t			 cap;

	if (pv->n < pv->cap)
		return KR_OK;
	if (pv->n >= KR_PROV_BATCH_MAX)
		return kr_err_set(err, KR_EUSAGE, "more than %d devices in one "
		    "batch: split the folder", KR_PROV_BATCH_MAX);
	cap = pv->cap == 0 ? 256 : pv->cap * 2;
	if ((n = reallocarray(pv->items, cap, sizeof(*n))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	memset(n + pv->n, 0, (cap - pv->n) * sizeof(*n));
	pv->items = n;
	pv->cap = cap;
	return KR_OK;
}

static int
kr_prov_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kr_prov_item *)a)->name,
	    ((const struct kr_prov_item *)b)->name);
}

/* The CSR folder's files (not starting with '.'), sorted by name. */
static int
kr_prov_list(struct kr_prov *pv, struct kr_err *err)
{
	DIR		*d;
	struct dirent	*de;
	int		 ret = KR_OK;

	if ((d = opendir(pv->req->csr_dir)) == NULL)
		return kr_err_set(err, KR_ENOENT, "cannot open the CSR folder "
		    "%s", pv->req->csr_dir);
	while (ret == KR_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((ret = kr_prov_grow(pv, err)) != KR_OK)
			break;
		if ((pv->items[pv->n].name = strdup(de->d_name)) == NULL)
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		else
			pv->n++;
	}
	closedir(d);
	if (ret == KR_OK && pv->n == 0)
		ret = kr_err_set(err, KR_EINPUT, "the CSR folder %s holds no "
		    "request", pv->req->csr_dir);
	if (ret == KR_OK)
		qsort(pv->items, pv->n, sizeof(*pv->items), kr_prov_name_cmp);
	return ret;
}

static int
kr_prov_path(const char *dir, const char *name, const char *ext, char *out,
    size_t cap, struct kr_err *err)
{
	if ((size_t)snprintf(out, cap, "%s/%s%s", dir, name, ext) >= cap)
		return kr_err_set(err, KR_EUSAGE, "%s/%s%s: the path is too "
		    "long", dir, name, ext);
	return KR_OK;
}

/* The leaf a request asks for: its subject, key and (by profile) SANs. */
static void
kr_prov_leaf_csr(const struct kr_prov *pv, const char *label,
    const struct kr_csr *csr, struct kr_leaf *lf)
{
	const struct kr_profile	*p = kr_issue_profile(pv->is);

	memset(lf, 0, sizeof(*lf));
	lf->label = label;
	lf->subject = csr->subject.p;
	lf->subject_len = csr->subject.len;
	lf->spki = csr->spki.p;
	lf->spki_len = csr->spki.len;
	if (p->san_allowed && p->san_from_request && csr->requested.has_san) {
		lf->san = csr->requested.san;
		lf->nsan = csr->requested.san_count;
	}
}

/* A key certified here before (by any issuer) is another unit's key. */
static int
kr_prov_seen_cb(const struct kr_cert_rec *c, void *arg)
{
	(void)snprintf(arg, 41, "%s", c->serial);
	return 1;
}

/* The key's negation: the same EC or Ed25519 secret answers for both. */
static int
kr_prov_key_neg(struct kr_prov *pv, const char *label,
    struct kr_prov_item *it, struct kr_err *err)
{
	const struct kr_cert_fields	*f = kr_issue_leaf_fields_get(pv->is);
	int				 ret;

	ret = kr_spki_negated_sha256(f->spki, f->spki_len, it->neg_sha, err);
	if (ret != KR_OK && ret != KR_ENOENT)
		return kr_err_prefix(err, "%s: ", label);
	it->has_neg = ret == KR_OK;
	return KR_OK;
}

/* The first certificate of a key: its row id, serial and state. */
struct kr_prov_seen {
	struct kr_appliance	*app;
	struct kr_err		*err;
	int64_t			 id;
	char			 serial[41];
	char			 state[KR_TIME_STR_BYTES + 96];	/* or "" */
};

static int
kr_prov_seen_id_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_prov_seen	*s = arg;
	struct kr_rev_status	 rs;
	char			 when[KR_TIME_STR_BYTES];
	int			 ret;

	s->id = c->id;
	(void)snprintf(s->serial, sizeof(s->serial), "%s", c->serial);
	kr_time_format(c->not_after, when);
	if (c->not_after <= kr_time_now()) {
		(void)snprintf(s->state, sizeof(s->state), "expired at %s",
		    when);
		return 1;
	}
	if ((ret = kr_authority_cert_status(s->app, c, &rs, s->err)) != KR_OK)
		return ret;
	if (rs.state != KR_REV_NONE)
		kr_rev_status_format(&rs, s->state, sizeof(s->state));
	return 1;
}

/*
 * The key certified before for this very device by provision batch: the
 * same CSR again, as when a batch is run twice.
 */
static int
kr_prov_key_mine(struct kr_prov *pv, const char *label,
    const struct kr_prov_item *it, const struct kr_prov_seen *s,
    struct kr_err *err)
{
	struct kr_prov_rec	pr;
	int			ret;

	if ((ret = kr_store_prov_by_cert(pv->app->store, s->id, &pr, err)) ==
	    KR_ENOENT)
		return KR_OK;
	if (ret != KR_OK)
		return ret;
	if (strcasecmp(pr.device_id, it->device) != 0)
		return KR_OK;
	if (s->state[0] != '\0')
		return kr_err_set(err, KR_EREFUSED, "%s: its public key was "
		    "already certified by this appliance for this device (%s, "
		    "batch %s, serial %s, now %s): a device key is certified "
		    "again only by renewal before it expires; the device must "
		    "make a new key, then it is provisioned again. Nothing was "
		    "signed", label, pr.device_id, pr.batch, s->serial,
		    s->state);
	if (pv->req->skip_provisioned)
		return kr_err_set(err, KR_EREFUSED, "%s: its public key was "
		    "already certified by this appliance for this device (%s, "
		    "batch %s, serial %s), but not as --skip-provisioned skips "
		    "(under another issuing key, or the key or the device has "
		    "other certificates: docs/provisioning.md). Nothing was "
		    "signed", label, pr.device_id, pr.batch, s->serial);
	return kr_err_set(err, KR_EREFUSED, "%s: device %s was already "
	    "provisioned with this key, in batch %s as serial %s: its "
	    "certificate and record were made then. To finish a batch that "
	    "was interrupted, run the same command again with "
	    "--skip-provisioned, which lists the devices done as skipped and "
	    "certifies the rest. Nothing was signed", label, pr.device_id,
	    pr.batch, s->serial);
}

/* The key, and its negation, never certified here before. */
static int
kr_prov_key_unused(struct kr_prov *pv, const char *label,
    struct kr_prov_item *it, struct kr_err *err)
{
	struct kr_prov_seen	s = { pv->app, err, 0, "", "" };
	char			spki[65], neg[65], serial[41] = "";
	int			ret;

	kr_hex_encode(spki, it->spki_sha, 32);
	kr_hex_encode(neg, it->neg_sha, 32);
	if ((ret = kr_store_cert_by_spki(pv->app->store, spki,
	    kr_prov_seen_id_cb, &s, err)) < 0 ||
	    (s.serial[0] != '\0' &&
	    (ret = kr_prov_key_mine(pv, label, it, &s, err)) != KR_OK))
		return ret;
	(void)snprintf(serial, sizeof(serial), "%s", s.serial);
	if (serial[0] != '\0')
		return kr_err_set(err, KR_EREFUSED, "%s: its public key (SHA-256 "
		    "%s) was already certified by this appliance (certificate "
		    "%s): a device key is never used by two units; the device "
		    "must make a new key. Nothing was signed", label, spki,
		    serial);
	if (it->has_neg && (ret = kr_store_cert_by_spki(pv->app->store, neg,
	    kr_prov_seen_cb, serial, err)) < 0)
		return ret;
	if (serial[0] != '\0')
		return kr_err_set(err, KR_EREFUSED, "%s: its public key is the "
		    "negation of the key of certificate %s (SHA-256 %s): the "
		    "same private key, so the same device key; a device key is "
		    "never used by two units; the device must make a new key. "
		    "Nothing was signed", label, serial, neg);
	return KR_OK;
}

/*
 * A device provisioned before is provisioned again, with a new key, only
 * when every certificate it had is over: expired or revoked.  Its
 * certificates are those of the keys its provisioning records name (a
 * renewal keeps the key), as the store's rows give them: the audit chain
 * proved each when the appliance opened.  A certificate in force, or on
 * hold, refuses the device, naming the way on: renew it, or revoke it.
 */
#define PROV_REPLACES_MAX	16

struct kr_prov_prior {
	struct kr_prov	*pv;
	struct kr_err	*err;
	int64_t		 ids[PROV_REPLACES_MAX];
	size_t		 n, records, nlive;
	char		 first[128];		/* "SN1 (batch ...)" */
	char		 spki[65];
	char		 serials[PROV_REPLACES_MAX * 41];
	char		 states[PROV_REPLACES_MAX * 160];
	char		 live[41], live_issuer[KR_STORE_NAME_MAX + 1];
	char		 live_state[160];
};

static void
kr_prov_cat(char *dst, size_t cap, const char *sep, const char *s)
{
	size_t	len = strlen(dst);

	(void)snprintf(dst + len, cap - len, "%s%s", len > 0 ? sep : "", s);
}

/* One certificate of the device: over (listed), or in force (named). */
static int
kr_prov_prior_cert_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_prov_prior	*p = arg;
	struct kr_rev_status	 rs;
	char			 when[KR_TIME_STR_BYTES], st[160], rev[96];
	size_t			 i;
	int			 ret;

	for (i = 0; i < p->n; i++)
		if (p->ids[i] == c->id)
			return 0;
	if (p->n == PROV_REPLACES_MAX)
		return kr_err_set(p->err, KR_EREFUSED, "more than %d "
		    "certificates were made for device %s: provision it under "
		    "a new device id", PROV_REPLACES_MAX, p->first);
	p->ids[p->n++] = c->id;
	kr_time_format(c->not_after, when);
	if (c->not_after > kr_time_now()) {
		if ((ret = kr_authority_cert_status(p->pv->app, c, &rs,
		    p->err)) != KR_OK)
			return ret;
		kr_rev_status_format(&rs, rev, sizeof(rev));
		if (rs.state != KR_REV_REVOKED) {
			p->nlive++;
			(void)snprintf(p->live, sizeof(p->live), "%s",
			    c->serial);
			(void)snprintf(p->live_state, sizeof(p->live_state),
			    "%s, valid until %s", rs.state == KR_REV_HELD ?
			    rev : "in force", when);
			if ((ret = kr_store_key_name(p->pv->app->store,
			    c->issuer_key_id, p->live_issuer,
			    sizeof(p->live_issuer), p->err)) != KR_OK)
				return ret;
			return 0;
		}
		(void)snprintf(st, sizeof(st), "%s (%s)", c->serial, rev);
	} else
		(void)snprintf(st, sizeof(st), "%s (expired %s)", c->serial,
		    when);
	kr_prov_cat(p->serials, sizeof(p->serials), " ", c->serial);
	kr_prov_cat(p->states, sizeof(p->states), ", ", st);
	return 0;
}

static int
kr_prov_prior_spki_cb(const struct kr_cert_rec *c, void *arg)
{
	const struct kr_prov_rec	*r = ((void **)arg)[0];
	char				*spki = ((void **)arg)[1];

	if (memcmp(c->issuer_key_id, r->issuer_key_id, KR_STORE_ID_BYTES) != 0)
		return 0;
	(void)snprintf(spki, 65, "%s", c->spki_sha256);
	return 1;
}

/* A provisioning record of the device: every certificate of its key. */
static int
kr_prov_prior_rec_cb(const struct kr_prov_rec *r, void *arg)
{
	struct kr_prov_prior	*p = arg;
	void			*pair[2] = { (void *)r, p->spki };
	int			 ret;

	if (p->records++ == 0)
		(void)snprintf(p->first, sizeof(p->first), "%s (batch %s)",
		    r->device_id, r->batch);
	p->spki[0] = '\0';
	if ((ret = kr_store_cert_by_serial(p->pv->app->store, r->serial,
	    kr_prov_prior_spki_cb, pair, p->err)) < 0)
		return ret;
	if (p->spki[0] == '\0')
		return kr_err_set(p->err, KR_ESTATE, "the provisioning record "
		    "of device %s names certificate %s, which is not recorded",
		    r->device_id, r->serial);
	ret = kr_store_cert_by_spki(p->pv->app->store, p->spki,
	    kr_prov_prior_cert_cb, p, p->err);
	return ret < 0 ? ret : 0;
}

static int
kr_prov_device_new(struct kr_prov *pv, const char *label,
    struct kr_prov_item *it, struct kr_err *err)
{
	struct kr_prov_prior	*p;
	int			 ret;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	p->pv = pv;
	p->err = err;
	/* Compared without case: FAT media do not tell SN1 from sn1. */
	if ((ret = kr_store_prov_by_device(pv->app->store, it->device,
	    kr_prov_prior_rec_cb, p, err)) < 0 || p->records == 0)
		goto out;
	if (p->nlive > 0) {
		ret = kr_err_set(err, KR_EREFUSED, "%s: device %s was already "
		    "provisioned as %s and its certificate %s (key '%s') is "
		    "%s%s: a device is provisioned again only when each of its "
		    "certificates has expired or was revoked. To keep its key, "
		    "renew that certificate (`keyrite cert renew %s`); to give "
		    "it this new key, revoke it first (`keyrite revoke "
		    "--issuer-key %s --serial %s --reason superseded`, or "
		    "keyCompromise) and run the batch again. Nothing was "
		    "signed", label, it->device, p->first, p->live,
		    p->live_issuer, p->live_state, p->nlive > 1 ? "; other "
		    "certificates of the device are in force too (`keyrite "
		    "cert list` lists them)" : "", p->live, p->live_issuer,
		    p->live);
		goto out;
	}
	if ((it->replaces = strdup(p->serials)) == NULL ||
	    (it->was = strdup(p->states)) == NULL)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
out:
	free(p);
	return ret < 0 ? ret : KR_OK;
}

/*
 * --skip-provisioned: the device done before with this very key.  Every
 * certificate of the key (and none of its negation) is one this issuer
 * made for this device, provisioned under this device id, in force (not
 * revoked, held or expired), and every provisioning record of the device
 * whose certificate is not over (expired or revoked: replaced by a
 * re-provisioning) is one of them.  Anything else is checked, and
 * refused, as without the option.  The rows are the store's, which the
 * audit chain proved when the appliance opened.
 */
struct kr_prov_done {
	struct kr_prov			*pv;
	const struct kr_prov_item	*it;
	struct kr_err			*err;
	size_t				 certs, mine, records;
	char				 serial[41], batch[33];
	const uint8_t			*rec_issuer;
	bool				 over;
};

static int
kr_prov_done_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_prov_done	*d = arg;
	struct kr_prov_rec	 pr;
	struct kr_rev_status	 rs;
	int			 ret;

	d->certs++;
	if (memcmp(c->issuer_key_id, kr_issue_issuer(d->pv->is)->id,
	    KR_STORE_ID_BYTES) != 0 || c->not_after <= kr_time_now())
		return 0;
	if ((ret = kr_store_prov_by_cert(d->pv->app->store, c->id, &pr,
	    d->err)) != KR_OK)
		return ret == KR_ENOENT ? 0 : ret;
	if (strcmp(pr.device_id, d->it->device) != 0)
		return 0;
	if ((ret = kr_authority_cert_status(d->pv->app, c, &rs, d->err)) !=
	    KR_OK)
		return ret;
	if (rs.state != KR_REV_NONE)
		return 0;
	d->mine++;
	(void)snprintf(d->serial, sizeof(d->serial), "%s", c->serial);
	(void)snprintf(d->batch, sizeof(d->batch), "%s", pr.batch);
	return 0;
}

/* The certificate of a record: revoked, so replaced (re-provisioned). */
static int
kr_prov_done_over_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_prov_done	*d = arg;
	struct kr_rev_status	 rs;
	int			 ret;

	if (memcmp(c->issuer_key_id, d->rec_issuer, KR_STORE_ID_BYTES) != 0)
		return 0;
	if ((ret = kr_authority_cert_status(d->pv->app, c, &rs, d->err)) !=
	    KR_OK)
		return ret;
	d->over = rs.state == KR_REV_REVOKED;
	return 1;
}

/* The device's records, but those of certificates over (replaced). */
static int
kr_prov_done_rec_cb(const struct kr_prov_rec *r, void *arg)
{
	struct kr_prov_done	*d = arg;
	int			 ret;

	d->over = r->not_after <= kr_time_now();
	d->rec_issuer = r->issuer_key_id;
	if (!d->over && (ret = kr_store_cert_by_serial(d->pv->app->store,
	    r->serial, kr_prov_done_over_cb, d, d->err)) < 0)
		return ret;
	if (!d->over)
		d->records++;
	return 0;
}

static int
kr_prov_already(struct kr_prov *pv, struct kr_prov_item *it,
    struct kr_err *err)
{
	struct kr_prov_done	d;
	char			spki[65], serial[41] = "";
	int			ret;

	memset(&d, 0, sizeof(d));
	d.pv = pv;
	d.it = it;
	d.err = err;
	kr_hex_encode(spki, it->spki_sha, 32);
	if ((ret = kr_store_cert_by_spki(pv->app->store, spki,
	    kr_prov_done_cb, &d, err)) < 0 ||
	    (ret = kr_store_prov_by_device(pv->app->store, it->device,
	    kr_prov_done_rec_cb, &d, err)) < 0)
		return ret;
	kr_hex_encode(spki, it->neg_sha, 32);
	if (it->has_neg && (ret = kr_store_cert_by_spki(pv->app->store, spki,
	    kr_prov_seen_cb, serial, err)) < 0)
		return ret;
	if (d.mine == 0 || d.mine != d.certs || d.records != d.mine ||
	    serial[0] != '\0')
		return KR_OK;
	if (asprintf(&it->done, "already provisioned in batch %s as serial "
	    "%s", d.batch, d.serial) < 0) {
		it->done = NULL;
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	return KR_OK;
}


/* A device's CSR file: its path, its bytes and their SHA-256. */
static int
kr_prov_csr_read(const struct kr_prov *pv, const struct kr_prov_item *it,
    char path[KR_MEDIA_PATH_MAX], uint8_t **data, size_t *len,
    uint8_t dig[32], struct kr_err *err)
{
	int	ret;

	if ((ret = kr_prov_path(pv->req->csr_dir, it->name, "", path,
	    KR_MEDIA_PATH_MAX, err)) != KR_OK ||
	    (ret = kr_file_read(path, KR_CSR_MAX, false, data, len,
	    err)) != KR_OK)
		return ret;
	if ((ret = kr_hash(KR_HASH_SHA256, *data, *len, dig)) != KR_OK) {
		free(*data);
		*data = NULL;
		return kr_err_set(err, ret, "cannot hash %s", path);
	}
	return KR_OK;
}
/* One CSR read, hashed and parsed, its signature checked (any thread). */
static int
kr_prov_parse_csr(const struct kr_prov *pv, struct kr_prov_item *it,
    struct kr_csr **csr, struct kr_err *err)
{
	char	 path[KR_MEDIA_PATH_MAX];
	uint8_t	*data = NULL;
	size_t	 len;
	int	 ret;

	*csr = NULL;
	if ((ret = kr_prov_csr_read(pv, it, path, &data, &len, it->src_sha,
	    err)) != KR_OK)
		return ret;
	ret = kr_csr_from_outside(path, data, len, csr, err);
	free(data);
	return ret;
}

/* The parsed CSR: device id, key, lint (the store: main thread only). */
static int
kr_prov_check_csr(struct kr_prov *pv, struct kr_prov_item *it,
    const struct kr_csr *csr, struct kr_err *err)
{
	const struct kr_issue_result	*r;
	struct kr_leaf			 lf;
	char				 path[KR_MEDIA_PATH_MAX];
	int				 ret;

	if ((ret = kr_prov_path(pv->req->csr_dir, it->name, "", path,
	    sizeof(path), err)) != KR_OK)
		return ret;
	kr_prov_leaf_csr(pv, path, csr, &lf);
	if ((ret = kr_prov_device_id(kr_issue_profile(pv->is), path,
	    csr->subject.p, csr->subject.len, it->device, KR_EINPUT, err)) !=
	    KR_OK ||
	    (ret = kr_issue_leaf(pv->is, &lf, &r, err)) != KR_OK ||
	    (ret = kr_hex_decode(it->spki_sha, 32, r->spki_sha256)) != KR_OK ||
	    (ret = kr_prov_key_neg(pv, path, it, err)) != KR_OK)
		return ret;
	if (pv->req->skip_provisioned &&
	    ((ret = kr_prov_already(pv, it, err)) != KR_OK || it->done != NULL))
		return ret;
	if ((ret = kr_prov_key_unused(pv, path, it, err)) == KR_OK)
		ret = kr_prov_device_new(pv, path, it, err);
	return ret;
}

/*
 * The CSRs of a chunk parsed on two threads (the signature check, the
 * proof of possession, is most of a CSR's cost): the worker takes every
 * other one.  The results are then checked in order on this thread, so
 * the first CSR in file-name order that fails is the one named.
 */
struct kr_prov_chunk {
	struct kr_prov	*pv;
	size_t		 first, n;
	struct kr_csr	*csr[PROV_CHECK_CHUNK];
	int		 ret[PROV_CHECK_CHUNK];
	struct kr_err	 err[PROV_CHECK_CHUNK];
};

static void
kr_prov_parse_every(struct kr_prov_chunk *c, size_t from, size_t step)
{
	size_t	i;

	for (i = from; i < c->n; i += step)
		c->ret[i] = kr_prov_parse_csr(c->pv, &c->pv->items[c->first +
		    i], &c->csr[i], &c->err[i]);
}

static void *
kr_prov_parse_main(void *arg)
{
	kr_prov_parse_every(arg, 1, 2);
	return NULL;
}

static int
kr_prov_check_chunk(struct kr_prov_chunk *c, struct kr_err *err)
{
	pthread_t	tid;
	bool		threaded;
	size_t		i;
	int		ret = KR_OK;

	memset(c->csr, 0, sizeof(c->csr));
	threaded = c->n > 1 && kr_thread_start(&tid, kr_prov_parse_main, c);
	kr_prov_parse_every(c, 0, threaded ? 2 : 1);
	if (threaded)
		(void)pthread_join(tid, NULL);
	for (i = 0; i < c->n && ret == KR_OK; i++) {
		if ((ret = c->ret[i]) != KR_OK)
			*err = c->err[i];
		else
			ret = kr_prov_check_csr(c->pv,
			    &c->pv->items[c->first + i], c->csr[i], err);
	}
	for (i = 0; i < c->n; i++)
		kr_csr_free(&c->csr[i]);
	return ret;
}

static int
kr_prov_check_all(struct kr_prov *pv, struct kr_err *err)
{
	struct kr_prov_chunk	*c;
	int			 ret = KR_OK;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	c->pv = pv;
	for (c->first = 0; c->first < pv->n && ret == KR_OK;
	    c->first += c->n) {
		c->n = pv->n - c->first < PROV_CHECK_CHUNK ?
		    pv->n - c->first : PROV_CHECK_CHUNK;
		ret = kr_prov_check_chunk(c, err);
	}
	free(c);
	return ret;
}

/* Both outputs of a device, checked as every output is. */
static int
kr_prov_plan_item(struct kr_prov *pv, const struct kr_prov_item *it,
    struct kr_err *err)
{
	char	path[KR_MEDIA_PATH_MAX];
	int	ret;

	if ((ret = kr_prov_path(pv->req->out_dir, it->device, ".crt", path,
	    sizeof(path), err)) != KR_OK ||
	    (ret = kr_media_plan_add(&pv->plan, KR_ART_CERTIFICATE, path,
	    PROV_CERT_BOUND, err)) != KR_OK ||
	    (ret = kr_prov_path(pv->req->out_dir, it->device, ".yaml", path,
	    sizeof(path), err)) != KR_OK)
		return ret;
	return kr_media_plan_add(&pv->plan, KR_ART_PROV_RECORD, path,
	    PROV_RECORD_BOUND, err);
}

static int
kr_prov_spki_cmp(const void *a, const void *b)
{
	const struct kr_prov_item	*x = *(const struct kr_prov_item *const *)a;
	const struct kr_prov_item	*y = *(const struct kr_prov_item *const *)b;
	int				 c = memcmp(x->spki_sha, y->spki_sha, 32);

	return c != 0 ? c : strcmp(x->name, y->name);
}

static int
kr_prov_dev_cmp(const void *a, const void *b)
{
	const struct kr_prov_item	*x = *(const struct kr_prov_item *const *)a;
	const struct kr_prov_item	*y = *(const struct kr_prov_item *const *)b;
	int				 c = strcasecmp(x->device, y->device);

	return c != 0 ? c : strcmp(x->name, y->name);
}

static int
kr_prov_spki_find(const void *key, const void *elem)
{
	const struct kr_prov_item	*y = *(const struct kr_prov_item *const *)elem;

	return memcmp(key, y->spki_sha, 32);
}

/* No key whose negation (the same secret) is another's in the batch. */
static int
kr_prov_twins(struct kr_prov *pv, struct kr_prov_item **ix,
    struct kr_err *err)
{
	struct kr_prov_item	**hit;
	size_t			  i;

	for (i = 0; i < pv->n; i++) {
		if (!ix[i]->has_neg || (hit = bsearch(ix[i]->neg_sha, ix, pv->n,
		    sizeof(*ix), kr_prov_spki_find)) == NULL)
			continue;
		return kr_err_set(err, KR_EREFUSED, "%s and %s carry the same "
		    "device key: one public key is the other's negation, made "
		    "by the same private key; a device key is never used by "
		    "two units. Nothing was signed", strcmp(ix[i]->name,
		    (*hit)->name) < 0 ? ix[i]->name : (*hit)->name,
		    strcmp(ix[i]->name, (*hit)->name) < 0 ? (*hit)->name :
		    ix[i]->name);
	}
	return KR_OK;
}

/* No key and no device twice in the batch (both named). */
static int
kr_prov_twice(struct kr_prov *pv, struct kr_err *err)
{
	struct kr_prov_item	**ix;
	size_t			  i;
	int			  ret = KR_OK;

	if ((ix = calloc(pv->n, sizeof(*ix))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	for (i = 0; i < pv->n; i++)
		ix[i] = &pv->items[i];
	/* Ties are broken by file name, so the pair is named in order. */
	qsort(ix, pv->n, sizeof(*ix), kr_prov_spki_cmp);
	for (i = 1; i < pv->n && ret == KR_OK; i++)
		if (memcmp(ix[i - 1]->spki_sha, ix[i]->spki_sha, 32) == 0)
			ret = kr_err_set(err, KR_EREFUSED, "%s and %s carry the "
			    "same public key: a device key is never used by two "
			    "units. Nothing was signed", ix[i - 1]->name,
			    ix[i]->name);
	if (ret == KR_OK)
		ret = kr_prov_twins(pv, ix, err);
	qsort(ix, pv->n, sizeof(*ix), kr_prov_dev_cmp);
	for (i = 1; i < pv->n && ret == KR_OK; i++)
		if (strcasecmp(ix[i - 1]->device, ix[i]->device) == 0)
			ret = kr_err_set(err, KR_EREFUSED, "%s and %s name the "
			    "same device %s (%s; case is not told apart, as on "
			    "FAT media). Nothing was signed", ix[i - 1]->name,
			    ix[i]->name, ix[i - 1]->device, ix[i]->device);
	free(ix);
	return ret;
}

/* The issuing CA's certificate beside the devices': there, or planned. */
static int
kr_prov_plan_ca(struct kr_prov *pv, struct kr_err *err)
{
	const struct kr_cert	*ca = kr_issue_ca_cert(pv->is);
	char			 path[KR_MEDIA_PATH_MAX], hex[65];
	uint8_t			 dig[32];
	int			 ret;

	if (ca == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no issuing CA certificate");
	if ((ret = kr_hash(KR_HASH_SHA256, ca->der, ca->der_len, dig)) !=
	    KR_OK)
		return kr_err_set(err, ret, "cannot hash the CA certificate");
	kr_hex_encode(pv->ca_sha, dig, sizeof(dig));
	if ((ret = kr_prov_path(pv->req->out_dir, PROV_CA_FILE, "", path,
	    sizeof(path), err)) != KR_OK)
		return ret;
	if (kr_hash_file(path, KR_HASH_SHA256, dig, NULL, err) != KR_OK)
		return kr_media_plan_add(&pv->plan, KR_ART_CERTIFICATE, path,
		    ca->der_len, err);
	kr_hex_encode(hex, dig, sizeof(dig));
	if (strcmp(hex, pv->ca_sha) != 0)
		return kr_err_set(err, KR_EREFUSED, "%s is not the certificate "
		    "of key '%s' that these devices chain to: use another "
		    "output folder", path, kr_issue_issuer(pv->is)->name);
	pv->ca_there = true;
	return KR_OK;
}

static int
kr_prov_skip(struct kr_prov *pv, const char *serial, const char *why,
    struct kr_err *err)
{
	struct kr_prov_skip	*n;

	if ((n = reallocarray(pv->skips, pv->nskips + 1, sizeof(*n))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	pv->skips = n;
	n += pv->nskips++;
	(void)snprintf(n->serial, sizeof(n->serial), "%s", serial);
	/* `why` may be err's message: copied before err is cleared. */
	(void)snprintf(n->reason, sizeof(n->reason), "%s", why);
	kr_err_clear(err);
	return KR_OK;
}

/* Renewals: this issuer's device certificates expiring within N days. */
struct kr_prov_due {
	struct kr_prov	*pv;
	struct kr_err	*err;
	int64_t		 now, until;
};

static int
kr_prov_due_item(struct kr_prov_due *d, const struct kr_cert_rec *c)
{
	struct kr_prov		*pv = d->pv;
	struct kr_prov_item	*it;
	int			 ret;

	if ((ret = kr_prov_grow(pv, d->err)) != KR_OK)
		return ret;
	it = &pv->items[pv->n];
	if ((it->name = strdup(c->serial)) == NULL)
		return kr_err_set(d->err, KR_ENOMEM, "out of memory");
	pv->n++;
	if (kr_hex_decode(it->src_sha, 32, c->sha256) != KR_OK ||
	    kr_hex_decode(it->spki_sha, 32, c->spki_sha256) != KR_OK)
		return kr_err_set(d->err, KR_ESTATE, "certificate %s: its "
		    "recorded hashes are not hex", c->serial);
	if ((ret = kr_prov_device_id(kr_issue_profile(pv->is),
	    "the certificate", c->subject_der, c->subject_der_len, it->device,
	    KR_EREFUSED, d->err)) != KR_OK) {
		/* Left out and listed; the others are renewed. */
		free(it->name);
		memset(it, 0, sizeof(*it));
		pv->n--;
		ret = kr_prov_skip(pv, c->serial, d->err->msg, d->err);
	}
	return ret;
}

static int
kr_prov_due_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_prov_due	*d = arg;
	enum kr_renew_bar	 bar;
	int			 ret;

	if (c->not_after > d->until || memcmp(c->issuer_key_id,
	    d->pv->from.id, KR_STORE_ID_BYTES) != 0 ||
	    strcmp(c->profile, kr_issue_profile(d->pv->is)->name) != 0)
		return 0;
	/* Not due: no device's, expired, revoked, held, renewed. */
	ret = kr_renew_check(d->pv->app, c, "the certificate", &bar, d->err);
	if (ret == KR_EREFUSED && bar == KR_RENEW_KEY_COMPROMISED)
		return kr_prov_skip(d->pv, c->serial, d->err->msg, d->err);
	if (ret == KR_EREFUSED) {
		kr_err_clear(d->err);
		return 0;
	}
	return ret != KR_OK ? ret : kr_prov_due_item(d, c);
}

/* Certificates naming one device are all left out, each listed. */
static int
kr_prov_due_twice(struct kr_prov *pv, struct kr_err *err)
{
	struct kr_prov_item	**ix;
	char			  why[sizeof(pv->skips->reason)];
	size_t			  i, j, k;
	int			  ret = KR_OK;

	if ((ix = calloc(pv->n, sizeof(*ix))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	for (i = 0; i < pv->n; i++)
		ix[i] = &pv->items[i];
	qsort(ix, pv->n, sizeof(*ix), kr_prov_dev_cmp);
	for (i = 0; i < pv->n && ret == KR_OK; i = j) {
		for (j = i + 1; j < pv->n && strcasecmp(ix[i]->device,
		    ix[j]->device) == 0; j++)
			;
		for (k = i; j - i > 1 && k < j && ret == KR_OK; k++) {
			(void)snprintf(why, sizeof(why), "%zu certificates in "
			    "force name device %s: renew the one meant with "
			    "`keyrite cert renew SERIAL`", j - i, ix[k]->device);
			ret = kr_prov_skip(pv, ix[k]->name, why, err);
			ix[k]->device[0] = '\0';
		}
	}
	free(ix);
	for (i = j = 0; i < pv->n; i++)
		if (pv->items[i].device[0] != '\0')
			pv->items[j++] = pv->items[i];
		else
			free(pv->items[i].name);
	pv->n = j;
	return ret;
}

static int
kr_prov_collect_due(struct kr_prov *pv, struct kr_err *err)
{
	struct kr_prov_due	d = { pv, err, kr_time_now(), 0 };
	int			ret;

	d.until = d.now + (int64_t)pv->req->renew_within_days * 86400;
	if ((ret = kr_store_cert_foreach(pv->app->store, kr_prov_due_cb, &d,
	    err)) < 0)
		return ret;
	/* Nothing to renew is no failure: the command says so, exit 0. */
	return pv->n > 1 ? kr_prov_due_twice(pv, err) : KR_OK;
}

/*
 * The CSRs of devices done before (--skip-provisioned) moved after the
 * ones to sign, both in file-name order: items [n, n + ndone).  They
 * took part in the checks for twins first.
 */
static int
kr_prov_set_aside(struct kr_prov *pv, struct kr_err *err)
{
	struct kr_prov_item	*done;
	size_t			 i, j = 0, k = 0;

	for (i = 0; i < pv->n; i++)
		k += pv->items[i].done != NULL;
	if (k == 0)
		return KR_OK;
	if ((done = calloc(k, sizeof(*done))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	for (i = k = 0; i < pv->n; i++)
		if (pv->items[i].done != NULL)
			done[k++] = pv->items[i];
		else
			pv->items[j++] = pv->items[i];
	memcpy(&pv->items[j], done, k * sizeof(*done));
	free(done);
	pv->n = j;
	pv->ndone = k;
	return KR_OK;
}

static int
kr_prov_collect(struct kr_prov *pv, struct kr_err *err)
{
	size_t	i;
	int	ret;

	if (kr_prov_renewing(pv))
		ret = kr_prov_collect_due(pv, err);
	else if ((ret = kr_prov_list(pv, err)) == KR_OK)
		ret = kr_prov_check_all(pv, err);
	if (ret != KR_OK || (ret = kr_prov_twice(pv, err)) != KR_OK ||
	    (ret = kr_prov_set_aside(pv, err)) != KR_OK ||
	    (ret = kr_prov_plan_ca(pv, err)) != KR_OK)
		return ret;
	for (i = 0; i < pv->n && ret == KR_OK; i++)
		ret = kr_prov_plan_item(pv, &pv->items[i], err);
	return ret;
}

/* One line of the batch digest: its fields, space separated, hashed. */
static void
kr_prov_line(struct kr_hash *h, const char *const *f, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			kr_hash_update(h, " ", 1);
		kr_hash_update(h, f[i], strlen(f[i]));
	}
	kr_hash_update(h, "\n", 1);
}

#define KR_PROV_LINE(h, ...) do {					\
	const char *const kr_f_[] = { __VA_ARGS__ };			\
	kr_prov_line((h), kr_f_, sizeof(kr_f_) / sizeof(kr_f_[0]));	\
} while (0)

/*
 * What the custodians approve (docs/provisioning.md): the SHA-256 of
 * these lines, one per device after the batch's own (each field hashed
 * as it is, never cut short).
 */
static int
kr_prov_digest(struct kr_prov *pv, struct kr_err *err)
{
	const struct kr_key_rec	*k = kr_issue_issuer(pv->is);
	const struct kr_profile	*p = kr_issue_profile(pv->is);
	struct kr_hash		 h;
	char			 a[65], b[65], id[33], days[16], psha[65];
	size_t			 i;

	if (kr_hash_init(&h, KR_HASH_SHA256) != KR_OK)
		return kr_err_set(err, KR_ECRYPTO, "cannot hash the batch");
	kr_hex_encode(id, k->id, KR_STORE_ID_BYTES);
	kr_hex_encode(psha, p->sha256, sizeof(p->sha256));
	(void)snprintf(days, sizeof(days), "%u", pv->req->days != 0 ?
	    pv->req->days : p->default_days);
	KR_PROV_LINE(&h, "keyrite-provision-batch-v3");
	KR_PROV_LINE(&h, "batch", pv->res->batch);
	KR_PROV_LINE(&h, "event", kr_prov_event(pv));
	KR_PROV_LINE(&h, "issuer", id, k->name);
	if (kr_prov_moving(pv)) {
		kr_hex_encode(id, pv->from.id, KR_STORE_ID_BYTES);
		KR_PROV_LINE(&h, "from_issuer", id, pv->from.name);
	}
	KR_PROV_LINE(&h, "profile", p->name);
	KR_PROV_LINE(&h, "profile_sha256", psha);
	KR_PROV_LINE(&h, "days", days);
	KR_PROV_LINE(&h, "accept_warnings", pv->req->accept_warnings ? "1" :
	    "0");
	KR_PROV_LINE(&h, "skip_provisioned", pv->req->skip_provisioned ? "1" :
	    "0");
	KR_PROV_LINE(&h, "bootstrap_ca", pv->ca_sha);
	KR_PROV_LINE(&h, "operator", pv->req->operator);
	KR_PROV_LINE(&h, "line", pv->req->line != NULL ? pv->req->line : "");
	for (i = 0; i < pv->n; i++) {
		kr_hex_encode(a, pv->items[i].src_sha, 32);
		kr_hex_encode(b, pv->items[i].spki_sha, 32);
		KR_PROV_LINE(&h, "device", pv->items[i].device,
		    kr_prov_renewing(pv) ? "renews" : "csr", pv->items[i].name,
		    a, b);
		if (pv->items[i].replaces != NULL)
			KR_PROV_LINE(&h, "replaces", pv->items[i].device,
			    pv->items[i].replaces);
	}
	for (i = pv->n; i < pv->n + pv->ndone; i++) {
		kr_hex_encode(a, pv->items[i].src_sha, 32);
		kr_hex_encode(b, pv->items[i].spki_sha, 32);
		KR_PROV_LINE(&h, "skipped", pv->items[i].device, "csr",
		    pv->items[i].name, a, b);
	}
	for (i = 0; i < pv->nskips; i++)
		KR_PROV_LINE(&h, "not_renewed", pv->skips[i].serial);
	kr_hash_final(&h, pv->batch_dig);
	kr_hex_encode(pv->res->batch_sha256, pv->batch_dig, 32);
	return KR_OK;
}

/* Every device provisioned again, with the certificates it replaces. */
static void
kr_prov_preview_again(const struct kr_prov *pv, struct kr_preview *pw)
{
	size_t	i, k = 0;

	for (i = 0; i < pv->n; i++) {
		if (pv->items[i].replaces == NULL ||
		    k++ >= PROV_PREVIEW_DEVICES)
			continue;
		kr_preview_text(pw, "re-provision", "%s (%s), a new key, "
		    "replaces %s", pv->items[i].device, pv->items[i].name,
		    pv->items[i].was);
	}
	if (k > PROV_PREVIEW_DEVICES)
		kr_preview_text(pw, "re-provision", "... and %zu more (each in "
		    "the batch digest, with the serials it replaces)",
		    k - PROV_PREVIEW_DEVICES);
}

static int
kr_prov_confirm(struct kr_prov *pv, const struct kr_passphrase_source *src,
    struct kr_err *err)
{
	const struct kr_profile	*p = kr_issue_profile(pv->is);
	struct kr_preview	 pw;
	size_t			 i;
	int			 ret;

	kr_preview_init(&pw, "%zu device certificate%s (%s) to be signed by key "
	    "'%s', batch %s", pv->n, pv->n == 1 ? "" : "s",
	    kr_prov_renewing(pv) ? "renewals" : "new devices",
	    kr_issue_issuer(pv->is)->name, pv->res->batch);
	kr_preview_text(&pw, "profile", "%s, %u days", p->name,
	    pv->req->days != 0 ? pv->req->days : p->default_days);
	if (kr_prov_moving(pv))
		kr_preview_text(&pw, "from issuer", "key '%s' (retired): its "
		    "certificates renewed under '%s'; the devices need "
		    "bootstrap-ca.crt, the new issuing CA", pv->from.name,
		    kr_issue_issuer(pv->is)->name);
	kr_preview_text(&pw, "lint warnings", "%s", pv->req->accept_warnings ?
	    "accepted (--accept-warnings)" : "refused");
	if (!kr_prov_renewing(pv))
		kr_preview_text(&pw, "done before", "%s",
		    pv->req->skip_provisioned ? "skipped if provisioned with "
		    "the same key (--skip-provisioned)" : "refused");
	kr_preview_text(&pw, "operator", "%s", pv->req->operator);
	kr_preview_text(&pw, "line", "%s", pv->req->line != NULL ?
	    pv->req->line : "(none)");
	kr_preview_text(&pw, "bootstrap CA", "sha256:%s", pv->ca_sha);
	for (i = 0; i < pv->n && i < PROV_PREVIEW_DEVICES; i++)
		kr_preview_text(&pw, "device", "%s (%s)%s", pv->items[i].device,
		    pv->items[i].name, pv->items[i].replaces != NULL ?
		    ", re-provisioned" : "");
	if (pv->n > PROV_PREVIEW_DEVICES)
		kr_preview_text(&pw, "device", "... and %zu more (each in the "
		    "batch digest)", pv->n - PROV_PREVIEW_DEVICES);
	kr_prov_preview_again(pv, &pw);
	for (i = 0; i < pv->nskips; i++)
		kr_preview_text(&pw, "not renewed", "%s: %s",
		    pv->skips[i].serial, pv->skips[i].reason);
	for (i = pv->n; i < pv->n + pv->ndone; i++)
		kr_preview_text(&pw, "skipped", "%s: %s, skipped (%s)",
		    pv->items[i].device, pv->items[i].done, pv->items[i].name);
	kr_preview_hash(&pw, "batch SHA-256", pv->batch_dig, 32);
	ret = kr_preview_confirm(src, &pw, !pv->req->dry_run && pv->n > 0,
	    err);
	kr_preview_free(&pw);
	return ret;
}

/* "KEY: [A, B]\n" from "A B". */
static void
kr_prov_yaml_list(struct kr_buf *b, const char *key, const char *words)
{
	const char	*p;

	kr_buf_put(b, key, strlen(key));
	kr_buf_put(b, ": [", 3);
	for (p = words; *p != '\0'; p++)
		if (*p == ' ')
			kr_buf_put(b, ", ", 2);
		else
			kr_buf_put(b, p, 1);
	kr_buf_put(b, "]\n", 2);
}

/* The device's record file, in the checklist's shape. */
static int
kr_prov_yaml(const struct kr_prov *pv, const struct kr_prov_item *it,
    const struct kr_issue_result *r, int64_t now, struct kr_buf *b,
    struct kr_err *err)
{
	char	when[KR_TIME_STR_BYTES], text[1024];
	int	n;

	kr_time_format(now, when);
	n = snprintf(text, sizeof(text), "# keyrite provisioning record "
	    "(docs/provisioning.md)\ndevice_id: \"%s\"\nkeys:\n"
	    "  identity_cert: sha256:%s\n  bootstrap_ca: sha256:%s\n"
	    "date: %s\noperator: \"%s\"\nline: \"%s\"\nbatch: %s\n"
	    "serial: %s\nnot_after: %s\n%s%s%s", it->device, r->cert_sha256,
	    pv->ca_sha, when, pv->req->operator, pv->req->line != NULL ?
	    pv->req->line : "", pv->res->batch, r->serial, r->not_after,
	    kr_prov_renewing(pv) ? "renews: " : "", kr_prov_renewing(pv) ?
	    it->name : "", kr_prov_renewing(pv) ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(text))
		return kr_err_set(err, KR_EINTERNAL, "the record of device %s "
		    "is too long", it->device);
	kr_buf_put(b, text, (size_t)n);
	if (it->replaces != NULL)
		kr_prov_yaml_list(b, "replaces", it->replaces);
	return kr_buf_status(b, err);
}

/* The device's audit row: the certificate's (issue.c) and the batch's. */
static int
kr_prov_audit(struct kr_prov *pv, const struct kr_prov_item *it,
    const struct kr_prov_rec *pr, struct kr_err *err)
{
	char			 src[65];
	const char		*more[][2] = {
		{ kr_prov_renewing(pv) ? "renews" : "csr_sha256",
		    kr_prov_renewing(pv) ? it->name : src },
		{ "bootstrap_ca_sha256", pr->bootstrap_sha256 },
		{ "record_sha256", pr->record_sha256 },
		{ "line_operator", pr->operator },
		{ "line", pr->line },
		{ "batch", pr->batch },
		{ "batch_sha256", pv->res->batch_sha256 },
		{ NULL, NULL },
	};
	struct kr_issue_row	 row = { kr_prov_event(pv), pv->req->actor,
	    { "device_id", it->device }, more, sizeof(more) / sizeof(more[0]) };

	/*
	 * A re-provisioning names the certificates it replaces; a renewal
	 * under another key, the retired issuer of the one it renews.
	 */
	if (it->replaces != NULL) {
		more[row.nmore - 1][0] = "replaces";
		more[row.nmore - 1][1] = it->replaces;
	} else if (kr_prov_moving(pv)) {
		more[row.nmore - 1][0] = "renews_issuer_key";
		more[row.nmore - 1][1] = pv->from.name;
	} else
		row.nmore--;
	kr_hex_encode(src, it->src_sha, 32);
	return kr_issue_leaf_audit(pv->is, &row, pv->res->quorum, err);
}

/* The certificate, its provisioning record, its renewal: one row each. */
static int
kr_prov_rows(struct kr_prov *pv, const struct kr_prov_item *it,
    const struct kr_issue_result *r, struct kr_prov_rec *pr,
    struct kr_err *err)
{
	const uint8_t	*issuer = kr_issue_issuer(pv->is)->id;
	int64_t		 old;
	int		 ret;

	if ((ret = kr_issue_leaf_insert(pv->is, err)) != KR_OK ||
	    (ret = kr_store_cert_id(pv->app->store, issuer, r->serial,
	    &pr->cert_id, err)) != KR_OK ||
	    (ret = kr_store_prov_insert(pv->app->store, pr, err)) != KR_OK)
		return ret;
	if (kr_prov_renewing(pv) && ((ret = kr_store_cert_id(pv->app->store,
	    pv->from.id, it->name, &old, err)) != KR_OK ||
	    (ret = kr_store_renewal_insert(pv->app->store, pr->cert_id, old,
	    pr->created, err)) != KR_OK))
		return ret;
	return kr_prov_audit(pv, it, pr, err);
}

/* A device's two files, written with no name into the batch's group. */
static int
kr_prov_write(struct kr_prov *pv, const struct kr_prov_item *it,
    const struct kr_buf *yaml, struct kr_err *err)
{
	const uint8_t	*der;
	char		 path[KR_MEDIA_PATH_MAX];
	size_t		 len;
	int		 ret;

	kr_issue_leaf_cert(pv->is, &der, &len);
	if ((ret = kr_prov_path(pv->req->out_dir, it->device, ".crt", path,
	    sizeof(path), err)) != KR_OK ||
	    (ret = kr_media_group_add(pv->group, KR_ART_CERTIFICATE, path, der,
	    len, err)) != KR_OK ||
	    (ret = kr_prov_path(pv->req->out_dir, it->device, ".yaml", path,
	    sizeof(path), err)) != KR_OK)
		return ret;
	return kr_media_group_add(pv->group, KR_ART_PROV_RECORD, path, yaml->p,
	    yaml->len, err);
}

static void
kr_prov_rec_fill(const struct kr_prov *pv, const struct kr_prov_item *it,
    const struct kr_issue_result *r, const uint8_t *dig,
    struct kr_prov_rec *pr)
{
	kr_hex_encode(pr->record_sha256, dig, 32);
	(void)snprintf(pr->device_id, sizeof(pr->device_id), "%s", it->device);
	(void)snprintf(pr->identity_sha256, sizeof(pr->identity_sha256), "%s",
	    r->cert_sha256);
	(void)snprintf(pr->bootstrap_sha256, sizeof(pr->bootstrap_sha256), "%s",
	    pv->ca_sha);
	(void)snprintf(pr->operator, sizeof(pr->operator), "%s",
	    pv->req->operator);
	(void)snprintf(pr->line, sizeof(pr->line), "%s", pv->req->line != NULL ?
	    pv->req->line : "");
	(void)snprintf(pr->batch, sizeof(pr->batch), "%s", pv->res->batch);
}

/*
 * The device's files written with no name, then its rows in the group's
 * open transaction; its files get their names after the group's commit
 * (kr_prov_group).
 */
static int
kr_prov_record(struct kr_prov *pv, const struct kr_prov_item *it,
    const struct kr_issue_result *r, struct kr_err *err)
{
	struct kr_prov_rec	pr;
	struct kr_buf		yaml;
	uint8_t			dig[32];
	size_t			files = kr_media_group_count(pv->group);
	int			ret;

	memset(&pr, 0, sizeof(pr));
	pr.created = kr_time_now();
	kr_buf_init(&yaml, false);
	if ((ret = kr_prov_yaml(pv, it, r, pr.created, &yaml, err)) != KR_OK ||
	    (ret = kr_hash(KR_HASH_SHA256, yaml.p, yaml.len, dig)) != KR_OK) {
		kr_buf_free(&yaml);
		return ret == KR_OK ? ret : kr_err_set(err, ret, "cannot hash");
	}
	kr_prov_rec_fill(pv, it, r, dig, &pr);
	if ((ret = kr_prov_write(pv, it, &yaml, err)) == KR_OK)
		ret = kr_prov_rows(pv, it, r, &pr, err);
	if (ret != KR_OK)
		kr_media_group_drop(pv->group, files);
	kr_buf_free(&yaml);
	return ret;
}

/* The CSR as approved: the same bytes (its signature was checked then). */
static int
kr_prov_csr_again(struct kr_prov *pv, const struct kr_prov_item *it,
    struct kr_csr **csr, struct kr_err *err)
{
	char	 path[KR_MEDIA_PATH_MAX];
	uint8_t	*data = NULL, dig[32];
	size_t	 len;
	int	 ret;

	if ((ret = kr_prov_csr_read(pv, it, path, &data, &len, dig,
	    err)) != KR_OK)
		return ret;
	if (memcmp(dig, it->src_sha, 32) != 0)
		ret = kr_err_set(err, KR_EREFUSED, "%s changed after the batch "
		    "was approved: it was not signed", path);
	else
		ret = kr_csr_parse_again(path, data, len, csr, err);
	free(data);
	return ret;
}

/* The certificate being renewed, as recorded. */
struct kr_prov_old {
	const uint8_t	*issuer;
	struct kr_cert	*cert;
	struct kr_err	*err;
	int		 ret;
};

static int
kr_prov_old_cb(const struct kr_cert_rec *c, void *arg)
{
	struct kr_prov_old	*o = arg;

	if (memcmp(c->issuer_key_id, o->issuer, KR_STORE_ID_BYTES) != 0)
		return 0;
	o->ret = kr_cert_parse(c->serial, c->der, c->der_len, &o->cert,
	    o->err);
	return 1;
}

/*
 * The fault check (each signature verified with the issuer's public key)
 * on a second thread, while this one records the device and signs the
 * next: a group is committed only after every signature in it verified.
 * One verifier keeps the issuer's key ready for the whole batch; only
 * the thread that makes the checks uses it.
 */
struct kr_prov_checker {
	struct kr_verifier	*ver;
	pthread_t		tid;
	bool			threaded;
	pthread_mutex_t		mu;
	pthread_cond_t		cv;
	struct kr_sig_check	chk[PROV_GROUP];
	int			ret[PROV_GROUP];
	struct kr_err		err[PROV_GROUP];
	size_t			posted, done;
	bool			quit;
};

static void *
kr_prov_checker_main(void *arg)
{
	struct kr_prov_checker	*c = arg;
	size_t			 i;

	(void)pthread_mutex_lock(&c->mu);
	for (;;) {
		while (c->done == c->posted && !c->quit)
			(void)pthread_cond_wait(&c->cv, &c->mu);
		if (c->done == c->posted)
			break;
		i = c->done;
		(void)pthread_mutex_unlock(&c->mu);
		c->ret[i] = kr_issue_sig_check(&c->chk[i], c->ver,
		    &c->err[i]);
		(void)pthread_mutex_lock(&c->mu);
		c->done++;
		(void)pthread_cond_broadcast(&c->cv);
	}
	(void)pthread_mutex_unlock(&c->mu);
	return NULL;
}

static int
kr_prov_checker_start(struct kr_prov *pv, struct kr_err *err)
{
	struct kr_prov_checker	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	pv->checker = c;
	if (kr_verifier_new(&c->ver, err) != KR_OK)
		return KR_ENOMEM;
	if (pthread_mutex_init(&c->mu, NULL) != 0)
		return KR_OK;		/* checked on this thread instead */
	if (pthread_cond_init(&c->cv, NULL) != 0) {
		(void)pthread_mutex_destroy(&c->mu);
		return KR_OK;
	}
	if (!(c->threaded = kr_thread_start(&c->tid, kr_prov_checker_main,
	    c))) {
		(void)pthread_cond_destroy(&c->cv);
		(void)pthread_mutex_destroy(&c->mu);
	}
	return KR_OK;
}

/* The signature just put in chk[posted], to be checked. */
static void
kr_prov_checker_post(struct kr_prov_checker *c)
{
	size_t	i = c->posted;

	if (!c->threaded) {
		c->ret[i] = kr_issue_sig_check(&c->chk[i], c->ver,
		    &c->err[i]);
		c->posted++;
		c->done++;
		return;
	}
	(void)pthread_mutex_lock(&c->mu);
	c->posted++;
	(void)pthread_cond_broadcast(&c->cv);
	(void)pthread_mutex_unlock(&c->mu);
}

/* Waits for every check posted; the first of the first n that failed. */
static size_t
kr_prov_checker_wait(struct kr_prov_checker *c, size_t n)
{
	size_t	i;

	if (c->threaded) {
		(void)pthread_mutex_lock(&c->mu);
		while (c->done < c->posted)
			(void)pthread_cond_wait(&c->cv, &c->mu);
		(void)pthread_mutex_unlock(&c->mu);
	}
	for (i = 0; i < n && i < c->posted; i++)
		if (c->ret[i] != KR_OK)
			return i;
	return n;
}

/* After a wait: the group's checks forgotten. */
static void
kr_prov_checker_reset(struct kr_prov_checker *c)
{
	size_t	i;

	for (i = 0; i < c->posted; i++)
		kr_issue_sig_check_free(&c->chk[i]);
	c->posted = c->done = 0;
}

static void
kr_prov_checker_stop(struct kr_prov *pv)
{
	struct kr_prov_checker	*c = pv->checker;

	if (c == NULL)
		return;
	if (c->threaded) {
		(void)pthread_mutex_lock(&c->mu);
		c->quit = true;
		(void)pthread_cond_broadcast(&c->cv);
		(void)pthread_mutex_unlock(&c->mu);
		(void)pthread_join(c->tid, NULL);
		(void)pthread_cond_destroy(&c->cv);
		(void)pthread_mutex_destroy(&c->mu);
	}
	kr_prov_checker_reset(c);
	kr_verifier_free(&c->ver);
	free(c);
	pv->checker = NULL;
}

/* One device: sign (its check posted to `c`, or made here), record. */
static int
kr_prov_one(struct kr_prov *pv, struct kr_signer *s,
    struct kr_prov_checker *c, const struct kr_prov_item *it,
    struct kr_err *err)
{
	const struct kr_issue_result	*r;
	struct kr_prov_old		 o = { NULL, NULL, err, KR_ENOENT };
	struct kr_csr			*csr = NULL;
	struct kr_leaf			 lf;
	int				 ret;

	if (!kr_prov_renewing(pv)) {
		if ((ret = kr_prov_csr_again(pv, it, &csr, err)) != KR_OK)
			return ret;
		kr_prov_leaf_csr(pv, it->name, csr, &lf);
	} else {
		o.issuer = pv->from.id;
		if ((ret = kr_store_cert_by_serial(pv->app->store, it->name,
		    kr_prov_old_cb, &o, err)) < 0 || (ret = o.ret) != KR_OK)
			return ret;
		kr_renew_leaf(o.cert, it->name, &lf);
	}
	if ((ret = kr_issue_leaf(pv->is, &lf, &r, err)) == KR_OK) {
		if (c == NULL)
			ret = kr_issue_leaf_sign(pv->is, s, NULL, err);
		else if ((ret = kr_issue_leaf_sign(pv->is, s,
		    &c->chk[c->posted], err)) != KR_OK)
			kr_issue_sig_check_free(&c->chk[c->posted]);
		else
			kr_prov_checker_post(c);
	}
	if (ret == KR_OK)
		ret = kr_prov_record(pv, it, r, err);
	kr_csr_free(&csr);
	kr_cert_free(&o.cert);
	return ret;
}

/* bootstrap-ca.crt, once per output folder (the same bytes after). */
static int
kr_prov_write_ca(struct kr_prov *pv, struct kr_err *err)
{
	const struct kr_cert	*ca = kr_issue_ca_cert(pv->is);
	char			 path[KR_MEDIA_PATH_MAX];
	int			 ret;

	if (pv->ca_there)
		return KR_OK;
	if ((ret = kr_prov_path(pv->req->out_dir, PROV_CA_FILE, "", path,
	    sizeof(path), err)) != KR_OK)
		return ret;
	return kr_media_write(KR_ART_CERTIFICATE, path, ca->der, ca->der_len,
	    KR_FILE_NOREPLACE, err);
}

/* A device failed half way: which, what is done, and how to go on. */
static void
kr_prov_failed(struct kr_prov *pv, struct kr_err *err)
{
	const struct kr_prov_item	*it = &pv->items[pv->res->done];
	size_t				 done = pv->res->done + pv->recorded;
	char				 next[640], cause[KR_ERR_MSG_MAX];

	(void)snprintf(pv->res->failed, sizeof(pv->res->failed), "%s",
	    it->device);
	if (kr_prov_renewing(pv))
		(void)snprintf(next, sizeof(next), "run the same renewal batch "
		    "again for the rest (the certificates renewed are no longer "
		    "due)");
	else if (done == 0)
		(void)snprintf(next, sizeof(next), "no CSR is done: once the "
		    "cause is fixed, run the same command again");
	else
		(void)snprintf(next, sizeof(next), "the CSRs %s to %s (in "
		    "file-name order) are done: run the same command again "
		    "with --skip-provisioned, which lists them as skipped and "
		    "certifies the rest (leave the folder %s as it is)",
		    pv->items[0].name, pv->items[done - 1].name,
		    pv->req->csr_dir);
	(void)snprintf(cause, sizeof(cause), "%s", err->msg);
	(void)kr_err_set(err, err->code, "device %s (%zu of %zu, %s) %s; the "
	    "%zu before it are signed, recorded and written; to go on, %s. "
	    "What happened: %s", it->device, pv->res->done + 1, pv->n,
	    it->name, pv->recorded ? "was signed and recorded but its files "
	    "were not all written" : "failed and was not recorded",
	    pv->res->done, next, cause);
}

/* After the commit: devices recorded whose files have no name yet. */
static int
kr_prov_unreleased(struct kr_prov *pv, size_t left, struct kr_err *err)
{
	char	after[96] = "";

	if (left > 1)
		(void)snprintf(after, sizeof(after), " (nor were those of the "
		    "%zu devices after it in its group, recorded too)",
		    left - 1);
	return kr_out_failed(err, "its certificate and record files were not "
	    "all written%s. `keyrite -C %s provision list --batch %s` lists "
	    "the batch's records and `keyrite -C %s provision show DEVICE` "
	    "each one's certificate serial; `keyrite -C %s cert show SERIAL "
	    "--out FILE --der` writes a certificate again.", after,
	    pv->app->dir, pv->res->batch, pv->app->dir, pv->app->dir);
}

/*
 * Devices from res->done up to `end`, recorded in one transaction and
 * released together: record first, then release.  With `c`, the
 * signatures are verified on the checker's thread, and the group is
 * committed only when all have verified.  A device that fails, or whose
 * signature did not verify, leaves the whole group undone (nothing of it
 * committed, its files never named) and *stop at that device.  A crash
 * before the names leaves the group recorded and unreleased.
 */
static int
kr_prov_group(struct kr_prov *pv, struct kr_signer *s,
    struct kr_prov_checker *c, size_t end, size_t *stop, struct kr_err *err)
{
	struct kr_sigmask	sig;
	struct kr_err		e2;
	size_t			k = pv->res->done, named = 0, bad;
	int			ret, r2;

	if ((ret = kr_store_begin(pv->app->store, err)) != KR_OK)
		return ret;
	kr_signals_hold(&sig);
	while (k < end && (ret = kr_prov_one(pv, s, c, &pv->items[k], err)) ==
	    KR_OK)
		k++;
	if (c != NULL && (bad = kr_prov_checker_wait(c, k - pv->res->done)) <
	    k - pv->res->done) {
		k = pv->res->done + bad;
		*err = c->err[bad];
		ret = c->ret[bad];
	}
	if (c != NULL)
		kr_prov_checker_reset(c);
	kr_err_clear(&e2);
	if (ret != KR_OK) {
		*stop = k;
		kr_store_rollback(pv->app->store);
		kr_media_group_drop(pv->group, 0);
	} else if ((r2 = kr_store_commit(pv->app->store, &e2)) != KR_OK) {
		kr_media_group_drop(pv->group, 0);
		*err = e2;
		ret = r2;
	} else if ((r2 = kr_media_group_release(pv->group,
	    2 * (k - pv->res->done), &named, &e2)) != KR_OK) {
		pv->res->done += named / 2;
		pv->recorded = k - pv->res->done;
		*err = e2;
		ret = kr_prov_unreleased(pv, pv->recorded, err);
	} else
		pv->res->done = k;
	kr_signals_release(&sig);
	return ret;
}

/*
 * The groups in turn.  After a device that failed (or whose signature
 * did not verify), the devices of its group before it are signed again,
 * each verified at once, recorded and written, and the batch stops at
 * that device with its message.
 */
static int
kr_prov_groups(struct kr_prov *pv, struct kr_signer *s, struct kr_err *err)
{
	struct kr_prov_checker	*c;
	struct kr_err		 fe;
	size_t			 end, stop;
	bool			 stopped;
	int			 ret = KR_OK, fret = KR_OK;

	while (ret == KR_OK && pv->res->done < pv->n) {
		end = pv->res->done + PROV_GROUP < pv->n ?
		    pv->res->done + PROV_GROUP : pv->n;
		c = pv->checker;
		stopped = false;
		for (;;) {
			stop = SIZE_MAX;
			ret = kr_prov_group(pv, s, c, end, &stop, err);
			if (ret == KR_OK && stopped) {
				*err = fe;
				ret = fret;
			}
			if (stop == SIZE_MAX || stop == pv->res->done)
				break;
			/* The devices before it again, each checked at once. */
			fe = *err;
			fret = ret;
			stopped = true;
			end = stop;
			c = NULL;
		}
	}
	return ret;
}

static int
kr_prov_sign_all(struct kr_prov *pv, const struct kr_passphrase_source *src,
    struct kr_err *err)
{
	struct kr_approval_subject	 sub;
	struct kr_signer		*s = NULL;
	int				 ret;

	memset(&sub, 0, sizeof(sub));
	sub.op = kr_prov_event(pv);
	sub.digests = pv->batch_dig;
	sub.n = 1;
	if ((ret = kr_media_group_new(&pv->group, 2 * PROV_GROUP, err)) !=
	    KR_OK || (ret = kr_authority_unlock_report(pv->app,
	    kr_issue_issuer(pv->is)->name, pv->req->shares, pv->req->nshares,
	    src, &sub, &pv->res->quorum, &s, err)) != KR_OK)
		return ret;
	if ((ret = kr_signer_require_purpose(s, KR_PURPOSE_CA, err)) ==
	    KR_OK && (ret = kr_prov_write_ca(pv, err)) != KR_OK)
		(void)kr_err_prefix(err, "%s was not written, so no device was "
		    "signed or recorded; once the output folder takes it, run "
		    "the same command again: ", PROV_CA_FILE);
	else if (ret == KR_OK &&
	    (ret = kr_prov_checker_start(pv, err)) == KR_OK &&
	    (ret = kr_prov_groups(pv, s, err)) != KR_OK &&
	    pv->res->done < pv->n)
		kr_prov_failed(pv, err);
	kr_prov_checker_stop(pv);
	/* The unlocked key is wiped when the batch ends. */
	kr_signer_free(&s);
	return ret;
}

static int
kr_prov_args(const struct kr_prov_req *req, struct kr_err *err)
{
	int	ret;

	if ((req->csr_dir == NULL) == (req->renew_within_days == 0))
		return kr_err_set(err, KR_EUSAGE, "give --csr-dir DIR (new "
		    "devices) or --renew-within-days N (renewals), not both");
	if (req->issuer_key == NULL || req->out_dir == NULL)
		return kr_err_set(err, KR_EUSAGE, "give --issuer-key NAME and "
		    "--out-dir DIR");
	if ((ret = kr_prov_text_ok("--operator", req->operator,
	    KR_OPERATOR_MAX, true, err)) != KR_OK)
		return ret;
	return kr_prov_text_ok("--line", req->line, KR_LINE_MAX, false, err);
}

/*
 * Whose certificates a renewal batch renews: the issuing key's, or with
 * --from-issuer those of a retired key, under the issuing key.
 */
static int
kr_prov_from(struct kr_prov *pv, struct kr_err *err)
{
	const struct kr_key_rec	*k = kr_issue_issuer(pv->is);
	int			 ret;

	if (!kr_prov_moving(pv)) {
		pv->from = *k;
		return KR_OK;
	}
	if ((ret = kr_store_key_get(pv->app->store, pv->req->from_issuer,
	    &pv->from, err)) != KR_OK)
		return kr_err_prefix(err, "--from-issuer: ");
	if (memcmp(pv->from.id, k->id, KR_STORE_ID_BYTES) == 0)
		return kr_err_set(err, KR_EUSAGE, "--from-issuer names the "
		    "issuing key '%s' itself: leave it out", k->name);
	return kr_renew_retired(pv->app, pv->from.id, k->name, &pv->from,
	    err);
}

/* The issuing key; a retired one's renewals name the way on. */
static int
kr_prov_open(struct kr_prov *pv, struct kr_err *err)
{
	char	msg[KR_ERR_MSG_MAX];
	int	ret;

	ret = kr_issue_open(pv->app, pv->req->issuer_key, pv->req->profile !=
	    NULL ? pv->req->profile : "device", pv->req->days, &pv->is, err);
	if (ret != KR_EREFUSED || !kr_prov_renewing(pv) ||
	    pv->req->from_issuer != NULL)
		return ret;
	(void)snprintf(msg, sizeof(msg), "%s", err->msg);
	return kr_err_set(err, ret, "%s. Its device certificates are renewed "
	    "under the issuing CA that replaced it: `keyrite provision batch "
	    "--issuer-key SUCCESSOR --from-issuer %s --renew-within-days %u "
	    "...` (docs/rotation.md)", msg, pv->req->issuer_key,
	    pv->req->renew_within_days);
}

static int
kr_prov_run(struct kr_prov *pv, const struct kr_passphrase_source *src,
    struct kr_err *err)
{
	uint8_t	id[16];
	int	ret;

	kr_random(id, sizeof(id));
	kr_hex_encode(pv->res->batch, id, sizeof(id));
	if ((ret = kr_prov_args(pv->req, err)) != KR_OK ||
	    (ret = kr_prov_open(pv, err)) != KR_OK ||
	    (ret = kr_issue_accept_warnings(pv->is,
	    pv->req->accept_warnings)) != KR_OK ||
	    (ret = kr_prov_from(pv, err)) != KR_OK ||
	    (ret = kr_media_plan_init(&pv->plan, pv->app->dir, err)) != KR_OK ||
	    (ret = kr_media_plan_distinct(&pv->plan, err)) != KR_OK ||
	    (ret = kr_media_plan_dir(&pv->plan, pv->req->out_dir,
	    "the output folder", err)) != KR_OK ||
	    (ret = kr_prov_collect(pv, err)) != KR_OK)
		return ret;
	pv->res->total = pv->n;
	pv->res->skipped = pv->nskips + pv->ndone;
	if ((ret = kr_prov_digest(pv, err)) != KR_OK ||
	    (ret = kr_prov_confirm(pv, src, err)) != KR_OK || pv->req->dry_run ||
	    pv->n == 0)
		return ret;
	return kr_prov_sign_all(pv, src, err);
}

int
kr_authority_provision(struct kr_appliance *app, const struct kr_prov_req *req,
    const struct kr_passphrase_source *src, struct kr_prov_result *res,
    struct kr_err *err)
{
	struct kr_prov	pv;
	size_t		i;
	int		ret;

	memset(res, 0, sizeof(*res));
	memset(&pv, 0, sizeof(pv));
	pv.app = app;
	pv.req = req;
	pv.res = res;
	ret = kr_prov_run(&pv, src, err);
	for (i = 0; i < pv.n + pv.ndone; i++) {
		free(pv.items[i].name);
		free(pv.items[i].done);
		free(pv.items[i].replaces);
		free(pv.items[i].was);
	}
	free(pv.items);
	free(pv.skips);
	kr_media_plan_free(&pv.plan);
	kr_media_group_free(&pv.group);
	kr_issue_free(&pv.is);
	return ret;
}

void
kr_prov_result_free(struct kr_prov_result *res)
{
	if (res != NULL)
		kr_quorum_report_free(&res->quorum);
}
