/*
 * A stand-in for libFuzzer's main(), so every fuzz target is built and run
 * in the ordinary test suite: each file named on the command line (and
 * each file in a folder named there) is fed as is, then truncated at
 * every length, then with each byte flipped, then 20000 pseudo-random
 * inputs from a fixed seed.  Crashes and aborts fail
 * the test.  Real fuzzing: meson setup -Dfuzzing=true with clang.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Optional in a target, as in libFuzzer. */
int	LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	seeds;		/* files fed */
static bool	as_is;		/* KEYRITE_SMOKE_AS_IS: replay seeds only */
static uint64_t rng_state = 0x6b657972697465ULL;	/* fixed: repeatable */

static uint8_t
rng_byte(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t)rng_state;
}

static void
feed_mutations(const uint8_t *seed, size_t len)
{
	uint8_t	*buf = malloc(len + 1);
	size_t	 i;

	if (buf == NULL)
		abort();
	for (i = 0; i <= len; i++)
		(void)LLVMFuzzerTestOneInput(seed, i);
	for (i = 0; i < len; i++) {
		memcpy(buf, seed, len);
		buf[i] ^= (uint8_t)(1u << (i % 8));
		(void)LLVMFuzzerTestOneInput(buf, len);
	}
	free(buf);
}

static bool
is_dir(const char *path)
{
	struct stat	st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int	feed_file(const char *);

/* Every file in a seed folder, in name order. */
static int
feed_dir(const char *dir)
{
	struct dirent	**names;
	char		  path[4096];
	int		  i, n, ret = 0;

	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		perror(dir);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			(void)snprintf(path, sizeof(path), "%s/%s", dir,
			    names[i]->d_name);
			ret |= feed_file(path);
			seeds++;
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

static int
feed_file(const char *path)
{
	uint8_t	 buf[65536];
	size_t	 len;
	FILE	*f;

	if (is_dir(path))
		return feed_dir(path);
	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return 1;
	}
	len = fread(buf, 1, sizeof(buf), f);
	(void)fclose(f);
	if (as_is)
		(void)LLVMFuzzerTestOneInput(buf, len);
	else
		feed_mutations(buf, len);
	return 0;
}

int
main(int argc, char **argv)
{
	uint8_t	buf[1024];
	size_t	len;
	int	i, j;

	as_is = getenv("KEYRITE_SMOKE_AS_IS") != NULL;
	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (feed_file(argv[i]) != 0)
			return 1;
		seeds += !is_dir(argv[i]);
	}
	if (as_is)
		return 0;
	for (i = 0; i < 20000; i++) {
		len = rng_byte() | (size_t)(rng_byte() & 3) << 8;
		for (j = 0; j < (int)len; j++)
			buf[j] = rng_byte();
		(void)LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fed %d seed files and 20000 random inputs\n", seeds);
	return 0;
}
