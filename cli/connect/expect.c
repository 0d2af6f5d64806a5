/* :expect and :sleep; see connect.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connect.h"

/* Data before the unconsumed part kept when the window is compacted, so
 * that an error can still quote the last line received. */
#define KEEP_BEFORE 512
#define CAPACITY (2 * EXPECT_WINDOW)
/* How much of the last line an error quotes. */
#define QUOTE_MAX 160

/* Guarded by s->mtx. */
struct expect_state {
	char buf[CAPACITY + 1]; /* NUL-terminated for regexec */
	size_t len;
	size_t start; /* the unconsumed data: buf[start..len) */
	int waiting; /* an input thread sleeps on s->cv for data */
};

int expect_init(struct session *s)
{
	s->expect = calloc(1, sizeof(*s->expect));
	return s->expect == NULL ? -1 : 0;
}

void expect_free(struct session *s)
{
	free(s->expect);
	s->expect = NULL;
}

/* Makes room for n more bytes: the unconsumed data is bounded by the
 * window (the oldest goes), and when the buffer is full everything before
 * it but KEEP_BEFORE bytes is dropped. */
static void make_room(struct expect_state *e, size_t n)
{
	size_t keep_from;

	if (e->len + n > EXPECT_WINDOW && e->start < e->len + n - EXPECT_WINDOW)
		e->start = e->len + n - EXPECT_WINDOW;
	if (e->start > e->len)
		e->start = e->len = 0; /* all of it goes */
	if (e->len + n <= CAPACITY)
		return;
	keep_from = e->start > KEEP_BEFORE ? e->start - KEEP_BEFORE : 0;
	memmove(e->buf, e->buf + keep_from, e->len - keep_from);
	e->len -= keep_from;
	e->start -= keep_from;
}

/* Appends for matching: CR before LF is dropped (line protocols end lines
 * with CRLF; "$" should match before it), and NUL, which would end the
 * string regexec sees, becomes SUB (0x1a, ASCII's substitute). */
static void append(struct expect_state *e, const char *p, size_t n)
{
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		c = p[i] == '\0' ? '\x1a' : p[i];
		if (c == '\n' && e->len > e->start &&
		    e->buf[e->len - 1] == '\r')
			e->len--;
		e->buf[e->len++] = c;
	}
	e->buf[e->len] = '\0';
}

void expect_feed(struct session *s, const char *buf, size_t len)
{
	struct expect_state *e = s->expect;

	if (e == NULL || len == 0)
		return;
	if (len > EXPECT_WINDOW) {
		buf += len - EXPECT_WINDOW;
		len = EXPECT_WINDOW;
	}
	pthread_mutex_lock(&s->mtx);
	make_room(e, len);
	append(e, buf, len);
	if (e->waiting)
		pthread_cond_broadcast(&s->cv); /* wakes expect_wait */
	pthread_mutex_unlock(&s->mtx);
}

/* What "\c" stands for in a pattern: n, r and t are those characters;
 * 0 for anything else, which stays regex syntax ("\.", "\\"). */
static char escape_char(char c)
{
	switch (c) {
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	default:
		return 0;
	}
}

/* pattern[0..len) into out (len + 1 bytes) with the escapes above
 * replaced; any other backslash pair is copied whole. */
static void unescape(const char *pattern, size_t len, char *out)
{
	size_t i, o = 0;
	char c;

	for (i = 0; i < len; i++) {
		if (pattern[i] != '\\' || i + 1 == len) {
			out[o++] = pattern[i];
			continue;
		}
		c = escape_char(pattern[++i]);
		if (c == 0)
			out[o++] = '\\';
		out[o++] = c != 0 ? c : pattern[i];
	}
	out[o] = '\0';
}

int expect_compile(regex_t *re, const char *pattern, size_t len, char *err,
		   size_t errlen)
{
	char *p = malloc(len + 1);
	int rv;

	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return REG_ESPACE;
	}
	unescape(pattern, len, p);
	rv = regcomp(re, p, REG_EXTENDED | REG_NEWLINE);
	free(p);
	if (rv != 0)
		regerror(rv, re, err, errlen);
	return rv;
}

