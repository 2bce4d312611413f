/* test_http_body.c: body framing, the strict chunked scanner (http_body.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lbproxy/http_body.h"
#include "http_helpers.h"

/* ------------------------------------------------------------------ */
/* Body framing */

/* Feed data in pieces of the given sizes (0 = one byte at a time); *total = bytes used. */
static enum lb_body_result
feed(struct lb_http_body *b, const char *data, size_t len, int mode, size_t *total)
{
	enum lb_body_result	r = LB_BODY_MORE;
	size_t			off = 0, n, used;

	*total = 0;
	while (off < len) {
		if (mode == 0)
			n = 1;
		else if (mode == 1)
			n = len - off;
		else
			n = 1 + rng() % 17;
		if (n > len - off)
			n = len - off;
		r = lb_http_body_scan(b, data + off, n, &used);
		assert_true(used <= n);
		*total += used;
		if (r != LB_BODY_MORE)
			return r;
		assert_int_equal(used, n);
		off += n;
	}
	return r;
}

static enum lb_body_result
chunked(const char *s, int mode, size_t *total)
{
	struct lb_http_body	b;

	lb_http_body_init(&b, LB_BODY_CHUNKED, 0, 1024);
	return feed(&b, s, strlen(s), mode, total);
}

static void
test_body_length(void **state)
{
	struct lb_http_body	b;
	size_t			used;

	lb_http_body_init(&b, LB_BODY_LENGTH, 10, 0);
	assert_int_equal(lb_http_body_scan(&b, "abcd", 4, &used), LB_BODY_MORE);
	assert_int_equal(used, 4);
	assert_int_equal(b.remaining, 6);
	assert_int_equal(lb_http_body_scan(&b, "", 0, &used), LB_BODY_MORE);
	assert_int_equal(lb_http_body_scan(&b, "efghijGET /", 11, &used), LB_BODY_DONE);
	assert_int_equal(used, 6);
	lb_http_body_init(&b, LB_BODY_LENGTH, 0, 0);
	assert_int_equal(lb_http_body_scan(&b, "GET", 3, &used), LB_BODY_DONE);
	assert_int_equal(used, 0);
	/* the announced total is known from the start (413 checks) */
	lb_http_body_init(&b, LB_BODY_LENGTH, 4097, 0);
	assert_int_equal(b.total, 4097);
	/* no byte is inspected: a huge length is O(1) per call */
	lb_http_body_init(&b, LB_BODY_LENGTH, UINT64_C(1) << 40, 0);
	assert_int_equal(lb_http_body_scan(&b, "\0\r\n", 3, &used), LB_BODY_MORE);
	assert_int_equal(used, 3);
}

/* Chunked: the total grows by each chunk size as soon as its size line ends. */
static void
test_body_chunked_total(void **state)
{
	struct lb_http_body	b;
	size_t			used;

	lb_http_body_init(&b, LB_BODY_CHUNKED, 0, 1024);
	assert_int_equal(b.total, 0);
	assert_int_equal(lb_http_body_scan(&b, "5\r\nhe", 5, &used), LB_BODY_MORE);
	assert_int_equal(b.total, 5);
	assert_int_equal(lb_http_body_scan(&b, "llo\r\n1000\r\n", 11, &used), LB_BODY_MORE);
	assert_int_equal(b.total, 5 + 4096);
	/* sizes that would wrap saturate instead */
	lb_http_body_init(&b, LB_BODY_CHUNKED, 0, 1024);
	b.total = UINT64_MAX - 1;
	assert_int_equal(lb_http_body_scan(&b, "10\r\n", 4, &used), LB_BODY_MORE);
	assert_true(b.total == UINT64_MAX);
}

