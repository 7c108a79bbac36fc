/* The s3:// source and lister against a real object store (Swift s3api, started by
 * test_s3_source.sh). Source: incremental ranged reads, restarts, waiting, caps,
 * credentials. Lister: keys relative to the prefix and nothing from the prefix next
 * door, paged listings counted in requests, size and ETag that follow a rewrite, whole
 * reads, a missing bucket that means waiting, and credentials refused. */
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

/* A client for s3://BUCKET/key, where key may be a prefix ("day1/") or empty. */
static s3_client *client_at(const char *key)
{
    cn_uri u;
    cn_error err;
    s3_client *c;
    char uri[256];
    snprintf(uri, sizeof uri, "s3://%s/%s", bucket, key);
    assert_int_equal(cn_uri_parse(uri, &u, &err), CN_OK);
    if (s3_client_new_prefix(&c, &u, &cfg, &err))
        fail_msg("client %s: %s", uri, err.msg);
    return c;
}

static void put(const char *key, const char *text)
{
    cn_error err;
    s3_client *c = client_at(key);
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

static void a_cancelled_read_gives_up_at_once(void **state)
{
    (void)state;
    atomic_int stop = 1; /* shutdown asked before the read */
    cn_settings cancelled = cfg;
    cancelled.cancel = &stop;
    cancelled.timeout_ms = 20000;
    put("cancel.txt", game1);
    cn_source s = open_source("cancel.txt", &cancelled);
    cn_chunk c;
    cn_error err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cn_status st = s.ops->poll(s.impl, &c, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (st == CN_OK || secs > 5)
        fail_msg("a cancelled read: status %d after %.1f s", st, secs);
    cn_source_close(&s);
}

/* ---------------------------------------------------------------- lister */

/* Retries what the pipeline would retry: 503s of a loaded test server. */
#define RETRYING(st, call)                                                                     \
    do {                                                                                        \
        st = CN_TRANSIENT;                                                                      \
        for (int i_ = 0; i_ < 20 && st == CN_TRANSIENT; i_++) {                                \
            if (i_)                                                                             \
                pause_a_little();                                                               \
            st = (call);                                                                        \
        }                                                                                       \
    } while (0)

static cn_lister open_lister(const char *bucket_name, const char *pfx, const cn_settings *settings)
{
    char uri[256];
    cn_lister l;
    cn_error err;
    snprintf(uri, sizeof uri, "s3://%s/%s", bucket_name, pfx);
    if (cn_lister_open(&l, uri, settings, &err))
        fail_msg("open %s: %s", uri, err.msg);
    return l;
}

static cn_status list_retrying(cn_lister *l, cn_listing *out, cn_error *err)
{
    cn_status st;
    RETRYING(st, (cn_listing_free(out), l->ops->list(l->impl, out, err)));
    return st;
}

static cn_listing list_ok(cn_lister *l)
{
    cn_listing out = {0};
    cn_error err;
    if (list_retrying(l, &out, &err))
        fail_msg("list: %s", err.msg);
    return out;
}

static const cn_object *find(const cn_listing *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].key, key) == 0)
            return &l->v[i];
    return NULL;
}

static const char manifest[] = "{\"home\": 101, \"away\": 205}";

static int lister_setup(void **state)
{
    (void)state;
    put("day1/G1/gamestream.txt", game1);
    put("day1/G1/game.json", manifest);
    put("day1/G2/gamestream.txt", "0 59:00 101 2 1\n");
    put("day1/G2/game.json", manifest);
    put("day1/G3/game.json", manifest);
    put("day2/G4/gamestream.txt", game1);
    put("day10/G9/game.json", manifest); /* starts with "day1" but is not under "day1/" */
    return 0;
}

