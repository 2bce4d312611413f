/* test_balance.c: unit tests for src/balance.c (SPEC section 3). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "lbproxy/balance.h"
#include "lbproxy/util.h"

#define NCLIENTS	10000
#define MAXM		16

static const char *const uuids[] = {
	"2f5b3c1e-8a4d-4b6f-9c2e-1d7a0e3b5c91",
	"7e0c9a24-3b1f-4d85-a6e2-5f9b8c1d2e47",
	"c41d8e6a-0f27-4a93-b5d1-8e6c2a7f9b03",
	"0a9f3e5c-6d18-47b2-8c4e-3b2d1f0a6e58",
	"e3b7a1d9-5c42-4f0e-9a86-7d1c0b5e2f34",
	"5d2c8f1a-9e63-4b07-a1d4-2c8e6f3b0a95",
	"9b4e6d02-1a7c-4e59-b3f8-0d5a2c9e7b16",
	"16f0b9c3-7d2e-4a81-9e5b-4c3a8d1f6e20",
	"a8c3e5f7-2b9d-4c16-8f0a-6e1d3b7c9a42",
	"43e1d7b5-8f0c-4d2a-b6e9-1a5c7f3d8e61",
};

static const char *const mids[] = {
	"m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10",
};

/* Client hashes of NCLIENTS addresses, half IPv4 (sequential), half IPv6. */
static uint64_t clients[NCLIENTS];

static void
make_v4(struct sockaddr_storage *ss, uint32_t ip, int port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(ip);
	sin->sin_port = htons((uint16_t)port);
}

static void
make_v6(struct sockaddr_storage *ss, const char *text, int port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
	sin6->sin6_port = htons((uint16_t)port);
}

/* 10.1.0.1 ... for i < NCLIENTS/2, then 2001:db8:a::1 ... for the rest. */
static uint64_t
client_n(int i)
{
	struct sockaddr_storage ss;
	char buf[64];

	if (i < NCLIENTS / 2)
		make_v4(&ss, 0x0a010001u + (uint32_t)i, 40000 + i);
	else {
		snprintf(buf, sizeof(buf), "2001:db8:a::%x:%x", i / 7, i);
		make_v6(&ss, buf, 443);
	}
	return lb_balance_client_hash((struct sockaddr *)&ss);
}

static int
setup_clients(void **state LB_UNUSED)
{
	int i;

	for (i = 0; i < NCLIENTS; i++)
		clients[i] = client_n(i);
	return 0;
}

static void
keys_of(const char *const *ids, size_t n, uint64_t *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		key[i] = lb_balance_member_key(ids[i]);
}

/* Member index picked for every client. */
static void
assign(const uint64_t *key, const int *w, size_t n, int *out)
{
	int i;

	for (i = 0; i < NCLIENTS; i++)
		out[i] = lb_balance_hash(key, w, n, clients[i]);
}

/* ------------------------------------------------------------------ WRR */

static void
wrr_sequence_5_1_1(void **state LB_UNUSED)
{
	static const int w[] = { 5, 1, 1 };
	static const int want[] = { 0, 0, 1, 0, 2, 0, 0 };
	int cur[3] = { 0 };
	int cycle, i;

	/* the same interleaving every cycle, and the state returns to zero */
	for (cycle = 0; cycle < 5; cycle++) {
		for (i = 0; i < 7; i++)
			assert_int_equal(lb_balance_wrr(cur, w, 3), want[i]);
		assert_int_equal(cur[0], 0);
		assert_int_equal(cur[1], 0);
		assert_int_equal(cur[2], 0);
	}
}