static void
test_body_none_close(void **state)
{
	struct lb_http_body	b;
	size_t			used = 99;

	lb_http_body_init(&b, LB_BODY_NONE, 0, 0);
	assert_int_equal(lb_http_body_scan(&b, "abc", 3, &used), LB_BODY_DONE);
	assert_int_equal(used, 0);
	lb_http_body_init(&b, LB_BODY_CLOSE, 0, 0);
	assert_int_equal(lb_http_body_scan(&b, "abc", 3, &used), LB_BODY_MORE);
	assert_int_equal(used, 3);
	assert_int_equal(lb_http_body_scan(&b, "0\r\n\r\n", 5, &used), LB_BODY_MORE);
	assert_int_equal(used, 5);
}

static const char *chunked_valid[] = {
	"0\r\n\r\n",
	"5\r\nhello\r\n0\r\n\r\n",
	"5\r\nhe\r\nl\r\n0\r\n\r\n",
	"A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n",
	"1;foo\r\nx\r\n1;foo=bar;baz=\"q \\\"x\\\" ;\"\r\ny\r\n000\r\n\r\n",
	"3\r\nabc\r\n0\r\nX-Trailer: v\r\nChecksum: \t1\r\n\r\n",
	"0000000000000003\r\nabc\r\n0\r\nContent-Type: x\r\nHostname: y\r\n\r\n",
	"2\r\n\r\n\r\n0;last\r\n\r\n",
	/* leading zeros: any number, as long as the size fits (RFC 9112 7.1) */
	"00000000000000005\r\nhello\r\n0\r\n\r\n",
	"000000000000000000000a\r\n0123456789\r\n00000000000000000000\r\n\r\n",
	/* BWS around an extension's ';' and '=' (RFC 9112 7.1.1) */
	"1 ;a\r\nx\r\n0\r\n\r\n",
	"1; a\r\nx\r\n0\r\n\r\n",
	"1;a =b\r\nx\r\n0\r\n\r\n",
	"1;a= b\r\nx\r\n0\r\n\r\n",
	"1 \t; a \t= \"q\" ;b=c ;d\t;e\r\nx\r\n0 ;last\r\n\r\n",
};

static void
test_chunked_whole(void **state)
{
	size_t	i, used;

	for (i = 0; i < sizeof(chunked_valid) / sizeof(chunked_valid[0]); i++) {
		assert_int_equal(chunked(chunked_valid[i], 1, &used), LB_BODY_DONE);
		assert_int_equal(used, strlen(chunked_valid[i]));
	}
}

static void
test_chunked_byte_by_byte(void **state)
{
	size_t	i, used;

	for (i = 0; i < sizeof(chunked_valid) / sizeof(chunked_valid[0]); i++) {
		assert_int_equal(chunked(chunked_valid[i], 0, &used), LB_BODY_DONE);
		assert_int_equal(used, strlen(chunked_valid[i]));
	}
}

static void
test_chunked_random_splits(void **state)
{
	char	buf[256];
	size_t	i, used;
	int	round;

	for (round = 0; round < 200; round++) {
		for (i = 0; i < sizeof(chunked_valid) / sizeof(chunked_valid[0]); i++) {
			/* followed by a pipelined request that must not be consumed */
			snprintf(buf, sizeof(buf), "%sGET / HTTP/1.1\r\n", chunked_valid[i]);
			assert_int_equal(chunked(buf, 2, &used), LB_BODY_DONE);
			assert_int_equal(used, strlen(chunked_valid[i]));
		}
	}
}

static void
test_chunked_every_split(void **state)
{
	const char		*s = "4;a=\"b\"\r\nwxyz\r\n0\r\nT: v\r\n\r\nNEXT";
	size_t			 len = strlen(s), k, u1, u2;
	struct lb_http_body	 b;

	for (k = 0; k <= len; k++) {
		lb_http_body_init(&b, LB_BODY_CHUNKED, 0, 64);
		assert_int_equal(lb_http_body_scan(&b, s, k, &u1),
		    k >= len - 4 ? LB_BODY_DONE : LB_BODY_MORE);
		if (k >= len - 4) {
			assert_int_equal(u1, len - 4);
			continue;
		}
		assert_int_equal(u1, k);
		assert_int_equal(lb_http_body_scan(&b, s + k, len - k, &u2), LB_BODY_DONE);
		assert_int_equal(u1 + u2, len - 4);
	}
}

