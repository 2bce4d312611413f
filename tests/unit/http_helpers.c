/* http_helpers.c: the HTTP unit tests' shared helpers (see http_helpers.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http_helpers.h"

const struct lb_http_limits deflim = {
	.max_uri_bytes = 8192,
	.max_header_bytes = 32768,
	.max_header_lines = 100,
};

struct lb_http_hdr	 hdrs[MAX_HDRS];
struct lb_http_msg	 msg;
struct lb_http_err	 err;
const char		*why;

int
verdict(enum lb_http_parse rc)
{
	why = NULL;
	switch (rc) {
	case LB_HTTP_OK:
		return 0;
	case LB_HTTP_PARTIAL:
		return LB_HTTP_PARTIAL;
	case LB_HTTP_INVALID:
		assert_non_null(err.why);
		assert_in_range(err.status, 400, 505);
		why = err.why;
		return err.status;
	}
	fail_msg("parse result %d is not an enum lb_http_parse", (int)rc);
	return -1;
}

/*
 * The helpers are noinline: GCC 12.2 -O2 miscompiles strlen(literal + x)
 * when x is loaded from msg just before the inlined memset of msg (the
 * load is moved after the store), which turned test_resp_1xx into a
 * zero-length parse.
 */
__attribute__((noinline)) int
req_lim_n(const char *s, size_t n, const struct lb_http_limits *lim)
{
	memset(&msg, 0x5a, sizeof(msg));
	msg.hdrs = hdrs;
	msg.hdr_cap = MAX_HDRS;
	memset(&err, 0x5a, sizeof(err));
	return verdict(lb_http_parse_request(s, n, lim, &msg, &err));
}

int
req_n(const char *s, size_t n)
{
	return req_lim_n(s, n, &deflim);
}

int
req(const char *s)
{
	return req_n(s, strlen(s));
}

__attribute__((noinline)) int
resp_m(const char *s, enum lb_http_method method)
{
	memset(&msg, 0x5a, sizeof(msg));
	msg.hdrs = hdrs;
	msg.hdr_cap = MAX_HDRS;
	memset(&err, 0x5a, sizeof(err));
	return verdict(lb_http_parse_response(s, strlen(s), &deflim, method, &msg, &err));
}

int
resp(const char *s)
{
	return resp_m(s, LB_HTTP_GET);
}

const char *
hval(const char *name)
{
	static char			 buf[256];
	const struct lb_http_hdr	*h = lb_http_find(&msg, name);

	if (h == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%.*s", (int)h->value_len, h->value);
	return buf;
}

bool
hop(const char *name)
{
	const struct lb_http_hdr	*h = lb_http_find(&msg, name);

	assert_non_null(h);
	return h->hop;
}

static uint32_t rng_state = 12345;

uint32_t
rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}
