/*
 * The export writer: an allow-list of public artifact types, the scan
 * for private key blocks, whole-buffer writes, and the check of every
 * output before anything is asked or signed.  Streamed outputs: stream.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "media_int.h"

static const char *const kr_artifact_names[] = {
	[KR_ART_CERTIFICATE] = "certificate",
	[KR_ART_CRL] = "CRL",
	[KR_ART_OCSP_RESPONSE] = "OCSP response",
	[KR_ART_SIGNATURE] = "signature",
	[KR_ART_SIGNED_IMAGE] = "signed image",
	[KR_ART_PUBLIC_KEY] = "public key",
	[KR_ART_PIN_SET] = "pin set",
	[KR_ART_MANIFEST] = "manifest",
	[KR_ART_AUDIT_EXPORT] = "audit export",
	[KR_ART_CEREMONY_REPORT] = "ceremony report",
	[KR_ART_SHARE_FILE] = "encrypted share file",
	[KR_ART_CERT_REQUEST] = "prepared certificate request",
	[KR_ART_CRL_REQUEST] = "prepared CRL request",
	[KR_ART_BACKUP_FILE] = "backup file",
	[KR_ART_CHECKSUMS] = "checksum list",
	[KR_ART_PROV_RECORD] = "provisioning record",
};

const char *
kr_artifact_name(enum kr_artifact type)
{
	if ((size_t)type >= sizeof(kr_artifact_names) /
	    sizeof(kr_artifact_names[0]) || kr_artifact_names[type] == NULL)
		return NULL;
	return kr_artifact_names[type];
}

int
kr_media_type_check(enum kr_artifact type, const char *path,
    struct kr_err *err)
{
	if (kr_artifact_name(type) == NULL)
		return kr_err_set(err, KR_EINTERNAL, "refusing to write %s: "
		    "artifact type %d is not on the export allow-list", path,
		    (int)type);
	return KR_OK;
}

int
kr_media_key_refused(enum kr_artifact type, const char *path,
    const struct kr_media_hit *hit, struct kr_err *err)
{
	return kr_err_set(err, KR_EINTERNAL, "refusing to write %s: the %s "
	    "carries a private key block: %s at byte %llu. Nothing was "
	    "written; a private key never leaves keyrite: check where these "
	    "bytes came from", path, kr_artifact_name(type), hit->what,
	    (unsigned long long)hit->off);
}

/* A private key anywhere in a whole buffer, or one at its start. */
bool
kr_media_key_scan(const void *data, size_t len, struct kr_media_hit *hit)
{
	return kr_media_key_head(data, len, len, hit) ||
	    kr_media_key_found(data, len, true, hit);
}

bool
kr_media_holds_key(const void *data, size_t len, char *what, size_t cap)
{
	struct kr_media_hit	hit;

	if (!kr_media_key_scan(data, len, &hit))
		return false;
	(void)snprintf(what, cap, "%s at byte %llu", hit.what,
	    (unsigned long long)hit.off);
	return true;
}

int
kr_media_check(enum kr_artifact type, const char *path, const void *data,
    size_t len, struct kr_err *err)
{
	struct kr_media_hit	hit;
	int			ret;

	if ((ret = kr_media_type_check(type, path, err)) != KR_OK)
		return ret;
	if (kr_media_key_scan(data, len, &hit))
		return kr_media_key_refused(type, path, &hit, err);
	return KR_OK;
}

int
kr_media_write(enum kr_artifact type, const char *path, const void *data,
    size_t len, unsigned flags, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_media_check(type, path, data, len, err)) != KR_OK)
		return ret;
	return kr_file_write(path, data, len, flags, err);
}

_Static_assert(KR_MEDIA_PATH_MAX >= PATH_MAX, "realpath needs PATH_MAX");

int
kr_media_plan_init(struct kr_media_plan *p, const char *statedir,
    struct kr_err *err)
{
	memset(p, 0, sizeof(*p));
	if (realpath(statedir, p->state) == NULL)
		return kr_err_set(err, KR_ESTATE, "cannot resolve the state "
		    "folder %s: %s", statedir, strerror(errno));
	return KR_OK;
}

#define KR_MEDIA_SEEN_FIRST	256

