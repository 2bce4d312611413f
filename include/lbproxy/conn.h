/*
 * conn.h: one non-blocking stream connection (plain or TLS) on a worker's
 * event_base, the data plane's replacement for libevent bufferevents.
 *
 * Why not bufferevents: they re-arm epoll interest on every enable/disable
 * and every write (several epoll_ctl per request) and ask the kernel with
 * ioctl(FIONREAD) before each read. Here the descriptor is registered once,
 * edge-triggered for both directions; readiness is remembered in the
 * connection, writes are attempted at once (speculatively) and reads stop
 * early on a short read. Inactivity timeouts are lazy: activity only stamps
 * a time, and one timer per connection checks the stamp when it fires.
 */
#ifndef LB_CONN_H
#define LB_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "lbproxy/tls.h"

struct event_base;
struct evbuffer;
struct lb_conn;
struct lb_tls_sess_cache;

/* Result of one I/O step (conn.c's reads and splices); a byte count goes in an out-parameter. */
enum lb_io {
	LB_IO_OK,	/* bytes moved */
	LB_IO_AGAIN,	/* would block: the next readiness edge says when to try again */
	LB_IO_EOF,	/* the peer closed its sending side */
	LB_IO_ERR,	/* I/O or TLS error (errno or OpenSSL's error queue says which) */
	LB_IO_NOPIPE,	/* splice: no kernel pipe to be had, copy through user space instead */
};

/* Event bits given to the event callback (compatible in spirit with BEV_EVENT_*). */
#define LB_CONN_READING		0x01	/* the event happened while reading */
#define LB_CONN_WRITING		0x02	/* ... while writing (or connecting) */
#define LB_CONN_DEADLINE	0x04	/* with TIMEOUT: the owner's deadline passed */
#define LB_CONN_EOF		0x10	/* the peer closed its sending side */
#define LB_CONN_ERROR		0x20	/* I/O error, reset, refused, TLS failure */
#define LB_CONN_TIMEOUT		0x40	/* inactivity or connect/handshake deadline */
#define LB_CONN_CONNECTED	0x80	/* connect or TLS handshake finished */

/* New data is in the input buffer. */
typedef void (*lb_conn_read_cb)(struct lb_conn *c, void *arg);
/* The output buffer drained after lb_conn_want_drain (never called synchronously). */
typedef void (*lb_conn_drain_cb)(struct lb_conn *c, void *arg);
typedef void (*lb_conn_event_cb)(struct lb_conn *c, short what, void *arg);

/*
 * Wrap an accepted (or otherwise connected) descriptor; takes ownership of fd
 * and of ssl (NULL for plain TCP). With ssl, the server handshake runs first
 * and LB_CONN_CONNECTED is reported when it completes. Returns NULL on
 * allocation failure (fd and ssl are then freed).
 */
struct lb_conn *lb_conn_new(struct event_base *base, int fd, SSL *ssl);
/*
 * Start a non-blocking connect to addr; LB_CONN_CONNECTED or LB_CONN_ERROR
 * follows from the event loop. Returns NULL with errno set if no socket
 * could be made.
 */
struct lb_conn *lb_conn_connect(struct event_base *base, const struct sockaddr *addr, socklen_t len);
/*
 * TLS towards a member (tls_client.h): borrowed for the call, but sessions
 * must live as long as the connection.
 */
struct lb_conn_tls {
	SSL_CTX				*ctx;		/* the pool's: lb_tls_client_new */
	const char			*sni;		/* NULL: the context's name, if any */
	struct lb_tls_sess_cache	*sessions;	/* this thread's; NULL: never resume */
	uint64_t			 member_uid;	/* the member's key in sessions */
};
/*
 * lb_conn_connect, then the TLS client handshake over the same read/write
 * path as plain connections (no splice). LB_CONN_CONNECTED follows once the
 * handshake completes, resumed from tls->sessions when the member's last
 * session allows; the member's newest session is saved there after the
 * first read (TLS 1.3 tickets come after the handshake). A failed connect
 * or handshake is LB_CONN_ERROR, and lb_conn_tls_error names a handshake
 * failure. Output queued meanwhile goes out after the handshake. Returns
 * NULL with errno set if no socket or SSL object could be made.
 */
struct lb_conn *lb_conn_connect_tls(struct event_base *base, const struct sockaddr *addr,
    socklen_t len, const struct lb_conn_tls *tls);
/*
 * Why c's TLS handshake (client or server side) failed: result LB_TLS_OK
 * while it has not (lb_tls_error_text words it). Borrowed from c.
 */
const struct lb_tls_error *lb_conn_tls_error(const struct lb_conn *c);
/* Close: TLS close_notify if the handshake finished, then the descriptor. Accepts NULL. */
void lb_conn_free(struct lb_conn *c);

