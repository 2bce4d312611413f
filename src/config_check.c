/*
 * config_check.c: the validity pass over a parsed configuration, separate
 * from parsing as in HAProxy. Here: the helpers every rule uses, the
 * process-wide "lbproxy" block, pools with their members and monitors, and
 * the driver that moves the checked objects into struct lb_config. The
 * listeners, their references to pools and their L7 policies are checked in
 * config_lb.c. Every problem is reported as "json.path: reason"; nothing
 * stops at the first.
 */
#include "config.h"

#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

#define PATH_MAX_LEN	LB_PATH_MAX
#define QUOTE_MAX	LB_QUOTE_MAX

const char *const lb_proto_names[] = {
	[LB_PROTO_TCP] = "TCP",
	[LB_PROTO_HTTP] = "HTTP",
	[LB_PROTO_HTTPS] = "HTTPS",
	[LB_PROTO_TERMINATED_HTTPS] = "TERMINATED_HTTPS",
	[LB_PROTO_PROMETHEUS] = "PROMETHEUS",
	[LB_PROTO_PROXY] = "PROXY",
	[LB_PROTO_PROXYV2] = "PROXYV2",
};

const char *const lb_method_names[] = {
	[LB_METHOD_ROUND_ROBIN] = "ROUND_ROBIN",
	[LB_METHOD_LEAST_CONNECTIONS] = "LEAST_CONNECTIONS",
	[LB_METHOD_SOURCE_IP] = "SOURCE_IP",
	[LB_METHOD_SOURCE_IP_PORT] = "SOURCE_IP_PORT",
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

static const char *const reuse_names[] = {
	[LB_REUSE_SAFE] = "safe",
	[LB_REUSE_ALWAYS] = "always",
	[LB_REUSE_NEVER] = "never",
};

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

void
lb_cerr(struct lb_parse *p, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, false, path, fmt, ap);
	va_end(ap);
}

void
lb_cwarn(struct lb_parse *p, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, true, path, fmt, ap);
	va_end(ap);
}

const char *
lb_cquote(char *buf, size_t size, const char *s)
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

const char *
lb_cpath(char *buf, const char *prefix, const char *key)
{
	snprintf(buf, LB_PATH_MAX, "%s%s%s", prefix, *prefix != '\0' && *key != '\0' &&
	    *key != '[' ? "." : "", key);
	return buf;
}

bool
lb_cneed_str(struct lb_parse *p, const char *path, const char *s)
{
	if (s == NULL)
		lb_cerr(p, path, "missing (required)");
	else if (*s == '\0')
		lb_cerr(p, path, "must not be empty");
	else
		return true;
	return false;
}

bool
lb_cin_range(struct lb_parse *p, const char *path, int v, int lo, int hi)
{
	if (v >= lo && v <= hi)
		return true;
	if (hi == INT_MAX)
		lb_cerr(p, path, "%d must be %d or more", v, lo);
	else
		lb_cerr(p, path, "%d is out of range %d..%d", v, lo, hi);
	return false;
}

bool
lb_cneed_int(struct lb_parse *p, const char *path, int v, int lo, int hi)
{
	if (v == LB_UNSET) {
		lb_cerr(p, path, "missing (required)");
		return false;
	}
	return lb_cin_range(p, path, v, lo, hi);
}

int
lb_clookup(struct lb_parse *p, const char *path, const char *s,
    const char *const *names, size_t first, size_t n)
{
	char list[320], q[QUOTE_MAX];
	size_t i, len = 0;

	for (i = first; i < n; i++)
		if (names[i] != NULL && strcmp(s, names[i]) == 0)
			return (int)i;
	list[0] = '\0';
	for (i = first; i < n && len < sizeof(list); i++)
		if (names[i] != NULL)
			len += (size_t)snprintf(list + len, sizeof(list) - len,
			    "%s%s", len > 0 ? ", " : "", names[i]);
	lb_cerr(p, path, "%s is not one of %s", lb_cquote(q, sizeof(q), s), list);
	return -1;
}

bool
lb_is_token(const char *s)
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

/* A new path: rel against dir, or rel itself when absolute. */
static char *
resolve_path(const char *dir, const char *rel)
{
	return lb_path_resolve(dir, rel);
}

