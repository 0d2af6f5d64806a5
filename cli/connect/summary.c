/* Session summary, status and JSON; see connect.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect.h"

/* The --json document's layout; tlsprobe(1) JSON REPORT documents it. */
#define JSON_SCHEMA_VERSION 2

static const char *str_or(const char *s, const char *dflt)
{
	return s != NULL && *s != '\0' ? s : dflt;
}

static int is_tls13(const struct tp_info *i)
{
	return i->protocol == TP_TLS1_3;
}

static const char *yes_no(int v)
{
	return v ? "yes" : "no";
}

static void print_chain(FILE *fp, const struct tp_info *i, int pem)
{
	int n;

	if (i->peer_chain_len > 0) {
		fprintf(fp, "Peer subject: %s\n",
			str_or(i->peer_chain[0].subject, "?"));
		fprintf(fp, "Peer issuer: %s\n",
			str_or(i->peer_chain[0].issuer, "?"));
	}
	fprintf(fp, "Peer chain (as sent): %d certificate%s\n",
		i->peer_chain_len, i->peer_chain_len == 1 ? "" : "s");
	for (n = 0; n < i->peer_chain_len; n++)
		certs_print_cert(fp, n, &i->peer_chain[n], pem);
}

static void print_verification(FILE *fp, struct tp_conn *c,
			       const struct tp_info *i)
{
	if (i->verify_ok && i->verify_failures == 0) {
		fputs("Verification: ok\n", fp);
		return;
	}
	fprintf(fp,
		"Verification: FAILED (%d failure%s, ignored because of "
		"--insecure): %s\n",
		i->verify_failures, i->verify_failures == 1 ? "" : "s",
		str_or(i->verify_error, "unknown reason"));
	certs_print_failures(fp, tp_conn_verify_log(c));
}

/* What went out in SNI, and why nothing did. */
static void print_sni(FILE *fp, const struct tp_info *i,
		      const struct cli_options *o)
{
	if (i->sni != NULL)
		fprintf(fp, "SNI: %s\n", i->sni);
	else if (o->no_servername)
		fputs("SNI: none (--noservername)\n", fp);
	else
		fputs("SNI: none (an IP address: SNI carries host names only)\n",
		      fp);
}

/* Tickets so far; TLS 1.3 ones come after the handshake, each with a
 * line of its own (session.c). */
static void print_tickets(FILE *fp, const struct tp_info *i,
			  const struct cli_options *o)
{
	if (i->tickets_received > 0)
		fprintf(fp, "Session tickets: %d\n", i->tickets_received);
	else if (o->no_tickets)
		fputs("Session tickets: none (--no-tickets)\n", fp);
	else if (is_tls13(i))
		fputs("Session tickets: none yet (TLS 1.3 servers send them "
		      "after the handshake)\n",
		      fp);
	else
		fputs("Session tickets: none\n", fp);
}

static void print_timing(FILE *fp, struct tp_conn *c,
			 const struct cli_options *o)
{
	struct tp_timing t;
	struct timing_figures f;

	tp_conn_timing(c, &t);
	timing_figures(&t, NULL, o->starttls != CLI_STARTTLS_NONE, &f);
	timing_text(fp, &f, 0);
}

static void print_full(FILE *fp, struct tp_conn *c, const struct tp_info *i,
		       const struct cli_options *o)
{
	fputs("---\n", fp);
	fprintf(fp, "Connected: %s\n", str_or(i->peer_addr, "?"));
	fprintf(fp, "Protocol: %s\n", str_or(i->version, "?"));
	fprintf(fp, "Cipher: %s\n", str_or(i->cipher, "?"));
	fprintf(fp, "Group: %s\n", str_or(i->group, "none"));
	print_chain(fp, i, o->showcerts);
	print_verification(fp, c, i);
	certs_print_path(fp, c);
	certs_print_request(fp, c);
	revocation_print(fp, c);
	print_sni(fp, i, o);
	fprintf(fp, "ALPN: %s\n", str_or(i->alpn, "none"));
	fprintf(fp, "Secure renegotiation: %s\n",
		is_tls13(i) ? "n/a (TLS 1.3)" :
			      yes_no(i->secure_renegotiation));
	print_tickets(fp, i, o);
	fprintf(fp, "Resumed: %s\n", yes_no(i->session_reused));
	print_timing(fp, c, o);
	fputs("---\n", fp);
}

