/*
 * metrics.c: the optional Prometheus endpoint (text exposition format
 * 0.0.4). A tiny HTTP/1.0 server on the main thread: a GET is answered
 * with every metric, then the connection is closed; "/" and "/status" are
 * the live status page instead and "/status.json" its data (status_page.c).
 * The request latency histograms are the listeners' (latency.c), fed by
 * the workers.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "lbproxy/config.h"
#include "lbproxy/frontend.h"
#include "lbproxy/latency.h"
#include "lbproxy/log.h"
#include "lbproxy/member.h"
#include "lbproxy/metrics.h"
#include "lbproxy/oneshot.h"
#include "lbproxy/proc.h"
#include "lbproxy/snapshot.h"
#include "lbproxy/status_page.h"

#define METRICS_MAX_HEAD	8192	/* request head bytes accepted */
#define METRICS_READ_TIMEOUT_S	5
#define METRICS_WRITE_TIMEOUT_S	10
#define METRICS_BACKLOG		32
#define METRICS_RETRY_S		1	/* address in use: try binding again */
#define METRICS_RETRY_MAX	60	/* ... this many times, then give up */
#define METRICS_PATH_MAX	256	/* request target bytes looked at */

#define CT_METRICS	"text/plain; version=0.0.4; charset=utf-8"

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

struct lb_metrics {
	struct event_base	*base;
	struct lb_oneshot	*srv;		/* NULL while waiting for the address */
	struct event		*retry;		/* retries the bind */
	int			 retries;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	char			*listen;
};

/* --- exposition ------------------------------------------------------------ */

/* Append s as a label value: backslash, double quote and newline escaped. */
static void
label(struct evbuffer *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			evbuffer_add(out, "\\\\", 2);
		else if (*s == '"')
			evbuffer_add(out, "\\\"", 2);
		else if (*s == '\n')
			evbuffer_add(out, "\\n", 2);
		else
			evbuffer_add(out, s, 1);
	}
}

