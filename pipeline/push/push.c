/*
 * push.c — the step every intake shares (see push.h): a bucket and key that name a
 * stream this process follows make that game poll now; a game.json, or the stream of a
 * game not followed (new, or retired and rewritten), makes the prefix be listed now.
 * Every other key is ignored. Nothing here reads an object: the poll reads what the
 * object holds, so a push that comes late, twice, out of order or never costs at most
 * latency. The intakes beside it: webhook.c (POST /minio/events), fswatch.c (file://
 * folders), kafka.c (a consumer group on MinIO's Kafka topic).
 *
 * file:// keys: gamestream-sim sends bucket "" and the path relative to its target root,
 * so a file:// source matches bucket "" and the stream's file name (single stream) or
 * <game>/gamestream.txt under the prefix folder.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fswatch.h"
#include "game_run.h"
#include "games.h"
#include "log.h"
#include "push.h"



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
    bool stream = !strcmp(slash + 1, BS_STREAM_NAME);
    if ((!stream && strcmp(slash + 1, BS_MANIFEST_NAME)) || !bs_game_id_valid(id, why))
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
        if (!r->created || strcmp(r->bucket, p->bucket) || app_stopping(a))
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

/* ---------------------------------------------------------------- life cycle */

/* File systems where a change made by another host (or a VM's host) raises no inotify
 * event here: on them the watch is a hint only and the listing keeps --poll-ms. */
static const struct { uint64_t magic; const char *name; } remote_fs[] = {
    {0x6969, "NFS"}, {0x517B, "SMB"}, {0xFF534D42, "CIFS"}, {0xFE534D42, "SMB2"}, {0x65735546, "FUSE"},
    {0x01021997, "9p"}, {0x00C36400, "Ceph"}, {0x5346414F, "AFS"}, {0x73757245, "Coda"}, {0x01161970, "GFS2"},
    {0x7461636F, "OCFS2"}, {0x0BD00BD0, "Lustre"}, {0x786F4256, "vboxsf"},
};

static void statfs_done(uv_fs_t *req)
{
    app *a = req->data;
    push_state *p = &a->push;
    p->statfs_busy = false;
    const char *remote = NULL;
    if (req->result == 0) {
        const uv_statfs_t *f = req->ptr;
        for (size_t i = 0; i < sizeof remote_fs / sizeof *remote_fs && !remote; i++)
            if (f->f_type == remote_fs[i].magic)
                remote = remote_fs[i].name;
    }
    if (req->result == 0 && !remote)
        p->fs_local = true;
    else if (remote)
        log_msg(LOG_INFO, "%s is on %s, where a change made on another host raises no file-system event: the "
                "prefix is listed every --poll-ms (%d ms)", p->dir, remote, a->cfg->poll_ms);
    uv_fs_req_cleanup(req);
}

/* The prefix folder is watched: asks (off the loop) whether its file system raises an
 * event for every change, in which case the watch is trusted and the listing slows to
 * --safety-poll-ms (push_tick). */
static void watch_root(app *a)
{
    push_state *p = &a->push;
    p->root = fswatch_open(a, p->dir, true, NULL);
    if (!p->root || !a->prefix_mode || p->fs_local || p->statfs_busy)
        return;
    p->statfs_req.data = a;
    p->statfs_busy = uv_fs_statfs(&a->loop, &p->statfs_req, p->dir, statfs_done) == 0;
}

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
            watch_root(a);
    } else {
        set_str(p->bucket, sizeof p->bucket, u.host);
        set_str(p->key, sizeof p->key, u.path[0] == '/' ? u.path + 1 : u.path);
    }
}

bool push_tick(app *a)
{
    push_state *p = &a->push;
    if (p->file && !p->root && !a->cfg->once && !app_stopping(a)) {
        watch_root(a);
        if (p->root && a->prefix_mode)
            games_list_now(a); /* what was written before the watch */
    }
    uint64_t now = uv_now(&a->loop);
    int slow = a->cfg->safety_poll_ms;
    /* a prefix: once a notification named one of its games they are known to arrive, and a
     * quiet minute (scheduled games, a break) is no sign they stopped, while a listing of
     * every game each tick is the cost that grows with the day; one stream: a minute */
    bool flowing = p->last_used_ms && (a->prefix_mode || now - p->last_used_ms < PUSH_FLOWING_MS);
    /* file:// prefix: the prefix and every game folder are watched on a local file system,
     * so a change raises an event; the listing is the safety net, not the trigger */
    bool watched = p->file && a->prefix_mode && p->root && p->fs_local && !p->watch_failed;
    if (!a->cfg->once && (flowing || watched) && slow > a->cfg->poll_ms && p->last_poll_ms &&
        now - p->last_poll_ms + 1 < (uint64_t)slow)
        return false;
    p->last_poll_ms = now;
    return true;
}

void push_close(app *a)
{
    fswatch_close(a->push.root);
    a->push.root = NULL;
    for (size_t i = 0; i < a->nknown; i++) {
        fswatch_close(a->known[i].watch);
        a->known[i].watch = NULL;
    }
}

void push_free(app *a)
{
    bs_once_free(&a->push.said);
}

