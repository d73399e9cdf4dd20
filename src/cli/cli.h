/*
 * The command-line front end: a tmux-style table of commands.  Commands
 * never print to stderr or exit; they write results through the context
 * and report errors in ctx->err.  main() decides how to show them.
 */
#ifndef KR_CLI_H
#define KR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <keyrite/authority.h>

#define CMD_STATE	0x1	/* opens the state folder before exec */
#define CMD_SECRETS	0x2	/* handles secrets: warn if memory is not locked */
#define CMD_CLOCK	0x8	/* audit clock-recover: opens a folder dated ahead */
#define CMD_WRITES	0x4	/* changes state: one writer at a time, refused
				   when the records do not match the chain */
#define CMD_QUORUM	0x10	/* takes --share FILE..., --passphrase-fd N and
				   --token-pin-fd N, parsed into ctx->q
				   (options.c) */
#define CMD_NOARGS	0x20	/* options only: a stray argument is named */

/* passphrase.c: terminal (no echo) or --passphrase-fd N. */
struct cmd_pass {
	int	fd;		/* -1: the terminal */
	int	pin_fd;		/* --token-pin-fd N; -1: the terminal */
	int	line;		/* lines read from fd so far */
	unsigned min_len;	/* asked again on the terminal when shorter */
	bool	told;		/* the passphrase rules were said */
};

/* --share FILE (repeated) and --passphrase-fd N (CMD_QUORUM). */
struct cmd_quorum {
	const char	*shares[KR_CUSTODIANS_MAX];
	size_t		 n;
	struct cmd_pass	 pass;
	bool		 yes;		/* --yes: approved without asking */
};

struct cmd_ctx {
	const char		*statedir;
	const char		*confirm_date;	/* --confirm-date YYYY-MM-DD */
	const char		*actor;
	struct kr_appliance	*app;
	struct kr_hardening	*hardening;
	FILE			*out;
	struct kr_err		 err;
	/* Set up before every command; filled by CMD_QUORUM's options. */
	struct cmd_quorum	 q;
	struct kr_passphrase_source src;	/* reads through q.pass */
};

/*
 * One option of a command: --NAME, and where its value goes in the
 * command's options struct (a calloc'd struct of cmd_entry.opts_size
 * bytes handed to exec).  Declare rows with the CMD_ROW_* macros below,
 * which check the member's type; a CMD_OPT_CALL setter does the rest
 * (names to enums, lists, values that need checking).
 */
enum cmd_opt_kind {
	CMD_OPT_FLAG,	/* no value: the bool becomes true */
	CMD_OPT_STR,	/* the value, a const char * */
	CMD_OPT_UINT,	/* an unsigned from min to max ("--NAME wants ...") */
	CMD_OPT_CALL,	/* set(ctx, opts, value) */
	CMD_OPT_REFUSED, /* takes a value, then is refused as unknown */
	CMD_OPT_SWITCH,	/* no value: set(ctx, opts, NULL) */
	CMD_OPT_SIZE,	/* a size or address, decimal or 0x hex, to max */
};

struct cmd_opt {
	const char		*name;		/* "issuer-key" */
	enum cmd_opt_kind	 kind;		/* CMD_OPT_FLAG: no value */
	size_t			 off;		/* in the options struct */
	unsigned		 min, max;	/* CMD_OPT_UINT */
	int			(*set)(struct cmd_ctx *, void *, const char *);
	bool			 many;		/* may be given more than once */
};

/* The offset of a member, which must be of type `type` (else no build). */
#define CMD_OFF(s, m, type)						\
	(offsetof(s, m) + 0 * sizeof(_Generic(((s *)0)->m, type: 1)))
#define CMD_ROW_FLAG(n, s, m)						\
	{ (n), CMD_OPT_FLAG, CMD_OFF(s, m, bool), 0, 0, NULL, false }
#define CMD_ROW_STR(n, s, m)						\
	{ (n), CMD_OPT_STR, CMD_OFF(s, m, const char *), 0, 0, NULL, false }
#define CMD_ROW_UINT(n, s, m, lo, hi)					\
	{ (n), CMD_OPT_UINT, CMD_OFF(s, m, unsigned), (lo), (hi), NULL, false }
/* A size or an address (uint32_t): 512 or 0x200, as imgtool takes them. */
#define CMD_ROW_SIZE(n, s, m)						\
	{ (n), CMD_OPT_SIZE, CMD_OFF(s, m, uint32_t), 0, 0, NULL, false }
#define CMD_ROW_CALL(n, fn)						\
	{ (n), CMD_OPT_CALL, 0, 0, 0, (fn), false }
/* An option given once per value (--share, --custodian, --set...). */
#define CMD_ROW_CALL_MANY(n, fn)					\
	{ (n), CMD_OPT_CALL, 0, 0, 0, (fn), true }
#define CMD_ROW_SWITCH(n, fn)						\
	{ (n), CMD_OPT_SWITCH, 0, 0, 0, (fn), true }
