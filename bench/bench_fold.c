/* bench_fold — how fast the pure domain turns stream bytes into box scores.
 *
 * Makes N random games (bs_random_game) and times, best of several runs:
 *   fold:         reader + parser + fold, no output;
 *   fold+render:  the same plus one rendered, serialised document per event, which
 *                 is what the pipeline does for every event it applies.
 *   bench_fold [N_GAMES] [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boxscore.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t rendered_bytes;

static void render_each(void *ctx, const bs_game *g, const bs_event *ev, const bs_apply_info *info)
{
    (void)ctx;
    (void)ev;
    if (info->outcome != BS_APPLIED)
        return;
    json_t *doc = bs_render(g, "2026-11-25T20:00:00.000Z");
    char *s = json_dumps(doc, JSON_COMPACT);
    rendered_bytes += strlen(s);
    free(s);
    json_decref(doc);
}

static double run(const bs_ref *ref, const char *text, size_t len, bool render)
{
    bs_game *g = bs_game_new(ref, 101, 205, "bench");
    bs_feed f;
    bs_feed_hooks hooks = {render ? render_each : NULL, NULL, NULL};
    bs_feed_init(&f, g, &hooks);
    double t0 = now_s();
    for (size_t off = 0; off < len; off += 4096) /* arrive in 4 KiB chunks, like polls */
        bs_feed_push(&f, text + off, len - off < 4096 ? len - off : 4096);
    double t = now_s() - t0;
    bs_game_free(g);
    return t;
}

int main(int argc, char **argv)
{
    int ngames = argc > 1 ? atoi(argv[1]) : 2000;
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    /* many realistic games (about 90 events each): a document's size grows with its
     * game, so one endless synthetic game would measure the wrong thing */
    bs_ref *refs = calloc((size_t)ngames, sizeof *refs);
    char **texts = calloc((size_t)ngames, sizeof *texts);
    size_t *lens = calloc((size_t)ngames, sizeof *lens), total = 0;
    long events = 0;
    for (int i = 0; i < ngames; i++) {
        if (bs_random_game((uint64_t)i + 1, 101, 205, &refs[i], &texts[i], &lens[i]))
            return 1;
        total += lens[i];
        for (size_t k = 0; k < lens[i]; k++)
            events += texts[i][k] == '\n';
    }
    double best_fold = 1e9, best_render = 1e9;
    for (int r = 0; r < runs; r++) {
        double a = 0, b = 0;
        rendered_bytes = 0;
        for (int i = 0; i < ngames; i++) {
            a += run(&refs[i], texts[i], lens[i], false);
            b += run(&refs[i], texts[i], lens[i], true);
        }
        best_fold = a < best_fold ? a : best_fold;
        best_render = b < best_render ? b : best_render;
    }
    printf("%d games, %ld events, %zu bytes of stream; best of %d runs\n", ngames, events, total, runs);
    printf("fold:        %8.4f s  %11.0f events/s  %8.1f ns/event\n", best_fold, (double)events / best_fold,
           best_fold * 1e9 / (double)events);
    printf("fold+render: %8.4f s  %11.0f events/s  %8.1f us/event  (%.0f bytes per document)\n", best_render,
           (double)events / best_render, best_render * 1e6 / (double)events, (double)rendered_bytes / (double)events);
    for (int i = 0; i < ngames; i++) {
        bs_ref_free(&refs[i]);
        free(texts[i]);
    }
    free(refs);
    free(texts);
    free(lens);
    return 0;
}