static void
test_chunked_bad_size(void **state)
{
	static const char *bad[] = {
		"\r\n\r\n", "-5\r\nhello\r\n0\r\n\r\n", " 5\r\nhello\r\n0\r\n\r\n",
		"5 \r\nhello\r\n0\r\n\r\n", "0x5\r\nhello\r\n0\r\n\r\n", "g\r\n",
		"+5\r\nhello\r\n", "5\nhello\r\n0\r\n\r\n", "5\r\rhello",
		"10000000000000000\r\n",
		"5\t\r\nhello\r\n", "0\n\r\n",
		/* whitespace where no BWS is, leading zeros that still overflow */
		"\t5\r\nhello\r\n0\r\n\r\n", "5 5\r\nhello\r\n", "5 \t \r\nhello\r\n",
		"0 \r\n\r\n", "00010000000000000000\r\n", "0000000000000000010000000000000000\r\n",
	};
	size_t	i, used;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chunked(bad[i], 1, &used), LB_BODY_ERROR);
		assert_int_equal(chunked(bad[i], 0, &used), LB_BODY_ERROR);
	}
}

static void
test_chunked_max_size(void **state)
{
	struct lb_http_body	b;
	size_t			used;

	lb_http_body_init(&b, LB_BODY_CHUNKED, 0, 0);
	assert_int_equal(lb_http_body_scan(&b, "FFFFFFFFFFFFFFFF\r\nabc", 21, &used), LB_BODY_MORE);
	assert_int_equal(used, 21);
	assert_true(b.remaining == UINT64_MAX - 3);
	/* the same after leading zeros */
	lb_http_body_init(&b, LB_BODY_CHUNKED, 0, 0);
	assert_int_equal(lb_http_body_scan(&b, "0000ffffFFFFffffFFFF\r\nabc", 25, &used), LB_BODY_MORE);
	assert_int_equal(used, 25);
	assert_true(b.remaining == UINT64_MAX - 3);
}

static void
test_chunked_zeros_line_limit(void **state)
{
	static char	s[8192];
	size_t		used;

	/* leading zeros count towards the size line's 4096 bytes */
	memset(s, '0', 4094);
	strcpy(s + 4094, "1\r\nx\r\n0\r\n\r\n");
	assert_int_equal(chunked(s, 1, &used), LB_BODY_DONE);
	memset(s, '0', 5000);
	strcpy(s + 5000, "1\r\nx\r\n0\r\n\r\n");
	assert_int_equal(chunked(s, 1, &used), LB_BODY_ERROR);
	/* so does BWS */
	s[0] = '1';
	memset(s + 1, ' ', 4999);
	strcpy(s + 5000, ";a\r\nx\r\n0\r\n\r\n");
	assert_int_equal(chunked(s, 1, &used), LB_BODY_ERROR);
}

static void
test_chunked_bad_ext(void **state)
{
	static const char *bad[] = {
		"1;\r\nx\r\n0\r\n\r\n", "1;a=\r\nx\r\n0\r\n\r\n", "1;a=b=c\r\nx\r\n",
		"1;a=\"b\r\nx\r\n0\r\n\r\n", "1;a=\"b\"c\r\nx\r\n", "1;\x01\r\nx\r\n",
		"1;a=\"\x01\"\r\nx\r\n", "1;a\nx\r\n", "1;=b\r\nx\r\n",
		/* BWS only before ';' and around '=': not before the CR, nor inside a name or value */
		"1 ;\r\nx\r\n", "1; \r\nx\r\n", "1;a \r\nx\r\n", "1;a= \r\nx\r\n",
		"1;a=b \r\nx\r\n", "1;a=\"b\" \r\nx\r\n", "1;a b\r\nx\r\n", "1;a=b c\r\nx\r\n",
		"1;a = = b\r\nx\r\n", "1 a\r\nx\r\n", "1 =a\r\nx\r\n", "1;a=b =c\r\nx\r\n",
		"1;a\r \nx\r\n", "1 \x0b;a\r\nx\r\n",
	};
	size_t	i, used;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chunked(bad[i], 1, &used), LB_BODY_ERROR);
		assert_int_equal(chunked(bad[i], 0, &used), LB_BODY_ERROR);
	}
}

