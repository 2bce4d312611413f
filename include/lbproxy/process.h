/* process.h: pidfile, daemonizing, network namespaces, resource limits. */
#ifndef LB_PROCESS_H
#define LB_PROCESS_H

/* Write pid to path atomically (temp file + rename). Returns 0 or -1. */
int lb_pidfile_write(const char *path, int pid);
void lb_pidfile_remove(const char *path);
/* Fork into the background; the parent exits 0. Returns 0 in the child, -1 on error. */
int lb_daemonize(void);
/* Enter /var/run/netns/<name>. Returns 0 or -1 with errno. */
int lb_netns_enter(const char *name);
/* Raise RLIMIT_NOFILE to its hard limit; returns the soft limit now in force. */
long lb_nofile_raise(void);

#endif
