/*
 * conn.c: non-blocking stream connections for the data plane (see conn.h for
 * why this is not a bufferevent). Each descriptor is registered once with
 * EV_READ|EV_WRITE|EV_CLOSED|EV_ET; `can_read` and `can_write` remember what the last
 * edge said until a short read/write or EAGAIN proves otherwise. Work the
 * owner asks for from its own code (resume reading, report a drain, report
 * a deferred error) is "kicked" through the connection's timer event made
 * active, so callbacks never run re-entrantly inside the owner's calls.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <openssl/err.h>

#include "lbproxy/conn.h"
#include "lbproxy/tls_client.h"
#include "lbproxy/util.h"

#define READ_MIN		4096	/* first read size: small requests, small chunks */
#define READ_MAX		65536	/* read size after full reads (bulk transfers) */
#define READ_ROUNDS		4	/* read bursts per wake-up before yielding */
#define TLS_RECORD		16384	/* plaintext per SSL_write: one full record */
#define DEFAULT_READ_MAX	(64 * 1024)
#define SPLICE_MAX		(1024 * 1024)	/* asked per splice(); the pipe takes what fits */
#define PIPE_CACHE		16	/* empty pipes a thread keeps */
#define PIPE_SIZE		(256 * 1024)	/* pipe capacity asked for */

struct lb_conn {
	int			 fd;
	int			 busy;		/* callbacks on the stack */
	SSL			*ssl;
	struct event		 ev;		/* EV_READ|EV_WRITE|EV_ET|EV_PERSIST */
	struct event		 timer;		/* timeouts, and kicks (made active with EV_READ) */
	struct evbuffer		*in;
	struct evbuffer		*out;
	lb_conn_read_cb		 rcb;
	lb_conn_drain_cb	 dcb;
	lb_conn_event_cb	 ecb;
	void			*arg;
	size_t			 read_max;
	int			 read_ms;
	int			 write_ms;
	uint64_t		 last_rd;	/* coarse ms of the last read progress */
	uint64_t		 last_wr;	/* ... write progress */
	uint64_t		 timer_due;	/* when the pending timer fires */
	uint64_t		 deadline;	/* the owner's absolute deadline (0: none) */
	struct lb_conn		*splice_dst;	/* where our input may be spliced to */
	int			 pipe[2];	/* output waiting in a kernel pipe (-1: none) */
	size_t			 pipe_len;	/* bytes in it */
	size_t			 spliced;	/* input spliced away, not yet told to the owner */
	size_t			 rsize;		/* next read size: grows on full reads */
	struct lb_tls_sess_cache *sessions;	/* TLS client: where the member's session goes */
	uint64_t		 uid;		/* ... under this member key */
	struct lb_tls_error	 tls_err;	/* why the handshake failed */
	int			 pending_err;	/* errno to report from the loop */
	int			 info_fd;	/* pair: borrowed, what lb_conn_sockname asks */
	short			 pending_what;	/* LB_CONN_* to report from the loop */
	unsigned		 reading:1;
	unsigned		 can_read:1;
	unsigned		 can_write:1;
	unsigned		 connecting:1;
	unsigned		 handshaking:1;
	unsigned		 want_drain:1;
	unsigned		 shut:1;
	unsigned		 dead:1;
	unsigned		 kicked:1;
	unsigned		 sync:1;	/* inside an owner's call: defer reports */
	unsigned		 rdhup:1;	/* the peer's FIN is queued behind the data */
	unsigned		 splicing:1;	/* bulk seen: input goes through splice_dst's pipe */
	unsigned		 sess_pending:1; /* save the member's session after the first read */
	unsigned		 tls_drained:1;	/* TLS: the socket's last read came back short */
	unsigned		 mem:1;		/* one end of an in-memory pair: no descriptor */
	unsigned		 aborted:1;	/* lb_conn_abort: the peer sees an error, not EOF */
	unsigned		 peer_eof:1;	/* pair: the peer shut or closed after its data */
	unsigned		 peer_err:1;	/* pair: the peer aborted */
	unsigned		 eof_sent:1;	/* pair: our shutdown was passed on */
	struct lb_conn		*peer;		/* pair: the other end, NULL once it is gone */
	SSL			*info_ssl;	/* pair: borrowed, what lb_conn_ssl reports */
};

static void process(struct lb_conn *c);

/*
 * Buffers come from the thread's cache of empty evbuffers when data arrives
 * (input) or the owner asks for the output, and go back once empty when the
 * connection's event handling ends: an idle keep-alive connection holds no
 * buffer, and no request allocates one.
 */
#define BUF_CACHE		256
static __thread struct evbuffer	*buf_cache[BUF_CACHE];
static __thread unsigned	 buf_ncache;
/* freed pair ends (see pair_put) */
#define PAIR_CACHE		256
static __thread struct lb_conn	*pair_cache[PAIR_CACHE];
static __thread unsigned	 pair_ncache;

struct evbuffer *
lb_conn_buf_get(void)
{
	struct evbuffer *b = buf_ncache > 0 ? buf_cache[--buf_ncache] : evbuffer_new();

	if (b == NULL)
		abort();	/* 150 bytes: out of memory like lb_xmalloc */
	return b;
}

