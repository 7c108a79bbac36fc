/*
 * s3_curl.c — the Signature V4 backend of s3_client: one libcurl easy handle per
 * request, signed by libcurl itself (CURLOPT_AWS_SIGV4 "aws:amz:REGION:s3"), path-style
 * URLs, HTTPS verified by default. Listings are ListObjectsV2 pages parsed with
 * libxml2. Statuses and messages are the libs3 path's: 404 is "waiting", 403 names the
 * endpoint and the access key (never the secret), 416 means the object got shorter.
 */
#include "s3_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "../backends.h"

/* What one request collects. */
typedef struct req {
    CURL *h;
    /* GET body */
    char **buf;
    size_t *len, *cap;
    uint64_t room;      /* bytes still allowed */
    uint64_t skip;      /* bytes to drop: a server that answered a ranged GET whole */
    bool too_big, oom;
    /* any other body: an error document or a listing, capped */
    char *body;
    size_t blen, bcap;
    const atomic_int *cancel;
    bool cancelled;
} req;

static bool is_success(CURL *h)
{
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    return code >= 200 && code < 300;
}

enum { BODY_MAX = 8 << 20 }; /* a listing page of 1,000 keys is ~300 KiB */

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    req *r = userdata;
    size_t n = size * nmemb;
    if (r->buf && is_success(r->h)) {
        size_t use = n;
        const char *p = data;
        if (r->skip) {
            size_t s = r->skip < use ? (size_t)r->skip : use;
            r->skip -= s;
            p += s;
            use -= s;
        }
        if (use > r->room) {
            r->too_big = true;
            return 0;
        }
        if (!bs_reserve(r->buf, r->cap, *r->len + use + 1)) {
            r->oom = true;
            return 0;
        }
        memcpy(*r->buf + *r->len, p, use);
        *r->len += use;
        r->room -= use;
        return n;
    }
    if (r->blen + n > BODY_MAX) {
        r->too_big = true;
        return 0;
    }
    if (!bs_reserve(&r->body, &r->bcap, r->blen + n + 1)) {
        r->oom = true;
        return 0;
    }
    memcpy(r->body + r->blen, data, n);
    r->blen += n;
    r->body[r->blen] = '\0';
    return n;
}

static int on_progress(void *userdata, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    req *r = userdata;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    if (r->cancel && atomic_load(r->cancel)) {
        r->cancelled = true;
        return 1;
    }
    return 0;
}

/* Percent-encodes s (RFC 3986 unreserved kept; '/' kept when keep_slash), as SigV4's
 * canonical request wants it. */
static bool encode(const char *s, bool keep_slash, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                     *p == '-' || *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/');
        if (o + (plain ? 1 : 3) >= outlen)
            return false;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return true;
}

