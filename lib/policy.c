/*
 * The renegotiation policy (accept, refuse, ignore, limit; DESIGN 3.2),
 * applied to records before wolfSSL sees them: in TLS <= 1.2, once the
 * handshake is done, a handshake record from the peer can only start a
 * renegotiation (a HelloRequest, or a ClientHello on a server). The
 * filter gathers a record header whole, even across TCP segments, judges
 * it, and drops a refused record; "refuse" then sends a warning
 * no_renegotiation, as OpenSSL does. Everything here runs under M.
 */
#include <string.h>

#include "internal.h"

/* May the peer renegotiate now, per policy? */
int tp_conn_peer_reneg_allowed(struct tp_conn *c)
{
	if (c->hello_request_pending)
		return 1; /* we asked for it */
	switch (c->cfg->reneg_policy) {
	case TP_RENEG_ACCEPT:
		return 1;
	case TP_RENEG_REFUSE:
	case TP_RENEG_IGNORE:
		return 0;
	case TP_RENEG_LIMIT:
		return c->peer_renegs_accepted < c->cfg->reneg_limit;
	}
	return 0;
}

/* Bytes of a dropped record still to be read and thrown away. Returns 0
 * when none are left, else a wolfSSL I/O error code. */
static int discard_pending(struct tp_conn *c)
{
	unsigned char scratch[4096];

	while (c->drop_left > 0) {
		size_t want = c->drop_left < sizeof(scratch) ? c->drop_left :
							       sizeof(scratch);
		int n = tp_sock_recv(c, scratch, want);

		if (n <= 0)
			return n;
		c->drop_left -= (size_t)n;
	}
	return 0;
}

/*
 * Does the renegotiation policy judge the next record? Only at a record
 * boundary; TLS 1.3 has no renegotiation, and TLS 1.0 chains CBC IVs
 * across records, so a record cannot be skipped there. After our
 * close_notify, whatever the policy: nothing we send reaches the wire any
 * more, so a renegotiation could only wait for its timeout.
 */
static int policy_applies(struct tp_conn *c)
{
	int v;

	if (c->hs != TP_HS_DONE || c->trace_in.have != 0 ||
	    c->trace_in.body_left != 0 ||
	    (tp_conn_peer_reneg_allowed(c) && !c->close_notify_queued))
		return 0;
	v = wolfSSL_version(c->ssl);
	return v != TLS1_3_VERSION && v != TLS1_VERSION;
}

/* Reads the rest of the next record's header into pol_hdr. Returns 0
 * once it is whole, else a wolfSSL I/O error code. The bytes leave the
 * socket, so a header cut across TCP segments neither reaches wolfSSL
 * unjudged nor makes poll() report the same bytes again and again. */
static int gather_header(struct tp_conn *c)
{
	struct tp_policy_hdr *h = &c->pol_hdr;

	while (h->have < (int)sizeof(h->b)) {
		int n = tp_sock_recv(c, h->b + h->have,
				     sizeof(h->b) - (size_t)h->have);

		if (n <= 0)
			return n;
		h->have += n;
	}
	return 0;
}

/* Hands wolfSSL the part of a judged header it has not had yet. */
static int give_header(struct tp_conn *c, char *buf, int sz)
{
	struct tp_policy_hdr *h = &c->pol_hdr;
	int n = h->have - h->given;

	if (n > sz)
		n = sz;
	memcpy(buf, h->b + h->given, (size_t)n);
	h->given += n;
	if (h->given == h->have)
		h->have = h->given = 0;
	tp_trace_bytes(c, &c->trace_in, 0, (unsigned char *)buf, (size_t)n);
	return n;
}

/* The policy says no to the renegotiation record whose header is in
 * pol_hdr: drop it. For "refuse" a warning no_renegotiation is sent once
 * the read returns (tp_policy_send_refusal), as OpenSSL does; wolfSSL
 * alone would answer a server-side refusal with a fatal alert and has no
 * way to ignore. Returns 0 when it is gone, else a wolfSSL I/O error
 * code. */
static int drop_record(struct tp_conn *c)
{
	struct tp_policy_hdr *h = &c->pol_hdr;

	c->drop_left = (size_t)h->b[3] << 8 | h->b[4];
	h->have = 0;
	tp_wolf_skip_peer_record(c->ssl);
	if (c->close_notify_queued) {
		tp_event_push(c, TP_EV_RENEG_REFUSED, 0, 1, 0,
			      "ignored: after our close_notify");
	} else if (c->cfg->reneg_policy == TP_RENEG_IGNORE) {
		tp_event_push(c, TP_EV_RENEG_REFUSED, 0, 1, 0,
			      "policy: ignored");
	} else {
		c->refusal_pending = 1;
		tp_event_push(c, TP_EV_RENEG_REFUSED, 0, 1, 0,
			      "policy: refused");
	}
	return discard_pending(c);
}

int tp_policy_filter(struct tp_conn *c, char *buf, int sz)
{
	struct tp_policy_hdr *h = &c->pol_hdr;
	int r;

	if ((r = discard_pending(c)) != 0)
		return r;
	for (;;) {
		/* Once gathering started, the header is finished and handed
		 * on whatever changed meanwhile: its bytes left the socket. */
		if (h->have == 0 && !policy_applies(c))
			return 0;
		if ((r = gather_header(c)) != 0)
			return r;
		if (h->given > 0 || h->b[0] != 22 || !policy_applies(c))
			return give_header(c, buf, sz);
		if ((r = drop_record(c)) != 0)
			return r;
	}
}

void tp_policy_send_refusal(struct tp_conn *c)
{
	if (!c->refusal_pending)
		return;
	c->refusal_pending = 0;
	tp_wolf_send_warning(c->ssl, no_renegotiation);
	c->info.renegotiations_refused++;
	tp_alerts_poll(c);
}