/* Longest run of index m in picks over the given weights. */
static int
wrr_longest_run(const int *w, size_t n, size_t m, int picks, int *count)
{
	int cur[MAXM] = { 0 };
	int i, p, run = 0, longest = 0;

	for (i = 0; i < picks; i++) {
		p = lb_balance_wrr(cur, w, n);
		assert_true(p >= 0 && (size_t)p < n);
		count[p]++;
		run = ((size_t)p == m) ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	return longest;
}

static void
wrr_no_burst(void **state LB_UNUSED)
{
	static const int w31[] = { 3, 1 };
	static const int w91[] = { 9, 1, 1, 1 };
	int count[MAXM] = { 0 };

	/* 3,1: a a b a (never a a a a) */
	assert_true(wrr_longest_run(w31, 2, 0, 400, count) <= 3);
	assert_int_equal(count[0], 300);
	assert_int_equal(count[1], 100);

	/* 9,1,1,1: a a a b a a c a a d a a (plain WRR would send 9 in a row) */
	memset(count, 0, sizeof(count));
	assert_true(wrr_longest_run(w91, 4, 0, 1200, count) <= 5);
	assert_int_equal(count[0], 900);
	assert_int_equal(count[1], 100);
}

/*
 * Smoothness: in every window of L consecutive picks (any start, any L up to
 * a cycle) each member gets its share w*L/T to within 2 picks.
 */
static void
wrr_smooth_windows(void **state LB_UNUSED)
{
	static const int sets[][10] = {
		{ 9, 1, 1, 1 },
		{ 7, 3, 2, 5, 1 },
		{ 100, 200, 50, 25, 256 },
		{ 256, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 },
	};
	static int seq[2 * 10 * 256];
	int cur[10], cnt[10], total, i, s, st, len;
	double dev, worst = 0;

	for (s = 0; s < (int)LB_ARRAY_SIZE(sets); s++) {
		memset(cur, 0, sizeof(cur));
		total = 0;
		for (i = 0; i < 10; i++)
			total += sets[s][i];
		for (i = 0; i < 2 * total; i++)
			seq[i] = lb_balance_wrr(cur, sets[s], 10);
		for (st = 0; st < total; st++) {
			memset(cnt, 0, sizeof(cnt));
			for (len = 1; len <= total; len++) {
				cnt[seq[st + len - 1]]++;
				for (i = 0; i < 10; i++) {
					dev = fabs(cnt[i] - (double)sets[s][i] *
					    len / total);
					if (dev > worst)
						worst = dev;
				}
			}
		}
	}
	print_message("    worst window deviation %.2f picks\n", worst);
	assert_true(worst < 2.0);
}

/*
 * Over exactly sum(w) picks each member is picked exactly w times, and the
 * schedule repeats unchanged: credit legitimately above total (the 20,1,20,..
 * set reaches 1.23 * total) must not be mistaken for a weight change.
 */
static void
wrr_exact_cycle(void **state LB_UNUSED)
{
	static const int sets[][10] = {
		{ 1, 1, 1, 1, 1, 1 },
		{ 256, 1, 0, 0, 0, 0 },
		{ 7, 3, 2, 0, 5, 1 },
		{ 100, 200, 50, 25, 0, 256 },
		{ 2, 2, 2, 0, 0, 1 },
		{ 20, 1, 20, 20, 1, 1, 1, 1 },
		{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 },
		{ 256, 256, 256, 1, 1, 1, 1, 1, 1, 1 },
	};
	static int first[10 * 256];
	int cur[10], count[10], total, i, k, s, p;

	for (s = 0; s < (int)LB_ARRAY_SIZE(sets); s++) {
		memset(cur, 0, sizeof(cur));
		total = 0;
		for (i = 0; i < 10; i++)
			total += sets[s][i];
		for (k = 0; k < 3; k++) {
			memset(count, 0, sizeof(count));
			for (i = 0; i < total; i++) {
				p = lb_balance_wrr(cur, sets[s], 10);
				assert_true(p >= 0 && p < 10);
				if (k == 0)
					first[i] = p;
				assert_int_equal(p, first[i]);
				count[p]++;
			}
			for (i = 0; i < 10; i++)
				assert_int_equal(count[i], sets[s][i]);
		}
	}
}

static void
wrr_weight_zero(void **state LB_UNUSED)
{
	static const int w[] = { 2, 0, 3 };
	static const int zero[] = { 0, 0, 0 };
	int cur[3] = { 0 };
	int i, p;

	for (i = 0; i < 1000; i++) {
		p = lb_balance_wrr(cur, w, 3);
		assert_true(p == 0 || p == 2);
	}
	assert_int_equal(lb_balance_wrr(cur, zero, 3), -1);
	assert_int_equal(lb_balance_wrr(cur, zero, 0), -1);
}

static void
wrr_weight_change(void **state LB_UNUSED)
{
	int w[3] = { 1, 1, 1 };
	int cur[3] = { 0 };
	int count[3], i, p, last = -1;

	for (i = 0; i < 10; i++)
		lb_balance_wrr(cur, w, 3);

	/* "set weight" to 0 mid-stream: b stops at once */
	w[1] = 0;
	for (i = 0; i < 50; i++)
		assert_int_not_equal(lb_balance_wrr(cur, w, 3), 1);

	/* b comes back: no burst, and the even split resumes */
	w[1] = 1;
	memset(count, 0, sizeof(count));
	for (i = 0; i < 300; i++) {
		p = lb_balance_wrr(cur, w, 3);
		assert_false(p == 1 && last == 1);
		last = p;
		count[p]++;
	}
	for (i = 0; i < 3; i++)
		assert_in_range(count[i], 99, 101);

	/* reweight to 4,1,1: proportions follow within a pick */
	w[0] = 4;
	memset(count, 0, sizeof(count));
	for (i = 0; i < 600; i++)
		count[lb_balance_wrr(cur, w, 3)]++;
	assert_in_range(count[0], 399, 401);
	assert_in_range(count[1], 99, 101);
	assert_in_range(count[2], 99, 101);
}

/*
 * Members flapping in and out (health, "set weight") never make a light
 * member burst, and the state stays bounded with sum(current) == 0.
 */
static void
wrr_flapping(void **state LB_UNUSED)
{
	static const int base[] = { 5, 1, 1, 256, 3 };
	static const int maxrun[] = { 3, 1, 1, 266, 2 };
	int w[5], cur[5] = { 0 };
	int i, j, p, last = -1, run = 0, sum;
	uint64_t rnd = 42;

	memcpy(w, base, sizeof(w));
	for (i = 0; i < 100000; i++) {
		/* deterministic LCG: toggle members 1 and 3 now and then */
		rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
		if ((rnd >> 58) == 0)
			w[1] = w[1] ? 0 : base[1];
		if ((rnd >> 58) == 1)
			w[3] = w[3] ? 0 : base[3];
		p = lb_balance_wrr(cur, w, 5);
		assert_true(p >= 0 && w[p] > 0);
		run = (p == last) ? run + 1 : 1;
		last = p;
		if (run > maxrun[p])
			fail_msg("pick %d: member %d picked %d times in a row",
			    i, p, run);
		sum = 0;
		for (j = 0; j < 5; j++) {
			sum += cur[j];
			assert_in_range(cur[j] + 2000, 2000 - 266, 2000 + 4 * 266);
		}
		assert_int_equal(sum, 0);
	}
}

/* The heavy member goes down: the light ones alternate at once. */
static void
wrr_heavy_leaves(void **state LB_UNUSED)
{
	int w[3] = { 256, 1, 1 };
	int cur[3] = { 0 };
	int i, p, k, last;

	for (k = 1; k < 258; k += 37) {
		memset(cur, 0, sizeof(cur));
		w[0] = 256;
		for (i = 0; i < k; i++)
			lb_balance_wrr(cur, w, 3);
		w[0] = 0;
		last = lb_balance_wrr(cur, w, 3);
		for (i = 0; i < 50; i++) {
			p = lb_balance_wrr(cur, w, 3);
			assert_int_equal(p, last == 1 ? 2 : 1);
			last = p;
		}
		/* and it comes back to its full share */
		w[0] = 256;
		p = 0;
		for (i = 0; i < 258 * 4; i++)
			p += lb_balance_wrr(cur, w, 3) == 0;
		assert_in_range(p, 256 * 4 - 2, 256 * 4 + 2);
	}
}

/* ----------------------------------------------------------- leastconn */

static void
lc_relative_to_weight(void **state LB_UNUSED)
{
	static const int w[] = { 1, 2, 1 };
	unsigned a1[] = { 2, 3, 1 };	/* 2, 1.5, 1 */
	unsigned a2[] = { 1, 1, 1 };	/* 1, 0.5, 1 */
	unsigned a3[] = { 1, 3, 2 };	/* 1, 1.5, 2 */
	unsigned rr = 0;

	assert_int_equal(lb_balance_leastconn(w, a1, 3, &rr), 2);
	assert_int_equal(rr, 2);
	assert_int_equal(lb_balance_leastconn(w, a2, 3, &rr), 1);
	assert_int_equal(lb_balance_leastconn(w, a3, 3, &rr), 0);
}

/* Products above 2^32 must not wrap (active near UINT32_MAX, weight 256). */
static void
lc_no_overflow(void **state LB_UNUSED)
{
	static const int w[] = { 256, 1 };
	/* 2^24 - 1 per weight vs 2^24: 2^24 * 256 wraps to 0 in 32 bits */
	unsigned a[] = { 256u * 16777215u, 16777216u };
	unsigned start, rr;

	/* either member compared first */
	for (start = 0; start < 2; start++) {
		a[1] = 16777216u;
		rr = start;
		assert_int_equal(lb_balance_leastconn(w, a, 2, &rr), 0);
		a[1] = 16777214u;
		rr = start;
		assert_int_equal(lb_balance_leastconn(w, a, 2, &rr), 1);
	}
}

static void
lc_ties_round_robin(void **state LB_UNUSED)
{
	static const int w[] = { 1, 1, 1, 1 };
	static const int w2[] = { 2, 1, 2, 1 };
	unsigned a[] = { 0, 0, 0, 0 };
	unsigned b[] = { 0, 5, 0, 5 };
	unsigned c[] = { 2, 1, 2, 1 };	/* all equal relative to weight */
	int seen[4] = { 0 };
	unsigned rr = 0;
	int i, p, prev;

	/* all tied: every member once per round, in rotation */
	prev = lb_balance_leastconn(w, a, 4, &rr);
	for (i = 0; i < 40; i++) {
		p = lb_balance_leastconn(w, a, 4, &rr);
		assert_int_equal(p, (prev + 1) % 4);
		seen[p]++;
		prev = p;
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(seen[i], 10);

	/* tie among 0 and 2 only: alternate */
	prev = lb_balance_leastconn(w, b, 4, &rr);
	assert_true(prev == 0 || prev == 2);
	for (i = 0; i < 10; i++) {
		p = lb_balance_leastconn(w, b, 4, &rr);
		assert_int_equal(p, prev == 0 ? 2 : 0);
		prev = p;
	}

	/* ties are decided by ratio, not raw count */
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 40; i++)
		seen[lb_balance_leastconn(w2, c, 4, &rr)]++;
	for (i = 0; i < 4; i++)
		assert_int_equal(seen[i], 10);

	/* a stale rr beyond n (the pool shrank) is still fine */
	rr = 1000;
	p = lb_balance_leastconn(w, a, 4, &rr);
	assert_true(p >= 0 && p < 4);
}

static void
lc_weight_zero(void **state LB_UNUSED)
{
	static const int w[] = { 0, 1, 0 };
	static const int zero[] = { 0, 0, 0 };
	unsigned a[] = { 0, 100, 0 };
	unsigned rr = 0;
	int i;

	for (i = 0; i < 10; i++)
		assert_int_equal(lb_balance_leastconn(w, a, 3, &rr), 1);
	rr = 0;
	assert_int_equal(lb_balance_leastconn(zero, a, 3, &rr), -1);
	assert_int_equal(rr, 0);
	assert_int_equal(lb_balance_leastconn(w, a, 0, &rr), -1);
}

/* Long-lived connections end up spread in proportion to weight. */
static void
lc_fill_by_weight(void **state LB_UNUSED)
{
	static const int w[] = { 3, 1, 0, 2 };
	unsigned a[4] = { 0 };
	unsigned rr = 0;
	int i, p;

	for (i = 0; i < 600; i++) {
		p = lb_balance_leastconn(w, a, 4, &rr);
		assert_true(p >= 0);
		a[p]++;
	}
	assert_int_equal(a[0], 300);
	assert_int_equal(a[1], 100);
	assert_int_equal(a[2], 0);
	assert_int_equal(a[3], 200);
}

/* ---------------------------------------------------------------- hash */

/*
 * Golden values: SOURCE_IP stickiness across processes, hosts and upgrades
 * depends on these never changing. If this fails, every client moves.
 */
#define GOLDEN_KEY_M1		0x29cbddfdb6114507ULL
#define GOLDEN_KEY_UUID0	0x3e84057fca3bc182ULL
#define GOLDEN_CLIENT_V4	0xf64866da7537d961ULL	/* 192.0.2.1 */
#define GOLDEN_CLIENT_V6	0x10906e3ab3cfc402ULL	/* 2001:db8::1 */
#define GOLDEN_PICK_0		5	/* 10.1.0.1 over m1..m10 */
#define GOLDEN_PICK_1		0	/* 10.1.0.2 */
#define GOLDEN_PICK_9999	5	/* 2001:db8:a::594:270f */

static void
hash_golden(void **state LB_UNUSED)
{
	struct sockaddr_storage ss;
	uint64_t key[10];
	static const int w[10] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };

	assert_true(lb_balance_member_key("m1") == GOLDEN_KEY_M1);
	assert_true(lb_balance_member_key(uuids[0]) == GOLDEN_KEY_UUID0);
	make_v4(&ss, 0xc0000201u, 1234);	/* 192.0.2.1 */
	assert_true(lb_balance_client_hash((struct sockaddr *)&ss) ==
	    GOLDEN_CLIENT_V4);
	make_v6(&ss, "2001:db8::1", 1234);
	assert_true(lb_balance_client_hash((struct sockaddr *)&ss) ==
	    GOLDEN_CLIENT_V6);

	keys_of(mids, 10, key);
	assert_int_equal(lb_balance_hash(key, w, 10, clients[0]), GOLDEN_PICK_0);
	assert_int_equal(lb_balance_hash(key, w, 10, clients[1]), GOLDEN_PICK_1);
	assert_int_equal(lb_balance_hash(key, w, 10, clients[9999]),
	    GOLDEN_PICK_9999);
}

