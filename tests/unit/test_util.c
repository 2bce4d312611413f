/* test_util.c: unit tests for src/util.c and src/diag.c. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lbproxy/diag.h"
#include "lbproxy/util.h"

/* ------------------------------------------------------------ addresses */

static void
addr_parse_v4(void **state LB_UNUSED)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	socklen_t len = 0;

	assert_int_equal(lb_addr_parse("10.0.1.11", 8080, &ss, &len), 0);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(sin->sin_port), 8080);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x0a00010b);
	assert_int_equal(lb_addr_port((struct sockaddr *)&ss), 8080);

	assert_int_equal(lb_addr_parse("0.0.0.0", 0, &ss, &len), 0);
	assert_int_equal(sin->sin_addr.s_addr, 0);
	assert_int_equal(lb_addr_parse("255.255.255.255", 65535, &ss, &len), 0);
	assert_int_equal(lb_addr_port((struct sockaddr *)&ss), 65535);
}

static void
addr_parse_v6(void **state LB_UNUSED)
{
	static const unsigned char loop[16] = { [15] = 1 };
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = 0;

	assert_int_equal(lb_addr_parse("::1", 80, &ss, &len), 0);
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(sin6->sin6_port), 80);
	assert_memory_equal(&sin6->sin6_addr, loop, 16);

	assert_int_equal(lb_addr_parse("2001:db8::10:1", 443, &ss, &len), 0);
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(sin6->sin6_addr.s6_addr[0], 0x20);
	assert_int_equal(sin6->sin6_addr.s6_addr[13], 0x10);
	assert_int_equal(sin6->sin6_addr.s6_addr[15], 0x01);
	assert_int_equal(lb_addr_port((struct sockaddr *)&ss), 443);

	assert_int_equal(lb_addr_parse("::ffff:10.0.0.1", 1, &ss, &len), 0);
	assert_int_equal(sin6->sin6_family, AF_INET6);
}

static void
addr_parse_invalid(void **state LB_UNUSED)
{
	static const char *const bad[] = {
		"", "localhost", "example.com", "10.0.1", "10.0.1.256",
		"10.0.1.1.1", "1.2.3.4:80", "[::1]", "[::1]:80", ":::1",
		"2001:db8::g", " 10.0.0.1", "10.0.0.1 ", "fe80::1%lo",
	};
	struct sockaddr_storage ss;
	socklen_t len = 0;
	size_t i;

	for (i = 0; i < LB_ARRAY_SIZE(bad); i++) {
		if (lb_addr_parse(bad[i], 80, &ss, &len) != -1)
			fail_msg("lb_addr_parse accepted \"%s\"", bad[i]);
	}
	assert_int_equal(lb_addr_parse(NULL, 80, &ss, &len), -1);
}

static void
addr_fmt(void **state LB_UNUSED)
{
	static const struct {
		const char	*addr;
		int		 port;
		const char	*want;
		const char	*host;
	} t[] = {
		{ "::1", 80, "[::1]:80", "::1" },
		{ "10.0.1.11", 8080, "10.0.1.11:8080", "10.0.1.11" },
		{ "2001:db8:0:0::1", 443, "[2001:db8::1]:443", "2001:db8::1" },
		{ "::ffff:10.0.0.1", 1, "[::ffff:10.0.0.1]:1", "::ffff:10.0.0.1" },
		{ "0.0.0.0", 0, "0.0.0.0:0", "0.0.0.0" },
		{ "::", 65535, "[::]:65535", "::" },
	};
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[LB_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < LB_ARRAY_SIZE(t); i++) {
		assert_int_equal(lb_addr_parse(t[i].addr, t[i].port, &ss, &len), 0);
		assert_ptr_equal(lb_addr_fmt((struct sockaddr *)&ss, buf,
		    sizeof(buf)), buf);
		assert_string_equal(buf, t[i].want);
		assert_ptr_equal(lb_addr_host((struct sockaddr *)&ss, buf,
		    sizeof(buf)), buf);
		assert_string_equal(buf, t[i].host);
	}

	/* the longest form fits LB_ADDRSTRLEN */
	assert_int_equal(lb_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
	    65535, &ss, &len), 0);
	lb_addr_fmt((struct sockaddr *)&ss, buf, sizeof(buf));
	assert_string_equal(buf,
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");

	/* a short buffer truncates, always terminated */
	assert_int_equal(lb_addr_parse("10.0.1.11", 8080, &ss, &len), 0);
	memset(buf, 'x', sizeof(buf));
	lb_addr_fmt((struct sockaddr *)&ss, buf, 6);
	assert_string_equal(buf, "10.0.");
}

