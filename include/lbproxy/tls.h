/*
 * tls.h: OpenSSL 3 contexts for the VIP (termination) and for HTTPS health
 * checks. One server SSL_CTX per config snapshot, shared by all workers
 * (OpenSSL's session cache is thread-safe), rebuilt on reload.
 */
#ifndef LB_TLS_H
#define LB_TLS_H

#include <openssl/ssl.h>

struct lb_tls_conf;
struct lb_diag;

/*
 * Build the server context: certificate chain + key (checked to match),
 * SNI certificates chosen by name (unknown/missing SNI -> default), Mozilla
 * intermediate defaults or the configured min_version/ciphers/ciphersuites,
 * ALPN http/1.1, session cache and rotating ticket keys. Returns a new ctx or
 * NULL with the reason recorded in diag ("vip.tls.certificate_file: ...").
 */
SSL_CTX *lb_tls_server_new(const struct lb_tls_conf *tc, struct lb_diag *diag);
/* Client context for HTTPS checks (no verification). Returns new or NULL. */
SSL_CTX *lb_tls_client_new(void);
/* Rotate ticket keys if due (call from a timer on the main thread). */
void lb_tls_rotate(SSL_CTX *ctx);

#endif
