/* tls_helpers.c: see tls_helpers.h. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "lbproxy/util.h"

#include "tls_helpers.h"

#define DAY	(24L * 3600)

static char	tmpdir[] = "/tmp/lbproxy-test-pki.XXXXXX";
static char	paths[PKI_MAX][128];

static const char *const names[] = {
	[PKI_CA] = "ca.pem",
	[PKI_CA2] = "ca2.pem",
	[PKI_SERVER] = "server.pem",
	[PKI_SERVER_SELF] = "server-self.pem",
	[PKI_SERVER_EXPIRED] = "server-expired.pem",
	[PKI_SERVER_SNI] = "server-sni.pem",
	[PKI_CLIENT] = "client.pem",
	[PKI_CLIENT_CERT] = "client-cert.pem",
	[PKI_CLIENT_KEY] = "client-key.pem",
	[PKI_CLIENT_EXPIRED] = "client-expired.pem",
	[PKI_CLIENT_REVOKED] = "client-revoked.pem",
	[PKI_CLIENT_WRONG] = "client-wrong.pem",
	[PKI_CRL] = "crl.pem",
	[PKI_CRL_EMPTY] = "crl-empty.pem",
	[PKI_CRL_VALID] = "crl-valid.pem",
	[PKI_GARBAGE] = "garbage.pem",
};

const char *
pki_path(enum pki_file f)
{
	return paths[f];
}

const char *
pki_tmp(int i)
{
	static char tmp[8][160];

	snprintf(tmp[i], sizeof(tmp[i]), "%s/tmp%d.pem", tmpdir, i);
	return tmp[i];
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A subject from "/K=V/K=V" (no escapes). */
static X509_NAME *
subject(const char *s)
{
	X509_NAME	*n = X509_NAME_new();
	char		 buf[256], *p, *next, *eq;

	snprintf(buf, sizeof(buf), "%s", s);
	for (p = buf + 1; p != NULL && *p != '\0'; p = next) {
		if ((next = strchr(p, '/')) != NULL)
			*next++ = '\0';
		eq = strchr(p, '=');
		assert_non_null(eq);
		*eq = '\0';
		assert_int_equal(X509_NAME_add_entry_by_txt(n, p, MBSTRING_UTF8,
		    (unsigned char *)eq + 1, -1, -1, 0), 1);
	}
	return n;
}

/* A certificate valid from..to (seconds from now); issuer NULL: self-signed. */
static X509 *
cert(EVP_PKEY *key, const char *subj, const char *san, long from, long to, bool ca,
    X509 *issuer, EVP_PKEY *ikey)
{
	static long	 serial = 100;
	X509		*x = X509_new();
	X509_NAME	*n = subject(subj);

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, key);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	if (issuer == NULL) {
		issuer = x;
		ikey = key;
	}
	if (ca) {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else
		add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
	if (san != NULL)
		add_ext(x, issuer, NID_subject_alt_name, san);
	assert_true(X509_sign(x, ikey, EVP_sha256()) > 0);
	return x;
}

X509 *
pki_self_signed(EVP_PKEY *key, X509_NAME *subj)
{
	X509 *x = X509_new();

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -DAY);
	X509_gmtime_adj(X509_getm_notAfter(x), 30 * DAY);
	X509_set_pubkey(x, key);
	X509_set_subject_name(x, subj);
	X509_set_issuer_name(x, subj);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

static void
write_pem(enum pki_file f, X509 *x, EVP_PKEY *key, X509_CRL *crl)
{
	FILE *fp = fopen(paths[f], "w");

	assert_non_null(fp);
	if (x != NULL)
		assert_int_equal(PEM_write_X509(fp, x), 1);
	if (key != NULL)
		assert_int_equal(PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL), 1);
	if (crl != NULL)
		assert_int_equal(PEM_write_X509_CRL(fp, crl), 1);
	fclose(fp);
}

