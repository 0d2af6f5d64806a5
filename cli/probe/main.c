/*
 * tlsprobe probe reneg [OPTIONS] HOST[:PORT] | --targets FILE: options, the
 * order of the probes, and the exit status (0 when the probe ran, whatever
 * the verdicts; 3, 4, 5, 7 when it could not; 1 on a --fail-on match).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

/* A note about the options (cli_conn_notes), a line on stderr. */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The files every connection loads (CA, client certificate, key log),
 * tried once up front: a bad one is one error, not one per connection.
 * Then the connect command's notes (a key log, no SNI, --insecure). */
static int check_files(const struct probe_opts *o)
{
	struct tp_config *cfg = tp_config_new(TP_CLIENT);
	enum cli_status st = CLI_OK;
	char err[CLI_ERROR_MAX];

	if (cfg == NULL)
		return CLI_EOTHER;
	if (setup_config_files(cfg, &o->conn, NULL, err, sizeof(err), &st) <
	    0) {
		fprintf(stderr, "tlsprobe probe: %s\n", err);
		tp_config_free(cfg);
		return st;
	}
	tp_config_free(cfg);
	cli_conn_notes(&o->conn, note);
	return -1;
}

/* ---- the run ---- */

static void fill_info(struct probe_conn *pc, char *version, char *cipher,
		      int *secure, char *addr, size_t addrlen)
{
	struct tp_info in;

	if (tp_conn_info(pc->c, &in) < 0)
		return;
	snprintf(version, 16, "%s", in.version ? in.version : "?");
	snprintf(cipher, 80, "%s", in.cipher ? in.cipher : "?");
	if (secure != NULL)
		*secure = in.secure_renegotiation;
	if (addr != NULL && in.peer_addr != NULL)
		snprintf(addr, addrlen, "%s", in.peer_addr);
}

static enum tp_version version_of(const char *name)
{
	enum tp_version v = tp_version_parse(name);

	return v == TP_VERSION_ANY ? TP_TLS1_2 : v;
}

/* Can't go on: a connect, verify or timeout error ends the run. */
static int fatal_open_error(enum tp_errcode e)
{
	return e == TP_ERR_CONNECT || e == TP_ERR_VERIFY ||
	       e == TP_ERR_TIMEOUT || e == TP_ERR_USAGE;
}

/* The run could not go on: the error line and the exit status. */
static enum cli_status fail(char *err, size_t errlen, enum tp_errcode e,
			    const char *what, const char *msg)
{
	snprintf(err, errlen, "%s: %s", what, msg);
	return cli_status_from_errcode(e, 0);
}

/* TLS <= 1.2: client-initiated attempts on one connection, then the
 * server-initiated and mid-stream probes on fresh ones. */
static int run_reneg(const struct probe_opts *o, struct probe_result *pr,
		     enum tp_errcode *err, char *msg, size_t msglen)
{
	struct reneg_result *r = &pr->r;
	struct probe_conn pc;

	if (probe_open(&pc, o, "client_initiated", TP_TLS1_2, TP_TLS1_2, err,
		       msg, msglen) < 0) {
		if (fatal_open_error(*err))
			return -1;
		/* No TLS 1.2: maybe 1.0 or 1.1. */
		char m2[CLI_ERROR_MAX];
		enum tp_errcode e2;
		if (probe_open(&pc, o, "client_initiated", TP_TLS1_0, TP_TLS1_1,
			       &e2, m2, sizeof(m2)) < 0)
			return 0;
	}
	r->tested = 1;
	fill_info(&pc, r->version, r->cipher, &r->secure_reneg, pr->peer_addr,
		  sizeof(pr->peer_addr));
	if (probe_start_reader(&pc) < 0) {
		probe_close(&pc);
		r->sig_ext = r->sig_scsv = SIG_INCONCLUSIVE;
		return 0;
	}
	if (r->secure_reneg)
		probe_client_initiated(&pc, o, r);
	probe_close(&pc);
	probe_ci_verdict(r);
	/* On fresh connections, after the first is closed: single-threaded
	 * servers (s_server) take one connection at a time. */
	r->sig_ext =
		probe_signalling(o, 0, r->sig_ext_why, sizeof(r->sig_ext_why));
	r->sig_scsv = probe_signalling(o, 1, r->sig_scsv_why,
				       sizeof(r->sig_scsv_why));
	probe_server_initiated(o, version_of(r->version), r);
	probe_midstream(o, version_of(r->version), r, &pr->s);
	return 0;
}

