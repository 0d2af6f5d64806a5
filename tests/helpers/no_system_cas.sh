#!/bin/sh
# no_system_cas.sh PROGRAM [ARGS...]: run PROGRAM in a mount namespace of
# its own where the directories wolfSSL takes the system's trusted CAs
# from are empty (a tmpfs over each), as on a system without
# ca-certificates. Needs root (unshare --mount); the mounts go with the
# namespace.
set -eu
if [ -z "${TP_NO_SYSTEM_CAS:-}" ]; then
	TP_NO_SYSTEM_CAS=1 exec unshare --mount "$0" "$@"
fi
for d in /etc/ssl/certs /etc/pki/ca-trust/source/anchors /etc/pki/tls/certs; do
	if [ -d "$d" ]; then
		mount -t tmpfs none "$d"
	fi
done
exec "$@"
