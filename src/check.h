/*
 * check.h: the internal contract between health.c (scheduling, rise/fall,
 * transitions) and the probes in check_*.c, relayd style. A check is started
 * on the main thread's event_base and ends in exactly one done call carrying
 * a typed result, or is cancelled and then calls nothing. The done call never
 * happens inside the start function (it is deferred to the event loop), so
 * the caller's state is consistent when it runs.
 */
#ifndef LB_CHECK_H
#define LB_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event_struct.h>
#include <openssl/ssl.h>

#include "lbproxy/health.h"
#include "lbproxy/util.h"

struct event;
struct event_base;
struct lb_hm_conf;
struct lb_member;
struct lb_check;

/* Called once per started check; r is only valid during the call. */
typedef void (*lb_check_done_cb)(const struct lb_check_result *r, void *arg);

/*
 * Start one check of m. base, m and hm are borrowed: m and hm must stay
 * valid until the done call or lb_check_cancel (the address is copied at
 * start, hm is read again when the answer arrives). timeout_ms bounds the
 * whole check. Returns the running check, owned by the check itself until
 * done, or NULL only if memory runs out (then no done call follows).
 */
struct lb_check *lb_check_tcp_start(struct event_base *base, const struct lb_member *m,
    const struct lb_hm_conf *hm, int timeout_ms, lb_check_done_cb done, void *arg);
/*
 * HTTP, or HTTPS when hm->type is LB_HM_HTTPS: the TLS handshake with ctx
 * (the pool's lb_tls_client_new context, referenced for the check; NULL:
 * the shared encrypt-only one), then the request. A handshake that fails,
 * a certificate that does not verify among others, is L6RSP with the
 * reason (lb_tls_error_text); there is no plain fallback.
 */
struct lb_check *lb_check_http_start(struct event_base *base, const struct lb_member *m,
    const struct lb_hm_conf *hm, SSL_CTX *ctx, int timeout_ms, lb_check_done_cb done,
    void *arg);
/*
 * TLS-HELLO: connect and complete a TLS handshake with ctx (as for HTTPS),
 * nothing else (HAProxy's check-ssl without HTTP, for passthrough pools):
 * L6OK, or L6RSP with the reason, or L6TOUT.
 */
struct lb_check *lb_check_tls_start(struct event_base *base, const struct lb_member *m,
    const struct lb_hm_conf *hm, SSL_CTX *ctx, int timeout_ms, lb_check_done_cb done,
    void *arg);
/* PING: ICMP or ICMPv6 echo. */
struct lb_check *lb_check_icmp_start(struct event_base *base, const struct lb_member *m,
    const struct lb_hm_conf *hm, int timeout_ms, lb_check_done_cb done, void *arg);

/* Stop a check that has not called done yet; it frees everything, no done call. NULL is fine. */
void lb_check_cancel(struct lb_check *c);

/*
 * Free the shared encrypt-only SSL_CTX and the checks' TLS sessions; checks
 * in flight keep their own references.
 */
void lb_check_http_cleanup(void);

/*
 * Whether pkt (as read from an ICMP socket of family af; raw IPv4 sockets
 * include the IP header) is the echo reply to our request: type, sequence and
 * cookie must match, and the identifier too unless the socket is a datagram
 * "ping" socket (the kernel rewrites it and demultiplexes by it itself).
 */
bool lb_check_icmp_match(const void *pkt, size_t len, int af, bool raw, uint16_t id,
    uint16_t seq, const unsigned char *cookie, size_t cookie_len);

/*
 * Plumbing shared by check_*.c (in health.c, like relayd's hce_notify_done).
 * Each check type embeds struct lb_check as its first member.
 */
struct lb_check {
	struct event_base	*base;
	struct event		*ev_deadline;	/* the timeout of the whole check */
	struct event		*ev_done;	/* the deferred done call */
	lb_check_done_cb	 done;
	void			*arg;
	/* close descriptors, free SSL and events of the type; called once */
	void			(*release)(struct lb_check *);
	uint64_t		 start_ms;
	enum lb_check_status	 tout_status;	/* what the deadline means now */
	const char		*tout_desc;
	bool			 finished;
	struct lb_check_result	 result;
};

/*
 * New check of size bytes (>= sizeof(struct lb_check)), zeroed, deadline
 * armed at timeout_ms with status L4TOUT. Returns new or NULL.
 */
struct lb_check *lb_check_new(size_t size, struct event_base *base, int timeout_ms,
    void (*release)(struct lb_check *), lb_check_done_cb done, void *arg);
/* Name the phase a timeout would interrupt ("TLS handshake timeout", L6TOUT). */
void lb_check_phase(struct lb_check *c, enum lb_check_status tout_status, const char *tout_desc);
/*
 * End the check: record the result, release its I/O now and schedule the
 * done call (the check is freed just before it). Later calls are ignored.
 */
void lb_check_finish(struct lb_check *c, bool ok, enum lb_check_status status, int code,
    const char *fmt, ...) LB_PRINTF(5, 6);

/*
 * Non-blocking connect of a new socket to sa (check_tcp.c). connected runs
 * from the event loop with the connected descriptor, which it then owns; a
 * failure finishes c with L4CON (or SOCKERR) and connected is not called.
 * The caller's release must call lb_check_connect_release.
 */
struct lb_check_connect {
	struct lb_check	*c;
	int		 fd;
	struct event	*ev;
	void		(*connected)(struct lb_check *, int fd);
	int		 send_proxy;	/* hm->send_proxy: a PROXY header first (1 v1, 2 v2) */
};
void lb_check_connect(struct lb_check *c, struct lb_check_connect *cc,
    const struct sockaddr *sa, socklen_t salen, void (*connected)(struct lb_check *, int));
void lb_check_connect_release(struct lb_check_connect *cc);

/*
 * The TLS handshake step of HTTPS and TLS-HELLO checks (check_tls.c), over
 * a connected fd that it takes: SNI as ctx says, the session of the
 * member's last good check resumed (key: lb_check_tls_key). handshaken runs
 * with the SSL object and the descriptor, which it then owns; a failure
 * finishes c with L6RSP and the reason, and handshaken is not called. The
 * caller's release must call lb_check_tls_release.
 */
struct lb_check_tls {
	struct lb_check	*c;
	SSL		*ssl;
	int		 fd;
	uint64_t	 key;
	bool		 armed;
	struct event	 ev;
	void		(*handshaken)(struct lb_check *, SSL *ssl, int fd);
};
uint64_t lb_check_tls_key(const struct lb_member *m);
void lb_check_tls_handshake(struct lb_check *c, struct lb_check_tls *ct, int fd, SSL_CTX *ctx,
    uint64_t key, void (*handshaken)(struct lb_check *, SSL *, int));
void lb_check_tls_release(struct lb_check_tls *ct);
/*
 * After the check on ssl ended: keep its session for the next check of key
 * (close_notify is sent first: OpenSSL does not resume a session dropped
 * without it), or forget the member's session.
 */
void lb_check_tls_done(SSL *ssl, uint64_t key, bool keep);
/* The shared encrypt-only context and the sessions (lb_check_http_cleanup). */
void lb_check_tls_cleanup(void);

#endif
