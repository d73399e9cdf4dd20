/*
 * What every console screen shares: the curses session, the frame (title
 * bar, key hint), escaped text, boxes in UTF-8 or ASCII, lists, a pager,
 * text and secret fields, progress bars, and the keys: a resize redraws
 * the screen on top, '?' (or F1) shows its keys.
 */
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>

#include "tui_int.h"

/* After keyrite's headers: its capability macros (lines, ...) are many. */
#include <term.h>

#define TUI_LINE_MAX	1024

static const char *const tui_box_utf8[] = {
	"\u250c", "\u2510", "\u2514", "\u2518", "\u2500", "\u2502"
};
static const char *const tui_box_ascii[] = { "+", "+", "+", "+", "-", "|" };

/* The signal that asked the console to leave (0: none). */
static volatile sig_atomic_t tui_signalled;

static void
tui_on_signal(int sig)
{
	tui_signalled = sig;
}

/*
 * SIGTERM, SIGHUP and SIGINT set a flag: the key readers then answer Esc
 * (a prompt gives up, nothing of its step is recorded) until home, which
 * leaves through tui_end, so the terminal is put back.  No SA_RESTART: a
 * read waiting for a key returns.  A signal ignored (nohup) stays so.
 */
static void
tui_catch(int sig)
{
	struct sigaction	sa, old;

	if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tui_on_signal;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(sig, &sa, NULL);
}

int
tui_signal(void)
{
	return tui_signalled;
}

bool
tui_leaving(struct tui *t)
{
	if (tui_signalled != 0)
		t->gone = true;
	return t->gone;
}

static bool
tui_want_ascii(const struct tui *t)
{
	const char	*e = getenv("KEYRITE_ASCII");

	if (t->o->ascii || (e != NULL && e[0] != '\0' && strcmp(e, "0") != 0))
		return true;
	return strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
}

int
tui_start(struct tui *t, struct kr_err *err)
{
	const char	*nc = getenv("NO_COLOR");

	(void)setlocale(LC_ALL, "");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return kr_err_set(err, KR_EUSAGE, "the console needs a "
		    "terminal on standard input and output; in scripts use "
		    "the `keyrite ceremony` commands");
	t->utf8 = !tui_want_ascii(t);
	tui_catch(SIGTERM);
	tui_catch(SIGHUP);
	tui_catch(SIGINT);
	if (initscr() == NULL)
		return kr_err_set(err, KR_EUSAGE, "cannot start the console on "
		    "this terminal (TERM=%s)", getenv("TERM") != NULL ?
		    getenv("TERM") : "unset");
	(void)raw();
	(void)noecho();
	(void)keypad(stdscr, TRUE);
	(void)nonl();
	(void)set_escdelay(25);
	(void)curs_set(0);
	t->color = has_colors() && (nc == NULL || nc[0] == '\0');
	if (t->color && start_color() == OK) {
		(void)use_default_colors();
		(void)init_pair(1, COLOR_RED, -1);
		(void)init_pair(2, COLOR_GREEN, -1);
	} else
		t->color = false;
	return KR_OK;
}

void
tui_end(struct tui *t)
{
	char	*cl;

	(void)t;
	if (isendwin())
		return;
	(void)clear();
	(void)refresh();
	(void)endwin();
	/* The terminal's own screen, cleared too: nothing stays behind. */
	if ((cl = tigetstr("clear")) != NULL && cl != (char *)-1)
		(void)putp(cl);
	(void)fflush(stdout);
}

int
tui_rows(void)
{
	return LINES;
}

int
tui_cols(void)
{
	return COLS;
}

void
tui_push(struct tui *t, struct tui_screen_save *sv, tui_draw_fn *draw,
    void *arg, const char *const *keys)
{
	sv->draw = t->draw;
	sv->draw_arg = t->draw_arg;
	sv->keys = t->keys;
	t->draw = draw;
	t->draw_arg = arg;
	t->keys = keys;
	tui_redraw(t);
}

void
tui_pop(struct tui *t, const struct tui_screen_save *sv)
{
	t->draw = sv->draw;
	t->draw_arg = sv->draw_arg;
	t->keys = sv->keys;
	tui_redraw(t);
}

