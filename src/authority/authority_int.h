/*
 * authority/ internals.
 */
#ifndef KR_AUTHORITY_INT_H
#define KR_AUTHORITY_INT_H

#include <keyrite/authority.h>
#include <keyrite/media.h>

#define KR_DB_FILE		"keyrite.db"
#define KR_POLICY_DIR		"policy"
#define KR_KEYS_DIR		"keys"
#define KR_CRLS_DIR		"crls"
#define KR_LOCK_FILE		"keyrite.lock"
#define KR_PENDING_DIR		"pending"
#define KR_RELEASED_DIR		"released"
#define KR_INTAKE_DIR		"intake"

/* What the open-time cleanup did (recover.c), for the front end to show. */
#define KR_RECOVERY_LINES	32

struct kr_recovery {
	char	lines[KR_RECOVERY_LINES][512];
	size_t	n;
	size_t	more;		/* lines that did not fit */
};

struct kr_appliance {
	char			*dir;
	struct kr_store		*store;
	struct kr_quorum_policy	 policy;
	char			 kdf_profile[32];
	struct kr_kdf_params	 kdf;
	unsigned		 mode;		/* KR_OPEN_READ or _WRITE */
	const struct kr_open_req *req;		/* during the open only */
	char			 clock_note[320];
	/* The records against the audit chain, replayed at open. */
	struct kr_replay_report	 replay;
	int			 lock_fd;	/* the writer's lock, or -1 */
	struct kr_recovery	 recovery;
	/* What `audit verify` found of the approvals' signatures. */
	struct kr_approval_report approvals;
	/* The ceremony step running now: every audit row names it. */
	char			 ceremony[KR_CEREMONY_ID_BYTES];
	char			 ceremony_step[KR_CEREMONY_STEP_BYTES];
};

/*
 * lock.c: the writer's exclusive lock on DIR/keyrite.lock.  `fresh` (init)
 * creates the file and fails as busy if it exists; otherwise waits up to
 * `wait_secs`, telling `ns` once, then fails with KR_EBUSY.
 */
int	kr_lock_take(const char *, bool, unsigned,
	    const struct kr_notice_sink *, int *, struct kr_err *) KR_WUR;
void	kr_lock_release(int *);

/* ceremony.c: the payload with the running ceremony step added (malloc'd). */
char	*kr_ceremony_tag(const struct kr_appliance *, const char *);

/*
 * audit.c: every recorded key has its key.generate row (rows cut from
 * the end of the log leave the chain intact); KR_EVERIFY naming it.
 */
int	kr_audit_check_keys(struct kr_appliance *, struct kr_audit_report *,
	    struct kr_err *) KR_WUR;

/* Appends an audit row now, inside the caller's transaction. */
/* recover.c: one line of what the open-time cleanup did. */
void	kr_recovery_note(struct kr_appliance *, const char *, ...)
	    KR_PRINTF(2, 3);
/* Row `seq` records `recorded`, but `file` differs: kept, and said so. */
void	kr_recovery_differs(struct kr_appliance *, int64_t, const char *,
	    const char *, const char *);
/*
 * intake.c: an import's staged folder left by a run cut short, named
 * when its row is recorded and its files match, removed otherwise.
 */
void	kr_intake_recover(struct kr_appliance *);
/*
 * An image to be signed that lies in the state folder: only a file an
 * import brought in (intake/ID/NAME), with the SHA-256 its import.files
 * row recorded (`sha`, the image as shown for approval); nothing else of
 * the state folder is signed, which would copy it onto the medium.  A
 * file outside the state folder: KR_OK.  `memo` keeps the last import's
 * row between calls; kr_intake_memo_free frees it.
 */
struct kr_intake_memo {
	char		 id[64];
	int64_t		 seq;
	char		*files;
};
int	kr_intake_image_check(struct kr_appliance *, const char *,
	    const uint8_t *, struct kr_intake_memo *, struct kr_err *) KR_WUR;
void	kr_intake_memo_free(struct kr_intake_memo *);

/*
 * shares.c: a share file checked against the records (its set, the
 * dealer's signature, the SHA-256 and place recorded for its custodian),
 * without opening it; and the share files of one custodian's folder
 * (SHARE_DIR/CUSTODIAN/NAME.share), each checked so, handed to `cb`.  A
 * share of another custodian is refused, naming the file.
 */
struct kr_share_rec {
	struct kr_set_rec	set;
	struct kr_custodian_rec	c;
};

/* A share file read and parsed (its header), not opened; free both. */
int	kr_share_file_load(const char *, struct kr_share **, uint8_t **,
	    size_t *, struct kr_err *) KR_WUR;
void	kr_share_file_free(struct kr_share **, uint8_t **);
/* Its public header only, checked (not opened). */
int	kr_share_header_read(const char *, struct kr_share_header *,
	    struct kr_err *) KR_WUR;

