/* The option table: defaults, then the environment, then argv; flags and their
 * negation; usage errors that say what to fix; secrets from VAR, VAR_FILE or a systemd
 * credential, and a VAR_FILE that cannot be used is an error, never a missing secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "options.h"

typedef struct cfg {
    const char *name;
    int n;
    double d;
    bool flag;
    int poll, lanes;
    const char *format;
} cfg;

static const opt_def defs[] = {
    {"name", "T_NAME", OPT_STR, "dflt", "a name", .offset = offsetof(cfg, name)},
    {"n", "T_N", OPT_INT, "7", "a number", .offset = offsetof(cfg, n)},
    {"d", "T_D", OPT_DOUBLE, "0.25", "a delay", .offset = offsetof(cfg, d)},
    {"flag", "T_FLAG", OPT_FLAG, NULL, "a flag", .offset = offsetof(cfg, flag)},
    {"poll-ms", "T_POLL_MS", OPT_INT, "250", "a poll interval", .offset = offsetof(cfg, poll), OPT_AT_LEAST(1)},
    {"lanes", "T_LANES", OPT_INT, "4", "lanes", .offset = offsetof(cfg, lanes), OPT_RANGE(1, 16)},
    {"format", "T_FORMAT", OPT_STR, "plain", "a format", .offset = offsetof(cfg, format), OPT_ONE_OF("plain|json|csv")},
};
#define NDEFS (sizeof defs / sizeof *defs)

static int parse(cfg *c, int argc, char **argv, char *err)
{
    memset(c, 0, sizeof *c);
    return opt_parse(defs, NDEFS, c, argc, argv, err, 256);
}

static void defaults_then_environment_then_argv(void **state)
{
    (void)state;
    cfg c;
    char err[256];
    char *none[] = {"p"};
    unsetenv("T_N");
    assert_int_equal(parse(&c, 1, none, err), 0);
    assert_string_equal(c.name, "dflt");
    assert_int_equal(c.n, 7);
    assert_true(c.d == 0.25);
    assert_false(c.flag);
    setenv("T_N", "9", 1);
    setenv("T_FLAG", "yes", 1);
    assert_int_equal(parse(&c, 1, none, err), 0);
    assert_int_equal(c.n, 9);
    assert_true(c.flag);
    char *args[] = {"p", "--n", "11", "--name=x", "--no-flag", "--d", "0.001"};
    assert_int_equal(parse(&c, 7, args, err), 0);
    assert_int_equal(c.n, 11);
    assert_string_equal(c.name, "x");
    assert_false(c.flag);
    assert_true(c.d == 0.001);
    unsetenv("T_N");
    unsetenv("T_FLAG");
}

/* A program can tell a default from a value given, even one equal to the default. */
static void a_default_is_told_from_a_value_given(void **state)
{
    (void)state;
    cfg c;
    char err[256];
    char val[] = "dflt"; /* not the literal: the compiler may merge it with the table's */
    char *none[] = {"p"}, *given[] = {"p", "--name", val};
    unsetenv("T_NAME");
    assert_int_equal(parse(&c, 1, none, err), 0);
    assert_true(opt_is_default(defs, NDEFS, &c, "name"));
    assert_false(opt_is_default(defs, NDEFS, &c, "n")); /* not a string option */
    assert_false(opt_is_default(defs, NDEFS, &c, "nosuch"));
    assert_int_equal(parse(&c, 3, given, err), 0);
    assert_false(opt_is_default(defs, NDEFS, &c, "name"));
    setenv("T_NAME", "dflt", 1);
    assert_int_equal(parse(&c, 1, none, err), 0);
    assert_false(opt_is_default(defs, NDEFS, &c, "name"));
    unsetenv("T_NAME");
}

/* A range error names the option and the value it got, once; a value from a variable
 * names the variable too. */
