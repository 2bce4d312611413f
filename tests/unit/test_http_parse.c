/* test_http_parse.c: strict request and response heads (http_parse.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lbproxy/http_body.h"
#include "lbproxy/http_parse.h"
#include "http_helpers.h"

/* ------------------------------------------------------------------ */
/* The named result itself */

static void
test_parse_result(void **state)
{
	const char	*s = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	const char	*r = "HTTP/1.1 200 OK\r\nX-A: 0123456789\r\n\r\n";
	struct lb_http_limits lim = deflim;

	memset(&msg, 0, sizeof(msg));
	msg.hdrs = hdrs;
	msg.hdr_cap = MAX_HDRS;
	assert_int_equal(lb_http_parse_request(s, strlen(s), &deflim, &msg, &err), LB_HTTP_OK);
	assert_int_equal(msg.head_len, strlen(s));
	assert_int_equal(lb_http_parse_request(s, 10, &deflim, &msg, &err), LB_HTTP_PARTIAL);
	s = "GET / HTTP/2.0\r\nHost: a\r\n\r\n";
	assert_int_equal(lb_http_parse_request(s, strlen(s), &deflim, &msg, &err), LB_HTTP_INVALID);
	assert_int_equal(err.status, 505);
	assert_string_equal(err.why, "HTTP major version is not 1");
	/* a response is answered 502 whatever is wrong with it, here its size */
	lim.max_header_bytes = 10;
	assert_int_equal(lb_http_parse_response(r, strlen(r), &lim, LB_HTTP_GET, &msg, &err),
	    LB_HTTP_INVALID);
	assert_int_equal(err.status, 502);
	assert_string_equal(err.why, "header section too large");
}

/* ------------------------------------------------------------------ */
/* Valid requests */

static void
test_req_simple(void **state)
{
	const char *s = "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";

	REQ_IS(s, 0);
	assert_int_equal(msg.method, LB_HTTP_GET);
	assert_int_equal(msg.method_len, 3);
	assert_int_equal(msg.uri_len, strlen("/index.html?q=1"));
	assert_memory_equal(msg.uri, "/index.html?q=1", msg.uri_len);
	assert_int_equal(msg.major, 1);
	assert_int_equal(msg.minor, 1);
	assert_int_equal(msg.n_hdrs, 2);
	assert_int_equal(msg.head_len, strlen(s));
	assert_int_equal(msg.body, LB_BODY_NONE);
	assert_true(msg.keep_alive);
	assert_false(msg.upgrade);
	assert_false(msg.expect_continue);
	assert_int_equal(msg.host_len, 11);
	assert_memory_equal(msg.host, "example.com", 11);
	assert_null(why);
}

static void
test_req_pipelined(void **state)
{
	const char *s = "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n";

	REQ_IS(s, 0);
	assert_int_equal(msg.head_len, strlen(s) / 2);
}

