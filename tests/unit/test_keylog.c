/*
 * The TLS 1.2 key log: one CLIENT_RANDOM line per full handshake. wolfSSL
 * 5.5.4 leaves the line out when the master secret starts with a 0 byte
 * (about one handshake in 256; lib/keylog.c writes it then), so this runs
 * enough handshakes to meet that case: with 3000 (TP_KEYLOG_HANDSHAKES),
 * a run misses it with probability (255/256)^3000, under 0.001 %.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"
#include "testutil.h"

static void one_handshake(struct tp_config *ccfg, struct tp_config *scfg)
{
	struct tp_conn *cli, *srv;

	tu_conn_pair(ccfg, scfg, &cli, &srv);
	tu_handshake_both(cli, srv);
	tp_conn_free(cli);
	tp_conn_free(srv);
}

/* Checks every line's form; returns how many lines there are and how
 * many of them have a master secret starting with 00. */
static int count_lines(const char *path, int *zero_first)
{
	char line[512], random[65], secret[97];
	FILE *f = fopen(path, "r");
	int n = 0;

	CHECK(f != NULL);
	*zero_first = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		CHECK(sscanf(line, "CLIENT_RANDOM %64[0-9A-F] %96[0-9A-F]\n",
			     random, secret) == 2);
		CHECK_EQ_INT(strlen(random), 64);
		CHECK_EQ_INT(strlen(secret), 96);
		if (strncmp(secret, "00", 2) == 0)
			(*zero_first)++;
		n++;
	}
	fclose(f);
	return n;
}

int main(void)
{
	const char *env = getenv("TP_KEYLOG_HANDSHAKES");
	int want = env ? atoi(env) : 3000, got, zero_first;
	char path[] = "/tmp/tp-keylog-XXXXXX";
	struct tp_config *ccfg, *scfg;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	tu_certs();
	ccfg = tu_client_config("1.2");
	scfg = tu_server_config("1.2");
	CHECK(tp_config_set_keylog_file(ccfg, path) == 0);
	tu_watchdog_start(240, "TLS 1.2 handshakes with a key log");
	for (int i = 0; i < want; i++)
		one_handshake(ccfg, scfg);
	tu_watchdog_stop();
	got = count_lines(path, &zero_first);
	unlink(path);
	printf("keylog: %d TLS 1.2 handshakes, %d CLIENT_RANDOM lines, "
	       "%d with a master secret starting with 00\n",
	       want, got, zero_first);
	CHECK_EQ_INT(got, want);
	tp_config_free(ccfg);
	tp_config_free(scfg);
	return 0;
}
