/* Option parsing for `tlsprobe connect`; see connect.h. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect.h"

enum {
	OPT_CONNECT = 256,
	OPT_SERVERNAME,
	OPT_NOSERVERNAME,
	OPT_VERIFYNAME,
	OPT_CAFILE,
	OPT_CADIR,
	OPT_INSECURE,
	OPT_STATUS,
	OPT_CRLFILE,
	OPT_CRLCHECK,
	OPT_CRLCHECKALL,
	OPT_CERT,
	OPT_KEY,
	OPT_TLS10,
	OPT_TLS11,
	OPT_TLS12,
	OPT_TLS13,
	OPT_MINTLS,
	OPT_MAXTLS,
	OPT_CIPHERS,
	OPT_CIPHERSUITES,
	OPT_GROUPS,
	OPT_ALPN,
	OPT_SESSIN,
	OPT_SESSOUT,
	OPT_RECONNECT,
	OPT_STARTTLS,
	OPT_KEYLOG,
	OPT_PCAP,
	OPT_SHOWCERTS,
	OPT_MSG,
	OPT_BRIEF,
	OPT_QUIET,
	OPT_JSON,
	OPT_CRLF,
	OPT_TIMEOUT,
	OPT_LINGER,
	OPT_CLOSEIDLE,
	OPT_COMMANDS,
	OPT_EXPECTTIMEOUT,
	OPT_SCRIPT,
	OPT_NOTICKETS,
	OPT_VERSION
};

static const struct option long_opts[] = {
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "servername", required_argument, NULL, OPT_SERVERNAME },
	{ "noservername", no_argument, NULL, OPT_NOSERVERNAME },
	{ "verify-name", required_argument, NULL, OPT_VERIFYNAME },
	{ "ca-file", required_argument, NULL, OPT_CAFILE },
	{ "ca-dir", required_argument, NULL, OPT_CADIR },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "crl-file", required_argument, NULL, OPT_CRLFILE },
	{ "crl-check", no_argument, NULL, OPT_CRLCHECK },
	{ "crl-check-all", no_argument, NULL, OPT_CRLCHECKALL },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "tls1.0", no_argument, NULL, OPT_TLS10 },
	{ "tls1.1", no_argument, NULL, OPT_TLS11 },
	{ "tls1.2", no_argument, NULL, OPT_TLS12 },
	{ "tls1.3", no_argument, NULL, OPT_TLS13 },
	{ "min-tls", required_argument, NULL, OPT_MINTLS },
	{ "max-tls", required_argument, NULL, OPT_MAXTLS },
	{ "ciphers", required_argument, NULL, OPT_CIPHERS },
	{ "ciphersuites", required_argument, NULL, OPT_CIPHERSUITES },
	{ "groups", required_argument, NULL, OPT_GROUPS },
	{ "alpn", required_argument, NULL, OPT_ALPN },
	{ "sess-in", required_argument, NULL, OPT_SESSIN },
	{ "sess-out", required_argument, NULL, OPT_SESSOUT },
	{ "reconnect", required_argument, NULL, OPT_RECONNECT },
	{ "starttls", required_argument, NULL, OPT_STARTTLS },
	{ "keylog", required_argument, NULL, OPT_KEYLOG },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "showcerts", no_argument, NULL, OPT_SHOWCERTS },
	{ "msg", no_argument, NULL, OPT_MSG },
	{ "brief", no_argument, NULL, OPT_BRIEF },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "crlf", no_argument, NULL, OPT_CRLF },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "linger", required_argument, NULL, OPT_LINGER },
	{ "close-idle", required_argument, NULL, OPT_CLOSEIDLE },
	{ "commands", no_argument, NULL, OPT_COMMANDS },
	{ "expect-timeout", required_argument, NULL, OPT_EXPECTTIMEOUT },
	{ "script", required_argument, NULL, OPT_SCRIPT },
	{ "no-tickets", no_argument, NULL, OPT_NOTICKETS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

#define SHORT_OPTS "46h"

/* What an s_client option that asks for what tlsprobe always does
 * translates to: it is dropped (no option of ours stands for it, so none
 * is accepted that the documentation does not name). */
static const char sclient_ignored[] = "";

