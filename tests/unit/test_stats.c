/*
 * test_stats.c: unit tests for src/stats.c (SPEC section 6): the HAProxy CSV
 * layout and values, filters, statuses as rows show them, "show info",
 * "show health", JSON and HAProxy 2.6's "show servers state". The commands
 * run through the CLI (lb_cli_command) against proc_fixture's lb_proc.
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
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "lbproxy/config.h"
#include "lbproxy/frontend.h"
#include "lbproxy/listener.h"
#include "lbproxy/member.h"
#include "lbproxy/proc.h"
#include "lbproxy/snapshot.h"
#include "lbproxy/stats.h"

#include "proc_fixture.h"

/* HAProxy's "show stat" header up to field 82 (dses), as HAProxy 1.8..2.x print it. */
static const char haproxy_header[] =
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,"
    "wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,"
    "sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,"
    "check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,"
    "req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,"
    "lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,"
    "agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,"
    "agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,"
    "intercepted,dcon,dses,\n";

/* --- helpers ---------------------------------------------------------------- */

/* svnames of the rows of "show stat ARGS", joined with spaces. */
static void
svnames(const char *cmd, char *buf, size_t size)
{
	char *reply = fx_run(cmd);
	struct fx_csv c;
	int r;

	fx_csv_parse(&c, reply);
	buf[0] = '\0';
	for (r = 1; r < c.nrows; r++) {
		if (r > 1)
			strncat(buf, " ", size - strlen(buf) - 1);
		strncat(buf, fx_cell(&c, r, "svname"), size - strlen(buf) - 1);
	}
	fx_csv_free(&c);
	free(reply);
}

/* --- show stat ----------------------------------------------------------------- */

static void
test_header(void **state)
{
	char *reply = fx_run("show stat");

	(void)state;
	assert_true(strncmp(reply, haproxy_header, strlen(haproxy_header)) == 0);
	/* like HAProxy: the answer ends with an empty line */
	assert_true(strlen(reply) > 3 && strcmp(reply + strlen(reply) - 3, ",\n\n") == 0);
	free(reply);

	/* no config yet: header only */
	{
		struct lb_snapshot *snap = lb_proc.snap;

		lb_proc.snap = NULL;
		reply = fx_run("show stat");
		assert_string_equal(reply, "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,"
		    "dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,"
		    "lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,"
		    "rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,"
		    "hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,"
		    "srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,"
		    "ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,"
		    "check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,"
		    "cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,\n\n");
		free(reply);
		lb_proc.snap = snap;
	}
}

