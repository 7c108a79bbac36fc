/* The file:// lister: one listing of a game-day prefix (folders one level deep, sorted,
 * symbolic links and special files left out), and reads of small objects that refuse
 * unsafe keys, links, FIFOs and anything over the cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "connector.h"

static char dir[256];
static const cn_settings cfg = {.max_object_bytes = 1 << 20, .timeout_ms = 1000};

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/cn-lister-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s'; rm -rf '%s'", dir, dir);
    return system(cmd);
}

/* DIR/sub/ made afresh for one test; its file:// URI into uri. */
static const char *prefix(const char *sub, char path[300], char uri[320])
{
    snprintf(path, 300, "%s/%s/", dir, sub);
    mkdir(path, 0755);
    snprintf(uri, 320, "file://%s", path);
    return uri;
}

static void write_at(const char *base, const char *rel, const char *text)
{
    char path[600];
    snprintf(path, sizeof path, "%s%s", base, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdir(path, 0755);
    *slash = '/';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static cn_lister open_lister(const char *uri)
{
    cn_lister l;
    cn_error err;
    if (cn_lister_open(&l, uri, &cfg, &err))
        fail_msg("open %s: %s", uri, err.msg);
    return l;
}

static cn_listing list_ok(cn_lister *l)
{
    cn_listing out = {0};
    cn_error err;
    if (l->ops->list(l->impl, &out, &err))
        fail_msg("list: %s", err.msg);
    return out;
}

static void a_listing_holds_each_game_folder_one_level_deep_sorted_by_key(void **state)
{
    (void)state;
    char path[300], uri[320];
    prefix("nested", path, uri);
    write_at(path, "G2/gamestream.txt", "0 59:00 101 2 1\n");
    write_at(path, "G1/gamestream.txt", "0 59:00 101 2 1\n1 58:00 205 9 0\n");
    write_at(path, "G1/game.json", "{\"home\": 101, \"away\": 205}");
    write_at(path, "G10/game.json", "{}");
    write_at(path, "notes.txt", "x");
    write_at(path, "G1/old/deeper.txt", "too deep"); /* two levels down: not listed */
    /* an mtime that is known to the millisecond */
    char g2[400];
    snprintf(g2, sizeof g2, "%sG2/gamestream.txt", path);
    struct timeval tv[2] = {{1700000000, 123000}, {1700000000, 456000}};
    assert_int_equal(utimes(g2, tv), 0);

    cn_lister l = open_lister(uri);
    cn_listing out = list_ok(&l);
    const char *want[] = {"G1/game.json", "G1/gamestream.txt", "G10/game.json", "G2/gamestream.txt", "notes.txt"};
    assert_int_equal(out.n, 5);
    for (size_t i = 0; i < out.n; i++)
        assert_string_equal(out.v[i].key, want[i]);
    assert_int_equal(out.requests, 1);
    assert_int_equal(out.v[1].size, 32);
    assert_int_equal(out.v[0].size, strlen("{\"home\": 101, \"away\": 205}"));
    assert_string_equal(out.v[1].etag, "");
    assert_int_equal(out.v[3].mtime_ms, 1700000000456LL);
    assert_true(out.v[1].mtime_ms > 1700000000000LL);
    cn_listing_free(&out);
    assert_null(out.v);
    assert_int_equal(out.n, 0);

    /* a rewrite changes the size and the listing sees it without reading */
    write_at(path, "G2/gamestream.txt", "0 59:00 101 2 1\n1 58:00 205 9 0\n");
    out = list_ok(&l);
    assert_string_equal(out.v[3].key, "G2/gamestream.txt");
    assert_int_equal(out.v[3].size, 32);
    assert_true(out.v[3].mtime_ms != 1700000000456LL);
    cn_listing_free(&out);
    cn_lister_close(&l);
    assert_null(l.impl);
}

static void an_empty_prefix_lists_nothing(void **state)
{
    (void)state;
    char path[300], uri[320];
    prefix("empty", path, uri);
    cn_lister l = open_lister(uri);
    cn_listing out = list_ok(&l);
    assert_int_equal(out.n, 0);
    assert_int_equal(out.requests, 1);
    cn_listing_free(&out);
    cn_lister_close(&l);
}

static void symbolic_links_are_neither_listed_nor_followed(void **state)
{
    (void)state;
    char path[300], uri[320], target[400], link[400];
    prefix("links", path, uri);
    write_at(path, "G1/game.json", "{}");
    snprintf(target, sizeof target, "%s/secret.txt", dir);
    write_at(dir, "/secret.txt", "not a game");
    snprintf(link, sizeof link, "%slink.txt", path);
    assert_int_equal(symlink(target, link), 0);
    snprintf(link, sizeof link, "%sG1/gamestream.txt", path);
    assert_int_equal(symlink(target, link), 0);
    snprintf(target, sizeof target, "%sG1", path);
    snprintf(link, sizeof link, "%sG2", path); /* a folder linked to another game's */
    assert_int_equal(symlink(target, link), 0);

    cn_lister l = open_lister(uri);
    cn_listing out = list_ok(&l);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.v[0].key, "G1/game.json");
    cn_listing_free(&out);

    char *data = (char *)1;
    size_t len = 7;
    cn_error err;
    assert_int_equal(l.ops->read(l.impl, "link.txt", 1024, &data, &len, &err), CN_INPUT);
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_null(data);
    assert_int_equal(len, 0);
    assert_int_equal(l.ops->read(l.impl, "G1/gamestream.txt", 1024, &data, &len, &err), CN_INPUT);
    assert_int_equal(l.ops->read(l.impl, "G2/game.json", 1024, &data, &len, &err), CN_INPUT);
    assert_non_null(strstr(err.msg, "G2/game.json"));
    cn_lister_close(&l);
}

static void a_missing_prefix_means_waiting(void **state)
{
    (void)state;
    char uri[320];
    snprintf(uri, sizeof uri, "file://%s/not-yet/", dir);
    cn_lister l = open_lister(uri);
    cn_listing out = {0};
    cn_error err;
    assert_int_equal(l.ops->list(l.impl, &out, &err), CN_NOT_FOUND);
    assert_non_null(strstr(err.msg, "not-yet/"));
    assert_int_equal(out.n, 0);
    cn_listing_free(&out);
    cn_lister_close(&l);
}

/* An unreadable prefix is an error naming it; one unreadable game folder is skipped, so
 * it cannot hide the other games. */
static void an_unreadable_prefix_is_an_error_and_an_unreadable_game_is_skipped(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip(); /* root reads everything */
    char path[300], uri[320], sub[400];
    prefix("locked", path, uri);
    write_at(path, "G1/game.json", "{}");
    write_at(path, "G2/game.json", "{}");
    cn_lister l = open_lister(uri);
    cn_listing out = {0};
    cn_error err;

    snprintf(sub, sizeof sub, "%sG1", path);
    chmod(sub, 0);
    assert_int_equal(l.ops->list(l.impl, &out, &err), CN_OK);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.v[0].key, "G2/game.json");
    assert_int_equal(out.requests, 1);
    cn_listing_free(&out);
    chmod(sub, 0755);

    chmod(path, 0);
    assert_int_equal(l.ops->list(l.impl, &out, &err), CN_AUTH);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "ermission"));
    chmod(path, 0755);
    cn_listing_free(&out);
    cn_lister_close(&l);
}

