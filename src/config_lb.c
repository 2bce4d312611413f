/*
 * config_lb.c: the validity pass over listeners (the v1 "vip" or Octavia's
 * "loadbalancer.listeners[i]"), what they do with TLS, the pools they use
 * (default pools and L7 policies' pools) and whether the protocols fit, and
 * their L7 policies and rules (SPEC 2, 9, 10, 11). Regular expressions are
 * compiled here once to report them; the snapshot compiles its own.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lbproxy/config.h"
#include "lbproxy/diag.h"
#include "lbproxy/log.h"
#include "lbproxy/util.h"
#include "config_int.h"

#define PATH_MAX_LEN	LB_PATH_MAX
#define QUOTE_MAX	LB_QUOTE_MAX

const char *const lb_alpn_names[] = {
	[LB_ALPN_H2] = "h2",
	[LB_ALPN_HTTP11] = "http/1.1",
	[LB_ALPN_HTTP10] = "http/1.0",
};

const char *const lb_l7_action_names[] = {
	[LB_L7_REJECT] = "REJECT",
	[LB_L7_REDIRECT_TO_URL] = "REDIRECT_TO_URL",
	[LB_L7_REDIRECT_PREFIX] = "REDIRECT_PREFIX",
	[LB_L7_REDIRECT_TO_POOL] = "REDIRECT_TO_POOL",
};

const char *const lb_l7_rule_type_names[] = {
	[LB_L7R_HOST_NAME] = "HOST_NAME",
	[LB_L7R_PATH] = "PATH",
	[LB_L7R_FILE_TYPE] = "FILE_TYPE",
	[LB_L7R_HEADER] = "HEADER",
	[LB_L7R_COOKIE] = "COOKIE",
	[LB_L7R_SSL_CONN_HAS_CERT] = "SSL_CONN_HAS_CERT",
	[LB_L7R_SSL_VERIFY_RESULT] = "SSL_VERIFY_RESULT",
	[LB_L7R_SSL_DN_FIELD] = "SSL_DN_FIELD",
};

const char *const lb_l7_compare_names[] = {
	[LB_L7C_EQUAL_TO] = "EQUAL_TO",
	[LB_L7C_STARTS_WITH] = "STARTS_WITH",
	[LB_L7C_ENDS_WITH] = "ENDS_WITH",
	[LB_L7C_CONTAINS] = "CONTAINS",
	[LB_L7C_REGEX] = "REGEX",
};

static const char *const v1_protos[] = { "TCP", "HTTP", "HTTPS" };
static const char *const v2_protos[] = {
	[LB_PROTO_TCP] = "TCP", [LB_PROTO_HTTP] = "HTTP", [LB_PROTO_HTTPS] = "HTTPS",
	[LB_PROTO_TERMINATED_HTTPS] = "TERMINATED_HTTPS",
	[LB_PROTO_PROMETHEUS] = "PROMETHEUS",
};
static const char *const client_auth_names[] = {
	[LB_CLIENT_AUTH_NONE] = "NONE",
	[LB_CLIENT_AUTH_OPTIONAL] = "OPTIONAL",
	[LB_CLIENT_AUTH_MANDATORY] = "MANDATORY",
};
static const char *const tls_version_names[] = { "TLSv1.2", "TLSv1.3" };
static const int tls_versions[] = { LB_TLS1_2_VERSION, LB_TLS1_3_VERSION };
static const char *const tls_mode_names[] = { "terminate", "passthrough" };

void
lb_ctls_versions(struct lb_parse *p, const char *path, const struct lb_strv *sv,
    int *min, int *max)
{
	char sub[PATH_MAX_LEN], q[QUOTE_MAX];
	size_t i, k;
	int lo = 0, hi = 0;

	if (sv->n == 0)
		return;
	for (i = 0; i < sv->n; i++) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		for (k = 0; k < LB_ARRAY_SIZE(tls_version_names); k++)
			if (strcmp(sv->v[i], tls_version_names[k]) == 0)
				break;
		if (k == LB_ARRAY_SIZE(tls_version_names)) {
			lb_cerr(p, sub, "%s is not supported (lbproxy speaks TLSv1.2 "
			    "and TLSv1.3)", lb_cquote(q, sizeof(q), sv->v[i]));
			continue;
		}
		if (lo == 0 || tls_versions[k] < lo)
			lo = tls_versions[k];
		if (tls_versions[k] > hi)
			hi = tls_versions[k];
	}
	if (lo != 0) {
		*min = lo;
		*max = hi;
	}
}

void
lb_calpn(struct lb_parse *p, const char *path, const struct lb_strv *sv,
    unsigned char *alpn, size_t *n, bool h2_ok)
{
	char sub[PATH_MAX_LEN];
	size_t i, k, j;
	int a;

	*n = 0;
	for (i = 0; i < sv->n; i++) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if ((a = lb_clookup(p, sub, sv->v[i], lb_alpn_names, 0,
		    LB_ARRAY_SIZE(lb_alpn_names))) == -1)
			continue;
		if (a == LB_ALPN_H2 && !h2_ok) {
			lb_cwarn(p, sub, "h2 towards members is not implemented; "
			    "ignored (members are spoken to in HTTP/1.1)");
			continue;
		}
		for (j = 0, k = 0; j < *n; j++)
			k += alpn[j] == a;
		if (k == 0 && *n < LB_ALPN_MAX)
			alpn[(*n)++] = (unsigned char)a;
	}
}

/* Index of the raw pool named by ref (its id, else its name), or -1. */
static int
find_pool(const struct lb_parse *p, const char *ref)
{
	size_t j;

	for (j = 0; j < p->n_pools; j++)
		if (p->pools[j].c.id != NULL && strcmp(p->pools[j].c.id, ref) == 0)
			return (int)j;
	for (j = 0; j < p->n_pools; j++)
		if (p->pools[j].c.name != NULL && strcmp(p->pools[j].c.name, ref) == 0)
			return (int)j;
	return -1;
}