static void print_brief(FILE *fp, struct tp_conn *c, const struct tp_info *i)
{
	fprintf(fp,
		"Connected to %s: %s %s %s, ALPN %s, peer %s, verify %s, "
		"resumed %s",
		str_or(i->peer_addr, "?"), str_or(i->version, "?"),
		str_or(i->cipher, "?"), str_or(i->group, "-"),
		str_or(i->alpn, "none"),
		i->peer_chain_len > 0 ? str_or(i->peer_chain[0].subject, "?") :
					"?",
		i->verify_ok && i->verify_failures == 0 ?
			"ok" :
			"FAILED (ignored, --insecure)",
		yes_no(i->session_reused));
	revocation_brief(fp, c);
	fputc('\n', fp);
}

char *summary_text(struct tp_conn *c, const struct cli_options *o, int *tickets)
{
	struct tp_info info;
	const struct tp_info *i = conn_info(c, &info);
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	*tickets = i != NULL ? i->tickets_received : 0;
	if (i == NULL || o->verbosity == CLI_QUIET)
		return NULL;
	fp = open_memstream(&text, &len);
	if (fp == NULL)
		return NULL;
	if (o->verbosity == CLI_BRIEF)
		print_brief(fp, c, i);
	else
		print_full(fp, c, i, o);
	fclose(fp);
	return text;
}

static void print_status(FILE *fp, struct tp_conn *c, const struct tp_info *i)
{
	fprintf(fp, "Protocol: %s\n", str_or(i->version, "?"));
	fprintf(fp, "Cipher: %s\n", str_or(i->cipher, "?"));
	fprintf(fp, "Peer: %s (%s)\n", str_or(i->peer_addr, "?"),
		i->peer_chain_len > 0 ? str_or(i->peer_chain[0].subject, "?") :
					"no certificate");
	print_verification(fp, c, i);
	revocation_print(fp, c);
	fprintf(fp, "Secure renegotiation: %s\n",
		is_tls13(i) ? "n/a (TLS 1.3)" :
			      yes_no(i->secure_renegotiation));
	fprintf(fp,
		"Handshakes: %d (renegotiations: %d completed, %d "
		"refused)\n",
		i->handshakes, i->renegotiations, i->renegotiations_refused);
	fprintf(fp, "Key updates: %d sent, %d received\n", i->key_updates_sent,
		i->key_updates_received);
	fprintf(fp, "Resumed: %s\n", yes_no(i->session_reused));
	fprintf(fp, "Bytes: %" PRIu64 " read, %" PRIu64 " written\n",
		i->bytes_read, i->bytes_written);
}

char *summary_status(struct tp_conn *c)
{
	struct tp_info info;
	const struct tp_info *i = conn_info(c, &info);
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (fp == NULL)
		return NULL;
	if (i == NULL)
		fputs("Handshake: not complete yet\n", fp);
	else
		print_status(fp, c, i);
	fclose(fp);
	return text;
}

static void json_chain(struct json_writer *w, const struct tp_info *i)
{
	int n;

	json_key(w, "peer_chain");
	json_array_begin(w);
	for (n = 0; n < i->peer_chain_len; n++)
		certs_json_cert(w, &i->peer_chain[n]);
	json_array_end(w);
}

static void json_verification(struct json_writer *w, struct tp_conn *c,
			      const struct tp_info *i)
{
	const char *log = tp_conn_verify_log(c), *nl;

	json_key(w, "verification");
	json_object_begin(w);
	json_kv_bool(w, "ok", i->verify_ok && i->verify_failures == 0);
	json_kv_string(w, "error", i->verify_error);
	json_kv_int(w, "failures", i->verify_failures);
	json_key(w, "log");
	json_array_begin(w);
	while (log != NULL && *log != '\0') {
		char line[CLI_ERROR_MAX];

		nl = strchr(log, '\n');
		snprintf(line, sizeof(line), "%.*s",
			 (int)(nl ? (size_t)(nl - log) : strlen(log)), log);
		json_string(w, line);
		log = nl ? nl + 1 : NULL;
	}
	json_array_end(w);
	json_object_end(w);
}

static void json_counters(struct json_writer *w, const struct tp_info *i)
{
	json_kv_int(w, "handshakes", i->handshakes);
	json_kv_int(w, "renegotiations", i->renegotiations);
	json_kv_int(w, "renegotiations_refused", i->renegotiations_refused);
	json_kv_int(w, "key_updates_sent", i->key_updates_sent);
	json_kv_int(w, "key_updates_received", i->key_updates_received);
	json_key(w, "bytes_read");
	json_uint(w, i->bytes_read);
	json_key(w, "bytes_written");
	json_uint(w, i->bytes_written);
}

