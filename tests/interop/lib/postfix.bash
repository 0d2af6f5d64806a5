# shellcheck shell=bash
# A private Postfix instance on loopback, for tests and by hand.
#
#   source tests/interop/lib/postfix.bash
#   start_postfix CERT KEY        # exports POSTFIX_PORT, POSTFIX_SMTPS_PORT
#   printf 'EHLO x\r\nQUIT\r\n' |
#       tlsprobe --starttls smtp --ca-file ca.pem "localhost:$POSTFIX_PORT"
#   stop_postfix
#
# start_postfix writes a main.cf and master.cf of its own into a fresh
# directory, /tmp/tlsprobe-postfix.XXXXXX (exported as POSTFIX_DIR; the
# queue, the pid file and the log, $POSTFIX_DIR/maillog, live there too),
# and runs `postfix -c DIR start-fg` in the background: Postfix's master in
# the foreground of that job, so its pid is known and nothing is left
# behind. The system's Postfix (/etc/postfix, port 25) is neither used nor
# touched. Two smtpd listeners on 127.0.0.1:
#
#   POSTFIX_PORT        plain SMTP offering STARTTLS (smtpd_tls_security_level
#                       may), for --starttls smtp
#   POSTFIX_SMTPS_PORT  SMTP over TLS from the first byte (wrapper mode)
#
# Postfix accepts no mail here (no destination, no relay): EHLO, STARTTLS,
# NOOP, RSET and QUIT are what the tests need. Its master must start as
# root (it drops to the postfix user), as in CI after scripts/setup.
#
# Ports: tp_free_port from tests/helpers/peers.bash when it is loaded (bats
# suites), else a port below the ephemeral range that `ss` shows free.
# Readiness: both ports listening (polled every 0.1 s, 10 s at most),
# never a connection that smtpd would log.

# shellcheck source=tests/interop/lib/ports.bash
source "${BASH_SOURCE[0]%/*}/ports.bash"

# _pf_port: print a free TCP port on 127.0.0.1 (_srv_port).
_pf_port() { _srv_port postfix.bash; }

# _pf_wait_listen PID PORT: wait until PORT listens, while PID lives.
_pf_wait_listen() { _srv_wait_listen "$@"; }

# _pf_write_config DIR CERT KEY PORT SMTPS_PORT
_pf_write_config() {
	local dir=$1 cert=$2 key=$3 port=$4 smtps=$5
	mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
	chown postfix "$dir/data" # master.lock and the TLS PRNG state
	install -m 0644 "$cert" "$dir/etc/cert.pem"
	install -m 0600 "$key" "$dir/etc/key.pem"
	cat >"$dir/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.tlsprobe.test
mydestination =
relay_domains =
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
smtpd_banner = \$myhostname ESMTP tlsprobe-test
smtpd_tls_cert_file = $dir/etc/cert.pem
smtpd_tls_key_file = $dir/etc/key.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_session_cache_database =
local_recipient_maps =
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
EOF
	# Services are not chrooted (the instance has no chroot tree); only
	# what smtpd calls on EHLO/STARTTLS/QUIT, and the logger.
	cat >"$dir/etc/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
127.0.0.1:$smtps inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
tlsmgr unix - - n 1000? 1 tlsmgr
anvil unix - - n - 1 anvil
proxymap unix - - n - - proxymap
postlog unix-dgram n - n - 1 postlogd
EOF
}

# start_postfix CERT KEY: start the instance (see above). Exports
# POSTFIX_DIR, POSTFIX_PORT, POSTFIX_SMTPS_PORT, POSTFIX_PID. Fails, with
# the end of Postfix's log, when it does not listen within 10 s.
start_postfix() {
	local cert=$1 key=$2 dir port smtps pid
	if ! command -v postfix >/dev/null; then
		echo "start_postfix: postfix is not installed (scripts/setup)" >&2
		return 1
	fi
	# Postfix's daemons run as the postfix user: it must reach the queue.
	dir=$(mktemp -d /tmp/tlsprobe-postfix.XXXXXX) || return 1
	chmod 755 "$dir"
	port=$(_pf_port) && smtps=$(_pf_port) || return 1
	_pf_write_config "$dir" "$cert" "$key" "$port" "$smtps"
	# Creates the queue's directories with Postfix's own permissions.
	if ! postfix -c "$dir/etc" check >"$dir/start.log" 2>&1; then
		echo "start_postfix: postfix check failed:" >&2
		cat "$dir/start.log" >&2
		return 1
	fi
	postfix -c "$dir/etc" start-fg </dev/null >>"$dir/start.log" 2>&1 3>&- &
	pid=$!
	export POSTFIX_DIR=$dir POSTFIX_PORT=$port POSTFIX_SMTPS_PORT=$smtps \
		POSTFIX_PID=$pid
	if ! _pf_wait_listen "$pid" "$port" ||
		! _pf_wait_listen "$pid" "$smtps"; then
		echo "start_postfix: not listening on $port and $smtps;" \
			"last lines of $dir/start.log and maillog:" >&2
		tail -n 20 "$dir/start.log" "$dir/maillog" >&2 2>/dev/null
		stop_postfix
		return 1
	fi
}

# stop_postfix: stop the instance (postfix stop, then TERM and KILL to the
# master's job if it lingers), wait for it, and remove POSTFIX_DIR.
stop_postfix() {
	local dir=${POSTFIX_DIR:-} pid=${POSTFIX_PID:-}
	[ -n "$dir" ] || return 0
	postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
	if [ -n "$pid" ]; then
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	case $dir in
	/tmp/tlsprobe-postfix.*) rm -rf "$dir" ;;
	esac
	unset POSTFIX_DIR POSTFIX_PORT POSTFIX_SMTPS_PORT POSTFIX_PID
	return 0 # teardown goes on: nothing here is worth failing it
}
