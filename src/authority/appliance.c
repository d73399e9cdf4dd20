/*
 * The appliance: a state folder holding the database, the policy copy and
 * the sealed keys.  Opening it runs the clock guard.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyrite-config.h"
#include "authority_int.h"

char *
kr_appliance_path(const struct kr_appliance *app, const char *rel)
{
	return kr_path_join(app->dir, rel);
}

struct kr_store *
kr_appliance_store(struct kr_appliance *app)
{
	return app->store;
}

const char *
kr_appliance_dir(const struct kr_appliance *app)
{
	return app->dir;
}

const struct kr_quorum_policy *
kr_appliance_policy(const struct kr_appliance *app)
{
	return &app->policy;
}

const char *
kr_appliance_kdf_profile(const struct kr_appliance *app)
{
	return app->kdf_profile;
}

bool
kr_appliance_is_test(const struct kr_appliance *app)
{
	return strcmp(app->kdf_profile, "ceremony") != 0;
}

size_t
kr_appliance_selftests(const struct kr_appliance *app)
{
	(void)app;
	return kr_selftest_count();
}

void
kr_appliance_close(struct kr_appliance **appp)
{
	struct kr_appliance	*app;

	if (appp == NULL || (app = *appp) == NULL)
		return;
	kr_store_close(&app->store);
	kr_lock_release(&app->lock_fd);
	free(app->dir);
	free(app);
	*appp = NULL;
}

/* An empty or absent folder may become a state folder; nothing else. */
static int
kr_init_prepare_dir(const char *dir, bool *created, struct kr_err *err)
{
	struct dirent	*de;
	DIR		*d;

	*created = false;
	/* mkdir first: of two inits racing, one makes it, one finds it */
	if (mkdir(dir, 0700) == 0) {
		*created = true;
		return KR_OK;
	}
	if (errno != EEXIST)
		return kr_err_set(err, KR_ESTATE, "cannot create the state "
		    "folder %s: %s", dir, strerror(errno));
	if ((d = opendir(dir)) == NULL)
		return kr_err_set(err, KR_ESTATE, "cannot use %s as a state "
		    "folder: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			(void)closedir(d);
			return kr_err_set(err, KR_EEXIST, "%s is not empty: "
			    "`keyrite init` makes a new state folder only in "
			    "an empty or absent folder", dir);
		}
	}
	(void)closedir(d);
	if (access(dir, W_OK) != 0)
		return kr_err_set(err, KR_ESTATE, "the state folder %s is "
		    "read-only: %s", dir, strerror(errno));
	return KR_OK;
}

static int
kr_init_meta(struct kr_store *st, const struct kr_init_req *req,
    struct kr_err *err)
{
	uint8_t	id[16];
	char	hex[33], now[32];
	int	ret;

	kr_random(id, sizeof(id));
	kr_hex_encode(hex, id, sizeof(id));
	(void)snprintf(now, sizeof(now), "%lld", (long long)kr_time_now());
	if ((ret = kr_store_meta_set(st, "appliance_id", hex, err)) != KR_OK ||
	    (ret = kr_store_meta_set(st, "kdf_profile", req->kdf_profile,
	    err)) != KR_OK ||
	    (ret = kr_store_meta_set(st, "created", now, err)) != KR_OK ||
	    (ret = kr_store_meta_set(st, "created_by_version",
	    KEYRITE_VERSION, err)) != KR_OK)
		return ret;
	return KR_OK;
}

/* Removes what a failed init made, so nothing half-made remains. */
static void
kr_init_undo(const char *dir, bool created)
{
	static const char *const files[] = {
		KR_DB_FILE, KR_DB_FILE "-wal", KR_DB_FILE "-shm",
		KR_LOCK_FILE, NULL
	};
	char	*p;
	size_t	 i;

	for (i = 0; files[i] != NULL; i++)
		if ((p = kr_path_join(dir, files[i])) != NULL) {
			(void)unlink(p);
			free(p);
		}
	kr_policy_uninstall(dir);
	if ((p = kr_path_join(dir, KR_KEYS_DIR)) != NULL) {
		(void)rmdir(p);
		free(p);
	}
	if (created)
		(void)rmdir(dir);
}

static int
kr_init_record(struct kr_appliance *app, const struct kr_init_req *req,
    struct kr_json *j, struct kr_err *err)
{
	int	ret;

	if ((ret = kr_store_begin(app->store, err)) != KR_OK)
		return ret;
	if ((ret = kr_init_meta(app->store, req, err)) != KR_OK)
		goto fail;
	kr_json_str(j, "kdf_profile", req->kdf_profile);
	kr_json_str(j, "keyrite_version", KEYRITE_VERSION);
	if ((ret = kr_audit_record(app, req->actor, "appliance.init",
	    kr_json_end(j), NULL, err)) != KR_OK)
		goto fail;
	return kr_store_commit(app->store, err);
fail:
	kr_store_rollback(app->store);
	return ret;
}