/* A sibling command's option (cert root's --csr): refused, as getopt saw it. */
#define CMD_ROW_REFUSED(n)						\
	{ (n), CMD_OPT_REFUSED, 0, 0, 0, NULL, false }
#define CMD_ROW_END							\
	{ NULL, CMD_OPT_FLAG, 0, 0, 0, NULL, false }

struct cmd_entry {
	const char		*name;		/* "key generate" */
	const char		*usage;		/* arguments after the name */
	const char		*summary;	/* one line for `keyrite --help` */
	const char		*help;		/* option list for `--help` */
	unsigned		 flags;
	const struct cmd_opt	*opts;		/* its own options, or NULL */
	size_t			 opts_size;	/* the struct they fill */
	/*
	 * An option with which the command opens no state folder, even
	 * with CMD_STATE (`audit verify --bundle`), or NULL.
	 */
	const char		*nostate;
	/* The options struct (NULL without one) and the arguments left. */
	int			(*exec)(struct cmd_ctx *, void *, int, char **);
};

/* CMD_STATE, unless the entry's `nostate` option is among the arguments. */
bool	cmd_wants_state(const struct cmd_entry *, int, char **);

extern const struct cmd_entry cmd_init_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_key_generate_entry;
extern const struct cmd_entry cmd_key_list_entry;
extern const struct cmd_entry cmd_key_show_entry;
extern const struct cmd_entry cmd_key_destroy_entry;
extern const struct cmd_entry cmd_key_export_entry;
extern const struct cmd_entry cmd_sign_firmware_entry;
extern const struct cmd_entry cmd_sign_batch_entry;
extern const struct cmd_entry cmd_quorum_verify_entry;
extern const struct cmd_entry cmd_quorum_reshare_entry;
extern const struct cmd_entry cmd_custodian_list_entry;
extern const struct cmd_entry cmd_custodian_show_entry;
extern const struct cmd_entry cmd_audit_verify_entry;
extern const struct cmd_entry cmd_audit_export_entry;
extern const struct cmd_entry cmd_audit_show_entry;
extern const struct cmd_entry cmd_policy_show_entry;
extern const struct cmd_entry cmd_policy_update_entry;
extern const struct cmd_entry cmd_audit_clock_recover_entry;
extern const struct cmd_entry cmd_cert_root_entry;
extern const struct cmd_entry cmd_cert_issue_entry;
extern const struct cmd_entry cmd_cert_renew_entry;
extern const struct cmd_entry cmd_provision_batch_entry;
extern const struct cmd_entry cmd_provision_show_entry;
extern const struct cmd_entry cmd_provision_list_entry;
extern const struct cmd_entry cmd_cert_cross_sign_entry;
extern const struct cmd_entry cmd_cert_list_entry;
extern const struct cmd_entry cmd_cert_show_entry;
extern const struct cmd_entry cmd_revoke_entry;
extern const struct cmd_entry cmd_import_index_entry;
extern const struct cmd_entry cmd_import_files_entry;
extern const struct cmd_entry cmd_import_list_entry;
extern const struct cmd_entry cmd_backup_entry;
extern const struct cmd_entry cmd_restore_entry;
extern const struct cmd_entry cmd_crl_publish_entry;
extern const struct cmd_entry cmd_ocsp_presign_entry;
extern const struct cmd_entry cmd_crl_show_entry;
extern const struct cmd_entry cmd_sign_show_entry;
extern const struct cmd_entry cmd_ceremony_check_entry;
extern const struct cmd_entry cmd_ceremony_run_entry;
extern const struct cmd_entry cmd_ceremony_abort_entry;
extern const struct cmd_entry cmd_ceremony_list_entry;
extern const struct cmd_entry cmd_ceremony_show_entry;
extern const struct cmd_entry cmd_ceremony_report_entry;
extern const struct cmd_entry cmd_ceremony_verify_report_entry;
extern const struct cmd_entry cmd_export_entry;
extern const struct cmd_entry cmd_export_verify_entry;
extern const struct cmd_entry cmd_rotate_root_entry;
extern const struct cmd_entry cmd_rotate_finish_entry;
extern const struct cmd_entry cmd_pinset_show_entry;
extern const struct cmd_entry cmd_pinset_verify_entry;
extern const struct cmd_entry cmd_console_entry;

/* cmd.c */
const struct cmd_entry	*cmd_find(int, char **, int *);
void			 cmd_list(FILE *);
size_t			 cmd_group(const char *, char *, size_t);
void			 cmd_usage(FILE *, const struct cmd_entry *);
int			 cmd_run(const struct cmd_entry *, struct cmd_ctx *,
			    int, char **);
/*
 * Every command's output: %s arguments escaped in full, the format's own
 * lines kept (cmd.c).  cmd_print_text writes multi-line text keyrite made
 * itself (PEM), escaped but keeping its lines.
 */
void			 cmd_printf(struct cmd_ctx *, const char *, ...)
			    KR_PRINTF(2, 3);
void			 cmd_print_text(struct cmd_ctx *, const char *);
/*
 * --json (docs/formats.md): JSON keyrite made with kr_json, escaped so it
 * stays valid JSON (KR_TEXT_JSON).  A list is one document printed as it
 * is read, {"format":F,"version":1,LIST:[ one object a line ]}: begin,
 * an item per object (ended and freed; *n counts them), end.
 */
