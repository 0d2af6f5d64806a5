/* Configuration and connection setup; see setup.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"

/* Default for our own connect (--starttls) when --timeout is not given;
 * matches the library's default. */
#define DEFAULT_TIMEOUT_MS 10000

const char *setup_keylog_path(const struct cli_options *o)
{
	const char *env = getenv("SSLKEYLOGFILE");

	if (o->keylog != NULL)
		return o->keylog;
	return env != NULL && *env != '\0' ? env : NULL;
}

static int config_fail(struct tp_config *cfg, const char *what, const char *arg,
		       enum cli_status st, enum cli_status *stp)
{
	const char *why = tp_config_error(cfg);

	if (why != NULL && strstr(why, arg) != NULL)
		console_error("%s", why);
	else
		console_error("%s '%s': %s", what, arg, why ? why : "failed");
	*stp = st;
	return -1;
}

int setup_config_files(struct tp_config *cfg, const struct cli_options *o,
		       enum cli_status *st)
{
	const char *keylog = setup_keylog_path(o);

	if (keylog == NULL)
		keylog = pcap_keylog_path(); /* --pcap reads its secrets */
	if (o->ca_file && tp_config_set_ca_file(cfg, o->ca_file) == -1)
		return config_fail(cfg, "--ca-file", o->ca_file, CLI_EOTHER,
				   st);
	if (o->ca_dir && tp_config_set_ca_dir(cfg, o->ca_dir) == -1)
		return config_fail(cfg, "--ca-dir", o->ca_dir, CLI_EOTHER, st);
	/* After the CAs: a CRL is verified against them as it loads. */
	if (o->crl_file && tp_config_add_crl_file(cfg, o->crl_file) == -1)
		return config_fail(cfg, "--crl-file", o->crl_file, CLI_EOTHER,
				   st);
	if (o->status && tp_config_request_ocsp_status(cfg) == -1)
		return config_fail(cfg, "--status", "", CLI_EOTHER, st);
	if (o->cert && tp_config_set_cert_file(cfg, o->cert,
					       o->key ? o->key : o->cert) == -1)
		/* a key of another certificate is a usage error (exit 2) */
		return config_fail(cfg, "--cert", o->cert,
				   tp_config_errcode(cfg) == TP_ERR_USAGE ?
					   CLI_EUSAGE :
					   CLI_EOTHER,
				   st);
	if (keylog && tp_config_set_keylog_file(cfg, keylog) == -1)
		return config_fail(cfg, "key log", keylog, CLI_EOTHER, st);
	return 0;
}

/* --ciphers replaces the TLS 1.2 suites, --ciphersuites the TLS 1.3 ones;
 * each leaves the other version's defaults alone, as in s_client. */
static int config_ciphers(struct tp_config *cfg, const struct cli_options *o,
			  enum cli_status *st)
{
	if (tp_config_set_cipher_lists(cfg, o->ciphers, o->ciphersuites) == 0)
		return 0;
	/* The message names the list at fault. */
	return config_fail(cfg, "invalid cipher list",
			   o->ciphers ? o->ciphers : o->ciphersuites,
			   CLI_EUSAGE, st);
}

/* Protocol choices: versions, lists, tickets, timeouts. */
static int config_protocol(struct tp_config *cfg, const struct cli_options *o,
			   enum cli_status *st)
{
	if ((o->min_tls || o->max_tls) &&
	    tp_config_set_versions(cfg, o->min_tls, o->max_tls) == -1)
		return config_fail(cfg, "TLS versions", "--min-tls/--max-tls",
				   CLI_EUSAGE, st);
	if (config_ciphers(cfg, o, st) == -1)
		return -1;
	if (o->groups && tp_config_set_groups(cfg, o->groups) == -1)
		return config_fail(cfg, "invalid --groups", o->groups,
				   CLI_EUSAGE, st);
	if (o->alpn && tp_config_set_alpn(cfg, o->alpn) == -1)
		return config_fail(cfg, "invalid --alpn", o->alpn, CLI_EUSAGE,
				   st);
	if (o->no_tickets)
		tp_config_set_tickets(cfg, 0);
	if (o->timeout >= 0)
		tp_config_set_timeouts(cfg, o->timeout * 1000,
				       o->timeout * 1000);
	return 0;
}

struct tp_config *setup_config(struct session *s, enum cli_status *st)
{
	const struct cli_options *o = s->opt;
	struct tp_config *cfg = tp_config_new(TP_CLIENT);

