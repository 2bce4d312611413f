/*
 * handover.h: the listening sockets a running lbproxy hands to its successor
 * (-sf takeover), over the stats socket so no connection in an accept queue
 * is lost. The successor sends "_getsocks PID..." (the processes it replaces);
 * the answer is one message: a header (magic, count, the sender's pid) as
 * data and the descriptors as SCM_RIGHTS. Both sides check the pid, and the
 * successor takes only the sockets its own config listens on.
 */
#ifndef LB_HANDOVER_H
#define LB_HANDOVER_H

#include <sys/socket.h>
#include <sys/types.h>

/*
 * Answer "_getsocks ARGS" on the connected socket fd with the listening
 * descriptors fds[0..n) (borrowed). ARGS are the pids the successor expects;
 * when some are given and this process is none of them, the answer carries
 * no descriptor (and this process's pid). Returns 0, or -1 if it could not
 * be sent.
 */
int lb_handover_send(int fd, const char *args, const int *fds, int n);

/*
 * Successor side: connect to the stats socket at path, ask for the
 * listening sockets of the processes expect[0..nexpect) and receive them
 * (blocking, bounded by a few seconds; before the event loop). *from is the
 * sender's pid. Descriptors from a process not in expect are closed and
 * logged as refused. Returns how many descriptors were stored in fds (at
 * most max; new, the caller closes them), or -1 with errno (ENOENT or
 * ECONNREFUSED: nobody there; ETIMEDOUT; EPROTO: the peer is not an lbproxy
 * of this protocol).
 */
int lb_handover_fetch(const char *path, const pid_t *expect, int nexpect, int *fds, int max,
    pid_t *from);

/*
 * Keep those of fds[0..n) bound to one of addrs[0..naddrs) (the addresses
 * this config listens on), moved to the front of fds, and close the others.
 * Each socket is logged: taken over, or refused, with its address and from,
 * the sender's pid. Returns how many were kept.
 */
int lb_handover_keep(int *fds, int n, const struct sockaddr_storage *addrs, const socklen_t *lens,
    int naddrs, pid_t from);

#endif
