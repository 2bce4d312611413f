/* test_http_write.c: regenerated heads, error responses, reasons (http_write.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "lbproxy/http_body.h"
#include "lbproxy/http_parse.h"
#include "lbproxy/http_write.h"
#include "http_helpers.h"

/* ------------------------------------------------------------------ */
/* Writers */

/* Drain an evbuffer into a NUL-terminated malloc'ed string. */
static char *
drain(struct evbuffer *b)
{
	size_t	 n = evbuffer_get_length(b);
	char	*s = malloc(n + 1);

	assert_non_null(s);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

static int
count_substr(const char *s, const char *sub)
{
	int	n = 0;

	while ((s = strstr(s, sub)) != NULL) {
		n++;
		s += strlen(sub);
	}
	return n;
}

static char *
write_req(const char *in, const struct lb_http_fwd *fwd)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s;

	assert_int_equal(req(in), 0);
	assert_int_equal(lb_http_write_request(b, &msg, fwd), 0);
	s = drain(b);
	evbuffer_free(b);
	return s;
}

static void
test_write_req_hop(void **state)
{
	struct lb_http_fwd	 fwd = { .client_ip = "10.0.0.9" };
	char			*s;

	s = write_req("POST /p?q HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Hop\r\n"
	    "Keep-Alive: 5\r\nX-Hop: 1\r\nProxy-Connection: x\r\nTE: gzip\r\nUpgrade: foo\r\n"
	    "Content-Length: 3\r\nX-Keep: yes\r\nTrailer: X-T\r\n\r\n", &fwd);
	assert_string_equal(s,
	    "POST /p?q HTTP/1.1\r\nHost: a\r\nX-Keep: yes\r\nTrailer: X-T\r\n"
	    "Content-Length: 3\r\nX-Forwarded-For: 10.0.0.9\r\n\r\n");
	free(s);
}

static void
test_write_req_xff_append(void **state)
{
	struct lb_http_fwd	 fwd = { .client_ip = "10.0.0.9" };
	char			*s;

	s = write_req("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2\r\n"
	    "X-A: b\r\nx-forwarded-for: 3.3.3.3\r\n\r\n", &fwd);
	assert_int_equal(count_substr(s, "X-Forwarded-For"), 1);
	assert_non_null(strstr(s, "X-Forwarded-For: 1.1.1.1, 2.2.2.2, 3.3.3.3, 10.0.0.9\r\n"));
	free(s);
	/* without client_ip the client's header passes unchanged */
	s = write_req("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1\r\n\r\n", NULL);
	assert_string_equal(s, "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1\r\n\r\n");
	free(s);
}

static void
test_write_req_xfp(void **state)
{
	struct lb_http_fwd	 fwd = { .proto = "https", .port = 443 };
	char			*s;

	s = write_req("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: http\r\n"
	    "X-Forwarded-Port: 1\r\n\r\n", &fwd);
	assert_string_equal(s, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "X-Forwarded-Proto: https\r\nX-Forwarded-Port: 443\r\n\r\n");
	free(s);
}

static void
test_write_req_chunked(void **state)
{
	char	*s;

	s = write_req("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n", NULL);
	assert_int_equal(count_substr(s, "Transfer-Encoding: chunked\r\n"), 1);
	assert_null(strstr(s, "CHUNKED"));
	assert_null(strstr(s, "Content-Length"));
	free(s);
}

static void
test_write_req_framing(void **state)
{
	char	*s;

	s = write_req("GET / HTTP/1.1\r\nHost: a\r\n\r\n", NULL);
	assert_null(strstr(s, "Content-Length"));
	assert_null(strstr(s, "Transfer-Encoding"));
	free(s);
	s = write_req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", NULL);
	assert_int_equal(count_substr(s, "Content-Length: 0\r\n"), 1);
	free(s);
	s = write_req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446\r\n\r\n", NULL);
	assert_int_equal(count_substr(s, "Content-Length: 18446\r\n"), 1);
	free(s);
}

static void
test_write_req_upgrade(void **state)
{
	char	*s;

	s = write_req("GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
	    "Sec-WebSocket-Key: k\r\n\r\n", NULL);
	assert_string_equal(s, "GET /chat HTTP/1.1\r\nHost: a\r\nSec-WebSocket-Key: k\r\n"
	    "Connection: upgrade\r\nUpgrade: websocket\r\n\r\n");
	free(s);
}

static void
test_write_req_upgrade_te(void **state)
{
	char	*s;

	s = write_req("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, te\r\nTE: trailers\r\n"
	    "Upgrade: websocket\r\n\r\n", NULL);
	assert_string_equal(s, "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, te\r\n"
	    "TE: trailers\r\nUpgrade: websocket\r\n\r\n");
	free(s);
}

