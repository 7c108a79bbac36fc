/*
 * s3_client.c — the one S3 client: Signature V4 requests go to the libcurl backend
 * (s3_curl.c); V2 requests are libs3 requests with a deadline, and libs3 statuses
 * turned into cn_status values and messages that name the endpoint, the bucket and the key.
 */
#include "s3_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "../backends.h"

/* What one request collects through its callbacks. */
typedef struct s3_call {
    S3Status status;
    char detail[256];
    /* GET */
    char **buf;
    size_t *len, *cap;
    uint64_t room;      /* bytes still allowed */
    uint64_t max;       /* the cap, for the message */
    const char *cap_hint; /* the option that sets it, "" when none */
    bool too_big;
    /* PUT */
    const char *data;
    size_t left;
    const s3_put_meta *meta; /* NULL: text/plain */
    /* LIST: one page of at most page_size keys after `after` */
    cn_listing *listing;
    const char *after;
    int page_size;
    size_t strip;       /* the prefix's length, cut from each key */
    bool truncated;
    char next[1100];    /* where the next page starts */
    cn_error *add_err;  /* set when a key could not be added */
} s3_call;

cn_status cn_s3_global_init(cn_error *err)
{
    S3Status st = S3_initialize("sidearm-pipeline", S3_INIT_ALL, "localhost:9000");
    if (st != S3StatusOK)
        return cn_fail(err, CN_FATAL, "libs3 initialisation failed: %s", S3_get_status_name(st));
    return CN_OK;
}

void cn_s3_global_cleanup(void)
{
    S3_deinitialize();
}

/* With prefix, the key may be empty (s3://bucket/ names the whole bucket). */
static cn_status client_new(s3_client **out, const cn_uri *u, const cn_settings *cfg, bool prefix, cn_error *err)
{
    if (!u->host[0] || (!prefix && strlen(u->path) < 2))
        return cn_fail(err, CN_CONFIG, "s3:// needs a bucket and a key, like s3://gamestreams/gamestream.txt");
    if (S3_validate_bucket_name(u->host, S3UriStylePath) != S3StatusOK)
        return cn_fail(err, CN_CONFIG, "'%s' is not a valid S3 bucket name", u->host);
    const char *sig = cfg->s3_signature && cfg->s3_signature[0] ? cfg->s3_signature : "v4";
    bool v4 = !strcmp(sig, "v4");
    if (!v4 && strcmp(sig, "v2"))
        return cn_fail(err, CN_CONFIG, "--s3-signature must be v4 or v2, not '%s'", sig);
    if (!v4 && ((cfg->s3_ca_file && cfg->s3_ca_file[0]) || cfg->s3_insecure))
        return cn_fail(err, CN_CONFIG, "--s3-ca-file and --s3-insecure need --s3-signature v4: libs3 (v2) always "
                                       "verifies against the system's CA certificates");
    if ((cfg->s3_ca_file && cfg->s3_ca_file[0]) || cfg->s3_insecure) {
        if (!cfg->s3_https)
            return cn_fail(err, CN_CONFIG, "--s3-ca-file and --s3-insecure need --s3-https");
    }
    s3_client *c = calloc(1, sizeof *c);
    if (!c)
        return cn_fail(err, CN_FATAL, "out of memory");
    c->v4 = v4;
    c->https = cfg->s3_https;
    c->insecure = cfg->s3_insecure;
    snprintf(c->region, sizeof c->region, "%s", cfg->s3_region && cfg->s3_region[0] ? cfg->s3_region : "us-east-1");
    snprintf(c->ca_file, sizeof c->ca_file, "%s", cfg->s3_ca_file ? cfg->s3_ca_file : "");
    snprintf(c->endpoint, sizeof c->endpoint, "%s", cfg->s3_endpoint ? cfg->s3_endpoint : "localhost:9000");
    snprintf(c->bucket, sizeof c->bucket, "%s", u->host);
    snprintf(c->key, sizeof c->key, "%s", u->path[0] ? u->path + 1 : "");
    snprintf(c->access, sizeof c->access, "%s", cfg->s3_access_key ? cfg->s3_access_key : "");
    snprintf(c->secret, sizeof c->secret, "%s", cfg->s3_secret_key ? cfg->s3_secret_key : "");
    c->ctx = (S3BucketContext){c->endpoint, c->bucket, cfg->s3_https ? S3ProtocolHTTPS : S3ProtocolHTTP,
                               S3UriStylePath, c->access, c->secret};
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
    c->cancel = cfg->cancel;
    *out = c;
    return CN_OK;
}