static void a_read_is_whole_nul_terminated_and_capped(void **state)
{
    (void)state;
    char path[300], uri[320];
    prefix("reads", path, uri);
    write_at(path, "G1/game.json", "{\"home\": 101, \"away\": 205}");
    write_at(path, "G1/empty.json", "");
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    write_at(path, "G1/big.txt", big);
    cn_lister l = open_lister(uri);
    char *data;
    size_t len;
    cn_error err;

    assert_int_equal(l.ops->read(l.impl, "G1/game.json", 4096, &data, &len, &err), CN_OK);
    assert_int_equal(len, 26);
    assert_string_equal(data, "{\"home\": 101, \"away\": 205}");
    free(data);

    assert_int_equal(l.ops->read(l.impl, "G1/game.json", 26, &data, &len, &err), CN_OK); /* exactly the cap */
    free(data);
    assert_int_equal(l.ops->read(l.impl, "G1/game.json", 25, &data, &len, &err), CN_INPUT);
    assert_non_null(strstr(err.msg, "G1/game.json"));
    assert_null(data);

    assert_int_equal(l.ops->read(l.impl, "G1/big.txt", 4999, &data, &len, &err), CN_OK); /* grows the buffer */
    assert_int_equal(len, 4999);
    assert_int_equal(data[4999], '\0');
    assert_int_equal(strspn(data, "x"), 4999);
    free(data);
    assert_int_equal(l.ops->read(l.impl, "G1/big.txt", 4998, &data, &len, &err), CN_INPUT);

    assert_int_equal(l.ops->read(l.impl, "G1/empty.json", 10, &data, &len, &err), CN_OK);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    free(data);

    assert_int_equal(l.ops->read(l.impl, "G2/game.json", 4096, &data, &len, &err), CN_NOT_FOUND);
    assert_non_null(strstr(err.msg, "G2/game.json"));
    assert_int_equal(l.ops->read(l.impl, "G1/game.json/x", 4096, &data, &len, &err), CN_NOT_FOUND);
    assert_int_equal(l.ops->read(l.impl, "G1", 4096, &data, &len, &err), CN_INPUT); /* a directory */
    cn_lister_close(&l);
}

