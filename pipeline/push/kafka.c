/*
 * kafka.c — the Kafka intake (see kafka.h).
 *
 * On the loop, never waiting: librdkafka's consumer queue (the main queue is forwarded
 * to it) writes a byte to a pipe when it becomes non-empty; a uv_poll on the pipe
 * drains it with rd_kafka_consumer_poll(rk, 0), and a timer every KAFKA_TICK_MS drains
 * it too, so max.poll.interval.ms never passes while the topic is quiet. Rebalances,
 * errors, statistics and logs all come through that queue, on the loop thread. The one
 * call that waits on a broker, the topic's metadata (its partition count), runs on a
 * worker thread.
 *
 * Assignor: eager "range", not cooperative-sticky, whose implementation in librdkafka
 * 2.0.2 (Debian 12) has known bugs fixed in later releases. Eager revokes every
 * partition at each rebalance, so a revoked game is paused, not dropped: if the next
 * assignment gives its partition back it resumes where it was, without a rebuild;
 * otherwise it is dropped once its in-flight writes end, or at --grace-ms at most (the
 * new owner rebuilds it from its object, as after a crash). A paused game starts no read;
 * what it had read is still folded and written (dropping a rendered state would lose the
 * newest document if its partition came back), so after a revocation an instance writes
 * no more than what it had read before it; but not its forget, nor a newest-only sink's
 * document (outbox.c ob_next): after the new owner's writes they would delete or hide them.
 *
 * Invariants of the offsets (at least once, counted once): each message of an assigned
 * partition is kept, in order, until its work is done: the game it names (if this
 * instance follows it) has been read after the message came, that read is folded, every
 * document it led to is acknowledged, and at a final the game's tables are written; a
 * message that names no followed game is done once a listing that began after it has
 * ended. Only the offset after the last done message of an unbroken run from the head
 * is stored (rd_kafka_offsets_store); auto-commit sends what is stored, and so does the
 * close. A partition whose kept messages pass KAFKA_PENDING_MAX is paused, and resumed
 * below half of it, so the bookkeeping stays bounded (kafka_offsets.c, pure and unit-tested,
 * holds this run and the bound). A crash loses nothing: a stored
 * offset's work was written, and a new owner lists the prefix and rebuilds every game
 * of its partitions from the objects anyway.
 *
 * Brokers down: the games owned keep being followed by polling. librdkafka calls an
 * assignment it could not renew in time "lost". When that is broker trouble (every broker
 * down, or the group's coordinator unreachable: librdkafka's statistics say its group
 * state is not "up", or a connection to the coordinator failed since), the group cannot
 * meet, nobody else can take the games over, and they stay followed by polling until the
 * next assignment says which are still this instance's. When the brokers answered all
 * along (this process was stopped or too slow, and the group went on without it), the
 * membership is lost for real: its games are paused at once, like a revocation, so it
 * writes no more of them. Either way nothing can be wrong: writes are idempotent upserts
 * and the tables are keyed by game.
 */
#include "kafka.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "game_run.h"
#include "games.h"
#include "kafka_key.h"
#include "kafka_offsets.h"
#include "log.h"
#include "minio_event.h"
#include "push.h"

#define KAFKA_TICK_MS 250
#define KAFKA_MAX_PARTITIONS 1024 /* a topic with more is refused (logged) */
#define KAFKA_PENDING_MAX 4096    /* messages kept per partition before it is paused */
#define KAFKA_LABELLED_MAX 256    /* partitions with their own series in /metrics */
#define KAFKA_META_RETRY_MS 2000

typedef struct kpart {
    bool assigned;
    ko_part off;          /* the messages kept until their work is done (kafka_offsets.h) */
    int64_t committed, lag; /* from librdkafka's statistics, -1 unknown */
} kpart;

enum { KE_TRANSPORT, KE_BROKERS_DOWN, KE_AUTH, KE_TLS, KE_TIMEOUT, KE_RESOLVE, KE_MESSAGE, KE_REBALANCE, KE_OTHER,
       KE_N };
static const char *const kind_names[KE_N] = {"transport", "all_brokers_down", "authentication", "tls", "timed_out",
                                             "resolve", "message", "rebalance", "other"};

