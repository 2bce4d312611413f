/*
 * test_config.c: unit tests for src/config.c (parsing) and src/config_check.c
 * (the validity pass): one test per rule and per default, the Contrail
 * dialect, error accumulation with JSON paths, and expected_codes.
 *
 * JSON in this file is written with ' for " (load() swaps them) to keep it
 * readable; it is parsed as if read from <tmpdir>/pool.json.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
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

#define POOL	"'pool': {'id': 'p1', 'protocol': 'HTTP', 'lb_method': 'ROUND_ROBIN'}"
#define VIP	"'vip': {'id': 'v1', 'address': '127.0.0.1', 'protocol_port': 8080, " \
		"'protocol': 'HTTP'}"
#define MEMBERS	"'members': [" \
		"{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 8081}, " \
		"{'id': 'm2', 'address': '127.0.0.2', 'protocol_port': 8081}]"
#define BASE	POOL ", " VIP ", " MEMBERS
#define HM	"'type': 'HTTP', 'delay': 5, 'timeout': 3, 'max_retries': 3"
#define TCPVIP	"'vip': {'id': 'v1', 'address': '127.0.0.1', 'protocol_port': 9000, " \
		"'protocol': 'TCP'}"
#define TCPPOOL	"'pool': {'id': 'p1', 'protocol': 'TCP', 'lb_method': 'ROUND_ROBIN'}"

static char tmpdir[64];
static char conf_path[128];

/* A file in tmpdir (returns a static buffer). */
static const char *
tmpfile_path(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

/* Write text to tmpdir/name. */
static void
write_file(const char *name, const char *text)
{
	FILE *fp = fopen(tmpfile_path(name), "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int
setup(void **state LB_UNUSED)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lbtest-config.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/pool.json", tmpdir);
	write_file("cert.pem", "not parsed here\n");
	write_file("key.pem", "not parsed here\n");
	write_file("sni.pem", "not parsed here\n");
	return 0;
}

static int
teardown(void **state LB_UNUSED)
{
	static const char *const files[] = { "cert.pem", "key.pem", "sni.pem",
	    "pool.json", "noread.pem" };
	size_t i;

	for (i = 0; i < LB_ARRAY_SIZE(files); i++)
		unlink(tmpfile_path(files[i]));
	rmdir(tmpfile_path("adir"));
	return rmdir(tmpdir);
}

/* Parse s ("{" is added around it; ' stands for ") as <tmpdir>/pool.json. */
static struct lb_config *
load(const char *s, struct lb_diag *d)
{
	struct lb_config *conf;
	char *json, *c;

	if ((json = lb_asprintf("{%s}", s)) == NULL)
		abort();
	for (c = json; *c != '\0'; c++)
		if (*c == '\'')
			*c = '"';
	conf = lb_config_parse(json, strlen(json), conf_path, d);
	free(json);
	return conf;
}

/* Print what d holds (shown when an assertion fails). */
static void
dump(const struct lb_diag *d)
{
	lb_diag_print(d, "pool.json", stderr);
}

/* Whether msg is one of v[0..n). */
static bool
among(char *const *v, size_t n, const char *msg)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], msg) == 0)
			return true;
	return false;
}

/* Whether some entry of v[0..n) starts with prefix and contains part. */
static bool
among_like(char *const *v, size_t n, const char *prefix, const char *part)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strncmp(v[i], prefix, strlen(prefix)) == 0 &&
		    strstr(v[i], part) != NULL)
			return true;
	return false;
}

#define assert_err(d, msg) do {						\
	if (!among((d)->msgs, (d)->n, (msg))) {				\
		dump(d);						\
		fail_msg("missing error: %s", (msg));			\
	}								\
} while (0)

#define assert_warn(d, msg) do {					\
	if (!among((d)->warns, (d)->nwarn, (msg))) {			\
		dump(d);						\
		fail_msg("missing warning: %s", (msg));			\
	}								\
} while (0)

/* s must load with no error and no warning; returns the config. */
static struct lb_config *
valid(const char *s)
{
	struct lb_diag d = { 0 };
	struct lb_config *conf = load(s, &d);

	if (conf == NULL || d.n != 0 || d.nwarn != 0) {
		dump(&d);
		fail_msg("expected a valid config without warnings");
	}
	lb_diag_fini(&d);
	return conf;
}

/* s must fail with exactly the NULL-terminated list of errors (in any order). */
static void
invalid(const char *s, ...)
{
	struct lb_diag d = { 0 };
	struct lb_config *conf = load(s, &d);
	const char *msg;
	size_t n = 0;
	va_list ap;

	if (conf != NULL) {
		lb_config_free(conf);
		fail_msg("expected an invalid config");
	}
	va_start(ap, s);
	while ((msg = va_arg(ap, const char *)) != NULL) {
		assert_err(&d, msg);
		n++;
	}
	va_end(ap);
	if (d.n != n) {
		dump(&d);
		fail_msg("expected %zu errors, got %zu", n, d.n);
	}
	lb_diag_fini(&d);
}

/* ------------------------------------------------------------ defaults */

static void
minimal_defaults(void **state LB_UNUSED)
{
	struct lb_config *c = valid(BASE);
	struct sockaddr_in *sin = (struct sockaddr_in *)&c->listeners[0].addrs[0].ss;
	char sock[256];

	assert_string_equal(c->path, conf_path);
	assert_string_equal(c->dir, tmpdir);
	assert_string_equal(c->listeners[0].id, "v1");
	assert_int_equal(c->listeners[0].port, 8080);
	assert_int_equal(c->listeners[0].protocol, LB_PROTO_HTTP);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 8080);
	assert_int_equal(c->listeners[0].addrs[0].len, sizeof(struct sockaddr_in));
	assert_int_equal(c->listeners[0].connection_limit, -1);
	assert_true(c->listeners[0].admin_state_up);
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_NONE);
	assert_null(c->pools[0].persist.cookie_name);
	assert_false(c->listeners[0].has_tls);
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_NONE);
	assert_true(c->listeners[0].http);
	assert_int_equal(c->listeners[0].tls.min_version, 0x0303);
	assert_null(c->listeners[0].tls.certificate_file);

	assert_string_equal(c->pools[0].id, "p1");
	assert_int_equal(c->pools[0].protocol, LB_PROTO_HTTP);
	assert_int_equal(c->pools[0].method, LB_METHOD_ROUND_ROBIN);
	assert_true(c->pools[0].admin_state_up);

	assert_int_equal(c->pools[0].n_members, 2);
	assert_string_equal(c->pools[0].members[1].id, "m2");
	assert_string_equal(c->pools[0].members[1].address, "127.0.0.2");
	assert_int_equal(c->pools[0].members[1].port, 8081);
	assert_int_equal(c->pools[0].members[1].weight, 1);
	assert_true(c->pools[0].members[1].admin_state_up);
	assert_int_equal(lb_addr_port((struct sockaddr *)&c->pools[0].members[1].addr), 8081);
	assert_null(c->pools[0].hm);

	snprintf(sock, sizeof(sock), "%s/sock", tmpdir);
	assert_string_equal(c->stats_socket, sock);
	assert_int_equal(c->stats_socket_mode, 0660);
	assert_null(c->pid_file);
	assert_int_equal(c->workers, 0);
	assert_int_equal(c->maxconn, 0);
	assert_int_equal(c->timeouts.connect, 5000);
	assert_int_equal(c->timeouts.client, 50000);
	assert_int_equal(c->timeouts.server, 50000);
	assert_int_equal(c->timeouts.http_request, 10000);
	assert_int_equal(c->timeouts.http_keep_alive, 10000);
	assert_int_equal(c->timeouts.tls_handshake, 10000);
	assert_int_equal(c->timeouts.drain, 30000);
	assert_int_equal(c->retries, 3);
	assert_true(c->redispatch);
	assert_true((bool)(c->listeners[0].insert & LB_HDR_XFF));
	assert_true((bool)(c->listeners[0].insert & LB_HDR_XFPROTO));
	assert_false((bool)(c->listeners[0].insert & LB_HDR_XFPORT));
	assert_int_equal(c->health_rise, 2);
	assert_int_equal(c->health_jitter_pct, 10);
	assert_false(c->health_fail_open);
	assert_int_equal(c->max_header_lines, 100);
	assert_int_equal(c->max_header_bytes, 32768);
	assert_int_equal(c->max_uri_bytes, 8192);
	assert_int_equal(c->max_body_bytes, 0);
	assert_int_equal(c->log_target, LB_LOG_STDERR);
	assert_null(c->log_file);
	assert_int_equal(c->log_level, LB_LOG_NOTICE);
	assert_false(c->access_log);
	assert_null(c->metrics_listen);
	assert_int_equal(c->metrics_addr.len, 0);
	lb_config_free(c);
}