int	kr_share_recorded(struct kr_appliance *, const struct kr_share *,
	    const uint8_t *, size_t, struct kr_share_rec *, struct kr_err *)
	    KR_WUR;
typedef int kr_share_file_cb(void *arg, const char *path,
	    const uint8_t *file, size_t len, const struct kr_share_rec *rec,
	    struct kr_err *err);
int	kr_shares_of(struct kr_appliance *, const char *share_dir,
	    const char *custodian, kr_share_file_cb *, void *,
	    struct kr_err *) KR_WUR;

/*
 * released.c: kept copies of released transcripts and audit bundles,
 * STATE/released/SHA256HEX.  Stage each file before the row that records
 * the release (kr_released_json adds its "kept" list), place them after
 * its commit; clear removes what was not placed (before the commit),
 * forget leaves it for the next open to name (after).  Read finds a copy by
 * the SHA-256 a row lists and checks it (`seq` names the row).
 */
/* The largest release is an audit bundle: one file per table and more. */
#define KR_RELEASED_MAX		KR_BUNDLE_FILES_MAX
/* A kept copy is exported again: no larger than an exported file. */
#define KR_RELEASED_FILE_MAX	KR_MEDIA_EXPORT_FILE_MAX

struct kr_released_file {
	char		 name[64];
	char		 sha256[65];
	uint64_t	 size;
	char		*tmp;		/* staged, not yet placed */
};

struct kr_released {
	struct kr_released_file	f[KR_RELEASED_MAX];
	size_t			n;
};

int	kr_released_stage(struct kr_appliance *, struct kr_released *,
	    const char *, const void *, size_t, struct kr_err *) KR_WUR;
void	kr_released_json(const struct kr_released *, struct kr_json *);
int	kr_released_place(struct kr_appliance *, struct kr_released *,
	    struct kr_err *) KR_WUR;
void	kr_released_forget(struct kr_released *);
void	kr_released_clear(struct kr_released *);
const char *kr_released_kept(const struct kr_audit_rec *);
bool	kr_released_listed(const struct kr_audit_rec *, const char *);
int	kr_released_read(struct kr_appliance *, const char *, int64_t,
	    uint8_t **, size_t *, struct kr_err *) KR_WUR;

int	kr_audit_record(struct kr_appliance *, const char *, const char *,
	    const char *, int64_t *, struct kr_err *) KR_WUR;

/*
 * approvals.c: signed approvals (docs/formats.md, "Approval statements").
 * What an operation asks the custodians to approve: its audit event and
 * the SHA-256 of each thing it signs (a certificate's or CRL's TBS, each
 * image of a batch ...).  digests NULL: the key's own public key (quorum
 * verify, key destroy, clock-recover).
 */
struct kr_approval_subject {
	const char	*op;
	const uint8_t	*digests;	/* n * 32 bytes */
	size_t		 n;
	/*
	 * No row may come before the operation's own (clock-recover): a
	 * wrong passphrase is counted in the report for that row instead
	 * of being a quorum.refused row of its own.
	 */
	bool		 refusals_in_row;
};

/* The fields of one statement, in their order. */
struct kr_approval_fields {
	const char	*appliance;	/* meta appliance_id, hex text */
	const char	*op;
	const char	*key;
	const uint8_t	*key_id;
	const uint8_t	*set_id;
	const char	*custodian;
	unsigned	 x;
	const uint8_t	*digest;	/* SHA-256 */
	int64_t		 time;
};

struct kr_approval_signer {
	char		custodian[KR_CUSTODIAN_NAME_MAX + 1];
	unsigned	x;
	int64_t		time;
	uint8_t		pk[KR_APPROVAL_PK_BYTES];
	bool		has_sig;
};

/* The approvals of one unlock, kept with its quorum report. */
struct kr_approvals {
	char				appliance[64];
	char				op[32];
	char				key[KR_KEY_NAME_MAX + 1];
	uint8_t				key_id[KR_KEY_ID_BYTES];
	uint8_t				set_id[KR_SET_ID_BYTES];
	size_t				items;
	size_t				slots;	/* shares presented */
	uint8_t				*digests;	/* items * 32 */
	uint8_t				*sigs;	/* [item][share slot][64] */
	struct kr_approval_signer	signer[KR_CUSTODIANS_MAX];
};

#define KR_APPROVALS_UNSIGNED	"unsigned approvals"

int	kr_approval_statement(struct kr_buf *,
	    const struct kr_approval_fields *) KR_WUR;
int	kr_approvals_new(struct kr_appliance *, const struct kr_key_rec *,
	    const struct kr_set_rec *, const struct kr_approval_subject *,
	    const char *, size_t, struct kr_approvals **, struct kr_err *)
	    KR_WUR;
int	kr_approvals_sign(struct kr_approvals *, size_t, struct kr_share *,
	    struct kr_err *) KR_WUR;
