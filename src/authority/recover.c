/*
 * Crash consistency: what an interrupted run left in the state folder.
 *
 * Every file a record owns (a sealed key or PIN file, a custodian's share
 * file, the recorded copy of a CRL) is written under a temporary name
 * beside its final name (NAME.tmp-XXXXXXXXXXXXXXXX, synced with its
 * folder), the record is committed, and only then is the file renamed
 * into place.  A run killed before its commit leaves temporary files that
 * no record owns; one killed after its commit leaves a record whose file
 * still has its temporary name.  At every open for writing (one writer at
 * a time) keyrite finishes the second, removes the first, and says what
 * it did:
 *
 *  pending/ID.keygen  a key generate journal, written before any file of
 *                     the key: with the key recorded, its sealed file and
 *                     share files are put in place (each share checked
 *                     against the SHA-256 its custodian record holds);
 *                     without, they are removed.
 *  keys/              other temporary files are shredded, and so is a
 *                     sealed or PIN file that no key record names (left
 *                     by earlier keyrite versions) or whose key is
 *                     recorded as destroyed (a destroy cut short).
 *  crls/              a temporary copy of the issuer's last recorded CRL
 *                     (same name and SHA-256) is put in place, any other
 *                     removed; a named copy numbered above the issuer's
 *                     last recorded CRL has no record: it is kept and
 *                     reported, and the next CRL is numbered above it.
 *  released/          a kept copy of a transcript or audit bundle
 *                     (released.c) under a temporary name is named when
 *                     a row lists its SHA-256, else removed.
 *  intake/            an import's folder under a temporary name
 *                     (ID.tmp-...) is named when its import.files row is
 *                     recorded and every file has the SHA-256 the row
 *                     gives; else it is removed with its files.
 *  ., pending/        stale temporary files are removed.
 *
 * Opening for reading changes nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authority_int.h"

#define KR_JOURNAL_MAX		(64 * 1024)
#define KR_JOURNAL_MAGIC	"keyrite-journal 1 key.generate\n"

static void
kr_say(struct kr_appliance *app, const char *fmt, ...) KR_PRINTF(2, 3);

static void
kr_say(struct kr_appliance *app, const char *fmt, ...)
{
	struct kr_recovery	*r = &app->recovery;
	va_list			 ap;

	if (r->n == KR_RECOVERY_LINES) {
		r->more++;
		(void)snprintf(r->lines[r->n - 1], sizeof(r->lines[0]),
		    "... and %zu more cleanup steps", r->more + 1);
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(r->lines[r->n++], sizeof(r->lines[0]), fmt, ap);
	va_end(ap);
}

void
kr_recovery_note(struct kr_appliance *app, const char *fmt, ...)
{
	char	line[sizeof(app->recovery.lines[0])];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	kr_say(app, "%s", line);
}

void
kr_recovery_differs(struct kr_appliance *app, int64_t seq,
    const char *recorded, const char *file, const char *restore)
{
	kr_say(app, "audit row %lld records %s but its file %s differs or "
	    "cannot be read; nothing removed; run keyrite audit verify; "
	    "restore %s from a backup", (long long)seq, recorded, file,
	    restore);
}

const char *
kr_appliance_recovery(const struct kr_appliance *app, size_t i)
{
	return i < app->recovery.n ? app->recovery.lines[i] : NULL;
}

/* ---- small helpers ------------------------------------------------------ */

/* The names in a folder (regular files only), read before anything moves. */
struct kr_names {
	char	**v;
	size_t	  n;
};

static void
kr_names_free(struct kr_names *ns)
{
	size_t	i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	ns->v = NULL;
	ns->n = 0;
}

/* KR_ENOENT when the folder cannot be read (errno says why). */
static int
kr_names_read(const char *dir, struct kr_names *ns)
{
	struct dirent	 *de;
	DIR		 *d;
	char		**v;

	memset(ns, 0, sizeof(*ns));
	if ((d = opendir(dir)) == NULL)
		return KR_ENOENT;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if ((v = realloc(ns->v, (ns->n + 1) * sizeof(*v))) == NULL ||
		    (v[ns->n] = strdup(de->d_name)) == NULL) {
			if (v != NULL)
				ns->v = v;
			(void)closedir(d);
			kr_names_free(ns);
			return KR_ENOMEM;
		}
		ns->v = v;
		ns->n++;
	}
	(void)closedir(d);
	return KR_OK;
}

/* Whether `name` is a temporary name of the file called `base`. */
static bool
kr_is_tmp_of(const char *name, const char *base)
{
	size_t	stem;

	return kr_file_tmp_name(name, &stem) && stem == strlen(base) &&
	    strncmp(name, base, stem) == 0;
}

static bool
kr_has_suffix(const char *s, const char *suffix)
{
	size_t	a = strlen(s), b = strlen(suffix);

	return a > b && strcmp(s + a - b, suffix) == 0;
}

/* Removes a file (shredded when it holds sealed material); says why. */
static void
kr_remove(struct kr_appliance *app, const char *path, bool shred,
    const char *shown, const char *why)
{
	struct kr_err	e;

	kr_err_clear(&e);
	if (shred && kr_file_shred(path, &e) == KR_OK)
		goto said;
	if (unlink(path) != 0 && errno != ENOENT) {
		kr_say(app, "could not remove %s (%s): %s; remove it by hand",
		    shown, why, strerror(errno));
		return;
	}
said:
	kr_say(app, "removed %s: %s", shown, why);
}

