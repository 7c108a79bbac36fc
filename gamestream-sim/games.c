/*
 * games.c — gamestream-sim --games N: a game day under one prefix, for the pipeline's
 * games-under-a-prefix mode and its benchmark.
 *
 * Game i (1..N) has the id <game-prefix><i> (i zero-padded to the width of N, at least
 * 3 digits) and the folder <PREFIX><id>/. Every game.json is written first, before any
 * stream, so the games are "scheduled"; then each game's gamestream.txt is rewritten
 * whole at each of its events, exactly as the single-game replay does.
 *
 * Game i is random game SEED+i with the teams 1000+2(i-1) and 1001+2(i-1); its players
 * are bs_random_game's ids (below 100000) plus i*100000, so no id is shared between
 * games. With --events-dir DIR, a game that has DIR/<id>.txt replays that file with the
 * teams --home/--away instead, and its rosters are those of --reference-data.
 *
 * Timing: game i starts (i-1)*STAGGER seconds after the first, and its clock reaches c
 * at start + (3600 - c)*DELAY, as if it ran alone. --writers W threads serve the games,
 * game i by thread (i-1) mod W: each pass writes one due event (or group of lines of the
 * same clock) per game of the thread, so games that are due at the same time interleave,
 * then it sleeps until the next one is due. One thread's writes go one at a time: against
 * a store whose PUT takes tens of milliseconds (Swift), a day of 1,000 games needs several.
 * A write retries until it goes through (the producer never skips an event); meanwhile
 * the thread's other games wait and then catch up. A write that fails for good stops every
 * thread at its next pass.
 */
#include "sim.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define SIM_PLAYER_ID_STRIDE 100000 /* game i's players are i*STRIDE + a single game's id */

typedef struct sim_game {
    char id[BS_MAX_GAME_ID + 1];
    int number;             /* 1..N */
    int home, away;
    bool from_file;         /* replays DIR/<id>.txt rather than a random game */
    char *text;
    size_t len;
    line_ref *lines;
    size_t nlines, next;    /* lines[next] is the first one not written yet */
    double start;           /* seconds after the first game's start */
    sim_target *stream;     /* <PREFIX><id>/gamestream.txt */
} sim_game;

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* <game-prefix><number>, the number zero-padded to the width of N (at least 3 digits). */
static int make_game_id(const sim_config *c, int number, char out[BS_MAX_GAME_ID + 1])
{
    int width = 3;
    for (int n = c->games; n >= 1000; n /= 10)
        width++;
    char err[BS_ERRLEN];
    int n = snprintf(out, BS_MAX_GAME_ID + 1, "%s%0*d", c->game_prefix, width, number);
    if (n < 0 || n > BS_MAX_GAME_ID) {
        fprintf(stderr, "gamestream-sim: --game-prefix '%s' makes game ids over %d bytes\n", c->game_prefix,
                BS_MAX_GAME_ID);
        return -1;
    }
    if (!bs_game_id_valid(out, err)) {
        fprintf(stderr, "gamestream-sim: --game-prefix '%s' makes the game id '%s': %s\n", c->game_prefix, out, err);
        return -1;
    }
    return 0;
}

/* Opens <PREFIX><id>/<name>. Returns 0, 1 (runtime failure) or 2 (usage error), logged. */
static int open_object(const sim_config *c, const cn_settings *cs, const char *id, const char *name,
                       sim_target **out)
{
    char uri[PATH_MAX + 256];
    cn_error err;
    if ((size_t)snprintf(uri, sizeof uri, "%s%s/%s", c->target, id, name) >= sizeof uri) {
        log_msg(LOG_ERROR, "%s: the target prefix is too long", id);
        return 2;
    }
    if (sim_target_open(out, uri, cs, &err)) {
        log_msg(LOG_ERROR, "%s: %s", id, err.msg);
        return err.status == CN_CONFIG ? 2 : 1;
    }
    return 0;
}

