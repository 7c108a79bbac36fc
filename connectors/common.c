/*
 * common.c — what every backend shares: statuses and errors, URIs and their
 * redaction, the driver log hook, listings and key checks. Below the backends;
 * registry.c, above them, maps URI schemes to them.
 */
#include "connector.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"

const char *cn_status_name(cn_status s)
{
    static const char *const names[] = {"ok", "not found", "transient", "auth", "config", "input", "fatal", "conflict"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "unknown";
}

cn_status cn_fail(cn_error *err, cn_status status, const char *fmt, ...)
{
    va_list ap;
    err->status = status;
    err->shortage = CN_SHORT_NONE;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return status;
}

cn_status cn_fail_errno(cn_error *err, int e, cn_status otherwise, const char *fmt, ...)
{
    va_list ap;
    err->status = cn_errno_status(e, otherwise);
    err->shortage = e == EMFILE || e == ENFILE ? CN_SHORT_DESCRIPTORS
                    : e == ENOSPC || e == EDQUOT ? CN_SHORT_SPACE
                                                 : CN_SHORT_NONE;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return err->status;
}

/* ---------------------------------------------------------------- local resources */

static atomic_uint_fast64_t out_of_descriptors, out_of_space;

cn_status cn_errno_status(int e, cn_status otherwise)
{
    switch (e) {
    case EMFILE:
    case ENFILE:
        atomic_fetch_add(&out_of_descriptors, 1);
        return CN_TRANSIENT;
    case ENOSPC:
    case EDQUOT:
        atomic_fetch_add(&out_of_space, 1);
        return CN_TRANSIENT;
    case EACCES:
    case EPERM:
        return CN_AUTH;
    default:
        return otherwise;
    }
}

cn_exhaustion cn_exhaustion_counts(void)
{
    return (cn_exhaustion){atomic_load(&out_of_descriptors), atomic_load(&out_of_space)};
}

/* ---------------------------------------------------------------- URIs */

static int hexval(char c)
{
    return isdigit((unsigned char)c) ? c - '0' : isxdigit((unsigned char)c) ? (tolower((unsigned char)c) - 'a' + 10) : -1;
}

static bool copy_decoded(char *dst, size_t dstlen, const char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '%' && i + 2 < n && hexval(src[i + 1]) >= 0 && hexval(src[i + 2]) >= 0) {
            c = (char)(hexval(src[i + 1]) * 16 + hexval(src[i + 2]));
            i += 2;
        }
        if (o + 1 >= dstlen)
            return false;
        dst[o++] = c;
    }
    dst[o] = '\0';
    return true;
}

/* Where the userinfo of the authority at p ends (its last '@'), or NULL when there is
 * none. Normally the last '@' before the first '/' or '?'. A password may hold an
 * unescaped '/' or '?' too (user:pa/ss@host): when the text before the first '/' is
 * user:something that is not a port and an '@' follows, the userinfo ends at the
 * first later '@' whose host part holds no other '@'. */
static const char *userinfo_end(const char *p)
{
    const char *end = p + strcspn(p, "/?"), *at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@')
            at = q;
    if (at)
        return at;
    const char *colon = memchr(p, ':', (size_t)(end - p));
    if (!colon || !strchr(end, '@'))
        return NULL;
    size_t digits = strspn(colon + 1, "0123456789");
    if (digits > 0 && colon + 1 + digits == end)
        return NULL; /* host:port/path@...: the '@' is in the path */
    for (const char *q = strchr(end, '@'); q; q = strchr(q + 1, '@'))
        if (!memchr(q + 1, '@', strcspn(q + 1, "/?")))
            return q;
    return NULL;
}

cn_status cn_uri_parse(const char *text, cn_uri *u, cn_error *err)
{
    memset(u, 0, sizeof *u);
    const char *sep = strstr(text, "://");
    if (!sep || sep == text || (size_t)(sep - text) >= sizeof u->scheme) {
        char shown[128];
        cn_uri_redact(text, shown, sizeof shown);
        return cn_fail(err, CN_CONFIG, "'%.64s' is not a URI: expected scheme://... (file:///abs/path, s3://bucket/key, ...)",
                       shown);
    }
    memcpy(u->scheme, text, (size_t)(sep - text));
    const char *p = sep + 3;
    const char *at = userinfo_end(p);
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        size_t ulen = (size_t)((colon ? colon : at) - p);
        if (!copy_decoded(u->user, sizeof u->user, p, ulen) ||
            (colon && !copy_decoded(u->password, sizeof u->password, colon + 1, (size_t)(at - colon - 1))))
            return cn_fail(err, CN_CONFIG, "%s:// URI: user or password is too long", u->scheme);
        p = at + 1;
    }
    const char *end = p + strcspn(p, "/?");
    const char *colon = memchr(p, ':', (size_t)(end - p));
    size_t hlen = (size_t)((colon ? colon : end) - p);
    if (hlen >= sizeof u->host)
        return cn_fail(err, CN_CONFIG, "%s:// URI: host is too long", u->scheme);
    memcpy(u->host, p, hlen);
    if (colon) {
        char *e;
        long port = strtol(colon + 1, &e, 10);
        int plen = (int)(end - colon - 1);
        /* the port is shown only when it is digits and no password could be mistaken for it */
        if ((e != end || port <= 0 || port > 65535) && (strchr(text, '@') || strspn(colon + 1, "0123456789") != (size_t)plen))
            return cn_fail(err, CN_CONFIG, "%s:// URI: the port after the host is not a number from 1 to 65535", u->scheme);
        if (e != end || port <= 0 || port > 65535)
            return cn_fail(err, CN_CONFIG, "%s:// URI: port '%.*s' is not a number from 1 to 65535", u->scheme, plen,
                           colon + 1);
        u->port = (int)port;
    }
    const char *q = strchr(end, '?');
    size_t plen = q ? (size_t)(q - end) : strlen(end);
    if (!copy_decoded(u->path, sizeof u->path, end, plen))
        return cn_fail(err, CN_CONFIG, "%s:// URI: path is too long", u->scheme);
    if (q && strlen(q + 1) >= sizeof u->query)
        return cn_fail(err, CN_CONFIG, "%s:// URI: query is too long", u->scheme);
    if (q)
        strcpy(u->query, q + 1);
    return CN_OK;
}