void
lb_conn_buf_put(struct evbuffer **bp)
{
	struct evbuffer *b = *bp;

	if (b == NULL)
		return;
	*bp = NULL;
	if (evbuffer_get_length(b) == 0 && buf_ncache < BUF_CACHE)
		buf_cache[buf_ncache++] = b;
	else
		evbuffer_free(b);
}

static void pipe_put(struct lb_conn *c);

/* Give empty buffers (and an empty pipe) back: only when no owner may hold them. */
static void
buf_release(struct lb_conn *c)
{
	/* a pair's input carries the callback that tells the writer about room */
	if (!c->mem && c->in != NULL && evbuffer_get_length(c->in) == 0)
		lb_conn_buf_put(&c->in);
	if (c->out != NULL && evbuffer_get_length(c->out) == 0)
		lb_conn_buf_put(&c->out);
	if (c->pipe[0] != -1 && c->pipe_len == 0)
		pipe_put(c);
}

static size_t
in_len(const struct lb_conn *c)
{
	return c->in != NULL ? evbuffer_get_length(c->in) : 0;
}

/* Output in the evbuffer (written before what is in the pipe). */
static size_t
evb_out_len(const struct lb_conn *c)
{
	return c->out != NULL ? evbuffer_get_length(c->out) : 0;
}

static size_t
out_len(const struct lb_conn *c)
{
	return evb_out_len(c) + c->pipe_len;
}

/*
 * Pipes for splice(), as buffers: taken when bulk data must move, given back
 * once empty, a few kept per thread, at most max_pipes in use process-wide
 * (beyond that, bytes are copied as usual).
 */
static __thread int		 pipe_cache[PIPE_CACHE][2];
static __thread unsigned	 pipe_ncache;
static _Atomic unsigned		 pipes_used, pipes_free, max_pipes;
static _Atomic uint64_t		 spliced_total;

