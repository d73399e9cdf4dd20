/*
 * x509 internals, shared by der.c, name.c, gn.c, oid.c, build.c (the
 * builder side) and parse.c, lint.c, profile.c (the reader side).
 *
 * Keep this file additive: each part is owned by the file named above it.
 *
 * Reader: a strict DER reader written by hand (Mbed TLS's asn1parse
 * accepts non-minimal lengths).  It accepts only single-octet tags,
 * definite lengths in their shortest form, and contents that fit inside the
 * enclosing element.  Every function returns KR_OK or KR_EINPUT and leaves
 * the reader unchanged on failure.  No messages: the caller knows what it
 * was reading and sets one.
 *
 * Writer: helpers in the style of Mbed TLS asn1write.  DER is written
 * backwards from the end of a buffer: `*p` is the first byte written so
 * far, `start` the start of the buffer.  Each returns the number of bytes
 * it wrote or a negative Mbed TLS error (MBEDTLS_ERR_ASN1_BUF_TOO_SMALL),
 * so they compose with MBEDTLS_ASN1_CHK_ADD().
 */
#ifndef KEYRITE_X509_INT_H
#define KEYRITE_X509_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>

#include <keyrite/x509.h>

/* --- Tags (der.c) ---------------------------------------------------- */

#define KR_DER_BOOLEAN		0x01
#define KR_DER_INTEGER		0x02
#define KR_DER_BIT_STRING	0x03
#define KR_DER_OCTET_STRING	0x04
#define KR_DER_NULL		0x05
#define KR_DER_OID		0x06
#define KR_DER_UTF8_STRING	0x0c
#define KR_DER_NUMERIC_STRING	0x12
#define KR_DER_PRINTABLE_STRING	0x13
#define KR_DER_T61_STRING	0x14
#define KR_DER_IA5_STRING	0x16
#define KR_DER_VISIBLE_STRING	0x1a
#define KR_DER_UTC_TIME		0x17
#define KR_DER_GENERALIZED_TIME	0x18
#define KR_DER_UNIVERSAL_STRING	0x1c
#define KR_DER_BMP_STRING	0x1e
#define KR_DER_SEQUENCE		0x30
#define KR_DER_SET		0x31
/* [n] IMPLICIT primitive, [n] constructed (EXPLICIT or IMPLICIT SEQUENCE) */
#define KR_DER_CTX(n)		(0x80 | (n))
#define KR_DER_CTX_CONS(n)	(0xa0 | (n))

/* --- Strict reader (der.c) ------------------------------------------- */

struct kr_der {
	const uint8_t	*p;	/* next unread byte */
	const uint8_t	*end;	/* one past the last byte of this range */
};

void		 kr_der_init(struct kr_der *, const uint8_t *, size_t);
bool		 kr_der_at_end(const struct kr_der *);
/* KR_OK when every byte was read (no trailing data), else KR_EINPUT. */
int		 kr_der_done(const struct kr_der *) KR_WUR;
/* Whether the next element has this tag (false at the end). */
bool		 kr_der_peek(const struct kr_der *, uint8_t);
/*
 * Reads one element of any single-octet tag: its tag, its contents and
 * (optional, may be NULL) the whole element, tag and length included.
 */
int		 kr_der_get_any(struct kr_der *, uint8_t *, struct kr_slice *,
		    struct kr_slice *) KR_WUR;
/* Reads one element with exactly this tag; contents into the slice. */
int		 kr_der_get(struct kr_der *, uint8_t, struct kr_slice *) KR_WUR;
/* The same, also giving the whole element (for TBS, Name, SPKI...). */
int		 kr_der_get_whole(struct kr_der *, uint8_t, struct kr_slice *,
		    struct kr_slice *) KR_WUR;
/* Enters a constructed element: `sub` ranges over its contents. */
int		 kr_der_enter(struct kr_der *, uint8_t, struct kr_der *) KR_WUR;
/* BOOLEAN: contents exactly 0x00 or 0xff. */
int		 kr_der_get_bool(struct kr_der *, bool *) KR_WUR;
/*
 * INTEGER contents, minimally encoded (no 0x00 before a byte < 0x80, no
 * 0xff before a byte >= 0x80), at least one byte.  The sign is the
 * caller's to check (contents[0] & 0x80).
 */
