/*
 * keyrite ceremony check | run | abort | list | show (docs/ceremonies.md)
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <keyrite/ceremony.h>

#include "cli.h"

#define CMD_SETS_MAX	KR_CER_PARAMS_MAX

struct cmd_cer_opts {
	const char	*sets[CMD_SETS_MAX];
	size_t		 nsets;
	const char	*requests;
	const char	*resume;
	const char	*reason;
	int		 witness_fd;
	bool		 witness_set;
};

static int
cmd_cer_opt_set(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	struct cmd_cer_opts	*o = opts;

	if (o->nsets == CMD_SETS_MAX)
		return cmd_usage_error(ctx, "at most %d --set", CMD_SETS_MAX);
	o->sets[o->nsets++] = arg;
	return KR_OK;
}

static int
cmd_cer_opt_witness(struct cmd_ctx *ctx, void *opts, const char *arg)
{
	struct cmd_cer_opts	*o = opts;
	unsigned		 fd;
	int			 ret;

	if ((ret = cmd_parse_uint(ctx, "--witness-fd", arg, 0, 1023, &fd)) !=
	    KR_OK)
		return ret;
	o->witness_fd = (int)fd;
	o->witness_set = true;
	return KR_OK;
}

static const struct cmd_opt cmd_cer_check_options[] = {
	CMD_ROW_CALL_MANY("set", cmd_cer_opt_set),
	CMD_ROW_STR("requests", struct cmd_cer_opts, requests),
	CMD_ROW_END
};

static const struct cmd_opt cmd_cer_run_options[] = {
	CMD_ROW_CALL_MANY("set", cmd_cer_opt_set),
	CMD_ROW_STR("requests", struct cmd_cer_opts, requests),
	CMD_ROW_STR("resume", struct cmd_cer_opts, resume),
	CMD_ROW_CALL("witness-fd", cmd_cer_opt_witness),
	CMD_ROW_END
};

static const struct cmd_opt cmd_cer_abort_options[] = {
	CMD_ROW_STR("reason", struct cmd_cer_opts, reason),
	CMD_ROW_END
};

/* The front end's part of a ceremony: the room reads this. */
struct cmd_cer_io {
	struct cmd_ctx		*ctx;
	struct cmd_cer_opts	*o;
	struct kr_notice_sink	 ns;
	struct cmd_progress	 prog;
};

static void
cmd_cer_notice(void *arg, const char *msg)
{
	struct cmd_cer_io	*io = arg;

	cmd_printf(io->ctx, "  ... %s\n", msg);
}

static void
cmd_cer_say(void *arg, const struct kr_cer_step *st, size_t i, size_t n,
    const char *present)
{
	struct cmd_cer_io	*io = arg;

	cmd_printf(io->ctx, "\n== Step %zu of %zu: %s  [%s, %s]\n", i + 1, n,
	    st->title, st->id, kr_cer_action_name(st));
	cmd_printf(io->ctx, "   present: %s\n", present);
	if (st->say != NULL)
		cmd_printf(io->ctx, "   Read aloud: %s\n", st->say);
	(void)fflush(io->ctx->out);
}

/* A long step (a large image to sign): bytes and rate, as sign batch. */
static void
cmd_cer_progress(void *arg, uint64_t done, uint64_t total)
{
	struct cmd_cer_io	*io = arg;

	cmd_sign_progress(&io->prog, done, total);
	if (done == total)
		io->prog.shown = false;		/* the next image starts */
}

static void
cmd_cer_print(void *arg, const char *line)
{
	struct cmd_cer_io	*io = arg;

	cmd_printf(io->ctx, "%s\n", line);
}

