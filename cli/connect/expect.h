/*
 * Script commands: ":expect REGEX" waits until the peer's data since the
 * last match matches, ":sleep SECS" pauses; both run on the input thread
 * (the stdin thread with --commands, or the readline thread).
 *
 * The reader thread appends what it receives to a window (expect_feed);
 * the waiting input thread matches it under s->mtx and sleeps on s->cv,
 * which the reader broadcasts when data arrives while someone waits, and
 * session_end broadcasts when the run ends. The window keeps the last
 * EXPECT_WINDOW bytes not yet consumed by a match; a match consumes the
 * data up to its end, as in expect(1), so the same reply cannot satisfy
 * the next :expect.
 *
 * Patterns are POSIX extended regular expressions matched with
 * REG_NEWLINE (^ and $ at every line, '.' within a line); "\n", "\r" and
 * "\t" in a pattern stand for those characters, so a pattern can span
 * lines. A CR before LF in the data is dropped for matching, so "OK$"
 * matches "OK\r\n".
 */
#ifndef CLI_EXPECT_H
#define CLI_EXPECT_H

#include <regex.h>
#include <stddef.h>

#include "session.h"

/* Unconsumed peer data kept for matching, in bytes. */
#define EXPECT_WINDOW 65536

/* Allocates s->expect; 0 or -1. expect_free(NULL state) is fine. */
int expect_init(struct session *s);
void expect_free(struct session *s);

/* Reader thread: peer application data arrived. */
void expect_feed(struct session *s, const char *buf, size_t len);

/* Compiles pattern[0..len) after turning \n, \r, \t into those
 * characters. 0, or the regcomp error with its text in err. Pure. */
int expect_compile(regex_t *re, const char *pattern, size_t len, char *err,
		   size_t errlen);

/* Input thread: waits until re matches the window, at most
 * opt->expect_timeout seconds. 0: matched; -1: the run has ended (it was
 * over, or the expectation failed: exit status 8, the error line names
 * pattern and the last line received). */
int expect_wait(struct session *s, const regex_t *re, const char *pattern);

/* Input thread: pauses ms milliseconds, or until the run ends (-1). */
int expect_sleep(struct session *s, long ms);

#endif
