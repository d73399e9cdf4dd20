/*
 * Parameters given their values and substituted into the steps, then
 * every argument checked as its action takes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony_int.h"

#define NAME_CHARS \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@"

static bool
kr_cer_is_uint(const char *v)
{
	size_t	n = strlen(v);

	return n > 0 && n < 10 && strspn(v, "0123456789") == n;
}

static int
kr_cer_param_check(const struct kr_cer_script *s, struct kr_cer_param *p,
    struct kr_err *err)
{
	const char	*v = p->value;

	if (strlen(v) >= KR_CER_VALUE_MAX || !kr_text_safe(v, strlen(v), 0))
		return kr_err_set(err, KR_EINPUT, "%s: parameter '%s' (line "
		    "%u) is longer than %d bytes or holds control "
		    "characters", s->label, p->name, p->line, KR_CER_VALUE_MAX);
	if (p->type == KR_CER_INT && !kr_cer_is_uint(v))
		return kr_err_set(err, KR_EINPUT, "%s: parameter '%s' (line "
		    "%u) is a number; '%s' is not", s->label, p->name,
		    p->line, v);
	if ((p->type == KR_CER_NAME || p->type == KR_CER_LIST) &&
	    strspn(v, p->type == KR_CER_LIST ? NAME_CHARS "," : NAME_CHARS) !=
	    strlen(v))
		return kr_err_set(err, KR_EINPUT, "%s: parameter '%s' (line "
		    "%u) takes %s of letters, digits, '.', '_', '-' and '@'; "
		    "'%s' is not", s->label, p->name, p->line,
		    p->type == KR_CER_LIST ? "comma-separated names" : "a name",
		    v);
	if ((p->type == KR_CER_PATH || p->type == KR_CER_NAME) && v[0] == '\0')
		return kr_err_set(err, KR_EINPUT, "%s: parameter '%s' (line "
		    "%u) is empty", s->label, p->name, p->line);
	return KR_OK;
}

static const struct kr_cer_param *
kr_cer_param_named(const struct kr_cer_script *s, const char *name, size_t n)
{
	size_t	i;

	for (i = 0; i < s->nparams; i++)
		if (strlen(s->params[i].name) == n &&
		    memcmp(s->params[i].name, name, n) == 0)
			return &s->params[i];
	return NULL;
}

/* `v` with every ${name} replaced (malloc'd); names were checked at parse. */
static char *
kr_cer_subst(const struct kr_cer_script *s, const char *v)
{
	struct kr_buf		 b;
	const struct kr_cer_param *p;
	const char		*q, *e;

	kr_buf_init(&b, false);
	while ((q = strstr(v, "${")) != NULL && (e = strchr(q, '}')) != NULL) {
		kr_buf_put(&b, v, (size_t)(q - v));
		if ((p = kr_cer_param_named(s, q + 2, (size_t)(e - q - 2))) !=
		    NULL)
			kr_buf_put(&b, p->value, strlen(p->value));
		v = e + 1;
	}
	kr_buf_put(&b, v, strlen(v) + 1);
	if (b.failed) {
		kr_buf_free(&b);
		return NULL;
	}
	return (char *)b.p;
}

/* Whether `v` is exactly "${p}" for a list parameter p. */
static bool
kr_cer_list_ref(const struct kr_cer_script *s, const char *v)
{
	const struct kr_cer_param	*p;
	size_t				 n = strlen(v);

	if (n <= 3 || v[0] != '$' || v[1] != '{' || v[n - 1] != '}')
		return false;
	p = kr_cer_param_named(s, v + 2, n - 3);
	return p != NULL && p->type == KR_CER_LIST;
}

