/*
 * metrics.h: the optional Prometheus text endpoint (lbproxy.metrics.listen)
 * on the main thread. The request latency histograms it shows are the
 * listeners' own (latency.h, in struct lb_frontend).
 */
#ifndef LB_METRICS_H
#define LB_METRICS_H

struct event_base;
struct lb_metrics;

/* Prometheus text endpoint on "host:port". Returns new or NULL with errno. */
struct lb_metrics *lb_metrics_new(struct event_base *base, const char *listen);
void lb_metrics_free(struct lb_metrics *mx);

#endif
