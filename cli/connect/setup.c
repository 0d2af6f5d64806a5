/* Configuration and connection setup; see connect.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"

/* The error line of the tp_config_* call that failed, printed. */
static int config_fail(struct tp_config *cfg, const char *what, const char *arg,
		       enum cli_status st, enum cli_status *stp)
{
	char err[CLI_ERROR_MAX];

	cli_config_error(cfg, what, arg, err, sizeof(err));
	console_error("%s", err);
	*stp = st;
	return -1;
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

/* setup_config_files, its error printed; --pcap reads the secrets when
 * no key log is asked for. */
static int config_files(struct tp_config *cfg, const struct cli_options *o,
			enum cli_status *st)
{
	char err[CLI_ERROR_MAX];

	if (setup_config_files(cfg, o, pcap_keylog_path(), err, sizeof(err),
			       st) == 0)
		return 0;
	console_error("%s", err);
	return -1;
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
	if (config_files(cfg, o, st) == -1 ||
	    config_protocol(cfg, o, st) == -1) {
		tp_config_free(cfg);
		return NULL;
	}
	return cfg;
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
	char err[CLI_ERROR_MAX];

	if (c == NULL) {
		console_error("cannot create a connection: %s",
			      strerror(errno));
		*st = CLI_EOTHER;
		return NULL;
	}
	if (load_session(c, prev, o, st) == -1) {
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