/* The CA's CRL revoking the certificate rev (NULL: none). */
static X509_CRL *
crl_new(X509 *ca, EVP_PKEY *cakey, X509 *rev)
{
	X509_CRL	*crl = X509_CRL_new();
	X509_REVOKED	*r;
	ASN1_TIME	*t;

	assert_non_null(crl);
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
	t = X509_gmtime_adj(NULL, -DAY);
	X509_CRL_set1_lastUpdate(crl, t);
	X509_gmtime_adj(t, 30 * DAY);
	X509_CRL_set1_nextUpdate(crl, t);
	if (rev != NULL) {
		r = X509_REVOKED_new();
		X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(rev));
		X509_gmtime_adj(t, -3600);
		X509_REVOKED_set_revocationDate(r, t);
		X509_CRL_add0_revoked(crl, r);
	}
	ASN1_TIME_free(t);
	X509_CRL_sort(crl);
	assert_true(X509_CRL_sign(crl, cakey, EVP_sha256()) > 0);
	return crl;
}

int
pki_setup(void **state LB_UNUSED)
{
	EVP_PKEY	*kca, *kca2, *k;
	X509		*ca, *ca2, *x, *revoked, *client;
	X509_CRL	*crl;
	FILE		*fp;
	int		 i;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	for (i = 0; i < PKI_MAX; i++)
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", tmpdir, names[i]);
	kca = EVP_EC_gen("P-256");
	kca2 = EVP_EC_gen("P-256");
	k = EVP_EC_gen("P-256");	/* one leaf key serves every leaf */
	if (kca == NULL || kca2 == NULL || k == NULL)
		return -1;
	ca = cert(kca, "/C=US/O=lbproxy test/CN=Test CA", NULL, -DAY, 30 * DAY, true, NULL, NULL);
	ca2 = cert(kca2, "/CN=Other CA", NULL, -DAY, 30 * DAY, true, NULL, NULL);
	write_pem(PKI_CA, ca, NULL, NULL);
	write_pem(PKI_CA2, ca2, NULL, NULL);

	x = cert(k, "/CN=member.test", "DNS:member.test,IP:127.0.0.1", -DAY, 30 * DAY, false,
	    ca, kca);
	write_pem(PKI_SERVER, x, k, NULL);
	X509_free(x);
	x = cert(k, "/CN=member.test", "DNS:member.test", -DAY, 30 * DAY, false, NULL, NULL);
	write_pem(PKI_SERVER_SELF, x, k, NULL);
	X509_free(x);
	x = cert(k, "/CN=member.test", "DNS:member.test", -10 * DAY, -DAY, false, ca, kca);
	write_pem(PKI_SERVER_EXPIRED, x, k, NULL);
	X509_free(x);
	x = cert(k, "/CN=sni.test", "DNS:sni.test", -DAY, 30 * DAY, false, ca, kca);
	write_pem(PKI_SERVER_SNI, x, k, NULL);
	X509_free(x);

	client = cert(k, "/C=US/ST=CA/O=Example, Inc./OU=Eng/CN=client one/emailAddress=a@b.c",
	    NULL, -DAY, 30 * DAY, false, ca, kca);
	write_pem(PKI_CLIENT, client, k, NULL);
	write_pem(PKI_CLIENT_CERT, client, NULL, NULL);
	write_pem(PKI_CLIENT_KEY, NULL, k, NULL);
	x = cert(k, "/CN=expired", NULL, -10 * DAY, -DAY, false, ca, kca);
	write_pem(PKI_CLIENT_EXPIRED, x, k, NULL);
	X509_free(x);
	revoked = cert(k, "/CN=revoked", NULL, -DAY, 30 * DAY, false, ca, kca);
	write_pem(PKI_CLIENT_REVOKED, revoked, k, NULL);
	x = cert(k, "/CN=wrong", NULL, -DAY, 30 * DAY, false, ca2, kca2);
	write_pem(PKI_CLIENT_WRONG, x, k, NULL);
	X509_free(x);

	crl = crl_new(ca, kca, revoked);
	write_pem(PKI_CRL, NULL, NULL, crl);
	X509_CRL_free(crl);
	crl = crl_new(ca, kca, NULL);
	write_pem(PKI_CRL_EMPTY, NULL, NULL, crl);
	X509_CRL_free(crl);
	crl = crl_new(ca, kca, client);
	write_pem(PKI_CRL_VALID, NULL, NULL, crl);
	X509_CRL_free(crl);

	if ((fp = fopen(paths[PKI_GARBAGE], "w")) == NULL)
		return -1;
	fputs("this is not PEM\n", fp);
	fclose(fp);
	X509_free(ca);
	X509_free(ca2);
	X509_free(revoked);
	X509_free(client);
	EVP_PKEY_free(kca);
	EVP_PKEY_free(kca2);
	EVP_PKEY_free(k);
	return 0;
}

