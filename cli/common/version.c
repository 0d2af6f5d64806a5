/* `tlsprobe --version`: here, not in main.c, so a command that prints it
 * does not include the dispatcher. */
#include <stdio.h>

#include "common.h"

void cli_print_version(FILE *fp)
{
	fprintf(fp, "tlsprobe %s\n", tp_version());
	fprintf(fp, "wolfSSL %s\n", tp_wolfssl_version());
	fprintf(fp, "features: %s\n", tp_wolfssl_features());
}
