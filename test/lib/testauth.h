/*
 * Helpers for tests of authority/ (test/lib/, prefix tl_): an appliance
 * state folder made in the work folder, and the passphrases the tests
 * give custodians (the same as test/integration/lib.sh's pass_of).
 */
#ifndef KR_TESTAUTH_H
#define KR_TESTAUTH_H

#include <keyrite/authority.h>

#include "testlib.h"

/* The paths of an appliance made by tl_appliance_make. */
struct tl_appliance {
	char	state[300];	/* WORK/state, initialised */
	char	shares[300];	/* WORK/shares, empty */
};

/*
 * A fresh work folder (tag as for tl_work_begin) holding an appliance
 * state folder made with the test KDF profile, and a share folder;
 * asserts.  tl_work_end removes it all.
 */
void		 tl_appliance_make(struct tl_appliance *a, const char *tag);

/* The passphrase custodian `who` types in the tests. */
void		 tl_passphrase_of(const char *who, char *buf, size_t cap);

#endif