typedef struct pl_kafka {
    app *a;
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    int pipefd[2];
    uv_poll_t io;
    uv_timer_t tick, drop, meta_retry;
    int handles_open;
    uv_work_t meta;
    bool meta_busy;
    int meta_count;       /* worker: the partitions the metadata gave, or -1 */
    char meta_err[256];   /* worker: why not */
    int32_t npart;        /* the topic's partition count, 0 until known */
    kpart parts[KAFKA_MAX_PARTITIONS];
    int nassigned;
    uint64_t listings;    /* listings ended */
    uint64_t listing_at_assign;
    bool log_pending;     /* the rebalance line waits for the listing that takes up its games */
    char assigned_text[256];
    size_t kept, lost;    /* games kept and lost at the last rebalance */
    bool revoked;         /* between a revocation and the next assignment: paused games wait for it */
    bool assignment_lost; /* kept, its games followed by polling, until the next assignment */
    bool coord_down;      /* the group coordinator is not reachable (an error, or the statistics) */
    bool brokers_down;
    bool said_down;
    bool closing, closed, close_done;
    uint64_t close_deadline;
    uint64_t rebalances, messages, malformed;
    uint64_t errors[KE_N];
    bs_once said;         /* error reasons logged (each once) */
} pl_kafka;

/* ---------------------------------------------------------------- configuration */

bool kafka_wanted(const pl_config *c)
{
    return (c->kafka_brokers && *c->kafka_brokers) || (c->kafka_topic && *c->kafka_topic) ||
           (c->kafka_group && *c->kafka_group);
}

static bool set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err, size_t errlen)
{
    if (!value || !*value)
        return true;
    return rd_kafka_conf_set(conf, name, value, err, errlen) == RD_KAFKA_CONF_OK;
}

/* ---------------------------------------------------------------- ownership */

/* MinIO's message key for the game's stream: "<bucket>/<prefix><game>/gamestream.txt"
 * (file://: bucket "" and the prefix folder as the root, "/<game>/gamestream.txt"). */
static int32_t partition_of(const app *a, const pl_kafka *k, const char *game)
{
    char key[ME_MAX_BUCKET + ME_MAX_KEY + 2];
    int n = snprintf(key, sizeof key, "%s/%s%s/" BS_STREAM_NAME, a->push.bucket, a->push.key, game);
    if (n < 0 || (size_t)n >= sizeof key || k->npart < 1)
        return -1;
    return kk_partition(key, (size_t)n, k->npart);
}

bool kafka_owns(const app *a, const char *game)
{
    const pl_kafka *k = a->kafka;
    if (!k)
        return true;
    int32_t p = partition_of(a, k, game);
    return p >= 0 && p < KAFKA_MAX_PARTITIONS && k->parts[p].assigned;
}

/* Pauses the games no longer owned, resumes those owned again; returns how many are
 * not owned now. */
static size_t settle_games(pl_kafka *k)
{
    app *a = k->a;
    size_t unowned = 0;
    for (size_t i = 0; i < a->ngames; i++) {
        game_run *g = a->games[i];
        bool owned = kafka_owns(a, g->id);
        if (!owned) {
            g->paused = true;
            unowned++;
        } else if (g->paused) {
            g->paused = false;
            gr_push(g); /* it may have missed writes while paused */
            app_sink_kick(a); /* and the writes it held back (outbox.c ob_next) go */
        }
    }
    return unowned;
}

static void drop_due(uv_timer_t *t);

/* Drops the games not owned: at once those with nothing in flight or pending, all of
 * them (their pending writes go: the new owner makes them) when force. */
static void drop_games(pl_kafka *k, bool force)
{
    size_t left = games_drop_unowned(k->a, force);
    if (!left)
        uv_timer_stop(&k->drop);
}

static void drop_due(uv_timer_t *t)
{
    pl_kafka *k = t->data;
    /* only an assignment says a game is another's: in a revocation's gap it waits for one */
    if (!k->revoked && games_drop_unowned(k->a, true)) /* a call still in flight: dropped once it ends */
        uv_timer_start(&k->drop, drop_due, KAFKA_TICK_MS, 0);
}

/* ---------------------------------------------------------------- offsets */

static bool msg_done(void *ctx, const ko_msg *m)
{
    pl_kafka *k = ctx;
    app *a = k->a;
    if (!m->game[0])
        return true;
    known_game *kg = games_known(a, m->game, false);
    game_run *g = kg ? kg->run : NULL;
    if (!g) /* not followed: a listing that began after it says so (and its game.json reads) */
        return k->listings > m->listing && games_lister_idle(a);
    if (g->refused || g->paused || g->l_src.gave_up) /* never read again here: holding it would hold the partition */
        return true;
    return g->polls >= m->want_polls && !g->folding && !g->reloading && !g->changed && !gr_sink_pending(g) &&
           (g->state != GR_FINAL || !gr_results_pending(g));
}