static int
kr_file_sha256(const char *path, size_t max, char hex[65])
{
	uint8_t		*data = NULL, dig[32];
	size_t		 len;
	struct kr_err	 e;
	int		 ret;

	if ((ret = kr_file_read(path, max, false, &data, &len, &e)) != KR_OK)
		return ret;
	ret = kr_hash(KR_HASH_SHA256, data, len, dig);
	free(data);
	if (ret == KR_OK)
		kr_hex_encode(hex, dig, sizeof(dig));
	return ret;
}

/* ---- the key generate journal ------------------------------------------- */

static void
kr_jput(struct kr_buf *b, const char *label, const void *v, size_t len)
{
	char	*hex;

	kr_buf_put(b, label, strlen(label));
	kr_buf_put_u8(b, ' ');
	if ((hex = malloc(2 * len + 1)) == NULL) {
		b->failed = true;
		return;
	}
	kr_hex_encode(hex, v, len);
	kr_buf_put(b, hex, 2 * len);
	kr_buf_put_u8(b, '\n');
	free(hex);
}

static char *
kr_journal_path(const struct kr_appliance *app, const uint8_t *id)
{
	char	rel[64], hex[2 * KR_STORE_ID_BYTES + 1];

	kr_hex_encode(hex, id, KR_STORE_ID_BYTES);
	(void)snprintf(rel, sizeof(rel), "%s/%s.keygen", KR_PENDING_DIR, hex);
	return kr_appliance_path(app, rel);
}

int
kr_journal_begin(struct kr_appliance *app, const struct kr_journal *j,
    char **path, struct kr_err *err)
{
	struct kr_buf	 b;
	char		*dir = NULL, x[8];
	size_t		 i;
	int		 ret;

	*path = NULL;
	kr_buf_init(&b, false);
	kr_buf_put(&b, KR_JOURNAL_MAGIC, strlen(KR_JOURNAL_MAGIC));
	kr_jput(&b, "key", j->key, strlen(j->key));
	kr_jput(&b, "id", j->key_id, sizeof(j->key_id));
	kr_jput(&b, "sealed", j->sealed, strlen(j->sealed));
	kr_jput(&b, "dir", j->share_dir, strlen(j->share_dir));
	for (i = 0; i < j->n; i++) {
		(void)snprintf(x, sizeof(x), "%u", j->x[i]);
		kr_jput(&b, "share", x, strlen(x));
		kr_jput(&b, "file", j->share[i], strlen(j->share[i]));
	}
	if ((ret = kr_buf_status(&b, err)) != KR_OK)
		goto out;
	if ((dir = kr_appliance_path(app, KR_PENDING_DIR)) == NULL ||
	    (*path = kr_journal_path(app, j->key_id)) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = kr_mkdir_private(dir, err)) != KR_OK ||
	    (ret = kr_fsync_dir(app->dir, err)) != KR_OK ||
	    (ret = kr_file_write(*path, b.p, b.len, KR_FILE_NOREPLACE,
	    err)) != KR_OK) {
		free(*path);
		*path = NULL;
	}
out:
	free(dir);
	kr_buf_free(&b);
	return ret;
}

void
kr_journal_end(struct kr_appliance *app, char **path)
{
	struct kr_err	 e;
	char		*dir;

	if (*path == NULL)
		return;
	(void)unlink(*path);
	/* Best effort: a journal that comes back is finished again. */
	if ((dir = kr_appliance_path(app, KR_PENDING_DIR)) != NULL &&
	    kr_fsync_dir(dir, &e) != KR_OK)
		kr_say(app, "%s", e.msg);
	free(dir);
	free(*path);
	*path = NULL;
}

/* One "label HEX" line into `out` (NUL-terminated, at most cap - 1). */
static int
kr_jget(char **line, const char *label, void *out, size_t cap, size_t *len)
{
	uint8_t	*v = NULL;
	char	*nl, *p = *line;
	size_t	 n = strlen(label), vlen;

	if ((nl = strchr(p, '\n')) == NULL || strncmp(p, label, n) != 0 ||
	    p[n] != ' ')
		return KR_EINPUT;
	*nl = '\0';
	if (p[n + 1] == '\0')
		vlen = 0;
	else if (kr_hex_decode_alloc(p + n + 1, &v, &vlen) != KR_OK ||
	    vlen >= cap) {
		free(v);
		return KR_EINPUT;
	}
	if (vlen > 0)
		memcpy(out, v, vlen);
	((uint8_t *)out)[vlen] = 0;
	if (len != NULL)
		*len = vlen;
	free(v);
	*line = nl + 1;
	return KR_OK;
}

/* One name of a path: not empty, not "." nor "..". */
static bool
kr_journal_name_ok(const char *s, size_t n)
{
	return n > 0 && !(n == 1 && s[0] == '.') &&
	    !(n == 2 && s[0] == '.' && s[1] == '.');
}

