/* Embedded backends: file:// source (rewrite, append, restarts, partial lines read once),
 * directory sink, SQLite reference and results, and the URI helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "connector.h"
#include "cursor.h"

static char dir[256];
static const cn_settings cfg = {.max_object_bytes = 1 << 20, .timeout_ms = 1000};

static void write_file(const char *path, const char *text)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    fputs(text, f);
    fclose(f);
    rename(tmp, path);
}

static void append_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/cn-test-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static cn_source open_source(const char *name, char *path, size_t len)
{
    char uri[400];
    cn_source s;
    cn_error err;
    snprintf(path, len, "%s/%s", dir, name);
    snprintf(uri, sizeof uri, "file://%s", path);
    assert_int_equal(cn_source_open(&s, uri, &cfg, &err), CN_OK);
    return s;
}

static cn_chunk poll_ok(cn_source *s)
{
    cn_chunk c;
    cn_error err;
    cn_status st = s->ops->poll(s->impl, &c, &err);
    if (st != CN_OK)
        fail_msg("poll: %s", err.msg);
    return c;
}

static void missing_file_means_waiting(void **state)
{
    (void)state;
    char path[300];
    cn_source s = open_source("none.txt", path, sizeof path);
    cn_chunk c;
    cn_error err;
    assert_int_equal(s.ops->poll(s.impl, &c, &err), CN_NOT_FOUND);
    assert_non_null(strstr(err.msg, path));
    cn_source_close(&s);
}

static void rewrites_deliver_every_new_byte_once(void **state)
{
    (void)state;
    char path[300];
    cn_source s = open_source("g.txt", path, sizeof path);
    write_file(path, "0 59:00 101 2 1\n1 58:");
    cn_chunk c = poll_ok(&s);
    assert_int_equal(c.len, 21); /* the partial line too: the consumer's reader holds it */
    assert_false(c.restart);
    write_file(path, "0 59:00 101 2 1\n1 58:00 205 9 0\n");
    c = poll_ok(&s);
    assert_false(c.restart);
    assert_int_equal(c.offset, 21);
    assert_int_equal(c.len, 11);
    assert_memory_equal(c.data, "00 205 9 0\n", 11);
    c = poll_ok(&s);
    assert_int_equal(c.len, 0);
    cn_source_close(&s);
}

/* A last line without a newline is read once; later polls of the unchanged object move
 * only the overlap, however long the line is. */
static void an_unterminated_last_line_is_not_read_again(void **state)
{
    (void)state;
    char path[300];
    static char text[200000];
    memcpy(text, "0 59:00 101 2 1\n", 16);
    memset(text + 16, '7', sizeof text - 17);
    cn_source s = open_source("long.txt", path, sizeof path);
    write_file(path, text);
    cn_chunk c = poll_ok(&s);
    assert_int_equal(c.len, sizeof text - 1);
    assert_int_equal(c.transferred, sizeof text - 1);
    for (int i = 0; i < 3; i++) {
        c = poll_ok(&s);
        assert_false(c.restart);
        assert_int_equal(c.len, 0);
        assert_int_equal(c.transferred, CN_OVERLAP);
    }
    append_file(path, "\n1 58:00 205 9 0\n");
    c = poll_ok(&s);
    assert_false(c.restart);
    assert_int_equal(c.offset, sizeof text - 1);
    assert_int_equal(c.transferred, CN_OVERLAP + 17);
    assert_memory_equal(c.data, "\n1 58:00 205 9 0\n", 17);
    cn_source_close(&s);
}

static void appends_in_place_are_read_too(void **state)
{
    (void)state;
    char path[300];
    cn_source s = open_source("a.txt", path, sizeof path);
    write_file(path, "0 59:00 101 2 1\n");
    poll_ok(&s);
    append_file(path, "1 58:00 205 9 0\n");
    cn_chunk c = poll_ok(&s);
    assert_int_equal(c.len, 16);
    assert_false(c.restart);
    cn_source_close(&s);
}

static void a_shorter_object_is_a_restart(void **state)
{
    (void)state;
    char path[300];
    cn_source s = open_source("r.txt", path, sizeof path);
    write_file(path, "0 59:00 101 2 1\n1 58:00 205 9 0\n");
    poll_ok(&s);
    write_file(path, "0 59:30 205 9 1\n");
    cn_chunk c = poll_ok(&s);
    assert_true(c.restart);
    assert_int_equal(c.offset, 0);
    assert_memory_equal(c.data, "0 59:30 205 9 1\n", 16);
    c = poll_ok(&s);
    assert_false(c.restart);
    cn_source_close(&s);
}

static void same_length_new_beginning_is_a_restart(void **state)
{
    (void)state;
    char path[300];
    cn_source s = open_source("s.txt", path, sizeof path);
    write_file(path, "0 59:00 101 2 1\n1 58:00 205 9 0\n");
    poll_ok(&s);
    write_file(path, "0 59:10 205 3 0\n1 58:40 101 7 1\n2 57:00 101 7 1\n");
    cn_chunk c = poll_ok(&s);
    assert_true(c.restart);
    assert_int_equal(c.len, 48);
    cn_source_close(&s);
}

