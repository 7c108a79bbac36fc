/* The mssql:// backends against the TDS stand-in (started by test_mssql.sh): a round
 * trip of names with quotes and non-ASCII letters, a failed results write that leaves
 * the previous tables intact, a missing database that means waiting, a refused
 * login that names the server and the user only, server errors that do not leak into
 * the next call, and permission errors that are not retried; a game's result and the
 * season tables (write_game): any order, once per game, replaced on a re-run, all or
 * nothing, and one game giving what the standings give. Read back through FreeTDS tsql.
 * The stand-in keeps every database's tables in one namespace: each season test starts
 * from its own reference and no game tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "connector.h"
#include "results_fixture.h"

static cn_settings cfg;
static char base[256];

static void uri_for(char *out, size_t len, const char *db)
{
    snprintf(out, len, "%s/%s", base, db);
}

static void names_round_trip_exactly(void **state)
{
    (void)state;
    char uri[300];
    cn_results w;
    cn_reference r;
    cn_error err;
    bs_ref in = {0}, out = {0};
    bs_ref_add_team(&in, 101, "Harbor City's Herons", "Coastal", 7, 3);
    bs_ref_add_player(&in, 1, "Liam O'Brien", "2", 20, 5, 101);
    bs_ref_add_player(&in, 2, "Zoë Hartmann", "19", 7, 2, 101);
    bs_ref_add_player(&in, 3, "'; DROP TABLE teams; --", "4", 0, 0, 101);
    uri_for(uri, sizeof uri, "roundtrip");
    assert_int_equal(cn_results_open(&w, uri, &cfg, &err), CN_OK);
    if (w.ops->write(w.impl, &in, "teams", "players", &err))
        fail_msg("write: %s", err.msg);
    cn_results_close(&w);
    assert_int_equal(cn_reference_open(&r, uri, &cfg, &err), CN_OK);
    if (r.ops->load(r.impl, &out, &err))
        fail_msg("load: %s", err.msg);
    cn_reference_close(&r);
    assert_true(bs_ref_equal(&in, &out));
    bs_ref_free(&in);
    bs_ref_free(&out);
}

static void a_failed_results_write_leaves_the_previous_tables(void **state)
{
    (void)state;
    char uri[300];
    cn_results w;
    cn_reference r;
    cn_error err;
    bs_ref good = {0}, bad = {0}, back = {0};
    bs_ref_add_team(&good, 101, "Herons", "Coastal", 8, 3);
    bs_ref_add_player(&good, 1, "Liam O'Brien", "2", 21, 6, 101);
    bs_ref_add_team(&bad, 101, "Herons", "Coastal", 9, 3);
    bs_ref_add_team(&bad, 101, "Herons again", "Coastal", 9, 3); /* duplicate key: the INSERT fails */
    uri_for(uri, sizeof uri, "failing");
    assert_int_equal(cn_results_open(&w, uri, &cfg, &err), CN_OK);
    if (w.ops->write(w.impl, &good, "teams", "players", &err))
        fail_msg("first write: %s", err.msg);
    assert_int_not_equal(w.ops->write(w.impl, &bad, "teams", "players", &err), CN_OK);
    assert_non_null(strstr(err.msg, "failing"));
    cn_results_close(&w);
    /* read back through the reference reader: the first write's rows, untouched */
    assert_int_equal(cn_reference_open(&r, uri, &cfg, &err), CN_OK);
    if (r.ops->load(r.impl, &back, &err))
        fail_msg("load: %s", err.msg);
    cn_reference_close(&r);
    assert_true(bs_ref_equal(&good, &back));
    bs_ref_free(&good);
    bs_ref_free(&bad);
    bs_ref_free(&back);
}

static void a_missing_database_means_waiting(void **state)
{
    (void)state;
    char uri[300];
    cn_reference r;
    cn_error err;
    bs_ref out = {0};
    uri_for(uri, sizeof uri, "notyet");
    assert_int_equal(cn_reference_open(&r, uri, &cfg, &err), CN_OK);
    assert_int_equal(r.ops->load(r.impl, &out, &err), CN_NOT_FOUND);
    cn_reference_close(&r);
}

/* db-lib reports through process-wide handlers into thread-local state: a server
 * message in one call (here: no such database) must not turn a later refused
 * connection on the same thread into a fatal "unknown error". */
