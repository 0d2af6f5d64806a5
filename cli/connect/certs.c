/* The peer's certificates in the summary and the report; see connect.h. */
#include <stdlib.h>
#include <string.h>

#include "connect.h"

static const char *str_or(const char *s, const char *dflt)
{
	return s != NULL && *s != '\0' ? s : dflt;
}

static void print_names(FILE *fp, const struct tp_cert_info *ci)
{
	for (int k = 0; k < ci->nsans; k++)
		fprintf(fp, "%s%s", k ? ", " : "", ci->sans[k]);
}

void certs_print_cert(FILE *fp, int n, const struct tp_cert_info *ci, int facts)
{
	fprintf(fp, " %d s: %s\n", n, str_or(ci->subject, "?"));
	fprintf(fp, "   i: %s\n", str_or(ci->issuer, "?"));
	fprintf(fp, "   valid: %s to %s\n", str_or(ci->not_before, "?"),
		str_or(ci->not_after, "?"));
	if (!facts)
		return;
	if (ci->nsans > 0) {
		fputs("   names: ", fp);
		print_names(fp, ci);
		fputc('\n', fp);
	}
	fprintf(fp, "   serial: %s\n", str_or(ci->serial, "?"));
	fprintf(fp, "   sha256: %s\n", str_or(ci->sha256_fingerprint, "?"));
	fprintf(fp, "   key: %s %d bits, signed with %s\n",
		str_or(ci->key_type, "?"), ci->key_bits,
		str_or(ci->signature_algorithm, "?"));
	if (ci->ca_issuers != NULL)
		fprintf(fp, "   issuer published at: %s\n", ci->ca_issuers);
	if (ci->ocsp_uri != NULL)
		fprintf(fp, "   OCSP responder: %s\n", ci->ocsp_uri);
	if (ci->pem != NULL)
		fputs(ci->pem, fp);
}

/* " 0 /CN=leaf, issued by /CN=ca, valid A to B, names DNS:x": one line,
 * the names for the leaf only (the name check is against it). */
static void print_cert_line(FILE *fp, int n, const struct tp_cert_info *ci)
{
	fprintf(fp, " %d %s, issued by %s, valid %s to %s", n,
		str_or(ci->subject, "?"), str_or(ci->issuer, "?"),
		str_or(ci->not_before, "?"), str_or(ci->not_after, "?"));
	if (n == 0) {
		fputs(", names ", fp);
		if (ci->nsans == 0)
			fputs("none (no subjectAltName)", fp);
		print_names(fp, ci);
	}
	fputc('\n', fp);
}

void certs_print_path(FILE *fp, struct tp_conn *c)
{
	struct tp_peer_certs pc;

	if (tp_conn_peer_certs(c, &pc) == -1 || pc.path_len == 0)
		return;
	fputs("Verified path:\n", fp);
	for (int d = pc.path_len - 1; d >= 0; d--)
		fprintf(fp, " depth=%d %s%s\n", d,
			str_or(pc.path[d].subject, "?"),
			pc.path[d].sent < 0 ? " (trusted, not sent)" : "");
}

static void print_request(FILE *fp, const struct tp_peer_certs *pc)
{
	if (!pc->cert_requested)
		return;
	fputs("Client certificate: requested by the server", fp);
	for (int k = 0; k < pc->ca_names_len; k++)
		fprintf(fp, "%s%s", k ? "; " : ", naming CAs ",
			pc->ca_names[k]);
	if (pc->ca_names_len == 0)
		fputs(", naming no CA", fp);
	fputs(pc->cert_sent ? "; one was sent\n" : "; none was sent\n", fp);
}

void certs_print_request(FILE *fp, struct tp_conn *c)
{
	struct tp_peer_certs pc;

	if (tp_conn_peer_certs(c, &pc) == 0)
		print_request(fp, &pc);
}

/* The name checked and the trust anchors used. */
static void print_tried(FILE *fp, const struct tp_peer_certs *pc,
			const struct cli_options *o)
{
	fprintf(fp, "Tried: ");
	if (pc->verify_name != NULL)
		fprintf(fp, "name '%s'", pc->verify_name);
	else
		fputs("no name check", fp);
	if (o->ca_file != NULL)
		fprintf(fp, ", CAs of --ca-file %s", o->ca_file);
	if (o->ca_dir != NULL)
		fprintf(fp, ", CAs of --ca-dir %s", o->ca_dir);
	if (o->ca_file == NULL && o->ca_dir == NULL)
		fputs(", the system's trusted CAs", fp);
	fputc('\n', fp);
}

void certs_print_failures(FILE *fp, const char *log)
{
	const char *nl;

	while (log != NULL && *log != '\0') {
		nl = strchr(log, '\n');
		fprintf(fp, "  failure: %.*s\n",
			(int)(nl ? (size_t)(nl - log) : strlen(log)), log);
		log = nl ? nl + 1 : NULL;
	}
}