/* One line from the witness: "yes" confirms, anything else does not. */
static int
cmd_cer_witness_line(int fd, char *line, size_t cap)
{
	size_t	n = 0;
	ssize_t	r;
	char	ch;

	while (n + 1 < cap) {
		if ((r = read(fd, &ch, 1)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return n > 0 ? 0 : -1;
		if (ch == '\n')
			break;
		line[n++] = ch;
	}
	line[n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[n - 1] = '\0';
	return 0;
}

static int
cmd_cer_witness(void *arg, const char *witness, const char *obs,
    struct kr_err *err)
{
	struct cmd_cer_io	*io = arg;
	char			 line[64];
	int			 fd = io->o->witness_set ? io->o->witness_fd :
				     STDIN_FILENO;

	cmd_printf(io->ctx, "   Checkpoint for the witness, %s: %s\n", witness,
	    obs);
	if (!io->o->witness_set && !isatty(STDIN_FILENO))
		return kr_err_set(err, KR_EUSAGE, "the checkpoint needs the "
		    "witness: run at a terminal, or give --witness-fd N");
	cmd_printf(io->ctx, "   %s, type yes if you saw this, or no: ",
	    witness);
	(void)fflush(io->ctx->out);
	if (!io->o->witness_set)
		(void)tcflush(STDIN_FILENO, TCIFLUSH);
	if (cmd_cer_witness_line(fd, line, sizeof(line)) != 0)
		return kr_err_set(err, KR_EREFUSED, "the witness gave no "
		    "answer: the ceremony stopped before the checkpoint");
	if (!io->o->witness_set)
		cmd_printf(io->ctx, "\n");
	if (strcmp(line, "yes") != 0)
		return kr_err_set(err, KR_EREFUSED, "the witness did not "
		    "confirm \"%s\": the ceremony stopped here. Put it right "
		    "and resume, or abort the ceremony", obs);
	return KR_OK;
}

static void
cmd_cer_io_init(struct cmd_ctx *ctx, struct cmd_cer_opts *o,
    struct cmd_cer_io *cio, struct kr_cer_io *io)
{
	memset(cio, 0, sizeof(*cio));
	memset(io, 0, sizeof(*io));
	cio->ctx = ctx;
	cio->o = o;
	cio->ns.notice = cmd_cer_notice;
	cio->ns.ctx = cio;
	io->src = &ctx->src;
	io->notice = &cio->ns;
	io->say = cmd_cer_say;
	io->print = cmd_cer_print;
	io->witness = cmd_cer_witness;
	io->progress = cmd_cer_progress;
	io->ctx = cio;
	io->actor = ctx->actor;
}

static int
cmd_cer_script(struct cmd_ctx *ctx, struct cmd_cer_opts *o, const char *path,
    struct kr_cer_script **s)
{
	size_t	i;
	int	ret;

	if ((ret = kr_cer_load(path, s, &ctx->err)) != KR_OK)
		return ret;
	for (i = 0; i < o->nsets; i++)
		if ((ret = kr_cer_set(*s, o->sets[i], &ctx->err)) != KR_OK)
			return ret;
	if ((ret = kr_cer_bind(*s, &ctx->err)) != KR_OK)
		return ret;
	cmd_printf(ctx, "Ceremony:  %s\nPurpose:   %s\nScript:    %s\n"
	    "SHA-256:   ", (*s)->name, (*s)->purpose, (*s)->label);
	for (i = 0; i < sizeof((*s)->sha256); i++)
		cmd_printf(ctx, i + 1 < sizeof((*s)->sha256) ? "%02X:" :
		    "%02X\n", (*s)->sha256[i]);
	cmd_printf(ctx, "Roles:     administrator %s, witness %s\n",
	    (*s)->administrator, (*s)->witness);
	for (i = 0; i < (*s)->nparams; i++)
		cmd_printf(ctx, "Parameter: %s = %s\n", (*s)->params[i].name,
		    (*s)->params[i].value);
	return KR_OK;
}

static int
cmd_cer_check_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_cer_opts	*o = opts;
	struct kr_cer_script	*s = NULL;
	struct cmd_cer_io	 cio;
	struct kr_cer_io	 io;
	int			 ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "name one ceremony script");
	cmd_cer_io_init(ctx, o, &cio, &io);
	if ((ret = cmd_cer_script(ctx, o, argv[0], &s)) == KR_OK)
		ret = kr_cer_check(ctx->app, s, o->requests, &io, &ctx->err);
	if (ret == KR_OK)
		cmd_printf(ctx, "\nRehearsal passed: %zu steps checked; nothing "
		    "was signed or recorded.\n", s->nsteps);
	kr_cer_free(&s);
	return ret;
}

static int
cmd_cer_run_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_cer_opts	*o = opts;
	struct kr_cer_run_req	 req;
	struct kr_cer_script	*s = NULL;
	struct cmd_cer_io	 cio;
	struct kr_cer_io	 io;
	char			 id[KR_CEREMONY_ID_BYTES];
	char			 requests[PATH_MAX];
	int			 ret;

	if ((o->resume == NULL) != (argc == 1) || argc > 1)
		return cmd_usage_error(ctx, "name one ceremony script, or give "
		    "--resume ID");
	if (o->resume != NULL && o->nsets > 0)
		return cmd_usage_error(ctx, "a resumed ceremony keeps the "
		    "parameters it started with: no --set");
	cmd_cer_io_init(ctx, o, &cio, &io);
	/* Custodians choose passphrases at key generation and reshare. */
	ctx->q.pass.min_len =
	    kr_appliance_policy(ctx->app)->min_passphrase_length;
	memset(&req, 0, sizeof(req));
	req.resume_id = o->resume;
	/* Recorded with the start, for a resume from another folder. */
	if (o->requests != NULL && realpath(o->requests, requests) == NULL)
		return kr_err_set(&ctx->err, KR_EINPUT, "--requests %s: %s",
		    o->requests, strerror(errno));
	req.requests_dir = o->requests != NULL ? requests : NULL;
	if (o->resume == NULL &&
	    (ret = cmd_cer_script(ctx, o, argv[0], &s)) != KR_OK)
		goto out;
	req.script = s;
	ret = kr_cer_run(ctx->app, &req, &io, id, &ctx->err);
	if (ret == KR_OK)
		cmd_printf(ctx, "\nCeremony %s is complete. Its transcript: "
		    "`keyrite ceremony show %s`.\n", id, id);
	else if (id[0] != '\0')
		cmd_printf(ctx, "\nCeremony %s stopped. Go on from the first "
		    "step not done with `keyrite ceremony run --resume %s`, "
		    "or end it with `keyrite ceremony abort %s`.\n", id, id,
		    id);
	cmd_note_kdf_profile(ctx);
out:
	kr_cer_free(&s);
	return ret;
}

