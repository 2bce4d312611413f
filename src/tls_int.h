/*
 * tls_int.h: what tls.c (server contexts), tls_client.c (member contexts)
 * and tls_cert.c share and nobody else needs: the options every lbproxy
 * context carries, error reporting, and loading certificates, CAs and CRLs.
 */
#ifndef LB_TLS_INT_H
#define LB_TLS_INT_H

#include <openssl/ssl.h>

#include "lbproxy/util.h"

struct lb_diag;

#define LB_TLS_OPTIONS \
	(SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF)
/*
 * Partial writes and moving buffers are what libevent's openssl bufferevent
 * expects. Released buffers: an idle keep-alive connection does not hold
 * its record buffers (measured: 33 KB less per idle server connection, 2000
 * in-memory connections), for an allocation per read.
 * SSL_OP_IGNORE_UNEXPECTED_EOF: a peer closing without close_notify reads
 * as EOF (SSL_ERROR_ZERO_RETURN), not SSL_ERROR_SSL, so libevent reports
 * BEV_EVENT_EOF; HTTP framing catches truncated messages.
 */
#define LB_TLS_MODES \
	(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | \
	 SSL_MODE_RELEASE_BUFFERS)

/*
 * ALPN protocol names in the wire format into out (size bytes): the
 * length, or -1 with the error recorded against JSON path jp.
 */
int lb_tls_alpn_wire(const char *const *names, size_t count, const char *jp, unsigned char *out,
    size_t size, struct lb_diag *diag);
/* Record one configuration error in diag, or log it when diag is NULL. */
void lb_tls_diag_err(struct lb_diag *diag, const char *fmt, ...) LB_PRINTF(2, 3);
/*
 * Drain OpenSSL's error queue into one short reason (static or OpenSSL's
 * string): the system error if there was one, else the reason of the last
 * error. nopem, if not NULL, replaces PEM's "no start line".
 */
const char *lb_tls_ssl_reason(const char *nopem);
/*
 * Load a certificate chain and its key into ctx; keyfile NULL means the key
 * is in certfile. jpath/kjpath name the JSON fields in messages. 0 or -1
 * (reported).
 */
int lb_tls_load_cert(SSL_CTX *ctx, const char *jpath, const char *certfile,
    const char *kjpath, const char *keyfile, struct lb_diag *diag);
/*
 * Trust the certificates of ca_file in ctx's store and, with crl_file,
 * check every certificate of the chain against its CRLs (the flags
 * HAProxy's crl-file sets). Either file NULL: that part is skipped. The
 * JSON paths name the fields in messages. 0 or -1 (reported).
 */
int lb_tls_load_verify(SSL_CTX *ctx, const char *ca_jpath, const char *ca_file,
    const char *crl_jpath, const char *crl_file, struct lb_diag *diag);

#endif
