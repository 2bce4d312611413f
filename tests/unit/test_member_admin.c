/*
 * test_member_admin.c: the stats socket's admin commands (src/member_admin.c)
 * and the member state they change (src/member.c): disable/enable server,
 * set server state ready|drain|maint, set/get weight, the status words they
 * lead to and HAProxy 2.6's chkdown counting.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbproxy/member.h"
#include "lbproxy/proc.h"

#include "proc_fixture.h"

/* --- helpers ---------------------------------------------------------------- */

/* The status of member id (or BACKEND) in "show stat" is expect. */
static void
assert_status(const char *id, const char *expect)
{
	char st[32];

	fx_stat_of(id, "status", st, sizeof(st));
	assert_string_equal(st, expect);
}

static void
test_statuses(void **state)
{
	char *reply;

	(void)state;
	assert_status("m1", "UP");
	reply = fx_run("disable server pool1/m1");
	assert_string_equal(reply, "\n");	/* HAProxy: no output, then the empty line */
	free(reply);
	assert_true(atomic_load(&fx_mem[0]->cli_disabled));
	assert_status("m1", "MAINT");
	free(fx_run("enable server pool1/m1"));
	assert_false(atomic_load(&fx_mem[0]->cli_disabled));
	assert_status("m1", "UP");

	/* weight 0: no new balanced traffic, but HAProxy 2.6 shows it UP (weight 0) */
	free(fx_run("set weight pool1/m1 0"));
	assert_int_equal(atomic_load(&fx_mem[0]->weight), 0);
	assert_status("m1", "UP");
	assert_false(lb_member_usable(fx_mem[0]));
	/* DRAIN is the admin state of "set server ... state drain" */
	free(fx_run("set weight pool1/m1 1; set server pool1/m1 state drain"));
	assert_status("m1", "DRAIN");
	assert_false(lb_member_usable(fx_mem[0]));
	free(fx_run("set server pool1/m1 state ready"));
	assert_true(lb_member_usable(fx_mem[0]));
	free(fx_run("set weight pool1/m1 0"));

	assert_status("m2", "DOWN");

	/* no member serving: the backend is DOWN */
	free(fx_run("disable server pool1/m3"));
	assert_status("BACKEND", "DOWN");
	free(fx_run("enable server pool1/m3"));
	assert_status("BACKEND", "UP");

	/* no monitor: "no check", empty check columns */
	lb_member_set_health(fx_mem[2], LB_HEALTH_NOCHECK);
	assert_status("m3", "no check");

	/* admin_state_up false in the config */
	atomic_store(&fx_mem[2]->admin_up, false);
	assert_status("m3", "MAINT");

	fx_expect("disable server pool1/nosuch", "No such server.\n\n");
	fx_expect("enable server other/m1", "No such backend.\n\n");
	fx_expect("disable server m1", "Require 'backend/server'.\n\n");
}

static void
test_set_weight(void **state)
{
	static const char *const bad[] = { "257", "-1", "abc", "1.5", "12x" };
	char *reply;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "set weight pool1/m2 %s", bad[i]);
		reply = fx_run(cmd);
		assert_string_equal(reply,
		    "Absolute weight can only be between 0 and 256 inclusive.\n\n");
		free(reply);
		assert_int_equal(atomic_load(&fx_mem[1]->weight), 2);
	}
	fx_expect("set weight pool1/m2", "Require <weight> or <weight%>.\n\n");
	reply = fx_run("set weight pool1/m2 -5%");
	assert_true(strncmp(reply, "Relative weight must be", 23) == 0);
	free(reply);

	fx_expect("set weight pool1/m2 256", "\n");
	assert_int_equal(atomic_load(&fx_mem[1]->weight), 256);
	/* relative to the configured weight (2) */
	free(fx_run("set weight pool1/m2 50%"));
	assert_int_equal(atomic_load(&fx_mem[1]->weight), 1);
	free(fx_run("set weight pool1/m2 300%"));
	assert_int_equal(atomic_load(&fx_mem[1]->weight), 6);
	free(fx_run("set weight pool1/m2 100000%"));
	assert_int_equal(atomic_load(&fx_mem[1]->weight), 256);
	free(fx_run("set weight pool1/m2 7"));
	fx_expect("get weight pool1/m2", "7 (initial 2)\n\n");
	fx_expect("set weight pool1/zz 1", "No such server.\n\n");
}


