/*
 * Ceremony scripts: parsing, parameters and their substitution
 * (docs/ceremonies.md).  Everything a script says is checked before any
 * step runs; a refusal names the file and the line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony_int.h"

static const char *const kr_cer_top_keys[] = {
	"keyrite-ceremony", "name", "purpose", "roles", "params", "steps", NULL
};
static const char *const kr_cer_role_keys[] = {
	"administrator", "witness", "custodians", NULL
};
static const char *const kr_cer_param_keys[] = {
	"type", "default", "about", NULL
};

#define NAME_CHARS \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

static int kr_cer_fail(const struct kr_cer_script *, unsigned,
    struct kr_err *, const char *, ...) KR_PRINTF(4, 5);

static int
kr_cer_fail(const struct kr_cer_script *s, unsigned line, struct kr_err *err,
    const char *fmt, ...)
{
	char	msg[KR_ERR_MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kr_err_set(err, KR_EINPUT, "%s, line %u: %s", s->label, line,
	    msg);
}

/* A key named like a secret: a script never holds one. */
static bool
kr_cer_secret_key(const char *key)
{
	char	low[128], *tok, *save = NULL;
	size_t	i;

	for (i = 0; key[i] != '\0' && i + 1 < sizeof(low); i++)
		low[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ?
		    key[i] - 'A' + 'a' : key[i]);
	low[i] = '\0';
	if (strstr(low, "passphrase") != NULL || strstr(low, "secret") !=
	    NULL || strstr(low, "password") != NULL || strstr(low, "passwd") !=
	    NULL)
		return true;
	for (tok = strtok_r(low, "._- ", &save); tok != NULL;
	    tok = strtok_r(NULL, "._- ", &save))
		if (strcmp(tok, "pin") == 0 || strcmp(tok, "pins") == 0 ||
		    strcmp(tok, "puk") == 0)
			return true;
	return false;
}

static int
kr_cer_no_secrets(const struct kr_cer_script *s,
    const struct kr_yaml_node *n, struct kr_err *err)
{
	size_t	i;
	int	ret;

	if (n == NULL)
		return KR_OK;
	for (i = 0; i < n->count; i++) {
		if (n->kind == KR_YAML_MAP && kr_cer_secret_key(n->keys[i]))
			return kr_cer_fail(s, n->items[i]->line, err, "'%s' "
			    "names a secret: a ceremony script holds none. "
			    "Passphrases and PINs are typed by their holders "
			    "when the step runs", n->keys[i]);
		if ((ret = kr_cer_no_secrets(s, n->items[i], err)) != KR_OK)
			return ret;
	}
	return KR_OK;
}

/* Every "${name}" in `v` must name a declared parameter. */
static int
kr_cer_refs_ok(const struct kr_cer_script *s, const char *v, unsigned line,
    struct kr_err *err)
{
	const char	*p, *e;
	char		 name[64];
	size_t		 i, n;

	for (p = v; (p = strstr(p, "${")) != NULL; p = e + 1) {
		if ((e = strchr(p, '}')) == NULL || (n = (size_t)(e - p - 2)) ==
		    0 || n >= sizeof(name))
			return kr_cer_fail(s, line, err, "'%s' has a \"${\" "
			    "without a parameter name and \"}\"", v);
		memcpy(name, p + 2, n);
		name[n] = '\0';
		for (i = 0; i < s->nparams; i++)
			if (strcmp(s->params[i].name, name) == 0)
				break;
		if (i == s->nparams)
			return kr_cer_fail(s, line, err, "'${%s}' is not a "
			    "parameter of this script (declare it under "
			    "params:)", name);
	}
	return KR_OK;
}

static int
kr_cer_ptype(const struct kr_cer_script *s, const char *t, unsigned line,
    enum kr_cer_ptype *out, struct kr_err *err)
{
	static const struct { const char *n; enum kr_cer_ptype t; } types[] = {
		{ "string", KR_CER_STRING }, { "int", KR_CER_INT },
		{ "path", KR_CER_PATH }, { "name", KR_CER_NAME },
		{ "list", KR_CER_LIST },
	};
	size_t	i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].n, t) == 0) {
			*out = types[i].t;
			return KR_OK;
		}
	return kr_cer_fail(s, line, err, "parameter type '%s' is not one of "
	    "string, int, path, name, list", t);
}

static int
kr_cer_params(struct kr_cer_script *s, const struct kr_yaml_node *ps,
    struct kr_err *err)
{
	const struct kr_yaml_doc	*d = s->doc;
	const char			*t;
	size_t				 i;
	int				 ret;