static void
test_req_leading_crlf(void **state)
{
	const char *s = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";

	REQ_IS(s, 0);
	assert_int_equal(msg.head_len, strlen(s));
	assert_int_equal(msg.method, LB_HTTP_GET);
	REQ_IS("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("\r\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

static void
test_req_http10(void **state)
{
	REQ_IS("GET / HTTP/1.0\r\n\r\n", 0);
	assert_int_equal(msg.minor, 0);
	assert_false(msg.keep_alive);
	assert_null(msg.host);
	REQ_IS("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0);
	assert_true(msg.keep_alive);
	REQ_IS("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0);
	assert_false(msg.keep_alive);
	REQ_IS("GET / HTTP/1.0\r\nHost: a\r\n\r\n", 0);
	assert_int_equal(msg.host_len, 1);
}

static void
test_req_connection_close(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 0);
	assert_false(msg.keep_alive);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo\r\nConnection: CLOSE\r\n\r\n", 0);
	assert_false(msg.keep_alive);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", 0);
	assert_true(msg.keep_alive);
}

static void
test_req_value_whitespace(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nX-A: \t a\tb \t\r\n\r\n", 0);
	assert_string_equal(hval("x-a"), "a\tb");
}

static void
test_req_obs_text(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\xc3\xa9 \x80\xff\r\n\r\n", 0);
	assert_string_equal(hval("X-A"), "caf\xc3\xa9 \x80\xff");
}

static void
test_req_empty_value(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Sp:   \r\n\r\n", 0);
	assert_string_equal(hval("x-empty"), "");
	assert_string_equal(hval("x-sp"), "");
	assert_int_equal(msg.n_hdrs, 3);
}

static void
test_req_content_length(void **state)
{
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 0);
	assert_int_equal(msg.body, LB_BODY_LENGTH);
	assert_int_equal(msg.content_length, 0);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\ncontent-length:  12345 \r\n\r\n", 0);
	assert_int_equal(msg.body, LB_BODY_LENGTH);
	assert_int_equal(msg.content_length, 12345);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n", 0);
	assert_int_equal(msg.content_length, 7);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n", 0);
	assert_int_equal(msg.content_length, INT64_MAX);
	assert_true(hop("content-length"));
}

static void
test_req_chunked(void **state)
{
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 0);
	assert_int_equal(msg.body, LB_BODY_CHUNKED);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", 0);
	assert_int_equal(msg.body, LB_BODY_CHUNKED);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding:CHUNKED  \r\n\r\n", 0);
	assert_int_equal(msg.body, LB_BODY_CHUNKED);
	assert_true(hop("transfer-encoding"));
}

static void
test_req_host_forms(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", 0);
	REQ_IS("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", 0);
	assert_int_equal(msg.host_len, 8);
	REQ_IS("GET / HTTP/1.1\r\nHost: [2001:db8::1]\r\n\r\n", 0);
	REQ_IS("GET / HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n", 0);
	REQ_IS("GET / HTTP/1.1\r\nHost: a-b_c~d.example\r\n\r\n", 0);
	REQ_IS("GET / HTTP/1.1\r\nHost: xn--caf-dma.example:\r\n\r\n", 0);
	REQ_IS("GET / HTTP/1.1\r\nHost: a%2Db\r\n\r\n", 0);
	REQ_IS("GET / HTTP/1.1\r\nhOsT: A\r\n\r\n", 0);
}

static void
test_req_methods(void **state)
{
	static const struct {
		const char		*name;
		enum lb_http_method	 m;
	} t[] = {
		{ "GET", LB_HTTP_GET }, { "HEAD", LB_HTTP_HEAD }, { "POST", LB_HTTP_POST },
		{ "PUT", LB_HTTP_PUT }, { "DELETE", LB_HTTP_DELETE },
		{ "OPTIONS", LB_HTTP_OPTIONS }, { "TRACE", LB_HTTP_TRACE },
		{ "PATCH", LB_HTTP_PATCH }, { "PROPFIND", LB_HTTP_OTHER },
		{ "PURGE", LB_HTTP_OTHER }, { "FOO", LB_HTTP_OTHER },
		{ "X-CUSTOM!", LB_HTTP_OTHER }, { "get", LB_HTTP_OTHER },
	};
	char	buf[128];
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(buf, sizeof(buf), "%s /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n",
		    t[i].name);
		REQ_IS(buf, 0);
		assert_int_equal(msg.method, t[i].m);
		assert_int_equal(msg.method_len, strlen(t[i].name));
		assert_memory_equal(msg.method_str, t[i].name, msg.method_len);
		assert_int_equal(msg.content_length, 3);
	}
}

