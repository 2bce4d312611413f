/*
 * config_check.c: the validity pass over a parsed pool file, separate from
 * parsing as in HAProxy. Every rule of SPEC section 2 lives here: required
 * fields, ranges, names, uniqueness, how the VIP and pool combine (the
 * "HTTPS semantics"), files tls.c will open, and the derived fields.
 * Every problem is reported as "json.path: reason"; nothing stops at the first.
 */
#include "config.h"

#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lbproxy/config.h"
#include "lbproxy/diag.h"
#include "lbproxy/log.h"
#include "lbproxy/util.h"
#include "config_int.h"

/* Longest JSON path we build, and longest quoted value in a message. */
#define PATH_MAX_LEN	128
#define QUOTE_MAX	72

const char *const lb_proto_names[] = {
	[LB_PROTO_TCP] = "TCP",
	[LB_PROTO_HTTP] = "HTTP",
	[LB_PROTO_HTTPS] = "HTTPS",
};

const char *const lb_method_names[] = {
	[LB_METHOD_ROUND_ROBIN] = "ROUND_ROBIN",
	[LB_METHOD_LEAST_CONNECTIONS] = "LEAST_CONNECTIONS",
	[LB_METHOD_SOURCE_IP] = "SOURCE_IP",
};

const char *const lb_persist_names[] = {
	[LB_PERSIST_NONE] = "NONE",
	[LB_PERSIST_SOURCE_IP] = "SOURCE_IP",
	[LB_PERSIST_HTTP_COOKIE] = "HTTP_COOKIE",
	[LB_PERSIST_APP_COOKIE] = "APP_COOKIE",
};

const char *const lb_hm_type_names[] = {
	[LB_HM_PING] = "PING",
	[LB_HM_TCP] = "TCP",
	[LB_HM_HTTP] = "HTTP",
	[LB_HM_HTTPS] = "HTTPS",
	[LB_HM_TLS_HELLO] = "TLS-HELLO",
};

static const char *const tls_version_names[] = { "TLSv1.2", "TLSv1.3" };
static const int tls_versions[] = { LB_TLS1_2_VERSION, LB_TLS1_3_VERSION };
static const char *const tls_mode_names[] = { "terminate", "passthrough" };

#define C(m)	offsetof(struct lb_config, m)

/* Integer settings of the "lbproxy" block and the values they accept. */
static const struct int_rule {
	const char	*path;
	size_t		 off;	/* int in struct lb_config */
	int		 lo;
	int		 hi;
} int_rules[] = {
	{ "lbproxy.workers", C(workers), 0, 1024 },
	{ "lbproxy.maxconn", C(maxconn), 0, INT_MAX },
	{ "lbproxy.timeouts_ms.connect", C(timeouts.connect), 1, INT_MAX },
	{ "lbproxy.timeouts_ms.client", C(timeouts.client), 1, INT_MAX },
	{ "lbproxy.timeouts_ms.server", C(timeouts.server), 1, INT_MAX },
	{ "lbproxy.timeouts_ms.http_request", C(timeouts.http_request), 1, INT_MAX },
	{ "lbproxy.timeouts_ms.http_keep_alive", C(timeouts.http_keep_alive), 1, INT_MAX },
	{ "lbproxy.timeouts_ms.tls_handshake", C(timeouts.tls_handshake), 1, INT_MAX },
	{ "lbproxy.timeouts_ms.drain", C(timeouts.drain), 1, INT_MAX },
	{ "lbproxy.retries", C(retries), 0, 100 },
	{ "lbproxy.health.rise", C(health_rise), 1, 10 },
	{ "lbproxy.health.jitter_pct", C(health_jitter_pct), 0, 100 },
	{ "lbproxy.limits.max_header_lines", C(max_header_lines), 1, 10000 },
	{ "lbproxy.limits.max_header_bytes", C(max_header_bytes), 1024, 1048576 },
	{ "lbproxy.limits.max_uri_bytes", C(max_uri_bytes), 64, 1048576 },
	{ "lbproxy.limits.max_body_bytes", C(max_body_bytes), 0, INT_MAX },
};

static void	cerr(struct lb_parse *, const char *, const char *, ...)
		    LB_PRINTF(3, 4);
static void	cwarn(struct lb_parse *, const char *, const char *, ...)
		    LB_PRINTF(3, 4);