static void range_errors_name_the_option_and_the_value(void **state)
{
    (void)state;
    cfg c;
    char err[256];
    char *zero[] = {"p", "--poll-ms", "0"}, *neg[] = {"p", "--poll-ms=-5"}, *abc[] = {"p", "--poll-ms", "abc"};
    char *many[] = {"p", "--lanes", "17"}, *xml[] = {"p", "--format", "xml"}, *ok[] = {"p", "--lanes", "16"};
    assert_int_equal(parse(&c, 3, zero, err), 2);
    assert_string_equal(err, "--poll-ms must be at least 1 (got 0)");
    assert_int_equal(parse(&c, 2, neg, err), 2);
    assert_string_equal(err, "--poll-ms must be at least 1 (got -5)");
    assert_int_equal(parse(&c, 3, abc, err), 2);
    assert_string_equal(err, "--poll-ms: 'abc' is not a whole number");
    assert_int_equal(parse(&c, 3, many, err), 2);
    assert_string_equal(err, "--lanes must be 1 to 16 (got 17)");
    assert_int_equal(parse(&c, 3, xml, err), 2);
    assert_string_equal(err, "--format must be plain, json or csv (got 'xml')");
    assert_int_equal(parse(&c, 3, ok, err), 0);
    assert_int_equal(c.lanes, 16);
    char *none[] = {"p"};
    setenv("T_POLL_MS", "0", 1);
    assert_int_equal(parse(&c, 1, none, err), 2);
    assert_string_equal(err, "T_POLL_MS (--poll-ms) must be at least 1 (got 0)");
    unsetenv("T_POLL_MS");
}

/* A flag wins over its variable, and the variable is then not even checked. */
static void a_flag_wins_over_its_variable_unchecked(void **state)
{
    (void)state;
    cfg c;
    char err[256];
    char *args[] = {"p", "--poll-ms", "100", "--format=json"};
    setenv("T_POLL_MS", "abc", 1);
    setenv("T_FORMAT", "bogus", 1);
    assert_int_equal(parse(&c, 4, args, err), 0);
    assert_int_equal(c.poll, 100);
    assert_string_equal(c.format, "json");
    char *none[] = {"p"};
    assert_int_equal(parse(&c, 1, none, err), 2);
    assert_string_equal(err, "T_POLL_MS (--poll-ms): 'abc' is not a whole number");
    unsetenv("T_POLL_MS");
    unsetenv("T_FORMAT");
}

static void usage_errors_say_what_to_fix(void **state)
{
    (void)state;
    cfg c;
    char err[256];
    char *a1[] = {"p", "--bogus"}, *a2[] = {"p", "--n", "x1"}, *a3[] = {"p", "--n"}, *a4[] = {"p", "stray"};
    assert_int_equal(parse(&c, 2, a1, err), 2);
    assert_non_null(strstr(err, "unknown option '--bogus'"));
    assert_int_equal(parse(&c, 3, a2, err), 2);
    assert_non_null(strstr(err, "'x1' is not a whole number"));
    assert_int_equal(parse(&c, 2, a3, err), 2);
    assert_non_null(strstr(err, "--n needs a value"));
    assert_int_equal(parse(&c, 2, a4, err), 2);
    assert_non_null(strstr(err, "unexpected argument 'stray'"));
    setenv("T_D", "-1", 1);
    char *none[] = {"p"};
    assert_int_equal(parse(&c, 1, none, err), 2);
    assert_non_null(strstr(err, "T_D"));
    unsetenv("T_D");
    char *help[] = {"p", "--help"};
    assert_int_equal(parse(&c, 2, help, err), 1);
}

/* --help, --version and the man page are made from one table and one description: the
 * page has every section, each option as its own entry, every variable, and roff-safe text. */
static char *printed(int rc, const opt_program *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(opt_print(f, rc, p, defs, 4), 0);
    fclose(f);
    return buf;
}

