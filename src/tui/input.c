/*
 * Keys, dialogs and fields for every console screen: the key reader
 * (resize redraws, '?' and F1 show the screen's keys), messages, yes/no
 * questions, a text field, a secret field that draws nothing, a pager
 * and list selections.
 */
#include <sys/ioctl.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "tui_int.h"

/* After keyrite's headers: its capability macros (lines, ...) are many. */
#include <term.h>

#define TUI_ESC_WAIT_MS	50		/* the rest of a key's escape sequence */
#define TUI_KEY_GONE	(-1)		/* the console must leave */

/* The keys of the screen on top, in a box over it. */
static void
tui_help(struct tui *t)
{
	size_t	n = 0, i;
	int	h, w = 76, y, x;

	while (t->keys != NULL && t->keys[n] != NULL)
		n++;
	h = (int)n + 4;
	if (h > LINES - 2)
		h = LINES - 2;
	if (w > COLS - 2)
		w = COLS - 2;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	tui_box(t, y, x, h, w, "Keys on this screen");
	for (i = 0; i < n && (int)i < h - 4; i++)
		(void)tui_text(y + 1 + (int)i, x + 2, w - 4, TUI_NORMAL,
		    t->keys[i]);
	(void)tui_text(y + h - 2, x + 2, w - 4, TUI_DIM,
	    "Any key closes this.");
	(void)refresh();
}

/*
 * One key, with resizes redrawn; nothing else interpreted.  When the
 * console must leave (a signal, or ERR again and again: the terminal is
 * gone), Esc: every prompt gives up, and home leaves.
 */
int
tui_raw_key(struct tui *t)
{
	int	ch, errs = 0;

	for (;;) {
		if (tui_leaving(t))
			return TUI_ESC;
		ch = getch();
		if (ch == KEY_RESIZE) {
			tui_redraw(t);
			continue;
		}
		if (ch == KEY_F(1))
			return TUI_KEY_F1;
		if (ch != ERR)
			return ch;
		if (++errs >= TUI_ERR_MAX)
			t->gone = true;
	}
}

/* The keys of the screen on top until a key is pressed (taken). */
void
tui_show_keys(struct tui *t)
{
	tui_help(t);
	while (getch() == KEY_RESIZE) {
		tui_redraw(t);
		tui_help(t);
	}
	tui_redraw(t);
}

/* One key; '?' and F1 show the keys of the screen on top. */
int
tui_key(struct tui *t)
{
	int	ch;

	while ((ch = tui_raw_key(t)) == '?' || ch == TUI_KEY_F1)
		tui_show_keys(t);
	return ch;
}

struct tui_dialog {
	const char	*title;
	const char	*text;
	const char	*hint;
	tui_draw_fn	*under;		/* the screen it is shown over */
	void		*under_arg;
};

static void
tui_dialog_draw(struct tui *t, void *arg)
{
	struct tui_dialog	*d = arg;
	int			 w = COLS - 8 < 70 ? COLS - 8 : 70;
	int			 h = 10, y = (LINES - 10) / 2, x = (COLS - w) / 2;

	if (d->under != NULL)
		d->under(t, d->under_arg);
	tui_box(t, y, x, h, w, d->title);
	(void)tui_wrap(y + 2, x + 2, w - 4, h - 5, TUI_NORMAL, d->text);
	(void)tui_text(y + h - 2, x + 2, w - 4, TUI_BOLD, d->hint);
}

static const char *const tui_message_keys[] = {
	"Enter, Esc  close this message",
	NULL
};

void
tui_message(struct tui *t, const char *title, const char *msg)
{
	struct tui_dialog	d = { title, msg, "Enter: close", t->draw,
				    t->draw_arg };
	struct tui_screen_save	sv;
	int			ch;

	tui_push(t, &sv, tui_dialog_draw, &d, tui_message_keys);
	while ((ch = tui_key(t)) != '\r' && ch != '\n' && ch != TUI_ESC &&
	    ch != KEY_ENTER)
		;
	tui_pop(t, &sv);
}

static const char *const tui_yesno_keys[] = {
	"y        yes",
	"n, Esc   no: nothing is done",
	NULL
};