static void
family(struct evbuffer *out, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{pool="..",member="..",address=".."} value */
static void
member_sample(struct evbuffer *out, const char *name, const struct lb_snap_pool *sp,
    const struct lb_member *m, const char *extra_key, const char *extra_val, uint64_t v)
{
	evbuffer_add_printf(out, "%s{pool=\"", name);
	label(out, sp->conf->id);
	evbuffer_add(out, "\",member=\"", 10);
	label(out, m->id);
	evbuffer_add(out, "\",address=\"", 11);
	label(out, m->name);
	if (extra_key != NULL) {
		evbuffer_add_printf(out, "\",%s=\"", extra_key);
		label(out, extra_val);
	}
	evbuffer_add_printf(out, "\"} %" PRIu64 "\n", v);
}

/* name{vip=".."} (v1) or name{listener=".."} (v2) value */
static void
fe_sample(struct evbuffer *out, const char *name, const struct lb_snapshot *snap,
    const struct lb_snap_listener *sl, uint64_t v)
{
	evbuffer_add_printf(out, "%s{%s=\"", name, snap->conf->dialect == LB_DIALECT_V2 ?
	    "listener" : "vip");
	label(out, sl->conf->id);
	evbuffer_add_printf(out, "\"} %" PRIu64 "\n", v);
}

/* One counter/gauge family over every member of every pool: v(m) gives the value. */
static void
member_family(struct evbuffer *out, const struct lb_snapshot *snap, const char *name,
    const char *type, const char *help, uint64_t (*v)(const struct lb_member *))
{
	size_t i, j;

	family(out, name, type, help);
	for (j = 0; j < snap->n_pools; j++)
		for (i = 0; i < snap->pools[j].n; i++)
			member_sample(out, name, &snap->pools[j], snap->pools[j].members[i],
			    NULL, NULL, v(snap->pools[j].members[i]));
}

static uint64_t m_active(const struct lb_member *m) { return LD(m->active); }
static uint64_t m_stot(const struct lb_member *m) { return LD(m->c.stot); }
static uint64_t m_bin(const struct lb_member *m) { return LD(m->c.bin); }
static uint64_t m_bout(const struct lb_member *m) { return LD(m->c.bout); }
static uint64_t m_econ(const struct lb_member *m) { return LD(m->c.econ); }
static uint64_t m_eresp(const struct lb_member *m) { return LD(m->c.eresp); }
static uint64_t m_chkfail(const struct lb_member *m) { return m->chkfail; }
static uint64_t m_chkdown(const struct lb_member *m) { return m->chkdown; }

static uint64_t
m_weight(const struct lb_member *m)
{
	int w = LD(m->weight);

	return w > 0 ? (uint64_t)w : 0;
}

/* Whether some pool of snap has HTTP traffic, or a health monitor. */
static bool
any_pool(const struct lb_snapshot *snap, bool http)
{
	size_t j;

	for (j = 0; j < snap->n_pools; j++)
		if (http ? snap->pools[j].conf->http : snap->pools[j].conf->hm != NULL)
			return true;
	return false;
}

static void
write_members(struct evbuffer *out, const struct lb_snapshot *snap)
{
	static const char *const codes[] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };
	size_t i, j, p;

	family(out, "lbproxy_member_up", "gauge",
	    "1 if the member takes new traffic (status UP or no check, weight above 0), else 0.");
	for (p = 0; p < snap->n_pools; p++)
		for (i = 0; i < snap->pools[p].n; i++)
			member_sample(out, "lbproxy_member_up", &snap->pools[p],
			    snap->pools[p].members[i], NULL, NULL, lb_member_serving(
			    snap->pools[p].members[i], snap->pools[p].conf->admin_state_up));
	family(out, "lbproxy_member_state", "gauge",
	    "Member status as on the stats socket: 1 for the current state.");
	for (p = 0; p < snap->n_pools; p++)
		for (i = 0; i < snap->pools[p].n; i++) {
			const struct lb_member *m = snap->pools[p].members[i];
			enum lb_member_status st = lb_member_status(m,
			    snap->pools[p].conf->admin_state_up);

			for (j = 0; j <= LB_MEMBER_NOCHECK; j++)
				member_sample(out, "lbproxy_member_state", &snap->pools[p], m,
				    "state", lb_member_status_names[j],
				    st == (enum lb_member_status)j);
		}
	member_family(out, snap, "lbproxy_member_weight", "gauge",
	    "Current weight (configured or set on the stats socket).", m_weight);
	member_family(out, snap, "lbproxy_member_connections_current", "gauge",
	    "Connections open to the member.", m_active);
	member_family(out, snap, "lbproxy_member_connections_total", "counter",
	    "Connections or requests sent to the member.", m_stot);
	member_family(out, snap, "lbproxy_member_bytes_in_total", "counter",
	    "Bytes received from clients and sent to the member.", m_bin);
	member_family(out, snap, "lbproxy_member_bytes_out_total", "counter",
	    "Bytes received from the member and sent to clients.", m_bout);
	member_family(out, snap, "lbproxy_member_connect_errors_total", "counter",
	    "Failed connection attempts to the member.", m_econ);
	member_family(out, snap, "lbproxy_member_response_errors_total", "counter",
	    "Invalid or aborted responses from the member.", m_eresp);
	if (any_pool(snap, true)) {
		family(out, "lbproxy_member_responses_total", "counter",
		    "HTTP responses from the member by status class.");
		for (p = 0; p < snap->n_pools; p++)
			for (i = 0; snap->pools[p].conf->http && i < snap->pools[p].n; i++)
				for (j = 1; j <= LB_ARRAY_SIZE(codes); j++) {
					size_t k = j % LB_ARRAY_SIZE(codes);	/* 1xx..5xx, then other */

					member_sample(out, "lbproxy_member_responses_total",
					    &snap->pools[p], snap->pools[p].members[i], "code",
					    codes[k], LD(snap->pools[p].members[i]->c.hrsp[k]));
				}
	}
	if (any_pool(snap, false)) {
		member_family(out, snap, "lbproxy_member_check_failures_total", "counter",
		    "Failed health checks.", m_chkfail);
		member_family(out, snap, "lbproxy_member_down_transitions_total", "counter",
		    "UP to DOWN transitions.", m_chkdown);
		family(out, "lbproxy_member_check_duration_seconds", "gauge",
		    "Duration of the last completed health check.");
		for (p = 0; p < snap->n_pools; p++)
			for (i = 0; i < snap->pools[p].n; i++) {
				const struct lb_member *m = snap->pools[p].members[i];

				if (m->check_status == LB_CHK_UNKNOWN)
					continue;
				evbuffer_add_printf(out, "lbproxy_member_check_duration_seconds"
				    "{pool=\"");
				label(out, snap->pools[p].conf->id);
				evbuffer_add(out, "\",member=\"", 10);
				label(out, m->id);
				evbuffer_add(out, "\",address=\"", 11);
				label(out, m->name);
				evbuffer_add_printf(out, "\"} %d.%03d\n", m->check_duration_ms /
				    1000, m->check_duration_ms % 1000);
			}
	}
}