/* Pauses or resumes fetching partition i as its bookkeeping says. */
static void flow(pl_kafka *k, int32_t i)
{
    ko_flow_t f = ko_flow(&k->parts[i].off, KAFKA_PENDING_MAX);
    if (f == KO_FLOW_SAME)
        return;
    rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(one, k->a->cfg->kafka_topic, i);
    if (f == KO_FLOW_PAUSE)
        rd_kafka_pause_partitions(k->rk, one);
    else
        rd_kafka_resume_partitions(k->rk, one);
    rd_kafka_topic_partition_list_destroy(one);
}

/* Stores, per partition, the offset after the last done message of the run from the head. */
static void store_done(pl_kafka *k)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    for (int32_t i = 0; i < KAFKA_MAX_PARTITIONS; i++) {
        kpart *p = &k->parts[i];
        if (!p->assigned || !ko_pending(&p->off))
            continue;
        int64_t next = ko_advance(&p->off, msg_done, k);
        if (next >= 0) {
            if (!l)
                l = rd_kafka_topic_partition_list_new(8);
            rd_kafka_topic_partition_list_add(l, k->a->cfg->kafka_topic, i)->offset = next;
        }
        flow(k, i);
    }
    if (l) {
        rd_kafka_resp_err_t e = rd_kafka_offsets_store(k->rk, l);
        if (e)
            log_msg(LOG_DEBUG, "kafka: storing offsets: %s", rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_destroy(l);
    }
}

static void keep(pl_kafka *k, int32_t part, int64_t offset, const char *game)
{
    app *a = k->a;
    if (part < 0 || part >= KAFKA_MAX_PARTITIONS || !k->parts[part].assigned)
        return;
    /* a listing in flight may have begun before the message: the one after it counts */
    ko_msg m = {.offset = offset, .listing = k->listings + (games_lister_idle(a) ? 0 : 1)};
    known_game *kg = game[0] ? games_known(a, game, false) : NULL;
    game_run *g = kg ? kg->run : NULL;
    snprintf(m.game, sizeof m.game, "%s", game);
    /* after the push: a read in flight with the game still marked changed began before the
     * message (its read again follows); one in flight and not marked is the push's own */
    m.want_polls = g ? g->polls + (g->l_src.busy && g->changed ? 2 : 1) : 1;
    if (!ko_keep(&k->parts[part].off, &m) && bs_once_first(&k->said, "keep", 4))
        log_msg(LOG_WARN, "kafka: out of memory keeping a message of %s partition %" PRId32 ": no offset of it is "
                "stored until its next assignment (its messages are read again then; logged once)",
                a->cfg->kafka_topic, part);
}

/* ---------------------------------------------------------------- the queue */

static int error_kind(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
        return KE_TRANSPORT;
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
        return KE_BROKERS_DOWN;
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
        return KE_AUTH;
    case RD_KAFKA_RESP_ERR__SSL:
        return KE_TLS;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        return KE_TIMEOUT;
    case RD_KAFKA_RESP_ERR__RESOLVE:
        return KE_RESOLVE;
    default:
        return KE_OTHER;
    }
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    pl_kafka *k = opaque;
    int kind = error_kind((rd_kafka_resp_err_t)err);
    k->errors[kind]++;
    if (kind == KE_BROKERS_DOWN)
        k->brokers_down = true;
    if (reason && strstr(reason, "GroupCoordinator"))
        k->coord_down = true;
    char key[64];
    snprintf(key, sizeof key, "%d", err);
    bool first = bs_once_first(&k->said, key, strlen(key));
    char down[300] = "";
    if (kind == KE_BROKERS_DOWN)
        snprintf(down, sizeof down, "; no broker of %s answers: the games owned are followed by polling meanwhile",
                 k->a->cfg->kafka_brokers);
    log_msg(first ? LOG_WARN : LOG_DEBUG, "kafka: %s (%s)%s%s", reason, rd_kafka_err2name((rd_kafka_resp_err_t)err), down,
            first ? " (logged once; retried with backoff)" : "");
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const pl_kafka *k = rd_kafka_opaque(rk);
    /* what --kafka-debug asked for is shown without --verbose */
    bool asked = level >= 7 && k && k->a->cfg->kafka_debug && *k->a->cfg->kafka_debug;
    log_msg(asked ? LOG_INFO : LOG_DEBUG, "kafka %s: %s", fac, buf);
}

