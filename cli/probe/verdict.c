/*
 * The verdicts' names, and the one table that says, for every verdict worth
 * reporting, its --fail-on name and bit, its severity and its finding. The
 * text report, the JSON report and --fail-on all read this table, so a
 * verdict is named, judged and gated in one place.
 */
#include <stdio.h>
#include <string.h>

#include "probe.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- names: the spelling in the text and JSON reports ---- */

static const char *name_of(const char *const *names, size_t n, unsigned v)
{
	return v < n ? names[v] : "?";
}

static const char *const sr_names[] = {
	[SR_NOT_APPLICABLE] = "not_applicable",
	[SR_SUPPORTED] = "supported",
	[SR_NOT_SUPPORTED] = "not_supported",
};

static const char *const sig_names[] = {
	[SIG_SUPPORTED] = "supported",
	[SIG_NOT_SUPPORTED] = "not_supported",
	[SIG_NOT_ACCEPTED] = "not_accepted",
	[SIG_INCONCLUSIVE] = "inconclusive",
};

static const char *const ci_names[] = {
	[CI_NOT_APPLICABLE] = "not_applicable",
	[CI_ACCEPTED] = "accepted",
	[CI_LIMITED] = "limited_after_n",
	[CI_REJECTED] = "rejected",
	[CI_IGNORED] = "ignored",
	[CI_INCONCLUSIVE] = "inconclusive",
};

static const char *const srv_names[] = {
	[SRV_NOT_APPLICABLE] = "not_applicable",
	[SRV_COMPLETED] = "completed",
	[SRV_FAILED] = "failed",
	[SRV_NOT_OBSERVED] = "not_observed",
	[SRV_INCONCLUSIVE] = "inconclusive",
};

static const char *const stream_names[] = {
	[STREAM_NOT_TESTED] = "not_tested",
	[STREAM_OK] = "ok",
	[STREAM_BROKEN] = "broken",
};

static const char *const ku_names[] = {
	[KU_NOT_APPLICABLE] = "not_applicable",
	[KU_ANSWERED] = "answered",
	[KU_NOT_ANSWERED] = "not_answered",
	[KU_NO_REPLY] = "no_reply",
	[KU_CLOSED] = "closed",
	[KU_ERROR] = "error",
};

const char *probe_sr_name(enum sr_status v)
{
	return name_of(sr_names, NELEM(sr_names), v);
}

const char *probe_sig_name(enum sig_status v)
{
	return name_of(sig_names, NELEM(sig_names), v);
}

const char *probe_ci_name(enum ci_status v)
{
	return name_of(ci_names, NELEM(ci_names), v);
}

const char *probe_srv_name(enum srv_status v)
{
	return name_of(srv_names, NELEM(srv_names), v);
}

const char *probe_stream_name(enum stream_status v)
{
	return name_of(stream_names, NELEM(stream_names), v);
}

const char *probe_ku_name(enum ku_status v)
{
	return name_of(ku_names, NELEM(ku_names), v);
}

void probe_settle_verdicts(struct probe_result *pr)
{
	if (!pr->r.tested)
		pr->sr = SR_NOT_APPLICABLE;
	else
		pr->sr = pr->r.secure_reneg ? SR_SUPPORTED : SR_NOT_SUPPORTED;
	pr->stream = pr->s.status;
	pr->ku = pr->t.ku_status;
}

/* ---- the table ---- */

/* When each verdict holds. */
static int sr_not_supported(const struct probe_result *pr)
{
	return pr->sr == SR_NOT_SUPPORTED;
}

static int scsv_ignored(const struct probe_result *pr)
{
	return pr->sr == SR_SUPPORTED && pr->r.sig_scsv == SIG_NOT_SUPPORTED;
}

static int ci_accepted(const struct probe_result *pr)
{
	return pr->r.ci_status == CI_ACCEPTED;
}

static int ci_limited(const struct probe_result *pr)
{
	return pr->r.ci_status == CI_LIMITED;
}

static int ci_ignored(const struct probe_result *pr)
{
	return pr->r.ci_status == CI_IGNORED;
}

static int ci_rejected(const struct probe_result *pr)
{
	return pr->r.ci_status == CI_REJECTED;
}

