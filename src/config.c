/*
 * config.c: the configuration file (JSON) -> plain structs.
 *
 * Three dialects (SPEC 2, 9): a Neutron LBaaS v1 logical device, the same as
 * Contrail's vrouter agent writes it (<pool-id>.conf.json), and Octavia's
 * "fully populated load balancer" (a top-level "loadbalancer"). The parser is
 * driven by one table per JSON object: each known key (and its Contrail alias)
 * names a C type and where the value goes. It only checks JSON types; what
 * the values mean is decided by the validity pass (config_check.c,
 * config_lb.c). No jansson object outlives lb_config_parse().
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lbproxy/config.h"
#include "lbproxy/diag.h"
#include "lbproxy/log.h"
#include "lbproxy/util.h"
#include "config_int.h"

#define PATH_MAX_LEN	LB_PATH_MAX
/* A configuration file larger than this is a mistake, not a configuration. */
#define FILE_MAX	(64 * 1024 * 1024)
#define NOOFF		((size_t)-1)

enum ftype {
	F_STR,		/* char *, replacing an earlier value */
	F_INT,		/* int (v2: a decimal string too) */
	F_BOOL,		/* bool (v2: "true" / "false" too) */
	F_STRV,		/* char ** at off, size_t count at off2 */
	F_VER,		/* "1.0" / "1.1" as a number or a string, into char * */
	F_OBJ,		/* nested object: sub, with an enum lb_seen byte at off (or NOOFF) */
	F_SKIP,		/* known key, parsed by the caller */
};

struct field {
	const char		*key;
	const char		*alias;	/* Contrail conf.json name of the same key */
	const char		*canon;	/* the key is a Contrail spelling of this path */
	enum ftype		 type;
	size_t			 off;	/* from the base the table is parsed into */
	size_t			 off2;
	const struct field	*sub;
};

#define FSTR(k, a, o)	{ .key = (k), .alias = (a), .type = F_STR, .off = (o) }
#define FINT(k, a, o)	{ .key = (k), .alias = (a), .type = F_INT, .off = (o) }
#define FBOOL(k, a, o)	{ .key = (k), .alias = (a), .type = F_BOOL, .off = (o) }
#define FOBJ(k, o, s)	{ .key = (k), .type = F_OBJ, .off = (o), .sub = (s) }
#define FSKIP(k)	{ .key = (k), .type = F_SKIP }
#define FEND		{ .key = NULL }

/* Offsets into the structs the tables fill. */
#define P(m)	offsetof(struct lb_parse, m)
#define L(m)	offsetof(struct lb_listener_raw, m)
#define PL(m)	offsetof(struct lb_pool_raw, m)
#define M(m)	offsetof(struct lb_member_raw, m)
#define H(m)	offsetof(struct lb_hm_raw, m)
#define PO(m)	offsetof(struct lb_policy_raw, m)
#define R(m)	offsetof(struct lb_rule_raw, m)

/* ---- v1 (and Contrail) ---- */

static const struct field v1_persist_fields[] = {
	FSTR("type", NULL, L(persist_type)),
	FSTR("cookie_name", NULL, L(cookie_name)),
	FEND
};

static const struct field v1_tls_fields[] = {
	FSTR("certificate_file", NULL, L(c.tls.certificate_file)),
	FSTR("private_key_file", NULL, L(c.tls.private_key_file)),
	{ .key = "sni_certificate_files", .type = F_STRV,
	  .off = L(c.tls.sni_certificate_files), .off2 = L(c.tls.n_sni) },
	FSTR("min_version", NULL, L(tls_min_version)),
	FSTR("ciphers", NULL, L(c.tls.ciphers)),
	FSTR("ciphersuites", NULL, L(c.tls.ciphersuites)),
	FSTR("mode", NULL, L(tls_mode)),
	FEND
};

static const struct field vip_fields[] = {
	FSTR("id", NULL, L(c.id)),
	FSTR("address", NULL, L(address)),
	FINT("protocol_port", "port", L(c.port)),
	FSTR("protocol", NULL, L(protocol)),
	FINT("connection_limit", "connection-limit", L(c.connection_limit)),
	FBOOL("admin_state_up", "admin-state", L(c.admin_state_up)),
	FOBJ("session_persistence", NOOFF, v1_persist_fields),
	FOBJ("tls", L(seen_tls), v1_tls_fields),
	/* Contrail spells persistence flat, after the Neutron object above. */
	{ .key = "persistence-type", .canon = "session_persistence.type",
	  .type = F_STR, .off = L(persist_type) },
	{ .key = "persistence-cookie-name", .canon = "session_persistence.cookie_name",
	  .type = F_STR, .off = L(cookie_name) },
	FEND
};

static const struct field v1_pool_fields[] = {
	FSTR("id", NULL, PL(c.id)),
	FSTR("protocol", NULL, PL(protocol)),
	FSTR("lb_method", "method", PL(method)),
	FBOOL("admin_state_up", "admin-state", PL(c.admin_state_up)),
	FEND
};

/* Members and monitors: one table for both dialects (v1 files may use the v2 fields). */
static const struct field member_fields[] = {
	FSTR("id", NULL, M(c.id)),
	FSTR("name", NULL, M(c.name)),
	FSTR("address", NULL, M(c.address)),
	FINT("protocol_port", "port", M(c.port)),
	FINT("weight", NULL, M(c.weight)),
	FBOOL("admin_state_up", "admin-state", M(c.admin_state_up)),
	FBOOL("backup", NULL, M(c.backup)),
	FSTR("monitor_address", NULL, M(c.monitor_address)),
	FINT("monitor_port", NULL, M(c.monitor_port)),
	FEND
};

static const struct field hm_fields[] = {
	FSTR("id", NULL, H(c.id)),
	FSTR("type", NULL, H(type)),
	FINT("delay", NULL, H(c.delay)),
	FINT("timeout", NULL, H(c.timeout)),
	FINT("max_retries", "max-retries", H(c.max_retries)),
	FINT("max_retries_down", NULL, H(max_retries_down)),
	FSTR("http_method", "http-method", H(c.http_method)),
	FSTR("url_path", "url", H(c.url_path)),
	FSTR("expected_codes", "expected-codes", H(c.expected_codes)),
	{ .key = "http_version", .type = F_VER, .off = H(http_version) },
	FSTR("domain_name", NULL, H(c.domain_name)),
	FBOOL("admin_state_up", "admin-state", H(c.admin_state_up)),
	FEND
};

/* ---- the lbproxy block (both dialects) ---- */

static const struct field timeout_fields[] = {
	FINT("connect", NULL, P(conf.timeouts.connect)),
	FINT("client", NULL, P(conf.timeouts.client)),
	FINT("server", NULL, P(conf.timeouts.server)),
	FINT("http_request", NULL, P(conf.timeouts.http_request)),
	FINT("http_keep_alive", NULL, P(conf.timeouts.http_keep_alive)),
	FINT("tls_handshake", NULL, P(conf.timeouts.tls_handshake)),
	FINT("drain", NULL, P(conf.timeouts.drain)),
	FEND
};

