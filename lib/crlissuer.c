/* One CRL per issuer (tp_config_add_crl_file). wolfSSL 5.5.4 puts each CRL
 * it loads at the head of its list and checks a certificate against the
 * first CRL of its issuer there, so of two CRLs of one issuer only the one
 * loaded last counts: an older CRL given after a newer one would hide what
 * the newer lists, and a revoked certificate would pass. A second CRL of an
 * issuer is refused instead. Issuers are compared as wolfSSL matches them:
 * by the DER of the CRL's issuer Name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#include <wolfssl/wolfcrypt/asn_public.h>

struct tp_crl_issuer {
	unsigned char *der; /* the issuer Name, tag and length included */
	size_t len;
	char *path;
};

/* The whole file, or NULL (free() it). */
static unsigned char *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL, *more;
	size_t cap = 0, got;

	*n = 0;
	if (f == NULL)
		return NULL;
	do {
		if (*n == cap) {
			cap = cap ? cap * 2 : 65536;
			more = realloc(buf, cap);
			if (more == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = more;
		}
		got = fread(buf + *n, 1, cap - *n, f);
		*n += got;
	} while (got > 0);
	fclose(f);
	return buf;
}

/* CertificateList ::= SEQUENCE { tbsCertList SEQUENCE { version INTEGER
 * OPTIONAL, signature AlgorithmIdentifier, issuer Name, ... }, ... }:
 * the issuer's element in [*name, *name + *len), or -1. */
static int issuer_of(const unsigned char *p, const unsigned char *end,
		     const unsigned char **name, size_t *len)
{
	const unsigned char *b;
	size_t n;
	int tag;

	if (tp_der_enter(&p, &end, 0x30) < 0 ||
	    tp_der_enter(&p, &end, 0x30) < 0)
		return -1;
	if (p < end && *p == 0x02 && tp_der_next(&p, end, &tag, &b, &n) < 0)
		return -1;
	if (tp_der_next(&p, end, &tag, &b, &n) < 0 || tag != 0x30)
		return -1;
	*name = p;
	if (tp_der_next(&p, end, &tag, &b, &n) < 0 || tag != 0x30)
		return -1;
	*len = (size_t)(p - *name);
	return 0;
}

/* The issuer Name of the CRL in path, as wolfSSL reads the file (the first
 * PEM CRL, else DER), in out (free() out->der); -1 when it is no CRL. */
static int crl_issuer(const char *path, struct tp_crl_issuer *out)
{
	DerBuffer *pem_der = NULL;
	const unsigned char *der, *name;
	unsigned char *file;
	size_t n, len;
	int r = -1;

	file = read_all(path, &n);
	if (file == NULL)
		return -1;
	der = file;
	if (wc_PemToDer(file, (long)n, CRL_TYPE, &pem_der, NULL, NULL, NULL) ==
	    0) {
		der = pem_der->buffer;
		n = pem_der->length;
	}
	if (issuer_of(der, der + n, &name, &len) == 0 &&
	    (out->der = malloc(len)) != NULL) {
		memcpy(out->der, name, len);
		out->len = len;
		r = 0;
	}
	wc_FreeDer(&pem_der);
	free(file);
	return r;
}

/* "/CN=..." for an issuer's DER (free() it), or NULL. */
static char *issuer_text(const struct tp_crl_issuer *is)
{
	unsigned char *p = is->der;
	WOLFSSL_X509_NAME *name =
		wolfSSL_d2i_X509_NAME(NULL, &p, (long)is->len);
	char *text = name ? tp_x509_name(name) : NULL;

	wolfSSL_X509_NAME_free(name);
	return text;
}

static void refuse(struct tp_config *cfg, const struct tp_crl_issuer *old,
		   const struct tp_crl_issuer *new)
{
	char *text = issuer_text(new);

	tp_config_seterr(cfg,
			 "CRL files '%s' and '%s' are both of issuer %s: give "
			 "one CRL per issuer (its newest)",
			 old->path, new->path, text ? text : "(unreadable)");
	free(text);
}

int tp_crl_issuer_claim(struct tp_config *cfg, const char *path)
{
	struct tp_crl_issuer is = { 0 }, *more;

	if (crl_issuer(path, &is) < 0)
		return 0; /* no CRL: loading it says so */
	is.path = (char *)path;
	for (size_t i = 0; i < cfg->ncrl_issuers; i++) {
		const struct tp_crl_issuer *old = &cfg->crl_issuers[i];

		if (old->len == is.len &&
		    memcmp(old->der, is.der, is.len) == 0) {
			refuse(cfg, old, &is);
			free(is.der);
			return -1;
		}
	}
	more = realloc(cfg->crl_issuers,
		       (cfg->ncrl_issuers + 1) * sizeof(*more));
	is.path = strdup(path);
	if (more == NULL || is.path == NULL) {
		if (more != NULL)
			cfg->crl_issuers = more;
		free(is.der);
		free(is.path);
		tp_config_seterr(cfg, "out of memory");
		return -1;
	}
	cfg->crl_issuers = more;
	cfg->crl_issuers[cfg->ncrl_issuers++] = is;
	return 0;
}

void tp_crl_issuer_unclaim(struct tp_config *cfg)
{
	struct tp_crl_issuer *last = &cfg->crl_issuers[--cfg->ncrl_issuers];

	free(last->der);
	free(last->path);
}

void tp_crl_issuers_free(struct tp_config *cfg)
{
	for (size_t i = 0; i < cfg->ncrl_issuers; i++) {
		free(cfg->crl_issuers[i].der);
		free(cfg->crl_issuers[i].path);
	}
	free(cfg->crl_issuers);
	cfg->crl_issuers = NULL;
	cfg->ncrl_issuers = 0;
}
