/* One connector's lane on a real libuv loop, with a fake connector: a kick function
 * that counts calls, records the loop's time and, when scripted, makes the "call" and
 * reports its status back to the lane. Delays are checked exactly where the lane sets
 * them (the timer's due time and the logged delay) and only from below on the clock
 * (a timer never fires early), so nothing here depends on the machine's speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lane.h"
#include "log.h"

/* ------------------------------------------------------------ recorded logs */

/* log_game is wrapped in this binary (-Wl,--wrap=log_game): lines are kept here. */
typedef struct logged {
    log_level level;
    char game[64];
    char msg[1024];
} logged;

static logged logs[64];
static int nlogs;

void __wrap_log_game(log_level level, const char *game, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void __wrap_log_game(log_level level, const char *game, const char *fmt, ...)
{
    assert_true(nlogs < (int)(sizeof logs / sizeof *logs));
    logged *g = &logs[nlogs++];
    g->level = level;
    snprintf(g->game, sizeof g->game, "%s", game ? game : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->msg, sizeof g->msg, fmt, ap);
    va_end(ap);
}

/* How many lines at this level contain this text. */
static int count_logs(log_level level, const char *text)
{
    int n = 0;
    for (int i = 0; i < nlogs; i++)
        if (logs[i].level == level && strstr(logs[i].msg, text))
            n++;
    return n;
}

/* ------------------------------------------------------------ the fake connector */

enum { MAX_KICKS = 64 };

typedef struct fx {
    uv_loop_t loop;
    lane_policy pol;
    lane l;
    int kicks;
    uint64_t kicked_at[MAX_KICKS];
    uint64_t due_after[MAX_KICKS];  /* the retry each kick's call set, in ms; UINT64_MAX: none */
    bool free_when_kicked;      /* every kick found the lane free */
    /* when set, each kick makes a call that ends with the next status */
    const cn_status *script;
    int nscript, calls;
} fx;

static bool retry_pending(const lane *l)
{
    return uv_is_active((const uv_handle_t *)&l->retry);
}

/* One call to the fake connector: the next scripted status, reported to the lane as
 * the pipeline does (a false from lane_failed means give up). */
static void call(fx *f)
{
    assert_true(lane_free(&f->l));
    cn_status st = f->calls < f->nscript ? f->script[f->calls] : CN_OK;
    f->calls++;
    if (st == CN_OK) {
        lane_ok(&f->l);
        return;
    }
    cn_error err = {.status = st};
    snprintf(err.msg, sizeof err.msg, "call %d: %s", f->calls, cn_status_name(st));
    if (!lane_failed(&f->l, &err))
        f->l.gave_up = true;
}

static void kick(void *owner)
{
    fx *f = owner;
    assert_true(f->kicks < MAX_KICKS);
    f->kicked_at[f->kicks++] = uv_now(&f->loop);
    if (!lane_free(&f->l))
        f->free_when_kicked = false;
    if (f->script)
        call(f);
    /* the loop's time has not moved since the kick: due_in is the delay the lane set */
    f->due_after[f->kicks - 1] = retry_pending(&f->l) ? uv_timer_get_due_in(&f->l.retry) : UINT64_MAX;
}

static const char URI[] = "mongodb://scorer:hunter2@db.example:27017/lax";

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->pol = (lane_policy){.backoff_base_ms = 2, .backoff_max_ms = 16, .once = false, .once_attempts = 3, .rng = 7};
    f->free_when_kicked = true;
    /* lane_init must not rely on zeroed memory */
    memset(&f->l, 0xa5, sizeof f->l);
    lane_init(&f->l, &f->loop, &f->pol, "box-score sink", URI, "g-0042", kick, f);
    nlogs = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    lane_close(&f->l, NULL);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&f->loop), 0);   /* nothing left open */
    assert_true(f->free_when_kicked);
    /* no line ever shows the password */
    for (int i = 0; i < nlogs; i++)
        assert_null(strstr(logs[i].msg, "hunter2"));
    free(f);
    return 0;
}

static cn_error failure(cn_status st)
{
    cn_error err = {.status = st};
    snprintf(err.msg, sizeof err.msg, "server said %s", cn_status_name(st));
    return err;
}

/* The nominal backoff after n consecutive failures: base doubling, capped. */
static uint64_t nominal(const lane_policy *p, int n)
{
    uint64_t d = (uint64_t)p->backoff_base_ms;
    for (int i = 1; i < n; i++)
        d *= 2;
    return d < (uint64_t)p->backoff_max_ms ? d : (uint64_t)p->backoff_max_ms;
}

