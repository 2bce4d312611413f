/*
 * tls.c: OpenSSL 3 contexts for TLS termination (and the loading helpers
 * the member side shares), client certificate requests, failure names.
 *
 * The default certificate lives in the context handed to the listener; each
 * SNI certificate gets its own context built with the same settings. The
 * client hello callback picks the context by name before OpenSSL looks up a
 * session, so the certificate, ALPN callback and session id context agree.
 * OpenSSL keeps using the first (default) context for the session cache and
 * for ticket keys (s->session_ctx), so resumption works whatever certificate
 * was chosen; the SNI contexts still carry the same ticket ring so nothing
 * depends on that detail.
 *
 * Ticket keys form a small ring (current + two previous) shared by all
 * contexts of a VIP, behind a rwlock: handshakes read it on worker threads,
 * lb_tls_rotate writes it on the main thread.
 *
 * Cipher preference is the client's (no SSL_OP_CIPHER_SERVER_PREFERENCE), as
 * in Mozilla "intermediate": every suite offered is strong, and the client
 * knows best whether it has AES hardware or should use ChaCha20.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lbproxy/config.h"
#include "lbproxy/diag.h"
#include "lbproxy/log.h"
#include "lbproxy/tls.h"
#include "lbproxy/util.h"

#include "tls_int.h"

/* Mozilla "intermediate" (v5.7) without the DHE suites: ECDHE + AEAD only. */
#define TLS_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
/* The three TLS 1.3 suites, set explicitly so a system openssl.cnf cannot change them. */
#define TLS_CIPHERSUITES \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define TLS_GROUPS		"X25519:P-256:P-384"
#define TLS_SESS_CACHE_SIZE	20000
#define TLS_SESS_TIMEOUT	300	/* seconds; also the ticket lifetime hint */
#define TLS_SID_CTX		"lbproxy"
#define TLS_TICKET_KEYS		3	/* current + previous two */
#define TLS_TICKET_NAME_LEN	16
#define TLS_ALPN_HTTP11		"http/1.1"

struct tls_ticket_key {
	unsigned char	name[TLS_TICKET_NAME_LEN];
	unsigned char	aes[32];	/* AES-256-CBC */
	unsigned char	hmac[32];	/* HMAC-SHA256 */
};

struct tls_ring {
	pthread_rwlock_t	lock;
	atomic_int		refs;
	struct tls_ticket_key	keys[TLS_TICKET_KEYS];	/* [0] encrypts, all decrypt */
	size_t			nkeys;
	uint64_t		born_ms;	/* when keys[0] was made */
};

/* One name from a certificate: "www.example.com" or "*.example.com". */
struct tls_name {
	char	*name;			/* lower case, no trailing dot */
	SSL_CTX	*ctx;			/* borrowed: the default or one of sni[] */
};

/* What an lbproxy context carries in its ex_data. */
struct tls_data {
	struct tls_ring	 *ring;		/* shared by all contexts of a VIP */
	SSL_CTX		**sni;		/* default context only: owned */
	size_t		  n_sni;
	struct tls_name	 *names;	/* default context only */
	size_t		  n_names;
	unsigned char	  alpn[32];	/* alpn_protocols in wire format, our preference first */
	unsigned	  alpn_len;
};

static int		tls_idx = -1;
static pthread_once_t	tls_once = PTHREAD_ONCE_INIT;
/*
 * The ticket cipher, fetched once: EVP_aes_256_cbc() is a legacy handle
 * that OpenSSL 3 fetches again from the provider on every
 * EVP_EncryptInit_ex, i.e. on every ticket issued or opened.
 */
static EVP_CIPHER	*ticket_cipher;

static void	data_free(void *, void *, CRYPTO_EX_DATA *, int, long, void *);

static void
idx_init(void)
{
	tls_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, data_free);
	ticket_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
}

static struct tls_data *
data_of(const SSL_CTX *ctx)
{
	pthread_once(&tls_once, idx_init);
	if (ctx == NULL || tls_idx == -1)
		return NULL;
	return SSL_CTX_get_ex_data(ctx, tls_idx);
}

void
lb_tls_diag_err(struct lb_diag *diag, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		abort();
	va_end(ap);
	if (diag != NULL)
		lb_diag_err(diag, "%s", s);
	else
		lb_err("tls: %s", s);
	free(s);
}

/* "No such file or directory", or the last error's reason; see tls_int.h. */
const char *
lb_tls_ssl_reason(const char *nopem)
{
	unsigned long	 e, last = 0, sys = 0;
	const char	*r;
	bool		 nostart = false;

	while ((e = ERR_get_error()) != 0) {
		if (ERR_SYSTEM_ERROR(e) && sys == 0)
			sys = e;
		if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
			nostart = true;
		last = e;
	}
	if (sys != 0)
		return strerror(ERR_GET_REASON(sys));
	if (last == 0)
		return "unknown error";
	if (nopem != NULL && nostart)
		return nopem;
	if ((r = ERR_reason_error_string(last)) == NULL)
		return "unknown error";
	return r;
}

