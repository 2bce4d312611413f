/*
 * proxy_http.c: L7 proxying. Every request on a keep-alive client connection
 * is balanced on its own; member connections are kept in a per-worker idle
 * pool. Heads are validated whole (http_parse.c) and regenerated, bodies are
 * streamed verbatim after their framing has been checked. Pipelined requests
 * are answered in order because the next one is not read before the current
 * response is complete.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "lbproxy/config.h"
#include "lbproxy/conn.h"
#include "lbproxy/frontend.h"
#include "lbproxy/http_body.h"
#include "lbproxy/http_cookie.h"
#include "lbproxy/http_parse.h"
#include "lbproxy/http_write.h"
#include "lbproxy/l7.h"
#include "lbproxy/tls_cert.h"
#include "lbproxy/log.h"
#include "lbproxy/member.h"
#include "lbproxy/persist.h"
#include "lbproxy/metrics.h"
#include "session_int.h"

#define MAX_TRAILER_BYTES	8192
#define LOG_REQ_MAX		160
/* After a last response, how long a client that is still sending is read and ignored. */
#define LINGER_MS		2000

static void http_fini(struct lb_session *s);

struct lb_http_state {
	struct evbuffer		*head;		/* regenerated request head (from the worker's cache) */
	char			*ssl_hdrs;	/* X-SSL-* lines of this TLS connection, made once */
	size_t			 ssl_hdrs_len;
	struct lb_http_body	 reqb;
	struct lb_http_body	 rspb;
	enum lb_http_method	 method;
	int			 cli_minor;
	bool			 cli_keepalive;	/* after this response, another request may come */
	bool			 req_done;	/* request fully forwarded */
	bool			 rsp_head_done;	/* response head sent to the client */
	bool			 rsp_sent_any;	/* any response byte reached the client */
	bool			 reused;	/* member connection came from the idle pool */
	bool			 retryable;	/* idempotent, bodiless: may retry on a fresh connection */
	unsigned		 redispatches;	/* of this request, after a member closed unanswered */
	bool			 srv_keepalive;
	bool			 upgrade;
	bool			 srv_eof;
	bool			 abort;		/* the response was cut: the client must see a reset */
	bool			 lingering;	/* write side shut, discarding what the client sends */
	bool			 cli_eof;	/* the client half-closed */
	bool			 cli_close;	/* this request said it is the last one */
	struct lb_member	*cookie_mem;	/* HTTP_COOKIE: the member the client's SRV names */
	int			 status;
	uint64_t		 t_req_ms;
	uint64_t		 rsp_bytes;
	size_t			 req_head_len;	/* the client's request head, for counters */
	char			*logreq;	/* LOG_REQ_MAX, only with the access log on */
};

/*
 * An idle keep-alive client holds no lb_http_state: it is taken for a
 * request (the next event on the connection) and given back once the
 * response is out, like nginx's request pool. What lives from one request
 * to the next is in the session (nreq, between_requests). A TLS connection
 * that made X-SSL-* lines keeps its state, and them. Each thread keeps a
 * few states for the next requests.
 */
#define STATE_CACHE	64
static __thread struct lb_http_state	*state_cache[STATE_CACHE];
static __thread unsigned		 state_ncache;

static struct lb_http_state *
state_get(void)
{
	if (state_ncache > 0)
		return state_cache[--state_ncache];
	return calloc(1, sizeof(struct lb_http_state));
}

/* h was emptied of the session's buffers; its access-log line buffer stays with it. */
static void
state_put(struct lb_http_state *h)
{
	char *logreq = h->logreq;

	if (state_ncache == STATE_CACHE) {
		free(logreq);
		free(h);
		return;
	}
	memset(h, 0, sizeof(*h));
	h->logreq = logreq;
	state_cache[state_ncache++] = h;
}

void
lb_proxy_http_cache_free(void)
{
	while (state_ncache > 0) {
		free(state_cache[--state_ncache]->logreq);
		free(state_cache[state_ncache]);
	}
}

/* The next event on an idle connection: take a state for it, or close. */
static bool
state_resume(struct lb_session *s)
{
	if (s->http != NULL)
		return true;
	if ((s->http = state_get()) == NULL) {
		lb_session_close(s, LB_CLOSE_NOMEM);
		return false;
	}
	return true;
}

/* Between requests, nothing buffered either way: give the state back. */
static void
state_release(struct lb_session *s)
{
	struct lb_http_state *h = s->http;

	if (h == NULL || h->ssl_hdrs != NULL || h->head != NULL)
		return;
	s->http = NULL;
	state_put(h);
}

static void client_read_cb(struct lb_conn *bev, void *arg);
static void client_write_cb(struct lb_conn *bev, void *arg);
static void client_event_cb(struct lb_conn *bev, short what, void *arg);
static void server_read_cb(struct lb_conn *bev, void *arg);
static void server_write_cb(struct lb_conn *bev, void *arg);
static void server_event_cb(struct lb_conn *bev, short what, void *arg);
static void next_request(struct lb_session *s);
static void deadline_passed(struct lb_session *s);
static void send_request(struct lb_session *s);

/* ---- idle member connections (idle.c) ---------------------------------- */

/*
 * The tag of s's member connection in the idle pool: the SNI it was opened
 * with (the name its certificate was checked for) when the pool speaks TLS,
 * so that a request for another Host never rides it.
 */
static uint64_t
idle_tag(const struct lb_session *s)
{
	return s->pool->tls != NULL ? s->sni_hash : 0;
}

/* Keep s's member connection for a later request, or close it. */
static void
idle_put(struct lb_session *s)
{
	/*
	 * A connection that began with a PROXY header carries its client: it is
	 * the client's alone (HAProxy makes send-proxy connections private). With
	 * http_reuse "never" no connection is kept at all.
	 */
	if (s->pool->conf->protocol == LB_PROTO_PROXY || s->pool->conf->protocol ==
	    LB_PROTO_PROXYV2 || s->snap->conf->http_reuse == LB_REUSE_NEVER ||
	    s->w->draining || !atomic_load_explicit(&s->member->in_config,
	    memory_order_relaxed) || lb_conn_input_len(s->sc) > 0 ||
	    lb_idle_put(s->w, s->member, idle_tag(s), s->sc) == -1)
		lb_conn_free(s->sc);
	s->sc = NULL;
}

