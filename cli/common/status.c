/* Library error -> exit status and message; see common.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common.h"

enum cli_status cli_status_from_errcode(enum tp_errcode e, int handshake_done)
{
	switch (e) {
	case TP_ERR_NONE:
		return CLI_OK;
	case TP_ERR_CONNECT:
		return CLI_ECONNECT;
	case TP_ERR_HANDSHAKE: /* a renegotiation that fails comes later */
		return handshake_done ? CLI_EPROTO : CLI_EHANDSHAKE;
	case TP_ERR_VERIFY:
		return CLI_EVERIFY;
	case TP_ERR_ALERT:
	case TP_ERR_IO:
		return handshake_done ? CLI_EPROTO : CLI_EHANDSHAKE;
	case TP_ERR_TIMEOUT:
		return CLI_ETIMEOUT;
	case TP_ERR_USAGE:
		return CLI_EUSAGE;
	case TP_ERR_CLOSED:
	case TP_ERR_REFUSED:
	case TP_ERR_LOCAL:
	default:
		return CLI_EOTHER;
	}
}

/* What a category is called at the start of the line. */
static const char *error_prefix(enum tp_errcode e, int handshake_done)
{
	switch (e) {
	case TP_ERR_VERIFY:
		return "certificate verification failed";
	case TP_ERR_HANDSHAKE:
		return "TLS handshake failed";
	case TP_ERR_ALERT:
	case TP_ERR_IO:
		return handshake_done ? NULL : "TLS handshake failed";
	default:
		return NULL;
	}
}

/* Does msg already start with prefix? */
static int already_says(const char *msg, const char *prefix)
{
	return strncasecmp(msg, prefix, strlen(prefix)) == 0;
}

void cli_format_error(char *buf, size_t len, enum tp_errcode e,
		      int handshake_done, const char *msg)
{
	const char *prefix = error_prefix(e, handshake_done);

	if (msg == NULL || *msg == '\0')
		msg = "unknown error";
	if (prefix == NULL || already_says(msg, prefix))
		snprintf(buf, len, "%s", msg);
	else
		snprintf(buf, len, "%s: %s", prefix, msg);
}

enum cli_status cli_conn_error(struct tp_conn *c, int handshake_done, char *buf,
			       size_t len)
{
	enum tp_errcode e = tp_conn_errcode(c);
	enum cli_status st = cli_status_from_errcode(e, handshake_done);

	cli_format_error(buf, len, e, handshake_done, tp_conn_error(c));
	if (st == CLI_OK)
		st = handshake_done ? CLI_EOTHER : CLI_ECONNECT;
	return st;
}

const char *cli_conn_end_text(struct tp_conn *c)
{
	const char *e = tp_conn_error(c);

	if (e != NULL)
		return e;
	switch (tp_conn_close_reason(c)) {
	case TP_CLOSE_NOTIFY:
		return "the peer sent close_notify";
	case TP_CLOSE_FIN:
		return "the peer closed the connection without close_notify";
	case TP_CLOSE_RESET:
		return "the connection was reset";
	case TP_CLOSE_FATAL_ALERT:
		return "the peer sent a fatal alert";
	case TP_CLOSE_PLAINTEXT:
		return "the peer sent plaintext and closed";
	case TP_CLOSE_NONE:
		break;
	}
	return "no reason reported";
}