static void
test_chunked_ext_too_long(void **state)
{
	static char	s[8192];
	size_t		used, i;

	memcpy(s, "1;a=", 4);
	for (i = 4; i < 5004; i++)
		s[i] = 'b';
	memcpy(s + 5004, "\r\nx\r\n0\r\n\r\n", 11);
	assert_int_equal(chunked(s, 1, &used), LB_BODY_ERROR);
	/* the same extension within the line limit is fine */
	memcpy(s + 1000, "\r\nx\r\n0\r\n\r\n", 11);
	assert_int_equal(chunked(s, 0, &used), LB_BODY_DONE);
}

static void
test_chunked_missing_crlf(void **state)
{
	static const char *bad[] = {
		"5\r\nhelloXX0\r\n\r\n", "5\r\nhello0\r\n\r\n", "5\r\nhello\n0\r\n\r\n",
		"5\r\nhello\r0\r\n\r\n", "5\r\nhello\r\n0\r\n\n", "5\r\nhello\r\n0\r\n\rX",
		"5\r\nhello\r\n0\r\nX: y\n\r\n",
	};
	size_t	i, used;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chunked(bad[i], 1, &used), LB_BODY_ERROR);
		assert_int_equal(chunked(bad[i], 0, &used), LB_BODY_ERROR);
	}
	/* error position: the first byte after the data */
	assert_int_equal(chunked("5\r\nhelloXX", 1, &used), LB_BODY_ERROR);
	assert_int_equal(used, 8);
}

static void
test_chunked_framing_trailers(void **state)
{
	static const char *bad[] = {
		"0\r\nContent-Length: 5\r\n\r\n", "0\r\ncontent-length: 5\r\n\r\n",
		"0\r\nTransfer-Encoding: chunked\r\n\r\n", "0\r\nHOST: evil\r\n\r\n",
		"0\r\nX: 1\r\nHost: evil\r\n\r\n",
	};
	static const char *good[] = {
		"0\r\nContent-Lengthx: 5\r\n\r\n", "0\r\nHos: 5\r\n\r\n", "0\r\nHostX: 5\r\n\r\n",
		"0\r\nX-Content-Length: 5\r\n\r\n", "0\r\nEmpty:\r\n\r\n",
	};
	size_t	i, used;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chunked(bad[i], 1, &used), LB_BODY_ERROR);
		assert_int_equal(chunked(bad[i], 0, &used), LB_BODY_ERROR);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(chunked(good[i], 0, &used), LB_BODY_DONE);
		assert_int_equal(used, strlen(good[i]));
	}
}

static void
test_chunked_bad_trailers(void **state)
{
	static const char *bad[] = {
		"0\r\nX : y\r\n\r\n", "0\r\nX: y\r\n z\r\n\r\n", "0\r\n: y\r\n\r\n",
		"0\r\nNoColon\r\n\r\n", "0\r\nX: \x01\r\n\r\n", "0\r\nX(: y\r\n\r\n",
	};
	size_t	i, used;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(chunked(bad[i], 0, &used), LB_BODY_ERROR);
}

static void
test_chunked_trailer_limit(void **state)
{
	struct lb_http_body	 b;
	const char		*s = "0\r\nX-A: 123\r\n\r\n";	/* 10 trailer bytes */
	size_t			 used;

	lb_http_body_init(&b, LB_BODY_CHUNKED, 0, 10);
	assert_int_equal(feed(&b, s, strlen(s), 0, &used), LB_BODY_DONE);
	lb_http_body_init(&b, LB_BODY_CHUNKED, 0, 9);
	assert_int_equal(feed(&b, s, strlen(s), 0, &used), LB_BODY_ERROR);
	lb_http_body_init(&b, LB_BODY_CHUNKED, 0, 0);
	assert_int_equal(feed(&b, "0\r\n\r\n", 5, 1, &used), LB_BODY_DONE);
}

