/*
 * tls_cert.c: the client certificate of a terminated connection as HAProxy
 * 2.6's ssl_c_* sample fetches see it (see tls_cert.h for the formats).
 * Everything is read from the borrowed peer certificate into the caller's
 * buffers: no allocation, so a request pays only for the values its
 * listener inserts. X509_digest would allocate twice and take OpenSSL's
 * global name-map lock on every call (and allocate more for a certificate
 * that came back with a resumed session), and an EVP digest context
 * allocates again at every init in OpenSSL 3.0; so the SHA-1 is made with
 * the low-level SHA1 functions over the DER written to the stack.
 */
#include "config.h"

/* SHA1_Init and friends: deprecated in OpenSSL 3, and the only digest without allocation */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lbproxy/tls_cert.h"
#include "lbproxy/util.h"

/* Longest attribute name: a short name or a dotted OID (HAProxy's buffer size). */
#define ATTR_NAME_MAX	128
/* Longest DER certificate digested on the stack (X509_digest beyond). */
#define CERT_DER_MAX	16384

const char *const lb_tls_hdr_names[] = {
	[LB_TLS_HDR_CLIENT_VERIFY] = "X-SSL-Client-Verify",
	[LB_TLS_HDR_CLIENT_HAS_CERT] = "X-SSL-Client-Has-Cert",
	[LB_TLS_HDR_CLIENT_DN] = "X-SSL-Client-DN",
	[LB_TLS_HDR_CLIENT_CN] = "X-SSL-Client-CN",
	[LB_TLS_HDR_ISSUER] = "X-SSL-Issuer",
	[LB_TLS_HDR_CLIENT_SHA1] = "X-SSL-Client-SHA1",
	[LB_TLS_HDR_CLIENT_NOT_BEFORE] = "X-SSL-Client-Not-Before",
	[LB_TLS_HDR_CLIENT_NOT_AFTER] = "X-SSL-Client-Not-After",
};

/* Bounded output into a value buffer; overflow makes the value empty. */
struct out {
	char	*p;
	size_t	 len;
	size_t	 size;	/* with the NUL */
	bool	 full;
};

static void
out_init(struct out *o, char *buf, size_t size)
{
	o->p = buf;
	o->len = 0;
	o->size = size;
	o->full = false;
	buf[0] = '\0';
}

static void
out_byte(struct out *o, char c)
{
	if (o->len + 1 >= o->size) {
		o->full = true;
		return;
	}
	o->p[o->len++] = c;
}

/*
 * Append bytes as HAProxy writes a sample into a header: bytes 0x00-0x08,
 * 0x0a-0x1f and 0x7f as %XX, everything else (HTAB, '%', '"', UTF-8...) as is.
 */
static void
out_value(struct out *o, const unsigned char *s, size_t len)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			i;

	for (i = 0; i < len; i++) {
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
			out_byte(o, '%');
			out_byte(o, hex[s[i] >> 4]);
			out_byte(o, hex[s[i] & 0xf]);
		} else
			out_byte(o, (char)s[i]);
	}
}

/* Terminate; a value that did not fit is empty (HAProxy's fetch fails then). */
static void
out_end(struct out *o)
{
	if (o->full)
		o->len = 0;
	o->p[o->len] = '\0';
}

/* An attribute's name as HAProxy prints it: its short name, else i2t_ASN1_OBJECT's text. */
static const char *
attr_name(const X509_NAME_ENTRY *ne, char *tmp, size_t size)
{
	const ASN1_OBJECT	*obj = X509_NAME_ENTRY_get_object(ne);
	const char		*s;
	int			 nid = OBJ_obj2nid(obj);

	if (nid != NID_undef && (s = OBJ_nid2sn(nid)) != NULL)
		return s;
	if (OBJ_obj2txt(tmp, (int)size, obj, 0) < 0)
		tmp[0] = '\0';
	return tmp;
}

