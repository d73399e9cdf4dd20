/*
 * Helpers for tests of authority/: see testauth.h.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "testauth.h"

void
tl_appliance_make(struct tl_appliance *a, const char *tag)
{
	struct kr_init_req	req = { .statedir = a->state,
	    .kdf_profile = "test", .actor = "tester" };
	struct kr_err		e;

	ck_assert_ptr_nonnull(tl_work_begin(tag));
	(void)snprintf(a->state, sizeof(a->state), "%s", tl_path("state"));
	(void)snprintf(a->shares, sizeof(a->shares), "%s",
	    tl_path("shares"));
	ck_assert_int_eq(mkdir(a->shares, 0700), 0);
	ck_assert_int_eq(kr_crypto_init(&e), KR_OK);
	ck_assert_msg(kr_appliance_init(&req, &e) == KR_OK, "%s", e.msg);
}

void
tl_passphrase_of(const char *who, char *buf, size_t cap)
{
	(void)snprintf(buf, cap, "passphrase of %s, long enough", who);
}