/* ---- helpers ------------------------------------------------------------ */

/*
 * Point m at the worker's header scratch array: a head is parsed and used
 * within one callback, so one array per worker serves every connection
 * (an idle keep-alive connection then costs no header storage).
 */
void
lb_session_hdr_scratch(struct lb_session *s, struct lb_http_msg *m)
{
	struct lb_worker *w = s->w;
	size_t need = s->snap->limits.max_header_lines + 1;

	if (w->hdr_cap < need) {
		w->hdrs = lb_xrealloc(w->hdrs, need * sizeof(*w->hdrs));
		w->hdr_cap = need;
	}
	memset(m, 0, sizeof(*m));
	m->hdrs = w->hdrs;
	m->hdr_cap = need;
}

/*
 * The session's deadline (request head, keep-alive idle, lingering close)
 * is the client connection's: lazy there (activity costs no timer-heap
 * operation), and an idle keep-alive client carries no timer of its own.
 */
static void
arm_timer(struct lb_session *s, int ms)
{
	lb_conn_set_deadline(s->cc, ms);
}

static void
disarm_timer(struct lb_session *s)
{
	lb_conn_set_deadline(s->cc, 0);
}

static bool
timer_armed(const struct lb_session *s)
{
	return lb_conn_has_deadline(s->cc);
}

/* The request line for the access log ("-" when there is none). */
static void
set_logreq(struct lb_session *s, const struct lb_http_msg *m)
{
	struct lb_http_state *h = s->http;

	if (!s->snap->conf->access_log)
		return;
	if (h->logreq == NULL && (h->logreq = malloc(LOG_REQ_MAX)) == NULL)
		return;		/* the line logs "-" */
	if (m == NULL)
		snprintf(h->logreq, LOG_REQ_MAX, "-");
	else
		snprintf(h->logreq, LOG_REQ_MAX, "%.*s %.*s HTTP/%d.%d", (int)m->method_len,
		    m->method_str, (int)(m->uri_len > 100 ? 100 : m->uri_len), m->uri,
		    s->stream ? 2 : m->major, s->stream ? 0 : m->minor);
}

/*
 * Request heads are regenerated into buffers from the thread's cache (the
 * connections' own): an idle keep-alive client holds none, and no request
 * allocates one.
 */
static struct evbuffer *
head_get(struct lb_session *s)
{
	struct lb_http_state *h = s->http;

	if (h->head == NULL)
		h->head = lb_conn_buf_get();
	else
		evbuffer_drain(h->head, evbuffer_get_length(h->head));
	return h->head;
}

static void
head_put(struct lb_session *s)
{
	struct evbuffer *b = s->http->head;

	if (b == NULL)
		return;
	evbuffer_drain(b, evbuffer_get_length(b));
	lb_conn_buf_put(&s->http->head);
}

static void
count_status(struct lb_session *s, int status)
{
	int cls = status / 100;

	if (cls < 1 || cls > 5)
		cls = 0;
	atomic_fetch_add_explicit(&s->fe->c.hrsp[cls], 1, memory_order_relaxed);
	if (s->member != NULL)
		atomic_fetch_add_explicit(&s->member->c.hrsp[cls], 1, memory_order_relaxed);
}

static void
access_log(struct lb_session *s)
{
	struct lb_http_state *h = s->http;
	const struct lb_config *c = s->snap->conf;
	char host[INET6_ADDRSTRLEN];
	uint64_t now;

	/* the histogram's counters are shared by all workers: only when someone reads them */
	if (c->metrics_listen == NULL && !c->access_log)
		return;
	now = lb_now_ms();
	if (c->metrics_listen != NULL)
		lb_latency_observe(&s->fe->lat, (unsigned)(now - h->t_req_ms));
	if (!c->access_log)
		return;
	lb_log_access("%s:%d %s=%s member=%s \"%s\" %d %llu %llums", lb_session_peer_host(s, host),
	    lb_addr_port((struct sockaddr *)&s->peer), c->dialect == LB_DIALECT_V2 ?
	    "listener" : "vip", s->sl->conf->id,
	    s->member != NULL ? s->member->id : "-", h->logreq != NULL ? h->logreq : "-", h->status,
	    (unsigned long long)h->rsp_bytes, (unsigned long long)(now - h->t_req_ms));
}

/*
 * End the session with a reset: the client must not take what it got for a
 * complete response (a FIN, or a TLS close_notify, would end a
 * close-delimited body as if it were complete).
 */
static void
reset_close(struct lb_session *s, enum lb_close_reason why)
{
	lb_conn_abort(s->cc);
	lb_session_close(s, why);
}

/*
 * Everything queued for the client has been written: end the session. A cut
 * response ends with a reset (a FIN, or a TLS close_notify, would make a
 * close-delimited body look complete). Otherwise, unless the client said it
 * was done, the write side is shut and what the client still sends is read
 * and dropped for a while, so that our last response is not destroyed by the
 * reset that closing a socket with unread data sends (lingering close, as
 * HAProxy and nginx do).
 */
static void
finish_close(struct lb_session *s)
{
	struct lb_http_state *h = s->http;

	if (h->abort) {
		reset_close(s, LB_CLOSE_SERVER_ERR);
		return;
	}
	/*
	 * A client that said this request was its last, sent all of it and
	 * nothing more, has nothing a close could destroy: close at once
	 * (nginx's lingering_close on). Otherwise (our decision to close, a
	 * refused head, bytes past the request) it may be sending still.
	 */
	if (h->cli_close && h->req_done && lb_conn_input_len(s->cc) == 0) {
		lb_session_close(s, LB_CLOSE_DONE);
		return;
	}
	if (lb_conn_ssl(s->cc) != NULL || lb_conn_is_pair(s->cc) || h->lingering || h->cli_eof ||
	    shutdown(lb_conn_fd(s->cc), SHUT_WR) == -1) {
		lb_session_close(s, LB_CLOSE_DONE);
		return;
	}
	h->lingering = true;
	evbuffer_drain(lb_conn_input(s->cc), lb_conn_input_len(s->cc));
	lb_conn_set_timeouts(s->cc, LINGER_MS, 0);
	lb_conn_read_start(s->cc);
	arm_timer(s, LINGER_MS);
}