static void
names_tables(void **state LB_UNUSED)
{
	assert_string_equal(lb_proto_names[LB_PROTO_HTTPS], "HTTPS");
	assert_string_equal(lb_method_names[LB_METHOD_LEAST_CONNECTIONS],
	    "LEAST_CONNECTIONS");
	assert_string_equal(lb_persist_names[LB_PERSIST_APP_COOKIE], "APP_COOKIE");
	assert_string_equal(lb_hm_type_names[LB_HM_PING], "PING");
}

static void
free_null(void **state LB_UNUSED)
{
	lb_config_free(NULL);
}

/* ------------------------------------------------------------ vip */

static void
vip_ipv6(void **state LB_UNUSED)
{
	struct lb_config *c = valid(POOL ", " MEMBERS ", 'vip': {'id': 'v1', "
	    "'address': '::1', 'protocol_port': 80, 'protocol': 'HTTP', "
	    "'connection_limit': 100, 'admin_state_up': false}");

	assert_int_equal(c->listeners[0].addrs[0].ss.ss_family, AF_INET6);
	assert_int_equal(lb_addr_port((struct sockaddr *)&c->listeners[0].addrs[0].ss), 80);
	assert_int_equal(c->listeners[0].connection_limit, 100);
	assert_false(c->listeners[0].admin_state_up);
	lb_config_free(c);
}

static void
vip_required(void **state LB_UNUSED)
{
	invalid(POOL ", " MEMBERS ", 'vip': {'name': 'x'}",
	    "vip.id: missing (required)",
	    "vip.address: missing (required)",
	    "vip.protocol_port: missing (required)",
	    "vip.protocol: missing (required)", NULL);
	invalid(TCPPOOL ", " MEMBERS ", 'vip': {'id': '', 'address': null, "
	    "'protocol_port': 80, 'protocol': 'TCP'}",
	    "vip.id: must not be empty",
	    "vip.address: missing (required)", NULL);
}

static void
top_objects_required(void **state LB_UNUSED)
{
	invalid("", "vip: missing (required)", "pool: missing (required)", NULL);
	invalid(VIP ", 'pool': null", "pool: missing (required)", NULL);
}

static void
vip_not_object(void **state LB_UNUSED)
{
	/* one message, not one per vip field */
	invalid(POOL ", " MEMBERS ", 'vip': ['x']",
	    "vip: expected an object, got array", NULL);
}

static void
vip_protocol_unknown(void **state LB_UNUSED)
{
	invalid(POOL ", " MEMBERS ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 21, 'protocol': 'FTP'}",
	    "vip.protocol: \"FTP\" is not one of TCP, HTTP, HTTPS", NULL);
	/* names are case-sensitive, as in Neutron */
	invalid(POOL ", " MEMBERS ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'http'}",
	    "vip.protocol: \"http\" is not one of TCP, HTTP, HTTPS", NULL);
}

static void
vip_port_range(void **state LB_UNUSED)
{
	invalid(POOL ", " MEMBERS ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 0, 'protocol': 'HTTP'}",
	    "vip.protocol_port: 0 is out of range 1..65535", NULL);
	invalid(POOL ", " MEMBERS ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 65536, 'protocol': 'HTTP'}",
	    "vip.protocol_port: 65536 is out of range 1..65535", NULL);
}

static void
vip_address_invalid(void **state LB_UNUSED)
{
	invalid(POOL ", " MEMBERS ", 'vip': {'id': 'v1', 'address': 'localhost', "
	    "'protocol_port': 80, 'protocol': 'HTTP'}",
	    "vip.address: \"localhost\" is not an IPv4 or IPv6 address", NULL);
}

static void
vip_connection_limit(void **state LB_UNUSED)
{
	invalid(POOL ", " MEMBERS ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'HTTP', 'connection_limit': -2}",
	    "vip.connection_limit: -2 must be -1 or more", NULL);
}

/* ------------------------------------------------------------ types */

static void
type_errors(void **state LB_UNUSED)
{
	invalid("'pool': {'id': 'p1', 'lb_method': 'ROUND_ROBIN', "
	    "'admin_state_up': 'yes'}, " MEMBERS ", 'vip': {'id': 7, "
	    "'address': '127.0.0.1', 'protocol_port': '80', 'protocol': 'HTTP', "
	    "'tls': 'x'}",
	    "pool.admin_state_up: expected a boolean, got string",
	    "vip.id: expected a string, got integer",
	    "vip.protocol_port: expected an integer, got string",
	    "vip.tls: expected an object, got string",
	    /* the wrongly typed fields count as absent for the check pass */
	    "vip.id: missing (required)",
	    "vip.protocol_port: missing (required)", NULL);
	invalid(BASE ", 'healthmonitors': {}",
	    "healthmonitors: expected an array, got object", NULL);
	invalid(POOL ", " VIP ", 'members': [{'id': 'm1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'weight': 1.5, 'admin_state_up': null}]",
	    "members[0].weight: expected an integer, got real number", NULL);
}

static void
integer_too_large(void **state LB_UNUSED)
{
	invalid(BASE ", 'lbproxy': {'maxconn': 99999999999}",
	    "lbproxy.maxconn: 99999999999 is out of range", NULL);
}

/* ------------------------------------------------------------ pool */

static void
pool_method(void **state LB_UNUSED)
{
	struct lb_config *c;

	invalid(VIP ", 'pool': {'id': 'p1', 'protocol': 'HTTP'}",
	    "pool.lb_method: missing (required)", NULL);
	invalid(VIP ", 'pool': {'protocol': 'HTTP', 'lb_method': 'RANDOM'}",
	    "pool.id: missing (required)",
	    "pool.lb_method: \"RANDOM\" is not one of ROUND_ROBIN, "
	    "LEAST_CONNECTIONS, SOURCE_IP", NULL);
	c = valid(VIP ", 'pool': {'id': 'p1', 'lb_method': 'SOURCE_IP', "
	    "'admin_state_up': false}");
	assert_int_equal(c->pools[0].method, LB_METHOD_SOURCE_IP);
	assert_false(c->pools[0].admin_state_up);
	assert_int_equal(c->pools[0].n_members, 0);
	lb_config_free(c);
	c = valid(VIP ", 'pool': {'id': 'p1', 'lb_method': 'LEAST_CONNECTIONS'}");
	assert_int_equal(c->pools[0].method, LB_METHOD_LEAST_CONNECTIONS);
	lb_config_free(c);
}

static void
pool_protocol_default(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(VIP ", 'pool': {'id': 'p1', 'lb_method': 'ROUND_ROBIN'}");
	assert_int_equal(c->pools[0].protocol, LB_PROTO_HTTP);
	lb_config_free(c);
	c = valid(TCPVIP ", 'pool': {'id': 'p1', 'lb_method': 'ROUND_ROBIN'}");
	assert_int_equal(c->pools[0].protocol, LB_PROTO_TCP);
	lb_config_free(c);
	c = valid("'pool': {'id': 'p1', 'lb_method': 'ROUND_ROBIN'}, 'vip': "
	    "{'id': 'v1', 'address': '127.0.0.1', 'protocol_port': 443, "
	    "'protocol': 'HTTPS'}");
	assert_int_equal(c->pools[0].protocol, LB_PROTO_HTTPS);
	lb_config_free(c);
}

static void
pool_protocol_compat(void **state LB_UNUSED)
{
	invalid(POOL ", " TCPVIP,
	    "pool.protocol: HTTP does not fit a TCP VIP (use TCP)", NULL);
	invalid(TCPPOOL ", " VIP,
	    "pool.protocol: TCP does not fit an HTTP VIP (use HTTP)", NULL);
	invalid("'pool': {'id': 'p1', 'protocol': 'HTTPS', 'lb_method': "
	    "'ROUND_ROBIN'}, " VIP,
	    "pool.protocol: HTTPS does not fit an HTTP VIP (use HTTP)", NULL);
	invalid(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 443, 'protocol': 'HTTPS'}",
	    "pool.protocol: HTTP does not fit a TLS passthrough VIP (use HTTPS "
	    "or TCP, or give vip.tls.certificate_file to terminate TLS)", NULL);
	invalid(TCPPOOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 443, 'protocol': 'HTTPS', "
	    "'tls': {'certificate_file': 'cert.pem'}}",
	    "pool.protocol: TCP does not fit a TLS-terminating VIP (use HTTP or "
	    "HTTPS; members get plain HTTP)", NULL);
	invalid("'pool': {'id': 'p1', 'protocol': 'UDP', 'lb_method': "
	    "'ROUND_ROBIN'}, " VIP,
	    "pool.protocol: \"UDP\" is not one of TCP, HTTP, HTTPS", NULL);
}

/* ------------------------------------------------------------ members */

