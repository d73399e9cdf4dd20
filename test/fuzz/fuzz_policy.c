/*
 * libFuzzer target for the strict YAML reader, the quorum policy, the
 * CRL policy and certificate profiles (outside input: an operator's
 * policy folder, later ceremony scripts and manifests).
 *
 * Built as a real fuzzer with `meson setup build-fuzz -Dfuzzing=true`
 * (clang), and as a smoke test over fixed inputs in every `meson test`.
 *
 * TEST-KEY-026 and TEST-KEY-054 (docs/traceability.md): its smoke run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/policy.h>
#include <keyrite/x509.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* policy/crl.yaml: what a parse promises, or a message and nothing. */
static void
fuzz_crl_policy(const uint8_t *data, size_t size)
{
	static struct kr_crl_policy	cp;
	const struct kr_crl_issuer	*is;
	struct kr_crl_site		 site;
	struct kr_err			 err;
	size_t				 i;

	kr_err_clear(&err);
	if (kr_crl_policy_parse("crl.yaml", data, size, &cp, &err) != KR_OK) {
		if (err.msg[0] == '\0' || cp.next_update_days != 0)
			abort();
		return;
	}
	if (cp.next_update_days < 1 || cp.next_update_days > 3660 ||
	    cp.publish_margin_days >= cp.next_update_days ||
	    (cp.version != 1 && cp.version != 2) ||
	    (cp.version == 1 && cp.nissuers != 0) ||
	    cp.nissuers > KR_CRL_ISSUERS_MAX ||
	    memchr(cp.idp_uri, '\0', sizeof(cp.idp_uri)) == NULL ||
	    memchr(cp.delta_uri, '\0', sizeof(cp.delta_uri)) == NULL)
		abort();
	for (i = 0; i < cp.nissuers; i++) {
		is = &cp.issuers[i];
		if (is->key[0] == '\0' || is->scope > KR_CRL_SCOPE_ALL ||
		    memchr(is->dp, '\0', sizeof(is->dp)) == NULL ||
		    memchr(is->delta, '\0', sizeof(is->delta)) == NULL)
			abort();
		/* Each CA's settings expand, or say why not. */
		kr_err_clear(&err);
		if (kr_crl_policy_site(&cp, is->key, &site, &err) != KR_OK &&
		    err.msg[0] == '\0')
			abort();
		if (site.dp[0] != '\0' && strstr(site.dp, "{issuer}") != NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kr_profile prof;
	struct kr_quorum_policy	 qp;
	struct kr_yaml_doc	*doc = NULL;
	struct kr_err		 err;

	kr_err_clear(&err);
	if (kr_yaml_parse("fuzz.yaml", data, size, &doc, &err) == KR_OK) {
		if (doc == NULL || doc->root == NULL)
			abort();
		kr_yaml_free(&doc);
	} else if (err.msg[0] == '\0' || doc != NULL) {
		abort();
	}
	kr_err_clear(&err);
	if (kr_quorum_policy_parse("fuzz.yaml", data, size, &qp, &err) !=
	    KR_OK && err.msg[0] == '\0')
		abort();
	kr_err_clear(&err);
	if (kr_profile_parse("fuzz.yaml", NULL, data, size, &prof, &err) !=
	    KR_OK && err.msg[0] == '\0')
		abort();
	fuzz_crl_policy(data, size);
	return 0;
}
