/*
 * process.h — what each program does to its own process before anything else: standard
 * descriptors that are surely open, a descriptor limit raised as servers raise it, and
 * no core file or same-user reader of its memory while it holds secrets.
 *
 * Shared by pipeline and gamestream-sim; called from main() only (libraries never touch
 * the process). None of these logs: logging is not set up yet when they run.
 */
#ifndef PL_PROCESS_H
#define PL_PROCESS_H

#include <stdbool.h>
#include <stddef.h>

/* The option row that turns proc_protect_secrets off, declared once for both programs:
 * m is a bool member of type. */
#define OPT_CORE_DUMPS_ROW(type, m)                                                                                     \
    {"core-dumps", "CORE_DUMPS", OPT_FLAG, NULL,                                                                       \
     "allow core dumps and debuggers of the same user (a core file holds the secrets): for debugging only",            \
     .offset = offsetof(type, m)}

/* Opens /dev/null onto each of descriptors 0, 1 and 2 that is closed, so no later
 * descriptor (libuv's epoll, a socket, a sink's file) becomes "stdout" or "stderr" and
 * gets log lines or an assertion when closed. Call first in main(). 0, or -1 when
 * /dev/null cannot be opened. */
int proc_std_fds(void);
/* Raises RLIMIT_NOFILE's soft limit to its hard limit (capped at what the kernel allows,
 * fs.nr_open). *was and *now are the soft limit before and after. 0, or -1 (limit kept). */
int proc_raise_nofile(unsigned long long *was, unsigned long long *now);
/* Unless allow: no core dumps (RLIMIT_CORE soft limit 0) and not dumpable
 * (PR_SET_DUMPABLE 0: no core, no ptrace or /proc/PID/mem, environ, fd by other
 * processes of the same user; root still can). 0, or -1 when a call failed. */
int proc_protect_secrets(bool allow);

#endif
