/*
 * test_metrics.c: unit tests for src/metrics.c: the Prometheus exposition
 * of proc_fixture's state (member status as computed by member.c), label
 * escaping, the histogram, and binding once the port is free.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "lbproxy/frontend.h"
#include "lbproxy/latency.h"
#include "lbproxy/member.h"
#include "lbproxy/metrics.h"
#include "lbproxy/proc.h"

#include "proc_fixture.h"

static int
free_tcp_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(s);
	return port;
}

struct http_job {
	int		 port;
	const char	*req;
	char		 reply[262144];
	size_t		 len;
};

static void
http_thread(void *arg)
{
	struct http_job *j = arg;
	struct sockaddr_in sin;
	ssize_t r;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)j->port);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		(void)send(s, j->req, strlen(j->req), MSG_NOSIGNAL);
		while ((r = recv(s, j->reply + j->len, sizeof(j->reply) - 1 - j->len, 0)) > 0)
			j->len += (size_t)r;
	}
	j->reply[j->len] = '\0';
	close(s);
}

/* Send j's request from a thread while base's loop turns. */
static void
http_job_run(struct event_base *base, struct http_job *j)
{
	static struct fx_client c;

	memset(&c, 0, sizeof(c));
	c.fn = http_thread;
	c.arg = j;
	j->len = 0;
	fx_client_run(base, &c);
}

