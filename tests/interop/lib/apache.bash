# shellcheck shell=bash
# A private Apache httpd with mod_ssl on loopback, for tests and by hand.
#
#   source tests/interop/lib/apache.bash
#   start_apache CERT KEY CA      # exports APACHE_PORT, APACHE13_PORT
#   printf 'GET /private/page.txt HTTP/1.0\r\n\r\n' |
#       tlsprobe --cert client.pem --key client.key --ca-file ca.pem \
#           "localhost:$APACHE_PORT"
#   stop_apache
#
# start_apache writes its own httpd config into a fresh directory,
# /tmp/tlsprobe-apache.XXXXXX (exported as APACHE_DIR; logs, pid file and
# pages live there), and runs `apache2 -f CONF -DFOREGROUND` in the
# background, so its pid is known and nothing is left behind; the system's
# Apache (/etc/apache2, port 80) is neither used nor touched. It serves, on
# 127.0.0.1, with CERT/KEY:
#
#   APACHE_PORT    TLS 1.2 only: /private asks for a client certificate by
#                  renegotiating (HelloRequest) after reading the request
#   APACHE13_PORT  TLS 1.2 and 1.3: there, /private asks by TLS 1.3
#                  post-handshake authentication, which a client must offer
#                  (tlsprobe does not, nor s_client without -enable_pha:
#                  403 Forbidden, "cannot perform post-handshake
#                  authentication" in the error log)
#
# and on both:
#
#   /page.txt          "public page\n", no client certificate needed
#   /private/page.txt  "private page\n", only with a client certificate
#                      that CA signed (SSLVerifyClient require in a
#                      <Location>: per-directory, hence the renegotiation)
#
# Logs: $APACHE_DIR/error.log (mod_ssl at level info: handshakes,
# renegotiations, verification) and $APACHE_DIR/access.log (request,
# status, protocol, client certificate subject). Apache starts as root and
# serves as www-data, as in CI after scripts/setup.
#
# Ports: tp_free_port from tests/helpers/peers.bash when it is loaded (bats
# suites), else a port below the ephemeral range that `ss` shows free.
# Readiness: both ports listening (polled every 0.1 s, 10 s at most).

APACHE_MODULES=${APACHE_MODULES:-/usr/lib/apache2/modules}

# shellcheck source=tests/interop/lib/ports.bash
source "${BASH_SOURCE[0]%/*}/ports.bash"

# _ap_port: print a free TCP port on 127.0.0.1 (_srv_port).
_ap_port() { _srv_port apache.bash; }

# _ap_wait_listen PID PORT: wait until PORT listens, while PID lives.
_ap_wait_listen() { _srv_wait_listen "$@"; }

# _ap_vhost PORT PROTOCOLS DIR: one TLS virtual host.
_ap_vhost() {
	cat <<EOF
<VirtualHost 127.0.0.1:$1>
	SSLEngine on
	SSLProtocol $2
	SSLCertificateFile $3/etc/cert.pem
	SSLCertificateKeyFile $3/etc/key.pem
	SSLCACertificateFile $3/etc/ca.pem
	<Location /private>
		SSLVerifyClient require
		SSLVerifyDepth 2
	</Location>
</VirtualHost>
EOF
}

# _ap_write_config DIR CERT KEY CA PORT PORT13
_ap_write_config() {
	local dir=$1 m=$APACHE_MODULES
	mkdir -p "$dir/etc" "$dir/run" "$dir/htdocs/private"
	install -m 0644 "$2" "$dir/etc/cert.pem"
	install -m 0600 "$3" "$dir/etc/key.pem"
	install -m 0644 "$4" "$dir/etc/ca.pem"
	printf 'public page\n' >"$dir/htdocs/page.txt"
	printf 'private page\n' >"$dir/htdocs/private/page.txt"
	chmod -R a+rX "$dir/htdocs"
	cat >"$dir/etc/httpd.conf" <<EOF
ServerRoot $dir
ServerName localhost
DefaultRuntimeDir $dir/run
PidFile $dir/run/httpd.pid
Listen 127.0.0.1:$5
Listen 127.0.0.1:$6
User www-data
Group www-data
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule mime_module $m/mod_mime.so
LoadModule socache_shmcb_module $m/mod_socache_shmcb.so
LoadModule ssl_module $m/mod_ssl.so
TypesConfig /etc/mime.types
ErrorLog $dir/error.log
LogLevel warn ssl:info
LogFormat "%h \"%r\" %>s %b %{SSL_PROTOCOL}x \"%{SSL_CLIENT_S_DN}x\"" tp
CustomLog $dir/access.log tp
DocumentRoot $dir/htdocs
<Directory />
	Require all denied
</Directory>
<Directory $dir/htdocs>
	Require all granted
</Directory>
SSLSessionCache shmcb:$dir/run/ssl_scache(512000)
EOF
	_ap_vhost "$5" "-all +TLSv1.2" "$dir" >>"$dir/etc/httpd.conf"
	_ap_vhost "$6" "-all +TLSv1.2 +TLSv1.3" "$dir" >>"$dir/etc/httpd.conf"
}

# start_apache CERT KEY CA: start the server (see above). Exports
# APACHE_DIR, APACHE_PORT, APACHE13_PORT, APACHE_PID. Fails, with the end of
# its error log, when it does not listen within 10 s.
start_apache() {
	local dir port port13 pid
	if ! command -v apache2 >/dev/null; then
		echo "start_apache: apache2 is not installed (scripts/setup)" >&2
		return 1
	fi
	# www-data must reach the pages: a directory others can traverse.
	dir=$(mktemp -d /tmp/tlsprobe-apache.XXXXXX) || return 1
	chmod 755 "$dir"
	port=$(_ap_port) && port13=$(_ap_port) || return 1
	_ap_write_config "$dir" "$1" "$2" "$3" "$port" "$port13"
	apache2 -f "$dir/etc/httpd.conf" -DFOREGROUND </dev/null \
		>"$dir/start.log" 2>&1 3>&- &
	pid=$!
	export APACHE_DIR=$dir APACHE_PORT=$port APACHE13_PORT=$port13 \
		APACHE_PID=$pid
	if ! _ap_wait_listen "$pid" "$port" ||
		! _ap_wait_listen "$pid" "$port13"; then
		echo "start_apache: not listening on $port and $port13;" \
			"last lines of its logs:" >&2
		tail -n 20 "$dir/start.log" "$dir/error.log" >&2 2>/dev/null
		stop_apache
		return 1
	fi
}

# stop_apache: stop the server (TERM to its parent, which stops its
# children; KILL after 5 s), wait for it, and remove APACHE_DIR.
stop_apache() {
	local dir=${APACHE_DIR:-} pid=${APACHE_PID:-}
	[ -n "$dir" ] || return 0
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	case $dir in
	/tmp/tlsprobe-apache.*) rm -rf "$dir" ;;
	esac
	unset APACHE_DIR APACHE_PORT APACHE13_PORT APACHE_PID
	return 0 # teardown goes on: nothing here is worth failing it
}
