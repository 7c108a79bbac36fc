/*
 * sqlite.c — the embedded SQL backend: reference reader and results sink for
 * sqlite:///abs/path.db, with the same tables as SQL Server's sidearmdb.
 *
 * Results replace teams2 and players2 inside one IMMEDIATE transaction, so a
 * reader sees the old tables or the new ones, never a half-written state. A game's
 * result (write_game) replaces its rows of game_teams/game_players and, in the same
 * transaction, changes the rows of its two teams and their players in teams2/players2
 * by what its new rows add minus what its old rows added (season.c): a final costs its
 * own rows, whatever the size of the league or the number of games already written.
 * teams2/players2 stay the reference plus every game's rows; they are added up in full
 * (as bs_season) only when the reference's stamp (digest and counts, CN_SEASON_STATE)
 * differs from the one they were last added up from (a reload changed teams/players, or
 * the tables are from before the stamp), when one of the four tables is missing or not a
 * table, or when a row at INT_MAX would go down. IMMEDIATE makes concurrent writers take
 * turns, so none changes the tables without another's game.
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

static cn_status lite_open(void **impl, const cn_uri *u, const cn_settings *cfg, cn_error *err)
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

static void lite_close(void *impl)
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
        return cn_fail(err, CN_NOT_FOUND, "sqlite %s does not exist yet (waiting for it to be seeded: sqlite3 %s < "
                       "sql/sqlite/seed.sql, from the source tree or /usr/share/sidearm/sql/)", c->path, c->path);
    if (!e && c->db)
        e = sqlite3_system_errno(c->db);
    const char *why = e ? strerror(e) : c->db ? sqlite3_errmsg(c->db) : "cannot open";
    bool perm = e == EACCES || e == EPERM;
    return cn_fail_errno(err, e, CN_FATAL, "cannot open %s for %s: %s%s%s%s", c->path,
                   c->writing ? "writing" : "reading", why, perm ? " (check the " : "", perm ? what : "",
                   perm ? "'s permissions)" : "");
}

/* The one place SQLite's result codes become retry classes. Another process holding a
 * lock (BUSY, LOCKED), an I/O error (IOERR: a read racing another process's open or
 * checkpoint, a file system hiccup), a full disk (FULL) and a descriptor or space
 * shortage below SQLite (its errno) pass: they are retried, on a fresh connection. */
static cn_status lite_fail(sqlite_conn *c, cn_error *err, const char *what)
{
    int code = c->db ? sqlite3_errcode(c->db) : SQLITE_CANTOPEN;
    if (code == SQLITE_CANTOPEN || code == SQLITE_READONLY || code == SQLITE_PERM || code == SQLITE_AUTH)
        return open_fail(c, err);
    int e = c->db ? sqlite3_system_errno(c->db) : 0;
    cn_status st = code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_IOERR || code == SQLITE_FULL ||
                   code == SQLITE_PROTOCOL
                       ? CN_TRANSIENT
                       : CN_FATAL;
    bool io = e && (code == SQLITE_IOERR || code == SQLITE_FULL); /* the errno below SQLite tells more */
    return cn_fail_errno(err, io ? e : 0, st, "sqlite %s: %s: %s%s%s%s", c->path, what,
                         c->db ? sqlite3_errmsg(c->db) : "cannot open", io ? " (" : "", io ? strerror(e) : "",
                         io ? ")" : "");
}

/* After a failure worth retrying the connection is closed: the retry opens it afresh
 * (a handle that met an I/O error or a descriptor shortage is not trusted again). */
static cn_status drop_if_transient(sqlite_conn *c, cn_status st)
{
    if (st == CN_TRANSIENT && c->db) {
        sqlite3_close(c->db);
        c->db = NULL;
    }
    return st;
}

