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
	    "pool.json", "noread.pem", "p1.crtbundle.pem" };
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

/* ------------------------------------------------------------ Octavia v2 */

#define V2_MEMBERS "'members': [" \
	"{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 8081}, " \
	"{'id': 'm2', 'address': '127.0.0.2', 'protocol_port': 8081}]"
#define V2_WEB	"{'id': 'web', 'protocol': 'HTTP', 'lb_algorithm': 'ROUND_ROBIN', " \
		V2_MEMBERS "}"
#define V2_API	"{'id': 'api', 'protocol': 'HTTP', 'lb_algorithm': 'ROUND_ROBIN', " \
		"'members': [{'address': '127.0.0.3', 'protocol_port': 8082}]}"
#define V2_DB	"{'id': 'db', 'protocol': 'TCP', 'lb_algorithm': 'LEAST_CONNECTIONS', " \
		V2_MEMBERS "}"
/* listener l-http on port 80 with default pool web (plus extra JSON members) */
#define V2_HTTP(extra) "{'id': 'l-http', 'protocol': 'HTTP', 'protocol_port': 80, " \
		"'default_pool_id': 'web'" extra "}"
#define V2_TERM(extra) "{'id': 'l-tls', 'protocol': 'TERMINATED_HTTPS', " \
		"'protocol_port': 443, 'default_pool_id': 'web', " \
		"'tls': {'certificate_file': 'cert.pem'}" extra "}"

/*
 * A v2 file (a static buffer): load balancer lb1 on 127.0.0.1 with these
 * listeners and pools (the insides of the two arrays), then extra top-level
 * members (", 'lbproxy': {..}" or "").
 */
static const char *
lbfile_x(const char *listeners, const char *pools, const char *extra)
{
	static char buf[65536];

	snprintf(buf, sizeof(buf), "'loadbalancer': {'id': 'lb1', 'vip_address': "
	    "'127.0.0.1', 'listeners': [%s], 'pools': [%s]}%s", listeners, pools,
	    extra);
	return buf;
}

#define lbfile(l, p)	lbfile_x((l), (p), "")

/* s must load with no error and exactly one warning, msg (an exact match). */
static struct lb_config *
warned1(const char *s, const char *msg)
{
	struct lb_diag d = { 0 };
	struct lb_config *conf = load(s, &d);

	if (conf == NULL || d.n != 0 || d.nwarn != 1 || !among(d.warns, d.nwarn, msg)) {
		dump(&d);
		fail_msg("expected a valid config with the one warning: %s", msg);
	}
	lb_diag_fini(&d);
	return conf;
}

/* s must fail with one error only, starting with prefix and containing part. */
static void
invalid_like(const char *s, const char *prefix, const char *part)
{
	struct lb_diag d = { 0 };
	struct lb_config *conf = load(s, &d);

	if (conf != NULL) {
		lb_config_free(conf);
		fail_msg("expected an invalid config");
	}
	if (d.n != 1 || !among_like(d.msgs, d.n, prefix, part)) {
		dump(&d);
		fail_msg("expected one error \"%s...%s...\"", prefix, part);
	}
	lb_diag_fini(&d);
}

static void
v2_minimal(void **state LB_UNUSED)
{
	struct lb_config *c = valid(lbfile(V2_HTTP(""), V2_WEB));
	const struct lb_listener_conf *l = &c->listeners[0];
	char sock[256];

	assert_int_equal(c->dialect, LB_DIALECT_V2);
	assert_string_equal(c->lb_id, "lb1");
	assert_true(c->admin_state_up);
	assert_int_equal(c->n_listeners, 1);
	assert_int_equal(c->n_pools, 1);
	assert_string_equal(l->id, "l-http");
	assert_string_equal(l->path, "loadbalancer.listeners[0]");
	assert_int_equal(l->protocol, LB_PROTO_HTTP);
	assert_int_equal(l->port, 80);
	assert_int_equal(l->n_addrs, 1);
	assert_int_equal(l->addrs[0].ss.ss_family, AF_INET);
	assert_int_equal(lb_addr_port((struct sockaddr *)&l->addrs[0].ss), 80);
	assert_true(l->http);
	assert_int_equal(l->tls_mode, LB_TLS_NONE);
	assert_false(l->has_tls);
	assert_true(l->admin_state_up);
	assert_int_equal(l->connection_limit, -1);
	assert_int_equal(l->default_pool, 0);
	assert_int_equal(l->insert, 0);		/* Octavia inserts nothing unless asked */
	assert_int_equal(l->n_allowed, 0);
	assert_int_equal(l->hsts_max_age, -1);
	assert_int_equal(l->n_policies, 0);
	/* Octavia's defaults: 50000 / 5000 / 50000 / 0 */
	assert_int_equal(l->timeouts.client, 50000);
	assert_int_equal(l->timeouts.connect, 5000);
	assert_int_equal(l->timeouts.server, 50000);
	assert_int_equal(l->tcp_inspect_ms, 0);
	assert_int_equal(l->timeouts.http_request, 10000);
	assert_int_equal(l->timeouts.http_keep_alive, 10000);

	assert_string_equal(c->pools[0].id, "web");
	assert_string_equal(c->pools[0].path, "loadbalancer.pools[0]");
	assert_int_equal(c->pools[0].protocol, LB_PROTO_HTTP);
	assert_int_equal(c->pools[0].method, LB_METHOD_ROUND_ROBIN);
	assert_true(c->pools[0].http);
	assert_false(c->pools[0].tls_enabled);
	assert_int_equal(c->pools[0].n_members, 2);
	assert_string_equal(c->pools[0].members[1].id, "m2");
	assert_false(c->pools[0].members[1].backup);
	assert_null(c->pools[0].hm);
	snprintf(sock, sizeof(sock), "%s/sock", tmpdir);
	assert_string_equal(c->stats_socket, sock);
	assert_ptr_equal(lb_config_listener(c, "l-http"), l);
	assert_ptr_equal(lb_config_pool(c, "web"), &c->pools[0]);
	assert_null(lb_config_pool(c, "nope"));
	lb_config_free(c);
}

static void
v2_lb_fields(void **state LB_UNUSED)
{
	struct lb_config *c;
	size_t i;

	/* every listener listens on every VIP address */
	c = valid("'loadbalancer': {'id': 'lb1', 'vip_address': '127.0.0.1', "
	    "'additional_vips': [{'ip_address': '::1', 'subnet_id': 's'}], "
	    "'admin_state_up': false, 'listeners': [" V2_HTTP("") ", {'id': 'l-db', "
	    "'protocol': 'TCP', 'protocol_port': 5432, 'default_pool_id': 'db'}], "
	    "'pools': [" V2_WEB ", " V2_DB "]}");
	assert_false(c->admin_state_up);
	assert_int_equal(c->n_listeners, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(c->listeners[i].n_addrs, 2);
		assert_int_equal(c->listeners[i].addrs[0].ss.ss_family, AF_INET);
		assert_int_equal(c->listeners[i].addrs[1].ss.ss_family, AF_INET6);
		assert_int_equal(lb_addr_port((struct sockaddr *)&c->listeners[i].addrs[1].ss),
		    c->listeners[i].port);
	}
	assert_int_equal(c->listeners[1].port, 5432);
	assert_false(c->listeners[1].http);
	assert_false(c->pools[1].http);
	lb_config_free(c);

	invalid("'loadbalancer': {'vip_address': 'vip.example', 'additional_vips': "
	    "[{'ip_address': '::1'}, {'ip_address': '10.0.0.300'}, 7], "
	    "'listeners': [" V2_HTTP("") "], 'pools': [" V2_WEB "]}",
	    "loadbalancer.vip_address: \"vip.example\" is not an IPv4 or IPv6 address",
	    "loadbalancer.additional_vips[1].ip_address: \"10.0.0.300\" is not an "
	    "IPv4 or IPv6 address",
	    "loadbalancer.additional_vips[2].ip_address: expected a string, got integer",
	    NULL);
	invalid("'loadbalancer': {'listeners': [" V2_HTTP("") "], 'pools': [" V2_WEB "]}",
	    "loadbalancer.vip_address: missing (required)", NULL);
	invalid("'loadbalancer': {'vip_address': '127.0.0.1', 'pools': [" V2_WEB "]}",
	    "loadbalancer.listeners: missing (a load balancer needs at least one "
	    "listener)", NULL);
	invalid("'loadbalancer': ['x']", "loadbalancer: expected an object, got array",
	    NULL);
	invalid("'loadbalancer': {'vip_address': '127.0.0.1', 'listeners': {}}",
	    "loadbalancer.listeners: expected an array, got object",
	    "loadbalancer.listeners: missing (a load balancer needs at least one "
	    "listener)", NULL);
}

/* default_pool inline, by {"name"} or {"id"}, or default_pool_id: one pool each time. */
static void
v2_default_pool_forms(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(lbfile("{'name': 'front', 'protocol': 'HTTP', 'protocol_port': 80, "
	    "'default_pool': {'name': 'inline', 'protocol': 'HTTP', "
	    "'lb_algorithm': 'SOURCE_IP', " V2_MEMBERS "}}", ""));
	assert_int_equal(c->n_pools, 1);
	assert_string_equal(c->listeners[0].id, "front");
	assert_string_equal(c->pools[0].id, "inline");
	assert_string_equal(c->pools[0].path, "loadbalancer.listeners[0].default_pool");
	assert_int_equal(c->pools[0].method, LB_METHOD_SOURCE_IP);
	assert_int_equal(c->pools[0].n_members, 2);
	assert_int_equal(c->listeners[0].default_pool, 0);
	lb_config_free(c);

	/* by name (the pool's id differs), by id, by default_pool_id: all the same pool */
	c = valid(lbfile("{'protocol': 'HTTP', 'protocol_port': 80, "
	    "'default_pool': {'name': 'web'}}, "
	    "{'protocol': 'HTTP', 'protocol_port': 81, 'default_pool': {'id': 'p-0'}}, "
	    "{'protocol': 'HTTP', 'protocol_port': 82, 'default_pool_id': 'p-0'}, "
	    "{'protocol': 'HTTP', 'protocol_port': 83, 'default_pool_id': 'api'}",
	    "{'id': 'p-0', 'name': 'web', 'protocol': 'HTTP', 'lb_algorithm': "
	    "'ROUND_ROBIN', " V2_MEMBERS "}, " V2_API));
	assert_int_equal(c->n_pools, 2);
	assert_int_equal(c->listeners[0].default_pool, 0);
	assert_int_equal(c->listeners[1].default_pool, 0);
	assert_int_equal(c->listeners[2].default_pool, 0);
	assert_int_equal(c->listeners[3].default_pool, 1);
	lb_config_free(c);

	/* no default pool at all: requests that no policy routes get 503 */
	c = valid(lbfile("{'id': 'l', 'protocol': 'HTTP', 'protocol_port': 80}", V2_WEB));
	assert_int_equal(c->listeners[0].default_pool, -1);
	assert_false(c->pools[0].http);		/* nobody balances requests to it */
	lb_config_free(c);

	/* a problem inside an inline pool has its path */
	invalid(lbfile("{'protocol': 'HTTP', 'protocol_port': 80, 'default_pool': "
	    "{'protocol': 'HTTP', 'lb_algorithm': 'ROUND_ROBIN', 'members': "
	    "[{'address': '127.0.0.1', 'protocol_port': 81, 'weight': 300}]}}", ""),
	    "loadbalancer.listeners[0].default_pool.members[0].weight: 300 is out "
	    "of range 0..256", NULL);
	invalid(lbfile(V2_HTTP(", 'default_pool': {'name': 'web'}"), V2_WEB),
	    "loadbalancer.listeners[0].default_pool: given together with "
	    "default_pool_id (use one)", NULL);
	invalid(lbfile("{'protocol': 'HTTP', 'protocol_port': 80, "
	    "'default_pool': {'name': 5}}", V2_WEB),
	    "loadbalancer.listeners[0].default_pool.name: expected a string, got integer",
	    NULL);
	invalid(lbfile("{'protocol': 'HTTP', 'protocol_port': 80, "
	    "'default_pool': 'web'}", V2_WEB),
	    "loadbalancer.listeners[0].default_pool: expected an object, got string",
	    NULL);
}

static void
v2_unknown_pool(void **state LB_UNUSED)
{
	invalid(lbfile(V2_HTTP("") ", {'id': 'l2', 'protocol': 'HTTP', "
	    "'protocol_port': 81, 'default_pool_id': 'x'}", V2_WEB),
	    "loadbalancer.listeners[1].default_pool_id: no pool \"x\" in "
	    "loadbalancer.pools", NULL);
	invalid(lbfile(V2_HTTP(", 'l7policies': [{'action': 'REDIRECT_TO_POOL', "
	    "'redirect_pool_id': 'nope', 'rules': [{'type': 'PATH', 'compare_type': "
	    "'STARTS_WITH', 'value': '/api'}]}, {'action': 'REDIRECT_TO_POOL', "
	    "'rules': [{'type': 'PATH', 'compare_type': 'STARTS_WITH', "
	    "'value': '/b'}]}]"), V2_WEB),
	    "loadbalancer.listeners[0].l7policies[0].redirect_pool_id: no pool "
	    "\"nope\" in loadbalancer.pools",
	    "loadbalancer.listeners[0].l7policies[1].redirect_pool_id: missing "
	    "(required for REDIRECT_TO_POOL)", NULL);
}