static void
hash_member_key(void **state LB_UNUSED)
{
	uint64_t key[10], k2[10];
	size_t i, j;

	keys_of(uuids, 10, key);
	keys_of(uuids, 10, k2);
	for (i = 0; i < 10; i++) {
		assert_true(key[i] == k2[i]);
		for (j = 0; j < i; j++)
			assert_true(key[i] != key[j]);
	}
	assert_true(lb_balance_member_key("m1") != lb_balance_member_key("m10"));
	assert_true(lb_balance_member_key("m1") != lb_balance_member_key("m1 "));
}

/* SOURCE_IP_PORT: the port counts; the same flow always hashes the same; it spreads. */
static void
hash_flow_has_port(void **state LB_UNUSED)
{
	struct sockaddr_storage a, b;
	uint64_t ha, key[2];
	static const int w[2] = { 1, 1 };
	unsigned hits[2] = { 0, 0 };
	int port, idx;

	make_v4(&a, 0x0a000001u, 40000);
	make_v4(&b, 0x0a000001u, 40000);
	ha = lb_balance_client_hash((struct sockaddr *)&a);
	assert_true(lb_balance_flow_hash(ha, (struct sockaddr *)&a) ==
	    lb_balance_flow_hash(ha, (struct sockaddr *)&b));
	make_v4(&b, 0x0a000001u, 40001);
	assert_true(lb_balance_flow_hash(ha, (struct sockaddr *)&a) !=
	    lb_balance_flow_hash(ha, (struct sockaddr *)&b));
	make_v6(&a, "2001:db8::42", 80);
	make_v6(&b, "2001:db8::42", 81);
	ha = lb_balance_client_hash((struct sockaddr *)&a);
	assert_true(lb_balance_flow_hash(ha, (struct sockaddr *)&a) !=
	    lb_balance_flow_hash(ha, (struct sockaddr *)&b));
	/* one address, 1000 source ports, two members: both get a fair share */
	keys_of(mids, 2, key);
	for (port = 30000; port < 31000; port++) {
		make_v4(&a, 0xc0000201u, (uint16_t)port);
		ha = lb_balance_client_hash((struct sockaddr *)&a);
		idx = lb_balance_hash(key, w, 2, lb_balance_flow_hash(ha, (struct sockaddr *)&a));
		assert_in_range(idx, 0, 1);
		hits[idx]++;
	}
	assert_in_range(hits[0], 400, 600);
}

