/*
 * test_tls_client.c: contexts towards members from Octavia's pool fields
 * (src/tls_client.c) and the per-thread session cache, in memory against
 * servers made from tests/unit/tls_helpers.c's PKI.
 *
 * "test_tls_client --measure" prints what a member handshake costs in
 * OpenSSL allocations and time, full and resumed.
 */
#include "config.h"

#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lbproxy/diag.h"
#include "lbproxy/tls.h"
#include "lbproxy/tls_client.h"
#include "lbproxy/util.h"

#include "tls_helpers.h"

/* ---- helpers --------------------------------------------------------------- */

static SSL_CTX *
client_new(const struct lb_tls_client_params *p)
{
	struct lb_diag	 diag = { 0 };
	SSL_CTX		*ctx = lb_tls_client_new(p, &diag);

	if (diag.n > 0)
		print_error("unexpected error: %s\n", diag.msgs[0]);
	assert_int_equal(diag.n, 0);
	assert_non_null(ctx);
	lb_diag_fini(&diag);
	return ctx;
}

/* lb_tls_client_new(p) must fail with exactly the error want. */
static void
expect_error(const struct lb_tls_client_params *p, const char *want)
{
	struct lb_diag	 diag = { 0 };
	SSL_CTX		*ctx = lb_tls_client_new(p, &diag);

	assert_null(ctx);
	if (diag.n != 1 || strcmp(diag.msgs[0], want) != 0)
		print_error("got %zu errors, first: %s\n", diag.n, diag.n > 0 ? diag.msgs[0] : "");
	assert_int_equal(diag.n, 1);
	assert_string_equal(diag.msgs[0], want);
	assert_int_equal(ERR_peek_error(), 0);
	lb_diag_fini(&diag);
}

/* One connection from cctx (SNI sni, sessions sc/uid) to sctx. */
static void
connect_to(SSL_CTX *cctx, const char *sni, struct lb_tls_sess_cache *sc, uint64_t uid,
    SSL_CTX *sctx, struct hs *r)
{
	SSL *c = lb_tls_client_ssl(cctx, sni, sc, uid), *s = SSL_new(sctx);

	assert_non_null(c);
	assert_non_null(s);
	SSL_set_accept_state(s);
	hs_run(c, s, r);
	if (sc != NULL && r->ok)
		(void)lb_tls_sess_save(sc, uid, c);
	SSL_free(c);
	SSL_free(s);
}

/* lb_tls_sess_forget for member uid and SNI member.test, as conn.c does. */
static void
forget(struct lb_tls_sess_cache *sc, SSL_CTX *cctx, uint64_t uid)
{
	SSL *ssl = lb_tls_client_ssl(cctx, "member.test", NULL, 0);

	assert_non_null(ssl);
	lb_tls_sess_forget(sc, uid, ssl);
	SSL_free(ssl);
}

static char	buf[512];

/* "what: <path of f>: why" */
static const char *
path_msg(const char *what, enum pki_file f, const char *why)
{
	snprintf(buf, sizeof(buf), "%s: %s: %s", what, pki_path(f), why);
	return buf;
}

/* ---- tests ----------------------------------------------------------------- */

