/*
 * h2.c: HTTP/2 on listeners (SPEC 12). libnghttp2 does the frame layer,
 * HPACK, flow control and RFC 9113 section 8's message checks; this file
 * translates. Every stream becomes one HTTP/1.1 request written into an
 * in-memory connection pair (conn.c), whose other end is served by an
 * ordinary HTTP/1.1 session of the listener (proxy_http.c): balancing,
 * persistence, L7 policies, X-Forwarded-*, limits and the member idle pool
 * are the same code for both protocols. The response comes back on the
 * pair as HTTP/1.1, is parsed (http_parse.c), and leaves as HEADERS and
 * DATA frames whose payload moves by evbuffer chains, not copied.
 *
 * Bounds: at most H2_MAX_STREAMS streams; a stream's request body is
 * acknowledged (WINDOW_UPDATE) only once it has been handed to its session,
 * so the client cannot queue more than a window per stream (and
 * H2_CONN_WINDOW per connection); a response body queued for DATA frames
 * stops reading from the session at H2_RSP_HIGH (the session itself stops
 * reading its member at LB_STREAM_BUF_HIGH); output towards the client
 * stops being generated at H2_OUT_HIGH. Floods (rapid reset, SETTINGS,
 * PING, PRIORITY, empty DATA, oversized header lists) end the connection
 * with GOAWAY ENHANCE_YOUR_CALM: see h2_calm().
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <nghttp2/nghttp2.h>

#include "lbproxy/config.h"
#include "lbproxy/conn.h"
#include "lbproxy/frontend.h"
#include "lbproxy/http.h"
#include "lbproxy/http_body.h"
#include "lbproxy/http_parse.h"
#include "lbproxy/log.h"
#include "lbproxy/util.h"
#include "session_int.h"

#define H2_MAX_STREAMS		100		/* SETTINGS_MAX_CONCURRENT_STREAMS */
#define H2_CONN_WINDOW		(1 << 20)	/* connection receive window */
#define H2_RSP_HIGH		(32 * 1024)	/* response bytes queued per stream... */
#define H2_PAIR_MAX		(32 * 1024)	/* ... and in either end of its pair */
#define H2_OUT_HIGH		(256 * 1024)	/* frames queued towards the client */
#define H2_MAX_CONTINUATIONS	8		/* CONTINUATION frames per header block */
#define H2_RST_BURST		200		/* RST_STREAMs received, token bucket... */
#define H2_RST_RATE		100		/* ... refilled per second */
#define H2_FLOOD_PER_S		200		/* SETTINGS, PING, PRIORITY or empty DATA per second */
#define H2_BAD_HEADERS		10		/* streams refused for their headers, then GOAWAY */

struct h2_conn;

struct h2_stream {
	int32_t			 id;
	struct h2_conn		*h;
	struct lb_conn		*end;		/* our end of the pair (the session has the other) */
	struct lb_session	*ss;		/* the stream's HTTP/1.1 session; NULL once gone */
	/* request */
	struct evbuffer		*head;		/* request header fields, then the whole head */
	struct evbuffer		*cookie;	/* the cookie crumbs, joined by "; " */
	nghttp2_rcbuf		*method, *path, *authority, *host;
	size_t			 hdr_bytes;	/* decoded header list size (RFC 9113 6.5.2) */
	int			 refuse;	/* a status to answer instead of forwarding */
	bool			 has_length;	/* the request had a content-length */
	bool			 chunked;	/* body without content-length: sent chunked */
	bool			 head_sent;
	bool			 req_done;
	bool			 trailers;	/* trailing HEADERS are being received */
	bool			 ended;		/* the session ended its side of the pair */
	size_t			 unconsumed;	/* DATA bytes not yet acknowledged */
	enum lb_http_method	 mtype;
	/* response */
	struct evbuffer		*body;		/* decoded response body waiting for DATA */
	bool			 rsp_head;	/* HEADERS submitted */
	bool			 rsp_done;	/* the whole body is in body */
	bool			 deferred;	/* the data source waits for more */
	struct lb_http_body	 rspb;		/* the response's framing (http_body.c) */
	LIST_ENTRY(h2_stream)	 link;		/* in h2_conn.streams */
};

struct h2_conn {
	struct lb_session	*s;		/* the client connection's session */
	nghttp2_session		*ng;
	LIST_HEAD(, h2_stream)	 streams;
	unsigned		 nstreams;
	struct event		 flush_ev;	/* h2_later: one flush after the loop's ready events */
	uint64_t		 flood_ms;	/* start of the current one-second window */
	unsigned		 n_settings, n_ping, n_prio, n_empty;
	double			 rst_tokens;
	uint64_t		 rst_ms;
	unsigned		 bad_headers;
	bool			 goaway;	/* no new streams */
	bool			 closing;	/* GOAWAY sent: end once written */
	bool			 in_recv;
	int			 rd_ms;		/* the read timeout in force (-1: none set yet) */
};

