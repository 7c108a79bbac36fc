/*
 * manifest.c — game.json, the manifest of one game under a prefix.
 *
 * The manifest is written by whoever schedules the game, not by this program. It is
 * read strictly where a mistake would put a game's events on the wrong teams ("home"
 * and "away": required integers, positive, within int, different) and leniently where
 * it cannot ("venue" and "start" are optional; null counts as absent; fields we do not
 * know are ignored, so a scheduler may add its own). Every message names the field and
 * says what was expected, because it becomes the log line that tells an operator why a
 * game waits; messages are always valid UTF-8. A leading UTF-8 byte order mark is
 * skipped, as in the stream.
 *
 * Nothing is written to *out unless the whole manifest is valid, and no pointer into the
 * JSON is kept: a bs_manifest is plain values.
 */
#include "boxscore.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number with a fraction or an exponent";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "an unknown JSON type";
}

/* The offset of the first byte that is not valid UTF-8 (or is NUL), or len. */
static size_t utf8_bad_at(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t n = bs_utf8_next(s + i, len - i);
        if (!n)
            break;
        i += n;
    }
    return i;
}

static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* root[field] as a team id: a JSON integer in 1..INT_MAX. */
static int team_id(const json_t *root, const char *field, int *out, char err[BS_ERRLEN])
{
    const json_t *v = json_object_get(root, field);
    if (!v) {
        snprintf(err, BS_ERRLEN, "game.json: \"%s\" is missing (expected a team id, a positive integer)", field);
        return -1;
    }
    if (!json_is_integer(v)) {
        snprintf(err, BS_ERRLEN, "game.json: \"%s\" must be a team id, a positive integer, not %s", field,
                 type_name(v));
        return -1;
    }
    json_int_t id = json_integer_value(v);
    if (id <= 0 || id > INT_MAX) {
        snprintf(err, BS_ERRLEN, "game.json: \"%s\" is %" JSON_INTEGER_FORMAT ", not a team id (1 to %d)", field,
                 id, INT_MAX);
        return -1;
    }
    *out = (int)id;
    return 0;
}

/* root[field] as an optional text of at most size - 1 bytes; "" when absent or null. */
static int optional_text(const json_t *root, const char *field, char *out, size_t size, char err[BS_ERRLEN])
{
    const json_t *v = json_object_get(root, field);
    out[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, BS_ERRLEN, "game.json: \"%s\" must be a string, not %s", field, type_name(v));
        return -1;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (!bs_utf8_valid(s, len)) {
        snprintf(err, BS_ERRLEN, "game.json: \"%s\" is not valid UTF-8 text (invalid sequence or NUL at byte %zu)",
                 field, utf8_bad_at(s, len));
        return -1;
    }
    if (len >= size) {
        snprintf(err, BS_ERRLEN, "game.json: \"%s\" is %zu bytes long, over the limit of %zu", field, len, size - 1);
        return -1;
    }
    memcpy(out, s, len);
    out[len] = '\0';
    return 0;
}

/* jansson refuses an integer beyond 64 bits for the whole document; when it is the
 * value of "home" or "away", say so by name. */
static void name_the_overflow(const char *text, size_t len, const json_error_t *first, char err[BS_ERRLEN])
{
    static const char *const fields[] = {"home", "away"};
    json_t *root = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, NULL);
    for (int i = 0; i < 2; i++) {
        const json_t *v = json_object_get(root, fields[i]);
        double d = json_is_real(v) ? json_real_value(v) : 0;
        if (d > (double)INT_MAX || d < -(double)INT_MAX) {
            snprintf(err, BS_ERRLEN, "game.json: \"%s\" is out of range for a team id (1 to %d)", fields[i], INT_MAX);
            json_decref(root);
            return;
        }
    }
    json_decref(root);
    snprintf(err, BS_ERRLEN, "game.json: a number is out of range: %s (line %d, column %d)",
             first->text, first->line, first->column);
}

int bs_manifest_parse(const char *text, size_t len, bs_manifest *out, char err[BS_ERRLEN])
{
    /* a UTF-8 byte order mark, as some editors write, is not part of the JSON */
    size_t bom = text && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    text = text ? text + bom : NULL;
    len -= bom;
    if (!text || blank(text, len)) {
        snprintf(err, BS_ERRLEN, "game.json is empty (expected {\"home\": <team id>, \"away\": <team id>})");
        return -1;
    }
    size_t bad = utf8_bad_at(text, len);
    if (bad < len) {
        snprintf(err, BS_ERRLEN, "game.json is not valid UTF-8 text (invalid sequence or NUL at byte %zu)",
                 bom + bad);
        return -1;
    }
    /* duplicate keys are refused: {"home": 1, "home": 2} has no one meaning */
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root) {
        if (json_error_code(&je) == json_error_numeric_overflow)
            name_the_overflow(text, len, &je, err);
        else
            snprintf(err, BS_ERRLEN, "game.json is not valid JSON: %s (line %d, column %d)", je.text, je.line,
                     je.column);
        return -1;
    }
    if (!json_is_object(root)) {
        snprintf(err, BS_ERRLEN, "game.json must be an object such as {\"home\": 101, \"away\": 205}, not %s",
                 type_name(root));
        json_decref(root);
        return -1;
    }
    bs_manifest m;
    memset(&m, 0, sizeof m);
    if (team_id(root, "home", &m.home, err) || team_id(root, "away", &m.away, err) ||
        optional_text(root, "venue", m.venue, sizeof m.venue, err) ||
        optional_text(root, "start", m.start, sizeof m.start, err)) {
        json_decref(root);
        return -1;
    }
    json_decref(root);
    if (m.home == m.away) {
        snprintf(err, BS_ERRLEN, "game.json: \"home\" and \"away\" are both team %d; a game needs two teams", m.home);
        return -1;
    }
    *out = m;
    return 0;
}
