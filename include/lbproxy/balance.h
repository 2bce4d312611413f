/*
 * balance.h: member selection as pure functions over arrays, no I/O, no
 * locks. Callers pass effective weights (0 = not eligible for this pick).
 */
#ifndef LB_BALANCE_H
#define LB_BALANCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * Smooth weighted round robin (nginx's algorithm): current[] is the caller's
 * per-thread state, n entries, zero-initialised. Returns the index, or -1 if
 * every weight is 0.
 */
int lb_balance_wrr(int *current, const int *weight, size_t n);

/*
 * Fewest active connections relative to weight (active[i]/weight[i], compared
 * by cross-multiplication); ties go round robin starting after *rr, which is
 * updated. Returns the index or -1.
 */
int lb_balance_leastconn(const int *weight, const unsigned *active, size_t n, unsigned *rr);

/*
 * Consistent hash: weighted rendezvous (highest random weight) of client_hash
 * with each member's stable key. The same inputs give the same answer in any
 * thread, process or host; removing a member moves only the clients it had.
 * Returns the index or -1.
 */
int lb_balance_hash(const uint64_t *member_key, const int *weight, size_t n, uint64_t client_hash);

/* Stable 64-bit key of a member id (for lb_balance_hash). */
uint64_t lb_balance_member_key(const char *member_id);
/* Stable 64-bit hash of a client address (host part only, port ignored). */
uint64_t lb_balance_client_hash(const struct sockaddr *sa);
/* SOURCE_IP_PORT: client_hash (of sa's address) mixed with sa's port. */
uint64_t lb_balance_flow_hash(uint64_t client_hash, const struct sockaddr *sa);

#endif
