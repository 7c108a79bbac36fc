/*
 * main.c — gamestream-sim: replays a game into a target the way the live producer does.
 *
 * The game clock counts down from 60:00 to 00:00, one game second every DELAY real
 * seconds. Whenever the clock reaches an event's time the whole object is rewritten
 * with every line up to that event. Lines are copied as they are in the events file
 * (bad ones included, so tests can replay them); their clocks are read with the same
 * parser the pipeline uses. --random SEED makes up a game instead, and
 * --reset-reference loads the matching rosters into teams/players first.
 * --games N plays N games at once under a prefix (games.c).
 */
#include <errno.h>
#include <libgen.h>
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
#include "notify.h"
#include "options.h"
#include "process.h"
#include "sim.h"

#ifndef SIM_DATA_DIR
#define SIM_DATA_DIR "sql/data"
#endif

#define OFF(f) .offset = offsetof(sim_config, f)
static const opt_def options[] = {
    {"target", "SIM_TARGET", OPT_STR, NULL, "where to write: file:///abs/gamestream.txt or s3://bucket/key; with --games a prefix ending in /. A URI is absolute, as pipeline's are; none given: var/gamestream.txt in the working directory, where pipeline's default --data-dir var reads", OFF(target)},
    {"events", "EVENTS_FILE", OPT_STR, NULL, "the game to replay, one stream line per event (default: game.txt of the sample data: ../share/sidearm/data beside the program when installed, else the source tree's sql/data)", OFF(events)},
    {"reference-data", "REFERENCE_DATA", OPT_STR, NULL, "teams and players for --reset-reference (default: reference.json of the sample data)", OFF(reference_data)},
    {"reset-reference", "RESET_REFERENCE", OPT_STR, NULL, "reset teams/players here first: sqlite:///abs/db or mssql://user@host:port/sidearmdb", OFF(reset_reference)},
    {"delay", "DELAY", OPT_DOUBLE, "0.25", "real seconds per game second", OFF(delay)},
    {"random", "RANDOM_SEED", OPT_INT, "-1", "replay a random game made from this seed (0 and up) instead of --events; with --games game i is SEED+i", OFF(random_seed)},
    {"home", "HOME_TEAM", OPT_INT, "101", "home team id (for --random and for reading clocks)", OFF(home)},
    {"away", "AWAY_TEAM", OPT_INT, "205", "away team id", OFF(away)},
    OPT_SERVER_ROWS(sim_config, srv),
    OPT_CORE_DUMPS_ROW(sim_config, core_dumps),
    {"log-format", "LOG_FORMAT", OPT_STR, "plain", "plain or json", OFF(log_format), OPT_ONE_OF("plain|json")},
    {"games", "SIM_GAMES", OPT_INT, "0", "play N games at once, each in PREFIX<game-id>/: game.json, then gamestream.txt; random game i plays teams 1000+2(i-1) and 1001+2(i-1), its player ids offset by i*100000; --reset-reference loads all rosters once; 0: one game to --target", OFF(games), OPT_RANGE(0, SIM_MAX_GAMES)},
    {"stagger", "SIM_STAGGER", OPT_DOUBLE, "1.0", "with --games, seconds between the starts of two games", OFF(stagger)},
    {"writers", "SIM_WRITERS", OPT_INT, "1", "with --games, this many threads write the games, game i by thread i mod N; one thread's writes go one at a time, so a store whose PUT takes 30 ms carries ~30 writes a second per thread", OFF(writers), OPT_RANGE(1, SIM_MAX_WRITERS)},
    {"game-prefix", "SIM_GAME_PREFIX", OPT_STR, "game-", "with --games, game ids are this plus the game's number, zero-padded to the width of N, at least 3 digits (game-001)", OFF(game_prefix)},
    {"events-dir", "SIM_EVENTS_DIR", OPT_STR, NULL, "with --games, a game with DIR/<game-id>.txt replays it (teams --home/--away, rosters of --reference-data) instead of a random game", OFF(events_dir)},
    {"kafka-brokers", "KAFKA_BROKERS", OPT_STR, NULL, "after each write, also send the event as MinIO's Kafka target does (key \"<bucket>/<key>\", FNV-1a partitioning) to these brokers, HOST:PORT[,...]", OFF(kafka.brokers)},
    {"kafka-topic", "KAFKA_TOPIC", OPT_STR, NULL, "the topic for --kafka-brokers", OFF(kafka.topic)},
    OPT_KAFKA_TLS_ROWS(sim_config, kafka.security, kafka.ca_file, kafka.sasl_mechanism, kafka.sasl_username),
    {"notify", "SIM_NOTIFY_URL", OPT_STR, NULL, "after each write, POST the MinIO webhook event for it here (http://host:port/minio/events), with Authorization: Bearer $NOTIFY_TOKEN when set; file:// targets: bucket \"\" and the key relative to the target root", OFF(notify)},
};
#define NOPTIONS (sizeof options / sizeof *options)