static int ci_inconclusive(const struct probe_result *pr)
{
	return pr->r.ci_status == CI_INCONCLUSIVE;
}

/* A HelloRequest arrived (the renegotiation then completed or not). */
static int srv_completed(const struct probe_result *pr)
{
	return pr->r.srv_status == SRV_COMPLETED;
}

static int srv_failed(const struct probe_result *pr)
{
	return pr->r.srv_status == SRV_FAILED;
}

static int stream_broken(const struct probe_result *pr)
{
	return pr->stream == STREAM_BROKEN;
}

static int ku_not_answered(const struct probe_result *pr)
{
	return pr->ku == KU_NOT_ANSWERED;
}

static int ku_closed(const struct probe_result *pr)
{
	return pr->ku == KU_CLOSED;
}

/* The finding's one argument (%s in its text), written into buf. */
static const char *arg_scsv_why(const struct probe_result *pr, char *buf,
				size_t len)
{
	(void)buf, (void)len;
	return pr->r.sig_scsv_why;
}

static const char *arg_completed(const struct probe_result *pr, char *buf,
				 size_t len)
{
	snprintf(buf, len, "%d", pr->r.n_completed);
	return buf;
}

static const char *arg_limit(const struct probe_result *pr, char *buf,
			     size_t len)
{
	snprintf(buf, len, "%d", pr->r.ci_limit);
	return buf;
}

static const char *arg_first_outcome(const struct probe_result *pr, char *buf,
				     size_t len)
{
	(void)buf, (void)len;
	return pr->r.n_att ? attempt_outcome_name(pr->r.att[0].outcome) : "";
}

static const char *arg_ci_reason(const struct probe_result *pr, char *buf,
				 size_t len)
{
	(void)buf, (void)len;
	return pr->r.ci_reason;
}

static const char *arg_srv_reason(const struct probe_result *pr, char *buf,
				  size_t len)
{
	(void)buf, (void)len;
	return pr->r.srv_reason;
}

static const char *arg_stream_reason(const struct probe_result *pr, char *buf,
				     size_t len)
{
	(void)buf, (void)len;
	return pr->s.reason;
}

static const char *arg_ku_reason(const struct probe_result *pr, char *buf,
				 size_t len)
{
	(void)buf, (void)len;
	return pr->t.reason;
}

/*
 * One row per verdict worth a finding, in report order. fail_name is the
 * --fail-on word (NULL: not a gate); two rows may share one when the gate
 * covers both (a HelloRequest that completed or failed; a KeyUpdate not
 * answered or a connection that ended).
 */
static const struct verdict_row {
	const char *fail_name;
	unsigned fail_bit;
	const char *severity, *id;
	const char *text; /* printf format with at most one %s: arg */
	int (*holds)(const struct probe_result *pr);
	const char *(*arg)(const struct probe_result *pr, char *buf,
			   size_t len);
} verdicts[] = {
	{ "not_supported", FAIL_NOT_SUPPORTED, "high",
	  "secure_renegotiation_not_supported",
	  "no RFC 5746 secure renegotiation: a server that renegotiates "
	  "without it is open to CVE-2009-3555",
	  sr_not_supported, NULL },
	{ NULL, 0, "low", "scsv_not_honoured",
	  "the server ignores TLS_EMPTY_RENEGOTIATION_INFO_SCSV (%s); clients "
	  "that signal only by SCSV see no secure renegotiation",
	  scsv_ignored, arg_scsv_why },
	{ "accepted", FAIL_ACCEPTED, "medium", "client_renegotiation_accepted",
	  "client-initiated renegotiation accepted %s times in a row: any "
	  "client can make the server do handshakes at will (CVE-2011-1473)",
	  ci_accepted, arg_completed },
	{ "limited_after_n", FAIL_LIMITED, "low",
	  "client_renegotiation_limited",
	  "client-initiated renegotiation accepted %s times, then refused",
	  ci_limited, arg_limit },
	{ "ignored", FAIL_IGNORED, "low", "client_renegotiation_ignored",
	  "renegotiation requests are silently ignored: clients that "
	  "renegotiate hang until they time out",
	  ci_ignored, NULL },
	{ "rejected", FAIL_REJECTED, "info", "client_renegotiation_rejected",
	  "client-initiated renegotiation is rejected (%s)", ci_rejected,
	  arg_first_outcome },
	{ "inconclusive", FAIL_INCONCLUSIVE, "info",
	  "client_renegotiation_inconclusive", "%s", ci_inconclusive,
	  arg_ci_reason },
	{ "server_renegotiation", FAIL_SERVER_RENEG, "info",
	  "server_renegotiation",
	  "the server sent HelloRequest; the renegotiation completed",
	  srv_completed, NULL },
	{ "server_renegotiation", FAIL_SERVER_RENEG, "medium",
	  "server_renegotiation_failed",
	  "the server sent HelloRequest, the renegotiation failed: %s",
	  srv_failed, arg_srv_reason },
	{ "stream_broken", FAIL_STREAM_BROKEN, "high",
	  "midstream_stream_broken",
	  "renegotiation with data in flight broke the stream: %s",
	  stream_broken, arg_stream_reason },
	{ "key_update_unanswered", FAIL_KU_UNANSWERED, "medium",
	  "key_update_not_answered",
	  "KeyUpdate with update_requested was not answered before the "
	  "peer's next data (RFC 8446 4.6.3)",
	  ku_not_answered, NULL },
	{ "key_update_unanswered", FAIL_KU_UNANSWERED, "medium",
	  "key_update_closed", "the connection ended after a KeyUpdate: %s",
	  ku_closed, arg_ku_reason },
};