void
tui_redraw(struct tui *t)
{
	(void)erase();
	if (t->draw != NULL)
		t->draw(t, t->draw_arg);
	(void)refresh();
}

static attr_t
tui_attr_of(enum tui_attr a, short *pair)
{
	*pair = 0;
	switch (a) {
	case TUI_BOLD:
		return A_BOLD;
	case TUI_TITLE:
		return A_REVERSE;
	case TUI_WARN:
		*pair = 1;
		return A_BOLD;
	case TUI_GOOD:
		*pair = 2;
		return A_NORMAL;
	case TUI_DIM:
		return A_DIM;
	default:
		return A_NORMAL;
	}
}

/* Escaped, then cut to w columns; returns the columns used. */
int
tui_text(int y, int x, int w, enum tui_attr a, const char *s)
{
	char	 esc[TUI_LINE_MAX];
	wchar_t	 wc[TUI_LINE_MAX];
	size_t	 n, i;
	int	 cols = 0, cw;
	short	 pair;
	attr_t	 at;

	if (w <= 0 || y < 0 || y >= LINES)
		return 0;
	/* A locale that is not UTF-8: non-ASCII text drawn escaped. */
	(void)kr_text_escape_str(esc, sizeof(esc), s, 0);
	if ((n = mbstowcs(wc, esc, TUI_LINE_MAX - 1)) == (size_t)-1) {
		(void)kr_text_escape_str(esc, sizeof(esc), s, KR_TEXT_ASCII);
		if ((n = mbstowcs(wc, esc, TUI_LINE_MAX - 1)) == (size_t)-1)
			return 0;
	}
	for (i = 0; i < n; i++) {
		if ((cw = wcwidth(wc[i])) < 0)
			cw = 1;
		if (cols + cw > w)
			break;
		cols += cw;
	}
	at = tui_attr_of(a, &pair);
	(void)attr_set(at, pair, NULL);
	(void)mvaddnwstr(y, x, wc, (int)i);
	(void)attr_set(A_NORMAL, 0, NULL);
	return cols;
}

int
tui_textf(int y, int x, int w, enum tui_attr a, const char *fmt, ...)
{
	char	line[TUI_LINE_MAX];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return tui_text(y, x, w, a, line);
}

/* The bytes of s that fit in w columns, ending at a space when one does. */
static size_t
tui_wrap_cut(const char *s, int w)
{
	mbstate_t	ms;
	wchar_t		wc;
	size_t		off = 0, sp = 0, k;
	int		cols = 0, cw;

	memset(&ms, 0, sizeof(ms));
	while (s[off] != '\0' && s[off] != '\n') {
		if ((k = mbrtowc(&wc, s + off, strlen(s + off), &ms)) ==
		    (size_t)-1 || k == (size_t)-2 || k == 0)
			k = 1, wc = L'?';
		if ((cw = wcwidth(wc)) < 0)
			cw = 4;
		if (cols + cw > w)
			return sp > 0 ? sp : off;
		if (wc == L' ')
			sp = off;
		cols += cw;
		off += k;
	}
	return off;
}

/* The next row of *s wrapped to w columns, into line; *s moves past it. */
static void
tui_wrap_next(const char **s, int w, char *line, size_t cap)
{
	size_t	k = tui_wrap_cut(*s, w);

	if (k == 0 && **s != '\n')
		k = 1;
	if (k >= cap)
		k = cap - 1;
	memcpy(line, *s, k);
	line[k] = '\0';
	*s += k;
	while (**s == ' ' || **s == '\n')
		(*s)++;
}

/* Word-wrapped into at most `rows` rows; returns the rows used. */
int
tui_wrap(int y, int x, int w, int rows, enum tui_attr a, const char *s)
{
	char	line[TUI_LINE_MAX];
	int	used = 0;

	while (*s != '\0' && used < rows && w > 0) {
		tui_wrap_next(&s, w, line, sizeof(line));
		(void)tui_text(y + used++, x, w, a, line);
	}
	return used;
}