/* The pool listener li uses at path (a reference or an inline definition); -1 if none. */
static int
use_pool(struct lb_parse *p, size_t li, const char *path, const char *ref, int inline_idx)
{
	struct lb_pool_raw *r;
	char q[QUOTE_MAX];
	int j = inline_idx;

	if (j == -1 && ref != NULL && (j = find_pool(p, ref)) == -1) {
		lb_cerr(p, path, "no pool %s in loadbalancer.pools",
		    lb_cquote(q, sizeof(q), ref));
		return -1;
	}
	if (j == -1)
		return -1;
	r = &p->pools[j];
	if (p->listeners[li].c.http) {
		r->used_l7 = true;
		if (r->first_l7 == -1)
			r->first_l7 = (int)li;
	} else {
		r->used_l4 = true;
		if (r->first_l4 == -1)
			r->first_l4 = (int)li;
	}
	return j;
}

/* v1: the tls block's names (min_version, mode) and what needs a certificate. */
static void
check_v1_tls(struct lb_parse *p, struct lb_listener_raw *l)
{
	struct lb_tls_conf *t = &l->c.tls;
	int i;

	if (l->tls_min_version != NULL && (i = lb_clookup(p, "vip.tls.min_version",
	    l->tls_min_version, tls_version_names, 0,
	    LB_ARRAY_SIZE(tls_version_names))) != -1)
		t->min_version = tls_versions[i];
	if (l->tls_mode != NULL && (i = lb_clookup(p, "vip.tls.mode", l->tls_mode,
	    tls_mode_names, 0, LB_ARRAY_SIZE(tls_mode_names))) != -1)
		t->passthrough_requested = i == 1;
	if (t->certificate_file != NULL)
		return;
	if (l->tls_mode != NULL && strcmp(l->tls_mode, "terminate") == 0)
		lb_cerr(p, "vip.tls.mode", "terminate needs vip.tls.certificate_file");
	if (t->private_key_file != NULL)
		lb_cerr(p, "vip.tls.private_key_file", "needs vip.tls.certificate_file");
	if (t->n_sni > 0)
		lb_cerr(p, "vip.tls.sni_certificate_files", "needs "
		    "vip.tls.certificate_file (the default certificate)");
}

/* v1: what the VIP does with TLS and whether it parses HTTP (SPEC 2, "HTTPS semantics"). */
static void
decide_v1_tls(struct lb_parse *p, struct lb_listener_raw *l)
{
	struct lb_listener_conf *v = &l->c;
	bool cert = v->tls.certificate_file != NULL;

	v->tls_mode = LB_TLS_NONE;
	v->http = false;
	switch (v->protocol) {
	case LB_PROTO_HTTP:
		v->http = true;
		if (v->tls.passthrough_requested)
			lb_cerr(p, "vip.tls.mode", "passthrough needs vip.protocol "
			    "HTTPS or TCP");
		else if (cert && v->port == 443)
			v->tls_mode = LB_TLS_TERMINATE;
		else if (cert)
			lb_cwarn(p, "vip.tls.certificate_file", "ignored: an HTTP VIP "
			    "terminates TLS only on port 443 (use protocol HTTPS)");
		break;
	case LB_PROTO_HTTPS:
		if (cert && !v->tls.passthrough_requested) {
			v->tls_mode = LB_TLS_TERMINATE;
			v->http = true;
		} else {
			v->tls_mode = LB_TLS_PASSTHROUGH;
			if (cert)
				lb_cwarn(p, "vip.tls.certificate_file", "ignored: "
				    "vip.tls.mode is passthrough");
		}
		break;
	case LB_PROTO_TCP:
	default:
		if (cert)
			lb_cwarn(p, "vip.tls.certificate_file", "ignored: a TCP VIP "
			    "relays bytes (use protocol HTTPS to terminate TLS)");
		break;
	}
}

