/*
 * mssql.c — SQL Server backends over FreeTDS db-lib (TDS 7.4), for
 * mssql://user@host:port/sidearmdb: the reference reader (teams, players) and the
 * results sink (teams2, players2; gamestream-sim also resets teams/players with it).
 *
 * Each call opens its own connection and closes it, so a server restart between
 * calls costs nothing. Results are replaced inside one transaction, statement by
 * statement, each checked: on any failure the transaction is rolled back and the
 * previous tables stay. A game's result (write_game) replaces its rows of game_teams and
 * game_players and changes the rows of its two teams and their players in teams2/players2
 * by what its new rows add minus what its old rows added (season.c), in one transaction
 * the same way: a final costs its own rows, whatever the size of the league or the number
 * of games already written. They are added up in full from the reference and every
 * game's rows only when the reference's stamp differs from the one stored with them
 * (CN_SEASON_STATE: a reload changed teams/players), when one of the four tables is
 * missing or not a table, or when a row at INT_MAX would go down. The SQL is SELECT,
 * UPDATE .. WHERE id = .., DELETE and INSERT, with OBJECT_ID for the tables' existence
 * (no MERGE, no UPDATE .. FROM); it runs on the TDS stand-in (tests/servers/) and is
 * plain T-SQL. Text goes in as N'..' literals with quotes doubled; the
 * client charset is UTF-8, so O'Brien and Zoë arrive exactly.
 *
 * db-lib reports errors through process-wide handlers; they write into a
 * thread-local buffer, read back by the call that failed on the same thread. Every
 * step clears it first (reset_last), so what one call saw never colours the next.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sybdb.h>
#include <sybfront.h>

#include "../backends.h"
#include "../schema.h"

#define MSSQL_DEFAULT_PORT 1433
#define INSERT_BATCH 200

typedef struct mssql_conn {
    char host[256], user[128], password[256], db[128];
    int port, timeout_s;
    char shown[512];
} mssql_conn;

static _Thread_local struct {
    char msg[400];
    int msgno;      /* server message number, or db-lib error number */
    int oserr;      /* the errno db-lib saw with it (EMFILE: this process is out of descriptors) */
    bool server;
} last;

/* Forgets what an earlier step on this thread reported. */
static void reset_last(void)
{
    last.msg[0] = '\0';
    last.msgno = 0;
    last.oserr = 0;
    last.server = false;
}

static int on_error(DBPROCESS *dbproc, int severity, int dberr, int oserr, char *dberrstr, char *oserrstr)
{
    (void)dbproc;
    (void)severity;
    /* a server message (login failed, no such table) says more than what db-lib adds */
    if (!last.server) {
        snprintf(last.msg, sizeof last.msg, "%s%s%s", dberrstr ? dberrstr : "db-lib error", oserrstr ? ": " : "",
                 oserrstr ? oserrstr : "");
        last.msgno = dberr;
        /* db-lib reports a wake-up pipe or socketpair it could not make as SYBEMEM with no oserr:
         * the errno of that call is still this thread's */
        last.oserr = oserr ? oserr : (errno == EMFILE || errno == ENFILE) ? errno : 0;
    }
    return INT_CANCEL;
}

static int on_message(DBPROCESS *dbproc, DBINT msgno, int state, int severity, char *text, char *server,
                      char *proc, int line)
{
    (void)dbproc;
    (void)state;
    (void)server;
    (void)proc;
    (void)line;
    if (severity > 10) {
        snprintf(last.msg, sizeof last.msg, "SQL Server error %d: %s", (int)msgno, text ? text : "");
        last.msgno = (int)msgno;
        last.server = true;
    }
    return 0;
}

cn_status cn_mssql_global_init(cn_error *err)
{
    if (dbinit() == FAIL)
        return cn_fail(err, CN_FATAL, "FreeTDS db-lib initialisation failed");
    dberrhandle(on_error);
    dbmsghandle(on_message);
    return CN_OK;
}

void cn_mssql_global_cleanup(void)
{
    dbexit();
}

