/*
 * health.h: scheduling of member health checks on the main thread's
 * event_base, rise/fall hysteresis, transitions. Workers only read
 * member->health (atomic).
 */
#ifndef LB_HEALTH_H
#define LB_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "lbproxy/member.h"

struct event_base;
struct lb_config;
struct lb_pool_conf;
struct lb_health;

/* Result of one check; each check_*.c ends in exactly one done call with it. */
struct lb_check_result {
	bool			 ok;
	enum lb_check_status	 status;
	int			 code;		/* HTTP status, 0 */
	int			 duration_ms;
	char			 desc[120];	/* "HTTP status 500, expected 200", "connection refused" */
};

/*
 * Feed one result into m's rise/fall counters (pure, no I/O). rise and fall
 * are the consecutive successes/failures needed to change state. Returns true
 * if m->health changed; the caller logs and acts on it.
 */
bool lb_health_feed(struct lb_member *m, const struct lb_check_result *r, int rise, int fall);

/* New health checker bound to base (borrowed, main thread). */
struct lb_health *lb_health_new(struct event_base *base);
void lb_health_free(struct lb_health *h);

/*
 * One checker per pool (shared pools are checked once). Check exactly these
 * members with the pool's monitor (pool->hm; a NULL pool or monitor = no
 * checks, members become "no check"); conf gives the process-wide jitter. Members already checked keep their
 * state and schedule; new ones start CHECKING with their first check spread
 * over the interval; members not in the list stop being checked. The arrays
 * and conf are borrowed; the checker takes its own member references.
 */
void lb_health_apply(struct lb_health *h, const struct lb_config *conf,
    const struct lb_pool_conf *pool, struct lb_member **members, size_t n);

/*
 * HTTPS and TLS-HELLO checks of h use ctx (the pool's TLS context towards
 * its members, referenced) from the next check on; NULL: encrypt only.
 */
void lb_health_set_tls(struct lb_health *h, SSL_CTX *ctx);

#endif
