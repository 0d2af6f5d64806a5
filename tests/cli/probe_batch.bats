#!/usr/bin/env bats
# tlsprobe probe reneg --targets FILE --jobs N: one JSON line per target,
# in the file's order, failures as lines of their own, the exit status,
# per-line options, and concurrent probes giving the verdicts of serial
# ones.

# shellcheck disable=SC2034,SC2154 # status, OUT, TP_* are set by helpers
bats_require_minimum_version 1.5.0
load ../helpers/peers
load ../helpers/probe_peers

setup_file() {
	tp_setup_file
	# Servers that take many connections at once (not s_server): a batch
	# with --jobs probes several of them together.
	tp_start_tlsprobe_serve allow
	export ALLOW_PORT=$TP_PORT
	tp_start_tlsprobe_serve refuse --client-reneg refuse
	export REFUSE_PORT=$TP_PORT
	tp_start_tlsprobe_serve limit2 --client-reneg limit:2
	export LIMIT2_PORT=$TP_PORT
	tp_start_gnutls_serv gnutls --echo
	export GNUTLS_PORT=$TP_PORT
	tp_start_nginx nginx
	export NGINX_PORT=$TP_PORT
	tp_start_fake garbage garbage
	export GARBAGE_PORT=$TP_PORT
	tp_start_s_server_with wrongname wrongname -tls1_2
	export WRONGNAME_PORT=$TP_PORT
	export CLOSED_PORT
	CLOSED_PORT=$(tp_free_port)
	# One CA for all: the serve instances each wrote their own.
	cat "$CERTS/ca.pem" "$TP_DIR"/allow-ca.pem "$TP_DIR"/refuse-ca.pem \
		"$TP_DIR"/limit2-ca.pem >"$TP_DIR/all-ca.pem"
	# Good and failing targets, with comments and blank lines.
	cat >"$TP_DIR/targets" <<EOF
# tlsprobe probe batch test
localhost:$ALLOW_PORT
localhost:$REFUSE_PORT   # refuses every renegotiation

localhost:$LIMIT2_PORT
nonexistent.invalid:443
localhost:$GNUTLS_PORT
127.0.0.1:$CLOSED_PORT
localhost:$GARBAGE_PORT
localhost:$NGINX_PORT
localhost:$WRONGNAME_PORT
EOF
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

# batch_run ARGS...: tlsprobe probe reneg --targets with the test CA and
# short settings (stdout in $OUT).
batch_run() {
	TP_LIMIT=120 tp_probe probe reneg --ca-file "$TP_DIR/all-ca.pem" \
		--attempts 3 --hello-wait 200 --timeout 3 "$@"
}

# batch_fields FILE: per line, host:port, then the verdicts or the error's
# exit status, tab-separated.
batch_fields() {
	python3 - "$1" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    t = o["target"]
    if o["error"] is not None:
        what = "error=%d" % o["exit_status"]
    else:
        v = o["verdicts"]
        what = " ".join("%s=%s" % (k, v[k]) for k in sorted(v))
    print("%s:%s\t%s" % (t["host"], t["port"], what))
EOF
}

@test "--targets: one JSON line per target, in the file's order, failures included" {
	batch_run --targets "$TP_DIR/targets" --jobs 4
	# Nothing held for --fail-on, but targets failed: 8.
	[ "$status" -eq 8 ]
	[ "$(wc -l <"$OUT")" -eq 9 ]
	batch_fields "$OUT" >"$TP_DIR/fields"
	sed 's/^/# /' "$TP_DIR/fields" >&2
	cut -f1 "$TP_DIR/fields" >"$TP_DIR/order"
	grep -v '^#' "$TP_DIR/targets" | sed 's/ *#.*//' | awk 'NF' |
		diff - "$TP_DIR/order"
	grep -q "^localhost:$ALLOW_PORT	.*client_initiated=accepted" \
		"$TP_DIR/fields"
	grep -q "^localhost:$REFUSE_PORT	.*client_initiated=rejected" \
		"$TP_DIR/fields"
	grep -q "^localhost:$LIMIT2_PORT	.*client_initiated=limited_after_n" \
		"$TP_DIR/fields"
	grep -q "^localhost:$GNUTLS_PORT	.*client_initiated=accepted" \
		"$TP_DIR/fields"
	grep -q "^localhost:$NGINX_PORT	.*client_initiated=rejected" \
		"$TP_DIR/fields"
	# Unresolvable and refused: 3; not TLS: 4; a wrong certificate: 5.
	grep -q "^nonexistent.invalid:443	error=3$" "$TP_DIR/fields"
	grep -q "^127.0.0.1:$CLOSED_PORT	error=3$" "$TP_DIR/fields"
	grep -q "^localhost:$GARBAGE_PORT	error=4$" "$TP_DIR/fields"
	grep -q "^localhost:$WRONGNAME_PORT	error=5$" "$TP_DIR/fields"
	# The error says why, and nothing but the lines is on stdout.
	grep -q '"error": "cannot probe: .*Connection refused' "$OUT"
}

@test "--targets exit status: 1 when a --fail-on verdict held anywhere, 0 when all probed and none held" {
	batch_run --targets "$TP_DIR/targets" --jobs 4 --fail-on limited_after_n
	[ "$status" -eq 1 ]
	tp_stderr_has '--fail-on limited_after_n matched for 1 of 9 targets'
	grep "localhost:$ALLOW_PORT\|localhost:$REFUSE_PORT" "$TP_DIR/targets" \
		>"$TP_DIR/good"
	batch_run --targets "$TP_DIR/good" --jobs 2 --fail-on limited_after_n
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$OUT")" -eq 2 ]
	batch_run --targets "$TP_DIR/good" --jobs 2 --fail-on accepted
	[ "$status" -eq 1 ]
	# --json FILE takes the lines instead of stdout.
	batch_run --targets "$TP_DIR/good" --jobs 2 --json "$TP_DIR/good.jsonl"
	[ "$status" -eq 0 ]
	[ ! -s "$OUT" ]
	[ "$(wc -l <"$TP_DIR/good.jsonl")" -eq 2 ]
}

