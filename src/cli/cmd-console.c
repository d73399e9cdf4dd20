/*
 * keyrite console: the ceremony room's screen (docs/console.md).  The
 * console opens the state folder itself: for reading while it shows,
 * for writing only while a ceremony is rehearsed or run.
 */
#include <stdio.h>
#include <unistd.h>

#include <keyrite/tui.h>

#include "keyrite-config.h"
#include "cli.h"

struct cmd_console_opts {
	const char	*ceremonies;
	bool		 ascii;
};

static const struct cmd_opt cmd_console_options[] = {
	CMD_ROW_STR("ceremonies", struct cmd_console_opts, ceremonies),
	CMD_ROW_FLAG("ascii", struct cmd_console_opts, ascii),
	CMD_ROW_END
};

static int
cmd_console_exec(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct cmd_console_opts	*o = opts;
	struct kr_tui_opts	 to;

	if (ctx->statedir == NULL)
		return cmd_usage_error(ctx, "no state folder: give -C STATEDIR "
		    "or set KEYRITE_HOME");
	to.statedir = ctx->statedir;
	/* --ceremonies, else ./ceremonies, else the installed scripts. */
	to.ceremonies = o->ceremonies;
	if (to.ceremonies == NULL)
		to.ceremonies = access("ceremonies", F_OK) == 0 ? "ceremonies" :
		    KEYRITE_CEREMONIES_DIR;
	to.actor = ctx->actor;
	to.confirm_date = ctx->confirm_date;
	to.ascii = o->ascii;
	to.warning = ctx->hardening != NULL ? ctx->hardening->warning : "";
	return kr_tui_main(&to, &ctx->err);
}

const struct cmd_entry cmd_console_entry = {
	.name = "console",
	.usage = "[--ceremonies DIR] [--ascii]",
	.summary = "the ceremony console: home, ceremonies (rehearse, run, "
	    "resume), inventory and audit log on one screen",
	.help = "  --ceremonies DIR  the folder of ceremony scripts (default: "
	    "./ceremonies)\n"
	    "  --ascii           draw lines in ASCII (also KEYRITE_ASCII=1, "
	    "or a locale that is not UTF-8)\n",
	.flags = CMD_SECRETS | CMD_NOARGS,
	.opts = cmd_console_options,
	.opts_size = sizeof(struct cmd_console_opts),
	.exec = cmd_console_exec,
};