static void
member_weight_range(void **state LB_UNUSED)
{
	struct lb_config *c;

	invalid(POOL ", " VIP ", 'members': ["
	    "{'id': 'm0', 'address': '127.0.0.1', 'protocol_port': 81}, "
	    "{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 82, 'weight': -1}, "
	    "{'id': 'm2', 'address': '127.0.0.1', 'protocol_port': 83, 'weight': 300}]",
	    "members[1].weight: -1 is out of range 0..256",
	    "members[2].weight: 300 is out of range 0..256", NULL);
	c = valid(POOL ", " VIP ", 'members': ["
	    "{'id': 'm0', 'address': '127.0.0.1', 'protocol_port': 81, 'weight': 0}, "
	    "{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 82, 'weight': 256, "
	    "'admin_state_up': false}]");
	assert_int_equal(c->pools[0].members[0].weight, 0);
	assert_int_equal(c->pools[0].members[1].weight, 256);
	assert_false(c->pools[0].members[1].admin_state_up);
	lb_config_free(c);
}

static void
member_required(void **state LB_UNUSED)
{
	invalid(POOL ", " VIP ", 'members': [{}]",
	    "members[0].id: missing (required)",
	    "members[0].address: missing (required)",
	    "members[0].protocol_port: missing (required)", NULL);
	invalid(POOL ", " VIP ", 'members': [{'id': 'm0', 'address': '127.0.0.1', "
	    "'protocol_port': 70000}]",
	    "members[0].protocol_port: 70000 is out of range 1..65535", NULL);
}

static void
member_duplicate_id(void **state LB_UNUSED)
{
	invalid(POOL ", " VIP ", 'members': ["
	    "{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 81}, "
	    "{'id': 'm2', 'address': '127.0.0.1', 'protocol_port': 82}, "
	    "{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 83}]",
	    "members[2].id: \"m1\" is already used by members[0]", NULL);
}

static void
member_duplicate_address(void **state LB_UNUSED)
{
	struct lb_config *c;

	invalid(POOL ", " VIP ", 'members': ["
	    "{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 81}, "
	    "{'id': 'm2', 'address': '127.0.0.1', 'protocol_port': 81}]",
	    "members[1]: 127.0.0.1:81 is already used by members[0]", NULL);
	/* the same IPv6 address written two ways */
	invalid(POOL ", " VIP ", 'members': ["
	    "{'id': 'm1', 'address': '::1', 'protocol_port': 81}, "
	    "{'id': 'm2', 'address': '0:0::1', 'protocol_port': 81}]",
	    "members[1]: [::1]:81 is already used by members[0]", NULL);
	/* same address, other port: fine */
	c = valid(POOL ", " VIP ", 'members': ["
	    "{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 81}, "
	    "{'id': 'm2', 'address': '127.0.0.1', 'protocol_port': 82}]");
	lb_config_free(c);
}

static void
member_address_invalid(void **state LB_UNUSED)
{
	invalid(POOL ", " VIP ", 'members': ["
	    "{'id': 'm1', 'address': 'backend.example', 'protocol_port': 81}, "
	    "{'id': 'm2', 'address': '0.0.0.0', 'protocol_port': 81}]",
	    "members[0].address: \"backend.example\" is not an IPv4 or IPv6 address",
	    "members[1].address: \"0.0.0.0\" is the unspecified address", NULL);
}

static void
member_not_object(void **state LB_UNUSED)
{
	/* indexes in messages stay those of the file */
	invalid(POOL ", " VIP ", 'members': ['m0', "
	    "{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 81}, "
	    "{'id': 'm2', 'address': '127.0.0.1', 'protocol_port': 82, 'weight': 300}]",
	    "members[0]: expected an object, got string",
	    "members[2].weight: 300 is out of range 0..256", NULL);
	invalid(POOL ", " VIP ", 'members': {}",
	    "members: expected an array, got object", NULL);
}

/* ------------------------------------------------------------ persistence */

static void
persist_none(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(POOL ", " MEMBERS ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'HTTP', 'session_persistence': {}}");
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_NONE);
	lb_config_free(c);
	c = valid(POOL ", " MEMBERS ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'HTTP', 'session_persistence': null}");
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_NONE);
	lb_config_free(c);
}

static void
persist_types(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(TCPPOOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'TCP', "
	    "'session_persistence': {'type': 'SOURCE_IP'}}");
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_SOURCE_IP);
	lb_config_free(c);
	c = valid(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'HTTP', "
	    "'session_persistence': {'type': 'HTTP_COOKIE'}}");
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_HTTP_COOKIE);
	assert_string_equal(c->pools[0].persist.cookie_name, "SRV");
	lb_config_free(c);
	c = valid(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'HTTP', 'session_persistence': "
	    "{'type': 'APP_COOKIE', 'cookie_name': 'JSESSIONID'}}");
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_APP_COOKIE);
	assert_string_equal(c->pools[0].persist.cookie_name, "JSESSIONID");
	lb_config_free(c);
}

static void
persist_app_cookie_needs_name(void **state LB_UNUSED)
{
	invalid(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'HTTP', "
	    "'session_persistence': {'type': 'APP_COOKIE'}}",
	    "vip.session_persistence.cookie_name: missing (required for APP_COOKIE)",
	    NULL);
	invalid(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'HTTP', 'session_persistence': "
	    "{'type': 'APP_COOKIE', 'cookie_name': 'a b'}}",
	    "vip.session_persistence.cookie_name: \"a b\" is not a valid cookie name",
	    NULL);
}

static void
persist_unknown(void **state LB_UNUSED)
{
	invalid(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'HTTP', "
	    "'session_persistence': {'type': 'URL'}}",
	    "vip.session_persistence.type: \"URL\" is not one of SOURCE_IP, "
	    "HTTP_COOKIE, APP_COOKIE", NULL);
}

/* s must load with exactly one warning containing msg; returns the config. */
static struct lb_config *
warned(const char *s, const char *msg)
{
	struct lb_diag d = { 0 };
	struct lb_config *conf = load(s, &d);

	if (conf == NULL || d.n != 0 || d.nwarn != 1) {
		dump(&d);
		fail_msg("expected a valid config with one warning");
	}
	assert_warn(&d, msg);
	lb_diag_fini(&d);
	return conf;
}

/* Neutron's HAProxy driver ignored cookie persistence on L4 VIPs: warned, ignored (15.9) */
static void
persist_needs_http(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = warned(TCPPOOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'TCP', "
	    "'session_persistence': {'type': 'HTTP_COOKIE'}}",
	    "vip.session_persistence.type: HTTP_COOKIE ignored: the TCP VIP "
	    "relays bytes (it needs HTTP)");
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_NONE);
	lb_config_free(c);
	c = warned(TCPPOOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 443, 'protocol': 'HTTPS', 'session_persistence': "
	    "{'type': 'APP_COOKIE', 'cookie_name': 'S'}}",
	    "vip.session_persistence.type: APP_COOKIE ignored: the TLS passthrough "
	    "VIP relays bytes (it needs HTTP)");
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_NONE);
	lb_config_free(c);
	/* SOURCE_IP works on any VIP */
	c = valid(TCPPOOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'TCP', "
	    "'session_persistence': {'type': 'SOURCE_IP'}}");
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_SOURCE_IP);
	lb_config_free(c);
}

/* ------------------------------------------------------------ health monitors */

static void
hm_defaults(void **state LB_UNUSED)
{
	struct lb_config *c = valid(BASE ", 'healthmonitors': [{'id': 'h1', " HM "}]");

	assert_non_null(c->pools[0].hm);
	assert_string_equal(c->pools[0].hm->id, "h1");
	assert_int_equal(c->pools[0].hm->type, LB_HM_HTTP);
	assert_int_equal(c->pools[0].hm->delay, 5);
	assert_int_equal(c->pools[0].hm->timeout, 3);
	assert_int_equal(c->pools[0].hm->max_retries, 3);
	assert_string_equal(c->pools[0].hm->http_method, "GET");
	assert_string_equal(c->pools[0].hm->url_path, "/");
	assert_string_equal(c->pools[0].hm->expected_codes, "200");
	assert_int_equal(c->pools[0].hm->n_codes, 1);
	assert_true(lb_codes_match(c->pools[0].hm->codes, c->pools[0].hm->n_codes, 200));
	assert_false(lb_codes_match(c->pools[0].hm->codes, c->pools[0].hm->n_codes, 204));
	assert_true(c->pools[0].hm->admin_state_up);
	lb_config_free(c);
}