/* s must fail with one error about key (a JSON path) itself or a key under it, containing part. */
static void
invalid_at(const char *s, const char *key, const char *part)
{
	struct lb_diag d = { 0 };
	struct lb_config *conf = load(s, &d);
	size_t n = strlen(key);

	if (conf != NULL) {
		lb_config_free(conf);
		fail_msg("expected an invalid config");
	}
	if (d.n != 1 || strncmp(d.msgs[0], key, n) != 0 || (d.msgs[0][n] != ':' &&
	    d.msgs[0][n] != '.') || strstr(d.msgs[0], part) == NULL) {
		dump(&d);
		fail_msg("expected one error at %s (or under it) with \"%s\"", key, part);
	}
	lb_diag_fini(&d);
}

/*
 * A reference written as {"name": ..} is reported where the user wrote it
 * (default_pool, redirect_pool), not under a key the file does not have
 * (default_pool_id, redirect_pool_id).
 */
static void
v2_unknown_pool_by_name_path(void **state LB_UNUSED)
{
	invalid_at(lbfile("{'protocol': 'HTTP', 'protocol_port': 80, "
	    "'default_pool': {'name': 'x'}}", V2_WEB),
	    "loadbalancer.listeners[0].default_pool", "no pool \"x\"");
	invalid_at(lbfile(V2_HTTP(", 'l7policies': [{'action': 'REDIRECT_TO_POOL', "
	    "'redirect_pool': {'name': 'y'}, 'rules': [{'type': 'PATH', "
	    "'compare_type': 'STARTS_WITH', 'value': '/api'}]}]"), V2_WEB),
	    "loadbalancer.listeners[0].l7policies[0].redirect_pool", "no pool \"y\"");
}

static void
v2_pool_l4_and_l7(void **state LB_UNUSED)
{
	struct lb_config *c;

	invalid(lbfile(V2_HTTP("") ", {'id': 'l-tcp', 'protocol': 'TCP', "
	    "'protocol_port': 81, 'default_pool_id': 'web'}", V2_WEB),
	    "loadbalancer.pools[0]: used by loadbalancer.listeners[1] (TCP) and by "
	    "loadbalancer.listeners[0] (HTTP): a pool either relays bytes or "
	    "balances HTTP requests", NULL);
	/* an L7 policy's pool counts as used by its listener too */
	invalid(lbfile("{'id': 'l-tcp', 'protocol': 'HTTPS', 'protocol_port': 443, "
	    "'default_pool_id': 'db'}, " V2_HTTP(", 'l7policies': [{'action': "
	    "'REDIRECT_TO_POOL', 'redirect_pool_id': 'db', 'rules': [{'type': "
	    "'PATH', 'compare_type': 'EQUAL_TO', 'value': '/'}]}]"),
	    V2_WEB ", {'id': 'db', 'protocol': 'PROXY', 'lb_algorithm': "
	    "'ROUND_ROBIN', " V2_MEMBERS "}"),
	    "loadbalancer.pools[1]: used by loadbalancer.listeners[0] (HTTPS) and by "
	    "loadbalancer.listeners[1] (HTTP): a pool either relays bytes or "
	    "balances HTTP requests", NULL);
	/* two HTTP listeners share one pool, checked once */
	c = valid(lbfile(V2_HTTP("") ", {'id': 'l2', 'protocol': 'HTTP', "
	    "'protocol_port': 81, 'default_pool_id': 'web'}", V2_WEB));
	assert_int_equal(c->n_pools, 1);
	assert_int_equal(c->listeners[1].default_pool, 0);
	lb_config_free(c);
}

static void
v2_duplicates(void **state LB_UNUSED)
{
	invalid(lbfile(V2_HTTP("") ", {'id': 'l2', 'protocol': 'HTTP', "
	    "'protocol_port': 80, 'default_pool_id': 'web'}", V2_WEB),
	    "loadbalancer.listeners[1].protocol_port: 80 is already used by "
	    "loadbalancer.listeners[0]", NULL);
	invalid(lbfile(V2_HTTP("") ", {'id': 'l-http', 'protocol': 'HTTP', "
	    "'protocol_port': 81, 'default_pool_id': 'web'}", V2_WEB),
	    "loadbalancer.listeners[1]: id \"l-http\" is already used by "
	    "loadbalancer.listeners[0]", NULL);
	invalid(lbfile(V2_HTTP(""), V2_WEB ", " V2_WEB),
	    "loadbalancer.pools[1]: id \"web\" is already used by "
	    "loadbalancer.pools[0]", NULL);
	invalid(lbfile(V2_HTTP(""), "{'id': 'web', 'protocol': 'HTTP', "
	    "'lb_algorithm': 'ROUND_ROBIN', 'members': ["
	    "{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 81}, "
	    "{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 82}, "
	    "{'address': '127.0.0.1', 'protocol_port': 81}]}"),
	    "loadbalancer.pools[0].members[1].id: \"m1\" is already used by "
	    "loadbalancer.pools[0].members[0]",
	    "loadbalancer.pools[0].members[2]: 127.0.0.1:81 is already used by "
	    "loadbalancer.pools[0].members[0]", NULL);
}

/* Whether listener protocol lp may send to pool protocol pp (Octavia's table). */
static void
fit_case(const char *lp, const char *pp, bool ok)
{
	char l[512], p[512];
	struct lb_diag d = { 0 };
	struct lb_config *c;

	snprintf(l, sizeof(l), "{'id': 'l', 'protocol': '%s', 'protocol_port': 443, "
	    "'default_pool_id': 'p'%s}", lp, strcmp(lp, "TERMINATED_HTTPS") == 0 ?
	    ", 'tls': {'certificate_file': 'cert.pem'}" : "");
	snprintf(p, sizeof(p), "{'id': 'p', 'protocol': '%s', 'lb_algorithm': "
	    "'ROUND_ROBIN', " V2_MEMBERS "}", pp);
	c = load(lbfile(l, p), &d);
	if (ok && (c == NULL || d.n != 0)) {
		dump(&d);
		fail_msg("a %s listener refused a %s pool", lp, pp);
	}
	if (!ok && (c != NULL || d.n != 1 || !among_like(d.msgs, d.n,
	    "loadbalancer.listeners[0].default_pool_id: ", "pool does not fit a"))) {
		dump(&d);
		fail_msg("a %s listener took a %s pool", lp, pp);
	}
	lb_config_free(c);
	lb_diag_fini(&d);
}

static void
v2_protocols_fit(void **state LB_UNUSED)
{
	static const struct { const char *l, *p; bool ok; } cases[] = {
		{ "HTTP", "HTTP", true }, { "HTTP", "PROXY", true },
		{ "HTTP", "PROXYV2", true }, { "HTTP", "TCP", false },
		{ "HTTP", "HTTPS", false },
		{ "TERMINATED_HTTPS", "HTTP", true }, { "TERMINATED_HTTPS", "PROXY", true },
		{ "TERMINATED_HTTPS", "TCP", false }, { "TERMINATED_HTTPS", "HTTPS", false },
		{ "HTTPS", "HTTPS", true }, { "HTTPS", "TCP", true },
		{ "HTTPS", "PROXYV2", true }, { "HTTPS", "HTTP", false },
		{ "TCP", "TCP", true }, { "TCP", "HTTP", true }, { "TCP", "HTTPS", true },
		{ "TCP", "PROXY", true },
	};
	size_t i;

	for (i = 0; i < LB_ARRAY_SIZE(cases); i++)
		fit_case(cases[i].l, cases[i].p, cases[i].ok);
	invalid(lbfile("{'protocol': 'UDP', 'protocol_port': 53}",
	    "{'id': 'p', 'protocol': 'SCTP', 'lb_algorithm': 'ROUND_ROBIN'}"),
	    "loadbalancer.listeners[0].protocol: \"UDP\" is not one of TCP, HTTP, "
	    "HTTPS, TERMINATED_HTTPS, PROMETHEUS",
	    "loadbalancer.pools[0].protocol: \"SCTP\" is not one of TCP, HTTP, HTTPS, "
	    "PROXY, PROXYV2", NULL);
	invalid(lbfile("{'protocol_port': 80}", "{'id': 'p', 'lb_algorithm': "
	    "'ROUND_ROBIN'}"),
	    "loadbalancer.listeners[0].protocol: missing (required)",
	    "loadbalancer.pools[0].protocol: missing (required)", NULL);
	/* a REDIRECT_TO_POOL policy's pool must fit too */
	invalid_like(lbfile(V2_HTTP(", 'l7policies': [{'id': 'to-db', 'action': "
	    "'REDIRECT_TO_POOL', 'redirect_pool_id': 'db', 'rules': [{'type': 'PATH', "
	    "'compare_type': 'EQUAL_TO', 'value': '/'}]}]"), V2_WEB ", " V2_DB),
	    "loadbalancer.listeners[0].l7policies[0].redirect_pool_id: a TCP pool "
	    "does not fit an HTTP listener", "");
}

static void
v2_ids_default(void **state LB_UNUSED)
{
	struct lb_config *c = valid(lbfile(
	    "{'name': 'web-listener', 'protocol': 'HTTP', 'protocol_port': 80, "
	    "'default_pool': {'name': 'web'}, 'l7policies': ["
	    "{'name': 'blocker', 'action': 'REJECT', 'rules': [{'type': 'PATH', "
	    "'compare_type': 'STARTS_WITH', 'value': '/admin'}]}, "
	    "{'action': 'REJECT', 'rules': [{'type': 'PATH', "
	    "'compare_type': 'STARTS_WITH', 'value': '/private'}]}]}, "
	    "{'protocol': 'TCP', 'protocol_port': 5432, 'default_pool': "
	    "{'protocol': 'TCP', 'lb_algorithm': 'ROUND_ROBIN'}}",
	    "{'name': 'web', 'protocol': 'HTTP', 'lb_algorithm': 'ROUND_ROBIN', "
	    "'members': [{'name': 'one', 'address': '127.0.0.1', 'protocol_port': 81}, "
	    "{'address': '127.0.0.1', 'protocol_port': 82}]}, "
	    "{'protocol': 'TCP', 'lb_algorithm': 'ROUND_ROBIN'}"));

	assert_string_equal(c->listeners[0].id, "web-listener");
	assert_string_equal(c->listeners[0].name, "web-listener");
	assert_string_equal(c->listeners[1].id, "TCP-5432");
	assert_string_equal(c->pools[0].id, "web");
	assert_string_equal(c->pools[1].id, "pool-1");	/* unused, still checked */
	assert_string_equal(c->pools[2].id, "pool-2");	/* the inline one */
	assert_int_equal(c->listeners[1].default_pool, 2);
	assert_string_equal(c->pools[0].members[0].id, "one");
	assert_string_equal(c->pools[0].members[1].id, "127.0.0.1:82");
	assert_int_equal(c->listeners[0].n_policies, 2);
	assert_string_equal(c->listeners[0].policies[0].id, "blocker");
	assert_string_equal(c->listeners[0].policies[1].id, "web-listener-policy-1");
	lb_config_free(c);
	invalid(lbfile(V2_HTTP(""), "{'id': 'web', 'protocol': 'HTTP', "
	    "'lb_algorithm': 'ROUND_ROBIN', 'members': [{'id': '', 'address': "
	    "'127.0.0.1', 'protocol_port': 81}]}"),
	    "loadbalancer.pools[0].members[0].id: must not be empty", NULL);
}

/* Octavia's API takes "3" for 3 and "true" for true; its file does too (v1 does not). */
static void
v2_lenient_types(void **state LB_UNUSED)
{
	struct lb_config *c = valid(lbfile("{'id': 'l', 'protocol': 'HTTP', "
	    "'protocol_port': '8080', 'connection_limit': '100', "
	    "'admin_state_up': 'True', 'default_pool_id': 'web'}",
	    "{'id': 'web', 'protocol': 'HTTP', 'lb_algorithm': 'ROUND_ROBIN', "
	    "'admin_state_up': 'FALSE', 'members': [{'address': '127.0.0.1', "
	    "'protocol_port': '81', 'weight': '7', 'backup': 'true', "
	    "'admin_state_up': 'false'}], 'healthmonitor': {'type': 'TCP', "
	    "'delay': '3', 'timeout': '2', 'max_retries': '4'}}"));

	assert_int_equal(c->listeners[0].port, 8080);
	assert_int_equal(c->listeners[0].connection_limit, 100);
	assert_true(c->listeners[0].admin_state_up);
	assert_false(c->pools[0].admin_state_up);
	assert_int_equal(c->pools[0].members[0].port, 81);
	assert_int_equal(c->pools[0].members[0].weight, 7);
	assert_true(c->pools[0].members[0].backup);
	assert_false(c->pools[0].members[0].admin_state_up);
	assert_int_equal(c->pools[0].hm->delay, 3);
	assert_int_equal(c->pools[0].hm->timeout, 2);
	assert_int_equal(c->pools[0].hm->max_retries, 4);
	lb_config_free(c);

	invalid(lbfile("{'id': 'l', 'protocol': 'HTTP', 'protocol_port': 80, "
	    "'admin_state_up': 'yes', 'default_pool_id': 'web'}",
	    "{'id': 'web', 'protocol': 'HTTP', 'lb_algorithm': 'ROUND_ROBIN', "
	    "'healthmonitor': {'type': 'TCP', 'delay': '3s', 'timeout': 1, "
	    "'max_retries': 1}}"),
	    "loadbalancer.listeners[0].admin_state_up: expected a boolean, got string",
	    "loadbalancer.pools[0].healthmonitor.delay: \"3s\" is not an integer",
	    "loadbalancer.pools[0].healthmonitor.delay: missing (required)", NULL);
	/* v1 files stay strict */
	invalid(BASE ", 'healthmonitors': [{'type': 'TCP', 'delay': '3', "
	    "'timeout': 1, 'max_retries': 1}]",
	    "healthmonitors[0].delay: expected an integer, got string",
	    "healthmonitors[0].delay: missing (required)", NULL);
}