/* Make *path absolute against the config directory; reports an empty one. */
static bool
resolve(struct lb_parse *p, const char *jpath, char **path)
{
	char *abs;

	if (*path == NULL)
		return false;
	if (**path == '\0') {
		lb_cerr(p, jpath, "must not be empty");
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
		lb_cerr(p, jpath, "%s: %s", file, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		lb_cerr(p, jpath, "%s: not a regular file", file);
	else if (access(file, R_OK) == -1)
		lb_cerr(p, jpath, "%s: %s", file, strerror(errno));
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

void
lb_cfile(struct lb_parse *p, const char *jpath, char **file, bool need)
{
	if (resolve(p, jpath, file) && need)
		need_file(p, jpath, *file);
}

/* "10.0.0.0/8", "2001:db8::/32" or a bare address (a host); returns 0 or -1. */
static int
parse_cidr(const char *s, struct lb_cidr *c)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[64];
	const char *slash = strchr(s, '/');
	size_t hl = slash != NULL ? (size_t)(slash - s) : strlen(s), nbytes, i;
	long prefix;

	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (lb_addr_parse(host, 0, &ss, &len) == -1)
		return -1;
	memset(c, 0, sizeof(*c));
	c->family = ss.ss_family;
	if (c->family == AF_INET) {
		memcpy(c->net, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		nbytes = 4;
	} else {
		memcpy(c->net, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		nbytes = 16;
	}
	prefix = (long)nbytes * 8;
	if (slash != NULL && lb_parse_long(slash + 1, 0, prefix, &prefix) == -1)
		return -1;
	c->prefix = (unsigned)prefix;
	for (i = 0; i < nbytes; i++) {	/* clear the host bits */
		if (i * 8 >= c->prefix)
			c->net[i] = 0;
		else if (i * 8 + 8 > c->prefix)
			c->net[i] &= (uint8_t)(0xff << (8 - (c->prefix - i * 8)));
	}
	return 0;
}

struct lb_cidr *
lb_ccidrs(struct lb_parse *p, const char *path, const struct lb_strv *sv, size_t *n)
{
	char sub[PATH_MAX_LEN], q[QUOTE_MAX];
	struct lb_cidr *v;
	size_t i;

	*n = 0;
	if (sv->n == 0)
		return NULL;
	v = lb_xcalloc(sv->n, sizeof(*v));
	for (i = 0; i < sv->n; i++) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (parse_cidr(sv->v[i], &v[*n]) == -1)
			lb_cerr(p, sub, "%s is not a CIDR like \"10.0.0.0/8\" or "
			    "\"2001:db8::/32\"", lb_cquote(q, sizeof(q), sv->v[i]));
		else
			(*n)++;
	}
	return v;
}

bool
lb_cidr_match(const struct lb_cidr *v, size_t n, const struct sockaddr *sa)
{
	const uint8_t *a;
	size_t i, full;
	unsigned rem;
	int family = sa->sa_family;
	uint8_t mapped[4];

	if (family == AF_INET)
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	else if (family == AF_INET6) {
		a = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
			memcpy(mapped, a + 12, 4);
			a = mapped;
			family = AF_INET;
		}
	} else
		return false;
	for (i = 0; i < n; i++) {
		if (v[i].family != family)
			continue;
		full = v[i].prefix / 8;
		rem = v[i].prefix % 8;
		if (memcmp(a, v[i].net, full) != 0)
			continue;
		if (rem != 0 && (a[full] & (uint8_t)(0xff << (8 - rem))) != v[i].net[full])
			continue;
		return true;
	}
	return false;
}

/*
 * A set of byte strings for the uniqueness rules (member ids and addresses),
 * open addressing, so 100,000 members check in linear time (issue 15.17).
 */
struct uset {
	const void	**key;
	size_t		 *len;
	size_t		 *idx;		/* what the key belongs to, for messages */
	size_t		  cap;
};

static void
uset_init(struct uset *u, size_t n)
{
	u->cap = 16;
	while (u->cap < n * 2)
		u->cap <<= 1;
	u->key = lb_xcalloc(u->cap, sizeof(*u->key));
	u->len = lb_xcalloc(u->cap, sizeof(*u->len));
	u->idx = lb_xcalloc(u->cap, sizeof(*u->idx));
}

static void
uset_fini(struct uset *u)
{
	free(u->key);
	free(u->len);
	free(u->idx);
}

/* Insert key (borrowed); returns -1 if new, else the index it was inserted with. */
static long
uset_add(struct uset *u, const void *key, size_t len, size_t idx)
{
	uint64_t h = lb_hash64(key, len, 0);
	size_t i;

	for (i = (size_t)h & (u->cap - 1); u->key[i] != NULL; i = (i + 1) & (u->cap - 1))
		if (u->len[i] == len && memcmp(u->key[i], key, len) == 0)
			return (long)u->idx[i];
	u->key[i] = key;
	u->len[i] = len;
	u->idx[i] = idx;
	return -1;
}

/* The default stats socket: "<id>.haproxy.sock" beside "<id>.conf.json" (Contrail), else "sock". */
static char *
default_socket(const struct lb_config *c)
{
	static const char suffix[] = ".conf.json";
	const char *base = strrchr(c->path, '/');
	size_t len;
	char *s;

	base = base != NULL ? base + 1 : c->path;
	len = strlen(base);
	if (len > sizeof(suffix) - 1 && strcmp(base + len - (sizeof(suffix) - 1),
	    suffix) == 0) {
		if ((s = lb_asprintf("%s/%.*s.haproxy.sock", c->dir,
		    (int)(len - (sizeof(suffix) - 1)), base)) == NULL)
			abort();
		return s;
	}
	return resolve_path(c->dir, "sock");
}

/*
 * Timeouts the file did not set. Contrail's template set client and server to
 * 300 s and maxconn to 65000; an idle keep-alive client falls back to
 * http_request, then to a client timeout the file gave, as HAProxy's
 * "timeout http-keep-alive" does (SPEC 2, issue 15.3).
 */
static void
timeout_defaults(struct lb_parse *p)
{
	struct lb_config *c = &p->conf;
	bool contrail = c->dialect == LB_DIALECT_CONTRAIL;
	bool client_given = c->timeouts.client != LB_UNSET || contrail;

	if (c->timeouts.client == LB_UNSET)
		c->timeouts.client = contrail ? 300000 : 50000;
	if (c->timeouts.server == LB_UNSET)
		c->timeouts.server = contrail ? 300000 : 50000;
	if (c->maxconn == LB_UNSET)
		c->maxconn = contrail ? 65000 : 0;
	p->client_given = client_given;
	p->http_request_given = c->timeouts.http_request != LB_UNSET;
	p->keep_alive_given = c->timeouts.http_keep_alive != LB_UNSET;
	if (!p->http_request_given)
		c->timeouts.http_request = c->timeouts.client < 10000 ?
		    c->timeouts.client : 10000;
	if (!p->keep_alive_given)
		c->timeouts.http_keep_alive = p->http_request_given ?
		    c->timeouts.http_request : client_given ? c->timeouts.client : 10000;
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
	int lvl, v, i;

	for (r = int_rules; r < int_rules + LB_ARRAY_SIZE(int_rules); r++)
		if ((v = *(int *)((char *)c + r->off)) != LB_UNSET)
			lb_cin_range(p, r->path, v, r->lo, r->hi);
	timeout_defaults(p);

	if (p->stats_socket_mode != NULL) {
		len = strlen(p->stats_socket_mode);
		if (len == 0 || len > 4 ||
		    strspn(p->stats_socket_mode, "01234567") != len ||
		    strtol(p->stats_socket_mode, NULL, 8) > 0777)
			lb_cerr(p, "lbproxy.stats_socket_mode", "%s is not an octal "
			    "mode like \"0660\"",
			    lb_cquote(q, sizeof(q), p->stats_socket_mode));
		else
			c->stats_socket_mode = (int)strtol(p->stats_socket_mode,
			    NULL, 8);
	}
	if (c->stats_socket == NULL)
		c->stats_socket = default_socket(c);
	else
		resolve(p, "lbproxy.stats_socket", &c->stats_socket);
	if (c->stats_socket != NULL && strlen(c->stats_socket) >= sizeof(sun.sun_path))
		lb_cerr(p, "lbproxy.stats_socket", "%s is longer than a Unix socket "
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
		lb_cerr(p, "lbproxy.log.target", "%s is not one of stderr, syslog "
		    "or a file path (with a \"/\")",
		    lb_cquote(q, sizeof(q), p->log_target));
	if (p->log_level != NULL) {
		if ((lvl = lb_log_level_parse(p->log_level)) == -1)
			lb_cerr(p, "lbproxy.log.level", "%s is not one of err, "
			    "warning, notice, info, debug",
			    lb_cquote(q, sizeof(q), p->log_level));
		else
			c->log_level = lvl;
	}
	c->http_reuse = LB_REUSE_SAFE;
	if (p->http_reuse != NULL && (i = lb_clookup(p, "lbproxy.http_reuse",
	    p->http_reuse, reuse_names, 0, LB_ARRAY_SIZE(reuse_names))) != -1)
		c->http_reuse = (enum lb_http_reuse)i;
	c->accept_proxy = lb_ccidrs(p, "lbproxy.accept_proxy", &p->accept_proxy,
	    &c->n_accept_proxy);
	if (p->insert_given && c->dialect == LB_DIALECT_V2)
		lb_cwarn(p, "lbproxy.insert_headers", "ignored in a load balancer "
		    "file: give loadbalancer.listeners[].insert_headers");

	if (c->metrics_listen != NULL && parse_listen(c->metrics_listen,
	    &c->metrics_addr.ss, &c->metrics_addr.len) == -1) {
		lb_cerr(p, "lbproxy.metrics.listen", "%s is not \"address:port\" "
		    "(like \"127.0.0.1:9101\" or \"[::1]:9101\")",
		    lb_cquote(q, sizeof(q), c->metrics_listen));
		c->metrics_addr.len = 0;
	}
}

/* Whether an address parses, with port; reports it otherwise. */
static bool
check_addr(struct lb_parse *p, const char *path, const char *s, int port,
    struct lb_addr *a, bool member)
{
	char q[QUOTE_MAX];

	if (lb_addr_parse(s, port, &a->ss, &a->len) == -1) {
		lb_cerr(p, path, "%s is not an IPv4 or IPv6 address",
		    lb_cquote(q, sizeof(q), s));
		a->len = 0;
		return false;
	}
	if (member && is_unspecified(&a->ss)) {
		lb_cerr(p, path, "%s is the unspecified address",
		    lb_cquote(q, sizeof(q), s));
		a->len = 0;
		return false;
	}
	return true;
}

/* One member of pool r, without the uniqueness rules. */
static void
check_member(struct lb_parse *p, struct lb_member_raw *mr, bool v2)
{
	struct lb_member_conf *m = &mr->c;
	char path[PATH_MAX_LEN];
	bool port_ok;

	if (!v2)
		lb_cneed_str(p, lb_cpath(path, mr->path, "id"), m->id);
	else if (m->id != NULL && *m->id == '\0')
		lb_cerr(p, lb_cpath(path, mr->path, "id"), "must not be empty");
	port_ok = lb_cneed_int(p, lb_cpath(path, mr->path, "protocol_port"),
	    m->port, 1, 65535);
	m->addr.len = 0;
	if (lb_cneed_str(p, lb_cpath(path, mr->path, "address"), m->address))
		check_addr(p, path, m->address, port_ok ? m->port : 0, &m->addr, true);
	if (!port_ok)
		m->addr.len = 0;	/* not compared for uniqueness */
	lb_cin_range(p, lb_cpath(path, mr->path, "weight"), m->weight, 0, 256);
	if (m->id == NULL && m->name != NULL && *m->name != '\0')
		m->id = lb_xstrdup(m->name);
	else if (m->id == NULL && m->address != NULL && port_ok)
		m->id = lb_asprintf("%s:%d", m->address, m->port);

	m->check_addr = m->addr;
	if (m->monitor_port != LB_UNSET && !lb_cin_range(p, lb_cpath(path,
	    mr->path, "monitor_port"), m->monitor_port, 1, 65535))
		m->monitor_port = LB_UNSET;
	if (m->monitor_address != NULL && *m->monitor_address != '\0')
		check_addr(p, lb_cpath(path, mr->path, "monitor_address"),
		    m->monitor_address, m->monitor_port != LB_UNSET ?
		    m->monitor_port : port_ok ? m->port : 0, &m->check_addr, true);
	else if (m->monitor_port != LB_UNSET && m->addr.len != 0)
		lb_addr_set_port((struct sockaddr *)&m->check_addr.ss, m->monitor_port);
	if (m->monitor_port == LB_UNSET)
		m->monitor_port = 0;
}

/* Every member of pool r, then ids and (address, port) unique within it. */
static void
check_members(struct lb_parse *p, struct lb_pool_raw *r)
{
	struct uset ids, addrs;
	struct lb_member_conf *m;
	char path[PATH_MAX_LEN], q[QUOTE_MAX], a[LB_ADDRSTRLEN];
	bool v2 = p->conf.dialect == LB_DIALECT_V2;
	size_t i;
	long o;

	uset_init(&ids, r->n_members);
	uset_init(&addrs, r->n_members);
	for (i = 0; i < r->n_members; i++) {
		m = &r->members[i].c;
		check_member(p, &r->members[i], v2);
		if (m->id != NULL && (o = uset_add(&ids, m->id, strlen(m->id), i)) != -1) {
			lb_cerr(p, lb_cpath(path, r->members[i].path, "id"), "%s is "
			    "already used by %s", lb_cquote(q, sizeof(q), m->id),
			    r->members[o].path);
			continue;
		}
		if (m->addr.len != 0 && (o = uset_add(&addrs, &m->addr.ss,
		    m->addr.len, i)) != -1)
			lb_cerr(p, r->members[i].path, "%s is already used by %s",
			    lb_addr_fmt((struct sockaddr *)&m->addr.ss, a, sizeof(a)),
			    r->members[o].path);
	}
	uset_fini(&ids);
	uset_fini(&addrs);
}

/* Whether s is a host name (letters, digits, '-', '.'), for domain_name. */
static bool
is_hostname(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 253 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n;
}

/* One monitor, with its HTTP defaults (GET, /, 200) and its rise and fall. */
static void
check_monitor(struct lb_parse *p, struct lb_hm_raw *r)
{
	struct lb_hm_conf *hm = &r->c;
	bool v2 = p->conf.dialect == LB_DIALECT_V2;
	char path[PATH_MAX_LEN], q[QUOTE_MAX];
	bool delay_ok, timeout_ok;
	int i;

	lb_cpath(path, r->path, "type");
	if (r->type == NULL)
		lb_cerr(p, path, "missing (required)");
	else if ((i = lb_clookup(p, path, r->type, lb_hm_type_names, 0,
	    LB_ARRAY_SIZE(lb_hm_type_names))) != -1)
		hm->type = (enum lb_hm_type)i;
	delay_ok = lb_cneed_int(p, lb_cpath(path, r->path, "delay"), hm->delay,
	    1, 86400);
	timeout_ok = lb_cneed_int(p, lb_cpath(path, r->path, "timeout"),
	    hm->timeout, 1, 86400);
	if (delay_ok && timeout_ok && hm->timeout > hm->delay) {
		if (p->conf.dialect == LB_DIALECT_CONTRAIL) {
			/* Contrail's API accepted it; its HAProxy capped the check */
			lb_cwarn(p, path, "%d exceeds delay (%d); using %d",
			    hm->timeout, hm->delay, hm->delay);
			hm->timeout = hm->delay;
		} else
			lb_cerr(p, path, "%d must not exceed delay (%d)",
			    hm->timeout, hm->delay);
	}
	lb_cneed_int(p, lb_cpath(path, r->path, "max_retries"), hm->max_retries,
	    1, 10);
	if (v2) {
		/* Octavia: max_retries successes to come back, max_retries_down failures to go */
		if (r->max_retries_down == LB_UNSET)
			r->max_retries_down = 3;
		lb_cin_range(p, lb_cpath(path, r->path, "max_retries_down"),
		    r->max_retries_down, 1, 10);
		hm->rise = hm->max_retries;
		hm->fall = r->max_retries_down;
	} else {
		if (r->max_retries_down != LB_UNSET)
			lb_cwarn(p, lb_cpath(path, r->path, "max_retries_down"),
			    "ignored in a v1 file (max_retries is the fall count)");
		hm->rise = p->conf.health_rise;
		hm->fall = hm->max_retries;
	}

	if (hm->http_method == NULL)
		hm->http_method = lb_xstrdup("GET");
	else if (!lb_is_token(hm->http_method) || strlen(hm->http_method) > 32)
		lb_cerr(p, lb_cpath(path, r->path, "http_method"), "%s is not an "
		    "HTTP method", lb_cquote(q, sizeof(q), hm->http_method));
	if (hm->url_path == NULL)
		hm->url_path = lb_xstrdup("/");
	else if (hm->url_path[0] != '/' ||
	    hm->url_path[strcspn(hm->url_path, " \t\r\n")] != '\0')
		lb_cerr(p, lb_cpath(path, r->path, "url_path"), "%s is not a path "
		    "starting with \"/\" without spaces",
		    lb_cquote(q, sizeof(q), hm->url_path));
	if (hm->expected_codes == NULL)
		hm->expected_codes = lb_xstrdup("200");
	if (lb_codes_parse(hm->expected_codes, &hm->codes, &hm->n_codes) == -1)
		lb_cerr(p, lb_cpath(path, r->path, "expected_codes"), "%s is not a "
		    "list of status codes like \"200\", \"200,202\" or \"200-299\"",
		    lb_cquote(q, sizeof(q), hm->expected_codes));
	hm->http_version = v2 ? 10 : 11;
	if (r->http_version != NULL) {
		if (strcmp(r->http_version, "1.0") == 0)
			hm->http_version = 10;
		else if (strcmp(r->http_version, "1.1") == 0)
			hm->http_version = 11;
		else
			lb_cerr(p, lb_cpath(path, r->path, "http_version"), "%s is "
			    "not 1.0 or 1.1", lb_cquote(q, sizeof(q), r->http_version));
	}
	if (hm->domain_name != NULL && !is_hostname(hm->domain_name))
		lb_cerr(p, lb_cpath(path, r->path, "domain_name"), "%s is not a "
		    "host name", lb_cquote(q, sizeof(q), hm->domain_name));
}

/* Every monitor of r; the first admin-up one is moved to r->c.hm. */
static void
check_monitors(struct lb_parse *p, struct lb_pool_raw *r)
{
	size_t i;

	for (i = 0; i < r->n_hms; i++)
		check_monitor(p, &r->hms[i]);
	for (i = 0; i < r->n_hms; i++) {
		if (!r->hms[i].c.admin_state_up)
			continue;
		r->c.hm = lb_xmalloc(sizeof(*r->c.hm));
		*r->c.hm = r->hms[i].c;
		memset(&r->hms[i].c, 0, sizeof(r->hms[i].c));
		break;
	}
}

/* session_persistence of pool r: the type, its cookie, and whether r's listeners can honour it. */
static void
check_persist(struct lb_parse *p, struct lb_pool_raw *r, const char *tpath,
    const char *cpath)
{
	struct lb_persist_conf *ps = &r->c.persist;
	char q[QUOTE_MAX], path[PATH_MAX_LEN];
	int i;

	ps->type = LB_PERSIST_NONE;
	if (ps->cookie_name != NULL && *ps->cookie_name == '\0') {
		free(ps->cookie_name);
		ps->cookie_name = NULL;
	}
	if (ps->timeout_s != LB_UNSET)
		lb_cin_range(p, lb_cpath(path, r->c.path,
		    "session_persistence.persistence_timeout"), ps->timeout_s, 0,
		    INT_MAX);
	else
		ps->timeout_s = 0;	/* persist.c's default */
	if (r->persist_type == NULL || *r->persist_type == '\0')
		return;
	if ((i = lb_clookup(p, tpath, r->persist_type, lb_persist_names,
	    LB_PERSIST_SOURCE_IP, LB_ARRAY_SIZE(lb_persist_names))) == -1)
		return;
	ps->type = (enum lb_persist)i;
	if (ps->type == LB_PERSIST_APP_COOKIE && ps->cookie_name == NULL) {
		if (p->conf.dialect == LB_DIALECT_CONTRAIL) {
			lb_cwarn(p, cpath, "missing for APP_COOKIE; persistence "
			    "ignored, as Contrail's HAProxy did");
			ps->type = LB_PERSIST_NONE;
			return;
		}
		lb_cerr(p, cpath, "missing (required for APP_COOKIE)");
	}
	if (ps->type == LB_PERSIST_HTTP_COOKIE && ps->cookie_name == NULL)
		ps->cookie_name = lb_xstrdup("SRV");
	if (ps->cookie_name != NULL && !lb_is_token(ps->cookie_name))
		lb_cerr(p, cpath, "%s is not a valid cookie name",
		    lb_cquote(q, sizeof(q), ps->cookie_name));
	if ((ps->type == LB_PERSIST_HTTP_COOKIE || ps->type == LB_PERSIST_APP_COOKIE) &&
	    r->used_l4 && !r->used_l7) {
		/* Neutron's HAProxy driver ignored it there; so does lbproxy (15.9) */
		lb_cwarn(p, tpath, "%s ignored: the %s relays bytes (it needs "
		    "HTTP)", lb_persist_names[ps->type], p->conf.dialect ==
		    LB_DIALECT_V2 ? "listener" : p->listeners[0].c.tls_mode ==
		    LB_TLS_PASSTHROUGH ? "TLS passthrough VIP" : "TCP VIP");
		ps->type = LB_PERSIST_NONE;
	}
}

/* The TLS settings of a re-encrypting pool (SPEC 11). */
static void
check_pool_tls(struct lb_parse *p, struct lb_pool_raw *r)
{
	struct lb_pool_tls_conf *t = &r->c.tls;
	char path[PATH_MAX_LEN];
	bool need = r->c.tls_enabled;

	lb_cfile(p, lb_cpath(path, r->c.path, "tls.ca_file"), &t->ca_file, need);
	lb_cfile(p, lb_cpath(path, r->c.path, "tls.crl_file"), &t->crl_file, need);
	lb_cfile(p, lb_cpath(path, r->c.path, "tls.certificate_file"),
	    &t->certificate_file, need);
	lb_cfile(p, lb_cpath(path, r->c.path, "tls.private_key_file"),
	    &t->private_key_file, need);
	if (t->crl_file != NULL && t->ca_file == NULL)
		lb_cerr(p, lb_cpath(path, r->c.path, "tls.crl_file"), "needs "
		    "tls.ca_file");
	if (t->private_key_file != NULL && t->certificate_file == NULL)
		lb_cerr(p, lb_cpath(path, r->c.path, "tls.private_key_file"),
		    "needs tls.certificate_file");
	lb_ctls_versions(p, lb_cpath(path, r->c.path, "tls_versions"),
	    &r->tls_versions, &t->min_version, &t->max_version);
	lb_calpn(p, lb_cpath(path, r->c.path, "alpn_protocols"), &r->alpn,
	    t->alpn, &t->n_alpn, false);
	if (!r->c.tls_enabled && (t->ca_file != NULL || t->certificate_file != NULL))
		lb_cwarn(p, lb_cpath(path, r->c.path, "tls"), "ignored: "
		    "tls_enabled is false");
}

/* One pool (v1 "pool" or v2 "loadbalancer.pools[j]"). */
static void
check_pool(struct lb_parse *p, size_t j)
{
	static const char *const v1_protos[] = { "TCP", "HTTP", "HTTPS" };
	static const char *const v2_protos[] = {
		[LB_PROTO_TCP] = "TCP", [LB_PROTO_HTTP] = "HTTP",
		[LB_PROTO_HTTPS] = "HTTPS", [LB_PROTO_PROXY] = "PROXY",
		[LB_PROTO_PROXYV2] = "PROXYV2",
	};
	struct lb_pool_raw *r = &p->pools[j];
	bool v2 = p->conf.dialect == LB_DIALECT_V2;
	char path[PATH_MAX_LEN], cpath[PATH_MAX_LEN];
	int i;

	if (!v2 && p->seen_pool == LB_SEEN_ABSENT)
		lb_cerr(p, "pool", "missing (required)");
	if (r->seen != LB_SEEN_OBJECT)
		return;
	if (!v2)
		lb_cneed_str(p, "pool.id", r->c.id);
	else if (r->c.id == NULL)
		r->c.id = r->c.name != NULL ? lb_xstrdup(r->c.name) :
		    lb_asprintf("pool-%zu", j);
	lb_cpath(path, r->c.path, v2 ? "lb_algorithm" : "lb_method");
	if (r->method == NULL)
		lb_cerr(p, path, "missing (required)");
	else if ((i = lb_clookup(p, path, r->method, lb_method_names, 0,
	    v2 ? LB_ARRAY_SIZE(lb_method_names) : LB_METHOD_SOURCE_IP_PORT)) != -1)
		r->c.method = (enum lb_method)i;
	lb_cpath(path, r->c.path, "protocol");
	if (r->protocol != NULL) {
		if (v2)
			i = lb_clookup(p, path, r->protocol, v2_protos, 0,
			    LB_ARRAY_SIZE(v2_protos));
		else
			i = lb_clookup(p, path, r->protocol, v1_protos, 0,
			    LB_ARRAY_SIZE(v1_protos));
		if (i != -1) {
			r->c.protocol = (enum lb_proto)i;
			r->proto_ok = true;
		}
	} else if (v2)
		lb_cerr(p, path, "missing (required)");
	if (v2)
		check_persist(p, r, lb_cpath(path, r->c.path,
		    "session_persistence.type"), lb_cpath(cpath, r->c.path,
		    "session_persistence.cookie_name"));
	check_pool_tls(p, r);
	check_members(p, r);
	check_monitors(p, r);
	/* members of a PROXY pool read a header on every connection, checks too */
	if (r->c.hm != NULL)
		r->c.hm->send_proxy = r->c.protocol == LB_PROTO_PROXY ? 1 :
		    r->c.protocol == LB_PROTO_PROXYV2 ? 2 : 0;
}

void
lb_check_pools(struct lb_parse *p)
{
	static const char tpath[] = "vip.session_persistence.type";
	struct lb_listener_raw *l;
	struct lb_pool_raw *r;
	size_t j;

	for (j = 0; j < p->n_pools; j++)
		check_pool(p, j);
	if (p->conf.dialect == LB_DIALECT_V2 || p->n_pools == 0)
		return;
	/* v1: persistence is the vip's; the pool honours it */
	l = &p->listeners[0];
	r = &p->pools[0];
	r->persist_type = l->persist_type;
	r->c.persist.cookie_name = l->cookie_name;
	l->persist_type = l->cookie_name = NULL;
	check_persist(p, r, tpath, strcmp(lb_config_alias(p, tpath), tpath) != 0 ?
	    "vip.persistence-cookie-name" : "vip.session_persistence.cookie_name");
}

/* Move the checked pools and listeners into p->conf (raw pool j is conf pool j). */
static void
move_out(struct lb_parse *p)
{
	struct lb_config *c = &p->conf;
	size_t i;

	c->pools = lb_xcalloc(p->n_pools, sizeof(*c->pools));
	for (i = 0; i < p->n_pools; i++) {
		struct lb_pool_raw *r = &p->pools[i];
		size_t k;

		c->pools[c->n_pools] = r->c;
		c->pools[c->n_pools].members = lb_xcalloc(r->n_members,
		    sizeof(struct lb_member_conf));
		for (k = 0; k < r->n_members; k++) {
			c->pools[c->n_pools].members[k] = r->members[k].c;
			memset(&r->members[k].c, 0, sizeof(r->members[k].c));
		}
		c->pools[c->n_pools++].n_members = r->n_members;
		memset(&r->c, 0, sizeof(r->c));
	}
	c->listeners = lb_xcalloc(p->n_listeners, sizeof(*c->listeners));
	for (i = 0; i < p->n_listeners; i++) {
		c->listeners[c->n_listeners++] = p->listeners[i].c;
		memset(&p->listeners[i].c, 0, sizeof(p->listeners[i].c));
	}
}

int
lb_config_check(struct lb_parse *p)
{
	size_t nerr = p->diag->n;

	check_settings(p);
	lb_check_listeners(p);	/* marks which pools L4 and L7 listeners use */
	lb_check_pools(p);
	lb_check_uses(p);	/* listener and pool protocols that fit */
	if (p->diag->n != nerr)
		return -1;
	move_out(p);
	return 0;
}