static cn_status fail_last(mssql_conn *c, cn_error *err, const char *what)
{
    cn_status st = CN_FATAL;
    if (last.oserr == EMFILE || last.oserr == ENFILE)
        return cn_fail_errno(err, last.oserr, CN_TRANSIENT, "SQL Server %s: %s: this process is out of file "
                             "descriptors (%s); retrying", c->shown, what, last.msg);
    switch (last.msgno) {
    case 18456: /* login failed */
        return cn_fail(err, CN_AUTH, "SQL Server %s refused login for user '%s' (%s): check the user in the URI and "
                       "MSSQL_PASSWORD/PASSWORD", c->shown, c->user, last.msg);
    case 4060:  /* cannot open database */
    case 911:   /* database does not exist */
    case 208:   /* invalid object name */
        st = CN_NOT_FOUND;
        break;
    case SYBECONN:
    case SYBETIME:
    case SYBEREAD:
    case SYBEWRIT:
    case SYBESOCK:
    case SYBEFCON:
    case SYBESEOF:
    case SYBEUHST:
        st = CN_TRANSIENT;
        break;
    /* another writer's locks (several pipelines finishing games at once) or a server too
     * busy for now: the transaction is rolled back and rerun later, as the server's text
     * says (the transient list of Microsoft.Data.SqlClient's retry logic) */
    case 1204:  /* cannot obtain a LOCK resource at this time */
    case 1205:  /* deadlock victim: the transaction was rolled back */
    case 1222:  /* lock request time out period exceeded */
    case 3960:  /* snapshot isolation: update conflict, the transaction was rolled back */
    case 40501: /* the service is currently busy */
    case 49918: /* not enough resources to process the request */
    case 49919: /* too many create or update operations in progress */
    case 49920: /* too many operations in progress */
        return cn_fail(err, CN_TRANSIENT, "SQL Server %s: %s: %s (a lock conflict or a busy server: the transaction "
                       "is rolled back and retried)", c->shown, what, last.msg);
    case 229:   /* permission denied on an object */
    case 230:   /* permission denied on a column */
    case 262:   /* CREATE TABLE (or another) permission denied in a database */
    case 297:   /* the user does not have permission to perform this action */
    case 300:   /* a permission was denied */
    case 916:   /* the login cannot access the database */
    case 15247: /* no permission to perform this action */
        return cn_fail(err, CN_AUTH, "SQL Server %s: %s in database '%s': permission denied for user '%s', retrying "
                       "will not help (%s)", c->shown, what, c->db, c->user, last.msg);
    case 3906:  /* the database is read-only */
        return cn_fail(err, CN_FATAL, "SQL Server %s: %s in database '%s': the database is read-only, retrying will "
                       "not help (%s)", c->shown, what, c->db, last.msg);
    default:
        st = last.server ? CN_FATAL : CN_TRANSIENT;
    }
    return cn_fail(err, st, "SQL Server %s: %s: %s", c->shown, what, last.msg[0] ? last.msg : "unknown error");
}

