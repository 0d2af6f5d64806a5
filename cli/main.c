/*
 * tlsprobe: a TLS diagnostic client. Dispatches to a subcommand; a first
 * argument that is none of them means `connect`.
 */
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "probe/probe.h"
#include "serve/serve.h"
#include "connect/connect.h"
#include "common/common.h"

/* Adding a subcommand is one line here. */
static const struct subcommand {
	const char *name;
	int (*main)(int argc, char **argv);
} subcommands[] = {
	{ "connect", cli_connect_main },
	{ "probe", probe_main },
	{ "serve", serve_main },
};

static const struct subcommand *find_subcommand(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(name, subcommands[i].name) == 0)
			return &subcommands[i];
	return NULL;
}

/* With stdin, stdout or stderr closed, the next file opened (a pipe, a
 * socket) would take its number and be read or written as if it were
 * one. /dev/null takes the place: reads see EOF; writes to a read-only
 * descriptor fail, as they did on the closed one. */
static void keep_std_fds_taken(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", O_RDONLY) != fd)
			_exit(CLI_EOTHER);
}

int main(int argc, char **argv)
{
	const struct subcommand *sc;

	/* A closed stdout or socket is an error return, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	keep_std_fds_taken();
	if (argc >= 2 && (sc = find_subcommand(argv[1])) != NULL)
		return sc->main(argc - 1, argv + 1);
	return cli_connect_main(argc, argv);
}
