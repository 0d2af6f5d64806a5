/* Pure parsers; see common.h. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common.h"

static int set_err(char *err, size_t errlen, const char *msg, const char *arg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s '%s'", msg, arg);
	return -1;
}

int cli_parse_uint(const char *s, long min, long max, long *out)
{
	long v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 18)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int copy_part(char *dst, size_t dstlen, const char *src, size_t n)
{
	if (n >= dstlen)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static int set_port(struct cli_hostport *out, const char *p, const char *whole,
		    char *err, size_t errlen)
{
	long v;

	if (*p == '\0')
		return set_err(err, errlen, "missing port in", whole);
	if (cli_parse_uint(p, 1, 65535, &v) == -1)
		return set_err(err, errlen, "invalid port (want 1-65535) in",
			       whole);
	snprintf(out->port, sizeof(out->port), "%ld", v);
	return 0;
}

/* "[v6]" or "[v6]:port" */
static int parse_bracketed(const char *s, struct cli_hostport *out, char *err,
			   size_t errlen)
{
	const char *close = strchr(s, ']');

	if (close == NULL)
		return set_err(err, errlen, "missing ']' in", s);
	if (close == s + 1)
		return set_err(err, errlen, "empty host in", s);
	if (memchr(s + 1, '[', (size_t)(close - s - 1)) != NULL)
		return set_err(err, errlen, "invalid host", s);
	if (copy_part(out->host, sizeof(out->host), s + 1,
		      (size_t)(close - s - 1)) == -1)
		return set_err(err, errlen, "host name too long in", s);
	if (close[1] == '\0')
		return 0;
	if (close[1] != ':')
		return set_err(err, errlen, "unexpected text after ']' in", s);
	return set_port(out, close + 2, s, err, errlen);
}

static int host_chars_ok(const char *h)
{
	for (; *h != '\0'; h++)
		if (isspace((unsigned char)*h) || *h == '/' || *h == '[' ||
		    *h == ']')
			return 0;
	return 1;
}

int cli_parse_hostport(const char *s, struct cli_hostport *out, char *err,
		       size_t errlen)
{
	const char *colon;

	memset(out, 0, sizeof(*out));
	strcpy(out->port, CLI_DEFAULT_PORT);
	if (s == NULL || *s == '\0')
		return set_err(err, errlen, "empty host", "");
	if (*s == '[')
		return parse_bracketed(s, out, err, errlen);
	colon = strchr(s, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL)
		colon = NULL; /* bare IPv6 literal: no port */
	if (colon == s)
		return set_err(err, errlen, "empty host in", s);
	if (copy_part(out->host, sizeof(out->host), s,
		      colon ? (size_t)(colon - s) : strlen(s)) == -1)
		return set_err(err, errlen, "host name too long in", s);
	if (!host_chars_ok(out->host))
		return set_err(err, errlen, "invalid host", s);
	if (colon == NULL)
		return 0;
	return set_port(out, colon + 1, s, err, errlen);
}

/* Skips an optional "tls", "tlsv" or "v" prefix, case-insensitively. */
static const char *skip_version_prefix(const char *s)
{
	if (strncasecmp(s, "tls", 3) == 0)
		s += 3;
	if (*s == 'v' || *s == 'V')
		s++;
	return s;
}

enum tp_version cli_parse_version(const char *s)
{
	static const struct {
		const char *minor;
		enum tp_version v;
	} tab[] = {
		{ "0", TP_TLS1_0 },
		{ "1", TP_TLS1_1 },
		{ "2", TP_TLS1_2 },
		{ "3", TP_TLS1_3 },
	};
	size_t i;

	if (s == NULL)
		return TP_VERSION_ANY;
	s = skip_version_prefix(s);
	if (s[0] != '1')
		return TP_VERSION_ANY;
	s++;
	if (*s == '.' || *s == '_')
		s++;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(s, tab[i].minor) == 0)
			return tab[i].v;
	return TP_VERSION_ANY;
}

size_t cli_crlf_convert(const char *in, size_t n, char *out, int *prev_cr)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '\n' && !*prev_cr)
			out[o++] = '\r';
		out[o++] = in[i];
		*prev_cr = in[i] == '\r';
	}
	return o;
}
