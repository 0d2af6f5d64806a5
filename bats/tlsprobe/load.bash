# shellcheck shell=bash
# tlsprobe's bats library: TLS checks for your own bats suites.
#
# Installed as PREFIX/lib/bats/tlsprobe/load.bash, beside Debian's
# bats-support and bats-assert; load it with
#
#   bats_load_library tlsprobe
#
# (bats-core 1.5+; bats looks in $BATS_LIB_PATH, /usr/lib/bats by default,
# so an install elsewhere needs BATS_LIB_PATH=PREFIX/lib/bats). Example:
#
#   @test "www speaks TLS 1.3 and refuses client renegotiation" {
#           tls_connect --tls1.3 www.example.org:443
#           assert_tls_ok
#           assert_tls_field connection.protocol TLSv1.3
#           tls_probe_reneg www.example.org:443
#           assert_reneg_verdict client_initiated rejected
#   }
#
# Settings (environment):
#   TLSPROBE        the program (default: tlsprobe from PATH)
#   TLS_INPUT       text sent to the server on standard input (default:
#                   nothing, so the run is a handshake check)
#   TLS_INPUT_FILE  a file sent instead
#   TLS_TIMEOUT     seconds a run may take before it is killed (default 60;
#                   status 124 then)
#
# After tls_connect and tls_probe_reneg, as after bats's `run
# --separate-stderr`: $status, $output (standard output: the server's data,
# or the probe's text report) and ${lines[@]}, $stderr and
# ${stderr_lines[@]}, and $tls_json, the JSON report. Assertions print what
# was expected, what was found and tlsprobe's standard error, and fail, as
# bats-assert's do. JSON is read with jq.

# tls_connect [TLSPROBE OPTIONS] TARGET: a `tlsprobe connect` run.
tls_connect() {
	_tls_run connect "$@"
}

# tls_probe_reneg [PROBE OPTIONS] TARGET: a `tlsprobe probe reneg` run.
tls_probe_reneg() {
	_tls_run "probe reneg" "$@"
}

# assert_tls_ok: the last run exited 0.
assert_tls_ok() {
	assert_tls_exit 0
}

# assert_tls_exit N: the last run exited N (see tlsprobe(1), EXIT STATUS:
# 5 verification, 8 an :expect not matched...).
assert_tls_exit() {
	_tls_need_run assert_tls_exit || return
	if [ "$#" -ne 1 ]; then
		_tls_fail "assert_tls_exit: want one status, got $#"
		return
	fi
	[ "${status}" = "$1" ] && return 0
	_tls_fail "tlsprobe exit status differs" \
		expected "$1" actual "$status"
}

# assert_tls_field DOTTED.PATH VALUE: a field of the JSON report, as text
# (strings as they are, anything else as JSON: true, 3, null).
# Example: assert_tls_field connection.protocol TLSv1.3
assert_tls_field() {
	_tls_need_run assert_tls_field || return
	_tls_need_jq assert_tls_field || return
	if [ "$#" -ne 2 ]; then
		_tls_fail "assert_tls_field: want PATH VALUE, got $# arguments"
		return
	fi
	_tls_compare "JSON field differs" "$1" "$2" "$(_tls_get "$1")"
}

# assert_reneg_verdict NAME VALUE: a verdict of the last tls_probe_reneg
# (secure_renegotiation, client_initiated, server_initiated, midstream,
# tls13_key_update; see tlsprobe-probe(1), VERDICTS).
# Example: assert_reneg_verdict client_initiated rejected
assert_reneg_verdict() {
	_tls_need_run assert_reneg_verdict || return
	_tls_need_jq assert_reneg_verdict || return
	if [ "$#" -ne 2 ]; then
		_tls_fail "assert_reneg_verdict: want NAME VALUE, got $# arguments"
		return
	fi
	_tls_compare "renegotiation verdict differs" "verdicts.$1" "$2" \
		"$(_tls_get "verdicts.$1")"
}