static const struct field header_fields[] = {
	FBOOL("X-Forwarded-For", NULL, P(xff)),
	FBOOL("X-Forwarded-Proto", NULL, P(xfproto)),
	FBOOL("X-Forwarded-Port", NULL, P(xfport)),
	FEND
};

static const struct field health_fields[] = {
	FINT("rise", NULL, P(conf.health_rise)),
	FINT("jitter_pct", NULL, P(conf.health_jitter_pct)),
	FBOOL("fail_open", NULL, P(conf.health_fail_open)),
	FEND
};

static const struct field limit_fields[] = {
	FINT("max_header_lines", NULL, P(conf.max_header_lines)),
	FINT("max_header_bytes", NULL, P(conf.max_header_bytes)),
	FINT("max_uri_bytes", NULL, P(conf.max_uri_bytes)),
	FINT("max_body_bytes", NULL, P(conf.max_body_bytes)),
	FEND
};

static const struct field log_fields[] = {
	FSTR("target", NULL, P(log_target)),
	FSTR("level", NULL, P(log_level)),
	FBOOL("access_log", NULL, P(conf.access_log)),
	FEND
};

static const struct field metrics_fields[] = {
	FSTR("listen", NULL, P(conf.metrics_listen)),
	FEND
};

static const struct field lbproxy_fields[] = {
	FSTR("stats_socket", NULL, P(conf.stats_socket)),
	FSTR("stats_socket_mode", NULL, P(stats_socket_mode)),
	FSTR("pid_file", NULL, P(conf.pid_file)),
	FINT("workers", NULL, P(conf.workers)),
	FINT("maxconn", NULL, P(conf.maxconn)),
	FOBJ("timeouts_ms", NOOFF, timeout_fields),
	FINT("retries", NULL, P(conf.retries)),
	FBOOL("redispatch", NULL, P(conf.redispatch)),
	FBOOL("splice", NULL, P(conf.splice)),
	FSTR("http_reuse", NULL, P(http_reuse)),
	{ .key = "accept_proxy", .type = F_STRV, .off = P(accept_proxy.v),
	  .off2 = P(accept_proxy.n) },
	FOBJ("insert_headers", P(insert_given), header_fields),
	FOBJ("health", NOOFF, health_fields),
	FOBJ("limits", NOOFF, limit_fields),
	FOBJ("log", NOOFF, log_fields),
	FOBJ("metrics", NOOFF, metrics_fields),
	/* config_priv.c parses these */
	FSKIP("user"), FSKIP("group"), FSKIP("sandbox"), FSKIP("stats_socket_level"),
	FSKIP("stats_sockets"),
	FEND
};

static const struct field v1_top_fields[] = {
	FOBJ("lbproxy", NOOFF, lbproxy_fields),
	FSKIP("pool"),
	FSKIP("vip"),
	FSKIP("ssl-crt"),
	FSKIP("members"),
	FSKIP("healthmonitors"),
	FSKIP("custom-attributes"),
	FEND
};

/* ---- v2 (Octavia) ---- */

static const struct field v2_top_fields[] = {
	FOBJ("lbproxy", NOOFF, lbproxy_fields),
	FSKIP("loadbalancer"),
	FEND
};

static const struct field lb_fields[] = {
	FSTR("id", NULL, P(conf.lb_id)),
	FSTR("vip_address", NULL, P(vip_address)),
	FBOOL("admin_state_up", NULL, P(conf.admin_state_up)),
	FSKIP("name"),
	FSKIP("additional_vips"),
	FSKIP("listeners"),
	FSKIP("pools"),
	FEND
};

static const struct field ltls_fields[] = {
	FSTR("certificate_file", NULL, L(c.tls.certificate_file)),
	FSTR("private_key_file", NULL, L(c.tls.private_key_file)),
	{ .key = "sni_certificate_files", .type = F_STRV,
	  .off = L(c.tls.sni_certificate_files), .off2 = L(c.tls.n_sni) },
	FSTR("client_ca_file", NULL, L(c.tls.client_ca_file)),
	FSTR("client_crl_file", NULL, L(c.tls.client_crl_file)),
	FEND
};

static const struct field listener_fields[] = {
	FSTR("id", NULL, L(c.id)),
	FSTR("name", NULL, L(c.name)),
	FSTR("protocol", NULL, L(protocol)),
	FINT("protocol_port", NULL, L(c.port)),
	FINT("connection_limit", NULL, L(c.connection_limit)),
	FBOOL("admin_state_up", NULL, L(c.admin_state_up)),
	FSTR("default_pool_id", NULL, L(default_pool_id)),
	FINT("timeout_client_data", NULL, L(timeout_client_data)),
	FINT("timeout_member_connect", NULL, L(timeout_member_connect)),
	FINT("timeout_member_data", NULL, L(timeout_member_data)),
	FINT("timeout_tcp_inspect", NULL, L(timeout_tcp_inspect)),
	{ .key = "allowed_cidrs", .type = F_STRV, .off = L(allowed_cidrs.v),
	  .off2 = L(allowed_cidrs.n) },
	FSTR("tls_ciphers", NULL, L(c.tls.ciphers)),
	{ .key = "tls_versions", .type = F_STRV, .off = L(tls_versions.v),
	  .off2 = L(tls_versions.n) },
	{ .key = "alpn_protocols", .type = F_STRV, .off = L(alpn.v),
	  .off2 = L(alpn.n) },
	FINT("hsts_max_age", NULL, L(c.hsts_max_age)),
	FBOOL("hsts_include_subdomains", NULL, L(c.hsts_include_subdomains)),
	FBOOL("hsts_preload", NULL, L(c.hsts_preload)),
	FSTR("client_authentication", NULL, L(client_auth)),
	FOBJ("tls", L(seen_tls), ltls_fields),
	FSKIP("default_pool"),
	FSKIP("insert_headers"),
	FSKIP("l7policies"),
	FEND
};

static const struct field v2_persist_fields[] = {
	FSTR("type", NULL, PL(persist_type)),
	FSTR("cookie_name", NULL, PL(c.persist.cookie_name)),
	FINT("persistence_timeout", NULL, PL(c.persist.timeout_s)),
	FEND
};

static const struct field ptls_fields[] = {
	FSTR("ca_file", NULL, PL(c.tls.ca_file)),
	FSTR("crl_file", NULL, PL(c.tls.crl_file)),
	FSTR("certificate_file", NULL, PL(c.tls.certificate_file)),
	FSTR("private_key_file", NULL, PL(c.tls.private_key_file)),
	FEND
};

static const struct field v2_pool_fields[] = {
	FSTR("id", NULL, PL(c.id)),
	FSTR("name", NULL, PL(c.name)),
	FSTR("protocol", NULL, PL(protocol)),
	FSTR("lb_algorithm", NULL, PL(method)),
	FOBJ("session_persistence", NOOFF, v2_persist_fields),
	FBOOL("admin_state_up", NULL, PL(c.admin_state_up)),
	FBOOL("tls_enabled", NULL, PL(c.tls_enabled)),
	FSTR("tls_ciphers", NULL, PL(c.tls.ciphers)),
	{ .key = "tls_versions", .type = F_STRV, .off = PL(tls_versions.v),
	  .off2 = PL(tls_versions.n) },
	{ .key = "alpn_protocols", .type = F_STRV, .off = PL(alpn.v),
	  .off2 = PL(alpn.n) },
	FOBJ("tls", NOOFF, ptls_fields),
	FSKIP("members"),
	FSKIP("healthmonitor"),
	FEND
};