const char *
lb_config_alias(const struct lb_parse *p, const char *path)
{
	size_t i;

	for (i = 0; i < p->n_aliases; i++)
		if (strcmp(p->aliases[i].canon, path) == 0)
			return p->aliases[i].used;
	return path;
}

/* Record an error or a warning at path (its canonical name; the user's spelling is printed). */
static void
vreport(struct lb_parse *p, bool warn, const char *path, const char *fmt, va_list ap)
{
	char *reason;

	if (vasprintf(&reason, fmt, ap) == -1)
		abort();
	if (warn)
		lb_diag_warn(p->diag, "%s: %s", lb_config_alias(p, path), reason);
	else
		lb_diag_err(p->diag, "%s: %s", lb_config_alias(p, path), reason);
	free(reason);
}

/* Report an error at path. */
static void
cerr(struct lb_parse *p, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, false, path, fmt, ap);
	va_end(ap);
}

/* Same as cerr, for something that is skipped but does not make the file invalid. */
static void
cwarn(struct lb_parse *p, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, true, path, fmt, ap);
	va_end(ap);
}

/* s in double quotes for a message, control characters escaped, cut if long. */
static const char *
quote(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	buf[n++] = '"';
	for (; *s != '\0' && n + 8 < size; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x",
			    (unsigned char)*s);
		else {
			if (*s == '"' || *s == '\\')
				buf[n++] = '\\';
			buf[n++] = *s;
		}
	}
	if (*s != '\0')
		n += (size_t)snprintf(buf + n, size - n, "...");
	snprintf(buf + n, size - n, "\"");
	return buf;
}

/* "arr[idx].key" into buf. */
static const char *
elem(char *buf, size_t size, const char *arr, size_t idx, const char *key)
{
	snprintf(buf, size, "%s[%zu]%s%s", arr, idx, *key != '\0' ? "." : "", key);
	return buf;
}

/* Whether s is given; reports a missing or empty required string. */
static bool
need_str(struct lb_parse *p, const char *path, const char *s)
{
	if (s == NULL)
		cerr(p, path, "missing (required)");
	else if (*s == '\0')
		cerr(p, path, "must not be empty");
	else
		return true;
	return false;
}

/* Whether lo <= v <= hi; reports it otherwise. */
static bool
in_range(struct lb_parse *p, const char *path, int v, int lo, int hi)
{
	if (v >= lo && v <= hi)
		return true;
	if (hi == INT_MAX)
		cerr(p, path, "%d must be %d or more", v, lo);
	else
		cerr(p, path, "%d is out of range %d..%d", v, lo, hi);
	return false;
}

/* in_range for a required integer. */
static bool
need_int(struct lb_parse *p, const char *path, int v, int lo, int hi)
{
	if (v == LB_UNSET) {
		cerr(p, path, "missing (required)");
		return false;
	}
	return in_range(p, path, v, lo, hi);
}

/* Index of s among names[first..n), or -1 after reporting what is accepted. */
static int
lookup(struct lb_parse *p, const char *path, const char *s,
    const char *const *names, size_t first, size_t n)
{
	char list[256], q[QUOTE_MAX];
	size_t i, len = 0;

	for (i = first; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	list[0] = '\0';
	for (i = first; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    i > first ? ", " : "", names[i]);
	cerr(p, path, "%s is not one of %s", quote(q, sizeof(q), s), list);
	return -1;
}

/* Whether s is a non-empty RFC 9110 token (methods, cookie names). */
static bool
is_token(const char *s)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z'))
			continue;
		if (strchr(tchar, *s) == NULL)
			return false;
	}
	return true;
}

