/*
 * libFuzzer target for cli_command_parse (cli/connect/command.c): the input is
 * one line without its terminator, in a buffer of exactly its size (so ASan
 * sees any read past the end: lines are not NUL-terminated). The result is
 * checked against command.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/connect.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1);
	struct cli_cmd cmd;
	enum cli_cmd_type t;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	memset(&cmd, 0x5a, sizeof(cmd));
	t = cli_command_parse(line, size, &cmd);
	CHECK(t == cmd.type);
	CHECK(t >= CLI_CMD_DATA && t <= CLI_CMD_INVALID);
	switch (t) {
	case CLI_CMD_DATA:
		/* All of it, or all but the first ':' of "::". */
		CHECK(cmd.data >= line && cmd.data + cmd.len == line + size);
		if (size > 0 && line[0] == ':') {
			CHECK(size >= 2 && line[1] == ':');
			CHECK(cmd.data == line + 1);
		} else {
			CHECK(cmd.data == line);
		}
		break;
	case CLI_CMD_INVALID:
		CHECK(size > 0 && line[0] == ':');
		CHECK(memchr(cmd.error, '\0', sizeof(cmd.error)) != NULL);
		CHECK(cmd.error[0] != '\0');
		break;
	case CLI_CMD_SLEEP:
		/* Milliseconds of at most a day. */
		CHECK(size >= 2 && line[0] == ':' && line[1] != ':');
		CHECK(cmd.arg >= 0 && cmd.arg <= 86400 * 1000);
		break;
	case CLI_CMD_EXPECT:
		/* The pattern lies inside the line. */
		CHECK(size >= 2 && line[0] == ':' && line[1] != ':');
		CHECK(cmd.arg == 0);
		CHECK(cmd.data > line && cmd.data + cmd.len <= line + size);
		break;
	default:
		/* A command: ':' then a known word, at most one argument. */
		CHECK(size >= 2 && line[0] == ':' && line[1] != ':');
		CHECK(cmd.arg == 0 || (cmd.arg == 1 && t == CLI_CMD_KEYUPDATE));
		break;
	}
	/* Same answer for the same line followed by spaces. */
	if (t != CLI_CMD_DATA && size < 4096) {
		char *padded = malloc(size + 3);
		struct cli_cmd again;

		CHECK(padded != NULL);
		memcpy(padded, line, size);
		memcpy(padded + size, " \t ", 3);
		cli_command_parse(padded, size + 3, &again);
		CHECK(again.type == t && again.arg == cmd.arg);
		free(padded);
	}
	free(line);
	return 0;
}