static void a_listing_holds_only_the_prefix_keys_relative_to_it(void **state)
{
    (void)state;
    cn_lister l = open_lister(bucket, "day1/", &cfg);
    cn_listing out = list_ok(&l);
    const char *want[] = {"G1/game.json", "G1/gamestream.txt", "G2/game.json", "G2/gamestream.txt", "G3/game.json"};
    assert_int_equal(out.n, 5);
    for (size_t i = 0; i < out.n; i++)
        assert_string_equal(out.v[i].key, want[i]);
    assert_int_equal(out.requests, 1);
    const cn_object *g1 = find(&out, "G1/gamestream.txt");
    assert_int_equal(g1->size, strlen(game1));
    assert_int_equal(strlen(g1->etag), 32); /* the MD5, without its quotes */
    assert_null(strchr(g1->etag, '"'));
    int64_t now = (int64_t)time(NULL) * 1000;
    if (g1->mtime_ms < now - 600000 || g1->mtime_ms > now + 600000 || g1->mtime_ms % 1000)
        fail_msg("mtime_ms %lld is not the Last-Modified second of a fresh object", (long long)g1->mtime_ms);
    cn_listing_free(&out);
    cn_lister_close(&l);

    l = open_lister(bucket, "day2/", &cfg);
    out = list_ok(&l);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.v[0].key, "G4/gamestream.txt");
    cn_listing_free(&out);
    cn_lister_close(&l);

    l = open_lister(bucket, "day3/", &cfg); /* the bucket is there, the day is not: no games yet */
    out = list_ok(&l);
    assert_int_equal(out.n, 0);
    assert_int_equal(out.requests, 1);
    cn_listing_free(&out);
    cn_lister_close(&l);

    l = open_lister(bucket, "", &cfg); /* the whole bucket */
    out = list_ok(&l);
    assert_non_null(find(&out, "day1/G1/game.json"));
    assert_non_null(find(&out, "day10/G9/game.json"));
    for (size_t i = 1; i < out.n; i++)
        assert_true(strcmp(out.v[i - 1].key, out.v[i].key) < 0);
    cn_listing_free(&out);
    cn_lister_close(&l);
}

static void a_listing_of_several_pages_costs_one_request_per_page(void **state)
{
    (void)state;
    s3_client *c = client_at("day1/");
    cn_listing out = {0};
    cn_error err;
    cn_status st;
    RETRYING(st, (cn_listing_free(&out), s3_client_list(c, 2, &out, &err)));
    if (st)
        fail_msg("list: %s", err.msg);
    assert_int_equal(out.n, 5);
    assert_int_equal(out.requests, 3); /* 2 + 2 + 1 */
    assert_string_equal(out.v[0].key, "G1/game.json");
    assert_string_equal(out.v[2].key, "G2/game.json"); /* the second page starts after the first's last key */
    assert_string_equal(out.v[4].key, "G3/game.json");
    cn_listing_free(&out);

    RETRYING(st, (cn_listing_free(&out), s3_client_list(c, 5, &out, &err)));
    assert_int_equal(st, CN_OK);
    assert_int_equal(out.n, 5);
    assert_int_equal(out.requests, 1); /* exactly one full page: not truncated */
    cn_listing_free(&out);

    RETRYING(st, (cn_listing_free(&out), s3_client_list(c, 1, &out, &err)));
    assert_int_equal(st, CN_OK);
    assert_int_equal(out.n, 5);
    assert_int_equal(out.requests, 5);
    cn_listing_free(&out);
    s3_client_free(c);
}

static void a_rewrite_changes_size_and_etag_in_the_next_listing(void **state)
{
    (void)state;
    put("day5/G1/gamestream.txt", game1);
    cn_lister l = open_lister(bucket, "day5/", &cfg);
    cn_listing before = list_ok(&l);
    assert_int_equal(before.n, 1);

    char longer[256];
    snprintf(longer, sizeof longer, "%s2 57:00 101 8 1\n", game1);
    put("day5/G1/gamestream.txt", longer);
    cn_listing after = list_ok(&l);
    assert_int_equal(after.n, 1);
    assert_int_equal(after.v[0].size, strlen(longer));
    assert_string_not_equal(after.v[0].etag, before.v[0].etag);
    assert_true(after.v[0].mtime_ms >= before.v[0].mtime_ms);
    cn_listing_free(&after);

    /* same size, other bytes (a restarted game): the ETag still tells */
    char same[256];
    snprintf(same, sizeof same, "%s2 57:00 205 8 1\n", game1);
    put("day5/G1/gamestream.txt", same);
    after = list_ok(&l);
    assert_int_equal(after.v[0].size, strlen(longer));
    assert_string_not_equal(after.v[0].etag, before.v[0].etag);
    cn_listing_free(&after);
    cn_listing_free(&before);
    cn_lister_close(&l);
}

static void a_read_returns_the_whole_object(void **state)
{
    (void)state;
    cn_lister l = open_lister(bucket, "day1/", &cfg);
    char *data;
    size_t len;
    cn_error err;
    cn_status st;
    RETRYING(st, l.ops->read(l.impl, "G1/game.json", 4096, &data, &len, &err));
    if (st)
        fail_msg("read: %s", err.msg);
    assert_int_equal(len, strlen(manifest));
    assert_string_equal(data, manifest); /* NUL-terminated */
    free(data);

    RETRYING(st, l.ops->read(l.impl, "G7/game.json", 4096, &data, &len, &err));
    assert_int_equal(st, CN_NOT_FOUND);
    assert_non_null(strstr(err.msg, "day1/G7/game.json"));
    assert_null(data);

    RETRYING(st, l.ops->read(l.impl, "G1/game.json", 10, &data, &len, &err));
    assert_int_equal(st, CN_INPUT);
    assert_non_null(strstr(err.msg, "size cap"));
    assert_null(data);

    assert_int_equal(l.ops->read(l.impl, "../day2/G4/gamestream.txt", 4096, &data, &len, &err), CN_INPUT);
    assert_int_equal(l.ops->read(l.impl, "G1/game\n.json", 4096, &data, &len, &err), CN_INPUT);
    assert_int_equal(l.ops->read(l.impl, "/G1/game.json", 4096, &data, &len, &err), CN_INPUT);
    cn_lister_close(&l);
}