/* ---- ticket keys ---------------------------------------------------- */

static int
key_make(struct tls_ticket_key *k)
{
	if (RAND_bytes(k->name, sizeof(k->name)) != 1 ||
	    RAND_priv_bytes(k->aes, sizeof(k->aes)) != 1 ||
	    RAND_priv_bytes(k->hmac, sizeof(k->hmac)) != 1) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

/* Returns a new ring holding one fresh key, or NULL. */
static struct tls_ring *
ring_new(void)
{
	struct tls_ring *ring;

	ring = lb_xcalloc(1, sizeof(*ring));
	if (key_make(&ring->keys[0]) == -1) {
		free(ring);
		return NULL;
	}
	if (pthread_rwlock_init(&ring->lock, NULL) != 0) {
		OPENSSL_cleanse(ring, sizeof(*ring));
		free(ring);
		return NULL;
	}
	atomic_init(&ring->refs, 1);
	ring->nkeys = 1;
	ring->born_ms = lb_now_ms();
	return ring;
}

static struct tls_ring *
ring_ref(struct tls_ring *ring)
{
	atomic_fetch_add(&ring->refs, 1);
	return ring;
}

static void
ring_unref(struct tls_ring *ring)
{
	if (ring == NULL || atomic_fetch_sub(&ring->refs, 1) != 1)
		return;
	pthread_rwlock_destroy(&ring->lock);
	OPENSSL_cleanse(ring, sizeof(*ring));
	free(ring);
}

static int
mac_init(EVP_MAC_CTX *hctx, unsigned char *key, size_t len)
{
	static char	digest[] = "SHA256";
	OSSL_PARAM	params[3];

	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key, len);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[2] = OSSL_PARAM_construct_end();
	return EVP_MAC_CTX_set_params(hctx, params) == 1 ? 0 : -1;
}

/*
 * Ticket key callback (OpenSSL 3 API). Encrypt: current key, random IV.
 * Decrypt: 1 with the current key, 2 (decrypt and renew) with an older key
 * still in the ring, 0 for an unknown key (full handshake). TLS 1.3 always
 * renews: 1 tells OpenSSL to send no ticket on the resumed connection
 * (OpenSSL's own ticket keys renew in 1.3 for that reason), and a client
 * that keeps only its newest ticket, as wrk and most clients do, would do
 * a full handshake on every other connection (RFC 8446 C.4: tickets are
 * best used once).
 */
static int
ticket_key_cb(SSL *ssl, unsigned char name[TLS_TICKET_NAME_LEN],
    unsigned char *iv, EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct tls_data		*d = data_of(SSL_get_SSL_CTX(ssl));
	struct tls_ring		*ring;
	struct tls_ticket_key	*k;
	const EVP_CIPHER	*cipher = ticket_cipher;
	size_t			 i;
	int			 rc;

	if (d == NULL || (ring = d->ring) == NULL || cipher == NULL)
		return 0;	/* no ticket issued; cannot decrypt */
	pthread_rwlock_rdlock(&ring->lock);
	if (enc) {
		k = &ring->keys[0];
		rc = -1;
		if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(cipher)) == 1 &&
		    EVP_EncryptInit_ex(cctx, cipher, NULL, k->aes, iv) == 1 &&
		    mac_init(hctx, k->hmac, sizeof(k->hmac)) == 0) {
			memcpy(name, k->name, TLS_TICKET_NAME_LEN);
			rc = 1;
		}
	} else {
		rc = 0;
		for (i = 0; i < ring->nkeys; i++) {
			k = &ring->keys[i];
			if (memcmp(name, k->name, TLS_TICKET_NAME_LEN) != 0)
				continue;
			if (mac_init(hctx, k->hmac, sizeof(k->hmac)) == 0 &&
			    EVP_DecryptInit_ex(cctx, cipher, NULL, k->aes, iv) == 1)
				rc = i == 0 && SSL_version(ssl) != TLS1_3_VERSION ? 1 : 2;
			else
				rc = -1;
			break;
		}
	}
	pthread_rwlock_unlock(&ring->lock);
	return rc;
}

int
lb_tls_rotate_after(SSL_CTX *ctx, uint64_t max_age_ms)
{
	struct tls_data		*d = data_of(ctx);
	struct tls_ring		*ring;
	struct tls_ticket_key	 k;
	uint64_t		 now = lb_now_ms();
	bool			 due;

	if (d == NULL || (ring = d->ring) == NULL)
		return 0;
	pthread_rwlock_rdlock(&ring->lock);
	due = now - ring->born_ms >= max_age_ms;
	pthread_rwlock_unlock(&ring->lock);
	if (!due)
		return 0;
	if (key_make(&k) == -1) {
		lb_err("tls: cannot make a session ticket key, keeping the current one");
		return 0;
	}

	pthread_rwlock_wrlock(&ring->lock);
	memmove(&ring->keys[1], &ring->keys[0],
	    (TLS_TICKET_KEYS - 1) * sizeof(ring->keys[0]));
	ring->keys[0] = k;
	if (ring->nkeys < TLS_TICKET_KEYS)
		ring->nkeys++;
	ring->born_ms = now;
	pthread_rwlock_unlock(&ring->lock);

	OPENSSL_cleanse(&k, sizeof(k));
	lb_debug("tls: new session ticket key");
	return 1;
}

