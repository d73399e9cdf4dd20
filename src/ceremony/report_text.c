/*
 * ceremony report: report.txt, the transcript for the room and for print
 * (docs/transcript.md).  Every value from the chain is escaped
 * (base/text.c); hashes are upper-case pairs, 16 a line, to read aloud.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/quorum.h>

#include "report_int.h"

#define LABEL_W		16
#define PAIRS		16

static void
tx_put(struct kr_buf *b, const char *fmt, ...) KR_PRINTF(2, 3);

/* keyrite's own words; values go through tx_val. */
static void
tx_put(struct kr_buf *b, const char *fmt, ...)
{
	char	line[512];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		b->failed = true;
	else
		kr_buf_put(b, line, (size_t)n);
}

/* "  label           value\n", the value escaped in full. */
static void
tx_val(struct kr_buf *b, const char *indent, const char *label,
    const char *val)
{
	tx_put(b, "%s%-*s ", indent, LABEL_W, label);
	kr_text_escape(b, val, strlen(val), 0);
	kr_buf_put_u8(b, '\n');
}

static void
tx_hash(struct kr_buf *b, const char *indent, const char *label,
    const uint8_t *h, size_t n)
{
	char	ind[64], hex[KR_HEX_COLONS_BYTES(64, sizeof(ind))];

	(void)snprintf(ind, sizeof(ind), "%s%*s ", indent, LABEL_W, "");
	if (n > 64 || !kr_hex_colons(hex, sizeof(hex), h, n, PAIRS, ind))
		(void)snprintf(hex, sizeof(hex), "(cannot show)");
	tx_put(b, "%s%-*s %s\n", indent, LABEL_W, label, hex);
}

/* Members not shown in a row's lines (shown elsewhere, or too long). */
static bool
tx_skip(const char *key)
{
	static const char *const skip[] = { "ceremony", "ceremony_step",
	    "bind", "approvals", "script", "params", "approved_by",
	    "approval_key_fingerprints", "action", "title", "id", NULL };
	size_t	i;

	for (i = 0; skip[i] != NULL; i++)
		if (strcmp(key, skip[i]) == 0)
			return true;
	return false;
}

/* A list of strings, one a line (files written: "SHA-256  PATH"). */
static void
tx_list(struct kr_buf *b, const char *key, const char *v)
{
	char	 s[KR_CER_VALUE_MAX + 200];
	bool	 first = true;

	while (kr_js_next(&v, first) != NULL) {
		if (kr_js_str(v, s, sizeof(s)))
			tx_val(b, "      ", first ? key : "", s);
		first = false;
	}
}

/* One member of a row: hashes grouped, text and numbers as they are. */
static void
tx_member(struct kr_buf *b, const char *key, const char *v)
{
	char	 s[KR_CER_VALUE_MAX];
	uint8_t	 h[64];
	size_t	 n;

	if (!tx_skip(key) && *v == '[') {
		tx_list(b, key, v);
		return;
	}
	if (tx_skip(key) || !kr_js_str(v, s, sizeof(s))) {
		if (!tx_skip(key) && (*v == '-' || (*v >= '0' && *v <= '9'))) {
			n = strspn(v, "-0123456789");
			(void)snprintf(s, sizeof(s), "%.*s", (int)n, v);
			tx_val(b, "      ", key, s);
		}
		return;
	}
	n = strlen(s) / 2;
	if ((n == 32 || n == 48 || n == 64) && strlen(s) == 2 * n &&
	    kr_hex_decode(h, n, s) == KR_OK)
		tx_hash(b, "      ", key, h, n);
	else
		tx_val(b, "      ", key, s);
}

static void
tx_row(struct kr_buf *b, const struct rp_row *r)
{
	const char	*p = r->payload, *v, *ap;
	char		 key[64], when[KR_TIME_STR_BYTES], dig[65];
	uint8_t		 d[32];

	kr_time_format(r->time, when);
	tx_put(b, "    audit entry %lld, %s: ", (long long)r->seq, when);
	kr_text_escape(b, r->event, strlen(r->event), 0);
	tx_put(b, ", by ");
	kr_text_escape(b, r->actor, strlen(r->actor), 0);
	kr_buf_put_u8(b, '\n');
	while (rp_member_next(&p, key, sizeof(key), &v))
		tx_member(b, key, v);
	ap = kr_js_member(r->payload, "approvals");
	if (ap != NULL && kr_js_str(kr_js_member(ap, "status"), dig,
	    sizeof(dig)))
		tx_val(b, "      ", "approvals", dig);
	if (ap != NULL && kr_js_hex(kr_js_member(ap, "digest"), d, 32))
		tx_hash(b, "      ", "approved digest", d, 32);
}

