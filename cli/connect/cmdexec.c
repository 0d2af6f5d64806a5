/* Running the in-band commands (:reneg, :keyupdate...). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect.h"

/* The connection after its first handshake (run now if needed), or NULL
 * when that failed (the run has then ended). */
static struct tp_conn *handshaken_conn(struct session *s)
{
	struct tp_conn *c = session_conn(s);
	int rv;

	console_set_busy(1);
	rv = tp_conn_handshake(c);
	console_set_busy(0);
	if (rv == -1) {
		session_conn_failed(s, c);
		return NULL;
	}
	session_note_handshake(s, c);
	return c;
}

static int is_tls13(struct tp_conn *c)
{
	struct tp_info info;
	const struct tp_info *i = conn_info(c, &info);

	return i != NULL && i->protocol == TP_TLS1_3;
}

static void cmd_reneg(struct session *s)
{
	struct tp_conn *c = handshaken_conn(s);
	struct tp_info info;
	const struct tp_info *i;
	int rv;

	if (c == NULL)
		return;
	if (is_tls13(c)) {
		console_msg("Renegotiation does not exist in TLS 1.3; use "
			    ":keyupdate (or ':keyupdate req') to change keys");
		return;
	}
	if (!tp_wolfssl_can_renegotiate())
		console_msg("Warning: this wolfSSL build cannot renegotiate");
	console_msg("Renegotiating...");
	console_set_busy(1);
	rv = tp_conn_renegotiate(c);
	console_set_busy(0);
	if (rv == 0) {
		i = conn_info(c, &info);
		console_msg("Renegotiation done (handshake %d, %s)",
			    i ? i->handshakes : 0,
			    i && i->cipher ? i->cipher : "?");
	} else if (tp_conn_errcode(c) == TP_ERR_REFUSED ||
		   tp_conn_errcode(c) == TP_ERR_TIMEOUT) {
		/* Refused or ignored: the library put the session back. */
		console_msg("%s; the session goes on", tp_conn_error(c));
	} else {
		session_conn_failed(s, c);
	}
}

static void cmd_keyupdate(struct session *s, int request)
{
	struct tp_conn *c = handshaken_conn(s);
	struct tp_info info;
	const struct tp_info *i;
	int rv;

	if (c == NULL)
		return;
	if (!is_tls13(c)) {
		i = conn_info(c, &info);
		console_msg("KeyUpdate exists only in TLS 1.3 and this "
			    "connection uses %s; use :reneg",
			    i && i->version ? i->version : "an older version");
		return;
	}
	/* Said before the call, as :reneg does: the peer's answer may be
	 * read, and told, before this call returns. */
	console_msg("Sending a KeyUpdate%s...",
		    request ? " (update_requested)" : "");
	console_set_busy(1);
	rv = tp_conn_key_update(c, request);
	console_set_busy(0);
	if (rv == -1)
		session_conn_failed(s, c);
}

static void cmd_status(struct session *s)
{
	char *text = summary_status(session_conn(s));

	if (text != NULL)
		console_text(text);
	free(text);
}

/* :quit: what is queued goes out, then close_notify, and the run ends
 * without waiting for the peer. */
static void cmd_quit(struct session *s)
{
	struct tp_conn *c = session_conn(s);
	int rv;

	console_set_busy(1);
	rv = cli_flush_and_close_notify(c);
	console_set_busy(0);
	if (rv == -1 && tp_conn_handshake_done(c))
		session_conn_failed(s, c);
	session_end(s, CLI_OK, NULL);
}

/* A bad pattern: in a script, what follows would run at the wrong time,
 * so the run ends (usage error); at the prompt, it can be typed again. */
static int bad_pattern(struct session *s, const char *pattern, const char *why)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "invalid :expect pattern '%s': %s", pattern,
		 why);
	if (s->interactive) {
		console_msg("%s", msg);
		return 0;
	}
	session_end(s, CLI_EUSAGE, msg);
	return 1;
}

/* :expect REGEX: what was sent goes out first (the request whose answer
 * is awaited), then the wait. Returns 1 when the run has ended. */
static int cmd_expect(struct session *s, const struct cli_cmd *cmd)
{
	char *pattern = strndup(cmd->data, cmd->len), err[256];
	struct tp_conn *c;
	regex_t re;
	int rv = 1;

	if (pattern == NULL) {
		session_end(s, CLI_EOTHER, "out of memory");
		return 1;
	}
	if (expect_compile(&re, cmd->data, cmd->len, err, sizeof(err)) != 0) {
		rv = bad_pattern(s, pattern, err);
		free(pattern);
		return rv;
	}
	/* A handshake or flush that fails because the peer has closed
	 * meanwhile still leaves its last data to match: expect_wait decides
	 * (at once, since the run has ended; a failure has its own status). */
	c = handshaken_conn(s);
	console_set_busy(1);
	if (c != NULL && tp_conn_flush(c) == -1)
		session_conn_failed(s, c);
	rv = expect_wait(s, &re, pattern) == -1;
	console_set_busy(0);
	regfree(&re);
	free(pattern);
	return rv;
}

int input_command(struct session *s, const struct cli_cmd *cmd)
{
	switch (cmd->type) {
	case CLI_CMD_RENEG:
		cmd_reneg(s);
		return 0;
	case CLI_CMD_KEYUPDATE:
		cmd_keyupdate(s, cmd->arg);
		return 0;
	case CLI_CMD_RESUME:
		return session_resume(s) == -1;
	case CLI_CMD_STATUS:
		cmd_status(s);
		return 0;
	case CLI_CMD_HELP:
		console_text(cli_command_help());
		return 0;
	case CLI_CMD_QUIT:
		cmd_quit(s);
		return 1;
	case CLI_CMD_EXPECT:
		return cmd_expect(s, cmd);
	case CLI_CMD_SLEEP:
		/* Cut short by the end of the run, the input goes on: an
		 * :expect after it then fails (stdin.c). */
		(void)expect_sleep(s, cmd->arg);
		return 0;
	case CLI_CMD_INVALID:
		console_msg("%s (try :help)", cmd->error);
		return 0;
	case CLI_CMD_DATA:
	default:
		return 0;
	}
}
