/*
 * main.c — the `pipeline` program: options, secrets, logging, then pl_run().
 *
 * Every option is declared once in `options[]` below; --help is generated from it.
 * Defaults are the embedded backends under --data-dir, so the program runs with no
 * servers at all. Secrets come only from the environment or VAR_FILE files.
 */
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "kafka.h"
#include "log.h"
#include "options.h"
#include "pipeline.h"
#include "process.h"
#include "server_options.h"

typedef struct main_config {
    pl_config pl;
    const char *data_dir;
    opt_server srv;
    const char *mongo_wc, *mongo_db, *mongo_coll, *cache_control;
    int max_object_mib;
    bool core_dumps;
} main_config;

#define OFF(f) .offset = offsetof(main_config, f) /* designated: the range fields after it may be left out */
static const opt_def options[] = {
    {"source", "PIPELINE_SOURCE", OPT_STR, NULL, "stream to tail: file:///abs/gamestream.txt or s3://bucket/key", OFF(pl.source)},
    {"reference", "PIPELINE_REFERENCE", OPT_STR, NULL, "teams/players: sqlite:///abs/db or mssql://user@host:port/sidearmdb", OFF(pl.reference)},
    {"boxscores", "PIPELINE_BOXSCORES", OPT_LIST, NULL, "box-score sink: file:///abs/dir, mongodb://user@host:port/sidearm.boxscores or s3://bucket/prefix/ (<prefix><game>/latest.json); give it again for more sinks at once (up to 4; the variable: URIs apart by spaces), each written on its own", OFF(pl.boxscores)},
    {"results", "PIPELINE_RESULTS", OPT_STR, NULL, "teams2/players2: sqlite:///abs/db or mssql://user@host:port/sidearmdb", OFF(pl.results)},
    {"data-dir", "PIPELINE_DATA_DIR", OPT_STR, "var", "where the embedded defaults live when a URI above is not given", OFF(data_dir)},
    {"home", "HOME_TEAM", OPT_INT, "101", "team id of the home team", OFF(pl.home), OPT_AT_LEAST(1)},
    {"away", "AWAY_TEAM", OPT_INT, "205", "team id of the away team", OFF(pl.away), OPT_AT_LEAST(1)},
    {"game", "GAME_ID", OPT_STR, "game-1", "game id written into every document", OFF(pl.game)},
    {"poll-ms", "POLL_MS", OPT_INT, "250", "how often to poll the source, in milliseconds", OFF(pl.poll_ms), OPT_AT_LEAST(1)},
    {"safety-poll-ms", "SAFETY_POLL_MS", OPT_INT, "5000", "poll interval while MinIO notifications flow (one named a followed stream in the last minute; under a prefix, once one named one of its games), and for a file:// prefix whose folders are all watched on a local file system, in milliseconds; never faster than --poll-ms", OFF(pl.safety_poll_ms), OPT_AT_LEAST(1)},
    {"once", "PIPELINE_ONCE", OPT_FLAG, NULL, "process what the source holds now, write, and exit", OFF(pl.once)},
    {"follow", "PIPELINE_FOLLOW", OPT_FLAG, NULL, "after the final whistle keep watching for a restarted game", OFF(pl.follow)},
    {"log-format", "LOG_FORMAT", OPT_STR, "plain", "plain or json", OFF(pl.log_format), OPT_ONE_OF("plain|json")},
    {"verbose", "PIPELINE_VERBOSE", OPT_FLAG, NULL, "also log every applied event", OFF(pl.verbose)},
    {"queue-max", "QUEUE_MAX", OPT_INT, "10000", "box-score writes held while the sink is down", OFF(pl.queue_max), OPT_AT_LEAST(1)},
    {"queue-max-mib", "QUEUE_MAX_MIB", OPT_INT, "64", "size bound of the held writes, in MiB; past it box scores coalesce into the newest", OFF(pl.queue_max_mib), OPT_AT_LEAST(1)},
    {"queue-total-mib", "QUEUE_TOTAL_MIB", OPT_INT, "128", "size bound of the held writes of all games together, in MiB", OFF(pl.queue_total_mib), OPT_AT_LEAST(1)},
    {"reload-min-ms", "RELOAD_MIN_MS", OPT_INT, "30000", "least time between reference reloads for an unknown jersey or team", OFF(pl.reload_min_ms), OPT_AT_LEAST(0)},
    {"reference-max-age-ms", "REFERENCE_MAX_AGE_MS", OPT_INT, "1000", "a game's run that begins uses the reference if its last read began at most this long ago, in milliseconds; else it reads it again (0: always)", OFF(pl.reference_max_age_ms), OPT_AT_LEAST(0)},
    {"sink-lanes", "SINK_LANES", OPT_INT, "4", "box-score writes in flight at once, for different games", OFF(pl.sink_lanes), OPT_RANGE(1, PL_SINK_LANES_MAX)},
    {"fold-slice-us", "FOLD_SLICE_US", OPT_INT, "2000", "longest the loop folds before it serves timers and signals, in microseconds", OFF(pl.fold_slice_us), OPT_AT_LEAST(1)},
    {"backoff-max-ms", "BACKOFF_MAX_MS", OPT_INT, "10000", "cap of the retry delay, in milliseconds", OFF(pl.backoff_max_ms), OPT_AT_LEAST(1)},
    {"once-attempts", "ONCE_ATTEMPTS", OPT_INT, "5", "with --once, tries a failing server gets", OFF(pl.once_attempts), OPT_AT_LEAST(1)},
    {"stall-after", "STALL_AFTER", OPT_INT, "600", "seconds without a change in an in-progress game's stream before it is shown as stalled (0: never)", OFF(pl.stall_after_s), OPT_AT_LEAST(0)},
    {"health-file", "HEALTH_FILE", OPT_STR, NULL, "touch this file on every poll tick (for container healthchecks)", OFF(pl.health_file)},
    {"metrics-file", "METRICS_FILE", OPT_STR, NULL, "write the Prometheus metrics to this file every 10 s and at exit, atomically (node_exporter textfile)", OFF(pl.metrics_file)},
    {"grace-ms", "SHUTDOWN_GRACE_MS", OPT_INT, "5000", "after SIGINT/SIGTERM/SIGHUP, how long pending writes may still go out", OFF(pl.grace_ms), OPT_AT_LEAST(0)},
    {"http", "HTTP_LISTEN", OPT_STR, "127.0.0.1:8080", "ADDR:PORT of the HTTP API, health and metrics server; off disables it; with --once off unless given", OFF(pl.http_listen)},
    {"http-max-conns", "HTTP_MAX_CONNS", OPT_INT, "256", "HTTP connections open at once, SSE streams apart; more are closed at accept", OFF(pl.http_max_conns), OPT_RANGE(1, 100000)},
    {"http-max-sse", "HTTP_MAX_SSE", OPT_INT, "512", "Server-Sent Events streams open at once; more get 503", OFF(pl.http_max_sse), OPT_RANGE(1, 100000)},
    {"http-max-sse-per-peer", "HTTP_MAX_SSE_PER_PEER", OPT_INT, "0", "Server-Sent Events streams open at once from one client address, more get 503 (0: no cap; behind a proxy every viewer has its address)", OFF(pl.http_max_sse_per_peer), OPT_RANGE(0, 100000)},
    {"http-header-timeout-s", "HTTP_HEADER_TIMEOUT_S", OPT_INT, "5", "a request's headers must arrive within this many seconds (and an idle keep-alive connection closes)", OFF(pl.http_header_timeout_s), OPT_AT_LEAST(1)},
    {"http-body-timeout-s", "HTTP_BODY_TIMEOUT_S", OPT_INT, "10", "a request's body must arrive within this many seconds of its headers; a slower one gets 408 and the connection closes", OFF(pl.http_body_timeout_s), OPT_AT_LEAST(1)},
    {"http-max-header-bytes", "HTTP_MAX_HEADER_BYTES", OPT_INT, "8192", "largest request header block, in bytes; a larger one closes the connection", OFF(pl.http_max_header_bytes), OPT_RANGE(1024, 65535)},
    {"http-max-body-kib", "HTTP_MAX_BODY_KIB", OPT_INT, "1024", "largest request body, in KiB; a larger one gets 413", OFF(pl.http_max_body_kib), OPT_AT_LEAST(1)},
    {"cors-origins", "CORS_ORIGINS", OPT_STR, NULL, "origins (scheme://host[:port], apart by commas or spaces; * for any) whose web pages may read the API and its event streams from a browser (CORS: preflights answered, Access-Control-Allow-Origin sent); unset: same origin only, no CORS header", OFF(pl.cors_origins)},
    {"sse-backlog-kib", "SSE_BACKLOG_KIB", OPT_INT, "256", "an SSE client whose unsent data passes this many KiB is dropped", OFF(pl.sse_backlog_kib), OPT_AT_LEAST(1)},
    {"kafka-brokers", "KAFKA_BROKERS", OPT_STR, NULL, "HOST:PORT[,...] of the Kafka cluster MinIO notifies: this instance joins --kafka-group and follows the games of the partitions assigned to it (prefix source only)", OFF(pl.kafka_brokers)},
    {"kafka-topic", "KAFKA_TOPIC", OPT_STR, NULL, "the topic of MinIO's Kafka notification target", OFF(pl.kafka_topic)},
    {"kafka-group", "KAFKA_GROUP", OPT_STR, NULL, "the consumer group every pipeline of one game day joins", OFF(pl.kafka_group)},
    OPT_KAFKA_TLS_ROWS(main_config, pl.kafka_security, pl.kafka_ca_file, pl.kafka_sasl_mechanism, pl.kafka_sasl_username),
    {"kafka-session-timeout-ms", "KAFKA_SESSION_TIMEOUT_MS", OPT_INT, "10000", "how long the group waits for a silent member before its partitions move to the others, in milliseconds", OFF(pl.kafka_session_timeout_ms)},
    {"kafka-debug", "KAFKA_DEBUG", OPT_STR, NULL, "librdkafka debug contexts to log (e.g. cgrp,consumer): what the group and the consumer do, to diagnose a slow rebalance", OFF(pl.kafka_debug)},
    {"max-object-mib", "MAX_OBJECT_MIB", OPT_INT, "64", "largest stream object accepted, in MiB", OFF(max_object_mib), OPT_AT_LEAST(1)},
    OPT_SERVER_ROWS(main_config, srv),
    OPT_CORE_DUMPS_ROW(main_config, core_dumps),
    {"mongo-write-concern", "MONGO_WRITE_CONCERN", OPT_STR, "majority", "MongoDB write concern: majority, 1, 0", OFF(mongo_wc)},
    {"mongo-database", "MONGO_DATABASE", OPT_STR, "sidearm", "MongoDB database, when the URI path names none", OFF(mongo_db)},
    {"mongo-collection", "MONGO_COLLECTION", OPT_STR, "boxscores", "MongoDB collection, when the URI path names none", OFF(mongo_coll)},
    {"index-interval-ms", "INDEX_INTERVAL_MS", OPT_INT, "5000", "<prefix>index.json, the scoreboard of every game the s3:// box-score sink wrote (what /v1/games shows), is rewritten at most this often; 0: no index.json", OFF(pl.index_interval_ms), OPT_RANGE(0, 3600000)},
    {"boxscores-cache-control", "BOXSCORES_CACHE_CONTROL", OPT_STR, "public, max-age=5", "Cache-Control of each <prefix><game>/latest.json the s3:// box-score sink writes (what a CDN and browsers may cache)", OFF(cache_control)},
};
#define NOPTIONS (sizeof options / sizeof *options)

