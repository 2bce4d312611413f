/*
 * worker.h: a worker thread with its own event_base. It accepts on the
 * shared listener and runs sessions to completion; the main thread talks to
 * it only through lb_worker_post_* (mutex + event_active, never on the
 * per-connection path).
 */
#ifndef LB_WORKER_H
#define LB_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <stdatomic.h>

struct lb_worker;
struct lb_snapshot;

/*
 * The process-wide limits every worker reads, written by the main thread
 * (maxconn, stopping) or counted by the workers (conns). Passed to each
 * worker at creation: the data plane reads no process global.
 */
struct lb_limits {
	_Atomic unsigned	 conns;		/* current client connections, all workers */
	int			 maxconn;	/* 0: no limit */
	int			 n_workers;
	_Atomic bool		 stopping;	/* graceful stop: no longer accepting */
};

/* New worker (not started) reading lim (borrowed, outlives it); NULL on failure. */
struct lb_worker *lb_worker_new(int id, struct lb_limits *lim);
int lb_worker_start(struct lb_worker *w);
/* Hand a new snapshot to w (takes a reference of its own). */
void lb_worker_post_snapshot(struct lb_worker *w, struct lb_snapshot *snap);
/* Stop accepting; graceful: finish sessions then exit; else close them now. */
void lb_worker_post_stop(struct lb_worker *w, bool graceful);
/* Wait for the thread to exit and free it. */
void lb_worker_join(struct lb_worker *w);
/* Generation of the snapshot w accepts with now. */
uint64_t lb_worker_generation(const struct lb_worker *w);
/* True once w has stopped watching the listener after a stop request. */
bool lb_worker_accept_closed(const struct lb_worker *w);
/* Number of sessions w holds now (approximate when read from another thread). */
unsigned lb_worker_sessions(const struct lb_worker *w);

#endif