static void
test_req_minor_version(void **state)
{
	REQ_IS("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 0);
	assert_int_equal(msg.minor, 1);
	REQ_IS("GET / HTTP/1.9\r\n\r\n", 400);	/* treated as 1.1: Host needed */
}

static void
test_req_target_forms(void **state)
{
	REQ_IS("GET http://example.com/x HTTP/1.1\r\nHost: example.com\r\n\r\n", 0);
	REQ_IS("GET HTTPS://example.com/x HTTP/1.1\r\nHost: example.com\r\n\r\n", 0);
	REQ_IS("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0);
	REQ_IS("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET example.com/x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET ftp://example.com/x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET /a%20b?c=d&e=%2F HTTP/1.1\r\nHost: a\r\n\r\n", 0);
}

/* The target forwarded, as lb_http_write_request writes it (static buffer). */
static const char *
fwd_target(void)
{
	static char	buf[256];

	snprintf(buf, sizeof(buf), "%s%.*s", msg.path_slash ? "/" : "", (int)msg.path_len, msg.path);
	return buf;
}

static void
test_req_origin_target(void **state)
{
	REQ_IS("GET /a?b HTTP/1.1\r\nHost: h\r\n\r\n", 0);
	assert_string_equal(fwd_target(), "/a?b");
	assert_ptr_equal(msg.path, msg.uri);
	REQ_IS("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", 0);
	assert_string_equal(fwd_target(), "*");
}

static void
test_req_absolute_form(void **state)
{
	/* forwarded in origin-form, the authority replaces Host (RFC 9112 3.2.2) */
	REQ_IS("GET http://b.example/c HTTP/1.1\r\nHost: b.example\r\n\r\n", 0);
	assert_string_equal(fwd_target(), "/c");
	assert_int_equal(msg.uri_len, strlen("http://b.example/c"));
	assert_int_equal(msg.host_len, 9);
	assert_memory_equal(msg.host, "b.example", 9);
	REQ_IS("GET https://b.example:8443/c/d?q=1&r HTTP/1.1\r\nHost: b.example:8443\r\n\r\n", 0);
	assert_string_equal(fwd_target(), "/c/d?q=1&r");
	assert_string_equal(hval("host"), "b.example:8443");
	/* the Host field agrees case-insensitively; the authority as written is kept */
	REQ_IS("GET HTTP://B.Example/c HTTP/1.1\r\nHost: b.EXAMPLE\r\n\r\n", 0);
	assert_string_equal(hval("host"), "B.Example");
	assert_memory_equal(msg.host, "B.Example", 9);
	REQ_IS("GET http://[::1]:80/ HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", 0);
	assert_string_equal(fwd_target(), "/");
	/* no path: "/", before the query if there is one */
	REQ_IS("GET http://b.example HTTP/1.1\r\nHost: b.example\r\n\r\n", 0);
	assert_string_equal(fwd_target(), "/");
	REQ_IS("GET http://b.example?q HTTP/1.1\r\nHost: b.example\r\n\r\n", 0);
	assert_string_equal(fwd_target(), "/?q");
	/* OPTIONS of the whole server (RFC 9112 3.2.4) */
	REQ_IS("OPTIONS http://b.example HTTP/1.1\r\nHost: b.example\r\n\r\n", 0);
	assert_string_equal(fwd_target(), "*");
	REQ_IS("OPTIONS http://b.example?x HTTP/1.1\r\nHost: b.example\r\n\r\n", 0);
	assert_string_equal(fwd_target(), "/?x");
	REQ_IS("OPTIONS http://b.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n", 0);
	assert_string_equal(fwd_target(), "/");
	/* HTTP/1.0 without Host: the authority is the host */
	REQ_IS("GET http://b.example/c HTTP/1.0\r\n\r\n", 0);
	assert_int_equal(msg.host_len, 9);
	assert_memory_equal(msg.host, "b.example", 9);
	assert_null(lb_http_find(&msg, "host"));
}

static void
test_req_absolute_form_bad(void **state)
{
	static const char *bad[] = {
		/* Host and authority disagree (port as written) */
		"GET http://b.example/c HTTP/1.1\r\nHost: a.example\r\n\r\n",
		"GET http://b.example/c HTTP/1.1\r\nHost: b.example:80\r\n\r\n",
		"GET http://b.example:80/c HTTP/1.1\r\nHost: b.example\r\n\r\n",
		"GET http://b.example/c HTTP/1.1\r\nHost: b.example.\r\n\r\n",
		"GET http://b.example/c HTTP/1.0\r\nHost: a\r\n\r\n",
		/* no valid authority */
		"GET http://user@b.example/c HTTP/1.1\r\nHost: b.example\r\n\r\n",
		"GET http://:80/c HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET http://b.example:8x/c HTTP/1.1\r\nHost: b.example:8x\r\n\r\n",
		"GET http://a,b/c HTTP/1.0\r\n\r\n",
		/* HTTP/1.1 still needs its Host */
		"GET http://b.example/c HTTP/1.1\r\n\r\n",
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		REQ_IS(bad[i], 400);
	REQ_IS(bad[0], 400);
	assert_string_equal(why, "Host differs from the request target's authority");
}

static void
test_req_fragment(void **state)
{
	REQ_IS("GET /c#f HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	assert_string_equal(why, "fragment in request target");
	REQ_IS("GET /c?q#f HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET /# HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET http://b.example/c#f HTTP/1.1\r\nHost: b.example\r\n\r\n", 400);
	assert_string_equal(why, "fragment in request target");
	REQ_IS("GET http://b.example#f HTTP/1.1\r\nHost: b.example\r\n\r\n", 400);
}

static void
test_req_expect(void **state)
{
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\n", 0);
	assert_true(msg.expect_continue);
	assert_false(hop("expect"));
	REQ_IS("POST / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", 0);
	assert_false(msg.expect_continue);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: foo\r\n\r\n", 0);
	assert_false(msg.expect_continue);
}

static void
test_req_upgrade(void **state)
{
	REQ_IS("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
	    "Upgrade: websocket\r\n\r\n", 0);
	assert_true(msg.upgrade);
	assert_true(hop("upgrade"));
	REQ_IS("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", 0);
	assert_false(msg.upgrade);
	REQ_IS("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", 0);
	assert_false(msg.upgrade);
	REQ_IS("POST /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n"
	    "Content-Length: 4\r\n\r\n", 0);
	assert_false(msg.upgrade);
	REQ_IS("GET /ws HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", 0);
	assert_false(msg.upgrade);
	/* only a request without a body switches protocols */
	REQ_IS("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 0);
	assert_false(msg.upgrade);
	REQ_IS("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
	    "Content-Length: 0\r\n\r\n", 0);
	assert_true(msg.upgrade);
}

static void
test_req_te_trailers(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nTE: deflate;q=0.5, Trailers\r\n\r\n", 0);
	assert_true(msg.te_trailers);
	assert_true(hop("te"));
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nTE: deflate\r\n\r\n", 0);
	assert_false(msg.te_trailers);
}

static void
test_req_hop_marking(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Secret, host, keep-alive\r\n"
	    "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nX-Secret: 1\r\n"
	    "x-secret: 2\r\nTrailer: X-T\r\nX-Forwarded-For: 1.2.3.4\r\nCookie: a=1\r\n\r\n", 0);
	assert_true(hop("connection"));
	assert_true(hop("keep-alive"));
	assert_true(hop("proxy-connection"));
	assert_true(hdrs[4].hop);
	assert_true(hdrs[5].hop);
	assert_false(hop("host"));	/* never removed through Connection */
	assert_false(hop("trailer"));
	assert_false(hop("x-forwarded-for"));
	assert_false(hop("cookie"));
}

/* ------------------------------------------------------------------ */
/* Ambiguous or malformed requests */

static void
test_req_cl_and_te(void **state)
{
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n", 400);
}

static void
test_req_cl_repeated(void **state)
{
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,6\r\n\r\n", 400);
}

static void
test_req_cl_malformed(void **state)
{
	static const char *bad[] = {
		"+5", "-1", "5a", "0x5", "", "5 5", "1e3", "99999999999999999999",
		"9223372036854775808", "\xd9\xa5",
	};
	char	buf[128];
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %s\r\n\r\n",
		    bad[i]);
		REQ_IS(buf, 400);
	}
}

static void
test_req_te_unsupported(void **state)
{
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 501);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x;p=1, chunked\r\n\r\n", 501);
}

static void
test_req_te_malformed(void **state)
{
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n", 400);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", 400);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunk ed\r\n\r\n", 400);
}

