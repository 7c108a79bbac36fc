/*
 * s3_sink.c — box-score sink for s3://bucket/prefix/: static JSON that a web page (or
 * a CDN in front of the bucket) fetches with a conditional GET, so no page read reaches
 * a database.
 *
 * Each document is PUT whole to <prefix><game>/latest.json: the very bytes every sink
 * gets, Content-Type application/json, and the operator's Cache-Control
 * (--boxscores-cache-control). A PUT replaces the object, so the newest document put is
 * the one a reader sees. The sink is newest_only: the pipeline sends a game's newest
 * document and drops the older ones still waiting (no history to backfill here, and a
 * slow bucket costs at most one request per game per write), so after a retry, a re-run
 * or a restarted game the object ends as that run's newest document.
 * With one stream (no prefix mode) the game is the document's "game" field as well.
 *
 * A rejected line becomes <prefix><game>/rejects/<record _id>.json; the _id is stable
 * (the game, the line number and a hash of the line), so recording it again replaces it.
 *
 * <prefix>index.json is the scoreboard of every game written (put_index): what GET
 * /v1/games shows, rewritten at most every --index-interval-ms.
 *
 * forget removes nothing: latest.json is one object, and the run that asked writes its
 * own newest document over it next. It does check the source: a latest.json that names
 * another "source" (the same game id on another day) is CN_CONFLICT naming both, as the
 * other sinks answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../backends.h"
#include "s3_client.h"

#define LATEST_NAME "latest.json"
#define INDEX_NAME "index.json"
#define LATEST_MAX (4u << 20) /* a document is a few KB; a bigger latest.json is not ours */

typedef struct s3_sink {
    s3_client *client;
    char cache_control[256];
    char shown[1400]; /* s3://bucket/prefix at the endpoint, for messages */
} s3_sink;

static cn_status ss_open(void **impl, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    size_t n = strlen(u->path);
    if (n > 1 && u->path[n - 1] != '/')
        return cn_fail(err, CN_CONFIG, "s3:// box-score sink needs a prefix ending in '/' (or the bucket), like "
                       "s3://boxscores/live/: each game is written to <prefix><game>/latest.json; got s3://%s%s",
                       u->host, u->path);
    s3_sink *s = calloc(1, sizeof *s);
    if (!s)
        return cn_fail(err, CN_FATAL, "out of memory");
    if (s3_client_new_prefix(&s->client, u, cfg, err)) {
        free(s);
        return err->status;
    }
    snprintf(s->cache_control, sizeof s->cache_control, "%s",
             cfg->cache_control && cfg->cache_control[0] ? cfg->cache_control : "public, max-age=5");
    snprintf(s->shown, sizeof s->shown, "s3://%s/%s at %s", s3_client_bucket(s->client), s3_client_key(s->client),
             cfg->s3_endpoint ? cfg->s3_endpoint : "");
    *impl = s;
    return CN_OK;
}

static cn_status put_json(s3_sink *s, const char *key, const char *text, size_t len, cn_error *err)
{
    const s3_put_meta meta = {"application/json", s->cache_control};
    return s3_client_put_key(s->client, key, text, len, &meta, err);
}

static cn_status ss_put(void *impl, const cn_doc *doc, cn_error *err)
{
    s3_sink *s = impl;
    char key[BS_MAX_GAME_ID + sizeof LATEST_NAME + 2];
    if (!doc->game || !doc->game[0] || strlen(doc->game) > BS_MAX_GAME_ID)
        return cn_fail(err, CN_INPUT, "box score %ld has no game id that fits a key under %s", doc->id, s->shown);
    snprintf(key, sizeof key, "%s/%s", doc->game, LATEST_NAME);
    return put_json(s, key, doc->text, doc->len, err);
}

static cn_status ss_put_index(void *impl, const char *text, size_t len, cn_error *err)
{
    return put_json(impl, INDEX_NAME, text, len, err);
}

static cn_status ss_reject(void *impl, const json_t *rec, cn_error *err)
{
    s3_sink *s = impl;
    const char *game = json_string_value(json_object_get(rec, "game"));
    const char *id = json_string_value(json_object_get(rec, "_id"));
    char key[512];
    if (!game || !id || (size_t)snprintf(key, sizeof key, "%s/rejects/%s.json", game, id) >= sizeof key)
        return cn_fail(err, CN_INPUT, "a rejected-line record without a game and an _id that fit a key under %s",
                       s->shown);
    char *text = json_dumps(rec, JSON_COMPACT);
    if (!text)
        return cn_fail(err, CN_FATAL, "out of memory rendering a rejected line");
    cn_status st = put_json(s, key, text, strlen(text), err);
    free(text);
    return st;
}

static cn_status ss_forget(void *impl, const char *game, const char *source, const char *run, long keep_upto,
                           cn_error *err)
{
    s3_sink *s = impl;
    (void)run;
    (void)keep_upto;
    char key[BS_MAX_GAME_ID + sizeof LATEST_NAME + 2], *data = NULL;
    size_t len = 0;
    snprintf(key, sizeof key, "%s/%s", game, LATEST_NAME);
    cn_status st = s3_client_get_key(s->client, key, LATEST_MAX, &data, &len, err);
    if (st == CN_NOT_FOUND) {
        *err = (cn_error){0};
        return CN_OK; /* never written: nothing to check */
    }
    if (st)
        return st;
    json_t *doc = json_loadb(data, len, 0, NULL);
    free(data);
    const char *had = json_string_value(json_object_get(doc, "source"));
    if (had && source && strcmp(had, source)) {
        st = cn_fail(err, CN_CONFLICT, "%s holds game '%s' from %s; %s names a game with the same id", s->shown, game,
                     had, source);
    }
    json_decref(doc);
    return st;
}

static void ss_close(void *impl)
{
    s3_sink *s = impl;
    if (!s)
        return;
    s3_client_free(s->client);
    free(s);
}

const cn_boxscore_ops cn_s3_boxscore_ops = {
    .scheme = "s3",
    .description = "S3/MinIO objects <prefix><game>/latest.json, static JSON for web pages (s3://bucket/prefix/)",
    .newest_only = true,
    .open = ss_open,
    .put = ss_put,
    .reject = ss_reject,
    .forget = ss_forget,
    .put_index = ss_put_index,
    .close = ss_close,
};
