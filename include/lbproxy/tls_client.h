/*
 * tls_client.h: TLS towards members (pools with tls_enabled, HTTPS and
 * TLS-HELLO health checks). One client SSL_CTX per pool and config
 * snapshot, built from Octavia's pool fields, shared by all threads; one
 * session cache per thread that keeps the last resumable session of each
 * member, so threads never share a lock and most member handshakes are
 * resumptions (no certificate signature on either side).
 */
#ifndef LB_TLS_CLIENT_H
#define LB_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct lb_diag;
struct lb_tls_sess_cache;

/*
 * A pool's TLS settings (strings borrowed for the call). Without ca_file the
 * member's certificate is not verified (encrypt only, as Octavia's
 * "verify none"); with it, the chain must verify against ca_file (and
 * crl_file), and when a host name is sent as SNI the certificate must match
 * it (HAProxy checks the SNI it sends the same way).
 */
struct lb_tls_client_params {
	const char		*jpath;		/* "pools[1]", for messages */
	const char		*ca_file;	/* tls.ca_file: verify the member */
	const char		*crl_file;	/* tls.crl_file: needs ca_file */
	const char		*certificate_file; /* tls.certificate_file: ours (a chain) */
	const char		*private_key_file; /* NULL: the key is in certificate_file */
	const char		*sni;		/* server name if the caller gives none, or NULL */
	int			 min_version;	/* TLS1_2_VERSION when 0 */
	int			 max_version;	/* 0: the library's highest */
	const char		*ciphers;	/* tls_ciphers (TLS <= 1.2); NULL: OpenSSL's */
	const char		*ciphersuites;	/* TLS 1.3 suites; NULL: OpenSSL's */
	const char *const	*alpn;		/* alpn_protocols: "h2", "http/1.1" ... */
	size_t			 n_alpn;	/* 0: no ALPN extension */
};

/*
 * New client context from p, or, with p NULL, the encrypt-only context of
 * HTTPS checks that are given none (TLS 1.2+, ALPN http/1.1). Returns a new
 * ctx (SSL_CTX_free) or NULL with every problem recorded in diag (NULL:
 * logged).
 */
SSL_CTX *lb_tls_client_new(const struct lb_tls_client_params *p, struct lb_diag *diag);
/* The SNI name of p (borrowed from ctx), or NULL. */
const char *lb_tls_client_sni(const SSL_CTX *ctx);
/* Whether ctx verifies the member's certificate. */
bool lb_tls_client_verifies(const SSL_CTX *ctx);

/*
 * A new SSL in connect state for one member connection: SNI (sni, else the
 * context's; IP literals are never sent) and, when sc is given, the
 * session last saved for member uid and that SNI with this very context,
 * to resume (a session made for another name is never offered: it would
 * skip the name check).
 * No allocation of ours (OpenSSL's only). Returns new or NULL.
 */
SSL *lb_tls_client_ssl(SSL_CTX *ctx, const char *sni, struct lb_tls_sess_cache *sc,
    uint64_t uid);

/*
 * The per-thread session cache: an open-addressing table (member uid, SNI
 * sent) -> SSL_SESSION (one reference held). Only its own thread may use it. It grows
 * (allocates) only when a member is seen for the first time; expired
 * sessions are dropped when it would grow.
 */
struct lb_tls_sess_cache *lb_tls_sess_cache_new(void);
void lb_tls_sess_cache_free(struct lb_tls_sess_cache *sc);	/* NULL is fine */
/*
 * Keep ssl's session for member uid and ssl's SNI if it can be resumed (TLS 1.3: once a
 * ticket has arrived, i.e. after the first read). Returns 0 if kept, -1 if
 * not (the previous one stays).
 */
int lb_tls_sess_save(struct lb_tls_sess_cache *sc, uint64_t uid, SSL *ssl);
/* Forget the session for uid and ssl's SNI (a handshake with it failed). */
void lb_tls_sess_forget(struct lb_tls_sess_cache *sc, uint64_t uid, const SSL *ssl);
/* Sessions held (tests, stats). */
size_t lb_tls_sess_count(const struct lb_tls_sess_cache *sc);

#endif
