/*
 * A program built against an installed libtlsprobe with
 * `pkg-config --cflags --libs libtlsprobe` (tests/install/run).
 * Without arguments it prints the library's versions; with HOST PORT
 * CAFILE it also runs a verified handshake and prints the protocol.
 */
#include <stdio.h>

#include <tlsprobe.h>

static int handshake(const char *host, const char *port, const char *ca)
{
	struct tp_config *cfg = tp_config_new(TP_CLIENT);
	struct tp_conn *c = NULL;
	struct tp_info info;
	int rv = 1;

	if (cfg == NULL || tp_config_set_ca_file(cfg, ca) == -1)
		goto out;
	c = tp_conn_new(cfg);
	if (c == NULL || tp_conn_connect(c, host, port, NULL, 0) == -1 ||
	    tp_conn_handshake(c) == -1 || tp_conn_info(c, &info) == -1) {
		fprintf(stderr, "client: %s\n", c ? tp_conn_error(c) : "?");
		goto out;
	}
	printf("handshake: %s %s, verified %s\n", info.version, info.cipher,
	       info.verify_ok ? "yes" : "no");
	(void)tp_conn_shutdown_write(c);
	rv = 0;
out:
	tp_conn_free(c);
	tp_config_free(cfg);
	return rv;
}

int main(int argc, char **argv)
{
	printf("libtlsprobe %s, wolfSSL %s, renegotiation %s\n", tp_version(),
	       tp_wolfssl_version(),
	       tp_wolfssl_can_renegotiate() ? "yes" : "no");
	if (argc == 4)
		return handshake(argv[1], argv[2], argv[3]);
	return 0;
}
