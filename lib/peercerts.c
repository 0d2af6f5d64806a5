/*
 * tp_conn_peer_certs: the peer's chain and what verification made of it,
 * also after a failed handshake (wolfSSL keeps the session's copy of the
 * chain, in the order sent, from the moment it parsed it); and, client
 * side, what the server's CertificateRequest asked for, read from the
 * plaintext handshake messages of the message callback (patch 0005).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct tp_peer_gen {
	struct tp_peer_gen *next;
	unsigned long changes; /* c->peer.changes when taken */
	int failures; /* c->verify_failures: OCSP and CRL add theirs later */
	struct tp_peer_certs pc;
	struct tp_cert_info *chain;
	struct tp_path_step *path;
	const char **ca_names;
	char **strings; /* path subjects, CA names, name, error: owned */
	int nstrings;
};

static void gen_free(struct tp_peer_gen *g)
{
	for (int i = 0; i < g->pc.chain_len; i++)
		tp_cert_info_free(&g->chain[i]);
	free(g->chain);
	free(g->path);
	free(g->ca_names);
	for (int i = 0; i < g->nstrings; i++)
		free(g->strings[i]);
	free(g->strings);
	free(g);
}

static void ca_names_clear(struct tp_conn *c)
{
	for (int i = 0; i < c->peer.nca_names; i++)
		free(c->peer.ca_names[i]);
	free(c->peer.ca_names);
	c->peer.ca_names = NULL;
	c->peer.nca_names = 0;
}

void tp_peer_free(struct tp_conn *c)
{
	while (c->peer.gens != NULL) {
		struct tp_peer_gen *g = c->peer.gens;

		c->peer.gens = g->next;
		gen_free(g);
	}
	ca_names_clear(c);
}

/* ---- the server's CertificateRequest ---------------------------------- */

