/*
 * session.c: a client connection's life on a worker: accept, optional TLS
 * handshake, member connection with retries, and the single close path.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include <event2/buffer.h>
#include <openssl/ssl.h>

#include "lbproxy/balance.h"
#include "lbproxy/config.h"
#include "lbproxy/conn.h"
#include "lbproxy/proxy_proto.h"
#include "lbproxy/tls_cert.h"
#include "lbproxy/tls_client.h"
#include "lbproxy/frontend.h"
#include "lbproxy/log.h"
#include "lbproxy/member.h"
#include "lbproxy/persist.h"
#include "session_int.h"

const char *const lb_session_state_names[] = {
	[LB_SS_NEW] = "new",
	[LB_SS_TLS_HANDSHAKE] = "tls-handshake",
	[LB_SS_CONNECTING] = "connecting",
	[LB_SS_RELAY] = "relay",
	[LB_SS_HTTP_IDLE] = "http-idle",
	[LB_SS_HTTP_HEAD] = "http-head",
	[LB_SS_HTTP_FORWARD] = "http-forward",
	[LB_SS_CLOSING] = "closing",
	[LB_SS_H2] = "h2",
};

const char *const lb_close_reason_names[] = {
	[LB_CLOSE_DONE] = "done",
	[LB_CLOSE_CLIENT_ERR] = "client error",
	[LB_CLOSE_CLIENT_TIMEOUT] = "client timeout",
	[LB_CLOSE_SERVER_ERR] = "member error",
	[LB_CLOSE_SERVER_TIMEOUT] = "member timeout",
	[LB_CLOSE_NO_MEMBER] = "no member available",
	[LB_CLOSE_PROTO] = "protocol error",
	[LB_CLOSE_TLS] = "TLS handshake failed",
	[LB_CLOSE_SHUTDOWN] = "shutdown",
	[LB_CLOSE_NOMEM] = "out of memory",
};

void
lb_session_log(const struct lb_session *s, int level, const char *fmt, ...)
{
	char msg[1024], host[INET6_ADDRSTRLEN];
	va_list ap;

	if (level > lb_log_get_level())
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lb_log(level, "s%llx %s=%s client=%s:%d member=%s: %s", (unsigned long long)s->id,
	    s->snap->conf->dialect == LB_DIALECT_V2 ? "listener" : "vip", s->sl->conf->id,
	    lb_session_peer_host(s, host), lb_addr_port((const struct sockaddr *)&s->peer),
	    s->member != NULL ? s->member->id : "-", msg);
}

void
lb_session_set_state(struct lb_session *s, enum lb_session_state st)
{
	if (s->state == st)
		return;
	lb_debug("s%llx: %s -> %s", (unsigned long long)s->id,
	    lb_session_state_names[s->state], lb_session_state_names[st]);
	s->state = st;
}

/* Raise smax to cur if it is higher. */
static void
track_max(_Atomic unsigned *max, unsigned cur)
{
	unsigned old = atomic_load_explicit(max, memory_order_relaxed);

	while (cur > old && !atomic_compare_exchange_weak(max, &old, cur))
		;
}

/*
 * The handshake deadline is absolute: an inactivity timeout restarts with
 * every byte, so a client trickling its ClientHello would never reach it.
 */
static void
tls_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lb_session *s = arg;

	lb_session_log(s, LB_LOG_DEBUG, "TLS handshake: deadline reached");
	lb_session_close(s, LB_CLOSE_TLS);
}

#define LB_FDWAIT_MS	50

static void try_connect(struct lb_session *s);
static void tried_put(struct lb_session *s);
static void connect_member(struct lb_session *s);
static void fdwait_end(struct lb_session *s);

static void
timer_stop(struct lb_session *s)
{
	if (s->timer != NULL) {
		event_free(s->timer);
		s->timer = NULL;
	}
}

static void
tls_event_cb(struct lb_conn *c, short what, void *arg)
{
	struct lb_session *s = arg;

	if (what & LB_CONN_CONNECTED) {
		const unsigned char *alpn;
		unsigned len = 0;

		timer_stop(s);
		lb_conn_set_timeouts(c, 0, 0);
		SSL_get0_alpn_selected(lb_conn_ssl(c), &alpn, &len);
		if (len == 2 && memcmp(alpn, "h2", 2) == 0 && s->sl->conf->h2)
			s->ops = &lb_proxy_h2_ops;
		s->ops->start(s);
		return;
	}
	lb_session_log(s, LB_LOG_DEBUG, "TLS handshake: %s",
	    what & LB_CONN_TIMEOUT ? "timed out" : "failed");
	lb_session_close(s, LB_CLOSE_TLS);
}

