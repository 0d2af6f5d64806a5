/*
 * Certificate verification (issue 3, DESIGN 3): a library client against a
 * library server on a loopback TCP pair.
 *
 * 1. untrusted chain: the client trusts another generated CA
 *    -> TP_ERR_VERIFY, the message names the missing issuer;
 * 2. wrong name: servername "wrong.example" -> TP_ERR_VERIFY naming it;
 * 3. expired leaf -> TP_ERR_VERIFY "expired";
 * 4. IP SANs: "127.0.0.1", "::1" (and the same address spelled
 *    "0:0:0:0:0:0:0:1") are accepted; "127.0.0.2" and "::2" are not, nor
 *    is 127.0.0.1 against a leaf with DNS names only;
 * 5. insecure mode with an untrusted chain and a wrong name: the handshake
 *    succeeds, yet verify_ok is 0, both failures are counted and listed in
 *    tp_conn_verify_log.
 * 6. tp_conn_peer_certs: the chain as sent, with its facts, also after a
 *    failed verification; the verified path (leaf, then our CA, not sent)
 *    after a good one; none after a failure.
 * 7. a private key that does not belong to its certificate is refused when
 *    it is set, with TP_ERR_USAGE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"

#define WATCHDOG_S 30

/* ---- a library server serving a given leaf ------------------------------ */

struct server {
	pthread_t thread;
	struct tp_config *cfg;
	struct tp_conn *c;
	int fd;
	int handshake_ok;
};

static void *server_main(void *arg)
{
	struct server *s = arg;
	char buf[256];

	s->c = tp_conn_new(s->cfg);
	CHECK(s->c != NULL);
	if (tp_conn_attach_fd(s->c, s->fd, NULL) < 0)
		return NULL;
	if (tp_conn_handshake(s->c) == 0) {
		s->handshake_ok = 1;
		/* Until the client goes away. */
		while (tp_conn_read(s->c, buf, sizeof(buf)) > 0)
			;
	}
	return NULL;
}

struct result {
	int hs; /* tp_conn_handshake's return */
	enum tp_errcode code;
	char err[256];
	struct tp_info info;
	int have_info;
	char log[4096];
	char first[480]; /* info.verify_error, copied */
	/* tp_conn_peer_certs, copied */
	int have_pc, pc_chain_len, pc_ok, pc_path_len, path_last_sent;
	char leaf_sans[200], leaf_fp[100], leaf_from[32], pc_error[480];
};

static void copy_peer_certs(struct tp_conn *c, struct result *r)
{
	struct tp_peer_certs pc;
	size_t used = 0;

	r->have_pc = tp_conn_peer_certs(c, &pc) == 0;
	if (!r->have_pc)
		return;
	r->pc_chain_len = pc.chain_len;
	r->pc_ok = pc.verify_ok;
	r->pc_path_len = pc.path_len;
	if (pc.path_len > 0)
		r->path_last_sent = pc.path[pc.path_len - 1].sent;
	snprintf(r->pc_error, sizeof(r->pc_error), "%s",
		 pc.verify_error ? pc.verify_error : "");
	if (pc.chain_len == 0)
		return;
	for (int i = 0; i < pc.chain[0].nsans; i++)
		used += (size_t)snprintf(r->leaf_sans + used,
					 sizeof(r->leaf_sans) - used, "%s ",
					 pc.chain[0].sans[i]);
	snprintf(r->leaf_fp, sizeof(r->leaf_fp), "%s",
		 pc.chain[0].sha256_fingerprint ?
			 pc.chain[0].sha256_fingerprint :
			 "");
	snprintf(r->leaf_from, sizeof(r->leaf_from), "%s",
		 pc.chain[0].not_before ? pc.chain[0].not_before : "");
}

/* One connection: a server with `served`'s leaf, a client with ccfg and
 * servername. Fills *r. */
static void run_case(const char *what, const struct tp_testcerts *served,
		     struct tp_config *ccfg, const char *servername,
		     struct result *r)
{
	struct server srv;
	struct tp_conn *c;
	int cfd;