void			 cmd_print_json(struct cmd_ctx *, const char *);
/* A time member, ISO 8601 UTC. */
void			 cmd_json_time(struct kr_json *, const char *, int64_t);
void			 cmd_json_revocation(struct kr_json *,
			    const struct kr_rev_status *);
void			 cmd_json_list_begin(struct cmd_ctx *, const char *,
			    const char *);
int			 cmd_json_list_item(struct cmd_ctx *, size_t *,
			    struct kr_json *);
void			 cmd_json_list_end(struct cmd_ctx *, size_t);
int			 cmd_usage_error(struct cmd_ctx *, const char *, ...)
			    KR_PRINTF(2, 3);
int			 cmd_parse_uint(struct cmd_ctx *, const char *,
			    const char *, unsigned, unsigned, unsigned *);
/* A size or address: decimal, or 0x and hex digits (options.c). */
int			 cmd_parse_size(struct cmd_ctx *, const char *,
			    const char *, uint32_t *);
/* Prints the plain-words warning when the state folder uses test KDF. */
void			 cmd_note_kdf_profile(struct cmd_ctx *);

/* passphrase.c */
void	cmd_pass_init(struct cmd_pass *, struct kr_passphrase_source *);
int	cmd_pass_set_fd(struct cmd_ctx *, struct cmd_pass *, const char *);
int	cmd_pass_set_pin_fd(struct cmd_ctx *, struct cmd_pass *, const char *);

/*
 * options.c: parses a command's options (its table, and --share and
 * --passphrase-fd for CMD_QUORUM) with getopt_long, naming an unknown
 * option, one missing its value, and (CMD_NOARGS) a stray argument; argc
 * and argv are left holding the arguments after the options.
 */
int	cmd_options_parse(const struct cmd_entry *, struct cmd_ctx *, void *,
	    int *, char ***);
/* The setter of --passphrase-fd N: ctx->q.pass reads from N. */
int	cmd_opt_pass_fd(struct cmd_ctx *, void *, const char *);
/* --token-pin-fd N: a token's PIN (--pin-source prompt) is read from N. */
int	cmd_opt_token_pin_fd(struct cmd_ctx *, void *, const char *);

/*
 * approve.c: see, then approve.  cmd_confirm is the passphrase source's
 * confirm: it prints the preview and, at a terminal without --yes, asks
 * `Proceed? [y/N]`.  cmd_quorum_table prints what was found about each
 * share (every quorum command, after its operation).
 */
void	cmd_preview_print(struct cmd_ctx *, const struct kr_preview *);
int	cmd_confirm(void *, const struct kr_preview *, bool, struct kr_err *);
void	cmd_quorum_table(struct cmd_ctx *, const struct kr_quorum_report *);
/* The same with each good share's approval key fingerprint (quorum verify). */
void	cmd_quorum_table_fp(struct cmd_ctx *, const struct kr_quorum_report *);
/* An approval key fingerprint on two aligned lines after `label`. */
void	cmd_fp_lines(struct cmd_ctx *ctx, const char *label, const char *fp);
/* --custodian NAME added to a list (at most KR_CUSTODIANS_MAX). */
int	cmd_custodian_add(struct cmd_ctx *ctx, const char **list, size_t *n,
	    const char *name);
/* The share files just dealt: custodian, path, approval fingerprint. */
void	cmd_share_lines(struct cmd_ctx *ctx, const char *const *custodians,
	    const char (*paths)[KR_SHARE_PATH_BYTES],
	    const char (*fps)[KR_APPROVAL_FP_BYTES], size_t count);

/* options.c: --json alone (status, key list, cert list). */
struct cmd_json_opts {
	bool	json;
};

extern const struct cmd_opt cmd_json_options[];
/* cmd-pinset.c: a pin set's pins, one block each. */
void	cmd_pinset_print(struct cmd_ctx *, const struct kr_pinset *);

/* cmd-quorum.c: --key NAME (quorum verify, audit clock-recover). */
struct cmd_key_opts {
	const char	*key;
};

extern const struct cmd_opt cmd_key_options[];
/* --key and at least one --share are required (the usage error). */
int	cmd_key_quorum_check(struct cmd_ctx *, const struct cmd_key_opts *);

/*
 * cmd-sign.c: progress of a large image (bytes and rate) on stderr at a
 * terminal; `arg` is a struct cmd_progress (sign firmware, sign batch,
 * and a ceremony's sign step).
 */
struct cmd_progress {
	const char	*name;
	struct timespec	 start;
	bool		 shown;
};

void	cmd_sign_progress(void *arg, uint64_t done, uint64_t total);

/* A notice sink writing "keyrite: MESSAGE" to stderr (progress, steps). */
void	cmd_notice(void *, const char *);
/* One line on stderr: the prefix as it is, the message escaped in full. */
void	cmd_eprint(const char *, const char *);

#endif /* KR_CLI_H */
