/*
 * x509 internals, shared by name.c, gn.c, build.c, sigalg.c (the builder
 * side) and parse.c, csr.c, ext.c, lint.c, nc.c, profile.c (the reader
 * side).  The DER reader and
 * writer they all use is src/der (include/keyrite/der.h).
 *
 * Keep this file additive: each part is owned by the file named above it.
 */
#ifndef KEYRITE_X509_INT_H
#define KEYRITE_X509_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/der.h>
#include <keyrite/x509.h>

/* --- Signature algorithms (sigalg.c) --------------------------------- */

/* Writes the AlgorithmIdentifier of a signature algorithm. */
int		 kr_derw_sig_alg(uint8_t **, uint8_t *, enum kr_sig_alg);

/* The signature algorithm an AlgorithmIdentifier names (strict: PSS
 * parameters must be exactly what kr_sig_alg_id() writes).  KR_EINPUT if
 * keyrite does not know it.  Compares bytes with kr_sig_alg_id(). */
int		 kr_sig_alg_from_id(const uint8_t *, size_t, enum kr_sig_alg *)
		    KR_WUR;
/*
 * The same, reading any parameters RFC 4055 allows for PSS (NULL or absent
 * hash parameters) and saying in `err` why an algorithm is refused.
 */
int		 kr_parse_sig_alg(const struct kr_slice *, enum kr_sig_alg *,
		    struct kr_err *) KR_WUR;

/* --- CRLs (crl.c): rules the builder and the parser share ----------- */

/* A reason code keyrite writes and reads (KR_REASON_NONE, 0..10 but 7). */
bool		 kr_crl_reason_valid(int);
/* A minimal INTEGER encoding of a non-negative value, 1..max octets. */
bool		 kr_crl_uint_ok(const uint8_t *, size_t, size_t);
/* The same, and not zero: a certificate serial number. */
bool		 kr_crl_serial_ok(const uint8_t *, size_t);

/* --- General names (gn.c) -------------------------------------------- */

/* Writes one GeneralName (the CHOICE, with its context tag). */
int		 kr_derw_gn(uint8_t **, uint8_t *, const struct kr_gn *);
/*
 * Reads one GeneralName of the kinds enum kr_gn_type knows.  `constraint`:
 * an iPAddress is address+mask (8 or 32 bytes), else 4 or 16.  Text kinds
 * must be IA5 (printable ASCII, no NUL).  KR_ENOENT for a kind keyrite
 * does not model (otherName, x400Address...), so callers can skip it or
 * refuse it; KR_EINPUT for a malformed one.
 */
int		 kr_der_get_gn(struct kr_der *, bool, struct kr_gn *) KR_WUR;

/* --- Name constraints (nc.c) ---------------------------------------- */

/*
 * kr_nc_permits() for a name given by type and value (a subject may be
 * longer than a general name can hold).
 */
bool		 kr_nc_check(const struct kr_cert_fields *, enum kr_gn_type,
		    const uint8_t *, size_t);

/* --- Names (name.c) -------------------------------------------------- */

/* The short name for an attribute OID ("CN"), or NULL if unknown. */
const char	*kr_dn_attr_name(const struct kr_oid *);
/*
 * Whether DER is exactly one well-formed Name: SEQUENCE OF non-empty SET
 * OF SEQUENCE { OID, one element }, SET OF in DER order, at most
 * KR_NAME_DER_MAX bytes.  Attribute values are not checked.
 */
bool		 kr_dn_valid(const uint8_t *, size_t);
/*
 * Names a person reads: the first attribute value holding a control (C0,
 * DEL, C1) or a bidirectional control, or one that cannot be read as its
 * string type (invalid UTF-8, a BMPString of odd length).  Returns false
 * and fills `t` when there is one.  A malformed Name passes here (the
 * strict parsers refuse it).
 */
struct kr_dn_text {
	bool		 found;
	bool		 bad_encoding;	/* else cp is the control */
	uint32_t	 cp;
	char		 attr[96];	/* "CN", or the dotted OID */
	const char	*type;		/* "UTF8String", "BMPString", ... */
};
bool		 kr_dn_text_ok(const uint8_t *, size_t, struct kr_dn_text *);

#endif /* KEYRITE_X509_INT_H */