/* Appends n bytes of s to out (of outlen), truncating; *o is the length so far. */
static void put(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
    if (*o + n >= outlen)
        n = outlen - *o - 1;
    memcpy(out + *o, s, n);
    *o += n;
    out[*o] = '\0';
}

/* Appends s[0..n) with the password of any user:password@ in it replaced by "***".
 * Errs on the side of hiding: the password runs from the first ':' after the scheme
 * to the last '@', whatever '/', ':', '?' or '#' it holds. */
static void put_redacted(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
    const char *end = s + n, *auth = s, *at = NULL;
    size_t slen = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    if (slen > 0 && slen + 3 <= n && !memcmp(s + slen, "://", 3))
        auth = s + slen + 3;
    for (const char *q = auth; q < end; q++)
        if (*q == '@')
            at = q;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon) {
        put(out, outlen, o, s, n);
        return;
    }
    put(out, outlen, o, s, (size_t)(colon + 1 - s));
    put(out, outlen, o, "***", 3);
    put(out, outlen, o, at, (size_t)(end - at));
}

void cn_uri_redact(const char *uri, char *out, size_t outlen)
{
    size_t o = 0;
    if (!outlen)
        return;
    out[0] = '\0';
    put_redacted(out, outlen, &o, uri, strlen(uri));
}

void cn_uri_source(const char *uri, char *out, size_t outlen)
{
    size_t o = 0;
    if (!outlen)
        return;
    out[0] = '\0';
    size_t slen = strspn(uri, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    const char *auth = slen > 0 && !strncmp(uri + slen, "://", 3) ? uri + slen + 3 : NULL;
    const char *at = NULL;
    for (const char *q = auth; q && *q; q++) /* the last '@': a password may hold '/' and '@' (as put_redacted) */
        if (*q == '@')
            at = q;
    const char *slash = auth ? strchr(auth, '/') : NULL;
    if (at && !memchr(auth, ':', (size_t)(at - auth)) && slash && slash < at)
        at = NULL; /* no password, and the '@' is in the path (an S3 key may hold one) */
    if (!at) {
        put(out, outlen, &o, uri, strlen(uri));
        return;
    }
    put(out, outlen, &o, uri, (size_t)(auth - uri));
    put(out, outlen, &o, at + 1, strlen(at + 1));
}

void cn_redact_text(const char *text, char *out, size_t outlen)
{
    static const char stops[] = " \t\r\n\"'`<>()[]{},;";
    size_t o = 0;
    if (!outlen)
        return;
    out[0] = '\0';
    while (*text) {
        size_t gap = strspn(text, stops), word;
        put(out, outlen, &o, text, gap);
        text += gap;
        word = strcspn(text, stops);
        put_redacted(out, outlen, &o, text, word);
        text += word;
    }
}

/* ---------------------------------------------------------------- logging */

static struct {
    cn_log_fn fn;
    void *ctx;
} logger;

void cn_set_logger(cn_log_fn fn, void *ctx)
{
    logger.fn = fn;
    logger.ctx = ctx;
}

void cn_log(int level, const char *domain, const char *msg)
{
    char clean[1024];
    if (!logger.fn)
        return;
    cn_redact_text(msg ? msg : "", clean, sizeof clean);
    logger.fn(level, domain ? domain : "", clean, logger.ctx);
}

/* ---------------------------------------------------------------- listings */

void cn_listing_free(cn_listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].key);
    free(l->v);
    *l = (cn_listing){0};
}

cn_status cn_listing_add(cn_listing *l, const char *key, uint64_t size, const char *etag, int64_t mtime_ms,
                         cn_error *err)
{
    if (!bs_grow(&l->v, &l->cap, l->n, sizeof *l->v))
        return cn_fail(err, CN_FATAL, "out of memory listing %zu objects", l->n);
    cn_object *o = &l->v[l->n];
    *o = (cn_object){.size = size, .mtime_ms = mtime_ms};
    if (!(o->key = strdup(key)))
        return cn_fail(err, CN_FATAL, "out of memory listing %zu objects", l->n);
    snprintf(o->etag, sizeof o->etag, "%s", etag ? etag : "");
    l->n++;
    return CN_OK;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const cn_object *)a)->key, ((const cn_object *)b)->key);
}

void cn_listing_sort(cn_listing *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, by_key);
}

void cn_listing_drop(cn_listing *l)
{
    unsigned requests = l->requests;
    cn_listing_free(l);
    l->requests = requests;
}

cn_status cn_key_check(const char *key, const char *where, cn_error *err)
{
    if (!key[0] || key[0] == '/' || strstr(key, "..") || strlen(key) > 512)
        return cn_fail(err, CN_INPUT, "key '%.80s' under %s is refused: empty, absolute, over 512 bytes or holding '..'",
                       key, where);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return cn_fail(err, CN_INPUT, "a key under %s holds control character 0x%02x: refused", where, *p);
    return CN_OK;
}