static const struct field policy_fields[] = {
	FSTR("id", NULL, PO(c.id)),
	FSTR("name", NULL, PO(c.name)),
	FINT("position", NULL, PO(c.position)),
	FSTR("action", NULL, PO(action)),
	FSTR("redirect_url", NULL, PO(c.redirect_url)),
	FSTR("redirect_prefix", NULL, PO(c.redirect_prefix)),
	FSTR("redirect_pool_id", NULL, PO(redirect_pool_id)),
	FINT("redirect_http_code", NULL, PO(c.redirect_http_code)),
	FBOOL("admin_state_up", NULL, PO(admin_state_up)),
	FSKIP("redirect_pool"),
	FSKIP("rules"),
	FEND
};

static const struct field rule_fields[] = {
	FSTR("id", NULL, R(c.id)),
	FSTR("type", NULL, R(type)),
	FSTR("compare_type", NULL, R(compare_type)),
	FSTR("key", NULL, R(c.key)),
	FSTR("value", NULL, R(c.value)),
	FBOOL("invert", NULL, R(c.invert)),
	FBOOL("admin_state_up", NULL, R(admin_state_up)),
	FEND
};

/* Key-manager references Octavia accepts: lbproxy reads files (SPEC 9). */
static const char *const listener_refs[] = {
	"default_tls_container_ref", "sni_container_refs",
	"client_ca_tls_container_ref", "client_crl_container_ref",
};
static const char *const pool_refs[] = {
	"tls_container_ref", "ca_tls_container_ref", "crl_container_ref",
};

/*
 * Contrail's custom-attributes (haproxy_validator.py) and what they become
 * here. Values that fail the check are warned about and skipped, as Contrail
 * did; an empty value means "not set"; off NOOFF marks an attribute Contrail
 * knew that lbproxy has no use for.
 */
static const struct custom_attr {
	const char	*key;
	enum ftype	 type;		/* F_INT: value lo..hi; F_STR: length lo..hi */
	int		 lo;
	int		 hi;
	size_t		 off;		/* in struct lb_parse */
} custom_attrs[] = {
	{ "max_conn", F_INT, 1, 65535, P(conf.maxconn) },
	{ "client_timeout", F_INT, 1, 5000000, P(conf.timeouts.client) },
	{ "server_timeout", F_INT, 1, 5000000, P(conf.timeouts.server) },
	{ "connect_timeout", F_INT, 1, 5000000, P(conf.timeouts.connect) },
	{ "tune_http_max_header", F_INT, 1, 128, P(conf.max_header_lines) },
	{ "ssl_ciphers", F_STR, 1, 100, NOOFF - 1 },	/* the listener's, below */
	{ "tls_container", F_STR, 1, 4096, P(tls_container) },
	{ "max_conn_rate", F_INT, 1, 65535, NOOFF },
	{ "max_sess_rate", F_INT, 1, 65535, NOOFF },
	{ "max_ssl_conn", F_INT, 1, 65535, NOOFF },
	{ "max_ssl_rate", F_INT, 1, 65535, NOOFF },
	{ "tune_ssl_max_record", F_INT, 1, 16384, NOOFF },
	{ "rate_limit_sessions", F_INT, 1, 65535, NOOFF },
	{ "http_server_close", F_STR, 1, 5, NOOFF },
};
#define CUSTOM_LISTENER_CIPHERS	(NOOFF - 1)

static void	parse_object(struct lb_parse *, json_t *, const char *,
		    const struct field *, char *);

/* Format a JSON path into buf (PATH_MAX_LEN bytes, cut if longer); returns buf. */
static const char *pathf(char *buf, const char *fmt, ...) LB_PRINTF(2, 3);
static const char *
pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_MAX_LEN, fmt, ap);
	va_end(ap);
	return buf;
}

/* JSON type of v as messages name it. */
static const char *
jtype(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		break;
	}
	return "null";
}

/* Report "path: expected <want>, got <type>". */
static void
type_err(struct lb_parse *p, const char *path, const char *want, const json_t *v)
{
	lb_diag_err(p->diag, "%s: expected %s, got %s", path, want, jtype(v));
}

/* "prefix.key", or "key" at the top level, into buf. */
static const char *
join(char *buf, size_t size, const char *prefix, const char *key)
{
	pathf(buf, "%s%s%s", prefix, *prefix != '\0' ? "." : "", key);
	(void)size;
	return buf;
}

/* Remember that prefix.used is the user's spelling of prefix.canon. */
static void
note_alias(struct lb_parse *p, const char *prefix, const char *canon, const char *used)
{
	char c[PATH_MAX_LEN], u[PATH_MAX_LEN];
	struct lb_alias *a;

	p->aliases = lb_xrealloc(p->aliases, (p->n_aliases + 1) * sizeof(*p->aliases));
	a = &p->aliases[p->n_aliases++];
	a->canon = lb_xstrdup(join(c, sizeof(c), prefix, canon));
	a->used = lb_xstrdup(join(u, sizeof(u), prefix, used));
}

/* Whether key is one of tab's keys or aliases. */
static bool
known_key(const struct field *tab, const char *key)
{
	for (; tab->key != NULL; tab++) {
		if (strcmp(tab->key, key) == 0)
			return true;
		if (tab->alias != NULL && strcmp(tab->alias, key) == 0)
			return true;
	}
	return false;
}

/* An array of strings into a new char ** (replacing an earlier one). */
static void
parse_strv(struct lb_parse *p, json_t *v, const char *path, char ***vp, size_t *np)
{
	char sub[PATH_MAX_LEN + 32];
	json_t *e;
	size_t i;

	if (!json_is_array(v)) {
		type_err(p, path, "an array", v);
		return;
	}
	for (i = 0; i < *np; i++)
		free((*vp)[i]);
	free(*vp);
	*vp = lb_xcalloc(json_array_size(v), sizeof(**vp));
	*np = 0;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			pathf(sub, "%s[%zu]", path, i);
			type_err(p, sub, "a string", e);
			continue;
		}
		(*vp)[(*np)++] = lb_xstrdup(json_string_value(e));
	}
}

