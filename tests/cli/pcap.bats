#!/usr/bin/env bats
# --pcap FILE: the session as pcapng, its secrets inside (a Decryption
# Secrets Block), so tshark shows the plaintext both ways with no key log:
# TLS 1.2 across a renegotiation, TLS 1.3 across a KeyUpdate.

# shellcheck disable=SC2034,SC2154 # TP_IN, status, OUT, ERR are read or set
# by tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

setup_file() {
	tp_setup_file
	tp_start_s_server reneg12 -tls1_2 -client_renegotiation -rev
	export RENEG12_PORT=$TP_PORT
	tp_start_s_server ku13 -tls1_3 -rev
	export KU13_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

setup() {
	if ! command -v tshark >/dev/null; then
		skip "no tshark (Debian package tshark; scripts/setup)"
	fi
}

# plaintext FILE: what tshark decrypts of the first TCP stream, alone.
plaintext() {
	env -u SSLKEYLOGFILE tshark -r "$1" -q -z follow,tls,ascii,0 2>/dev/null
}

# capture_has FILE TEXT...: each TEXT is in the decrypted stream.
capture_has() {
	local f=$1 text dec
	shift
	dec=$(plaintext "$f")
	for text in "$@"; do
		if [[ $dec != *"$text"* ]]; then
			echo "# not decrypted from $f: '$text'; tshark shows:" >&2
			printf '%s\n' "$dec" | sed 's/^/#   /' >&2
			return 1
		fi
	done
}

# The frames are a TCP connection: SYN, SYN-ACK, ACK first, FINs last.
check_tcp() {
	local flags
	flags=$(tshark -r "$1" -T fields -e tcp.flags.str 2>/dev/null | tr -d '·')
	[ "$(printf '%s\n' "$flags" | head -n 3 | paste -sd,)" = \
		"S,AS,A" ] || {
		echo "# first frames' flags: $(printf '%s\n' "$flags" | head -n 3)" >&2
		return 1
	}
	printf '%s\n' "$flags" | tail -n 3 | head -n 1 | grep -q F
	# No sequence gap or overlap tshark would flag.
	[ -z "$(tshark -r "$1" -Y 'tcp.analysis.flags && !tcp.analysis.window_update' 2>/dev/null)" ]
}

@test "--pcap, TLS 1.2 with a renegotiation: tshark decrypts both handshakes' data, no key log" {
	local f=$BATS_TEST_TMPDIR/reneg12.pcapng
	TP_IN=$(tp_input 'before reneg\n:reneg\nafter reneg\n')
	mkdir "$BATS_TEST_TMPDIR/tmp"
	SSLKEYLOGFILE='' TMPDIR=$BATS_TEST_TMPDIR/tmp tp_probe --pcap "$f" --commands --ca-file \
		"$CERTS/ca.pem" "localhost:$RENEG12_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'gener erofeb\ngener retfa\n'
	[ "$(stat -c %a "$f")" = 600 ]
	capture_has "$f" 'before reneg' 'gener erofeb' 'after reneg' \
		'gener retfa'
	# Two full handshakes are in it, the second one encrypted.
	[ "$(env -u SSLKEYLOGFILE tshark -r "$f" -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)" -eq 2 ]
	check_tcp "$f"
	# The temporary key log the secrets went through is gone.
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/tmp")" ]
}

@test "--pcap, TLS 1.3 with a KeyUpdate: tshark decrypts the data after it, no key log" {
	local f=$BATS_TEST_TMPDIR/ku13.pcapng
	TP_IN=$(tp_input 'before update\n:keyupdate req\nafter update\n')
	SSLKEYLOGFILE='' tp_probe --pcap "$f" --commands --ca-file \
		"$CERTS/ca.pem" "localhost:$KU13_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'etadpu erofeb\netadpu retfa\n'
	capture_has "$f" 'before update' 'etadpu erofeb' 'after update' \
		'etadpu retfa'
	# The KeyUpdates both ways were decrypted as such.
	[ "$(env -u SSLKEYLOGFILE tshark -r "$f" -Y 'tls.handshake.type == 24' 2>/dev/null | wc -l)" -eq 2 ]
	check_tcp "$f"
}

@test "--pcap refuses to write through a symbolic link" {
	local f=$BATS_TEST_TMPDIR/link.pcapng
	ln -s "$BATS_TEST_TMPDIR/target" "$f"
	TP_IN=$(tp_input 'x\n')
	SSLKEYLOGFILE='' tp_probe --pcap "$f" --ca-file "$CERTS/ca.pem" \
		"localhost:$KU13_PORT"
	[ "$status" -ne 0 ]
	tp_stderr_has 'pcap'
	[ ! -e "$BATS_TEST_TMPDIR/target" ]
}