static void
test_errors(LB_UNUSED void **state)
{
	static const char *const long_alpn[] = { "h2", "" };
	struct lb_tls_client_params p = { .jpath = "pools[1]" };

	p.ca_file = "/nonexistent/ca.pem";
	expect_error(&p, "pools[1].tls.ca_file: /nonexistent/ca.pem: No such file or directory");
	p.ca_file = pki_path(PKI_GARBAGE);
	expect_error(&p, path_msg("pools[1].tls.ca_file", PKI_GARBAGE, "no certificate found"));
	p.ca_file = NULL;
	p.crl_file = pki_path(PKI_CRL);
	expect_error(&p, "pools[1].tls.crl_file: needs pools[1].tls.ca_file");
	p.ca_file = pki_path(PKI_CA);
	p.crl_file = pki_path(PKI_CA);
	expect_error(&p, path_msg("pools[1].tls.crl_file", PKI_CA, "no CRL found"));
	p.crl_file = NULL;
	p.certificate_file = pki_path(PKI_CLIENT_CERT);
	expect_error(&p, path_msg("pools[1].tls.certificate_file", PKI_CLIENT_CERT,
	    "no private key found"));
	p.private_key_file = pki_path(PKI_CLIENT_KEY);
	{
		SSL_CTX *ctx = client_new(&p);

		SSL_CTX_free(ctx);
	}
	p.certificate_file = p.private_key_file = NULL;
	p.ciphers = "NOPE";
	expect_error(&p, "pools[1].tls_ciphers: \"NOPE\": no cipher match");
	p.ciphers = NULL;
	p.min_version = TLS1_3_VERSION;
	p.max_version = TLS1_2_VERSION;
	expect_error(&p, "pools[1].tls_versions: 0x0304..0x0303 is not a supported range of "
	    "TLS versions");
	p.min_version = p.max_version = 0;
	p.alpn = long_alpn;
	p.n_alpn = 2;
	expect_error(&p, "pools[1].alpn_protocols[1]: must be 1..255 bytes");
}

