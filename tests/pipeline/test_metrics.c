/* The Prometheus text exposition writer: HELP and TYPE lines, label values escaped
 * (backslash, double quote, newline) and HELP text escaped (backslash, newline),
 * numbers (integers exact, fractions shortest, +Inf, NaN), histogram buckets cumulative
 * with an inclusive le and a +Inf bucket equal to _count, _sum; and the process's whole
 * exposition: every family has HELP and TYPE, every sample belongs to the family above
 * it, counters end in _total, and the counters of a pl_metrics show up as they are. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app.h"
#include "metrics.h"
#include "serve.h"

static char *finish(pl_expo *e)
{
    size_t len = 0;
    char *text = pl_expo_finish(e, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static void label_values_are_escaped(void **state)
{
    (void)state;
    pl_expo e = {0};
    pl_expo_family(&e, "x_total", "counter", "a \"help\" with a \\ and a\nnewline");
    pl_expo_sample(&e, "x_total", (const char *const[]){"k", "a\\b\"c\nd", "z", "plain", NULL}, 3);
    char *text = finish(&e);
    assert_string_equal(text, "# HELP x_total a \"help\" with a \\\\ and a\\nnewline\n"
                              "# TYPE x_total counter\n"
                              "x_total{k=\"a\\\\b\\\"c\\nd\",z=\"plain\"} 3\n");
    free(text);
}

static void numbers(void **state)
{
    (void)state;
    pl_expo e = {0};
    double v[] = {0, 42, -7, 1e15, 0.005, 1.0 / 3, 1795728743.941004, INFINITY, NAN};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        pl_expo_sample(&e, "n", NULL, v[i]);
    char *text = finish(&e);
    assert_string_equal(text, "n 0\nn 42\nn -7\nn 1000000000000000\nn 0.005\nn 0.3333333333333333\n"
                              "n 1795728743.941004\nn +Inf\nn NaN\n");
    free(text);
}

static void histogram_buckets_are_cumulative(void **state)
{
    (void)state;
    pl_hist h = {0};
    /* le is inclusive: 0.005 falls in the 0.005 bucket */
    double obs[] = {0.0004, 0.005, 0.0051, 0.3, 0.3, 7, 100, -1};
    for (size_t i = 0; i < sizeof obs / sizeof *obs; i++)
        pl_hist_observe(&h, obs[i]);
    assert_int_equal(h.count, 8);
    pl_expo e = {0};
    pl_expo_hist(&e, "f_seconds", (const char *const[]){"sink", "boxscores", NULL}, pl_fresh_bounds, PL_FRESH_BUCKETS,
                 &h);
    char *text = finish(&e);
    /* -1 (a clock that went back) counts as 0 */
    assert_string_equal(text, "f_seconds_bucket{sink=\"boxscores\",le=\"0.001\"} 2\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"0.0025\"} 2\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"0.005\"} 3\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"0.01\"} 4\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"0.025\"} 4\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"0.05\"} 4\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"0.1\"} 4\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"0.25\"} 4\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"0.5\"} 6\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"1\"} 6\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"2.5\"} 6\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"5\"} 6\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"10\"} 7\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"30\"} 7\n"
                              "f_seconds_bucket{sink=\"boxscores\",le=\"+Inf\"} 8\n"
                              "f_seconds_sum{sink=\"boxscores\"} 107.6105\n"
                              "f_seconds_count{sink=\"boxscores\"} 8\n");
    free(text);

    /* no labels: le is the only one */
    pl_hist empty = {0};
    pl_expo_hist(&e, "g", NULL, pl_fresh_bounds, 2, &empty);
    text = finish(&e);
    assert_string_equal(text, "g_bucket{le=\"0.001\"} 0\ng_bucket{le=\"0.0025\"} 0\ng_bucket{le=\"+Inf\"} 0\n"
                              "g_sum 0\ng_count 0\n");
    free(text);
}

