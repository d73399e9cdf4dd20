/*
 * keyrite authority: the one door for every operation that changes the
 * appliance or uses a private key.
 *
 * Each operation runs the same sequence: policy check -> quorum unlock ->
 * build -> sign -> verify after signing -> record (one SQLite transaction
 * with its audit row) -> release (media/).  Front ends (cli/, tui/) call
 * these functions and the read-only store queries, nothing below.
 */
#ifndef KEYRITE_AUTHORITY_H
#define KEYRITE_AUTHORITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/base.h>
#include <keyrite/crypto.h>
#include <keyrite/keystore.h>
#include <keyrite/policy.h>
#include <keyrite/quorum.h>
#include <keyrite/store.h>
#include <keyrite/x509.h>
#include <keyrite/crl.h>
#include <keyrite/firmware.h>
#include <keyrite/media.h>

#define KR_PASSPHRASE_MAX	1024
/* Tries a custodian at a keyboard gets for one passphrase. */
#define KR_PASSPHRASE_TRIES	3

/*
 * Where passphrases come from: the terminal without echo, a file
 * descriptor (one line each, in order), or a console dialog.  `get` fills
 * `buf` (secure memory, KR_PASSPHRASE_MAX bytes) for the custodian named;
 * `setting` is true when the custodian chooses a new passphrase (the
 * terminal asks twice).  `skip` consumes the passphrase of a share that
 * was refused before its passphrase was needed, so a script's lines stay
 * in step with its --share arguments.
 */
struct kr_preview;

struct kr_passphrase_source {
	int	(*get)(void *ctx, const char *custodian, const char *file,
		    bool setting, char *buf, size_t cap, struct kr_err *err);
	void	(*skip)(void *);
	void	 *ctx;
	/*
	 * A wrong passphrase (the share does not open with it): may the
	 * custodian type it again?  Told the custodian, the file and how
	 * many tries were made.  NULL or false: the share is refused (a
	 * script's next line belongs to the next share).
	 */
	bool	(*retry)(void *, const char *, const char *, unsigned);
	/*
	 * See, then approve: shown what the operation is about to sign,
	 * before any passphrase is asked; `ask` is false for a dry run
	 * (shown only).  KR_OK goes on; anything else stops the operation
	 * with nothing signed or recorded.  NULL: go on.
	 */
	int	(*confirm)(void *, const struct kr_preview *, bool,
		    struct kr_err *);
	void	 *confirm_ctx;
	/*
	 * The user PIN of a token that guards its key itself
	 * (`--pin-source prompt`), at generation and at every use; `token`
	 * names it.  NULL: asked through get, as a passphrase.
	 */
	int	(*pin)(void *ctx, const char *token, char *buf, size_t cap,
		    struct kr_err *err);
};

/* A token's PIN from the source: its pin, else its get (authority). */
int		 kr_passphrase_pin(const struct kr_passphrase_source *,
		    const char *, char *, size_t, struct kr_err *) KR_WUR;

/*
 * What an operation is about to sign, made when it is prepared (before
 * the quorum is asked) for the operator and the witness to read: rows of
 * a label and a text, or a label and the bytes of a hash or fingerprint,
 * which the front end shows whole (upper-case pairs joined by ':', as
 * openssl prints fingerprints).  A heading row starts a group (one image
 * of a batch).
 */
enum kr_preview_kind {
	KR_PREVIEW_TEXT = 0,
	KR_PREVIEW_HASH,
	KR_PREVIEW_HEAD,
};

struct kr_preview_row {
	enum kr_preview_kind	kind;
	char			label[32];
	char			text[600];
	uint8_t			hash[KR_HASH_MAX_BYTES];
	size_t			hash_len;
};

struct kr_preview {
	char			 title[300];
	struct kr_preview_row	*rows;
	size_t			 n;
	size_t			 cap;
	bool			 failed;	/* a row was lost: out of memory */
};

void	kr_preview_init(struct kr_preview *, const char *, ...) KR_PRINTF(2, 3);
void	kr_preview_text(struct kr_preview *, const char *, const char *, ...)
	    KR_PRINTF(3, 4);
void	kr_preview_hash(struct kr_preview *, const char *, const uint8_t *,
	    size_t);
void	kr_preview_head(struct kr_preview *, const char *, ...)
	    KR_PRINTF(2, 3);
void	kr_preview_free(struct kr_preview *);

/*
 * A new passphrase typed twice at a keyboard (terminal or console): KR_OK
 * when both are the same and at least `min_len` long; otherwise KR_EINPUT
 * saying which, for the custodian to choose again.
 */
int	kr_passphrase_chosen(const char *first, const char *again,
	    unsigned min_len, const char *custodian, struct kr_err *err) KR_WUR;

/* Progress and notices for the operator, shown by the front end. */
struct kr_notice_sink {
	void	(*notice)(void *ctx, const char *msg);
	void	 *ctx;
};

struct kr_appliance;

/* Creates a state folder: database, policy copy, first audit row. */
struct kr_init_req {
	const char	*statedir;
	const char	*kdf_profile;	/* "ceremony" (default) or "test" */
	const char	*actor;		/* who ran it, for the audit row */
	const char	*policy_dir;	/* NULL: the shipped policy files */
	/* Written into the copied profiles of every CA and leaf (and the
	 * CRL policy's distribution_point); "{issuer}": the issuing key. */
	const char	*crl_url;
	const char	*ca_issuers_url;
	const char	*ocsp_url;
};

int		 kr_appliance_init(const struct kr_init_req *, struct kr_err *)
		    KR_WUR;
/*
 * Opens a state folder: the database, the policy copy, and the clock
 * guard (refuses to run when the clock reads earlier than the newest
 * audit entry).
 */
int		 kr_appliance_open(struct kr_appliance **, const char *,
		    struct kr_err *) KR_WUR;
/*
 * Open modes, saying what the caller will do: KR_OPEN_READ for display
 * (never waits, reports a damaged state instead of refusing to open),
 * KR_OPEN_WRITE for anything that signs or changes state (one writer at
 * a time; a damaged state is refused).  kr_appliance_open is
 * KR_OPEN_WRITE.
 */
#define KR_OPEN_READ	0x0u
#define KR_OPEN_WRITE	0x1u
/*
 * The same with the writer's wait: KR_OPEN_WRITE takes an exclusive lock
 * on STATEDIR/keyrite.lock before the database is opened and holds it
 * until kr_appliance_close.  If another keyrite holds it, `ns` is told
 * once ("waiting for another keyrite (pid N) ...") and after `wait_secs`
 * the open fails with KR_EBUSY.  kr_appliance_open waits
 * KR_LOCK_WAIT_DEFAULT seconds without a notice.
 */
#define KR_LOCK_WAIT_DEFAULT	30u
#define KR_LOCK_WAIT_MAX	86400u
int		 kr_appliance_open_wait(struct kr_appliance **out,
		    const char *dir, unsigned mode, unsigned wait_secs,
		    const struct kr_notice_sink *ns, struct kr_err *err) KR_WUR;

/*
 * The clock guard at open: a writer is refused when the clock reads
 * earlier than the newest audit entry, or more than the policy's
 * max_clock_jump_days after it unless `confirm_date` (YYYY-MM-DD) is the
 * clock's own date, in which case the jump is recorded.  `clock_recover`
 * lets `audit clock-recover` open a folder whose newest entry lies in
 * the future.
 */
