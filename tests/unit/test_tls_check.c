/*
 * test_tls_check.c: HTTPS checks given a pool's client context and the
 * TLS-HELLO check (src/check_tls.c), against in-process TLS members on the
 * test's event_base, with tls_helpers.c's PKI; and TLS-HELLO from the
 * config to the health scheduler.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "lbproxy/config.h"
#include "lbproxy/conn.h"
#include "lbproxy/diag.h"
#include "lbproxy/health.h"
#include "lbproxy/member.h"
#include "lbproxy/tls.h"
#include "lbproxy/tls_client.h"
#include "lbproxy/util.h"

#include "../../src/check.h"
#include "tls_helpers.h"

#define MEMBER_CONNS	8

/* A member: TLS (or plain) lb_conn server connections answering one HTTP reply. */
struct member_srv {
	struct event_base	*base;
	SSL_CTX			*ctx;		/* NULL: plain */
	int			 lfd;
	int			 port;
	struct event		*ev;
	struct lb_conn		*conns[MEMBER_CONNS];
	int			 raw[MEMBER_CONNS];
	int			 n, nraw;
	bool			 mute;		/* accept, never answer */
	int			 handshakes;
	int			 resumed;
};

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

static void
srv_read_cb(struct lb_conn *c, void *arg LB_UNUSED)
{
	struct evbuffer *in = lb_conn_input(c);

	if (evbuffer_search(in, "\r\n\r\n", 4, NULL).pos == -1 && lb_conn_ssl(c) != NULL)
		return;
	evbuffer_drain(in, evbuffer_get_length(in));
	evbuffer_add(lb_conn_output(c), reply, sizeof(reply) - 1);
	lb_conn_flush(c);
}

static void
srv_event_cb(struct lb_conn *c, short what, void *arg)
{
	struct member_srv *s = arg;

	if (what & LB_CONN_CONNECTED) {
		s->handshakes++;
		s->resumed += SSL_session_reused(lb_conn_ssl(c)) == 1;
	}
}

static void
srv_accept_cb(evutil_socket_t lfd, short what LB_UNUSED, void *arg)
{
	struct member_srv	*s = arg;
	int			 fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct lb_conn		*c;

	if (fd == -1)
		return;
	if (s->mute || s->n == MEMBER_CONNS) {
		assert_true(s->nraw < MEMBER_CONNS);
		s->raw[s->nraw++] = fd;
		return;
	}
	c = lb_conn_new(s->base, fd, s->ctx != NULL ? SSL_new(s->ctx) : NULL);
	assert_non_null(c);
	lb_conn_setcb(c, srv_read_cb, NULL, srv_event_cb, s);
	lb_conn_read_start(c);
	s->conns[s->n++] = c;
}

/* Free the connections a finished check left (keeps the descriptor count honest). */
static void
srv_reap(struct member_srv *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		lb_conn_free(s->conns[i]);
	for (i = 0; i < s->nraw; i++)
		close(s->raw[i]);
	s->n = s->nraw = 0;
}

/* A member serving cert (a PKI bundle; PKI_MAX: plain), up to maxv, MANDATORY if asked. */
static void
srv_start(struct member_srv *s, struct event_base *base, enum pki_file cert, int maxv,
    bool mandatory)
{
	struct lb_tls_conf		tc = { .min_version = TLS1_2_VERSION };
	struct lb_tls_auth_params	ap = { .mode = LB_TLS_AUTH_MANDATORY,
					    .ca_file = pki_path(PKI_CA) };
	struct sockaddr_in		sin = { .sin_family = AF_INET,
					    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t			len = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->base = base;
	if (cert != PKI_MAX) {
		tc.certificate_file = (char *)pki_path(cert);
		s->ctx = lb_tls_server_new(&tc, NULL);
		assert_non_null(s->ctx);
		if (maxv != 0)
			SSL_CTX_set_max_proto_version(s->ctx, maxv);
		if (mandatory)
			assert_int_equal(lb_tls_server_set_client_auth(s->ctx, &ap, NULL), 0);
	}
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(s->lfd, 8), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sin, &len), 0);
	s->port = ntohs(sin.sin_port);
	s->ev = event_new(base, s->lfd, EV_READ | EV_PERSIST, srv_accept_cb, s);
	event_add(s->ev, NULL);
}

static void
srv_stop(struct member_srv *s)
{
	srv_reap(s);
	event_free(s->ev);
	close(s->lfd);
	SSL_CTX_free(s->ctx);
}

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
	return n - 1;
}

struct waiter {
	struct lb_check_result	r;
	int			calls;
};