static void
test_rows(void **state)
{
	char *reply = fx_run("show stat");
	struct fx_csv c;
	int fe, be, s1, s2, s3;

	(void)state;
	fx_csv_parse(&c, reply);
	assert_int_equal(c.nrows, 1 + 1 + FX_NMEMBERS + 1);
	/* HAProxy's order: FRONTEND, servers, BACKEND */
	fe = fx_row_of(&c, "FRONTEND");
	s1 = fx_row_of(&c, "m1");
	s2 = fx_row_of(&c, "m2");
	s3 = fx_row_of(&c, "m3");
	be = fx_row_of(&c, "BACKEND");
	assert_int_equal(fe, 1);
	assert_int_equal(s1, 2);
	assert_int_equal(s2, 3);
	assert_int_equal(s3, 4);
	assert_int_equal(be, 5);

	assert_string_equal(fx_cell(&c, fe, "pxname"), "vip1");
	assert_string_equal(fx_cell(&c, fe, "status"), "OPEN");
	assert_string_equal(fx_cell(&c, fe, "scur"), "3");
	assert_string_equal(fx_cell(&c, fe, "smax"), "5");
	assert_string_equal(fx_cell(&c, fe, "slim"), "100");
	assert_string_equal(fx_cell(&c, fe, "stot"), "10");
	assert_string_equal(fx_cell(&c, fe, "bin"), "1000");
	assert_string_equal(fx_cell(&c, fe, "bout"), "2000");
	assert_string_equal(fx_cell(&c, fe, "ereq"), "1");
	assert_string_equal(fx_cell(&c, fe, "type"), "0");
	assert_string_equal(fx_cell(&c, fe, "iid"), "1");
	assert_string_equal(fx_cell(&c, fe, "sid"), "0");
	assert_string_equal(fx_cell(&c, fe, "pid"), "1");
	assert_string_equal(fx_cell(&c, fe, "req_tot"), "12");
	assert_string_equal(fx_cell(&c, fe, "hrsp_2xx"), "11");
	assert_string_equal(fx_cell(&c, fe, "hrsp_5xx"), "1");
	assert_string_equal(fx_cell(&c, fe, "mode"), "http");
	assert_string_equal(fx_cell(&c, fe, "weight"), "");
	assert_string_equal(fx_cell(&c, fe, "econ"), "");

	assert_string_equal(fx_cell(&c, s1, "pxname"), "pool1");
	assert_string_equal(fx_cell(&c, s1, "status"), "UP");
	assert_string_equal(fx_cell(&c, s1, "scur"), "2");
	assert_string_equal(fx_cell(&c, s1, "stot"), "6");
	assert_string_equal(fx_cell(&c, s1, "bin"), "600");
	assert_string_equal(fx_cell(&c, s1, "bout"), "1200");
	assert_string_equal(fx_cell(&c, s1, "weight"), "1");
	assert_string_equal(fx_cell(&c, s1, "act"), "1");
	assert_string_equal(fx_cell(&c, s1, "bck"), "0");
	assert_string_equal(fx_cell(&c, s1, "type"), "2");
	assert_string_equal(fx_cell(&c, s1, "iid"), "2");
	assert_string_equal(fx_cell(&c, s1, "sid"), "1");
	assert_string_equal(fx_cell(&c, s1, "check_status"), "L7OK");
	assert_string_equal(fx_cell(&c, s1, "check_code"), "200");
	assert_string_equal(fx_cell(&c, s1, "check_duration"), "3");
	assert_string_equal(fx_cell(&c, s1, "check_desc"), "Layer7 check passed");
	assert_string_equal(fx_cell(&c, s1, "last_chk"), "HTTP status 200");
	assert_string_equal(fx_cell(&c, s1, "check_rise"), "2");
	assert_string_equal(fx_cell(&c, s1, "check_fall"), "3");
	assert_string_equal(fx_cell(&c, s1, "check_health"), "4");
	assert_string_equal(fx_cell(&c, s1, "addr"), "127.0.0.1:8001");
	assert_string_equal(fx_cell(&c, s1, "hrsp_2xx"), "6");
	assert_string_equal(fx_cell(&c, s1, "chkfail"), "0");
	assert_string_equal(fx_cell(&c, s1, "lastchg"), "0");

	assert_string_equal(fx_cell(&c, s2, "status"), "DOWN");
	assert_string_equal(fx_cell(&c, s2, "weight"), "2");
	assert_string_equal(fx_cell(&c, s2, "sid"), "2");
	assert_string_equal(fx_cell(&c, s2, "econ"), "2");
	assert_string_equal(fx_cell(&c, s2, "chkfail"), "3");
	assert_string_equal(fx_cell(&c, s2, "chkdown"), "1");
	assert_string_equal(fx_cell(&c, s2, "check_status"), "L4CON");
	assert_string_equal(fx_cell(&c, s2, "check_code"), "");
	assert_string_equal(fx_cell(&c, s2, "check_health"), "0");
	/* naive ','-splitting agents must not see a comma inside a cell */
	assert_string_equal(fx_cell(&c, s2, "last_chk"), "connection refused; 1 ms");

	assert_string_equal(fx_cell(&c, be, "pxname"), "pool1");
	assert_string_equal(fx_cell(&c, be, "status"), "UP");
	assert_string_equal(fx_cell(&c, be, "scur"), "3");
	assert_string_equal(fx_cell(&c, be, "stot"), "10");
	assert_string_equal(fx_cell(&c, be, "bin"), "1000");
	assert_string_equal(fx_cell(&c, be, "bout"), "2000");
	assert_string_equal(fx_cell(&c, be, "econ"), "3");	/* members 2 + pool 1 */
	assert_string_equal(fx_cell(&c, be, "act"), "2");
	assert_string_equal(fx_cell(&c, be, "weight"), "2");
	assert_string_equal(fx_cell(&c, be, "type"), "1");
	assert_string_equal(fx_cell(&c, be, "iid"), "2");
	assert_string_equal(fx_cell(&c, be, "sid"), "0");
	assert_string_equal(fx_cell(&c, be, "algo"), "roundrobin");
	assert_string_equal(fx_cell(&c, be, "hrsp_2xx"), "11");
	assert_string_equal(fx_cell(&c, be, "hrsp_5xx"), "1");
	fx_csv_free(&c);
	free(reply);
}