/* ------------------------------------------------------------ tests */

static void init_redacts_the_uri_and_starts_free(void **state)
{
    fx *f = *state;
    assert_null(strstr(f->l.uri, "hunter2"));
    assert_non_null(strstr(f->l.uri, "db.example:27017/lax"));
    assert_false(f->l.busy);
    assert_false(f->l.gave_up);
    assert_int_equal(f->l.failures, 0);
    assert_false(f->l.said_waiting);
    assert_false(retry_pending(&f->l));
    assert_true(lane_free(&f->l));
}

static void lane_free_follows_busy_gave_up_and_the_timer(void **state)
{
    fx *f = *state;
    lane *l = &f->l;
    assert_true(lane_free(l));
    l->busy = true;
    assert_false(lane_free(l));
    l->busy = false;
    assert_true(lane_free(l));

    cn_error err = failure(CN_TRANSIENT);
    assert_true(lane_failed(l, &err));
    assert_false(lane_free(l));         /* a retry is pending */
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(f->kicks, 1);
    assert_true(lane_free(l));          /* it fired, and found the lane free */

    lane_kick_after(l, 1000);
    assert_false(lane_free(l));
    lane_stop(l);
    assert_true(lane_free(l));

    l->gave_up = true;
    assert_false(lane_free(l));
    l->gave_up = false;
    assert_true(lane_free(l));
}

/* The delay after each failure: exact where the lane sets it (the timer's due time, the
 * logged delay), within [d/2, d] of the nominal d, growing, and capped. */
static void transient_failures_back_off_with_jitter_up_to_the_cap(void **state)
{
    fx *f = *state;
    f->pol = (lane_policy){.backoff_base_ms = 3, .backoff_max_ms = 20, .rng = 12345};
    lane *l = &f->l;
    cn_error err = failure(CN_TRANSIENT);
    uint64_t lowest_at_cap = UINT64_MAX, highest_at_cap = 0;
    uint64_t first_max = 0;
    for (int n = 1; n <= 40; n++) {
        nlogs = 0;
        uv_update_time(&f->loop);
        assert_true(lane_failed(l, &err));
        assert_int_equal(l->failures, n);
        assert_true(retry_pending(l));
        uint64_t delay = uv_timer_get_due_in(&l->retry);
        uint64_t d = nominal(&f->pol, n);
        assert_true(delay >= d / 2);
        assert_true(delay <= d);
        assert_true(delay <= (uint64_t)f->pol.backoff_max_ms);
        if (n == 1)
            first_max = d;
        if (d == (uint64_t)f->pol.backoff_max_ms) {
            lowest_at_cap = delay < lowest_at_cap ? delay : lowest_at_cap;
            highest_at_cap = delay > highest_at_cap ? delay : highest_at_cap;
        }
        /* the warning names the lane, the redacted URI, the try and the same delay */
        assert_int_equal(nlogs, 1);
        assert_int_equal(logs[0].level, LOG_WARN);
        assert_string_equal(logs[0].game, "g-0042");
        char want[128];
        snprintf(want, sizeof want, "; retry %d in %llu ms", n, (unsigned long long)delay);
        assert_non_null(strstr(logs[0].msg, want));
        assert_non_null(strstr(logs[0].msg, "box-score sink"));
        assert_non_null(strstr(logs[0].msg, "server said transient"));
        assert_non_null(strstr(logs[0].msg, f->l.uri));
    }
    /* grown: at the cap the least delay is above anything the first failure could wait */
    assert_true(lowest_at_cap > first_max);
    /* jittered: not the same delay every time at the cap */
    assert_true(highest_at_cap > lowest_at_cap);
    lane_stop(l);
}

/* Driven on the loop: a connector that fails transiently, then works. Each retry comes
 * no earlier than the delay set by the failure before it, and the kicks come in order. */
