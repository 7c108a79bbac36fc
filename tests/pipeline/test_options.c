/* The option table: defaults, then the environment, then argv; flags and their
 * negation; usage errors that say what to fix; secrets from VAR or VAR_FILE. */
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
} cfg;

static const opt_def defs[] = {
    {"name", "T_NAME", OPT_STR, "dflt", "a name", offsetof(cfg, name)},
    {"n", "T_N", OPT_INT, "7", "a number", offsetof(cfg, n)},
    {"d", "T_D", OPT_DOUBLE, "0.25", "a delay", offsetof(cfg, d)},
    {"flag", "T_FLAG", OPT_FLAG, NULL, "a flag", offsetof(cfg, flag)},
};

static int parse(cfg *c, int argc, char **argv, char *err)
{
    memset(c, 0, sizeof *c);
    return opt_parse(defs, 4, c, argc, argv, err, 256);
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

static void secrets_come_from_the_variable_or_its_file(void **state)
{
    (void)state;
    char path[] = "/tmp/opt-secret-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "s3cr3t\n", 7), 7);
    close(fd);
    unsetenv("T_SECRET");
    setenv("T_SECRET_FILE", path, 1);
    char *s = opt_secret("T_SECRET");
    assert_string_equal(s, "s3cr3t");
    free(s);
    setenv("T_SECRET", "direct", 1);
    s = opt_secret("T_SECRET");
    assert_string_equal(s, "direct");
    free(s);
    unsetenv("T_SECRET");
    unsetenv("T_SECRET_FILE");
    assert_null(opt_secret("T_SECRET"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_then_environment_then_argv),
        cmocka_unit_test(usage_errors_say_what_to_fix),
        cmocka_unit_test(secrets_come_from_the_variable_or_its_file),
    };
    return cmocka_run_group_tests_name("pipeline/options", tests, NULL, NULL);
}
