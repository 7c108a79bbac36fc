/*
 * s3_client.h — the few S3 calls the project makes, with timeouts, whatever signs them.
 *
 * Shared by the s3:// stream source, the lister and gamestream-sim's s3:// target. Each
 * call is one attempt that blocks its (worker) thread for at most cfg->timeout_ms, and
 * reads give up early when cfg->cancel is set. cfg->s3_signature picks the signer:
 * "v4" (the default) is libcurl's CURLOPT_AWS_SIGV4 (s3_curl.c), with HTTPS verified
 * against cfg->s3_ca_file or the system's CAs unless cfg->s3_insecure; "v2" is libs3 2.0
 * (a request context driven by select() with a deadline). Path-style URLs either way.
 */
#ifndef CN_S3_CLIENT_H
#define CN_S3_CLIENT_H

#include "connector.h"

typedef struct s3_client s3_client;

/* u is s3://bucket/key. Copies what it needs from cfg (endpoint, keys, signer, TLS).
 * CN_CONFIG for an unknown signature, or a CA file / --s3-insecure with v2 or without HTTPS. */
cn_status s3_client_new(s3_client **out, const cn_uri *u, const cn_settings *cfg, cn_error *err);
/* u is s3://bucket/prefix/ (or s3://bucket/): the key is a prefix, maybe empty. */
cn_status s3_client_new_prefix(s3_client **out, const cn_uri *u, const cn_settings *cfg, cn_error *err);
void s3_client_free(s3_client *c);
const char *s3_client_bucket(const s3_client *c);
const char *s3_client_key(const s3_client *c);

/* Reads the object from byte `start` to its end into *buf (realloc'd, caller frees).
 * Refuses, with CN_INPUT, to hold more than max bytes in all. *shorter is set when
 * the object is shorter than start (the server answers InvalidRange). */
cn_status s3_client_get(s3_client *c, uint64_t start, uint64_t max, char **buf, size_t *len, size_t *cap,
                        bool *shorter, cn_error *err);
/* Reads the object at the client's key (a prefix) followed by key, whole, into *data
 * (malloc'd, NUL-terminated; caller frees). CN_INPUT over max bytes. */
cn_status s3_client_get_key(s3_client *c, const char *key, uint64_t max, char **data, size_t *len, cn_error *err);
/* Appends every object whose key starts with the client's key (a prefix) to out, keys
 * relative to it, in the server's (key) order: one ListObjects request per page of
 * page_size keys (<= 0: 1000), each with the timeout of one request, counted in
 * out->requests. On failure out may hold the pages read so far. */
cn_status s3_client_list(s3_client *c, int page_size, cn_listing *out, cn_error *err);
/* Replaces the object with data (text/plain). */
cn_status s3_client_put(s3_client *c, const char *data, size_t len, cn_error *err);
/* What a PUT says of its body: its Content-Type (NULL: text/plain) and Cache-Control
 * (NULL: none). */
typedef struct s3_put_meta {
    const char *content_type, *cache_control;
} s3_put_meta;
/* Replaces the object at the client's key (a prefix) followed by key with data. */
cn_status s3_client_put_key(s3_client *c, const char *key, const char *data, size_t len, const s3_put_meta *meta,
                            cn_error *err);
/* Creates the bucket; one that exists already is fine. */
cn_status s3_client_create_bucket(s3_client *c, cn_error *err);

#endif
