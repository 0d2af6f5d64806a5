#!/usr/bin/env bats
# The report says what was sent and received, and when (issue 13 items 4,
# 6, 7): SNI as it went out (tshark on --pcap; a server that refuses any
# SNI but its own name), session tickets that agree between the text and
# --json, timings in both, and a --json report for every exit status.
# No timing is asserted: figures are checked for presence, order and
# agreement between the text and the JSON only.

# shellcheck disable=SC2034,SC2154,SC2016 # TP_IN, status, OUT, ERR are read or set
# by tests/helpers/peers.bash and by bats; $ in single quotes is jq's.
bats_require_minimum_version 1.5.0
load ../helpers/peers
load ../helpers/probe_peers

setup_file() {
	tp_setup_file
	# Refuses (fatal unrecognized_name) any SNI but other.example, so a
	# connection it accepts sent no SNI, or that one.
	tp_start_s_server sni -www -servername other.example \
		-servername_fatal -cert2 "$CERTS/leaf.pem" \
		-key2 "$CERTS/leaf.key"
	export SNI_PORT=$TP_PORT
	tp_start_s_server rev13 -tls1_3 -rev -alpn h2
	export REV13_PORT=$TP_PORT
	tp_start_s_server reneg12 -tls1_2 -rev
	export RENEG12_PORT=$TP_PORT
	# Its stdin is sent to us; "r" sends a HelloRequest.
	tp_start_s_server driver12 -tls1_2 -client_renegotiation
	export DRIVER12_PORT=$TP_PORT
	tp_start_gnutls_serv gnutls12 --echo --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2'
	export GNUTLS12_PORT=$TP_PORT
	tp_start_nginx nginx
	export NGINX_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

# sni_on_wire PCAP: the server_name of the ClientHello tshark reads from
# PCAP, empty when it has none.
sni_on_wire() {
	env -u SSLKEYLOGFILE tshark -r "$1" -Y 'tls.handshake.type == 1' \
		-T fields -e tls.handshake.extensions_server_name 2>/dev/null
}

need_tshark() {
	command -v tshark >/dev/null ||
		skip "no tshark (Debian package tshark; scripts/setup)"
}

# json_is FILE JQ-EXPR: the expression holds for the report (prints the
# report when it does not).
json_is() {
	tp_json_is "$2" "$1"
}

# The fields every report has, whatever the exit status.
check_report() {
	local f=$1 st=$2
	[ -s "$f" ] || {
		echo "# no report $f" >&2
		return 1
	}
	json_is "$f" ".schema_version == 2 and .exit_status == $st"
	json_is "$f" '.port | type == "number"'
	json_is "$f" '.started_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")'
	json_is "$f" '.timing | keys == ["connect_ms", "first_byte_ms", "handshake_ms", "renegotiations", "renegotiations_untimed", "resolve_ms", "starttls_ms", "total_ms"]'
	if [ "$st" -eq 0 ]; then
		json_is "$f" '.error == null and (.connection | type == "object")'
	else
		json_is "$f" '.error | type == "string" and length > 0'
	fi
}

# timing_line WHICH: the figures of the last (or first) Timing: line of
# stderr, as "resolve connect starttls handshake first_byte total" ("null"
# for a phase not reached or not printed).
timing_line() {
	local line
	if [ "$1" = last ]; then
		line=$(grep '^Timing:' "$ERR" | tail -n 1)
	else
		line=$(grep '^Timing:' "$ERR" | head -n 1)
	fi
	local phase v out=
	for phase in resolve connect starttls handshake 'first byte' total; do
		v=$(printf '%s\n' "$line" |
			sed -nE "s/.*[:,] $phase ([0-9.]+) ms.*/\\1/p")
		out="$out ${v:-null}"
	done
	echo "${out# }"
}

# The same figures from a report, to 3 decimals as the text has them.
timing_json() {
	jq -r '.timing | [.resolve_ms, .connect_ms, .starttls_ms, .handshake_ms,
		.first_byte_ms, .total_ms] |
		map(if . == null then "null" else
			(. * 1000 | round | tostring |
			 if length < 4 then ("000" + .)[-4:] else . end |
			 .[:-3] + "." + .[-3:]) end) | join(" ")' "$1"
}

