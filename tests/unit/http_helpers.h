/*
 * http_helpers.h: what the HTTP unit tests (test_http_parse.c,
 * test_http_write.c, test_http_body.c, test_http_cookie.c) share: parse a
 * head into the global msg (over the global hdrs array, the refusal in err
 * and why) and look at its fields.
 */
#ifndef LB_TEST_HTTP_HELPERS_H
#define LB_TEST_HTTP_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lbproxy/http_parse.h"

#define MAX_HDRS	128

extern const struct lb_http_limits	 deflim;
extern struct lb_http_hdr		 hdrs[MAX_HDRS];
extern struct lb_http_msg		 msg;
extern struct lb_http_err		 err;
extern const char			*why;

/*
 * A parse result as one number for assertions: 0 for LB_HTTP_OK,
 * LB_HTTP_PARTIAL, or the status an invalid head is answered with (err's,
 * checked to be an error status with a reason). Sets why to err.why, or
 * NULL when the head was not refused.
 */
int verdict(enum lb_http_parse rc);

/* Parse s (n bytes, or up to its NUL) as a request head into msg; returns the verdict. */
int req_lim_n(const char *s, size_t n, const struct lb_http_limits *lim);
int req_n(const char *s, size_t n);
int req(const char *s);
/* Parse s as the response to a request of method (GET for resp). */
int resp_m(const char *s, enum lb_http_method method);
int resp(const char *s);

#define REQ_IS(s, st)	assert_int_equal(req(s), (st))
#define RESP_IS(s, st)	assert_int_equal(resp(s), (st))

/* A header's value as a NUL-terminated string (static buffer), or NULL. */
const char *hval(const char *name);
/* Whether the header (which must exist) is marked hop-by-hop. */
bool hop(const char *name);
/* A fixed pseudo-random sequence, the same on every run. */
uint32_t rng(void);

#endif
