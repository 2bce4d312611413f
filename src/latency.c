/* latency.c: request latency histograms, see latency.h. */
#include "config.h"

#include "lbproxy/latency.h"

const uint64_t lb_latency_le_us[LB_LATENCY_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};
const char *const lb_latency_le[LB_LATENCY_BUCKETS] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
	"1", "2.5", "5", "10",
};

void
lb_latency_observe(struct lb_latency *l, unsigned ms)
{
	uint64_t us = (uint64_t)ms * 1000;
	size_t i;

	for (i = 0; i < LB_LATENCY_BUCKETS; i++)
		if (us <= lb_latency_le_us[i])
			break;
	atomic_fetch_add_explicit(&l->count[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&l->sum_ms, ms, memory_order_relaxed);
}

void
lb_latency_read(const struct lb_latency *l, uint64_t *counts, uint64_t *sum_ms)
{
	size_t i;

	for (i = 0; i <= LB_LATENCY_BUCKETS; i++)
		counts[i] += atomic_load_explicit(&l->count[i], memory_order_relaxed);
	*sum_ms += atomic_load_explicit(&l->sum_ms, memory_order_relaxed);
}
