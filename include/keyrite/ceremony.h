/*
 * keyrite ceremonies (docs/ceremonies.md): a script the room reviewed,
 * rehearsed against the state as it will be (`ceremony check`), run step
 * by step through the authority (`ceremony run`), resumable after any
 * interruption, and recorded in the audit chain with the ceremony's and
 * the step's id on every row.
 *
 * A script is strict YAML:
 *
 *   keyrite-ceremony: 1
 *   name: root-key-generation
 *   purpose: Create the fleet root key and its certificate.
 *   roles:
 *     administrator: Ann
 *     witness: Walt
 *     custodians: [alice, bob, carol]
 *   params:
 *     out: {type: path, default: ./out, about: where public artifacts go}
 *   steps:
 *     - id: generate
 *       title: Generate the root key
 *       say: Each custodian chooses a passphrase for their share.
 *       key.generate: {name: root, alg: p384, purpose: ca, threshold: 2,
 *                      custodians: [alice, bob, carol], share_dir: ${shares}}
 *
 * A step has exactly one action key; its arguments are a mapping, never a
 * shell string.  "${name}" in an argument is the parameter's value.
 */
#ifndef KEYRITE_CEREMONY_H
#define KEYRITE_CEREMONY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keyrite/authority.h>

#define KR_CER_FORMAT		1
#define KR_CER_FILE_MAX		(64 * 1024)
#define KR_CER_STEPS_MAX	64
#define KR_CER_PARAMS_MAX	32
#define KR_CER_ARGS_MAX		16
#define KR_CER_LIST_MAX		KR_CUSTODIANS_MAX
#define KR_CER_VALUE_MAX	1024

enum kr_cer_ptype {
	KR_CER_STRING = 1,
	KR_CER_INT,
	KR_CER_PATH,
	KR_CER_NAME,		/* a key or custodian name */
	KR_CER_LIST,		/* comma-separated with --set */
};

struct kr_cer_param {
	const char		*name;
	enum kr_cer_ptype	 type;
	const char		*def;		/* NULL: must be given */
	const char		*about;
	char			*value;		/* after kr_cer_bind */
	unsigned		 line;
};

/* One argument of a step, with the parameters substituted. */
struct kr_cer_arg {
	const char	*key;
	char		*value;			/* a scalar, or NULL */
	char		*list[KR_CER_LIST_MAX];	/* a sequence of scalars */
	size_t		 n;
	bool		 is_list;
	bool		 owned;			/* substituted: malloc'd */
	unsigned	 line;
};

struct kr_cer_action_def;

struct kr_cer_step {
	const char			*id;
	const char			*title;
	const char			*say;
	const struct kr_cer_action_def	*def;
	struct kr_cer_arg		 args[KR_CER_ARGS_MAX];
	size_t				 nargs;
	unsigned			 line;
};

struct kr_cer_script {
	struct kr_yaml_doc	*doc;
	uint8_t			*text;		/* the file's bytes */
	size_t			 len;
	uint8_t			 sha256[32];
	char			 label[256];	/* its file name, for messages */
	const char		*name;
	const char		*purpose;
	const char		*administrator;
	const char		*witness;
	const char		*custodians[KR_CUSTODIANS_MAX];
	size_t			 ncustodians;
	struct kr_cer_param	 params[KR_CER_PARAMS_MAX];
	size_t			 nparams;
	struct kr_cer_step	 steps[KR_CER_STEPS_MAX];
	size_t			 nsteps;
	bool			 bound;
};

/*
 * Parsing refuses, naming the file and line: a wrong format version,
 * unknown keys, anchors and aliases, a key named like a secret
 * (passphrase, pin, secret, password), an unknown action, a step with no
 * or two actions, a duplicate step id, an argument the action does not
 * take, and a reference to a parameter the script does not declare.
 */
int	kr_cer_parse(const char *label, const uint8_t *data, size_t len,
	    struct kr_cer_script **out, struct kr_err *err) KR_WUR;
