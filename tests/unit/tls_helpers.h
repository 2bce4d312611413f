/*
 * tls_helpers.h: a throwaway PKI for the TLS unit tests (a CA, another CA,
 * leaf certificates signed by it, a CRL) written with the OpenSSL API into
 * a private temporary directory, and in-memory handshakes over BIO pairs.
 */
#ifndef LB_TEST_TLS_HELPERS_H
#define LB_TEST_TLS_HELPERS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

enum pki_file {
	PKI_CA,			/* CA certificate "/C=US/O=lbproxy test/CN=Test CA" */
	PKI_CA2,		/* another CA, "/CN=Other CA" */
	PKI_SERVER,		/* member.test (SAN member.test, 127.0.0.1) by CA: cert + key */
	PKI_SERVER_SELF,	/* self-signed member.test: cert + key */
	PKI_SERVER_EXPIRED,	/* member.test by CA, expired yesterday: cert + key */
	PKI_SERVER_SNI,		/* sni.test by CA: cert + key */
	PKI_CLIENT,		/* "client one" by CA, the template's every field: cert + key */
	PKI_CLIENT_CERT,	/* the same certificate alone */
	PKI_CLIENT_KEY,		/* its key alone */
	PKI_CLIENT_EXPIRED,	/* "/CN=expired" by CA, expired: cert + key */
	PKI_CLIENT_REVOKED,	/* "/CN=revoked" by CA, in PKI_CRL: cert + key */
	PKI_CLIENT_WRONG,	/* "/CN=wrong" by CA2: cert + key */
	PKI_CRL,		/* CA's CRL revoking PKI_CLIENT_REVOKED */
	PKI_CRL_EMPTY,		/* CA's CRL revoking nothing */
	PKI_CRL_VALID,		/* CA's CRL revoking PKI_CLIENT (for the reload test) */
	PKI_GARBAGE,		/* not PEM */
	PKI_MAX,
};

/* Path of a PKI file (valid after pki_setup). */
const char *pki_path(enum pki_file f);
/* Make the files; returns 0 or -1 (a cmocka group setup). */
int pki_setup(void **state);
int pki_teardown(void **state);

/* A scratch file name beside them (i < 8), removed by pki_teardown. */
const char *pki_tmp(int i);
/* Copy file from to to (both paths). */
void pki_copy(const char *from, const char *to);
/* A self-signed certificate of subject for key, valid from yesterday for 30 days. */
X509 *pki_self_signed(EVP_PKEY *key, X509_NAME *subject);

/* Count OpenSSL's allocations from now on: first thing in main, before OpenSSL allocates. */
void ossl_count_init(void);
unsigned long ossl_allocs(void);

/* What one in-memory connection did. */
struct hs {
	bool		ok;		/* both sides finished the handshake */
	bool		resumed;
	int		client_err;	/* SSL_get_error of a failed side */
	int		server_err;
	long		client_verify;	/* SSL_get_verify_result on the client */
	char		alpn[32];	/* selected */
	char		sni[64];	/* seen by the server */
};

/*
 * Handshake c (connect state) with s (accept state) over a BIO pair, then a
 * byte each way (the client takes in TLS 1.3 tickets). The SSL objects stay
 * with the caller; close_notify is exchanged when both succeeded.
 */
void hs_run(SSL *c, SSL *s, struct hs *r);
/* A server context for f (cert + key in one file), verifying nothing. */
SSL_CTX *hs_server_ctx(enum pki_file f);

#endif
