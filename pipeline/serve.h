/*
 * serve.h — what the HTTP server (http.c) asks of the rest of the process. Each piece
 * is owned by its own module, so the server stays a thin layer over the loop:
 *
 *   GET /metrics         pl_metrics_render   (metrics.c: Prometheus text exposition)
 *   POST /minio/events   pl_notify_authorize, pl_notify_minio (push/webhook.c: MinIO bucket notifications)
 *   GET /                pl_page_html        (web/index.html, embedded at build time)
 *   GET /favicon.ico     pl_favicon_svg      (web/favicon.svg, likewise)
 *
 * Everything here runs on the loop thread and never waits on the network.
 */
#ifndef PL_SERVE_H
#define PL_SERVE_H

#include <stddef.h>

#include "app.h"

/* The Prometheus text exposition (format 0.0.4) of the process's counters, gauges and
 * histograms: a malloc'd buffer the caller frees, its length in *len; NULL when out of
 * memory. */
char *pl_metrics_render(const app *a, size_t *len);

/* Checks the token of one MinIO webhook delivery, before its body is read: auth is the
 * request's Authorization header (NULL when absent). Counts the delivery; returns 200, or
 * 401 (wrong or missing token, counted and logged once) with a short reason in msg. */
int pl_notify_authorize(app *a, const char *auth, char *msg, size_t msglen);
/* Handles the body (JSON) of a delivery pl_notify_authorize let in. Returns the HTTP status
 * to answer (200 used or ignored, 400 malformed) and a short reason in msg. Streams named
 * by the event are read at once. */
int pl_notify_minio(app *a, const char *body, size_t len, char *msg, size_t msglen);

/* The live box-score page, embedded in the binary. */
extern const char pl_page_html[];
extern const size_t pl_page_html_len;
/* The tab's icon (web/favicon.svg), served as /favicon.ico, embedded likewise. */
extern const char pl_favicon_svg[];
extern const size_t pl_favicon_svg_len;
/* The OpenAPI 3.1 document of the HTTP API (pipeline/openapi.json), embedded likewise. */
extern const char pl_openapi_json[];
extern const size_t pl_openapi_json_len;

#endif