static int
pipe_get(struct lb_conn *c)
{
	unsigned used = atomic_load_explicit(&pipes_used, memory_order_relaxed);

	if (pipe_ncache > 0) {
		pipe_ncache--;
		c->pipe[0] = pipe_cache[pipe_ncache][0];
		c->pipe[1] = pipe_cache[pipe_ncache][1];
		atomic_fetch_sub_explicit(&pipes_free, 1, memory_order_relaxed);
	} else if (used >= atomic_load_explicit(&max_pipes, memory_order_relaxed) ||
	    pipe2(c->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		c->pipe[0] = c->pipe[1] = -1;
		return -1;
	} else {
		/* fewer, larger moves; pages are only used while data is in it */
		(void)fcntl(c->pipe[0], F_SETPIPE_SZ, PIPE_SIZE);
	}
	atomic_fetch_add_explicit(&pipes_used, 1, memory_order_relaxed);
	return 0;
}

static void
pipe_put(struct lb_conn *c)
{
	if (c->pipe[0] == -1)
		return;
	if (c->pipe_len == 0 && pipe_ncache < PIPE_CACHE) {
		pipe_cache[pipe_ncache][0] = c->pipe[0];
		pipe_cache[pipe_ncache][1] = c->pipe[1];
		pipe_ncache++;
		atomic_fetch_add_explicit(&pipes_free, 1, memory_order_relaxed);
	} else {
		/* bytes left in it are lost with the connection */
		close(c->pipe[0]);
		close(c->pipe[1]);
	}
	c->pipe[0] = c->pipe[1] = -1;
	c->pipe_len = 0;
	atomic_fetch_sub_explicit(&pipes_used, 1, memory_order_relaxed);
}

void
lb_conn_cache_free(void)
{
	while (pair_ncache > 0) {
		struct lb_conn *c = pair_cache[--pair_ncache];

		evbuffer_free(c->in);
		free(c);
	}
	while (buf_ncache > 0)
		evbuffer_free(buf_cache[--buf_ncache]);
	while (pipe_ncache > 0) {
		pipe_ncache--;
		close(pipe_cache[pipe_ncache][0]);
		close(pipe_cache[pipe_ncache][1]);
		atomic_fetch_sub_explicit(&pipes_free, 1, memory_order_relaxed);
	}
}

void
lb_conn_set_max_pipes(unsigned n)
{
	atomic_store(&max_pipes, n);
}

void
lb_conn_splice_stats(struct lb_conn_splice_stats *st)
{
	st->max_pipes = atomic_load(&max_pipes);
	st->pipes_used = atomic_load(&pipes_used);
	st->pipes_free = atomic_load(&pipes_free);
	st->bytes = atomic_load(&spliced_total);
}

/* Cheap monotonic milliseconds (vDSO, a few ms resolution): enough for timeouts. */
static uint64_t
now_coarse(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Run process() from the event loop soon (no syscall: the timer event is made active). */
static void
kick(struct lb_conn *c)
{
	if (!c->kicked) {
		c->kicked = 1;
		event_active(&c->timer, EV_READ, 1);
	}
}

static bool
write_pending(const struct lb_conn *c)
{
	return c->connecting || c->handshaking || out_len(c) > 0;
}

/*
 * Make sure the timer fires no later than the earliest deadline that applies
 * now. Lazy: a pending timer that fires earlier is left alone (it re-checks
 * and sleeps again), so activity costs no timer-heap operation.
 */
static void
arm_timer(struct lb_conn *c)
{
	uint64_t due = UINT64_MAX, d, now;
	struct timeval tv;

	if (c->reading && c->read_ms > 0)
		due = c->last_rd + (uint64_t)c->read_ms;
	if (write_pending(c) && c->write_ms > 0 && (d = c->last_wr + (uint64_t)c->write_ms) < due)
		due = d;
	if (c->deadline != 0 && c->deadline < due)
		due = c->deadline;
	if (due == UINT64_MAX)
		return;
	if (evtimer_pending(&c->timer, NULL) && c->timer_due <= due)
		return;
	now = now_coarse();
	d = due > now ? due - now : 0;
	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)((d % 1000) * 1000);
	evtimer_add(&c->timer, &tv);
	c->timer_due = due;
}

/* Report what to the owner; returns false if the connection died meanwhile. */
static bool
report(struct lb_conn *c, short what)
{
	if (c->sync) {
		c->pending_what = what;
		kick(c);
		return false;
	}
	if (c->dead || c->ecb == NULL)
		return !c->dead;
	c->ecb(c, what, c->arg);
	return !c->dead;
}

/* A deadline passed, or the timer ran early for a timeout that was reset by activity. */
static void
check_timeouts(struct lb_conn *c)
{
	uint64_t now = now_coarse(), next = UINT64_MAX, d;
	struct timeval tv;

	if (c->deadline != 0) {
		if (now >= c->deadline) {
			c->deadline = 0;
			report(c, LB_CONN_TIMEOUT | LB_CONN_DEADLINE);
			return;
		}
		next = c->deadline;
	}
	if (write_pending(c) && c->write_ms > 0) {
		d = c->last_wr + (uint64_t)c->write_ms;
		if (now >= d) {
			report(c, LB_CONN_TIMEOUT | LB_CONN_WRITING);
			return;
		}
		if (d < next)
			next = d;
	}
	if (c->reading && c->read_ms > 0) {
		d = c->last_rd + (uint64_t)c->read_ms;
		if (now >= d) {
			report(c, LB_CONN_TIMEOUT | LB_CONN_READING);
			return;
		}
		if (d < next)
			next = d;
	}
	if (next != UINT64_MAX) {
		d = next - now;
		tv.tv_sec = (time_t)(d / 1000);
		tv.tv_usec = (suseconds_t)((d % 1000) * 1000);
		evtimer_add(&c->timer, &tv);
		c->timer_due = next;
	}
}

static void mem_gone(struct lb_conn *c);

/*
 * Pair ends freed are kept per thread with their input buffer (and its
 * callback, whose argument is the end itself): an HTTP/2 stream costs no
 * allocation for its pair once the thread has served a few.
 */
static void
pair_put(struct lb_conn *c)
{
	evbuffer_drain(c->in, evbuffer_get_length(c->in));
	if (pair_ncache < PAIR_CACHE) {
		pair_cache[pair_ncache++] = c;
		return;
	}
	evbuffer_free(c->in);
	free(c);
}

static void
destroy(struct lb_conn *c)
{
	if (c->mem) {
		mem_gone(c);
		event_del(&c->timer);
		lb_conn_buf_put(&c->out);
		pair_put(c);
		return;
	}
	event_del(&c->ev);
	event_del(&c->timer);
	if (c->ssl != NULL) {
		/* close_notify; without it OpenSSL also drops the session from the cache */
		if (!c->handshaking && !c->shut && SSL_is_init_finished(c->ssl))
			(void)SSL_shutdown(c->ssl);
		if (c->sess_pending)
			(void)lb_tls_sess_save(c->sessions, c->uid, c->ssl);
		SSL_free(c->ssl);
		ERR_clear_error();
	}
	close(c->fd);
	lb_conn_buf_put(&c->in);
	lb_conn_buf_put(&c->out);
	pipe_put(c);
	free(c);
}

/* One write syscall of the output: send() for a single chunk, writev() for several. */
static ssize_t
write_plain(struct lb_conn *c)
{
	struct evbuffer_iovec v[2];
	ssize_t n;

	if (evbuffer_peek(c->out, -1, NULL, v, 2) != 1)
		return evbuffer_write_atmost(c->out, c->fd, -1);
	n = send(c->fd, v[0].iov_base, v[0].iov_len, MSG_NOSIGNAL);
	if (n > 0)
		evbuffer_drain(c->out, (size_t)n);
	return n;
}

static bool mem_write(struct lb_conn *c);

/* Write as much output as the socket takes; false if an error was reported. */
static bool
do_write(struct lb_conn *c)
{
	ssize_t n;
	size_t len;

	if (c->mem)
		return mem_write(c);
	while ((len = evb_out_len(c)) > 0) {
		if (c->ssl != NULL) {
			/* whole records: small chunks (head + body) go out together */
			size_t chunk = len < TLS_RECORD ? len : TLS_RECORD;
			unsigned char *p = evbuffer_pullup(c->out, (ssize_t)chunk);
			int r;

			ERR_clear_error();
			r = SSL_write(c->ssl, p, (int)chunk);
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);

				if (e == SSL_ERROR_WANT_WRITE) {
					c->can_write = 0;
					return true;
				}
				if (e == SSL_ERROR_WANT_READ)
					return true;
				report(c, LB_CONN_ERROR | LB_CONN_WRITING);
				return false;
			}
			evbuffer_drain(c->out, (size_t)r);
			c->last_wr = now_coarse();
			continue;
		}
		n = write_plain(c);
		if (n > 0) {
			c->last_wr = now_coarse();
			if ((size_t)n < len) {
				/* a short write means the send buffer is full: wait for the edge */
				c->can_write = 0;
				return true;
			}
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->can_write = 0;
			return true;
		}
		if (n == -1 && errno == EINTR)
			continue;
		report(c, LB_CONN_ERROR | LB_CONN_WRITING);
		return false;
	}
	while (c->pipe_len > 0) {
		n = splice(c->pipe[0], NULL, c->fd, NULL, c->pipe_len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			c->last_wr = now_coarse();
			c->pipe_len -= (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->can_write = 0;
			return true;
		}
		if (n == -1 && errno == EINTR)
			continue;
		report(c, LB_CONN_ERROR | LB_CONN_WRITING);
		return false;
	}
	return true;
}

