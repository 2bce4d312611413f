/*
 * test_conn.c: the data plane's connection layer over real sockets, plain
 * and TLS (member side against in-process TLS servers made of lb_conn
 * server connections, with tls_helpers.c's PKI).
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "lbproxy/config.h"
#include "lbproxy/conn.h"
#include "lbproxy/tls.h"
#include "lbproxy/tls_client.h"
#include "lbproxy/util.h"

#include "tls_helpers.h"

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

/* ---- TLS towards members ------------------------------------------------- */

#define TSRV_CONNS	8

/* An in-process TLS server: lb_conn server connections that echo. */
struct tsrv {
	struct event_base	*base;
	SSL_CTX			*ctx;
	int			 lfd;
	struct event		*ev;
	struct sockaddr_in	 sin;
	struct lb_conn		*conns[TSRV_CONNS];
	int			 raw[TSRV_CONNS];	/* mute: accepted, never answered */
	int			 n, nraw;
	bool			 mute;
	bool			 hangup;	/* read the hello, then close */
	int			 handshakes;
	int			 resumed;
	char			 sni[64];
	char			 peer_cn[64];
	struct lb_tls_error	 err;		/* of the last failed server handshake */
};

static void
tsrv_read_cb(struct lb_conn *c, void *arg LB_UNUSED)
{
	evbuffer_add_buffer(lb_conn_output(c), lb_conn_input(c));
	lb_conn_flush(c);
}

static void
tsrv_event_cb(struct lb_conn *c, short what, void *arg)
{
	struct tsrv	*t = arg;
	SSL		*ssl = lb_conn_ssl(c);
	X509		*x;
	const char	*name;

	if (what & LB_CONN_CONNECTED) {
		t->handshakes++;
		t->resumed += SSL_session_reused(ssl) == 1;
		if ((name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) != NULL)
			snprintf(t->sni, sizeof(t->sni), "%s", name);
		if ((x = SSL_get0_peer_certificate(ssl)) != NULL)
			X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
			    t->peer_cn, sizeof(t->peer_cn));
		return;
	}
	if (lb_conn_tls_error(c)->result != LB_TLS_OK)
		t->err = *lb_conn_tls_error(c);
}

static void
tsrv_hangup_cb(evutil_socket_t fd, short what LB_UNUSED, void *arg LB_UNUSED)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	shutdown(fd, SHUT_WR);
}

static void
tsrv_accept_cb(evutil_socket_t lfd, short what LB_UNUSED, void *arg)
{
	struct tsrv	*t = arg;
	int		 fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd == -1)
		return;
	if (t->mute || t->hangup) {
		assert_true(t->nraw < TSRV_CONNS);
		t->raw[t->nraw++] = fd;
		if (t->hangup)
			event_base_once(t->base, fd, EV_READ, tsrv_hangup_cb, t, NULL);
		return;
	}
	assert_true(t->n < TSRV_CONNS);
	t->conns[t->n] = lb_conn_new(t->base, fd, SSL_new(t->ctx));
	assert_non_null(t->conns[t->n]);
	lb_conn_setcb(t->conns[t->n], tsrv_read_cb, NULL, tsrv_event_cb, t);
	lb_conn_read_start(t->conns[t->n]);
	t->n++;
}

/* Serve server (a PKI bundle) on a free loopback port; auth MANDATORY if asked. */
static void
tsrv_start(struct tsrv *t, struct event_base *base, enum pki_file server, bool mandatory)
{
	struct lb_tls_conf tc = { .min_version = TLS1_2_VERSION };
	struct lb_tls_auth_params ap = { .mode = LB_TLS_AUTH_MANDATORY,
	    .ca_file = pki_path(PKI_CA) };
	socklen_t len = sizeof(t->sin);

	memset(t, 0, sizeof(*t));
	t->base = base;
	tc.certificate_file = (char *)pki_path(server);
	t->ctx = lb_tls_server_new(&tc, NULL);
	assert_non_null(t->ctx);
	if (mandatory)
		assert_int_equal(lb_tls_server_set_client_auth(t->ctx, &ap, NULL), 0);
	t->sin.sin_family = AF_INET;
	t->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(t->lfd, (struct sockaddr *)&t->sin, sizeof(t->sin)), 0);
	assert_int_equal(listen(t->lfd, 8), 0);
	assert_int_equal(getsockname(t->lfd, (struct sockaddr *)&t->sin, &len), 0);
	t->ev = event_new(base, t->lfd, EV_READ | EV_PERSIST, tsrv_accept_cb, t);
	event_add(t->ev, NULL);
}

