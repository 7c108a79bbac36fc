/*
 * s3_backend.h — inside connectors/s3 only: what the two signers share. The client
 * (s3_client.c) is the one interface; with --s3-signature v4 its calls go to the
 * libcurl backend (s3_curl.c, CURLOPT_AWS_SIGV4), with v2 to libs3.
 */
#ifndef CN_S3_BACKEND_H
#define CN_S3_BACKEND_H

#include "s3_client.h"

#include <libs3.h>

struct s3_client {
    char endpoint[256], bucket[256], key[1024], access[256], secret[256];
    char region[64], ca_file[1024];
    bool v4, https, insecure;
    S3BucketContext ctx;
    int timeout_ms;
    const atomic_int *cancel;
};

/* The SigV4 backend: the same contracts as the s3_client_* calls. */
cn_status s3_curl_get(s3_client *c, const char *key, uint64_t start, uint64_t max, const char *cap_hint, char **buf,
                      size_t *len, size_t *cap, bool *shorter, cn_error *err);
cn_status s3_curl_list(s3_client *c, int page_size, cn_listing *out, cn_error *err);
cn_status s3_curl_put(s3_client *c, const char *key, const char *data, size_t len, const s3_put_meta *meta,
                      cn_error *err);
cn_status s3_curl_create_bucket(s3_client *c, cn_error *err);

#endif
