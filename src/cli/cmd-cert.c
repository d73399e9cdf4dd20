/*
 * keyrite cert root | issue | cross-sign | list | show
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
cmd_cert_opt_san(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	struct kr_issue_req	*r = opts;

	if (r->nsan == KR_SAN_MAX)
		return cmd_usage_error(ctx, "at most %d --san", KR_SAN_MAX);
	r->san[r->nsan++] = arg;
	return KR_OK;
}

/*
 * What cert root, issue and cross-sign all take (besides CMD_QUORUM's).
 * The three share one set of option names: a sibling's option is refused
 * as unknown once getopt has read it with its value, so abbreviations
 * resolve, and are refused, alike in all three.
 */
#define CMD_CERT_COMMON_OPTIONS						\
	CMD_ROW_STR("profile", struct kr_issue_req, profile),		\
	CMD_ROW_UINT("days", struct kr_issue_req, days, 1, 36525),	\
	CMD_ROW_STR("out", struct kr_issue_req, out_path),		\
	CMD_ROW_FLAG("dry-run", struct kr_issue_req, dry_run),		\
	CMD_ROW_FLAG("accept-warnings", struct kr_issue_req,		\
	    accept_warnings),						\
	CMD_ROW_FLAG("rsa-pss", struct kr_issue_req, rsa_pss),		\
	CMD_ROW_FLAG("der", struct kr_issue_req, der),			\
	CMD_ROW_END

static const struct cmd_opt cmd_cert_root_options[] = {
	CMD_ROW_STR("key", struct kr_issue_req, issuer_key),
	CMD_ROW_STR("subject", struct kr_issue_req, subject),
	CMD_ROW_REFUSED("issuer-key"),
	CMD_ROW_REFUSED("csr"),
	CMD_ROW_REFUSED("pubkey"),
	CMD_ROW_REFUSED("subject-key"),
	CMD_ROW_REFUSED("san"),
	CMD_ROW_REFUSED("cert"),
	CMD_ROW_STR("save-request", struct kr_issue_req, save_request),
	CMD_ROW_STR("request", struct kr_issue_req, request),
	CMD_CERT_COMMON_OPTIONS
};

static const struct cmd_opt cmd_cert_issue_options[] = {
	CMD_ROW_STR("issuer-key", struct kr_issue_req, issuer_key),
	CMD_ROW_STR("subject", struct kr_issue_req, subject),
	CMD_ROW_STR("csr", struct kr_issue_req, csr_path),
	CMD_ROW_STR("pubkey", struct kr_issue_req, pubkey_path),
	CMD_ROW_STR("subject-key", struct kr_issue_req, subject_key),
	CMD_ROW_CALL_MANY("san", cmd_cert_opt_san),
	CMD_ROW_STR("save-request", struct kr_issue_req, save_request),
	CMD_ROW_STR("request", struct kr_issue_req, request),
	CMD_ROW_REFUSED("key"),
	CMD_ROW_REFUSED("cert"),
	CMD_CERT_COMMON_OPTIONS
};

static const struct cmd_opt cmd_cert_cross_options[] = {
	CMD_ROW_STR("issuer-key", struct kr_issue_req, issuer_key),
	CMD_ROW_STR("cert", struct kr_issue_req, cross_cert_path),
	CMD_ROW_REFUSED("key"),
	CMD_ROW_REFUSED("subject"),
	CMD_ROW_REFUSED("csr"),
	CMD_ROW_REFUSED("pubkey"),
	CMD_ROW_REFUSED("subject-key"),
	CMD_ROW_REFUSED("san"),
	CMD_ROW_STR("save-request", struct kr_issue_req, save_request),
	CMD_ROW_STR("request", struct kr_issue_req, request),
	CMD_CERT_COMMON_OPTIONS
};

/*
 * --request FILE holds everything the certificate is made of.  Only
 * cross-sign may name its --cert again, which must then be the one the
 * request was prepared for.
 */
static int
cmd_cert_check_request(struct cmd_ctx *ctx, const struct kr_issue_req *req)
{
	if (req->save_request != NULL && !req->dry_run)
		return cmd_usage_error(ctx, "--save-request FILE goes with "
		    "--dry-run");
	if (req->request == NULL)
		return KR_OK;
	if (req->issuer_key != NULL || req->profile != NULL ||
	    req->subject != NULL || req->csr_path != NULL ||
	    req->pubkey_path != NULL || req->subject_key != NULL ||
	    req->nsan > 0 || req->days != 0 || req->rsa_pss ||
	    req->save_request != NULL)
		return cmd_usage_error(ctx, "--request FILE holds the %s, "
		    "serial and validity: give only --out, --der, "
		    "--accept-warnings, --dry-run%s and the quorum with it",
		    req->kind == KR_ISSUE_ROOT ? "key, profile, subject" :
		    "issuer key, profile, subject, key",
		    req->kind == KR_ISSUE_CROSS ? ", --cert" : "");
	return KR_OK;
}