void	kr_approvals_free(struct kr_approvals **);
/* Adds the "approvals" member (of item `item`) to an audit payload. */
void	kr_approvals_json(struct kr_json *, const struct kr_quorum_report *,
	    size_t);
/* approvals_verify.c: every row's approvals against the custodians' keys. */
int	kr_approvals_verify_chain(struct kr_appliance *,
	    struct kr_approval_report *, struct kr_err *) KR_WUR;

/*
 * Checks the shares presented and unseals the key.  With `out` NULL this
 * is `quorum verify` (one share is checked alone); otherwise the unlocked
 * signer is returned for the operation that follows, which must free it.
 * Each success is an audit row naming the custodians present.
 */
int	kr_authority_unlock(struct kr_appliance *, const char *,
	    const char *const *, size_t, const struct kr_passphrase_source *,
	    const struct kr_approval_subject *, struct kr_quorum_report *,
	    struct kr_signer **, struct kr_err *) KR_WUR;
/*
 * The same into a report it allocates: *report is set whatever the
 * outcome (NULL only when out of memory) and the caller frees it, most
 * often as part of a result (kr_issue_result_free, ...).
 */
int	kr_authority_unlock_report(struct kr_appliance *, const char *,
	    const char *const *, size_t, const struct kr_passphrase_source *,
	    const struct kr_approval_subject *, struct kr_quorum_report **,
	    struct kr_signer **, struct kr_err *) KR_WUR;

/*
 * The current quorum's secret, for quorum reshare (unlock.c): the shares
 * checked and combined, approvals signed for sub, the key opened with
 * the secret, which is copied to `secret`; nothing recorded.
 */
int	kr_authority_unlock_secret(struct kr_appliance *, const char *,
	    const char *const *, size_t, const struct kr_passphrase_source *,
	    const struct kr_approval_subject *, struct kr_quorum_report **,
	    uint8_t *, struct kr_err *) KR_WUR;
/*
 * reshare.c: inside the transaction of a pending set's quorum verify row:
 * once m of its holders have checked their shares, the active set is
 * retired (dated) and the pending one made active, in a row of its own
 * (quorum.activate); rep says what happened.
 */
/*
 * quorum reshare --new-secret: the key's file re-wrapped for the pending
 * set of `epoch`, keys/NAME+epochN.EXT (a '+' is in no key name), until
 * activation moves it over the key's file (kr_reshare_switch, after the
 * commit; recover.c finishes a switch cut short).
 */
void	kr_reshare_next_rel(const struct kr_key_rec *, uint32_t, char *,
	    size_t);
int	kr_reshare_switch(struct kr_appliance *, const struct kr_key_rec *,
	    uint32_t, struct kr_err *) KR_WUR;
int	kr_reshare_activate_due(struct kr_appliance *, const struct kr_key_rec *,
	    const struct kr_set_rec *, struct kr_quorum_report *,
	    struct kr_err *) KR_WUR;
/*
 * preview.c: shows what is about to be signed through the source's
 * confirm (and asks, unless `ask` is false: a dry run).  Called after the
 * operation is prepared and before the quorum is asked.
 */
int	kr_preview_confirm(const struct kr_passphrase_source *,
	    const struct kr_preview *, bool, struct kr_err *) KR_WUR;
/*
 * request.c: a prepared certificate request (cert root, issue and
 * cross-sign --save-request, --request; docs/formats.md), written and
 * read; what it depends on is checked in issue.c.
 */
#define KR_REQUEST_FILE_MAX	(128 * 1024)
/* How long a prepared request may wait to be signed (its time). */
#define KR_REQUEST_MAX_AGE	(48 * 3600)
#define KR_REQUEST_SKEW		300

struct kr_cert_request {
	unsigned	 version;		/* 2; 1 (kind issue) as read */
	enum kr_issue_kind kind;		/* root, issue, cross */
	char		 issuer_key[KR_STORE_NAME_MAX + 1];
	uint8_t		 issuer_key_id[KR_STORE_ID_BYTES];
	bool		 has_issuer_cert;	/* false for a root: "none" */
	uint8_t		 issuer_cert_sha256[32];
	char		 profile[KR_PROFILE_NAME_MAX + 1];
	uint8_t		 profile_sha256[32];
	char		 source[8];		/* csr, pubkey, key, cert */
	char		 source_value[KR_STORE_NAME_MAX + 1]; /* SHA-256 or name */
	uint8_t		 serial[16];
	size_t		 serial_len;
	uint8_t		*tbs;
	size_t		 tbs_len;
};

/* reqfile.c: the text form of prepared requests (certificates, CRLs). */
struct kr_reqf_reader {
	const char	*path;
	const char	*what;		/* "prepared CRL request" */
	const char	*p, *end;
	unsigned	 line;
	char		 val[KR_REQUEST_FILE_MAX];
};

void	kr_reqf_line(struct kr_buf *, const char *, const char *);
void	kr_reqf_hexline(struct kr_buf *, const char *, const uint8_t *,
	    size_t);
