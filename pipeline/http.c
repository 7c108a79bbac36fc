/*
 * http.c — the HTTP server on the app's loop. See http.h.
 *
 * libwebsockets drives everything through one callback (reasons below). What it keeps
 * per session ("pss") lives for one HTTP transaction only (on a keep-alive connection
 * it is freed and made again for each request), so what belongs to a connection (was a
 * request seen, is it an SSE stream) hangs off the wsi's opaque user data instead.
 *
 * Documents: http_publish copies the compact text once into a refcounted buffer that
 * already holds the SSE framing around it ("id: N\nevent: boxscore\ndata: <doc>\n\n"),
 * after LWS_PRE bytes of headroom. GET /v1/games/{id} answers with the document part,
 * each SSE client queues a reference to the whole frame: one copy, whatever the number
 * of readers. A client's queue is bounded in bytes (--sse-backlog-kib): past it the
 * client is dropped, which costs the loop nothing and never waits for it.
 */
#define _GNU_SOURCE /* accept4 */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <ctype.h>

#include "game_run.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "serve.h"

#define HEARTBEAT_MS 15000
#define LIMIT_LOG_MS 10000      /* a limit's log line at most this often */
#define WRITE_CHUNK 16384       /* bytes of a response written per writeable callback */
#define NBUCKETS 256
#define REPLY_TIMEOUT_S 60      /* longest a response may take to go out */
#define ACCEPT_BATCH 32         /* connections accepted per readable listener */
#define ACCEPT_PAUSE_MS 250     /* no descriptor to accept with: try again after this */
#define FD_SPARE_MIN 16         /* descriptors HTTP leaves to the rest of the process */
#define FD_SPARE_MAX 256
#define CORS_MAX 32             /* origins --cors-origins may name */
#define CORS_ORIGIN_MAX 255     /* longest origin, in bytes */
#define MAX_POSTS 16            /* webhook bodies read at once */
#define CORS_MAX_AGE "600"      /* seconds a browser may keep a preflight's answer */

/* ---------------------------------------------------------------- data */

typedef struct http_doc {
    int refs;
    long event_id;
    uint64_t seq;               /* the server's count of documents published: unique */
    uint64_t hash;              /* FNV-1a of the document's bytes: its ETag with the event id */
    size_t json_off, json_len;  /* the document inside the frame */
    size_t frame_len;           /* the SSE frame, from buf + LWS_PRE */
    char updated_at[40];
    unsigned char buf[];        /* LWS_PRE headroom, then the frame */
} http_doc;

typedef struct sse_client sse_client;

typedef struct hgame {
    struct hgame *next;
    http_doc *latest;
    uint64_t listed;            /* the /v1/games request that listed it as followed */
    char *entry;                /* its /v1/games entry (JSON text), made from what entry_key hashes */
    size_t entry_len;
    uint64_t entry_key;
    sse_client *clients;        /* doubly linked, NULL-terminated */
    char id[];
} hgame;

struct sse_client {
    sse_client *prev, *next;
    struct lws *wsi;
    hgame *game;
    http_doc **q;               /* ring of frames not yet written */
    size_t qhead, qlen, qcap, qbytes;
    bool heartbeat_due, dropped;
    char peer[64];              /* the client's address (--http-max-sse-per-peer) */
};

/* One connection (the wsi's opaque user data), from its accept to LWS_CALLBACK_WSI_DESTROY,
 * whatever role lws gives the connection meanwhile. */
typedef struct hconn {
    bool requested;
    bool counted;               /* in http_connections (an SSE stream is counted as a stream instead) */
    bool preflight;             /* the request being answered is a CORS preflight of an allowed origin */
    const char *cors;           /* its Access-Control-Allow-Origin (an origin of s->cors, or "*"), or NULL */
    sse_client *sse;
} hconn;

enum { L_CONNS, L_SSE, L_BACKLOG, L_BODY, L_NOREQ, L_FDS, L_BODYTIME, L_FRAMING, L_UPGRADE, L_COUNT };

struct http_server {
    app *a;
    struct lws_context *ctx;
    struct lws_vhost *vh;       /* accepted connections are adopted into it */
    int lfd;                    /* the listening socket: ours, bound to exactly the address asked for */
    uv_poll_t lpoll;
    uv_timer_t lpause;          /* accepting paused (no descriptor): resumes when it fires */
    uv_timer_t heartbeat;
    bool stopped;
    uint64_t published;         /* documents published (http_doc.seq) */
    int posts;                  /* webhook bodies being read now (at most MAX_POSTS) */
    http_doc *list;             /* the newest /v1/games body, and the key of what it shows */
    uint64_t list_key;
    size_t backlog_bytes, body_bytes;
    hgame *buckets[NBUCKETS];
    uint64_t limit_said[L_COUNT];   /* uv_now of the last log line, per limit */
    uint64_t limit_quiet[L_COUNT];  /* hits not logged since */
    uint64_t listings;              /* /v1/games requests */
    char listen[300];
    char *cors_buf;                 /* --cors-origins, split in place: the origins cors[] points into */
    const char *cors[CORS_MAX];
    int ncors;
    bool cors_any;                  /* "*": every origin, and no Vary */
};

/* A session (one request/response). */
typedef enum pkind { P_NONE, P_REPLY, P_POST, P_SSE } pkind;

typedef struct pss {
    pkind kind;
    const unsigned char *body;  /* the reply body: static, owned or part of a doc */
    size_t len, off;
    char *own;
    http_doc *doc;
    bool close_after;           /* the connection closes after this reply */
    uint64_t body_by;           /* uv_now by which a POST body must be in */
    bool head;                  /* HEAD: the GET's status and headers, no body */
    char *post, *auth;
    size_t post_len, post_cap;
    bool post_refused;
    int *posts;                 /* a body being read: the server's count of them, given back on release */
} pss;

/* ---------------------------------------------------------------- helpers */

static void limit_hit(http_server *s, int which, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void limit_hit(http_server *s, int which, const char *fmt, ...)
{
    uint64_t now = uv_now(&s->a->loop);
    if (s->limit_said[which] && now - s->limit_said[which] < LIMIT_LOG_MS) {
        s->limit_quiet[which]++;
        return;
    }
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s->limit_quiet[which])
        log_msg(LOG_WARN, "http: %s (and %" PRIu64 " more times in the last %d s)", msg, s->limit_quiet[which],
                LIMIT_LOG_MS / 1000);
    else
        log_msg(LOG_WARN, "http: %s", msg);
    s->limit_said[which] = now ? now : 1;
    s->limit_quiet[which] = 0;
}

/* FNV-1a, 64 bits, continued from h: the buckets' hash and the keys of /v1/games entries. */
#define key_add bs_fnv1a64
#define KEY_START BS_FNV1A64_BASIS

static uint64_t key_str(uint64_t h, const char *str)
{
    return str ? key_add(h, str, strlen(str) + 1) : key_add(h, "\xff", 1); /* NULL differs from "" */
}

static uint32_t hash(const char *k)
{
    return (uint32_t)key_str(KEY_START, k);
}

static hgame *game_find(http_server *s, const char *id, bool create)
{
    hgame **b = &s->buckets[hash(id) % NBUCKETS];
    for (hgame *g = *b; g; g = g->next)
        if (!strcmp(g->id, id))
            return g;
    if (!create)
        return NULL;
    size_t n = strlen(id);
    hgame *g = calloc(1, sizeof *g + n + 1);
    if (!g)
        return NULL;
    memcpy(g->id, id, n + 1);
    g->next = *b;
    *b = g;
    return g;
}

static game_run *run_find(app *a, const char *id)
{
    for (size_t i = 0; i < a->ngames; i++)
        if (!strcmp(a->games[i]->id, id))
            return a->games[i];
    return NULL;
}

static void doc_release(http_doc *d)
{
    if (d && --d->refs == 0)
        free(d);
}

static http_doc *doc_hold(http_doc *d)
{
    d->refs++;
    return d;
}

