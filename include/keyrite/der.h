/*
 * keyrite der: the one DER reader and writer every module uses, and the
 * small pieces of ASN.1 that several formats share.
 *
 *   read.c     strict reader (shortest lengths, minimal INTEGERs, ...)
 *   write.c    backward writer helpers, Extension wrapping
 *   time.c     calendar, UTCTime / GeneralizedTime read and written
 *   oid.c      OBJECT IDENTIFIERs: dotted text, well-known names
 *   uri.c      the rule for a URI keyrite writes or accepts
 *
 * Reader: written by hand because Mbed TLS's asn1parse accepts lengths
 * that are not in their shortest form.  It accepts only single-octet tags,
 * definite lengths in their shortest form, and contents that fit inside
 * the enclosing element.  Every function returns KR_OK or KR_EINPUT and
 * leaves the reader unchanged on failure.  No messages: the caller knows
 * what it was reading and sets one.
 *
 * Writer: helpers in the style of Mbed TLS asn1write.  DER is written
 * backwards from the end of a buffer: `*p` is the first byte written so
 * far, `start` the start of the buffer.  Each returns the number of bytes
 * it wrote or a negative Mbed TLS error (MBEDTLS_ERR_ASN1_BUF_TOO_SMALL),
 * so they compose with MBEDTLS_ASN1_CHK_ADD().
 */
#ifndef KEYRITE_DER_H
#define KEYRITE_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>

#include <keyrite/base.h>

/* A byte range inside a buffer owned by someone else. */
struct kr_slice {
	const uint8_t	*p;
	size_t		 len;
};

/* An OBJECT IDENTIFIER in DER content form (no tag, no length). */
struct kr_oid {
	uint8_t	der[32];
	size_t	len;
};

/* --- Tags ------------------------------------------------------------ */

#define KR_DER_BOOLEAN		0x01
#define KR_DER_INTEGER		0x02
#define KR_DER_BIT_STRING	0x03
#define KR_DER_OCTET_STRING	0x04
#define KR_DER_NULL		0x05
#define KR_DER_OID		0x06
#define KR_DER_ENUMERATED	0x0a
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

/* --- Strict reader (read.c) ------------------------------------------ */

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
int		 kr_der_get_any(struct kr_der *d, uint8_t *tag,
		    struct kr_slice *content, struct kr_slice *whole) KR_WUR;
/* Reads one element with exactly this tag; contents into the slice. */
int		 kr_der_get(struct kr_der *, uint8_t, struct kr_slice *) KR_WUR;
/* The same, also giving the whole element (for TBS, Name, SPKI...). */
int		 kr_der_get_whole(struct kr_der *d, uint8_t tag,
		    struct kr_slice *content, struct kr_slice *whole) KR_WUR;
/* Enters a constructed element: `sub` ranges over its contents. */
int		 kr_der_enter(struct kr_der *d, uint8_t tag, struct kr_der *sub)
		    KR_WUR;
/* BOOLEAN: contents exactly 0x00 or 0xff. */
int		 kr_der_get_bool(struct kr_der *, bool *) KR_WUR;
/*
 * INTEGER contents, minimally encoded (no 0x00 before a byte < 0x80, no
 * 0xff before a byte >= 0x80), at least one byte.  The sign is the
 * caller's to check (contents[0] & 0x80).
 */
int		 kr_der_get_integer(struct kr_der *, struct kr_slice *) KR_WUR;
/*
 * A positive, non-zero INTEGER of at most `max` value bytes, written
 * left-padded with zeros into out[max] (ECDSA's r and s).
 */
int		 kr_der_get_uint_fixed(struct kr_der *, size_t, uint8_t *)
		    KR_WUR;
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

/* --- Backward writer (write.c) --------------------------------------- */

/* Writes a length and tag in front of `len` bytes already written. */
int		 kr_derw_tl(uint8_t **p, uint8_t *start, size_t len,
		    uint8_t tag);
/* Writes raw bytes. */
int		 kr_derw_raw(uint8_t **p, uint8_t *start, const uint8_t *buf,
		    size_t len);
/* Writes tag, length and contents. */
int		 kr_derw_tlv(uint8_t **p, uint8_t *start, uint8_t tag,
		    const uint8_t *buf, size_t len);
/* BOOLEAN TRUE/FALSE (0xff / 0x00). */
int		 kr_derw_bool(uint8_t **, uint8_t *, bool);
/* INTEGER for a small non-negative value, minimal. */
int		 kr_derw_small_int(uint8_t **, uint8_t *, unsigned);
/* INTEGER for a non-negative big-endian value, minimal; 0 if it is 0. */
int		 kr_derw_uint(uint8_t **p, uint8_t *start, const uint8_t *v,
		    size_t n);
/* OBJECT IDENTIFIER from contents. */
int		 kr_derw_oid(uint8_t **p, uint8_t *start, const uint8_t *oid,
		    size_t len);
/* BIT STRING from bytes and an unused-bits count. */
int		 kr_derw_bitstring(uint8_t **p, uint8_t *start,
		    const uint8_t *buf, size_t len, unsigned unused);
/*
 * Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER,
 *	critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 * Wraps the `len` bytes of value already written (the OCTET STRING's
 * contents) with the OID contents given; DER leaves out the DEFAULT, so
 * FALSE is never written.
 */
int		 kr_derw_ext(uint8_t **p, uint8_t *start, size_t len,
		    const uint8_t *oid, size_t olen, bool critical);