/* v1: the "vip" object as listener 0; returns whether its protocol is known. */
static bool
check_vip(struct lb_parse *p)
{
	struct lb_listener_raw *l = &p->listeners[0];
	struct lb_listener_conf *v = &l->c;
	bool port_ok;
	int i;

	if (p->seen_vip == LB_SEEN_ABSENT)
		lb_cerr(p, "vip", "missing (required)");
	if (p->seen_vip != LB_SEEN_OBJECT)
		return false;
	lb_cneed_str(p, "vip.id", v->id);
	port_ok = lb_cneed_int(p, "vip.protocol_port", v->port, 1, 65535);
	if (lb_cneed_str(p, "vip.address", l->address)) {
		v->addrs = lb_xcalloc(1, sizeof(*v->addrs));
		if (lb_addr_parse(l->address, port_ok ? v->port : 0,
		    &v->addrs[0].ss, &v->addrs[0].len) == -1) {
			char q[QUOTE_MAX];

			lb_cerr(p, "vip.address", "%s is not an IPv4 or IPv6 address",
			    lb_cquote(q, sizeof(q), l->address));
		} else
			v->n_addrs = 1;
	}
	if (l->protocol == NULL) {
		lb_cerr(p, "vip.protocol", "missing (required)");
		i = -1;
	} else
		i = lb_clookup(p, "vip.protocol", l->protocol, v1_protos, 0,
		    LB_ARRAY_SIZE(v1_protos));
	if (i != -1) {
		v->protocol = (enum lb_proto)i;
		l->proto_ok = true;
	}
	lb_cin_range(p, "vip.connection_limit", v->connection_limit, -1, INT_MAX);
	/* 0 means unlimited, as Contrail's and Neutron's HAProxy drivers read it */
	if (v->connection_limit == 0)
		v->connection_limit = -1;
	v->has_tls = l->seen_tls == LB_SEEN_OBJECT || v->tls.certificate_file != NULL;
	if (p->tls_container != NULL) {
		/* Contrail wrote the container's PEM next to the conf.json */
		free(v->tls.certificate_file);
		v->tls.certificate_file = lb_asprintf("%s/%s.crtbundle.pem",
		    p->conf.dir, p->pools[0].c.id != NULL ? p->pools[0].c.id : "");
		v->has_tls = true;
	}
	check_v1_tls(p, l);
	if (i != -1)
		decide_v1_tls(p, l);
	v->insert = (p->xff ? LB_HDR_XFF : 0) | (p->xfport ? LB_HDR_XFPORT : 0) |
	    (p->xfproto ? LB_HDR_XFPROTO : 0);
	v->timeouts = p->conf.timeouts;
	v->default_pool = p->n_pools > 0 ? 0 : -1;
	lb_cfile(p, "vip.tls.certificate_file", &v->tls.certificate_file,
	    v->tls_mode == LB_TLS_TERMINATE);
	lb_cfile(p, "vip.tls.private_key_file", &v->tls.private_key_file,
	    v->tls_mode == LB_TLS_TERMINATE);
	for (size_t k = 0; k < v->tls.n_sni; k++) {
		char path[PATH_MAX_LEN];

		snprintf(path, sizeof(path), "vip.tls.sni_certificate_files[%zu]", k);
		lb_cfile(p, path, &v->tls.sni_certificate_files[k],
		    v->tls_mode == LB_TLS_TERMINATE);
	}
	return i != -1;
}

/* A listener's timeouts: the lbproxy block's, then Octavia's four (SPEC 9). */
static void
listener_timeouts(struct lb_parse *p, struct lb_listener_raw *l)
{
	struct lb_timeouts *t = &l->c.timeouts;
	char path[PATH_MAX_LEN];

	*t = p->conf.timeouts;
	if (l->timeout_client_data != LB_UNSET && lb_cin_range(p, lb_cpath(path,
	    l->c.path, "timeout_client_data"), l->timeout_client_data, 1, INT_MAX)) {
		t->client = l->timeout_client_data;
		if (!p->http_request_given)
			t->http_request = t->client < 10000 ? t->client : 10000;
		if (!p->keep_alive_given)
			t->http_keep_alive = p->http_request_given ?
			    t->http_request : t->client;
	}
	if (l->timeout_member_connect != LB_UNSET && lb_cin_range(p, lb_cpath(path,
	    l->c.path, "timeout_member_connect"), l->timeout_member_connect, 1,
	    INT_MAX))
		t->connect = l->timeout_member_connect;
	if (l->timeout_member_data != LB_UNSET && lb_cin_range(p, lb_cpath(path,
	    l->c.path, "timeout_member_data"), l->timeout_member_data, 1, INT_MAX))
		t->server = l->timeout_member_data;
	if (l->timeout_tcp_inspect != LB_UNSET && lb_cin_range(p, lb_cpath(path,
	    l->c.path, "timeout_tcp_inspect"), l->timeout_tcp_inspect, 0, INT_MAX))
		l->c.tcp_inspect_ms = l->timeout_tcp_inspect;
}