static void a_missing_bucket_means_waiting(void **state)
{
    (void)state;
    char other[80];
    snprintf(other, sizeof other, "%s-not-yet", bucket);
    cn_lister l = open_lister(other, "day1/", &cfg);
    cn_listing out = {0};
    cn_error err;
    assert_int_equal(list_retrying(&l, &out, &err), CN_NOT_FOUND);
    assert_non_null(strstr(err.msg, other));
    assert_non_null(strstr(err.msg, cfg.s3_endpoint));
    assert_int_equal(out.n, 0);
    assert_true(out.requests >= 1);
    cn_listing_free(&out);
    cn_lister_close(&l);
}

static void a_wrong_secret_is_auth_naming_endpoint_bucket_and_key_only(void **state)
{
    (void)state;
    cn_settings bad = cfg;
    bad.s3_secret_key = "not-the-secret";
    cn_lister l = open_lister(bucket, "day1/", &bad);
    cn_listing out = {0};
    cn_error err;
    assert_int_equal(list_retrying(&l, &out, &err), CN_AUTH);
    assert_non_null(strstr(err.msg, cfg.s3_endpoint));
    assert_non_null(strstr(err.msg, bucket));
    assert_non_null(strstr(err.msg, cfg.s3_access_key));
    assert_null(strstr(err.msg, "not-the-secret"));
    assert_int_equal(out.n, 0);
    cn_listing_free(&out);

    char *data;
    size_t len;
    cn_status st;
    RETRYING(st, l.ops->read(l.impl, "G1/game.json", 4096, &data, &len, &err));
    assert_int_equal(st, CN_AUTH);
    assert_null(strstr(err.msg, "not-the-secret"));
    cn_lister_close(&l);
}

static void a_prefix_uri_needs_a_bucket_and_a_trailing_slash(void **state)
{
    (void)state;
    cn_lister l = {0};
    cn_error err;
    assert_int_equal(cn_lister_open(&l, "s3://gamestreams/2026-11-28", &cfg, &err), CN_CONFIG);
    assert_non_null(strstr(err.msg, "ending in '/'"));
    assert_int_equal(cn_lister_open(&l, "s3:///2026-11-28/", &cfg, &err), CN_CONFIG);
    assert_int_equal(cn_lister_open(&l, "s3://Bad_Bucket!/day/", &cfg, &err), CN_CONFIG);
    char help[2048];
    cn_describe(help, sizeof help);
    assert_non_null(strstr(help, "s3://bucket/day/"));
}

int main(void)
{
    cn_error err;
    cfg = (cn_settings){.s3_endpoint = getenv("S3_ENDPOINT"), .s3_access_key = getenv("S3_ACCESS_KEY"),
                        .s3_secret_key = getenv("S3_SECRET_KEY"), .max_object_bytes = 1 << 20, .timeout_ms = 5000,
                        /* both signers run these tests (test_s3_source.sh), over HTTP and TLS */
                        .s3_signature = getenv("S3_SIGNATURE"), .s3_region = getenv("S3_REGION"),
                        .s3_ca_file = getenv("S3_CA_FILE"), .s3_https = getenv("S3_HTTPS") != NULL,
                        .s3_insecure = getenv("S3_INSECURE") != NULL};
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
        cmocka_unit_test(a_cancelled_read_gives_up_at_once),
    };
    const struct CMUnitTest lister_tests[] = {
        cmocka_unit_test(a_listing_holds_only_the_prefix_keys_relative_to_it),
        cmocka_unit_test(a_listing_of_several_pages_costs_one_request_per_page),
        cmocka_unit_test(a_rewrite_changes_size_and_etag_in_the_next_listing),
        cmocka_unit_test(a_read_returns_the_whole_object),
        cmocka_unit_test(a_missing_bucket_means_waiting),
        cmocka_unit_test(a_wrong_secret_is_auth_naming_endpoint_bucket_and_key_only),
        cmocka_unit_test(a_prefix_uri_needs_a_bucket_and_a_trailing_slash),
    };
    int rc = cmocka_run_group_tests_name("connectors/s3", tests, NULL, NULL);
    rc |= cmocka_run_group_tests_name("connectors/s3 lister", lister_tests, lister_setup, NULL);
    cn_global_cleanup();
    return rc;
}