static void
test_req_te_repeated(void **state)
{
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400);
	REQ_IS("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400);
}

static void
test_req_te_http10(void **state)
{
	REQ_IS("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	REQ_IS("POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n", 400);
}

static void
test_req_space_before_colon(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding\t: chunked\r\n\r\n", 400);
}

static void
test_req_obs_fold(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400);
}

static void
test_req_bare_lf(void **state)
{
	REQ_IS("GET / HTTP/1.1\nHost: a\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\n\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nc\r\n\r\n", 400);
	assert_string_equal(why, "bare LF");
	/* Detected without waiting for the end of the head. */
	REQ_IS("GET / HTTP/1.1\nHost", 400);
}

static void
test_req_bare_cr(void **state)
{
	REQ_IS("GET / HTTP/1.1\rHost: a\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\n\rX", 400);
	REQ_IS("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

static void
test_req_ctl(void **state)
{
	static const char ctl[] = { 0x00, 0x01, 0x08, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f };
	char	buf[128];
	size_t	i, n;

	for (i = 0; i < sizeof(ctl); i++) {
		n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nX-A: b?c\r\n\r\n");
		*strchr(buf, '?') = ctl[i];
		assert_int_equal(req_n(buf, n), 400);
		n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nX?A: b\r\n\r\n");
		*strchr(buf, '?') = ctl[i];
		assert_int_equal(req_n(buf, n), 400);
		n = (size_t)snprintf(buf, sizeof(buf), "GET /? HTTP/1.1\r\nHost: a\r\n\r\n");
		*strchr(buf, '?') = ctl[i];
		assert_int_equal(req_n(buf, n), 400);
	}
}

static void
test_req_bad_field_name(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nX\x80: b\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nX\"A: b\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nX/A: b\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400);
	/* tchar punctuation is fine */
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nX!#$%&'*+-.^_`|~9: b\r\n\r\n", 0);
}

static void
test_req_empty_field_name(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400);
	assert_string_equal(why, "empty field name");
}

static void
test_req_line_malformed(void **state)
{
	REQ_IS("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET / http/1.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", 400);
}

static void
test_req_http09(void **state)
{
	REQ_IS("GET /\r\n", 400);
	REQ_IS("GET /\r\n\r\n", 400);
	REQ_IS("GET / \r\n\r\n", 400);
}

static void
test_req_version(void **state)
{
	REQ_IS("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
	REQ_IS("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505);
	REQ_IS("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505);
	REQ_IS("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET / HTTP/11.1\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET / HTTP/\r\nHost: a\r\n\r\n", 400);
}

static void
test_req_host_count(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nX: y\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400);
}

static void
test_req_host_invalid(void **state)
{
	static const char *bad[] = {
		"", "a b", "a,b", "a@b", "a/b", "[::1", "[]", "::1", "a:b", "a:123456",
		"a:1:2", "[::1]x", "%zz", "a%2", ":80", "a\"b", "a\x80",
	};
	char	buf[128];
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", bad[i]);
		REQ_IS(buf, 400);
	}
}

static void
test_req_connect(void **state)
{
	REQ_IS("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501);
	/* decided as soon as the method is known */
	REQ_IS("CONNECT ", 501);
}

static void
test_req_connection_malformed(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\"\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nConnection: a b\r\n\r\n", 400);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nConnection: , close ,\r\n\r\n", 0);
	assert_false(msg.keep_alive);
}

static void
test_req_second_opinion(void **state)
{
	/* Passes our checks; http-parser refuses the URL: the head is refused. */
	REQ_IS("GET http://#x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	assert_string_equal(why, "http-parser disagrees");
}

/* ------------------------------------------------------------------ */
/* Limits */

static void
test_limit_uri(void **state)
{
	struct lb_http_limits	lim = deflim;
	char			buf[256];

	lim.max_uri_bytes = 10;
	snprintf(buf, sizeof(buf), "GET /123456789 HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(req_lim_n(buf, strlen(buf), &lim), 0);
	snprintf(buf, sizeof(buf), "GET /1234567890 HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(req_lim_n(buf, strlen(buf), &lim), 414);
	/* before the line is complete */
	assert_int_equal(req_lim_n("GET /1234567890", 15, &lim), 414);
	assert_int_equal(req_lim_n("GET /123456789", 14, &lim), LB_HTTP_PARTIAL);
}

static void
test_limit_head_bytes(void **state)
{
	struct lb_http_limits	lim = deflim;
	const char		*s = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: 0123456789\r\n\r\n";
	size_t			n = strlen(s);

	lim.max_header_bytes = n;
	assert_int_equal(req_lim_n(s, n, &lim), 0);
	lim.max_header_bytes = n - 1;
	assert_int_equal(req_lim_n(s, n, &lim), 431);
	/* incomplete and already larger */
	assert_int_equal(req_lim_n(s, n - 2, &lim), LB_HTTP_PARTIAL);
	lim.max_header_bytes = 20;
	assert_int_equal(req_lim_n(s, 21, &lim), 431);
	assert_int_equal(req_lim_n(s, 20, &lim), LB_HTTP_PARTIAL);
	/* pipelined data after a head within the limit does not count */
	lim.max_header_bytes = n;
	{
		char big[512];

		snprintf(big, sizeof(big), "%sGET / HTTP/1.1\r\nHost: a\r\n\r\n", s);
		assert_int_equal(req_lim_n(big, strlen(big), &lim), 0);
		assert_int_equal(msg.head_len, n);
	}
}

static void
test_limit_header_line(void **state)
{
	struct lb_http_limits	 lim = deflim;
	size_t			 n = 4096;
	char			*buf = malloc(n + 64);

	assert_non_null(buf);
	lim.max_header_bytes = 1024;
	strcpy(buf, "GET / HTTP/1.1\r\nHost: a\r\nX-Long: ");
	memset(buf + strlen(buf), 'x', 2000);
	buf[33 + 2000] = '\0';
	strcat(buf, "\r\n\r\n");
	assert_int_equal(req_lim_n(buf, strlen(buf), &lim), 431);
	/* a single line longer than the limit, incomplete */
	assert_int_equal(req_lim_n(buf, 1500, &lim), 431);
	free(buf);
}

static void
test_limit_header_lines(void **state)
{
	struct lb_http_limits	lim = deflim;
	char			buf[2048];
	int			i;

	lim.max_header_lines = 10;
	strcpy(buf, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < 9; i++)
		sprintf(buf + strlen(buf), "X-%d: %d\r\n", i, i);
	strcat(buf, "\r\n");
	assert_int_equal(req_lim_n(buf, strlen(buf), &lim), 0);
	assert_int_equal(msg.n_hdrs, 10);
	buf[strlen(buf) - 2] = '\0';
	strcat(buf, "X-Z: z\r\n\r\n");
	assert_int_equal(req_lim_n(buf, strlen(buf), &lim), 431);
	/* the caller's array is the bound too */
	lim.max_header_lines = 100;
	memset(&msg, 0, sizeof(msg));
	msg.hdrs = hdrs;
	msg.hdr_cap = 5;
	assert_int_equal(verdict(lb_http_parse_request(buf, strlen(buf), &lim, &msg, &err)), 431);
}

static void
test_partial_prefixes(void **state)
{
	static const char *valid[] = {
		"GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
		"\r\n\r\nPOST /upload HTTP/1.1\r\nHost: a:80\r\nContent-Length: 10\r\n\r\n",
		"PURGE /x HTTP/1.1\r\nHost: [::1]:80\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: a\r\nX-E:\r\n\r\n",
	};
	size_t	i, n;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		for (n = 0; n < strlen(valid[i]); n++)
			assert_int_equal(req_n(valid[i], n), LB_HTTP_PARTIAL);
		assert_int_equal(req(valid[i]), 0);
	}
}

/* ------------------------------------------------------------------ */
/* Responses */

static void
test_resp_simple(void **state)
{
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";

	RESP_IS(s, 0);
	assert_int_equal(msg.status, 200);
	assert_int_equal(msg.reason_len, 2);
	assert_int_equal(msg.body, LB_BODY_LENGTH);
	assert_int_equal(msg.content_length, 5);
	assert_int_equal(msg.head_len, strlen(s) - 5);
	assert_true(msg.keep_alive);
	assert_true(hop("content-length"));
}

static void
test_resp_no_reason(void **state)
{
	RESP_IS("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 0);
	assert_int_equal(msg.reason_len, 0);
	RESP_IS("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", 0);
	assert_int_equal(msg.reason_len, 0);
	RESP_IS("HTTP/1.1 404 Not \tFound \xe9\r\nContent-Length: 0\r\n\r\n", 0);
	assert_int_equal(msg.status, 404);
}

static void
test_resp_no_body(void **state)
{
	RESP_IS("HTTP/1.1 204 No Content\r\n\r\n", 0);
	assert_int_equal(msg.body, LB_BODY_NONE);
	assert_true(msg.keep_alive);
	RESP_IS("HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n", 0);
	assert_int_equal(msg.body, LB_BODY_NONE);
	assert_false(hop("content-length"));
	assert_int_equal(resp_m("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", LB_HTTP_HEAD), 0);
	assert_int_equal(msg.body, LB_BODY_NONE);
	assert_int_equal(msg.content_length, 100);
	assert_false(hop("content-length"));
	assert_int_equal(resp_m("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", LB_HTTP_HEAD), 0);
	assert_int_equal(msg.body, LB_BODY_NONE);
	assert_true(msg.keep_alive);
}

static void
test_resp_close_delimited(void **state)
{
	RESP_IS("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nabc", 0);
	assert_int_equal(msg.body, LB_BODY_CLOSE);
	assert_false(msg.keep_alive);
	RESP_IS("HTTP/1.0 200 OK\r\n\r\n", 0);
	assert_int_equal(msg.body, LB_BODY_CLOSE);
	assert_false(msg.keep_alive);
}

static void
test_resp_chunked(void **state)
{
	RESP_IS("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0);
	assert_int_equal(msg.body, LB_BODY_CHUNKED);
	assert_true(msg.keep_alive);
}

static void
test_resp_keep_alive(void **state)
{
	RESP_IS("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0);
	assert_false(msg.keep_alive);
	RESP_IS("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
	assert_false(msg.keep_alive);
	RESP_IS("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n", 0);
	assert_true(msg.keep_alive);
}

static void
test_resp_1xx(void **state)
{
	const char *s = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

	RESP_IS(s, 0);
	assert_int_equal(msg.status, 100);
	assert_int_equal(msg.body, LB_BODY_NONE);
	assert_int_equal(msg.head_len, 25);
	RESP_IS(s + msg.head_len, 0);
	assert_int_equal(msg.status, 200);
	RESP_IS("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", 0);
	assert_int_equal(msg.status, 103);
	assert_int_equal(msg.body, LB_BODY_NONE);
}

static void
test_resp_101(void **state)
{
	RESP_IS("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
	    "Sec-WebSocket-Accept: x\r\n\r\n", 0);
	assert_true(msg.upgrade);
	assert_int_equal(msg.body, LB_BODY_NONE);
	RESP_IS("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n", 502);
	RESP_IS("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
	assert_false(msg.upgrade);
}

static void
test_resp_invalid(void **state)
{
	RESP_IS("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 502);
	RESP_IS("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n", 502);
	RESP_IS("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 502);
	RESP_IS("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 502);
	RESP_IS("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 502);
	RESP_IS("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 502);
	RESP_IS("HTTP/2.0 200 OK\r\n\r\n", 502);
	RESP_IS("HTTP/1.1 099 X\r\n\r\n", 502);
	RESP_IS("HTTP/1.1 600 X\r\n\r\n", 502);
	RESP_IS("HTTP/1.1 20 X\r\n\r\n", 502);
	RESP_IS("HTTP/1.1 2000 X\r\n\r\n", 502);
	RESP_IS("HTTP/1.1  200 X\r\n\r\n", 502);
	RESP_IS("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", 502);
	RESP_IS("HTTP/1.1 200 OK\nContent-Length: 0\n\n", 502);
	RESP_IS("HTTP/1.1 200 OK\r\nX : a\r\n\r\n", 502);
	RESP_IS("HTTP/1.1 200 O\x01K\r\n\r\n", 502);
	RESP_IS("ICY 200 OK\r\n\r\n", 502);
	RESP_IS("HTTP/1.1 200 OK\r\nX: \x7f\r\n\r\n", 502);
}

static void
test_resp_partial(void **state)
{
	const char	*s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\n";
	size_t		 n;

	for (n = 0; n < strlen(s); n++) {
		memset(&msg, 0, sizeof(msg));
		msg.hdrs = hdrs;
		msg.hdr_cap = MAX_HDRS;
		assert_int_equal(verdict(lb_http_parse_response(s, n, &deflim, LB_HTTP_GET, &msg,
		    &err)), LB_HTTP_PARTIAL);
	}
}

static void
test_resp_too_large(void **state)
{
	struct lb_http_limits	lim = deflim;
	const char		*s = "HTTP/1.1 200 OK\r\nX-A: 0123456789\r\n\r\n";

	lim.max_header_bytes = 10;
	memset(&msg, 0, sizeof(msg));
	msg.hdrs = hdrs;
	msg.hdr_cap = MAX_HDRS;
	assert_int_equal(verdict(lb_http_parse_response(s, strlen(s), &lim, LB_HTTP_GET, &msg, &err)),
	    502);
}

/* ------------------------------------------------------------------ */
/* Lookups */

static void
test_find(void **state)
{
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nX-Foo: 1\r\nx-foo: 2\r\n\r\n", 0);
	assert_string_equal(hval("X-FOO"), "1");
	assert_null(lb_http_find(&msg, "X-Fo"));
	assert_null(lb_http_find(&msg, "X-Fooo"));
	/* dropped: both fields, no other, left out of what is forwarded */
	assert_false(lb_http_find(&msg, "X-Foo")->hop);
	assert_int_equal(lb_http_drop(&msg, "x-FOO"), 2);
	assert_true(msg.hdrs[1].hop);
	assert_true(msg.hdrs[2].hop);
	assert_false(lb_http_find(&msg, "Host")->hop);
	assert_int_equal(lb_http_drop(&msg, "X-Bar"), 0);
}

/* ------------------------------------------------------------------ */
/* Robustness: random mutations of valid heads never crash or over-read. */

static void
test_random_mutations(void **state)
{
	static const char *seed =
	    "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: x\r\n"
	    "X: y\r\n\r\n5\r\nhello\r\n0\r\nT: v\r\n\r\n";
	static const char alphabet[] = "\r\n :\t,;\"=0aA\x80\x00";
	char			buf[256];
	struct lb_http_body	b;
	size_t			len = strlen(seed), used;
	int			i, k, rc;

	for (i = 0; i < 20000; i++) {
		memcpy(buf, seed, len);
		for (k = 0; k < 3; k++)
			buf[rng() % len] = alphabet[rng() % (sizeof(alphabet) - 1)];
		rc = req_n(buf, len);
		assert_true(rc == 0 || rc == LB_HTTP_PARTIAL || (rc >= 400 && rc <= 505));
		if (rc == 0) {
			assert_true(msg.head_len <= len);
			lb_http_body_init(&b, msg.body, msg.content_length, 64);
			(void)lb_http_body_scan(&b, buf + msg.head_len, len - msg.head_len, &used);
			assert_true(used <= len - msg.head_len);
		}
		rc = resp_m(buf, LB_HTTP_GET);
		(void)rc;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_result),
		cmocka_unit_test(test_req_simple),
		cmocka_unit_test(test_req_pipelined),
		cmocka_unit_test(test_req_leading_crlf),
		cmocka_unit_test(test_req_http10),
		cmocka_unit_test(test_req_connection_close),
		cmocka_unit_test(test_req_value_whitespace),
		cmocka_unit_test(test_req_obs_text),
		cmocka_unit_test(test_req_empty_value),
		cmocka_unit_test(test_req_content_length),
		cmocka_unit_test(test_req_chunked),
		cmocka_unit_test(test_req_host_forms),
		cmocka_unit_test(test_req_methods),
		cmocka_unit_test(test_req_minor_version),
		cmocka_unit_test(test_req_target_forms),
		cmocka_unit_test(test_req_origin_target),
		cmocka_unit_test(test_req_absolute_form),
		cmocka_unit_test(test_req_absolute_form_bad),
		cmocka_unit_test(test_req_fragment),
		cmocka_unit_test(test_req_expect),
		cmocka_unit_test(test_req_upgrade),
		cmocka_unit_test(test_req_te_trailers),
		cmocka_unit_test(test_req_hop_marking),
		cmocka_unit_test(test_req_cl_and_te),
		cmocka_unit_test(test_req_cl_repeated),
		cmocka_unit_test(test_req_cl_malformed),
		cmocka_unit_test(test_req_te_unsupported),
		cmocka_unit_test(test_req_te_malformed),
		cmocka_unit_test(test_req_te_repeated),
		cmocka_unit_test(test_req_te_http10),
		cmocka_unit_test(test_req_space_before_colon),
		cmocka_unit_test(test_req_obs_fold),
		cmocka_unit_test(test_req_bare_lf),
		cmocka_unit_test(test_req_bare_cr),
		cmocka_unit_test(test_req_ctl),
		cmocka_unit_test(test_req_bad_field_name),
		cmocka_unit_test(test_req_empty_field_name),
		cmocka_unit_test(test_req_line_malformed),
		cmocka_unit_test(test_req_http09),
		cmocka_unit_test(test_req_version),
		cmocka_unit_test(test_req_host_count),
		cmocka_unit_test(test_req_host_invalid),
		cmocka_unit_test(test_req_connect),
		cmocka_unit_test(test_req_connection_malformed),
		cmocka_unit_test(test_req_second_opinion),
		cmocka_unit_test(test_limit_uri),
		cmocka_unit_test(test_limit_head_bytes),
		cmocka_unit_test(test_limit_header_line),
		cmocka_unit_test(test_limit_header_lines),
		cmocka_unit_test(test_partial_prefixes),
		cmocka_unit_test(test_resp_simple),
		cmocka_unit_test(test_resp_no_reason),
		cmocka_unit_test(test_resp_no_body),
		cmocka_unit_test(test_resp_close_delimited),
		cmocka_unit_test(test_resp_chunked),
		cmocka_unit_test(test_resp_keep_alive),
		cmocka_unit_test(test_resp_1xx),
		cmocka_unit_test(test_resp_101),
		cmocka_unit_test(test_resp_invalid),
		cmocka_unit_test(test_resp_partial),
		cmocka_unit_test(test_resp_too_large),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_random_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
