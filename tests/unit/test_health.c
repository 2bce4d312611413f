/*
 * test_health.c: the rise/fall state machine (pure), each check type against
 * real loopback servers run on the same event_base, and the scheduler.
 *
 * "test_health --bench tcp|http|https [members] [seconds]" instead measures
 * the CPU the checker spends on that many members at delay 1 s, against a
 * forked loopback server (whose CPU is reported apart).
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lbproxy/config.h"
#include "lbproxy/health.h"
#include "lbproxy/log.h"
#include "lbproxy/member.h"
#include "lbproxy/util.h"

#include "../../src/check.h"

typedef struct lb_check *(*start_fn)(struct event_base *, const struct lb_member *,
    const struct lb_hm_conf *, int, lb_check_done_cb, void *);

/* HTTP(S) checks with the shared context (test_tls_check.c gives them others). */
static struct lb_check *
http_start(struct event_base *base, const struct lb_member *m, const struct lb_hm_conf *hm,
    int timeout_ms, lb_check_done_cb done, void *arg)
{
	return lb_check_http_start(base, m, hm, NULL, timeout_ms, done, arg);
}

/* --- helpers ------------------------------------------------------------ */

static struct lb_member *
member_new(const char *id, const char *addr, int port)
{
	struct lb_member_conf mc = {
		.id = (char *)id, .address = (char *)addr, .port = port,
		.weight = 1, .admin_state_up = true,
	};

	assert_int_equal(lb_addr_parse(addr, port, &mc.addr.ss, &mc.addr.len), 0);
	mc.check_addr = mc.addr;
	return lb_member_new(&mc, "pool1", 1);
}

static struct lb_check_result
result(bool ok, enum lb_check_status st, int code, const char *desc)
{
	struct lb_check_result r = { .ok = ok, .status = st, .code = code, .duration_ms = 7 };

	snprintf(r.desc, sizeof(r.desc), "%s", desc);
	return r;
}

static int
health(const struct lb_member *m)
{
	return atomic_load(&m->health);
}

static void
set_health(struct lb_member *m, enum lb_health_state st)
{
	lb_member_set_health(m, st);
}

/* Open descriptors of this process, to prove checks close theirs. */
static int
fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the DIR's own descriptor */
}

static int
sock_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	return lb_addr_port((struct sockaddr *)&ss);
}

/* A loopback TCP socket bound to a free port; listening with backlog, or not at all (-1). */
static int
loopback_socket(int backlog)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

/* Break the loop after ms: a guard so a broken check cannot hang the suite. */
static void
guard_cb(evutil_socket_t fd LB_UNUSED, short what LB_UNUSED, void *arg)
{
	event_base_loopbreak(arg);
}

static void
run_for(struct event_base *base, int ms)
{
	struct event *guard = evtimer_new(base, guard_cb, base);
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(guard, &tv);
	event_base_dispatch(base);
	event_free(guard);
}

struct waiter {
	struct event_base	*base;
	int			 calls;
	struct lb_check_result	 r;
};

static void
waiter_done(const struct lb_check_result *r, void *arg)
{
	struct waiter *w = arg;

	w->calls++;
	w->r = *r;
	event_base_loopbreak(w->base);
}

/* Run one check to its done call, which must come from the loop, exactly once. */
static void
run_check(struct event_base *base, start_fn start, struct lb_member *m,
    const struct lb_hm_conf *hm, int timeout_ms, struct waiter *w)
{
	struct lb_check *c;

	memset(w, 0, sizeof(*w));
	w->base = base;
	c = start(base, m, hm, timeout_ms, waiter_done, w);
	assert_non_null(c);
	assert_int_equal(w->calls, 0);
	run_for(base, timeout_ms + 3000);
	assert_int_equal(w->calls, 1);
	/* nothing more happens afterwards */
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(w->calls, 1);
}

/* --- a tiny HTTP(S) server on the test's event_base ---------------------- */

#define SRV_CONNS 16

struct srv {
	struct event_base	*base;
	struct evconnlistener	*lev;
	int			 port;
	const char		*reply;		/* NULL: never answer */
	bool			 at_once;	/* answer the first bytes, not a request head */
	bool			 close_after;	/* close once the reply is sent */
	bool			 replied;
	SSL_CTX			*tls;
	struct bufferevent	*conns[SRV_CONNS];
	int			 accepted;
	int			 resumed;	/* TLS connections that resumed a session */
	char			 req[1024];	/* the first request head seen */
};

static void
srv_drop(struct srv *s, struct bufferevent *bev)
{
	int i;

	for (i = 0; i < SRV_CONNS; i++)
		if (s->conns[i] == bev)
			s->conns[i] = NULL;
	bufferevent_free(bev);
}

static void
srv_write_cb(struct bufferevent *bev, void *arg)
{
	struct srv *s = arg;

	if (s->close_after && s->replied && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		srv_drop(s, bev);
}

static void
srv_read_cb(struct bufferevent *bev, void *arg)
{
	struct srv *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end;
	size_t len;

	if (s->reply == NULL) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (!s->at_once) {
		end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		if (end.pos == -1)
			return;
		len = (size_t)end.pos + 4;
		if (s->req[0] == '\0' && len < sizeof(s->req))
			evbuffer_copyout(in, s->req, len);
	}
	if (s->tls != NULL && SSL_session_reused(bufferevent_openssl_get_ssl(bev)))
		s->resumed++;
	evbuffer_drain(in, evbuffer_get_length(in));
	bufferevent_write(bev, s->reply, strlen(s->reply));
	s->replied = true;
	if (s->close_after && s->reply[0] == '\0')
		srv_drop(s, bev);
}

static void
srv_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		srv_drop(arg, bev);
}