static void h2_flush(struct h2_conn *h);
static void h2_later(struct h2_conn *h);
static void h2_close(struct h2_conn *h, enum lb_close_reason why);
static void end_read_cb(struct lb_conn *c, void *arg);
static void end_drain_cb(struct lb_conn *c, void *arg);
static void end_event_cb(struct lb_conn *c, short what, void *arg);

static struct h2_stream *
stream_of(struct h2_conn *h, int32_t id)
{
	return nghttp2_session_get_stream_user_data(h->ng, id);
}

/* GOAWAY code, and the end once it is written: no stream goes on. */
static void
h2_terminate(struct h2_conn *h, uint32_t code)
{
	(void)nghttp2_session_terminate_session(h->ng, code);
	h->goaway = true;
	h->closing = true;
}

/*
 * GOAWAY naming the last stream taken: no new ones, those in flight
 * finish, then the connection ends (h2_flush). Written from the loop: the
 * callers may be walking the worker's session list.
 */
static void
h2_goaway(struct h2_conn *h)
{
	h->goaway = true;
	(void)nghttp2_submit_goaway(h->ng, NGHTTP2_FLAG_NONE,
	    nghttp2_session_get_last_proc_stream_id(h->ng), NGHTTP2_NO_ERROR, NULL, 0);
	lb_conn_want_drain(h->s->cc);
}

/* GOAWAY ENHANCE_YOUR_CALM: the client abuses the protocol (a flood). */
static int
h2_calm(struct h2_conn *h, const char *what)
{
	lb_session_log(h->s, LB_LOG_INFO, "h2: %s: GOAWAY ENHANCE_YOUR_CALM", what);
	h2_terminate(h, NGHTTP2_ENHANCE_YOUR_CALM);
	return 0;
}

/* Count a frame that costs us work and gives nothing; too many in a second is a flood. */
static int
flood(struct h2_conn *h, unsigned *n, const char *what)
{
	uint64_t now = lb_now_ms();

	if (now - h->flood_ms >= 1000) {
		h->flood_ms = now;
		h->n_settings = h->n_ping = h->n_prio = h->n_empty = 0;
	}
	if (++*n > H2_FLOOD_PER_S && !h->closing)
		return h2_calm(h, what);
	return 0;
}

/* Rapid reset (CVE-2023-44487): a bucket of RST_STREAMs, refilled with time. */
static int
count_reset(struct h2_conn *h)
{
	uint64_t now = lb_now_ms();

	h->rst_tokens += (double)(now - h->rst_ms) * H2_RST_RATE / 1000.0;
	if (h->rst_tokens > H2_RST_BURST)
		h->rst_tokens = H2_RST_BURST;
	h->rst_ms = now;
	if (h->rst_tokens < 1.0) {
		if (!h->closing)
			return h2_calm(h, "too many streams reset");
		return 0;
	}
	h->rst_tokens -= 1.0;
	return 0;
}

/* ---- streams ------------------------------------------------------------ */

/* The thread's scratch for a response head's HTTP/2 fields. */
static __thread nghttp2_nv		*nv_buf;
static __thread size_t			 nv_cap;

/*
 * Streams freed are kept per thread with their three buffers: a stream then
 * costs no allocation of ours beyond the session's.
 */
#define H2_STREAM_CACHE		256
static __thread struct h2_stream	*stream_cache[H2_STREAM_CACHE];
static __thread unsigned		 stream_ncache;

/* A stream object and its buffers go back to malloc. */
static void
stream_destroy(struct h2_stream *st)
{
	if (st->head != NULL)
		evbuffer_free(st->head);
	if (st->body != NULL)
		evbuffer_free(st->body);
	if (st->cookie != NULL)
		evbuffer_free(st->cookie);
	free(st);
}

static struct h2_stream *
stream_get(void)
{
	struct h2_stream *st;

	if (stream_ncache > 0)
		return stream_cache[--stream_ncache];
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	if ((st->head = evbuffer_new()) == NULL || (st->body = evbuffer_new()) == NULL ||
	    (st->cookie = evbuffer_new()) == NULL) {
		stream_destroy(st);
		return NULL;
	}
	return st;
}

static void
stream_put(struct h2_stream *st)
{
	struct evbuffer *head = st->head, *body = st->body, *cookie = st->cookie;

	evbuffer_drain(head, evbuffer_get_length(head));
	evbuffer_drain(body, evbuffer_get_length(body));
	evbuffer_drain(cookie, evbuffer_get_length(cookie));
	if (stream_ncache < H2_STREAM_CACHE) {
		memset(st, 0, sizeof(*st));
		st->head = head;
		st->body = body;
		st->cookie = cookie;
		stream_cache[stream_ncache++] = st;
		return;
	}
	stream_destroy(st);
}

void
lb_h2_cache_free(void)
{
	free(nv_buf);
	nv_buf = NULL;
	nv_cap = 0;
	while (stream_ncache > 0)
		stream_destroy(stream_cache[--stream_ncache]);
}