static void
waiter_done(const struct lb_check_result *r, void *arg)
{
	struct waiter *w = arg;

	w->r = *r;
	w->calls++;
}

typedef struct lb_check *(*start_fn)(struct event_base *, const struct lb_member *,
    const struct lb_hm_conf *, SSL_CTX *, int, lb_check_done_cb, void *);

/* Run one check of type against s with ctx; the result in w. */
static void
check(struct event_base *base, start_fn start, enum lb_hm_type type, struct member_srv *s,
    SSL_CTX *ctx, int timeout_ms, struct waiter *w)
{
	struct lb_hm_conf	hm = { .type = type, .delay = 1, .timeout = 1, .max_retries = 3,
				    .rise = 2, .fall = 3, .http_version = 11 };
	struct lb_member_conf	mc = { .id = "m1", .address = "127.0.0.1", .port = s->port,
				    .weight = 1, .admin_state_up = true };
	struct lb_member	*m;
	struct timeval		tv = { 0, 20 * 1000 };
	int			i;

	assert_int_equal(lb_addr_parse(mc.address, mc.port, &mc.addr.ss, &mc.addr.len), 0);
	mc.check_addr = mc.addr;
	m = lb_member_new(&mc, "p", 1);
	memset(w, 0, sizeof(*w));
	assert_non_null(start(base, m, &hm, ctx, timeout_ms, waiter_done, w));
	for (i = 0; i < (timeout_ms + 2000) / 20 && w->calls == 0; i++) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	assert_int_equal(w->calls, 1);
	/* let the member see the close, then drop its side */
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	srv_reap(s);
	lb_member_unref(m);
}

static SSL_CTX *
pool_ctx(const char *ca, const char *cert)
{
	struct lb_tls_client_params	 p = { .ca_file = ca, .certificate_file = cert,
					    .sni = ca != NULL ? "member.test" : NULL };
	SSL_CTX				*ctx = lb_tls_client_new(&p, NULL);

	assert_non_null(ctx);
	return ctx;
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
	lb_check_http_cleanup();
	event_base_free(*state);
	return 0;
}

/* HTTPS with a verifying pool context: a good member is L7OK, and resumes next time. */
static void
test_https_verified(void **state)
{
	struct event_base	*base = *state;
	SSL_CTX			*ctx = pool_ctx(pki_path(PKI_CA), NULL);
	struct member_srv	 s;
	struct waiter		 w;
	int			 fds = fd_count();

	srv_start(&s, base, PKI_SERVER, 0, false);
	check(base, lb_check_http_start, LB_HM_HTTPS, &s, ctx, 1000, &w);
	assert_true(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L7OK);
	assert_int_equal(s.resumed, 0);
	check(base, lb_check_http_start, LB_HM_HTTPS, &s, ctx, 1000, &w);
	assert_true(w.r.ok);
	assert_int_equal(s.handshakes, 2);
	assert_int_equal(s.resumed, 1);
	srv_stop(&s);
	/* the check held its own reference */
	SSL_CTX_free(ctx);
	lb_check_http_cleanup();
	assert_int_equal(fd_count(), fds);
}

/* A bad certificate is L6RSP naming the verification error; the shared context would not care. */
static void
test_https_bad_certificate(void **state)
{
	struct event_base	*base = *state;
	SSL_CTX			*ctx = pool_ctx(pki_path(PKI_CA), NULL);
	struct member_srv	 s;
	struct waiter		 w;
	int			 fds = fd_count();

	srv_start(&s, base, PKI_SERVER_SELF, 0, false);
	check(base, lb_check_http_start, LB_HM_HTTPS, &s, ctx, 1000, &w);
	assert_false(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L6RSP);
	assert_string_equal(w.r.desc,
	    "TLS handshake failed: certificate verify failed: self-signed certificate");
	assert_int_equal(s.handshakes, 0);
	check(base, lb_check_http_start, LB_HM_HTTPS, &s, NULL, 1000, &w);
	assert_true(w.r.ok);
	srv_stop(&s);

	srv_start(&s, base, PKI_SERVER_EXPIRED, 0, false);
	check(base, lb_check_http_start, LB_HM_HTTPS, &s, ctx, 1000, &w);
	assert_int_equal(w.r.status, LB_CHK_L6RSP);
	assert_string_equal(w.r.desc,
	    "TLS handshake failed: certificate verify failed: certificate has expired");
	srv_stop(&s);
	SSL_CTX_free(ctx);
	lb_check_http_cleanup();
	assert_int_equal(fd_count(), fds);
}