/* Read a three-digit status code at *sp; advances *sp. */
static int
parse_code(const char **sp, int *code)
{
	const char *s = *sp;

	if (s[0] < '1' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9' || (s[3] >= '0' && s[3] <= '9'))
		return -1;
	*code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	*sp = s + 3;
	return 0;
}

int
lb_codes_parse(const char *s, struct lb_code_range **out, size_t *n)
{
	struct lb_code_range *r = NULL, cr;
	size_t nr = 0, sp;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	s += strspn(s, " \t");
	for (;;) {
		if (parse_code(&s, &cr.lo) == -1)
			goto fail;
		cr.hi = cr.lo;
		sp = strspn(s, " \t");
		s += sp;
		if (*s == '-') {
			s++;
			s += strspn(s, " \t");
			if (parse_code(&s, &cr.hi) == -1 || cr.hi < cr.lo)
				goto fail;
			sp = strspn(s, " \t");
			s += sp;
		}
		r = lb_xrealloc(r, (nr + 1) * sizeof(*r));
		r[nr++] = cr;
		if (*s == '\0')
			break;
		if (*s == ',')
			s += 1 + strspn(s + 1, " \t");
		else if (sp == 0)	/* Contrail also separates with spaces */
			goto fail;
	}
	*out = r;
	*n = nr;
	return 0;
fail:
	free(r);
	return -1;
}

bool
lb_codes_match(const struct lb_code_range *r, size_t n, int code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (code >= r[i].lo && code <= r[i].hi)
			return true;
	return false;
}

/* A new path: rel against dir, or rel itself when absolute. */
static char *
resolve_path(const char *dir, const char *rel)
{
	char *s;

	if (rel[0] == '/')
		return lb_xstrdup(rel);
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	if ((s = lb_asprintf("%s/%s", dir, rel)) == NULL)
		abort();
	return s;
}

/* Make *path absolute against the config directory; reports an empty one. */
static bool
resolve(struct lb_parse *p, const char *jpath, char **path)
{
	char *abs;

	if (*path == NULL)
		return false;
	if (**path == '\0') {
		cerr(p, jpath, "must not be empty");
		return false;
	}
	abs = resolve_path(p->conf.dir, *path);
	free(*path);
	*path = abs;
	return true;
}

/* Report a file tls.c will open that is missing, not a file, or unreadable. */
static void
need_file(struct lb_parse *p, const char *jpath, const char *file)
{
	struct stat st;

	if (stat(file, &st) == -1)
		cerr(p, jpath, "%s: %s", file, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		cerr(p, jpath, "%s: not a regular file", file);
	else if (access(file, R_OK) == -1)
		cerr(p, jpath, "%s: %s", file, strerror(errno));
}

/* Parse "127.0.0.1:9101" or "[::1]:9101"; returns 0 or -1. */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon = strrchr(s, ':'), *h = s;
	char host[64], *end;
	size_t hl;
	long port;

	if (colon == NULL)
		return -1;
	hl = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hl < 2 || s[hl - 1] != ']')
			return -1;
		h = s + 1;
		hl -= 2;
	} else if (memchr(s, ':', hl) != NULL)
		return -1;	/* IPv6 needs brackets */
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port < 1 || port > 65535)
		return -1;
	return lb_addr_parse(host, (int)port, ss, len);
}

/* Whether ss is 0.0.0.0 or ::, which a member cannot be. */
static bool
is_unspecified(const struct sockaddr_storage *ss)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == INADDR_ANY;
	return memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, &any6,
	    sizeof(any6)) == 0;
}

/* The tls block's names (min_version, mode) and what needs a default certificate. */
static void
check_tls_fields(struct lb_parse *p)
{
	struct lb_tls_conf *t = &p->conf.vip.tls;
	int i;

	p->conf.vip.has_tls = p->seen_tls == LB_SEEN_OBJECT ||
	    t->certificate_file != NULL;
	if (p->tls_min_version != NULL && (i = lookup(p, "vip.tls.min_version",
	    p->tls_min_version, tls_version_names, 0,
	    LB_ARRAY_SIZE(tls_version_names))) != -1)
		t->min_version = tls_versions[i];
	if (p->tls_mode != NULL && (i = lookup(p, "vip.tls.mode", p->tls_mode,
	    tls_mode_names, 0, LB_ARRAY_SIZE(tls_mode_names))) != -1)
		t->passthrough_requested = i == 1;
	if (t->certificate_file != NULL)
		return;
	if (p->tls_mode != NULL && strcmp(p->tls_mode, "terminate") == 0)
		cerr(p, "vip.tls.mode", "terminate needs vip.tls.certificate_file");
	if (t->private_key_file != NULL)
		cerr(p, "vip.tls.private_key_file", "needs vip.tls.certificate_file");
	if (t->n_sni > 0)
		cerr(p, "vip.tls.sni_certificate_files", "needs "
		    "vip.tls.certificate_file (the default certificate)");
}