static void
v2_connection_limit(void **state LB_UNUSED)
{
	struct lb_config *c = valid(lbfile(V2_HTTP(", 'connection_limit': 0") ", "
	    "{'id': 'l2', 'protocol': 'HTTP', 'protocol_port': 81, "
	    "'connection_limit': 2, 'default_pool_id': 'web'}", V2_WEB));

	assert_int_equal(c->listeners[0].connection_limit, -1);	/* 0: unlimited */
	assert_int_equal(c->listeners[1].connection_limit, 2);
	lb_config_free(c);
	invalid(lbfile(V2_HTTP(", 'connection_limit': -2"), V2_WEB),
	    "loadbalancer.listeners[0].connection_limit: -2 must be -1 or more", NULL);
}

static void
v2_insert_headers(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(lbfile(V2_HTTP(", 'insert_headers': {'X-Forwarded-For': 'true', "
	    "'X-Forwarded-Port': 'false', 'X-Forwarded-Proto': true}"), V2_WEB));
	assert_int_equal(c->listeners[0].insert, LB_HDR_XFF | LB_HDR_XFPROTO);
	lb_config_free(c);
	c = valid(lbfile(V2_HTTP(", 'insert_headers': {'X-Forwarded-Port': 'True', "
	    "'X-Forwarded-For': 'FALSE'}"), V2_WEB));
	assert_int_equal(c->listeners[0].insert, LB_HDR_XFPORT);
	lb_config_free(c);
	c = valid(lbfile(V2_TERM(", 'insert_headers': {'X-SSL-Client-CN': 'true', "
	    "'X-SSL-Client-Verify': 'true', 'X-SSL-Client-Has-Cert': 'true', "
	    "'X-SSL-Client-DN': 'true', 'X-SSL-Issuer': 'true', "
	    "'X-SSL-Client-SHA1': 'true', 'X-SSL-Client-Not-Before': 'true', "
	    "'X-SSL-Client-Not-After': 'false', 'X-Forwarded-Proto': 'true'}"), V2_WEB));
	assert_int_equal(c->listeners[0].insert, (LB_HDR_SSL_ALL & ~LB_HDR_SSL_NOT_AFTER) |
	    LB_HDR_XFPROTO);
	lb_config_free(c);

	invalid(lbfile(V2_HTTP(", 'insert_headers': {'X-Forwarded-For': 'yes', "
	    "'X-Real-IP': 'true', 'X-Forwarded-Port': 1}"), V2_WEB),
	    "loadbalancer.listeners[0].insert_headers.X-Forwarded-For: expected "
	    "\"true\" or \"false\", got string",
	    "loadbalancer.listeners[0].insert_headers.X-Real-IP: not a header "
	    "lbproxy can insert",
	    "loadbalancer.listeners[0].insert_headers.X-Forwarded-Port: expected "
	    "\"true\" or \"false\", got integer", NULL);
	invalid(lbfile(V2_HTTP(", 'insert_headers': {'X-SSL-Client-CN': 'true'}"),
	    V2_WEB),
	    "loadbalancer.listeners[0].insert_headers: X-SSL-* headers need a "
	    "TERMINATED_HTTPS listener", NULL);
	invalid(lbfile("{'protocol': 'TCP', 'protocol_port': 5432, 'default_pool_id': "
	    "'db', 'insert_headers': {'X-Forwarded-For': 'true'}}", V2_DB),
	    "loadbalancer.listeners[0].insert_headers: needs an HTTP or "
	    "TERMINATED_HTTPS listener (this one relays bytes)", NULL);
	c = warned1(lbfile_x(V2_HTTP(""), V2_WEB, ", 'lbproxy': {'insert_headers': "
	    "{'X-Forwarded-For': true}}"), "lbproxy.insert_headers: ignored in a load "
	    "balancer file: give loadbalancer.listeners[].insert_headers");
	assert_int_equal(c->listeners[0].insert, 0);
	lb_config_free(c);
}

/* The four Octavia timeouts per listener; idle keep-alive falls back to the client one. */
static void
v2_timeouts(void **state LB_UNUSED)
{
	struct lb_config *c;
	const struct lb_timeouts *t;

	c = valid(lbfile(V2_HTTP(", 'timeout_client_data': 2000, "
	    "'timeout_member_connect': 1000, 'timeout_member_data': 3000, "
	    "'timeout_tcp_inspect': 500") ", {'id': 'l2', 'protocol': 'HTTP', "
	    "'protocol_port': 81, 'default_pool_id': 'web', "
	    "'timeout_client_data': 30000}", V2_WEB));
	t = &c->listeners[0].timeouts;
	assert_int_equal(t->client, 2000);
	assert_int_equal(t->http_request, 2000);
	assert_int_equal(t->http_keep_alive, 2000);
	assert_int_equal(t->connect, 1000);
	assert_int_equal(t->server, 3000);
	assert_int_equal(c->listeners[0].tcp_inspect_ms, 500);
	t = &c->listeners[1].timeouts;
	assert_int_equal(t->client, 30000);
	assert_int_equal(t->http_request, 10000);
	assert_int_equal(t->http_keep_alive, 30000);
	assert_int_equal(t->connect, 5000);
	assert_int_equal(t->server, 50000);
	assert_int_equal(c->listeners[1].tcp_inspect_ms, 0);
	/* the process-wide defaults stay */
	assert_int_equal(c->timeouts.client, 50000);
	assert_int_equal(c->timeouts.http_keep_alive, 10000);
	lb_config_free(c);

	/* what the lbproxy block sets explicitly wins over the fallbacks */
	c = valid(lbfile_x(V2_HTTP(", 'timeout_client_data': 30000") ", {'id': 'l2', "
	    "'protocol': 'HTTP', 'protocol_port': 81, 'default_pool_id': 'web', "
	    "'timeout_client_data': 40000}", V2_WEB, ", 'lbproxy': {'timeouts_ms': "
	    "{'http_request': 4000}}"));
	assert_int_equal(c->listeners[0].timeouts.http_request, 4000);
	assert_int_equal(c->listeners[0].timeouts.http_keep_alive, 4000);
	assert_int_equal(c->listeners[1].timeouts.http_keep_alive, 4000);
	lb_config_free(c);
	c = valid(lbfile_x(V2_HTTP(", 'timeout_client_data': 30000"), V2_WEB,
	    ", 'lbproxy': {'timeouts_ms': {'http_keep_alive': 7000, 'connect': 900}}"));
	assert_int_equal(c->listeners[0].timeouts.http_keep_alive, 7000);
	assert_int_equal(c->listeners[0].timeouts.http_request, 10000);
	assert_int_equal(c->listeners[0].timeouts.connect, 900);
	lb_config_free(c);

	invalid(lbfile(V2_HTTP(", 'timeout_client_data': 0, 'timeout_member_connect': "
	    "-1, 'timeout_member_data': 0, 'timeout_tcp_inspect': -1"), V2_WEB),
	    "loadbalancer.listeners[0].timeout_client_data: 0 must be 1 or more",
	    "loadbalancer.listeners[0].timeout_member_connect: -1 must be 1 or more",
	    "loadbalancer.listeners[0].timeout_member_data: 0 must be 1 or more",
	    "loadbalancer.listeners[0].timeout_tcp_inspect: -1 must be 0 or more", NULL);
}

/* Whether address a (any family) is inside cidrs v[0..n). */
static bool
cidr_has(const struct lb_cidr *v, size_t n, const char *a)
{
	struct sockaddr_storage ss;
	socklen_t len;

	assert_int_equal(lb_addr_parse(a, 80, &ss, &len), 0);
	return lb_cidr_match(v, n, (struct sockaddr *)&ss);
}

static void
v2_allowed_cidrs(void **state LB_UNUSED)
{
	struct lb_config *c = valid(lbfile(V2_HTTP(", 'allowed_cidrs': ['10.0.0.0/8', "
	    "'192.168.1.7', '2001:db8::/32', '172.16.99.1/12']"), V2_WEB));
	const struct lb_listener_conf *l = &c->listeners[0];

	assert_int_equal(l->n_allowed, 4);
	assert_int_equal(l->allowed[0].family, AF_INET);
	assert_int_equal(l->allowed[0].prefix, 8);
	assert_int_equal(l->allowed[1].prefix, 32);	/* a bare address is a host */
	assert_int_equal(l->allowed[2].family, AF_INET6);
	assert_int_equal(l->allowed[3].net[1], 16);	/* host bits cleared */
	assert_int_equal(l->allowed[3].net[2], 0);
	assert_true(cidr_has(l->allowed, l->n_allowed, "10.200.3.4"));
	assert_false(cidr_has(l->allowed, l->n_allowed, "11.0.0.1"));
	assert_false(cidr_has(l->allowed, l->n_allowed, "127.0.0.1"));
	assert_true(cidr_has(l->allowed, l->n_allowed, "192.168.1.7"));
	assert_false(cidr_has(l->allowed, l->n_allowed, "192.168.1.8"));
	assert_true(cidr_has(l->allowed, l->n_allowed, "172.31.255.255"));
	assert_false(cidr_has(l->allowed, l->n_allowed, "172.32.0.0"));
	assert_true(cidr_has(l->allowed, l->n_allowed, "2001:db8:ffff::1"));
	assert_false(cidr_has(l->allowed, l->n_allowed, "2001:db9::1"));
	assert_false(cidr_has(l->allowed, l->n_allowed, "::1"));
	/* an IPv4 client on an IPv6 socket is matched as IPv4 */
	assert_true(cidr_has(l->allowed, l->n_allowed, "::ffff:10.0.0.1"));
	assert_false(cidr_has(l->allowed, l->n_allowed, "::ffff:127.0.0.1"));
	assert_false(cidr_has(NULL, 0, "10.0.0.1"));
	lb_config_free(c);

	c = valid(lbfile(V2_HTTP(", 'allowed_cidrs': ['0.0.0.0/0', '::/0']"), V2_WEB));
	assert_true(cidr_has(c->listeners[0].allowed, c->listeners[0].n_allowed,
	    "203.0.113.9"));
	assert_true(cidr_has(c->listeners[0].allowed, c->listeners[0].n_allowed, "::1"));
	lb_config_free(c);
	c = valid(lbfile(V2_HTTP(", 'allowed_cidrs': []"), V2_WEB));
	assert_int_equal(c->listeners[0].n_allowed, 0);
	lb_config_free(c);

	invalid(lbfile(V2_HTTP(", 'allowed_cidrs': ['10.0.0.0/33', 'lan', '::/129', "
	    "'10.0.0.0/', '/8', 7]"), V2_WEB),
	    "loadbalancer.listeners[0].allowed_cidrs[0]: \"10.0.0.0/33\" is not a "
	    "CIDR like \"10.0.0.0/8\" or \"2001:db8::/32\"",
	    "loadbalancer.listeners[0].allowed_cidrs[1]: \"lan\" is not a "
	    "CIDR like \"10.0.0.0/8\" or \"2001:db8::/32\"",
	    "loadbalancer.listeners[0].allowed_cidrs[2]: \"::/129\" is not a "
	    "CIDR like \"10.0.0.0/8\" or \"2001:db8::/32\"",
	    "loadbalancer.listeners[0].allowed_cidrs[3]: \"10.0.0.0/\" is not a "
	    "CIDR like \"10.0.0.0/8\" or \"2001:db8::/32\"",
	    "loadbalancer.listeners[0].allowed_cidrs[4]: \"/8\" is not a "
	    "CIDR like \"10.0.0.0/8\" or \"2001:db8::/32\"",
	    "loadbalancer.listeners[0].allowed_cidrs[5]: expected a string, got "
	    "integer", NULL);
}

