/* Session resumption: in memory between connections, or through a file
 * (wolfSSL's DER session encoding). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int tp_conn_save_session(struct tp_conn *c, const char *path)
{
	WOLFSSL_SESSION *s;
	unsigned char *der = NULL;
	int len, r = -1;
	char why[160];

	TP_ENTER(c);
	s = wolfSSL_get1_session(c->ssl);
	len = s ? wolfSSL_i2d_SSL_SESSION(s, &der) : 0;
	if (len <= 0) {
		tp_conn_set_soft_error(c, TP_ERR_USAGE, "no session to save");
		goto out;
	}
	/* It holds the master secret (TLS 1.2) or the resumption secret:
	 * private, like the key log. */
	r = tp_file_write(path, der, (size_t)len, 1, why, sizeof(why));
	if (r < 0)
		tp_conn_set_soft_error(c, TP_ERR_USAGE,
				       "cannot write session file '%s': %s",
				       path, why);
out:
	XFREE(der, NULL, DYNAMIC_TYPE_OPENSSL);
	if (s)
		wolfSSL_SESSION_free(s);
	tp_conn_unlock(c);
	return r;
}

/*
 * wolfSSL 5.5.4's wolfSSL_d2i_SSL_SESSION trusts the lengths in the file:
 * a session ID longer than 32 bytes, more than MAX_CHAIN_DEPTH
 * certificates, a certificate over MAX_X509_SIZE, a server ID over 20 or
 * a context over 32 bytes are copied into fixed arrays of the session
 * (heap overflow; fixed upstream in wolfSSL PR 9949). Walk the encoding
 * first, with the layout of this build (SESSION_CERTS, TLS 1.3, tickets,
 * OPENSSL_EXTRA; no early data), and refuse anything that would overflow.
 */
/* The limits (TP_SESS_*) are in internal.h; wolf_peek.c checks them
 * against wolfSSL's own at compile time. */
#define SESS_ID_LEN TP_SESS_ID_LEN
#define SESS_SECRET_LEN TP_SESS_SECRET_LEN
#define SESS_MAX_CHAIN TP_SESS_MAX_CHAIN
#define SESS_MAX_CERT TP_SESS_MAX_CERT
#define SESS_SERVER_ID_LEN TP_SESS_SERVER_ID_LEN

struct der_walk {
	const unsigned char *p;
	size_t left;
	int ok;
};

/* Takes n bytes; returns them (NULL once past the end). */
static const unsigned char *take(struct der_walk *w, size_t n)
{
	const unsigned char *r = w->p;

	if (!w->ok || n > w->left) {
		w->ok = 0;
		return NULL;
	}
	w->p += n;
	w->left -= n;
	return r;
}

static size_t take_len(struct der_walk *w, size_t width, size_t max)
{
	const unsigned char *b = take(w, width);
	size_t v;

	if (b == NULL)
		return 0;
	v = width == 1 ? b[0] : (size_t)b[0] << 8 | b[1];
	if (v > max)
		w->ok = 0;
	take(w, w->ok ? v : 0);
	return v;
}

static unsigned take_u16(struct der_walk *w)
{
	const unsigned char *b = take(w, 2);

	return b != NULL ? (unsigned)b[0] << 8 | b[1] : 0;
}

/* The fields that steer the ClientHello built from a session. wolfSSL
 * 5.5.4 takes them as they come, and an unknown protocol version or
 * cipher suite makes it size the ClientHello too small and write past
 * it (found by fuzz_session; tests/fuzz/regressions). */
struct sess_fields {
	unsigned side, id_len, version, suite, group, ticket_len;
};

static int known_group(unsigned g)
{
	/* 0: none recorded (TLS 1.2); the NIST curves, X25519, X448 and
	 * the FFDHE groups this build offers. */
	return g == 0 || (g >= 0x17 && g <= 0x19) || g == 0x1d || g == 0x1e ||
	       (g >= 0x100 && g <= 0x104);
}

