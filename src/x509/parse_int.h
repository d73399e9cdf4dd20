/*
 * x509 internals shared by parse.c (which owns them) and lint.c: the
 * TBSCertificate parser, which lint runs again on the bytes that will be
 * signed.
 */
#ifndef KEYRITE_PARSE_INT_H
#define KEYRITE_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/x509.h>

/*
 * Parses one whole TBSCertificate element (strict DER, v3, nothing after
 * it) into `c`: c->tbs, c->f (sig_alg included), the extension list and
 * unknown_critical.  `algid` receives the whole signature
 * AlgorithmIdentifier element, for the comparison with the outer one.
 * A repeated extension is recorded but not decoded again and not refused:
 * kr_cert_parse() refuses it, lint reports it.  The message in `err` says
 * what is wrong, without a file name; `c->der` is left alone.
 */
int		 kr_tbs_parse(const uint8_t *, size_t, struct kr_cert *,
		    struct kr_slice *, struct kr_err *) KR_WUR;

/* Whether an extension repeats an earlier one; `idx` gets the repeat. */
bool		 kr_ext_duplicate(const struct kr_cert *, size_t *);

#endif /* KEYRITE_PARSE_INT_H */