/* Appends the checksum line and hands the text over (request.c). */
int	kr_reqf_finish(struct kr_buf *, char **, size_t *, struct kr_err *)
	    KR_WUR;
/* Checks the last line; *body is where it starts.  `again` says how. */
int	kr_reqf_checksum(const char *, const uint8_t *, size_t, size_t *,
	    const char *, struct kr_err *) KR_WUR;
int	kr_reqf_next(struct kr_reqf_reader *, const char *, struct kr_err *)
	    KR_WUR;
bool	kr_reqf_is_hex(const char *, size_t);
int	kr_reqf_hexval(struct kr_reqf_reader *, const char *, uint8_t *,
	    size_t, struct kr_err *) KR_WUR;
int	kr_reqf_hex(struct kr_reqf_reader *, const char *, uint8_t *, size_t,
	    struct kr_err *) KR_WUR;
int	kr_reqf_name(struct kr_reqf_reader *, const char *, char *, size_t,
	    struct kr_err *) KR_WUR;

int	kr_request_format(const struct kr_cert_request *, char **, size_t *,
	    struct kr_err *) KR_WUR;
int	kr_request_parse(const char *, const uint8_t *, size_t,
	    struct kr_cert_request *, struct kr_err *) KR_WUR;
void	kr_request_free(struct kr_cert_request *);

/* crl_request.c: a prepared CRL request (docs/formats.md). */
struct kr_crl_request {
	char		issuer_key[KR_STORE_NAME_MAX + 1];
	uint8_t		issuer_key_id[KR_STORE_ID_BYTES];
	uint8_t		issuer_cert_sha256[32];
	bool		delta;
	int64_t		number;
	int64_t		this_update;
	int64_t		next_update;
	size_t		entries;
	uint8_t		tbs_sha256[32];
};

int	kr_crl_request_format(const struct kr_crl_request *, char **,
	    size_t *, struct kr_err *) KR_WUR;
int	kr_crl_request_parse(const char *, const uint8_t *, size_t,
	    struct kr_crl_request *, struct kr_err *) KR_WUR;

/* key destroy: the key shown (and asked) before its quorum. */
int	kr_destroy_confirm(struct kr_appliance *, const char *,
	    const struct kr_passphrase_source *, struct kr_err *) KR_WUR;
/* The last row moved up to a position (a count before its list). */
void	kr_preview_move_last(struct kr_preview *, size_t);

/*
 * home.c: where a recorded key lives.  The key row names its back end
 * (the keystore's table of operations); a token key also has a token
 * row, which home's PKCS#11 fields point into.
 */
struct kr_key_where {
	const struct kr_backend_ops	*be;
	struct kr_token_rec		 tok;
	struct kr_key_home		 home;
};

int	kr_key_where_load(struct kr_appliance *, const struct kr_key_rec *,
	    struct kr_key_where *, struct kr_err *) KR_WUR;
/* Adds the back end's facts (token, origin check) to an audit payload. */
void	kr_key_home_audit(const struct kr_backend_ops *,
	    const struct kr_key_home *, enum kr_key_event, struct kr_json *);

/*
 * issue.c by steps, for an operation that signs several certificates
 * under one unlock per key (rotate.c): prepare (fields and lint), check
 * the output, show; then sign with the caller's signer (the approvals of
 * item `item` of its unlock go into the audit row, whose event is the
 * unlock's op, or the kind's when NULL), store (the row and
 * its audit row, in the caller's transaction) and write.
 */
struct kr_issue;
int	kr_issue_prepare(struct kr_appliance *, const struct kr_issue_req *,
	    struct kr_issue_result *, struct kr_issue **, struct kr_err *)
	    KR_WUR;
int	kr_issue_out_check(struct kr_issue *, struct kr_err *) KR_WUR;
int	kr_issue_show(struct kr_issue *, const struct kr_passphrase_source *,
	    bool ask, struct kr_err *) KR_WUR;
int	kr_issue_tbs_sha256(const struct kr_issue *, uint8_t *,
	    struct kr_err *) KR_WUR;
int	kr_issue_sign_as(struct kr_issue *, struct kr_signer *,
	    const struct kr_quorum_report *, size_t, const char *,
	    struct kr_err *) KR_WUR;
int	kr_issue_store(struct kr_issue *, struct kr_err *) KR_WUR;
int	kr_issue_write(struct kr_issue *, struct kr_err *) KR_WUR;
const uint8_t *kr_issue_der(const struct kr_issue *, size_t *);
int	kr_issue_template(const struct kr_issue *, uint8_t **, size_t *,
	    struct kr_err *) KR_WUR;
void	kr_issue_free(struct kr_issue **);


/* pinset.c: a pin set's bytes (malloc'd, NUL after) and its SHA-256. */
int	kr_pinset_format(struct kr_pinset *, char **, size_t *,
	    struct kr_err *) KR_WUR;
