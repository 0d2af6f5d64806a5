/* The configuration every connection of `tlsprobe serve` shares. Without
 * --cert it generates a CA and a leaf for localhost, 127.0.0.1 and ::1 in
 * memory; --write-ca saves the CA so that clients can verify. */
#include <stdio.h>

#include "serve.h"
#include "tlsprobe_certgen.h"

/* Clients trust what this file holds: written whole, never through a
 * link or into another user's file (tp_file_write). Not secret: 0644. */
static int write_ca(const struct tp_pem *ca, const char *path)
{
	char why[160];

	if (tp_file_write(path, ca->data, ca->len, 0, why, sizeof(why)) == 0)
		return 0;
	fprintf(stderr, "tlsprobe serve: --write-ca '%s': %s\n", path, why);
	return -1;
}

/* The error of the tp_config_* call that just failed. */
static int config_fail(struct tp_config *cfg)
{
	const char *why = tp_config_error(cfg);

	fprintf(stderr, "tlsprobe serve: %s\n", why ? why : "failed");
	return -1;
}

static int generated_cert(struct tp_config *cfg, const struct serve_opts *o)
{
	struct tp_testcerts tc;
	int r;

	if (tp_testcerts_generate(&tc, "localhost,127.0.0.1,::1", 30) != 0) {
		fprintf(stderr, "tlsprobe serve: cannot generate a "
				"certificate\n");
		return -1;
	}
	r = tp_config_set_cert_mem(cfg, tc.leaf_cert.data, tc.leaf_cert.len,
				   tc.leaf_key.data, tc.leaf_key.len);
	if (r < 0)
		config_fail(cfg);
	else if (o->write_ca)
		r = write_ca(&tc.ca_cert, o->write_ca);
	tp_testcerts_free(&tc);
	return r;
}

struct tp_config *serve_config(const struct serve_opts *o)
{
	struct tp_config *cfg = tp_config_new(TP_SERVER);
	const struct cli_versions *v = &o->versions;
	int r;

	if (cfg == NULL) {
		fprintf(stderr, "tlsprobe serve: out of memory\n");
		return NULL;
	}
	if (o->cert != NULL)
		r = tp_config_set_cert_file(cfg, o->cert, o->key) < 0 ?
			    config_fail(cfg) :
			    0;
	else
		r = generated_cert(cfg, o);
	if (r == 0 && (v->min || v->max) &&
	    tp_config_set_versions(cfg, v->min, v->max) < 0)
		r = config_fail(cfg);
	if (r < 0) {
		tp_config_free(cfg);
		return NULL;
	}
	if (o->require_client_cert)
		tp_config_verify_client(cfg, 1);
	tp_config_set_reneg_policy(cfg, o->reneg, o->reneg_limit);
	tp_config_set_event_cb(cfg, serve_on_event, NULL);
	return cfg;
}