/* A new session of listener sl in snap (referenced), on the worker's list. */
static struct lb_session *
session_alloc(struct lb_worker *w, struct lb_snapshot *snap, const struct lb_snap_listener *sl)
{
	struct lb_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->id = ++w->next_id;
	s->w = w;
	s->snap = snap;
	lb_snapshot_ref(snap);
	s->sl = sl;
	s->fe = sl->fe;
	s->pool = sl->pool;
	s->t_accept_ms = lb_now_ms();
	TAILQ_INSERT_TAIL(&w->sessions, s, link);
	atomic_fetch_add_explicit(&w->nsessions, 1, memory_order_relaxed);
	return s;
}

void
lb_session_new(struct lb_worker *w, const struct lb_snap_listener *sl, int fd,
    const struct sockaddr *sa, socklen_t len)
{
	struct lb_snapshot *snap = w->snap;
	struct lb_session *s;

	if ((s = session_alloc(w, snap, sl)) == NULL) {
		close(fd);
		lb_worker_session_gone(w);
		return;
	}
	atomic_fetch_add_explicit(&s->fe->conns, 1, memory_order_relaxed);
	lb_session_set_peer(s, sa, len);
	s->ops = sl->conf->http ? &lb_proxy_http_ops : &lb_proxy_tcp_ops;

	atomic_fetch_add_explicit(&s->fe->c.stot, 1, memory_order_relaxed);
	track_max(&s->fe->c.smax, atomic_load_explicit(&s->fe->conns, memory_order_relaxed));

	/* a trusted upstream (lbproxy.accept_proxy) names the client in a PROXY header */
	if (snap->conf->n_accept_proxy > 0 && lb_cidr_match(snap->conf->accept_proxy,
	    snap->conf->n_accept_proxy, sa)) {
		lb_proxy_accept(s, fd);
		return;
	}
	lb_session_begin(s, fd);
}

struct lb_session *
lb_session_new_stream(struct lb_session *parent, struct lb_conn *cc, struct lb_session **slot)
{
	struct lb_session *s = session_alloc(parent->w, parent->snap, parent->sl);

	if (s == NULL) {
		lb_conn_free(cc);
		return NULL;
	}
	/* the connection's client, hashed once for all its streams */
	memcpy(&s->peer, &parent->peer, sizeof(s->peer));
	s->peerlen = parent->peerlen;
	s->client_hash = parent->client_hash;
	s->ops = &lb_proxy_http_ops;
	s->stream = true;
	s->cc = cc;
	s->h2slot = slot;
	*slot = s;
	s->ops->start(s);
	return *slot;
}

bool
lb_session_follow_reload(struct lb_session *s)
{
	struct lb_snapshot *cur = s->w->snap;
	const struct lb_snap_listener *nl = NULL;
	size_t i;

	if (s->snap == cur || cur == NULL)
		return true;
	for (i = 0; i < cur->n_listeners; i++)
		if (strcmp(cur->listeners[i].conf->id, s->sl->conf->id) == 0)
			nl = &cur->listeners[i];
	if (nl == NULL || !nl->conf->http || (nl->tls != NULL) != (s->sl->tls != NULL) ||
	    nl->fe != s->fe)
		return false;
	lb_snapshot_ref(cur);
	lb_snapshot_unref(s->snap);
	s->snap = cur;
	s->sl = nl;
	s->pool = nl->pool;
	return true;
}

/*
 * Formatted when asked (a log line, X-Forwarded-For), not kept: 48 bytes
 * less for every connection, idle ones included.
 */
const char *
lb_session_peer_host(const struct lb_session *s, char *buf)
{
	return lb_addr_host(&s->peer.sa, buf, INET6_ADDRSTRLEN);
}

void
lb_session_set_peer(struct lb_session *s, const struct sockaddr *sa, socklen_t len)
{
	if (len > sizeof(s->peer))
		len = sizeof(s->peer);
	memcpy(&s->peer, sa, len);
	s->peerlen = len;
	s->client_hash = lb_balance_client_hash(sa);
}

