/*
 * Named scheduling points (DESIGN 3.3). In test builds (TP_TEST_HOOKS) a
 * unit test can install a hook that parks the calling thread at an exact
 * point; the program is built without them. Every tp_hook() call is made
 * with the connection lock released (invariant 1).
 */
#ifndef TP_HOOKS_H
#define TP_HOOKS_H

struct tp_conn;

enum tp_sched_point {
	TP_SP_READ_WAIT, /* reader about to poll for peer data */
	TP_SP_WRITE_WAIT, /* writer about to poll for queue space */
	TP_SP_HS_WAIT, /* about to poll for the peer during a handshake */
	TP_SP_HS_OWNER, /* just became handshake owner (lock released) */
	TP_SP_CV_WAIT, /* about to wait for another handshake owner */
	TP_SP_WRITE_ENTER, /* tp_conn_write entered */
	TP_SP_READ_ENTER, /* tp_conn_read entered */
	TP_SP_COUNT
};

#ifdef TP_TEST_HOOKS
typedef void (*tp_hook_fn)(struct tp_conn *c, enum tp_sched_point sp,
			   void *arg);
void tp_test_set_hook(tp_hook_fn fn, void *arg);
void tp_hook(struct tp_conn *c, enum tp_sched_point sp);
const char *tp_sched_point_name(enum tp_sched_point sp);
/* 1: the pre-fix protocol: the reader keeps the lock while it waits for
 * the peer, as Go's crypto/tls did before the 17101 fix. Only so that the
 * interleaving test can prove it detects the deadlock. */
void tp_test_set_prefix_protocol(int on);
extern int tp_test_prefix_protocol;
#else
#define tp_hook(c, sp) ((void)0)
#define tp_test_prefix_protocol 0
#endif

#endif
