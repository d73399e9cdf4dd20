/*
 * TEST-KEY-045 (docs/traceability.md), the unit half.
 * The output plan of media/: state folder (through symbolic links),
 * missing and non-folder parents, existing files, the allow-list, room
 * counted across the outputs of one plan, and the PEM bound.
 * TEST-KEY-445, the unit half: a distinct plan refuses a path twice
 * apart from case.
 *
 * The streaming writer (stream.c): a private key block split across
 * pieces at every position is refused before its piece is written; abort
 * leaves nothing; commit syncs the bytes before the name exists and the
 * folder after; types off the allow-list are refused before any file is
 * made; write errors the operator can act on (quota, full device) are
 * named.  fsync and write are wrapped (-Wl,--wrap) to watch and to fail.
 *
 * TEST-KEY-304: the private key scan (scan.c): every key form, made at
 * run time, is refused whole and streamed, named with its offset; look-
 * alikes (certificates, a CRL, random bytes, key labels as text) pass.
 *
 * TEST-KEY-314: export folders with sub-folders (export.c): the path
 * rule (one sub-folder, FAT-safe parts), files placed in a sub-folder the
 * export makes and checked by export verify, a sub-folder that exists
 * already (a symbolic link included) refused, and an export undone
 * leaving neither its files nor its sub-folders; a folder holding an
 * interrupted export's temporary file refused at open, naming it; a file
 * over KR_MEDIA_EXPORT_FILE_MAX refused before staging, named.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
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

/*
 * A distinct plan refuses a path it holds, apart from case (FAT), through
 * its table growing past its first 256 slots; a plain plan does not.
 */
START_TEST(test_plan_distinct)
{
	char	rel[64];
	int	i;

	ck_assert_int_eq(add("out/SN1.crt", 10), KR_OK);
	ck_assert_int_eq(add("out/SN1.crt", 10), KR_OK);
	ck_assert_int_eq(kr_media_plan_distinct(&plan, &err), KR_OK);
	for (i = 0; i < 600; i++) {
		(void)snprintf(rel, sizeof(rel), "out/Dev%d.crt", i);
		ck_assert_int_eq(add(rel, 10), KR_OK);
	}
	ck_assert_int_eq(add("out/dev599.CRT", 10), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "dev599.CRT"));
	ck_assert_ptr_nonnull(strstr(err.msg, "apart from case"));
	ck_assert_int_eq(add("out/../out/DEV0.crt", 10), KR_EINPUT);
	ck_assert_int_eq(add("out/dev600.crt", 10), KR_OK);
	kr_media_plan_free(&plan);
	ck_assert_int_eq(add("out/dev0.crt", 10), KR_OK);
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

/* --- the streaming writer (stream.c) ----------------------------------- */

static char	target[400];

/* What the wrapped fsync saw, and the errno the wrapped write fails with. */
static int	file_syncs, dir_syncs, file_sync_named, dir_sync_named;
static int	write_errno;

int	__real_fsync(int);
int	__wrap_fsync(int);
ssize_t	__real_write(int, const void *, size_t);
ssize_t	__wrap_write(int, const void *, size_t);

int
__wrap_fsync(int fd)
{
	struct stat	st;

	if (fstat(fd, &st) != 0)
		return __real_fsync(fd);
	if (S_ISREG(st.st_mode)) {
		file_syncs++;
		file_sync_named += kr_path_exists(target);
	} else if (S_ISDIR(st.st_mode)) {
		dir_syncs++;
		dir_sync_named += kr_path_exists(target);
	}
	return __real_fsync(fd);
}

ssize_t
__wrap_write(int fd, const void *p, size_t len)
{
	if (write_errno != 0) {
		errno = write_errno;
		return -1;
	}
	return __real_write(fd, p, len);
}

static void
stream_setup(void)
{
	(void)snprintf(target, sizeof(target), "%s/app.img", out);
	file_syncs = dir_syncs = file_sync_named = dir_sync_named = 0;
	write_errno = 0;
}

/* Files in the output folder, temporary names included. */
static int
entries(void)
{
	struct dirent	*d;
	DIR		*dir;
	int		 n = 0;

	ck_assert_ptr_nonnull(dir = opendir(out));
	while ((d = readdir(dir)) != NULL)
		n += strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
	(void)closedir(dir);
	return n;
}

static void
open_ok(struct kr_media_stream *s, unsigned flags)
{
	ck_assert_msg(kr_media_stream_open(s, KR_ART_SIGNED_IMAGE, target,
	    flags, &err) == KR_OK, "open: %s", err.msg);
}

/*
 * Streams `text` cut at the given offsets (ascending, inside it) and
 * returns the first failing write's code, or commit's.
 */
static int
stream_cut(const char *text, const size_t *cuts, size_t ncuts)
{
	struct kr_media_stream	s;
	struct kr_err		later;
	size_t			at = 0, i, end;
	int			ret = KR_OK;

	open_ok(&s, KR_FILE_NOREPLACE);
	for (i = 0; i <= ncuts && ret == KR_OK; i++) {
		end = i < ncuts ? cuts[i] : strlen(text);
		ret = kr_media_stream_write(&s, text + at, end - at, &err);
		at = end;
	}
	if (ret == KR_OK)
		return kr_media_stream_commit(&s, &err);
	ck_assert_int_ne(kr_media_stream_commit(&s, &later), KR_OK);
	kr_media_stream_abort(&s);
	return ret;
}

