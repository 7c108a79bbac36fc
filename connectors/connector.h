/*
 * connector.h — one small interface per role, one backend per URI scheme.
 *
 *   role              schemes             used for
 *   stream source     file://  s3://      reading what is new in gamestream.txt
 *   reference reader  sqlite:// mssql://  the `teams` and `players` rows
 *   box-score sink    file://  mongodb:// upserting box-score documents and rejected lines
 *   results sink      sqlite:// mssql://  writing `teams2` and `players2` at the end
 *   stream target     file://  s3://      replacing a stream object whole (gamestream-sim)
 *
 * Every operation is a plain blocking call that makes at most one attempt, with its
 * own timeouts, and reports a cn_status plus a message naming the server and the
 * object. The pipeline runs these calls on worker threads and owns retries and
 * backoff, so a slow server never stalls the event loop. A connector is used by one
 * thread at a time. Connectors never print and never exit.
 */
#ifndef CONNECTOR_H
#define CONNECTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "boxscore.h"

typedef enum cn_status {
    CN_OK = 0,
    CN_NOT_FOUND,   /* the object, bucket or table is not there yet: keep waiting */
    CN_TRANSIENT,   /* refused, timed out, 5xx: worth retrying with backoff */
    CN_AUTH,        /* credentials refused: retrying will not help */
    CN_CONFIG,      /* the URI or an option is wrong */
    CN_INPUT,       /* the data itself is unacceptable (too large, malformed) */
    CN_FATAL,       /* anything else: out of memory, local I/O error */
    CN_CONFLICT     /* the game id is held by another source (another day's game): refuse the game */
} cn_status;

/* What a CN_TRANSIENT failure ran short of in this process itself, not in a server. */
typedef enum cn_shortage { CN_SHORT_NONE = 0, CN_SHORT_DESCRIPTORS, CN_SHORT_SPACE } cn_shortage;

typedef struct cn_error {
    cn_status status;
    cn_shortage shortage; /* CN_TRANSIENT because this process ran out of descriptors or space, not a server */
    char msg[512];
} cn_error;

/* Names a status ("transient", "auth", ...). */
const char *cn_status_name(cn_status s);
/* How often connector calls, on any thread, ran out of a local resource since the
 * process started: descriptors (EMFILE, ENFILE) or disk space (ENOSPC, EDQUOT). Each is
 * CN_TRANSIENT: it passes when other calls close files or an operator frees space. */
typedef struct cn_exhaustion {
    uint64_t descriptors, space;
} cn_exhaustion;
cn_exhaustion cn_exhaustion_counts(void);

