/*
 * Secure memory: every secret that outlives a function lives here.  And
 * bulk memory, for large public buffers.
 */
#include <sys/mman.h>

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

static void *
kr_bulk_map(void *p, size_t len)
{
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	/* Advice only: without huge pages the mapping works as well. */
	(void)madvise(p, len, MADV_HUGEPAGE);
#endif
	return p;
}

void *
kr_bulk_alloc(size_t len)
{
	if (len == 0)
		len = 1;
	return kr_bulk_map(mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), len);
}

void *
kr_bulk_realloc(void *p, size_t oldlen, size_t newlen)
{
	if (p == NULL)
		return kr_bulk_alloc(newlen);
	return kr_bulk_map(mremap(p, oldlen, newlen, MREMAP_MAYMOVE), newlen);
}

void
kr_bulk_free(void *p, size_t len)
{
	if (p != NULL)
		(void)munmap(p, len > 0 ? len : 1);
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