/* A share file's name: CUSTODIAN/KEY.share, or CUSTODIAN.share (before). */
static bool
kr_journal_share_ok(const char *rel)
{
	const char	*slash = strchr(rel, '/');

	if (slash == NULL)
		return kr_journal_name_ok(rel, strlen(rel));
	return strchr(slash + 1, '/') == NULL &&
	    kr_journal_name_ok(rel, (size_t)(slash - rel)) &&
	    kr_journal_name_ok(slash + 1, strlen(slash + 1));
}

static int
kr_journal_parse(char *text, struct kr_journal *j)
{
	char	*p = text, x[8];
	uint8_t	 id[KR_STORE_ID_BYTES + 1];
	size_t	 len;

	memset(j, 0, sizeof(*j));
	if (strncmp(p, KR_JOURNAL_MAGIC, strlen(KR_JOURNAL_MAGIC)) != 0)
		return KR_EINPUT;
	p += strlen(KR_JOURNAL_MAGIC);
	if (kr_jget(&p, "key", j->key, sizeof(j->key), NULL) != KR_OK ||
	    kr_jget(&p, "id", id, sizeof(id), &len) != KR_OK ||
	    len != KR_STORE_ID_BYTES ||
	    kr_jget(&p, "sealed", j->sealed, sizeof(j->sealed), NULL) !=
	    KR_OK ||
	    kr_jget(&p, "dir", j->share_dir, sizeof(j->share_dir), NULL) !=
	    KR_OK)
		return KR_EINPUT;
	memcpy(j->key_id, id, sizeof(j->key_id));
	while (*p != '\0') {
		if (j->n == KR_CUSTODIANS_MAX ||
		    kr_jget(&p, "share", x, sizeof(x), NULL) != KR_OK ||
		    kr_jget(&p, "file", j->share[j->n], sizeof(j->share[0]),
		    NULL) != KR_OK || !kr_journal_share_ok(j->share[j->n]))
			return KR_EINPUT;
		j->x[j->n++] = (unsigned)strtoul(x, NULL, 10);
	}
	/* A sealed file lies in keys/, a share file in the share folder. */
	if (j->sealed[0] != '\0' && (strncmp(j->sealed, KR_KEYS_DIR "/",
	    strlen(KR_KEYS_DIR) + 1) != 0 ||
	    strchr(j->sealed + strlen(KR_KEYS_DIR) + 1, '/') != NULL))
		return KR_EINPUT;
	return KR_OK;
}

/*
 * Whether a staged sealed or PIN file is the one of key `id`.  Its kind
 * comes from the final name (a temporary name ends otherwise).
 */
static bool
kr_sealed_is_key(const char *path, const char *final, const uint8_t *id)
{
	const struct kr_backend_ops	*be = kr_backend_for_file(final);
	struct kr_err			 e;
	uint8_t				*data = NULL;
	uint8_t				 key_id[KR_KEY_ID_BYTES];
	size_t				 len;
	bool				 yes;

	if (kr_file_read(path, KR_SEALED_FILE_MAX, false, &data, &len, &e) !=
	    KR_OK)
		return false;
	yes = be->file_key_id(data, len, path, key_id, &e) == KR_OK &&
	    memcmp(key_id, id, sizeof(key_id)) == 0;
	free(data);
	return yes;
}

/* The sealed (or PIN) file of a journal: placed when recorded, else gone. */
static void
kr_recover_sealed(struct kr_appliance *app, const struct kr_journal *j,
    bool recorded)
{
	struct kr_names	 ns;
	struct kr_err	 e;
	char		*final, *dir, *tmp, shown[600];
	const char	*base;
	size_t		 i;

	if ((final = kr_appliance_path(app, j->sealed)) == NULL)
		return;
	base = strrchr(j->sealed, '/') + 1;
	if ((dir = kr_appliance_path(app, KR_KEYS_DIR)) == NULL ||
	    kr_names_read(dir, &ns) != KR_OK) {
		free(dir);
		free(final);
		return;
	}
	for (i = 0; i < ns.n; i++) {
		if (!kr_is_tmp_of(ns.v[i], base) ||
		    (tmp = kr_path_join(dir, ns.v[i])) == NULL)
			continue;
		(void)snprintf(shown, sizeof(shown), "%s/%s", KR_KEYS_DIR,
		    ns.v[i]);
		if (recorded && !kr_path_exists(final) &&
		    kr_sealed_is_key(tmp, j->sealed, j->key_id)) {
			if (kr_file_place(tmp, final, &e) == KR_OK)
				kr_say(app, "put %s in place: key '%s' was "
				    "recorded, but its generation was "
				    "interrupted before the file got its name",
				    j->sealed, j->key);
			else
				kr_say(app, "could not put %s in place: %s",
				    j->sealed, e.msg);
		} else
			kr_remove(app, tmp, true, shown, recorded ?
			    "a stray copy of a recorded key's file" :
			    "a key whose generation was interrupted before "
			    "it was recorded");
		free(tmp);
	}
	kr_names_free(&ns);
	free(dir);
	free(final);
}

static const struct kr_custodian_rec *
kr_custodian_of(const struct kr_custodian_rec *cs, size_t n, unsigned x)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (cs[i].x == x)
			return &cs[i];
	return NULL;
}

/*
 * One share file of a recorded key: the temporary whose digest matches.
 * `dir` is the folder the file lies in (its custodian's), `ns` its names.
 */