/* Close the client connection once everything queued for it has been written. */
static void
close_after_flush(struct lb_session *s)
{
	lb_session_set_state(s, LB_SS_CLOSING);
	disarm_timer(s);
	lb_conn_read_stop(s->cc);
	if (s->sc != NULL) {
		lb_conn_free(s->sc);
		s->sc = NULL;
	}
	lb_session_release_member(s);
	lb_conn_flush(s->cc);
	if (lb_conn_output_len(s->cc) == 0)
		finish_close(s);
	else
		lb_conn_want_drain(s->cc);
}

/*
 * The member failed after part of the response reached the client: pass on
 * what arrived, then reset the client connection, never completing the
 * message with framing the member did not send.
 */
static void
abort_response(struct lb_session *s, const char *why)
{
	lb_session_log(s, LB_LOG_NOTICE, "%s: aborting the client connection", why);
	s->http->abort = true;
	access_log(s);
	close_after_flush(s);
}

/* Answer with an error lbproxy generates itself; the connection closes after it. */
static void
reply_error(struct lb_session *s, int status, const char *why)
{
	struct lb_http_state *h = s->http;

	lb_session_log(s, LB_LOG_INFO, "%d %s: %s", status, lb_http_reason(status), why);
	if (h->rsp_sent_any) {
		/* part of a response went out: the client must see an aborted message */
		abort_response(s, "response already started");
		return;
	}
	h->status = status;
	count_status(s, status);
	if (status >= 500 && s->pool != NULL)
		atomic_fetch_add_explicit(&s->pool->be->c.eresp, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&s->fe->c.ereq, 1, memory_order_relaxed);
	lb_http_write_error(lb_conn_output(s->cc), status, true);
	h->rsp_sent_any = true;
	h->cli_keepalive = false;
	access_log(s);
	close_after_flush(s);
}

/* Move n body bytes from src to dst, counting them; zero-copy within libevent. */
static void
move_body(struct lb_session *s, struct evbuffer *src, struct evbuffer *dst, size_t n, bool to_client)
{
	evbuffer_remove_buffer(src, dst, n);
	if (to_client) {
		s->bytes_out += n;
		s->http->rsp_bytes += n;
	} else
		s->bytes_in += n;
}

/* Scan framing over the first len bytes of buf; returns the result and bytes that belong. */
static enum lb_body_result
scan_body(struct lb_http_body *b, struct evbuffer *buf, size_t *used)
{
	struct evbuffer_iovec vec[16];
	enum lb_body_result r = LB_BODY_MORE;
	size_t total = 0, u;
	int i, n;

	/* only chunked framing reads the bytes */
	if (b->kind != LB_BODY_CHUNKED)
		return lb_http_body_scan(b, NULL, evbuffer_get_length(buf), used);
	n = evbuffer_peek(buf, -1, NULL, vec, 16);
	if (n > 16)
		n = 16;
	for (i = 0; i < n; i++) {
		r = lb_http_body_scan(b, vec[i].iov_base, vec[i].iov_len, &u);
		total += u;
		if (r != LB_BODY_MORE)
			break;
	}
	*used = total;
	return r;
}

/* ---- request side --------------------------------------------------------- */

/* The request body announced so far (length or chunk sizes) is over the limit. */
static bool
body_too_large(const struct lb_session *s)
{
	uint64_t lim = s->snap->limits.max_body_bytes;

	return lim > 0 && s->http->reqb.total > lim;
}

/* Forward as much of the request body as has arrived. */
static void
forward_request_body(struct lb_session *s)
{
	struct lb_http_state *h = s->http;
	struct evbuffer *in, *out;
	enum lb_body_result r;
	size_t used;

	if (h->req_done || s->sc == NULL || lb_conn_input_len(s->cc) == 0)
		return;
	in = lb_conn_input(s->cc);
	out = lb_conn_output(s->sc);
	do {
		r = scan_body(&h->reqb, in, &used);
		if (r == LB_BODY_ERROR) {
			reply_error(s, 400, "malformed request body framing");
			return;
		}
		if (body_too_large(s)) {
			/* the member got part of it: its connection is closed, never reused */
			reply_error(s, 413, "chunked body over limits.max_body_bytes");
			return;
		}
		move_body(s, in, out, used, false);
		atomic_fetch_add_explicit(&s->member->c.bin, used, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->fe->c.bin, used, memory_order_relaxed);
	} while (r == LB_BODY_MORE && used > 0 && evbuffer_get_length(in) > 0);
	lb_conn_flush(s->sc);
	if (r == LB_BODY_DONE) {
		h->req_done = true;
		/* pipelined requests wait until this response is complete */
		lb_conn_read_stop(s->cc);
		lb_conn_set_timeouts(s->cc, 0, s->sl->conf->timeouts.client);
		/* the whole request is sent: now the member owes an answer */
		lb_conn_set_timeouts(s->sc, s->sl->conf->timeouts.server, s->sl->conf->timeouts.server);
	} else if (lb_conn_output_len(s->sc) >= LB_BUF_HIGH) {
		lb_conn_read_stop(s->cc);
		lb_conn_want_drain(s->sc);
	}
}

/* Choose the member for this request: persistence first, then the balancer. */
static struct lb_member *
choose_member(struct lb_session *s, const struct lb_http_msg *m)
{
	const struct lb_persist_conf *ps = &s->pool->conf->persist;
	struct lb_member *mem = NULL;
	const char *val;
	size_t len;

	s->http->cookie_mem = NULL;
	if (ps->type == LB_PERSIST_HTTP_COOKIE) {
		if (lb_http_cookie_get(m, ps->cookie_name, &val, &len) == 0)
			mem = lb_snapshot_find(s->pool, val, len);
		s->http->cookie_mem = mem;
	} else if (ps->type == LB_PERSIST_SOURCE_IP) {
		mem = lb_src_lookup(s->pool, s->client_hash);
	} else if (ps->type == LB_PERSIST_APP_COOKIE && ps->cookie_name != NULL &&
	    lb_http_cookie_get(m, ps->cookie_name, &val, &len) == 0) {
		mem = lb_app_cookie_lookup(s->pool, val, len);
	}
	return mem;
}

