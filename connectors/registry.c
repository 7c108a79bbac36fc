/*
 * registry.c — the one place that maps URI schemes to backends, plus the error and
 * URI helpers every backend shares.
 */
#include "connector.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backends.h"

static const cn_source_ops *const sources[] = {&cn_file_source_ops,
#ifdef CN_WITH_SERVERS
                                               &cn_s3_source_ops,
#endif
                                               NULL};
static const cn_reference_ops *const references[] = {&cn_sqlite_reference_ops,
#ifdef CN_WITH_SERVERS
                                                     &cn_mssql_reference_ops,
#endif
                                                     NULL};
static const cn_boxscore_ops *const boxscores[] = {&cn_dir_boxscore_ops,
#ifdef CN_WITH_SERVERS
                                                   &cn_mongo_boxscore_ops,
#endif
                                                   NULL};
static const cn_results_ops *const results[] = {&cn_sqlite_results_ops,
#ifdef CN_WITH_SERVERS
                                                &cn_mssql_results_ops,
#endif
                                                NULL};

const char *cn_status_name(cn_status s)
{
    static const char *const names[] = {"ok", "not found", "transient", "auth", "config", "input", "fatal"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "unknown";
}

cn_status cn_fail(cn_error *err, cn_status status, const char *fmt, ...)
{
    va_list ap;
    err->status = status;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return status;
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

cn_status cn_uri_parse(const char *text, cn_uri *u, cn_error *err)
{
    memset(u, 0, sizeof *u);
    const char *sep = strstr(text, "://");
    if (!sep || sep == text || (size_t)(sep - text) >= sizeof u->scheme)
        return cn_fail(err, CN_CONFIG, "'%.64s' is not a URI: expected scheme://... (file:///abs/path, s3://bucket/key, ...)",
                       text);
    memcpy(u->scheme, text, (size_t)(sep - text));
    const char *p = sep + 3;
    const char *end = p + strcspn(p, "/?");
    const char *at = memchr(p, '@', (size_t)(end - p));
    /* an '@' may also sit inside a password: take the last one before the path */
    for (const char *q = at; q && q < end; q = memchr(q + 1, '@', (size_t)(end - q - 1)))
        at = q;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        size_t ulen = (size_t)((colon ? colon : at) - p);
        if (!copy_decoded(u->user, sizeof u->user, p, ulen) ||
            (colon && !copy_decoded(u->password, sizeof u->password, colon + 1, (size_t)(at - colon - 1))))
            return cn_fail(err, CN_CONFIG, "%s:// URI: user or password is too long", u->scheme);
        p = at + 1;
    }
    const char *colon = memchr(p, ':', (size_t)(end - p));
    size_t hlen = (size_t)((colon ? colon : end) - p);
    if (hlen >= sizeof u->host)
        return cn_fail(err, CN_CONFIG, "%s:// URI: host is too long", u->scheme);
    memcpy(u->host, p, hlen);
    if (colon) {
        char *e;
        long port = strtol(colon + 1, &e, 10);
        if (e != end || port <= 0 || port > 65535)
            return cn_fail(err, CN_CONFIG, "%s:// URI: port '%.*s' is not a number from 1 to 65535", u->scheme,
                           (int)(end - colon - 1), colon + 1);
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

void cn_uri_redact(const char *uri, char *out, size_t outlen)
{
    const char *sep = strstr(uri, "://");
    const char *auth = sep ? sep + 3 : uri;
    const char *end = auth + strcspn(auth, "/?");
    const char *at = NULL;
    for (const char *q = auth; q < end; q++)
        if (*q == '@')
            at = q;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon) {
        snprintf(out, outlen, "%s", uri);
        return;
    }
    snprintf(out, outlen, "%.*s:***%s", (int)(colon - uri), uri, at);
}

/* ---------------------------------------------------------------- registry */

#define DEFINE_ROLE(role, table, what)                                                                       \
    cn_status cn_##role##_open(cn_##role *c, const char *text, const cn_settings *cfg, cn_error *err)       \
    {                                                                                                        \
        cn_uri u;                                                                                            \
        if (cn_uri_parse(text, &u, err))                                                                     \
            return err->status;                                                                              \
        for (size_t i = 0; table[i]; i++) {                                                                  \
            if (strcmp(table[i]->scheme, u.scheme) == 0) {                                                   \
                c->ops = table[i];                                                                           \
                return table[i]->open(&c->impl, &u, cfg, err);                                               \
            }                                                                                                \
        }                                                                                                    \
        return cn_fail(err, CN_CONFIG, "no " what " for scheme '%s://' (see --help for the schemes)", u.scheme); \
    }                                                                                                        \
    void cn_##role##_close(cn_##role *c)                                                                     \
    {                                                                                                        \
        if (c->ops && c->impl)                                                                               \
            c->ops->close(c->impl);                                                                          \
        c->ops = NULL;                                                                                       \
        c->impl = NULL;                                                                                      \
    }

DEFINE_ROLE(source, sources, "stream source")
DEFINE_ROLE(reference, references, "reference reader")
DEFINE_ROLE(boxscore, boxscores, "box-score sink")
DEFINE_ROLE(results, results, "results sink")

#define DESCRIBE(table, label)                                                                                \
    for (size_t i = 0; table[i] && n < outlen; i++)                                                          \
        n += (size_t)snprintf(out + n, outlen - n, "  %-18s %-10s %s\n", i == 0 ? label : "",                 \
                              table[i]->scheme, table[i]->description);

void cn_describe(char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    DESCRIBE(sources, "--source")
    DESCRIBE(references, "--reference")
    DESCRIBE(boxscores, "--boxscores")
    DESCRIBE(results, "--results")
}

cn_status cn_global_init(cn_error *err)
{
#ifdef CN_WITH_SERVERS
    if (cn_s3_global_init(err) || cn_mongo_global_init(err) || cn_mssql_global_init(err))
        return err->status;
#else
    (void)err;
#endif
    return CN_OK;
}

void cn_global_cleanup(void)
{
#ifdef CN_WITH_SERVERS
    cn_s3_global_cleanup();
    cn_mongo_global_cleanup();
    cn_mssql_global_cleanup();
#endif
}