static void
test_frontend_status(void **state)
{
	char *reply;
	struct fx_csv c;

	(void)state;
	atomic_store(&lb_proc.limits.conns, 100);
	atomic_store(&fx_fe->conns, 100);	/* the listener's own count decides */
	reply = fx_run("show stat -1 1 -1");
	fx_csv_parse(&c, reply);
	assert_string_equal(fx_cell(&c, 1, "status"), "FULL");
	fx_csv_free(&c);
	free(reply);

	/* the VIP is admin down: nothing listens */
	atomic_store(&lb_proc.limits.conns, 3);
	atomic_store(&fx_fe->conns, 3);
	{
		size_t ns = lb_proc.snap->listeners[0].n_socks;

		lb_proc.snap->listeners[0].n_socks = 0;
		reply = fx_run("show stat -1 1 -1");
		lb_proc.snap->listeners[0].n_socks = ns;
		fx_csv_parse(&c, reply);
		assert_string_equal(fx_cell(&c, 1, "status"), "STOP");
		fx_csv_free(&c);
		free(reply);
	}
	reply = fx_run("show stat -1 1 -1");
	fx_csv_parse(&c, reply);
	assert_string_equal(fx_cell(&c, 1, "status"), "OPEN");
	fx_csv_free(&c);
	free(reply);

	atomic_store(&lb_proc.limits.stopping, true);
	reply = fx_run("show stat -1 1 -1");
	fx_csv_parse(&c, reply);
	assert_string_equal(fx_cell(&c, 1, "status"), "STOP");
	fx_csv_free(&c);
	free(reply);
}

static void
test_filters(void **state)
{
	char buf[256], *reply;

	(void)state;
	svnames("show stat -1 -1 -1", buf, sizeof(buf));
	assert_string_equal(buf, "FRONTEND m1 m2 m3 BACKEND");
	svnames("show stat -1 1 -1", buf, sizeof(buf));
	assert_string_equal(buf, "FRONTEND");
	svnames("show stat -1 2 -1", buf, sizeof(buf));
	assert_string_equal(buf, "BACKEND");
	svnames("show stat -1 4 -1", buf, sizeof(buf));
	assert_string_equal(buf, "m1 m2 m3");
	/* what the Neutron and Contrail haproxy drivers send */
	svnames("show stat -1 6 -1", buf, sizeof(buf));
	assert_string_equal(buf, "m1 m2 m3 BACKEND");
	svnames("show stat -1 4 2", buf, sizeof(buf));
	assert_string_equal(buf, "m2");
	svnames("show stat -1 6 3", buf, sizeof(buf));
	assert_string_equal(buf, "m3 BACKEND");
	svnames("show stat 1 -1 -1", buf, sizeof(buf));
	assert_string_equal(buf, "FRONTEND");
	svnames("show stat 2 -1 -1", buf, sizeof(buf));
	assert_string_equal(buf, "m1 m2 m3 BACKEND");
	svnames("show stat pool1 4 -1", buf, sizeof(buf));
	assert_string_equal(buf, "m1 m2 m3");
	svnames("show stat vip1 -1 -1", buf, sizeof(buf));
	assert_string_equal(buf, "FRONTEND");
	svnames("show stat 7 -1 -1", buf, sizeof(buf));
	assert_string_equal(buf, "");
	svnames("show stat -1 4 9", buf, sizeof(buf));
	assert_string_equal(buf, "");
	svnames("show stat -1 -1 -1 up", buf, sizeof(buf));
	assert_string_equal(buf, "FRONTEND m1 m3 BACKEND");
	atomic_store(&fx_mem[0]->cli_disabled, true);
	svnames("show stat no-maint", buf, sizeof(buf));
	assert_string_equal(buf, "FRONTEND m2 m3 BACKEND");

	reply = fx_run("show stat -1 4");
	assert_true(strncmp(reply, "Usage: show stat", 16) == 0);
	free(reply);
	reply = fx_run("show stat -1 x -1");
	assert_true(strncmp(reply, "Usage: show stat", 16) == 0);
	free(reply);
	fx_expect("show stat nosuch 4 -1", "No such proxy.\n\n");
}

