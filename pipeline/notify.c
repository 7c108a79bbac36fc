/*
 * notify.c — push: MinIO bucket notifications (POST /minio/events, see serve.h) and,
 * for a file:// source, file-system events. See push.h.
 *
 * A notification is authenticated (a Bearer token compared in constant time, when
 * NOTIFY_TOKEN is set), parsed (minio_event.c), and each s3:ObjectCreated:* record
 * whose bucket and key name a stream the process follows makes that game poll now: the
 * single --source object, or <prefix><game>/gamestream.txt of a game followed. A
 * <prefix><game>/game.json, or the stream of a game not followed (new, or retired and
 * rewritten), makes the prefix be listed now. Every other record is acknowledged and
 * ignored. Nothing here reads an object: the poll reads what the object holds, so
 * duplicates, reordering and losses cost at most latency.
 *
 * file:// keys: gamestream-sim --notify sends bucket "" and the path relative to its
 * target root, so a file:// source matches bucket "" and the stream's file name (single
 * stream) or <game>/gamestream.txt under the prefix folder.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "game_run.h"
#include "games.h"
#include "log.h"
#include "minio_event.h"
#include "push.h"
#include "metrics.h"
#include "serve.h"

#define STREAM_NAME "gamestream.txt"
#define MANIFEST_NAME "game.json"

typedef struct fs_watch {
    uv_fs_event_t h;
    app *a;
    bool root;              /* the stream's folder, or the prefix folder */
    char id[BS_MAX_GAME_ID + 1]; /* a game folder's game */
} fs_watch;

/* ---------------------------------------------------------------- what is followed */

/* The game followed under the prefix (or the single one) named by a decoded key relative
 * to what is followed: polls it now, or lists the prefix now. Returns whether the key
 * names something followed. */
bool push_key(app *a, const char *rel)
{
    if (!a->prefix_mode) {
        if (strcmp(rel, a->push.key) || a->ngames == 0)
            return false;
        gr_push(a->games[0]);
        return true;
    }
    const char *slash = strchr(rel, '/');
    if (!slash || (size_t)(slash - rel) > BS_MAX_GAME_ID)
        return false;
    char id[BS_MAX_GAME_ID + 1], why[BS_ERRLEN];
    memcpy(id, rel, (size_t)(slash - rel));
    id[slash - rel] = '\0';
    bool stream = !strcmp(slash + 1, STREAM_NAME);
    if ((!stream && strcmp(slash + 1, MANIFEST_NAME)) || !bs_game_id_valid(id, why))
        return false;
    known_game *k = stream ? games_known(a, id, false) : NULL;
    if (k && k->run)
        gr_push(k->run);
    else
        games_list_now(a);
    return true;
}

size_t push_records(app *a, const me_event *ev, char *game, size_t gamelen)
{
    push_state *p = &a->push;
    size_t used = 0, plen = strlen(p->key);
    if (game && gamelen)
        game[0] = '\0';
    for (size_t i = 0; i < ev->n; i++) {
        const me_record *r = &ev->records[i];
        if (!r->created || strcmp(r->bucket, p->bucket) || a->stopping)
            continue;
        const char *rel = r->key;
        if (a->prefix_mode) {
            if (strncmp(rel, p->key, plen))
                continue;
            rel += plen;
        }
        if (!push_key(a, rel))
            continue;
        used++;
        const char *slash = strchr(rel, '/');
        if (game && gamelen && !game[0] && a->prefix_mode && slash && (size_t)(slash - rel) < gamelen) {
            memcpy(game, rel, (size_t)(slash - rel));
            game[slash - rel] = '\0';
        }
    }
    if (used)
        p->last_used_ms = uv_now(&a->loop);
    return used;
}

/* ---------------------------------------------------------------- MinIO notifications */

/* Equal in time that depends on the token's length only, never on where they differ. */
static bool same_secret(const char *given, const char *token)
{
    size_t gl = strlen(given), tl = strlen(token);
    unsigned char diff = gl != tl;
    for (size_t i = 0; i < tl; i++)
        diff |= (unsigned char)(token[i] ^ (i < gl ? given[i] : 0));
    return diff == 0;
}

static bool authorized(const app *a, const char *auth)
{
    const char *token = a->cfg->notify_token;
    if (!token || !*token)
        return true;
    if (!auth || strncasecmp(auth, "Bearer ", 7))
        return false;
    auth += 7;
    while (*auth == ' ')
        auth++;
    return same_secret(auth, token);
}

/* True the first time a reason is seen (it is logged then, never again). */
static bool first_time(app *a, const char *why)
{
    return bs_once_first(&a->push.said, why, strlen(why));
}

int pl_notify_authorize(app *a, const char *auth, char *msg, size_t msglen)
{
    push_state *p = &a->push;
    p->received++;
    if (authorized(a, auth))
        return 200;
    p->unauthorized++;
    pl_metrics_notify(a, PL_NOTIFY_UNAUTHORIZED);
    if (p->unauthorized == 1)
        log_msg(LOG_WARN, "MinIO notification refused: %s Authorization: Bearer token (logged once)",
                auth ? "wrong" : "no");
    snprintf(msg, msglen, "%s", auth ? "wrong token" : "missing token");
    return 401;
}