int	kr_cer_load(const char *path, struct kr_cer_script **out,
	    struct kr_err *err) KR_WUR;
/* --set NAME=VALUE, before kr_cer_bind. */
int	kr_cer_set(struct kr_cer_script *, const char *assignment,
	    struct kr_err *err) KR_WUR;
/*
 * Gives every parameter its value (set, or its default; one with neither
 * is named), checks each value against its type, and substitutes them
 * into the steps' arguments, which are then checked as the actions take
 * them (required arguments, numbers, names).
 */
int	kr_cer_bind(struct kr_cer_script *, struct kr_err *err) KR_WUR;
/* The parameters as a canonical JSON object (malloc'd), for the record. */
char	*kr_cer_params_json(const struct kr_cer_script *);
void	kr_cer_free(struct kr_cer_script **);

/* A step's argument: its scalar value, or NULL when absent or a list. */
const char		*kr_cer_arg(const struct kr_cer_step *, const char *);
const struct kr_cer_arg	*kr_cer_arg_get(const struct kr_cer_step *,
			    const char *);
const char		*kr_cer_action_name(const struct kr_cer_step *);

/*
 * What a front end gives a rehearsal or a run: passphrases and the
 * see-then-approve confirmation (src), progress notices, text for the
 * room (say: a step's heading and the words to read aloud; print: result
 * lines), and the witness's answer at a checkpoint (KR_OK: confirmed;
 * KR_EREFUSED: not confirmed, the ceremony stops there).
 */
struct kr_cer_io {
	const struct kr_passphrase_source	*src;
	const struct kr_notice_sink		*notice;
	void	(*say)(void *, const struct kr_cer_step *, size_t index,
		    size_t count, const char *present);
	void	(*print)(void *, const char *line);
	int	(*witness)(void *, const char *witness, const char *observation,
		    struct kr_err *);
	void	*ctx;
	const char	*actor;
	/*
	 * Bytes done of a long step (a large image), with ctx; NULL: not
	 * shown.
	 */
	kr_fw_progress_fn	*progress;
};

/*
 * ceremony check: the rehearsal.  Every step is checked against the
 * state as it will be when the step runs (keys that earlier steps make
 * or destroy, certificates, profiles, share files, output folders); a
 * certificate whose keys exist now is prepared exactly as the run will
 * sign it (its request saved in `requests_dir`, when given, as
 * STEP.request, for `ceremony run --requests DIR`).  It records nothing.
 * KR_OK when every step passes; otherwise the first failure, after the
 * whole list was printed with each step's findings.
 */
int	kr_cer_check(struct kr_appliance *app, struct kr_cer_script *s,
	    const char *requests_dir, const struct kr_cer_io *io,
	    struct kr_err *err) KR_WUR;

/*
 * ceremony run: records the start (the script and its parameters in the
 * chain) and runs every step in order; `resume_id` continues a ceremony
 * from its first step not recorded as done (the script is read back from
 * the chain; `s` is then NULL).  `id` receives the ceremony's id.
 */
struct kr_cer_run_req {
	struct kr_cer_script	*script;	/* NULL with resume_id */
	const char		*resume_id;
	const char		*requests_dir;	/* from `ceremony check` */
};

int	kr_cer_run(struct kr_appliance *app, const struct kr_cer_run_req *req,
	    const struct kr_cer_io *io, char id[KR_CEREMONY_ID_BYTES],
	    struct kr_err *err) KR_WUR;
/* ceremony abort: records that the ceremony will not go on. */
int	kr_cer_abort(struct kr_appliance *app, const char *id,
	    const char *reason, const char *actor, struct kr_err *err) KR_WUR;

/* What the chain says of one ceremony (ceremony list, show, report). */
enum kr_cer_state {
	KR_CER_RUNNING = 1,	/* started, neither ended nor aborted */
	KR_CER_DONE,
	KR_CER_ABORTED,
};