static bool valid_name(const char *s)
{
    if (!*s || strlen(s) > 100)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

static cn_status mq_open(void **impl, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    const char *db = u->path[0] == '/' ? u->path + 1 : u->path;
    reset_last();
    if (!u->host[0] || !u->user[0] || !valid_name(db))
        return cn_fail(err, CN_CONFIG, "mssql:// needs a user, a host and a database name (letters, digits, _), like "
                       "mssql://sa@localhost:1433/sidearmdb");
    mssql_conn *c = calloc(1, sizeof *c);
    if (!c)
        return cn_fail(err, CN_FATAL, "out of memory");
    snprintf(c->host, sizeof c->host, "%s", u->host);
    snprintf(c->user, sizeof c->user, "%s", u->user);
    snprintf(c->password, sizeof c->password, "%s", u->password[0] ? u->password : cfg->mssql_password ? cfg->mssql_password : "");
    snprintf(c->db, sizeof c->db, "%.100s", db);
    c->port = u->port ? u->port : MSSQL_DEFAULT_PORT;
    c->timeout_s = cfg->timeout_ms > 0 ? (cfg->timeout_ms + 999) / 1000 : 10;
    snprintf(c->shown, sizeof c->shown, "mssql://%.100s@%.200s:%d/%.100s", c->user, c->host, c->port, c->db);
    *impl = c;
    return CN_OK;
}

static void mq_close(void *impl)
{
    mssql_conn *c = impl;
    memset(c->password, 0, sizeof c->password);
    free(c);
}

/* Runs one batch and discards any rows; CN_OK only when every statement succeeded. */
static cn_status exec_sql(mssql_conn *c, DBPROCESS *p, const char *sql, const char *what, cn_error *err)
{
    reset_last();
    RETCODE rc = dbcmd(p, sql) == SUCCEED ? dbsqlexec(p) : FAIL;
    while (rc == SUCCEED && (rc = dbresults(p)) == SUCCEED)
        while (dbnextrow(p) != NO_MORE_ROWS)
            ;
    if (rc == FAIL || last.msgno)
        return fail_last(c, err, what);
    return CN_OK;
}

static cn_status connect(mssql_conn *c, bool create_db, DBPROCESS **out, cn_error *err)
{
    char server[300], sql[256];
    reset_last();
    LOGINREC *login = dblogin();
    if (!login)
        return cn_fail(err, CN_FATAL, "out of memory");
    DBSETLUSER(login, c->user);
    DBSETLPWD(login, c->password);
    DBSETLAPP(login, "sidearm-pipeline");
    DBSETLCHARSET(login, "UTF-8");
    DBSETLVERSION(login, DBVERSION_74);
    dbsetlogintime(c->timeout_s);
    dbsettime(c->timeout_s);
    snprintf(server, sizeof server, "%s:%d", c->host, c->port);
    DBPROCESS *p = dbopen(login, server);
    dbloginfree(login);
    if (!p)
        return fail_last(c, err, "connecting");
    if (create_db) {
        snprintf(sql, sizeof sql, "IF DB_ID(N'%.100s') IS NULL CREATE DATABASE [%.100s]", c->db, c->db);
        if (exec_sql(c, p, sql, "creating the database", err)) {
            dbclose(p);
            return err->status;
        }
    }
    reset_last();
    if (dbuse(p, c->db) == FAIL || last.msgno) {
        cn_status st = fail_last(c, err, "opening the database");
        dbclose(p);
        return st;
    }
    *out = p;
    return CN_OK;
}

/* Copies column col of the current row as text; "" for NULL. */
static void col_text(DBPROCESS *p, int col, char *out, size_t len)
{
    BYTE *data = dbdata(p, col);
    DBINT n = dbdatlen(p, col);
    out[0] = '\0';
    if (!data || n <= 0)
        return;
    DBINT got = dbconvert(p, dbcoltype(p, col), data, n, SYBCHAR, (BYTE *)out, (DBINT)len - 1);
    out[got > 0 && (size_t)got < len ? (size_t)got : 0] = '\0';
    /* trim the padding of fixed-width char columns */
    for (size_t i = strlen(out); i > 0 && out[i - 1] == ' '; i--)
        out[i - 1] = '\0';
}

/* Runs sql and calls fn with the text of each row's ncols columns (at most 6); fn
 * returns 0, or -1 when out of memory. */
#define CELL_MAX 1100 /* the longest text a cell is read as: a game's source (varchar(1024)) */

static cn_status each_row(mssql_conn *c, DBPROCESS *p, const char *sql, int ncols, const char *what,
                          int (*fn)(char v[][CELL_MAX], void *), void *ctx, cn_error *err)
{
    reset_last();
    if (dbcmd(p, sql) == FAIL || dbsqlexec(p) == FAIL || last.msgno)
        return fail_last(c, err, what);
    RETCODE rc;
    while ((rc = dbresults(p)) == SUCCEED) {
        if (dbnumcols(p) != ncols)
            return cn_fail(err, CN_FATAL, "SQL Server %s: %s: %d columns, expected %d", c->shown, what, dbnumcols(p),
                           ncols);
        while (dbnextrow(p) == REG_ROW) {
            char v[6][CELL_MAX];
            for (int i = 0; i < ncols; i++)
                col_text(p, i + 1, v[i], sizeof v[i]);
            if (fn(v, ctx))
                return cn_fail(err, CN_FATAL, "out of memory %s from %s", what, c->shown);
        }
    }
    if (rc == FAIL || last.msgno)
        return fail_last(c, err, what);
    return CN_OK;
}

static int team_row(char v[][CELL_MAX], void *ref)
{
    return bs_ref_add_team(ref, atoi(v[0]), v[1], v[2], atoi(v[3]), atoi(v[4]));
}

static int player_row(char v[][CELL_MAX], void *ref)
{
    return bs_ref_add_player(ref, atoi(v[0]), v[1], v[2], atoi(v[3]), atoi(v[4]), atoi(v[5]));
}

/* Every row of teams and players into an empty ref, sorted by id. */
static cn_status read_reference(mssql_conn *c, DBPROCESS *p, bs_ref *out, cn_error *err)
{
    cn_status st = each_row(c, p, "SELECT " CN_TEAMS_COLS " FROM teams ORDER BY id", 5, "reading teams", team_row,
                            out, err);
    if (!st)
        st = each_row(c, p, "SELECT " CN_PLAYERS_COLS " FROM players ORDER BY id", 6, "reading players", player_row,
                      out, err);
    if (st)
        bs_ref_free(out);
    else
        bs_ref_sort(out);
    return st;
}

static cn_status mq_load(void *impl, bs_ref *out, cn_error *err)
{
    mssql_conn *c = impl;
    DBPROCESS *p;
    reset_last();
    if (connect(c, false, &p, err))
        return err->status;
    cn_status st = read_reference(c, p, out, err);
    dbclose(p);
    return st;
}

/* ---------------------------------------------------------------- writing */

/* Appends an N'..' literal with every quote doubled: text never becomes SQL. */
static void sb_literal(bs_buf *b, const char *s)
{
    bs_buf_add(b, "N'", 2);
    for (const char *q; (q = strchr(s, '\'')); s = q + 1) {
        bs_buf_add(b, s, (size_t)(q - s));
        bs_buf_add(b, "''", 2);
    }
    bs_buf_add(b, s, strlen(s));
    bs_buf_add(b, "'", 1);
}

/* Inserts n rows into table (cols), INSERT_BATCH to a statement; row(b, i, rows)
 * appends the values of row i, parenthesised. */
static cn_status insert_rows(mssql_conn *c, DBPROCESS *p, const char *table, const char *cols, size_t n,
                             void (*row)(bs_buf *, size_t, const void *), const void *rows, cn_error *err)
{
    for (size_t first = 0; first < n; first += INSERT_BATCH) {
        bs_buf b = {0};
        bs_buf_printf(&b, "INSERT INTO %s (%s) VALUES ", table, cols);
        for (size_t i = first; i < n && i < first + INSERT_BATCH; i++) {
            if (i > first)
                bs_buf_add(&b, ", ", 2);
            row(&b, i, rows);
        }
        char what[160];
        snprintf(what, sizeof what, "inserting into table %s", table);
        cn_status st = b.oom ? cn_fail(err, CN_FATAL, "out of memory building the INSERT into %s", table)
                             : exec_sql(c, p, b.s, what, err);
        free(b.s);
        if (st)
            return st;
    }
    return CN_OK;
}

static void team_values(bs_buf *b, size_t i, const void *rows)
{
    const bs_team *t = &((const bs_ref *)rows)->teams[i];
    bs_buf_printf(b, "(%d, ", t->id);
    sb_literal(b, t->name);
    bs_buf_add(b, ", ", 2);
    sb_literal(b, t->conference);
    bs_buf_printf(b, ", %d, %d)", t->wins, t->losses);
}

static void player_values(bs_buf *b, size_t i, const void *rows)
{
    const bs_player *pl = &((const bs_ref *)rows)->players[i];
    bs_buf_printf(b, "(%d, ", pl->id);
    sb_literal(b, pl->name);
    bs_buf_add(b, ", ", 2);
    sb_literal(b, pl->number);
    bs_buf_printf(b, ", %d, %d, %d)", pl->shots, pl->goals, pl->teamid);
}

/* Inside the caller's transaction: drops tables teams and players and makes them anew
 * with these rows. */
static cn_status replace_tables(mssql_conn *c, DBPROCESS *p, const bs_ref *rows, const char *teams,
                                const char *players, cn_error *err)
{
    char sql[400], what[300];
    cn_status st = CN_OK;
    const char *drops[] = {players, teams};
    for (int i = 0; !st && i < 2; i++) {
        snprintf(sql, sizeof sql, "IF OBJECT_ID(N'%s') IS NOT NULL DROP TABLE %s", drops[i], drops[i]);
        snprintf(what, sizeof what, "dropping table %s", drops[i]);
        st = exec_sql(c, p, sql, what, err);
    }
    if (!st) {
        snprintf(sql, sizeof sql, CN_TEAMS_DDL, teams);
        snprintf(what, sizeof what, "creating table %s", teams);
        st = exec_sql(c, p, sql, what, err);
    }
    if (!st) {
        snprintf(sql, sizeof sql, CN_PLAYERS_DDL, players, teams);
        snprintf(what, sizeof what, "creating table %s", players);
        st = exec_sql(c, p, sql, what, err);
    }
    if (!st)
        st = insert_rows(c, p, teams, CN_TEAMS_COLS, rows->nteams, team_values, rows, err);
    if (!st)
        st = insert_rows(c, p, players, CN_PLAYERS_COLS, rows->nplayers, player_values, rows, err);
    return st;
}

/* Connects (making the database when missing) and begins the transaction that
 * `what` describes; *out is the connection for end_write. */
static cn_status begin_write(mssql_conn *c, const char *what, DBPROCESS **out, cn_error *err)
{
    reset_last();
    if (connect(c, true, out, err))
        return err->status;
    if (exec_sql(c, *out, "BEGIN TRANSACTION", what, err)) {
        dbclose(*out);
        return err->status;
    }
    return CN_OK;
}

/* Commits when st is CN_OK; otherwise (or when the commit fails) rolls back. Closes p. */
static cn_status end_write(mssql_conn *c, DBPROCESS *p, cn_status st, const char *what, cn_error *err)
{
    if (!st)
        st = exec_sql(c, p, "COMMIT TRANSACTION", what, err);
    if (st) {
        cn_error ignored;
        exec_sql(c, p, "ROLLBACK TRANSACTION", "ROLLBACK", &ignored);
    }
    dbclose(p);
    return st;
}

static cn_status mq_write(void *impl, const bs_ref *rows, const char *teams, const char *players, cn_error *err)
{
    mssql_conn *c = impl;
    DBPROCESS *p;
    char what[300];
    reset_last();
    if (!valid_name(teams) || !valid_name(players))
        return cn_fail(err, CN_CONFIG, "table names must be letters, digits and _");
    snprintf(what, sizeof what, "beginning the transaction that replaces tables %s and %s", teams, players);
    if (begin_write(c, what, &p, err))
        return err->status;
    cn_status st = replace_tables(c, p, rows, teams, players, err);
    if (!st) /* teams2/players2 are not what the stamp says any more */
        st = exec_sql(c, p, "IF OBJECT_ID(N'" CN_SEASON_STATE "', N'U') IS NOT NULL DROP TABLE " CN_SEASON_STATE,
                      "dropping table " CN_SEASON_STATE, err);
    snprintf(what, sizeof what, "committing tables %s and %s", teams, players);
    return end_write(c, p, st, what, err);
}

/* ---------------------------------------------------------------- one game's result */

static int game_team_row(char v[][CELL_MAX], void *rows)
{
    return cn_game_rows_add_team(rows, (bs_team_result){atoi(v[0]), atoi(v[1]), atoi(v[2]), atoi(v[3]), v[4][0]});
}

static int game_player_row(char v[][CELL_MAX], void *rows)
{
    bs_player_result pr = {.player_id = atoi(v[0]), .teamid = atoi(v[1]), .shots = atoi(v[3]), .goals = atoi(v[4])};
    snprintf(pr.number, sizeof pr.number, "%.3s", v[2]);
    return cn_game_rows_add_player(rows, pr);
}

static void game_team_values(bs_buf *b, size_t i, const void *rows)
{
    const bs_result *r = rows;
    const bs_team_result *t = &r->teams[i];
    bs_buf_add(b, "(", 1);
    sb_literal(b, r->game);
    bs_buf_printf(b, ", %d, %d, %d, %d, N'%c')", t->teamid, t->opponent, t->score, t->opponent_score, t->result);
}

static void game_player_values(bs_buf *b, size_t i, const void *rows)
{
    const bs_result *r = rows;
    const bs_player_result *pl = &r->players[i];
    bs_buf_add(b, "(", 1);
    sb_literal(b, r->game);
    bs_buf_printf(b, ", %d, %d, ", pl->player_id, pl->teamid);
    sb_literal(b, pl->number);
    bs_buf_printf(b, ", %d, %d)", pl->shots, pl->goals);
}

static const char *const game_tables[] = {CN_GAME_TEAMS, CN_GAME_PLAYERS};

/* Inside the transaction: game r->game's rows become r's. The DELETEs take the tables'
 * exclusive locks first, so concurrent writers take turns and each adds up every
 * committed game. */
static cn_status store_game(mssql_conn *c, DBPROCESS *p, const bs_result *r, cn_error *err)
{
    const char *const *tables = game_tables;
    char what[300];
    cn_status st = CN_OK;
    for (int i = 0; !st && i < 2; i++) {
        bs_buf b = {0};
        bs_buf_printf(&b, "DELETE FROM %s WITH (TABLOCKX) WHERE game = ", tables[i]);
        sb_literal(&b, r->game);
        snprintf(what, sizeof what, "deleting game '%s' from table %s", r->game, tables[i]);
        st = b.oom ? cn_fail(err, CN_FATAL, "out of memory") : exec_sql(c, p, b.s, what, err);
        free(b.s);
    }
    if (!st)
        st = insert_rows(c, p, CN_GAME_TEAMS, CN_GAME_TEAMS_COLS, 2, game_team_values, r, err);
    if (!st)
        st = insert_rows(c, p, CN_GAME_PLAYERS, CN_GAME_PLAYERS_COLS, r->nplayers, game_player_values, r, err);
    return st;
}

typedef struct source_row {
    bool found;
    char game[BS_MAX_GAME_ID + 1], source[CELL_MAX];
} source_row;

static int source_row_of(char v[][CELL_MAX], void *out)
{
    source_row *s = out;
    if (!s->found) { /* the primary key: at most one row unless two differ only by case (a binary collation) */
        s->found = true;
        snprintf(s->game, sizeof s->game, "%s", v[0]);
        snprintf(s->source, sizeof s->source, "%s", v[1]);
    }
    return 0;
}

/* Inside the transaction: refused (CN_CONFLICT) when game_sources holds game's id (or
 * one differing only by case, which the default collation would merge) with another
 * source; otherwise source is recorded for it. */
static cn_status claim_game(mssql_conn *c, DBPROCESS *p, const char *game, const char *source, cn_error *refused,
                            cn_error *err)
{
    source_row row = {0};
    char what[200], where[700];
    bs_buf b = {0};
    /* UPPER on both sides: case-insensitive whatever the column's collation */
    bs_buf_puts(&b, "SELECT game, source FROM " CN_GAME_SOURCES " WITH (TABLOCKX) WHERE UPPER(game) = UPPER(");
    sb_literal(&b, game);
    bs_buf_puts(&b, ")");
    snprintf(what, sizeof what, "reading table " CN_GAME_SOURCES " for game '%s'", game);
    cn_status st = b.oom ? cn_fail(err, CN_FATAL, "out of memory") : each_row(c, p, b.s, 2, what, source_row_of, &row, err);
    free(b.s);
    *refused = (cn_error){0};
    if (st)
        return st;
    snprintf(where, sizeof where, "SQL Server %s", c->shown);
    if (cn_check_source(row.found, row.game, row.source, game, source, where, refused))
        return CN_OK; /* this game is left out; the others are written */
    b = (bs_buf){0};
    bs_buf_puts(&b, "DELETE FROM " CN_GAME_SOURCES " WHERE game = ");
    sb_literal(&b, game);
    bs_buf_puts(&b, "; INSERT INTO " CN_GAME_SOURCES " (game, source) VALUES (");
    sb_literal(&b, game);
    bs_buf_puts(&b, ", ");
    sb_literal(&b, source);
    bs_buf_puts(&b, ")");
    snprintf(what, sizeof what, "recording the source of game '%s' in table " CN_GAME_SOURCES, game);
    st = b.oom ? cn_fail(err, CN_FATAL, "out of memory") : exec_sql(c, p, b.s, what, err);
    free(b.s);
    return st;
}

static int stamp_row(char v[][CELL_MAX], void *out)
{
    snprintf(out, CN_STAMP_LEN, "%s", v[0]);
    return 0;
}

/* Inside the transaction, first: the stamp teams2/players2 were added up from
 * (CN_SEASON_STATE) into stamp, "" when there is none or one of the four tables is not
 * a table. TABLOCKX holds the table to the end of the transaction, so concurrent
 * writers take turns from here and none changes teams2/players2 without another's game. */
static cn_status read_stamp(mssql_conn *c, DBPROCESS *p, char stamp[CN_STAMP_LEN], cn_error *err)
{
    stamp[0] = '\0';
    if (exec_sql(c, p, "IF OBJECT_ID(N'" CN_SEASON_STATE "', N'U') IS NULL CREATE TABLE " CN_SEASON_STATE " "
                    CN_SEASON_STATE_DEF, "creating table " CN_SEASON_STATE, err) ||
        each_row(c, p, "SELECT reference FROM " CN_SEASON_STATE " WITH (TABLOCKX) WHERE id = 1 AND OBJECT_ID(N'"
                    "teams2', N'U') IS NOT NULL AND OBJECT_ID(N'players2', N'U') IS NOT NULL AND OBJECT_ID(N'"
                    CN_GAME_TEAMS "', N'U') IS NOT NULL AND OBJECT_ID(N'" CN_GAME_PLAYERS "', N'U') IS NOT NULL", 1,
                    "reading table " CN_SEASON_STATE, stamp_row, stamp, err))
        return err->status;
    return CN_OK;
}

typedef struct change_ctx {
    cn_season_step *step;
    int table;  /* 0 teams2, 1 players2 */
} change_ctx;

static int change_row(char v[][CELL_MAX], void *ctx)
{
    change_ctx *x = ctx;
    cn_season_step_row(x->step, x->table, atoi(v[0]), atoi(v[1]), atoi(v[2]));
    return 0;
}

/* Inside the transaction: what r's rows add minus what the game's stored rows old add
 * is applied to the rows of its teams and players in teams2 and players2. *whole is set
 * instead when that cannot be known (add everything up). */
static cn_status change_season(mssql_conn *c, DBPROCESS *p, const bs_result *r, cn_game_rows *old, bool *whole,
                               cn_error *err)
{
    cn_season_step step;
    char what[200];
    cn_status st = CN_OK;
    if (cn_season_step_init(&step, old, r))
        st = cn_fail(err, CN_FATAL, "out of memory adding up game '%s' for %s", r->game, c->shown);
    for (int t = 0; !st && t < 2 && !step.unknown; t++) {
        bs_buf q = {0};
        change_ctx x = {&step, t};
        snprintf(what, sizeof what, "reading table %s for game '%s'", t ? "players2" : "teams2", r->game);
        if (cn_season_step_select(&step, t, &q))
            st = q.oom ? cn_fail(err, CN_FATAL, "out of memory") : each_row(c, p, q.s, 3, what, change_row, &x, err);
        bs_buf_free(&q);
    }
    snprintf(what, sizeof what, "updating tables teams2 and players2 for game '%s'", r->game);
    if (!st && step.update.oom)
        st = cn_fail(err, CN_FATAL, "out of memory %s", what);
    if (!st && cn_season_step_whole(&step))
        *whole = true;
    else if (!st && step.update.len)
        st = exec_sql(c, p, step.update.s, what, err);
    cn_season_step_free(&step);
    return st;
}

/* Inside the transaction: the stored rows of game into old. */
static cn_status read_game(mssql_conn *c, DBPROCESS *p, const char *game, cn_game_rows *old, cn_error *err)
{
    static const char *const sql[2] = {CN_SEASON_TEAMS_SQL CN_OF_GAME, CN_SEASON_PLAYERS_SQL CN_OF_GAME};
    char what[200];
    cn_status st = CN_OK;
    for (int i = 0; !st && i < 2; i++) {
        bs_buf b = {0};
        bs_buf_puts(&b, sql[i]);
        sb_literal(&b, game);
        snprintf(what, sizeof what, "reading game '%s' from table %s", game, game_tables[i]);
        st = b.oom ? cn_fail(err, CN_FATAL, "out of memory")
                   : each_row(c, p, b.s, 5, what, i ? game_player_row : game_team_row, old, err);
        free(b.s);
    }
    return st;
}

/* Inside the transaction: teams2/players2 become the reference plus every game's rows,
 * and the reference's stamp is stored with them. */
static cn_status add_up_season(mssql_conn *c, DBPROCESS *p, const bs_ref *ref, const char *stamp, cn_error *err)
{
    bs_ref season = {0};
    cn_game_rows all = {0};
    cn_status st = each_row(c, p, CN_SEASON_TEAMS_SQL, 5, "reading table " CN_GAME_TEAMS, game_team_row, &all, err);
    if (!st)
        st = each_row(c, p, CN_SEASON_PLAYERS_SQL, 5, "reading table " CN_GAME_PLAYERS, game_player_row, &all, err);
    if (!st && bs_season(ref, all.teams, all.nteams, all.players, all.nplayers, &season))
        st = cn_fail(err, CN_FATAL, "out of memory adding up the season for %s", c->shown);
    if (!st)
        st = replace_tables(c, p, &season, "teams2", "players2", err);
    if (!st) {
        char sql[200];
        snprintf(sql, sizeof sql, "DELETE FROM " CN_SEASON_STATE "; INSERT INTO " CN_SEASON_STATE
                 " (id, reference) VALUES (1, N'%s')", stamp); /* hex digits, colons and digits */
        st = exec_sql(c, p, sql, "storing the stamp in table " CN_SEASON_STATE, err);
    }
    bs_ref_free(&season);
    cn_game_rows_free(&all);
    return st;
}

/* Inside the transaction: the n games' rows become theirs, and teams2/players2 the
 * reference plus every game's rows: by each game's change to its own teams' and players'
 * rows while the stamp matches the reference, otherwise added up in full. */
static cn_status store_games(mssql_conn *c, DBPROCESS *p, const bs_ref *given, const bs_result *r, size_t n,
                             const char *const *sources, cn_error *refused, cn_error *err)
{
    static const char *const tables[] = {CN_GAME_TEAMS, CN_GAME_PLAYERS, CN_GAME_SOURCES};
    static const char *const defs[] = {CN_GAME_TEAMS_DEF, CN_GAME_PLAYERS_DEF, CN_GAME_SOURCES_DEF};
    char what[300], stored[CN_STAMP_LEN], stamp[CN_STAMP_LEN];
    bs_ref loaded = {0};
    cn_status st = read_stamp(c, p, stored, err);
    if (!st && !given)
        st = read_reference(c, p, &loaded, err);
    const bs_ref *ref = given ? given : &loaded;
    cn_season_stamp(ref, stamp);
    bool whole = strcmp(stored, stamp) != 0;
    for (int i = 0; !st && i < (sources ? 3 : 2); i++) {
        bs_buf b = {0};
        bs_buf_printf(&b, "IF OBJECT_ID(N'%s', N'U') IS NULL CREATE TABLE %s %s", tables[i], tables[i], defs[i]);
        snprintf(what, sizeof what, "creating table %s", tables[i]);
        st = b.oom ? cn_fail(err, CN_FATAL, "out of memory") : exec_sql(c, p, b.s, what, err);
        free(b.s);
    }
    for (size_t i = 0; !st && i < n; i++) {
        cn_game_rows old = {0};
        if (sources)
            st = claim_game(c, p, r[i].game, sources[i], &refused[i], err);
        if (st || (sources && refused[i].status))
            continue;
        if (!whole)
            st = read_game(c, p, r[i].game, &old, err);
        if (!st && !whole)
            st = change_season(c, p, &r[i], &old, &whole, err);
        if (!st)
            st = store_game(c, p, &r[i], err);
        cn_game_rows_free(&old);
    }
    if (!st && whole)
        st = add_up_season(c, p, ref, stamp, err);
    bs_ref_free(&loaded);
    return st;
}

static cn_status mq_write_game(void *impl, const bs_ref *ref, const bs_result *r, size_t n,
                               const char *const *sources, cn_error *refused, cn_error *err)
{
    mssql_conn *c = impl;
    DBPROCESS *p;
    char what[400], why[BS_ERRLEN], games[200];
    reset_last();
    for (size_t i = 0; i < n; i++)
        if (cn_check_result(&r[i], why))
            return cn_fail(err, CN_INPUT, "SQL Server %s: result of game '%.64s' refused: %s", c->shown, r[i].game,
                           why);
    if (n == 1)
        snprintf(games, sizeof games, "game '%s'", r[0].game);
    else
        snprintf(games, sizeof games, "%zu games ('%s' ... '%s')", n, r[0].game, r[n - 1].game);
    snprintf(what, sizeof what, "beginning the transaction that stores %s", games);
    if (begin_write(c, what, &p, err))
        return err->status;
    cn_status st = store_games(c, p, ref, r, n, sources, refused, err);
    snprintf(what, sizeof what, "committing %s and tables teams2 and players2", games);
    return end_write(c, p, st, what, err);
}

const cn_reference_ops cn_mssql_reference_ops = {
    .scheme = "mssql",
    .description = "SQL Server tables teams and players via FreeTDS (mssql://sa@host:1433/sidearmdb)",
    .open = mq_open,
    .load = mq_load,
    .close = mq_close,
};

const cn_results_ops cn_mssql_results_ops = {
    .scheme = "mssql",
    .description = "SQL Server teams2/players2 in one transaction via FreeTDS (mssql://sa@host:1433/sidearmdb)",
    .open = mq_open,
    .write = mq_write,
    .write_game = mq_write_game,
    .close = mq_close,
};