static void
tsrv_stop(struct tsrv *t)
{
	int i;

	for (i = 0; i < t->n; i++)
		lb_conn_free(t->conns[i]);
	for (i = 0; i < t->nraw; i++)
		close(t->raw[i]);
	event_free(t->ev);
	close(t->lfd);
	SSL_CTX_free(t->ctx);
}

/* The member side: what one client connection saw. */
struct tcli {
	struct event_base	*base;
	short			 events;
	size_t			 got;
	bool			 resumed;
	struct lb_tls_error	 err;
	int			 sys;	/* errno at the error */
};

static void
tcli_read_cb(struct lb_conn *c, void *arg)
{
	struct tcli *k = arg;

	k->got += lb_conn_input_len(c);
	evbuffer_drain(lb_conn_input(c), lb_conn_input_len(c));
	if (k->got >= 4)
		event_base_loopexit(k->base, NULL);
}

static void
tcli_event_cb(struct lb_conn *c, short what, void *arg)
{
	struct tcli *k = arg;

	k->events |= what;
	if (what & LB_CONN_CONNECTED) {
		k->resumed = SSL_session_reused(lb_conn_ssl(c)) == 1;
		return;
	}
	k->sys = errno;
	k->err = *lb_conn_tls_error(c);
	event_base_loopexit(k->base, NULL);
}

/* Connect through tls to t, send "ping" at once (before the handshake), run. */
static struct lb_conn *
tcli_run(struct tcli *k, struct tsrv *t, const struct lb_conn_tls *tls, int ms)
{
	struct lb_conn *c;

	memset(k, 0, sizeof(*k));
	k->base = t->base;
	c = lb_conn_connect_tls(t->base, (struct sockaddr *)&t->sin, sizeof(t->sin), tls);
	assert_non_null(c);
	lb_conn_setcb(c, tcli_read_cb, NULL, tcli_event_cb, k);
	lb_conn_set_timeouts(c, 0, ms);
	evbuffer_add(lb_conn_output(c), "ping", 4);
	lb_conn_flush(c);
	lb_conn_read_start(c);
	run(t->base, ms + 2000);
	return c;
}

static SSL_CTX *
pool_ctx(const struct lb_tls_client_params *p)
{
	SSL_CTX *ctx = lb_tls_client_new(p, NULL);

	assert_non_null(ctx);
	return ctx;
}

/* Verified, SNI sent, data both ways; the second connection resumes. */
static void
test_tls_member(void **state LB_UNUSED)
{
	struct lb_tls_client_params	 p = { .ca_file = pki_path(PKI_CA) };
	struct lb_tls_sess_cache	*sc = lb_tls_sess_cache_new();
	struct lb_conn_tls		 tls = { .sni = "member.test", .sessions = sc,
					    .member_uid = 42 };
	struct event_base		*base = event_base_new();
	struct lb_conn			*c;
	struct tsrv			 t;
	struct tcli			 k;

	tls.ctx = pool_ctx(&p);
	tsrv_start(&t, base, PKI_SERVER, false);
	c = tcli_run(&k, &t, &tls, 2000);
	assert_int_equal(k.events, LB_CONN_CONNECTED);
	assert_int_equal(k.got, 4);
	assert_false(k.resumed);
	assert_int_equal(lb_conn_tls_error(c)->result, LB_TLS_OK);
	assert_string_equal(t.sni, "member.test");
	assert_int_equal(lb_tls_sess_count(sc), 1);
	lb_conn_free(c);

	c = tcli_run(&k, &t, &tls, 2000);
	assert_int_equal(k.events, LB_CONN_CONNECTED);
	assert_int_equal(k.got, 4);
	assert_true(k.resumed);
	assert_int_equal(t.resumed, 1);
	lb_conn_free(c);
	tsrv_stop(&t);
	SSL_CTX_free(tls.ctx);
	lb_tls_sess_cache_free(sc);
	event_base_free(base);
}

