/* `tlsprobe --version`. */
#ifndef CLI_VERSION_H
#define CLI_VERSION_H

#include <stdio.h>

/* Versions of tlsprobe and wolfSSL, and wolfSSL's features, to fp. */
void cli_print_version(FILE *fp);

#endif