static int
cmd_cer_abort_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_cer_opts	*o = opts;
	int			 ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "name the ceremony to abort");
	if ((ret = kr_cer_abort(ctx->app, argv[0], o->reason, ctx->actor,
	    &ctx->err)) == KR_OK)
		cmd_printf(ctx, "Ceremony %s aborted; the abort is recorded.\n",
		    argv[0]);
	return ret;
}

static int
cmd_cer_list_row(const struct kr_cer_info *ci, void *arg)
{
	struct cmd_ctx	*ctx = arg;
	char		 when[KR_TIME_STR_BYTES];
	size_t		 i, done = 0;

	for (i = 0; i < ci->nsteps; i++)
		done += ci->steps[i].done;
	kr_time_format(ci->begin_time, when);
	cmd_printf(ctx, "%-18s %-8s %-20s %5zu  %s\n", ci->id,
	    kr_cer_state_name(ci->state), when, done, ci->name);
	return 0;
}

static int
cmd_cer_list_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	cmd_printf(ctx, "%-18s %-8s %-20s %5s  %s\n", "ID", "STATE", "STARTED",
	    "STEPS", "NAME");
	return kr_cer_foreach(ctx->app, cmd_cer_list_row, ctx, &ctx->err);
}

static int
cmd_cer_show_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct kr_cer_info	ci;
	char			when[KR_TIME_STR_BYTES];
	size_t			i;
	int			ret;

	if (argc != 1)
		return cmd_usage_error(ctx, "name one ceremony");
	if ((ret = kr_cer_get(ctx->app, argv[0], &ci, &ctx->err)) != KR_OK)
		return ret;
	kr_time_format(ci.begin_time, when);
	cmd_printf(ctx, "ceremony:       %s\nname:           %s\nstate:          "
	    "%s\nstarted:        %s by %s (audit entry %lld)\nscript SHA-256: "
	    "%s\nparameters:     %s\n", ci.id, ci.name,
	    kr_cer_state_name(ci.state), when, ci.actor,
	    (long long)ci.begin_seq, ci.script_sha256, ci.params);
	if (ci.requests[0] != '\0')
		cmd_printf(ctx, "requests:       %s\n", ci.requests);
	if (ci.end_seq != 0) {
		kr_time_format(ci.end_time, when);
		cmd_printf(ctx, "%-15s %s (audit entry %lld)\n",
		    ci.state == KR_CER_DONE ? "ended:" : "aborted:", when,
		    (long long)ci.end_seq);
	}
	cmd_printf(ctx, "\n%-32s %-6s %5s  %s\n", "STEP", "DONE", "ROWS",
	    "DONE AT");
	for (i = 0; i < ci.nsteps; i++) {
		when[0] = '\0';
		if (ci.steps[i].done)
			kr_time_format(ci.steps[i].time, when);
		cmd_printf(ctx, "%-32s %-6s %5zu  %s\n", ci.steps[i].id,
		    ci.steps[i].done ? "yes" : "no", ci.steps[i].rows, when);
	}
	kr_cer_info_free(&ci);
	return KR_OK;
}