struct kr_open_req {
	const char			*dir;
	unsigned			 mode;
	const char			*confirm_date;
	bool				 clock_recover;
	unsigned			 wait_secs;	/* writers */
	const struct kr_notice_sink	*notice;	/* "waiting for ..." */
};

int		 kr_appliance_open_ex(struct kr_appliance **,
		    const struct kr_open_req *, struct kr_err *) KR_WUR;
/* A reader's note on the clock (behind the newest entry), or NULL. */
const char	*kr_appliance_clock_note(const struct kr_appliance *);

/*
 * audit clock-recover: a state folder whose newest audit entry is dated
 * in the future (a command once ran with the clock wrong) is brought
 * back by a quorum of a sealed key's custodians and a confirmed date; the
 * recovery is an audit row of its own, dated now.
 */
struct kr_clock_recover_req {
	const char		*key;
	const char *const	*shares;
	size_t			 nshares;
	const char		*confirm_date;
	const char		*actor;
};

struct kr_clock_recover_result {
	int64_t		future_time;	/* the newest entry's time before */
	int64_t		future_seq;
	char		approvers[1024];
	int64_t		audit_seq;
	/* The shares, as checked (the caller frees it; NULL when not asked). */
	struct kr_quorum_report	*quorum;
};
/*
 * policy show / policy update (docs/operations.md): the policy files in
 * force, pinned by audit row 1 or the newest policy.update row; an update
 * validates a folder of new files, shows the differences, and is recorded
 * with the old and new SHA-256 of each file under a quorum of a CA key.
 */
struct kr_policy_info {
	int64_t		pin_seq;	/* the audit row that pins them */
	int64_t		pin_time;
	char		pin_event[32];
	size_t		n;
	struct {
		char	name[64];
		char	what[96];	/* "profile device (leaf)", ... */
		uint8_t	sha256[32];
	}		file[64];
};
int		 kr_authority_policy_show(struct kr_appliance *,
		    struct kr_policy_info *, struct kr_err *) KR_WUR;

struct kr_policy_update_req {
	const char		*from;		/* folder of NAME.yaml files */
	const char		*key;		/* a CA key; its quorum approves */
	const char *const	*shares;
	size_t			 nshares;
	bool			 dry_run;
	const char		*actor;
};

struct kr_policy_update_result {
	size_t			 changed;	/* files added or changed */
	int64_t			 audit_seq;
	char			 approvers[1024];
	struct kr_quorum_report	*quorum;	/* the caller frees it */
};
int		 kr_authority_policy_update(struct kr_appliance *,
		    const struct kr_policy_update_req *,
		    const struct kr_passphrase_source *,
		    struct kr_policy_update_result *, struct kr_err *) KR_WUR;

void		 kr_appliance_close(struct kr_appliance **);
/*
 * What the replay at open found: NULL when every record matches the audit
 * chain.  A writer never gets this far with a damaged state (the open is
 * refused); a reader shows the report first and its output as recorded,
 * not as fact.
 */
const struct kr_replay_report *
		 kr_appliance_damage(const struct kr_appliance *);
/*
 * What opening for writing cleaned up after an interrupted run (stale
 * temporary files removed, recorded files put in place), one line each
 * for the operator; NULL after the last.  Opening for reading changes
 * nothing and reports nothing.
 */
const char	*kr_appliance_recovery(const struct kr_appliance *, size_t);
/* Read-only access for display (key list, audit show, status). */
struct kr_store	*kr_appliance_store(struct kr_appliance *);
const char	*kr_appliance_dir(const struct kr_appliance *);
const struct kr_quorum_policy *
		 kr_appliance_policy(const struct kr_appliance *);
/*
 * An audit payload as a person reads it (audit show, the console): as
 * recorded, each member of kr_audit_time_members as an ISO 8601 UTC time.
 */
extern const char *const kr_audit_time_members[];
void		 kr_audit_payload_text(const char *, struct kr_buf *);
/* "ceremony" or "test"; a test profile is said plainly in every report. */
const char	*kr_appliance_kdf_profile(const struct kr_appliance *);
bool		 kr_appliance_is_test(const struct kr_appliance *);
/* The known-answer self-tests passed when the appliance started. */
size_t		 kr_appliance_selftests(const struct kr_appliance *);

/* key generate */
enum kr_backend {
	KR_BACKEND_SEALED = 0,
	KR_BACKEND_PKCS11,
};

/* A share file's path as a result reports it. */
#define KR_SHARE_PATH_BYTES	512

struct kr_keygen_req {
	const char		*name;
	enum kr_key_alg		 alg;
	enum kr_purpose		 purpose;
	unsigned		 m;
	const char *const	*custodians;
	size_t			 n;
	const char		*share_dir;
	const char		*actor;
	/* PKCS#11 (docs/pkcs11.md) */
	enum kr_backend		 backend;
	const char		*module;	/* --module PATH */
	const char		*uri;		/* a pkcs11: URI */
	const char		*token;		/* --token LABEL */
	bool			 init_token;	/* PINs sealed under the quorum */
	bool			 pin_prompt;	/* the token's own access control */
	/* 0: the current share file format (2); 1 makes format 1 (tests). */
	unsigned		 share_format;
};

/*
 * A share file's path: SHARE_DIR/CUSTODIAN/KEY.share (malloc'd in *path);
 * `rel` (cap bytes) receives CUSTODIAN/KEY.share.
 */
#define KR_SHARE_REL_MAX	(KR_CUSTODIAN_NAME_MAX + KR_KEY_NAME_MAX + 16)

int		 kr_keygen_share_path(const char *share_dir,
		    const char *custodian, const char *key, char **path,
		    char *rel, size_t cap, struct kr_err *err) KR_WUR;

struct kr_keygen_result {
	char		fingerprint[KR_FINGERPRINT_STR_BYTES];
	/* Each custodian's approval key fingerprint, to be written down. */
	char		approval_fp[KR_CUSTODIANS_MAX][KR_APPROVAL_FP_BYTES];
	char		held[200];	/* ", sealed", " on token LABEL (...)" */
	char		set_id[2 * KR_SET_ID_BYTES + 1];
	char		share_paths[KR_CUSTODIANS_MAX][KR_SHARE_PATH_BYTES];
	size_t		shares;
	int64_t		audit_seq;
};

/*
 * Generates a sealed key under a new m-of-n share set, writes one share
 * file per custodian into share_dir and the sealed key into the state
 * folder, and records key, share set, custodians and the audit row in one
 * transaction.  Any failure leaves no file and no row.
 */
int		 kr_authority_key_generate(struct kr_appliance *app,
		    const struct kr_keygen_req *req,
		    const struct kr_passphrase_source *src,
		    const struct kr_notice_sink *notice,
		    struct kr_keygen_result *res, struct kr_err *err) KR_WUR;

/*
 * key show: what the key's back end says about where it lives (for a
 * token key: the token, its module, the key's CKA_ID and what guards it;
 * nothing for a sealed key), as lines for the front end to print.
 * *quorum says whether a share set guards the key.
 */
int		 kr_authority_key_where(struct kr_appliance *app,
		    const struct kr_key_rec *k, char *lines, size_t cap,
		    bool *quorum, struct kr_err *err) KR_WUR;