static void a_server_message_does_not_leak_into_the_next_call(void **state)
{
    (void)state;
    char uri[300], closed[300];
    cn_reference r;
    cn_results w;
    cn_error err;
    bs_ref out = {0}, rows = {0};
    bs_ref_add_team(&rows, 101, "Herons", "Coastal", 8, 3);
    snprintf(closed, sizeof closed, "mssql://sa@127.0.0.1:%s/sidearmdb", getenv("TDS_CLOSED_PORT"));
    for (int round = 0; round < 2; round++) {
        uri_for(uri, sizeof uri, "notyet");
        assert_int_equal(cn_reference_open(&r, uri, &cfg, &err), CN_OK);
        assert_int_equal(r.ops->load(r.impl, &out, &err), CN_NOT_FOUND); /* a server message */
        cn_reference_close(&r);
        if (round == 0) {
            assert_int_equal(cn_reference_open(&r, closed, &cfg, &err), CN_OK);
            if (r.ops->load(r.impl, &out, &err) != CN_TRANSIENT)
                fail_msg("load from a closed port: %s: %s", cn_status_name(err.status), err.msg);
            cn_reference_close(&r);
        } else {
            assert_int_equal(cn_results_open(&w, closed, &cfg, &err), CN_OK);
            if (w.ops->write(w.impl, &rows, "teams2", "players2", &err) != CN_TRANSIENT)
                fail_msg("write to a closed port: %s: %s", cn_status_name(err.status), err.msg);
            cn_results_close(&w);
        }
        assert_non_null(strstr(err.msg, closed + strlen("mssql://")));
        assert_non_null(strstr(err.msg, "Connection refused"));
        assert_null(strstr(err.msg, "unknown error"));
        assert_null(strstr(err.msg, "notyet"));
    }
    bs_ref_free(&rows);
}

/* A results database the user may not write, or one that is read-only, is an error
 * that retrying cannot fix, naming the server, the database, the table and the cause.
 * The stand-in refuses writes in these databases (TDS_*_DATABASES in test_mssql.sh). */
static void a_results_write_without_permission_is_not_retried(void **state)
{
    (void)state;
    static const struct {
        const char *db, *table, *cause;
        cn_status status;
    } cases[] = {
        {"denieddb", "table teams2", "permission denied", CN_AUTH},
        {"readonlydb", "table players2", "read-only", CN_FATAL},
    };
    char uri[300], in_db[64];
    cn_results w;
    cn_error err;
    bs_ref rows = {0};
    bs_result g1 = game_result("G1", 101, 205, 2, 1, g1_players, 3);
    bs_ref_add_team(&rows, 101, "Herons", "Coastal", 8, 3);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uri_for(uri, sizeof uri, cases[i].db);
        assert_int_equal(cn_results_open(&w, uri, &cfg, &err), CN_OK);
        for (int game = 0; game < 2; game++) { /* a game's result is refused the same way */
            cn_status st = game ? w.ops->write_game(w.impl, NULL, &g1, 1, NULL, NULL, &err)
                                : w.ops->write(w.impl, &rows, "teams2", "players2", &err);
            if (st != cases[i].status)
                fail_msg("write into %s: %s: %s", cases[i].db, cn_status_name(err.status), err.msg);
            snprintf(in_db, sizeof in_db, "in database '%s'", cases[i].db);
            assert_non_null(strstr(err.msg, base + strlen("mssql://")));
            assert_non_null(strstr(err.msg, in_db));
            /* a game's first write is the stamp of teams2/players2's reference */
            assert_non_null(strstr(err.msg, game ? "table season_state" : cases[i].table));
            assert_non_null(strstr(err.msg, cases[i].cause));
        }
        cn_results_close(&w);
    }
    bs_result_free(&g1);
    bs_ref_free(&rows);
}

static void a_refused_login_names_the_server_and_user(void **state)
{
    (void)state;
    char uri[300];
    cn_reference r;
    cn_error err;
    bs_ref out = {0};
    cn_settings bad = cfg;
    bad.mssql_password = "not-the-password";
    uri_for(uri, sizeof uri, "roundtrip");
    assert_int_equal(cn_reference_open(&r, uri, &bad, &err), CN_OK);
    assert_int_equal(r.ops->load(r.impl, &out, &err), CN_AUTH);
    assert_non_null(strstr(err.msg, "refused login for user 'sa'"));
    assert_null(strstr(err.msg, "not-the-password"));
    cn_reference_close(&r);
}

/* ---------------------------------------------------------------- write_game */

#define SEASON_DB "seasondb"

/* Runs sql through FreeTDS tsql in database db, as tds_query in tests/lib.sh does: the
 * rows tab-separated, one a line (malloc'd). */
static char *tsql(const char *db, const char *sql)
{
    char path[] = "/tmp/test-mssql-XXXXXX", cmd[512], line[1024];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "%s\ngo\n", sql);
    fclose(f);
    /* the password stays in the environment, out of the command line */
    snprintf(cmd, sizeof cmd, "TDSVER=7.4 tsql -H 127.0.0.1 -p %s -U sa -P \"$MSSQL_PASSWORD\" -D %s -o qh <%s 2>/dev/null",
             getenv("TDS_PORT"), db, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *out = calloc(1, 1);
    size_t len = 0;
    while (fgets(line, sizeof line, p)) {
        size_t n = strlen(line);
        if (n <= 1)
            continue;
        out = realloc(out, len + n + 1);
        memcpy(out + len, line, n + 1);
        len += n;
    }
    assert_int_equal(pclose(p), 0);
    unlink(path);
    return out;
}

