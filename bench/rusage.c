/*
 * rusage: run a command and report "<wall seconds> <peak RSS KiB>", like
 * /usr/bin/time -f '%e %M', for machines without GNU time.  No shell is
 * involved: argv is exec'd directly and stdin/stdout are inherited.
 *
 * usage: rusage [-o FILE] COMMAND [ARGS...]
 * Exit status is the command's (128+signal when killed).
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *out = NULL;
	int a = 1;
	if (a + 1 < argc && !strcmp(argv[a], "-o")) {
		out = argv[a + 1];
		a += 2;
	}
	if (a >= argc) {
		fputs("usage: rusage [-o FILE] COMMAND [ARGS...]\n", stderr);
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("rusage: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[a], argv + a);
		fprintf(stderr, "rusage: %s: %s\n", argv[a], strerror(errno));
		_exit(127);
	}
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("rusage: wait4");
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	FILE *f = out ? fopen(out, "w") : stderr;
	if (!f) {
		perror("rusage: -o");
		return 2;
	}
	/* ru_maxrss is KiB on Linux, as GNU time's %M */
	fprintf(f, "%.3f %ld\n", secs, ru.ru_maxrss);
	if (out)
		fclose(f);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