static void
stream_free(struct h2_stream *st)
{
	struct h2_conn *h = st->h;

	LIST_REMOVE(st, link);
	h->nstreams--;
	if (st->ss != NULL) {
		struct lb_session *ss = st->ss;

		/* the session lives no longer than its stream */
		st->ss = NULL;
		ss->h2slot = NULL;
		lb_session_close(ss, st->rsp_done ? LB_CLOSE_DONE : LB_CLOSE_CLIENT_ERR);
	}
	if (st->end != NULL) {
		if (!st->rsp_done)
			lb_conn_abort(st->end);
		lb_conn_free(st->end);
	}
	nghttp2_rcbuf_decref(st->method);
	nghttp2_rcbuf_decref(st->path);
	nghttp2_rcbuf_decref(st->authority);
	nghttp2_rcbuf_decref(st->host);
	stream_put(st);
}

/* Acknowledge the request body the session has taken (its window opens again). */
static void
consume(struct h2_stream *st)
{
	if (st->unconsumed > 0 && (st->end == NULL || lb_conn_output_len(st->end) == 0)) {
		(void)nghttp2_session_consume(st->h->ng, st->id, st->unconsumed);
		st->unconsumed = 0;
	}
}

/* A short answer of our own (431, 501, 400) instead of forwarding. */
static void
answer(struct h2_stream *st, int status)
{
	char code[4];
	nghttp2_nv nv = { (uint8_t *)":status", (uint8_t *)code, 7, 3, NGHTTP2_NV_FLAG_NONE };

	snprintf(code, sizeof(code), "%03d", status);	/* nghttp2 copies it */
	st->rsp_head = st->rsp_done = true;
	(void)nghttp2_submit_response(st->h->ng, st->id, &nv, 1, NULL);
	if (!st->req_done)
		(void)nghttp2_submit_rst_stream(st->h->ng, NGHTTP2_FLAG_NONE, st->id,
		    NGHTTP2_NO_ERROR);
}

static void
stream_reset(struct h2_stream *st, uint32_t code)
{
	(void)nghttp2_submit_rst_stream(st->h->ng, NGHTTP2_FLAG_NONE, st->id, code);
}

static bool
rc_eq(nghttp2_rcbuf *a, nghttp2_rcbuf *b)
{
	nghttp2_vec x = nghttp2_rcbuf_get_buf(a), y = nghttp2_rcbuf_get_buf(b);

	return x.len == y.len && strncasecmp((const char *)x.base, (const char *)y.base, x.len) == 0;
}

/* The request head is complete: hand it to a new HTTP/1.1 session on a pair. */
static void
start_request(struct h2_stream *st, bool end_stream)
{
	struct h2_conn *h = st->h;
	struct lb_session *s = h->s;
	struct lb_conn *pair[2];
	struct evbuffer *out;
	nghttp2_vec m, p, a;

	st->req_done = end_stream;
	if (st->refuse != 0) {
		answer(st, st->refuse);
		return;
	}
	if (st->authority != NULL && st->host != NULL && !rc_eq(st->authority, st->host)) {
		lb_session_log(s, LB_LOG_INFO, "h2: stream %d: :authority and host differ", st->id);
		stream_reset(st, NGHTTP2_PROTOCOL_ERROR);
		return;
	}
	if (st->authority == NULL && st->host != NULL) {
		st->authority = st->host;
		st->host = NULL;
	}
	m = nghttp2_rcbuf_get_buf(st->method);
	if (st->path == NULL || st->authority == NULL ||
	    (m.len == 7 && memcmp(m.base, "CONNECT", 7) == 0)) {
		/* CONNECT (RFC 9113 8.5) is not proxied; a request needs a host */
		answer(st, st->path == NULL ? 501 : 400);
		return;
	}
	if (lb_conn_pair(s->w->base, pair, lb_conn_ssl(s->cc), lb_conn_fd(s->cc)) == -1) {
		stream_reset(st, NGHTTP2_INTERNAL_ERROR);
		return;
	}
	st->end = pair[0];
	lb_conn_set_read_max(pair[0], H2_PAIR_MAX);
	lb_conn_set_read_max(pair[1], H2_PAIR_MAX);
	lb_conn_setcb(st->end, end_read_cb, end_drain_cb, end_event_cb, st);
	st->mtype = m.len == 4 && memcmp(m.base, "HEAD", 4) == 0 ? LB_HTTP_HEAD : LB_HTTP_GET;
	if (lb_session_new_stream(s, pair[1], &st->ss) == NULL) {
		stream_reset(st, NGHTTP2_INTERNAL_ERROR);
		return;
	}
	p = nghttp2_rcbuf_get_buf(st->path);
	a = nghttp2_rcbuf_get_buf(st->authority);
	out = lb_conn_output(st->end);
	evbuffer_add(out, m.base, m.len);
	evbuffer_add(out, " ", 1);
	evbuffer_add(out, p.base, p.len);
	evbuffer_add(out, " HTTP/1.1\r\nhost: ", 17);
	evbuffer_add(out, a.base, a.len);
	evbuffer_add(out, "\r\n", 2);
	if (evbuffer_get_length(st->cookie) > 0) {
		evbuffer_add(out, "cookie: ", 8);
		evbuffer_add_buffer(out, st->cookie);
		evbuffer_add(out, "\r\n", 2);
	}
	st->chunked = !end_stream && !st->has_length;
	if (st->chunked)
		evbuffer_add(st->head, "transfer-encoding: chunked\r\n", 28);
	evbuffer_add(st->head, "\r\n", 2);
	evbuffer_add_buffer(out, st->head);
	st->head_sent = true;
	lb_conn_read_start(st->end);
	lb_conn_flush(st->end);
	atomic_fetch_add_explicit(&s->fe->h2_streams, 1, memory_order_relaxed);
}