/* The text of the first element named `name` under node (local names, any namespace). */
static xmlNode *child(xmlNode *node, const char *name)
{
    for (xmlNode *n = node ? node->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
            return n;
    return NULL;
}

static void child_text(xmlNode *node, const char *name, char *out, size_t outlen)
{
    out[0] = '\0';
    xmlNode *n = child(node, name);
    if (!n)
        return;
    xmlChar *t = xmlNodeGetContent(n);
    if (t) {
        snprintf(out, outlen, "%s", (const char *)t);
        xmlFree(t);
    }
}

static xmlDoc *parse(const req *r)
{
    if (!r->body || !r->blen)
        return NULL;
    return xmlReadMemory(r->body, (int)r->blen, "s3.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

/* The <Code> and <Message> of an S3 error document, when there is one. */
static void error_code(const req *r, char *code, size_t codelen, char *msg, size_t msglen)
{
    code[0] = msg[0] = '\0';
    xmlDoc *d = parse(r);
    if (!d)
        return;
    xmlNode *root = xmlDocGetRootElement(d);
    if (root && !strcmp((const char *)root->name, "Error")) {
        child_text(root, "Code", code, codelen);
        child_text(root, "Message", msg, msglen);
    }
    xmlFreeDoc(d);
}

/* One request: method on url (query already in it), optional body, headers (hdrs: NULL
 * or NULL-terminated lines, e.g. Range or a body's Content-Type). Returns the HTTP
 * status in *http (0 when none came) or a cn_status for what failed before. */
static cn_status perform(s3_client *c, req *r, const char *method, const char *url, const char *body, size_t blen,
                         const char *const *hdrs, bool cancellable, const char *what, const char *key, long *http,
                         cn_error *err)
{
    *http = 0;
    CURL *h = curl_easy_init();
    if (!h)
        return cn_fail(err, CN_FATAL, "libcurl could not create a handle");
    r->h = h;
    r->cancel = cancellable ? c->cancel : NULL;
    char sigv4[96], errbuf[CURL_ERROR_SIZE] = "";
    snprintf(sigv4, sizeof sigv4, "aws:amz:%s:s3", c->region);
    struct curl_slist *hdr = NULL;
    /* S3 wants the payload hash as a header; libcurl signs the value it finds there */
    hdr = curl_slist_append(hdr, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    bool failed = !hdr;
    for (size_t i = 0; hdrs && hdrs[i] && !failed; i++) /* a list that failed to grow is still hdr's */
        failed = !curl_slist_append(hdr, hdrs[i]);
    if (failed) {
        curl_slist_free_all(hdr);
        curl_easy_cleanup(h);
        return cn_fail(err, CN_FATAL, "out of memory");
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
    /* not CURLOPT_USERPWD: an access key may hold a ':' (Swift's account:user) */
    curl_easy_setopt(h, CURLOPT_USERNAME, c->access);
    curl_easy_setopt(h, CURLOPT_PASSWORD, c->secret);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, c->https ? "https" : "http");
    if (r->cancel) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, r);
    }
    if (c->https) {
        if (c->ca_file[0])
            curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
        if (c->insecure) {
            curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
        }
    }
    if (strcmp(method, "GET")) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        /* POSTFIELDS, so libcurl hashes the body it signs; the method stays PUT */
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
    }
    CURLcode rc = curl_easy_perform(h);
    int saw = errno; /* a socket() that failed leaves it here; libcurl keeps only connect()'s */
    long oserr = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, http);
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    r->h = NULL;
    if (rc == CURLE_OK)
        return CN_OK;
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (r->too_big || r->oom)
        return CN_OK; /* the caller says which */
    if (r->cancelled)
        return cn_fail(err, CN_TRANSIENT, "S3 %s s3://%s/%s at %s cancelled (shutting down)", what, c->bucket, key,
                       c->endpoint);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return cn_fail(err, CN_TRANSIENT, "S3 %s s3://%s/%s at %s timed out after %d ms", what, c->bucket, key,
                       c->endpoint, c->timeout_ms);
    int shortage = oserr == EMFILE || oserr == ENFILE ? (int)oserr
                   : rc == CURLE_COULDNT_CONNECT && (saw == EMFILE || saw == ENFILE) ? saw : 0;
    if (shortage)
        return cn_fail_errno(err, shortage, CN_TRANSIENT, "S3 %s s3://%s/%s at %s: this process is out of file "
                             "descriptors (%s); retrying", what, c->bucket, key, c->endpoint, detail);
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_ISSUER_ERROR ||
        rc == CURLE_SSL_CRL_BADFILE)
        return cn_fail(err, CN_CONFIG,
                       "S3 at https://%s: the server's TLS certificate was not accepted (%s): give its CA with "
                       "--s3-ca-file (S3_CA_FILE), or --s3-insecure for a test setup", c->endpoint, detail);
    return cn_fail(err, CN_TRANSIENT, "S3 %s s3://%s/%s at %s failed: %s", what, c->bucket, key, c->endpoint, detail);
}