static void
srv_accept_cb(struct evconnlistener *lev LB_UNUSED, evutil_socket_t fd,
    struct sockaddr *sa LB_UNUSED, int salen LB_UNUSED, void *arg)
{
	struct srv *s = arg;
	struct bufferevent *bev;
	int i;

	s->accepted++;
	if (s->tls != NULL)
		bev = bufferevent_openssl_socket_new(s->base, fd, SSL_new(s->tls),
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	else
		bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	assert_non_null(bev);
	for (i = 0; i < SRV_CONNS && s->conns[i] != NULL; i++)
		;
	assert_true(i < SRV_CONNS);
	s->conns[i] = bev;
	bufferevent_setcb(bev, srv_read_cb, srv_write_cb, srv_event_cb, s);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void
srv_start(struct srv *s, struct event_base *base, const char *reply)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	memset(s, 0, sizeof(*s));
	s->base = base;
	s->reply = reply;
	s->lev = evconnlistener_new_bind(base, srv_accept_cb, s, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 16, (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(s->lev);
	s->port = sock_port(evconnlistener_get_fd(s->lev));
}

static void
srv_stop(struct srv *s)
{
	int i;

	for (i = 0; i < SRV_CONNS; i++)
		if (s->conns[i] != NULL)
			bufferevent_free(s->conns[i]);
	evconnlistener_free(s->lev);
	SSL_CTX_free(s->tls);
}

/* A server context with a fresh self-signed P-256 certificate. */
static SSL_CTX *
tls_server_ctx(void)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	SSL_CTX *ctx;

	assert_non_null(pkey);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost",
	    -1, -1, 0);
	X509_set_issuer_name(x, name);
	assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);
	ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate(ctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, pkey), 1);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ctx;
}

/* --- fixtures ----------------------------------------------------------- */

static struct lb_code_range code_200 = { 200, 200 };

static struct lb_hm_conf
hm_conf(enum lb_hm_type type)
{
	struct lb_hm_conf hm = {
		.id = "h1", .type = type, .delay = 1, .timeout = 1, .max_retries = 3,
		.rise = 2, .fall = 3, .http_version = 11,
		.http_method = "GET", .url_path = "/health", .expected_codes = "200",
		.codes = &code_200, .n_codes = 1, .admin_state_up = true,
	};

	return hm;
}

static int
setup_base(void **state)
{
	*state = event_base_new();
	return *state == NULL ? -1 : 0;
}

static int
teardown_base(void **state)
{
	event_base_free(*state);
	lb_check_http_cleanup();
	return 0;
}

/* --- the state machine ---------------------------------------------------- */

static void
test_feed_first_success(void **state LB_UNUSED)
{
	struct lb_member *m = member_new("m1", "10.0.1.11", 80);
	struct lb_check_result ok = result(true, LB_CHK_L4OK, 0, "connected");

	set_health(m, LB_HEALTH_CHECKING);
	assert_true(lb_health_feed(m, &ok, 2, 3));
	assert_int_equal(health(m), LB_HEALTH_UP);
	assert_int_equal(m->rise_cnt, 1);
	assert_int_equal(m->chkfail, 0);
	assert_int_equal(m->chkdown, 0);
	assert_false(lb_health_feed(m, &ok, 2, 3));
	lb_member_unref(m);
}

static void
test_feed_first_failure(void **state LB_UNUSED)
{
	struct lb_member *m = member_new("m1", "10.0.1.11", 80);
	struct lb_check_result bad = result(false, LB_CHK_L4CON, 0, "connection refused");

	set_health(m, LB_HEALTH_CHECKING);
	assert_true(lb_health_feed(m, &bad, 2, 3));
	assert_int_equal(health(m), LB_HEALTH_DOWN);
	assert_int_equal(m->fall_cnt, 1);
	assert_int_equal(m->chkfail, 1);
	assert_int_not_equal(m->down_since, 0);
	/* a first verdict of DOWN is a down transition too (HAProxy: chkdown 1) */
	assert_int_equal(m->chkdown, 1);
	assert_false(lb_health_feed(m, &bad, 2, 3));
	assert_int_equal(m->chkfail, 1);
	lb_member_unref(m);
}

static void
test_feed_fall(void **state LB_UNUSED)
{
	struct lb_member *m = member_new("m1", "10.0.1.11", 80);
	struct lb_check_result bad = result(false, LB_CHK_L7STS, 500,
	    "HTTP status 500, expected 200");

	set_health(m, LB_HEALTH_UP);
	assert_false(lb_health_feed(m, &bad, 2, 3));
	assert_false(lb_health_feed(m, &bad, 2, 3));
	assert_int_equal(health(m), LB_HEALTH_UP);
	assert_int_equal(m->fall_cnt, 2);
	assert_true(lb_health_feed(m, &bad, 2, 3));
	assert_int_equal(health(m), LB_HEALTH_DOWN);
	assert_int_equal(m->fall_cnt, 3);
	assert_int_equal(m->chkdown, 1);
	/*
	 * staying down is not a transition; the counter stays at its threshold,
	 * and chkfail at the count that took it down (HAProxy 2.6)
	 */
	assert_false(lb_health_feed(m, &bad, 2, 3));
	assert_int_equal(m->fall_cnt, 3);
	assert_int_equal(m->chkfail, 3);
	assert_int_equal(m->chkdown, 1);
	lb_member_unref(m);
}