void
lb_tls_rotate(SSL_CTX *ctx)
{
	lb_tls_rotate_after(ctx, LB_TLS_TICKET_ROTATE_MS);
}

static void
data_set_ring(struct tls_data *d, struct tls_ring *ring)
{
	ring_unref(d->ring);
	d->ring = ring_ref(ring);
}

void
lb_tls_keep_tickets(SSL_CTX *ctx, const SSL_CTX *old)
{
	struct tls_data	*d = data_of(ctx), *od = data_of(old);
	struct tls_data	*sd;
	size_t		 i;

	if (d == NULL || od == NULL || od->ring == NULL || d->ring == od->ring)
		return;
	for (i = 0; i < d->n_sni; i++) {
		if ((sd = data_of(d->sni[i])) != NULL)
			data_set_ring(sd, od->ring);
	}
	data_set_ring(d, od->ring);
}

/* ex_data free callback: runs for every SSL_CTX, ptr NULL for foreign ones. */
static void
data_free(LB_UNUSED void *parent, void *ptr, LB_UNUSED CRYPTO_EX_DATA *ad,
    LB_UNUSED int idx, LB_UNUSED long argl, LB_UNUSED void *argp)
{
	struct tls_data	*d = ptr;
	size_t		 i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n_sni; i++)
		SSL_CTX_free(d->sni[i]);
	free(d->sni);
	for (i = 0; i < d->n_names; i++)
		free(d->names[i].name);
	free(d->names);
	ring_unref(d->ring);
	free(d);
}

/* ---- callbacks -------------------------------------------------------- */

/* Lower-case ASCII copy of a DNS name without its trailing dot; -1 if unusable. */
static int
name_norm(const unsigned char *in, size_t len, char *out, size_t size)
{
	size_t i;

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len >= size)
		return -1;
	for (i = 0; i < len; i++) {
		if (in[i] == '\0')
			return -1;
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? in[i] - 'A' + 'a' : in[i];
	}
	out[len] = '\0';
	return 0;
}

/* The context serving name (normalised): exact names first, then "*.rest". */
static SSL_CTX *
sni_find(const struct tls_data *d, const char *name)
{
	const char	*dot;
	size_t		 i;

	for (i = 0; i < d->n_names; i++) {
		if (strcmp(d->names[i].name, name) == 0)
			return d->names[i].ctx;
	}
	/* A wildcard stands for exactly one leading label. */
	if ((dot = strchr(name, '.')) == NULL || dot == name || dot[1] == '\0')
		return NULL;
	for (i = 0; i < d->n_names; i++) {
		if (d->names[i].name[0] == '*' && strcmp(d->names[i].name + 1, dot) == 0)
			return d->names[i].ctx;
	}
	return NULL;
}

/*
 * Client hello callback (default context only): switch to the SNI context
 * for the first host_name in the server_name extension. Malformed
 * extensions are left for OpenSSL's own parser to reject.
 */
static int
client_hello_cb(SSL *ssl, LB_UNUSED int *al, void *arg)
{
	const struct tls_data	*d = arg;
	const unsigned char	*p;
	size_t			 len, n;
	char			 name[256];
	SSL_CTX			*ctx;

	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len))
		return SSL_CLIENT_HELLO_SUCCESS;
	/* ServerNameList: u16 length, then entries of u8 type, u16 length, name. */
	if (len < 5 || ((size_t)p[0] << 8 | p[1]) != len - 2 ||
	    p[2] != TLSEXT_NAMETYPE_host_name)
		return SSL_CLIENT_HELLO_SUCCESS;
	n = (size_t)p[3] << 8 | p[4];
	if (n > len - 5 || name_norm(p + 5, n, name, sizeof(name)) == -1)
		return SSL_CLIENT_HELLO_SUCCESS;
	ctx = sni_find(d, name);
	if (ctx != NULL && ctx != SSL_get_SSL_CTX(ssl))
		SSL_set_SSL_CTX(ssl, ctx);
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* Acknowledge SNI when sent (the choice was made in client_hello_cb). */
static int
servername_cb(SSL *ssl, LB_UNUSED int *al, LB_UNUSED void *arg)
{
	if (SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	return SSL_TLSEXT_ERR_OK;
}

/*
 * ALPN: the first of the listener's alpn_protocols (default http/1.1) the
 * client offers; none in common: carry on without ALPN (HTTP/1.1), as
 * HAProxy does.
 */
static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, LB_UNUSED void *arg)
{
	const struct tls_data *d = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_idx);
	const unsigned char *p, *q, *end = in + inlen;

	if (d == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	for (p = d->alpn; p < d->alpn + d->alpn_len; p += 1 + *p)
		for (q = in; q < end && (size_t)(end - q) > *q; q += 1 + *q)
			if (*q == *p && memcmp(q + 1, p + 1, *p) == 0) {
				*out = q + 1;
				*outlen = *q;
				return SSL_TLSEXT_ERR_OK;
			}
	return SSL_TLSEXT_ERR_NOACK;
}

