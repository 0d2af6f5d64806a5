/*
 * The peer's certificates as the user sees them: one line per certificate
 * of the chain as sent, the facts of each (--showcerts), the verified path
 * (s_client's depth lines), what a failed verification tried, the
 * server's request for a client certificate; and the same in the --json
 * report. Everything printed was escaped by the library.
 */
#ifndef CLI_CERTS_H
#define CLI_CERTS_H

#include <stdio.h>

#include "common/json.h"
#include "options.h"
#include "tlsprobe.h"

/* One certificate of the summary: " N s: / i: / valid:" lines, and with
 * facts (--showcerts) its names, serial, fingerprint, key, signature
 * algorithm and PEM. */
void certs_print_cert(FILE *fp, int n, const struct tp_cert_info *ci,
		      int facts);

/* After "Verification: ok": the path that was verified, top first. */
void certs_print_path(FILE *fp, struct tp_conn *c);

/* "Client certificate: ..." when the server asked for one. */
void certs_print_request(FILE *fp, struct tp_conn *c);

/* What to show before the error line of a handshake that failed (the
 * chain as sent and what was tried, for a failed verification; the
 * server's request for a client certificate), malloc'ed; NULL when
 * there is nothing, or with --quiet or --brief (one line). */
char *certs_failure_text(struct tp_conn *c, const struct cli_options *o);

/* The "certificates" member of the --json report (c may be NULL). */
void certs_json(struct json_writer *w, struct tp_conn *c);
/* One certificate object, as in "peer_chain" and "certificates". */
void certs_json_cert(struct json_writer *w, const struct tp_cert_info *ci);

#endif