/* librdkafka's statistics: committed offsets and lag per partition, brokers up. */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    pl_kafka *k = opaque;
    json_t *root = json_loadb(json, len, 0, NULL);
    json_t *parts = json_object_get(json_object_get(json_object_get(root, "topics"), k->a->cfg->kafka_topic),
                                    "partitions");
    const char *name;
    json_t *v;
    json_object_foreach(parts, name, v) {
        char *end;
        long p = strtol(name, &end, 10);
        if (*end || p < 0 || p >= KAFKA_MAX_PARTITIONS)
            continue;
        json_t *c = json_object_get(v, "committed_offset"), *l = json_object_get(v, "consumer_lag");
        k->parts[p].committed = json_is_integer(c) ? json_integer_value(c) : -1;
        k->parts[p].lag = json_is_integer(l) ? json_integer_value(l) : -1;
    }
    const char *cgrp = json_string_value(json_object_get(json_object_get(root, "cgrp"), "state"));
    if (cgrp)
        k->coord_down = strcmp(cgrp, "up") != 0;
    json_t *brokers = json_object_get(root, "brokers");
    json_object_foreach(brokers, name, v) {
        const char *state = json_string_value(json_object_get(v, "state"));
        if (state && !strcmp(state, "UP") && json_integer_value(json_object_get(v, "nodeid")) >= 0)
            k->brokers_down = false;
    }
    json_decref(root);
    return 0; /* librdkafka frees json */
}

static void meta_start(pl_kafka *k);

static void list_text(const rd_kafka_topic_partition_list_t *l, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < l->cnt && n + 8 < outlen; i++)
        n += (size_t)snprintf(out + n, outlen - n, "%s%" PRId32, i ? "," : "", l->elems[i].partition);
    if (!l->cnt)
        snprintf(out, outlen, "none");
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *l, void *opaque)
{
    pl_kafka *k = opaque;
    app *a = k->a;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, l);
        if (k->closing)
            return;
        k->rebalances++;
        k->revoked = false;
        k->assignment_lost = false;
        k->brokers_down = false;
        k->nassigned = 0;
        for (int i = 0; i < l->cnt; i++) {
            int32_t p = l->elems[i].partition;
            if (p < 0 || p >= KAFKA_MAX_PARTITIONS) {
                log_msg(LOG_ERROR, "kafka: partition %" PRId32 " of %s is past the %d this program follows", p,
                        a->cfg->kafka_topic, KAFKA_MAX_PARTITIONS);
                continue;
            }
            k->parts[p].assigned = true;
            k->parts[p].committed = k->parts[p].lag = -1;
            ko_forget(&k->parts[p].off);
            k->nassigned++;
        }
        list_text(l, k->assigned_text, sizeof k->assigned_text);
        log_msg(LOG_DEBUG, "kafka: partitions %s assigned", k->assigned_text);
        size_t before = a->ngames;
        k->lost = settle_games(k);
        k->kept = before - k->lost;
        drop_games(k, false);
        if (a->ngames)
            uv_timer_start(&k->drop, drop_due, (uint64_t)(a->cfg->grace_ms > 0 ? a->cfg->grace_ms : 1), 0);
        k->log_pending = true;
        k->listing_at_assign = k->listings;
        meta_start(k); /* the partition count, checked at every assignment */
        games_list_now(a);
        return;
    }
    if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        k->errors[KE_REBALANCE]++;
        log_msg(LOG_WARN, "kafka: rebalance failed: %s", rd_kafka_err2str(err));
        rd_kafka_assign(rk, NULL);
        return;
    }
    bool lost = rd_kafka_assignment_lost(rk);
    if (!k->closing)
        store_done(k); /* before the revocation: the close commits what is stored */
    rd_kafka_assign(rk, NULL);
    if (k->closing)
        return;
    char text[256];
    list_text(l, text, sizeof text);
    if (lost && (k->brokers_down || k->coord_down)) {
        k->assignment_lost = true;
        /* the group could not be reached in time: keep following them by polling (see the top) */
        log_msg(LOG_WARN, "kafka: the assignment of partitions %s is lost (%s): its %zu games stay followed by "
                "polling until the group assigns partitions again", text,
                k->brokers_down ? "no broker answers" : "the group coordinator does not answer", a->ngames);
        for (int i = 0; i < KAFKA_MAX_PARTITIONS; i++)
            ko_forget(&k->parts[i].off);
        return;
    }
    for (int i = 0; i < KAFKA_MAX_PARTITIONS; i++) {
        k->parts[i].assigned = false;
        ko_forget(&k->parts[i].off);
    }
    k->nassigned = 0;
    k->revoked = true;
    uv_timer_stop(&k->drop); /* the next assignment starts it again */
    settle_games(k);
    log_msg(lost ? LOG_WARN : LOG_INFO, "kafka: partitions %s %s: their games are paused until the next assignment",
            text, lost ? "lost while the brokers answer (the group went on without this instance)" : "revoked");
}