static unsigned long be(const unsigned char *p, int n)
{
	unsigned long v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

/* Skips a vector with an n-byte length at [*p, end): its contents in
 * *body, *blen. -1 when it does not fit. */
static int vec(const unsigned char **p, const unsigned char *end, int n,
	       const unsigned char **body, size_t *blen)
{
	size_t len;

	if (end - *p < n)
		return -1;
	len = be(*p, n);
	if ((size_t)(end - *p - n) < len)
		return -1;
	*body = *p + n;
	*blen = len;
	*p += n + len;
	return 0;
}

static void ca_name_add(struct tp_conn *c, const unsigned char *der, size_t n)
{
	const unsigned char *p = der;
	WOLFSSL_X509_NAME *name =
		wolfSSL_d2i_X509_NAME(NULL, (unsigned char **)&p, (long)n);
	char *text = name ? tp_x509_name(name) : NULL, **more;

	if (name != NULL)
		wolfSSL_X509_NAME_free(name);
	if (text == NULL)
		text = strdup("(unparsable name)");
	more = text ? realloc(c->peer.ca_names,
			      ((size_t)c->peer.nca_names + 1) * sizeof(*more)) :
		      NULL;
	if (more == NULL) {
		free(text);
		return;
	}
	c->peer.ca_names = more;
	c->peer.ca_names[c->peer.nca_names++] = text;
}

/* certificate_authorities: DistinguishedName <0..2^16-1> list. */
static void ca_names_parse(struct tp_conn *c, const unsigned char *p,
			   size_t len)
{
	const unsigned char *end = p + len, *dn;
	size_t n;

	while (p < end && vec(&p, end, 2, &dn, &n) == 0)
		ca_name_add(c, dn, n);
}

/* TLS 1.3 (RFC 8446 4.3.2): context, extensions; the CA names are in
 * extension 47. TLS 1.2 (RFC 5246 7.4.4): types, signature algorithms,
 * CA names. TLS 1.0 and 1.1 have no signature algorithms. */
static void certreq_parse(struct tp_conn *c, const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len, *b, *exts, *dns;
	size_t n;
	int version = wolfSSL_version(c->ssl);

	if (version == TLS1_3_VERSION) {
		if (vec(&p, end, 1, &b, &n) < 0 || vec(&p, end, 2, &exts, &n))
			return;
		end = exts + n;
		while (end - exts >= 4) {
			unsigned long type = be(exts, 2);

			exts += 2;
			if (vec(&exts, end, 2, &b, &n) < 0)
				return;
			if (type == 47 && vec(&b, b + n, 2, &dns, &n) == 0)
				ca_names_parse(c, dns, n);
		}
		return;
	}
	if (vec(&p, end, 1, &b, &n) < 0)
		return;
	if (version >= TLS1_2_VERSION && vec(&p, end, 2, &b, &n) < 0)
		return;
	if (vec(&p, end, 2, &b, &n) == 0)
		ca_names_parse(c, b, n);
}

/* Our Certificate: is its certificate_list empty? */
static int certificate_empty(struct tp_conn *c, const unsigned char *p,
			     size_t len)
{
	const unsigned char *end = p + len, *b;
	size_t n;

	if (wolfSSL_version(c->ssl) == TLS1_3_VERSION &&
	    vec(&p, end, 1, &b, &n) < 0)
		return 1;
	return vec(&p, end, 3, &b, &n) < 0 || n == 0;
}

static void note_one(struct tp_conn *c, int sent, int type,
		     const unsigned char *body, size_t len)
{
	if (c->cfg->role != TP_CLIENT)
		return;
	if (sent && type == 1) { /* ClientHello: a new handshake */
		c->peer.cert_requested = c->peer.cert_sent = 0;
		ca_names_clear(c);
		c->peer.changes++;
	} else if (!sent && type == 13) {
		c->peer.cert_requested = 1;
		c->peer.cert_sent = 0;
		ca_names_clear(c);
		certreq_parse(c, body, len);
		c->peer.changes++;
	} else if (sent && type == 11 && c->peer.cert_requested) {
		c->peer.cert_sent = !certificate_empty(c, body, len);
		c->peer.changes++;
	}
}

void tp_peer_note_msg(struct tp_conn *c, int sent, const unsigned char *p,
		      size_t len)
{
	while (len >= 4) {
		size_t body = be(p + 1, 3);

		if (body > len - 4)
			return; /* a fragment: not ours to parse */
		note_one(c, sent, p[0], p + 4, body);
		p += 4 + body;
		len -= 4 + body;
	}
}

/* ---- snapshots -------------------------------------------------------- */

/* Keeps s (a copy) in g; returns the copy or NULL. */
static const char *gen_keep(struct tp_peer_gen *g, const char *s)
{
	char **more, *copy;

	if (s == NULL || (copy = strdup(s)) == NULL)
		return NULL;
	more = realloc(g->strings, ((size_t)g->nstrings + 1) * sizeof(*more));
	if (more == NULL) {
		free(copy);
		return NULL;
	}
	g->strings = more;
	g->strings[g->nstrings++] = copy;
	return copy;
}

static void take_chain(struct tp_conn *c, struct tp_peer_gen *g)
{
	WOLFSSL_X509_CHAIN *ch = wolfSSL_get_peer_chain(c->ssl);
	int n = ch ? wolfSSL_get_chain_count(ch) : 0;

	if (n <= 0 || (g->chain = calloc((size_t)n, sizeof(*g->chain))) == NULL)
		return;
	for (int i = 0; i < n; i++)
		tp_cert_info_fill(&g->chain[i], wolfSSL_get_chain_cert(ch, i),
				  wolfSSL_get_chain_length(ch, i));
	g->pc.chain_len = n;
	g->pc.chain = g->chain;
}

static int sent_index(const struct tp_peer_gen *g, const struct tp_vseen *v)
{
	for (int i = 0; i < g->pc.chain_len; i++)
		if (g->chain[i].subject && v->subject && v->issuer &&
		    g->chain[i].issuer &&
		    strcmp(g->chain[i].subject, v->subject) == 0 &&
		    strcmp(g->chain[i].issuer, v->issuer) == 0)
			return i;
	return -1;
}

static int step_add(struct tp_peer_gen *g, const char *subject, int sent)
{
	if (g->pc.path_len >= TP_VSEEN_MAX + 1)
		return -1;
	g->path[g->pc.path_len].subject = gen_keep(g, subject);
	g->path[g->pc.path_len++].sent = sent;
	return 0;
}

/* The certificates the callback accepted, linked by names from the leaf
 * (seen last) up: the path wolfSSL verified. The top one's issuer, when
 * it is not self-issued, is our trust anchor: it was not sent. */
static void take_path(struct tp_conn *c, struct tp_peer_gen *g)
{
	const struct tp_vseen *cur = NULL;
	char used[TP_VSEEN_MAX] = { 0 };
	int k;

	if (!g->pc.verify_ok || c->peer.nseen == 0 ||
	    (g->path = calloc(TP_VSEEN_MAX + 1, sizeof(*g->path))) == NULL)
		return;
	k = c->peer.nseen - 1;
	g->pc.path = g->path;
	while (k >= 0) {
		cur = &c->peer.seen[k];
		used[k] = 1;
		if (step_add(g, cur->subject, sent_index(g, cur)) < 0 ||
		    cur->issuer == NULL || cur->subject == NULL ||
		    strcmp(cur->subject, cur->issuer) == 0)
			return;
		for (k = c->peer.nseen - 1; k >= 0; k--)
			if (!used[k] && c->peer.seen[k].ok &&
			    c->peer.seen[k].subject &&
			    strcmp(c->peer.seen[k].subject, cur->issuer) == 0)
				break;
	}
	if (cur != NULL)
		step_add(g, cur->issuer, -1);
}

static void take_certreq(struct tp_conn *c, struct tp_peer_gen *g)
{
	g->pc.cert_requested = c->peer.cert_requested;
	g->pc.cert_sent = c->peer.cert_sent;
	if (c->peer.nca_names == 0 ||
	    (g->ca_names = calloc((size_t)c->peer.nca_names,
				  sizeof(*g->ca_names))) == NULL)
		return;
	for (int i = 0; i < c->peer.nca_names; i++)
		g->ca_names[i] = gen_keep(g, c->peer.ca_names[i]);
	g->pc.ca_names = g->ca_names;
	g->pc.ca_names_len = c->peer.nca_names;
}

static struct tp_peer_gen *take(struct tp_conn *c)
{
	struct tp_peer_gen *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->changes = c->peer.changes;
	g->failures = c->verify_failures;
	take_chain(c, g);
	g->pc.verify_name = gen_keep(g, tp_verify_name(c));
	g->pc.verify_ok =
		c->peer.leaf_seen && c->peer.leaf_ok && c->verify_failures == 0;
	if (c->verify_failures > 0)
		g->pc.verify_error = gen_keep(g, c->first_verify_error);
	take_path(c, g);
	take_certreq(c, g);
	g->next = c->peer.gens;
	c->peer.gens = g;
	return g;
}

int tp_conn_peer_certs(struct tp_conn *c, struct tp_peer_certs *out)
{
	struct tp_peer_gen *g;

	memset(out, 0, sizeof(*out));
	TP_LOCK(c);
	g = c->peer.gens;
	if (c->ssl != NULL && (g == NULL || g->changes != c->peer.changes ||
			       g->failures != c->verify_failures))
		g = take(c);
	if (g != NULL)
		*out = g->pc;
	pthread_mutex_unlock(&c->m);
	if (out->chain_len == 0 && !out->cert_requested) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}
