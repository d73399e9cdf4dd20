/*
 * An export folder (keyrite export, docs/media.md): recorded artifacts
 * written to removable media under names a FAT file system keeps, with
 * MANIFEST.json and SHA256SUMS, and the check of such a folder on any
 * machine (keyrite export verify).
 *
 * Every file is staged (checked and scanned as kr_media_stage checks it,
 * written under a temporary name, synced), then all are placed, read back
 * from the medium and compared, and the folder and its file system are
 * synced.  On any failure whatever was staged or placed is removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <keyrite/crypto.h>

#include "media_int.h"

#define KR_EXPORT_SUBS_MAX	256

struct kr_export_file {
	char		 name[2 * KR_MEDIA_NAME_MAX + 2];	/* [SUB/]NAME */
	char		*path;
	char		*tmp;		/* staged, not yet placed */
	bool		 placed;
	enum kr_artifact type;
	char		*record;	/* JSON object text */
	uint64_t	 size;
	char		 sha256[65];
};

struct kr_media_export {
	char			*dir;
	struct kr_export_file	*f;
	size_t			 n, cap;
	char			 sub[KR_EXPORT_SUBS_MAX][KR_MEDIA_NAME_MAX + 1];
	size_t			 nsub;		/* sub-folders it made */
};

bool
kr_media_name_ok(const char *name)
{
	size_t	i, n = strlen(name);

	if (n == 0 || n > KR_MEDIA_NAME_MAX || name[0] == '.' ||
	    name[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '.' ||
		    name[i] == '_' || name[i] == '-'))
			return false;
	return true;
}

void
kr_media_name_clean(char *out, size_t cap, const char *in)
{
	size_t	i;

	for (i = 0; in[i] != '\0' && i + 1 < cap; i++)
		out[i] = kr_media_name_ok((char[]){ in[i], '\0' }) ||
		    (in[i] == '.' && i > 0) ? in[i] : '_';
	if (cap > 0)
		out[i] = '\0';
}

bool
kr_media_path_ok(const char *path)
{
	const char	*slash = strchr(path, '/');
	char		 sub[KR_MEDIA_NAME_MAX + 1];

	if (slash == NULL)
		return kr_media_name_ok(path);
	if ((size_t)(slash - path) > KR_MEDIA_NAME_MAX)
		return false;
	(void)snprintf(sub, sizeof(sub), "%.*s", (int)(slash - path), path);
	return kr_media_name_ok(sub) && kr_media_name_ok(slash + 1);
}

/*
 * No temporary file of an interrupted export (NAME.tmp-HEX) in the
 * export folder `top`, or in its sub-folder `sub` when not NULL.
 */
