/* The input thread for non-terminal stdin: data byte for byte, or with
 * --commands, lines where those starting with ':' are commands. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"

#define CMD_LINE_MAX 1024
/* How much script is read after the run ended, looking for an :expect. */
#define AFTER_END_MAX (4 * 1024 * 1024)

/* --commands line state across reads. */
struct lines {
	int state; /* LINE_START, LINE_DATA, LINE_CMD, LINE_SKIP */
	size_t len;
	char cmd[CMD_LINE_MAX];
	const char *pend; /* data not yet sent, inside the current chunk */
	size_t pend_len;
	/* The run has ended (the peer closed, a send failed): the rest of
	 * the script is only read for its first :expect, now unmet. */
	int ended;
};

enum {
	LINE_START,
	LINE_DATA,
	LINE_CMD,
	LINE_SKIP
};

/* 1 when stdin is readable, 0 when the run has ended. */
static int wait_stdin(struct session *s)
{
	struct pollfd pfd[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = s->stop_fd[0], .events = POLLIN },
	};
	int n;

	for (;;) {
		n = poll(pfd, 2, -1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || pfd[1].revents != 0)
			return 0;
		if (pfd[0].revents != 0)
			return 1;
	}
}

static int flush_pending(struct session *s, struct lines *l)
{
	if (l->pend_len > 0 && !l->ended &&
	    session_send(s, l->pend, l->pend_len) == -1)
		l->ended = 1;
	l->pend = NULL;
	l->pend_len = 0;
	return 0;
}

/* Line terminator length at the end of buf[0..len): 0, 1 (LF), 2 (CRLF). */
static size_t eol_len(const char *buf, size_t len)
{
	if (len >= 2 && buf[len - 2] == '\r' && buf[len - 1] == '\n')
		return 2;
	return len >= 1 && buf[len - 1] == '\n' ? 1 : 0;
}

/* A complete line that started with ':'. Returns 0, or 1 when the input
 * stops (:quit, an :expect that failed or came after the end). */
static int run_cmd_line(struct session *s, struct lines *l, const char *line,
			size_t len)
{
	size_t eol = eol_len(line, len);
	struct cli_cmd cmd;
	enum cli_cmd_type t = cli_command_parse(line, len - eol, &cmd);

	/* After the end (data sent meanwhile may have been queued without
	 * error) only an :expect counts: it can no longer be met, and saying
	 * so is the script's result (expect.h). */
	if (!l->ended && session_ended(s))
		l->ended = 1;
	if (l->ended)
		return t == CLI_CMD_EXPECT ? input_command(s, &cmd) : 0;
	if (t != CLI_CMD_DATA)
		return input_command(s, &cmd);
	/* "::text": send ":text" and the line's own terminator */
	if (session_send(s, cmd.data, cmd.len + eol) == -1)
		l->ended = 1;
	return 0;
}

static int add_cmd_bytes(struct session *s, struct lines *l, const char *p,
			 size_t n, int complete)
{
	int rv;

	if (l->len + n > sizeof(l->cmd)) {
		console_msg("Command line too long; ignored");
		l->len = 0;
		l->state = complete ? LINE_START : LINE_SKIP;
		return 0;
	}
	memcpy(l->cmd + l->len, p, n);
	l->len += n;
	if (!complete)
		return 0;
	rv = run_cmd_line(s, l, l->cmd, l->len);
	l->len = 0;
	l->state = LINE_START;
	return rv;
}

/* One piece of a line: up to and including its LF, or the chunk's end. */
static int feed_piece(struct session *s, struct lines *l, const char *p,
		      size_t n, int complete)
{
	if (l->state == LINE_START)
		l->state = p[0] == ':' ? LINE_CMD : LINE_DATA;
	if (l->state == LINE_CMD) {
		if (flush_pending(s, l) == -1)
			return -1;
		return add_cmd_bytes(s, l, p, n, complete);
	}
	if (l->state == LINE_DATA) {
		if (l->pend == NULL)
			l->pend = p;
		l->pend_len += n;
	}
	if (complete)
		l->state = LINE_START;
	return 0;
}

static int feed_lines(struct session *s, struct lines *l, const char *buf,
		      size_t n)
{
	const char *nl;
	size_t take;
	int rv;

	while (n > 0) {
		nl = memchr(buf, '\n', n);
		take = nl ? (size_t)(nl - buf) + 1 : n;
		rv = feed_piece(s, l, buf, take, nl != NULL);
		if (rv != 0)
			return rv;
		buf += take;
		n -= take;
	}
	return flush_pending(s, l);
}

/* stdin EOF: a last command line without LF still counts. */
static int finish_lines(struct session *s, struct lines *l)
{
	int rv = 0;

	if (l->state == LINE_CMD && l->len > 0)
		rv = run_cmd_line(s, l, l->cmd, l->len);
	l->len = 0;
	return rv;
}

/* The run ended (the peer closed) while the script was still being read:
 * what is left of it that can be read at once (a --script file: all of
 * it) is searched for an :expect, which then fails, so that a script whose
 * expectation the server never met does not exit 0 by closing first. A
 * pipe whose writer has more to say is not waited for. */
static void after_end(struct session *s, struct lines *l)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char buf[TP_RECORD_MAX];
	size_t total = 0;
	ssize_t n;

	l->ended = 1;
	while (total < AFTER_END_MAX && poll(&pfd, 1, 0) == 1) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n == 0)
			(void)finish_lines(s, l);
		if (n <= 0 || feed_lines(s, l, buf, (size_t)n) != 0)
			return;
		total += (size_t)n;
	}
}

/* What one read(2) returned (n > 0 data, 0 EOF). Returns 1 when the
 * input stops. */
static int take_input(struct session *s, struct lines *l, const char *buf,
		      ssize_t n)
{
	if (n == 0) {
		if (!s->opt->commands || finish_lines(s, l) == 0)
			session_input_eof(s);
		return 1;
	}
	if (s->opt->commands)
		return feed_lines(s, l, buf, (size_t)n) != 0;
	return session_send(s, buf, (size_t)n) != 0;
}

/* Reads stdin until the input stops or the run ends, saying where it is
 * (run.c's join_input waits while it is in poll() or acting on input). */
static void read_input(struct session *s, struct lines *l)
{
	char buf[TP_RECORD_MAX];
	ssize_t n;
	int err;

	while (wait_stdin(s)) {
		session_input_state(s, INPUT_READING);
		n = read(STDIN_FILENO, buf, sizeof(buf));
		err = errno;
		session_input_state(s, INPUT_BUSY);
		if (n == -1 && (err == EINTR || err == EAGAIN)) {
			session_input_state(s, INPUT_POLL);
			continue;
		}
		if (n == -1) {
			session_end(s, CLI_EOTHER,
				    "read from standard input failed");
			return;
		}
		if (take_input(s, l, buf, n))
			return;
		session_input_state(s, INPUT_POLL);
	}
	/* Woken by the end of the run: what is left of a script, read
	 * without waiting, may hold an :expect now failing. */
	session_input_state(s, INPUT_BUSY);
	if (s->opt->commands)
		after_end(s, l);
}

void *input_stdin_thread(void *arg)
{
	struct session *s = arg;
	struct lines l = { .state = LINE_START };

	read_input(s, &l);
	session_input_state(s, INPUT_DONE);
	return NULL;
}
