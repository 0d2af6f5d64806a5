#!/usr/bin/env bats
# tlsprobe probe reneg --json: the layout tlsprobe-probe(1) JSON REPORT
# documents, and the connect command's names, units and formats for the
# facts both reports have: schema_version, started_at, a numeric port,
# exit_status and error, timings in ms with three decimals, SNI as sent.

# shellcheck disable=SC2034,SC2153,SC2154 # status, JSON, TP_* are set by helpers
# shellcheck disable=SC2016,SC2030,SC2031 # jq programs in single quotes;
# each test sets JSON for its own checks
bats_require_minimum_version 1.5.0
load ../helpers/peers
load ../helpers/probe_peers

setup_file() {
	tp_setup_file
	probe_start_sni_server
	tp_start_tlsprobe_serve serve
	export SERVE_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

# A short probe of the tlsprobe serve peer (TLS 1.2 and 1.3).
probe_serve() {
	probe_run serve "$TP_DIR/serve-ca.pem" "$SERVE_PORT" --attempts 2 \
		--hello-wait 200 "$@"
}

@test "head: schema_version 2, tool, version, started_at in ISO 8601 UTC, a numeric port" {
	local before after started
	before=$(date -u +%s)
	probe_serve
	after=$(date -u +%s)
	[ "$status" -eq 0 ]
	tp_json_is '.schema_version == 2 and .tool == "tlsprobe" and
		.probe == "reneg" and (.version | type) == "string"'
	tp_json_is '.started_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z$")'
	started=$(jq '.started_at | sub("[.][0-9]+Z$"; "Z") | fromdateiso8601' \
		"$JSON")
	[ "$started" -ge "$before" ] && [ "$started" -le "$after" ]
	tp_json_is ".target.port == $SERVE_PORT"
	tp_json_is '.target.host == "localhost" and .target.peer_addr == "127.0.0.1:'"$SERVE_PORT"'"'
	tp_json_is '.exit_status == 0 and .error == null'
}

@test "exit_status is the run's: 1 when a --fail-on verdict held" {
	probe_serve --fail-on accepted
	[ "$status" -eq 1 ]
	tp_json_is '.verdicts.client_initiated == "accepted" and .exit_status == 1'
}

@test "timing: the run's total, and each connection's phases in ms with three decimals" {
	probe_serve
	[ "$status" -eq 0 ]
	tp_json_is '[.connections[].purpose] | contains(["client_initiated",
		"server_initiated", "key_update"])'
	tp_json_is '.connections_unlisted == 0'
	# Phases in order, from the connection's start; no data was asked for.
	tp_json_is 'all(.connections[].timing; .resolve_ms >= 0 and
		.connect_ms >= .resolve_ms and .handshake_ms >= .connect_ms and
		.total_ms >= .handshake_ms)'
	# One connection after the other, all within the run.
	tp_json_is '.timing.total_ms >= ([.connections[].timing.total_ms] | add)'
	# Three decimals, as the connect command writes them.
	grep -Eq '"handshake_ms": [0-9]+[.][0-9]{3},$' "$JSON"
	grep -Eq '"total_ms": [0-9]+[.][0-9]{3}$' "$JSON"
	[ "$(grep -c '"ms":' "$JSON")" -eq 0 ]
}

@test "attempts: start_ms and end_ms from the connection's start, and duration_ms" {
	probe_serve
	[ "$status" -eq 0 ]
	tp_json_is '.renegotiation.client_initiated.attempts | length == 2'
	tp_json_is 'all(.renegotiation.client_initiated.attempts[];
		(.end_ms - .start_ms - .duration_ms) as $d |
		$d < 0.002 and $d > -0.002 and .duration_ms > 0)'
	# The first starts after the handshake, the second after the first.
	tp_json_is '(.connections[] | select(.purpose == "client_initiated") |
		.timing.handshake_ms) as $h |
		.renegotiation.client_initiated.attempts as $a |
		$a[0].start_ms >= $h and $a[1].start_ms >= $a[0].end_ms'
	tp_json_is '(.tls13.key_update.duration_ms | type) == "number" and
		.tls13.key_update.key_updates_sent >= 1 and
		.tls13.key_update.key_updates_received >= 1'
}

