/*
 * The project-wide error type: a code and a message for the operator.
 */
#include <stdio.h>
#include <string.h>

#include <keyrite/base.h>

void
kr_err_clear(struct kr_err *err)
{
	if (err == NULL)
		return;
	err->code = KR_OK;
	err->msg[0] = '\0';
}

int
kr_err_vset(struct kr_err *err, int code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return code;
	err->code = code;
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

int
kr_err_set(struct kr_err *err, int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)kr_err_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int
kr_err_prefix(struct kr_err *err, const char *fmt, ...)
{
	char	prefix[256];
	size_t	plen, mlen;
	va_list	ap;
	int	n;

	if (err == NULL)
		return KR_EINTERNAL;
	va_start(ap, fmt);
	n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (n < 0)
		return err->code;
	plen = strlen(prefix);
	mlen = strnlen(err->msg, sizeof(err->msg) - 1);
	if (plen + mlen > sizeof(err->msg) - 1)
		mlen = sizeof(err->msg) - 1 - plen;
	memmove(err->msg + plen, err->msg, mlen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen + mlen] = '\0';
	return err->code;
}

static const struct {
	int		 code;
	int		 exit_status;
	const char	*text;
} kr_codes[] = {
	{ KR_OK,	0, "success" },
	{ KR_EUSAGE,	2, "usage error" },
	{ KR_EINPUT,	2, "bad input" },
	{ KR_ENOENT,	2, "not found" },
	{ KR_EEXIST,	2, "already exists" },
	{ KR_EIO,	2, "input/output error" },
	{ KR_ENOMEM,	1, "out of memory" },
	{ KR_ESTATE,	2, "state folder unusable" },
	{ KR_EREFUSED,	1, "refused by policy" },
	{ KR_EQUORUM,	1, "quorum not met" },
	{ KR_EAUTH,	1, "wrong passphrase" },
	{ KR_EVERIFY,	1, "verification failed" },
	{ KR_ECLOCK,	1, "clock went backwards" },
	{ KR_ESELFTEST,	1, "self-test failed" },
	{ KR_ECRYPTO,	1, "cryptographic failure" },
	{ KR_EINTERNAL,	1, "internal error" },
	{ KR_EBUSY,	2, "busy" },
};

const char *
kr_strerror(int code)
{
	size_t	i;

	for (i = 0; i < sizeof(kr_codes) / sizeof(kr_codes[0]); i++)
		if (kr_codes[i].code == code)
			return kr_codes[i].text;
	return "unknown error";
}

/* 0 ok, 1 refused (policy, quorum, verification), 2 usage or input error. */
int
kr_exit_status(int code)
{
	size_t	i;

	for (i = 0; i < sizeof(kr_codes) / sizeof(kr_codes[0]); i++)
		if (kr_codes[i].code == code)
			return kr_codes[i].exit_status;
	return 1;
}