/* v2: the TLS of listener l (TERMINATED_HTTPS), client certificates and HSTS. */
static void
check_v2_tls(struct lb_parse *p, struct lb_listener_raw *l)
{
	struct lb_listener_conf *c = &l->c;
	struct lb_tls_conf *t = &c->tls;
	bool term = c->protocol == LB_PROTO_TERMINATED_HTTPS;
	char path[PATH_MAX_LEN];
	size_t k;
	int i;

	c->has_tls = l->seen_tls == LB_SEEN_OBJECT;
	c->tls_mode = term ? LB_TLS_TERMINATE : c->protocol == LB_PROTO_HTTPS ?
	    LB_TLS_PASSTHROUGH : LB_TLS_NONE;
	if (term && t->certificate_file == NULL)
		lb_cerr(p, lb_cpath(path, c->path, "tls.certificate_file"),
		    "missing (required for TERMINATED_HTTPS)");
	else if (!term && (t->certificate_file != NULL || l->client_auth != NULL ||
	    c->hsts_max_age != LB_UNSET))
		lb_cwarn(p, lb_cpath(path, c->path, "tls"), "ignored: only "
		    "TERMINATED_HTTPS listeners use certificates, client "
		    "authentication and HSTS");
	lb_cfile(p, lb_cpath(path, c->path, "tls.certificate_file"),
	    &t->certificate_file, term);
	lb_cfile(p, lb_cpath(path, c->path, "tls.private_key_file"),
	    &t->private_key_file, term);
	for (k = 0; k < t->n_sni; k++) {
		snprintf(path, sizeof(path), "%s.tls.sni_certificate_files[%zu]",
		    c->path, k);
		lb_cfile(p, path, &t->sni_certificate_files[k], term);
	}
	lb_cfile(p, lb_cpath(path, c->path, "tls.client_ca_file"),
	    &t->client_ca_file, term);
	lb_cfile(p, lb_cpath(path, c->path, "tls.client_crl_file"),
	    &t->client_crl_file, term);
	if (l->client_auth != NULL && (i = lb_clookup(p, lb_cpath(path, c->path,
	    "client_authentication"), l->client_auth, client_auth_names, 0,
	    LB_ARRAY_SIZE(client_auth_names))) != -1)
		t->client_auth = term ? (enum lb_client_auth)i : LB_CLIENT_AUTH_NONE;
	if (t->client_auth != LB_CLIENT_AUTH_NONE && t->client_ca_file == NULL)
		lb_cerr(p, lb_cpath(path, c->path, "tls.client_ca_file"), "missing "
		    "(required when client_authentication is %s)",
		    client_auth_names[t->client_auth]);
	if (t->client_crl_file != NULL && t->client_ca_file == NULL)
		lb_cerr(p, lb_cpath(path, c->path, "tls.client_crl_file"), "needs "
		    "tls.client_ca_file");
	lb_ctls_versions(p, lb_cpath(path, c->path, "tls_versions"),
	    &l->tls_versions, &t->min_version, &t->max_version);
	lb_calpn(p, lb_cpath(path, c->path, "alpn_protocols"), &l->alpn, t->alpn,
	    &t->n_alpn, true);
	/* SPEC 12: h2 by ALPN on TERMINATED_HTTPS, by prior knowledge on HTTP */
	c->h2 = memchr(t->alpn, LB_ALPN_H2, t->n_alpn) != NULL;
	if (c->h2 && !term && c->protocol != LB_PROTO_HTTP) {
		lb_cwarn(p, lb_cpath(path, c->path, "alpn_protocols"), "h2 ignored: "
		    "only HTTP and TERMINATED_HTTPS listeners serve HTTP/2");
		c->h2 = false;
	}
	if (c->hsts_max_age != LB_UNSET)
		lb_cin_range(p, lb_cpath(path, c->path, "hsts_max_age"),
		    c->hsts_max_age, 0, INT_MAX);
	if (!term || c->hsts_max_age == LB_UNSET)
		c->hsts_max_age = -1;
}

/* v2: insert_headers of listener l, as Octavia allows them per protocol. */
static void
check_v2_insert(struct lb_parse *p, struct lb_listener_raw *l)
{
	struct lb_listener_conf *c = &l->c;
	char path[PATH_MAX_LEN];

	c->insert = l->insert_true;
	if (l->insert_given == 0)
		return;
	if (!c->http)
		lb_cerr(p, lb_cpath(path, c->path, "insert_headers"), "needs an "
		    "HTTP or TERMINATED_HTTPS listener (this one relays bytes)");
	else if ((l->insert_given & LB_HDR_SSL_ALL) != 0 &&
	    c->protocol != LB_PROTO_TERMINATED_HTTPS)
		lb_cerr(p, lb_cpath(path, c->path, "insert_headers"), "X-SSL-* "
		    "headers need a TERMINATED_HTTPS listener");
}

/* v2: one listener. */
static void
check_v2_listener(struct lb_parse *p, size_t li, const struct lb_addr *vips, size_t nv)
{
	struct lb_listener_raw *l = &p->listeners[li];
	struct lb_listener_conf *c = &l->c;
	char path[PATH_MAX_LEN];
	bool port_ok;
	size_t k;
	int i = -1;

	lb_cpath(path, c->path, "protocol");
	if (l->protocol == NULL)
		lb_cerr(p, path, "missing (required)");
	else if ((i = lb_clookup(p, path, l->protocol, v2_protos, 0,
	    LB_ARRAY_SIZE(v2_protos))) != -1) {
		c->protocol = (enum lb_proto)i;
		l->proto_ok = true;
	}
	port_ok = lb_cneed_int(p, lb_cpath(path, c->path, "protocol_port"),
	    c->port, 1, 65535);
	if (c->id == NULL)
		c->id = c->name != NULL ? lb_xstrdup(c->name) :
		    lb_asprintf("%s-%d", l->protocol != NULL ? l->protocol :
		    "listener", port_ok ? c->port : (int)li);
	lb_cin_range(p, lb_cpath(path, c->path, "connection_limit"),
	    c->connection_limit, -1, INT_MAX);
	if (c->connection_limit == 0)
		c->connection_limit = -1;
	c->http = i == LB_PROTO_HTTP || i == LB_PROTO_TERMINATED_HTTPS;
	if (port_ok && nv > 0) {
		c->addrs = lb_xcalloc(nv, sizeof(*c->addrs));
		for (k = 0; k < nv; k++) {
			c->addrs[k] = vips[k];
			lb_addr_set_port((struct sockaddr *)&c->addrs[k].ss, c->port);
		}
		c->n_addrs = nv;
	}
	listener_timeouts(p, l);
	c->allowed = lb_ccidrs(p, lb_cpath(path, c->path, "allowed_cidrs"),
	    &l->allowed_cidrs, &c->n_allowed);
	check_v2_tls(p, l);
	check_v2_insert(p, l);
	if (i == LB_PROTO_PROMETHEUS && (l->default_pool_id != NULL ||
	    l->default_pool_raw != -1 || l->n_policies > 0))
		lb_cerr(p, c->path, "a PROMETHEUS listener serves the metrics; "
		    "it has no default_pool and no l7policies");
	if (!c->http && i != -1 && l->n_policies > 0)
		lb_cerr(p, lb_cpath(path, c->path, "l7policies"), "need an HTTP or "
		    "TERMINATED_HTTPS listener");
}

