/*
 * proxy_tcp.c: L4 relay. Full duplex with half-close propagated (a FIN one
 * way keeps the other way open), bounded buffers with backpressure, and
 * inactivity timeouts that count traffic in either direction.
 */
#include "config.h"

#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "lbproxy/config.h"
#include "lbproxy/log.h"
#include "lbproxy/member.h"
#include "lbproxy/proc.h"
#include "session_int.h"

static void relay_read_cb(struct bufferevent *bev, void *arg);
static void relay_write_cb(struct bufferevent *bev, void *arg);
static void relay_event_cb(struct bufferevent *bev, short what, void *arg);

/* Both directions have seen FIN and delivered everything: the session is done. */
static bool
finished(const struct lb_session *s)
{
	return s->c_shut && s->s_shut;
}

/* Send FIN to the side behind dst once everything for it has been written. */
static void
maybe_shutdown(struct lb_session *s, struct bufferevent *dst)
{
	bool to_client = dst == s->cbev;
	bool src_eof = to_client ? s->s_eof : s->c_eof;
	bool *shut = to_client ? &s->c_shut : &s->s_shut;

	if (!src_eof || *shut || evbuffer_get_length(bufferevent_get_output(dst)) > 0)
		return;
	(void)shutdown(bufferevent_getfd(dst), SHUT_WR);
	*shut = true;
}

/* Move what src has read to the other side; pause src if the other side is full. */
static void
relay_read_cb(struct bufferevent *src, void *arg)
{
	struct lb_session *s = arg;
	struct bufferevent *dst = src == s->cbev ? s->sbev : s->cbev;
	struct evbuffer *in = bufferevent_get_input(src);
	size_t n = evbuffer_get_length(in);
	struct lb_member *m = s->member;

	if (src == s->cbev) {
		s->c_rx_ms = lb_now_ms();
		s->bytes_in += n;
		atomic_fetch_add_explicit(&m->c.bin, n, memory_order_relaxed);
		atomic_fetch_add_explicit(&lb_proc.fe.bin, n, memory_order_relaxed);
	} else {
		s->s_rx_ms = lb_now_ms();
		s->bytes_out += n;
		atomic_fetch_add_explicit(&m->c.bout, n, memory_order_relaxed);
		atomic_fetch_add_explicit(&lb_proc.fe.bout, n, memory_order_relaxed);
	}
	evbuffer_add_buffer(bufferevent_get_output(dst), in);
	if (evbuffer_get_length(bufferevent_get_output(dst)) >= LB_BUF_HIGH)
		bufferevent_disable(src, EV_READ);
}

/* dst drained: resume its peer's reading, or forward a pending FIN. */
static void
relay_write_cb(struct bufferevent *dst, void *arg)
{
	struct lb_session *s = arg;
	struct bufferevent *src = dst == s->cbev ? s->sbev : s->cbev;
	bool src_eof = dst == s->cbev ? s->s_eof : s->c_eof;

	if (!src_eof && !(bufferevent_get_enabled(src) & EV_READ))
		bufferevent_enable(src, EV_READ);
	maybe_shutdown(s, dst);
	if (finished(s))
		lb_session_close(s, LB_CLOSE_DONE);
}

static void
relay_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct lb_session *s = arg;
	bool client = bev == s->cbev;
	struct bufferevent *other = client ? s->sbev : s->cbev;
	const struct lb_timeouts *to = &s->snap->conf->timeouts;

	if (what & BEV_EVENT_EOF) {
		/* drain what is left in the kernel buffer before treating EOF */
		relay_read_cb(bev, s);
		if (client)
			s->c_eof = true;
		else
			s->s_eof = true;
		bufferevent_disable(bev, EV_READ);
		maybe_shutdown(s, other);
		if (finished(s))
			lb_session_close(s, LB_CLOSE_DONE);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		uint64_t last = s->c_rx_ms > s->s_rx_ms ? s->c_rx_ms : s->s_rx_ms;
		int limit = client ? to->client : to->server;

		/* idle means no traffic either way: keep waiting if the other side is busy */
		if ((what & BEV_EVENT_READING) && lb_now_ms() - last < (uint64_t)limit) {
			bufferevent_enable(bev, EV_READ);
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
	const struct lb_timeouts *to = &s->snap->conf->timeouts;

	lb_session_set_state(s, LB_SS_RELAY);
	s->c_rx_ms = s->s_rx_ms = lb_now_ms();
	bufferevent_setcb(s->cbev, relay_read_cb, relay_write_cb, relay_event_cb, s);
	bufferevent_setcb(s->sbev, relay_read_cb, relay_write_cb, relay_event_cb, s);
	lb_bev_timeouts(s->cbev, to->client, to->client);
	lb_bev_timeouts(s->sbev, to->server, to->server);
	bufferevent_enable(s->cbev, EV_READ | EV_WRITE);
	bufferevent_enable(s->sbev, EV_READ | EV_WRITE);
	/* bytes that arrived before the relay started (ClientHello, data after a 101) */
	if (evbuffer_get_length(bufferevent_get_input(s->cbev)) > 0)
		relay_read_cb(s->cbev, s);
	if (evbuffer_get_length(bufferevent_get_input(s->sbev)) > 0)
		relay_read_cb(s->sbev, s);
}

static void
tcp_connected(struct lb_session *s, struct bufferevent *sbev)
{
	if (sbev == NULL) {
		atomic_fetch_add_explicit(&lb_proc.be.econ, 1, memory_order_relaxed);
		lb_session_log(s, LB_LOG_NOTICE, "no member available, closing");
		lb_session_close(s, LB_CLOSE_NO_MEMBER);
		return;
	}
	s->sbev = sbev;
	lb_proxy_tunnel(s);
}

static void
tcp_start(struct lb_session *s)
{
	/* nothing is read from the client until a member is connected */
	bufferevent_disable(s->cbev, EV_READ);
	lb_session_connect(s, tcp_connected);
}

const struct lb_proxy_ops lb_proxy_tcp_ops = {
	.name = "tcp",
	.start = tcp_start,
	.fini = NULL,
};