static void
hash_client_ignores_port(void **state LB_UNUSED)
{
	struct sockaddr_storage a, b;

	make_v4(&a, 0x0a000001u, 1);
	make_v4(&b, 0x0a000001u, 65535);
	assert_true(lb_balance_client_hash((struct sockaddr *)&a) ==
	    lb_balance_client_hash((struct sockaddr *)&b));
	make_v4(&b, 0x0a000002u, 1);
	assert_true(lb_balance_client_hash((struct sockaddr *)&a) !=
	    lb_balance_client_hash((struct sockaddr *)&b));

	make_v6(&a, "2001:db8::42", 80);
	make_v6(&b, "2001:db8::42", 51515);
	((struct sockaddr_in6 *)&b)->sin6_flowinfo = htonl(7);
	assert_true(lb_balance_client_hash((struct sockaddr *)&a) ==
	    lb_balance_client_hash((struct sockaddr *)&b));
	make_v6(&b, "2001:db8::43", 80);
	assert_true(lb_balance_client_hash((struct sockaddr *)&a) !=
	    lb_balance_client_hash((struct sockaddr *)&b));
}

/* A dual-stack listener sees ::ffff:10.0.0.1; it must hash like 10.0.0.1. */
static void
hash_client_v4_mapped(void **state LB_UNUSED)
{
	struct sockaddr_storage a, b;

	make_v4(&a, 0x0a000001u, 1000);
	make_v6(&b, "::ffff:10.0.0.1", 2000);
	assert_true(lb_balance_client_hash((struct sockaddr *)&a) ==
	    lb_balance_client_hash((struct sockaddr *)&b));
	/* but not the IPv4-compatible or a different v6 form */
	make_v6(&b, "::10.0.0.1", 2000);
	assert_true(lb_balance_client_hash((struct sockaddr *)&a) !=
	    lb_balance_client_hash((struct sockaddr *)&b));
}

