/* test_http_cookie.c: header, Cookie and Set-Cookie lookups (http_cookie.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lbproxy/http_cookie.h"
#include "lbproxy/http_parse.h"
#include "http_helpers.h"

/* ------------------------------------------------------------------ */
/* Cookies */

static void
test_cookie_get(void **state)
{
	const char	*v;
	size_t		 n;

	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1; SRV=m2; b=3\r\n\r\n", 0);
	assert_int_equal(lb_http_cookie_get(&msg, "SRV", &v, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(v, "m2", 2);
	assert_int_equal(lb_http_cookie_get(&msg, "a", &v, &n), 0);
	assert_memory_equal(v, "1", n);
	assert_int_equal(lb_http_cookie_get(&msg, "b", &v, &n), 0);
	assert_memory_equal(v, "3", n);
	assert_int_equal(lb_http_cookie_get(&msg, "srv", &v, &n), -1);
	assert_int_equal(lb_http_cookie_get(&msg, "c", &v, &n), -1);
}

static void
test_cookie_edge(void **state)
{
	const char	*v;
	size_t		 n;

	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nCookie: XSRV=1;flag;SRV=\"m3\"\r\n"
	    "Cookie: other=1; SRV=later\r\n\r\n", 0);
	assert_int_equal(lb_http_cookie_get(&msg, "SRV", &v, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(v, "m3", 2);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1\r\ncookie: SRV=\r\n\r\n", 0);
	assert_int_equal(lb_http_cookie_get(&msg, "SRV", &v, &n), 0);
	assert_int_equal(n, 0);
	REQ_IS("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0);
	assert_int_equal(lb_http_cookie_get(&msg, "SRV", &v, &n), -1);
}

static void
test_setcookie_get(void **state)
{
	const char	*v;
	size_t		 n;

	RESP_IS("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nSet-Cookie: other=1; Path=/\r\n"
	    "Set-Cookie: JSESSIONID=abc; Path=/\r\n\r\n", 0);
	assert_int_equal(lb_http_setcookie_get(&msg, "JSESSIONID", &v, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(v, "abc", 3);
	assert_int_equal(lb_http_setcookie_get(&msg, "Path", &v, &n), -1);
	assert_int_equal(lb_http_setcookie_get(&msg, "JSESSION", &v, &n), -1);
	RESP_IS("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nSet-Cookie: JSESSIONID=old\r\n"
	    "Set-Cookie: JSESSIONID=new; HttpOnly\r\n\r\n", 0);
	assert_int_equal(lb_http_setcookie_get(&msg, "JSESSIONID", &v, &n), 0);
	assert_memory_equal(v, "new", 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_get),
		cmocka_unit_test(test_cookie_edge),
		cmocka_unit_test(test_setcookie_get),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
