/*
 * libFuzzer target for ceremony scripts (kr_cer_parse, then kr_cer_bind
 * with the defaults, then --set of a fixed assignment): strict YAML from
 * a file the room reviewed, but read as outside input.
 *
 * A parsed script has a name, a purpose, a witness and administrator,
 * 1 to 64 steps each with an id, a title and an action; after binding,
 * every argument the action takes as a list is a list of non-empty
 * values.  A refusal says why and leaves nothing allocated
 * (LeakSanitizer checks).  Seeds: the shipped scripts in ceremonies/.
 *
 * TEST-KEY-088 (docs/traceability.md): its smoke run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/ceremony.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_script(const struct kr_cer_script *s)
{
	size_t	i, k, n;

	if (s->name == NULL || s->purpose == NULL || s->witness == NULL ||
	    s->administrator == NULL || s->nsteps == 0 ||
	    s->nsteps > KR_CER_STEPS_MAX)
		abort();
	for (i = 0; i < s->nsteps; i++) {
		if (s->steps[i].id == NULL || s->steps[i].title == NULL ||
		    kr_cer_action_name(&s->steps[i]) == NULL ||
		    strlen(s->steps[i].id) >= KR_CEREMONY_STEP_BYTES)
			abort();
		for (k = 0; s->bound && k < s->steps[i].nargs; k++) {
			const struct kr_cer_arg *a = &s->steps[i].args[k];

			for (n = 0; a->is_list && n < a->n; n++)
				if (a->list[n] == NULL || a->list[n][0] == '\0')
					abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct kr_cer_script	*s = NULL;
	struct kr_err		 err;

	kr_err_clear(&err);
	if (kr_cer_parse("fuzz.yaml", data, len, &s, &err) != KR_OK) {
		if (err.msg[0] == '\0' || s != NULL)
			abort();
		return 0;
	}
	check_script(s);
	kr_err_clear(&err);
	if (kr_cer_bind(s, &err) != KR_OK && err.msg[0] == '\0')
		abort();
	check_script(s);
	kr_cer_free(&s);
	/* Once more with a --set before binding. */
	if (kr_cer_parse("fuzz.yaml", data, len, &s, &err) != KR_OK)
		abort();
	if (kr_cer_set(s, "shares=/media/shares", &err) == KR_OK &&
	    kr_cer_bind(s, &err) != KR_OK && err.msg[0] == '\0')
		abort();
	check_script(s);
	kr_cer_free(&s);
	return 0;
}
