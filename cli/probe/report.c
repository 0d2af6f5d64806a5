/*
 * The client-initiated verdict rules, and the two outputs: readable text
 * and JSON
 * (observed facts beside the verdicts derived from them; the schema is in
 * tlsprobe-probe(1)).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

static int is_no(enum attempt_outcome o)
{
	return o == OUT_REFUSED || o == OUT_FATAL_ALERT ||
	       o == OUT_CLOSE_NOTIFY || o == OUT_FIN || o == OUT_RESET ||
	       o == OUT_PLAINTEXT;
}

/*
 * accepted: every attempt completed. limited_after_n: the first n
 * completed, every later one was refused, closed or ignored. rejected: none
 * completed, each was refused or closed. ignored: each timed out.
 * inconclusive: anything else (errors, completions after a refusal).
 */
void probe_ci_verdict(struct reneg_result *r)
{
	int k = 0, all_ignored = 1, all_no = 1, tail_ok = 1;

	r->ci_limit = -1;
	if (!r->tested) {
		r->ci_status = CI_NOT_APPLICABLE;
		snprintf(r->ci_reason, sizeof(r->ci_reason),
			 "the server speaks only TLS 1.3, which has no "
			 "renegotiation");
		return;
	}
	if (!r->secure_reneg) {
		r->ci_status = CI_INCONCLUSIVE;
		snprintf(r->ci_reason, sizeof(r->ci_reason),
			 "no secure renegotiation (RFC 5746); insecure "
			 "renegotiation is never attempted");
		return;
	}
	while (k < r->n_att && r->att[k].outcome == OUT_COMPLETED)
		k++;
	for (int i = 0; i < r->n_att; i++) {
		if (r->att[i].outcome != OUT_IGNORED)
			all_ignored = 0;
		if (!is_no(r->att[i].outcome))
			all_no = 0;
		if (i >= k && !is_no(r->att[i].outcome) &&
		    r->att[i].outcome != OUT_IGNORED)
			tail_ok = 0;
	}
	if (r->n_att == 0) {
		r->ci_status = CI_INCONCLUSIVE;
		snprintf(r->ci_reason, sizeof(r->ci_reason),
			 "no attempt was made");
	} else if (k == r->n_att && !r->stopped_early) {
		r->ci_status = CI_ACCEPTED;
	} else if (k > 0 && tail_ok) {
		r->ci_status = CI_LIMITED;
		r->ci_limit = k;
	} else if (k == 0 && all_no) {
		r->ci_status = CI_REJECTED;
		if (r->att[r->n_att - 1].outcome == OUT_PLAINTEXT)
			snprintf(r->ci_reason, sizeof(r->ci_reason),
				 "refused by closing: %s",
				 r->att[r->n_att - 1].msg);
	} else if (all_ignored) {
		r->ci_status = CI_IGNORED;
	} else {
		r->ci_status = CI_INCONCLUSIVE;
		snprintf(r->ci_reason, sizeof(r->ci_reason),
			 "the attempts do not follow one policy");
	}
}

/* ---- text ---- */

static void text_attempts(FILE *fp, const struct reneg_result *r)
{
	for (int i = 0; i < r->n_att; i++) {
		const struct attempt *a = &r->att[i];

		fprintf(fp, "    #%-3d %-13s %8.1f ms", i + 1,
			attempt_outcome_name(a->outcome), a->ms);
		if (a->outcome == OUT_FATAL_ALERT)
			fprintf(fp, "  alert %s (%d)", tp_alert_name(a->alert),
				a->alert);
		if (a->alive >= 0)
			fprintf(fp, "  %s", a->alive ? "alive" : "dead");
		if (a->outcome == OUT_ERROR || a->outcome == OUT_PLAINTEXT)
			fprintf(fp, "  %s", a->msg);
		fputc('\n', fp);
	}
}

static void text_ci(FILE *fp, const struct reneg_result *r)
{
	fprintf(fp, "client-initiated:     %s", probe_ci_name(r->ci_status));
	if (r->ci_limit >= 0)
		fprintf(fp, " (n=%d)", r->ci_limit);
	if (r->n_att > 0)
		fprintf(fp, ", %d of %d attempts completed", r->n_completed,
			r->n_att);
	if (r->ci_reason[0])
		fprintf(fp, " (%s)", r->ci_reason);
	fputc('\n', fp);
	text_attempts(fp, r);
	if (r->stopped_early)
		fprintf(fp, "    (stopped early: %s)\n",
			r->att[r->n_att - 1].outcome == OUT_IGNORED ?
				"two attempts in a row were ignored" :
				"the connection ended");
}

