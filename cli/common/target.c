/*
 * The connection a command opens from the options connect and probe share
 * (struct cli_options): their rules, the files a configuration loads, the
 * names for SNI and verification, and the TCP connect, through STARTTLS
 * when asked, that hands the socket to the library. Prints nothing: errors
 * come back as one line for the command to print.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* Default for our own connect (--starttls) when --timeout is not given;
 * matches the library's default. */
#define DEFAULT_TIMEOUT_MS 10000

static const char *const starttls_names[] = {
	[CLI_STARTTLS_NONE] = "none",	      [CLI_STARTTLS_SMTP] = "smtp",
	[CLI_STARTTLS_IMAP] = "imap",	      [CLI_STARTTLS_POP3] = "pop3",
	[CLI_STARTTLS_FTP] = "ftp",	      [CLI_STARTTLS_XMPP] = "xmpp",
	[CLI_STARTTLS_POSTGRES] = "postgres",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *cli_starttls_name(enum cli_starttls p)
{
	if ((size_t)p >= NELEM(starttls_names))
		return "?";
	return starttls_names[p];
}

int cli_starttls_parse(const char *arg, enum cli_starttls *p)
{
	size_t i;

	for (i = 1; i < NELEM(starttls_names); i++) {
		if (strcmp(arg, starttls_names[i]) == 0) {
			*p = (enum cli_starttls)i;
			return 0;
		}
	}
	return -1;
}

int cli_starttls_error(const char *arg, char *err, size_t errlen)
{
	return cli_errf(
		err, errlen,
		"invalid --starttls protocol '%s' (want smtp, imap, pop3, "
		"ftp, xmpp or postgres)",
		arg);
}

int cli_options_check_conn(const struct cli_options *o, char *err,
			   size_t errlen)
{
	if (o->servername != NULL && o->no_servername)
		return cli_errf(err, errlen, "%s",
				"--servername and --noservername conflict");
	if (o->key != NULL && o->cert == NULL)
		return cli_errf(err, errlen, "%s", "--key needs --cert");
	/* s_client -crl_check without CRLs fails every certificate ("unable
	 * to get certificate CRL"); we fetch no CRLs, so say so up front. */
	if ((o->crl_check || o->crl_check_all) && o->ncrl_files == 0)
		return cli_errf(err, errlen,
				"%s needs --crl-file FILE (tlsprobe does not "
				"download CRLs)",
				o->crl_check_all ? "--crl-check-all" :
						   "--crl-check");
	if (o->servername != NULL && o->servername[0] == '\0')
		return cli_errf(
			err, errlen, "%s",
			"empty --servername (use --noservername to send "
			"no SNI)");
	if (o->verify_name != NULL && o->verify_name[0] == '\0')
		return cli_errf(err, errlen, "%s", "empty --verify-name");
	return 0;
}

const char *setup_keylog_path(const struct cli_options *o)
{
	const char *env = getenv("SSLKEYLOGFILE");

	if (o->keylog != NULL)
		return o->keylog;
	return env != NULL && *env != '\0' ? env : NULL;
}

int cli_config_error(struct tp_config *cfg, const char *what, const char *arg,
		     char *err, size_t errlen)
{
	const char *why = tp_config_error(cfg);

	if (why != NULL && strstr(why, arg) != NULL)
		return cli_errf(err, errlen, "%s", why);
	return cli_errf(err, errlen, "%s '%s': %s", what, arg,
			why ? why : "failed");
}

static int config_fail(struct tp_config *cfg, const char *what, const char *arg,
		       enum cli_status st, enum cli_status *stp, char *err,
		       size_t errlen)
{
	*stp = st;
	return cli_config_error(cfg, what, arg, err, errlen);
}

int setup_config_files(struct tp_config *cfg, const struct cli_options *o,
		       const char *keylog_default, char *err, size_t errlen,
		       enum cli_status *st)
{
	const char *keylog = setup_keylog_path(o);

	if (keylog == NULL)
		keylog = keylog_default;
	if (o->ca_file && tp_config_set_ca_file(cfg, o->ca_file) == -1)
		return config_fail(cfg, "--ca-file", o->ca_file, CLI_EOTHER, st,
				   err, errlen);
	if (o->ca_dir && tp_config_set_ca_dir(cfg, o->ca_dir) == -1)
		return config_fail(cfg, "--ca-dir", o->ca_dir, CLI_EOTHER, st,
				   err, errlen);
	/* After the CAs: a CRL is verified against them as it loads. */
	if (o->crl_check_all && tp_config_crl_check_all(cfg) == -1)
		return config_fail(cfg, "--crl-check-all", "", CLI_EOTHER, st,
				   err, errlen);
	for (int k = 0; k < o->ncrl_files; k++)
		if (tp_config_add_crl_file(cfg, o->crl_files[k]) == -1)
			return config_fail(cfg, "--crl-file", o->crl_files[k],
					   CLI_EOTHER, st, err, errlen);
	if (o->status && tp_config_request_ocsp_status(cfg) == -1)
		return config_fail(cfg, "--status", "", CLI_EOTHER, st, err,
				   errlen);
	if (o->cert && tp_config_set_cert_file(cfg, o->cert,
					       o->key ? o->key : o->cert) == -1)
		/* a key of another certificate is a usage error (exit 2) */
		return config_fail(cfg, "--cert", o->cert,
				   tp_config_errcode(cfg) == TP_ERR_USAGE ?
					   CLI_EUSAGE :
					   CLI_EOTHER,
				   st, err, errlen);
	if (keylog && tp_config_set_keylog_file(cfg, keylog) == -1)
		return config_fail(cfg, "key log", keylog, CLI_EOTHER, st, err,
				   errlen);
	return 0;
}

const char *setup_servername(const struct cli_options *o)
{
	/* "" asks the library to send no SNI (see the report). */
	if (o->no_servername)
		return "";
	return o->servername ? o->servername : o->target.host;
}

const char *setup_sni(const struct cli_options *o)
{
	const char *name = setup_servername(o);

	return *name == '\0' || tp_name_is_address(name) ? NULL : name;
}

void json_target_members(struct json_writer *w, const struct cli_options *o)
{
	json_kv_string(w, "host", o->target.host);
	json_key(w, "port");
	if (o->target.port[0] != '\0')
		json_int(w, atoi(o->target.port)); /* 1-65535 (parse.c) */
	else
		json_null(w);
	json_kv_string(w, "servername", setup_sni(o));
	json_kv_string(w, "starttls",
		       o->starttls == CLI_STARTTLS_NONE ?
			       NULL :
			       cli_starttls_name(o->starttls));
}

/* The error line for a failed call on c, and the status it means. */
static int conn_error(struct tp_conn *c, char *err, size_t errlen,
		      enum cli_status *st)
{
	*st = cli_conn_error(c, 0, err, errlen);
	return -1;
}

/* setup_plain_connect, also noting in *t when it started, resolved and
 * connected (the library's timing of a socket it did not connect). */
static int plain_connect_timed(const struct cli_options *o, char *err,
			       size_t errlen, enum cli_status *st,
			       struct tp_timing *t)
{
	int tmo = o->timeout >= 0 ? o->timeout * 1000 : DEFAULT_TIMEOUT_MS;
	/* XMPP's to= names the service even with --noservername. */
	const char *name = o->servername ? o->servername : o->target.host;
	int fd, timed_out;

	/* The library's TCP connect, the one tp_conn_connect makes. */
	fd = tp_tcp_connect(o->target.host, o->target.port, o->family, tmo, err,
			    errlen, &timed_out, t);
	*st = timed_out ? CLI_ETIMEOUT : CLI_ECONNECT;
	if (fd == -1 || o->starttls == CLI_STARTTLS_NONE)
		return fd;
	if (starttls_run(fd, o->starttls, name, tmo, err, errlen, st) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int setup_plain_connect(const struct cli_options *o, char *err, size_t errlen,
			enum cli_status *st)
{
	struct tp_timing t;

	memset(&t, 0, sizeof(t));
	return plain_connect_timed(o, err, errlen, st, &t);
}

int setup_connect(struct tp_conn *c, const struct cli_options *o, char *err,
		  size_t errlen, enum cli_status *st)
{
	struct tp_timing t;
	int fd;

	if (o->verify_name != NULL &&
	    tp_conn_set_verify_name(c, o->verify_name) == -1) {
		*st = CLI_EOTHER;
		return cli_errf(err, errlen, "%s", "out of memory");
	}
	if (o->starttls == CLI_STARTTLS_NONE) {
		if (tp_conn_connect(c, o->target.host, o->target.port,
				    setup_servername(o), o->family) == -1)
			return conn_error(c, err, errlen, st);
		return 0;
	}
	/* Our own TCP connect and preamble, then the library takes the
	 * socket; its timing is ours. */
	memset(&t, 0, sizeof(t));
	fd = plain_connect_timed(o, err, errlen, st, &t);
	tp_conn_set_connect_timing(c, &t);
	if (fd == -1)
		return -1;
	if (tp_conn_attach_fd(c, fd, setup_servername(o)) == -1)
		return conn_error(c, err, errlen, st);
	return 0;
}

void cli_conn_notes(const struct cli_options *o,
		    void (*note)(const char *fmt, ...))
{
	const char *keylog = setup_keylog_path(o);

	if (o->verbosity == CLI_QUIET)
		return;
	if (o->insecure)
		note("WARNING: --insecure: the server certificate is checked "
		     "but failures are IGNORED");
	if (o->no_servername)
		note("WARNING: --noservername: no SNI is sent; the server may "
		     "present a default certificate");
	if (keylog != NULL)
		note("Note: TLS secrets are logged to %s", keylog);
	if (o->commands && isatty(STDIN_FILENO))
		note("Note: --commands has no effect on a terminal, where "
		     "commands are always read");
}
