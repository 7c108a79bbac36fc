/*
 * mongo_sink.c — box-score sink for mongodb://user@host:port/[db[.collection]]?options.
 *
 * Each document is a replace_one with upsert by _id, so writing it again (a retry,
 * a second run of the same stream) leaves one document. Rejected lines are upserted
 * into <db>.rejects by their own stable _id. On the first successful write the sink
 * creates the index a web page's query needs: {game: 1, _id: -1}, serving
 *     db.boxscores.find({game: G}).sort({_id: -1}).limit(1)
 * The driver blocks; the pipeline calls this from a worker thread, one call at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

#include "../backends.h"

typedef struct mongo_sink {
    char shown[600];        /* the URI with its password hidden */
    char db[64], coll[128];
    mongoc_uri_t *uri;
    mongoc_client_t *client;
    mongoc_write_concern_t *wc;
    bool indexed;
    bool per_game;          /* games under a prefix: _id {game, event_id}, plus the games collection */
} mongo_sink;

/* The driver's own log lines (warnings about URI options, ...) go to the program's
 * logger instead of the driver's default, which prints to stdout and stderr. */
static void forward_log(mongoc_log_level_t level, const char *domain, const char *message, void *data)
{
    (void)data;
    cn_log(level <= MONGOC_LOG_LEVEL_WARNING ? CN_LOG_WARN : level <= MONGOC_LOG_LEVEL_INFO ? CN_LOG_INFO : CN_LOG_DEBUG,
           domain, message);
}

cn_status cn_mongo_global_init(cn_error *err)
{
    (void)err;
    mongoc_log_set_handler(forward_log, NULL);
    mongoc_init();
    return CN_OK;
}

void cn_mongo_global_cleanup(void)
{
    mongoc_cleanup();
}

/* The URI for the driver: host, port and options only. Credentials are set apart so
 * that a password with '@' or ':' needs no escaping, and the path names db.collection. */
static cn_status driver_uri(mongo_sink *s, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "mongodb://%s:%d/%s%s", u->host, u->port ? u->port : 27017, u->query[0] ? "?" : "",
             u->query);
    bson_error_t be;
    s->uri = mongoc_uri_new_with_error(buf, &be);
    if (!s->uri)
        return cn_fail(err, CN_CONFIG, "MongoDB URI %s: %s", s->shown, be.message);
    if (u->user[0]) {
        const char *pw = u->password[0] ? u->password : cfg->mongo_password;
        mongoc_uri_set_username(s->uri, u->user);
        if (pw)
            mongoc_uri_set_password(s->uri, pw);
        if (!mongoc_uri_get_auth_source(s->uri))
            mongoc_uri_set_auth_source(s->uri, "admin");
    }
    int t = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
    const char *timeouts[] = {MONGOC_URI_SERVERSELECTIONTIMEOUTMS, MONGOC_URI_CONNECTTIMEOUTMS,
                              MONGOC_URI_SOCKETTIMEOUTMS};
    for (size_t i = 0; i < 3; i++)
        if (mongoc_uri_get_option_as_int32(s->uri, timeouts[i], -1) == -1)
            mongoc_uri_set_option_as_int32(s->uri, timeouts[i], t);
    return CN_OK;
}

static void ms_close(void *impl)
{
    mongo_sink *s = impl;
    if (s->client)
        mongoc_client_destroy(s->client);
    mongoc_uri_destroy(s->uri);
    mongoc_write_concern_destroy(s->wc);
    free(s);
}

/* The driver reports a socket failure during the login handshake as an authentication
 * error; only its text tells the two apart. */
static bool lost_connection(const bson_error_t *e)
{
    static const char *const signs[] = {"socket error", "Failed to read", "Failed to send", "timed out",
                                        "connection", "Connection", "stream"};
    for (size_t i = 0; i < sizeof signs / sizeof *signs; i++)
        if (strstr(e->message, signs[i]))
            return true;
    return false;
}