int
kr_appliance_init(const struct kr_init_req *req, struct kr_err *err)
{
	struct kr_appliance	 app;
	struct kr_json		 j;
	char			*db = NULL, *keys = NULL;
	bool			 created = false;
	int			 ret, lock_fd = -1;

	memset(&app, 0, sizeof(app));
	if (strcmp(req->kdf_profile, "ceremony") != 0 &&
	    strcmp(req->kdf_profile, "test") != 0)
		return kr_err_set(err, KR_EUSAGE, "unknown KDF profile "
		    "'%.32s': use ceremony (the default) or test", req->kdf_profile);
	if ((ret = kr_init_prepare_dir(req->statedir, &created, err)) != KR_OK)
		return ret;
	/* a second init on the same folder finds the lock file and stops */
	if ((ret = kr_lock_take(req->statedir, true, 0, NULL, &lock_fd,
	    err)) != KR_OK)
		return ret;
	kr_json_begin(&j);
	app.dir = (char *)req->statedir;
	ret = KR_ENOMEM;
	if ((db = kr_path_join(req->statedir, KR_DB_FILE)) == NULL ||
	    (keys = kr_path_join(req->statedir, KR_KEYS_DIR)) == NULL)
		goto fail;
	if ((ret = kr_mkdir_private(keys, err)) != KR_OK ||
	    (ret = kr_policy_install(req, &j, err)) != KR_OK ||
	    (ret = kr_store_create(db, err)) != KR_OK ||
	    (ret = kr_store_open(&app.store, db, err)) != KR_OK ||
	    (ret = kr_init_record(&app, req, &j, err)) != KR_OK)
		goto fail;
	kr_store_close(&app.store);
	ret = kr_fsync_dir(req->statedir, err);
	goto out;
fail:
	if (ret == KR_ENOMEM)
		(void)kr_err_set(err, KR_ENOMEM, "out of memory");
	kr_store_close(&app.store);
	kr_init_undo(req->statedir, created);
out:
	kr_lock_release(&lock_fd);
	kr_json_free(&j);
	free(db);
	free(keys);
	return ret;
}

/* "2026-12-04" of a time. */
static void
kr_clock_date(int64_t t, char *out)
{
	char	full[KR_TIME_STR_BYTES];

	kr_time_format(t, full);
	memcpy(out, full, 10);
	out[10] = '\0';
}

static int
kr_clock_jump_record(struct kr_appliance *app, int64_t newest, int64_t now,
    struct kr_err *err)
{
	struct kr_json	j;
	int		ret;

	kr_json_begin(&j);
	kr_json_int(&j, "newest_entry_before", newest);
	kr_json_int(&j, "clock", now);
	kr_json_int(&j, "days_ahead", (now - newest) / 86400);
	kr_json_int(&j, "max_clock_jump_days",
	    app->policy.max_clock_jump_days);
	kr_json_str(&j, "confirmed_date", app->req->confirm_date);
	if ((ret = kr_store_begin(app->store, err)) == KR_OK) {
		if ((ret = kr_audit_record(app, "operator", "clock.jump",
		    kr_json_end(&j), NULL, err)) == KR_OK)
			ret = kr_store_commit(app->store, err);
		else
			kr_store_rollback(app->store);
	}
	kr_json_free(&j);
	return ret;
}

/* The clock far ahead of the newest entry: only with today's date named. */
static int
kr_clock_jump(struct kr_appliance *app, int64_t newest, int64_t now,
    struct kr_err *err)
{
	char	a[KR_TIME_STR_BYTES], b[KR_TIME_STR_BYTES], today[11];
	int64_t	days = (now - newest) / 86400;

	kr_time_format(now, a);
	kr_time_format(newest, b);
	kr_clock_date(now, today);
	if (app->req->confirm_date == NULL)
		return kr_err_set(err, KR_ECLOCK, "the system clock reads %s, "
		    "%lld days after the newest audit entry (%s); the quorum "
		    "policy allows %u without confirmation. If %s is today's "
		    "date, run the command again with --confirm-date %s (the "
		    "jump is recorded); if not, set the clock right first. "
		    "Nothing was recorded", a, (long long)days, b,
		    app->policy.max_clock_jump_days, today, today);
	if (strcmp(app->req->confirm_date, today) != 0)
		return kr_err_set(err, KR_ECLOCK, "--confirm-date %.16s does "
		    "not match the system clock's date (%s): set the clock "
		    "right, or confirm the date it shows. Nothing was "
		    "recorded", app->req->confirm_date, today);
	return kr_clock_jump_record(app, newest, now, err);
}

