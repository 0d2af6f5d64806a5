/* Revocation lines and JSON keys; see connect.h. */
#include "connect.h"

static const char *or_none(const char *s)
{
	return s[0] != '\0' ? s : "none";
}

static void print_times(FILE *fp, const struct tp_ocsp_info *o)
{
	fprintf(fp, " (this update %s, next update %s)",
		or_none(o->this_update), or_none(o->next_update));
}

/* The status in words; loud (capitals) when it fails verification. */
static void print_ocsp_status(FILE *fp, const struct tp_ocsp_info *o)
{
	switch (o->status) {
	case TP_OCSP_REVOKED:
		fprintf(fp, "REVOKED at %s", or_none(o->revocation_time));
		if (o->revocation_reason[0] != '\0')
			fprintf(fp, ", reason %s", o->revocation_reason);
		break;
	case TP_OCSP_UNKNOWN:
		fputs("unknown: the responder does not know this certificate",
		      fp);
		break;
	case TP_OCSP_UNREADABLE:
		fprintf(fp, "unreadable response (%zu bytes)", o->length);
		break;
	default:
		fputs(tp_ocsp_status_name(o->status), fp);
	}
}

/* A resumed session exchanges no certificate: nothing was stapled or
 * checked, whatever the connection it resumed found. */
static const char *why_none(struct tp_conn *c)
{
	struct tp_info i;

	return tp_conn_info(c, &i) == 0 && i.session_reused ?
		       " (session resumed: no certificate was sent)" :
		       NULL;
}

static void print_ocsp(FILE *fp, struct tp_conn *c)
{
	struct tp_ocsp_info o;
	const char *why = why_none(c);

	tp_conn_ocsp_info(c, &o);
	if (o.status == TP_OCSP_NOT_REQUESTED)
		return;
	fputs("OCSP: ", fp);
	if (o.status == TP_OCSP_NONE) {
		fprintf(fp, "no response stapled%s\n", why ? why : "");
		return;
	}
	print_ocsp_status(fp, &o);
	if (!o.trusted)
		fprintf(fp, ", NOT ACCEPTED: %s", o.problem);
	if (o.status != TP_OCSP_UNREADABLE)
		print_times(fp, &o);
	fputc('\n', fp);
}

static void print_crl(FILE *fp, struct tp_conn *c)
{
	const char *why = why_none(c);

	switch (tp_conn_crl_status(c)) {
	case TP_CRL_OFF:
		return;
	case TP_CRL_GOOD:
		fputs("CRL: good (not listed in its issuer's CRL)\n", fp);
		return;
	case TP_CRL_REVOKED:
		fputs("CRL: REVOKED (listed in its issuer's CRL)\n", fp);
		return;
	case TP_CRL_MISSING:
		fputs("CRL: MISSING (no CRL of its issuer was loaded)\n", fp);
		return;
	case TP_CRL_ERROR:
		/* Out of date, or a CRL verified on use (patch 0009) whose
		 * signature failed or whose issuer was not found. */
		fputs("CRL: ERROR (its issuer's CRL could not be used: out of "
		      "date or not verified)\n",
		      fp);
		return;
	default:
		if (why != NULL)
			fprintf(fp, "CRL: not checked%s\n", why);
		else
			fputs("CRL: not checked (the certificate failed "
			      "verification first)\n",
			      fp);
	}
}

void revocation_print(FILE *fp, struct tp_conn *c)
{
	print_ocsp(fp, c);
	print_crl(fp, c);
}

static void kv_time(struct json_writer *w, const char *key, const char *t)
{
	json_kv_string(w, key, t[0] != '\0' ? t : NULL);
}

static void json_ocsp(struct json_writer *w, struct tp_conn *c)
{
	struct tp_ocsp_info o;

	tp_conn_ocsp_info(c, &o);
	json_key(w, "ocsp");
	if (o.status == TP_OCSP_NOT_REQUESTED) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_string(w, "status", tp_ocsp_status_name(o.status));
	if (o.status != TP_OCSP_NONE) {
		json_kv_bool(w, "accepted", o.trusted);
		json_kv_string(w, "problem", o.trusted ? NULL : o.problem);
		json_key(w, "response_status");
		if (o.response_status < 0)
			json_null(w);
		else
			json_int(w, o.response_status);
		kv_time(w, "produced_at", o.produced_at);
		kv_time(w, "this_update", o.this_update);
		kv_time(w, "next_update", o.next_update);
		kv_time(w, "revocation_time", o.revocation_time);
		kv_time(w, "revocation_reason", o.revocation_reason);
		json_kv_int(w, "length", (long long)o.length);
	}
	json_object_end(w);
}

void revocation_json(struct json_writer *w, struct tp_conn *c)
{
	enum tp_crl_status crl = tp_conn_crl_status(c);

	json_ocsp(w, c);
	json_key(w, "crl");
	if (crl == TP_CRL_OFF) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_string(w, "status", tp_crl_status_name(crl));
	json_object_end(w);
}

void revocation_brief(FILE *fp, struct tp_conn *c)
{
	struct tp_ocsp_info o;
	enum tp_crl_status crl = tp_conn_crl_status(c);

	tp_conn_ocsp_info(c, &o);
	if (o.status != TP_OCSP_NOT_REQUESTED)
		fprintf(fp, ", ocsp %s%s", tp_ocsp_status_name(o.status),
			o.trusted || o.status == TP_OCSP_NONE ?
				"" :
				" (not accepted)");
	if (crl != TP_CRL_OFF)
		fprintf(fp, ", crl %s", tp_crl_status_name(crl));
}
