/* Passwords never leak through URIs: cn_uri_parse takes passwords holding '/', ':',
 * '@', '#', '?' or '%' apart correctly, cn_uri_redact hides them, and no error about
 * a URI (parsing it, or a backend refusing it at open) shows the password or any
 * piece of it. With the server backends, the MongoDB driver's own log lines reach the
 * program's logger (cn_set_logger), redacted, instead of stdout/stderr. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "connector.h"

#ifdef CN_WITH_SERVERS
#include <mongoc/mongoc.h>
#endif

/* Each alphanumeric run is distinctive, so finding one in a message means a leak. */
static const char *const passwords[] = {
    "Qx7/Kz4", "Qx7:Kz4", "Qx7@Kz4", "Qx7#Kz4", "Qx7%Kz4", "Qx7?Kz4", "Qx7/Kz4:Wv2@Jy8#Hu5%Tr3", "Qx7:Kz4/Wv2#",
};

/* Fails when text shows the password or any run of two or more of its letters and digits. */
static void assert_hides(const char *text, const char *pw)
{
    if (strstr(text, pw))
        fail_msg("'%s' shows the password '%s'", text, pw);
    for (const char *s = pw; *s;) {
        size_t n = 0;
        while (isalnum((unsigned char)s[n]))
            n++;
        char run[64];
        snprintf(run, sizeof run, "%.*s", (int)n, s);
        if (n >= 2 && strstr(text, run))
            fail_msg("'%s' shows '%s', a piece of the password '%s'", text, run, pw);
        s += n ? n : 1;
    }
}

static void passwords_with_separators_parse_and_redact(void **state)
{
    (void)state;
    char uri[300], out[300];
    cn_uri u;
    cn_error err;
    for (size_t i = 0; i < sizeof passwords / sizeof *passwords; i++) {
        snprintf(uri, sizeof uri, "mongodb://mongo:%s@db.local:27017/sidearm.boxscores?authSource=admin", passwords[i]);
        if (cn_uri_parse(uri, &u, &err))
            fail_msg("%s: %s", uri, err.msg);
        assert_string_equal(u.user, "mongo");
        assert_string_equal(u.password, passwords[i]);
        assert_string_equal(u.host, "db.local");
        assert_int_equal(u.port, 27017);
        assert_string_equal(u.path, "/sidearm.boxscores");
        assert_string_equal(u.query, "authSource=admin");
        cn_uri_redact(uri, out, sizeof out);
        assert_string_equal(out, "mongodb://mongo:***@db.local:27017/sidearm.boxscores?authSource=admin");
        /* without a path or a scheme, and cut short by a small buffer */
        snprintf(uri, sizeof uri, "mongo:%s@db.local", passwords[i]);
        cn_uri_redact(uri, out, sizeof out);
        assert_string_equal(out, "mongo:***@db.local");
        cn_uri_redact(uri, out, 10);
        assert_string_equal(out, "mongo:***");
    }
    /* the issue's example once read 'Pa55' as a port */
    assert_int_equal(cn_uri_parse("mongodb://mongo:Pa55/word@host", &u, &err), CN_OK);
    assert_string_equal(u.password, "Pa55/word");
    assert_string_equal(u.host, "host");
    /* a port, and an '@' in a path, are not userinfo */
    assert_int_equal(cn_uri_parse("mongodb://db.local:27017/sidearm.x@y", &u, &err), CN_OK);
    assert_string_equal(u.host, "db.local");
    assert_string_equal(u.path, "/sidearm.x@y");
    assert_int_equal(cn_uri_parse("s3://gamestreams/game@home.txt", &u, &err), CN_OK);
    assert_string_equal(u.host, "gamestreams");
    assert_string_equal(u.path, "/game@home.txt");
    cn_uri_redact("s3://gamestreams/game@home.txt", out, sizeof out);
    assert_string_equal(out, "s3://gamestreams/game@home.txt");
}

static void parse_errors_never_show_the_password(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "mongo:%s@db.local/sidearm",                        /* no scheme */
        "mongodb:/mongo:%s@db.local/sidearm",               /* one slash */
        "averyveryverylongschemename://mongo:%s@db.local",  /* scheme too long */
        "mongodb://mongo:%s@db.local:notaport/sidearm",
        "mongodb://mongo:%s@db.local:99999/sidearm",
        "mongodb://mongo:%s@db.local:27017x/sidearm",
        "mongodb://mongo:%s",                               /* no host: the password reads as a port */
    };
    char uri[300];
    cn_uri u;
    cn_error err;
    for (size_t i = 0; i < sizeof passwords / sizeof *passwords; i++) {
        for (size_t j = 0; j < sizeof bad / sizeof *bad; j++) {
            snprintf(uri, sizeof uri, bad[j], passwords[i]);
            cn_status st = cn_uri_parse(uri, &u, &err);
            if (st == CN_OK && strchr(bad[j], '@')) /* without a host, a password with '@' names one */
                fail_msg("%s parsed", uri);
            if (st)
                assert_hides(err.msg, passwords[i]);
        }
    }
}