# --- internals ------------------------------------------------------------

# _tls_run SUBCOMMAND ARGS...: runs tlsprobe with --json into a temporary
# file and sets the variables described at the top.
_tls_run() {
	local sub=$1 dir in rc=0
	shift
	dir=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/tls.XXXXXX") ||
		return
	in=/dev/null
	if [ -n "${TLS_INPUT_FILE:-}" ]; then
		in=$TLS_INPUT_FILE
	elif [ -n "${TLS_INPUT+set}" ]; then
		printf '%s' "$TLS_INPUT" >"$dir/stdin"
		in=$dir/stdin
	fi
	# shellcheck disable=SC2086 # "probe reneg" is two words
	timeout -k 5 "${TLS_TIMEOUT:-60}" "${TLSPROBE:-tlsprobe}" $sub \
		--json "$dir/report.json" "$@" <"$in" >"$dir/stdout" \
		2>"$dir/stderr" 3>&- || rc=$?
	# The results, for the caller (bats's names) and the assertions.
	# shellcheck disable=SC2034
	status=$rc
	# shellcheck disable=SC2034
	output=$(cat "$dir/stdout")
	stderr=$(cat "$dir/stderr")
	tls_json=$(cat "$dir/report.json" 2>/dev/null || true)
	# shellcheck disable=SC2034
	mapfile -t lines <"$dir/stdout"
	# shellcheck disable=SC2034
	mapfile -t stderr_lines <"$dir/stderr"
	_tls_command="${TLSPROBE:-tlsprobe} $sub $*"
	if [ "$rc" -eq 124 ]; then
		stderr+=$'\n'"(killed after ${TLS_TIMEOUT:-60} s: TLS_TIMEOUT)"
	fi
	return 0
}

_tls_need_run() {
	[ -n "${_tls_command:-}" ] && return 0
	_tls_fail "$1: no tls_connect or tls_probe_reneg ran in this test"
}

# jq reads the JSON report; the Debian package only recommends it, so an
# install without recommendations has none.
_tls_need_jq() {
	command -v jq >/dev/null && return 0
	_tls_fail "$1: jq not found" \
		need "jq, to read tlsprobe's JSON report (Debian: apt-get install jq)"
}

# _tls_get DOTTED.PATH: the field of $tls_json, or "(no JSON report)".
_tls_get() {
	if [ -z "${tls_json:-}" ]; then
		echo "(no JSON report)"
		return
	fi
	jq -r --arg p "$1" 'getpath($p | split(".") | map(if test("^[0-9]+$")
		then tonumber else . end)) | if type == "string" then .
		else tojson end' <<<"$tls_json" 2>&1
}

# _tls_compare TITLE PATH WANT GOT
_tls_compare() {
	[ "$3" = "$4" ] && return 0
	_tls_fail "$1" field "$2" expected "$3" actual "$4"
}

# _tls_fail TITLE [KEY VALUE]...: bats-assert's failure format on stderr:
# "-- TITLE --", aligned "key : value" lines (multi-line values indented
# below their key), the command and tlsprobe's stderr, "--"; returns 1.
_tls_fail() {
	local title=$1
	shift
	{
		echo "-- $title --"
		while [ "$#" -ge 2 ]; do
			_tls_kv "$1" "$2"
			shift 2
		done
		if [ -n "${_tls_command:-}" ]; then
			_tls_kv command "$_tls_command"
			_tls_kv status "$status"
			_tls_kv stderr "${stderr:-(empty)}"
		fi
		echo "--"
	} >&2
	return 1
}

_tls_kv() {
	case $2 in
	*$'\n'*)
		printf '%s (%d lines):\n' "$1" "$(printf '%s\n' "$2" | wc -l)"
		printf '%s\n' "$2" | sed 's/^/  /'
		;;
	*) printf '%-8s : %s\n' "$1" "$2" ;;
	esac
}
