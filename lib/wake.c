/*
 * Wake-ups (invariant 9). A thread sleeps either on cv or in poll(); in
 * poll() it is registered as a poller with an eventfd of its own. Whoever
 * changes what another thread waits for calls tp_conn_wake, which reaches
 * it wherever it sleeps. Everything here runs under M.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

/* This thread's eventfd: made on its first wait, closed when the thread
 * exits. */
static pthread_key_t poller_fd_key;
static pthread_once_t poller_fd_once = PTHREAD_ONCE_INIT;

static void close_poller_fd(void *v)
{
	close((int)(intptr_t)v - 1);
}

static void make_poller_fd_key(void)
{
	if (pthread_key_create(&poller_fd_key, close_poller_fd) != 0)
		abort(); /* only with PTHREAD_KEYS_MAX keys in use */
}

int tp_thread_poller_fd(void)
{
	void *v;
	int fd;

	pthread_once(&poller_fd_once, make_poller_fd_key);
	v = pthread_getspecific(poller_fd_key);
	if (v != NULL)
		return (int)(intptr_t)v - 1;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd >= 0 &&
	    pthread_setspecific(poller_fd_key, (void *)(intptr_t)(fd + 1))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

void tp_poller_add(struct tp_conn *c, struct tp_poller *me)
{
	me->next = c->pollers;
	c->pollers = me;
}

void tp_poller_remove(struct tp_conn *c, struct tp_poller *me)
{
	struct tp_poller **pp = &c->pollers;
	uint64_t count;

	while (*pp != me)
		pp = &(*pp)->next;
	*pp = me->next;
	if (me->signalled && read(me->fd, &count, sizeof(count)) < 0) {
		/* Already drained: nothing to do. */
	}
}

void tp_wake_pollers(struct tp_conn *c, enum tp_sched_point sp)
{
	uint64_t one = 1;

	for (struct tp_poller *w = c->pollers; w != NULL; w = w->next) {
		if (w->signalled || (sp != TP_SP_COUNT && w->sp != sp))
			continue;
		w->signalled = 1;
		if (write(w->fd, &one, sizeof(one)) < 0) {
			/* Cannot fail: the counter is drained after each
			 * wait, so it never nears its limit. */
		}
	}
}

void tp_conn_wake(struct tp_conn *c)
{
	pthread_cond_broadcast(&c->cv);
	tp_wake_pollers(c, TP_SP_COUNT);
}
