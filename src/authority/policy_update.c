/*
 * policy show and policy update.
 *
 * The policy in force is the policy/ folder as pinned by audit row 1 or
 * the newest policy.update row (policyset.c checks it at every open).  An
 * update reads a folder of NAME.yaml files that replace or add to it,
 * checks each with the same strict parsers as init, shows what changes
 * key by key, file by file, and needs the quorum of an active CA key;
 * the new files are written to policy.next/, the row naming the old and
 * new SHA-256 of every changed file (and the SHA-256 of every file in
 * force after it) is committed, and only then are they moved into place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_int.h"

#define KR_DIFF_VALUE_MAX	200

struct kr_pol_upd {
	struct kr_appliance			*app;
	const struct kr_policy_update_req	*req;
	struct kr_policy_update_result		*res;
	struct kr_policy_set			 cur, next;
	struct kr_key_rec			 k;
	int64_t					 pin_seq;
	char					 root_file[64];
	uint8_t					 digest[32];
	struct kr_preview			 pv;
};

/*
 * What the custodians approve is what they read: the difference, path by
 * path (issuers.root3.distribution_point: A -> B), each value on one line
 * of at most KR_DIFF_VALUE_MAX bytes; a value or path that does not fit
 * ends in "..." and the whole new file is shown after the differences.
 */
struct kr_diff {
	struct kr_preview	*pv;
	const char		*file;
	bool			 cut;		/* something ended in "..." */
};

static void
kr_diff_put(char *out, size_t cap, size_t *len, const char *s, bool *cut)
{
	size_t	n;

	if (*len + 4 > cap)
		return;		/* ended in "..." already */
	n = strlen(s);
	if (*len + n + 4 <= cap) {
		memcpy(out + *len, s, n);
		*len += n;
		out[*len] = '\0';
		return;
	}
	n = cap - 4 - *len;
	memcpy(out + *len, s, n);
	memcpy(out + *len + n, "...", 4);
	*len = cap;
	*cut = true;
}

/* A value as one line: scalars as they are, [a, b], {k: v}. */
static void
kr_yaml_render(const struct kr_yaml_node *n, char *out, size_t cap,
    size_t *len, bool *cut)
{
	size_t	i;

	if (n->kind == KR_YAML_SCALAR) {
		if (strpbrk(n->scalar, "\n\r\t") != NULL)
			*cut = true;	/* shown in the whole file */
		kr_diff_put(out, cap, len, n->scalar[0] != '\0' ? n->scalar :
		    "\"\"", cut);
		return;
	}
	kr_diff_put(out, cap, len, n->kind == KR_YAML_MAP ? "{" : "[", cut);
	for (i = 0; i < n->count; i++) {
		if (i > 0)
			kr_diff_put(out, cap, len, ", ", cut);
		if (n->kind == KR_YAML_MAP) {
			kr_diff_put(out, cap, len, n->keys[i], cut);
			kr_diff_put(out, cap, len, ": ", cut);
		}
		kr_yaml_render(n->items[i], out, cap, len, cut);
	}
	kr_diff_put(out, cap, len, n->kind == KR_YAML_MAP ? "}" : "]", cut);
}

static void
kr_diff_row(struct kr_diff *d, const char *path, const struct kr_yaml_node *a,
    const struct kr_yaml_node *b)
{
	char	va[KR_DIFF_VALUE_MAX], vb[KR_DIFF_VALUE_MAX];
	size_t	la = 0, lb = 0;

	va[0] = vb[0] = '\0';
	if (a != NULL)
		kr_yaml_render(a, va, sizeof(va), &la, &d->cut);
	if (b != NULL)
		kr_yaml_render(b, vb, sizeof(vb), &lb, &d->cut);
	if (a == NULL)
		kr_preview_text(d->pv, d->file, "%s: added, %s", path, vb);
	else if (b == NULL)
		kr_preview_text(d->pv, d->file, "%s: removed (was %s)", path, va);
	else
		kr_preview_text(d->pv, d->file, "%s: %s -> %s", path, va, vb);
}