/* Store one non-null value of field f (at path) into base. */
static void
parse_value(struct lb_parse *p, json_t *v, const char *path, const struct field *f,
    char *base)
{
	void *slot = base + f->off;
	json_int_t i;
	long l;

	switch (f->type) {
	case F_STR:
		if (!json_is_string(v)) {
			type_err(p, path, "a string", v);
			break;
		}
		free(*(char **)slot);
		*(char **)slot = lb_xstrdup(json_string_value(v));
		break;
	case F_INT:
		if (p->lenient && json_is_string(v)) {
			/* Octavia's API takes "3" for 3; so does its file here */
			if (lb_parse_long(json_string_value(v), INT_MIN + 1L, INT_MAX,
			    &l) == -1) {
				lb_diag_err(p->diag, "%s: \"%.40s\" is not an integer",
				    path, json_string_value(v));
				break;
			}
			*(int *)slot = (int)l;
			break;
		}
		if (!json_is_integer(v)) {
			type_err(p, path, "an integer", v);
			break;
		}
		i = json_integer_value(v);
		if (i <= LB_UNSET || i > INT_MAX) {
			lb_diag_err(p->diag, "%s: %" JSON_INTEGER_FORMAT
			    " is out of range", path, i);
			break;
		}
		*(int *)slot = (int)i;
		break;
	case F_BOOL:
		if (p->lenient && json_is_string(v) &&
		    (strcasecmp(json_string_value(v), "true") == 0 ||
		    strcasecmp(json_string_value(v), "false") == 0)) {
			*(bool *)slot = strcasecmp(json_string_value(v), "true") == 0;
			break;
		}
		if (!json_is_boolean(v)) {
			type_err(p, path, "a boolean", v);
			break;
		}
		*(bool *)slot = json_is_true(v);
		break;
	case F_VER:
		free(*(char **)slot);
		*(char **)slot = NULL;
		if (json_is_string(v))
			*(char **)slot = lb_xstrdup(json_string_value(v));
		else if (json_is_number(v))
			*(char **)slot = lb_asprintf("%.1f", json_number_value(v));
		else
			type_err(p, path, "a string or a number", v);
		break;
	case F_STRV:
		parse_strv(p, v, path, (char ***)slot, (size_t *)(base + f->off2));
		break;
	case F_OBJ:
		if (!json_is_object(v)) {
			type_err(p, path, "an object", v);
			if (f->off != NOOFF)
				*(unsigned char *)slot = LB_SEEN_INVALID;
			break;
		}
		if (f->off != NOOFF)
			*(unsigned char *)slot = LB_SEEN_OBJECT;
		parse_object(p, v, path, f->sub, base);
		break;
	case F_SKIP:
		break;
	}
}

/*
 * Whether the Contrail or Neutron spelling a of field f means "not given":
 * the agents write every field, with "" when it has no value (SPEC 2), and
 * Neutron's "port" is its port object next to "protocol_port".
 */
static bool
alias_unset(const struct field *f, const json_t *a)
{
	if (json_is_string(a) && *json_string_value(a) == '\0')
		return true;
	return f->type != F_OBJ && (json_is_object(a) || json_is_array(a));
}

/* Parse obj (at JSON path prefix) by table tab into base; unknown keys are only logged. */
static void
parse_object(struct lb_parse *p, json_t *obj, const char *prefix,
    const struct field *tab, char *base)
{
	char path[PATH_MAX_LEN], other[PATH_MAX_LEN];
	const struct field *f;
	const char *key;
	json_t *v, *a;

	for (f = tab; f->key != NULL; f++) {
		if (f->type == F_SKIP)
			continue;
		key = f->key;
		v = json_object_get(obj, f->key);
		a = f->alias != NULL ? json_object_get(obj, f->alias) : NULL;
		if (json_is_null(v))
			v = NULL;	/* null means "not given" everywhere */
		if (json_is_null(a))
			a = NULL;
		if (a != NULL && alias_unset(f, a)) {
			lb_debug("%s: %s, read as not given",
			    join(path, sizeof(path), prefix, f->alias),
			    json_is_string(a) ? "empty" : "not a value");
			a = NULL;
		}
		if (v != NULL && a != NULL)
			lb_diag_err(p->diag, "%s: given together with %s (use one)",
			    join(path, sizeof(path), prefix, f->alias),
			    join(other, sizeof(other), prefix, f->key));
		else if (a != NULL) {
			v = a;
			key = f->alias;
			note_alias(p, prefix, f->key, f->alias);
		}
		if (v == NULL || (f->canon != NULL && alias_unset(f, v)))
			continue;
		if (f->canon != NULL && *(char **)(base + f->off) != NULL) {
			lb_diag_err(p->diag, "%s: given together with %s (use one)",
			    join(path, sizeof(path), prefix, f->key),
			    join(other, sizeof(other), prefix, f->canon));
			continue;
		}
		if (f->canon != NULL)
			note_alias(p, prefix, f->canon, f->key);
		parse_value(p, v, join(path, sizeof(path), prefix, key), f, base);
	}
	json_object_foreach(obj, key, v) {
		if (!known_key(tab, key))
			lb_debug("%s: unknown key, ignored",
			    join(path, sizeof(path), prefix, key));
	}
}

/* An integer custom attribute: a JSON integer or a decimal string (Python int()). */
static int
custom_int(const json_t *v, long long *out)
{
	const char *s;
	char *end;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (end == s || errno != 0)
		return -1;
	end += strspn(end, " \t");
	return *end == '\0' ? 0 : -1;
}

/* Apply one custom attribute, or warn why it is skipped. */
static void
custom_apply(struct lb_parse *p, const struct custom_attr *ca, const json_t *v)
{
	char *base = (char *)p, *slot;
	long long n = 0;
	size_t len;

	if (json_is_string(v) && *json_string_value(v) == '\0') {
		lb_debug("custom-attributes.%s: empty, read as not given", ca->key);
		return;
	}
	if (ca->type == F_INT) {
		if (custom_int(v, &n) == -1) {
			lb_diag_warn(p->diag, "custom-attributes.%s: expected an "
			    "integer, got %s; ignored", ca->key, jtype(v));
			return;
		}
		if (n < ca->lo || n > ca->hi) {
			lb_diag_warn(p->diag, "custom-attributes.%s: %lld is out of "
			    "range %d..%d; ignored", ca->key, n, ca->lo, ca->hi);
			return;
		}
	} else {
		if (!json_is_string(v)) {
			lb_diag_warn(p->diag, "custom-attributes.%s: expected a "
			    "string, got %s; ignored", ca->key, jtype(v));
			return;
		}
		len = strlen(json_string_value(v));
		if (len < (size_t)ca->lo || len > (size_t)ca->hi) {
			lb_diag_warn(p->diag, "custom-attributes.%s: length %zu is "
			    "out of range %d..%d; ignored", ca->key, len, ca->lo, ca->hi);
			return;
		}
	}
	if (ca->off == NOOFF) {
		lb_diag_warn(p->diag, "custom-attributes.%s: not supported by "
		    "lbproxy; ignored", ca->key);
		return;
	}
	if (ca->off == CUSTOM_LISTENER_CIPHERS)
		slot = (char *)&p->listeners[0].c.tls.ciphers;
	else
		slot = base + ca->off;
	if (ca->type == F_INT)
		*(int *)slot = (int)n;
	else {
		free(*(char **)slot);
		*(char **)slot = lb_xstrdup(json_string_value(v));
	}
}

/* Contrail's "custom-attributes"; parsed first, so the lbproxy block overrides it. */
static void
parse_custom(struct lb_parse *p, const json_t *obj)
{
	const char *key;
	json_t *v;
	size_t i;

	if (obj == NULL || json_is_null(obj))
		return;
	if (!json_is_object(obj)) {
		lb_diag_warn(p->diag, "custom-attributes: expected an object, got "
		    "%s; ignored", jtype(obj));
		return;
	}
	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; i < LB_ARRAY_SIZE(custom_attrs); i++)
			if (strcmp(custom_attrs[i].key, key) == 0)
				break;
		if (i == LB_ARRAY_SIZE(custom_attrs))
			lb_diag_warn(p->diag, "custom-attributes.%s: unknown "
			    "attribute; ignored", key);
		else
			custom_apply(p, &custom_attrs[i], v);
	}
}

