/* bench_results — what one final costs the results sink as the league and the day grow.
 *
 * Writes a reference of TEAMS teams of 10 players each as teams/players, then finals
 * of random pairs of those teams through write_game, as the pipeline does (the
 * reference passed along, as its snapshot). At each checkpoint C the finals up to
 * C - SAMPLE are written in untimed batches of up to 500 (one transaction each, as a
 * burst of finals is), then SAMPLE finals are timed one by one: the time per final
 * with about C finals already written. Every 10th timed final re-writes an earlier
 * game (a restarted game replacing its own rows).
 *   bench_results URI TEAMS SAMPLE CHECKPOINT...
 *   e.g. bench_results sqlite:///tmp/r.db 20000 10 10 1000 10000
 * mssql:// reads the password from MSSQL_PASSWORD. Prints one line per checkpoint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boxscore.h"
#include "connector.h"

#define PLAYERS_PER_TEAM 10
#define BATCH 500

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252u;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Game number k (its id "B<k>") between two random teams of the league. */
static void final_of(long k, int teams, bs_result *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->game, sizeof r->game, "B%ld", k);
    int a = 1 + (int)rnd((unsigned)teams), b = 1 + (int)rnd((unsigned)teams - 1);
    b += b >= a;
    int sa = (int)rnd(20), sb = (int)rnd(20);
    r->teams[0] = (bs_team_result){a, b, sa, sb, sa > sb ? 'W' : sa < sb ? 'L' : 'T'};
    r->teams[1] = (bs_team_result){b, a, sb, sa, sb > sa ? 'W' : sb < sa ? 'L' : 'T'};
    r->players = calloc(2 * PLAYERS_PER_TEAM, sizeof *r->players);
    int lo = a < b ? a : b, hi = a < b ? b : a; /* by player id, as bs_result_of sorts them */
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < PLAYERS_PER_TEAM; i++) {
            int team = t ? hi : lo;
            bs_player_result *p = &r->players[r->nplayers++];
            p->player_id = (team - 1) * PLAYERS_PER_TEAM + i + 1;
            p->teamid = team;
            snprintf(p->number, sizeof p->number, "%d", i + 1);
            p->shots = (int)rnd(6);
            p->goals = (int)rnd((unsigned)p->shots + 1);
        }
}

static void write_or_die(cn_results *w, const bs_ref *ref, bs_result *r, size_t n)
{
    cn_error err;
    if (w->ops->write_game(w->impl, ref, r, n, NULL, NULL, &err)) {
        fprintf(stderr, "bench_results: write_game: %s: %s\n", cn_status_name(err.status), err.msg);
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        bs_result_free(&r[i]);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bench_results URI TEAMS SAMPLE CHECKPOINT...\n");
        return 2;
    }
    const char *uri = argv[1];
    int teams = atoi(argv[2]), sample = atoi(argv[3]);
    cn_error err;
    cn_settings cfg = {.mssql_password = getenv("MSSQL_PASSWORD"), .timeout_ms = 600000};
    cn_results w;
    bs_ref ref = {0};
    if (teams < 2 || sample < 1 || cn_global_init(&err) || cn_results_open(&w, uri, &cfg, &err)) {
        fprintf(stderr, "bench_results: bad arguments or %s\n", err.msg);
        return 2;
    }
    for (int t = 1; t <= teams; t++) {
        char name[32];
        snprintf(name, sizeof name, "Team %d", t);
        bs_ref_add_team(&ref, t, name, t % 2 ? "East" : "West", (int)rnd(10), (int)rnd(10));
        for (int i = 0; i < PLAYERS_PER_TEAM; i++) {
            char pname[48], num[4];
            snprintf(pname, sizeof pname, "Player %d of %d", i + 1, t);
            snprintf(num, sizeof num, "%d", i + 1);
            bs_ref_add_player(&ref, (t - 1) * PLAYERS_PER_TEAM + i + 1, pname, num, (int)rnd(50), (int)rnd(10), t);
        }
    }
    bs_ref_sort(&ref);
    ref.digest = bs_ref_digest(&ref); /* as the pipeline does once per snapshot */
    double t0 = now_s();
    if (w.ops->write(w.impl, &ref, "teams", "players", &err)) {
        fprintf(stderr, "bench_results: write of the reference: %s\n", err.msg);
        return 1;
    }
    printf("%s: reference of %d teams, %d players written in %.1f s\n", uri, teams, teams * PLAYERS_PER_TEAM,
           now_s() - t0);
    long written = 0;
    static bs_result batch[BATCH];
    for (int c = 4; c < argc; c++) {
        long upto = atol(argv[c]) - sample;
        double tb = now_s();
        long nb = 0;
        while (written < upto) {
            size_t n = 0;
            while (n < BATCH && written < upto)
                final_of(++written, teams, &batch[n++]);
            write_or_die(&w, &ref, batch, n);
            nb += (long)n;
        }
        double tbatch = now_s() - tb, sum = 0, max = 0;
        for (int s = 0; s < sample; s++) {
            bs_result r;
            long k = s % 10 == 9 && written > 1 ? 1 + (long)rnd((unsigned)written) : ++written;
            final_of(k, teams, &r);
            double ts = now_s();
            write_or_die(&w, &ref, &r, 1);
            double d = now_s() - ts;
            sum += d;
            max = d > max ? d : max;
        }
        printf("finals %6ld: %d timed one by one: mean %8.1f ms, max %8.1f ms per final", written, sample,
               sum * 1000 / sample, max * 1000);
        if (nb)
            printf("  (%ld before them in batches: %.2f ms per final)", nb, tbatch * 1000 / (double)nb);
        printf("\n");
        fflush(stdout);
    }
    cn_results_close(&w);
    bs_ref_free(&ref);
    cn_global_cleanup();
    return 0;
}
