/*
 * The command line of `tlsprobe probe reneg`, through the option layer of
 * cli/common: the same messages, numbers and exit status as connect and
 * serve.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

#define CMD "probe reneg"

static const char help_text[] =
	"Usage: tlsprobe probe reneg [OPTIONS] HOST[:PORT]\n"
	"       tlsprobe probe reneg [OPTIONS] --targets FILE [--jobs N]\n"
	"Renegotiation and KeyUpdate probes with verdicts (see tlsprobe-probe(1)).\n"
	"\n"
	"  --attempts N        client renegotiations to try (default 10)\n"
	"  --interval MS       pause between attempts (default 0)\n"
	"  --request STRING    request to send (\\n, \\r, \\t, \\\\, \\xHH escapes)\n"
	"  --hello-wait MS     how long to wait for a HelloRequest (default 1000)\n"
	"  --stream-bytes N    bytes for the mid-stream probe (default 262144)\n"
	"  --ca-file FILE      trust anchors\n"
	"  --ca-dir DIR        directory of trust anchors\n"
	"  --insecure          do not verify the certificate\n"
	"  --servername NAME   SNI and name to verify (default HOST)\n"
	"  --noservername      send no SNI\n"
	"  --verify-name NAME  verify the certificate for NAME, not the SNI\n"
	"  --cert FILE         client certificate (PEM; key too unless --key)\n"
	"  --key FILE          private key for --cert\n"
	"  --keylog FILE       log TLS secrets (also $SSLKEYLOGFILE)\n"
	"  --starttls PROTO    smtp, imap, pop3, ftp, xmpp or postgres\n"
	"  --timeout SECS      connect and handshake timeout (default 5)\n"
	"  --json FILE         JSON report to FILE ('-': stdout, instead of text)\n"
	"  --targets FILE      probe every HOST[:PORT] line of FILE ('-': stdin),\n"
	"                      one JSON object per line on stdout; a line may add\n"
	"                      --servername, --noservername, --starttls, --request\n"
	"  --jobs N            concurrent probes with --targets (default 1)\n"
	"  -4, -6              IPv4 or IPv6 only\n"
	"  --help              this text\n"
	"  --fail-on LIST      exit 1 when a verdict in LIST holds:\n"
	"                      ";

void probe_help(FILE *fp)
{
	fputs(help_text, fp);
	probe_print_fail_on_names(fp, 22);
	fputc('\n', fp);
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
	P_VERIFY_NAME,
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
	{ "verify-name", required_argument, NULL, P_VERIFY_NAME },
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
 * when opt was one, 0 when not, -1 with the message in err. */
static int parse_conn(struct cli_options *c, int opt, const char *arg,
		      char *err, size_t errlen)
{
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
	case P_VERIFY_NAME:
		c->verify_name = arg;
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
		return cli_starttls_error(arg, err, errlen);
	case '4':
	case '6':
		c->family = opt - '0';
		return 1;
	default:
		return 0;
	}
}

/* "invalid --request '\\q'": the value is quoted as given. */
static int fail(char *err, size_t errlen, const char *what, const char *arg)
{
	snprintf(err, errlen, "invalid %s '%s'", what, arg);
	return -1;
}

