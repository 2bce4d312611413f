/*
 * session_int.h: the data plane's private structures, shared by worker.c,
 * session.c, proxy_tcp.c and proxy_http.c only.
 */
#ifndef LB_SESSION_INT_H
#define LB_SESSION_INT_H

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "lbproxy/session.h"
#include "lbproxy/snapshot.h"
#include "lbproxy/worker.h"

struct event;
struct evbuffer;
struct lb_conn;
struct event_base;
struct lb_member;
struct lb_http_state;
struct lb_http_hdr;
struct lb_idle_pool;
struct lb_acceptor;
struct lb_tls_sess_cache;
struct lb_frontend;

/* Most members one client connection tries before giving up (1 + retries). */
#define LB_MAX_TRIES		16
/* Bytes buffered towards one side before reading from the other pauses. */
#define LB_BUF_HIGH		(256 * 1024)
/* The same for an HTTP/2 stream's session: a hundred of them share one client. */
#define LB_STREAM_BUF_HIGH	(32 * 1024)
/* Longest SNI sent to a TLS member, with its NUL (a DNS name is at most 253). */
#define LB_SNI_MAX		256

enum lb_session_state {
	LB_SS_NEW,
	LB_SS_TLS_HANDSHAKE,
	LB_SS_CONNECTING,
	LB_SS_RELAY,		/* TCP relay, or HTTP tunnel after 101 */
	LB_SS_HTTP_IDLE,	/* keep-alive, waiting for the next request */
	LB_SS_HTTP_HEAD,	/* reading a request head */
	LB_SS_HTTP_FORWARD,	/* request sent or being sent, response pending */
	LB_SS_CLOSING,		/* flushing a last response, then close */
	LB_SS_H2,		/* an HTTP/2 connection: its streams are sessions of their own */
};
extern const char *const lb_session_state_names[];

struct lb_session;

/* What a protocol module does with a session (TCP relay or HTTP). */
struct lb_proxy_ops {
	const char	*name;
	void		(*start)(struct lb_session *s);	/* client side is ready */
	void		(*fini)(struct lb_session *s);	/* free protocol state */
};
extern const struct lb_proxy_ops lb_proxy_tcp_ops;
extern const struct lb_proxy_ops lb_proxy_http_ops;
extern const struct lb_proxy_ops lb_proxy_h2_ops;

/*
 * The members one connection attempt has tried: a worker's block, held by
 * a session only while it connects (an idle keep-alive session has none).
 */
union lb_tried {
	union lb_tried		*next;		/* in the worker's free list */
	struct {
		struct lb_member *m[LB_MAX_TRIES];
		uint64_t	 t_fdwait_ms;	/* out of descriptors since (0: not waiting) */
	};
};

/* Called with a connected member connection, or NULL when every try failed. */
typedef void (*lb_connect_cb)(struct lb_session *s, struct lb_conn *c);

struct lb_worker {
	int			 id;
	struct lb_limits	*lim;		/* borrowed: maxconn, stopping, conns */
	pthread_t		 thr;
	struct event_base	*base;
	int			 wakefd;	/* eventfd: main thread -> worker */
	struct event		*wake;
	pthread_mutex_t		 mtx;
	struct lb_snapshot	*pending;	/* under mtx */
	int			 stop;		/* under mtx: 0, 1 graceful, 2 now */

	struct lb_snapshot	*snap;		/* for new sessions */
	struct lb_acceptor	*acc;		/* one per listening socket of snap */
	size_t			 n_acc;
	struct event		*resume_ev;	/* accept backoff after EMFILE */
	struct event		*drain_ev;	/* removed members' connections end */
	bool			 accept_on;	/* accepting was started (some socket may be full) */
	bool			 limit_paused;	/* at maxconn/connection_limit */
	unsigned		 fdwaiters;	/* sessions waiting for a descriptor */
	bool			 draining;	/* graceful stop: exit when idle */
	_Atomic bool		 accept_closed;	/* no longer watching the listener */
	_Atomic uint64_t	 gen_seen;	/* snapshot generation in use */
	TAILQ_HEAD(, lb_session) sessions;
	_Atomic unsigned	 nsessions;
	uint64_t		 next_id;
	struct lb_pick		*picks;		/* one per pool of snap (lb_snap_pool.idx) */
	size_t			 n_picks;
	void			*l7_scratch;	/* regex match data for L7 rules */
	struct lb_tls_sess_cache *tls_sessions;	/* TLS sessions to members, this thread's */
	struct lb_idle_pool	*idle;		/* HTTP keep-alive member connections */
	struct lb_http_hdr	*hdrs;		/* header scratch for the head being parsed */
	size_t			 hdr_cap;
	union lb_tried		*tried_free;	/* blocks for sessions that connect */
};

