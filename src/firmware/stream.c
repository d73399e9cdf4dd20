/*
 * Images in fixed memory: opening and reading inputs, hashing them
 * streaming with a reader thread ahead of the hashes, and writing outputs
 * that embed the input (MCUboot images, RAUC bundles) without holding it,
 * into the caller's sink (struct kr_fw_output): no file is made here.
 *
 * The stream is a ring of KR_FW_NBUF buffers of KR_FW_CHUNK bytes.  A
 * reader thread fills them in order; each consumer (sink 0 and the output
 * callback on the calling thread, the sinks between the first and the
 * last on a thread each) takes them in the same order; a buffer is
 * refilled once every consumer is done with it.  With two sinks or more
 * the reader itself feeds the last one right after each read, while the
 * bytes are in its cache.  One mutex and one condition variable guard the
 * ring; a failure anywhere sets `failed` and every thread stops.
 *
 * Measured on the 2-core machine this was written on: reading ahead in a
 * thread makes one SHA-256 as fast as `openssl dgst`; hashing in a thread
 * of its own beside a second hash gains little when the two cores are
 * really one core's two threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware_int.h"

/* Progress is reported every this many chunks, and at the end. */
#define KR_FW_PROGRESS_EVERY	16

/* ---- inputs ------------------------------------------------------------ */

static int
open_error(const char *path, int e, struct kr_err *err)
{
	if (e == ENOENT || e == ENOTDIR)
		return kr_err_set(err, KR_ENOENT, "image %s does not exist; "
		    "check the path (and that the medium is mounted)", path);
	if (e == ELOOP)
		return kr_err_set(err, KR_EINPUT, "image %s is a symbolic "
		    "link; give the path of the file itself", path);
	return kr_err_set(err, KR_EIO, "cannot open image %s: %s", path,
	    strerror(e));
}

int
kr_fw_input_open(struct kr_fw_input *in, const char *path,
    struct kr_err *err)
{
	struct stat	st;
	int		fd, ret = KR_EINPUT;

	memset(in, 0, sizeof(*in));
	in->fd = -1;
	in->label = path;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd < 0)
		return open_error(path, errno, err);
	if (fstat(fd, &st) != 0) {
		ret = kr_err_set(err, KR_EIO, "cannot read image %s: %s",
		    path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = kr_err_set(err, KR_EINPUT, "image %s is not a regular "
		    "file", path);
		goto fail;
	}
	if (st.st_size <= 0) {
		ret = kr_err_set(err, KR_EINPUT, "image %s is empty: there "
		    "is nothing to sign", path);
		goto fail;
	}
	if ((uint64_t)st.st_size > KR_FW_IMAGE_MAX) {
		ret = kr_err_set(err, KR_EINPUT, "image %s is %lld bytes, "
		    "more than keyrite signs (%llu)", path,
		    (long long)st.st_size,
		    (unsigned long long)KR_FW_IMAGE_MAX);
		goto fail;
	}
	(void)fcntl(fd, F_SETFL, 0);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	in->fd = fd;
	in->size = (uint64_t)st.st_size;
	in->dev = st.st_dev;
	in->ino = st.st_ino;
	in->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
	    st.st_mtim.tv_nsec;
	return KR_OK;
fail:
	(void)close(fd);
	return ret;
}

int
kr_fw_input_buf(struct kr_fw_input *in, const char *label,
    const uint8_t *buf, size_t len, struct kr_err *err)
{
	memset(in, 0, sizeof(*in));
	in->fd = -1;
	in->label = label != NULL ? label : "(image in memory)";
	if (buf == NULL || len == 0)
		return kr_err_set(err, KR_EINPUT, "image %s is empty: there "
		    "is nothing to sign", in->label);
	if ((uint64_t)len > KR_FW_IMAGE_MAX)
		return kr_err_set(err, KR_EINPUT, "image %s is too large",
		    in->label);
	in->buf = buf;
	in->size = len;
	return KR_OK;
}

