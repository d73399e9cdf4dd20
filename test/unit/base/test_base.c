/*
 * TEST-KEY-014, TEST-KEY-040, TEST-KEY-052 (staged files, temporary names,
 * the file size limit), TEST-KEY-315 (a rename that never replaces, also
 * where the file system lacks RENAME_NOREPLACE and hard links: renameat2
 * and link are wrapped, -Wl,--wrap, to answer as FAT through FUSE does)
 * (docs/traceability.md).
 * Unit tests for base/: errors, buffers, reader, encodings, atomic files,
 * hardening, terminal text.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <keyrite/base.h>

#include "testlib.h"

static const char *tmpdir;

static void
setup(void)
{
	ck_assert_ptr_nonnull(tmpdir = tl_work_begin("base"));
}

static void
teardown(void)
{
	tl_work_end();
}

/* How many names the work folder holds. */
static int
entries(void)
{
	char	 cmd[400], line[64];
	FILE	*f;

	(void)snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", tmpdir);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	(void)pclose(f);
	return atoi(line);
}

START_TEST(test_err)
{
	struct kr_err	e;

	kr_err_clear(&e);
	ck_assert_int_eq(kr_err_set(&e, KR_EAUTH, "custodian '%s'", "bob"),
	    KR_EAUTH);
	ck_assert_str_eq(e.msg, "custodian 'bob'");
	(void)kr_err_prefix(&e, "share %d: ", 3);
	ck_assert_str_eq(e.msg, "share 3: custodian 'bob'");
	ck_assert_int_eq(e.code, KR_EAUTH);
	ck_assert_int_eq(kr_exit_status(KR_OK), 0);
	ck_assert_int_eq(kr_exit_status(KR_EQUORUM), 1);
	ck_assert_int_eq(kr_exit_status(KR_EVERIFY), 1);
	ck_assert_int_eq(kr_exit_status(KR_EUSAGE), 2);
	ck_assert_int_eq(kr_exit_status(KR_EINPUT), 2);
	ck_assert_str_ne(kr_strerror(KR_ECLOCK), "unknown error");
}
END_TEST

/* One "inside that folder" rule for the state folder, intake, manifests. */
START_TEST(test_path_under)
{
	ck_assert(kr_path_under("/srv/ca", "/srv/ca"));
	ck_assert(kr_path_under("/srv/ca/keys/a.sealed", "/srv/ca"));
	ck_assert(!kr_path_under("/srv/ca2/x", "/srv/ca"));
	ck_assert(!kr_path_under("/srv", "/srv/ca"));
	ck_assert(kr_path_under("/anything", "/"));
	ck_assert(!kr_path_under("relative", "/"));
}
END_TEST

START_TEST(test_buf_reader)
{
	struct kr_buf	b;
	struct kr_rd	r;

	kr_buf_init(&b, true);
	kr_buf_put_u8(&b, 0xab);
	kr_buf_put_u16(&b, 0x1234);
	kr_buf_put_u32(&b, 0xdeadbeef);
	kr_buf_put_u64(&b, 0x0102030405060708ULL);
	for (int i = 0; i < 1000; i++)
		kr_buf_put(&b, "x", 1);
	ck_assert_int_eq(kr_buf_status(&b, NULL), KR_OK);
	ck_assert_uint_eq(b.len, 1 + 2 + 4 + 8 + 1000);
	kr_rd_init(&r, b.p, b.len);
	ck_assert_uint_eq(kr_rd_u8(&r), 0xab);
	ck_assert_uint_eq(kr_rd_u16(&r), 0x1234);
	ck_assert_uint_eq(kr_rd_u32(&r), 0xdeadbeef);
	ck_assert(kr_rd_u64(&r) == 0x0102030405060708ULL);
	ck_assert_ptr_nonnull(kr_rd_bytes(&r, 1000));
	ck_assert(!r.bad);
	ck_assert_uint_eq(kr_rd_left(&r), 0);
	ck_assert_uint_eq(kr_rd_u8(&r), 0);
	ck_assert(r.bad);
	kr_buf_free(&b);
	ck_assert_ptr_null(b.p);
}
END_TEST