static void unsafe_keys_are_refused_before_any_file_is_opened(void **state)
{
    (void)state;
    char path[300], uri[320];
    prefix("keys", path, uri);
    write_at(path, "G1/game.json", "{}");
    write_at(dir, "/outside.txt", "outside");
    cn_lister l = open_lister(uri);
    const char *bad[] = {"../outside.txt", "G1/../../outside.txt", "..", "/etc/passwd", "", "G1/game\n.json",
                         "G1\x1b/game.json", "G1/game.json\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *data = NULL;
        size_t len;
        cn_error err;
        cn_status st = l.ops->read(l.impl, bad[i], 4096, &data, &len, &err);
        if (st != CN_INPUT)
            fail_msg("key %zu gave %s: %s", i, cn_status_name(st), st ? err.msg : "read");
        assert_null(data);
    }
    cn_lister_close(&l);
}

static void a_fifo_is_not_listed_and_its_read_is_refused_at_once(void **state)
{
    (void)state;
    char path[300], uri[320], fifo[400];
    prefix("fifo", path, uri);
    write_at(path, "G1/game.json", "{}");
    snprintf(fifo, sizeof fifo, "%sG1/gamestream.txt", path);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    cn_lister l = open_lister(uri);
    cn_listing out = list_ok(&l);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.v[0].key, "G1/game.json");
    cn_listing_free(&out);
    char *data;
    size_t len;
    cn_error err;
    assert_int_equal(l.ops->read(l.impl, "G1/gamestream.txt", 4096, &data, &len, &err), CN_INPUT); /* no writer: would block */
    assert_non_null(strstr(err.msg, "FIFO"));
    assert_non_null(strstr(err.msg, fifo));
    cn_lister_close(&l);
}

static void a_prefix_uri_must_name_a_local_directory(void **state)
{
    (void)state;
    cn_lister l = {0};
    cn_error err;
    char uri[320];
    snprintf(uri, sizeof uri, "file://%s/no-slash", dir);
    assert_int_equal(cn_lister_open(&l, uri, &cfg, &err), CN_CONFIG);
    assert_non_null(strstr(err.msg, "ending in '/'"));
    assert_int_equal(cn_lister_open(&l, "file://remote.host/srv/games/", &cfg, &err), CN_CONFIG);
    assert_int_equal(cn_lister_open(&l, "ftp://host/games/", &cfg, &err), CN_CONFIG);
    assert_non_null(strstr(err.msg, "no lister for scheme 'ftp://'"));
    cn_lister_close(&l); /* closing one that never opened is harmless */

    char help[2048];
    cn_describe(help, sizeof help);
    assert_non_null(strstr(help, "file:///srv/games/"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_listing_holds_each_game_folder_one_level_deep_sorted_by_key),
        cmocka_unit_test(an_empty_prefix_lists_nothing),
        cmocka_unit_test(symbolic_links_are_neither_listed_nor_followed),
        cmocka_unit_test(a_missing_prefix_means_waiting),
        cmocka_unit_test(an_unreadable_prefix_is_an_error_and_an_unreadable_game_is_skipped),
        cmocka_unit_test(a_read_is_whole_nul_terminated_and_capped),
        cmocka_unit_test(unsafe_keys_are_refused_before_any_file_is_opened),
        cmocka_unit_test(a_fifo_is_not_listed_and_its_read_is_refused_at_once),
        cmocka_unit_test(a_prefix_uri_must_name_a_local_directory),
    };
    return cmocka_run_group_tests_name("connectors/lister", tests, setup, teardown);
}