static bool
kr_yaml_same(const struct kr_yaml_node *a, const struct kr_yaml_node *b)
{
	size_t	i;

	if (a->kind != b->kind || a->count != b->count)
		return false;
	if (a->kind == KR_YAML_SCALAR)
		return strcmp(a->scalar, b->scalar) == 0;
	for (i = 0; i < a->count; i++)
		if ((a->kind == KR_YAML_MAP && strcmp(a->keys[i],
		    b->keys[i]) != 0) || !kr_yaml_same(a->items[i], b->items[i]))
			return false;
	return true;
}

static void kr_diff_node(struct kr_diff *, const char *,
    const struct kr_yaml_node *, const struct kr_yaml_node *);

/* PATH.KEY or PATH[I]; a path that does not fit ends in "...". */
static void
kr_diff_child(struct kr_diff *d, const char *path, const char *key, size_t i,
    const struct kr_yaml_node *a, const struct kr_yaml_node *b)
{
	char	sub[KR_DIFF_VALUE_MAX], idx[32];
	size_t	len = 0;

	sub[0] = '\0';
	kr_diff_put(sub, sizeof(sub), &len, path, &d->cut);
	if (key != NULL) {
		kr_diff_put(sub, sizeof(sub), &len, path[0] != '\0' ? "." : "",
		    &d->cut);
		kr_diff_put(sub, sizeof(sub), &len, key, &d->cut);
	} else {
		(void)snprintf(idx, sizeof(idx), "[%zu]", i);
		kr_diff_put(sub, sizeof(sub), &len, idx, &d->cut);
	}
	kr_diff_node(d, sub, a, b);
}

static void
kr_diff_node(struct kr_diff *d, const char *path, const struct kr_yaml_node *a,
    const struct kr_yaml_node *b)
{
	size_t	i;

	if (a != NULL && b != NULL && kr_yaml_same(a, b))
		return;
	if (a == NULL || b == NULL || a->kind != b->kind ||
	    a->kind == KR_YAML_SCALAR) {
		kr_diff_row(d, path, a, b);
		return;
	}
	if (a->kind == KR_YAML_SEQ) {
		for (i = 0; i < a->count || i < b->count; i++)
			kr_diff_child(d, path, NULL, i, i < a->count ?
			    a->items[i] : NULL, i < b->count ? b->items[i] :
			    NULL);
		return;
	}
	for (i = 0; i < b->count; i++)
		kr_diff_child(d, path, b->keys[i], 0, kr_yaml_get(a,
		    b->keys[i]), b->items[i]);
	for (i = 0; i < a->count; i++)
		if (kr_yaml_get(b, a->keys[i]) == NULL)
			kr_diff_child(d, path, a->keys[i], 0, a->items[i],
			    NULL);
}

/* The new file line by line: an added file, or a difference cut short. */
static void
kr_diff_whole(struct kr_diff *d, const struct kr_policy_doc *nd,
    const char *why)
{
	const char	*p = (const char *)nd->data, *end = p + nd->len, *nl;
	unsigned	 line = 1;
	int		 n;

	kr_preview_text(d->pv, d->file, "%s", why);
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		do {
			n = nl - p > 500 ? 500 : (int)(nl - p);
			kr_preview_text(d->pv, d->file, "%4u%c %.*s", line,
			    nl - p > 500 ? '+' : '|', n, p);
			p += n;
		} while (p < nl);
		p = nl + 1;
		line++;
	}
}