int		 kr_der_get_integer(struct kr_der *, struct kr_slice *) KR_WUR;
/* A non-negative INTEGER that fits in an int (pathLen, version). */
int		 kr_der_get_small_int(struct kr_der *, int *) KR_WUR;
/* The same with an arbitrary tag (e.g. [2] IMPLICIT INTEGER). */
int		 kr_der_get_small_int_tag(struct kr_der *, uint8_t, int *)
		    KR_WUR;
/* OBJECT IDENTIFIER: well formed (kr_der_oid_valid), at most 32 bytes. */
int		 kr_der_get_oid(struct kr_der *, struct kr_oid *) KR_WUR;
/*
 * BIT STRING: `bits` gets the bytes after the unused-bits octet.  Refuses
 * unused > 7, unused != 0 on an empty string, and non-zero unused bits.
 */
int		 kr_der_get_bitstring(struct kr_der *, struct kr_slice *,
		    unsigned *) KR_WUR;
/* NULL with empty contents. */
int		 kr_der_get_null(struct kr_der *) KR_WUR;
/*
 * Time ::= CHOICE { utcTime, generalTime } in the RFC 5280 4.1.2.5 form:
 * UTCTime "YYMMDDHHMMSSZ" (1950..2049) or GeneralizedTime
 * "YYYYMMDDHHMMSSZ" (only for years outside 1950..2049).  Calendar
 * checked (days in month, leap years, seconds 00..59).
 */
int		 kr_der_get_time(struct kr_der *, int64_t *) KR_WUR;

/* Whether OID contents are well formed (non-empty, minimal subids). */
bool		 kr_der_oid_valid(const uint8_t *, size_t);
/* Whether OID contents equal a constant (KR_OID_* below). */
bool		 kr_oid_eq(const struct kr_oid *, const char *, size_t);
#define KR_OID_IS(oid, c)	kr_oid_eq((oid), (c), sizeof(c) - 1)

/* Dotted decimal of OID contents (oid.c); "(bad OID)" if malformed. */
void		 kr_oid_dotted(const uint8_t *, size_t, char *, size_t);

/* Calendar (der.c): seconds since 1970 <-> UTC fields. */
struct kr_tm {
	int	year, mon, day, hour, min, sec;	/* mon 1..12, day 1..31 */
};

void		 kr_time_to_tm(int64_t, struct kr_tm *);
/* Fails (KR_EINPUT) on an impossible date. */
int		 kr_tm_to_time(const struct kr_tm *, int64_t *) KR_WUR;

/* --- Backward writer (der.c) ----------------------------------------- */

/* Writes a length and tag in front of `len` bytes already written. */
int		 kr_derw_tl(uint8_t **, uint8_t *, size_t, uint8_t);
/* Writes raw bytes. */
int		 kr_derw_raw(uint8_t **, uint8_t *, const uint8_t *, size_t);
/* Writes tag, length and contents. */
int		 kr_derw_tlv(uint8_t **, uint8_t *, uint8_t, const uint8_t *,
		    size_t);
/* BOOLEAN TRUE/FALSE (0xff / 0x00). */
int		 kr_derw_bool(uint8_t **, uint8_t *, bool);
/* INTEGER for a small non-negative value, minimal. */
int		 kr_derw_small_int(uint8_t **, uint8_t *, unsigned);
/* OBJECT IDENTIFIER from contents. */
int		 kr_derw_oid(uint8_t **, uint8_t *, const uint8_t *, size_t);
/* BIT STRING from bytes and an unused-bits count. */
int		 kr_derw_bitstring(uint8_t **, uint8_t *, const uint8_t *,
		    size_t, unsigned);
/* Time in the RFC 5280 form kr_der_get_time() reads. */
int		 kr_derw_time(uint8_t **, uint8_t *, int64_t);
/*
 * Copies the `len` bytes at `p` (the front of a backward-written buffer)
 * into a new malloc'd buffer.  KR_ENOMEM on failure.
 */
int		 kr_derw_finish(const uint8_t *, size_t, uint8_t **, size_t *)
		    KR_WUR;

/* --- OIDs (oid.c): contents of the OBJECT IDENTIFIERs keyrite uses --- */