/* openssl s_client spellings and what they mean here. */
static const struct {
	const char *sclient, *ours;
} sclient_opts[] = {
	{ "-connect", "--connect" },
	{ "-servername", "--servername" },
	{ "-noservername", "--noservername" },
	{ "-verify_hostname", "--verify-name" },
	{ "-CAfile", "--ca-file" },
	{ "-CApath", "--ca-dir" },
	{ "-status", "--status" },
	{ "-CRL", "--crl-file" },
	{ "-crl_check", "--crl-check" },
	{ "-crl_check_all", "--crl-check-all" },
	{ "-cert", "--cert" },
	{ "-key", "--key" },
	{ "-tls1", "--tls1.0" },
	{ "-tls1_1", "--tls1.1" },
	{ "-tls1_2", "--tls1.2" },
	{ "-tls1_3", "--tls1.3" },
	{ "-cipher", "--ciphers" },
	{ "-ciphersuites", "--ciphersuites" },
	{ "-groups", "--groups" },
	{ "-curves", "--groups" },
	{ "-alpn", "--alpn" },
	{ "-sess_in", "--sess-in" },
	{ "-sess_out", "--sess-out" },
	{ "-reconnect", "--reconnect=5" },
	{ "-starttls", "--starttls" },
	{ "-keylogfile", "--keylog" },
	{ "-showcerts", "--showcerts" },
	{ "-msg", "--msg" },
	{ "-trace", "--msg" },
	{ "-state", "--msg" },
	{ "-quiet", "--quiet" },
	{ "-brief", "--brief" },
	{ "-crlf", "--crlf" },
	{ "-no_ticket", "--no-tickets" },
	{ "-help", "--help" },
	/* Our EOF handling and verification already do what these ask. */
	{ "-ign_eof", sclient_ignored },
	{ "-no_ign_eof", sclient_ignored },
	{ "-verify_return_error", sclient_ignored },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *sclient_lookup(const char *arg)
{
	size_t i;

	for (i = 0; i < NELEM(sclient_opts); i++)
		if (strcmp(arg, sclient_opts[i].sclient) == 0)
			return sclient_opts[i].ours;
	return NULL;
}

/* Does the long option arg ("--name" or "--name=value"; getopt also takes
 * unambiguous prefixes) consume the next argument? */
static int long_takes_next(const char *arg)
{
	const struct option *o, *found = NULL;
	size_t n;

	if (strchr(arg, '=') != NULL)
		return 0;
	arg += 2;
	n = strlen(arg);
	for (o = long_opts; o->name != NULL; o++) {
		if (strcmp(o->name, arg) == 0)
			return o->has_arg == required_argument;
		if (found == NULL && strncmp(o->name, arg, n) == 0)
			found = o;
	}
	return found != NULL && found->has_arg == required_argument;
}

/* One argument: the s_client spelling translated, or arg itself. A
 * single-dash word that is neither ours nor s_client's is an error here,
 * since getopt would read "-foo" as the cluster -f -o -o. */
static int translate_one(const char *arg, const char **out, char *err,
			 size_t errlen)
{
	*out = arg;
	if (arg[0] != '-' || arg[1] == '-' || arg[1] == '\0' || arg[2] == '\0')
		return 0;
	*out = sclient_lookup(arg);
	if (*out == NULL)
		return cli_errf(err, errlen, "unrecognized option '%s'", arg);
	return 0;
}

/* Copies argv into o->argv_copy with s_client spellings translated (the
 * ignored ones left out); returns the copy's argc, or -1. The arguments
 * of options, and everything after "--", are copied as is. */
static int translate_argv(int argc, char **argv, struct cli_options *o,
			  char *err, size_t errlen)
{
	const char *t;
	int i, n = 0, verbatim = 0;

	o->argv_copy = calloc((size_t)argc + 1, sizeof(char *));
	if (o->argv_copy == NULL)
		return cli_errf(err, errlen, "%s", "out of memory");
	for (i = 0; i < argc; i++) {
		if (i == 0 || verbatim) {
			o->argv_copy[n++] = argv[i];
			continue;
		}
		if (strcmp(argv[i], "--") == 0)
			verbatim = 1;
		if (!verbatim && translate_one(argv[i], &t, err, errlen) == -1)
			return -1;
		if (!verbatim && t == sclient_ignored)
			continue;
		o->argv_copy[n++] = verbatim ? argv[i] : (char *)t;
		if (!verbatim && t[0] == '-' && t[1] == '-' &&
		    long_takes_next(t) && i + 1 < argc) {
			i++;
			o->argv_copy[n++] = argv[i];
		}
	}
	return n;
}

static int parse_starttls(const char *arg, struct cli_options *o, char *err,
			  size_t errlen)
{
	if (cli_starttls_parse(arg, &o->starttls) == -1)
		return cli_starttls_error(arg, err, errlen);
	return 0;
}

static int set_target(struct cli_options *o, const char *arg, int *have,
		      char *err, size_t errlen)
{
	if (*have)
		return cli_errf(err, errlen,
				"more than one server given ('%s')", arg);
	*have = 1;
	if (cli_parse_hostport(arg, &o->target, err, errlen) == 0)
		return 0;
	memset(&o->target, 0, sizeof(o->target)); /* no target known */
	return -1;
}

struct parse_state {
	int have_target;
	struct cli_versions versions;
};

/* Options that take a file, list or name: stored as given. */
static int apply_string(struct cli_options *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_SERVERNAME:
		o->servername = arg;
		return 1;
	case OPT_VERIFYNAME:
		o->verify_name = arg;
		return 1;
	case OPT_CAFILE:
		o->ca_file = arg;
		return 1;
	case OPT_CADIR:
		o->ca_dir = arg;
		return 1;
	case OPT_CERT:
		o->cert = arg;
		return 1;
	case OPT_KEY:
		o->key = arg;
		return 1;
	case OPT_CIPHERS:
		o->ciphers = arg;
		return 1;
	case OPT_CIPHERSUITES:
		o->ciphersuites = arg;
		return 1;
	case OPT_GROUPS:
		o->groups = arg;
		return 1;
	case OPT_ALPN:
		o->alpn = arg;
		return 1;
	case OPT_SESSIN:
		o->sess_in = arg;
		return 1;
	case OPT_SESSOUT:
		o->sess_out = arg;
		return 1;
	case OPT_KEYLOG:
		o->keylog = arg;
		return 1;
	case OPT_PCAP:
		o->pcap = arg;
		return 1;
	case OPT_JSON:
		o->json = arg;
		return 1;
	case OPT_SCRIPT:
		o->script = arg; /* stdin from it, with --commands */
		o->commands = 1;
		return 1;
	default:
		return 0;
	}
}