/* ---------------------------------------------------------------- SSE clients */

static void sse_clear(sse_client *c)
{
    for (size_t i = 0; i < c->qlen; i++)
        doc_release(c->q[(c->qhead + i) % c->qcap]);
    c->qlen = c->qhead = c->qbytes = 0;
}

static void sse_unlink(http_server *s, sse_client *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (c->game)
        c->game->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->game = NULL;
    s->a->metrics.sse_clients--;
}

static void sse_free(http_server *s, sse_client *c)
{
    if (!c)
        return;
    sse_unlink(s, c);
    sse_clear(c);
    free(c->q);
    free(c);
}

static void sse_drop(http_server *s, sse_client *c, const char *why)
{
    if (c->dropped)
        return;
    c->dropped = true;
    pl_metrics_http_limit(s->a, PL_HTTP_LIMIT_SLOW_CLIENT);
    limit_hit(s, L_BACKLOG, "dropped an SSE client of game %s: %s (--sse-backlog-kib %zu)", c->game->id, why,
              s->backlog_bytes >> 10);
    sse_clear(c);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC); /* closes this connection only */
}

/* Queues a frame for the client, or drops the client when its backlog would pass the bound. */
static void sse_push(http_server *s, sse_client *c, http_doc *d)
{
    if (c->dropped)
        return;
    if (c->qlen > 0 && c->qbytes + d->frame_len > s->backlog_bytes) {
        sse_drop(s, c, "it does not read fast enough");
        return;
    }
    if (c->qlen == c->qcap) {
        size_t cap = c->qcap ? c->qcap * 2 : 8;
        http_doc **q = malloc(cap * sizeof *q);
        if (!q) {
            sse_drop(s, c, "out of memory queueing for it");
            return;
        }
        for (size_t i = 0; i < c->qlen; i++)
            q[i] = c->q[(c->qhead + i) % c->qcap];
        free(c->q);
        c->q = q;
        c->qcap = cap;
        c->qhead = 0;
    }
    c->q[(c->qhead + c->qlen++) % c->qcap] = doc_hold(d);
    c->qbytes += d->frame_len;
    lws_callback_on_writable(c->wsi);
}

/* One write per writeable callback: lws keeps what the socket did not take and calls
 * back only once it is flushed, so the rest waits in the client's queue. */
static int sse_writeable(sse_client *c)
{
    if (c->dropped)
        return 0;
    if (c->qlen > 0) {
        http_doc *d = c->q[c->qhead];
        c->qhead = (c->qhead + 1) % c->qcap;
        c->qlen--;
        c->qbytes -= d->frame_len;
        int n = lws_write(c->wsi, d->buf + LWS_PRE, d->frame_len, LWS_WRITE_HTTP);
        doc_release(d);
        if (n < 0)
            return -1;
        if (c->qlen > 0)
            lws_callback_on_writable(c->wsi);
        return 0;
    }
    if (c->heartbeat_due) {
        static const char beat[] = ": heartbeat\n\n";
        unsigned char buf[LWS_PRE + sizeof beat];
        memcpy(buf + LWS_PRE, beat, sizeof beat - 1);
        c->heartbeat_due = false;
        if (lws_write(c->wsi, buf + LWS_PRE, sizeof beat - 1, LWS_WRITE_HTTP) < 0)
            return -1;
    }
    return 0;
}

static void heartbeat_tick(uv_timer_t *t)
{
    http_server *s = t->data;
    for (size_t b = 0; b < NBUCKETS; b++)
        for (hgame *g = s->buckets[b]; g; g = g->next)
            for (sse_client *c = g->clients; c; c = c->next)
                if (!c->dropped) {
                    c->heartbeat_due = true;
                    lws_callback_on_writable(c->wsi);
                }
}

/* ---------------------------------------------------------------- publishing */

void http_publish(app *a, const char *game, const char *text, size_t len, long event_id)
{
    http_server *s = a->http;
    if (!s || s->stopped)
        return;
    hgame *g = game_find(s, game, true);
    char head[64];
    int hn = snprintf(head, sizeof head, "id: %ld\nevent: boxscore\ndata: ", event_id);
    http_doc *d = g ? malloc(sizeof *d + LWS_PRE + (size_t)hn + len + 2) : NULL;
    if (!d) {
        log_game(LOG_ERROR, game, "http: out of memory keeping box score %ld; API readers get the next one", event_id);
        return;
    }
    d->refs = 1;
    d->event_id = event_id;
    d->seq = ++s->published;
    d->json_off = (size_t)hn;
    d->json_len = len;
    d->hash = key_add(KEY_START, text, len);
    d->frame_len = (size_t)hn + len + 2;
    unsigned char *f = d->buf + LWS_PRE;
    memcpy(f, head, (size_t)hn);
    memcpy(f + hn, text, len);
    memcpy(f + hn + len, "\n\n", 2);
    /* the document's own updated_at, for /v1/games (a JSON string value cannot hold
     * this byte sequence unescaped, so the first match is the top-level key) */
    d->updated_at[0] = '\0';
    static const char key[] = "\"updated_at\":\"";
    const char *u = NULL;
    for (size_t i = 0; !u && i + sizeof key - 1 <= len; i++)
        if (text[i] == '"' && !memcmp(text + i, key, sizeof key - 1))
            u = text + i;
    if (u) {
        u += 14;
        size_t n = 0;
        while (u + n < text + len && u[n] != '"' && n < sizeof d->updated_at - 1)
            n++;
        memcpy(d->updated_at, u, n);
        d->updated_at[n] = '\0';
    }
    doc_release(g->latest);
    g->latest = d;
    for (sse_client *c = g->clients, *next; c; c = next) {
        next = c->next;
        sse_push(s, c, d);
    }
}

/* ---------------------------------------------------------------- replies */

static void pss_release(pss *p)
{
    if (!p)
        return;
    if (p->posts)
        --*p->posts;
    free(p->own);
    doc_release(p->doc);
    free(p->post);
    free(p->auth);
    memset(p, 0, sizeof *p);
}

/* One header by name (NUL-terminated value); non-zero when it does not fit. */
static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **h, unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value,
                                       (int)strlen(value), h, end);
}

/* The CORS headers of the answer to the request on wsi (on_request decided them): none
 * without --cors-origins; Vary: Origin whenever the answer depends on the Origin; the
 * origin allowed, and for a preflight what it may do. Non-zero when they do not fit. */
static int cors_headers(const http_server *s, struct lws *wsi, unsigned char **h, unsigned char *end)
{
    const hconn *hc = lws_get_opaque_user_data(wsi);
    const char *origin = hc ? hc->cors : NULL;
    if (s->ncors && !s->cors_any && add_header(wsi, "vary:", "Origin", h, end))
        return -1;
    if (!origin)
        return 0;
    if (add_header(wsi, "access-control-allow-origin:", origin, h, end))
        return -1;
    if (!hc->preflight)
        return add_header(wsi, "access-control-expose-headers:", "ETag", h, end);
    return add_header(wsi, "access-control-allow-methods:", "GET, HEAD", h, end) ||
           add_header(wsi, "access-control-allow-headers:", "If-None-Match, Last-Event-ID, Cache-Control", h, end) ||
           add_header(wsi, "access-control-max-age:", CORS_MAX_AGE, h, end);
}

/* Writes the status line and headers; the body (len bytes at body, which the session
 * now owns through own or doc when either is set) follows from the writeable callback. */