/* ---- nghttp2 callbacks: receiving --------------------------------------- */

/*
 * A reload happened since the connection's last stream: new streams take
 * the new configuration, as a new request of an HTTP/1.1 keep-alive client
 * does (lb_session_follow_reload). If the listener went, changed nature
 * or no longer offers h2, GOAWAY: the streams taken finish on the old one.
 */
static void
follow_reload(struct h2_conn *h)
{
	if (h->goaway || (lb_session_follow_reload(h->s) && h->s->sl->conf->h2))
		return;
	lb_session_log(h->s, LB_LOG_INFO, "h2: the listener changed: GOAWAY");
	h2_goaway(h);
}

static int
on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *arg)
{
	struct h2_conn *h = arg;
	struct h2_stream *st;

	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	follow_reload(h);
	if (h->goaway) {
		(void)nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, f->hd.stream_id,
		    NGHTTP2_REFUSED_STREAM);
		return 0;
	}
	if ((st = stream_get()) == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	st->id = f->hd.stream_id;
	st->h = h;
	LIST_INSERT_HEAD(&h->streams, st, link);
	h->nstreams++;
	(void)nghttp2_session_set_stream_user_data(ng, st->id, st);
	return 0;
}

/* A header field as HTTP/1.1 ("name: value"): nghttp2 checked the characters. */
static int
on_header(nghttp2_session *ng, const nghttp2_frame *f, nghttp2_rcbuf *name,
    nghttp2_rcbuf *value, uint8_t flags, void *arg)
{
	struct h2_conn *h = arg;
	struct h2_stream *st = stream_of(h, f->hd.stream_id);
	nghttp2_vec n = nghttp2_rcbuf_get_buf(name), v = nghttp2_rcbuf_get_buf(value);
	nghttp2_rcbuf **keep = NULL;
	(void)ng;
	(void)flags;

	if (st == NULL || f->hd.type != NGHTTP2_HEADERS)
		return 0;
	st->hdr_bytes += n.len + v.len + 32;
	if (st->hdr_bytes > h->s->snap->limits.max_header_bytes) {
		if (st->refuse == 0) {
			st->refuse = 431;
			if (++h->bad_headers > H2_BAD_HEADERS)
				return h2_calm(h, "too many oversized header lists");
		}
		return 0;
	}
	if (st->refuse != 0 || st->head_sent != st->trailers)
		return 0;
	if (st->trailers) {
		/* trailers go after the last chunk; a content-length body cannot carry them */
		if (st->chunked && st->end != NULL) {
			struct evbuffer *out = lb_conn_output(st->end);

			evbuffer_add(out, n.base, n.len);
			evbuffer_add(out, ": ", 2);
			evbuffer_add(out, v.base, v.len);
			evbuffer_add(out, "\r\n", 2);
		}
		return 0;
	}
	if (n.len > 0 && n.base[0] == ':') {
		if (n.len == 7 && memcmp(n.base, ":method", 7) == 0)
			keep = &st->method;
		else if (n.len == 5 && memcmp(n.base, ":path", 5) == 0)
			keep = &st->path;
		else if (n.len == 10 && memcmp(n.base, ":authority", 10) == 0)
			keep = &st->authority;
		if (keep != NULL && *keep == NULL) {
			*keep = value;
			nghttp2_rcbuf_incref(value);
		}
		return 0;
	}
	if (n.len == 4 && memcmp(n.base, "host", 4) == 0) {
		if (st->host == NULL) {
			st->host = value;
			nghttp2_rcbuf_incref(value);
		}
		return 0;
	}
	if (n.len == 2 && memcmp(n.base, "te", 2) == 0)
		return 0;	/* "trailers" (nghttp2 refused the rest): hop-by-hop in 1.1 */
	if (n.len == 14 && memcmp(n.base, "content-length", 14) == 0)
		st->has_length = true;
	if (n.len == 6 && memcmp(n.base, "cookie", 6) == 0) {
		/* RFC 9113 8.2.3: all crumbs become one field, joined by "; " */
		if (evbuffer_get_length(st->cookie) > 0)
			evbuffer_add(st->cookie, "; ", 2);
		evbuffer_add(st->cookie, v.base, v.len);
		return 0;
	}
	evbuffer_add(st->head, n.base, n.len);
	evbuffer_add(st->head, ": ", 2);
	evbuffer_add(st->head, v.base, v.len);
	evbuffer_add(st->head, "\r\n", 2);
	return 0;
}