/* Every failure recorded, when there was more than the first (which the
 * error line tells). */
static void print_more_failures(FILE *fp, const char *log)
{
	const char *nl = log ? strchr(log, '\n') : NULL;

	if (nl != NULL && nl[1] != '\0')
		certs_print_failures(fp, log);
}

static void print_failed_chain(FILE *fp, struct tp_conn *c,
			       const struct tp_peer_certs *pc,
			       const struct cli_options *o)
{
	fprintf(fp, "Peer chain (as sent): %d certificate%s\n", pc->chain_len,
		pc->chain_len == 1 ? "" : "s");
	for (int n = 0; n < pc->chain_len; n++) {
		print_cert_line(fp, n, &pc->chain[n]);
		if (o->showcerts)
			certs_print_cert(fp, n, &pc->chain[n], 1);
	}
	print_more_failures(fp, tp_conn_verify_log(c));
	print_tried(fp, pc, o);
}

char *certs_failure_text(struct tp_conn *c, const struct cli_options *o)
{
	struct tp_peer_certs pc;
	int verify = tp_conn_errcode(c) == TP_ERR_VERIFY;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if (o->verbosity != CLI_NORMAL || tp_conn_peer_certs(c, &pc) == -1 ||
	    (!verify && !pc.cert_requested))
		return NULL;
	fp = open_memstream(&text, &len);
	if (fp == NULL)
		return NULL;
	fputs("---\n", fp);
	if (verify && pc.chain_len > 0)
		print_failed_chain(fp, c, &pc, o);
	if (verify)
		revocation_print(fp, c);
	print_request(fp, &pc);
	fputs("---\n", fp);
	if (fclose(fp) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

void certs_json_cert(struct json_writer *w, const struct tp_cert_info *ci)
{
	json_object_begin(w);
	json_kv_string(w, "subject", ci->subject);
	json_kv_string(w, "issuer", ci->issuer);
	json_kv_string(w, "not_before", ci->not_before);
	json_kv_string(w, "not_after", ci->not_after);
	json_kv_string(w, "serial", ci->serial);
	json_key(w, "sans");
	json_array_begin(w);
	for (int k = 0; k < ci->nsans; k++)
		json_string(w, ci->sans[k]);
	json_array_end(w);
	json_kv_string(w, "sha256_fingerprint", ci->sha256_fingerprint);
	json_kv_string(w, "key_type", ci->key_type);
	json_kv_int(w, "key_bits", ci->key_bits);
	json_kv_string(w, "signature_algorithm", ci->signature_algorithm);
	json_kv_string(w, "ca_issuers", ci->ca_issuers);
	json_kv_string(w, "ocsp_uri", ci->ocsp_uri);
	json_kv_string(w, "pem", ci->pem);
	json_object_end(w);
}

static void json_path(struct json_writer *w, const struct tp_peer_certs *pc)
{
	json_key(w, "verified_path");
	json_array_begin(w);
	for (int d = 0; d < pc->path_len; d++) {
		json_object_begin(w);
		json_kv_int(w, "depth", d);
		json_kv_string(w, "subject", pc->path[d].subject);
		json_key(w, "sent_index");
		if (pc->path[d].sent < 0)
			json_null(w);
		else
			json_int(w, pc->path[d].sent);
		json_object_end(w);
	}
	json_array_end(w);
}

static void json_request(struct json_writer *w, const struct tp_peer_certs *pc)
{
	json_key(w, "client_certificate");
	json_object_begin(w);
	json_kv_bool(w, "requested", pc->cert_requested);
	json_key(w, "ca_names");
	json_array_begin(w);
	for (int k = 0; k < pc->ca_names_len; k++)
		json_string(w, pc->ca_names[k]);
	json_array_end(w);
	json_kv_bool(w, "sent", pc->cert_sent);
	json_object_end(w);
}

void certs_json(struct json_writer *w, struct tp_conn *c)
{
	struct tp_peer_certs pc;

	json_key(w, "certificates");
	if (c == NULL || tp_conn_peer_certs(c, &pc) == -1) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_string(w, "verify_name", pc.verify_name);
	json_kv_bool(w, "verified", pc.verify_ok);
	json_kv_string(w, "error", pc.verify_error);
	json_key(w, "chain");
	json_array_begin(w);
	for (int n = 0; n < pc.chain_len; n++)
		certs_json_cert(w, &pc.chain[n]);
	json_array_end(w);
	json_path(w, &pc);
	/* Also here: "connection" is null after a failed verification. */
	revocation_json(w, c);
	json_request(w, &pc);
	json_object_end(w);
}
