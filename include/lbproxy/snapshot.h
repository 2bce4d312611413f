/*
 * snapshot.h: one immutable loaded configuration with its runtime objects
 * (members, listener, TLS context). Sessions hold a reference on the snapshot
 * they started with, so a reload retires it only when they finish.
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
struct lb_member;
struct lb_listener;

struct lb_snapshot {
	_Atomic int		 refcnt;
	uint64_t		 gen;
	struct lb_config	*conf;		/* owned */
	struct lb_member	**members;	/* referenced, config order */
	size_t			 n;
	struct lb_listener	*listener;	/* referenced; NULL when the VIP is admin-down */
	SSL_CTX			*tls;		/* owned; NULL unless TLS is terminated */
	struct lb_http_limits	 limits;
	/* ROUND_ROBIN: one cursor shared by all workers over their WRR cycles */
	_Atomic uint64_t	 rr_cursor;
};

/* Per-worker balancer scratch; reset when the snapshot generation changes. */
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

/* New snapshot; takes ownership of conf and tls, references members and listener. */
struct lb_snapshot *lb_snapshot_new(struct lb_config *conf, struct lb_member **members, size_t n,
    struct lb_listener *listener, SSL_CTX *tls, uint64_t gen);
void lb_snapshot_ref(struct lb_snapshot *s);
void lb_snapshot_unref(struct lb_snapshot *s);

/*
 * Choose a member for a new connection or request: eligible ones first (UP or
 * no check, not avoided after connect failures), then members still being
 * checked, then with fail_open every admin-up member. Members in tried[] are
 * skipped. Returns a borrowed member or NULL (no eligible member).
 */
struct lb_member *lb_snapshot_pick(struct lb_snapshot *s, struct lb_pick *p, uint64_t client_hash,
    struct lb_member *const *tried, size_t ntried);
/* Member by id for persistence, if it may still take persistent traffic; else NULL. */
struct lb_member *lb_snapshot_find(struct lb_snapshot *s, const char *id, size_t len);
/* m, if it may still take persistent traffic (pool and member admin up, not DOWN); else NULL. */
struct lb_member *lb_snapshot_persist_ok(const struct lb_snapshot *s, struct lb_member *m);
void lb_pick_fini(struct lb_pick *p);

#endif