/* The value of the sample whose line starts with series followed by a space. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, series, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    fail_msg("no sample %s", series);
    return -1;
}

static void the_process_exposition(void **state)
{
    (void)state;
    pl_config cfg = {0};
    cfg.source = "s3://gamestreams/games/";
    app *a = calloc(1, sizeof *a);
    assert_non_null(a);
    a->cfg = &cfg;
    a->metrics.source_scheme = pl_scheme_of(cfg.source);
    a->nbs = 1;
    snprintf(a->bs[0].name, sizeof a->bs[0].name, "boxscores");
    a->metrics.events_applied = 77;
    a->metrics.lines_rejected = 2;
    a->metrics.src[PL_SCHEME_S3].polls = 12;
    a->metrics.src[PL_SCHEME_S3].bytes = 1346;
    a->metrics.sink[PL_SINK_BOXSCORES].done = 80;
    a->metrics.sink[PL_SINK_RESULTS].retried = 3;
    pl_metrics_notify(a, PL_NOTIFY_USED);
    pl_metrics_notify(a, PL_NOTIFY_USED);
    pl_metrics_notify(a, PL_NOTIFY_MALFORMED);
    pl_metrics_notify(a, 99); /* not an outcome: not counted */
    pl_hist_observe(&a->metrics.freshness[0], 0.02);
    pl_hist_observe(&a->metrics.sink_write[0], 0.003);
    pl_hist_observe(&a->metrics.worker_wait[PL_POOL_WRITES], 0.004);
    a->pending_bytes = 4096;
    pl_metrics_http_response(a, 200);
    pl_metrics_http_response(a, 304);
    pl_metrics_http_response(a, 401);
    pl_metrics_http_response(a, 404);
    pl_metrics_http_response(a, 42); /* not a status: "other" */
    pl_metrics_http_limit(a, PL_HTTP_LIMIT_INCOMPLETE);
    pl_metrics_http_limit(a, PL_HTTP_LIMITS); /* not a limit: not counted */
    a->metrics.sse_clients = 200;
    size_t len = 0;
    char *text = pl_metrics_render(a, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);

    assert_int_equal(sample(text, "sidearm_events_applied_total"), 77);
    assert_int_equal(sample(text, "sidearm_lines_rejected_total"), 2);
    assert_int_equal(sample(text, "sidearm_source_polls_total{scheme=\"s3\"}"), 12);
    assert_int_equal(sample(text, "sidearm_source_read_bytes_total{scheme=\"s3\"}"), 1346);
    assert_null(strstr(text, "scheme=\"file\"")); /* only the schemes in use */
    assert_int_equal(sample(text, "sidearm_sink_writes_done_total{sink=\"boxscores\"}"), 80);
    assert_int_equal(sample(text, "sidearm_sink_writes_retried_total{sink=\"results\"}"), 3);
    assert_int_equal(sample(text, "sidearm_notifications_received_total"), 3);
    assert_int_equal(sample(text, "sidearm_notifications_used_total"), 2);
    assert_int_equal(sample(text, "sidearm_notifications_refused_total{reason=\"malformed\"}"), 1);
    assert_int_equal(sample(text, "sidearm_sink_queued_bytes{sink=\"boxscores\"}"), 4096);
    assert_int_equal(sample(text, "sidearm_games{state=\"in_progress\"}"), 0);
    assert_int_equal(sample(text, "sidearm_freshness_seconds_count"), 1);
    assert_int_equal(sample(text, "sidearm_freshness_seconds_bucket{le=\"0.025\"}"), 1);
    assert_int_equal(sample(text, "sidearm_freshness_seconds_bucket{le=\"0.01\"}"), 0);
    assert_int_equal(sample(text, "sidearm_sink_write_seconds_count{sink=\"boxscores\"}"), 1);
    assert_int_equal(sample(text, "sidearm_sink_write_seconds_bucket{sink=\"boxscores\",le=\"0.005\"}"), 1);
    assert_int_equal(sample(text, "sidearm_sink_write_seconds_bucket{sink=\"boxscores\",le=\"0.0025\"}"), 0);
    assert_int_equal(sample(text, "sidearm_worker_wait_seconds_count{pool=\"reads\"}"), 0);
    assert_int_equal(sample(text, "sidearm_worker_wait_seconds_count{pool=\"writes\"}"), 1);
    assert_int_equal(sample(text, "sidearm_worker_wait_seconds_bucket{pool=\"writes\",le=\"0.005\"}"), 1);
    assert_int_equal(sample(text, "sidearm_worker_wait_seconds_bucket{pool=\"writes\",le=\"0.0025\"}"), 0);
    assert_int_equal(sample(text, "sidearm_http_responses_total{code=\"2xx\"}"), 1);
    assert_int_equal(sample(text, "sidearm_http_responses_total{code=\"3xx\"}"), 1);
    assert_int_equal(sample(text, "sidearm_http_responses_total{code=\"4xx\"}"), 2);
    assert_int_equal(sample(text, "sidearm_http_responses_total{code=\"other\"}"), 1);
    assert_int_equal(sample(text, "sidearm_http_limit_hits_total{limit=\"incomplete_request\"}"), 1);
    assert_int_equal(sample(text, "sidearm_http_limit_hits_total{limit=\"slow_client\"}"), 0);
    assert_int_equal(sample(text, "sidearm_sse_clients"), 200);
    assert_int_equal(sample(text, "sidearm_http_connections"), 0);
    assert_int_equal(sample(text, "sidearm_build_info{version=\"" PL_VERSION "\"}"), 1);
    assert_true(sample(text, "process_open_fds") >= 3);
    assert_true(sample(text, "process_max_fds") > sample(text, "process_open_fds"));
    assert_true(sample(text, "process_resident_memory_bytes") > 0);

    /* every sample under its family's HELP and TYPE; counters end in _total */
    char family[128] = "", type[16] = "";
    bool helped = false;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        assert_non_null(end);
        *end = '\0';
        if (!strncmp(line, "# HELP ", 7)) {
            assert_int_equal(sscanf(line + 7, "%127s", family), 1);
            helped = true;
        } else if (!strncmp(line, "# TYPE ", 7)) {
            char name[128];
            assert_int_equal(sscanf(line + 7, "%127s %15s", name, type), 2);
            assert_true(helped);
            assert_string_equal(name, family);
            /* ours, or the standard process_* families every client library exports */
            assert_true(!strncmp(name, "sidearm_", 8) || !strncmp(name, "process_", 8));
            if (!strcmp(type, "counter"))
                assert_string_equal(name + strlen(name) - 6, "_total");
            helped = false;
        } else {
            size_t n = strlen(family);
            assert_int_equal(strncmp(line, family, n), 0);
            const char *rest = line + n;
            static const char *const parts[] = {"_bucket", "_sum", "_count"};
            for (size_t k = 0; k < 3 && !strcmp(type, "histogram"); k++)
                if (!strncmp(rest, parts[k], strlen(parts[k])))
                    rest += strlen(parts[k]);
            assert_true(*rest == ' ' || *rest == '{');
        }
        line = end + 1;
    }
    free(text);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(label_values_are_escaped),
        cmocka_unit_test(numbers),
        cmocka_unit_test(histogram_buckets_are_cumulative),
        cmocka_unit_test(the_process_exposition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