/* Turns the answer to one request into a cn_status, as classify() does for libs3. */
static cn_status answer(s3_client *c, const req *r, long http, uint64_t max, const char *cap_hint, const char *what,
                        const char *key, cn_error *err)
{
    if (r->oom)
        return cn_fail(err, CN_FATAL, "out of memory reading s3://%s/%s", c->bucket, key);
    if (r->too_big)
        return cn_fail(err, CN_INPUT, "s3://%s/%s at %s is over the size cap of %llu bytes%s", c->bucket, key,
                       c->endpoint, (unsigned long long)max, cap_hint ? cap_hint : "");
    if (http >= 200 && http < 300)
        return CN_OK;
    char code[96], msg[256];
    error_code(r, code, sizeof code, msg, sizeof msg);
    if (!code[0])
        snprintf(code, sizeof code, "HTTP %ld", http);
    const char *sep = msg[0] ? ": " : "";
    if (http == 404)
        return cn_fail(err, CN_NOT_FOUND, "s3://%s/%s does not exist yet at %s (%s; waiting for the game to start)",
                       c->bucket, key, c->endpoint, code);
    if (http == 401 || http == 403)
        return cn_fail(err, CN_AUTH,
                       "S3 at %s refused access key '%s' for %s s3://%s/%s (%s%s%s): check S3_ACCESS_KEY and "
                       "S3_SECRET_KEY (and S3_REGION)", c->endpoint, c->access, what, c->bucket, key, code, sep, msg);
    return cn_fail(err, CN_TRANSIENT, "S3 %s s3://%s/%s at %s failed: %s%s%s", what, c->bucket, key, c->endpoint,
                   code, sep, msg);
}

static bool object_url(const s3_client *c, const char *key, char *url, size_t urllen)
{
    char enc[3200];
    if (!encode(key, true, enc, sizeof enc))
        return false;
    return (size_t)snprintf(url, urllen, "%s://%s/%s/%s", c->https ? "https" : "http", c->endpoint, c->bucket, enc) <
           urllen;
}

cn_status s3_curl_get(s3_client *c, const char *key, uint64_t start, uint64_t max, const char *cap_hint, char **buf,
                      size_t *len, size_t *cap, bool *shorter, cn_error *err)
{
    char url[4096], range[64];
    *len = 0;
    *shorter = false;
    if (!object_url(c, key, url, sizeof url))
        return cn_fail(err, CN_INPUT, "key '%.64s...' in s3://%s is too long", key, c->bucket);
    snprintf(range, sizeof range, "Range: bytes=%llu-", (unsigned long long)start);
    req r = {.buf = buf, .len = len, .cap = cap, .room = max > start ? max - start : 0};
    long http;
    const char *const hdrs[] = {range, NULL};
    cn_status st = perform(c, &r, "GET", url, NULL, 0, start ? hdrs : NULL, true, "GET", key, &http, err);
    if (!st && http == 200 && start) {
        /* the server ignored the range and sent it all: keep what is past start */
        if (*len < start) {
            *len = 0;
            *shorter = true;
            free(r.body);
            return CN_OK;
        }
        memmove(*buf, *buf + start, *len - start);
        *len -= start;
    }
    if (!st && http == 416) {
        *shorter = true;
        free(r.body);
        return CN_OK;
    }
    if (!st)
        st = answer(c, &r, http, max, cap_hint, "GET", key, err);
    free(r.body);
    return st;
}

static int64_t parse_time_ms(const char *s)
{
    struct tm tm = {0};
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    return t < 0 ? 0 : (int64_t)t * 1000; /* whole seconds, as the libs3 path gives them */
}