	if (ps == NULL)
		return KR_OK;
	if (ps->kind != KR_YAML_MAP)
		return kr_cer_fail(s, ps->line, err, "params: maps each "
		    "parameter's name to its type, default and about");
	if (ps->count > KR_CER_PARAMS_MAX)
		return kr_cer_fail(s, ps->line, err, "more than %d parameters",
		    KR_CER_PARAMS_MAX);
	for (i = 0; i < ps->count; i++) {
		const struct kr_yaml_node	*p = ps->items[i];
		struct kr_cer_param		*cp = &s->params[s->nparams++];

		cp->name = ps->keys[i];
		cp->line = p->line;
		if (strspn(cp->name, NAME_CHARS) != strlen(cp->name))
			return kr_cer_fail(s, p->line, err, "parameter name "
			    "'%s' may hold only letters, digits, '.', '_' and "
			    "'-'", cp->name);
		if ((ret = kr_yaml_expect_map(d, p, cp->name, kr_cer_param_keys,
		    err)) != KR_OK ||
		    (ret = kr_yaml_str(d, p, "type", true, &t, err)) != KR_OK ||
		    (ret = kr_cer_ptype(s, t, p->line, &cp->type, err)) !=
		    KR_OK)
			return ret;
		if ((ret = kr_yaml_str(d, p, "default", false, &cp->def,
		    err)) != KR_OK && ret != KR_ENOENT)
			return ret;
		if ((ret = kr_yaml_str(d, p, "about", false, &cp->about,
		    err)) != KR_OK && ret != KR_ENOENT)
			return ret;
	}
	return KR_OK;
}

static int
kr_cer_names(const struct kr_cer_script *s, const struct kr_yaml_node *n,
    const char **out, size_t max, size_t *count, struct kr_err *err)
{
	size_t	i;

	*count = 0;
	if (n == NULL)
		return KR_OK;
	if (n->kind != KR_YAML_SEQ || n->count > max)
		return kr_cer_fail(s, n->line, err, "custodians must be a list "
		    "of at most %d names", KR_CUSTODIANS_MAX);
	for (i = 0; i < n->count; i++) {
		if (n->items[i]->kind != KR_YAML_SCALAR)
			return kr_cer_fail(s, n->items[i]->line, err, "a "
			    "custodian is a name");
		out[(*count)++] = n->items[i]->scalar;
	}
	return KR_OK;
}

static int
kr_cer_roles(struct kr_cer_script *s, const struct kr_yaml_node *r,
    struct kr_err *err)
{
	int	ret;

	if (r == NULL)
		return kr_cer_fail(s, 1, err, "the script names no roles: give "
		    "roles: with its administrator and witness");
	if ((ret = kr_yaml_expect_map(s->doc, r, "roles", kr_cer_role_keys,
	    err)) != KR_OK ||
	    (ret = kr_yaml_str(s->doc, r, "administrator", true,
	    &s->administrator, err)) != KR_OK ||
	    (ret = kr_yaml_str(s->doc, r, "witness", true, &s->witness,
	    err)) != KR_OK)
		return ret;
	return kr_cer_names(s, kr_yaml_get(r, "custodians"), s->custodians,
	    KR_CUSTODIANS_MAX, &s->ncustodians, err);
}

/* One argument as the script wrote it (substituted later, at bind). */
static int
kr_cer_arg_read(struct kr_cer_script *s, struct kr_cer_step *st,
    const char *key, const struct kr_yaml_node *v, struct kr_err *err)
{
	struct kr_cer_arg	*a;
	size_t			 i;
	int			 ret;

	if (st->nargs == KR_CER_ARGS_MAX)
		return kr_cer_fail(s, v->line, err, "too many arguments");
	a = &st->args[st->nargs++];
	a->key = key;
	a->line = v->line;
	if (v->kind == KR_YAML_SCALAR) {
		a->value = v->scalar;
		return kr_cer_refs_ok(s, v->scalar, v->line, err);
	}
	if (v->kind != KR_YAML_SEQ || v->count > KR_CER_LIST_MAX)
		return kr_cer_fail(s, v->line, err, "argument '%s' must be a "
		    "value or a list of values", key);
	a->is_list = true;
	for (i = 0; i < v->count; i++) {
		if (v->items[i]->kind != KR_YAML_SCALAR)
			return kr_cer_fail(s, v->items[i]->line, err, "'%s' "
			    "lists something that is not a value", key);
		a->list[a->n++] = v->items[i]->scalar;
		if ((ret = kr_cer_refs_ok(s, v->items[i]->scalar,
		    v->items[i]->line, err)) != KR_OK)
			return ret;
	}
	return KR_OK;
}

