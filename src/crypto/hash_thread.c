/*
 * Hashes computed on a second thread, for the long passes of one command
 * on a two-core laptop:
 *
 * - a job hashes a whole buffer the caller keeps unchanged until it asks
 *   for the digest (the CRL's TBS while the custodians' shares are
 *   stretched; the signed CRL while its recorded copy is written);
 * - a pipe takes data in small appends, gathers it in one of two buffers
 *   and hands each full buffer to its thread while the caller fills the
 *   other (the CRL builder proving a million rows while SQLite reads the
 *   next ones).
 *
 * Both give the digest kr_hash() would.  When no thread can be started
 * the work is done on the caller's thread instead: slower, same result.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>

/* Whole buffers */

struct kr_hash_job {
	enum kr_hash_alg	 alg;
	const uint8_t		*p;
	size_t			 len;
	uint8_t			 digest[KR_HASH_MAX_BYTES];
	int			 ret;
	bool			 threaded;
	pthread_t		 tid;
};

static void *
hash_job_main(void *arg)
{
	struct kr_hash_job	*j = arg;

	j->ret = kr_hash(j->alg, j->p, j->len, j->digest);
	return NULL;
}

int
kr_hash_job_start(struct kr_hash_job **out, enum kr_hash_alg alg,
    const void *data, size_t len)
{
	struct kr_hash_job	*j;

	*out = NULL;
	if (kr_hash_len(alg) == 0)
		return KR_EINTERNAL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return KR_ENOMEM;
	j->alg = alg;
	j->p = data;
	j->len = len;
	j->threaded = kr_thread_start(&j->tid, hash_job_main, j);
	*out = j;
	return KR_OK;
}

int
kr_hash_job_finish(struct kr_hash_job **jp, uint8_t *digest)
{
	struct kr_hash_job	*j = *jp;
	int			 ret;

	if (j == NULL)
		return KR_EINTERNAL;
	if (j->threaded)
		(void)pthread_join(j->tid, NULL);
	else
		hash_job_main(j);
	ret = j->ret;
	if (ret == KR_OK && digest != NULL)
		memcpy(digest, j->digest, kr_hash_len(j->alg));
	free(j);
	*jp = NULL;
	return ret;
}

/* Waits for a job and drops it and its digest; NULL is fine. */
void
kr_hash_job_cancel(struct kr_hash_job **jp)
{
	if (*jp != NULL && kr_hash_job_finish(jp, NULL) != KR_OK)
		*jp = NULL;	/* finish has freed it either way */
}

/* Streams */

#define PIPE_CHUNK	(256 * 1024)

struct kr_hash_pipe {
	struct kr_hash		 h;
	uint8_t			*buf[2];
	int			 fill;		/* the buffer the caller fills */
	size_t			 n;		/* bytes in it */
	/* Shared with the thread, under mu: */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	const uint8_t		*given;		/* handed over, not yet hashed */
	size_t			 given_len;
	bool			 closing;
	bool			 threaded;
	pthread_t		 tid;
};

static void *
hash_pipe_main(void *arg)
{
	struct kr_hash_pipe	*hp = arg;
	const uint8_t		*p;
	size_t			 len;

	(void)pthread_mutex_lock(&hp->mu);
	for (;;) {
		while (hp->given == NULL && !hp->closing)
			(void)pthread_cond_wait(&hp->cv, &hp->mu);
		if (hp->given == NULL)
			break;
		p = hp->given;
		len = hp->given_len;
		(void)pthread_mutex_unlock(&hp->mu);
		kr_hash_update(&hp->h, p, len);
		(void)pthread_mutex_lock(&hp->mu);
		hp->given = NULL;
		(void)pthread_cond_broadcast(&hp->cv);
	}
	(void)pthread_mutex_unlock(&hp->mu);
	return NULL;
}

int
kr_hash_pipe_new(struct kr_hash_pipe **out, enum kr_hash_alg alg)
{
	struct kr_hash_pipe	*hp;

	*out = NULL;
	if ((hp = calloc(1, sizeof(*hp))) == NULL)
		return KR_ENOMEM;
	if ((hp->buf[0] = malloc(2 * (size_t)PIPE_CHUNK)) == NULL) {
		free(hp);
		return KR_ENOMEM;
	}
	hp->buf[1] = hp->buf[0] + PIPE_CHUNK;
	if (kr_hash_init(&hp->h, alg) != KR_OK) {
		free(hp->buf[0]);
		free(hp);
		return KR_EINTERNAL;
	}
	(void)pthread_mutex_init(&hp->mu, NULL);
	(void)pthread_cond_init(&hp->cv, NULL);
	hp->threaded = kr_thread_start(&hp->tid, hash_pipe_main, hp);
	*out = hp;
	return KR_OK;
}

/* Hands the filled buffer over (once the previous one is hashed). */
static void
hash_pipe_give(struct kr_hash_pipe *hp)
{
	if (hp->n == 0)
		return;
	if (!hp->threaded) {
		kr_hash_update(&hp->h, hp->buf[hp->fill], hp->n);
		hp->n = 0;
		return;
	}
	(void)pthread_mutex_lock(&hp->mu);
	while (hp->given != NULL)
		(void)pthread_cond_wait(&hp->cv, &hp->mu);
	hp->given = hp->buf[hp->fill];
	hp->given_len = hp->n;
	(void)pthread_cond_broadcast(&hp->cv);
	(void)pthread_mutex_unlock(&hp->mu);
	hp->fill ^= 1;
	hp->n = 0;
}

void
kr_hash_pipe_update(struct kr_hash_pipe *hp, const void *data, size_t len)
{
	const uint8_t	*q = data;
	size_t		 take;

	while (len > 0) {
		take = PIPE_CHUNK - hp->n;
		if (take > len)
			take = len;
		memcpy(hp->buf[hp->fill] + hp->n, q, take);
		hp->n += take;
		q += take;
		len -= take;
		if (hp->n == PIPE_CHUNK)
			hash_pipe_give(hp);
	}
}

/* Waits for the thread, then writes the digest (unless NULL) and frees. */
void
kr_hash_pipe_final(struct kr_hash_pipe **hpp, uint8_t *digest)
{
	struct kr_hash_pipe	*hp = *hpp;
	uint8_t			 d[KR_HASH_MAX_BYTES];
	size_t			 dlen;

	if (hp == NULL)
		return;
	dlen = kr_hash_len((enum kr_hash_alg)hp->h.alg);
	hash_pipe_give(hp);
	if (hp->threaded) {
		(void)pthread_mutex_lock(&hp->mu);
		hp->closing = true;
		(void)pthread_cond_broadcast(&hp->cv);
		(void)pthread_mutex_unlock(&hp->mu);
		(void)pthread_join(hp->tid, NULL);
	}
	kr_hash_final(&hp->h, d);
	if (digest != NULL)
		memcpy(digest, d, dlen);
	sodium_memzero(d, sizeof(d));
	(void)pthread_cond_destroy(&hp->cv);
	(void)pthread_mutex_destroy(&hp->mu);
	free(hp->buf[0]);
	free(hp);
	*hpp = NULL;
}