static void
test_write_req_te_trailers(void **state)
{
	char	*s;

	s = write_req("GET / HTTP/1.1\r\nHost: a\r\nTE: trailers, gzip\r\n\r\n", NULL);
	assert_string_equal(s, "GET / HTTP/1.1\r\nHost: a\r\nConnection: te\r\nTE: trailers\r\n\r\n");
	free(s);
}

static void
test_write_req_http10(void **state)
{
	struct lb_http_fwd	 fwd = { .default_host = "10.0.0.10" };
	char			*s;

	/* stays 1.0 so the member never answers chunked; member side kept alive */
	s = write_req("GET /x HTTP/1.0\r\nConnection: close\r\n\r\n", &fwd);
	assert_string_equal(s, "GET /x HTTP/1.0\r\nHost: 10.0.0.10\r\n"
	    "Connection: keep-alive\r\n\r\n");
	free(s);
	s = write_req("GET /x HTTP/1.0\r\nHost: h\r\nTE: trailers\r\n\r\n", &fwd);
	assert_string_equal(s, "GET /x HTTP/1.0\r\nHost: h\r\n"
	    "Connection: keep-alive, te\r\nTE: trailers\r\n\r\n");
	free(s);
	s = write_req("GET /x HTTP/1.0\r\n\r\n", NULL);
	assert_string_equal(s, "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	free(s);
}

static void
test_write_req_absolute_form(void **state)
{
	struct lb_http_fwd	 fwd = { .default_host = "10.0.0.10" };
	char			*s;

	s = write_req("GET http://B.example:8080/c?q HTTP/1.1\r\nX: 1\r\nHost: b.example:8080\r\n\r\n",
	    NULL);
	assert_string_equal(s, "GET /c?q HTTP/1.1\r\nX: 1\r\nHost: B.example:8080\r\n\r\n");
	free(s);
	s = write_req("GET http://b.example?q HTTP/1.1\r\nHost: b.example\r\n\r\n", NULL);
	assert_string_equal(s, "GET /?q HTTP/1.1\r\nHost: b.example\r\n\r\n");
	free(s);
	s = write_req("GET https://b.example HTTP/1.1\r\nHost: b.example\r\n\r\n", NULL);
	assert_string_equal(s, "GET / HTTP/1.1\r\nHost: b.example\r\n\r\n");
	free(s);
	s = write_req("OPTIONS http://b.example HTTP/1.1\r\nHost: b.example\r\n\r\n", NULL);
	assert_string_equal(s, "OPTIONS * HTTP/1.1\r\nHost: b.example\r\n\r\n");
	free(s);
	/* an HTTP/1.0 client without Host: the authority, not the default */
	s = write_req("GET http://b.example/c HTTP/1.0\r\n\r\n", &fwd);
	assert_string_equal(s, "GET /c HTTP/1.0\r\nHost: b.example\r\nConnection: keep-alive\r\n\r\n");
	free(s);
}

static void
test_write_req_roundtrip(void **state)
{
	struct lb_http_fwd	 fwd = { .client_ip = "::1", .proto = "http", .port = 80 };
	char			*s;

	s = write_req("PURGE /a HTTP/1.1\r\nHost: h\r\nConnection: x\r\nX: 1\r\nY: \t2\t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", &fwd);
	assert_int_equal(req(s), 0);
	assert_int_equal(msg.body, LB_BODY_CHUNKED);
	assert_null(lb_http_find(&msg, "x"));
	assert_string_equal(hval("y"), "2");
	assert_string_equal(hval("x-forwarded-for"), "::1");
	free(s);
}

static char *
write_resp(const char *in, enum lb_http_method method, int minor, bool ka, const char *extra)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s;

	assert_int_equal(resp_m(in, method), 0);
	assert_int_equal(lb_http_write_response(b, &msg, minor, ka, extra), 0);
	s = drain(b);
	evbuffer_free(b);
	return s;
}

static void
test_write_resp_basic(void **state)
{
	char	*s;

	s = write_resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, X-P\r\n"
	    "X-P: 1\r\nKeep-Alive: timeout=3\r\nX-A: b\r\n\r\nhi", LB_HTTP_GET, 1, true, NULL);
	assert_string_equal(s, "HTTP/1.1 200 OK\r\nX-A: b\r\nContent-Length: 2\r\n\r\n");
	free(s);
	s = write_resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", LB_HTTP_GET, 1, false,
	    "Set-Cookie: SRV=m1; path=/; HttpOnly\r\n");
	assert_string_equal(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n"
	    "Set-Cookie: SRV=m1; path=/; HttpOnly\r\n\r\n");
	free(s);
}