static void
test_metrics(void **state)
{
	struct event_base *base = event_base_new();
	static struct http_job j;
	struct lb_metrics *mx;
	char listen_at[64];
	const char *body;
	char clen[64];

	(void)state;
	assert_null(lb_metrics_new(base, "nonsense"));
	assert_null(lb_metrics_new(base, "127.0.0.1:99999"));
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%d", free_tcp_port());
	mx = lb_metrics_new(base, listen_at);
	assert_non_null(mx);

	/* the histogram is the listener's own (its frontend's) */
	lb_latency_observe(&fx_fe->lat, 0);
	lb_latency_observe(&fx_fe->lat, 1);
	lb_latency_observe(&fx_fe->lat, 3);
	lb_latency_observe(&fx_fe->lat, 20000);

	memset(&j, 0, sizeof(j));
	j.port = atoi(strrchr(listen_at, ':') + 1);
	j.req = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
	http_job_run(base, &j);
	assert_true(strncmp(j.reply, "HTTP/1.0 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(j.reply, "Content-Type: text/plain; version=0.0.4"));
	body = strstr(j.reply, "\r\n\r\n");
	assert_non_null(body);
	body += 4;
	snprintf(clen, sizeof(clen), "Content-Length: %zu\r\n", strlen(body));
	assert_non_null(strstr(j.reply, clen));
	assert_non_null(strstr(body, "# TYPE lbproxy_up gauge\nlbproxy_up 1\n"));
	assert_non_null(strstr(body, "lbproxy_info{version=\"" PACKAGE_VERSION "\"} 1\n"));
	assert_non_null(strstr(body, "lbproxy_frontend_connections_current{vip=\"vip1\"} 3\n"));
	assert_non_null(strstr(body, "lbproxy_frontend_connections_total{vip=\"vip1\"} 10\n"));
	assert_non_null(strstr(body, "lbproxy_frontend_bytes_in_total{vip=\"vip1\"} 1000\n"));
	assert_non_null(strstr(body, "lbproxy_frontend_bytes_out_total{vip=\"vip1\"} 2000\n"));
	assert_non_null(strstr(body, "lbproxy_member_up{pool=\"pool1\",member=\"m1\","
	    "address=\"127.0.0.1:8001\"} 1\n"));
	assert_non_null(strstr(body, "lbproxy_member_up{pool=\"pool1\",member=\"m2\","
	    "address=\"127.0.0.1:8002\"} 0\n"));
	assert_non_null(strstr(body, "lbproxy_member_state{pool=\"pool1\",member=\"m2\","
	    "address=\"127.0.0.1:8002\",state=\"DOWN\"} 1\n"));
	assert_non_null(strstr(body, "lbproxy_member_state{pool=\"pool1\",member=\"m2\","
	    "address=\"127.0.0.1:8002\",state=\"UP\"} 0\n"));
	assert_non_null(strstr(body, "lbproxy_member_connections_current{pool=\"pool1\","
	    "member=\"m1\",address=\"127.0.0.1:8001\"} 2\n"));
	assert_non_null(strstr(body, "lbproxy_member_connections_total{pool=\"pool1\","
	    "member=\"m3\",address=\"127.0.0.1:8003\"} 4\n"));
	assert_non_null(strstr(body, "lbproxy_member_bytes_out_total{pool=\"pool1\","
	    "member=\"m1\",address=\"127.0.0.1:8001\"} 1200\n"));
	assert_non_null(strstr(body, "lbproxy_member_connect_errors_total{pool=\"pool1\","
	    "member=\"m2\",address=\"127.0.0.1:8002\"} 2\n"));
	assert_non_null(strstr(body, "lbproxy_member_responses_total{pool=\"pool1\","
	    "member=\"m1\",address=\"127.0.0.1:8001\",code=\"2xx\"} 6\n"));
	assert_non_null(strstr(body, "lbproxy_member_check_duration_seconds{pool=\"pool1\","
	    "member=\"m1\",address=\"127.0.0.1:8001\"} 0.003\n"));
	assert_non_null(strstr(body, "# TYPE lbproxy_http_request_duration_seconds histogram\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_bucket{vip=\"vip1\",le=\"0.001\"} 2\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_bucket{vip=\"vip1\",le=\"0.0025\"} 2\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_bucket{vip=\"vip1\",le=\"0.005\"} 3\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_bucket{vip=\"vip1\",le=\"10\"} 3\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_bucket{vip=\"vip1\",le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_sum{vip=\"vip1\"} 20.004\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_count{vip=\"vip1\"} 4\n"));

	/* label values are escaped */
	{
		char *old = fx_mem[0]->id;

		fx_mem[0]->id = (char *)"a\"b\\c";
		memset(&j, 0, sizeof(j));
		j.port = atoi(strrchr(listen_at, ':') + 1);
		j.req = "GET /metrics HTTP/1.0\r\n\r\n";
		http_job_run(base, &j);
		fx_mem[0]->id = old;
		assert_non_null(strstr(j.reply, "member=\"a\\\"b\\\\c\""));
	}

	memset(&j, 0, sizeof(j));
	j.port = atoi(strrchr(listen_at, ':') + 1);
	j.req = "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
	http_job_run(base, &j);
	assert_true(strncmp(j.reply, "HTTP/1.0 405 ", 13) == 0);

	lb_metrics_free(mx);
	event_base_free(base);
}

/* The port is still held (by the old process of a -sf takeover): bind it once it is free. */
static void
test_metrics_port_busy(void **state)
{
	struct event_base *base = event_base_new();
	static struct http_job j;
	struct sockaddr_in sin;
	struct lb_metrics *mx;
	char listen_at[64];
	int one = 1, blocker, port = free_tcp_port();
	uint64_t until;

	(void)state;
	blocker = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(blocker, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(blocker, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(blocker, 1), 0);
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%d", port);
	mx = lb_metrics_new(base, listen_at);
	assert_non_null(mx);
	close(blocker);
	until = lb_now_ms() + 1500;
	while (lb_now_ms() < until) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(5000);
	}
	memset(&j, 0, sizeof(j));
	j.port = port;
	j.req = "GET /metrics HTTP/1.0\r\n\r\n";
	http_job_run(base, &j);
	assert_true(strncmp(j.reply, "HTTP/1.0 200 OK\r\n", 17) == 0);
	lb_metrics_free(mx);
	event_base_free(base);
}

/* GET path on the metrics listener at port: the reply (static buffer). */
static const char *
get(struct event_base *base, int port, const char *req)
{
	static struct http_job j;

	memset(&j, 0, sizeof(j));
	j.port = port;
	j.req = req;
	http_job_run(base, &j);
	return j.reply;
}

/* "/" and "/status" are the status page, "/status.json" its data, the rest metrics. */
static void
test_status_page(void **state)
{
	struct event_base *base = event_base_new();
	struct lb_metrics *mx;
	char listen_at[64];
	int port = free_tcp_port();
	const char *r, *body;
	json_t *doc, *rows, *row, *lat;
	size_t i;
	int seen_m1 = 0, seen_m2 = 0, seen_fe = 0, seen_be = 0;

	(void)state;
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%d", port);
	mx = lb_metrics_new(base, listen_at);
	assert_non_null(mx);

	r = get(base, port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.0 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(r, "Content-Type: text/html; charset=utf-8\r\n"));
	assert_non_null(strstr(r, "Content-Security-Policy: default-src 'none';"));
	assert_non_null(strstr(r, "<!DOCTYPE html>"));
	assert_non_null(strstr(r, "fetch('status.json'"));
	/* self-contained: nothing is loaded from anywhere */
	assert_null(strstr(r, "src=\""));
	assert_null(strstr(r, "href="));
	assert_null(strstr(r, "http://"));
	assert_null(strstr(r, "https://"));
	r = get(base, port, "GET /status?refresh=1 HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, "<!DOCTYPE html>"));
	r = get(base, port, "HEAD /status HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, "Content-Type: text/html"));
	assert_null(strstr(r, "<!DOCTYPE html>"));
	r = get(base, port, "GET /anything HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, "lbproxy_up 1\n"));

	r = get(base, port, "GET /status.json HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, "Content-Type: application/json\r\n"));
	body = strstr(r, "\r\n\r\n");
	assert_non_null(body);
	doc = json_loads(body + 4, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "info"),
	    "Name")), PACKAGE_NAME);
	assert_true(json_is_integer(json_object_get(json_object_get(doc, "info"), "Pid")));
	assert_true(json_is_integer(json_object_get(doc, "now_ms")));
	assert_true(json_is_integer(json_object_get(doc, "mono_ms")));
	rows = json_object_get(doc, "rows");
	assert_true(json_is_array(rows));
	json_array_foreach(rows, i, row) {
		const char *sv = json_string_value(json_object_get(row, "svname"));
		const char *st = json_string_value(json_object_get(row, "status"));

		if (strcmp(sv, "m1") == 0 && strcmp(st, "UP") == 0)
			seen_m1 = 1;
		if (strcmp(sv, "m2") == 0 && strcmp(st, "DOWN") == 0)
			seen_m2 = 1;
		seen_fe |= strcmp(sv, "FRONTEND") == 0;
		seen_be |= strcmp(sv, "BACKEND") == 0;
	}
	assert_true(seen_m1 && seen_m2 && seen_fe && seen_be);
	lat = json_object_get(doc, "latency");
	assert_int_equal(json_array_size(json_object_get(lat, "le_ms")), 13);
	assert_int_equal(json_array_size(json_object_get(lat, "counts")), 14);
	assert_true(json_real_value(json_array_get(json_object_get(lat, "le_ms"), 0)) == 1.0);
	json_decref(doc);

	lb_metrics_free(mx);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_metrics, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_metrics_port_busy, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_status_page, fx_setup, fx_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