static void
hm_first_admin_up(void **state LB_UNUSED)
{
	struct lb_config *c = valid(BASE ", 'healthmonitors': ["
	    "{'id': 'h0', 'type': 'PING', 'delay': 1, 'timeout': 1, "
	    "'max_retries': 1, 'admin_state_up': false}, "
	    "{'id': 'h1', 'type': 'HTTPS', 'delay': 10, 'timeout': 10, "
	    "'max_retries': 10, 'http_method': 'HEAD', 'url_path': '/health?x=1', "
	    "'expected_codes': '200-299,301'}, "
	    "{'id': 'h2', 'type': 'TCP', 'delay': 2, 'timeout': 1, 'max_retries': 2}]");

	assert_non_null(c->pools[0].hm);
	assert_string_equal(c->pools[0].hm->id, "h1");
	assert_int_equal(c->pools[0].hm->type, LB_HM_HTTPS);
	assert_string_equal(c->pools[0].hm->http_method, "HEAD");
	assert_string_equal(c->pools[0].hm->url_path, "/health?x=1");
	assert_int_equal(c->pools[0].hm->n_codes, 2);
	assert_true(lb_codes_match(c->pools[0].hm->codes, c->pools[0].hm->n_codes, 250));
	assert_true(lb_codes_match(c->pools[0].hm->codes, c->pools[0].hm->n_codes, 301));
	assert_false(lb_codes_match(c->pools[0].hm->codes, c->pools[0].hm->n_codes, 302));
	lb_config_free(c);
}

static void
hm_all_down(void **state LB_UNUSED)
{
	struct lb_config *c = valid(BASE ", 'healthmonitors': [{" HM
	    ", 'admin_state_up': false}]");

	assert_null(c->pools[0].hm);
	lb_config_free(c);
}

static void
hm_timeout_le_delay(void **state LB_UNUSED)
{
	invalid(BASE ", 'healthmonitors': [{'type': 'TCP', 'delay': 5, "
	    "'timeout': 10, 'max_retries': 3}]",
	    "healthmonitors[0].timeout: 10 must not exceed delay (5)", NULL);
}

static void
hm_max_retries_range(void **state LB_UNUSED)
{
	invalid(BASE ", 'healthmonitors': ["
	    "{'type': 'TCP', 'delay': 5, 'timeout': 1, 'max_retries': 0}, "
	    "{'type': 'TCP', 'delay': 5, 'timeout': 1, 'max_retries': 11}]",
	    "healthmonitors[0].max_retries: 0 is out of range 1..10",
	    "healthmonitors[1].max_retries: 11 is out of range 1..10", NULL);
}

static void
hm_required(void **state LB_UNUSED)
{
	invalid(BASE ", 'healthmonitors': [{}]",
	    "healthmonitors[0].type: missing (required)",
	    "healthmonitors[0].delay: missing (required)",
	    "healthmonitors[0].timeout: missing (required)",
	    "healthmonitors[0].max_retries: missing (required)", NULL);
	invalid(BASE ", 'healthmonitors': [{'type': 'UDP', 'delay': 0, "
	    "'timeout': 0, 'max_retries': 1}]",
	    "healthmonitors[0].type: \"UDP\" is not one of PING, TCP, HTTP, HTTPS, TLS-HELLO",
	    "healthmonitors[0].delay: 0 is out of range 1..86400",
	    "healthmonitors[0].timeout: 0 is out of range 1..86400", NULL);
}

static void
hm_http_fields(void **state LB_UNUSED)
{
	/* checked even on a monitor that is admin-down */
	invalid(BASE ", 'healthmonitors': [{" HM ", 'admin_state_up': false, "
	    "'http_method': 'G T', 'url_path': 'health', 'expected_codes': '2xx'}]",
	    "healthmonitors[0].http_method: \"G T\" is not an HTTP method",
	    "healthmonitors[0].url_path: \"health\" is not a path starting with "
	    "\"/\" without spaces",
	    "healthmonitors[0].expected_codes: \"2xx\" is not a list of status "
	    "codes like \"200\", \"200,202\" or \"200-299\"", NULL);
}

/* ------------------------------------------------------------ expected_codes */

/* lb_codes_parse(s) must give exactly the n ranges in want. */
static void
codes_ok(const char *s, const struct lb_code_range *want, size_t n)
{
	struct lb_code_range *r;
	size_t i, nr;

	if (lb_codes_parse(s, &r, &nr) == -1)
		fail_msg("\"%s\" did not parse", s);
	assert_int_equal(nr, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(r[i].lo, want[i].lo);
		assert_int_equal(r[i].hi, want[i].hi);
	}
	free(r);
}

static void
codes_parse_valid(void **state LB_UNUSED)
{
	static const struct lb_code_range one[] = { { 200, 200 } };
	static const struct lb_code_range two[] = { { 200, 200 }, { 202, 202 } };
	static const struct lb_code_range range[] = { { 200, 299 } };
	static const struct lb_code_range mixed[] = { { 200, 204 }, { 301, 301 } };
	static const struct lb_code_range edge[] = { { 100, 599 } };

	codes_ok("200", one, 1);
	codes_ok(" 200 ", one, 1);
	codes_ok("200,202", two, 2);
	codes_ok("200, 202", two, 2);
	codes_ok("200 202", two, 2);		/* Contrail's separator */
	codes_ok("200-299", range, 1);
	codes_ok("200 - 299", range, 1);
	codes_ok("200-204,301", mixed, 2);
	codes_ok("100-599", edge, 1);
}

static void
codes_parse_invalid(void **state LB_UNUSED)
{
	static const char *const bad[] = { "", " ", "abc", "2xx", "20", "2000",
	    "099", "600", "200-", "-200", "299-200", "200,", ",200", "200,,202",
	    "200;202", "200-250-299", "+200" };
	struct lb_code_range *r;
	size_t i, n;

	for (i = 0; i < LB_ARRAY_SIZE(bad); i++) {
		r = (void *)1;
		n = 7;
		if (lb_codes_parse(bad[i], &r, &n) != -1)
			fail_msg("\"%s\" parsed", bad[i]);
		assert_null(r);
		assert_int_equal(n, 0);
	}
	assert_int_equal(lb_codes_parse(NULL, &r, &n), -1);
}

static void
codes_match(void **state LB_UNUSED)
{
	struct lb_code_range *r;
	size_t n;

	assert_int_equal(lb_codes_parse("200-204,301,404", &r, &n), 0);
	assert_true(lb_codes_match(r, n, 200));
	assert_true(lb_codes_match(r, n, 204));
	assert_false(lb_codes_match(r, n, 205));
	assert_true(lb_codes_match(r, n, 301));
	assert_false(lb_codes_match(r, n, 300));
	assert_true(lb_codes_match(r, n, 404));
	assert_false(lb_codes_match(r, n, 500));
	assert_false(lb_codes_match(NULL, 0, 200));
	free(r);
}

/* ------------------------------------------------------------ TLS */

static void
https_terminate(void **state LB_UNUSED)
{
	struct lb_config *c = valid(POOL ", " MEMBERS ", 'vip': {'id': 'v1', "
	    "'address': '127.0.0.1', 'protocol_port': 8443, 'protocol': 'HTTPS', "
	    "'tls': {'certificate_file': 'cert.pem', 'private_key_file': "
	    "'./key.pem', 'sni_certificate_files': ['sni.pem'], "
	    "'ciphers': 'ECDHE+AESGCM', 'ciphersuites': 'TLS_AES_128_GCM_SHA256'}}");
	char want[256];

	assert_true(c->listeners[0].has_tls);
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_TERMINATE);
	assert_true(c->listeners[0].http);
	assert_string_equal(c->listeners[0].tls.certificate_file, tmpfile_path("cert.pem"));
	snprintf(want, sizeof(want), "%s", tmpfile_path("key.pem"));
	assert_string_equal(c->listeners[0].tls.private_key_file, want);
	assert_int_equal(c->listeners[0].tls.n_sni, 1);
	assert_string_equal(c->listeners[0].tls.sni_certificate_files[0],
	    tmpfile_path("sni.pem"));
	assert_string_equal(c->listeners[0].tls.ciphers, "ECDHE+AESGCM");
	assert_string_equal(c->listeners[0].tls.ciphersuites, "TLS_AES_128_GCM_SHA256");
	assert_false(c->listeners[0].tls.passthrough_requested);
	assert_int_equal(c->pools[0].protocol, LB_PROTO_HTTP);
	lb_config_free(c);

	/* members get plain HTTP even when the pool says HTTPS (Neutron v1) */
	c = valid("'pool': {'id': 'p1', 'protocol': 'HTTPS', 'lb_method': "
	    "'ROUND_ROBIN'}, 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 443, 'protocol': 'HTTPS', "
	    "'tls': {'certificate_file': '" "cert.pem" "'}}");
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_TERMINATE);
	lb_config_free(c);
}

static void
https_passthrough_without_cert(void **state LB_UNUSED)
{
	struct lb_config *c = valid("'pool': {'id': 'p1', 'protocol': 'HTTPS', "
	    "'lb_method': 'ROUND_ROBIN'}, 'vip': {'id': 'v1', 'address': "
	    "'127.0.0.1', 'protocol_port': 443, 'protocol': 'HTTPS'}");

	assert_false(c->listeners[0].has_tls);
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_PASSTHROUGH);
	assert_false(c->listeners[0].http);
	lb_config_free(c);
}