static void
hash_client_distinct(void **state LB_UNUSED)
{
	int i, j, dup = 0;

	/* no collisions among the 10,000 test clients (v4 and v6) */
	for (i = 0; i < NCLIENTS; i++)
		for (j = i + 1; j < NCLIENTS; j++)
			if (clients[i] == clients[j])
				dup++;
	assert_int_equal(dup, 0);
}

static void
hash_sticky(void **state LB_UNUSED)
{
	static const int w[] = { 1, 2, 1, 3, 1 };
	uint64_t key[5];
	int i, p;

	keys_of(uuids, 5, key);
	for (i = 0; i < NCLIENTS; i += 7) {
		p = lb_balance_hash(key, w, 5, clients[i]);
		assert_true(p >= 0 && p < 5);
		assert_int_equal(lb_balance_hash(key, w, 5, clients[i]), p);
		assert_int_equal(lb_balance_hash(key, w, 5, client_n(i)), p);
	}
}

/* Another instance listing the same members in another order agrees. */
static void
hash_order_independent(void **state LB_UNUSED)
{
	static const int w[] = { 1, 2, 3, 1, 1, 2 };
	static const int perm[] = { 4, 2, 5, 0, 3, 1 };
	uint64_t key[6], pkey[6];
	int pw[6], i;

	keys_of(mids, 6, key);
	for (i = 0; i < 6; i++) {
		pkey[i] = key[perm[i]];
		pw[i] = w[perm[i]];
	}
	for (i = 0; i < NCLIENTS; i++)
		assert_int_equal(lb_balance_hash(key, w, 6, clients[i]),
		    perm[lb_balance_hash(pkey, pw, 6, clients[i])]);
}

