/*
 * test_stats.c: unit tests for src/stats.c and src/metrics.c (SPEC section 6):
 * the HAProxy CSV layout and values, filters, statuses, admin commands,
 * "show info", JSON, the socket itself, the -sf listener handover and the
 * Prometheus endpoint. lb_proc is set up by hand around a parsed config.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>

#include "lbproxy/config.h"
#include "lbproxy/diag.h"
#include "lbproxy/listener.h"
#include "lbproxy/member.h"
#include "lbproxy/proc.h"
#include "lbproxy/snapshot.h"
#include "lbproxy/stats.h"

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
#define NFIELDS 83

static const char pool_json[] =
    "{\"vip\": {\"id\": \"vip1\", \"address\": \"127.0.0.1\", \"protocol_port\": 8080,"
    "  \"protocol\": \"HTTP\", \"connection_limit\": 100},"
    " \"pool\": {\"id\": \"pool1\", \"protocol\": \"HTTP\", \"lb_method\": \"ROUND_ROBIN\"},"
    " \"members\": ["
    "  {\"id\": \"m1\", \"address\": \"127.0.0.1\", \"protocol_port\": 8001, \"weight\": 1},"
    "  {\"id\": \"m2\", \"address\": \"127.0.0.1\", \"protocol_port\": 8002, \"weight\": 2},"
    "  {\"id\": \"m3\", \"address\": \"127.0.0.1\", \"protocol_port\": 8003, \"weight\": 1}],"
    " \"healthmonitors\": [{\"id\": \"h1\", \"type\": \"HTTP\", \"delay\": 5, \"timeout\": 3,"
    "  \"max_retries\": 3}],"
    " \"lbproxy\": {\"maxconn\": 1000}}";

#define NMEMBERS 3

static struct lb_member *mem[NMEMBERS];
static struct lb_listener *lst;
static char tmpdir[64];

/* --- fixture ------------------------------------------------------------- */

static int
setup(void **state)
{
	struct lb_diag diag = { 0 };
	struct lb_config *conf;
	struct sockaddr_in sin;
	size_t i;

	(void)state;
	conf = lb_config_parse(pool_json, strlen(pool_json), "/tmp/pool.json", &diag);
	if (conf == NULL)
		lb_diag_print(&diag, "pool_json", stderr);
	lb_diag_fini(&diag);
	assert_non_null(conf);
	assert_int_equal(conf->n_members, NMEMBERS);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lst = lb_listener_open((struct sockaddr *)&sin, sizeof(sin), 16, NULL, 0);
	assert_non_null(lst);

	memset(&lb_proc, 0, sizeof(lb_proc));
	for (i = 0; i < NMEMBERS; i++)
		mem[i] = lb_member_new(&conf->members[i], (int)i + 1);
	lb_proc.snap = lb_snapshot_new(conf, mem, NMEMBERS, lst, NULL, 1);
	lb_proc.members = mem;
	lb_proc.n_members = NMEMBERS;
	lb_proc.maxconn = 1000;
	lb_proc.n_workers = 4;
	lb_proc.pid = getpid();
	lb_proc.start_ms = lb_now_ms() - 62500;
	lb_proc.start_wall = lb_wall_s() - 62;
	lb_proc.generation = 1;

	/* m1 UP after an HTTP check, m2 DOWN, m3 UP */
	lb_member_set_health(mem[0], LB_HEALTH_UP);
	mem[0]->check_status = LB_CHK_L7OK;
	mem[0]->check_code = 200;
	mem[0]->check_duration_ms = 3;
	snprintf(mem[0]->check_desc, sizeof(mem[0]->check_desc), "HTTP status 200");
	mem[0]->rise_cnt = 2;
	lb_member_set_health(mem[1], LB_HEALTH_UP);
	lb_member_set_health(mem[1], LB_HEALTH_DOWN);
	mem[1]->check_status = LB_CHK_L4CON;
	mem[1]->check_duration_ms = 1;
	mem[1]->chkfail = 3;
	mem[1]->fall_cnt = 3;
	snprintf(mem[1]->check_desc, sizeof(mem[1]->check_desc), "connection refused, 1 ms");
	lb_member_set_health(mem[2], LB_HEALTH_UP);
	mem[2]->check_status = LB_CHK_L7OK;
	mem[2]->check_code = 200;

	/* traffic */
	atomic_store(&lb_proc.conns, 3);
	atomic_store(&lb_proc.fe.stot, 10);
	atomic_store(&lb_proc.fe.bin, 1000);
	atomic_store(&lb_proc.fe.bout, 2000);
	atomic_store(&lb_proc.fe.smax, 5);
	atomic_store(&lb_proc.fe.ereq, 1);
	atomic_store(&lb_proc.fe.req_tot, 12);
	atomic_store(&lb_proc.fe.hrsp[2], 11);
	atomic_store(&lb_proc.fe.hrsp[5], 1);
	atomic_store(&mem[0]->active, 2);
	atomic_store(&mem[0]->c.stot, 6);
	atomic_store(&mem[0]->c.bin, 600);
	atomic_store(&mem[0]->c.bout, 1200);
	atomic_store(&mem[0]->c.hrsp[2], 6);
	atomic_store(&mem[1]->c.econ, 2);
	atomic_store(&mem[2]->active, 1);
	atomic_store(&mem[2]->c.stot, 4);
	atomic_store(&mem[2]->c.bin, 400);
	atomic_store(&mem[2]->c.bout, 800);
	atomic_store(&mem[2]->c.hrsp[2], 5);
	atomic_store(&lb_proc.be.econ, 1);
	atomic_store(&lb_proc.be.hrsp[5], 1);

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_stats.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	lb_snapshot_unref(lb_proc.snap);
	for (i = 0; i < NMEMBERS; i++)
		lb_member_unref(mem[i]);
	lb_listener_unref(lst);
	memset(&lb_proc, 0, sizeof(lb_proc));
	rmdir(tmpdir);
	return 0;
}