static cn_status connect(sqlite_conn *c, int flags, cn_error *err)
{
    if (c->db)
        return CN_OK;
    c->writing = flags & SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(c->path, &c->db, flags, NULL) != SQLITE_OK) {
        cn_status st = lite_fail(c, err, "opening the database");
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

/* Calls fn for each row sql gives, its ? bound to arg (NULL: sql has none); fn returns
 * 0, or -1 when out of memory. */
static cn_status each_row_of(sqlite_conn *c, const char *sql, const char *arg, const char *what,
                             int (*fn)(sqlite3_stmt *, void *), void *ctx, cn_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return lite_fail(c, err, what);
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn(st, ctx)) {
            sqlite3_finalize(st);
            return cn_fail(err, CN_FATAL, "out of memory %s in %s", what, c->path);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return lite_fail(c, err, what);
    return CN_OK;
}

static cn_status each_row(sqlite_conn *c, const char *sql, const char *what, int (*fn)(sqlite3_stmt *, void *),
                          void *ctx, cn_error *err)
{
    return each_row_of(c, sql, NULL, what, fn, ctx, err);
}

static int team_row(sqlite3_stmt *st, void *ref)
{
    return bs_ref_add_team(ref, sqlite3_column_int(st, 0), col_text(st, 1), col_text(st, 2),
                           sqlite3_column_int(st, 3), sqlite3_column_int(st, 4));
}

static int player_row(sqlite3_stmt *st, void *ref)
{
    return bs_ref_add_player(ref, sqlite3_column_int(st, 0), col_text(st, 1), col_text(st, 2),
                             sqlite3_column_int(st, 3), sqlite3_column_int(st, 4), sqlite3_column_int(st, 5));
}

/* Every row of teams and players into an empty ref, sorted by id; a database without
 * the tables is one that has not been seeded yet (CN_NOT_FOUND). */
static cn_status load_reference(sqlite_conn *c, bs_ref *out, cn_error *err)
{
    if (each_row(c, "SELECT " CN_TEAMS_COLS " FROM teams ORDER BY id", "reading teams", team_row, out, err) ||
        each_row(c, "SELECT " CN_PLAYERS_COLS " FROM players ORDER BY id", "reading players", player_row, out, err)) {
        bs_ref_free(out);
        if (strstr(err->msg, "no such table"))
            err->status = CN_NOT_FOUND;
        return err->status;
    }
    bs_ref_sort(out);
    return CN_OK;
}

static cn_status lite_load(void *impl, bs_ref *out, cn_error *err)
{
    sqlite_conn *c = impl;
    if (connect(c, SQLITE_OPEN_READONLY, err))
        return err->status;
    return drop_if_transient(c, load_reference(c, out, err));
}

static cn_status exec(sqlite_conn *c, const char *sql, cn_error *err)
{
    if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return lite_fail(c, err, sql);
    return CN_OK;
}

/* Runs sql (an INSERT) once for each of n rows, bind(st, i, rows) binding row i. */
static cn_status insert_rows(sqlite_conn *c, const char *sql, size_t n, void (*bind)(sqlite3_stmt *, size_t, const void *),
                             const void *rows, cn_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return lite_fail(c, err, sql);
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(st);
        bind(st, i, rows);
        if (sqlite3_step(st) != SQLITE_DONE) {
            cn_status rc = lite_fail(c, err, sql);
            sqlite3_finalize(st);
            return rc;
        }
    }
    sqlite3_finalize(st);
    return CN_OK;
}

static void bind_team(sqlite3_stmt *st, size_t i, const void *rows)
{
    const bs_team *t = &((const bs_ref *)rows)->teams[i];
    sqlite3_bind_int(st, 1, t->id);
    sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, t->conference, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, t->wins);
    sqlite3_bind_int(st, 5, t->losses);
}

static void bind_player(sqlite3_stmt *st, size_t i, const void *rows)
{
    const bs_player *p = &((const bs_ref *)rows)->players[i];
    sqlite3_bind_int(st, 1, p->id);
    sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, p->number, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, p->shots);
    sqlite3_bind_int(st, 5, p->goals);
    sqlite3_bind_int(st, 6, p->teamid);
}