static cn_status classify(mongo_sink *s, const bson_error_t *e, const char *what, cn_error *err)
{
    cn_status st = CN_FATAL;
    if (e->domain == MONGOC_ERROR_STREAM || e->domain == MONGOC_ERROR_SERVER_SELECTION ||
        e->domain == MONGOC_ERROR_WRITE_CONCERN || e->domain == MONGOC_ERROR_PROTOCOL)
        st = CN_TRANSIENT;
    else if (e->domain == MONGOC_ERROR_CLIENT && e->code == MONGOC_ERROR_CLIENT_AUTHENTICATE && lost_connection(e))
        st = CN_TRANSIENT; /* the connection dropped during the login (a server restarting): not a refusal */
    else if ((e->domain == MONGOC_ERROR_CLIENT && e->code == MONGOC_ERROR_CLIENT_AUTHENTICATE) || e->code == 18 ||
             e->code == 13)
        st = CN_AUTH;
    else if (e->domain == MONGOC_ERROR_BSON || e->code == 10334 /* BSONObjectTooLarge */)
        st = CN_INPUT;
    else if (e->code == 91 || e->code == 189 || e->code == 10107 || e->code == 11600 || e->code == 11602 ||
             e->code == 13435 || e->code == 13436 || e->code == 6 || e->code == 7 || e->code == 89 || e->code == 9001)
        st = CN_TRANSIENT; /* shutting down, not primary, host unreachable, network timeout */
    if (st == CN_AUTH)
        return cn_fail(err, st, "MongoDB at %s refused the credentials while %s (%s): check the user in the URI and "
                       "MONGO_PASSWORD/PASSWORD", s->shown, what, e->message);
    return cn_fail(err, st, "MongoDB at %s: %s %s.%s failed: %s", s->shown, what, s->db, s->coll, e->message);
}

static cn_status ensure_indexes(mongo_sink *s, cn_error *err)
{
    if (s->indexed)
        return CN_OK;
    bson_error_t be;
    /* "the documents of game G, newest first" is one indexed query */
    const char *order = s->per_game ? "event_id" : "_id", *name = s->per_game ? "game_1_event_id_-1" : "game_1__id_-1";
    bson_t *cmd = BCON_NEW("createIndexes", BCON_UTF8(s->coll), "indexes", "[", "{", "key", "{", "game", BCON_INT32(1),
                           order, BCON_INT32(-1), "}", "name", BCON_UTF8(name), "}", "]");
    bool ok = mongoc_client_write_command_with_opts(s->client, s->db, cmd, NULL, NULL, &be);
    bson_destroy(cmd);
    if (!ok)
        return classify(s, &be, "creating an index on", err);
    s->indexed = true;
    return CN_OK;
}

/* Appends a JSON value to b under key (or, with top, the members of an object into b
 * itself), straight from the jansson tree: no JSON text in between. Integers are
 * int32 when they fit, else int64; reals are doubles. Returns false when BSON refuses (too large). */
static bool append_value(bson_t *b, const char *key, const json_t *v, bool top)
{
    bson_t child;
    char idx[24];
    const char *k;
    size_t i;
    json_t *m;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        if (!top && !bson_append_document_begin(b, key, -1, &child))
            return false;
        json_object_foreach((json_t *)v, k, m) {
            if (!append_value(top ? b : &child, k, m, false))
                return false;
        }
        return top || bson_append_document_end(b, &child);
    case JSON_ARRAY:
        if (!bson_append_array_begin(b, key, -1, &child))
            return false;
        json_array_foreach(v, i, m) {
            snprintf(idx, sizeof idx, "%zu", i);
            if (!append_value(&child, idx, m, false))
                return false;
        }
        return bson_append_array_end(b, &child);
    case JSON_STRING:
        return bson_append_utf8(b, key, -1, json_string_value(v), (int)json_string_length(v));
    case JSON_INTEGER: {
        /* int32 when it fits, as the shell and bson_new_from_json would store it */
        json_int_t n = json_integer_value(v);
        return n >= INT32_MIN && n <= INT32_MAX ? bson_append_int32(b, key, -1, (int32_t)n)
                                                : bson_append_int64(b, key, -1, (int64_t)n);
    }
    case JSON_REAL:
        return bson_append_double(b, key, -1, json_real_value(v));
    case JSON_TRUE:
    case JSON_FALSE:
        return bson_append_bool(b, key, -1, json_is_true(v));
    case JSON_NULL:
        return bson_append_null(b, key, -1);
    }
    return false;
}

