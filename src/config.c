/*
 * config.c: the pool file (JSON) -> plain structs.
 *
 * The parser is driven by one table per JSON object: each known key (and its
 * Contrail alias) names a C type and where the value goes. It only checks JSON
 * types; what the values mean is decided by the validity pass in
 * config_check.c. No jansson object outlives lb_config_parse().
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbproxy/config.h"
#include "lbproxy/diag.h"
#include "lbproxy/log.h"
#include "lbproxy/util.h"
#include "config_int.h"

/* Longest JSON path we build ("healthmonitors[12].expected_codes"). */
#define PATH_MAX_LEN	128
/* A pool file larger than this is a mistake, not a configuration. */
#define FILE_MAX	(64 * 1024 * 1024)
#define NOOFF		((size_t)-1)

enum ftype {
	F_STR,		/* char *, replacing an earlier value */
	F_INT,		/* int */
	F_BOOL,		/* bool */
	F_STRV,		/* char ** at off, size_t count at off2 */
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

/* Offsets into struct lb_parse, struct lb_member_conf and struct lb_hm_raw. */
#define P(m)	offsetof(struct lb_parse, m)
#define M(m)	offsetof(struct lb_member_conf, m)
#define H(m)	offsetof(struct lb_hm_raw, m)

static const struct field persist_fields[] = {
	FSTR("type", NULL, P(persist_type)),
	FSTR("cookie_name", NULL, P(conf.vip.cookie_name)),
	FEND
};

static const struct field tls_fields[] = {
	FSTR("certificate_file", NULL, P(conf.vip.tls.certificate_file)),
	FSTR("private_key_file", NULL, P(conf.vip.tls.private_key_file)),
	{ .key = "sni_certificate_files", .type = F_STRV,
	  .off = P(conf.vip.tls.sni_certificate_files), .off2 = P(conf.vip.tls.n_sni) },
	FSTR("min_version", NULL, P(tls_min_version)),
	FSTR("ciphers", NULL, P(conf.vip.tls.ciphers)),
	FSTR("ciphersuites", NULL, P(conf.vip.tls.ciphersuites)),
	FSTR("mode", NULL, P(tls_mode)),
	FEND
};

static const struct field vip_fields[] = {
	FSTR("id", NULL, P(conf.vip.id)),
	FSTR("address", NULL, P(conf.vip.address)),
	FINT("protocol_port", "port", P(conf.vip.port)),
	FSTR("protocol", NULL, P(vip_protocol)),
	FINT("connection_limit", "connection-limit", P(conf.vip.connection_limit)),
	FBOOL("admin_state_up", "admin-state", P(conf.vip.admin_state_up)),
	FOBJ("session_persistence", NOOFF, persist_fields),
	FOBJ("tls", P(seen_tls), tls_fields),
	/* Contrail spells persistence flat, after the Neutron object above. */
	{ .key = "persistence-type", .canon = "session_persistence.type",
	  .type = F_STR, .off = P(persist_type) },
	{ .key = "persistence-cookie-name", .canon = "session_persistence.cookie_name",
	  .type = F_STR, .off = P(conf.vip.cookie_name) },
	FEND
};

static const struct field pool_fields[] = {
	FSTR("id", NULL, P(conf.pool.id)),
	FSTR("protocol", NULL, P(pool_protocol)),
	FSTR("lb_method", "method", P(pool_method)),
	FBOOL("admin_state_up", "admin-state", P(conf.pool.admin_state_up)),
	FEND
};

static const struct field member_fields[] = {
	FSTR("id", NULL, M(id)),
	FSTR("address", NULL, M(address)),
	FINT("protocol_port", "port", M(port)),
	FINT("weight", NULL, M(weight)),
	FBOOL("admin_state_up", "admin-state", M(admin_state_up)),
	FEND
};

static const struct field hm_fields[] = {
	FSTR("id", NULL, H(c.id)),
	FSTR("type", NULL, H(type)),
	FINT("delay", NULL, H(c.delay)),
	FINT("timeout", NULL, H(c.timeout)),
	FINT("max_retries", "max-retries", H(c.max_retries)),
	FSTR("http_method", "http-method", H(c.http_method)),
	FSTR("url_path", "url", H(c.url_path)),
	FSTR("expected_codes", "expected-codes", H(c.expected_codes)),
	FBOOL("admin_state_up", "admin-state", H(c.admin_state_up)),
	FEND
};

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
	FBOOL("X-Forwarded-For", NULL, P(conf.xff)),
	FBOOL("X-Forwarded-Proto", NULL, P(conf.xfproto)),
	FBOOL("X-Forwarded-Port", NULL, P(conf.xfport)),
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
	FOBJ("insert_headers", NOOFF, header_fields),
	FOBJ("health", NOOFF, health_fields),
	FOBJ("limits", NOOFF, limit_fields),
	FOBJ("log", NOOFF, log_fields),
	FOBJ("metrics", NOOFF, metrics_fields),
	FEND
};

