#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"

static void *rev_server_main(void *arg)
{
	struct tu_rev_server *s = arg;
	WOLFSSL *ssl = wolfSSL_new(s->ctx);
	char line[256], out[256];
	size_t have = 0;

	wolfSSL_set_fd(ssl, s->fd);
	if (wolfSSL_accept(ssl) != WOLFSSL_SUCCESS)
		goto done;
	while (have < sizeof(line) && memchr(line, '\n', have) == NULL) {
		int n = wolfSSL_read(ssl, line + have,
				     (int)(sizeof(line) - have));
		if (n <= 0)
			goto done;
		have += (size_t)n;
	}
	for (size_t i = 0; i + 1 < have; i++)
		out[i] = line[have - 2 - i];
	out[have - 1] = '\n';
	if (wolfSSL_write(ssl, out, (int)have) == (int)have)
		s->ok = 1;
	wolfSSL_shutdown(ssl);
done:
	wolfSSL_free(ssl);
	close(s->fd);
	return NULL;
}

void tu_rev_server_start(struct tu_rev_server *s, WOLFSSL_CTX *ctx, int fd)
{
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->fd = fd;
	CHECK(pthread_create(&s->thread, NULL, rev_server_main, s) == 0);
}

void tu_rev_server_join(struct tu_rev_server *s)
{
	pthread_join(s->thread, NULL);
}

static void pin(struct tp_config *cfg, const char *version)
{
	enum tp_version v = tp_version_parse(version);

	if (version != NULL)
		CHECK(tp_config_set_versions(cfg, v, v) == 0);
}

struct tp_config *tu_client_config(const char *version)
{
	struct tp_config *cfg = tp_config_new(TP_CLIENT);
	const struct tp_testcerts *tc = tu_certs();

	CHECK(cfg != NULL);
	CHECK(tp_config_set_ca_mem(cfg, tc->ca_cert.data, tc->ca_cert.len) ==
	      0);
	pin(cfg, version);
	return cfg;
}

struct tp_config *tu_server_config(const char *version)
{
	struct tp_config *cfg = tp_config_new(TP_SERVER);
	const struct tp_testcerts *tc = tu_certs();

	CHECK(cfg != NULL);
	CHECK(tp_config_set_cert_mem(cfg, tc->leaf_cert.data, tc->leaf_cert.len,
				     tc->leaf_key.data, tc->leaf_key.len) == 0);
	pin(cfg, version);
	return cfg;
}

size_t tu_read_full(struct tp_conn *c, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = tp_conn_read(c, (char *)buf + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

void tu_conn_pair(struct tp_config *ccfg, struct tp_config *scfg,
		  struct tp_conn **client, struct tp_conn **server)
{
	int cfd, sfd;

	CHECK(tu_tcp_pair(&cfd, &sfd) == 0);
	*client = tp_conn_new(ccfg);
	*server = tp_conn_new(scfg);
	CHECK(*client != NULL && *server != NULL);
	CHECK(tp_conn_attach_fd(*client, cfd, "localhost") == 0);
	CHECK(tp_conn_attach_fd(*server, sfd, NULL) == 0);
}

static void *server_handshake_main(void *arg)
{
	return tp_conn_handshake(arg) == 0 ? arg : NULL;
}

void tu_handshake_both(struct tp_conn *client, struct tp_conn *server)
{
	pthread_t t;
	void *ok;

	CHECK(pthread_create(&t, NULL, server_handshake_main, server) == 0);
	CHECK_EQ_INT(tp_conn_handshake(client), 0);
	pthread_join(t, &ok);
	if (ok == NULL)
		tu_fail(__FILE__, __LINE__, "server handshake: %s",
			tp_conn_error(server) ? tp_conn_error(server) : "");
}
