/*
 * CLOCK_MONOTONIC time for deadlines and timed waits, written once: the
 * commands wait on condition variables and poll() with deadlines that a
 * wall clock set back must not stretch.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "common.h"

#define NS_PER_S 1000000000L
#define NS_PER_MS 1000000L

struct timespec cli_mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

int64_t cli_now_ms(void)
{
	struct timespec ts = cli_mono_now();

	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / NS_PER_MS;
}

int cli_remaining_ms(int64_t deadline_ms)
{
	int64_t left;

	if (deadline_ms == 0)
		return -1;
	left = deadline_ms - cli_now_ms();
	if (left < 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

struct timespec cli_ts_add_ms(struct timespec ts, long ms)
{
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * NS_PER_MS;
	if (ts.tv_nsec >= NS_PER_S) {
		ts.tv_sec++;
		ts.tv_nsec -= NS_PER_S;
	}
	return ts;
}

struct timespec cli_mono_after_ms(long ms)
{
	return cli_ts_add_ms(cli_mono_now(), ms);
}

struct timespec cli_real_after_ms(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return cli_ts_add_ms(ts, ms);
}

int cli_ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

long cli_ms_between(const struct timespec *a, const struct timespec *b)
{
	return (long)(b->tv_sec - a->tv_sec) * 1000L +
	       (b->tv_nsec - a->tv_nsec) / NS_PER_MS;
}

void cli_cond_init(pthread_mutex_t *m, pthread_cond_t *cv)
{
	pthread_condattr_t ca;

	pthread_mutex_init(m, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

void cli_cond_destroy(pthread_mutex_t *m, pthread_cond_t *cv)
{
	pthread_cond_destroy(cv);
	pthread_mutex_destroy(m);
}

void cli_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * NS_PER_MS };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}
