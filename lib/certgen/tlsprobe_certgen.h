/*
 * Generated certificates: a throwaway CA and a leaf signed by it, for
 * `tlsprobe serve` (which makes its own at start) and the tests. Not part
 * of libtlsprobe and not installed: a production client has no use for
 * certificates made on the fly. Built as the static library
 * tlsprobe_certgen (lib/CMakeLists.txt), which needs only wolfSSL.
 */
#ifndef TLSPROBE_CERTGEN_H
#define TLSPROBE_CERTGEN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tp_pem {
	char *data; /* NUL-terminated PEM */
	size_t len;
};

struct tp_testcerts {
	struct tp_pem ca_cert, ca_key, leaf_cert, leaf_key;
};

/* Generates a CA and a leaf signed by it, in memory. names: comma-separated
 * DNS names and IP addresses for the leaf's subjectAltName (the first is its
 * CN). The leaf is valid from now - 1 hour for days days; days < 0 makes a
 * leaf that expired -days days ago. Returns 0 or -1. */
int tp_testcerts_generate(struct tp_testcerts *out, const char *names,
			  int days);
/* Frees the four PEMs, wiping the keys first. */
void tp_testcerts_free(struct tp_testcerts *certs);

#ifdef __cplusplus
}
#endif
#endif
