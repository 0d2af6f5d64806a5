/* The command line of `tlsprobe serve`, through the option layer of
 * cli/common (the same messages, numbers and TLS versions as connect). */
#include <stdio.h>
#include <string.h>

#include "serve.h"

static const char help_text[] =
	"Usage: tlsprobe serve [OPTIONS] [ADDR:]PORT\n"
	"A TLS server for demos and tests (see tlsprobe-serve(1)).\n"
	"\n"
	"  --cert FILE --key FILE   serve this certificate (default: generate one)\n"
	"  --write-ca FILE          write the generated CA here\n"
	"  --mode MODE              echo (default), reverse, sink, source\n"
	"  --source-bytes N         bytes sent in source mode (k/M/G suffixes)\n"
	"  --client-reneg POLICY    client renegotiation: allow (default), refuse\n"
	"                           (warning alert), ignore (no answer), or limit:N\n"
	"                           (allow N per connection, then refuse)\n"
	"  --hello-request-every N  send HelloRequest every N bytes (TLS <= 1.2)\n"
	"  --hello-request-interval SECS\n"
	"                           send HelloRequest every SECS seconds (TLS <= 1.2)\n"
	"  --key-update-every N     send KeyUpdate every N bytes (TLS 1.3)\n"
	"  --reply-delay MS         echo, reverse: wait MS milliseconds before each\n"
	"                           reply (a server that answers late)\n"
	"  --tls1.0, --tls1.1, --tls1.2, --tls1.3\n"
	"                           use only this version\n"
	"  --min-tls V, --max-tls V version bounds: 1.0, 1.1, 1.2 or 1.3 (also\n"
	"                           tls1.2 or TLSv1.2)\n"
	"  --require-client-cert    ask for and require a client certificate\n"
	"  --naccept N              exit after N connections\n"
	"  --quiet                  no per-connection reports\n"
	"  --help                   this text\n";

enum {
	S_CERT = 256,
	S_KEY,
	S_WRITE_CA,
	S_MODE,
	S_SOURCE_BYTES,
	S_RENEG,
	S_HELLO_EVERY,
	S_KU_EVERY,
	S_TLS10,
	S_TLS11,
	S_TLS12,
	S_TLS13,
	S_MIN,
	S_MAX,
	S_REQ_CERT,
	S_NACCEPT,
	S_QUIET,
	S_HELP,
	S_HELLO_SECS,
	S_REPLY_DELAY
};