/* Inside the caller's transaction: drops tables teams and players and makes them anew
 * with these rows. */
static cn_status replace_tables(sqlite_conn *c, const bs_ref *rows, const char *teams, const char *players,
                                cn_error *err)
{
    char ddl_t[256], ddl_p[320], drop_t[96], drop_p[96], ins_t[160], ins_p[160];
    snprintf(ddl_t, sizeof ddl_t, CN_TEAMS_DDL, teams);
    snprintf(ddl_p, sizeof ddl_p, CN_PLAYERS_DDL, players, teams);
    snprintf(drop_t, sizeof drop_t, "DROP TABLE IF EXISTS \"%s\"", teams);
    snprintf(drop_p, sizeof drop_p, "DROP TABLE IF EXISTS \"%s\"", players);
    snprintf(ins_t, sizeof ins_t, "INSERT INTO \"%s\" (" CN_TEAMS_COLS ") VALUES (?, ?, ?, ?, ?)", teams);
    snprintf(ins_p, sizeof ins_p, "INSERT INTO \"%s\" (" CN_PLAYERS_COLS ") VALUES (?, ?, ?, ?, ?, ?)", players);
    if (exec(c, drop_p, err) || exec(c, drop_t, err) || exec(c, ddl_t, err) || exec(c, ddl_p, err) ||
        insert_rows(c, ins_t, rows->nteams, bind_team, rows, err) ||
        insert_rows(c, ins_p, rows->nplayers, bind_player, rows, err))
        return err->status;
    return CN_OK;
}

/* Opens the database for writing (made when missing) and begins an IMMEDIATE
 * transaction, so one writer at a time reads and replaces the tables. */
static cn_status begin_write(sqlite_conn *c, cn_error *err)
{
    if (cn_mkdirs_for(c->path, err) || connect(c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err) ||
        exec(c, "BEGIN IMMEDIATE", err))
        return err->status;
    return CN_OK;
}

/* Commits when st is CN_OK; otherwise (or when the commit fails) rolls back. */
static cn_status end_write(sqlite_conn *c, cn_status st, cn_error *err)
{
    if (!st)
        st = exec(c, "COMMIT", err);
    if (st) {
        cn_error ignored;
        exec(c, "ROLLBACK", &ignored);
    }
    return st;
}

static cn_status lite_write(void *impl, const bs_ref *rows, const char *teams, const char *players, cn_error *err)
{
    sqlite_conn *c = impl;
    if (begin_write(c, err))
        return drop_if_transient(c, err->status);
    cn_status st = replace_tables(c, rows, teams, players, err);
    if (!st) /* teams2/players2 are not what the stamp says any more */
        st = exec(c, "DROP TABLE IF EXISTS " CN_SEASON_STATE, err);
    return drop_if_transient(c, end_write(c, st, err));
}

/* ---------------------------------------------------------------- one game's result */

static int game_team_row(sqlite3_stmt *st, void *rows)
{
    const char *result = col_text(st, 4);
    return cn_game_rows_add_team(rows, (bs_team_result){sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
                                                         sqlite3_column_int(st, 2), sqlite3_column_int(st, 3),
                                                         result[0]});
}

static int game_player_row(sqlite3_stmt *st, void *rows)
{
    bs_player_result p = {.player_id = sqlite3_column_int(st, 0), .teamid = sqlite3_column_int(st, 1),
                          .shots = sqlite3_column_int(st, 3), .goals = sqlite3_column_int(st, 4)};
    snprintf(p.number, sizeof p.number, "%s", col_text(st, 2));
    return cn_game_rows_add_player(rows, p);
}