/* Fingerprints as openssl prints them, grouped on lines for reading aloud. */
START_TEST(test_hex_colons)
{
	static const uint8_t	in[] = { 0x00, 0x0a, 0xff, 0x7f, 0x10 };
	char			out[KR_HEX_COLONS_BYTES(5, 2)];
	char			small[8];

	ck_assert(kr_hex_colons(out, sizeof(out), in, sizeof(in), 0, ""));
	ck_assert_str_eq(out, "00:0A:FF:7F:10");
	ck_assert(kr_hex_colons(out, sizeof(out), in, sizeof(in), 2, "  "));
	ck_assert_str_eq(out, "00:0A\n  FF:7F\n  10");
	ck_assert(kr_hex_colons(out, sizeof(out), in, 0, 2, "  "));
	ck_assert_str_eq(out, "");
	ck_assert(!kr_hex_colons(small, sizeof(small), in, sizeof(in), 0, ""));
	ck_assert_str_eq(small, "");
}
END_TEST

START_TEST(test_hex_base64_pem)
{
	const uint8_t	 in[] = { 0x00, 0x01, 0xfe, 0xff, 0x42 };
	uint8_t		 out[5], *dec;
	char		 hex[11], *b64, *pem;
	size_t		 len;

	kr_hex_encode(hex, in, sizeof(in));
	ck_assert_str_eq(hex, "0001feff42");
	ck_assert_int_eq(kr_hex_decode(out, sizeof(out), hex), KR_OK);
	ck_assert_mem_eq(out, in, sizeof(in));
	ck_assert_int_ne(kr_hex_decode(out, sizeof(out), "0001feff4"), KR_OK);
	ck_assert_int_ne(kr_hex_decode(out, sizeof(out), "0001feff4g"), KR_OK);
	b64 = kr_base64_encode(in, sizeof(in));
	ck_assert_str_eq(b64, "AAH+/0I=");
	ck_assert_int_eq(kr_base64_decode(b64, strlen(b64), &dec, &len), KR_OK);
	ck_assert_uint_eq(len, sizeof(in));
	ck_assert_mem_eq(dec, in, len);
	free(dec);
	ck_assert_int_ne(kr_base64_decode("AA$=", 4, &dec, &len), KR_OK);
	pem = kr_pem_encode("PUBLIC KEY", in, sizeof(in));
	ck_assert_str_eq(pem, "-----BEGIN PUBLIC KEY-----\nAAH+/0I=\n"
	    "-----END PUBLIC KEY-----\n");
	ck_assert_int_eq(kr_pem_decode("PUBLIC KEY", pem, strlen(pem), &dec,
	    &len), KR_OK);
	ck_assert_mem_eq(dec, in, sizeof(in));
	free(dec);
	ck_assert_int_eq(kr_pem_decode("CERTIFICATE", pem, strlen(pem), &dec,
	    &len), KR_ENOENT);
	pem[strlen(pem) - 5] = 'X';
	ck_assert_int_eq(kr_pem_decode("PUBLIC KEY", pem, strlen(pem), &dec,
	    &len), KR_EINPUT);
	free(pem);
	free(b64);
}
END_TEST

START_TEST(test_file_write_read)
{
	struct kr_err	 e;
	struct stat	 st;
	char		*p, *q;
	uint8_t		*data;
	size_t		 len;

	p = kr_path_join(tmpdir, "a.bin");
	ck_assert_int_eq(kr_file_write(p, "hello", 5, 0, &e), KR_OK);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(kr_file_read(p, 100, false, &data, &len, &e), KR_OK);
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(data, "hello", 5);
	free(data);
	/* Replace allowed by default, refused with NOREPLACE. */
	ck_assert_int_eq(kr_file_write(p, "bye", 3, 0, &e), KR_OK);
	ck_assert_int_eq(kr_file_write(p, "x", 1, KR_FILE_NOREPLACE, &e),
	    KR_EEXIST);
	ck_assert_ptr_nonnull(strstr(e.msg, "a.bin"));
	ck_assert_int_eq(kr_file_read(p, 100, true, &data, &len, &e), KR_OK);
	ck_assert_mem_eq(data, "bye", 3);
	kr_secure_free(data);
	/* Size limit and symlinks. */
	ck_assert_int_eq(kr_file_read(p, 2, false, &data, &len, &e), KR_EINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "more than"));
	q = kr_path_join(tmpdir, "link");
	ck_assert_int_eq(symlink(p, q), 0);
	ck_assert_int_ne(kr_file_read(q, 100, false, &data, &len, &e), KR_OK);
	ck_assert_ptr_nonnull(strstr(e.msg, "symbolic link"));
	/* Writing through a symlink does not follow it. */
	ck_assert_int_eq(kr_file_write(q, "zz", 2, KR_FILE_NOREPLACE, &e),
	    KR_EEXIST);
	/* Shred removes the file. */
	ck_assert_int_eq(kr_file_shred(p, &e), KR_OK);
	ck_assert(!kr_path_exists(p));
	free(p);
	free(q);
}
END_TEST

