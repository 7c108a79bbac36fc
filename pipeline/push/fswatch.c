/*
 * fswatch.c — a file:// source's intake: uv_fs_event on the stream's folder or, under a
 * prefix, on the prefix folder and every game folder; an event names the file changed,
 * which goes through the shared step (push.c).
 */
#include "fswatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "game_run.h"
#include "games.h"
#include "log.h"
#include "push.h"

struct fs_watch {
    uv_fs_event_t h;
    app *a;
    bool root;              /* the stream's folder, or the prefix folder */
    char id[BS_MAX_GAME_ID + 1]; /* a game folder's game */
};


static void watch_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_fs_event(uv_fs_event_t *h, const char *name, int events, int status);

/* "fs.inotify.max_user_watches is N" into said, for the message (read when it is said). */
static const char *watch_limit(char said[96])
{
    char n[32] = "";
    FILE *f = fopen("/proc/sys/fs/inotify/max_user_watches", "r");
    if (f) {
        if (!fgets(n, sizeof n, f))
            n[0] = '\0';
        fclose(f);
    }
    n[strcspn(n, "\n")] = '\0';
    snprintf(said, 96, "fs.inotify.max_user_watches is %s", n[0] ? n : "unknown");
    return said;
}

fs_watch *fswatch_open(app *a, const char *path, bool root, const char *id)
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
        char limit[96];
        if (!a->push.said_watch && rc == UV_ENOSPC)
            log_msg(LOG_WARN, "cannot watch %s for changes: the inotify watch limit is reached (%s; one watch per "
                    "game folder, plus the prefix): polling every --poll-ms instead; raise it with `sysctl "
                    "fs.inotify.max_user_watches=N`", path, watch_limit(limit));
        else if (!a->push.said_watch && rc != UV_ENOENT)
            log_msg(LOG_WARN, "cannot watch %s for changes (%s): polling every --poll-ms instead", path,
                    uv_strerror(rc));
        a->push.said_watch = a->push.said_watch || rc != UV_ENOENT;
        a->push.watch_failed = a->push.watch_failed || rc != UV_ENOENT; /* a folder is not watched: poll fast */
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
    if (status < 0 || app_stopping(a))
        return;
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
    if (!a->push.file || k->watch || app_stopping(a))
        return;
    char path[sizeof a->push.dir + BS_MAX_GAME_ID + 2];
    snprintf(path, sizeof path, "%s/%s", a->push.dir, k->id);
    k->watch = fswatch_open(a, path, false, k->id);
}

/* Copies src into dst of n bytes, cut to fit (a path that long cannot be followed anyway). */

void fswatch_close(fs_watch *w)
{
    if (w)
        uv_close((uv_handle_t *)&w->h, watch_closed);
}