int pl_notify_minio(app *a, const char *body, size_t len, char *msg, size_t msglen)
{
    push_state *p = &a->push;
    me_event ev;
    char why[160];
    if (me_parse(body ? body : "", body ? len : 0, &ev, why, sizeof why)) {
        p->malformed++;
        pl_metrics_notify(a, PL_NOTIFY_MALFORMED);
        if (first_time(a, why))
            log_msg(LOG_WARN, "malformed MinIO notification: %s (each reason is logged once)", why);
        snprintf(msg, msglen, "malformed: %s", why);
        return 400;
    }
    size_t used = push_records(a, &ev, NULL, 0);
    if (used) {
        p->used++;
        pl_metrics_notify(a, PL_NOTIFY_USED);
        log_msg(LOG_DEBUG, "MinIO notification: %zu of %zu records name a followed stream", used, ev.n);
    } else {
        p->ignored++;
        pl_metrics_notify(a, PL_NOTIFY_IGNORED);
    }
    snprintf(msg, msglen, used ? "used %zu of %zu records" : "ignored: no record names a followed stream", used,
             ev.n);
    me_event_free(&ev);
    return 200;
}

/* ---------------------------------------------------------------- file-system push */

static void watch_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_fs_event(uv_fs_event_t *h, const char *name, int events, int status);

/* Starts watching path; NULL when it cannot (logged once: polling covers it). */
static fs_watch *watch(app *a, const char *path, bool root, const char *id)
{
    fs_watch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->a = a;
    w->root = root;
    snprintf(w->id, sizeof w->id, "%s", id ? id : "");
    uv_fs_event_init(&a->loop, &w->h);
    w->h.data = w;
    int rc = uv_fs_event_start(&w->h, on_fs_event, path, 0);
    if (rc) {
        if (!a->push.said_watch && rc != UV_ENOENT)
            log_msg(LOG_WARN, "cannot watch %s for changes (%s): polling every --poll-ms instead", path,
                    uv_strerror(rc));
        a->push.said_watch = a->push.said_watch || rc != UV_ENOENT;
        uv_close((uv_handle_t *)&w->h, watch_closed);
        return NULL;
    }
    return w;
}

static void on_fs_event(uv_fs_event_t *h, const char *name, int events, int status)
{
    fs_watch *w = h->data;
    app *a = w->a;
    (void)events;
    if (status < 0 || a->stopping)
        return;
    a->push.fs_events++;
    if (!a->prefix_mode) {
        if ((!name || !strcmp(name, a->push.key)) && a->ngames > 0)
            gr_push(a->games[0]);
        return;
    }
    char why[BS_ERRLEN];
    if (w->root) { /* a game folder appeared (or changed): watch it first, then list */
        if (name && bs_game_id_valid(name, why)) {
            known_game *k = games_known(a, name, true);
            if (k)
                push_watch_game(a, k);
        }
        if (!name || bs_game_id_valid(name, why))
            games_list_now(a);
        return;
    }
    if (!name) {
        games_list_now(a);
        return;
    }
    char rel[BS_MAX_GAME_ID + 32];
    snprintf(rel, sizeof rel, "%s/%s", w->id, name);
    push_key(a, rel);
}

void push_watch_game(app *a, known_game *k)
{
    if (!a->push.file || k->watch || a->closed || a->stopping)
        return;
    char path[sizeof a->push.dir + BS_MAX_GAME_ID + 2];
    snprintf(path, sizeof path, "%s/%s", a->push.dir, k->id);
    k->watch = watch(a, path, false, k->id);
}

/* Copies src into dst of n bytes, cut to fit (a path that long cannot be followed anyway). */
static void set_str(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

void push_start(app *a)
{
    push_state *p = &a->push;
    cn_uri u;
    cn_error err;
    if (cn_uri_parse(a->cfg->source, &u, &err))
        return;
    p->file = !strcmp(u.scheme, "file");
    a->hooks.game_known = push_watch_game; /* a no-op unless file:// */
    char copy[sizeof u.path];
    if (p->file) {
        set_str(copy, sizeof copy, u.path);
        if (a->prefix_mode) {
            size_t n = strlen(copy);
            while (n > 1 && copy[n - 1] == '/')
                copy[--n] = '\0';
            set_str(p->dir, sizeof p->dir, copy);
        } else {
            set_str(p->key, sizeof p->key, basename(copy));
            set_str(copy, sizeof copy, u.path);
            set_str(p->dir, sizeof p->dir, dirname(copy));
        }
        if (!a->cfg->once)
            p->root = watch(a, p->dir, true, NULL);
    } else {
        set_str(p->bucket, sizeof p->bucket, u.host);
        set_str(p->key, sizeof p->key, u.path[0] == '/' ? u.path + 1 : u.path);
    }
}

bool push_tick(app *a)
{
    push_state *p = &a->push;
    if (p->file && !p->root && !a->cfg->once && !a->stopping) {
        p->root = watch(a, p->dir, true, NULL);
        if (p->root && a->prefix_mode)
            games_list_now(a); /* what was written before the watch */
    }
    uint64_t now = uv_now(&a->loop);
    int slow = a->cfg->safety_poll_ms;
    if (!a->cfg->once && p->last_used_ms && now - p->last_used_ms < PUSH_FLOWING_MS && slow > a->cfg->poll_ms &&
        p->last_poll_ms && now - p->last_poll_ms + 1 < (uint64_t)slow)
        return false;
    p->last_poll_ms = now;
    return true;
}

void push_close(app *a)
{
    if (a->push.root)
        uv_close((uv_handle_t *)&a->push.root->h, watch_closed);
    a->push.root = NULL;
    for (size_t i = 0; i < a->nknown; i++)
        if (a->known[i].watch) {
            uv_close((uv_handle_t *)&a->known[i].watch->h, watch_closed);
            a->known[i].watch = NULL;
        }
}

void push_free(app *a)
{
    bs_once_free(&a->push.said);
}