/* quorum verify: what was found about each share presented. */
struct kr_share_status {
	char		file[512];
	char		custodian[KR_CUSTODIAN_NAME_MAX + 1];
	unsigned	x;
	int		code;		/* KR_OK when the share is good */
	bool		not_asked;	/* good, but another was refused first */
	char		msg[KR_ERR_MSG_MAX];
};

/*
 * What a quorum unlock found, share by share.  It is large (a status for
 * each of KR_CUSTODIANS_MAX shares), so the operations allocate it and
 * hand it back by pointer: NULL until the quorum was asked (or out of
 * memory), freed with kr_quorum_report_free or with the result holding it.
 */
struct kr_approvals;

struct kr_quorum_report {
	char			key[KR_KEY_NAME_MAX + 1];
	unsigned		m;
	unsigned		n;
	uint32_t		epoch;
	size_t			given;
	size_t			good;
	bool			unlocked;
	struct kr_share_status	shares[KR_CUSTODIANS_MAX];
	/* The approvals the custodians signed (authority/approvals.c). */
	struct kr_approvals	*approvals;
	/* Format 2 shares: their approval key fingerprints, by share. */
	char			approval_fp[KR_CUSTODIANS_MAX][KR_APPROVAL_FP_BYTES];
	/*
	 * quorum verify of a reshare's pending set: how many of its holders
	 * have checked their shares so far, and whether this check made the
	 * set current (the epoch retired with it in retired_epoch).
	 */
	bool			pending;
	unsigned		checked;
	bool			activated;
	uint32_t		retired_epoch;
	/*
	 * Wrong passphrases not recorded as rows of their own: during
	 * `audit clock-recover` no row can precede the recovery's, so they
	 * are counted here and go into its row.
	 */
	unsigned		refused_unrecorded;
};

/* Frees the report (NULL is fine) and sets the caller's pointer to NULL. */
void		 kr_quorum_report_free(struct kr_quorum_report **);

/*
 * With one share: checks it alone (structure, dealer signature, key, set,
 * epoch, custodian, passphrase).  With more: checks each, then combines
 * them and unseals the key.  KR_OK only when every share is good and, for
 * two or more, the key unlocked; KR_EQUORUM saying how many more
 * custodians are needed when fewer than m are good.  *rep is set
 * whatever the outcome (NULL only when out of memory); the caller frees it.
 */
int		 kr_authority_quorum_verify(struct kr_appliance *app,
		    const char *name, const char *const *files, size_t count,
		    const struct kr_passphrase_source *src,
		    struct kr_quorum_report **rep, struct kr_err *err) KR_WUR;

/*
 * quorum reshare: a quorum of the key's current shares deals a new share
 * set (next epoch, new m, n and holders, share files of format 2) of the
 * same quorum secret, or (new_secret) of a fresh one under which the
 * key's file is re-wrapped, switched in on activation.  The new set is recorded as pending; it becomes
 * current, and the old set is retired, once m of its holders have checked
 * their shares with quorum verify (docs/custodians.md).
 */
struct kr_reshare_req {
	const char		*key;
	unsigned		 m;
	const char *const	*custodians;	/* the new holders */
	size_t			 n;
	const char		*share_dir;
	const char		*actor;
	bool			 new_secret;	/* --new-secret: a fresh secret */
	const char *const	*shares;	/* the current quorum's files */
	size_t			 nshares;
	unsigned		 share_format;	/* 0: current (2); 1: tests */
};

struct kr_reshare_result {
	char			 set_id[2 * KR_SET_ID_BYTES + 1];
	uint32_t		 epoch;
	uint32_t		 from_epoch;
	uint32_t		 abandoned_epoch;	/* a pending set replaced */
	unsigned		 m;
	size_t			 shares;
	char			 share_paths[KR_CUSTODIANS_MAX]
				    [KR_SHARE_PATH_BYTES];
	char			 approval_fp[KR_CUSTODIANS_MAX]
				    [KR_APPROVAL_FP_BYTES];
	struct kr_quorum_report	*quorum;	/* kr_reshare_result_free */
	int64_t			 audit_seq;
};

int		 kr_authority_quorum_reshare(struct kr_appliance *app,
		    const struct kr_reshare_req *req,
		    const struct kr_passphrase_source *src,
		    const struct kr_notice_sink *notice,
		    struct kr_reshare_result *res, struct kr_err *err) KR_WUR;
void		 kr_reshare_result_free(struct kr_reshare_result *);

/* Certificates: cert root | issue | cross-sign. */
enum kr_issue_kind {
	KR_ISSUE_ROOT = 1,	/* self-signed, by the key itself */
	KR_ISSUE_CERT,		/* a certificate for a CSR, public key or held key */
	KR_ISSUE_CROSS,		/* an existing CA's subject and key, another issuer */
};

#define KR_SAN_MAX	16

struct kr_issue_req {
	enum kr_issue_kind	 kind;
	const char		*issuer_key;	/* for a root: the key itself */
	const char		*profile;
	const char		*subject;	/* DN string, or NULL */
	const char		*csr_path;	/* exactly one subject key source */
	const char		*pubkey_path;
	const char		*subject_key;
	const char		*cross_cert_path;
	/* Or the certificate itself, named `cross_what` (rotate root). */
	const uint8_t		*cross_der;
	size_t			 cross_der_len;
	const char		*cross_what;
	/*
	 * rotate root: the issuer's certificate when it is prepared in the
	 * same operation and not recorded yet (only its fields are read).
	 */
	const uint8_t		*issuer_der;
	size_t			 issuer_der_len;
	const char		*san[KR_SAN_MAX];
	size_t			 nsan;
	unsigned		 days;		/* 0: the profile's default */
	bool			 rsa_pss;	/* RSASSA-PSS for an RSA issuer */
	bool			 der;		/* write DER instead of PEM */
	const char		*out_path;
	bool			 dry_run;	/* lint and show; sign nothing */
	/*
	 * cert issue: with dry_run, write the prepared request (serial,
	 * times, TBS and what they depend on) to save_request; or sign the
	 * request in `request`, prepared earlier, exactly (docs/formats.md).
	 */
	const char		*save_request;
	const char		*request;
	bool			 accept_warnings;
	const char *const	*shares;
	size_t			 nshares;
	const char		*actor;
};

struct kr_issue_result {
	char			serial[2 * 20 + 1];
	char			subject[512];
	char			tbs_sha256[65];
	char			cert_sha256[65];
	char			spki_sha256[65];
	char			not_before[KR_TIME_STR_BYTES];
	char			not_after[KR_TIME_STR_BYTES];
	struct kr_lint_report	lint;
	char			request_sha256[65];	/* --request FILE's */
	bool			saved;		/* save_request written */
	struct kr_quorum_report	*quorum;	/* kr_issue_result_free */
	int64_t			audit_seq;
	bool			signed_ok;
};

/*
 * Builds the certificate from the request and the profile, lints it,
 * then (unless dry_run) has a quorum of the issuer key's custodians unlock
 * the key, signs, verifies the signature and that the signed TBS is the
 * linted one, records the certificate and its audit row in one
 * transaction, and only then writes out_path.  Any refusal leaves no
 * output file and no row.
 */
int		 kr_authority_issue(struct kr_appliance *app,
		    const struct kr_issue_req *req,
		    const struct kr_passphrase_source *src,
		    struct kr_issue_result *res, struct kr_err *err) KR_WUR;
