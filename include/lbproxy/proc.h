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

struct event_base;
struct lb_snapshot;
struct lb_worker;
struct lb_health;
struct lb_cli;
struct lb_config;
struct lb_diag;

struct lb_proc {
	struct event_base	*base;		/* main thread's loop */
	struct lb_snapshot	*snap;		/* current config (main thread's reference) */
	struct lb_member	**members;	/* every member id still referenced, by sid */
	size_t			 n_members;
	int			 next_sid;
	struct lb_counters	 fe;		/* frontend (VIP) */
	struct lb_counters	 be;		/* backend (pool): requests no member got */
	_Atomic unsigned	 conns;		/* current client connections, all workers */
	int			 maxconn;
	struct lb_worker	**workers;
	int			 n_workers;
	struct lb_health	*health;
	struct lb_cli		*cli;		/* the stats socket */
	pid_t			 pid;
	int64_t			 start_wall;
	uint64_t		 start_ms;
	_Atomic bool		 stopping;	/* graceful stop: no longer accepting */
	uint64_t		 reloads;
	uint64_t		 generation;
	const char		*config_path;
	int			 takeover_fds[8];	/* listeners received with -sf */
	int			 n_takeover_fds;
};

extern struct lb_proc lb_proc;

/*
 * Build a snapshot from conf (takes ownership), match members by id (they keep
 * state and counters), open or keep the listener, and publish it to the
 * workers and health checker. Returns 0, or -1 with diag filled (conf freed,
 * the running config stays).
 */
int lb_proc_apply(struct lb_config *conf, struct lb_diag *diag);
/* Reload the config file in place (SIGHUP): parse, check, apply, or keep the old. */
void lb_proc_reload(void);
/* Free what lb_proc_apply kept on the main loop (at exit). */
void lb_proc_fini(void);
/* Graceful stop: stop accepting, let sessions finish until the drain deadline. */
void lb_proc_stop_graceful(void);
/* Fast stop: close everything now. */
void lb_proc_stop_now(void);
/* Listening descriptors of the current snapshot (for -sf takeover); returns count. */
int lb_proc_listen_fds(int *fds, int max);

#endif