/* Share of clients per member is within 2 points of weight / total. */
static void
check_distribution(const char *const *ids, const int *w, size_t n)
{
	static int out[NCLIENTS];
	uint64_t key[MAXM];
	int count[MAXM] = { 0 };
	double share, want;
	int total = 0, i;

	keys_of(ids, n, key);
	for (i = 0; i < (int)n; i++)
		total += w[i];
	assign(key, w, n, out);
	for (i = 0; i < NCLIENTS; i++) {
		assert_true(out[i] >= 0 && out[i] < (int)n);
		count[out[i]]++;
	}
	for (i = 0; i < (int)n; i++) {
		share = (double)count[i] / NCLIENTS;
		want = (double)w[i] / total;
		print_message("    %-38s w=%-3d %5.2f%% (want %5.2f%%)\n",
		    ids[i], w[i], share * 100, want * 100);
		assert_true(share > want - 0.02 && share < want + 0.02);
		if (w[i] == 0)
			assert_int_equal(count[i], 0);
	}
}

static void
hash_distribution(void **state LB_UNUSED)
{
	static const int eq3[] = { 1, 1, 1 };
	static const int w4[] = { 1, 2, 3, 4 };
	static const int w5[] = { 10, 0, 10, 256, 50 };
	static const int eq10[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };

	check_distribution(mids, eq3, 3);
	check_distribution(uuids, w4, 4);
	check_distribution(mids, w5, 5);
	check_distribution(uuids, eq10, 10);
	check_distribution(mids, eq10, 10);
}