/*
 * Between requests a keep-alive client moves to the newest config (the one
 * its worker accepts with), to the listener of the same id. Returns false if
 * it cannot (the listener went or changed nature): the connection is closed
 * then.
 */
static bool
follow_reload(struct lb_session *s)
{
	if (lb_session_follow_reload(s))
		return true;
	close_after_flush(s);
	return false;
}

/* Answer a redirect of an L7 policy (no body), then close. */
static void
reply_redirect(struct lb_session *s, const struct lb_l7policy_conf *pc, const struct lb_http_msg *m)
{
	struct lb_http_state *h = s->http;
	struct evbuffer *out = lb_conn_output(s->cc);
	const char *base = pc->action == LB_L7_REDIRECT_TO_URL ? pc->redirect_url :
	    pc->redirect_prefix;
	size_t blen = strlen(base);
	int code = pc->redirect_http_code;

	/* REDIRECT_PREFIX keeps the path and the query: "https://b.example" + "/a?b" */
	if (pc->action == LB_L7_REDIRECT_PREFIX && blen > 0 && base[blen - 1] == '/' &&
	    m->path_len > 0 && m->path[0] == '/')
		blen--;
	lb_session_log(s, LB_LOG_INFO, "%d: L7 policy %s redirects", code, pc->id);
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nLocation: %.*s", code,
	    lb_http_reason(code), (int)blen, base);
	if (pc->action == LB_L7_REDIRECT_PREFIX) {
		if (m->path_slash)
			evbuffer_add(out, "/", 1);
		evbuffer_add(out, m->path, m->path_len);
	}
	evbuffer_add_printf(out, "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	h->status = code;
	count_status(s, code);
	h->rsp_sent_any = true;
	h->cli_keepalive = false;
	access_log(s);
	close_after_flush(s);
}

/* TLS to members: the SNI is the request's host without its port (SPEC 11). */
static void
sni_of(struct lb_session *s, const struct lb_http_msg *m)
{
	const char *c;
	size_t n = 0;

	if (m->host != NULL && m->host_len > 0 && m->host[0] != '[') {
		c = memchr(m->host, ':', m->host_len);
		n = c != NULL ? (size_t)(c - m->host) : m->host_len;
	}
	if (n >= LB_SNI_MAX)
		n = 0;
	/* most sessions never reach a TLS pool: the buffer is theirs on first use */
	if (n > 0 && s->sni == NULL)
		s->sni = lb_xmalloc(LB_SNI_MAX);
	if (s->sni != NULL) {
		memcpy(s->sni, m->host, n);
		s->sni[n] = '\0';
	}
	s->sni_hash = lb_hash64(n > 0 ? m->host : "", n, 0);
}

/*
 * Route a validated request: the listener's L7 policies in order (REJECT,
 * redirects, then REDIRECT_TO_POOL), else its default pool. Returns whether
 * the request goes on to s->pool; otherwise it was answered.
 */
static bool
route_request(struct lb_session *s, const struct lb_http_msg *m)
{
	const struct lb_l7policy_conf *pc;

	s->pool = s->sl->pool;
	pc = lb_l7_match(s->sl->l7, m, lb_conn_ssl(s->cc), s->w->l7_scratch);
	if (pc != NULL) {
		switch (pc->action) {
		case LB_L7_REJECT:
			atomic_fetch_add_explicit(&s->fe->c.dreq, 1, memory_order_relaxed);
			reply_error(s, 403, "rejected by an L7 policy");
			return false;
		case LB_L7_REDIRECT_TO_URL:
		case LB_L7_REDIRECT_PREFIX:
			reply_redirect(s, pc, m);
			return false;
		case LB_L7_REDIRECT_TO_POOL:
			/* the index is in the snapshot s->sl belongs to */
			s->pool = pc->redirect_pool >= 0 ? &s->snap->pools[pc->redirect_pool] : NULL;
			break;
		}
	}
	if (s->pool == NULL) {
		reply_error(s, 503, "no pool for this request");
		return false;
	}
	if (s->pool->tls != NULL)
		sni_of(s, m);
	return true;
}

/*
 * The X-SSL-* headers insert_headers asks for, with the values Octavia's
 * HAProxy template puts there (tls_cert.c), made once per client connection:
 * the certificate does not change between its requests.
 */
static int
ssl_headers(struct lb_session *s, unsigned ins)
{
	struct lb_http_state *h = s->http;
	struct lb_tls_cert_values *v;
	SSL *ssl = lb_conn_ssl(s->cc);
	size_t cap, n = 0;
	int i, k;

	if (h->ssl_hdrs != NULL)
		return 0;
	if (ssl == NULL || (v = malloc(sizeof(*v))) == NULL)
		return -1;
	lb_tls_cert_values(ssl, v);
	cap = LB_TLS_HDR_MAX * 32 + sizeof(*v);
	if ((h->ssl_hdrs = malloc(cap)) == NULL) {
		free(v);
		return -1;
	}
	for (i = 0; i < LB_TLS_HDR_MAX; i++) {
		if ((ins & (LB_HDR_SSL_VERIFY << i)) == 0)
			continue;
		k = snprintf(h->ssl_hdrs + n, cap - n, "%s: %s\r\n", lb_tls_hdr_names[i],
		    lb_tls_cert_value(v, (enum lb_tls_hdr)i));
		if (k > 0 && (size_t)k < cap - n)
			n += (size_t)k;
	}
	h->ssl_hdrs_len = n;
	free(v);
	return 0;
}