static const char *const synopsis[] = {
    "[--target URI] [--events FILE | --random SEED] [--delay 0.25]\n[--reset-reference URI]",
    "--games N --target PREFIX/ [--random SEED] [--events-dir DIR]\n[--stagger 1.0] [--delay 0.25] [--writers 1] [--reset-reference URI]",
    NULL,
};

static const char description[] =
    "Replays a game into the target the way the live producer does: the clock counts down\n"
    "from 60:00 and at each event the whole object is rewritten with all lines so far.\n"
    "With --games, plays N games at once, each in PREFIX<game-id>/ (game.json first, then\n"
    "gamestream.txt); game i starts --stagger seconds after game i-1 and uses seed SEED+i.\n"
    "With --notify URL, each write is followed by the MinIO webhook event for it (secret:\n"
    "NOTIFY_TOKEN, sent as a Bearer token); with --kafka-brokers and --kafka-topic, by the\n"
    "message MinIO's Kafka target sends (secret: KAFKA_SASL_PASSWORD).\n";

static const opt_item environment[] = {
    {"S3_SECRET_KEY", "the S3 secret key (else PASSWORD)"},
    {"MSSQL_PASSWORD", "the SQL Server password for --reset-reference (else PASSWORD)"},
    {"PASSWORD", "the password of any server whose own variable is not set"},
    {"NOTIFY_TOKEN", "the Bearer token sent with --notify"},
    {"KAFKA_SASL_PASSWORD", "the Kafka SASL password"},
    {"NAME_FILE", "a file holding the secret NAME (S3_SECRET_KEY_FILE, ...)"},
    {NULL, NULL},
};

static const char environment_note[] =
    "Secrets come from the environment only. A NAME_FILE that cannot be read or is empty,\n"
    "both NAME and NAME_FILE set, or a password inside a URI option is a usage error. Once\n"
    "read, the secret variables leave the environment; core dumps are off unless --core-dumps.\n";

static const opt_item files[] = {
    {"../share/sidearm/data/", "beside the program when installed (else the source tree's sql/data): game.txt, "
                               "the default --events, and reference.json, the default --reference-data"},
    {NULL, NULL},
};

static const opt_item exit_status[] = {
    {"0", "done"},
    {"1", "runtime failure"},
    {"2", "usage error"},
    {NULL, NULL},
};

static int replay(sim_target *t, const char *text, size_t len, const line_ref *lines, size_t nlines, double delay)
{
    size_t next = 0;
    for (int clock = BS_GAME_SECONDS; clock >= 0 && next < nlines; clock--) {
        size_t upto = next;
        while (upto < nlines && lines[upto].clock >= clock)
            upto++;
        if (upto > next) {
            next = upto;
            if (sim_write(t, NULL, text, lines[upto - 1].end, clock))
                return -1;
        }
        if (clock > 0 && next < nlines)
            sim_sleep(delay);
    }
    if (next < nlines) /* lines after the 00:00 sentinel: written with it */
        return sim_write(t, NULL, text, len, 0);
    return 0;
}

/* The log lines of the drivers behind the connectors (MongoDB's), already redacted. */
/* The sample data: <the program's folder>/../share/sidearm/data when installed (under any
 * prefix), else the source tree's sql/data (a build tree's program). */
static const char *sample_data_dir(char *buf, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        int m = snprintf(buf, len, "%s/../share/sidearm/data", dirname(exe));
        if (m > 0 && (size_t)m < len && access(buf, R_OK) == 0)
            return buf;
    }
    return SIM_DATA_DIR;
}

static void connector_log(int level, const char *domain, const char *msg, void *ctx)
{
    (void)ctx;
    log_msg(level == CN_LOG_WARN ? LOG_WARN : level == CN_LOG_INFO ? LOG_INFO : LOG_DEBUG, "%s: %s", domain, msg);
}

/* Every secret the program reads, fallbacks included: they leave the environment once read. */
static const char *const secret_vars[] = {"S3_SECRET_KEY", "MSSQL_PASSWORD", "NOTIFY_TOKEN", "KAFKA_SASL_PASSWORD",
                                          "PASSWORD"};