static void json_connection(struct json_writer *w, struct tp_conn *c)
{
	struct tp_info info;
	const struct tp_info *i = c ? conn_info(c, &info) : NULL;

	json_key(w, "connection");
	if (i == NULL) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_string(w, "peer_addr", i->peer_addr);
	json_kv_string(w, "protocol", i->version);
	json_kv_string(w, "cipher", i->cipher);
	json_kv_string(w, "group", i->group);
	json_kv_string(w, "sni", i->sni);
	json_kv_string(w, "alpn", i->alpn);
	json_kv_bool(w, "secure_renegotiation", i->secure_renegotiation);
	json_kv_bool(w, "session_ticket", i->ticket_received);
	json_kv_int(w, "session_tickets", i->tickets_received);
	json_kv_bool(w, "resumed", i->session_reused);
	json_counters(w, i);
	json_verification(w, c, i);
	revocation_json(w, c);
	json_chain(w, i);
	json_object_end(w);
}

static void json_target(struct json_writer *w, const struct cli_options *o)
{
	json_target_members(w, o);
	json_kv_bool(w, "insecure", o->insecure);
}

static void json_reconnects(struct json_writer *w, const struct session *s)
{
	int k;

	json_key(w, "reconnects");
	json_array_begin(w);
	for (k = 0; k < s->nreconnect; k++) {
		struct timing_figures f;

		timing_figures(&s->reconnects[k].timing, NULL,
			       s->opt->starttls != CLI_STARTTLS_NONE, &f);
		json_object_begin(w);
		json_kv_bool(w, "resumed", s->reconnects[k].resumed);
		json_key(w, "timing");
		json_object_begin(w);
		timing_json_phases(w, &f);
		json_object_end(w);
		json_object_end(w);
	}
	json_array_end(w);
}

static int is_set(const struct timespec *t)
{
	return t->tv_sec != 0 || t->tv_nsec != 0;
}

void summary_run_timing(const struct session *s, struct tp_conn *c,
			struct timing_figures *f)
{
	struct tp_timing t;

	if (c != NULL)
		tp_conn_timing(c, &t);
	else
		t = s->setup_timing;
	timing_figures(&t, is_set(&s->ended_at) ? &s->ended_at : NULL,
		       s->opt->starttls != CLI_STARTTLS_NONE, f);
}

void summary_print_end(const struct session *s, struct tp_conn *c)
{
	struct timing_figures f;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if (s->opt->verbosity != CLI_NORMAL || c == NULL ||
	    !tp_conn_handshake_done(c) ||
	    (fp = open_memstream(&text, &len)) == NULL)
		return;
	summary_run_timing(s, c, &f);
	timing_text(fp, &f, 1);
	if (fclose(fp) == 0)
		console_text(text);
	free(text);
}

static void json_timing(struct json_writer *w, struct session *s,
			struct tp_conn *c)
{
	struct timing_figures f;
	struct timing_renegs *r = c != NULL ? malloc(sizeof(*r)) : NULL;

	summary_run_timing(s, c, &f);
	if (r != NULL) {
		pthread_mutex_lock(&s->mtx);
		*r = s->renegs;
		pthread_mutex_unlock(&s->mtx);
	}
	timing_json(w, &f, r);
	free(r);
}

/* The report is built in memory and written whole (tp_file_write: a
 * temporary file renamed over the name, never through a link). */
int summary_json(const char *path, struct session *s, struct tp_conn *c,
		 enum cli_status status, const char *error)
{
	struct json_writer w;
	char *text = NULL, why[160];
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	int rv;

	if (fp == NULL) {
		console_error("--json '%s': %m", path);
		return -1;
	}
	json_init(&w, fp);
	json_object_begin(&w);
	json_kv_int(&w, "schema_version", JSON_SCHEMA_VERSION);
	json_kv_string(&w, "tool", "tlsprobe");
	json_kv_string(&w, "version", tp_version());
	json_kv_date(&w, "started_at", &s->started_at);
	json_target(&w, s->opt);
	json_kv_int(&w, "exit_status", status);
	json_kv_string(&w, "error", error);
	json_kv_bool(&w, "lingered", s->lingered);
	json_timing(&w, s, c);
	json_connection(&w, c);
	certs_json(&w, c);
	json_reconnects(&w, s);
	json_object_end(&w);
	rv = json_finish(&w);
	if (fclose(fp) == EOF || rv == -1) {
		free(text);
		console_error("--json '%s': out of memory", path);
		return -1;
	}
	rv = tp_file_write(path, text, len, 0, why, sizeof(why));
	free(text);
	if (rv == -1) {
		console_error("--json '%s': %s", path, why);
		return -1;
	}
	return 0;
}