/* The stand-in keeps one namespace for every database, so every check uses SEASON_DB
 * and starts it afresh: the league as teams/players and no game tables. */
static char *season_query(const char *name, const char *sql)
{
    (void)name;
    return tsql(SEASON_DB, sql);
}

static cn_results season_fresh(const char *name)
{
    char uri[300];
    (void)name;
    uri_for(uri, sizeof uri, SEASON_DB);
    cn_results w = league_sink(uri, &cfg);
    free(tsql(SEASON_DB, "IF OBJECT_ID(N'game_teams') IS NOT NULL DROP TABLE game_teams; "
                         "IF OBJECT_ID(N'game_players') IS NOT NULL DROP TABLE game_players"));
    return w;
}

static void season_where(const char *name, char *out, size_t len)
{
    (void)name;
    snprintf(out, len, "%s/%s", base + strlen("mssql://"), SEASON_DB);
}

/* The stand-in's own SQLite file (TDS_DB, from test_mssql.sh). */
static char *season_native(const char *name, const char *sql)
{
    (void)name;
    return sqlite_rows(getenv("TDS_DB"), sql);
}

static const results_backend mssql_backend = {season_fresh, season_query, season_where, season_native};

static void a_final_changes_only_its_own_rows(void **state)
{
    (void)state;
    check_a_final_changes_only_its_own_rows(&mssql_backend);
}

static void random_finals_add_up(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++)
        check_random_finals_add_up(&mssql_backend, seed, 30);
}

static void games_in_either_order_give_the_same_season(void **state)
{
    (void)state;
    check_games_in_either_order(&mssql_backend);
}

static void emptied_season_tables_are_added_up_again(void **state)
{
    (void)state;
    check_emptied_season_tables_are_added_up_again(&mssql_backend);
}

static void a_game_written_twice_counts_once(void **state)
{
    (void)state;
    check_a_game_written_twice_counts_once(&mssql_backend);
}

static void a_game_of_another_source_is_refused(void **state)
{
    (void)state;
    check_a_game_of_another_source_is_refused(&mssql_backend);
}

static void a_rewritten_game_replaces_its_rows(void **state)
{
    (void)state;
    check_a_rewritten_game_replaces_its_rows(&mssql_backend);
}

static void a_failed_game_write_changes_nothing(void **state)
{
    (void)state;
    check_a_failed_game_write_changes_nothing(&mssql_backend);
}

static void one_game_gives_what_standings_give(void **state)
{
    (void)state;
    check_one_game_gives_what_standings_give(&mssql_backend, 2);
}

int main(void)
{
    cn_error err;
    const char *port = getenv("TDS_PORT"), *pw = getenv("MSSQL_PASSWORD");
    if (!port || !pw || !getenv("TDS_CLOSED_PORT")) {
        fprintf(stderr, "TDS_PORT, TDS_CLOSED_PORT and MSSQL_PASSWORD must be set (run through test_mssql.sh)\n");
        return 1;
    }
    snprintf(base, sizeof base, "mssql://sa@127.0.0.1:%s", port);
    cfg = (cn_settings){.mssql_password = pw, .timeout_ms = 5000};
    if (cn_global_init(&err))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_round_trip_exactly),
        cmocka_unit_test(a_failed_results_write_leaves_the_previous_tables),
        cmocka_unit_test(a_missing_database_means_waiting),
        cmocka_unit_test(a_refused_login_names_the_server_and_user),
        cmocka_unit_test(a_server_message_does_not_leak_into_the_next_call),
        cmocka_unit_test(a_results_write_without_permission_is_not_retried),
        cmocka_unit_test(games_in_either_order_give_the_same_season),
        cmocka_unit_test(a_game_written_twice_counts_once),
        cmocka_unit_test(emptied_season_tables_are_added_up_again),
        cmocka_unit_test(a_game_of_another_source_is_refused),
        cmocka_unit_test(a_rewritten_game_replaces_its_rows),
        cmocka_unit_test(one_game_gives_what_standings_give),
        cmocka_unit_test(a_final_changes_only_its_own_rows),
        cmocka_unit_test(random_finals_add_up),
        cmocka_unit_test(a_failed_game_write_changes_nothing),
    };
    int rc = cmocka_run_group_tests_name("connectors/mssql", tests, NULL, NULL);
    cn_global_cleanup();
    return rc;
}
