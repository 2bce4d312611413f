/*
 * balance.c: member selection (SPEC section 3). Pure functions over arrays the
 * caller owns: no I/O, no locks, no allocation, so every pick is cheap and
 * every policy is unit-tested in isolation.
 */
#include "config.h"

#include <math.h>
#include <netinet/in.h>
#include <string.h>

#include "lbproxy/balance.h"
#include "lbproxy/util.h"

/*
 * Fixed seeds: changing either one moves every SOURCE_IP client, across all
 * lbproxy instances, so they are part of the on-the-wire contract.
 */
#define MEMBER_SEED	0x6c62707278796d31ULL	/* "lbprxym1" */
#define CLIENT_SEED	0x6c62707278796331ULL	/* "lbprxyc1" */

/*
 * Smooth weighted round robin: every eligible member earns its weight, the
 * richest is picked and pays the total. Over sum(weight) picks each member is
 * chosen exactly weight times, interleaved (5,1,1 gives a a b a c a a).
 *
 * An ineligible member's credit is frozen, as in nginx, so sum(current) stays
 * 0. With fixed weights every credit stays in (-total, (eligible-1) * total];
 * a credit outside that means weights or eligibility changed (a heavy member
 * went down, "set weight"), and spending it would burst onto one member, so
 * the schedule restarts from zero instead.
 */
int
lb_balance_wrr(int *current, const int *weight, size_t n)
{
	size_t i, eligible = 0;
	int best = -1, total = 0;
	int64_t hi;

	for (i = 0; i < n; i++) {
		if (weight[i] > 0) {
			total += weight[i];
			eligible++;
		}
	}
	if (total == 0)
		return -1;
	hi = (int64_t)(eligible - 1) * total;
	for (i = 0; i < n; i++) {
		if (weight[i] > 0 && (current[i] <= -total || current[i] > hi)) {
			memset(current, 0, n * sizeof(*current));
			break;
		}
	}
	for (i = 0; i < n; i++) {
		if (weight[i] <= 0)
			continue;
		current[i] += weight[i];
		if (best == -1 || current[i] > current[best])
			best = (int)i;
	}
	current[best] -= total;
	return best;
}

/*
 * Least connections relative to weight: a/w < b/v is a*v < b*w, exact in 64
 * bits for any 32-bit count and weight. Scanning starts after *rr (the last
 * pick) and only a strictly better member replaces the best, so ties rotate.
 */
int
lb_balance_leastconn(const int *weight, const unsigned *active, size_t n, unsigned *rr)
{
	size_t i, k;
	int best = -1;
	uint64_t ba = 0, bw = 1;

	if (n == 0)
		return -1;
	i = *rr % n;
	for (k = 0; k < n; k++) {
		if (++i == n)
			i = 0;
		if (weight[i] <= 0)
			continue;
		if (best == -1 ||
		    (uint64_t)active[i] * bw < ba * (uint64_t)weight[i]) {
			best = (int)i;
			ba = active[i];
			bw = (uint64_t)weight[i];
		}
	}
	if (best != -1)
		*rr = (unsigned)best;
	return best;
}

/* splitmix64 finaliser: a bijection with full avalanche. */
static inline uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Weighted rendezvous hashing: member i scores -w/ln(u) with u uniform in
 * (0,1) from mix(key ^ client); the highest score wins. -ln(u) is Exp(1), so
 * member i wins with probability w_i / sum(w), and a member's score does not
 * depend on the others, so removing one moves only the clients it won.
 *
 * Determinism across hosts: u is exact (an odd 53-bit integer times 2^-53)
 * and the division is IEEE-rounded; only log() could differ between libms,
 * by an ulp, which flips a client only if its two best scores agree to 1e-16.
 * Exact ties fall back to the raw hash, then the key, never the array order.
 */
int
lb_balance_hash(const uint64_t *member_key, const int *weight, size_t n, uint64_t client_hash)
{
	size_t i;
	int best = -1;
	double score, bscore = 0.0;
	uint64_t h, bh = 0;

	for (i = 0; i < n; i++) {
		if (weight[i] <= 0)
			continue;
		h = mix64(member_key[i] ^ client_hash);
		/* (h >> 11) | 1 is odd and < 2^53: u is never 0 or 1 */
		score = -(double)weight[i] /
		    log((double)((h >> 11) | 1) * 0x1.0p-53);
		if (best == -1 || score > bscore ||
		    (score == bscore && (h > bh || (h == bh &&
		    member_key[i] > member_key[best])))) {
			best = (int)i;
			bscore = score;
			bh = h;
		}
	}
	return best;
}

uint64_t
lb_balance_member_key(const char *member_id)
{
	if (member_id == NULL)
		member_id = "";
	return lb_hash64(member_id, strlen(member_id), MEMBER_SEED);
}

/*
 * Only the host bytes count: the source port changes per connection. An
 * IPv4-mapped IPv6 address (dual-stack listener) hashes as the IPv4 address
 * so a client keeps its member whichever socket it arrived on.
 */
uint64_t
lb_balance_client_hash(const struct sockaddr *sa)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (sa == NULL)
		return lb_hash64("", 0, CLIENT_SEED);
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		return lb_hash64(&sin->sin_addr, 4, CLIENT_SEED);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			return lb_hash64(&sin6->sin6_addr.s6_addr[12], 4,
			    CLIENT_SEED);
		return lb_hash64(&sin6->sin6_addr, 16, CLIENT_SEED);
	default:
		return lb_hash64("", 0, CLIENT_SEED);
	}
}

uint64_t
lb_balance_flow_hash(uint64_t client_hash, const struct sockaddr *sa)
{
	in_port_t port = 0;

	if (sa != NULL && sa->sa_family == AF_INET)
		port = ((const struct sockaddr_in *)sa)->sin_port;
	else if (sa != NULL && sa->sa_family == AF_INET6)
		port = ((const struct sockaddr_in6 *)sa)->sin6_port;
	return lb_hash64(&port, sizeof(port), client_hash);
}