int	kr_pinset_parse(const char *, const uint8_t *, size_t,
	    struct kr_pinset *, struct kr_err *) KR_WUR;
/* A pin set row's "pinset" (malloc'd), checked against its tbs_sha256. */
int	kr_pinset_row_text(const struct kr_audit_rec *, char **,
	    struct kr_err *) KR_WUR;
/*
 * export: the pin set files an audit row holds (the pin set once per
 * sequence, `*done` the last one added, and the row's signature); with
 * `spki` (a key's SPKI SHA-256), only pin sets that pin that key.
 */
int	kr_pinset_export(struct kr_media_export *, const struct kr_audit_rec *,
	    const char *spki, int64_t *done, size_t *files, struct kr_err *)
	    KR_WUR;

/* An issuer chain: certs[0] is the direct issuer, the last the root. */
#define KR_CHAIN_MAX	8

struct kr_chain {
	struct kr_cert	*certs[KR_CHAIN_MAX];
	size_t		 len;
};

int	kr_chain_for_key(struct kr_appliance *, const char *, const uint8_t *,
	    size_t, int64_t, struct kr_chain *, struct kr_err *) KR_WUR;
void	kr_chain_free(struct kr_chain *);
/* Issuer and subject are the same name (a root's certificate). */
bool	kr_cert_self_signed(const struct kr_cert *);

/*
 * issue.c: leaves issued in a loop (provision batch, cert renew): the
 * issuer, profile and chain loaded once by kr_issue_open, then for each
 * leaf kr_issue_leaf (fields, TBS, lint: nothing signed yet),
 * kr_issue_leaf_sign (after the quorum) and kr_issue_leaf_insert (inside
 * the caller's transaction); kr_issue_free frees it, as any kr_issue.
 */
struct kr_issue;
struct kr_leaf {
	const char		*label;		/* names it in messages */
	const uint8_t		*subject;	/* DER Name */
	size_t			 subject_len;
	const uint8_t		*spki;
	size_t			 spki_len;
	const struct kr_gn	*san;
	size_t			 nsan;
};

int	kr_issue_open(struct kr_appliance *, const char *, const char *,
	    unsigned, struct kr_issue **, struct kr_err *) KR_WUR;
int	kr_issue_leaf(struct kr_issue *, const struct kr_leaf *,
	    const struct kr_issue_result **, struct kr_err *) KR_WUR;
/*
 * A leaf's signature to be verified later, on another thread (provision
 * batch), before anything of the leaf is committed: the TBS (a copy),
 * the signature and the issuer's public key (the kr_issue's).
 */
struct kr_sig_check {
	enum kr_sig_alg	 alg;
	const uint8_t	*spki;
	size_t		 spki_len;
	const char	*issuer;
	uint8_t		*tbs;
	size_t		 tbs_len;
	uint8_t		 sig[KR_SIG_MAX_BYTES];
	size_t		 siglen;
};
int	kr_issue_leaf_sign(struct kr_issue *, struct kr_signer *,
	    struct kr_sig_check *, struct kr_err *) KR_WUR;
/* The check, with a verifier (kr_verifier_check) or NULL (kr_sig_verify). */
int	kr_issue_sig_check(struct kr_sig_check *, struct kr_verifier *,
	    struct kr_err *) KR_WUR;
void	kr_issue_sig_check_free(struct kr_sig_check *);
int	kr_issue_leaf_insert(struct kr_issue *, struct kr_err *) KR_WUR;
int	kr_issue_leaf_record(struct kr_issue *, const char *, int64_t,
	    const struct kr_issue_req *, struct kr_quorum_report *,
	    struct kr_err *) KR_WUR;
void	kr_issue_leaf_cert(const struct kr_issue *, const uint8_t **,
	    size_t *);
const struct kr_cert_fields *kr_issue_leaf_fields_get(const struct kr_issue *);
const struct kr_key_rec *kr_issue_issuer(const struct kr_issue *);
const struct kr_profile *kr_issue_profile(const struct kr_issue *);
const struct kr_cert *kr_issue_ca_cert(const struct kr_issue *);
/*
 * provision batch: a leaf's audit row (kr_issue_leaf_audit, after
 * kr_issue_leaf_insert) is a certificate's with the batch's members: `lead`
 * in place of the kind, `more` (key, value) in place of the lint count,
 * its event and operator; the approvals are item 0 of the quorum's.
 */
struct kr_issue_row {
	const char		 *event;
	const char		 *actor;
	const char		 *lead[2];
	const char		*(*more)[2];
	size_t			  nmore;
};
int	kr_issue_leaf_audit(struct kr_issue *, const struct kr_issue_row *,
	    const struct kr_quorum_report *, struct kr_err *) KR_WUR;
