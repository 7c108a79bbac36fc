/*
 * notify.c — gamestream-sim --notify. See notify.h.
 */
#include "notify.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "boxscore.h"
#include "log.h"
#include "minio_event.h"

static struct {
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    char root[1024];
    long failures;
    rd_kafka_t *rk;         /* --kafka-brokers: MinIO's Kafka target, reproduced */
    char topic[256];
    long produced, lost;
    bool said_lost;
} N;

/* A message that could not be delivered: an event is only a hint (logged once, counted). */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (!m->err)
        return;
    N.lost++;
    if (!N.said_lost)
        log_msg(LOG_WARN, "--kafka-brokers: an event for topic %s was not delivered: %s; going on (logged once)",
                N.topic, rd_kafka_err2str(m->err));
    N.said_lost = true;
}

static void on_kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    (void)opaque;
    static int said;
    if (!said++)
        log_msg(LOG_WARN, "--kafka-brokers: %s (%s); the streams are still written (logged once)", reason,
                rd_kafka_err2name((rd_kafka_resp_err_t)err));
}

/* librdkafka's own lines (a refused connection every retry) stay at debug: the error
 * callback above says the first trouble once, with the broker named. */
static void on_kafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    log_msg(LOG_DEBUG, "--kafka-brokers %s: %s", fac, buf);
}

int sim_notify_kafka_init(const sim_kafka *k, const char *file_root, int timeout_ms)
{
    if (!k->brokers || !*k->brokers)
        return 0;
    if (!k->topic || !*k->topic) {
        log_msg(LOG_ERROR, "--kafka-brokers needs --kafka-topic");
        return -1;
    }
    if (!N.root[0]) {
        snprintf(N.root, sizeof N.root, "%s", file_root ? file_root : "");
        size_t n = strlen(N.root);
        while (n > 1 && N.root[n - 1] == '/')
            N.root[--n] = '\0';
    }
    snprintf(N.topic, sizeof N.topic, "%s", k->topic);
    char err[512] = "", tmo[16];
    snprintf(tmo, sizeof tmo, "%d", timeout_ms > 0 ? timeout_ms : 10000);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *const kv[][2] = {
        {"bootstrap.servers", k->brokers}, {"partitioner", "fnv1a"}, /* what MinIO's sarama client does */
        {"acks", "1"}, {"linger.ms", "2"}, {"message.timeout.ms", tmo},
        {"security.protocol", k->security}, {"ssl.ca.location", k->ca_file},
        {"sasl.mechanisms", k->sasl_mechanism}, {"sasl.username", k->sasl_username},
        {"sasl.password", k->sasl_password},
    };
    for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
        if (kv[i][1] && *kv[i][1] && rd_kafka_conf_set(conf, kv[i][0], kv[i][1], err, sizeof err)) {
            log_msg(LOG_ERROR, "--kafka-brokers: %s", err);
            rd_kafka_conf_destroy(conf);
            return -1;
        }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_kafka_error);
    rd_kafka_conf_set_log_cb(conf, on_kafka_log);
    if (!(N.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err))) {
        log_msg(LOG_ERROR, "--kafka-brokers: cannot create the producer: %s", err);
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    return 0;
}

/* The message MinIO's Kafka target sends: key "<bucket>/<key>", the event (body) as the
 * value with that key as its "Key". */