/* One ListObjectsV2 page into out; *next is the continuation token ("" when done). */
static cn_status list_page(s3_client *c, int page_size, const char *token, cn_listing *out, char *next,
                           size_t nextlen, cn_error *err)
{
    char url[4096], pfx[3200], tok[2200];
    next[0] = '\0';
    if (!encode(c->key, false, pfx, sizeof pfx) || !encode(token, false, tok, sizeof tok))
        return cn_fail(err, CN_INPUT, "prefix of s3://%s is too long", c->bucket);
    /* query parameters in the order SigV4's canonical request sorts them */
    if ((size_t)snprintf(url, sizeof url, "%s://%s/%s?%s%s%slist-type=2&max-keys=%d&prefix=%s",
                         c->https ? "https" : "http", c->endpoint, c->bucket, token[0] ? "continuation-token=" : "",
                         tok, token[0] ? "&" : "", page_size, pfx) >= sizeof url)
        return cn_fail(err, CN_INPUT, "prefix of s3://%s is too long", c->bucket);
    req r = {0};
    long http;
    cn_status st = perform(c, &r, "GET", url, NULL, 0, NULL, true, "LIST", c->key, &http, err);
    if (!st)
        st = answer(c, &r, http, BODY_MAX, " (a listing page)", "LIST", c->key, err);
    if (st) {
        free(r.body);
        return st;
    }
    xmlDoc *d = parse(&r);
    xmlNode *root = d ? xmlDocGetRootElement(d) : NULL;
    if (!root || strcmp((const char *)root->name, "ListBucketResult")) {
        if (d)
            xmlFreeDoc(d);
        free(r.body);
        return cn_fail(err, CN_TRANSIENT, "S3 LIST s3://%s/%s at %s: the answer is not a ListBucketResult",
                       c->bucket, c->key, c->endpoint);
    }
    free(r.body);
    size_t strip = strlen(c->key);
    char truncated[16];
    child_text(root, "IsTruncated", truncated, sizeof truncated);
    st = CN_OK;
    for (xmlNode *n = root->children; n && !st; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "Contents"))
            continue;
        char key[1100], size[32], etag[80], mod[64];
        child_text(n, "Key", key, sizeof key);
        child_text(n, "Size", size, sizeof size);
        child_text(n, "ETag", etag, sizeof etag);
        child_text(n, "LastModified", mod, sizeof mod);
        if (strlen(key) <= strip)
            continue; /* the prefix's own "folder" object */
        size_t elen = strlen(etag);
        char *e = etag;
        if (elen >= 2 && e[0] == '"' && e[elen - 1] == '"') {
            e[elen - 1] = '\0';
            e++;
        }
        st = cn_listing_add(out, key + strip, strtoull(size, NULL, 10), e, parse_time_ms(mod), err);
    }
    if (!st && !strcmp(truncated, "true")) {
        child_text(root, "NextContinuationToken", next, nextlen);
        if (!next[0])
            st = cn_fail(err, CN_TRANSIENT, "S3 LIST s3://%s/%s at %s: a truncated page has no continuation token",
                         c->bucket, c->key, c->endpoint);
    }
    xmlFreeDoc(d);
    return st;
}

cn_status s3_curl_list(s3_client *c, int page_size, cn_listing *out, cn_error *err)
{
    char token[2048] = "", next[2048];
    for (;;) {
        out->requests++;
        if (list_page(c, page_size > 0 ? page_size : 1000, token, out, next, sizeof next, err))
            return err->status;
        if (!next[0])
            return CN_OK;
        if (!strcmp(next, token))
            return cn_fail(err, CN_TRANSIENT, "S3 LIST s3://%s/%s at %s: a truncated page did not move the "
                           "continuation token", c->bucket, c->key, c->endpoint);
        memcpy(token, next, sizeof token);
    }
}

/* The Content-Type line a body is sent with when none is given. */
static const char *const plain_text[] = {"Content-Type: text/plain", NULL};

cn_status s3_curl_put(s3_client *c, const char *key, const char *data, size_t len, const s3_put_meta *meta,
                      cn_error *err)
{
    char url[4096], type[160], cache[300];
    if (!object_url(c, key, url, sizeof url))
        return cn_fail(err, CN_INPUT, "key '%.64s...' in s3://%s is too long", key, c->bucket);
    snprintf(type, sizeof type, "Content-Type: %s", meta && meta->content_type ? meta->content_type : "text/plain");
    snprintf(cache, sizeof cache, "Cache-Control: %s", meta && meta->cache_control ? meta->cache_control : "");
    const char *const hdrs[] = {type, meta && meta->cache_control ? cache : NULL, NULL};
    req r = {0};
    long http;
    cn_status st = perform(c, &r, "PUT", url, data, len, hdrs, false, "PUT", key, &http, err);
    if (!st)
        st = answer(c, &r, http, 0, "", "PUT", key, err);
    free(r.body);
    return st;
}

cn_status s3_curl_create_bucket(s3_client *c, cn_error *err)
{
    char url[600], code[96], msg[256];
    snprintf(url, sizeof url, "%s://%s/%s", c->https ? "https" : "http", c->endpoint, c->bucket);
    req r = {0};
    long http;
    cn_status st = perform(c, &r, "PUT", url, "", 0, plain_text, false, "create bucket", c->key, &http, err);
    if (!st && http == 409) {
        error_code(&r, code, sizeof code, msg, sizeof msg);
        if (!strcmp(code, "BucketAlreadyOwnedByYou") || !strcmp(code, "BucketAlreadyExists")) {
            free(r.body);
            return CN_OK;
        }
    }
    if (!st)
        st = answer(c, &r, http, 0, "", "create bucket", c->key, err);
    free(r.body);
    return st;
}