int
lb_tls_alpn_wire(const char *const *names, size_t count, const char *jp, unsigned char *out,
    size_t size, struct lb_diag *diag)
{
	size_t i, len, n = 0;

	for (i = 0; i < count; i++) {
		len = names[i] != NULL ? strlen(names[i]) : 0;
		if (len == 0 || len > 255) {
			lb_tls_diag_err(diag, "%s.alpn_protocols[%zu]: must be 1..255 bytes",
			    jp, i);
			return -1;
		}
		if (n + 1 + len > size) {
			lb_tls_diag_err(diag, "%s.alpn_protocols: longer than %zu bytes", jp, size);
			return -1;
		}
		out[n++] = (unsigned char)len;
		memcpy(out + n, names[i], len);
		n += len;
	}
	return (int)n;
}

/*
 * The listener's alpn_protocols in wire format (http/1.1 when none is
 * given): LB_ALPN_MAX known names always fit in d->alpn.
 */
static void
alpn_of(struct tls_data *d, const struct lb_tls_conf *tc)
{
	const char *names[LB_ALPN_MAX] = { TLS_ALPN_HTTP11 };
	size_t i;
	int n;

	for (i = 0; i < tc->n_alpn; i++)
		names[i] = lb_alpn_names[tc->alpn[i]];
	n = lb_tls_alpn_wire(names, tc->n_alpn > 0 ? tc->n_alpn : 1, "alpn_protocols",
	    d->alpn, sizeof(d->alpn), NULL);
	d->alpn_len = n > 0 ? (unsigned)n : 0;
}

/* ---- server contexts ---------------------------------------------------- */

/*
 * Apply everything but the certificate to a new server context; errors go
 * to diag with their JSON path. ring is referenced by the context.
 */
static int
ctx_settings(SSL_CTX *ctx, const struct lb_tls_conf *tc, struct tls_ring *ring,
    struct lb_diag *diag)
{
	struct tls_data	*d;
	const char	*ciphers = tc->ciphers != NULL ? tc->ciphers : TLS_CIPHERS;
	const char	*suites = tc->ciphersuites != NULL ? tc->ciphersuites : TLS_CIPHERSUITES;
	int		 minv = tc->min_version != 0 ? tc->min_version : TLS1_2_VERSION;
	int		 rc = 0;

	d = lb_xcalloc(1, sizeof(*d));
	d->ring = ring_ref(ring);
	alpn_of(d, tc);
	if (SSL_CTX_set_ex_data(ctx, tls_idx, d) != 1) {
		data_free(NULL, d, NULL, 0, 0, NULL);
		lb_tls_diag_err(diag, "vip.tls: %s", lb_tls_ssl_reason(NULL));
		return -1;
	}

	SSL_CTX_set_options(ctx, LB_TLS_OPTIONS);
	SSL_CTX_set_mode(ctx, LB_TLS_MODES);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, TLS_SESS_CACHE_SIZE);
	SSL_CTX_set_timeout(ctx, TLS_SESS_TIMEOUT);
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_cb);
	SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, NULL);
	if (SSL_CTX_set_session_id_context(ctx, (const unsigned char *)TLS_SID_CTX,
	    sizeof(TLS_SID_CTX) - 1) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) != 1) {
		lb_tls_diag_err(diag, "vip.tls: %s", lb_tls_ssl_reason(NULL));
		rc = -1;
	}

	if (minv < TLS1_VERSION || minv > TLS1_3_VERSION ||
	    SSL_CTX_set_min_proto_version(ctx, minv) != 1) {
		ERR_clear_error();
		lb_tls_diag_err(diag, "vip.tls.min_version: 0x%04x is not a supported TLS version",
		    (unsigned)minv);
		rc = -1;
	}
	if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
		lb_tls_diag_err(diag, "vip.tls.ciphers: \"%s\": %s", ciphers,
		    lb_tls_ssl_reason(NULL));
		rc = -1;
	}
	if (SSL_CTX_set_ciphersuites(ctx, suites) != 1) {
		lb_tls_diag_err(diag, "vip.tls.ciphersuites: \"%s\": %s", suites,
		    lb_tls_ssl_reason(NULL));
		rc = -1;
	}
	return rc;
}

static int
pass_cb(LB_UNUSED char *buf, LB_UNUSED int size, LB_UNUSED int rwflag, void *u)
{
	*(bool *)u = true;
	return -1;
}

