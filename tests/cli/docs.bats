#!/usr/bin/env bats
# Options and their documentation in step, for each command: every long
# option its option table accepts is in its man page and in its --help,
# and every long option the man page documents (SYNOPSIS and OPTIONS) or
# --help lists is accepted, by the table and by the program.
#
# The tables are read from the source (the struct option arrays, and the
# words probe_main compares its first argument with); "accepted by the
# program" is the program's own answer: `tlsprobe CMD --NAME --zz-stop`
# does not call --NAME unrecognized or ambiguous (--zz-stop ends the run
# at the parser).

# shellcheck disable=SC2154 # output is set by bats
bats_require_minimum_version 1.5.0

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
TLSPROBE=${TLSPROBE:-$TOP/build/tlsprobe}

# table_options SOURCE...: the long options of the struct option arrays
# in the files, one a line.
table_options() {
	sed -n 's/^[[:space:]]*{ "\([^"]*\)", [a-z_]*_argument,.*/\1/p' "$@" |
		sort -u
}

# probe_options: the long options `tlsprobe probe` itself takes (before
# the probe's name).
probe_options() {
	sed -n 's/.*strcmp(argv\[1\], "--\([^"]*\)").*/\1/p' \
		"$TOP/cli/probe/main.c" | sort -u
}

# man_options PAGE: the long options of PAGE's SYNOPSIS and of the items
# of its OPTIONS section (the roff source: Fl -NAME).
man_options() {
	awk '/^\.Sh SYNOPSIS/ { s = 1; next }
		/^\.Sh OPTIONS/ { s = 2; next }
		/^\.Sh / { s = 0 }
		s == 1 || (s == 2 && /^\.It /)' "$TOP/man/$1" |
		grep -o 'Fl -[A-Za-z0-9][A-Za-z0-9.-]*' | sed 's/^Fl -//' |
		sort -u
}

# help_options CMD...: the long options `tlsprobe CMD --help` lists.
help_options() {
	"$TLSPROBE" "$@" --help | grep -o -- '--[A-Za-z0-9][A-Za-z0-9.-]*' |
		sed 's/^--//' | sort -u
}

# program_rejects CMD... -- NAME: the program calls --NAME unrecognized or
# ambiguous (run in a scratch directory: an option's argument names files).
program_rejects() {
	local args=() name
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	name=$2
	(cd "$BATS_TEST_TMPDIR" && timeout 5 "$TLSPROBE" "${args[@]}" \
		"--$name" --zz-stop </dev/null 2>&1 >/dev/null) |
		grep -Eq "(unrecognized|ambiguous) option '--$name'"
}

# missing WHAT FROM IN: the lines of the list FROM that the list IN lacks,
# each reported as "WHAT: --NAME"; status 1 when there are any.
missing() {
	local name rc=0
	while read -r name; do
		[ -n "$name" ] || continue
		if ! grep -qxF -- "$name" <<<"$3"; then
			echo "# $1: --$name" >&2
			rc=1
		fi
	done <<<"$2"
	return "$rc"
}

# check CMD-WORDS TABLE PAGE [table-only]: the three lists agree; with
# table-only, only that the table's options are documented (a command
# whose man page and --help are those of its subcommand).
check() {
	local cmd=$1 table=$2 page=$3 man help rc=0 name
	local -a words
	read -r -a words <<<"$cmd"
	man=$(man_options "$page")
	help=$(help_options "${words[@]}")
	missing "accepted by '$cmd', not in $page" "$table" "$man" || rc=1
	missing "accepted by '$cmd', not in its --help" "$table" "$help" || rc=1
	if [ "${4:-}" != table-only ]; then
		missing "in $page, not accepted by '$cmd'" "$man" "$table" || rc=1
		missing "in '$cmd --help', not accepted" "$help" "$table" || rc=1
	fi
	# The source's table is what the program runs.
	while read -r name; do
		if program_rejects "${words[@]}" -- "$name"; then
			echo "# in the table, but '$cmd' rejects --$name" >&2
			rc=1
		fi
	done <<<"$table"
	return "$rc"
}

@test "the lists are read: each command's table, man page and --help have options" {
	[ "$(table_options "$TOP/cli/connect/options.c" | wc -l)" -gt 30 ]
	[ "$(table_options "$TOP/cli/serve/options.c" | wc -l)" -gt 10 ]
	[ "$(table_options "$TOP/cli/probe/options.c" | wc -l)" -gt 10 ]
	[ "$(probe_options | wc -l)" -ge 1 ]
	[ "$(man_options tlsprobe.1 | wc -l)" -gt 30 ]
	[ "$(man_options tlsprobe-probe.1 | wc -l)" -gt 10 ]
	[ "$(help_options connect | wc -l)" -gt 30 ]
	# And an option that is not there is found missing.
	run ! missing test "no-such-option" "$(man_options tlsprobe.1)"
	program_rejects connect -- no-such-option
}

@test "connect: option table, tlsprobe(1) and --help agree" {
	check connect "$(table_options "$TOP/cli/connect/options.c")" tlsprobe.1
}

@test "serve: option table, tlsprobe-serve(1) and --help agree" {
	check serve "$(table_options "$TOP/cli/serve/options.c")" \
		tlsprobe-serve.1
}

@test "probe reneg: option table, tlsprobe-probe(1) and --help agree" {
	check "probe reneg" "$(table_options "$TOP/cli/probe/options.c")" \
		tlsprobe-probe.1
}

@test "probe: its own options are in tlsprobe-probe(1) and its --help" {
	check probe "$(probe_options)" tlsprobe-probe.1 table-only
}

@test "s_client's -ign_eof, -no_ign_eof, -verify_return_error: accepted and ignored, with no option of ours behind them" {
	# Port 1: nothing listens there (a refused connection is exit 3).
	local port=1
	# Ignored wherever they stand, also before an option's argument.
	run -3 --separate-stderr timeout 10 "$TLSPROBE" -ign_eof \
		-no_ign_eof -servername localhost -verify_return_error \
		-connect "127.0.0.1:$port" </dev/null
	[[ $stderr == *"cannot connect to 127.0.0.1 port $port"* ]]
	run -2 --separate-stderr "$TLSPROBE" --s-client-noop "127.0.0.1:$port"
	[[ $stderr == *"unrecognized option '--s-client-noop'"* ]]
}