void
lb_session_begin(struct lb_session *s, int fd)
{
	const struct lb_snap_listener *sl = s->sl;
	struct lb_worker *w = s->w;

	if (sl->tls != NULL) {
		int hs_ms = sl->conf->timeouts.tls_handshake;
		struct timeval hs = { hs_ms / 1000, (hs_ms % 1000) * 1000 };
		SSL *ssl = SSL_new(sl->tls);

		if (ssl == NULL) {
			close(fd);
			lb_session_close(s, LB_CLOSE_NOMEM);
			return;
		}
		/* read whole records (and what follows) in one syscall, not header then body */
		SSL_set_read_ahead(ssl, 1);
		s->cc = lb_conn_new(w->base, fd, ssl);
		s->timer = evtimer_new(w->base, tls_deadline_cb, s);
		if (s->cc == NULL || s->timer == NULL) {
			lb_session_close(s, LB_CLOSE_NOMEM);
			return;
		}
		lb_session_set_state(s, LB_SS_TLS_HANDSHAKE);
		lb_conn_setcb(s->cc, NULL, NULL, tls_event_cb, s);
		lb_conn_set_timeouts(s->cc, hs_ms, hs_ms);
		evtimer_add(s->timer, &hs);
		return;
	}
	s->cc = lb_conn_new(w->base, fd, NULL);
	if (s->cc == NULL) {
		lb_session_close(s, LB_CLOSE_NOMEM);
		return;
	}
	s->ops->start(s);
}

void
lb_session_release_member(struct lb_session *s)
{
	struct lb_member *m = s->member;

	if (m == NULL)
		return;
	s->member = NULL;
	atomic_fetch_sub_explicit(&m->active, 1, memory_order_relaxed);
	lb_member_unref(m);
}

void
lb_session_use_member(struct lb_session *s, struct lb_member *m)
{
	unsigned cur;

	lb_session_release_member(s);
	lb_member_ref(m);
	s->member = m;
	cur = atomic_fetch_add_explicit(&m->active, 1, memory_order_relaxed) + 1;
	track_max(&m->c.smax, cur);
	atomic_fetch_add_explicit(&m->c.lbtot, 1, memory_order_relaxed);
	if (s->pool->conf->persist.type == LB_PERSIST_SOURCE_IP)
		lb_src_learn(s->pool, s->client_hash, m);
	/* a session (HTTP: a request) assigned to the member, as HAProxy counts stot */
	atomic_fetch_add_explicit(&m->c.stot, 1, memory_order_relaxed);
	if (s->http != NULL)
		atomic_fetch_add_explicit(&m->c.req_tot, 1, memory_order_relaxed);
}

void
lb_session_close(struct lb_session *s, enum lb_close_reason why)
{
	struct lb_worker *w = s->w;

	lb_session_log(s, why == LB_CLOSE_DONE ? LB_LOG_DEBUG : LB_LOG_INFO, "closed: %s (in %llu out %llu bytes, %llu ms)",
	    lb_close_reason_names[why], (unsigned long long)s->bytes_in,
	    (unsigned long long)s->bytes_out, (unsigned long long)(lb_now_ms() - s->t_accept_ms));
	if (s->ops != NULL && s->ops->fini != NULL)
		s->ops->fini(s);
	timer_stop(s);
	if (s->pp_ev != NULL) {
		event_free(s->pp_ev);
		close(s->pp_fd);
	}
	lb_conn_free(s->connecting);
	lb_conn_free(s->sc);
	lb_conn_free(s->cc);
	lb_session_release_member(s);
	tried_put(s);
	TAILQ_REMOVE(&w->sessions, s, link);
	atomic_fetch_sub_explicit(&w->nsessions, 1, memory_order_relaxed);
	lb_snapshot_unref(s->snap);
	free(s->sni);
	if (s->stream) {
		if (s->h2slot != NULL)
			*s->h2slot = NULL;
		free(s);
		return;
	}
	atomic_fetch_sub_explicit(&s->fe->conns, 1, memory_order_relaxed);
	free(s);
	lb_worker_session_gone(w);
}

static void
connect_event_cb(struct lb_conn *c, short what, void *arg)
{
	struct lb_session *s = arg;
	struct lb_member *m = s->member;
	const struct lb_tls_error *te;
	const char *why;
	char buf[256];
	int e = errno;

	if (what & LB_CONN_CONNECTED) {
		s->connecting = NULL;
		lb_member_connect_ok(m);
		lb_conn_set_timeouts(c, 0, 0);
		tried_put(s);
		s->connect_cb(s, c);
		return;
	}
	/* a failed TLS handshake says why; errno is only the socket's */
	te = lb_conn_tls_error(c);
	if (what & LB_CONN_TIMEOUT)
		why = "timed out";
	else if (te->result != LB_TLS_OK)
		why = lb_tls_error_text(te, buf, sizeof(buf));
	else
		why = strerror(e);
	lb_session_log(s, LB_LOG_INFO, "connect to %s: %s", m->name, why);
	lb_member_connect_failed(m);
	s->connecting = NULL;
	lb_conn_free(c);
	lb_session_release_member(s);
	try_connect(s);
}

