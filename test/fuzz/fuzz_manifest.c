/*
 * libFuzzer target for `sign batch` manifests (kr_manifest_load: strict
 * YAML from the release engineer's folder).  The input is written to a
 * scratch file, since the loader reads a path, and loaded twice: with the
 * outputs beside it and into an --out-dir.
 *
 * A loaded manifest has a key, 1 to 1000 images each with both paths,
 * outputs under the output folder; a refusal says why and leaves nothing
 * allocated (LeakSanitizer checks).  Seeds: test/fuzz/seeds/manifest/.
 *
 * TEST-KEY-054 (docs/traceability.md): its smoke run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keyrite/authority.h>

#include "testlib.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_manifest(const struct kr_manifest *m, const char *out_dir)
{
	size_t	i, n = strlen(out_dir);

	if (m->key == NULL || m->nitems == 0 || m->nitems > 1000 ||
	    m->items == NULL)
		abort();
	for (i = 0; i < m->nitems; i++)
		if (m->items[i].in_path == NULL ||
		    m->items[i].out_path == NULL ||
		    strncmp(m->items[i].out_path, out_dir, n) != 0 ||
		    memchr(m->items[i].entry, '\0',
		    sizeof(m->items[i].entry)) == NULL)
			abort();
}

static void
fuzz_load(const char *path, const char *out_dir, const char *want_dir)
{
	struct kr_manifest	m;
	struct kr_err		err;

	kr_err_clear(&err);
	if (kr_manifest_load(path, out_dir, &m, &err) != KR_OK) {
		if (err.msg[0] == '\0' || m.items != NULL || m.doc != NULL ||
		    m.key != NULL)
			abort();
		return;
	}
	check_manifest(&m, want_dir);
	kr_manifest_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char	*path = tl_scratch_put(data, len);

	fuzz_load(path, NULL, path[1] == 'd' ? "/dev/shm" : "/tmp");
	fuzz_load(path, "/nonexistent/out", "/nonexistent/out");
	return 0;
}