/*
 * Private keys for the scan are made here, at run time, by OpenSSL
 * (pkcs8: the PKCS#8 form, sec1: the EC form); nothing of a key, not
 * even its PEM label, is written in this file.  Returned NUL-terminated
 * and malloc'd.
 */
static char *
key_pem(const char *form)
{
	char	*pem;

	TL_SH_OK("%s", strcmp(form, "sec1") == 0 ?
	    "openssl ecparam -name prime256v1 -genkey -noout -out key.pem "
	    ">cmd.log 2>&1" :
	    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
	    "-out key.pem >cmd.log 2>&1");
	pem = (char *)tl_read("key.pem", NULL);
	(void)unlink(tl_path("key.pem"));
	return pem;
}

/* The first line of a PEM text (its BEGIN label), malloc'd. */
static char *
first_line(const char *pem)
{
	return strndup(pem, strcspn(pem, "\n"));
}

/* `a` then `b`, malloc'd. */
static char *
cat2(const char *a, const char *b)
{
	char	*ab;

	ck_assert_int_ge(asprintf(&ab, "%s%s", a, b), 0);
	return ab;
}

/* A private key inside what looks like an image: "firmware header\n" + PEM. */
static char *
key_text_make(void)
{
	char	*pem = key_pem("pkcs8"), *t = cat2("firmware header\n", pem);

	free(pem);
	return t;
}

/* The block is found wherever the cut falls, and with one-byte pieces. */
START_TEST(test_stream_seam)
{
	char	*key_text = key_text_make();
	size_t	*cuts, n = strlen(key_text), k;

	ck_assert_ptr_nonnull(cuts = calloc(n, sizeof(*cuts)));
	for (k = 0; k <= n; k++) {
		ck_assert_int_eq(stream_cut(key_text, &k, 1), KR_EINTERNAL);
		ck_assert_ptr_nonnull(strstr(err.msg, "carries a private key "
		    "block"));
		ck_assert_ptr_nonnull(strstr(err.msg, "signed image"));
		ck_assert_int_eq(entries(), 0);
	}
	for (k = 0; k + 1 < n; k++)
		cuts[k] = k + 1;
	ck_assert_int_eq(stream_cut(key_text, cuts, n - 1), KR_EINTERNAL);
	/* Three pieces, the middle one inside the mark. */
	cuts[0] = 30;
	cuts[1] = 33;
	ck_assert_int_eq(stream_cut(key_text, cuts, 2), KR_EINTERNAL);
	ck_assert_int_eq(entries(), 0);
	free(cuts);
	free(key_text);
}
END_TEST

/* A near miss passes at every cut; the bytes arrive whole and in order. */
START_TEST(test_stream_near_miss)
{
	char		*pem = key_pem("pkcs8"), *label = first_line(pem);
	const char	*mark = label + strlen("-----BEGIN ");
	char		*text;
	uint8_t		*got;
	size_t		 n, k, len, m = strlen(mark);

	/* The mark with its last dash changed, with a blank before its
	 * dashes, and without its first letter. */
	ck_assert_int_ge(asprintf(&text, "-----BEGIN %.*sx %.*s %s %s",
	    (int)m - 1, mark, (int)m - 5, mark, mark + m - 5, mark + 1), 0);
	n = strlen(text);
	for (k = 0; k <= n; k++) {
		ck_assert_msg(stream_cut(text, &k, 1) == KR_OK, "cut %zu: %s",
		    k, err.msg);
		ck_assert_int_eq(kr_file_read(target, 100, false, &got, &len,
		    &err), KR_OK);
		ck_assert(len == n && memcmp(got, text, n) == 0);
		free(got);
		ck_assert_int_eq(unlink(target), 0);
	}
	free(text);
	free(label);
	free(pem);
}
END_TEST

/* The last line of a PEM text (its END label), malloc'd. */
static char *
last_line(const char *pem)
{
	size_t	n = strlen(pem);
	size_t	end = n > 0 && pem[n - 1] == '\n' ? n - 1 : n, start = end;

	while (start > 0 && pem[start - 1] != '\n')
		start--;
	return strndup(pem + start, end - start);
}

/* Appends n bytes (NULs included) to a buffer of *len bytes. */
static void
put(uint8_t *buf, size_t cap, size_t *len, const void *p, size_t n)
{
	ck_assert_uint_le(*len + n, cap);
	memcpy(buf + *len, p, n);
	*len += n;
}

/* Writes a + b as a signed image: the result of kr_media_write. */
static int
write_image(const char *a, const char *b)
{
	char	*text = cat2(a, b);
	int	 ret = kr_media_write(KR_ART_SIGNED_IMAGE, target, text,
		    strlen(text), 0, &err);

	free(text);
	if (ret == KR_OK)
		ck_assert_int_eq(unlink(target), 0);
	return ret;
}

/*
 * Firmware that parses PEM keys carries their labels as string constants:
 * a label with no line break and Base64 after it is no key block, and
 * the image is written, split anywhere.  A block with CR LF is found,
 * and so are the blanks after the label that OpenSSL reads too.  The keys
 * and their labels come from OpenSSL at run time.
 */
