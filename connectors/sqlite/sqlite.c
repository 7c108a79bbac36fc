/*
 * sqlite.c — the embedded SQL backend: reference reader and results sink for
 * sqlite:///abs/path.db, with the same tables as SQL Server's sidearmdb.
 *
 * Results replace teams2 and players2 inside one IMMEDIATE transaction, so a
 * reader sees the old tables or the new ones, never a half-written state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../backends.h"
#include "../fileio.h"
#include "../schema.h"

typedef struct sqlite_conn {
    char path[1024];
    sqlite3 *db;
    bool writing;   /* opened for the results (read-write), not for the reference */
} sqlite_conn;

static cn_status sq_open(void **impl, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    (void)cfg;
    if (!cn_uri_is_local_path(u))
        return cn_fail(err, CN_CONFIG, "sqlite:// needs an absolute path, like sqlite:///var/sidearm.db");
    sqlite_conn *c = calloc(1, sizeof *c);
    if (!c)
        return cn_fail(err, CN_FATAL, "out of memory");
    snprintf(c->path, sizeof c->path, "%s", u->path);
    *impl = c;
    return CN_OK;
}

static void sq_close(void *impl)
{
    sqlite_conn *c = impl;
    sqlite3_close(c->db);
    free(c);
}

/* Why path cannot be read, or written with its journal beside it: 0 when the file
 * system does not object. *what says where the problem is. */
static int access_errno(const char *path, bool writing, const char **what)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    slash[slash == dir] = '\0'; /* "/x.db" is in "/" */
    *what = "file";
    int missing = access(path, F_OK) < 0 ? errno : 0;
    if (!missing && access(path, writing ? R_OK | W_OK : R_OK) < 0)
        return errno;
    if (missing == ENOENT && !writing)
        return ENOENT; /* not there (yet) */
    *what = "directory";
    if (missing && missing != ENOENT)
        return missing; /* EACCES, ENOTDIR, ... along the path */
    if (writing && access(dir, W_OK | X_OK) < 0)
        return errno;
    return 0;
}

/* SQLite says only "unable to open database file" or "attempt to write a readonly
 * database": name the path and the cause. A missing database is the reference reader's
 * cue to wait for it to be seeded; every other cause needs an operator. */
static cn_status open_fail(sqlite_conn *c, cn_error *err)
{
    const char *what;
    int e = access_errno(c->path, c->writing, &what);
    if (e == ENOENT && !c->writing)
        return cn_fail(err, CN_NOT_FOUND, "sqlite %s does not exist yet (waiting for it to be seeded)", c->path);
    if (!e && c->db)
        e = sqlite3_system_errno(c->db);
    const char *why = e ? strerror(e) : c->db ? sqlite3_errmsg(c->db) : "cannot open";
    bool perm = e == EACCES || e == EPERM;
    return cn_fail(err, perm ? CN_AUTH : CN_FATAL, "cannot open %s for %s: %s%s%s%s", c->path,
                   c->writing ? "writing" : "reading", why, perm ? " (check the " : "", perm ? what : "",
                   perm ? "'s permissions)" : "");
}

static cn_status sq_fail(sqlite_conn *c, cn_error *err, const char *what)
{
    int code = c->db ? sqlite3_errcode(c->db) : SQLITE_CANTOPEN;
    if (code == SQLITE_CANTOPEN || code == SQLITE_READONLY || code == SQLITE_PERM || code == SQLITE_AUTH)
        return open_fail(c, err);
    cn_status st = code == SQLITE_BUSY || code == SQLITE_LOCKED ? CN_TRANSIENT : CN_FATAL;
    return cn_fail(err, st, "sqlite %s: %s: %s", c->path, what, c->db ? sqlite3_errmsg(c->db) : "cannot open");
}