static void
test_show_info(void **state)
{
	char *reply = fx_run("show info"), *line, *save = NULL, pid[32];

	(void)state;
	snprintf(pid, sizeof(pid), "\nPid: %ld\n", (long)getpid());
	assert_true(strncmp(reply, "Name: lbproxy\nVersion: " PACKAGE_VERSION "\n", 23 +
	    strlen(PACKAGE_VERSION) + 1) == 0);
	assert_non_null(strstr(reply, pid));
	assert_non_null(strstr(reply, "\nUptime: 0d 0h01m02s\n"));
	assert_non_null(strstr(reply, "\nUptime_sec: 62\n"));
	assert_non_null(strstr(reply, "\nMaxconn: 1000\n"));
	assert_non_null(strstr(reply, "\nCurrConns: 3\n"));
	assert_non_null(strstr(reply, "\nCumConns: 10\n"));
	assert_non_null(strstr(reply, "\nCumReq: 12\n"));
	assert_non_null(strstr(reply, "\nNbthread: 4\n"));
	assert_non_null(strstr(reply, "\nReloads: 0\n"));
	assert_non_null(strstr(reply, "\nRelease_date: "));
	assert_true(strcmp(reply + strlen(reply) - 2, "\n\n") == 0);
	/* every line is "Key: value" (what Octavia's parser splits on) */
	for (line = strtok_r(reply, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		assert_non_null(colon);
		assert_true(colon > line && colon[1] == ' ');
	}
	free(reply);
}

static void
test_show_health(void **state)
{
	char *reply = fx_run("show health");

	(void)state;
	assert_true(strncmp(reply, "# pool/member", 13) == 0);
	assert_non_null(strstr(reply, "\npool1/m1 127.0.0.1:8001 UP UP L7OK 200 3 2/2 0/3 0 0 0 "
	    "\"HTTP status 200\"\n"));
	assert_non_null(strstr(reply, "\npool1/m2 127.0.0.1:8002 DOWN DOWN L4CON 0 1 0/2 3/3 3 1 0 "
	    "\"connection refused, 1 ms\"\n"));
	assert_non_null(strstr(reply, "\npool1/m3 127.0.0.1:8003 UP UP L7OK 200 0 "));
	free(reply);
}

static void
test_json(void **state)
{
	char *reply = fx_run("show stat json");
	json_error_t err;
	json_t *arr, *o;

	(void)state;
	arr = json_loads(reply, 0, &err);
	assert_non_null(arr);
	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), 5);
	o = json_array_get(arr, 0);
	assert_string_equal(json_string_value(json_object_get(o, "svname")), "FRONTEND");
	assert_string_equal(json_string_value(json_object_get(o, "status")), "OPEN");
	assert_int_equal(json_integer_value(json_object_get(o, "stot")), 10);
	assert_int_equal(json_integer_value(json_object_get(o, "iid")), 1);
	assert_null(json_object_get(o, "weight"));	/* empty cells are left out */
	o = json_array_get(arr, 1);
	assert_string_equal(json_string_value(json_object_get(o, "svname")), "m1");
	assert_string_equal(json_string_value(json_object_get(o, "check_status")), "L7OK");
	assert_int_equal(json_integer_value(json_object_get(o, "sid")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "bin")), 600);
	o = json_array_get(arr, 4);
	assert_string_equal(json_string_value(json_object_get(o, "svname")), "BACKEND");
	assert_int_equal(json_integer_value(json_object_get(o, "stot")), 10);
	json_decref(arr);
	free(reply);

	reply = fx_run("show stat -1 4 -1 json");
	arr = json_loads(reply, 0, &err);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), 3);
	json_decref(arr);
	free(reply);
}