/* --- helpers ---------------------------------------------------------------- */

/* The reply to line, as a new string. */
static char *
run(const char *line)
{
	struct evbuffer *out = evbuffer_new();
	size_t n;
	char *s;

	lb_stats_command(line, out);
	n = evbuffer_get_length(out);
	s = malloc(n + 1);
	evbuffer_remove(out, s, n);
	s[n] = '\0';
	evbuffer_free(out);
	return s;
}

struct csv {
	int	 nrows;
	char	*cell[16][NFIELDS + 1];	/* row 0 = header names ("# " stripped) */
	char	*text;
};

/* Parse "show stat" CSV (no quoted cells in these tests); every line must have 83 cells. */
static void
csv_parse(struct csv *c, const char *reply)
{
	char *line, *save = NULL;

	memset(c, 0, sizeof(*c));
	c->text = strdup(reply);
	for (line = strtok_r(c->text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *p = line;
		int n = 0;

		assert_true(c->nrows < 16);
		if (c->nrows == 0) {
			assert_true(strncmp(p, "# ", 2) == 0);
			p += 2;
		}
		while (*p != '\0') {
			char *comma = strchr(p, ',');

			assert_non_null(comma);	/* every cell ends with ',' */
			*comma = '\0';
			assert_true(n < NFIELDS);
			c->cell[c->nrows][n++] = p;
			p = comma + 1;
		}
		assert_int_equal(n, NFIELDS);
		c->nrows++;
	}
}

static void
csv_free(struct csv *c)
{
	free(c->text);
}

static const char *
cell(const struct csv *c, int row, const char *name)
{
	int i;

	for (i = 0; i < NFIELDS; i++)
		if (strcmp(c->cell[0][i], name) == 0)
			return c->cell[row][i];
	fail_msg("no column %s", name);
	return NULL;
}

/* Row whose svname is sv, or -1. */
static int
row_of(const struct csv *c, const char *sv)
{
	int r;

	for (r = 1; r < c->nrows; r++)
		if (strcmp(cell(c, r, "svname"), sv) == 0)
			return r;
	return -1;
}

/* svnames of the rows of "show stat ARGS", joined with spaces. */
static void
svnames(const char *cmd, char *buf, size_t size)
{
	char *reply = run(cmd);
	struct csv c;
	int r;

	csv_parse(&c, reply);
	buf[0] = '\0';
	for (r = 1; r < c.nrows; r++) {
		if (r > 1)
			strncat(buf, " ", size - strlen(buf) - 1);
		strncat(buf, cell(&c, r, "svname"), size - strlen(buf) - 1);
	}
	csv_free(&c);
	free(reply);
}

/* --- show stat ----------------------------------------------------------------- */

static void
test_header(void **state)
{
	char *reply = run("show stat");

	(void)state;
	assert_true(strncmp(reply, haproxy_header, strlen(haproxy_header)) == 0);
	/* like HAProxy: the answer ends with an empty line */
	assert_true(strlen(reply) > 3 && strcmp(reply + strlen(reply) - 3, ",\n\n") == 0);
	free(reply);

	/* no config yet: header only */
	{
		struct lb_snapshot *snap = lb_proc.snap;

		lb_proc.snap = NULL;
		reply = run("show stat");
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
	char *reply = run("show stat");
	struct csv c;
	int fe, be, s1, s2, s3;

	(void)state;
	csv_parse(&c, reply);
	assert_int_equal(c.nrows, 1 + 1 + NMEMBERS + 1);
	/* HAProxy's order: FRONTEND, servers, BACKEND */
	fe = row_of(&c, "FRONTEND");
	s1 = row_of(&c, "m1");
	s2 = row_of(&c, "m2");
	s3 = row_of(&c, "m3");
	be = row_of(&c, "BACKEND");
	assert_int_equal(fe, 1);
	assert_int_equal(s1, 2);
	assert_int_equal(s2, 3);
	assert_int_equal(s3, 4);
	assert_int_equal(be, 5);

	assert_string_equal(cell(&c, fe, "pxname"), "vip1");
	assert_string_equal(cell(&c, fe, "status"), "OPEN");
	assert_string_equal(cell(&c, fe, "scur"), "3");
	assert_string_equal(cell(&c, fe, "smax"), "5");
	assert_string_equal(cell(&c, fe, "slim"), "100");
	assert_string_equal(cell(&c, fe, "stot"), "10");
	assert_string_equal(cell(&c, fe, "bin"), "1000");
	assert_string_equal(cell(&c, fe, "bout"), "2000");
	assert_string_equal(cell(&c, fe, "ereq"), "1");
	assert_string_equal(cell(&c, fe, "type"), "0");
	assert_string_equal(cell(&c, fe, "iid"), "1");
	assert_string_equal(cell(&c, fe, "sid"), "0");
	assert_string_equal(cell(&c, fe, "pid"), "1");
	assert_string_equal(cell(&c, fe, "req_tot"), "12");
	assert_string_equal(cell(&c, fe, "hrsp_2xx"), "11");
	assert_string_equal(cell(&c, fe, "hrsp_5xx"), "1");
	assert_string_equal(cell(&c, fe, "mode"), "http");
	assert_string_equal(cell(&c, fe, "weight"), "");
	assert_string_equal(cell(&c, fe, "econ"), "");

	assert_string_equal(cell(&c, s1, "pxname"), "pool1");
	assert_string_equal(cell(&c, s1, "status"), "UP");
	assert_string_equal(cell(&c, s1, "scur"), "2");
	assert_string_equal(cell(&c, s1, "stot"), "6");
	assert_string_equal(cell(&c, s1, "bin"), "600");
	assert_string_equal(cell(&c, s1, "bout"), "1200");
	assert_string_equal(cell(&c, s1, "weight"), "1");
	assert_string_equal(cell(&c, s1, "act"), "1");
	assert_string_equal(cell(&c, s1, "bck"), "0");
	assert_string_equal(cell(&c, s1, "type"), "2");
	assert_string_equal(cell(&c, s1, "iid"), "2");
	assert_string_equal(cell(&c, s1, "sid"), "1");
	assert_string_equal(cell(&c, s1, "check_status"), "L7OK");
	assert_string_equal(cell(&c, s1, "check_code"), "200");
	assert_string_equal(cell(&c, s1, "check_duration"), "3");
	assert_string_equal(cell(&c, s1, "check_desc"), "Layer7 check passed");
	assert_string_equal(cell(&c, s1, "last_chk"), "HTTP status 200");
	assert_string_equal(cell(&c, s1, "check_rise"), "2");
	assert_string_equal(cell(&c, s1, "check_fall"), "3");
	assert_string_equal(cell(&c, s1, "check_health"), "4");
	assert_string_equal(cell(&c, s1, "addr"), "127.0.0.1:8001");
	assert_string_equal(cell(&c, s1, "hrsp_2xx"), "6");
	assert_string_equal(cell(&c, s1, "chkfail"), "0");
	assert_string_equal(cell(&c, s1, "lastchg"), "0");

	assert_string_equal(cell(&c, s2, "status"), "DOWN");
	assert_string_equal(cell(&c, s2, "weight"), "2");
	assert_string_equal(cell(&c, s2, "sid"), "2");
	assert_string_equal(cell(&c, s2, "econ"), "2");
	assert_string_equal(cell(&c, s2, "chkfail"), "3");
	assert_string_equal(cell(&c, s2, "chkdown"), "1");
	assert_string_equal(cell(&c, s2, "check_status"), "L4CON");
	assert_string_equal(cell(&c, s2, "check_code"), "");
	assert_string_equal(cell(&c, s2, "check_health"), "0");
	/* naive ','-splitting agents must not see a comma inside a cell */
	assert_string_equal(cell(&c, s2, "last_chk"), "connection refused; 1 ms");

	assert_string_equal(cell(&c, be, "pxname"), "pool1");
	assert_string_equal(cell(&c, be, "status"), "UP");
	assert_string_equal(cell(&c, be, "scur"), "3");
	assert_string_equal(cell(&c, be, "stot"), "10");
	assert_string_equal(cell(&c, be, "bin"), "1000");
	assert_string_equal(cell(&c, be, "bout"), "2000");
	assert_string_equal(cell(&c, be, "econ"), "3");	/* members 2 + pool 1 */
	assert_string_equal(cell(&c, be, "act"), "2");
	assert_string_equal(cell(&c, be, "weight"), "2");
	assert_string_equal(cell(&c, be, "type"), "1");
	assert_string_equal(cell(&c, be, "iid"), "2");
	assert_string_equal(cell(&c, be, "sid"), "0");
	assert_string_equal(cell(&c, be, "algo"), "roundrobin");
	assert_string_equal(cell(&c, be, "hrsp_2xx"), "11");
	assert_string_equal(cell(&c, be, "hrsp_5xx"), "1");
	csv_free(&c);
	free(reply);
}

static void
test_frontend_status(void **state)
{
	char *reply;
	struct csv c;

	(void)state;
	atomic_store(&lb_proc.conns, 100);
	reply = run("show stat -1 1 -1");
	csv_parse(&c, reply);
	assert_string_equal(cell(&c, 1, "status"), "FULL");
	csv_free(&c);
	free(reply);

	/* the VIP is admin down: nothing listens */
	atomic_store(&lb_proc.conns, 3);
	{
		struct lb_listener *l = lb_proc.snap->listener;

		lb_proc.snap->listener = NULL;
		reply = run("show stat -1 1 -1");
		lb_proc.snap->listener = l;
		csv_parse(&c, reply);
		assert_string_equal(cell(&c, 1, "status"), "STOP");
		csv_free(&c);
		free(reply);
	}
	reply = run("show stat -1 1 -1");
	csv_parse(&c, reply);
	assert_string_equal(cell(&c, 1, "status"), "OPEN");
	csv_free(&c);
	free(reply);

	atomic_store(&lb_proc.stopping, true);
	reply = run("show stat -1 1 -1");
	csv_parse(&c, reply);
	assert_string_equal(cell(&c, 1, "status"), "STOP");
	csv_free(&c);
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
	atomic_store(&mem[0]->cli_disabled, true);
	svnames("show stat no-maint", buf, sizeof(buf));
	assert_string_equal(buf, "FRONTEND m2 m3 BACKEND");

	reply = run("show stat -1 4");
	assert_true(strncmp(reply, "Usage: show stat", 16) == 0);
	free(reply);
	reply = run("show stat -1 x -1");
	assert_true(strncmp(reply, "Usage: show stat", 16) == 0);
	free(reply);
	reply = run("show stat nosuch 4 -1");
	assert_string_equal(reply, "No such proxy.\n\n");
	free(reply);
}

/* Status of member id in "show stat". */
static void
status_of(const char *id, char *buf, size_t size)
{
	char *reply = run("show stat -1 6 -1");
	struct csv c;
	int r;

	csv_parse(&c, reply);
	r = row_of(&c, id);
	assert_true(r > 0);
	snprintf(buf, size, "%s", cell(&c, r, "status"));
	csv_free(&c);
	free(reply);
}

static void
test_statuses(void **state)
{
	char st[32], *reply;

	(void)state;
	status_of("m1", st, sizeof(st));
	assert_string_equal(st, "UP");
	reply = run("disable server pool1/m1");
	assert_string_equal(reply, "\n");	/* HAProxy: no output, then the empty line */
	free(reply);
	assert_true(atomic_load(&mem[0]->cli_disabled));
	status_of("m1", st, sizeof(st));
	assert_string_equal(st, "MAINT");
	free(run("enable server pool1/m1"));
	assert_false(atomic_load(&mem[0]->cli_disabled));
	status_of("m1", st, sizeof(st));
	assert_string_equal(st, "UP");

	free(run("set weight pool1/m1 0"));
	assert_int_equal(atomic_load(&mem[0]->weight), 0);
	status_of("m1", st, sizeof(st));
	assert_string_equal(st, "DRAIN");

	status_of("m2", st, sizeof(st));
	assert_string_equal(st, "DOWN");

	/* no member serving: the backend is DOWN */
	free(run("disable server pool1/m3"));
	status_of("BACKEND", st, sizeof(st));
	assert_string_equal(st, "DOWN");
	free(run("enable server pool1/m3"));
	status_of("BACKEND", st, sizeof(st));
	assert_string_equal(st, "UP");

	/* no monitor: "no check", empty check columns */
	lb_member_set_health(mem[2], LB_HEALTH_NOCHECK);
	status_of("m3", st, sizeof(st));
	assert_string_equal(st, "no check");

	/* admin_state_up false in the config */
	atomic_store(&mem[2]->admin_up, false);
	status_of("m3", st, sizeof(st));
	assert_string_equal(st, "MAINT");

	reply = run("disable server pool1/nosuch");
	assert_string_equal(reply, "No such server.\n\n");
	free(reply);
	reply = run("enable server other/m1");
	assert_string_equal(reply, "No such backend.\n\n");
	free(reply);
	reply = run("disable server m1");
	assert_string_equal(reply, "Require 'backend/server'.\n\n");
	free(reply);
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
		reply = run(cmd);
		assert_string_equal(reply,
		    "Absolute weight can only be between 0 and 256 inclusive.\n\n");
		free(reply);
		assert_int_equal(atomic_load(&mem[1]->weight), 2);
	}
	reply = run("set weight pool1/m2");
	assert_string_equal(reply, "Require <weight> or <weight%>.\n\n");
	free(reply);
	reply = run("set weight pool1/m2 -5%");
	assert_true(strncmp(reply, "Relative weight must be", 23) == 0);
	free(reply);

	reply = run("set weight pool1/m2 256");
	assert_string_equal(reply, "\n");
	free(reply);
	assert_int_equal(atomic_load(&mem[1]->weight), 256);
	/* relative to the configured weight (2) */
	free(run("set weight pool1/m2 50%"));
	assert_int_equal(atomic_load(&mem[1]->weight), 1);
	free(run("set weight pool1/m2 300%"));
	assert_int_equal(atomic_load(&mem[1]->weight), 6);
	free(run("set weight pool1/m2 100000%"));
	assert_int_equal(atomic_load(&mem[1]->weight), 256);
	free(run("set weight pool1/m2 7"));
	reply = run("get weight pool1/m2");
	assert_string_equal(reply, "7 (initial 2)\n\n");
	free(reply);
	reply = run("set weight pool1/zz 1");
	assert_string_equal(reply, "No such server.\n\n");
	free(reply);
}

static void
test_show_info(void **state)
{
	char *reply = run("show info"), *line, *save = NULL, pid[32];

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
	char *reply = run("show health");

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
	char *reply = run("show stat json");
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

	reply = run("show stat -1 4 -1 json");
	arr = json_loads(reply, 0, &err);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), 3);
	json_decref(arr);
	free(reply);
}

