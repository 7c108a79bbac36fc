/*
 * options.c — one table of options drives parsing, defaults and --help.
 */
#include "options.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int set_value(const opt_def *d, void *cfg, const char *text, const char *from, char *err, size_t errlen)
{
    char *end;
    void *slot = (char *)cfg + d->offset;
    switch (d->type) {
    case OPT_STR:
        *(const char **)slot = text;
        return 0;
    case OPT_INT: {
        errno = 0;
        long v = strtol(text, &end, 10);
        if (errno || end == text || *end || v < INT32_MIN || v > INT32_MAX) {
            snprintf(err, errlen, "%s: '%s' is not a whole number (option --%s)", from, text, d->name);
            return 2;
        }
        *(int *)slot = (int)v;
        return 0;
    }
    case OPT_DOUBLE: {
        errno = 0;
        double v = strtod(text, &end);
        if (errno || end == text || *end || v < 0) {
            snprintf(err, errlen, "%s: '%s' is not a non-negative number (option --%s)", from, text, d->name);
            return 2;
        }
        *(double *)slot = v;
        return 0;
    }
    case OPT_FLAG:
        if (!strcmp(text, "1") || !strcmp(text, "true") || !strcmp(text, "yes") || !strcmp(text, "on")) {
            *(bool *)slot = true;
        } else if (!strcmp(text, "0") || !strcmp(text, "false") || !strcmp(text, "no") || !strcmp(text, "off") ||
                   !*text) {
            *(bool *)slot = false;
        } else {
            snprintf(err, errlen, "%s: '%s' is not a yes/no value (option --%s)", from, text, d->name);
            return 2;
        }
        return 0;
    }
    return 2;
}

static const opt_def *find(const opt_def *defs, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(defs[i].name) == len && !strncmp(defs[i].name, name, len))
            return &defs[i];
    return NULL;
}

int opt_parse(const opt_def *defs, size_t n, void *cfg, int argc, char **argv, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const char *env = defs[i].env ? getenv(defs[i].env) : NULL;
        if (defs[i].def && set_value(&defs[i], cfg, defs[i].def, "default", err, errlen))
            return 2;
        if (env && set_value(&defs[i], cfg, env, defs[i].env, err, errlen))
            return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return 1;
        if (strncmp(a, "--", 2) != 0) {
            snprintf(err, errlen, "unexpected argument '%s' (options start with --; see --help)", a);
            return 2;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const opt_def *d = find(defs, n, name, len);
        bool negated = false;
        if (!d && len > 3 && !strncmp(name, "no-", 3)) {
            d = find(defs, n, name + 3, len - 3);
            negated = d && d->type == OPT_FLAG;
            if (!negated)
                d = NULL;
        }
        if (!d) {
            snprintf(err, errlen, "unknown option '--%.*s' (see --help)", (int)len, name);
            return 2;
        }
        const char *val;
        if (d->type == OPT_FLAG)
            val = eq ? eq + 1 : negated ? "0" : "1";
        else if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            snprintf(err, errlen, "option --%s needs a value", d->name);
            return 2;
        }
        if (set_value(d, cfg, val, a, err, errlen))
            return 2;
    }
    return 0;
}

void opt_help(FILE *out, const char *usage, const opt_def *defs, size_t n)
{
    fprintf(out, "%s\nOptions (each also read from the environment variable shown):\n", usage);
    for (size_t i = 0; i < n; i++) {
        const opt_def *d = &defs[i];
        char left[64];
        snprintf(left, sizeof left, "--%s%s", d->name, d->type == OPT_FLAG ? "" : " VALUE");
        fprintf(out, "  %-26s %s\n  %-26s   env %s, default: %s\n", left, d->help, "", d->env ? d->env : "-",
                d->def && *d->def ? d->def : d->type == OPT_FLAG ? "off" : "(none)");
    }
}

char *opt_secret(const char *name)
{
    const char *v = getenv(name);
    if (v)
        return strdup(v);
    char fname[128];
    snprintf(fname, sizeof fname, "%s_FILE", name);
    const char *path = getenv(fname);
    if (!path)
        return NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char buf[1024];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = '\0';
    return strdup(buf);
}

char *opt_secret_or(const char *name, const char *fallback)
{
    char *s = opt_secret(name);
    return s ? s : opt_secret(fallback);
}