START_TEST(test_stream_label_constants)
{
	char			*p8 = key_pem("pkcs8"), *ec = key_pem("sec1");
	char			*l8 = first_line(p8), *lec = first_line(ec);
	char			*eec = last_line(ec), *crlf, *t;
	const char		*mark = l8 + strlen("-----BEGIN ");
	const char		*b8 = p8 + strlen(l8) + 1, *bec = ec + strlen(lec) + 1;
	uint8_t			 fw[512];
	size_t			 n = 0, k, i, first_b64;
	struct kr_media_stream	 s;

	/* "\x7fELF", the labels each ended by a NUL, a label and a line
	 * break then a NUL, the mark then CR LF and a dash. */
	put(fw, sizeof(fw), &n, "\x7f" "ELF", 5);
	put(fw, sizeof(fw), &n, lec, strlen(lec) + 1);
	put(fw, sizeof(fw), &n, eec, strlen(eec) + 1);
	put(fw, sizeof(fw), &n, l8, strlen(l8));
	put(fw, sizeof(fw), &n, "\n", 2);
	put(fw, sizeof(fw), &n, mark, strlen(mark));
	put(fw, sizeof(fw), &n, "\r\n-", 3);
	for (k = 0; k <= n; k++) {
		open_ok(&s, 0);
		ck_assert_int_eq(kr_media_stream_write(&s, fw, k, &err), KR_OK);
		ck_assert_msg(kr_media_stream_write(&s, fw + k, n - k, &err) ==
		    KR_OK, "cut %zu: %s", k, err.msg);
		ck_assert_int_eq(kr_media_stream_commit(&s, &err), KR_OK);
		ck_assert_int_eq(unlink(target), 0);
	}
	ck_assert_int_eq(kr_media_write(KR_ART_SIGNED_IMAGE, target, fw, n, 0,
	    &err), KR_OK);
	ck_assert_int_eq(unlink(target), 0);
	/* The whole key with CR LF line ends. */
	ck_assert_ptr_nonnull(crlf = calloc(2 * strlen(p8) + 2, 1));
	crlf[0] = 'x';
	for (i = 0, k = 1; p8[i] != '\0'; i++) {
		if (p8[i] == '\n')
			crlf[k++] = '\r';
		crlf[k++] = p8[i];
	}
	ck_assert_int_eq(write_image(crlf, ""), KR_EINTERNAL);
	/* What OpenSSL reads too: blanks after the label, a blank line. */
	t = cat2(l8, "  \n");
	ck_assert_int_eq(write_image(t, b8), KR_EINTERNAL);
	free(t);
	t = cat2(l8, "\t\r\n\r\n");
	ck_assert_int_eq(write_image(t, b8), KR_EINTERNAL);
	free(t);
	t = cat2(lec, "\n\n");
	ck_assert_int_eq(write_image(t, bec), KR_EINTERNAL);
	free(t);
	/* Blanks without a line break, or too many: no block. */
	ck_assert_int_ge(asprintf(&t, "%s %.3s", mark, b8), 0);
	ck_assert_int_eq(write_image(t, ""), KR_OK);
	free(t);
	ck_assert_int_ge(asprintf(&t, "%s\n         %.3s", mark, b8), 0);
	ck_assert_int_eq(write_image(t, ""), KR_OK);
	free(t);
	/* Split anywhere before its first Base64 character: found at the
	 * second piece. */
	first_b64 = 1 + strlen(l8) + 2;
	for (k = 0; k <= first_b64; k++) {
		open_ok(&s, 0);
		ck_assert_int_eq(kr_media_stream_write(&s, crlf, k, &err), KR_OK);
		ck_assert_int_eq(kr_media_stream_write(&s, crlf + k,
		    strlen(crlf) - k, &err), KR_EINTERNAL);
		kr_media_stream_abort(&s);
	}
	ck_assert_int_eq(entries(), 0);
	free(crlf);
	free(eec);
	free(lec);
	free(l8);
	free(ec);
	free(p8);
}
END_TEST

/*
 * In the background (background.c): the file has no name until finish
 * commits; finish without commit, or cancel, leaves nothing; a key block
 * or a write error found on the thread is returned by finish.
 */
