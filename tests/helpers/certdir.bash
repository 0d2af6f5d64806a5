# shellcheck shell=bash
# The start every certificate script here shares (certs.sh, chains.sh,
# ocsp.sh): one argument, the directory to make everything in; cd there;
# openssl's chatter kept in NAME.log and shown only when a step fails; and
# newkey, for EC P-256 keys (fast to make).
#
# usage, from a script: source certdir.bash; certdir_enter NAME "$@"

# certdir_enter NAME DIR
certdir_enter() {
	local name=$1
	shift
	if [ $# -ne 1 ]; then
		echo "usage: $name.sh DIR" >&2
		exit 2
	fi
	mkdir -p "$1"
	cd "$1" || exit 1
	log=$name.log
	: >"$log"
	# -E: the trap also fires for a step failing inside a function
	# (newkey), not only at the top level.
	set -E
	# shellcheck disable=SC2064 # the name and directory, fixed now
	trap "echo \"$name.sh: failed in $1; openssl said:\" >&2; cat \"$log\" >&2" ERR
}

# newkey FILE: a fresh EC P-256 private key in FILE.
newkey() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$1" 2>>"$log"
}