/* Parse and validate the request head; then start forwarding it. */
static void
handle_head(struct lb_session *s)
{
	struct lb_http_state *h = s->http;
	struct evbuffer *in = lb_conn_input(s->cc);
	size_t avail = evbuffer_get_length(in);
	size_t want = avail;
	struct lb_http_msg m;
	struct lb_http_fwd fwd;
	const struct lb_config *c;
	struct lb_http_err err;
	enum lb_http_parse rc;
	unsigned ins;
	char *data, host[INET6_ADDRSTRLEN];

	if (avail == 0)
		return;
	/* HTTP/2 by prior knowledge (SPEC 12): the client preface in place of a first request */
	if (s->nreq == 0 && !s->stream && s->sl->conf->h2 && lb_conn_ssl(s->cc) == NULL) {
		bool more;

		if (lb_h2_preface(in, &more)) {
			disarm_timer(s);
			http_fini(s);
			s->ops = &lb_proxy_h2_ops;
			s->ops->start(s);
			return;
		}
		if (more)
			return;
	}
	if (s->state == LB_SS_HTTP_IDLE && !follow_reload(s))
		return;
	c = s->snap->conf;
	if (s->state == LB_SS_HTTP_IDLE) {
		lb_session_set_state(s, LB_SS_HTTP_HEAD);
		/* absolute deadline: slowloris cannot extend it by trickling bytes */
		arm_timer(s, c->timeouts.http_request);
		h->t_req_ms = lb_now_ms();
		/* a new request: an error on it is answered, not cut like a started response */
		h->rsp_sent_any = false;
		h->cli_close = false;
	}
	if (want > s->snap->limits.max_header_bytes + 1)
		want = s->snap->limits.max_header_bytes + 1;
	data = (char *)evbuffer_pullup(in, (ssize_t)want);
	lb_session_hdr_scratch(s, &m);
	/* an HTTP/2 stream's head is h2.c's translation of fields nghttp2 checked */
	rc = lb_http_parse_request(data, want, s->stream ? &s->snap->limits_trusted :
	    &s->snap->limits, &m, &err);
	if (rc == LB_HTTP_PARTIAL)
		return;
	if (rc == LB_HTTP_INVALID) {
		set_logreq(s, NULL);
		reply_error(s, err.status, err.why);
		return;
	}
	disarm_timer(s);
	s->nreq++;
	atomic_fetch_add_explicit(&s->fe->c.req_tot, 1, memory_order_relaxed);
	h->method = m.method;
	h->cli_minor = m.minor;
	h->cli_keepalive = m.keep_alive && !atomic_load(&s->w->lim->stopping);
	h->cli_close = !m.keep_alive;
	h->upgrade = m.upgrade;
	h->req_done = m.body == LB_BODY_NONE || (m.body == LB_BODY_LENGTH && m.content_length == 0);
	h->retryable = h->req_done && (m.method == LB_HTTP_GET || m.method == LB_HTTP_HEAD ||
	    m.method == LB_HTTP_OPTIONS || m.method == LB_HTTP_PUT || m.method == LB_HTTP_DELETE ||
	    m.method == LB_HTTP_TRACE);
	h->rsp_head_done = h->rsp_sent_any = h->srv_eof = h->abort = false;
	h->redispatches = 0;
	h->rsp_bytes = 0;
	h->status = 0;
	set_logreq(s, &m);
	lb_http_body_init(&h->reqb, m.body, m.content_length, MAX_TRAILER_BYTES);
	if (body_too_large(s)) {
		reply_error(s, 413, "Content-Length over limits.max_body_bytes");
		return;
	}

	if (!route_request(s, &m))
		return;
	memset(&fwd, 0, sizeof(fwd));
	ins = s->sl->conf->insert;
	fwd.client_ip = ins & LB_HDR_XFF ? lb_session_peer_host(s, host) : NULL;
	fwd.proto = ins & LB_HDR_XFPROTO ? (s->sl->tls != NULL ? "https" : "http") : NULL;
	fwd.port = ins & LB_HDR_XFPORT ? s->sl->conf->port : 0;
	if ((ins & LB_HDR_SSL_ALL) != 0 && ssl_headers(s, ins) == 0) {
		fwd.extra = h->ssl_hdrs;
		fwd.extra_len = h->ssl_hdrs_len;
	}
	if (lb_http_write_request(head_get(s), &m, &fwd) == -1) {
		reply_error(s, 500, "cannot build the request head");
		return;
	}
	s->prefer = choose_member(s, &m);
	s->bytes_in += m.head_len;
	atomic_fetch_add_explicit(&s->fe->c.bin, m.head_len, memory_order_relaxed);
	h->req_head_len = m.head_len;
	evbuffer_drain(in, m.head_len);

	lb_session_set_state(s, LB_SS_HTTP_FORWARD);
	lb_conn_read_stop(s->cc);
	send_request(s);
}

/* The member connection is ready (new or reused): write the head and body. */
static void
attach_server(struct lb_session *s, struct lb_conn *bev)
{
	const struct lb_timeouts *to = &s->sl->conf->timeouts;

	s->sc = bev;
	lb_session_set_state(s, LB_SS_HTTP_FORWARD);
	lb_conn_setcb(bev, server_read_cb, server_write_cb, server_event_cb, s);
	/* the member may be silent while the client is still sending the body */
	lb_conn_set_timeouts(bev, s->http->req_done ? to->server : 0, to->server);
	lb_conn_read_start(bev);
	evbuffer_add_buffer_reference(lb_conn_output(bev), s->http->head);
	/* like the frontend, the member's "bytes in" are the client's bytes */
	atomic_fetch_add_explicit(&s->member->c.bin, s->http->req_head_len, memory_order_relaxed);
	if (!s->http->req_done) {
		lb_conn_set_timeouts(s->cc, to->client, to->client);
		lb_conn_read_start(s->cc);
		/* the head goes now even if no body byte is here yet (Expect: 100-continue) */
		if (lb_conn_input_len(s->cc) == 0)
			lb_conn_flush(bev);
		else
			forward_request_body(s);	/* flushes head and body together */
		return;
	}
	lb_conn_flush(bev);
}