@test "--noservername: no SNI on the wire (tshark), none in the summary or the report" {
	need_tshark
	tp_probe --noservername --ca-file "$CERTS/ca.pem" \
		--pcap "$BATS_TEST_TMPDIR/c.pcapng" \
		--json "$BATS_TEST_TMPDIR/r.json" "localhost:$SNI_PORT"
	[ "$status" -eq 0 ]
	[ -z "$(sni_on_wire "$BATS_TEST_TMPDIR/c.pcapng")" ]
	grep -qx 'SNI: none (--noservername)' "$ERR"
	json_is "$BATS_TEST_TMPDIR/r.json" \
		'.connection.sni == null and .servername == null'
}

@test "an IP address: no SNI on the wire (tshark), none in the summary or the report" {
	need_tshark
	tp_probe --ca-file "$CERTS/ca.pem" --pcap "$BATS_TEST_TMPDIR/c.pcapng" \
		--json "$BATS_TEST_TMPDIR/r.json" "127.0.0.1:$SNI_PORT"
	[ "$status" -eq 0 ]
	[ -z "$(sni_on_wire "$BATS_TEST_TMPDIR/c.pcapng")" ]
	grep -Eqx 'SNI: none \(an IP address.*\)' "$ERR"
	run ! grep -q 'SNI: 127' "$ERR"
	json_is "$BATS_TEST_TMPDIR/r.json" \
		'.connection.sni == null and .servername == null'
}

@test "a host name: the SNI on the wire (tshark) is the one reported, and the server saw it" {
	need_tshark
	tp_probe --ca-file "$CERTS/ca.pem" --pcap "$BATS_TEST_TMPDIR/c.pcapng" \
		--json "$BATS_TEST_TMPDIR/r.json" "localhost:$SNI_PORT"
	# The server refuses the name it does not serve: it received it.
	[ "$status" -eq 4 ]
	tp_stderr_has 'unrecognized_name'
	[ "$(sni_on_wire "$BATS_TEST_TMPDIR/c.pcapng")" = localhost ]
	json_is "$BATS_TEST_TMPDIR/r.json" '.servername == "localhost"'
	tp_probe --servername other.example --insecure --quiet \
		--json "$BATS_TEST_TMPDIR/r2.json" "localhost:$SNI_PORT"
	[ "$status" -eq 0 ]
	json_is "$BATS_TEST_TMPDIR/r2.json" \
		'.connection.sni == "other.example" and .servername == "other.example"'
}

@test "TLS 1.3 tickets after the summary: a line each, and the report's count agrees" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --ca-file "$CERTS/ca.pem" --json "$BATS_TEST_TMPDIR/r.json" \
		"localhost:$REV13_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	# What the summary counted, plus a line per ticket after it.
	local in_summary lines n
	in_summary=$(sed -nE 's/^Session tickets: ([0-9]+)$/\1/p' "$ERR")
	grep -Eq '^Session tickets: ([0-9]+|none yet .*)$' "$ERR"
	lines=$(grep -c '^Session ticket received' "$ERR" || true)
	n=$(jq .connection.session_tickets "$BATS_TEST_TMPDIR/r.json")
	echo "# summary ${in_summary:-0}, lines $lines, report $n" >&2
	# s_server sends two TLS 1.3 tickets.
	[ "$n" -eq 2 ]
	[ "$((${in_summary:-0} + lines))" -eq "$n" ]
	json_is "$BATS_TEST_TMPDIR/r.json" '.connection.session_ticket == true'
}

@test "TLS 1.2 ticket in the handshake (gnutls-serv): counted in the summary, as in the report" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --ca-file "$CERTS/ca.pem" --json "$BATS_TEST_TMPDIR/r.json" \
		"localhost:$GNUTLS12_PORT"
	[ "$status" -eq 0 ]
	grep -qx 'Session tickets: 1' "$ERR"
	run ! grep -q '^Session ticket received' "$ERR"
	json_is "$BATS_TEST_TMPDIR/r.json" \
		'.connection.session_tickets == 1 and .connection.protocol == "TLSv1.2"'
}

