/*
 * The console's internals: one file per screen, and widget.c for what
 * every screen shares (frame, text, boxes, lists, pager, fields, keys).
 */
#ifndef KR_TUI_INT_H
#define KR_TUI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/ceremony.h>
#include <keyrite/tui.h>

#define TUI_ESC		27
#define TUI_KEY_F1	(-2)		/* tui_key's value for F1 */
#define TUI_ERR_MAX	8		/* getch's ERRs in a row: no terminal */

struct tui;
typedef void tui_draw_fn(struct tui *, void *);

struct tui {
	const struct kr_tui_opts *o;
	struct kr_appliance	*app;		/* the reader */
	bool			 utf8;		/* box drawing in UTF-8 */
	bool			 color;
	/* The screen on top: redrawn on resize, its keys shown by '?'. */
	tui_draw_fn		*draw;
	void			*draw_arg;
	const char *const	*keys;
	struct kr_err		 err;
	bool			 gone;		/* the terminal is gone */
	unsigned		 writes;	/* writer handles opened */
};

/* A screen: its title bar, its keys, how it is drawn. */
struct tui_screen_save {
	tui_draw_fn		*draw;
	void			*draw_arg;
	const char *const	*keys;
};

enum tui_attr {
	TUI_NORMAL = 0,
	TUI_BOLD,
	TUI_TITLE,		/* reverse video */
	TUI_WARN,		/* bold; red when colour is on */
	TUI_GOOD,		/* green when colour is on */
	TUI_DIM,
};

/* widget.c */
int	tui_start(struct tui *, struct kr_err *);
void	tui_end(struct tui *);
/* A signal (SIGTERM, SIGHUP, SIGINT) or the terminal gone: leave. */
bool	tui_leaving(struct tui *);
int	tui_signal(void);
void	tui_push(struct tui *, struct tui_screen_save *, tui_draw_fn *,
	    void *, const char *const *);
void	tui_pop(struct tui *, const struct tui_screen_save *);
void	tui_redraw(struct tui *);
int	tui_key(struct tui *);
void	tui_show_keys(struct tui *);
int	tui_raw_key(struct tui *);
int	tui_rows(void);
int	tui_cols(void);
void	tui_frame(struct tui *, const char *title, const char *hint);
int	tui_text(int y, int x, int w, enum tui_attr, const char *s);
int	tui_textf(int y, int x, int w, enum tui_attr, const char *, ...)
	    KR_PRINTF(5, 6);
int	tui_wrap(int y, int x, int w, int rows, enum tui_attr, const char *);
void	tui_box(struct tui *, int y, int x, int h, int w, const char *title);
void	tui_hline(struct tui *, int y, int x, int w);
void	tui_clear_area(int y, int x, int h, int w);
void	tui_bar(struct tui *, int y, int x, int w, uint64_t done,
	    uint64_t total, double secs);
void	tui_message(struct tui *, const char *title, const char *msg);
bool	tui_yesno(struct tui *, const char *title, const char *question);
/* A one-line text field; KR_OK on Enter, KR_EREFUSED on Esc. */
int	tui_field(struct tui *, int y, int x, int w, char *buf, size_t cap);
/* A secret: nothing is drawn while it is typed. */
int	tui_secret(struct tui *, char *buf, size_t cap);
void	tui_group_hex(const char *hex, char *out, size_t cap);

/* Lines of text to show in a pager (detail views, rehearsal, verify). */
struct tui_lines {
	char	**v;
	size_t	  n, cap;
};

void	tui_lines_add(struct tui_lines *, const char *, ...) KR_PRINTF(2, 3);
void	tui_lines_put(struct tui_lines *, const char *);
void	tui_lines_wrap(const struct tui_lines *, size_t from, int w,
	    struct tui_lines *);
void	tui_lines_free(struct tui_lines *);
void	tui_pager(struct tui *, const char *title, struct tui_lines *);
/* Draws lines [top, ...) in rows y.. y+h-1. */
void	tui_lines_draw(const struct tui_lines *, size_t top, int y, int h);

/* A selection in a list of n rows, h of them visible. */
struct tui_sel {
	size_t	n, cur, top;
};

bool	tui_sel_key(struct tui_sel *, int ch, int h);
/* A letter or digit: to the next line starting with it, round the end. */
bool	tui_sel_jump(struct tui_sel *, const struct tui_lines *, int ch, int h);
void	tui_sel_draw(const struct tui_sel *, const struct tui_lines *, int y,
	    int h);

/* The screens. */
void	tui_home(struct tui *);
void	tui_ceremonies(struct tui *);
void	tui_form(struct tui *, const char *path);
int	tui_rehearse(struct tui *, struct kr_cer_script *);
int	tui_run(struct tui *, struct kr_cer_script *, const char *resume);
void	tui_inventory(struct tui *);
void	tui_detail_key(struct tui *, const struct kr_key_rec *,
	    struct tui_lines *);
void	tui_detail_cert(struct tui *, const struct kr_cert_rec *,
	    struct tui_lines *);
void	tui_detail_crl(const char *, const struct kr_crl_rec *,
	    struct tui_lines *);
void	tui_detail_sig(const struct kr_signature_rec *, struct tui_lines *);
void	tui_detail_holding(const struct kr_holding_rec *, struct tui_lines *);
void	tui_audit(struct tui *);

/* tui.c: the writer's handle for a rehearsal or a run. */
int	tui_open_writer(struct tui *, struct kr_appliance **);
void	tui_close_writer(struct tui *, struct kr_appliance **);
void	tui_offer_resume(struct tui *);

#endif /* KR_TUI_INT_H */