START_TEST(test_background)
{
	static const char	 data[] = "-----BEGIN X509 CRL-----\nMIIB\n";
	struct kr_media_bg	*b = NULL;
	char			*key_text = key_text_make();
	uint8_t			*got;
	size_t			 len;

	ck_assert_int_eq(kr_media_bg_start(&b, KR_ART_CRL, target, data,
	    strlen(data), KR_FILE_NOREPLACE, &err), KR_OK);
	ck_assert(!kr_path_exists(target));
	ck_assert_int_eq(kr_media_bg_finish(&b, true, &err), KR_OK);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(kr_file_read(target, 100, false, &got, &len, &err),
	    KR_OK);
	ck_assert(len == strlen(data) && memcmp(got, data, len) == 0);
	free(got);
	ck_assert_int_gt(dir_sync_named, 0);
	/* An existing output is not replaced: named at finish, refused. */
	ck_assert_int_eq(kr_media_bg_start(&b, KR_ART_CRL, target, data,
	    strlen(data), KR_FILE_NOREPLACE, &err), KR_OK);
	ck_assert_int_eq(kr_media_bg_finish(&b, true, &err), KR_EEXIST);
	ck_assert_int_eq(unlink(target), 0);
	ck_assert_int_eq(entries(), 0);
	/* Finish without commit, and cancel: nothing is left. */
	ck_assert_int_eq(kr_media_bg_start(&b, KR_ART_CRL, target, data,
	    strlen(data), KR_FILE_NOREPLACE, &err), KR_OK);
	ck_assert_int_eq(kr_media_bg_finish(&b, false, &err), KR_OK);
	ck_assert_int_eq(kr_media_bg_start(&b, KR_ART_CRL, target, data,
	    strlen(data), KR_FILE_NOREPLACE, &err), KR_OK);
	kr_media_bg_cancel(&b);
	ck_assert_ptr_null(b);
	kr_media_bg_cancel(&b);
	ck_assert_int_eq(entries(), 0);
	/* What the thread finds comes back at finish. */
	ck_assert_int_eq(kr_media_bg_start(&b, KR_ART_CRL, target, key_text,
	    strlen(key_text), KR_FILE_NOREPLACE, &err), KR_OK);
	ck_assert_int_eq(kr_media_bg_finish(&b, true, &err), KR_EINTERNAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "carries a private key block"));
	write_errno = ENOSPC;
	ck_assert_int_eq(kr_media_bg_start(&b, KR_ART_CRL, target, data,
	    strlen(data), KR_FILE_NOREPLACE, &err), KR_OK);
	ck_assert_int_eq(kr_media_bg_finish(&b, true, &err), KR_EIO);
	write_errno = 0;
	ck_assert_int_eq(entries(), 0);
	/* Off the allow-list: refused at start, no file made. */
	ck_assert_int_eq(kr_media_bg_start(&b, (enum kr_artifact)999, target,
	    data, strlen(data), 0, &err), KR_EINTERNAL);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(entries(), 0);
	free(key_text);
}
END_TEST

/* The refused piece never reaches the disk, not even unnamed. */
START_TEST(test_stream_refused_unwritten)
{
	struct kr_media_stream	s;
	struct stat		st;
	char			tmp[400], cmd[500];
	FILE			*f;
	char			*key_text = key_text_make();

	open_ok(&s, 0);
	ck_assert_int_eq(kr_media_stream_write(&s, "AAAA", 4, &err), KR_OK);
	ck_assert_int_eq(kr_media_stream_write(&s, key_text, strlen(key_text),
	    &err), KR_EINTERNAL);
	(void)snprintf(cmd, sizeof(cmd), "ls -d '%s'/app.img.tmp-*", out);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	ck_assert_ptr_nonnull(fgets(tmp, sizeof(tmp), f));
	(void)pclose(f);
	tmp[strcspn(tmp, "\n")] = '\0';
	ck_assert_int_eq(stat(tmp, &st), 0);
	ck_assert_int_eq(st.st_size, 4);
	ck_assert_int_eq(kr_media_stream_write(&s, "B", 1, &err),
	    KR_EINTERNAL);
	kr_media_stream_abort(&s);
	ck_assert_int_eq(entries(), 0);
	free(key_text);
}
END_TEST

/* Abort leaves nothing, named temporary file or not; twice is safe. */
START_TEST(test_stream_abort)
{
	struct kr_media_stream	s;
	unsigned		flags[] = { 0, KR_FILE_NOREPLACE };
	size_t			i;

	for (i = 0; i < 2; i++) {
		open_ok(&s, flags[i]);
		ck_assert_int_eq(kr_media_stream_write(&s, "abc", 3, &err),
		    KR_OK);
		ck_assert_int_eq(entries(), flags[i] == 0 ? 1 : 0);
		kr_media_stream_abort(&s);
		ck_assert_int_eq(entries(), 0);
		kr_media_stream_abort(&s);
		ck_assert_int_eq(kr_media_stream_write(&s, "d", 1, &err),
		    KR_EINTERNAL);
		ck_assert_int_ne(kr_media_stream_commit(&s, &err), KR_OK);
		ck_assert_int_eq(entries(), 0);
		ck_assert_int_eq(file_syncs + dir_syncs, 0);
	}
}
END_TEST

/* The bytes are synced before the name exists, the folder after. */
START_TEST(test_stream_commit_syncs)
{
	struct kr_media_stream	s;
	struct stat		st;
	unsigned		flags[] = { 0, KR_FILE_NOREPLACE };
	size_t			i;

	for (i = 0; i < 2; i++) {
		file_syncs = dir_syncs = file_sync_named = dir_sync_named = 0;
		open_ok(&s, flags[i]);
		ck_assert_int_eq(kr_media_stream_write(&s, "hello ", 6, &err),
		    KR_OK);
		ck_assert_int_eq(kr_media_stream_write(&s, "world", 5, &err),
		    KR_OK);
		ck_assert_uint_eq(s.len, 11);
		ck_assert_int_eq(file_syncs + dir_syncs, 0);
		ck_assert_int_eq(kr_media_stream_commit(&s, &err), KR_OK);
		ck_assert_int_eq(file_syncs, 1);
		ck_assert_int_eq(file_sync_named, 0);
		ck_assert_int_eq(dir_syncs, 1);
		ck_assert_int_eq(dir_sync_named, 1);
		ck_assert_int_eq(stat(target, &st), 0);
		ck_assert_int_eq(st.st_size, 11);
		ck_assert_uint_eq(st.st_mode & 0777, 0600);
		ck_assert_int_eq(entries(), 1);
		kr_media_stream_abort(&s);
		ck_assert_int_eq(unlink(target), 0);
	}
}
END_TEST