/* ssl_c_s_dn / ssl_c_i_dn: "/SN=value" for each attribute, in the certificate's order. */
static void
dn_oneline(const X509_NAME *name, char *buf, size_t size)
{
	const X509_NAME_ENTRY	*ne;
	const ASN1_STRING	*data;
	const char		*sn;
	char			 tmp[ATTR_NAME_MAX];
	struct out		 o;
	int			 i, n = X509_NAME_entry_count(name);

	out_init(&o, buf, size);
	for (i = 0; i < n; i++) {
		ne = X509_NAME_get_entry(name, i);
		data = X509_NAME_ENTRY_get_data(ne);
		sn = attr_name(ne, tmp, sizeof(tmp));
		out_byte(&o, '/');
		out_value(&o, (const unsigned char *)sn, strlen(sn));
		out_byte(&o, '=');
		out_value(&o, ASN1_STRING_get0_data(data), (size_t)ASN1_STRING_length(data));
	}
	out_end(&o);
}

/* The first attribute of name called field (case-insensitive), or NULL. */
static const ASN1_STRING *
dn_find(const X509_NAME *name, const char *field)
{
	const X509_NAME_ENTRY	*ne;
	char			 tmp[ATTR_NAME_MAX];
	int			 i, n = X509_NAME_entry_count(name);

	for (i = 0; i < n; i++) {
		ne = X509_NAME_get_entry(name, i);
		if (strcasecmp(attr_name(ne, tmp, sizeof(tmp)), field) == 0)
			return X509_NAME_ENTRY_get_data(ne);
	}
	return NULL;
}

/*
 * ssl_c_notbefore / ssl_c_notafter: the UTCTime as encoded ("YYMMDDhhmmssZ",
 * years 1950..1999 refused), or a GeneralizedTime of 20xx without "20".
 */
static void
asn1_date(const ASN1_TIME *t, char *buf, size_t size)
{
	const unsigned char	*d = ASN1_STRING_get0_data(t);
	int			 len = ASN1_STRING_length(t);
	struct out		 o;

	out_init(&o, buf, size);
	if (ASN1_STRING_type(t) == V_ASN1_GENERALIZEDTIME && len >= 12 &&
	    d[0] == '2' && d[1] == '0')
		out_value(&o, d + 2, (size_t)len - 2);
	else if (ASN1_STRING_type(t) == V_ASN1_UTCTIME && len >= 10 && d[0] < '5')
		out_value(&o, d, (size_t)len);
	out_end(&o);
}

/* The SHA-1 of x's DER into md (SHA_DIGEST_LENGTH bytes); 0 or -1. */
static int
cert_sha1(X509 *x, unsigned char *md)
{
	unsigned char	 der[CERT_DER_MAX], *p = der;
	unsigned int	 mdlen = 0;
	SHA_CTX		 sha;
	int		 len = i2d_X509(x, NULL);

	if (len > 0 && (size_t)len <= sizeof(der) && i2d_X509(x, &p) == len &&
	    SHA1_Init(&sha) == 1 && SHA1_Update(&sha, der, (size_t)len) == 1 &&
	    SHA1_Final(md, &sha) == 1)
		return 0;
	return X509_digest(x, EVP_sha1(), md, &mdlen) == 1 && mdlen == SHA_DIGEST_LENGTH ?
	    0 : -1;
}