static const char *const synopsis[] = {
    "--source URI --reference URI --boxscores URI --results URI\n"
    "[--home 101] [--away 205] [--game ID] [--poll-ms 250] [--once] [--follow]",
    "--source PREFIX/ --reference URI --boxscores URI --results URI [--once]",
    NULL,
};

static const char description[] =
    "Tails a live lacrosse game stream, upserts a box-score document after each event,\n"
    "and writes teams2/players2 once when the game is final. With one stream it exits 0\n"
    "after the final unless --follow; a --source ending in / follows every game under the\n"
    "prefix (one folder per game) until a signal: that is how a service runs a game day.\n"
    "\n"
    "SIGINT, SIGTERM and SIGHUP stop polling, write what is pending for --grace-ms, and exit;\n"
    "a second one stops after the write in progress. Under nohup SIGHUP stays ignored.\n"
    "The descriptor limit (RLIMIT_NOFILE) is raised to its hard limit at start.\n";

static const opt_item environment[] = {
    {"S3_SECRET_KEY", "the S3 secret key (else PASSWORD)"},
    {"MSSQL_PASSWORD", "the SQL Server password (else PASSWORD)"},
    {"MONGO_PASSWORD", "the MongoDB password (else PASSWORD)"},
    {"PASSWORD", "the password of any server whose own variable is not set"},
    {"KAFKA_SASL_PASSWORD", "the Kafka SASL password"},
    {"NOTIFY_TOKEN", "the Bearer token POST /minio/events requires when set"},
    {"NAME_FILE", "a file holding the secret NAME (S3_SECRET_KEY_FILE, ...)"},
    {"CREDENTIALS_DIRECTORY", "systemd's credentials: sidearm_NAME is read when neither NAME nor NAME_FILE is set"},
    {NULL, NULL},
};