static void
test_chunked_sticky(void **state)
{
	struct lb_http_body	b;
	size_t			used;

	lb_http_body_init(&b, LB_BODY_CHUNKED, 0, 0);
	assert_int_equal(lb_http_body_scan(&b, "0\r\n\r\n", 5, &used), LB_BODY_DONE);
	assert_int_equal(lb_http_body_scan(&b, "5\r\n", 3, &used), LB_BODY_DONE);
	assert_int_equal(used, 0);
	lb_http_body_init(&b, LB_BODY_CHUNKED, 0, 0);
	assert_int_equal(lb_http_body_scan(&b, "z", 1, &used), LB_BODY_ERROR);
	assert_int_equal(lb_http_body_scan(&b, "0\r\n\r\n", 5, &used), LB_BODY_ERROR);
}

/*
 * Decode a body with lb_http_body_step, split every `split` bytes: the
 * payload bytes gathered into out, framing never among them.
 */
static enum lb_body_result
decode(enum lb_http_body_kind kind, uint64_t length, const char *in, size_t split,
    char *out, size_t *outlen)
{
	struct lb_http_body b;
	enum lb_body_result r = LB_BODY_MORE;
	size_t off = 0, used, n;
	bool payload;

	lb_http_body_init(&b, kind, length, 64);
	*outlen = 0;
	while (off < strlen(in) && r == LB_BODY_MORE) {
		n = strlen(in) - off < split ? strlen(in) - off : split;
		r = lb_http_body_step(&b, in + off, n, &used, &payload);
		if (payload) {
			memcpy(out + *outlen, in + off, used);
			*outlen += used;
		}
		off += used;
	}
	out[*outlen] = '\0';
	return r;
}

/* Decoding: chunk data only, whatever the splits; lengths; errors as the scan's. */
static void
test_step_decode(void **state)
{
	static const char body[] = "5;ext=1\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nX-T: 1\r\n\r\n";
	char out[64];
	size_t n, split;

	for (split = 1; split <= sizeof(body); split++) {
		assert_int_equal(decode(LB_BODY_CHUNKED, 0, body, split, out, &n), LB_BODY_DONE);
		assert_string_equal(out, "hello world!");
	}
	assert_int_equal(decode(LB_BODY_LENGTH, 4, "abcdef", 3, out, &n), LB_BODY_DONE);
	assert_string_equal(out, "abcd");
	assert_int_equal(decode(LB_BODY_CLOSE, 0, "abc", 2, out, &n), LB_BODY_MORE);
	assert_string_equal(out, "abc");
	assert_int_equal(decode(LB_BODY_CHUNKED, 0, "5\r\nhelloX\r\n", 4, out, &n), LB_BODY_ERROR);
	assert_int_equal(decode(LB_BODY_CHUNKED, 0, "g\r\n", 1, out, &n), LB_BODY_ERROR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_length),
		cmocka_unit_test(test_body_chunked_total),
		cmocka_unit_test(test_body_none_close),
		cmocka_unit_test(test_chunked_whole),
		cmocka_unit_test(test_chunked_byte_by_byte),
		cmocka_unit_test(test_chunked_random_splits),
		cmocka_unit_test(test_chunked_every_split),
		cmocka_unit_test(test_chunked_bad_size),
		cmocka_unit_test(test_chunked_max_size),
		cmocka_unit_test(test_chunked_zeros_line_limit),
		cmocka_unit_test(test_chunked_bad_ext),
		cmocka_unit_test(test_chunked_ext_too_long),
		cmocka_unit_test(test_chunked_missing_crlf),
		cmocka_unit_test(test_chunked_framing_trailers),
		cmocka_unit_test(test_chunked_bad_trailers),
		cmocka_unit_test(test_chunked_trailer_limit),
		cmocka_unit_test(test_chunked_sticky),
		cmocka_unit_test(test_step_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