static void
test_commands(void **state)
{
	char *reply;

	(void)state;
	reply = run("frobnicate");
	assert_true(strncmp(reply, "Unknown command.", 16) == 0);
	assert_non_null(strstr(reply, "show stat"));
	free(reply);
	reply = run("show");
	assert_true(strncmp(reply, "Unknown command.", 16) == 0);
	free(reply);
	reply = run("show info extra");
	assert_true(strncmp(reply, "Unknown command.", 16) == 0);
	free(reply);
	reply = run("help");
	assert_non_null(strstr(reply, "disable server"));
	assert_null(strstr(reply, "Unknown"));
	free(reply);
	reply = run("");
	assert_string_equal(reply, "\n");
	free(reply);
	reply = run("   ");
	assert_string_equal(reply, "\n");
	free(reply);
	reply = run("_getsocks");	/* only meaningful on the socket itself */
	assert_non_null(strstr(reply, "_getsocks"));
	free(reply);

	/* several commands separated by ';', each answered in turn */
	reply = run("disable server pool1/m1; show stat -1 4 1 ;show info");
	assert_true(strncmp(reply, "\n# pxname,", 10) == 0);
	assert_non_null(strstr(reply, "\npool1,m1,"));
	assert_non_null(strstr(reply, ",MAINT,"));
	assert_non_null(strstr(reply, "\n\nName: lbproxy\n"));
	free(reply);
}