static int
kr_policy_diff_file(struct kr_pol_upd *u, const struct kr_policy_doc *old,
    const struct kr_policy_doc *nd, struct kr_err *err)
{
	struct kr_yaml_doc	*a = NULL, *b = NULL;
	struct kr_diff		 d;
	int			 ret;

	kr_preview_head(&u->pv, "%s (%s)", nd->name, old == NULL ? "new file" :
	    "changed");
	if (old != NULL)
		kr_preview_hash(&u->pv, "old SHA-256", old->sha256, 32);
	kr_preview_hash(&u->pv, "new SHA-256", nd->sha256, 32);
	d.pv = &u->pv;
	d.file = nd->name;
	d.cut = false;
	if (old == NULL) {
		kr_diff_whole(&d, nd, "the new file, line by line:");
		return KR_OK;
	}
	if ((ret = kr_yaml_parse(old->name, old->data, old->len, &a, err)) ==
	    KR_OK && (ret = kr_yaml_parse(nd->name, nd->data, nd->len, &b,
	    err)) == KR_OK) {
		kr_diff_node(&d, "", a->root, b->root);
		if (d.cut)
			kr_diff_whole(&d, nd, "a value above ends in \"...\": "
			    "the whole new file follows");
	}
	kr_yaml_free(&a);
	kr_yaml_free(&b);
	return ret;
}

/* quorum.yaml, crl.yaml and root profiles: a root's custodians approve. */
static bool
kr_policy_root_only(const struct kr_policy_doc *d)
{
	struct kr_profile	*p;
	struct kr_err		 e;
	char			 base[64];
	bool			 root;

	if (d == NULL)
		return false;
	if (strcmp(d->name, "quorum.yaml") == 0 ||
	    strcmp(d->name, "crl.yaml") == 0)
		return true;
	(void)snprintf(base, sizeof(base), "%.*s", (int)(strlen(d->name) - 5),
	    d->name);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return true;
	root = kr_profile_parse(d->name, base, d->data, d->len, p, &e) !=
	    KR_OK || p->self_signed;
	free(p);
	return root;
}

/*
 * Who may approve: the custodians of an active CA key with a quorum (not
 * a --pin-source prompt token key) whose certificates are not revoked; of a root key (its self-signed
 * certificate recorded here) when a root-only file changes.
 */
static int
kr_policy_update_approver(struct kr_pol_upd *u, struct kr_err *err)
{
	struct kr_key_where	kw;
	struct kr_chain		chain;
	struct kr_err		e;
	bool			root;
	int			ret;

	if ((ret = kr_key_where_load(u->app, &u->k, &kw, err)) != KR_OK)
		return ret;
	if (!kw.home.quorum)
		return kr_err_set(err, KR_EREFUSED, "key '%s' has no custodian "
		    "quorum (its token's own PIN guards it, --pin-source "
		    "prompt): a policy update is approved by the custodians of "
		    "a CA key whose shares they hold. Give --key such a key "
		    "(keyrite key list shows the quorum of each). Nothing was "
		    "asked", u->k.name);
	if (!u->req->dry_run && u->req->nshares == 0)
		return kr_err_set(err, KR_EUSAGE, "the policy was not changed: "
		    "give the --share of each custodian of key '%s' present "
		    "(or --dry-run to see the update)", u->k.name);
	if ((ret = kr_key_standing_check(u->app, &u->k, KR_USE_ISSUE, err)) !=
	    KR_OK)
		return kr_err_prefix(err, "the policy was not changed: ");
	if (u->root_file[0] == '\0')
		return KR_OK;
	root = kr_chain_for_key(u->app, u->k.name, u->k.spki, u->k.spki_len,
	    kr_time_now(), &chain, &e) == KR_OK &&
	    kr_cert_self_signed(chain.certs[0]);
	kr_chain_free(&chain);
	if (!root)
		return kr_err_set(err, KR_EREFUSED, "the policy was not changed: "
		    "%s/%s changes, and only the custodians of a root key (one "
		    "whose self-signed certificate is recorded here) approve "
		    "quorum.yaml, crl.yaml and root profiles; '%s' is not one. "
		    "Give --key a root key, or leave %s out of the update. "
		    "Nothing was asked", u->req->from, u->root_file, u->k.name,
		    u->root_file);
	return KR_OK;
}