static void retries_fire_on_the_loop_until_the_call_works(void **state)
{
    fx *f = *state;
    f->pol = (lane_policy){.backoff_base_ms = 1, .backoff_max_ms = 4, .rng = 99};
    static const cn_status script[] = {CN_TRANSIENT, CN_TRANSIENT, CN_TRANSIENT, CN_TRANSIENT, CN_TRANSIENT};
    f->script = script;
    f->nscript = 5;
    uv_update_time(&f->loop);
    uint64_t t0 = uv_now(&f->loop);
    call(f);
    uint64_t first = uv_timer_get_due_in(&f->l.retry);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(f->kicks, 5);      /* the sixth call (the fifth kick) works */
    assert_int_equal(f->calls, 6);
    assert_true(f->kicked_at[0] >= t0 + first);
    for (int i = 0; i < 5; i++) {
        if (i > 0)
            assert_true(f->kicked_at[i] >= f->kicked_at[i - 1] + f->due_after[i - 1]);
        uint64_t d = nominal(&f->pol, i + 2);
        if (i < 4)
            assert_true(f->due_after[i] >= d / 2 && f->due_after[i] <= d);
    }
    assert_int_equal(f->due_after[4], UINT64_MAX); /* it worked: nothing scheduled */
    assert_int_equal(f->l.failures, 0);
    assert_false(f->l.gave_up);
    assert_int_equal(count_logs(LOG_WARN, "; retry "), 5);
    assert_int_equal(count_logs(LOG_INFO, "recovered after 5 failed tries"), 1);
}

static void not_found_says_it_is_waiting_once(void **state)
{
    fx *f = *state;
    lane *l = &f->l;
    cn_error err = failure(CN_NOT_FOUND);
    for (int n = 1; n <= 6; n++) {
        assert_true(lane_failed(l, &err));
        assert_true(retry_pending(l));
        assert_true(l->said_waiting);
        assert_true(uv_timer_get_due_in(&l->retry) <= (uint64_t)f->pol.backoff_max_ms);
    }
    assert_int_equal(nlogs, 1);
    assert_int_equal(logs[0].level, LOG_INFO);
    assert_string_equal(logs[0].game, "g-0042");
    assert_non_null(strstr(logs[0].msg, "polling until it appears"));
    assert_non_null(strstr(logs[0].msg, "server said not found"));

    /* it appeared: no "recovered" line for a wait, and the next wait is told again */
    lane_ok(l);
    assert_int_equal(l->failures, 0);
    assert_false(l->said_waiting);
    assert_int_equal(nlogs, 1);
    assert_true(lane_failed(l, &err));
    assert_true(lane_failed(l, &err));
    assert_int_equal(count_logs(LOG_INFO, "polling until it appears"), 2);
    assert_int_equal(nlogs, 2);

    /* a transient failure while waiting is still a warning each time */
    cn_error t = failure(CN_TRANSIENT);
    assert_true(lane_failed(l, &t));
    assert_int_equal(count_logs(LOG_WARN, "retry 3 in "), 1);
    lane_stop(l);
}

static void statuses_retrying_cannot_fix_give_up_at_once(void **state)
{
    fx *f = *state;
    lane *l = &f->l;
    static const cn_status fatal[] = {CN_AUTH, CN_CONFIG, CN_FATAL, CN_INPUT};
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++) {
        nlogs = 0;
        cn_error err = failure(fatal[i]);
        assert_false(lane_failed(l, &err));
        assert_false(retry_pending(l));
        assert_int_equal(l->failures, 0);
        assert_int_equal(nlogs, 1);
        assert_int_equal(logs[0].level, LOG_ERROR);
        assert_string_equal(logs[0].game, "g-0042");
        assert_non_null(strstr(logs[0].msg, err.msg));
        assert_non_null(strstr(logs[0].msg, f->l.uri));
    }
    /* driven: the first call fails for good, nothing is retried */
    static const cn_status script[] = {CN_AUTH};
    f->script = script;
    f->nscript = 1;
    call(f);
    assert_true(l->gave_up);
    assert_false(lane_free(l));
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(f->kicks, 0);
    assert_int_equal(f->calls, 1);
}

static void once_gives_up_after_once_attempts(void **state)
{
    fx *f = *state;
    f->pol = (lane_policy){.backoff_base_ms = 1, .backoff_max_ms = 4, .once = true, .once_attempts = 3, .rng = 5};
    static const cn_status script[] = {CN_TRANSIENT, CN_NOT_FOUND, CN_TRANSIENT, CN_TRANSIENT, CN_TRANSIENT};
    f->script = script;
    f->nscript = 5;
    call(f);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(f->calls, 3);      /* the first call and two retries */
    assert_int_equal(f->kicks, 2);
    assert_true(f->l.gave_up);
    assert_false(retry_pending(&f->l));
    assert_int_equal(count_logs(LOG_ERROR, "gave up after 3 tries with --once"), 1);
    assert_int_equal(count_logs(LOG_ERROR, "call 3: transient"), 1);

    /* once_attempts 1: the first failure is the last */
    teardown(state);
    setup(state);
    f = *state;
    f->pol = (lane_policy){.backoff_base_ms = 1, .backoff_max_ms = 4, .once = true, .once_attempts = 1, .rng = 5};
    cn_error err = failure(CN_NOT_FOUND);
    assert_false(lane_failed(&f->l, &err));
    assert_false(retry_pending(&f->l));
    assert_int_equal(count_logs(LOG_ERROR, "gave up after 1 tries with --once"), 1);

    /* without once, the same script keeps retrying */
    assert_int_equal(f->pol.once_attempts, 1);
    f->pol.once = false;
    f->l.failures = 0;
    assert_true(lane_failed(&f->l, &err));
    assert_true(lane_failed(&f->l, &err));
    lane_stop(&f->l);
}