int
pki_teardown(void **state LB_UNUSED)
{
	int i;

	for (i = 0; i < PKI_MAX; i++)
		unlink(paths[i]);
	for (i = 0; i < 8; i++)
		unlink(pki_tmp(i));
	return rmdir(tmpdir);
}

void
pki_copy(const char *from, const char *to)
{
	char	 buf[8192];
	size_t	 n;
	FILE	*in = fopen(from, "r"), *out = fopen(to, "w");

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

static unsigned long	allocs;

static void *
count_malloc(size_t n, const char *file LB_UNUSED, int line LB_UNUSED)
{
	allocs++;
	return malloc(n);
}

static void *
count_realloc(void *p, size_t n, const char *file LB_UNUSED, int line LB_UNUSED)
{
	allocs++;
	return realloc(p, n);
}

static void
count_free(void *p, const char *file LB_UNUSED, int line LB_UNUSED)
{
	free(p);
}

void
ossl_count_init(void)
{
	CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
}

unsigned long
ossl_allocs(void)
{
	return allocs;
}

static bool
want_io(SSL *ssl, int rc)
{
	int e = SSL_get_error(ssl, rc);

	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

void
hs_run(SSL *c, SSL *s, struct hs *r)
{
	const unsigned char	*p;
	const char		*name;
	unsigned int		 plen;
	BIO			*cb, *sb;
	char			 buf[4];
	int			 i, rc, cdone = 0, sdone = 0;

	memset(r, 0, sizeof(*r));
	assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	for (i = 0; i < 64 && !(cdone && sdone); i++) {
		if (!cdone) {
			rc = SSL_do_handshake(c);
			if (rc == 1)
				cdone = 1;
			else if (!want_io(c, rc)) {
				r->client_err = SSL_get_error(c, rc);
				break;
			}
		}
		if (!sdone) {
			rc = SSL_do_handshake(s);
			if (rc == 1)
				sdone = 1;
			else if (!want_io(s, rc)) {
				r->server_err = SSL_get_error(s, rc);
				/* let the client read the alert */
				(void)SSL_do_handshake(c);
				break;
			}
		}
	}
	r->client_verify = SSL_get_verify_result(c);
	if ((name = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name)) != NULL)
		snprintf(r->sni, sizeof(r->sni), "%s", name);
	if (!(cdone && sdone)) {
		/* TLS 1.3: the server judges the client's certificate after the client is done */
		if (cdone && r->client_err == 0 && SSL_read(c, buf, sizeof(buf)) <= 0)
			r->client_err = SSL_ERROR_SSL;
		ERR_clear_error();
		return;
	}
	assert_int_equal(SSL_write(s, "s", 1), 1);
	assert_int_equal(SSL_read(c, buf, sizeof(buf)), 1);
	assert_int_equal(SSL_write(c, "c", 1), 1);
	assert_int_equal(SSL_read(s, buf, sizeof(buf)), 1);
	r->ok = true;
	r->resumed = SSL_session_reused(c) == 1;
	SSL_get0_alpn_selected(c, &p, &plen);
	if (plen > 0 && plen < sizeof(r->alpn))
		memcpy(r->alpn, p, plen);
	SSL_shutdown(c);
	SSL_shutdown(s);
	SSL_shutdown(c);
	ERR_clear_error();
}

SSL_CTX *
hs_server_ctx(enum pki_file f)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, paths[f]), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, paths[f], SSL_FILETYPE_PEM), 1);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"t", 1);
	return ctx;
}