static void
addr_unix(void **state LB_UNUSED)
{
	struct sockaddr_un su;
	char buf[LB_ADDRSTRLEN];

	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	assert_string_equal(lb_addr_host((struct sockaddr *)&su, buf,
	    sizeof(buf)), "unix");
	assert_int_equal(lb_addr_port((struct sockaddr *)&su), 0);
}

/* -------------------------------------------------------------- hashing */

/*
 * Hard-coded outputs: SOURCE_IP persistence and member keys depend on
 * lb_hash64 never changing across builds, hosts or releases.
 */
static void
hash64_stable(void **state LB_UNUSED)
{
	assert_true(lb_hash64("", 0, 0) == 0xf52a15e9a9b5e89bULL);
	assert_true(lb_hash64("m1", 2, 0) == 0xb1f1c6d5119a7801ULL);
	assert_true(lb_hash64("hello world", 11, 42) == 0x581325d2c5ee94e8ULL);
}

static void
hash64_sensitivity(void **state LB_UNUSED)
{
	unsigned char a[16] = { 0 }, b[16];
	uint64_t h, d;
	size_t i;
	int bit;

	/* seed, length and every byte matter */
	assert_true(lb_hash64("m1", 2, 0) != lb_hash64("m1", 2, 1));
	assert_true(lb_hash64(a, 15, 0) != lb_hash64(a, 16, 0));
	h = lb_hash64(a, sizeof(a), 0);
	for (i = 0; i < sizeof(a); i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(b, a, sizeof(b));
			b[i] ^= (unsigned char)(1u << bit);
			d = h ^ lb_hash64(b, sizeof(b), 0);
			/* avalanche: a one-bit change flips many output bits */
			assert_in_range(__builtin_popcountll(d), 12, 52);
		}
	}
}

/* ----------------------------------------------------------------- time */

static void
now_ms_monotonic(void **state LB_UNUSED)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	uint64_t t0, t1, prev;
	int i;

	t0 = prev = lb_now_ms();
	for (i = 0; i < 100000; i++) {
		t1 = lb_now_ms();
		assert_true(t1 >= prev);
		prev = t1;
	}
	t0 = lb_now_ms();
	nanosleep(&ts, NULL);
	t1 = lb_now_ms();
	assert_true(t1 - t0 >= 20);
	assert_true(t1 - t0 < 5000);
}

static void
wall_s(void **state LB_UNUSED)
{
	int64_t w = lb_wall_s();

	assert_true(w > 1500000000);	/* after 2017 */
	assert_true(w - (int64_t)time(NULL) <= 1);
}

/* --------------------------------------------------------------- memory */

static void
xalloc(void **state LB_UNUSED)
{
	char *s, *p;
	int *z;
	size_t i;

	assert_null(lb_xstrdup(NULL));
	s = lb_xstrdup("m1");
	assert_string_equal(s, "m1");
	free(s);

	s = lb_asprintf("%s:%d", "10.0.1.11", 80);
	assert_string_equal(s, "10.0.1.11:80");
	free(s);

	z = lb_xcalloc(64, sizeof(*z));
	for (i = 0; i < 64; i++)
		assert_int_equal(z[i], 0);
	free(z);

	/* zero sizes still return something free() accepts */
	p = lb_xmalloc(0);
	assert_non_null(p);
	p = lb_xrealloc(p, 100);
	memset(p, 'a', 100);
	free(p);
}

static void
fd_nonblock(void **state LB_UNUSED)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(lb_fd_nonblock(fds[0]), 0);
	assert_true(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(lb_fd_nonblock(fds[0]), -1);
}