struct kr_cer_step_rec {
	char		id[KR_CEREMONY_STEP_BYTES];
	bool		done;
	int64_t		done_seq;	/* the row that says so */
	int64_t		time;
	int64_t		first_seq;	/* its first tagged row, or 0 */
	size_t		rows;		/* tagged rows */
};

struct kr_cer_info {
	char			 id[KR_CEREMONY_ID_BYTES];
	char			 name[128];
	char			 script_sha256[65];
	enum kr_cer_state	 state;
	int64_t			 begin_seq;
	int64_t			 begin_time;
	int64_t			 end_seq;	/* end or abort row, or 0 */
	int64_t			 end_time;
	char			 actor[128];
	char			*script;	/* malloc'd text */
	char			*params;	/* malloc'd JSON */
	char			 requests[KR_CER_VALUE_MAX];	/* or "" */
	struct kr_cer_step_rec	 steps[KR_CER_STEPS_MAX];
	size_t			 nsteps;	/* steps seen in the rows */
};

typedef int kr_cer_info_cb(const struct kr_cer_info *, void *);

/* Every ceremony in the chain, oldest first. */
int	kr_cer_foreach(struct kr_appliance *app, kr_cer_info_cb *cb, void *arg,
	    struct kr_err *err) KR_WUR;
/* One ceremony by id; KR_ENOENT when the chain has none by that id. */
int	kr_cer_get(struct kr_appliance *app, const char *id,
	    struct kr_cer_info *out, struct kr_err *err) KR_WUR;
void	kr_cer_info_free(struct kr_cer_info *);
const char *kr_cer_state_name(enum kr_cer_state);

/*
 * ceremony report (docs/transcript.md): the transcript of a ceremony
 * that ended or was aborted, written to DIR as report.txt (for the room
 * and for print), report.json (the same facts and every audit row from
 * the ceremony's start to its last row, so the chain can be recomputed)
 * and signatures.json (each custodian who approved a step signs a
 * statement binding both files' SHA-256 with the approval key in their
 * share file).  A custodian whose share is not given is named and
 * nothing is written.
 */
#define KR_CER_TRANSCRIPT	"keyrite-transcript-v1"
#define KR_CER_SIGNERS_MAX	KR_CUSTODIANS_MAX

struct kr_cer_report_req {
	const char				*id;
	const char				*out_dir;
	const char *const			*shares;
	size_t					 nshares;
	const struct kr_passphrase_source	*src;
	const char				*actor;
};

struct kr_cer_signer {
	char	custodian[KR_CUSTODIAN_NAME_MAX + 1];
	char	fp[KR_APPROVAL_FP_BYTES];	/* of the approval key */
	bool	good;				/* verify: it verifies */
};

struct kr_cer_report_result {
	char			id[KR_CEREMONY_ID_BYTES];
	uint8_t			txt_sha256[32];
	uint8_t			json_sha256[32];
	int64_t			rows;
	int64_t			before_seq, after_seq;
	int64_t			seq;	/* report: the ceremony.report row */
	struct kr_cer_signer	signers[KR_CER_SIGNERS_MAX];
	size_t			nsigners;
	/* verify-report: what failed, one line each */
	char			failed[8][400];
	size_t			nfailed;
};

int	kr_cer_report(struct kr_appliance *app,
	    const struct kr_cer_report_req *req,
	    struct kr_cer_report_result *res, struct kr_err *err) KR_WUR;
/*
 * ceremony verify-report: checks a transcript folder alone, with no
 * state folder: report.json is canonical and whole, the rows chain from
 * the head before to the head after, every custodian who approved a
 * step signed, and every signature verifies over the statement of both
 * files' SHA-256.  KR_EVERIFY naming the first failure (all in `res`).
 */
int	kr_cer_report_verify(const char *dir, struct kr_cer_report_result *res,
	    struct kr_err *err) KR_WUR;

#endif /* KEYRITE_CEREMONY_H */