/* Out of descriptors while other lanes' calls succeed (the process's own calls hold the
 * few there are, for milliseconds): each retry comes after the base delay, not after a
 * backoff grown towards the cap. While nothing succeeds it backs off as an outage; out of
 * disk space grows as an outage too (other calls do not free it). */
static void a_passing_descriptor_shortage_does_not_grow_the_backoff(void **state)
{
    fx *f = *state;
    f->pol = (lane_policy){.backoff_base_ms = 4, .backoff_max_ms = 4000, .rng = 21};
    lane *l = &f->l;
    cn_error fds = failure(CN_TRANSIENT);
    fds.shortage = CN_SHORT_DESCRIPTORS;
    for (int n = 1; n <= 12; n++) {
        f->pol.oks++; /* another lane's call got through since */
        assert_true(lane_failed(l, &fds));
        assert_int_equal(l->failures, n); /* still counted, and said, as tries */
        assert_true(l->out_of_descriptors);
        assert_true(uv_timer_get_due_in(&l->retry) <= (uint64_t)f->pol.backoff_base_ms);
    }
    assert_int_equal(count_logs(LOG_WARN, "retry 12 in "), 1);
    /* nothing else succeeds: it grows */
    for (int n = 2; n <= 8; n++)
        assert_true(lane_failed(l, &fds));
    assert_true(uv_timer_get_due_in(&l->retry) >= nominal(&f->pol, 8) / 2);
    lane_stop(l);
    lane_ok(l);
    assert_false(l->out_of_descriptors);

    cn_error space = failure(CN_TRANSIENT);
    space.shortage = CN_SHORT_SPACE;
    for (int n = 1; n <= 8; n++) {
        f->pol.oks++;
        assert_true(lane_failed(l, &space));
        assert_false(l->out_of_descriptors);
    }
    assert_true(uv_timer_get_due_in(&l->retry) >= nominal(&f->pol, 8) / 2);
    lane_stop(l);
    /* a server's failure after a shortage is not one */
    lane_ok(l);
    assert_true(lane_failed(l, &fds));
    assert_true(l->out_of_descriptors);
    cn_error server = failure(CN_TRANSIENT);
    assert_true(lane_failed(l, &server));
    assert_false(l->out_of_descriptors);
    lane_stop(l);
}

static void lane_ok_resets_the_failures_and_the_backoff(void **state)
{
    fx *f = *state;
    f->pol = (lane_policy){.backoff_base_ms = 2, .backoff_max_ms = 20, .rng = 3};
    lane *l = &f->l;
    lane_ok(l);                         /* nothing failed: nothing to say */
    assert_int_equal(nlogs, 0);
    cn_error err = failure(CN_TRANSIENT);
    for (int n = 0; n < 4; n++)
        assert_true(lane_failed(l, &err));
    assert_true(uv_timer_get_due_in(&l->retry) >= nominal(&f->pol, 4) / 2);
    lane_stop(l);
    nlogs = 0;
    lane_ok(l);
    assert_int_equal(l->failures, 0);
    assert_int_equal(count_logs(LOG_INFO, "recovered after 4 failed tries"), 1);
    assert_non_null(strstr(logs[0].msg, l->uri));
    /* the next failure starts from the base again */
    assert_true(lane_failed(l, &err));
    assert_int_equal(l->failures, 1);
    assert_true(uv_timer_get_due_in(&l->retry) <= (uint64_t)f->pol.backoff_base_ms);
    assert_non_null(strstr(logs[nlogs - 1].msg, "retry 1 in "));
    lane_stop(l);
}

