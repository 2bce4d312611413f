/*
 * member.h: the runtime side of a pool member. One object per member id lives
 * for as long as any config snapshot or session refers to it, so health state,
 * counters and persistence survive reloads. Fields written by worker threads
 * are atomics; the health and check fields are owned by the main thread
 * (health checks and the stats socket run there). The status word shown by
 * the stats socket and the metrics is computed here, once.
 */
#ifndef LB_MEMBER_H
#define LB_MEMBER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lbproxy/util.h"

struct lb_member_conf;

enum lb_health_state {
	LB_HEALTH_NOCHECK,	/* no monitor: always eligible */
	LB_HEALTH_CHECKING,	/* monitor configured, no verdict yet */
	LB_HEALTH_UP,
	LB_HEALTH_DOWN,
};
extern const char *const lb_health_names[];	/* [LB_HEALTH_UP] = "UP" ... */

/* Last check result, in HAProxy's vocabulary (stats "check_status"). */
enum lb_check_status {
	LB_CHK_UNKNOWN,	/* no check run yet */
	LB_CHK_L4OK,
	LB_CHK_L4TOUT,
	LB_CHK_L4CON,
	LB_CHK_L6OK,
	LB_CHK_L6TOUT,
	LB_CHK_L6RSP,
	LB_CHK_L7OK,
	LB_CHK_L7TOUT,
	LB_CHK_L7RSP,
	LB_CHK_L7STS,
	LB_CHK_SOCKERR,
};
extern const char *const lb_check_status_names[];	/* [LB_CHK_L4OK] = "L4OK" ... */

/* Monotonic counters (never reset, not even by reload). */
struct lb_counters {
	_Atomic uint64_t	stot;	/* sessions/connections handled */
	_Atomic uint64_t	bin;	/* bytes from clients */
	_Atomic uint64_t	bout;	/* bytes to clients */
	_Atomic uint64_t	econ;	/* connect errors */
	_Atomic uint64_t	eresp;	/* response errors */
	_Atomic uint64_t	ereq;	/* request errors */
	_Atomic uint64_t	dreq;	/* denied requests */
	_Atomic uint64_t	wretr;	/* connect retries */
	_Atomic uint64_t	wredis;	/* redispatches */
	_Atomic uint64_t	lbtot;	/* times picked by the balancer */
	_Atomic uint64_t	req_tot; /* HTTP requests */
	_Atomic uint64_t	hrsp[6]; /* 1xx..5xx responses, [0] = other */
	_Atomic uint64_t	dcon;	/* connections denied at accept (allowed_cidrs) */
	_Atomic unsigned	smax;	/* highest concurrent count seen */
};

struct lb_member {
	char			*id;
	char			*pool_id;	/* members are matched by (pool id, id) on reload */
	char			*address;
	int			 port;
	char			 name[LB_ADDRSTRLEN];	/* "10.0.1.11:80" for logs */
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	struct sockaddr_storage	 check_addr;	/* monitor_address / monitor_port, else addr */
	socklen_t		 check_addrlen;
	bool			 backup;	/* used only while no other member is eligible */
	uint64_t		 hkey;		/* lb_balance_member_key(id) */
	int			 sid;		/* stats server id, stable */

	_Atomic int		 refcnt;
	_Atomic int		 weight;	/* config weight, or "set weight" */
	int			 conf_weight;	/* the config's (HAProxy's initial weight) */
	_Atomic bool		 admin_up;	/* config admin_state_up */
	_Atomic bool		 cli_disabled;	/* admin MAINT: "disable server" */
	_Atomic bool		 cli_drain;	/* admin DRAIN: "set server ... state drain" */
	_Atomic int		 health;	/* enum lb_health_state */
	_Atomic bool		 in_config;	/* false once a reload removed it */
	_Atomic unsigned	 active;	/* current connections (least-conn, scur) */
	_Atomic unsigned	 passive_fails;	/* consecutive connect failures */
	_Atomic uint64_t	 avoid_until_ms; /* passive evidence: pick last until then */
	struct lb_counters	 c;

	/* main thread only: health state machine and check results */
	int			 rise_cnt;
	int			 fall_cnt;
	enum lb_check_status	 check_status;
	int			 check_code;	/* HTTP status of the last check, 0 */
	int			 check_duration_ms;
	char			 check_desc[128];
	uint64_t		 chkfail;	/* failed checks while not DOWN (HAProxy's) */
	uint64_t		 chkdown;	/* running -> DOWN or MAINT transitions */
	int64_t			 last_change;	/* wall seconds of the last state change */
	int64_t			 down_since;	/* wall seconds, 0 if not down */
	int64_t			 downtime;	/* accumulated seconds DOWN */
	bool			 mark;		/* registry scratch (proc.c) */
};

/* New member from conf with refcnt 1 (caller owns). */
struct lb_member *lb_member_new(const struct lb_member_conf *mc, const char *pool_id, int sid);
/* Update address/weight/admin from a reloaded conf of the same id. */
void lb_member_update(struct lb_member *m, const struct lb_member_conf *mc);
void lb_member_ref(struct lb_member *m);
void lb_member_unref(struct lb_member *m);

/* Balanced traffic allowed: admin up, not disabled or drained, weight > 0 (health aside). */
bool lb_member_usable(const struct lb_member *m);
/* In maintenance: admin_state_up false in the config, or disabled on the stats socket. */
bool lb_member_maint(const struct lb_member *m);

/*
 * A member's status as HAProxy 2.6 words it on the stats socket. Computed
 * here only (stats rows, metrics and filters all ask this function).
 */
enum lb_member_status {
	LB_MEMBER_UP,		/* also while the first check is pending */
	LB_MEMBER_DOWN,
	LB_MEMBER_MAINT,	/* admin down (member or pool) or disabled */
	LB_MEMBER_DRAIN,	/* put in drain, or removed by a reload and draining */
	LB_MEMBER_NOCHECK,	/* no health monitor */
};
extern const char *const lb_member_status_names[];	/* [LB_MEMBER_NOCHECK] = "no check" */

/*
 * m's status in a pool whose admin_state_up is pool_up. Weight 0 does not
 * make a member DRAIN (HAProxy shows it UP with weight 0); only the admin
 * drain state and a reload's removal do.
 */
enum lb_member_status lb_member_status(const struct lb_member *m, bool pool_up);
/* Does m take new balanced traffic (UP or no check, with a weight above 0)? */
bool lb_member_serving(const struct lb_member *m, bool pool_up);

/* Admin state set from the stats socket; one at a time, as HAProxy's. */
enum lb_member_admin {
	LB_ADMIN_READY,		/* "enable server", "set server ... state ready" */
	LB_ADMIN_DRAIN,		/* no new balanced traffic, persistent clients still served */
	LB_ADMIN_MAINT,		/* no traffic: "disable server", "... state maint" */
};

/*
 * Put m in admin state st (main thread). Entering MAINT from a running
 * state counts in chkdown, as HAProxy counts it. Returns whether anything
 * changed (last_change is then now).
 */
bool lb_member_set_admin(struct lb_member *m, enum lb_member_admin st);

/* Passive evidence from real traffic (any thread). */
void lb_member_connect_failed(struct lb_member *m);
void lb_member_connect_ok(struct lb_member *m);

/* Set health and record the change time (main thread). */
void lb_member_set_health(struct lb_member *m, enum lb_health_state st);

#endif