/* A new raw pool with its defaults, at JSON path; returns its index in p->pools. */
static size_t
pool_new(struct lb_parse *p, const char *path)
{
	struct lb_pool_raw *r;

	p->pools = lb_xrealloc(p->pools, (p->n_pools + 1) * sizeof(*p->pools));
	r = &p->pools[p->n_pools];
	memset(r, 0, sizeof(*r));
	r->c.admin_state_up = true;
	r->c.persist.timeout_s = LB_UNSET;
	r->c.tls.min_version = LB_TLS1_2_VERSION;
	r->c.path = lb_xstrdup(path);
	r->first_l4 = r->first_l7 = -1;
	r->index = -1;
	return p->n_pools++;
}

/* A listener's defaults (SPEC 2, 9), before its object is read. */
static void
listener_init(struct lb_listener_raw *l, const char *path)
{
	memset(l, 0, sizeof(*l));
	l->c.port = LB_UNSET;
	l->c.connection_limit = -1;
	l->c.admin_state_up = true;
	l->c.default_pool = -1;
	l->c.hsts_max_age = LB_UNSET;
	l->c.tls.min_version = LB_TLS1_2_VERSION;
	l->c.path = lb_xstrdup(path);
	l->default_pool_raw = -1;
	l->timeout_client_data = l->timeout_member_connect = LB_UNSET;
	l->timeout_member_data = l->timeout_tcp_inspect = LB_UNSET;
}

/* arr (at path) as an array of objects; NULL after reporting anything else. */
static json_t *
get_array(struct lb_parse *p, json_t *arr, const char *path)
{
	if (arr == NULL || json_is_null(arr))
		return NULL;
	if (!json_is_array(arr)) {
		type_err(p, path, "an array", arr);
		return NULL;
	}
	return arr;
}

/* Report a key-manager reference among keys in obj: lbproxy reads files. */
static void
refuse_refs(struct lb_parse *p, json_t *obj, const char *prefix,
    const char *const *keys, size_t n)
{
	char path[PATH_MAX_LEN];
	json_t *v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = json_object_get(obj, keys[i]);
		if (v == NULL || json_is_null(v) ||
		    (json_is_string(v) && *json_string_value(v) == '\0') ||
		    (json_is_array(v) && json_array_size(v) == 0))
			continue;
		lb_diag_err(p->diag, "%s: key manager references are not "
		    "supported; give the PEM files in %s.tls", join(path,
		    sizeof(path), prefix, keys[i]), prefix);
	}
}

/* The members array at path into pool raw index pi. */
static void
parse_members(struct lb_parse *p, size_t pi, json_t *arr, const char *path)
{
	char sub[PATH_MAX_LEN];
	struct lb_member_raw *m;
	struct lb_pool_raw *r = &p->pools[pi];
	json_t *v;
	size_t i;

	if ((arr = get_array(p, arr, path)) == NULL)
		return;
	r->members = lb_xcalloc(json_array_size(arr), sizeof(*r->members));
	json_array_foreach(arr, i, v) {
		pathf(sub, "%s[%zu]", path, i);
		if (!json_is_object(v)) {
			type_err(p, sub, "an object", v);
			continue;
		}
		m = &r->members[r->n_members++];
		m->c.port = LB_UNSET;
		m->c.weight = 1;
		m->c.admin_state_up = true;
		m->c.monitor_port = LB_UNSET;
		m->path = lb_xstrdup(sub);
		parse_object(p, v, sub, member_fields, (char *)m);
	}
}

/* One monitor object at path, appended to pool raw index pi. */
static void
parse_monitor(struct lb_parse *p, size_t pi, json_t *v, const char *path)
{
	struct lb_pool_raw *r = &p->pools[pi];
	struct lb_hm_raw *h;

	if (!json_is_object(v)) {
		type_err(p, path, "an object", v);
		return;
	}
	r->hms = lb_xrealloc(r->hms, (r->n_hms + 1) * sizeof(*r->hms));
	h = &r->hms[r->n_hms++];
	memset(h, 0, sizeof(*h));
	h->c.delay = h->c.timeout = h->c.max_retries = LB_UNSET;
	h->max_retries_down = LB_UNSET;
	h->c.admin_state_up = true;
	h->path = lb_xstrdup(path);
	parse_object(p, v, path, hm_fields, (char *)h);
}

/* Whether obj only names a pool ({"name": ..} and/or {"id": ..}). */
static bool
is_reference(json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		if (strcmp(key, "name") != 0 && strcmp(key, "id") != 0)
			return false;
	}
	return json_object_size(obj) > 0;
}

/* One v2 pool object at path into a new raw pool; returns its index or -1. */
static int
parse_pool_v2(struct lb_parse *p, json_t *v, const char *path)
{
	char sub[PATH_MAX_LEN];
	size_t pi;
	json_t *hm;

	if (!json_is_object(v)) {
		type_err(p, path, "an object", v);
		return -1;
	}
	pi = pool_new(p, path);
	p->pools[pi].seen = LB_SEEN_OBJECT;
	parse_object(p, v, path, v2_pool_fields, (char *)&p->pools[pi]);
	refuse_refs(p, v, path, pool_refs, LB_ARRAY_SIZE(pool_refs));
	parse_members(p, pi, json_object_get(v, "members"),
	    join(sub, sizeof(sub), path, "members"));
	hm = json_object_get(v, "healthmonitor");
	if (hm != NULL && !json_is_null(hm))
		parse_monitor(p, pi, hm, join(sub, sizeof(sub), path, "healthmonitor"));
	return (int)pi;
}

/*
 * A pool written where one is used (default_pool, redirect_pool): an object
 * naming one of "pools" stores the name in *ref (and sets *by_object, so that
 * errors about the name point here); any other object defines the pool in
 * place (its raw index in *inline_idx).
 */
static void
parse_pool_use(struct lb_parse *p, json_t *v, const char *path, char **ref,
    const char *ref_key, int *inline_idx, bool *by_object)
{
	char other[PATH_MAX_LEN];
	json_t *n;

	if (v == NULL || json_is_null(v))
		return;
	if (!json_is_object(v)) {
		type_err(p, path, "an object", v);
		return;
	}
	if (*ref != NULL) {
		lb_diag_err(p->diag, "%s: given together with %s (use one)", path,
		    ref_key);
		return;
	}
	if (!is_reference(v)) {
		*inline_idx = parse_pool_v2(p, v, path);
		return;
	}
	n = json_object_get(v, "id");
	if (n == NULL || json_is_null(n))
		n = json_object_get(v, "name");
	if (!json_is_string(n)) {
		type_err(p, join(other, sizeof(other), path,
		    json_object_get(v, "id") != NULL ? "id" : "name"), "a string", n);
		return;
	}
	*ref = lb_xstrdup(json_string_value(n));
	*by_object = true;
}