/* --- the socket ------------------------------------------------------------- */

struct client_job {
	const char	*path;
	const char	*send;		/* bytes to send */
	size_t		 sendlen;
	int		 shut;		/* shutdown(SHUT_WR) after sending */
	char		 reply[65536];
	size_t		 len;
	int		 fetch;		/* lb_stats_fetch_listeners instead */
	int		 fds[8];
	int		 nfds;
	int		 err;
	_Atomic int	 done;
};

static void *
client_thread(void *arg)
{
	struct client_job *j = arg;
	struct sockaddr_un sa;
	ssize_t r;
	int s;

	if (j->fetch) {
		j->nfds = lb_stats_fetch_listeners(j->path, j->fds, 8);
		j->err = errno;
		atomic_store(&j->done, 1);
		return NULL;
	}
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", j->path);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		j->err = errno;
		goto out;
	}
	if (j->sendlen > 0)
		(void)send(s, j->send, j->sendlen, MSG_NOSIGNAL);
	if (j->shut)
		shutdown(s, SHUT_WR);
	while ((r = recv(s, j->reply + j->len, sizeof(j->reply) - 1 - j->len, 0)) > 0)
		j->len += (size_t)r;
	if (r == -1)
		j->err = errno;
	j->reply[j->len] = '\0';