static int reply(http_server *s, struct lws *wsi, pss *p, unsigned status, const char *ctype, const void *body,
                 size_t len, const char *hname, const char *hval, const char *etag)
{
    unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *h = start, *end = buf + sizeof buf - 1;
    pl_metrics_http_response(s->a, status);
    if ((status == 204 ? lws_add_http_header_status(wsi, status, &h, end) /* a 204 has no Content-Length */
                       : lws_add_http_common_headers(wsi, status, ctype, len, &h, end)) ||
        cors_headers(s, wsi, &h, end) ||
        (etag && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_ETAG, (const unsigned char *)etag,
                                              (int)strlen(etag), &h, end)) ||
        (hname && add_header(wsi, hname, hval, &h, end)) ||
        (p->close_after && add_header(wsi, "connection:", "close", &h, end)) ||
        add_header(wsi, "cache-control:", "no-cache", &h, end) ||
        add_header(wsi, "x-content-type-options:", "nosniff", &h, end) ||
        lws_finalize_write_http_header(wsi, start, &h, end))
        return -1;
    if (len == 0 || p->head) {
        bool close = p->close_after;
        pss_release(p);
        if (close)
            return -1; /* lws flushes what it holds before it closes */
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    /* a client that does not read its answer cannot hold the connection for ever */
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, REPLY_TIMEOUT_S);
    p->kind = P_REPLY;
    p->body = body;
    p->len = len;
    p->off = 0;
    lws_callback_on_writable(wsi);
    return 0;
}

/* A reply whose body is a malloc'd buffer (freed after it is sent). */
static int reply_own(http_server *s, struct lws *wsi, pss *p, unsigned status, const char *ctype, char *body,
                     size_t len)
{
    if (!body)
        return reply(s, wsi, p, 500, "text/plain; charset=utf-8", "out of memory\n", 14, NULL, NULL, NULL);
    p->own = body;
    return reply(s, wsi, p, status, ctype, body, len, NULL, NULL, NULL);
}

/* A reply with a JSON body built by jansson (taken). */
static int reply_json(http_server *s, struct lws *wsi, pss *p, unsigned status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return reply_own(s, wsi, p, status, "application/json", text, text ? strlen(text) : 0);
}

static int reply_error(http_server *s, struct lws *wsi, pss *p, unsigned status, const char *msg)
{
    return reply_json(s, wsi, p, status, json_pack("{s:i, s:s}", "status", (int)status, "message", msg));
}

/* An answer for a connection lws is about to give another role (an upgrade, CONNECT):
 * written straight to the socket, as nothing else is queued on it yet, and the caller
 * closes the connection. */
