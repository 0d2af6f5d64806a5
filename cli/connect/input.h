/* The input (writer) thread: stdin to the connection. */
#ifndef CLI_INPUT_H
#define CLI_INPUT_H

#include "command.h"
#include "session.h"

/* Non-terminal stdin: data byte for byte, or lines with :commands when
 * --commands is given. arg: the session. */
void *input_stdin_thread(void *arg);

/* Terminal stdin: GNU readline, history, :commands, peer output shown
 * above the prompt. arg: the session. */
void *input_readline_thread(void *arg);

/* Runs one in-band command; returns 1 when the input should stop
 * (:quit), else 0. */
int input_command(struct session *s, const struct cli_cmd *cmd);

#endif