/* Frees what the operation put in the result (before it is used again). */
void		 kr_issue_result_free(struct kr_issue_result *);

/*
 * Manufacturing provisioning (docs/provisioning.md): device certificates
 * for a folder of CSRs, or renewals of the device certificates expiring
 * soon, with one quorum unlock.  Every CSR is checked first (signature,
 * device id, a key never certified here before, no key or device twice
 * in the batch, every output); the custodians approve the batch's
 * digest; then per device: sign, verify, record (certificate,
 * provisioning record, audit row) and write the certificate and its
 * record file.  A failure half-way keeps the devices before it.
 */
#define KR_PROV_BATCH_MAX	50000

struct kr_prov_req {
	const char	*issuer_key;
	const char	*profile;
	const char	*csr_dir;	/* new devices; NULL when renewing */
	unsigned	 renew_within_days;	/* renewals (csr_dir NULL) */
	const char	*from_issuer;	/* renewals: a retired key's, or NULL */
	const char	*out_dir;
	const char	*operator;
	const char	*line;		/* NULL: none */
	unsigned	 days;		/* 0: the profile's default */
	const char *const *shares;
	size_t		 nshares;
	const char	*actor;
	bool		 dry_run;	/* check and show; sign nothing */
	bool		 accept_warnings;	/* sign despite lint warnings */
	/* a CSR of a device provisioned with its key: skipped, listed */
	bool		 skip_provisioned;
};

struct kr_prov_result {
	char			 batch[33];
	char			 batch_sha256[65];
	size_t			 total;
	size_t			 done;
	size_t			 skipped;	/* renewals left out, or CSRs
						   of devices done before */
	char			 failed[KR_DEVICE_ID_MAX + 1];	/* device */
	struct kr_quorum_report	*quorum;	/* kr_prov_result_free */
};

int		 kr_authority_provision(struct kr_appliance *,
		    const struct kr_prov_req *,
		    const struct kr_passphrase_source *,
		    struct kr_prov_result *, struct kr_err *) KR_WUR;
void		 kr_prov_result_free(struct kr_prov_result *);

/*
 * cert renew: the same key and subject certified again with a new
 * validity (the profile's), before the old certificate expires; refused
 * for a revoked or held one, or one already renewed.  Recorded as a
 * renewal of the old serial.
 */
struct kr_renew_req {
	const char	*serial;
	const char	*issuer_key;	/* NULL: the one issuer with it */
	unsigned	 days;		/* 0: the profile's default */
	const char	*out_path;
	bool		 der;
	bool		 accept_warnings;	/* sign despite lint warnings */
	const char *const *shares;
	size_t		 nshares;
	const char	*actor;
};

int		 kr_authority_renew(struct kr_appliance *,
		    const struct kr_renew_req *,
		    const struct kr_passphrase_source *,
		    struct kr_issue_result *, struct kr_err *) KR_WUR;

/* Revocation (docs/revocation.md). */
struct kr_revoke_req {
	const char	*issuer_key;
	const char	*serial;	/* hex, as openssl prints it; ':' allowed */
	enum kr_reason	 reason;
	int64_t		 invalidity;	/* 0: none */
	bool		 lift_hold;	/* lift a certificateHold instead */
	const char	*actor;
};

struct kr_revoke_result {
	char		serial[2 * 20 + 1];
	char		subject[512];
	int64_t		audit_seq;
};

/*
 * Records a revocation (a certificate is revoked once) or lifts a
 * certificateHold (it then appears as removeFromCRL in the next delta
 * CRL), with its audit row.  The serial must be one this key issued.
 */
int		 kr_authority_revoke(struct kr_appliance *,
		    const struct kr_revoke_req *, struct kr_revoke_result *,
		    struct kr_err *) KR_WUR;

/*
 * Revocation state of one certificate, or the worst among a key's own
 * certificates (docs/revocation.md): a key with a certificate revoked
 * for superseded, cessationOfOperation or affiliationChanged may only
 * publish CRLs and OCSP responses; on hold it signs nothing until the
 * hold is lifted; revoked for any other reason it signs nothing.
 */
enum kr_rev_state {
	KR_REV_NONE = 0,	/* not revoked, or a hold that was lifted */
	KR_REV_HELD,		/* certificateHold in force */
	KR_REV_REVOKED,
};

struct kr_rev_status {
	enum kr_rev_state	state;
	enum kr_reason		reason;
	int64_t			since;		/* revocation time */
	char			serial[2 * 20 + 1];	/* the certificate */
	char			issuer[KR_STORE_NAME_MAX + 1];	/* issuing key */
};

int		 kr_authority_cert_status(struct kr_appliance *,
		    const struct kr_cert_rec *, struct kr_rev_status *,
		    struct kr_err *) KR_WUR;
/*
 * The revocation state of a provisioning record's certificate (its serial
 * by its issuing key); KR_ESTATE when no such certificate is recorded.
 */
struct kr_prov_rec;
int		 kr_authority_prov_status(struct kr_appliance *,
		    const struct kr_prov_rec *, struct kr_rev_status *,
		    struct kr_err *) KR_WUR;
int		 kr_authority_key_status(struct kr_appliance *,
		    const struct kr_key_rec *, struct kr_rev_status *,
		    struct kr_err *) KR_WUR;
/* "not revoked", "revoked: keyCompromise, DATE", "on hold since DATE". */
void		 kr_rev_status_format(const struct kr_rev_status *, char *,
		    size_t);
/* What a key of this purpose with this (worst) status may do, in words. */
const char	*kr_rev_status_standing(const struct kr_rev_status *,
		    const char *);

/*
 * What is due (status and the console; due.c): certificates that expire
 * within KR_DUE_CERT_DAYS (not revoked; a hold is said), soonest first,
 * short-lived ones summarised in groups (below); each certified CA key
 * whose next base CRL is due within the CRL policy's publish_margin_days
 * (or was never published), and whose next delta CRL is due (a CA with a
 * delta location); active keys with no certificate; keys whose own
 * certificate is revoked or on hold; and reshares waiting for their
 * holders' checks.  Every fact comes from the records the audit chain
 * proved at open; `damaged` says they did not match it (then nothing here
 * is fact).  kr_due_free frees the lists.
 */
#define KR_DUE_CERT_DAYS	90u
#define KR_DUE_SOON_DAYS	7u

struct kr_due_cert {
	char		serial[41];
	char		subject[512];
	char		kind[16];
	char		profile[33];
	char		issuer[KR_STORE_NAME_MAX + 1];	/* "" not held here */
	int64_t		not_after;
	bool		held;			/* certificateHold in force */
};

struct kr_due_crl {
	char		issuer[KR_STORE_NAME_MAX + 1];
	bool		published;		/* false: never; due now */
	int64_t		number;			/* the newest base CRL's */
	int64_t		this_update;
	int64_t		next_update;
	int64_t		publish_by;		/* next_update - the margin */
	/*
	 * Revocations (and lifted holds) recorded since the CA's newest CRL,
	 * base or delta: on no published CRL yet, so due now.
	 */
	int64_t		unpublished;
};

/*
 * A CA's next delta CRL: none published since its newest base (then
 * crl.published is false), or the newest delta's nextUpdate less its
 * margin (the base margin's share of the delta's life: its period *
 * publish_margin_days / next_update_days) has come.
 */
