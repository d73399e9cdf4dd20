/*
 * An artifact written on a second thread while the caller records it.
 * The bytes go out through a media stream (allow-list, private key scan,
 * a file with no name yet) and are synced; the file gets its name only
 * when the caller finishes with commit, after its record.  A CRL of tens
 * of megabytes is released this way while its recorded copy is written
 * and the record committed.  With no thread to be had, the write happens
 * on the caller's thread at finish: slower, same result.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "media_int.h"

struct kr_media_bg {
	struct kr_media_stream	 s;
	const void		*data;
	size_t			 len;
	int			 ret;
	struct kr_err		 err;
	bool			 threaded;
	pthread_t		 tid;
};

static void *
kr_media_bg_main(void *arg)
{
	struct kr_media_bg	*b = arg;

	b->ret = kr_media_stream_write(&b->s, b->data, b->len, &b->err);
	/* Early, beside the caller's work; commit syncs again (cheaply). */
	if (b->ret == KR_OK)
		(void)fsync(b->s.out.fd);
	return NULL;
}

int
kr_media_bg_start(struct kr_media_bg **out, enum kr_artifact type,
    const char *path, const void *data, size_t len, unsigned flags,
    struct kr_err *err)
{
	struct kr_media_bg	*b;
	int			 ret;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_media_stream_open(&b->s, type, path, flags, err)) !=
	    KR_OK) {
		free(b);
		return ret;
	}
	b->data = data;
	b->len = len;
	b->threaded = kr_thread_start(&b->tid, kr_media_bg_main, b);
	*out = b;
	return KR_OK;
}

int
kr_media_bg_finish(struct kr_media_bg **bp, bool commit, struct kr_err *err)
{
	struct kr_media_bg	*b = *bp;
	int			 ret = KR_OK;

	if (b == NULL)
		return KR_OK;
	if (b->threaded)
		(void)pthread_join(b->tid, NULL);
	else
		(void)kr_media_bg_main(b);
	if (b->ret != KR_OK) {
		*err = b->err;
		ret = b->ret;
	} else if (commit)
		ret = kr_media_stream_commit(&b->s, err);
	kr_media_stream_abort(&b->s);
	free(b);
	*bp = NULL;
	return ret;
}

/* Waits, leaves nothing, and drops whatever went wrong; NULL is fine. */
void
kr_media_bg_cancel(struct kr_media_bg **bp)
{
	struct kr_err	ignored;

	if (kr_media_bg_finish(bp, false, &ignored) != KR_OK)
		kr_err_clear(&ignored);
}