static bool
kr_recover_share(struct kr_appliance *app, const struct kr_journal *j,
    const char *dir, const char *base, const struct kr_names *ns,
    const struct kr_custodian_rec *c)
{
	struct kr_err	 e;
	char		*final, *tmp, hex[65], want[65];
	bool		 placed, ok = true;
	size_t		 k;

	if ((final = kr_path_join(dir, base)) == NULL)
		return false;
	/* Named already only when the file there is the recorded one. */
	placed = kr_path_exists(final);
	if (c != NULL) {
		kr_hex_encode(want, c->share_digest, sizeof(c->share_digest));
		placed = placed && kr_file_sha256(final, KR_SHARE_FILE_MAX,
		    hex) == KR_OK && strcmp(hex, want) == 0;
	}
	for (k = 0; k < ns->n; k++) {
		if (!kr_is_tmp_of(ns->v[k], base) ||
		    (tmp = kr_path_join(dir, ns->v[k])) == NULL)
			continue;
		if (c != NULL && !placed && kr_file_sha256(tmp,
		    KR_SHARE_FILE_MAX, hex) == KR_OK &&
		    strcmp(hex, want) == 0) {
			if (kr_media_place(tmp, final, &e) == KR_OK) {
				placed = true;
				kr_say(app, "put %s in place: key '%s' was "
				    "recorded, but its generation was "
				    "interrupted before this share file got "
				    "its name", final, j->key);
			} else {
				ok = false;
				kr_say(app, "could not put %s in place (%s); "
				    "the share of key '%s' is in %s", final,
				    e.msg, j->key, tmp);
			}
		} else
			kr_remove(app, tmp, false, tmp, c != NULL ?
			    "not the share file recorded for its custodian" :
			    "a share of a key whose generation was interrupted "
			    "before it was recorded");
		free(tmp);
	}
	if (c != NULL && !placed && ok)
		kr_say(app, "the share file %s of key '%s' is missing (it was "
		    "removed before keyrite could give it its name): that "
		    "custodian has no share", final, j->key);
	free(final);
	return ok;
}

/*
 * Share i of a journal in its custodian's folder (SHARE_DIR/CUSTODIAN, or
 * the share folder itself for a journal of before).  A custodian folder
 * that holds nothing once an unrecorded key's files are gone goes too.
 */
static bool
kr_recover_share_in(struct kr_appliance *app, const struct kr_journal *j,
    size_t i, const struct kr_names *top, const struct kr_custodian_rec *c)
{
	const char	*slash = strchr(j->share[i], '/');
	struct kr_names	 ns;
	char		*dir;
	bool		 ok;

	if (slash == NULL)
		return kr_recover_share(app, j, j->share_dir, j->share[i], top,
		    c);
	if ((dir = malloc(strlen(j->share_dir) + strlen(j->share[i]) + 2)) ==
	    NULL)
		return false;
	(void)sprintf(dir, "%s/%.*s", j->share_dir,
	    (int)(slash - j->share[i]), j->share[i]);
	/* No custodian folder: no file (KR_ENOENT leaves ns empty). */
	if (kr_names_read(dir, &ns) == KR_ENOMEM) {
		free(dir);
		return false;
	}
	ok = kr_recover_share(app, j, dir, slash + 1, &ns, c);
	kr_names_free(&ns);
	if (c == NULL)
		(void)rmdir(dir);	/* only when empty */
	free(dir);
	return ok;
}

/*
 * The share files of a journal.  Returns whether the journal must stay:
 * the key is recorded and its share folder cannot be read now.
 */