static void an_object_over_the_cap_is_refused_with_the_cap(void **state)
{
    (void)state;
    char path[300], uri[400];
    cn_settings small = cfg;
    small.max_object_bytes = 10;
    snprintf(path, sizeof path, "%s/big.txt", dir);
    snprintf(uri, sizeof uri, "file://%s", path);
    write_file(path, "0 59:00 101 2 1\n");
    cn_source s;
    cn_error err;
    cn_chunk c;
    assert_int_equal(cn_source_open(&s, uri, &small, &err), CN_OK);
    assert_int_equal(s.ops->poll(s.impl, &c, &err), CN_INPUT);
    assert_non_null(strstr(err.msg, "10-byte cap"));
    cn_source_close(&s);
}

/* A FIFO would block the reading thread until a writer appears (and then read
 * forever): it is refused at once, naming the path. The alarm fails a poll that hangs. */
static void a_fifo_or_directory_is_refused_without_blocking(void **state)
{
    (void)state;
    char path[300];
    cn_chunk c;
    cn_error err;
    cn_source s = open_source("fifo.txt", path, sizeof path);
    assert_int_equal(mkfifo(path, 0644), 0);
    alarm(10);
    assert_int_equal(s.ops->poll(s.impl, &c, &err), CN_CONFIG);
    alarm(0);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "FIFO"));
    cn_source_close(&s);

    s = open_source("adir", path, sizeof path);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(s.ops->poll(s.impl, &c, &err), CN_CONFIG);
    assert_non_null(strstr(err.msg, "not a regular file"));
    cn_source_close(&s);
}

static void dir_sink_upserts_by_id_and_appends_rejects(void **state)
{
    (void)state;
    char uri[400], path[400];
    cn_boxscore b;
    cn_error err;
    snprintf(uri, sizeof uri, "file://%s/box/nested", dir);
    assert_int_equal(cn_boxscore_open(&b, uri, &cfg, &err), CN_OK);
    json_t *d1 = json_pack("{s:i, s:s}", "_id", 4, "v", "first"), *d2 = json_pack("{s:i, s:s}", "_id", 4, "v", "second");
    assert_int_equal(b.ops->put(b.impl, d1, &err), CN_OK);
    assert_int_equal(b.ops->put(b.impl, d2, &err), CN_OK);
    json_t *rec = json_pack("{s:i, s:s}", "line", 3, "reason", "bad");
    assert_int_equal(b.ops->reject(b.impl, rec, &err), CN_OK);
    snprintf(path, sizeof path, "%s/box/nested/4.json", dir);
    json_error_t je;
    json_t *back = json_load_file(path, 0, &je);
    assert_non_null(back);
    assert_string_equal(json_string_value(json_object_get(back, "v")), "second");
    snprintf(path, sizeof path, "%s/box/nested/rejects.jsonl", dir);
    back = (json_decref(back), json_load_file(path, JSON_DISABLE_EOF_CHECK, &je));
    assert_int_equal(json_integer_value(json_object_get(back, "line")), 3);
    json_decref(back);
    json_decref(d1);
    json_decref(d2);
    json_decref(rec);
    cn_boxscore_close(&b);
}

static void sqlite_reference_and_results_round_trip(void **state)
{
    (void)state;
    char uri[400], db[300];
    cn_reference r;
    cn_results w;
    cn_error err;
    bs_ref in = {0}, out = {0}, again = {0};
    snprintf(db, sizeof db, "%s/ref.db", dir);
    snprintf(uri, sizeof uri, "sqlite://%s", db);

    assert_int_equal(cn_reference_open(&r, uri, &cfg, &err), CN_OK);
    assert_int_equal(r.ops->load(r.impl, &out, &err), CN_NOT_FOUND); /* no database yet: waiting */
    cn_reference_close(&r);

    bs_ref_add_team(&in, 101, "Herons", "Coastal", 7, 3);
    bs_ref_add_player(&in, 1, "Liam O'Brien", "2", 20, 5, 101);
    bs_ref_add_player(&in, 2, "Zoë Hart", "19", 0, 0, 101);
    assert_int_equal(cn_results_open(&w, uri, &cfg, &err), CN_OK);
    assert_int_equal(w.ops->write(w.impl, &in, "teams", "players", &err), CN_OK);
    assert_int_equal(w.ops->write(w.impl, &in, "teams2", "players2", &err), CN_OK);
    assert_int_equal(w.ops->write(w.impl, &in, "teams2", "players2", &err), CN_OK); /* again: same rows */
    cn_results_close(&w);

    assert_int_equal(cn_reference_open(&r, uri, &cfg, &err), CN_OK);
    assert_int_equal(r.ops->load(r.impl, &out, &err), CN_OK);
    assert_true(bs_ref_equal(&in, &out));
    cn_reference_close(&r);

    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*), max(name) FROM players2", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2);
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "Zoë Hart");
    sqlite3_finalize(st);
    sqlite3_close(h);
    bs_ref_free(&in);
    bs_ref_free(&out);
    bs_ref_free(&again);
}