struct lb_session {
	uint64_t		 id;
	struct lb_worker	*w;
	struct lb_snapshot	*snap;		/* referenced: the config it started with */
	const struct lb_snap_listener *sl; /* its listener in snap */
	struct lb_frontend	*fe;		/* sl->fe: counters of the listener */
	struct lb_snap_pool	*pool;		/* the pool of the current connection or request */
	const struct lb_proxy_ops *ops;
	enum lb_session_state	 state;
	unsigned		 nreq;		/* HTTP requests on this connection */
	TAILQ_ENTRY(lb_session)	 link;

	union {
		struct sockaddr		sa;
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
	}			 peer;		/* TCP listeners: IPv4 or IPv6 */
	socklen_t		 peerlen;
	uint64_t		 client_hash;
	uint64_t		 t_accept_ms;

	struct lb_conn		*cc;		/* client */
	struct lb_conn		*sc;		/* member, when connected */
	struct event		*timer;		/* TLS handshake deadline, or waiting for a descriptor */
	struct lb_member	*member;	/* referenced, counted in member->active */

	/* connect with retries (session.c) */
	struct lb_conn		*connecting;
	lb_connect_cb		 connect_cb;
	struct lb_member	*prefer;	/* persistence: try this one first (borrowed from snap) */
	struct lb_member	*avoid;		/* redispatch: not this one (borrowed from snap) */
	union lb_tried		*tried;		/* while connecting (session.c), else NULL */
	struct event		*pp_ev;		/* waiting for a PROXY header (proxy_accept.c) */
	int			 pp_fd;
	bool			 pp_partial;	/* part of it arrived */
	bool			 between_requests; /* HTTP keep-alive, a response already sent */
	bool			 stream;	/* serves one HTTP/2 stream (cc is a pair end) */
	uint8_t			 ntried;	/* in tried, at most LB_MAX_TRIES */
	uint8_t			 attempts;	/* connects of this request, at most LB_MAX_TRIES */

	/* TCP relay */
	bool			 c_eof, s_eof;	/* FIN received from that side */
	bool			 c_shut, s_shut; /* FIN sent to that side */
	uint64_t		 c_rx_ms, s_rx_ms; /* last data from that side */
	uint64_t		 bytes_in, bytes_out;

	struct lb_http_state	*http;
	char			*sni;		/* TLS to members: the request's host, or NULL (LB_SNI_MAX, on first use) */
	uint64_t		 sni_hash;	/* lb_hash64 of sni: its idle connections' tag */
	struct lb_session	**h2slot;	/* stream: the stream's pointer to us, cleared at close */
	struct h2_conn		*h2;		/* HTTP/2 connection (h2.c) */
};

/* The client's address as text, into buf (INET6_ADDRSTRLEN bytes). */
const char *lb_session_peer_host(const struct lb_session *s, char *buf);
/* Set the state and log "from -> to" at debug level. */
void lb_session_set_state(struct lb_session *s, enum lb_session_state st);
/* Start a session for an accepted client descriptor (takes ownership of fd). */
void lb_session_new(struct lb_worker *w, const struct lb_snap_listener *sl, int fd,
    const struct sockaddr *sa, socklen_t len);
/* Start the session on fd, its client side (TLS handshake or the protocol). */
void lb_session_begin(struct lb_session *s, int fd);
/* Read the PROXY header a trusted upstream sends first, then lb_session_begin (proxy_accept.c). */
void lb_proxy_accept(struct lb_session *s, int fd);
/*
 * A reload happened: s (an HTTP client between requests, an HTTP/2
 * connection) moves to the worker's new snapshot and its listener there.
 * false if the listener went or changed nature (no longer HTTP, TLS
 * turned on or off, another frontend): s is left as it was.
 */
