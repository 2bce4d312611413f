/*
 * tls_client.c: TLS contexts towards members and the per-thread session
 * caches that let member connections resume.
 *
 * A context carries, in its ex_data, a process-unique id (a session is only
 * offered again through the context that made it: a reload that brings
 * another CA never resumes a session verified under the old one) and its
 * default server name. The cache is per thread, so it needs no lock; its
 * sessions are shared only by that thread's connections. OpenSSL's own
 * client cache is off: it would be one more lock shared by all threads.
 */
#include "config.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lbproxy/diag.h"
#include "lbproxy/log.h"
#include "lbproxy/tls_client.h"
#include "lbproxy/util.h"

#include "tls_int.h"

#define ALPN_WIRE_MAX	512	/* bytes of ALPN protocol list, length-prefixed */
#define CACHE_MIN	16	/* first table size (a power of two) */

/* What an lbproxy client context carries in its ex_data. */
struct client_data {
	uint64_t	 id;		/* process-unique, never reused */
	char		*sni;		/* default server name, or NULL */
	bool		 verify;
};

static int			client_idx = -1;
static pthread_once_t		client_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t		next_ctx_id = 1;

/* ex_data free callback: runs for every SSL_CTX, ptr NULL for foreign ones. */
static void
client_data_free(LB_UNUSED void *parent, void *ptr, LB_UNUSED CRYPTO_EX_DATA *ad,
    LB_UNUSED int idx, LB_UNUSED long argl, LB_UNUSED void *argp)
{
	struct client_data *d = ptr;

	if (d == NULL)
		return;
	free(d->sni);
	free(d);
}

static void
client_idx_init(void)
{
	client_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, client_data_free);
}

static struct client_data *
client_data_of(const SSL_CTX *ctx)
{
	pthread_once(&client_once, client_idx_init);
	if (ctx == NULL || client_idx == -1)
		return NULL;
	return SSL_CTX_get_ex_data(ctx, client_idx);
}

/* ---- contexts ------------------------------------------------------------ */


/* Versions, suites and ALPN of p on ctx; 0 or -1 (every problem reported). */
static int
client_settings(SSL_CTX *ctx, const struct lb_tls_client_params *p, const char *jp,
    struct lb_diag *diag)
{
	unsigned char	alpn[ALPN_WIRE_MAX];
	int		minv = p->min_version != 0 ? p->min_version : TLS1_2_VERSION;
	int		maxv = p->max_version, n, rc = 0;

	if (minv < TLS1_VERSION || minv > TLS1_3_VERSION ||
	    (maxv != 0 && (maxv < minv || maxv > TLS1_3_VERSION)) ||
	    SSL_CTX_set_min_proto_version(ctx, minv) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, maxv) != 1) {
		ERR_clear_error();
		lb_tls_diag_err(diag, "%s.tls_versions: 0x%04x..0x%04x is not a supported "
		    "range of TLS versions", jp, (unsigned)minv, (unsigned)maxv);
		rc = -1;
	}
	if (p->ciphers != NULL && SSL_CTX_set_cipher_list(ctx, p->ciphers) != 1) {
		lb_tls_diag_err(diag, "%s.tls_ciphers: \"%s\": %s", jp, p->ciphers,
		    lb_tls_ssl_reason(NULL));
		rc = -1;
	}
	if (p->ciphersuites != NULL && SSL_CTX_set_ciphersuites(ctx, p->ciphersuites) != 1) {
		lb_tls_diag_err(diag, "%s.tls_ciphersuites: \"%s\": %s", jp, p->ciphersuites,
		    lb_tls_ssl_reason(NULL));
		rc = -1;
	}
	n = lb_tls_alpn_wire(p->alpn, p->n_alpn, jp, alpn, sizeof(alpn), diag);
	/* SSL_CTX_set_alpn_protos returns 0 on success */
	if (n == -1)
		rc = -1;
	else if (n > 0 && SSL_CTX_set_alpn_protos(ctx, alpn, (unsigned)n) != 0) {
		lb_tls_diag_err(diag, "%s.alpn_protocols: %s", jp, lb_tls_ssl_reason(NULL));
		rc = -1;
	}
	return rc;
}

