/*
 * test_tls.c: server/client contexts from src/tls.c, driven by in-memory
 * handshakes (one BIO pair per connection) against throwaway certificates
 * made with the OpenSSL API in a private temporary directory.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lbproxy/config.h"
#include "lbproxy/diag.h"
#include "lbproxy/tls.h"
#include "lbproxy/tls_client.h"

#include "tls_helpers.h"

static char	tmpdir[] = "/tmp/lbproxy-test-tls.XXXXXX";

/* Files written by the group setup, all inside tmpdir. */
enum pem {
	PEM_BUNDLE,		/* CN=default, SAN default.test; cert then key */
	PEM_CERT,		/* the same certificate alone */
	PEM_KEY,		/* its key alone */
	PEM_OTHER_KEY,		/* another P-256 key */
	PEM_ED_KEY,		/* an Ed25519 key (other type) */
	PEM_MISMATCH,		/* default certificate + another key */
	PEM_SNI1,		/* CN=sni-one, SAN a.test, B.Test., IP */
	PEM_SNI2,		/* CN=*.wild.test, no SAN */
	PEM_SNI3,		/* CN=dup, SAN a.test (already served by sni1) */
	PEM_GARBAGE,		/* not PEM */
	PEM_MISSING,		/* never written */
	PEM_MAX,
};

static const char *const pem_names[] = {
	[PEM_BUNDLE] = "bundle.pem",
	[PEM_CERT] = "cert.pem",
	[PEM_KEY] = "key.pem",
	[PEM_OTHER_KEY] = "other-key.pem",
	[PEM_ED_KEY] = "ed-key.pem",
	[PEM_MISMATCH] = "mismatch.pem",
	[PEM_SNI1] = "sni1.pem",
	[PEM_SNI2] = "sni2.pem",
	[PEM_SNI3] = "sni3.pem",
	[PEM_GARBAGE] = "garbage.pem",
	[PEM_MISSING] = "missing.pem",
};

static char	paths[PEM_MAX][128];

/* ---- certificates ---------------------------------------------------- */