/* The block of tried members comes from the worker when a connect starts... */
static void
tried_get(struct lb_session *s)
{
	struct lb_worker *w = s->w;

	s->ntried = 0;
	if (s->tried != NULL)
		return;
	if ((s->tried = w->tried_free) != NULL)
		w->tried_free = s->tried->next;
	else
		s->tried = lb_xcalloc(1, sizeof(*s->tried));
	s->tried->t_fdwait_ms = 0;
}

/* ... and goes back once it has its result, ending a wait for a descriptor. */
static void
tried_put(struct lb_session *s)
{
	if (s->tried == NULL)
		return;
	fdwait_end(s);
	s->tried->next = s->w->tried_free;
	s->w->tried_free = s->tried;
	s->tried = NULL;
	s->ntried = 0;
}

void
lb_worker_tried_free(struct lb_worker *w)
{
	union lb_tried *t;

	while ((t = w->tried_free) != NULL) {
		w->tried_free = t->next;
		free(t);
	}
}

/* One more attempt: a member not tried yet (or the same one without redispatch). */
static void
try_connect(struct lb_session *s)
{
	const struct lb_config *c = s->snap->conf;
	struct lb_member *m = NULL;

	if (s->pool == NULL || s->attempts > (unsigned)c->retries || s->ntried >= LB_MAX_TRIES)
		goto fail;
	if (s->ntried > 0 && !c->redispatch)
		m = s->tried->m[0];
	else if (s->prefer != NULL && s->ntried == 0)
		m = s->prefer;
	else
		m = lb_snapshot_pick(s->snap, s->pool, &s->w->picks[s->pool->idx],
		    s->client_hash, &s->peer.sa, s->tried->m, s->ntried);
	if (m == NULL)
		goto fail;
	if (s->attempts > 0) {
		atomic_fetch_add_explicit(&m->c.wretr, 1, memory_order_relaxed);
		if (m != s->tried->m[s->ntried - 1])
			atomic_fetch_add_explicit(&m->c.wredis, 1, memory_order_relaxed);
	}
	s->tried->m[s->ntried++] = m;
	s->attempts++;
	lb_session_use_member(s, m);
	connect_member(s);
	return;
fail:
	lb_session_release_member(s);
	tried_put(s);
	s->connect_cb(s, NULL);
}

static void
fdwait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lb_session *s = arg;

	timer_stop(s);
	connect_member(s);
}

/*
 * No descriptor for the member connection: not the member's fault, and the
 * client is already accepted, so it waits (accepting paused meanwhile) and
 * the socket is tried again, for at most the connect timeout.
 */
static int
wait_for_fd(struct lb_session *s)
{
	struct timeval tv = { 0, LB_FDWAIT_MS * 1000 };
	uint64_t now = lb_now_ms();

	if (!lb_errno_out_of_fds(errno))
		return -1;
	lb_worker_out_of_fds(s->w, "member socket");
	if (s->tried->t_fdwait_ms == 0) {
		s->tried->t_fdwait_ms = now;
		lb_worker_fdwait(s->w, true);
	} else if (now - s->tried->t_fdwait_ms >= (uint64_t)s->sl->conf->timeouts.connect)
		return -1;
	timer_stop(s);
	s->timer = evtimer_new(s->w->base, fdwait_cb, s);
	if (s->timer == NULL || evtimer_add(s->timer, &tv) == -1)
		return -1;
	return 0;
}

static void
fdwait_end(struct lb_session *s)
{
	if (s->tried != NULL && s->tried->t_fdwait_ms != 0) {
		s->tried->t_fdwait_ms = 0;
		lb_worker_fdwait(s->w, false);
	}
}

