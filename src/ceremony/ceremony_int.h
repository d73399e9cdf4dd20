/*
 * ceremony/ internals: the action table (actions.c), in the manner of a
 * command table: each action names the arguments it takes, the audit
 * event that says it was done, and how it is rehearsed and run.
 */
#ifndef KR_CEREMONY_INT_H
#define KR_CEREMONY_INT_H

#include <keyrite/ceremony.h>

enum kr_cer_akind {
	KR_CA_STR = 1,
	KR_CA_UINT,
	KR_CA_BOOL,
	KR_CA_NAME,		/* a key, custodian or profile name */
	KR_CA_PATH,
	KR_CA_LIST,		/* of names */
};

struct kr_cer_argdef {
	const char		*key;
	enum kr_cer_akind	 kind;
	bool			 required;
};

#define KR_CER_OUTS_MAX	64

/* The rehearsal's picture of the keys, as each step will find them. */
#define KR_CER_KEYS_MAX	256

struct kr_cer_key {
	char		name[KR_KEY_NAME_MAX + 1];
	char		purpose[16];
	unsigned	m;
	char		custodians[KR_CUSTODIANS_MAX][KR_CUSTODIAN_NAME_MAX + 1];
	size_t		n;
	/* Holders of a set an earlier step dealt (shares not there yet). */
	char		pending[KR_CUSTODIANS_MAX][KR_CUSTODIAN_NAME_MAX + 1];
	size_t		npending;
	bool		exists;		/* now, in the records */
	bool		made;		/* by an earlier step */
	bool		destroyed;	/* by an earlier step */
	bool		has_cert;	/* a CA certificate now or by then */
	bool		cert_now;	/* one in the records now */
	bool		crl_made;	/* an earlier step publishes a CRL */
	const char	*base_by;	/* the earlier step publishing its base */
	const char	*delta_by;	/* ... its delta */
	bool		revokes;	/* an earlier step revokes under it */
	bool		pkcs11;
};

struct kr_cer_ctx {
	struct kr_appliance	*app;
	struct kr_cer_script	*s;
	const struct kr_cer_io	*io;
	const char		*requests_dir;
	/* check */
	struct kr_cer_key	 keys[KR_CER_KEYS_MAX];
	size_t			 nkeys;
	/* run */
	const char		*id;
	const struct kr_cer_step_rec *rec;	/* the step's rows so far */
	struct kr_json		 sum;	/* the step's result, for its row */
	int64_t			 begin_seq;
	/* The public files the step wrote, listed with their SHA-256. */
	char			 outs[KR_CER_OUTS_MAX][KR_CER_VALUE_MAX + 64];
	size_t			 nouts;
};

/* A public file the running step wrote (kept for its row). */
void	kr_cer_output(struct kr_cer_ctx *, const char *);

/* A result line for the room (io->print), formatted. */
void	kr_cer_print(const struct kr_cer_ctx *, const char *, ...)
	    KR_PRINTF(2, 3);

struct kr_cer_action_def {
	const char			*name;
	const struct kr_cer_argdef	*args;
	/* The audit event that records the step as done, with its id. */
	const char			*done_event;
	int	(*check)(struct kr_cer_ctx *, const struct kr_cer_step *,
		    struct kr_err *);
	int	(*run)(struct kr_cer_ctx *, const struct kr_cer_step *,
		    struct kr_err *);
};