/* Decide what the VIP does with TLS and whether it parses HTTP (SPEC 2, "HTTPS semantics"). */
static void
decide_tls(struct lb_parse *p)
{
	struct lb_vip_conf *v = &p->conf.vip;
	bool cert = v->tls.certificate_file != NULL;

	v->tls_mode = LB_TLS_NONE;
	v->http = false;
	switch (v->protocol) {
	case LB_PROTO_TCP:
		if (cert)
			cwarn(p, "vip.tls.certificate_file", "ignored: a TCP VIP "
			    "relays bytes (use protocol HTTPS to terminate TLS)");
		break;
	case LB_PROTO_HTTP:
		v->http = true;
		if (v->tls.passthrough_requested)
			cerr(p, "vip.tls.mode", "passthrough needs vip.protocol "
			    "HTTPS or TCP");
		else if (cert && v->port == 443)
			v->tls_mode = LB_TLS_TERMINATE;
		else if (cert)
			cwarn(p, "vip.tls.certificate_file", "ignored: an HTTP VIP "
			    "terminates TLS only on port 443 (use protocol HTTPS)");
		break;
	case LB_PROTO_HTTPS:
		if (cert && !v->tls.passthrough_requested) {
			v->tls_mode = LB_TLS_TERMINATE;
			v->http = true;
		} else {
			v->tls_mode = LB_TLS_PASSTHROUGH;
			if (cert)
				cwarn(p, "vip.tls.certificate_file", "ignored: "
				    "vip.tls.mode is passthrough");
		}
		break;
	}
}

/* session_persistence: the type, its cookie, and whether the VIP can honour it. */
static void
check_persist(struct lb_parse *p, bool vip_known)
{
	static const char tpath[] = "vip.session_persistence.type";
	struct lb_vip_conf *v = &p->conf.vip;
	const char *path = "vip.session_persistence.cookie_name";
	char q[QUOTE_MAX];
	int i;

	/* name the cookie in the dialect the type was written in */
	if (strcmp(lb_config_alias(p, tpath), tpath) != 0)
		path = "vip.persistence-cookie-name";
	v->persist = LB_PERSIST_NONE;
	if (p->persist_type == NULL || *p->persist_type == '\0')
		return;
	if ((i = lookup(p, tpath, p->persist_type,
	    lb_persist_names, LB_PERSIST_SOURCE_IP,
	    LB_ARRAY_SIZE(lb_persist_names))) == -1)
		return;
	v->persist = (enum lb_persist)i;
	if (v->cookie_name != NULL && *v->cookie_name == '\0') {
		free(v->cookie_name);
		v->cookie_name = NULL;
	}
	if (v->persist == LB_PERSIST_APP_COOKIE && v->cookie_name == NULL)
		cerr(p, path, "missing (required for APP_COOKIE)");
	if (v->persist == LB_PERSIST_HTTP_COOKIE && v->cookie_name == NULL)
		v->cookie_name = lb_xstrdup("SRV");
	if (v->cookie_name != NULL && !is_token(v->cookie_name))
		cerr(p, path, "%s is not a valid cookie name",
		    quote(q, sizeof(q), v->cookie_name));
	if (vip_known && !v->http && (v->persist == LB_PERSIST_HTTP_COOKIE ||
	    v->persist == LB_PERSIST_APP_COOKIE))
		cerr(p, tpath, "%s needs an HTTP VIP "
		    "(this one is %s)", lb_persist_names[v->persist],
		    v->tls_mode == LB_TLS_PASSTHROUGH ? "TLS passthrough" : "TCP");
}