static const struct field top_fields[] = {
	FOBJ("pool", P(seen_pool), pool_fields),
	FOBJ("vip", P(seen_vip), vip_fields),
	FOBJ("lbproxy", NOOFF, lbproxy_fields),
	/* Contrail: the certificate is a top-level path, after "vip" above. */
	{ .key = "ssl-crt", .canon = "vip.tls.certificate_file",
	  .type = F_STR, .off = P(conf.vip.tls.certificate_file) },
	FSKIP("members"),
	FSKIP("healthmonitors"),
	FSKIP("custom-attributes"),
	FEND
};

/*
 * Contrail's custom-attributes (haproxy_validator.py) and what they become
 * here. Values that fail the check are warned about and skipped, as Contrail
 * did; off NOOFF marks an attribute Contrail knew that lbproxy has no use for.
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
	{ "ssl_ciphers", F_STR, 1, 100, P(conf.vip.tls.ciphers) },
	{ "max_conn_rate", F_INT, 1, 65535, NOOFF },
	{ "max_sess_rate", F_INT, 1, 65535, NOOFF },
	{ "max_ssl_conn", F_INT, 1, 65535, NOOFF },
	{ "max_ssl_rate", F_INT, 1, 65535, NOOFF },
	{ "tune_ssl_max_record", F_INT, 1, 16384, NOOFF },
	{ "rate_limit_sessions", F_INT, 1, 65535, NOOFF },
	{ "http_server_close", F_STR, 1, 5, NOOFF },
	{ "tls_container", F_STR, 1, 4096, NOOFF },
};

static void	parse_object(struct lb_parse *, json_t *, const char *,
		    const struct field *, char *);

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
	snprintf(buf, size, "%s%s%s", prefix, *prefix != '\0' ? "." : "", key);
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
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
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
		if (!json_is_boolean(v)) {
			type_err(p, path, "a boolean", v);
			break;
		}
		*(bool *)slot = json_is_true(v);
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
		if (v != NULL && a != NULL)
			lb_diag_err(p->diag, "%s: given together with %s (use one)",
			    join(path, sizeof(path), prefix, f->alias),
			    join(other, sizeof(other), prefix, f->key));
		else if (a != NULL) {
			v = a;
			key = f->alias;
			note_alias(p, prefix, f->key, f->alias);
		}
		if (v == NULL)
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

/* The "members" array: one struct lb_member_conf per object element. */
static void
parse_members(struct lb_parse *p, json_t *arr)
{
	char path[PATH_MAX_LEN];
	struct lb_member_conf *m;
	json_t *v;
	size_t i;

	if (arr == NULL || json_is_null(arr))
		return;
	if (!json_is_array(arr)) {
		type_err(p, "members", "an array", arr);
		return;
	}
	p->conf.members = lb_xcalloc(json_array_size(arr), sizeof(*p->conf.members));
	p->member_idx = lb_xcalloc(json_array_size(arr), sizeof(*p->member_idx));
	json_array_foreach(arr, i, v) {
		snprintf(path, sizeof(path), "members[%zu]", i);
		if (!json_is_object(v)) {
			type_err(p, path, "an object", v);
			continue;
		}
		m = &p->conf.members[p->conf.n_members];
		m->port = LB_UNSET;
		m->weight = 1;
		m->admin_state_up = true;
		p->member_idx[p->conf.n_members++] = i;
		parse_object(p, v, path, member_fields, (char *)m);
	}
}