START_TEST(test_file_no_leftovers)
{
	struct kr_err	 e;
	char		*p;

	p = kr_path_join(tmpdir, "missing/x");
	ck_assert_int_ne(kr_file_write(p, "x", 1, 0, &e), KR_OK);
	ck_assert_ptr_nonnull(strstr(e.msg, "missing/x"));
	free(p);
	ck_assert_int_eq(entries(), 0);
}
END_TEST

START_TEST(test_file_stage_place)
{
	struct kr_file_out	 o;
	struct kr_err		 e;
	uint8_t			*data;
	size_t			 len, stem;
	char			*p, *tmp;

	ck_assert(kr_file_tmp_name("a.share.tmp-0123456789abcdef", &stem));
	ck_assert_uint_eq(stem, strlen("a.share"));
	ck_assert(!kr_file_tmp_name("a.tmp-0123456789abcdeg", NULL));
	ck_assert(!kr_file_tmp_name("a.tmp-0123456789ABCDEF", NULL));
	ck_assert(!kr_file_tmp_name("a.tmp-0123", NULL));
	ck_assert(!kr_file_tmp_name(".tmp-0123456789abcdef", NULL));
	/* Staged: under a temporary name until placed, never over a file. */
	p = kr_path_join(tmpdir, "k.sealed");
	ck_assert_int_eq(kr_file_stage(p, "sealed", 6, &tmp, &e), KR_OK);
	ck_assert(kr_file_tmp_name(strrchr(tmp, '/') + 1, &stem));
	ck_assert_uint_eq(stem, strlen("k.sealed"));
	ck_assert(!kr_path_exists(p) && kr_path_exists(tmp));
	ck_assert_int_eq(kr_file_place(tmp, p, &e), KR_OK);
	ck_assert(kr_path_exists(p) && !kr_path_exists(tmp));
	ck_assert_int_eq(kr_file_read(p, 100, false, &data, &len, &e), KR_OK);
	ck_assert(len == 6 && memcmp(data, "sealed", 6) == 0);
	free(data);
	free(tmp);
	ck_assert_int_eq(kr_file_stage(p, "other", 5, &tmp, &e), KR_OK);
	ck_assert_int_eq(kr_file_place(tmp, p, &e), KR_EEXIST);
	ck_assert_int_eq(unlink(tmp), 0);
	free(tmp);
	ck_assert_int_eq(entries(), 1);
	/* A new output has no name while it is written, nor after an abort. */
	free(p);
	p = kr_path_join(tmpdir, "out.bin");
	ck_assert_int_eq(kr_file_out_open(&o, p, KR_FILE_NOREPLACE, &e), KR_OK);
	ck_assert_int_eq(kr_file_out_write(&o, "abc", 3, &e), KR_OK);
	ck_assert_int_eq(entries(), 1);
	kr_file_out_abort(&o);
	ck_assert_int_eq(entries(), 1);
	ck_assert_int_eq(kr_file_out_open(&o, p, KR_FILE_NOREPLACE, &e), KR_OK);
	ck_assert_int_eq(kr_file_out_write(&o, "abc", 3, &e), KR_OK);
	ck_assert_int_eq(kr_file_out_commit(&o, &e), KR_OK);
	ck_assert_int_eq(entries(), 2);
	ck_assert_int_eq(kr_file_write(p, "x", 1, KR_FILE_NOREPLACE, &e),
	    KR_EEXIST);
	ck_assert_int_eq(entries(), 2);
	free(p);
}
END_TEST