static const char environment_note[] =
    "Secrets come from the environment only. When neither NAME nor NAME_FILE is set, the\n"
    "systemd credential sidearm_NAME (lower case, '-' for '_', in $CREDENTIALS_DIRECTORY)\n"
    "is read if it is there. A NAME_FILE that cannot be read or is empty, both NAME and\n"
    "NAME_FILE set, or a password inside a URI option is a configuration error (exit 2).\n"
    "Once read, the secret variables leave the environment; core dumps are off unless\n"
    "--core-dumps.\n";

static const opt_item files[] = {
    {"DATA_DIR/gamestream.txt", "the stream when --source is not given (DATA_DIR: --data-dir)"},
    {"DATA_DIR/sidearm.db", "reference and results when --reference and --results are not given"},
    {"DATA_DIR/boxscores/", "the box scores when --boxscores is not given"},
    {"/etc/default/sidearm-pipeline", "the settings of the packaged service sidearm-pipeline.service"},
    {"/etc/sidearm/credentials/", "the secrets of the packaged service, as systemd credentials"},
    {"/usr/share/sidearm/sql/", "the SQL seeds (sqlite/seed.sql, mssql/seed.sql) and the Drill queries"},
    {NULL, NULL},
};

static const opt_item exit_status[] = {
    {"0", "done"},
    {"1", "runtime failure (a server refused credentials, results could not be written, ...)"},
    {"2", "usage or configuration error, with a message saying what to fix"},
    {NULL, NULL},
};

