/*
 * The command-line front end: a tmux-style table of commands.  Commands
 * never print to stderr or exit; they write results through the context
 * and report errors in ctx->err.  main() decides how to show them.
 */
#ifndef KR_CLI_H
#define KR_CLI_H

#include <stdio.h>

#include <keyrite/authority.h>

#define CMD_STATE	0x1	/* opens the state folder before exec */
#define CMD_SECRETS	0x2	/* handles secrets: warn if memory is not locked */
#define CMD_CLOCK	0x8	/* audit clock-recover: opens a folder dated ahead */
#define CMD_WRITES	0x4	/* changes state: one writer at a time, refused
				   when the records do not match the chain */

struct cmd_ctx {
	const char		*statedir;
	const char		*confirm_date;	/* --confirm-date YYYY-MM-DD */
	const char		*actor;
	struct kr_appliance	*app;
	struct kr_hardening	*hardening;
	FILE			*out;
	struct kr_err		 err;
};

struct cmd_entry {
	const char	*name;		/* "key generate" */
	const char	*usage;		/* arguments after the name */
	const char	*summary;	/* one line for `keyrite --help` */
	const char	*help;		/* option list for `--help` */
	unsigned	 flags;
	int		(*exec)(struct cmd_ctx *, int, char **);
};

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
extern const struct cmd_entry cmd_audit_verify_entry;
extern const struct cmd_entry cmd_audit_show_entry;
extern const struct cmd_entry cmd_audit_clock_recover_entry;
extern const struct cmd_entry cmd_cert_root_entry;
extern const struct cmd_entry cmd_cert_issue_entry;
extern const struct cmd_entry cmd_cert_cross_sign_entry;
extern const struct cmd_entry cmd_cert_list_entry;
extern const struct cmd_entry cmd_cert_show_entry;
extern const struct cmd_entry cmd_revoke_entry;
extern const struct cmd_entry cmd_import_index_entry;
extern const struct cmd_entry cmd_crl_publish_entry;
extern const struct cmd_entry cmd_ocsp_presign_entry;
extern const struct cmd_entry cmd_crl_show_entry;
extern const struct cmd_entry cmd_sign_show_entry;

/* cmd.c */
const struct cmd_entry	*cmd_find(int, char **, int *);
void			 cmd_list(FILE *);
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
int			 cmd_usage_error(struct cmd_ctx *, const char *, ...)
			    KR_PRINTF(2, 3);
/* Names an option getopt refused (unknown, or missing its value). */
int			 cmd_bad_option(struct cmd_ctx *, int, char **);
#define CMD_OPTSTRING	":"	/* getopt reports a missing value as ':' */
int			 cmd_parse_uint(struct cmd_ctx *, const char *,
			    const char *, unsigned, unsigned, unsigned *);
/* Prints the plain-words warning when the state folder uses test KDF. */
void			 cmd_note_kdf_profile(struct cmd_ctx *);

/* passphrase.c: terminal (no echo) or --passphrase-fd N. */
struct cmd_pass {
	int	fd;		/* -1: the terminal */
	int	line;		/* lines read from fd so far */
	unsigned min_len;	/* asked again on the terminal when shorter */
};

void	cmd_pass_init(struct cmd_pass *, struct kr_passphrase_source *);
int	cmd_pass_set_fd(struct cmd_ctx *, struct cmd_pass *, const char *);

/* --share FILE (repeated) and --passphrase-fd N, as every quorum command takes them. */
struct cmd_quorum {
	const char	*shares[KR_CUSTODIANS_MAX];
	size_t		 n;
	struct cmd_pass	 pass;
};

void	cmd_quorum_init(struct cmd_quorum *, struct kr_passphrase_source *);
int	cmd_quorum_share(struct cmd_ctx *, struct cmd_quorum *, const char *);
/*
 * The options of a command that takes only a key's quorum: --key NAME,
 * --share FILE ..., --passphrase-fd N; both the key and a share are
 * required (a usage error names what is missing).
 */
int	cmd_quorum_key_options(struct cmd_ctx *, int, char **,
	    struct cmd_quorum *, const char **);

/* A notice sink writing "keyrite: MESSAGE" to stderr (progress, steps). */
void	cmd_notice(void *, const char *);
/* One line on stderr: the prefix as it is, the message escaped in full. */
void	cmd_eprint(const char *, const char *);

#endif /* KR_CLI_H */