static void
tx_head(struct rp *rp, struct kr_buf *b)
{
	char		when[KR_TIME_STR_BYTES], line[160];
	uint8_t		sha[32];
	size_t		i;

	tx_put(b, "KEYRITE CEREMONY TRANSCRIPT\n\n");
	tx_val(b, "", "Ceremony", rp->ci.id);
	tx_val(b, "", "Name", rp->ci.name);
	tx_val(b, "", "Purpose", rp->s->purpose != NULL ? rp->s->purpose : "");
	tx_val(b, "", "State", kr_cer_state_name(rp->ci.state));
	tx_val(b, "", "Appliance", rp->appliance);
	kr_time_format(rp->ci.begin_time, when);
	(void)snprintf(line, sizeof(line), "%s (audit entry %lld)", when,
	    (long long)rp->ci.begin_seq);
	tx_val(b, "", "Started", line);
	kr_time_format(rp->ci.end_time, when);
	(void)snprintf(line, sizeof(line), "%s (audit entry %lld)", when,
	    (long long)rp->ci.end_seq);
	tx_val(b, "", rp->ci.state == KR_CER_DONE ? "Ended" : "Aborted", line);
	if (kr_hex_decode(sha, 32, rp->ci.script_sha256) == KR_OK)
		tx_hash(b, "", "Script SHA-256", sha, 32);
	tx_val(b, "", "Parameters", rp->ci.params);
	tx_put(b, "\nPARTICIPANTS\n");
	tx_val(b, "  ", "Administrator", rp->s->administrator);
	tx_val(b, "  ", "Witness", rp->s->witness);
	for (i = 0; i < rp->s->ncustodians; i++)
		tx_val(b, "  ", i == 0 ? "Custodians" : "", rp->s->custodians[i]);
	tx_put(b, "\nAUDIT CHAIN\n");
	(void)snprintf(line, sizeof(line), "Before (entry %lld)",
	    (long long)rp->before_seq);
	tx_hash(b, "  ", line, rp->head_before, 32);
	(void)snprintf(line, sizeof(line), "After (entry %lld)",
	    (long long)rp->rows[rp->nrows - 1].seq);
	tx_hash(b, "  ", line, rp->rows[rp->nrows - 1].hash, 32);
	tx_put(b, "  Entries %lld to %lld (%zu) are in report.json.\n",
	    (long long)rp->rows[0].seq, (long long)rp->rows[rp->nrows - 1].seq,
	    rp->nrows);
}

static void
tx_step(struct rp *rp, struct kr_buf *b, size_t i, struct rp_approvers *ap)
{
	const struct kr_cer_step	*st = &rp->s->steps[i];
	const struct kr_cer_step_rec	*rec = rp_step_rec(rp, st->id);
	char				 line[256], when[KR_TIME_STR_BYTES];
	size_t				 k;

	tx_put(b, "\nStep %zu of %zu: ", i + 1, rp->s->nsteps);
	kr_text_escape(b, st->title, strlen(st->title), 0);
	tx_put(b, "  [%s, %s]\n", st->id, kr_cer_action_name(st));
	when[0] = '\0';
	if (rec != NULL && rec->done)
		kr_time_format(rec->time, when);
	(void)snprintf(line, sizeof(line), "%s%s%s", rp_step_result(rec),
	    when[0] != '\0' ? ", " : "", when);
	if (rec != NULL && rec->done)
		(void)snprintf(line + strlen(line), sizeof(line) -
		    strlen(line), " (audit entry %lld)",
		    (long long)rec->done_seq);
	tx_val(b, "  ", "Result", line);
	rp_step_approvers(rp, st->id, ap);
	if (ap->n == 0)
		tx_val(b, "  ", "Approved by", "- (no quorum in this step)");
	for (k = 0; k < ap->n; k++)
		tx_val(b, "  ", k == 0 ? "Approved by" : "", ap->a[k].name);
	for (k = 0; k < rp->nrows; k++)
		if (rp->rows[k].tagged && strcmp(rp->rows[k].step, st->id) == 0)
			tx_row(b, &rp->rows[k]);
}

static void
tx_signers(struct rp *rp, struct kr_buf *b)
{
	const struct rp_approver	*a;
	char				 label[80];
	size_t				 i, k;

	tx_put(b, "\nAPPROVAL KEYS\n  Each custodian who approved a step "
	    "signs this file and report.json\n  (signatures.json) with this "
	    "approval key; compare its SHA-256\n  with what they wrote down "
	    "when their share was dealt.\n");
	if (rp->ap.n == 0)
		tx_put(b, "  (no custodian approved a step)\n");
	for (i = 0; i < rp->ap.n; i++) {
		a = &rp->ap.a[i];
		for (k = 0; k < a->npk; k++) {
			(void)snprintf(label, sizeof(label), "%s",
			    k == 0 ? a->name : "");
			tx_hash(b, "  ", label, a->pk_sha256[k], 32);
		}
	}
	tx_put(b, "\nCheck on any machine: keyrite ceremony verify-report "
	    "DIR\n");
}

int
rp_text(struct rp *rp, struct kr_err *err)
{
	struct rp_approvers	*ap;
	size_t			 i;

	if ((ap = calloc(1, sizeof(*ap))) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	tx_head(rp, &rp->txt);
	tx_put(&rp->txt, "\nSTEPS\n");
	for (i = 0; i < rp->s->nsteps; i++)
		tx_step(rp, &rp->txt, i, ap);
	/* The end: every public file the ceremony wrote, with its SHA-256. */
	for (i = 0; i < rp->nrows; i++)
		if (rp->rows[i].tagged && strcmp(rp->rows[i].event,
		    "ceremony.end") == 0) {
			tx_put(&rp->txt, "\nEND\n");
			tx_row(&rp->txt, &rp->rows[i]);
		}
	tx_signers(rp, &rp->txt);
	free(ap);
	return kr_buf_status(&rp->txt, err);
}