/* The "healthmonitors" array: every element is kept for the check pass. */
static void
parse_monitors(struct lb_parse *p, json_t *arr)
{
	char path[PATH_MAX_LEN];
	struct lb_hm_raw *r;
	json_t *v;
	size_t i;

	if (arr == NULL || json_is_null(arr))
		return;
	if (!json_is_array(arr)) {
		type_err(p, "healthmonitors", "an array", arr);
		return;
	}
	p->hms = lb_xcalloc(json_array_size(arr), sizeof(*p->hms));
	json_array_foreach(arr, i, v) {
		snprintf(path, sizeof(path), "healthmonitors[%zu]", i);
		if (!json_is_object(v)) {
			type_err(p, path, "an object", v);
			continue;
		}
		r = &p->hms[p->n_hms++];
		r->idx = i;
		r->c.delay = r->c.timeout = r->c.max_retries = LB_UNSET;
		r->c.admin_state_up = true;
		parse_object(p, v, path, hm_fields, (char *)r);
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
	char *base = (char *)p;
	long long n;
	size_t len;

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
	if (ca->type == F_INT)
		*(int *)(base + ca->off) = (int)n;
	else {
		free(*(char **)(base + ca->off));
		*(char **)(base + ca->off) = lb_xstrdup(json_string_value(v));
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

/* The defaults of SPEC section 2, before the file is read. */
static void
config_defaults(struct lb_config *c)
{
	c->vip.port = LB_UNSET;
	c->vip.connection_limit = -1;
	c->vip.admin_state_up = true;
	c->vip.tls.min_version = LB_TLS1_2_VERSION;
	c->pool.admin_state_up = true;
	c->stats_socket_mode = 0660;
	c->timeouts.connect = 5000;
	c->timeouts.client = 50000;
	c->timeouts.server = 50000;
	c->timeouts.http_request = 10000;
	c->timeouts.http_keep_alive = 10000;
	c->timeouts.tls_handshake = 10000;
	c->timeouts.drain = 30000;
	c->retries = 3;
	c->redispatch = true;
	c->splice = true;
	c->xff = true;
	c->xfproto = true;
	c->xfport = false;
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

void
lb_hm_conf_fini(struct lb_hm_conf *hm)
{
	free(hm->id);
	free(hm->http_method);
	free(hm->url_path);
	free(hm->expected_codes);
	free(hm->codes);
	memset(hm, 0, sizeof(*hm));
}

/* Free what c owns (not c itself). */
static void
config_fini(struct lb_config *c)
{
	size_t i;

	free(c->path);
	free(c->dir);
	free(c->vip.id);
	free(c->vip.address);
	free(c->vip.cookie_name);
	free(c->vip.tls.certificate_file);
	free(c->vip.tls.private_key_file);
	for (i = 0; i < c->vip.tls.n_sni; i++)
		free(c->vip.tls.sni_certificate_files[i]);
	free(c->vip.tls.sni_certificate_files);
	free(c->vip.tls.ciphers);
	free(c->vip.tls.ciphersuites);
	free(c->pool.id);
	for (i = 0; i < c->n_members; i++) {
		free(c->members[i].id);
		free(c->members[i].address);
	}
	free(c->members);
	if (c->hm != NULL) {
		lb_hm_conf_fini(c->hm);
		free(c->hm);
	}
	free(c->stats_socket);
	free(c->pid_file);
	free(c->log_file);
	free(c->metrics_listen);
}

/* Free the parser's own state (p->conf was moved out or is freed here). */
static void
parse_fini(struct lb_parse *p)
{
	size_t i;

	config_fini(&p->conf);
	free(p->vip_protocol);
	free(p->persist_type);
	free(p->tls_mode);
	free(p->tls_min_version);
	free(p->pool_protocol);
	free(p->pool_method);
	free(p->stats_socket_mode);
	free(p->log_target);
	free(p->log_level);
	free(p->member_idx);
	for (i = 0; i < p->n_hms; i++) {
		lb_hm_conf_fini(&p->hms[i].c);
		free(p->hms[i].type);
	}
	free(p->hms);
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
	parse_custom(&p, json_object_get(root, "custom-attributes"));
	parse_object(&p, root, "", top_fields, (char *)&p);
	parse_members(&p, json_object_get(root, "members"));
	parse_monitors(&p, json_object_get(root, "healthmonitors"));
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