/* Read the first private key in path; returns new or NULL with the reason reported. */
static EVP_PKEY *
key_load(const char *jpath, const char *path, struct lb_diag *diag)
{
	EVP_PKEY	*pkey = NULL;
	BIO		*bio;
	bool		 encrypted = false;

	if ((bio = BIO_new_file(path, "r")) == NULL) {
		lb_tls_diag_err(diag, "%s: %s: %s", jpath, path, lb_tls_ssl_reason(NULL));
		return NULL;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, &encrypted);
	BIO_free(bio);
	if (pkey == NULL) {
		ERR_clear_error();
		lb_tls_diag_err(diag, "%s: %s: %s", jpath, path, encrypted ?
		    "encrypted private keys are not supported" : "no private key found");
	}
	return pkey;
}

/* Certificate chain + key into ctx (see tls_int.h). */
int
lb_tls_load_cert(SSL_CTX *ctx, const char *jpath, const char *certfile,
    const char *kjpath, const char *keyfile, struct lb_diag *diag)
{
	EVP_PKEY	*pkey = NULL;
	X509		*x509;
	int		 rc = -1;

	ERR_clear_error();
	if (certfile == NULL) {
		lb_tls_diag_err(diag, "%s: a certificate is required to terminate TLS", jpath);
		goto out;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, certfile) != 1) {
		lb_tls_diag_err(diag, "%s: %s: %s", jpath, certfile,
		    lb_tls_ssl_reason("no certificate found"));
		goto out;
	}
	x509 = SSL_CTX_get0_certificate(ctx);
	if (X509_cmp_current_time(X509_get0_notAfter(x509)) < 0 && diag != NULL)
		lb_diag_warn(diag, "%s: %s: certificate has expired", jpath, certfile);

	if (keyfile == NULL) {
		kjpath = jpath;
		keyfile = certfile;
	}
	if ((pkey = key_load(kjpath, keyfile, diag)) == NULL)
		goto out;
	/* Checked here so a mismatch of either kind (values, type) reads the same. */
	if (X509_check_private_key(x509, pkey) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		if (keyfile == certfile)
			lb_tls_diag_err(diag, "%s: %s: private key does not match the certificate",
			    jpath, certfile);
		else
			lb_tls_diag_err(diag, "%s: %s: private key does not match the certificate "
			    "in %s", kjpath, keyfile, certfile);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return rc;
}

/* Index name (from a certificate) for ctx unless an earlier certificate has it. */
static void
names_add(struct tls_data *d, const unsigned char *raw, size_t len, SSL_CTX *ctx,
    const char *jpath, struct lb_diag *diag)
{
	char	name[256];
	size_t	i;

	if (name_norm(raw, len, name, sizeof(name)) == -1)
		return;
	/* Only whole-label "*." wildcards can ever match; skip "f*.example.com". */
	if (strchr(name + (strncmp(name, "*.", 2) == 0 ? 1 : 0), '*') != NULL)
		return;
	for (i = 0; i < d->n_names; i++) {
		if (strcmp(d->names[i].name, name) != 0)
			continue;
		if (d->names[i].ctx != ctx && diag != NULL)
			lb_diag_warn(diag, "%s: %s is served by an earlier certificate",
			    jpath, name);
		return;
	}
	d->names = lb_xrealloc(d->names, (d->n_names + 1) * sizeof(*d->names));
	d->names[d->n_names].name = lb_xstrdup(name);
	d->names[d->n_names].ctx = ctx;
	d->n_names++;
}

/* Index ctx under its certificate's DNS subjectAltNames, or its CN if it has none. */
static void
names_index(struct tls_data *d, SSL_CTX *ctx, const char *jpath, struct lb_diag *diag)
{
	X509			*x509 = SSL_CTX_get0_certificate(ctx);
	GENERAL_NAMES		*sans;
	const GENERAL_NAME	*gn;
	X509_NAME		*subj;
	X509_NAME_ENTRY		*ne;
	unsigned char		*cn;
	int			 i, n, len;
	bool			 found = false;

	if (x509 == NULL)
		return;
	sans = X509_get_ext_d2i(x509, NID_subject_alt_name, NULL, NULL);
	n = sans != NULL ? sk_GENERAL_NAME_num(sans) : 0;
	for (i = 0; i < n; i++) {
		gn = sk_GENERAL_NAME_value(sans, i);
		if (gn->type != GEN_DNS)
			continue;
		names_add(d, ASN1_STRING_get0_data(gn->d.dNSName),
		    (size_t)ASN1_STRING_length(gn->d.dNSName), ctx, jpath, diag);
		found = true;
	}
	GENERAL_NAMES_free(sans);
	if (found)
		return;

	subj = X509_get_subject_name(x509);
	i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	if (i >= 0 && (ne = X509_NAME_get_entry(subj, i)) != NULL &&
	    (len = ASN1_STRING_to_UTF8(&cn, X509_NAME_ENTRY_get_data(ne))) >= 0) {
		names_add(d, cn, (size_t)len, ctx, jpath, diag);
		OPENSSL_free(cn);
	}
	ERR_clear_error();
}

