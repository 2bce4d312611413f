/*
 * oneshot.c: the one-request-per-connection server behind the stats socket
 * and the metrics endpoint. This file owns the listener, the accept backoff
 * and the connections' lifetime; the owner's ops parse the request and write
 * the reply.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "lbproxy/log.h"
#include "lbproxy/oneshot.h"

#define ONESHOT_PAUSE_S		1	/* accept paused this long after a failure */
#define ONESHOT_DRAIN_READS	16	/* LB_ONESHOT_DRAIN_RECV: at most this many recv() */

struct lb_oneshot {
	struct event_base		*base;
	const struct lb_oneshot_ops	*ops;
	const char			*name;
	void				*arg;		/* the owner's, lb_oneshot_set_arg */
	struct evconnlistener		*lev;
	struct event			*resume;	/* re-enables accept after EMFILE */
	struct lb_oneshot_conn		*conns;		/* open connections, freed with srv */
};

struct lb_oneshot_conn {
	struct lb_oneshot	*srv;
	struct bufferevent	*bev;
	int			 replied;
	struct lb_oneshot_conn	*prev;
	struct lb_oneshot_conn	*next;
};

/* Read and drop what the client sent beyond its request, without blocking. */
static void
drain_recv(int fd)
{
	char junk[4096];
	int i;

	for (i = 0; fd != -1 && i < ONESHOT_DRAIN_READS; i++)
		if (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) <= 0)
			break;
}

void
lb_oneshot_conn_close(struct lb_oneshot_conn *c)
{
	struct lb_oneshot *srv = c->srv;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	int fd = bufferevent_getfd(c->bev);

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	/* unread request bytes would make close() send a reset and lose the reply */
	evbuffer_drain(in, evbuffer_get_length(in));
	if (srv->ops->flags & LB_ONESHOT_DRAIN_RECV)
		drain_recv(fd);
	if ((srv->ops->flags & LB_ONESHOT_SHUT_WR) && fd != -1)
		(void)shutdown(fd, SHUT_WR);
	bufferevent_free(c->bev);
	free(c);
}

struct evbuffer *
lb_oneshot_conn_reply(struct lb_oneshot_conn *c)
{
	c->replied = 1;
	bufferevent_disable(c->bev, EV_READ);
	return bufferevent_get_output(c->bev);
}

int
lb_oneshot_conn_fd(struct lb_oneshot_conn *c)
{
	return bufferevent_getfd(c->bev);
}

void
lb_oneshot_set_arg(struct lb_oneshot *srv, void *arg)
{
	srv->arg = arg;
}

void *
lb_oneshot_conn_arg(const struct lb_oneshot_conn *c)
{
	return c->srv->arg;
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct lb_oneshot_conn *c = arg;

	if (c->replied)
		return;
	c->srv->ops->request(c, bufferevent_get_input(bev));
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct lb_oneshot_conn *c = arg;

	if (c->replied && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		lb_oneshot_conn_close(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct lb_oneshot_conn *c = arg;
	const struct lb_oneshot_ops *ops = c->srv->ops;

	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING)) {
		/* a client may half-close after its request; keep writing the reply */
		if (c->replied)
			return;
		if (ops->eof != NULL && ops->eof(c, bufferevent_get_input(bev)) == 0)
			return;
	}
	lb_oneshot_conn_close(c);
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct lb_oneshot *srv = arg;
	const struct lb_oneshot_ops *ops = srv->ops;
	struct timeval rt = { ops->read_timeout_s, 0 }, wt = { ops->write_timeout_s, 0 };
	struct lb_oneshot_conn *c;

	(void)lev;
	(void)sa;
	(void)salen;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->srv = srv;
	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	c->next = srv->conns;
	if (c->next != NULL)
		c->next->prev = c;
	srv->conns = c;
	if (ops->max_single_write != 0)
		bufferevent_set_max_single_write(c->bev, ops->max_single_write);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_set_timeouts(c->bev, &rt, &wt);
	bufferevent_setwatermark(c->bev, EV_READ, 0, ops->read_max);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lb_oneshot *srv = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(srv->lev);
}

/* accept() failed (EMFILE...): pause a second instead of spinning. */
static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct lb_oneshot *srv = arg;
	struct timeval tv = { ONESHOT_PAUSE_S, 0 };

	lb_warn("%s %s: accept: %s", srv->ops->what, srv->name, strerror(errno));
	evconnlistener_disable(lev);
	evtimer_add(srv->resume, &tv);
}

/* A server without its listener yet; NULL with errno on allocation failure. */
static struct lb_oneshot *
server_alloc(struct event_base *base, const struct lb_oneshot_ops *ops, const char *name)
{
	struct lb_oneshot *srv;

	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return NULL;
	srv->base = base;
	srv->ops = ops;
	srv->name = name;
	srv->resume = evtimer_new(base, resume_cb, srv);
	if (srv->resume == NULL) {
		free(srv);
		errno = ENOMEM;
		return NULL;
	}
	return srv;
}

/* Finish srv once its listener was made, or free it (errno kept) if that failed. */
static struct lb_oneshot *
server_start(struct lb_oneshot *srv)
{
	int saved;

	if (srv->lev == NULL) {
		saved = errno;
		event_free(srv->resume);
		free(srv);
		errno = saved;
		return NULL;
	}
	evconnlistener_set_error_cb(srv->lev, accept_error_cb);
	return srv;
}

struct lb_oneshot *
lb_oneshot_new(struct event_base *base, int fd, const struct lb_oneshot_ops *ops,
    const char *name)
{
	struct lb_oneshot *srv;

	srv = server_alloc(base, ops, name);
	if (srv == NULL)
		return NULL;
	srv->lev = evconnlistener_new(base, accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	return server_start(srv);
}

struct lb_oneshot *
lb_oneshot_bind(struct event_base *base, const struct sockaddr *sa, socklen_t salen,
    int backlog, const struct lb_oneshot_ops *ops, const char *name)
{
	struct lb_oneshot *srv;

	srv = server_alloc(base, ops, name);
	if (srv == NULL)
		return NULL;
	srv->lev = evconnlistener_new_bind(base, accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, backlog,
	    sa, (int)salen);
	return server_start(srv);
}

void
lb_oneshot_free(struct lb_oneshot *srv)
{
	if (srv == NULL)
		return;
	while (srv->conns != NULL)
		lb_oneshot_conn_close(srv->conns);
	evconnlistener_free(srv->lev);
	event_free(srv->resume);
	free(srv);
}
