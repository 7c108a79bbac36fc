/*
 * boxscore.h — the pure domain of the pipeline: the stream format, the fold of
 * shots into a box score, the rendered document, and the final standings.
 *
 * Nothing here does I/O, keeps globals, or knows about S3, MongoDB or SQL.
 * Every function works on plain values handed in by the caller, so the same code
 * runs in the pipeline, in gamestream-sim and in the unit tests.
 *
 * Ownership: a bs_ref is owned by whoever built it (bs_ref_free). A bs_game keeps a
 * pointer to the bs_ref it was made with; the reference must outlive the game.
 */
#ifndef BOXSCORE_H
#define BOXSCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define BS_MAX_LINE 1024        /* longest accepted stream line, without its newline */
#define BS_GAME_SECONDS 3600    /* the clock starts at 60:00 */
#define BS_MAX_JERSEY 999
#define BS_ERRLEN 256
#define BS_MAX_GAME_ID 64      /* longest game id, in bytes */

/* ---------------------------------------------------------------- text */

/* Length of the valid UTF-8 character at s (at most n bytes: 1..4), or 0 when the
 * bytes there are not one (invalid, overlong, surrogate, truncated, or NUL). */
size_t bs_utf8_next(const char *s, size_t n);
/* True when the len bytes at s are valid UTF-8 with no NUL byte. */
bool bs_utf8_valid(const char *s, size_t len);
/* A NUL-terminated copy of the len bytes at s that is always valid UTF-8: each byte
 * of an invalid sequence (and each NUL) becomes U+FFFD. s may be NULL (gives "").
 * Caller frees; NULL when out of memory. */
char *bs_utf8_dup(const char *s, size_t len);
/* True when id is a safe game id: 1..BS_MAX_GAME_ID bytes of letters, digits, '-', '_'
 * and '.', not starting with '.' (so it is safe as a file name, a key and in a log).
 * Otherwise false with the reason in err. */
bool bs_game_id_valid(const char *id, char err[BS_ERRLEN]);

/* ---------------------------------------------------------------- growable memory (buf.c) */

/* Makes room for element n of a growable array (*arr, *cap elements of size bytes),
 * doubling from 16; false when out of memory (the array is kept as it was). */
bool bs_grow(void *arr, size_t *cap, size_t n, size_t size);
/* Makes room for need bytes in a malloc'd buffer (*buf of *cap bytes), doubling from
 * 4 KiB; false when out of memory (the buffer is kept as it was). */
bool bs_reserve(char **buf, size_t *cap, size_t need);

/* A growable text: appends never fail on the spot; after one runs out of memory the
 * rest do nothing and bs_buf_take gives NULL. Always NUL-terminated once non-empty. */
typedef struct bs_buf {
    char *s;
    size_t len, cap;
    bool oom;
} bs_buf;