/* A member that requires our certificate: L7OK with it, L6RSP without, TLS 1.3 and 1.2. */
static void
test_https_client_certificate(void **state)
{
	struct event_base	*base = *state;
	SSL_CTX			*with = pool_ctx(NULL, pki_path(PKI_CLIENT));
	struct member_srv	 s;
	struct waiter		 w;
	int			 maxv[] = { 0, TLS1_2_VERSION };
	size_t			 i;

	for (i = 0; i < LB_ARRAY_SIZE(maxv); i++) {
		srv_start(&s, base, PKI_SERVER, maxv[i], true);
		check(base, lb_check_http_start, LB_HM_HTTPS, &s, with, 1000, &w);
		assert_true(w.r.ok);
		check(base, lb_check_http_start, LB_HM_HTTPS, &s, NULL, 1000, &w);
		assert_false(w.r.ok);
		assert_int_equal(w.r.status, LB_CHK_L6RSP);
		if (maxv[i] == 0)
			assert_string_equal(w.r.desc,
			    "TLS alert: tlsv13 alert certificate required");
		else
			assert_string_equal(w.r.desc,
			    "TLS handshake failed: sslv3 alert handshake failure");
		srv_stop(&s);
	}
	SSL_CTX_free(with);
}

/* TLS-HELLO: a handshake and nothing more; resumed next time (TLS 1.2 has its session at once). */
static void
test_tls_hello_ok(void **state)
{
	struct event_base	*base = *state;
	SSL_CTX			*ctx = pool_ctx(pki_path(PKI_CA), NULL);
	struct member_srv	 s;
	struct waiter		 w;
	int			 fds = fd_count();

	srv_start(&s, base, PKI_SERVER, 0, false);
	check(base, lb_check_tls_start, LB_HM_TLS_HELLO, &s, NULL, 1000, &w);
	assert_true(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L6OK);
	assert_string_equal(w.r.desc, "TLS handshake done (TLSv1.3)");
	check(base, lb_check_tls_start, LB_HM_TLS_HELLO, &s, ctx, 1000, &w);
	assert_true(w.r.ok);
	assert_int_equal(s.handshakes, 2);
	srv_stop(&s);

	srv_start(&s, base, PKI_SERVER, TLS1_2_VERSION, false);
	check(base, lb_check_tls_start, LB_HM_TLS_HELLO, &s, ctx, 1000, &w);
	assert_string_equal(w.r.desc, "TLS handshake done (TLSv1.2)");
	check(base, lb_check_tls_start, LB_HM_TLS_HELLO, &s, ctx, 1000, &w);
	assert_string_equal(w.r.desc, "TLS handshake done (TLSv1.2, resumed)");
	srv_stop(&s);
	SSL_CTX_free(ctx);
	lb_check_http_cleanup();
	assert_int_equal(fd_count(), fds);
}

/* TLS-HELLO failures: no TLS, bad certificate, silence, refused. */
static void
test_tls_hello_failures(void **state)
{
	struct event_base	*base = *state;
	SSL_CTX			*ctx = pool_ctx(pki_path(PKI_CA), NULL);
	struct member_srv	 s;
	struct waiter		 w;
	int			 fds = fd_count(), port;

	srv_start(&s, base, PKI_MAX, 0, false);	/* plain HTTP */
	check(base, lb_check_tls_start, LB_HM_TLS_HELLO, &s, NULL, 1000, &w);
	assert_false(w.r.ok);
	assert_int_equal(w.r.status, LB_CHK_L6RSP);
	assert_true(strncmp(w.r.desc, "TLS handshake failed: ", 22) == 0 ||
	    strcmp(w.r.desc, "connection closed during TLS handshake") == 0);
	srv_stop(&s);

	srv_start(&s, base, PKI_SERVER_SELF, 0, false);
	check(base, lb_check_tls_start, LB_HM_TLS_HELLO, &s, ctx, 1000, &w);
	assert_int_equal(w.r.status, LB_CHK_L6RSP);
	assert_string_equal(w.r.desc,
	    "TLS handshake failed: certificate verify failed: self-signed certificate");
	srv_stop(&s);

	srv_start(&s, base, PKI_SERVER, 0, false);
	s.mute = true;
	check(base, lb_check_tls_start, LB_HM_TLS_HELLO, &s, NULL, 300, &w);
	assert_int_equal(w.r.status, LB_CHK_L6TOUT);
	assert_string_equal(w.r.desc, "TLS handshake timeout");
	port = s.port;
	srv_stop(&s);
	s.port = port;
	check(base, lb_check_tls_start, LB_HM_TLS_HELLO, &s, NULL, 1000, &w);
	assert_int_equal(w.r.status, LB_CHK_L4CON);
	assert_string_equal(w.r.desc, "connection refused");
	SSL_CTX_free(ctx);
	lb_check_http_cleanup();
	assert_int_equal(fd_count(), fds);
}

