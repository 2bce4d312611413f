/*
 * test_tls_cert.c: the client certificate values of src/tls_cert.c, byte for
 * byte as HAProxy 2.6 writes them into Octavia's X-SSL-* headers (the
 * strings below were read from HAProxy 2.6.12 forwarding the same kinds of
 * certificates; tests/e2e/t_tls_client_cert_haproxy.sh compares with it
 * live), over in-memory handshakes with the PKI of tls_helpers.c.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lbproxy/tls_cert.h"
#include "lbproxy/util.h"

#include "tls_helpers.h"

/* Accept any client certificate: the values of unverifiable ones are tested too. */
static int
accept_any(LB_UNUSED int ok, LB_UNUSED X509_STORE_CTX *x)
{
	return 1;
}

/* A finished server connection whose client presented x/key (NULL: nothing). */
struct conn {
	SSL_CTX	*sctx;
	SSL_CTX	*cctx;
	SSL	*s;
	SSL	*c;
};

static void
conn_open(struct conn *k, X509 *x, EVP_PKEY *key, bool verify_ca, SSL_SESSION *resume)
{
	struct hs r;

	k->sctx = hs_server_ctx(PKI_SERVER);
	if (verify_ca) {
		assert_int_equal(SSL_CTX_load_verify_file(k->sctx, pki_path(PKI_CA)), 1);
		SSL_CTX_set_verify(k->sctx, SSL_VERIFY_PEER, NULL);
	} else
		SSL_CTX_set_verify(k->sctx, SSL_VERIFY_PEER, accept_any);
	k->cctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(k->cctx);
	if (x != NULL) {
		assert_int_equal(SSL_CTX_use_certificate(k->cctx, x), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(k->cctx, key), 1);
	}
	k->c = SSL_new(k->cctx);
	k->s = SSL_new(k->sctx);
	SSL_set_connect_state(k->c);
	SSL_set_accept_state(k->s);
	if (resume != NULL)
		assert_int_equal(SSL_set_session(k->c, resume), 1);
	hs_run(k->c, k->s, &r);
	assert_true(r.ok);
}

static void
conn_close(struct conn *k)
{
	SSL_free(k->c);
	SSL_free(k->s);
	SSL_CTX_free(k->cctx);
	SSL_CTX_free(k->sctx);
}