const struct cmd_entry cmd_ceremony_check_entry = {
	.name = "ceremony check",
	.usage = "SCRIPT [--set NAME=VALUE]... [--requests DIR]",
	.summary = "rehearse a ceremony script against the state: every step "
	    "checked, every certificate prepared, nothing recorded",
	.help = "  --set NAME=VALUE  a parameter of the script (repeatable)\n"
	    "  --requests DIR    save each prepared certificate request as "
	    "DIR/STEP.request\n",
	.flags = CMD_STATE | CMD_WRITES,
	.opts = cmd_cer_check_options,
	.opts_size = sizeof(struct cmd_cer_opts),
	.exec = cmd_cer_check_exec,
};

const struct cmd_entry cmd_ceremony_run_entry = {
	.name = "ceremony run",
	.usage = "SCRIPT [--set NAME=VALUE]... | --resume ID",
	.summary = "run a ceremony script step by step, recorded under its "
	    "ceremony id; --resume goes on after an interruption",
	.help = "  --set NAME=VALUE   a parameter of the script (repeatable)\n"
	    "  --resume ID        go on from the first step not done\n"
	    "  --requests DIR     sign the requests `ceremony check` "
	    "prepared\n"
	    "  --passphrase-fd N  passphrases, one line each, in the order "
	    "asked\n"
	    "  --witness-fd N     the witness's answers (yes/no), one line "
	    "per checkpoint\n"
	    "  --yes              approve what is shown without asking\n",
	.flags = CMD_STATE | CMD_SECRETS | CMD_WRITES | CMD_QUORUM,
	.opts = cmd_cer_run_options,
	.opts_size = sizeof(struct cmd_cer_opts),
	.exec = cmd_cer_run_exec,
};

const struct cmd_entry cmd_ceremony_abort_entry = {
	.name = "ceremony abort",
	.usage = "ID [--reason TEXT]",
	.summary = "record that a stopped ceremony will not go on",
	.help = "  --reason TEXT  why, for the record\n",
	.flags = CMD_STATE | CMD_WRITES,
	.opts = cmd_cer_abort_options,
	.opts_size = sizeof(struct cmd_cer_opts),
	.exec = cmd_cer_abort_exec,
};

const struct cmd_entry cmd_ceremony_list_entry = {
	.name = "ceremony list",
	.usage = "",
	.summary = "list the ceremonies in the audit log",
	.help = "",
	.flags = CMD_STATE | CMD_NOARGS,
	.exec = cmd_cer_list_exec,
};

const struct cmd_entry cmd_ceremony_show_entry = {
	.name = "ceremony show",
	.usage = "ID",
	.summary = "show one ceremony: its script, parameters and steps",
	.help = "",
	.flags = CMD_STATE,
	.exec = cmd_cer_show_exec,
};