void lb_conn_setcb(struct lb_conn *c, lb_conn_read_cb rcb, lb_conn_drain_cb dcb,
    lb_conn_event_cb ecb, void *arg);
/*
 * The buffers (taken on demand from the thread's cache, given back when
 * empty once the connection's callbacks return: do not keep the pointers).
 */
struct evbuffer *lb_conn_input(struct lb_conn *c);
struct evbuffer *lb_conn_output(struct lb_conn *c);
/* Bytes buffered, without taking a buffer. */
size_t lb_conn_input_len(const struct lb_conn *c);
size_t lb_conn_output_len(const struct lb_conn *c);
/*
 * The thread's cache of empty evbuffers, which connections draw from: get
 * never fails (abort on out of memory); put takes *bp (an empty buffer is
 * kept, anything else freed) and clears it.
 */
struct evbuffer *lb_conn_buf_get(void);
void lb_conn_buf_put(struct evbuffer **bp);
/* Free this thread's cache of empty buffers and pipes (at thread exit). */
void lb_conn_cache_free(void);

/*
 * splice(): once src has seen bulk input (a full read at the largest size),
 * its input moves to dst through a kernel pipe without being copied to user
 * space, whenever dst has nothing else queued. Plain TCP on both sides only;
 * both connections must live as long as the pairing. The read callback still
 * runs: lb_conn_take_spliced() tells how many bytes went that way.
 */
void lb_conn_splice_to(struct lb_conn *src, struct lb_conn *dst);
size_t lb_conn_take_spliced(struct lb_conn *c);
/* Output is waiting in the pipe (the source should pause until it drains). */
bool lb_conn_output_piped(const struct lb_conn *c);
/* Pipes in use at most (0: never splice), process-wide. */
void lb_conn_set_max_pipes(unsigned n);
struct lb_conn_splice_stats {
	unsigned	max_pipes;
	unsigned	pipes_used;
	unsigned	pipes_free;
	uint64_t	bytes;
};
void lb_conn_splice_stats(struct lb_conn_splice_stats *st);
int lb_conn_fd(const struct lb_conn *c);
/* The TLS session: c's own, or for a pair end the borrowed one it was made with. */
SSL *lb_conn_ssl(const struct lb_conn *c);
/* getsockname() of c's socket, or of the one a pair was made for. */
int lb_conn_sockname(const struct lb_conn *c, struct sockaddr_storage *ss, socklen_t *len);

/*
 * An in-memory pair (HTTP/2 streams served by the HTTP/1.1 code): what one
 * end writes is the other's input, chains handed over with no copy and no
 * descriptor; the writer stops at the reader's read_max and resumes when
 * the reader's owner drains its input. lb_conn_shutdown and lb_conn_free
 * reach the other end as EOF after the data; lb_conn_abort then free as an
 * error. Timeouts and deadlines work as on sockets. info_ssl and info_fd
 * are borrowed (they must outlive both ends): lb_conn_ssl and
 * lb_conn_sockname report them. Returns -1 on allocation failure.
 */
int lb_conn_pair(struct event_base *base, struct lb_conn *pair[2], SSL *info_ssl, int info_fd);
bool lb_conn_is_pair(const struct lb_conn *c);
/*
 * The connection is to end with a reset, not a clean close: a socket gets
 * SO_LINGER 0 (and no close_notify), a pair's peer an error instead of EOF.
 */
void lb_conn_abort(struct lb_conn *c);

/* Deliver (or stop delivering) input; re-enabling reads what the kernel already holds. */
void lb_conn_read_start(struct lb_conn *c);
void lb_conn_read_stop(struct lb_conn *c);
bool lb_conn_reading(const struct lb_conn *c);
/* Stop reading from the socket once this much input is buffered (default 64 KiB). */
void lb_conn_set_read_max(struct lb_conn *c, size_t max);

/* Write what is queued in the output buffer now, as far as the socket takes it. */
void lb_conn_flush(struct lb_conn *c);
/* Call the drain callback once the output buffer is empty (from the event loop). */
void lb_conn_want_drain(struct lb_conn *c);
/* Send FIN (plain) or close_notify (TLS) once; the output should be empty. */
void lb_conn_shutdown(struct lb_conn *c);

/*
 * Inactivity timeouts in milliseconds (0 = none): read_ms while reading is
 * started and nothing arrives, write_ms while output is pending and nothing
 * leaves (also the connect and TLS handshake deadline).
 */
void lb_conn_set_timeouts(struct lb_conn *c, int read_ms, int write_ms);
/*
 * An absolute deadline ms from now (0 = none), whatever the activity; when
 * it passes, LB_CONN_TIMEOUT|LB_CONN_DEADLINE is reported once. The HTTP
 * layer's request-head deadline, keep-alive idle time and lingering close.
 */
void lb_conn_set_deadline(struct lb_conn *c, int ms);
bool lb_conn_has_deadline(const struct lb_conn *c);

#endif
