/*
 * Timings of a connection (the summary's Timing: lines and --json's
 * "timing"): milliseconds from the start of the connection, before name
 * resolution, to each phase, as curl's -w times are, from the library's
 * CLOCK_MONOTONIC instants (tp_conn_timing). Renegotiations are timed from
 * the instants of their events. Text and JSON are made from one
 * struct timing_figures, so they cannot disagree.
 */
#ifndef CLI_TIMING_H
#define CLI_TIMING_H

#include <stdio.h>
#include <time.h>

#include "common/json.h"
#include "tlsprobe.h"

/* Renegotiations timed per connection; more are counted only. */
#define TIMING_MAX_RENEGS 100

struct timing_reneg {
	struct timespec start, end; /* end {0, 0}: it did not end */
	int by_peer; /* the peer started it (HelloRequest) */
	int refused; /* ended without one: refused, or not answered */
};

/* A connection's renegotiations, from its events. */
struct timing_renegs {
	struct timing_reneg r[TIMING_MAX_RENEGS];
	int n;
	int more; /* started beyond TIMING_MAX_RENEGS */
};

/* Milliseconds from the start; negative: not reached (or not known). */
struct timing_figures {
	struct timespec start;
	double resolve, connect, handshake, first_byte, total;
};

/* Notes a renegotiation event of the connection into *r. */
void timing_note_event(struct timing_renegs *r, const struct tp_event *ev);

/* The figures of t; end: the end of the run, or NULL before it. */
void timing_figures(const struct tp_timing *t, const struct timespec *end,
		    struct timing_figures *f);

/* "Timing: resolve 0.061 ms, connect 0.203 ms, ..." with a newline:
 * the phases reached; with all, every phase ("none" for one not
 * reached), as at the end of the run. */
void timing_text(FILE *fp, const struct timing_figures *f, int all);

/* The "timing" member of the report (key included); r may be NULL. */
void timing_json(struct json_writer *w, const struct timing_figures *f,
		 const struct timing_renegs *r);

#endif