static int
on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
    size_t len, void *arg)
{
	struct h2_conn *h = arg;
	struct h2_stream *st = stream_of(h, id);
	struct evbuffer *out;
	char sz[24];
	(void)flags;

	if (st == NULL || st->end == NULL || !st->head_sent || st->ended) {
		/* nobody takes it (any more): open the windows again at once */
		(void)nghttp2_session_consume(ng, id, len);
		return 0;
	}
	out = lb_conn_output(st->end);
	if (st->chunked) {
		int n = snprintf(sz, sizeof(sz), "%zx\r\n", len);

		evbuffer_add(out, sz, (size_t)n);
		evbuffer_add(out, data, len);
		evbuffer_add(out, "\r\n", 2);
	} else
		evbuffer_add(out, data, len);
	st->unconsumed += len;
	lb_conn_flush(st->end);
	if (lb_conn_output_len(st->end) > 0)
		lb_conn_want_drain(st->end);
	consume(st);
	return 0;
}

/* The request's last frame: the end of a chunked body (and its trailers). */
static void
request_end(struct h2_stream *st)
{
	if (st->req_done)
		return;
	st->req_done = true;
	if (st->end == NULL || !st->head_sent)
		return;
	if (st->chunked) {
		/* with trailers, on_begin_frame wrote "0\r\n" and on_header the fields */
		if (!st->trailers)
			evbuffer_add(lb_conn_output(st->end), "0\r\n", 3);
		evbuffer_add(lb_conn_output(st->end), "\r\n", 2);
		lb_conn_flush(st->end);
	}
}

static int
on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *arg)
{
	struct h2_conn *h = arg;
	struct h2_stream *st = f->hd.stream_id != 0 ? stream_of(h, f->hd.stream_id) : NULL;
	bool es = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
	(void)ng;

	switch (f->hd.type) {
	case NGHTTP2_HEADERS:
		if (st == NULL)
			break;
		if (f->headers.cat == NGHTTP2_HCAT_REQUEST) {
			start_request(st, es);
			break;
		}
		if (es)
			request_end(st);
		break;
	case NGHTTP2_DATA:
		if (f->hd.length == 0 && !es)
			return flood(h, &h->n_empty, "empty DATA flood");
		if (st != NULL && es)
			request_end(st);
		break;
	case NGHTTP2_SETTINGS:
		if (!(f->hd.flags & NGHTTP2_FLAG_ACK))
			return flood(h, &h->n_settings, "SETTINGS flood");
		break;
	case NGHTTP2_PING:
		if (!(f->hd.flags & NGHTTP2_FLAG_ACK))
			return flood(h, &h->n_ping, "PING flood");
		break;
	case NGHTTP2_PRIORITY:
		return flood(h, &h->n_prio, "PRIORITY flood");
	case NGHTTP2_RST_STREAM:
		return count_reset(h);
	default:
		break;
	}
	return 0;
}

/*
 * Trailing HEADERS begin: a chunked body ends with its last chunk, then the
 * trailer fields (on_header), then request_end's empty line.
 */
static int
on_begin_frame(nghttp2_session *ng, const nghttp2_frame_hd *hd, void *arg)
{
	struct h2_conn *h = arg;
	struct h2_stream *st;
	(void)ng;

	if (hd->type != NGHTTP2_HEADERS || (st = stream_of(h, hd->stream_id)) == NULL ||
	    !st->head_sent || st->trailers)
		return 0;
	st->trailers = true;
	if (st->chunked && st->end != NULL)
		evbuffer_add(lb_conn_output(st->end), "0\r\n", 3);
	return 0;
}

static int
on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *arg)
{
	struct h2_conn *h = arg;
	struct h2_stream *st = stream_of(h, id);
	(void)code;

	if (st == NULL)
		return 0;
	if (st->unconsumed > 0)
		(void)nghttp2_session_consume_connection(ng, st->unconsumed);
	(void)nghttp2_session_set_stream_user_data(ng, id, NULL);
	stream_free(st);
	return 0;
}

/* ---- nghttp2 callbacks: sending ----------------------------------------- */

static ssize_t
send_cb(nghttp2_session *ng, const uint8_t *data, size_t len, int flags, void *arg)
{
	struct h2_conn *h = arg;
	(void)ng;
	(void)flags;

	evbuffer_add(lb_conn_output(h->s->cc), data, len);
	return (ssize_t)len;
}

/* DATA payload leaves by reference: send_data_cb moves the body's chains. */
static ssize_t
data_read_cb(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
    nghttp2_data_source *src, void *arg)
{
	struct h2_stream *st = src->ptr;
	size_t have = evbuffer_get_length(st->body);
	(void)ng;
	(void)id;
	(void)buf;
	(void)arg;

	if (have == 0 && !st->rsp_done) {
		st->deferred = true;
		return NGHTTP2_ERR_DEFERRED;
	}
	if (len > have)
		len = have;
	*flags |= NGHTTP2_DATA_FLAG_NO_COPY;
	if (st->rsp_done && len == have)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)len;
}