void
kr_fw_input_close(struct kr_fw_input *in)
{
	if (in == NULL)
		return;
	if (in->fd >= 0)
		(void)close(in->fd);
	in->fd = -1;
}

int
kr_fw_input_pread(struct kr_fw_input *in, uint64_t off, void *dst,
    size_t len, struct kr_err *err)
{
	uint8_t	*p = dst;
	ssize_t	 n;

	if (off > in->size || len > in->size - off)
		return kr_err_set(err, KR_EINPUT, "image %s: a read at %llu "
		    "would pass its end (%llu bytes)", in->label,
		    (unsigned long long)off, (unsigned long long)in->size);
	if (in->fd < 0) {
		memcpy(dst, in->buf + off, len);
		return KR_OK;
	}
	while (len > 0) {
		n = pread(in->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kr_err_set(err, KR_EIO, "cannot read image %s: "
			    "%s", in->label, strerror(errno));
		if (n == 0)
			return kr_err_set(err, KR_EINPUT, "image %s got "
			    "shorter while it was read; sign it again once "
			    "nothing writes to it", in->label);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return KR_OK;
}

int
kr_fw_input_unchanged(struct kr_fw_input *in, struct kr_err *err)
{
	struct stat	st;
	int64_t		mt;

	if (in->fd < 0)
		return KR_OK;
	if (fstat(in->fd, &st) != 0)
		return kr_err_set(err, KR_EIO, "cannot read image %s: %s",
		    in->label, strerror(errno));
	mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if ((uint64_t)st.st_size != in->size || st.st_dev != in->dev ||
	    st.st_ino != in->ino || mt != in->mtime_ns)
		return kr_err_set(err, KR_EINPUT, "image %s changed while it "
		    "was read; sign it again once nothing writes to it",
		    in->label);
	return KR_OK;
}

/* ---- the stream -------------------------------------------------------- */

struct kr_fw_slot {
	uint64_t	seq;
	size_t		len;
	unsigned	refs;		/* consumers still to take it */
	bool		full;
};

struct kr_fw_pipe {
	pthread_mutex_t			 mu;
	pthread_cond_t			 cv;
	const struct kr_fw_stream	*st;
	uint8_t				*mem;
	struct kr_fw_slot		 slot[KR_FW_NBUF];
	uint64_t			 nchunks;
	unsigned			 nconsumers;
	bool				 failed;
	int				 rcode;		/* the reader's */
	struct kr_err			 rerr;
};

struct kr_fw_worker {
	struct kr_fw_pipe	*pp;
	struct kr_fw_sink	*sink;
	pthread_t		 tid;
	bool			 started;
};

/* Feeds the part of a piece at stream position `pos` a sink wants. */
static void
sink_feed(struct kr_fw_sink *k, uint64_t pos, const uint8_t *p, size_t len)
{
	uint64_t	skip;

	if (pos + len <= k->skip)
		return;
	skip = k->skip > pos ? k->skip - pos : 0;
	kr_hash_update(&k->h, p + skip, len - (size_t)skip);
}

static void
pipe_fail(struct kr_fw_pipe *pp)
{
	pthread_mutex_lock(&pp->mu);
	pp->failed = true;
	pthread_cond_broadcast(&pp->cv);
	pthread_mutex_unlock(&pp->mu);
}

static void *
reader_main(void *arg)
{
	struct kr_fw_pipe	*pp = arg;
	const struct kr_fw_stream *st = pp->st;
	struct kr_fw_slot	*s;
	uint64_t		 i, at;
	size_t			 n;
	int			 ret;
	bool			 stop;

	for (i = 0; i < pp->nchunks; i++) {
		s = &pp->slot[i % KR_FW_NBUF];
		pthread_mutex_lock(&pp->mu);
		while (s->full && !pp->failed)
			pthread_cond_wait(&pp->cv, &pp->mu);
		stop = pp->failed;
		pthread_mutex_unlock(&pp->mu);
		if (stop)
			break;
		at = i * KR_FW_CHUNK;
		n = st->len - at < KR_FW_CHUNK ? (size_t)(st->len - at) :
		    KR_FW_CHUNK;
		ret = kr_fw_input_pread(st->in, st->off + at,
		    pp->mem + (i % KR_FW_NBUF) * KR_FW_CHUNK, n, &pp->rerr);
		if (ret == KR_OK && st->nsinks >= 2)
			sink_feed(&st->sinks[st->nsinks - 1], at,
			    pp->mem + (i % KR_FW_NBUF) * KR_FW_CHUNK, n);
		pthread_mutex_lock(&pp->mu);
		if (ret != KR_OK) {
			pp->rcode = ret;
			pp->failed = true;
		} else {
			s->seq = i;
			s->len = n;
			s->refs = pp->nconsumers;
			s->full = true;
		}
		pthread_cond_broadcast(&pp->cv);
		pthread_mutex_unlock(&pp->mu);
		if (ret != KR_OK)
			break;
	}
	return NULL;
}

/* Waits for chunk i; NULL if the stream failed. */
static struct kr_fw_slot *
pipe_take(struct kr_fw_pipe *pp, uint64_t i)
{
	struct kr_fw_slot	*s = &pp->slot[i % KR_FW_NBUF];

	pthread_mutex_lock(&pp->mu);
	while (!(s->full && s->seq == i) && !pp->failed)
		pthread_cond_wait(&pp->cv, &pp->mu);
	if (pp->failed)
		s = NULL;
	pthread_mutex_unlock(&pp->mu);
	return s;
}

static void
pipe_give(struct kr_fw_pipe *pp, struct kr_fw_slot *s)
{
	pthread_mutex_lock(&pp->mu);
	if (--s->refs == 0) {
		s->full = false;
		pthread_cond_broadcast(&pp->cv);
	}
	pthread_mutex_unlock(&pp->mu);
}

static void *
worker_main(void *arg)
{
	struct kr_fw_worker	*w = arg;
	struct kr_fw_pipe	*pp = w->pp;
	struct kr_fw_slot	*s;
	uint64_t		 i;

	for (i = 0; i < pp->nchunks; i++) {
		if ((s = pipe_take(pp, i)) == NULL)
			break;
		sink_feed(w->sink, i * KR_FW_CHUNK,
		    pp->mem + (i % KR_FW_NBUF) * KR_FW_CHUNK, s->len);
		pipe_give(pp, s);
	}
	return NULL;
}

static void
progress_at(const struct kr_fw_stream *st, uint64_t i, uint64_t nchunks)
{
	uint64_t	done;

	if (st->progress == NULL)
		return;
	if ((i + 1) % KR_FW_PROGRESS_EVERY != 0 && i + 1 != nchunks)
		return;
	done = (i + 1) * KR_FW_CHUNK;
	st->progress(st->progress_arg, done < st->len ? done : st->len,
	    st->len);
}

/* The calling thread's share: sink 0 and the output callback. */
static int
main_consume(struct kr_fw_pipe *pp, struct kr_err *err)
{
	const struct kr_fw_stream *st = pp->st;
	struct kr_fw_slot	*s;
	const uint8_t		*p;
	uint64_t		 i;
	int			 ret;

	for (i = 0; i < pp->nchunks; i++) {
		if ((s = pipe_take(pp, i)) == NULL)
			return KR_EIO;	/* the reader's error is reported */
		p = pp->mem + (i % KR_FW_NBUF) * KR_FW_CHUNK;
		if (st->nsinks > 0)
			sink_feed(&st->sinks[0], i * KR_FW_CHUNK, p, s->len);
		if (st->out != NULL &&
		    (ret = st->out(st->out_arg, p, s->len, err)) != KR_OK) {
			pipe_give(pp, s);
			pipe_fail(pp);
			return ret;
		}
		pipe_give(pp, s);
		progress_at(st, i, pp->nchunks);
	}
	return KR_OK;
}

static int
pipe_init(struct kr_fw_pipe *pp, const struct kr_fw_stream *st,
    struct kr_err *err)
{
	memset(pp, 0, sizeof(*pp));
	pp->st = st;
	pp->nchunks = (st->len + KR_FW_CHUNK - 1) / KR_FW_CHUNK;
	pp->nconsumers = 1 + (unsigned)(st->nsinks > 2 ? st->nsinks - 2 : 0);
	if ((pp->mem = malloc((size_t)KR_FW_NBUF * KR_FW_CHUNK)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory for the "
		    "read buffers of image %s", st->in->label);
	pthread_mutex_init(&pp->mu, NULL);
	pthread_cond_init(&pp->cv, NULL);
	return KR_OK;
}

static void
pipe_destroy(struct kr_fw_pipe *pp)
{
	pthread_cond_destroy(&pp->cv);
	pthread_mutex_destroy(&pp->mu);
	free(pp->mem);
}

/* Starts the reader and the extra sinks' threads, runs, joins. */
static int
stream_threads(struct kr_fw_pipe *pp, struct kr_err *err)
{
	const struct kr_fw_stream *st = pp->st;
	struct kr_fw_worker	 w[KR_FW_SINKS_MAX];
	pthread_t		 reader;
	size_t			 i;
	int			 ret = KR_EINTERNAL;

	memset(w, 0, sizeof(w));
	if (!kr_thread_start(&reader, reader_main, pp))
		return kr_err_set(err, KR_ENOMEM, "cannot start the thread "
		    "that reads image %s", st->in->label);
	for (i = 1; i + 1 < st->nsinks; i++) {
		w[i].pp = pp;
		w[i].sink = &st->sinks[i];
		if (!kr_thread_start(&w[i].tid, worker_main, &w[i])) {
			ret = kr_err_set(err, KR_ENOMEM, "cannot start a "
			    "hashing thread for image %s", st->in->label);
			pipe_fail(pp);
			goto join;
		}
		w[i].started = true;
	}
	ret = main_consume(pp, err);
join:
	for (i = 1; i + 1 < st->nsinks; i++)
		if (w[i].started)
			pthread_join(w[i].tid, NULL);
	pthread_join(reader, NULL);
	if (pp->rcode != KR_OK) {
		*err = pp->rerr;
		ret = pp->rcode;
	}
	return ret;
}

/* A buffer needs no reader: each piece goes to every consumer in turn. */
static int
stream_buffer(const struct kr_fw_stream *st, struct kr_err *err)
{
	const uint8_t	*base = st->in->buf + st->off;
	uint64_t	 at, nchunks, i;
	size_t		 n, k;
	int		 ret;

	nchunks = (st->len + KR_FW_CHUNK - 1) / KR_FW_CHUNK;
	for (i = 0; i < nchunks; i++) {
		at = i * KR_FW_CHUNK;
		n = st->len - at < KR_FW_CHUNK ? (size_t)(st->len - at) :
		    KR_FW_CHUNK;
		for (k = 0; k < st->nsinks; k++)
			sink_feed(&st->sinks[k], at, base + at, n);
		if (st->out != NULL &&
		    (ret = st->out(st->out_arg, base + at, n, err)) != KR_OK)
			return ret;
		progress_at(st, i, nchunks);
	}
	return KR_OK;
}

int
kr_fw_stream_run(const struct kr_fw_stream *st, struct kr_err *err)
{
	struct kr_fw_pipe	pp;
	int			ret = KR_EINTERNAL;

	if (st->nsinks > KR_FW_SINKS_MAX || st->off > st->in->size ||
	    st->len > st->in->size - st->off)
		return kr_err_set(err, KR_EINTERNAL, "image %s: bad stream "
		    "range (bug: report it)", st->in->label);
	if (st->len == 0)
		return KR_OK;
	if (st->in->fd < 0) {
		ret = stream_buffer(st, err);
	} else {
		if ((ret = pipe_init(&pp, st, err)) != KR_OK)
			return ret;
		ret = stream_threads(&pp, err);
		pipe_destroy(&pp);
	}
	if (ret == KR_OK)
		ret = kr_fw_input_unchanged(st->in, err);
	return ret;
}

int
kr_fw_hash_file(const char *path, enum kr_hash_alg alg, uint8_t *out,
    uint64_t *size, kr_fw_progress_fn *progress, void *arg,
    struct kr_err *err)
{
	struct kr_fw_input	in;
	struct kr_fw_sink	k;
	struct kr_fw_stream	st;
	int			ret = KR_EINTERNAL;

	if ((ret = kr_fw_input_open(&in, path, err)) != KR_OK)
		return ret;
	memset(&k, 0, sizeof(k));
	if ((ret = kr_hash_init(&k.h, alg)) != KR_OK) {
		ret = kr_err_set(err, ret, "unknown hash algorithm %d",
		    (int)alg);
		goto out;
	}
	memset(&st, 0, sizeof(st));
	st.in = &in;
	st.len = in.size;
	st.sinks = &k;
	st.nsinks = 1;
	st.progress = progress;
	st.progress_arg = arg;
	if ((ret = kr_fw_stream_run(&st, err)) == KR_OK) {
		kr_hash_final(&k.h, out);
		*size = in.size;
	}
out:
	kr_wipe(&k, sizeof(k));
	kr_fw_input_close(&in);
	return ret;
}

/* ---- outputs ----------------------------------------------------------- */

struct kr_fw_writer {
	const struct kr_fw_output *dst;
	const struct kr_fw_result *res;
	uint64_t		 pos;		/* image bytes seen */
};

/* The stream covers the image; only the copied range is written. */
static int
writer_out(void *arg, const uint8_t *p, size_t len, struct kr_err *err)
{
	struct kr_fw_writer	*w = arg;
	const struct kr_fw_result *r = w->res;
	uint64_t		 a = r->img_off + w->pos, b = a + len;
	uint64_t		 lo, hi;

	w->pos += len;
	lo = a > r->copy_off ? a : r->copy_off;
	hi = b < r->copy_off + r->copy_len ? b : r->copy_off + r->copy_len;
	if (lo >= hi)
		return KR_OK;
	return w->dst->write(w->dst->arg, p + (lo - a), (size_t)(hi - lo),
	    err);
}

static int
check_digest(const struct kr_fw_result *r, struct kr_fw_sink *k,
    const char *label, struct kr_err *err)
{
	uint8_t	md[KR_HASH_MAX_BYTES];

	kr_hash_final(&k->h, md);
	if (memcmp(md, r->digest, r->digest_len) != 0)
		return kr_err_set(err, KR_EVERIFY, "image %s changed after "
		    "it was signed (its digest is no longer the one signed); "
		    "nothing was written: sign it again", label);
	return KR_OK;
}

static int
result_check(const struct kr_fw_result *r, uint64_t insize, const char *in,
    struct kr_err *err)
{
	if (r == NULL || r->digest_len == 0 ||
	    r->copy_off < r->img_off ||
	    r->copy_off + r->copy_len > r->img_off + r->img_len)
		return kr_err_set(err, KR_EINTERNAL, "not a usable signing "
		    "result (bug: report it)");
	if (r->copy_len > 0 && r->img_off + r->img_len > insize)
		return kr_err_set(err, KR_EINPUT, "image %s is shorter than "
		    "when it was signed; nothing was written", in);
	return KR_OK;
}

/* The bytes the format added, before or after the image. */
static int
write_added(const struct kr_fw_output *dst, const uint8_t *p, size_t len,
    struct kr_err *err)
{
	if (len == 0)
		return KR_OK;
	return dst->write(dst->arg, p, len, err);
}

/* Writes head, the copied input (digest checked), tail into w->dst. */
static int
write_parts(struct kr_fw_writer *w, struct kr_fw_input *in,
    kr_fw_progress_fn *progress, void *arg, struct kr_err *err)
{
	const struct kr_fw_result *r = w->res;
	struct kr_fw_sink	 k;
	struct kr_fw_stream	 st;
	int			 ret = KR_EINTERNAL;

	memset(&k, 0, sizeof(k));
	if ((ret = kr_hash_init(&k.h, r->digest_alg)) != KR_OK)
		return kr_err_set(err, KR_EINTERNAL, "bad record digest "
		    "algorithm (bug: report it)");
	if ((ret = write_added(w->dst, r->head, r->head_len, err)) != KR_OK)
		goto out;
	memset(&st, 0, sizeof(st));
	st.in = in;
	st.off = r->img_off;
	st.len = r->img_len;
	st.sinks = &k;
	st.nsinks = 1;
	st.out = writer_out;
	st.out_arg = w;
	st.progress = progress;
	st.progress_arg = arg;
	if ((ret = kr_fw_stream_run(&st, err)) != KR_OK)
		goto out;
	if ((ret = check_digest(r, &k, in->label, err)) != KR_OK)
		goto out;
	ret = write_added(w->dst, r->tail, r->tail_len, err);
out:
	kr_wipe(&k, sizeof(k));
	return ret;
}

int
kr_fw_write(const struct kr_fw_result *r, const char *in,
    const struct kr_fw_output *dst, kr_fw_progress_fn *progress, void *arg,
    struct kr_err *err)
{
	struct kr_fw_input	 input;
	struct kr_fw_writer	 w;
	int			 ret = KR_EINTERNAL;

	if ((ret = result_check(r, UINT64_MAX, "", err)) != KR_OK)
		return ret;
	if (r->copy_len == 0) {
		if ((ret = write_added(dst, r->head, r->head_len, err)) !=
		    KR_OK)
			return ret;
		return write_added(dst, r->tail, r->tail_len, err);
	}
	if ((ret = kr_fw_input_open(&input, in, err)) != KR_OK)
		return ret;
	if ((ret = result_check(r, input.size, in, err)) != KR_OK)
		goto out;
	memset(&w, 0, sizeof(w));
	w.dst = dst;
	w.res = r;
	ret = write_parts(&w, &input, progress, arg, err);
out:
	kr_fw_input_close(&input);
	return ret;
}

int
kr_fw_output_buf(const struct kr_fw_result *r, const uint8_t *in,
    size_t inlen, uint8_t **out, size_t *outlen, struct kr_err *err)
{
	struct kr_fw_sink	 k;
	uint8_t			*b;
	int			 ret = KR_EINTERNAL;

	*out = NULL;
	*outlen = 0;
	if ((ret = result_check(r, inlen, "(in memory)", err)) != KR_OK)
		return ret;
	if (r->copy_len > 0 && in == NULL)
		return kr_err_set(err, KR_EINTERNAL, "no input image given "
		    "(bug: report it)");
	memset(&k, 0, sizeof(k));
	if (r->copy_len > 0) {
		if (kr_hash_init(&k.h, r->digest_alg) != KR_OK)
			return kr_err_set(err, KR_EINTERNAL, "bad record "
			    "digest algorithm (bug: report it)");
		kr_hash_update(&k.h, in + r->img_off, (size_t)r->img_len);
		if ((ret = check_digest(r, &k, r->image_name, err)) != KR_OK)
			return ret;
	}
	if ((b = malloc(r->out_len > 0 ? (size_t)r->out_len : 1)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (r->head_len > 0)
		memcpy(b, r->head, r->head_len);
	if (r->copy_len > 0)
		memcpy(b + r->head_len, in + r->copy_off, (size_t)r->copy_len);
	if (r->tail_len > 0)
		memcpy(b + r->head_len + r->copy_len, r->tail, r->tail_len);
	*out = b;
	*outlen = (size_t)r->out_len;
	return KR_OK;
}
