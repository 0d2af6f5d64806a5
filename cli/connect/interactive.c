/*
 * The input thread for a terminal: GNU readline's callback interface in a
 * poll loop. Only this thread calls readline. Other threads queue their
 * output (console.h) and wake us through a pipe; we then hide the prompt
 * and the line being typed, write the output, and redraw them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "connect.h"

#define PROMPT "tlsprobe> "
#define HISTORY_LINES 1000

/* readline's callbacks take no argument: the state of this thread. */
static struct {
	struct session *s;
	int active; /* the line handler is installed */
	int stop; /* :quit, or the run ended */
	char *history; /* file, or NULL */
} ui;

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	if (write(sig_pipe[1], &b, 1) == -1)
		(void)0;
	errno = saved;
}

static void install_signals(void)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Ctrl-\ (SIGQUIT) too: its default action, a core dump, would
	 * leave the terminal as readline set it (-icanon -echo). */
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
}

/* $TLSPROBE_HISTORY (empty: none), else ~/.tlsprobe_history. */
static char *history_path(void)
{
	const char *env = getenv("TLSPROBE_HISTORY"), *home;
	char *p = NULL;

	if (env != NULL)
		return *env != '\0' ? strdup(env) : NULL;
	home = getenv("HOME");
	if (home == NULL || *home == '\0')
		return NULL;
	if (asprintf(&p, "%s/.tlsprobe_history", home) == -1)
		return NULL;
	return p;
}

static void history_save(void)
{
	if (ui.history == NULL)
		return;
	if (write_history(ui.history) != 0)
		return; /* not worth an error line */
	(void)history_truncate_file(ui.history, HISTORY_LINES);
}

/* Sends a typed data line with its newline. */
static int send_line(struct session *s, const char *data, size_t len)
{
	if (session_send(s, data, len) == -1)
		return -1;
	return session_send(s, "\n", 1);
}

static void handle_line(const char *line)
{
	struct cli_cmd cmd;

	if (*line != '\0' &&
	    (history_length == 0 ||
	     strcmp(history_get(history_base + history_length - 1)->line,
		    line) != 0))
		add_history(line);
	if (cli_command_parse(line, strlen(line), &cmd) == CLI_CMD_DATA) {
		if (send_line(ui.s, cmd.data, cmd.len) == -1)
			ui.stop = 1;
		return;
	}
	if (input_command(ui.s, &cmd) != 0)
		ui.stop = 1;
}

/* Called by readline for each finished line; NULL at EOF (Ctrl-D). */
static void on_line(char *line)
{
	if (line == NULL) {
		rl_callback_handler_remove();
		ui.active = 0;
#if RL_READLINE_VERSION < 0x0801
		/* Readline 8.1 and later end the line at EOF themselves. */
		fputc('\n', rl_outstream);
#endif
		session_input_eof(ui.s);
		return;
	}
	handle_line(line);
	free(line);
}

/* Writes queued output above the prompt and the line being typed. */
static void show_output(void)
{
	char *saved = NULL;
	int point = 0, last;

	if (ui.active && console_pending()) {
		saved = rl_copy_text(0, rl_end);
		point = rl_point;
		rl_set_prompt("");
		rl_replace_line("", 0);
		rl_redisplay();
	}
	last = console_drain();
	if (saved == NULL)
		return;
	/* Peer data without a final newline: keep the prompt off it. */
	if (last != -1 && last != '\n' && isatty(STDOUT_FILENO))
		(void)write_all(STDERR_FILENO, "\n", 1);
	rl_set_prompt(PROMPT);
	rl_replace_line(saved, 0);
	rl_point = point;
	rl_redisplay();
	free(saved);
}

static void handle_signals(void)
{
	unsigned char sig;

	while (read(sig_pipe[0], &sig, 1) == 1) {
		if (sig == SIGWINCH) {
			if (ui.active)
				rl_resize_terminal();
			continue;
		}
		pthread_mutex_lock(&ui.s->mtx);
		ui.s->signal = sig;
		pthread_mutex_unlock(&ui.s->mtx);
		session_end(ui.s, CLI_EOTHER, NULL);
		ui.stop = 1;
	}
}

static void setup_readline(void)
{
	rl_instream = stdin;
	rl_outstream = stderr; /* stdout is for peer data only */
	rl_readline_name = "tlsprobe";
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	using_history();
	ui.history = history_path();
	if (ui.history != NULL)
		(void)read_history(ui.history);
	rl_callback_handler_install(PROMPT, on_line);
	ui.active = 1;
}

static void poll_loop(int wake)
{
	struct pollfd pfd[4];
	int n;

	while (!ui.stop) {
		pfd[0] = (struct pollfd){ .fd = wake, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = ui.s->stop_fd[0],
					  .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN };
		pfd[3] = (struct pollfd){ .fd = ui.active ? STDIN_FILENO : -1,
					  .events = POLLIN };
		n = poll(pfd, 4, -1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || pfd[1].revents != 0)
			break;
		if (pfd[0].revents != 0)
			show_output();
		if (pfd[2].revents != 0)
			handle_signals();
		if (pfd[3].revents != 0 && ui.active)
			rl_callback_read_char();
	}
}

void *input_readline_thread(void *arg)
{
	int wake;

	ui.s = arg;
	install_signals();
	wake = console_queue_begin();
	if (wake == -1) {
		session_end(ui.s, CLI_EOTHER, "cannot set up the terminal");
		return NULL;
	}
	setup_readline();
	poll_loop(wake);
	show_output();
	if (ui.active) {
		/* Leave no prompt behind for the last lines of output. */
		rl_set_prompt("");
		rl_replace_line("", 0);
		rl_redisplay();
		rl_callback_handler_remove();
	}
	ui.active = 0;
	history_save();
	free(ui.history);
	return NULL;
}
