/*
 * proxy_tcp.c: L4 relay. Full duplex with half-close propagated (a FIN one
 * way keeps the other way open), bounded buffers with backpressure, and
 * inactivity timeouts that count traffic in either direction. Bulk data
 * between two plain sockets is spliced (conn.c), not copied through here.
 */
#include "config.h"

#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "lbproxy/config.h"
#include "lbproxy/conn.h"
#include "lbproxy/frontend.h"
#include "lbproxy/log.h"
#include "lbproxy/member.h"
#include "lbproxy/persist.h"
#include "session_int.h"

static void relay_read_cb(struct lb_conn *src, void *arg);
static void relay_drain_cb(struct lb_conn *dst, void *arg);
static void relay_event_cb(struct lb_conn *c, short what, void *arg);

/* Both directions have seen FIN and delivered everything: the session is done. */
static bool
finished(const struct lb_session *s)
{
	return s->c_shut && s->s_shut;
}

/* Send FIN to the side behind dst once everything for it has been written. */
static void
maybe_shutdown(struct lb_session *s, struct lb_conn *dst)
{
	bool to_client = dst == s->cc;
	bool src_eof = to_client ? s->s_eof : s->c_eof;
	bool *shut = to_client ? &s->c_shut : &s->s_shut;

	if (!src_eof || *shut)
		return;
	if (lb_conn_output_len(dst) > 0) {
		lb_conn_want_drain(dst);
		return;
	}
	lb_conn_shutdown(dst);
	*shut = true;
}

/* Move what src has read to the other side; pause src if the other side is full. */
static void
relay_read_cb(struct lb_conn *src, void *arg)
{
	struct lb_session *s = arg;
	struct lb_conn *dst = src == s->cc ? s->sc : s->cc;
	size_t copied = lb_conn_input_len(src);
	size_t n = copied + lb_conn_take_spliced(src);
	struct lb_member *m = s->member;

	if (src == s->cc) {
		s->c_rx_ms = lb_now_ms();
		s->bytes_in += n;
		atomic_fetch_add_explicit(&m->c.bin, n, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->fe->c.bin, n, memory_order_relaxed);
	} else {
		s->s_rx_ms = lb_now_ms();
		s->bytes_out += n;
		atomic_fetch_add_explicit(&m->c.bout, n, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->fe->c.bout, n, memory_order_relaxed);
	}
	if (copied > 0)
		evbuffer_add_buffer(lb_conn_output(dst), lb_conn_input(src));
	lb_conn_flush(dst);
	if (lb_conn_output_len(dst) >= LB_BUF_HIGH || lb_conn_output_piped(dst)) {
		lb_conn_read_stop(src);
		lb_conn_want_drain(dst);
	}
}

/* dst drained: resume its peer's reading, or forward a pending FIN. */
static void
relay_drain_cb(struct lb_conn *dst, void *arg)
{
	struct lb_session *s = arg;
	struct lb_conn *src = dst == s->cc ? s->sc : s->cc;
	bool src_eof = dst == s->cc ? s->s_eof : s->c_eof;

	if (!src_eof && !lb_conn_reading(src))
		lb_conn_read_start(src);
	maybe_shutdown(s, dst);
	if (finished(s))
		lb_session_close(s, LB_CLOSE_DONE);
}

static void
relay_event_cb(struct lb_conn *c, short what, void *arg)
{
	struct lb_session *s = arg;
	bool client = c == s->cc;
	struct lb_conn *other = client ? s->sc : s->cc;
	const struct lb_timeouts *to = &s->sl->conf->timeouts;

	if (what & LB_CONN_EOF) {
		if (client)
			s->c_eof = true;
		else
			s->s_eof = true;
		lb_conn_read_stop(c);
		maybe_shutdown(s, other);
		if (finished(s))
			lb_session_close(s, LB_CLOSE_DONE);
		return;
	}
	if (what & LB_CONN_TIMEOUT) {
		uint64_t last = s->c_rx_ms > s->s_rx_ms ? s->c_rx_ms : s->s_rx_ms;
		int limit = client ? to->client : to->server;

		/* idle means no traffic either way: keep waiting if the other side is busy */
		if ((what & LB_CONN_READING) && lb_now_ms() - last < (uint64_t)limit) {
			lb_conn_set_timeouts(c, limit, limit);
			return;
		}
		lb_session_close(s, client ? LB_CLOSE_CLIENT_TIMEOUT : LB_CLOSE_SERVER_TIMEOUT);
		return;
	}
	if (!client)
		atomic_fetch_add_explicit(&s->member->c.eresp, 1, memory_order_relaxed);
	lb_session_close(s, client ? LB_CLOSE_CLIENT_ERR : LB_CLOSE_SERVER_ERR);
}

void
lb_proxy_tunnel(struct lb_session *s)
{
	const struct lb_timeouts *to = &s->sl->conf->timeouts;

	lb_session_set_state(s, LB_SS_RELAY);
	s->c_rx_ms = s->s_rx_ms = lb_now_ms();
	lb_conn_setcb(s->cc, relay_read_cb, relay_drain_cb, relay_event_cb, s);
	lb_conn_setcb(s->sc, relay_read_cb, relay_drain_cb, relay_event_cb, s);
	lb_conn_set_timeouts(s->cc, to->client, to->client);
	lb_conn_set_timeouts(s->sc, to->server, to->server);
	if (s->snap->conf->splice) {
		lb_conn_splice_to(s->cc, s->sc);
		lb_conn_splice_to(s->sc, s->cc);
	}
	/* bytes that arrived before the relay started (ClientHello, data after a 101) */
	if (lb_conn_input_len(s->cc) > 0)
		relay_read_cb(s->cc, s);
	if (lb_conn_input_len(s->sc) > 0)
		relay_read_cb(s->sc, s);
	lb_conn_read_start(s->cc);
	lb_conn_read_start(s->sc);
}

static void
tcp_connected(struct lb_session *s, struct lb_conn *sc)
{
	if (sc == NULL) {
		if (s->pool != NULL)
			atomic_fetch_add_explicit(&s->pool->be->c.econ, 1, memory_order_relaxed);
		lb_session_log(s, LB_LOG_NOTICE, "no member available, closing");
		lb_session_close(s, LB_CLOSE_NO_MEMBER);
		return;
	}
	s->sc = sc;
	lb_session_send_proxy(s, sc);
	lb_proxy_tunnel(s);
}

static void
tcp_start(struct lb_session *s)
{
	/* nothing is read from the client until a member is connected */
	lb_conn_read_stop(s->cc);
	if (s->pool != NULL && s->pool->conf->persist.type == LB_PERSIST_SOURCE_IP)
		s->prefer = lb_src_lookup(s->pool, s->client_hash);
	lb_session_connect(s, tcp_connected);
}

const struct lb_proxy_ops lb_proxy_tcp_ops = {
	.name = "tcp",
	.start = tcp_start,
	.fini = NULL,
};
