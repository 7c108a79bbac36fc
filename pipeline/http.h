/*
 * http.h — the HTTP server on the pipeline's own libuv loop (libwebsockets 4.1 with its
 * libuv event library, on our loop as a "foreign" loop: no thread, no second loop).
 *
 *   GET  /healthz                 200 "ok": the loop answers
 *   GET  /readyz                  200 once the reference is loaded and every sink's last call succeeded, else 503
 *   GET  /v1/games                every game followed (then those retired): teams, score, period, clock, state
 *   GET  /v1/games/{id}           the game's newest document, the very bytes queued for the sink (ETag, 304)
 *   GET  /v1/games/{id}/events    Server-Sent Events: the newest document at once, then every new one
 *   GET  /openapi.json            OpenAPI 3.1 (pipeline/openapi.json, embedded at build time)
 *   GET  /metrics, POST /minio/events, GET /    see serve.h
 *
 * Limits (each an option): connections (SSE streams apart), SSE streams, header bytes,
 * header timeout, body size, body timeout, and the unsent bytes of one SSE client; and
 * the last quarter of the descriptors (16 to 256), which connections never take. Hitting
 * one is counted here and logged at most every 10 s per limit. Ambiguous request lengths,
 * upgrades (WebSocket, h2c) and CONNECT are answered with an error and closed.
 *
 * The listening socket is ours (bound to exactly --http); lws serves what we accept.
 *
 * Life: http_start after the connectors open; http_stop from close_all (inside the
 * loop: closes every connection and the listener); after uv_run returns, http_free
 * finishes the foreign-loop teardown (a second lws_context_destroy and another loop
 * turn) so that uv_loop_close succeeds.
 */
#ifndef PL_HTTP_H
#define PL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"

/* Checks --http (ADDR:PORT or off; the other limits have their ranges in the option table); 0, or -1 with a message in err. */
int http_check_config(const pl_config *cfg, char *err, size_t errlen);
/* Listens on --http (nothing when "off"). 0, or -1 when it cannot (logged, naming the
 * address): a configuration error. */
int http_start(app *a);
/* Inside the loop: closes the listener and every connection, stops the timers. */
void http_stop(app *a);
/* After uv_run returned: ends the teardown (turns the loop again) and frees everything. */
void http_free(app *a);
/* A document of game id was queued for the sink: keeps a copy as the game's newest and
 * sends it to the game's SSE clients. text is compact JSON (no newline), len bytes. */
void http_publish(app *a, const char *game, const char *text, size_t len, long event_id);

#endif
