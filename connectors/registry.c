/*
 * registry.c — the one place that maps URI schemes to backends (the helpers they
 * share are in common.c).
 */
#include "connector.h"

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
                                                   &cn_mongo_boxscore_ops, &cn_s3_boxscore_ops,
#endif
                                                   NULL};
static const cn_results_ops *const results[] = {&cn_sqlite_results_ops,
#ifdef CN_WITH_SERVERS
                                                &cn_mssql_results_ops,
#endif
                                                NULL};
static const cn_lister_ops *const listers[] = {&cn_file_lister_ops,
#ifdef CN_WITH_SERVERS
                                               &cn_s3_lister_ops,
#endif
                                               NULL};
static const cn_target_ops *const targets[] = {&cn_file_target_ops,
#ifdef CN_WITH_SERVERS
                                               &cn_s3_target_ops,
#endif
                                               NULL};

/* Replaces every copy of secret in msg by "***" (a last guard: no message about a
 * URI shows its password, whatever a backend put in it). */
static void scrub(char *msg, const char *secret)
{
    size_t n = strlen(secret);
    if (n < 3)
        return;
    for (char *hit = strstr(msg, secret); hit; hit = strstr(hit + 3, secret)) {
        memmove(hit + 3, hit + n, strlen(hit + n) + 1);
        memcpy(hit, "***", 3);
    }
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
                cn_status st = table[i]->open(&c->impl, &u, cfg, err);                                       \
                if (st)                                                                                      \
                    scrub(err->msg, u.password);                                                             \
                return st;                                                                                   \
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
DEFINE_ROLE(lister, listers, "lister")
DEFINE_ROLE(target, targets, "stream target")

/* appends like snprintf: n counts what the whole text needs, out keeps what fits */
#define DESCRIBE(table, label)                                                                                \
    for (size_t i = 0; table[i]; i++)                                                                        \
        n += (size_t)snprintf(n < outlen ? out + n : NULL, n < outlen ? outlen - n : 0, "  %-18s %-10s %s\n",  \
                              i == 0 ? label : "", table[i]->scheme, table[i]->description);

size_t cn_describe(char *out, size_t outlen)
{
    size_t n = 0;
    if (outlen)
        out[0] = '\0';
    DESCRIBE(sources, "--source")
    DESCRIBE(references, "--reference")
    DESCRIBE(boxscores, "--boxscores")
    DESCRIBE(results, "--results")
    DESCRIBE(listers, "--source PREFIX/")
    return n;
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
