/*
 * The verification log: every failure of a verification, one per line,
 * the first kept apart for the error line. Below everything that records
 * failures (verify.c, ocsp.c), so neither calls the other for it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The last line of a full log: later failures are counted, not kept. */
#define LOG_FULL "(further failures not kept)\n"

void tp_verify_record(struct tp_conn *c, const char *fmt, ...)
{
	char line[TP_VERIFY_LINE_MAX];
	size_t used = strlen(c->verify_log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (c->verify_failures++ == 0)
		snprintf(c->first_verify_error, sizeof(c->first_verify_error),
			 "%s", line);
	if (used + strlen(line) + 2 < sizeof(c->verify_log) - sizeof(LOG_FULL))
		snprintf(c->verify_log + used, sizeof(c->verify_log) - used,
			 "%s\n", line);
	else if (used < sizeof(LOG_FULL) ||
		 strcmp(c->verify_log + used - (sizeof(LOG_FULL) - 1),
			LOG_FULL) != 0)
		/* Room was kept for this: a reader counting failures must
		 * not take the lines shown for all there were. */
		snprintf(c->verify_log + used, sizeof(c->verify_log) - used,
			 "%s", LOG_FULL);
}