/* The "vip" object; returns whether its protocol is known (the rest depends on it). */
static bool
check_vip(struct lb_parse *p)
{
	struct lb_vip_conf *v = &p->conf.vip;
	char q[QUOTE_MAX];
	bool port_ok, proto_ok = false;
	int i;

	if (p->seen_vip == LB_SEEN_ABSENT)
		cerr(p, "vip", "missing (required)");
	if (p->seen_vip != LB_SEEN_OBJECT)
		return false;
	need_str(p, "vip.id", v->id);
	port_ok = need_int(p, "vip.protocol_port", v->port, 1, 65535);
	if (need_str(p, "vip.address", v->address) && lb_addr_parse(v->address,
	    port_ok ? v->port : 0, &v->addr, &v->addrlen) == -1)
		cerr(p, "vip.address", "%s is not an IPv4 or IPv6 address",
		    quote(q, sizeof(q), v->address));
	if (p->vip_protocol == NULL)
		cerr(p, "vip.protocol", "missing (required)");
	else if ((i = lookup(p, "vip.protocol", p->vip_protocol, lb_proto_names,
	    0, LB_ARRAY_SIZE(lb_proto_names))) != -1) {
		v->protocol = (enum lb_proto)i;
		proto_ok = true;
	}
	in_range(p, "vip.connection_limit", v->connection_limit, -1, INT_MAX);
	/* 0 means unlimited, as Contrail's and Neutron's HAProxy drivers read it */
	if (v->connection_limit == 0)
		v->connection_limit = -1;
	check_tls_fields(p);
	if (proto_ok)
		decide_tls(p);
	check_persist(p, proto_ok);
	return proto_ok;
}

/* Whether the pool's protocol fits what this VIP sends to members; reports it if not. */
static void
check_compat(struct lb_parse *p)
{
	const struct lb_vip_conf *v = &p->conf.vip;
	enum lb_proto pp = p->conf.pool.protocol;
	const char *what, *use;
	bool ok;

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
		cerr(p, "pool.protocol", "%s does not fit %s (use %s)",
		    lb_proto_names[pp], what, use);
}

/* The "pool" object; its protocol defaults to what the VIP sends to members. */
static void
check_pool(struct lb_parse *p, bool vip_known)
{
	struct lb_pool_conf *pool = &p->conf.pool;
	const struct lb_vip_conf *v = &p->conf.vip;
	int i;

	if (p->seen_pool == LB_SEEN_ABSENT)
		cerr(p, "pool", "missing (required)");
	if (p->seen_pool != LB_SEEN_OBJECT)
		return;
	need_str(p, "pool.id", pool->id);
	if (p->pool_method == NULL)
		cerr(p, "pool.lb_method", "missing (required)");
	else if ((i = lookup(p, "pool.lb_method", p->pool_method, lb_method_names,
	    0, LB_ARRAY_SIZE(lb_method_names))) != -1)
		pool->method = (enum lb_method)i;
	if (p->pool_protocol != NULL) {
		if ((i = lookup(p, "pool.protocol", p->pool_protocol,
		    lb_proto_names, 0, LB_ARRAY_SIZE(lb_proto_names))) == -1)
			return;
		pool->protocol = (enum lb_proto)i;
		if (vip_known)
			check_compat(p);
	} else if (vip_known) {
		if (v->http)
			pool->protocol = LB_PROTO_HTTP;
		else if (v->tls_mode == LB_TLS_PASSTHROUGH)
			pool->protocol = LB_PROTO_HTTPS;
		else
			pool->protocol = LB_PROTO_TCP;
	}
}

/* Every member, then ids and (address, port) unique across members. */
static void
check_members(struct lb_parse *p)
{
	struct lb_member_conf *m, *o;
	char path[PATH_MAX_LEN], q[QUOTE_MAX], a[LB_ADDRSTRLEN];
	size_t i, j, idx;
	bool port_ok;

	for (i = 0; i < p->conf.n_members; i++) {
		m = &p->conf.members[i];
		idx = p->member_idx[i];
		need_str(p, elem(path, sizeof(path), "members", idx, "id"), m->id);
		port_ok = need_int(p, elem(path, sizeof(path), "members", idx,
		    "protocol_port"), m->port, 1, 65535);
		elem(path, sizeof(path), "members", idx, "address");
		if (need_str(p, path, m->address)) {
			if (lb_addr_parse(m->address, port_ok ? m->port : 0,
			    &m->addr, &m->addrlen) == -1)
				cerr(p, path, "%s is not an IPv4 or IPv6 address",
				    quote(q, sizeof(q), m->address));
			else if (is_unspecified(&m->addr))
				cerr(p, path, "%s is the unspecified address",
				    quote(q, sizeof(q), m->address));
		}
		if (!port_ok)
			m->addrlen = 0;	/* not compared below */
		in_range(p, elem(path, sizeof(path), "members", idx, "weight"),
		    m->weight, 0, 256);

		for (j = 0; j < i; j++) {
			o = &p->conf.members[j];
			if (m->id != NULL && o->id != NULL &&
			    strcmp(m->id, o->id) == 0) {
				cerr(p, elem(path, sizeof(path), "members", idx,
				    "id"), "%s is already used by members[%zu]",
				    quote(q, sizeof(q), m->id), p->member_idx[j]);
				break;
			}
		}
		for (j = 0; j < i && m->addrlen != 0; j++) {
			o = &p->conf.members[j];
			if (o->addrlen == m->addrlen &&
			    memcmp(&o->addr, &m->addr, m->addrlen) == 0) {
				cerr(p, elem(path, sizeof(path), "members", idx, ""),
				    "%s is already used by members[%zu]",
				    lb_addr_fmt((struct sockaddr *)&m->addr, a,
				    sizeof(a)), p->member_idx[j]);
				break;
			}
		}
	}
}

