#!/usr/bin/python3
"""Runs a program with exactly FREE file descriptors free under a limit of LIMIT, for the
descriptor shortage tests (tests/pipeline/test_local_shortages.sh).

    few_fds.py LIMIT FREE PROGRAM [ARG...]

Sets RLIMIT_NOFILE to LIMIT (soft and hard), opens /dev/null onto every descriptor below
it that is free, closes the FREE lowest of them again and execs PROGRAM with the others
held (inherited, as idle connections would hold them). What the caller's environment
passes down (a shell's or a CI runner's descriptors) does not change how many are free:
a descriptor that would close at exec is counted among the FREE.
"""
import os
import resource
import sys


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    limit, free = int(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    held = []
    while True:
        try:
            held.append(os.open("/dev/null", os.O_RDONLY))
        except OSError:
            break
    # the descriptors below the limit that close at exec (none of ours) are free in PROGRAM
    closing = [fd for fd in range(limit) if fd not in held and is_open(fd) and not os.get_inheritable(fd)]
    release = max(free - len(closing), 0)
    if len(closing) > free or release > len(held):
        sys.exit(f"few_fds.py: cannot leave exactly {free} descriptors free under {limit} "
                 f"({len(held)} were free, {len(closing)} close at exec)")
    for fd in held[:release]:
        os.close(fd)
    for fd in held[release:]:
        os.set_inheritable(fd, True)
    os.execv(sys.argv[3], sys.argv[3:])


def is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


if __name__ == "__main__":
    main()
