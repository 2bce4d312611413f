/*
 * stats.h: the HAProxy-compatible stats socket (Unix stream, one command per
 * connection, reply written whole then closed), the listener handover for
 * -sf takeover, and the optional Prometheus endpoint. All on the main thread.
 */
#ifndef LB_STATS_H
#define LB_STATS_H

#include <stddef.h>

struct event_base;
struct evbuffer;
struct lb_member;
struct lb_snapshot;
struct lb_stats;
struct lb_metrics;

/* A server's status word as the stats socket shows it (an admin-down pool means MAINT). */
const char *lb_stats_member_status(const struct lb_snapshot *snap, const struct lb_member *m);
/* Does a server with that status take new balanced traffic (UP or no check)? */
int lb_stats_member_serving(const char *status);

/*
 * Bind the stats socket at path (an existing socket file is replaced) with
 * the given mode. Returns a new lb_stats or NULL with errno set.
 */
struct lb_stats *lb_stats_new(struct event_base *base, const char *path, int mode);
void lb_stats_free(struct lb_stats *st);

/*
 * Run one CLI command line (without newline) and append the reply to out,
 * exactly as the socket would send it. Used by the socket and by tests.
 */
void lb_stats_command(const char *line, struct evbuffer *out);

/*
 * Takeover client: connect to the old process's stats socket at path, ask
 * for its listening sockets and receive them (SCM_RIGHTS). Returns how many
 * descriptors were stored in fds (at most max), or -1 with errno.
 */
int lb_stats_fetch_listeners(const char *path, int *fds, int max);

/* Prometheus text endpoint on "host:port". Returns new or NULL with errno. */
struct lb_metrics *lb_metrics_new(struct event_base *base, const char *listen);
void lb_metrics_free(struct lb_metrics *mx);
/* Record one HTTP request's total time for the latency histogram (any thread). */
void lb_metrics_observe_ms(unsigned ms);

#endif
