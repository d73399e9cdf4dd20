/*
 * keyrite cert root | issue | cross-sign | list | show
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cmd_cert_args {
	struct kr_issue_req	 req;
	struct cmd_quorum	 q;
};

enum {
	OPT_KEY = 256, OPT_ISSUER_KEY, OPT_PROFILE, OPT_SUBJECT, OPT_DAYS,
	OPT_OUT, OPT_CSR, OPT_PUBKEY, OPT_SUBJECT_KEY, OPT_SAN, OPT_CERT,
	OPT_SHARE, OPT_PASSFD, OPT_DRY_RUN, OPT_ACCEPT, OPT_PSS, OPT_DER,
};

static const struct option cmd_cert_opts[] = {
	{ "key", required_argument, NULL, OPT_KEY },
	{ "issuer-key", required_argument, NULL, OPT_ISSUER_KEY },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "subject", required_argument, NULL, OPT_SUBJECT },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "csr", required_argument, NULL, OPT_CSR },
	{ "pubkey", required_argument, NULL, OPT_PUBKEY },
	{ "subject-key", required_argument, NULL, OPT_SUBJECT_KEY },
	{ "san", required_argument, NULL, OPT_SAN },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "share", required_argument, NULL, OPT_SHARE },
	{ "passphrase-fd", required_argument, NULL, OPT_PASSFD },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "accept-warnings", no_argument, NULL, OPT_ACCEPT },
	{ "rsa-pss", no_argument, NULL, OPT_PSS },
	{ "der", no_argument, NULL, OPT_DER },
	{ NULL, 0, NULL, 0 }
};

/* Which options each command takes (the rest are refused by name). */
static bool
cmd_cert_opt_allowed(enum kr_issue_kind kind, int c)
{
	switch (c) {
	case OPT_KEY:
		return kind == KR_ISSUE_ROOT;
	case OPT_ISSUER_KEY:
		return kind != KR_ISSUE_ROOT;
	case OPT_SUBJECT:
		return kind != KR_ISSUE_CROSS;
	case OPT_CSR:
	case OPT_PUBKEY:
	case OPT_SUBJECT_KEY:
	case OPT_SAN:
		return kind == KR_ISSUE_CERT;
	case OPT_CERT:
		return kind == KR_ISSUE_CROSS;
	default:
		return true;
	}
}

static int
cmd_cert_opt(struct cmd_ctx *ctx, struct cmd_cert_args *a, int c,
    char **argv)
{
	struct kr_issue_req	*r = &a->req;

	if (c < 256 || !cmd_cert_opt_allowed(r->kind, c))
		return cmd_bad_option(ctx, c < 256 ? c : '?', argv);
	switch (c) {
	case OPT_KEY:
	case OPT_ISSUER_KEY:
		r->issuer_key = optarg;
		return KR_OK;
	case OPT_PROFILE:
		r->profile = optarg;
		return KR_OK;
	case OPT_SUBJECT:
		r->subject = optarg;
		return KR_OK;
	case OPT_DAYS:
		return cmd_parse_uint(ctx, "--days", optarg, 1, 36525, &r->days);
	case OPT_OUT:
		r->out_path = optarg;
		return KR_OK;
	case OPT_CSR:
		r->csr_path = optarg;
		return KR_OK;
	case OPT_PUBKEY:
		r->pubkey_path = optarg;
		return KR_OK;
	case OPT_SUBJECT_KEY:
		r->subject_key = optarg;
		return KR_OK;
	case OPT_SAN:
		if (r->nsan == KR_SAN_MAX)
			return cmd_usage_error(ctx, "at most %d --san",
			    KR_SAN_MAX);
		r->san[r->nsan++] = optarg;
		return KR_OK;
	case OPT_CERT:
		r->cross_cert_path = optarg;
		return KR_OK;
	case OPT_SHARE:
		return cmd_quorum_share(ctx, &a->q, optarg);
	case OPT_PASSFD:
		return cmd_pass_set_fd(ctx, &a->q.pass, optarg);
	case OPT_DRY_RUN:
		r->dry_run = true;
		return KR_OK;
	case OPT_ACCEPT:
		r->accept_warnings = true;
		return KR_OK;
	case OPT_PSS:
		r->rsa_pss = true;
		return KR_OK;
	case OPT_DER:
		r->der = true;
		return KR_OK;
	}
	return cmd_bad_option(ctx, '?', argv);
}