static void text_stream(FILE *fp, const struct stream_result *s,
			enum stream_status st)
{
	fprintf(fp, "mid-stream:           %s", probe_stream_name(st));
	if (st != STREAM_NOT_TESTED)
		fprintf(fp,
			", %" PRIu64 " bytes sent, %" PRIu64 " echoed, "
			"%d/%d renegotiations completed (%d with data in "
			"flight, %d with echo inside), %u+%u interleaved "
			"records, %.0f ms",
			s->sent, s->received, s->renegs_completed,
			s->renegs_tried, s->renegs_in_flight,
			s->renegs_echo_inside, s->interleaved_rx,
			s->interleaved_tx, s->ms);
	if (s->reason[0])
		fprintf(fp, " (%s)", s->reason);
	fputc('\n', fp);
}

void probe_report_text(FILE *fp, const struct probe_result *pr)
{
	const struct reneg_result *r = &pr->r;
	const struct tls13_result *t = &pr->t;
	struct probe_finding f[PROBE_MAX_FINDINGS];
	int nf = probe_findings(pr, f);

	fprintf(fp, "target:               %s port %s (%s)",
		pr->o->conn.target.host, pr->o->conn.target.port,
		pr->peer_addr);
	if (pr->o->conn.starttls != CLI_STARTTLS_NONE)
		fprintf(fp, " after STARTTLS (%s)",
			cli_starttls_name(pr->o->conn.starttls));
	fputc('\n', fp);
	if (r->tested)
		fprintf(fp, "protocol tested:      %s %s\n", r->version,
			r->cipher);
	else
		fprintf(fp, "protocol tested:      TLSv1.3 only\n");
	fprintf(fp, "secure renegotiation: %s", probe_sr_name(pr->sr));
	if (r->tested)
		fprintf(fp, " (extension alone: %s; SCSV alone: %s)",
			probe_sig_name(r->sig_ext),
			probe_sig_name(r->sig_scsv));
	fputc('\n', fp);
	text_ci(fp, r);
	fprintf(fp, "server-initiated:     %s", probe_srv_name(r->srv_status));
	if (r->srv_hello_requests > 0)
		fprintf(fp,
			", %d HelloRequest, %d completed, first after "
			"%.1f ms",
			r->srv_hello_requests, r->srv_completed,
			r->srv_first_ms);
	if (r->srv_reason[0])
		fprintf(fp, " (%s)", r->srv_reason);
	fputc('\n', fp);
	text_stream(fp, &pr->s, pr->stream);
	fprintf(fp, "TLS 1.3 KeyUpdate:    %s", probe_ku_name(pr->ku));
	if (pr->ku == KU_ANSWERED)
		fprintf(fp, " in %.1f ms%s", t->ku_ms,
			t->ku_provoked ? ", before its next data" : "");
	if (t->reason[0])
		fprintf(fp, " (%s)", t->reason);
	fputc('\n', fp);
	fprintf(fp, "findings:%s\n", nf ? "" : " none");
	for (int i = 0; i < nf; i++)
		fprintf(fp, "  [%s] %s\n", f[i].severity, f[i].text);
}

/* ---- JSON ---- */

static void json_hex(struct json_writer *w, const char *key, uint64_t v)
{
	char buf[20];

	snprintf(buf, sizeof(buf), "%016" PRIx64, v);
	json_kv_string(w, key, buf);
}

static void json_attempts(struct json_writer *w, const struct reneg_result *r)
{
	json_key(w, "attempts");
	json_array_begin(w);
	for (int i = 0; i < r->n_att; i++) {
		const struct attempt *a = &r->att[i];

		json_object_begin(w);
		json_kv_int(w, "n", i + 1);
		json_kv_string(w, "outcome", attempt_outcome_name(a->outcome));
		/* From the connection's start, as the connect command's
		 * timing.renegotiations; no end when no answer came. */
		json_kv_ms(w, "start_ms", a->start_ms);
		json_kv_ms(w, "end_ms",
			   a->outcome == OUT_IGNORED ? -1 :
						       a->start_ms + a->ms);
		json_kv_ms(w, "duration_ms", a->ms);
		if (a->outcome == OUT_FATAL_ALERT) {
			json_kv_int(w, "alert", a->alert);
			json_kv_string(w, "alert_name",
				       tp_alert_name(a->alert));
		}
		if (a->alive >= 0)
			json_kv_bool(w, "alive", a->alive);
		if (a->msg[0])
			json_kv_string(w, "message", a->msg);
		json_object_end(w);
	}
	json_array_end(w);
}