static int
send_data_cb(nghttp2_session *ng, nghttp2_frame *f, const uint8_t *framehd, size_t len,
    nghttp2_data_source *src, void *arg)
{
	struct h2_conn *h = arg;
	struct h2_stream *st = src->ptr;
	struct evbuffer *out = lb_conn_output(h->s->cc);
	(void)ng;
	(void)f;

	evbuffer_add(out, framehd, 9);
	(void)evbuffer_remove_buffer(st->body, out, len);
	/* room again: the session may send more of the response */
	if (st->end != NULL && !st->rsp_done && !lb_conn_reading(st->end) &&
	    evbuffer_get_length(st->body) < H2_RSP_HIGH / 2)
		lb_conn_read_start(st->end);
	return 0;
}

/* ---- the response, from the stream's session ---------------------------- */

/*
 * A response field HTTP/2 does not carry: what the parser marked hop-by-hop
 * (Connection and the fields it names, Keep-Alive, Proxy-Connection,
 * Transfer-Encoding, Upgrade, TE; Content-Length, which lbproxy regenerates
 * for HTTP/1.1), and Trailer, since trailers are not forwarded.
 */
static bool
skip_header(const struct lb_http_hdr *hd)
{
	return hd->hop || (hd->name_len == 7 && strncasecmp(hd->name, "trailer", 7) == 0);
}

/* The response head is in the pair's input: as HEADERS, with a data source for the body. */
static int
response_head(struct h2_stream *st, struct evbuffer *in)
{
	struct lb_session *s = st->h->s;
	nghttp2_nv *nva;
	struct evbuffer_ptr end;
	struct lb_http_msg m;
	struct lb_http_err e;
	char status[4];
	size_t len, i, n = 0;
	char *p;
	nghttp2_data_provider dp;

	end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos == -1)
		return evbuffer_get_length(in) > s->snap->limits.max_header_bytes ? -1 : 0;
	len = (size_t)end.pos + 4;
	p = (char *)evbuffer_pullup(in, (ev_ssize_t)len);
	lb_session_hdr_scratch(s, &m);
	/* one HTTP/2 field per HTTP/1.1 field, and :status */
	if (nv_cap < m.hdr_cap + 1) {
		nv_cap = m.hdr_cap + 1;
		nv_buf = lb_xrealloc(nv_buf, nv_cap * sizeof(*nv_buf));
	}
	nva = nv_buf;
	/* the head is the stream session's own, parsed from the member already */
	if (lb_http_parse_response(p, len, &s->snap->limits_trusted, st->mtype, &m, &e) !=
	    LB_HTTP_OK)
		return -1;
	if (m.status >= 100 && m.status < 200) {
		/* interim (100 Continue): the client waits for the final answer anyway */
		evbuffer_drain(in, len);
		return 1;
	}
	snprintf(status, sizeof(status), "%03d", m.status);
	nva[n++] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)status, 7, 3, NGHTTP2_NV_FLAG_NONE };
	for (i = 0; i < m.n_hdrs; i++) {
		struct lb_http_hdr *hd = &m.hdrs[i];
		size_t k;

		if (skip_header(hd))
			continue;
		/* HTTP/2 field names are lower case; the head is ours to change */
		for (k = 0; k < hd->name_len; k++)
			((char *)hd->name)[k] = (char)tolower((unsigned char)hd->name[k]);
		nva[n++] = (nghttp2_nv){ (uint8_t *)hd->name, (uint8_t *)hd->value, hd->name_len,
		    hd->value_len, NGHTTP2_NV_FLAG_NONE };
	}
	lb_http_body_init(&st->rspb, m.body, m.content_length, s->snap->limits.max_header_bytes);
	st->rsp_head = true;
	st->rsp_done = m.body == LB_BODY_NONE || (m.body == LB_BODY_LENGTH && m.content_length == 0);
	dp.source.ptr = st;
	dp.read_callback = data_read_cb;
	/* nghttp2 copies the fields: the head can go */
	if (nghttp2_submit_response(st->h->ng, st->id, nva, n, st->rsp_done ? NULL : &dp) != 0) {
		evbuffer_drain(in, len);
		return -1;
	}
	evbuffer_drain(in, len);
	return 1;
}

/* Response bytes from the session: head, then the body as the framing says. */
static void
end_read_cb(struct lb_conn *c, void *arg)
{
	struct h2_stream *st = arg;
	struct h2_conn *h = st->h;
	struct evbuffer *in = lb_conn_input(c);
	size_t n;
	int r;

	/* interim heads (1xx) are skipped until the final one */
	while (!st->rsp_head) {
		if ((r = response_head(st, in)) == -1) {
			stream_reset(st, NGHTTP2_INTERNAL_ERROR);
			goto out;
		}
		if (r == 0)
			return;
	}
	/* payload moves by chains into the DATA queue; framing is dropped */
	while (!st->rsp_done && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		enum lb_body_result br;
		bool payload;

		(void)evbuffer_peek(in, -1, NULL, &v, 1);
		br = lb_http_body_step(&st->rspb, v.iov_base, v.iov_len, &n, &payload);
		if (br == LB_BODY_ERROR) {
			stream_reset(st, NGHTTP2_INTERNAL_ERROR);
			goto out;
		}
		if (payload)
			(void)evbuffer_remove_buffer(in, st->body, n);
		else
			evbuffer_drain(in, n);
		st->rsp_done = br == LB_BODY_DONE;
	}
	if (st->rsp_done)
		evbuffer_drain(in, evbuffer_get_length(in));
	if (evbuffer_get_length(st->body) >= H2_RSP_HIGH && !st->rsp_done)
		lb_conn_read_stop(c);
	if (st->deferred) {
		st->deferred = false;
		(void)nghttp2_session_resume_data(h->ng, st->id);
	}
out:
	h2_later(h);
}

