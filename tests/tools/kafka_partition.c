/* kafka_partition: reads "KEY PARTITION ..." lines on stdin (the key has no spaces, as
 * kcat -f '%k %p ...' prints it) and prints each line prefixed by "ok " when PARTITION is
 * kk_partition(KEY, N) (MinIO's mapping, common/kafka_key.c) or "BAD want P " when not.
 *   kafka_partition N
 * Exits 1 when any line is BAD or malformed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_key.h"

int main(int argc, char **argv)
{
    int n = argc == 2 ? atoi(argv[1]) : 0;
    if (n < 1) {
        fprintf(stderr, "usage: kafka_partition PARTITIONS < 'KEY PARTITION ...' lines\n");
        return 2;
    }
    char line[8192];
    int bad = 0;
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        char *sp = strchr(line, ' ');
        if (!sp) {
            printf("BAD no partition: %s\n", line);
            bad = 1;
            continue;
        }
        int want = kk_partition(line, (size_t)(sp - line), n);
        char *end;
        long got = strtol(sp + 1, &end, 10);
        if (got == want && (!*end || *end == ' ')) {
            printf("ok %s\n", line);
        } else {
            printf("BAD want %d: %s\n", want, line);
            bad = 1;
        }
    }
    return bad;
}