/* The probe's own options. 0, or -1 with the message in err. */
static int parse_one(struct probe_cmd *cmd, int opt, const char *arg, char *err,
		     size_t errlen)
{
	struct probe_opts *o = &cmd->o;
	long v;

	switch (opt) {
	case P_ATTEMPTS:
		return cli_int_arg("--attempts", arg, 1, PROBE_MAX_ATTEMPTS,
				   &o->attempts, err, errlen);
	case P_INTERVAL:
		return cli_int_arg("--interval", arg, 0, 3600000,
				   &o->interval_ms, err, errlen);
	case P_HELLO_WAIT:
		return cli_int_arg("--hello-wait", arg, 0, 3600000,
				   &o->hello_wait_ms, err, errlen);
	case P_STREAM_BYTES:
		if (cli_uint_arg("--stream-bytes", arg, 1, 1L << 30, &v, err,
				 errlen) == -1)
			return -1;
		o->stream_bytes = (size_t)v;
		return 0;
	case P_REQUEST:
		free(o->request);
		o->request = NULL;
		if (probe_decode_request(arg, &o->request, &o->request_len) < 0)
			return fail(err, errlen, "--request", arg);
		return 0;
	case P_TIMEOUT:
		if (cli_int_arg("--timeout", arg, 1, 3600, &o->conn.timeout,
				err, errlen) == -1)
			return -1;
		o->timeout_ms = o->conn.timeout * 1000;
		return 0;
	case P_JOBS:
		return cli_int_arg("--jobs", arg, 1, PROBE_MAX_JOBS, &cmd->jobs,
				   err, errlen);
	case P_FAIL_ON:
		if (probe_parse_fail_on(arg, &o->fail_on) < 0)
			return fail(err, errlen, "--fail-on", arg);
		return 0;
	default:
		snprintf(err, errlen, "internal error: option %d", opt);
		return -1;
	}
}

/* Options stored as given. 1 when opt was one, else 0. */
static int parse_plain(struct probe_cmd *cmd, int opt, const char *arg)
{
	switch (opt) {
	case P_JSON:
		cmd->o.json_path = arg;
		return 1;
	case P_TARGETS:
		cmd->targets = arg;
		return 1;
	case P_HELP:
		cmd->help = 1;
		return 1;
	default:
		return 0;
	}
}

static void set_defaults(struct probe_cmd *cmd)
{
	struct probe_opts *o = &cmd->o;

	memset(cmd, 0, sizeof(*cmd));
	o->attempts = 10;
	o->timeout_ms = 5000;
	o->conn.timeout = 5; /* for setup_plain_connect */
	o->conn.close_idle = o->conn.linger = -1;
	o->hello_wait_ms = 1000;
	o->stream_bytes = 256 * 1024;
	cmd->jobs = 1;
}

/* HOST[:PORT], or --targets instead. */
static int parse_target(struct probe_cmd *cmd, int argc, char **argv, char *err,
			size_t errlen)
{
	if (cmd->targets != NULL) {
		if (optind == argc)
			return 0;
		snprintf(err, errlen,
			 "--targets and HOST[:PORT] ('%s') conflict",
			 argv[optind]);
		return -1;
	}
	if (cmd->jobs != 1) {
		snprintf(err, errlen, "--jobs needs --targets");
		return -1;
	}
	if (optind != argc - 1) {
		snprintf(err, errlen, "%s",
			 optind >= argc ? "missing HOST[:PORT]" :
					  "too many arguments");
		return -1;
	}
	return cli_parse_hostport(argv[optind], &cmd->o.conn.target, err,
				  errlen);
}

int probe_parse_args(int argc, char **argv, struct probe_cmd *cmd)
{
	char err[256];
	int opt, r;

	set_defaults(cmd);
	cli_getopt_begin();
	while ((opt = cli_getopt(argc, argv, "46", longopts, err,
				 sizeof(err))) != -1) {
		if (opt == CLI_OPT_ERROR)
			return cli_usage_error(CMD, "%s", err);
		if (parse_plain(cmd, opt, optarg))
			continue;
		r = parse_conn(&cmd->o.conn, opt, optarg, err, sizeof(err));
		if (r == 0)
			r = parse_one(cmd, opt, optarg, err, sizeof(err));
		if (r == -1)
			return cli_usage_error(CMD, "%s", err);
	}
	if (cmd->help) {
		probe_help(stdout);
		return fflush(stdout) == 0 ? CLI_OK : CLI_EOTHER;
	}
	if (parse_target(cmd, argc, argv, err, sizeof(err)) == -1 ||
	    cli_options_check_conn(&cmd->o.conn, err, sizeof(err)) == -1)
		return cli_usage_error(CMD, "%s", err);
	return -1;
}
