/* game.json: "home" and "away" are required positive, different integers within int;
 * "venue" and "start" are optional strings that must be valid UTF-8 and fit; other
 * fields are ignored. Every refusal names what is wrong, and leaves *out untouched. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "boxscore.h"

/* Parses text, which must be refused, and checks that err holds every word of want,
 * that err is valid UTF-8 and that *out was not written. */
static void refused(const char *text, size_t len, const char *want)
{
    bs_manifest m;
    char err[BS_ERRLEN] = "";
    memset(&m, 0x5a, sizeof m);
    assert_int_equal(bs_manifest_parse(text, len, &m, err), -1);
    if (!strstr(err, want))
        fail_msg("for %.*s: expected \"%s\" in \"%s\"", (int)len, text ? text : "", want, err);
    assert_true(bs_utf8_valid(err, strlen(err)));
    for (size_t i = 0; i < sizeof m; i++)
        assert_int_equal(((unsigned char *)&m)[i], 0x5a);
}

static void refused_str(const char *text, const char *want)
{
    refused(text, strlen(text), want);
}

static bs_manifest parsed(const char *text)
{
    bs_manifest m;
    char err[BS_ERRLEN] = "";
    if (bs_manifest_parse(text, strlen(text), &m, err))
        fail_msg("for %s: %s", text, err);
    return m;
}

static void a_minimal_manifest_is_read(void **state)
{
    (void)state;
    bs_manifest m = parsed("{\"home\": 101, \"away\": 205}");
    assert_int_equal(m.home, 101);
    assert_int_equal(m.away, 205);
    assert_string_equal(m.venue, "");
    assert_string_equal(m.start, "");
}

static void venue_and_start_are_read(void **state)
{
    (void)state;
    bs_manifest m = parsed(" \n{\"away\": 2, \"venue\": \"Zoë Field \\u00e9\", \"start\": \"2026-11-28T13:00:00Z\", "
                           "\"home\": 1}\r\n");
    assert_int_equal(m.home, 1);
    assert_int_equal(m.away, 2);
    assert_string_equal(m.venue, "Zoë Field é");
    assert_string_equal(m.start, "2026-11-28T13:00:00Z");
    m = parsed("{\"home\": 1, \"away\": 2, \"venue\": null, \"start\": null}");
    assert_string_equal(m.venue, "");
    assert_string_equal(m.start, "");
    m = parsed("{\"home\": 2147483647, \"away\": 1}");
    assert_int_equal(m.home, INT_MAX);
    m = parsed("\xEF\xBB\xBF{\"home\": 3, \"away\": 4}"); /* a byte order mark is skipped */
    assert_int_equal(m.home, 3);
}

static void extra_fields_are_ignored(void **state)
{
    (void)state;
    bs_manifest m = parsed("{\"home\": 101, \"away\": 205, \"league\": \"NCAA\", \"weather\": {\"wind\": [1, 2.5]}, "
                           "\"neutral\": true, \"attendance\": 123456789012, \"notes\": null}");
    assert_int_equal(m.home, 101);
    assert_int_equal(m.away, 205);
}

static void missing_fields_are_named(void **state)
{
    (void)state;
    refused_str("{\"away\": 205}", "\"home\" is missing");
    refused_str("{\"home\": 101}", "\"away\" is missing");
    refused_str("{}", "\"home\" is missing");
    refused_str("{\"Home\": 101, \"away\": 205}", "\"home\" is missing");
}

static void wrong_types_are_named(void **state)
{
    (void)state;
    refused_str("{\"home\": \"101\", \"away\": 205}", "\"home\" must be a team id, a positive integer, not a string");
    refused_str("{\"home\": 101, \"away\": 205.0}", "\"away\" must be a team id, a positive integer, not a number");
    refused_str("{\"home\": 101, \"away\": 2e2}", "\"away\" must be a team id");
    refused_str("{\"home\": true, \"away\": 205}", "not a boolean");
    refused_str("{\"home\": null, \"away\": 205}", "\"home\" must be a team id, a positive integer, not null");
    refused_str("{\"home\": [101], \"away\": 205}", "not an array");
    refused_str("{\"home\": 101, \"away\": {\"id\": 205}}", "not an object");
    refused_str("{\"home\": 101, \"away\": 205, \"venue\": 7}", "\"venue\" must be a string, not an integer");
    refused_str("{\"home\": 101, \"away\": 205, \"start\": [\"x\"]}", "\"start\" must be a string, not an array");
}

static void equal_teams_are_refused(void **state)
{
    (void)state;
    refused_str("{\"home\": 101, \"away\": 101}", "\"home\" and \"away\" are both team 101");
}

static void zero_and_negative_ids_are_refused(void **state)
{
    (void)state;
    refused_str("{\"home\": -101, \"away\": 205}", "\"home\" is -101, not a team id");
    refused_str("{\"home\": 101, \"away\": 0}", "\"away\" is 0, not a team id");
    refused_str("{\"home\": 101, \"away\": -0}", "\"away\" is 0, not a team id");
}

static void huge_numbers_are_refused(void **state)
{
    (void)state;
    refused_str("{\"home\": 2147483648, \"away\": 205}", "\"home\" is 2147483648, not a team id");
    refused_str("{\"home\": 4294967397, \"away\": 205}", "\"home\" is 4294967397"); /* 101 + 2^32 */
    refused_str("{\"home\": -2147483649, \"away\": 205}", "\"home\" is -2147483649");
    refused_str("{\"home\": 101, \"away\": 9223372036854775807}", "\"away\" is 9223372036854775807");
    /* beyond 64 bits jansson refuses the whole document; the field is still named */
    refused_str("{\"home\": 101, \"away\": 99999999999999999999999}", "\"away\" is out of range for a team id");
    refused_str("{\"home\": -99999999999999999999999, \"away\": 1}", "\"home\" is out of range for a team id");
    refused_str("{\"home\": 1, \"away\": 2, \"x\": 99999999999999999999999}",
                "a number is out of range: too big integer");
    refused_str("{\"home\": 1e400, \"away\": 2}", "a number is out of range: real number overflow");
}

