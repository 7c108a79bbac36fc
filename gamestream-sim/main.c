/*
 * main.c — gamestream-sim: replays a game into a target the way the live producer does.
 *
 * The game clock counts down from 60:00 to 00:00, one game second every DELAY real
 * seconds. Whenever the clock reaches an event's time the whole object is rewritten
 * with every line up to that event. Lines are copied as they are in the events file
 * (bad ones included, so tests can replay them); their clocks are read with the same
 * parser the pipeline uses. --random SEED makes up a game instead, and
 * --reset-reference loads the matching rosters into teams/players first.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "boxscore.h"
#include "connector.h"
#include "log.h"
#include "options.h"
#include "target.h"

#ifndef SIM_DATA_DIR
#define SIM_DATA_DIR "sql/data"
#endif

typedef struct sim_config {
    const char *target, *events, *reference_data, *reset_reference;
    double delay;
    int random_seed;
    int home, away;
    const char *s3_endpoint, *s3_access_key, *log_format;
    bool s3_https;
    int timeout_ms;
} sim_config;

#define OFF(f) offsetof(sim_config, f)
static const opt_def options[] = {
    {"target", "SIM_TARGET", OPT_STR, "file://var/gamestream.txt", "where to write: file:///abs/gamestream.txt or s3://bucket/key", OFF(target)},
    {"events", "EVENTS_FILE", OPT_STR, SIM_DATA_DIR "/game.txt", "the game to replay, one stream line per event", OFF(events)},
    {"reference-data", "REFERENCE_DATA", OPT_STR, SIM_DATA_DIR "/reference.json", "teams and players for --reset-reference", OFF(reference_data)},
    {"reset-reference", "RESET_REFERENCE", OPT_STR, NULL, "reset teams/players here first: sqlite:///abs/db or mssql://user@host:port/sidearmdb", OFF(reset_reference)},
    {"delay", "DELAY", OPT_DOUBLE, "0.25", "real seconds per game second", OFF(delay)},
    {"random", "RANDOM_SEED", OPT_INT, "-1", "replay a random game made from this seed (0 and up) instead of --events", OFF(random_seed)},
    {"home", "HOME_TEAM", OPT_INT, "101", "home team id (for --random and for reading clocks)", OFF(home)},
    {"away", "AWAY_TEAM", OPT_INT, "205", "away team id", OFF(away)},
    {"s3-endpoint", "S3_ENDPOINT", OPT_STR, "localhost:9000", "S3/MinIO host:port", OFF(s3_endpoint)},
    {"s3-access-key", "S3_ACCESS_KEY", OPT_STR, "minio", "S3 access key (secret: S3_SECRET_KEY or PASSWORD)", OFF(s3_access_key)},
    {"s3-https", "S3_HTTPS", OPT_FLAG, NULL, "talk HTTPS to S3", OFF(s3_https)},
    {"timeout-ms", "REQUEST_TIMEOUT_MS", OPT_INT, "10000", "timeout of one request to a server", OFF(timeout_ms)},
    {"log-format", "LOG_FORMAT", OPT_STR, "plain", "plain or json", OFF(log_format)},
};
#define NOPTIONS (sizeof options / sizeof *options)

static const char usage[] =
    "usage: gamestream-sim [--target URI] [--events FILE | --random SEED] [--delay 0.25]\n"
    "                      [--reset-reference URI]\n"
    "\n"
    "Replays a game into the target the way the live producer does: the clock counts down\n"
    "from 60:00 and at each event the whole object is rewritten with all lines so far.\n"
    "Exit status: 0 done, 1 runtime failure, 2 usage error.\n";

typedef struct line_ref {
    size_t end;     /* offset just past this line's newline */
    int clock;      /* when it is written: its own clock, or the previous line's if unreadable */
} line_ref;

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *p = realloc(buf, cap *= 2);
        if (!p)
            free(buf);
        buf = p;
    }
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "out of memory reading %s", path);
        return NULL;
    }
    if (n > 0 && buf[n - 1] != '\n')
        buf[n++] = '\n'; /* every line the producer writes ends with a newline */
    *len = n;
    return buf;
}