static void refuse_raw(http_server *s, struct lws *wsi, int limit, unsigned status, const char *reason,
                       const char *msg)
{
    hconn *hc = lws_get_opaque_user_data(wsi);
    if (hc)
        hc->requested = true;
    pl_metrics_http_limit(s->a, limit);
    pl_metrics_http_response(s->a, (int)status);
    limit_hit(s, L_UPGRADE, "refused a request: %s", msg);
    char body[200], out[512];
    int bn = snprintf(body, sizeof body, "{\"status\":%u,\"message\":\"%s\"}", status, msg);
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 %u %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                     "connection: close\r\ncache-control: no-cache\r\n\r\n%s",
                     status, reason, bn, body);
    if (n > 0 && (size_t)n < sizeof out)
        (void)!send(lws_get_socket_fd(wsi), out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int body_writeable(struct lws *wsi, pss *p)
{
    unsigned char buf[LWS_PRE + WRITE_CHUNK];
    size_t n = p->len - p->off;
    if (n > WRITE_CHUNK)
        n = WRITE_CHUNK;
    memcpy(buf + LWS_PRE, p->body + p->off, n);
    p->off += n;
    bool last = p->off == p->len;
    if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0)
        return -1;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    bool close = p->close_after;
    pss_release(p);
    if (close)
        return -1; /* lws flushes what it holds before it closes */
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---------------------------------------------------------------- routes */

/* The /v1/games entry of a game no longer followed (retired after its final under a
 * prefix), from its newest document. */
static json_t *summary_of_doc(const hgame *h)
{
    json_t *doc = json_loadb((const char *)h->latest->buf + LWS_PRE + h->latest->json_off, h->latest->json_len, 0,
                             NULL), *e = NULL;
    json_t *team[2] = {NULL, NULL};
    for (int i = 0; doc && i < 2; i++) {
        json_t *t = json_object_get(doc, i ? "away" : "home");
        team[i] = json_pack("{s:O?, s:O?, s:O?}", "teamid", json_object_get(t, "teamid"), "name",
                            json_object_get(t, "name"), "score", json_object_get(t, "score"));
    }
    if (doc && team[0] && team[1])
        e = json_pack("{s:s, s:O?, s:o, s:o, s:O?, s:O?, s:O?, s:I, s:O?}", "game", h->id, "state",
                      json_object_get(doc, "state"), "home", team[0], "away", team[1], "period",
                      json_object_get(doc, "period"), "timestamp", json_object_get(doc, "timestamp"),
                      "quarter_clock", json_object_get(doc, "quarter_clock"), "event_id",
                      (json_int_t)h->latest->event_id, "updated_at", json_object_get(doc, "updated_at"));
    else {
        json_decref(team[0]);
        json_decref(team[1]);
    }
    json_decref(doc);
    return e;
}

/* Brings h's entry up to date with what it shows now (key), rendering it only when
 * that changed: a list of 5,000 games costs a hash of each, not 5,000 renderings.
 * g is the game followed, NULL for one no longer followed. False when out of memory. */
static bool entry_update(http_server *s, hgame *h, const game_run *g)
{
    uint64_t k = key_add(key_str(KEY_START, h->id), &(uint64_t){h->latest ? h->latest->seq : 0}, sizeof(uint64_t));
    if (g) /* everything gr_summary shows */
        k = gr_summary_key(g, k);
    if (h->entry && h->entry_key == k)
        return true;
    json_t *e = g ? gr_summary(g) : summary_of_doc(h);
    char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    if (!text)
        return false;
    free(h->entry);
    h->entry = text;
    h->entry_len = strlen(text);
    h->entry_key = k;
    s->a->metrics.http_list_renders++;
    return true;
}

/* The games GET /v1/games lists, in its order: those followed (a->games), then those
 * seen before and not followed now (retired after their final: their last state). With
 * Kafka, only the games this instance owns now: a game whose partition moved (or is
 * between a revocation and the next assignment) is another's to show. From it = {0};
 * *run is the game followed, NULL for one that is not; NULL at the end. */
typedef struct list_it {
    size_t i, b;
    hgame *h;
} list_it;

static hgame *list_next(http_server *s, list_it *it, uint64_t listing, const game_run **run)
{
    app *a = s->a;
    while (it->i < a->ngames) {
        *run = a->games[it->i++];
        if (!kafka_owns(a, (*run)->id))
            continue;
        hgame *h = game_find(s, (*run)->id, true); /* NULL when out of memory: not listed */
        if (h) {
            h->listed = listing;
            return h;
        }
    }
    *run = NULL;
    for (;;) {
        hgame *h = it->h ? it->h->next : NULL;
        while (!h && it->b < NBUCKETS)
            h = s->buckets[it->b++];
        if (!(it->h = h) || (h->listed != listing && h->latest && kafka_owns(a, h->id)))
            return h;
    }
}

/* GET /v1/games. The body is made again only when an entry changed, and shared by the
 * replies; its ETag is the hash of the entries' keys. */
static int route_games(http_server *s, struct lws *wsi, pss *p)
{
    uint64_t listing = ++s->listings, key = KEY_START;
    list_it it = {0};
    const game_run *g;
    hgame *h;
    while ((h = list_next(s, &it, listing, &g))) {
        if (!entry_update(s, h, g))
            return reply_error(s, wsi, p, 500, "out of memory");
        key = key_add(key, &h->entry_key, sizeof h->entry_key);
    }
    if (!s->list || s->list_key != key) {
        bs_buf body = {0};
        bs_buf_add(&body, "{\"games\":[", 10);
        it = (list_it){0};
        for (bool first = true; (h = list_next(s, &it, listing, &g)); first = false) {
            if (!first)
                bs_buf_add(&body, ",", 1);
            bs_buf_add(&body, h->entry, h->entry_len);
        }
        bs_buf_add(&body, "]}", 2);
        size_t len = 0;
        char *text = bs_buf_take(&body, &len);
        http_doc *d = text ? malloc(sizeof *d + LWS_PRE + len) : NULL;
        if (!d) {
            free(text);
            return reply_error(s, wsi, p, 500, "out of memory");
        }
        *d = (http_doc){.refs = 1, .json_len = len, .frame_len = len};
        memcpy(d->buf + LWS_PRE, text, len);
        free(text);
        doc_release(s->list);
        s->list = d;
        s->list_key = key;
    }
    char etag[32], inm[64];
    snprintf(etag, sizeof etag, "\"g-%016" PRIx64 "\"", key);
    if (lws_hdr_copy(wsi, inm, sizeof inm, WSI_TOKEN_HTTP_IF_NONE_MATCH) > 0 &&
        (!strcmp(inm, etag) || !strcmp(inm, "*")))
        return reply(s, wsi, p, 304, NULL, NULL, 0, NULL, NULL, etag);
    p->doc = doc_hold(s->list);
    return reply(s, wsi, p, 200, "application/json", s->list->buf + LWS_PRE, s->list->json_len, NULL, NULL, etag);
}

static int route_game(http_server *s, struct lws *wsi, pss *p, const char *id)
{
    hgame *h = game_find(s, id, false);
    if (!h || !h->latest)
        return reply_error(s, wsi, p, 404, run_find(s->a, id) ? "no box score yet for this game" : "unknown game");
    http_doc *d = h->latest;
    /* the event id and the bytes' hash: one event is published again with other bytes (a
     * game stalled or moving again, a roster read again, a restarted game's ids), and an
     * ETag of the event id alone kept clients and caches on the old bytes (304) */
    char etag[48], inm[64];
    snprintf(etag, sizeof etag, "\"%ld-%016" PRIx64 "\"", d->event_id, d->hash);
    if (lws_hdr_copy(wsi, inm, sizeof inm, WSI_TOKEN_HTTP_IF_NONE_MATCH) > 0 &&
        (!strcmp(inm, etag) || !strcmp(inm, "*")))
        return reply(s, wsi, p, 304, NULL, NULL, 0, NULL, NULL, etag);
    p->doc = doc_hold(d);
    return reply(s, wsi, p, 200, "application/json", d->buf + LWS_PRE + d->json_off, d->json_len, NULL, NULL, etag);
}

/* The SSE streams open from peer, over every game. */
static int sse_from(const http_server *s, const char *peer)
{
    int n = 0;
    for (size_t b = 0; b < NBUCKETS; b++)
        for (const hgame *h = s->buckets[b]; h; h = h->next)
            for (const sse_client *c = h->clients; c; c = c->next)
                n += !strcmp(c->peer, peer);
    return n;
}

static int sse_busy(http_server *s, struct lws *wsi, pss *p)
{
    static const char busy[] = "{\"status\":503,\"message\":\"too many SSE clients\"}";
    return reply(s, wsi, p, 503, "application/json", busy, sizeof busy - 1, "retry-after:", "5", NULL);
}

static int route_events(http_server *s, struct lws *wsi, pss *p, const char *id)
{
    hgame *h = game_find(s, id, false);
    if ((!h || !h->latest) && !run_find(s->a, id))
        return reply_error(s, wsi, p, 404, "unknown game");
    /* a body on a stream request: libwebsockets could not give the stream's header buffer
     * back, nor see the peer close (CLOSE-WAIT for good): 264 such requests held the whole
     * pool, and every later connection waited for a buffer until cut (a hostile probe) */
    if (p->close_after)
        return reply_error(s, wsi, p, 400, "an event stream request has no body");
    if (s->a->metrics.sse_clients >= (uint64_t)s->a->cfg->http_max_sse) {
        pl_metrics_http_limit(s->a, PL_HTTP_LIMIT_SSE_CLIENTS);
        limit_hit(s, L_SSE, "refused an SSE client: %" PRIu64 " streams open (--http-max-sse %d)",
                  s->a->metrics.sse_clients, s->a->cfg->http_max_sse);
        return sse_busy(s, wsi, p);
    }
    char peer[64] = "";
    int per_peer = s->a->cfg->http_max_sse_per_peer, from = 0;
    if (!lws_get_peer_simple(wsi, peer, sizeof peer))
        peer[0] = '\0'; /* no address known: not counted against one */
    if (per_peer > 0 && peer[0] && (from = sse_from(s, peer)) >= per_peer) {
        pl_metrics_http_limit(s->a, PL_HTTP_LIMIT_SSE_CLIENTS);
        limit_hit(s, L_SSE, "refused an SSE client: %d streams open from %s (--http-max-sse-per-peer %d)", from,
                  peer, per_peer);
        return sse_busy(s, wsi, p);
    }
    h = game_find(s, id, true);
    sse_client *c = h ? calloc(1, sizeof *c) : NULL;
    hconn *hc = lws_get_opaque_user_data(wsi);
    if (!c || !hc) {
        free(c);
        return reply(s, wsi, p, 500, "text/plain; charset=utf-8", "out of memory\n", 14, NULL, NULL, NULL);
    }
    unsigned char buf[LWS_PRE + 512], *start = buf + LWS_PRE, *hp = start, *end = buf + sizeof buf - 1;
    pl_metrics_http_response(s->a, 200);
    if (lws_add_http_common_headers(wsi, 200, "text/event-stream", LWS_ILLEGAL_HTTP_CONTENT_LEN, &hp, end) ||
        add_header(wsi, "cache-control:", "no-cache", &hp, end) ||
        add_header(wsi, "x-accel-buffering:", "no", &hp, end) ||
        cors_headers(s, wsi, &hp, end) || lws_finalize_write_http_header(wsi, start, &hp, end)) {
        free(c);
        return -1;
    }
    /* the stream has no end: no lws timeout, and its header buffer goes back to the pool
     * (lws_http_mark_sse does only this on HTTP/1, and logs an error each time) */
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    if (lws_http_headers_detach(wsi)) { /* bytes after the request (pipelined): the buffer stays; close */
        free(c);
        return -1;
    }
    int sndbuf = (int)(s->backlog_bytes < 65536 ? s->backlog_bytes : 65536); /* bounds what the kernel holds too */
    setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    c->wsi = wsi;
    c->game = h;
    memcpy(c->peer, peer, sizeof c->peer);
    c->next = h->clients;
    if (h->clients)
        h->clients->prev = c;
    h->clients = c;
    hc->sse = c;
    p->kind = P_SSE;
    hc->counted = false;
    s->a->metrics.http_connections--; /* an SSE stream counts against --http-max-sse, not --http-max-conns */
    s->a->metrics.sse_clients++;
    /* the newest document at once: for a new client and for one that reconnects with
     * Last-Event-ID alike (older documents are not kept) */
    if (h->latest)
        sse_push(s, c, h->latest);
    return 0;
}

static int route_ready(http_server *s, struct lws *wsi, pss *p)
{
    app *a = s->a;
    json_t *waiting = json_array();
    if (!a->ref)
        json_array_append_new(waiting, json_string("reference"));
    for (int s = 0; s < a->nbs; s++) { /* each box-score sink on its own, named when there are several */
        bool sink_ok = !a->bs[s].gave_up;
        for (int i = 0; i < a->bs[s].nconns; i++)
            sink_ok = sink_ok && a->bs[s].lanes[i].failures == 0;
        char what[64];
        snprintf(what, sizeof what, "boxscores sink%s%s", a->nbs > 1 ? " " : "", a->nbs > 1 ? a->bs[s].name : "");
        if (!sink_ok)
            json_array_append_new(waiting, json_string(what));
    }
    if (a->l_res.gave_up || a->l_res.failures > 0)
        json_array_append_new(waiting, json_string("results sink"));
    char kafka[512];
    kafka_waiting(a, kafka, sizeof kafka);
    if (kafka[0])
        json_array_append_new(waiting, json_string(kafka));
    bool ready = waiting && json_array_size(waiting) == 0;
    /* games refused (their id is another source's game) do not make the process unready,
     * but it says so */
    json_t *body = ready ? json_pack("{s:b}", "ready", 1)
                         : waiting ? json_pack("{s:b, s:O}", "ready", 0, "waiting_for", waiting) : NULL;
    json_decref(waiting);
    if (body && a->metrics.games_refused)
        json_object_set_new(body, "games_refused", json_integer((json_int_t)a->metrics.games_refused));
    return reply_json(s, wsi, p, ready ? 200 : 503, body);
}

static int route_post_start(http_server *s, struct lws *wsi, pss *p)
{
    char cl[32], msg[256] = "";
    size_t max = s->body_bytes;
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n > 0) {
        p->auth = malloc((size_t)n + 1);
        if (!p->auth || lws_hdr_copy(wsi, p->auth, n + 1, WSI_TOKEN_HTTP_AUTHORIZATION) < 0) {
            p->close_after = true;
            return reply_error(s, wsi, p, 500, "out of memory");
        }
    }
    /* the token before the body: a stranger's body is never read */
    int st = pl_notify_authorize(s->a, p->auth, msg, sizeof msg);
    if (st != 200) {
        pss_release(p);
        p->close_after = true;
        return reply_json(s, wsi, p, (unsigned)st, json_pack("{s:i, s:s}", "status", st, "message", msg));
    }
    if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
        p->close_after = true; /* no length: no body this server reads (before: no answer, closed at the timeout) */
        return reply_error(s, wsi, p, 411, "send the body with a Content-Length");
    }
    if (strtoull(cl, NULL, 10) > max) {
        pl_metrics_http_limit(s->a, PL_HTTP_LIMIT_BODY_SIZE);
        limit_hit(s, L_BODY, "refused a %s-byte body on /minio/events (--http-max-body-kib %zu)", cl, max >> 10);
        p->close_after = true; /* the body is not read: the connection cannot be reused */
        return reply_error(s, wsi, p, 413, "request body too large");
    }
    /* MinIO sends application/json; a browser sends text/plain or a form without asking
     * first (no CORS preflight), so a web page cannot post forged notifications here */
    char ct[128] = "";
    int ctn = lws_hdr_copy(wsi, ct, sizeof ct, WSI_TOKEN_HTTP_CONTENT_TYPE);
    if (ctn < 16 || strncasecmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
        pl_metrics_notify(s->a, PL_NOTIFY_MALFORMED);
        pss_release(p);
        p->close_after = true; /* the body is not read */
        return reply_error(s, wsi, p, 415, "send the notification as Content-Type: application/json (as MinIO does)");
    }
    /* bodies are read whole before they are parsed, up to --http-max-body-kib each: 250
     * held open at once took 270 MB (a hostile probe); MinIO sends one at a time a target */
    if (s->posts >= MAX_POSTS) {
        pl_metrics_http_limit(s->a, PL_HTTP_LIMIT_BODY_SIZE);
        limit_hit(s, L_BODY, "refused a body on /minio/events: %d being read (at most %d at once)", s->posts,
                  MAX_POSTS);
        pss_release(p);
        p->close_after = true;
        return reply_error(s, wsi, p, 503, "too many notifications at once: send it again");
    }
    s->posts++;
    p->posts = &s->posts;
    p->kind = P_POST;
    p->body_by = uv_now(&s->a->loop) + (uint64_t)s->a->cfg->http_body_timeout_s * 1000;
    return 0; /* the body comes through LWS_CALLBACK_HTTP_BODY */
}