static int
cmd_cert_check(struct cmd_ctx *ctx, struct kr_issue_req *req)
{
	int	ret;

	if ((ret = cmd_cert_check_request(ctx, req)) != KR_OK)
		return ret;
	if (req->request == NULL &&
	    (req->issuer_key == NULL || req->profile == NULL))
		return cmd_usage_error(ctx, "%s and --profile are required "
		    "(or --request FILE)", req->kind == KR_ISSUE_ROOT ?
		    "--key" : "--issuer-key");
	if (req->kind == KR_ISSUE_CROSS && req->request == NULL &&
	    req->cross_cert_path == NULL)
		return cmd_usage_error(ctx, "--cert FILE is required: the CA "
		    "certificate to cross-sign");
	if (!req->dry_run && req->out_path == NULL)
		return cmd_usage_error(ctx, "--out FILE is required (or "
		    "--dry-run)");
	req->shares = ctx->q.shares;
	req->nshares = ctx->q.n;
	req->actor = ctx->actor;
	return KR_OK;
}

static void
cmd_cert_lint(struct cmd_ctx *ctx, const struct kr_lint_report *rep)
{
	size_t	i;

	if (rep->count == 0) {
		cmd_printf(ctx, "lint: no findings\n");
		return;
	}
	cmd_printf(ctx, "lint: %zu error(s), %zu warning(s)\n", rep->errors,
	    rep->warnings);
	for (i = 0; i < rep->count; i++)
		cmd_printf(ctx, "  %-7s %-32s %s\n",
		    rep->f[i].level == KR_LINT_ERROR ? "error" : "warning",
		    rep->f[i].id, rep->f[i].msg);
}

static void
cmd_cert_result(struct cmd_ctx *ctx, const struct kr_issue_req *req,
    const struct kr_issue_result *res)
{
	const char	*cmd = req->kind == KR_ISSUE_ROOT ? "root" :
			    req->kind == KR_ISSUE_CROSS ? "cross-sign" : "issue";

	cmd_printf(ctx, "subject:     %s\nserial:      %s\nvalidity:    %s "
	    "to %s\nkey SHA-256: %s\nTBS SHA-256: %s\n", res->subject,
	    res->serial, res->not_before, res->not_after, res->spki_sha256,
	    res->tbs_sha256);
	cmd_cert_lint(ctx, &res->lint);
	if (req->dry_run && req->save_request != NULL && res->saved)
		cmd_printf(ctx, "Dry run: nothing was signed or recorded. The "
		    "prepared request is in %s: `keyrite cert %s --request "
		    "%s --out FILE --share FILE...` signs exactly this TBS, "
		    "serial and validity.\n", req->save_request, cmd,
		    req->save_request);
	else if (req->dry_run)
		cmd_printf(ctx, "Dry run: nothing was signed or recorded.\n");
	if (req->dry_run)
		return;
	if (!res->signed_ok)
		return;
	cmd_printf(ctx, "cert SHA-256: %s\nWritten to %s (audit entry "
	    "%lld).\n", res->cert_sha256, req->out_path,
	    (long long)res->audit_seq);
}

static int
cmd_cert_exec(struct cmd_ctx *ctx, enum kr_issue_kind kind,
    struct kr_issue_req *req)
{
	struct kr_issue_result	res;
	int			ret;

	req->kind = kind;
	if ((ret = cmd_cert_check(ctx, req)) != KR_OK)
		return ret;
	ret = kr_authority_issue(ctx->app, req, &ctx->src, &res, &ctx->err);
	cmd_quorum_table(ctx, res.quorum);
	if (res.serial[0] != '\0')
		cmd_cert_result(ctx, req, &res);
	cmd_note_kdf_profile(ctx);
	kr_issue_result_free(&res);
	return ret;
}

static int
cmd_cert_root_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return cmd_cert_exec(ctx, KR_ISSUE_ROOT, opts);
}

static int
cmd_cert_issue_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return cmd_cert_exec(ctx, KR_ISSUE_CERT, opts);
}

static int
cmd_cert_cross_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return cmd_cert_exec(ctx, KR_ISSUE_CROSS, opts);
}