static void a_failed_results_write_leaves_the_previous_tables(void **state)
{
    (void)state;
    char uri[400], db[300];
    cn_results w;
    cn_error err;
    bs_ref good = {0}, bad = {0};
    snprintf(db, sizeof db, "%s/fail.db", dir);
    snprintf(uri, sizeof uri, "sqlite://%s", db);
    bs_ref_add_team(&good, 101, "Herons", "Coastal", 8, 3);
    bs_ref_add_player(&good, 1, "Liam O'Brien", "2", 21, 6, 101);
    bs_ref_add_team(&bad, 101, "Herons", "Coastal", 9, 3);
    bs_ref_add_team(&bad, 101, "Herons again", "Coastal", 9, 3); /* duplicate key: the INSERT fails */
    assert_int_equal(cn_results_open(&w, uri, &cfg, &err), CN_OK);
    assert_int_equal(w.ops->write(w.impl, &good, "teams2", "players2", &err), CN_OK);
    assert_int_not_equal(w.ops->write(w.impl, &bad, "teams2", "players2", &err), CN_OK);
    assert_non_null(strstr(err.msg, db));
    cn_results_close(&w);

    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT (SELECT wins FROM teams2), (SELECT count(*) FROM players2)", -1, &st,
                                        NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 8); /* the first write's rows, untouched */
    assert_int_equal(sqlite3_column_int(st, 1), 1);
    sqlite3_finalize(st);
    sqlite3_close(h);
    bs_ref_free(&good);
    bs_ref_free(&bad);
}

static void uri_parse_and_redact(void **state)
{
    (void)state;
    cn_uri u;
    cn_error err;
    char out[256];
    assert_int_equal(cn_uri_parse("mongodb://mongo:s3cr%40t@db.local:27017/sidearm.boxscores?authSource=admin", &u, &err), CN_OK);
    assert_string_equal(u.scheme, "mongodb");
    assert_string_equal(u.user, "mongo");
    assert_string_equal(u.password, "s3cr@t");
    assert_string_equal(u.host, "db.local");
    assert_int_equal(u.port, 27017);
    assert_string_equal(u.path, "/sidearm.boxscores");
    assert_string_equal(u.query, "authSource=admin");
    assert_int_equal(cn_uri_parse("s3://gamestreams/gamestream.txt", &u, &err), CN_OK);
    assert_string_equal(u.host, "gamestreams");
    assert_string_equal(u.path, "/gamestream.txt");
    assert_int_equal(cn_uri_parse("no-scheme", &u, &err), CN_CONFIG);
    assert_int_equal(cn_uri_parse("mssql://sa@h:99999/db", &u, &err), CN_CONFIG);
    cn_uri_redact("mongodb://mongo:hunter2@db:27017/x", out, sizeof out);
    assert_string_equal(out, "mongodb://mongo:***@db:27017/x");
    cn_uri_redact("mssql://sa@db:1433/sidearmdb", out, sizeof out);
    assert_string_equal(out, "mssql://sa@db:1433/sidearmdb");
}

static void unknown_scheme_is_a_config_error(void **state)
{
    (void)state;
    cn_source s;
    cn_error err;
    assert_int_equal(cn_source_open(&s, "ftp://x/y", &cfg, &err), CN_CONFIG);
    assert_non_null(strstr(err.msg, "ftp://"));
    assert_int_equal(cn_source_open(&s, "file://relative", &cfg, &err), CN_CONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_file_means_waiting),
        cmocka_unit_test(rewrites_deliver_every_new_byte_once),
        cmocka_unit_test(an_unterminated_last_line_is_not_read_again),
        cmocka_unit_test(appends_in_place_are_read_too),
        cmocka_unit_test(a_shorter_object_is_a_restart),
        cmocka_unit_test(same_length_new_beginning_is_a_restart),
        cmocka_unit_test(an_object_over_the_cap_is_refused_with_the_cap),
        cmocka_unit_test(a_fifo_or_directory_is_refused_without_blocking),
        cmocka_unit_test(dir_sink_upserts_by_id_and_appends_rejects),
        cmocka_unit_test(sqlite_reference_and_results_round_trip),
        cmocka_unit_test(a_failed_results_write_leaves_the_previous_tables),
        cmocka_unit_test(uri_parse_and_redact),
        cmocka_unit_test(unknown_scheme_is_a_config_error),
    };
    return cmocka_run_group_tests_name("connectors/embedded", tests, setup, teardown);
}
