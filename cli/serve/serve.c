/* `tlsprobe serve`: options, the configuration, the listening socket,
 * then connections until --naccept; see serve.h. */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"

/* The port lfd listens on: the kernel's choice when 0 was asked for, so
 * that a script can read it from the first line; 0 if unknown. */
static unsigned bound_port(int lfd)
{
	struct sockaddr_storage ss;
	socklen_t n = sizeof(ss);

	if (getsockname(lfd, (struct sockaddr *)&ss, &n) != 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

int serve_main(int argc, char **argv)
{
	struct serve_opts o;
	struct tp_config *cfg;
	int lfd, r;

	if ((r = serve_options_parse(argc, argv, &o)) >= 0)
		return r;
	signal(SIGPIPE, SIG_IGN);
	cfg = serve_config(&o);
	if (cfg == NULL)
		return CLI_EOTHER;
	lfd = serve_listen(&o);
	if (lfd < 0) {
		tp_config_free(cfg);
		return CLI_ECONNECT;
	}
	if (!o.quiet)
		fprintf(stderr, "serve: listening on %s port %u\n",
			o.addr ? o.addr : "127.0.0.1", bound_port(lfd));
	serve_accept_loop(&o, cfg, lfd);
	close(lfd);
	tp_config_free(cfg);
	return CLI_OK;
}
