/* Session resumption: in memory between connections, or through a file
 * (wolfSSL's DER session encoding). */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

int tp_conn_save_session(struct tp_conn *c, const char *path)
{
	WOLFSSL_SESSION *s;
	unsigned char *der = NULL;
	int len, r = -1;
	FILE *f;

	TP_LOCK(c);
	s = wolfSSL_get1_session(c->ssl);
	len = s ? wolfSSL_i2d_SSL_SESSION(s, &der) : 0;
	if (len <= 0) {
		tp_conn_set_soft_error(c, TP_ERR_USAGE, "no session to save");
		goto out;
	}
	f = fopen(path, "wb");
	if (f == NULL || fwrite(der, 1, (size_t)len, f) != (size_t)len) {
		tp_conn_set_soft_error(c, TP_ERR_USAGE,
				       "cannot write session file '%s'", path);
		if (f)
			fclose(f);
		goto out;
	}
	r = fclose(f) == 0 ? 0 : -1;
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

static int session_der_sane(const unsigned char *p, size_t n)
{
	struct der_walk w = { p, n, 1 };
	const unsigned char *b;
	size_t i, count;

	take(&w, 1 + 4 + 4); /* side, bornOn, timeout */
	take_len(&w, 1, SESS_ID_LEN); /* session ID */
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
	take(&w, 2 + 2); /* version, cipher suite */
	take_len(&w, 2, SESS_SERVER_ID_LEN); /* server ID */
	take_len(&w, 1, SESS_ID_LEN); /* session context */
	return w.ok; /* the rest wolfSSL checks itself */
}

int tp_conn_load_session(struct tp_conn *c, const char *path)
{
	unsigned char buf[16384];
	const unsigned char *p = buf;
	WOLFSSL_SESSION *s;
	size_t n;
	FILE *f = fopen(path, "rb");
	int r = -1;

	TP_LOCK(c);
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
	if (s == NULL)
		return -1;
	TP_LOCK(c);
	r = wolfSSL_set_session(c->ssl, s) == WOLFSSL_SUCCESS ? 0 : -1;
	tp_conn_unlock(c);
	wolfSSL_SESSION_free(s);
	return r;
}