static void
hash_weight_zero(void **state LB_UNUSED)
{
	static const int w[] = { 1, 0, 1 };
	static const int zero[] = { 0, 0, 0 };
	uint64_t key[3];
	int i;

	keys_of(mids, 3, key);
	for (i = 0; i < NCLIENTS; i++)
		assert_int_not_equal(lb_balance_hash(key, w, 3, clients[i]), 1);
	assert_int_equal(lb_balance_hash(key, zero, 3, clients[0]), -1);
	assert_int_equal(lb_balance_hash(key, w, 0, clients[0]), -1);
}

/*
 * Remove member r from n (by weight 0, as health does, and by dropping it
 * from the array, as a reload does): only r's clients move, at most 1/n + 2%
 * of all, and putting r back restores the original mapping.
 */
static double
check_removal(const char *const *ids, const int *w, size_t n, size_t r)
{
	static int before[NCLIENTS], after[NCLIENTS], back[NCLIENTS];
	uint64_t key[MAXM], ckey[MAXM];
	int wz[MAXM], cw[MAXM], cidx[MAXM];
	int i, moved = 0, total = 0, p;
	size_t j, m = 0;

	keys_of(ids, n, key);
	assign(key, w, n, before);
	for (j = 0; j < n; j++)
		total += w[j];

	/* health: weight 0 */
	memcpy(wz, w, n * sizeof(*w));
	wz[r] = 0;
	assign(key, wz, n, after);
	for (i = 0; i < NCLIENTS; i++) {
		assert_int_not_equal(after[i], (int)r);
		if (after[i] != before[i]) {
			assert_int_equal(before[i], (int)r);
			moved++;
		}
	}
	assert_true(moved <= NCLIENTS * ((double)w[r] / total + 0.02));

	/* reload: r no longer in the (compacted) array */
	for (j = 0; j < n; j++) {
		if (j == r)
			continue;
		ckey[m] = key[j];
		cw[m] = w[j];
		cidx[m++] = (int)j;
	}
	for (i = 0; i < NCLIENTS; i++) {
		p = lb_balance_hash(ckey, cw, m, clients[i]);
		assert_int_equal(cidx[p], after[i]);
	}

	/* r comes back: everyone is where they started */
	assign(key, w, n, back);
	assert_memory_equal(before, back, sizeof(before));
	return (double)moved / NCLIENTS;
}