/* Makes the client on first use (on the worker thread that first needs it). */
static cn_status ensure_client(mongo_sink *s, cn_error *err)
{
    if (s->client)
        return CN_OK;
    s->client = mongoc_client_new_from_uri(s->uri);
    if (!s->client)
        return cn_fail(err, CN_CONFIG, "MongoDB URI %s: the driver refused it", s->shown);
    mongoc_client_set_error_api(s->client, MONGOC_ERROR_API_VERSION_2);
    mongoc_client_set_appname(s->client, "sidearm-pipeline");
    return CN_OK;
}

/* The UTF-8 string field key of b, or "". */
static const char *utf8_field(const bson_t *b, const char *key)
{
    bson_iter_t it;
    return bson_iter_init_find(&it, b, key) && BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : "";
}

/* Replaces (or inserts) b in coll by its _id. With newer_only, a stored document of the
 * same run with a higher event_id is kept: {_id, $or: [{event_id <= N}, {run != R}]}
 * then matches nothing, and the insert the upsert tries is a duplicate _id (fine). */
static cn_status upsert_bson(mongo_sink *s, const char *coll, const bson_t *b, bool newer_only, long event_id,
                             cn_error *err)
{
    bson_error_t be;
    if (ensure_client(s, err))
        return err->status;
    bson_iter_t it;
    bson_t selector = BSON_INITIALIZER, opts = BSON_INITIALIZER, reply;
    if (bson_iter_init_find(&it, b, "_id"))
        bson_append_iter(&selector, "_id", 3, &it);
    if (newer_only) {
        bson_t *or = BCON_NEW("0", "{", "event_id", "{", "$lte", BCON_INT64((int64_t)event_id), "}", "}", "1", "{",
                              "run", "{", "$ne", BCON_UTF8(utf8_field(b, "run")), "}", "}");
        BSON_APPEND_ARRAY(&selector, "$or", or);
        bson_destroy(or);
    }
    BSON_APPEND_BOOL(&opts, "upsert", true);
    mongoc_write_concern_append(s->wc, &opts);
    mongoc_collection_t *c = mongoc_client_get_collection(s->client, s->db, coll);
    bool ok = mongoc_collection_replace_one(c, &selector, b, &opts, &reply, &be);
    mongoc_collection_destroy(c);
    bson_destroy(&reply);
    bson_destroy(&selector);
    bson_destroy(&opts);
    if (!ok && newer_only && be.code == 11000)
        return CN_OK; /* a newer document of this run is there already */
    if (!ok)
        return classify(s, &be, "upsert into", err);
    return CN_OK;
}

/* upsert_bson of a JSON tree (rejected-line records). */
static cn_status upsert(mongo_sink *s, const char *coll, const json_t *doc, cn_error *err)
{
    bson_t *b = bson_new();
    cn_status st = append_value(b, "", doc, true)
                       ? upsert_bson(s, coll, b, false, 0, err)
                       : cn_fail(err, CN_INPUT, "document cannot be stored as BSON (too large or too deeply nested)");
    bson_destroy(b);
    return st;
}

/* A copy of doc whose _id is key (appended by the caller's add) and then every other
 * field of doc, in order. */
static bool rekey(bson_t *out, const bson_t *doc, const char *game, long event_id, bool compound)
{
    bson_iter_t it;
    bson_t key;
    bool ok = compound ? (bson_append_document_begin(out, "_id", 3, &key) && BSON_APPEND_UTF8(&key, "game", game) &&
                          (event_id >= INT32_MIN && event_id <= INT32_MAX
                               ? BSON_APPEND_INT32(&key, "event_id", (int32_t)event_id)
                               : BSON_APPEND_INT64(&key, "event_id", (int64_t)event_id)) &&
                          bson_append_document_end(out, &key))
                       : BSON_APPEND_UTF8(out, "_id", game);
    if (!ok || !bson_iter_init(&it, doc))
        return false;
    while (bson_iter_next(&it))
        if (strcmp(bson_iter_key(&it), "_id") && !bson_append_iter(out, NULL, 0, &it))
            return false;
    return true;
}