static int
kr_cer_action_args(struct kr_cer_script *s, struct kr_cer_step *st,
    const struct kr_yaml_node *args, struct kr_err *err)
{
	const struct kr_cer_argdef	*ad;
	size_t				 i;
	int				 ret;

	if (args->kind == KR_YAML_SCALAR && args->scalar[0] == '\0')
		return KR_OK;		/* "checkpoint:" with nothing */
	if (args->kind != KR_YAML_MAP)
		return kr_cer_fail(s, args->line, err, "the arguments of %s "
		    "are a mapping (key: value), never a command line",
		    st->def->name);
	for (i = 0; i < args->count; i++) {
		for (ad = st->def->args; ad->key != NULL; ad++)
			if (strcmp(ad->key, args->keys[i]) == 0)
				break;
		if (ad->key == NULL)
			return kr_cer_fail(s, args->items[i]->line, err,
			    "%s takes no argument '%s'", st->def->name,
			    args->keys[i]);
		if ((ret = kr_cer_arg_read(s, st, args->keys[i],
		    args->items[i], err)) != KR_OK)
			return ret;
	}
	return KR_OK;
}

static int
kr_cer_step_read(struct kr_cer_script *s, const struct kr_yaml_node *n,
    struct kr_cer_step *st, struct kr_err *err)
{
	const struct kr_yaml_node	*act = NULL;
	size_t				 i;

	if (n->kind != KR_YAML_MAP)
		return kr_cer_fail(s, n->line, err, "a step is a mapping with "
		    "id, title, say and one action");
	st->line = n->line;
	for (i = 0; i < n->count; i++) {
		const char			*k = n->keys[i];
		const struct kr_yaml_node	*v = n->items[i];
		const struct kr_cer_action_def	*d;

		if (strcmp(k, "id") == 0 || strcmp(k, "title") == 0 ||
		    strcmp(k, "say") == 0) {
			if (v->kind != KR_YAML_SCALAR)
				return kr_cer_fail(s, v->line, err, "%s must "
				    "be text", k);
			*(k[0] == 'i' ? &st->id : k[0] == 't' ? &st->title :
			    &st->say) = v->scalar;
			continue;
		}
		if ((d = kr_cer_action_find(k)) == NULL)
			return kr_cer_fail(s, v->line, err, "unknown key or "
			    "action '%s' (a step takes id, title, say and one "
			    "of: %s)", k, kr_cer_action_list());
		if (act != NULL)
			return kr_cer_fail(s, v->line, err, "a step has one "
			    "action; this one also has '%s'", k);
		act = v;
		st->def = d;
	}
	if (act == NULL)
		return kr_cer_fail(s, n->line, err, "this step has no action "
		    "(one of: %s)", kr_cer_action_list());
	return kr_cer_action_args(s, st, act, err);
}