/* insert_headers of a v2 listener: header name -> "true" / "false" (or a boolean). */
static void
parse_insert(struct lb_parse *p, struct lb_listener_raw *l, json_t *obj, const char *path)
{
	static const struct { const char *name; unsigned bit; } hdrs[] = {
		{ "X-Forwarded-For", LB_HDR_XFF },
		{ "X-Forwarded-Port", LB_HDR_XFPORT },
		{ "X-Forwarded-Proto", LB_HDR_XFPROTO },
		{ "X-SSL-Client-Verify", LB_HDR_SSL_VERIFY },
		{ "X-SSL-Client-Has-Cert", LB_HDR_SSL_HAS_CERT },
		{ "X-SSL-Client-DN", LB_HDR_SSL_DN },
		{ "X-SSL-Client-CN", LB_HDR_SSL_CN },
		{ "X-SSL-Issuer", LB_HDR_SSL_ISSUER },
		{ "X-SSL-Client-SHA1", LB_HDR_SSL_SHA1 },
		{ "X-SSL-Client-Not-Before", LB_HDR_SSL_NOT_BEFORE },
		{ "X-SSL-Client-Not-After", LB_HDR_SSL_NOT_AFTER },
	};
	char sub[PATH_MAX_LEN];
	const char *key;
	json_t *v;
	size_t i;
	bool on;

	if (obj == NULL || json_is_null(obj))
		return;
	if (!json_is_object(obj)) {
		type_err(p, path, "an object", obj);
		return;
	}
	json_object_foreach(obj, key, v) {
		join(sub, sizeof(sub), path, key);
		for (i = 0; i < LB_ARRAY_SIZE(hdrs); i++)
			if (strcasecmp(hdrs[i].name, key) == 0)
				break;
		if (i == LB_ARRAY_SIZE(hdrs)) {
			lb_diag_err(p->diag, "%s: not a header lbproxy can insert", sub);
			continue;
		}
		if (json_is_boolean(v))
			on = json_is_true(v);
		else if (json_is_string(v) && (strcasecmp(json_string_value(v),
		    "true") == 0 || strcasecmp(json_string_value(v), "false") == 0))
			on = strcasecmp(json_string_value(v), "true") == 0;
		else {
			type_err(p, sub, "\"true\" or \"false\"", v);
			continue;
		}
		l->insert_given |= hdrs[i].bit;
		if (on)
			l->insert_true |= hdrs[i].bit;
	}
}

/* The l7policies of listener l (at path). */
static void
parse_policies(struct lb_parse *p, size_t li, json_t *arr, const char *path)
{
	char sub[PATH_MAX_LEN], rp[PATH_MAX_LEN];
	struct lb_policy_raw *po;
	struct lb_rule_raw *ru;
	json_t *v, *rules, *rv;
	size_t i, j, n;

	if ((arr = get_array(p, arr, path)) == NULL)
		return;
	n = json_array_size(arr);
	p->listeners[li].policies = lb_xcalloc(n, sizeof(*po));
	json_array_foreach(arr, i, v) {
		pathf(sub, "%s[%zu]", path, i);
		if (!json_is_object(v)) {
			type_err(p, sub, "an object", v);
			continue;
		}
		po = &p->listeners[li].policies[p->listeners[li].n_policies++];
		po->c.position = LB_UNSET;
		po->c.redirect_http_code = LB_UNSET;
		po->c.redirect_pool = -1;
		po->redirect_pool_raw = -1;
		po->kept = -1;
		po->admin_state_up = true;
		po->order = i;
		po->path = lb_xstrdup(sub);
		parse_object(p, v, sub, policy_fields, (char *)po);
		parse_pool_use(p, json_object_get(v, "redirect_pool"), join(rp,
		    sizeof(rp), sub, "redirect_pool"), &po->redirect_pool_id,
		    "redirect_pool_id", &po->redirect_pool_raw, &po->redirect_pool_obj);
		rules = get_array(p, json_object_get(v, "rules"),
		    join(rp, sizeof(rp), sub, "rules"));
		if (rules == NULL)
			continue;
		po->rules = lb_xcalloc(json_array_size(rules), sizeof(*ru));
		json_array_foreach(rules, j, rv) {
			pathf(rp, "%s.rules[%zu]", sub, j);
			if (!json_is_object(rv)) {
				type_err(p, rp, "an object", rv);
				continue;
			}
			ru = &po->rules[po->n_rules++];
			ru->admin_state_up = true;
			ru->path = lb_xstrdup(rp);
			parse_object(p, rv, rp, rule_fields, (char *)ru);
		}
	}
}

/* additional_vips: [{"ip_address": ..}, ..] */
static void
parse_extra_vips(struct lb_parse *p, json_t *arr)
{
	static const char path[] = "loadbalancer.additional_vips";
	char sub[PATH_MAX_LEN];
	json_t *v, *a;
	size_t i;

	if ((arr = get_array(p, arr, path)) == NULL)
		return;
	p->extra_vips.v = lb_xcalloc(json_array_size(arr), sizeof(char *));
	json_array_foreach(arr, i, v) {
		pathf(sub, "%s[%zu].ip_address", path, i);
		a = json_is_object(v) ? json_object_get(v, "ip_address") : v;
		if (!json_is_string(a)) {
			type_err(p, sub, "a string", a);
			continue;
		}
		p->extra_vips.v[p->extra_vips.n++] = lb_xstrdup(json_string_value(a));
	}
}

/* The v2 file: {"loadbalancer": {..., "listeners": [..], "pools": [..]}, "lbproxy": {..}}. */
static void
parse_v2(struct lb_parse *p, json_t *root)
{
	char path[PATH_MAX_LEN], sub[PATH_MAX_LEN];
	struct lb_listener_raw *l;
	json_t *lb, *arr, *v;
	size_t i;

	p->conf.dialect = LB_DIALECT_V2;
	p->lenient = true;
	parse_object(p, root, "", v2_top_fields, (char *)p);
	lb = json_object_get(root, "loadbalancer");
	if (!json_is_object(lb)) {
		type_err(p, "loadbalancer", "an object", lb);
		p->seen_lb = LB_SEEN_INVALID;
		return;
	}
	p->seen_lb = LB_SEEN_OBJECT;
	parse_object(p, lb, "loadbalancer", lb_fields, (char *)p);
	parse_extra_vips(p, json_object_get(lb, "additional_vips"));

	if ((arr = get_array(p, json_object_get(lb, "pools"),
	    "loadbalancer.pools")) != NULL)
		json_array_foreach(arr, i, v) {
			pathf(path, "loadbalancer.pools[%zu]", i);
			parse_pool_v2(p, v, path);
		}

	if ((arr = get_array(p, json_object_get(lb, "listeners"),
	    "loadbalancer.listeners")) == NULL)
		return;
	p->listeners = lb_xcalloc(json_array_size(arr), sizeof(*p->listeners));
	json_array_foreach(arr, i, v) {
		pathf(path, "loadbalancer.listeners[%zu]", i);
		if (!json_is_object(v)) {
			type_err(p, path, "an object", v);
			continue;
		}
		l = &p->listeners[p->n_listeners++];
		listener_init(l, path);
		parse_object(p, v, path, listener_fields, (char *)l);
		refuse_refs(p, v, path, listener_refs, LB_ARRAY_SIZE(listener_refs));
		parse_insert(p, l, json_object_get(v, "insert_headers"),
		    join(sub, sizeof(sub), path, "insert_headers"));
		parse_pool_use(p, json_object_get(v, "default_pool"),
		    join(sub, sizeof(sub), path, "default_pool"),
		    &l->default_pool_id, "default_pool_id", &l->default_pool_raw,
		    &l->default_pool_obj);
		parse_policies(p, p->n_listeners - 1, json_object_get(v,
		    "l7policies"), join(sub, sizeof(sub), path, "l7policies"));
	}
}

