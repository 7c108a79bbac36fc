/*
 * stream.c — the gamestream.txt line format: `event_id mm:ss team_id jersey goal`.
 *
 * The parser is strict: every line it refuses gets one reason a person can act on.
 * It tolerates what producers and editors add without meaning to: CRLF, tabs,
 * runs of spaces, trailing white space, blank lines and a UTF-8 BOM (dropped by the
 * reader). gamestream-sim writes lines with bs_format_event, so both ends share it.
 */
#include "boxscore.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFIELDS 5

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Splits line into at most max fields; returns how many there are (may exceed max). */
static int split_fields(const char *line, size_t len, const char *start[], size_t flen[], int max)
{
    int n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && is_space(line[i]))
            i++;
        if (i == len)
            break;
        size_t b = i;
        while (i < len && !is_space(line[i]))
            i++;
        if (n < max) {
            start[n] = line + b;
            flen[n] = i - b;
        }
        n++;
    }
    return n;
}

/* Parses a decimal integer that fills the whole field ('-' allowed when neg_ok). */
static bool parse_int(const char *s, size_t n, bool neg_ok, long *out)
{
    char buf[24];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    size_t i = (buf[0] == '-' && neg_ok) ? 1 : 0;
    if (i == n)
        return false;
    for (; i < n; i++)
        if (buf[i] < '0' || buf[i] > '9')
            return false;
    errno = 0;
    long v = strtol(buf, NULL, 10);
    if (errno == ERANGE)
        return false;
    *out = v;
    return true;
}

static bool parse_clock(const char *s, size_t n, int *clock, char err[BS_ERRLEN])
{
    const char *colon = memchr(s, ':', n);
    long mm, ss;
    size_t mlen = colon ? (size_t)(colon - s) : 0;
    if (!colon || mlen < 1 || mlen > 2 || n - mlen - 1 != 2 || !parse_int(s, mlen, false, &mm) ||
        !parse_int(colon + 1, 2, false, &ss)) {
        snprintf(err, BS_ERRLEN, "clock '%.*s' is not mm:ss", (int)(n > 16 ? 16 : n), s);
        return false;
    }
    if (ss > 59) {
        snprintf(err, BS_ERRLEN, "clock '%.*s' has seconds above 59", (int)n, s);
        return false;
    }
    if (mm * 60 + ss > BS_GAME_SECONDS) {
        snprintf(err, BS_ERRLEN, "clock '%.*s' is above 60:00", (int)n, s);
        return false;
    }
    *clock = (int)(mm * 60 + ss);
    return true;
}

bs_parse_status bs_parse_line(const char *line, size_t len, int home, int away, bs_event *ev,
                              char err[BS_ERRLEN])
{
    const char *f[NFIELDS];
    size_t fl[NFIELDS];
    long id, team, jersey, goal;

    if (len > BS_MAX_LINE) {
        snprintf(err, BS_ERRLEN, "line is longer than %d bytes", BS_MAX_LINE);
        return BS_PARSE_REJECT;
    }
    int n = split_fields(line, len, f, fl, NFIELDS);
    if (n == 0)
        return BS_PARSE_BLANK;
    if (n != NFIELDS) {
        snprintf(err, BS_ERRLEN, "expected 5 fields (event_id mm:ss team_id jersey goal), found %d", n);
        return BS_PARSE_REJECT;
    }
    static const char *const names[NFIELDS] = {"event_id", "clock", "team_id", "jersey", "goal"};
    long *vals[NFIELDS] = {&id, NULL, &team, &jersey, &goal};
    for (int i = 0; i < NFIELDS; i++) {
        if (!vals[i])
            continue;
        if (!parse_int(f[i], fl[i], i == 0, vals[i])) {
            snprintf(err, BS_ERRLEN, "%s '%.*s' is not an integer", names[i], (int)(fl[i] > 16 ? 16 : fl[i]), f[i]);
            return BS_PARSE_REJECT;
        }
    }
    if (id < -1 || id > INT32_MAX) {
        snprintf(err, BS_ERRLEN, "event_id %ld is out of range (0 and up, or -1 for end of game)", id);
        return BS_PARSE_REJECT;
    }
    if (!parse_clock(f[1], fl[1], &ev->clock, err))
        return BS_PARSE_REJECT;
    if (team != 0 && team != home && team != away) {
        snprintf(err, BS_ERRLEN, "unknown team %ld (this game is %d vs %d; 0 ends the game)", team, home, away);
        return BS_PARSE_REJECT;
    }
    if (jersey < 0 || jersey > BS_MAX_JERSEY) {
        snprintf(err, BS_ERRLEN, "jersey %ld is out of range 0..%d", jersey, BS_MAX_JERSEY);
        return BS_PARSE_REJECT;
    }
    if (goal != 0 && goal != 1) {
        snprintf(err, BS_ERRLEN, "goal flag %ld must be 0 or 1", goal);
        return BS_PARSE_REJECT;
    }
    ev->id = id;
    ev->team = (int)team;
    ev->jersey = (int)jersey;
    ev->goal = (int)goal;
    return BS_PARSE_EVENT;
}

void bs_format_clock(int clock, char out[8])
{
    if (clock < 0)
        clock = 0;
    if (clock > BS_GAME_SECONDS)
        clock = BS_GAME_SECONDS;
    snprintf(out, 8, "%02d:%02d", clock / 60, clock % 60);
}

int bs_format_event(const bs_event *ev, char *out, size_t outlen)
{
    char clk[8];
    bs_format_clock(ev->clock, clk);
    return snprintf(out, outlen, "%ld %s %d %d %d\n", ev->id, clk, ev->team, ev->jersey, ev->goal);
}

/* ---------------------------------------------------------------- reader */

void bs_reader_reset(bs_reader *r)
{
    r->len = 0;
    r->lineno = 1;
    r->offset = 0;
    r->overlong = false;
    r->line_start = 0;
}

static void reader_byte(bs_reader *r, char c, bs_line_fn fn, void *ctx)
{
    if (c == '\n') {
        /* a CR before the newline does not count toward the length limit */
        size_t len = r->len;
        if (len > 0 && r->buf[len - 1] == '\r')
            len--;
        fn(ctx, r->lineno, r->buf, len, r->overlong || len > BS_MAX_LINE);
        r->len = 0;
        r->overlong = false;
        r->lineno++;
        r->line_start = r->offset;
        return;
    }
    if (r->len == sizeof r->buf)
        r->overlong = true;
    else
        r->buf[r->len++] = c;
}

void bs_reader_push(bs_reader *r, const char *data, size_t n, bs_line_fn fn, void *ctx)
{
    static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    for (size_t i = 0; i < n; i++) {
        uint64_t pos = r->offset++;
        /* the BOM can be split across chunks: drop bytes 0..2 while they match it */
        if (pos < 3 && r->lineno == 1 && (unsigned char)data[i] == bom[pos] && r->len == pos) {
            r->buf[r->len++] = data[i];
            if (pos == 2)
                r->len = 0, r->line_start = 3;
            continue;
        }
        reader_byte(r, data[i], fn, ctx);
    }
}
