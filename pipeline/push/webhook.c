/*
 * webhook.c — MinIO's webhook notification target as an intake: POST /minio/events (the
 * HTTP side is http.c, see serve.h). A notification is authenticated (a Bearer token
 * compared in constant time, when NOTIFY_TOKEN is set) before its body is read, parsed
 * (common/minio_event.c), and its records go through the shared step (push.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "metrics.h"
#include "minio_event.h"
#include "push.h"
#include "serve.h"


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
    if (authorized(a, auth))
        return 200;
    pl_metrics_notify(a, PL_NOTIFY_UNAUTHORIZED);
    if (a->metrics.notify[PL_NOTIFY_UNAUTHORIZED] == 1)
        log_msg(LOG_WARN, "MinIO notification refused: %s Authorization: Bearer token (logged once)",
                auth ? "wrong" : "no");
    snprintf(msg, msglen, "%s", auth ? "wrong token" : "missing token");
    return 401;
}

int pl_notify_minio(app *a, const char *body, size_t len, char *msg, size_t msglen)
{
    me_event ev;
    char why[160];
    if (me_parse(body ? body : "", body ? len : 0, &ev, why, sizeof why)) {
        pl_metrics_notify(a, PL_NOTIFY_MALFORMED);
        if (first_time(a, why))
            log_msg(LOG_WARN, "malformed MinIO notification: %s (each reason is logged once)", why);
        snprintf(msg, msglen, "malformed: %s", why);
        return 400;
    }
    size_t used = push_records(a, &ev, NULL, 0);
    if (used) {
        pl_metrics_notify(a, PL_NOTIFY_USED);
        log_msg(LOG_DEBUG, "MinIO notification: %zu of %zu records name a followed stream", used, ev.n);
    } else {
        pl_metrics_notify(a, PL_NOTIFY_IGNORED);
    }
    snprintf(msg, msglen, used ? "used %zu of %zu records" : "ignored: no record names a followed stream", used,
             ev.n);
    me_event_free(&ev);
    return 200;
}