static cn_status connect(sqlite_conn *c, int flags, cn_error *err)
{
    if (c->db)
        return CN_OK;
    c->writing = flags & SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(c->path, &c->db, flags, NULL) != SQLITE_OK) {
        cn_status st = sq_fail(c, err, "opening the database");
        sqlite3_close(c->db);
        c->db = NULL;
        return st;
    }
    sqlite3_busy_timeout(c->db, 5000);
    return CN_OK;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static cn_status load_rows(sqlite_conn *c, const char *sql, bs_ref *out, bool teams, cn_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sq_fail(c, err, teams ? "reading teams" : "reading players");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int bad = teams ? bs_ref_add_team(out, sqlite3_column_int(st, 0), col_text(st, 1), col_text(st, 2),
                                          sqlite3_column_int(st, 3), sqlite3_column_int(st, 4))
                        : bs_ref_add_player(out, sqlite3_column_int(st, 0), col_text(st, 1), col_text(st, 2),
                                            sqlite3_column_int(st, 3), sqlite3_column_int(st, 4),
                                            sqlite3_column_int(st, 5));
        if (bad) {
            sqlite3_finalize(st);
            return cn_fail(err, CN_FATAL, "out of memory reading %s", c->path);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sq_fail(c, err, teams ? "reading teams" : "reading players");
    return CN_OK;
}

static cn_status sq_load(void *impl, bs_ref *out, cn_error *err)
{
    sqlite_conn *c = impl;
    if (connect(c, SQLITE_OPEN_READONLY, err))
        return err->status;
    if (load_rows(c, "SELECT " CN_TEAMS_COLS " FROM teams ORDER BY id", out, true, err) ||
        load_rows(c, "SELECT " CN_PLAYERS_COLS " FROM players ORDER BY id", out, false, err)) {
        bs_ref_free(out);
        /* a database without the tables is one that has not been seeded yet */
        if (strstr(err->msg, "no such table"))
            err->status = CN_NOT_FOUND;
        return err->status;
    }
    bs_ref_sort(out);
    return CN_OK;
}

static cn_status exec(sqlite_conn *c, const char *sql, cn_error *err)
{
    if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sq_fail(c, err, sql);
    return CN_OK;
}

static cn_status insert_rows(sqlite_conn *c, const bs_ref *rows, const char *table, bool teams, cn_error *err)
{
    char sql[160];
    snprintf(sql, sizeof sql, teams ? "INSERT INTO \"%s\" (" CN_TEAMS_COLS ") VALUES (?, ?, ?, ?, ?)"
                                    : "INSERT INTO \"%s\" (" CN_PLAYERS_COLS ") VALUES (?, ?, ?, ?, ?, ?)", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sq_fail(c, err, sql);
    size_t n = teams ? rows->nteams : rows->nplayers;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(st);
        if (teams) {
            const bs_team *t = &rows->teams[i];
            sqlite3_bind_int(st, 1, t->id);
            sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, t->conference, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 4, t->wins);
            sqlite3_bind_int(st, 5, t->losses);
        } else {
            const bs_player *p = &rows->players[i];
            sqlite3_bind_int(st, 1, p->id);
            sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, p->number, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 4, p->shots);
            sqlite3_bind_int(st, 5, p->goals);
            sqlite3_bind_int(st, 6, p->teamid);
        }
        if (sqlite3_step(st) != SQLITE_DONE) {
            cn_status rc = sq_fail(c, err, sql);
            sqlite3_finalize(st);
            return rc;
        }
    }
    sqlite3_finalize(st);
    return CN_OK;
}

static cn_status sq_write(void *impl, const bs_ref *rows, const char *teams, const char *players, cn_error *err)
{
    sqlite_conn *c = impl;
    char ddl_t[256], ddl_p[320], drop_t[96], drop_p[96];
    if (cn_mkdirs_for(c->path, err) || connect(c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err))
        return err->status;
    snprintf(ddl_t, sizeof ddl_t, CN_TEAMS_DDL, teams);
    snprintf(ddl_p, sizeof ddl_p, CN_PLAYERS_DDL, players, teams);
    snprintf(drop_t, sizeof drop_t, "DROP TABLE IF EXISTS \"%s\"", teams);
    snprintf(drop_p, sizeof drop_p, "DROP TABLE IF EXISTS \"%s\"", players);
    if (exec(c, "BEGIN IMMEDIATE", err))
        return err->status;
    if (exec(c, drop_p, err) || exec(c, drop_t, err) || exec(c, ddl_t, err) || exec(c, ddl_p, err) ||
        insert_rows(c, rows, teams, true, err) || insert_rows(c, rows, players, false, err) || exec(c, "COMMIT", err)) {
        cn_error ignored;
        exec(c, "ROLLBACK", &ignored);
        return err->status;
    }
    return CN_OK;
}

const cn_reference_ops cn_sqlite_reference_ops = {
    .scheme = "sqlite",
    .description = "SQLite tables teams and players (sqlite:///abs/sidearm.db)",
    .open = sq_open,
    .load = sq_load,
    .close = sq_close,
};

const cn_results_ops cn_sqlite_results_ops = {
    .scheme = "sqlite",
    .description = "SQLite tables teams2 and players2, one transaction (sqlite:///abs/sidearm.db)",
    .open = sq_open,
    .write = sq_write,
    .close = sq_close,
};