out:
	close(s);
	atomic_store(&j->done, 1);
	return NULL;
}

/* Run job in a thread while base's loop turns, at most 10 s. */
static void
run_job(struct event_base *base, struct client_job *j)
{
	pthread_t t;
	uint64_t deadline = lb_now_ms() + 10000;

	atomic_store(&j->done, 0);
	assert_int_equal(pthread_create(&t, NULL, client_thread, j), 0);
	while (!atomic_load(&j->done) && lb_now_ms() < deadline) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
	assert_true(atomic_load(&j->done));
	pthread_join(t, NULL);
}

static void
sock_path(char *buf, size_t size)
{
	snprintf(buf, size, "%s/sock", tmpdir);
}

static void
test_socket(void **state)
{
	struct event_base *base = event_base_new();
	static struct client_job j;
	struct lb_stats *st;
	struct stat sb;
	char path[100], *expect, *big;

	(void)state;
	sock_path(path, sizeof(path));
	st = lb_stats_new(base, path, 0640);
	assert_non_null(st);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0640);

	/* one command, the whole reply, then EOF */
	memset(&j, 0, sizeof(j));
	j.path = path;
	j.send = "show stat -1 6 -1\n";
	j.sendlen = strlen(j.send);
	run_job(base, &j);
	assert_int_equal(j.err, 0);
	expect = run("show stat -1 6 -1");
	assert_string_equal(j.reply, expect);
	free(expect);

	/* CRLF, commands chained with ';' */
	memset(&j, 0, sizeof(j));
	j.path = path;
	j.send = "show info;show stat -1 1 -1\r\n";
	j.sendlen = strlen(j.send);
	run_job(base, &j);
	assert_true(strncmp(j.reply, "Name: lbproxy\n", 14) == 0);
	assert_non_null(strstr(j.reply, "\nvip1,FRONTEND,"));

	/* no newline, but the client half-closes */
	memset(&j, 0, sizeof(j));
	j.path = path;
	j.send = "show info";
	j.sendlen = strlen(j.send);
	j.shut = 1;
	run_job(base, &j);
	assert_true(strncmp(j.reply, "Name: lbproxy\n", 14) == 0);

	/* a line that never ends is refused, not buffered forever */
	big = malloc(10000);
	memset(big, 'a', 10000);
	memset(&j, 0, sizeof(j));
	j.path = path;
	j.send = big;
	j.sendlen = 10000;
	run_job(base, &j);
	assert_string_equal(j.reply, "Command line too long.\n\n");
	free(big);

	/* the reply is a snapshot of the state when the command ran */
	memset(&j, 0, sizeof(j));
	j.path = path;
	j.send = "disable server pool1/m2\n";
	j.sendlen = strlen(j.send);
	run_job(base, &j);
	assert_string_equal(j.reply, "\n");
	assert_true(atomic_load(&mem[1]->cli_disabled));

	lb_stats_free(st);
	assert_int_equal(stat(path, &sb), -1);	/* removed on exit */
	event_base_free(base);
}