@test "SNI as sent: --servername NAME on every connection; a connection that failed says why" {
	probe_run sni "$CERTS/ca.pem" "$SNI_PORT" --attempts 2 \
		--hello-wait 200 --servername wrong.example
	[ "$status" -eq 0 ]
	tp_json_is '.target.servername == "wrong.example"'
	tp_json_is '[.connections[] | select(.protocol != null) | .sni] |
		length >= 2 and all(. == "wrong.example")'
	# TLS 1.2 only: the TLS 1.3 connection has timings up to the TCP
	# connect, and its error.
	tp_json_is '.connections[] | select(.purpose == "key_update") |
		.protocol == null and .sni == null and (.error | length) > 0 and
		.timing.connect_ms >= 0 and .timing.handshake_ms == null'
}

@test "SNI as sent: none to an IP address (the server would end a wrong one), null as connect says" {
	JSON=$BATS_TEST_TMPDIR/ip.json
	tp_probe probe reneg --attempts 2 --hello-wait 200 \
		--ca-file "$CERTS/ca.pem" --json "$JSON" "127.0.0.1:$SNI_PORT"
	[ "$status" -eq 0 ]
	tp_json_is '.target.servername == null'
	tp_json_is '[.connections[] | select(.protocol != null)] | length >= 2 and
		all(.sni == null)'
	tp_json_is '.renegotiation.secure_renegotiation.extension == "supported"'
	tp_probe connect --json "$BATS_TEST_TMPDIR/c.json" \
		--ca-file "$CERTS/ca.pem" "127.0.0.1:$SNI_PORT"
	[ "$status" -eq 0 ]
	tp_json_is '.servername == null and .connection.sni == null' \
		"$BATS_TEST_TMPDIR/c.json"
}

@test "the connect command's names for the same facts" {
	probe_serve
	[ "$status" -eq 0 ]
	tp_probe connect --json "$BATS_TEST_TMPDIR/c.json" \
		--ca-file "$TP_DIR/serve-ca.pem" "localhost:$SERVE_PORT"
	[ "$status" -eq 0 ]
	jq -e -n --slurpfile c "$BATS_TEST_TMPDIR/c.json" \
		--slurpfile p "$JSON" '$c[0] as $c | $p[0] as $p |
		($p.connections[] | select(.purpose == "key_update")) as $k |
		$p.tool == $c.tool and $p.version == $c.version and
		($p.schema_version | type) == ($c.schema_version | type) and
		($p.exit_status | type) == ($c.exit_status | type) and
		$p.target.host == $c.host and $p.target.port == $c.port and
		$p.target.servername == $c.servername and
		$p.target.starttls == $c.starttls and
		$k.protocol == $c.connection.protocol and
		$k.cipher == $c.connection.cipher and
		$k.sni == $c.connection.sni and
		$k.peer_addr == $c.connection.peer_addr and
		($k.timing | keys) == ($c.timing | keys -
			["renegotiations", "renegotiations_untimed"])' >/dev/null
}

@test "a target that cannot be probed: the report too, with exit_status, error and the connection tried" {
	local port
	port=$(tp_free_port)
	JSON=$BATS_TEST_TMPDIR/closed.json
	tp_probe probe reneg --ca-file "$CERTS/ca.pem" --json "$JSON" \
		"127.0.0.1:$port"
	[ "$status" -eq 3 ]
	tp_stderr_has 'cannot probe: '
	tp_json_is ".schema_version == 2 and .target.port == $port and
		.exit_status == 3"
	tp_json_is '.error | startswith("cannot probe: ")'
	tp_json_is '.connections[0] | .purpose == "client_initiated" and
		(.error | length) > 0 and .timing.resolve_ms >= 0 and
		.timing.connect_ms == null'
}

@test "--json PATH that cannot be written: exit 2, one line, before connecting" {
	local port
	port=$(tp_free_port) # nothing listens: connecting first would be 3
	tp_probe probe reneg --json "$BATS_TEST_TMPDIR/no/such/dir/r.json" \
		"127.0.0.1:$port"
	[ "$status" -eq 2 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	tp_stderr_has "^tlsprobe probe: --json '.*/no/such/dir/r.json': .*No such file"
	tp_probe probe reneg --json "$BATS_TEST_TMPDIR" "127.0.0.1:$port"
	[ "$status" -eq 2 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	tp_stderr_has 'directory'
}

@test "the report is written whole, never through a link" {
	local port target=$BATS_TEST_TMPDIR/elsewhere
	port=$(tp_free_port)
	echo untouched >"$target"
	ln -s "$target" "$BATS_TEST_TMPDIR/link.json"
	tp_probe probe reneg --json "$BATS_TEST_TMPDIR/link.json" \
		"127.0.0.1:$port"
	[ "$status" -eq 2 ]
	[ "$(cat "$target")" = untouched ]
}
