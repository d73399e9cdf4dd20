/*
 * Passphrases: from the terminal without echo, or one line per custodian
 * from a file descriptor (--passphrase-fd N) for scripts.  Never from the
 * command line.  Every buffer is secure memory owned by the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

static struct termios	pass_saved;
static int		pass_tty = -1;

static void
pass_restore(int sig)
{
	if (pass_tty >= 0)
		(void)tcsetattr(pass_tty, TCSAFLUSH, &pass_saved);
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
}

/*
 * Reads one line (without its newline) byte by byte, so no more is used.
 * An over-long line or one holding a NUL byte is read to its end anyway,
 * so the next custodian's line is not taken for the rest of this one.
 */
static int
pass_read_line(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t	n;
	bool	bad = false;
	char	c;

	*len = 0;
	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return KR_EIO;
		if (n == 0) {
			if (*len == 0 && !bad)
				return KR_ENOENT;
			break;
		}
		if (c == '\n')
			break;
		if (c == '\0' || *len + 1 >= cap) {
			bad = true;
			continue;
		}
		buf[(*len)++] = c;
	}
	if (*len > 0 && buf[*len - 1] == '\r')
		(*len)--;
	buf[*len] = '\0';
	c = 0;
	if (bad) {
		kr_wipe(buf, cap);
		return KR_EINPUT;
	}
	return KR_OK;
}

static void
pass_write(int fd, const char *s)
{
	size_t	len = strlen(s);
	ssize_t	n;

	while (len > 0 && (n = write(fd, s, len)) > 0) {
		s += n;
		len -= (size_t)n;
	}
}

