/*
 * process.c — see process.h.
 */
#include "process.h"

#include <sys/prctl.h>
#include <sys/resource.h>

int proc_protect_secrets(bool allow)
{
    if (allow)
        return 0;
    struct rlimit rl;
    int rc = 0;
    if (getrlimit(RLIMIT_CORE, &rl) == 0) {
        rl.rlim_cur = 0; /* the hard limit is kept: only the soft one decides */
        rc |= setrlimit(RLIMIT_CORE, &rl);
    } else {
        rc = -1;
    }
    rc |= prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    return rc ? -1 : 0;
}