bool
tui_yesno(struct tui *t, const char *title, const char *question)
{
	struct tui_dialog	d = { title, question, "y: yes   n or Esc: no",
				    t->draw, t->draw_arg };
	struct tui_screen_save	sv;
	int			ch;

	tui_push(t, &sv, tui_dialog_draw, &d, tui_yesno_keys);
	while ((ch = tui_key(t)) != 'y' && ch != 'Y' && ch != 'n' &&
	    ch != 'N' && ch != TUI_ESC)
		;
	tui_pop(t, &sv);
	return ch == 'y' || ch == 'Y';
}

static bool
tui_is_enter(int ch)
{
	return ch == '\r' || ch == '\n' || ch == KEY_ENTER;
}

static bool
tui_is_erase(int ch)
{
	return ch == KEY_BACKSPACE || ch == 127 || ch == 8;
}

/* A visible one-line field; '?' is text here, F1 shows the keys. */
int
tui_field(struct tui *t, int y, int x, int w, char *buf, size_t cap)
{
	size_t	len = strlen(buf);
	int	ch;

	(void)curs_set(1);
	for (;;) {
		(void)mvhline(y, x, ' ', w);
		(void)tui_text(y, x, w, TUI_BOLD, len < (size_t)w ? buf :
		    buf + len - (size_t)w + 1);
		(void)refresh();
		ch = tui_raw_key(t);
		if (ch == TUI_KEY_F1)
			tui_show_keys(t);
		else if (ch == TUI_ESC || tui_is_enter(ch))
			break;
		else if (tui_is_erase(ch) && len > 0)
			buf[--len] = '\0';
		else if (ch >= 0x20 && ch < 0x100 && ch != 0x7f &&
		    len + 1 < cap) {
			buf[len++] = (char)ch;
			buf[len] = '\0';
		}
	}
	(void)curs_set(0);
	return ch == TUI_ESC ? KR_EREFUSED : KR_OK;
}

/* A resize while a secret is typed: curses told, the screen redrawn. */
static void
tui_tty_resized(struct tui *t)
{
	struct winsize	ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 ||
	    (ws.ws_row == LINES && ws.ws_col == COLS))
		return;
	(void)resizeterm(ws.ws_row, ws.ws_col);
	tui_redraw(t);
}

/*
 * One byte read(2) from the terminal itself, past curses' buffers: 1
 * with it, 0 when none came in ms milliseconds (ms < 0: wait), -1 when
 * the console must leave (a signal; the terminal gone).
 */
static int
tui_tty_byte(struct tui *t, unsigned char *c, int ms)
{
	struct pollfd	pfd;
	ssize_t		n;
	int		rc, step, waited = 0;

	for (;;) {
		if (tui_leaving(t))
			return -1;
		step = ms >= 0 && ms - waited < 250 ? ms - waited : 250;
		pfd.fd = STDIN_FILENO;
		pfd.events = POLLIN;
		if ((rc = poll(&pfd, 1, step)) > 0) {
			if ((n = read(STDIN_FILENO, c, 1)) == 1)
				return 1;
			if (n < 0 && errno == EINTR)
				continue;
			t->gone = true;		/* end of file: hung up */
		} else if (rc < 0 && errno != EINTR)
			t->gone = true;
		else if (rc == 0 && ms >= 0 && (waited += step) >= ms)
			return 0;
		tui_tty_resized(t);
	}
}

/* The terminal's F1: terminfo's kf1, or the usual xterm or Linux one. */
static bool
tui_is_f1(const char *seq)
{
	static const char *const f1[] = { "\033OP", "\033[11~", "\033[[A" };
	const char	*kf1 = tigetstr("kf1");
	size_t		 i;

	if (kf1 != NULL && kf1 != (char *)-1 && strcmp(seq, kf1) == 0)
		return true;
	for (i = 0; i < sizeof(f1) / sizeof(f1[0]); i++)
		if (strcmp(seq, f1[i]) == 0)
			return true;
	return false;
}

/*
 * After an Esc byte: Esc alone (what came next, if anything, is the next
 * key's, in *pend), F1 (TUI_KEY_F1), another key's escape sequence (0,
 * ignored: SS3 and one byte, CSI up to its final byte), or gone.
 */