#define KR_OID_EXT_SKI		"\x55\x1d\x0e"		/* 2.5.29.14 */
#define KR_OID_EXT_KU		"\x55\x1d\x0f"		/* 2.5.29.15 */
#define KR_OID_EXT_SAN		"\x55\x1d\x11"		/* 2.5.29.17 */
#define KR_OID_EXT_BC		"\x55\x1d\x13"		/* 2.5.29.19 */
#define KR_OID_EXT_NC		"\x55\x1d\x1e"		/* 2.5.29.30 */
#define KR_OID_EXT_CRLDP	"\x55\x1d\x1f"		/* 2.5.29.31 */
#define KR_OID_EXT_POLICIES	"\x55\x1d\x20"		/* 2.5.29.32 */
#define KR_OID_EXT_AKI		"\x55\x1d\x23"		/* 2.5.29.35 */
#define KR_OID_EXT_EKU		"\x55\x1d\x25"		/* 2.5.29.37 */
/* 1.3.6.1.5.5.7.1.1 */
#define KR_OID_EXT_AIA		"\x2b\x06\x01\x05\x05\x07\x01\x01"
/* 1.3.6.1.5.5.7.48.2 */
#define KR_OID_AD_CA_ISSUERS	"\x2b\x06\x01\x05\x05\x07\x30\x02"
/* 1.3.6.1.5.5.7.2.1 */
#define KR_OID_QT_CPS		"\x2b\x06\x01\x05\x05\x07\x02\x01"
#define KR_OID_ANY_POLICY	"\x55\x1d\x20\x00"	/* 2.5.29.32.0 */
#define KR_OID_ANY_EKU		"\x55\x1d\x25\x00"	/* 2.5.29.37.0 */
#define KR_OID_KP_SERVER_AUTH	"\x2b\x06\x01\x05\x05\x07\x03\x01"
#define KR_OID_KP_CLIENT_AUTH	"\x2b\x06\x01\x05\x05\x07\x03\x02"
#define KR_OID_KP_CODE_SIGNING	"\x2b\x06\x01\x05\x05\x07\x03\x03"
#define KR_OID_KP_EMAIL		"\x2b\x06\x01\x05\x05\x07\x03\x04"
#define KR_OID_KP_TIME_STAMPING	"\x2b\x06\x01\x05\x05\x07\x03\x08"
#define KR_OID_KP_OCSP_SIGNING	"\x2b\x06\x01\x05\x05\x07\x03\x09"

/* Signature and key algorithms */
/* 1.2.840.10045.4.3.2 */
#define KR_OID_ECDSA_SHA256	"\x2a\x86\x48\xce\x3d\x04\x03\x02"
/* 1.2.840.10045.4.3.3 */
#define KR_OID_ECDSA_SHA384	"\x2a\x86\x48\xce\x3d\x04\x03\x03"
/* 1.2.840.113549.1.1.11 */
#define KR_OID_RSA_SHA256	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b"
#define KR_OID_RSA_SHA384	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c" /* .12 */
#define KR_OID_RSA_SHA512	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d" /* .13 */
#define KR_OID_RSASSA_PSS	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a" /* .10 */
#define KR_OID_MGF1		"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x08" /* .8 */
/* 2.16.840.1.101.3.4.2.1 */
#define KR_OID_SHA256		"\x60\x86\x48\x01\x65\x03\x04\x02\x01"
#define KR_OID_SHA384		"\x60\x86\x48\x01\x65\x03\x04\x02\x02"
#define KR_OID_SHA512		"\x60\x86\x48\x01\x65\x03\x04\x02\x03"
#define KR_OID_ED25519		"\x2b\x65\x70"		/* 1.3.101.112 */

/* Name attribute types */
#define KR_OID_AT_CN		"\x55\x04\x03"		/* 2.5.4.3 */
#define KR_OID_AT_SERIAL	"\x55\x04\x05"
#define KR_OID_AT_C		"\x55\x04\x06"
#define KR_OID_AT_L		"\x55\x04\x07"
#define KR_OID_AT_ST		"\x55\x04\x08"
#define KR_OID_AT_O		"\x55\x04\x0a"
#define KR_OID_AT_OU		"\x55\x04\x0b"
/* 0.9.2342.19200300.100.1.25 */
#define KR_OID_AT_DC		"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19"
/* 1.2.840.113549.1.9.1 */
#define KR_OID_AT_EMAIL		"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01"

/* --- Signature algorithms (build.c) ---------------------------------- */

/* The signature algorithm an AlgorithmIdentifier names (strict: PSS
 * parameters must be exactly what kr_sig_alg_id() writes).  KR_EINPUT if
 * keyrite does not know it.  Compares bytes with kr_sig_alg_id(). */
int		 kr_sig_alg_from_id(const uint8_t *, size_t, enum kr_sig_alg *)
		    KR_WUR;

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