static void
v2_terminated_tls(void **state LB_UNUSED)
{
	struct lb_config *c = valid(lbfile("{'id': 'l-tls', 'protocol': "
	    "'TERMINATED_HTTPS', 'protocol_port': 443, 'default_pool_id': 'web', "
	    "'tls': {'certificate_file': 'cert.pem', 'private_key_file': 'key.pem', "
	    "'sni_certificate_files': ['sni.pem']}, 'tls_ciphers': 'ECDHE+AESGCM', "
	    "'tls_versions': ['TLSv1.3'], 'alpn_protocols': ['http/1.1', "
	    "'http/1.0', 'http/1.1']}", V2_WEB));
	const struct lb_listener_conf *l = &c->listeners[0];

	assert_int_equal(l->protocol, LB_PROTO_TERMINATED_HTTPS);
	assert_int_equal(l->tls_mode, LB_TLS_TERMINATE);
	assert_true(l->has_tls);
	assert_true(l->http);
	assert_string_equal(l->tls.certificate_file, tmpfile_path("cert.pem"));
	assert_string_equal(l->tls.private_key_file, tmpfile_path("key.pem"));
	assert_int_equal(l->tls.n_sni, 1);
	assert_string_equal(l->tls.sni_certificate_files[0], tmpfile_path("sni.pem"));
	assert_string_equal(l->tls.ciphers, "ECDHE+AESGCM");
	assert_int_equal(l->tls.min_version, 0x0304);
	assert_int_equal(l->tls.max_version, 0x0304);
	assert_int_equal(l->tls.n_alpn, 2);		/* duplicates once */
	assert_int_equal(l->tls.alpn[0], LB_ALPN_HTTP11);
	assert_int_equal(l->tls.alpn[1], LB_ALPN_HTTP10);
	assert_int_equal(l->tls.client_auth, LB_CLIENT_AUTH_NONE);
	assert_string_equal(lb_alpn_names[LB_ALPN_HTTP10], "http/1.0");
	lb_config_free(c);

	c = valid(lbfile(V2_TERM(", 'tls_versions': ['TLSv1.3', 'TLSv1.2']"), V2_WEB));
	assert_int_equal(c->listeners[0].tls.min_version, 0x0303);
	assert_int_equal(c->listeners[0].tls.max_version, 0x0304);
	lb_config_free(c);
	c = valid(lbfile(V2_TERM(""), V2_WEB));
	assert_int_equal(c->listeners[0].tls.min_version, 0x0303);
	assert_int_equal(c->listeners[0].tls.max_version, 0);
	lb_config_free(c);

	/* HTTPS is passthrough in Octavia: no HTTP, no certificate */
	c = valid(lbfile("{'protocol': 'HTTPS', 'protocol_port': 443, "
	    "'default_pool_id': 'p'}", "{'id': 'p', 'protocol': 'HTTPS', "
	    "'lb_algorithm': 'SOURCE_IP'}"));
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_PASSTHROUGH);
	assert_false(c->listeners[0].http);
	assert_false(c->pools[0].http);
	lb_config_free(c);

	invalid(lbfile("{'protocol': 'TERMINATED_HTTPS', 'protocol_port': 443, "
	    "'default_pool_id': 'web', 'tls_versions': ['TLSv1.1', 'TLSv1.3'], "
	    "'alpn_protocols': ['spdy/3']}", V2_WEB),
	    "loadbalancer.listeners[0].tls.certificate_file: missing (required for "
	    "TERMINATED_HTTPS)",
	    "loadbalancer.listeners[0].tls_versions[0]: \"TLSv1.1\" is not supported "
	    "(lbproxy speaks TLSv1.2 and TLSv1.3)",
	    "loadbalancer.listeners[0].alpn_protocols[0]: \"spdy/3\" is not one of "
	    "h2, http/1.1, http/1.0", NULL);
}

static void
v2_client_auth(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(lbfile("{'id': 'l-tls', 'protocol': 'TERMINATED_HTTPS', "
	    "'protocol_port': 443, 'default_pool_id': 'web', 'client_authentication': "
	    "'MANDATORY', 'tls': {'certificate_file': 'cert.pem', 'client_ca_file': "
	    "'sni.pem', 'client_crl_file': 'key.pem'}}", V2_WEB));
	assert_int_equal(c->listeners[0].tls.client_auth, LB_CLIENT_AUTH_MANDATORY);
	assert_string_equal(c->listeners[0].tls.client_ca_file, tmpfile_path("sni.pem"));
	assert_string_equal(c->listeners[0].tls.client_crl_file, tmpfile_path("key.pem"));
	lb_config_free(c);
	c = valid(lbfile(V2_TERM(", 'client_authentication': 'NONE'"), V2_WEB));
	assert_int_equal(c->listeners[0].tls.client_auth, LB_CLIENT_AUTH_NONE);
	lb_config_free(c);

	invalid(lbfile(V2_TERM(", 'client_authentication': 'MANDATORY'"), V2_WEB),
	    "loadbalancer.listeners[0].tls.client_ca_file: missing (required when "
	    "client_authentication is MANDATORY)", NULL);
	invalid(lbfile(V2_TERM(", 'client_authentication': 'OPTIONAL'"), V2_WEB),
	    "loadbalancer.listeners[0].tls.client_ca_file: missing (required when "
	    "client_authentication is OPTIONAL)", NULL);
	invalid(lbfile(V2_TERM(", 'client_authentication': 'SOMETIMES'"), V2_WEB),
	    "loadbalancer.listeners[0].client_authentication: \"SOMETIMES\" is not "
	    "one of NONE, OPTIONAL, MANDATORY", NULL);
	invalid(lbfile("{'protocol': 'TERMINATED_HTTPS', 'protocol_port': 443, "
	    "'default_pool_id': 'web', 'tls': {'certificate_file': 'cert.pem', "
	    "'client_crl_file': 'key.pem'}}", V2_WEB),
	    "loadbalancer.listeners[0].tls.client_crl_file: needs tls.client_ca_file",
	    NULL);
	/* only a terminating listener authenticates clients */
	c = warned1(lbfile(V2_HTTP(", 'client_authentication': 'MANDATORY'"), V2_WEB),
	    "loadbalancer.listeners[0].tls: ignored: only TERMINATED_HTTPS listeners "
	    "use certificates, client authentication and HSTS");
	assert_int_equal(c->listeners[0].tls.client_auth, LB_CLIENT_AUTH_NONE);
	lb_config_free(c);
}

static void
v2_hsts(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(lbfile(V2_TERM(", 'hsts_max_age': 31536000, "
	    "'hsts_include_subdomains': true, 'hsts_preload': 'true'"), V2_WEB));
	assert_int_equal(c->listeners[0].hsts_max_age, 31536000);
	assert_true(c->listeners[0].hsts_include_subdomains);
	assert_true(c->listeners[0].hsts_preload);
	lb_config_free(c);
	c = valid(lbfile(V2_TERM(", 'hsts_max_age': 0"), V2_WEB));
	assert_int_equal(c->listeners[0].hsts_max_age, 0);
	lb_config_free(c);
	c = valid(lbfile(V2_TERM(""), V2_WEB));
	assert_int_equal(c->listeners[0].hsts_max_age, -1);
	lb_config_free(c);
	c = warned1(lbfile(V2_HTTP(", 'hsts_max_age': 600"), V2_WEB),
	    "loadbalancer.listeners[0].tls: ignored: only TERMINATED_HTTPS listeners "
	    "use certificates, client authentication and HSTS");
	assert_int_equal(c->listeners[0].hsts_max_age, -1);
	lb_config_free(c);
	invalid(lbfile(V2_TERM(", 'hsts_max_age': -5"), V2_WEB),
	    "loadbalancer.listeners[0].hsts_max_age: -5 must be 0 or more", NULL);
}

/* Key manager references (Barbican) are refused with a hint: lbproxy reads files. */
static void
v2_key_manager_refs(void **state LB_UNUSED)
{
	struct lb_config *c;

	/* what Octavia writes when there is none: null, "" or [] */
	c = valid(lbfile(V2_HTTP(", 'default_tls_container_ref': null, "
	    "'sni_container_refs': [], 'client_ca_tls_container_ref': '', "
	    "'client_crl_container_ref': null"), "{'id': 'web', 'protocol': 'HTTP', "
	    "'lb_algorithm': 'ROUND_ROBIN', 'tls_container_ref': null, "
	    "'ca_tls_container_ref': '', 'crl_container_ref': null}"));
	lb_config_free(c);
	invalid(lbfile(V2_HTTP(", 'default_tls_container_ref': 'https://kms/c/1', "
	    "'sni_container_refs': ['https://kms/c/2'], 'client_ca_tls_container_ref': "
	    "'https://kms/c/3', 'client_crl_container_ref': 'https://kms/c/4'"),
	    "{'id': 'web', 'protocol': 'HTTP', 'lb_algorithm': 'ROUND_ROBIN', "
	    "'tls_container_ref': 'https://kms/c/5', 'ca_tls_container_ref': 'x', "
	    "'crl_container_ref': 'y'}"),
	    "loadbalancer.listeners[0].default_tls_container_ref: key manager "
	    "references are not supported; give the PEM files in "
	    "loadbalancer.listeners[0].tls",
	    "loadbalancer.listeners[0].sni_container_refs: key manager "
	    "references are not supported; give the PEM files in "
	    "loadbalancer.listeners[0].tls",
	    "loadbalancer.listeners[0].client_ca_tls_container_ref: key manager "
	    "references are not supported; give the PEM files in "
	    "loadbalancer.listeners[0].tls",
	    "loadbalancer.listeners[0].client_crl_container_ref: key manager "
	    "references are not supported; give the PEM files in "
	    "loadbalancer.listeners[0].tls",
	    "loadbalancer.pools[0].tls_container_ref: key manager "
	    "references are not supported; give the PEM files in "
	    "loadbalancer.pools[0].tls",
	    "loadbalancer.pools[0].ca_tls_container_ref: key manager "
	    "references are not supported; give the PEM files in "
	    "loadbalancer.pools[0].tls",
	    "loadbalancer.pools[0].crl_container_ref: key manager "
	    "references are not supported; give the PEM files in "
	    "loadbalancer.pools[0].tls", NULL);
}

/* A pool web with this healthmonitor body (JSON object members). */
#define V2_HM_POOL(hm) "{'id': 'web', 'protocol': 'HTTP', 'lb_algorithm': " \
	"'ROUND_ROBIN', " V2_MEMBERS ", 'healthmonitor': {" hm "}}"

/* Octavia's health meaning: max_retries successes to come back, max_retries_down failures to go. */
static void
v2_healthmonitor(void **state LB_UNUSED)
{
	struct lb_config *c;
	const struct lb_hm_conf *hm;

	c = valid(lbfile(V2_HTTP(""), V2_HM_POOL("'id': 'hm1', 'type': 'HTTP', "
	    "'delay': 5, 'timeout': 3, 'max_retries': 2, 'max_retries_down': 4, "
	    "'http_method': 'HEAD', 'url_path': '/hc', 'expected_codes': '200-204', "
	    "'http_version': 1.1, 'domain_name': 'app.example.com'")));
	hm = c->pools[0].hm;
	assert_non_null(hm);
	assert_string_equal(hm->id, "hm1");
	assert_int_equal(hm->max_retries, 2);
	assert_int_equal(hm->rise, 2);
	assert_int_equal(hm->fall, 4);
	assert_int_equal(hm->http_version, 11);
	assert_string_equal(hm->domain_name, "app.example.com");
	assert_string_equal(hm->http_method, "HEAD");
	assert_string_equal(hm->url_path, "/hc");
	assert_true(lb_codes_match(hm->codes, hm->n_codes, 204));
	lb_config_free(c);

	/* defaults: max_retries_down 3, HTTP/1.0 checks (HAProxy's), Host: the member */
	c = valid(lbfile(V2_HTTP(""), V2_HM_POOL("'type': 'HTTP', 'delay': 5, "
	    "'timeout': 3, 'max_retries': 5")));
	hm = c->pools[0].hm;
	assert_int_equal(hm->rise, 5);
	assert_int_equal(hm->fall, 3);
	assert_int_equal(hm->http_version, 10);
	assert_null(hm->domain_name);
	assert_string_equal(hm->http_method, "GET");
	assert_string_equal(hm->url_path, "/");
	lb_config_free(c);
	c = valid(lbfile(V2_HTTP(""), V2_HM_POOL("'type': 'TLS-HELLO', 'delay': 5, "
	    "'timeout': 3, 'max_retries': 1, 'http_version': '1.0'")));
	assert_int_equal(c->pools[0].hm->type, LB_HM_TLS_HELLO);
	assert_int_equal(c->pools[0].hm->http_version, 10);
	lb_config_free(c);
	c = valid(lbfile(V2_HTTP(""), V2_HM_POOL("'type': 'PING', 'delay': 5, "
	    "'timeout': 3, 'max_retries': 1, 'admin_state_up': false")));
	assert_null(c->pools[0].hm);
	lb_config_free(c);

	invalid(lbfile(V2_HTTP(""), V2_HM_POOL("'type': 'UDP-CONNECT', 'delay': 5, "
	    "'timeout': 10, 'max_retries': 0, 'max_retries_down': 11, "
	    "'http_version': 2, 'domain_name': 'a b'")),
	    "loadbalancer.pools[0].healthmonitor.type: \"UDP-CONNECT\" is not one of "
	    "PING, TCP, HTTP, HTTPS, TLS-HELLO",
	    "loadbalancer.pools[0].healthmonitor.timeout: 10 must not exceed delay (5)",
	    "loadbalancer.pools[0].healthmonitor.max_retries: 0 is out of range 1..10",
	    "loadbalancer.pools[0].healthmonitor.max_retries_down: 11 is out of range "
	    "1..10",
	    "loadbalancer.pools[0].healthmonitor.http_version: \"2.0\" is not 1.0 or 1.1",
	    "loadbalancer.pools[0].healthmonitor.domain_name: \"a b\" is not a host "
	    "name", NULL);
	invalid(lbfile(V2_HTTP(""), V2_HM_POOL("'type': 'HTTP', 'delay': 5, "
	    "'timeout': 3, 'max_retries': 1, 'http_version': '2'")),
	    "loadbalancer.pools[0].healthmonitor.http_version: \"2\" is not 1.0 or 1.1",
	    NULL);
	invalid(lbfile(V2_HTTP(""), "{'id': 'web', 'protocol': 'HTTP', "
	    "'lb_algorithm': 'ROUND_ROBIN', 'healthmonitor': []}"),
	    "loadbalancer.pools[0].healthmonitor: expected an object, got array", NULL);
}

