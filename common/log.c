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

#include "boxscore.h"

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

/* Copies text for a terminal or a plain log: control characters (ESC, CR, ...) and
 * bytes that are not UTF-8 become \xNN, so nothing from the stream reaches a terminal
 * raw; valid UTF-8 letters pass. */
static void escape_plain(const char *in, char *out, size_t outlen)
{
    size_t o = 0, n = strlen(in);
    for (size_t i = 0; i < n && o + 5 < outlen;) {
        unsigned char c = (unsigned char)in[i];
        size_t k = bs_utf8_next(in + i, n - i);
        bool c1 = k == 2 && c == 0xC2 && (unsigned char)in[i + 1] < 0xA0; /* U+0080..U+009F: C1 controls */
        if (k > 1 && !c1 && o + k < outlen) {
            memcpy(out + o, in + i, k);
            o += k;
            i += k;
        } else if (k == 0 || c1 || c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
            i++;
        } else {
            out[o++] = (char)c;
            i++;
        }
    }
    out[o] = '\0';
}

static void vlog(log_level level, const char *game, const char *fmt, va_list ap)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (level == LOG_DEBUG && !lg.verbose)
        return;
    char msg[2048], ts[32];
    vsnprintf(msg, sizeof msg, fmt, ap);
    log_utc_now(ts);

    /* a connector's driver may log from a worker thread: one line, and the status
     * line's state, at a time */
    flockfile(stderr);
    clear_status();
    if (lg.json) {
        /* any bytes become valid UTF-8 (U+FFFD); jansson escapes control characters */
        char *clean = bs_utf8_dup(msg, strlen(msg));
        char *cgame = game ? bs_utf8_dup(game, strlen(game)) : NULL;
        json_t *o = clean ? json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", names[level], "program",
                                      lg.program, "msg", clean)
                          : NULL;
        if (o && cgame)
            json_object_set_new(o, "game", json_string(cgame));
        char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (line)
            fprintf(stderr, "%s\n", line);
        else
            fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"error\",\"program\":\"%s\",\"msg\":\"out of memory "
                            "formatting a log line\"}\n", ts, lg.program);
        free(line);
        free(clean);
        free(cgame);
        json_decref(o);
    } else {
        char safe[sizeof msg * 4], sgame[BS_MAX_GAME_ID * 4 + 8] = "";
        escape_plain(msg, safe, sizeof safe);
        if (game) {
            escape_plain(game, sgame, sizeof sgame - 2);
            strcat(sgame, ": ");
        }
        fprintf(stderr, "%s %s %-5s %s%s\n", ts, lg.program, names[level], sgame, safe);
    }
    fflush(stderr);
    funlockfile(stderr);
}

void log_msg(log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, NULL, fmt, ap);
    va_end(ap);
}

void log_game(log_level level, const char *game, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, game, fmt, ap);
    va_end(ap);
}

void log_status(const char *line)
{
    if (!lg.tty)
        return;
    flockfile(stderr);
    clear_status();
    if (line) {
        char safe[1024];
        escape_plain(line, safe, sizeof safe);
        fprintf(stderr, "%s", safe);
        lg.status_shown = true;
    }
    fflush(stderr);
    funlockfile(stderr);
}

void log_status_keep(void)
{
    if (lg.status_shown) {
        fputc('\n', stderr);
        lg.status_shown = false;
    }
}
