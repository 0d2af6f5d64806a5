/* --msg: one line per library event. Pure formatting. */
#ifndef CLI_TRACE_H
#define CLI_TRACE_H

#include <stddef.h>

#include "tlsprobe.h"

/* Writes the trace line for ev (no newline) into buf. */
void trace_format(char *buf, size_t len, const struct tp_event *ev);

/* Names of TLS record content types (handshake types: tp_handshake_name). */
const char *trace_content_name(int type);

#endif