static void bind_game_team(sqlite3_stmt *st, size_t i, const void *rows)
{
    const bs_result *r = rows;
    const bs_team_result *t = &r->teams[i];
    sqlite3_bind_text(st, 1, r->game, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, t->teamid);
    sqlite3_bind_int(st, 3, t->opponent);
    sqlite3_bind_int(st, 4, t->score);
    sqlite3_bind_int(st, 5, t->opponent_score);
    sqlite3_bind_text(st, 6, &t->result, 1, SQLITE_STATIC);
}

static void bind_game_player(sqlite3_stmt *st, size_t i, const void *rows)
{
    const bs_result *r = rows;
    const bs_player_result *p = &r->players[i];
    sqlite3_bind_text(st, 1, r->game, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, p->player_id);
    sqlite3_bind_int(st, 3, p->teamid);
    sqlite3_bind_text(st, 4, p->number, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, p->shots);
    sqlite3_bind_int(st, 6, p->goals);
}

/* Inside the transaction: game r->game's rows become r's. */
static cn_status store_game(sqlite_conn *c, const bs_result *r, cn_error *err)
{
    sqlite3_stmt *del;
    const char *dels[] = {"DELETE FROM " CN_GAME_TEAMS " WHERE game = ?", "DELETE FROM " CN_GAME_PLAYERS " WHERE game = ?"};
    for (int i = 0; i < 2; i++) {
        if (sqlite3_prepare_v2(c->db, dels[i], -1, &del, NULL) != SQLITE_OK)
            return lite_fail(c, err, dels[i]);
        sqlite3_bind_text(del, 1, r->game, -1, SQLITE_STATIC);
        int rc = sqlite3_step(del);
        sqlite3_finalize(del);
        if (rc != SQLITE_DONE)
            return lite_fail(c, err, dels[i]);
    }
    if (insert_rows(c, "INSERT INTO " CN_GAME_TEAMS " (" CN_GAME_TEAMS_COLS ") VALUES (?, ?, ?, ?, ?, ?)", 2,
                    bind_game_team, r, err) ||
        insert_rows(c, "INSERT INTO " CN_GAME_PLAYERS " (" CN_GAME_PLAYERS_COLS ") VALUES (?, ?, ?, ?, ?, ?)",
                    r->nplayers, bind_game_player, r, err))
        return err->status;
    return CN_OK;
}

/* Runs sql (one statement) with its ? bound to the texts a and b (b may be NULL). */
static cn_status exec2(sqlite_conn *c, const char *sql, const char *a, const char *b, cn_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return lite_fail(c, err, sql);
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CN_OK : lite_fail(c, err, sql);
}

/* Inside the transaction: refused (CN_CONFLICT) when game_sources holds game's id (or
 * one differing only by case) with another source; otherwise source is recorded for it. */
static cn_status claim_game(sqlite_conn *c, const char *game, const char *source, cn_error *refused, cn_error *err)
{
    static const char find[] = "SELECT game, source FROM " CN_GAME_SOURCES " WHERE game = ? COLLATE NOCASE";
    sqlite3_stmt *st;
    char where[1100];
    if (sqlite3_prepare_v2(c->db, find, -1, &st, NULL) != SQLITE_OK)
        return lite_fail(c, err, "reading " CN_GAME_SOURCES);
    sqlite3_bind_text(st, 1, game, -1, SQLITE_STATIC);
    int rc;
    *refused = (cn_error){0};
    snprintf(where, sizeof where, "sqlite %s", c->path);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && !refused->status)
        cn_check_source(true, col_text(st, 0), col_text(st, 1), game, source, where, refused);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return lite_fail(c, err, "reading " CN_GAME_SOURCES);
    if (refused->status)
        return CN_OK;
    return exec2(c, "INSERT OR REPLACE INTO " CN_GAME_SOURCES " (game, source) VALUES (?, ?)", game, source, err);
}

static int stamp_row(sqlite3_stmt *st, void *out)
{
    snprintf(out, CN_STAMP_LEN, "%s", col_text(st, 0));
    return 0;
}