static void produce(const char *mkey, const char *body)
{
    size_t n = strlen(mkey);
    rd_kafka_resp_err_t e = rd_kafka_producev(N.rk, RD_KAFKA_V_TOPIC(N.topic), RD_KAFKA_V_KEY(mkey, n),
                                              RD_KAFKA_V_VALUE((void *)body, strlen(body)),
                                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (e) {
        N.lost++;
        if (!N.said_lost)
            log_msg(LOG_WARN, "--kafka-brokers: the event for %s was not queued: %s; going on (logged once)", mkey,
                    rd_kafka_err2str(e));
        N.said_lost = true;
    } else {
        N.produced++;
    }
    rd_kafka_poll(N.rk, 0); /* delivery reports */
}

/* The receiver's answer body is not ours to print. */
static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

int sim_notify_init(const char *url, const char *token, const char *file_root, int timeout_ms)
{
    if (!url || !*url)
        return 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(N.curl = curl_easy_init()) || !(N.url = strdup(url))) {
        log_msg(LOG_ERROR, "--notify: cannot start the HTTP client");
        return -1;
    }
    snprintf(N.root, sizeof N.root, "%s", file_root ? file_root : "");
    size_t n = strlen(N.root);
    while (n > 1 && N.root[n - 1] == '/')
        N.root[--n] = '\0';
    N.headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (token && *token) {
        size_t len = strlen(token) + 32;
        char *h = malloc(len);
        if (h) {
            snprintf(h, len, "Authorization: Bearer %s", token);
            N.headers = curl_slist_append(N.headers, h);
            memset(h, 0, len);
            free(h);
        }
    }
    curl_easy_setopt(N.curl, CURLOPT_URL, N.url);
    curl_easy_setopt(N.curl, CURLOPT_HTTPHEADER, N.headers);
    curl_easy_setopt(N.curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(N.curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(N.curl, CURLOPT_USERAGENT, "gamestream-sim");
    curl_easy_setopt(N.curl, CURLOPT_WRITEFUNCTION, discard);
    return 0;
}

/* An opaque 32-hex-digit tag of the bytes (FNV-1a 64-bit over them, then over them again). */
static void etag_of(const char *data, size_t len, char out[33])
{
    uint64_t a = bs_fnv1a64(BS_FNV1A64_BASIS, data, len), b = bs_fnv1a64(a, data, len);
    snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, a, b ^ len);
}

char *sim_notify_body(const char *bucket, const char *key, size_t size, const char *etag, const char *event_time,
                      const char *sequencer, const char *log_key)
{
    char enc[3 * ME_MAX_KEY + 1], arn[512], full[ME_MAX_KEY + 300];
    if (me_url_encode(key, enc, sizeof enc) < 0)
        return NULL;
    snprintf(arn, sizeof arn, "arn:aws:s3:::%s", bucket);
    if (log_key)
        snprintf(full, sizeof full, "%s", log_key);
    else if (*bucket)
        snprintf(full, sizeof full, "%s/%s", bucket, key);
    else
        snprintf(full, sizeof full, "%s", key);
    const char *type = strlen(key) >= 5 && !strcmp(key + strlen(key) - 5, ".json") ? "application/json"
                                                                                    : "text/plain";
    json_t *body = json_pack(
        "{s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s, s:s, s:s}, s:{}, "
        "s:{s:s, s:s, s:{s:s, s:{s:s}, s:s}, s:{s:s, s:I, s:s, s:s, s:{s:s}, s:s}}, s:{s:s, s:s, s:s}}]}",
        "EventName", "s3:ObjectCreated:Put", "Key", full, "Records", "eventVersion", "2.0", "eventSource",
        "minio:s3", "awsRegion", "", "eventTime", event_time, "eventName", "s3:ObjectCreated:Put", "userIdentity",
        "principalId", "gamestream-sim", "requestParameters", "principalId", "gamestream-sim", "region", "",
        "sourceIPAddress", "127.0.0.1", "responseElements", "s3", "s3SchemaVersion", "1.0", "configurationId",
        "Config", "bucket", "name", bucket, "ownerIdentity", "principalId", "gamestream-sim", "arn", arn, "object",
        "key", enc, "size", (json_int_t)size, "eTag", etag, "contentType", type, "userMetadata", "content-type",
        type, "sequencer", sequencer, "source", "host", "127.0.0.1", "port", "", "userAgent", "gamestream-sim");
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return text;
}

/* --writers threads share the one HTTP client and producer: one event at a time */
static pthread_mutex_t notify_lock = PTHREAD_MUTEX_INITIALIZER;

static void notify_write(const sim_target *t, const char *data, size_t len)
{
    const char *bucket, *key;
    sim_target_object(t, &bucket, &key);
    size_t rl = strlen(N.root);
    if (!*bucket && rl && !strncmp(key, N.root, rl) && key[rl] == '/')
        key += rl + 1;
    else if (!*bucket && key[0] == '/')
        key++;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40], seq[24], etag[33], ymd[32];
    strftime(ymd, sizeof ymd, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when, sizeof when, "%.24s.%03dZ", ymd, (int)(ts.tv_nsec / 1000000) % 1000);
    snprintf(seq, sizeof seq, "%016" PRIX64, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
    etag_of(data, len, etag);
    if (N.rk) {
        char mkey[ME_MAX_BUCKET + ME_MAX_KEY + 2];
        int n = snprintf(mkey, sizeof mkey, "%s/%s", bucket, key);
        char *value = n > 0 && (size_t)n < sizeof mkey ? sim_notify_body(bucket, key, len, etag, when, seq, mkey)
                                                       : NULL;
        if (value)
            produce(mkey, value);
        else
            log_msg(LOG_WARN, "--kafka-brokers: cannot make the event for %s (out of memory or key too long)", key);
        free(value);
    }
    if (!N.curl)
        return;
    char *body = sim_notify_body(bucket, key, len, etag, when, seq, NULL);
    if (!body) {
        log_msg(LOG_WARN, "--notify: cannot make the event for %s (out of memory or key too long)", key);
        return;
    }
    curl_easy_setopt(N.curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(N.curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    CURLcode rc = curl_easy_perform(N.curl);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(N.curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status < 200 || status > 299) {
        N.failures++;
        if (rc != CURLE_OK)
            log_msg(LOG_WARN, "--notify: POST for %s failed: %s; going on", key, curl_easy_strerror(rc));
        else
            log_msg(LOG_WARN, "--notify: POST for %s answered %ld; going on", key, status);
    }
    free(body);
}

void sim_notify_write(const sim_target *t, const char *data, size_t len)
{
    if (!N.curl && !N.rk)
        return;
    pthread_mutex_lock(&notify_lock);
    notify_write(t, data, len);
    pthread_mutex_unlock(&notify_lock);
}

void sim_notify_cleanup(void)
{
    if (N.rk) { /* what is queued goes out, for as long as one message may take */
        if (rd_kafka_flush(N.rk, 10000))
            log_msg(LOG_WARN, "--kafka-brokers: %d events were still queued at exit", rd_kafka_outq_len(N.rk));
        if (N.lost)
            log_msg(LOG_WARN, "--kafka-brokers: %ld of %ld events were not delivered", N.lost, N.produced + N.lost);
        rd_kafka_destroy(N.rk);
        N.rk = NULL;
    }
    if (!N.curl) {
        memset(&N, 0, sizeof N);
        return;
    }
    if (N.failures)
        log_msg(LOG_WARN, "--notify: %ld notifications could not be delivered", N.failures);
    curl_slist_free_all(N.headers);
    curl_easy_cleanup(N.curl);
    free(N.url);
    memset(&N, 0, sizeof N);
    curl_global_cleanup();
}