static int
cmd_cert_parse(struct cmd_ctx *ctx, struct cmd_cert_args *a, int argc,
    char **argv)
{
	int	c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, cmd_cert_opts,
	    NULL)) != -1)
		if ((ret = cmd_cert_opt(ctx, a, c, argv)) != KR_OK)
			return ret;
	if (optind != argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'",
		    argv[optind]);
	if (a->req.issuer_key == NULL || a->req.profile == NULL)
		return cmd_usage_error(ctx, "%s and --profile are required",
		    a->req.kind == KR_ISSUE_ROOT ? "--key" : "--issuer-key");
	if (!a->req.dry_run && a->req.out_path == NULL)
		return cmd_usage_error(ctx, "--out FILE is required (or "
		    "--dry-run)");
	a->req.shares = a->q.shares;
	a->req.nshares = a->q.n;
	a->req.actor = ctx->actor;
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
	cmd_printf(ctx, "subject:     %s\nserial:      %s\nvalidity:    %s "
	    "to %s\nkey SHA-256: %s\nTBS SHA-256: %s\n", res->subject,
	    res->serial, res->not_before, res->not_after, res->spki_sha256,
	    res->tbs_sha256);
	cmd_cert_lint(ctx, &res->lint);
	if (req->dry_run) {
		cmd_printf(ctx, "Dry run: nothing was signed or recorded.\n");
		return;
	}
	if (!res->signed_ok)
		return;
	cmd_printf(ctx, "cert SHA-256: %s\nWritten to %s (audit entry "
	    "%lld).\n", res->cert_sha256, req->out_path,
	    (long long)res->audit_seq);
}

static int
cmd_cert_exec(struct cmd_ctx *ctx, enum kr_issue_kind kind, int argc,
    char **argv)
{
	struct kr_passphrase_source	 src;
	struct kr_issue_result		*res;
	struct cmd_cert_args		*a;
	int				 ret;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (res = calloc(1, sizeof(*res))) == NULL) {
		free(a);
		return kr_err_set(&ctx->err, KR_ENOMEM, "out of memory");
	}
	a->req.kind = kind;
	cmd_quorum_init(&a->q, &src);
	if ((ret = cmd_cert_parse(ctx, a, argc, argv)) == KR_OK) {
		ret = kr_authority_issue(ctx->app, &a->req, &src, res,
		    &ctx->err);
		if (res->serial[0] != '\0')
			cmd_cert_result(ctx, &a->req, res);
		cmd_note_kdf_profile(ctx);
	}
	free(res);
	free(a);
	return ret;
}

static int
cmd_cert_root_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_cert_exec(ctx, KR_ISSUE_ROOT, argc, argv);
}

static int
cmd_cert_issue_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_cert_exec(ctx, KR_ISSUE_CERT, argc, argv);
}

static int
cmd_cert_cross_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_cert_exec(ctx, KR_ISSUE_CROSS, argc, argv);
}

#define CMD_CERT_COMMON_HELP \
	"  --profile NAME     policy/NAME.yaml in the state folder\n" \
	"  --days N           validity (default: the profile's)\n" \
	"  --out FILE         where the certificate is written (PEM; --der)\n" \
	"  --share FILE       a custodian's share of the signing key, once per\n" \
	"                     custodian present\n" \
	"  --passphrase-fd N  one passphrase line per --share, in order\n" \
	"  --dry-run          lint and show the TBS hash; sign nothing\n" \
	"  --accept-warnings  sign despite lint warnings (shown first)\n" \
	"  --rsa-pss          RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys)\n"

const struct cmd_entry cmd_cert_root_entry = {
	.name = "cert root",
	.usage = "--key NAME --profile root --subject DN [--days N] --out FILE "
	    "--share FILE... [--passphrase-fd N] [--dry-run]",
	.summary = "make a self-signed root certificate for a key of purpose ca",
	.help = "  --key NAME         the root key (purpose ca)\n"
	    "  --subject DN       e.g. \"CN=Example Root,O=Example,C=DE\"\n"
	    CMD_CERT_COMMON_HELP,
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS,
	.exec = cmd_cert_root_exec,
};

const struct cmd_entry cmd_cert_issue_entry = {
	.name = "cert issue",
	.usage = "--issuer-key NAME (--csr FILE | --pubkey FILE | "
	    "--subject-key NAME) --profile PROFILE [--subject DN] [--san GN...] "
	    "[--days N] --out FILE --share FILE... [--passphrase-fd N]",
	.summary = "issue an intermediate or leaf certificate under a CA key",
	.help = "  --issuer-key NAME  the signing CA key (purpose ca)\n"
	    "  --csr FILE         a PKCS#10 request, PEM or DER (signature checked)\n"
	    "  --pubkey FILE      a bare public key (PEM SubjectPublicKeyInfo)\n"
	    "  --subject-key NAME a key held by this appliance\n"
	    "  --subject DN       the subject (required unless the profile takes\n"
	    "                     it from the request)\n"
	    "  --san GN           dns:NAME, ip:ADDR, email:ADDR, uri:URI (leaves)\n"
	    CMD_CERT_COMMON_HELP,
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS,
	.exec = cmd_cert_issue_exec,
};

