/*
 * l7.c: matching requests against a listener's L7 policies and rules
 * (SPEC 10), with Octavia's meaning of each rule type, as its HAProxy
 * template writes them: HOST_NAME is the Host without its port, compared
 * without case; PATH is the path without the query; FILE_TYPE the extension
 * of the last path segment; HEADER and COOKIE by name; SSL_* on the client
 * certificate of a terminated connection. Regular expressions are PCRE2
 * (what HAProxy and nginx link), JIT-compiled once per snapshot.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <openssl/x509.h>

#include "lbproxy/config.h"
#include "lbproxy/http.h"
#include "lbproxy/http_cookie.h"
#include "lbproxy/l7.h"
#include "lbproxy/util.h"

struct l7_rule {
	const struct lb_l7rule_conf	*conf;
	size_t				 vlen;
	size_t				 klen;
	pcre2_code			*re;	/* REGEX */
	int				 nid;	/* SSL_DN_FIELD */
	long				 num;	/* SSL_VERIFY_RESULT */
	bool				 yes;	/* SSL_CONN_HAS_CERT */
};

struct l7_policy {
	const struct lb_l7policy_conf	*conf;
	struct l7_rule			*rules;
	size_t				 n_rules;
};

struct lb_l7 {
	struct l7_policy	*v;
	size_t			 n;
};

void
lb_l7_free(struct lb_l7 *l7)
{
	size_t i, j;

	if (l7 == NULL)
		return;
	for (i = 0; i < l7->n; i++) {
		for (j = 0; j < l7->v[i].n_rules; j++)
			pcre2_code_free(l7->v[i].rules[j].re);
		free(l7->v[i].rules);
	}
	free(l7->v);
	free(l7);
}

struct lb_l7 *
lb_l7_compile(const struct lb_listener_conf *lc, char *err, size_t errlen)
{
	struct lb_l7 *l7;
	struct l7_rule *r;
	PCRE2_SIZE off;
	size_t i, j;
	int e;

	if (lc->n_policies == 0)
		return NULL;
	l7 = lb_xcalloc(1, sizeof(*l7));
	l7->v = lb_xcalloc(lc->n_policies, sizeof(*l7->v));
	for (i = 0; i < lc->n_policies; i++) {
		const struct lb_l7policy_conf *pc = &lc->policies[i];
		struct l7_policy *p = &l7->v[l7->n++];

		p->conf = pc;
		p->rules = lb_xcalloc(pc->n_rules, sizeof(*p->rules));
		p->n_rules = pc->n_rules;
		for (j = 0; j < pc->n_rules; j++) {
			r = &p->rules[j];
			r->conf = &pc->rules[j];
			r->vlen = strlen(r->conf->value);
			r->klen = r->conf->key != NULL ? strlen(r->conf->key) : 0;
			r->yes = strcasecmp(r->conf->value, "true") == 0;
			r->num = strtol(r->conf->value, NULL, 10);
			if (r->conf->type == LB_L7R_SSL_DN_FIELD &&
			    (r->nid = OBJ_txt2nid(r->conf->key)) == NID_undef)
				r->nid = OBJ_sn2nid(r->conf->key);
			if (r->conf->compare != LB_L7C_REGEX)
				continue;
			/* HOST_NAME is compared without case, regexes too */
			r->re = pcre2_compile((PCRE2_SPTR)r->conf->value,
			    PCRE2_ZERO_TERMINATED, r->conf->type == LB_L7R_HOST_NAME ?
			    PCRE2_CASELESS : 0, &e, &off, NULL);
			if (r->re == NULL) {
				snprintf(err, errlen, "policy %s: regular expression "
				    "%.40s does not compile", pc->id, r->conf->value);
				lb_l7_free(l7);
				return NULL;
			}
			(void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);	/* interpreted if no JIT */
		}
	}
	return l7;
}

void *
lb_l7_scratch_new(void)
{
	return pcre2_match_data_create(1, NULL);
}

void
lb_l7_scratch_free(void *scratch)
{
	pcre2_match_data_free(scratch);
}

/* Compare s (len bytes) with rule r's value the way its compare_type says. */
static bool
compare(const struct l7_rule *r, const char *s, size_t len, bool nocase, void *scratch)
{
	const char *v = r->conf->value;
	size_t vl = r->vlen, i;

	switch (r->conf->compare) {
	case LB_L7C_EQUAL_TO:
		return len == vl && (nocase ? strncasecmp(s, v, vl) : memcmp(s, v, vl)) == 0;
	case LB_L7C_STARTS_WITH:
		return len >= vl && (nocase ? strncasecmp(s, v, vl) : memcmp(s, v, vl)) == 0;
	case LB_L7C_ENDS_WITH:
		return len >= vl && (nocase ? strncasecmp(s + len - vl, v, vl) :
		    memcmp(s + len - vl, v, vl)) == 0;
	case LB_L7C_CONTAINS:
		if (vl == 0)
			return true;
		for (i = 0; i + vl <= len; i++)
			if ((nocase ? strncasecmp(s + i, v, vl) : memcmp(s + i, v, vl)) == 0)
				return true;
		return false;
	case LB_L7C_REGEX:
		return r->re != NULL && scratch != NULL && pcre2_match(r->re,
		    (PCRE2_SPTR)s, len, 0, 0, scratch, NULL) >= 0;
	}
	return false;
}

