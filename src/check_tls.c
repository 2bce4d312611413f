/*
 * check_tls.c: the TLS handshake of HTTPS checks, and the TLS-HELLO check
 * that is nothing but that handshake. A check handshakes with its pool's
 * client context (so a member whose certificate does not verify fails its
 * checks, with the verification error as reason) or with a shared
 * encrypt-only one. Each member's last good session is resumed by its next
 * check, as HAProxy does, from one session cache: checks all run on the
 * main thread.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "lbproxy/config.h"
#include "lbproxy/member.h"
#include "lbproxy/tls.h"
#include "lbproxy/tls_client.h"

#include "check.h"

/* Made on first use; freed by lb_check_tls_cleanup. */
static SSL_CTX				*shared_ctx;
static struct lb_tls_sess_cache		*sessions;

uint64_t
lb_check_tls_key(const struct lb_member *m)
{
	return lb_hash64(&m->check_addr, m->check_addrlen, m->hkey);
}

void
lb_check_tls_cleanup(void)
{
	lb_tls_sess_cache_free(sessions);
	sessions = NULL;
	SSL_CTX_free(shared_ctx);
	shared_ctx = NULL;
}

void
lb_check_tls_release(struct lb_check_tls *ct)
{
	if (ct->armed)
		event_del(&ct->ev);
	ct->armed = false;
	SSL_free(ct->ssl);
	ct->ssl = NULL;
	if (ct->fd != -1)
		close(ct->fd);
	ct->fd = -1;
	ERR_clear_error();
}

void
lb_check_tls_done(SSL *ssl, uint64_t key, bool keep)
{
	if (sessions == NULL)
		return;
	if (keep && SSL_is_init_finished(ssl)) {
		(void)SSL_shutdown(ssl);
		ERR_clear_error();
		if (lb_tls_sess_save(sessions, key, ssl) == 0)
			return;
	}
	if (!keep)
		lb_tls_sess_forget(sessions, key, ssl);
}

static void handshake_cb(evutil_socket_t, short, void *);

/* One handshake step; waits for the direction OpenSSL asks for. */
static void
handshake_step(struct lb_check_tls *ct)
{
	struct lb_tls_error	 te;
	char			 why[128];
	SSL			*ssl;
	int			 r, e, sys, fd;
	short			 what;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(ct->ssl);
	sys = errno;
	if (r == 1) {
		ssl = ct->ssl;
		fd = ct->fd;
		ct->ssl = NULL;
		ct->fd = -1;
		ct->handshaken(ct->c, ssl, fd);
		return;
	}
	e = SSL_get_error(ct->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		what = e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE;
		if (event_assign(&ct->ev, ct->c->base, ct->fd, what, handshake_cb, ct) == 0 &&
		    event_add(&ct->ev, NULL) == 0) {
			ct->armed = true;
			return;
		}
		lb_check_finish(ct->c, false, LB_CHK_SOCKERR, 0, "cannot add TLS event");
		return;
	}
	lb_tls_error_get(ct->ssl, e, sys, &te);
	if (sessions != NULL)
		lb_tls_sess_forget(sessions, ct->key, ct->ssl);
	lb_check_finish(ct->c, false, LB_CHK_L6RSP, 0, "%s",
	    lb_tls_error_text(&te, why, sizeof(why)));
}

static void
handshake_cb(evutil_socket_t fd LB_UNUSED, short what LB_UNUSED, void *arg)
{
	struct lb_check_tls *ct = arg;

	ct->armed = false;
	handshake_step(ct);
}

void
lb_check_tls_handshake(struct lb_check *c, struct lb_check_tls *ct, int fd, SSL_CTX *ctx,
    uint64_t key, void (*handshaken)(struct lb_check *, SSL *, int))
{
	ct->c = c;
	ct->fd = fd;
	ct->key = key;
	ct->armed = false;
	ct->handshaken = handshaken;
	if (ctx == NULL) {
		if (shared_ctx == NULL)
			shared_ctx = lb_tls_client_new(NULL, NULL);
		ctx = shared_ctx;
	}
	if (sessions == NULL)
		sessions = lb_tls_sess_cache_new();
	ct->ssl = ctx != NULL ? lb_tls_client_ssl(ctx, NULL, sessions, key) : NULL;
	if (ct->ssl == NULL || SSL_set_fd(ct->ssl, fd) != 1) {
		lb_check_finish(c, false, LB_CHK_SOCKERR, 0, "cannot create TLS client");
		return;
	}
	lb_check_phase(c, LB_CHK_L6TOUT, "TLS handshake timeout");
	handshake_step(ct);
}

/* ---- TLS-HELLO ------------------------------------------------------------ */

struct tls_check {
	struct lb_check		 c;	/* first: the check is freed through it */
	struct lb_check_connect	 cc;
	struct lb_check_tls	 ct;
	SSL_CTX			*ctx;	/* referenced, or NULL: the shared one */
};

static void
tls_release(struct lb_check *c)
{
	struct tls_check *tc = (struct tls_check *)c;

	lb_check_connect_release(&tc->cc);
	lb_check_tls_release(&tc->ct);
	SSL_CTX_free(tc->ctx);
	tc->ctx = NULL;
}

/* The handshake completed: that is the whole check. */
static void
tls_handshaken(struct lb_check *c, SSL *ssl, int fd)
{
	struct tls_check	*tc = (struct tls_check *)c;
	const char		*version = SSL_get_version(ssl);
	bool			 resumed = SSL_session_reused(ssl) == 1;

	lb_check_tls_done(ssl, tc->ct.key, true);
	SSL_free(ssl);
	close(fd);
	lb_check_finish(c, true, LB_CHK_L6OK, 0, "TLS handshake done (%s%s)", version,
	    resumed ? ", resumed" : "");
}

static void
tls_connected(struct lb_check *c, int fd)
{
	struct tls_check *tc = (struct tls_check *)c;

	lb_check_tls_handshake(c, &tc->ct, fd, tc->ctx, tc->ct.key, tls_handshaken);
}

struct lb_check *
lb_check_tls_start(struct event_base *base, const struct lb_member *m,
    const struct lb_hm_conf *hm LB_UNUSED, SSL_CTX *ctx, int timeout_ms,
    lb_check_done_cb done, void *arg)
{
	struct tls_check *tc;

	tc = (struct tls_check *)lb_check_new(sizeof(*tc), base, timeout_ms, tls_release,
	    done, arg);
	if (tc == NULL)
		return NULL;
	tc->cc.fd = -1;
	tc->ct.fd = -1;
	tc->ct.key = lb_check_tls_key(m);
	tc->cc.send_proxy = hm->send_proxy;
	if (ctx != NULL) {
		(void)SSL_CTX_up_ref(ctx);
		tc->ctx = ctx;
	}
	lb_check_connect(&tc->c, &tc->cc, (const struct sockaddr *)&m->check_addr, m->check_addrlen,
	    tls_connected);
	return &tc->c;
}
