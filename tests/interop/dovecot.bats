#!/usr/bin/env bats
# Dovecot 2.3 (OpenSSL 3): IMAP with STARTTLS, IMAPS, POP3 with STARTTLS
# (STLS) and POP3S, from a config of its own (own base_dir, state_dir and
# instance name: a dovecot that the package started is left alone). No
# login: the sessions stay in the pre-login state (CAPABILITY, NOOP,
# LOGOUT, CAPA, QUIT). Expected results: EXPECTED.md, "Dovecot".

# shellcheck disable=SC2034,SC2154 # TP_IN, status, JSON: used by helpers
bats_require_minimum_version 1.5.0
load lib/common

# dovecot_start NAME: dovecot -F (foreground master) with a config in
# $IC_ROOT/NAME (its login processes chroot there and run as dovenull).
# Exports DOVECOT_IMAP_PORT, DOVECOT_IMAPS_PORT, DOVECOT_POP3_PORT,
# DOVECOT_POP3S_PORT.
dovecot_start() {
	local name=$1 dir=$IC_ROOT/$1 imap imaps pop3 pop3s
	imap=$(tp_free_port) && imaps=$(tp_free_port) &&
		pop3=$(tp_free_port) && pop3s=$(tp_free_port) || return 1
	mkdir -p "$dir"
	cat >"$dir/dovecot.conf" <<EOF
base_dir = $dir/run
state_dir = $dir/state
instance_name = tlsprobe-interop-$name-$$
log_path = $dir/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <$CERTS/leaf.pem
ssl_key = <$CERTS/leaf.key
auth_mechanisms = plain
passdb {
  driver = static
  args = password=unused
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$dir/home/%u
}
# Up front, not on the first connection (which would be greeted with
# "Waiting for authentication process to respond").
service auth {
  process_min_avail = 1
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    port = $imap
  }
  inet_listener imaps {
    port = $imaps
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $pop3
  }
  inet_listener pop3s {
    port = $pop3s
    ssl = yes
  }
}
EOF
	if ! {
		ic_start "$name" "$imap" dovecot -F -c "$dir/dovecot.conf" &&
			ic_wait_port "$name" "$imaps" &&
			ic_wait_port "$name" "$pop3" &&
			ic_wait_port "$name" "$pop3s" &&
			ic_wait_banner "$name" "$imap" 'Dovecot.* ready' &&
			ic_wait_banner "$name" "$pop3" 'Dovecot.* ready'
	}; then
		tail -n 20 "$dir/dovecot.log" >&2 2>/dev/null
		return 1
	fi
	export DOVECOT_IMAP_PORT=$imap DOVECOT_IMAPS_PORT=$imaps
	export DOVECOT_POP3_PORT=$pop3 DOVECOT_POP3S_PORT=$pop3s
}

setup_file() {
	ic_setup_file dovecot
	dovecot_start dovecot
}

teardown_file() {
	ic_teardown_file
}

teardown() {
	tp_dump_on_failure
	tail -n 8 "$IC_ROOT/dovecot/dovecot.log" >&2 2>/dev/null || true
}

@test "Dovecot IMAPS: connect and verify, TLS 1.3; LOGOUT piped, the greeting and BYE at end of input" {
	TP_IN=$(tp_input 'a LOGOUT\r\n')
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$DOVECOT_IMAPS_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.protocol TLSv1.3
	ic_expect_session .connection.verification.ok true
	ic_stdout_has '* OK' 'Dovecot' '* BYE' 'a OK Logout completed.'
}

@test "Dovecot IMAP --starttls imap: CAPABILITY and LOGOUT answered, exit 0" {
	TP_IN=$(tp_input 'a CAPABILITY\r\nb LOGOUT\r\n')
	ic_run --starttls imap --ca-file "$CERTS/ca.pem" \
		"localhost:$DOVECOT_IMAP_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .starttls imap
	ic_expect_session .connection.protocol TLSv1.3
	ic_stdout_has '* CAPABILITY IMAP4rev1' 'a OK' 'b OK Logout completed.'
	# The STARTTLS dialogue is not relayed: no STARTTLS in the
	# post-TLS capabilities, no greeting on stdout.
	ic_stdout_lacks 'STARTTLS'
}

