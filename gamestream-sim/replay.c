/*
 * replay.c — the pieces of gamestream-sim that one game and many games share: reading
 * and timing the stream lines, writing a target until the write goes through, and
 * replacing teams/players with the rosters of the games played.
 */
#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "notify.h"

char *sim_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *p = realloc(buf, cap *= 2);
        if (!p)
            free(buf);
        buf = p;
    }
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "out of memory reading %s", path);
        return NULL;
    }
    if (n > 0 && buf[n - 1] != '\n')
        buf[n++] = '\n'; /* every line the producer writes ends with a newline */
    *len = n;
    return buf;
}

line_ref *sim_index_lines(const char *text, size_t len, int home, int away, size_t *nlines)
{
    size_t cap = 64, n = 0;
    line_ref *lines = malloc(cap * sizeof *lines);
    int clock = BS_GAME_SECONDS;
    for (size_t start = 0; lines && start < len;) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = (size_t)(nl - text) + 1;
        bs_event ev;
        char err[BS_ERRLEN];
        if (bs_parse_line(text + start, end - start - 1, home, away, &ev, err) == BS_PARSE_EVENT)
            clock = ev.clock < clock ? ev.clock : clock;
        if (n == cap) {
            line_ref *p = realloc(lines, (cap *= 2) * sizeof *p);
            if (!p)
                free(lines);
            lines = p;
            if (!lines)
                break;
        }
        lines[n++] = (line_ref){end, clock};
        start = end;
    }
    *nlines = n;
    return lines;
}

void sim_sleep(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int sim_write(sim_target *t, const char *label, const char *data, size_t len, int clock)
{
    cn_error err;
    const char *who = label ? label : "", *sep = label ? ": " : "";
    for (int attempt = 1;; attempt++) {
        if (sim_target_write(t, data, len, &err) == CN_OK)
            break;
        if (err.status != CN_TRANSIENT && err.status != CN_NOT_FOUND) {
            log_msg(LOG_ERROR, "%s%swriting %s: %s", who, sep, sim_target_describe(t), err.msg);
            return -1;
        }
        double wait = attempt < 6 ? 0.25 * (1 << attempt) : 10.0;
        log_msg(LOG_WARN, "%s%swriting %s: %s; retry %d in %.1f s", who, sep, sim_target_describe(t), err.msg,
                attempt, wait);
        sim_sleep(wait);
    }
    sim_notify_write(t, data, len);
    if (clock < 0) {
        log_msg(LOG_INFO, "%s%sWrote %s", who, sep, sim_target_describe(t));
    } else {
        char clk[8];
        bs_format_clock(clock, clk);
        log_msg(LOG_INFO, "%s%sWrote %s at %s", who, sep, sim_target_describe(t), clk);
    }
    return 0;
}

int sim_prepare(sim_target *t)
{
    cn_error err;
    for (int attempt = 1; sim_target_prepare(t, &err); attempt++) {
        if (err.status != CN_TRANSIENT || attempt == 30) {
            log_msg(LOG_ERROR, "preparing %s: %s", sim_target_describe(t), err.msg);
            return -1;
        }
        log_msg(LOG_WARN, "preparing %s: %s; retrying", sim_target_describe(t), err.msg);
        sim_sleep(1.0);
    }
    return 0;
}

int sim_load_reference_data(const sim_config *c, bs_ref *ref)
{
    json_error_t je;
    json_t *root = json_load_file(c->reference_data, 0, &je);
    char why[BS_ERRLEN];
    if (!root) {
        log_msg(LOG_ERROR, "%s line %d: %s", c->reference_data, je.line, je.text);
        return -1;
    }
    int bad = bs_ref_from_json(root, ref, why);
    json_decref(root);
    if (bad) {
        log_msg(LOG_ERROR, "%s: %s", c->reference_data, why);
        return -1;
    }
    return 0;
}

int sim_reset_reference(const sim_config *c, const cn_settings *cs, const bs_ref *rows)
{
    cn_results res = {0};
    cn_error err;
    char shown[512];
    cn_uri_redact(c->reset_reference, shown, sizeof shown);
    int rc = 0;
    if (cn_results_open(&res, c->reset_reference, cs, &err)) {
        rc = -1;
    } else {
        for (int attempt = 1; (rc = res.ops->write(res.impl, rows, "teams", "players", &err)) != CN_OK; attempt++) {
            if ((err.status != CN_TRANSIENT && err.status != CN_NOT_FOUND) || attempt == 30)
                break;
            log_msg(LOG_WARN, "resetting reference in %s: %s; retrying", shown, err.msg);
            sim_sleep(attempt < 4 ? 0.5 * attempt : 2.0);
        }
    }
    if (rc)
        log_msg(LOG_ERROR, "resetting teams/players in %s: %s", shown, err.msg);
    else
        log_msg(LOG_INFO, "reset teams (%zu rows) and players (%zu rows) in %s", rows->nteams, rows->nplayers, shown);
    cn_results_close(&res);
    return rc ? -1 : 0;
}
