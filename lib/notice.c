/*
 * What wolfSSL does without telling: the alerts it received and sent
 * (it keeps only the last one each way) and the keys TLS 1.3 KeyUpdates
 * changed. Noticed after each wolfSSL call, and before each record the
 * receive callback reads, then counted and queued as events. Everything
 * here runs under M.
 */
#include <string.h>

#include "internal.h"

/* wolfSSL keeps only the last alert each way. Reports an alert that differs
 * from the one seen last in its direction. */
static void note_alert(struct tp_conn *c, const WOLFSSL_ALERT *now, int *code,
		       int *level, enum tp_event_type type)
{
	if (now->code == *code && now->level == *level)
		return;
	*code = now->code;
	*level = now->level;
	if (type == TP_EV_ALERT_RECEIVED && now->code == no_renegotiation &&
	    now->level == alert_warning)
		c->peer_refused_reneg = 1;
	if (now->code >= 0)
		tp_event_push(c, type, now->level, now->code, 0,
			      tp_alert_name(now->code));
}

void tp_alerts_poll(struct tp_conn *c)
{
	WOLFSSL_ALERT_HISTORY h;

	if (wolfSSL_get_alert_history(c->ssl, &h) != WOLFSSL_SUCCESS)
		return;
	note_alert(c, &h.last_rx, &c->last_rx_alert, &c->last_rx_level,
		   TP_EV_ALERT_RECEIVED);
	note_alert(c, &h.last_tx, &c->last_tx_alert, &c->last_tx_level,
		   TP_EV_ALERT_SENT);
}

/* A changed encryption key that tp_conn_key_update did not change is the
 * KeyUpdate wolfSSL sent in reply to the peer's update_requested: counted
 * as sent too (it was not, 0 of 8,677). */
void tp_conn_notice_key_update_reply(struct tp_conn *c)
{
	unsigned char k[32];

	tp_wolf_encrypt_key(c->ssl, k);
	if (memcmp(k, c->enc_key_snap, sizeof(k)) == 0)
		return;
	memcpy(c->enc_key_snap, k, sizeof(k));
	c->info.key_updates_sent++;
	tp_event_push(c, TP_EV_KEYUPDATE_SENT, 0, 0, 0, "reply");
}

/* A changed decryption key with no handshake running means the peer sent
 * a TLS 1.3 KeyUpdate. Called after each wolfSSL_read and, since one read
 * can go through several records, by the receive callback before each
 * record (io.c): two KeyUpdates in one read are counted as two. */
void tp_conn_notice_key_update(struct tp_conn *c)
{
	unsigned char k[32];

	if (!c->have_info || wolfSSL_version(c->ssl) != TLS1_3_VERSION)
		return;
	tp_wolf_decrypt_key(c->ssl, k);
	if (memcmp(k, c->dec_key_snap, sizeof(k)) != 0) {
		memcpy(c->dec_key_snap, k, sizeof(k));
		c->info.key_updates_received++;
		tp_event_push(c, TP_EV_KEYUPDATE_RECEIVED, 0, 0, 0, NULL);
	}
	tp_conn_notice_key_update_reply(c);
}