/* The load balancer's VIP addresses (vip_address and additional_vips); count in *n. */
static struct lb_addr *
lb_vips(struct lb_parse *p, size_t *n)
{
	struct lb_addr *v;
	char path[PATH_MAX_LEN], q[QUOTE_MAX];
	size_t i;

	*n = 0;
	if (p->n_listeners == 0)
		return NULL;
	v = lb_xcalloc(1 + p->extra_vips.n, sizeof(*v));
	if (lb_cneed_str(p, "loadbalancer.vip_address", p->vip_address)) {
		if (lb_addr_parse(p->vip_address, 0, &v[0].ss, &v[0].len) == -1)
			lb_cerr(p, "loadbalancer.vip_address", "%s is not an IPv4 or "
			    "IPv6 address", lb_cquote(q, sizeof(q), p->vip_address));
		else
			(*n)++;
	}
	for (i = 0; i < p->extra_vips.n; i++) {
		snprintf(path, sizeof(path), "loadbalancer.additional_vips[%zu]."
		    "ip_address", i);
		if (lb_addr_parse(p->extra_vips.v[i], 0, &v[*n].ss, &v[*n].len) == -1)
			lb_cerr(p, path, "%s is not an IPv4 or IPv6 address",
			    lb_cquote(q, sizeof(q), p->extra_vips.v[i]));
		else
			(*n)++;
	}
	return v;
}

/* Whether value v of rule type t may be matched (no CR, LF, NUL or other controls). */
static bool
clean_value(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return false;
	return true;
}

/* One rule of a policy of listener l. */
static void
check_rule(struct lb_parse *p, const struct lb_listener_raw *l, struct lb_rule_raw *r)
{
	struct lb_l7rule_conf *c = &r->c;
	char path[PATH_MAX_LEN], q[QUOTE_MAX];
	PCRE2_UCHAR msg[128];
	PCRE2_SIZE off;
	pcre2_code *re;
	int t = -1, k = -1, err;
	long n;

	lb_cpath(path, r->path, "type");
	if (r->type == NULL)
		lb_cerr(p, path, "missing (required)");
	else if ((t = lb_clookup(p, path, r->type, lb_l7_rule_type_names, 0,
	    LB_ARRAY_SIZE(lb_l7_rule_type_names))) != -1)
		c->type = (enum lb_l7_rule_type)t;
	lb_cpath(path, r->path, "compare_type");
	if (r->compare_type == NULL)
		lb_cerr(p, path, "missing (required)");
	else if ((k = lb_clookup(p, path, r->compare_type, lb_l7_compare_names, 0,
	    LB_ARRAY_SIZE(lb_l7_compare_names))) != -1)
		c->compare = (enum lb_l7_compare)k;
	if (!lb_cneed_str(p, lb_cpath(path, r->path, "value"), c->value))
		return;
	if (!clean_value(c->value))
		lb_cerr(p, path, "%s has control characters",
		    lb_cquote(q, sizeof(q), c->value));
	if (t == LB_L7R_HEADER || t == LB_L7R_COOKIE || t == LB_L7R_SSL_DN_FIELD) {
		if (lb_cneed_str(p, lb_cpath(path, r->path, "key"), c->key) &&
		    !lb_is_token(c->key))
			lb_cerr(p, path, "%s is not a valid %s name",
			    lb_cquote(q, sizeof(q), c->key), t == LB_L7R_HEADER ?
			    "header" : t == LB_L7R_COOKIE ? "cookie" : "DN field");
	}
	if (t >= LB_L7R_SSL_CONN_HAS_CERT && l->c.protocol != LB_PROTO_TERMINATED_HTTPS)
		lb_cerr(p, lb_cpath(path, r->path, "type"), "%s needs a "
		    "TERMINATED_HTTPS listener", r->type);
	if ((t == LB_L7R_FILE_TYPE && k != LB_L7C_EQUAL_TO && k != LB_L7C_REGEX &&
	    k != -1) || ((t == LB_L7R_SSL_CONN_HAS_CERT ||
	    t == LB_L7R_SSL_VERIFY_RESULT) && k != LB_L7C_EQUAL_TO && k != -1))
		lb_cerr(p, lb_cpath(path, r->path, "compare_type"), "%s cannot "
		    "compare with %s", r->type, r->compare_type);
	if (t == LB_L7R_SSL_CONN_HAS_CERT && strcasecmp(c->value, "true") != 0 &&
	    strcasecmp(c->value, "false") != 0)
		lb_cerr(p, lb_cpath(path, r->path, "value"), "%s is not \"True\" "
		    "or \"False\"", lb_cquote(q, sizeof(q), c->value));
	if (t == LB_L7R_SSL_VERIFY_RESULT && lb_parse_long(c->value, 0, INT_MAX, &n) == -1)
		lb_cerr(p, lb_cpath(path, r->path, "value"), "%s is not a "
		    "verification result number", lb_cquote(q, sizeof(q), c->value));
	if (k == LB_L7C_REGEX) {
		re = pcre2_compile((PCRE2_SPTR)c->value, PCRE2_ZERO_TERMINATED, 0,
		    &err, &off, NULL);
		if (re == NULL) {
			pcre2_get_error_message(err, msg, sizeof(msg));
			lb_cerr(p, lb_cpath(path, r->path, "value"), "%s is not a "
			    "regular expression: %s at offset %zu",
			    lb_cquote(q, sizeof(q), c->value), (char *)msg, (size_t)off);
		}
		pcre2_code_free(re);
	}
}

