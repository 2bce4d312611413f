/*
 * check_tcp.c: the TCP check (a member is healthy if it accepts a
 * connection) and the non-blocking connect step the HTTP checks build on.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "lbproxy/config.h"
#include "lbproxy/member.h"

#include "lbproxy/proxy_proto.h"
#include "check.h"

struct tcp_check {
	struct lb_check		c;	/* first: the check is freed through it */
	struct lb_check_connect	cc;
};

/* End c with the reason for connect error err. */
static void
connect_failed(struct lb_check *c, int err)
{
	if (err == ECONNREFUSED)
		lb_check_finish(c, false, LB_CHK_L4CON, 0, "connection refused");
	else if (err == ETIMEDOUT)
		lb_check_finish(c, false, LB_CHK_L4TOUT, 0, "connect timeout");
	else
		lb_check_finish(c, false, LB_CHK_L4CON, 0, "connect: %s", strerror(err));
}

/* Write a PROXY header that carries no client: v2 LOCAL, or v1 "UNKNOWN". */
static int
send_local(int fd, int version)
{
	static const char v1[] = "PROXY UNKNOWN\r\n";
	unsigned char v2[16];
	int n;

	if (version == 1)
		return send(fd, v1, sizeof(v1) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(v1) - 1 ? 0 : -1;
	if ((n = lb_proxy_proto_v2_local(v2, sizeof(v2))) < 0)
		return -1;
	return send(fd, v2, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

/* The socket became writable: the connect finished one way or the other. */
static void
connect_cb(evutil_socket_t fd, short what LB_UNUSED, void *arg)
{
	struct lb_check_connect *cc = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		connect_failed(cc->c, err);
		return;
	}
	/* a member behind a PROXY pool reads a header first: ours says LOCAL (a check) */
	if (cc->send_proxy != 0 && send_local(fd, cc->send_proxy) == -1) {
		connect_failed(cc->c, errno);
		return;
	}
	/* hand the descriptor over; the event was one-shot and is done */
	event_free(cc->ev);
	cc->ev = NULL;
	cc->fd = -1;
	cc->connected(cc->c, fd);
}

void
lb_check_connect(struct lb_check *c, struct lb_check_connect *cc,
    const struct sockaddr *sa, socklen_t salen, void (*connected)(struct lb_check *, int))
{
	cc->c = c;
	cc->fd = -1;
	cc->ev = NULL;
	cc->connected = connected;
	lb_check_phase(c, LB_CHK_L4TOUT, "connect timeout");

	if (salen == 0) {
		lb_check_finish(c, false, LB_CHK_SOCKERR, 0, "no member address");
		return;
	}
	cc->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cc->fd == -1) {
		lb_check_finish(c, false, LB_CHK_SOCKERR, 0, "socket: %s", strerror(errno));
		return;
	}
	/*
	 * Even a connect that completes at once is reported through the event,
	 * so nothing runs inside the caller's start function.
	 */
	if (connect(cc->fd, sa, salen) == -1 && errno != EINPROGRESS) {
		connect_failed(c, errno);
		return;
	}
	cc->ev = event_new(c->base, cc->fd, EV_WRITE, connect_cb, cc);
	if (cc->ev == NULL || event_add(cc->ev, NULL) == -1)
		lb_check_finish(c, false, LB_CHK_SOCKERR, 0, "cannot add connect event");
}

void
lb_check_connect_release(struct lb_check_connect *cc)
{
	if (cc->ev != NULL)
		event_free(cc->ev);
	cc->ev = NULL;
	if (cc->fd != -1)
		close(cc->fd);
	cc->fd = -1;
}

/* Release hook of the TCP check. */
static void
tcp_release(struct lb_check *c)
{
	struct tcp_check *tc = (struct tcp_check *)c;

	lb_check_connect_release(&tc->cc);
}

/* Connected: that is all a TCP check asks for. */
static void
tcp_connected(struct lb_check *c, int fd)
{
	close(fd);
	lb_check_finish(c, true, LB_CHK_L4OK, 0, "connected");
}

struct lb_check *
lb_check_tcp_start(struct event_base *base, const struct lb_member *m,
    const struct lb_hm_conf *hm, int timeout_ms, lb_check_done_cb done, void *arg)
{
	struct tcp_check *tc;

	tc = (struct tcp_check *)lb_check_new(sizeof(*tc), base, timeout_ms, tcp_release,
	    done, arg);
	if (tc == NULL)
		return NULL;
	tc->cc.fd = -1;
	tc->cc.send_proxy = hm->send_proxy;
	lb_check_connect(&tc->c, &tc->cc, (const struct sockaddr *)&m->check_addr, m->check_addrlen,
	    tcp_connected);
	return &tc->c;
}