static void on_message(pl_kafka *k, rd_kafka_message_t *m)
{
    app *a = k->a;
    if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            return;
        k->errors[KE_MESSAGE]++;
        char key[64];
        snprintf(key, sizeof key, "m%d", m->err);
        if (bs_once_first(&k->said, key, strlen(key)))
            log_msg(LOG_WARN, "kafka: consuming %s: %s (logged once)", a->cfg->kafka_topic, rd_kafka_message_errstr(m));
        return;
    }
    k->messages++;
    k->brokers_down = false;
    char game[BS_MAX_GAME_ID + 1] = "";
    me_event ev;
    char why[160];
    if (me_parse(m->payload ? m->payload : "", m->payload ? m->len : 0, &ev, why, sizeof why)) {
        k->malformed++;
        if (bs_once_first(&k->said, why, strlen(why)))
            log_msg(LOG_WARN, "kafka: a message of %s partition %" PRId32 " at offset %" PRId64 " is not a MinIO "
                    "event: %s (each reason logged once)", a->cfg->kafka_topic, m->partition, m->offset, why);
    } else {
        push_records(a, &ev, game, sizeof game);
        me_event_free(&ev);
    }
    keep(k, m->partition, m->offset, game);
}

/* Serves everything the queue holds. */
static void drain(pl_kafka *k)
{
    rd_kafka_message_t *m;
    while (k->rk && (m = rd_kafka_consumer_poll(k->rk, 0))) {
        if (!k->closing)
            on_message(k, m);
        rd_kafka_message_destroy(m);
    }
}

static void on_io(uv_poll_t *h, int status, int events)
{
    pl_kafka *k = h->data;
    (void)status;
    (void)events;
    char buf[64];
    while (read(k->pipefd[0], buf, sizeof buf) > 0) {
    }
    drain(k);
}

static void handle_closed(uv_handle_t *h)
{
    pl_kafka *k = h->data;
    k->handles_open--;
}

static void close_handles(pl_kafka *k)
{
    if (k->close_done)
        return;
    k->close_done = true;
    uv_close((uv_handle_t *)&k->io, handle_closed);
    uv_close((uv_handle_t *)&k->tick, handle_closed);
    uv_close((uv_handle_t *)&k->drop, handle_closed);
    uv_close((uv_handle_t *)&k->meta_retry, handle_closed);
}

static void on_tick(uv_timer_t *t)
{
    pl_kafka *k = t->data;
    app *a = k->a;
    drain(k);
    if (k->closing) {
        if (rd_kafka_consumer_closed(k->rk) || uv_now(&a->loop) >= k->close_deadline) {
            k->closed = rd_kafka_consumer_closed(k->rk);
            if (!k->closed)
                log_msg(LOG_WARN, "kafka: leaving group %s did not end within --grace-ms: closing anyway (its "
                        "members see the session time out)", a->cfg->kafka_group);
            close_handles(k);
        }
        return;
    }
    store_done(k);
    if (!k->revoked) /* after a revocation the next assignment may give them back */
        drop_games(k, false);
    if (k->log_pending && k->listings > k->listing_at_assign && games_lister_idle(a)) {
        k->log_pending = false;
        size_t now = a->ngames, gained = now > k->kept ? now - k->kept : 0;
        log_msg(LOG_INFO, "kafka: group %s rebalanced: partitions %s of %" PRId32 " assigned here; %zu games gained, "
                "%zu lost, %zu kept (%zu followed now)", a->cfg->kafka_group, k->assigned_text, k->npart, gained,
                k->lost, k->kept, now);
    }
    if (k->brokers_down && !k->said_down) {
        k->said_down = true;
    } else if (!k->brokers_down && k->said_down) {
        k->said_down = false;
        log_msg(LOG_INFO, "kafka: brokers %s answer again", a->cfg->kafka_brokers);
    }
}

/* ---------------------------------------------------------------- the partition count */

