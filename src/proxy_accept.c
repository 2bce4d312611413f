/*
 * proxy_accept.c: a PROXY protocol v1 or v2 header from a trusted upstream
 * (lbproxy.accept_proxy, SPEC 11), read before anything else on the client
 * connection, TLS included. Only the header's bytes are consumed (peeked,
 * then read to its exact length), so what follows is the client's own,
 * untouched. A malformed or truncated header, or none before the TLS
 * handshake timeout, closes the connection, logged and counted; nothing is
 * forwarded. Sources outside accept_proxy are never asked for one: their
 * bytes are their own (an HTTP listener refuses "PROXY ..." as a bad request).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "lbproxy/config.h"
#include "lbproxy/frontend.h"
#include "lbproxy/log.h"
#include "lbproxy/proxy_proto.h"
#include "session_int.h"

/* How often a partial header is looked at again (peeking leaves the socket readable). */
#define PP_POLL_MS	10

static void pp_cb(evutil_socket_t fd, short what, void *arg);

/* Refuse the connection: nothing of it reaches a member. */
static void
pp_refuse(struct lb_session *s, const char *why)
{
	lb_session_log(s, LB_LOG_NOTICE, "PROXY header refused: %s", why);
	atomic_fetch_add_explicit(&s->fe->c.dcon, 1, memory_order_relaxed);
	lb_session_close(s, LB_CLOSE_PROTO);
}

/*
 * Look again when bytes arrive, or in PP_POLL_MS for a partial header;
 * within the deadline. A partial header is still in the socket (peeked), so
 * the descriptor stays readable: waiting for EV_READ would call back at
 * once, forever. From the first partial read on, the event is a timer.
 */
static void
pp_wait(struct lb_session *s, bool poll)
{
	uint64_t now = lb_now_ms(), end = s->t_accept_ms +
	    (uint64_t)s->sl->conf->timeouts.tls_handshake;
	uint64_t ms = end > now ? end - now : 0;
	struct timeval tv;

	if (ms == 0) {
		pp_refuse(s, poll ? "truncated header" : "no header in time");
		return;
	}
	if (poll && ms > PP_POLL_MS)
		ms = PP_POLL_MS;
	if (poll && event_get_fd(s->pp_ev) != -1)
		event_assign(s->pp_ev, s->w->base, -1, 0, pp_cb, s);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (event_add(s->pp_ev, &tv) == -1)
		lb_session_close(s, LB_CLOSE_NOMEM);
}

static void
pp_cb(evutil_socket_t evfd, short what, void *arg)
{
	struct lb_session *s = arg;
	int fd = s->pp_fd;
	unsigned char buf[LB_PP_HEADER_MAX];
	struct lb_pp_info info;
	size_t consumed = 0;
	ssize_t n;

	(void)evfd;	/* -1 once the event is a timer */
	(void)what;
	n = recv(fd, buf, sizeof(buf), MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
		pp_wait(s, s->pp_partial);
		return;
	}
	if (n <= 0) {
		pp_refuse(s, n == 0 ? "connection closed before the header" : strerror(errno));
		return;
	}
	switch (lb_proxy_proto_parse(buf, (size_t)n, &info, &consumed)) {
	case LB_PP_PARTIAL:
		if ((size_t)n >= sizeof(buf)) {
			pp_refuse(s, "header too long");
			return;
		}
		s->pp_partial = true;
		pp_wait(s, true);
		return;
	case LB_PP_INVALID:
		pp_refuse(s, info.reason != NULL ? info.reason : "malformed header");
		return;
	case LB_PP_OK:
		break;
	}
	/* the header's bytes only: what follows stays for TLS or the protocol */
	if (recv(fd, buf, consumed, 0) != (ssize_t)consumed) {
		pp_refuse(s, "cannot read the header");
		return;
	}
	if (!info.local && (info.src.ss_family == AF_INET || info.src.ss_family == AF_INET6))
		lb_session_set_peer(s, (struct sockaddr *)&info.src,
		    info.src.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6));
	event_free(s->pp_ev);
	s->pp_ev = NULL;
	lb_session_begin(s, fd);
}

void
lb_proxy_accept(struct lb_session *s, int fd)
{
	s->pp_ev = event_new(s->w->base, fd, EV_READ, pp_cb, s);
	if (s->pp_ev == NULL) {
		close(fd);
		lb_session_close(s, LB_CLOSE_NOMEM);
		return;
	}
	s->pp_fd = fd;
	pp_wait(s, false);
}
