/*
 * The one clock of the library: CLOCK_MONOTONIC in milliseconds, for
 * deadlines that a change of the wall clock must not move.
 */
#include <stdint.h>
#include <time.h>

#include "internal.h"

int64_t tp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tp_deadline_in(int ms)
{
	return ms > 0 ? tp_now_ms() + ms : 0;
}

int tp_ms_until(int64_t deadline_ms)
{
	int64_t left;

	if (deadline_ms <= 0)
		return -1;
	left = deadline_ms - tp_now_ms();
	if (left < 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}
