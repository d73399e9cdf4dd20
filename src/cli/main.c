/*
 * keyrite: offline root and intermediate certificate authority.
 *
 * main() hardens the process, runs the power-on self-tests, reads the
 * global options and dispatches to the command table.  Nothing else.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyrite-config.h"
#include "cli.h"

static void
usage(FILE *f)
{
	(void)fprintf(f,
	    "usage: keyrite [-C STATEDIR] COMMAND [ARGS...]\n"
	    "       keyrite --version | --help\n\n"
	    "keyrite runs an offline root and intermediate certificate "
	    "authority\nunder an m-of-n custodian quorum.\n\n"
	    "Commands:\n");
	cmd_list(f);
	(void)fprintf(f, "\n  -C STATEDIR   the appliance state folder "
	    "(default: $KEYRITE_HOME)\n"
	    "  --confirm-date YYYY-MM-DD\n"
	    "                today's date as the clock shows it, when a "
	    "command that\n                changes state finds the clock far "
	    "ahead of the newest\n                audit entry and asks for it "
	    "(anywhere on the line)\n\n"
	    "`keyrite COMMAND --help` describes a command; keyrite(1) "
	    "describes them all.\n");
}

static const char *
actor_name(void)
{
	struct passwd	*pw = getpwuid(geteuid());

	return pw != NULL ? pw->pw_name : "unknown";
}

static bool
wants_help(int argc, char **argv)
{
	int	i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

/*
 * --confirm-date YYYY-MM-DD may stand anywhere on the line (it confirms
 * the clock for whichever command runs): taken out before dispatch.
 */
static int
confirm_date_option(int *argc, char **argv, const char **date)
{
	int	i, j, take;

	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--confirm-date") == 0) {
			if (i + 1 >= *argc) {
				(void)fprintf(stderr, "keyrite: --confirm-date "
				    "needs today's date, as YYYY-MM-DD\n");
				return -1;
			}
			*date = argv[i + 1];
			take = 2;
		} else if (strncmp(argv[i], "--confirm-date=", 15) == 0) {
			*date = argv[i] + 15;
			take = 1;
		} else
			continue;
		for (j = i; j + take <= *argc; j++)
			argv[j] = argv[j + take];
		*argc -= take;
		i--;
	}
	return 0;
}

/* Global options before the command; returns the index of the command. */
static int
global_options(int argc, char **argv, const char **statedir, int *exit_now)
{
	char	bad[128];
	int	i;

	*exit_now = -1;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			(void)printf("keyrite %s\n", KEYRITE_VERSION);
			*exit_now = 0;
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			*exit_now = 0;
		} else if (strcmp(argv[i], "-C") == 0 && i + 1 < argc) {
			*statedir = argv[++i];
			continue;
		} else if (strncmp(argv[i], "-C", 2) == 0 && argv[i][2] != '\0') {
			*statedir = argv[i] + 2;
			continue;
		} else {
			(void)fprintf(stderr, "keyrite: unknown option %s\n\n",
			    kr_text_escape_str(bad, sizeof(bad), argv[i], 0));
			usage(stderr);
			*exit_now = 2;
		}
		return i;
	}
	return i;
}

/*
 * "unknown command 'quorum reshare'; the quorum commands are: verify":
 * a group's word names the whole command and lists its commands.
 */
static int
unknown_command(int argc, char **argv)
{
	char	what[128], two[256], shown[512], list[512];

	if (cmd_group(argv[0], list, sizeof(list)) == 0) {
		(void)fprintf(stderr, "keyrite: unknown command '%s'\n\n",
		    kr_text_escape_str(what, sizeof(what), argv[0], 0));
		usage(stderr);
		return 2;
	}
	(void)kr_text_escape_str(what, sizeof(what), argv[0], 0);
	if (argc < 2 || argv[1][0] == '-')
		(void)fprintf(stderr, "keyrite: '%s' needs a command after it; "
		    "the %s commands are: %s\n", what, what, list);
	else {
		(void)snprintf(two, sizeof(two), "%s %s", argv[0], argv[1]);
		(void)fprintf(stderr, "keyrite: unknown command '%s'; the %s "
		    "commands are: %s\n", kr_text_escape_str(shown,
		    sizeof(shown), two, 0), what, list);
	}
	(void)fprintf(stderr, "`keyrite --help` lists every command.\n");
	return 2;
}

static int
dispatch(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry	*e;
	char			 what[128];
	int			 used, ret;

	if ((e = cmd_find(argc, argv, &used)) == NULL)
		return unknown_command(argc, argv);
	if (wants_help(argc - used, argv + used)) {
		cmd_usage(stdout, e);
		return 0;
	}
	if (cmd_wants_state(e, argc - used + 1, argv + used - 1) &&
	    ctx->statedir == NULL) {
		(void)fprintf(stderr, "keyrite %s: no state folder: give "
		    "-C STATEDIR or set KEYRITE_HOME\n", e->name);
		return 2;
	}
	/* The option parser (options.c) sees the last word as argv[0]. */
	ret = cmd_run(e, ctx, argc - used + 1, argv + used - 1);
	(void)fflush(ctx->out);
	if (ret == KR_OK)
		return 0;
	/* messages quote names and files from outside: escaped in full */
	(void)snprintf(what, sizeof(what), "keyrite %s: ", e->name);
	cmd_eprint(what, ctx->err.msg[0] != '\0' ? ctx->err.msg :
	    kr_strerror(ret));
	if (ret == KR_EUSAGE)
		(void)fprintf(stderr, "usage: keyrite %s %s\n", e->name,
		    e->usage);
	return kr_exit_status(ret);
}

int
main(int argc, char **argv)
{
	struct kr_hardening	 h;
	struct cmd_ctx		 ctx;
	int			 first, exit_now;

	memset(&ctx, 0, sizeof(ctx));
	if (kr_harden_process(&h, &ctx.err) != KR_OK ||
	    kr_crypto_init(&ctx.err) != KR_OK) {
		cmd_eprint("keyrite: ", ctx.err.msg);
		return 1;
	}
	opterr = 0;	/* commands name a bad option themselves */
	ctx.statedir = getenv("KEYRITE_HOME");
	if (confirm_date_option(&argc, argv, &ctx.confirm_date) != 0)
		return 2;
	first = global_options(argc, argv, &ctx.statedir, &exit_now);
	if (exit_now >= 0)
		return exit_now;
	if (first >= argc) {
		usage(stderr);
		return 2;
	}
	ctx.actor = actor_name();
	ctx.hardening = &h;
	ctx.out = stdout;
	return dispatch(&ctx, argc - first, argv + first);
}