static void json_ci(struct json_writer *w, const struct probe_result *pr)
{
	const struct reneg_result *r = &pr->r;

	json_key(w, "client_initiated");
	json_object_begin(w);
	json_kv_string(w, "status", probe_ci_name(r->ci_status));
	json_key(w, "limit");
	if (r->ci_limit >= 0)
		json_int(w, r->ci_limit);
	else
		json_null(w);
	json_kv_string(w, "reason", r->ci_reason[0] ? r->ci_reason : NULL);
	json_kv_int(w, "attempts_requested", pr->o->attempts);
	json_kv_int(w, "attempts_made", r->n_att);
	json_kv_int(w, "attempts_completed", r->n_completed);
	json_kv_bool(w, "stopped_early", r->stopped_early);
	json_key(w, "alive_after");
	if (r->alive_after >= 0)
		json_bool(w, r->alive_after);
	else
		json_null(w);
	json_attempts(w, r);
	json_object_end(w);
}

static void json_si(struct json_writer *w, const struct reneg_result *r)
{
	json_key(w, "server_initiated");
	json_object_begin(w);
	json_kv_string(w, "status", probe_srv_name(r->srv_status));
	json_kv_string(w, "reason", r->srv_reason[0] ? r->srv_reason : NULL);
	json_kv_int(w, "hello_requests", r->srv_hello_requests);
	json_kv_int(w, "completed", r->srv_completed);
	json_kv_int(w, "refused_by_client", r->srv_refused);
	json_kv_bool(w, "request_sent", r->srv_request_sent);
	json_kv_ms(w, "first_hello_request_ms", r->srv_first_ms);
	json_kv_int(w, "wait_ms", r->srv_wait_ms);
	json_object_end(w);
}

static void json_stream(struct json_writer *w, const struct stream_result *s,
			enum stream_status st)
{
	int tested = st != STREAM_NOT_TESTED;

	json_key(w, "midstream");
	json_object_begin(w);
	json_key(w, "stream_ok");
	if (tested)
		json_bool(w, st == STREAM_OK);
	else
		json_string(w, "not_tested");
	json_kv_string(w, "status", probe_stream_name(st));
	json_kv_string(w, "reason", s->reason[0] ? s->reason : NULL);
	json_key(w, "echo_detected");
	if (s->echo_detected >= 0)
		json_bool(w, s->echo_detected);
	else
		json_null(w);
	if (tested) {
		json_key(w, "bytes_sent");
		json_uint(w, s->sent);
		json_key(w, "bytes_received");
		json_uint(w, s->received);
		json_hex(w, "checksum_sent", s->sent_sum);
		json_hex(w, "checksum_received", s->recv_sum);
		json_kv_int(w, "renegotiations_tried", s->renegs_tried);
		json_kv_int(w, "renegotiations_completed", s->renegs_completed);
		json_kv_int(w, "renegotiations_with_data_in_flight",
			    s->renegs_in_flight);
		json_kv_int(w, "renegotiations_with_echo_inside",
			    s->renegs_echo_inside);
		json_kv_int(w, "interleaved_records_received",
			    s->interleaved_rx);
		json_kv_int(w, "interleaved_records_sent", s->interleaved_tx);
		json_kv_ms(w, "duration_ms", s->ms);
	}
	json_object_end(w);
}

static void json_reneg(struct json_writer *w, const struct probe_result *pr)
{
	const struct reneg_result *r = &pr->r;

	json_key(w, "renegotiation");
	json_object_begin(w);
	json_kv_string(w, "protocol_tested",
		       r->tested ? r->version : "TLSv1.3");
	json_kv_string(w, "cipher", r->tested ? r->cipher : NULL);
	json_key(w, "secure_renegotiation");
	json_object_begin(w);
	json_kv_string(w, "status", probe_sr_name(pr->sr));
	json_kv_string(w, "extension",
		       r->tested ? probe_sig_name(r->sig_ext) :
				   "not_applicable");
	json_kv_string(w, "scsv",
		       r->tested ? probe_sig_name(r->sig_scsv) :
				   "not_applicable");
	if (r->tested) {
		json_kv_string(w, "extension_detail", r->sig_ext_why);
		json_kv_string(w, "scsv_detail", r->sig_scsv_why);
	}
	json_object_end(w);
	json_ci(w, pr);
	json_si(w, r);
	json_stream(w, &pr->s, pr->stream);
	json_object_end(w);
}

static void json_tls13(struct json_writer *w, const struct tls13_result *t,
		       enum ku_status ku)
{
	json_key(w, "tls13");
	json_object_begin(w);
	json_kv_bool(w, "supported", t->supported);
	json_kv_string(w, "cipher", t->supported ? t->cipher : NULL);
	json_key(w, "key_update");
	json_object_begin(w);
	json_kv_string(w, "status", probe_ku_name(ku));
	json_kv_string(w, "reason", t->reason[0] ? t->reason : NULL);
	json_kv_ms(w, "duration_ms", ku == KU_ANSWERED ? t->ku_ms : -1);
	json_kv_bool(w, "data_sent_to_provoke", t->ku_provoked);
	json_kv_int(w, "key_updates_sent", t->ku_sent);
	json_kv_int(w, "key_updates_received", t->ku_received);
	json_object_end(w);
	json_object_end(w);
}