/* Fills err and returns status: the one way connectors report failure. */
cn_status cn_fail(cn_error *err, cn_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Settings shared by the backends, filled by the pipeline from its options. */
typedef struct cn_settings {
    const char *s3_endpoint;        /* host:port */
    const char *s3_access_key;
    const char *s3_secret_key;      /* secret: never logged */
    bool s3_https;
    const char *s3_signature;       /* "v4" (NULL or "": v4) or "v2" (libs3) */
    const char *s3_region;          /* SigV4 region; NULL or "": us-east-1 */
    const char *s3_ca_file;         /* PEM CA bundle for HTTPS; NULL: the system's */
    bool s3_insecure;               /* HTTPS without certificate verification (tests only) */
    uint64_t max_object_bytes;      /* cap on the stream object */
    const char *mssql_password;     /* secret: never logged */
    const char *mongo_password;     /* secret: used when the URI has none */
    const char *mongo_write_concern; /* "majority", "1", ... */
    const char *mongo_database;     /* used when the URI path names none */
    const char *mongo_collection;   /* used when the URI path names none */
    int timeout_ms;                 /* per request */
    bool per_game_keys;             /* games under a prefix: sinks key documents by (game, event_id) */
    const char *cache_control;      /* the s3:// box-score sink's Cache-Control (NULL: public, max-age=5) */
    const atomic_int *cancel;       /* when set and non-zero, reads give up early (shutdown) */
} cn_settings;

/* ---------------------------------------------------------------- URIs */

typedef struct cn_uri {
    char scheme[16];
    char user[128];
    char password[256];
    char host[256];
    int port;           /* 0 when absent */
    char path[1024];    /* percent-decoded, leading '/' kept */
    char query[512];
} cn_uri;

/* Splits scheme://[user[:password]@]host[:port]/path[?query]. */
cn_status cn_uri_parse(const char *text, cn_uri *u, cn_error *err);
/* Copies uri into out with any password replaced by "***". */
void cn_uri_redact(const char *uri, char *out, size_t outlen);
/* Copies uri into out without its user:password@ (a game's source, as documents and
 * game_sources record it: the same whoever reads it, and never a secret). */
void cn_uri_source(const char *uri, char *out, size_t outlen);

/* ---------------------------------------------------------------- logging */

/* Connectors never print: what a driver logs (MongoDB's warnings) goes to the
 * program's logger, with any user:password@ in it hidden. Set it before
 * cn_global_init; without one, driver lines are dropped. */
enum { CN_LOG_DEBUG, CN_LOG_INFO, CN_LOG_WARN };
typedef void (*cn_log_fn)(int level, const char *domain, const char *msg, void *ctx);
void cn_set_logger(cn_log_fn fn, void *ctx);

/* ---------------------------------------------------------------- roles */

/* What one poll of a stream source found. */
typedef struct cn_chunk {
    const char *data;   /* every new byte (a partial last line too), owned by the source until its next poll */
    size_t len;
    bool restart;       /* the stream was rewritten from the start: data begins at offset 0 */
    uint64_t offset;    /* where data starts in the object */
    uint64_t size;      /* the object's size when it was read */
    uint64_t transferred; /* bytes this poll read from the file or the network */
} cn_chunk;

typedef struct cn_source_ops {
    const char *scheme;
    const char *description;
    cn_status (*open)(void **impl, const cn_uri *uri, const cn_settings *cfg, cn_error *err);
    /* Reads what is new since the last poll. */
    cn_status (*poll)(void *impl, cn_chunk *out, cn_error *err);
    void (*close)(void *impl);
} cn_source_ops;

typedef struct cn_reference_ops {
    const char *scheme;
    const char *description;
    cn_status (*open)(void **impl, const cn_uri *uri, const cn_settings *cfg, cn_error *err);
    /* Reads every row of teams and players into an empty ref (sorted by id). */
    cn_status (*load)(void *impl, bs_ref *out, cn_error *err);
    void (*close)(void *impl);
} cn_reference_ops;

/* One box-score document as the pipeline serialised it, once: the sink stores these
 * bytes (the directory sink as they are; MongoDB as the BSON they read as), so what the
 * sink holds and what the HTTP API serves never differ. */
typedef struct cn_doc {
    const char *game;   /* its "game" field */
    long id;            /* its event id: "_id" (one game) and "event_id" */
    const char *text;   /* compact JSON, one object, UTF-8 */
    size_t len;
} cn_doc;

typedef struct cn_boxscore_ops {
    const char *scheme;
    const char *description;
    /* The sink holds only each game's newest document (a put replaces the game's one
     * object): a document still waiting when a newer one comes is not sent. */
    bool newest_only;
    cn_status (*open)(void **impl, const cn_uri *uri, const cn_settings *cfg, cn_error *err);
    /* Upserts the document by its key (_id; (game, event_id) under a prefix); the same
     * call twice leaves one document. */
    cn_status (*put)(void *impl, const cn_doc *doc, cn_error *err);
    /* Records a rejected line (a JSON object) in the dead-letter store. */
    cn_status (*reject)(void *impl, const json_t *rec, cn_error *err);
    /* Removes documents of this game that the current run will never write again: with
     * run NULL every one (the stream restarted, so they describe an abandoned run and
     * would outrank the new run's lower _ids); otherwise those whose "run" field is not
     * run, or whose _id is above keep_upto (the same run replayed from its start).
     * source is where this game is read from (cn_uri_source): when any document of the
     * game names another "source" (the same game id on another day), nothing is removed
     * and CN_CONFLICT names both. Documents without "source" (written before it was
     * recorded) belong to whoever reads the game now. */
    cn_status (*forget)(void *impl, const char *game, const char *source, const char *run, long keep_upto,
                        cn_error *err);
    /* Optional (NULL: the sink keeps none): replaces the sink's scoreboard of every game,
     * <prefix>index.json, with text (JSON, len bytes). */
    cn_status (*put_index)(void *impl, const char *text, size_t len, cn_error *err);
    void (*close)(void *impl);
} cn_boxscore_ops;

typedef struct cn_results_ops {
    const char *scheme;
    const char *description;
    cn_status (*open)(void **impl, const cn_uri *uri, const cn_settings *cfg, cn_error *err);
    /* Replaces the two tables (teams2/players2 for results; teams/players when
     * gamestream-sim resets the reference) with these rows, all or nothing. */
    cn_status (*write)(void *impl, const bs_ref *rows, const char *teams, const char *players, cn_error *err);
    /* In one transaction: replaces the rows of each of the n games r[i].game in
     * game_teams and game_players (created when missing) with r[i]'s, then rebuilds
     * teams2/players2 once as the reference rows plus the sum over every game in those
     * two tables (bs_season). The reference is ref (the rows the games were folded
     * over, wherever they were read), or with ref NULL the results database's own
     * teams/players. Writing the same game again replaces its rows: a game is never
     * counted twice. Several finals at once cost one rebuild (game day: hundreds).
     * With sources (n entries, or NULL: none recorded), each game's source is recorded in
     * game_sources (created when missing) in the same transaction; a game whose id is
     * recorded with another source, or differs only by case from one recorded (SQL
     * Server's default collation would merge them), is left out: refused[i] gets
     * CN_CONFLICT and a message naming both sources (otherwise CN_OK), and its rows are
     * not written; the others are. refused (n entries) may be NULL without sources. */
    cn_status (*write_game)(void *impl, const bs_ref *ref, const bs_result *r, size_t n, const char *const *sources,
                            cn_error *refused, cn_error *err);
    void (*close)(void *impl);
} cn_results_ops;

/* One object under a prefix, as a listing reports it. */
typedef struct cn_object {
    char *key;          /* relative to the prefix, e.g. "G1/gamestream.txt" */
    uint64_t size;
    char etag[72];      /* S3 ETag; "" for files */
    int64_t mtime_ms;   /* last modification, milliseconds since the epoch */
} cn_object;

typedef struct cn_listing {
    cn_object *v;
    size_t n, cap;
    unsigned requests;  /* requests (pages) the listing took */
} cn_listing;

void cn_listing_free(cn_listing *l);

/* Lister: what objects exist under a prefix (s3://bucket/prefix/, file:///dir/), so a
 * process can follow every game under it with one listing per tick. One lister serves
 * a listing and several reads at once, on different threads: a backend keeps no state
 * that a call changes. */
typedef struct cn_lister_ops {
    const char *scheme;
    const char *description;
    cn_status (*open)(void **impl, const cn_uri *uri, const cn_settings *cfg, cn_error *err);
    /* Every object under the prefix into an empty listing, sorted by key. file:// lists
     * the prefix directory and its subdirectories one level deep. */
    cn_status (*list)(void *impl, cn_listing *out, cn_error *err);
    /* Reads the small object at key (relative to the prefix) whole into *data (malloc'd,
     * NUL-terminated; caller frees). CN_NOT_FOUND when missing, CN_INPUT over max bytes. */
    cn_status (*read)(void *impl, const char *key, size_t max, char **data, size_t *len, cn_error *err);
    void (*close)(void *impl);
} cn_lister_ops;

/* Stream target: one stream object that a producer replaces whole on every write, as
 * the live producer does (gamestream-sim): file:///abs/gamestream.txt (a temporary file
 * renamed over the old one, so a reader sees the old object or the new one, never a torn
 * one) or s3://bucket/key (one whole-object PUT). */
typedef struct cn_target_ops {
    const char *scheme;
    const char *description;
    /* prepare makes a container every object of the scheme shares (a bucket): preparing
     * one target is enough for all of them. Otherwise each target prepares its own. */
    bool shared_prepare;
    /* Parses and checks the URI; no I/O yet. */
    cn_status (*open)(void **impl, const cn_uri *uri, const cn_settings *cfg, cn_error *err);
    /* Creates the object's directory or bucket when missing. */
    cn_status (*prepare)(void *impl, cn_error *err);
    /* Replaces the object with data. */
    cn_status (*write)(void *impl, const char *data, size_t len, cn_error *err);
    /* Names the object for logs: "gamestream.txt to bucket gamestreams", "gamestream.txt to /dir". */
    const char *(*describe)(const void *impl);
    /* The object written: s3:// its bucket and key; file:// "" and its absolute path. */
    void (*object)(const void *impl, const char **bucket, const char **key);
    void (*close)(void *impl);
} cn_target_ops;

/* A connector of any role: its operations and the backend's state. */
typedef struct cn_source { const cn_source_ops *ops; void *impl; } cn_source;
typedef struct cn_reference { const cn_reference_ops *ops; void *impl; } cn_reference;
typedef struct cn_boxscore { const cn_boxscore_ops *ops; void *impl; } cn_boxscore;
typedef struct cn_results { const cn_results_ops *ops; void *impl; } cn_results;
typedef struct cn_lister { const cn_lister_ops *ops; void *impl; } cn_lister;
typedef struct cn_target { const cn_target_ops *ops; void *impl; } cn_target;

/* The registry: pick the backend for the URI's scheme and open it. No network I/O
 * happens here; the first poll, load, put or write connects. */
cn_status cn_source_open(cn_source *c, const char *uri, const cn_settings *cfg, cn_error *err);
cn_status cn_reference_open(cn_reference *c, const char *uri, const cn_settings *cfg, cn_error *err);
cn_status cn_boxscore_open(cn_boxscore *c, const char *uri, const cn_settings *cfg, cn_error *err);
cn_status cn_results_open(cn_results *c, const char *uri, const cn_settings *cfg, cn_error *err);
cn_status cn_lister_open(cn_lister *c, const char *uri, const cn_settings *cfg, cn_error *err);
cn_status cn_target_open(cn_target *c, const char *uri, const cn_settings *cfg, cn_error *err);
void cn_source_close(cn_source *c);
void cn_lister_close(cn_lister *c);
void cn_reference_close(cn_reference *c);
void cn_boxscore_close(cn_boxscore *c);
void cn_results_close(cn_results *c);
void cn_target_close(cn_target *c);
/* Lists the schemes of every role, one line each, for --help, into out (at most outlen
 * bytes, NUL included; out may be NULL when outlen is 0). Returns the length of the whole
 * list, as snprintf does: when it is outlen or more, out holds only its start. */
size_t cn_describe(char *out, size_t outlen);

/* Once per process, before any thread uses a connector; and after the last one. */
cn_status cn_global_init(cn_error *err);
void cn_global_cleanup(void);

#endif
