/*
 * bench/wolfspeed: raw AES-256-GCM and ChaCha20-Poly1305 encryption speed
 * of the wolfSSL that tlsprobe links (build/wolfssl), 16 KiB per call, for
 * about a second each: the ceiling of what tlsprobe can do in bulk.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	static unsigned char in[16384], out[16384];
	unsigned char key[32] = { 1 }, iv[12] = { 2 }, tag[16], aad[13] = { 3 };
	double t0, t;
	long n;
	Aes aes;

	memset(in, 0x5a, sizeof(in));
	if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0 ||
	    wc_AesGcmSetKey(&aes, key, sizeof(key)) != 0)
		return 1;
	t0 = now();
	for (n = 0; (t = now()) - t0 < 1.0; n++)
		if (wc_AesGcmEncrypt(&aes, out, in, sizeof(in), iv, sizeof(iv),
				     tag, sizeof(tag), aad, sizeof(aad)) != 0)
			return 1;
	printf("wolfSSL aes-256-gcm       %10.0f kB/s (16384-byte calls)\n",
	       (double)n * sizeof(in) / (t - t0) / 1000);
	t0 = now();
	for (n = 0; (t = now()) - t0 < 1.0; n++)
		if (wc_ChaCha20Poly1305_Encrypt(key, iv, aad, sizeof(aad), in,
						sizeof(in), out, tag) != 0)
			return 1;
	printf("wolfSSL chacha20-poly1305 %10.0f kB/s (16384-byte calls)\n",
	       (double)n * sizeof(in) / (t - t0) / 1000);
	return 0;
}