static const struct option serve_longopts[] = {
	{ "cert", required_argument, NULL, S_CERT },
	{ "key", required_argument, NULL, S_KEY },
	{ "write-ca", required_argument, NULL, S_WRITE_CA },
	{ "mode", required_argument, NULL, S_MODE },
	{ "source-bytes", required_argument, NULL, S_SOURCE_BYTES },
	{ "client-reneg", required_argument, NULL, S_RENEG },
	{ "hello-request-every", required_argument, NULL, S_HELLO_EVERY },
	{ "key-update-every", required_argument, NULL, S_KU_EVERY },
	{ "hello-request-interval", required_argument, NULL, S_HELLO_SECS },
	{ "reply-delay", required_argument, NULL, S_REPLY_DELAY },
	{ "tls1.0", no_argument, NULL, S_TLS10 },
	{ "tls1.1", no_argument, NULL, S_TLS11 },
	{ "tls1.2", no_argument, NULL, S_TLS12 },
	{ "tls1.3", no_argument, NULL, S_TLS13 },
	{ "min-tls", required_argument, NULL, S_MIN },
	{ "max-tls", required_argument, NULL, S_MAX },
	{ "require-client-cert", no_argument, NULL, S_REQ_CERT },
	{ "naccept", required_argument, NULL, S_NACCEPT },
	{ "quiet", no_argument, NULL, S_QUIET },
	{ "help", no_argument, NULL, S_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Byte counts: 2^50 is beyond any test and far from overflow. */
#define SERVE_MAX_BYTES (1ull << 50)

static int parse_mode(const char *s, enum serve_mode *m, char *err,
		      size_t errlen)
{
	static const char *const names[] = { "echo", "reverse", "sink",
					     "source" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*m = (enum serve_mode)i;
			return 0;
		}
	snprintf(err, errlen,
		 "invalid --mode '%s' (want echo, reverse, sink or source)", s);
	return -1;
}

static int parse_reneg(const char *s, struct serve_opts *o, char *err,
		       size_t errlen)
{
	long n;

	if (strcmp(s, "allow") == 0)
		o->reneg = TP_RENEG_ACCEPT;
	else if (strcmp(s, "refuse") == 0)
		o->reneg = TP_RENEG_REFUSE;
	else if (strcmp(s, "ignore") == 0)
		o->reneg = TP_RENEG_IGNORE;
	else if (strncmp(s, "limit:", 6) == 0 &&
		 cli_parse_uint(s + 6, 1, 1000000, &n) == 0) {
		o->reneg = TP_RENEG_LIMIT;
		o->reneg_limit = (int)n;
	} else {
		snprintf(err, errlen,
			 "invalid --client-reneg '%s' (want allow, refuse, "
			 "ignore or limit:N, N 1-1000000)",
			 s);
		return -1;
	}
	return 0;
}

/* Options with a value or a version. 0, or -1 with the message in err. */
static int parse_valued(struct serve_opts *o, int opt, const char *arg,
			char *err, size_t errlen)
{
	switch (opt) {
	case S_MODE:
		return parse_mode(arg, &o->mode, err, errlen);
	case S_SOURCE_BYTES:
		return cli_bytes_arg("--source-bytes", arg, SERVE_MAX_BYTES,
				     &o->source_bytes, err, errlen);
	case S_HELLO_EVERY:
		return cli_bytes_arg("--hello-request-every", arg,
				     SERVE_MAX_BYTES, &o->hello_request_every,
				     err, errlen);
	case S_KU_EVERY:
		return cli_bytes_arg("--key-update-every", arg, SERVE_MAX_BYTES,
				     &o->key_update_every, err, errlen);
	case S_RENEG:
		return parse_reneg(arg, o, err, errlen);
	case S_HELLO_SECS:
		return cli_int_arg("--hello-request-interval", arg, 1, 86400,
				   &o->hello_request_secs, err, errlen);
	case S_REPLY_DELAY:
		return cli_int_arg("--reply-delay", arg, 0, 3600000,
				   &o->reply_delay_ms, err, errlen);
	case S_NACCEPT:
		return cli_int_arg("--naccept", arg, 1, 1000000, &o->naccept,
				   err, errlen);
	case S_TLS10:
	case S_TLS11:
	case S_TLS12:
	case S_TLS13: {
		static const enum tp_version pins[] = { TP_TLS1_0, TP_TLS1_1,
							TP_TLS1_2, TP_TLS1_3 };
		return cli_versions_pin(&o->versions, pins[opt - S_TLS10], err,
					errlen);
	}
	case S_MIN:
	case S_MAX:
		return cli_versions_bound(&o->versions, opt == S_MAX, arg, err,
					  errlen);
	default:
		snprintf(err, errlen, "internal error: option %d", opt);
		return -1;
	}
}

/* Options that are stored as given. 1 when opt was one, else 0. */
static int parse_plain(struct serve_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case S_CERT:
		o->cert = arg;
		return 1;
	case S_KEY:
		o->key = arg;
		return 1;
	case S_WRITE_CA:
		o->write_ca = arg;
		return 1;
	case S_REQ_CERT:
		o->require_client_cert = 1;
		return 1;
	case S_QUIET:
		o->quiet = 1;
		return 1;
	case S_HELP:
		o->help = 1;
		return 1;
	default:
		return 0;
	}
}

/* "[ADDR:]PORT", "[V6]:PORT" or ":PORT" (loopback) into o->addr and
 * o->port, pointing into o->listen_spec. */
static int parse_listen(struct serve_opts *o, const char *arg)
{
	char *spec = o->listen_spec, *colon;
	long port;

	if (strlen(arg) >= sizeof(o->listen_spec))
		return -1;
	strcpy(spec, arg); /* cut up here; argv stays as ps shows it */
	colon = strrchr(spec, ':');
	o->addr = NULL;
	o->port = spec;
	if (colon != NULL) {
		*colon = '\0';
		o->addr = spec;
		o->port = colon + 1;
		if (o->addr[0] == '[') {
			char *rb = strchr(++o->addr, ']');

			if (rb == NULL || rb[1] != '\0')
				return -1;
			*rb = '\0';
		}
		if (o->addr[0] == '\0')
			o->addr = NULL; /* ":PORT": the default, loopback */
	}
	return cli_parse_uint(o->port, 0, 65535, &port);
}

static int check(int argc, char **argv, struct serve_opts *o)
{
	char err[256];

	if (cli_versions_check(&o->versions, err, sizeof(err)) == -1)
		return cli_usage_error("serve", "%s", err);
	if (optind != argc - 1)
		return cli_usage_error("serve", "%s",
				       optind >= argc ? "missing [ADDR:]PORT" :
							"too many arguments");
	if (parse_listen(o, argv[optind]) == -1)
		return cli_usage_error("serve",
				       "invalid listen address '%s' (want "
				       "[ADDR:]PORT, PORT 0-65535)",
				       argv[optind]);
	if (o->key && !o->cert)
		return cli_usage_error("serve", "%s", "--key needs --cert");
	return -1;
}

int serve_options_parse(int argc, char **argv, struct serve_opts *o)
{
	char err[256];
	int opt;

	memset(o, 0, sizeof(*o));
	o->versions.min = o->versions.max = TP_VERSION_ANY;
	cli_getopt_begin();
	while ((opt = cli_getopt(argc, argv, "", serve_longopts, err,
				 sizeof(err))) != -1) {
		if (opt == CLI_OPT_ERROR)
			return cli_usage_error("serve", "%s", err);
		if (parse_plain(o, opt, optarg))
			continue;
		if (parse_valued(o, opt, optarg, err, sizeof(err)) == -1)
			return cli_usage_error("serve", "%s", err);
	}
	if (o->help) {
		fputs(help_text, stdout);
		return fflush(stdout) == 0 ? CLI_OK : CLI_EOTHER;
	}
	return check(argc, argv, o);
}