/* Adds a game's teams and players to the union of all games' rosters: those of random
 * game number (1..N) with its player ids moved into its own range, those of number 0
 * (--reference-data) as they are. */
static int add_rosters(bs_ref *all, const bs_ref *one, int number)
{
    for (size_t i = 0; i < one->nteams; i++) {
        const bs_team *t = &one->teams[i];
        if (bs_ref_add_team(all, t->id, t->name, t->conference, t->wins, t->losses))
            return -1;
    }
    for (size_t i = 0; i < one->nplayers; i++) {
        const bs_player *p = &one->players[i];
        if (number > 0 && (p->id < 0 || p->id >= SIM_PLAYER_ID_STRIDE)) {
            log_msg(LOG_ERROR, "random player id %d is outside 0..%d: games would share ids", p->id,
                    SIM_PLAYER_ID_STRIDE - 1);
            return -1;
        }
        if (bs_ref_add_player(all, number * SIM_PLAYER_ID_STRIDE + p->id, p->name, p->number, p->shots, p->goals,
                              p->teamid))
            return -1;
    }
    return 0;
}

/* Fills g's events: DIR/<id>.txt when --events-dir has it, else random game SEED+i.
 * Returns 0, 1 or 2 (logged). */
static int load_events(const sim_config *c, sim_game *g, bs_ref *all, bool *replays_file)
{
    char path[PATH_MAX], err[512];
    if (c->events_dir && *c->events_dir && (size_t)snprintf(path, sizeof path, "%s/%s.txt", c->events_dir, g->id) < sizeof path &&
        access(path, F_OK) == 0) {
        if (!(g->text = sim_read_file(path, &g->len, err, sizeof err))) {
            log_msg(LOG_ERROR, "%s: %s", g->id, err);
            return 1;
        }
        g->from_file = true;
        g->home = c->home;
        g->away = c->away;
        *replays_file = true;
        return 0;
    }
    if (c->random_seed < 0) {
        fprintf(stderr, "gamestream-sim: %s: no --random SEED to make it up%s%s%s\n", g->id,
                c->events_dir ? " and no " : "", c->events_dir ? c->events_dir : "",
                c->events_dir ? "/<game-id>.txt" : "");
        return 2;
    }
    g->home = 1000 + 2 * (g->number - 1);
    g->away = g->home + 1;
    bs_ref one = {0};
    uint64_t seed = (uint64_t)c->random_seed + (uint64_t)g->number;
    int bad = bs_random_game(seed, g->home, g->away, &one, &g->text, &g->len) || add_rosters(all, &one, g->number);
    bs_ref_free(&one);
    if (bad) {
        log_msg(LOG_ERROR, "%s: out of memory making random game %llu", g->id, (unsigned long long)seed);
        return 1;
    }
    return 0;
}

/* The union of the rosters must not hold one id twice (a file game's --home/--away
 * among the random games' teams, say): the reset would fail on a primary key. */
static int check_unique(const bs_ref *all)
{
    for (size_t i = 1; i < all->nteams; i++)
        if (all->teams[i].id == all->teams[i - 1].id) {
            fprintf(stderr, "gamestream-sim: team id %d is in the rosters twice (random games use 1000 and up)\n",
                    all->teams[i].id);
            return 2;
        }
    for (size_t i = 1; i < all->nplayers; i++)
        if (all->players[i].id == all->players[i - 1].id) {
            fprintf(stderr, "gamestream-sim: player id %d is in the rosters twice\n", all->players[i].id);
            return 2;
        }
    return 0;
}