/* The v1 file: one vip (listener 0), one pool (pool 0) with members and monitors. */
static void
parse_v1(struct lb_parse *p, json_t *root)
{
	char path[PATH_MAX_LEN];
	json_t *v, *arr, *crt;
	size_t i;

	p->conf.dialect = LB_DIALECT_V1;
	p->listeners = lb_xcalloc(1, sizeof(*p->listeners));
	p->n_listeners = 1;
	listener_init(&p->listeners[0], "vip");
	p->listeners[0].c.default_pool = 0;
	pool_new(p, "pool");

	parse_custom(p, json_object_get(root, "custom-attributes"));
	parse_object(p, root, "", v1_top_fields, (char *)p);

	v = json_object_get(root, "vip");
	if (v != NULL && !json_is_null(v)) {
		p->seen_vip = json_is_object(v) ? LB_SEEN_OBJECT : LB_SEEN_INVALID;
		if (json_is_object(v))
			parse_object(p, v, "vip", vip_fields, (char *)&p->listeners[0]);
		else
			type_err(p, "vip", "an object", v);
	}
	v = json_object_get(root, "pool");
	if (v != NULL && !json_is_null(v)) {
		p->seen_pool = json_is_object(v) ? LB_SEEN_OBJECT : LB_SEEN_INVALID;
		p->pools[0].seen = p->seen_pool;
		if (json_is_object(v))
			parse_object(p, v, "pool", v1_pool_fields, (char *)&p->pools[0]);
		else
			type_err(p, "pool", "an object", v);
	}
	/* Contrail: the certificate is a top-level path, "" when the agent has none */
	crt = json_object_get(root, "ssl-crt");
	if (crt != NULL && !json_is_null(crt)) {
		p->conf.dialect = LB_DIALECT_CONTRAIL;
		if (!json_is_string(crt))
			type_err(p, "ssl-crt", "a string", crt);
		else if (*json_string_value(crt) == '\0')
			lb_debug("ssl-crt: empty, no certificate");
		else if (p->listeners[0].c.tls.certificate_file != NULL)
			lb_diag_err(p->diag, "ssl-crt: given together with "
			    "vip.tls.certificate_file (use one)");
		else {
			p->listeners[0].c.tls.certificate_file =
			    lb_xstrdup(json_string_value(crt));
			note_alias(p, "", "vip.tls.certificate_file", "ssl-crt");
		}
	}
	parse_members(p, 0, json_object_get(root, "members"), "members");
	if ((arr = get_array(p, json_object_get(root, "healthmonitors"),
	    "healthmonitors")) != NULL)
		json_array_foreach(arr, i, v) {
			pathf(path, "healthmonitors[%zu]", i);
			parse_monitor(p, 0, v, path);
		}
	if (p->n_aliases > 0 || json_object_get(root, "custom-attributes") != NULL)
		p->conf.dialect = LB_DIALECT_CONTRAIL;
}

/* The absolute directory of path (new); relative paths in the file resolve against it. */
static char *
config_dir(const char *path)
{
	char *copy, *dir, *cwd, *res;

	copy = lb_xstrdup(path != NULL ? path : "-");
	dir = dirname(copy);
	if (dir[0] == '/' || (cwd = getcwd(NULL, 0)) == NULL) {
		res = lb_xstrdup(dir);
		goto out;
	}
	while (dir[0] == '.' && dir[1] == '/')
		dir += 2;
	if (strcmp(dir, ".") == 0)
		res = lb_xstrdup(cwd);
	else
		res = lb_asprintf("%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/", dir);
	free(cwd);
	if (res == NULL)
		abort();
out:
	free(copy);
	return res;
}