/* No ca_file: encrypt only, any certificate (Octavia's "verify none"). */
static void
test_encrypt_only(LB_UNUSED void **state)
{
	struct lb_tls_client_params	 p = { 0 };
	SSL_CTX				*cctx = client_new(&p), *sctx;
	struct hs			 r;

	assert_false(lb_tls_client_verifies(cctx));
	assert_int_equal(SSL_CTX_get_verify_mode(cctx), SSL_VERIFY_NONE);
	assert_int_equal(SSL_CTX_get_min_proto_version(cctx), TLS1_2_VERSION);
	sctx = hs_server_ctx(PKI_SERVER_SELF);
	connect_to(cctx, NULL, NULL, 0, sctx, &r);
	assert_true(r.ok);
	SSL_CTX_free(sctx);
	/* an expired one too */
	sctx = hs_server_ctx(PKI_SERVER_EXPIRED);
	connect_to(cctx, "member.test", NULL, 0, sctx, &r);
	assert_true(r.ok);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

/* A client whose verification of sctx (named sni) fails with verify, named as such. */
static void
expect_verify(SSL_CTX *cctx, const char *sni, enum pki_file server, long verify,
    const char *text)
{
	SSL_CTX			*sctx = hs_server_ctx(server);
	SSL			*c = lb_tls_client_ssl(cctx, sni, NULL, 0), *s = SSL_new(sctx);
	struct lb_tls_error	 e;
	struct hs		 r;
	char			 why[160];

	SSL_set_accept_state(s);
	/* hs_run clears the queue at the end: name the failure from a second look */
	hs_run(c, s, &r);
	assert_false(r.ok);
	assert_int_equal(r.client_verify, verify);
	SSL_free(c);
	SSL_free(s);

	c = lb_tls_client_ssl(cctx, sni, NULL, 0);
	s = SSL_new(sctx);
	SSL_set_accept_state(s);
	{
		BIO *cb, *sb;
		int rc = -1, i;

		assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
		SSL_set_bio(c, cb, cb);
		SSL_set_bio(s, sb, sb);
		for (i = 0; i < 8; i++) {
			rc = SSL_do_handshake(c);
			if (rc == 1 || SSL_get_error(c, rc) != SSL_ERROR_WANT_READ)
				break;
			(void)SSL_do_handshake(s);
		}
		assert_int_not_equal(rc, 1);
		lb_tls_error_get(c, SSL_get_error(c, rc), 0, &e);
	}
	assert_int_equal(e.result, LB_TLS_VERIFY);
	assert_int_equal(e.code, verify);
	assert_string_equal(lb_tls_error_text(&e, why, sizeof(why)), text);
	assert_int_equal(ERR_peek_error(), 0);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(sctx);
}

/* With ca_file: the chain must verify, and the SNI name sent must match. */
static void
test_verify(LB_UNUSED void **state)
{
	struct lb_tls_client_params	 p = { .ca_file = pki_path(PKI_CA) };
	SSL_CTX				*cctx = client_new(&p), *sctx;
	struct hs			 r;

	assert_true(lb_tls_client_verifies(cctx));
	sctx = hs_server_ctx(PKI_SERVER);
	connect_to(cctx, "member.test", NULL, 0, sctx, &r);
	assert_true(r.ok);
	assert_string_equal(r.sni, "member.test");
	/* no name (a member address): the chain alone is checked, no SNI sent */
	connect_to(cctx, "127.0.0.1", NULL, 0, sctx, &r);
	assert_true(r.ok);
	assert_string_equal(r.sni, "");
	connect_to(cctx, NULL, NULL, 0, sctx, &r);
	assert_true(r.ok);
	SSL_CTX_free(sctx);

	expect_verify(cctx, "other.test", PKI_SERVER, X509_V_ERR_HOSTNAME_MISMATCH,
	    "TLS handshake failed: certificate verify failed: hostname mismatch");
	expect_verify(cctx, "member.test", PKI_SERVER_SELF, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
	    "TLS handshake failed: certificate verify failed: self-signed certificate");
	expect_verify(cctx, "member.test", PKI_SERVER_EXPIRED, X509_V_ERR_CERT_HAS_EXPIRED,
	    "TLS handshake failed: certificate verify failed: certificate has expired");
	SSL_CTX_free(cctx);

	/* the context's own name is used when the caller gives none */
	p.sni = "member.test";
	cctx = client_new(&p);
	assert_string_equal(lb_tls_client_sni(cctx), "member.test");
	sctx = hs_server_ctx(PKI_SERVER);
	connect_to(cctx, NULL, NULL, 0, sctx, &r);
	assert_true(r.ok);
	assert_string_equal(r.sni, "member.test");
	SSL_CTX_free(sctx);
	expect_verify(cctx, NULL, PKI_SERVER_SNI, X509_V_ERR_HOSTNAME_MISMATCH,
	    "TLS handshake failed: certificate verify failed: hostname mismatch");
	SSL_CTX_free(cctx);
}

/* crl_file: a revoked member certificate fails, an unrevoked one passes. */
static void
test_crl(LB_UNUSED void **state)
{
	struct lb_tls_client_params	 p = { .ca_file = pki_path(PKI_CA),
					    .crl_file = pki_path(PKI_CRL) };
	SSL_CTX				*cctx = client_new(&p), *sctx;
	struct hs			 r;

	sctx = hs_server_ctx(PKI_SERVER);
	connect_to(cctx, "member.test", NULL, 0, sctx, &r);
	assert_true(r.ok);
	SSL_CTX_free(sctx);
	expect_verify(cctx, NULL, PKI_CLIENT_REVOKED, X509_V_ERR_CERT_REVOKED,
	    "TLS handshake failed: certificate verify failed: certificate revoked");
	SSL_CTX_free(cctx);
}

/* certificate_file: presented to a member that asks (and requires) one. */
static void
test_client_certificate(LB_UNUSED void **state)
{
	struct lb_tls_client_params	 p = { .certificate_file = pki_path(PKI_CLIENT) };
	SSL_CTX				*cctx = client_new(&p), *sctx = hs_server_ctx(PKI_SERVER);
	X509				*peer;
	SSL				*c, *s;
	struct hs			 r;
	char				 cn[64];

	assert_int_equal(SSL_CTX_load_verify_file(sctx, pki_path(PKI_CA)), 1);
	SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	c = lb_tls_client_ssl(cctx, NULL, NULL, 0);
	s = SSL_new(sctx);
	SSL_set_accept_state(s);
	hs_run(c, s, &r);
	assert_true(r.ok);
	peer = SSL_get0_peer_certificate(s);
	assert_non_null(peer);
	X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
	assert_string_equal(cn, "client one");
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);

	/* without one, the member refuses */
	memset(&p, 0, sizeof(p));
	cctx = client_new(&p);
	connect_to(cctx, NULL, NULL, 0, sctx, &r);
	assert_false(r.ok);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

static int
alpn_select(LB_UNUSED SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, LB_UNUSED void *arg)
{
	/* the client's first choice, whatever it is */
	if (inlen < 2 || in[0] + 1U > inlen)
		return SSL_TLSEXT_ERR_NOACK;
	*out = in + 1;
	*outlen = in[0];
	return SSL_TLSEXT_ERR_OK;
}

/* alpn_protocols in order; versions and suites as given. */
static void
test_alpn_versions(LB_UNUSED void **state)
{
	static const char *const alpn[] = { "h2", "http/1.1" };
	struct lb_tls_client_params	 p = { .alpn = alpn, .n_alpn = 2,
					    .max_version = TLS1_2_VERSION,
					    .ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384" };
	SSL_CTX				*cctx = client_new(&p), *sctx = hs_server_ctx(PKI_SERVER);
	SSL				*c, *s;
	struct hs			 r;

	SSL_CTX_set_alpn_select_cb(sctx, alpn_select, NULL);
	c = lb_tls_client_ssl(cctx, NULL, NULL, 0);
	s = SSL_new(sctx);
	SSL_set_accept_state(s);
	hs_run(c, s, &r);
	assert_true(r.ok);
	assert_string_equal(r.alpn, "h2");
	assert_int_equal(SSL_version(c), TLS1_2_VERSION);
	assert_string_equal(SSL_get_cipher_name(c), "ECDHE-ECDSA-AES256-GCM-SHA384");
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	/* no list: no extension */
	memset(&p, 0, sizeof(p));
	cctx = client_new(&p);
	connect_to(cctx, NULL, NULL, 0, sctx, &r);
	assert_true(r.ok);
	assert_string_equal(r.alpn, "");
	SSL_CTX_free(cctx);
	/* the check context offers http/1.1 */
	cctx = lb_tls_client_new(NULL, NULL);
	assert_non_null(cctx);
	connect_to(cctx, NULL, NULL, 0, sctx, &r);
	assert_true(r.ok);
	assert_string_equal(r.alpn, "http/1.1");
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

/* Sessions: one per member, offered again only through the context that made them. */
static void
test_sessions(LB_UNUSED void **state)
{
	struct lb_tls_client_params	 p = { .ca_file = pki_path(PKI_CA) };
	struct lb_tls_sess_cache	*sc = lb_tls_sess_cache_new();
	SSL_CTX				*cctx = client_new(&p), *other = client_new(&p);
	SSL_CTX				*sctx = hs_server_ctx(PKI_SERVER);
	struct hs			 r;
	uint64_t			 uid;

	connect_to(cctx, "member.test", sc, 1, sctx, &r);
	assert_true(r.ok);
	assert_false(r.resumed);
	assert_int_equal(lb_tls_sess_count(sc), 1);
	connect_to(cctx, "member.test", sc, 1, sctx, &r);
	assert_true(r.ok);
	assert_true(r.resumed);
	/* another member: its own session */
	connect_to(cctx, "member.test", sc, 2, sctx, &r);
	assert_false(r.resumed);
	assert_int_equal(lb_tls_sess_count(sc), 2);
	/* another context (a reload, another pool): not offered, then replaced */
	connect_to(other, "member.test", sc, 1, sctx, &r);
	assert_true(r.ok);
	assert_false(r.resumed);
	connect_to(other, "member.test", sc, 1, sctx, &r);
	assert_true(r.resumed);
	assert_int_equal(lb_tls_sess_count(sc), 2);
	forget(sc, other, 1);
	assert_int_equal(lb_tls_sess_count(sc), 1);
	connect_to(other, "member.test", sc, 1, sctx, &r);
	assert_false(r.resumed);

	/* many members: the table grows, every one keeps its own */
	for (uid = 100; uid < 400; uid++)
		connect_to(cctx, "member.test", sc, uid, sctx, &r);
	assert_int_equal(lb_tls_sess_count(sc), 302);
	for (uid = 100; uid < 400; uid += 37) {
		connect_to(cctx, "member.test", sc, uid, sctx, &r);
		assert_true(r.resumed);
	}
	for (uid = 100; uid < 400; uid += 2)
		forget(sc, cctx, uid);
	assert_int_equal(lb_tls_sess_count(sc), 152);
	for (uid = 101; uid < 400; uid += 34) {
		connect_to(cctx, "member.test", sc, uid, sctx, &r);
		assert_true(r.resumed);
	}
	lb_tls_sess_cache_free(sc);
	lb_tls_sess_cache_free(NULL);
	SSL_CTX_free(sctx);
	SSL_CTX_free(other);
	SSL_CTX_free(cctx);
}

/*
 * A session proves the name it was made for: never offered under another
 * SNI (resuming would skip that name's check), each name keeps its own.
 */
static void
test_sessions_per_sni(LB_UNUSED void **state)
{
	struct lb_tls_client_params	 p = { 0 };
	struct lb_tls_sess_cache	*sc = lb_tls_sess_cache_new();
	SSL_CTX				*cctx = client_new(&p), *sctx = hs_server_ctx(PKI_SERVER);
	struct hs			 r;

	connect_to(cctx, "a.test", sc, 7, sctx, &r);
	assert_true(r.ok);
	connect_to(cctx, "a.test", sc, 7, sctx, &r);
	assert_true(r.resumed);
	connect_to(cctx, "b.test", sc, 7, sctx, &r);
	assert_true(r.ok);
	assert_false(r.resumed);
	connect_to(cctx, NULL, sc, 7, sctx, &r);
	assert_false(r.resumed);
	assert_int_equal(lb_tls_sess_count(sc), 3);
	connect_to(cctx, "a.test", sc, 7, sctx, &r);
	assert_true(r.resumed);
	connect_to(cctx, "b.test", sc, 7, sctx, &r);
	assert_true(r.resumed);
	lb_tls_sess_cache_free(sc);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

/* An expired session is dropped instead of offered. */
static void
test_sessions_expire(LB_UNUSED void **state)
{
	struct lb_tls_client_params	 p = { 0 };
	struct lb_tls_sess_cache	*sc = lb_tls_sess_cache_new();
	SSL_CTX				*cctx = client_new(&p), *sctx = hs_server_ctx(PKI_SERVER);
	SSL				*c, *s;
	struct hs			 r;

	c = lb_tls_client_ssl(cctx, NULL, sc, 9);
	s = SSL_new(sctx);
	SSL_set_accept_state(s);
	hs_run(c, s, &r);
	assert_true(r.ok);
	assert_int_equal(lb_tls_sess_save(sc, 9, c), 0);
	/* as if it had been made long ago */
	SSL_SESSION_set_time(SSL_get0_session(c), (long)time(NULL) - 100000);
	SSL_free(c);
	SSL_free(s);
	c = lb_tls_client_ssl(cctx, NULL, sc, 9);
	assert_null(SSL_get0_session(c));
	assert_int_equal(lb_tls_sess_count(sc), 0);
	SSL_free(c);
	lb_tls_sess_cache_free(sc);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

/* A handshake not done, or a session that cannot be resumed, is not kept. */
static void
test_sessions_not_saved(LB_UNUSED void **state)
{
	struct lb_tls_client_params	 p = { .ca_file = pki_path(PKI_CA) };
	struct lb_tls_sess_cache	*sc = lb_tls_sess_cache_new();
	SSL_CTX				*cctx = client_new(&p);
	SSL_CTX				*sctx = hs_server_ctx(PKI_SERVER_SELF);
	SSL				*c = lb_tls_client_ssl(cctx, NULL, sc, 5), *s;
	struct hs			 r;

	assert_int_equal(lb_tls_sess_save(sc, 5, c), -1);
	s = SSL_new(sctx);
	SSL_set_accept_state(s);
	hs_run(c, s, &r);
	assert_false(r.ok);
	assert_int_equal(lb_tls_sess_save(sc, 5, c), -1);
	assert_int_equal(lb_tls_sess_count(sc), 0);
	SSL_free(c);
	SSL_free(s);
	lb_tls_sess_cache_free(sc);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

/*
 * Saving and offering sessions allocates nothing once a member has its slot:
 * OpenSSL's allocations for a resumed connection are the same with the cache
 * as when the session is set by hand, and the heap does not grow over
 * 1000 saves.
 */
static void
test_sessions_no_alloc(LB_UNUSED void **state)
{
	struct lb_tls_client_params	 p = { 0 };
	struct lb_tls_sess_cache	*sc = lb_tls_sess_cache_new();
	SSL_CTX				*cctx = client_new(&p), *sctx = hs_server_ctx(PKI_SERVER);
	SSL				*c, *s;
	unsigned long			 before, with_cache, by_hand;
	struct hs			 r;
	size_t				 heap;
	int				 i;

	connect_to(cctx, NULL, sc, 3, sctx, &r);
	c = lb_tls_client_ssl(cctx, NULL, sc, 3);
	before = ossl_allocs();
	(void)lb_tls_sess_save(sc, 3, c);	/* no handshake: refused, nothing made */
	assert_int_equal(ossl_allocs(), before);
	SSL_free(c);

	before = ossl_allocs();
	c = lb_tls_client_ssl(cctx, NULL, sc, 3);
	with_cache = ossl_allocs() - before;
	assert_non_null(SSL_get0_session(c));
	s = SSL_new(cctx);
	before = ossl_allocs();
	SSL_free(s);
	s = SSL_new(cctx);
	assert_int_equal(SSL_set_session(s, SSL_get0_session(c)), 1);
	by_hand = ossl_allocs() - before;
	assert_int_equal(with_cache, by_hand);
	SSL_free(s);

	s = SSL_new(sctx);
	SSL_set_accept_state(s);
	hs_run(c, s, &r);
	assert_true(r.resumed);
	heap = mallinfo2().uordblks;
	before = ossl_allocs();
	for (i = 0; i < 1000; i++)
		assert_int_equal(lb_tls_sess_save(sc, 3, c), 0);
	assert_int_equal(ossl_allocs(), before);
#ifndef __SANITIZE_ADDRESS__
	assert_int_equal(mallinfo2().uordblks, heap);
#else
	(void)heap;
#endif
	SSL_free(c);
	SSL_free(s);
	lb_tls_sess_cache_free(sc);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

/* ---- measurement --------------------------------------------------------- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Full and resumed handshakes of a verifying client, in memory: allocations and time. */
static int
measure(void)
{
	struct lb_tls_client_params	 p = { .ca_file = pki_path(PKI_CA), .sni = "member.test" };
	struct lb_tls_sess_cache	*sc = lb_tls_sess_cache_new();
	SSL_CTX				*cctx = lb_tls_client_new(&p, NULL);
	SSL_CTX				*sctx = hs_server_ctx(PKI_SERVER);
	struct hs			 r;
	unsigned long			 a0;
	double				 t0;
	int				 i, n = 300, pass;

	for (pass = 0; pass < 2; pass++) {
		a0 = ossl_allocs();
		t0 = now_s();
		for (i = 0; i < n; i++) {
			if (pass == 0)
				forget(sc, cctx, 1);
			connect_to(cctx, NULL, sc, 1, sctx, &r);
			if (!r.ok || r.resumed != (pass == 1))
				return 1;
		}
		printf("%s handshake (client + server, TLS 1.3, P-256, verified): "
		    "%.0f us, %.0f OpenSSL allocations\n", pass == 0 ? "full" : "resumed",
		    1e6 * (now_s() - t0) / n, (double)(ossl_allocs() - a0) / n);
	}
	lb_tls_sess_cache_free(sc);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_encrypt_only),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_client_certificate),
		cmocka_unit_test(test_alpn_versions),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_sessions_per_sni),
		cmocka_unit_test(test_sessions_expire),
		cmocka_unit_test(test_sessions_not_saved),
		cmocka_unit_test(test_sessions_no_alloc),
	};
	int rc;

	/* before OpenSSL allocates anything */
	ossl_count_init();
	if (argc > 1 && strcmp(argv[1], "--measure") == 0) {
		if (pki_setup(NULL) == -1)
			return 1;
		rc = measure();
		pki_teardown(NULL);
		return rc;
	}
	return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
