/*
 * tlsprobe probe reneg [OPTIONS] HOST[:PORT] | --targets FILE: options, the
 * order of the probes, and the exit status (0 when the probe ran, whatever
 * the verdicts; 3, 4, 5, 7 when it could not; 1 on a --fail-on match).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "connect/session.h"
#include "connect/setup.h"
#include "common/status.h"

static void probe_help(FILE *fp)
{
	fprintf(fp,
		"Usage: tlsprobe probe reneg [OPTIONS] HOST[:PORT]\n"
		"       tlsprobe probe reneg [OPTIONS] --targets FILE "
		"[--jobs N]\n"
		"Renegotiation and KeyUpdate probes with verdicts (see "
		"tlsprobe-probe(1)).\n\n"
		"  --attempts N        client renegotiations to try (default "
		"10)\n"
		"  --interval MS       pause between attempts (default 0)\n"
		"  --request STRING    request to send (\\n, \\r, \\t, \\\\, "
		"\\xHH escapes)\n"
		"  --hello-wait MS     how long to wait for a HelloRequest "
		"(default 1000)\n"
		"  --stream-bytes N    bytes for the mid-stream probe (default "
		"262144)\n"
		"  --ca-file FILE      trust anchors\n"
		"  --ca-dir DIR        directory of trust anchors\n"
		"  --insecure          do not verify the certificate\n"
		"  --servername NAME   SNI and name to verify (default HOST)\n"
		"  --noservername      send no SNI\n"
		"  --cert FILE         client certificate (PEM; key too unless "
		"--key)\n"
		"  --key FILE          private key for --cert\n"
		"  --keylog FILE       log TLS secrets (also $SSLKEYLOGFILE)\n"
		"  --starttls PROTO    smtp, imap, pop3, ftp, xmpp or postgres\n"
		"  --timeout SECS      connect and handshake timeout (default "
		"5)\n"
		"  --json FILE         JSON report to FILE ('-': stdout, "
		"instead of text)\n"
		"  --targets FILE      probe every HOST[:PORT] line of FILE "
		"('-': stdin),\n"
		"                      one JSON object per line on stdout; a "
		"line may add\n"
		"                      --servername, --noservername, "
		"--starttls, --request\n"
		"  --jobs N            concurrent probes with --targets "
		"(default 1)\n"
		"  -4, -6              IPv4 or IPv6 only\n"
		"  --fail-on LIST      exit 1 when a verdict in LIST holds:\n"
		"                      ");
	probe_print_fail_on_names(fp, 22);
	fputc('\n', fp);
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr,
		"tlsprobe probe: %s%s%s%s (see 'tlsprobe probe reneg --help')\n",
		what, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	return CLI_EUSAGE;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int probe_decode_request(const char *s, char **request, size_t *reqlen)
{
	size_t n = 0, len = strlen(s);
	char *out = malloc(len + 1);

	if (out == NULL)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\\') {
			out[n++] = s[i];
			continue;
		}
		switch (s[++i]) {
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case '\\':
			out[n++] = '\\';
			break;
		case 'x':
			if (hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				goto bad;
			out[n++] = (char)(hexval(s[i + 1]) * 16 +
					  hexval(s[i + 2]));
			i += 2;
			break;
		default:
			goto bad;
		}
	}
	if (n == 0)
		goto bad;
	*request = out;
	*reqlen = n;
	return 0;
bad:
	free(out);
	return -1;
}

enum {
	P_ATTEMPTS = 256,
	P_INTERVAL,
	P_REQUEST,
	P_HELLO_WAIT,
	P_STREAM_BYTES,
	P_CA_FILE,
	P_CA_DIR,
	P_INSECURE,
	P_SERVERNAME,
	P_NOSERVERNAME,
	P_CERT,
	P_KEY,
	P_KEYLOG,
	P_STARTTLS,
	P_TIMEOUT,
	P_JSON,
	P_TARGETS,
	P_JOBS,
	P_FAIL_ON,
	P_HELP
};

/* What the command line asks for beyond one probe's options. */
struct probe_cmd {
	struct probe_opts o;
	const char *targets;
	int jobs;
};

static const struct option longopts[] = {
	{ "attempts", required_argument, NULL, P_ATTEMPTS },
	{ "interval", required_argument, NULL, P_INTERVAL },
	{ "request", required_argument, NULL, P_REQUEST },
	{ "hello-wait", required_argument, NULL, P_HELLO_WAIT },
	{ "stream-bytes", required_argument, NULL, P_STREAM_BYTES },
	{ "ca-file", required_argument, NULL, P_CA_FILE },
	{ "ca-dir", required_argument, NULL, P_CA_DIR },
	{ "insecure", no_argument, NULL, P_INSECURE },
	{ "servername", required_argument, NULL, P_SERVERNAME },
	{ "noservername", no_argument, NULL, P_NOSERVERNAME },
	{ "cert", required_argument, NULL, P_CERT },
	{ "key", required_argument, NULL, P_KEY },
	{ "keylog", required_argument, NULL, P_KEYLOG },
	{ "starttls", required_argument, NULL, P_STARTTLS },
	{ "timeout", required_argument, NULL, P_TIMEOUT },
	{ "json", required_argument, NULL, P_JSON },
	{ "targets", required_argument, NULL, P_TARGETS },
	{ "jobs", required_argument, NULL, P_JOBS },
	{ "fail-on", required_argument, NULL, P_FAIL_ON },
	{ "help", no_argument, NULL, P_HELP },
	{ NULL, 0, NULL, 0 },
};