	tu_watchdog_start(WATCHDOG_S, what);
	tu_watchdog_note("case: %s (servername %s)", what, servername);
	memset(&srv, 0, sizeof(srv));
	memset(r, 0, sizeof(*r));
	srv.cfg = tp_config_new(TP_SERVER);
	CHECK(srv.cfg != NULL);
	CHECK(tp_config_set_cert_mem(
		      srv.cfg, served->leaf_cert.data, served->leaf_cert.len,
		      served->leaf_key.data, served->leaf_key.len) == 0);
	CHECK(tu_tcp_pair(&cfd, &srv.fd) == 0);
	CHECK(pthread_create(&srv.thread, NULL, server_main, &srv) == 0);

	c = tp_conn_new(ccfg);
	CHECK(c != NULL);
	CHECK(tp_conn_attach_fd(c, cfd, servername) == 0);
	r->hs = tp_conn_handshake(c);
	r->code = tp_conn_errcode(c);
	snprintf(r->err, sizeof(r->err), "%s",
		 tp_conn_error(c) ? tp_conn_error(c) : "");
	r->have_info = tp_conn_info(c, &r->info) == 0;
	snprintf(r->first, sizeof(r->first), "%s",
		 r->info.verify_error ? r->info.verify_error : "");
	snprintf(r->log, sizeof(r->log), "%s", tp_conn_verify_log(c));
	copy_peer_certs(c, r);
	printf("%-34s handshake %d, errcode %d, error \"%s\"\n", what, r->hs,
	       (int)r->code, r->err);
	if (r->log[0] != '\0')
		printf("%-34s verify log:\n%s", "", r->log);
	tp_conn_free(c); /* closes cfd: the server's read ends */
	pthread_join(srv.thread, NULL);
	tp_conn_free(srv.c);
	tp_config_free(srv.cfg);
	tu_watchdog_stop();
}

static struct tp_config *client_trusting(const struct tp_testcerts *ca)
{
	struct tp_config *cfg = tp_config_new(TP_CLIENT);

	CHECK(cfg != NULL);
	CHECK(tp_config_set_ca_mem(cfg, ca->ca_cert.data, ca->ca_cert.len) ==
	      0);
	return cfg;
}

static void expect_verify_failure(const struct result *r, const char *needle)
{
	CHECK_EQ_INT(r->hs, -1);
	CHECK_EQ_INT(r->code, TP_ERR_VERIFY);
	if (strstr(r->err, needle) == NULL)
		tu_fail(__FILE__, __LINE__,
			"error \"%s\" does not mention \"%s\"", r->err, needle);
	CHECK(strstr(r->log, needle) != NULL);
}

static void expect_success(const struct result *r)
{
	if (r->hs != 0)
		tu_fail(__FILE__, __LINE__, "handshake failed: %s", r->err);
	CHECK(r->have_info);
	CHECK_EQ_INT(r->info.verify_ok, 1);
	CHECK_EQ_INT(r->info.verify_failures, 0);
	CHECK(r->info.verify_error == NULL);
	CHECK_EQ_INT(r->code, TP_ERR_NONE);
	CHECK(r->log[0] == '\0');
}