/* In maintenance HAProxy does not check: failures then count in neither counter. */
static void
test_feed_maint(void **state LB_UNUSED)
{
	struct lb_member *m = member_new("m1", "10.0.1.11", 80);
	struct lb_check_result bad = result(false, LB_CHK_L4CON, 0, "connection refused");

	set_health(m, LB_HEALTH_UP);
	assert_true(lb_member_set_admin(m, LB_ADMIN_MAINT));
	assert_int_equal(m->chkdown, 1);
	assert_false(lb_health_feed(m, &bad, 2, 3));
	assert_false(lb_health_feed(m, &bad, 2, 3));
	assert_true(lb_health_feed(m, &bad, 2, 3));
	assert_int_equal(health(m), LB_HEALTH_DOWN);
	assert_int_equal(m->chkfail, 0);
	assert_int_equal(m->chkdown, 1);
	/* admin_state_up false in the config is maintenance too */
	assert_true(lb_member_set_admin(m, LB_ADMIN_READY));
	set_health(m, LB_HEALTH_UP);
	m->fall_cnt = 0;
	atomic_store(&m->admin_up, false);
	assert_false(lb_health_feed(m, &bad, 2, 3));
	assert_int_equal(m->chkfail, 0);
	lb_member_unref(m);
}

static void
test_feed_rise(void **state LB_UNUSED)
{
	struct lb_member *m = member_new("m1", "10.0.1.11", 80);
	struct lb_check_result ok = result(true, LB_CHK_L7OK, 200, "HTTP status 200");
	struct lb_check_result bad = result(false, LB_CHK_L4TOUT, 0, "connect timeout");

	set_health(m, LB_HEALTH_DOWN);
	assert_false(lb_health_feed(m, &ok, 2, 3));
	assert_int_equal(m->rise_cnt, 1);
	/* a failure restarts the count */
	assert_false(lb_health_feed(m, &bad, 2, 3));
	assert_int_equal(m->rise_cnt, 0);
	assert_false(lb_health_feed(m, &ok, 2, 3));
	assert_int_equal(health(m), LB_HEALTH_DOWN);
	assert_true(lb_health_feed(m, &ok, 2, 3));
	assert_int_equal(health(m), LB_HEALTH_UP);
	assert_int_equal(m->rise_cnt, 2);
	assert_int_equal(m->fall_cnt, 0);
	lb_member_unref(m);
}

static void
test_feed_counters_reset(void **state LB_UNUSED)
{
	struct lb_member *m = member_new("m1", "10.0.1.11", 80);
	struct lb_check_result ok = result(true, LB_CHK_L4OK, 0, "connected");
	struct lb_check_result bad = result(false, LB_CHK_L4CON, 0, "connection refused");

	set_health(m, LB_HEALTH_UP);
	assert_false(lb_health_feed(m, &bad, 2, 3));
	assert_false(lb_health_feed(m, &bad, 2, 3));
	assert_false(lb_health_feed(m, &ok, 2, 3));
	assert_int_equal(m->fall_cnt, 0);
	assert_false(lb_health_feed(m, &bad, 2, 3));
	assert_false(lb_health_feed(m, &bad, 2, 3));
	assert_int_equal(health(m), LB_HEALTH_UP);
	assert_true(lb_health_feed(m, &bad, 2, 3));
	assert_int_equal(health(m), LB_HEALTH_DOWN);
	assert_int_equal(m->chkfail, 5);
	lb_member_unref(m);
}

static void
test_feed_bookkeeping(void **state LB_UNUSED)
{
	struct lb_member *m = member_new("m1", "10.0.1.11", 80);
	struct lb_check_result ok = result(true, LB_CHK_L7OK, 200, "HTTP status 200");
	struct lb_check_result bad = result(false, LB_CHK_L7STS, 503,
	    "HTTP status 503, expected 200");

	set_health(m, LB_HEALTH_UP);
	assert_true(lb_health_feed(m, &bad, 1, 1));
	assert_int_equal(m->check_status, LB_CHK_L7STS);
	assert_int_equal(m->check_code, 503);
	assert_int_equal(m->check_duration_ms, 7);
	assert_string_equal(m->check_desc, "HTTP status 503, expected 200");
	assert_int_equal(m->chkdown, 1);
	assert_int_not_equal(m->down_since, 0);
	/* pretend it has been down for a while */
	m->down_since -= 7;
	assert_true(lb_health_feed(m, &ok, 1, 1));
	assert_int_equal(health(m), LB_HEALTH_UP);
	assert_true(m->downtime >= 7);
	assert_int_equal(m->down_since, 0);
	assert_int_equal(m->check_status, LB_CHK_L7OK);
	assert_int_equal(m->check_code, 200);
	assert_string_equal(m->check_desc, "HTTP status 200");
	assert_int_equal(m->chkfail, 1);
	/* rise = fall = 1: every result decides */
	assert_true(lb_health_feed(m, &bad, 1, 1));
	assert_int_equal(m->chkdown, 2);
	lb_member_unref(m);
}

/* --- checks against real sockets ---------------------------------------- */

static void
test_tcp_ok(void **state)
{
	struct event_base *base = *state;
	struct lb_hm_conf hm = hm_conf(LB_HM_TCP);
	int fds = fd_count(), lfd = loopback_socket(8);
	struct lb_member *m = member_new("m1", "127.0.0.1", sock_port(lfd));
	struct waiter w;

	run_check(base, lb_check_tcp_start, m, &hm, 1000, &w);
	assert_true(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L4OK);
	assert_string_equal(w.r.desc, "connected");
	assert_true(w.r.duration_ms >= 0 && w.r.duration_ms < 1000);
	close(lfd);
	assert_int_equal(fd_count(), fds);
	lb_member_unref(m);
}

