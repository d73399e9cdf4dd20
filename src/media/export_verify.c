/*
 * keyrite export verify: the check of an export folder on any machine,
 * with no state folder.  Every file MANIFEST.json lists is there, a
 * regular file with its size and SHA-256; nothing else is there but
 * MANIFEST.json and SHA256SUMS; SHA256SUMS lists exactly those files
 * (and MANIFEST.json) with the same SHA-256.  Each problem is named.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <keyrite/crypto.h>

#include "media_int.h"

#define KR_VERIFY_FILE_MAX	(1024UL * 1024 * 1024)
#define KR_VERIFY_FILES_MAX	100000

struct kr_vfile {
	char	name[2 * KR_MEDIA_NAME_MAX + 2];	/* [SUB/]NAME */
	char	sha256[65];
	int64_t	size;
	bool	in_sums;
};

struct kr_verify {
	const char			*dir;
	struct kr_media_export_report	*r;
	struct kr_vfile			*f;
	size_t				 n, cap;
	char				 manifest_sha256[65];
};

static void
kr_vfail(struct kr_verify *v, const char *fmt, ...)
{
	va_list	ap;

	if (v->r->nfailed < KR_MEDIA_VERIFY_SHOWN) {
		va_start(ap, fmt);
		(void)vsnprintf(v->r->failed[v->r->nfailed],
		    sizeof(v->r->failed[0]), fmt, ap);
		va_end(ap);
	}
	v->r->nfailed++;
}

/* Reads DIR/name (a regular file, no link), its SHA-256 in hex. */
static int
kr_vread(struct kr_verify *v, const char *name, uint8_t **data, size_t *len,
    char hex[65], struct kr_err *err)
{
	uint8_t	 dig[32];
	char	*path;
	int	 ret;

	if ((path = kr_path_join(v->dir, name)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_file_read(path, KR_VERIFY_FILE_MAX, false, data, len, err);
	free(path);
	if (ret == KR_OK && (ret = kr_hash(KR_HASH_SHA256, *data, *len,
	    dig)) == KR_OK)
		kr_hex_encode(hex, dig, sizeof(dig));
	return ret;
}

static bool
kr_vlisted(const struct kr_verify *v, const char *name, size_t *at)
{
	size_t	i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->f[i].name, name) == 0) {
			if (at != NULL)
				*at = i;
			return true;
		}
	return false;
}

/* One element of "files": name, size and SHA-256, checked for shape. */
static bool
kr_vparse_one(struct kr_verify *v, const char *e)
{
	struct kr_vfile	*f = &v->f[v->n];

	if (!kr_js_str(kr_js_member(e, "name"), f->name, sizeof(f->name)) ||
	    !kr_js_str(kr_js_member(e, "sha256"), f->sha256,
	    sizeof(f->sha256)) || strlen(f->sha256) != 64 ||
	    !kr_js_int(kr_js_member(e, "size"), &f->size) || f->size < 0)
		return false;
	if (!kr_media_path_ok(f->name) || kr_vlisted(v, f->name, NULL) ||
	    strcmp(f->name, KR_MEDIA_MANIFEST) == 0 ||
	    strcmp(f->name, KR_MEDIA_SUMS) == 0) {
		kr_vfail(v, "MANIFEST.json lists a file name keyrite never "
		    "writes, or one twice: %.*s", 64, f->name);
		return true;
	}
	v->n++;
	return true;
}

/* Room for one more file (the array grows as the manifest is read). */
static int
kr_vgrow(struct kr_verify *v)
{
	struct kr_vfile	*f;
	size_t		 cap = v->cap != 0 ? 2 * v->cap : 64;

	if (v->n < v->cap || v->cap == KR_VERIFY_FILES_MAX)
		return KR_OK;
	if (cap > KR_VERIFY_FILES_MAX)
		cap = KR_VERIFY_FILES_MAX;
	if ((f = reallocarray(v->f, cap, sizeof(*f))) == NULL)
		return KR_ENOMEM;
	memset(f + v->cap, 0, (cap - v->cap) * sizeof(*f));
	v->f = f;
	v->cap = cap;
	return KR_OK;
}

