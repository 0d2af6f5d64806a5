/*
 * Pure parsers for the command line and the in-band protocol: no globals,
 * no I/O, no allocation, so unit tests and fuzzers can call them directly.
 */
#ifndef CLI_PARSE_H
#define CLI_PARSE_H

#include <stddef.h>

#include "tlsprobe.h"

#define CLI_HOST_MAX 256
#define CLI_PORT_MAX 6
#define CLI_DEFAULT_PORT "443"

struct cli_hostport {
	char host[CLI_HOST_MAX]; /* without brackets for IPv6 literals */
	char port[CLI_PORT_MAX]; /* decimal, 1-65535 */
};

/*
 * Splits "HOST", "HOST:PORT", "[V6]", "[V6]:PORT" or a bare IPv6 literal
 * ("::1", taken as a host with the default port). Returns 0, or -1 with a
 * message in err (errlen bytes, always NUL-terminated).
 */
int cli_parse_hostport(const char *s, struct cli_hostport *out, char *err,
		       size_t errlen);

/*
 * Parses a decimal integer in [min, max]: digits only, no sign, no spaces.
 * Returns 0 and sets *out, or -1.
 */
int cli_parse_uint(const char *s, long min, long max, long *out);

/* "1.0" .. "1.3", "tls1.2", "TLSv1.2", "tls1_2", "tls12" (any case).
 * Returns TP_VERSION_ANY when s is none of these. */
enum tp_version cli_parse_version(const char *s);

/*
 * Converts LF to CRLF from in (n bytes) into out, which must hold 2 * n
 * bytes. *prev_cr carries "the previous byte was CR" across calls, so an
 * existing CRLF is left alone even when split between two chunks.
 * Returns the number of bytes written to out.
 */
size_t cli_crlf_convert(const char *in, size_t n, char *out, int *prev_cr);

#endif
