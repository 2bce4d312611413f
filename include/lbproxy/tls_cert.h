/*
 * tls_cert.h: what a terminating listener knows about its client's
 * certificate, in the exact bytes HAProxy 2.6 puts in the X-SSL-* headers of
 * Octavia's template and matches in its SSL_* L7 rules:
 *
 *	http-request set-header X-SSL-Client-Verify %[ssl_c_verify]
 *	http-request set-header X-SSL-Client-Has-Cert %[ssl_c_used]
 *	http-request set-header X-SSL-Client-DN %{+Q}[ssl_c_s_dn]
 *	http-request set-header X-SSL-Client-CN %{+Q}[ssl_c_s_dn(cn)]
 *	http-request set-header X-SSL-Issuer %{+Q}[ssl_c_i_dn]
 *	http-request set-header X-SSL-Client-SHA1 %{+Q}[ssl_c_sha1,hex]
 *	http-request set-header X-SSL-Client-Not-Before %{+Q}[ssl_c_notbefore]
 *	http-request set-header X-SSL-Client-Not-After %{+Q}[ssl_c_notafter]
 *
 * In a header value HAProxy 2.6 does not quote (the +Q of an HTTP action's
 * expression is not applied); it writes control characters other than HTAB
 * as %XX, every other byte of the certificate's strings as it is. A DN is
 * "/C=US/O=Example/CN=www" in the certificate's order (short names, dotted
 * OIDs for unnamed attributes), dates are the certificate's UTCTime
 * "YYMMDDhhmmssZ" (GeneralizedTime 20xx without its century), the SHA-1 of
 * the DER certificate is upper-case hex. Without a certificate (or a value
 * HAProxy cannot fetch) the value is empty; Verify and Has-Cert are numbers
 * (0 verified or no certificate, else the X509_V_ERR_* code; 1 or 0).
 */
#ifndef LB_TLS_CERT_H
#define LB_TLS_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

/* The headers, in the template's order. */
enum lb_tls_hdr {
	LB_TLS_HDR_CLIENT_VERIFY,
	LB_TLS_HDR_CLIENT_HAS_CERT,
	LB_TLS_HDR_CLIENT_DN,
	LB_TLS_HDR_CLIENT_CN,
	LB_TLS_HDR_ISSUER,
	LB_TLS_HDR_CLIENT_SHA1,
	LB_TLS_HDR_CLIENT_NOT_BEFORE,
	LB_TLS_HDR_CLIENT_NOT_AFTER,
	LB_TLS_HDR_MAX,
};
/* Octavia's insert_headers keys and the header names: [LB_TLS_HDR_ISSUER] = "X-SSL-Issuer". */
extern const char *const lb_tls_hdr_names[];

/* Longest DN, CN or issuer value kept, with its NUL; a longer one is empty. */
#define LB_TLS_DN_MAX	1024

struct lb_tls_cert_values {
	char	verify[12];
	char	has_cert[2];
	char	sha1[41];
	char	not_before[32];
	char	not_after[32];
	char	dn[LB_TLS_DN_MAX];
	char	cn[LB_TLS_DN_MAX];
	char	issuer[LB_TLS_DN_MAX];
};

/*
 * Fill v from the connection ssl terminated (NULL: every value empty), with
 * no allocation and no lock: the peer certificate is borrowed, its SHA-1
 * made on the stack.
 */
void lb_tls_cert_values(const SSL *ssl, struct lb_tls_cert_values *v);
/* The value of header h in v (borrowed from v). */
const char *lb_tls_cert_value(const struct lb_tls_cert_values *v, enum lb_tls_hdr h);

/* SSL_CONN_HAS_CERT (ssl_c_used): the client sent a certificate (now or in the resumed session). */
bool lb_tls_cert_used(const SSL *ssl);
/* SSL_VERIFY_RESULT (ssl_c_verify): X509_V_OK (0) or the verification error. */
long lb_tls_cert_verify(const SSL *ssl);
/*
 * SSL_DN_FIELD (ssl_c_s_dn(field)): the raw bytes of the first attribute of
 * the client certificate's subject whose short name (or dotted OID) is
 * field, case-insensitively ("CN", "ou", "emailAddress"), NUL-terminated in
 * buf. Returns its length (it may hold NULs), or -1: no certificate, no such
 * attribute, or longer than size - 1.
 */
ssize_t lb_tls_cert_dn_field(const SSL *ssl, const char *field, char *buf, size_t size);

/*
 * What HAProxy 2.6's send-proxy-v2-ssl-cn (with proxy-v2-options cert-key,
 * cert-sig) says of the client certificate in the PP2_TYPE_SSL TLV: the
 * subject's first CN ("" if none or not printable as is), the key algorithm
 * ("RSA2048", "EC256", "DSA2048"; "" for another kind) and the signature
 * algorithm's short name ("RSA-SHA256", "ecdsa-with-SHA256"). Returns false,
 * leaving them empty, when the client presented no certificate.
 */
struct lb_tls_cert_pp {
	char		 cn[256];
	char		 key_alg[16];
	const char	*sig_alg;	/* static (OBJ_nid2sn), or "" */
};
bool lb_tls_cert_pp(const SSL *ssl, struct lb_tls_cert_pp *pp);

#endif
