/*
 * Verdict rules, findings, and the two outputs: readable text and JSON
 * (observed facts beside the verdicts derived from them; the schema is in
 * tlsprobe-probe(1)).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "probe.h"

static int is_no(enum attempt_outcome o)
{
	return o == OUT_REFUSED || o == OUT_FATAL_ALERT ||
	       o == OUT_CLOSE_NOTIFY || o == OUT_FIN || o == OUT_RESET;
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
		r->ci_status = "not_applicable";
		snprintf(r->ci_reason, sizeof(r->ci_reason),
			 "the server speaks only TLS 1.3, which has no "
			 "renegotiation");
		return;
	}
	if (!r->secure_reneg) {
		r->ci_status = "inconclusive";
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
		r->ci_status = "inconclusive";
		snprintf(r->ci_reason, sizeof(r->ci_reason),
			 "no attempt was made");
	} else if (k == r->n_att && !r->stopped_early) {
		r->ci_status = "accepted";
	} else if (k > 0 && tail_ok) {
		r->ci_status = "limited_after_n";
		r->ci_limit = k;
	} else if (k == 0 && all_no) {
		r->ci_status = "rejected";
	} else if (all_ignored) {
		r->ci_status = "ignored";
	} else {
		r->ci_status = "inconclusive";
		snprintf(r->ci_reason, sizeof(r->ci_reason),
			 "the attempts do not follow one policy");
	}
}

static const char *sr_status(const struct probe_result *pr)
{
	if (!pr->r.tested)
		return "not_applicable";
	return pr->r.secure_reneg ? "supported" : "not_supported";
}

unsigned probe_verdict_bits(const struct probe_result *pr)
{
	static const struct {
		const char *name;
		unsigned bit;
	} ci[] = {
		{ "accepted", FAIL_ACCEPTED },
		{ "limited_after_n", FAIL_LIMITED },
		{ "rejected", FAIL_REJECTED },
		{ "ignored", FAIL_IGNORED },
		{ "inconclusive", FAIL_INCONCLUSIVE },
	};
	unsigned bits = 0;

	for (size_t i = 0; i < sizeof(ci) / sizeof(ci[0]); i++)
		if (strcmp(pr->r.ci_status, ci[i].name) == 0)
			bits |= ci[i].bit;
	if (strcmp(sr_status(pr), "not_supported") == 0)
		bits |= FAIL_NOT_SUPPORTED;
	if (strcmp(pr->s.status, "broken") == 0)
		bits |= FAIL_STREAM_BROKEN;
	if (strcmp(pr->t.ku_status, "not_answered") == 0 ||
	    strcmp(pr->t.ku_status, "closed") == 0)
		bits |= FAIL_KU_UNANSWERED;
	if (pr->r.srv_hello_requests > 0)
		bits |= FAIL_SERVER_RENEG;
	return bits;
}

/* ---- findings ---- */

struct finding {
	const char *severity, *id;
	char text[400];
};

static int findings(const struct probe_result *pr, struct finding *f)
{
	const struct reneg_result *r = &pr->r;
	int n = 0;

#define ADD(sev, ident, ...)                                         \
	do {                                                         \
		f[n].severity = sev;                                 \
		f[n].id = ident;                                     \
		snprintf(f[n].text, sizeof(f[n].text), __VA_ARGS__); \
		n++;                                                 \
	} while (0)

	if (r->tested && !r->secure_reneg)
		ADD("high", "secure_renegotiation_not_supported",
		    "no RFC 5746 secure renegotiation: a server that "
		    "renegotiates without it is open to CVE-2009-3555");
	if (r->tested && r->secure_reneg &&
	    strcmp(r->sig_scsv, "not_supported") == 0)
		ADD("low", "scsv_not_honoured",
		    "the server ignores TLS_EMPTY_RENEGOTIATION_INFO_SCSV "
		    "(%s); clients that signal only by SCSV see no secure "
		    "renegotiation",
		    r->sig_scsv_why);
	if (strcmp(r->ci_status, "accepted") == 0)
		ADD("medium", "client_renegotiation_accepted",
		    "client-initiated renegotiation accepted %d times in a "
		    "row: any client can make the server do handshakes at will "
		    "(CVE-2011-1473)",
		    r->n_completed);
	else if (strcmp(r->ci_status, "limited_after_n") == 0)
		ADD("low", "client_renegotiation_limited",
		    "client-initiated renegotiation accepted %d times, then "
		    "refused",
		    r->ci_limit);
	else if (strcmp(r->ci_status, "ignored") == 0)
		ADD("low", "client_renegotiation_ignored",
		    "renegotiation requests are silently ignored: clients "
		    "that renegotiate hang until they time out");
	else if (strcmp(r->ci_status, "rejected") == 0)
		ADD("info", "client_renegotiation_rejected",
		    "client-initiated renegotiation is rejected (%s)",
		    r->n_att ? attempt_outcome_name(r->att[0].outcome) : "");
	else if (strcmp(r->ci_status, "inconclusive") == 0)
		ADD("info", "client_renegotiation_inconclusive", "%s",
		    r->ci_reason);
	if (strcmp(r->srv_status, "completed") == 0)
		ADD("info", "server_renegotiation",
		    "the server sent HelloRequest; the renegotiation "
		    "completed");
	else if (strcmp(r->srv_status, "failed") == 0)
		ADD("medium", "server_renegotiation_failed",
		    "the server sent HelloRequest, the renegotiation failed: "
		    "%s",
		    r->srv_reason);
	if (strcmp(pr->s.status, "broken") == 0)
		ADD("high", "midstream_stream_broken",
		    "renegotiation with data in flight broke the stream: %s",
		    pr->s.reason);
	if (strcmp(pr->t.ku_status, "not_answered") == 0)
		ADD("medium", "key_update_not_answered",
		    "KeyUpdate with update_requested was not answered before "
		    "the peer's next data (RFC 8446 4.6.3)");
	else if (strcmp(pr->t.ku_status, "closed") == 0)
		ADD("medium", "key_update_closed",
		    "the connection ended after a KeyUpdate: %s", pr->t.reason);
#undef ADD
	return n;
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
		if (a->outcome == OUT_ERROR)
			fprintf(fp, "  %s", a->msg);
		fputc('\n', fp);
	}
}

