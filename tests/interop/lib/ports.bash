# shellcheck shell=bash
# Ports and readiness for the private server instances of lib/apache.bash
# and lib/postfix.bash, which are also loaded without lib/common.bash.

# _srv_port WHO: print a free TCP port on 127.0.0.1: tp_free_port from
# tests/helpers/peers.bash when it is loaded (bats suites), else a port
# below the ephemeral range that `ss` shows free. WHO names the caller in
# the error.
_srv_port() {
	local port
	if declare -F tp_free_port >/dev/null; then
		tp_free_port
		return
	fi
	for _ in $(seq 1 50); do
		port=$((10000 + RANDOM % 20000))
		if [ -z "$(ss -Hltn "sport = :$port")" ]; then
			echo "$port"
			return 0
		fi
	done
	echo "$1: no free port found" >&2
	return 1
}

# _srv_wait_listen PID PORT: wait until PORT listens, while PID lives
# (polled every 0.1 s, 10 s at most).
_srv_wait_listen() {
	local pid=$1 port=$2
	for _ in $(seq 1 100); do
		[ -n "$(ss -Hltn "sport = :$port")" ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
