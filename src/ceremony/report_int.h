/*
 * ceremony report internals: what report.c, report_text.c and
 * report_verify.c share (docs/transcript.md).
 */
#ifndef KR_REPORT_INT_H
#define KR_REPORT_INT_H

#include <keyrite/ceremony.h>

#define RP_KEYS_MAX	8	/* approval keys one custodian used */
#define RP_NAME_CAP	(KR_CUSTODIAN_NAME_MAX + 1)

/* One audit row of the transcript. */
struct rp_row {
	int64_t		 seq;
	int64_t		 time;
	char		*actor;
	char		*event;
	char		*payload;
	uint8_t		 hash[32];
	char		 step[KR_CEREMONY_STEP_BYTES];	/* "" untagged */
	bool		 tagged;			/* this ceremony's */
};

/* A custodian who approved, and the approval keys they approved with. */
struct rp_approver {
	char		name[RP_NAME_CAP];
	uint8_t		pk_sha256[RP_KEYS_MAX][32];
	size_t		npk;
	bool		unkeyed;	/* approved with no approval key */
};

struct rp_approvers {
	struct rp_approver	a[KR_CER_SIGNERS_MAX];
	size_t			n;
};

/* The transcript being written. */
struct rp {
	struct kr_appliance	*app;
	struct kr_cer_info	 ci;
	struct kr_cer_script	*s;
	char			 appliance[128];
	uint8_t			 head_before[32];
	int64_t			 before_seq;
	struct rp_row		*rows;
	size_t			 nrows, cap;
	struct rp_approvers	 ap;
	struct kr_buf		 txt;
	struct kr_json		 json;
};

/* report.c */
/* Adds a tagged row's approvers (approved_by, approvals); -1: bad row. */
int	rp_approvers_add(struct rp_approvers *, const char *event,
	    const char *payload);
void	rp_step_approvers(const struct rp *, const char *step,
	    struct rp_approvers *);
const struct kr_cer_step_rec *rp_step_rec(const struct rp *, const char *);
const char *rp_step_result(const struct kr_cer_step_rec *);
struct rp_approver *rp_approver_find(struct rp_approvers *, const char *);
/* The statement a custodian signs (docs/transcript.md). */
void	rp_statement(struct kr_buf *, const char *appliance, const char *id,
	    const char *custodian, const uint8_t *pk, const uint8_t *txt_sha,
	    const uint8_t *json_sha);
/* Iterates an object's members: *p at '{' first; false after the last. */
bool	rp_member_next(const char **p, char *key, size_t cap,
	    const char **val);

/* report_text.c */
int	rp_text(struct rp *, struct kr_err *);

#endif /* KR_REPORT_INT_H */
