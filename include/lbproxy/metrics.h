/*
 * metrics.h: the optional Prometheus text endpoint (lbproxy.metrics.listen)
 * on the main thread, and the request latency histogram workers feed.
 */
#ifndef LB_METRICS_H
#define LB_METRICS_H

struct event_base;
struct lb_metrics;

/* Prometheus text endpoint on "host:port". Returns new or NULL with errno. */
struct lb_metrics *lb_metrics_new(struct event_base *base, const char *listen);
void lb_metrics_free(struct lb_metrics *mx);
/* Record one HTTP request's total time for the latency histogram (any thread). */
void lb_metrics_observe_ms(unsigned ms);

#endif
