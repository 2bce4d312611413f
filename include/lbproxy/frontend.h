/*
 * frontend.h: the long-lived objects counters belong to, as HAProxy's
 * proxies: one frontend per listener id and one backend per pool id. Like
 * members, they live for as long as a snapshot or a session refers to them,
 * so a reload that keeps a listener or a pool (matched by id) keeps its
 * counters; the main thread's registry (proc.c) finds them by id. Workers
 * only touch the atomics.
 */
#ifndef LB_FRONTEND_H
#define LB_FRONTEND_H

#include <stdatomic.h>
#include <stdbool.h>

#include "lbproxy/latency.h"
#include "lbproxy/member.h"

struct lb_frontend {
	char			*id;		/* the listener id */
	int			 iid;		/* stats iid, stable for the process */
	_Atomic int		 refcnt;
	_Atomic unsigned	 conns;		/* current client connections, all workers */
	_Atomic uint64_t	 h2_conns;	/* HTTP/2 connections, in total */
	_Atomic uint64_t	 h2_streams;	/* HTTP/2 streams (requests) forwarded, in total */
	struct lb_counters	 c;
	struct lb_latency	 lat;		/* HTTP request durations */
	bool			 in_config;	/* main thread: listed by the current snapshot */
};

struct lb_backend {
	char			*id;		/* the pool id */
	int			 iid;
	_Atomic int		 refcnt;
	struct lb_counters	 c;		/* requests no member got, and removed members' totals */
	bool			 in_config;
};

struct lb_frontend *lb_frontend_new(const char *id, int iid);
void lb_frontend_ref(struct lb_frontend *f);
void lb_frontend_unref(struct lb_frontend *f);
struct lb_backend *lb_backend_new(const char *id, int iid);
void lb_backend_ref(struct lb_backend *b);
void lb_backend_unref(struct lb_backend *b);
/* Add every monotonic counter of from to to (a removed member's totals stay in its pool's). */
void lb_counters_fold(struct lb_counters *to, struct lb_counters *from);

#endif