/* A member whose certificate does not verify: LB_CONN_ERROR named VERIFY, nothing sent. */
static void
test_tls_member_verify_fails(void **state LB_UNUSED)
{
	struct lb_tls_client_params	 p = { .ca_file = pki_path(PKI_CA) };
	struct lb_tls_sess_cache	*sc = lb_tls_sess_cache_new();
	struct lb_conn_tls		 tls = { .sni = "member.test", .sessions = sc,
					    .member_uid = 1 };
	struct event_base		*base = event_base_new();
	struct lb_conn			*c;
	struct tsrv			 t;
	struct tcli			 k;
	char				 why[128];

	tls.ctx = pool_ctx(&p);
	tsrv_start(&t, base, PKI_SERVER_SELF, false);
	c = tcli_run(&k, &t, &tls, 2000);
	assert_true(k.events & LB_CONN_ERROR);
	assert_false(k.events & LB_CONN_CONNECTED);
	assert_int_equal(k.got, 0);
	assert_int_equal(k.err.result, LB_TLS_VERIFY);
	assert_int_equal(k.err.code, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
	assert_string_equal(lb_tls_error_text(lb_conn_tls_error(c), why, sizeof(why)),
	    "TLS handshake failed: certificate verify failed: self-signed certificate");
	assert_int_equal(lb_tls_sess_count(sc), 0);
	lb_conn_free(c);
	tsrv_stop(&t);
	SSL_CTX_free(tls.ctx);
	lb_tls_sess_cache_free(sc);
	event_base_free(base);
}

/* Our client certificate towards a member that requires one; without, the member refuses. */
static void
test_tls_member_client_cert(void **state LB_UNUSED)
{
	struct lb_tls_client_params	 p = { .certificate_file = pki_path(PKI_CLIENT) };
	struct lb_conn_tls		 tls = { 0 };
	struct event_base		*base = event_base_new();
	struct lb_conn			*c;
	struct tsrv			 t;
	struct tcli			 k;

	tls.ctx = pool_ctx(&p);
	tsrv_start(&t, base, PKI_SERVER, true);
	c = tcli_run(&k, &t, &tls, 2000);
	assert_int_equal(k.events, LB_CONN_CONNECTED);
	assert_int_equal(k.got, 4);
	assert_string_equal(t.peer_cn, "client one");
	lb_conn_free(c);
	SSL_CTX_free(tls.ctx);

	memset(&p, 0, sizeof(p));
	tls.ctx = pool_ctx(&p);
	c = tcli_run(&k, &t, &tls, 2000);
	assert_true(k.events & LB_CONN_ERROR);
	assert_int_equal(k.got, 0);
	/* the member names it; TLS 1.3 tells our side only after its Finished */
	assert_int_equal(t.err.result, LB_TLS_NO_CERT);
	lb_conn_free(c);
	SSL_CTX_free(tls.ctx);
	tsrv_stop(&t);
	event_base_free(base);
}

/* A member that closes instead of answering, and one that never answers. */
static void
test_tls_member_closed_timeout(void **state LB_UNUSED)
{
	struct lb_tls_client_params	 p = { 0 };
	struct lb_conn_tls		 tls = { 0 };
	struct event_base		*base = event_base_new();
	struct lb_conn			*c;
	struct tsrv			 t;
	struct tcli			 k;
	char				 why[128];
	uint64_t			 t0;

	tls.ctx = pool_ctx(&p);
	tsrv_start(&t, base, PKI_SERVER, false);
	t.hangup = true;
	c = tcli_run(&k, &t, &tls, 2000);
	assert_true(k.events & LB_CONN_ERROR);
	assert_int_equal(k.err.result, LB_TLS_CLOSED);
	assert_string_equal(lb_tls_error_text(&k.err, why, sizeof(why)),
	    "connection closed during TLS handshake");
	lb_conn_free(c);

	t.hangup = false;
	t.mute = true;
	t0 = lb_now_ms();
	c = tcli_run(&k, &t, &tls, 300);
	assert_int_equal(k.events, LB_CONN_TIMEOUT | LB_CONN_WRITING);
	assert_in_range(lb_now_ms() - t0, 250, 1500);
	assert_int_equal(lb_conn_tls_error(c)->result, LB_TLS_OK);
	lb_conn_free(c);
	tsrv_stop(&t);
	SSL_CTX_free(tls.ctx);
	event_base_free(base);
}

/* ---- in-memory pairs ---------------------------------------------------- */

/* What one end writes is the other's input; its shutdown is EOF after the data. */
static void
test_pair_data_then_eof(void **state)
{
	struct event_base *base = event_base_new();
	struct probe p = { .base = base };
	struct lb_conn *pr[2];

	assert_int_equal(lb_conn_pair(base, pr, NULL, -1), 0);
	assert_true(lb_conn_is_pair(pr[0]));
	assert_int_equal(lb_conn_fd(pr[1]), -1);
	lb_conn_setcb(pr[1], read_cb, NULL, event_cb, &p);
	lb_conn_read_start(pr[1]);
	evbuffer_add(lb_conn_output(pr[0]), "hello", 5);
	lb_conn_flush(pr[0]);
	assert_int_equal(lb_conn_output_len(pr[0]), 0);
	lb_conn_shutdown(pr[0]);
	run(base, 1000);
	assert_int_equal(p.got, 5);
	assert_int_equal(p.events, LB_CONN_EOF | LB_CONN_READING);
	lb_conn_free(pr[0]);
	lb_conn_free(pr[1]);
	event_base_free(base);
}

struct pair_probe {
	struct event_base	*base;
	struct lb_conn		*writer;
	size_t			 got;
	size_t			 max_seen;
	short			 events;
};

/* Take the input a slice at a time, noting how much was ever buffered. */
static void
slow_read_cb(struct lb_conn *c, void *arg)
{
	struct pair_probe *p = arg;
	size_t n = lb_conn_input_len(c);

	if (n > p->max_seen)
		p->max_seen = n;
	p->got += n;
	evbuffer_drain(lb_conn_input(c), n);
	if (p->got >= 1000000)
		event_base_loopexit(p->base, NULL);
}

static void
pair_event_cb(struct lb_conn *c, short what, void *arg)
{
	struct pair_probe *p = arg;

	p->events |= what;
	event_base_loopexit(p->base, NULL);
}

/*
 * The writer stops at the reader's read_max and resumes by itself once the
 * reader's owner drains its input: 1 MB crosses with never more than
 * read_max buffered on the reader's side.
 */
static void
test_pair_backpressure(void **state)
{
	static char chunk[100000];
	struct event_base *base = event_base_new();
	struct pair_probe p = { .base = base };
	struct lb_conn *pr[2];
	int i;

	assert_int_equal(lb_conn_pair(base, pr, NULL, -1), 0);
	lb_conn_set_read_max(pr[1], 16384);
	lb_conn_setcb(pr[1], slow_read_cb, NULL, pair_event_cb, &p);
	lb_conn_read_start(pr[1]);
	for (i = 0; i < 10; i++)
		evbuffer_add(lb_conn_output(pr[0]), chunk, sizeof(chunk));
	lb_conn_flush(pr[0]);
	assert_int_equal(lb_conn_output_len(pr[0]), 1000000 - 16384);
	run(base, 2000);
	assert_int_equal(p.got, 1000000);
	assert_true(p.max_seen <= 16384);
	assert_int_equal(lb_conn_output_len(pr[0]), 0);
	lb_conn_free(pr[0]);
	lb_conn_free(pr[1]);
	event_base_free(base);
}

/* lb_conn_abort then free: the peer gets an error, not a clean EOF; its writes fail. */
static void
test_pair_abort(void **state)
{
	struct event_base *base = event_base_new();
	struct pair_probe p = { .base = base };
	struct lb_conn *pr[2];

	assert_int_equal(lb_conn_pair(base, pr, NULL, -1), 0);
	lb_conn_setcb(pr[1], slow_read_cb, NULL, pair_event_cb, &p);
	lb_conn_read_start(pr[1]);
	lb_conn_abort(pr[0]);
	lb_conn_free(pr[0]);
	run(base, 1000);
	assert_int_equal(p.events, LB_CONN_ERROR | LB_CONN_READING);
	p.events = 0;
	evbuffer_add(lb_conn_output(pr[1]), "x", 1);
	lb_conn_flush(pr[1]);
	run(base, 1000);
	assert_int_equal(p.events, LB_CONN_ERROR | LB_CONN_WRITING);
	lb_conn_free(pr[1]);
	event_base_free(base);
}

/* A plain free (no abort) is EOF, with what was still queued delivered first. */
static void
test_pair_free_is_eof(void **state)
{
	struct event_base *base = event_base_new();
	struct pair_probe p = { .base = base };
	struct lb_conn *pr[2];

	assert_int_equal(lb_conn_pair(base, pr, NULL, -1), 0);
	lb_conn_set_read_max(pr[1], 4);
	lb_conn_setcb(pr[1], slow_read_cb, NULL, pair_event_cb, &p);
	lb_conn_read_start(pr[1]);
	evbuffer_add(lb_conn_output(pr[0]), "0123456789", 10);
	lb_conn_flush(pr[0]);
	lb_conn_free(pr[0]);
	run(base, 1000);
	assert_int_equal(p.got, 10);
	assert_int_equal(p.events, LB_CONN_EOF | LB_CONN_READING);
	lb_conn_free(pr[1]);
	event_base_free(base);
}

/* A write timeout applies to a pair end whose reader does not drain. */
static void
test_pair_write_timeout(void **state)
{
	struct event_base *base = event_base_new();
	struct pair_probe p = { .base = base };
	struct lb_conn *pr[2];
	uint64_t t0 = lb_now_ms();

	assert_int_equal(lb_conn_pair(base, pr, NULL, -1), 0);
	lb_conn_set_read_max(pr[1], 4);
	lb_conn_setcb(pr[0], NULL, NULL, pair_event_cb, &p);
	lb_conn_set_timeouts(pr[0], 0, 200);
	evbuffer_add(lb_conn_output(pr[0]), "0123456789", 10);
	lb_conn_flush(pr[0]);
	run(base, 2000);
	assert_int_equal(p.events, LB_CONN_TIMEOUT | LB_CONN_WRITING);
	assert_in_range(lb_now_ms() - t0, 150, 1500);
	lb_conn_free(pr[0]);
	lb_conn_free(pr[1]);
	event_base_free(base);
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
		cmocka_unit_test(test_tls_member),
		cmocka_unit_test(test_tls_member_verify_fails),
		cmocka_unit_test(test_tls_member_client_cert),
		cmocka_unit_test(test_tls_member_closed_timeout),
		cmocka_unit_test(test_pair_data_then_eof),
		cmocka_unit_test(test_pair_backpressure),
		cmocka_unit_test(test_pair_abort),
		cmocka_unit_test(test_pair_free_is_eof),
		cmocka_unit_test(test_pair_write_timeout),
	};

	int rc;

	signal(SIGPIPE, SIG_IGN);	/* as lbproxy: a peer's close is an error, not a signal */
	rc = cmocka_run_group_tests(tests, pki_setup, pki_teardown);

	lb_conn_cache_free();
	return rc;
}