/* NOREPLACE: an existing file is kept and nothing else is left. */
START_TEST(test_stream_noreplace)
{
	struct kr_media_stream	s;
	uint8_t			*got;
	size_t			 len;

	ck_assert_int_eq(kr_file_write(target, "old", 3, 0, &err), KR_OK);
	open_ok(&s, KR_FILE_NOREPLACE);
	ck_assert_int_eq(kr_media_stream_write(&s, "new", 3, &err), KR_OK);
	ck_assert_int_eq(kr_media_stream_commit(&s, &err), KR_EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "will not overwrite"));
	ck_assert_int_eq(entries(), 1);
	ck_assert_int_eq(kr_file_read(target, 10, false, &got, &len, &err),
	    KR_OK);
	ck_assert(len == 3 && memcmp(got, "old", 3) == 0);
	free(got);
}
END_TEST

/* A type off the allow-list makes no file, whatever the bytes. */
START_TEST(test_stream_allow_list)
{
	struct kr_media_stream	s;
	int			types[] = { 0, KR_ART_LAST + 1, 99, -1 };
	size_t			i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ck_assert_int_eq(kr_media_stream_open(&s,
		    (enum kr_artifact)types[i], target, 0, &err),
		    KR_EINTERNAL);
		ck_assert_ptr_nonnull(strstr(err.msg, "not on the export "
		    "allow-list"));
		ck_assert_int_eq(kr_media_stream_write(&s, "x", 1, &err),
		    KR_EINTERNAL);
		ck_assert_int_ne(kr_media_stream_commit(&s, &err), KR_OK);
		kr_media_stream_abort(&s);
		ck_assert_int_eq(entries(), 0);
	}
}
END_TEST

/* A full device or a used-up quota is named; nothing is left. */
START_TEST(test_stream_write_errors)
{
	struct kr_media_stream	s;
	int			e[] = { EDQUOT, ENOSPC, EIO };
	const char		*why[] = { "the disk quota is used up; "
	    "nothing was left behind", "the device is full; nothing was "
	    "left behind", "Input/output error" };
	char			want[600];
	size_t			i;

	for (i = 0; i < 3; i++) {
		open_ok(&s, i == 0 ? 0 : KR_FILE_NOREPLACE);
		write_errno = e[i];
		ck_assert_int_eq(kr_media_stream_write(&s, "abc", 3, &err),
		    KR_EIO);
		write_errno = 0;
		(void)snprintf(want, sizeof(want), "cannot write %s: %s",
		    target, why[i]);
		ck_assert_str_eq(err.msg, want);
		ck_assert_int_ne(kr_media_stream_commit(&s, &err), KR_OK);
		ck_assert_int_eq(entries(), 0);
	}
}
END_TEST


/* --- the private key scan (scan.c) -------------------------------------- */

/*
 * Keys in every form the scan knows, made at run time (openssl, ssh-keygen,
 * minisign); nothing of a key is written in this file.  Each row: the
 * command that writes key.bin, and what the refusal must name.
 */
static const struct {
	const char	*make;
	const char	*what;
} key_forms[] = {
	{ "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
	    "-out k.pem && openssl pkcs8 -topk8 -nocrypt -in k.pem -outform "
	    "DER -out key.bin", "DER PKCS#8 private key" },
	{ "openssl genpkey -algorithm ED25519 -outform DER -out key.bin",
	    "DER PKCS#8 private key" },
	{ "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
	    "-out k.pem && openssl pkcs8 -topk8 -nocrypt -in k.pem -outform "
	    "DER -out key.bin", "DER PKCS#8 private key" },
	{ "openssl ecparam -name prime256v1 -genkey -noout -outform DER "
	    "-out key.bin", "DER SEC1 EC private key" },
	{ "openssl ecparam -name secp384r1 -genkey -outform DER -out key.bin",
	    "DER SEC1 EC private key" },
	{ "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
	    "-out k.pem && openssl rsa -in k.pem -traditional -outform DER "
	    "-out key.bin", "DER PKCS#1 RSA private key" },
	{ "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
	    "-out k.pem && openssl pkcs8 -topk8 -in k.pem -passout pass:pw "
	    "-outform DER -out key.bin", "DER encrypted PKCS#8 private key" },
	{ "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
	    "-out k.pem && openssl ec -in k.pem -out key.bin",
	    "PEM SEC1 EC private key" },
	{ "ssh-keygen -q -t ed25519 -N '' -f k && mv k key.bin",
	    "OpenSSH private key" },
	{ "ssh-keygen -q -t ed25519 -N '' -f k && sed '1d;$d' k | "
	    "base64 -d > key.bin", "OpenSSH private key (binary" },
	{ "ssh-keygen -q -t ecdsa -N pw -f k && sed '1d;$d' k | "
	    "base64 -d > key.bin", "OpenSSH private key (binary" },
	{ "minisign -G -W -p k.pub -s key.bin", "minisign secret key" },
	{ "printf 'pw\\npw\\n' | minisign -G -p k.pub -s key.bin",
	    "minisign secret key" },
	{ "minisign -G -W -p k.pub -s k && sed 1d k | base64 -d > key.bin",
	    "minisign secret key (binary)" },
	{ "minisign -G -W -p k.pub -s k && { printf 'header\\n'; sed 1d k; } "
	    "> key.bin", "minisign secret key (its Base64" },
};