/* Open the connection to s->member, already picked and counted. */
static void
connect_member(struct lb_session *s)
{
	struct lb_member *m = s->member;
	struct lb_conn *conn;
	int e;

	if (s->pool->tls != NULL) {
		struct lb_conn_tls t = {
			.ctx = s->pool->tls,
			.sni = s->sni != NULL && s->sni[0] != '\0' ? s->sni : NULL,
			.sessions = s->w->tls_sessions,
			.member_uid = (uint64_t)m->sid,
		};

		conn = lb_conn_connect_tls(s->w->base, (struct sockaddr *)&m->addr, m->addrlen, &t);
	} else
		conn = lb_conn_connect(s->w->base, (struct sockaddr *)&m->addr, m->addrlen);
	if (conn == NULL) {
		e = errno;
		if (wait_for_fd(s) == 0)
			return;
		lb_session_log(s, LB_LOG_NOTICE, "connect to %s: %s", m->name, strerror(e));
		lb_session_release_member(s);
		tried_put(s);
		s->connect_cb(s, NULL);
		return;
	}
	fdwait_end(s);
	lb_conn_setcb(conn, NULL, NULL, connect_event_cb, s);
	lb_conn_set_timeouts(conn, 0, s->sl->conf->timeouts.connect);
	s->connecting = conn;
}

void
lb_session_send_proxy(struct lb_session *s, struct lb_conn *sc)
{
	enum lb_proto proto = s->pool->conf->protocol;
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	struct lb_pp_tlvs t;
	char buf[LB_PP_HEADER_MAX];
	const unsigned char *alpn;
	unsigned alpn_len = 0;
	char alpn_s[64];
	struct lb_tls_cert_pp cert;
	SSL *ssl;
	int n;

	if (proto != LB_PROTO_PROXY && proto != LB_PROTO_PROXYV2)
		return;
	/* the destination is the VIP address the client reached */
	if (lb_conn_sockname(s->cc, &local, &len) == -1)
		local.ss_family = AF_UNSPEC;
	if (proto == LB_PROTO_PROXY) {
		n = lb_proxy_proto_v1_build(buf, sizeof(buf), &s->peer.sa,
		    (struct sockaddr *)&local);
	} else {
		memset(&t, 0, sizeof(t));
		if ((ssl = lb_conn_ssl(s->cc)) != NULL) {
			/* a terminated listener tells what the client negotiated, as send-proxy-v2-ssl */
			SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
			if (alpn_len > 0 && alpn_len < sizeof(alpn_s)) {
				memcpy(alpn_s, alpn, alpn_len);
				alpn_s[alpn_len] = '\0';
				t.alpn = alpn_s;
			}
			t.authority = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
			t.ssl = 1;
			t.ssl_client = LB_PP_CLIENT_SSL;
			/*
			 * As HAProxy: a certificate in the TLS session sets CERT_SESS,
			 * the verify result and the certificate's sub-TLVs; CERT_CONN
			 * when it was presented on this connection (a full handshake,
			 * not a resumption). Without one, verify stays 0.
			 */
			if (lb_tls_cert_pp(ssl, &cert)) {
				t.ssl_client |= LB_PP_CLIENT_CERT_SESS;
				if (!SSL_session_reused(ssl))
					t.ssl_client |= LB_PP_CLIENT_CERT_CONN;
				t.ssl_verify = (uint32_t)SSL_get_verify_result(ssl);
				t.ssl_cn = cert.cn[0] != '\0' ? cert.cn : NULL;
				t.ssl_key_alg = cert.key_alg[0] != '\0' ? cert.key_alg : NULL;
				t.ssl_sig_alg = cert.sig_alg[0] != '\0' ? cert.sig_alg : NULL;
			}
			t.ssl_version = SSL_get_version(ssl);
			t.ssl_cipher = SSL_get_cipher_name(ssl);
		}
		n = lb_proxy_proto_v2_build(buf, sizeof(buf), &s->peer.sa,
		    (struct sockaddr *)&local, &t);
	}
	if (n > 0) {
		/* out first, before any spliced client byte can overtake it */
		evbuffer_add(lb_conn_output(sc), buf, (size_t)n);
		lb_conn_flush(sc);
	} else
		lb_session_log(s, LB_LOG_WARN, "cannot build the PROXY header");
}

void
lb_session_connect(struct lb_session *s, lb_connect_cb cb)
{
	s->connect_cb = cb;
	tried_get(s);
	s->attempts = 0;
	/* a member that just failed this request is not picked again for it */
	if (s->avoid != NULL) {
		s->tried->m[s->ntried++] = s->avoid;
		s->attempts++;
		s->avoid = NULL;
	}
	lb_session_set_state(s, LB_SS_CONNECTING);
	try_connect(s);
}
