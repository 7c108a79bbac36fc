/*
 * random.c — plausible random games for property tests and benchmarks.
 *
 * A game has two rosters of 10 and 25 to 45 shots per team spread over the 60
 * minutes, about 30% of them goals, and ends with the `N 00:00 0 0 0` sentinel.
 * The generator is splitmix64 seeded by the caller: no globals, same seed, same game.
 */
#include "boxscore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int below(uint64_t *s, int n)
{
    return (int)(next(s) % (uint64_t)n);
}

static const char *const first[] = {"Alex", "Sam", "Jordan", "Casey", "Riley", "Quinn", "Drew", "Reese"};
static const char *const last[] = {"Miller", "O'Brien", "Nguyen", "Zoë Smith", "Kowalski", "Garcia"};

static int add_roster(bs_ref *ref, uint64_t *s, int team, int first_id, int jerseys[10])
{
    char name[64], num[16];
    bool used[100] = {false};
    for (int i = 0; i < 10; i++) {
        int j;
        do
            j = below(s, 99) + 1;
        while (used[j]);
        used[j] = true;
        jerseys[i] = j;
        snprintf(name, sizeof name, "%s %s", first[below(s, 8)], last[below(s, 6)]);
        snprintf(num, sizeof num, "%d", j);
        if (bs_ref_add_player(ref, first_id + i, name, num, below(s, 80), below(s, 30), team))
            return -1;
    }
    return 0;
}

static int cmp_desc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (y > x) - (y < x);
}

int bs_random_game(uint64_t seed, int home, int away, bs_ref *ref, char **text, size_t *len)
{
    uint64_t s = seed;
    int jerseys[2][10];
    int teams[2] = {home, away};

    if (bs_ref_add_team(ref, home, "Home Hawks", "Atlantic", below(&s, 10), below(&s, 10)) ||
        bs_ref_add_team(ref, away, "Away Owls", "Pacific", below(&s, 10), below(&s, 10)) ||
        add_roster(ref, &s, home, 1000, jerseys[0]) || add_roster(ref, &s, away, 2000, jerseys[1]))
        return -1;
    bs_ref_sort(ref);

    int nshots = 50 + below(&s, 40);
    int *clocks = malloc((size_t)nshots * sizeof *clocks);
    size_t cap = (size_t)(nshots + 1) * 32;
    char *buf = malloc(cap);
    if (!clocks || !buf) {
        free(clocks);
        free(buf);
        return -1;
    }
    for (int i = 0; i < nshots; i++)
        clocks[i] = 1 + below(&s, BS_GAME_SECONDS - 1);   /* strictly inside 60:00 .. 00:00 */
    qsort(clocks, (size_t)nshots, sizeof *clocks, cmp_desc);

    size_t n = 0;
    for (int i = 0; i < nshots; i++) {
        int side = below(&s, 2);
        bs_event ev = {i, clocks[i], teams[side], jerseys[side][below(&s, 10)], below(&s, 10) < 3};
        n += (size_t)bs_format_event(&ev, buf + n, cap - n);
    }
    bs_event end = {nshots, 0, 0, 0, 0};
    n += (size_t)bs_format_event(&end, buf + n, cap - n);
    free(clocks);
    *text = buf;
    *len = n;
    return 0;
}
