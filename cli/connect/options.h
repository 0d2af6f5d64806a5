/*
 * Command-line options of `tlsprobe connect`: GNU long names are canonical;
 * the common openssl s_client spellings (-connect, -CAfile, -tls1_3...) are
 * translated to them before getopt_long sees the arguments.
 */
#ifndef CLI_OPTIONS_H
#define CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "common/common.h"
#include "tlsprobe.h"

enum cli_verbosity {
	CLI_NORMAL = 0,
	CLI_BRIEF,
	CLI_QUIET
};

enum cli_starttls {
	CLI_STARTTLS_NONE = 0,
	CLI_STARTTLS_SMTP,
	CLI_STARTTLS_IMAP,
	CLI_STARTTLS_POP3,
	CLI_STARTTLS_FTP,
	CLI_STARTTLS_XMPP,
	CLI_STARTTLS_POSTGRES
};

/* Default --expect-timeout, in seconds. */
#define CLI_EXPECT_TIMEOUT 10

struct cli_options {
	struct cli_hostport target;
	const char *servername; /* NULL: HOST */
	int no_servername;
	const char *verify_name; /* NULL: the SNI name (or HOST) */
	const char *ca_file, *ca_dir;
	int insecure;
	int status; /* --status: ask for a stapled OCSP response */
	const char *crl_file; /* --crl-file: check the leaf against it */
	int crl_check; /* --crl-check: s_client's word; needs --crl-file */
	const char *cert, *key;
	enum tp_version min_tls, max_tls;
	const char *ciphers, *ciphersuites, *groups, *alpn;
	const char *sess_in, *sess_out;
	int reconnect; /* extra connections resuming the session */
	enum cli_starttls starttls;
	const char *keylog; /* --keylog, else $SSLKEYLOGFILE */
	const char *pcap; /* --pcap: the session as pcapng, secrets in it */
	int showcerts, msg;
	enum cli_verbosity verbosity;
	const char *json;
	int crlf;
	int timeout; /* seconds, -1: library default */
	int linger; /* seconds, -1: unbounded */
	int close_idle; /* ms of peer quiet before close_notify, -1: auto */
	int family; /* 0, 4 or 6 */
	int commands; /* in-band commands from non-terminal stdin */
	const char *script; /* --script: commands from this file */
	int expect_timeout; /* seconds an :expect waits */
	int no_tickets;
	int help, version; /* --help/--version seen: nothing else runs */
	char **argv_copy; /* owned: the translated argument vector */
};

/*
 * Parses argv (argv[0] is the program or subcommand name) into o. Returns
 * 0, or -1 with a one-line message (without "tlsprobe: ") in err.
 * Free with cli_options_free.
 */
int cli_options_parse(int argc, char **argv, struct cli_options *o, char *err,
		      size_t errlen);
void cli_options_free(struct cli_options *o);

/* Writes the --help text to fp. */
void cli_options_usage(FILE *fp);

/* Name of a STARTTLS protocol ("smtp"...). */
const char *cli_starttls_name(enum cli_starttls p);
/* The protocol named arg into *p; -1 when there is none. */
int cli_starttls_parse(const char *arg, enum cli_starttls *p);
/* The usage error for a bad --starttls arg, in err; returns -1. */
int cli_starttls_error(const char *arg, char *err, size_t errlen);

/* The connection options' own rules (--servername against
 * --noservername, --key needs --cert...). Returns 0, or -1 with the
 * usage error in err. */
int cli_options_check_conn(const struct cli_options *o, char *err,
			   size_t errlen);

#endif