/* Inside the transaction: the stamp teams2/players2 were added up from (CN_SEASON_STATE)
 * into stamp, "" when there is none or one of the four tables is not a table. */
static cn_status read_stamp(sqlite_conn *c, char stamp[CN_STAMP_LEN], cn_error *err)
{
    stamp[0] = '\0';
    if (exec(c, "CREATE TABLE IF NOT EXISTS " CN_SEASON_STATE " " CN_SEASON_STATE_DEF, err) ||
        each_row(c, "SELECT reference FROM " CN_SEASON_STATE " WHERE id = 1 AND (SELECT count(*) FROM "
                       "sqlite_master WHERE type = 'table' AND name IN ('teams2', 'players2', '" CN_GAME_TEAMS "', '"
                       CN_GAME_PLAYERS "')) = 4", "reading " CN_SEASON_STATE, stamp_row, stamp, err))
        return err->status;
    return CN_OK;
}

typedef struct change_ctx {
    cn_season_step *step;
    int table;  /* 0 teams2, 1 players2 */
} change_ctx;

static int change_row(sqlite3_stmt *st, void *ctx)
{
    change_ctx *x = ctx;
    cn_season_step_row(x->step, x->table, sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
                       sqlite3_column_int(st, 2));
    return 0;
}

/* Inside the transaction, before r's rows are stored: what they add minus what the
 * game's stored rows add is applied to the rows of its teams and players in teams2 and
 * players2. *whole is set instead when that cannot be known (add everything up). */
static cn_status change_season(sqlite_conn *c, const bs_result *r, cn_game_rows *old, bool *whole, cn_error *err)
{
    cn_season_step step;
    cn_status st = CN_OK;
    if (cn_season_step_init(&step, old, r))
        st = cn_fail(err, CN_FATAL, "out of memory adding up game '%s' in %s", r->game, c->path);
    for (int t = 0; !st && t < 2 && !step.unknown; t++) {
        bs_buf q = {0};
        change_ctx x = {&step, t};
        if (cn_season_step_select(&step, t, &q))
            st = q.oom ? cn_fail(err, CN_FATAL, "out of memory")
                       : each_row(c, q.s, t ? "reading players2" : "reading teams2", change_row, &x, err);
        bs_buf_free(&q);
    }
    if (!st && step.update.oom)
        st = cn_fail(err, CN_FATAL, "out of memory updating game '%s' in %s", r->game, c->path);
    if (!st && cn_season_step_whole(&step))
        *whole = true;
    else if (!st && step.update.len)
        st = exec(c, step.update.s, err);
    cn_season_step_free(&step);
    return st;
}

/* Inside the transaction: the stored rows of game into old. */
static cn_status read_game(sqlite_conn *c, const char *game, cn_game_rows *old, cn_error *err)
{
    if (each_row_of(c, CN_SEASON_TEAMS_SQL CN_OF_GAME "?", game, "reading " CN_GAME_TEAMS, game_team_row, old,
                    err) ||
        each_row_of(c, CN_SEASON_PLAYERS_SQL CN_OF_GAME "?", game, "reading " CN_GAME_PLAYERS, game_player_row, old,
                    err))
        return err->status;
    return CN_OK;
}

/* Inside the transaction: teams2/players2 become the reference plus every game's rows,
 * and the reference's stamp is stored with them. */
