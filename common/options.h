/*
 * options.h — declarative command-line options, shared by pipeline and gamestream-sim.
 *
 * Each option is declared once — name, environment variable, type, default, help and
 * its range (least and greatest value, or the words it may be) — and that one table
 * drives parsing, defaults, the range checks and the generated --help. A flag wins over
 * its variable: a variable is read (and checked) only for an option argv does not give.
 * Secrets are never options: they come from the environment or from a file named by
 * VAR_FILE (see opt_secret).
 */
#ifndef PL_OPTIONS_H
#define PL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* OPT_LIST: an opt_list; each --name adds one value, and its variable gives one or more
 * values apart by spaces (read only when argv gives none). */
typedef enum opt_type { OPT_STR, OPT_INT, OPT_DOUBLE, OPT_FLAG, OPT_LIST } opt_type;

#define OPT_LIST_MAX 8
typedef struct opt_list {
    const char *v[OPT_LIST_MAX];
    int n;
    char *buf;          /* the variable's words, when they came from it (opt_list_free) */
} opt_list;

/* Frees what opt_parse copied into the list (the values from its variable). */
void opt_list_free(opt_list *l);

enum { OPT_MIN = 1, OPT_MAX = 2 };

typedef struct opt_def {
    const char *name;   /* long option without the dashes */
    const char *env;    /* environment variable, or NULL */
    opt_type type;
    const char *def;    /* default as text, or NULL for none */
    const char *help;
    size_t offset;      /* where the value lives in the caller's config struct */
    int bounds;         /* OPT_INT: OPT_MIN and/or OPT_MAX, which of min and max hold */
    long min, max;
    const char *choices; /* OPT_STR: the words it may be, "plain|json", or NULL for any text */
} opt_def;

/* Ranges, after the offset in a table row: {"poll-ms", ..., OFF(poll_ms), OPT_AT_LEAST(1)}. */
#define OPT_AT_LEAST(lo) .bounds = OPT_MIN, .min = (lo)
#define OPT_RANGE(lo, hi) .bounds = OPT_MIN | OPT_MAX, .min = (lo), .max = (hi)
#define OPT_ONE_OF(words) .choices = (words)

/* opt_parse's results: run, or print what was asked for (opt_print) and exit 0, or a
 * usage error. */
#define OPT_RUN 0
#define OPT_HELP 1    /* --help or -h */
#define OPT_USAGE 2   /* a usage error, its message in err */
#define OPT_VERSION 3 /* --version */
#define OPT_MAN 4     /* --man: the manual page in roff, which the build installs */

/* Fills cfg from defaults, argv and, for the options argv does not give, the
 * environment. Returns OPT_RUN, OPT_HELP, OPT_VERSION or OPT_MAN when one was asked for
 * (opt_print prints it), or OPT_USAGE with a message in err for a usage error, naming
 * the option (and the variable, for a value from it) and the value: "--poll-ms must be
 * at least 1 (got 0)". String values point into argv, the environment or the table:
 * they live as long as the process. */
int opt_parse(const opt_def *defs, size_t ndefs, void *cfg, int argc, char **argv, char *err, size_t errlen);
/* After opt_parse: true when the string option name kept its default (neither its
 * variable nor argv gave it), so a program can choose another default in a mode (an
 * explicit value equal to the default is still "given"). */
bool opt_is_default(const opt_def *defs, size_t ndefs, const void *cfg, const char *name);

/* One entry of a list in --help and the man page: a term and what it means. */
typedef struct opt_item {
    const char *term, *text;
} opt_item;

/* What a program says about itself besides its options. --help, --version and the man
 * page are all made from this and the option table, so none can say what another does not. */
typedef struct opt_program {
    const char *name, *version;
    const char *summary;              /* the NAME line: what it does, in a few words */
    const char *const *synopsis;      /* each form of the command line without the name ('\n'
                                       * continues a form); NULL ends */
    const char *description;          /* lines of at most 88 columns, paragraphs apart by a blank line */
    const opt_item *environment;      /* variables that are not options (secrets); {NULL} ends */
    const char *environment_note;     /* a paragraph after them, or NULL */
    const opt_item *files;            /* {NULL} ends */
    const opt_item *exit_status;      /* {NULL} ends */
    const char *see_also;             /* "gamestream-sim(1), systemd.exec(5)" */
    const char *table_title, *table;  /* a preformatted table printed last (the backends), or NULL */
} opt_program;

/* Prints what opt_parse's result rc asked for: --help (usage, description, one entry per
 * option with its variable and default, environment, files, exit status, then the table),
 * --version ("NAME VERSION") or the man page (roff: NAME, SYNOPSIS, DESCRIPTION, OPTIONS,
 * ENVIRONMENT with every option's variable, FILES, EXIT STATUS, the table, SEE ALSO).
 * Returns 0, or -1 when rc asks for none of them or out could not be written. */
int opt_print(FILE *out, int rc, const opt_program *p, const opt_def *defs, size_t ndefs);
/* Reads the secret NAME: from the variable NAME, or from the file named by NAME_FILE
 * (trailing newlines dropped), or, when neither is set and systemd handed the process
 * credentials ($CREDENTIALS_DIRECTORY), from the credential OPT_CREDENTIAL_PREFIX plus
 * the name in lower case with '-' for '_' (sidearm_mssql-password) when it is there.
 * Returns 0 with *out a malloc'd string (free with opt_secret_free), or NULL when none
 * is set; -1 with a message in err when both NAME and NAME_FILE are set, or the file
 * cannot be read, is empty or too long: a typo must not silently start without the
 * secret. The message names the variable and the file, never the content. */
#define OPT_CREDENTIAL_PREFIX "sidearm_"
int opt_secret(const char *name, char **out, char *err, size_t errlen);
/* opt_secret(name), else, when that is not set, opt_secret(fallback). */
int opt_secret_or(const char *name, const char *fallback, char **out, char *err, size_t errlen);
/* Removes NAME and NAME_FILE from the environment and wipes their text where the
 * process's initial environment held it (/proc/PID/environ shows that memory), so no
 * child process or reader of /proc gets the secret. Call once every secret is read. */
void opt_secret_forget(const char *name);
/* Zeroes a secret's bytes and frees it; NULL is fine. */
void opt_secret_free(char *s);

#endif