static int
kr_vparse(struct kr_verify *v, const char *m, struct kr_err *err)
{
	const char	*p, *e;
	char		 format[64];

	if (!kr_js_str(kr_js_member(m, "format"), format, sizeof(format)) ||
	    strcmp(format, KR_MEDIA_EXPORT_FORMAT) != 0)
		return kr_err_set(err, KR_EVERIFY, "%s/MANIFEST.json is not a "
		    "keyrite export manifest (format %s)", v->dir,
		    KR_MEDIA_EXPORT_FORMAT);
	p = kr_js_member(m, "files");
	for (e = kr_js_next(&p, true); e != NULL; e = kr_js_next(&p, false)) {
		if (kr_vgrow(v) != KR_OK)
			return kr_err_set(err, KR_ENOMEM, "out of memory");
		if (v->n == KR_VERIFY_FILES_MAX || !kr_vparse_one(v, e))
			return kr_err_set(err, KR_EVERIFY, "%s/MANIFEST.json "
			    "is malformed (file entry %zu)", v->dir, v->n + 1);
	}
	return KR_OK;
}

/* Each listed file: there, a regular file, its size and SHA-256. */
static void
kr_vfiles(struct kr_verify *v)
{
	struct kr_err	 e;
	uint8_t		*data;
	size_t		 i, len;
	char		 hex[65];

	for (i = 0; i < v->n; i++) {
		if (kr_vread(v, v->f[i].name, &data, &len, hex, &e) != KR_OK) {
			kr_vfail(v, "%s: %s", v->f[i].name, e.code == KR_ENOENT ?
			    "missing" : e.msg);
			continue;
		}
		free(data);
		if ((int64_t)len != v->f[i].size ||
		    strcmp(hex, v->f[i].sha256) != 0)
			kr_vfail(v, "%s: changed (%zu bytes, SHA-256 %s; the "
			    "manifest says %lld bytes, %s)", v->f[i].name, len,
			    hex, (long long)v->f[i].size, v->f[i].sha256);
		else
			v->r->files_ok++;
	}
}

/* One line of SHA256SUMS: "HEX  NAME" (or "HEX *NAME"). */
static void
kr_vsums_line(struct kr_verify *v, const char *line)
{
	size_t	at;

	if (strlen(line) < 67 || line[64] != ' ' ||
	    (line[65] != ' ' && line[65] != '*') ||
	    strspn(line, "0123456789abcdef") != 64) {
		kr_vfail(v, "SHA256SUMS has a line that is not \"SHA-256  "
		    "name\": %.80s", line);
		return;
	}
	if (strcmp(line + 66, KR_MEDIA_MANIFEST) == 0) {
		if (strncmp(line, v->manifest_sha256, 64) != 0)
			kr_vfail(v, "SHA256SUMS gives MANIFEST.json another "
			    "SHA-256 than it has");
		v->r->manifest_in_sums = true;
	} else if (!kr_vlisted(v, line + 66, &at))
		kr_vfail(v, "SHA256SUMS lists %.*s, which the manifest does "
		    "not", 255, line + 66);
	else if (strncmp(line, v->f[at].sha256, 64) != 0)
		kr_vfail(v, "SHA256SUMS and the manifest give %s different "
		    "SHA-256s", v->f[at].name);
	else
		v->f[at].in_sums = true;
}

static void
kr_vsums(struct kr_verify *v)
{
	struct kr_err	 e;
	uint8_t		*data;
	char		*line, *next, hex[65];
	size_t		 len, i;

	if (kr_vread(v, KR_MEDIA_SUMS, &data, &len, hex, &e) != KR_OK) {
		kr_vfail(v, "SHA256SUMS: %s", e.code == KR_ENOENT ? "missing" :
		    e.msg);
		return;
	}
	if (memchr(data, '\0', len) != NULL)
		kr_vfail(v, "SHA256SUMS holds a NUL byte");
	data[len] = '\0';	/* kr_file_read leaves room for it */
	for (line = (char *)data; *line != '\0'; line = next) {
		next = line + strcspn(line, "\n");
		if (*next != '\0')
			*next++ = '\0';
		kr_vsums_line(v, line);
	}
	free(data);
	if (!v->r->manifest_in_sums)
		kr_vfail(v, "SHA256SUMS does not list MANIFEST.json");
	for (i = 0; i < v->n; i++)
		if (!v->f[i].in_sums)
			kr_vfail(v, "SHA256SUMS does not list %s", v->f[i].name);
}