static void
request_connected(struct lb_session *s, struct lb_conn *bev)
{
	if (bev == NULL) {
		atomic_fetch_add_explicit(&s->pool->be->c.econ, 1, memory_order_relaxed);
		reply_error(s, 503, "no member available");
		return;
	}
	s->http->reused = false;
	lb_session_send_proxy(s, bev);
	attach_server(s, bev);
}

/* Find a connection for the current request: an idle one to the chosen member, or a new one. */
static void
send_request(struct lb_session *s)
{
	struct lb_member *m = s->prefer;
	struct lb_conn *bev;

	if (m == NULL)
		m = lb_snapshot_pick(s->snap, s->pool, &s->w->picks[s->pool->idx],
		    s->client_hash, &s->peer.sa, NULL, 0);
	if (m == NULL) {
		atomic_fetch_add_explicit(&s->pool->be->c.econ, 1, memory_order_relaxed);
		reply_error(s, 503, "no member available");
		return;
	}
	/*
	 * lbproxy.http_reuse, HAProxy's meanings: "safe" gives a client's first
	 * request a connection of its own (a reused one may have been closed by
	 * the member meanwhile, and only later requests are known retryable by
	 * the client); "always" takes any idle one; "never" keeps none.
	 */
	bev = NULL;
	if (s->snap->conf->http_reuse == LB_REUSE_ALWAYS ||
	    (s->snap->conf->http_reuse == LB_REUSE_SAFE && s->nreq > 1))
		bev = lb_idle_get(s->w, m, idle_tag(s));
	if (bev != NULL) {
		lb_session_use_member(s, m);
		s->http->reused = true;
		attach_server(s, bev);
		return;
	}
	s->prefer = m;
	lb_session_connect(s, request_connected);
}

/* ---- response side ---------------------------------------------------- */

/* The response is complete: recycle the member connection and go on with the client. */
static void
response_done(struct lb_session *s)
{
	struct lb_http_state *h = s->http;

	lb_conn_flush(s->cc);
	access_log(s);
	/* the head is no longer needed for a retry: an idle client holds no buffer */
	head_put(s);
	if (s->sc != NULL) {
		if (h->srv_keepalive && h->req_done && !h->srv_eof)
			idle_put(s);
		else {
			lb_conn_free(s->sc);
			s->sc = NULL;
		}
	}
	lb_session_release_member(s);
	if (!h->cli_keepalive || !h->req_done || s->w->draining) {
		close_after_flush(s);
		return;
	}
	next_request(s);
}

/* Forward the response body that has arrived. */
static void
forward_response_body(struct lb_session *s)
{
	struct lb_http_state *h = s->http;
	struct evbuffer *in = lb_conn_input(s->sc);
	struct evbuffer *out = lb_conn_output(s->cc);
	enum lb_body_result r;
	size_t used;

	do {
		r = scan_body(&h->rspb, in, &used);
		if (r == LB_BODY_ERROR) {
			atomic_fetch_add_explicit(&s->member->c.eresp, 1, memory_order_relaxed);
			abort_response(s, "member sent malformed body framing");
			return;
		}
		atomic_fetch_add_explicit(&s->member->c.bout, used, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->fe->c.bout, used, memory_order_relaxed);
		move_body(s, in, out, used, true);
	} while (r == LB_BODY_MORE && used > 0 && evbuffer_get_length(in) > 0);
	if (r == LB_BODY_DONE) {
		response_done(s);
		return;
	}
	lb_conn_flush(s->cc);
	if (lb_conn_output_len(s->cc) >= (s->stream ? LB_STREAM_BUF_HIGH : LB_BUF_HIGH)) {
		lb_conn_read_stop(s->sc);
		lb_conn_want_drain(s->cc);
	}
}

