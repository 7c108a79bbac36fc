/*
 * options.c — one table of options drives parsing, defaults and --help.
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "plain|json" as "plain or json", "a|b|c" as "a, b or c". */
static void say_choices(const char *words, char *out, size_t outlen)
{
    size_t n = 0;
    *out = '\0';
    for (const char *w = words; *w && n + 1 < outlen;) {
        size_t len = strcspn(w, "|");
        const char *next = w[len] ? w + len + 1 : w + len;
        if (w != words)
            n += (size_t)snprintf(out + n, outlen - n, "%s", !w[len] ? " or " : ", ");
        if (n < outlen)
            n += (size_t)snprintf(out + n, outlen - n, "%.*s", (int)len, w);
        w = next;
    }
    if (n >= outlen)
        out[outlen - 1] = '\0';
}

static bool one_of(const char *words, const char *text)
{
    size_t tl = strlen(text);
    for (const char *w = words; *w;) {
        size_t len = strcspn(w, "|");
        if (len == tl && !strncmp(w, text, len))
            return true;
        w += w[len] ? len + 1 : len;
    }
    return false;
}

/* Stores text as d's value; who names where it came from ("--poll-ms", "POLL_MS
 * (--poll-ms)") in the message of a value that is not of the type or out of range. */
static int set_value(const opt_def *d, void *cfg, const char *text, const char *who, char *err, size_t errlen)
{
    char *end;
    void *slot = (char *)cfg + d->offset;
    switch (d->type) {
    case OPT_STR:
        if (d->choices && !one_of(d->choices, text)) {
            char words[256];
            say_choices(d->choices, words, sizeof words);
            snprintf(err, errlen, "%s must be %s (got '%s')", who, words, text);
            return 2;
        }
        *(const char **)slot = text;
        return 0;
    case OPT_INT: {
        errno = 0;
        long v = strtol(text, &end, 10);
        if (errno || end == text || *end || v < INT32_MIN || v > INT32_MAX) {
            snprintf(err, errlen, "%s: '%s' is not a whole number", who, text);
            return 2;
        }
        bool low = (d->bounds & OPT_MIN) && v < d->min, high = (d->bounds & OPT_MAX) && v > d->max;
        if ((low || high) && (d->bounds & OPT_MIN) && (d->bounds & OPT_MAX)) {
            snprintf(err, errlen, "%s must be %ld to %ld (got %ld)", who, d->min, d->max, v);
            return 2;
        } else if (low || high) {
            snprintf(err, errlen, "%s must be at %s %ld (got %ld)", who, low ? "least" : "most", low ? d->min : d->max,
                     v);
            return 2;
        }
        *(int *)slot = (int)v;
        return 0;
    }
    case OPT_DOUBLE: {
        errno = 0;
        double v = strtod(text, &end);
        if (errno || end == text || *end || v < 0) {
            snprintf(err, errlen, "%s: '%s' is not a non-negative number", who, text);
            return 2;
        }
        *(double *)slot = v;
        return 0;
    }
    case OPT_LIST: {
        opt_list *l = slot;
        if (!strncmp(who, "--", 2)) { /* from argv: one value */
            if (l->n == OPT_LIST_MAX) {
                snprintf(err, errlen, "%s may be given at most %d times", who, OPT_LIST_MAX);
                return 2;
            }
            l->v[l->n++] = text;
            return 0;
        }
        free(l->buf); /* from its variable: the words apart by spaces */
        l->n = 0;
        if (!(l->buf = strdup(text))) {
            snprintf(err, errlen, "%s: out of memory", who);
            return 2;
        }
        for (char *save = NULL, *w = strtok_r(l->buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
            if (l->n == OPT_LIST_MAX) {
                snprintf(err, errlen, "%s holds more than %d values", who, OPT_LIST_MAX);
                return 2;
            }
            l->v[l->n++] = w;
        }
        return 0;
    }
    case OPT_FLAG:
        if (!strcmp(text, "1") || !strcmp(text, "true") || !strcmp(text, "yes") || !strcmp(text, "on")) {
            *(bool *)slot = true;
        } else if (!strcmp(text, "0") || !strcmp(text, "false") || !strcmp(text, "no") || !strcmp(text, "off") ||
                   !*text) {
            *(bool *)slot = false;
        } else {
            snprintf(err, errlen, "%s: '%s' is not a yes/no value", who, text);
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

#define OPT_MAX_DEFS 256

int opt_parse(const opt_def *defs, size_t n, void *cfg, int argc, char **argv, char *err, size_t errlen)
{
    bool given[OPT_MAX_DEFS] = {false}; /* argv gave it: its variable is not read */
    char who[160];
    if (n > OPT_MAX_DEFS) {
        snprintf(err, errlen, "more than %d options in the table", OPT_MAX_DEFS);
        return OPT_USAGE;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(who, sizeof who, "the default of --%s", defs[i].name);
        if (defs[i].def && set_value(&defs[i], cfg, defs[i].def, who, err, errlen))
            return OPT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return OPT_HELP;
        if (!strcmp(a, "--version"))
            return OPT_VERSION;
        if (!strcmp(a, "--man"))
            return OPT_MAN;
        if (strncmp(a, "--", 2) != 0) {
            snprintf(err, errlen, "unexpected argument '%s' (options start with --; see --help)", a);
            return OPT_USAGE;
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
            return OPT_USAGE;
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
            return OPT_USAGE;
        }
        snprintf(who, sizeof who, "--%s", d->name);
        if (set_value(d, cfg, val, who, err, errlen))
            return OPT_USAGE;
        given[d - defs] = true;
    }
    for (size_t i = 0; i < n; i++) {
        const char *env = defs[i].env && !given[i] ? getenv(defs[i].env) : NULL;
        snprintf(who, sizeof who, "%s (--%s)", defs[i].env ? defs[i].env : "", defs[i].name);
        if (env && set_value(&defs[i], cfg, env, who, err, errlen))
            return OPT_USAGE;
    }
    return OPT_RUN;
}

void opt_list_free(opt_list *l)
{
    free(l->buf);
    *l = (opt_list){0};
}

bool opt_is_default(const opt_def *defs, size_t n, const void *cfg, const char *name)
{
    const opt_def *d = find(defs, n, name, strlen(name));
    /* set_value stores the text it got: the table's own text only for the default */
    return d && d->type == OPT_STR && d->def && *(const char *const *)((const char *)cfg + d->offset) == d->def;
}

/* "--name VALUE", or "--name" for a flag */
static void option_term(char *buf, size_t len, const opt_def *d)
{
    snprintf(buf, len, "--%s%s", d->name, d->type == OPT_FLAG ? "" : " VALUE");
}

static const char *option_default(const opt_def *d)
{
    return d->def && *d->def ? d->def : d->type == OPT_FLAG ? "off" : "(none)";
}

/* ", 1 to 60000", ", at least 1", ", plain or json", or "" for any value */
static void option_range(char *buf, size_t len, const opt_def *d)
{
    *buf = '\0';
    if ((d->bounds & OPT_MIN) && (d->bounds & OPT_MAX))
        snprintf(buf, len, ", %ld to %ld", d->min, d->max);
    else if (d->bounds)
        snprintf(buf, len, ", at %s %ld", d->bounds & OPT_MIN ? "least" : "most", d->bounds & OPT_MIN ? d->min : d->max);
    else if (d->choices) {
        char words[256];
        say_choices(d->choices, words, sizeof words);
        snprintf(buf, len, ", %s", words);
    }
}

static const char synopsis_info[] = "--help | --version | --man";

static void help_items(FILE *out, const char *title, const opt_item *items)
{
    if (!items || !items[0].term)
        return;
    fprintf(out, "\n%s:\n", title);
    for (const opt_item *it = items; it->term; it++) /* a long term gets a line of its own */
        fprintf(out, "  %-26s%s%s\n", it->term, strlen(it->term) > 26 ? "\n                             " : " ", it->text);
}

static void help(FILE *out, const opt_program *p, const opt_def *defs, size_t n)
{
    int indent = (int)strlen("usage: ") + (int)strlen(p->name) + 1;
    for (size_t f = 0; p->synopsis[f]; f++) {
        fprintf(out, "%s%s ", f ? "       " : "usage: ", p->name);
        for (const char *s = p->synopsis[f]; *s; s++) {
            fputc(*s, out);
            if (*s == '\n')
                fprintf(out, "%*s", indent, "");
        }
        fputc('\n', out);
    }
    fprintf(out, "       %s %s\n\n%s\nOptions (each also read from the environment variable shown):\n", p->name,
            synopsis_info, p->description);
    for (size_t i = 0; i < n; i++) {
        char term[64], range[300];
        option_term(term, sizeof term, &defs[i]);
        option_range(range, sizeof range, &defs[i]);
        fprintf(out, "  %-26s %s\n  %-26s   env %s, default: %s%s\n", term, defs[i].help, "",
                defs[i].env ? defs[i].env : "-", option_default(&defs[i]), range);
    }
    help_items(out, "Environment (besides the options' variables)", p->environment);
    if (p->environment_note)
        fprintf(out, "%s", p->environment_note);
    help_items(out, "Files", p->files);
    help_items(out, "Exit status", p->exit_status);
    if (p->table)
        fprintf(out, "\n%s:\n%s", p->table_title, p->table);
}

/* Text for roff: a backslash is \e, a hyphen the minus \- (options are typed), and a line
 * may not start with a control character. Stops after len bytes or at the end. */
static void roff(FILE *out, const char *s, size_t len)
{
    bool bol = true;
    for (size_t i = 0; i < len && s[i]; i++) {
        if (bol && (s[i] == '.' || s[i] == '\''))
            fputs("\\&", out);
        if (s[i] == '\\')
            fputs("\\e", out);
        else if (s[i] == '-')
            fputs("\\-", out);
        else
            fputc(s[i], out);
        bol = s[i] == '\n';
    }
}

static void roff_str(FILE *out, const char *s)
{
    roff(out, s, strlen(s));
}

/* Paragraphs apart by a blank line become .PP; the lines of one are filled. */
static void man_paragraphs(FILE *out, const char *text)
{
    const char *s = text;
    while (*s) {
        const char *end = strstr(s, "\n\n");
        size_t len = end ? (size_t)(end - s) : strlen(s);
        while (len && s[len - 1] == '\n')
            len--;
        fputs(".PP\n", out);
        roff(out, s, len);
        fputc('\n', out);
        s += end ? (size_t)(end - s) + 2 : strlen(s);
    }
}

/* A .TP entry's tag; own_line: its text starts below it even when the tag is short
 * ("DELAY  see --delay" reads as one phrase), as exit statuses do not need. */
static void man_tag(FILE *out, const char *term, bool own_line)
{
    fputs(".TP\n.B ", out);
    roff_str(out, term);
    fputs(own_line ? "\n.br\n" : "\n", out);
}

static void man_items(FILE *out, const char *section, const opt_item *items, bool own_line)
{
    if (section)
        fprintf(out, ".SH %s\n", section);
    for (const opt_item *it = items; it && it->term; it++) {
        man_tag(out, it->term, own_line);
        roff_str(out, it->text);
        fputc('\n', out);
    }
}

static void man(FILE *out, const opt_program *p, const opt_def *defs, size_t n)
{
    fprintf(out, ".\\\" %s(1), written by %s --man from its option table (common/options.c): do not edit.\n",
            p->name, p->name);
    fputs(".TH ", out);
    for (const char *c = p->name; *c; c++)
        fputc(*c == '-' ? '-' : toupper((unsigned char)*c), out);
    /* ragged right, no hyphenation: URIs and option names stay whole */
    fprintf(out, " 1 \"\" \"%s %s\" \"User Commands\"\n.ad l\n.nh\n.SH NAME\n", p->name, p->version);
    roff_str(out, p->name);
    fputs(" \\- ", out);
    roff_str(out, p->summary);
    fputs("\n.SH SYNOPSIS\n", out);
    for (size_t f = 0; p->synopsis[f]; f++) {
        fprintf(out, "%s.B %s\n", f ? ".br\n" : "", p->name);
        roff_str(out, p->synopsis[f]);
        fputc('\n', out);
    }
    fprintf(out, ".br\n.B %s\n", p->name);
    roff_str(out, synopsis_info);
    fputs("\n.SH DESCRIPTION\n", out);
    man_paragraphs(out, p->description);
    fputs(".SH OPTIONS\n", out);
    for (size_t i = 0; i < n; i++) {
        char term[64];
        option_term(term, sizeof term, &defs[i]);
        man_tag(out, term, true);
        roff_str(out, defs[i].help);
        fputs("\n.br\nVariable: ", out);
        roff_str(out, defs[i].env ? defs[i].env : "none");
        fputs("; default: ", out);
        roff_str(out, option_default(&defs[i]));
        char range[300];
        option_range(range, sizeof range, &defs[i]);
        roff_str(out, range);
        fputc('\n', out);
    }
    fputs(".TP\n.B \\-\\-help\nprint this help and exit\n"
          ".TP\n.B \\-\\-version\nprint the version and exit\n"
          ".TP\n.B \\-\\-man\nprint this manual page (roff) and exit\n"
          ".SH ENVIRONMENT\nEach option is also read from its variable; a flag on the command line wins.\n",
          out);
    for (size_t i = 0; i < n; i++) {
        if (!defs[i].env)
            continue;
        char term[64];
        option_term(term, sizeof term, &defs[i]);
        man_tag(out, defs[i].env, true);
        fputs("see ", out);
        roff_str(out, term);
        fputc('\n', out);
    }
    man_items(out, NULL, p->environment, true);
    if (p->environment_note)
        man_paragraphs(out, p->environment_note);
    man_items(out, "FILES", p->files, true);
    man_items(out, "EXIT STATUS", p->exit_status, false);
    if (p->table) {
        fputs(".SH \"", out);
        for (const char *c = p->table_title; *c; c++)
            fputc(toupper((unsigned char)*c), out);
        fputs("\"\n.nf\n", out);
        roff_str(out, p->table);
        fputs(".fi\n", out);
    }
    fputs(".SH \"SEE ALSO\"\n", out);
    roff_str(out, p->see_also);
    fputc('\n', out);
}

int opt_print(FILE *out, int rc, const opt_program *p, const opt_def *defs, size_t n)
{
    if (rc == OPT_HELP)
        help(out, p, defs, n);
    else if (rc == OPT_VERSION)
        fprintf(out, "%s %s\n", p->name, p->version);
    else if (rc == OPT_MAN)
        man(out, p, defs, n);
    else
        return -1;
    return fflush(out) || ferror(out) ? -1 : 0;
}

/* Reads the secret file path into *out: -1 with a message naming var and path when it
 * cannot be read, is empty or is longer than the buffer. */
static int read_secret_file(const char *var, const char *path, char **out, char *err, size_t errlen)
{
    char buf[1025];
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot read %s: %s", var, path, strerror(errno));
        return -1;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: cannot read %s: %s", var, path, strerror(errno));
            break;
        }
        len += (size_t)n;
        if (n == 0 || len == sizeof buf)
            break;
    }
    close(fd);
    int rc = -1;
    while (len > 0 && len < sizeof buf && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    if (*err)
        ; /* the read failed */
    else if (len == sizeof buf)
        snprintf(err, errlen, "%s: %s is longer than %zu bytes: not a secret", var, path, sizeof buf - 1);
    else if (len == 0)
        snprintf(err, errlen, "%s: %s is empty", var, path);
    else if (memchr(buf, '\0', len))
        snprintf(err, errlen, "%s: %s holds a NUL byte: not a secret", var, path);
    else if (!(*out = strndup(buf, len)))
        snprintf(err, errlen, "%s: out of memory", var);
    else
        rc = 0;
    explicit_bzero(buf, sizeof buf);
    return rc;
}

int opt_secret(const char *name, char **out, char *err, size_t errlen)
{
    char fname[128], cred[160], *c;
    *out = NULL;
    *err = '\0';
    snprintf(fname, sizeof fname, "%s_FILE", name);
    const char *v = getenv(name), *path = getenv(fname), *dir = getenv("CREDENTIALS_DIRECTORY");
    if (v && path) {
        snprintf(err, errlen, "both %s and %s are set: set one", name, fname);
        return -1;
    }
    if (v) {
        if (!(*out = strdup(v))) {
            snprintf(err, errlen, "%s: out of memory", name);
            return -1;
        }
        return 0;
    }
    if (path)
        return read_secret_file(fname, path, out, err, errlen);
    if (!dir || !*dir)
        return 0;
    /* a systemd credential: the unit's LoadCredential= directory decides what is given,
     * so one that is not there is simply not set */
    int n = snprintf(cred, sizeof cred, "%s/%s", dir, OPT_CREDENTIAL_PREFIX);
    for (const char *p = name; *p && (size_t)n + 1 < sizeof cred; p++)
        cred[n++] = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
    cred[n] = '\0';
    if (access(cred, F_OK) != 0)
        return 0;
    c = strrchr(cred, '/');
    char var[192];
    snprintf(var, sizeof var, "%s (systemd credential %s)", name, c + 1);
    return read_secret_file(var, cred, out, err, errlen);
}

int opt_secret_or(const char *name, const char *fallback, char **out, char *err, size_t errlen)
{
    if (opt_secret(name, out, err, errlen))
        return -1;
    return *out ? 0 : opt_secret(fallback, out, err, errlen);
}

/* The bounds of the environment the kernel gave the process (fields 50 and 51 of
 * /proc/self/stat): what /proc/PID/environ shows. false when unknown. */
static bool initial_environment(uintptr_t *start, uintptr_t *end)
{
    char buf[2048];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (!p)
        return false;
    unsigned long long v[2] = {0, 0};
    int field = 2;
    for (char *save = NULL, *tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
        if (++field == 50 || field == 51)
            v[field - 50] = strtoull(tok, NULL, 10);
    *start = (uintptr_t)v[0];
    *end = (uintptr_t)v[1];
    return *start && *end > *start;
}

static void forget_var(const char *name)
{
    extern char **environ;
    char *found[8];
    size_t nfound = 0, len = strlen(name);
    for (char **e = environ; e && *e && nfound < 8; e++)
        if (!strncmp(*e, name, len) && (*e)[len] == '=')
            found[nfound++] = *e;
    if (!nfound)
        return;
    unsetenv(name);
    uintptr_t start, end;
    if (!initial_environment(&start, &end))
        return;
    for (size_t i = 0; i < nfound; i++) /* strings setenv made are not ours to change */
        if ((uintptr_t)found[i] >= start && (uintptr_t)found[i] < end)
            explicit_bzero(found[i], strlen(found[i]));
}

void opt_secret_forget(const char *name)
{
    char fname[128];
    snprintf(fname, sizeof fname, "%s_FILE", name);
    forget_var(name);
    forget_var(fname);
}

void opt_secret_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}