/* --- HAProxy 2.6 exactness -------------------------------------------------- */

/* A member in maintenance has its check paused, as in HAProxy: no check columns. */
static void
test_maint_check_columns(void **state)
{
	static const char *const empty[] = {
		"check_status", "check_code", "check_duration", "last_chk", "check_desc",
		"check_rise", "check_fall", "check_health",
	};
	char *reply;
	struct fx_csv c;
	size_t i;
	int r;

	(void)state;
	free(fx_run("disable server pool1/m1"));
	reply = fx_run("show stat -1 4 -1");
	fx_csv_parse(&c, reply);
	r = fx_row_of(&c, "m1");
	assert_string_equal(fx_cell(&c, r, "status"), "MAINT");
	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
		assert_string_equal(fx_cell(&c, r, empty[i]), "");
	/* the counters stay; going to MAINT from UP is a down transition */
	assert_string_equal(fx_cell(&c, r, "chkfail"), "0");
	assert_string_equal(fx_cell(&c, r, "chkdown"), "1");
	assert_string_equal(fx_cell(&c, fx_row_of(&c, "m3"), "check_status"), "L7OK");
	fx_csv_free(&c);
	free(reply);

	/* a pool that is admin down puts every member in MAINT */
	free(fx_run("enable server pool1/m1"));
	lb_proc.snap->conf->pools[0].admin_state_up = false;
	reply = fx_run("show stat -1 4 -1");
	fx_csv_parse(&c, reply);
	assert_string_equal(fx_cell(&c, fx_row_of(&c, "m3"), "status"), "MAINT");
	assert_string_equal(fx_cell(&c, fx_row_of(&c, "m3"), "check_status"), "");
	fx_csv_free(&c);
	free(reply);
}

/* Weight 0 is UP with weight 0 (HAProxy), not DRAIN; it does not count in the backend. */
static void
test_weight_zero(void **state)
{
	char buf[32];

	(void)state;
	free(fx_run("set weight pool1/m1 0"));
	fx_stat_of("m1", "status", buf, sizeof(buf));
	assert_string_equal(buf, "UP");
	fx_stat_of("m1", "weight", buf, sizeof(buf));
	assert_string_equal(buf, "0");
	fx_stat_of("BACKEND", "act", buf, sizeof(buf));
	assert_string_equal(buf, "1");
	fx_stat_of("BACKEND", "weight", buf, sizeof(buf));
	assert_string_equal(buf, "1");
	/* HAProxy's "up" filter keeps it (and drained members): only MAINT and DOWN go */
	free(fx_run("set server pool1/m3 state drain"));
	{
		char *reply = fx_run("show stat -1 4 -1 up");

		assert_non_null(strstr(reply, "\npool1,m1,"));
		assert_non_null(strstr(reply, "\npool1,m3,"));
		assert_null(strstr(reply, "\npool1,m2,"));
		free(reply);
	}
}

static const char servers_state_head[] =
    "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
    "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
    "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
    "srv_agent_port\n";

/*
 * The "show servers state" line of member id: expect with its 10th field
 * (seconds since the last change, which may tick) replaced by "T".
 */
static void
assert_state_line(const char *reply, const char *id, const char *expect)
{
	char key[32], line[256], *p, *w, *save = NULL, got[256] = "";
	const char *at;
	int i;

	snprintf(key, sizeof(key), " pool1 %c %s ", id[1], id);
	at = strstr(reply, key);
	assert_non_null(at);
	while (at > reply && at[-1] != '\n')
		at--;
	snprintf(line, sizeof(line), "%.*s", (int)(strchr(at, '\n') - at), at);
	for (i = 0, p = line; (w = strtok_r(p, " ", &save)) != NULL; p = NULL, i++) {
		strcat(got, i > 0 ? " " : "");
		strcat(got, i == 9 ? "T" : w);
		if (i == 9)
			assert_true(atoi(w) >= 0 && atoi(w) <= 2);
	}
	assert_string_equal(got, expect);
}

