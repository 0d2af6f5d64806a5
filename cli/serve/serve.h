/*
 * tlsprobe serve: a TLS server on libtlsprobe, for demos, tests and users
 * who need a peer whose policy they control. One thread per connection.
 * The one header of cli/serve:
 *   serve.c    the command: options to a listening socket and a config
 *   options.c  the command line and --help
 *   config.c   the server's tp_config: certificate (generated unless
 *              --cert), versions, client certificates, policy
 *   accept.c   listening, accepting, one thread per connection
 *   conn.c     one connection: the modes, HelloRequest and KeyUpdate
 *              schedules, its report lines
 */
#ifndef CLI_SERVE_H
#define CLI_SERVE_H

#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/common.h"

enum serve_mode {
	MODE_ECHO,
	MODE_REVERSE,
	MODE_SINK,
	MODE_SOURCE
};

struct serve_opts {
	const char *addr, *port; /* addr NULL: loopback */
	char listen_spec[512]; /* [ADDR:]PORT, cut up into addr and port */
	const char *cert, *key, *write_ca;
	enum serve_mode mode;
	uint64_t source_bytes;
	uint64_t hello_request_every; /* bytes; TLS <= 1.2 */
	uint64_t key_update_every; /* bytes; TLS 1.3 */
	int hello_request_secs; /* HelloRequest every N s; TLS <= 1.2 */
	int reply_delay_ms; /* echo, reverse: wait before each reply write */
	enum tp_reneg_policy reneg;
	int reneg_limit; /* TP_RENEG_LIMIT */
	struct cli_versions versions;
	int require_client_cert;
	int naccept; /* 0: forever */
	int quiet;
	int help;
};

struct serve_conn {
	const struct serve_opts *o;
	struct tp_conn *c;
	int id;
	char peer[NI_MAXHOST + NI_MAXSERV + 2];
	int closing; /* no more renegotiations: the peer closed */
	/* --hello-request-interval: a timer thread, stopped before free */
	pthread_t timer;
	pthread_mutex_t tm;
	pthread_cond_t tcv;
	int timer_stop;
};

/* serve.c: tlsprobe serve [OPTIONS] [ADDR:]PORT; argv[0] is "serve".
 * Returns the exit status. */
int serve_main(int argc, char **argv);

/* options.c: the command line into o. Returns -1 to go on, else the exit
 * status (--help printed, or the usage error). */
int serve_options_parse(int argc, char **argv, struct serve_opts *o);

/* config.c: the server's configuration, or NULL with the error printed. */
struct tp_config *serve_config(const struct serve_opts *o);

/* accept.c: a listening socket for o's address, or -1 with the error
 * printed. */
int serve_listen(const struct serve_opts *o);
/* Accepts connections, each in its thread; with --naccept N, N of them
 * (refused ones included), then waits for those it started. */
void serve_accept_loop(const struct serve_opts *o, struct tp_config *cfg,
		       int lfd);

/* conn.c: the library's event callback for every connection. */
void serve_on_event(struct tp_conn *c, const struct tp_event *ev, void *arg);
/* The thread of one connection (arg: its serve_conn, freed at the end). */
void *serve_conn_thread(void *arg);

#endif