static uint8_t *
key_make(size_t i, size_t *len)
{
	uint8_t	*k;

	if (strncmp(key_forms[i].make, "ssh", 3) == 0 && tl_sh("command -v "
	    "ssh-keygen >/dev/null") != 0)
		return NULL;
	if (strncmp(key_forms[i].make, "minisign", 8) == 0 && tl_sh("command "
	    "-v minisign >/dev/null") != 0)
		return NULL;
	TL_SH_OK("rm -f k k.pub k.pem key.bin; { %s; } >cmd.log 2>&1",
	    key_forms[i].make);
	k = tl_read("key.bin", len);
	TL_SH_OK("rm -f k k.pub k.pem key.bin");
	return k;
}

/* Each form is refused whole, streamed in one-byte pieces and in two. */
START_TEST(test_scan_keys)
{
	struct kr_media_stream	 s;
	uint8_t			*k;
	size_t			 len, i, j;

	for (i = 0; i < sizeof(key_forms) / sizeof(key_forms[0]); i++) {
		if ((k = key_make(i, &len)) == NULL)
			continue;
		ck_assert_msg(kr_media_write(KR_ART_CRL, target, k, len, 0,
		    &err) == KR_EINTERNAL, "form %zu written", i);
		ck_assert_msg(strstr(err.msg, key_forms[i].what) != NULL &&
		    strstr(err.msg, "carries a private key block") != NULL &&
		    strstr(err.msg, target) != NULL, "form %zu: %s", i,
		    err.msg);
		open_ok(&s, KR_FILE_NOREPLACE);
		for (j = 0; j < len && kr_media_stream_write(&s, k + j, 1,
		    &err) == KR_OK; j++)
			continue;
		if (j == len)
			ck_assert_int_eq(kr_media_stream_commit(&s, &err),
			    KR_EINTERNAL);
		/* (A stream names a PEM block's kind when it saw the label
		 * in the same piece: here it names the block.) */
		ck_assert_msg(strstr(err.msg, "carries a private key block") !=
		    NULL, "form %zu streamed: %s", i, err.msg);
		kr_media_stream_abort(&s);
		ck_assert_int_eq(entries(), 0);
		free(k);
	}
}
END_TEST

/* A DER key with bytes after it (its lengths still fit): refused. */
START_TEST(test_scan_key_trailing)
{
	uint8_t	*k, buf[4096];
	size_t	 len;

	ck_assert_ptr_nonnull(k = key_make(0, &len));
	ck_assert_uint_lt(len + 100, sizeof(buf));
	memcpy(buf, k, len);
	memset(buf + len, 0xee, 100);
	ck_assert_int_eq(kr_media_write(KR_ART_SIGNED_IMAGE, target, buf,
	    len + 100, 0, &err), KR_EINTERNAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "at byte 0"));
	/* Cut short, its lengths no longer fit: no key, written. */
	ck_assert_int_eq(kr_media_write(KR_ART_SIGNED_IMAGE, target, k,
	    len - 1, 0, &err), KR_OK);
	ck_assert_int_eq(unlink(target), 0);
	free(k);
}
END_TEST

/* Writes `len` bytes as a signed image, whole and streamed; must pass. */
static void
passes(const char *what, const void *p, size_t len)
{
	struct kr_media_stream	s;
	size_t			half = len / 2;

	ck_assert_msg(kr_media_write(KR_ART_SIGNED_IMAGE, target, p, len, 0,
	    &err) == KR_OK, "%s: %s", what, err.msg);
	ck_assert_int_eq(unlink(target), 0);
	open_ok(&s, KR_FILE_NOREPLACE);
	ck_assert_int_eq(kr_media_stream_write(&s, p, half, &err), KR_OK);
	ck_assert_int_eq(kr_media_stream_write(&s, (const uint8_t *)p + half,
	    len - half, &err), KR_OK);
	ck_assert_msg(kr_media_stream_commit(&s, &err) == KR_OK, "%s "
	    "streamed: %s", what, err.msg);
	ck_assert_int_eq(unlink(target), 0);
}