static int
kr_export_leftovers(const char *top, const char *sub, struct kr_err *err)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		*dir, *path;
	int		 ret = KR_OK;

	if ((dir = sub != NULL ? kr_path_join(top, sub) : strdup(top)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((d = opendir(dir)) == NULL) {
		ret = kr_err_set(err, KR_EIO, "cannot read the export folder "
		    "%s: %s", dir, strerror(errno));
		free(dir);
		return ret;
	}
	while (ret == KR_OK && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (kr_file_tmp_name(de->d_name, NULL))
			ret = kr_err_set(err, KR_EEXIST, "an interrupted export "
			    "left %s%s%s in %s; remove it or use an empty folder",
			    sub != NULL ? sub : "", sub != NULL ? "/" : "",
			    de->d_name, top);
		else if (sub == NULL && (path = kr_path_join(dir,
		    de->d_name)) != NULL) {
			if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
				ret = kr_export_leftovers(top, de->d_name, err);
			free(path);
		}
	}
	(void)closedir(d);
	free(dir);
	return ret;
}

/*
 * The export folder holds nothing yet: `export verify` accepts no file
 * the manifest does not list, so an export beside other files could
 * never be verified.  Names the first few files found.
 */
static int
kr_export_empty(const char *dir, struct kr_err *err)
{
	struct dirent	*de;
	DIR		*d;
	char		 seen[256] = "";
	size_t		 n = 0, used = 0;

	if ((d = opendir(dir)) == NULL)
		return kr_err_set(err, KR_EIO, "cannot read the export folder "
		    "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n++ < 3 && used < sizeof(seen))
			used += (size_t)snprintf(seen + used, sizeof(seen) -
			    used, "%s%s", used > 0 ? ", " : "", de->d_name);
	}
	(void)closedir(d);
	if (n == 0)
		return KR_OK;
	return kr_err_set(err, KR_EEXIST, "the export folder %s is not empty "
	    "(it holds %s%s): export into an empty folder (make a new one, "
	    "e.g. a dated folder inside it), so that `keyrite export verify` "
	    "can show it holds nothing else. Nothing was written", dir, seen,
	    n > 3 ? ", ..." : "");
}

int
kr_media_export_open(struct kr_media_export **out, const char *dir,
    struct kr_err *err)
{
	struct kr_media_export	*x;
	struct stat		 st;
	int			 ret;

	*out = NULL;
	if (lstat(dir, &st) != 0)
		return kr_err_set(err, errno == ENOENT ? KR_ENOENT : KR_EIO,
		    "the export folder %s: %s", dir, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return kr_err_set(err, KR_EINPUT, "the export folder %s is a "
		    "symbolic link: keyrite writes through no link; give the "
		    "folder it points to, or another one", dir);
	if (!S_ISDIR(st.st_mode))
		return kr_err_set(err, KR_EINPUT, "the export folder %s is not "
		    "a folder", dir);
	if ((ret = kr_export_leftovers(dir, NULL, err)) != KR_OK ||
	    (ret = kr_export_empty(dir, err)) != KR_OK)
		return ret;
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->dir = strdup(dir)) == NULL) {
		free(x);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	*out = x;
	return KR_OK;
}

size_t
kr_media_export_count(const struct kr_media_export *x)
{
	return x->n;
}

/* Whether the export made sub-folder `sub` already. */
static bool
kr_export_has_sub(const struct kr_media_export *x, const char *sub)
{
	size_t	i;

	for (i = 0; i < x->nsub; i++)
		if (strcmp(x->sub[i], sub) == 0)
			return true;
	return false;
}

/* Nothing (a symbolic link included) stands at `path` yet. */
static int
kr_export_absent(const char *path, struct kr_err *err)
{
	struct stat	st;

	if (lstat(path, &st) == 0)
		return kr_err_set(err, KR_EEXIST, S_ISLNK(st.st_mode) ?
		    "%s is a symbolic link where keyrite would write: it "
		    "writes through no link; remove it or export to an empty "
		    "folder" : "%s already exists: keyrite overwrites nothing; "
		    "export to an empty folder", path);
	if (errno != ENOENT)
		return kr_err_set(err, KR_EIO, "cannot check %s: %s", path,
		    strerror(errno));
	return KR_OK;
}

/*
 * A sub-folder of a name "SUB/FILE": new in the folder (the export makes
 * it, so it can be no link), or one this export made; noted as made.
 */
static int
kr_export_sub(struct kr_media_export *x, const char *name, struct kr_err *err)
{
	const char	*slash = strchr(name, '/');
	char		 sub[KR_MEDIA_NAME_MAX + 1], *path;
	size_t		 i;
	int		 ret;

	if (slash == NULL)
		return KR_OK;
	(void)snprintf(sub, sizeof(sub), "%.*s", (int)(slash - name), name);
	if (kr_export_has_sub(x, sub))
		return KR_OK;
	for (i = 0; i < x->n; i++)
		if (strcasecmp(x->f[i].name, sub) == 0)
			return kr_err_set(err, KR_EINTERNAL, "an exported file "
			    "and folder would be named %s (bug: report it)", sub);
	if (x->nsub == KR_EXPORT_SUBS_MAX)
		return kr_err_set(err, KR_EREFUSED, "more than %d folders in "
		    "one export: export in parts", KR_EXPORT_SUBS_MAX);
	if ((path = kr_path_join(x->dir, sub)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_export_absent(path, err);
	free(path);
	if (ret == KR_OK)
		(void)snprintf(x->sub[x->nsub++], sizeof(x->sub[0]), "%s", sub);
	return ret;
}

/* `name` is free in the folder and in the export (as FAT compares). */
static int
kr_export_name_free(struct kr_media_export *x, const char *name,
    const char *path, struct kr_err *err)
{
	size_t	i;
	int	ret;

	if (!kr_media_path_ok(name))
		return kr_err_set(err, KR_EINTERNAL, "refusing the export name "
		    "'%s': only A-Z a-z 0-9 . _ - (bug: report it)", name);
	for (i = 0; i < x->n; i++)
		if (strcasecmp(x->f[i].name, name) == 0)
			return kr_err_set(err, KR_EINTERNAL, "two exported files "
			    "would be named %s (bug: report it)", name);
	if ((ret = kr_export_sub(x, name, err)) != KR_OK)
		return ret;
	return kr_export_absent(path, err);
}

static int
kr_export_grow(struct kr_media_export *x, struct kr_err *err)
{
	struct kr_export_file	*f;
	size_t			 cap = x->cap != 0 ? 2 * x->cap : 16;

	if (x->n < x->cap)
		return KR_OK;
	if ((f = reallocarray(x->f, cap, sizeof(*f))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	x->f = f;
	x->cap = cap;
	return KR_OK;
}

int
kr_media_export_add(struct kr_media_export *x, enum kr_artifact type,
    const char *name, const void *data, size_t len, const char *record,
    struct kr_err *err)
{
	struct kr_export_file	*f;
	uint8_t			 dig[32];
	int			 ret;

	if (len > KR_MEDIA_EXPORT_FILE_MAX)
		return kr_err_set(err, KR_EREFUSED, "%s is %zu bytes, more than "
		    "an exported file may be (%zu): nothing was exported", name,
		    len, (size_t)KR_MEDIA_EXPORT_FILE_MAX);
	if ((ret = kr_export_grow(x, err)) != KR_OK)
		return ret;
	f = &x->f[x->n];
	memset(f, 0, sizeof(*f));
	if ((f->path = kr_path_join(x->dir, name)) == NULL ||
	    (f->record = strdup(record)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto fail;
	}
	if ((ret = kr_export_name_free(x, name, f->path, err)) != KR_OK ||
	    (ret = kr_hash(KR_HASH_SHA256, data, len, dig)) != KR_OK ||
	    (ret = kr_media_stage(type, f->path, data, len, &f->tmp, err)) !=
	    KR_OK)
		goto fail;
	(void)snprintf(f->name, sizeof(f->name), "%s", name);
	kr_hex_encode(f->sha256, dig, sizeof(dig));
	f->type = type;
	f->size = len;
	x->n++;
	return KR_OK;
fail:
	free(f->path);
	free(f->record);
	return ret;
}

/* MANIFEST.json: {"format","about","files":[{name,type,record,size,sha256}]} */
static char *
kr_export_manifest(const struct kr_media_export *x, const char *about)
{
	struct kr_json	 j, e;
	struct kr_buf	 b;
	const char	*t;
	char		*out = NULL;
	size_t		 i;

	kr_buf_init(&b, false);
	for (i = 0; i < x->n; i++) {
		kr_json_begin(&e);
		kr_json_str(&e, "name", x->f[i].name);
		kr_json_str(&e, "type", kr_artifact_name(x->f[i].type));
		kr_json_raw(&e, "record", x->f[i].record);
		kr_json_int(&e, "size", (int64_t)x->f[i].size);
		kr_json_str(&e, "sha256", x->f[i].sha256);
		kr_json_list_add(&b, &e);
	}
	kr_json_begin(&j);
	kr_json_str(&j, "format", KR_MEDIA_EXPORT_FORMAT);
	kr_json_raw(&j, "about", about);
	kr_json_raw(&j, "files", kr_json_list_end(&b));
	if ((t = kr_json_end(&j)) != NULL &&
	    asprintf(&out, "%s\n", t) < 0)
		out = NULL;
	kr_json_free(&j);
	kr_buf_free(&b);
	return out;
}

/* SHA256SUMS: each file, then MANIFEST.json, as sha256sum writes them. */
static char *
kr_export_sums(const struct kr_media_export *x, const char *manifest_hex)
{
	struct kr_buf	 b;
	char		*out = NULL;
	size_t		 i;

	kr_buf_init(&b, false);
	for (i = 0; i < x->n; i++)
		kr_buf_put_sum(&b, x->f[i].sha256, x->f[i].name);
	kr_buf_put_sum(&b, manifest_hex, KR_MEDIA_MANIFEST);
	kr_buf_put(&b, "", 1);
	if (!b.failed)
		out = strdup((const char *)b.p);
	kr_buf_free(&b);
	return out;
}

int
kr_media_export_seal(struct kr_media_export *x, const char *about,
    char manifest_hex[65], struct kr_err *err)
{
	char	*m, *sums = NULL;
	uint8_t	 dig[32];
	int	 ret;

	if ((m = kr_export_manifest(x, about)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_hash(KR_HASH_SHA256, m, strlen(m), dig)) != KR_OK)
		goto out;
	kr_hex_encode(manifest_hex, dig, sizeof(dig));
	if ((sums = kr_export_sums(x, manifest_hex)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = kr_media_export_add(x, KR_ART_MANIFEST, KR_MEDIA_MANIFEST,
	    m, strlen(m), "{}", err)) == KR_OK)
		ret = kr_media_export_add(x, KR_ART_CHECKSUMS, KR_MEDIA_SUMS,
		    sums, strlen(sums), "{}", err);
out:
	free(sums);
	free(m);
	return ret;
}

/*
 * Reads a placed file back from the medium (its cached pages dropped
 * first, where the kernel allows) and compares its size and SHA-256.
 */
static int
kr_export_read_back(const struct kr_export_file *f, struct kr_err *err)
{
	uint8_t	*got = NULL, dig[32];
	char	 hex[65];
	size_t	 len;
	int	 fd, ret;

	if ((fd = open(f->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		(void)close(fd);
	}
	if ((ret = kr_file_read(f->path, KR_MEDIA_EXPORT_FILE_MAX, false, &got,
	    &len, err)) != KR_OK)
		return kr_err_prefix(err, "reading back what was written: ");
	ret = kr_hash(KR_HASH_SHA256, got, len, dig);
	free(got);
	if (ret != KR_OK)
		return kr_err_set(err, ret, "cannot hash %s", f->path);
	kr_hex_encode(hex, dig, sizeof(dig));
	if (len != f->size || strcmp(hex, f->sha256) != 0)
		return kr_err_set(err, KR_EIO, "%s read back from the medium "
		    "differs from what was written (%zu bytes, SHA-256 %s; "
		    "written: %llu bytes, %s): the medium is failing; use "
		    "another", f->path, len, hex, (unsigned long long)f->size,
		    f->sha256);
	return KR_OK;
}

/* The folder and the whole file system holding it, synced. */
static int
kr_export_sync(const char *dir, struct kr_err *err)
{
	int	fd, ret;

	if ((ret = kr_fsync_dir(dir, err)) != KR_OK)
		return ret;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kr_err_set(err, KR_EIO, "cannot open %s: %s", dir,
		    strerror(errno));
	ret = syncfs(fd) == 0 ? KR_OK : kr_err_set(err, KR_EIO, "cannot sync "
	    "the file system of %s: %s; the medium is not safe to remove",
	    dir, strerror(errno));
	(void)close(fd);
	return ret;
}

int
kr_media_export_place(struct kr_media_export *x, struct kr_err *err)
{
	size_t	i;
	int	ret;

	for (i = 0; i < x->n; i++) {
		if ((ret = kr_media_place(x->f[i].tmp, x->f[i].path, err)) !=
		    KR_OK)
			return ret;
		free(x->f[i].tmp);
		x->f[i].tmp = NULL;
		x->f[i].placed = true;
	}
	if ((ret = kr_export_sync(x->dir, err)) != KR_OK)
		return ret;
	for (i = 0; i < x->n; i++)
		if ((ret = kr_export_read_back(&x->f[i], err)) != KR_OK)
			return ret;
	return KR_OK;
}

int
kr_media_export_finish(struct kr_media_export *x, struct kr_err *err)
{
	return kr_export_sync(x->dir, err);
}

/* The sub-folders the export made, once emptied. */
static void
kr_export_rm_subs(struct kr_media_export *x)
{
	char	*path;
	size_t	 i;

	for (i = 0; i < x->nsub; i++)
		if ((path = kr_path_join(x->dir, x->sub[i])) != NULL) {
			(void)rmdir(path);
			free(path);
		}
}

void
kr_media_export_undo(struct kr_media_export *x)
{
	struct kr_err	e;
	size_t		i;

	for (i = 0; i < x->n; i++) {
		if (x->f[i].tmp != NULL)
			(void)unlink(x->f[i].tmp);
		else if (x->f[i].placed)
			(void)unlink(x->f[i].path);
		free(x->f[i].tmp);
		x->f[i].tmp = NULL;
		x->f[i].placed = false;
	}
	kr_export_rm_subs(x);
	(void)kr_export_sync(x->dir, &e);
}

void
kr_media_export_free(struct kr_media_export **xp)
{
	struct kr_media_export	*x = *xp;
	size_t			 i;

	if (x == NULL)
		return;
	for (i = 0; i < x->n; i++) {
		if (x->f[i].tmp != NULL)
			(void)unlink(x->f[i].tmp);
		free(x->f[i].tmp);
		free(x->f[i].path);
		free(x->f[i].record);
	}
	if (x->n > 0 && !x->f[0].placed)
		kr_export_rm_subs(x);
	free(x->f);
	free(x->dir);
	free(x);
	*xp = NULL;
}