static int
tui_tty_esc(struct tui *t, int *pend)
{
	char		seq[16] = "\033";
	unsigned char	c = 0;
	size_t		n = 1;
	int		k, key = 0;

	if ((k = tui_tty_byte(t, &c, TUI_ESC_WAIT_MS)) <= 0)
		return k < 0 ? TUI_KEY_GONE : TUI_ESC;
	if (c != '[' && c != 'O') {
		*pend = c;
		kr_wipe(&c, sizeof(c));
		return TUI_ESC;
	}
	seq[n++] = (char)c;
	while (n + 1 < sizeof(seq) && (k = tui_tty_byte(t, &c,
	    TUI_ESC_WAIT_MS)) == 1) {
		seq[n++] = (char)c;
		if (seq[1] == 'O' || (c >= 0x40 && c <= 0x7e &&
		    !(n == 3 && c == '[')))
			break;
	}
	if (k < 0)
		key = TUI_KEY_GONE;
	else if (tui_is_f1(seq))
		key = TUI_KEY_F1;
	kr_wipe(seq, sizeof(seq));
	kr_wipe(&c, sizeof(c));
	return key;
}

/* One key of a secret, from the terminal: a byte, Esc, F1, 0 or gone. */
static int
tui_secret_key(struct tui *t, unsigned char *c, int *pend)
{
	if (*pend >= 0) {
		*c = (unsigned char)*pend;
		*pend = -1;
		return *c == TUI_ESC ? tui_tty_esc(t, pend) : *c;
	}
	if (tui_tty_byte(t, c, -1) < 0)
		return TUI_KEY_GONE;
	return *c == TUI_ESC ? tui_tty_esc(t, pend) : *c;
}

/* F1 at a secret: the keys, closed by a key read as the secret is. */
static void
tui_secret_help(struct tui *t, unsigned char *c, int *pend)
{
	tui_help(t);
	(void)tui_secret_key(t, c, pend);
	tui_redraw(t);
}

/*
 * A secret: read byte by byte with read(2) from the terminal (raw, no
 * echo: curses set it so) straight into `buf` (secure memory), never
 * through curses' input buffer, and never drawn, not even as a count.
 * Backspace and Ctrl-U edit blind; Enter ends it; Esc gives it up (the
 * buffer wiped); F1 shows the keys.  What is typed after it is dropped.
 */
int
tui_secret(struct tui *t, char *buf, size_t cap)
{
	unsigned char	c = 0;
	size_t		len = 0;
	int		k, pend = -1, ret = KR_OK;

	kr_wipe(buf, cap);
	(void)flushinp();
	for (;;) {
		k = tui_secret_key(t, &c, &pend);
		if (k == TUI_KEY_F1)
			tui_secret_help(t, &c, &pend);
		else if (k == TUI_KEY_GONE || k == TUI_ESC) {
			ret = KR_EREFUSED;
			break;
		} else if (tui_is_enter(k))
			break;
		else if (tui_is_erase(k) && len > 0)
			buf[--len] = '\0';
		else if (k == 21) {
			kr_wipe(buf, cap);
			len = 0;
		} else if (k >= 0x20 && k != 0x7f && len + 1 < cap)
			buf[len++] = (char)k;
	}
	if (ret == KR_OK)
		buf[len] = '\0';
	else
		kr_wipe(buf, cap);
	kr_wipe(&c, sizeof(c));
	kr_wipe(&k, sizeof(k));
	kr_wipe(&pend, sizeof(pend));
	(void)flushinp();
	return ret;
}

/* A line of any length, copied. */
void
tui_lines_put(struct tui_lines *l, const char *line)
{
	char	**v;

	if (l->n == l->cap) {
		if ((v = realloc(l->v, (l->cap ? 2 * l->cap : 32) *
		    sizeof(*v))) == NULL)
			return;
		l->v = v;
		l->cap = l->cap ? 2 * l->cap : 32;
	}
	if ((l->v[l->n] = strdup(line)) != NULL)
		l->n++;
}

void
tui_lines_add(struct tui_lines *l, const char *fmt, ...)
{
	char	line[1024];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	tui_lines_put(l, line);
}