static void meta_work(uv_work_t *w)
{
    pl_kafka *k = w->data;
    k->meta_count = -1;
    k->meta_err[0] = '\0';
    rd_kafka_topic_t *t = rd_kafka_topic_new(k->rk, k->a->cfg->kafka_topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = t ? rd_kafka_metadata(k->rk, 0, t, &md, 5000) : RD_KAFKA_RESP_ERR__FAIL;
    if (!e && md && md->topic_cnt == 1 && !md->topics[0].err)
        k->meta_count = md->topics[0].partition_cnt;
    else
        snprintf(k->meta_err, sizeof k->meta_err, "%s",
                 rd_kafka_err2str(e ? e : md && md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__FAIL));
    if (md)
        rd_kafka_metadata_destroy(md);
    if (t)
        rd_kafka_topic_destroy(t);
}

static void meta_retry_due(uv_timer_t *t)
{
    meta_start(t->data);
}

static void meta_done(uv_work_t *w, int status)
{
    pl_kafka *k = w->data;
    app *a = k->a;
    k->meta_busy = false;
    if (status || k->closing)
        return;
    if (k->meta_count < 1) {
        log_msg(k->npart ? LOG_DEBUG : LOG_WARN, "kafka: the partition count of topic %s at %s is not known yet (%s): "
                "retrying", a->cfg->kafka_topic, a->cfg->kafka_brokers, k->meta_err);
        uv_timer_start(&k->meta_retry, meta_retry_due, KAFKA_META_RETRY_MS, 0);
        return;
    }
    if (k->meta_count > KAFKA_MAX_PARTITIONS) {
        log_msg(LOG_ERROR, "kafka: topic %s has %d partitions, more than the %d this program follows",
                a->cfg->kafka_topic, k->meta_count, KAFKA_MAX_PARTITIONS);
        return;
    }
    if (k->npart && k->npart != k->meta_count)
        log_msg(LOG_ERROR, "kafka: topic %s now has %d partitions, not %" PRId32 ": MinIO's producer maps games to "
                "partitions by this count, so games move; every instance follows the new mapping from now (see "
                "README, \"Past one machine\")", a->cfg->kafka_topic, k->meta_count, k->npart);
    bool changed = k->npart != k->meta_count;
    k->npart = k->meta_count;
    if (changed) {
        settle_games(k);
        games_list_now(a);
    }
}

static void meta_start(pl_kafka *k)
{
    if (k->meta_busy || k->closing)
        return;
    k->meta_busy = true;
    k->meta.data = k;
    uv_queue_work(&k->a->loop, &k->meta, meta_work, meta_done);
}

/* ---------------------------------------------------------------- life cycle */

int kafka_start(app *a)
{
    const pl_config *c = a->cfg;
    pl_kafka *k = calloc(1, sizeof *k);
    if (!k)
        return PL_EXIT_RUNTIME;
    k->a = a;
    k->pipefd[0] = k->pipefd[1] = -1;
    for (int i = 0; i < KAFKA_MAX_PARTITIONS; i++) {
        ko_init(&k->parts[i].off);
        k->parts[i].committed = k->parts[i].lag = -1;
    }
    char err[512] = "", session[16], heartbeat[16], client[96], host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(client, sizeof client, "sidearm-pipeline-%s-%d", host, (int)getpid());
    snprintf(session, sizeof session, "%d", c->kafka_session_timeout_ms);
    snprintf(heartbeat, sizeof heartbeat, "%d", c->kafka_session_timeout_ms / 3 > 0 ? c->kafka_session_timeout_ms / 3 : 1);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bool ok = set(conf, "bootstrap.servers", c->kafka_brokers, err, sizeof err) &&
              set(conf, "group.id", c->kafka_group, err, sizeof err) &&
              set(conf, "client.id", client, err, sizeof err) &&
              set(conf, "partition.assignment.strategy", "range", err, sizeof err) &&
              set(conf, "enable.auto.commit", "true", err, sizeof err) &&
              set(conf, "enable.auto.offset.store", "false", err, sizeof err) &&
              set(conf, "auto.commit.interval.ms", "1000", err, sizeof err) &&
              set(conf, "auto.offset.reset", "latest", err, sizeof err) && /* the listing covers what came before */
              set(conf, "session.timeout.ms", session, err, sizeof err) &&
              set(conf, "heartbeat.interval.ms", heartbeat, err, sizeof err) &&
              set(conf, "statistics.interval.ms", "5000", err, sizeof err) &&
              set(conf, "log.queue", "true", err, sizeof err) &&
              set(conf, "reconnect.backoff.ms", "200", err, sizeof err) &&
              set(conf, "reconnect.backoff.max.ms", "5000", err, sizeof err) &&
              set(conf, "security.protocol", c->kafka_security, err, sizeof err) &&
              set(conf, "ssl.ca.location", c->kafka_ca_file, err, sizeof err) &&
              set(conf, "sasl.mechanisms", c->kafka_sasl_mechanism, err, sizeof err) &&
              set(conf, "sasl.username", c->kafka_sasl_username, err, sizeof err) &&
              set(conf, "sasl.password", c->kafka_sasl_password, err, sizeof err) &&
              set(conf, "debug", c->kafka_debug, err, sizeof err);
    if (!ok) {
        log_msg(LOG_ERROR, "kafka: %s", err);
        rd_kafka_conf_destroy(conf);
        free(k);
        return PL_EXIT_USAGE;
    }
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!k->rk) {
        log_msg(LOG_ERROR, "kafka: cannot create the consumer: %s", err);
        rd_kafka_conf_destroy(conf);
        free(k);
        return PL_EXIT_USAGE;
    }
    rd_kafka_poll_set_consumer(k->rk);
    rd_kafka_set_log_queue(k->rk, NULL); /* the logs come through the consumer queue too */
    k->q = rd_kafka_queue_get_consumer(k->rk);
    if (pipe(k->pipefd) || fcntl(k->pipefd[0], F_SETFL, O_NONBLOCK) || fcntl(k->pipefd[1], F_SETFL, O_NONBLOCK) ||
        fcntl(k->pipefd[0], F_SETFD, FD_CLOEXEC) || fcntl(k->pipefd[1], F_SETFD, FD_CLOEXEC)) {
        log_msg(LOG_ERROR, "kafka: cannot make the wake-up pipe: %s", strerror(errno));
        rd_kafka_queue_destroy(k->q);
        rd_kafka_destroy(k->rk);
        free(k);
        return PL_EXIT_RUNTIME;
    }
    rd_kafka_queue_io_event_enable(k->q, k->pipefd[1], "1", 1);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, c->kafka_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(k->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) {
        log_msg(LOG_ERROR, "kafka: cannot subscribe to %s: %s", c->kafka_topic, rd_kafka_err2str(e));
        rd_kafka_queue_io_event_enable(k->q, -1, NULL, 0);
        rd_kafka_queue_destroy(k->q);
        rd_kafka_destroy(k->rk);
        close(k->pipefd[0]);
        close(k->pipefd[1]);
        free(k);
        return PL_EXIT_USAGE;
    }
    uv_poll_init(&a->loop, &k->io, k->pipefd[0]);
    uv_timer_init(&a->loop, &k->tick);
    uv_timer_init(&a->loop, &k->drop);
    uv_timer_init(&a->loop, &k->meta_retry);
    k->io.data = k->tick.data = k->drop.data = k->meta_retry.data = k;
    k->handles_open = 4;
    uv_poll_start(&k->io, UV_READABLE, on_io);
    uv_timer_start(&k->tick, on_tick, KAFKA_TICK_MS, KAFKA_TICK_MS);
    a->kafka = k;
    a->hooks.expose = kafka_expose;
    meta_start(k);
    log_msg(LOG_INFO, "kafka: joining group %s on topic %s at %s (partition assignment: range): games are followed "
            "once the group assigns their partitions", c->kafka_group, c->kafka_topic, c->kafka_brokers);
    return PL_EXIT_OK;
}