cn_status s3_client_new(s3_client **out, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    return client_new(out, u, cfg, false, err);
}

cn_status s3_client_new_prefix(s3_client **out, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    return client_new(out, u, cfg, true, err);
}

void s3_client_free(s3_client *c)
{
    free(c);
}

const char *s3_client_bucket(const s3_client *c)
{
    return c->bucket;
}

const char *s3_client_key(const s3_client *c)
{
    return c->key;
}

/* ---------------------------------------------------------------- callbacks */

static S3Status on_properties(const S3ResponseProperties *p, void *data)
{
    (void)p;
    (void)data;
    return S3StatusOK;
}

static void on_complete(S3Status status, const S3ErrorDetails *e, void *data)
{
    s3_call *call = data;
    call->status = status;
    if (e && (e->message || e->resource))
        snprintf(call->detail, sizeof call->detail, "%s%s%s", e->message ? e->message : "",
                 e->message && e->resource ? " " : "", e->resource ? e->resource : "");
}

static S3Status on_data(int size, const char *buffer, void *data)
{
    s3_call *call = data;
    size_t n = (size_t)size;
    if (n > call->room) {
        call->too_big = true;
        return S3StatusAbortedByCallback;
    }
    if (!bs_reserve(call->buf, call->cap, *call->len + n + 1))
        return S3StatusOutOfMemory;
    memcpy(*call->buf + *call->len, buffer, n);
    *call->len += n;
    call->room -= n;
    return S3StatusOK;
}

static S3Status on_list(int truncated, const char *next, int count, const S3ListBucketContent *v, int nprefixes,
                        const char **prefixes, void *data)
{
    s3_call *call = data;
    (void)nprefixes;
    (void)prefixes;
    call->truncated = truncated;
    for (int i = 0; i < count; i++) {
        char etag[72];
        const char *e = v[i].eTag ? v[i].eTag : "";
        size_t elen = strlen(e);
        if (elen >= 2 && e[0] == '"' && e[elen - 1] == '"')
            snprintf(etag, sizeof etag, "%.*s", (int)(elen - 2), e + 1);
        else
            snprintf(etag, sizeof etag, "%s", e);
        snprintf(call->next, sizeof call->next, "%s", v[i].key);
        if (strlen(v[i].key) <= call->strip)
            continue; /* the prefix's own "folder" object */
        int64_t ms = v[i].lastModified >= 0 ? v[i].lastModified * 1000 : 0; /* libs3 gives seconds */
        if (cn_listing_add(call->listing, v[i].key + call->strip, v[i].size, etag, ms, call->add_err))
            return S3StatusOutOfMemory;
    }
    /* S3 sends NextMarker only with a delimiter: the last key is the marker otherwise */
    if (next && next[0])
        snprintf(call->next, sizeof call->next, "%s", next);
    return S3StatusOK;
}

static int on_put_data(int size, char *buffer, void *data)
{
    s3_call *call = data;
    size_t n = call->left < (size_t)size ? call->left : (size_t)size;
    memcpy(buffer, call->data, n);
    call->data += n;
    call->left -= n;
    return (int)n;
}

/* ---------------------------------------------------------------- running one request */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drives the request in ctx until it completes, the deadline passes, or (for a read)
 * the owner asks to cancel. */
static bool run_with_deadline(S3RequestContext *ctx, int timeout_ms, const atomic_int *cancel)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int remaining = 0;
        if (S3_runonce_request_context(ctx, &remaining) != S3StatusOK || remaining == 0)
            return true;
        int64_t left = deadline - now_ms();
        if (left <= 0 || (cancel && atomic_load(cancel)))
            return false;
        fd_set r, w, x;
        int maxfd = -1;
        FD_ZERO(&r);
        FD_ZERO(&w);
        FD_ZERO(&x);
        S3_get_request_context_fdsets(ctx, &r, &w, &x, &maxfd);
        int64_t t = S3_get_request_context_timeout(ctx);
        if (t < 0 || t > left)
            t = left;
        if (t > 100)
            t = 100;
        struct timeval tv = {(time_t)(t / 1000), (suseconds_t)((t % 1000) * 1000)};
        if (maxfd >= 0)
            select(maxfd + 1, &r, &w, &x, &tv);
        else
            nanosleep(&(struct timespec){0, (long)t * 1000000L}, NULL);
    }
}

