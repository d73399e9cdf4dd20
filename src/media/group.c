/*
 * Artifacts released in groups: written with no name, made durable
 * together, named in order after the caller has recorded them, their
 * folder synced once.  A group of n files costs one writeback, n
 * fdatasyncs that find the journal already committed, and one folder
 * sync, instead of n of each (kr_media_write).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "media_int.h"

struct kr_media_group {
	struct kr_file_out	*out;
	size_t			 n, max;
};

int
kr_media_group_new(struct kr_media_group **out, size_t max,
    struct kr_err *err)
{
	struct kr_media_group	*g;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->out = calloc(max, sizeof(*g->out))) == NULL) {
		free(g);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	g->max = max;
	*out = g;
	return KR_OK;
}

int
kr_media_group_add(struct kr_media_group *g, enum kr_artifact type,
    const char *path, const void *data, size_t len, struct kr_err *err)
{
	struct kr_file_out	*o;
	int			 ret;

	if (g->n == g->max)
		return kr_err_set(err, KR_EINTERNAL, "more than %zu files in "
		    "one group: this is a bug in keyrite", g->max);
	if ((ret = kr_media_check(type, path, data, len, err)) != KR_OK)
		return ret;
	o = &g->out[g->n];
	if ((ret = kr_file_out_open(o, path, KR_FILE_NOREPLACE, err)) !=
	    KR_OK)
		return ret;
	if ((ret = kr_file_out_write(o, data, len, err)) != KR_OK) {
		kr_file_out_abort(o);
		return ret;
	}
	g->n++;
	return KR_OK;
}

size_t
kr_media_group_count(const struct kr_media_group *g)
{
	return g->n;
}

void
kr_media_group_drop(struct kr_media_group *g, size_t n)
{
	while (g->n > n)
		kr_file_out_abort(&g->out[--g->n]);
}

/* The folder of each file named, each distinct folder once in a row. */
static int
kr_media_group_dirs(char **const paths, size_t n, struct kr_err *err)
{
	char	*dir, *last = NULL;
	size_t	 i;
	int	 ret = KR_OK;

	for (i = 0; i < n && ret == KR_OK; i++) {
		if ((dir = kr_path_dir(paths[i])) == NULL)
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		else if (last == NULL || strcmp(dir, last) != 0)
			ret = kr_fsync_dir(dir, err);
		free(last);
		last = dir;
	}
	free(last);
	return ret;
}

int
kr_media_group_release(struct kr_media_group *g, size_t n, size_t *named,
    struct kr_err *err)
{
	char	**paths = NULL;
	size_t	  i;
	int	  ret;

	*named = 0;
	kr_media_group_drop(g, n);
	if ((paths = calloc(n + 1, sizeof(*paths))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_file_out_sync_group(g->out, n, err)) != KR_OK)
		goto out;
	for (i = 0; i < n && ret == KR_OK; i++) {
		/* The path outlives the file's handle for the folder sync. */
		paths[i] = g->out[i].path;
		g->out[i].path = strdup(paths[i]);
		if (g->out[i].path == NULL) {
			g->out[i].path = paths[i];
			paths[i] = NULL;
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		} else if ((ret = kr_file_out_name(&g->out[i], err)) == KR_OK)
			(*named)++;
	}
	if (*named > 0) {
		int	r = kr_media_group_dirs(paths, *named, err);

		if (ret == KR_OK)
			ret = r;
	}
out:
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	/* Whatever was not named (a failure) leaves nothing. */
	for (i = *named; i < g->n; i++)
		kr_file_out_abort(&g->out[i]);
	g->n = 0;
	return ret;
}

void
kr_media_group_free(struct kr_media_group **gp)
{
	struct kr_media_group	*g;

	if (gp == NULL || (g = *gp) == NULL)
		return;
	kr_media_group_drop(g, 0);
	free(g->out);
	free(g);
	*gp = NULL;
}