/* v1 files keep the v1 meaning: max_retries failures to go DOWN, lbproxy.health.rise to come back. */
static void
v1_health_meaning(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(BASE ", 'healthmonitors': [{" HM "}], 'lbproxy': {'health': "
	    "{'rise': 4}}");
	assert_int_equal(c->pools[0].hm->fall, 3);
	assert_int_equal(c->pools[0].hm->rise, 4);
	assert_int_equal(c->pools[0].hm->http_version, 11);
	lb_config_free(c);
	c = warned(BASE ", 'healthmonitors': [{" HM ", 'max_retries_down': 5}]",
	    "healthmonitors[0].max_retries_down: ignored in a v1 file (max_retries "
	    "is the fall count)");
	assert_int_equal(c->pools[0].hm->fall, 3);
	assert_int_equal(c->pools[0].hm->rise, 2);
	lb_config_free(c);
	/* a v1 file may ask for a TLS handshake check too */
	c = valid(BASE ", 'healthmonitors': [{'type': 'TLS-HELLO', 'delay': 5, "
	    "'timeout': 3, 'max_retries': 3}]");
	assert_int_equal(c->pools[0].hm->type, LB_HM_TLS_HELLO);
	assert_int_equal(c->pools[0].hm->fall, 3);
	lb_config_free(c);
}

static void
v2_members(void **state LB_UNUSED)
{
	struct lb_config *c = valid(lbfile(V2_HTTP(""), "{'id': 'web', 'protocol': "
	    "'HTTP', 'lb_algorithm': 'ROUND_ROBIN', 'members': ["
	    "{'id': 'a', 'address': '127.0.0.1', 'protocol_port': 81, "
	    "'monitor_address': '127.0.0.9', 'monitor_port': 9000}, "
	    "{'id': 'b', 'address': '127.0.0.1', 'protocol_port': 82, "
	    "'monitor_port': 9001, 'weight': 0}, "
	    "{'id': 'c', 'address': '::1', 'protocol_port': 83, "
	    "'monitor_address': '::2', 'backup': true}, "
	    "{'id': 'd', 'address': '127.0.0.1', 'protocol_port': 84, "
	    "'monitor_address': null, 'monitor_port': null}]}"));
	const struct lb_member_conf *m = c->pools[0].members;
	char a[LB_ADDRSTRLEN];

	assert_int_equal(c->pools[0].n_members, 4);
	assert_string_equal(lb_addr_fmt((struct sockaddr *)&m[0].check_addr.ss, a,
	    sizeof(a)), "127.0.0.9:9000");
	assert_string_equal(lb_addr_fmt((struct sockaddr *)&m[0].addr.ss, a,
	    sizeof(a)), "127.0.0.1:81");
	assert_int_equal(m[0].monitor_port, 9000);
	assert_string_equal(lb_addr_fmt((struct sockaddr *)&m[1].check_addr.ss, a,
	    sizeof(a)), "127.0.0.1:9001");
	assert_int_equal(m[1].weight, 0);
	assert_false(m[1].backup);
	assert_string_equal(lb_addr_fmt((struct sockaddr *)&m[2].check_addr.ss, a,
	    sizeof(a)), "[::2]:83");
	assert_true(m[2].backup);
	assert_null(m[3].monitor_address);
	assert_int_equal(m[3].monitor_port, 0);
	assert_string_equal(lb_addr_fmt((struct sockaddr *)&m[3].check_addr.ss, a,
	    sizeof(a)), "127.0.0.1:84");
	lb_config_free(c);

	invalid(lbfile(V2_HTTP(""), "{'id': 'web', 'protocol': 'HTTP', "
	    "'lb_algorithm': 'ROUND_ROBIN', 'members': ["
	    "{'address': '127.0.0.1', 'protocol_port': 81, 'monitor_port': 0}, "
	    "{'address': '127.0.0.1', 'protocol_port': 82, 'monitor_address': "
	    "'checker.example'}, {'address': '127.0.0.1', 'protocol_port': 83, "
	    "'backup': 'sometimes'}, {'protocol_port': 84}]}"),
	    "loadbalancer.pools[0].members[0].monitor_port: 0 is out of range 1..65535",
	    "loadbalancer.pools[0].members[1].monitor_address: \"checker.example\" is "
	    "not an IPv4 or IPv6 address",
	    "loadbalancer.pools[0].members[2].backup: expected a boolean, got string",
	    "loadbalancer.pools[0].members[3].address: missing (required)", NULL);
}

static void
v2_lb_algorithm(void **state LB_UNUSED)
{
	struct lb_config *c = valid(lbfile("{'protocol': 'TCP', 'protocol_port': 80, "
	    "'default_pool_id': 'p'}", "{'id': 'p', 'protocol': 'TCP', "
	    "'lb_algorithm': 'SOURCE_IP_PORT'}"));

	assert_int_equal(c->pools[0].method, LB_METHOD_SOURCE_IP_PORT);
	assert_string_equal(lb_method_names[LB_METHOD_SOURCE_IP_PORT], "SOURCE_IP_PORT");
	lb_config_free(c);
	invalid(lbfile("{'protocol': 'TCP', 'protocol_port': 80, "
	    "'default_pool_id': 'p'}", "{'id': 'p', 'protocol': 'TCP', "
	    "'lb_algorithm': 'RANDOM'}"),
	    "loadbalancer.pools[0].lb_algorithm: \"RANDOM\" is not one of ROUND_ROBIN, "
	    "LEAST_CONNECTIONS, SOURCE_IP, SOURCE_IP_PORT", NULL);
	invalid(lbfile("{'protocol': 'TCP', 'protocol_port': 80, "
	    "'default_pool_id': 'p'}", "{'id': 'p', 'protocol': 'TCP'}"),
	    "loadbalancer.pools[0].lb_algorithm: missing (required)", NULL);
	/* v1 (Neutron LBaaS v1) has no SOURCE_IP_PORT */
	invalid(VIP ", 'pool': {'id': 'p1', 'lb_method': 'SOURCE_IP_PORT'}",
	    "pool.lb_method: \"SOURCE_IP_PORT\" is not one of ROUND_ROBIN, "
	    "LEAST_CONNECTIONS, SOURCE_IP", NULL);
}

static void
v2_persistence(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(lbfile(V2_HTTP(""), "{'id': 'web', 'protocol': 'HTTP', "
	    "'lb_algorithm': 'ROUND_ROBIN', 'session_persistence': {'type': "
	    "'APP_COOKIE', 'cookie_name': 'JSESSIONID', 'persistence_timeout': '60'}}"));
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_APP_COOKIE);
	assert_string_equal(c->pools[0].persist.cookie_name, "JSESSIONID");
	assert_int_equal(c->pools[0].persist.timeout_s, 60);
	lb_config_free(c);
	c = valid(lbfile("{'protocol': 'TCP', 'protocol_port': 80, "
	    "'default_pool_id': 'p'}", "{'id': 'p', 'protocol': 'TCP', "
	    "'lb_algorithm': 'ROUND_ROBIN', 'session_persistence': {'type': "
	    "'SOURCE_IP'}}"));
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_SOURCE_IP);
	assert_int_equal(c->pools[0].persist.timeout_s, 0);
	lb_config_free(c);
	c = warned1(lbfile("{'protocol': 'TCP', 'protocol_port': 80, "
	    "'default_pool_id': 'p'}", "{'id': 'p', 'protocol': 'TCP', "
	    "'lb_algorithm': 'ROUND_ROBIN', 'session_persistence': {'type': "
	    "'HTTP_COOKIE'}}"),
	    "loadbalancer.pools[0].session_persistence.type: HTTP_COOKIE ignored: the "
	    "listener relays bytes (it needs HTTP)");
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_NONE);
	lb_config_free(c);
	invalid(lbfile(V2_HTTP(""), "{'id': 'web', 'protocol': 'HTTP', "
	    "'lb_algorithm': 'ROUND_ROBIN', 'session_persistence': {'type': "
	    "'APP_COOKIE', 'persistence_timeout': -1}}"),
	    "loadbalancer.pools[0].session_persistence.persistence_timeout: -1 must "
	    "be 0 or more",
	    "loadbalancer.pools[0].session_persistence.cookie_name: missing (required "
	    "for APP_COOKIE)", NULL);
}

static void
v2_pool_tls(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(lbfile(V2_HTTP(""), "{'id': 'web', 'protocol': 'HTTP', "
	    "'lb_algorithm': 'ROUND_ROBIN', 'tls_enabled': true, 'tls_versions': "
	    "['TLSv1.2'], 'alpn_protocols': ['http/1.1'], 'tls_ciphers': 'HIGH', "
	    "'tls': {'ca_file': 'cert.pem', 'certificate_file': 'sni.pem', "
	    "'private_key_file': 'key.pem'}}"));
	assert_true(c->pools[0].tls_enabled);
	assert_string_equal(c->pools[0].tls.ca_file, tmpfile_path("cert.pem"));
	assert_string_equal(c->pools[0].tls.certificate_file, tmpfile_path("sni.pem"));
	assert_int_equal(c->pools[0].tls.min_version, 0x0303);
	assert_int_equal(c->pools[0].tls.max_version, 0x0303);
	assert_int_equal(c->pools[0].tls.n_alpn, 1);
	assert_string_equal(c->pools[0].tls.ciphers, "HIGH");
	lb_config_free(c);
	c = warned1(lbfile(V2_HTTP(""), "{'id': 'web', 'protocol': 'HTTP', "
	    "'lb_algorithm': 'ROUND_ROBIN', 'tls': {'ca_file': 'cert.pem'}}"),
	    "loadbalancer.pools[0].tls: ignored: tls_enabled is false");
	lb_config_free(c);
	invalid(lbfile("{'protocol': 'TCP', 'protocol_port': 80, "
	    "'default_pool_id': 'p'}", "{'id': 'p', 'protocol': 'TCP', "
	    "'lb_algorithm': 'ROUND_ROBIN', 'tls_enabled': true}"),
	    "loadbalancer.pools[0].tls_enabled: needs an HTTP or TERMINATED_HTTPS "
	    "listener (a TCP listener relays the client's bytes)", NULL);
}

static void
v2_prometheus(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	struct lb_config *c = valid(lbfile(V2_HTTP("") ", {'id': 'metrics', "
	    "'protocol': 'PROMETHEUS', 'protocol_port': 9102}", V2_WEB));

	assert_int_equal(c->listeners[1].protocol, LB_PROTO_PROMETHEUS);
	assert_false(c->listeners[1].http);
	assert_int_equal(c->listeners[1].default_pool, -1);
	lb_config_free(c);
	/* one message, not a second one saying that the pool does not fit */
	assert_null(load(lbfile("{'protocol': 'PROMETHEUS', 'protocol_port': 9102, "
	    "'default_pool_id': 'web'}", V2_WEB), &d));
	assert_err(&d, "loadbalancer.listeners[0]: a PROMETHEUS listener serves the "
	    "metrics; it has no default_pool and no l7policies");
	assert_int_equal(d.n, 1);
	lb_diag_fini(&d);
}

/* One rule: PATH STARTS_WITH value. */
#define RULE_PATH(v)	"{'type': 'PATH', 'compare_type': 'STARTS_WITH', 'value': '" v "'}"
/* A policy of action a (and extra members) with one PATH rule. */
#define POLICY(a, extra, v) "{'action': '" a "'" extra ", 'rules': [" RULE_PATH(v) "]}"