static bool
any_listener_http(const struct lb_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->n_listeners; i++)
		if (snap->listeners[i].conf->http)
			return true;
	return false;
}

/* One frontend family: v(fe) for every listener (HTTP listeners only if http). */
static void
fe_family(struct evbuffer *out, const struct lb_snapshot *snap, const char *name,
    const char *type, const char *help, bool http, int which)
{
	size_t i;

	family(out, name, type, help);
	for (i = 0; i < snap->n_listeners; i++) {
		const struct lb_snap_listener *sl = &snap->listeners[i];
		const struct lb_frontend *fe = sl->fe;
		uint64_t v;

		if (sl->conf->protocol == LB_PROTO_PROMETHEUS || (http && !sl->conf->http))
			continue;
		switch (which) {
		case 0: v = LD(fe->conns); break;
		case 1: v = LD(fe->c.stot); break;
		case 2: v = LD(fe->c.bin); break;
		case 3: v = LD(fe->c.bout); break;
		case 4: v = LD(fe->c.dcon); break;
		case 6: v = LD(fe->h2_conns); break;
		case 7: v = LD(fe->h2_streams); break;
		default: v = LD(fe->c.req_tot); break;
		}
		fe_sample(out, name, snap, sl, v);
	}
}

/* One listener's histogram: its own label set, cumulative buckets. */
static void
histogram(struct evbuffer *out, const char *name, const struct lb_snapshot *snap,
    const struct lb_snap_listener *sl)
{
	const char *key = snap->conf->dialect == LB_DIALECT_V2 ? "listener" : "vip";
	uint64_t counts[LB_LATENCY_BUCKETS + 1] = { 0 }, cum = 0, sum_ms = 0;
	size_t i;

	lb_latency_read(&sl->fe->lat, counts, &sum_ms);
	for (i = 0; i <= LB_LATENCY_BUCKETS; i++) {
		cum += counts[i];
		evbuffer_add_printf(out, "%s_bucket{%s=\"", name, key);
		label(out, sl->conf->id);
		evbuffer_add_printf(out, "\",le=\"%s\"} %" PRIu64 "\n",
		    i < LB_LATENCY_BUCKETS ? lb_latency_le[i] : "+Inf", cum);
	}
	evbuffer_add_printf(out, "%s_sum{%s=\"", name, key);
	label(out, sl->conf->id);
	evbuffer_add_printf(out, "\"} %" PRIu64 ".%03" PRIu64 "\n", sum_ms / 1000, sum_ms % 1000);
	evbuffer_add_printf(out, "%s_count{%s=\"", name, key);
	label(out, sl->conf->id);
	evbuffer_add_printf(out, "\"} %" PRIu64 "\n", cum);
}

/* Request durations, per HTTP listener (the frontend keeps them across reloads). */
static void
write_histograms(struct evbuffer *out, const struct lb_snapshot *snap)
{
	static const char name[] = "lbproxy_http_request_duration_seconds";
	size_t i;

	family(out, name, "histogram", "Time from the first request byte to the end of the response.");
	for (i = 0; i < snap->n_listeners; i++)
		if (snap->listeners[i].conf->http)
			histogram(out, name, snap, &snap->listeners[i]);
}