int main(int argc, char **argv)
{
    if (proc_std_fds()) /* first: no later descriptor may become stdout or stderr */
        return 1;
    sim_config c = {0};
    char err[512];
    int rc = opt_parse(options, NOPTIONS, &c, argc, argv, err, sizeof err);
    if (rc == OPT_HELP || rc == OPT_VERSION || rc == OPT_MAN) {
        const opt_program prog = {
            .name = "gamestream-sim", .version = PL_VERSION,
            .summary = "replay a lacrosse game stream the way the live producer writes it", .synopsis = synopsis,
            .description = description, .environment = environment, .environment_note = environment_note,
            .files = files, .exit_status = exit_status, .see_also = "pipeline(1)",
        };
        return opt_print(stdout, rc, &prog, options, NOPTIONS) ? 1 : 0;
    }
    if (rc == OPT_USAGE) {
        fprintf(stderr, "gamestream-sim: %s\n", err);
        return 2;
    }
    log_setup("gamestream-sim", !strcmp(c.log_format, "json"), false);
    if (opt_server_check(&c.srv, err, sizeof err)) {
        fprintf(stderr, "gamestream-sim: %s\n", err);
        return 2;
    }
    opt_server_warn(&c.srv);

    char data_buf[PATH_MAX], events_buf[PATH_MAX + 16], ref_buf[PATH_MAX + 16];
    if (!c.events || !c.reference_data) {
        const char *data = sample_data_dir(data_buf, sizeof data_buf);
        if (!c.events) {
            snprintf(events_buf, sizeof events_buf, "%s/game.txt", data);
            c.events = events_buf;
        }
        if (!c.reference_data) {
            snprintf(ref_buf, sizeof ref_buf, "%s/reference.json", data);
            c.reference_data = ref_buf;
        }
    }

    char target_buf[PATH_MAX + 32];
    if (!c.target) {
        /* the one rule of both programs: URIs are absolute; what is not given is found under
         * var/ of the working directory (pipeline's default --data-dir) */
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) {
            fprintf(stderr, "gamestream-sim: cannot tell the working directory for the default target: %s\n",
                    strerror(errno));
            return 1;
        }
        snprintf(target_buf, sizeof target_buf, "file://%s/var/%s", cwd, BS_STREAM_NAME);
        c.target = target_buf;
    }

    if (opt_uri_no_password("target", c.target, err, sizeof err) ||
        opt_uri_no_password("reset-reference", c.reset_reference, err, sizeof err) ||
        opt_uri_no_password("notify", c.notify, err, sizeof err)) {
        fprintf(stderr, "gamestream-sim: %s\n", err);
        return 2;
    }
    if (proc_protect_secrets(c.core_dumps))
        log_msg(LOG_WARN, "could not turn core dumps off (RLIMIT_CORE, PR_SET_DUMPABLE): a core file would hold the secrets");
    char *secret = NULL, *mssql_pw = NULL, *token = NULL, *kafka_pw = NULL;
    bool bad_secret = opt_secret_or("S3_SECRET_KEY", "PASSWORD", &secret, err, sizeof err) ||
                      opt_secret_or("MSSQL_PASSWORD", "PASSWORD", &mssql_pw, err, sizeof err) ||
                      opt_secret("NOTIFY_TOKEN", &token, err, sizeof err) ||
                      opt_secret("KAFKA_SASL_PASSWORD", &kafka_pw, err, sizeof err);
    for (size_t i = 0; i < sizeof secret_vars / sizeof *secret_vars; i++)
        opt_secret_forget(secret_vars[i]);
    if (bad_secret) {
        fprintf(stderr, "gamestream-sim: %s\n", err);
        opt_secret_free(secret);
        opt_secret_free(mssql_pw);
        opt_secret_free(token);
        opt_secret_free(kafka_pw);
        return 2;
    }
    c.kafka.sasl_password = kafka_pw;
    cn_settings cs = {.max_object_bytes = UINT64_MAX, .mssql_password = mssql_pw ? mssql_pw : ""};
    opt_server_apply(&c.srv, secret, &cs);
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
    /* file:// keys are relative to the prefix (--games) or to the stream's folder */
    char root[PATH_MAX + 16] = "";
    if (!strncmp(c.target, "file://", 7)) {
        snprintf(root, sizeof root, "%s", c.target + 7);
        char *d = c.games == 0 ? dirname(root) : root;
        memmove(root, d, strlen(d) + 1);
    }
    if (sim_notify_init(c.notify, token, root, c.srv.timeout_ms) ||
        sim_notify_kafka_init(&c.kafka, root, c.srv.timeout_ms))
        goto out;
    if (c.games > 0) {
        rc = sim_play_games(&c, &cs);
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
    } else if (!(text = sim_read_file(c.events, &len, err, sizeof err))) {
        log_msg(LOG_ERROR, "%s", err);
        goto out;
    }
    if (c.random_seed < 0 && c.reset_reference && sim_load_reference_data(&c, &rnd))
        goto out;
    if (c.reset_reference && sim_reset_reference(&c, &cs, &rnd))
        goto out;
    if (!(lines = sim_index_lines(text, len, c.home, c.away, &nlines))) {
        log_msg(LOG_ERROR, "out of memory indexing the events");
        goto out;
    }
    if (sim_prepare(t))
        goto out;
    log_msg(LOG_INFO, "replaying %zu lines into %s, %.3f s per game second", nlines, sim_target_describe(t), c.delay);
    rc = replay(t, text, len, lines, nlines, c.delay) ? 1 : 0;
out:
    free(lines);
    free(text);
    bs_ref_free(&rnd);
    sim_target_close(t);
    sim_notify_cleanup();
    cn_global_cleanup();
    opt_secret_free(secret);
    opt_secret_free(mssql_pw);
    opt_secret_free(token);
    opt_secret_free(kafka_pw);
    return rc;
}
