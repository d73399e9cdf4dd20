/*
 * TEST-KEY-045 (docs/traceability.md), the unit half.
 * The output plan of media/: state folder (through symbolic links),
 * missing and non-folder parents, existing files, the allow-list, room
 * counted across the outputs of one plan, and the PEM bound.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <keyrite/media.h>

#include "testlib.h"

static const char	*tmpdir;
static char		 state[300], out[300];
static struct kr_media_plan	plan;
static struct kr_err		err;

static void
setup(void)
{
	ck_assert_ptr_nonnull(tmpdir = tl_work_begin("media"));
	(void)snprintf(state, sizeof(state), "%s", tl_path("state"));
	(void)snprintf(out, sizeof(out), "%s", tl_path("out"));
	ck_assert_int_eq(mkdir(state, 0700), 0);
	ck_assert_int_eq(mkdir(out, 0700), 0);
	ck_assert_int_eq(kr_media_plan_init(&plan, state, &err), KR_OK);
}

static void
teardown(void)
{
	tl_work_end();
}

/* Adds TMPDIR/rel as a certificate of `size` bytes. */
static int
add(const char *rel, uint64_t size)
{
	return kr_media_plan_add(&plan, KR_ART_CERTIFICATE, tl_path(rel), size,
	    &err);
}

START_TEST(test_plan_outside)
{
	char	sib[400];

	ck_assert_int_eq(add("out/a.pem", 1000), KR_OK);
	ck_assert_int_eq(add("b.pem", 1000), KR_OK);
	/* A sibling whose name starts with the state folder's is outside. */
	(void)snprintf(sib, sizeof(sib), "%s2", state);
	ck_assert_int_eq(mkdir(sib, 0700), 0);
	ck_assert_int_eq(add("state2/c.pem", 1000), KR_OK);
}
END_TEST

START_TEST(test_plan_inside)
{
	char	link[400];

	ck_assert_int_eq(add("state/x.pem", 10), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "inside the state folder"));
	ck_assert_int_eq(add("state", 10), KR_EINPUT);
	ck_assert_int_eq(add("out/../state/x.pem", 10), KR_EINPUT);
	(void)snprintf(link, sizeof(link), "%s/out/l", tmpdir);
	ck_assert_int_eq(symlink(state, link), 0);
	ck_assert_int_eq(add("out/l/x.pem", 10), KR_EINPUT);
	ck_assert_int_eq(kr_media_plan_dir(&plan, link, "the output folder",
	    &err), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "it resolves to"));
}
END_TEST

START_TEST(test_plan_folder)
{
	char	file[400];
	FILE	*f;

	ck_assert_int_eq(add("nowhere/x.pem", 10), KR_ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not exist"));
	(void)snprintf(file, sizeof(file), "%s/out/f", tmpdir);
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	(void)fclose(f);
	ck_assert_int_eq(add("out/f/x.pem", 10), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a folder"));
	ck_assert_int_eq(add("out/f", 10), KR_EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "will not overwrite"));
	ck_assert_int_eq(add("out/", 10), KR_EUSAGE);
	ck_assert_int_eq(add("out/..", 10), KR_EUSAGE);
	ck_assert_int_eq(kr_media_plan_add(&plan, (enum kr_artifact)99,
	    file, 10, &err), KR_EINTERNAL);
}
END_TEST

/* Outputs that fit one by one but not together are refused. */
START_TEST(test_plan_room)
{
	struct statvfs	vfs;
	uint64_t	avail;

	ck_assert_int_eq(statvfs(out, &vfs), 0);
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	/* Margins, as other processes may free or fill the disk meanwhile. */
	ck_assert_int_eq(add("out/big", 2 * avail), KR_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "no room for"));
	ck_assert_int_eq(kr_media_plan_init(&plan, state, &err), KR_OK);
	ck_assert_int_eq(add("out/part1", avail / 10 * 6), KR_OK);
	ck_assert_int_eq(add("out/part2", avail / 10 * 6), KR_EIO);
	ck_assert_int_eq(kr_media_plan_init(&plan, state, &err), KR_OK);
	ck_assert_int_eq(add("out/part2", avail / 10 * 6), KR_OK);
}
END_TEST

START_TEST(test_pem_bound)
{
	uint64_t	n;

	for (n = 0; n < 5000; n += 7)
		ck_assert_uint_ge(kr_media_pem_bound(n), 4 * ((n + 2) / 3) +
		    4 * ((n + 2) / 3) / 64 + 1 + 2 * 28);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("media");
	TCase	*tc = tcase_create("plan");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_plan_outside);
	tcase_add_test(tc, test_plan_inside);
	tcase_add_test(tc, test_plan_folder);
	tcase_add_test(tc, test_plan_room);
	tcase_add_test(tc, test_pem_bound);
	suite_add_tcase(s, tc);
	return tl_run(s, NULL);
}