static int post_body(http_server *s, struct lws *wsi, pss *p, const char *in, size_t len)
{
    if (p->kind != P_POST)
        return 0; /* the body of a request already answered (405, 413): ignored */
    /* lws times each read of a body; this bounds the whole body (one byte every few
     * seconds would otherwise hold the connection for ever) */
    if (uv_now(&s->a->loop) > p->body_by) {
        pl_metrics_http_limit(s->a, PL_HTTP_LIMIT_BODY_TIMEOUT);
        limit_hit(s, L_BODYTIME, "cut a body on /minio/events still coming after %d s (--http-body-timeout-s)",
                  s->a->cfg->http_body_timeout_s);
        pss_release(p);
        p->close_after = true;
        return reply_error(s, wsi, p, 408, "request body too slow");
    }
    if (p->post_len + len > s->body_bytes) {
        pl_metrics_http_limit(s->a, PL_HTTP_LIMIT_BODY_SIZE);
        limit_hit(s, L_BODY, "cut a body on /minio/events past %zu bytes (--http-max-body-kib)", s->body_bytes);
        pss_release(p);
        p->close_after = true;
        return reply_error(s, wsi, p, 413, "request body too large");
    }
    if (!bs_reserve(&p->post, &p->post_cap, p->post_len + len + 1)) {
        pss_release(p);
        p->close_after = true;
        return reply_error(s, wsi, p, 500, "out of memory");
    }
    if (len) /* a zero Content-Length gives in == NULL */
        memcpy(p->post + p->post_len, in, len);
    p->post_len += len;
    p->post[p->post_len] = '\0';
    return 0;
}

static int post_done(http_server *s, struct lws *wsi, pss *p)
{
    if (p->kind != P_POST)
        return 0;
    char msg[256] = "";
    int st = pl_notify_minio(s->a, p->post ? p->post : "", p->post_len, msg, sizeof msg);
    pss_release(p);
    if (st < 100 || st > 599)
        st = 500;
    return reply_json(s, wsi, p, (unsigned)st, json_pack("{s:i, s:s}", "status", st, "message", msg));
}

typedef enum method { M_GET, M_HEAD, M_POST, M_OPTIONS, M_OTHER } method;

static int not_allowed(http_server *s, struct lws *wsi, pss *p, method m, const char *allow)
{
    p->close_after = p->close_after || (m != M_GET && m != M_HEAD); /* a body may follow: not read */
    static const char body[] = "{\"status\":405,\"message\":\"method not allowed\"}";
    return reply(s, wsi, p, 405, "application/json", body, sizeof body - 1, "allow:", allow, NULL);
}

/* The origin allowed to read the answer to this request (browsers send Origin on every
 * cross-origin request): "*" when any is, the configured origin it equals, else NULL. */
static const char *cors_allowed(const http_server *s, struct lws *wsi)
{
    char origin[CORS_ORIGIN_MAX + 1];
    if (!s->ncors || lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
        return NULL;
    if (s->cors_any)
        return "*";
    if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0)
        return NULL; /* longer than any origin allowed */
    for (int i = 0; i < s->ncors; i++)
        if (!strcmp(origin, s->cors[i]))
            return s->cors[i];
    return NULL;
}

/* OPTIONS: 204 with Allow; for an allowed origin also the CORS preflight's answer (a page
 * elsewhere may GET with these headers). An origin not allowed gets no CORS header, and
 * its browser refuses the request it meant to send. */
static int options_reply(http_server *s, struct lws *wsi, pss *p, const char *allow)
{
    hconn *hc = lws_get_opaque_user_data(wsi);
    if (hc)
        hc->preflight = hc->cors != NULL;
    return reply(s, wsi, p, 204, NULL, NULL, 0, "allow:", allow, NULL);
}

/* The request's length, as RFC 9112 section 6 wants it unambiguous: one Content-Length
 * of decimal digits (lws joins repeated headers with ',', which the digits rule refuses),
 * and no Transfer-Encoding (lws reads no chunked body; with a length, or on a request
 * without a body, it would let the bytes after the headers be read as another request).
 * NULL when the length is clear (*has_body says whether a body follows), else why not,
 * with the status to answer. */
/* A framing header with blanks before its colon ("Transfer-Encoding : chunked"): lws keeps
 * it as an unknown header, so the checks below would not see it, while a proxy in front
 * may honour it (a request smuggled past the proxy); RFC 9112 5.1 says answer 400. */
