/*
 * Secure memory: every secret that outlives a function lives here.
 */
#include <sodium.h>

#include <keyrite/base.h>

void *
kr_secure_alloc(size_t len)
{
	void	*p;

	/* sodium_init is idempotent and must precede sodium_malloc. */
	if (sodium_init() < 0)
		return NULL;
	if (len == 0)
		len = 1;
	p = sodium_malloc(len);
	if (p != NULL)
		sodium_memzero(p, len);
	return p;
}

/* sodium_free wipes the whole allocation before unmapping it. */
void
kr_secure_free(void *p)
{
	if (p != NULL)
		sodium_free(p);
}

void
kr_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		sodium_memzero(p, len);
}

bool
kr_ct_equal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}
