/*
 * log.c — stderr logging for the programs. Process-wide by nature: the programs set
 * it up once in main(); libraries never log.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static struct {
    const char *program;
    bool json, verbose, tty, status_shown;
} lg = {"pipeline", false, false, false, false};

void log_setup(const char *program, bool json, bool verbose)
{
    lg.program = program;
    lg.json = json;
    lg.verbose = verbose;
    lg.tty = isatty(STDERR_FILENO) && !json;
}

static void clear_status(void)
{
    if (lg.status_shown) {
        fputs("\r\033[K", stderr);
        lg.status_shown = false;
    }
}

void log_utc_now(char out[32])
{
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", now.tv_nsec / 1000000);
}

void log_msg(log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (level == LOG_DEBUG && !lg.verbose)
        return;
    char msg[2048], ts[32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    log_utc_now(ts);

    clear_status();
    if (lg.json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", names[level], "program", lg.program,
                              "msg", msg);
        char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
        fprintf(stderr, "%s\n", line ? line : msg);
        free(line);
        json_decref(o);
    } else {
        fprintf(stderr, "%s %s %-5s %s\n", ts, lg.program, names[level], msg);
    }
    fflush(stderr);
}

void log_status(const char *line)
{
    if (!lg.tty)
        return;
    clear_status();
    if (line) {
        fprintf(stderr, "%s", line);
        lg.status_shown = true;
    }
    fflush(stderr);
}

void log_status_keep(void)
{
    if (lg.status_shown) {
        fputc('\n', stderr);
        lg.status_shown = false;
    }
}