static void
test_socket_replace(void **state)
{
	struct event_base *base = event_base_new();
	static struct client_job j;
	struct lb_stats *a, *b;
	struct stat sb;
	char path[100], file[128];
	int fd;

	(void)state;
	sock_path(path, sizeof(path));
	a = lb_stats_new(base, path, 0600);
	assert_non_null(a);
	/* a new process binds over the old one's socket (takeover) */
	b = lb_stats_new(base, path, 0600);
	assert_non_null(b);
	/* the old one stopping must not remove the new one's socket */
	lb_stats_free(a);
	assert_int_equal(stat(path, &sb), 0);
	memset(&j, 0, sizeof(j));
	j.path = path;
	j.send = "show info\n";
	j.sendlen = strlen(j.send);
	run_job(base, &j);
	assert_true(strncmp(j.reply, "Name: lbproxy\n", 14) == 0);
	lb_stats_free(b);
	assert_int_equal(stat(path, &sb), -1);

	/* something that is not a socket is never replaced */
	snprintf(file, sizeof(file), "%s/file", tmpdir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(lb_stats_new(base, file, 0600));
	assert_int_equal(errno, EEXIST);
	assert_int_equal(stat(file, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	unlink(file);

	/* a path too long for sun_path */
	{
		char longp[200];

		memset(longp, 'x', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = '\0';
		assert_null(lb_stats_new(base, longp, 0600));
		assert_int_equal(errno, ENAMETOOLONG);
	}
	event_base_free(base);
}

/* Same socket: same local address and same inode in sockfs. */
static void
assert_same_socket(int a, int b)
{
	struct sockaddr_storage sa, sb;
	socklen_t la = sizeof(sa), lb = sizeof(sb);
	struct stat fa, fb;
	int acc = 0;
	socklen_t al = sizeof(acc);

	assert_int_equal(getsockname(a, (struct sockaddr *)&sa, &la), 0);
	assert_int_equal(getsockname(b, (struct sockaddr *)&sb, &lb), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(&sa, &sb, la);
	assert_int_equal(fstat(a, &fa), 0);
	assert_int_equal(fstat(b, &fb), 0);
	assert_int_equal(fa.st_ino, fb.st_ino);
	assert_int_equal(getsockopt(b, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al), 0);
	assert_int_equal(acc, 1);
}

static void
test_getsocks(void **state)
{
	struct event_base *base = event_base_new();
	static struct client_job j;
	struct lb_stats *st;
	char path[100];
	int flags, i, mine[8], n;

	(void)state;
	n = lb_proc_listen_fds(mine, 8);
	assert_true(n >= 1);
	sock_path(path, sizeof(path));
	st = lb_stats_new(base, path, 0600);
	assert_non_null(st);

	memset(&j, 0, sizeof(j));
	j.path = path;
	j.fetch = 1;
	run_job(base, &j);
	assert_int_equal(j.nfds, n);
	for (i = 0; i < j.nfds; i++) {
		assert_int_not_equal(j.fds[i], mine[i]);
		assert_same_socket(mine[i], j.fds[i]);
		flags = fcntl(j.fds[i], F_GETFD);
		assert_true(flags & FD_CLOEXEC);
		close(j.fds[i]);
	}

	/* nothing listening at the VIP (admin down): zero descriptors, not an error */
	{
		struct lb_listener *l = lb_proc.snap->listener;

		lb_proc.snap->listener = NULL;
		memset(&j, 0, sizeof(j));
		j.path = path;
		j.fetch = 1;
		run_job(base, &j);
		assert_int_equal(j.nfds, 0);
		lb_proc.snap->listener = l;
	}
	lb_stats_free(st);

	/* no old process */
	assert_int_equal(lb_stats_fetch_listeners(path, mine, 8), -1);
	assert_true(errno == ENOENT || errno == ECONNREFUSED);
	event_base_free(base);
}

/* A peer that answers _getsocks with text (e.g. an HAProxy): refused, nothing leaks. */
static void *
fake_server(void *arg)
{
	int ls = *(int *)arg, c;
	char buf[64];

	c = accept(ls, NULL, NULL);
	if (c >= 0) {
		(void)recv(c, buf, sizeof(buf), 0);
		(void)send(c, "Unknown command.\n", 17, MSG_NOSIGNAL);
		close(c);
	}
	return NULL;
}

static void
test_getsocks_bad_peer(void **state)
{
	struct sockaddr_un sa;
	char path[100];
	pthread_t t;
	int ls, fds[4];

	(void)state;
	sock_path(path, sizeof(path));
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(pthread_create(&t, NULL, fake_server, &ls), 0);
	assert_int_equal(lb_stats_fetch_listeners(path, fds, 4), -1);
	assert_int_equal(errno, EPROTO);
	pthread_join(t, NULL);
	close(ls);
	unlink(path);
}

/* --- metrics ---------------------------------------------------------------- */

static int
free_tcp_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(s);
	return port;
}

struct http_job {
	int		 port;
	const char	*req;
	char		 reply[262144];
	size_t		 len;
	_Atomic int	 done;
};

static void *
http_thread(void *arg)
{
	struct http_job *j = arg;
	struct sockaddr_in sin;
	ssize_t r;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)j->port);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		(void)send(s, j->req, strlen(j->req), MSG_NOSIGNAL);
		while ((r = recv(s, j->reply + j->len, sizeof(j->reply) - 1 - j->len, 0)) > 0)
			j->len += (size_t)r;
	}
	j->reply[j->len] = '\0';
	close(s);
	atomic_store(&j->done, 1);
	return NULL;
}

static void
http_job_run(struct event_base *base, struct http_job *j)
{
	pthread_t t;
	uint64_t deadline = lb_now_ms() + 10000;

	atomic_store(&j->done, 0);
	j->len = 0;
	assert_int_equal(pthread_create(&t, NULL, http_thread, j), 0);
	while (!atomic_load(&j->done) && lb_now_ms() < deadline) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
	assert_true(atomic_load(&j->done));
	pthread_join(t, NULL);
}

static void
test_metrics(void **state)
{
	struct event_base *base = event_base_new();
	static struct http_job j;
	struct lb_metrics *mx;
	char listen_at[64];
	const char *body;
	char clen[64];

	(void)state;
	assert_null(lb_metrics_new(base, "nonsense"));
	assert_null(lb_metrics_new(base, "127.0.0.1:99999"));
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%d", free_tcp_port());
	mx = lb_metrics_new(base, listen_at);
	assert_non_null(mx);

	/* the histogram is process-wide; this is the only test that feeds it */
	lb_metrics_observe_ms(0);
	lb_metrics_observe_ms(1);
	lb_metrics_observe_ms(3);
	lb_metrics_observe_ms(20000);

	memset(&j, 0, sizeof(j));
	j.port = atoi(strrchr(listen_at, ':') + 1);
	j.req = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
	http_job_run(base, &j);
	assert_true(strncmp(j.reply, "HTTP/1.0 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(j.reply, "Content-Type: text/plain; version=0.0.4"));
	body = strstr(j.reply, "\r\n\r\n");
	assert_non_null(body);
	body += 4;
	snprintf(clen, sizeof(clen), "Content-Length: %zu\r\n", strlen(body));
	assert_non_null(strstr(j.reply, clen));
	assert_non_null(strstr(body, "# TYPE lbproxy_up gauge\nlbproxy_up 1\n"));
	assert_non_null(strstr(body, "lbproxy_info{version=\"" PACKAGE_VERSION "\"} 1\n"));
	assert_non_null(strstr(body, "lbproxy_frontend_connections_current{vip=\"vip1\"} 3\n"));
	assert_non_null(strstr(body, "lbproxy_frontend_connections_total{vip=\"vip1\"} 10\n"));
	assert_non_null(strstr(body, "lbproxy_frontend_bytes_in_total{vip=\"vip1\"} 1000\n"));
	assert_non_null(strstr(body, "lbproxy_frontend_bytes_out_total{vip=\"vip1\"} 2000\n"));
	assert_non_null(strstr(body, "lbproxy_member_up{pool=\"pool1\",member=\"m1\","
	    "address=\"127.0.0.1:8001\"} 1\n"));
	assert_non_null(strstr(body, "lbproxy_member_up{pool=\"pool1\",member=\"m2\","
	    "address=\"127.0.0.1:8002\"} 0\n"));
	assert_non_null(strstr(body, "lbproxy_member_state{pool=\"pool1\",member=\"m2\","
	    "address=\"127.0.0.1:8002\",state=\"DOWN\"} 1\n"));
	assert_non_null(strstr(body, "lbproxy_member_state{pool=\"pool1\",member=\"m2\","
	    "address=\"127.0.0.1:8002\",state=\"UP\"} 0\n"));
	assert_non_null(strstr(body, "lbproxy_member_connections_current{pool=\"pool1\","
	    "member=\"m1\",address=\"127.0.0.1:8001\"} 2\n"));
	assert_non_null(strstr(body, "lbproxy_member_connections_total{pool=\"pool1\","
	    "member=\"m3\",address=\"127.0.0.1:8003\"} 4\n"));
	assert_non_null(strstr(body, "lbproxy_member_bytes_out_total{pool=\"pool1\","
	    "member=\"m1\",address=\"127.0.0.1:8001\"} 1200\n"));
	assert_non_null(strstr(body, "lbproxy_member_connect_errors_total{pool=\"pool1\","
	    "member=\"m2\",address=\"127.0.0.1:8002\"} 2\n"));
	assert_non_null(strstr(body, "lbproxy_member_responses_total{pool=\"pool1\","
	    "member=\"m1\",address=\"127.0.0.1:8001\",code=\"2xx\"} 6\n"));
	assert_non_null(strstr(body, "lbproxy_member_check_duration_seconds{pool=\"pool1\","
	    "member=\"m1\",address=\"127.0.0.1:8001\"} 0.003\n"));
	assert_non_null(strstr(body, "# TYPE lbproxy_http_request_duration_seconds histogram\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_bucket{le=\"0.001\"} 2\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_bucket{le=\"0.0025\"} 2\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_bucket{le=\"0.005\"} 3\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_bucket{le=\"10\"} 3\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_sum 20.004\n"));
	assert_non_null(strstr(body, "lbproxy_http_request_duration_seconds_count 4\n"));

	/* label values are escaped */
	{
		char *old = mem[0]->id;

		mem[0]->id = (char *)"a\"b\\c";
		memset(&j, 0, sizeof(j));
		j.port = atoi(strrchr(listen_at, ':') + 1);
		j.req = "GET / HTTP/1.0\r\n\r\n";
		http_job_run(base, &j);
		mem[0]->id = old;
		assert_non_null(strstr(j.reply, "member=\"a\\\"b\\\\c\""));
	}

	memset(&j, 0, sizeof(j));
	j.port = atoi(strrchr(listen_at, ':') + 1);
	j.req = "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
	http_job_run(base, &j);
	assert_true(strncmp(j.reply, "HTTP/1.0 405 ", 13) == 0);

	lb_metrics_free(mx);
	event_base_free(base);
}

/* The port is still held (by the old process of a -sf takeover): bind it once it is free. */
static void
test_metrics_port_busy(void **state)
{
	struct event_base *base = event_base_new();
	static struct http_job j;
	struct sockaddr_in sin;
	struct lb_metrics *mx;
	char listen_at[64];
	int one = 1, blocker, port = free_tcp_port();
	uint64_t until;

	(void)state;
	blocker = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(blocker, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(blocker, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(blocker, 1), 0);
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%d", port);
	mx = lb_metrics_new(base, listen_at);
	assert_non_null(mx);
	close(blocker);
	until = lb_now_ms() + 1500;
	while (lb_now_ms() < until) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(5000);
	}
	memset(&j, 0, sizeof(j));
	j.port = port;
	j.req = "GET /metrics HTTP/1.0\r\n\r\n";
	http_job_run(base, &j);
	assert_true(strncmp(j.reply, "HTTP/1.0 200 OK\r\n", 17) == 0);
	lb_metrics_free(mx);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frontend_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_weight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_health, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_getsocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_getsocks_bad_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_port_busy, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