	if (cfg == NULL) {
		console_error("out of memory");
		*st = CLI_EOTHER;
		return NULL;
	}
	tp_config_insecure(cfg, o->insecure);
	tp_config_set_reneg_policy(cfg, TP_RENEG_ACCEPT, 0);
	tp_config_set_event_cb(cfg, session_event, s);
	if (setup_config_files(cfg, o, st) == -1 ||
	    config_protocol(cfg, o, st) == -1) {
		tp_config_free(cfg);
		return NULL;
	}
	return cfg;
}

const char *setup_servername(const struct cli_options *o)
{
	/* "" asks the library to send no SNI (see the report). */
	if (o->no_servername)
		return "";
	return o->servername ? o->servername : o->target.host;
}

const char *setup_sni(const struct cli_options *o)
{
	const char *name = setup_servername(o);

	return *name == '\0' || tp_name_is_address(name) ? NULL : name;
}

/* The error line for a failed call on c, and the status it means. */
static int conn_error(struct tp_conn *c, char *err, size_t errlen,
		      enum cli_status *st)
{
	*st = cli_conn_error(c, 0, err, errlen);
	return -1;
}

/* setup_plain_connect, also noting in *t when it started, resolved and
 * connected (the library's timing of a socket it did not connect). */
static int plain_connect_timed(const struct cli_options *o, char *err,
			       size_t errlen, enum cli_status *st,
			       struct tp_timing *t)
{
	int tmo = o->timeout >= 0 ? o->timeout * 1000 : DEFAULT_TIMEOUT_MS;
	/* XMPP's to= names the service even with --noservername. */
	const char *name = o->servername ? o->servername : o->target.host;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &t->start);
	fd = net_connect_timed(o->target.host, o->target.port, o->family, tmo,
			       err, errlen, st, &t->resolved);
	if (fd != -1)
		clock_gettime(CLOCK_MONOTONIC, &t->connected);
	if (fd == -1 || o->starttls == CLI_STARTTLS_NONE)
		return fd;
	if (starttls_run(fd, o->starttls, name, tmo, err, errlen, st) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int setup_plain_connect(const struct cli_options *o, char *err, size_t errlen,
			enum cli_status *st)
{
	struct tp_timing t;

	memset(&t, 0, sizeof(t));
	return plain_connect_timed(o, err, errlen, st, &t);
}

int setup_connect(struct tp_conn *c, const struct cli_options *o, char *err,
		  size_t errlen, enum cli_status *st)
{
	struct tp_timing t;
	int fd;

	if (o->starttls == CLI_STARTTLS_NONE) {
		if (tp_conn_connect(c, o->target.host, o->target.port,
				    setup_servername(o), o->family) == -1)
			return conn_error(c, err, errlen, st);
		return 0;
	}
	/* Our own TCP connect and preamble, then the library takes the
	 * socket; its timing is ours. */
	memset(&t, 0, sizeof(t));
	fd = plain_connect_timed(o, err, errlen, st, &t);
	tp_conn_set_connect_timing(c, &t);
	if (fd == -1)
		return -1;
	if (tp_conn_attach_fd(c, fd, setup_servername(o)) == -1)
		return conn_error(c, err, errlen, st);
	return 0;
}

static int load_session(struct tp_conn *c, struct tp_conn *prev,
			const struct cli_options *o, enum cli_status *st)
{
	if (prev != NULL && tp_conn_reuse_session_from(c, prev) == -1) {
		/* Not fatal: the reconnection just will not resume. */
		console_msg("Warning: cannot reuse the session: %s",
			    tp_conn_error(c) ? tp_conn_error(c) :
					       "no session available");
		return 0;
	}
	if (prev == NULL && o->sess_in != NULL &&
	    tp_conn_load_session(c, o->sess_in) == -1) {
		console_error("--sess-in '%s': %s", o->sess_in,
			      tp_conn_error(c));
		*st = CLI_EOTHER;
		return -1;
	}
	return 0;
}

struct tp_conn *setup_conn(struct session *s, struct tp_conn *prev,
			   enum cli_status *st)
{
	const struct cli_options *o = s->opt;
	struct tp_conn *c = tp_conn_new(s->cfg);
	char err[512];

	if (c == NULL) {
		console_error("out of memory");
		*st = CLI_EOTHER;
		return NULL;
	}
	if (load_session(c, prev, o, st) == -1) {
		tp_conn_free(c);
		return NULL;
	}
	if (o->verify_name != NULL &&
	    tp_conn_set_verify_name(c, o->verify_name) == -1) {
		console_error("out of memory");
		*st = CLI_EOTHER;
		tp_conn_free(c);
		return NULL;
	}
	if (setup_connect(c, o, err, sizeof(err), st) == -1) {
		console_error("%s", err);
		tp_conn_timing(c, &s->setup_timing); /* for --json */
		tp_conn_free(c);
		return NULL;
	}
	return c;
}