static int
kr_clock_guard(struct kr_appliance *app, struct kr_err *err)
{
	int64_t	newest, now = kr_time_now();
	int64_t	jump = (int64_t)app->policy.max_clock_jump_days * 86400;
	char	a[KR_TIME_STR_BYTES], b[KR_TIME_STR_BYTES];
	int	ret;

	if ((ret = kr_store_audit_newest(app->store, &newest, err)) != KR_OK)
		return ret;
	kr_time_format(now, a);
	kr_time_format(newest, b);
	if (now < newest && app->mode != KR_OPEN_WRITE) {
		(void)snprintf(app->clock_note, sizeof(app->clock_note), "the "
		    "system clock reads %s, earlier than the newest audit entry "
		    "(%s): either the clock is wrong, or that entry was made "
		    "with a wrong clock (`keyrite audit clock-recover`)", a, b);
		return KR_OK;
	}
	if (now < newest && !app->req->clock_recover)
		return kr_err_set(err, KR_ECLOCK, "the system clock reads %s, "
		    "earlier than the newest audit entry (%s): keyrite will not "
		    "record events out of order. Set the clock from a trusted "
		    "source, then run the command again. If the clock is right "
		    "and that entry was made with a wrong clock, a quorum "
		    "brings the folder back with `keyrite --confirm-date "
		    "YYYY-MM-DD audit clock-recover`", a, b);
	if (app->mode == KR_OPEN_WRITE && !app->req->clock_recover &&
	    newest > 0 && now - newest > jump)
		return kr_clock_jump(app, newest, now, err);
	return KR_OK;
}

const char *
kr_appliance_clock_note(const struct kr_appliance *app)
{
	return app->clock_note[0] != '\0' ? app->clock_note : NULL;
}

struct kr_init_row {
	char	payload[4096];
	bool	found;
};

static int
kr_init_row_cb(const struct kr_audit_rec *r, void *arg)
{
	struct kr_init_row	*row = arg;

	if (r->seq == 1 && strcmp(r->event, "appliance.init") == 0) {
		(void)snprintf(row->payload, sizeof(row->payload), "%s",
		    r->payload);
		row->found = true;
	}
	return 1;	/* the first row is all we need */
}

/*
 * The policy copy against the row that pinned it last: audit row 1, or
 * the newest policy.update (the hash chain protects both).
 */
static int
kr_appliance_check_policy(struct kr_appliance *app, struct kr_err *err)
{
	struct kr_policy_pin	pin;
	int			ret;

	if ((ret = kr_policy_pin_row(app, &pin, err)) != KR_OK)
		return ret;
	ret = kr_policy_verify(app->dir, pin.payload, pin.seq,
	    app->mode == KR_OPEN_WRITE, err);
	kr_policy_pin_free(&pin);
	return ret;
}

/*
 * The KDF profile must be what `init` recorded in the first audit row
 * (which the hash chain protects): a profile switched to "test" after the
 * fact is refused.  (The policy copy is checked after the replay.)
 */
static int
kr_appliance_check_init(struct kr_appliance *app, struct kr_err *err)
{
	struct kr_init_row	 row;
	char			 want[160];
	int			 ret;

	memset(&row, 0, sizeof(row));
	ret = kr_store_audit_foreach(app->store, 1, kr_init_row_cb, &row, err);
	if (ret < 0)
		return ret;
	if (!row.found)
		return kr_err_set(err, KR_ESTATE, "the audit log of %s does not "
		    "start with its appliance.init row: the database was "
		    "altered; run `keyrite audit verify`", app->dir);
	(void)snprintf(want, sizeof(want), "\"kdf_profile\":\"%s\"",
	    app->kdf_profile);
	if (strstr(row.payload, want) == NULL)
		return kr_err_set(err, KR_ESTATE, "the KDF profile recorded in "
		    "%s/keyrite.db (%s) is not the one chosen at init (audit "
		    "row 1): the database was altered", app->dir,
		    app->kdf_profile);
	return KR_OK;
}

/*
 * Every record against the audit chain, before anything is used: a
 * writer refuses a damaged state, naming the first row and what differs;
 * a reader goes on and its front end says so first.
 */
static int
kr_appliance_replay(struct kr_appliance *app, struct kr_err *err)
{
	const struct kr_replay_report	*r = &app->replay;
	int				 ret;

	if ((ret = kr_store_replay(app->store, &app->replay, false,
	    err)) != KR_OK)
		return ret;
	if (!r->damaged || app->mode != KR_OPEN_WRITE)
		return KR_OK;
	return kr_err_set(err, KR_EVERIFY, "the records in %s do not match "
	    "its audit chain (%s%lld record%s differ%s): %s. Nothing was signed "
	    "or changed, and nothing will be until this is resolved: run "
	    "`keyrite -C %s audit verify` for the list, and see "
	    "docs/threat-model.md (a damaged state folder)", app->dir,
	    r->chain.first_bad != 0 ? "the chain is broken; " : "",
	    (long long)r->problems, r->problems == 1 ? "" : "s",
	    r->problems == 1 ? "s" : "",
	    r->chain.first_bad != 0 ? r->chain.reason : r->problem[0],
	    app->dir);
}

