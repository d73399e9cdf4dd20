/*
 * The streaming writer: an artifact written piece by piece through
 * base's atomic writer (kr_file_out), each piece checked as media.c
 * checks a whole buffer.  The scan keeps the stream's last
 * KR_MEDIA_CARRY bytes, so a private key block split across pieces (of
 * any size, down to one byte) is found at the seam.  Memory stays fixed
 * whatever the size of the artifact.
 */
#include <string.h>

#include "media_int.h"

int
kr_media_stream_open(struct kr_media_stream *s, enum kr_artifact type,
    const char *path, unsigned flags, struct kr_err *err)
{
	int	ret;

	memset(s, 0, sizeof(*s));
	s->out.fd = -1;
	s->type = type;
	s->closed = true;
	if ((ret = kr_media_type_check(type, path, err)) != KR_OK)
		return ret;
	if ((ret = kr_file_out_open(&s->out, path, flags, err)) != KR_OK)
		return ret;
	s->closed = false;
	return KR_OK;
}

/*
 * A private key block in a piece, or across its seam with the last one;
 * hit->off is its offset in the stream.
 */
static bool
kr_media_stream_scan(const struct kr_media_stream *s, const uint8_t *p,
    size_t len, struct kr_media_hit *hit)
{
	uint8_t	seam[2 * KR_MEDIA_CARRY];
	size_t	head = len < KR_MEDIA_CARRY ? len : KR_MEDIA_CARRY;

	if (s->carry_len > 0) {
		memcpy(seam, s->carry, s->carry_len);
		memcpy(seam + s->carry_len, p, head);
		if (kr_media_key_found(seam, s->carry_len + head,
		    s->len == s->carry_len, hit)) {
			hit->off += s->len - s->carry_len;
			return true;
		}
	}
	if (!kr_media_key_found(p, len, s->len == 0, hit))
		return false;
	hit->off += s->len;
	return true;
}

/* Keeps the last KR_MEDIA_CARRY bytes of the stream for the next seam. */
static void
kr_media_stream_keep(struct kr_media_stream *s, const uint8_t *p,
    size_t len)
{
	size_t	old;

	if (len >= KR_MEDIA_CARRY) {
		memcpy(s->carry, p + len - KR_MEDIA_CARRY, KR_MEDIA_CARRY);
		s->carry_len = KR_MEDIA_CARRY;
		return;
	}
	old = s->carry_len + len > KR_MEDIA_CARRY ? KR_MEDIA_CARRY - len :
	    s->carry_len;
	memmove(s->carry, s->carry + s->carry_len - old, old);
	memcpy(s->carry + old, p, len);
	s->carry_len = old + len;
}

int
kr_media_stream_write(struct kr_media_stream *s, const void *data,
    size_t len, struct kr_err *err)
{
	struct kr_media_hit	hit;
	size_t			n;
	int			ret;

	if (s->closed)
		return kr_err_set(err, KR_EINTERNAL, "refusing to write to an "
		    "output already refused, failed or closed (bug: report "
		    "it)");
	if (kr_media_stream_scan(s, data, len, &hit)) {
		s->closed = true;
		return kr_media_key_refused(s->type, s->out.path, &hit, err);
	}
	if ((ret = kr_file_out_write(&s->out, data, len, err)) != KR_OK) {
		s->closed = true;
		return ret;
	}
	kr_media_stream_keep(s, data, len);
	n = KR_MEDIA_HEAD - s->head_len < len ? KR_MEDIA_HEAD - s->head_len :
	    len;
	memcpy(s->head + s->head_len, data, n);
	s->head_len += n;
	s->len += len;
	return KR_OK;
}

int
kr_media_stream_put(void *s, const void *data, size_t len,
    struct kr_err *err)
{
	return kr_media_stream_write(s, data, len, err);
}

int
kr_media_stream_commit(struct kr_media_stream *s, struct kr_err *err)
{
	struct kr_media_hit	hit;

	if (!s->closed && kr_media_key_head(s->head, s->head_len, s->len,
	    &hit)) {
		/* Said while the stream still knows its path. */
		(void)kr_media_key_refused(s->type, s->out.path, &hit, err);
		kr_media_stream_abort(s);
		return err->code;
	}
	if (s->closed) {
		kr_media_stream_abort(s);
		return kr_err_set(err, KR_EINTERNAL, "refusing to name an "
		    "output that was refused, failed or closed; nothing was "
		    "left behind (bug: report it)");
	}
	s->closed = true;
	return kr_file_out_commit(&s->out, err);
}

void
kr_media_stream_abort(struct kr_media_stream *s)
{
	s->closed = true;
	kr_file_out_abort(&s->out);
}