SSL_CTX *
lb_tls_client_new(const struct lb_tls_client_params *p, struct lb_diag *diag)
{
	static const char *const	 http11[] = { "http/1.1" };
	struct lb_tls_client_params	 check = { .jpath = "healthmonitor", .alpn = http11,
					    .n_alpn = 1 };
	struct client_data		*d;
	const char			*jp;
	char				 ca_jp[128], crl_jp[128], crt_jp[128], key_jp[128];
	SSL_CTX				*ctx;
	int				 rc = 0;

	if (p == NULL)
		p = &check;
	jp = p->jpath != NULL ? p->jpath : "pool";
	pthread_once(&client_once, client_idx_init);
	if (client_idx == -1 || (ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		lb_tls_diag_err(diag, "%s.tls: %s", jp, lb_tls_ssl_reason(NULL));
		return NULL;
	}
	d = lb_xcalloc(1, sizeof(*d));
	d->id = atomic_fetch_add(&next_ctx_id, 1);
	d->sni = p->sni != NULL ? lb_xstrdup(p->sni) : NULL;
	d->verify = p->ca_file != NULL;
	if (SSL_CTX_set_ex_data(ctx, client_idx, d) != 1) {
		client_data_free(NULL, d, NULL, 0, 0, NULL);
		lb_tls_diag_err(diag, "%s.tls: %s", jp, lb_tls_ssl_reason(NULL));
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, LB_TLS_OPTIONS);
	SSL_CTX_set_mode(ctx, LB_TLS_MODES);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, d->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);

	snprintf(ca_jp, sizeof(ca_jp), "%s.tls.ca_file", jp);
	snprintf(crl_jp, sizeof(crl_jp), "%s.tls.crl_file", jp);
	snprintf(crt_jp, sizeof(crt_jp), "%s.tls.certificate_file", jp);
	snprintf(key_jp, sizeof(key_jp), "%s.tls.private_key_file", jp);
	if (p->crl_file != NULL && p->ca_file == NULL) {
		lb_tls_diag_err(diag, "%s: needs %s", crl_jp, ca_jp);
		rc = -1;
	} else if (lb_tls_load_verify(ctx, ca_jp, p->ca_file, crl_jp, p->crl_file, diag) == -1)
		rc = -1;
	if (p->certificate_file != NULL && lb_tls_load_cert(ctx, crt_jp, p->certificate_file,
	    key_jp, p->private_key_file, diag) == -1)
		rc = -1;
	if (client_settings(ctx, p, jp, diag) == -1)
		rc = -1;
	ERR_clear_error();
	if (rc == -1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

const char *
lb_tls_client_sni(const SSL_CTX *ctx)
{
	const struct client_data *d = client_data_of(ctx);

	return d != NULL ? d->sni : NULL;
}

bool
lb_tls_client_verifies(const SSL_CTX *ctx)
{
	const struct client_data *d = client_data_of(ctx);

	return d != NULL && d->verify;
}

/* ---- the per-thread session cache ---------------------------------------- */

/*
 * A session is the member's (uid) for the SNI it was made with (sni, a hash
 * of the name; 0: none), since it proves that name, no other.
 */
struct sess_key {
	uint64_t	 uid;
	uint64_t	 sni;
};

struct sess_slot {
	struct sess_key	 key;
	uint64_t	 ctx_id;	/* the context the session was made with */
	SSL_SESSION	*sess;		/* NULL: free slot */
};

struct lb_tls_sess_cache {
	struct sess_slot	*slots;
	size_t			 cap;	/* a power of two */
	size_t			 n;
};

struct lb_tls_sess_cache *
lb_tls_sess_cache_new(void)
{
	struct lb_tls_sess_cache *sc = lb_xcalloc(1, sizeof(*sc));

	sc->cap = CACHE_MIN;
	sc->slots = lb_xcalloc(sc->cap, sizeof(*sc->slots));
	return sc;
}

void
lb_tls_sess_cache_free(struct lb_tls_sess_cache *sc)
{
	size_t i;

	if (sc == NULL)
		return;
	for (i = 0; i < sc->cap; i++)
		SSL_SESSION_free(sc->slots[i].sess);
	free(sc->slots);
	free(sc);
}

size_t
lb_tls_sess_count(const struct lb_tls_sess_cache *sc)
{
	return sc->n;
}

static struct sess_key
sess_key(uint64_t uid, const SSL *ssl)
{
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	struct sess_key k = { uid, 0 };

	if (name != NULL)
		k.sni = lb_hash64(name, strlen(name), 0) | 1;
	return k;
}

static bool
key_eq(struct sess_key a, struct sess_key b)
{
	return a.uid == b.uid && a.sni == b.sni;
}

static size_t
slot_home(const struct lb_tls_sess_cache *sc, struct sess_key k)
{
	/* uids may be hashes or small integers: mix them (splitmix64's finaliser) */
	uint64_t uid = k.uid ^ k.sni;

	uid ^= uid >> 30;
	uid *= 0xbf58476d1ce4e5b9ULL;
	uid ^= uid >> 27;
	uid *= 0x94d049bb133111ebULL;
	uid ^= uid >> 31;
	return (size_t)uid & (sc->cap - 1);
}

/* The slot holding k, or NULL. */
static struct sess_slot *
slot_find(struct lb_tls_sess_cache *sc, struct sess_key k)
{
	size_t i = slot_home(sc, k);

	while (sc->slots[i].sess != NULL) {
		if (key_eq(sc->slots[i].key, k))
			return &sc->slots[i];
		i = (i + 1) & (sc->cap - 1);
	}
	return NULL;
}

/* Empty slot s (linear probing: later entries of its run move back into the hole). */
static void
slot_clear(struct lb_tls_sess_cache *sc, struct sess_slot *s)
{
	size_t hole = (size_t)(s - sc->slots), i = hole, home;

	SSL_SESSION_free(s->sess);
	s->sess = NULL;
	sc->n--;
	for (;;) {
		i = (i + 1) & (sc->cap - 1);
		if (sc->slots[i].sess == NULL)
			return;
		home = slot_home(sc, sc->slots[i].key);
		/* the entry at i may fill the hole if its home is not in (hole, i] */
		if ((i > hole && (home <= hole || home > i)) ||
		    (i < hole && home <= hole && home > i)) {
			sc->slots[hole] = sc->slots[i];
			sc->slots[i].sess = NULL;
			hole = i;
		}
	}
}

/* Place a new entry (k is not in the table, and there is room). */
static void
slot_put(struct lb_tls_sess_cache *sc, struct sess_key k, uint64_t ctx_id, SSL_SESSION *sess)
{
	size_t i = slot_home(sc, k);

	while (sc->slots[i].sess != NULL)
		i = (i + 1) & (sc->cap - 1);
	sc->slots[i].key = k;
	sc->slots[i].ctx_id = ctx_id;
	sc->slots[i].sess = sess;
	sc->n++;
}

static bool
sess_expired(const SSL_SESSION *s, time_t now)
{
	return SSL_SESSION_get_time(s) + SSL_SESSION_get_timeout(s) <= now ||
	    !SSL_SESSION_is_resumable(s);
}

/* Room for one more entry: drop expired sessions first, grow only if that is not enough. */
static void
cache_make_room(struct lb_tls_sess_cache *sc)
{
	struct sess_slot	*old = sc->slots;
	size_t			 i, cap = sc->cap;
	time_t			 now = time(NULL);

	if ((sc->n + 1) * 2 <= sc->cap)
		return;
	for (i = 0; i < sc->cap; i++) {
		/* a cleared slot may receive a later entry: look at it again */
		while (sc->slots[i].sess != NULL && sess_expired(sc->slots[i].sess, now))
			slot_clear(sc, &sc->slots[i]);
	}
	if ((sc->n + 1) * 2 <= sc->cap)
		return;
	sc->cap = cap * 2;
	sc->slots = lb_xcalloc(sc->cap, sizeof(*sc->slots));
	sc->n = 0;
	for (i = 0; i < cap; i++)
		if (old[i].sess != NULL)
			slot_put(sc, old[i].key, old[i].ctx_id, old[i].sess);
	free(old);
}

int
lb_tls_sess_save(struct lb_tls_sess_cache *sc, uint64_t uid, SSL *ssl)
{
	const struct client_data	*d = client_data_of(SSL_get_SSL_CTX(ssl));
	struct sess_slot		*s;
	SSL_SESSION			*sess;

	if (d == NULL || !SSL_is_init_finished(ssl))
		return -1;
	sess = SSL_get0_session(ssl);
	if (sess == NULL || !SSL_SESSION_is_resumable(sess))
		return -1;
	if ((s = slot_find(sc, sess_key(uid, ssl))) != NULL) {
		if (s->sess != sess) {
			SSL_SESSION_free(s->sess);
			s->sess = SSL_get1_session(ssl);
		}
		s->ctx_id = d->id;
		return 0;
	}
	cache_make_room(sc);
	slot_put(sc, sess_key(uid, ssl), d->id, SSL_get1_session(ssl));
	return 0;
}

void
lb_tls_sess_forget(struct lb_tls_sess_cache *sc, uint64_t uid, const SSL *ssl)
{
	struct sess_slot *s = slot_find(sc, sess_key(uid, ssl));

	if (s != NULL)
		slot_clear(sc, s);
}

/* The session for uid and ssl's SNI if made by the context ctx_id and still good. */
static SSL_SESSION *
sess_lookup(struct lb_tls_sess_cache *sc, uint64_t uid, const SSL *ssl, uint64_t ctx_id)
{
	struct sess_slot *s = slot_find(sc, sess_key(uid, ssl));

	if (s == NULL || s->ctx_id != ctx_id)
		return NULL;
	if (sess_expired(s->sess, time(NULL))) {
		slot_clear(sc, s);
		return NULL;
	}
	return s->sess;
}

/* ---- connections --------------------------------------------------------- */

/* Whether name is an IPv4 or IPv6 literal (never sent as SNI, RFC 6066 3). */
static bool
is_ip_literal(const char *name)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

SSL *
lb_tls_client_ssl(SSL_CTX *ctx, const char *sni, struct lb_tls_sess_cache *sc, uint64_t uid)
{
	const struct client_data	*d = client_data_of(ctx);
	SSL_SESSION			*sess;
	SSL				*ssl;

	if ((ssl = SSL_new(ctx)) == NULL)
		goto fail;
	if (sni == NULL && d != NULL)
		sni = d->sni;
	if (sni != NULL && sni[0] != '\0' && !is_ip_literal(sni)) {
		if (SSL_set_tlsext_host_name(ssl, sni) != 1)
			goto fail;
		/* as HAProxy: with verification, the certificate must match the SNI sent */
		if (d != NULL && d->verify && SSL_set1_host(ssl, sni) != 1)
			goto fail;
	}
	if (sc != NULL && d != NULL && (sess = sess_lookup(sc, uid, ssl, d->id)) != NULL &&
	    SSL_set_session(ssl, sess) != 1)
		goto fail;
	SSL_set_connect_state(ssl);
	return ssl;
fail:
	ERR_clear_error();
	SSL_free(ssl);
	return NULL;
}
