/*
 * The key log, in the SSLKEYLOGFILE format Wireshark reads. wolfSSL writes
 * the TLS 1.3 lines, and the CLIENT_RANDOM line of a TLS 1.2 client when it
 * sends its ClientKeyExchange. 5.5.4 leaves that line out in three cases,
 * which tp_keylog_tls12 fills in once the handshake is done:
 *
 * - a resumed session: there is no ClientKeyExchange;
 * - a master secret whose first byte is 0: its "all zero" check reads
 *   only the first byte (one full handshake in 256);
 * - the server side, which it never logs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Nothing sensible can be done inside a handshake: the first failure is
 * kept for the caller to report at the end (a key log that silently
 * misses lines leaves a capture undecryptable). Any thread may fail. */
static void keylog_failed(struct tp_config *cfg, const char *why)
{
	int expect = 0;

	if (!__atomic_compare_exchange_n(&cfg->keylog_failed, &expect, 1, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	snprintf(cfg->keylog_err, sizeof(cfg->keylog_err), "%s", why);
	__atomic_store_n(&cfg->keylog_failed, 2, __ATOMIC_RELEASE);
}

const char *tp_config_keylog_error(struct tp_config *cfg)
{
	return __atomic_load_n(&cfg->keylog_failed, __ATOMIC_ACQUIRE) == 2 ?
		       cfg->keylog_err :
		       NULL;
}

static void keylog_write(struct tp_config *cfg, const char *line)
{
	char buf[512], why[160];
	int fd, n;
	ssize_t w;

	if (cfg == NULL || cfg->keylog_path == NULL)
		return;
	n = snprintf(buf, sizeof(buf), "%s\n", line);
	if (n <= 0 || (size_t)n >= sizeof(buf))
		return;
	/* Opened per line, with the checks of outfile.c each time: the file
	 * is ours and private whenever a secret goes into it. */
	fd = tp_file_open_append(cfg->keylog_path, why, sizeof(why));
	if (fd < 0) {
		keylog_failed(cfg, why);
		return;
	}
	/* One write with O_APPEND: lines from several connections never mix. */
	w = write(fd, buf, (size_t)n);
	if (w != n)
		keylog_failed(cfg, w < 0 ? strerror(errno) : "short write");
	if (close(fd) != 0)
		keylog_failed(cfg, strerror(errno));
}

/* wolfSSL's callback; the config is the context's ex data
 * (tp_config_set_keylog_file). */
void tp_keylog_cb(const WOLFSSL *ssl, const char *line)
{
	keylog_write(
		wolfSSL_CTX_get_ex_data(wolfSSL_get_SSL_CTX((WOLFSSL *)ssl), 0),
		line);
}

static void hex(char *out, const unsigned char *p, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02X", p[i]);
}

/* After each handshake, M held. */
void tp_keylog_tls12(struct tp_conn *c)
{
	unsigned char *ms, *sr, *cr;
	unsigned int ms_len, sr_len, cr_len;
	char line[sizeof("CLIENT_RANDOM ") + 2 * 32 + 1 + 2 * 48];

	if (c->cfg->keylog_path == NULL ||
	    wolfSSL_version(c->ssl) == TLS1_3_VERSION ||
	    wolfSSL_get_keys(c->ssl, &ms, &ms_len, &sr, &sr_len, &cr,
			     &cr_len) != WOLFSSL_SUCCESS ||
	    ms_len != 48 || cr_len != 32)
		return;
	if (c->cfg->role == TP_CLIENT && !wolfSSL_session_reused(c->ssl) &&
	    ms[0] != 0)
		return; /* wolfSSL wrote it */
	/* "CLIENT_RANDOM <client random> <master secret>", in hex */
	memcpy(line, "CLIENT_RANDOM ", 14);
	hex(line + 14, cr, cr_len);
	line[14 + 2 * cr_len] = ' ';
	hex(line + 14 + 2 * cr_len + 1, ms, ms_len);
	keylog_write(c->cfg, line);
}