static void
https_passthrough_mode(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	struct lb_config *c = load(TCPPOOL ", 'vip': {'id': 'v1', 'address': "
	    "'127.0.0.1', 'protocol_port': 443, 'protocol': 'HTTPS', 'tls': "
	    "{'mode': 'passthrough', 'certificate_file': 'cert.pem'}}", &d);

	assert_non_null(c);
	assert_int_equal(d.n, 0);
	assert_warn(&d, "vip.tls.certificate_file: ignored: vip.tls.mode is "
	    "passthrough");
	assert_true(c->listeners[0].tls.passthrough_requested);
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_PASSTHROUGH);
	assert_false(c->listeners[0].http);
	lb_config_free(c);
	lb_diag_fini(&d);
}

static void
http_cert_on_443(void **state LB_UNUSED)
{
	struct lb_config *c = valid(POOL ", 'vip': {'id': 'v1', 'address': "
	    "'127.0.0.1', 'protocol_port': 443, 'protocol': 'HTTP', "
	    "'tls': {'certificate_file': 'cert.pem'}}");

	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_TERMINATE);
	assert_true(c->listeners[0].http);
	lb_config_free(c);
}

static void
http_cert_elsewhere_ignored(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	struct lb_config *c = load(POOL ", 'vip': {'id': 'v1', 'address': "
	    "'127.0.0.1', 'protocol_port': 8443, 'protocol': 'HTTP', "
	    "'tls': {'certificate_file': 'missing.pem'}}", &d);

	/* an unused certificate is not opened, so a missing one is no error */
	assert_non_null(c);
	assert_int_equal(d.n, 0);
	assert_warn(&d, "vip.tls.certificate_file: ignored: an HTTP VIP terminates "
	    "TLS only on port 443 (use protocol HTTPS)");
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_NONE);
	assert_true(c->listeners[0].http);
	lb_config_free(c);
	lb_diag_fini(&d);
}

static void
tcp_is_l4(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	struct lb_config *c = valid(TCPPOOL ", " TCPVIP);

	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_NONE);
	assert_false(c->listeners[0].http);
	lb_config_free(c);

	c = load(TCPPOOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 443, 'protocol': 'TCP', "
	    "'tls': {'certificate_file': 'cert.pem'}}", &d);
	assert_non_null(c);
	assert_warn(&d, "vip.tls.certificate_file: ignored: a TCP VIP relays bytes "
	    "(use protocol HTTPS to terminate TLS)");
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_NONE);
	lb_config_free(c);
	lb_diag_fini(&d);
}

static void
http_passthrough_refused(void **state LB_UNUSED)
{
	invalid(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'HTTP', 'tls': {'mode': 'passthrough'}}",
	    "vip.tls.mode: passthrough needs vip.protocol HTTPS or TCP", NULL);
}