/* Lines [from, ...) of `in`, each wrapped to w columns, added to `out`. */
void
tui_lines_wrap(const struct tui_lines *in, size_t from, int w,
    struct tui_lines *out)
{
	char		 line[TUI_LINE_MAX];
	const char	*s;
	size_t		 i;

	for (i = from; i < in->n && w > 0; i++) {
		s = in->v[i];
		if (*s == '\0')
			tui_lines_put(out, "");
		while (*s != '\0') {
			tui_wrap_next(&s, w, line, sizeof(line));
			tui_lines_put(out, line);
		}
	}
}

void
tui_clear_area(int y, int x, int h, int w)
{
	int	i;

	for (i = 0; i < h && y + i < LINES; i++)
		(void)mvhline(y + i, x, ' ', w);
}

void
tui_hline(struct tui *t, int y, int x, int w)
{
	const char *const	*b = t->utf8 ? tui_box_utf8 : tui_box_ascii;
	int			 i;

	for (i = 0; i < w && x + i < COLS; i++)
		(void)mvaddstr(y, x + i, b[4]);
}

void
tui_box(struct tui *t, int y, int x, int h, int w, const char *title)
{
	const char *const	*b = t->utf8 ? tui_box_utf8 : tui_box_ascii;
	int			 i;

	tui_clear_area(y, x, h, w);
	tui_hline(t, y, x + 1, w - 2);
	tui_hline(t, y + h - 1, x + 1, w - 2);
	for (i = 1; i < h - 1; i++) {
		(void)mvaddstr(y + i, x, b[5]);
		(void)mvaddstr(y + i, x + w - 1, b[5]);
	}
	(void)mvaddstr(y, x, b[0]);
	(void)mvaddstr(y, x + w - 1, b[1]);
	(void)mvaddstr(y + h - 1, x, b[2]);
	(void)mvaddstr(y + h - 1, x + w - 1, b[3]);
	if (title != NULL)
		(void)tui_textf(y, x + 2, w - 4, TUI_BOLD, " %s ", title);
}

/*
 * The title bar, the hint on the last row, and on every screen, when a
 * record does not match the audit chain, the DAMAGED banner under the
 * title (home says which record).
 */
void
tui_frame(struct tui *t, const char *title, const char *hint)
{
	(void)attr_set(A_REVERSE, 0, NULL);
	(void)mvhline(0, 0, ' ', COLS);
	(void)attr_set(A_NORMAL, 0, NULL);
	(void)tui_textf(0, 1, COLS - 2, TUI_TITLE, "keyrite console | %s",
	    title);
	if (t->app != NULL && kr_appliance_damage(t->app) != NULL)
		(void)tui_text(1, 1, COLS - 2, TUI_WARN, "DAMAGED STATE: "
		    "records shown as held, not as fact; nothing can be "
		    "signed");
	(void)tui_text(LINES - 1, 0, COLS, TUI_DIM, hint != NULL ? hint :
	    "?: keys   Esc: back");
}

/* Progress: a bar, the bytes and the rate. */
void
tui_bar(struct tui *t, int y, int x, int w, uint64_t done, uint64_t total,
    double secs)
{
	char	text[96];
	int	bw, fill, i;

	(void)snprintf(text, sizeof(text), " %llu of %llu MiB, %.1f MiB/s",
	    (unsigned long long)(done >> 20), (unsigned long long)(total >> 20),
	    secs > 0 ? (double)done / 1048576.0 / secs : 0.0);
	bw = w - (int)strlen(text) - 2;
	if (bw < 4)
		bw = 4;
	fill = total > 0 ? (int)((double)bw * (double)done / (double)total) : 0;
	(void)mvaddstr(y, x, "[");
	for (i = 0; i < bw; i++)
		(void)mvaddstr(y, x + 1 + i, i < fill ? "#" : ".");
	(void)mvaddstr(y, x + 1 + bw, "]");
	(void)tui_text(y, x + 2 + bw, w - bw - 2, TUI_NORMAL, text);
	(void)t;
}

/* 4 hex digits a group, for reading aloud. */
void
tui_group_hex(const char *hex, char *out, size_t cap)
{
	size_t	i, o = 0;

	for (i = 0; hex[i] != '\0' && o + 2 < cap; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = hex[i];
	}
	out[o] = '\0';
}
