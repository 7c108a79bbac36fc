/* The s3:// source against a real object store (Swift s3api, started by
 * test_s3_source.sh): incremental ranged reads, restarts, waiting, caps, credentials. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "connector.h"
#include "cursor.h"
#include "s3/s3_client.h"

static cn_settings cfg;
static char bucket[64];

static void pause_a_little(void)
{
    nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
}

static void put(const char *key, const char *text)
{
    cn_uri u;
    cn_error err;
    s3_client *c;
    char uri[256];
    snprintf(uri, sizeof uri, "s3://%s/%s", bucket, key);
    assert_int_equal(cn_uri_parse(uri, &u, &err), CN_OK);
    assert_int_equal(s3_client_new(&c, &u, &cfg, &err), CN_OK);
    /* a loaded test server sometimes answers 503 (slow down): retry as the sim does */
    cn_status st = CN_TRANSIENT;
    for (int i = 0; i < 20 && st == CN_TRANSIENT; i++, st == CN_TRANSIENT ? pause_a_little() : (void)0)
        if ((st = s3_client_create_bucket(c, &err)) == CN_OK)
            st = s3_client_put(c, text, strlen(text), &err);
    if (st)
        fail_msg("put %s: %s", key, err.msg);
    s3_client_free(c);
}

static cn_source open_source(const char *key, const cn_settings *settings)
{
    char uri[256];
    cn_source s;
    cn_error err;
    snprintf(uri, sizeof uri, "s3://%s/%s", bucket, key);
    assert_int_equal(cn_source_open(&s, uri, settings, &err), CN_OK);
    return s;
}

/* One poll, retrying only what the pipeline would retry: 503s of a loaded server. */
static cn_status poll_retrying(cn_source *s, cn_chunk *c, cn_error *err)
{
    cn_status st = CN_TRANSIENT;
    for (int i = 0; i < 20 && st == CN_TRANSIENT; i++, st == CN_TRANSIENT ? pause_a_little() : (void)0)
        st = s->ops->poll(s->impl, c, err);
    return st;
}

static cn_chunk poll_ok(cn_source *s)
{
    cn_chunk c;
    cn_error err;
    if (poll_retrying(s, &c, &err))
        fail_msg("poll: %s", err.msg);
    return c;
}

static void a_missing_bucket_or_object_means_waiting(void **state)
{
    (void)state;
    cn_source s = open_source("not-yet.txt", &cfg);
    cn_chunk c;
    cn_error err;
    assert_int_equal(poll_retrying(&s, &c, &err), CN_NOT_FOUND);
    assert_non_null(strstr(err.msg, "does not exist yet"));
    cn_source_close(&s);
}

static const char game1[] = "0 59:00 101 2 1\n1 58:00 205 9 0\n2 57:00 101 8 1\n3 56:00 205 9 1\n4 55:00 101 2 0\n";

static void steady_state_polls_move_only_new_bytes_and_the_overlap(void **state)
{
    (void)state;
    cn_source s = open_source("steady.txt", &cfg);
    put("steady.txt", game1);
    cn_chunk c = poll_ok(&s);
    assert_int_equal(c.len, strlen(game1));
    assert_int_equal(c.transferred, strlen(game1));

    c = poll_ok(&s); /* nothing new: only the overlap moves */
    assert_int_equal(c.len, 0);
    assert_int_equal(c.transferred, CN_OVERLAP);

    char longer[256];
    snprintf(longer, sizeof longer, "%s5 54:00 205 5 1\n6 53:", game1);
    put("steady.txt", longer);
    c = poll_ok(&s);
    if (c.restart || c.offset != strlen(game1))
        fail_msg("restart=%d offset=%llu len=%zu transferred=%llu", c.restart, (unsigned long long)c.offset, c.len,
                 (unsigned long long)c.transferred);
    assert_int_equal(c.len, 21); /* the new line and the partial one: the consumer's reader holds it */
    assert_memory_equal(c.data, "5 54:00 205 5 1\n6 53:", 21);
    if (c.transferred != CN_OVERLAP + 21)
        fail_msg("transferred %llu bytes, expected the overlap, the new line and the partial one",
                 (unsigned long long)c.transferred);

    c = poll_ok(&s); /* the partial line is held, not read again */
    assert_int_equal(c.len, 0);
    assert_int_equal(c.transferred, CN_OVERLAP);
    cn_source_close(&s);
}

static void a_rewritten_longer_object_is_a_restart(void **state)
{
    (void)state;
    cn_source s = open_source("restart.txt", &cfg);
    put("restart.txt", game1);
    poll_ok(&s);
    char other[512];
    snprintf(other, sizeof other, "0 59:30 205 5 0\n1 58:10 101 7 1\n2 57:40 205 9 1\n3 56:20 101 8 0\n"
                                  "4 55:10 205 3 1\n5 54:00 101 2 1\n");
    put("restart.txt", other);
    cn_chunk c = poll_ok(&s);
    assert_true(c.restart);
    assert_int_equal(c.offset, 0);
    assert_int_equal(c.len, strlen(other));
    put("restart.txt", "0 59:59 101 2 1\n");
    c = poll_ok(&s); /* shorter than consumed: InvalidRange, then from 0 */
    assert_true(c.restart);
    assert_int_equal(c.len, 16);
    cn_source_close(&s);
}

static void an_object_over_the_cap_is_refused(void **state)
{
    (void)state;
    cn_settings small = cfg;
    small.max_object_bytes = 20;
    put("big.txt", game1);
    cn_source s = open_source("big.txt", &small);
    cn_chunk c;
    cn_error err;
    assert_int_equal(poll_retrying(&s, &c, &err), CN_INPUT);
    assert_non_null(strstr(err.msg, "size cap"));
    cn_source_close(&s);
}

static void a_wrong_secret_names_the_endpoint_and_key_only(void **state)
{
    (void)state;
    cn_settings bad = cfg;
    bad.s3_secret_key = "not-the-secret";
    cn_source s = open_source("steady.txt", &bad);
    cn_chunk c;
    cn_error err;
    assert_int_equal(poll_retrying(&s, &c, &err), CN_AUTH);
    assert_non_null(strstr(err.msg, cfg.s3_endpoint));
    assert_non_null(strstr(err.msg, cfg.s3_access_key));
    assert_null(strstr(err.msg, "not-the-secret"));
    cn_source_close(&s);
}

int main(void)
{
    cn_error err;
    cfg = (cn_settings){.s3_endpoint = getenv("S3_ENDPOINT"), .s3_access_key = getenv("S3_ACCESS_KEY"),
                        .s3_secret_key = getenv("S3_SECRET_KEY"), .max_object_bytes = 1 << 20, .timeout_ms = 5000};
    if (!cfg.s3_endpoint || !cfg.s3_access_key || !cfg.s3_secret_key) {
        fprintf(stderr, "S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY must be set (run through test_s3_source.sh)\n");
        return 1;
    }
    snprintf(bucket, sizeof bucket, "cn-test-%d", (int)getpid());
    if (cn_global_init(&err))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_missing_bucket_or_object_means_waiting),
        cmocka_unit_test(steady_state_polls_move_only_new_bytes_and_the_overlap),
        cmocka_unit_test(a_rewritten_longer_object_is_a_restart),
        cmocka_unit_test(an_object_over_the_cap_is_refused),
        cmocka_unit_test(a_wrong_secret_names_the_endpoint_and_key_only),
    };
    int rc = cmocka_run_group_tests_name("connectors/s3", tests, NULL, NULL);
    cn_global_cleanup();
    return rc;
}