static void json_verdicts(struct json_writer *w, const struct probe_result *pr)
{
	struct probe_finding f[PROBE_MAX_FINDINGS];
	int nf = probe_findings(pr, f);

	json_key(w, "verdicts");
	json_object_begin(w);
	json_kv_string(w, "secure_renegotiation", probe_sr_name(pr->sr));
	json_kv_string(w, "client_initiated", probe_ci_name(pr->r.ci_status));
	json_kv_string(w, "server_initiated", probe_srv_name(pr->r.srv_status));
	json_kv_string(w, "midstream", probe_stream_name(pr->stream));
	json_kv_string(w, "tls13_key_update", probe_ku_name(pr->ku));
	json_object_end(w);
	json_key(w, "findings");
	json_array_begin(w);
	for (int i = 0; i < nf; i++) {
		json_object_begin(w);
		json_kv_string(w, "severity", f[i].severity);
		json_kv_string(w, "id", f[i].id);
		json_kv_string(w, "message", f[i].text);
		json_object_end(w);
	}
	json_array_end(w);
}

/* "" as null: the log's strings that were never set. */
static void json_kv_text(struct json_writer *w, const char *key, const char *s)
{
	json_kv_string(w, key, s[0] ? s : NULL);
}

/* Each connection the run made, with the connect command's names. */
static void json_connections(struct json_writer *w, const struct probe_log *log)
{
	json_key(w, "connections");
	json_array_begin(w);
	for (int i = 0; i < log->n; i++) {
		const struct probe_conn_log *l = &log->c[i];

		json_object_begin(w);
		json_kv_string(w, "purpose", l->purpose);
		json_kv_text(w, "peer_addr", l->peer_addr);
		json_kv_text(w, "protocol", l->protocol);
		json_kv_text(w, "cipher", l->cipher);
		json_kv_string(w, "sni",
			       l->handshake_done && l->sni[0] ? l->sni : NULL);
		json_kv_text(w, "error", l->error);
		json_key(w, "timing");
		json_object_begin(w);
		timing_json_phases(w, &l->timing);
		json_object_end(w);
		json_object_end(w);
	}
	json_array_end(w);
	json_kv_int(w, "connections_unlisted", log->more);
}

/* The report's opening, the same for a report and for an error line:
 * which probe, when, the target as the connection was made to it, how
 * the probe of it ended, and its connections. */
static void json_head(struct json_writer *w, const struct probe_result *pr,
		      enum cli_status st, const char *error)
{
	const struct cli_options *c = &pr->o->conn;

	json_object_begin(w);
	json_kv_int(w, "schema_version", PROBE_JSON_SCHEMA_VERSION);
	json_kv_string(w, "tool", "tlsprobe");
	json_kv_string(w, "version", tp_version());
	json_kv_string(w, "probe", "reneg");
	json_kv_date(w, "started_at", &pr->started_at);
	json_key(w, "target");
	json_object_begin(w);
	json_target_members(w, c);
	json_kv_text(w, "peer_addr", pr->peer_addr);
	json_object_end(w);
	json_kv_int(w, "exit_status", st);
	json_kv_string(w, "error", error);
	json_key(w, "timing");
	json_object_begin(w);
	json_kv_ms(w, "total_ms", timing_ms_from(&pr->start, &pr->end));
	json_object_end(w);
	json_connections(w, &pr->log);
}

int probe_report_json_error(FILE *fp, const struct probe_result *pr,
			    enum cli_status st, const char *msg, int compact)
{
	struct json_writer w;

	json_init(&w, fp);
	w.compact = compact;
	json_head(&w, pr, st, msg);
	json_object_end(&w);
	return json_finish(&w);
}

int probe_report_json(FILE *fp, const struct probe_result *pr,
		      enum cli_status status, int compact)
{
	const struct probe_opts *o = pr->o;
	struct json_writer w;

	json_init(&w, fp);
	w.compact = compact;
	json_head(&w, pr, status, NULL);
	json_key(&w, "settings");
	json_object_begin(&w);
	json_kv_int(&w, "attempts", o->attempts);
	json_kv_int(&w, "interval_ms", o->interval_ms);
	json_kv_int(&w, "timeout_ms", o->timeout_ms);
	json_kv_int(&w, "hello_wait_ms", o->hello_wait_ms);
	json_kv_int(&w, "stream_bytes", (long long)o->stream_bytes);
	json_kv_bool(&w, "request", o->request != NULL);
	json_kv_bool(&w, "insecure", o->conn.insecure);
	json_kv_bool(&w, "client_certificate", o->conn.cert != NULL);
	json_object_end(&w);
	json_reneg(&w, pr);
	json_tls13(&w, &pr->t, pr->ku);
	json_verdicts(&w, pr);
	json_object_end(&w);
	return json_finish(&w);
}
