/*
 * persist.h: process-wide persistence tables that survive reloads (members
 * are named by their stable stats id). Lock-free: each slot is one 64-bit
 * word, so worker threads never wait on each other.
 */
#ifndef LB_PERSIST_H
#define LB_PERSIST_H

#include <stddef.h>

struct lb_member;
struct lb_snap_pool;

/* APP_COOKIE: remember that cookie value val was issued by member m. */
void lb_app_cookie_learn(const struct lb_snap_pool *s, const char *val, size_t len, struct lb_member *m);
/* The member that issued val, if it may still take persistent traffic; else NULL. Borrowed. */
struct lb_member *lb_app_cookie_lookup(const struct lb_snap_pool *s, const char *val, size_t len);

#include <stdint.h>

/*
 * SOURCE_IP: remember that this client of pool s went to m. Entries expire after the
 * pool's persistence_timeout without use (30 minutes if it has none); a
 * member draining (weight 0) keeps the clients it has.
 */
void lb_src_learn(const struct lb_snap_pool *s, uint64_t client_hash, const struct lb_member *m);
/* The member this client used recently, if it may still take it; else NULL. Borrowed. */
struct lb_member *lb_src_lookup(const struct lb_snap_pool *s, uint64_t client_hash);

#endif
