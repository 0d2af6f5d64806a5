/*
 * tlsprobe probe reneg [OPTIONS] HOST[:PORT]: options, the order of the
 * probes, and the exit status (0 when the probe ran, whatever the
 * verdicts; 3, 4, 5, 7 when it could not; 1 on a --fail-on match).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "status.h"

static void probe_help(FILE *fp)
{
	fprintf(fp,
		"Usage: tlsprobe probe reneg [OPTIONS] HOST[:PORT]\n"
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
		"  --insecure          do not verify the certificate\n"
		"  --servername NAME   SNI and name to verify (default HOST)\n"
		"  --timeout SECS      connect and handshake timeout (default "
		"5)\n"
		"  --json FILE         JSON report to FILE ('-': stdout, "
		"instead of text)\n"
		"  --fail-on LIST      exit 1 when a verdict in LIST holds: "
		"accepted,\n"
		"                      limited_after_n, rejected, ignored, "
		"inconclusive,\n"
		"                      not_supported, stream_broken, "
		"key_update_unanswered,\n"
		"                      server_renegotiation\n"
		"  -4, -6              IPv4 or IPv6 only\n");
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

/* Decodes \n \r \t \\ \xHH; returns -1 on a bad escape. */
static int decode_request(const char *s, struct probe_opts *o)
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
	o->request = out;
	o->request_len = n;
	return 0;
bad:
	free(out);
	return -1;
}

static const struct {
	const char *name;
	unsigned bit;
} fail_names[] = {
	{ "accepted", FAIL_ACCEPTED },
	{ "limited_after_n", FAIL_LIMITED },
	{ "rejected", FAIL_REJECTED },
	{ "ignored", FAIL_IGNORED },
	{ "inconclusive", FAIL_INCONCLUSIVE },
	{ "not_supported", FAIL_NOT_SUPPORTED },
	{ "stream_broken", FAIL_STREAM_BROKEN },
	{ "key_update_unanswered", FAIL_KU_UNANSWERED },
	{ "server_renegotiation", FAIL_SERVER_RENEG },
};

static int parse_fail_on(const char *s, unsigned *bits)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(fail_names) / sizeof(fail_names[0]); i++)
			if (strcmp(tok, fail_names[i].name) == 0)
				break;
		if (i == sizeof(fail_names) / sizeof(fail_names[0]))
			return -1;
		*bits |= fail_names[i].bit;
	}
	return *bits ? 0 : -1;
}

enum {
	P_ATTEMPTS = 256,
	P_INTERVAL,
	P_REQUEST,
	P_HELLO_WAIT,
	P_STREAM_BYTES,
	P_CA_FILE,
	P_INSECURE,
	P_SERVERNAME,
	P_TIMEOUT,
	P_JSON,
	P_FAIL_ON,
	P_HELP
};