static void
v2_l7_actions(void **state LB_UNUSED)
{
	static const int codes[] = { 301, 302, 303, 307, 308 };
	const struct lb_l7policy_conf *po;
	struct lb_config *c;
	char l[1024];
	size_t i;

	c = valid(lbfile(V2_HTTP(", 'l7policies': ["
	    POLICY("REJECT", ", 'id': 'rej'", "/admin") ", "
	    POLICY("REDIRECT_TO_URL", ", 'id': 'url', 'redirect_url': "
	    "'https://www.example.com/moved', 'redirect_http_code': 301", "/old") ", "
	    POLICY("REDIRECT_PREFIX", ", 'id': 'pfx', 'redirect_prefix': "
	    "'https://secure.example.com'", "/login") ", "
	    POLICY("REDIRECT_TO_POOL", ", 'id': 'by-id', 'redirect_pool_id': 'api'",
	    "/api") ", "
	    POLICY("REDIRECT_TO_POOL", ", 'id': 'by-name', 'redirect_pool': "
	    "{'name': 'api'}", "/v2") ", "
	    POLICY("REDIRECT_TO_POOL", ", 'id': 'inline', 'redirect_pool': {'id': "
	    "'static', 'protocol': 'HTTP', 'lb_algorithm': 'ROUND_ROBIN', 'members': "
	    "[{'address': '127.0.0.1', 'protocol_port': 8090}]}", "/static") "]"),
	    V2_WEB ", " V2_API));
	assert_int_equal(c->n_pools, 3);
	assert_string_equal(c->pools[2].id, "static");
	assert_string_equal(c->pools[2].path,
	    "loadbalancer.listeners[0].l7policies[5].redirect_pool");
	assert_true(c->pools[1].http);
	assert_true(c->pools[2].http);
	assert_int_equal(c->listeners[0].n_policies, 6);
	po = c->listeners[0].policies;
	assert_string_equal(po[0].id, "rej");
	assert_int_equal(po[0].action, LB_L7_REJECT);
	assert_string_equal(po[1].id, "url");
	assert_int_equal(po[1].action, LB_L7_REDIRECT_TO_URL);
	assert_string_equal(po[1].redirect_url, "https://www.example.com/moved");
	assert_int_equal(po[1].redirect_http_code, 301);
	assert_string_equal(po[2].id, "pfx");
	assert_int_equal(po[2].action, LB_L7_REDIRECT_PREFIX);
	assert_string_equal(po[2].redirect_prefix, "https://secure.example.com");
	assert_int_equal(po[2].redirect_http_code, 302);	/* the default */
	assert_string_equal(po[3].id, "by-id");
	assert_int_equal(po[3].action, LB_L7_REDIRECT_TO_POOL);
	assert_int_equal(po[3].redirect_pool, 1);
	assert_int_equal(po[4].redirect_pool, 1);
	assert_int_equal(po[5].redirect_pool, 2);
	assert_int_equal(po[0].n_rules, 1);
	assert_int_equal(po[0].rules[0].type, LB_L7R_PATH);
	assert_int_equal(po[0].rules[0].compare, LB_L7C_STARTS_WITH);
	assert_string_equal(po[0].rules[0].value, "/admin");
	assert_false(po[0].rules[0].invert);
	assert_string_equal(lb_l7_action_names[LB_L7_REDIRECT_PREFIX], "REDIRECT_PREFIX");
	lb_config_free(c);

	for (i = 0; i < LB_ARRAY_SIZE(codes); i++) {
		snprintf(l, sizeof(l), V2_HTTP(", 'l7policies': [{'action': "
		    "'REDIRECT_TO_URL', 'redirect_url': 'http://a.example/', "
		    "'redirect_http_code': %d, 'rules': [" RULE_PATH("/") "]}]"), codes[i]);
		c = valid(lbfile(l, V2_WEB));
		assert_int_equal(c->listeners[0].policies[0].redirect_http_code, codes[i]);
		lb_config_free(c);
	}

	invalid(lbfile(V2_HTTP(", 'l7policies': ["
	    POLICY("REDIRECT_TO_URL", ", 'redirect_http_code': 304", "/a") ", "
	    POLICY("REDIRECT_TO_URL", ", 'redirect_url': 'ftp://files.example/'", "/b") ", "
	    POLICY("REDIRECT_PREFIX", ", 'redirect_prefix': 'https://'", "/c") ", "
	    POLICY("REDIRECT_PREFIX", ", 'redirect_prefix': 'https://a.example/x y'",
	    "/d") ", "
	    POLICY("DROP", "", "/e") ", "
	    "{'position': 0, 'rules': [" RULE_PATH("/f") "]}, "
	    POLICY("REDIRECT_TO_URL", ", 'redirect_url': 'https://a.example/', "
	    "'redirect_http_code': '200'", "/g") "]"), V2_WEB),
	    "loadbalancer.listeners[0].l7policies[0].redirect_url: missing (required)",
	    "loadbalancer.listeners[0].l7policies[0].redirect_http_code: 304 is not "
	    "one of 301, 302, 303, 307, 308",
	    "loadbalancer.listeners[0].l7policies[1].redirect_url: "
	    "\"ftp://files.example/\" is not an absolute http:// or https:// URL",
	    "loadbalancer.listeners[0].l7policies[2].redirect_prefix: \"https://\" is "
	    "not an absolute http:// or https:// URL",
	    "loadbalancer.listeners[0].l7policies[3].redirect_prefix: "
	    "\"https://a.example/x y\" is not an absolute http:// or https:// URL",
	    "loadbalancer.listeners[0].l7policies[4].action: \"DROP\" is not one of "
	    "REJECT, REDIRECT_TO_URL, REDIRECT_PREFIX, REDIRECT_TO_POOL",
	    "loadbalancer.listeners[0].l7policies[5].action: missing (required)",
	    "loadbalancer.listeners[0].l7policies[5].position: 0 must be 1 or more",
	    "loadbalancer.listeners[0].l7policies[6].redirect_http_code: 200 is not "
	    "one of 301, 302, 303, 307, 308", NULL);
	invalid(lbfile("{'protocol': 'TCP', 'protocol_port': 5432, 'default_pool_id': "
	    "'db', 'l7policies': [" POLICY("REJECT", "", "/") "]}", V2_DB),
	    "loadbalancer.listeners[0].l7policies: need an HTTP or TERMINATED_HTTPS "
	    "listener", NULL);
	invalid(lbfile(V2_HTTP(", 'l7policies': [7, {'action': 'REJECT', 'rules': "
	    "{}}]"), V2_WEB),
	    "loadbalancer.listeners[0].l7policies[0]: expected an object, got integer",
	    "loadbalancer.listeners[0].l7policies[1].rules: expected an array, got "
	    "object", NULL);
}

/* A TERMINATED_HTTPS listener with one REJECT policy holding rules (the inside of the array). */
static const char *
rules_file(const char *rules)
{
	static char l[8192];

	snprintf(l, sizeof(l), V2_TERM(", 'l7policies': [{'action': 'REJECT', "
	    "'rules': [%s]}]"), rules);
	return lbfile(l, V2_WEB);
}

static void
v2_l7_rules(void **state LB_UNUSED)
{
	static const struct { const char *type; enum lb_l7_rule_type t; } types[] = {
		{ "HOST_NAME", LB_L7R_HOST_NAME }, { "PATH", LB_L7R_PATH },
		{ "HEADER", LB_L7R_HEADER }, { "COOKIE", LB_L7R_COOKIE },
		{ "SSL_DN_FIELD", LB_L7R_SSL_DN_FIELD },
	};
	static const struct { const char *cmp; enum lb_l7_compare k; } cmps[] = {
		{ "EQUAL_TO", LB_L7C_EQUAL_TO }, { "STARTS_WITH", LB_L7C_STARTS_WITH },
		{ "ENDS_WITH", LB_L7C_ENDS_WITH }, { "CONTAINS", LB_L7C_CONTAINS },
		{ "REGEX", LB_L7C_REGEX },
	};
	const struct lb_l7rule_conf *r;
	struct lb_config *c;
	char rule[512];
	size_t i, k;

	/* string rules take every compare type */
	for (i = 0; i < LB_ARRAY_SIZE(types); i++)
		for (k = 0; k < LB_ARRAY_SIZE(cmps); k++) {
			snprintf(rule, sizeof(rule), "{'type': '%s', 'compare_type': '%s', "
			    "'key': 'X-Key', 'value': 'a.*b', 'invert': %s}", types[i].type,
			    cmps[k].cmp, k % 2 == 0 ? "true" : "'false'");
			c = valid(rules_file(rule));
			r = &c->listeners[0].policies[0].rules[0];
			assert_int_equal(r->type, types[i].t);
			assert_int_equal(r->compare, cmps[k].k);
			assert_string_equal(r->value, "a.*b");
			assert_int_equal(r->invert, k % 2 == 0);
			if (types[i].t == LB_L7R_HEADER || types[i].t == LB_L7R_COOKIE ||
			    types[i].t == LB_L7R_SSL_DN_FIELD)
				assert_string_equal(r->key, "X-Key");
			lb_config_free(c);
		}

	/* every rule ANDed in one policy, the certificate ones included */
	c = valid(rules_file("{'type': 'FILE_TYPE', 'compare_type': 'EQUAL_TO', "
	    "'value': 'jpg'}, {'type': 'FILE_TYPE', 'compare_type': 'REGEX', "
	    "'value': '^(png|gif)$'}, {'type': 'SSL_CONN_HAS_CERT', 'compare_type': "
	    "'EQUAL_TO', 'value': 'True'}, {'type': 'SSL_VERIFY_RESULT', "
	    "'compare_type': 'EQUAL_TO', 'value': '0', 'invert': true}, "
	    "{'type': 'SSL_DN_FIELD', 'compare_type': 'STARTS_WITH', 'key': 'CN', "
	    "'value': 'client'}, {'type': 'HOST_NAME', 'compare_type': 'ENDS_WITH', "
	    "'value': '.example.com'}"));
	assert_int_equal(c->listeners[0].policies[0].n_rules, 6);
	r = c->listeners[0].policies[0].rules;
	assert_int_equal(r[2].type, LB_L7R_SSL_CONN_HAS_CERT);
	assert_int_equal(r[3].type, LB_L7R_SSL_VERIFY_RESULT);
	assert_true(r[3].invert);
	assert_string_equal(r[4].key, "CN");
	lb_config_free(c);

	invalid(rules_file("{'type': 'METHOD', 'compare_type': 'LIKE', 'value': 'x'}, "
	    "{'compare_type': 'EQUAL_TO'}, "
	    "{'type': 'FILE_TYPE', 'compare_type': 'STARTS_WITH', 'value': 'j'}, "
	    "{'type': 'HEADER', 'compare_type': 'EQUAL_TO', 'value': 'v'}, "
	    "{'type': 'HEADER', 'compare_type': 'EQUAL_TO', 'key': 'X Bad', 'value': 'v'}, "
	    "{'type': 'COOKIE', 'compare_type': 'EQUAL_TO', 'key': 'a;b', 'value': 'v'}, "
	    "{'type': 'SSL_CONN_HAS_CERT', 'compare_type': 'EQUAL_TO', 'value': 'maybe'}, "
	    "{'type': 'SSL_VERIFY_RESULT', 'compare_type': 'CONTAINS', 'value': 'x'}, "
	    "{'type': 'PATH', 'compare_type': 'EQUAL_TO', 'value': ''}, "
	    "{'type': 'PATH', 'compare_type': 'EQUAL_TO', 'value': 'a\\u0001b'}, "
	    "{'type': 'PATH', 'compare_type': 'REGEX', 'value': '^/(api'}"),
	    "loadbalancer.listeners[0].l7policies[0].rules[0].type: \"METHOD\" is not "
	    "one of HOST_NAME, PATH, FILE_TYPE, HEADER, COOKIE, SSL_CONN_HAS_CERT, "
	    "SSL_VERIFY_RESULT, SSL_DN_FIELD",
	    "loadbalancer.listeners[0].l7policies[0].rules[0].compare_type: \"LIKE\" "
	    "is not one of EQUAL_TO, STARTS_WITH, ENDS_WITH, CONTAINS, REGEX",
	    "loadbalancer.listeners[0].l7policies[0].rules[1].type: missing (required)",
	    "loadbalancer.listeners[0].l7policies[0].rules[1].value: missing (required)",
	    "loadbalancer.listeners[0].l7policies[0].rules[2].compare_type: FILE_TYPE "
	    "cannot compare with STARTS_WITH",
	    "loadbalancer.listeners[0].l7policies[0].rules[3].key: missing (required)",
	    "loadbalancer.listeners[0].l7policies[0].rules[4].key: \"X Bad\" is not a "
	    "valid header name",
	    "loadbalancer.listeners[0].l7policies[0].rules[5].key: \"a;b\" is not a "
	    "valid cookie name",
	    "loadbalancer.listeners[0].l7policies[0].rules[6].value: \"maybe\" is not "
	    "\"True\" or \"False\"",
	    "loadbalancer.listeners[0].l7policies[0].rules[7].compare_type: "
	    "SSL_VERIFY_RESULT cannot compare with CONTAINS",
	    "loadbalancer.listeners[0].l7policies[0].rules[7].value: \"x\" is not a "
	    "verification result number",
	    "loadbalancer.listeners[0].l7policies[0].rules[8].value: must not be empty",
	    "loadbalancer.listeners[0].l7policies[0].rules[9].value: \"a\\x01b\" has "
	    "control characters",
	    "loadbalancer.listeners[0].l7policies[0].rules[10].value: \"^/(api\" is not "
	    "a regular expression: missing closing parenthesis at offset 6", NULL);
	/* the certificate rules need TLS ended at the listener */
	invalid(lbfile(V2_HTTP(", 'l7policies': [{'action': 'REJECT', 'rules': "
	    "[{'type': 'SSL_CONN_HAS_CERT', 'compare_type': 'EQUAL_TO', 'value': "
	    "'False'}, {'type': 'SSL_DN_FIELD', 'compare_type': 'EQUAL_TO', 'key': "
	    "'OU', 'value': 'x'}]}]"), V2_WEB),
	    "loadbalancer.listeners[0].l7policies[0].rules[0].type: SSL_CONN_HAS_CERT "
	    "needs a TERMINATED_HTTPS listener",
	    "loadbalancer.listeners[0].l7policies[0].rules[1].type: SSL_DN_FIELD needs "
	    "a TERMINATED_HTTPS listener", NULL);
}

/* The ids of listener 0's policies in force, in evaluation order, comma-separated. */
static const char *
policy_order(const struct lb_config *c)
{
	static char buf[512];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < c->listeners[0].n_policies; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i > 0 ? "," : "",
		    c->listeners[0].policies[i].id);
	return buf;
}