static void
tls_missing_file(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	char want[512];

	assert_null(load(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 443, 'protocol': 'HTTPS', 'tls': {"
	    "'certificate_file': 'nope.pem', 'private_key_file': '/nonexistent/k.pem', "
	    "'sni_certificate_files': ['sni.pem', 'nosni.pem']}}", &d));
	snprintf(want, sizeof(want), "vip.tls.certificate_file: %s: No such file "
	    "or directory", tmpfile_path("nope.pem"));
	assert_err(&d, want);
	assert_err(&d, "vip.tls.private_key_file: /nonexistent/k.pem: No such file "
	    "or directory");
	snprintf(want, sizeof(want), "vip.tls.sni_certificate_files[1]: %s: No "
	    "such file or directory", tmpfile_path("nosni.pem"));
	assert_err(&d, want);
	assert_int_equal(d.n, 3);
	lb_diag_fini(&d);
}

static void
tls_not_a_file(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	char want[512];

	assert_int_equal(mkdir(tmpfile_path("adir"), 0700), 0);
	assert_null(load(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 443, 'protocol': 'HTTPS', "
	    "'tls': {'certificate_file': 'adir'}}", &d));
	snprintf(want, sizeof(want), "vip.tls.certificate_file: %s: not a regular "
	    "file", tmpfile_path("adir"));
	assert_err(&d, want);
	lb_diag_fini(&d);
}

static void
tls_unreadable(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	char want[512];

	if (geteuid() == 0)
		skip();		/* root reads everything */
	write_file("noread.pem", "x");
	assert_int_equal(chmod(tmpfile_path("noread.pem"), 0), 0);
	assert_null(load(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 443, 'protocol': 'HTTPS', "
	    "'tls': {'certificate_file': 'noread.pem'}}", &d));
	snprintf(want, sizeof(want), "vip.tls.certificate_file: %s: Permission "
	    "denied", tmpfile_path("noread.pem"));
	assert_err(&d, want);
	lb_diag_fini(&d);
}

static void
tls_names(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 443, 'protocol': 'HTTPS', 'tls': {"
	    "'certificate_file': 'cert.pem', 'min_version': 'TLSv1.3', "
	    "'mode': 'terminate'}}");
	assert_int_equal(c->listeners[0].tls.min_version, 0x0304);
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_TERMINATE);
	lb_config_free(c);
	invalid(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 443, 'protocol': 'HTTPS', 'tls': {"
	    "'certificate_file': 'cert.pem', 'min_version': 'SSLv3', "
	    "'mode': 'offload'}}",
	    "vip.tls.min_version: \"SSLv3\" is not one of TLSv1.2, TLSv1.3",
	    "vip.tls.mode: \"offload\" is not one of terminate, passthrough", NULL);
}

static void
tls_needs_certificate(void **state LB_UNUSED)
{
	invalid("'pool': {'id': 'p1', 'protocol': 'HTTPS', 'lb_method': "
	    "'ROUND_ROBIN'}, 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 443, 'protocol': 'HTTPS', 'tls': {"
	    "'private_key_file': 'key.pem', 'sni_certificate_files': ['sni.pem']}}",
	    "vip.tls.private_key_file: needs vip.tls.certificate_file",
	    "vip.tls.sni_certificate_files: needs vip.tls.certificate_file "
	    "(the default certificate)", NULL);
	invalid(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 443, 'protocol': 'HTTPS', 'tls': {"
	    "'certificate_file': 'cert.pem', 'sni_certificate_files': ['sni.pem', 3]}}",
	    "vip.tls.sni_certificate_files[1]: expected a string, got integer", NULL);
}

/* ------------------------------------------------------------ lbproxy block */

static void
lbproxy_block(void **state LB_UNUSED)
{
	struct lb_config *c = valid(BASE ", 'lbproxy': {"
	    "'stats_socket': '/run/lbproxy/p1.sock', 'stats_socket_mode': '0666', "
	    "'pid_file': 'run/lbproxy.pid', 'workers': 4, 'maxconn': 20000, "
	    "'timeouts_ms': {'connect': 1, 'client': 2, 'server': 3, "
	    "'http_request': 4, 'http_keep_alive': 5, 'tls_handshake': 6, "
	    "'drain': 7}, 'retries': 0, 'redispatch': false, "
	    "'insert_headers': {'X-Forwarded-For': false, 'X-Forwarded-Proto': "
	    "false, 'X-Forwarded-Port': true}, "
	    "'health': {'rise': 5, 'jitter_pct': 0, 'fail_open': true}, "
	    "'limits': {'max_header_lines': 50, 'max_header_bytes': 8192, "
	    "'max_uri_bytes': 1024}, "
	    "'log': {'target': 'syslog', 'level': 'debug', 'access_log': true}, "
	    "'metrics': {'listen': '127.0.0.1:9101'}}");
	struct sockaddr_in *sin = (struct sockaddr_in *)&c->metrics_addr;

	assert_string_equal(c->stats_socket, "/run/lbproxy/p1.sock");
	assert_int_equal(c->stats_socket_mode, 0666);
	assert_string_equal(c->pid_file, tmpfile_path("run/lbproxy.pid"));
	assert_int_equal(c->workers, 4);
	assert_int_equal(c->maxconn, 20000);
	assert_int_equal(c->timeouts.connect, 1);
	assert_int_equal(c->timeouts.client, 2);
	assert_int_equal(c->timeouts.server, 3);
	assert_int_equal(c->timeouts.http_request, 4);
	assert_int_equal(c->timeouts.http_keep_alive, 5);
	assert_int_equal(c->timeouts.tls_handshake, 6);
	assert_int_equal(c->timeouts.drain, 7);
	assert_int_equal(c->retries, 0);
	assert_false(c->redispatch);
	assert_false((bool)(c->listeners[0].insert & LB_HDR_XFF));
	assert_false((bool)(c->listeners[0].insert & LB_HDR_XFPROTO));
	assert_true((bool)(c->listeners[0].insert & LB_HDR_XFPORT));
	assert_int_equal(c->health_rise, 5);
	assert_int_equal(c->health_jitter_pct, 0);
	assert_true(c->health_fail_open);
	assert_int_equal(c->max_header_lines, 50);
	assert_int_equal(c->max_header_bytes, 8192);
	assert_int_equal(c->max_uri_bytes, 1024);
	assert_int_equal(c->log_target, LB_LOG_SYSLOG);
	assert_int_equal(c->log_level, LB_LOG_DEBUG);
	assert_true(c->access_log);
	assert_string_equal(c->metrics_listen, "127.0.0.1:9101");
	assert_int_equal(c->metrics_addr.len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(sin->sin_port), 9101);
	lb_config_free(c);
}

static void
timeouts_positive(void **state LB_UNUSED)
{
	static const char *const keys[] = { "connect", "client", "server",
	    "http_request", "http_keep_alive", "tls_handshake", "drain" };
	char json[512], want[128];
	size_t i;

	for (i = 0; i < LB_ARRAY_SIZE(keys); i++) {
		snprintf(json, sizeof(json), BASE ", 'lbproxy': {'timeouts_ms': "
		    "{'%s': 0}}", keys[i]);
		snprintf(want, sizeof(want), "lbproxy.timeouts_ms.%s: 0 must be "
		    "1 or more", keys[i]);
		invalid(json, want, NULL);
	}
}

static void
settings_ranges(void **state LB_UNUSED)
{
	invalid(BASE ", 'lbproxy': {'workers': 2000, 'maxconn': -1, "
	    "'retries': -1, 'health': {'rise': 0, 'jitter_pct': 101}, "
	    "'limits': {'max_header_lines': 0, 'max_header_bytes': 100, "
	    "'max_uri_bytes': 2000000, 'max_body_bytes': -1}}",
	    "lbproxy.workers: 2000 is out of range 0..1024",
	    "lbproxy.maxconn: -1 must be 0 or more",
	    "lbproxy.retries: -1 is out of range 0..100",
	    "lbproxy.health.rise: 0 is out of range 1..10",
	    "lbproxy.health.jitter_pct: 101 is out of range 0..100",
	    "lbproxy.limits.max_header_lines: 0 is out of range 1..10000",
	    "lbproxy.limits.max_header_bytes: 100 is out of range 1024..1048576",
	    "lbproxy.limits.max_uri_bytes: 2000000 is out of range 64..1048576",
	    "lbproxy.limits.max_body_bytes: -1 must be 0 or more",
	    NULL);
}

static void
stats_socket_mode(void **state LB_UNUSED)
{
	struct lb_config *c = valid(BASE ", 'lbproxy': {'stats_socket_mode': '600'}");

	assert_int_equal(c->stats_socket_mode, 0600);
	lb_config_free(c);
	invalid(BASE ", 'lbproxy': {'stats_socket_mode': '0999'}",
	    "lbproxy.stats_socket_mode: \"0999\" is not an octal mode like \"0660\"",
	    NULL);
	invalid(BASE ", 'lbproxy': {'stats_socket_mode': '07777'}",
	    "lbproxy.stats_socket_mode: \"07777\" is not an octal mode like \"0660\"",
	    NULL);
	invalid(BASE ", 'lbproxy': {'stats_socket_mode': ''}",
	    "lbproxy.stats_socket_mode: \"\" is not an octal mode like \"0660\"",
	    NULL);
	invalid(BASE ", 'lbproxy': {'stats_socket_mode': 438}",
	    "lbproxy.stats_socket_mode: expected a string, got integer", NULL);
}

static void
relative_paths(void **state LB_UNUSED)
{
	struct lb_config *c = valid(BASE ", 'lbproxy': {'stats_socket': "
	    "'./run/sock', 'pid_file': '/run/p1.pid', 'log': {'target': "
	    "'log/lbproxy.log'}}");

	assert_string_equal(c->stats_socket, tmpfile_path("run/sock"));
	assert_string_equal(c->pid_file, "/run/p1.pid");
	assert_int_equal(c->log_target, LB_LOG_FILE);
	assert_string_equal(c->log_file, tmpfile_path("log/lbproxy.log"));
	lb_config_free(c);
	invalid(BASE ", 'lbproxy': {'stats_socket': '', 'pid_file': ''}",
	    "lbproxy.stats_socket: must not be empty",
	    "lbproxy.pid_file: must not be empty", NULL);
}

static void
relative_config_path(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	const char *json = "{\"pool\": {\"id\": \"p\", \"lb_method\": "
	    "\"ROUND_ROBIN\"}, \"vip\": {\"id\": \"v\", \"address\": \"::\", "
	    "\"protocol_port\": 80, \"protocol\": \"TCP\"}}";
	struct lb_config *c;
	char *cwd = getcwd(NULL, 0), want[4200];

	assert_non_null(cwd);
	c = lb_config_parse(json, strlen(json), "pool.json", &d);
	assert_non_null(c);
	assert_string_equal(c->dir, cwd);
	lb_config_free(c);
	c = lb_config_parse(json, strlen(json), "./sub/pool.json", &d);
	assert_non_null(c);
	snprintf(want, sizeof(want), "%s/sub/sock", strcmp(cwd, "/") == 0 ? "" : cwd);
	assert_string_equal(c->stats_socket, want);
	lb_config_free(c);
	c = lb_config_parse(json, strlen(json), NULL, &d);
	assert_non_null(c);
	assert_string_equal(c->path, "-");
	assert_string_equal(c->dir, cwd);
	lb_config_free(c);
	assert_int_equal(d.n, 0);
	free(cwd);
}

static void
stats_socket_too_long(void **state LB_UNUSED)
{
	struct sockaddr_un sun;
	char json[1024], want[1024], path[300];

	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[sizeof(sun.sun_path)] = '\0';
	snprintf(json, sizeof(json), BASE ", 'lbproxy': {'stats_socket': '%s'}", path);
	snprintf(want, sizeof(want), "lbproxy.stats_socket: %s is longer than a "
	    "Unix socket path can be (%zu bytes)", path, sizeof(sun.sun_path) - 1);
	invalid(json, want, NULL);
}

static void
log_target_level(void **state LB_UNUSED)
{
	struct lb_config *c = valid(BASE ", 'lbproxy': {'log': {'target': "
	    "'stderr', 'level': 'warning'}}");

	assert_int_equal(c->log_target, LB_LOG_STDERR);
	assert_int_equal(c->log_level, LB_LOG_WARN);
	lb_config_free(c);
	invalid(BASE ", 'lbproxy': {'log': {'target': 'sylog', 'level': 'loud', "
	    "'access_log': 'yes'}}",
	    "lbproxy.log.target: \"sylog\" is not one of stderr, syslog or a file "
	    "path (with a \"/\")",
	    "lbproxy.log.level: \"loud\" is not one of err, warning, notice, info, "
	    "debug",
	    "lbproxy.log.access_log: expected a boolean, got string", NULL);
}

static void
metrics_listen(void **state LB_UNUSED)
{
	static const char *const bad[] = { "localhost:9101", "127.0.0.1",
	    "::1:9101", "[::1]", "[::1]:", "127.0.0.1:0", "127.0.0.1:65536",
	    "127.0.0.1:91a", ":9101", "[127.0.0.1:9101", "127.0.0.1:+80" };
	struct lb_config *c;
	char json[512], want[512];
	size_t i;

	c = valid(BASE ", 'lbproxy': {'metrics': {'listen': '[::1]:9101'}}");
	assert_int_equal(c->metrics_addr.ss.ss_family, AF_INET6);
	assert_int_equal(lb_addr_port((struct sockaddr *)&c->metrics_addr), 9101);
	lb_config_free(c);
	c = valid(BASE ", 'lbproxy': {'metrics': null}");
	assert_null(c->metrics_listen);
	lb_config_free(c);
	for (i = 0; i < LB_ARRAY_SIZE(bad); i++) {
		snprintf(json, sizeof(json), BASE ", 'lbproxy': {'metrics': "
		    "{'listen': '%s'}}", bad[i]);
		snprintf(want, sizeof(want), "lbproxy.metrics.listen: \"%s\" is "
		    "not \"address:port\" (like \"127.0.0.1:9101\" or "
		    "\"[::1]:9101\")", bad[i]);
		invalid(json, want, NULL);
	}
}

/* ------------------------------------------------------------ JSON level */

static void
unknown_keys_ignored(void **state LB_UNUSED)
{
	struct lb_config *c = valid("'pool': {'id': 'p1', 'lb_method': "
	    "'ROUND_ROBIN', 'tenant_id': 't', 'status': 'ACTIVE', 'members': ['m1']}, "
	    "'vip': {'id': 'v1', 'address': '127.0.0.1', 'protocol_port': 80, "
	    "'protocol': 'HTTP', 'subnet_id': 's', 'port': null, "
	    "'session_persistence': {'type': null, 'x': 1}, 'tls': {'y': []}}, "
	    "'members': [{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 81, "
	    "'status': 'ACTIVE', 'pool_id': 'p1'}], "
	    "'healthmonitors': [{" HM ", 'pools': []}], 'driver': 'haproxy', "
	    "'lbproxy': {'future': {'a': 1}, 'timeouts_ms': {'idle': 5}}");

	assert_int_equal(c->pools[0].n_members, 1);
	assert_true(c->listeners[0].has_tls);	/* an empty tls block is still a tls block */
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_NONE);
	lb_config_free(c);
}

static void
syntax_error_line_column(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	const char *json = "{\n  \"pool\": {\"id\": \"p1\"},\n  \"vip\": {\"id\" \"v1\"}\n}\n";

	assert_null(lb_config_parse(json, strlen(json), conf_path, &d));
	assert_int_equal(d.n, 1);
	if (!among_like(d.msgs, d.n, "line 3, column ", "expected")) {
		dump(&d);
		fail_msg("no line/column");
	}
	lb_diag_fini(&d);
	assert_null(lb_config_parse("", 0, conf_path, &d));
	assert_int_equal(d.n, 1);
	assert_true(strncmp(d.msgs[0], "line 1, column ", 15) == 0);
	lb_diag_fini(&d);
}

static void
top_level_not_object(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };

	assert_null(lb_config_parse("[1, 2]", 6, conf_path, &d));
	assert_err(&d, "top level: expected an object, got array");
	assert_int_equal(d.n, 1);
	lb_diag_fini(&d);
}

