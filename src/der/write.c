/*
 * The backward DER writer (include/keyrite/der.h): each helper writes in
 * front of what is already written, as Mbed TLS asn1write does, and
 * returns the bytes it wrote or a negative Mbed TLS error.
 */
#include <stdlib.h>
#include <string.h>

#include <keyrite/der.h>

int
kr_derw_tl(uint8_t **p, uint8_t *start, size_t len, uint8_t tag)
{
	int	ret;
	size_t	n = 0;

	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_tag(p, start, tag));
	return (int)n;
}

int
kr_derw_raw(uint8_t **p, uint8_t *start, const uint8_t *buf, size_t len)
{
	if (len > (size_t)(*p - start))
		return MBEDTLS_ERR_ASN1_BUF_TOO_SMALL;
	*p -= len;
	if (len > 0)
		memcpy(*p, buf, len);
	return (int)len;
}

int
kr_derw_tlv(uint8_t **p, uint8_t *start, uint8_t tag, const uint8_t *buf,
    size_t len)
{
	int	ret;
	size_t	n = 0;

	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_raw(p, start, buf, len));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_tl(p, start, n, tag));
	return (int)n;
}

int
kr_derw_bool(uint8_t **p, uint8_t *start, bool v)
{
	uint8_t	b = v ? 0xff : 0x00;

	return kr_derw_tlv(p, start, KR_DER_BOOLEAN, &b, 1);
}

int
kr_derw_small_int(uint8_t **p, uint8_t *start, unsigned v)
{
	uint8_t	b[5];
	size_t	n = 0;

	do {
		b[sizeof(b) - 1 - n++] = v & 0xff;
		v >>= 8;
	} while (v != 0);
	if (b[sizeof(b) - n] & 0x80)
		b[sizeof(b) - 1 - n++] = 0x00;
	return kr_derw_tlv(p, start, KR_DER_INTEGER, b + sizeof(b) - n, n);
}

int
kr_derw_oid(uint8_t **p, uint8_t *start, const uint8_t *oid, size_t len)
{
	return kr_derw_tlv(p, start, KR_DER_OID, oid, len);
}

int
kr_derw_bitstring(uint8_t **p, uint8_t *start, const uint8_t *buf,
    size_t len, unsigned unused)
{
	int	ret;
	size_t	n = 0;
	uint8_t	u = (uint8_t)unused;

	if (unused > 7 || (len == 0 && unused != 0))
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_raw(p, start, buf, len));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_raw(p, start, &u, 1));
	MBEDTLS_ASN1_CHK_ADD(n, kr_derw_tl(p, start, n, KR_DER_BIT_STRING));
	return (int)n;
}


int
kr_derw_uint(uint8_t **p, uint8_t *start, const uint8_t *v, size_t n)
{
	int	ret;
	size_t	len = 0;

	while (n > 0 && v[0] == 0) {
		v++;
		n--;
	}
	if (n == 0)
		return 0;
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_raw(p, start, v, n));
	if ((v[0] & 0x80) != 0)
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_raw(p, start,
		    (const uint8_t *)"", 1));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_INTEGER));
	return (int)len;
}

/*
 * Extension ::= SEQUENCE {
 *      extnID      OBJECT IDENTIFIER,
 *      critical    BOOLEAN DEFAULT FALSE,
 *      extnValue   OCTET STRING }
 */
int
kr_derw_ext(uint8_t **p, uint8_t *start, size_t len, const uint8_t *oid,
    size_t olen, bool critical)
{
	int	ret;

	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len,
	    KR_DER_OCTET_STRING));
	if (critical)
		MBEDTLS_ASN1_CHK_ADD(len, kr_derw_bool(p, start, true));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_oid(p, start, oid, olen));
	MBEDTLS_ASN1_CHK_ADD(len, kr_derw_tl(p, start, len, KR_DER_SEQUENCE));
	return (int)len;
}

int
kr_derw_finish(const uint8_t *p, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t	*b;

	if ((b = malloc(len > 0 ? len : 1)) == NULL)
		return KR_ENOMEM;
	memcpy(b, p, len);
	*out = b;
	*outlen = len;
	return KR_OK;
}