struct kr_due_delta {
	struct kr_due_crl	crl;		/* the newest delta's */
	char			location[KR_CRL_URL_MAX]; /* where deltas go */
	int64_t			base_number;	/* the newest base CRL's */
};

/*
 * Short-lived certificates, one group per issuing key and profile instead
 * of a line each: leaves whose subject key is not held here, issued by a
 * key held here, not on hold, under a profile (the one in force) whose
 * max_days is at most KR_DUE_CERT_DAYS, or made by `provision batch` (a
 * provisioning record): what `provision batch --renew-within-days`
 * renews.  Soonest group first.
 */
struct kr_due_group {
	uint8_t		issuer_id[KR_STORE_ID_BYTES];
	char		issuer[KR_STORE_NAME_MAX + 1];
	char		profile[KR_PROFILE_NAME_MAX + 1];
	size_t		count;			/* expiring within cert_days */
	size_t		soon;			/* within KR_DUE_SOON_DAYS */
	int64_t		soonest;		/* its notAfter */
	char		soonest_serial[41];
	/*
	 * The issuing key may issue no more (its certificate revoked):
	 * its certificates are renewed under a successor (--from-issuer).
	 */
	bool		retired;
};

struct kr_due_key {
	char		key[KR_STORE_NAME_MAX + 1];
	char		alg[16];
	char		purpose[16];
	char		backend[16];
	int64_t		created;
};

struct kr_due_rev {
	char			key[KR_STORE_NAME_MAX + 1];
	char			purpose[16];
	struct kr_rev_status	status;
	const char		*standing;	/* what the key still may do */
};

struct kr_due_reshare {
	char		key[KR_STORE_NAME_MAX + 1];
	uint32_t	epoch;
	unsigned	m, n;
	unsigned	checked;		/* holders who checked so far */
	int64_t		created;
};

struct kr_due {
	int64_t			 now;
	unsigned		 cert_days;
	unsigned		 crl_margin_days;
	unsigned		 soon_days;	/* KR_DUE_SOON_DAYS */
	bool			 damaged;
	struct kr_due_cert	*certs;		/* listed one by one */
	size_t			 ncerts, cap_certs;
	struct kr_due_group	*groups;	/* short-lived, summarised */
	size_t			 ngroups, cap_groups;
	struct kr_due_crl	*crls;
	size_t			 ncrls, cap_crls;
	struct kr_due_delta	*deltas;
	size_t			 ndeltas, cap_deltas;
	size_t			 delta_cas;	/* CAs with a delta location */
	struct kr_due_key	*uncertified;
	size_t			 nuncertified, cap_uncertified;
	struct kr_due_rev	*revoked;
	size_t			 nrevoked, cap_revoked;
	struct kr_due_reshare	*reshares;
	size_t			 nreshares, cap_reshares;
};

int		 kr_authority_due(struct kr_appliance *, int64_t now,
		    struct kr_due *, struct kr_err *) KR_WUR;
void		 kr_due_free(struct kr_due *);

struct kr_import_result {
	size_t		lines;
	size_t		valid;
	size_t		revoked;
	size_t		expired;
	int64_t		audit_seq;
};

/*
 * import openssl-index: records every line of an `openssl ca` index.txt
 * as inventory issued by the key, and its revocations, in one
 * transaction; a malformed line refuses the whole file, naming the line.
 */
int		 kr_authority_import_openssl_index(struct kr_appliance *app,
		    const char *issuer_key, const char *path, const char *actor,
		    const struct kr_notice_sink *notice,
		    struct kr_import_result *res, struct kr_err *err) KR_WUR;

struct kr_crl_req {
	const char		*issuer_key;	/* NULL with `request` */
	const char		*out_path;	/* NULL with dry_run */
	unsigned		 next_update_days;	/* 0: policy/crl.yaml */
	bool			 delta;
	const char		*previous_path;		/* a CRL made elsewhere */
	bool			 pem;
	/*
	 * dry_run: build and show, sign nothing; with save_request, write
	 * the prepared CRL request (number, times, SHA-256 of the TBS).
	 * request: sign exactly what such a request prepared, if the
	 * records still give that TBS (docs/formats.md).
	 */
	bool			 dry_run;
	const char		*save_request;
	const char		*request;
	const char *const	*shares;
	size_t			 nshares;
	const char		*actor;
};

struct kr_crl_result {
	int64_t			number;
	int64_t			base_number;
	size_t			entries;
	size_t			new_entries;	/* since the previous CRL */
	char			this_update[KR_TIME_STR_BYTES];
	char			next_update[KR_TIME_STR_BYTES];
	char			sha256[65];
	char			tbs_sha256[65];	/* what the custodians approved */
	size_t			der_len;
	int64_t			audit_seq;
	struct kr_quorum_report	*quorum;	/* kr_crl_result_free */
	bool			saved;		/* save_request written */
	char			request_sha256[65];	/* `request`'s */
};

/*
 * crl publish: checks continuity with the previous CRL (from the records
 * or --previous, whose signature is checked first), then has a quorum of
 * the issuer key's custodians unlock it, builds the CRL streaming from
 * the records, signs, verifies, records and writes it.
 */
int		 kr_authority_crl_publish(struct kr_appliance *app,
		    const struct kr_crl_req *req,
		    const struct kr_passphrase_source *src,
		    const struct kr_notice_sink *notice,
		    struct kr_crl_result *res, struct kr_err *err) KR_WUR;
void		 kr_crl_result_free(struct kr_crl_result *);
/*
 * One CA key's CRL settings in policy/crl.yaml, as its CRLs would carry
 * them (site->delta "": it has no delta location); crl_scope.c.
 */
int		 kr_authority_crl_site(struct kr_appliance *, const char *key,
		    struct kr_crl_site *, struct kr_err *) KR_WUR;

struct kr_ocsp_req {
	const char		*issuer_key;
	const char		*out_dir;
	unsigned		 valid_days;	/* 0: 7 */
	const char *const	*shares;
	size_t			 nshares;
	const char		*actor;
};

struct kr_ocsp_result {
	size_t			good;
	size_t			revoked;
	int64_t			audit_seq;
	char			next_update[KR_TIME_STR_BYTES];
	struct kr_quorum_report	*quorum;	/* kr_ocsp_result_free */
};

/* ocsp presign: one response per CA certificate the key issued. */
int		 kr_authority_ocsp_presign(struct kr_appliance *app,
		    const struct kr_ocsp_req *req,
		    const struct kr_passphrase_source *src,
		    const struct kr_notice_sink *notice,
		    struct kr_ocsp_result *res, struct kr_err *err) KR_WUR;
void		 kr_ocsp_result_free(struct kr_ocsp_result *);

/*
 * key destroy: with the key's quorum (or its token PIN), records the key
 * as destroyed and its share set as retired (so its shares are worthless),
 * then removes the material: the sealed file overwritten and unlinked, or
 * the token objects destroyed.  Certificates and CRLs stay recorded.
 * *rep as for kr_authority_quorum_verify; the caller frees it.
 */
int		 kr_authority_key_destroy(struct kr_appliance *app,
		    const char *name, const char *const *files, size_t count,
		    const struct kr_passphrase_source *src, const char *actor,
		    struct kr_quorum_report **rep, struct kr_err *err) KR_WUR;