/* s->mtx held: does re match the unconsumed data? A match consumes the
 * data up to its end. */
static int match_locked(struct expect_state *e, const regex_t *re)
{
	regmatch_t m;
	int flags = 0;

	/* Data cut mid-line (after a match, or by a full window) does not
	 * begin a line. */
	if (e->start > 0 && e->buf[e->start - 1] != '\n')
		flags = REG_NOTBOL;

	if (regexec(re, e->buf + e->start, 1, &m, flags) != 0)
		return 0;
	e->start += (size_t)m.rm_eo;
	return 1;
}

/* s->mtx held: the last non-empty line received, quoted into out, with
 * control characters shown as '.'. */
static void last_line_locked(const struct expect_state *e, char *out,
			     size_t outlen)
{
	size_t end = e->len, begin, n, i;

	while (end > 0 && e->buf[end - 1] == '\n')
		end--;
	begin = end;
	while (begin > 0 && e->buf[begin - 1] != '\n')
		begin--;
	if (end == 0) {
		snprintf(out, outlen, "nothing received");
		return;
	}
	n = end - begin < QUOTE_MAX ? end - begin : QUOTE_MAX;
	snprintf(out, outlen, "last line received: '%.*s%s'", (int)n,
		 e->buf + begin, end - begin > n ? "..." : "");
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '.';
}

/* The run ended while an expectation was pending. A peer that closed
 * cleanly left it unmet: that is this run's failure (status 8); any other
 * end already has its own status and error line. */
static void fail_after_end(struct session *s, const char *msg)
{
	int mine;

	pthread_mutex_lock(&s->mtx);
	mine = s->status == CLI_OK && s->signal == 0;
	if (mine) {
		s->status = CLI_EEXPECT;
		snprintf(s->error, sizeof(s->error), "%s", msg);
	}
	pthread_mutex_unlock(&s->mtx);
	if (mine)
		console_error("%s", msg);
}

int expect_wait(struct session *s, const regex_t *re, const char *pattern)
{
	struct expect_state *e = s->expect;
	struct timespec at = cli_mono_after_ms(s->opt->expect_timeout * 1000L);
	char last[QUOTE_MAX + 40], msg[512];
	int matched, ended, timed_out = 0;

	pthread_mutex_lock(&s->mtx);
	e->waiting++;
	/* Woken by expect_feed (data arrived) and session_end (the run
	 * ended); the deadline is --expect-timeout. Other broadcasts on
	 * s->cv (closing.h's) only cost a look at the window. */
	while (!(matched = match_locked(e, re)) && !s->ended && !timed_out)
		timed_out = pthread_cond_timedwait(&s->cv, &s->mtx, &at) ==
			    ETIMEDOUT;
	e->waiting--;
	ended = s->ended;
	last_line_locked(e, last, sizeof(last));
	pthread_mutex_unlock(&s->mtx);
	if (matched)
		return 0;
	if (ended) {
		snprintf(msg, sizeof(msg),
			 "the connection closed before :expect '%s' "
			 "matched (%s)",
			 pattern, last);
		fail_after_end(s, msg);
		return -1;
	}
	snprintf(msg, sizeof(msg),
		 ":expect '%s' not matched within %d s (--expect-timeout); %s",
		 pattern, s->opt->expect_timeout, last);
	session_end(s, CLI_EEXPECT, msg);
	return -1;
}

int expect_sleep(struct session *s, long ms)
{
	struct timespec at = cli_mono_after_ms(ms);
	int ended;

	pthread_mutex_lock(&s->mtx);
	/* Woken early only by session_end: the run ended. */
	while (!s->ended &&
	       pthread_cond_timedwait(&s->cv, &s->mtx, &at) != ETIMEDOUT)
		;
	ended = s->ended;
	pthread_mutex_unlock(&s->mtx);
	return ended ? -1 : 0;
}
