/* Facts about the library and the wolfSSL it was built with. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_wolfssl(void)
{
	wolfSSL_Init();
}

void tp_library_init(void)
{
	pthread_once(&init_once, init_wolfssl);
}

const char *tp_version(void)
{
	return TLSPROBE_VERSION;
}

const char *tp_wolfssl_version(void)
{
	return wolfSSL_lib_version();
}

int tp_wolfssl_can_renegotiate(void)
{
#ifdef HAVE_SECURE_RENEGOTIATION
	return 1;
#else
	return 0;
#endif
}

#define FEATURE(on, name) ((on) ? " +" name : " -" name)

#ifdef HAVE_SECURE_RENEGOTIATION
#define F_RENEG 1
#else
#define F_RENEG 0
#endif
#ifdef WOLFSSL_TLS13
#define F_TLS13 1
#else
#define F_TLS13 0
#endif
#if !defined(NO_OLD_TLS) && defined(WOLFSSL_ALLOW_TLSV10)
#define F_OLD 1
#else
#define F_OLD 0
#endif
#ifdef HAVE_SECRET_CALLBACK
#define F_KEYLOG 1
#else
#define F_KEYLOG 0
#endif
#ifdef WOLFSSL_POST_HANDSHAKE_AUTH
#define F_PHA 1
#else
#define F_PHA 0
#endif
#ifdef HAVE_SNI
#define F_SNI 1
#else
#define F_SNI 0
#endif
#ifdef HAVE_ALPN
#define F_ALPN 1
#else
#define F_ALPN 0
#endif
#ifdef HAVE_SESSION_TICKET
#define F_TICKETS 1
#else
#define F_TICKETS 0
#endif
#ifdef HAVE_CERTIFICATE_STATUS_REQUEST
#define F_OCSP 1
#else
#define F_OCSP 0
#endif
#ifdef HAVE_CRL
#define F_CRL 1
#else
#define F_CRL 0
#endif
#if defined(KEEP_PEER_CERT) && defined(SESSION_CERTS)
#define F_CHAIN 1
#else
#define F_CHAIN 0
#endif

static char features[256];

static void build_features(void)
{
	snprintf(features, sizeof(features), "%s%s%s%s%s%s%s%s%s%s%s%s",
		 FEATURE(F_RENEG, "renegotiation"), FEATURE(F_TLS13, "tls1.3"),
		 FEATURE(F_TLS13, "keyupdate"), FEATURE(F_OLD, "tls1.0/1.1"),
		 FEATURE(F_KEYLOG, "keylog"),
		 FEATURE(F_PHA, "post-handshake-auth"), FEATURE(F_SNI, "sni"),
		 FEATURE(F_ALPN, "alpn"), FEATURE(F_TICKETS, "tickets"),
		 FEATURE(F_OCSP, "ocsp-stapling"), FEATURE(F_CRL, "crl"),
		 FEATURE(F_CHAIN, "peer-chain"));
}

const char *tp_wolfssl_features(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, build_features);
	return features + 1;
}

static const struct {
	int code;
	const char *name;
} alerts[] = {
	{ 0, "close_notify" },
	{ 10, "unexpected_message" },
	{ 20, "bad_record_mac" },
	{ 21, "decryption_failed" },
	{ 22, "record_overflow" },
	{ 30, "decompression_failure" },
	{ 40, "handshake_failure" },
	{ 41, "no_certificate" },
	{ 42, "bad_certificate" },
	{ 43, "unsupported_certificate" },
	{ 44, "certificate_revoked" },
	{ 45, "certificate_expired" },
	{ 46, "certificate_unknown" },
	{ 47, "illegal_parameter" },
	{ 48, "unknown_ca" },
	{ 49, "access_denied" },
	{ 50, "decode_error" },
	{ 51, "decrypt_error" },
	{ 70, "protocol_version" },
	{ 71, "insufficient_security" },
	{ 80, "internal_error" },
	{ 86, "inappropriate_fallback" },
	{ 90, "user_canceled" },
	{ 100, "no_renegotiation" },
	{ 109, "missing_extension" },
	{ 110, "unsupported_extension" },
	{ 112, "unrecognized_name" },
	{ 113, "bad_certificate_status_response" },
	{ 115, "unknown_psk_identity" },
	{ 116, "certificate_required" },
	{ 120, "no_application_protocol" },
};

const char *tp_alert_name(int description)
{
	for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (alerts[i].code == description)
			return alerts[i].name;
	return "unknown_alert";
}

static const struct {
	int type;
	const char *name;
} handshake_types[] = {
	{ 0, "HelloRequest" },	      { 1, "ClientHello" },
	{ 2, "ServerHello" },	      { 3, "HelloVerifyRequest" },
	{ 4, "NewSessionTicket" },    { 5, "EndOfEarlyData" },
	{ 8, "EncryptedExtensions" }, { 11, "Certificate" },
	{ 12, "ServerKeyExchange" },  { 13, "CertificateRequest" },
	{ 14, "ServerHelloDone" },    { 15, "CertificateVerify" },
	{ 16, "ClientKeyExchange" },  { 20, "Finished" },
	{ 22, "CertificateStatus" },  { 24, "KeyUpdate" },
	{ 254, "MessageHash" },
};

const char *tp_handshake_name(int type)
{
	for (size_t i = 0;
	     i < sizeof(handshake_types) / sizeof(handshake_types[0]); i++)
		if (handshake_types[i].type == type)
			return handshake_types[i].name;
	return "unknown";
}

const char *tp_version_name(enum tp_version v)
{
	switch (v) {
	case TP_TLS1_0:
		return "TLSv1.0";
	case TP_TLS1_1:
		return "TLSv1.1";
	case TP_TLS1_2:
		return "TLSv1.2";
	case TP_TLS1_3:
		return "TLSv1.3";
	default:
		return "any";
	}
}

enum tp_version tp_version_parse(const char *s)
{
	static const char *const prefixes[] = { "TLSv", "TLS", "tls", "" };
	static const struct {
		const char *num;
		enum tp_version v;
	} nums[] = { { "1.0", TP_TLS1_0 }, { "1", TP_TLS1_0 },
		     { "1.1", TP_TLS1_1 }, { "1.2", TP_TLS1_2 },
		     { "1.3", TP_TLS1_3 }, { "1_1", TP_TLS1_1 },
		     { "1_2", TP_TLS1_2 }, { "1_3", TP_TLS1_3 } };

	if (s == NULL)
		return TP_VERSION_ANY;
	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
		size_t pl = strlen(prefixes[p]);

		if (strncmp(s, prefixes[p], pl) != 0)
			continue;
		for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
			if (strcmp(s + pl, nums[i].num) == 0)
				return nums[i].v;
	}
	return TP_VERSION_ANY;
}
