/*
 * The inventory's detail views: one record in full, as lines for the
 * pager.  Revocation states come from the authority (bound to the
 * chain), not from the tables alone.
 */
#include <stdio.h>
#include <string.h>

#include "tui_int.h"

void
tui_detail_key(struct tui *t, const struct kr_key_rec *k,
    struct tui_lines *l)
{
	struct kr_custodian_rec	cu[KR_CUSTODIANS_MAX];
	struct kr_set_rec	set;
	struct kr_rev_status	rs;
	char			where[2048], rev[96], when[KR_TIME_STR_BYTES];
	char			*p, *nl;
	size_t			n = 0, i;
	bool			quorum;

	kr_time_format(k->created, when);
	tui_lines_add(l, "key          %s", k->name);
	tui_lines_add(l, "purpose      %s", k->purpose);
	tui_lines_add(l, "algorithm    %s", k->alg);
	tui_lines_add(l, "back end     %s", k->backend);
	tui_lines_add(l, "state        %s", k->state);
	tui_lines_add(l, "created      %s", when);
	if (kr_authority_key_status(t->app, k, &rs, &t->err) == KR_OK) {
		kr_rev_status_format(&rs, rev, sizeof(rev));
		tui_lines_add(l, "certificate  %s", rev);
	}
	if (kr_authority_key_where(t->app, k, where, sizeof(where), &quorum,
	    &t->err) == KR_OK)
		for (p = where; *p != '\0'; p = nl + (*nl != '\0')) {
			if ((nl = strchr(p, '\n')) == NULL)
				nl = p + strlen(p);
			tui_lines_add(l, "  %.*s", (int)(nl - p), p);
		}
	if (kr_store_set_active(kr_appliance_store(t->app), k->id, &set,
	    &t->err) != KR_OK)
		return;
	tui_lines_add(l, "quorum       %u of %u, share set epoch %u", set.m,
	    set.n, set.epoch);
	if (kr_store_custodians(kr_appliance_store(t->app), set.id, cu,
	    KR_CUSTODIANS_MAX, &n, &t->err) != KR_OK)
		return;
	for (i = 0; i < n; i++)
		tui_lines_add(l, "  share %u   %s", cu[i].x, cu[i].name);
}

void
tui_detail_cert(struct tui *t, const struct kr_cert_rec *c,
    struct tui_lines *l)
{
	struct kr_rev_status	rs;
	char			rev[96], nb[KR_TIME_STR_BYTES];
	char			na[KR_TIME_STR_BYTES];

	kr_time_format(c->not_before, nb);
	kr_time_format(c->not_after, na);
	tui_lines_add(l, "serial       %s", c->serial);
	tui_lines_add(l, "subject      %s", c->subject);
	tui_lines_add(l, "kind         %s%s", c->kind, c->is_ca ? " (CA)" :
	    "");
	tui_lines_add(l, "profile      %s", c->profile);
	tui_lines_add(l, "not before   %s", nb);
	tui_lines_add(l, "not after    %s", na);
	tui_lines_add(l, "SHA-256      %s", c->sha256);
	tui_lines_add(l, "key SHA-256  %s", c->spki_sha256);
	if (kr_authority_cert_status(t->app, c, &rs, &t->err) == KR_OK) {
		kr_rev_status_format(&rs, rev, sizeof(rev));
		tui_lines_add(l, "revocation   %s", rev);
	} else
		tui_lines_add(l, "revocation   cannot tell: %s", t->err.msg);
}

void
tui_detail_crl(const char *issuer, const struct kr_crl_rec *c,
    struct tui_lines *l)
{
	char	tu[KR_TIME_STR_BYTES], nu[KR_TIME_STR_BYTES];

	kr_time_format(c->this_update, tu);
	kr_time_format(c->next_update, nu);
	tui_lines_add(l, "issuer key   %s", issuer);
	tui_lines_add(l, "CRL number   %lld%s", (long long)c->number,
	    c->is_delta ? " (delta)" : "");
	tui_lines_add(l, "this update  %s", tu);
	tui_lines_add(l, "next update  %s", nu);
	tui_lines_add(l, "entries      %lld", (long long)c->entries);
	tui_lines_add(l, "SHA-256      %s", c->sha256);
	tui_lines_add(l, "copy         %s", c->location);
}

void
tui_detail_sig(const struct kr_signature_rec *s, struct tui_lines *l)
{
	char	when[KR_TIME_STR_BYTES];

	kr_time_format(s->created, when);
	tui_lines_add(l, "signature    %lld", (long long)s->id);
	tui_lines_add(l, "image        %s (%lld bytes)", s->image_name,
	    (long long)s->image_size);
	tui_lines_add(l, "digest       %s:%s", s->digest_alg, s->digest);
	tui_lines_add(l, "format       %s", s->format);
	tui_lines_add(l, "output       %s", s->output);
	tui_lines_add(l, "batch        %s", s->batch[0] != '\0' ? s->batch :
	    "(single)");
	tui_lines_add(l, "certificate  %s", s->cert_serial[0] != '\0' ?
	    s->cert_serial : "(none)");
	tui_lines_add(l, "signed       %s", when);
}

void
tui_detail_holding(const struct kr_holding_rec *h, struct tui_lines *l)
{
	char	hex[65], when[KR_TIME_STR_BYTES] = "not yet";

	kr_hex_encode(hex, h->c.share_digest, sizeof(h->c.share_digest));
	if (h->c.checked != 0)
		kr_time_format(h->c.checked, when);
	tui_lines_add(l, "custodian    %s", h->c.name);
	tui_lines_add(l, "key          %s (%s)", h->key, h->key_state);
	tui_lines_add(l, "share        %u of a %u-of-n set, epoch %u",
	    h->c.x, h->m, h->epoch);
	tui_lines_add(l, "share SHA-256 %s", hex);
	tui_lines_add(l, "approval key %s", h->c.has_approval_pk ? "yes "
	    "(format 2 share)" : "none (format 1 share)");
	tui_lines_add(l, "checked      %s", when);
}
