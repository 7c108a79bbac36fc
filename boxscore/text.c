/*
 * text.c — making arbitrary bytes safe as text.
 *
 * Bytes from the stream and from the reference tables reach JSON, BSON, SQL and
 * logs. Jansson and libbson refuse strings that are not UTF-8, so every such string
 * passes through here first: valid UTF-8 is copied as it is, and each byte of an
 * invalid, overlong, surrogate or truncated sequence becomes U+FFFD. A NUL byte
 * also becomes U+FFFD, so the result is always a C string of the same meaning.
 */
#include "boxscore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t bs_utf8_next(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    if (n == 0)
        return 0;
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c >= 0x01 && c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0x3F >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

bool bs_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = bs_utf8_next((const char *)u + i, len - i);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

char *bs_utf8_dup(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    if (!s)
        len = 0;
    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = malloc(len * 3 + 1), *o = out; /* U+FFFD is 3 bytes for every bad byte */
    if (!out)
        return NULL;
    for (size_t i = 0; i < len;) {
        size_t n = bs_utf8_next((const char *)u + i, len - i);
        if (n) {
            memcpy(o, u + i, n);
            o += n;
            i += n;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    *o = '\0';
    return out;
}

bool bs_game_id_valid(const char *id, char err[BS_ERRLEN])
{
    size_t n = strlen(id);
    if (n == 0 || n > BS_MAX_GAME_ID) {
        snprintf(err, BS_ERRLEN, "a game id must be 1 to %d bytes long (this one is %zu)", BS_MAX_GAME_ID, n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.')) {
            snprintf(err, BS_ERRLEN, "a game id may hold only letters, digits, '-', '_' and '.' (byte %zu is 0x%02x)",
                     i + 1, c);
            return false;
        }
    }
    if (id[0] == '.') {
        snprintf(err, BS_ERRLEN, "a game id must not start with '.'");
        return false;
    }
    return true;
}