/* The embedded default for a URI option: DIR/name as a file:// or sqlite:// URI. */
static const char *embedded(const char *scheme, const char *dir, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s://%s/%s", scheme, dir, name);
    return buf;
}

/* The log lines of the drivers behind the connectors (MongoDB's), already redacted. */
static void connector_log(int level, const char *domain, const char *msg, void *ctx)
{
    (void)ctx;
    log_msg(level == CN_LOG_WARN ? LOG_WARN : level == CN_LOG_INFO ? LOG_INFO : LOG_DEBUG, "%s: %s", domain, msg);
}

/* Every secret the program reads, fallbacks included: they leave the environment once read. */
static const char *const secret_vars[] = {"S3_SECRET_KEY", "MSSQL_PASSWORD", "MONGO_PASSWORD", "NOTIFY_TOKEN",
                                          "KAFKA_SASL_PASSWORD", "PASSWORD"};

/* The checks that need no server and no secret: each fills err with a sentence naming the option. */
static int config_check(main_config *mc, char *err, size_t errlen)
{
    pl_config *c = &mc->pl;
    if (opt_server_check(&mc->srv, err, errlen))
        return -1;
    if (c->home == c->away) {
        snprintf(err, errlen, "--home and --away must be two different team ids (both are %d)", c->home);
        return -1;
    }
    /* a batch run serves HTTP only when asked: two at once on one host must not collide */
    if (c->once && opt_is_default(options, NOPTIONS, mc, "http"))
        c->http_listen = "off";
    if (http_check_config(c, err, errlen))
        return -1;
    if (kafka_wanted(c)) {
        size_t sl = c->source ? strlen(c->source) : 0;
        const char *why = !c->kafka_brokers || !*c->kafka_brokers ? "--kafka-brokers is missing"
                          : !c->kafka_topic || !*c->kafka_topic   ? "--kafka-topic is missing"
                          : !c->kafka_group || !*c->kafka_group   ? "--kafka-group is missing"
                          : sl == 0 || c->source[sl - 1] != '/'   ? "--source must be a prefix (ending in '/')"
                          : c->once                               ? "--once does not join a group"
                          : c->kafka_session_timeout_ms < 1000    ? "--kafka-session-timeout-ms must be at least 1000"
                                                                  : NULL;
        if (why) {
            snprintf(err, errlen, "Kafka intake: %s (--kafka-brokers, --kafka-topic and --kafka-group go "
                     "together, with --source s3://bucket/prefix/ or file:///dir/)", why);
            return -1;
        }
    }
    char gerr[BS_ERRLEN];
    if (!bs_game_id_valid(c->game, gerr)) {
        snprintf(err, errlen, "--game: %s", gerr);
        return -1;
    }
    if (opt_uri_no_password("source", c->source, err, errlen) ||
        opt_uri_no_password("reference", c->reference, err, errlen) ||
        opt_uri_no_password("results", c->results, err, errlen))
        return -1;
    if (c->boxscores.n > PL_BSINKS_MAX) {
        snprintf(err, errlen, "--boxscores: at most %d box-score sinks (got %d)", PL_BSINKS_MAX, c->boxscores.n);
        return -1;
    }
    for (int i = 0; i < c->boxscores.n; i++)
        if (opt_uri_no_password("boxscores", c->boxscores.v[i], err, errlen))
            return -1;
    return 0;
}

