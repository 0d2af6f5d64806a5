/*
 * bench/measure: runs one command and reports its wall time, CPU time and
 * peak resident memory (wait4 rusage), with microsecond wall resolution
 * (/usr/bin/time -f has only 10 ms).
 *
 * usage: measure -r RESULT [-t SECS] [-H] [-c BYTES -o FILE] -- CMD ARGS...
 *
 *   -r RESULT  append one line to RESULT:
 *              "wall_s user_s sys_s maxrss_kib status bytes"
 *              status is exit:N, signal:N, timeout (killed after SECS), or
 *              done-killed:N (-c: all bytes came, then the command did not
 *              end by itself within 2 s and was killed; N is the signal)
 *   -t SECS    kill the command (SIGKILL) after SECS seconds (default 600)
 *   -H         the command's stdin is a pipe that stays open (no EOF) until
 *              the command ends: a client that must not see end of input
 *   -c BYTES   the command's stdout is a pipe that measure copies to FILE
 *              (-o), counting; wall time stops when BYTES have come (for a
 *              client that never ends by itself, like s_client -ign_eof)
 *
 * Without -c the command's stdout is measure's own. The rusage is the
 * command's own (it has no children of its own here).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out, done_kill, in_grace;
static pid_t child;

static void on_alarm(int sig)
{
	(void)sig;
	if (in_grace)
		done_kill = 1;
	else
		timed_out = 1;
	kill(child, SIGKILL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: measure -r RESULT [-t SECS] [-H] "
			"[-c BYTES -o FILE] -- CMD ARGS...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *result = NULL, *outfile = NULL;
	double limit = 600, t0, tend = 0, tdone = 0;
	long long want = -1, got = 0;
	int hold = 0, opt, inpipe[2] = { -1, -1 }, outpipe[2] = { -1, -1 };
	int outfd = -1, status = 0;
	struct rusage ru;
	pid_t pid;
	char buf[65536];

	while ((opt = getopt(argc, argv, "r:t:Hc:o:")) != -1) {
		switch (opt) {
		case 'r':
			result = optarg;
			break;
		case 't':
			limit = atof(optarg);
			break;
		case 'H':
			hold = 1;
			break;
		case 'c':
			want = atoll(optarg);
			break;
		case 'o':
			outfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (!result || optind >= argc || (want >= 0 && !outfile))
		usage();
	if (hold && pipe(inpipe) < 0)
		return perror("pipe"), 1;
	if (want >= 0) {
		if (pipe2(outpipe, O_CLOEXEC) < 0)
			return perror("pipe"), 1;
		outfd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (outfd < 0)
			return perror(outfile), 1;
	}
	signal(SIGPIPE, SIG_IGN);
	t0 = now();
	pid = fork();
	if (pid < 0)
		return perror("fork"), 1;
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (hold) {
			dup2(inpipe[0], 0);
			close(inpipe[0]);
			close(inpipe[1]);
		}
		if (want >= 0) {
			dup2(outpipe[1], 1);
			close(outfd);
		}
		execvp(argv[optind], argv + optind);
		perror(argv[optind]);
		_exit(127);
	}
	if (hold)
		close(inpipe[0]);
	if (want >= 0)
		close(outpipe[1]);

	child = pid;
	signal(SIGALRM, on_alarm);
	alarm((unsigned)limit);
	while (outpipe[0] >= 0) {
		ssize_t n = read(outpipe[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write(outfd, buf, (size_t)n) != n)
			perror("write");
		got += n;
		if (got >= want && tdone == 0) {
			tdone = now();
			/* all came: the command gets 2 s to end by itself */
			if (!timed_out) {
				in_grace = 1;
				alarm(2);
			}
		}
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR)
			return perror("wait4"), 1;
	}
	tend = now();
	alarm(0);
	if (outfd >= 0)
		close(outfd);

	FILE *f = fopen(result, "a");
	if (!f)
		return perror(result), 1;
	char st[32];
	if (timed_out)
		snprintf(st, sizeof(st), "timeout");
	else if (done_kill)
		snprintf(st, sizeof(st), "done-killed:%d", WTERMSIG(status));
	else if (WIFEXITED(status))
		snprintf(st, sizeof(st), "exit:%d", WEXITSTATUS(status));
	else
		snprintf(st, sizeof(st), "signal:%d", WTERMSIG(status));
	fprintf(f, "%.6f %.6f %.6f %ld %s %lld\n",
		(want >= 0 && tdone > 0 ? tdone : tend) - t0,
		(double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
		ru.ru_maxrss, st, got);
	fclose(f);
	return 0;
}