@test "--targets --json: never through a link, checked before any probe (exit 2)" {
	local target=$BATS_TEST_TMPDIR/elsewhere
	echo untouched >"$target"
	ln -s "$target" "$BATS_TEST_TMPDIR/link.jsonl"
	batch_run --targets "$TP_DIR/targets" --json "$BATS_TEST_TMPDIR/link.jsonl"
	[ "$status" -eq 2 ]
	[ "$(cat "$target")" = untouched ]
	tp_stderr_has "--json '$BATS_TEST_TMPDIR/link.jsonl'"
	[ "$(wc -l <"$ERR")" -eq 1 ]
}

@test "--jobs 6 and --jobs 1 give the same verdicts line by line, and each line the single probe's" {
	batch_run --targets "$TP_DIR/targets" --jobs 6
	batch_fields "$OUT" >"$TP_DIR/jobs6"
	batch_run --targets "$TP_DIR/targets" --jobs 1
	batch_fields "$OUT" >"$TP_DIR/jobs1"
	diff "$TP_DIR/jobs1" "$TP_DIR/jobs6"
	# Single probes of the good targets, in a JSON Lines file of their own.
	: >"$TP_DIR/single"
	for port in "$ALLOW_PORT" "$REFUSE_PORT" "$LIMIT2_PORT" "$GNUTLS_PORT" \
		"$NGINX_PORT"; do
		TP_LIMIT=60 tp_probe probe reneg --ca-file "$TP_DIR/all-ca.pem" \
			--attempts 3 --hello-wait 200 --timeout 3 --json - \
			"localhost:$port"
		python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)))' \
			<"$OUT" >>"$TP_DIR/single"
	done
	batch_fields "$TP_DIR/single" >"$TP_DIR/single.fields"
	grep -v error= "$TP_DIR/jobs6" | diff "$TP_DIR/single.fields" -
}