/* Leaves with lint warnings are signed (--accept-warnings). */
int	kr_issue_accept_warnings(struct kr_issue *, bool);
/* renew.c: the leaf an existing certificate renews (subject, key, SANs). */
void	kr_renew_leaf(const struct kr_cert *, const char *, struct kr_leaf *);
/*
 * renew.c: whether a certificate may be renewed (cert renew, provision
 * batch --renew-within-days): KR_EREFUSED, the reason naming it by the
 * label, and which rule refused it.  The device id its subject must
 * carry: kr_prov_device_id (provision.c: a CSR's, a certificate's; KR_EINPUT
 * or the code given).
 */
enum kr_renew_bar {
	KR_RENEW_OK,
	KR_RENEW_NOT_DEVICE,		/* a CA's, or for a key held here */
	KR_RENEW_EXPIRED,
	KR_RENEW_REVOKED,		/* or on hold */
	KR_RENEW_RENEWED,
	KR_RENEW_KEY_COMPROMISED,	/* in this or another certificate */
};
int	kr_renew_check(struct kr_appliance *, const struct kr_cert_rec *,
	    const char *, enum kr_renew_bar *, struct kr_err *) KR_WUR;
int	kr_prov_device_id(const struct kr_profile *, const char *,
	    const uint8_t *, size_t, char *, int, struct kr_err *) KR_WUR;
/*
 * renew.c: KR_EREFUSED, and the serial, if a certificate of the key with
 * this SHA-256 was revoked for keyCompromise.
 */
int	kr_renew_key_compromised(struct kr_appliance *, const char *, char *,
	    struct kr_err *);
/*
 * renew.c: the issuer (by id) of certificates renewed under key
 * `successor`: KR_OK, its record filled, when it is that key or may no
 * longer issue (retired, revoked, destroyed); KR_EREFUSED otherwise.
 */
int	kr_renew_retired(struct kr_appliance *, const uint8_t *, const char *,
	    struct kr_key_rec *, struct kr_err *) KR_WUR;
/* issue.c: the audit row of a renewal names the old issuer (moving). */
void	kr_issue_renews_issuer(struct kr_issue *, const char *);

/*
 * policyset.c: the policy files as a set: chosen and installed at init,
 * pinned by their SHA-256 in audit row 1 or the newest policy.update row,
 * checked against that row at every open.
 */
#define KR_POLICY_FILES_MAX	64
#define KR_POLICY_NEXT_DIR	"policy.next"	/* an update being written */
#define KR_POLICY_UPDATE_EVENT	"policy.update"

struct kr_policy_doc {
	char	 name[64];
	uint8_t	*data;
	size_t	 len;
	uint8_t	 sha256[32];
};

struct kr_policy_set {
	struct kr_policy_doc	doc[KR_POLICY_FILES_MAX];
	size_t			n;
};

void	kr_policy_set_free(struct kr_policy_set *);
/* The audit row pinning the policy in force (appliance.init or update). */
struct kr_policy_pin {
	int64_t	 seq;
	int64_t	 time;
	char	 event[32];
	char	*payload;		/* malloc'd */
};
int	kr_policy_pin_row(struct kr_appliance *, struct kr_policy_pin *,
	    struct kr_err *) KR_WUR;
void	kr_policy_pin_free(struct kr_policy_pin *);
/* Adds dir's NAME.yaml files, replacing those of the same name. */
int	kr_policy_set_dir(struct kr_policy_set *, const char *,
	    struct kr_err *) KR_WUR;
/* Each file parses as what its name says; `origin` names the folder. */
int	kr_policy_set_check(const struct kr_policy_set *, const char *,
	    struct kr_err *) KR_WUR;
const struct kr_policy_doc *
	kr_policy_set_find(const struct kr_policy_set *, const char *);
int	kr_policy_set_hash(struct kr_policy_set *, struct kr_err *) KR_WUR;
/* "policy_files":N and "NAME.yaml":"SHA-256" of each, as the pin rows. */
void	kr_policy_set_pin(const struct kr_policy_set *, struct kr_json *);
int	kr_policy_install(const struct kr_init_req *, struct kr_json *,
	    struct kr_err *) KR_WUR;
void	kr_policy_uninstall(const char *);
/*
 * The policy copy against the pin row (payload, seq).  `finish`: an
 * update written to policy.next/ and recorded is moved into place, one
 * not recorded is removed (a writer holding the lock).
 */
int	kr_policy_verify(const char *, const char *, int64_t, bool,
	    struct kr_err *) KR_WUR;
/* Settles policy.next/: moved into policy/ (recorded) or removed. */
int	kr_policy_next_settle(const char *, bool, struct kr_err *) KR_WUR;
/* policy_urls.c: init's --crl-url, --ca-issuers-url, --ocsp-url. */
int	kr_policy_set_urls(struct kr_policy_set *, const struct kr_init_req *,
	    struct kr_err *) KR_WUR;