/* The pair took the request body queued for it: acknowledge what it took. */
static void
end_drain_cb(struct lb_conn *c, void *arg)
{
	struct h2_stream *st = arg;
	(void)c;

	consume(st);
	h2_later(st->h);
}

/* The session ended its side: a close-delimited body ends here, anything else is cut. */
static void
end_event_cb(struct lb_conn *c, short what, void *arg)
{
	struct h2_stream *st = arg;
	struct h2_conn *h = st->h;

	lb_conn_read_stop(c);
	st->ended = true;
	if (st->unconsumed > 0) {
		/* what the session never took: the client may send more */
		(void)nghttp2_session_consume(h->ng, st->id, st->unconsumed);
		st->unconsumed = 0;
	}
	if ((what & LB_CONN_EOF) && st->rsp_head && st->rspb.kind == LB_BODY_CLOSE)
		st->rsp_done = true;
	if (!st->rsp_done) {
		stream_reset(st, (what & LB_CONN_TIMEOUT) ? NGHTTP2_CANCEL : NGHTTP2_INTERNAL_ERROR);
	} else if (st->deferred) {
		st->deferred = false;
		(void)nghttp2_session_resume_data(h->ng, st->id);
	}
	h2_later(h);
}

/* ---- the connection ----------------------------------------------------- */

/*
 * Responses of many streams come in one loop iteration (one epoll_wait's
 * worth of member reads): they leave together, in one TLS record and one
 * write, from an event made active behind those already ready.
 */
static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	h2_flush(arg);
}

static void
h2_later(struct h2_conn *h)
{
	/* made active twice, it still runs once */
	event_active(&h->flush_ev, EV_TIMEOUT, 1);
}

/* Write what nghttp2 has to send, as far as the client takes it; close when done. */
static void
h2_flush(struct h2_conn *h)
{
	struct lb_conn *cc = h->s->cc;
	int timeout;

	if (h->in_recv)
		return;	/* h2_read flushes once nghttp2 has taken the input */
	while (nghttp2_session_want_write(h->ng) && lb_conn_output_len(cc) < H2_OUT_HIGH)
		if (nghttp2_session_send(h->ng) != 0) {
			h2_close(h, LB_CLOSE_PROTO);
			return;
		}
	lb_conn_flush(cc);
	if (lb_conn_output_len(cc) > 0)
		lb_conn_want_drain(cc);
	if (!nghttp2_session_want_read(h->ng) && !nghttp2_session_want_write(h->ng) &&
	    lb_conn_output_len(cc) == 0) {
		h2_close(h, LB_CLOSE_DONE);
		return;
	}
	if (h->goaway && h->nstreams == 0 && !h->closing) {
		h2_terminate(h, NGHTTP2_NO_ERROR);
		h2_flush(h);
		return;
	}
	/*
	 * Idle: the keep-alive time; streams open: they have their own
	 * timeouts. Set on a change only: setting restarts the clocks, and a
	 * client that stopped reading must not be saved by new responses.
	 */
	timeout = h->nstreams == 0 ? h->s->sl->conf->timeouts.http_keep_alive : 0;
	if (timeout != h->rd_ms) {
		h->rd_ms = timeout;
		lb_conn_set_timeouts(cc, timeout, h->s->sl->conf->timeouts.client);
	}
}