/* Flags without an argument. */
static int apply_flag(struct cli_options *o, int opt)
{
	switch (opt) {
	case OPT_NOSERVERNAME:
		o->no_servername = 1;
		return 1;
	case OPT_INSECURE:
		o->insecure = 1;
		return 1;
	case OPT_STATUS:
		o->status = 1;
		return 1;
	case OPT_CRLCHECK:
		o->crl_check = 1;
		return 1;
	case OPT_CRLCHECKALL:
		o->crl_check_all = 1;
		return 1;
	case OPT_SHOWCERTS:
		o->showcerts = 1;
		return 1;
	case OPT_MSG:
		o->msg = 1;
		return 1;
	case OPT_BRIEF:
		o->verbosity = CLI_BRIEF;
		return 1;
	case OPT_QUIET:
		o->verbosity = CLI_QUIET;
		return 1;
	case OPT_CRLF:
		o->crlf = 1;
		return 1;
	case OPT_COMMANDS:
		o->commands = 1;
		return 1;
	case OPT_NOTICKETS:
		o->no_tickets = 1;
		return 1;
	case '4':
		o->family = 4;
		return 1;
	case '6':
		o->family = 6;
		return 1;
	case 'h':
		o->help = 1;
		return 1;
	case OPT_VERSION:
		o->version = 1;
		return 1;
	default:
		return 0;
	}
}

