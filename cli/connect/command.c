/* In-band command parser; see connect.h. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "connect.h"

struct cmd_name {
	const char *name;
	enum cli_cmd_type type;
};

static const struct cmd_name cmd_names[] = {
	{ "reneg", CLI_CMD_RENEG },
	{ "renegotiate", CLI_CMD_RENEG },
	{ "keyupdate", CLI_CMD_KEYUPDATE },
	{ "ku", CLI_CMD_KEYUPDATE },
	{ "resume", CLI_CMD_RESUME },
	{ "reconnect", CLI_CMD_RESUME },
	{ "status", CLI_CMD_STATUS },
	{ "help", CLI_CMD_HELP },
	{ "?", CLI_CMD_HELP },
	{ "quit", CLI_CMD_QUIT },
	{ "exit", CLI_CMD_QUIT },
	{ "q", CLI_CMD_QUIT },
	{ "expect", CLI_CMD_EXPECT },
	{ "sleep", CLI_CMD_SLEEP },
};

/* The longest :sleep, in seconds. */
#define SLEEP_MAX_S 86400

/* Next whitespace-separated word of [*p, end): sets *w and returns its
 * length, 0 when none is left. */
static size_t next_word(const char **p, const char *end, const char **w)
{
	const char *s = *p;
	size_t n = 0;

	while (s < end && isspace((unsigned char)*s))
		s++;
	*w = s;
	while (s + n < end && !isspace((unsigned char)s[n]))
		n++;
	*p = s + n;
	return n;
}

static int word_is(const char *w, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(w, name, n) == 0;
}

static enum cli_cmd_type invalid(struct cli_cmd *out, const char *what,
				 const char *w, size_t n)
{
	if (n > 40)
		n = 40;
	snprintf(out->error, sizeof(out->error), "%s ':%.*s'", what, (int)n, w);
	out->type = CLI_CMD_INVALID;
	return out->type;
}

static enum cli_cmd_type lookup(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (word_is(w, n, cmd_names[i].name))
			return cmd_names[i].type;
	return CLI_CMD_INVALID;
}

/* ":expect REGEX": the rest of the line after one run of blanks, as is
 * (a pattern may contain and end with spaces). */
static enum cli_cmd_type parse_expect(struct cli_cmd *out, const char *w,
				      size_t n, const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		return invalid(out, "missing pattern after", w, n);
	out->data = p;
	out->len = (size_t)(end - p);
	return out->type;
}

/* SECS as whole and tenths..thousandths: "2", "0.25". */
static int parse_secs_ms(const char *a, size_t an, int *ms)
{
	long v = 0, scale = 1000;
	size_t i = 0;

	for (; i < an && isdigit((unsigned char)a[i]); i++)
		if ((v = v * 10 + (a[i] - '0')) > SLEEP_MAX_S)
			return -1;
	if (i == 0 && (an == 0 || a[0] != '.'))
		return -1;
	v *= 1000;
	if (i < an && a[i] == '.')
		for (i++; i < an && isdigit((unsigned char)a[i]); i++)
			v += (a[i] - '0') * (scale /= 10);
	if (i != an || (an == 1 && a[0] == '.'))
		return -1;
	*ms = (int)v;
	return 0;
}

static enum cli_cmd_type parse_sleep(struct cli_cmd *out, const char *w,
				     size_t n, const char **p, const char *end)
{
	const char *a, *extra;
	size_t an = next_word(p, end, &a);

	if (an == 0 || parse_secs_ms(a, an, &out->arg) == -1)
		return invalid(out, "want seconds (as 2 or 0.5) after", w, n);
	if (next_word(p, end, &extra) > 0)
		return invalid(out, "too many arguments to", w, n);
	return out->type;
}

/* The optional argument: only ":keyupdate req" takes one. */
static enum cli_cmd_type parse_arg(struct cli_cmd *out, const char *w, size_t n,
				   const char **p, const char *end)
{
	const char *a, *extra;
	size_t an = next_word(p, end, &a);

	if (an > 0 && out->type == CLI_CMD_KEYUPDATE &&
	    (word_is(a, an, "req") || word_is(a, an, "request")))
		out->arg = 1;
	else if (an > 0)
		return invalid(out, "unexpected argument to", w, n);
	if (next_word(p, end, &extra) > 0)
		return invalid(out, "too many arguments to", w, n);
	return out->type;
}

enum cli_cmd_type cli_command_parse(const char *line, size_t len,
				    struct cli_cmd *out)
{
	const char *end = line + len, *p = line + 1, *w;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->type = CLI_CMD_DATA;
	out->data = line;
	out->len = len;
	if (len == 0 || line[0] != ':')
		return out->type;
	if (len >= 2 && line[1] == ':') {
		out->data = line + 1;
		out->len = len - 1;
		return out->type;
	}
	n = next_word(&p, end, &w);
	if (n == 0)
		return invalid(out, "empty command", w, n);
	out->type = lookup(w, n);
	if (out->type == CLI_CMD_INVALID)
		return invalid(out, "unknown command", w, n);
	if (out->type == CLI_CMD_EXPECT)
		return parse_expect(out, w, n, p, end);
	if (out->type == CLI_CMD_SLEEP)
		return parse_sleep(out, w, n, &p, end);
	return parse_arg(out, w, n, &p, end);
}

const char *cli_command_help(void)
{
	return "Commands (a line starting with ':'; '::' sends a literal ':'):\n"
	       "  :reneg           renegotiate (TLS 1.2 and older)\n"
	       "  :keyupdate       send a KeyUpdate (TLS 1.3)\n"
	       "  :keyupdate req   send a KeyUpdate asking the peer to update "
	       "too\n"
	       "  :resume          reconnect, resuming the current session\n"
	       "  :status          show the state of the connection\n"
	       "  :expect REGEX    wait until the server's data matches "
	       "(--expect-timeout)\n"
	       "  :sleep SECS      pause (2, 0.5)\n"
	       "  :help            this text\n"
	       "  :quit            send close_notify and exit\n";
}