void kafka_listed(app *a)
{
    if (a->kafka)
        a->kafka->listings++;
}

void kafka_waiting(const app *a, char *out, size_t outlen)
{
    const pl_kafka *k = a->kafka;
    out[0] = '\0';
    if (!k)
        return;
    if (k->brokers_down)
        snprintf(out, outlen, "kafka: no broker of %s answers (the games owned are followed by polling)",
                 a->cfg->kafka_brokers);
    else if (k->assignment_lost)
        snprintf(out, outlen, "kafka: group %s at %s does not answer: its %d partitions are kept, their games "
                 "followed by polling", a->cfg->kafka_group, a->cfg->kafka_brokers, k->nassigned);
    else if (!k->nassigned)
        snprintf(out, outlen, "kafka: a partition assignment of topic %s from group %s at %s", a->cfg->kafka_topic,
                 a->cfg->kafka_group, a->cfg->kafka_brokers);
    else if (!k->npart)
        snprintf(out, outlen, "kafka: the partition count of topic %s", a->cfg->kafka_topic);
}

void kafka_expose(const app *a, pl_expo *e)
{
    const pl_kafka *k = a->kafka;
    if (!k)
        return;
    pl_expo_family(e, "sidearm_kafka_partitions_assigned", "gauge", "Partitions of the topic assigned to this instance.");
    pl_expo_sample(e, "sidearm_kafka_partitions_assigned", NULL, k->nassigned);
    pl_expo_family(e, "sidearm_kafka_partitions", "gauge", "Partitions of the topic (0 until its metadata is read).");
    pl_expo_sample(e, "sidearm_kafka_partitions", NULL, k->npart);
    size_t owned = 0; /* not the paused games of a revocation's gap, nor those being dropped */
    for (size_t i = 0; i < a->ngames; i++)
        owned += kafka_owns(a, a->games[i]->id);
    pl_expo_family(e, "sidearm_kafka_games_owned", "gauge", "Games followed because their partition is assigned here.");
    pl_expo_sample(e, "sidearm_kafka_games_owned", NULL, (double)owned);
    pl_expo_family(e, "sidearm_kafka_rebalances_total", "counter", "Partition assignments received from the group.");
    pl_expo_sample(e, "sidearm_kafka_rebalances_total", NULL, (double)k->rebalances);
    pl_expo_family(e, "sidearm_kafka_messages_total", "counter", "Messages consumed from the topic.");
    pl_expo_sample(e, "sidearm_kafka_messages_total", NULL, (double)k->messages);
    pl_expo_family(e, "sidearm_kafka_messages_malformed_total", "counter", "Messages that are not MinIO events.");
    pl_expo_sample(e, "sidearm_kafka_messages_malformed_total", NULL, (double)k->malformed);
    pl_expo_family(e, "sidearm_kafka_errors_total", "counter", "Kafka client errors, by kind.");
    for (int i = 0; i < KE_N; i++)
        pl_expo_sample(e, "sidearm_kafka_errors_total", (const char *const[]){"kind", kind_names[i], NULL},
                       (double)k->errors[i]);
    pl_expo_family(e, "sidearm_kafka_offset", "gauge", "Per assigned partition (the first 256): the offset stored "
                   "after acknowledged work, and the one the group committed (-1 none yet).");
    pl_expo_family(e, "sidearm_kafka_lag", "gauge", "Per assigned partition (the first 256): messages behind the "
                   "partition's end, as librdkafka's statistics say (-1 unknown).");
    int shown = 0;
    for (int i = 0; i < KAFKA_MAX_PARTITIONS && shown < KAFKA_LABELLED_MAX; i++) {
        const kpart *p = &k->parts[i];
        if (!p->assigned)
            continue;
        shown++;
        char part[16];
        snprintf(part, sizeof part, "%d", i);
        pl_expo_sample(e, "sidearm_kafka_offset", (const char *const[]){"partition", part, "kind", "stored", NULL},
                       (double)p->off.stored);
        pl_expo_sample(e, "sidearm_kafka_offset", (const char *const[]){"partition", part, "kind", "committed", NULL},
                       (double)p->committed);
        pl_expo_sample(e, "sidearm_kafka_lag", (const char *const[]){"partition", part, NULL}, (double)p->lag);
    }
}