static const struct option longopts[] = {
	{ "attempts", required_argument, NULL, P_ATTEMPTS },
	{ "interval", required_argument, NULL, P_INTERVAL },
	{ "request", required_argument, NULL, P_REQUEST },
	{ "hello-wait", required_argument, NULL, P_HELLO_WAIT },
	{ "stream-bytes", required_argument, NULL, P_STREAM_BYTES },
	{ "ca-file", required_argument, NULL, P_CA_FILE },
	{ "insecure", no_argument, NULL, P_INSECURE },
	{ "servername", required_argument, NULL, P_SERVERNAME },
	{ "timeout", required_argument, NULL, P_TIMEOUT },
	{ "json", required_argument, NULL, P_JSON },
	{ "fail-on", required_argument, NULL, P_FAIL_ON },
	{ "help", no_argument, NULL, P_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Returns -1 to go on, else an exit status. */
static int parse_one(struct probe_opts *o, int opt, const char *arg)
{
	long v;

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
		if (decode_request(arg, o) < 0)
			return usage_error("bad --request", arg);
		break;
	case P_CA_FILE:
		o->ca_file = arg;
		break;
	case P_INSECURE:
		o->insecure = 1;
		break;
	case P_SERVERNAME:
		o->servername = arg;
		break;
	case P_TIMEOUT:
		if (cli_parse_uint(arg, 1, 3600, &v) < 0)
			return usage_error("bad --timeout", arg);
		o->timeout_ms = (int)v * 1000;
		break;
	case P_JSON:
		o->json_path = arg;
		break;
	case P_FAIL_ON:
		if (parse_fail_on(arg, &o->fail_on) < 0)
			return usage_error("bad --fail-on", arg);
		break;
	case '4':
		o->family = 4;
		break;
	case '6':
		o->family = 6;
		break;
	case P_HELP:
		probe_help(stdout);
		return CLI_OK;
	default:
		return CLI_EUSAGE;
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct probe_opts *o)
{
	char err[160];
	int opt, r;

	memset(o, 0, sizeof(*o));
	o->attempts = 10;
	o->timeout_ms = 5000;
	o->hello_wait_ms = 1000;
	o->stream_bytes = 256 * 1024;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "46", longopts, NULL)) != -1)
		if ((r = parse_one(o, opt, optarg)) >= 0)
			return r;
	if (optind != argc - 1)
		return usage_error(optind >= argc ? "missing HOST[:PORT]" :
						    "too many arguments",
				   NULL);
	if (cli_parse_hostport(argv[optind], &o->target, err, sizeof(err)) < 0)
		return usage_error(err, NULL);
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

static int fail(enum tp_errcode e, const char *what, const char *msg)
{
	fprintf(stderr, "tlsprobe probe: %s: %s\n", what, msg);
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
		r->sig_ext = r->sig_scsv = "inconclusive";
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

	t->ku_status = "not_applicable";
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
	r = probe_report_json(fp, pr);
	if (fp != stdout && fclose(fp) != 0)
		r = -1;
	return r;
}

static int run(const struct probe_opts *o)
{
	struct probe_result pr;
	enum tp_errcode e12 = TP_ERR_NONE, e13 = TP_ERR_NONE;
	char m12[160] = "", m13[160] = "";
	unsigned hit;

	memset(&pr, 0, sizeof(pr));
	pr.o = o;
	pr.r.ci_status = pr.r.srv_status = "not_applicable";
	pr.s.status = "not_tested";
	pr.s.echo_detected = -1;
	if (run_reneg(o, &pr, &e12, m12, sizeof(m12)) < 0)
		return fail(e12, "cannot probe", m12);
	if (!pr.r.tested)
		probe_ci_verdict(&pr.r);
	if (run_tls13(o, &pr, &e13, m13, sizeof(m13)) < 0 && !pr.r.tested) {
		if (fatal_open_error(e13))
			return fail(e13, "cannot probe", m13);
		return fail(e12 ? e12 : e13, "no TLS handshake",
			    m12[0] ? m12 : m13);
	}
	if (!pr.r.tested) {
		snprintf(pr.s.reason, sizeof(pr.s.reason),
			 "TLS 1.3 has no renegotiation");
		snprintf(pr.r.srv_reason, sizeof(pr.r.srv_reason),
			 "TLS 1.3 has no renegotiation");
	}
	if (report(o, &pr) < 0) {
		fprintf(stderr, "tlsprobe probe: cannot write the report\n");
		free(pr.r.att);
		return CLI_EOTHER;
	}
	hit = probe_verdict_bits(&pr) & o->fail_on;
	free(pr.r.att);
	for (size_t i = 0;
	     hit && i < sizeof(fail_names) / sizeof(fail_names[0]); i++)
		if (hit & fail_names[i].bit)
			fprintf(stderr,
				"tlsprobe probe: --fail-on %s matched\n",
				fail_names[i].name);
	return hit ? CLI_EOTHER : CLI_OK;
}

int probe_main(int argc, char **argv)
{
	struct probe_opts o;
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		probe_help(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EUSAGE : CLI_OK;
	}
	if (strcmp(argv[1], "reneg") != 0)
		return usage_error("unknown probe", argv[1]);
	r = parse_args(argc - 1, argv + 1, &o);
	if (r < 0)
		r = run(&o);
	free(o.request);
	return r;
}