/* Parse the response head(s) from the member; 1xx are relayed and parsing goes on. */
static void
handle_response_head(struct lb_session *s)
{
	struct lb_http_state *h = s->http;
	struct evbuffer *in = lb_conn_input(s->sc);
	const struct lb_persist_conf *ps = &s->pool->conf->persist;
	size_t want;
	struct lb_http_msg m;
	struct lb_http_err err;
	enum lb_http_parse rc;
	const char *val;
	char extra[384], *data;
	size_t vlen, hlen;
	int n;

	for (;;) {
		want = evbuffer_get_length(in);
		if (want == 0)
			return;
		if (want > s->snap->limits.max_header_bytes + 1)
			want = s->snap->limits.max_header_bytes + 1;
		data = (char *)evbuffer_pullup(in, (ssize_t)want);
		lb_session_hdr_scratch(s, &m);
		rc = lb_http_parse_response(data, want, &s->snap->limits, h->method, &m, &err);
		if (rc == LB_HTTP_PARTIAL)
			return;
		if (rc == LB_HTTP_INVALID) {
			atomic_fetch_add_explicit(&s->member->c.eresp, 1, memory_order_relaxed);
			h->srv_keepalive = false;
			reply_error(s, err.status, err.why);
			return;
		}
		if (m.status >= 100 && m.status < 200 && m.status != 101) {
			/* interim response (100 Continue): relay it to 1.1 clients, the final one follows */
			if (h->cli_minor >= 1) {
				lb_http_write_response(lb_conn_output(s->cc), &m, h->cli_minor,
				    true, NULL);
				lb_conn_flush(s->cc);
			}
			evbuffer_drain(in, m.head_len);
			continue;
		}
		break;
	}
	h->srv_keepalive = m.keep_alive;
	/*
	 * A close-delimited body can only be passed on by closing the client
	 * too; and a client whose request body is not all here yet is closed
	 * after the response, so it is told.
	 */
	if (m.body == LB_BODY_CLOSE || !h->req_done)
		h->cli_keepalive = false;
	if (m.status == 101 && !h->upgrade) {
		reply_error(s, 502, "member switched protocols without an upgrade request");
		return;
	}
	/* a stop or takeover began: this response says so, the client reconnects cleanly */
	if (atomic_load_explicit(&s->w->lim->stopping, memory_order_relaxed))
		h->cli_keepalive = false;
	extra[0] = '\0';
	/* HTTP_COOKIE: tell the client its member, also when the one it named failed over */
	if (ps->type == LB_PERSIST_HTTP_COOKIE && s->member != NULL && s->member != h->cookie_mem) {
		n = snprintf(extra, sizeof(extra), "Set-Cookie: %s=%s; path=/; HttpOnly\r\n",
		    ps->cookie_name, s->member->id);
		if (n < 0 || (size_t)n >= sizeof(extra))
			extra[0] = '\0';	/* an id too long for a cookie: no persistence */
	}
	/*
	 * HSTS on terminated listeners, worded as Octavia's HAProxy template sets
	 * it, and set, not added (HAProxy's set-header): the member's own field
	 * is not passed on, so the client never sees two policies.
	 */
	if (s->sl->conf->hsts_max_age >= 0 && s->sl->tls != NULL) {
		size_t el = strlen(extra);

		(void)lb_http_drop(&m, "Strict-Transport-Security");
		n = snprintf(extra + el, sizeof(extra) - el,
		    "Strict-Transport-Security: max-age=%d;%s%s\r\n", s->sl->conf->hsts_max_age,
		    s->sl->conf->hsts_include_subdomains ? " includeSubDomains;" : "",
		    s->sl->conf->hsts_preload ? " preload;" : "");
		if (n < 0 || (size_t)n >= sizeof(extra) - el)
			extra[el] = '\0';
	}
	if (ps->type == LB_PERSIST_APP_COOKIE && ps->cookie_name != NULL &&
	    lb_http_setcookie_get(&m, ps->cookie_name, &val, &vlen) == 0)
		lb_app_cookie_learn(s->pool, val, vlen, s->member);
	hlen = lb_conn_output_len(s->cc);
	if (lb_http_write_response(lb_conn_output(s->cc), &m, h->cli_minor,
	    m.status == 101 ? true : h->cli_keepalive, extra[0] != '\0' ? extra : NULL) == -1) {
		h->srv_keepalive = false;
		reply_error(s, 502, "response cannot be framed for this client");
		return;
	}
	h->rsp_head_done = h->rsp_sent_any = true;
	/* counted once it goes out: the 502s above count for themselves */
	h->status = m.status;
	count_status(s, m.status);
	/* count the head the client gets (regenerated), not the member's */
	hlen = lb_conn_output_len(s->cc) - hlen;
	s->bytes_out += hlen;
	atomic_fetch_add_explicit(&s->member->c.bout, hlen, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->fe->c.bout, hlen, memory_order_relaxed);
	evbuffer_drain(in, m.head_len);

	if (m.status == 101) {
		lb_conn_flush(s->cc);
		access_log(s);
		disarm_timer(s);
		lb_proxy_tunnel(s);
		return;
	}
	if (!h->req_done)
		lb_conn_set_timeouts(s->sc, s->sl->conf->timeouts.server, s->sl->conf->timeouts.server);
	lb_http_body_init(&h->rspb, m.body, m.content_length, MAX_TRAILER_BYTES);
	if (m.body == LB_BODY_NONE) {
		response_done(s);
		return;
	}
	forward_response_body(s);
}

static void
server_read_cb(struct lb_conn *bev, void *arg)
{
	struct lb_session *s = arg;

	if (!s->http->rsp_head_done)
		handle_response_head(s);
	else
		forward_response_body(s);
}

/* Output to the member drained: resume reading the request body. */
static void
server_write_cb(struct lb_conn *bev, void *arg)
{
	struct lb_session *s = arg;

	if (!s->http->req_done && !lb_conn_reading(s->cc))
		lb_conn_read_start(s->cc);
}

/* Retry an idempotent request whose reused member connection died before answering. */
static bool
retry_on_fresh(struct lb_session *s)
{
	struct lb_http_state *h = s->http;

	const struct lb_config *c = s->snap->conf;

	if (!h->retryable || h->rsp_sent_any || lb_conn_input_len(s->sc) > 0)
		return false;
	if (h->reused) {
		lb_session_log(s, LB_LOG_DEBUG, "idle member connection closed: retrying "
		    "on a new one");
		s->prefer = s->member;
	} else {
		/*
		 * A fresh connection closed before any answer: the member is dying.
		 * Count it as passive evidence and redispatch the request to another
		 * member (SPEC 3), as HAProxy's retry-on and redispatch do.
		 */
		if (!c->redispatch || h->redispatches >= (unsigned)c->retries)
			return false;
		h->redispatches++;
		lb_member_connect_failed(s->member);
		lb_session_log(s, LB_LOG_INFO, "member %s closed without answering: "
		    "redispatching", s->member->name);
		s->prefer = NULL;
		s->avoid = s->member;
	}
	lb_conn_free(s->sc);
	s->sc = NULL;
	lb_session_release_member(s);
	h->reused = false;
	h->srv_eof = false;
	lb_session_connect(s, request_connected);
	return true;
}

static void
server_event_cb(struct lb_conn *bev, short what, void *arg)
{
	struct lb_session *s = arg;
	struct lb_http_state *h = s->http;

	if (what & LB_CONN_EOF) {
		h->srv_eof = true;
		if (h->rsp_head_done && h->rspb.kind == LB_BODY_CLOSE) {
			forward_response_body(s);
			if (s->sc != NULL && s->state == LB_SS_HTTP_FORWARD)
				response_done(s);
			return;
		}
		if (!h->rsp_head_done && retry_on_fresh(s))
			return;
	}
	if (what & LB_CONN_TIMEOUT) {
		atomic_fetch_add_explicit(&s->member->c.eresp, 1, memory_order_relaxed);
		h->srv_keepalive = false;
		if (!h->rsp_head_done) {
			reply_error(s, 504, "member did not answer in time");
			return;
		}
		abort_response(s, "member timed out mid-response");
		return;
	}
	if (!h->rsp_head_done && retry_on_fresh(s))
		return;
	atomic_fetch_add_explicit(&s->member->c.eresp, 1, memory_order_relaxed);
	h->srv_keepalive = false;
	if (!h->rsp_head_done) {
		reply_error(s, 502, "member closed the connection without a response");
		return;
	}
	/* mid-response: the client must not see a completed message */
	abort_response(s, "member closed mid-response");
}

