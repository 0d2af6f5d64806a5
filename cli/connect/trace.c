/* Event trace lines; see connect.h. */
#include <stdio.h>

#include "connect.h"

const char *trace_content_name(int type)
{
	switch (type) {
	case 20:
		return "change_cipher_spec";
	case 21:
		return "alert";
	case 22:
		return "handshake";
	case 23:
		return "application_data";
	case 24:
		return "heartbeat";
	default:
		return "unknown";
	}
}

/* ">>>" for what we send, "<<<" for what we receive. */
static const char *dir(int sent)
{
	return sent ? ">>>" : "<<<";
}

static const char *alert_level(int level)
{
	return level == 2 ? "fatal" : level == 1 ? "warning" : "?";
}

static void format_alert(char *buf, size_t len, const struct tp_event *ev,
			 int sent)
{
	const char *name = tp_alert_name(ev->value);

	snprintf(buf, len, "%s alert %s %s (%d)", dir(sent),
		 alert_level(ev->level), name ? name : "unknown", ev->value);
}

/* "text" or "text (detail)". */
static void with_detail(char *buf, size_t len, const char *text,
			const struct tp_event *ev)
{
	if (ev->detail != NULL && *ev->detail != '\0')
		snprintf(buf, len, "%s (%s)", text, ev->detail);
	else
		snprintf(buf, len, "%s", text);
}

void trace_format(char *buf, size_t len, const struct tp_event *ev)
{
	switch (ev->type) {
	case TP_EV_HANDSHAKE_START:
		with_detail(buf, len, "--- handshake started", ev);
		break;
	case TP_EV_HANDSHAKE_DONE:
		with_detail(buf, len, "--- handshake done", ev);
		break;
	case TP_EV_RENEG_REQUESTED:
		with_detail(buf, len, "--- renegotiation requested", ev);
		break;
	case TP_EV_RENEG_DONE:
		with_detail(buf, len, "--- renegotiation done", ev);
		break;
	case TP_EV_RENEG_REFUSED:
		with_detail(buf, len, "--- renegotiation refused", ev);
		break;
	case TP_EV_KEYUPDATE_SENT:
		snprintf(buf, len, ">>> KeyUpdate%s",
			 ev->value ? " (update_requested)" : "");
		break;
	case TP_EV_KEYUPDATE_RECEIVED:
		snprintf(buf, len, "<<< KeyUpdate%s",
			 ev->value ? " (update_requested)" : "");
		break;
	case TP_EV_ALERT_SENT:
		format_alert(buf, len, ev, 1);
		break;
	case TP_EV_ALERT_RECEIVED:
		format_alert(buf, len, ev, 0);
		break;
	case TP_EV_TICKET:
		with_detail(buf, len, "<<< session ticket", ev);
		break;
	case TP_EV_HANDSHAKE_MSG:
		snprintf(buf, len, "%s handshake %s (%d), length %zu",
			 dir(ev->level), tp_handshake_name(ev->value),
			 ev->value, ev->len);
		break;
	case TP_EV_RECORD:
		snprintf(buf, len, "%s record %s, length %zu", dir(ev->level),
			 trace_content_name(ev->value), ev->len);
		break;
	case TP_EV_EVENTS_LOST:
		with_detail(buf, len, "!!! trace incomplete", ev);
		break;
	default:
		snprintf(buf, len, "--- event %d", (int)ev->type);
		break;
	}
}