static bool blank_before_colon(struct lws *wsi)
{
    static const char *const names[] = {"transfer-encoding", "content-length"};
    char name[40];
    /* lws 4.1 cannot list its unknown headers, only look one up by its exact name: every
     * run of up to BLANKS_MAX spaces and tabs is tried (a longer run is not caught) */
    enum { BLANKS_MAX = 4 };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t len = strlen(names[i]);
        memcpy(name, names[i], len);
        for (int k = 1; k <= BLANKS_MAX; k++)
            for (unsigned bits = 0; bits < 1u << k; bits++) {
                for (int j = 0; j < k; j++)
                    name[len + (size_t)j] = bits >> j & 1u ? '\t' : ' ';
                name[len + (size_t)k] = ':';
                if (lws_hdr_custom_length(wsi, name, (int)len + k + 1) >= 0)
                    return true;
            }
    }
    return false;
}

static const char *framing_error(struct lws *wsi, method m, bool *has_body, unsigned *status)
{
    char cl[32];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    *status = 400;
    *has_body = m == M_POST;
    if (blank_before_colon(wsi))
        return "blanks between a Transfer-Encoding or Content-Length header's name and its colon";
    if (n > 0) {
        if (n > 18 || lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) != n ||
            strspn(cl, "0123456789") != (size_t)n)
            return "Content-Length must be one decimal number";
        *has_body = strtoull(cl, NULL, 10) > 0 || m == M_POST;
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
        if (n > 0)
            return "Transfer-Encoding and Content-Length together";
        if (m != M_POST)
            return "Transfer-Encoding on a request that has no body";
        *status = 411;
        return "send the body with a Content-Length (chunked request bodies are not read)";
    }
    return NULL;
}

static int on_request(http_server *s, struct lws *wsi, pss *p, const char *uri)
{
    hconn *hc = lws_get_opaque_user_data(wsi);
    if (hc) {
        hc->requested = true;
        hc->cors = NULL; /* decided below, for the read API only */
        hc->preflight = false;
    }
    method m = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0       ? M_GET
               : lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0    ? M_HEAD
               : lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0    ? M_POST
               : lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI) > 0 ? M_OPTIONS
                                                                      : M_OTHER;
    bool has_body;
    unsigned bad;
    const char *why = framing_error(wsi, m, &has_body, &bad);
    /* a body not read by a route is not read at all: the connection closes after the answer */
    p->close_after = has_body || m == M_OTHER;
    if (why) {
        pl_metrics_http_limit(s->a, PL_HTTP_LIMIT_FRAMING);
        limit_hit(s, L_FRAMING, "refused a request: %s", why);
        p->close_after = true;
        return reply_error(s, wsi, p, bad, why);
    }
    if (!strcmp(uri, "/minio/events"))
        return m == M_POST      ? route_post_start(s, wsi, p)
               : m == M_OPTIONS ? options_reply(s, wsi, p, "POST, OPTIONS")
                                : not_allowed(s, wsi, p, m, "POST, OPTIONS");

    static const char *const gets[] = {"/",        "/healthz",     "/readyz",    "/metrics",
                                       "/openapi.json", "/v1/games", "/favicon.ico"};
    const char *game = NULL;
    bool events = false, known = false;
    for (size_t i = 0; i < sizeof gets / sizeof *gets; i++)
        known = known || !strcmp(uri, gets[i]);
    char id[BS_MAX_GAME_ID + 2];
    if (!known && !strncmp(uri, "/v1/games/", 10)) {
        const char *r = uri + 10, *slash = strchr(r, '/');
        size_t n = slash ? (size_t)(slash - r) : strlen(r);
        events = slash && !strcmp(slash, "/events");
        if (n > 0 && n <= BS_MAX_GAME_ID && (!slash || events)) {
            memcpy(id, r, n);
            id[n] = '\0';
            game = id;
            known = true;
        }
    }
    if (hc)
        hc->cors = cors_allowed(s, wsi);
    if (!known)
        return reply_error(s, wsi, p, 404, "no such path");
    if (m == M_OPTIONS)
        return options_reply(s, wsi, p, "GET, HEAD, OPTIONS");
    if (m != M_GET && m != M_HEAD)
        return not_allowed(s, wsi, p, m, "GET, HEAD, OPTIONS");
    p->head = m == M_HEAD;

    if (game && events && p->head) { /* the stream's headers; no stream */
        hgame *h = game_find(s, game, false);
        return (h && h->latest) || run_find(s->a, game)
                   ? reply(s, wsi, p, 200, "text/event-stream", NULL, 0, NULL, NULL, NULL)
                   : reply_error(s, wsi, p, 404, "unknown game");
    }
    if (game)
        return events ? route_events(s, wsi, p, game) : route_game(s, wsi, p, game);
    if (!strcmp(uri, "/healthz"))
        return reply(s, wsi, p, 200, "text/plain; charset=utf-8", "ok", 2, NULL, NULL, NULL);
    if (!strcmp(uri, "/readyz"))
        return route_ready(s, wsi, p);
    if (!strcmp(uri, "/v1/games"))
        return route_games(s, wsi, p);
    if (!strcmp(uri, "/openapi.json"))
        return reply(s, wsi, p, 200, "application/json", pl_openapi_json, pl_openapi_json_len, NULL, NULL, NULL);
    if (!strcmp(uri, "/favicon.ico")) /* an SVG: browsers go by the type, not the name */
        return reply(s, wsi, p, 200, "image/svg+xml", pl_favicon_svg, pl_favicon_svg_len, NULL, NULL, NULL);
    if (!strcmp(uri, "/metrics")) {
        size_t len = 0;
        char *text = pl_metrics_render(s->a, &len);
        return reply_own(s, wsi, p, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    }
    return reply(s, wsi, p, 200, "text/html; charset=utf-8", pl_page_html, pl_page_html_len, NULL, NULL, NULL);
}

/* ---------------------------------------------------------------- the callback */

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    http_server *s = lws_context_user(lws_get_context(wsi));
    pss *p = user;
    switch (reason) {
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED: { /* once per connection, at its adoption */
        hconn *hc = calloc(1, sizeof *hc);
        if (!hc)
            return -1;
        hc->counted = true;
        lws_set_opaque_user_data(wsi, hc);
        s->a->metrics.http_connections++;
        /* an answer goes out as its headers, then its body: with Nagle the body waited for
         * the client's delayed ACK, 40 ms on every request after a connection's first (a
         * webhook sender that waits for each answer, as MinIO's does, managed 25 a second) */
        int one = 1;
        (void)setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP: { /* an HTTP connection closes */
        hconn *hc = lws_get_opaque_user_data(wsi);
        if (p && p->kind != P_SSE)
            pss_release(p);
        if (hc && hc->sse) {
            sse_free(s, hc->sse);
            hc->sse = NULL;
        }
        return 0;
    }
    case LWS_CALLBACK_WSI_DESTROY: { /* once per connection, whatever its role became */
        hconn *hc = lws_get_opaque_user_data(wsi);
        if (!hc)
            return 0;
        lws_set_opaque_user_data(wsi, NULL);
        if (hc->sse)
            sse_free(s, hc->sse);
        if (hc->counted)
            s->a->metrics.http_connections--;
        if (!hc->requested && !s->stopped) {
            pl_metrics_http_limit(s->a, PL_HTTP_LIMIT_INCOMPLETE);
            limit_hit(s, L_NOREQ, "closed a connection that sent no whole request (--http-header-timeout-s %d, "
                      "--http-max-header-bytes %d)", s->a->cfg->http_header_timeout_s,
                      s->a->cfg->http_max_header_bytes);
        }
        free(hc);
        return 0;
    }
    /* Neither WebSocket nor HTTP/2 is served, and CONNECT tunnels nothing: each is
     * answered and its connection closed, so it cannot keep a connection slot. */
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        hconn *hc = lws_get_opaque_user_data(wsi);
        if (hc)
            hc->requested = true; /* a whole request, refused: not an incomplete one */
        if (lws_hdr_total_length(wsi, WSI_TOKEN_UPGRADE) > 0 && in &&
            (!strcasecmp(in, "websocket") || !strcasecmp(in, "h2c")))
            refuse_raw(s, wsi, PL_HTTP_LIMIT_UPGRADE, 400, "Bad Request",
                       "no protocol upgrade is offered (no WebSocket, no HTTP/2): use HTTP/1.1");
        return -1; /* anything else was answered 403 by lws already */
    }
    case LWS_CALLBACK_RAW_ADOPT: /* CONNECT: lws hands the connection over as a raw socket */
        refuse_raw(s, wsi, PL_HTTP_LIMIT_UPGRADE, 405, "Method Not Allowed", "CONNECT is not served");
        return -1;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL: /* end of a transaction: the session is freed after this */
        if (p && p->kind != P_SSE)
            pss_release(p);
        return 0;
    case LWS_CALLBACK_HTTP:
        return on_request(s, wsi, p, in ? (const char *)in : "/");
    case LWS_CALLBACK_HTTP_BODY:
        return post_body(s, wsi, p, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return post_done(s, wsi, p);
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!p)
            return 0;
        if (p->kind == P_REPLY)
            return body_writeable(wsi, p);
        hconn *hc = lws_get_opaque_user_data(wsi);
        if (p->kind == P_SSE && hc && hc->sse)
            return sse_writeable(hc->sse);
        return 0;
    }
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"http", callback, sizeof(pss), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* lws's own log lines, through ours (errors and warnings only). */
/* libwebsockets' own lines, at most LWS_LOG_BURST every LIMIT_LOG_MS: one client sending
 * oversized headers in a loop made 4,400 lines a second (a hostile probe). Its callback
 * has no context, so the count is the process's (there is one server). */
