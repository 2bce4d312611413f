/* test_conn.c: the data plane's connection layer over real sockets. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "lbproxy/conn.h"
#include "lbproxy/util.h"

struct probe {
	struct event_base	*base;
	int			 reads;
	int			 drains;
	short			 events;
	size_t			 got;
	bool			 stop_on_eof;
};

static void
read_cb(struct lb_conn *c, void *arg)
{
	struct probe *p = arg;

	p->reads++;
	p->got += evbuffer_get_length(lb_conn_input(c));
	evbuffer_drain(lb_conn_input(c), evbuffer_get_length(lb_conn_input(c)));
}

static void
drain_cb(struct lb_conn *c, void *arg)
{
	struct probe *p = arg;

	p->drains++;
	event_base_loopexit(p->base, NULL);
}

static void
event_cb(struct lb_conn *c, short what, void *arg)
{
	struct probe *p = arg;

	p->events |= what;
	event_base_loopexit(p->base, NULL);
}

static void
run(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Data written by the peer is delivered; EOF follows the data. */
static void
test_read_then_eof(void **state)
{
	struct probe p = { 0 };
	struct lb_conn *c;
	int sv[2];

	p.base = event_base_new();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	c = lb_conn_new(p.base, sv[0], NULL);
	assert_non_null(c);
	lb_conn_setcb(c, read_cb, drain_cb, event_cb, &p);
	lb_conn_read_start(c);
	assert_int_equal(write(sv[1], "hello", 5), 5);
	close(sv[1]);
	run(p.base, 2000);
	assert_int_equal(p.got, 5);
	assert_true(p.events & LB_CONN_EOF);
	lb_conn_free(c);
	event_base_free(p.base);
}

/* A flush writes at once (speculatively); the drain callback comes from the loop. */
static void
test_flush_and_drain(void **state)
{
	struct probe p = { 0 };
	struct lb_conn *c;
	char buf[16];
	int sv[2];

	p.base = event_base_new();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	c = lb_conn_new(p.base, sv[0], NULL);
	lb_conn_setcb(c, read_cb, drain_cb, event_cb, &p);
	evbuffer_add(lb_conn_output(c), "ping", 4);
	lb_conn_flush(c);
	/* written before the loop ever ran */
	assert_int_equal(read(sv[1], buf, sizeof(buf)), 4);
	assert_int_equal(p.drains, 0);
	lb_conn_want_drain(c);
	assert_int_equal(p.drains, 0);
	run(p.base, 2000);
	assert_int_equal(p.drains, 1);
	lb_conn_free(c);
	close(sv[1]);
	event_base_free(p.base);
}

/* Backpressure: a peer that does not read fills the socket; the rest goes when it reads. */
static void
test_partial_write_resumes(void **state)
{
	struct probe p = { 0 };
	struct lb_conn *c;
	static char big[4 << 20], sink[65536];
	size_t total = 0;
	ssize_t n;
	int sv[2], i;

	p.base = event_base_new();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	c = lb_conn_new(p.base, sv[0], NULL);
	lb_conn_setcb(c, read_cb, drain_cb, event_cb, &p);
	evbuffer_add(lb_conn_output(c), big, sizeof(big));
	lb_conn_flush(c);
	assert_true(evbuffer_get_length(lb_conn_output(c)) > 0);
	lb_conn_want_drain(c);
	for (i = 0; i < 2000 && total < sizeof(big); i++) {
		while ((n = read(sv[1], sink, sizeof(sink))) > 0)
			total += (size_t)n;
		run(p.base, 5);
	}
	assert_int_equal(total, sizeof(big));
	assert_int_equal(p.drains, 1);
	lb_conn_free(c);
	close(sv[1]);
	event_base_free(p.base);
}

/* Inactivity: nothing arrives within read_ms. */
static void
test_read_timeout(void **state)
{
	struct probe p = { 0 };
	struct lb_conn *c;
	uint64_t t0;
	int sv[2];

	p.base = event_base_new();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	c = lb_conn_new(p.base, sv[0], NULL);
	lb_conn_setcb(c, read_cb, drain_cb, event_cb, &p);
	lb_conn_set_timeouts(c, 200, 0);
	lb_conn_read_start(c);
	t0 = lb_now_ms();
	run(p.base, 3000);
	assert_true(p.events & LB_CONN_TIMEOUT);
	assert_true(p.events & LB_CONN_READING);
	assert_in_range(lb_now_ms() - t0, 150, 1000);
	lb_conn_free(c);
	close(sv[1]);
	event_base_free(p.base);
}