static void
duplicate_key(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };

	assert_null(load(BASE ", 'vip': {}", &d));
	assert_int_equal(d.n, 1);
	if (!among_like(d.msgs, d.n, "line 1, column ", "duplicate")) {
		dump(&d);
		fail_msg("duplicate key not reported");
	}
	lb_diag_fini(&d);
}

static void
errors_accumulate(void **state LB_UNUSED)
{
	/* one bad field per object, all reported with their paths */
	invalid("'pool': {'id': 'p1', 'lb_method': 'RR'}, "
	    "'vip': {'id': 'v1', 'address': '127.0.0.1', 'protocol_port': 80, "
	    "'protocol': 'FTP'}, "
	    "'members': [{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 81}, "
	    "{'id': 'm2', 'address': '127.0.0.1', 'protocol_port': 82}, "
	    "{'id': 'm3', 'address': '127.0.0.1', 'protocol_port': 83, 'weight': 300}], "
	    "'healthmonitors': [{'type': 'TCP', 'delay': 1, 'timeout': 2, "
	    "'max_retries': 3}], "
	    "'lbproxy': {'retries': 'x', 'log': {'level': 'loud'}}",
	    "pool.lb_method: \"RR\" is not one of ROUND_ROBIN, LEAST_CONNECTIONS, "
	    "SOURCE_IP",
	    "vip.protocol: \"FTP\" is not one of TCP, HTTP, HTTPS",
	    "members[2].weight: 300 is out of range 0..256",
	    "healthmonitors[0].timeout: 2 must not exceed delay (1)",
	    "lbproxy.retries: expected an integer, got string",
	    "lbproxy.log.level: \"loud\" is not one of err, warning, notice, info, "
	    "debug", NULL);
}

static void
control_chars_quoted(void **state LB_UNUSED)
{
	/* a value cannot break the one-line message */
	invalid(POOL ", " MEMBERS ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': 80, 'protocol': 'HT\\nTP\\\\'}",
	    "vip.protocol: \"HT\\x0aTP\\\\\" is not one of TCP, HTTP, HTTPS", NULL);
}

/* ------------------------------------------------------------ Contrail */

#define CONTRAIL_POOL "'pool': {'id': 'p1', 'protocol': 'HTTP', " \
	"'method': 'LEAST_CONNECTIONS', 'admin-state': true}"
#define CONTRAIL_MEMBERS "'members': [" \
	"{'id': 'm1', 'address': '127.0.0.1', 'port': 8081, 'weight': 2, " \
	"'admin-state': true}, " \
	"{'id': 'm2', 'address': '127.0.0.2', 'port': 8081, 'weight': 1, " \
	"'admin-state': false}]"

static void
contrail_dialect(void **state LB_UNUSED)
{
	struct lb_config *c = valid(CONTRAIL_POOL ", " CONTRAIL_MEMBERS ", "
	    "'vip': {'id': 'v1', 'address': '127.0.0.1', 'port': 80, "
	    "'protocol': 'HTTP', 'connection-limit': 1000, 'admin-state': true, "
	    "'persistence-type': 'APP_COOKIE', 'persistence-cookie-name': 'SID'}, "
	    "'healthmonitors': [{'id': 'h1', 'type': 'HTTP', 'delay': 5, "
	    "'timeout': 2, 'max-retries': 4, 'http-method': 'HEAD', "
	    "'url': '/ping', 'expected-codes': '200 204', 'admin-state': true}]");

	assert_int_equal(c->pools[0].method, LB_METHOD_LEAST_CONNECTIONS);
	assert_int_equal(c->listeners[0].port, 80);
	assert_int_equal(c->listeners[0].connection_limit, 1000);
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_APP_COOKIE);
	assert_string_equal(c->pools[0].persist.cookie_name, "SID");
	assert_int_equal(c->pools[0].members[0].port, 8081);
	assert_int_equal(c->pools[0].members[0].weight, 2);
	assert_false(c->pools[0].members[1].admin_state_up);
	assert_non_null(c->pools[0].hm);
	assert_int_equal(c->pools[0].hm->max_retries, 4);
	assert_string_equal(c->pools[0].hm->http_method, "HEAD");
	assert_string_equal(c->pools[0].hm->url_path, "/ping");
	assert_int_equal(c->pools[0].hm->n_codes, 2);
	lb_config_free(c);

	/* Contrail writes no persistence as null or "" */
	c = valid(CONTRAIL_POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'port': 80, 'protocol': 'HTTP', 'persistence-type': '', "
	    "'persistence-cookie-name': null}");
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_NONE);
	lb_config_free(c);
}

static void
contrail_messages_use_aliases(void **state LB_UNUSED)
{
	invalid("'pool': {'id': 'p1', 'method': 'RR'}, "
	    "'vip': {'id': 'v1', 'address': '127.0.0.1', 'port': 0, "
	    "'protocol': 'HTTP', 'connection-limit': -5, "
	    "'persistence-type': 'APP_COOKIE'}, "
	    "'members': [{'id': 'm1', 'address': '127.0.0.1', 'port': 81, "
	    "'admin-state': 'up'}], "
	    "'healthmonitors': [{'type': 'HTTP', 'delay': 5, 'timeout': 2, "
	    "'max-retries': 11, 'url': 'x', 'expected-codes': '2xx'}]",
	    "pool.method: \"RR\" is not one of ROUND_ROBIN, LEAST_CONNECTIONS, "
	    "SOURCE_IP",
	    "vip.port: 0 is out of range 1..65535",
	    "vip.connection-limit: -5 must be -1 or more",
	    "members[0].admin-state: expected a boolean, got string",
	    "healthmonitors[0].max-retries: 11 is out of range 1..10",
	    "healthmonitors[0].url: \"x\" is not a path starting with \"/\" "
	    "without spaces",
	    "healthmonitors[0].expected-codes: \"2xx\" is not a list of status "
	    "codes like \"200\", \"200,202\" or \"200-299\"", NULL);
	invalid(CONTRAIL_POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'port': 80, 'protocol': 'HTTP', 'persistence-type': 'NONE'}",
	    "vip.persistence-type: \"NONE\" is not one of SOURCE_IP, HTTP_COOKIE, "
	    "APP_COOKIE", NULL);
}

static void
contrail_alias_conflict(void **state LB_UNUSED)
{
	invalid(POOL ", 'vip': {'id': 'v1', 'address': '127.0.0.1', 'port': 81, "
	    "'protocol_port': 80, 'protocol': 'HTTP', 'persistence-type': "
	    "'SOURCE_IP', 'session_persistence': {'type': 'SOURCE_IP'}}",
	    "vip.port: given together with vip.protocol_port (use one)",
	    "vip.persistence-type: given together with "
	    "vip.session_persistence.type (use one)", NULL);
	invalid(POOL ", 'ssl-crt': 'cert.pem', 'vip': {'id': 'v1', 'address': "
	    "'127.0.0.1', 'protocol_port': 443, 'protocol': 'HTTPS', "
	    "'tls': {'certificate_file': 'cert.pem'}}",
	    "ssl-crt: given together with vip.tls.certificate_file (use one)", NULL);
}

static void
contrail_ssl_crt(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	struct lb_config *c = valid(CONTRAIL_POOL ", 'ssl-crt': 'cert.pem', "
	    "'vip': {'id': 'v1', 'address': '127.0.0.1', 'port': 443, "
	    "'protocol': 'HTTPS'}");
	char want[512];

	assert_true(c->listeners[0].has_tls);
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_TERMINATE);
	assert_true(c->listeners[0].http);
	assert_string_equal(c->listeners[0].tls.certificate_file, tmpfile_path("cert.pem"));
	lb_config_free(c);

	assert_null(load(CONTRAIL_POOL ", 'ssl-crt': 'gone.pem', 'vip': {'id': "
	    "'v1', 'address': '127.0.0.1', 'port': 443, 'protocol': 'HTTPS'}", &d));
	snprintf(want, sizeof(want), "ssl-crt: %s: No such file or directory",
	    tmpfile_path("gone.pem"));
	assert_err(&d, want);
	lb_diag_fini(&d);
}