#define LWS_LOG_BURST 5
static struct {
    uint64_t since_ms, quiet;
    int said;
} lws_said;

static void lws_log(int level, const char *line)
{
    uint64_t now = uv_hrtime() / 1000000u;
    if (!lws_said.since_ms || now - lws_said.since_ms >= LIMIT_LOG_MS) {
        if (lws_said.quiet)
            log_msg(LOG_WARN, "http (libwebsockets): %" PRIu64 " more lines in the last %d s not shown",
                    lws_said.quiet, LIMIT_LOG_MS / 1000);
        lws_said.since_ms = now ? now : 1;
        lws_said.said = 0;
        lws_said.quiet = 0;
    }
    if (lws_said.said >= LWS_LOG_BURST) {
        lws_said.quiet++;
        return;
    }
    lws_said.said++;
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    log_msg(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "http (libwebsockets): %.*s", (int)n, line);
}

/* ---------------------------------------------------------------- life */

/* Splits ADDR:PORT ("127.0.0.1:8080", "[::1]:8080", ":8080" or "*:8080" for every IPv4
 * address) into the socket address to bind. 0, or -1 with why. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sl, char *why, size_t whylen)
{
    const char *colon = strrchr(spec, ':');
    char *end;
    long v = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon[1] == '\0' || *end || v < 1 || v > 65535) {
        snprintf(why, whylen, "no port 1-65535 after the last ':'");
        return -1;
    }
    char host[64];
    const char *h = spec;
    size_t n = (size_t)(colon - spec);
    bool bracketed = n >= 2 && h[0] == '[' && h[n - 1] == ']';
    if (bracketed) {
        h++;
        n -= 2;
    }
    if (n >= sizeof host) {
        snprintf(why, whylen, "the address is too long");
        return -1;
    }
    memcpy(host, h, n);
    host[n] = '\0';
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (!bracketed && (n == 0 || !strcmp(host, "*") || inet_pton(AF_INET, host, &v4->sin_addr) == 1)) {
        if (n == 0 || !strcmp(host, "*"))
            v4->sin_addr.s_addr = htonl(INADDR_ANY);
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)v);
        *sl = sizeof *v4;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1 && (bracketed || strchr(host, ':'))) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)v);
        *sl = sizeof *v6;
        return 0;
    }
    snprintf(why, whylen, "'%s' is not an IP address (IPv6 in brackets: [::1]:8080)", host);
    return -1;
}

/* Splits --cors-origins (origins apart by commas or spaces) in place, into what browsers
 * send as Origin: lower case, without the default port (https://a.example:443 is sent as
 * https://a.example). The number of origins (any says "*" was one), or -1 with why. */
static int cors_split(char *list, const char *out[CORS_MAX], bool *any, char *why, size_t whylen)
{
    int n = 0;
    *any = false;
    for (char *save = NULL, *o = strtok_r(list, ", \t", &save); o; o = strtok_r(NULL, ", \t", &save)) {
        for (char *c = o; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        size_t len = strlen(o), scheme = !strncmp(o, "http://", 7) ? 7 : !strncmp(o, "https://", 8) ? 8 : 0;
        const char *host = o + scheme, *colon = strrchr(host, ':'), *bracket = strrchr(host, ']');
        if (colon && bracket && colon < bracket)
            colon = NULL; /* [::1] alone */
        size_t hostlen = colon ? (size_t)(colon - host) : strlen(host);
        bool port_ok = !colon || (colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
                                  strlen(colon + 1) <= 5 && atoi(colon + 1) >= 1 && atoi(colon + 1) <= 65535);
        if (!strcmp(o, "*")) {
            *any = true;
        } else if (!scheme || hostlen == 0 || strpbrk(host, "/?#@") || !port_ok || len > CORS_ORIGIN_MAX) {
            snprintf(why, whylen, "'%s' is not an origin (scheme://host[:port], e.g. https://scores.example.org, "
                     "without a path; or *)", o);
            return -1;
        }
        if (colon && !strcmp(colon, scheme == 8 ? ":443" : ":80"))
            o[colon - o] = '\0';
        if (n == CORS_MAX) {
            snprintf(why, whylen, "more than %d origins", CORS_MAX);
            return -1;
        }
        out[n++] = o;
    }
    return n;
}

int http_check_config(const pl_config *c, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    char why[CORS_ORIGIN_MAX + 128];
    if (strcmp(c->http_listen, "off") && parse_listen(c->http_listen, &ss, &sl, why, sizeof why)) {
        snprintf(err, errlen, "--http must be ADDR:PORT (e.g. 127.0.0.1:8080, [::1]:8080, *:8080) or off, not '%s': %s",
                 c->http_listen, why);
        return -1;
    }
    if (c->cors_origins) {
        const char *o[CORS_MAX];
        bool any;
        char *list = strdup(c->cors_origins);
        int n = list ? cors_split(list, o, &any, why, sizeof why) : -1;
        if (n < 0)
            snprintf(err, errlen, "--cors-origins: %s", list ? why : "out of memory");
        free(list);
        if (n < 0)
            return -1;
    }
    return 0; /* the limits' ranges are in the option table (main.c) */
}

/* The address as bound, for the log: "127.0.0.1:8080", "[::1]:8080". */
static void show_addr(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof ip);
        snprintf(out, outlen, "[%s]:%u", ip, ntohs(v6->sin6_port));
    } else {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof ip);
        snprintf(out, outlen, "%s:%u", ip, ntohs(v4->sin_port));
    }
}

/* The listening socket, bound to exactly that address (an IPv6 one to IPv6 only) and
 * listening: the one step that can fail because another process has the port, so
 * nothing says "serving" before it succeeded. The fd, or -1 with why. */
static int listen_open(const struct sockaddr_storage *ss, socklen_t sl, char *why, size_t whylen)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* a restart while old sockets are in TIME_WAIT */
    if (ss->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)ss, sl) || listen(fd, SOMAXCONN)) {
        snprintf(why, whylen, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* ---------------------------------------------------------------- accepting */

/* Descriptors HTTP never takes: a quarter of the soft RLIMIT_NOFILE, 16 to 256, so that
 * connections held open cannot starve the sinks, the reference reader and the source. An
 * accepted descriptor numbered at or above the ceiling is closed at once (the kernel
 * hands out the lowest free number: one that high means the table is nearly full). */
static long fd_ceiling(long *limit)
{
    struct rlimit rl;
    *limit = 0;
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)LONG_MAX)
        return LONG_MAX;
    long lim = (long)rl.rlim_cur, spare = lim / 4;
    *limit = lim;
    spare = spare < FD_SPARE_MIN ? FD_SPARE_MIN : spare > FD_SPARE_MAX ? FD_SPARE_MAX : spare;
    return lim - spare;
}

