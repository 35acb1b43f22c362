/*
 * The signing ceiling of bench/run.sh: HMAC-SHA512 signatures per second on
 * one core over a JWT-sized signing input (the base64url header and payload
 * of a ~200-byte token), the way cordgate's src/jwt.c signs: one EVP_MAC
 * context, re-keyed for every signature.
 *
 *   hmac [SECONDS] [INPUT_BYTES]     prints "<signatures/s> <input bytes>"
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    const char key[] =
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    double seconds = argc > 1 ? atof(argv[1]) : 3.0, start, t;
    size_t len = argc > 2 ? (size_t)atol(argv[2]) : 200, i, maclen;
    char digest[] = "SHA512";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    unsigned char mac[64], *input;
    EVP_MAC_CTX *ctx;
    EVP_MAC *hmac;
    long long n = 0;

    if (seconds <= 0 || len == 0 || (input = malloc(len)) == NULL)
        return 2;
    for (i = 0; i < len; i++)
        input[i] = (unsigned char)("eyJhbGciOiJIUzUxMiJ9._-"[i % 23]);
    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    ctx = hmac != NULL ? EVP_MAC_CTX_new(hmac) : NULL;
    if (ctx == NULL || EVP_MAC_CTX_set_params(ctx, params) != 1)
        return 1;
    start = now();
    do {
        for (i = 0; i < 1000; i++) {
            if (EVP_MAC_init(ctx, (const unsigned char *)key, strlen(key),
                             NULL) != 1 ||
                EVP_MAC_update(ctx, input, len) != 1 ||
                EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) != 1)
                return 1;
        }
        n += 1000;
        t = now() - start;
    } while (t < seconds);
    printf("%.0f %zu\n", (double)n / t, len);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
    free(input);
    return 0;
}
