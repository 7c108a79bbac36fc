/*
 * buf.c — growable arrays and texts, the one copy of the doubling-realloc logic that
 * the listings, the SQL statements, the metrics exposition and the HTTP bodies use, and
 * the set of texts already logged once.
 */
#include "boxscore.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool bs_grow(void *arr, size_t *cap, size_t n, size_t size)
{
    void **a = arr;
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap : 16;
    while (ncap <= n) {
        if (ncap > SIZE_MAX / 2 / size)
            return false;
        ncap *= 2;
    }
    void *p = realloc(*a, ncap * size);
    if (!p)
        return false;
    *a = p;
    *cap = ncap;
    return true;
}

bool bs_reserve(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 4096;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return false;
        n *= 2;
    }
    char *p = realloc(*buf, n);
    if (!p)
        return false;
    *buf = p;
    *cap = n;
    return true;
}

void bs_buf_add(bs_buf *b, const void *data, size_t n)
{
    if (b->oom)
        return;
    if (n > SIZE_MAX - b->len - 1 || !bs_reserve(&b->s, &b->cap, b->len + n + 1)) {
        b->oom = true;
        return;
    }
    if (n)
        memcpy(b->s + b->len, data, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void bs_buf_puts(bs_buf *b, const char *s)
{
    bs_buf_add(b, s, strlen(s));
}

void bs_buf_printf(bs_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    bs_buf_add(b, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

char *bs_buf_take(bs_buf *b, size_t *len)
{
    char *out = b->oom ? NULL : b->s;
    if (len)
        *len = out ? b->len : 0;
    if (!out)
        free(b->s);
    *b = (bs_buf){0};
    return out;
}

void bs_buf_free(bs_buf *b)
{
    free(b->s);
    *b = (bs_buf){0};
}

uint32_t bs_fnv1a32(uint32_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

uint64_t bs_fnv1a64(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211u;
    return h;
}

bool bs_once_first(bs_once *o, const char *s, size_t len)
{
    uint32_t h = bs_fnv1a32(BS_FNV1A32_BASIS, s, len);
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i] == h)
            return false;
    if (!bs_grow(&o->v, &o->cap, o->n, sizeof *o->v))
        return false;
    o->v[o->n++] = h;
    return true;
}

void bs_once_free(bs_once *o)
{
    free(o->v);
    *o = (bs_once){0};
}