/* A server context with settings and certificate; NULL (reported) on error. */
static SSL_CTX *
server_ctx_new(const struct lb_tls_conf *tc, struct tls_ring *ring,
    const char *jpath, const char *certfile, const char *keyfile,
    struct lb_diag *diag, struct lb_diag *sdiag)
{
	SSL_CTX	*ctx;
	int	 rc;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		lb_tls_diag_err(diag, "vip.tls: %s", lb_tls_ssl_reason(NULL));
		return NULL;
	}
	rc = ctx_settings(ctx, tc, ring, sdiag);
	if (lb_tls_load_cert(ctx, jpath, certfile, "vip.tls.private_key_file",
	    keyfile, diag) == -1)
		rc = -1;
	if (rc == -1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *
lb_tls_server_new(const struct lb_tls_conf *tc, struct lb_diag *diag)
{
	struct lb_diag	  quiet = { 0 };
	struct tls_ring	 *ring;
	struct tls_data	 *d = NULL;
	SSL_CTX		 *ctx, *sctx, **sni;
	char		  jpath[64];
	size_t		  i, n_sni = 0;
	bool		  failed = false;

	pthread_once(&tls_once, idx_init);
	if (tls_idx == -1 || (ring = ring_new()) == NULL) {
		ERR_clear_error();
		lb_tls_diag_err(diag, "vip.tls: cannot initialise session ticket keys");
		return NULL;
	}

	ctx = server_ctx_new(tc, ring, "vip.tls.certificate_file",
	    tc->certificate_file, tc->private_key_file, diag, diag);
	if (ctx == NULL)
		failed = true;
	else {
		d = data_of(ctx);
		names_index(d, ctx, "vip.tls.certificate_file", diag);
	}

	/* Each SNI file is loaded even after an error, to report them all. */
	sni = lb_xcalloc(tc->n_sni + 1, sizeof(*sni));
	for (i = 0; i < tc->n_sni; i++) {
		snprintf(jpath, sizeof(jpath), "vip.tls.sni_certificate_files[%zu]", i);
		/* Settings errors were reported for the default context already. */
		sctx = server_ctx_new(tc, ring, jpath, tc->sni_certificate_files[i],
		    NULL, diag, &quiet);
		if (sctx == NULL) {
			failed = true;
			continue;
		}
		sni[n_sni++] = sctx;
		if (d != NULL)
			names_index(d, sctx, jpath, diag);
	}
	lb_diag_fini(&quiet);
	ring_unref(ring);

	if (failed) {
		for (i = 0; i < n_sni; i++)
			SSL_CTX_free(sni[i]);
		free(sni);
		SSL_CTX_free(ctx);
		return NULL;
	}
	d->sni = sni;
	d->n_sni = n_sni;
	if (n_sni > 0)
		SSL_CTX_set_client_hello_cb(ctx, client_hello_cb, d);
	return ctx;
}

/* ---- trusted CAs and CRLs (both directions) ------------------------------ */

/* Every PEM object of path; returns a new stack (maybe empty) or NULL, reported. */
static STACK_OF(X509_INFO) *
pem_infos(const char *jpath, const char *path, struct lb_diag *diag)
{
	STACK_OF(X509_INFO)	*infos;
	BIO			*bio;
	bool			 encrypted = false;

	ERR_clear_error();
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		lb_tls_diag_err(diag, "%s: %s: %s", jpath, path, lb_tls_ssl_reason(NULL));
		return NULL;
	}
	infos = PEM_X509_INFO_read_bio(bio, NULL, pass_cb, &encrypted);
	BIO_free(bio);
	if (infos == NULL)
		lb_tls_diag_err(diag, "%s: %s: %s", jpath, path, lb_tls_ssl_reason(NULL));
	ERR_clear_error();
	return infos;
}

/* Add path's certificates (crl false) or CRLs to store; 0 or -1 (reported). */
static int
store_add(X509_STORE *store, const char *jpath, const char *path, bool crl,
    struct lb_diag *diag)
{
	STACK_OF(X509_INFO)	*infos;
	X509_INFO		*xi;
	int			 i, n = 0, rc = -1;

	if ((infos = pem_infos(jpath, path, diag)) == NULL)
		return -1;
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		xi = sk_X509_INFO_value(infos, i);
		if (crl && xi->crl != NULL) {
			if (X509_STORE_add_crl(store, xi->crl) != 1)
				goto fail;
			if (X509_cmp_current_time(X509_CRL_get0_nextUpdate(xi->crl)) < 0 &&
			    diag != NULL)
				lb_diag_warn(diag, "%s: %s: CRL has expired (every certificate "
				    "it covers will fail to verify)", jpath, path);
			n++;
		} else if (!crl && xi->x509 != NULL) {
			if (X509_STORE_add_cert(store, xi->x509) != 1)
				goto fail;
			n++;
		}
	}
	if (n == 0)
		lb_tls_diag_err(diag, "%s: %s: %s", jpath, path,
		    crl ? "no CRL found" : "no certificate found");
	else
		rc = 0;
	goto out;