bool lb_session_follow_reload(struct lb_session *s);
/* Set the client address of s (accept, or a PROXY header). */
void lb_session_set_peer(struct lb_session *s, const struct sockaddr *sa, socklen_t len);
/* End the session, the one exit for every path; frees s. */
void lb_session_close(struct lb_session *s, enum lb_close_reason why);
/* Pick a member (s->prefer first) and connect with retries; cb gets the result. */
void lb_session_connect(struct lb_session *s, lb_connect_cb cb);
/* A PROXY or PROXYV2 pool: queue the header (the client, the VIP, TLS facts) on sc. */
void lb_session_send_proxy(struct lb_session *s, struct lb_conn *sc);
/* Forget the member of the current connection/request (active--, unref). */
void lb_session_release_member(struct lb_session *s);
/*
 * Point m at the worker's header array, sized by s's limits (proxy_http.c):
 * a head is parsed and used within one callback, so one array serves every
 * connection of the worker.
 */
struct lb_http_msg;
void lb_session_hdr_scratch(struct lb_session *s, struct lb_http_msg *m);
/* Free the worker's blocks of tried members (at thread exit). */
void lb_worker_tried_free(struct lb_worker *w);
/* Worker hook: a session ended, maybe resume accepting. */
void lb_worker_session_gone(struct lb_worker *w);
/* Worker hook: out of descriptors (errno says why) in `what`: pause accepting. */
void lb_worker_out_of_fds(struct lb_worker *w, const char *what);
/* A session starts (true) or stops (false) waiting for a descriptor; accepting waits for none. */
void lb_worker_fdwait(struct lb_worker *w, bool waiting);
/* errno says the process (or the system) ran out of descriptors or buffers. */
static inline bool
lb_errno_out_of_fds(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}
/* Log with the session's context: "s<id> vip=<id> client=<ip> member=<id>: ..." */
void lb_session_log(const struct lb_session *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Relay bytes both ways between s->cc and s->sc until both sides finish (proxy_tcp.c). */
void lb_proxy_tunnel(struct lb_session *s);
/* Make m the session's current member (counted active until released). */
void lb_session_use_member(struct lb_session *s, struct lb_member *m);

/* A stop began: an idle keep-alive client of s goes after a short idle time (proxy_http.c). */
void lb_proxy_http_wind_down(struct lb_session *s);
/* Free this thread's cache of HTTP request states (at its end). */
void lb_proxy_http_cache_free(void);
/*
 * A session for one HTTP/2 stream of parent (h2.c): cc is the session's end
 * of an in-memory pair, *slot points to the session until it closes. The
 * stream's session is not counted as a connection. NULL on no memory.
 */
struct lb_session *lb_session_new_stream(struct lb_session *parent, struct lb_conn *cc,
    struct lb_session **slot);
/* A stop began: GOAWAY to an HTTP/2 client, its streams in flight finish (h2.c). */
void lb_h2_wind_down(struct lb_session *s);
/* A reload: an HTTP/2 connection follows it, or GOAWAY if its listener went (h2.c). */
void lb_h2_reloaded(struct lb_session *s);
/* Free this thread's cache of HTTP/2 stream objects (at thread exit). */
void lb_h2_cache_free(void);
/*
 * in starts with the HTTP/2 client preface (all 24 bytes: true), or with a
 * part of it (*more: wait for the rest).
 */
bool lb_h2_preface(struct evbuffer *in, bool *more);
/*
 * HTTP idle member connections (idle.c), the worker's. lb_idle_put keeps c,
 * a member connection to m with nothing pending, under tag (callers' key:
 * the SNI of a TLS connection); it returns -1 when the worker keeps enough
 * (the caller frees c). lb_idle_get takes back the most recent one with
 * that tag, or NULL.
 */
int lb_idle_put(struct lb_worker *w, struct lb_member *m, uint64_t tag, struct lb_conn *c);
struct lb_conn *lb_idle_get(struct lb_worker *w, const struct lb_member *m, uint64_t tag);
void lb_idle_pool_free(struct lb_idle_pool *p);

#endif