void kafka_close(app *a)
{
    pl_kafka *k = a->kafka;
    if (!k || k->closing)
        return;
    store_done(k);
    k->closing = true;
    uv_timer_stop(&k->drop);
    uv_timer_stop(&k->meta_retry);
    int grace = a->cfg->grace_ms > 1000 ? a->cfg->grace_ms : 1000;
    k->close_deadline = uv_now(&a->loop) + (uint64_t)grace;
    rd_kafka_error_t *e = rd_kafka_consumer_close_queue(k->rk, k->q);
    if (e) {
        log_msg(LOG_WARN, "kafka: leaving group %s: %s", a->cfg->kafka_group, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        close_handles(k);
    }
}

void kafka_free(app *a)
{
    pl_kafka *k = a->kafka;
    if (!k)
        return;
    if (k->rk) {
        rd_kafka_queue_io_event_enable(k->q, -1, NULL, 0);
        rd_kafka_queue_destroy(k->q);
        rd_kafka_destroy_flags(k->rk, k->closed ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    if (k->pipefd[0] >= 0)
        close(k->pipefd[0]);
    if (k->pipefd[1] >= 0)
        close(k->pipefd[1]);
    for (int i = 0; i < KAFKA_MAX_PARTITIONS; i++)
        ko_free(&k->parts[i].off);
    bs_once_free(&k->said);
    free(k);
    a->kafka = NULL;
}