fail:
	lb_tls_diag_err(diag, "%s: %s: %s", jpath, path, lb_tls_ssl_reason(NULL));
out:
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	ERR_clear_error();
	return rc;
}

int
lb_tls_load_verify(SSL_CTX *ctx, const char *ca_jpath, const char *ca_file,
    const char *crl_jpath, const char *crl_file, struct lb_diag *diag)
{
	X509_STORE	*store = SSL_CTX_get_cert_store(ctx);
	int		 rc = 0;

	if (ca_file != NULL && store_add(store, ca_jpath, ca_file, false, diag) == -1)
		rc = -1;
	if (crl_file != NULL) {
		if (store_add(store, crl_jpath, crl_file, true, diag) == -1)
			rc = -1;
		/* as HAProxy's crl-file: every certificate of the chain, not only the leaf */
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	}
	return rc;
}

/* ---- client certificates on terminating listeners ------------------------ */

const char *const lb_tls_client_auth_names[] = {
	[LB_TLS_AUTH_NONE] = "NONE",
	[LB_TLS_AUTH_OPTIONAL] = "OPTIONAL",
	[LB_TLS_AUTH_MANDATORY] = "MANDATORY",
};

/* Hash the bytes of path (and their count) into md; -1 if it cannot be read. */
static int
digest_file(EVP_MD_CTX *md, const char *path)
{
	unsigned char	 buf[4096];
	uint64_t	 total = 0;
	size_t		 n;
	FILE		*fp;
	int		 rc = 0;

	if (path == NULL)
		return EVP_DigestUpdate(md, &total, sizeof(total)) == 1 ? 0 : -1;
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		if (EVP_DigestUpdate(md, buf, n) != 1)
			rc = -1;
		total += n;
	}
	if (ferror(fp) || EVP_DigestUpdate(md, &total, sizeof(total)) != 1)
		rc = -1;
	fclose(fp);
	return rc;
}

/*
 * The session id context of a listener verifying clients: SHA-256 of the
 * mode and the CA and CRL files, so sessions (cached or in tickets)
 * verified under other settings are not resumed.
 */
static int
auth_sid_ctx(const struct lb_tls_auth_params *p, unsigned char sid[SSL_MAX_SID_CTX_LENGTH])
{
	static const char	 tag[] = "lbproxy client auth";
	unsigned char		 mode = (unsigned char)p->mode;
	unsigned int		 len = 0;
	EVP_MD_CTX		*md;
	int			 rc = -1;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, tag, sizeof(tag)) == 1 &&
	    EVP_DigestUpdate(md, &mode, 1) == 1 &&
	    digest_file(md, p->ca_file) == 0 && digest_file(md, p->crl_file) == 0 &&
	    EVP_DigestFinal_ex(md, sid, &len) == 1 && len == SSL_MAX_SID_CTX_LENGTH)
		rc = 0;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return rc;
}

/* Client certificate settings on one context but its session id context; 0 or -1 (reported). */
static int
ctx_client_auth(SSL_CTX *ctx, const struct lb_tls_auth_params *p, const char *ca_jpath,
    const char *crl_jpath, struct lb_diag *diag)
{
	STACK_OF(X509_NAME)	*names;
	int			 verify = SSL_VERIFY_PEER;

	if (p->mode == LB_TLS_AUTH_MANDATORY)
		verify |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	if (lb_tls_load_verify(ctx, ca_jpath, p->ca_file, crl_jpath, p->crl_file, diag) == -1)
		return -1;
	/* the CAs named in the CertificateRequest, as HAProxy's ca-file sends them */
	if ((names = SSL_load_client_CA_file(p->ca_file)) == NULL) {
		lb_tls_diag_err(diag, "%s: %s: %s", ca_jpath, p->ca_file,
		    lb_tls_ssl_reason("no certificate found"));
		return -1;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx, verify, NULL);
	return 0;
}

int
lb_tls_server_set_client_auth(SSL_CTX *ctx, const struct lb_tls_auth_params *p,
    struct lb_diag *diag)
{
	struct lb_diag		 quiet = { 0 };
	struct tls_data		*d = data_of(ctx);
	const char		*jp = p->jpath != NULL ? p->jpath : "listener";
	unsigned char		 sid[SSL_MAX_SID_CTX_LENGTH];
	char			 ca_jpath[128], crl_jpath[128];
	size_t			 i;
	int			 rc = 0;

