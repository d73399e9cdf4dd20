/*
 * keyrite console (docs/console.md): the ceremony room's front end on
 * ncursesw.  It calls the same authority functions and ceremony engine
 * as the command line, and reads the store only for display.
 */
#ifndef KEYRITE_TUI_H
#define KEYRITE_TUI_H

#include <stdbool.h>

#include <keyrite/base.h>

struct kr_tui_opts {
	const char	*statedir;
	const char	*ceremonies;	/* folder of scripts */
	const char	*actor;
	const char	*confirm_date;	/* --confirm-date, or NULL */
	bool		 ascii;		/* line drawing in ASCII */
	const char	*warning;	/* the process's hardening, or "" */
};

/*
 * Runs the console until the operator leaves it; the screen is cleared
 * and the terminal restored on every way out.  KR_OK, or why it could not
 * start (no terminal, no state folder).
 */
int	kr_tui_main(const struct kr_tui_opts *, struct kr_err *) KR_WUR;

#endif /* KEYRITE_TUI_H */