void
lb_tls_cert_values(const SSL *ssl, struct lb_tls_cert_values *v)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 md[SHA_DIGEST_LENGTH];
	unsigned int		 i;
	const ASN1_STRING	*cn;
	X509			*x;
	struct out		 o;

	memset(v, 0, offsetof(struct lb_tls_cert_values, dn));
	v->dn[0] = v->cn[0] = v->issuer[0] = '\0';
	if (ssl == NULL)
		return;
	snprintf(v->verify, sizeof(v->verify), "%ld", lb_tls_cert_verify(ssl));
	x = SSL_get0_peer_certificate(ssl);
	v->has_cert[0] = x != NULL ? '1' : '0';
	if (x == NULL)
		return;
	dn_oneline(X509_get_subject_name(x), v->dn, sizeof(v->dn));
	dn_oneline(X509_get_issuer_name(x), v->issuer, sizeof(v->issuer));
	if ((cn = dn_find(X509_get_subject_name(x), "CN")) != NULL) {
		out_init(&o, v->cn, sizeof(v->cn));
		out_value(&o, ASN1_STRING_get0_data(cn), (size_t)ASN1_STRING_length(cn));
		out_end(&o);
	}
	if (cert_sha1(x, md) == 0) {
		for (i = 0; i < sizeof(md); i++) {
			v->sha1[2 * i] = hex[md[i] >> 4];
			v->sha1[2 * i + 1] = hex[md[i] & 0xf];
		}
		v->sha1[2 * sizeof(md)] = '\0';
	}
	asn1_date(X509_get0_notBefore(x), v->not_before, sizeof(v->not_before));
	asn1_date(X509_get0_notAfter(x), v->not_after, sizeof(v->not_after));
}

const char *
lb_tls_cert_value(const struct lb_tls_cert_values *v, enum lb_tls_hdr h)
{
	switch (h) {
	case LB_TLS_HDR_CLIENT_VERIFY:
		return v->verify;
	case LB_TLS_HDR_CLIENT_HAS_CERT:
		return v->has_cert;
	case LB_TLS_HDR_CLIENT_DN:
		return v->dn;
	case LB_TLS_HDR_CLIENT_CN:
		return v->cn;
	case LB_TLS_HDR_ISSUER:
		return v->issuer;
	case LB_TLS_HDR_CLIENT_SHA1:
		return v->sha1;
	case LB_TLS_HDR_CLIENT_NOT_BEFORE:
		return v->not_before;
	case LB_TLS_HDR_CLIENT_NOT_AFTER:
		return v->not_after;
	case LB_TLS_HDR_MAX:
		break;
	}
	return "";
}

bool
lb_tls_cert_used(const SSL *ssl)
{
	return ssl != NULL && SSL_get0_peer_certificate(ssl) != NULL;
}

long
lb_tls_cert_verify(const SSL *ssl)
{
	return ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
}

ssize_t
lb_tls_cert_dn_field(const SSL *ssl, const char *field, char *buf, size_t size)
{
	const ASN1_STRING	*s;
	X509			*x;
	size_t			 len;

	if (size > 0)
		buf[0] = '\0';
	if (ssl == NULL || (x = SSL_get0_peer_certificate(ssl)) == NULL ||
	    (s = dn_find(X509_get_subject_name(x), field)) == NULL)
		return -1;
	len = (size_t)ASN1_STRING_length(s);
	if (len >= size)
		return -1;
	memcpy(buf, ASN1_STRING_get0_data(s), len);
	buf[len] = '\0';
	return (ssize_t)len;
}

bool
lb_tls_cert_pp(const SSL *ssl, struct lb_tls_cert_pp *pp)
{
	X509		*x = SSL_get0_peer_certificate(ssl);
	EVP_PKEY	*key;
	const char	*kind = NULL, *sn;
	ssize_t		 n;

	pp->cn[0] = pp->key_alg[0] = '\0';
	pp->sig_alg = "";
	if (x == NULL)
		return false;
	n = lb_tls_cert_dn_field(ssl, "CN", pp->cn, sizeof(pp->cn));
	if (n < 0 || memchr(pp->cn, '\0', (size_t)n) != NULL)
		pp->cn[0] = '\0';
	if ((key = X509_get0_pubkey(x)) != NULL) {
		switch (EVP_PKEY_get_base_id(key)) {
		case EVP_PKEY_RSA:	kind = "RSA"; break;
		case EVP_PKEY_EC:	kind = "EC"; break;
		case EVP_PKEY_DSA:	kind = "DSA"; break;
		}
		if (kind != NULL)
			snprintf(pp->key_alg, sizeof(pp->key_alg), "%s%d", kind,
			    EVP_PKEY_get_bits(key));
	}
	if ((sn = OBJ_nid2sn(X509_get_signature_nid(x))) != NULL)
		pp->sig_alg = sn;
	return true;
}
