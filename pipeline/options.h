/*
 * options.h — declarative command-line options, shared by pipeline and gamestream-sim.
 *
 * Each option is declared once — name, environment variable, type, default, help —
 * and that one table drives parsing (environment first, then argv), defaults and
 * the generated --help. Secrets are never options: they come from the environment
 * or from a file named by VAR_FILE (see opt_secret).
 */
#ifndef PL_OPTIONS_H
#define PL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum opt_type { OPT_STR, OPT_INT, OPT_DOUBLE, OPT_FLAG } opt_type;

typedef struct opt_def {
    const char *name;   /* long option without the dashes */
    const char *env;    /* environment variable, or NULL */
    opt_type type;
    const char *def;    /* default as text, or NULL for none */
    const char *help;
    size_t offset;      /* where the value lives in the caller's config struct */
} opt_def;

/* Fills cfg from defaults, the environment and argv. Returns 0, 1 when --help was
 * printed, or 2 with a message in err for a usage error. String values point into
 * argv, the environment or the table: they live as long as the process. */
int opt_parse(const opt_def *defs, size_t ndefs, void *cfg, int argc, char **argv, char *err, size_t errlen);
/* Prints usage and one line per option with its variable and default. */
void opt_help(FILE *out, const char *usage, const opt_def *defs, size_t ndefs);
/* Reads a secret from env NAME, or from the file named by NAME_FILE (trailing newline
 * dropped). Returns a malloc'd string, or NULL when neither is set. */
char *opt_secret(const char *name);
/* opt_secret(name), else opt_secret(fallback). */
char *opt_secret_or(const char *name, const char *fallback);

#endif
