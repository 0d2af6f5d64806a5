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
	s = wolfSSL_d2i_SSL_SESSION(NULL, &p, (long)n);
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