/* The connection's options, as the connect command has them. Returns 1
 * when opt was one, 0 when not, or an exit status. */
static int parse_conn(struct cli_options *c, int opt, const char *arg)
{
	char err[160];

	switch (opt) {
	case P_CA_FILE:
		c->ca_file = arg;
		return 1;
	case P_CA_DIR:
		c->ca_dir = arg;
		return 1;
	case P_INSECURE:
		c->insecure = 1;
		return 1;
	case P_SERVERNAME:
		c->servername = arg;
		return 1;
	case P_NOSERVERNAME:
		c->no_servername = 1;
		return 1;
	case P_CERT:
		c->cert = arg;
		return 1;
	case P_KEY:
		c->key = arg;
		return 1;
	case P_KEYLOG:
		c->keylog = arg;
		return 1;
	case P_STARTTLS:
		if (cli_starttls_parse(arg, &c->starttls) == 0)
			return 1;
		cli_starttls_error(arg, err, sizeof(err));
		return usage_error(err, NULL);
	case '4':
	case '6':
		c->family = opt - '0';
		return 1;
	default:
		return 0;
	}
}

/* Returns -1 to go on, else an exit status. */
static int parse_one(struct probe_cmd *cmd, int opt, const char *arg)
{
	struct probe_opts *o = &cmd->o;
	long v;
	int r;

	if ((r = parse_conn(&o->conn, opt, arg)) == 1)
		return -1;
	if (r != 0)
		return r;
	switch (opt) {
	case P_ATTEMPTS:
		if (cli_parse_uint(arg, 1, PROBE_MAX_ATTEMPTS, &v) < 0)
			return usage_error("bad --attempts", arg);
		o->attempts = (int)v;
		break;
	case P_INTERVAL:
	case P_HELLO_WAIT:
		if (cli_parse_uint(arg, 0, 3600000, &v) < 0)
			return usage_error("bad milliseconds", arg);
		*(opt == P_INTERVAL ? &o->interval_ms : &o->hello_wait_ms) =
			(int)v;
		break;
	case P_STREAM_BYTES:
		if (cli_parse_uint(arg, 1, 1L << 30, &v) < 0)
			return usage_error("bad --stream-bytes", arg);
		o->stream_bytes = (size_t)v;
		break;
	case P_REQUEST:
		free(o->request);
		o->request = NULL;
		if (probe_decode_request(arg, &o->request, &o->request_len) < 0)
			return usage_error("bad --request", arg);
		break;
	case P_TIMEOUT:
		if (cli_parse_uint(arg, 1, 3600, &v) < 0)
			return usage_error("bad --timeout", arg);
		o->timeout_ms = (int)v * 1000;
		o->conn.timeout = (int)v; /* for setup_plain_connect */
		break;
	case P_JSON:
		o->json_path = arg;
		break;
	case P_TARGETS:
		cmd->targets = arg;
		break;
	case P_JOBS:
		if (cli_parse_uint(arg, 1, PROBE_MAX_JOBS, &v) < 0)
			return usage_error("bad --jobs", arg);
		cmd->jobs = (int)v;
		break;
	case P_FAIL_ON:
		if (probe_parse_fail_on(arg, &o->fail_on) < 0)
			return usage_error("bad --fail-on", arg);
		break;
	case P_HELP:
		probe_help(stdout);
		return CLI_OK;
	default:
		return CLI_EUSAGE;
	}
	return -1;
}

static void set_defaults(struct probe_cmd *cmd)
{
	struct probe_opts *o = &cmd->o;

	memset(cmd, 0, sizeof(*cmd));
	o->attempts = 10;
	o->timeout_ms = 5000;
	o->conn.timeout = 5;
	o->conn.close_idle = o->conn.linger = -1;
	o->hello_wait_ms = 1000;
	o->stream_bytes = 256 * 1024;
	cmd->jobs = 1;
}

/* HOST[:PORT], or --targets instead. */
static int parse_target(struct probe_cmd *cmd, int argc, char **argv)
{
	char err[160];

	if (cmd->targets != NULL) {
		if (optind != argc)
			return usage_error("--targets and HOST[:PORT] "
					   "conflict",
					   NULL);
		return -1;
	}
	if (cmd->jobs != 1)
		return usage_error("--jobs needs --targets", NULL);
	if (optind != argc - 1)
		return usage_error(optind >= argc ? "missing HOST[:PORT]" :
						    "too many arguments",
				   NULL);
	if (cli_parse_hostport(argv[optind], &cmd->o.conn.target, err,
			       sizeof(err)) < 0)
		return usage_error(err, NULL);
	return -1;
}