/* sign firmware | sign batch (docs/ota-signing.md). */
struct kr_sign_item {
	const char		*in_path;
	const char		*out_path;
	struct kr_fw_opts	 opts;		/* format, version, MCUboot ... */
	char			 entry[512];	/* the manifest entry, for the record */
};

struct kr_sign_item_result {
	char		image[256];
	uint64_t	size;
	char		digest_alg[16];
	char		digest[129];
	char		format[16];
	char		output[1024];
	int		code;		/* KR_OK when signed and written */
	char		msg[KR_ERR_MSG_MAX];
	int64_t		audit_seq;
	int64_t		signature_id;	/* `keyrite sign show ID` */
};

struct kr_sign_req {
	const char		*key;
	const char		*cert_path;	/* cms, rauc */
	const char		*chain_path;
	struct kr_sign_item	*items;
	size_t			 nitems;
	const char		*batch_name;	/* NULL for sign firmware */
	const char		*beside;	/* outputs beside the manifest
						   (no --out-dir): its folder */
	const char *const	*shares;
	size_t			 nshares;
	const char		*actor;
	kr_fw_progress_fn	*progress;
	void			*progress_arg;
};

struct kr_sign_result {
	size_t				 done;	/* items signed, recorded, written */
	struct kr_sign_item_result	*items;	/* nitems of them, caller-owned */
	struct kr_quorum_report		*quorum; /* kr_sign_result_free */
};

/*
 * Checks every item first (key purpose firmware, inputs, outputs, signer
 * certificate against the key), unlocks the key once, then for each
 * image: sign, verify, record (signature row + audit row), write.  A
 * failure stops the batch: earlier images stay recorded and complete, and
 * the result says which image failed.
 */
int		 kr_authority_sign(struct kr_appliance *app,
		    const struct kr_sign_req *req,
		    const struct kr_passphrase_source *src,
		    struct kr_sign_result *res, struct kr_err *err) KR_WUR;
/* Frees the quorum report; the items stay the caller's. */
void		 kr_sign_result_free(struct kr_sign_result *);

/* A batch manifest (sign batch), parsed strictly. */
struct kr_manifest {
	struct kr_yaml_doc	*doc;
	char			*key;
	char			*cert;
	char			*chain;
	char			 out_dir[1024];
	bool			 out_beside;	/* no --out-dir: the manifest's */
	struct kr_sign_item	*items;
	size_t			 nitems;
};

/* Outputs go to out_dir, or beside the manifest when NULL. */
int		 kr_manifest_load(const char *path, const char *out_dir,
		    struct kr_manifest *m, struct kr_err *err) KR_WUR;
/* The signing request of a loaded manifest (its items stay the manifest's). */
void		 kr_manifest_sign_req(const struct kr_manifest *m,
		    const char *batch_name, struct kr_sign_req *req);
void		 kr_manifest_free(struct kr_manifest *);

/*
 * Writing a recorded artifact again (after a write that failed once it
 * was recorded).  Each reads the recorded bytes, checks their SHA-256
 * against the record, checks the output as the signing operations do
 * (not in the state folder, folder writable, room, no existing file) and
 * writes it through media/.
 *   cert: the certificate with this serial (PEM, or DER when `der`);
 *   crl: CRL number N of an issuer key, from the state folder's copy
 *        (DER, or PEM when `pem`);
 *   sign: signature ID; detached formats (raw, minisign, cms) are kept
 *        whole; images (mcuboot, rauc) need the input image again
 *        (`in`), whose digest must be the recorded one.
 */
int		 kr_authority_cert_release(struct kr_appliance *app,
		    const char *serial, const char *out, bool der,
		    struct kr_err *err) KR_WUR;
int		 kr_authority_crl_release(struct kr_appliance *app,
		    const char *issuer, int64_t number, const char *out,
		    bool pem, struct kr_err *err) KR_WUR;
int		 kr_authority_sign_release(struct kr_appliance *app, int64_t id,
		    const char *in, const char *out, struct kr_err *err) KR_WUR;

/*
 * export --to DIR (authority/export.c, docs/media.md): the recorded
 * certificates, CRLs, detached signatures and public keys the selectors
 * choose (all given must hold; `all` alone: everything), each checked
 * against its record and audit row, written with MANIFEST.json and
 * SHA256SUMS, read back, and recorded as one audit row "export".  On
 * failure nothing is left in DIR and nothing is recorded.
 */
struct kr_export_req {
	const char	*dir;
	bool		 all;
	const char	*key;
	const char	*ceremony;
	const char	*since_text;	/* YYYY-MM-DD, as given */
	int64_t		 since;		/* its midnight UTC; 0: none */
	/*
	 * A custodian's own share files (docs/media.md): those in
	 * share_dir/custodian/, each checked against its custodian record.
	 */
	const char	*custodian;
	const char	*share_dir;
	const char	*actor;
};

struct kr_export_result {
	size_t		 files;		/* artifacts, without the two lists */
	size_t		 certs, crls, sigs, pubkeys, ocsp;
	size_t		 transcripts, bundles, shares;	/* folders, files */
	char		 manifest_sha256[65];
	int64_t		 audit_seq;
};

int		 kr_authority_export(struct kr_appliance *,
		    const struct kr_export_req *, struct kr_export_result *,
		    struct kr_err *) KR_WUR;
/*
 * export verify DIR: an export folder checked on any machine, with no
 * state folder (media/export_verify.c does the reading).
 */
int		 kr_authority_export_verify(const char *dir,
		    struct kr_media_export_report *, struct kr_err *) KR_WUR;

/*
 * Root rotation and pin sets (rotate.c, pinset.c; docs/rotation.md).  A
 * pin set names the roots a device may trust, each by the SHA-256 of its
 * SubjectPublicKeyInfo with the times it is trusted between; the file's
 * bytes as written are signed by every pinned root (FILE.N.sig for pin N:
 * ECDSA as DER, Ed25519 raw, RSA PKCS#1 v1.5).
 */
#define KR_PINSET_PINS_MAX	4
#define KR_PINSET_FILE_MAX	(16 * 1024)
#define KR_PINSET_FORMAT	"keyrite-pinset"

struct kr_pin {
	char		key[KR_KEY_NAME_MAX + 1];
	char		subject[512];
	char		spki_sha256[65];
	char		sig_alg[32];		/* kr_sig_alg_name */
	int64_t		not_before;
	int64_t		not_after;
};

struct kr_pinset {
	int64_t		sequence;
	int64_t		issued;
	struct kr_pin	pins[KR_PINSET_PINS_MAX];
	size_t		n;
	uint8_t		sha256[32];		/* of the file's bytes */
};

/* pinset show FILE: read and checked for form (signatures not checked). */
int		 kr_authority_pinset_read(const char *path,
		    struct kr_pinset *ps, struct kr_err *err) KR_WUR;
/*
 * pinset verify FILE --root CERT...: every pin's signature (FILE.N.sig)
 * with the root certificate given for it, every root given pinned.
 */
int		 kr_authority_pinset_verify(const char *path,
		    const char *const *roots, size_t nroots,
		    struct kr_pinset *ps, struct kr_err *err) KR_WUR;

