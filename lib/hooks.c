/* Scheduling points for interleaving tests; empty in the program. */
#include "hooks.h"

#ifdef TP_TEST_HOOKS
#include <stdatomic.h>
#include <stddef.h>

static _Atomic(tp_hook_fn) hook_fn;
static _Atomic(void *) hook_arg;
int tp_test_prefix_protocol;

void tp_test_set_hook(tp_hook_fn fn, void *arg)
{
	atomic_store(&hook_arg, arg);
	atomic_store(&hook_fn, fn);
}

void tp_test_set_prefix_protocol(int on)
{
	tp_test_prefix_protocol = on;
}

void tp_hook(struct tp_conn *c, enum tp_sched_point sp)
{
	tp_hook_fn fn = atomic_load(&hook_fn);

	if (fn != NULL)
		fn(c, sp, atomic_load(&hook_arg));
}

const char *tp_sched_point_name(enum tp_sched_point sp)
{
	static const char *const names[TP_SP_COUNT] = {
		"READ_WAIT", "WRITE_WAIT",  "HS_WAIT",	  "HS_OWNER",
		"CV_WAIT",   "WRITE_ENTER", "READ_ENTER",
	};
	return (unsigned)sp < TP_SP_COUNT ? names[sp] : "?";
}
#else
/* ISO C forbids an empty translation unit. */
typedef int tp_hooks_unused;
#endif