int probe_findings(const struct probe_result *pr,
		   struct probe_finding f[PROBE_MAX_FINDINGS])
{
	int n = 0;

	for (size_t i = 0; i < NELEM(verdicts) && n < PROBE_MAX_FINDINGS; i++) {
		const struct verdict_row *v = &verdicts[i];
		char buf[32];

		if (!v->holds(pr))
			continue;
		f[n].severity = v->severity;
		f[n].id = v->id;
		/* The format is the table's own, never input. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(f[n].text, sizeof(f[n].text), v->text,
			 v->arg ? v->arg(pr, buf, sizeof(buf)) : "");
#pragma GCC diagnostic pop
		n++;
	}
	return n;
}

unsigned probe_verdict_bits(const struct probe_result *pr)
{
	unsigned bits = 0;

	for (size_t i = 0; i < NELEM(verdicts); i++)
		if (verdicts[i].holds(pr))
			bits |= verdicts[i].fail_bit;
	return bits;
}

const char *probe_fail_on_name(unsigned bit)
{
	for (size_t i = 0; i < NELEM(verdicts); i++)
		if (verdicts[i].fail_bit == bit)
			return verdicts[i].fail_name;
	return "?";
}

/* Each name once, comma separated, lines wrapped before 78 columns and
 * indented by indent. */
void probe_print_fail_on_names(FILE *fp, int indent)
{
	unsigned seen = 0;
	int col = indent;

	for (size_t i = 0; i < NELEM(verdicts); i++) {
		const char *name = verdicts[i].fail_name;
		int len;

		if (name == NULL || (seen & verdicts[i].fail_bit))
			continue;
		len = (int)strlen(name) + (seen ? 2 : 0);
		if (seen && col + len > 78) {
			fprintf(fp, ",\n%*s", indent, "");
			col = indent;
			len -= 2;
		} else if (seen) {
			fputs(", ", fp);
		}
		fputs(name, fp);
		col += len;
		seen |= verdicts[i].fail_bit;
	}
}

static unsigned fail_bit_of(const char *name)
{
	for (size_t i = 0; i < NELEM(verdicts); i++)
		if (verdicts[i].fail_name != NULL &&
		    strcmp(verdicts[i].fail_name, name) == 0)
			return verdicts[i].fail_bit;
	return 0;
}

int probe_parse_fail_on(const char *list, unsigned *bits)
{
	char buf[256], *tok, *save = NULL;
	unsigned bit;

	if (strlen(list) >= sizeof(buf))
		return -1;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if ((bit = fail_bit_of(tok)) == 0)
			return -1;
		*bits |= bit;
	}
	return *bits ? 0 : -1;
}