/* A list element that is exactly "${list-parameter}" becomes its names. */
static int
kr_cer_list_expand(const struct kr_cer_script *s, struct kr_cer_arg *a,
    const char *item, struct kr_err *err)
{
	const struct kr_cer_param	*p = NULL;
	char				*v, *tok, *save = NULL;
	size_t				 n = strlen(item);

	if (n > 3 && item[0] == '$' && item[1] == '{' && item[n - 1] == '}')
		p = kr_cer_param_named(s, item + 2, n - 3);
	if ((v = kr_cer_subst(s, item)) == NULL)
		return kr_err_set(err, KR_ENOMEM, "out of memory");
	if (p == NULL || p->type != KR_CER_LIST) {
		if (a->n == KR_CER_LIST_MAX)
			goto full;
		a->list[a->n++] = v;
		return KR_OK;
	}
	for (tok = strtok_r(v, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (a->n == KR_CER_LIST_MAX)
			goto full;
		if ((a->list[a->n++] = strdup(tok)) == NULL) {
			free(v);
			return kr_err_set(err, KR_ENOMEM, "out of memory");
		}
	}
	free(v);
	return KR_OK;
full:
	free(v);
	return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' lists more "
	    "than %d names", s->label, a->line, a->key, KR_CER_LIST_MAX);
}

static int
kr_cer_arg_subst(const struct kr_cer_script *s, struct kr_cer_arg *a,
    struct kr_err *err)
{
	const char	*items[KR_CER_LIST_MAX];
	size_t		 i, n;
	int		 ret;

	if (!a->is_list && a->value != NULL && kr_cer_list_ref(s, a->value)) {
		/* "custodians: ${custodians}" with a list parameter. */
		items[0] = a->value;
		a->value = NULL;
		a->is_list = true;
		a->owned = true;
		a->n = 0;
		return kr_cer_list_expand(s, a, items[0], err);
	}
	if (!a->is_list) {
		if (a->value != NULL && (a->value = kr_cer_subst(s, a->value)) ==
		    NULL)
			return kr_err_set(err, KR_ENOMEM, "out of memory");
		a->owned = true;
		return KR_OK;
	}
	n = a->n;
	memcpy(items, a->list, n * sizeof(items[0]));
	a->n = 0;
	a->owned = true;
	for (i = 0; i < n; i++)
		if ((ret = kr_cer_list_expand(s, a, items[i], err)) != KR_OK)
			return ret;
	return KR_OK;
}

/* The argument against its definition (kind, required). */
static int
kr_cer_arg_check(const struct kr_cer_script *s, const struct kr_cer_step *st,
    const struct kr_cer_argdef *ad, struct kr_cer_arg *a, struct kr_err *err)
{
	const char	*v = a->value;
	size_t		 i;

	if (ad->kind == KR_CA_LIST && !a->is_list) {
		/* One name where a list is taken: a list of one. */
		a->is_list = true;
		a->list[0] = a->value;
		a->value = NULL;
		a->n = 1;
	}
	if (ad->kind != KR_CA_LIST && a->is_list)
		return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' of step "
		    "'%s' takes one value, not a list", s->label, a->line,
		    a->key, st->id);
	for (i = 0; ad->kind == KR_CA_LIST && i < a->n; i++)
		if (a->list[i][0] == '\0' || strspn(a->list[i], NAME_CHARS) !=
		    strlen(a->list[i]))
			return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' "
			    "of step '%s' lists '%s', which is not a name",
			    s->label, a->line, a->key, st->id, a->list[i]);
	if (v == NULL)
		return KR_OK;
	if ((ad->kind == KR_CA_UINT && !kr_cer_is_uint(v)) ||
	    (ad->kind == KR_CA_BOOL && strcmp(v, "true") != 0 &&
	    strcmp(v, "false") != 0) ||
	    (ad->kind == KR_CA_NAME && (v[0] == '\0' || strspn(v, NAME_CHARS) !=
	    strlen(v))) || (ad->kind == KR_CA_PATH && v[0] == '\0') ||
	    !kr_text_safe(v, strlen(v), 0))
		return kr_err_set(err, KR_EINPUT, "%s, line %u: '%s' of step "
		    "'%s' is '%s', which is not %s", s->label, a->line, a->key,
		    st->id, v, ad->kind == KR_CA_UINT ? "a number" :
		    ad->kind == KR_CA_BOOL ? "true or false" :
		    ad->kind == KR_CA_NAME ? "a name" : "a usable value");
	return KR_OK;
}

static int
kr_cer_step_bind(const struct kr_cer_script *s, struct kr_cer_step *st,
    struct kr_err *err)
{
	const struct kr_cer_argdef	*ad;
	struct kr_cer_arg		*a;
	size_t				 i;
	int				 ret;