static void help_version_and_man_page_come_from_the_table(void **state)
{
    (void)state;
    cfg c;
    char err[256];
    char *v[] = {"p", "--version"}, *m[] = {"p", "--man"};
    assert_int_equal(parse(&c, 2, v, err), OPT_VERSION);
    assert_int_equal(parse(&c, 2, m, err), OPT_MAN);
    static const char *const synopsis[] = {"--name X\n[--flag]", NULL};
    static const opt_item env[] = {{"T_SECRET", "a secret"}, {NULL, NULL}};
    static const opt_item files[] = {{"/etc/p.conf", "settings"}, {NULL, NULL}};
    static const opt_item status[] = {{"0", "done"}, {"2", "usage error"}, {NULL, NULL}};
    const opt_program p = {.name = "p", .version = "1.2.3", .summary = "test a table", .synopsis = synopsis,
                           .description = "First paragraph,\n.dot-led line.\n\nSecond \\ paragraph.\n",
                           .environment = env, .files = files, .exit_status = status, .see_also = "q(1)",
                           .table_title = "Backends", .table = "  x  the last line\n"};
    char *out = printed(OPT_VERSION, &p);
    assert_string_equal(out, "p 1.2.3\n");
    free(out);

    out = printed(OPT_HELP, &p);
    assert_non_null(strstr(out, "usage: p --name X\n         [--flag]\n       p --help | --version | --man\n"));
    assert_non_null(strstr(out, "  --n VALUE                  a number\n"));
    assert_non_null(strstr(out, "env T_FLAG, default: off\n"));
    assert_non_null(strstr(out, "  T_SECRET                   a secret\n"));
    assert_non_null(strstr(out, "Exit status:\n  0                          done\n"));
    size_t len = strlen(out), tail = strlen("  x  the last line\n");
    assert_true(len > tail);
    assert_string_equal(out + len - tail, "  x  the last line\n"); /* the table ends the help */
    free(out);

    out = printed(OPT_MAN, &p);
    const char *sections[] = {".TH P 1 ", ".SH NAME\np \\- test a table\n", ".SH SYNOPSIS\n.B p\n\\-\\-name X\n",
                              ".SH DESCRIPTION\n.PP\nFirst paragraph,\n\\&.dot\\-led line.\n.PP\nSecond \\e paragraph.\n",
                              ".SH OPTIONS\n", ".TP\n.B \\-\\-name VALUE\n.br\na name\n.br\nVariable: T_NAME; default: dflt\n",
                              ".TP\n.B \\-\\-flag\n.br\n", ".SH ENVIRONMENT\n", ".TP\n.B T_N\n.br\nsee \\-\\-n VALUE\n",
                              ".TP\n.B T_SECRET\n.br\na secret\n", ".SH FILES\n.TP\n.B /etc/p.conf\n.br\nsettings\n",
                              ".SH EXIT STATUS\n.TP\n.B 0\ndone\n", ".SH \"BACKENDS\"\n.nf\n", ".SH \"SEE ALSO\"\nq(1)\n"};
    const char *at = out;
    for (size_t i = 0; i < sizeof sections / sizeof *sections; i++) { /* in this order */
        const char *f = strstr(at, sections[i]);
        if (!f)
            fail_msg("the page lacks, after what came before, %s\n--- page:\n%s", sections[i], out);
        at = f;
    }
    free(out);
    assert_int_equal(opt_print(stdout, OPT_RUN, &p, defs, 4), -1);
}