static int apply_other(struct cli_options *o, struct parse_state *ps, int opt,
		       const char *arg, char *err, size_t errlen)
{
	switch (opt) {
	case OPT_CONNECT:
		return set_target(o, arg, &ps->have_target, err, errlen);
	case OPT_TLS10:
		return cli_versions_pin(&ps->versions, TP_TLS1_0, err, errlen);
	case OPT_TLS11:
		return cli_versions_pin(&ps->versions, TP_TLS1_1, err, errlen);
	case OPT_TLS12:
		return cli_versions_pin(&ps->versions, TP_TLS1_2, err, errlen);
	case OPT_TLS13:
		return cli_versions_pin(&ps->versions, TP_TLS1_3, err, errlen);
	case OPT_MINTLS:
	case OPT_MAXTLS:
		return cli_versions_bound(&ps->versions, opt == OPT_MAXTLS, arg,
					  err, errlen);
	case OPT_RECONNECT:
		return cli_int_arg("--reconnect count", arg, 0, 100,
				   &o->reconnect, err, errlen);
	case OPT_TIMEOUT:
		return cli_int_arg("--timeout", arg, 0, 86400, &o->timeout, err,
				   errlen);
	case OPT_LINGER:
		return cli_int_arg("--linger", arg, 0, 86400, &o->linger, err,
				   errlen);
	case OPT_CLOSEIDLE:
		return cli_int_arg("--close-idle", arg, 0, 3600000,
				   &o->close_idle, err, errlen);
	case OPT_EXPECTTIMEOUT:
		return cli_int_arg("--expect-timeout", arg, 0, 86400,
				   &o->expect_timeout, err, errlen);
	case OPT_STARTTLS:
		return parse_starttls(arg, o, err, errlen);
	case OPT_CRLFILE:
		if (o->ncrl_files == CLI_MAX_CRL_FILES)
			return cli_errf(err, errlen,
					"at most %d --crl-file (one CRL each)",
					CLI_MAX_CRL_FILES);
		o->crl_files[o->ncrl_files++] = arg;
		return 0;
	default:
		return cli_errf(err, errlen, "internal error: option %d", opt);
	}
}

static int check_combinations(const struct cli_options *o,
			      const struct parse_state *ps, char *err,
			      size_t errlen)
{
	if (cli_versions_check(&ps->versions, err, errlen) == -1)
		return -1;
	return cli_options_check_conn(o, err, errlen);
}

static int parse_positional(int argc, char **argv, struct cli_options *o,
			    struct parse_state *ps, char *err, size_t errlen)
{
	if (optind < argc &&
	    set_target(o, argv[optind++], &ps->have_target, err, errlen) == -1)
		return -1;
	if (optind < argc)
		return cli_errf(err, errlen, "unexpected argument '%s'",
				argv[optind]);
	if (!ps->have_target)
		return cli_errf(err, errlen, "%s", "missing HOST[:PORT]");
	return 0;
}

/* After a usage error: the rest of the line is read for the target and
 * --json only (the run's report is written for a known target; later
 * errors are not reported, the first one is). Returns rv. */
static int after_error(int argc, char **av, struct cli_options *o,
		       struct parse_state *ps, int rv)
{
	char ignored[256];
	int ch;

	while ((ch = getopt_long(argc, av, SHORT_OPTS, long_opts, NULL)) !=
	       -1) {
		if (ch == OPT_JSON)
			o->json = optarg;
		else if (ch == OPT_CONNECT && !ps->have_target)
			(void)set_target(o, optarg, &ps->have_target, ignored,
					 sizeof(ignored));
	}
	if (!ps->have_target)
		(void)parse_positional(argc, av, o, ps, ignored,
				       sizeof(ignored));
	return rv;
}

static void set_defaults(struct cli_options *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout = -1;
	o->linger = -1;
	o->close_idle = -1;
	o->expect_timeout = CLI_EXPECT_TIMEOUT;
	o->min_tls = o->max_tls = TP_VERSION_ANY;
}

int cli_options_parse(int argc, char **argv, struct cli_options *o, char *err,
		      size_t errlen)
{
	struct parse_state ps = { .versions = { TP_VERSION_ANY, TP_VERSION_ANY,
						0, 0 } };
	char **av;
	int ch;

	set_defaults(o);
	argc = translate_argv(argc, argv, o, err, errlen);
	if (argc == -1)
		return -1;
	av = o->argv_copy;
	cli_getopt_begin();
	while ((ch = cli_getopt(argc, av, SHORT_OPTS, long_opts, err,
				errlen)) != -1) {
		if (ch == CLI_OPT_ERROR)
			return after_error(argc, av, o, &ps, -1);
		if (apply_string(o, ch, optarg) || apply_flag(o, ch))
			continue;
		if (apply_other(o, &ps, ch, optarg, err, errlen) == -1)
			return after_error(argc, av, o, &ps, -1);
	}
	o->min_tls = ps.versions.min;
	o->max_tls = ps.versions.max;
	if (o->help || o->version)
		return 0;
	if (parse_positional(argc, av, o, &ps, err, errlen) == -1)
		return -1;
	return check_combinations(o, &ps, err, errlen);
}

void cli_options_free(struct cli_options *o)
{
	free(o->argv_copy);
	o->argv_copy = NULL;
}