@test "--no-tickets: none, in the summary and the report" {
	tp_probe --no-tickets --ca-file "$CERTS/ca.pem" \
		--json "$BATS_TEST_TMPDIR/r.json" "localhost:$REV13_PORT"
	[ "$status" -eq 0 ]
	grep -qx 'Session tickets: none (--no-tickets)' "$ERR"
	json_is "$BATS_TEST_TMPDIR/r.json" \
		'.connection.session_tickets == 0 and .connection.session_ticket == false'
}

@test "timing: every phase, in order, the same figures in the Timing: lines and the report" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --ca-file "$CERTS/ca.pem" --json "$BATS_TEST_TMPDIR/r.json" \
		"localhost:$REV13_PORT"
	[ "$status" -eq 0 ]
	local f=$BATS_TEST_TMPDIR/r.json
	check_report "$f" 0
	json_is "$f" '.timing | [.resolve_ms, .connect_ms, .handshake_ms,
		.first_byte_ms, .total_ms] | all(type == "number")'
	json_is "$f" '.timing | .resolve_ms >= 0 and
		.resolve_ms <= .connect_ms and .connect_ms <= .handshake_ms and
		.handshake_ms <= .first_byte_ms and .first_byte_ms <= .total_ms'
	json_is "$f" '.timing.starttls_ms == null'
	run ! grep -q 'starttls' "$ERR"
	# Two Timing: lines: the summary's, then the end's with every figure.
	[ "$(grep -c '^Timing:' "$ERR")" -eq 2 ]
	local end summary want
	end=$(timing_line last)
	summary=$(timing_line first)
	want=$(timing_json "$f")
	echo "# text end: $end; summary: $summary; json: $want" >&2
	[ "$end" = "$want" ]
	# The summary's are the same (data may come before it or not).
	[ "$(echo "$summary" | cut -d' ' -f1-4)" = \
		"$(echo "$want" | cut -d' ' -f1-4)" ]
}

@test "timing: no data from the server: first byte null, and 'none' in the text" {
	tp_probe --ca-file "$CERTS/ca.pem" --json "$BATS_TEST_TMPDIR/r.json" \
		"localhost:$REV13_PORT"
	[ "$status" -eq 0 ]
	json_is "$BATS_TEST_TMPDIR/r.json" \
		'.timing.first_byte_ms == null and .timing.total_ms >= .timing.handshake_ms'
	grep '^Timing:' "$ERR" | tail -n 1 | grep -q 'first byte none'
}

@test "timing per renegotiation (ours, and one the server asks for), within the session" {
	local fifo=$BATS_TEST_TMPDIR/in
	mkfifo "$fifo"
	# Each step waits for the one before it: our :reneg done, the
	# server's HelloRequest answered, its data after it delivered; then
	# the end of input closes the session.
	{
		printf ':reneg\n'
		wait_for 10 grep -q '^Renegotiation done' "$BATS_TEST_TMPDIR/stderr"
		tp_tell driver12 r
		wait_for 10 grep -q 'renegotiation done.*peer' \
			"$BATS_TEST_TMPDIR/stderr"
		tp_tell driver12 after
		wait_for 10 grep -q '^after$' "$BATS_TEST_TMPDIR/stdout"
	} >"$fifo" 3>&- &
	local feeder=$!
	TP_IN=$fifo
	tp_probe --commands --msg --ca-file "$CERTS/ca.pem" \
		--json "$BATS_TEST_TMPDIR/r.json" "localhost:$DRIVER12_PORT"
	wait "$feeder"
	[ "$status" -eq 0 ]
	tp_stdout_is 'after\n'
	local f=$BATS_TEST_TMPDIR/r.json
	json_is "$f" '.connection.renegotiations == 2'
	json_is "$f" '[.timing.renegotiations[] | .by] == ["local", "peer"]'
	json_is "$f" 'all(.timing.renegotiations[]; .result == "completed")'
	json_is "$f" '.timing as $t | all($t.renegotiations[];
		.start_ms >= $t.handshake_ms and .start_ms <= .end_ms and
		.end_ms <= $t.total_ms)'
	json_is "$f" '.timing.renegotiations | .[0].end_ms <= .[1].start_ms'
}