START_TEST(test_file_size_limit)
{
	struct rlimit	 rl = { 4096, 4096 };
	struct kr_err	 e;
	static uint8_t	 big[10000];
	char		*p, *tmp;

	(void)signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	p = kr_path_join(tmpdir, "big");
	ck_assert_int_eq(kr_file_write(p, big, sizeof(big), KR_FILE_NOREPLACE,
	    &e), KR_EIO);
	ck_assert_ptr_nonnull(strstr(e.msg, "ulimit -f"));
	ck_assert_int_eq(kr_file_write(p, big, sizeof(big), 0, &e), KR_EIO);
	ck_assert_int_eq(kr_file_stage(p, big, sizeof(big), &tmp, &e), KR_EIO);
	ck_assert_ptr_null(tmp);
	ck_assert_int_eq(entries(), 0);
	free(p);
}
END_TEST

/*
 * A write of more than 8 MiB goes around the page cache where it can, an
 * aligned chunk at a time, and its tail the usual way: the bytes read
 * back are the bytes given, from any address, staged or not; a size
 * limit hit on the way is reported as any other and leaves nothing.
 */
START_TEST(test_file_write_large)
{
	struct rlimit	 rl = { 1 << 20, 1 << 20 };
	struct kr_err	 e;
	const size_t	 n = ((size_t)9 << 20) + 4097;
	uint8_t		*big, *data;
	size_t		 i, len;
	char		*p, *tmp;

	ck_assert_ptr_nonnull(big = malloc(n + 1));
	for (i = 0; i < n + 1; i++)
		big[i] = (uint8_t)(i * 131 + (i >> 12));
	p = kr_path_join(tmpdir, "big");
	/* big + 1: the bytes do not start on any boundary. */
	ck_assert_int_eq(kr_file_write(p, big + 1, n, KR_FILE_NOREPLACE, &e),
	    KR_OK);
	ck_assert_int_eq(kr_file_read(p, n, false, &data, &len, &e), KR_OK);
	ck_assert(len == n && memcmp(data, big + 1, n) == 0);
	free(data);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(kr_file_stage(p, big, n, &tmp, &e), KR_OK);
	ck_assert_int_eq(kr_file_place(tmp, p, &e), KR_OK);
	free(tmp);
	ck_assert_int_eq(kr_file_read(p, n, false, &data, &len, &e), KR_OK);
	ck_assert(len == n && memcmp(data, big, n) == 0);
	free(data);
	ck_assert_int_eq(unlink(p), 0);
	(void)signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	ck_assert_int_eq(kr_file_write(p, big, n, KR_FILE_NOREPLACE, &e),
	    KR_EIO);
	ck_assert_ptr_nonnull(strstr(e.msg, "ulimit -f"));
	ck_assert_int_eq(kr_file_stage(p, big, n, &tmp, &e), KR_EIO);
	ck_assert_ptr_null(tmp);
	ck_assert_int_eq(entries(), 0);
	free(p);
	free(big);
}
END_TEST

START_TEST(test_secure_memory)
{
	uint8_t	*p = kr_secure_alloc(64);

	ck_assert_ptr_nonnull(p);
	for (int i = 0; i < 64; i++)
		ck_assert_uint_eq(p[i], 0);
	memset(p, 0x5a, 64);
	ck_assert(kr_ct_equal(p, p, 64));
	kr_wipe(p, 32);
	ck_assert_uint_eq(p[0], 0);
	ck_assert_uint_eq(p[40], 0x5a);
	kr_secure_free(p);
	kr_secure_free(NULL);
}
END_TEST

START_TEST(test_harden)
{
	struct kr_hardening	h;
	struct kr_err		e;
	struct rlimit		rl;

	ck_assert_int_eq(kr_harden_process(&h, &e), KR_OK);
	ck_assert(h.core_off && h.nondumpable);
	ck_assert_int_eq(getrlimit(RLIMIT_CORE, &rl), 0);
	ck_assert_uint_eq(rl.rlim_cur, 0);
	ck_assert_int_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	ck_assert_uint_eq(umask(077), 077);
	if (!h.locked)
		ck_assert_uint_gt(strlen(h.warning), 20);
}
END_TEST