static void
test_servers_state(void **state)
{
	char *reply;

	(void)state;
	reply = fx_run("show servers state");
	assert_true(strncmp(reply, servers_state_head, strlen(servers_state_head)) == 0);
	assert_true(strcmp(reply + strlen(reply) - 2, "\n\n") == 0);
	/* L7OK = HAProxy's HCHK_STATUS_L7OKD 15, passed 3, health rise+fall-1, configured+enabled */
	assert_state_line(reply, "m1", "2 pool1 1 m1 127.0.0.1 2 0 1 1 T 15 3 4 6 0 0 0 - 8001 - 0 0 - - 0");
	/* DOWN: stopped, L4CON 8, failed 2, health 0 */
	assert_state_line(reply, "m2", "2 pool1 2 m2 127.0.0.1 0 0 2 2 T 8 2 0 6 0 0 0 - 8002 - 0 0 - - 0");
	assert_state_line(reply, "m3", "2 pool1 3 m3 127.0.0.1 2 0 1 1 T 15 3 4 6 0 0 0 - 8003 - 0 0 - - 0");
	free(reply);

	/* disabled: stopped, FMAINT, health 0, check paused; drained: running, FDRAIN */
	free(fx_run("disable server pool1/m1; set server pool1/m3 state drain; set weight pool1/m2 5"));
	reply = fx_run("show servers state pool1");
	assert_state_line(reply, "m1", "2 pool1 1 m1 127.0.0.1 0 1 1 1 T 15 3 0 14 0 0 0 - 8001 - 0 0 - - 0");
	assert_state_line(reply, "m2", "2 pool1 2 m2 127.0.0.1 0 0 5 2 T 8 2 0 6 0 0 0 - 8002 - 0 0 - - 0");
	assert_state_line(reply, "m3", "2 pool1 3 m3 127.0.0.1 2 8 1 1 T 15 3 4 6 0 0 0 - 8003 - 0 0 - - 0");
	free(reply);

	/* admin_state_up false: HAProxy's "disabled" (FMAINT|CMAINT); no check: INI, health rise */
	atomic_store(&fx_mem[2]->admin_up, false);
	lb_member_set_health(fx_mem[1], LB_HEALTH_NOCHECK);
	fx_mem[1]->check_status = LB_CHK_UNKNOWN;
	reply = fx_run("show servers state");
	assert_state_line(reply, "m3", "2 pool1 3 m3 127.0.0.1 0 5 1 1 T 15 3 0 14 0 0 0 - 8003 - 0 0 - - 0");
	assert_state_line(reply, "m2", "2 pool1 2 m2 127.0.0.1 2 0 5 2 T 1 0 2 0 0 0 0 - 8002 - 0 0 - - 0");
	free(reply);

	fx_expect("show servers state nosuch", "Can't find backend.\n\n");
	reply = fx_run("show servers state vip1");	/* a frontend is not a backend */
	assert_string_equal(reply, "Can't find backend.\n\n");
	free(reply);
	{
		struct lb_snapshot *snap = lb_proc.snap;
		char expect[sizeof(servers_state_head) + 1];

		lb_proc.snap = NULL;
		reply = fx_run("show servers state");
		lb_proc.snap = snap;
		snprintf(expect, sizeof(expect), "%s\n", servers_state_head);
		assert_string_equal(reply, expect);
		free(reply);
	}
}

/* lb_stats_dump for other callers: a filter and a format, no command line. */
static void
test_dump(void **state)
{
	struct lb_stats_filter f;
	struct evbuffer *out = evbuffer_new();
	char *s;
	size_t n;

	(void)state;
	lb_stats_filter_init(&f);
	f.types = 1 << LB_STATS_TYPE_SERVER;
	f.sid = 3;
	lb_stats_dump(lb_proc.snap, &f, LB_STATS_JSON, out);
	n = evbuffer_get_length(out);
	s = malloc(n + 1);
	evbuffer_remove(out, s, n);
	s[n] = '\0';
	assert_true(strncmp(s, "[{", 2) == 0);
	assert_non_null(strstr(s, "\"svname\":\"m3\""));
	assert_null(strstr(s, "\"m1\""));
	free(s);
	evbuffer_free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rows, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_frontend_status, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_filters, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_show_info, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_show_health, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_json, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_maint_check_columns, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_weight_zero, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_servers_state, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dump, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