@test "nginx: a request's timing and tickets agree between the text and the report" {
	TP_IN=$(tp_input 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n')
	tp_probe --alpn http/1.1 --ca-file "$CERTS/ca.pem" \
		--json "$BATS_TEST_TMPDIR/r.json" "localhost:$NGINX_PORT"
	[ "$status" -eq 0 ]
	grep -q '^hello' "$OUT"
	local f=$BATS_TEST_TMPDIR/r.json
	check_report "$f" 0
	json_is "$f" '.connection.alpn == "http/1.1"'
	json_is "$f" '.timing | .handshake_ms <= .first_byte_ms and
		.first_byte_ms <= .total_ms'
	[ "$(timing_line last)" = "$(timing_json "$f")" ]
	local in_summary lines
	in_summary=$(sed -nE 's/^Session tickets: ([0-9]+)$/\1/p' "$ERR")
	lines=$(grep -c '^Session ticket received' "$ERR" || true)
	json_is "$f" ".connection.session_tickets == $((${in_summary:-0} + lines))"
}

@test "timing with --starttls: our resolve and connect, then the STARTTLS exchange, then the handshake" {
	tp_start_starttls_front smtpfront smtp "$REV13_PORT"
	tp_probe --starttls smtp --ca-file "$CERTS/ca.pem" \
		--json "$BATS_TEST_TMPDIR/r.json" "localhost:$TP_PORT"
	[ "$status" -eq 0 ]
	local f=$BATS_TEST_TMPDIR/r.json
	check_report "$f" 0
	json_is "$f" '.starttls == "smtp" and (.timing | .resolve_ms >= 0 and
		.resolve_ms <= .connect_ms and .connect_ms <= .starttls_ms and
		.starttls_ms <= .handshake_ms and .handshake_ms <= .total_ms)'
	tp_stderr_has '^Timing: resolve [0-9.]+ ms, connect [0-9.]+ ms, starttls [0-9.]+ ms, handshake [0-9.]+ ms'
	[ "$(timing_line last)" = "$(timing_json "$f")" ]
	[ "$(timing_line first | cut -d' ' -f1-4)" = \
		"$(timing_json "$f" | cut -d' ' -f1-4)" ]
}

@test "--brief: one line, with the ALPN" {
	tp_probe --brief --alpn h2,http/1.1 --ca-file "$CERTS/ca.pem" \
		"localhost:$REV13_PORT"
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	grep -q 'ALPN h2' "$ERR"
	tp_probe --brief --ca-file "$CERTS/ca.pem" "localhost:$REV13_PORT"
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	grep -q 'ALPN none' "$ERR"
}

@test "--reconnect: each connection's resolve, connect and handshake times in the report" {
	tp_probe --ca-file "$CERTS/ca.pem" --reconnect 2 --tls1.2 \
		--json "$BATS_TEST_TMPDIR/r.json" "localhost:$RENEG12_PORT"
	[ "$status" -eq 0 ]
	json_is "$BATS_TEST_TMPDIR/r.json" '.reconnects | length == 2 and
		all(.[]; .resumed and .timing.total_ms == null and
		    .timing.resolve_ms >= 0 and
		    .timing.connect_ms >= .timing.resolve_ms and
		    .timing.handshake_ms > .timing.connect_ms)'
}

@test "report for exit 0: what was negotiated" {
	tp_probe --ca-file "$CERTS/ca.pem" --json "$BATS_TEST_TMPDIR/r.json" \
		"localhost:$REV13_PORT"
	[ "$status" -eq 0 ]
	check_report "$BATS_TEST_TMPDIR/r.json" 0
	json_is "$BATS_TEST_TMPDIR/r.json" \
		".port == $REV13_PORT and .connection.protocol == \"TLSv1.3\""
}