static int
kr_recover_shares(struct kr_appliance *app, const struct kr_journal *j,
    const struct kr_key_rec *k, bool *keep, struct kr_err *err)
{
	struct kr_custodian_rec	*cs = NULL;
	struct kr_set_rec	 set;
	struct kr_names		 ns;
	struct kr_err		 e;
	size_t			 n = 0, i;
	int			 ret;

	*keep = false;
	if ((ret = kr_names_read(j->share_dir, &ns)) == KR_ENOMEM)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (ret != KR_OK) {
		*keep = k != NULL;
		if (k != NULL)
			kr_say(app, "key '%s' is recorded, but its share files "
			    "are still under temporary names in %s, which "
			    "cannot be read now (%s): put that medium back "
			    "there and run a keyrite command that changes "
			    "state (such as quorum verify)", j->key,
			    j->share_dir, strerror(errno));
		else
			kr_say(app, "a key generate of '%s' was interrupted "
			    "before it was recorded; its share files may "
			    "remain in %s (not readable now) as "
			    "CUSTODIAN/KEY.share.tmp-...: they belong to no key, "
			    "delete them", j->key, j->share_dir);
		return KR_OK;
	}
	if (k != NULL && (cs = calloc(KR_CUSTODIANS_MAX, sizeof(*cs))) ==
	    NULL) {
		kr_names_free(&ns);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	/* A reshare's journal: its share files are of the pending set. */
	if (k != NULL && kr_store_set_pending(app->store, k->id, &set, &e) !=
	    KR_OK && (ret = kr_store_set_active(app->store, k->id, &set,
	    err)) != KR_OK)
		goto out;
	if (k != NULL && ((ret = kr_store_custodians(app->store, set.id,
	    cs, KR_CUSTODIANS_MAX, &n, err)) != KR_OK))
		goto out;
	for (i = 0; i < j->n; i++)
		if (!kr_recover_share_in(app, j, i, &ns, k != NULL ?
		    kr_custodian_of(cs, n, j->x[i]) : NULL))
			*keep = true;
out:
	free(cs);
	kr_names_free(&ns);
	return ret;
}

static int
kr_recover_journal(struct kr_appliance *app, const char *dir,
    const char *name, struct kr_err *err)
{
	struct kr_journal	*j = NULL;
	struct kr_key_rec	 k;
	struct kr_err		 e;
	uint8_t			*text = NULL;
	char			*path;
	size_t			 len;
	bool			 recorded, keep = false;
	int			 ret = KR_OK;

	if ((path = kr_path_join(dir, name)) == NULL ||
	    (j = calloc(1, sizeof(*j))) == NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	if (kr_file_read(path, KR_JOURNAL_MAX, false, &text, &len, &e) !=
	    KR_OK || kr_journal_parse((char *)text, j) != KR_OK) {
		kr_say(app, "%s/%s is not a key generate journal keyrite can "
		    "read: left in place", KR_PENDING_DIR, name);
		goto out;
	}
	kr_err_clear(&e);
	ret = kr_store_key_get(app->store, j->key, &k, &e);
	if (ret != KR_OK && ret != KR_ENOENT) {
		*err = e;
		goto out;
	}
	recorded = ret == KR_OK && memcmp(k.id, j->key_id, sizeof(k.id)) == 0;
	ret = KR_OK;
	if (j->sealed[0] != '\0')
		kr_recover_sealed(app, j, recorded);
	if (j->share_dir[0] != '\0' && (ret = kr_recover_shares(app, j,
	    recorded ? &k : NULL, &keep, err)) != KR_OK)
		goto out;
	if (!keep)
		kr_journal_end(app, &path);
out:
	free(text);
	free(j);
	free(path);
	return ret;
}

/* ---- the folders --------------------------------------------------------- */

/* The keys as the cleanup needs them. */
struct kr_rkey {
	char		name[KR_STORE_NAME_MAX + 1];
	uint8_t		id[KR_STORE_ID_BYTES];
	char		location[256];
	bool		destroyed;
	struct kr_crl_rec last;		/* newest CRL, when has_crl */
	bool		has_crl;
	/* Epochs of its active and pending share sets (0: none). */
	uint32_t	active_epoch;
	uint32_t	pending_epoch;
};

struct kr_rkeys {
	struct kr_rkey	*v;
	size_t		 n;
};

static int
kr_rkeys_cb(const struct kr_key_rec *k, void *arg)
{
	struct kr_rkeys	*ks = arg;
	struct kr_rkey	*v;

	if ((v = realloc(ks->v, (ks->n + 1) * sizeof(*v))) == NULL)
		return KR_ENOMEM;
	ks->v = v;
	v = &ks->v[ks->n++];
	memset(v, 0, sizeof(*v));
	(void)snprintf(v->name, sizeof(v->name), "%s", k->name);
	memcpy(v->id, k->id, sizeof(v->id));
	(void)snprintf(v->location, sizeof(v->location), "%s", k->location);
	v->destroyed = strcmp(k->state, "destroyed") == 0;
	return 0;
}

static int
kr_rkeys_load(struct kr_appliance *app, struct kr_rkeys *ks,
    struct kr_err *err)
{
	size_t	i;
	int	ret;

	memset(ks, 0, sizeof(*ks));
	if ((ret = kr_store_key_foreach(app->store, kr_rkeys_cb, ks, err)) ==
	    KR_ENOMEM)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (ret != KR_OK)
		return ret;
	for (i = 0; i < ks->n; i++) {
		struct kr_set_rec	set;
		struct kr_err		e;

		if (kr_store_set_active(app->store, ks->v[i].id, &set, &e) ==
		    KR_OK)
			ks->v[i].active_epoch = set.epoch;
		if (kr_store_set_pending(app->store, ks->v[i].id, &set, &e) ==
		    KR_OK)
			ks->v[i].pending_epoch = set.epoch;
		ret = kr_store_crl_last(app->store, ks->v[i].id, false,
		    &ks->v[i].last, err);
		if (ret == KR_OK)
			ks->v[i].has_crl = true;
		else if (ret != KR_ENOENT)
			return ret;
	}
	kr_err_clear(err);
	return KR_OK;
}

/*
 * keys/NAME+epochN.EXT, a reshare's re-wrapped key file (reshare.c):
 * kept while set N is pending; put over the key's file when set N is
 * active (an activation cut short before the switch); else stray.
 * Returns why it goes, or NULL.
 */
static const char *
kr_recover_next(struct kr_appliance *app, const struct kr_rkeys *ks,
    const char *name)
{
	struct kr_key_rec	 k;
	struct kr_err		 e;
	const struct kr_rkey	*rk;
	const char		*plus = strchr(name, '+');
	char			*end;
	unsigned long		 n;
	size_t			 i;

	if (plus == NULL || strncmp(plus, "+epoch", 6) != 0)
		return NULL;
	n = strtoul(plus + 6, &end, 10);
	if (*end != '.' || n == 0)
		return "not a name keyrite gives a file";
	for (i = 0; i < ks->n; i++) {
		rk = &ks->v[i];
		if (strlen(rk->name) != (size_t)(plus - name) ||
		    strncmp(rk->name, name, (size_t)(plus - name)) != 0)
			continue;
		if (rk->destroyed)
			return "its key is recorded as destroyed";
		if (n == rk->pending_epoch && n != 0)
			return NULL;	/* waiting for its holders' checks */
		if (n != rk->active_epoch || n == 0)
			return "a re-wrapped key file of a share set that is "
			    "no longer pending (a reshare interrupted before "
			    "its record, or replaced)";
		memset(&k, 0, sizeof(k));
		(void)snprintf(k.name, sizeof(k.name), "%s", rk->name);
		(void)snprintf(k.location, sizeof(k.location), "%s",
		    rk->location);
		if (kr_reshare_switch(app, &k, (uint32_t)n, &e) == KR_OK)
			kr_say(app, "put %s/%s over %s: share set epoch %lu of "
			    "key '%s' was made current, but its re-wrapped key "
			    "file had not yet replaced the old one", KR_KEYS_DIR,
			    name, rk->location, n, rk->name);
		else
			kr_say(app, "could not put %s/%s over %s: %s",
			    KR_KEYS_DIR, name, rk->location, e.msg);
		return NULL;
	}
	return "no key record owns it";
}

static void
kr_recover_keys(struct kr_appliance *app, const struct kr_rkeys *ks)
{
	struct kr_names	 ns;
	const char	*why;
	char		*dir, *path, rel[300];
	size_t		 i, k;

	if ((dir = kr_appliance_path(app, KR_KEYS_DIR)) == NULL)
		return;
	if (kr_names_read(dir, &ns) != KR_OK) {
		free(dir);
		return;
	}
	for (i = 0; i < ns.n; i++) {
		(void)snprintf(rel, sizeof(rel), "%s/%s", KR_KEYS_DIR, ns.v[i]);
		why = NULL;
		if (kr_file_tmp_name(ns.v[i], NULL))
			why = "a temporary file of an interrupted run";
		else if (strchr(ns.v[i], '+') != NULL &&
		    (kr_has_suffix(ns.v[i], ".sealed") ||
		    kr_has_suffix(ns.v[i], ".pins")))
			why = kr_recover_next(app, ks, ns.v[i]);
		else if (kr_has_suffix(ns.v[i], ".sealed") ||
		    kr_has_suffix(ns.v[i], ".pins")) {
			for (k = 0; k < ks->n; k++)
				if (strcmp(ks->v[k].location, rel) == 0)
					break;
			if (k == ks->n)
				why = "no key record owns it (a key generate "
				    "interrupted before its record, by an "
				    "earlier keyrite)";
			else if (ks->v[k].destroyed)
				why = "its key is recorded as destroyed (a "
				    "destroy interrupted before the file was "
				    "gone)";
		}
		if (why != NULL &&
		    (path = kr_path_join(dir, ns.v[i])) != NULL) {
			kr_remove(app, path, true, rel, why);
			free(path);
		}
	}
	kr_names_free(&ns);
	free(dir);
}

/* "NAME-IDHEX-NUMBER.crl" of a key: its number, or 0. */
static int64_t
kr_crl_copy_number(const char *name, const char *key, const uint8_t *id)
{
	char		 idhex[17], want[KR_STORE_NAME_MAX + 40];
	const char	*dash;
	char		*end;
	int64_t		 n;

	if (!kr_has_suffix(name, ".crl") ||
	    (dash = strrchr(name, '-')) == NULL || dash[1] < '1' ||
	    dash[1] > '9')
		return 0;
	n = strtoll(dash + 1, &end, 10);
	if (strcmp(end, ".crl") != 0)
		return 0;
	kr_hex_encode(idhex, id, 8);
	(void)snprintf(want, sizeof(want), "%s-%s-", key, idhex);
	if ((size_t)(dash + 1 - name) != strlen(want) ||
	    strncmp(name, want, strlen(want)) != 0)
		return 0;
	return n;
}

/* "NAME-IDHEX-NUMBER.crl": the key it names and the number. */
static const struct kr_rkey *
kr_crl_copy_key(const struct kr_rkeys *ks, const char *name, int64_t *number)
{
	size_t	i;

	for (i = 0; i < ks->n; i++)
		if ((*number = kr_crl_copy_number(name, ks->v[i].name,
		    ks->v[i].id)) > 0)
			return &ks->v[i];
	return NULL;
}

int
kr_crl_copies_max(struct kr_appliance *app, const char *key,
    const uint8_t *id, int64_t *max)
{
	struct kr_names	 ns;
	char		*dir;
	int64_t		 n;
	size_t		 i;

	*max = 0;
	if ((dir = kr_appliance_path(app, KR_CRLS_DIR)) == NULL)
		return KR_ENOMEM;
	if (kr_names_read(dir, &ns) == KR_OK) {
		for (i = 0; i < ns.n; i++)
			if ((n = kr_crl_copy_number(ns.v[i], key, id)) > *max)
				*max = n;
		kr_names_free(&ns);
	}
	free(dir);
	return KR_OK;
}

static void
kr_recover_crl_tmp(struct kr_appliance *app, const struct kr_rkeys *ks,
    const char *dir, const char *name, size_t stem)
{
	const struct kr_rkey	*owner = NULL;
	struct kr_err		 e;
	char			 rel[300], shown[300], hex[65];
	char			*tmp, *final;
	size_t			 k;

	(void)snprintf(rel, sizeof(rel), "%s/%.*s", KR_CRLS_DIR, (int)stem,
	    name);
	(void)snprintf(shown, sizeof(shown), "%s/%s", KR_CRLS_DIR, name);
	for (k = 0; k < ks->n; k++)
		if (ks->v[k].has_crl &&
		    strcmp(ks->v[k].last.location, rel) == 0)
			owner = &ks->v[k];
	if ((tmp = kr_path_join(dir, name)) == NULL ||
	    (final = kr_appliance_path(app, rel)) == NULL) {
		free(tmp);
		return;
	}
	if (owner != NULL && !kr_path_exists(final) &&
	    kr_file_sha256(tmp, KR_CRL_FILE_MAX, hex) == KR_OK &&
	    strcmp(hex, owner->last.sha256) == 0) {
		if (kr_file_place(tmp, final, &e) == KR_OK)
			kr_say(app, "put %s in place: CRL %lld of '%s' was "
			    "recorded, but its publication was interrupted "
			    "before the copy got its name (the CRL was not "
			    "written out: `keyrite crl show` writes it)", rel,
			    (long long)owner->last.number, owner->name);
		else
			kr_say(app, "could not put %s in place: %s", rel,
			    e.msg);
	} else
		kr_remove(app, tmp, false, shown, owner != NULL ?
		    "a stray copy of a recorded CRL" : "a CRL whose "
		    "publication was interrupted before it was recorded (it "
		    "was never released)");
	free(tmp);
	free(final);
}

static void
kr_recover_crls(struct kr_appliance *app, const struct kr_rkeys *ks)
{
	const struct kr_rkey	*key;
	struct kr_names		 ns;
	char			*dir, shown[300];
	int64_t			 number;
	size_t			 i, stem;

	if ((dir = kr_appliance_path(app, KR_CRLS_DIR)) == NULL)
		return;
	if (kr_names_read(dir, &ns) != KR_OK) {
		free(dir);
		return;
	}
	for (i = 0; i < ns.n; i++) {
		if (kr_file_tmp_name(ns.v[i], &stem)) {
			kr_recover_crl_tmp(app, ks, dir, ns.v[i], stem);
			continue;
		}
		if ((key = kr_crl_copy_key(ks, ns.v[i], &number)) == NULL ||
		    (key->has_crl && number <= key->last.number))
			continue;
		(void)snprintf(shown, sizeof(shown), "%s/%s", KR_CRLS_DIR,
		    ns.v[i]);
		/*
		 * A named copy is only ever made after its record is
		 * committed: without one, it is evidence (an earlier
		 * keyrite's interrupted run, or records removed behind
		 * keyrite's back).  It stays; the next CRL is numbered
		 * above it.
		 */
		kr_say(app, "%s: CRL %lld of '%s' has no record (records "
		    "removed behind keyrite's back, or a publication "
		    "interrupted under an earlier keyrite): kept for the "
		    "auditor; the next CRL of '%s' is numbered above it",
		    shown, (long long)number, key->name, key->name);
	}
	kr_names_free(&ns);
	free(dir);
}

/* Folders where a temporary file is only ever a leftover. */
static void
kr_recover_plain(struct kr_appliance *app, const char *rel)
{
	struct kr_names	 ns;
	char		*dir, *path, shown[300];
	size_t		 i;

	if ((dir = rel[0] != '\0' ? kr_appliance_path(app, rel) :
	    strdup(app->dir)) == NULL)
		return;
	if (kr_names_read(dir, &ns) == KR_OK) {
		for (i = 0; i < ns.n; i++) {
			if (!kr_file_tmp_name(ns.v[i], NULL) ||
			    (path = kr_path_join(dir, ns.v[i])) == NULL)
				continue;
			(void)snprintf(shown, sizeof(shown), "%s%s%s", rel,
			    rel[0] != '\0' ? "/" : "", ns.v[i]);
			kr_remove(app, path, false, shown,
			    "a temporary file of an interrupted run");
			free(path);
		}
		kr_names_free(&ns);
	}
	free(dir);
}

/* The first audit row listing a kept file of this SHA-256 (released.c). */
struct kr_kept_find {
	const char	*hex;
	int64_t		 seq;
};

static int
kr_kept_find_cb(const struct kr_audit_rec *r, void *arg)
{
	struct kr_kept_find	*f = arg;

	if (!kr_released_listed(r, f->hex))
		return 0;
	f->seq = r->seq;
	return 1;
}

/*
 * A kept copy's temporary file a row lists: named when its bytes have
 * that SHA-256, removed when the copy in place has them; otherwise kept.
 */
static void
kr_recover_kept(struct kr_appliance *app, const char *tmp, const char *final,
    const char *stem, const char *shown, int64_t seq)
{
	struct kr_err	e;
	char		hex[65], rec[sizeof(KR_RELEASED_DIR) + 65];

	if (kr_path_exists(final)) {
		if (kr_file_sha256(final, KR_RELEASED_FILE_MAX, hex) == KR_OK &&
		    strcmp(hex, stem) == 0)
			kr_remove(app, tmp, false, shown, "a second copy of a "
			    "kept file already in place");
		else
			kr_say(app, "audit row %lld records %s/%s, which is in "
			    "place but differs from the SHA-256 it gives; %s is "
			    "beside it: nothing removed; run keyrite audit "
			    "verify; restore %s/%s from a backup", (long long)seq,
			    KR_RELEASED_DIR, stem, shown, KR_RELEASED_DIR, stem);
		return;
	}
	(void)snprintf(rec, sizeof(rec), "%s/%s", KR_RELEASED_DIR, stem);
	if (kr_file_sha256(tmp, KR_RELEASED_FILE_MAX, hex) != KR_OK ||
	    strcmp(hex, stem) != 0)
		kr_recovery_differs(app, seq, rec, shown, rec);
	else if (kr_file_place(tmp, final, &e) == KR_OK)
		kr_say(app, "put %s/%s in place: a transcript or audit bundle "
		    "was recorded, but the run was interrupted before its kept "
		    "copy got its name", KR_RELEASED_DIR, stem);
	else
		kr_say(app, "could not put %s/%s in place: %s",
		    KR_RELEASED_DIR, stem, e.msg);
}

/*
 * released/HEX.tmp-...: a kept copy staged before its row.  Removed only
 * when the audit walk succeeded and no row lists it (cut before the
 * commit: never released); else kr_recover_kept.
 */
static void
kr_recover_released(struct kr_appliance *app)
{
	struct kr_names		 ns;
	struct kr_kept_find	 f;
	struct kr_err		 e;
	char			*dir, *tmp, *final, stem[65], shown[300];
	size_t			 i, n;

	if ((dir = kr_appliance_path(app, KR_RELEASED_DIR)) == NULL)
		return;
	if (kr_names_read(dir, &ns) != KR_OK) {
		free(dir);
		return;
	}
	for (i = 0; i < ns.n; i++) {
		if (!kr_file_tmp_name(ns.v[i], &n) || n != 64)
			continue;
		(void)snprintf(stem, sizeof(stem), "%.64s", ns.v[i]);
		(void)snprintf(shown, sizeof(shown), "%s/%s", KR_RELEASED_DIR,
		    ns.v[i]);
		f = (struct kr_kept_find){ stem, 0 };
		tmp = kr_path_join(dir, ns.v[i]);
		final = kr_path_join(dir, stem);
		if (tmp == NULL || final == NULL)
			kr_say(app, "out of memory: %s left as it is", shown);
		else if (kr_store_audit_foreach(app->store, 1, kr_kept_find_cb,
		    &f, &e) < 0)
			kr_say(app, "%s was left by an interrupted release, but "
			    "the audit records could not be read (%s): nothing "
			    "removed; run keyrite audit verify", shown, e.msg);
		else if (f.seq != 0)
			kr_recover_kept(app, tmp, final, stem, shown, f.seq);
		else
			kr_remove(app, tmp, false, shown, "a kept copy of a "
			    "transcript or audit bundle whose release was "
			    "interrupted before it was recorded");
		free(tmp);
		free(final);
	}
	kr_names_free(&ns);
	free(dir);
}

static int
kr_recover_journals(struct kr_appliance *app, struct kr_err *err)
{
	struct kr_names	 ns;
	char		*dir;
	size_t		 i;
	int		 ret = KR_OK;

	if ((dir = kr_appliance_path(app, KR_PENDING_DIR)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (kr_names_read(dir, &ns) == KR_OK) {
		for (i = 0; i < ns.n && ret == KR_OK; i++)
			if (kr_has_suffix(ns.v[i], ".keygen"))
				ret = kr_recover_journal(app, dir, ns.v[i],
				    err);
		kr_names_free(&ns);
	}
	free(dir);
	return ret;
}

static void
kr_recover_sync(struct kr_appliance *app)
{
	static const char *const dirs[] = {
		"", KR_KEYS_DIR, KR_CRLS_DIR, KR_PENDING_DIR, KR_RELEASED_DIR,
		KR_INTAKE_DIR
	};
	struct kr_err	 e;
	char		*p;
	size_t		 i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		p = dirs[i][0] != '\0' ? kr_appliance_path(app, dirs[i]) :
		    strdup(app->dir);
		if (p != NULL && kr_path_exists(p) && kr_fsync_dir(p, &e) !=
		    KR_OK)
			kr_say(app, "%s", e.msg);
		free(p);
	}
}

int
kr_recover_run(struct kr_appliance *app, struct kr_err *err)
{
	struct kr_rkeys	ks;
	int		ret;

	memset(&app->recovery, 0, sizeof(app->recovery));
	if (app->mode != KR_OPEN_WRITE)
		return KR_OK;
	if ((ret = kr_recover_journals(app, err)) != KR_OK)
		return ret;
	if ((ret = kr_rkeys_load(app, &ks, err)) == KR_OK) {
		kr_recover_keys(app, &ks);
		kr_recover_crls(app, &ks);
		kr_recover_released(app);
		kr_intake_recover(app);
		kr_recover_plain(app, "");
		kr_recover_plain(app, KR_PENDING_DIR);
	}
	free(ks.v);
	if (app->recovery.n > 0)
		kr_recover_sync(app);
	return ret;
}
