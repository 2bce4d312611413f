/*
 * test_config_priv.c: unit tests for src/config_priv.c, through
 * lb_config_parse as lbproxy reads a file: the defaults, every key of the
 * least-privilege settings, the extra stats sockets, and each error with its
 * JSON path (accumulated with the others). JSON is written with ' for ".
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbproxy/config.h"
#include "lbproxy/diag.h"
#include "lbproxy/priv.h"

#define BASE	"'pool': {'id': 'p1', 'protocol': 'TCP', 'lb_method': 'ROUND_ROBIN'}, " \
		"'vip': {'id': 'v1', 'address': '127.0.0.1', 'protocol_port': 9000, " \
		"'protocol': 'TCP'}, " \
		"'members': [{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 9001}]"

static struct lb_diag diag;

/* Parse "{BASE, 'lbproxy': {lbproxy}}" as /etc/lb/pool.json; NULL when invalid. */
static struct lb_config *
load(const char *lbproxy)
{
	char *json = NULL, *p;
	struct lb_config *c;
	size_t len;

	lb_diag_fini(&diag);
	memset(&diag, 0, sizeof(diag));
	if (lbproxy != NULL)
		len = (size_t)asprintf(&json, "{" BASE ", 'lbproxy': {%s}}", lbproxy);
	else
		len = (size_t)asprintf(&json, "{" BASE "}");
	assert_non_null(json);
	for (p = json; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	c = lb_config_parse(json, len, "/etc/lb/pool.json", &diag);
	free(json);
	return c;
}

/* The file is invalid and one of the errors is want. */
static void
expect_err(const char *lbproxy, const char *want)
{
	struct lb_config *c = load(lbproxy);
	size_t i;

	assert_null(c);
	for (i = 0; i < diag.n; i++)
		if (strcmp(diag.msgs[i], want) == 0)
			return;
	for (i = 0; i < diag.n; i++)
		fprintf(stderr, "got: %s\n", diag.msgs[i]);
	fail_msg("missing error: %s", want);
}

static void
test_defaults(void **state)
{
	struct lb_config *c = load(NULL);

	(void)state;
	assert_non_null(c);
	assert_null(c->priv.user);
	assert_null(c->priv.group);
	assert_true(c->priv.sandbox);
	assert_int_equal(c->priv.stats_socket_level, LB_CLI_ADMIN);
	assert_int_equal(c->priv.n_stats_sockets, 0);
	lb_config_free(c);
	c = load("'workers': 2");
	assert_non_null(c);
	assert_true(c->priv.sandbox);
	lb_config_free(c);
}

static void
test_keys(void **state)
{
	struct lb_config *c = load("'user': 'lbproxy', 'group': 'ssl-cert', 'sandbox': false, "
	    "'stats_socket_level': 'operator', 'stats_sockets': ["
	    "{'path': 'monitor.sock', 'mode': '0666'}, "
	    "{'path': '/run/lb/admin.sock', 'level': 'admin', 'mode': '600'}, "
	    "{'path': './op.sock', 'level': 'operator'}]");

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->priv.user, "lbproxy");
	assert_string_equal(c->priv.group, "ssl-cert");
	assert_false(c->priv.sandbox);
	assert_int_equal(c->priv.stats_socket_level, LB_CLI_OPERATOR);
	assert_int_equal(c->priv.n_stats_sockets, 3);
	assert_string_equal(c->priv.stats_sockets[0].path, "/etc/lb/monitor.sock");
	assert_int_equal(c->priv.stats_sockets[0].mode, 0666);
	assert_int_equal(c->priv.stats_sockets[0].level, LB_CLI_USER);	/* read-only by default */
	assert_string_equal(c->priv.stats_sockets[1].path, "/run/lb/admin.sock");
	assert_int_equal(c->priv.stats_sockets[1].mode, 0600);
	assert_int_equal(c->priv.stats_sockets[1].level, LB_CLI_ADMIN);
	assert_string_equal(c->priv.stats_sockets[2].path, "/etc/lb/op.sock");
	assert_int_equal(c->priv.stats_sockets[2].mode, 0660);
	assert_int_equal(c->priv.stats_sockets[2].level, LB_CLI_OPERATOR);
	lb_config_free(c);

	/* null means "not given", as everywhere in the file */
	c = load("'user': null, 'sandbox': null, 'stats_sockets': null");
	assert_non_null(c);
	assert_null(c->priv.user);
	assert_true(c->priv.sandbox);
	lb_config_free(c);
}

static void
test_errors(void **state)
{
	char longp[200];

	(void)state;
	expect_err("'user': 7", "lbproxy.user: expected a string");
	expect_err("'user': ''", "lbproxy.user: must be 1 to 63 bytes long");
	expect_err("'group': ['a']", "lbproxy.group: expected a string");
	expect_err("'sandbox': 'no'", "lbproxy.sandbox: expected a boolean");
	expect_err("'stats_socket_level': 'root'",
	    "lbproxy.stats_socket_level: \"root\" is not one of user, operator, admin");
	expect_err("'stats_sockets': {}", "lbproxy.stats_sockets: expected an array");
	expect_err("'stats_sockets': [3]", "lbproxy.stats_sockets[0]: expected an object");
	expect_err("'stats_sockets': [{'mode': '0600'}]",
	    "lbproxy.stats_sockets[0].path: required");
	expect_err("'stats_sockets': [{'path': 'a', 'mode': '0999'}]",
	    "lbproxy.stats_sockets[0].mode: \"0999\" is not an octal mode like \"0660\"");
	expect_err("'stats_sockets': [{'path': 'a', 'mode': 432}]",
	    "lbproxy.stats_sockets[0].mode: expected a string");
	expect_err("'stats_sockets': [{'path': 'a', 'level': 'superuser'}]",
	    "lbproxy.stats_sockets[0].level: \"superuser\" is not one of user, operator, admin");
	/* the same file twice: the second bind would take the first one's name */
	expect_err("'stats_sockets': [{'path': 'sock'}]",
	    "lbproxy.stats_sockets[0].path: /etc/lb/sock is lbproxy.stats_socket already");
	expect_err("'stats_socket': '/run/a.sock', 'stats_sockets': [{'path': '/run/a.sock'}]",
	    "lbproxy.stats_sockets[0].path: /run/a.sock is lbproxy.stats_socket already");
	expect_err("'stats_sockets': [{'path': 'm'}, {'path': '/etc/lb/m'}]",
	    "lbproxy.stats_sockets[1].path: /etc/lb/m is lbproxy.stats_sockets[0] already");
	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	{
		char lb[300], want[400];

		snprintf(lb, sizeof(lb), "'stats_sockets': [{'path': '%.100s'}]", longp);
		snprintf(want, sizeof(want), "lbproxy.stats_sockets[0].path: /etc/lb/%.100s is "
		    "longer than a Unix socket path can be (107 bytes)", longp);
		expect_err(lb, want);
	}
	/* errors accumulate with the rest of the file's */
	expect_err("'sandbox': 1, 'workers': 'x'", "lbproxy.sandbox: expected a boolean");
	assert_int_equal(diag.n, 2);
}

static int
teardown(void **state)
{
	(void)state;
	lb_diag_fini(&diag);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