@test "report for exit 2 after the target is known: a usage error, no connection" {
	local f=$BATS_TEST_TMPDIR/r.json
	tp_probe --json "$f" --tls1.2 --tls1.3 "localhost:$REV13_PORT"
	[ "$status" -eq 2 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	check_report "$f" 2
	json_is "$f" '.connection == null and (.error | test("only one of"))'
	json_is "$f" '.timing.resolve_ms == null and .timing.total_ms == null'
	rm -f "$f"
	tp_probe --json "$f" --groups no-such-group "localhost:$REV13_PORT"
	[ "$status" -eq 2 ]
	check_report "$f" 2
	json_is "$f" '.error | test("no-such-group")'
}

@test "report for exit 3: refused, with the time to resolve" {
	local port f=$BATS_TEST_TMPDIR/r.json
	port=$(tp_free_port)
	tp_probe --json "$f" "127.0.0.1:$port"
	[ "$status" -eq 3 ]
	check_report "$f" 3
	json_is "$f" ".port == $port and .connection == null"
	json_is "$f" '.error | test("refused")'
	json_is "$f" '.timing | .resolve_ms >= 0 and .connect_ms == null and
		.total_ms >= .resolve_ms'
	# The check that the report can be written left nothing behind.
	[ -z "$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name '.r.json.*')" ]
}

@test "report for exit 3: a name that does not resolve" {
	local f=$BATS_TEST_TMPDIR/r.json
	tp_probe --json "$f" "no-such-host.invalid:443"
	[ "$status" -eq 3 ]
	check_report "$f" 3
	json_is "$f" '.host == "no-such-host.invalid" and .port == 443'
	json_is "$f" '.error | test("resolve")'
	json_is "$f" '.timing | .resolve_ms == null and .total_ms >= 0'
}

@test "report for exit 4: the handshake fails (s_server TLS 1.2 only, we want 1.3)" {
	local f=$BATS_TEST_TMPDIR/r.json
	tp_probe --tls1.3 --ca-file "$CERTS/ca.pem" --json "$f" \
		"localhost:$RENEG12_PORT"
	[ "$status" -eq 4 ]
	check_report "$f" 4
	json_is "$f" '.connection == null and
		.timing.connect_ms >= .timing.resolve_ms and
		.timing.handshake_ms == null'
}

@test "report for exit 5: verification fails" {
	local f=$BATS_TEST_TMPDIR/r.json
	tp_probe --ca-file "$CERTS/other-ca.pem" --json "$f" \
		"localhost:$REV13_PORT"
	[ "$status" -eq 5 ]
	check_report "$f" 5
	json_is "$f" '.error | test("verif")'
}

@test "report for exit 6: the server goes away without close_notify after the handshake" {
	tp_start_s_server gone -tls1_3 -rev
	local port=$TP_PORT f=$BATS_TEST_TMPDIR/r.json
	TP_IN=$(tp_input_then_wait "$(tp_input 'hello\n')" 10)
	(
		wait_for 10 grep -q '^olleh$' "$BATS_TEST_TMPDIR/stdout"
		tp_stop gone
	) >/dev/null 2>&1 3>&- &
	local killer=$!
	tp_probe --ca-file "$CERTS/ca.pem" --json "$f" "localhost:$port"
	wait "$killer"
	[ "$status" -eq 6 ]
	check_report "$f" 6
	json_is "$f" '.connection.protocol == "TLSv1.3" and
		.timing.first_byte_ms <= .timing.total_ms'
}

@test "--json PATH that cannot be written: exit 2, one line, before connecting" {
	local port
	port=$(tp_free_port) # nothing listens: connecting first would be 3
	tp_probe --json "$BATS_TEST_TMPDIR/no/such/dir/r.json" "127.0.0.1:$port"
	[ "$status" -eq 2 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	tp_stderr_has "^tlsprobe: --json '.*/no/such/dir/r.json': .*No such file"
	tp_probe --json "$BATS_TEST_TMPDIR" "127.0.0.1:$port"
	[ "$status" -eq 2 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	tp_stderr_has 'directory'
}

@test "--json -: exit 2, one line, no file named '-' (stdout carries the session)" {
	local port
	port=$(tp_free_port)
	cd "$BATS_TEST_TMPDIR"
	tp_probe --json - "127.0.0.1:$port"
	[ "$status" -eq 2 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	tp_stderr_has "^tlsprobe: --json -: standard output carries"
	[ ! -e "$BATS_TEST_TMPDIR/-" ]
	# A usage error still writes its report to a --json file: not to "-".
	tp_probe --json - --tls1.5 "127.0.0.1:$port"
	[ "$status" -eq 2 ]
	[ ! -e "$BATS_TEST_TMPDIR/-" ]
}