static void
contrail_custom_attributes(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	struct lb_config *c = load(BASE ", 'custom-attributes': {"
	    "'max_conn': '1000', 'client_timeout': 30000, 'server_timeout': ' 40000 ', "
	    "'connect_timeout': 'soon', 'tune_http_max_header': '500', "
	    "'ssl_ciphers': 'ECDHE+AESGCM', 'max_conn_rate': '10', "
	    "'rate_limit_sessions': 'x', 'bogus': 1, 'http_server_close': true}", &d);

	assert_non_null(c);
	assert_int_equal(d.n, 0);
	assert_int_equal(c->maxconn, 1000);
	assert_int_equal(c->timeouts.client, 30000);
	assert_int_equal(c->timeouts.server, 40000);
	assert_int_equal(c->timeouts.connect, 5000);
	assert_int_equal(c->max_header_lines, 100);
	assert_string_equal(c->listeners[0].tls.ciphers, "ECDHE+AESGCM");
	assert_warn(&d, "custom-attributes.connect_timeout: expected an integer, "
	    "got string; ignored");
	assert_warn(&d, "custom-attributes.tune_http_max_header: 500 is out of "
	    "range 1..128; ignored");
	assert_warn(&d, "custom-attributes.max_conn_rate: not supported by "
	    "lbproxy; ignored");
	assert_warn(&d, "custom-attributes.rate_limit_sessions: expected an "
	    "integer, got string; ignored");
	assert_warn(&d, "custom-attributes.bogus: unknown attribute; ignored");
	assert_warn(&d, "custom-attributes.http_server_close: expected a string, "
	    "got boolean; ignored");
	assert_int_equal(d.nwarn, 6);
	lb_config_free(c);
	lb_diag_fini(&d);

	c = load(BASE ", 'custom-attributes': []", &d);
	assert_non_null(c);
	assert_warn(&d, "custom-attributes: expected an object, got array; ignored");
	lb_config_free(c);
	lb_diag_fini(&d);
}

static void
custom_attributes_overridden(void **state LB_UNUSED)
{
	struct lb_config *c = valid(BASE ", 'lbproxy': {'maxconn': 7, "
	    "'timeouts_ms': {'client': 8}}, 'custom-attributes': {'max_conn': 1000, "
	    "'client_timeout': 30000, 'server_timeout': 40000}");

	assert_int_equal(c->maxconn, 7);
	assert_int_equal(c->timeouts.client, 8);
	assert_int_equal(c->timeouts.server, 40000);
	lb_config_free(c);
}

/* ------------------------------------------------------------ files */

static void
load_file(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	struct lb_config *c;

	write_file("pool.json", "{\"pool\": {\"id\": \"p1\", \"lb_method\": "
	    "\"ROUND_ROBIN\"},\n \"vip\": {\"id\": \"v1\", \"address\": "
	    "\"127.0.0.1\", \"protocol_port\": 80, \"protocol\": \"TCP\"}}\n");
	c = lb_config_load(conf_path, &d);
	assert_non_null(c);
	assert_string_equal(c->path, conf_path);
	assert_string_equal(c->dir, tmpdir);
	assert_int_equal(c->pools[0].protocol, LB_PROTO_TCP);
	lb_config_free(c);

	write_file("pool.json", "{\"pool\": {\"id\": \"p1\"}\n\"vip\": 1}\n");
	assert_null(lb_config_load(conf_path, &d));
	assert_int_equal(d.n, 1);
	assert_true(strncmp(d.msgs[0], "line 2, column ", 15) == 0);
	lb_diag_fini(&d);

	assert_null(lb_config_load(tmpfile_path("nonexistent.json"), &d));
	assert_err(&d, "cannot open: No such file or directory");
	lb_diag_fini(&d);

	assert_null(lb_config_load(tmpdir, &d));
	assert_err(&d, "cannot read: Is a directory");
	lb_diag_fini(&d);
}

/* The source tree's examples/ (srcdir from automake, else from this file's path). */
static char *
examples_dir(void)
{
	const char *src = getenv("srcdir"), *me = __FILE__;
	const char *tail = strstr(me, "tests/unit/test_config.c");
	char *dir;

	if (src != NULL)
		dir = lb_asprintf("%s/examples", src);
	else if (tail != NULL)
		dir = lb_asprintf("%.*sexamples", (int)(tail - me), me);
	else
		dir = lb_asprintf("examples");
	return dir;
}

static void
examples_load(void **state LB_UNUSED)
{
	char *dir = examples_dir(), *path;
	struct dirent *de;
	struct lb_diag d = { 0 };
	struct lb_config *c;
	size_t n = 0, len;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		skip();
	}
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		path = lb_asprintf("%s/%s", dir, de->d_name);
		c = lb_config_load(path, &d);
		if (c == NULL || d.n != 0 || d.nwarn != 0) {
			lb_diag_print(&d, path, stderr);
			fail_msg("%s does not load cleanly", path);
		}
		lb_config_free(c);
		free(path);
		n++;
	}
	closedir(dp);
	free(dir);
	assert_true(n >= 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(minimal_defaults),
		cmocka_unit_test(names_tables),
		cmocka_unit_test(free_null),
		cmocka_unit_test(vip_ipv6),
		cmocka_unit_test(vip_required),
		cmocka_unit_test(top_objects_required),
		cmocka_unit_test(vip_not_object),
		cmocka_unit_test(vip_protocol_unknown),
		cmocka_unit_test(vip_port_range),
		cmocka_unit_test(vip_address_invalid),
		cmocka_unit_test(vip_connection_limit),
		cmocka_unit_test(type_errors),
		cmocka_unit_test(integer_too_large),
		cmocka_unit_test(pool_method),
		cmocka_unit_test(pool_protocol_default),
		cmocka_unit_test(pool_protocol_compat),
		cmocka_unit_test(member_weight_range),
		cmocka_unit_test(member_required),
		cmocka_unit_test(member_duplicate_id),
		cmocka_unit_test(member_duplicate_address),
		cmocka_unit_test(member_address_invalid),
		cmocka_unit_test(member_not_object),
		cmocka_unit_test(persist_none),
		cmocka_unit_test(persist_types),
		cmocka_unit_test(persist_app_cookie_needs_name),
		cmocka_unit_test(persist_unknown),
		cmocka_unit_test(persist_needs_http),
		cmocka_unit_test(hm_defaults),
		cmocka_unit_test(hm_first_admin_up),
		cmocka_unit_test(hm_all_down),
		cmocka_unit_test(hm_timeout_le_delay),
		cmocka_unit_test(hm_max_retries_range),
		cmocka_unit_test(hm_required),
		cmocka_unit_test(hm_http_fields),
		cmocka_unit_test(codes_parse_valid),
		cmocka_unit_test(codes_parse_invalid),
		cmocka_unit_test(codes_match),
		cmocka_unit_test(https_terminate),
		cmocka_unit_test(https_passthrough_without_cert),
		cmocka_unit_test(https_passthrough_mode),
		cmocka_unit_test(http_cert_on_443),
		cmocka_unit_test(http_cert_elsewhere_ignored),
		cmocka_unit_test(tcp_is_l4),
		cmocka_unit_test(http_passthrough_refused),
		cmocka_unit_test(tls_missing_file),
		cmocka_unit_test(tls_not_a_file),
		cmocka_unit_test(tls_unreadable),
		cmocka_unit_test(tls_names),
		cmocka_unit_test(tls_needs_certificate),
		cmocka_unit_test(lbproxy_block),
		cmocka_unit_test(timeouts_positive),
		cmocka_unit_test(settings_ranges),
		cmocka_unit_test(stats_socket_mode),
		cmocka_unit_test(relative_paths),
		cmocka_unit_test(relative_config_path),
		cmocka_unit_test(stats_socket_too_long),
		cmocka_unit_test(log_target_level),
		cmocka_unit_test(metrics_listen),
		cmocka_unit_test(unknown_keys_ignored),
		cmocka_unit_test(syntax_error_line_column),
		cmocka_unit_test(top_level_not_object),
		cmocka_unit_test(duplicate_key),
		cmocka_unit_test(errors_accumulate),
		cmocka_unit_test(control_chars_quoted),
		cmocka_unit_test(contrail_dialect),
		cmocka_unit_test(contrail_messages_use_aliases),
		cmocka_unit_test(contrail_alias_conflict),
		cmocka_unit_test(contrail_ssl_crt),
		cmocka_unit_test(contrail_custom_attributes),
		cmocka_unit_test(custom_attributes_overridden),
		cmocka_unit_test(load_file),
		cmocka_unit_test(examples_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
