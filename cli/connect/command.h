/*
 * In-band commands: a line that starts with ':' (":reneg", ":status"...);
 * "::" at the start stands for a literal ':' in data. Pure parser, no
 * globals, no I/O.
 */
#ifndef CLI_COMMAND_H
#define CLI_COMMAND_H

#include <stddef.h>

enum cli_cmd_type {
	CLI_CMD_DATA, /* not a command: send data[0..len) */
	CLI_CMD_RENEG,
	CLI_CMD_KEYUPDATE, /* arg: 1 for "req" (update_requested) */
	CLI_CMD_RESUME,
	CLI_CMD_STATUS,
	CLI_CMD_HELP,
	CLI_CMD_QUIT,
	CLI_CMD_EXPECT, /* data[0..len): the pattern (expect.h) */
	CLI_CMD_SLEEP, /* arg: milliseconds */
	CLI_CMD_INVALID /* unknown command or bad argument: see error */
};

struct cli_cmd {
	enum cli_cmd_type type;
	int arg;
	const char *data; /* DATA, EXPECT: points into the parsed line */
	size_t len;
	char error[96]; /* CLI_CMD_INVALID: what was wrong */
};

/*
 * Parses one line (len bytes, without its line terminator, not
 * NUL-terminated). Always fills out; returns out->type.
 */
enum cli_cmd_type cli_command_parse(const char *line, size_t len,
				    struct cli_cmd *out);

/* Help text for the commands, several lines ending with '\n'. */
const char *cli_command_help(void);

#endif
