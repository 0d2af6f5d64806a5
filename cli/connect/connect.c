/* `tlsprobe connect`: options, configuration, --reconnect, the run. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"

/* An error before the session, found once the target was known (a usage
 * error, an unreadable --script), still gets its --json report (no
 * connection, no timing), where the file can be written: the error is
 * the line to show, not a second one. */
static void early_report(const struct cli_options *o, enum cli_status st,
			 const char *msg)
{
	static struct session s; /* zero: no connection, no timing */

	if (o->json == NULL || strcmp(o->json, "-") == 0 ||
	    o->target.host[0] == '\0' || o->help || o->version ||
	    tp_file_check_writable(o->json, NULL, 0) == -1)
		return;
	s.opt = o;
	clock_gettime(CLOCK_REALTIME, &s.started_at);
	(void)summary_json(o->json, &s, NULL, st, msg);
}

/* --json PATH must be writable before a session it would describe:
 * exit 2 with one line, before connecting. "-" is probe's standard
 * output; here standard output carries the peer's data, and "-" would
 * be a file nobody meant in the current directory. */
static int check_json_path(const char *path)
{
	char why[200];

	if (path != NULL && strcmp(path, "-") == 0) {
		console_error("--json -: standard output carries the "
			      "session's data; name a file");
		return -1;
	}
	if (path == NULL || tp_file_check_writable(path, why, sizeof(why)) == 0)
		return 0;
	console_error("--json '%s': %s", path, why);
	return -1;
}

static int session_init(struct session *s, const struct cli_options *o)
{
	memset(s, 0, sizeof(*s));
	s->opt = o;
	clock_gettime(CLOCK_REALTIME, &s->started_at);
	s->interactive = isatty(STDIN_FILENO);
	if (pipe2(s->stop_fd, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	cli_cond_init(&s->mtx, &s->cv);
	/* Only lines can hold an :expect; a plain data run keeps none. */
	if (o->commands || s->interactive)
		return expect_init(s);
	return 0;
}

/* Everything the run allocated; only once no thread uses it. */
static void session_free(struct session *s)
{
	tp_conn_free(s->conn);
	tp_config_free(s->cfg);
	close(s->stop_fd[0]);
	close(s->stop_fd[1]);
	cli_cond_destroy(&s->mtx, &s->cv);
	expect_free(s);
}

/* --script FILE becomes standard input, before anything looks at it
 * (a script is never a terminal). 0, or -1 with the error line out. */
static int open_script(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1 || dup2(fd, STDIN_FILENO) == -1) {
		console_error("--script '%s': %m", path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}

/* Re-raises the signal that ended an interactive run, once the terminal
 * has been restored, so the shell sees it. */
static void reraise(int sig)
{
	if (sig == 0)
		return;
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A key log that missed a line is an error: the capture it was meant to
 * decrypt cannot be (the lines are written inside handshakes, where
 * nothing can be reported). */
static enum cli_status check_keylog(const struct session *s, enum cli_status st)
{
	const char *why = tp_config_keylog_error(s->cfg);

	if (why == NULL)
		return st;
	console_error("key log '%s': %s", setup_keylog_path(s->opt), why);
	return st == CLI_OK ? CLI_EOTHER : st;
}

static enum cli_status run(struct session *s)
{
	enum cli_status st = CLI_OK;

	s->cfg = setup_config(s, &st);
	if (s->cfg == NULL)
		return st;
	pcap_attach(s->cfg);
	s->conn = s->opt->reconnect > 0 ? reconnect_run(s, &st) :
					  setup_conn(s, NULL, &st);
	if (s->conn == NULL)
		return st;
	return check_keylog(s, run_session(s));
}

/* The end of every run, whatever its status: the Timing: line, and the
 * --json report with the final status (after the key log and --pcap
 * checks, which may change it). */
static enum cli_status report_end(struct session *s, enum cli_status st)
{
	/* The run's own error line, else the first one printed (a setup
	 * failure); a run that ended well has none. */
	const char *error = s->error[0]	 ? s->error :
			    st != CLI_OK ? console_first_error() :
					   NULL;

	if (s->ended_at.tv_sec == 0 && s->ended_at.tv_nsec == 0)
		clock_gettime(CLOCK_MONOTONIC, &s->ended_at); /* no session */
	summary_print_end(s, s->conn);
	if (s->opt->json != NULL &&
	    summary_json(s->opt->json, s, s->conn, st, error) == -1 &&
	    st == CLI_OK)
		st = CLI_EOTHER;
	return st;
}

/* The run, with --pcap's file written at its end, whatever the end. */
static enum cli_status run_captured(struct session *s)
{
	enum cli_status st;

	cli_conn_notes(s->opt, console_msg);
	if (s->opt->pcap != NULL && pcap_begin(s->opt->pcap) == -1)
		return report_end(s, CLI_EOTHER);
	st = run(s);
	if (pcap_end(setup_keylog_path(s->opt)) == -1 && st == CLI_OK)
		st = CLI_EOTHER;
	st = report_end(s, st);
	fflush(stdout);
	reraise(s->signal);
	return st;
}

int cli_connect_main(int argc, char **argv)
{
	struct cli_options o;
	struct session s;
	char err[CLI_ERROR_MAX];
	int st;

	if (cli_options_parse(argc, argv, &o, err, sizeof(err)) == -1) {
		early_report(&o, CLI_EUSAGE, err);
		cli_options_free(&o);
		return cli_usage_error(NULL, "%s", err);
	}
	if (o.help || o.version) {
		if (o.help)
			cli_options_usage(stdout);
		else
			cli_print_version(stdout);
		cli_options_free(&o);
		return fflush(stdout) == 0 ? CLI_OK : CLI_EOTHER;
	}
	if (check_json_path(o.json) == -1) {
		cli_options_free(&o);
		return CLI_EUSAGE;
	}
	if (o.script != NULL && open_script(o.script) == -1) {
		early_report(&o, CLI_EOTHER, console_first_error());
		cli_options_free(&o);
		return CLI_EOTHER;
	}
	if (session_init(&s, &o) == -1) {
		console_error("cannot create a pipe: %m");
		return CLI_EOTHER;
	}
	st = run_captured(&s);
	/* A stdin thread left behind may still use the connection: then the
	 * process exits without freeing it. */
	if (!s.input_left) {
		session_free(&s);
		cli_options_free(&o);
	}
	return st;
}