static void text_ci(FILE *fp, const struct reneg_result *r)
{
	fprintf(fp, "client-initiated:     %s", r->ci_status);
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

static void text_stream(FILE *fp, const struct stream_result *s)
{
	fprintf(fp, "mid-stream:           %s", s->status);
	if (strcmp(s->status, "not_tested") != 0)
		fprintf(fp,
			", %" PRIu64 " bytes sent, %" PRIu64 " echoed, "
			"%d/%d renegotiations completed, %u+%u interleaved "
			"records, %.0f ms",
			s->sent, s->received, s->renegs_completed,
			s->renegs_tried, s->interleaved_rx, s->interleaved_tx,
			s->ms);
	if (s->reason[0])
		fprintf(fp, " (%s)", s->reason);
	fputc('\n', fp);
}

void probe_report_text(FILE *fp, const struct probe_result *pr)
{
	const struct reneg_result *r = &pr->r;
	const struct tls13_result *t = &pr->t;
	struct finding f[16];
	int nf = findings(pr, f);

	fprintf(fp, "target:               %s port %s (%s)\n",
		pr->o->target.host, pr->o->target.port, pr->peer_addr);
	if (r->tested)
		fprintf(fp, "protocol tested:      %s %s\n", r->version,
			r->cipher);
	else
		fprintf(fp, "protocol tested:      TLSv1.3 only\n");
	fprintf(fp, "secure renegotiation: %s", sr_status(pr));
	if (r->tested)
		fprintf(fp, " (extension alone: %s; SCSV alone: %s)",
			r->sig_ext, r->sig_scsv);
	fputc('\n', fp);
	text_ci(fp, r);
	fprintf(fp, "server-initiated:     %s", r->srv_status);
	if (r->srv_hello_requests > 0)
		fprintf(fp,
			", %d HelloRequest, %d completed, first after "
			"%lld ms",
			r->srv_hello_requests, r->srv_completed,
			(long long)r->srv_first_ms);
	if (r->srv_reason[0])
		fprintf(fp, " (%s)", r->srv_reason);
	fputc('\n', fp);
	text_stream(fp, &pr->s);
	fprintf(fp, "TLS 1.3 KeyUpdate:    %s", t->ku_status);
	if (strcmp(t->ku_status, "answered") == 0)
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

static void json_double(struct json_writer *w, const char *key, double v)
{
	/* Milliseconds to 0.01: an integer count of 10 us would hide the
	 * unit, so write it as an exact decimal. */
	json_key(w, key);
	json_int(w, (long long)(v * 100 + 0.5) / 100);
	if (w->fp != NULL)
		fprintf(w->fp, ".%02lld", (long long)(v * 100 + 0.5) % 100);
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
		json_double(w, "ms", a->ms);
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
	json_kv_string(w, "status", r->ci_status);
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
	json_kv_string(w, "status", r->srv_status);
	json_kv_string(w, "reason", r->srv_reason[0] ? r->srv_reason : NULL);
	json_kv_int(w, "hello_requests", r->srv_hello_requests);
	json_kv_int(w, "completed", r->srv_completed);
	json_kv_int(w, "refused_by_client", r->srv_refused);
	json_kv_bool(w, "request_sent", r->srv_request_sent);
	json_key(w, "first_hello_request_ms");
	if (r->srv_first_ms >= 0)
		json_int(w, r->srv_first_ms);
	else
		json_null(w);
	json_kv_int(w, "wait_ms", r->srv_wait_ms);
	json_object_end(w);
}

static void json_stream(struct json_writer *w, const struct stream_result *s)
{
	int tested = strcmp(s->status, "not_tested") != 0;

	json_key(w, "midstream");
	json_object_begin(w);
	json_key(w, "stream_ok");
	if (tested)
		json_bool(w, strcmp(s->status, "ok") == 0);
	else
		json_string(w, "not_tested");
	json_kv_string(w, "status", s->status);
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
		json_hex(w, "fnv1a64_sent", s->sent_sum);
		json_hex(w, "fnv1a64_received", s->recv_sum);
		json_kv_int(w, "renegotiations_tried", s->renegs_tried);
		json_kv_int(w, "renegotiations_completed", s->renegs_completed);
		json_kv_int(w, "interleaved_records_received",
			    s->interleaved_rx);
		json_kv_int(w, "interleaved_records_sent", s->interleaved_tx);
		json_double(w, "ms", s->ms);
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
	json_kv_string(w, "status", sr_status(pr));
	json_kv_string(w, "extension",
		       r->tested ? r->sig_ext : "not_applicable");
	json_kv_string(w, "scsv", r->tested ? r->sig_scsv : "not_applicable");
	if (r->tested) {
		json_kv_string(w, "extension_detail", r->sig_ext_why);
		json_kv_string(w, "scsv_detail", r->sig_scsv_why);
	}
	json_object_end(w);
	json_ci(w, pr);
	json_si(w, r);
	json_stream(w, &pr->s);
	json_object_end(w);
}

static void json_tls13(struct json_writer *w, const struct tls13_result *t)
{
	json_key(w, "tls13");
	json_object_begin(w);
	json_kv_bool(w, "supported", t->supported);
	json_kv_string(w, "cipher", t->supported ? t->cipher : NULL);
	json_key(w, "key_update");
	json_object_begin(w);
	json_kv_string(w, "status", t->ku_status);
	json_kv_string(w, "reason", t->reason[0] ? t->reason : NULL);
	if (strcmp(t->ku_status, "answered") == 0)
		json_double(w, "ms", t->ku_ms);
	json_kv_bool(w, "data_sent_to_provoke", t->ku_provoked);
	json_kv_int(w, "sent", t->ku_sent);
	json_kv_int(w, "received", t->ku_received);
	json_object_end(w);
	json_object_end(w);
}

static void json_verdicts(struct json_writer *w, const struct probe_result *pr)
{
	struct finding f[16];
	int nf = findings(pr, f);

	json_key(w, "verdicts");
	json_object_begin(w);
	json_kv_string(w, "secure_renegotiation", sr_status(pr));
	json_kv_string(w, "client_initiated", pr->r.ci_status);
	json_kv_string(w, "server_initiated", pr->r.srv_status);
	json_kv_string(w, "midstream", pr->s.status);
	json_kv_string(w, "tls13_key_update", pr->t.ku_status);
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

int probe_report_json(FILE *fp, const struct probe_result *pr)
{
	const struct probe_opts *o = pr->o;
	struct json_writer w;

	json_init(&w, fp);
	json_object_begin(&w);
	json_kv_string(&w, "probe", "reneg");
	json_kv_int(&w, "schema", 1);
	json_kv_string(&w, "tlsprobe", tp_version());
	json_key(&w, "target");
	json_object_begin(&w);
	json_kv_string(&w, "host", o->target.host);
	json_kv_string(&w, "port", o->target.port);
	json_kv_string(&w, "servername",
		       o->servername ? o->servername : o->target.host);
	json_kv_string(&w, "address", pr->peer_addr[0] ? pr->peer_addr : NULL);
	json_object_end(&w);
	json_key(&w, "settings");
	json_object_begin(&w);
	json_kv_int(&w, "attempts", o->attempts);
	json_kv_int(&w, "interval_ms", o->interval_ms);
	json_kv_int(&w, "timeout_ms", o->timeout_ms);
	json_kv_int(&w, "hello_wait_ms", o->hello_wait_ms);
	json_kv_int(&w, "stream_bytes", (long long)o->stream_bytes);
	json_kv_bool(&w, "request", o->request != NULL);
	json_kv_bool(&w, "insecure", o->insecure);
	json_object_end(&w);
	json_reneg(&w, pr);
	json_tls13(&w, &pr->t);
	json_verdicts(&w, pr);
	json_object_end(&w);
	return json_finish(&w);
}
