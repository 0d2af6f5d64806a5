/*
 * libFuzzer target for what a server's certificates and CertificateRequest
 * say, both read from peer bytes in the library:
 *
 *   first byte even: the rest is a certificate's DER for tp_cert_info_fill
 *     (lib/certinfo.c: names, validity, serial, SANs from its own DER
 *     walk, fingerprint, key). Invariants: every string is terminated and
 *     escaped (no C0 control byte, no DEL), a date is NULL or
 *     "YYYY-MM-DDTHH:MM:SSZ", a fingerprint is 32 hex pairs with colons,
 *     a serial is upper-case hex, each SAN starts with its kind.
 *   first byte odd: the rest is handshake messages received by a client
 *     (tp_peer_note_msg, lib/peercerts.c), as the message callback hands
 *     them over; bit 1 of the first byte picks TLS 1.3 framing of the
 *     CertificateRequest, else TLS 1.2. Invariants: every CA name is an
 *     escaped string, and tp_conn_peer_certs reports as many.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "fuzz.h"

static void check_text(const char *s)
{
	if (s == NULL)
		return;
	for (; *s != '\0'; s++)
		CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
}

static void check_time(const char *t)
{
	if (t == NULL)
		return;
	CHECK(strlen(t) == 20 && t[4] == '-' && t[7] == '-' && t[10] == 'T' &&
	      t[13] == ':' && t[16] == ':' && t[19] == 'Z');
}

static void check_cert(const uint8_t *data, size_t size)
{
	struct tp_cert_info ci;

	tp_cert_info_fill(&ci, data, (int)size);
	check_text(ci.subject);
	check_text(ci.issuer);
	check_text(ci.ca_issuers);
	check_text(ci.ocsp_uri);
	check_time(ci.not_before);
	check_time(ci.not_after);
	CHECK(ci.sha256_fingerprint == NULL ||
	      strlen(ci.sha256_fingerprint) == 32 * 3 - 1);
	CHECK(ci.serial == NULL ||
	      strspn(ci.serial, "0123456789ABCDEF") == strlen(ci.serial));
	CHECK(ci.nsans >= 0);
	for (int i = 0; i < ci.nsans; i++) {
		check_text(ci.sans[i]);
		CHECK(strncmp(ci.sans[i], "DNS:", 4) == 0 ||
		      strncmp(ci.sans[i], "IP:", 3) == 0 ||
		      strncmp(ci.sans[i], "email:", 6) == 0 ||
		      strncmp(ci.sans[i], "URI:", 4) == 0);
	}
	tp_cert_info_free(&ci);
}

static void check_msgs(int tls13, const uint8_t *data, size_t size)
{
	static struct tp_config *cfg[2];
	struct tp_peer_certs pc;
	struct tp_conn *c;

	if (cfg[tls13] == NULL) {
		cfg[tls13] = tp_config_new(TP_CLIENT);
		CHECK(cfg[tls13] != NULL);
		tp_config_set_versions(cfg[tls13],
				       tls13 ? TP_TLS1_3 : TP_TLS1_2,
				       tls13 ? TP_TLS1_3 : TP_TLS1_2);
	}
	c = tp_conn_new(cfg[tls13]);
	CHECK(c != NULL && c->ssl != NULL);
	/* the negotiated version the parser reads */
	wolfSSL_SetVersion(c->ssl, tls13 ? WOLFSSL_TLSV1_3 : WOLFSSL_TLSV1_2);
	TP_LOCK(c);
	tp_peer_note_msg(c, 0, data, size);
	pthread_mutex_unlock(&c->m);
	if (tp_conn_peer_certs(c, &pc) == 0) {
		CHECK(pc.ca_names_len == c->peer.nca_names);
		for (int i = 0; i < pc.ca_names_len; i++)
			check_text(pc.ca_names[i]);
	}
	tp_conn_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0)
		check_cert(data + 1, size - 1);
	else
		check_msgs((data[0] & 2) != 0, data + 1, size - 1);
	return 0;
}