static int
pass_tty_read(const char *prompt, const char *what, char *buf, size_t cap,
    struct kr_err *err)
{
	struct termios	noecho;
	size_t		len;
	char		shown[1024];
	int		fd, ret;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return kr_err_set(err, KR_EUSAGE, "no terminal to ask for %s",
		    what);
	if (tcgetattr(fd, &pass_saved) != 0) {
		(void)close(fd);
		return kr_err_set(err, KR_EUSAGE, "cannot switch the terminal "
		    "echo off to ask for %s", what);
	}
	pass_tty = fd;
	(void)signal(SIGINT, pass_restore);
	(void)signal(SIGTERM, pass_restore);
	noecho = pass_saved;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	noecho.c_lflag |= ICANON;
	pass_write(fd, kr_text_escape_str(shown, sizeof(shown), prompt, 0));
	(void)tcsetattr(fd, TCSAFLUSH, &noecho);
	ret = pass_read_line(fd, buf, cap, &len);
	(void)tcsetattr(fd, TCSAFLUSH, &pass_saved);
	pass_write(fd, "\n");
	(void)signal(SIGINT, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	pass_tty = -1;
	(void)close(fd);
	if (ret != KR_OK)
		return kr_err_set(err, KR_EINPUT, "nothing was entered");
	return KR_OK;
}

#define PASS_WHAT	"a passphrase: in scripts give --passphrase-fd N"
#define PASS_WHAT_PIN	"the token PIN: in scripts give --token-pin-fd N"


static int
pass_tty_get(const char *custodian, const char *file, bool setting,
    unsigned min_len, bool *told, char *buf, size_t cap, struct kr_err *err)
{
	char	 prompt[768];
	char	*again;
	int	 tries, ret;

	if (!setting) {
		(void)snprintf(prompt, sizeof(prompt), "Passphrase of custodian "
		    "'%s' for %s: ", custodian, file);
		return pass_tty_read(prompt, PASS_WHAT, buf, cap, err);
	}
	if ((again = kr_secure_alloc(cap)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of secure memory");
	if (!*told) {
		/* The rules before the first prompt, not after two. */
		(void)fprintf(stderr, "Each custodian now chooses a passphrase "
		    "for their share: at least %u characters, typed twice, "
		    "not shown.\n", min_len);
		*told = true;
	}
	for (tries = 0; tries < KR_PASSPHRASE_TRIES; tries++) {
		(void)snprintf(prompt, sizeof(prompt), "Custodian '%s', choose "
		    "the passphrase for your share (%s): ", custodian, file);
		if ((ret = pass_tty_read(prompt, PASS_WHAT, buf, cap, err)) !=
		    KR_OK)
			break;
		(void)snprintf(prompt, sizeof(prompt), "Custodian '%s', enter "
		    "it again: ", custodian);
		if ((ret = pass_tty_read(prompt, PASS_WHAT, again, cap, err)) !=
		    KR_OK)
			break;
		if ((ret = kr_passphrase_chosen(buf, again, min_len, custodian,
		    err)) == KR_OK)
			break;
		kr_text_fput(stderr, err->msg, strlen(err->msg), 0);
		(void)fputs("; try again.\n", stderr);
	}
	kr_secure_free(again);
	return ret;
}

static int
pass_get(void *vctx, const char *custodian, const char *file, bool setting,
    char *buf, size_t cap, struct kr_err *err)
{
	struct cmd_pass	*p = vctx;
	size_t		 len;
	int		 ret;

	if (p->fd < 0)
		return pass_tty_get(custodian, file, setting, p->min_len,
		    &p->told, buf, cap, err);
	p->line++;
	ret = pass_read_line(p->fd, buf, cap, &len);
	if (ret == KR_ENOENT)
		return kr_err_set(err, KR_EINPUT, "--passphrase-fd %d ended "
		    "before line %d, the passphrase of custodian '%s' (%s): "
		    "give one line per custodian, in order", p->fd, p->line,
		    custodian, file);
	if (ret == KR_EINPUT)
		return kr_err_set(err, KR_EINPUT, "line %d of --passphrase-fd "
		    "%d (custodian '%s') is longer than %zu bytes or holds a "
		    "NUL byte", p->line, p->fd, custodian, cap - 1);
	if (ret != KR_OK)
		return kr_err_set(err, KR_EIO, "cannot read --passphrase-fd "
		    "%d: %s", p->fd, strerror(errno));
	return KR_OK;
}

/*
 * A token's PIN (--pin-source prompt keys): the first line of
 * --token-pin-fd N, or asked on the terminal; never from --passphrase-fd,
 * whose lines are the custodians'.
 */
static int
pass_pin(void *vctx, const char *token, char *buf, size_t cap,
    struct kr_err *err)
{
	struct cmd_pass	*p = vctx;
	char		 prompt[256];
	size_t		 len;
	int		 ret;

	if (p->pin_fd < 0) {
		(void)snprintf(prompt, sizeof(prompt), "PIN of token '%s' "
		    "(its own access control guards the key): ", token);
		return pass_tty_read(prompt, PASS_WHAT_PIN, buf, cap, err);
	}
	ret = pass_read_line(p->pin_fd, buf, cap, &len);
	if (ret == KR_ENOENT)
		return kr_err_set(err, KR_EINPUT, "--token-pin-fd %d is empty: "
		    "give the PIN of token '%s' on one line", p->pin_fd, token);
	if (ret == KR_EINPUT)
		return kr_err_set(err, KR_EINPUT, "the line of --token-pin-fd "
		    "%d is longer than %zu bytes or holds a NUL byte",
		    p->pin_fd, cap - 1);
	if (ret != KR_OK)
		return kr_err_set(err, KR_EIO, "cannot read --token-pin-fd "
		    "%d: %s", p->pin_fd, strerror(errno));
	return KR_OK;
}

/* A refused share's line is read and wiped, so the next lines line up. */
static void
pass_skip(void *vctx)
{
	struct cmd_pass	*p = vctx;
	char		*tmp;
	size_t		 len;

	if (p->fd < 0 || (tmp = kr_secure_alloc(KR_PASSPHRASE_MAX)) == NULL)
		return;
	p->line++;
	(void)pass_read_line(p->fd, tmp, KR_PASSPHRASE_MAX, &len);
	kr_secure_free(tmp);
}

/*
 * A wrong passphrase typed at the terminal is asked again, up to
 * KR_PASSPHRASE_TRIES times for that share; the shares already opened are
 * kept.  From --passphrase-fd it is not: the next line is the next
 * share's.
 */
static bool
pass_retry(void *vctx, const char *custodian, const char *file,
    unsigned tries)
{
	struct cmd_pass	*p = vctx;
	char		 who[256], where[768];

	if (p->fd >= 0 || tries >= KR_PASSPHRASE_TRIES)
		return false;
	(void)fprintf(stderr, "That passphrase does not open the share of "
	    "custodian '%s' (%s): type it again (try %u of %u).\n",
	    kr_text_escape_str(who, sizeof(who), custodian, 0),
	    kr_text_escape_str(where, sizeof(where), file, 0), tries + 1,
	    KR_PASSPHRASE_TRIES);
	return true;
}

void
cmd_pass_init(struct cmd_pass *p, struct kr_passphrase_source *src)
{
	p->fd = -1;
	p->pin_fd = -1;
	p->line = 0;
	p->min_len = 0;
	p->told = false;
	src->get = pass_get;
	src->skip = pass_skip;
	src->retry = pass_retry;
	src->pin = pass_pin;
	src->ctx = p;
}

/* --passphrase-fd N or --token-pin-fd N: an open descriptor. */
static int
pass_fd_parse(struct cmd_ctx *ctx, const char *opt, const char *arg, int *out)
{
	unsigned	fd;
	int		ret;

	if ((ret = cmd_parse_uint(ctx, opt, arg, 0, 1023, &fd)) != KR_OK)
		return ret;
	if (fcntl((int)fd, F_GETFD) < 0)
		return cmd_usage_error(ctx, "%s %u is not an open file "
		    "descriptor", opt, fd);
	*out = (int)fd;
	return KR_OK;
}

int
cmd_pass_set_fd(struct cmd_ctx *ctx, struct cmd_pass *p, const char *arg)
{
	return pass_fd_parse(ctx, "--passphrase-fd", arg, &p->fd);
}

int
cmd_pass_set_pin_fd(struct cmd_ctx *ctx, struct cmd_pass *p, const char *arg)
{
	return pass_fd_parse(ctx, "--token-pin-fd", arg, &p->pin_fd);
}