/* The new set, checked, and what differs from the one in force. */
static int
kr_policy_update_prepare(struct kr_pol_upd *u, struct kr_err *err)
{
	const struct kr_policy_doc	*old, *nd;
	char				*pdir;
	size_t				 i;
	int				 ret;

	if ((pdir = kr_appliance_path(u->app, KR_POLICY_DIR)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_policy_set_dir(&u->cur, pdir, err);
	if (ret == KR_OK)
		ret = kr_policy_set_dir(&u->next, pdir, err);
	free(pdir);
	if (ret != KR_OK || (ret = kr_policy_set_dir(&u->next, u->req->from,
	    err)) != KR_OK ||
	    (ret = kr_policy_set_check(&u->next, u->req->from, err)) != KR_OK)
		return kr_err_prefix(err, "the policy was not changed: ");
	if ((ret = kr_policy_set_hash(&u->cur, err)) != KR_OK ||
	    (ret = kr_policy_set_hash(&u->next, err)) != KR_OK)
		return ret;
	kr_preview_init(&u->pv, "Policy update from %s", u->req->from);
	for (i = 0; i < u->next.n && ret == KR_OK; i++) {
		nd = &u->next.doc[i];
		old = kr_policy_set_find(&u->cur, nd->name);
		if (old != NULL && memcmp(old->sha256, nd->sha256, 32) == 0)
			continue;
		u->res->changed++;
		if (u->root_file[0] == '\0' && (kr_policy_root_only(nd) ||
		    kr_policy_root_only(old)))
			(void)snprintf(u->root_file, sizeof(u->root_file),
			    "%s", nd->name);
		ret = kr_policy_diff_file(u, old, nd, err);
	}
	if (ret == KR_OK && u->res->changed == 0)
		ret = kr_err_set(err, KR_EREFUSED, "%s holds no file that "
		    "differs from the policy in force: nothing to update",
		    u->req->from);
	if (ret == KR_OK)
		ret = kr_policy_update_approver(u, err);
	if (ret == KR_OK)
		ret = kr_crl_policy_recheck(u->app, &u->cur, &u->next,
		    u->req->from, kr_time_now(), err);
	return ret;
}

/* What the custodians approve: every file in force after, and the row. */
static int
kr_policy_update_digest(struct kr_pol_upd *u, struct kr_err *err)
{
	struct kr_buf	b;
	char		hex[65], line[96];
	size_t		i;
	int		ret;

	kr_buf_init(&b, false);
	(void)snprintf(line, sizeof(line), "keyrite policy update over audit "
	    "row %lld\n", (long long)u->pin_seq);
	kr_buf_put(&b, line, strlen(line));
	for (i = 0; i < u->next.n; i++) {
		kr_hex_encode(hex, u->next.doc[i].sha256, 32);
		kr_buf_put_sum(&b, hex, u->next.doc[i].name);
	}
	if ((ret = kr_buf_status(&b, err)) == KR_OK &&
	    (ret = kr_hash(KR_HASH_SHA256, b.p, b.len, u->digest)) != KR_OK)
		ret = kr_err_set(err, ret, "cannot hash the policy update");
	kr_buf_free(&b);
	if (ret != KR_OK)
		return ret;
	kr_preview_hash(&u->pv, "approved digest", u->digest, 32);
	return KR_OK;
}

/* The changed files, in policy.next/ until the row is committed. */
static int
kr_policy_update_stage(struct kr_pol_upd *u, struct kr_err *err)
{
	const struct kr_policy_doc	*old, *nd;
	char				*ndir, *path;
	size_t				 i;
	int				 ret;

	if ((ndir = kr_appliance_path(u->app, KR_POLICY_NEXT_DIR)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_mkdir_private(ndir, err);
	for (i = 0; i < u->next.n && ret == KR_OK; i++) {
		nd = &u->next.doc[i];
		old = kr_policy_set_find(&u->cur, nd->name);
		if (old != NULL && memcmp(old->sha256, nd->sha256, 32) == 0)
			continue;
		if ((path = kr_path_join(ndir, nd->name)) == NULL)
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		else
			ret = kr_file_write(path, nd->data, nd->len,
			    KR_FILE_NOREPLACE, err);
		free(path);
	}
	if (ret == KR_OK)
		ret = kr_fsync_dir(ndir, err);
	free(ndir);
	return ret;
}

static void
kr_policy_update_changes(const struct kr_pol_upd *u, struct kr_buf *b)
{
	const struct kr_policy_doc	*old, *nd;
	struct kr_json			 j;
	size_t				 i;

	for (i = 0; i < u->next.n; i++) {
		nd = &u->next.doc[i];
		old = kr_policy_set_find(&u->cur, nd->name);
		if (old != NULL && memcmp(old->sha256, nd->sha256, 32) == 0)
			continue;
		kr_json_begin(&j);
		kr_json_str(&j, "file", nd->name);
		if (old != NULL)
			kr_json_hex(&j, "old_sha256", old->sha256, 32);
		else
			kr_json_str(&j, "old_sha256", "");
		kr_json_hex(&j, "new_sha256", nd->sha256, 32);
		kr_json_list_add(b, &j);
	}
	(void)kr_json_list_end(b);
}

static int
kr_policy_update_record(struct kr_pol_upd *u, const char *const *names,
    size_t n, struct kr_err *err)
{
	struct kr_json	j;
	struct kr_buf	changes;
	int		ret;

	kr_buf_init(&changes, false);
	kr_policy_update_changes(u, &changes);
	kr_json_begin(&j);
	kr_policy_set_pin(&u->next, &j);
	kr_json_raw(&j, "changes", !changes.failed && changes.p != NULL ?
	    (const char *)changes.p : "[]");
	kr_json_int(&j, "previous_pin", u->pin_seq);
	kr_json_hex(&j, "approved_digest", u->digest, 32);
	kr_json_str(&j, "quorum_key", u->k.name);
	kr_json_str_array(&j, "approved_by", names, n);
	kr_approvals_json(&j, u->res->quorum, 0);
	kr_json_str(&j, "operator", u->req->actor);
	if (changes.failed || kr_json_end(&j) == NULL)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	else if ((ret = kr_store_begin(u->app->store, err)) == KR_OK) {
		if ((ret = kr_audit_record(u->app, u->req->actor,
		    KR_POLICY_UPDATE_EVENT, kr_json_end(&j), &u->res->audit_seq,
		    err)) == KR_OK)
			ret = kr_store_commit(u->app->store, err);
		else
			kr_store_rollback(u->app->store);
	}
	kr_json_free(&j);
	kr_buf_free(&changes);
	return ret;
}

static int
kr_policy_update_apply(struct kr_pol_upd *u, struct kr_err *err)
{
	const char	*names[KR_CUSTODIANS_MAX];
	struct kr_err	 scratch;
	size_t		 n;
	int		 ret;

	kr_quorum_approvers(u->res->quorum, names, &n, u->res->approvers,
	    sizeof(u->res->approvers));
	if ((ret = kr_policy_update_stage(u, err)) != KR_OK ||
	    (ret = kr_policy_update_record(u, names, n, err)) != KR_OK) {
		if (kr_policy_next_settle(u->app->dir, false, &scratch) !=
		    KR_OK)
			(void)kr_err_prefix(err, "%s/%s is left behind (the "
			    "next command removes it): ", u->app->dir,
			    KR_POLICY_NEXT_DIR);
		return ret;
	}
	if ((ret = kr_policy_next_settle(u->app->dir, true, err)) != KR_OK)
		return kr_err_prefix(err, "the update was recorded (audit row "
		    "%lld) and its files are in %s/%s; the next command moves "
		    "them into place: ", (long long)u->res->audit_seq,
		    u->app->dir, KR_POLICY_NEXT_DIR);
	return KR_OK;
}

static int
kr_policy_update_run(struct kr_pol_upd *u, const struct kr_passphrase_source *src,
    struct kr_err *err)
{
	struct kr_approval_subject	 sub;
	struct kr_policy_pin		 pin;
	struct kr_signer		*s = NULL;
	int				 ret;

	if (u->req->from == NULL)
		return kr_err_set(err, KR_EUSAGE, "give --from DIR, the folder "
		    "of new policy files");
	if ((ret = kr_ca_key_load(u->app, u->req->key, &u->k, err)) != KR_OK ||
	    (ret = kr_policy_pin_row(u->app, &pin, err)) != KR_OK)
		return ret;
	u->pin_seq = pin.seq;
	kr_policy_pin_free(&pin);
	if ((ret = kr_policy_update_prepare(u, err)) != KR_OK ||
	    (ret = kr_policy_update_digest(u, err)) != KR_OK ||
	    (ret = kr_preview_confirm(src, &u->pv, !u->req->dry_run, err)) !=
	    KR_OK || u->req->dry_run)
		return ret;
	memset(&sub, 0, sizeof(sub));
	sub.op = KR_POLICY_UPDATE_EVENT;
	sub.digests = u->digest;
	sub.n = 1;
	ret = kr_authority_unlock_report(u->app, u->k.name, u->req->shares,
	    u->req->nshares, src, &sub, &u->res->quorum, &s, err);
	/* The quorum is what is asked for; the key signs nothing. */
	kr_signer_free(&s);
	if (ret != KR_OK)
		return ret;
	return kr_policy_update_apply(u, err);
}

int
kr_authority_policy_update(struct kr_appliance *app,
    const struct kr_policy_update_req *req,
    const struct kr_passphrase_source *src,
    struct kr_policy_update_result *res, struct kr_err *err)
{
	struct kr_pol_upd	*u;
	int			 ret;

	memset(res, 0, sizeof(*res));
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	u->app = app;
	u->req = req;
	u->res = res;
	ret = kr_policy_update_run(u, src, err);
	kr_policy_set_free(&u->cur);
	kr_policy_set_free(&u->next);
	kr_preview_free(&u->pv);
	free(u);
	return ret;
}

static void
kr_policy_describe(const struct kr_policy_doc *d, char *out, size_t cap)
{
	struct kr_profile	*p;
	struct kr_err		 e;
	char			 base[64];

	if (strcmp(d->name, "quorum.yaml") == 0) {
		(void)snprintf(out, cap, "quorum policy");
		return;
	}
	if (strcmp(d->name, "crl.yaml") == 0) {
		(void)snprintf(out, cap, "CRL policy");
		return;
	}
	(void)snprintf(base, sizeof(base), "%.*s", (int)(strlen(d->name) - 5),
	    d->name);
	if ((p = calloc(1, sizeof(*p))) != NULL && kr_profile_parse(d->name,
	    base, d->data, d->len, p, &e) == KR_OK)
		(void)snprintf(out, cap, "certificate profile (%s)",
		    p->self_signed ? "root" : p->is_ca ? "CA" : "leaf");
	else
		(void)snprintf(out, cap, "certificate profile");
	free(p);
}

int
kr_authority_policy_show(struct kr_appliance *app, struct kr_policy_info *pi,
    struct kr_err *err)
{
	struct kr_policy_set	*ps;
	struct kr_policy_pin	 pin;
	char			*pdir;
	size_t			 i;
	int			 ret;

	memset(pi, 0, sizeof(*pi));
	if ((ret = kr_policy_pin_row(app, &pin, err)) != KR_OK)
		return ret;
	pi->pin_seq = pin.seq;
	pi->pin_time = pin.time;
	(void)snprintf(pi->pin_event, sizeof(pi->pin_event), "%s", pin.event);
	kr_policy_pin_free(&pin);
	if ((ps = calloc(1, sizeof(*ps))) == NULL ||
	    (pdir = kr_appliance_path(app, KR_POLICY_DIR)) == NULL) {
		free(ps);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	if ((ret = kr_policy_set_dir(ps, pdir, err)) == KR_OK &&
	    (ret = kr_policy_set_hash(ps, err)) == KR_OK)
		for (i = 0; i < ps->n && i < sizeof(pi->file) /
		    sizeof(pi->file[0]); i++) {
			(void)snprintf(pi->file[i].name,
			    sizeof(pi->file[i].name), "%s", ps->doc[i].name);
			memcpy(pi->file[i].sha256, ps->doc[i].sha256, 32);
			kr_policy_describe(&ps->doc[i], pi->file[i].what,
			    sizeof(pi->file[i].what));
			pi->n++;
		}
	kr_policy_set_free(ps);
	free(ps);
	free(pdir);
	return ret;
}
