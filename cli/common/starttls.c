/* STARTTLS preambles; see common.h. The server may not send anything
 * after the "go ahead" reply until our ClientHello, so reading in chunks
 * never takes TLS bytes away from the library. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common.h"
#include "tlsprobe.h"

struct plain {
	int fd;
	int64_t deadline;
	const char *proto;
	char buf[8192];
	size_t len;
	char *err;
	size_t errlen;
	enum cli_status *st;
};

/* detail is the server's reply: escaped (tp_escape), since the message
 * reaches the terminal, the probe's report and JSON. */
static int plain_fail(struct plain *p, enum cli_status st, const char *what,
		      const char *detail)
{
	char esc[512];

	*p->st = st;
	if (detail != NULL)
		tp_escape(esc, sizeof(esc), detail, strlen(detail), 0);
	snprintf(p->err, p->errlen, "STARTTLS (%s): %s%s%s%s", p->proto, what,
		 detail ? " '" : "", detail ? esc : "", detail ? "'" : "");
	return -1;
}

static int plain_wait(struct plain *p, short events)
{
	struct pollfd pfd = { .fd = p->fd, .events = events };
	int n;

	do
		n = poll(&pfd, 1, cli_remaining_ms(p->deadline));
	while (n == -1 && errno == EINTR);
	if (n == 0)
		return plain_fail(p, CLI_ETIMEOUT, "timed out", NULL);
	if (n == -1)
		return plain_fail(p, CLI_EHANDSHAKE, strerror(errno), NULL);
	return 0;
}

static int plain_send(struct plain *p, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if (plain_wait(p, POLLOUT) == -1)
			return -1;
		n = send(p->fd, data, len, MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1)
			return plain_fail(p, CLI_EHANDSHAKE, strerror(errno),
					  NULL);
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int plain_sendstr(struct plain *p, const char *s)
{
	return plain_send(p, s, strlen(s));
}

/* Reads more into p->buf (kept NUL-terminated). */
static int plain_fill(struct plain *p)
{
	ssize_t n;

	if (p->len + 1 >= sizeof(p->buf))
		return plain_fail(p, CLI_EHANDSHAKE, "reply too long", NULL);
	for (;;) {
		if (plain_wait(p, POLLIN) == -1)
			return -1;
		n = recv(p->fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len,
			 0);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == 0)
			return plain_fail(p, CLI_EHANDSHAKE,
					  "server closed the connection", NULL);
		if (n == -1)
			return plain_fail(p, CLI_EHANDSHAKE, strerror(errno),
					  NULL);
		p->len += (size_t)n;
		p->buf[p->len] = '\0';
		return 0;
	}
}

/* One line, without its CR LF, into line (n bytes). */
static int plain_line(struct plain *p, char *line, size_t n)
{
	char *nl;
	size_t ll;

	while ((nl = memchr(p->buf, '\n', p->len)) == NULL)
		if (plain_fill(p) == -1)
			return -1;
	ll = (size_t)(nl - p->buf);
	if (ll > 0 && p->buf[ll - 1] == '\r')
		ll--;
	snprintf(line, n, "%.*s", (int)ll, p->buf);
	p->len -= (size_t)(nl + 1 - p->buf);
	memmove(p->buf, nl + 1, p->len);
	p->buf[p->len] = '\0';
	return 0;
}

/* SMTP/FTP reply: "NNN-text" lines, then "NNN text". The code must be
 * want; *found is set when a line contains needle (may be NULL). */
static int numeric_reply(struct plain *p, const char *want, const char *needle,
			 int *found)
{
	char line[1024];

	do {
		if (plain_line(p, line, sizeof(line)) == -1)
			return -1;
		if (strncmp(line, want, 3) != 0)
			return plain_fail(p, CLI_EHANDSHAKE, "server said",
					  line);
		if (needle != NULL && strcasestr(line + 4, needle) != NULL)
			*found = 1;
	} while (line[3] == '-');
	return 0;
}

static int do_smtp(struct plain *p, const char *host)
{
	int found = 0;

	if (numeric_reply(p, "220", NULL, NULL) == -1 ||
	    plain_sendstr(p, "EHLO tlsprobe.invalid\r\n") == -1 ||
	    numeric_reply(p, "250", "STARTTLS", &found) == -1)
		return -1;
	if (!found)
		return plain_fail(p, CLI_EHANDSHAKE,
				  "server does not offer STARTTLS", NULL);
	if (plain_sendstr(p, "STARTTLS\r\n") == -1)
		return -1;
	return numeric_reply(p, "220", NULL, NULL);
}

static int do_ftp(struct plain *p, const char *host)
{
	if (numeric_reply(p, "220", NULL, NULL) == -1 ||
	    plain_sendstr(p, "AUTH TLS\r\n") == -1)
		return -1;
	return numeric_reply(p, "234", NULL, NULL);
}