/* A read that moved nothing (n is 0 or -1): EOF, AGAIN (the edge is used up) or ERR. */
static enum lb_io
read_end(struct lb_conn *c, ssize_t n)
{
	if (n == 0)
		return LB_IO_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		c->can_read = 0;
		return LB_IO_AGAIN;
	}
	return LB_IO_ERR;
}

/*
 * One splice() of our socket's input into splice_dst's pipe (which is
 * empty, so EAGAIN can only mean the socket is). LB_IO_OK with *got bytes
 * moved, or EOF, AGAIN, ERR, or NOPIPE (copy instead).
 */
static enum lb_io
splice_once(struct lb_conn *c, size_t *got)
{
	struct lb_conn *dst = c->splice_dst;
	ssize_t n;

	if (dst->pipe[0] == -1 && pipe_get(dst) == -1)
		return LB_IO_NOPIPE;
	do
		n = splice(c->fd, NULL, dst->pipe[1], NULL, SPLICE_MAX, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		dst->pipe_len += (size_t)n;
		c->spliced += (size_t)n;
		atomic_fetch_add_explicit(&spliced_total, (uint64_t)n, memory_order_relaxed);
		*got = (size_t)n;
		return LB_IO_OK;
	}
	return read_end(c, n);
}

/* Splicing, and the destination's pipe still holds what we spliced last. */
static bool
splice_blocked(const struct lb_conn *c)
{
	return c->splicing && c->splice_dst->pipe_len > 0;
}

/* Splice now: bulk input, and nothing queued ahead in the destination's buffer or pipe. */
static bool
splice_now(const struct lb_conn *c)
{
	return c->splicing && !splice_blocked(c) && evb_out_len(c->splice_dst) == 0;
}

/*
 * One read syscall (or SSL_read) into the input buffer of at most *asked
 * bytes: LB_IO_OK with *got bytes read, or EOF, AGAIN or ERR.
 */
static enum lb_io
read_once(struct lb_conn *c, size_t *asked, size_t *got)
{
	struct evbuffer_iovec v[2];
	struct iovec iov[2];
	ssize_t n;
	int nv, i, r;
	size_t left, room = c->read_max - in_len(c);
	size_t want = c->rsize < room ? c->rsize : room;

	if (c->in == NULL)
		c->in = lb_conn_buf_get();
	nv = evbuffer_reserve_space(c->in, (ev_ssize_t)want, v, 2);
	if (nv <= 0)
		return LB_IO_ERR;
	if (c->ssl != NULL) {
		ERR_clear_error();
		r = SSL_read(c->ssl, v[0].iov_base, (int)v[0].iov_len);
		*asked = v[0].iov_len;
		if (r > 0) {
			v[0].iov_len = (size_t)r;
			evbuffer_commit_space(c->in, v, 1);
			*got = (size_t)r;
			/* TLS 1.3 tickets precede the member's first bytes */
			if (c->sess_pending) {
				c->sess_pending = 0;
				(void)lb_tls_sess_save(c->sessions, c->uid, c->ssl);
			}
			return LB_IO_OK;
		}
		switch (SSL_get_error(c->ssl, r)) {
		case SSL_ERROR_WANT_READ:
			c->can_read = 0;
			return LB_IO_AGAIN;
		case SSL_ERROR_WANT_WRITE:
			c->can_write = 0;
			return LB_IO_AGAIN;
		case SSL_ERROR_ZERO_RETURN:
			return LB_IO_EOF;
		case SSL_ERROR_SYSCALL:
			/* peer closed without close_notify: an ordinary end for us */
			return errno == 0 ? LB_IO_EOF : LB_IO_ERR;
		default:
			return LB_IO_ERR;
		}
	}
	for (i = 0, *asked = 0; i < nv && *asked < want; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
		if (*asked + iov[i].iov_len > want)
			iov[i].iov_len = want - *asked;
		*asked += iov[i].iov_len;
	}
	nv = i;
	/* recv for one buffer: cheaper than readv's iovec import */
	do
		n = nv == 1 ? recv(c->fd, iov[0].iov_base, iov[0].iov_len, 0) : readv(c->fd, iov, nv);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		for (i = 0, left = (size_t)n; i < nv; i++) {
			v[i].iov_len = left < iov[i].iov_len ? left : iov[i].iov_len;
			left -= v[i].iov_len;
		}
		evbuffer_commit_space(c->in, v, nv);
		*got = (size_t)n;
		return LB_IO_OK;
	}
	return read_end(c, n);
}