/* revoke.c: shared by the revocation operations. */
int	kr_serial_parse(const char *, uint8_t *, size_t *, struct kr_err *)
	    KR_WUR;
/* A key of purpose ca, active. */
int	kr_ca_key_load(struct kr_appliance *, const char *, struct kr_key_rec *,
	    struct kr_err *) KR_WUR;
/* Custodians who approved (good shares of a report), comma-separated. */
void	kr_quorum_approvers(const struct kr_quorum_report *, const char **,
	    size_t *, char *, size_t);

/*
 * standing.c: what the revocations of a key's own certificates allow it
 * (checked before the quorum is asked), and a signer certificate given
 * for CMS or RAUC (not expired, not revoked by a key held here).
 */
enum kr_key_use {
	KR_USE_ISSUE = 1,	/* cert root | issue | cross-sign, as issuer */
	KR_USE_FIRMWARE,	/* sign firmware | batch */
	KR_USE_STATUS,		/* crl publish, ocsp presign */
};

int	kr_key_standing_check(struct kr_appliance *, const struct kr_key_rec *,
	    enum kr_key_use, struct kr_err *) KR_WUR;
int	kr_signer_cert_check(struct kr_appliance *, const struct kr_cert *,
	    const char *, int64_t, struct kr_err *) KR_WUR;

/*
 * release.c: one output checked before the quorum is asked (kr_media_plan
 * for a single file); and the message of a write that failed after the
 * artifact was recorded: "HEAD The write failed: ORIGINAL".
 */
int	kr_out_check(struct kr_appliance *, enum kr_artifact, const char *,
	    uint64_t, struct kr_err *) KR_WUR;
int	kr_out_failed(struct kr_err *, const char *, ...) KR_PRINTF(2, 3);
/*
 * crl_scope.c: a CRL's issuingDistributionPoint and freshestCRL from the
 * CA's settings in policy/crl.yaml, linted against every certificate it
 * covers (docs/revocation.md).
 */
int	kr_crl_scope(struct kr_appliance *, const struct kr_key_rec *,
	    const struct kr_crl_policy *, size_t chain_len, int64_t at,
	    const struct kr_crl_rec *base, struct kr_crl_fields *,
	    struct kr_err *) KR_WUR;

/*
 * ... and a policy update's new set, before its quorum: refused when it
 * would make crl publish of an active CA key fail lint (crl_scope.c).
 */
int	kr_crl_policy_recheck(struct kr_appliance *,
	    const struct kr_policy_set *cur, const struct kr_policy_set *next,
	    const char *from, int64_t now, struct kr_err *) KR_WUR;
/* crl.c: the recorded copy of a CRL, checked against its SHA-256. */
/*
 * A certificate request brought in (a file's bytes, `path` naming it):
 * refused as a key that left its device when it carries a private key
 * (the media writer's scan), otherwise parsed and its signature checked.
 */
int	kr_csr_from_outside(const char *path, const uint8_t *data, size_t len,
	    struct kr_csr **csr, struct kr_err *err) KR_WUR;
/* The appliance's CRL policy (policy/crl.yaml), as crl_policy.c reads it. */
int	kr_appliance_crl_policy(struct kr_appliance *, struct kr_crl_policy *,
	    struct kr_err *) KR_WUR;
int	kr_crl_copy_read(struct kr_appliance *, const char *,
	    const struct kr_crl_rec *, uint8_t **, size_t *, struct kr_err *)
	    KR_WUR;
/* sign.c: writes a signing result (detached through media/, images streamed). */
int	kr_sign_output_write(const struct kr_fw_result *, const char *,
	    const char *, kr_fw_progress_fn *, void *, struct kr_err *) KR_WUR;

/*
 * recover.c: crash consistency.  A key generate journal (pending/ID.keygen)
 * names the files a key generation stages before its commit: the sealed
 * file (relative to the state folder) and the share files (in an absolute
 * share folder).  It is written before any of them and removed once they
 * are in place; the open-time cleanup finishes or undoes what a journal
 * left behind, and removes keyrite's stale temporary files.
 */

struct kr_journal {
	char		key[KR_KEY_NAME_MAX + 1];
	uint8_t		key_id[KR_STORE_ID_BYTES];
	char		sealed[256];		/* "" when none */
	char		share_dir[4096];	/* "" when none */
	size_t		n;
	unsigned	x[KR_CUSTODIANS_MAX];
	/* CUSTODIAN/KEY.share (CUSTODIAN.share in journals of before). */
	char		share[KR_CUSTODIANS_MAX][KR_SHARE_REL_MAX];
};

int	kr_journal_begin(struct kr_appliance *, const struct kr_journal *,
	    char **, struct kr_err *) KR_WUR;
/* Removes a journal whose work is done; frees and NULLs the path. */
void	kr_journal_end(struct kr_appliance *, char **);
/*
 * At every open for writing (appliance.c): the cleanup itself.  It must
 * run under the writer lock and after the damaged-state refusal: it acts
 * on what the records say.
 */
