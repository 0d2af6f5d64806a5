/*
 * What was negotiated, captured once after each handshake (under M).
 * Verification is in verify.c, certificate facts in certinfo.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The chain as the peer sent it, leaf first. */
static void capture_chain(struct tp_conn *c, struct tp_info_gen *g)
{
	WOLFSSL_X509_CHAIN *ch = wolfSSL_get_peer_chain(c->ssl);
	int n = ch ? wolfSSL_get_chain_count(ch) : 0;

	if (n <= 0)
		return;
	g->chain = calloc((size_t)n, sizeof(*g->chain));
	if (g->chain == NULL)
		return;
	g->chain_len = n;
	for (int i = 0; i < n; i++)
		tp_cert_info_fill(&g->chain[i], wolfSSL_get_chain_cert(ch, i),
				  wolfSSL_get_chain_length(ch, i));
}

static const char *alpn_of(struct tp_conn *c, char *buf, size_t buflen)
{
	char *name = NULL;
	unsigned short len = 0;

	if (wolfSSL_ALPN_GetProtocol(c->ssl, &name, &len) != WOLFSSL_SUCCESS ||
	    name == NULL)
		return NULL;
	/* The server's choice: checked by wolfSSL against our list, but
	 * escaped all the same, as all peer text is. */
	tp_escape(buf, buflen, name, len, 0);
	return buf;
}

/* wolfSSL's version numbers are the protocol's, as tp_version's are. */
static enum tp_version protocol_of(WOLFSSL *ssl)
{
	switch (wolfSSL_version(ssl)) {
	case TLS1_VERSION:
		return TP_TLS1_0;
	case TLS1_1_VERSION:
		return TP_TLS1_1;
	case TLS1_2_VERSION:
		return TP_TLS1_2;
	case TLS1_3_VERSION:
		return TP_TLS1_3;
	default:
		return TP_VERSION_ANY;
	}
}

void tp_info_capture(struct tp_conn *c)
{
	struct tp_info_gen *g = calloc(1, sizeof(*g));
	struct tp_info *in = &c->info;
	char alpnbuf[256];
	const char *alpn;

	if (g == NULL)
		return;
	g->next = c->gens;
	c->gens = g;
	alpn = alpn_of(c, alpnbuf, sizeof(alpnbuf));
	g->alpn = dup_or_null(alpn);
	g->verify_error =
		c->verify_failures ? strdup(c->first_verify_error) : NULL;
	capture_chain(c, g);

	c->scr_negotiated =
		wolfSSL_SSL_get_secure_renegotiation_support(c->ssl) == 1;
	in->handshakes++;
	if (c->hs_kind != TP_HS_INITIAL)
		in->renegotiations++;
	in->protocol = protocol_of(c->ssl);
	in->version = wolfSSL_get_version(c->ssl);
	/* IANA names: unambiguous, and what RFCs and scanners print. */
	in->cipher =
		wolfSSL_CIPHER_get_name(wolfSSL_get_current_cipher(c->ssl));
	in->group = wolfSSL_get_curve_name(c->ssl);
	in->alpn = g->alpn;
	in->sni = c->cfg->role == TP_CLIENT && !c->sni_sent ? NULL :
							      c->servername;
	in->peer_addr = c->peer_addr[0] ? c->peer_addr : NULL;
	in->secure_renegotiation = c->scr_negotiated;
	in->session_reused = wolfSSL_session_reused(c->ssl);
	in->verify_ok = c->verify_failures == 0;
	in->verify_error = g->verify_error;
	in->verify_failures = c->verify_failures;
	in->peer_chain_len = g->chain_len;
	in->peer_chain = g->chain;
	c->have_info = 1;
}

void tp_info_free_all(struct tp_conn *c)
{
	while (c->gens != NULL) {
		struct tp_info_gen *g = c->gens;

		c->gens = g->next;
		for (int i = 0; i < g->chain_len; i++)
			tp_cert_info_free(&g->chain[i]);
		free(g->chain);
		free(g->alpn);
		free(g->verify_error);
		free(g);
	}
}

int tp_conn_info(struct tp_conn *c, struct tp_info *out)
{
	int r;

	TP_LOCK(c);
	r = c->have_info ? 0 : -1;
	if (r == 0)
		*out = c->info;
	else
		memset(out, 0, sizeof(*out));
	pthread_mutex_unlock(&c->m);
	return r;
}

int tp_conn_handshake_done(struct tp_conn *c)
{
	int done;

	TP_LOCK(c);
	done = c->have_info;
	pthread_mutex_unlock(&c->m);
	return done;
}

const char *tp_conn_verify_log(struct tp_conn *c)
{
	/* A copy per thread, as tp_conn_error's: a renegotiation driven by
	 * another thread appends to the log meanwhile. */
	static __thread char copy[sizeof(c->verify_log)];

	TP_LOCK(c);
	memcpy(copy, c->verify_log, sizeof(copy));
	pthread_mutex_unlock(&c->m);
	return copy;
}