/* One monitor, with its HTTP defaults (GET, /, 200). */
static void
check_monitor(struct lb_parse *p, struct lb_hm_raw *r)
{
	struct lb_hm_conf *hm = &r->c;
	char path[PATH_MAX_LEN], q[QUOTE_MAX];
	bool delay_ok, timeout_ok;
	int i;

	elem(path, sizeof(path), "healthmonitors", r->idx, "type");
	if (r->type == NULL)
		cerr(p, path, "missing (required)");
	else if ((i = lookup(p, path, r->type, lb_hm_type_names, 0,
	    LB_ARRAY_SIZE(lb_hm_type_names))) != -1)
		hm->type = (enum lb_hm_type)i;
	delay_ok = need_int(p, elem(path, sizeof(path), "healthmonitors",
	    r->idx, "delay"), hm->delay, 1, 86400);
	timeout_ok = need_int(p, elem(path, sizeof(path), "healthmonitors",
	    r->idx, "timeout"), hm->timeout, 1, 86400);
	if (delay_ok && timeout_ok && hm->timeout > hm->delay)
		cerr(p, path, "%d must not exceed delay (%d)", hm->timeout,
		    hm->delay);
	need_int(p, elem(path, sizeof(path), "healthmonitors", r->idx,
	    "max_retries"), hm->max_retries, 1, 10);

	if (hm->http_method == NULL)
		hm->http_method = lb_xstrdup("GET");
	else if (!is_token(hm->http_method) || strlen(hm->http_method) > 32)
		cerr(p, elem(path, sizeof(path), "healthmonitors", r->idx,
		    "http_method"), "%s is not an HTTP method",
		    quote(q, sizeof(q), hm->http_method));
	if (hm->url_path == NULL)
		hm->url_path = lb_xstrdup("/");
	else if (hm->url_path[0] != '/' ||
	    hm->url_path[strcspn(hm->url_path, " \t\r\n")] != '\0')
		cerr(p, elem(path, sizeof(path), "healthmonitors", r->idx,
		    "url_path"), "%s is not a path starting with \"/\" without "
		    "spaces", quote(q, sizeof(q), hm->url_path));
	if (hm->expected_codes == NULL)
		hm->expected_codes = lb_xstrdup("200");
	if (lb_codes_parse(hm->expected_codes, &hm->codes, &hm->n_codes) == -1)
		cerr(p, elem(path, sizeof(path), "healthmonitors", r->idx,
		    "expected_codes"), "%s is not a list of status codes like "
		    "\"200\", \"200,202\" or \"200-299\"",
		    quote(q, sizeof(q), hm->expected_codes));
}

/* Every monitor; the first admin-up one becomes conf.hm (moved out of p). */
static void
check_monitors(struct lb_parse *p)
{
	size_t i;

	for (i = 0; i < p->n_hms; i++)
		check_monitor(p, &p->hms[i]);
	for (i = 0; i < p->n_hms; i++) {
		if (!p->hms[i].c.admin_state_up)
			continue;
		p->conf.hm = lb_xmalloc(sizeof(*p->conf.hm));
		*p->conf.hm = p->hms[i].c;
		memset(&p->hms[i].c, 0, sizeof(p->hms[i].c));
		break;
	}
}