static int run_tls13(const struct probe_opts *o, struct probe_result *pr,
		     enum tp_errcode *err, char *msg, size_t msglen)
{
	struct tls13_result *t = &pr->t;
	struct probe_conn pc;

	t->ku_status = KU_NOT_APPLICABLE;
	if (probe_open(&pc, o, "key_update", TP_TLS1_3, TP_TLS1_3, err, msg,
		       msglen) < 0) {
		snprintf(t->reason, sizeof(t->reason),
			 "no TLS 1.3 handshake: %s", msg);
		return -1;
	}
	t->supported = 1;
	fill_info(&pc, t->version, t->cipher, NULL, pr->peer_addr,
		  sizeof(pr->peer_addr));
	probe_key_update(&pc, o, t);
	probe_close(&pc);
	return 0;
}

/* The --json report of a run that ended with status (and the error line
 * err when it could not probe): on stdout for '-', else built in memory
 * and written whole as the connect command writes its own (tp_file_write:
 * a temporary file renamed over the name, never through a link). */
static int report_json(const struct probe_opts *o,
		       const struct probe_result *pr, enum cli_status st,
		       const char *err)
{
	int to_stdout = strcmp(o->json_path, "-") == 0;
	char *text = NULL, why[200];
	size_t len = 0;
	FILE *fp = to_stdout ? stdout : open_memstream(&text, &len);
	int r;

	if (fp == NULL)
		return -1;
	r = err != NULL ? probe_report_json_error(fp, pr, st, err, 0) :
			  probe_report_json(fp, pr, st, 0);
	if (to_stdout)
		return r;
	if (fclose(fp) != 0 || r < 0) {
		free(text);
		return -1;
	}
	r = tp_file_write(o->json_path, text, len, 0, why, sizeof(why));
	free(text);
	if (r < 0)
		fprintf(stderr, "tlsprobe probe: --json '%s': %s\n",
			o->json_path, why);
	return r;
}

/* --json PATH must be writable before the probe it would describe: exit 2
 * with one line, before connecting. */
static int check_json_path(const struct probe_opts *o)
{
	char why[200];

	if (o->json_path == NULL || strcmp(o->json_path, "-") == 0 ||
	    tp_file_check_writable(o->json_path, why, sizeof(why)) == 0)
		return 0;
	fprintf(stderr, "tlsprobe probe: --json '%s': %s\n", o->json_path, why);
	return -1;
}

static int report(const struct probe_opts *o, const struct probe_result *pr,
		  enum cli_status st)
{
	if (o->json_path == NULL || strcmp(o->json_path, "-") != 0)
		probe_report_text(stdout, pr);
	if (o->json_path == NULL)
		return fflush(stdout) == 0 ? 0 : -1;
	return report_json(o, pr, st, NULL);
}

static enum cli_status run_probes(const struct probe_opts *o,
				  struct probe_result *pr, char *err,
				  size_t errlen)
{
	enum tp_errcode e12 = TP_ERR_NONE, e13 = TP_ERR_NONE;
	char m12[CLI_ERROR_MAX] = "", m13[CLI_ERROR_MAX] = "";

	pr->r.ci_status = CI_NOT_APPLICABLE;
	pr->r.srv_status = SRV_NOT_APPLICABLE;
	pr->s.status = STREAM_NOT_TESTED;
	pr->s.echo_detected = -1;
	if (run_reneg(o, pr, &e12, m12, sizeof(m12)) < 0)
		return fail(err, errlen, e12, "cannot probe", m12);
	if (!pr->r.tested)
		probe_ci_verdict(&pr->r);
	if (run_tls13(o, pr, &e13, m13, sizeof(m13)) < 0 && !pr->r.tested) {
		if (fatal_open_error(e13))
			return fail(err, errlen, e13, "cannot probe", m13);
		return fail(err, errlen, e12 ? e12 : e13, "no TLS handshake",
			    m12[0] ? m12 : m13);
	}
	if (!pr->r.tested) {
		snprintf(pr->s.reason, sizeof(pr->s.reason),
			 "TLS 1.3 has no renegotiation");
		snprintf(pr->r.srv_reason, sizeof(pr->r.srv_reason),
			 "TLS 1.3 has no renegotiation");
	}
	probe_settle_verdicts(pr);
	return CLI_OK;
}

