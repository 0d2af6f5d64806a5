/*
 * The few wolfSSL 5.5.4 internals tlsprobe needs and no API offers, kept
 * in this one file so a wolfSSL upgrade has one place to check:
 *
 * - a refused or ignored renegotiation of ours is never ended by wolfSSL
 *   (DESIGN 3.1): we put back the handshake state it had before;
 * - refusing a peer's renegotiation per policy with a warning alert, or
 *   ignoring it: there is no public call to send an alert or to skip a
 *   record (policy.c drops it, its sequence number must still be counted);
 * - a HelloRequest alone, with wolfSSL's state left as it is (a server
 *   that asks for a renegotiation and reads on);
 * - a KeyUpdate without update_requested: wolfSSL_update_keys always asks;
 * - noticing a peer KeyUpdate: the decryption key changes;
 * - the cipher suites a session would offer (defaults included, which
 *   exist only per session): --ciphers and --ciphersuites each replace
 *   one version's part of that list.
 */
#include "internal.h"

#ifdef TP_HAVE_WOLF_INTERNALS
#include <string.h>

#include <wolfssl/internal.h>

_Static_assert(TP_SESS_ID_LEN == ID_LEN, "session ID length");
_Static_assert(TP_SESS_SECRET_LEN == SECRET_LEN, "master secret length");
_Static_assert(TP_SESS_MAX_CHAIN == MAX_CHAIN_DEPTH, "chain depth");
_Static_assert(TP_SESS_MAX_CERT == MAX_X509_SIZE, "certificate size");
_Static_assert(TP_SESS_SERVER_ID_LEN == SERVER_ID_LEN, "server ID length");

void tp_wolf_send_warning(WOLFSSL *ssl, int description)
{
	SendAlert(ssl, alert_warning, description);
}

int tp_wolf_send_hello_request(WOLFSSL *ssl)
{
	/* wolfSSL_Rehandshake also starts waiting for the ClientHello, and
	 * its state then refuses application data both ways; this is only
	 * the message. */
	return SendHelloRequest(ssl) == 0 ? 0 : -1;
}

void tp_wolf_skip_peer_record(WOLFSSL *ssl)
{
	/* A record dropped unread still used a sequence number, which the
	 * MAC or AEAD nonce of every later record depends on. */
	if (++ssl->keys.peer_sequence_number_lo == 0)
		ssl->keys.peer_sequence_number_hi++;
}

void tp_wolf_hs_save(WOLFSSL *ssl, struct tp_wolf_hs_snap *s)
{
	s->saved[0] = ssl->options.connectState;
	s->saved[1] = ssl->options.acceptState;
	s->saved[2] = ssl->options.handShakeState;
	s->saved[3] = ssl->options.clientState;
	s->saved[4] = ssl->options.serverState;
	s->saved[5] = ssl->options.processReply;
	s->saved[6] = ssl->options.peerAuthGood;
	s->saved[7] = ssl->options.sendVerify;
}

void tp_wolf_hs_restore(WOLFSSL *ssl, const struct tp_wolf_hs_snap *s)
{
	ssl->options.connectState = (byte)s->saved[0];
	ssl->options.acceptState = (byte)s->saved[1];
	ssl->options.handShakeState = (byte)s->saved[2];
	ssl->options.clientState = (byte)s->saved[3];
	ssl->options.serverState = (byte)s->saved[4];
	ssl->options.processReply = (byte)s->saved[5];
	ssl->options.peerAuthGood = (word16)s->saved[6];
	ssl->options.sendVerify = (word16)s->saved[7];
	if (ssl->secure_renegotiation != NULL)
		ssl->secure_renegotiation->cache_status = SCR_CACHE_NULL;
}

int tp_wolf_mid_record(WOLFSSL *ssl)
{
	/* wolfSSL reads a record's header and body separately; in between,
	 * _Rehandshake's reset of processReply would make it parse the body
	 * as a header. */
	return ssl->options.processReply != 0; /* doProcessInit, private */
}

void tp_wolf_clear_rx_alert(WOLFSSL *ssl)
{
	ssl->alert_history.last_rx.code = -1;
	ssl->alert_history.last_rx.level = -1;
	ssl->options.alertCount = 0; /* 5.5.4 never resets it: 5 refusals */
}

void tp_wolf_keyupdate_no_request(WOLFSSL *ssl)
{
	/* SendTls13KeyUpdate sets update_requested to
	 * !updateResponseReq && !keyUpdateRespond. */
	ssl->keys.keyUpdateRespond = 1;
}

int tp_wolf_suites(WOLFSSL *ssl, unsigned char *out, size_t max)
{
	const Suites *s = ssl->suites;

	if (s == NULL && ssl->ctx != NULL)
		s = ssl->ctx->suites;
	if (s == NULL || s->suiteSz > max)
		return -1;
	memcpy(out, s->suites, s->suiteSz);
	return s->suiteSz;
}

void tp_wolf_decrypt_key(WOLFSSL *ssl, unsigned char out[32])
{
	const byte *k = ssl->options.side == WOLFSSL_CLIENT_END ?
				ssl->keys.server_write_key :
				ssl->keys.client_write_key;

	memcpy(out, k, 32 < MAX_SYM_KEY_SIZE ? 32 : MAX_SYM_KEY_SIZE);
}

void tp_wolf_encrypt_key(WOLFSSL *ssl, unsigned char out[32])
{
	const byte *k = ssl->options.side == WOLFSSL_CLIENT_END ?
				ssl->keys.client_write_key :
				ssl->keys.server_write_key;

	memcpy(out, k, 32 < MAX_SYM_KEY_SIZE ? 32 : MAX_SYM_KEY_SIZE);
}
#else
/* Without wolfSSL's internal header (a system wolfSSL): these degrade to
 * doing nothing; refusals are then detected by timeout only. */
#include <string.h>

void tp_wolf_send_warning(WOLFSSL *ssl, int description)
{
	(void)ssl;
	(void)description;
}
void tp_wolf_skip_peer_record(WOLFSSL *ssl)
{
	(void)ssl;
}
int tp_wolf_send_hello_request(WOLFSSL *ssl)
{
	(void)ssl;
	return -1;
}
void tp_wolf_hs_save(WOLFSSL *ssl, struct tp_wolf_hs_snap *s)
{
	(void)ssl;
	memset(s, 0, sizeof(*s));
}
void tp_wolf_hs_restore(WOLFSSL *ssl, const struct tp_wolf_hs_snap *s)
{
	(void)ssl;
	(void)s;
}
int tp_wolf_mid_record(WOLFSSL *ssl)
{
	(void)ssl;
	return 0;
}
void tp_wolf_clear_rx_alert(WOLFSSL *ssl)
{
	(void)ssl;
}
void tp_wolf_keyupdate_no_request(WOLFSSL *ssl)
{
	(void)ssl;
}
int tp_wolf_suites(WOLFSSL *ssl, unsigned char *out, size_t max)
{
	(void)ssl;
	(void)out;
	(void)max;
	return -1;
}
void tp_wolf_decrypt_key(WOLFSSL *ssl, unsigned char out[32])
{
	(void)ssl;
	memset(out, 0, 32);
}
void tp_wolf_encrypt_key(WOLFSSL *ssl, unsigned char out[32])
{
	(void)ssl;
	memset(out, 0, 32);
}
#endif