/* Read bursts and hand them to the owner; EOF and errors after the data. */
static void
do_read(struct lb_conn *c)
{
	int round;

	for (round = 0; round < READ_ROUNDS; round++) {
		bool got = false;
		enum lb_io r = LB_IO_AGAIN;
		size_t asked = 0, n = 0;

		while (c->can_read && in_len(c) < c->read_max) {
			if (splice_now(c)) {
				r = splice_once(c, &n);
				if (r == LB_IO_NOPIPE) {
					c->splicing = 0;	/* no pipe to be had: copy */
					continue;
				}
				if (r != LB_IO_OK)
					break;
				got = true;
				c->last_rd = now_coarse();
				/* the pipe must empty into the destination before the next splice */
				break;
			}
			if (splice_blocked(c))
				break;	/* the destination's pipe drains first */
			r = read_once(c, &asked, &n);
			if (r != LB_IO_OK)
				break;
			got = true;
			/* a full read at the largest size: bulk, splice from now on */
			if (c->splice_dst != NULL && n == asked && asked >= READ_MAX)
				c->splicing = 1;
			c->last_rd = now_coarse();
			/*
			 * Size reads by what comes: a full read asks for more next
			 * time (fewer syscalls for bulk), a small one goes back to
			 * small chunks (memory of many quiet connections).
			 */
			if (n >= c->rsize && c->rsize < READ_MAX)
				c->rsize *= 4;
			else if (n < READ_MIN / 4)
				c->rsize = READ_MIN;
			/* a short read drained the socket: the next edge says when there is more */
			if (c->ssl == NULL ? n < asked && !c->rdhup :
			    c->tls_drained && !c->rdhup && !SSL_has_pending(c->ssl)) {
				c->can_read = 0;
				break;
			}
		}
		if (got && c->rcb != NULL) {
			c->rcb(c, c->arg);
			if (c->dead)
				return;
		}
		if (r == LB_IO_EOF) {
			c->reading = 0;
			c->can_read = 0;
			report(c, LB_CONN_EOF | LB_CONN_READING);
			return;
		}
		if (r == LB_IO_ERR) {
			c->reading = 0;
			report(c, LB_CONN_ERROR | LB_CONN_READING);
			return;
		}
		if (!c->reading || !c->can_read || in_len(c) >= c->read_max || splice_blocked(c))
			return;
	}
	/* still more to read: let other connections run first */
	kick(c);
}