static int parse_args(int argc, char **argv, struct probe_cmd *cmd)
{
	char err[160];
	int opt, r;

	set_defaults(cmd);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "46", longopts, NULL)) != -1)
		if ((r = parse_one(cmd, opt, optarg)) >= 0)
			return r;
	if ((r = parse_target(cmd, argc, argv)) >= 0)
		return r;
	if (cli_options_check_conn(&cmd->o.conn, err, sizeof(err)) < 0)
		return usage_error(err, NULL);
	return -1;
}

/* The files every connection loads (CA, client certificate, key log),
 * tried once up front: a bad one is one error, not one per connection.
 * Then the connect command's notes (a key log, no SNI, --insecure). */
static int check_files(const struct probe_opts *o)
{
	struct tp_config *cfg = tp_config_new(TP_CLIENT);
	enum cli_status st = CLI_OK;

	if (cfg == NULL)
		return CLI_EOTHER;
	if (setup_config_files(cfg, &o->conn, &st) < 0) {
		tp_config_free(cfg);
		return st;
	}
	tp_config_free(cfg);
	connect_warn_options(&o->conn);
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

	if (probe_open(&pc, o, TP_TLS1_2, TP_TLS1_2, err, msg, msglen) < 0) {
		if (fatal_open_error(*err))
			return -1;
		/* No TLS 1.2: maybe 1.0 or 1.1. */
		char m2[160];
		enum tp_errcode e2;
		if (probe_open(&pc, o, TP_TLS1_0, TP_TLS1_1, &e2, m2,
			       sizeof(m2)) < 0)
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
	if (probe_open(&pc, o, TP_TLS1_3, TP_TLS1_3, err, msg, msglen) < 0) {
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

static int report(const struct probe_opts *o, const struct probe_result *pr)
{
	FILE *fp;
	int r = 0;

	if (o->json_path == NULL || strcmp(o->json_path, "-") != 0)
		probe_report_text(stdout, pr);
	if (o->json_path == NULL)
		return fflush(stdout) == 0 ? 0 : -1;
	fp = strcmp(o->json_path, "-") == 0 ? stdout : fopen(o->json_path, "w");
	if (fp == NULL) {
		perror(o->json_path);
		return -1;
	}
	r = probe_report_json(fp, pr, 0);
	if (fp != stdout && fclose(fp) != 0)
		r = -1;
	return r;
}

static enum cli_status run_probes(const struct probe_opts *o,
				  struct probe_result *pr, char *err,
				  size_t errlen)
{
	enum tp_errcode e12 = TP_ERR_NONE, e13 = TP_ERR_NONE;
	char m12[160] = "", m13[160] = "";

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
	run.configs = &configs;
	st = run_probes(&run, pr, err, errlen);
	probe_configs_free(&configs);
	return st;
}

void probe_result_free(struct probe_result *pr)
{
	free(pr->r.att);
	pr->r.att = NULL;
}

/* Names each --fail-on verdict that held; returns the exit status. */
static int fail_on_status(const struct probe_opts *o,
			  const struct probe_result *pr)
{
	unsigned hit = probe_verdict_bits(pr) & o->fail_on;

	for (unsigned bit = 1; bit != 0 && bit <= hit; bit <<= 1)
		if (hit & bit)
			fprintf(stderr,
				"tlsprobe probe: --fail-on %s matched\n",
				probe_fail_on_name(bit));
	return hit ? CLI_EOTHER : CLI_OK;
}

static int run_one(const struct probe_opts *o)
{
	struct probe_result pr;
	char err[400];
	enum cli_status st = probe_run(o, &pr, err, sizeof(err));
	int r;

	if (st != CLI_OK) {
		fprintf(stderr, "tlsprobe probe: %s\n", err);
		probe_result_free(&pr);
		return st;
	}
	if (report(o, &pr) < 0) {
		fprintf(stderr, "tlsprobe probe: cannot write the report\n");
		probe_result_free(&pr);
		return CLI_EOTHER;
	}
	r = fail_on_status(o, &pr);
	probe_result_free(&pr);
	return r;
}

int probe_main(int argc, char **argv)
{
	struct probe_cmd cmd;
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		probe_help(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EUSAGE : CLI_OK;
	}
	if (strcmp(argv[1], "reneg") != 0)
		return usage_error("unknown probe", argv[1]);
	r = parse_args(argc - 1, argv + 1, &cmd);
	if (r < 0)
		r = check_files(&cmd.o);
	if (r < 0)
		r = cmd.targets != NULL ?
			    probe_batch(&cmd.o, cmd.targets, cmd.jobs) :
			    run_one(&cmd.o);
	free(cmd.o.request);
	return r;
}
