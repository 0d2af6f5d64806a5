/*
 * Events are queued under M and delivered by tp_conn_unlock() after M is
 * released, so a user callback never runs with the lock held (invariant 1)
 * and may call back into the library. One thread delivers at a time, which
 * keeps events in the order they happened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Room for one more pending event. Returns NULL only when out of
 * memory, which is counted and reported (no event is lost unsaid). */
static struct tp_event_slot *event_slot(struct tp_conn *c)
{
	if (c->nevents == c->events_cap) {
		int cap = c->events_cap ? 2 * c->events_cap : 64;
		struct tp_event_slot *e =
			realloc(c->events, sizeof(*e) * (size_t)cap);

		if (e == NULL) {
			c->events_lost++;
			return NULL;
		}
		c->events = e;
		c->events_cap = cap;
	}
	return &c->events[c->nevents++];
}

void tp_event_push(struct tp_conn *c, enum tp_event_type type, int level,
		   int value, size_t len, const char *detail)
{
	struct tp_event_slot *s;

	if (c->cfg->event_cb == NULL || (s = event_slot(c)) == NULL)
		return;
	memset(s, 0, sizeof(*s));
	s->ev.type = type;
	s->ev.level = level;
	s->ev.value = value;
	s->ev.len = len;
	clock_gettime(CLOCK_MONOTONIC, &s->ev.when);
	if (detail != NULL)
		snprintf(s->detail, sizeof(s->detail), "%s", detail);
}

void tp_raw_push(struct tp_conn *c, int sent, const void *p, size_t n)
{
	struct tp_event_slot *s;
	unsigned char *copy;

	if (c->cfg->raw_cb == NULL || n == 0)
		return;
	copy = malloc(n);
	if (copy == NULL || (s = event_slot(c)) == NULL) {
		if (copy == NULL)
			c->events_lost++;
		free(copy);
		return;
	}
	memset(s, 0, sizeof(*s));
	memcpy(copy, p, n);
	s->raw = copy;
	s->r.sent = sent;
	s->r.len = n;
	s->r.fd = c->fd;
	clock_gettime(CLOCK_REALTIME, &s->r.when);
}

/* Undelivered slots (the connection is freed): their copies too. */
void tp_events_free(struct tp_conn *c)
{
	for (int i = 0; i < c->nevents; i++)
		free(c->events[i].raw);
	free(c->events);
	c->events = NULL;
	c->nevents = c->events_cap = 0;
}

/* Events that could not be queued for want of memory, as one event. */
static void report_lost(struct tp_conn *c)
{
	char detail[64];

	if (c->events_lost == 0 || c->nevents == c->events_cap)
		return;
	snprintf(detail, sizeof(detail), "%lu events lost: out of memory",
		 c->events_lost);
	c->events_lost = 0;
	tp_event_push(c, TP_EV_EVENTS_LOST, 0, 0, 0, detail);
}

/* Delivers the pending events with M released. The batch is taken out of
 * the connection, so events pushed meanwhile go to a new one. */
static void deliver_one(struct tp_conn *c, struct tp_event_slot *s)
{
	if (s->raw != NULL) {
		s->r.data = s->raw;
		c->cfg->raw_cb(c, &s->r, c->cfg->raw_arg);
		free(s->raw);
		s->raw = NULL;
		return;
	}
	s->ev.detail = s->detail[0] ? s->detail : NULL;
	c->cfg->event_cb(c, &s->ev, c->cfg->event_arg);
}

static void deliver(struct tp_conn *c)
{
	struct tp_event_slot *batch = c->events;
	int n = c->nevents, cap = c->events_cap;

	c->events = NULL;
	c->nevents = c->events_cap = 0;
	c->delivering = 1;
	pthread_mutex_unlock(&c->m);
	for (int i = 0; i < n; i++)
		deliver_one(c, &batch[i]);
	pthread_mutex_lock(&c->m);
	c->delivering = 0;
	if (c->events == NULL) {
		c->events = batch; /* reuse the buffer */
		c->events_cap = cap;
	} else {
		free(batch);
	}
}

void tp_conn_unlock(struct tp_conn *c)
{
	for (;;) {
		report_lost(c);
		if (c->nevents == 0 || c->delivering)
			break;
		deliver(c);
	}
	pthread_mutex_unlock(&c->m);
}

/* Follows record boundaries in a byte stream to report each record's type
 * and length (the only view of encrypted records there is). */
void tp_trace_bytes(struct tp_conn *c, struct tp_rec_tracer *t, int sent,
		    const unsigned char *p, size_t n)
{
	/* Always followed, even without a callback: the renegotiation
	 * policy filter needs to know where records start (policy.c). */
	while (n > 0) {
		if (!sent && t->have == 0 && t->body_left == 0) {
			t->start_len =
				n < sizeof(t->start) ? n : sizeof(t->start);
			memcpy(t->start, p, t->start_len);
		}
		if (t->body_left > 0) {
			size_t k = n < t->body_left ? n : t->body_left;

			t->body_left -= k;
			p += k;
			n -= k;
			continue;
		}
		t->hdr[t->have++] = *p++;
		n--;
		if (t->have == 5) {
			t->body_left = (size_t)t->hdr[3] << 8 | t->hdr[4];
			t->have = 0;
			tp_event_push(c, TP_EV_RECORD, sent, t->hdr[0],
				      t->body_left, NULL);
		}
	}
}
