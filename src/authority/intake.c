/*
 * import: the inputs of a job brought in from a medium into the state
 * folder's intake area, STATE/intake/ID/ (docs/media.md, What comes in).
 *
 * Every file of the medium's folder is checked before anything is
 * copied: a regular file (no link, device, FIFO, socket or sub-folder),
 * a FAT-safe name, a known type by its extension within that type's size
 * bound, and parsed as that type.  The first refusal names the file and
 * nothing is copied.  Then the files are copied into a staged folder,
 * each checked again against the SHA-256 read before, one "import.files"
 * row records them, and the folder gets its name.  No table: the row is
 * the record, and `import list` checks each file against it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authority_int.h"

#define KR_INTAKE_FILES_MAX	256
#define KR_INTAKE_NAME_MAX	64
#define KR_INTAKE_IMAGE_MAX	((uint64_t)1 << 30)
#define KR_INTAKE_MANIFEST_MAX	(1024 * 1024)
#define KR_INTAKE_INDEX_MAX	((uint64_t)256 << 20)

typedef int kr_intake_check(const char *, struct kr_err *);

struct kr_intake_type {
	const char	*ext;
	const char	*type;
	uint64_t	 max;
	kr_intake_check	*check;
};

static int
kr_intake_csr(const char *path, struct kr_err *err)
{
	struct kr_csr	*csr = NULL;
	uint8_t		*data = NULL;
	size_t		 len;
	int		 ret;

	if ((ret = kr_file_read(path, KR_CSR_MAX, false, &data, &len,
	    err)) != KR_OK)
		return ret;
	ret = kr_csr_from_outside(path, data, len, &csr, err);
	kr_csr_free(&csr);
	free(data);
	return ret;
}

static int
kr_intake_crl(const char *path, struct kr_err *err)
{
	struct kr_crl_info	 info;
	uint8_t			*data = NULL, *der = NULL;
	size_t			 len;
	int			 ret;

	if ((ret = kr_file_read(path, KR_CRL_FILE_MAX, false, &data, &len,
	    err)) != KR_OK)
		return ret;
	ret = kr_crl_parse(path, data, len, &info, &der, NULL, NULL, err);
	free(der);
	free(data);
	return ret;
}

static int
kr_intake_manifest(const char *path, struct kr_err *err)
{
	struct kr_manifest	m;
	int			ret;

	memset(&m, 0, sizeof(m));
	ret = kr_manifest_load(path, NULL, &m, err);
	kr_manifest_free(&m);
	return ret;
}

static int
kr_intake_index_cb(const struct kr_index_entry *e, void *arg)
{
	(void)e;
	(void)arg;
	return 0;
}

static int
kr_intake_index(const char *path, struct kr_err *err)
{
	return kr_index_read(path, kr_intake_index_cb, NULL, err);
}

static const struct kr_intake_type kr_intake_types[] = {
	{ ".csr", "csr", KR_CSR_MAX, kr_intake_csr },
	{ ".req", "csr", KR_CSR_MAX, kr_intake_csr },
	{ ".crl", "crl", KR_CRL_FILE_MAX, kr_intake_crl },
	{ ".yaml", "manifest", KR_INTAKE_MANIFEST_MAX, kr_intake_manifest },
	{ ".yml", "manifest", KR_INTAKE_MANIFEST_MAX, kr_intake_manifest },
	{ "index.txt", "openssl-index", KR_INTAKE_INDEX_MAX, kr_intake_index },
	{ ".index", "openssl-index", KR_INTAKE_INDEX_MAX, kr_intake_index },
	{ ".bin", "image", KR_INTAKE_IMAGE_MAX, NULL },
	{ ".img", "image", KR_INTAKE_IMAGE_MAX, NULL },
	{ ".hex", "image", KR_INTAKE_IMAGE_MAX, NULL },
	{ ".elf", "image", KR_INTAKE_IMAGE_MAX, NULL },
	{ ".fw", "image", KR_INTAKE_IMAGE_MAX, NULL },
	{ ".raucb", "image", KR_INTAKE_IMAGE_MAX, NULL },
	{ NULL, NULL, 0, NULL }
};

static const struct kr_intake_type *
kr_intake_type_of(const char *name)
{
	size_t	i, n = strlen(name), e;

	for (i = 0; kr_intake_types[i].ext != NULL; i++) {
		e = strlen(kr_intake_types[i].ext);
		if (n > e && strcasecmp(name + n - e, kr_intake_types[i].ext) ==
		    0)
			return &kr_intake_types[i];
	}
	return NULL;
}

/* Letters, digits, '.', '-', '_'; not starting with '.'; not too long. */
static bool
kr_intake_name_ok(const char *name)
{
	const char	*p;

	if (name[0] == '.' || name[0] == '\0' ||
	    strlen(name) > KR_INTAKE_NAME_MAX)
		return false;
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' &&
		    *p != '_')
			return false;
	return true;
}