/* The process-wide defaults of SPEC section 2, before the file is read. */
static void
config_defaults(struct lb_config *c)
{
	c->admin_state_up = true;
	c->stats_socket_mode = 0660;
	c->maxconn = LB_UNSET;		/* Contrail's default differs */
	c->timeouts.connect = 5000;
	c->timeouts.client = LB_UNSET;
	c->timeouts.server = LB_UNSET;
	c->timeouts.http_request = LB_UNSET;	/* falls back, see config_check.c */
	c->timeouts.http_keep_alive = LB_UNSET;
	c->timeouts.tls_handshake = 10000;
	c->timeouts.drain = 30000;
	c->retries = 3;
	c->redispatch = true;
	c->splice = true;
	c->health_rise = 2;
	c->health_jitter_pct = 10;
	c->health_fail_open = false;
	c->max_header_lines = 100;
	c->max_header_bytes = 32768;
	c->max_uri_bytes = 8192;
	c->log_target = LB_LOG_STDERR;
	c->log_level = LB_LOG_NOTICE;
	c->access_log = false;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
lb_strv_fini(struct lb_strv *sv)
{
	strv_free(sv->v, sv->n);
	memset(sv, 0, sizeof(*sv));
}

void
lb_hm_conf_fini(struct lb_hm_conf *hm)
{
	free(hm->id);
	free(hm->http_method);
	free(hm->url_path);
	free(hm->expected_codes);
	free(hm->codes);
	free(hm->domain_name);
	memset(hm, 0, sizeof(*hm));
}

void
lb_member_conf_fini(struct lb_member_conf *m)
{
	free(m->id);
	free(m->name);
	free(m->address);
	free(m->monitor_address);
	memset(m, 0, sizeof(*m));
}

void
lb_pool_conf_fini(struct lb_pool_conf *pc)
{
	size_t i;

	free(pc->id);
	free(pc->name);
	free(pc->persist.cookie_name);
	free(pc->tls.ca_file);
	free(pc->tls.crl_file);
	free(pc->tls.certificate_file);
	free(pc->tls.private_key_file);
	free(pc->tls.ciphers);
	free(pc->tls.ciphersuites);
	for (i = 0; i < pc->n_members; i++)
		lb_member_conf_fini(&pc->members[i]);
	free(pc->members);
	if (pc->hm != NULL) {
		lb_hm_conf_fini(pc->hm);
		free(pc->hm);
	}
	free(pc->path);
	memset(pc, 0, sizeof(*pc));
}

void
lb_policy_conf_fini(struct lb_l7policy_conf *pc)
{
	size_t i;

	free(pc->id);
	free(pc->name);
	free(pc->redirect_url);
	free(pc->redirect_prefix);
	for (i = 0; i < pc->n_rules; i++) {
		free(pc->rules[i].id);
		free(pc->rules[i].key);
		free(pc->rules[i].value);
	}
	free(pc->rules);
	memset(pc, 0, sizeof(*pc));
}

void
lb_listener_conf_fini(struct lb_listener_conf *lc)
{
	struct lb_tls_conf *t = &lc->tls;
	size_t i;

	free(lc->id);
	free(lc->name);
	free(lc->addrs);
	free(lc->allowed);
	free(t->certificate_file);
	free(t->private_key_file);
	strv_free(t->sni_certificate_files, t->n_sni);
	free(t->ciphers);
	free(t->ciphersuites);
	free(t->client_ca_file);
	free(t->client_crl_file);
	for (i = 0; i < lc->n_policies; i++)
		lb_policy_conf_fini(&lc->policies[i]);
	free(lc->policies);
	free(lc->path);
	memset(lc, 0, sizeof(*lc));
}

/* Free what c owns (not c itself). */
static void
config_fini(struct lb_config *c)
{
	size_t i;

	free(c->path);
	free(c->dir);
	free(c->lb_id);
	for (i = 0; i < c->n_listeners; i++)
		lb_listener_conf_fini(&c->listeners[i]);
	free(c->listeners);
	for (i = 0; i < c->n_pools; i++)
		lb_pool_conf_fini(&c->pools[i]);
	free(c->pools);
	free(c->stats_socket);
	free(c->pid_file);
	free(c->log_file);
	free(c->metrics_listen);
	free(c->accept_proxy);
	lb_config_priv_fini(&c->priv);
}

static void
pool_raw_fini(struct lb_pool_raw *r)
{
	size_t i;

	lb_pool_conf_fini(&r->c);
	free(r->protocol);
	free(r->method);
	free(r->persist_type);
	lb_strv_fini(&r->tls_versions);
	lb_strv_fini(&r->alpn);
	for (i = 0; i < r->n_members; i++) {
		lb_member_conf_fini(&r->members[i].c);
		free(r->members[i].path);
	}
	free(r->members);
	for (i = 0; i < r->n_hms; i++) {
		lb_hm_conf_fini(&r->hms[i].c);
		free(r->hms[i].type);
		free(r->hms[i].http_version);
		free(r->hms[i].path);
	}
	free(r->hms);
}

static void
listener_raw_fini(struct lb_listener_raw *l)
{
	struct lb_policy_raw *po;
	size_t i, j;

	lb_listener_conf_fini(&l->c);
	free(l->address);
	free(l->protocol);
	free(l->tls_mode);
	free(l->tls_min_version);
	free(l->client_auth);
	lb_strv_fini(&l->tls_versions);
	lb_strv_fini(&l->alpn);
	lb_strv_fini(&l->allowed_cidrs);
	free(l->default_pool_id);
	free(l->persist_type);
	free(l->cookie_name);
	for (i = 0; i < l->n_policies; i++) {
		po = &l->policies[i];
		lb_policy_conf_fini(&po->c);
		free(po->action);
		free(po->redirect_pool_id);
		free(po->path);
		for (j = 0; j < po->n_rules; j++) {
			free(po->rules[j].c.id);
			free(po->rules[j].c.key);
			free(po->rules[j].c.value);
			free(po->rules[j].type);
			free(po->rules[j].compare_type);
			free(po->rules[j].path);
		}
		free(po->rules);
	}
	free(l->policies);
}

/* Free the parser's own state (p->conf was moved out or is freed here). */
static void
parse_fini(struct lb_parse *p)
{
	size_t i;

	config_fini(&p->conf);
	for (i = 0; i < p->n_listeners; i++)
		listener_raw_fini(&p->listeners[i]);
	free(p->listeners);
	for (i = 0; i < p->n_pools; i++)
		pool_raw_fini(&p->pools[i]);
	free(p->pools);
	free(p->vip_address);
	lb_strv_fini(&p->extra_vips);
	free(p->stats_socket_mode);
	free(p->log_target);
	free(p->log_level);
	free(p->http_reuse);
	lb_strv_fini(&p->accept_proxy);
	free(p->tls_container);
	for (i = 0; i < p->n_aliases; i++) {
		free(p->aliases[i].canon);
		free(p->aliases[i].used);
	}
	free(p->aliases);
}

struct lb_config *
lb_config_parse(const char *json, size_t len, const char *path, struct lb_diag *diag)
{
	struct lb_config *conf = NULL;
	struct lb_parse p;
	json_error_t jerr;
	json_t *root;
	size_t nerr = diag->n;

	memset(&p, 0, sizeof(p));
	p.diag = diag;
	p.xff = p.xfproto = true;	/* v1 insert_headers defaults */
	config_defaults(&p.conf);
	p.conf.path = lb_xstrdup(path != NULL ? path : "-");
	p.conf.dir = config_dir(path);

	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		if (jerr.line > 0)
			lb_diag_err(diag, "line %d, column %d: %s", jerr.line,
			    jerr.column, jerr.text);
		else
			lb_diag_err(diag, "%s", jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		lb_diag_err(diag, "top level: expected an object, got %s", jtype(root));
		goto out;
	}
	if (json_object_get(root, "loadbalancer") != NULL)
		parse_v2(&p, root);
	else
		parse_v1(&p, root);
	lb_config_priv_parse(&p.conf.priv, json_object_get(root, "lbproxy"), p.conf.dir, diag);
	json_decref(root);
	root = NULL;

	lb_config_check(&p);
out:
	json_decref(root);
	if (diag->n == nerr) {
		conf = lb_xmalloc(sizeof(*conf));
		*conf = p.conf;
		memset(&p.conf, 0, sizeof(p.conf));
	}
	parse_fini(&p);
	return conf;
}

const struct lb_listener_conf *
lb_config_listener(const struct lb_config *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->n_listeners; i++)
		if (strcmp(c->listeners[i].id, id) == 0)
			return &c->listeners[i];
	return NULL;
}

const struct lb_pool_conf *
lb_config_pool(const struct lb_config *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->n_pools; i++)
		if (strcmp(c->pools[i].id, id) == 0)
			return &c->pools[i];
	return NULL;
}

struct lb_config *
lb_config_load(const char *path, struct lb_diag *diag)
{
	struct lb_config *conf = NULL;
	char *buf = NULL;
	size_t len = 0, n;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL) {
		lb_diag_err(diag, "cannot open: %s", strerror(errno));
		return NULL;
	}
	for (;;) {
		buf = lb_xrealloc(buf, len + 65536);
		n = fread(buf + len, 1, 65536, fp);
		len += n;
		if (n < 65536)
			break;
		if (len > FILE_MAX) {
			lb_diag_err(diag, "larger than %d MiB", FILE_MAX >> 20);
			goto out;
		}
	}
	if (ferror(fp)) {
		lb_diag_err(diag, "cannot read: %s", strerror(errno));
		goto out;
	}
	conf = lb_config_parse(buf, len, path, diag);
out:
	fclose(fp);
	free(buf);
	return conf;
}

void
lb_config_free(struct lb_config *conf)
{
	if (conf == NULL)
		return;
	config_fini(conf);
	free(conf);
}