/* An array of objects for kr_json_raw: [] when empty, the objects in order. */
/* TEST-KEY-473 (with KR_TEXT_JSON in test_text_escape). */
START_TEST(test_json_list)
{
	struct kr_json	 j, o;
	struct kr_buf	 l;

	kr_buf_init(&l, false);
	ck_assert_str_eq(kr_json_list_end(&l), "[]");
	kr_buf_free(&l);
	kr_buf_init(&l, false);
	kr_json_begin(&o);
	kr_json_int(&o, "a", 1);
	kr_json_list_add(&l, &o);
	kr_json_begin(&o);
	kr_json_bool(&o, "b", true);
	kr_json_bool(&o, "c", false);
	kr_json_list_add(&l, &o);
	kr_json_begin(&j);
	kr_json_raw(&j, "list", kr_json_list_end(&l));
	ck_assert_str_eq(kr_json_end(&j),
	    "{\"list\":[{\"a\":1},{\"b\":true,\"c\":false}]}");
	kr_json_free(&j);
	kr_buf_free(&l);
}
END_TEST

START_TEST(test_time)
{
	char	s[KR_TIME_STR_BYTES];

	kr_time_format(0, s);
	ck_assert_str_eq(s, "1970-01-01T00:00:00Z");
	kr_time_format(1795426500, s);
	ck_assert_str_eq(s, "2026-11-23T09:35:00Z");
}
END_TEST

/* kr_time_parse reads back what kr_time_format writes, and real days only. */
START_TEST(test_time_parse)
{
	int64_t	t = -1;

	ck_assert(kr_time_parse("2026-11-23T09:35:00Z", KR_TIME_SECOND, &t));
	ck_assert_int_eq(t, 1795426500);
	ck_assert(kr_time_parse("2026-11-23", KR_TIME_DAY, &t));
	ck_assert_int_eq(t, 1795392000);
	ck_assert(!kr_time_parse("2026-11-23", KR_TIME_SECOND, &t));
	ck_assert(!kr_time_parse("2026-11-23T09:35:00Z", KR_TIME_DAY, &t));
	ck_assert(!kr_time_parse("2026-02-30", KR_TIME_DAY, &t));
	ck_assert(!kr_time_parse("2026-11-23T24:00:00Z", KR_TIME_SECOND, &t));
	ck_assert(!kr_time_parse("1969-12-31", KR_TIME_DAY, &t));
	ck_assert(!kr_time_parse("2026-11-23 09:35:00", KR_TIME_DAY |
	    KR_TIME_SECOND, &t));
	ck_assert(!kr_time_parse("", KR_TIME_DAY, &t));
}
END_TEST

/*
 * TEST-KEY-478: kr_size_parse, the one reader of sizes and addresses (the
 * options and `sign batch` manifests): decimal or 0x hex as imgtool takes
 * them, up to 0xffffffff; the value untouched when refused.
 */
START_TEST(test_size_parse)
{
	static const char *const bad[] = {
		"", "0x", "0X", "x10", "-1", "+1", "-0x10", " 512", "512 ",
		"512k", "0x1g", "0x 10", "0b101", "1e3", "0x100000000",
		"4294967296", "99999999999999999999", "0x0000000100000000",
		"12\n", NULL
	};
	uint32_t	v;
	size_t		i;

	ck_assert(kr_size_parse("512", &v) && v == 512);
	ck_assert(kr_size_parse("0x200", &v) && v == 0x200);
	ck_assert(kr_size_parse("0X40000", &v) && v == 0x40000);
	ck_assert(kr_size_parse("0xaBcD", &v) && v == 0xabcd);
	ck_assert(kr_size_parse("0", &v) && v == 0);
	ck_assert(kr_size_parse("0x0", &v) && v == 0);
	ck_assert(kr_size_parse("007", &v) && v == 7);
	ck_assert(kr_size_parse("4294967295", &v) && v == UINT32_MAX);
	ck_assert(kr_size_parse("0xffffffff", &v) && v == UINT32_MAX);
	ck_assert(kr_size_parse("0x00000000ffffffff", &v) && v == UINT32_MAX);
	for (i = 0; bad[i] != NULL; i++) {
		v = 77;
		ck_assert_msg(!kr_size_parse(bad[i], &v), "'%s' read", bad[i]);
		ck_assert_uint_eq(v, 77);
	}
}
END_TEST