@test "per-line options: --servername, --starttls, a quoted --request; --targets - reads stdin" {
	tp_start_s_server smtp_backend -tls1_2 -client_renegotiation
	tp_start_starttls_front smtp smtp "$TP_PORT"
	local smtp=$TP_PORT
	cat >"$TP_DIR/perline" <<EOF
127.0.0.1:$ALLOW_PORT --servername localhost
localhost:$smtp --starttls smtp   # mail, '#' and quotes in a comment
localhost:$smtp --starttls=pop3
localhost:$NGINX_PORT --request 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'
localhost:$NGINX_PORT
EOF
	TP_IN=$TP_DIR/perline batch_run --targets - --jobs 2
	[ "$status" -eq 8 ]
	batch_fields "$OUT" >&2
	probe_json_line() { sed -n "${1}p" "$OUT" >"$TP_DIR/line.json"; }
	probe_json_line 1
	JSON=$TP_DIR/line.json
	probe_expect target.servername localhost
	probe_expect verdicts.client_initiated accepted
	probe_json_line 2
	probe_expect target.starttls smtp
	probe_expect verdicts.client_initiated accepted
	# The SMTP front does not speak POP3: that line fails alone.
	probe_json_line 3
	probe_expect target.starttls pop3
	probe_expect exit_status 4
	# Its own request: nginx answers it after each refusal; the next
	# line has none.
	probe_json_line 4
	probe_expect settings.request true
	probe_expect renegotiation.client_initiated.attempts.0.alive true
	probe_json_line 5
	probe_expect settings.request false
}

@test "a bad line is a usage error naming FILE:LINE, before any probe" {
	printf 'localhost:%s\nlocalhost:99999\n' "$ALLOW_PORT" >"$TP_DIR/bad"
	batch_run --targets "$TP_DIR/bad"
	[ "$status" -eq 2 ]
	tp_stderr_has "$TP_DIR/bad:2:"
	[ ! -s "$OUT" ]
	printf 'localhost:%s --cert x\n' "$ALLOW_PORT" >"$TP_DIR/bad"
	batch_run --targets "$TP_DIR/bad"
	[ "$status" -eq 2 ]
	tp_stderr_has "$TP_DIR/bad:1: unknown option"
	printf 'localhost:%s --request "GET /\n' "$ALLOW_PORT" >"$TP_DIR/bad"
	batch_run --targets "$TP_DIR/bad"
	[ "$status" -eq 2 ]
	tp_stderr_has "$TP_DIR/bad:1: unterminated quote"
	batch_run --targets "$TP_DIR/nonexistent"
	[ "$status" -eq 2 ]
	tp_probe probe reneg --jobs 2 "localhost:$ALLOW_PORT"
	[ "$status" -eq 2 ]
	tp_probe probe reneg --targets "$TP_DIR/targets" "localhost:$ALLOW_PORT"
	[ "$status" -eq 2 ]
	tp_probe probe reneg --targets "$TP_DIR/targets" --jobs 0
	[ "$status" -eq 2 ]
}

@test "progress: one line on stderr when it is a terminal, nothing otherwise" {
	grep "localhost:$ALLOW_PORT\|localhost:$REFUSE_PORT" "$TP_DIR/targets" \
		>"$TP_DIR/good"
	batch_run --targets "$TP_DIR/good" --jobs 2
	[ "$status" -eq 0 ]
	[ ! -s "$ERR" ]
	command -v script >/dev/null || skip "no script(1) for a terminal"
	# script(1) gives the command a terminal; stdout still goes to a file.
	script -qec "$TLSPROBE probe reneg --ca-file $TP_DIR/all-ca.pem \
		--attempts 2 --hello-wait 200 --targets $TP_DIR/good --jobs 2 \
		>$TP_DIR/tty.out" "$TP_DIR/typescript" >/dev/null </dev/null
	[ "$(wc -l <"$TP_DIR/tty.out")" -eq 2 ]
	grep -q '2/2 done, 0 failed, 0 running' "$TP_DIR/typescript"
}