#define CMD_CERT_COMMON_HELP \
	"  --profile NAME     policy/NAME.yaml in the state folder\n" \
	"  --days N           validity (default: the profile's)\n" \
	"  --out FILE         where the certificate is written (PEM; --der)\n" \
	"  --share FILE       a custodian's share of the signing key, once per\n" \
	"                     custodian present\n" \
	"  --passphrase-fd N  one passphrase line per --share, in order\n" \
	"  --dry-run          lint and show the TBS hash; sign nothing\n" \
	"  --yes              do not ask `Proceed? [y/N]` at a terminal\n" \
	"  --accept-warnings  sign despite lint warnings (shown first)\n" \
	"  --rsa-pss          RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys)\n"

#define CMD_CERT_REQUEST_HELP \
	"  --save-request FILE  with --dry-run: write the prepared request\n" \
	"                     (serial, validity, TBS and what they depend on)\n" \
	"  --request FILE     sign a prepared request exactly, refusing if\n" \
	"                     anything it depends on changed\n"

const struct cmd_entry cmd_cert_root_entry = {
	.name = "cert root",
	.usage = "--key NAME --profile root --subject DN [--days N] (--out FILE "
	    "| --dry-run [--save-request FILE]) --share FILE... "
	    "[--passphrase-fd N] [--yes] | --request FILE --out FILE "
	    "--share FILE... [--passphrase-fd N] [--yes]",
	.summary = "make a self-signed root certificate for a key of purpose ca",
	.help = "  --key NAME         the root key (purpose ca)\n"
	    "  --subject DN       e.g. \"CN=Example Root,O=Example,C=DE\"\n"
	    CMD_CERT_REQUEST_HELP
	    CMD_CERT_COMMON_HELP,
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM |
	    CMD_NOARGS,
	.opts = cmd_cert_root_options,
	.opts_size = sizeof(struct kr_issue_req),
	.exec = cmd_cert_root_exec,
};

const struct cmd_entry cmd_cert_issue_entry = {
	.name = "cert issue",
	.usage = "--issuer-key NAME (--csr FILE | --pubkey FILE | "
	    "--subject-key NAME) --profile PROFILE [--subject DN] [--san GN...] "
	    "[--days N] (--out FILE | --dry-run [--save-request FILE]) "
	    "--share FILE... [--passphrase-fd N] [--yes] | --request FILE "
	    "--out FILE --share FILE... [--passphrase-fd N] [--yes]",
	.summary = "issue an intermediate or leaf certificate under a CA key",
	.help = "  --issuer-key NAME  the signing CA key (purpose ca)\n"
	    "  --csr FILE         a PKCS#10 request, PEM or DER (signature checked)\n"
	    "  --pubkey FILE      a bare public key (PEM SubjectPublicKeyInfo)\n"
	    "  --subject-key NAME a key held by this appliance\n"
	    "  --subject DN       the subject (required unless the profile takes\n"
	    "                     it from the request)\n"
	    "  --san GN           dns:NAME, ip:ADDR, email:ADDR, uri:URI (leaves)\n"
	    CMD_CERT_REQUEST_HELP
	    CMD_CERT_COMMON_HELP,
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM |
	    CMD_NOARGS,
	.opts = cmd_cert_issue_options,
	.opts_size = sizeof(struct kr_issue_req),
	.exec = cmd_cert_issue_exec,
};

const struct cmd_entry cmd_cert_cross_sign_entry = {
	.name = "cert cross-sign",
	.usage = "--issuer-key NAME --cert FILE --profile PROFILE [--days N] "
	    "(--out FILE | --dry-run [--save-request FILE]) --share FILE... "
	    "[--passphrase-fd N] [--yes] | --request FILE [--cert FILE] "
	    "--out FILE --share FILE... [--passphrase-fd N] [--yes]",
	.summary = "issue a cross certificate for an existing CA's subject and key",
	.help = "  --issuer-key NAME  the signing CA key (purpose ca)\n"
	    "  --cert FILE        the CA certificate to cross-sign; the result\n"
	    "                     keeps its subject bytes, key and SKI (with\n"
	    "                     --request: must be the one it was prepared for)\n"
	    CMD_CERT_REQUEST_HELP
	    CMD_CERT_COMMON_HELP,
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS | CMD_QUORUM |
	    CMD_NOARGS,
	.opts = cmd_cert_cross_options,
	.opts_size = sizeof(struct kr_issue_req),
	.exec = cmd_cert_cross_exec,
};

struct cmd_cert_list {
	struct cmd_ctx	*ctx;
	bool		 json;
	size_t		 n;
};

