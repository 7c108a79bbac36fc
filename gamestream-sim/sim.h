/*
 * sim.h — what gamestream-sim's single-game replay (main.c) and its many-games mode
 * (games.c) share: the configuration, the stream cut into timed lines, the write that
 * retries until it goes through, and the reset of teams/players.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>

#include "boxscore.h"
#include "connector.h"
#include "server_options.h"
#include "notify.h"
#include "target.h"

#define SIM_MAX_WRITERS 64   /* --writers */
#define SIM_MAX_GAMES 10000   /* player ids of game i are i*100000 + a single game's (games.c) */

typedef struct sim_config {
    const char *target, *events, *reference_data, *reset_reference;
    double delay;
    int random_seed;
    int home, away;
    int games;                  /* 0: one game to --target; N: N games under the --target prefix */
    double stagger;             /* seconds between the starts of two games */
    int writers;                /* --writers: threads writing the games, game i by thread i mod N */
    const char *game_prefix, *events_dir;
    const char *log_format;
    const char *notify;         /* --notify URL: a MinIO-format event after each write (notify.h) */
    sim_kafka kafka;            /* --kafka-brokers: the same event as MinIO's Kafka target sends it */
    opt_server srv;             /* S3 and the request timeout (server_options.h) */
    bool core_dumps;            /* --core-dumps (process.h) */
} sim_config;

typedef struct line_ref {
    size_t end;     /* offset just past this line's newline */
    int clock;      /* when it is written: its own clock, or the previous line's if unreadable */
} line_ref;

/* Reads a whole file, adding a last newline when missing. Caller frees; NULL with the
 * reason in err. */
char *sim_read_file(const char *path, size_t *len, char *err, size_t errlen);
/* Splits text into lines with the clock at which each is written (never increasing).
 * Caller frees; NULL when out of memory. */
line_ref *sim_index_lines(const char *text, size_t len, int home, int away, size_t *nlines);
void sim_sleep(double seconds);
/* Replaces the target with data, retrying transient failures until it goes through (the
 * producer must not skip an event), then logs "Wrote <target> at <clock>" (no clock when
 * clock < 0), after "<label>: " when label is not NULL. Returns 0, or -1 (logged). */
int sim_write(sim_target *t, const char *label, const char *data, size_t len, int clock);
/* Prepares the target (creates its directory or bucket), retrying transient failures
 * for about 30 s. Returns 0, or -1 (logged). */
int sim_prepare(sim_target *t);
/* Reads c->reference_data (teams and players as JSON) into the empty ref. Returns 0, or
 * -1 (logged). */
int sim_load_reference_data(const sim_config *c, bs_ref *ref);
/* Replaces teams/players in c->reset_reference with rows. Returns 0, or -1 (logged). */
int sim_reset_reference(const sim_config *c, const cn_settings *cs, const bs_ref *rows);

/* Plays c->games games at once under the prefix c->target (games.c). Returns the exit
 * status: 0 done, 1 runtime failure, 2 usage error. */
int sim_play_games(const sim_config *c, const cn_settings *cs);

#endif