/*
 * rotate root: with the new root's certificate made (cert root), the
 * link certificates both ways (old root over the new root's key, new
 * root over the old's, for the overlap) and the transition pin set
 * (both roots, signed by both), all shown first, then each root's quorum
 * (shares told apart by the key they are for), one transaction, and the
 * files into out_dir.  rotate finish: the pin set of the new root alone,
 * refused before the overlap ends unless forced with the old root's
 * quorum as well.
 */
struct kr_rotate_req {
	const char		*old_key;
	const char		*new_key;
	unsigned		 overlap_days;	/* 0: 365 */
	const char		*profile;	/* NULL: root-link */
	/* The new key has no root certificate: rotate root makes it. */
	const char		*new_subject;
	const char		*new_profile;	/* NULL: root */
	unsigned		 new_days;	/* 0: the profile's default */
	const char		*out_dir;
	bool			 force;		/* drop a root early, consenting */
	bool			 dry_run;
	const char *const	*shares;
	size_t			 nshares;
	const char		*actor;
};

#define KR_ROTATE_FILES		7

struct kr_rotate_result {
	struct kr_pinset	 pinset;
	char			 link_serial[2][2 * 20 + 1]; /* by old, by new */
	char			 root_serial[2 * 20 + 1]; /* --new-subject */
	char			 files[KR_ROTATE_FILES][1024];
	size_t			 nfiles;
	int64_t			 overlap_end;
	int64_t			 audit_seq;	/* the last row */
	struct kr_quorum_report	*quorum[3];	/* old, new, a dropped root */
};

int		 kr_authority_rotate_root(struct kr_appliance *app,
		    const struct kr_rotate_req *req,
		    const struct kr_passphrase_source *src,
		    struct kr_rotate_result *res, struct kr_err *err) KR_WUR;
int		 kr_authority_rotate_finish(struct kr_appliance *app,
		    const struct kr_rotate_req *req,
		    const struct kr_passphrase_source *src,
		    struct kr_rotate_result *res, struct kr_err *err) KR_WUR;
void		 kr_rotate_result_free(struct kr_rotate_result *);

/* key export-public: pem, minisign or mcuboot-c text (malloc'd). */
int		 kr_authority_export_public(struct kr_appliance *app,
		    const char *name, const char *format, char **out,
		    struct kr_err *err) KR_WUR;

/*
 * Ceremonies (docs/ceremonies.md) are recorded in the audit chain only.
 * The start row holds the script itself, its SHA-256 and the parameters;
 * while a step runs (kr_authority_ceremony_step), every audit row the
 * operations append carries the ceremony's id and the step's id (members
 * "ceremony" and "ceremony_step"); checkpoints,
 * expectations, a step's completion, the end and an abort are rows of
 * their own (kr_authority_ceremony_record).
 */
#define KR_CEREMONY_ID_BYTES	20	/* "20261205-1a2b3c4d" */
#define KR_CEREMONY_STEP_BYTES	33	/* [a-z0-9_-], 1 to 32 */

struct kr_ceremony_begin {
	const char	*name;
	const uint8_t	*script;	/* the script file's bytes */
	size_t		 script_len;
	const char	*params;	/* canonical JSON object */
	const char	*requests;	/* the rehearsal's requests, or NULL */
	const char	*actor;
};

int		 kr_authority_ceremony_begin(struct kr_appliance *app,
		    const struct kr_ceremony_begin *req,
		    char id[KR_CEREMONY_ID_BYTES], int64_t *seq,
		    struct kr_err *err) KR_WUR;
/* The step whose rows follow; NULL (or "") ends the tagging. */
void		 kr_authority_ceremony_step(struct kr_appliance *app,
		    const char *id, const char *step);
/*
 * One of the ceremony's own rows: "ceremony.checkpoint",
 * "ceremony.expect", "ceremony.step", "ceremony.end" or
 * "ceremony.abort"; `payload` is a canonical JSON object of its details.
 */
int		 kr_authority_ceremony_record(struct kr_appliance *app,
		    const char *id, const char *step, const char *event,
		    const char *payload, const char *actor, int64_t *seq,
		    struct kr_err *err) KR_WUR;

/*
 * ceremony report (docs/transcript.md).  kr_authority_transcript_sign: a
 * custodian signs a ceremony transcript with the approval key in their
 * share file.  The file is checked against the records (its share set,
 * the dealer's signature, the file digest and approval key recorded for
 * that custodian); `who` is then told the custodian and approval key
 * (it refuses one who need not sign and builds the statement into
 * `msg`); only then is the passphrase asked.  The approval key signs
 * `msg` and is wiped at once.  Nothing is recorded: a wrong passphrase
 * refuses the transcript.  kr_authority_transcript_write writes the
 * transcript's files into `dir` (created 0700 when missing) through
 * media/: all are staged first, none over an existing file, and named
 * only when every one was written.
 */
struct kr_transcript_sig {
	char		custodian[KR_CUSTODIAN_NAME_MAX + 1];
	uint8_t		pk[KR_APPROVAL_PK_BYTES];
	uint8_t		sig[KR_APPROVAL_SIG_BYTES];
};

typedef int kr_transcript_who_cb(void *arg, const char *custodian,
		    const uint8_t *pk, struct kr_buf *msg, struct kr_err *err);

/* The custodian a share file names (its public header), or an error. */
int		 kr_authority_share_holder(const char *path, char *custodian,
		    size_t cap, struct kr_err *err) KR_WUR;
int		 kr_authority_transcript_sign(struct kr_appliance *app,
		    const char *share_file,
		    const struct kr_passphrase_source *src,
		    kr_transcript_who_cb *who, void *arg,
		    struct kr_transcript_sig *out, struct kr_err *err) KR_WUR;

struct kr_transcript_file {
	const char	*name;		/* "report.txt" */
	const void	*data;
	size_t		 len;
};

/*
 * Whether the files `names` (of about `sizes` bytes) can be written into
 * `dir` as kr_authority_transcript_write checks it (a folder outside the
 * state folder, writable, no such file there, room): called before the
 * custodians sign, so a bad --out asks no one for a passphrase.
 */
int		 kr_authority_transcript_check(struct kr_appliance *app,
		    const char *dir, const char *const *names,
		    const uint64_t *sizes, size_t n, struct kr_err *err) KR_WUR;

/*
 * Records the transcript of `ceremony` (a "ceremony.report" row listing
 * each file's name, size and SHA-256, kept in the state folder for
 * `keyrite export`), then names the files in `dir`; *seq is the row.
 */
int		 kr_authority_transcript_write(struct kr_appliance *app,
		    const char *actor, const char *ceremony, const char *dir,
		    const struct kr_transcript_file *files, size_t n,
		    int64_t *seq, struct kr_err *err) KR_WUR;

/*
 * What `audit verify` found of the signed approvals: rows whose approvals
 * every custodian signed and whose signatures verify with the recorded
 * approval keys, rows approved with shares of format 1 (unsigned), and
 * rows whose approver list the signatures do not back (named).
 */
#define KR_APPROVALS_SHOWN	8

struct kr_approval_report {
	int64_t		signed_rows;
	int64_t		unsigned_rows;
	int64_t		bad_rows;
	char		bad[KR_APPROVALS_SHOWN][400];
	size_t		bad_shown;
	char		unsigned_note[KR_APPROVALS_SHOWN][200];
	size_t		unsigned_shown;
};

/* The approvals found by the last kr_authority_audit_replay. */
const struct kr_approval_report *
		 kr_appliance_approvals(const struct kr_appliance *);