@test "Dovecot IMAP --starttls imap --crlf: LF lines sent as CRLF" {
	TP_IN=$(tp_input 'b LOGOUT\n')
	ic_run --starttls imap --crlf --ca-file "$CERTS/ca.pem" \
		"localhost:$DOVECOT_IMAP_PORT"
	[ "$status" -eq 0 ]
	ic_stdout_has 'b OK Logout completed.'
}

@test "Dovecot POP3 --starttls pop3: CAPA and QUIT answered, exit 0" {
	TP_IN=$(tp_input 'CAPA\r\nQUIT\r\n')
	ic_run --starttls pop3 --ca-file "$CERTS/ca.pem" \
		"localhost:$DOVECOT_POP3_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.protocol TLSv1.3
	ic_stdout_has 'SASL PLAIN' '+OK Logging out'
}

@test "Dovecot POP3S: QUIT piped, the greeting and +OK Logging out at end of input" {
	TP_IN=$(tp_input 'QUIT\r\n')
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$DOVECOT_POP3S_PORT"
	[ "$status" -eq 0 ]
	ic_stdout_has '+OK Dovecot' '+OK Logging out'
}

@test "Dovecot: --starttls pop3 against the IMAP port fails, exit 4, quoting the server" {
	ic_run --starttls pop3 --ca-file "$CERTS/ca.pem" \
		"localhost:$DOVECOT_IMAP_PORT"
	[ "$status" -eq 4 ]
	tp_stderr_has 'starttls' 'IMAP4rev1'
}

@test "Dovecot IMAPS: :reneg mid-stream (TLS 1.2) refused with a warning, the session goes on" {
	TP_IN=$(ic_input_paced 'a CAPABILITY\r\n:reneg\n' +1 'b LOGOUT\r\n')
	ic_run --commands --tls1.2 --ca-file "$CERTS/ca.pem" \
		"localhost:$DOVECOT_IMAPS_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.renegotiations 0
	ic_expect_session .connection.renegotiations_refused 1
	tp_stderr_has 'no_renegotiation'
	ic_stdout_has 'a OK' 'b OK Logout completed.'
}

@test "Dovecot POP3 STARTTLS: :reneg mid-stream (TLS 1.2) refused, QUIT still answered" {
	TP_IN=$(ic_input_paced 'CAPA\r\n:reneg\n' +1 'QUIT\r\n')
	ic_run --starttls pop3 --commands --tls1.2 --ca-file "$CERTS/ca.pem" \
		"localhost:$DOVECOT_POP3_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.renegotiations_refused 1
	ic_stdout_has '+OK Logging out'
}

@test "Dovecot IMAPS: :keyupdate req (TLS 1.3) is answered" {
	ic_keyupdate_paced "$DOVECOT_IMAPS_PORT" 0.5 'b LOGOUT\r\n'
	ic_stdout_has 'b OK Logout completed.'
}

@test "Dovecot IMAPS: probe reneg: rejected (refused, alive), KeyUpdate answered" {
	ic_probe_refused_alive dovecot_imaps "$DOVECOT_IMAPS_PORT" \
		--request 'a NOOP\r\n'
	ic_expect_probe .tls13.key_update.status answered
}

@test "Dovecot POP3S: probe reneg: rejected, KeyUpdate answered" {
	ic_probe dovecot_pop3s "$DOVECOT_POP3S_PORT" --request 'NOOP\r\n'
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.client_initiated.status rejected
	ic_expect_probe .tls13.key_update.status answered
}

@test "Dovecot IMAP: probe reneg --starttls imap: rejected (refused, alive), KeyUpdate answered (no greeting after STARTTLS)" {
	ic_probe dovecot_imap "$DOVECOT_IMAP_PORT" --starttls imap \
		--request 'a NOOP\r\n'
	[ "$status" -eq 0 ]
	ic_expect_probe .target.starttls imap
	ic_expect_probe .renegotiation.client_initiated.status rejected
	ic_expect_probe '.renegotiation.client_initiated.attempts[2].outcome' \
		refused
	ic_expect_probe .renegotiation.client_initiated.alive_after true
	ic_expect_probe .tls13.key_update.status answered
}

@test "Dovecot POP3: probe reneg --starttls pop3: rejected, KeyUpdate answered" {
	ic_probe dovecot_pop3 "$DOVECOT_POP3_PORT" --starttls pop3 \
		--request 'NOOP\r\n'
	[ "$status" -eq 0 ]
	ic_expect_probe .target.starttls pop3
	ic_expect_probe .renegotiation.client_initiated.status rejected
	ic_expect_probe .tls13.key_update.status answered
}
