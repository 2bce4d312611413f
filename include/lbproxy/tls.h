/*
 * tls.h: OpenSSL 3 contexts for the VIP (termination, client certificates)
 * and what a failed handshake is called. One server SSL_CTX per listener and
 * config snapshot, shared by all workers (OpenSSL's session cache is
 * thread-safe), rebuilt on reload. Contexts towards members are in
 * tls_client.h, the client certificate's values in tls_cert.h.
 */
#ifndef LB_TLS_H
#define LB_TLS_H

#include <stdint.h>
#include <openssl/ssl.h>

struct lb_tls_conf;
struct lb_diag;

/*
 * A session ticket key encrypts new tickets for this long before
 * lb_tls_rotate replaces it; the two keys before it still decrypt (and the
 * ticket is then renewed under the current key).
 */
#define LB_TLS_TICKET_ROTATE_MS	(60 * 60 * 1000)

/*
 * Build the server context: certificate chain + key (checked to match),
 * SNI certificates chosen by name (unknown/missing SNI -> default), Mozilla
 * intermediate defaults or the configured min_version/ciphers/ciphersuites,
 * ALPN http/1.1, session cache and rotating ticket keys. Returns a new ctx or
 * NULL with the reason recorded in diag ("vip.tls.certificate_file: ...");
 * every problem found is recorded, one line each. diag NULL: logged instead.
 */
SSL_CTX *lb_tls_server_new(const struct lb_tls_conf *tc, struct lb_diag *diag);
/*
 * client_authentication of a terminating listener, as Octavia names it and
 * as HAProxy's "verify none|optional|required" does it: OPTIONAL asks for a
 * certificate and, when one is sent, it must verify (else the handshake
 * fails, as HAProxy's does without crt-ignore-err); MANDATORY also fails
 * the handshake without one.
 */
enum lb_tls_client_auth {
	LB_TLS_AUTH_NONE,
	LB_TLS_AUTH_OPTIONAL,
	LB_TLS_AUTH_MANDATORY,
};
extern const char *const lb_tls_client_auth_names[];	/* [LB_TLS_AUTH_NONE] = "NONE" */

/* What a terminating listener asks of its clients' certificates (strings borrowed). */
struct lb_tls_auth_params {
	const char		*jpath;		/* "listeners[0]", for messages */
	enum lb_tls_client_auth	 mode;
	const char		*ca_file;	/* client_ca_file: required unless mode is NONE */
	const char		*crl_file;	/* client_crl_file, or NULL */
};

/*
 * Make ctx (from lb_tls_server_new, not yet handed to workers) and its SNI
 * contexts ask for client certificates per p: verify mode, the trusted CAs
 * (also the names sent in the CertificateRequest), the CRL checked for
 * every certificate of the chain. The session id context becomes a digest
 * of the mode and the two files' bytes, so a session verified under another
 * CA or CRL is never resumed: a reload that brings a new CRL (a new context
 * built from the files, lb_tls_keep_tickets from the old one) makes
 * revoked clients verify again. Mode NONE changes nothing. Returns 0, or -1
 * with every problem recorded in diag (NULL: logged).
 */
int lb_tls_server_set_client_auth(SSL_CTX *ctx, const struct lb_tls_auth_params *p,
    struct lb_diag *diag);
/*
 * A terminating listener's context: lb_tls_server_new, then the client
 * authentication tc asks for (jpath names the listener in messages).
 */
SSL_CTX *lb_tls_listener_new(const struct lb_tls_conf *tc, const char *jpath, struct lb_diag *diag);
/* Rotate ticket keys if due (call from a timer on the main thread). */
void lb_tls_rotate(SSL_CTX *ctx);
/*
 * lb_tls_rotate with an explicit age: make a new current ticket key if the
 * current one is at least max_age_ms old (0 forces a rotation; tests use
 * this). Returns 1 if a key was made, 0 if not (not due, or not our ctx).
 */
int lb_tls_rotate_after(SSL_CTX *ctx, uint64_t max_age_ms);
/*
 * Make ctx (from lb_tls_server_new, not yet handed to workers) use old's
 * ticket keys, so tickets issued before a reload still resume after it.
 * Both contexts stay owned by the caller; old may be NULL (no-op).
 */
void lb_tls_keep_tickets(SSL_CTX *ctx, const SSL_CTX *old);

/* Why a handshake failed, client or server side. */
enum lb_tls_result {
	LB_TLS_OK,		/* no failure (or not TLS) */
	LB_TLS_VERIFY,		/* the peer's certificate did not verify: see code */
	LB_TLS_NO_CERT,		/* a certificate was required and the peer sent none */
	LB_TLS_HANDSHAKE,	/* protocol error or alert from the peer: see err */
	LB_TLS_CLOSED,		/* the peer closed the connection during the handshake */
	LB_TLS_IO,		/* socket error: see code */
};
extern const char *const lb_tls_result_names[];	/* [LB_TLS_VERIFY] = "VERIFY" ... */

struct lb_tls_error {
	unsigned long		err;	/* the first OpenSSL error of the failure, or 0 */
	enum lb_tls_result	result;
	int			code;	/* X509_V_ERR_* with LB_TLS_VERIFY, errno with LB_TLS_IO */
};

/*
 * Name the failure of an SSL_do_handshake (or SSL_read/SSL_write) on ssl
 * that returned SSL_get_error code ssl_err (not a WANT_*), with errno as it
 * was; the OpenSSL error queue is consumed. No allocation.
 */
void lb_tls_error_get(const SSL *ssl, int ssl_err, int sys_errno, struct lb_tls_error *e);
/*
 * e as one line for logs and check reasons, into buf: "TLS handshake
 * failed: certificate verify failed: certificate has expired", "connection
 * closed during TLS handshake" ... Returns buf.
 */
const char *lb_tls_error_text(const struct lb_tls_error *e, char *buf, size_t size);

#endif
