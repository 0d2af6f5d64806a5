/* Revocation in the report: the stapled OCSP response (--status) and the
 * CRL check (--crl-file), as summary lines and as the JSON's "ocsp" and
 * "crl" keys. */
#ifndef CLI_REVOCATION_H
#define CLI_REVOCATION_H

#include <stdio.h>

#include "common/json.h"
#include "tlsprobe.h"

/* "OCSP: ..." and "CRL: ..." lines, each only when it was asked for. */
void revocation_print(FILE *fp, struct tp_conn *c);

/* The "ocsp" and "crl" keys of the connection object (null when not
 * asked for). */
void revocation_json(struct json_writer *w, struct tp_conn *c);

#endif