static int expect_prefix(struct plain *p, const char *prefix)
{
	char line[1024];

	if (plain_line(p, line, sizeof(line)) == -1)
		return -1;
	if (strncasecmp(line, prefix, strlen(prefix)) != 0)
		return plain_fail(p, CLI_EHANDSHAKE, "server said", line);
	return 0;
}

static int do_pop3(struct plain *p, const char *host)
{
	if (expect_prefix(p, "+OK") == -1 || plain_sendstr(p, "STLS\r\n") == -1)
		return -1;
	return expect_prefix(p, "+OK");
}

static int do_imap(struct plain *p, const char *host)
{
	char line[1024];

	if (expect_prefix(p, "* OK") == -1 ||
	    plain_sendstr(p, "t1 STARTTLS\r\n") == -1)
		return -1;
	do {
		if (plain_line(p, line, sizeof(line)) == -1)
			return -1;
	} while (strncmp(line, "t1 ", 3) != 0);
	if (strncasecmp(line, "t1 OK", 5) != 0)
		return plain_fail(p, CLI_EHANDSHAKE, "server said", line);
	return 0;
}

/* Reads until the buffer holds one of the two markers; returns 1 for
 * the first, 2 for the second. */
static int read_until(struct plain *p, const char *m1, const char *m2)
{
	for (;;) {
		if (strstr(p->buf, m1) != NULL)
			return 1;
		if (m2 != NULL && strstr(p->buf, m2) != NULL)
			return 2;
		if (plain_fill(p) == -1)
			return -1;
	}
}

static int do_xmpp(struct plain *p, const char *host)
{
	char hdr[512];
	int r;

	snprintf(hdr, sizeof(hdr),
		 "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
		 "xmlns:stream='http://etherx.jabber.org/streams' to='%s' "
		 "version='1.0'>",
		 host);
	p->buf[0] = '\0';
	if (plain_sendstr(p, hdr) == -1)
		return -1;
	r = read_until(p, "</stream:features>", "<stream:error");
	if (r == -1)
		return -1;
	if (r == 2 || strstr(p->buf, "<starttls") == NULL)
		return plain_fail(p, CLI_EHANDSHAKE,
				  "server does not offer STARTTLS", NULL);
	p->len = 0;
	p->buf[0] = '\0';
	if (plain_sendstr(p, "<starttls xmlns='urn:ietf:params:xml:ns:"
			     "xmpp-tls'/>") == -1)
		return -1;
	r = read_until(p, "<proceed", "<failure");
	if (r == 2)
		return plain_fail(p, CLI_EHANDSHAKE, "server refused STARTTLS",
				  NULL);
	return r == -1 ? -1 : 0;
}

static int do_postgres(struct plain *p, const char *host)
{
	/* SSLRequest: length 8, code 80877103 (1234.5679), big-endian. */
	static const char req[8] = { 0, 0, 0, 8, 0x04, (char)0xd2, 0x16, 0x2f };
	char ans[2];

	if (plain_send(p, req, sizeof(req)) == -1 || plain_fill(p) == -1)
		return -1;
	if (p->len != 1)
		return plain_fail(p, CLI_EHANDSHAKE,
				  "unexpected answer to SSLRequest", NULL);
	if (p->buf[0] == 'S')
		return 0;
	ans[0] = p->buf[0];
	ans[1] = '\0';
	return plain_fail(p, CLI_EHANDSHAKE,
			  p->buf[0] == 'N' ? "server does not support SSL" :
					     "unexpected answer to SSLRequest",
			  p->buf[0] == 'N' ? NULL : ans);
}

int starttls_run(int fd, enum cli_starttls proto, const char *host,
		 int timeout_ms, char *err, size_t errlen, enum cli_status *st)
{
	static int (*const run[])(struct plain *, const char *) = {
		[CLI_STARTTLS_SMTP] = do_smtp,
		[CLI_STARTTLS_IMAP] = do_imap,
		[CLI_STARTTLS_POP3] = do_pop3,
		[CLI_STARTTLS_FTP] = do_ftp,
		[CLI_STARTTLS_XMPP] = do_xmpp,
		[CLI_STARTTLS_POSTGRES] = do_postgres,
	};
	struct plain p;

	memset(&p, 0, sizeof(p));
	p.fd = fd;
	p.deadline = timeout_ms > 0 ? cli_now_ms() + timeout_ms : 0;
	p.proto = cli_starttls_name(proto);
	p.err = err;
	p.errlen = errlen;
	p.st = st;
	if ((size_t)proto >= sizeof(run) / sizeof(run[0]) || run[proto] == NULL)
		return plain_fail(&p, CLI_EUSAGE, "unsupported protocol", NULL);
	return run[proto](&p, host);
}