static int session_fields_sane(const struct sess_fields *f)
{
	unsigned minor = f->version & 0xff;
	int tls13 = f->version == 0x0304;

	if (f->side != WOLFSSL_CLIENT_END || f->version >> 8 != 3 ||
	    minor < 1 || minor > 4)
		return 0;
	if ((f->suite >> 8 == 0x13) != tls13 || !known_group(f->group))
		return 0;
	if (tls13 && f->ticket_len == 0) /* TLS 1.3 resumes by ticket only */
		return 0;
	/* Its ClientHello is sized with the stored session ID length but
	 * always carries 32 bytes of it. */
	if (tls13 && f->id_len != 0 && f->id_len != SESS_ID_LEN)
		return 0;
	return strcmp(wolfSSL_get_cipher_name_from_suite(
			      (unsigned char)(f->suite >> 8),
			      (unsigned char)f->suite),
		      "None") != 0;
}

static int session_der_sane(const unsigned char *p, size_t n)
{
	struct der_walk w = { p, n, 1 };
	struct sess_fields f;
	const unsigned char *b;
	size_t i, count;

	b = take(&w, 1);
	f.side = b != NULL ? b[0] : 0;
	take(&w, 4 + 4); /* bornOn, timeout */
	f.id_len = take_len(&w, 1, SESS_ID_LEN); /* session ID */
	take(&w, SESS_SECRET_LEN + 1); /* master secret, haveEMS */
	b = take(&w, 1); /* alternative session ID: 0 or 32 bytes */
	if (b != NULL && b[0] != 0 && b[0] != SESS_ID_LEN)
		return 0;
	take(&w, b != NULL ? b[0] : 0);
	b = take(&w, 1);
	count = b != NULL ? b[0] : 0;
	if (count > SESS_MAX_CHAIN)
		return 0;
	for (i = 0; i < count; i++)
		take_len(&w, 2, SESS_MAX_CERT);
	f.version = take_u16(&w);
	f.suite = take_u16(&w);
	take_len(&w, 2, SESS_SERVER_ID_LEN); /* server ID */
	take_len(&w, 1, SESS_ID_LEN); /* session context */
	take(&w, 1); /* peerVerifyRet */
	f.group = take_u16(&w);
	take(&w, 8 + 4); /* ticketSeen, ticketAdd */
	take_len(&w, 1, 255); /* ticket nonce (wolfSSL bounds it) */
	f.ticket_len = take_u16(&w);
	take(&w, f.ticket_len);
	return w.ok && session_fields_sane(&f);
}

int tp_conn_load_session(struct tp_conn *c, const char *path)
{
	unsigned char buf[16384];
	const unsigned char *p = buf;
	WOLFSSL_SESSION *s;
	size_t n;
	FILE *f = fopen(path, "rb");
	int r = -1;

	TP_ENTER(c);
	if (f == NULL) {
		tp_conn_set_soft_error(c, TP_ERR_USAGE,
				       "cannot read session file '%s'", path);
		goto out;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	s = session_der_sane(buf, n) ?
		    wolfSSL_d2i_SSL_SESSION(NULL, &p, (long)n) :
		    NULL;
	if (s == NULL) {
		tp_conn_set_soft_error(c, TP_ERR_USAGE,
				       "'%s' is not a saved session", path);
		goto out;
	}
	r = wolfSSL_set_session(c->ssl, s) == WOLFSSL_SUCCESS ? 0 : -1;
	if (r < 0)
		tp_conn_set_soft_error(c, TP_ERR_USAGE,
				       "session in '%s' cannot be used", path);
	wolfSSL_SESSION_free(s);
out:
	tp_conn_unlock(c);
	return r;
}

int tp_conn_reuse_session_from(struct tp_conn *c, struct tp_conn *prev)
{
	WOLFSSL_SESSION *s;
	int r;

	TP_LOCK(prev);
	s = wolfSSL_get1_session(prev->ssl);
	tp_conn_unlock(prev);
	TP_ENTER(c); /* one lock at a time: never c and prev together */
	if (s == NULL) {
		tp_conn_set_soft_error(c, TP_ERR_USAGE,
				       "the previous connection has no session "
				       "to resume");
		r = -1;
	} else {
		r = wolfSSL_set_session(c->ssl, s) == WOLFSSL_SUCCESS ? 0 : -1;
		if (r < 0)
			tp_conn_set_soft_error(c, TP_ERR_USAGE,
					       "cannot resume that session");
	}
	tp_conn_unlock(c);
	if (s != NULL)
		wolfSSL_SESSION_free(s);
	return r;
}
