/*
 * libFuzzer target for the pure parsers of cli/common/parse.h. The first byte
 * picks the parser, the rest is its input:
 *   0: cli_parse_hostport  1: cli_parse_uint  2: cli_parse_version
 *   3: cli_crlf_convert (in one call and split in two at every point)
 * and each result is checked against what parse.h promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "fuzz.h"

/* The input as a C string (stopping at the first NUL, as argv would). */
static char *cstr(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, d, n);
	s[n] = '\0';
	return s;
}

static int all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static void check_hostport(const char *s)
{
	struct cli_hostport hp;
	char err[64];
	size_t i;
	int r;

	memset(err, 'x', sizeof(err));
	r = cli_parse_hostport(s, &hp, err, sizeof(err));
	CHECK(r == 0 || r == -1);
	CHECK(memchr(hp.host, '\0', sizeof(hp.host)) != NULL);
	CHECK(memchr(hp.port, '\0', sizeof(hp.port)) != NULL);
	if (r == -1) {
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		/* Tiny and zero-sized error buffers must be safe too. */
		CHECK(cli_parse_hostport(s, &hp, err, 1) == -1 &&
		      err[0] == '\0');
		CHECK(cli_parse_hostport(s, &hp, NULL, 0) == -1);
		return;
	}
	CHECK(hp.host[0] != '\0');
	CHECK(strchr(hp.host, '[') == NULL && strchr(hp.host, ']') == NULL);
	CHECK(strlen(hp.host) <= strlen(s));
	CHECK(strstr(s, hp.host) != NULL);
	CHECK(all_digits(hp.port));
	CHECK(hp.port[0] != '0');
	CHECK(atol(hp.port) >= 1 && atol(hp.port) <= 65535);
	if (s[0] != '[') {
		for (i = 0; hp.host[i] != '\0'; i++)
			CHECK(hp.host[i] != ' ' && hp.host[i] != '/');
		/* An unbracketed host with one ':' had a port split off. */
		if (strchr(hp.host, ':') != NULL)
			CHECK(strcmp(hp.host, s) == 0 &&
			      strcmp(hp.port, CLI_DEFAULT_PORT) == 0);
	}
}

static void check_uint(const char *s)
{
	long v = -7, min = 0, max = 65535;
	int r = cli_parse_uint(s, min, max, &v);
	char *end;
	long ref;

	CHECK(r == 0 || r == -1);
	if (r == 0) {
		CHECK(all_digits(s) && strlen(s) <= 18);
		ref = strtol(s, &end, 10);
		CHECK(*end == '\0' && ref == v && v >= min && v <= max);
	} else {
		CHECK(v == -7);
		if (all_digits(s) && strlen(s) <= 9)
			CHECK(strtol(s, NULL, 10) > max);
	}
	/* Wide bounds: every digit string of up to 18 digits fits. */
	v = -7;
	r = cli_parse_uint(s, 0, 999999999999999999L, &v);
	CHECK((r == 0) == (all_digits(s) && strlen(s) <= 18));
}

static void check_version(const char *s)
{
	enum tp_version v = cli_parse_version(s);

	CHECK(v == TP_VERSION_ANY || v == TP_TLS1_0 || v == TP_TLS1_1 ||
	      v == TP_TLS1_2 || v == TP_TLS1_3);
	if (v != TP_VERSION_ANY)
		CHECK(strlen(s) >= 2 && strlen(s) <= 7 &&
		      s[strlen(s) - 1] == (char)('0' + (v - TP_TLS1_0)));
}

/* Removes the CRs convert inserted: every CR directly before an LF that
 * was not preceded by a CR in the input. */
static void check_crlf(const uint8_t *in, size_t n)
{
	char *one = malloc(2 * n + 1), *two = malloc(2 * n + 1);
	size_t o1, o2, split, i, j;
	int prev = 0, prev2;

	if (one == NULL || two == NULL)
		abort();
	o1 = cli_crlf_convert((const char *)in, n, one, &prev);
	CHECK(o1 >= n && o1 <= 2 * n);
	/* Every LF in the output is preceded by CR. */
	for (i = 0; i < o1; i++)
		if (one[i] == '\n')
			CHECK(i > 0 && one[i - 1] == '\r');
	/* Dropping inserted CRs gives the input back. */
	for (i = 0, j = 0; i < o1; i++) {
		if (one[i] == '\r' && i + 1 < o1 && one[i + 1] == '\n' &&
		    j < n && in[j] == '\n' && (j == 0 || in[j - 1] != '\r'))
			continue;
		CHECK(j < n && (uint8_t)one[i] == in[j]);
		j++;
	}
	CHECK(j == n);
	CHECK(prev == (n > 0 && in[n - 1] == '\r'));
	/* The state carried across chunks makes splitting invisible. */
	for (split = 0; split <= n && n <= 256; split++) {
		prev2 = 0;
		o2 = cli_crlf_convert((const char *)in, split, two, &prev2);
		o2 += cli_crlf_convert((const char *)in + split, n - split,
				       two + o2, &prev2);
		CHECK(o2 == o1 && memcmp(one, two, o1) == 0 && prev2 == prev);
	}
	free(one);
	free(two);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	if (data[0] % 4 == 3) {
		check_crlf(data + 1, size - 1);
		return 0;
	}
	s = cstr(data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		check_hostport(s);
		break;
	case 1:
		check_uint(s);
		break;
	default:
		check_version(s);
		break;
	}
	free(s);
	return 0;
}