/* TEST-KEY-040: the one terminal-escaping function. */
static const struct {
	const char	*in;
	unsigned	 flags;
	const char	*out;
} text_cases[] = {
	{ "plain ASCII, M\xc3\xbcller, \xe6\x9d\xb1\xe4\xba\xac", 0,
	    "plain ASCII, M\xc3\xbcller, \xe6\x9d\xb1\xe4\xba\xac" },
	{ "a\x1b[2Jb", 0, "a\\x1b[2Jb" },
	{ "bell\a del\x7f nul-less\x01", 0, "bell\\x07 del\\x7f nul-less\\x01" },
	{ "c1 \xc2\x9b csi, \xc2\x85 nel", 0, "c1 \\u009b csi, \\u0085 nel" },
	{ "\xe2\x80\xaegnp.exe", 0, "\\u202egnp.exe" },
	{ "iso \xe2\x81\xa6x\xe2\x81\xa9", 0, "iso \\u2066x\\u2069" },
	{ "lre\xe2\x80\xaa pdf\xe2\x80\xac", 0, "lre\\u202a pdf\\u202c" },
	{ "zw\xe2\x80\x8bsp \xef\xbb\xbf", 0, "zw\\u200bsp \\ufeff" },
	{ "tag \xf3\xa0\x80\x81", 0, "tag \\U000e0001" },
	{ "bad \xff\xc0\xaf \xed\xa0\x80", 0,
	    "bad \\xff\\xc0\\xaf \\xed\\xa0\\x80" },
	{ "cut \xe2\x80", 0, "cut \\xe2\\x80" },
	{ "two\nlines\tand\rcr", 0, "two\\x0alines\\x09and\\x0dcr" },
	{ "two\nlines\tand\rcr", KR_TEXT_LINES, "two\nlines\tand\\x0dcr" },
	{ "back\\slash \\x1b stays", 0, "back\\slash \\x1b stays" },
	{ "", 0, "" },
	/* KR_TEXT_JSON: JSON's own escapes, so --json output stays JSON */
	{ "\xe2\x80\xaegnp \xc2\x9b", KR_TEXT_JSON, "\\u202egnp \\u009b" },
	{ "tag \xf3\xa0\x80\x81", KR_TEXT_JSON, "tag \\udb40\\udc01" },
	{ "bad \xff\xc0", KR_TEXT_JSON, "bad \\ufffd\\ufffd" },
	{ "{\"a\":1,\n\"b\":\"\\u001b\"}\tM\xc3\xbcller",
	    KR_TEXT_JSON | KR_TEXT_LINES, "{\"a\":1,\n\"b\":\"\\u001b\"}\\u0009M\xc3\xbcller" },
	/* KR_TEXT_ASCII: a terminal that is not UTF-8 (the console) */
	{ "CN=Z\xc3\xbcrich \xe6\x9d\xb1 \xf0\x9f\x94\x91\x1b", KR_TEXT_ASCII,
	    "CN=Z\\u00fcrich \\u6771 \\U0001f511\\x1b" },
};

START_TEST(test_text_escape)
{
	char		 out[256], *dup, *again;
	struct kr_buf	 b;
	size_t		 i;

	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		kr_text_escape_str(out, sizeof(out), text_cases[i].in,
		    text_cases[i].flags);
		ck_assert_str_eq(out, text_cases[i].out);
		dup = kr_text_escape_dup(text_cases[i].in,
		    text_cases[i].flags);
		ck_assert_ptr_nonnull(dup);
		ck_assert_str_eq(dup, text_cases[i].out);
		/* idempotent: escaped text escapes to itself */
		again = kr_text_escape_dup(dup, text_cases[i].flags);
		ck_assert_str_eq(again, dup);
		ck_assert(kr_text_safe(dup, strlen(dup), text_cases[i].flags));
		ck_assert(kr_text_safe(text_cases[i].in,
		    strlen(text_cases[i].in), text_cases[i].flags) ==
		    (strcmp(text_cases[i].in, text_cases[i].out) == 0));
		free(dup);
		free(again);
		kr_buf_init(&b, false);
		kr_text_escape(&b, text_cases[i].in, strlen(text_cases[i].in),
		    text_cases[i].flags);
		ck_assert_uint_eq(b.len, strlen(text_cases[i].out));
		ck_assert(b.len == 0 ||
		    memcmp(b.p, text_cases[i].out, b.len) == 0);
		kr_buf_free(&b);
	}
}
END_TEST