/*
 * Copies the `len` bytes at `p` (the front of a backward-written buffer)
 * into a new malloc'd buffer.  KR_ENOMEM on failure.
 */
int		 kr_derw_finish(const uint8_t *, size_t, uint8_t **, size_t *)
		    KR_WUR;

/* --- Times (time.c) -------------------------------------------------- */

/* The seconds GeneralizedTime can say: years 0000 to 9999. */
#define KR_DER_TIME_MIN		(-62167219200LL)	/* 0000-01-01 */
#define KR_DER_TIME_MAX		253402300799LL		/* 9999-12-31 */

/* Whether a time lies in KR_DER_TIME_MIN..KR_DER_TIME_MAX. */
bool		 kr_der_time_ok(int64_t);

/* Calendar: seconds since 1970 <-> UTC fields. */
struct kr_tm {
	int	year, mon, day, hour, min, sec;	/* mon 1..12, day 1..31 */
};

void		 kr_time_to_tm(int64_t, struct kr_tm *);
/* Fails (KR_EINPUT) on an impossible date. */
int		 kr_tm_to_time(const struct kr_tm *, int64_t *) KR_WUR;

/*
 * Time ::= CHOICE { utcTime, generalTime } in the RFC 5280 4.1.2.5 form:
 * UTCTime "YYMMDDHHMMSSZ" (1950..2049) or GeneralizedTime
 * "YYYYMMDDHHMMSSZ" (only for years outside 1950..2049).  Calendar
 * checked (days in month, leap years, seconds 00..59).
 */
int		 kr_der_get_time(struct kr_der *, int64_t *) KR_WUR;
/* GeneralizedTime "YYYYMMDDHHMMSSZ" whatever the year, the same checks. */
int		 kr_der_get_gentime(struct kr_der *, int64_t *) KR_WUR;
/*
 * The contents of a UTCTime "YYMMDDHHMMSSZ" or, with tag
 * KR_DER_GENERALIZED_TIME, a GeneralizedTime "YYYYMMDDHHMMSSZ" in any
 * year (OpenSSL's index.txt holds them as text).
 */
int		 kr_der_time_text(uint8_t tag, const uint8_t *p, size_t len,
		    int64_t *t) KR_WUR;
/* Time in the RFC 5280 form kr_der_get_time() reads. */
int		 kr_derw_time(uint8_t **, uint8_t *, int64_t);
/* GeneralizedTime "YYYYMMDDHHMMSSZ" whatever the year (RFC 5280 5.3.2). */
int		 kr_derw_gentime(uint8_t **, uint8_t *, int64_t);

/* --- OBJECT IDENTIFIERs (oid.c) -------------------------------------- */

/* Whether OID contents are well formed (non-empty, minimal subids). */
bool		 kr_der_oid_valid(const uint8_t *, size_t);
/* Whether OID contents equal a constant (KR_OID_* below). */
bool		 kr_oid_eq(const struct kr_oid *, const char *, size_t);
#define KR_OID_IS(oid, c)	kr_oid_eq((oid), (c), sizeof(c) - 1)

/* "1.3.6.1.5.5.7.3.3" or a known name ("codeSigning") -> OID. */
int		 kr_oid_parse(const char *, struct kr_oid *, struct kr_err *)
		    KR_WUR;
/* The known name ("codeSigning"), else the dotted form. */
void		 kr_oid_format(const struct kr_oid *, char *, size_t);
/* Dotted decimal of OID contents; "(bad OID)" if malformed. */
void		 kr_oid_dotted(const uint8_t *der, size_t len, char *out,
		    size_t outsz);

/* Contents of the OBJECT IDENTIFIERs keyrite uses. */

/* Certificate extensions */
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
/* 1.3.6.1.5.5.7.48.1 */
#define KR_OID_AD_OCSP		"\x2b\x06\x01\x05\x05\x07\x30\x01"
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

/* CRL and CRL entry extensions */
#define KR_OID_CRL_NUMBER	"\x55\x1d\x14"		/* 2.5.29.20 */
#define KR_OID_REASON_CODE	"\x55\x1d\x15"		/* 2.5.29.21 */
#define KR_OID_INVALIDITY	"\x55\x1d\x18"		/* 2.5.29.24 */
#define KR_OID_DELTA_INDICATOR	"\x55\x1d\x1b"		/* 2.5.29.27 */
#define KR_OID_IDP		"\x55\x1d\x1c"		/* 2.5.29.28 */
#define KR_OID_CERT_ISSUER	"\x55\x1d\x1d"		/* 2.5.29.29 */
#define KR_OID_FRESHEST		"\x55\x1d\x2e"		/* 2.5.29.46 */

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

/* --- SubjectPublicKeyInfo -------------------------------------------- */

/*
 * An Ed25519 SubjectPublicKeyInfo (RFC 8410) has one encoding: this
 * prefix, SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused
 * bits) }, then the 32-byte public key.
 */
#define KR_ED25519_SPKI_PREFIX \
	"\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00"
#define KR_ED25519_SPKI_PREFIX_BYTES	12
#define KR_ED25519_SPKI_BYTES		44

/* --- URIs (uri.c) ---------------------------------------------------- */

/*
 * A URI keyrite writes into a certificate or CRL: shorter than `cap`
 * bytes, printable ASCII without spaces, and "scheme:rest" with a scheme
 * of a letter then letters, digits, '+', '-' or '.' (RFC 3986 3.1) and a
 * non-empty rest.  `s` need not be terminated within `cap` bytes.
 */
bool		 kr_der_uri_ok(const char *, size_t);

#endif /* KEYRITE_DER_H */