/* set server <b>/<s> state|weight, with HAProxy's answers. */
static void
test_set_server(void **state)
{
	char *reply;

	(void)state;
	fx_expect("set server pool1/m1 state maint", "\n");
	assert_status("m1", "MAINT");
	assert_true(atomic_load(&fx_mem[0]->cli_disabled));
	/* one admin state at a time: drain ends maintenance, maint ends drain */
	free(fx_run("set server pool1/m1 state drain"));
	assert_false(atomic_load(&fx_mem[0]->cli_disabled));
	assert_true(atomic_load(&fx_mem[0]->cli_drain));
	free(fx_run("disable server pool1/m1"));
	assert_false(atomic_load(&fx_mem[0]->cli_drain));
	assert_status("m1", "MAINT");
	/* enable server (HAProxy's deprecated spelling of ready) clears drain too */
	free(fx_run("set server pool1/m1 state drain; enable server pool1/m1"));
	assert_status("m1", "UP");
	/* a DOWN member stays DOWN whatever its drain state */
	free(fx_run("set server pool1/m2 state drain"));
	assert_status("m2", "DOWN");

	free(fx_run("set server pool1/m3 weight 7"));
	assert_int_equal(atomic_load(&fx_mem[2]->weight), 7);
	fx_expect("set server pool1/m3 weight 300", "Absolute weight can only be between 0 and 256 inclusive.\n\n");

	fx_expect("set server pool1/m1 state foo", "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n");
	fx_expect("set server pool1/m1 state", "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n");
	reply = fx_run("set server pool1/m1");
	assert_true(strncmp(reply, "usage: set server <backend>/<server> ", 37) == 0);
	free(reply);
	fx_expect("set server pool1/zz state ready", "No such server.\n\n");
	fx_expect("set server zz/m1 state ready", "No such backend.\n\n");
	fx_expect("set server m1 state ready", "Require 'backend/server'.\n\n");
}

/* HAProxy counts going to MAINT from a running state as a down transition, once. */
static void
test_maint_chkdown(void **state)
{
	uint64_t before;

	(void)state;
	assert_int_equal(fx_mem[0]->chkdown, 0);
	free(fx_run("disable server pool1/m1"));
	assert_int_equal(fx_mem[0]->chkdown, 1);
	free(fx_run("set server pool1/m1 state maint"));	/* no change */
	assert_int_equal(fx_mem[0]->chkdown, 1);
	/* a health transition while in MAINT is not another one */
	lb_member_set_health(fx_mem[0], LB_HEALTH_DOWN);
	assert_int_equal(fx_mem[0]->chkdown, 1);
	lb_member_set_health(fx_mem[0], LB_HEALTH_UP);
	free(fx_run("enable server pool1/m1; set server pool1/m1 state drain"));
	assert_int_equal(fx_mem[0]->chkdown, 1);
	free(fx_run("set server pool1/m1 state maint"));
	assert_int_equal(fx_mem[0]->chkdown, 2);
	/* a DOWN member is already stopped */
	before = fx_mem[1]->chkdown;
	free(fx_run("disable server pool1/m2"));
	assert_int_equal(fx_mem[1]->chkdown, before);
}

/* lb_member_status, the one place the status word is computed. */
static void
test_member_status(void **state)
{
	struct lb_member *m = fx_mem[2];

	(void)state;
	assert_int_equal(lb_member_status(m, true), LB_MEMBER_UP);
	assert_string_equal(lb_member_status_names[LB_MEMBER_NOCHECK], "no check");
	assert_true(lb_member_serving(m, true));
	assert_int_equal(lb_member_status(m, false), LB_MEMBER_MAINT);
	assert_false(lb_member_serving(m, false));
	/* removed by a reload, its connections draining: DRAIN */
	atomic_store(&m->in_config, false);
	assert_int_equal(lb_member_status(m, true), LB_MEMBER_DRAIN);
	assert_false(lb_member_serving(m, true));
	atomic_store(&m->in_config, true);
	atomic_store(&m->weight, 0);
	assert_int_equal(lb_member_status(m, true), LB_MEMBER_UP);
	assert_false(lb_member_serving(m, true));
	atomic_store(&m->weight, 1);
	lb_member_set_health(m, LB_HEALTH_CHECKING);
	assert_int_equal(lb_member_status(m, true), LB_MEMBER_UP);
	lb_member_set_health(m, LB_HEALTH_NOCHECK);
	assert_int_equal(lb_member_status(m, true), LB_MEMBER_NOCHECK);
	assert_true(lb_member_serving(m, true));
	/* a first verdict of DOWN counts in chkdown */
	lb_member_set_health(m, LB_HEALTH_CHECKING);
	m->chkdown = 0;
	lb_member_set_health(m, LB_HEALTH_DOWN);
	assert_int_equal(m->chkdown, 1);
	assert_int_equal(lb_member_status(m, true), LB_MEMBER_DOWN);
	/* lb_member_set_admin reports whether anything changed */
	assert_true(lb_member_set_admin(m, LB_ADMIN_DRAIN));
	assert_false(lb_member_set_admin(m, LB_ADMIN_DRAIN));
	assert_true(lb_member_set_admin(m, LB_ADMIN_READY));
	assert_false(lb_member_set_admin(m, LB_ADMIN_READY));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_statuses, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_set_weight, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_set_server, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_maint_chkdown, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_member_status, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