/* The "lbproxy" block: ranges, names, the metrics address and every path. */
static void
check_settings(struct lb_parse *p)
{
	struct lb_config *c = &p->conf;
	struct sockaddr_un sun;
	const struct int_rule *r;
	char q[QUOTE_MAX];
	size_t len;
	int lvl;

	for (r = int_rules; r < int_rules + LB_ARRAY_SIZE(int_rules); r++)
		in_range(p, r->path, *(int *)((char *)c + r->off), r->lo, r->hi);

	if (p->stats_socket_mode != NULL) {
		len = strlen(p->stats_socket_mode);
		if (len == 0 || len > 4 ||
		    strspn(p->stats_socket_mode, "01234567") != len ||
		    strtol(p->stats_socket_mode, NULL, 8) > 0777)
			cerr(p, "lbproxy.stats_socket_mode", "%s is not an octal "
			    "mode like \"0660\"",
			    quote(q, sizeof(q), p->stats_socket_mode));
		else
			c->stats_socket_mode = (int)strtol(p->stats_socket_mode,
			    NULL, 8);
	}
	if (c->stats_socket == NULL)
		c->stats_socket = resolve_path(c->dir, "sock");
	else
		resolve(p, "lbproxy.stats_socket", &c->stats_socket);
	if (c->stats_socket != NULL && strlen(c->stats_socket) >= sizeof(sun.sun_path))
		cerr(p, "lbproxy.stats_socket", "%s is longer than a Unix socket "
		    "path can be (%zu bytes)", c->stats_socket,
		    sizeof(sun.sun_path) - 1);
	resolve(p, "lbproxy.pid_file", &c->pid_file);

	if (p->log_target == NULL || strcmp(p->log_target, "stderr") == 0)
		c->log_target = LB_LOG_STDERR;
	else if (strcmp(p->log_target, "syslog") == 0)
		c->log_target = LB_LOG_SYSLOG;
	else if (strchr(p->log_target, '/') != NULL) {
		c->log_target = LB_LOG_FILE;
		c->log_file = resolve_path(c->dir, p->log_target);
	} else
		cerr(p, "lbproxy.log.target", "%s is not one of stderr, syslog "
		    "or a file path (with a \"/\")",
		    quote(q, sizeof(q), p->log_target));
	if (p->log_level != NULL) {
		if ((lvl = lb_log_level_parse(p->log_level)) == -1)
			cerr(p, "lbproxy.log.level", "%s is not one of err, "
			    "warning, notice, info, debug",
			    quote(q, sizeof(q), p->log_level));
		else
			c->log_level = lvl;
	}

	if (c->metrics_listen != NULL && parse_listen(c->metrics_listen,
	    &c->metrics_addr, &c->metrics_addrlen) == -1) {
		cerr(p, "lbproxy.metrics.listen", "%s is not \"address:port\" "
		    "(like \"127.0.0.1:9101\" or \"[::1]:9101\")",
		    quote(q, sizeof(q), c->metrics_listen));
		c->metrics_addrlen = 0;
	}
}

/* Resolve the certificate paths; when the VIP terminates TLS, tls.c will need them. */
static void
check_tls_files(struct lb_parse *p)
{
	struct lb_tls_conf *t = &p->conf.vip.tls;
	bool need = p->conf.vip.tls_mode == LB_TLS_TERMINATE;
	char path[PATH_MAX_LEN];
	size_t i;

	if (resolve(p, "vip.tls.certificate_file", &t->certificate_file) && need)
		need_file(p, "vip.tls.certificate_file", t->certificate_file);
	if (resolve(p, "vip.tls.private_key_file", &t->private_key_file) && need)
		need_file(p, "vip.tls.private_key_file", t->private_key_file);
	for (i = 0; i < t->n_sni; i++) {
		elem(path, sizeof(path), "vip.tls.sni_certificate_files", i, "");
		if (resolve(p, path, &t->sni_certificate_files[i]) && need)
			need_file(p, path, t->sni_certificate_files[i]);
	}
}

int
lb_config_check(struct lb_parse *p)
{
	size_t nerr = p->diag->n;
	bool vip_known;

	vip_known = check_vip(p);
	check_pool(p, vip_known);
	check_members(p);
	check_monitors(p);
	check_settings(p);
	check_tls_files(p);
	return p->diag->n == nerr ? 0 : -1;
}
