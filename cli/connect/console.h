/*
 * The process's terminal side: peer data to stdout, everything else to
 * stderr. Normally writes go straight to the file descriptors. In
 * interactive mode they are queued instead and the readline thread, woken
 * through a pipe, writes them above the prompt (readline is only ever
 * called from that thread).
 */
#ifndef CLI_CONSOLE_H
#define CLI_CONSOLE_H

#include <stddef.h>
#include <sys/types.h>

/* write(2) until all of buf is written; retries EINTR. 0 or -1. */
int write_all(int fd, const void *buf, size_t len);

/* Peer application data for stdout, byte for byte. Returns 0, or -1 once
 * writing to stdout failed (console_stdout_errno says why). In interactive
 * mode it may wait for the readline thread to drain earlier data. */
int console_data(const void *buf, size_t len);
int console_stdout_errno(void);

/* A message for stderr; a newline is added when fmt lacks one. */
void console_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Text for stderr, written as is (any length). */
void console_text(const char *text);
/* "tlsprobe: <message>\n" on stderr. */
void console_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The first console_error message of the process (without "tlsprobe: "),
 * or NULL; it stays valid. */
const char *console_first_error(void);

/* Interactive mode: from now on output is queued. Returns the fd to poll
 * for "output pending", or -1 on failure. */
int console_queue_begin(void);
/* Is anything queued? */
int console_pending(void);
/* Writes out everything queued (called by the readline thread, or at the
 * end). Returns the last byte written to the terminal, or -1 if none. */
int console_drain(void);
/* Back to direct writes; writes out what is still queued. */
void console_queue_end(void);
/* The draining thread is busy inside the library (a renegotiation, a
 * write): producers must not wait for it meanwhile. */
void console_set_busy(int busy);

#endif
