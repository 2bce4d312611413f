/* session.h: one client connection on a worker, from accept to close. */
#ifndef LB_SESSION_H
#define LB_SESSION_H

#include <sys/socket.h>

struct lb_session;
struct lb_worker_ctx;

/* Why a session ended (logged, counted). */
enum lb_close_reason {
	LB_CLOSE_DONE,		/* both directions finished */
	LB_CLOSE_CLIENT_ERR,	/* client reset or I/O error */
	LB_CLOSE_CLIENT_TIMEOUT,
	LB_CLOSE_SERVER_ERR,
	LB_CLOSE_SERVER_TIMEOUT,
	LB_CLOSE_NO_MEMBER,	/* nothing eligible, or all retries failed */
	LB_CLOSE_PROTO,		/* protocol error (bad request/response) */
	LB_CLOSE_TLS,		/* handshake failed or timed out */
	LB_CLOSE_SHUTDOWN,	/* fast stop or drain deadline */
	LB_CLOSE_NOMEM,
};
extern const char *const lb_close_reason_names[];

#endif