/* ----------------------------------------------------------------- diag */

/* Output of lb_diag_print as a new string (caller frees). */
static char *
diag_text(const struct lb_diag *d, const char *file)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	lb_diag_print(d, file, fp);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static void
diag_errors(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	char *out;

	lb_diag_err(&d, "members[%d].weight: %d is out of range 0..256", 2, 300);
	lb_diag_err(&d, "listeners[0].protocol: unknown value \"%s\"", "FTP");
	lb_diag_err(&d, "pools[1].lb_algorithm: missing");
	assert_int_equal(d.n, 3);
	assert_int_equal(d.nwarn, 0);

	/* all of them, in order, one per line, prefixed by the file */
	out = diag_text(&d, "/etc/lbproxy/lb.json");
	assert_string_equal(out,
	    "/etc/lbproxy/lb.json: members[2].weight: 300 is out of range 0..256\n"
	    "/etc/lbproxy/lb.json: listeners[0].protocol: unknown value \"FTP\"\n"
	    "/etc/lbproxy/lb.json: pools[1].lb_algorithm: missing\n");
	free(out);

	lb_diag_fini(&d);
	assert_int_equal(d.n, 0);
	assert_null(d.msgs);
	out = diag_text(&d, "x.json");
	assert_string_equal(out, "");
	free(out);
}

static void
diag_warnings(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	char *out;

	lb_diag_warn(&d, "pools[0].members[1]: weight 0, gets no traffic");
	lb_diag_warn(&d, "listeners[%d].timeout_client_data: %s", 1, "ignored");
	/* warnings alone do not make the config invalid */
	assert_int_equal(d.n, 0);
	assert_int_equal(d.nwarn, 2);

	out = diag_text(&d, "lb.json");
	assert_string_equal(out,
	    "lb.json: warning: pools[0].members[1]: weight 0, gets no traffic\n"
	    "lb.json: warning: listeners[1].timeout_client_data: ignored\n");
	free(out);
	lb_diag_fini(&d);
	assert_int_equal(d.nwarn, 0);
	assert_null(d.warns);
}

static void
diag_mixed(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	char *out, *e1, *e2, *w1;

	lb_diag_err(&d, "a: first error");
	lb_diag_warn(&d, "b: a warning");
	lb_diag_err(&d, "c: second error");
	assert_int_equal(d.n, 2);
	assert_int_equal(d.nwarn, 1);

	out = diag_text(&d, "f.json");
	e1 = strstr(out, "f.json: a: first error\n");
	e2 = strstr(out, "f.json: c: second error\n");
	w1 = strstr(out, "f.json: warning: b: a warning\n");
	assert_non_null(e1);
	assert_non_null(e2);
	assert_non_null(w1);
	assert_true(e1 < e2);
	/* three lines and nothing else */
	assert_int_equal(strlen(out), strlen("f.json: a: first error\n") +
	    strlen("f.json: c: second error\n") +
	    strlen("f.json: warning: b: a warning\n"));
	free(out);

	/* a %s in the text is not reinterpreted when printed */
	lb_diag_fini(&d);
	lb_diag_err(&d, "%s", "x: 100%s literal");
	out = diag_text(&d, "f.json");
	assert_string_equal(out, "f.json: x: 100%s literal\n");
	free(out);
	lb_diag_fini(&d);
	lb_diag_fini(&d);	/* twice is harmless */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addr_parse_v4),
		cmocka_unit_test(addr_parse_v6),
		cmocka_unit_test(addr_parse_invalid),
		cmocka_unit_test(addr_fmt),
		cmocka_unit_test(addr_unix),
		cmocka_unit_test(hash64_stable),
		cmocka_unit_test(hash64_sensitivity),
		cmocka_unit_test(now_ms_monotonic),
		cmocka_unit_test(wall_s),
		cmocka_unit_test(xalloc),
		cmocka_unit_test(fd_nonblock),
		cmocka_unit_test(diag_errors),
		cmocka_unit_test(diag_warnings),
		cmocka_unit_test(diag_mixed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