int
kr_media_plan_distinct(struct kr_media_plan *p, struct kr_err *err)
{
	if (p->seen.slot != NULL)
		return KR_OK;
	if ((p->seen.slot = calloc(KR_MEDIA_SEEN_FIRST,
	    sizeof(*p->seen.slot))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	p->seen.cap = KR_MEDIA_SEEN_FIRST;
	return KR_OK;
}

void
kr_media_plan_free(struct kr_media_plan *p)
{
	size_t	i;

	for (i = 0; i < p->seen.cap; i++)
		free(p->seen.slot[i]);
	free(p->seen.slot);
	memset(&p->seen, 0, sizeof(p->seen));
}

/* FNV-1a of the path, letters folded to lower case. */
static size_t
kr_media_seen_slot(char *const *slot, size_t cap, const char *folded)
{
	const unsigned char	*c;
	uint64_t		 h = 14695981039346656037ULL;
	size_t			 i;

	for (c = (const unsigned char *)folded; *c != '\0'; c++)
		h = (h ^ *c) * 1099511628211ULL;
	for (i = (size_t)h & (cap - 1); slot[i] != NULL &&
	    strcmp(slot[i], folded) != 0; i = (i + 1) & (cap - 1))
		;
	return i;
}

static int
kr_media_seen_grow(struct kr_media_plan *p, struct kr_err *err)
{
	char	**old = p->seen.slot, **n;
	size_t	  i, cap = p->seen.cap * 2;

	if ((n = calloc(cap, sizeof(*n))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	for (i = 0; i < p->seen.cap; i++)
		if (old[i] != NULL)
			n[kr_media_seen_slot(n, cap, old[i])] = old[i];
	free(old);
	p->seen.slot = n;
	p->seen.cap = cap;
	return KR_OK;
}

/* A path planned twice, apart from case, is refused (one file on FAT). */
static int
kr_media_seen_add(struct kr_media_plan *p, const char *path,
    const char *full, struct kr_err *err)
{
	char	*f, *c;
	size_t	 i;
	int	 ret;

	if (p->seen.slot == NULL)
		return KR_OK;
	if (2 * (p->seen.n + 1) > p->seen.cap &&
	    (ret = kr_media_seen_grow(p, err)) != KR_OK)
		return ret;
	if ((f = strdup(full)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	for (c = f; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	i = kr_media_seen_slot(p->seen.slot, p->seen.cap, f);
	if (p->seen.slot[i] != NULL) {
		free(f);
		return kr_err_set(err, KR_EINPUT, "%s: another output of this "
		    "operation has the same name apart from case, one file on "
		    "FAT media: give the outputs distinct names", path);
	}
	p->seen.slot[i] = f;
	p->seen.n++;
	return KR_OK;
}

/* `real` (resolved) is the state folder or lies inside it. */
static bool
kr_media_inside(const struct kr_media_plan *p, const char *real)
{
	return kr_path_under(real, p->state);
}

static int
kr_media_refuse_inside(const struct kr_media_plan *p, const char *what,
    const char *path, const char *real, struct kr_err *err)
{
	return kr_err_set(err, KR_EINPUT, "%s %s is inside the state folder "
	    "%s (it resolves to %s): keyrite writes nothing there but its own "
	    "records; choose a folder outside it", what, path, p->state, real);
}

/*
 * Resolves a folder outputs go to and checks it as kr_media_plan_dir;
 * messages say "`what` `shown`".
 */
static int
kr_media_dir_resolve(struct kr_media_plan *p, const char *dir,
    const char *what, const char *shown, char *real, struct kr_err *err)
{
	struct stat	st;
	int		e;

	if (realpath(dir, real) == NULL) {
		e = errno;
		return kr_err_set(err, e == ENOENT ? KR_ENOENT : KR_EIO,
		    e == ENOENT ? "%s %s does not exist: create it first" :
		    e == ENOTDIR ? "%s %s is not a folder" :
		    "cannot reach %s %s: %s", what, shown, strerror(e));
	}
	if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
		return kr_err_set(err, KR_EINPUT, "%s %s is not a folder",
		    what, shown);
	if (kr_media_inside(p, real))
		return kr_media_refuse_inside(p, what, shown, real, err);
	if (access(real, W_OK | X_OK) != 0) {
		e = errno;
		return kr_err_set(err, KR_EIO, "%s %s is %s (%s): nothing "
		    "could be written there", what, shown, e == EROFS ?
		    "on a read-only file system" : "not writable", strerror(e));
	}
	return KR_OK;
}

int
kr_media_plan_dir(struct kr_media_plan *p, const char *dir, const char *what,
    struct kr_err *err)
{
	char	*real;
	int	 ret;

	if ((real = malloc(KR_MEDIA_PATH_MAX)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_media_dir_resolve(p, dir, what, dir, real, err);
	free(real);
	return ret;
}

/* Splits `path` into its folder (malloc'd) and its last component. */
static int
kr_media_split(const char *path, char **dir, const char **base,
    struct kr_err *err)
{
	const char	*slash = strrchr(path, '/');
	size_t		 n;

	*base = slash != NULL ? slash + 1 : path;
	if (**base == '\0' || strcmp(*base, ".") == 0 ||
	    strcmp(*base, "..") == 0)
		return kr_err_set(err, KR_EUSAGE, "%s names a folder; give a "
		    "file name", path);
	n = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
	if ((*dir = malloc(n + 1)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	memcpy(*dir, slash == NULL ? "." : path, n);
	(*dir)[n] = '\0';
	return KR_OK;
}

static void
kr_media_size(uint64_t n, char *out, size_t cap)
{
	if (n >= 10ULL << 20)
		(void)snprintf(out, cap, "%llu MiB",
		    (unsigned long long)(n >> 20));
	else if (n >= 10ULL << 10)
		(void)snprintf(out, cap, "%llu KiB",
		    (unsigned long long)(n >> 10));
	else
		(void)snprintf(out, cap, "%llu bytes", (unsigned long long)n);
}

/* Room for this file and the plan's earlier ones on the same file system. */
static int
kr_media_room(struct kr_media_plan *p, const char *real, const char *path,
    uint64_t size, struct kr_err *err)
{
	struct statvfs	 vfs;
	struct stat	 st;
	uint64_t	 bs, need, avail, one = 0, files = 1, *acc = &one;
	char		 a[32], b[32];
	size_t		 i;

	if (stat(real, &st) != 0 || statvfs(real, &vfs) != 0)
		return kr_err_set(err, KR_EIO, "cannot tell how much room the "
		    "folder of %s has: %s", path, strerror(errno));
	bs = vfs.f_frsize != 0 ? vfs.f_frsize : vfs.f_bsize;
	for (i = 0; i < p->nfs && p->fs[i].dev != st.st_dev; i++)
		continue;
	if (i == p->nfs && p->nfs < KR_MEDIA_PLAN_FS)
		p->fs[p->nfs++].dev = st.st_dev;
	if (i < p->nfs) {
		acc = &p->fs[i].bytes;
		files = ++p->fs[i].files;
	}
	/* Whole blocks, and one more for the temporary name and metadata. */
	*acc += (size / bs + 2) * bs;
	need = *acc;
	avail = (uint64_t)vfs.f_bavail * bs;
	if (need > avail) {
		kr_media_size(need, a, sizeof(a));
		kr_media_size(avail, b, sizeof(b));
		return kr_err_set(err, KR_EIO, "no room for %s: what keyrite "
		    "would write to that file system needs up to %s and it has "
		    "%s free; make room or choose another folder", path, a, b);
	}
	if (vfs.f_files != 0 && files > (uint64_t)vfs.f_favail)
		return kr_err_set(err, KR_EIO, "no room for %s: its file system "
		    "has no free inodes left for %llu new files", path,
		    (unsigned long long)files);
	return KR_OK;
}

int
kr_media_plan_add(struct kr_media_plan *p, enum kr_artifact type,
    const char *path, uint64_t size, struct kr_err *err)
{
	const char	*base;
	char		*dir = NULL, *real = NULL, *full = NULL, *shown = NULL;
	size_t		 n;
	int		 ret;

	if ((ret = kr_media_type_check(type, path, err)) != KR_OK)
		return ret;
	if ((ret = kr_media_split(path, &dir, &base, err)) != KR_OK)
		return ret;
	ret = KR_ENOMEM;
	if ((real = malloc(KR_MEDIA_PATH_MAX)) == NULL)
		goto nomem;
	n = strlen(dir) + strlen(base) + 16;
	if ((shown = malloc(n)) == NULL)
		goto nomem;
	(void)snprintf(shown, n, "%s (for %s)", dir, base);
	if ((ret = kr_media_dir_resolve(p, dir, "the output folder", shown,
	    real, err)) != KR_OK)
		goto out;
	if ((full = kr_path_join(real, base)) == NULL)
		goto nomem;
	if (kr_media_inside(p, full)) {
		ret = kr_media_refuse_inside(p, "the output", path, full, err);
		goto out;
	}
	if ((ret = kr_media_seen_add(p, path, full, err)) != KR_OK)
		goto out;
	if (kr_path_exists(path)) {
		ret = kr_err_set(err, KR_EEXIST, "%s already exists: keyrite "
		    "will not overwrite it", path);
		goto out;
	}
	ret = kr_media_room(p, real, path, size, err);
	goto out;
nomem:
	ret = kr_err_set(err, KR_ENOMEM, "out of memory");
out:
	free(shown);
	free(full);
	free(real);
	free(dir);
	return ret;
}

/* A missing SUB of DIR/SUB/FILE: DIR is checked, and its room. */
static int
kr_media_plan_new_sub(struct kr_media_plan *p, const char *path,
    const char *sub, uint64_t size, struct kr_err *err)
{
	const char	*name;
	char		*dir = NULL, *real = NULL, *full = NULL;
	int		 ret;

	if ((ret = kr_media_split(sub, &dir, &name, err)) != KR_OK)
		return ret;
	if ((real = malloc(KR_MEDIA_PATH_MAX)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = kr_media_dir_resolve(p, dir, "the output folder", dir, real,
	    err)) != KR_OK)
		goto out;
	if ((full = kr_path_join(real, name)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	if (kr_media_inside(p, full))
		ret = kr_media_refuse_inside(p, "the output", path, full, err);
	else
		ret = kr_media_room(p, real, path, size, err);
out:
	free(full);
	free(real);
	free(dir);
	return ret;
}

int
kr_media_plan_add_sub(struct kr_media_plan *p, enum kr_artifact type,
    const char *path, uint64_t size, struct kr_err *err)
{
	struct stat	 st;
	const char	*base;
	char		*sub = NULL;
	int		 ret;

	if ((ret = kr_media_type_check(type, path, err)) != KR_OK ||
	    (ret = kr_media_split(path, &sub, &base, err)) != KR_OK)
		return ret;
	if (lstat(sub, &st) != 0 && errno == ENOENT)
		ret = kr_media_plan_new_sub(p, path, sub, size, err);
	else
		ret = kr_media_plan_add(p, type, path, size, err);
	free(sub);
	return ret;
}

uint64_t
kr_media_pem_bound(uint64_t der_len)
{
	uint64_t	b64 = (der_len + 2) / 3 * 4;

	return b64 + b64 / 64 + 1 + 128;
}

/* The folder of `path`, created 0700 when missing (its parent synced). */
static int
kr_media_folder(const char *path, struct kr_err *err)
{
	const char	*base, *name;
	char		*dir = NULL, *parent = NULL;
	int		 ret;

	if ((ret = kr_media_split(path, &dir, &base, err)) != KR_OK)
		return ret;
	if (!kr_path_exists(dir) &&
	    (ret = kr_mkdir_private(dir, err)) == KR_OK &&
	    (ret = kr_media_split(dir, &parent, &name, err)) == KR_OK)
		ret = kr_fsync_dir(parent, err);
	free(parent);
	free(dir);
	return ret;
}

int
kr_media_stage(enum kr_artifact type, const char *path, const void *data,
    size_t len, char **tmp, struct kr_err *err)
{
	int	ret;

	*tmp = NULL;
	if ((ret = kr_media_check(type, path, data, len, err)) != KR_OK ||
	    (ret = kr_media_folder(path, err)) != KR_OK)
		return ret;
	return kr_file_stage(path, data, len, tmp, err);
}

void
kr_media_unstage(const char *tmp)
{
	const char	*base;
	char		*dir;
	struct kr_err	 e;

	(void)unlink(tmp);
	/* A custodian's folder that holds nothing else goes too. */
	if (kr_media_split(tmp, &dir, &base, &e) != KR_OK)
		return;
	(void)rmdir(dir);
	free(dir);
}

int
kr_media_place(const char *tmp, const char *path, struct kr_err *err)
{
	return kr_file_place(tmp, path, err);
}