typedef enum { OP_GET, OP_PUT, OP_MKBUCKET, OP_LIST } s3_op;

/* key names the object (or the prefix listed) in messages. */
static cn_status classify(const s3_client *c, const s3_call *call, const char *key, const char *what, cn_error *err)
{
    S3Status st = call->status;
    const char *name = S3_get_status_name(st);
    const char *sep = call->detail[0] ? ": " : "";
    switch (st) {
    case S3StatusOK:
        return CN_OK;
    case S3StatusErrorNoSuchKey:
    case S3StatusErrorNoSuchBucket:
    case S3StatusHttpErrorNotFound:
        return cn_fail(err, CN_NOT_FOUND, "s3://%s/%s does not exist yet at %s (%s; waiting for the game to start)",
                       c->bucket, key, c->endpoint, name);
    case S3StatusErrorAccessDenied:
    case S3StatusErrorInvalidAccessKeyId:
    case S3StatusErrorSignatureDoesNotMatch:
    case S3StatusHttpErrorForbidden:
        return cn_fail(err, CN_AUTH,
                       "S3 at %s refused access key '%s' for %s s3://%s/%s (%s%s%s): check S3_ACCESS_KEY and "
                       "S3_SECRET_KEY", c->endpoint, c->access, what, c->bucket, key, name, sep, call->detail);
    default:
        break;
    }
    if (call->too_big)
        return cn_fail(err, CN_INPUT, "s3://%s/%s at %s is over the size cap of %llu bytes%s", c->bucket, key,
                       c->endpoint, (unsigned long long)call->max, call->cap_hint ? call->cap_hint : "");
    /* anything else may pass (a 5xx, a reset connection, a proxy hiccup): retry it, loudly */
    return cn_fail(err, CN_TRANSIENT, "S3 %s s3://%s/%s at %s failed: %s%s%s", what, c->bucket, key, c->endpoint,
                   name, sep, call->detail);
}

/* One request on key (the listed prefix for OP_LIST), at most c->timeout_ms long. */
static cn_status run(s3_client *c, s3_op op, s3_call *call, const char *key, uint64_t start, const char *what,
                     cn_error *err)
{
    S3RequestContext *ctx = NULL;
    if (S3_create_request_context(&ctx) != S3StatusOK)
        return cn_fail(err, CN_FATAL, "libs3 could not create a request context");
    call->status = S3StatusInterrupted;
    S3ResponseHandler rh = {on_properties, on_complete};
    switch (op) {
    case OP_GET: {
        S3GetObjectHandler h = {rh, on_data};
        S3_get_object(&c->ctx, key, NULL, start, 0, ctx, &h, call);
        break;
    }
    case OP_PUT: {
        S3PutObjectHandler h = {rh, on_put_data};
        const s3_put_meta *m = call->meta;
        S3PutProperties props = {m && m->content_type ? m->content_type : "text/plain", NULL,
                                 m ? m->cache_control : NULL, NULL, NULL, -1, S3CannedAclPrivate, 0, NULL};
        S3_put_object(&c->ctx, key, call->left, &props, ctx, &h, call);
        break;
    }
    case OP_MKBUCKET:
        S3_create_bucket(c->ctx.protocol, c->access, c->secret, c->endpoint, c->bucket, S3CannedAclPrivate, NULL, ctx,
                         &rh, call);
        break;
    case OP_LIST: {
        S3ListBucketHandler h = {rh, on_list};
        S3_list_bucket(&c->ctx, key, call->after[0] ? call->after : NULL, NULL, call->page_size, ctx, &h, call);
        break;
    }
    }
    bool done = run_with_deadline(ctx, c->timeout_ms, op == OP_GET || op == OP_LIST ? c->cancel : NULL);
    S3_destroy_request_context(ctx); /* aborts a request still running */
    if (!done)
        return cn_fail(err, CN_TRANSIENT, "S3 %s s3://%s/%s at %s timed out after %d ms", what, c->bucket, key,
                       c->endpoint, c->timeout_ms);
    if (call->add_err && call->add_err->status)
        return cn_fail(err, call->add_err->status, "%s", call->add_err->msg);
    return classify(c, call, key, what, err);
}

