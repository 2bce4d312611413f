/*
 * persist.h: process-wide persistence tables that survive reloads (members
 * are named by their stable stats id). Lock-free: each slot is one 64-bit
 * word, so worker threads never wait on each other.
 */
#ifndef LB_PERSIST_H
#define LB_PERSIST_H

#include <stddef.h>

struct lb_member;
struct lb_snapshot;

/* APP_COOKIE: remember that cookie value val was issued by member m. */
void lb_app_cookie_learn(struct lb_snapshot *s, const char *val, size_t len, struct lb_member *m);
/* The member that issued val, if it may still take persistent traffic; else NULL. Borrowed. */
struct lb_member *lb_app_cookie_lookup(struct lb_snapshot *s, const char *val, size_t len);

#endif