/* Splits text into lines with the clock at which each is written. */
static line_ref *index_lines(const char *text, size_t len, int home, int away, size_t *nlines)
{
    size_t cap = 64, n = 0;
    line_ref *lines = malloc(cap * sizeof *lines);
    int clock = BS_GAME_SECONDS;
    for (size_t start = 0; lines && start < len;) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = (size_t)(nl - text) + 1;
        bs_event ev;
        char err[BS_ERRLEN];
        if (bs_parse_line(text + start, end - start - 1, home, away, &ev, err) == BS_PARSE_EVENT)
            clock = ev.clock < clock ? ev.clock : clock;
        if (n == cap) {
            line_ref *p = realloc(lines, (cap *= 2) * sizeof *p);
            if (!p)
                free(lines);
            lines = p;
            if (!lines)
                break;
        }
        lines[n++] = (line_ref){end, clock};
        start = end;
    }
    *nlines = n;
    return lines;
}

static void sleep_seconds(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Retries a write until it goes through: the producer must not skip an event. */
static int write_prefix(sim_target *t, const char *text, size_t len, int clock)
{
    cn_error err;
    char clk[8];
    bs_format_clock(clock, clk);
    for (int attempt = 1;; attempt++) {
        if (sim_target_write(t, text, len, &err) == CN_OK)
            break;
        if (err.status != CN_TRANSIENT && err.status != CN_NOT_FOUND) {
            log_msg(LOG_ERROR, "writing %s: %s", sim_target_describe(t), err.msg);
            return -1;
        }
        double wait = attempt < 6 ? 0.25 * (1 << attempt) : 10.0;
        log_msg(LOG_WARN, "writing %s: %s; retry %d in %.1f s", sim_target_describe(t), err.msg, attempt, wait);
        sleep_seconds(wait);
    }
    log_msg(LOG_INFO, "Wrote %s at %s", sim_target_describe(t), clk);
    return 0;
}

static int reset_reference(const sim_config *c, const cn_settings *cs, const bs_ref *random_ref)
{
    cn_results res = {0};
    cn_error err;
    bs_ref ref = {0};
    const bs_ref *rows = random_ref;
    if (!rows) {
        json_error_t je;
        json_t *root = json_load_file(c->reference_data, 0, &je);
        char why[BS_ERRLEN];
        if (!root) {
            log_msg(LOG_ERROR, "%s line %d: %s", c->reference_data, je.line, je.text);
            return -1;
        }
        int bad = bs_ref_from_json(root, &ref, why);
        json_decref(root);
        if (bad) {
            log_msg(LOG_ERROR, "%s: %s", c->reference_data, why);
            return -1;
        }
        rows = &ref;
    }
    char shown[512];
    cn_uri_redact(c->reset_reference, shown, sizeof shown);
    int rc = 0;
    if (cn_results_open(&res, c->reset_reference, cs, &err)) {
        rc = -1;
    } else {
        for (int attempt = 1; (rc = res.ops->write(res.impl, rows, "teams", "players", &err)) != CN_OK; attempt++) {
            if ((err.status != CN_TRANSIENT && err.status != CN_NOT_FOUND) || attempt == 30)
                break;
            log_msg(LOG_WARN, "resetting reference in %s: %s; retrying", shown, err.msg);
            sleep_seconds(attempt < 4 ? 0.5 * attempt : 2.0);
        }
    }
    if (rc)
        log_msg(LOG_ERROR, "resetting teams/players in %s: %s", shown, err.msg);
    else
        log_msg(LOG_INFO, "reset teams (%zu rows) and players (%zu rows) in %s", rows->nteams, rows->nplayers, shown);
    cn_results_close(&res);
    bs_ref_free(&ref);
    return rc ? -1 : 0;
}

static int replay(sim_target *t, const char *text, size_t len, const line_ref *lines, size_t nlines, double delay)
{
    size_t next = 0;
    for (int clock = BS_GAME_SECONDS; clock >= 0 && next < nlines; clock--) {
        size_t upto = next;
        while (upto < nlines && lines[upto].clock >= clock)
            upto++;
        if (upto > next) {
            next = upto;
            if (write_prefix(t, text, lines[upto - 1].end, clock))
                return -1;
        }
        if (clock > 0 && next < nlines)
            sleep_seconds(delay);
    }
    if (next < nlines) /* lines after the 00:00 sentinel: written with it */
        return write_prefix(t, text, len, 0);
    return 0;
}

/* The log lines of the drivers behind the connectors (MongoDB's), already redacted. */
static void connector_log(int level, const char *domain, const char *msg, void *ctx)
{
    (void)ctx;
    log_msg(level == CN_LOG_WARN ? LOG_WARN : level == CN_LOG_INFO ? LOG_INFO : LOG_DEBUG, "%s: %s", domain, msg);
}

int main(int argc, char **argv)
{
    sim_config c = {0};
    char err[512];
    int rc = opt_parse(options, NOPTIONS, &c, argc, argv, err, sizeof err);
    if (rc == 1) {
        opt_help(stdout, usage, options, NOPTIONS);
        return 0;
    }
    if (rc == 2) {
        fprintf(stderr, "gamestream-sim: %s\n", err);
        return 2;
    }
    log_setup("gamestream-sim", !strcmp(c.log_format, "json"), false);

    char target_buf[PATH_MAX + 16];
    if (!strncmp(c.target, "file://", 7) && c.target[7] != '/') {
        /* a relative file:// target (the default) is taken from the working directory */
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return 1;
        snprintf(target_buf, sizeof target_buf, "file://%s/%s", cwd, c.target + 7);
        c.target = target_buf;
    }

    char *secret = opt_secret_or("S3_SECRET_KEY", "PASSWORD");
    char *mssql_pw = opt_secret_or("MSSQL_PASSWORD", "PASSWORD");
    cn_settings cs = {.s3_endpoint = c.s3_endpoint, .s3_access_key = c.s3_access_key,
                      .s3_secret_key = secret ? secret : "", .s3_https = c.s3_https,
                      .max_object_bytes = UINT64_MAX, .mssql_password = mssql_pw ? mssql_pw : "",
                      .timeout_ms = c.timeout_ms};
    cn_error cerr;
    sim_target *t = NULL;
    char *text = NULL;
    size_t len = 0, nlines = 0;
    line_ref *lines = NULL;
    bs_ref rnd = {0};
    rc = 1;

    cn_set_logger(connector_log, NULL);
    if (cn_global_init(&cerr)) {
        log_msg(LOG_ERROR, "%s", cerr.msg);
        goto out;
    }
    if (sim_target_open(&t, c.target, &cs, &cerr)) {
        log_msg(LOG_ERROR, "%s", cerr.msg);
        rc = cerr.status == CN_CONFIG ? 2 : 1;
        goto out;
    }
    if (c.random_seed >= 0) {
        if (bs_random_game((uint64_t)c.random_seed, c.home, c.away, &rnd, &text, &len)) {
            log_msg(LOG_ERROR, "out of memory making random game %d", c.random_seed);
            goto out;
        }
    } else if (!(text = read_file(c.events, &len, err, sizeof err))) {
        log_msg(LOG_ERROR, "%s", err);
        goto out;
    }
    if (c.reset_reference && reset_reference(&c, &cs, c.random_seed >= 0 ? &rnd : NULL))
        goto out;
    if (!(lines = index_lines(text, len, c.home, c.away, &nlines))) {
        log_msg(LOG_ERROR, "out of memory indexing the events");
        goto out;
    }
    for (int attempt = 1; sim_target_prepare(t, &cerr); attempt++) {
        if (cerr.status != CN_TRANSIENT || attempt == 30) {
            log_msg(LOG_ERROR, "preparing %s: %s", sim_target_describe(t), cerr.msg);
            goto out;
        }
        log_msg(LOG_WARN, "preparing %s: %s; retrying", sim_target_describe(t), cerr.msg);
        sleep_seconds(1.0);
    }
    log_msg(LOG_INFO, "replaying %zu lines into %s, %.3f s per game second", nlines, sim_target_describe(t), c.delay);
    rc = replay(t, text, len, lines, nlines, c.delay) ? 1 : 0;
out:
    free(lines);
    free(text);
    bs_ref_free(&rnd);
    sim_target_close(t);
    cn_global_cleanup();
    free(secret);
    free(mssql_pw);
    return rc;
}