/* A GET of key from start, holding at most max bytes in all. */
static cn_status get(s3_client *c, const char *key, uint64_t start, uint64_t max, const char *cap_hint, char **buf,
                     size_t *len, size_t *cap, bool *shorter, cn_error *err)
{
    s3_call call = {0};
    *len = 0;
    *shorter = false;
    call.buf = buf;
    call.len = len;
    call.cap = cap;
    call.room = max > start ? max - start : 0;
    call.max = max;
    call.cap_hint = cap_hint;
    if (c->v4)
        return s3_curl_get(c, key, start, max, cap_hint, buf, len, cap, shorter, err);
    cn_status st = run(c, OP_GET, &call, key, start, "GET", err);
    if (call.status == S3StatusErrorInvalidRange) {
        *shorter = true;
        return CN_OK;
    }
    return st;
}

cn_status s3_client_get(s3_client *c, uint64_t start, uint64_t max, char **buf, size_t *len, size_t *cap,
                        bool *shorter, cn_error *err)
{
    return get(c, c->key, start, max, " (--max-object-mib)", buf, len, cap, shorter, err);
}

/* The client's key (a prefix) followed by key, into full. */
static cn_status full_key(const s3_client *c, const char *key, char *full, size_t n, cn_error *err)
{
    if ((size_t)snprintf(full, n, "%s%s", c->key, key) >= n)
        return cn_fail(err, CN_INPUT, "key '%.64s...' under s3://%s/%s is too long", key, c->bucket, c->key);
    return CN_OK;
}

cn_status s3_client_get_key(s3_client *c, const char *key, uint64_t max, char **data, size_t *len, cn_error *err)
{
    char full[2048];
    size_t cap = 0;
    bool shorter;
    *data = NULL;
    *len = 0;
    if (full_key(c, key, full, sizeof full, err))
        return err->status;
    cn_status st = get(c, full, 0, max, "", data, len, &cap, &shorter, err);
    if (!st && !*data && !(*data = malloc(1)))
        st = cn_fail(err, CN_FATAL, "out of memory reading s3://%s/%s", c->bucket, full);
    if (st) {
        free(*data);
        *data = NULL;
        *len = 0;
        return st;
    }
    (*data)[*len] = '\0';
    return CN_OK;
}

cn_status s3_client_list(s3_client *c, int page_size, cn_listing *out, cn_error *err)
{
    if (c->v4)
        return s3_curl_list(c, page_size, out, err);
    char after[sizeof ((s3_call *)0)->next] = "";
    cn_error add_err = {0};
    for (;;) {
        s3_call call = {.listing = out, .after = after, .page_size = page_size > 0 ? page_size : 1000,
                        .strip = strlen(c->key), .add_err = &add_err};
        out->requests++;
        if (run(c, OP_LIST, &call, c->key, 0, "LIST", err))
            return err->status;
        if (!call.truncated)
            return CN_OK;
        if (!call.next[0] || strcmp(call.next, after) <= 0)
            return cn_fail(err, CN_TRANSIENT, "S3 LIST s3://%s/%s at %s: a truncated page did not move the marker "
                           "past '%.200s'", c->bucket, c->key, c->endpoint, after);
        memcpy(after, call.next, sizeof after);
    }
}

cn_status s3_client_put(s3_client *c, const char *data, size_t len, cn_error *err)
{
    return s3_client_put_key(c, "", data, len, NULL, err);
}

cn_status s3_client_put_key(s3_client *c, const char *key, const char *data, size_t len, const s3_put_meta *meta,
                            cn_error *err)
{
    char full[2048];
    if (full_key(c, key, full, sizeof full, err))
        return err->status;
    if (c->v4)
        return s3_curl_put(c, full, data, len, meta, err);
    s3_call call = {0};
    call.data = data;
    call.left = len;
    call.meta = meta;
    return run(c, OP_PUT, &call, full, 0, "PUT", err);
}

cn_status s3_client_create_bucket(s3_client *c, cn_error *err)
{
    if (c->v4)
        return s3_curl_create_bucket(c, err);
    s3_call call = {0};
    cn_status st = run(c, OP_MKBUCKET, &call, c->key, 0, "create bucket", err);
    if (call.status == S3StatusErrorBucketAlreadyOwnedByYou || call.status == S3StatusErrorBucketAlreadyExists)
        return CN_OK;
    return st;
}