/* HAProxy's order, as Octavia's template relies on: REJECT, then redirects, then REDIRECT_TO_POOL. */
static void
v2_l7_order(void **state LB_UNUSED)
{
	struct lb_config *c = valid(lbfile(V2_HTTP(", 'l7policies': ["
	    POLICY("REDIRECT_TO_POOL", ", 'id': 'a', 'position': 1, "
	    "'redirect_pool_id': 'api'", "/a") ", "
	    POLICY("REJECT", ", 'id': 'b', 'position': 3", "/b") ", "
	    POLICY("REDIRECT_TO_URL", ", 'id': 'c', 'position': 2, 'redirect_url': "
	    "'https://c.example/'", "/c") ", "
	    POLICY("REJECT", ", 'id': 'd', 'position': 1", "/d") ", "
	    POLICY("REDIRECT_PREFIX", ", 'id': 'e', 'position': 2, 'redirect_prefix': "
	    "'https://e.example'", "/e") ", "
	    POLICY("REDIRECT_TO_POOL", ", 'id': 'f', 'redirect_pool_id': 'api'", "/f") ", "
	    POLICY("REDIRECT_TO_POOL", ", 'id': 'g', 'position': 1, "
	    "'redirect_pool_id': 'api'", "/g") ", "
	    POLICY("REDIRECT_TO_URL", ", 'id': 'h', 'position': 1, 'redirect_url': "
	    "'https://h.example/'", "/h") "]"), V2_WEB ", " V2_API));

	assert_string_equal(policy_order(c), "d,b,h,c,e,a,g,f");
	lb_config_free(c);
}

/* Disabled policies and rules, and policies without an enabled rule, are left out (Octavia's template). */
static void
v2_l7_disabled(void **state LB_UNUSED)
{
	struct lb_config *c = valid(lbfile(V2_HTTP(", 'l7policies': ["
	    POLICY("REJECT", ", 'id': 'off', 'admin_state_up': false", "/a") ", "
	    "{'id': 'no-rules', 'action': 'REJECT'}, "
	    "{'id': 'empty', 'action': 'REJECT', 'rules': []}, "
	    "{'id': 'rules-off', 'action': 'REJECT', 'rules': [{'type': 'PATH', "
	    "'compare_type': 'EQUAL_TO', 'value': '/x', 'admin_state_up': false}]}, "
	    "{'id': 'some-off', 'action': 'REJECT', 'rules': [{'type': 'PATH', "
	    "'compare_type': 'EQUAL_TO', 'value': '/y', 'admin_state_up': 'false'}, "
	    "{'type': 'HEADER', 'compare_type': 'EQUAL_TO', 'key': 'X-Block', "
	    "'value': '1'}]}, "
	    POLICY("REDIRECT_TO_POOL", ", 'id': 'pool-off', 'redirect_pool_id': "
	    "'down'", "/down") ", "
	    POLICY("REDIRECT_TO_POOL", ", 'id': 'on', 'redirect_pool_id': 'api'",
	    "/api") "]"), V2_WEB ", " V2_API ", {'id': 'down', 'protocol': 'HTTP', "
	    "'lb_algorithm': 'ROUND_ROBIN', 'admin_state_up': false}"));

	assert_string_equal(policy_order(c), "some-off,on");
	assert_int_equal(c->listeners[0].policies[0].n_rules, 1);
	assert_int_equal(c->listeners[0].policies[0].rules[0].type, LB_L7R_HEADER);
	lb_config_free(c);
	/* a disabled policy is still checked */
	invalid(lbfile(V2_HTTP(", 'l7policies': [" POLICY("DROP", ", "
	    "'admin_state_up': false", "/a") "]"), V2_WEB),
	    "loadbalancer.listeners[0].l7policies[0].action: \"DROP\" is not one of "
	    "REJECT, REDIRECT_TO_URL, REDIRECT_PREFIX, REDIRECT_TO_POOL", NULL);
}

/* One problem in every kind of object, each reported with its path, all at once. */
static void
v2_errors_accumulate(void **state LB_UNUSED)
{
	invalid("'loadbalancer': {'vip_address': '10.0.0.1', 'listeners': ["
	    "{'protocol': 'HTTP', 'protocol_port': 80, 'default_pool_id': 'web', "
	    "'l7policies': [{'action': 'REJECT', 'position': 1, 'rules': ["
	    "{'type': 'PATH', 'compare_type': 'STARTS_WITH', 'value': '/a'}, "
	    "{'type': 'PATH', 'compare_type': 'SOUNDS_LIKE', 'value': '/b'}, "
	    "{'type': 'HEADER', 'compare_type': 'EQUAL_TO', 'key': 'X-A', "
	    "'value': 'x'}]}]}, "
	    "{'protocol': 'TCP', 'protocol_port': 70000, 'default_pool_id': 'db'}, "
	    "{'protocol': 'HTTP', 'protocol_port': 81, 'default_pool_id': 'ghost', "
	    "'allowed_cidrs': ['10.0.0.0/8', 'everyone']}], "
	    "'pools': [{'id': 'web', 'protocol': 'HTTP', 'lb_algorithm': 'RR', "
	    "'members': [{'address': '10.0.1.1', 'protocol_port': 80}, "
	    "{'address': '10.0.1.2', 'protocol_port': 80, 'weight': 257}], "
	    "'healthmonitor': {'type': 'HTTP', 'delay': 5, 'timeout': 2, "
	    "'max_retries': 3, 'max_retries_down': 0, 'expected_codes': '2xx'}}, "
	    "{'id': 'db', 'protocol': 'TCP', 'lb_algorithm': 'SOURCE_IP', "
	    "'members': [{'address': 'db1', 'protocol_port': 5432}]}]}, "
	    "'lbproxy': {'retries': -1}",
	    "loadbalancer.listeners[0].l7policies[0].rules[1].compare_type: "
	    "\"SOUNDS_LIKE\" is not one of EQUAL_TO, STARTS_WITH, ENDS_WITH, "
	    "CONTAINS, REGEX",
	    "loadbalancer.listeners[1].protocol_port: 70000 is out of range 1..65535",
	    "loadbalancer.listeners[2].default_pool_id: no pool \"ghost\" in "
	    "loadbalancer.pools",
	    "loadbalancer.listeners[2].allowed_cidrs[1]: \"everyone\" is not a CIDR "
	    "like \"10.0.0.0/8\" or \"2001:db8::/32\"",
	    "loadbalancer.pools[0].lb_algorithm: \"RR\" is not one of ROUND_ROBIN, "
	    "LEAST_CONNECTIONS, SOURCE_IP, SOURCE_IP_PORT",
	    "loadbalancer.pools[0].members[1].weight: 257 is out of range 0..256",
	    "loadbalancer.pools[0].healthmonitor.max_retries_down: 0 is out of range "
	    "1..10",
	    "loadbalancer.pools[0].healthmonitor.expected_codes: \"2xx\" is not a "
	    "list of status codes like \"200\", \"200,202\" or \"200-299\"",
	    "loadbalancer.pools[1].members[0].address: \"db1\" is not an IPv4 or IPv6 "
	    "address",
	    "lbproxy.retries: -1 is out of range 0..100", NULL);
}

/* ------------------------------------------------------------ Contrail as written (15) */

/* Contrail's vip v1 on 127.0.0.1:port (with extra JSON members). */
#define CVIP(port, proto, extra) "'vip': {'id': 'v1', 'address': '127.0.0.1', " \
	"'port': " #port ", 'protocol': '" proto "'" extra "}"

/* "ssl-crt": "" is written for every pool when the agent has no certificate (15.1). */
static void
contrail_empty_ssl_crt(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(CONTRAIL_POOL ", 'ssl-crt': '', " CVIP(80, "HTTP", ""));
	assert_int_equal(c->dialect, LB_DIALECT_CONTRAIL);
	assert_null(c->listeners[0].tls.certificate_file);
	assert_false(c->listeners[0].has_tls);
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_NONE);
	lb_config_free(c);
	/* HTTPS without a certificate: passthrough */
	c = valid("'pool': {'id': 'p1', 'protocol': 'HTTPS', 'method': 'ROUND_ROBIN'}, "
	    "'ssl-crt': '', " CVIP(443, "HTTPS", ""));
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_PASSTHROUGH);
	lb_config_free(c);
	invalid(CONTRAIL_POOL ", 'ssl-crt': 5, " CVIP(80, "HTTP", ""),
	    "ssl-crt: expected a string, got integer", NULL);
}

/* An HTTP VIP on port 443 with a certificate terminates TLS, elsewhere not (15.1). */
static void
contrail_http_443(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(CONTRAIL_POOL ", 'ssl-crt': 'cert.pem', " CVIP(443, "HTTP", ""));
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_TERMINATE);
	assert_true(c->listeners[0].http);
	assert_string_equal(c->listeners[0].tls.certificate_file, tmpfile_path("cert.pem"));
	assert_int_equal(c->pools[0].protocol, LB_PROTO_HTTP);
	lb_config_free(c);
	c = warned(CONTRAIL_POOL ", 'ssl-crt': 'cert.pem', " CVIP(8443, "HTTP", ""),
	    "ssl-crt: ignored: an HTTP VIP terminates TLS only on port 443 (use "
	    "protocol HTTPS)");
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_NONE);
	lb_config_free(c);
}

/* A TCP or PING monitor made through the API carries "" for the HTTP fields (15.2). */
static void
contrail_monitor_empty_fields(void **state LB_UNUSED)
{
	struct lb_config *c = valid(CONTRAIL_POOL ", " CVIP(80, "HTTP", "") ", "
	    "'healthmonitors': [{'id': 'h1', 'type': 'TCP', 'delay': 5, 'timeout': 2, 'max-retries': 3, "
	    "'http-method': '', 'url': '', 'expected-codes': '', 'admin-state': true}]");

	assert_non_null(c->pools[0].hm);
	assert_int_equal(c->pools[0].hm->type, LB_HM_TCP);
	assert_string_equal(c->pools[0].hm->http_method, "GET");
	assert_string_equal(c->pools[0].hm->url_path, "/");
	assert_string_equal(c->pools[0].hm->expected_codes, "200");
	lb_config_free(c);
}

/* Contrail's defaults (300 s, maxconn 65000); keep-alive falls back to client (15.3). */
static void
contrail_defaults(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = valid(CONTRAIL_POOL ", " CVIP(80, "HTTP", ""));
	assert_int_equal(c->dialect, LB_DIALECT_CONTRAIL);
	assert_int_equal(c->timeouts.client, 300000);
	assert_int_equal(c->timeouts.server, 300000);
	assert_int_equal(c->maxconn, 65000);
	assert_int_equal(c->timeouts.http_request, 10000);
	assert_int_equal(c->timeouts.http_keep_alive, 300000);
	assert_int_equal(c->listeners[0].timeouts.http_keep_alive, 300000);
	lb_config_free(c);

	c = valid(CONTRAIL_POOL ", " CVIP(80, "HTTP", "") ", 'custom-attributes': "
	    "{'client_timeout': '2000', 'server_timeout': '', 'max_conn': ''}");
	assert_int_equal(c->timeouts.client, 2000);
	assert_int_equal(c->timeouts.http_request, 2000);
	assert_int_equal(c->timeouts.http_keep_alive, 2000);
	assert_int_equal(c->listeners[0].timeouts.http_keep_alive, 2000);
	assert_int_equal(c->timeouts.server, 300000);	/* "" is not set */
	assert_int_equal(c->maxconn, 65000);
	lb_config_free(c);

	/* v1 (Neutron) keeps lbproxy's defaults, and the same fallback */
	c = valid(BASE ", 'lbproxy': {'timeouts_ms': {'client': 2000}}");
	assert_int_equal(c->dialect, LB_DIALECT_V1);
	assert_int_equal(c->maxconn, 0);
	assert_int_equal(c->timeouts.server, 50000);
	assert_int_equal(c->timeouts.http_keep_alive, 2000);
	lb_config_free(c);
	c = valid(BASE ", 'lbproxy': {'timeouts_ms': {'client': 60000, "
	    "'http_request': 3000}}");
	assert_int_equal(c->timeouts.http_keep_alive, 3000);
	lb_config_free(c);
}

/* custom-attributes.tls_container: the PEM Contrail wrote beside conf.json (15.4). */
static void
contrail_tls_container(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	struct lb_config *c;
	char want[512];

	write_file("p1.crtbundle.pem", "not parsed here\n");
	c = valid(CONTRAIL_POOL ", 'ssl-crt': 'cert.pem', " CVIP(443, "HTTPS", "") ", "
	    "'custom-attributes': {'tls_container': 'https://barbican/containers/1'}");
	assert_int_equal(c->listeners[0].tls_mode, LB_TLS_TERMINATE);
	assert_string_equal(c->listeners[0].tls.certificate_file,
	    tmpfile_path("p1.crtbundle.pem"));
	lb_config_free(c);
	unlink(tmpfile_path("p1.crtbundle.pem"));

	assert_null(load(CONTRAIL_POOL ", " CVIP(443, "HTTPS", "") ", "
	    "'custom-attributes': {'tls_container': 'ref'}", &d));
	snprintf(want, sizeof(want), "vip.tls.certificate_file: %s: No such file or "
	    "directory", tmpfile_path("p1.crtbundle.pem"));
	assert_err(&d, want);
	assert_int_equal(d.n, 1);
	lb_diag_fini(&d);
}

