/*
 * log.h — one line per event worth knowing, on stderr, plain or JSON.
 *
 * Owned by the programs (pipeline, gamestream-sim), never by the libraries. A live
 * status line can sit at the bottom of a terminal; log lines clear it first.
 */
#ifndef PL_LOG_H
#define PL_LOG_H

#include <stdbool.h>

typedef enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* Writes the current UTC time as ISO 8601 with milliseconds, e.g. 2026-11-25T20:00:00.123Z. */
void log_utc_now(char out[32]);
/* json: one JSON object per line; verbose: include debug lines. */
void log_setup(const char *program, bool json, bool verbose);
void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line about one game: plain logs start the message with "GAME: ", JSON logs carry
 * a "game" field. game may be NULL (then it is log_msg). */
void log_game(log_level level, const char *game, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Shows a one-line status at the bottom of a terminal (no-op when stderr is not one
 * or in JSON mode). NULL clears it. */
void log_status(const char *line);
/* Leaves the status line on screen (ends it with a newline); later logs go below it. */
void log_status_keep(void);

#endif