	for (i = 0; i < st->nargs; i++)
		if ((ret = kr_cer_arg_subst(s, &st->args[i], err)) != KR_OK)
			return ret;
	for (ad = st->def->args; ad->key != NULL; ad++) {
		for (i = 0, a = NULL; i < st->nargs; i++)
			if (strcmp(st->args[i].key, ad->key) == 0)
				a = &st->args[i];
		if (a == NULL && ad->required)
			return kr_err_set(err, KR_EINPUT, "%s, line %u: step "
			    "'%s' (%s) needs '%s'", s->label, st->line, st->id,
			    st->def->name, ad->key);
		if (a != NULL && (ret = kr_cer_arg_check(s, st, ad, a, err)) !=
		    KR_OK)
			return ret;
	}
	return KR_OK;
}

int
kr_cer_bind(struct kr_cer_script *s, struct kr_err *err)
{
	struct kr_cer_param	*p;
	size_t			 i;
	int			 ret;

	if (s->bound)
		return KR_OK;
	for (i = 0; i < s->nparams; i++) {
		p = &s->params[i];
		if (p->value == NULL && p->def == NULL)
			return kr_err_set(err, KR_EUSAGE, "%s: parameter '%s' "
			    "(line %u%s%s) has no default: give --set %s=VALUE",
			    s->label, p->name, p->line, p->about != NULL ?
			    ": " : "", p->about != NULL ? p->about : "",
			    p->name);
		if (p->value == NULL && (p->value = strdup(p->def)) == NULL)
			return kr_err_set(err, KR_ENOMEM, "out of memory");
		if ((ret = kr_cer_param_check(s, p, err)) != KR_OK)
			return ret;
	}
	for (i = 0; i < s->nsteps; i++)
		if ((ret = kr_cer_step_bind(s, &s->steps[i], err)) != KR_OK)
			return ret;
	if ((ret = kr_cer_crl_rules(s, err)) != KR_OK)
		return ret;
	s->bound = true;
	return KR_OK;
}

char *
kr_cer_params_json(const struct kr_cer_script *s)
{
	struct kr_json	 j;
	const char	*t;
	char		*out;
	size_t		 i;

	kr_json_begin(&j);
	for (i = 0; i < s->nparams; i++)
		kr_json_str(&j, s->params[i].name, s->params[i].value != NULL ?
		    s->params[i].value : "");
	t = kr_json_end(&j);
	out = t != NULL ? strdup(t) : NULL;
	kr_json_free(&j);
	return out;
}

void
kr_cer_free(struct kr_cer_script **sp)
{
	struct kr_cer_script	*s;
	size_t			 i, k, n;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	for (i = 0; i < s->nparams; i++)
		free(s->params[i].value);
	for (i = 0; i < s->nsteps; i++)
		for (k = 0; k < s->steps[i].nargs; k++) {
			struct kr_cer_arg *a = &s->steps[i].args[k];

			if (!a->owned)
				continue;
			free(a->value);
			for (n = 0; n < a->n; n++)
				free(a->list[n]);
		}
	kr_yaml_free(&s->doc);
	free(s->text);
	free(s);
	*sp = NULL;
}

const struct kr_cer_arg *
kr_cer_arg_get(const struct kr_cer_step *st, const char *key)
{
	size_t	i;

	for (i = 0; i < st->nargs; i++)
		if (strcmp(st->args[i].key, key) == 0)
			return &st->args[i];
	return NULL;
}

const char *
kr_cer_arg(const struct kr_cer_step *st, const char *key)
{
	const struct kr_cer_arg	*a = kr_cer_arg_get(st, key);

	return a != NULL && !a->is_list ? a->value : NULL;
}

bool
kr_cer_bool(const struct kr_cer_step *st, const char *key)
{
	const char	*v = kr_cer_arg(st, key);

	return v != NULL && strcmp(v, "true") == 0;
}

unsigned
kr_cer_uint(const struct kr_cer_step *st, const char *key)
{
	const char	*v = kr_cer_arg(st, key);

	return v != NULL ? (unsigned)strtoul(v, NULL, 10) : 0;
}

const char *
kr_cer_action_name(const struct kr_cer_step *st)
{
	return st->def->name;
}