static cn_status add_up_season(sqlite_conn *c, const bs_ref *ref, const char *stamp, cn_error *err)
{
    bs_ref season = {0};
    cn_game_rows all = {0};
    cn_status st = CN_OK;
    if (each_row(c, CN_SEASON_TEAMS_SQL, "reading " CN_GAME_TEAMS, game_team_row, &all, err) ||
        each_row(c, CN_SEASON_PLAYERS_SQL, "reading " CN_GAME_PLAYERS, game_player_row, &all, err))
        st = err->status;
    else if (bs_season(ref, all.teams, all.nteams, all.players, all.nplayers, &season))
        st = cn_fail(err, CN_FATAL, "out of memory adding up the season for %s", c->path);
    else if (!(st = replace_tables(c, &season, "teams2", "players2", err)) &&
             !(st = exec(c, "DELETE FROM " CN_SEASON_STATE, err)))
        st = exec2(c, "INSERT INTO " CN_SEASON_STATE " (id, reference) VALUES (1, ?)", stamp, NULL, err);
    bs_ref_free(&season);
    cn_game_rows_free(&all);
    return st;
}

/* Inside the transaction: the n games' rows become theirs, and teams2/players2 the
 * reference plus every game's rows: by each game's change to its own teams' and players'
 * rows while the stamp matches the reference, otherwise added up in full. */
static cn_status store_games(sqlite_conn *c, const bs_ref *given, const bs_result *r, size_t n,
                             const char *const *sources, cn_error *refused, cn_error *err)
{
    bs_ref loaded = {0};
    char stored[CN_STAMP_LEN], stamp[CN_STAMP_LEN];
    if (read_stamp(c, stored, err) || (!given && load_reference(c, &loaded, err)))
        return err->status;
    const bs_ref *ref = given ? given : &loaded;
    cn_season_stamp(ref, stamp);
    bool whole = strcmp(stored, stamp) != 0;
    cn_status st = CN_OK;
    if (exec(c, "CREATE TABLE IF NOT EXISTS " CN_GAME_TEAMS " " CN_GAME_TEAMS_DEF, err) ||
        exec(c, "CREATE TABLE IF NOT EXISTS " CN_GAME_PLAYERS " " CN_GAME_PLAYERS_DEF, err) ||
        (sources && exec(c, "CREATE TABLE IF NOT EXISTS " CN_GAME_SOURCES " " CN_GAME_SOURCES_DEF, err)))
        st = err->status;
    for (size_t i = 0; !st && i < n; i++) {
        cn_game_rows old = {0};
        if (sources && claim_game(c, r[i].game, sources[i], &refused[i], err))
            st = err->status;
        else if (sources && refused[i].status)
            continue;
        else if (!whole && read_game(c, r[i].game, &old, err))
            st = err->status;
        else if (!whole && change_season(c, &r[i], &old, &whole, err))
            st = err->status;
        else if (store_game(c, &r[i], err))
            st = err->status;
        cn_game_rows_free(&old);
    }
    if (!st && whole)
        st = add_up_season(c, ref, stamp, err);
    bs_ref_free(&loaded);
    return st;
}

static cn_status lite_write_game(void *impl, const bs_ref *ref, const bs_result *r, size_t n,
                               const char *const *sources, cn_error *refused, cn_error *err)
{
    sqlite_conn *c = impl;
    char why[BS_ERRLEN];
    for (size_t i = 0; i < n; i++)
        if (cn_check_result(&r[i], why))
            return cn_fail(err, CN_INPUT, "sqlite %s: result of game '%.64s' refused: %s", c->path, r[i].game, why);
    if (begin_write(c, err))
        return drop_if_transient(c, err->status);
    return drop_if_transient(c, end_write(c, store_games(c, ref, r, n, sources, refused, err), err));
}

const cn_reference_ops cn_sqlite_reference_ops = {
    .scheme = "sqlite",
    .description = "SQLite tables teams and players (sqlite:///abs/sidearm.db)",
    .open = lite_open,
    .load = lite_load,
    .close = lite_close,
};

const cn_results_ops cn_sqlite_results_ops = {
    .scheme = "sqlite",
    .description = "SQLite tables teams2 and players2, one transaction (sqlite:///abs/sidearm.db)",
    .open = lite_open,
    .write = lite_write,
    .write_game = lite_write_game,
    .close = lite_close,
};
