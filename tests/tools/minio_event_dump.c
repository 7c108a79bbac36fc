/* minio_event_dump: reads one MinIO webhook body on stdin and prints, per record,
 * "eventName<TAB>bucket<TAB>key<TAB>size" with the key decoded by the pipeline's own
 * parser (minio_event.c); exits 1 with the parser's reason when it refuses the body. */
#include <stdio.h>
#include <stdlib.h>

#include "minio_event.h"

int main(void)
{
    static char body[4 << 20];
    size_t len = fread(body, 1, sizeof body, stdin);
    me_event ev;
    char why[160];
    if (me_parse(body, len, &ev, why, sizeof why)) {
        fprintf(stderr, "minio_event_dump: %s\n", why);
        return 1;
    }
    for (size_t i = 0; i < ev.n; i++)
        printf("%s\t%s\t%s\t%llu\n", ev.records[i].event_name, ev.records[i].bucket, ev.records[i].key,
               (unsigned long long)ev.records[i].size);
    me_event_free(&ev);
    return 0;
}