/* A cancelled handshake frees everything and never calls done. */
static void
never_done(const struct lb_check_result *r, void *arg LB_UNUSED)
{
	fail_msg("done called after cancel: %s", r->desc);
}

static void
test_tls_hello_cancel(void **state)
{
	struct event_base	*base = *state;
	struct lb_hm_conf	 hm = { .type = LB_HM_TLS_HELLO };
	struct lb_member_conf	 mc = { .id = "m1", .address = "127.0.0.1", .weight = 1 };
	struct member_srv	 s;
	struct lb_member	*m;
	struct lb_check		*c;
	struct timeval		 tv = { 0, 100 * 1000 };
	int			 fds = fd_count();

	srv_start(&s, base, PKI_SERVER, 0, false);
	s.mute = true;
	mc.port = s.port;
	assert_int_equal(lb_addr_parse(mc.address, mc.port, &mc.addr.ss, &mc.addr.len), 0);
	mc.check_addr = mc.addr;
	m = lb_member_new(&mc, "p", 1);
	c = lb_check_tls_start(base, m, &hm, NULL, 1000, never_done, NULL);
	assert_non_null(c);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);	/* connected, handshake under way */
	lb_check_cancel(c);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	srv_stop(&s);
	lb_member_unref(m);
	lb_check_http_cleanup();
	assert_int_equal(fd_count(), fds);
}

/* "TLS-HELLO" parses, and the scheduler runs it: the member comes UP. */
static void
test_tls_hello_scheduled(void **state)
{
	static const char json_fmt[] =
	    "{\"pool\": {\"id\": \"p\", \"protocol\": \"TCP\", \"lb_method\": \"ROUND_ROBIN\"},"
	    " \"vip\": {\"id\": \"v\", \"address\": \"127.0.0.1\", \"protocol_port\": 1,"
	    " \"protocol\": \"TCP\"},"
	    " \"members\": [{\"id\": \"m1\", \"address\": \"127.0.0.1\", \"protocol_port\": %d}],"
	    " \"healthmonitors\": [{\"type\": \"TLS-HELLO\", \"delay\": 1, \"timeout\": 1,"
	    " \"max_retries\": 1}]}";
	struct event_base	*base = *state;
	struct lb_diag		 diag = { 0 };
	struct lb_config	*conf;
	struct lb_member	*m;
	struct lb_health	*h;
	struct member_srv	 s;
	struct timeval		 tv = { 0, 50 * 1000 };
	char			 json[1024];
	int			 i;

	assert_string_equal(lb_hm_type_names[LB_HM_TLS_HELLO], "TLS-HELLO");
	srv_start(&s, base, PKI_SERVER, 0, false);
	snprintf(json, sizeof(json), json_fmt, s.port);
	conf = lb_config_parse(json, strlen(json), NULL, &diag);
	if (conf == NULL)
		print_error("%s\n", diag.n > 0 ? diag.msgs[0] : "?");
	assert_non_null(conf);
	assert_non_null(conf->pools[0].hm);
	assert_int_equal(conf->pools[0].hm->type, LB_HM_TLS_HELLO);
	m = lb_member_new(&conf->pools[0].members[0], "p", 1);
	h = lb_health_new(base);
	lb_health_apply(h, conf, &conf->pools[0], &m, 1);
	for (i = 0; i < 60 && atomic_load(&m->health) != LB_HEALTH_UP; i++) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	assert_int_equal(atomic_load(&m->health), LB_HEALTH_UP);
	assert_int_equal(m->check_status, LB_CHK_L6OK);
	lb_health_free(h);
	srv_stop(&s);
	lb_member_unref(m);
	lb_config_free(conf);
	lb_diag_fini(&diag);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_https_verified, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_https_bad_certificate, setup_base,
		    teardown_base),
		cmocka_unit_test_setup_teardown(test_https_client_certificate, setup_base,
		    teardown_base),
		cmocka_unit_test_setup_teardown(test_tls_hello_ok, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_tls_hello_failures, setup_base,
		    teardown_base),
		cmocka_unit_test_setup_teardown(test_tls_hello_cancel, setup_base, teardown_base),
		cmocka_unit_test_setup_teardown(test_tls_hello_scheduled, setup_base,
		    teardown_base),
	};
	int rc;

	signal(SIGPIPE, SIG_IGN);	/* as lbproxy: a peer's close is an error, not a signal */
	rc = cmocka_run_group_tests(tests, pki_setup, pki_teardown);

	lb_conn_cache_free();
	return rc;
}