/* The whole exposition, built from lb_proc on the main thread. */
static void
write_metrics(struct evbuffer *out)
{
	const struct lb_snapshot *snap = lb_proc.snap;

	family(out, "lbproxy_up", "gauge", "1 while lbproxy is running.");
	evbuffer_add_printf(out, "lbproxy_up 1\n");
	family(out, "lbproxy_info", "gauge", "Version information.");
	evbuffer_add_printf(out, "lbproxy_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	family(out, "lbproxy_start_time_seconds", "gauge", "Start time, seconds since the epoch.");
	evbuffer_add_printf(out, "lbproxy_start_time_seconds %" PRId64 "\n", lb_proc.start_wall);
	family(out, "lbproxy_reloads_total", "counter", "Configuration reloads.");
	evbuffer_add_printf(out, "lbproxy_reloads_total %" PRIu64 "\n", lb_proc.reloads);
	if (snap != NULL) {
		fe_family(out, snap, "lbproxy_frontend_connections_current", "gauge",
		    "Client connections open now.", false, 0);
		fe_family(out, snap, "lbproxy_frontend_connections_total", "counter",
		    "Client connections accepted.", false, 1);
		fe_family(out, snap, "lbproxy_frontend_bytes_in_total", "counter",
		    "Bytes received from clients.", false, 2);
		fe_family(out, snap, "lbproxy_frontend_bytes_out_total", "counter",
		    "Bytes sent to clients.", false, 3);
		fe_family(out, snap, "lbproxy_frontend_connections_denied_total", "counter",
		    "Connections closed at accept: not from allowed_cidrs.", false, 4);
		if (any_listener_http(snap)) {
			fe_family(out, snap, "lbproxy_frontend_requests_total", "counter",
			    "HTTP requests.", true, 5);
			fe_family(out, snap, "lbproxy_frontend_h2_connections_total", "counter",
			    "HTTP/2 client connections.", true, 6);
			fe_family(out, snap, "lbproxy_frontend_h2_streams_total", "counter",
			    "HTTP/2 streams forwarded as requests.", true, 7);
		}
		write_members(out, snap);
		if (any_listener_http(snap))
			write_histograms(out, snap);
	}
}

/* --- HTTP ------------------------------------------------------------------ */

/* The status page may only talk to this listener: no external asset can load. */
static const char page_headers[] =
    "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; connect-src 'self'\r\n"
    "X-Content-Type-Options: nosniff\r\n";

static void
respond(struct lb_oneshot_conn *c, int code, const char *reason, const char *ctype,
    struct evbuffer *body, int head)
{
	struct evbuffer *out = lb_oneshot_conn_reply(c);
	size_t len = body != NULL ? evbuffer_get_length(body) : 0;

	evbuffer_add_printf(out, "HTTP/1.0 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-cache\r\n"
	    "%s"
	    "Connection: close\r\n\r\n",
	    code, reason, ctype, len,
	    strncmp(ctype, "text/html", 9) == 0 ? page_headers : "");
	if (body != NULL && !head)
		evbuffer_add_buffer(out, body);
}

static void
respond_text(struct lb_oneshot_conn *c, int code, const char *reason)
{
	struct evbuffer *body = evbuffer_new();

	if (body != NULL)
		evbuffer_add_printf(body, "%d %s\n", code, reason);
	respond(c, code, reason, "text/plain", body, 0);
	evbuffer_free(body);
}

/* status.json: every listener's requests in one histogram, as the status page reads it. */
static int
write_status_json(struct evbuffer *out)
{
	const struct lb_snapshot *snap = lb_proc.snap;
	uint64_t counts[LB_LATENCY_BUCKETS + 1] = { 0 };
	struct lb_status_latency lat = {
		.n = LB_LATENCY_BUCKETS, .le_us = lb_latency_le_us, .counts = counts,
	};
	size_t i;

	for (i = 0; snap != NULL && i < snap->n_listeners; i++)
		lb_latency_read(&snap->listeners[i].fe->lat, counts, &lat.sum_ms);
	return lb_status_page_json(out, &lat);
}

/* The request line's method and path (query dropped), each NUL-terminated and cut to size. */
static void
request_line(const unsigned char *p, size_t len, char *method, size_t msize, char *path,
    size_t psize)
{
	size_t i = 0, j;

	for (j = 0; i < len && p[i] != ' ' && p[i] != '\r' && p[i] != '\n'; i++)
		if (j + 1 < msize)
			method[j++] = (char)p[i];
	method[j] = '\0';
	if (i < len && p[i] == ' ')
		i++;
	for (j = 0; i < len && p[i] != ' ' && p[i] != '?' && p[i] != '\r' && p[i] != '\n'; i++)
		if (j + 1 < psize)
			path[j++] = (char)p[i];
	path[j] = '\0';
}

static void
client_request(struct lb_oneshot_conn *c, struct evbuffer *in)
{
	struct evbuffer_ptr end;
	struct evbuffer *body;
	char method[8], path[METRICS_PATH_MAX];
	const char *ctype = CT_METRICS;
	size_t n;
	unsigned char *p;

	end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos == -1)
		end = evbuffer_search(in, "\n\n", 2, NULL);
	if (end.pos == -1) {
		if (evbuffer_get_length(in) > METRICS_MAX_HEAD)
			respond_text(c, 431, "Request Header Fields Too Large");
		return;
	}
	n = evbuffer_get_length(in) < sizeof(method) + sizeof(path) ?
	    evbuffer_get_length(in) : sizeof(method) + sizeof(path);
	if ((p = evbuffer_pullup(in, (ev_ssize_t)n)) == NULL)
		n = 0;
	request_line(p, n, method, sizeof(method), path, sizeof(path));
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		respond_text(c, 405, "Method Not Allowed");
		return;
	}
	body = evbuffer_new();
	if (body == NULL) {
		respond_text(c, 500, "Internal Server Error");
		return;
	}
	/* the status page and its data; every other path gets the metrics */
	if (strcmp(path, "/") == 0 || strcmp(path, "/status") == 0) {
		lb_status_page_html(body);
		ctype = "text/html; charset=utf-8";
	} else if (strcmp(path, "/status.json") == 0) {
		if (write_status_json(body) == -1) {
			evbuffer_free(body);
			respond_text(c, 500, "Internal Server Error");
			return;
		}
		ctype = "application/json";
	} else
		write_metrics(body);
	respond(c, 200, "OK", ctype, body, strcmp(method, "HEAD") == 0);
	evbuffer_free(body);
}