/* Look-alikes: certificates, public keys, random bytes, labels. */
START_TEST(test_scan_lookalikes)
{
	static const char	*files[] = { "c.der", "c.pem", "crl.der",
				    "bigcrl.der", "pub.der", "sig.der",
				    "rand.bin" };
	uint8_t			*p, img[600];
	size_t			 len, i, n = 0;

	TL_SH_OK("openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout ca.key -subj /CN=x "
	    "-outform DER -out c.der >cmd.log 2>&1 && openssl x509 -inform "
	    "DER -in c.der -out c.pem && openssl pkey -in ca.key -pubout "
	    "-outform DER -out pub.der && printf '' > idx && printf '01\\n' > "
	    "crlnum && printf '[ca]\\ndefault_ca=c\\n[c]\\ndatabase=idx\\n"
	    "crlnumber=crlnum\\ndefault_md=sha256\\ndefault_crl_days=1\\n' > "
	    "ca.cnf && openssl ca -config ca.cnf -gencrl -keyfile ca.key "
	    "-cert c.pem -out crl.pem >>cmd.log 2>&1 && openssl crl -in "
	    "crl.pem -outform DER -out crl.der && printf x > m && openssl "
	    "dgst -sha256 -sign ca.key -out sig.der m && head -c 65536 "
	    "/dev/urandom > rand.bin && i=1 && while [ $i -le 900 ]; do "
	    "printf 'R\\t351231000000Z\\t261101120000Z\\t%%04X\\tunknown"
	    "\\t/CN=d%%d\\n' $i $i; i=$((i + 1)); done > idx && openssl ca "
	    "-config ca.cnf -gencrl -keyfile ca.key -cert c.pem -out big.pem "
	    ">>cmd.log 2>&1 && openssl crl -in big.pem -outform DER -out "
	    "bigcrl.der && rm -f ca.key");
	/* A CRL longer than a stream keeps of its start (KR_MEDIA_HEAD). */
	p = tl_read("bigcrl.der", &len);
	ck_assert_uint_gt(len, KR_MEDIA_HEAD);
	free(p);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		p = tl_read(files[i], &len);
		passes(files[i], p, len);
		free(p);
	}
	/* Random bytes that start as a SEQUENCE of an INTEGER 0. */
	p = tl_read("rand.bin", &len);
	memcpy(p, "\x30\x82\x01\x00\x02\x01\x00\x30", 8);
	passes("random after a key's first bytes", p, len);
	free(p);
	/* An image with the label as text but no block, the OpenSSH magic
	 * as a string constant, a minisign comment without a key line. */
	put(img, sizeof(img), &n, "\x7f" "ELF\0\0", 6);
	put(img, sizeof(img), &n, "no PRIVATE KEY here\n", 20);
	put(img, sizeof(img), &n, "openssh-key-v1", 15);
	put(img, sizeof(img), &n, "\0\0\0\0", 4);
	put(img, sizeof(img), &n, "untrusted comment: minisign encrypted "
	    "secret key\nRWQAAEIy!", 57);
	passes("an image with key labels as text", img, n);
	passes("the OpenSSH magic alone", img + 26, n - 26);
	passes("a minisign comment alone", img + 45, n - 45);
}
END_TEST

START_TEST(test_export_paths)
{
	ck_assert(kr_media_path_ok("cert-01.pem"));
	ck_assert(kr_media_path_ok("audit-12/audit.jsonl"));
	ck_assert(kr_media_path_ok("transcript-20270105-1a2b3c4d-9/report.txt"));
	ck_assert(!kr_media_path_ok("a/b/c"));
	ck_assert(!kr_media_path_ok("../x"));
	ck_assert(!kr_media_path_ok("a/../x"));
	ck_assert(!kr_media_path_ok(".a/x"));
	ck_assert(!kr_media_path_ok("a/"));
	ck_assert(!kr_media_path_ok("/x"));
	ck_assert(!kr_media_path_ok("a b/x"));
	ck_assert(!kr_media_path_ok("a/x y"));
}
END_TEST

static const char kr_pem_text[] = "-----BEGIN CERTIFICATE-----\nAAAA\n"
    "-----END CERTIFICATE-----\n";

static int
export_two(struct kr_media_export *x, const char *sub)
{
	char	a[64], b[64];
	int	ret;

	(void)snprintf(a, sizeof(a), "%s/one.pem", sub);
	(void)snprintf(b, sizeof(b), "%s/two.pem", sub);
	if ((ret = kr_media_export_add(x, KR_ART_CERTIFICATE, a, kr_pem_text,
	    strlen(kr_pem_text), "{}", &err)) != KR_OK)
		return ret;
	return kr_media_export_add(x, KR_ART_CERTIFICATE, b, kr_pem_text,
	    strlen(kr_pem_text), "{}", &err);
}

START_TEST(test_export_subfolder)
{
	struct kr_media_export		*x = NULL;
	struct kr_media_export_report	*r;
	char				 sums[65];
	struct stat			 st;

	ck_assert_int_eq(kr_media_export_open(&x, out, &err), KR_OK);
	ck_assert_int_eq(export_two(x, "sub"), KR_OK);
	ck_assert_int_eq(kr_media_export_seal(x, "{}", sums, &err), KR_OK);
	ck_assert_int_eq(kr_media_export_place(x, &err), KR_OK);
	ck_assert_int_eq(kr_media_export_finish(x, &err), KR_OK);
	kr_media_export_free(&x);
	ck_assert_int_eq(stat(tl_path("out/sub/two.pem"), &st), 0);
	ck_assert_ptr_nonnull(r = calloc(1, sizeof(*r)));
	ck_assert_int_eq(kr_media_export_verify(out, r, &err), KR_OK);
	ck_assert_uint_eq(r->files_ok, 2);
	tl_write("out/sub/added.txt", "x", 1);
	ck_assert_int_eq(kr_media_export_verify(out, r, &err), KR_EVERIFY);
	ck_assert_str_eq(r->failed[0], "sub/added.txt: not in the manifest "
	    "(added)");
	free(r);
}
END_TEST