/* Whether s is an absolute http(s) URL without spaces or controls. */
static bool
is_url(const char *s)
{
	return (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0) &&
	    s[strcspn(s, " \t")] == '\0' && clean_value(s) && strlen(s) > 8;
}

/* One policy of listener li; returns whether it takes part (enabled, with enabled rules). */
static bool
check_policy(struct lb_parse *p, size_t li, struct lb_policy_raw *po)
{
	static const int codes[] = { 301, 302, 303, 307, 308 };
	struct lb_l7policy_conf *c = &po->c;
	char path[PATH_MAX_LEN], q[QUOTE_MAX];
	size_t k, enabled = 0;
	int a = -1;

	lb_cpath(path, po->path, "action");
	if (po->action == NULL)
		lb_cerr(p, path, "missing (required)");
	else if ((a = lb_clookup(p, path, po->action, lb_l7_action_names, 0,
	    LB_ARRAY_SIZE(lb_l7_action_names))) != -1)
		c->action = (enum lb_l7_action)a;
	if (c->position != LB_UNSET)
		lb_cin_range(p, lb_cpath(path, po->path, "position"), c->position,
		    1, INT_MAX);
	else
		c->position = INT_MAX;	/* after every numbered one, in array order */
	if (c->id == NULL)
		c->id = c->name != NULL ? lb_xstrdup(c->name) :
		    lb_asprintf("%s-policy-%zu", p->listeners[li].c.id, po->order);
	if (a == LB_L7_REDIRECT_TO_URL && lb_cneed_str(p, lb_cpath(path, po->path,
	    "redirect_url"), c->redirect_url) && !is_url(c->redirect_url))
		lb_cerr(p, path, "%s is not an absolute http:// or https:// URL",
		    lb_cquote(q, sizeof(q), c->redirect_url));
	if (a == LB_L7_REDIRECT_PREFIX && lb_cneed_str(p, lb_cpath(path, po->path,
	    "redirect_prefix"), c->redirect_prefix) && !is_url(c->redirect_prefix))
		lb_cerr(p, path, "%s is not an absolute http:// or https:// URL",
		    lb_cquote(q, sizeof(q), c->redirect_prefix));
	if (a == LB_L7_REDIRECT_TO_POOL) {
		lb_cpath(path, po->path, po->redirect_pool_raw != -1 || po->redirect_pool_obj ?
		    "redirect_pool" : "redirect_pool_id");
		if (po->redirect_pool_id == NULL && po->redirect_pool_raw == -1)
			lb_cerr(p, path, "missing (required for REDIRECT_TO_POOL)");
		else
			c->redirect_pool = use_pool(p, li, path, po->redirect_pool_id,
			    po->redirect_pool_raw);
	}
	if (c->redirect_http_code == LB_UNSET)
		c->redirect_http_code = 302;
	for (k = 0; k < LB_ARRAY_SIZE(codes); k++)
		if (codes[k] == c->redirect_http_code)
			break;
	if (k == LB_ARRAY_SIZE(codes))
		lb_cerr(p, lb_cpath(path, po->path, "redirect_http_code"), "%d is "
		    "not one of 301, 302, 303, 307, 308", c->redirect_http_code);
	for (k = 0; k < po->n_rules; k++) {
		check_rule(p, &p->listeners[li], &po->rules[k]);
		enabled += po->rules[k].admin_state_up;
	}
	if (!po->admin_state_up)
		return false;
	if (enabled == 0) {
		/* Octavia's template leaves out a policy without enabled rules */
		lb_debug("%s: no enabled rule, left out", po->path);
		return false;
	}
	if (a == LB_L7_REDIRECT_TO_POOL && c->redirect_pool != -1 &&
	    !p->pools[c->redirect_pool].c.admin_state_up) {
		lb_debug("%s: its pool is down (admin_state_up false), left out",
		    po->path);
		return false;
	}
	return true;
}

/* Rank of an action in evaluation: HAProxy runs deny, then redirect, then use_backend. */
static int
action_rank(enum lb_l7_action a)
{
	return a == LB_L7_REJECT ? 0 : a == LB_L7_REDIRECT_TO_POOL ? 2 : 1;
}