/* A file holding text (a NULL text: a path that does not exist). Returns the path. */
static char *secret_file(char *path, const char *text)
{
    strcpy(path, "/tmp/opt-secret-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    if (text)
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    if (!text)
        unlink(path);
    return path;
}

static void secrets_come_from_the_variable_or_its_file(void **state)
{
    (void)state;
    char path[32], err[256], *s = NULL;
    unsetenv("T_SECRET");
    unsetenv("CREDENTIALS_DIRECTORY");
    setenv("T_SECRET_FILE", secret_file(path, "s3cr3t\n"), 1);
    assert_int_equal(opt_secret("T_SECRET", &s, err, sizeof err), 0);
    assert_string_equal(s, "s3cr3t");
    opt_secret_free(s);
    unlink(path);
    unsetenv("T_SECRET_FILE");
    setenv("T_SECRET", "direct", 1);
    assert_int_equal(opt_secret("T_SECRET", &s, err, sizeof err), 0);
    assert_string_equal(s, "direct");
    opt_secret_free(s);
    unsetenv("T_SECRET");
    assert_int_equal(opt_secret("T_SECRET", &s, err, sizeof err), 0);
    assert_null(s);
    /* the fallback only when the first is not set at all */
    setenv("T_FALLBACK", "fb", 1);
    assert_int_equal(opt_secret_or("T_SECRET", "T_FALLBACK", &s, err, sizeof err), 0);
    assert_string_equal(s, "fb");
    opt_secret_free(s);
    unsetenv("T_FALLBACK");
}

/* A typo in a *_FILE must not start the program without its secret (issue 17, 5). */
static void a_secret_file_that_cannot_be_used_is_an_error(void **state)
{
    (void)state;
    char path[32], err[256], *s = (char *)"untouched";
    unsetenv("T_SECRET");
    unsetenv("CREDENTIALS_DIRECTORY");
    const char *bad[] = {NULL, "", "\n", "\r\n\n"};
    const char *why[] = {"No such file", "is empty", "is empty", "is empty"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        setenv("T_SECRET_FILE", secret_file(path, bad[i]), 1);
        assert_int_equal(opt_secret("T_SECRET", &s, err, sizeof err), -1);
        assert_null(s);
        assert_non_null(strstr(err, "T_SECRET_FILE"));
        assert_non_null(strstr(err, path));
        if (!strstr(err, why[i]))
            fail_msg("'%s' does not say '%s'", err, why[i]);
        unlink(path);
    }
    setenv("T_SECRET_FILE", "/tmp", 1); /* a directory */
    assert_int_equal(opt_secret("T_SECRET", &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "T_SECRET_FILE: cannot read /tmp"));
    /* no fallback past a broken file */
    setenv("T_FALLBACK", "fb", 1);
    assert_int_equal(opt_secret_or("T_SECRET", "T_FALLBACK", &s, err, sizeof err), -1);
    assert_null(s);
    unsetenv("T_FALLBACK");
    /* too long for a secret: refused, not cut */
    char big[2000];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    setenv("T_SECRET_FILE", secret_file(path, big), 1);
    assert_int_equal(opt_secret("T_SECRET", &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than"));
    assert_null(strstr(err, "kkkk"));
    unlink(path);
    /* both set: which one was meant? */
    setenv("T_SECRET_FILE", secret_file(path, "from-file\n"), 1);
    setenv("T_SECRET", "from-var", 1);
    assert_int_equal(opt_secret("T_SECRET", &s, err, sizeof err), -1);
    assert_null(s);
    assert_non_null(strstr(err, "both T_SECRET and T_SECRET_FILE are set"));
    assert_null(strstr(err, "from-"));
    unlink(path);
    unsetenv("T_SECRET");
    unsetenv("T_SECRET_FILE");
}

/* systemd's LoadCredential=sidearm:DIR: sidearm_<name> in $CREDENTIALS_DIRECTORY, used when
 * neither NAME nor NAME_FILE is set; one that is not there is not set. */
static void secrets_come_from_systemd_credentials(void **state)
{
    (void)state;
    char dir[] = "/tmp/opt-cred-XXXXXX", path[64], err[256], *s = NULL;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/" OPT_CREDENTIAL_PREFIX "t-secret", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("cr3d\n", f);
    fclose(f);
    unsetenv("T_SECRET");
    unsetenv("T_SECRET_FILE");
    setenv("CREDENTIALS_DIRECTORY", dir, 1);
    assert_int_equal(opt_secret("T_SECRET", &s, err, sizeof err), 0);
    assert_string_equal(s, "cr3d");
    opt_secret_free(s);
    assert_int_equal(opt_secret("T_OTHER", &s, err, sizeof err), 0);
    assert_null(s);
    setenv("T_SECRET", "direct", 1); /* the variable wins */
    assert_int_equal(opt_secret("T_SECRET", &s, err, sizeof err), 0);
    assert_string_equal(s, "direct");
    opt_secret_free(s);
    unsetenv("T_SECRET");
    f = fopen(path, "w"); /* an empty credential is an error too */
    assert_non_null(f);
    fclose(f);
    assert_int_equal(opt_secret("T_SECRET", &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "is empty"));
    assert_non_null(strstr(err, OPT_CREDENTIAL_PREFIX "t-secret"));
    unlink(path);
    rmdir(dir);
    unsetenv("CREDENTIALS_DIRECTORY");
}

static void a_forgotten_secret_leaves_the_environment(void **state)
{
    (void)state;
    setenv("T_SECRET", "x", 1);
    setenv("T_SECRET_FILE", "/x", 1);
    setenv("T_SECRETS", "kept", 1);
    opt_secret_forget("T_SECRET");
    assert_null(getenv("T_SECRET"));
    assert_null(getenv("T_SECRET_FILE"));
    assert_string_equal(getenv("T_SECRETS"), "kept");
    unsetenv("T_SECRETS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_then_environment_then_argv),
        cmocka_unit_test(a_default_is_told_from_a_value_given),
        cmocka_unit_test(usage_errors_say_what_to_fix),
        cmocka_unit_test(range_errors_name_the_option_and_the_value),
        cmocka_unit_test(a_flag_wins_over_its_variable_unchecked),
        cmocka_unit_test(help_version_and_man_page_come_from_the_table),
        cmocka_unit_test(secrets_come_from_the_variable_or_its_file),
        cmocka_unit_test(a_secret_file_that_cannot_be_used_is_an_error),
        cmocka_unit_test(secrets_come_from_systemd_credentials),
        cmocka_unit_test(a_forgotten_secret_leaves_the_environment),
    };
    return cmocka_run_group_tests_name("common/options", tests, NULL, NULL);
}