const struct cmd_entry cmd_cert_cross_sign_entry = {
	.name = "cert cross-sign",
	.usage = "--issuer-key NAME --cert FILE --profile PROFILE [--days N] "
	    "--out FILE --share FILE... [--passphrase-fd N]",
	.summary = "issue a cross certificate for an existing CA's subject and key",
	.help = "  --issuer-key NAME  the signing CA key (purpose ca)\n"
	    "  --cert FILE        the CA certificate to cross-sign; the result\n"
	    "                     keeps its subject bytes, key and SKI\n"
	    CMD_CERT_COMMON_HELP,
	.flags = CMD_STATE | CMD_WRITES | CMD_SECRETS,
	.exec = cmd_cert_cross_exec,
};

static int
cmd_cert_list_row(const struct kr_cert_rec *c, void *vctx)
{
	struct cmd_ctx		*ctx = vctx;
	struct kr_rev_status	 rs;
	char			 until[KR_TIME_STR_BYTES], rev[96];
	int			 ret;

	if ((ret = kr_authority_cert_status(ctx->app, c, &rs, &ctx->err)) !=
	    KR_OK)
		return ret;
	kr_rev_status_format(&rs, rev, sizeof(rev));
	kr_time_format(c->not_after, until);
	cmd_printf(ctx, "%-32s %-12s %-16s %s  %-44s %s\n", c->serial, c->kind,
	    c->profile, until, rev, c->subject);
	return 0;
}

static int
cmd_cert_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	if (argc > 1)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[1]);
	cmd_printf(ctx, "%-32s %-12s %-16s %-20s  %-44s %s\n", "SERIAL", "KIND",
	    "PROFILE", "NOT AFTER", "REVOCATION", "SUBJECT");
	return kr_store_cert_foreach(kr_appliance_store(ctx->app),
	    cmd_cert_list_row, ctx, &ctx->err);
}

const struct cmd_entry cmd_cert_list_entry = {
	.name = "cert list",
	.usage = "",
	.summary = "list the certificates this appliance has issued",
	.help = "",
	.flags = CMD_STATE,
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

	if (f->has_bc)
		cmd_printf(ctx, "basic constraints: %s%s, pathLen %d\n",
		    f->bc_critical ? "critical, " : "", f->bc_ca ? "CA" :
		    "not a CA", f->bc_pathlen);
	if (f->has_ku)
		cmd_printf(ctx, "key usage:   0x%04x%s\n", f->ku,
		    f->ku_critical ? " (critical)" : "");
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

static int
cmd_cert_show_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pem", no_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "der", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_show	 sh = { ctx, false, 0, KR_OK };
	const char	*out = NULL;
	bool		 der = false;
	char		 serial[64];
	size_t		 i;
	int		 c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, opts,
	    NULL)) != -1) {
		if (c == 'p')
			sh.pem = true;
		else if (c == 'o')
			out = optarg;
		else if (c == 'd')
			der = true;
		else
			return cmd_bad_option(ctx, c, argv);
	}
	if (optind + 1 != argc || strlen(argv[optind]) >= sizeof(serial))
		return cmd_usage_error(ctx, "name one serial number (hex)");
	if (der && out == NULL)
		return cmd_usage_error(ctx, "--der goes with --out FILE");
	for (i = 0; argv[optind][i] != '\0'; i++)
		serial[i] = (char)(argv[optind][i] >= 'A' && argv[optind][i] <=
		    'F' ? argv[optind][i] + 32 : argv[optind][i]);
	serial[i] = '\0';
	if ((ret = kr_store_cert_by_serial(kr_appliance_store(ctx->app),
	    serial, cmd_cert_show_one, &sh, &ctx->err)) != KR_OK)
		return sh.status != KR_OK ? sh.status : ret;
	if (sh.found == 0)
		return kr_err_set(&ctx->err, KR_ENOENT, "no certificate with "
		    "serial %s was issued here: `keyrite cert list` shows them",
		    serial);
	if (out == NULL)
		return KR_OK;
	if ((ret = kr_authority_cert_release(ctx->app, serial, out, der,
	    &ctx->err)) == KR_OK)
		cmd_printf(ctx, "Wrote certificate %s (%s, its SHA-256 checked "
		    "against the record) to %s.\n", serial, der ? "DER" : "PEM",
		    out);
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
	.exec = cmd_cert_show_exec,
};