static void kick_after_schedules_and_replaces(void **state)
{
    fx *f = *state;
    lane *l = &f->l;
    lane_kick_after(l, 5);
    assert_false(lane_free(l));
    assert_int_equal(uv_timer_get_due_in(&l->retry), 5);
    uv_update_time(&f->loop);
    uint64_t t0 = uv_now(&f->loop);
    lane_kick_after(l, 2);              /* replaces it: one kick, not two */
    assert_int_equal(uv_timer_get_due_in(&l->retry), 2);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(f->kicks, 1);
    assert_true(f->kicked_at[0] >= t0 + 2);

    /* a pending retry is replaced too */
    cn_error err = failure(CN_TRANSIENT);
    assert_true(lane_failed(l, &err));
    lane_kick_after(l, 0);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(f->kicks, 2);
    assert_int_equal(l->failures, 1);   /* a kick is not a success */
    assert_int_equal(nlogs, 1);
}

static void stop_cancels_a_pending_retry(void **state)
{
    fx *f = *state;
    lane *l = &f->l;
    cn_error err = failure(CN_TRANSIENT);
    assert_true(lane_failed(l, &err));
    assert_false(lane_free(l));
    lane_stop(l);
    assert_true(lane_free(l));
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(f->kicks, 0);
    assert_int_equal(l->failures, 1);   /* stopping forgets nothing */
    lane_stop(l);                       /* twice is harmless */
    lane_kick_after(l, 1);
    lane_stop(l);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(f->kicks, 0);
}

/* Closing with a retry pending: the kick never comes and the loop closes clean. */
static void close_with_a_retry_pending(void **state)
{
    fx *f = *state;
    cn_error err = failure(CN_TRANSIENT);
    assert_true(lane_failed(&f->l, &err));
    lane_close(&f->l, NULL);
    assert_true(uv_is_closing((uv_handle_t *)&f->l.retry));
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(f->kicks, 0);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    free(f);
    *state = NULL;
}

static lane *closed_lane;

static void note_closed(lane *l)
{
    closed_lane = l;
}

/* lane_close calls back with the lane once its timer is closed, as uv_close does, so its
 * owner (l->owner) can free the memory the lane lives in. */
static void close_calls_back_with_the_lane(void **state)
{
    fx *f = *state;
    closed_lane = NULL;
    lane_close(&f->l, note_closed);
    assert_null(closed_lane); /* not before the loop has run */
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_ptr_equal(closed_lane, &f->l);
    assert_ptr_equal(closed_lane->owner, f);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    free(f);
    *state = NULL;
}

/* A lane that serves no one game logs without a game. */
static void a_shared_lane_logs_without_a_game(void **state)
{
    fx *f = *state;
    lane_close(&f->l, NULL);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    lane_init(&f->l, &f->loop, &f->pol, "reference reader", "file:///srv/ref.json", NULL, kick, f);
    cn_error err = failure(CN_TRANSIENT);
    assert_true(lane_failed(&f->l, &err));
    assert_int_equal(nlogs, 1);
    assert_string_equal(logs[0].game, "");
    assert_non_null(strstr(logs[0].msg, "reference reader file:///srv/ref.json: server said transient"));
    lane_stop(&f->l);
}

static int teardown_unless_closed(void **state)
{
    return *state ? teardown(state) : 0;
}

#define LANE_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown_unless_closed)

int main(void)
{
    const struct CMUnitTest tests[] = {
        LANE_TEST(init_redacts_the_uri_and_starts_free),
        LANE_TEST(lane_free_follows_busy_gave_up_and_the_timer),
        LANE_TEST(transient_failures_back_off_with_jitter_up_to_the_cap),
        LANE_TEST(retries_fire_on_the_loop_until_the_call_works),
        LANE_TEST(not_found_says_it_is_waiting_once),
        LANE_TEST(statuses_retrying_cannot_fix_give_up_at_once),
        LANE_TEST(once_gives_up_after_once_attempts),
        LANE_TEST(a_passing_descriptor_shortage_does_not_grow_the_backoff),
        LANE_TEST(lane_ok_resets_the_failures_and_the_backoff),
        LANE_TEST(kick_after_schedules_and_replaces),
        LANE_TEST(stop_cancels_a_pending_retry),
        LANE_TEST(close_with_a_retry_pending),
        LANE_TEST(close_calls_back_with_the_lane),
        LANE_TEST(a_shared_lane_logs_without_a_game),
    };
    return cmocka_run_group_tests_name("pipeline/lane", tests, NULL, NULL);
}
