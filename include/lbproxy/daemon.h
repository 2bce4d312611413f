/* daemon.h: pidfile, daemonizing, network namespaces, resource limits. */
#ifndef LB_DAEMON_H
#define LB_DAEMON_H

/* Write pid to path atomically (temp file + rename). Returns 0 or -1. */
int lb_pidfile_write(const char *path, int pid);
void lb_pidfile_remove(const char *path);
/*
 * Fork into the background. The parent waits until the child calls
 * lb_daemon_ready (pidfile written, serving) and exits 0, or exits 2 if the
 * child dies first. Returns 0 in the child, -1 on error.
 */
int lb_daemonize(void);
/* Tell the waiting parent of lb_daemonize that startup is complete (no-op otherwise). */
void lb_daemon_ready(void);
/* Enter /var/run/netns/<name>. Returns 0 or -1 with errno. */
int lb_netns_enter(const char *name);
/* Raise RLIMIT_NOFILE to its hard limit; returns the soft limit now in force. */
long lb_nofile_raise(void);

#endif