static void
finish_connect(struct lb_conn *c)
{
	int err = c->pending_err;
	socklen_t len = sizeof(err);

	if (err == 0 && getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	c->connecting = 0;
	c->pending_err = 0;
	if (err != 0) {
		errno = err;
		report(c, LB_CONN_ERROR | LB_CONN_WRITING);
		return;
	}
	c->last_rd = c->last_wr = now_coarse();
	if (c->ssl != NULL) {
		/* TLS towards a member: connected once the handshake is done */
		c->handshaking = 1;
		return;
	}
	report(c, LB_CONN_CONNECTED);
}

static void
do_handshake(struct lb_conn *c)
{
	int r, e, sys;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(c->ssl);
	sys = errno;
	if (r == 1) {
		c->handshaking = 0;
		c->last_rd = c->last_wr = now_coarse();
		/* a TLS 1.2 session is complete now; 1.3 waits for its ticket */
		if (c->sessions != NULL)
			c->sess_pending = lb_tls_sess_save(c->sessions, c->uid, c->ssl) == -1 ||
			    SSL_version(c->ssl) >= TLS1_3_VERSION;
		report(c, LB_CONN_CONNECTED);
		return;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		c->can_read = 0;
	else if (e == SSL_ERROR_WANT_WRITE)
		c->can_write = 0;
	else {
		lb_tls_error_get(c->ssl, e, sys, &c->tls_err);
		/* the session may be why: the next connection starts afresh */
		if (c->sessions != NULL)
			lb_tls_sess_forget(c->sessions, c->uid, c->ssl);
		report(c, LB_CONN_ERROR | LB_CONN_READING);
	}
}

/* ---- in-memory pairs ----------------------------------------------------- */

/*
 * A pair's writer moves its output into the reader's input (evbuffer chains
 * change hands, nothing is copied) as far as the reader's read_max allows,
 * and kicks the reader. The reader's input buffer has a callback: when its
 * owner drains it, a writer waiting for room is kicked. Shutdown, close and
 * abort reach the other end as EOF or error after the data, as on a socket.
 */
static void
mem_in_cb(LB_UNUSED struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	struct lb_conn *c = arg, *w = c->peer;

	if (info->n_deleted > 0 && w != NULL && !w->can_write && !w->dead) {
		w->can_write = 1;
		kick(w);
	}
}

/* Our shutdown reaches the peer (once), after everything we wrote. */
static void
mem_send_eof(struct lb_conn *c)
{
	if (c->eof_sent || c->peer == NULL)
		return;
	c->eof_sent = 1;
	c->peer->peer_eof = 1;
	kick(c->peer);
}

static bool
mem_write(struct lb_conn *c)
{
	struct lb_conn *r = c->peer;
	size_t len = evb_out_len(c), room, n;

	if (r == NULL) {
		if (len == 0)
			return true;
		errno = EPIPE;
		report(c, LB_CONN_ERROR | LB_CONN_WRITING);
		return false;
	}
	if (len > 0) {
		room = in_len(r) < r->read_max ? r->read_max - in_len(r) : 0;
		n = len < room ? len : room;
		if (n > 0) {
			(void)evbuffer_remove_buffer(c->out, r->in, n);
			c->last_wr = now_coarse();
			r->can_read = 1;
			kick(r);
		}
		if (n < len) {
			c->can_write = 0;	/* mem_in_cb says when there is room */
			return true;
		}
	}
	if (c->shut)
		mem_send_eof(c);
	return true;
}

/* The input the writer moved in, then its EOF or abort once the input is read. */
static void
mem_read(struct lb_conn *c)
{
	if (c->peer_err) {
		c->peer_err = 0;
		c->peer_eof = 0;
		c->reading = 0;
		errno = ECONNRESET;
		report(c, LB_CONN_ERROR | LB_CONN_READING);
		return;
	}
	if (!c->reading)
		return;
	if (c->can_read) {
		c->can_read = 0;
		c->last_rd = now_coarse();
		if (in_len(c) > 0 && c->rcb != NULL) {
			c->rcb(c, c->arg);
			if (c->dead || !c->reading)
				return;
		}
	}
	if (c->peer_eof) {
		c->peer_eof = 0;
		c->reading = 0;
		report(c, LB_CONN_EOF | LB_CONN_READING);
	}
}

/* c goes: what it still had queued reaches the peer, then its EOF (or error). */
static void
mem_gone(struct lb_conn *c)
{
	struct lb_conn *r = c->peer;

	if (r == NULL)
		return;
	if (!c->aborted && evb_out_len(c) > 0) {
		(void)evbuffer_remove_buffer(c->out, r->in, evb_out_len(c));
		r->can_read = 1;
	}
	if (c->aborted)
		r->peer_err = 1;
	else if (!c->eof_sent)
		r->peer_eof = 1;
	r->peer = NULL;
	c->peer = NULL;
	if (!r->dead)
		kick(r);
}

/* Everything the current readiness allows, in order; stops as soon as c dies. */
static void
process(struct lb_conn *c)
{
	if (c->pending_what != 0) {
		short what = c->pending_what;

		c->pending_what = 0;
		report(c, what);
		return;
	}
	if (c->connecting) {
		if (c->can_write || c->pending_err != 0)
			finish_connect(c);
		if (c->dead || c->connecting)
			return;
	}
	if (c->handshaking) {
		if (c->can_read || c->can_write)
			do_handshake(c);
		if (c->dead || c->handshaking)
			return;
	}
	if (c->can_write && out_len(c) > 0 && !do_write(c))
		return;
	if (c->dead)
		return;
	if (c->want_drain && out_len(c) == 0) {
		c->want_drain = 0;
		if (c->dcb != NULL) {
			c->dcb(c, c->arg);
			if (c->dead)
				return;
		}
	}
	if (c->mem)
		mem_read(c);
	else if (c->reading && c->can_read)
		do_read(c);
	if (!c->dead)
		arm_timer(c);
}

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lb_conn *c = arg;

	c->busy++;
	if (what & (EV_READ | EV_CLOSED))
		c->can_read = 1;
	if (what & EV_CLOSED)
		c->rdhup = 1;
	if (what & EV_WRITE)
		c->can_write = 1;
	process(c);
	if (--c->busy == 0) {
		if (c->dead)
			destroy(c);
		else
			buf_release(c);
	}
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lb_conn *c = arg;

	c->busy++;
	if (what & EV_TIMEOUT)
		check_timeouts(c);
	if (!c->dead && c->kicked) {
		c->kicked = 0;
		process(c);
	}
	if (--c->busy == 0) {
		if (c->dead)
			destroy(c);
		else
			buf_release(c);
	}
}

/*
 * The socket BIO under a TLS connection tells whether its last read() came
 * back short (the kernel had no more): then, with nothing left inside
 * OpenSSL, reading stops until the next edge instead of asking once more
 * for an EAGAIN, as plain connections do. One read() less per request.
 */
static long
bio_read_cb(BIO *b, int oper, LB_UNUSED const char *argp, size_t len, LB_UNUSED int argi,
    LB_UNUSED long argl, int ret, size_t *processed)
{
	struct lb_conn *c = (struct lb_conn *)BIO_get_callback_arg(b);

	if (oper == (BIO_CB_READ | BIO_CB_RETURN) && c != NULL)
		c->tls_drained = ret > 0 && processed != NULL && *processed < len;
	return ret;
}

static void
watch_tls_reads(struct lb_conn *c)
{
	BIO *rb = SSL_get_rbio(c->ssl);

	if (rb != NULL) {
		BIO_set_callback_arg(rb, (char *)c);
		BIO_set_callback_ex(rb, bio_read_cb);
	}
}

/* What every connection starts with, socket or pair end (c is zeroed). */
static void
conn_init(struct lb_conn *c, struct event_base *base, int fd)
{
	c->fd = fd;
	c->read_max = DEFAULT_READ_MAX;
	c->rsize = READ_MIN;
	c->last_rd = c->last_wr = now_coarse();
	c->pipe[0] = c->pipe[1] = -1;
	(void)evtimer_assign(&c->timer, base, timer_cb, c);
}

/* Common part of lb_conn_new and lb_conn_connect: takes fd (and ssl). */
static struct lb_conn *
conn_alloc(struct event_base *base, int fd, SSL *ssl)
{
	struct lb_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		goto fail;
	conn_init(c, base, fd);
	c->ssl = ssl;
	(void)event_assign(&c->ev, base, fd, EV_READ | EV_WRITE | EV_CLOSED | EV_ET | EV_PERSIST,
	    io_cb, c);
	if (event_add(&c->ev, NULL) == -1) {
		free(c);
		goto fail;
	}
	return c;
fail:
	if (ssl != NULL)
		SSL_free(ssl);
	close(fd);
	return NULL;
}

struct lb_conn *
lb_conn_new(struct event_base *base, int fd, SSL *ssl)
{
	struct lb_conn *c;

	if (ssl != NULL && SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	c = conn_alloc(base, fd, ssl);
	if (c == NULL)
		return NULL;
	/* a fresh socket has room to send; reads wait for the first edge */
	c->can_write = 1;
	if (ssl != NULL) {
		SSL_set_accept_state(ssl);
		c->handshaking = 1;
		watch_tls_reads(c);
	}
	return c;
}

struct lb_conn *
lb_conn_connect(struct event_base *base, const struct sockaddr *addr, socklen_t len)
{
	struct lb_conn *c;
	int fd, one = 1;

	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1)
		return NULL;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = conn_alloc(base, fd, NULL);
	if (c == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	c->connecting = 1;
	if (connect(fd, addr, len) == -1 && errno != EINPROGRESS) {
		/* refused at once (or no route): reported from the loop, like any failure */
		c->pending_err = errno;
		kick(c);
	}
	return c;
}

struct lb_conn *
lb_conn_connect_tls(struct event_base *base, const struct sockaddr *addr, socklen_t len,
    const struct lb_conn_tls *tls)
{
	struct lb_conn *c;
	SSL *ssl;
	int err;

	ssl = lb_tls_client_ssl(tls->ctx, tls->sni, tls->sessions, tls->member_uid);
	if (ssl == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if ((c = lb_conn_connect(base, addr, len)) == NULL) {
		err = errno;
		SSL_free(ssl);
		errno = err;
		return NULL;
	}
	if (SSL_set_fd(ssl, c->fd) != 1) {
		SSL_free(ssl);
		ERR_clear_error();
		lb_conn_free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->ssl = ssl;
	c->sessions = tls->sessions;
	c->uid = tls->member_uid;
	watch_tls_reads(c);
	return c;
}

const struct lb_tls_error *
lb_conn_tls_error(const struct lb_conn *c)
{
	return &c->tls_err;
}

void
lb_conn_free(struct lb_conn *c)
{
	if (c == NULL)
		return;
	if (c->busy > 0) {
		c->dead = 1;
		c->rcb = NULL;
		c->dcb = NULL;
		c->ecb = NULL;
		return;
	}
	destroy(c);
}

void
lb_conn_setcb(struct lb_conn *c, lb_conn_read_cb rcb, lb_conn_drain_cb dcb,
    lb_conn_event_cb ecb, void *arg)
{
	c->rcb = rcb;
	c->dcb = dcb;
	c->ecb = ecb;
	c->arg = arg;
}

struct evbuffer *
lb_conn_input(struct lb_conn *c)
{
	if (c->in == NULL)
		c->in = lb_conn_buf_get();
	return c->in;
}

struct evbuffer *
lb_conn_output(struct lb_conn *c)
{
	if (c->out == NULL)
		c->out = lb_conn_buf_get();
	return c->out;
}

size_t
lb_conn_input_len(const struct lb_conn *c)
{
	return in_len(c);
}

size_t
lb_conn_output_len(const struct lb_conn *c)
{
	return out_len(c);
}

bool
lb_conn_output_piped(const struct lb_conn *c)
{
	return c->pipe_len > 0;
}

void
lb_conn_splice_to(struct lb_conn *src, struct lb_conn *dst)
{
	if (src->ssl == NULL && dst->ssl == NULL && !src->mem && !dst->mem &&
	    atomic_load(&max_pipes) > 0)
		src->splice_dst = dst;
}

size_t
lb_conn_take_spliced(struct lb_conn *c)
{
	size_t n = c->spliced;

	c->spliced = 0;
	return n;
}

int
lb_conn_fd(const struct lb_conn *c)
{
	return c->fd;
}

SSL *
lb_conn_ssl(const struct lb_conn *c)
{
	return c->mem ? c->info_ssl : c->ssl;
}

int
lb_conn_sockname(const struct lb_conn *c, struct sockaddr_storage *ss, socklen_t *len)
{
	*len = sizeof(*ss);
	return getsockname(c->mem ? c->info_fd : c->fd, (struct sockaddr *)ss, len);
}

bool
lb_conn_is_pair(const struct lb_conn *c)
{
	return c->mem;
}

void
lb_conn_abort(struct lb_conn *c)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	c->aborted = 1;
	if (c->mem)
		return;
	if (c->ssl != NULL)
		SSL_set_quiet_shutdown(c->ssl, 1);
	(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/* A zeroed pair end, from the thread's cache or new, its input buffer watched. */
static struct lb_conn *
pair_get(void)
{
	struct lb_conn *c;
	struct evbuffer *in;

	if (pair_ncache > 0) {
		c = pair_cache[--pair_ncache];
		in = c->in;
		memset(c, 0, sizeof(*c));
		c->in = in;
		return c;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->in = evbuffer_new()) == NULL || evbuffer_add_cb(c->in, mem_in_cb, c) == NULL) {
		if (c->in != NULL)
			evbuffer_free(c->in);
		free(c);
		return NULL;
	}
	return c;
}

int
lb_conn_pair(struct event_base *base, struct lb_conn *pair[2], SSL *info_ssl, int info_fd)
{
	int i;

	if ((pair[0] = pair_get()) == NULL)
		return -1;
	if ((pair[1] = pair_get()) == NULL) {
		pair_put(pair[0]);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		conn_init(pair[i], base, -1);
		pair[i]->mem = 1;
		pair[i]->can_write = 1;
		pair[i]->info_ssl = info_ssl;
		pair[i]->info_fd = info_fd;
		pair[i]->peer = pair[1 - i];
	}
	return 0;
}

void
lb_conn_read_start(struct lb_conn *c)
{
	if (!c->reading) {
		c->reading = 1;
		c->last_rd = now_coarse();
	}
	/* the kernel may already hold data whose edge we consumed earlier */
	if ((c->can_read || c->peer_eof) && !c->connecting && !c->handshaking)
		kick(c);
	arm_timer(c);
}

void
lb_conn_read_stop(struct lb_conn *c)
{
	c->reading = 0;
}

bool
lb_conn_reading(const struct lb_conn *c)
{
	return c->reading;
}

void
lb_conn_set_read_max(struct lb_conn *c, size_t max)
{
	c->read_max = max;
}

void
lb_conn_flush(struct lb_conn *c)
{
	if (out_len(c) == 0 || c->dead)
		return;
	if (!c->connecting && !c->handshaking && c->can_write) {
		/* errors are reported from the loop, not inside the owner's call */
		c->sync = 1;
		(void)do_write(c);
		c->sync = 0;
		if (c->want_drain && out_len(c) == 0)
			kick(c);
		/* all written from another connection's callback: nothing to keep */
		if (c->busy == 0 && !c->dead && out_len(c) == 0) {
			lb_conn_buf_put(&c->out);
			pipe_put(c);
		}
	}
	arm_timer(c);
}

void
lb_conn_set_deadline(struct lb_conn *c, int ms)
{
	c->deadline = ms > 0 ? now_coarse() + (uint64_t)ms : 0;
	arm_timer(c);
}

bool
lb_conn_has_deadline(const struct lb_conn *c)
{
	return c->deadline != 0;
}

void
lb_conn_want_drain(struct lb_conn *c)
{
	c->want_drain = 1;
	if (out_len(c) == 0)
		kick(c);
}

void
lb_conn_shutdown(struct lb_conn *c)
{
	if (c->shut)
		return;
	c->shut = 1;
	if (c->mem) {
		/* the peer sees EOF once our output has reached it (else mem_write) */
		if (evb_out_len(c) == 0)
			mem_send_eof(c);
		return;
	}
	if (c->ssl != NULL) {
		if (SSL_is_init_finished(c->ssl))
			(void)SSL_shutdown(c->ssl);
		ERR_clear_error();
	} else
		(void)shutdown(c->fd, SHUT_WR);
}

void
lb_conn_set_timeouts(struct lb_conn *c, int read_ms, int write_ms)
{
	c->read_ms = read_ms;
	c->write_ms = write_ms;
	c->last_rd = c->last_wr = now_coarse();
	arm_timer(c);
}