static const struct lb_oneshot_ops metrics_ops = {
	.what = "metrics",
	.read_timeout_s = METRICS_READ_TIMEOUT_S,
	.write_timeout_s = METRICS_WRITE_TIMEOUT_S,
	.read_max = METRICS_MAX_HEAD + 4,
	/* unread request bytes are dropped and the reply ends with a FIN, not a reset */
	.flags = LB_ONESHOT_SHUT_WR,
	.request = client_request,
};

/* Parse "host:port", "[v6]:port", ":port" or "*:port" (any address). */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon, *h = s;
	size_t hlen;
	char *end;
	long port;

	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return -1;
		h = s + 1;
		hlen = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hlen = (size_t)(colon - s);
	}
	if (hlen >= sizeof(host))
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 1 || port > 65535)
		return -1;
	if (hlen == 0 || strcmp(host, "*") == 0)
		strcpy(host, "0.0.0.0");
	return lb_addr_parse(host, (int)port, ss, len);
}

static int
bind_listener(struct lb_metrics *mx)
{
	mx->srv = lb_oneshot_bind(mx->base, (struct sockaddr *)&mx->addr, mx->addrlen,
	    METRICS_BACKLOG, &metrics_ops, mx->listen);
	return mx->srv == NULL ? -1 : 0;
}

/* The address was in use: try again, up to METRICS_RETRY_MAX times. */
static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lb_metrics *mx = arg;
	struct timeval tv = { METRICS_RETRY_S, 0 };

	(void)fd;
	(void)what;
	if (bind_listener(mx) == 0) {
		lb_notice("metrics listening on %s", mx->listen);
		return;
	}
	if (errno == EADDRINUSE && ++mx->retries < METRICS_RETRY_MAX) {
		evtimer_add(mx->retry, &tv);
		return;
	}
	lb_err("metrics %s: giving up: %s", mx->listen, strerror(errno));
}

/*
 * An address in use is retried every second for a minute rather than
 * refused: during a -sf takeover the old process holds the port until it
 * starts draining. Other errors fail at once.
 */
struct lb_metrics *
lb_metrics_new(struct event_base *base, const char *listen)
{
	struct lb_metrics *mx = NULL;
	struct timeval tv = { METRICS_RETRY_S, 0 };
	int saved;

	mx = calloc(1, sizeof(*mx));
	if (mx == NULL)
		return NULL;
	if (listen == NULL || parse_listen(listen, &mx->addr, &mx->addrlen) == -1) {
		errno = EINVAL;
		goto fail;
	}
	mx->base = base;
	mx->listen = strdup(listen);
	mx->retry = evtimer_new(base, retry_cb, mx);
	if (mx->listen == NULL || mx->retry == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	if (bind_listener(mx) == 0) {
		lb_info("metrics listening on %s", listen);
		return mx;
	}
	if (errno == EADDRINUSE) {
		lb_warn("metrics %s: address in use, retrying every %d s", listen, METRICS_RETRY_S);
		evtimer_add(mx->retry, &tv);
		return mx;
	}
fail:
	saved = errno;
	if (mx->retry != NULL)
		event_free(mx->retry);
	free(mx->listen);
	free(mx);
	errno = saved;
	return NULL;
}

void
lb_metrics_free(struct lb_metrics *mx)
{
	if (mx == NULL)
		return;
	lb_oneshot_free(mx->srv);
	event_free(mx->retry);
	free(mx->listen);
	free(mx);
}