static void on_listen(uv_poll_t *h, int status, int events);

static void accept_resume(uv_timer_t *t)
{
    http_server *s = t->data;
    if (!s->stopped)
        uv_poll_start(&s->lpoll, UV_READABLE, on_listen);
}

/* No descriptor to accept with: stop watching the listener for a while, rather than
 * being woken again at once by the connection still waiting (a busy loop). */
static void accept_pause(http_server *s, int err)
{
    pl_metrics_http_limit(s->a, PL_HTTP_LIMIT_DESCRIPTORS);
    limit_hit(s, L_FDS, "cannot accept a connection: %s; accepting again in %d ms (ulimit -n)", strerror(err),
              ACCEPT_PAUSE_MS);
    uv_poll_stop(&s->lpoll);
    uv_timer_start(&s->lpause, accept_resume, ACCEPT_PAUSE_MS, 0);
}

static void on_listen(uv_poll_t *h, int status, int events)
{
    (void)events;
    http_server *s = h->data;
    if (status < 0 || s->stopped)
        return;
    long limit, ceiling = fd_ceiling(&limit);
    app *a = s->a;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                accept_pause(s, errno); /* EMFILE, ENFILE, ENOBUFS, ENOMEM */
            return;
        }
        if (fd >= ceiling) {
            close(fd);
            pl_metrics_http_limit(a, PL_HTTP_LIMIT_DESCRIPTORS);
            limit_hit(s, L_FDS, "refused a connection: descriptor %d is among the last %ld of %ld (ulimit -n), "
                      "kept for the sinks and the sources", fd, limit - ceiling, limit);
            continue;
        }
        if (a->metrics.http_connections >= (uint64_t)a->cfg->http_max_conns) {
            close(fd);
            pl_metrics_http_limit(a, PL_HTTP_LIMIT_CONNECTIONS);
            limit_hit(s, L_CONNS, "refused a connection: %" PRIu64 " open (--http-max-conns %d)",
                      a->metrics.http_connections, a->cfg->http_max_conns);
            continue;
        }
        lws_adopt_socket_vhost(s->vh, fd); /* closes fd when it fails */
    }
}

/* A loopback address: only this machine reaches it. */
static bool loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    return ss->ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

int http_start(app *a)
{
    const pl_config *c = a->cfg;
    if (!strcmp(c->http_listen, "off"))
        return 0;
    struct sockaddr_storage ss;
    socklen_t sl;
    char why[128];
    if (parse_listen(c->http_listen, &ss, &sl, why, sizeof why))
        return -1; /* checked by http_check_config */
    http_server *s = calloc(1, sizeof *s);
    if (!s) {
        log_msg(LOG_ERROR, "out of memory starting the HTTP server");
        return -1;
    }
    s->lfd = listen_open(&ss, sl, why, sizeof why);
    if (s->lfd < 0) {
        log_msg(LOG_ERROR, "cannot listen for HTTP on %s: %s (see --http; 'off' disables the server)",
                c->http_listen, why);
        free(s);
        return -1;
    }
    s->a = a;
    if (c->cors_origins && (s->cors_buf = strdup(c->cors_origins)) != NULL)
        s->ncors = cors_split(s->cors_buf, s->cors, &s->cors_any, why, sizeof why); /* checked by http_check_config */
    if (s->ncors < 0 || (c->cors_origins && !s->cors_buf)) {
        log_msg(LOG_ERROR, "cannot serve HTTP on %s: --cors-origins: %s", c->http_listen,
                s->cors_buf ? why : "out of memory");
        free(s->cors_buf);
        close(s->lfd);
        free(s);
        return -1;
    }
    s->backlog_bytes = (size_t)c->sse_backlog_kib << 10;
    s->body_bytes = (size_t)c->http_max_body_kib << 10;
    show_addr(&ss, s->listen, sizeof s->listen);
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);

    void *loops[1] = {&a->loop};
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER; /* lws serves the connections we accept (on_listen) */
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_LIBUV; /* lws dlopen()s its libuv event library (libwebsockets-evlib_uv.so) */
    info.foreign_loops = loops;
    info.pcontext = &s->ctx;            /* NULLed by lws once the context is gone */
    info.user = s;
    info.timeout_secs = (unsigned)c->http_header_timeout_s;
    info.timeout_secs_ah_idle = (unsigned)c->http_header_timeout_s;
    info.keepalive_timeout = c->http_header_timeout_s;
    info.max_http_header_data = (unsigned short)c->http_max_header_bytes;
    /* a header buffer for every connection that may be reading a request; SSE streams
     * give theirs back once they start */
    long pool = (long)c->http_max_conns + 8;
    info.max_http_header_pool = (unsigned short)(pool > 65535 ? 65535 : pool);
    s->ctx = lws_create_context(&info);
    if (!s->ctx) {
        log_msg(LOG_ERROR, "cannot serve HTTP on %s (libwebsockets could not start; see the lines above)",
                c->http_listen);
        close(s->lfd);
        free(s);
        return -1;
    }
    uv_poll_init_socket(&a->loop, &s->lpoll, s->lfd);
    s->lpoll.data = s;
    uv_timer_init(&a->loop, &s->lpause);
    s->lpause.data = s;
    uv_timer_init(&a->loop, &s->heartbeat);
    s->heartbeat.data = s;
    a->http = s; /* from here http_stop and http_free take it down */
    s->vh = lws_get_vhost_by_name(s->ctx, "default");
    if (!s->vh) {
        log_msg(LOG_ERROR, "cannot serve HTTP on %s (libwebsockets made no vhost)", c->http_listen);
        return -1;
    }
    uv_poll_start(&s->lpoll, UV_READABLE, on_listen);
    uv_timer_start(&s->heartbeat, heartbeat_tick, HEARTBEAT_MS, HEARTBEAT_MS);
    a->hooks.publish = http_publish;
    log_msg(LOG_INFO, "HTTP API on http://%s/ (healthz, readyz, v1/games, metrics, openapi.json)", s->listen);
    if (!c->notify_token && !loopback(&ss))
        log_msg(LOG_WARN, "POST /minio/events on %s takes notifications from anyone who can reach it: set "
                "NOTIFY_TOKEN (or NOTIFY_TOKEN_FILE) to MinIO's webhook auth_token", s->listen);
    return 0;
}

void http_stop(app *a)
{
    http_server *s = a->http;
    if (!s || s->stopped)
        return;
    s->stopped = true;
    uv_close((uv_handle_t *)&s->heartbeat, NULL);
    uv_close((uv_handle_t *)&s->lpause, NULL);
    uv_close((uv_handle_t *)&s->lpoll, NULL); /* stops polling: the socket can be closed now */
    close(s->lfd);
    /* with a foreign loop this closes every connection and the listener, and finishes
     * once lws's handles are closed: later, in the loop (see http_free) */
    if (s->ctx)
        lws_context_destroy(s->ctx);
}

void http_free(app *a)
{
    http_server *s = a->http;
    if (!s)
        return;
    if (s->ctx) { /* lws needs a second destroy once its handles are closed */
        lws_context_destroy(s->ctx);
        uv_run(&a->loop, UV_RUN_DEFAULT);
    }
    for (size_t b = 0; b < NBUCKETS; b++)
        for (hgame *g = s->buckets[b], *next; g; g = next) {
            next = g->next;
            while (g->clients)
                sse_free(s, g->clients);
            doc_release(g->latest);
            free(g->entry);
            free(g);
        }
    doc_release(s->list);
    a->http = NULL;
    free(s->cors_buf);
    free(s);
}