	if (p->mode == LB_TLS_AUTH_NONE)
		return 0;
	snprintf(ca_jpath, sizeof(ca_jpath), "%s.tls.client_ca_file", jp);
	snprintf(crl_jpath, sizeof(crl_jpath), "%s.tls.client_crl_file", jp);
	if (p->mode != LB_TLS_AUTH_OPTIONAL && p->mode != LB_TLS_AUTH_MANDATORY) {
		lb_tls_diag_err(diag, "%s.client_authentication: unknown mode %d", jp,
		    (int)p->mode);
		return -1;
	}
	if (p->ca_file == NULL) {
		lb_tls_diag_err(diag, "%s: required with client_authentication %s", ca_jpath,
		    lb_tls_client_auth_names[p->mode]);
		return -1;
	}
	if (d == NULL) {
		lb_tls_diag_err(diag, "%s: not a listener context", jp);
		return -1;
	}
	rc = ctx_client_auth(ctx, p, ca_jpath, crl_jpath, diag);
	/* after SNI the handshake verifies with the chosen context's store */
	for (i = 0; rc == 0 && i < d->n_sni; i++)
		rc = ctx_client_auth(d->sni[i], p, ca_jpath, crl_jpath, &quiet);
	if (quiet.n > 0)
		lb_tls_diag_err(diag, "%s", quiet.msgs[0]);
	lb_diag_fini(&quiet);
	if (rc == -1)
		return -1;
	if (auth_sid_ctx(p, sid) == -1) {
		lb_tls_diag_err(diag, "%s: %s: cannot read the CA or CRL file", ca_jpath,
		    p->ca_file);
		return -1;
	}
	for (i = 0; rc == 0 && i <= d->n_sni; i++)
		if (SSL_CTX_set_session_id_context(i == 0 ? ctx : d->sni[i - 1], sid,
		    sizeof(sid)) != 1) {
			lb_tls_diag_err(diag, "%s: %s", ca_jpath, lb_tls_ssl_reason(NULL));
			rc = -1;
		}
	return rc;
}

/* ---- naming failed handshakes -------------------------------------------- */

const char *const lb_tls_result_names[] = {
	[LB_TLS_OK] = "OK",
	[LB_TLS_VERIFY] = "VERIFY",
	[LB_TLS_NO_CERT] = "NO_CERT",
	[LB_TLS_HANDSHAKE] = "HANDSHAKE",
	[LB_TLS_CLOSED] = "CLOSED",
	[LB_TLS_IO] = "IO",
};

void
lb_tls_error_get(const SSL *ssl, int ssl_err, int sys_errno, struct lb_tls_error *e)
{
	unsigned long	e1, first = 0;
	bool		verify = false, no_cert = false, eof = false;
	int		reason;

	memset(e, 0, sizeof(*e));
	while ((e1 = ERR_get_error()) != 0) {
		if (first == 0)
			first = e1;
		if (ERR_GET_LIB(e1) != ERR_LIB_SSL)
			continue;
		reason = ERR_GET_REASON(e1);
		if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
			verify = true;
		else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
			no_cert = true;
		else if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
			eof = true;
	}
	e->err = first;
	if (verify && SSL_get_verify_result(ssl) != X509_V_OK) {
		e->result = LB_TLS_VERIFY;
		e->code = (int)SSL_get_verify_result(ssl);
	} else if (no_cert)
		e->result = LB_TLS_NO_CERT;
	else if (eof || ssl_err == SSL_ERROR_ZERO_RETURN ||
	    (ssl_err == SSL_ERROR_SYSCALL && first == 0 && sys_errno == 0))
		e->result = LB_TLS_CLOSED;
	else if (ssl_err == SSL_ERROR_SYSCALL && first == 0) {
		e->result = LB_TLS_IO;
		e->code = sys_errno;
	} else
		e->result = LB_TLS_HANDSHAKE;
}

const char *
lb_tls_error_text(const struct lb_tls_error *e, char *buf, size_t size)
{
	const char *r;

	switch (e->result) {
	case LB_TLS_OK:
		snprintf(buf, size, "no TLS error");
		break;
	case LB_TLS_VERIFY:
		snprintf(buf, size, "TLS handshake failed: certificate verify failed: %s",
		    X509_verify_cert_error_string(e->code));
		break;
	case LB_TLS_NO_CERT:
		snprintf(buf, size, "TLS handshake failed: peer did not return a certificate");
		break;
	case LB_TLS_CLOSED:
		snprintf(buf, size, "connection closed during TLS handshake");
		break;
	case LB_TLS_IO:
		snprintf(buf, size, "TLS handshake failed: %s", strerror(e->code));
		break;
	case LB_TLS_HANDSHAKE:
	default:
		r = e->err != 0 ? ERR_reason_error_string(e->err) : NULL;
		snprintf(buf, size, "TLS handshake failed: %s", r != NULL ? r : "protocol error");
		break;
	}
	return buf;
}

SSL_CTX *
lb_tls_listener_new(const struct lb_tls_conf *tc, const char *jpath, struct lb_diag *diag)
{
	struct lb_tls_auth_params ap = {
		.jpath = jpath,
		.mode = (enum lb_tls_client_auth)tc->client_auth,
		.ca_file = tc->client_ca_file,
		.crl_file = tc->client_crl_file,
	};
	SSL_CTX *ctx;

	if ((ctx = lb_tls_server_new(tc, diag)) == NULL)
		return NULL;
	if (tc->client_auth != LB_CLIENT_AUTH_NONE &&
	    lb_tls_server_set_client_auth(ctx, &ap, diag) == -1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}