/* Whether a listed name lies in sub-folder `sub`. */
static bool
kr_vsub_listed(const struct kr_verify *v, const char *sub)
{
	size_t	i, n = strlen(sub);

	for (i = 0; i < v->n; i++)
		if (strncmp(v->f[i].name, sub, n) == 0 && v->f[i].name[n] == '/')
			return true;
	return false;
}

/* A real folder at the top (no link), also where d_type is not known. */
static bool
kr_vis_dir(const struct kr_verify *v, const struct dirent *d)
{
	struct stat	 st;
	char		*path;
	bool		 yes;

	if (d->d_type != DT_UNKNOWN)
		return d->d_type == DT_DIR;
	if ((path = kr_path_join(v->dir, d->d_name)) == NULL)
		return false;
	yes = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
	free(path);
	return yes;
}

/*
 * Nothing in folder `rel` ("" for the top) but what the manifest lists,
 * its two files at the top, and the sub-folders of listed names.
 */
static int
kr_vextra_in(struct kr_verify *v, const char *rel, struct kr_err *err)
{
	struct dirent	*d;
	DIR		*dir;
	char		*path, name[2 * KR_MEDIA_NAME_MAX + 258];
	int		 ret = KR_OK;

	if ((path = rel[0] != '\0' ? kr_path_join(v->dir, rel) :
	    strdup(v->dir)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((dir = opendir(path)) == NULL) {
		ret = kr_err_set(err, KR_EIO, "cannot list %s: %s", path,
		    strerror(errno));
		free(path);
		return ret;
	}
	while (ret == KR_OK && (d = readdir(dir)) != NULL) {
		(void)snprintf(name, sizeof(name), "%s%s%s", rel,
		    rel[0] != '\0' ? "/" : "", d->d_name);
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0 ||
		    (rel[0] == '\0' && (strcmp(d->d_name, KR_MEDIA_MANIFEST) ==
		    0 || strcmp(d->d_name, KR_MEDIA_SUMS) == 0)) ||
		    kr_vlisted(v, name, NULL))
			continue;
		if (rel[0] == '\0' && kr_vis_dir(v, d) &&
		    kr_vsub_listed(v, d->d_name))
			ret = kr_vextra_in(v, d->d_name, err);
		else
			kr_vfail(v, "%.*s: not in the manifest (added)", 255,
			    name);
	}
	(void)closedir(dir);
	free(path);
	return ret;
}

int
kr_media_export_verify(const char *dir, struct kr_media_export_report *r,
    struct kr_err *err)
{
	struct kr_verify	 v;
	uint8_t			*m = NULL;
	size_t			 len;
	int			 ret;

	memset(r, 0, sizeof(*r));
	memset(&v, 0, sizeof(v));
	v.dir = dir;
	v.r = r;
	if ((ret = kr_vread(&v, KR_MEDIA_MANIFEST, &m, &len, v.manifest_sha256,
	    err)) != KR_OK)
		return kr_err_prefix(err, "%s is no keyrite export (its "
		    "MANIFEST.json cannot be read): ", dir);
	m[len] = '\0';
	if (memchr(m, '\0', len) != NULL)
		ret = kr_err_set(err, KR_EVERIFY, "%s/MANIFEST.json holds a NUL "
		    "byte", dir);
	else if ((ret = kr_vparse(&v, (const char *)m, err)) == KR_OK) {
		kr_vfiles(&v);
		kr_vsums(&v);
		ret = kr_vextra_in(&v, "", err);
	}
	r->files = v.n;
	(void)snprintf(r->manifest_sha256, sizeof(r->manifest_sha256), "%s",
	    v.manifest_sha256);
	if (ret == KR_OK && r->nfailed > 0)
		ret = kr_err_set(err, KR_EVERIFY, "the export in %s does not "
		    "match its manifest: %zu problem%s (listed above)", dir,
		    r->nfailed, r->nfailed == 1 ? "" : "s");
	free(v.f);
	free(m);
	return ret;
}