/* json (' for ") loaded as tmpdir/name must get the stats socket tmpdir/want. */
static void
socket_for(const char *name, const char *json, const char *want)
{
	struct lb_diag d = { 0 };
	struct lb_config *c;
	char *s, *path, *q;

	s = lb_asprintf("{%s}", json);
	for (q = s; *q != '\0'; q++)
		if (*q == '\'')
			*q = '"';
	path = lb_asprintf("%s/%s", tmpdir, name);
	c = lb_config_parse(s, strlen(s), path, &d);
	if (c == NULL) {
		dump(&d);
		fail_msg("%s does not load", name);
	}
	assert_string_equal(c->stats_socket, tmpfile_path(want));
	lb_config_free(c);
	lb_diag_fini(&d);
	free(path);
	free(s);
}

/* <id>.conf.json: the stats socket is <id>.haproxy.sock beside it, never shared (15.5). */
static void
contrail_stats_socket(void **state LB_UNUSED)
{
	static const char conf[] = CONTRAIL_POOL ", " CVIP(80, "HTTP", "");

	socket_for("0a1b2c.conf.json", conf, "0a1b2c.haproxy.sock");
	socket_for("0a1b2d.conf.json", conf, "0a1b2d.haproxy.sock");
	socket_for(".conf.json", conf, "sock");
	socket_for("conf.json", conf, "sock");
	socket_for("pool.json", conf, "sock");
	socket_for("lb.json", lbfile(V2_HTTP(""), V2_WEB), "sock");
	socket_for("0a1b2c.conf.json", CONTRAIL_POOL ", " CVIP(80, "HTTP", "") ", "
	    "'lbproxy': {'stats_socket': 'mine.sock'}", "mine.sock");
}

/* Contrail accepted timeout > delay: warned and clamped there, refused in v1 (15.7). */
static void
contrail_timeout_over_delay(void **state LB_UNUSED)
{
	struct lb_config *c = warned(CONTRAIL_POOL ", " CVIP(80, "HTTP", "") ", "
	    "'healthmonitors': [{'type': 'TCP', 'delay': 5, 'timeout': 10, 'max-retries': 3}]",
	    "healthmonitors[0].timeout: 10 exceeds delay (5); using 5");

	assert_int_equal(c->pools[0].hm->timeout, 5);
	assert_int_equal(c->pools[0].hm->delay, 5);
	lb_config_free(c);
	invalid(BASE ", 'healthmonitors': [{'type': 'TCP', 'delay': 5, "
	    "'timeout': 10, 'max_retries': 3}]",
	    "healthmonitors[0].timeout: 10 must not exceed delay (5)", NULL);
}

/* Contrail accepted APP_COOKIE without a cookie name: warned and ignored (15.7). */
static void
contrail_app_cookie_without_name(void **state LB_UNUSED)
{
	struct lb_config *c;

	c = warned(CONTRAIL_POOL ", " CVIP(80, "HTTP", ", 'persistence-type': "
	    "'APP_COOKIE', 'persistence-cookie-name': ''"),
	    "vip.persistence-cookie-name: missing for APP_COOKIE; persistence "
	    "ignored, as Contrail's HAProxy did");
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_NONE);
	lb_config_free(c);
	c = warned(CONTRAIL_POOL ", " CVIP(80, "HTTP", ", 'persistence-type': "
	    "'APP_COOKIE'"),
	    "vip.persistence-cookie-name: missing for APP_COOKIE; persistence "
	    "ignored, as Contrail's HAProxy did");
	assert_int_equal(c->pools[0].persist.type, LB_PERSIST_NONE);
	lb_config_free(c);
}

/* ------------------------------------------------------------ Neutron as it is (15.8) */

/* A logical device as Neutron's LBaaS v1 plugin hands it to its HAProxy driver. */
static void
neutron_logical_device(void **state LB_UNUSED)
{
	struct lb_config *c = valid(
	    "'pool': {'id': 'p1', 'tenant_id': 't1', 'vip_id': 'v1', 'name': 'web', "
	    "'description': '', 'subnet_id': 's1', 'protocol': 'HTTP', "
	    "'lb_method': 'ROUND_ROBIN', 'members': ['m1', 'm2'], "
	    "'health_monitors': ['h1'], 'health_monitors_status': [{'monitor_id': "
	    "'h1', 'status': 'ACTIVE', 'status_description': null}], "
	    "'provider': 'haproxy', 'admin_state_up': true, 'status': 'ACTIVE', "
	    "'status_description': null}, "
	    "'vip': {'id': 'v1', 'tenant_id': 't1', 'name': 'vip', 'description': '', "
	    "'subnet_id': 's1', 'address': '127.0.0.1', 'port_id': 'port1', "
	    "'protocol_port': 8080, 'protocol': 'HTTP', 'pool_id': 'p1', "
	    "'session_persistence': null, 'connection_limit': -1, "
	    "'admin_state_up': true, 'status': 'ACTIVE', 'status_description': null, "
	    "'port': {'id': 'port1', 'name': 'vip-v1', 'network_id': 'n1', "
	    "'mac_address': 'fa:16:3e:00:00:01', 'admin_state_up': true, "
	    "'status': 'ACTIVE', 'device_owner': 'neutron:LOADBALANCER', "
	    "'fixed_ips': [{'subnet_id': 's1', 'ip_address': '127.0.0.1', "
	    "'subnet': {'id': 's1', 'cidr': '127.0.0.0/8', 'gateway_ip': null}}]}}, "
	    "'members': [{'id': 'm1', 'tenant_id': 't1', 'pool_id': 'p1', "
	    "'address': '127.0.0.1', 'protocol_port': 8081, 'weight': 1, "
	    "'admin_state_up': true, 'status': 'ACTIVE', 'status_description': null}, "
	    "{'id': 'm2', 'tenant_id': 't1', 'pool_id': 'p1', 'address': '127.0.0.2', "
	    "'protocol_port': 8081, 'weight': 2, 'admin_state_up': true, "
	    "'status': 'INACTIVE', 'status_description': null}], "
	    "'healthmonitors': [{'id': 'h1', 'tenant_id': 't1', 'type': 'HTTP', "
	    "'delay': 5, 'timeout': 3, 'max_retries': 3, 'http_method': 'GET', "
	    "'url_path': '/', 'expected_codes': '200', 'admin_state_up': true, "
	    "'status': 'ACTIVE', 'pools': [{'pool_id': 'p1', 'status': 'ACTIVE'}]}], "
	    "'driver': 'haproxy'");

	assert_int_equal(c->dialect, LB_DIALECT_V1);
	assert_int_equal(c->listeners[0].port, 8080);
	assert_int_equal(c->pools[0].n_members, 2);
	assert_int_equal(c->pools[0].members[1].weight, 2);
	assert_non_null(c->pools[0].hm);
	assert_int_equal(c->timeouts.client, 50000);	/* not Contrail's 300 s */
	lb_config_free(c);
}

/* ------------------------------------------------------------ size (15.17) */

/* A v1 file with n members (new); dup: the last member repeats the first one's id and address. */
static char *
many_members(size_t n, bool dup)
{
	size_t cap = n * 96 + 512, len, i, k;
	char *s = lb_xmalloc(cap);

	len = (size_t)snprintf(s, cap, "{\"pool\": {\"id\": \"p1\", \"protocol\": "
	    "\"TCP\", \"lb_method\": \"ROUND_ROBIN\"}, \"vip\": {\"id\": \"v1\", "
	    "\"address\": \"127.0.0.1\", \"protocol_port\": 80, \"protocol\": "
	    "\"TCP\"}, \"members\": [");
	for (i = 0; i < n; i++) {
		k = dup && i == n - 1 ? 0 : i;
		len += (size_t)snprintf(s + len, cap - len, "%s{\"id\": \"m%zu\", "
		    "\"address\": \"10.%zu.%zu.%zu\", \"protocol_port\": 80}",
		    i > 0 ? ", " : "", k, k >> 16, (k >> 8) & 255, k & 255);
	}
	snprintf(s + len, cap - len, "]}");
	return s;
}

/* 100,000 members validate in linear time: well under a second (a bound of 2 s here). */
static void
members_100k(void **state LB_UNUSED)
{
	struct lb_diag d = { 0 };
	struct lb_config *c;
	char *s = many_members(100000, false);
	uint64_t t0, ms;

	t0 = lb_now_ms();
	c = lb_config_parse(s, strlen(s), conf_path, &d);
	ms = lb_now_ms() - t0;
	print_message("100000 members: loaded and checked in %llu ms\n",
	    (unsigned long long)ms);
	assert_non_null(c);
	assert_int_equal(c->pools[0].n_members, 100000);
	assert_true(ms < 2000);
	lb_config_free(c);
	free(s);

	/* the uniqueness rules still see the last member */
	s = many_members(100000, true);
	t0 = lb_now_ms();
	assert_null(lb_config_parse(s, strlen(s), conf_path, &d));
	ms = lb_now_ms() - t0;
	print_message("100000 members, one duplicate: refused in %llu ms\n",
	    (unsigned long long)ms);
	assert_err(&d, "members[99999].id: \"m0\" is already used by members[0]");
	assert_int_equal(d.n, 1);
	assert_true(ms < 2000);
	lb_diag_fini(&d);
	free(s);
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

/* examples/octavia-lb.json: two listeners, three pools, L7 policies in order. */
static void
example_octavia(void **state LB_UNUSED)
{
	char *dir = examples_dir(), *path = lb_asprintf("%s/octavia-lb.json", dir);
	struct lb_diag d = { 0 };
	struct lb_config *c = lb_config_load(path, &d);
	const struct lb_listener_conf *web;

	if (c == NULL) {
		lb_diag_print(&d, path, stderr);
		fail_msg("%s does not load", path);
	}
	assert_int_equal(c->dialect, LB_DIALECT_V2);
	assert_int_equal(c->n_listeners, 2);
	assert_int_equal(c->n_pools, 3);
	web = lb_config_listener(c, "web");
	assert_non_null(web);
	assert_true(web->http);
	assert_int_equal(web->n_policies, 4);
	assert_int_equal(web->policies[0].action, LB_L7_REJECT);
	assert_int_equal(web->policies[1].action, LB_L7_REDIRECT_PREFIX);
	assert_int_equal(web->policies[2].action, LB_L7_REDIRECT_TO_POOL);
	assert_int_equal(web->policies[3].n_rules, 2);
	assert_ptr_equal(&c->pools[web->policies[2].redirect_pool],
	    lb_config_pool(c, "api-pool"));
	assert_false(lb_config_listener(c, "db")->http);
	assert_int_equal(lb_config_listener(c, "db")->n_allowed, 2);
	assert_ptr_equal(&c->pools[lb_config_listener(c, "db")->default_pool],
	    lb_config_pool(c, "db-pool"));
	assert_true(lb_config_pool(c, "api-pool")->members[1].backup);
	assert_int_equal(lb_config_pool(c, "web-pool")->hm->rise, 2);
	lb_config_free(c);
	lb_diag_fini(&d);
	free(path);
	free(dir);
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
		cmocka_unit_test(v2_minimal),
		cmocka_unit_test(v2_lb_fields),
		cmocka_unit_test(v2_default_pool_forms),
		cmocka_unit_test(v2_unknown_pool),
		cmocka_unit_test(v2_unknown_pool_by_name_path),
		cmocka_unit_test(v2_pool_l4_and_l7),
		cmocka_unit_test(v2_duplicates),
		cmocka_unit_test(v2_protocols_fit),
		cmocka_unit_test(v2_ids_default),
		cmocka_unit_test(v2_lenient_types),
		cmocka_unit_test(v2_connection_limit),
		cmocka_unit_test(v2_insert_headers),
		cmocka_unit_test(v2_timeouts),
		cmocka_unit_test(v2_allowed_cidrs),
		cmocka_unit_test(v2_terminated_tls),
		cmocka_unit_test(v2_client_auth),
		cmocka_unit_test(v2_hsts),
		cmocka_unit_test(v2_key_manager_refs),
		cmocka_unit_test(v2_healthmonitor),
		cmocka_unit_test(v1_health_meaning),
		cmocka_unit_test(v2_members),
		cmocka_unit_test(v2_lb_algorithm),
		cmocka_unit_test(v2_persistence),
		cmocka_unit_test(v2_pool_tls),
		cmocka_unit_test(v2_prometheus),
		cmocka_unit_test(v2_l7_actions),
		cmocka_unit_test(v2_l7_rules),
		cmocka_unit_test(v2_l7_order),
		cmocka_unit_test(v2_l7_disabled),
		cmocka_unit_test(v2_errors_accumulate),
		cmocka_unit_test(contrail_empty_ssl_crt),
		cmocka_unit_test(contrail_http_443),
		cmocka_unit_test(contrail_monitor_empty_fields),
		cmocka_unit_test(contrail_defaults),
		cmocka_unit_test(contrail_tls_container),
		cmocka_unit_test(contrail_stats_socket),
		cmocka_unit_test(contrail_timeout_over_delay),
		cmocka_unit_test(contrail_app_cookie_without_name),
		cmocka_unit_test(neutron_logical_device),
		cmocka_unit_test(members_100k),
		cmocka_unit_test(load_file),
		cmocka_unit_test(examples_load),
		cmocka_unit_test(example_octavia),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