int	kr_recover_run(struct kr_appliance *, struct kr_err *) KR_WUR;
/* The highest number of a CRL copy of a key in crls/ (0: none). */
int	kr_crl_copies_max(struct kr_appliance *, const char *, const uint8_t *,
	    int64_t *) KR_WUR;

/* Full path of a file inside the state folder (malloc'd). */
char	*kr_appliance_path(const struct kr_appliance *, const char *);

/*
 * deal.c: dealing a share set, shared by key generate and quorum reshare.
 * The caller fills the request fields (and key_id, epoch, m), calls
 * kr_deal_begin (new set id and one-time dealer key), then checks paths,
 * asks passphrases, makes and self-checks the shares; inside its
 * transaction kr_deal_insert records them; around it, kr_deal_journal,
 * kr_deal_stage before and kr_deal_place after the commit (or
 * kr_deal_unstage).  The one-time dealer key is freed by kr_deal_selfcheck
 * (its public half stays in dealer_pk).  kr_keygen_share_path (keygen.c)
 * is the one place that names a custodian's share file.
 */
struct kr_deal {
	/* The request. */
	struct kr_appliance		*app;
	const struct kr_notice_sink	*notice;
	const char			*key;		/* the key's name */
	uint8_t				 key_id[KR_KEY_ID_BYTES];
	uint32_t			 epoch;
	unsigned			 m;
	const char *const		*custodians;
	size_t				 n;
	const char			*share_dir;
	unsigned			 share_format;	/* 0 or 2; 1 (tests) */
	/* What is made. */
	uint8_t				 set_id[KR_SET_ID_BYTES];
	struct kr_dealer		 dealer;	/* gone after selfcheck */
	uint8_t				 dealer_pk[KR_DEALER_PK_BYTES];
	char				*pass[KR_CUSTODIANS_MAX];
	uint8_t				*ys;
	uint8_t				 xs[KR_CUSTODIANS_MAX];
	uint8_t				*files[KR_CUSTODIANS_MAX];
	size_t				 file_lens[KR_CUSTODIANS_MAX];
	char				*paths[KR_CUSTODIANS_MAX];
	uint8_t				 approval_pk[KR_CUSTODIANS_MAX]
					    [KR_APPROVAL_PK_BYTES];
	char				 approval_fp[KR_CUSTODIANS_MAX]
					    [KR_APPROVAL_FP_BYTES];
	char				*tmps[KR_CUSTODIANS_MAX];
};

int	kr_deal_begin(struct kr_deal *, struct kr_err *) KR_WUR;
int	kr_deal_check_custodians(const struct kr_deal *, struct kr_err *)
	    KR_WUR;
int	kr_deal_check_paths(struct kr_deal *, struct kr_err *) KR_WUR;
int	kr_deal_passphrases(struct kr_deal *,
	    const struct kr_passphrase_source *, struct kr_err *) KR_WUR;
int	kr_deal_make_shares(struct kr_deal *, const uint8_t *,
	    struct kr_err *) KR_WUR;
int	kr_deal_selfcheck(struct kr_deal *, struct kr_err *) KR_WUR;
int	kr_deal_insert(struct kr_deal *, const char *, int64_t,
	    struct kr_err *) KR_WUR;
void	kr_deal_audit(const struct kr_deal *, struct kr_json *);
int	kr_deal_journal(const struct kr_deal *, struct kr_journal *,
	    struct kr_err *) KR_WUR;
int	kr_deal_stage(struct kr_deal *, struct kr_err *) KR_WUR;
int	kr_deal_place(struct kr_deal *, struct kr_err *) KR_WUR;
void	kr_deal_unstage(struct kr_deal *);
void	kr_deal_free(struct kr_deal *);

/*
 * folder.c: media's staged folder (FINAL.tmp-XXXXXXXXXXXXXXXX beside
 * FINAL, placed with kr_media_dir_place, removed with
 * kr_media_dir_unstage) once FINAL is known not to exist and its folder
 * to be writable (`what` names it in messages: "the backup folder"),
 * and its sub-folders.
 */
int	kr_folder_stage(const char *, const char *, char **, struct kr_err *)
	    KR_WUR;
int	kr_folder_sub(const char *, const char *, struct kr_err *) KR_WUR;
/*
 * Copies (or, `put` NULL, only reads) a regular file of at most `max`
 * bytes, never through a symbolic link: its SHA-256 and size.
 */
typedef int kr_copy_put(void *, const void *, size_t, struct kr_err *);
int	kr_file_copy(const char *, uint64_t, kr_copy_put *, void *, uint8_t *,
	    uint64_t *, struct kr_err *) KR_WUR;
/* kr_file_out_write as a kr_copy_put. */
int	kr_file_out_put(void *, const void *, size_t, struct kr_err *) KR_WUR;

#endif /* KR_AUTHORITY_INT_H */