/* The value of header name (first occurrence), or NULL. */
static const char *
header(const struct lb_http_msg *m, const char *name, size_t nl, size_t *len)
{
	size_t i;

	for (i = 0; i < m->n_hdrs; i++)
		if (m->hdrs[i].name_len == nl && strncasecmp(m->hdrs[i].name, name, nl) == 0) {
			*len = m->hdrs[i].value_len;
			return m->hdrs[i].value;
		}
	return NULL;
}

/* The path of m without its query (and "/" for an absolute-form target without one). */
static const char *
path_only(const struct lb_http_msg *m, size_t *len)
{
	const char *q;

	if (m->path_slash) {
		*len = 1;
		return "/";
	}
	q = memchr(m->path, '?', m->path_len);
	*len = q != NULL ? (size_t)(q - m->path) : m->path_len;
	return m->path;
}

/* The subject DN field nid of the client certificate, into buf; NULL if none. */
static const char *
dn_field(SSL *ssl, int nid, char *buf, size_t size, size_t *len)
{
	X509 *x;
	int n;

	if (ssl == NULL || nid == NID_undef || (x = SSL_get0_peer_certificate(ssl)) == NULL)
		return NULL;
	n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), nid, buf, (int)size);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return buf;
}

/* Whether rule r holds for m (before invert). */
static bool
rule_holds(const struct l7_rule *r, const struct lb_http_msg *m, SSL *ssl, void *scratch)
{
	const char *s = NULL, *c;
	char dn[256];
	size_t len = 0;
	bool has;

	switch (r->conf->type) {
	case LB_L7R_HOST_NAME:
		if ((s = m->host) == NULL)
			return false;
		len = m->host_len;
		/* without the port: "[v6]:port" or "name:port" */
		if (len > 0 && s[0] == '[' && (c = memchr(s, ']', len)) != NULL)
			len = (size_t)(c - s) + 1;
		else if ((c = memchr(s, ':', len)) != NULL)
			len = (size_t)(c - s);
		return compare(r, s, len, true, scratch);
	case LB_L7R_PATH:
		s = path_only(m, &len);
		return compare(r, s, len, false, scratch);
	case LB_L7R_FILE_TYPE: {
		const char *p = path_only(m, &len), *slash, *dot;

		slash = p;
		for (c = p; c < p + len; c++)
			if (*c == '/')
				slash = c + 1;
		dot = NULL;
		for (c = slash; c < p + len; c++)
			if (*c == '.')
				dot = c;
		if (dot == NULL)
			return false;
		s = dot + 1;
		return compare(r, s, (size_t)(p + len - s), false, scratch);
	}
	case LB_L7R_HEADER:
		if ((s = header(m, r->conf->key, r->klen, &len)) == NULL)
			return false;
		return compare(r, s, len, false, scratch);
	case LB_L7R_COOKIE:
		if (lb_http_cookie_get(m, r->conf->key, &s, &len) != 0)
			return false;
		return compare(r, s, len, false, scratch);
	case LB_L7R_SSL_CONN_HAS_CERT:
		has = ssl != NULL && SSL_get0_peer_certificate(ssl) != NULL;
		return has == r->yes;
	case LB_L7R_SSL_VERIFY_RESULT:
		return ssl != NULL && SSL_get0_peer_certificate(ssl) != NULL &&
		    SSL_get_verify_result(ssl) == r->num;
	case LB_L7R_SSL_DN_FIELD:
		if ((s = dn_field(ssl, r->nid, dn, sizeof(dn), &len)) == NULL)
			return false;
		return compare(r, s, len, false, scratch);
	}
	return false;
}

const struct lb_l7policy_conf *
lb_l7_match(const struct lb_l7 *l7, const struct lb_http_msg *m, SSL *ssl, void *scratch)
{
	size_t i, j;

	if (l7 == NULL)
		return NULL;
	for (i = 0; i < l7->n; i++) {
		const struct l7_policy *p = &l7->v[i];

		for (j = 0; j < p->n_rules; j++)
			if (rule_holds(&p->rules[j], m, ssl, scratch) == p->rules[j].conf->invert)
				break;
		if (j < p->n_rules)
			continue;
		return p->conf;
	}
	return NULL;
}