static void
test_write_resp_http10_client(void **state)
{
	char	*s;

	s = write_resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", LB_HTTP_GET, 0, true, NULL);
	assert_string_equal(s, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n");
	free(s);
	s = write_resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", LB_HTTP_GET, 0, false, NULL);
	assert_string_equal(s, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
	free(s);
}

static void
test_write_resp_chunked_http10(void **state)
{
	struct evbuffer	*b = evbuffer_new();

	assert_int_equal(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
	assert_int_equal(lb_http_write_response(b, &msg, 0, false, NULL), -1);
	assert_int_equal(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

static void
test_write_resp_chunked_close(void **state)
{
	char	*s;

	s = write_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", LB_HTTP_GET, 1,
	    true, NULL);
	assert_string_equal(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	free(s);
	s = write_resp("HTTP/1.1 200 OK\r\nX: y\r\n\r\n", LB_HTTP_GET, 1, false, NULL);
	assert_string_equal(s, "HTTP/1.1 200 OK\r\nX: y\r\nConnection: close\r\n\r\n");
	free(s);
}

static void
test_write_resp_no_body(void **state)
{
	char	*s;

	s = write_resp("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n", LB_HTTP_HEAD, 1, true, NULL);
	assert_string_equal(s, "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n");
	free(s);
	s = write_resp("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", LB_HTTP_GET, 1, true,
	    NULL);
	assert_string_equal(s, "HTTP/1.1 204 No Content\r\n\r\n");
	free(s);
	s = write_resp("HTTP/1.1 100 Continue\r\n\r\n", LB_HTTP_POST, 1, false, NULL);
	assert_string_equal(s, "HTTP/1.1 100 Continue\r\n\r\n");
	free(s);
	s = write_resp("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", LB_HTTP_GET, 1, true, NULL);
	assert_string_equal(s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	free(s);
}

static void
test_write_resp_101(void **state)
{
	char	*s;

	s = write_resp("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n"
	    "Upgrade: websocket\r\nSec-WebSocket-Accept: x\r\n\r\n", LB_HTTP_GET, 1, true, NULL);
	assert_string_equal(s, "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: x\r\n"
	    "Connection: upgrade\r\nUpgrade: websocket\r\n\r\n");
	free(s);
}

static void
test_write_error(void **state)
{
	static const int	 st[] = { 400, 408, 413, 414, 417, 431, 500, 501, 502, 503, 504, 505 };
	struct evbuffer		*b = evbuffer_new();
	struct lb_http_body	 body;
	char			*s;
	size_t			 i, used;

	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		lb_http_write_error(b, st[i], i % 2 == 0);
		s = drain(b);
		RESP_IS(s, 0);
		assert_int_equal(msg.status, st[i]);
		assert_int_equal(msg.body, LB_BODY_LENGTH);
		assert_int_equal(msg.keep_alive, i % 2 != 0);
		assert_non_null(strstr(s, lb_http_reason(st[i])));
		lb_http_body_init(&body, msg.body, msg.content_length, 0);
		assert_int_equal(lb_http_body_scan(&body, s + msg.head_len,
		    strlen(s) - msg.head_len, &used), LB_BODY_DONE);
		assert_int_equal(used, strlen(s) - msg.head_len);
		free(s);
	}
	evbuffer_free(b);
}

static void
test_reason(void **state)
{
	static const struct {
		int		 st;
		const char	*r;
	} t[] = {
		{ 100, "Continue" }, { 101, "Switching Protocols" }, { 200, "OK" },
		{ 204, "No Content" }, { 304, "Not Modified" }, { 400, "Bad Request" },
		{ 404, "Not Found" }, { 408, "Request Timeout" }, { 413, "Content Too Large" },
		{ 414, "URI Too Long" }, { 417, "Expectation Failed" },
		{ 431, "Request Header Fields Too Large" }, { 500, "Internal Server Error" },
		{ 501, "Not Implemented" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(lb_http_reason(t[i].st), t[i].r);
	assert_non_null(lb_http_reason(999));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_req_hop),
		cmocka_unit_test(test_write_req_xff_append),
		cmocka_unit_test(test_write_req_xfp),
		cmocka_unit_test(test_write_req_chunked),
		cmocka_unit_test(test_write_req_framing),
		cmocka_unit_test(test_write_req_upgrade),
		cmocka_unit_test(test_write_req_te_trailers),
		cmocka_unit_test(test_write_req_upgrade_te),
		cmocka_unit_test(test_write_req_http10),
		cmocka_unit_test(test_write_req_absolute_form),
		cmocka_unit_test(test_write_req_roundtrip),
		cmocka_unit_test(test_write_resp_basic),
		cmocka_unit_test(test_write_resp_http10_client),
		cmocka_unit_test(test_write_resp_chunked_close),
		cmocka_unit_test(test_write_resp_chunked_http10),
		cmocka_unit_test(test_write_resp_no_body),
		cmocka_unit_test(test_write_resp_101),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