/* Activity pushes the inactivity deadline out (lazy timer re-arms). */
static void
test_timeout_extended_by_activity(void **state)
{
	struct probe p = { 0 };
	struct lb_conn *c;
	int sv[2], i;

	p.base = event_base_new();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	c = lb_conn_new(p.base, sv[0], NULL);
	lb_conn_setcb(c, read_cb, NULL, event_cb, &p);
	lb_conn_set_timeouts(c, 300, 0);
	lb_conn_read_start(c);
	for (i = 0; i < 8; i++) {
		assert_int_equal(write(sv[1], "x", 1), 1);
		run(p.base, 100);
	}
	assert_int_equal(p.events, 0);
	assert_int_equal(p.got, 8);
	lb_conn_free(c);
	close(sv[1]);
	event_base_free(p.base);
}

/* The owner's deadline is absolute: activity does not move it; cleared, it never fires. */
static void
test_deadline(void **state)
{
	struct probe p = { 0 };
	struct lb_conn *c;
	int sv[2], i;

	p.base = event_base_new();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	c = lb_conn_new(p.base, sv[0], NULL);
	lb_conn_setcb(c, read_cb, NULL, event_cb, &p);
	lb_conn_set_timeouts(c, 5000, 0);
	lb_conn_read_start(c);
	lb_conn_set_deadline(c, 250);
	assert_true(lb_conn_has_deadline(c));
	for (i = 0; i < 10 && p.events == 0; i++) {
		assert_int_equal(write(sv[1], "x", 1), 1);
		run(p.base, 50);
	}
	/* fired after about 5 of the 10 writes (at 250 ms), not pushed out by them */
	assert_int_equal(p.events, LB_CONN_TIMEOUT | LB_CONN_DEADLINE);
	assert_true(i <= 8);
	assert_false(lb_conn_has_deadline(c));

	/* cleared before it passes: nothing happens */
	p.events = 0;
	lb_conn_set_deadline(c, 100);
	lb_conn_set_deadline(c, 0);
	run(p.base, 300);
	assert_int_equal(p.events, 0);
	lb_conn_free(c);
	close(sv[1]);
	event_base_free(p.base);
}

/* Connect: success to a listener, error for a closed port (from the loop). */
static void
test_connect(void **state)
{
	struct probe p = { 0 };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	struct lb_conn *c;
	int l;

	p.base = event_base_new();
	l = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(l, 4), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	c = lb_conn_connect(p.base, (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(c);
	lb_conn_setcb(c, read_cb, NULL, event_cb, &p);
	assert_int_equal(p.events, 0);
	run(p.base, 2000);
	assert_int_equal(p.events, LB_CONN_CONNECTED);
	lb_conn_free(c);
	close(l);

	p.events = 0;
	c = lb_conn_connect(p.base, (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(c);
	lb_conn_setcb(c, read_cb, NULL, event_cb, &p);
	run(p.base, 2000);
	assert_true(p.events & LB_CONN_ERROR);
	lb_conn_free(c);
	event_base_free(p.base);
}

/* Reads stop at read_max and resume from where they were when asked again. */
static void
test_read_max_resume(void **state)
{
	struct probe p = { 0 };
	struct lb_conn *c;
	static char data[200000];
	int sv[2];
	size_t held;

	p.base = event_base_new();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	c = lb_conn_new(p.base, sv[0], NULL);
	lb_conn_setcb(c, NULL, NULL, event_cb, &p);
	lb_conn_set_read_max(c, 32768);
	lb_conn_read_start(c);
	assert_true(write(sv[1], data, sizeof(data)) > 100000);
	run(p.base, 100);
	held = evbuffer_get_length(lb_conn_input(c));
	assert_in_range(held, 32768, 32768 + 16384);
	evbuffer_drain(lb_conn_input(c), held);
	lb_conn_read_start(c);
	run(p.base, 100);
	assert_true(evbuffer_get_length(lb_conn_input(c)) > 0);
	lb_conn_free(c);
	close(sv[1]);
	event_base_free(p.base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_then_eof),
		cmocka_unit_test(test_flush_and_drain),
		cmocka_unit_test(test_partial_write_resumes),
		cmocka_unit_test(test_read_timeout),
		cmocka_unit_test(test_timeout_extended_by_activity),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_read_max_resume),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	lb_conn_cache_free();
	return rc;
}
