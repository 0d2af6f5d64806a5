/*
 * libFuzzer target for cli_options_parse (cli/connect/options.c): the input,
 * split at NUL bytes, is the argument vector after argv[0] ("tlsprobe"). Each
 * result is checked against options.h; then, as cli/connect/setup.c does, the
 * version bounds and the cipher, group and ALPN lists go to a library
 * configuration, and the server name and ALPN list to a connection over
 * a socketpair (where wolfSSL parses them). Everything is freed: a leak
 * fails the run (LeakSanitizer).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connect/connect.h"
#include "fuzz.h"
#include "tlsprobe_certgen.h"

#define MAX_ARGS 64

static struct tp_testcerts certs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* A small trust store, so that no configuration loads the system's
	 * (slow, and not what is fuzzed here). */
	if (tp_testcerts_generate(&certs, "localhost", 30) != 0)
		abort();
	return 0;
}

static int version_ok(enum tp_version v)
{
	return v == TP_VERSION_ANY || (v >= TP_TLS1_0 && v <= TP_TLS1_3);
}

/* Does p point into one of the argument strings? Option values are
 * stored as given (or, for s_client spellings, point into our tables). */
static int in_args(const char *p, char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
			return 1;
	return 0;
}

static void check_parsed(const struct cli_options *o, char **argv, int argc)
{
	const char *strs[] = { o->servername,	o->ca_file,  o->ca_dir,
			       o->cert,		o->key,	     o->ciphers,
			       o->ciphersuites, o->groups,   o->alpn,
			       o->sess_in,	o->sess_out, o->keylog,
			       o->json };

	CHECK(version_ok(o->min_tls) && version_ok(o->max_tls));
	CHECK(o->family == 0 || o->family == 4 || o->family == 6);
	CHECK(o->reconnect >= 0 && o->reconnect <= 100);
	CHECK(o->timeout >= -1 && o->timeout <= 86400);
	CHECK(o->linger >= -1 && o->linger <= 86400);
	CHECK(strcmp(cli_starttls_name(o->starttls), "?") != 0);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		CHECK(strs[i] == NULL || in_args(strs[i], argv, argc));
	if (o->help || o->version)
		return;
	CHECK(o->target.host[0] != '\0');
	CHECK(o->target.port[0] != '\0');
	if (o->min_tls && o->max_tls)
		CHECK(o->min_tls <= o->max_tls);
	CHECK(!(o->servername && o->no_servername));
	CHECK(!(o->key && !o->cert));
	CHECK(o->servername == NULL || o->servername[0] != '\0');
}

/* What cli/connect/setup.c does with the protocol options. */
static void apply(const struct cli_options *o)
{
	struct tp_config *cfg;
	struct tp_conn *c;
	char *both = NULL;
	const char *list = o->ciphers ? o->ciphers : o->ciphersuites;
	int sv[2];

	if (!o->min_tls && !o->max_tls && !list && !o->groups && !o->alpn &&
	    !o->servername)
		return;
	cfg = tp_config_new(TP_CLIENT);
	CHECK(cfg != NULL);
	CHECK(tp_config_set_ca_mem(cfg, certs.ca_cert.data,
				   certs.ca_cert.len) == 0);
	if ((o->min_tls || o->max_tls) &&
	    tp_config_set_versions(cfg, o->min_tls, o->max_tls) == -1)
		goto out;
	if (o->ciphers && o->ciphersuites) {
		CHECK(asprintf(&both, "%s:%s", o->ciphersuites, o->ciphers) >
		      0);
		list = both;
	}
	if (list && tp_config_set_ciphers(cfg, list) == -1)
		goto out;
	if (o->groups && tp_config_set_groups(cfg, o->groups) == -1)
		goto out;
	if (o->alpn && tp_config_set_alpn(cfg, o->alpn) == -1)
		goto out;
	c = tp_conn_new(cfg);
	CHECK(c != NULL);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	if (tp_conn_attach_fd(c, sv[0],
			      o->no_servername ? "" :
			      o->servername    ? o->servername :
						 o->target.host) == -1) {
		CHECK(tp_conn_error(c) != NULL);
	}
	tp_conn_free(c);
	/* The connection owns the socket, also after a failed attach. */
	CHECK(fcntl(sv[0], F_GETFD) == -1);
	close(sv[1]);
out:
	free(both);
	tp_config_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	struct cli_options o;
	char err[256];
	int argc = 0, r;
	size_t i, start = 0;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "tlsprobe";
	for (i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	if (size == 0)
		argc = 1; /* no arguments at all */

	memset(err, 'x', sizeof(err));
	r = cli_options_parse(argc, argv, &o, err, sizeof(err));
	CHECK(r == 0 || r == -1);
	if (r == -1) {
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		CHECK(err[0] != '\0');
	} else {
		check_parsed(&o, argv, argc);
		if (!o.help && !o.version)
			apply(&o);
	}
	cli_options_free(&o);
	/* The caller's vector is left as it was (getopt permutes the copy). */
	CHECK(strcmp(argv[0], "tlsprobe") == 0);
	free(buf);
	return 0;
}