START_TEST(test_export_subfolder_refused)
{
	struct kr_media_export	*x = NULL;

	/*
	 * A sub-folder there before the export, here a symbolic link: the
	 * folder is not empty, so the export does not start.
	 */
	ck_assert_int_eq(mkdir(tl_path("elsewhere"), 0700), 0);
	ck_assert_int_eq(symlink(tl_path("elsewhere"), tl_path("out/sub")), 0);
	ck_assert_int_eq(kr_media_export_open(&x, out, &err), KR_EEXIST);
	ck_assert_ptr_null(x);
	ck_assert(strstr(err.msg, "is not empty (it holds sub)") != NULL);
	ck_assert_int_eq(unlink(tl_path("out/sub")), 0);
	/* The link made after the export started: still no write through. */
	ck_assert_int_eq(kr_media_export_open(&x, out, &err), KR_OK);
	ck_assert_int_eq(symlink(tl_path("elsewhere"), tl_path("out/sub")), 0);
	ck_assert_int_eq(export_two(x, "sub"), KR_EEXIST);
	ck_assert(strstr(err.msg, "symbolic link") != NULL);
	kr_media_export_free(&x);
	ck_assert_int_eq(unlink(tl_path("out/sub")), 0);
	ck_assert_int_eq(access(tl_path("elsewhere/one.pem"), F_OK), -1);
	/* Undone: neither the files nor the sub-folder stay. */
	ck_assert_int_eq(kr_media_export_open(&x, out, &err), KR_OK);
	ck_assert_int_eq(export_two(x, "sub"), KR_OK);
	kr_media_export_undo(x);
	kr_media_export_free(&x);
	ck_assert_int_ne(access(tl_path("out/sub"), F_OK), 0);
	ck_assert_int_eq(rmdir(out), 0);
}
END_TEST

/* A temporary file a killed export left, in the folder or a sub-folder. */
START_TEST(test_export_leftover)
{
	struct kr_media_export	*x = NULL;

	tl_write("out/one.pem.tmp-0123456789abcdef", "x", 1);
	ck_assert_int_eq(kr_media_export_open(&x, out, &err), KR_EEXIST);
	ck_assert_ptr_null(x);
	ck_assert(strstr(err.msg, "an interrupted export left "
	    "one.pem.tmp-0123456789abcdef in ") != NULL);
	ck_assert(strstr(err.msg, "remove it or use an empty folder") != NULL);
	ck_assert_int_eq(unlink(tl_path("out/one.pem.tmp-0123456789abcdef")),
	    0);
	ck_assert_int_eq(mkdir(tl_path("out/sub"), 0700), 0);
	tl_write("out/sub/two.pem.tmp-fedcba9876543210", "x", 1);
	ck_assert_int_eq(kr_media_export_open(&x, out, &err), KR_EEXIST);
	ck_assert(strstr(err.msg, "left sub/two.pem.tmp-fedcba9876543210 in ")
	    != NULL);
	ck_assert_int_eq(unlink(tl_path("out/sub/two.pem.tmp-fedcba9876543210")),
	    0);
	/*
	 * A name that only looks like one (not 16 hex digits) is no
	 * leftover, but the folder is still not empty: refused as such.
	 */
	tl_write("out/sub/notes.tmp-draft", "x", 1);
	ck_assert_int_eq(kr_media_export_open(&x, out, &err), KR_EEXIST);
	ck_assert(strstr(err.msg, "is not empty (it holds sub)") != NULL);
	ck_assert(strstr(err.msg, "interrupted") == NULL);
}
END_TEST

/*
 * A file over the limit is refused by its length, naming it, before a
 * byte is read or staged (so a short buffer stands in for a large one).
 */
START_TEST(test_export_too_large)
{
	struct kr_media_export	*x = NULL;
	char			 want[128];

	ck_assert_int_eq(kr_media_export_open(&x, out, &err), KR_OK);
	ck_assert_int_eq(kr_media_export_add(x, KR_ART_CERTIFICATE, "big.pem",
	    kr_pem_text, KR_MEDIA_EXPORT_FILE_MAX + 1, "{}", &err),
	    KR_EREFUSED);
	(void)snprintf(want, sizeof(want), "big.pem is %zu bytes, more than "
	    "an exported file may be", (size_t)KR_MEDIA_EXPORT_FILE_MAX + 1);
	ck_assert(strstr(err.msg, want) != NULL);
	ck_assert_uint_eq(kr_media_export_count(x), 0);
	kr_media_export_free(&x);
	ck_assert_int_eq(rmdir(out), 0);
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
	tcase_add_test(tc, test_plan_distinct);
	tcase_add_test(tc, test_pem_bound);
	suite_add_tcase(s, tc);
	tc = tcase_create("stream");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tc, stream_setup, NULL);
	tcase_add_test(tc, test_stream_seam);
	tcase_add_test(tc, test_stream_near_miss);
	tcase_add_test(tc, test_stream_label_constants);
	tcase_add_test(tc, test_background);
	tcase_add_test(tc, test_stream_refused_unwritten);
	tcase_add_test(tc, test_stream_abort);
	tcase_add_test(tc, test_stream_commit_syncs);
	tcase_add_test(tc, test_stream_noreplace);
	tcase_add_test(tc, test_stream_allow_list);
	tcase_add_test(tc, test_stream_write_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("scan");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tc, stream_setup, NULL);
	tcase_add_test(tc, test_scan_keys);
	tcase_add_test(tc, test_scan_key_trailing);
	tcase_add_test(tc, test_scan_lookalikes);
	suite_add_tcase(s, tc);
	tc = tcase_create("export");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_export_paths);
	tcase_add_test(tc, test_export_subfolder);
	tcase_add_test(tc, test_export_subfolder_refused);
	tcase_add_test(tc, test_export_leftover);
	tcase_add_test(tc, test_export_too_large);
	suite_add_tcase(s, tc);
	return tl_run(s, NULL);
}
