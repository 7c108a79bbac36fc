/*
 * process.c — see process.h.
 */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

int proc_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        /* the lowest free descriptor: fd itself, since the ones below it are open */
        int got = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (got < 0)
            return -1;
        if (got != fd) { /* cannot happen, but never leave fd closed */
            if (dup2(got, fd) < 0) {
                close(got);
                return -1;
            }
            close(got);
        }
    }
    return 0;
}

/* fs.nr_open: the most RLIMIT_NOFILE can be (an "unlimited" hard limit cannot be the soft one). */
static rlim_t nr_open(void)
{
    unsigned long long v = 0;
    FILE *f = fopen("/proc/sys/fs/nr_open", "re");
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v ? (rlim_t)v : 1048576;
}

int proc_raise_nofile(unsigned long long *was, unsigned long long *now)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return -1;
    *was = *now = rl.rlim_cur;
    rlim_t want = rl.rlim_max;
    if (want == RLIM_INFINITY || want > nr_open())
        want = nr_open();
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= want)
        return 0;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl))
        return -1;
    *now = want;
    return 0;
}

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