static X509 *
make_cert(EVP_PKEY *key, const char *cn, const char *san)
{
	static long	 serial = 1;
	X509		*x;
	X509_NAME	*name;
	X509_EXTENSION	*ext;
	X509V3_CTX	 v3;

	x = X509_new();
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (san != NULL) {
		X509V3_set_ctx_nodb(&v3);
		X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

/* Write a certificate and/or a key (either may be NULL) to one file. */
static void
write_pem(enum pem which, X509 *x, EVP_PKEY *key)
{
	FILE *fp;

	fp = fopen(paths[which], "w");
	assert_non_null(fp);
	if (x != NULL)
		assert_int_equal(PEM_write_X509(fp, x), 1);
	if (key != NULL)
		assert_int_equal(PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(fp);
}

static int
group_setup(LB_UNUSED void **state)
{
	EVP_PKEY	*k0, *k1, *k2, *k3, *ked;
	X509		*x0, *x1, *x2, *x3;
	FILE		*fp;
	int		 i;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	for (i = 0; i < PEM_MAX; i++)
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", tmpdir, pem_names[i]);

	k0 = EVP_EC_gen("P-256");
	k1 = EVP_EC_gen("P-256");
	k2 = EVP_EC_gen("P-256");
	k3 = EVP_EC_gen("P-256");
	ked = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (k0 == NULL || k1 == NULL || k2 == NULL || k3 == NULL || ked == NULL)
		return -1;
	x0 = make_cert(k0, "default", "DNS:default.test");
	x1 = make_cert(k1, "sni-one", "DNS:a.test,DNS:B.Test.,IP:127.0.0.1");
	x2 = make_cert(k2, "*.wild.test", NULL);
	x3 = make_cert(k3, "dup", "DNS:a.test");

	write_pem(PEM_BUNDLE, x0, k0);
	write_pem(PEM_CERT, x0, NULL);
	write_pem(PEM_KEY, NULL, k0);
	write_pem(PEM_OTHER_KEY, NULL, k1);
	write_pem(PEM_ED_KEY, NULL, ked);
	write_pem(PEM_MISMATCH, x0, k1);
	write_pem(PEM_SNI1, x1, k1);
	write_pem(PEM_SNI2, x2, k2);
	write_pem(PEM_SNI3, x3, k3);
	if ((fp = fopen(paths[PEM_GARBAGE], "w")) == NULL)
		return -1;
	fputs("this is not a certificate\n", fp);
	fclose(fp);

	X509_free(x0);
	X509_free(x1);
	X509_free(x2);
	X509_free(x3);
	EVP_PKEY_free(k0);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);
	EVP_PKEY_free(ked);
	return 0;
}

static int
group_teardown(LB_UNUSED void **state)
{
	int i;

	for (i = 0; i < PEM_MAX; i++)
		unlink(paths[i]);
	return rmdir(tmpdir);
}

/* ---- helpers --------------------------------------------------------- */

static struct lb_tls_conf
conf(enum pem cert)
{
	struct lb_tls_conf tc;

	memset(&tc, 0, sizeof(tc));
	tc.certificate_file = paths[cert];
	tc.min_version = TLS1_2_VERSION;
	return tc;
}

/* lb_tls_server_new must fail with exactly one error, equal to want. */
static void
expect_error(const struct lb_tls_conf *tc, const char *want)
{
	struct lb_diag	 diag = { 0 };
	SSL_CTX		*ctx;

	ctx = lb_tls_server_new(tc, &diag);
	assert_null(ctx);
	assert_int_equal(diag.n, 1);
	assert_string_equal(diag.msgs[0], want);
	assert_int_equal(ERR_peek_error(), 0);
	lb_diag_fini(&diag);
}

static SSL_CTX *
server_new(const struct lb_tls_conf *tc)
{
	struct lb_diag	 diag = { 0 };
	SSL_CTX		*ctx;

	ctx = lb_tls_server_new(tc, &diag);
	if (diag.n > 0)
		print_error("unexpected error: %s\n", diag.msgs[0]);
	assert_int_equal(diag.n, 0);
	assert_non_null(ctx);
	lb_diag_fini(&diag);
	return ctx;
}

/* What the client does in one connection. */
struct copts {
	const char	*sni;
	int		 minv, maxv;		/* 0: library defaults */
	const char	*ciphers;		/* TLS <= 1.2 */
	const char	*groups;
	const char	*alpn;			/* wire format */
	size_t		 alpn_len;
	SSL_SESSION	*sess;			/* to resume */
	bool		 no_ticket;
	bool		 legacy;		/* security level 0 (for TLS 1.1) */
	bool		 eof;			/* close without close_notify */
	SSL_CTX		*cctx;			/* use this client context instead */
};

/* What came of it. */
struct cres {
	bool		 ok;
	int		 version;
	char		 cn[64];		/* of the certificate the server presented */
	char		 alpn[32];
	char		 cipher[64];
	bool		 reused;
	SSL_SESSION	*sess;			/* client's session afterwards (new ref) */
	unsigned char	 ticket_name[16];	/* first 16 bytes of its ticket */
	bool		 has_ticket;
	int		 server_reason;		/* first server-side error reason */
	int		 server_eof;		/* SSL_get_error after a bare EOF */
};

static void
cres_fini(struct cres *r)
{
	SSL_SESSION_free(r->sess);
	memset(r, 0, sizeof(*r));
}

static bool
want_io(SSL *ssl, int rc)
{
	int e = SSL_get_error(ssl, rc);

	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

/* One handshake and a byte each way between a fresh client and sctx, in memory. */
static void
connect_once(SSL_CTX *sctx, const struct copts *o, struct cres *r)
{
	SSL_CTX			*cctx;
	SSL			*c, *s;
	BIO			*cb, *sb;
	X509			*peer;
	const unsigned char	*p;
	unsigned int		 plen;
	const unsigned char	*tick;
	size_t			 ticklen;
	char			 buf[4];
	int			 i, rc, cdone = 0, sdone = 0;

	memset(r, 0, sizeof(*r));
	ERR_clear_error();
	if (o->cctx != NULL) {
		cctx = o->cctx;
		SSL_CTX_up_ref(cctx);
	} else {
		cctx = SSL_CTX_new(TLS_client_method());
		assert_non_null(cctx);
		if (o->legacy) {
			SSL_CTX_set_security_level(cctx, 0);
			assert_int_equal(SSL_CTX_set_cipher_list(cctx, "DEFAULT:@SECLEVEL=0"), 1);
		}
		if (o->minv != 0)
			SSL_CTX_set_min_proto_version(cctx, o->minv);
		if (o->maxv != 0)
			SSL_CTX_set_max_proto_version(cctx, o->maxv);
		if (o->ciphers != NULL)
			assert_int_equal(SSL_CTX_set_cipher_list(cctx, o->ciphers), 1);
		if (o->groups != NULL)
			assert_int_equal(SSL_CTX_set1_groups_list(cctx, o->groups), 1);
		if (o->alpn != NULL)
			assert_int_equal(SSL_CTX_set_alpn_protos(cctx,
			    (const unsigned char *)o->alpn, (unsigned)o->alpn_len), 0);
		if (o->no_ticket)
			SSL_CTX_set_options(cctx, SSL_OP_NO_TICKET);
	}
	c = SSL_new(cctx);
	s = SSL_new(sctx);
	assert_non_null(c);
	assert_non_null(s);
	assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	if (o->sni != NULL)
		assert_int_equal(SSL_set_tlsext_host_name(c, o->sni), 1);
	if (o->sess != NULL)
		assert_int_equal(SSL_set_session(c, o->sess), 1);

	for (i = 0; i < 64 && !(cdone && sdone); i++) {
		if (!cdone) {
			rc = SSL_do_handshake(c);
			if (rc == 1)
				cdone = 1;
			else if (!want_io(c, rc))
				goto out;
		}
		if (!sdone) {
			rc = SSL_do_handshake(s);
			if (rc == 1)
				sdone = 1;
			else if (!want_io(s, rc)) {
				r->server_reason = ERR_GET_REASON(ERR_peek_error());
				/* Let the client read the alert. */
				SSL_do_handshake(c);
				goto out;
			}
		}
	}
	if (!(cdone && sdone))
		goto out;

	/* Application data both ways; the client takes in TLS 1.3 tickets on the way. */
	assert_int_equal(SSL_write(s, "s", 1), 1);
	assert_int_equal(SSL_read(c, buf, sizeof(buf)), 1);
	assert_int_equal(SSL_write(c, "c", 1), 1);
	assert_int_equal(SSL_read(s, buf, sizeof(buf)), 1);

	r->ok = true;
	r->version = SSL_version(s);
	r->reused = SSL_session_reused(s) == 1;
	assert_int_equal(SSL_session_reused(c), SSL_session_reused(s));
	snprintf(r->cipher, sizeof(r->cipher), "%s", SSL_get_cipher_name(s));
	if ((peer = SSL_get0_peer_certificate(c)) != NULL)
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName,
		    r->cn, sizeof(r->cn));
	SSL_get0_alpn_selected(c, &p, &plen);
	if (plen > 0 && plen < sizeof(r->alpn))
		memcpy(r->alpn, p, plen);
	if (o->eof) {
		/* The client's transport closes with no close_notify. */
		assert_int_equal(BIO_shutdown_wr(SSL_get_wbio(c)), 1);
		rc = SSL_read(s, buf, sizeof(buf));
		r->server_eof = SSL_get_error(s, rc);
		goto out;
	}
	/*
	 * close_notify both ways: OpenSSL marks the session of an SSL freed
	 * without SSL_shutdown not resumable (ssl_clear_bad_session).
	 */
	SSL_shutdown(c);
	SSL_shutdown(s);
	SSL_shutdown(c);
	r->sess = SSL_get1_session(c);
	if (r->sess != NULL) {
		SSL_SESSION_get0_ticket(r->sess, &tick, &ticklen);
		if (ticklen >= sizeof(r->ticket_name)) {
			memcpy(r->ticket_name, tick, sizeof(r->ticket_name));
			r->has_ticket = true;
		}
	}
out:
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	ERR_clear_error();
}

static void
expect_cn(SSL_CTX *sctx, const char *sni, const char *cn)
{
	struct copts	o = { .sni = sni };
	struct cres	r;

	connect_once(sctx, &o, &r);
	assert_true(r.ok);
	assert_string_equal(r.cn, cn);
	cres_fini(&r);
}

/* ---- loading --------------------------------------------------------- */

static void
test_load_bundle(LB_UNUSED void **state)
{
	struct lb_tls_conf	 tc = conf(PEM_BUNDLE);
	SSL_CTX			*ctx = server_new(&tc);

	expect_cn(ctx, NULL, "default");
	SSL_CTX_free(ctx);
	/* min_version 0 means the default (TLS 1.2). */
	tc.min_version = 0;
	ctx = server_new(&tc);
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	SSL_CTX_free(ctx);
}

static void
test_load_separate_key(LB_UNUSED void **state)
{
	struct lb_tls_conf	 tc = conf(PEM_CERT);
	SSL_CTX			*ctx;

	tc.private_key_file = paths[PEM_KEY];
	ctx = server_new(&tc);
	expect_cn(ctx, "default.test", "default");
	SSL_CTX_free(ctx);
}

static void
test_key_mismatch(LB_UNUSED void **state)
{
	struct lb_tls_conf	tc = conf(PEM_MISMATCH);
	char			want[512];

	snprintf(want, sizeof(want), "vip.tls.certificate_file: %s: private key does "
	    "not match the certificate", paths[PEM_MISMATCH]);
	expect_error(&tc, want);

	tc = conf(PEM_CERT);
	tc.private_key_file = paths[PEM_OTHER_KEY];
	snprintf(want, sizeof(want), "vip.tls.private_key_file: %s: private key does "
	    "not match the certificate in %s", paths[PEM_OTHER_KEY], paths[PEM_CERT]);
	expect_error(&tc, want);

	/* A key of another type goes to another slot in OpenSSL: same message. */
	tc.private_key_file = paths[PEM_ED_KEY];
	snprintf(want, sizeof(want), "vip.tls.private_key_file: %s: private key does "
	    "not match the certificate in %s", paths[PEM_ED_KEY], paths[PEM_CERT]);
	expect_error(&tc, want);
}

static void
test_missing_files(LB_UNUSED void **state)
{
	struct lb_tls_conf	tc = conf(PEM_MISSING);
	char			want[512];

	snprintf(want, sizeof(want), "vip.tls.certificate_file: %s: No such file or "
	    "directory", paths[PEM_MISSING]);
	expect_error(&tc, want);

	tc = conf(PEM_CERT);
	tc.private_key_file = paths[PEM_MISSING];
	snprintf(want, sizeof(want), "vip.tls.private_key_file: %s: No such file or "
	    "directory", paths[PEM_MISSING]);
	expect_error(&tc, want);
}

static void
test_not_pem(LB_UNUSED void **state)
{
	struct lb_tls_conf	tc = conf(PEM_GARBAGE);
	char			want[512];

	snprintf(want, sizeof(want), "vip.tls.certificate_file: %s: no certificate "
	    "found", paths[PEM_GARBAGE]);
	expect_error(&tc, want);

	tc = conf(PEM_KEY);
	snprintf(want, sizeof(want), "vip.tls.certificate_file: %s: no certificate "
	    "found", paths[PEM_KEY]);
	expect_error(&tc, want);

	/* Certificate alone and no private_key_file. */
	tc = conf(PEM_CERT);
	snprintf(want, sizeof(want), "vip.tls.certificate_file: %s: no private key "
	    "found", paths[PEM_CERT]);
	expect_error(&tc, want);

	tc.private_key_file = paths[PEM_GARBAGE];
	snprintf(want, sizeof(want), "vip.tls.private_key_file: %s: no private key "
	    "found", paths[PEM_GARBAGE]);
	expect_error(&tc, want);
}

static void
test_bad_ciphers(LB_UNUSED void **state)
{
	struct lb_tls_conf	 tc = conf(PEM_BUNDLE);
	struct lb_diag		 diag = { 0 };
	char			*sni[] = { paths[PEM_SNI1] };

	tc.ciphers = (char *)"NOPE";
	expect_error(&tc, "vip.tls.ciphers: \"NOPE\": no cipher match");

	tc.ciphers = NULL;
	tc.ciphersuites = (char *)"TLS_NOPE";
	expect_error(&tc, "vip.tls.ciphersuites: \"TLS_NOPE\": no cipher match");

	/* Every problem is reported, once, even with SNI contexts sharing the settings. */
	tc.ciphers = (char *)"NOPE";
	tc.certificate_file = paths[PEM_MISSING];
	tc.sni_certificate_files = sni;
	tc.n_sni = 1;
	assert_null(lb_tls_server_new(&tc, &diag));
	assert_int_equal(diag.n, 3);
	assert_non_null(strstr(diag.msgs[0], "vip.tls.ciphers:"));
	assert_non_null(strstr(diag.msgs[1], "vip.tls.ciphersuites:"));
	assert_non_null(strstr(diag.msgs[2], "vip.tls.certificate_file:"));
	lb_diag_fini(&diag);

	tc = conf(PEM_BUNDLE);
	tc.min_version = 0x0200;
	expect_error(&tc, "vip.tls.min_version: 0x0200 is not a supported TLS version");
}

static void
test_bad_sni_file(LB_UNUSED void **state)
{
	struct lb_tls_conf	tc = conf(PEM_BUNDLE);
	char			*sni[] = { paths[PEM_SNI1], paths[PEM_MISMATCH] };
	char			want[512];

	tc.sni_certificate_files = sni;
	tc.n_sni = 2;
	snprintf(want, sizeof(want), "vip.tls.sni_certificate_files[1]: %s: private "
	    "key does not match the certificate", paths[PEM_MISMATCH]);
	expect_error(&tc, want);
}

/* ---- protocol versions, ciphers, groups ------------------------------ */

static void
test_min_version(LB_UNUSED void **state)
{
	struct lb_tls_conf	 tc = conf(PEM_BUNDLE);
	struct copts		 o = { 0 };
	struct cres		 r;
	SSL_CTX			*ctx;

	/* Default: TLS 1.3 and 1.2 accepted, 1.1 refused by the server. */
	ctx = server_new(&tc);
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_int_equal(r.version, TLS1_3_VERSION);
	cres_fini(&r);
	o.maxv = TLS1_2_VERSION;
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_int_equal(r.version, TLS1_2_VERSION);
	cres_fini(&r);
	o.maxv = TLS1_1_VERSION;
	o.legacy = true;
	connect_once(ctx, &o, &r);
	assert_false(r.ok);
	assert_int_equal(r.server_reason, SSL_R_UNSUPPORTED_PROTOCOL);
	cres_fini(&r);
	SSL_CTX_free(ctx);

	/* min_version TLS 1.3: a TLS 1.2 client is refused. */
	tc.min_version = TLS1_3_VERSION;
	ctx = server_new(&tc);
	o.maxv = 0;
	o.legacy = false;
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_int_equal(r.version, TLS1_3_VERSION);
	cres_fini(&r);
	o.maxv = TLS1_2_VERSION;
	connect_once(ctx, &o, &r);
	assert_false(r.ok);
	assert_int_equal(r.server_reason, SSL_R_UNSUPPORTED_PROTOCOL);
	cres_fini(&r);
	SSL_CTX_free(ctx);
}

static void
test_ciphers(LB_UNUSED void **state)
{
	struct lb_tls_conf	 tc = conf(PEM_BUNDLE);
	struct copts		 o = { .maxv = TLS1_2_VERSION };
	struct cres		 r;
	SSL_CTX			*ctx;

	ctx = server_new(&tc);
	/* Defaults: ECDHE + AEAD; CBC suites refused. */
	o.ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305";
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_string_equal(r.cipher, "ECDHE-ECDSA-CHACHA20-POLY1305");
	cres_fini(&r);
	o.ciphers = "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384";
	connect_once(ctx, &o, &r);
	assert_false(r.ok);
	cres_fini(&r);
	/* The client's preference wins (no server cipher preference). */
	o.ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256";
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_string_equal(r.cipher, "ECDHE-ECDSA-AES256-GCM-SHA384");
	cres_fini(&r);
	SSL_CTX_free(ctx);

	/* Configured ciphers replace the defaults. */
	tc.ciphers = (char *)"ECDHE-ECDSA-AES128-SHA";
	ctx = server_new(&tc);
	o.ciphers = "ECDHE-ECDSA-AES128-SHA";
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_string_equal(r.cipher, "ECDHE-ECDSA-AES128-SHA");
	cres_fini(&r);
	SSL_CTX_free(ctx);

	tc.ciphers = NULL;
	tc.ciphersuites = (char *)"TLS_CHACHA20_POLY1305_SHA256";
	ctx = server_new(&tc);
	o.maxv = 0;
	o.ciphers = NULL;
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_string_equal(r.cipher, "TLS_CHACHA20_POLY1305_SHA256");
	cres_fini(&r);
	SSL_CTX_free(ctx);
}

static void
test_groups(LB_UNUSED void **state)
{
	struct lb_tls_conf	 tc = conf(PEM_BUNDLE);
	struct copts		 o = { 0 };
	struct cres		 r;
	SSL_CTX			*ctx = server_new(&tc);

	o.groups = "P-384";
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	cres_fini(&r);
	o.groups = "P-521";
	connect_once(ctx, &o, &r);
	assert_false(r.ok);
	cres_fini(&r);
	o.maxv = TLS1_2_VERSION;
	connect_once(ctx, &o, &r);
	assert_false(r.ok);
	cres_fini(&r);
	SSL_CTX_free(ctx);
}

/* ---- SNI and ALPN ---------------------------------------------------- */

static void
test_sni(LB_UNUSED void **state)
{
	struct lb_tls_conf	 tc = conf(PEM_BUNDLE);
	struct lb_diag		 diag = { 0 };
	char			*sni[] = { paths[PEM_SNI1], paths[PEM_SNI2], paths[PEM_SNI3] };
	struct copts		 o = { .maxv = TLS1_2_VERSION };
	struct cres		 r;
	SSL_CTX			*ctx;

	tc.sni_certificate_files = sni;
	tc.n_sni = 3;
	ctx = lb_tls_server_new(&tc, &diag);
	assert_non_null(ctx);
	assert_int_equal(diag.n, 0);
	/* sni3 repeats a.test: a warning, and sni1 keeps the name. */
	assert_int_equal(diag.nwarn, 1);
	assert_non_null(strstr(diag.warns[0], "vip.tls.sni_certificate_files[2]: a.test"));
	lb_diag_fini(&diag);

	expect_cn(ctx, "a.test", "sni-one");
	expect_cn(ctx, "A.TEST", "sni-one");
	expect_cn(ctx, "b.test", "sni-one");
	expect_cn(ctx, "b.test.", "sni-one");
	expect_cn(ctx, "x.wild.test", "*.wild.test");
	expect_cn(ctx, "X.Wild.Test", "*.wild.test");
	/* A wildcard matches one label only. */
	expect_cn(ctx, "y.x.wild.test", "default");
	expect_cn(ctx, "wild.test", "default");
	expect_cn(ctx, ".wild.test", "default");
	expect_cn(ctx, "default.test", "default");
	expect_cn(ctx, "unknown.test", "default");
	expect_cn(ctx, "127.0.0.1", "default");
	expect_cn(ctx, NULL, "default");

	/* Same over TLS 1.2. */
	o.sni = "a.test";
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_string_equal(r.cn, "sni-one");
	cres_fini(&r);
	o.sni = "nope.test";
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_string_equal(r.cn, "default");
	cres_fini(&r);
	SSL_CTX_free(ctx);
}

static void
test_alpn(LB_UNUSED void **state)
{
	struct lb_tls_conf	 tc = conf(PEM_BUNDLE);
	struct copts		 o = { 0 };
	struct cres		 r;
	SSL_CTX			*ctx = server_new(&tc);

	o.alpn = "\x02h2\x08http/1.1";
	o.alpn_len = 12;
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_string_equal(r.alpn, "http/1.1");
	cres_fini(&r);

	o.alpn = "\x02h2";
	o.alpn_len = 3;
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_string_equal(r.alpn, "");
	cres_fini(&r);

	o.alpn = NULL;
	o.alpn_len = 0;
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_string_equal(r.alpn, "");
	cres_fini(&r);
	SSL_CTX_free(ctx);
}

/* ---- resumption ------------------------------------------------------ */

/* A first connection, then one resuming its session; returns whether it resumed. */
static bool
resumes(SSL_CTX *ctx, struct copts *o)
{
	struct cres	r1, r2;
	bool		reused;

	connect_once(ctx, o, &r1);
	assert_true(r1.ok);
	assert_false(r1.reused);
	assert_non_null(r1.sess);
	o->sess = r1.sess;
	connect_once(ctx, o, &r2);
	o->sess = NULL;
	assert_true(r2.ok);
	reused = r2.reused;
	cres_fini(&r1);
	cres_fini(&r2);
	return reused;
}

static void
test_resume(LB_UNUSED void **state)
{
	struct lb_tls_conf	 tc = conf(PEM_BUNDLE);
	char			*sni[] = { paths[PEM_SNI1] };
	struct copts		 o = { 0 };
	SSL_CTX			*ctx;

	tc.sni_certificate_files = sni;
	tc.n_sni = 1;
	ctx = server_new(&tc);
	/* TLS 1.3 tickets, TLS 1.2 tickets, TLS 1.2 session cache. */
	assert_true(resumes(ctx, &o));
	o.maxv = TLS1_2_VERSION;
	assert_true(resumes(ctx, &o));
	o.no_ticket = true;
	assert_true(resumes(ctx, &o));
	/* And with an SNI certificate. */
	o.sni = "a.test";
	assert_true(resumes(ctx, &o));
	o.no_ticket = false;
	assert_true(resumes(ctx, &o));
	o.maxv = 0;
	assert_true(resumes(ctx, &o));
	SSL_CTX_free(ctx);
}

static void
test_ticket_rotation(LB_UNUSED void **state)
{
	struct lb_tls_conf	 tc = conf(PEM_BUNDLE);
	struct copts		 o = { 0 };
	struct cres		 r0, r1, r2;
	SSL_CTX			*ctx = server_new(&tc);
	int			 maxv[] = { TLS1_3_VERSION, TLS1_2_VERSION };
	size_t			 i;

	/* Not due yet. */
	lb_tls_rotate(ctx);
	assert_int_equal(lb_tls_rotate_after(ctx, LB_TLS_TICKET_ROTATE_MS), 0);
	assert_int_equal(lb_tls_rotate_after(NULL, 0), 0);

	for (i = 0; i < LB_ARRAY_SIZE(maxv); i++) {
		o.maxv = maxv[i];
		connect_once(ctx, &o, &r0);
		assert_true(r0.ok);
		assert_true(r0.has_ticket);

		/* One rotation: the old ticket resumes and is renewed under the new key. */
		assert_int_equal(lb_tls_rotate_after(ctx, 0), 1);
		o.sess = r0.sess;
		connect_once(ctx, &o, &r1);
		assert_true(r1.ok);
		assert_true(r1.reused);
		assert_true(r1.has_ticket);
		assert_memory_not_equal(r1.ticket_name, r0.ticket_name, 16);

		/* Still in the ring after a second rotation; gone after a third. */
		assert_int_equal(lb_tls_rotate_after(ctx, 0), 1);
		connect_once(ctx, &o, &r2);
		assert_true(r2.reused);
		cres_fini(&r2);
		assert_int_equal(lb_tls_rotate_after(ctx, 0), 1);
		connect_once(ctx, &o, &r2);
		assert_true(r2.ok);
		assert_false(r2.reused);
		cres_fini(&r2);

		/* The renewed ticket is from the key made two rotations ago: still good. */
		o.sess = r1.sess;
		connect_once(ctx, &o, &r2);
		assert_true(r2.reused);
		cres_fini(&r2);
		o.sess = NULL;
		cres_fini(&r0);
		cres_fini(&r1);
	}
	SSL_CTX_free(ctx);
}

static void
test_keep_tickets(LB_UNUSED void **state)
{
	struct lb_tls_conf	 tc = conf(PEM_BUNDLE);
	char			*sni[] = { paths[PEM_SNI1] };
	struct copts		 o = { .sni = "a.test" };
	struct cres		 r0, r1, r2;
	SSL_CTX			*old, *ctx;

	tc.sni_certificate_files = sni;
	tc.n_sni = 1;
	old = server_new(&tc);
	connect_once(old, &o, &r0);
	assert_true(r0.ok);
	assert_string_equal(r0.cn, "sni-one");

	/* A reload without lb_tls_keep_tickets: a full handshake. */
	ctx = server_new(&tc);
	o.sess = r0.sess;
	connect_once(ctx, &o, &r1);
	assert_true(r1.ok);
	assert_false(r1.reused);
	cres_fini(&r1);
	SSL_CTX_free(ctx);

	/* With it: resumed, with or without SNI, even once the old context is gone. */
	o.sni = NULL;
	o.sess = NULL;
	connect_once(old, &o, &r2);
	assert_true(r2.ok);
	ctx = server_new(&tc);
	lb_tls_keep_tickets(ctx, old);
	lb_tls_keep_tickets(ctx, NULL);
	SSL_CTX_free(old);
	o.sess = r2.sess;
	connect_once(ctx, &o, &r1);
	assert_true(r1.ok);
	assert_true(r1.reused);
	cres_fini(&r1);
	o.sni = "a.test";
	o.sess = r0.sess;
	connect_once(ctx, &o, &r1);
	assert_true(r1.ok);
	assert_true(r1.reused);
	cres_fini(&r1);
	cres_fini(&r0);
	cres_fini(&r2);
	SSL_CTX_free(ctx);
}

static void
test_unexpected_eof(LB_UNUSED void **state)
{
	struct lb_tls_conf	 tc = conf(PEM_BUNDLE);
	struct copts		 o = { .eof = true };
	struct cres		 r;
	SSL_CTX			*ctx = server_new(&tc);

	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_int_equal(r.server_eof, SSL_ERROR_ZERO_RETURN);
	cres_fini(&r);
	SSL_CTX_free(ctx);
}

/* ---- client context -------------------------------------------------- */

static void
test_client(LB_UNUSED void **state)
{
	struct lb_tls_conf	 tc = conf(PEM_BUNDLE);
	SSL_CTX			*ctx = server_new(&tc);
	struct copts		 o = { 0 };
	struct cres		 r;

	o.cctx = lb_tls_client_new(NULL, NULL);
	assert_non_null(o.cctx);
	assert_int_equal(SSL_CTX_get_verify_mode(o.cctx), SSL_VERIFY_NONE);
	assert_int_equal(SSL_CTX_get_min_proto_version(o.cctx), TLS1_2_VERSION);
	/* A self-signed certificate is fine for a health check. */
	connect_once(ctx, &o, &r);
	assert_true(r.ok);
	assert_string_equal(r.alpn, "http/1.1");
	cres_fini(&r);
	SSL_CTX_free(o.cctx);
	SSL_CTX_free(ctx);
}

/* ---- client certificates (tls_helpers.c's PKI) ---------------------------- */

/* A terminating context for PKI_SERVER (and sni.test) asking per mode/ca/crl; NULL if refused. */
static SSL_CTX *
auth_ctx(enum lb_tls_client_auth mode, const char *ca, const char *crl, struct lb_diag *diag)
{
	struct lb_tls_conf		 tc = { .min_version = TLS1_2_VERSION };
	struct lb_tls_auth_params	 p = { .jpath = "listeners[0]", .mode = mode,
					    .ca_file = ca, .crl_file = crl };
	char				*sni[] = { (char *)pki_path(PKI_SERVER_SNI) };
	SSL_CTX				*ctx;

	tc.certificate_file = (char *)pki_path(PKI_SERVER);
	tc.sni_certificate_files = sni;
	tc.n_sni = 1;
	ctx = lb_tls_server_new(&tc, diag);
	assert_non_null(ctx);
	if (lb_tls_server_set_client_auth(ctx, &p, diag) == -1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* What the server made of one client connection presenting cert (NOTHING: none). */
struct auth_res {
	bool			ok;
	bool			resumed;
	bool			peer;		/* the server holds a client certificate */
	long			verify;
	struct lb_tls_error	err;		/* the server's failure */
	SSL_SESSION		*sess;		/* the client's, new reference */
};

#define NOTHING	PKI_MAX

static void
auth_connect(SSL_CTX *sctx, enum pki_file cert, const char *sni, SSL_SESSION *resume,
    struct auth_res *r)
{
	SSL_CTX	*cctx = SSL_CTX_new(TLS_client_method());
	SSL	*c, *s;
	BIO	*cb, *sb;
	char	 byte;
	int	 i, rc, cdone = 0, sdone = 0, e;

	memset(r, 0, sizeof(*r));
	assert_non_null(cctx);
	if (cert != NOTHING) {
		assert_int_equal(SSL_CTX_use_certificate_file(cctx, pki_path(cert),
		    SSL_FILETYPE_PEM), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey_file(cctx, pki_path(cert),
		    SSL_FILETYPE_PEM), 1);
	}
	c = SSL_new(cctx);
	s = SSL_new(sctx);
	assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	if (sni != NULL)
		SSL_set_tlsext_host_name(c, sni);
	if (resume != NULL)
		SSL_set_session(c, resume);
	for (i = 0; i < 32 && !(cdone && sdone); i++) {
		if (!cdone && (rc = SSL_do_handshake(c)) == 1)
			cdone = 1;
		else if (!cdone && !want_io(c, rc))
			break;
		if (!sdone) {
			ERR_clear_error();
			rc = SSL_do_handshake(s);
			if (rc == 1)
				sdone = 1;
			else if (!want_io(s, rc)) {
				e = SSL_get_error(s, rc);
				lb_tls_error_get(s, e, 0, &r->err);
				break;
			}
		}
	}
	r->verify = SSL_get_verify_result(s);
	r->peer = SSL_get0_peer_certificate(s) != NULL;
	if (cdone && sdone) {
		assert_int_equal(SSL_write(s, "s", 1), 1);
		assert_int_equal(SSL_read(c, &byte, 1), 1);
		r->ok = true;
		r->resumed = SSL_session_reused(s) == 1;
		SSL_shutdown(c);
		SSL_shutdown(s);
		SSL_shutdown(c);
		r->sess = SSL_get1_session(c);
	}
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	ERR_clear_error();
}

static void
expect_refused(SSL_CTX *sctx, enum pki_file cert, enum lb_tls_result res, long verify,
    const char *text)
{
	struct auth_res	r;
	char		why[160];

	auth_connect(sctx, cert, NULL, NULL, &r);
	assert_false(r.ok);
	assert_int_equal(r.err.result, res);
	assert_int_equal(r.verify, verify);
	assert_string_equal(lb_tls_error_text(&r.err, why, sizeof(why)), text);
}

static void
test_auth_none(LB_UNUSED void **state)
{
	SSL_CTX		*ctx = auth_ctx(LB_TLS_AUTH_NONE, pki_path(PKI_CA), NULL, NULL);
	struct auth_res	 r;

	/* not even asked: the certificate is never sent */
	auth_connect(ctx, PKI_CLIENT, NULL, NULL, &r);
	assert_true(r.ok);
	assert_false(r.peer);
	assert_int_equal(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_NONE);
	SSL_SESSION_free(r.sess);
	SSL_CTX_free(ctx);
}

static void
test_auth_optional(LB_UNUSED void **state)
{
	SSL_CTX		*ctx = auth_ctx(LB_TLS_AUTH_OPTIONAL, pki_path(PKI_CA), pki_path(PKI_CRL),
			    NULL);
	struct auth_res	 r;
	const char	*sni[] = { NULL, "sni.test" };
	size_t		 i;

	assert_non_null(ctx);
	/* the same on the default and on an SNI context */
	for (i = 0; i < LB_ARRAY_SIZE(sni); i++) {
		auth_connect(ctx, NOTHING, sni[i], NULL, &r);
		assert_true(r.ok);
		assert_false(r.peer);
		assert_int_equal(r.verify, X509_V_OK);
		SSL_SESSION_free(r.sess);
		auth_connect(ctx, PKI_CLIENT, sni[i], NULL, &r);
		assert_true(r.ok);
		assert_true(r.peer);
		assert_int_equal(r.verify, X509_V_OK);
		SSL_SESSION_free(r.sess);
		auth_connect(ctx, PKI_CLIENT_REVOKED, sni[i], NULL, &r);
		assert_false(r.ok);
		assert_int_equal(r.verify, X509_V_ERR_CERT_REVOKED);
	}
	/* a certificate that does not verify fails the handshake, as HAProxy's verify optional */
	expect_refused(ctx, PKI_CLIENT_EXPIRED, LB_TLS_VERIFY, X509_V_ERR_CERT_HAS_EXPIRED,
	    "TLS handshake failed: certificate verify failed: certificate has expired");
	expect_refused(ctx, PKI_CLIENT_REVOKED, LB_TLS_VERIFY, X509_V_ERR_CERT_REVOKED,
	    "TLS handshake failed: certificate verify failed: certificate revoked");
	expect_refused(ctx, PKI_CLIENT_WRONG, LB_TLS_VERIFY,
	    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
	    "TLS handshake failed: certificate verify failed: unable to get local issuer "
	    "certificate");
	SSL_CTX_free(ctx);
}

static void
test_auth_mandatory(LB_UNUSED void **state)
{
	SSL_CTX		*ctx = auth_ctx(LB_TLS_AUTH_MANDATORY, pki_path(PKI_CA), NULL, NULL);
	struct auth_res	 r;

	assert_non_null(ctx);
	auth_connect(ctx, PKI_CLIENT, NULL, NULL, &r);
	assert_true(r.ok);
	assert_true(r.peer);
	SSL_SESSION_free(r.sess);
	/* no CRL given: the revoked certificate is just a certificate */
	auth_connect(ctx, PKI_CLIENT_REVOKED, "sni.test", NULL, &r);
	assert_true(r.ok);
	SSL_SESSION_free(r.sess);
	expect_refused(ctx, NOTHING, LB_TLS_NO_CERT, X509_V_OK,
	    "TLS handshake failed: peer did not return a certificate");
	expect_refused(ctx, PKI_CLIENT_WRONG, LB_TLS_VERIFY,
	    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
	    "TLS handshake failed: certificate verify failed: unable to get local issuer "
	    "certificate");
	SSL_CTX_free(ctx);
}

static void
expect_auth_error(enum lb_tls_client_auth mode, const char *ca, const char *crl,
    const char *want)
{
	struct lb_diag	 diag = { 0 };

	assert_null(auth_ctx(mode, ca, crl, &diag));
	assert_int_equal(diag.n, 1);
	assert_string_equal(diag.msgs[0], want);
	assert_int_equal(ERR_peek_error(), 0);
	lb_diag_fini(&diag);
}

static void
test_auth_errors(LB_UNUSED void **state)
{
	char want[512];

	expect_auth_error(LB_TLS_AUTH_OPTIONAL, NULL, NULL,
	    "listeners[0].tls.client_ca_file: required with client_authentication OPTIONAL");
	expect_auth_error(LB_TLS_AUTH_MANDATORY, "/nonexistent.pem", NULL,
	    "listeners[0].tls.client_ca_file: /nonexistent.pem: No such file or directory");
	snprintf(want, sizeof(want), "listeners[0].tls.client_ca_file: %s: no certificate found",
	    pki_path(PKI_GARBAGE));
	expect_auth_error(LB_TLS_AUTH_MANDATORY, pki_path(PKI_GARBAGE), NULL, want);
	snprintf(want, sizeof(want), "listeners[0].tls.client_crl_file: %s: no CRL found",
	    pki_path(PKI_CA));
	expect_auth_error(LB_TLS_AUTH_MANDATORY, pki_path(PKI_CA), pki_path(PKI_CA), want);
	expect_auth_error((enum lb_tls_client_auth)7, pki_path(PKI_CA), NULL,
	    "listeners[0].client_authentication: unknown mode 7");
	assert_string_equal(lb_tls_client_auth_names[LB_TLS_AUTH_MANDATORY], "MANDATORY");
}

/*
 * The reload path: a context rebuilt from the files keeps the tickets; a
 * session resumes while the CA and CRL are the same, and not once the CRL
 * changed, so a client revoked meanwhile has to verify again and fails.
 */
static void
test_auth_reload_crl(LB_UNUSED void **state)
{
	const char	*crl = pki_tmp(0);
	SSL_CTX		*old, *same, *renewed;
	struct auth_res	 r0, r;

	pki_copy(pki_path(PKI_CRL_EMPTY), crl);
	old = auth_ctx(LB_TLS_AUTH_OPTIONAL, pki_path(PKI_CA), crl, NULL);
	auth_connect(old, PKI_CLIENT, NULL, NULL, &r0);
	assert_true(r0.ok);
	assert_non_null(r0.sess);
	auth_connect(old, PKI_CLIENT, NULL, r0.sess, &r);
	assert_true(r.resumed);
	SSL_SESSION_free(r.sess);

	/* reload, nothing changed: resumes */
	same = auth_ctx(LB_TLS_AUTH_OPTIONAL, pki_path(PKI_CA), crl, NULL);
	lb_tls_keep_tickets(same, old);
	auth_connect(same, PKI_CLIENT, NULL, r0.sess, &r);
	assert_true(r.ok);
	assert_true(r.resumed);
	assert_true(r.peer);
	SSL_SESSION_free(r.sess);

	/* reload with a CRL that revokes the client: no resumption, refused */
	pki_copy(pki_path(PKI_CRL_VALID), crl);
	renewed = auth_ctx(LB_TLS_AUTH_OPTIONAL, pki_path(PKI_CA), crl, NULL);
	lb_tls_keep_tickets(renewed, same);
	auth_connect(renewed, PKI_CLIENT, NULL, r0.sess, &r);
	assert_false(r.ok);
	assert_false(r.resumed);
	assert_int_equal(r.err.result, LB_TLS_VERIFY);
	assert_int_equal(r.verify, X509_V_ERR_CERT_REVOKED);
	/* and another client is still welcome */
	auth_connect(renewed, NOTHING, NULL, NULL, &r);
	assert_true(r.ok);
	SSL_SESSION_free(r.sess);

	SSL_SESSION_free(r0.sess);
	SSL_CTX_free(old);
	SSL_CTX_free(same);
	SSL_CTX_free(renewed);
}

/* Failures named from the error queue, and worded. */
static void
test_error_names(LB_UNUSED void **state)
{
	struct lb_tls_error	e = { 0 };
	char			buf[128];

	assert_string_equal(lb_tls_result_names[LB_TLS_CLOSED], "CLOSED");
	assert_string_equal(lb_tls_error_text(&e, buf, sizeof(buf)), "no TLS error");
	e.result = LB_TLS_CLOSED;
	assert_string_equal(lb_tls_error_text(&e, buf, sizeof(buf)),
	    "connection closed during TLS handshake");
	e.result = LB_TLS_IO;
	e.code = ECONNRESET;
	assert_string_equal(lb_tls_error_text(&e, buf, sizeof(buf)),
	    "TLS handshake failed: Connection reset by peer");
	e.result = LB_TLS_HANDSHAKE;
	e.err = ERR_PACK(ERR_LIB_SSL, 0, SSL_R_TLSV1_ALERT_UNKNOWN_CA);
	assert_string_equal(lb_tls_error_text(&e, buf, sizeof(buf)),
	    "TLS handshake failed: tlsv1 alert unknown ca");
	e.err = 0;
	assert_string_equal(lb_tls_error_text(&e, buf, sizeof(buf)),
	    "TLS handshake failed: protocol error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_bundle),
		cmocka_unit_test(test_load_separate_key),
		cmocka_unit_test(test_key_mismatch),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_not_pem),
		cmocka_unit_test(test_bad_ciphers),
		cmocka_unit_test(test_bad_sni_file),
		cmocka_unit_test(test_min_version),
		cmocka_unit_test(test_ciphers),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_sni),
		cmocka_unit_test(test_alpn),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_ticket_rotation),
		cmocka_unit_test(test_keep_tickets),
		cmocka_unit_test(test_unexpected_eof),
		cmocka_unit_test(test_client),
	};

	const struct CMUnitTest auth_tests[] = {
		cmocka_unit_test(test_auth_none),
		cmocka_unit_test(test_auth_optional),
		cmocka_unit_test(test_auth_mandatory),
		cmocka_unit_test(test_auth_errors),
		cmocka_unit_test(test_auth_reload_crl),
		cmocka_unit_test(test_error_names),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	rc |= cmocka_run_group_tests_name("client certificates", auth_tests, pki_setup,
	    pki_teardown);
	return rc;
}