/* No byte below 0x20 (but \n, \t when kept), no DEL, no C1, ever. */
START_TEST(test_text_escape_all_bytes)
{
	char		 in[4], out[64];
	unsigned	 a, b;
	size_t		 k;

	for (a = 1; a < 256; a++)
		for (b = 1; b < 256; b += 7) {
			in[0] = (char)a;
			in[1] = (char)b;
			in[2] = (char)0x9b;
			in[3] = '\0';
			kr_text_escape_str(out, sizeof(out), in, KR_TEXT_LINES);
			for (k = 0; out[k] != '\0'; k++) {
				unsigned char c = (unsigned char)out[k];

				ck_assert(c >= 0x20 || c == '\n' || c == '\t');
				ck_assert(c != 0x7f);
			}
		}
}
END_TEST

/* Truncation keeps whole units, never half an escape. */
START_TEST(test_text_escape_truncate)
{
	char	out[8];

	kr_text_escape_str(out, sizeof(out), "ab\x1b\x1b", 0);
	ck_assert_str_eq(out, "ab\\x1b");
	kr_text_escape_str(out, sizeof(out), "\xe2\x80\xae", 0);
	ck_assert_str_eq(out, "\\u202e");
	kr_text_escape_str(out, 1, "abc", 0);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_code_points)
{
	uint32_t	cp;

	ck_assert_uint_eq(kr_utf8_decode((const uint8_t *)"\xe2\x80\xae", 3,
	    &cp), 3);
	ck_assert_uint_eq(cp, 0x202e);
	ck_assert_uint_eq(kr_utf8_decode((const uint8_t *)"\xc0\x80", 2, &cp),
	    0);
	ck_assert_uint_eq(kr_utf8_decode((const uint8_t *)"\xf4\x90\x80\x80",
	    4, &cp), 0);
	ck_assert(kr_cp_is_control(0x00) && kr_cp_is_control(0x1f) &&
	    kr_cp_is_control(0x7f) && kr_cp_is_control(0x80) &&
	    kr_cp_is_control(0x9f) && !kr_cp_is_control(0xa0) &&
	    !kr_cp_is_control(' '));
	ck_assert(kr_cp_is_bidi_control(0x202a) &&
	    kr_cp_is_bidi_control(0x202e) && kr_cp_is_bidi_control(0x2066) &&
	    kr_cp_is_bidi_control(0x2069) && !kr_cp_is_bidi_control(0x2029) &&
	    !kr_cp_is_bidi_control(0x206a));
	ck_assert(kr_cp_printable(0xe9) && kr_cp_printable(0x6771) &&
	    !kr_cp_printable(0x200f) && !kr_cp_printable(0xad));
}

/* What a worker thread's signal mask holds. */
static void *
mask_of_worker(void *arg)
{
	(void)pthread_sigmask(SIG_BLOCK, NULL, (sigset_t *)arg);
	return NULL;
}

/*
 * A worker started by kr_thread_start takes no signal (Ctrl-C must reach
 * the main thread, which holds it across a record); the caller's own
 * mask is left as it was.
 */
START_TEST(test_thread_start_no_signals)
{
	sigset_t	in_worker, before, after;
	pthread_t	tid;

	(void)pthread_sigmask(SIG_BLOCK, NULL, &before);
	ck_assert(!sigismember(&before, SIGINT));
	ck_assert(kr_thread_start(&tid, mask_of_worker, &in_worker));
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
	ck_assert(sigismember(&in_worker, SIGINT));
	ck_assert(sigismember(&in_worker, SIGTERM));
	ck_assert(sigismember(&in_worker, SIGHUP));
	(void)pthread_sigmask(SIG_BLOCK, NULL, &after);
	ck_assert(!sigismember(&after, SIGINT));
}
END_TEST

END_TEST

/* As FAT through FUSE answers: no RENAME_NOREPLACE, no hard links. */
static int	no_noreplace;