static void
h2_read(struct lb_conn *c, void *arg)
{
	struct lb_session *s = arg;
	struct h2_conn *h = s->h2;
	struct evbuffer *in = lb_conn_input(c);
	struct evbuffer_iovec v[8];
	int i, nv;
	ssize_t r;

	while (evbuffer_get_length(in) > 0 && !h->closing) {
		nv = evbuffer_peek(in, -1, NULL, v, 8);
		if (nv > 8)
			nv = 8;
		for (i = 0; i < nv; i++) {
			h->in_recv = true;
			r = nghttp2_session_mem_recv(h->ng, v[i].iov_base, v[i].iov_len);
			h->in_recv = false;
			if (r < 0) {
				lb_session_log(s, LB_LOG_INFO, "h2: %s", nghttp2_strerror((int)r));
				evbuffer_drain(in, evbuffer_get_length(in));
				if (r == NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
					h2_close(h, LB_CLOSE_PROTO);
					return;
				}
				h2_terminate(h, r == NGHTTP2_ERR_FLOODED ||
				    r == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS ?
				    NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
				break;
			}
			evbuffer_drain(in, (size_t)r);
			if (h->closing)
				break;
		}
	}
	if (h->closing)
		evbuffer_drain(in, evbuffer_get_length(in));
	h2_flush(h);
}

static void
h2_drain(struct lb_conn *c, void *arg)
{
	struct lb_session *s = arg;
	(void)c;

	h2_flush(s->h2);
}

static void
h2_event(struct lb_conn *c, short what, void *arg)
{
	struct lb_session *s = arg;
	(void)c;

	if ((what & LB_CONN_TIMEOUT) && (what & LB_CONN_READING) && !s->h2->closing &&
	    s->h2->nstreams == 0) {
		/* idle past the keep-alive time: say so (GOAWAY NO_ERROR), then close */
		h2_terminate(s->h2, NGHTTP2_NO_ERROR);
		h2_flush(s->h2);
		return;
	}
	if (what & LB_CONN_TIMEOUT) {
		h2_close(s->h2, LB_CLOSE_CLIENT_TIMEOUT);
		return;
	}
	h2_close(s->h2, (what & LB_CONN_EOF) ? LB_CLOSE_DONE : LB_CLOSE_CLIENT_ERR);
}

/* The connection ends, its streams and their sessions with it. */
static void
h2_close(struct h2_conn *h, enum lb_close_reason why)
{
	lb_session_close(h->s, why);
}

static void
h2_start(struct lb_session *s)
{
	nghttp2_session_callbacks *cb;
	nghttp2_option *opt;
	struct h2_conn *h;
	nghttp2_settings_entry set[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS },
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)s->snap->limits.max_header_bytes },
	};
	int rv;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		lb_session_close(s, LB_CLOSE_NOMEM);
		return;
	}
	h->s = s;
	h->rst_tokens = H2_RST_BURST;
	h->rst_ms = h->flood_ms = lb_now_ms();
	h->rd_ms = -1;
	(void)evtimer_assign(&h->flush_ev, s->w->base, flush_cb, h);
	s->h2 = h;
	if (nghttp2_session_callbacks_new(&cb) != 0) {
		lb_session_close(s, LB_CLOSE_NOMEM);
		return;
	}
	nghttp2_session_callbacks_set_send_callback(cb, send_cb);
	nghttp2_session_callbacks_set_send_data_callback(cb, send_data_cb);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback2(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_begin_frame_callback(cb, on_begin_frame);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	rv = nghttp2_option_new(&opt);
	if (rv == 0) {
		nghttp2_option_set_no_auto_window_update(opt, 1);
		nghttp2_option_set_max_continuations(opt, H2_MAX_CONTINUATIONS);
		nghttp2_option_set_stream_reset_rate_limit(opt, H2_RST_BURST * 2, H2_RST_RATE * 2);
		rv = nghttp2_session_server_new2(&h->ng, cb, h, opt);
		nghttp2_option_del(opt);
	}
	nghttp2_session_callbacks_del(cb);
	if (rv != 0) {
		h->ng = NULL;
		lb_session_close(s, LB_CLOSE_NOMEM);
		return;
	}
	(void)nghttp2_submit_settings(h->ng, NGHTTP2_FLAG_NONE, set, sizeof(set) / sizeof(set[0]));
	(void)nghttp2_session_set_local_window_size(h->ng, NGHTTP2_FLAG_NONE, 0, H2_CONN_WINDOW);
	atomic_fetch_add_explicit(&s->fe->h2_conns, 1, memory_order_relaxed);
	lb_session_set_state(s, LB_SS_H2);
	lb_conn_setcb(s->cc, h2_read, h2_drain, h2_event, s);
	lb_conn_read_start(s->cc);
	if (lb_conn_input_len(s->cc) > 0)
		h2_read(s->cc, s);
	else
		h2_flush(h);
}

static void
h2_fini(struct lb_session *s)
{
	struct h2_conn *h = s->h2;

	if (h == NULL)
		return;
	s->h2 = NULL;
	/* every stream's session goes first: they borrow the connection's SSL */
	while (!LIST_EMPTY(&h->streams))
		stream_free(LIST_FIRST(&h->streams));
	if (h->ng != NULL)
		nghttp2_session_del(h->ng);
	event_del(&h->flush_ev);
	free(h);
}

void
lb_h2_reloaded(struct lb_session *s)
{
	if (s->h2 != NULL)
		follow_reload(s->h2);
}

void
lb_h2_wind_down(struct lb_session *s)
{
	if (s->h2 != NULL && !s->h2->goaway)
		h2_goaway(s->h2);
}

bool
lb_h2_preface(struct evbuffer *in, bool *more)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	size_t len = evbuffer_get_length(in), n = len < 24 ? len : 24;
	unsigned char *p = evbuffer_pullup(in, (ev_ssize_t)n);

	*more = false;
	if (memcmp(p, preface, n) != 0)
		return false;
	*more = n < 24;
	return n == 24;
}

const struct lb_proxy_ops lb_proxy_h2_ops = {
	.name = "h2",
	.start = h2_start,
	.fini = h2_fini,
};