void
tui_lines_free(struct tui_lines *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
tui_lines_draw(const struct tui_lines *l, size_t top, int y, int h)
{
	int	i;

	for (i = 0; i < h && top + (size_t)i < l->n; i++)
		(void)tui_text(y + i, 1, COLS - 2, TUI_NORMAL,
		    l->v[top + (size_t)i]);
}

struct tui_pager {
	const char		*title;
	struct tui_lines	*l;
	struct tui_lines	 w;		/* l wrapped to the screen */
	size_t			 top;
};

static void
tui_pager_draw(struct tui *t, void *arg)
{
	struct tui_pager	*p = arg;
	size_t			 h = (size_t)(LINES > 5 ? LINES - 4 : 1);

	tui_lines_free(&p->w);
	tui_lines_wrap(p->l, 0, COLS - 2, &p->w);
	if (p->top + h > p->w.n)
		p->top = p->w.n > h ? p->w.n - h : 0;
	tui_frame(t, p->title, "?: keys   arrows/PgUp/PgDn: scroll   Esc: "
	    "back");
	tui_lines_draw(&p->w, p->top, 2, (int)h);
	if (p->w.n > h)
		(void)tui_textf(LINES - 2, 1, COLS - 2, TUI_DIM, "rows "
		    "%zu-%zu of %zu", p->top + 1, p->top + h < p->w.n ?
		    p->top + h : p->w.n, p->w.n);
}

static const char *const tui_pager_keys[] = {
	"Up, Down     scroll a line",
	"PgUp, PgDn   scroll a page",
	"Home, End    the start, the end",
	"Esc, q       back",
	NULL
};

void
tui_pager(struct tui *t, const char *title, struct tui_lines *l)
{
	struct tui_pager	p = { title, l, { NULL, 0, 0 }, 0 };
	struct tui_screen_save	sv;
	struct tui_sel		s;
	int			ch;

	tui_push(t, &sv, tui_pager_draw, &p, tui_pager_keys);
	for (;;) {
		ch = tui_key(t);
		if (ch == TUI_ESC || ch == 'q')
			break;
		s.n = p.w.n > (size_t)(LINES - 4) ? p.w.n -
		    (size_t)(LINES - 4) + 1 : 1;
		s.cur = s.top = p.top;
		if (tui_sel_key(&s, ch, 1))
			p.top = s.cur;
		tui_redraw(t);
	}
	tui_pop(t, &sv);
	tui_lines_free(&p.w);
}

/* The visible rows of a list from row y, the chosen one marked '>'. */
void
tui_sel_draw(const struct tui_sel *s, const struct tui_lines *l, int y, int h)
{
	size_t	i;

	if (l->n == 0)
		(void)tui_text(y, 1, COLS - 2, TUI_DIM, "(none)");
	for (i = s->top; i < l->n && (int)(i - s->top) < h; i++)
		(void)tui_textf(y + (int)(i - s->top), 0, COLS, i == s->cur ?
		    TUI_TITLE : TUI_NORMAL, "%s%s", i == s->cur ? ">" : " ",
		    l->v[i]);
}

/* Scrolls so that the chosen line is in the h lines shown. */
static void
tui_sel_show(struct tui_sel *s, int h)
{
	if (s->cur < s->top)
		s->top = s->cur;
	if (h > 0 && s->cur >= s->top + (size_t)h)
		s->top = s->cur - (size_t)h + 1;
}

/* Moves a selection; true when the key was one of the moving keys. */
bool
tui_sel_key(struct tui_sel *s, int ch, int h)
{
	size_t	page = h > 1 ? (size_t)h - 1 : 1;

	if (s->n == 0)
		return false;
	if (ch == KEY_UP && s->cur > 0)
		s->cur--;
	else if (ch == KEY_DOWN && s->cur + 1 < s->n)
		s->cur++;
	else if (ch == KEY_PPAGE)
		s->cur = s->cur > page ? s->cur - page : 0;
	else if (ch == KEY_NPAGE)
		s->cur = s->cur + page < s->n ? s->cur + page : s->n - 1;
	else if (ch == KEY_HOME)
		s->cur = 0;
	else if (ch == KEY_END)
		s->cur = s->n - 1;
	else if (ch != KEY_UP && ch != KEY_DOWN)
		return false;
	tui_sel_show(s, h);
	return true;
}

bool
tui_sel_jump(struct tui_sel *s, const struct tui_lines *l, int ch, int h)
{
	size_t	i, k;

	if (ch < 0 || ch > 0x7f || !isalnum(ch) || l->n == 0 || s->n == 0)
		return false;
	for (i = 1; i <= s->n && i <= l->n; i++) {
		k = (s->cur + i) % s->n;
		if (tolower((unsigned char)l->v[k][0]) == tolower(ch)) {
			s->cur = k;
			tui_sel_show(s, h);
			return true;
		}
	}
	return false;
}