int	__real_renameat2(int, const char *, int, const char *, unsigned);
int	__wrap_renameat2(int, const char *, int, const char *, unsigned);
int	__real_link(const char *, const char *);
int	__wrap_link(const char *, const char *);

int
__wrap_renameat2(int a, const char *from, int b, const char *to,
    unsigned flags)
{
	if (no_noreplace && flags != 0) {
		errno = EINVAL;
		return -1;
	}
	return __real_renameat2(a, from, b, to, flags);
}

int
__wrap_link(const char *from, const char *to)
{
	if (no_noreplace) {
		errno = EPERM;
		return -1;
	}
	return __real_link(from, to);
}

/* Renames a file and a folder; never over a file or folder there. */
static void
rename_cases(void)
{
	uint8_t	*got;
	size_t	 len;

	tl_write("a", "one", 3);
	ck_assert_int_eq(kr_rename_noreplace(tl_path("a"), tl_path("b")), 0);
	ck_assert_int_ne(access(tl_path("a"), F_OK), 0);
	got = tl_read("b", &len);
	ck_assert(len == 3 && memcmp(got, "one", 3) == 0);
	free(got);
	tl_write("c", "two", 3);
	ck_assert_int_eq(kr_rename_noreplace(tl_path("c"), tl_path("b")), -1);
	ck_assert_int_eq(errno, EEXIST);
	got = tl_read("b", &len);
	ck_assert(len == 3 && memcmp(got, "one", 3) == 0);
	free(got);
	ck_assert_int_eq(access(tl_path("c"), F_OK), 0);
	ck_assert_int_eq(mkdir(tl_path("d"), 0700), 0);
	ck_assert_int_eq(mkdir(tl_path("e"), 0700), 0);
	ck_assert_int_eq(kr_rename_noreplace(tl_path("d"), tl_path("e")), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(kr_rename_noreplace(tl_path("d"), tl_path("f")), 0);
	ck_assert_int_eq(access(tl_path("f"), F_OK), 0);
}

START_TEST(test_rename_noreplace)
{
	struct kr_err	 err;
	char		*tmp;

	no_noreplace = 0;
	rename_cases();
	/* The same with renameat2 refusing the flag and no hard links. */
	no_noreplace = 1;
	(void)rmdir(tl_path("f"));
	(void)rmdir(tl_path("e"));
	(void)unlink(tl_path("b"));
	(void)unlink(tl_path("c"));
	rename_cases();
	/* A staged file placed; never over one that appeared meanwhile. */
	ck_assert_int_eq(kr_file_stage(tl_path("g"), "x", 1, &tmp, &err),
	    KR_OK);
	ck_assert_int_eq(kr_file_place(tmp, tl_path("g"), &err), KR_OK);
	free(tmp);
	ck_assert_int_eq(kr_file_stage(tl_path("h"), "y", 1, &tmp, &err),
	    KR_OK);
	tl_write("h", "z", 1);
	ck_assert_int_eq(kr_file_place(tmp, tl_path("h"), &err), KR_EEXIST);
	(void)unlink(tmp);
	free(tmp);
	no_noreplace = 0;
}
END_TEST

static Suite *
base_suite(void)
{
	Suite	*s = suite_create("base");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_err);
	tcase_add_test(tc, test_path_under);
	tcase_add_test(tc, test_buf_reader);
	tcase_add_test(tc, test_hex_base64_pem);
	tcase_add_test(tc, test_hex_colons);
	tcase_add_test(tc, test_file_write_read);
	tcase_add_test(tc, test_file_no_leftovers);
	tcase_add_test(tc, test_file_stage_place);
	tcase_add_test(tc, test_file_size_limit);
	tcase_add_test(tc, test_file_write_large);
	tcase_add_test(tc, test_secure_memory);
	tcase_add_test(tc, test_harden);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_json_list);
	tcase_add_test(tc, test_time_parse);
	tcase_add_test(tc, test_size_parse);
	tcase_add_test(tc, test_text_escape);
	tcase_add_test(tc, test_text_escape_all_bytes);
	tcase_add_test(tc, test_text_escape_truncate);
	tcase_add_test(tc, test_code_points);
	tcase_add_test(tc, test_thread_start_no_signals);
	tcase_add_test(tc, test_rename_noreplace);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(base_suite(), NULL);
}