void bs_buf_add(bs_buf *b, const void *data, size_t n);
void bs_buf_puts(bs_buf *b, const char *s);
/* At most 511 bytes of formatted text a call (longer output is cut there). */
void bs_buf_printf(bs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (caller frees) and its length, and an empty b; NULL (b freed) after an
 * allocation failed or when nothing was added. */
char *bs_buf_take(bs_buf *b, size_t *len);
void bs_buf_free(bs_buf *b);

/* FNV-1a over len bytes, continued from h (start from the basis): the one hash of the
 * project (run ids, "log this once", the HTTP tables, Kafka partitions, the sim's tags). */
#define BS_FNV1A32_BASIS 2166136261u
#define BS_FNV1A64_BASIS 14695981039346656037u
uint32_t bs_fnv1a32(uint32_t h, const void *data, size_t len);
uint64_t bs_fnv1a64(uint64_t h, const void *data, size_t len);

/* A set of texts seen (kept as 32-bit FNV-1a hashes), for "log this once". */
typedef struct bs_once {
    uint32_t *v;
    size_t n, cap;
} bs_once;

/* True the first time the len bytes at s are seen; false after, and false when out of
 * memory (cannot remember it: better not to log it again and again). */
bool bs_once_first(bs_once *o, const char *s, size_t len);
void bs_once_free(bs_once *o);

/* ---------------------------------------------------------------- reference data */

typedef struct bs_team {
    int id;
    char *name;
    char *conference;
    int wins, losses;
} bs_team;

typedef struct bs_player {
    int id;
    char *name;
    char *number;   /* varchar(3) in SQL; matched against the stream's jersey as an integer */
    int shots, goals;
    int teamid;
} bs_player;

/* An entry of the lookup index: a key (a team id) and a position in teams or players. */
typedef struct bs_ref_key {
    int key;
    uint32_t pos;
} bs_ref_key;

/* The rows of `teams` and `players` (or `teams2` and `players2`), and optionally an index
 * (bs_ref_index) that finds a team and a team's players without a scan. Any change to the
 * rows (add, sort, free) drops the index; lookups without one scan, with the same result. */
typedef struct bs_ref {
    bs_team *teams;
    size_t nteams, capteams;
    bs_player *players;
    size_t nplayers, capplayers;
    /* bs_ref_digest of these rows, kept by an owner that will not change them again (the
     * pipeline's snapshots: computed once per load); 0 when not known. Adding a row
     * forgets it. */
    uint64_t digest;
    bs_ref_key *team_idx;   /* NULL, or every team as (id, position), by id then position */
    bs_ref_key *player_idx; /* NULL, or every player as (teamid, position), by teamid then position */
} bs_ref;

/* Appends a copy of the row; strings are duplicated. Returns 0, or -1 when out of memory. */
int bs_ref_add_team(bs_ref *r, int id, const char *name, const char *conference, int wins, int losses);
/* Appends a copy of the row; strings are duplicated. Returns 0, or -1 when out of memory. */
int bs_ref_add_player(bs_ref *r, int id, const char *name, const char *number, int shots, int goals,
                      int teamid);
/* Sorts teams and players by id, the order every output uses. */
void bs_ref_sort(bs_ref *r);
/* Frees what the rows own and empties the struct. */
void bs_ref_free(bs_ref *r);
/* Returns the (first) team with this id, or NULL. O(log teams) with the index. */
const bs_team *bs_ref_team(const bs_ref *r, int id);
/* Builds the index of the rows as they are now (built once per snapshot of the rows and
 * shared by every game over it). Returns 0, or -1 when out of memory or over 2^32 rows
 * (the rows stay as they were, without an index). */
int bs_ref_index(bs_ref *r);
/* With the index: points *pos at the players of team teamid, as (teamid, position) in
 * position order, and returns how many there are (0: none). Without it returns 0 and
 * sets *pos to NULL (the caller scans). */
size_t bs_ref_team_players(const bs_ref *r, int teamid, const bs_ref_key **pos);
/* Reads {"teams":[{id,name,conference,wins,losses}], "players":[{id,name,number,shots,goals,teamid}]}
 * into an empty ref. Returns 0, or -1 with the reason in err. */
int bs_ref_from_json(const json_t *root, bs_ref *out, char err[BS_ERRLEN]);
/* A fingerprint of every row, every column, in order (FNV-1a 64), never 0: the results
 * sinks store it beside teams2/players2 to see that the reference changed. */
uint64_t bs_ref_digest(const bs_ref *r);
/* True when both hold the same rows in the same order. */
bool bs_ref_equal(const bs_ref *a, const bs_ref *b);

/* ---------------------------------------------------------------- stream format */

typedef struct bs_event {
    long id;        /* -1 is the end-of-game sentinel */
    int clock;      /* seconds remaining, 3600 .. 0 */
    int team;       /* 0 is the sentinel team */
    int jersey;
    int goal;       /* 0 or 1 */
} bs_event;

typedef enum bs_parse_status {
    BS_PARSE_EVENT = 0, /* *ev holds the event */
    BS_PARSE_BLANK = 1, /* nothing on the line; not an error */
    BS_PARSE_REJECT = 2 /* err holds the reason */
} bs_parse_status;

/* Parses one line (no newline; a trailing CR, spaces and tabs are accepted).
 * home/away are the only team ids accepted besides the sentinel 0. */
bs_parse_status bs_parse_line(const char *line, size_t len, int home, int away, bs_event *ev,
                              char err[BS_ERRLEN]);
/* Writes "mm:ss" for a clock in seconds into out (at least 6 bytes). */
void bs_format_clock(int clock, char out[8]);
/* Writes the canonical stream line for ev, newline included; returns its length. */
int bs_format_event(const bs_event *ev, char *out, size_t outlen);

/* Splits a byte stream that arrives in arbitrary chunks into numbered lines.
 * A UTF-8 BOM at the very start is dropped; a line over BS_MAX_LINE bytes is
 * reported once as too long and the rest of it is skipped. */
typedef struct bs_reader {
    char buf[BS_MAX_LINE + 1];
    size_t len;
    long lineno;        /* number of the line being assembled, 1-based */
    uint64_t offset;    /* bytes consumed since the last reset */
    bool overlong;
    uint64_t line_start; /* offset of the first byte of the line being assembled */
} bs_reader;

typedef void (*bs_line_fn)(void *ctx, long lineno, const char *line, size_t len, bool too_long);

/* Empties the reader: the next byte is the start of a stream. */
void bs_reader_reset(bs_reader *r);
/* Feeds bytes; calls fn once for each complete line. */
void bs_reader_push(bs_reader *r, const char *data, size_t n, bs_line_fn fn, void *ctx);

/* ---------------------------------------------------------------- the fold */

typedef struct bs_stat {
    int shots, goals;
    long first_id;  /* id of the shooter's first counted shot; meaningful when shots > 0 */
} bs_stat;

typedef struct bs_unrostered {
    int teamid, jersey;
    bs_stat stat;
} bs_unrostered;

typedef struct bs_goal {
    long event_id;
    int clock;
    int teamid, jersey;
    int player_id;      /* -1 when the shooter is not on the roster */
    int home_score, away_score;
} bs_goal;

typedef enum bs_state { BS_PREGAME = 0, BS_LIVE, BS_FINAL } bs_state;

/* What became of one event, and what is worth a warning. */
typedef enum bs_outcome {
    BS_APPLIED = 0,       /* counted; the box score changed */
    BS_DUPLICATE,         /* id at or below the last applied one: skipped */
    BS_AFTER_FINAL,       /* the game was already over: skipped */
    BS_ENDED_BY_SENTINEL  /* id -1: the game is over, nothing counted */
} bs_outcome;

typedef struct bs_apply_info {
    bs_outcome outcome;
    bool gap;             /* ids skipped between the previous event and this one */
    long expected_id;     /* with gap: the id that was expected */
    bool clock_up;        /* the clock went up since the previous event */
    bool unrostered;      /* the shooter is not on the team's roster */
    bool final;           /* this event ended the game */
} bs_apply_info;

typedef struct bs_counters {
    long applied, duplicates, after_final, rejected, gaps, clock_warnings, unrostered_shots;
} bs_counters;

typedef struct bs_game {
    const bs_ref *ref;
    int teamid[2];          /* [0] home, [1] away */
    char game_id[BS_MAX_GAME_ID + 1];
    bs_state state;
    long last_id;           /* meaningful once state != BS_PREGAME */
    int clock;              /* clock of the last applied event */
    int score[2], shots[2];
    int qgoals[2][4];
    size_t *roster;         /* indexes into ref->players of the two teams' players, in id order */
    size_t nroster;
    bs_stat *pstat;         /* parallel to roster */
    bs_unrostered *unr;
    size_t nunr, capunr;
    bs_goal *goals;
    size_t ngoals, capgoals;
    bs_counters n;
} bs_game;

/* Makes an empty game for home vs away over the reference rows; NULL when out of memory.
 * Finding the two rosters takes O(log players) over indexed rows (bs_ref_index), a scan
 * of every player otherwise. */
bs_game *bs_game_new(const bs_ref *ref, int home, int away, const char *game_id);
/* Forgets every event: a restarted stream starts a new run of the same game. */
void bs_game_reset(bs_game *g);
void bs_game_free(bs_game *g);
/* Applies one parsed event; returns 0, or -1 when out of memory (the game is unchanged). */
int bs_game_apply(bs_game *g, const bs_event *ev, bs_apply_info *info);
/* A new game equal to what folding every event applied to g over ref (instead of
 * g->ref) would have made: a reference read again mid-game (a roster fixed after the
 * start) takes effect for the shots already counted. Shooters are matched to players as
 * the fold matches them (team and jersey); unrostered shooters now on the roster become
 * rostered and the reverse, scoring entries name their player anew, and the counters
 * follow. g is untouched, so the caller can swap the two; NULL when out of memory.
 * ref must outlive the new game. */
bs_game *bs_game_rebase(const bs_game *g, const bs_ref *ref);
/* The quarter (1..4) of a clock in seconds remaining. */
int bs_period(int clock);
/* Writes the quarter clock of a game clock, the time left in its quarter (bs_period) as
 * a fan reads it, "m:ss" from "15:00" to "0:00" (51:18 is Q1 6:18), into out. */
void bs_format_quarter_clock(int clock, char out[8]);
/* Rounds goals/shots to two decimals; 0 with no shots. */
double bs_pct(int goals, int shots);

/* ---------------------------------------------------------------- feeding bytes */

/* Joins the reader, the parser and the fold: bytes in, events applied, and a hook
 * for each applied event and each rejected line. Used by the pipeline and the tests. */
typedef struct bs_feed_hooks {
    void (*applied)(void *ctx, const bs_game *g, const bs_event *ev, const bs_apply_info *info);
    void (*rejected)(void *ctx, long lineno, const char *line, size_t len, const char *reason);
    void *ctx;
} bs_feed_hooks;

typedef struct bs_feed {
    bs_reader reader;
    bs_game *game;
    bs_feed_hooks hooks;
    int oom;    /* set when an event could not be applied for lack of memory */
    uint64_t resume_at; /* with oom: offset of the line that was not applied */
    long resume_lineno; /* with oom: its line number */
} bs_feed;

void bs_feed_init(bs_feed *f, bs_game *g, const bs_feed_hooks *hooks);
/* Feeds bytes of the stream, in any chunking. When an event cannot be applied for lack
 * of memory, oom is set and no later line counts: the game stays the fold of the lines
 * before resume_at, until bs_feed_retry or bs_feed_restart. */
void bs_feed_push(bs_feed *f, const char *data, size_t n);
/* After oom: clears it and rewinds the reader to resume_at; the caller pushes the
 * stream's bytes again from that offset on. */
void bs_feed_retry(bs_feed *f);
/* The stream restarted: forget the game and the partial line. */
void bs_feed_restart(bs_feed *f);

/* ---------------------------------------------------------------- outputs */

/* The box-score document for the current state; updated_at is the caller's UTC time
 * in ISO 8601. NULL before the first event or when out of memory. Caller decrefs. */
json_t *bs_render(const bs_game *g, const char *updated_at);

/* Writes the rows of teams2/players2 into out (which must be empty): the reference
 * rows updated by this game. *tie is set when the game ended level. Returns 0 or -1.
 * Wins, losses, shots and goals saturate at INT_MAX instead of overflowing. */
int bs_standings(const bs_game *g, bs_ref *out, bool *tie);

/* ---------------------------------------------------------------- games under a prefix */

/* game.json of a game under a prefix. */
/* A game folder (under a pipeline's prefix, as gamestream-sim writes it):
 * <game>/game.json (bs_manifest) and <game>/gamestream.txt (the stream). */
#define BS_STREAM_NAME "gamestream.txt"
#define BS_MANIFEST_NAME "game.json"

typedef struct bs_manifest {
    int home, away;     /* team ids: positive and different */
    char venue[128];    /* optional; "" when absent */
    char start[40];     /* optional start time (ISO 8601); "" when absent */
} bs_manifest;

/* Parses game.json: {"home": 101, "away": 205} plus the optional strings "venue" and
 * "start"; other fields are ignored. Returns 0, or -1 with the reason in err. */
int bs_manifest_parse(const char *text, size_t len, bs_manifest *out, char err[BS_ERRLEN]);

/* One final game's own result: its rows of game_teams and game_players. */
typedef struct bs_team_result {
    int teamid, opponent, score, opponent_score;
    char result;        /* 'W', 'L' or 'T' */
} bs_team_result;

typedef struct bs_player_result {
    int player_id, teamid;
    char number[4];     /* varchar(3), as in players */
    int shots, goals;
} bs_player_result;

typedef struct bs_result {
    char game[BS_MAX_GAME_ID + 1];
    bs_team_result teams[2];    /* [0] home, [1] away */
    bs_player_result *players;  /* every rostered player of both teams, by player id */
    size_t nplayers;
} bs_result;

/* The result of g (normally final): every rostered player of both teams, shots or not.
 * Returns 0, or -1 when out of memory. bs_result_free frees what it holds. */
int bs_result_of(const bs_game *g, bs_result *out);
void bs_result_free(bs_result *r);

/* The season tables teams2/players2: the reference rows plus the sum over every game's
 * rows (wins and losses from result, shots and goals by player id), saturating at
 * INT_MAX. Rows of unknown teams or players are ignored. The order of the rows does not
 * matter. out must be empty. Returns 0, or -1 when out of memory. */
int bs_season(const bs_ref *ref, const bs_team_result *teams, size_t nteams, const bs_player_result *players,
              size_t nplayers, bs_ref *out);

/* What one game changes in teams2 (wins, losses) or players2 (shots, goals): row id,
 * and the change of each of the two columns. */
typedef struct bs_count_delta {
    int id;
    long long d[2];
} bs_count_delta;

/* The change to the season tables when a game's stored rows old (nold_teams team rows,
 * nold_players player rows; none when it was never written) become now's: what now adds
 * minus what old added, by the rules of bs_season. Rows whose change is zero are left
 * out; teams and players are sorted by id. *teams and *players are malloc'd (free them,
 * even after a failure). Returns 0, or -1 when out of memory. */
int bs_season_delta(const bs_team_result *old_teams, size_t nold_teams, const bs_player_result *old_players,
                    size_t nold_players, const bs_result *now, bs_count_delta **teams, size_t *nteams,
                    bs_count_delta **players, size_t *nplayers);
/* A column of teams2/players2 (min(INT_MAX, reference + every row), as bs_season keeps
 * it) after a change d of its rows' sum: 0 with the new value in *out, or -1 when v is
 * INT_MAX and d < 0, where the sum under the cap is not known (add the rows up again). */
int bs_season_adjust(int v, long long d, int *out);

/* ---------------------------------------------------------------- random games */

/* Fills ref with two rosters of 10 (teams home and away) and writes a plausible game,
 * ending with the sentinel, as stream text into *text (malloc'd; caller frees).
 * The same seed always gives the same game. Returns 0 or -1. */
int bs_random_game(uint64_t seed, int home, int away, bs_ref *ref, char **text, size_t *len);

#endif