/*
 * audit verify: recomputes the chain, names the first bad row, and
 * replays it against every table (the report of the open; `replay` may
 * be NULL).  KR_EVERIFY when anything does not match.
 */
int		 kr_authority_audit_verify(struct kr_appliance *,
		    struct kr_audit_report *, struct kr_err *) KR_WUR;
/*
 * The same, reading the chain and every table again however recent the
 * last replay (a long-lived console's verify: a command's own verify
 * reuses the replay of its open while nothing was written).
 */
int		 kr_authority_audit_verify_afresh(struct kr_appliance *,
		    struct kr_audit_report *, struct kr_err *) KR_WUR;
int		 kr_authority_clock_recover(struct kr_appliance *app,
		    const struct kr_clock_recover_req *req,
		    const struct kr_passphrase_source *src,
		    struct kr_clock_recover_result *res, struct kr_err *err)
		    KR_WUR;
int		 kr_authority_audit_replay(struct kr_appliance *,
		    struct kr_audit_report *, const struct kr_replay_report **,
		    struct kr_err *) KR_WUR;

/*
 * backup (backup.c): a consistent copy of the state folder in a new
 * folder `to` (outside the state folder): the database (SQLite's online
 * backup), the sealed key and PIN files (encrypted under their quorums),
 * the policy and the recorded CRLs, each written through media/, and a
 * MANIFEST with the SHA-256 of each file and the audit head the copy
 * holds (docs/operations.md, "What a backup holds").  Recorded as a "backup" row;
 * the folder gets its name after the record.  Nothing is left on failure.
 */
#define KR_HEAD_HEX_BYTES	(2 * KR_AUDIT_HASH_BYTES + 1)

struct kr_backup_req {
	const char	*to;
	const char	*actor;
};

struct kr_backup_result {
	char		head[KR_HEAD_HEX_BYTES];	/* the copy's audit head */
	int64_t		rows;				/* its audit rows */
	char		manifest_sha256[KR_HEAD_HEX_BYTES];
	size_t		files;
	uint64_t	bytes;
	char		keys[1024];	/* the keys it holds, comma-separated */
	int64_t		audit_seq;	/* the backup row */
};

int		 kr_authority_backup(struct kr_appliance *app,
		    const struct kr_backup_req *req,
		    struct kr_backup_result *res, struct kr_err *err) KR_WUR;

/* The recorded backups that hold a key: "row N, DATE, FOLDER" each. */
typedef int kr_backup_cb(int64_t seq, int64_t time, const char *to,
    void *arg);
int		 kr_authority_backups_of_key(struct kr_appliance *app,
		    const char *key, kr_backup_cb *cb, void *arg,
		    struct kr_err *err) KR_WUR;

/*
 * restore (restore.c): a backup folder checked (MANIFEST, SQLite's
 * integrity check, then opened as a state folder: the chain and the
 * replay of every record) and written to a new state folder `to`
 * (staged beside it, then renamed; never over anything).  `expect_head`
 * is the newest audit head known outside the appliance: a copy whose
 * chain does not hold it is a rollback or a fork and is refused unless
 * `approve_rollback` with a quorum of `key`'s custodians, recorded in
 * the restored chain as "restore.rollback".  Otherwise a "restore" row.
 */
struct kr_restore_req {
	const char		*from;
	const char		*to;
	const char		*expect_head;	/* 64 hex digits */
	bool			 approve_rollback;
	const char		*key;
	const char *const	*shares;
	size_t			 nshares;
	const char		*confirm_date;
	const char		*actor;
};

struct kr_restore_result {
	char		head[KR_HEAD_HEX_BYTES];	/* the copy's head */
	int64_t		rows;
	bool		rollback;	/* the expected head was not in it */
	size_t		files;
	char		approvers[1024];
	int64_t		audit_seq;	/* the restore or rollback row */
	struct kr_quorum_report	*quorum;	/* the caller frees it */
};

int		 kr_authority_restore(const struct kr_restore_req *req,
		    const struct kr_passphrase_source *src,
		    struct kr_restore_result *res, struct kr_err *err) KR_WUR;

/*
 * import (intake.c): the inputs of a job copied from a medium into
 * STATE/intake/ID/ (docs/media-import.md).  Every file of `from` is
 * checked first (a regular file, a known type within its size bound,
 * parsed as that type); one refusal names the file and nothing is
 * copied.  One "import.files" row lists each file's name, type, size
 * and SHA-256.
 */
struct kr_intake_req {
	const char	*from;
	const char	*actor;
};

struct kr_intake_result {
	char		id[32];		/* the intake folder's name */
	char		dir[1024];	/* STATE/intake/ID */
	size_t		files;
	uint64_t	bytes;
	int64_t		audit_seq;
};

int		 kr_authority_import_files(struct kr_appliance *app,
		    const struct kr_intake_req *req,
		    struct kr_intake_result *res, struct kr_err *err) KR_WUR;

/* One intake file, as `import list` shows it. */
struct kr_intake_file {
	const char	*id;
	const char	*name;
	const char	*path;		/* STATE/intake/ID/NAME */
	const char	*type;		/* "csr", ... or "unknown" */
	uint64_t	 size;
	char		 sha256[KR_HEAD_HEX_BYTES];
	bool		 recorded;	/* an import.files row names it so */
};
typedef int kr_intake_cb(const struct kr_intake_file *, void *);
int		 kr_authority_intake_list(struct kr_appliance *app,
		    kr_intake_cb *cb, void *arg, struct kr_err *err) KR_WUR;

/*
 * audit export --out DIR (docs/audit-bundle.md): the audit chain and the
 * public records it binds, as a folder written whole or not at all
 * (outside the state folder, never over an existing one), then recorded
 * as an "audit.export" row, which the bundle does not hold: it ends at
 * the row before.
 */
struct kr_audit_export_req {
	const char	*out;
	const char	*actor;
};
struct kr_audit_export_result {
	int64_t		rows;		/* in the bundle */
	uint8_t		head[32];	/* the bundle's last row's hash */
	uint8_t		manifest_sha256[32];
	size_t		files;
	int64_t		seq;		/* the audit.export row */
};
int		 kr_authority_audit_export(struct kr_appliance *,
		    const struct kr_audit_export_req *,
		    struct kr_audit_export_result *, struct kr_err *) KR_WUR;

/*
 * audit verify --bundle DIR, with no state folder: every file against
 * MANIFEST, the chain from row 1, every record against its binding (the
 * replay the open runs), every key's key.generate row, the approvals'
 * signatures, and bundle.json's row count and head.  KR_EVERIFY when
 * anything does not match, the problems named in the report.
 */
#define KR_BUNDLE_SHOWN		16
struct kr_bundle_check {
	int64_t			rows;		/* recomputed */
	uint8_t			head[32];
	int64_t			records;	/* compared with the chain */
	uint8_t			manifest_sha256[32];
	/* Files whose SHA-256 is not MANIFEST's, or that are missing. */
	char			changed[16][64];
	size_t			nchanged;
	int64_t			problems;
	char			problem[KR_BUNDLE_SHOWN][400];
	size_t			shown;
	struct kr_approval_report approvals;
};
int		 kr_authority_audit_bundle_verify(const char *,
		    struct kr_bundle_check *, struct kr_err *) KR_WUR;

#endif /* KEYRITE_AUTHORITY_H */