/* Each action's rehearsal (check*.c) and run (act_*.c). */
int	kr_cer_check_keygen(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_check_verify(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_check_reshare(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_check_cert(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_check_revoke(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_check_crl(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_check_ocsp(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_check_batch(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_check_destroy(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_check_export(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
void	kr_cer_rotate_req(const struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_rotate_req *);
int	kr_cer_check_rotate(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *) KR_WUR;
int	kr_cer_run_rotate(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *) KR_WUR;
int	kr_cer_run_export(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_check_checkpoint(struct kr_cer_ctx *,
	    const struct kr_cer_step *, struct kr_err *);
int	kr_cer_check_expect(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_run_keygen(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_run_verify(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_run_reshare(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_run_cert(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_run_revoke(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
/*
 * The CA keys whose base CRL is due now, or whose delta CRL is (delta):
 * what `status` lists (kr_authority_due); a delta whose base is due too
 * is held back (`held`: a delta follows its base).  `done`: the CRLs a
 * resumed step recorded before the interruption (act_crl.c).
 */
#define KR_CER_DUE_MAX	256

struct kr_cer_due {
	char			 names[KR_CER_DUE_MAX][KR_KEY_NAME_MAX + 1];
	size_t			 n;
	struct kr_due_crl	 held[KR_CER_DUE_MAX];
	size_t			 nheld;
	struct {
		char		 key[KR_KEY_NAME_MAX + 1];
		int64_t		 number;
	}			 done[KR_CER_DUE_MAX];
	size_t			 ndone;
};

int	kr_cer_crl_due(struct kr_appliance *, bool delta, struct kr_cer_due *,
	    struct kr_err *) KR_WUR;
/* Why a held delta is not published, and what to run first. */
void	kr_cer_delta_skip_say(const struct kr_cer_ctx *,
	    const struct kr_due_crl *);
/*
 * crl.publish's arguments together, and a step publishing the due delta
 * CRLs never before one publishing the due base CRLs (at bind).
 */
int	kr_cer_crl_rules(const struct kr_cer_script *, struct kr_err *)
	    KR_WUR;

int	kr_cer_run_crl(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_run_ocsp(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_run_batch(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_run_destroy(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_run_checkpoint(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);
int	kr_cer_run_expect(struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_err *);

const struct kr_cer_action_def	*kr_cer_action_find(const char *);
/* "key.generate, quorum.verify, ..." for messages. */
const char			*kr_cer_action_list(void);

/*
 * DIR/STEP.request, or DIR/STEP-KEY.request for every due CRL
 * (DIR/STEP-KEY-delta.request for every due delta CRL).
 */
void	kr_cer_crl_request_path(const char *, const struct kr_cer_step *,
	    const char *, char *, size_t);
/* act_run.c, act_more.c: shared by the rehearsal. */
void	kr_cer_issue_req(const struct kr_cer_ctx *, const struct kr_cer_step *,
	    struct kr_issue_req *, char *, size_t);
int	kr_cer_run_expect_compare(struct kr_cer_ctx *,
	    const struct kr_cer_step *, struct kr_err *) KR_WUR;
/* check.c, for check_sign.c */
struct kr_cer_key *kr_cer_key(struct kr_cer_ctx *, const char *);
int	kr_cer_need_key(struct kr_cer_ctx *, const char *, const char *,
	    struct kr_cer_key **, struct kr_err *) KR_WUR;
int	kr_cer_need_quorum(struct kr_cer_ctx *, const struct kr_cer_step *,
	    const struct kr_cer_key *, struct kr_err *) KR_WUR;
int	kr_cer_need_out(const char *, bool, struct kr_err *) KR_WUR;

/* Who must be present at a step, in words (plan.c). */
void	kr_cer_present(const struct kr_cer_ctx *, const struct kr_cer_step *,
	    char *, size_t);
/* The quorum's shares for one step and key, owned until freed. */
struct kr_cer_q {
	const char	*files[KR_CUSTODIANS_MAX];
	char		*owned[KR_CUSTODIANS_MAX];
	size_t		 n;
};

/* The share files of a step's custodians for `key` (run.c, check.c). */
int	kr_cer_shares(const struct kr_cer_step *, const char *key,
	    const char *(*files)[KR_CUSTODIANS_MAX], char **owned, size_t *n,
	    struct kr_err *);
void	kr_cer_shares_free(char **owned, size_t n);
/* Bools as a script writes them. */
bool	kr_cer_bool(const struct kr_cer_step *, const char *);
unsigned kr_cer_uint(const struct kr_cer_step *, const char *);
/* An error prefixed with the step ("step 3 (sign-root), line 40: "). */
int	kr_cer_step_err(const struct kr_cer_ctx *, const struct kr_cer_step *,
	    int, struct kr_err *);

#endif /* KR_CEREMONY_INT_H */
