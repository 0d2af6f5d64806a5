/* Exit statuses of tlsprobe (documented in tlsprobe(1)), and how library
 * errors map onto them. */
#ifndef CLI_STATUS_H
#define CLI_STATUS_H

#include <stddef.h>

#include "tlsprobe.h"

enum cli_status {
	CLI_OK = 0, /* clean close */
	CLI_EOTHER = 1, /* anything else, local output failure included */
	CLI_EUSAGE = 2, /* bad command line */
	CLI_ECONNECT = 3, /* resolve, refused, unreachable */
	CLI_EHANDSHAKE = 4,
	CLI_EVERIFY = 5, /* certificate verification */
	CLI_EPROTO = 6, /* fatal alert, reset... after the handshake */
	CLI_ETIMEOUT = 7,
	CLI_EEXPECT = 8 /* an :expect not matched in time (expect.h) */
};

/* Exit status for a library error. An alert or I/O error before the
 * first handshake completed is a handshake failure. Pure. */
enum cli_status cli_status_from_errcode(enum tp_errcode e, int handshake_done);

/* The one error line (without "tlsprobe: ") for a library error: adds
 * what the category means when msg does not already say it. Pure. */
void cli_format_error(char *buf, size_t len, enum tp_errcode e,
		      int handshake_done, const char *msg);

#endif
