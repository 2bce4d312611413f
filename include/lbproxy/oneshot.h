/*
 * oneshot.h: a one-request-per-connection server on the main thread's
 * event_base, shared by the stats socket and the metrics endpoint. Each
 * accepted connection carries one request; the owner queues the whole reply
 * and the connection is closed once it has been written. An accept() failure
 * (EMFILE...) pauses accepting for a second instead of spinning.
 */
#ifndef LB_ONESHOT_H
#define LB_ONESHOT_H

#include <stddef.h>
#include <sys/socket.h>

struct event_base;
struct evbuffer;
struct lb_oneshot;
struct lb_oneshot_conn;

/* What lb_oneshot_conn_close does before close(), so that close() sends no reset. */
#define LB_ONESHOT_DRAIN_RECV	0x01	/* read (and drop) what the client still sends */
#define LB_ONESHOT_SHUT_WR	0x02	/* shutdown(SHUT_WR) first */

/* How one kind of server treats its connections (static, outlives the server). */
struct lb_oneshot_ops {
	const char	*what;			/* log prefix: "stats socket", "metrics" */
	int		 read_timeout_s;	/* to send the request */
	int		 write_timeout_s;	/* for the reply to drain */
	size_t		 read_max;		/* input high watermark: reading pauses there */
	size_t		 max_single_write;	/* 0: libevent's default */
	int		 flags;			/* LB_ONESHOT_* */
	/*
	 * Bytes arrived and no reply yet: answer with lb_oneshot_conn_reply (or
	 * close c), or return and wait for more.
	 */
	void		(*request)(struct lb_oneshot_conn *c, struct evbuffer *in);
	/*
	 * The client shut down its side before any reply. Returns 0 if it took
	 * care of c (replied, or closed it), -1 to have c closed. NULL: close.
	 */
	int		(*eof)(struct lb_oneshot_conn *c, struct evbuffer *in);
};

/*
 * Serve on fd, a bound and listening socket (closed by lb_oneshot_free, left
 * open on failure). name (borrowed, must outlive the server) follows
 * ops->what in log lines. Returns a new server or NULL with errno set.
 */
struct lb_oneshot *lb_oneshot_new(struct event_base *base, int fd,
    const struct lb_oneshot_ops *ops, const char *name);
/*
 * Bind sa (SO_REUSEADDR) and serve on it; see lb_oneshot_new. Returns NULL
 * with errno set by socket/bind/listen (EADDRINUSE...) or ENOMEM.
 */
struct lb_oneshot *lb_oneshot_bind(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, int backlog, const struct lb_oneshot_ops *ops, const char *name);
/* Close every open connection and the listening socket. Accepts NULL. */
void lb_oneshot_free(struct lb_oneshot *srv);

/*
 * Mark c answered: reading stops and the returned output buffer (borrowed)
 * takes the reply. c is closed once that buffer has drained to the socket;
 * a reply left empty must be closed by the caller.
 */
struct evbuffer *lb_oneshot_conn_reply(struct lb_oneshot_conn *c);
/* The connection's socket, for replies that bypass the buffer (sendmsg). */
int lb_oneshot_conn_fd(struct lb_oneshot_conn *c);
/* Attach the owner's pointer (borrowed) to srv; its connections hand it back. */
void lb_oneshot_set_arg(struct lb_oneshot *srv, void *arg);
void *lb_oneshot_conn_arg(const struct lb_oneshot_conn *c);
/* Close c now, whatever is left unsent. */
void lb_oneshot_conn_close(struct lb_oneshot_conn *c);

#endif
