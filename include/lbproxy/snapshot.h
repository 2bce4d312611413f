/*
 * snapshot.h: one immutable loaded configuration with its runtime objects:
 * listeners (frontend, sockets, TLS context, compiled L7 policies) and pools
 * (backend, members). Sessions hold a reference on the snapshot they started
 * with, so a reload retires it only when they finish.
 */
#ifndef LB_SNAPSHOT_H
#define LB_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "lbproxy/http.h"

struct lb_config;
struct lb_listener_conf;
struct lb_pool_conf;
struct lb_member;
struct lb_listener;
struct lb_frontend;
struct lb_backend;
struct sockaddr;
struct lb_l7;

struct lb_snap_pool {
	const struct lb_pool_conf *conf;	/* in the snapshot's conf */
	struct lb_backend	*be;		/* referenced */
	struct lb_member	**members;	/* referenced, config order */
	size_t			 n;
	size_t			 idx;		/* in the snapshot: per-worker scratch index */
	uint64_t		 id_hash;	/* lb_hash64 of conf->id: persistence keys */
	bool			 has_backup;
	SSL_CTX			*tls;		/* owned: tls_enabled, TLS towards members; else NULL */
	/* ROUND_ROBIN: one cursor shared by all workers over their WRR cycles */
	_Atomic uint64_t	 rr_cursor;
};

struct lb_snap_listener {
	const struct lb_listener_conf *conf;
	struct lb_frontend	*fe;		/* referenced */
	struct lb_listener	**socks;	/* referenced, one per VIP address; none when admin-down */
	size_t			 n_socks;
	SSL_CTX			*tls;		/* owned; NULL unless TLS is terminated */
	struct lb_snap_pool	*pool;		/* the default pool, or NULL */
	struct lb_l7		*l7;		/* compiled policies, or NULL */
	size_t			 idx;
};

struct lb_snapshot {
	_Atomic int		 refcnt;
	uint64_t		 gen;
	struct lb_config	*conf;		/* owned */
	struct lb_snap_listener	*listeners;
	size_t			 n_listeners;
	struct lb_snap_pool	*pools;
	size_t			 n_pools;
	size_t			 n_members;	/* over every pool */
	struct lb_http_limits	 limits;
	struct lb_http_limits	 limits_trusted;	/* the same, for heads lbproxy wrote (trusted) */
};

/* Per-worker balancer scratch for one pool; reset when the snapshot generation changes. */
struct lb_pick {
	uint64_t	 gen;
	size_t		 n;
	int		*wrr;		/* smooth WRR state */
	int		*weight;	/* scratch: effective weights of this pick */
	unsigned	*active;	/* scratch: active counts */
	uint64_t	*keys;		/* member hash keys */
	unsigned	 rr;		/* least-conn tie breaker */
	int		*cyc;		/* smooth WRR cycle for the weights in cyc_w */
	size_t		 cyc_len;
	int		*cyc_w;
};

/*
 * New empty snapshot of conf (taken), with one lb_snap_pool per conf pool and
 * one lb_snap_listener per conf listener, their conf pointers and default
 * pools set; the caller (proc.c) fills the runtime objects.
 */
struct lb_snapshot *lb_snapshot_new(struct lb_config *conf, uint64_t gen);
void lb_snapshot_ref(struct lb_snapshot *s);
void lb_snapshot_unref(struct lb_snapshot *s);

/*
 * Choose a member of pool sp for a new connection or request: eligible ones
 * first (UP or no check, not avoided after connect failures), then members
 * still being checked, then with fail_open every admin-up member; backup
 * members only when no other is eligible. Members in tried[] are skipped.
 * client_hash is lb_balance_client_hash(peer); SOURCE_IP_PORT also hashes
 * peer's port. Returns a borrowed member or NULL (no eligible member).
 */
struct lb_member *lb_snapshot_pick(const struct lb_snapshot *s, struct lb_snap_pool *sp,
    struct lb_pick *p, uint64_t client_hash, const struct sockaddr *peer,
    struct lb_member *const *tried, size_t ntried);
/* Member of sp by id for persistence, if it may still take persistent traffic; else NULL. */
struct lb_member *lb_snapshot_find(const struct lb_snap_pool *sp, const char *id, size_t len);
/* m, if it may still take persistent traffic (pool and member admin up, not DOWN); else NULL. */
struct lb_member *lb_snapshot_persist_ok(const struct lb_snap_pool *sp, struct lb_member *m);
void lb_pick_fini(struct lb_pick *p);

#endif
