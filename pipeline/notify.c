/* notify.c — PLACEHOLDER until the MinIO notification work lands (issue 9): see serve.h. */
#include <stdio.h>

#include "serve.h"

int pl_notify_minio(app *a, const char *auth, const char *body, size_t len, char *msg, size_t msglen)
{
    (void)a;
    (void)auth;
    (void)body;
    (void)len;
    snprintf(msg, msglen, "notifications are not handled yet");
    return 501;
}