static void opening_a_refused_uri_never_shows_the_password(void **state)
{
    (void)state;
    cn_settings cfg = {.timeout_ms = 1000};
    cn_source src;
    cn_reference ref;
    cn_boxscore box;
    cn_results res;
    cn_error err;
    char uri[300];
    for (size_t i = 0; i < sizeof passwords / sizeof *passwords; i++) {
        const char *pw = passwords[i];
        snprintf(uri, sizeof uri, "file://user:%s@host/game.txt", pw);
        assert_int_equal(cn_source_open(&src, uri, &cfg, &err), CN_CONFIG);
        assert_hides(err.msg, pw);
        snprintf(uri, sizeof uri, "s3://key:%s@Not_A_Bucket!/game.txt", pw);
        assert_int_equal(cn_source_open(&src, uri, &cfg, &err), CN_CONFIG);
        assert_hides(err.msg, pw);
        snprintf(uri, sizeof uri, "sqlite://user:%s@host/sidearm.db", pw);
        assert_int_equal(cn_reference_open(&ref, uri, &cfg, &err), CN_CONFIG);
        assert_hides(err.msg, pw);
        snprintf(uri, sizeof uri, "mssql://sa:%s@db.local:1433/not-a-name!", pw);
        assert_int_equal(cn_results_open(&res, uri, &cfg, &err), CN_CONFIG);
        assert_hides(err.msg, pw);
        snprintf(uri, sizeof uri, "nosuch://user:%s@host/x", pw);
        assert_int_equal(cn_boxscore_open(&box, uri, &cfg, &err), CN_CONFIG);
        assert_hides(err.msg, pw);
        snprintf(uri, sizeof uri, "mongodb://mongo:%s@db.local:27017/sidearm?connectTimeoutMS=soon", pw);
        cfg.mongo_write_concern = "bogus";
        assert_int_equal(cn_boxscore_open(&box, uri, &cfg, &err), CN_CONFIG);
        assert_hides(err.msg, pw);
        cfg.mongo_write_concern = NULL;
    }
}

#ifdef CN_WITH_SERVERS
static struct {
    int n, level;
    char domain[64], msg[1024];
} got;

static void capture(int level, const char *domain, const char *msg, void *ctx)
{
    assert_ptr_equal(ctx, &got);
    got.n++;
    got.level = level;
    snprintf(got.domain, sizeof got.domain, "%s", domain);
    snprintf(got.msg, sizeof got.msg, "%s", msg);
}

static void driver_log_lines_reach_the_logger_redacted(void **state)
{
    (void)state;
    static const struct {
        mongoc_log_level_t level;
        int want;
    } levels[] = {
        {MONGOC_LOG_LEVEL_ERROR, CN_LOG_WARN},  {MONGOC_LOG_LEVEL_WARNING, CN_LOG_WARN},
        {MONGOC_LOG_LEVEL_MESSAGE, CN_LOG_INFO}, {MONGOC_LOG_LEVEL_INFO, CN_LOG_INFO},
        {MONGOC_LOG_LEVEL_DEBUG, CN_LOG_DEBUG},
    };
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
        for (size_t j = 0; j < sizeof passwords / sizeof *passwords; j++) {
            got.n = 0;
            mongoc_log(levels[i].level, "cluster", "cannot reach 'mongodb://mongo:%s@db.local:27017/?x=1' now",
                       passwords[j]);
            assert_int_equal(got.n, 1);
            assert_int_equal(got.level, levels[i].want);
            assert_string_equal(got.domain, "cluster");
            assert_string_equal(got.msg, "cannot reach 'mongodb://mongo:***@db.local:27017/?x=1' now");
        }
    }
    /* a real warning of the driver: an option it does not know */
    cn_settings cfg = {.timeout_ms = 1000};
    cn_boxscore box;
    cn_error err;
    got.n = 0;
    assert_int_equal(cn_boxscore_open(&box, "mongodb://mongo:Qx7/Kz4@db.local:27017/sidearm?foo=bar", &cfg, &err),
                     CN_OK);
    cn_boxscore_close(&box);
    assert_true(got.n >= 1);
    assert_int_equal(got.level, CN_LOG_WARN);
    assert_non_null(strstr(got.msg, "foo"));
    assert_hides(got.msg, "Qx7/Kz4");
}
#endif

int main(void)
{
    cn_error err;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(passwords_with_separators_parse_and_redact),
        cmocka_unit_test(parse_errors_never_show_the_password),
        cmocka_unit_test(opening_a_refused_uri_never_shows_the_password),
#ifdef CN_WITH_SERVERS
        cmocka_unit_test(driver_log_lines_reach_the_logger_redacted),
#endif
    };
#ifdef CN_WITH_SERVERS
    cn_set_logger(capture, &got);
#endif
    if (cn_global_init(&err))
        return 1;
    int rc = cmocka_run_group_tests_name("connectors/uri_secrets", tests, NULL, NULL);
    cn_global_cleanup();
    return rc;
}