struct kr_intake_file_rec {
	char				 name[KR_INTAKE_NAME_MAX + 1];
	const struct kr_intake_type	*t;
	uint8_t				 sha[32];
	uint64_t			 size;
};

struct kr_intake {
	struct kr_appliance		*app;
	const struct kr_intake_req	*req;
	struct kr_intake_result		*res;
	struct kr_intake_file_rec	*f;
	size_t				 n;
	char				*stage;
};

static const char *
kr_intake_kind(mode_t m)
{
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISDIR(m))
		return "a sub-folder";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

/* One file of the medium, checked; nothing is copied yet. */
static int
kr_intake_check_one(struct kr_intake *in, const char *name, struct kr_err *err)
{
	struct kr_intake_file_rec	*r = &in->f[in->n];
	struct stat			 st;
	char				*path, why[sizeof(err->msg)];
	size_t				 i;
	int				 ret = KR_OK;

	memset(&st, 0, sizeof(st));
	if ((path = kr_path_join(in->req->from, name)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		ret = kr_err_set(err, KR_EINPUT, "%s is %s: only regular files "
		    "are imported", path, kr_intake_kind(st.st_mode));
	else if (!kr_intake_name_ok(name))
		ret = kr_err_set(err, KR_EINPUT, "%s: the name is not FAT-safe "
		    "(letters, digits, '.', '-' and '_', at most %d, not "
		    "starting with '.'): rename it on the medium", path,
		    KR_INTAKE_NAME_MAX);
	else if ((r->t = kr_intake_type_of(name)) == NULL)
		ret = kr_err_set(err, KR_EINPUT, "%s: not a type keyrite "
		    "imports (.csr, .req, .crl, .yaml, index.txt, .index, "
		    "images: .bin .img .hex .elf .fw .raucb)", path);
	else if ((uint64_t)st.st_size > r->t->max)
		ret = kr_err_set(err, KR_EINPUT, "%s is %llu bytes, more than "
		    "the %llu a %s may have", path,
		    (unsigned long long)st.st_size,
		    (unsigned long long)r->t->max, r->t->type);
	for (i = 0; ret == KR_OK && i < in->n; i++)
		if (strcasecmp(in->f[i].name, name) == 0)
			ret = kr_err_set(err, KR_EINPUT, "%s and %s differ only "
			    "in case: a FAT medium cannot hold both", path,
			    in->f[i].name);
	if (ret == KR_OK && r->t->check != NULL &&
	    (ret = r->t->check(path, err)) != KR_OK) {
		(void)snprintf(why, sizeof(why), "%s", err->msg);
		(void)kr_err_set(err, ret, "%s is not a %s keyrite can read: "
		    "%.300s", path, r->t->type, why);
	}
	if (ret == KR_OK)
		ret = kr_file_copy(path, r->t->max, NULL, NULL, r->sha,
		    &r->size, err);
	if (ret == KR_OK) {
		(void)snprintf(r->name, sizeof(r->name), "%s", name);
		in->n++;
	}
	free(path);
	return ret;
}

static int
kr_intake_check_all(struct kr_intake *in, struct kr_err *err)
{
	struct dirent	*de;
	DIR		*d;
	int		 ret = KR_OK;

	if ((d = opendir(in->req->from)) == NULL)
		return kr_err_set(err, KR_ENOENT, "cannot read the folder %s: "
		    "%s", in->req->from, strerror(errno));
	while (ret == KR_OK && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (in->n == KR_INTAKE_FILES_MAX)
			ret = kr_err_set(err, KR_EINPUT, "%s holds more than %d "
			    "files: import them in parts", in->req->from,
			    KR_INTAKE_FILES_MAX);
		else
			ret = kr_intake_check_one(in, de->d_name, err);
	}
	(void)closedir(d);
	if (ret == KR_OK && in->n == 0)
		ret = kr_err_set(err, KR_EINPUT, "%s holds no file to import",
		    in->req->from);
	return ret;
}

/* Each file copied and found again as it was checked. */
static int
kr_intake_copy(struct kr_intake *in, struct kr_err *err)
{
	struct kr_file_out	 out;
	uint8_t			 sha[32];
	uint64_t		 size;
	char			*src, *dst;
	size_t			 i;
	int			 ret = KR_OK;

	for (i = 0; ret == KR_OK && i < in->n; i++) {
		src = kr_path_join(in->req->from, in->f[i].name);
		dst = kr_path_join(in->stage, in->f[i].name);
		if (src == NULL || dst == NULL)
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		else if ((ret = kr_file_out_open(&out, dst, KR_FILE_NOREPLACE,
		    err)) == KR_OK) {
			ret = kr_file_copy(src, in->f[i].t->max,
			    kr_file_out_put, &out, sha, &size, err);
			if (ret == KR_OK && memcmp(sha, in->f[i].sha, 32) != 0)
				ret = kr_err_set(err, KR_EINPUT, "%s changed "
				    "while it was imported: nothing was "
				    "imported; run the import again", src);
			if (ret == KR_OK)
				ret = kr_file_out_commit(&out, err);
			kr_file_out_abort(&out);
		}
		in->res->bytes += in->f[i].size;
		free(src);
		free(dst);
	}
	in->res->files = in->n;
	return ret;
}

static int
kr_intake_record(struct kr_intake *in, struct kr_err *err)
{
	struct kr_json	 j, o;
	struct kr_buf	 a;
	size_t		 i;
	int		 ret;

	kr_buf_init(&a, false);
	for (i = 0; i < in->n; i++) {
		kr_json_begin(&o);
		kr_json_str(&o, "name", in->f[i].name);
		kr_json_str(&o, "type", in->f[i].t->type);
		kr_json_int(&o, "size", (int64_t)in->f[i].size);
		kr_json_hex(&o, "sha256", in->f[i].sha, 32);
		kr_json_list_add(&a, &o);
	}
	kr_json_begin(&j);
	kr_json_str(&j, "import_id", in->res->id);
	kr_json_str(&j, "from", in->req->from);
	kr_json_raw(&j, "files", kr_json_list_end(&a));
	if (kr_json_end(&j) == NULL)
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
	else if ((ret = kr_store_begin(in->app->store, err)) == KR_OK) {
		if ((ret = kr_audit_record(in->app, in->req->actor,
		    "import.files", kr_json_end(&j), &in->res->audit_seq,
		    err)) == KR_OK)
			ret = kr_store_commit(in->app->store, err);
		else
			kr_store_rollback(in->app->store);
	}
	kr_json_free(&j);
	kr_buf_free(&a);
	return ret;
}

static int
kr_intake_stage(struct kr_intake *in, struct kr_err *err)
{
	char	*top, rel[64], when[KR_TIME_STR_BYTES], *final;
	uint8_t	 rnd[2];
	int	 ret;

	if ((top = kr_appliance_path(in->app, KR_INTAKE_DIR)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	ret = kr_path_exists(top) ? KR_OK : kr_mkdir_private(top, err);
	free(top);
	if (ret != KR_OK)
		return ret;
	kr_time_format(kr_time_now(), when);
	kr_random(rnd, sizeof(rnd));
	(void)snprintf(in->res->id, sizeof(in->res->id),
	    "%.4s%.2s%.2s-%.2s%.2s%.2s-%02x%02x", when, when + 5, when + 8,
	    when + 11, when + 14, when + 17, rnd[0], rnd[1]);
	(void)snprintf(rel, sizeof(rel), KR_INTAKE_DIR "/%s", in->res->id);
	if ((final = kr_appliance_path(in->app, rel)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	(void)snprintf(in->res->dir, sizeof(in->res->dir), "%s", final);
	ret = kr_folder_stage(final, "the intake folder", &in->stage, err);
	free(final);
	return ret;
}

int
kr_authority_import_files(struct kr_appliance *app,
    const struct kr_intake_req *req, struct kr_intake_result *res,
    struct kr_err *err)
{
	struct kr_intake	in;
	int			ret;

	memset(res, 0, sizeof(*res));
	memset(&in, 0, sizeof(in));
	in.app = app;
	in.req = req;
	in.res = res;
	if ((in.f = calloc(KR_INTAKE_FILES_MAX, sizeof(*in.f))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((ret = kr_intake_check_all(&in, err)) == KR_OK &&
	    (ret = kr_intake_stage(&in, err)) == KR_OK &&
	    (ret = kr_intake_copy(&in, err)) == KR_OK &&
	    (ret = kr_fsync_dir(in.stage, err)) == KR_OK &&
	    (ret = kr_intake_record(&in, err)) == KR_OK)
		ret = kr_media_dir_place(in.stage, res->dir, err);
	else if (in.stage != NULL)
		kr_media_dir_unstage(in.stage);
	free(in.stage);
	free(in.f);
	return ret;
}

/* ---- import list ---------------------------------------------------------- */

struct kr_intake_seen {
	const char	*id;
	const char	*sha;
	bool		 found;
};

static int
kr_intake_seen_cb(const struct kr_audit_rec *r, void *arg)
{
	struct kr_intake_seen	*s = arg;
	char			 pat[64];

	if (strcmp(r->event, "import.files") != 0)
		return 0;
	(void)snprintf(pat, sizeof(pat), "\"import_id\":\"%s\"", s->id);
	if (strstr(r->payload, pat) != NULL && strstr(r->payload, s->sha) !=
	    NULL) {
		s->found = true;
		return 1;
	}
	return 0;
}

static int
kr_intake_list_one(struct kr_appliance *app, const char *id, const char *dir,
    kr_intake_cb *cb, void *arg, struct kr_err *err)
{
	struct kr_intake_file		 f;
	struct kr_intake_seen		 seen;
	const struct kr_intake_type	*t;
	struct dirent			*de;
	uint8_t				 sha[32];
	DIR				*d;
	char				*path;
	int				 ret = KR_OK;

	if ((d = opendir(dir)) == NULL)
		return KR_OK;
	while (ret == KR_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((path = kr_path_join(dir, de->d_name)) == NULL) {
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
			break;
		}
		memset(&f, 0, sizeof(f));
		t = kr_intake_type_of(de->d_name);
		f.id = id;
		f.name = de->d_name;
		f.path = path;
		f.type = t != NULL ? t->type : "unknown";
		if (kr_file_copy(path, UINT64_MAX, NULL, NULL, sha, &f.size,
		    err) == KR_OK) {
			kr_hex_encode(f.sha256, sha, sizeof(sha));
			seen = (struct kr_intake_seen){ id, f.sha256, false };
			if (kr_store_audit_foreach(app->store, 1,
			    kr_intake_seen_cb, &seen, err) >= 0)
				f.recorded = seen.found;
		}
		ret = cb(&f, arg);
		free(path);
	}
	(void)closedir(d);
	return ret;
}

int
kr_authority_intake_list(struct kr_appliance *app, kr_intake_cb *cb,
    void *arg, struct kr_err *err)
{
	struct dirent	*de;
	DIR		*d;
	char		*top, *dir;
	int		 ret = KR_OK;

	if ((top = kr_appliance_path(app, KR_INTAKE_DIR)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if ((d = opendir(top)) == NULL) {
		free(top);
		return KR_OK;	/* nothing imported yet */
	}
	while (ret == KR_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp-") != NULL)
			continue;
		if ((dir = kr_path_join(top, de->d_name)) == NULL) {
			ret = kr_err_set(err, KR_ENOMEM, "out of memory");
			break;
		}
		ret = kr_intake_list_one(app, de->d_name, dir, cb, arg, err);
		free(dir);
	}
	(void)closedir(d);
	free(top);
	return ret;
}

/* ---- recovery ------------------------------------------------------------- */

struct kr_intake_row {
	const char	*id;
	int64_t		 seq;		/* the row, 0 when none */
	char		*files;		/* the row's "files", or NULL */
};

static int
kr_intake_row_cb(const struct kr_audit_rec *r, void *arg)
{
	struct kr_intake_row	*w = arg;
	const char		*f, *end;
	char			 id[64];

	if (strcmp(r->event, "import.files") != 0 || !kr_js_str(
	    kr_js_member(r->payload, "import_id"), id, sizeof(id)) ||
	    strcmp(id, w->id) != 0)
		return 0;
	w->seq = r->seq;
	if ((f = kr_js_member(r->payload, "files")) != NULL &&
	    (end = kr_js_skip(f, 1)) != NULL)
		w->files = strndup(f, (size_t)(end - f));
	return 1;
}

/* ---- images signed from the intake --------------------------------------- */

void
kr_intake_memo_free(struct kr_intake_memo *m)
{
	free(m->files);
	memset(m, 0, sizeof(*m));
}

/* The SHA-256 the import row records for `name`, or false. */
static bool
kr_intake_recorded(const char *files, const char *name, char *want)
{
	const char	*p = files, *it;
	char		 n[KR_INTAKE_NAME_MAX + 1];
	bool		 first = true;

	while ((it = kr_js_next(&p, first)) != NULL) {
		first = false;
		if (kr_js_str(kr_js_member(it, "name"), n, sizeof(n)) &&
		    strcmp(n, name) == 0)
			return kr_js_str(kr_js_member(it, "sha256"), want, 65);
	}
	return false;
}

static int
kr_intake_memo_load(struct kr_appliance *app, const char *id,
    struct kr_intake_memo *m, struct kr_err *err)
{
	struct kr_intake_row	w;

	if (m->files != NULL && strcmp(m->id, id) == 0)
		return KR_OK;
	kr_intake_memo_free(m);
	w = (struct kr_intake_row){ id, 0, NULL };
	if (kr_store_audit_foreach(app->store, 1, kr_intake_row_cb, &w,
	    err) < 0)
		return err->code;
	(void)snprintf(m->id, sizeof(m->id), "%s", id);
	m->seq = w.seq;
	m->files = w.files != NULL ? w.files : strdup("[]");
	return m->files != NULL ? KR_OK : kr_err_set(err, KR_ENOMEM,
	    "out of memory");
}

int
kr_intake_image_check(struct kr_appliance *app, const char *path,
    const uint8_t *sha, struct kr_intake_memo *m, struct kr_err *err)
{
	char	real[PATH_MAX], state[PATH_MAX], top[PATH_MAX + 8];
	char	id[64], want[65], got[65];
	const char *rel, *slash;
	int	ret;

	if (realpath(path, real) == NULL || realpath(app->dir, state) == NULL)
		return KR_OK;	/* a missing image is named by its own check */
	if (!kr_path_under(real, state))
		return KR_OK;
	(void)snprintf(top, sizeof(top), "%s/%s", state, KR_INTAKE_DIR);
	if (!kr_path_under(real, top))
		return kr_err_set(err, KR_EREFUSED, "image %s is a file of the "
		    "state folder %s (%s): keyrite never signs its own files, "
		    "which would copy them onto the medium; sign a file from "
		    "the medium, or one brought in with `keyrite import "
		    "--from`. Nothing was signed", path, app->dir, real);
	rel = real + strlen(top) + (real[strlen(top)] == '/');
	if ((slash = strchr(rel, '/')) == NULL || strchr(slash + 1, '/') !=
	    NULL || (size_t)(slash - rel) >= sizeof(id))
		return kr_err_set(err, KR_EREFUSED, "image %s (%s) is in the "
		    "intake folder but is not a file an import brought in "
		    "(intake/ID/NAME): import it again with `keyrite import "
		    "--from`. Nothing was signed", path, real);
	(void)snprintf(id, sizeof(id), "%.*s", (int)(slash - rel), rel);
	if ((ret = kr_intake_memo_load(app, id, m, err)) != KR_OK)
		return ret;
	if (m->seq == 0 || !kr_intake_recorded(m->files, slash + 1, want))
		return kr_err_set(err, KR_EREFUSED, "image %s (intake/%s) was "
		    "not recorded by import %s: import it again with `keyrite "
		    "import --from`. Nothing was signed", path, rel, id);
	if (sha == NULL)
		return KR_OK;
	kr_hex_encode(got, sha, 32);
	if (strcmp(got, want) != 0)
		return kr_err_set(err, KR_EVERIFY, "image %s (intake/%s) is not "
		    "the file import %s brought in (audit row %lld): its "
		    "SHA-256 is %s, the import recorded %s. It was changed in "
		    "the intake after the import: import it again from the "
		    "medium. Nothing was signed", path, rel, id,
		    (long long)m->seq, got, want);
	return KR_OK;
}

/*
 * The staged folder holds exactly the row's files, each as recorded; if
 * not, `bad` names a file that differs (or one the row does not list).
 */
static bool
kr_intake_matches(const char *stage, const char *files, char *bad,
    size_t cap)
{
	struct kr_err	 e;
	struct dirent	*de;
	DIR		*d;
	const char	*p = files, *it;
	uint8_t		 sha[32];
	uint64_t	 size;
	char		 name[KR_INTAKE_NAME_MAX + 1], want[65], hex[65], *path;
	size_t		 listed = 0, found = 0;
	bool		 ok = true;

	(void)snprintf(bad, cap, "(the folder itself)");
	for (it = kr_js_next(&p, true); it != NULL && ok;
	    it = kr_js_next(&p, false), listed++) {
		ok = kr_js_str(kr_js_member(it, "name"), name, sizeof(name)) &&
		    kr_js_str(kr_js_member(it, "sha256"), want, sizeof(want)) &&
		    (path = kr_path_join(stage, name)) != NULL;
		if (ok) {
			(void)snprintf(bad, cap, "%s", name);
			ok = kr_file_copy(path, UINT64_MAX, NULL, NULL, sha,
			    &size, &e) == KR_OK;
			kr_hex_encode(hex, sha, sizeof(sha));
			ok = ok && strcmp(hex, want) == 0;
			free(path);
		}
	}
	if (!ok || (d = opendir(stage)) == NULL)
		return false;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 && found++ >= listed)
			(void)snprintf(bad, cap, "%s", de->d_name);
	(void)closedir(d);
	return found == listed;
}

static void
kr_intake_differs(struct kr_appliance *app, int64_t seq, const char *id,
    const char *name, const char *bad)
{
	char	rec[128], file[600], restore[400];

	(void)snprintf(rec, sizeof(rec), "%s/%s", KR_INTAKE_DIR, id);
	(void)snprintf(file, sizeof(file), "%s/%s/%s", KR_INTAKE_DIR, name,
	    bad);
	(void)snprintf(restore, sizeof(restore), "%s/%s/%s", KR_INTAKE_DIR, id,
	    bad);
	kr_recovery_differs(app, seq, rec, file, restore);
}

/*
 * A staged intake folder: named when its row lists it and it holds the
 * row's files; removed only when the audit walk succeeded and no row
 * lists it (cut before the commit); otherwise kept, and said why.
 */
static void
kr_intake_recover_one(struct kr_appliance *app, const char *top,
    const char *name, size_t stem)
{
	struct kr_intake_row	 w;
	struct kr_err		 e;
	char			 id[64], bad[256] = "(its row lists none)";
	char			*stage, *final;

	(void)snprintf(id, sizeof(id), "%.*s", (int)stem, name);
	w = (struct kr_intake_row){ id, 0, NULL };
	stage = kr_path_join(top, name);
	final = kr_path_join(top, id);
	if (stage == NULL || final == NULL)
		goto out;
	if (kr_store_audit_foreach(app->store, 1, kr_intake_row_cb, &w, &e) <
	    0)
		kr_recovery_note(app, "%s/%s was left by an interrupted import, "
		    "but the audit records could not be read (%s): nothing "
		    "removed; run keyrite audit verify", KR_INTAKE_DIR, name,
		    e.msg);
	else if (w.seq == 0) {
		kr_media_dir_unstage(stage);
		kr_recovery_note(app, "removed %s/%s and its files: an import "
		    "interrupted before it was recorded (import it again)",
		    KR_INTAKE_DIR, name);
	} else if (kr_path_exists(final))
		kr_recovery_note(app, "audit row %lld records %s/%s, which is in "
		    "place; %s/%s is beside it: nothing removed; compare them, "
		    "then remove %s/%s", (long long)w.seq, KR_INTAKE_DIR, id,
		    KR_INTAKE_DIR, name, KR_INTAKE_DIR, name);
	else if (w.files == NULL || !kr_intake_matches(stage, w.files, bad,
	    sizeof(bad)))
		kr_intake_differs(app, w.seq, id, name, bad);
	else if (kr_media_dir_place(stage, final, &e) == KR_OK)
		kr_recovery_note(app, "put %s/%s in place: the import was "
		    "recorded, but it was interrupted before its folder got its "
		    "name", KR_INTAKE_DIR, id);
	else
		kr_recovery_note(app, "could not put %s/%s in place: %s",
		    KR_INTAKE_DIR, id, e.msg);
out:
	free(w.files);
	free(stage);
	free(final);
}

void
kr_intake_recover(struct kr_appliance *app)
{
	struct dirent	*de;
	DIR		*d;
	char		*top, **names = NULL, **v;
	size_t		 n = 0, i, stem;

	if ((top = kr_appliance_path(app, KR_INTAKE_DIR)) == NULL)
		return;
	if ((d = opendir(top)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (!kr_file_tmp_name(de->d_name, NULL) ||
			    (v = realloc(names, (n + 1) * sizeof(*v))) == NULL)
				continue;
			names = v;
			if ((names[n] = strdup(de->d_name)) != NULL)
				n++;
		}
		(void)closedir(d);
	}
	for (i = 0; i < n; i++) {
		if (kr_file_tmp_name(names[i], &stem))
			kr_intake_recover_one(app, top, names[i], stem);
		free(names[i]);
	}
	free(names);
	free(top);
}