static int
kr_cer_step_ids(const struct kr_cer_script *s, const struct kr_cer_step *st,
    size_t k, struct kr_err *err)
{
	size_t	i, n;

	if (st->id == NULL || st->title == NULL)
		return kr_cer_fail(s, st->line, err, "a step needs an id and a "
		    "title");
	n = strlen(st->id);
	if (n == 0 || n >= KR_CEREMONY_STEP_BYTES || strspn(st->id,
	    "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
		return kr_cer_fail(s, st->line, err, "step id '%s' must be 1 "
		    "to 32 of a-z, 0-9, '_' and '-'", st->id);
	for (i = 0; i < k; i++)
		if (strcmp(s->steps[i].id, st->id) == 0)
			return kr_cer_fail(s, st->line, err, "step id '%s' is "
			    "used twice: each step's id is its own", st->id);
	return KR_OK;
}

static int
kr_cer_steps(struct kr_cer_script *s, const struct kr_yaml_node *n,
    struct kr_err *err)
{
	size_t	i;
	int	ret;

	if (n == NULL || n->kind != KR_YAML_SEQ || n->count == 0)
		return kr_cer_fail(s, n != NULL ? n->line : 1, err, "steps: "
		    "must be a list of at least one step");
	if (n->count > KR_CER_STEPS_MAX)
		return kr_cer_fail(s, n->line, err, "more than %d steps",
		    KR_CER_STEPS_MAX);
	for (i = 0; i < n->count; i++) {
		if ((ret = kr_cer_step_read(s, n->items[i], &s->steps[i],
		    err)) != KR_OK ||
		    (ret = kr_cer_step_ids(s, &s->steps[i], i, err)) != KR_OK)
			return ret;
		s->nsteps++;
	}
	return KR_OK;
}

static int
kr_cer_top(struct kr_cer_script *s, struct kr_err *err)
{
	const struct kr_yaml_node	*root = s->doc->root;
	const char			*v;
	int				 ret;

	if ((ret = kr_yaml_expect_map(s->doc, root, "the script",
	    kr_cer_top_keys, err)) != KR_OK)
		return ret;
	if ((ret = kr_yaml_str(s->doc, root, "keyrite-ceremony", true, &v,
	    err)) != KR_OK)
		return ret;
	if (strcmp(v, "1") != 0)
		return kr_cer_fail(s, kr_yaml_get(root, "keyrite-ceremony")->line,
		    err, "keyrite-ceremony: %s is not a format this keyrite "
		    "reads (it reads 1)", v);
	if ((ret = kr_yaml_str(s->doc, root, "name", true, &s->name, err)) !=
	    KR_OK ||
	    (ret = kr_yaml_str(s->doc, root, "purpose", true, &s->purpose,
	    err)) != KR_OK)
		return ret;
	if ((ret = kr_cer_no_secrets(s, root, err)) != KR_OK ||
	    (ret = kr_cer_roles(s, kr_yaml_get(root, "roles"), err)) != KR_OK ||
	    (ret = kr_cer_params(s, kr_yaml_get(root, "params"), err)) !=
	    KR_OK)
		return ret;
	return kr_cer_steps(s, kr_yaml_get(root, "steps"), err);
}

int
kr_cer_parse(const char *label, const uint8_t *data, size_t len,
    struct kr_cer_script **out, struct kr_err *err)
{
	struct kr_cer_script	*s;
	int			 ret;

	*out = NULL;
	if (len > KR_CER_FILE_MAX)
		return kr_err_set(err, KR_EINPUT, "%s: %zu bytes, more than a "
		    "ceremony script may hold (%d)", label, len,
		    KR_CER_FILE_MAX);
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->text = malloc(len > 0 ? len : 1)) == NULL) {
		free(s);
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	}
	memcpy(s->text, data, len);
	s->len = len;
	(void)snprintf(s->label, sizeof(s->label), "%s", label);
	if ((ret = kr_hash(KR_HASH_SHA256, data, len, s->sha256)) != KR_OK)
		ret = kr_err_set(err, ret, "cannot hash %s", label);
	else if ((ret = kr_yaml_parse(label, data, len, &s->doc, err)) ==
	    KR_OK)
		ret = kr_cer_top(s, err);
	if (ret != KR_OK) {
		kr_cer_free(&s);
		return ret;
	}
	*out = s;
	return KR_OK;
}

int
kr_cer_load(const char *path, struct kr_cer_script **out, struct kr_err *err)
{
	uint8_t	*data = NULL;
	size_t	 len = 0;
	int	 ret;

	*out = NULL;
	if ((ret = kr_file_read(path, KR_CER_FILE_MAX, false, &data, &len,
	    err)) != KR_OK)
		return ret;
	ret = kr_cer_parse(path, data, len, out, err);
	free(data);
	return ret;
}

static struct kr_cer_param *
kr_cer_param_find(struct kr_cer_script *s, const char *name, size_t n)
{
	size_t	i;

	for (i = 0; i < s->nparams; i++)
		if (strlen(s->params[i].name) == n &&
		    strncmp(s->params[i].name, name, n) == 0)
			return &s->params[i];
	return NULL;
}

int
kr_cer_set(struct kr_cer_script *s, const char *assignment,
    struct kr_err *err)
{
	const char		*eq = strchr(assignment, '=');
	struct kr_cer_param	*p;

	if (eq == NULL || eq == assignment)
		return kr_err_set(err, KR_EUSAGE, "--set wants NAME=VALUE, not "
		    "'%s'", assignment);
	if ((p = kr_cer_param_find(s, assignment, (size_t)(eq - assignment))) ==
	    NULL)
		return kr_err_set(err, KR_EUSAGE, "--set %.*s: %s has no such "
		    "parameter", (int)(eq - assignment), assignment, s->label);
	free(p->value);
	if ((p->value = strdup(eq + 1)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	return KR_OK;
}