static void
test_tcp_refused(void **state)
{
	struct event_base *base = *state;
	struct lb_hm_conf hm = hm_conf(LB_HM_TCP);
	int fds = fd_count(), fd = loopback_socket(-1);	/* bound, not listening: RST */
	struct lb_member *m = member_new("m1", "127.0.0.1", sock_port(fd));
	struct waiter w;

	run_check(base, lb_check_tcp_start, m, &hm, 1000, &w);
	assert_false(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L4CON);
	assert_string_equal(w.r.desc, "connection refused");
	close(fd);
	assert_int_equal(fd_count(), fds);
	lb_member_unref(m);
}

static void
test_tcp_timeout(void **state)
{
	struct event_base *base = *state;
	struct lb_hm_conf hm = hm_conf(LB_HM_TCP);
	int fds = fd_count(), lfd = loopback_socket(0), filler;
	struct lb_member *m = member_new("m1", "127.0.0.1", sock_port(lfd));
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct waiter w;

	/* backlog 0 holds one connection; with it never accepted, further SYNs are dropped */
	getsockname(lfd, (struct sockaddr *)&ss, &len);
	filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(filler, (struct sockaddr *)&ss, len), 0);
	run_check(base, lb_check_tcp_start, m, &hm, 300, &w);
	assert_false(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L4TOUT);
	assert_string_equal(w.r.desc, "connect timeout");
	assert_true(w.r.duration_ms >= 290);
	close(filler);
	close(lfd);
	assert_int_equal(fd_count(), fds);
	lb_member_unref(m);
}

/* Run an HTTP(S) check of monitor type against a server answering reply. */
static void
http_case(struct event_base *base, enum lb_hm_type type, struct srv *s, int timeout_ms,
    struct waiter *w)
{
	struct lb_hm_conf hm = hm_conf(type);
	struct lb_member *m = member_new("m1", "127.0.0.1", s->port);

	run_check(base, http_start, m, &hm, timeout_ms, w);
	lb_member_unref(m);
}