static void
hash_removal(void **state LB_UNUSED)
{
	static const int eq[10] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	static const int wt[5] = { 3, 1, 4, 1, 5 };
	static const size_t ns[] = { 3, 5, 10 };
	double f, worst;
	size_t k, r;

	for (k = 0; k < LB_ARRAY_SIZE(ns); k++) {
		worst = 0;
		for (r = 0; r < ns[k]; r++) {
			f = check_removal(mids, eq, ns[k], r);
			if (f > worst)
				worst = f;
			f = check_removal(uuids, eq, ns[k], r);
			if (f > worst)
				worst = f;
		}
		print_message("    N=%zu: worst removal moved %.2f%% (1/N = %.2f%%)\n",
		    ns[k], worst * 100, 100.0 / (double)ns[k]);
	}
	for (r = 0; r < 5; r++) {
		f = check_removal(uuids, wt, 5, r);
		print_message("    weights 3,1,4,1,5: removing w=%d moved %.2f%%\n",
		    wt[r], f * 100);
	}
}

/* Raising one member's weight only pulls clients towards that member. */
static void
hash_reweight(void **state LB_UNUSED)
{
	static int before[NCLIENTS], after[NCLIENTS];
	int w[5] = { 1, 1, 1, 1, 1 };
	uint64_t key[5];
	int i, moved = 0;

	keys_of(mids, 5, key);
	assign(key, w, 5, before);
	w[2] = 3;
	assign(key, w, 5, after);
	for (i = 0; i < NCLIENTS; i++) {
		if (after[i] != before[i]) {
			assert_int_equal(after[i], 2);
			moved++;
		}
	}
	/* 20% -> 3/7 = 42.9%: about 22.9% of clients move */
	assert_in_range(moved, NCLIENTS * 20 / 100, NCLIENTS * 26 / 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wrr_sequence_5_1_1),
		cmocka_unit_test(wrr_no_burst),
		cmocka_unit_test(wrr_smooth_windows),
		cmocka_unit_test(wrr_exact_cycle),
		cmocka_unit_test(wrr_weight_zero),
		cmocka_unit_test(wrr_weight_change),
		cmocka_unit_test(wrr_flapping),
		cmocka_unit_test(wrr_heavy_leaves),
		cmocka_unit_test(lc_relative_to_weight),
		cmocka_unit_test(lc_no_overflow),
		cmocka_unit_test(lc_ties_round_robin),
		cmocka_unit_test(lc_weight_zero),
		cmocka_unit_test(lc_fill_by_weight),
		cmocka_unit_test(hash_golden),
		cmocka_unit_test(hash_member_key),
		cmocka_unit_test(hash_client_ignores_port),
		cmocka_unit_test(hash_flow_has_port),
		cmocka_unit_test(hash_client_v4_mapped),
		cmocka_unit_test(hash_client_distinct),
		cmocka_unit_test(hash_sticky),
		cmocka_unit_test(hash_order_independent),
		cmocka_unit_test(hash_distribution),
		cmocka_unit_test(hash_weight_zero),
		cmocka_unit_test(hash_removal),
		cmocka_unit_test(hash_reweight),
	};

	return cmocka_run_group_tests(tests, setup_clients, NULL);
}