/* {"home": H, "away": A, "start": "2026-11-28T18:00:00Z"} with the scheduled start. */
static int write_manifest(const sim_config *c, const cn_settings *cs, const sim_game *g, time_t start)
{
    struct tm tm;
    char iso[40];
    gmtime_r(&start, &tm);
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *doc = json_pack("{s:i, s:i, s:s}", "home", g->home, "away", g->away, "start", iso);
    char *text = doc ? json_dumps(doc, JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (!text) {
        log_msg(LOG_ERROR, "%s: out of memory writing game.json", g->id);
        return 1;
    }
    size_t len = strlen(text);
    char *line = realloc(text, len + 2);
    if (!line) {
        free(text);
        log_msg(LOG_ERROR, "%s: out of memory writing game.json", g->id);
        return 1;
    }
    memcpy(line + len, "\n", 2);
    sim_target *t = NULL;
    int rc = open_object(c, cs, g->id, BS_MANIFEST_NAME, &t);
    if (!rc && sim_write(t, g->id, line, len + 1, -1))
        rc = 1;
    sim_target_close(t);
    free(line);
    return rc;
}

/* Writes the game's lines of the next clock that has any. */
static int step(sim_game *g)
{
    int clock = g->lines[g->next].clock;
    size_t upto = g->next;
    while (upto < g->nlines && g->lines[upto].clock >= clock)
        upto++;
    g->next = upto;
    if (sim_write(g->stream, g->id, g->text, g->lines[upto - 1].end, clock))
        return -1;
    if (g->next == g->nlines)
        log_msg(LOG_INFO, "%s: all %zu lines written", g->id, g->nlines);
    return 0;
}

/* One writer thread: games first, first + stride, ... of the day. */
typedef struct sim_writer {
    sim_game *games;
    int n, first, stride;
    double delay, t0;
    atomic_bool *failed;    /* shared: a write failed for good, every writer stops */
    int rc;
} sim_writer;

/* Runs the writer's games to their end. rc 0, or -1 when a write failed (or another
 * writer's did). */
static void *play(void *arg)
{
    sim_writer *w = arg;
    int left = 0;
    for (int i = w->first; i < w->n; i += w->stride)
        left += w->games[i].next < w->games[i].nlines;
    while (left > 0) {
        if (atomic_load(w->failed)) {
            w->rc = -1;
            return NULL;
        }
        bool wrote = false;
        double soonest = INFINITY;
        for (int i = w->first; i < w->n; i += w->stride) {
            sim_game *g = &w->games[i];
            if (g->next == g->nlines)
                continue;
            double due = g->start + (BS_GAME_SECONDS - g->lines[g->next].clock) * w->delay;
            if (due > monotonic_seconds() - w->t0) {
                soonest = due < soonest ? due : soonest;
                continue;
            }
            if (step(g)) {
                atomic_store(w->failed, true);
                w->rc = -1;
                return NULL;
            }
            wrote = true;
            left -= g->next == g->nlines;
        }
        if (!wrote && left > 0)
            sim_sleep(soonest - (monotonic_seconds() - w->t0));
    }
    return NULL;
}

/* Plays every game with `writers` threads (the calling thread is the first). Returns 0,
 * or -1 when a write failed or a thread could not start (logged). */
static int play_all(sim_game *games, int n, double delay, int writers)
{
    if (writers > n)
        writers = n;
    sim_writer *w = calloc((size_t)writers, sizeof *w);
    pthread_t *tid = calloc((size_t)writers, sizeof *tid);
    if (!w || !tid) {
        free(w);
        free(tid);
        log_msg(LOG_ERROR, "out of memory for %d writers", writers);
        return -1;
    }
    atomic_bool failed = false;
    double t0 = monotonic_seconds();
    int started = 1, rc = 0;
    for (int k = 0; k < writers; k++)
        w[k] = (sim_writer){games, n, k, writers, delay, t0, &failed, 0};
    for (; started < writers; started++) {
        int e = pthread_create(&tid[started], NULL, play, &w[started]);
        if (e) {
            log_msg(LOG_ERROR, "cannot start writer %d of %d: %s", started + 1, writers, strerror(e));
            atomic_store(&failed, true);
            rc = -1;
            break;
        }
    }
    play(&w[0]);
    for (int k = 1; k < started; k++)
        pthread_join(tid[k], NULL);
    for (int k = 0; k < started; k++)
        rc = w[k].rc ? -1 : rc;
    free(w);
    free(tid);
    return rc;
}

int sim_play_games(const sim_config *c, const cn_settings *cs)
{
    size_t plen = strlen(c->target);
    if (!plen || c->target[plen - 1] != '/') {
        fprintf(stderr, "gamestream-sim: with --games, --target is a prefix ending in '/', like "
                        "file:///srv/games/ or s3://gamestreams/2026-11-28/\n");
        return 2;
    }
    if (c->stagger < 0 || !isfinite(c->stagger) || c->delay < 0 || !isfinite(c->delay)) {
        fprintf(stderr, "gamestream-sim: --stagger and --delay must be 0 or more seconds\n");
        return 2;
    }
    int n = c->games, rc = 0;
    sim_game *games = calloc((size_t)n, sizeof *games);
    bs_ref all = {0};
    bool replays_file = false;
    if (!games) {
        log_msg(LOG_ERROR, "out of memory for %d games", n);
        return 1;
    }
    for (int i = 0; i < n && !rc; i++) {
        sim_game *g = &games[i];
        g->number = i + 1;
        g->start = i * c->stagger;
        if (make_game_id(c, g->number, g->id))
            rc = 2;
        else if (!(rc = open_object(c, cs, g->id, BS_STREAM_NAME, &g->stream)) &&
                 !(rc = load_events(c, g, &all, &replays_file)) &&
                 !(g->lines = sim_index_lines(g->text, g->len, g->home, g->away, &g->nlines))) {
            log_msg(LOG_ERROR, "%s: out of memory indexing the events", g->id);
            rc = 1;
        }
    }
    if (!rc && c->reset_reference) {
        bs_ref sample = {0};
        if (replays_file && sim_load_reference_data(c, &sample))
            rc = 1;
        else if (add_rosters(&all, &sample, 0))
            rc = 1;
        bs_ref_free(&sample);
        if (!rc) {
            bs_ref_sort(&all);
            rc = check_unique(&all);
        }
        if (!rc && sim_reset_reference(c, cs, &all))
            rc = 1;
    }
    /* the bucket once, or each game's folder */
    for (int i = 0; i < n && !rc; i++)
        if ((i == 0 || !sim_target_is_s3(games[i].stream)) && sim_prepare(games[i].stream))
            rc = 1;
    time_t wall0 = time(NULL);
    for (int i = 0; i < n && !rc; i++)
        rc = write_manifest(c, cs, &games[i], wall0 + (time_t)games[i].start);
    if (!rc) {
        log_msg(LOG_INFO, "playing %d games under %s (%s .. %s), %.3f s per game second, starts %.3f s apart, %d writer%s",
                n, c->target, games[0].id, games[n - 1].id, c->delay, c->stagger, c->writers < n ? c->writers : n,
                (c->writers < n ? c->writers : n) == 1 ? "" : "s");
        for (int i = 0; i < n; i++) {
            const sim_game *g = &games[i];
            if (g->from_file)
                log_msg(LOG_INFO, "%s: %s/%s.txt, teams %d and %d, %zu lines", g->id, c->events_dir, g->id, g->home,
                        g->away, g->nlines);
            else
                log_msg(LOG_INFO, "%s: random game %llu, teams %d and %d, %zu lines", g->id,
                        (unsigned long long)c->random_seed + (unsigned long long)g->number, g->home, g->away,
                        g->nlines);
        }
        rc = play_all(games, n, c->delay, c->writers) ? 1 : 0;
    }
    if (!rc)
        log_msg(LOG_INFO, "played %d games under %s", n, c->target);
    for (int i = 0; i < n; i++) {
        free(games[i].lines);
        free(games[i].text);
        sim_target_close(games[i].stream);
    }
    free(games);
    bs_ref_free(&all);
    return rc;
}