/* Under a prefix: the history keyed by (game, event id) in the box-score collection,
 * and the game's latest document in "games", keyed by the game id. */
static cn_status put_per_game(mongo_sink *s, const bson_t *doc, const cn_doc *d, cn_error *err)
{
    bson_t hist = BSON_INITIALIZER, latest = BSON_INITIALIZER;
    cn_status st = CN_OK;
    if (!rekey(&hist, doc, d->game, d->id, true) || !rekey(&latest, doc, d->game, d->id, false))
        st = cn_fail(err, CN_INPUT, "document %ld of game %s cannot be stored as BSON (too large)", d->id, d->game);
    if (!st)
        st = upsert_bson(s, s->coll, &hist, false, d->id, err);
    if (!st)
        st = upsert_bson(s, "games", &latest, true, d->id, err);
    bson_destroy(&hist);
    bson_destroy(&latest);
    return st;
}

static cn_status ms_put(void *impl, const cn_doc *d, cn_error *err)
{
    mongo_sink *s = impl;
    bson_error_t be;
    /* the pipeline's one serialisation, read as BSON: integers int32 when they fit, as
     * the shell stores them */
    bson_t *doc = bson_new_from_json((const uint8_t *)d->text, (ssize_t)d->len, &be);
    if (!doc)
        return cn_fail(err, CN_INPUT, "document %ld of game %s is not JSON that BSON can hold: %s", d->id, d->game,
                       be.message);
    cn_status st = s->per_game ? put_per_game(s, doc, d, err) : upsert_bson(s, s->coll, doc, false, d->id, err);
    bson_destroy(doc);
    if (st)
        return st;
    return ensure_indexes(s, err);
}

/* CN_CONFLICT when a document of game in the box-score collection names a source other
 * than source: {game: G, source: {$exists: true, $ne: S}}. */
static cn_status check_source(mongo_sink *s, const char *game, const char *source, cn_error *err)
{
    bson_error_t be;
    bson_t *filter = BCON_NEW("game", BCON_UTF8(game), "source", "{", "$exists", BCON_BOOL(true), "$ne",
                              BCON_UTF8(source), "}");
    bson_t *opts = BCON_NEW("limit", BCON_INT64(1), "projection", "{", "source", BCON_INT32(1), "}");
    mongoc_collection_t *c = mongoc_client_get_collection(s->client, s->db, s->coll);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, filter, opts, NULL);
    const bson_t *doc;
    cn_status st = CN_OK;
    if (mongoc_cursor_next(cur, &doc))
        st = cn_fail(err, CN_CONFLICT, "MongoDB %s.%s at %s holds game '%s' from %s; %s names a game with the same id",
                     s->db, s->coll, s->shown, game, utf8_field(doc, "source"), source);
    else if (mongoc_cursor_error(cur, &be))
        st = classify(s, &be, "looking for the game's source in", err);
    mongoc_cursor_destroy(cur);
    mongoc_collection_destroy(c);
    bson_destroy(opts);
    bson_destroy(filter);
    return st;
}

