/*
 * proctime.c - the wall time of whole processes, for bench/doors.sh.
 *
 *   proctime N CMD [ARG...]
 *
 * Starts CMD N times, one after the other (posix_spawn, stdin and stdout
 * and stderr on /dev/null, wait for its exit), each timed on
 * CLOCK_MONOTONIC from just before the spawn to just after the wait, and
 * prints "MEDIAN_MS MEAN_MS MIN_MS FAILED": what a caller such as git's
 * pre-commit hook or a CI step pays per file.  A failed start or a
 * non-zero exit counts in FAILED (the time still counts: lockstep check
 * exits 1 on a policy failure by design).
 *
 *   proctime --noop | --idle
 *
 * A libc-only program that exits at once (the reference for a process
 * start) or sleeps until killed (the reference for the agent's idle
 * memory).
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_RUNS 100000

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One run of argv; its wall time in *ms; 0 when it exited 0. */
static int
run_once(char **argv, double *ms)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = 0, rc;
	double t0;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
	t0 = now_ms();
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	if (rc == 0)
		while (waitpid(pid, &st, 0) < 0)
			;
	*ms = now_ms() - t0;
	posix_spawn_file_actions_destroy(&fa);
	return rc != 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0;
}

int
main(int argc, char **argv)
{
	double *t, sum = 0;
	long n, i, failed = 0;

	if (argc == 2 && strcmp(argv[1], "--noop") == 0)
		return 0;
	if (argc == 2 && strcmp(argv[1], "--idle") == 0) {
		for (;;)
			pause();
	}
	if (argc < 3 || (n = strtol(argv[1], NULL, 10)) < 1 || n > MAX_RUNS) {
		fprintf(stderr,
		    "usage: proctime N CMD [ARG...] | --noop | --idle\n");
		return 2;
	}
	if ((t = calloc((size_t)n, sizeof(*t))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		failed += run_once(argv + 2, &t[i]);
		sum += t[i];
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%.3f %.3f %.3f %ld\n", t[n / 2], sum / (double)n, t[0], failed);
	free(t);
	return 0;
}
