/* `tlsprobe serve`: options, the configuration, the listening socket,
 * then connections until --naccept; see serve.h. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "serve.h"

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
		fprintf(stderr, "serve: listening on %s port %s\n",
			o.addr ? o.addr : "127.0.0.1", o.port);
	serve_accept_loop(&o, cfg, lfd);
	close(lfd);
	tp_config_free(cfg);
	return CLI_OK;
}