static cn_status ms_forget(void *impl, const char *game, const char *source, const char *run, long keep_upto,
                           cn_error *err)
{
    mongo_sink *s = impl;
    bson_error_t be;
    if (ensure_client(s, err))
        return err->status;
    if (source && check_source(s, game, source, err))
        return err->status;
    /* {game: G} or {game: G, $or: [{run: {$ne: R}}, {_id: {$gt: N}}]} (event_id under a prefix) */
    const char *order = s->per_game ? "event_id" : "_id";
    bson_t *filter = run ? BCON_NEW("game", BCON_UTF8(game), "$or", "[", "{", "run", "{", "$ne", BCON_UTF8(run), "}",
                                    "}", "{", order, "{", "$gt", BCON_INT64((int64_t)keep_upto), "}", "}", "]")
                         : BCON_NEW("game", BCON_UTF8(game));
    bson_t opts = BSON_INITIALIZER;
    mongoc_write_concern_append(s->wc, &opts);
    mongoc_collection_t *c = mongoc_client_get_collection(s->client, s->db, s->coll);
    bool ok = mongoc_collection_delete_many(c, filter, &opts, NULL, &be);
    mongoc_collection_destroy(c);
    bson_destroy(filter);
    if (ok && s->per_game) {
        /* the game's latest in "games" too, by the same rule: kept only when newer_only
         * would keep it, the run's next document puts it back. Before, a replay with the
         * same first line that ended before the old run's last event left the old final
         * there for good (each put of the new run was "older") */
        filter = run ? BCON_NEW("_id", BCON_UTF8(game), "$or", "[", "{", "run", "{", "$ne", BCON_UTF8(run), "}", "}",
                                "{", "event_id", "{", "$gt", BCON_INT64((int64_t)keep_upto), "}", "}", "]")
                     : BCON_NEW("_id", BCON_UTF8(game));
        c = mongoc_client_get_collection(s->client, s->db, "games");
        ok = mongoc_collection_delete_one(c, filter, &opts, NULL, &be);
        mongoc_collection_destroy(c);
        bson_destroy(filter);
    }
    bson_destroy(&opts);
    return ok ? CN_OK : classify(s, &be, "removing documents of the game's other runs from", err);
}

static cn_status ms_reject(void *impl, const json_t *rec, cn_error *err)
{
    return upsert(impl, "rejects", rec, err);
}

static cn_status ms_open(void **impl, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    mongo_sink *s = calloc(1, sizeof *s);
    if (!s)
        return cn_fail(err, CN_FATAL, "out of memory");
    /* what logs show: the parts, never the password */
    snprintf(s->shown, sizeof s->shown, "mongodb://%.100s%s%.200s:%d%.200s", u->user, u->user[0] ? "@" : "", u->host,
             u->port ? u->port : 27017, u->path);
    /* the URI path /db or /db.collection wins; then the options; then sidearm.boxscores */
    const char *path = u->path[0] == '/' ? u->path + 1 : u->path;
    const char *dot = strchr(path, '.');
    snprintf(s->db, sizeof s->db, "%.*s", (int)(dot ? (size_t)(dot - path) : strlen(path)), path);
    snprintf(s->coll, sizeof s->coll, "%s", dot ? dot + 1 : "");
    if (!s->db[0])
        snprintf(s->db, sizeof s->db, "%s", cfg->mongo_database ? cfg->mongo_database : "sidearm");
    if (!s->coll[0])
        snprintf(s->coll, sizeof s->coll, "%s", cfg->mongo_collection ? cfg->mongo_collection : "boxscores");
    s->per_game = cfg->per_game_keys;
    if (driver_uri(s, u, cfg, err)) {
        ms_close(s);
        return err->status;
    }
    s->wc = mongoc_write_concern_new();
    const char *w = cfg->mongo_write_concern ? cfg->mongo_write_concern : "majority";
    char *end;
    long n = strtol(w, &end, 10);
    if (!strcmp(w, "majority"))
        mongoc_write_concern_set_w(s->wc, MONGOC_WRITE_CONCERN_W_MAJORITY);
    else if (*w && !*end && n >= 0 && n < 50)
        mongoc_write_concern_set_w(s->wc, (int32_t)n);
    else {
        ms_close(s);
        return cn_fail(err, CN_CONFIG, "--mongo-write-concern '%s' must be majority or a number", w);
    }
    *impl = s;
    return CN_OK;
}

const cn_boxscore_ops cn_mongo_boxscore_ops = {
    .scheme = "mongodb",
    .description = "MongoDB, replace_one upsert by _id (mongodb://user@host:27017/sidearm.boxscores)",
    .open = ms_open,
    .put = ms_put,
    .reject = ms_reject,
    .forget = ms_forget,
    .close = ms_close,
};