static int
cmd_cert_list_json(struct cmd_cert_list *l, const struct kr_cert_rec *c,
    const struct kr_rev_status *rs)
{
	struct kr_json		 j;
	struct kr_err		 e;
	char			 issuer[KR_STORE_NAME_MAX + 1];

	kr_json_begin(&j);
	kr_json_str(&j, "serial", c->serial);
	/* The issuing key's name; a certificate imported under none: no member. */
	if (kr_store_key_name(kr_appliance_store(l->ctx->app),
	    c->issuer_key_id, issuer, sizeof(issuer), &e) == KR_OK)
		kr_json_str(&j, "issuer_key", issuer);
	kr_json_str(&j, "kind", c->kind);
	kr_json_str(&j, "profile", c->profile);
	kr_json_str(&j, "subject", c->subject);
	cmd_json_time(&j, "not_before", c->not_before);
	cmd_json_time(&j, "not_after", c->not_after);
	kr_json_str(&j, "spki_sha256", c->spki_sha256);
	kr_json_str(&j, "sha256", c->sha256);
	cmd_json_revocation(&j, rs);
	return cmd_json_list_item(l->ctx, &l->n, &j);
}

static int
cmd_cert_list_row(const struct kr_cert_rec *c, void *arg)
{
	struct cmd_cert_list	*l = arg;
	struct kr_rev_status	 rs;
	char			 until[KR_TIME_STR_BYTES], rev[96];
	int			 ret;

	if ((ret = kr_authority_cert_status(l->ctx->app, c, &rs,
	    &l->ctx->err)) != KR_OK)
		return ret;
	if (l->json)
		return cmd_cert_list_json(l, c, &rs);
	kr_rev_status_format(&rs, rev, sizeof(rev));
	kr_time_format(c->not_after, until);
	cmd_printf(l->ctx, "%-32s %-12s %-16s %s  %-44s %s\n", c->serial,
	    c->kind, c->profile, until, rev, c->subject);
	return 0;
}

static int
cmd_cert_list_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_json_opts		*o = opts;
	struct cmd_cert_list		 l = { ctx, o->json, 0 };
	int				 ret;

	if (o->json)
		cmd_json_list_begin(ctx, "keyrite-cert-list", "certificates");
	else
		cmd_printf(ctx, "%-32s %-12s %-16s %-20s  %-44s %s\n",
		    "SERIAL", "KIND", "PROFILE", "NOT AFTER", "REVOCATION",
		    "SUBJECT");
	ret = kr_store_cert_foreach(kr_appliance_store(ctx->app),
	    cmd_cert_list_row, &l, &ctx->err);
	if (o->json && ret == KR_OK)
		cmd_json_list_end(ctx, l.n);
	return ret;
}

const struct cmd_entry cmd_cert_list_entry = {
	.name = "cert list",
	.usage = "[--json]",
	.summary = "list the certificates this appliance has issued",
	.help = "  --json   one JSON document, a certificate an object "
	    "(docs/formats.md)\n",
	.flags = CMD_STATE | CMD_NOARGS,
	.opts = cmd_json_options,
	.opts_size = sizeof(struct cmd_json_opts),
	.exec = cmd_cert_list_exec,
};

struct cmd_show {
	struct cmd_ctx	*ctx;
	bool		 pem;
	size_t		 found;
	int		 status;
};

static void
cmd_cert_show_exts(struct cmd_ctx *ctx, const struct kr_cert_fields *f)
{
	char	buf[512];
	size_t	i;

	if (f->has_bc && f->bc_pathlen >= 0)
		cmd_printf(ctx, "basic constraints: %s%s, pathLen %d\n",
		    f->bc_critical ? "critical, " : "", f->bc_ca ? "CA" :
		    "not a CA", f->bc_pathlen);
	else if (f->has_bc)
		cmd_printf(ctx, "basic constraints: %s%s\n", f->bc_critical ?
		    "critical, " : "", f->bc_ca ? "CA" : "not a CA");
	if (f->has_ku) {
		kr_ku_format(f->ku, buf, sizeof(buf));
		cmd_printf(ctx, "key usage:   %s%s\n", buf,
		    f->ku_critical ? " (critical)" : "");
	}
	for (i = 0; i < f->eku_count; i++) {
		kr_oid_format(&f->eku[i], buf, sizeof(buf));
		cmd_printf(ctx, "ext. usage:  %s\n", buf);
	}
	for (i = 0; i < f->san_count; i++) {
		kr_gn_format(&f->san[i], buf, sizeof(buf));
		cmd_printf(ctx, "alt. name:   %s\n", buf);
	}
}

