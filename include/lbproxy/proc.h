/*
 * proc.h: process-wide state. Written by the main thread (startup, reload,
 * stats commands); workers only read the atomics and the counters.
 */
#ifndef LB_PROC_H
#define LB_PROC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lbproxy/member.h"
#include "lbproxy/worker.h"

struct event_base;
struct lb_snapshot;
struct lb_worker;
struct lb_health;
struct lb_frontend;
struct lb_backend;
struct lb_cli;
struct lb_config;
struct lb_diag;

/* The health checker of one pool, kept across reloads by pool id. */
struct lb_pool_health {
	char			*pool_id;
	struct lb_health	*h;
};

/* What applying a configuration gave. */
enum lb_apply {
	LB_APPLY_OK,
	LB_APPLY_CONFIG,	/* the configuration cannot work (a certificate does not load) */
	LB_APPLY_RUNTIME,	/* the system refused (cannot listen) */
};

struct lb_proc {
	struct event_base	*base;		/* main thread's loop */
	struct lb_snapshot	*snap;		/* current config (main thread's reference) */
	/* registries: every object a snapshot or a session still refers to */
	struct lb_member	**members;	/* matched by (pool id, id) */
	size_t			 n_members;
	int			 next_sid;
	struct lb_frontend	**frontends;	/* by listener id */
	size_t			 n_frontends;
	int			 next_fid;
	struct lb_backend	**backends;	/* by pool id */
	size_t			 n_backends;
	int			 next_bid;
	struct lb_counters	 fe_gone;	/* totals of frontends a reload removed */
	struct lb_pool_health	*health;	/* one checker per pool */
	size_t			 n_health;
	bool			 health_on;	/* checks run (lb_proc_health_start) */
	struct lb_worker	**workers;
	struct lb_limits	 limits;	/* maxconn, stopping, conns, workers: read by workers */
	struct lb_cli		*cli;		/* the stats socket */
	pid_t			 pid;
	int64_t			 start_wall;
	uint64_t		 start_ms;
	uint64_t		 reloads;
	uint64_t		 generation;
	const char		*config_path;
	int			 takeover_fds[64];	/* listeners received with -sf */
	int			 n_takeover_fds;
};

extern struct lb_proc lb_proc;

/*
 * Build a snapshot from conf (takes ownership), match members by id (they keep
 * state and counters), open or keep the listener, and publish it to the
 * workers and health checkers. Returns LB_APPLY_OK, or why not with diag
 * filled (conf freed, the running config stays).
 */
enum lb_apply lb_proc_apply(struct lb_config *conf, struct lb_diag *diag);
/* Start health checks of every pool (after the workers started). */
void lb_proc_health_start(void);
/* Reload the config file in place (SIGHUP): parse, check, apply, or keep the old. */
void lb_proc_reload(void);
/* Free what lb_proc_apply kept on the main loop, health checkers included (at exit). */
void lb_proc_fini(void);
/* Drop the registries' references (at exit, after the last snapshot). */
void lb_proc_registry_free(void);
/* Graceful stop: stop accepting, let sessions finish until the drain deadline. */
void lb_proc_stop_graceful(void);
/* Fast stop: close everything now. */
void lb_proc_stop_now(void);
/* Listening descriptors of the current snapshot (for -sf takeover); returns count. */
int lb_proc_listen_fds(int *fds, int max);

#endif
