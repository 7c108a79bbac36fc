/* Parser and reader: every accepted variant and every reject reason, with line numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "boxscore.h"

static bs_parse_status parse(const char *line, bs_event *ev, char *err)
{
    return bs_parse_line(line, strlen(line), 101, 205, ev, err);
}

static void accepts_canonical_line(void **state)
{
    (void)state;
    bs_event ev;
    char err[BS_ERRLEN];
    assert_int_equal(parse("2 56:13 205 8 1", &ev, err), BS_PARSE_EVENT);
    assert_int_equal(ev.id, 2);
    assert_int_equal(ev.clock, 56 * 60 + 13);
    assert_int_equal(ev.team, 205);
    assert_int_equal(ev.jersey, 8);
    assert_int_equal(ev.goal, 1);
}

static void accepts_tabs_crlf_trailing_space_and_runs(void **state)
{
    (void)state;
    const char *ok[] = {"2\t56:13\t205\t8\t1", "2 56:13 205 8 1\r", "2 56:13 205 8 1   ", "  2  56:13   205 8  1 \t\r",
                        "3 60:00 101 0 0", "4 00:00 101 999 0", "5 5:07 101 1 0", "-1 00:00 0 0 0", "9 00:00 0 0 0"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        bs_event ev;
        char err[BS_ERRLEN] = "";
        if (parse(ok[i], &ev, err) != BS_PARSE_EVENT)
            fail_msg("'%s' was rejected: %s", ok[i], err);
    }
}

static void blank_lines_are_not_errors(void **state)
{
    (void)state;
    bs_event ev;
    char err[BS_ERRLEN];
    assert_int_equal(parse("", &ev, err), BS_PARSE_BLANK);
    assert_int_equal(parse("   \t\r", &ev, err), BS_PARSE_BLANK);
}

static void rejects_each_bad_field_with_a_reason(void **state)
{
    (void)state;
    struct { const char *line, *reason; } bad[] = {
        {"2 56:13 205 8", "expected 5 fields"},
        {"2 56:13 205 8 1 7", "found 6"},
        {"x 56:13 205 8 1", "event_id 'x' is not an integer"},
        {"2.5 56:13 205 8 1", "event_id '2.5' is not an integer"},
        {"2 56:13 2o5 8 1", "team_id '2o5' is not an integer"},
        {"2 56:13 205 8 yes", "goal 'yes' is not an integer"},
        {"2 56:13 205 -8 1", "jersey '-8' is not an integer"},
        {"-2 56:13 205 8 1", "event_id -2 is out of range"},
        {"2 5613 205 8 1", "is not mm:ss"},
        {"2 56:1 205 8 1", "is not mm:ss"},
        {"2 156:13 205 8 1", "is not mm:ss"},
        {"2 :13 205 8 1", "is not mm:ss"},
        {"2 56:60 205 8 1", "seconds above 59"},
        {"2 60:01 205 8 1", "above 60:00"},
        {"2 61:00 205 8 1", "above 60:00"},
        {"2 56:13 205 8 2", "goal flag 2 must be 0 or 1"},
        {"2 56:13 999 8 1", "unknown team 999"},
        {"2 56:13 205 1000 1", "jersey 1000 is out of range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bs_event ev;
        char err[BS_ERRLEN] = "";
        if (parse(bad[i].line, &ev, err) != BS_PARSE_REJECT)
            fail_msg("'%s' was accepted", bad[i].line);
        if (!strstr(err, bad[i].reason))
            fail_msg("'%s': reason '%s' does not say '%s'", bad[i].line, err, bad[i].reason);
    }
}

typedef struct seen {
    long lineno[16];
    size_t len[16];
    bool too_long[16];
    char first[64];
    int n;
} seen;

static void collect(void *ctx, long lineno, const char *line, size_t len, bool too_long)
{
    seen *s = ctx;
    if (s->n == 0)
        snprintf(s->first, sizeof s->first, "%.*s", (int)(len < 63 ? len : 63), line);
    s->lineno[s->n] = lineno;
    s->len[s->n] = len;
    s->too_long[s->n] = too_long;
    s->n++;
}

static void reader_drops_bom_split_across_chunks(void **state)
{
    (void)state;
    bs_reader r;
    seen s = {0};
    bs_reader_reset(&r);
    bs_reader_push(&r, "\xEF", 1, collect, &s);
    bs_reader_push(&r, "\xBB\xBF" "0 59:00 101 2 1\n", 18, collect, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.first, "0 59:00 101 2 1");
}

static void reader_numbers_lines_and_strips_cr(void **state)
{
    (void)state;
    bs_reader r;
    seen s = {0};
    bs_reader_reset(&r);
    const char *text = "a\r\n\nbc\npartial";
    bs_reader_push(&r, text, strlen(text), collect, &s);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.lineno[0], 1);
    assert_int_equal(s.len[0], 1);
    assert_int_equal(s.lineno[2], 3);
    bs_reader_push(&r, "\n", 1, collect, &s);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.lineno[3], 4);
    assert_int_equal(s.len[3], 7);
}

static void reader_flags_lines_over_1_kib(void **state)
{
    (void)state;
    bs_reader r;
    seen s = {0};
    char big[4000];
    memset(big, '1', sizeof big);
    big[BS_MAX_LINE] = '\n';            /* exactly 1024 bytes: accepted */
    big[BS_MAX_LINE + 2000] = '\n'; /* a longer one: flagged, and the next line still counts */
    bs_reader_reset(&r);
    bs_reader_push(&r, big, BS_MAX_LINE + 2001, collect, &s);
    bs_reader_push(&r, "ok\n", 3, collect, &s);
    assert_int_equal(s.n, 3);
    assert_false(s.too_long[0]);
    assert_true(s.too_long[1]);
    assert_false(s.too_long[2]);
    assert_int_equal(s.lineno[2], 3);
}

static void format_round_trips(void **state)
{
    (void)state;
    bs_event ev = {12, 5 * 60 + 7, 101, 22, 1}, back;
    char line[64], err[BS_ERRLEN];
    int n = bs_format_event(&ev, line, sizeof line);
    assert_string_equal(line, "12 05:07 101 22 1\n");
    assert_int_equal(bs_parse_line(line, (size_t)n - 1, 101, 205, &back, err), BS_PARSE_EVENT);
    assert_memory_equal(&ev, &back, sizeof ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_canonical_line),
        cmocka_unit_test(accepts_tabs_crlf_trailing_space_and_runs),
        cmocka_unit_test(blank_lines_are_not_errors),
        cmocka_unit_test(rejects_each_bad_field_with_a_reason),
        cmocka_unit_test(reader_drops_bom_split_across_chunks),
        cmocka_unit_test(reader_numbers_lines_and_strips_cr),
        cmocka_unit_test(reader_flags_lines_over_1_kib),
        cmocka_unit_test(format_round_trips),
    };
    return cmocka_run_group_tests_name("boxscore/parse", tests, NULL, NULL);
}