/* ---- client side -------------------------------------------------------- */

static void
client_read_cb(struct lb_conn *bev, void *arg)
{
	struct lb_session *s = arg;

	if (!state_resume(s))
		return;

	switch (s->state) {
	case LB_SS_HTTP_IDLE:
	case LB_SS_HTTP_HEAD:
		handle_head(s);
		break;
	case LB_SS_HTTP_FORWARD:
		forward_request_body(s);
		break;
	case LB_SS_CLOSING:
		/* lingering close: what the client still sends is dropped */
		evbuffer_drain(lb_conn_input(bev), lb_conn_input_len(bev));
		break;
	default:
		break;
	}
}

/*
 * How long a keep-alive client may stay idle: http_keep_alive, or at most
 * STOP_IDLE_MS once a stop or a takeover has begun. A busy client gets one
 * more response (with Connection: close) instead of a connection cut under
 * its next request; an idle one goes soon.
 */
#define STOP_IDLE_MS	1000
static int
keepalive_ms(const struct lb_session *s)
{
	int ms = s->sl->conf->timeouts.http_keep_alive;

	if (atomic_load_explicit(&s->w->lim->stopping, memory_order_relaxed) && ms > STOP_IDLE_MS)
		ms = STOP_IDLE_MS;
	return ms;
}

/* Client output drained: close if we were only flushing, else resume the member's reading. */
static void
client_write_cb(struct lb_conn *bev, void *arg)
{
	struct lb_session *s = arg;

	/* no state_resume: an idle client needs none here, and CLOSING has one */
	if (s->state == LB_SS_CLOSING) {
		if (!s->http->lingering)
			finish_close(s);
		return;
	}
	if (s->state == LB_SS_HTTP_IDLE && !timer_armed(s))
		arm_timer(s, keepalive_ms(s));
	if (s->sc != NULL && !lb_conn_reading(s->sc))
		lb_conn_read_start(s->sc);
}

static void
client_event_cb(struct lb_conn *bev, short what, void *arg)
{
	struct lb_session *s = arg;
	struct lb_http_state *h;

	if (!state_resume(s))
		return;
	h = s->http;

	if (what & LB_CONN_DEADLINE) {
		deadline_passed(s);
		return;
	}
	if (s->state == LB_SS_CLOSING && h->lingering) {
		lb_session_close(s, LB_CLOSE_DONE);
		return;
	}
	if (what & LB_CONN_TIMEOUT) {
		if ((what & LB_CONN_READING) && s->state == LB_SS_HTTP_FORWARD && !h->req_done &&
		    !h->rsp_sent_any) {
			/* slow POST: the body stalled; the member is not to blame */
			reply_error(s, 408, "request body not received in time");
			return;
		}
		/* a response cut short by our timeout must not look complete */
		if (h->abort || lb_conn_output_len(bev) > 0)
			reset_close(s, LB_CLOSE_CLIENT_TIMEOUT);
		else
			lb_session_close(s, LB_CLOSE_CLIENT_TIMEOUT);
		return;
	}
	if (what & LB_CONN_EOF) {
		h->cli_eof = true;
		lb_conn_read_stop(bev);
		if (s->state == LB_SS_HTTP_FORWARD && h->req_done) {
			/* half-closed client: it still gets its response, then we close */
			h->cli_keepalive = false;
			return;
		}
		if (s->state == LB_SS_HTTP_IDLE || s->state == LB_SS_HTTP_HEAD ||
		    s->state == LB_SS_CLOSING) {
			/* no (complete) request: end after what is still queued for it */
			close_after_flush(s);
			return;
		}
	}
	lb_session_close(s, LB_CLOSE_CLIENT_ERR);
}

/* Request-head deadline (408), keep-alive idle timeout (silent close), end of lingering. */
static void
deadline_passed(struct lb_session *s)
{
	if (s->state == LB_SS_HTTP_HEAD) {
		set_logreq(s, NULL);
		reply_error(s, 408, "request head not received in time");
		return;
	}
	if (s->state == LB_SS_HTTP_IDLE) {
		/* keep-alive idle: the last response may still be on its way */
		close_after_flush(s);
		return;
	}
	lb_session_close(s, LB_CLOSE_DONE);	/* the lingering close is over */
}

void
lb_proxy_http_wind_down(struct lb_session *s)
{
	if (s->ops == &lb_proxy_http_ops && s->state == LB_SS_HTTP_IDLE && s->between_requests &&
	    timer_armed(s))
		arm_timer(s, keepalive_ms(s));
}

/* Wait for (or start on already buffered) the next request of this client. */
static void
next_request(struct lb_session *s)
{
	const struct lb_timeouts *c = &s->sl->conf->timeouts;

	lb_session_set_state(s, LB_SS_HTTP_IDLE);
	s->prefer = NULL;
	s->between_requests = s->nreq > 0;
	lb_conn_set_timeouts(s->cc, 0, c->client);
	/* the keep-alive idle time starts once the last response is out */
	if (s->nreq > 0 && lb_conn_output_len(s->cc) > 0)
		lb_conn_want_drain(s->cc);
	else
		arm_timer(s, s->nreq == 0 ? c->http_request : keepalive_ms(s));
	lb_conn_read_start(s->cc);
	if (lb_conn_input_len(s->cc) > 0)
		handle_head(s);
	else if (s->nreq > 0)
		state_release(s);
}

static void
http_start(struct lb_session *s)
{
	if (!state_resume(s))
		return;
	lb_conn_setcb(s->cc, client_read_cb, client_write_cb, client_event_cb, s);
	next_request(s);
}

static void
http_fini(struct lb_session *s)
{
	struct lb_http_state *h = s->http;

	if (h == NULL)
		return;
	head_put(s);
	free(h->ssl_hdrs);
	s->http = NULL;
	state_put(h);
}

const struct lb_proxy_ops lb_proxy_http_ops = {
	.name = "http",
	.start = http_start,
	.fini = http_fini,
};