int main(void)
{
	const struct tp_testcerts *good = tu_certs();
	struct tp_testcerts other, expired, dnsonly;
	struct tp_config *trusting, *trust_other, *trust_expired, *insecure,
		*trust_dnsonly;
	struct result r;

	CHECK(tp_testcerts_generate(&other, "localhost,127.0.0.1,::1", 30) ==
	      0);
	CHECK(tp_testcerts_generate(&expired, "localhost,127.0.0.1", -2) == 0);
	/* Only a DNS SAN: an IP literal must not match it (nor its CN). */
	CHECK(tp_testcerts_generate(&dnsonly, "localhost", 30) == 0);
	trusting = client_trusting(good);
	trust_other = client_trusting(&other);
	trust_expired = client_trusting(&expired);
	trust_dnsonly = client_trusting(&dnsonly);
	insecure = client_trusting(&other);
	tp_config_insecure(insecure, 1);

	/* Baseline: trusted CA, right name. */
	run_case("trusted, localhost", good, trusting, "localhost", &r);
	expect_success(&r);
	/* 6. the verified path: the leaf, then our CA, which was not sent */
	CHECK(r.have_pc);
	CHECK_EQ_INT(r.pc_ok, 1);
	CHECK_EQ_INT(r.pc_path_len, 2);
	CHECK_EQ_INT(r.path_last_sent, -1);

	/* 1. untrusted chain */
	run_case("untrusted chain", good, trust_other, "localhost", &r);
	expect_verify_failure(&r, "unable to get local issuer certificate");
	/* the issuer that was not found, by name */
	CHECK(strstr(r.err, "issuer not found: /O=tlsprobe/CN=tlsprobe test "
			    "CA") != NULL);
	/* 6. the chain as sent, after the failure */
	CHECK(r.have_pc);
	CHECK_EQ_INT(r.pc_chain_len, 1);
	CHECK_EQ_INT(r.pc_ok, 0);
	CHECK_EQ_INT(r.pc_path_len, 0);
	CHECK(r.pc_error[0] != '\0' && strstr(r.err, r.pc_error) != NULL);
	CHECK(strstr(r.pc_error, "issuer not found") != NULL);
	CHECK(strcmp(r.leaf_sans, "DNS:localhost IP:127.0.0.1 IP:::1 ") == 0);
	CHECK_EQ_INT((int)strlen(r.leaf_fp), 32 * 3 - 1);
	CHECK_EQ_INT((int)strlen(r.leaf_from), 20); /* 2026-12-02T03:49:58Z */
	CHECK(r.leaf_from[10] == 'T' && r.leaf_from[19] == 'Z');

	/* 2. wrong name: the names the certificate has are listed */
	run_case("wrong name", good, trusting, "wrong.example", &r);
	expect_verify_failure(&r, "wrong.example");
	expect_verify_failure(&r, "its names: DNS:localhost, IP:127.0.0.1, "
				  "IP:::1");

	/* 3. expired leaf (its own CA is trusted) */
	run_case("expired leaf", &expired, trust_expired, "localhost", &r);
	expect_verify_failure(&r, "certificate has expired");
	expect_verify_failure(&r, "; valid from 20");

	/* 4. IP SANs */
	run_case("IP SAN 127.0.0.1", good, trusting, "127.0.0.1", &r);
	expect_success(&r);
	run_case("IP SAN ::1", good, trusting, "::1", &r);
	expect_success(&r);
	run_case("IP SAN 0:0:0:0:0:0:0:1", good, trusting, "0:0:0:0:0:0:0:1",
		 &r);
	expect_success(&r);
	run_case("IP 127.0.0.2 (not in SANs)", good, trusting, "127.0.0.2", &r);
	expect_verify_failure(&r, "127.0.0.2");
	run_case("IP ::2 (not in SANs)", good, trusting, "::2", &r);
	expect_verify_failure(&r, "::2");
	run_case("IP 127.0.0.1, no IP SAN", &dnsonly, trust_dnsonly,
		 "127.0.0.1", &r);
	expect_verify_failure(&r, "127.0.0.1");

	/* 5. insecure mode: untrusted and wrong name, both recorded */
	run_case("insecure, untrusted + wrong name", good, insecure,
		 "wrong.example", &r);
	if (r.hs != 0)
		tu_fail(__FILE__, __LINE__, "insecure handshake failed: %s",
			r.err);
	CHECK(r.have_info);
	CHECK_EQ_INT(r.info.verify_ok, 0);
	CHECK(r.info.verify_failures >= 2);
	CHECK(r.info.verify_error != NULL);
	CHECK(strstr(r.log, "unable to get local issuer") != NULL);
	CHECK(strstr(r.log, "wrong.example") != NULL);
	printf("insecure: verify_ok %d, verify_failures %d, first: %s\n",
	       r.info.verify_ok, r.info.verify_failures, r.first);

	/* 7. a key of another certificate */
	CHECK(tp_config_set_cert_mem(insecure, good->leaf_cert.data,
				     good->leaf_cert.len, other.leaf_key.data,
				     other.leaf_key.len) == -1);
	CHECK_EQ_INT(tp_config_errcode(insecure), TP_ERR_USAGE);
	CHECK(strstr(tp_config_error(insecure), "does not belong") != NULL);

	tp_config_free(trusting);
	tp_config_free(trust_other);
	tp_config_free(trust_expired);
	tp_config_free(trust_dnsonly);
	tp_config_free(insecure);
	tp_testcerts_free(&other);
	tp_testcerts_free(&expired);
	tp_testcerts_free(&dnsonly);
	printf("verification: ok\n");
	return 0;
}
