/* Output routing; see connect.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"
#include "tlsprobe.h"

/* A reader waits when this much peer data is queued for the terminal. */
#define QUEUE_HIGH (1024 * 1024)

struct chunk {
	struct chunk *next;
	int fd;
	size_t len;
	char data[];
};

static struct {
	pthread_mutex_t mtx;
	pthread_cond_t space;
	int queueing;
	int busy;
	int wake[2];
	struct chunk *head, **tail;
	size_t queued;
	int stdout_errno;
} con = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
	.space = PTHREAD_COND_INITIALIZER,
	.wake = { -1, -1 },
};

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void wake_drainer(void)
{
	char b = 1;

	/* Non-blocking: a full pipe already means "wake up". */
	if (write(con.wake[1], &b, 1) == -1 && errno != EAGAIN)
		return;
}

/* Queues a copy of buf for fd; caller holds con.mtx. */
static int enqueue(int fd, const void *buf, size_t len)
{
	struct chunk *ch = malloc(sizeof(*ch) + len);

	if (ch == NULL)
		return -1;
	ch->next = NULL;
	ch->fd = fd;
	ch->len = len;
	memcpy(ch->data, buf, len);
	*con.tail = ch;
	con.tail = &ch->next;
	if (fd == STDOUT_FILENO)
		con.queued += len;
	wake_drainer();
	return 0;
}

static void note_stdout_error(int e);

int console_data(const void *buf, size_t len)
{
	pthread_mutex_lock(&con.mtx);
	if (con.stdout_errno != 0) {
		pthread_mutex_unlock(&con.mtx);
		return -1;
	}
	while (con.queueing && !con.busy && con.queued > QUEUE_HIGH)
		pthread_cond_wait(&con.space, &con.mtx);
	if (con.queueing) {
		int rv = enqueue(STDOUT_FILENO, buf, len);

		pthread_mutex_unlock(&con.mtx);
		return rv;
	}
	pthread_mutex_unlock(&con.mtx);
	/* Only the reader thread writes stdout: no lock across a write
	 * that may block on a slow consumer. */
	if (write_all(STDOUT_FILENO, buf, len) == -1) {
		note_stdout_error(errno);
		return -1;
	}
	return 0;
}

int console_stdout_errno(void)
{
	int e;

	pthread_mutex_lock(&con.mtx);
	e = con.stdout_errno;
	pthread_mutex_unlock(&con.mtx);
	return e;
}

static void emit_raw(const char *s, size_t len)
{
	pthread_mutex_lock(&con.mtx);
	if (!con.queueing || enqueue(STDERR_FILENO, s, len) == -1)
		(void)write_all(STDERR_FILENO, s, len);
	pthread_mutex_unlock(&con.mtx);
}

/* Everything for stderr passes here, and messages carry peer text (names,
 * STARTTLS replies, error strings): a control byte left unescaped on the
 * way would reach the terminal, so none gets through (TP_ESC_TEXT keeps
 * newlines, tabs and the escapes already made). */
static void emit_stderr(const char *s, size_t len)
{
	size_t need = tp_escape(NULL, 0, s, len, TP_ESC_TEXT);
	char *esc;

	if (need == len) {
		emit_raw(s, len);
		return;
	}
	esc = malloc(need + 1);
	if (esc == NULL)
		return;
	tp_escape(esc, need + 1, s, len, TP_ESC_TEXT);
	emit_raw(esc, need);
	free(esc);
}

static void vmsg(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char buf[4096];
	size_t n;
	int r;

	n = strlen(prefix);
	memcpy(buf, prefix, n);
	r = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (r < 0)
		return;
	n += (size_t)r < sizeof(buf) - n - 1 ? (size_t)r : sizeof(buf) - n - 2;
	if (n == 0 || buf[n - 1] != '\n')
		buf[n++] = '\n';
	emit_stderr(buf, n);
}

void console_text(const char *text)
{
	emit_stderr(text, strlen(text));
}

void console_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

/* The run's first error line, for the --json report. */
static char first_error[CLI_ERROR_MAX];

void console_error(const char *fmt, ...)
{
	va_list ap;
	int saved = errno; /* for %m */

	pthread_mutex_lock(&con.mtx);
	if (first_error[0] == '\0') {
		errno = saved;
		va_start(ap, fmt);
		vsnprintf(first_error, sizeof(first_error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&con.mtx);
	errno = saved;
	va_start(ap, fmt);
	vmsg("tlsprobe: ", fmt, ap);
	va_end(ap);
}

const char *console_first_error(void)
{
	const char *e;

	pthread_mutex_lock(&con.mtx);
	e = first_error[0] != '\0' ? first_error : NULL;
	pthread_mutex_unlock(&con.mtx);
	return e;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

int console_queue_begin(void)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	if (set_nonblock(fds[0]) == -1 || set_nonblock(fds[1]) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	pthread_mutex_lock(&con.mtx);
	con.wake[0] = fds[0];
	con.wake[1] = fds[1];
	con.head = NULL;
	con.tail = &con.head;
	con.queued = 0;
	con.queueing = 1;
	pthread_mutex_unlock(&con.mtx);
	return fds[0];
}

int console_pending(void)
{
	int p;

	pthread_mutex_lock(&con.mtx);
	p = con.head != NULL;
	pthread_mutex_unlock(&con.mtx);
	return p;
}

/* Detaches the queue; empties the wake pipe. Caller holds con.mtx. */
static struct chunk *take_queue(void)
{
	struct chunk *list = con.head;
	char buf[64];

	con.head = NULL;
	con.tail = &con.head;
	con.queued = 0;
	while (con.wake[0] != -1 && read(con.wake[0], buf, sizeof(buf)) > 0)
		;
	pthread_cond_broadcast(&con.space);
	return list;
}

static void note_stdout_error(int e)
{
	pthread_mutex_lock(&con.mtx);
	if (con.stdout_errno == 0)
		con.stdout_errno = e;
	pthread_mutex_unlock(&con.mtx);
}

int console_drain(void)
{
	struct chunk *list, *next;
	int last = -1;

	pthread_mutex_lock(&con.mtx);
	list = take_queue();
	pthread_mutex_unlock(&con.mtx);
	for (; list != NULL; list = next) {
		next = list->next;
		/* A message after peer data that did not end its line starts
		 * a line of its own on the terminal they share. */
		if (list->fd == STDERR_FILENO && last != -1 && last != '\n' &&
		    isatty(STDOUT_FILENO))
			(void)write_all(STDERR_FILENO, "\n", 1);
		if (write_all(list->fd, list->data, list->len) == -1 &&
		    list->fd == STDOUT_FILENO)
			note_stdout_error(errno);
		if (list->len > 0)
			last = (unsigned char)list->data[list->len - 1];
		free(list);
	}
	return last;
}

void console_queue_end(void)
{
	pthread_mutex_lock(&con.mtx);
	con.queueing = 0;
	pthread_cond_broadcast(&con.space);
	pthread_mutex_unlock(&con.mtx);
	(void)console_drain();
}

void console_set_busy(int busy)
{
	pthread_mutex_lock(&con.mtx);
	con.busy = busy;
	pthread_cond_broadcast(&con.space);
	pthread_mutex_unlock(&con.mtx);
}
