/*
 * libFuzzer target for stapled OCSP responses: tp_ocsp_parse (lib/ocsp.c)
 * reads whatever bytes a server staples (wolfSSL hands them over also when
 * its own decoder refused them, patch 0008). Input: DER bytes. Invariants: it
 * returns 0 or -1, the status is one of the enum, every text field is a
 * terminated string of its array, each time is empty or "YYYY-MM-DDTHH:MM:SSZ",
 * and a revocation time or reason comes only with "revoked".
 */
#include <string.h>

#include "internal.h"
#include "fuzz.h"

static void check_time(const char *t, size_t cap)
{
	size_t n = strnlen(t, cap);

	CHECK(n < cap);
	CHECK(n == 0 ||
	      (n == 20 && t[4] == '-' && t[7] == '-' && t[10] == 'T' &&
	       t[13] == ':' && t[16] == ':' && t[19] == 'Z'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_ocsp_info o;
	/* The serial looked for: the input's last two bytes (the DER ends
	 * in a signature: any serial will do), or none. */
	int r = tp_ocsp_parse(data, size, size >= 2 ? data + size - 2 : NULL, 2,
			      &o);

	CHECK(r == 0 || r == -1);
	CHECK(o.status >= TP_OCSP_NOT_REQUESTED &&
	      o.status <= TP_OCSP_UNREADABLE);
	CHECK(r == 0 || o.status == TP_OCSP_UNREADABLE);
	CHECK(o.length == size);
	check_time(o.produced_at, sizeof(o.produced_at));
	check_time(o.this_update, sizeof(o.this_update));
	check_time(o.next_update, sizeof(o.next_update));
	check_time(o.revocation_time, sizeof(o.revocation_time));
	CHECK(strnlen(o.revocation_reason, sizeof(o.revocation_reason)) <
	      sizeof(o.revocation_reason));
	if (o.status != TP_OCSP_REVOKED && r == 0)
		CHECK(o.revocation_time[0] == '\0' &&
		      o.revocation_reason[0] == '\0');
	return 0;
}
