/*
 * latency.h: a request latency histogram (latency.c) kept on the object it
 * measures (a listener's frontend), fed by every worker with relaxed atomic
 * adds and read by the main thread for the metrics and the status page.
 */
#ifndef LB_LATENCY_H
#define LB_LATENCY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define LB_LATENCY_BUCKETS	13

/* Upper bounds in microseconds, ascending, and as Prometheus prints them. */
extern const uint64_t lb_latency_le_us[LB_LATENCY_BUCKETS];
extern const char *const lb_latency_le[LB_LATENCY_BUCKETS];

struct lb_latency {
	_Atomic uint64_t	count[LB_LATENCY_BUCKETS + 1];	/* per bucket, +Inf last */
	_Atomic uint64_t	sum_ms;
};

/* Count one request that took ms (any thread). */
void lb_latency_observe(struct lb_latency *l, unsigned ms);
/* Add l's per-bucket counts to counts[LB_LATENCY_BUCKETS + 1] and its sum to *sum_ms. */
void lb_latency_read(const struct lb_latency *l, uint64_t *counts, uint64_t *sum_ms);

#endif
