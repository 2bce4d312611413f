/*
 * tls.h: OpenSSL 3 contexts for the VIP (termination) and for HTTPS health
 * checks. One server SSL_CTX per config snapshot, shared by all workers
 * (OpenSSL's session cache is thread-safe), rebuilt on reload.
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
/* Client context for HTTPS checks (no verification). Returns new or NULL. */
SSL_CTX *lb_tls_client_new(void);
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

#endif