enum cli_status probe_run(const struct probe_opts *o, struct probe_result *pr,
			  char *err, size_t errlen)
{
	struct probe_configs configs = { .n = 0 };
	struct probe_opts run = *o;
	enum cli_status st;

	memset(pr, 0, sizeof(*pr));
	pr->o = o;
	clock_gettime(CLOCK_REALTIME, &pr->started_at);
	pr->start = cli_mono_now();
	run.configs = &configs;
	run.log = &pr->log;
	st = run_probes(&run, pr, err, errlen);
	probe_configs_free(&configs);
	pr->end = cli_mono_now();
	return st;
}

void probe_result_free(struct probe_result *pr)
{
	free(pr->r.att);
	pr->r.att = NULL;
}

/* Names each --fail-on verdict that held, after the report. */
static void print_fail_on(const struct probe_opts *o,
			  const struct probe_result *pr)
{
	unsigned hit = probe_verdict_bits(pr) & o->fail_on;

	for (unsigned bit = 1; bit != 0 && bit <= hit; bit <<= 1)
		if (hit & bit)
			fprintf(stderr,
				"tlsprobe probe: --fail-on %s matched\n",
				probe_fail_on_name(bit));
}

static int run_one(const struct probe_opts *o)
{
	struct probe_result pr;
	char err[400];
	enum cli_status st;

	if (check_json_path(o) < 0)
		return CLI_EUSAGE;
	st = probe_run(o, &pr, err, sizeof(err));
	if (st != CLI_OK) {
		/* The report too, as the connect command writes one for
		 * every exit status. */
		fprintf(stderr, "tlsprobe probe: %s\n", err);
		if (o->json_path != NULL && report_json(o, &pr, st, err) < 0)
			fprintf(stderr,
				"tlsprobe probe: cannot write the report\n");
		probe_result_free(&pr);
		return st;
	}
	st = probe_verdict_bits(&pr) & o->fail_on ? CLI_EOTHER : CLI_OK;
	if (report(o, &pr, st) < 0) {
		fprintf(stderr, "tlsprobe probe: cannot write the report\n");
		probe_result_free(&pr);
		return CLI_EOTHER;
	}
	print_fail_on(o, &pr);
	probe_result_free(&pr);
	return st;
}

/* One target, or a batch: either way --json is checked before any probe. */
static int run(const struct probe_cmd *cmd)
{
	if (cmd->targets == NULL)
		return run_one(&cmd->o);
	if (check_json_path(&cmd->o) < 0)
		return CLI_EUSAGE;
	return probe_batch(&cmd->o, cmd->targets, cmd->jobs);
}

int probe_main(int argc, char **argv)
{
	struct probe_cmd cmd;
	int r;

	if (argc < 2)
		return cli_usage_error("probe", "missing the probe (reneg)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		probe_help(stdout);
		return fflush(stdout) == 0 ? CLI_OK : CLI_EOTHER;
	}
	if (argv[1][0] == '-')
		return cli_usage_error("probe", "unrecognized option '%s'",
				       argv[1]);
	if (strcmp(argv[1], "reneg") != 0)
		return cli_usage_error(
			"probe", "unknown probe '%s' (want reneg)", argv[1]);
	r = probe_parse_args(argc - 1, argv + 1, &cmd);
	if (r < 0)
		r = check_files(&cmd.o);
	if (r < 0)
		r = run(&cmd);
	free(cmd.o.request);
	return r;
}