const struct kr_replay_report *
kr_appliance_damage(const struct kr_appliance *app)
{
	return app->replay.damaged ? &app->replay : NULL;
}

static int
kr_appliance_load(struct kr_appliance *app, struct kr_err *err)
{
	char	*db = NULL, *pol = NULL;
	int	 ret = KR_ENOMEM;

	if ((db = kr_appliance_path(app, KR_DB_FILE)) == NULL ||
	    (pol = kr_appliance_path(app, KR_POLICY_DIR "/quorum.yaml")) ==
	    NULL) {
		ret = kr_err_set(err, KR_ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = kr_store_open(&app->store, db, err)) != KR_OK)
		goto out;
	if ((ret = kr_store_meta_get(app->store, "kdf_profile",
	    app->kdf_profile, sizeof(app->kdf_profile), err)) != KR_OK) {
		ret = kr_err_set(err, KR_ESTATE, "%s has no KDF profile "
		    "recorded: the database is damaged", db);
		goto out;
	}
	/*
	 * The policy after the replay: the row that pins it is the newest
	 * the replay's walk of the chain read (no scan of the audit table).
	 */
	if ((ret = kr_appliance_check_init(app, err)) != KR_OK ||
	    (ret = kr_appliance_replay(app, err)) != KR_OK ||
	    (ret = kr_appliance_check_policy(app, err)) != KR_OK ||
	    (ret = kr_quorum_policy_load(pol, &app->policy, err)) != KR_OK ||
	    (ret = kr_quorum_policy_kdf(&app->policy, app->kdf_profile,
	    &app->kdf, err)) != KR_OK)
		goto out;
	ret = kr_clock_guard(app, err);
out:
	free(db);
	free(pol);
	return ret;
}

/*
 * A writer locks only a folder that holds a database: a command pointed
 * at the wrong folder must not leave a lock file there.
 */
static int
kr_appliance_has_db(const char *dir, struct kr_err *err)
{
	struct stat	 st;
	char		*db;
	int		 r;

	if ((db = kr_path_join(dir, KR_DB_FILE)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	r = lstat(db, &st);
	free(db);
	if (r != 0 && errno == ENOENT)
		return kr_err_set(err, KR_ESTATE, "no keyrite state folder at "
		    "%s (it has no %s): run `keyrite -C %s init` first, or "
		    "point -C or KEYRITE_HOME at the right folder", dir,
		    KR_DB_FILE, dir);
	return KR_OK;	/* anything else is for the database open to say */
}

int
kr_appliance_open(struct kr_appliance **out, const char *dir,
    struct kr_err *err)
{
	struct kr_open_req	req = { dir, KR_OPEN_WRITE, NULL, false,
	    KR_LOCK_WAIT_DEFAULT, NULL };

	return kr_appliance_open_ex(out, &req, err);
}

int
kr_appliance_open_wait(struct kr_appliance **out, const char *dir,
    unsigned mode, unsigned wait_secs, const struct kr_notice_sink *ns,
    struct kr_err *err)
{
	struct kr_open_req	req = { dir, mode, NULL, false, wait_secs, ns };

	return kr_appliance_open_ex(out, &req, err);
}

int
kr_appliance_open_ex(struct kr_appliance **out, const struct kr_open_req *req,
    struct kr_err *err)
{
	const char		*dir = req->dir;
	unsigned		 mode = req->mode;
	struct kr_appliance	*app;
	struct stat		 st;
	int			 ret;

	*out = NULL;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return kr_err_set(err, KR_ESTATE, "no keyrite state folder at "
		    "%s: run `keyrite -C %s init` first, or point -C or "
		    "KEYRITE_HOME at the right folder", dir, dir);
	if ((app = calloc(1, sizeof(*app))) == NULL ||
	    (app->dir = strdup(dir)) == NULL) {
		free(app);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	app->mode = mode;
	app->lock_fd = -1;
	app->req = req;
	ret = KR_OK;
	if ((mode & KR_OPEN_WRITE) != 0 &&
	    (ret = kr_appliance_has_db(dir, err)) == KR_OK)
		ret = kr_lock_take(dir, false, req->wait_secs, req->notice,
		    &app->lock_fd, err);
	if (ret == KR_OK)
		ret = kr_appliance_load(app, err);
	/* Under the lock, after the records were proven: acts on them. */
	if (ret == KR_OK)
		ret = kr_recover_run(app, err);
	app->req = NULL;
	if (ret != KR_OK) {
		kr_appliance_close(&app);
		return ret;
	}
	*out = app;
	return KR_OK;
}
