/*
 * x509 internals of the reader side: shared by parse.c (certificates),
 * csr.c (requests), ext.c (extension decoders), sigalg.c (signature
 * AlgorithmIdentifiers), and lint.c, which runs the TBSCertificate parser
 * again on the bytes that will be signed.
 *
 * Inner functions set a bare reason ("the serial number is negative");
 * kr_cert_parse() and kr_csr_parse() put the input's label in front.
 */
#ifndef KEYRITE_PARSE_INT_H
#define KEYRITE_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/x509.h>

#include "x509_int.h"

#define KR_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Room for an OID's name or dotted form in a message. */
#define KR_OID_STR_MAX	96

/* A refusal of malformed input: sets the message, gives KR_EINPUT. */
#define kr_bad(err, ...)	kr_err_set((err), KR_EINPUT, __VA_ARGS__)

/* --- parse.c --------------------------------------------------------- */

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

/* X.690 11.6: the elements of a SET OF in ascending order of encoding. */
bool		 kr_set_in_order(const struct kr_slice *,
		    const struct kr_slice *);
/*
 * Name ::= SEQUENCE OF RelativeDistinguishedName, at most
 * KR_NAME_DER_MAX bytes; `whole` gets it all, `what` names it.
 */
int		 kr_parse_name(struct kr_der *, const char *, struct kr_slice *,
		    struct kr_err *) KR_WUR;
/* SubjectPublicKeyInfo, checked by crypto/ (curve point, RSA sanity). */
int		 kr_parse_spki(struct kr_der *, struct kr_slice *,
		    struct kr_err *) KR_WUR;
/*
 * (in, len, max, labels, der, derlen, err): a size limit, then PEM with
 * one of the NULL-terminated `labels`, or DER; *der is a malloc'd copy.
 */
int		 kr_input_der(const uint8_t *, size_t, size_t,
		    const char *const *, uint8_t **, size_t *,
		    struct kr_err *) KR_WUR;
/* Bytes after the element the reader just passed. */
size_t		 kr_trailing(const struct kr_der *);

/* --- ext.c ----------------------------------------------------------- */

/*
 * Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE,
 * extnValue OCTET STRING }: reads the next one of a list into c's
 * extension list and, if keyrite knows it, decodes it into c->f.
 */
int		 kr_parse_ext(struct kr_der *, struct kr_cert *,
		    struct kr_err *) KR_WUR;
/* Whether an extension repeats an earlier one; `idx` gets the repeat. */
bool		 kr_ext_duplicate(const struct kr_cert *, size_t *);

#endif /* KEYRITE_PARSE_INT_H */