static int
policy_cmp(const void *x, const void *y)
{
	const struct lb_policy_raw *a = *(struct lb_policy_raw *const *)x;
	const struct lb_policy_raw *b = *(struct lb_policy_raw *const *)y;

	if (action_rank(a->c.action) != action_rank(b->c.action))
		return action_rank(a->c.action) - action_rank(b->c.action);
	if (a->c.position != b->c.position)
		return a->c.position < b->c.position ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* The policies of listener li: checked, the ones in force moved to c.policies in order. */
static void
check_policies(struct lb_parse *p, size_t li)
{
	struct lb_listener_raw *l = &p->listeners[li];
	struct lb_policy_raw **keep;
	struct lb_l7policy_conf *out;
	struct lb_policy_raw *po;
	size_t i, k, n = 0;

	if (l->n_policies == 0)
		return;
	keep = lb_xcalloc(l->n_policies, sizeof(*keep));
	for (i = 0; i < l->n_policies; i++)
		if (check_policy(p, li, &l->policies[i]))
			keep[n++] = &l->policies[i];
	qsort(keep, n, sizeof(*keep), policy_cmp);
	l->c.policies = lb_xcalloc(n > 0 ? n : 1, sizeof(*l->c.policies));
	for (i = 0; i < n; i++) {
		po = keep[i];
		po->kept = (int)l->c.n_policies;
		out = &l->c.policies[l->c.n_policies++];
		*out = po->c;
		out->rules = lb_xcalloc(po->n_rules, sizeof(*out->rules));
		out->n_rules = 0;
		for (k = 0; k < po->n_rules; k++) {
			if (!po->rules[k].admin_state_up)
				continue;
			out->rules[out->n_rules++] = po->rules[k].c;
			memset(&po->rules[k].c, 0, sizeof(po->rules[k].c));
		}
		memset(&po->c, 0, sizeof(po->c));
	}
	free(keep);
}

/* "a TCP pool does not fit an HTTP listener" */
static const char *
article(enum lb_proto pr)
{
	return strchr("AEFHILMNORSX", lb_proto_names[pr][0]) != NULL ? "an" : "a";
}

static void
misfit(struct lb_parse *p, const char *path, enum lb_proto pool, enum lb_proto listener)
{
	lb_cerr(p, path, "%s %s pool does not fit %s %s listener", article(pool),
	    lb_proto_names[pool], article(listener), lb_proto_names[listener]);
}

/*
 * A PROMETHEUS listener is the metrics endpoint (metrics.c serves one
 * address): its first VIP address, unless lbproxy.metrics.listen names one.
 */
static void
prometheus(struct lb_parse *p, struct lb_listener_raw *l)
{
	struct lb_config *c = &p->conf;
	char a[LB_ADDRSTRLEN];

	if (!l->c.admin_state_up || l->c.n_addrs == 0)
		return;
	if (c->metrics_listen != NULL) {
		lb_cwarn(p, l->c.path, "not served: lbproxy.metrics.listen is the "
		    "metrics endpoint");
		return;
	}
	if (l->c.n_addrs > 1)
		lb_cwarn(p, l->c.path, "metrics are served on the first VIP address only");
	c->metrics_listen = lb_xstrdup(lb_addr_fmt((const struct sockaddr *)&l->c.addrs[0].ss,
	    a, sizeof(a)));
	c->metrics_addr = l->c.addrs[0];
}

void
lb_check_listeners(struct lb_parse *p)
{
	struct lb_listener_raw *l;
	struct lb_addr *vips;
	char path[PATH_MAX_LEN];
	size_t i, k, nv;

	if (p->conf.dialect != LB_DIALECT_V2) {
		if (check_vip(p) && p->n_pools > 0)
			use_pool(p, 0, "vip", NULL, 0);
		return;
	}
	if (p->seen_lb != LB_SEEN_OBJECT)
		return;
	if (p->n_listeners == 0)
		lb_cerr(p, "loadbalancer.listeners", "missing (a load balancer "
		    "needs at least one listener)");
	vips = lb_vips(p, &nv);
	for (i = 0; i < p->n_listeners; i++)
		check_v2_listener(p, i, vips, nv);
	free(vips);
	for (i = 0; i < p->n_listeners; i++) {
		l = &p->listeners[i];
		for (k = 0; k < i; k++) {
			if (l->c.port != LB_UNSET && l->c.port == p->listeners[k].c.port) {
				lb_cerr(p, lb_cpath(path, l->c.path, "protocol_port"),
				    "%d is already used by %s", l->c.port,
				    p->listeners[k].c.path);
				break;
			}
			if (strcmp(l->c.id, p->listeners[k].c.id) == 0) {
				lb_cerr(p, l->c.path, "id \"%s\" is already used by %s",
				    l->c.id, p->listeners[k].c.path);
				break;
			}
		}
		if (l->c.protocol == LB_PROTO_PROMETHEUS && l->proto_ok)
			prometheus(p, l);
		lb_cpath(path, l->c.path, l->default_pool_raw != -1 || l->default_pool_obj ?
		    "default_pool" : "default_pool_id");
		l->c.default_pool = use_pool(p, i, path, l->default_pool_id,
		    l->default_pool_raw);
		check_policies(p, i);
	}
}

/* v1: whether the pool's protocol fits what the VIP sends to members (or derive it). */
static void
check_v1_use(struct lb_parse *p)
{
	const struct lb_listener_conf *v = &p->listeners[0].c;
	struct lb_pool_raw *r = &p->pools[0];
	enum lb_proto pp = r->c.protocol;
	const char *what, *use;
	bool ok;

	if (r->protocol == NULL) {
		r->c.protocol = v->http ? LB_PROTO_HTTP : v->tls_mode ==
		    LB_TLS_PASSTHROUGH ? LB_PROTO_HTTPS : LB_PROTO_TCP;
		return;
	}
	switch (v->tls_mode) {
	case LB_TLS_TERMINATE:
		ok = pp != LB_PROTO_TCP;
		what = "a TLS-terminating VIP";
		use = "HTTP or HTTPS; members get plain HTTP";
		break;
	case LB_TLS_PASSTHROUGH:
		ok = pp != LB_PROTO_HTTP;
		what = "a TLS passthrough VIP";
		use = "HTTPS or TCP, or give vip.tls.certificate_file to terminate TLS";
		break;
	case LB_TLS_NONE:
	default:
		ok = pp == v->protocol;
		what = v->http ? "an HTTP VIP" : "a TCP VIP";
		use = lb_proto_names[v->protocol];
		break;
	}
	if (!ok)
		lb_cerr(p, "pool.protocol", "%s does not fit %s (use %s)",
		    lb_proto_names[pp], what, use);
	/* members of a terminating VIP get plain HTTP whatever the pool says */
	if (v->tls_mode == LB_TLS_TERMINATE)
		r->c.protocol = LB_PROTO_HTTP;
}

/* v2: the protocols Octavia lets a listener send to a pool. */
static bool
fits(enum lb_proto listener, enum lb_proto pool)
{
	switch (listener) {
	case LB_PROTO_HTTP:
	case LB_PROTO_TERMINATED_HTTPS:
		return pool == LB_PROTO_HTTP || pool == LB_PROTO_PROXY ||
		    pool == LB_PROTO_PROXYV2;
	case LB_PROTO_HTTPS:
		return pool != LB_PROTO_HTTP;
	case LB_PROTO_TCP:
		return true;
	default:
		return false;
	}
}

void
lb_check_uses(struct lb_parse *p)
{
	struct lb_pool_raw *r;
	struct lb_listener_raw *l;
	char path[PATH_MAX_LEN];
	size_t i, k;
	int j;

	if (p->conf.dialect != LB_DIALECT_V2) {
		if (p->seen_vip == LB_SEEN_OBJECT && p->pools[0].seen == LB_SEEN_OBJECT &&
		    p->listeners[0].proto_ok && (p->pools[0].protocol == NULL ||
		    p->pools[0].proto_ok))
			check_v1_use(p);
		p->pools[0].c.http = p->listeners[0].c.http;
		return;
	}
	for (i = 0; i < p->n_pools; i++) {
		r = &p->pools[i];
		r->c.http = r->used_l7;
		if (r->c.id == NULL)
			continue;
		for (k = 0; k < i; k++)
			if (p->pools[k].c.id != NULL &&
			    strcmp(p->pools[k].c.id, r->c.id) == 0) {
				lb_cerr(p, r->c.path, "id \"%s\" is already used by "
				    "%s", r->c.id, p->pools[k].c.path);
				break;
			}
		if (r->used_l4 && r->used_l7)
			lb_cerr(p, r->c.path, "used by %s (%s) and by %s (%s): a pool "
			    "either relays bytes or balances HTTP requests",
			    p->listeners[r->first_l4].c.path,
			    lb_proto_names[p->listeners[r->first_l4].c.protocol],
			    p->listeners[r->first_l7].c.path,
			    lb_proto_names[p->listeners[r->first_l7].c.protocol]);
		if (r->c.tls_enabled && !r->used_l7 && r->used_l4)
			lb_cerr(p, lb_cpath(path, r->c.path, "tls_enabled"), "needs "
			    "an HTTP or TERMINATED_HTTPS listener (a TCP listener "
			    "relays the client's bytes)");
	}
	for (i = 0; i < p->n_listeners; i++) {
		l = &p->listeners[i];
		if (l->c.protocol == LB_PROTO_PROMETHEUS)
			continue;	/* its pools are refused by check_v2_listener */
		if ((j = l->c.default_pool) != -1 && p->pools[j].proto_ok && l->proto_ok &&
		    !fits(l->c.protocol, p->pools[j].c.protocol))
			misfit(p, lb_cpath(path, l->c.path, l->default_pool_raw != -1 ||
			    l->default_pool_obj ? "default_pool" : "default_pool_id"),
			    p->pools[j].c.protocol, l->c.protocol);
		for (k = 0; k < l->n_policies; k++) {
			const struct lb_policy_raw *po = &l->policies[k];
			const struct lb_l7policy_conf *pc;

			if (po->kept == -1)
				continue;
			pc = &l->c.policies[po->kept];
			if ((j = pc->redirect_pool) != -1 &&
			    pc->action == LB_L7_REDIRECT_TO_POOL &&
			    p->pools[j].proto_ok && l->proto_ok &&
			    !fits(l->c.protocol, p->pools[j].c.protocol))
				misfit(p, lb_cpath(path, po->path, po->redirect_pool_raw != -1 ||
				    po->redirect_pool_obj ? "redirect_pool" : "redirect_pool_id"),
				    p->pools[j].c.protocol, l->c.protocol);
		}
	}
}