static X509 *
pem_cert(enum pki_file f)
{
	FILE	*fp = fopen(pki_path(f), "r");
	X509	*x;

	assert_non_null(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	return x;
}

static EVP_PKEY *
pem_key(enum pki_file f)
{
	FILE		*fp = fopen(pki_path(f), "r");
	EVP_PKEY	*k;

	assert_non_null(fp);
	k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(k);
	return k;
}

/* The certificate's own SHA-1, in upper-case hex, and its dates as encoded. */
static void
expect_derived(const struct lb_tls_cert_values *v, X509 *x)
{
	unsigned char	md[20];
	unsigned int	len, i;
	char		hex[41];

	assert_int_equal(X509_digest(x, EVP_sha1(), md, &len), 1);
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02X", md[i]);
	assert_string_equal(v->sha1, hex);
	assert_string_equal(v->not_before,
	    (const char *)ASN1_STRING_get0_data(X509_get0_notBefore(x)));
	assert_string_equal(v->not_after,
	    (const char *)ASN1_STRING_get0_data(X509_get0_notAfter(x)));
}

/* The template's fields of a verified certificate, and the rule lookups. */
static void
test_values(LB_UNUSED void **state)
{
	struct lb_tls_cert_values	 v;
	struct conn			 k;
	X509				*x = pem_cert(PKI_CLIENT);
	EVP_PKEY			*key = pem_key(PKI_CLIENT);
	char				 buf[64];
	unsigned long			 before;

	conn_open(&k, x, key, true, NULL);
	before = ossl_allocs();
	lb_tls_cert_values(k.s, &v);
	assert_int_equal(ossl_allocs(), before);
	assert_string_equal(lb_tls_cert_value(&v, LB_TLS_HDR_CLIENT_VERIFY), "0");
	assert_string_equal(lb_tls_cert_value(&v, LB_TLS_HDR_CLIENT_HAS_CERT), "1");
	assert_string_equal(lb_tls_cert_value(&v, LB_TLS_HDR_CLIENT_DN),
	    "/C=US/ST=CA/O=Example, Inc./OU=Eng/CN=client one/emailAddress=a@b.c");
	assert_string_equal(lb_tls_cert_value(&v, LB_TLS_HDR_CLIENT_CN), "client one");
	assert_string_equal(lb_tls_cert_value(&v, LB_TLS_HDR_ISSUER),
	    "/C=US/O=lbproxy test/CN=Test CA");
	assert_int_equal(strlen(v.sha1), 40);
	expect_derived(&v, x);
	assert_int_equal(strlen(v.not_before), 13);	/* UTCTime YYMMDDhhmmssZ */
	assert_string_equal(lb_tls_cert_value(&v, LB_TLS_HDR_CLIENT_SHA1), v.sha1);
	assert_string_equal(lb_tls_cert_value(&v, LB_TLS_HDR_CLIENT_NOT_BEFORE), v.not_before);
	assert_string_equal(lb_tls_cert_value(&v, LB_TLS_HDR_CLIENT_NOT_AFTER), v.not_after);
	assert_string_equal(lb_tls_cert_value(&v, LB_TLS_HDR_MAX), "");
	assert_string_equal(lb_tls_hdr_names[LB_TLS_HDR_CLIENT_NOT_AFTER],
	    "X-SSL-Client-Not-After");
	assert_string_equal(lb_tls_hdr_names[LB_TLS_HDR_ISSUER], "X-SSL-Issuer");

	assert_true(lb_tls_cert_used(k.s));
	assert_int_equal(lb_tls_cert_verify(k.s), X509_V_OK);
	before = ossl_allocs();
	assert_int_equal(lb_tls_cert_dn_field(k.s, "cn", buf, sizeof(buf)), 10);
	assert_int_equal(ossl_allocs(), before);
	assert_string_equal(buf, "client one");
	assert_int_equal(lb_tls_cert_dn_field(k.s, "emailAddress", buf, sizeof(buf)), 5);
	assert_string_equal(buf, "a@b.c");
	assert_int_equal(lb_tls_cert_dn_field(k.s, "OU", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "Eng");
	assert_int_equal(lb_tls_cert_dn_field(k.s, "L", buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
	assert_int_equal(lb_tls_cert_dn_field(k.s, "CN", buf, 10), -1);
	assert_int_equal(lb_tls_cert_dn_field(k.s, "CN", buf, 11), 10);
	/* the client's view has the server's certificate, not a client's */
	lb_tls_cert_values(k.c, &v);
	assert_string_equal(v.dn, "/CN=member.test");
	conn_close(&k);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* No certificate: numbers 0, every string empty; no SSL at all: all empty. */
static void
test_no_certificate(LB_UNUSED void **state)
{
	struct lb_tls_cert_values	v;
	struct conn			k;
	char				buf[8];
	int				h;

	conn_open(&k, NULL, NULL, true, NULL);
	lb_tls_cert_values(k.s, &v);
	assert_string_equal(v.verify, "0");
	assert_string_equal(v.has_cert, "0");
	for (h = LB_TLS_HDR_CLIENT_DN; h < LB_TLS_HDR_MAX; h++)
		assert_string_equal(lb_tls_cert_value(&v, (enum lb_tls_hdr)h), "");
	assert_false(lb_tls_cert_used(k.s));
	assert_int_equal(lb_tls_cert_dn_field(k.s, "CN", buf, sizeof(buf)), -1);
	conn_close(&k);

	lb_tls_cert_values(NULL, &v);
	for (h = 0; h < LB_TLS_HDR_MAX; h++)
		assert_string_equal(lb_tls_cert_value(&v, (enum lb_tls_hdr)h), "");
	assert_false(lb_tls_cert_used(NULL));
	assert_int_equal(lb_tls_cert_verify(NULL), X509_V_OK);
}

/* A resumed session still carries the certificate and its verification. */
static void
test_resumed(LB_UNUSED void **state)
{
	struct lb_tls_cert_values	 v, v0;
	struct conn			 k;
	X509				*x = pem_cert(PKI_CLIENT);
	EVP_PKEY			*key = pem_key(PKI_CLIENT);
	SSL_SESSION			*sess;
	SSL				*c, *s;
	struct hs			 r;
	unsigned long			 before;
	int				 h;

	conn_open(&k, x, key, true, NULL);
	lb_tls_cert_values(k.s, &v0);
	sess = SSL_get1_session(k.c);
	c = SSL_new(k.cctx);
	s = SSL_new(k.sctx);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	SSL_set_session(c, sess);
	hs_run(c, s, &r);
	assert_true(r.ok);
	assert_true(r.resumed);
	before = ossl_allocs();
	lb_tls_cert_values(s, &v);
	assert_int_equal(ossl_allocs(), before);
	for (h = 0; h < LB_TLS_HDR_MAX; h++)
		assert_string_equal(lb_tls_cert_value(&v, (enum lb_tls_hdr)h),
		    lb_tls_cert_value(&v0, (enum lb_tls_hdr)h));
	assert_string_equal(v.has_cert, "1");
	assert_true(lb_tls_cert_used(s));
	SSL_free(c);
	SSL_free(s);
	SSL_SESSION_free(sess);
	conn_close(&k);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void
add_raw(X509_NAME *n, const char *field, int type, const char *bytes, int len)
{
	assert_int_equal(X509_NAME_add_entry_by_txt(n, field, type,
	    (const unsigned char *)bytes, len, -1, 0), 1);
}

/*
 * What HAProxy 2.6 made of this subject: control bytes but HTAB as %XX,
 * quotes and '%' as they are, attributes in the certificate's order, an
 * unknown OID dotted; the first CN is the CN; an unverified chain is its
 * X509_V_ERR number.
 */
static void
test_encoding(LB_UNUSED void **state)
{
	struct lb_tls_cert_values	 v;
	struct conn			 k;
	EVP_PKEY			*key = EVP_EC_gen("P-256");
	X509_NAME			*n = X509_NAME_new();
	X509				*x;
	char				 buf[32];

	add_raw(n, "CN", MBSTRING_ASC, "a\"b%c\td\001e\177f", -1);
	add_raw(n, "CN", MBSTRING_ASC, "second", -1);
	add_raw(n, "1.2.3.4", V_ASN1_UTF8STRING, "oid", -1);
	add_raw(n, "O", MBSTRING_UTF8, "Z\xc3\xbcrich", -1);
	x = pki_self_signed(key, n);
	conn_open(&k, x, key, false, NULL);
	lb_tls_cert_values(k.s, &v);
	assert_string_equal(v.verify, "18");	/* X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT */
	assert_string_equal(v.has_cert, "1");
	assert_string_equal(v.dn, "/CN=a\"b%c\td%01e%7Ff/CN=second/1.2.3.4=oid/O=Z\xc3\xbcrich");
	assert_string_equal(v.cn, "a\"b%c\td%01e%7Ff");
	assert_string_equal(v.issuer, v.dn);
	/* rules see the raw bytes */
	assert_int_equal(lb_tls_cert_dn_field(k.s, "cn", buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "a\"b%c\td\001e\177f", 12);
	assert_int_equal(lb_tls_cert_dn_field(k.s, "1.2.3.4", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "oid");
	conn_close(&k);
	X509_free(x);
	X509_NAME_free(n);
	EVP_PKEY_free(key);
}

/* A certificate with the given validity strings (ASN1_TIME_set_string syntax). */
static X509 *
dated(EVP_PKEY *key, const char *from, const char *to)
{
	X509_NAME	*n = X509_NAME_new();
	X509		*x;

	add_raw(n, "CN", MBSTRING_ASC, "dates", -1);
	x = pki_self_signed(key, n);
	X509_NAME_free(n);
	assert_int_equal(ASN1_TIME_set_string(X509_getm_notBefore(x), from), 1);
	assert_int_equal(ASN1_TIME_set_string(X509_getm_notAfter(x), to), 1);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

/* UTCTime as encoded; GeneralizedTime 20xx without "20"; what HAProxy cannot read: empty. */
static void
test_dates(LB_UNUSED void **state)
{
	struct lb_tls_cert_values	 v;
	struct conn			 k;
	EVP_PKEY			*key = EVP_EC_gen("P-256");
	X509				*x;

	x = dated(key, "240101000000Z", "20510101000000Z");
	conn_open(&k, x, key, false, NULL);
	lb_tls_cert_values(k.s, &v);
	assert_string_equal(v.not_before, "240101000000Z");
	assert_string_equal(v.not_after, "510101000000Z");
	conn_close(&k);
	X509_free(x);

	/* 1990 (UTCTime "90...": HAProxy refuses years 50..99) and 2150 */
	x = dated(key, "900101000000Z", "21500101000000Z");
	conn_open(&k, x, key, false, NULL);
	lb_tls_cert_values(k.s, &v);
	assert_string_equal(v.not_before, "");
	assert_string_equal(v.not_after, "");
	conn_close(&k);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* A DN beyond LB_TLS_DN_MAX is empty rather than cut. */
static void
test_long_dn(LB_UNUSED void **state)
{
	struct lb_tls_cert_values	 v;
	struct conn			 k;
	EVP_PKEY			*key = EVP_EC_gen("P-256");
	X509_NAME			*n = X509_NAME_new();
	X509				*x;
	char				 ou[60];
	int				 i;

	memset(ou, 'o', sizeof(ou) - 1);
	ou[sizeof(ou) - 1] = '\0';
	add_raw(n, "CN", MBSTRING_ASC, "long", -1);
	for (i = 0; i < 20; i++)
		add_raw(n, "OU", MBSTRING_ASC, ou, -1);
	x = pki_self_signed(key, n);
	conn_open(&k, x, key, false, NULL);
	lb_tls_cert_values(k.s, &v);
	assert_string_equal(v.dn, "");
	assert_string_equal(v.cn, "long");
	conn_close(&k);
	X509_free(x);
	X509_NAME_free(n);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_no_certificate),
		cmocka_unit_test(test_resumed),
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_long_dn),
	};

	ossl_count_init();
	return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