int main(int argc, char **argv)
{
    /* first of all: with fd 1 or 2 closed, libuv's epoll descriptor or a socket would
     * become "stderr", get log lines, and its close assert (exit 134) */
    if (proc_std_fds())
        return PL_EXIT_RUNTIME;
    unsigned long long nofile_was, nofile_now;
    int nofile_rc = proc_raise_nofile(&nofile_was, &nofile_now);
    main_config mc = {0};
    char err[512];
    int rc = opt_parse(options, NOPTIONS, &mc, argc, argv, err, sizeof err);
    if (rc == OPT_HELP || rc == OPT_VERSION || rc == OPT_MAN) {
        size_t len = cn_describe(NULL, 0) + 1;
        char *backends = malloc(len);
        if (!backends)
            return PL_EXIT_RUNTIME;
        cn_describe(backends, len);
        const opt_program prog = {
            .name = "pipeline", .version = PL_VERSION, .summary = "tail live lacrosse game streams into box scores",
            .synopsis = synopsis, .description = description, .environment = environment,
            .environment_note = environment_note, .files = files, .exit_status = exit_status,
            .see_also = "gamestream-sim(1), systemd.exec(5), sqlite3(1)",
            .table_title = "Backends by URI scheme", .table = backends,
        };
        rc = opt_print(stdout, rc, &prog, options, NOPTIONS);
        free(backends);
        opt_list_free(&mc.pl.boxscores);
        return rc ? PL_EXIT_RUNTIME : PL_EXIT_OK;
    }
    if (rc == OPT_USAGE) {
        fprintf(stderr, "pipeline: %s\n", err);
        opt_list_free(&mc.pl.boxscores);
        return PL_EXIT_USAGE;
    }
    pl_config *c = &mc.pl;
    bool json = !strcmp(c->log_format, "json"); /* the ranges are the option table's (opt_parse) */
    if (config_check(&mc, err, sizeof err)) {
        fprintf(stderr, "pipeline: %s\n", err);
        opt_list_free(&c->boxscores);
        return PL_EXIT_USAGE;
    }
    /* before any secret is read: no core file, no same-user reader of this memory */
    int protect_rc = proc_protect_secrets(mc.core_dumps);
    char *s3_secret = NULL, *mssql_pw = NULL, *mongo_pw = NULL, *notify_token = NULL, *kafka_pw = NULL;
    if (opt_secret_or("S3_SECRET_KEY", "PASSWORD", &s3_secret, err, sizeof err) ||
        opt_secret_or("MSSQL_PASSWORD", "PASSWORD", &mssql_pw, err, sizeof err) ||
        opt_secret_or("MONGO_PASSWORD", "PASSWORD", &mongo_pw, err, sizeof err) ||
        opt_secret("NOTIFY_TOKEN", &notify_token, err, sizeof err) || /* never logged, never an option */
        opt_secret("KAFKA_SASL_PASSWORD", &kafka_pw, err, sizeof err)) {
        fprintf(stderr, "pipeline: %s\n", err);
        rc = PL_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof secret_vars / sizeof *secret_vars; i++)
        opt_secret_forget(secret_vars[i]);
    if (rc == PL_EXIT_USAGE)
        goto out;
    /* a closed stderr (`pipeline ... 2>&1 | head -1`) must not end the run: writes to it
     * fail with EPIPE and logging goes on without it */
    signal(SIGPIPE, SIG_IGN);
    log_setup("pipeline", json, c->verbose);
    opt_server_warn(&mc.srv);
    if (protect_rc)
        log_msg(LOG_WARN, "could not turn core dumps off (RLIMIT_CORE, PR_SET_DUMPABLE): a core file would hold the secrets");
    if (nofile_rc)
        log_msg(LOG_WARN, "could not raise the descriptor limit (RLIMIT_NOFILE) above %llu", nofile_was);
    else if (nofile_now > nofile_was)
        log_msg(LOG_INFO, "descriptor limit (RLIMIT_NOFILE) raised from %llu to its hard limit, %llu", nofile_was, nofile_now);
    else
        log_msg(LOG_DEBUG, "descriptor limit (RLIMIT_NOFILE): %llu, its hard limit", nofile_now);

    char dir[PATH_MAX], src[PATH_MAX + 32], ref[PATH_MAX + 32], box[PATH_MAX + 32], res[PATH_MAX + 32];
    if (!realpath(mc.data_dir, dir))
        snprintf(dir, sizeof dir, "%s", mc.data_dir);
    if (!c->source)
        c->source = embedded("file", dir, BS_STREAM_NAME, src, sizeof src);
    if (!c->reference)
        c->reference = embedded("sqlite", dir, "sidearm.db", ref, sizeof ref);
    if (!c->boxscores.n)
        c->boxscores.v[c->boxscores.n++] = embedded("file", dir, "boxscores", box, sizeof box);
    if (!c->results)
        c->results = embedded("sqlite", dir, "sidearm.db", res, sizeof res);

    c->notify_token = notify_token && *notify_token ? notify_token : NULL;
    c->kafka_sasl_password = kafka_pw;
    c->conn = (cn_settings){
        .max_object_bytes = (uint64_t)mc.max_object_mib << 20,
        .mssql_password = mssql_pw ? mssql_pw : "",
        .mongo_password = mongo_pw,
        .mongo_write_concern = mc.mongo_wc,
        .mongo_database = mc.mongo_db,
        .mongo_collection = mc.mongo_coll,
        .cache_control = mc.cache_control,
    };
    opt_server_apply(&mc.srv, s3_secret, &c->conn);
    const char *tunables = getenv("GLIBC_TUNABLES");
    c->malloc_untuned = !tunables || !strstr(tunables, "glibc.malloc.tcache_count=");
    /* libuv's worker threads run the reads (the writes have their own threads, pool.h):
     * as many as before the writes moved, so a burst of stream reads after a push (one
     * per game, thousands at 10,000 games) is not slower, beside the reference, the
     * listing and the game.json reads */
    if (!getenv("UV_THREADPOOL_SIZE")) {
        char n[16];
        snprintf(n, sizeof n, "%d", c->sink_lanes * c->boxscores.n + 4 + PL_MANIFEST_LANES);
        setenv("UV_THREADPOOL_SIZE", n, 0);
    }
    cn_error cerr = {0};
    cn_set_logger(connector_log, NULL);
    if (cn_global_init(&cerr)) {
        log_msg(LOG_ERROR, "%s", cerr.msg);
        rc = PL_EXIT_RUNTIME;
    } else {
        rc = pl_run(c);
        cn_global_cleanup();
    }
out:
    opt_secret_free(s3_secret);
    opt_secret_free(mssql_pw);
    opt_secret_free(mongo_pw);
    opt_secret_free(notify_token);
    opt_secret_free(kafka_pw);
    opt_list_free(&c->boxscores);
    return rc;
}
