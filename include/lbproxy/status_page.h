/*
 * status_page.h: the live status page the metrics listener serves: one
 * self-contained HTML document (inline CSS and JavaScript, no external
 * asset) that polls a JSON document every second and redraws every
 * frontend, backend and member from it. The JSON is built from what the
 * stats socket answers ("show stat json", "show info"), so the page follows
 * whatever listeners and pools the stats rows describe. Main thread only.
 */
#ifndef LB_STATUS_PAGE_H
#define LB_STATUS_PAGE_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/* A request-latency histogram (metrics.c's): borrowed for the call. */
struct lb_status_latency {
	size_t		 n;		/* finite buckets */
	const uint64_t	*le_us;		/* their upper bounds, microseconds, ascending */
	const uint64_t	*counts;	/* n + 1 per-bucket (not cumulative) counts, +Inf last */
	uint64_t	 sum_ms;
};

/* Append the page to out. */
void lb_status_page_html(struct evbuffer *out);
/*
 * Append the JSON document the page polls to out: {"info": show info as an
 * object, "rows": the show stat json rows, "latency": {"le_ms": [...],
 * "counts": [...], "sum_ms": N}, "now_ms": wall clock, "mono_ms": monotonic
 * clock (for rates)}. lat may be NULL.
 * Returns 0, or -1 if it could not be built (nothing appended).
 */
int lb_status_page_json(struct evbuffer *out, const struct lb_status_latency *lat);

#endif
