/*
 * The option and usage layer of every command: getopt_long without its own
 * messages (opterr = 0), so that an unknown option, a missing argument, a
 * bad number or TLS version reads the same in connect, serve and probe.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

int cli_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line: scripts and humans both read the first line only. */
	fprintf(stderr, "tlsprobe%s%s: %s (see 'tlsprobe%s%s --help')\n",
		cmd ? " " : "", cmd ? cmd : "", msg, cmd ? " " : "",
		cmd ? cmd : "");
	return CLI_EUSAGE;
}

void cli_getopt_begin(void)
{
	optind = 0; /* GNU: full reinitialisation */
	opterr = 0;
}

/* How many long options "--name[=value]" could abbreviate. */
static int long_matches(const char *arg, const struct option *longopts)
{
	const struct option *o;
	size_t n;
	int count = 0;

	if (strncmp(arg, "--", 2) != 0)
		return 0;
	arg += 2;
	n = strcspn(arg, "=");
	for (o = longopts; o->name != NULL; o++)
		if (strncmp(o->name, arg, n) == 0)
			count++;
	return count;
}

static int getopt_error(int ch, char **argv, const struct option *longopts,
			char *err, size_t errlen)
{
	const char *arg = argv[optind - 1];

	if (ch == ':')
		return cli_errf(err, errlen, "option '%s' requires an argument",
				arg);
	if (optopt != 0 && optopt < 256 && arg[1] != '-')
		return cli_errf(err, errlen, "invalid option '-%c'", optopt);
	return cli_errf(err, errlen, "%s option '%s'",
			long_matches(arg, longopts) > 1 ? "ambiguous" :
							  "unrecognized",
			arg);
}

int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, char *err, size_t errlen)
{
	char opts[64];
	int ch;

	/* A leading ':' makes a missing argument ':' rather than '?'. */
	snprintf(opts, sizeof(opts), ":%s", shortopts);
	ch = getopt_long(argc, argv, opts, longopts, NULL);
	if (ch == '?' || ch == ':') {
		getopt_error(ch, argv, longopts, err, errlen);
		return CLI_OPT_ERROR;
	}
	return ch;
}

int cli_uint_arg(const char *name, const char *arg, long min, long max,
		 long *out, char *err, size_t errlen)
{
	if (cli_parse_uint(arg, min, max, out) == -1)
		return cli_errf(err, errlen, "invalid %s '%s' (want %ld-%ld)",
				name, arg, min, max);
	return 0;
}

int cli_int_arg(const char *name, const char *arg, long min, long max, int *out,
		char *err, size_t errlen)
{
	long v;

	if (cli_uint_arg(name, arg, min, max, &v, err, errlen) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

int cli_bytes_arg(const char *name, const char *arg, uint64_t max,
		  uint64_t *out, char *err, size_t errlen)
{
	static const char suffixes[] = "kKmMgG";
	size_t n = strspn(arg, "0123456789");
	const char *suffix = strchr(suffixes, arg[n]);
	unsigned shift = 0;
	char digits[20];
	uint64_t limit;
	long v;

	if (arg[n] != '\0' && suffix != NULL && arg[n + 1] == '\0')
		shift = 10 * (unsigned)((suffix - suffixes) / 2 + 1);
	else if (arg[n] != '\0')
		n = 0; /* not a number */
	if (n > 0 && n < sizeof(digits)) {
		memcpy(digits, arg, n);
		digits[n] = '\0';
	}
	limit = max >> shift;
	if (limit > (uint64_t)LONG_MAX)
		limit = (uint64_t)LONG_MAX;
	if (n == 0 || n >= sizeof(digits) ||
	    cli_parse_uint(digits, 0, (long)limit, &v) == -1)
		return cli_errf(
			err, errlen,
			"invalid %s '%s' (want a number of bytes, k, M or "
			"G suffix allowed)",
			name, arg);
	*out = (uint64_t)v << shift;
	return 0;
}

int cli_versions_pin(struct cli_versions *v, enum tp_version pin, char *err,
		     size_t errlen)
{
	if (v->pinned && v->min != pin)
		return cli_errf(err, errlen, "%s",
				"only one of --tls1.0, --tls1.1, --tls1.2, "
				"--tls1.3 may be given; use --min-tls and "
				"--max-tls for a range");
	v->pinned = 1;
	v->min = v->max = pin;
	return 0;
}

int cli_versions_bound(struct cli_versions *v, int is_max, const char *arg,
		       char *err, size_t errlen)
{
	enum tp_version parsed = cli_parse_version(arg);

	if (parsed == TP_VERSION_ANY)
		return cli_errf(
			err, errlen,
			"invalid TLS version '%s' (want 1.0, 1.1, 1.2 or "
			"1.3)",
			arg);
	v->ranged = 1;
	*(is_max ? &v->max : &v->min) = parsed;
	return 0;
}

int cli_versions_check(const struct cli_versions *v, char *err, size_t errlen)
{
	if (v->pinned && v->ranged)
		return cli_errf(
			err, errlen, "%s",
			"--tls1.x pins one version; it cannot be combined "
			"with --min-tls or --max-tls");
	if (v->min != TP_VERSION_ANY && v->max != TP_VERSION_ANY &&
	    v->min > v->max)
		return cli_errf(err, errlen, "%s",
				"--min-tls is above --max-tls");
	return 0;
}