static int
cmd_cert_show_one(const struct kr_cert_rec *c, void *arg)
{
	struct cmd_show		*sh = arg;
	struct cmd_ctx		*ctx = sh->ctx;
	struct kr_cert		*cert = NULL;
	struct kr_rev_status	 rs;
	char			 a[KR_TIME_STR_BYTES], b[KR_TIME_STR_BYTES];
	char			 issuer[512], rev[96], *pem;

	sh->found++;
	if ((sh->status = kr_authority_cert_status(ctx->app, c, &rs,
	    &ctx->err)) != KR_OK)
		return sh->status;
	kr_rev_status_format(&rs, rev, sizeof(rev));
	kr_time_format(c->not_before, a);
	kr_time_format(c->not_after, b);
	kr_dn_format(c->issuer_der, c->issuer_der_len, issuer, sizeof(issuer));
	cmd_printf(ctx, "serial:      %s\nkind:        %s (profile %s)\n"
	    "subject:     %s\nissuer:      %s\nvalidity:    %s to %s\n"
	    "key SHA-256: %s\ncert SHA-256: %s\nrevocation:  %s%s%s%s\n",
	    c->serial, c->kind, c->profile, c->subject, issuer, a, b,
	    c->spki_sha256, c->sha256, rev, rs.state != KR_REV_NONE ?
	    " (recorded by '" : "", rs.state != KR_REV_NONE ? rs.issuer : "",
	    rs.state != KR_REV_NONE ? "')" : "");
	if (kr_cert_parse("recorded certificate", c->der, c->der_len, &cert,
	    &ctx->err) == KR_OK) {
		cmd_cert_show_exts(ctx, &cert->f);
		kr_cert_free(&cert);
	}
	if (sh->pem && (pem = kr_pem_encode("CERTIFICATE", c->der,
	    c->der_len)) != NULL) {
		cmd_print_text(ctx, pem);
		free(pem);
	}
	return 0;
}

struct cmd_cert_show_opts {
	bool		 pem;
	const char	*out;
	bool		 der;
};

static const struct cmd_opt cmd_cert_show_options[] = {
	CMD_ROW_FLAG("pem", struct cmd_cert_show_opts, pem),
	CMD_ROW_STR("out", struct cmd_cert_show_opts, out),
	CMD_ROW_FLAG("der", struct cmd_cert_show_opts, der),
	CMD_ROW_END
};

static int
cmd_cert_show_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_cert_show_opts	*o = opts;
	struct cmd_show			 sh = { ctx, o->pem, 0, KR_OK };
	char				 serial[64];
	size_t				 i;
	int				 ret;

	if (argc != 1 || strlen(argv[0]) >= sizeof(serial))
		return cmd_usage_error(ctx, "name one serial number (hex)");
	if (o->der && o->out == NULL)
		return cmd_usage_error(ctx, "--der goes with --out FILE");
	for (i = 0; argv[0][i] != '\0'; i++)
		serial[i] = (char)(argv[0][i] >= 'A' && argv[0][i] <= 'F' ?
		    argv[0][i] + 32 : argv[0][i]);
	serial[i] = '\0';
	if ((ret = kr_store_cert_by_serial(kr_appliance_store(ctx->app),
	    serial, cmd_cert_show_one, &sh, &ctx->err)) != KR_OK)
		return sh.status != KR_OK ? sh.status : ret;
	if (sh.found == 0)
		return kr_err_set(&ctx->err, KR_ENOENT, "no certificate with "
		    "serial %s was issued here: `keyrite cert list` shows them",
		    serial);
	if (o->out == NULL)
		return KR_OK;
	if ((ret = kr_authority_cert_release(ctx->app, serial, o->out, o->der,
	    &ctx->err)) == KR_OK)
		cmd_printf(ctx, "Wrote certificate %s (%s, its SHA-256 checked "
		    "against the record) to %s.\n", serial, o->der ? "DER" :
		    "PEM", o->out);
	return ret;
}

const struct cmd_entry cmd_cert_show_entry = {
	.name = "cert show",
	.usage = "SERIAL [--pem] [--out FILE [--der]]",
	.summary = "show an issued certificate (print it, or write it again)",
	.help = "  --pem        also print the certificate as PEM\n"
	    "  --out FILE   write the recorded certificate (PEM) to FILE, its\n"
	    "               SHA-256 checked against the record and FILE\n"
	    "               checked as every output is (not in the state\n"
	    "               folder, an existing writable folder with room)\n"
	    "  --der        with --out: write DER instead of PEM\n",
	.flags = CMD_STATE,
	.opts = cmd_cert_show_options,
	.opts_size = sizeof(struct cmd_cert_show_opts),
	.exec = cmd_cert_show_exec,
};
