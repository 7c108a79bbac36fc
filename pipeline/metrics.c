/* metrics.c — PLACEHOLDER until the metrics work lands (issue 9): see serve.h. */
#include <stdlib.h>
#include <string.h>

#include "serve.h"

char *pl_metrics_render(const app *a, size_t *len)
{
    (void)a;
    static const char text[] = "# HELP sidearm_up 1 while the process runs\n# TYPE sidearm_up gauge\nsidearm_up 1\n";
    char *out = malloc(sizeof text);
    if (out) {
        memcpy(out, text, sizeof text);
        *len = sizeof text - 1;
    }
    return out;
}