static void
test_http_ok(void **state)
{
	struct event_base *base = *state;
	int fds = fd_count();
	char want[256];
	struct srv s;
	struct waiter w;

	srv_start(&s, base, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	http_case(base, LB_HM_HTTP, &s, 1000, &w);
	assert_true(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L7OK);
	assert_int_equal(w.r.code, 200);
	assert_string_equal(w.r.desc, "HTTP status 200");
	snprintf(want, sizeof(want), "GET /health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "User-Agent: lbproxy-health\r\nConnection: close\r\n\r\n", s.port);
	assert_string_equal(s.req, want);
	srv_stop(&s);
	assert_int_equal(fd_count(), fds);
}

static void
test_http_status(void **state)
{
	struct event_base *base = *state;
	struct lb_code_range two[] = { { 200, 204 }, { 301, 301 } };
	struct lb_hm_conf hm = hm_conf(LB_HM_HTTP);
	struct lb_member *m;
	struct srv s;
	struct waiter w;

	srv_start(&s, base, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
	http_case(base, LB_HM_HTTP, &s, 1000, &w);
	assert_false(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L7STS);
	assert_int_equal(w.r.code, 500);
	assert_string_equal(w.r.desc, "HTTP status 500, expected 200");
	srv_stop(&s);

	/* the configured text is quoted; ranges and lists match */
	hm.expected_codes = "200-204,301";
	hm.codes = two;
	hm.n_codes = 2;
	srv_start(&s, base, "HTTP/1.0 204 No Content\r\n\r\n");
	m = member_new("m1", "127.0.0.1", s.port);
	run_check(base, http_start, m, &hm, 1000, &w);
	assert_true(w.r.ok);
	assert_int_equal(w.r.code, 204);
	srv_stop(&s);
	srv_start(&s, base, "HTTP/1.1 302 Found\r\n\r\n");
	lb_member_unref(m);
	m = member_new("m1", "127.0.0.1", s.port);
	run_check(base, http_start, m, &hm, 1000, &w);
	assert_false(w.r.ok);
	assert_string_equal(w.r.desc, "HTTP status 302, expected 200-204,301");
	srv_stop(&s);
	lb_member_unref(m);
}

static void
test_http_garbage(void **state)
{
	struct event_base *base = *state;
	static const char *const bad[] = {
		"SSH-2.0-OpenSSH_9.2\r\n",
		"xyz",			/* no line end: judged without waiting */
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 OK\r\n\r\n",
		"HTTP/2 200\r\n\r\n",
	};
	int fds = fd_count();
	size_t i;
	struct srv s;
	struct waiter w;

	for (i = 0; i < LB_ARRAY_SIZE(bad); i++) {
		srv_start(&s, base, bad[i]);
		http_case(base, LB_HM_HTTP, &s, 1000, &w);
		assert_false(w.r.ok);
		assert_int_equal(w.r.status, LB_CHK_L7RSP);
		assert_string_equal(w.r.desc, "invalid HTTP response");
		srv_stop(&s);
	}
	assert_int_equal(fd_count(), fds);
}

static void
test_http_closed(void **state)
{
	struct event_base *base = *state;
	struct srv s;
	struct waiter w;

	srv_start(&s, base, "");
	s.close_after = true;
	http_case(base, LB_HM_HTTP, &s, 1000, &w);
	assert_int_equal(w.r.status, LB_CHK_L7RSP);
	assert_string_equal(w.r.desc, "connection closed without response");
	srv_stop(&s);

	srv_start(&s, base, "HTTP/1.1 20");
	s.close_after = true;
	http_case(base, LB_HM_HTTP, &s, 1000, &w);
	assert_int_equal(w.r.status, LB_CHK_L7RSP);
	assert_string_equal(w.r.desc, "incomplete HTTP status line");
	srv_stop(&s);
}

static void
test_http_timeout(void **state)
{
	struct event_base *base = *state;
	int fds = fd_count();
	struct srv s;
	struct waiter w;

	srv_start(&s, base, NULL);	/* accepts, never answers */
	http_case(base, LB_HM_HTTP, &s, 300, &w);
	assert_false(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L7TOUT);
	assert_string_equal(w.r.desc, "HTTP response timeout");
	assert_int_equal(s.accepted, 1);
	srv_stop(&s);
	assert_int_equal(fd_count(), fds);
}

static void
test_http_refused(void **state)
{
	struct event_base *base = *state;
	struct lb_hm_conf hm = hm_conf(LB_HM_HTTP);
	int fd = loopback_socket(-1);
	struct lb_member *m = member_new("m1", "127.0.0.1", sock_port(fd));
	struct waiter w;

	run_check(base, http_start, m, &hm, 1000, &w);
	assert_int_equal(w.r.status, LB_CHK_L4CON);
	assert_string_equal(w.r.desc, "connection refused");
	close(fd);
	lb_member_unref(m);
}

static void
test_https_ok(void **state)
{
	struct event_base *base = *state;
	int fds = fd_count();
	char want[256];
	struct srv s;
	struct waiter w;

	srv_start(&s, base, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	s.tls = tls_server_ctx();
	http_case(base, LB_HM_HTTPS, &s, 2000, &w);
	assert_true(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L7OK);
	assert_int_equal(w.r.code, 200);
	snprintf(want, sizeof(want), "GET /health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "User-Agent: lbproxy-health\r\nConnection: close\r\n\r\n", s.port);
	assert_string_equal(s.req, want);
	assert_int_equal(s.resumed, 0);
	/* a second check reuses the shared client context, and resumes the session */
	http_case(base, LB_HM_HTTPS, &s, 2000, &w);
	assert_true(w.r.ok);
	assert_int_equal(s.resumed, 1);
	srv_stop(&s);
	lb_check_http_cleanup();
	assert_int_equal(fd_count(), fds);
}

static void
test_https_handshake_failed(void **state)
{
	struct event_base *base = *state;
	int fds = fd_count();
	struct srv s;
	struct waiter w;

	/* a plain HTTP server answers the ClientHello with text */
	srv_start(&s, base, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
	s.at_once = true;
	s.close_after = true;
	http_case(base, LB_HM_HTTPS, &s, 1000, &w);
	assert_false(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L6RSP);
	assert_true(strncmp(w.r.desc, "TLS handshake failed", 20) == 0 ||
	    strcmp(w.r.desc, "connection closed during TLS handshake") == 0);
	srv_stop(&s);
	lb_check_http_cleanup();
	assert_int_equal(fd_count(), fds);
}

static void
test_https_handshake_timeout(void **state)
{
	struct event_base *base = *state;
	int fds = fd_count();
	struct srv s;
	struct waiter w;

	srv_start(&s, base, NULL);
	http_case(base, LB_HM_HTTPS, &s, 300, &w);
	assert_false(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L6TOUT);
	assert_string_equal(w.r.desc, "TLS handshake timeout");
	srv_stop(&s);
	lb_check_http_cleanup();
	assert_int_equal(fd_count(), fds);
}

static void
never_done(const struct lb_check_result *r, void *arg LB_UNUSED)
{
	fail_msg("done called after cancel: %s", r->desc);
}

static void
test_cancel(void **state)
{
	struct event_base *base = *state;
	struct lb_hm_conf hm = hm_conf(LB_HM_HTTP);
	int fds = fd_count();
	struct lb_member *m, *none;
	struct lb_check *c;
	struct srv s;

	srv_start(&s, base, NULL);
	m = member_new("m1", "127.0.0.1", s.port);
	/* in flight: connected, request sent, waiting */
	c = http_start(base, m, &hm, 1000, never_done, NULL);
	assert_non_null(c);
	run_for(base, 50);
	assert_int_equal(s.accepted, 1);
	lb_check_cancel(c);
	run_for(base, 50);

	/* finished but its done call not yet run */
	none = member_new("m2", "127.0.0.1", 1);
	none->addrlen = none->check_addrlen = 0;
	c = lb_check_tcp_start(base, none, &hm, 1000, never_done, NULL);
	assert_non_null(c);
	lb_check_cancel(c);
	c = lb_check_icmp_start(base, m, &hm, 1000, never_done, NULL);
	assert_non_null(c);
	lb_check_cancel(c);
	lb_check_cancel(NULL);
	run_for(base, 50);
	srv_stop(&s);
	assert_int_equal(fd_count(), fds);
	lb_member_unref(none);
	lb_member_unref(m);
}

static void
test_no_address(void **state)
{
	struct event_base *base = *state;
	struct lb_hm_conf hm = hm_conf(LB_HM_TCP);
	struct lb_member *m = member_new("m1", "127.0.0.1", 1);
	struct waiter w;

	/* a failure known at start is still reported from the loop */
	m->addrlen = m->check_addrlen = 0;
	run_check(base, lb_check_tcp_start, m, &hm, 1000, &w);
	assert_int_equal(w.r.status, LB_CHK_SOCKERR);
	run_check(base, http_start, m, &hm, 1000, &w);
	assert_int_equal(w.r.status, LB_CHK_SOCKERR);
	run_check(base, lb_check_icmp_start, m, &hm, 1000, &w);
	assert_int_equal(w.r.status, LB_CHK_SOCKERR);
	lb_member_unref(m);
}

static void
ping_case(struct event_base *base, const char *addr)
{
	struct lb_hm_conf hm = hm_conf(LB_HM_PING);
	int fds = fd_count();
	struct lb_member *m = member_new("m1", addr, 80);
	struct waiter w;

	run_check(base, lb_check_icmp_start, m, &hm, 1000, &w);
	lb_member_unref(m);
	assert_int_equal(fd_count(), fds);
	if (w.r.status == LB_CHK_SOCKERR || (!w.r.ok && strcmp(addr, "::1") == 0)) {
		print_message("ping %s: %s, skipped\n", addr, w.r.desc);
		skip();
	}
	assert_true(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L4OK);
	assert_string_equal(w.r.desc, "echo reply");
}

static void
test_ping_v4(void **state)
{
	ping_case(*state, "127.0.0.1");
}

static void
test_ping_v6(void **state)
{
	ping_case(*state, "::1");
}

static void
test_icmp_match(void **state LB_UNUSED)
{
	static const unsigned char cookie[16] = "0123456789abcdef";
	unsigned char pkt[20 + 8 + 16], *icmp = pkt + 20;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;	/* IPv4, IHL 5 */
	icmp[0] = 0;	/* echo reply */
	icmp[4] = 0x12, icmp[5] = 0x34;	/* id */
	icmp[6] = 0x00, icmp[7] = 0x07;	/* seq */
	memcpy(icmp + 8, cookie, 16);

	/* ping socket: no IP header, the kernel owns the identifier */
	assert_true(lb_check_icmp_match(icmp, 24, AF_INET, false, 0x9999, 7, cookie, 16));
	/* raw socket: IP header first, identifier must match */
	assert_true(lb_check_icmp_match(pkt, sizeof(pkt), AF_INET, true, 0x1234, 7, cookie, 16));
	assert_false(lb_check_icmp_match(pkt, sizeof(pkt), AF_INET, true, 0x1235, 7, cookie, 16));
	/* stray or forged replies */
	assert_false(lb_check_icmp_match(icmp, 24, AF_INET, false, 0, 8, cookie, 16));
	assert_false(lb_check_icmp_match(icmp, 24, AF_INET, false, 0, 7,
	    (const unsigned char *)"0123456789abcdeX", 16));
	assert_false(lb_check_icmp_match(icmp, 23, AF_INET, false, 0, 7, cookie, 16));
	assert_false(lb_check_icmp_match(pkt, 19, AF_INET, true, 0x1234, 7, cookie, 16));
	icmp[0] = 8;	/* our own request, seen by a raw socket on loopback */
	assert_false(lb_check_icmp_match(pkt, sizeof(pkt), AF_INET, true, 0x1234, 7, cookie, 16));
	/* ICMPv6 echo reply is type 129 */
	icmp[0] = 129;
	assert_true(lb_check_icmp_match(icmp, 24, AF_INET6, true, 0x1234, 7, cookie, 16));
	assert_false(lb_check_icmp_match(icmp, 24, AF_INET, false, 0x1234, 7, cookie, 16));
}

/* --- scheduling ----------------------------------------------------------- */

struct watch {
	struct event_base	 *base;
	struct lb_member	**m;
	const int		 *want;
	size_t			  n;
};

/* Stop the loop once every watched member has the wanted state. */
static void
watch_cb(evutil_socket_t fd LB_UNUSED, short what LB_UNUSED, void *arg)
{
	struct watch *wt = arg;
	size_t i;

	for (i = 0; i < wt->n; i++)
		if (health(wt->m[i]) != wt->want[i])
			return;
	event_base_loopbreak(wt->base);
}

/* Run until the members reach want, at most ms; returns the time it took. */
static uint64_t
run_until(struct event_base *base, struct lb_member **m, const int *want, size_t n, int ms)
{
	struct watch wt = { base, m, want, n };
	struct timeval tv = { 0, 20 * 1000 };
	struct event *ev = event_new(base, -1, EV_PERSIST, watch_cb, &wt);
	uint64_t start = lb_now_ms();

	evtimer_add(ev, &tv);
	run_for(base, ms);
	event_free(ev);
	return lb_now_ms() - start;
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
test_apply_transitions(void **state)
{
	struct event_base *base = *state;
	struct lb_hm_conf hm = hm_conf(LB_HM_TCP);
	struct lb_config conf = { .health_rise = 2, .health_jitter_pct = 10 };
	struct lb_pool_conf pool = { .id = "pool1", .hm = &hm };
	int lfd = loopback_socket(64), dead = loopback_socket(-1);
	struct lb_member *m[4];
	int want[4] = { LB_HEALTH_UP, LB_HEALTH_DOWN, LB_HEALTH_DOWN, LB_HEALTH_UP };
	char logpath[] = "/tmp/test_health.XXXXXX", line[256], *log;
	struct lb_health *h;
	uint64_t took;
	int fd, i, rise;

	hm.max_retries = hm.fall = 2;
	m[0] = member_new("m1", "127.0.0.1", sock_port(lfd));	/* new, healthy */
	m[1] = member_new("m2", "127.0.0.1", sock_port(dead));	/* UP, then refused */
	m[2] = member_new("m3", "127.0.0.1", sock_port(dead));	/* new, refused */
	m[3] = member_new("m4", "127.0.0.1", sock_port(lfd));	/* DOWN, healthy again */
	set_health(m[1], LB_HEALTH_UP);
	set_health(m[3], LB_HEALTH_DOWN);

	fd = mkstemp(logpath);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(lb_log_open(LB_LOG_FILE, logpath, LB_LOG_NOTICE), 0);

	h = lb_health_new(base);
	lb_health_apply(h, &conf, &pool, m, 4);
	assert_int_equal(health(m[0]), LB_HEALTH_CHECKING);
	assert_int_equal(health(m[1]), LB_HEALTH_UP);
	assert_int_equal(health(m[2]), LB_HEALTH_CHECKING);
	assert_int_equal(health(m[3]), LB_HEALTH_DOWN);
	for (i = 0; i < 4; i++)
		assert_int_equal(atomic_load(&m[i]->refcnt), 2);

	/* the listener is never accepted from: its backlog must hold the checks */
	took = run_until(base, m, want, 4, hm.delay * 1000 * hm.max_retries + hm.timeout * 1000 + 300);
	for (i = 0; i < 4; i++)
		assert_int_equal(health(m[i]), want[i]);
	assert_true(took <= (uint64_t)(hm.delay * 1000 * hm.max_retries + hm.timeout * 1000));
	assert_int_equal(m[1]->fall_cnt, 2);
	assert_true(m[1]->chkfail >= 2);
	assert_int_equal(m[1]->chkdown, 1);
	assert_int_equal(m[1]->check_status, LB_CHK_L4CON);
	assert_int_equal(m[3]->rise_cnt, 2);

	lb_log_open(LB_LOG_STDERR, NULL, LB_LOG_NOTICE);
	log = slurp(logpath);
	unlink(logpath);
	snprintf(line, sizeof(line), "member m1 (127.0.0.1:%d) CHECKING -> UP: connected (first check)",
	    sock_port(lfd));
	assert_non_null(strstr(log, line));
	snprintf(line, sizeof(line), "member m2 (127.0.0.1:%d) UP -> DOWN: connection refused (2/2)",
	    sock_port(dead));
	assert_non_null(strstr(log, line));
	snprintf(line, sizeof(line),
	    "member m3 (127.0.0.1:%d) CHECKING -> DOWN: connection refused (first check)",
	    sock_port(dead));
	assert_non_null(strstr(log, line));
	snprintf(line, sizeof(line), "member m4 (127.0.0.1:%d) DOWN -> UP: connected (2/2)",
	    sock_port(lfd));
	assert_non_null(strstr(log, line));
	/* only transitions are logged: four lines */
	for (i = 0; (log = strchr(log, '\n')) != NULL; log++)
		i++;
	assert_int_equal(i, 4);

	/* the same members again keep their state; m2 is dropped and released */
	lb_health_apply(h, &conf, &pool, (struct lb_member *[]){ m[3], m[0], m[2], m[0] }, 4);
	assert_int_equal(atomic_load(&m[1]->refcnt), 1);
	assert_int_equal(atomic_load(&m[0]->refcnt), 2);
	assert_int_equal(health(m[0]), LB_HEALTH_UP);
	assert_int_equal(health(m[2]), LB_HEALTH_DOWN);

	/* a new max_retries only changes verdicts: nothing restarts */
	rise = m[0]->rise_cnt;
	assert_true(rise >= 1);
	hm.max_retries = hm.fall = 3;
	lb_health_apply(h, &conf, &pool, (struct lb_member *[]){ m[3], m[0], m[2] }, 3);
	assert_int_equal(m[0]->rise_cnt, rise);

	/* a different probe restarts the checks and counters, states stay */
	hm.type = LB_HM_HTTP;
	lb_health_apply(h, &conf, &pool, m, 1);
	assert_int_equal(health(m[0]), LB_HEALTH_UP);
	assert_int_equal(m[0]->rise_cnt, 0);
	assert_int_equal(health(m[2]), LB_HEALTH_DOWN);	/* no longer checked, left alone */
	assert_int_equal(atomic_load(&m[2]->refcnt), 1);

	/* no monitor: "no check" and no more checking */
	lb_health_apply(h, &(struct lb_config){ .health_rise = 2 }, NULL, m, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(health(m[i]), LB_HEALTH_NOCHECK);
		assert_int_equal(m[i]->check_status, LB_CHK_UNKNOWN);
		assert_int_equal(atomic_load(&m[i]->refcnt), 1);
	}
	run_for(base, 100);

	lb_health_free(h);
	for (i = 0; i < 4; i++)
		lb_member_unref(m[i]);
	close(lfd);
	close(dead);
}

static void
test_apply_inflight(void **state)
{
	struct event_base *base = *state;
	struct lb_hm_conf hm = hm_conf(LB_HM_HTTP);
	struct lb_config conf = { .health_rise = 2, .health_jitter_pct = 10 };
	struct lb_pool_conf pool = { .id = "pool1", .hm = &hm };
	int fds = fd_count();
	struct lb_member *m[3];
	uint64_t chkfail[3];
	struct lb_health *h;
	struct srv s;
	int i;

	srv_start(&s, base, NULL);	/* every check waits for its timeout */
	for (i = 0; i < 3; i++)
		m[i] = member_new("m", "127.0.0.1", s.port);
	h = lb_health_new(base);
	lb_health_apply(h, &conf, &pool, m, 3);
	/* every first check starts within one delay; with timeout = delay one is always in flight */
	run_for(base, hm.delay * 1000 + 150);
	assert_true(s.accepted >= 3);
	for (i = 0; i < 3; i++)
		chkfail[i] = m[i]->chkfail;
	/* dropping them cancels the checks in flight, which report nothing */
	lb_health_apply(h, &conf, &pool, NULL, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(atomic_load(&m[i]->refcnt), 1);
	run_for(base, hm.timeout * 1000 + 100);
	for (i = 0; i < 3; i++)
		assert_int_equal(m[i]->chkfail, chkfail[i]);
	run_for(base, 100);
	lb_health_free(h);
	srv_stop(&s);
	assert_int_equal(fd_count(), fds);
	for (i = 0; i < 3; i++)
		lb_member_unref(m[i]);
}

/* --- CPU benchmark -------------------------------------------------------- */

/* The forked loopback server of the benchmark: blocking, one connection at a time. */
static void
bench_server(int lfd, const char *type)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	SSL_CTX *ctx = strcmp(type, "https") == 0 ? tls_server_ctx() : NULL;
	char buf[2048];
	SSL *ssl;
	int fd;

	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd == -1)
			continue;
		if (strcmp(type, "http") == 0) {
			if (read(fd, buf, sizeof(buf)) > 0)
				(void)!write(fd, reply, sizeof(reply) - 1);
		} else if (ctx != NULL) {
			ssl = SSL_new(ctx);
			SSL_set_fd(ssl, fd);
			if (SSL_accept(ssl) == 1 && SSL_read(ssl, buf, sizeof(buf)) > 0)
				SSL_write(ssl, reply, sizeof(reply) - 1);
			SSL_free(ssl);
		}
		close(fd);
	}
}

static double
tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int
bench(const char *type, int n, int seconds)
{
	struct lb_hm_conf hm = hm_conf(strcmp(type, "tcp") == 0 ? LB_HM_TCP :
	    strcmp(type, "http") == 0 ? LB_HM_HTTP : strcmp(type, "https") == 0 ? LB_HM_HTTPS :
	    LB_HM_PING);
	struct lb_config conf = { .health_rise = 2, .health_jitter_pct = 10 };
	struct lb_pool_conf pool = { .id = "pool1", .hm = &hm };
	struct rusage r0, r1, child;
	struct lb_member **m = calloc((size_t)n, sizeof(*m));
	struct event_base *base = event_base_new();
	struct lb_health *h;
	int lfd = loopback_socket(1024), i, up = 0, status;
	uint64_t fails = 0, t0;
	double cpu, wall;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	lb_log_set_level(LB_LOG_WARN);	/* 100 "first check" lines are not the checker's cost */
	pid = fork();
	if (pid == 0) {
		bench_server(lfd, type);
		_exit(0);
	}
	for (i = 0; i < n; i++)
		m[i] = member_new("m", "127.0.0.1", sock_port(lfd));
	close(lfd);
	h = lb_health_new(base);
	getrusage(RUSAGE_SELF, &r0);
	t0 = lb_now_ms();
	lb_health_apply(h, &conf, &pool, m, (size_t)n);
	run_for(base, seconds * 1000);
	getrusage(RUSAGE_SELF, &r1);
	wall = (double)(lb_now_ms() - t0) / 1000;
	for (i = 0; i < n; i++) {
		up += health(m[i]) == LB_HEALTH_UP;
		fails += m[i]->chkfail;
	}
	kill(pid, SIGTERM);
	wait4(pid, &status, 0, &child);
	cpu = tv_s(r1.ru_utime) - tv_s(r0.ru_utime) + tv_s(r1.ru_stime) - tv_s(r0.ru_stime);
	printf("%s: %d members, delay 1 s, %.1f s: checker user %.3f s + sys %.3f s = %.3f s CPU"
	    " (%.2f%% of one core, %.1f us per check); %d UP, %llu failed checks;"
	    " server %.3f s CPU\n", type, n, wall,
	    tv_s(r1.ru_utime) - tv_s(r0.ru_utime), tv_s(r1.ru_stime) - tv_s(r0.ru_stime), cpu,
	    100 * cpu / wall, 1e6 * cpu / (n * wall), up, (unsigned long long)fails,
	    tv_s(child.ru_utime) + tv_s(child.ru_stime));
	lb_health_free(h);
	for (i = 0; i < n; i++)
		lb_member_unref(m[i]);
	free(m);
	event_base_free(base);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed_first_success),
		cmocka_unit_test(test_feed_first_failure),
		cmocka_unit_test(test_feed_fall),
		cmocka_unit_test(test_feed_maint),
		cmocka_unit_test(test_feed_rise),
		cmocka_unit_test(test_feed_counters_reset),
		cmocka_unit_test(test_feed_bookkeeping),
		cmocka_unit_test(test_icmp_match),
		cmocka_unit_test_setup_teardown(test_tcp_ok, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_tcp_refused, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_tcp_timeout, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_http_ok, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_http_status, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_http_garbage, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_http_closed, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_http_timeout, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_http_refused, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_https_ok, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_https_handshake_failed, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_https_handshake_timeout, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_cancel, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_no_address, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_ping_v4, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_ping_v6, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_apply_transitions, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_apply_inflight, setup_base, teardown_base),
	};

	if (argc >= 3 && strcmp(argv[1], "--bench") == 0)
		return bench(argv[2], argc >= 4 ? atoi(argv[3]) : 100,
		    argc >= 5 ? atoi(argv[4]) : 10);
	signal(SIGPIPE, SIG_IGN);	/* as lbproxy does: a peer's close is an error, not a signal */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