static void invalid_utf8_is_refused(void **state)
{
    (void)state;
    /* raw bytes: refused before parsing, with the offset of the bad byte */
    refused_str("{\"home\": 1, \"away\": 2, \"venue\": \"Fi\xff"
                "eld\"}",
                "not valid UTF-8 text (invalid sequence or NUL at byte 35)");
    refused_str("{\"home\": 1, \"away\": 2, \"venue\": \"\xc3\"}", "not valid UTF-8");
    refused_str("\xEF\xBB\xBF{\"home\": 1, \"venue\": \"\xc3\"}", "at byte 25"); /* counted in the file */
    refused_str("{\"home\": 1, \"away\": 2, \"venue\": \"\xed\xa0\x80\"}", "not valid UTF-8");   /* surrogate */
    refused_str("{\"home\": 1, \"away\": 2, \"venue\": \"\xc0\xaf\"}", "not valid UTF-8");       /* overlong */
    refused("{\"home\": 1, \"away\": 2, \"venue\": \"a\0b\"}", 38,
            "not valid UTF-8 text (invalid sequence or NUL at byte 34)");
    /* escapes: a NUL inside the string is invalid text in the field */
    refused_str("{\"home\": 1, \"away\": 2, \"venue\": \"a\\u0000b\"}",
                "\"venue\" is not valid UTF-8 text (invalid sequence or NUL at byte 1)");
    refused_str("{\"home\": 1, \"away\": 2, \"start\": \"\\u0000\"}", "\"start\" is not valid UTF-8");
    /* a lone surrogate escape cannot be decoded at all */
    refused_str("{\"home\": 1, \"away\": 2, \"venue\": \"\\ud800\"}", "not valid JSON");
}

static void overlong_strings_are_refused(void **state)
{
    (void)state;
    char text[512], field[300];
    bs_manifest m;
    char err[BS_ERRLEN];

    /* venue: 127 bytes fit, 128 do not */
    memset(field, 'v', 127);
    field[127] = '\0';
    snprintf(text, sizeof text, "{\"home\": 1, \"away\": 2, \"venue\": \"%s\"}", field);
    assert_int_equal(bs_manifest_parse(text, strlen(text), &m, err), 0);
    assert_int_equal(strlen(m.venue), 127);
    snprintf(text, sizeof text, "{\"home\": 1, \"away\": 2, \"venue\": \"%sv\"}", field);
    refused_str(text, "\"venue\" is 128 bytes long, over the limit of 127");

    /* multibyte characters count in bytes: 64 x "é" is 128 bytes */
    text[0] = '\0';
    strcat(text, "{\"home\": 1, \"away\": 2, \"venue\": \"");
    for (int i = 0; i < 64; i++)
        strcat(text, "é");
    strcat(text, "\"}");
    refused_str(text, "\"venue\" is 128 bytes long");

    /* start: 39 bytes fit, 40 do not */
    memset(field, 's', 39);
    field[39] = '\0';
    snprintf(text, sizeof text, "{\"home\": 1, \"away\": 2, \"start\": \"%s\"}", field);
    assert_int_equal(bs_manifest_parse(text, strlen(text), &m, err), 0);
    assert_string_equal(m.start, field);
    snprintf(text, sizeof text, "{\"home\": 1, \"away\": 2, \"start\": \"%ss\"}", field);
    refused_str(text, "\"start\" is 40 bytes long, over the limit of 39");
}

static void not_an_object_is_refused(void **state)
{
    (void)state;
    refused_str("[101, 205]", "must be an object such as {\"home\": 101, \"away\": 205}, not an array");
    refused_str("101", "not an integer");
    refused_str("\"home\"", "not a string");
    refused_str("null", "not null");
    refused_str("{\"home\": 101, \"away\": 205", "not valid JSON");
    refused_str("{\"home\": 101, \"away\": 205} {}", "not valid JSON");
    refused_str("{\"home\": 101, \"away\": 205, \"home\": 102}", "not valid JSON: duplicate object key");
}

static void empty_input_is_refused(void **state)
{
    (void)state;
    refused("", 0, "game.json is empty");
    refused(NULL, 0, "game.json is empty");
    refused_str(" \r\n\t", "game.json is empty");
    refused_str("\xEF\xBB\xBF\n", "game.json is empty");
    /* the length given is what counts, not a NUL further on */
    refused("{\"home\": 101, \"away\": 205}", 0, "game.json is empty");
    refused("{\"home\": 101, \"away\": 205}", 10, "not valid JSON");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_minimal_manifest_is_read),
        cmocka_unit_test(venue_and_start_are_read),
        cmocka_unit_test(extra_fields_are_ignored),
        cmocka_unit_test(missing_fields_are_named),
        cmocka_unit_test(wrong_types_are_named),
        cmocka_unit_test(equal_teams_are_refused),
        cmocka_unit_test(zero_and_negative_ids_are_refused),
        cmocka_unit_test(huge_numbers_are_refused),
        cmocka_unit_test(invalid_utf8_is_refused),
        cmocka_unit_test(overlong_strings_are_refused),
        cmocka_unit_test(not_an_object_is_refused),
        cmocka_unit_test(empty_input_is_refused),
    };
    return cmocka_run_group_tests_name("boxscore/manifest", tests, NULL, NULL);
}
