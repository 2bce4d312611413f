/*
 * stats.c: the HAProxy-compatible stats socket. Orchestrator agents (Neutron
 * LBaaS, Contrail, Octavia) send one command line per connection and parse
 * the reply, so "show stat" keeps HAProxy's CSV column order and names, one
 * FRONTEND row (proxy iid 1, the VIP), a row per member and a BACKEND row
 * (proxy iid 2, the pool). Everything runs on the main thread; counters
 * written by workers are read with relaxed atomic loads.
 *
 * The same socket hands the listening descriptors over to a new process
 * (-sf takeover): "_getsocks" answers with one SCM_RIGHTS message.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "lbproxy/config.h"
#include "lbproxy/conn.h"
#include "lbproxy/listener.h"
#include "lbproxy/log.h"
#include "lbproxy/member.h"
#include "lbproxy/oneshot.h"
#include "lbproxy/proc.h"
#include "lbproxy/snapshot.h"
#include "lbproxy/stats.h"

#define STATS_MAX_LINE		4096	/* longest command line accepted */
#define STATS_READ_TIMEOUT_S	5	/* to send the command line */
#define STATS_WRITE_TIMEOUT_S	10	/* for the reply to drain */
#define STATS_BACKLOG		64
#define STATS_MAX_ARGS		16
#define STATS_MAX_FDS		64	/* listeners handed over by _getsocks */
#define FETCH_TIMEOUT_S		5

/* Stable proxy ids: the VIP is proxy 1 (frontend), the pool proxy 2 (backend). */
#define IID_FRONTEND		1
#define IID_BACKEND		2

/* "show stat" type values and the filter bits made from them (1 << type). */
#define TYPE_FRONTEND		0
#define TYPE_BACKEND		1
#define TYPE_SERVER		2

/* _getsocks reply: this header is the message's only data byte range. */
#define GETSOCKS_MAGIC		"LBS1"
struct getsocks_hdr {
	char		magic[4];
	uint32_t	count;		/* descriptors attached (SCM_RIGHTS) */
};

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

struct lb_stats {
	struct lb_oneshot	*srv;		/* the socket and its connections */
	char			*path;
	dev_t			 dev;		/* identity of the socket file we created */
	ino_t			 ino;
};

/* The HAProxy 1.8 CSV columns (numbers 0..82 in management.txt 9.1). */
enum stat_field {
	ST_PXNAME, ST_SVNAME, ST_QCUR, ST_QMAX, ST_SCUR, ST_SMAX, ST_SLIM, ST_STOT,
	ST_BIN, ST_BOUT, ST_DREQ, ST_DRESP, ST_EREQ, ST_ECON, ST_ERESP, ST_WRETR,
	ST_WREDIS, ST_STATUS, ST_WEIGHT, ST_ACT, ST_BCK, ST_CHKFAIL, ST_CHKDOWN,
	ST_LASTCHG, ST_DOWNTIME, ST_QLIMIT, ST_PID, ST_IID, ST_SID, ST_THROTTLE,
	ST_LBTOT, ST_TRACKED, ST_TYPE, ST_RATE, ST_RATE_LIM, ST_RATE_MAX,
	ST_CHECK_STATUS, ST_CHECK_CODE, ST_CHECK_DURATION, ST_HRSP_1XX, ST_HRSP_2XX,
	ST_HRSP_3XX, ST_HRSP_4XX, ST_HRSP_5XX, ST_HRSP_OTHER, ST_HANAFAIL,
	ST_REQ_RATE, ST_REQ_RATE_MAX, ST_REQ_TOT, ST_CLI_ABRT, ST_SRV_ABRT,
	ST_COMP_IN, ST_COMP_OUT, ST_COMP_BYP, ST_COMP_RSP, ST_LASTSESS, ST_LAST_CHK,
	ST_LAST_AGT, ST_QTIME, ST_CTIME, ST_RTIME, ST_TTIME, ST_AGENT_STATUS,
	ST_AGENT_CODE, ST_AGENT_DURATION, ST_CHECK_DESC, ST_AGENT_DESC,
	ST_CHECK_RISE, ST_CHECK_FALL, ST_CHECK_HEALTH, ST_AGENT_RISE, ST_AGENT_FALL,
	ST_AGENT_HEALTH, ST_ADDR, ST_COOKIE, ST_MODE, ST_ALGO, ST_CONN_RATE,
	ST_CONN_RATE_MAX, ST_CONN_TOT, ST_INTERCEPTED, ST_DCON, ST_DSES,
	ST_NFIELDS
};

static const char *const stat_names[ST_NFIELDS] = {
	[ST_PXNAME] = "pxname", [ST_SVNAME] = "svname", [ST_QCUR] = "qcur",
	[ST_QMAX] = "qmax", [ST_SCUR] = "scur", [ST_SMAX] = "smax",
	[ST_SLIM] = "slim", [ST_STOT] = "stot", [ST_BIN] = "bin",
	[ST_BOUT] = "bout", [ST_DREQ] = "dreq", [ST_DRESP] = "dresp",
	[ST_EREQ] = "ereq", [ST_ECON] = "econ", [ST_ERESP] = "eresp",
	[ST_WRETR] = "wretr", [ST_WREDIS] = "wredis", [ST_STATUS] = "status",
	[ST_WEIGHT] = "weight", [ST_ACT] = "act", [ST_BCK] = "bck",
	[ST_CHKFAIL] = "chkfail", [ST_CHKDOWN] = "chkdown",
	[ST_LASTCHG] = "lastchg", [ST_DOWNTIME] = "downtime",
	[ST_QLIMIT] = "qlimit", [ST_PID] = "pid", [ST_IID] = "iid",
	[ST_SID] = "sid", [ST_THROTTLE] = "throttle", [ST_LBTOT] = "lbtot",
	[ST_TRACKED] = "tracked", [ST_TYPE] = "type", [ST_RATE] = "rate",
	[ST_RATE_LIM] = "rate_lim", [ST_RATE_MAX] = "rate_max",
	[ST_CHECK_STATUS] = "check_status", [ST_CHECK_CODE] = "check_code",
	[ST_CHECK_DURATION] = "check_duration", [ST_HRSP_1XX] = "hrsp_1xx",
	[ST_HRSP_2XX] = "hrsp_2xx", [ST_HRSP_3XX] = "hrsp_3xx",
	[ST_HRSP_4XX] = "hrsp_4xx", [ST_HRSP_5XX] = "hrsp_5xx",
	[ST_HRSP_OTHER] = "hrsp_other", [ST_HANAFAIL] = "hanafail",
	[ST_REQ_RATE] = "req_rate", [ST_REQ_RATE_MAX] = "req_rate_max",
	[ST_REQ_TOT] = "req_tot", [ST_CLI_ABRT] = "cli_abrt",
	[ST_SRV_ABRT] = "srv_abrt", [ST_COMP_IN] = "comp_in",
	[ST_COMP_OUT] = "comp_out", [ST_COMP_BYP] = "comp_byp",
	[ST_COMP_RSP] = "comp_rsp", [ST_LASTSESS] = "lastsess",
	[ST_LAST_CHK] = "last_chk", [ST_LAST_AGT] = "last_agt",
	[ST_QTIME] = "qtime", [ST_CTIME] = "ctime", [ST_RTIME] = "rtime",
	[ST_TTIME] = "ttime", [ST_AGENT_STATUS] = "agent_status",
	[ST_AGENT_CODE] = "agent_code", [ST_AGENT_DURATION] = "agent_duration",
	[ST_CHECK_DESC] = "check_desc", [ST_AGENT_DESC] = "agent_desc",
	[ST_CHECK_RISE] = "check_rise", [ST_CHECK_FALL] = "check_fall",
	[ST_CHECK_HEALTH] = "check_health", [ST_AGENT_RISE] = "agent_rise",
	[ST_AGENT_FALL] = "agent_fall", [ST_AGENT_HEALTH] = "agent_health",
	[ST_ADDR] = "addr", [ST_COOKIE] = "cookie", [ST_MODE] = "mode",
	[ST_ALGO] = "algo", [ST_CONN_RATE] = "conn_rate",
	[ST_CONN_RATE_MAX] = "conn_rate_max", [ST_CONN_TOT] = "conn_tot",
	[ST_INTERCEPTED] = "intercepted", [ST_DCON] = "dcon", [ST_DSES] = "dses",
};

/* HAProxy's long descriptions of check results (stats "check_desc"). */
static const char *const check_descs[] = {
	[LB_CHK_UNKNOWN] = "Initializing",
	[LB_CHK_L4OK] = "Layer4 check passed",
	[LB_CHK_L4TOUT] = "Layer4 timeout",
	[LB_CHK_L4CON] = "Layer4 connection problem",
	[LB_CHK_L6OK] = "Layer6 check passed",
	[LB_CHK_L6TOUT] = "Layer6 timeout",
	[LB_CHK_L6RSP] = "Layer6 invalid response",
	[LB_CHK_L7OK] = "Layer7 check passed",
	[LB_CHK_L7TOUT] = "Layer7 timeout",
	[LB_CHK_L7RSP] = "Layer7 invalid response",
	[LB_CHK_L7STS] = "Layer7 wrong status",
	[LB_CHK_SOCKERR] = "Socket error",
};

/* HAProxy's names of the balancing algorithms (stats "algo"). */
static const char *const algo_names[] = {
	[LB_METHOD_ROUND_ROBIN] = "roundrobin",
	[LB_METHOD_LEAST_CONNECTIONS] = "leastconn",
	[LB_METHOD_SOURCE_IP] = "source",
};

enum fv_type {
	FV_EMPTY,	/* not applicable or not tracked: empty CSV cell, no JSON key */
	FV_STR,
	FV_U64,
	FV_S64,
};

struct fv {
	enum fv_type	 type;
	const char	*s;
	uint64_t	 u;
	int64_t		 i;
};

struct stat_row {
	struct fv	 f[ST_NFIELDS];
};

/* Parsed "show stat" arguments. */
struct stat_filter {
	int	 iid;		/* -1 = every proxy */
	int	 types;		/* bit mask of 1 << TYPE_* */
	int	 sid;		/* -1 = every server */
	int	 json;
	int	 up_only;	/* "up": only servers that are UP / no check */
	int	 no_maint;	/* "no-maint": skip servers in MAINT */
};

/* Sums over the pool's members, for the BACKEND row. */
struct be_sums {
	uint64_t	 scur, smax, stot, bin, bout, econ, eresp, wretr, wredis;
	uint64_t	 lbtot, req_tot, hrsp[6];
	uint64_t	 weight, act;
};

/* --- row building ------------------------------------------------------- */

static void
set_str(struct stat_row *r, enum stat_field f, const char *s)
{
	r->f[f].type = FV_STR;
	r->f[f].s = s;
}

static void
set_u64(struct stat_row *r, enum stat_field f, uint64_t v)
{
	r->f[f].type = FV_U64;
	r->f[f].u = v;
}

static void
set_s64(struct stat_row *r, enum stat_field f, int64_t v)
{
	r->f[f].type = FV_S64;
	r->f[f].i = v;
}

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Effective session limit of the VIP: connection_limit, else maxconn. */
static uint64_t
vip_limit(const struct lb_config *conf)
{
	if (conf->vip.connection_limit > 0)
		return (uint64_t)conf->vip.connection_limit;
	if (lb_proc.maxconn > 0)
		return (uint64_t)lb_proc.maxconn;
	return conf->maxconn > 0 ? (uint64_t)conf->maxconn : 0;
}

const char *
lb_stats_member_status(const struct lb_snapshot *snap, const struct lb_member *m)
{
	if (!snap->conf->pool.admin_state_up)
		return "MAINT";
	return lb_member_status(m);
}

int
lb_stats_member_serving(const char *status)
{
	return strcmp(status, "UP") == 0 || strcmp(status, "no check") == 0;
}

static int
has_check(const struct lb_snapshot *snap, const struct lb_member *m)
{
	return snap->conf->hm != NULL && LD(m->health) != LB_HEALTH_NOCHECK;
}

/* HAProxy's check_health: 0..rise-1 while DOWN, rise..rise+fall-1 while UP. */
static int
check_health(const struct lb_member *m, int rise, int fall)
{
	int h;

	if (LD(m->health) == LB_HEALTH_DOWN) {
		h = m->rise_cnt;
		if (h > rise - 1)
			h = rise - 1;
	} else {
		h = rise + fall - 1 - m->fall_cnt;
		if (h < rise)
			h = rise;
	}
	return h < 0 ? 0 : h;
}

static void
counters_common(struct stat_row *r, const struct lb_counters *c, int http)
{
	size_t i;

	set_u64(r, ST_STOT, LD(c->stot));
	set_u64(r, ST_BIN, LD(c->bin));
	set_u64(r, ST_BOUT, LD(c->bout));
	if (http) {
		for (i = 1; i <= 5; i++)
			set_u64(r, (enum stat_field)(ST_HRSP_1XX + i - 1), LD(c->hrsp[i]));
		set_u64(r, ST_HRSP_OTHER, LD(c->hrsp[0]));
	}
}

static void
frontend_row(struct stat_row *r, const struct lb_snapshot *snap)
{
	const struct lb_config *conf = snap->conf;
	uint64_t scur = LD(lb_proc.conns), limit = vip_limit(conf);
	int http = conf->vip.http;
	const char *status = "OPEN";

	if (snap->listener == NULL || LD(lb_proc.stopping))
		status = "STOP";
	else if (conf->vip.connection_limit > 0 && scur >= limit)
		status = "FULL";
	memset(r, 0, sizeof(*r));
	set_str(r, ST_PXNAME, conf->vip.id);
	set_str(r, ST_SVNAME, "FRONTEND");
	set_u64(r, ST_SCUR, scur);
	set_u64(r, ST_SMAX, max_u64(LD(lb_proc.fe.smax), scur));
	if (limit > 0)
		set_u64(r, ST_SLIM, limit);
	counters_common(r, &lb_proc.fe, http);
	set_u64(r, ST_DREQ, LD(lb_proc.fe.dreq));
	set_u64(r, ST_DRESP, 0);
	set_u64(r, ST_EREQ, LD(lb_proc.fe.ereq));
	set_str(r, ST_STATUS, status);
	set_u64(r, ST_PID, 1);
	set_u64(r, ST_IID, IID_FRONTEND);
	set_u64(r, ST_SID, 0);
	set_u64(r, ST_TYPE, TYPE_FRONTEND);
	if (http) {
		set_u64(r, ST_REQ_TOT, LD(lb_proc.fe.req_tot));
		set_u64(r, ST_INTERCEPTED, 0);
	}
	set_u64(r, ST_COMP_IN, 0);
	set_u64(r, ST_COMP_OUT, 0);
	set_u64(r, ST_COMP_BYP, 0);
	set_u64(r, ST_COMP_RSP, 0);
	set_str(r, ST_MODE, http ? "http" : "tcp");
	set_u64(r, ST_CONN_TOT, LD(lb_proc.fe.stot));
	set_u64(r, ST_DCON, 0);
	set_u64(r, ST_DSES, 0);
}

/*
 * Copy a free-text check description with ',' turned into ';': the Neutron
 * and Contrail drivers split rows on ',' without honouring CSV quotes.
 */
static const char *
desc_nocomma(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] = s[i] == ',' ? ';' : s[i];
	buf[i] = '\0';
	return buf;
}

/* r's strings point into m and desc (which must outlive r's output). */
static void
server_row(struct stat_row *r, const struct lb_snapshot *snap, const struct lb_member *m,
    int64_t now, char *desc, size_t descsize)
{
	const struct lb_config *conf = snap->conf;
	const char *status = lb_stats_member_status(snap, m);
	uint64_t scur = LD(m->active);
	int64_t downtime = m->downtime;
	int http = conf->vip.http;

	memset(r, 0, sizeof(*r));
	set_str(r, ST_PXNAME, conf->pool.id);
	set_str(r, ST_SVNAME, m->id);
	set_u64(r, ST_QCUR, 0);
	set_u64(r, ST_QMAX, 0);
	set_u64(r, ST_SCUR, scur);
	set_u64(r, ST_SMAX, max_u64(LD(m->c.smax), scur));
	counters_common(r, &m->c, http);
	set_u64(r, ST_DRESP, 0);
	set_u64(r, ST_ECON, LD(m->c.econ));
	set_u64(r, ST_ERESP, LD(m->c.eresp));
	set_u64(r, ST_WRETR, LD(m->c.wretr));
	set_u64(r, ST_WREDIS, LD(m->c.wredis));
	set_str(r, ST_STATUS, status);
	set_s64(r, ST_WEIGHT, LD(m->weight));
	set_u64(r, ST_ACT, 1);
	set_u64(r, ST_BCK, 0);
	if (m->down_since != 0 && now > m->down_since)
		downtime += now - m->down_since;
	if (has_check(snap, m)) {
		int rise = conf->health_rise, fall = conf->hm->max_retries;

		set_u64(r, ST_CHKFAIL, m->chkfail);
		set_u64(r, ST_CHKDOWN, m->chkdown);
		set_u64(r, ST_HANAFAIL, 0);
		set_str(r, ST_CHECK_STATUS, m->check_status == LB_CHK_UNKNOWN ? "INI" :
		    lb_check_status_names[m->check_status]);
		if (m->check_status != LB_CHK_UNKNOWN) {
			if (m->check_code > 0)
				set_s64(r, ST_CHECK_CODE, m->check_code);
			set_s64(r, ST_CHECK_DURATION, m->check_duration_ms);
			set_str(r, ST_LAST_CHK, desc_nocomma(m->check_desc, desc, descsize));
		}
		set_str(r, ST_CHECK_DESC, check_descs[m->check_status]);
		set_s64(r, ST_CHECK_RISE, rise);
		set_s64(r, ST_CHECK_FALL, fall);
		set_s64(r, ST_CHECK_HEALTH, check_health(m, rise, fall));
	}
	set_s64(r, ST_LASTCHG, now > m->last_change ? now - m->last_change : 0);
	set_s64(r, ST_DOWNTIME, downtime);
	set_u64(r, ST_PID, 1);
	set_u64(r, ST_IID, IID_BACKEND);
	set_s64(r, ST_SID, m->sid);
	set_u64(r, ST_LBTOT, LD(m->c.lbtot));
	set_u64(r, ST_TYPE, TYPE_SERVER);
	if (http)
		set_u64(r, ST_REQ_TOT, LD(m->c.req_tot));
	set_str(r, ST_ADDR, m->name);
	if (conf->vip.persist == LB_PERSIST_HTTP_COOKIE)
		set_str(r, ST_COOKIE, m->id);
	set_str(r, ST_MODE, http ? "http" : "tcp");
}

/* Add one member's counters to the backend sums. */
static void
sum_member(struct be_sums *b, const struct lb_member *m)
{
	size_t i;

	b->scur += LD(m->active);
	b->smax = max_u64(b->smax, LD(m->c.smax));
	b->stot += LD(m->c.stot);
	b->bin += LD(m->c.bin);
	b->bout += LD(m->c.bout);
	b->econ += LD(m->c.econ);
	b->eresp += LD(m->c.eresp);
	b->wretr += LD(m->c.wretr);
	b->wredis += LD(m->c.wredis);
	b->lbtot += LD(m->c.lbtot);
	b->req_tot += LD(m->c.req_tot);
	for (i = 0; i < LB_ARRAY_SIZE(b->hrsp); i++)
		b->hrsp[i] += LD(m->c.hrsp[i]);
}

/*
 * Backend counters: the pool's own (lb_proc.be: traffic no member got) plus
 * every member still referenced, including members a reload removed whose
 * connections are draining, so totals do not drop at a reload.
 */
static void
backend_sums(struct be_sums *b, const struct lb_snapshot *snap)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	/* every member still referenced, removed ones included: counters never go back */
	for (i = 0; i < lb_proc.n_members; i++)
		sum_member(b, lb_proc.members[i]);
	for (i = 0; i < snap->n; i++) {
		const struct lb_member *m = snap->members[i];

		if (lb_stats_member_serving(lb_stats_member_status(snap, m))) {
			b->act++;
			b->weight += (uint64_t)LD(m->weight);
		}
	}
}

static void
backend_row(struct stat_row *r, const struct lb_snapshot *snap)
{
	const struct lb_config *conf = snap->conf;
	const struct lb_counters *be = &lb_proc.be;
	uint64_t limit = vip_limit(conf);
	int http = conf->vip.http;
	struct be_sums b;
	size_t i;

	backend_sums(&b, snap);
	memset(r, 0, sizeof(*r));
	set_str(r, ST_PXNAME, conf->pool.id);
	set_str(r, ST_SVNAME, "BACKEND");
	set_u64(r, ST_QCUR, 0);
	set_u64(r, ST_QMAX, 0);
	set_u64(r, ST_SCUR, b.scur);
	set_u64(r, ST_SMAX, max_u64(max_u64(b.smax, LD(be->smax)), b.scur));
	if (limit > 0)
		set_u64(r, ST_SLIM, limit);
	set_u64(r, ST_STOT, b.stot + LD(be->stot));
	set_u64(r, ST_BIN, b.bin + LD(be->bin));
	set_u64(r, ST_BOUT, b.bout + LD(be->bout));
	set_u64(r, ST_DREQ, LD(be->dreq));
	set_u64(r, ST_DRESP, 0);
	set_u64(r, ST_ECON, b.econ + LD(be->econ));
	set_u64(r, ST_ERESP, b.eresp + LD(be->eresp));
	set_u64(r, ST_WRETR, b.wretr + LD(be->wretr));
	set_u64(r, ST_WREDIS, b.wredis + LD(be->wredis));
	set_str(r, ST_STATUS, b.act > 0 ? "UP" : "DOWN");
	set_u64(r, ST_WEIGHT, b.weight);
	set_u64(r, ST_ACT, b.act);
	set_u64(r, ST_BCK, 0);
	set_u64(r, ST_PID, 1);
	set_u64(r, ST_IID, IID_BACKEND);
	set_u64(r, ST_SID, 0);
	set_u64(r, ST_LBTOT, b.lbtot + LD(be->lbtot));
	set_u64(r, ST_TYPE, TYPE_BACKEND);
	if (http) {
		for (i = 1; i <= 5; i++)
			set_u64(r, (enum stat_field)(ST_HRSP_1XX + i - 1),
			    b.hrsp[i] + LD(be->hrsp[i]));
		set_u64(r, ST_HRSP_OTHER, b.hrsp[0] + LD(be->hrsp[0]));
		set_u64(r, ST_REQ_TOT, b.req_tot + LD(be->req_tot));
	}
	set_u64(r, ST_COMP_IN, 0);
	set_u64(r, ST_COMP_OUT, 0);
	set_u64(r, ST_COMP_BYP, 0);
	set_u64(r, ST_COMP_RSP, 0);
	if (conf->vip.persist == LB_PERSIST_HTTP_COOKIE)
		set_str(r, ST_COOKIE, conf->vip.cookie_name != NULL ? conf->vip.cookie_name : "SRV");
	set_str(r, ST_MODE, http ? "http" : "tcp");
	if ((size_t)conf->pool.method < LB_ARRAY_SIZE(algo_names))
		set_str(r, ST_ALGO, algo_names[conf->pool.method]);
}

/* --- row output ----------------------------------------------------------- */

/* Append s as a CSV cell, quoted when it holds a separator, quote or newline. */
static void
csv_str(struct evbuffer *out, const char *s)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		evbuffer_add(out, s, strlen(s));
		return;
	}
	evbuffer_add(out, "\"", 1);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			evbuffer_add(out, "\"", 1);
		evbuffer_add(out, p, 1);
	}
	evbuffer_add(out, "\"", 1);
}

static void
csv_header(struct evbuffer *out)
{
	size_t i;

	evbuffer_add(out, "# ", 2);
	for (i = 0; i < ST_NFIELDS; i++)
		evbuffer_add_printf(out, "%s,", stat_names[i]);
	evbuffer_add(out, "\n", 1);
}

/* One CSV line; like HAProxy every cell, the last one too, ends in a comma. */
static void
csv_row(struct evbuffer *out, const struct stat_row *r)
{
	size_t i;

	for (i = 0; i < ST_NFIELDS; i++) {
		const struct fv *v = &r->f[i];

		switch (v->type) {
		case FV_EMPTY:
			break;
		case FV_STR:
			csv_str(out, v->s);
			break;
		case FV_U64:
			evbuffer_add_printf(out, "%" PRIu64, v->u);
			break;
		case FV_S64:
			evbuffer_add_printf(out, "%" PRId64, v->i);
			break;
		}
		evbuffer_add(out, ",", 1);
	}
	evbuffer_add(out, "\n", 1);
}

/* One new JSON object per row: field name -> value; empty cells are left out. */
static json_t *
json_row(const struct stat_row *r)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < ST_NFIELDS; i++) {
		const struct fv *v = &r->f[i];
		json_t *j = NULL;

		switch (v->type) {
		case FV_EMPTY:
			break;
		case FV_STR:
			j = json_string(v->s);
			break;
		case FV_U64:
			j = json_integer(v->u > (uint64_t)INT64_MAX ?
			    (json_int_t)INT64_MAX : (json_int_t)v->u);
			break;
		case FV_S64:
			j = json_integer((json_int_t)v->i);
			break;
		}
		if (j != NULL)
			json_object_set_new(o, stat_names[i], j);
	}
	return o;
}

static void
emit_row(struct evbuffer *out, json_t *arr, const struct stat_row *r)
{
	if (arr != NULL)
		json_array_append_new(arr, json_row(r));
	else
		csv_row(out, r);
}

/* --- commands ------------------------------------------------------------- */

/* Strict decimal integer in [lo, hi]; returns 0 or -1. */
static int
parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static const char stat_usage[] =
    "Usage: show stat [{<iid>|<proxy>} <type> <sid>] [json] [up|no-maint]\n";

/* Parse the words after "show stat"; writes the error to out and returns -1. */
static int
parse_stat_args(char **argv, int argc, struct stat_filter *f, struct evbuffer *out)
{
	const struct lb_snapshot *snap = lb_proc.snap;
	char *pos[3];
	int npos = 0, i;
	long v;

	memset(f, 0, sizeof(*f));
	f->iid = -1;
	f->types = -1;
	f->sid = -1;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "json") == 0)
			f->json = 1;
		else if (strcmp(argv[i], "up") == 0)
			f->up_only = 1;
		else if (strcmp(argv[i], "no-maint") == 0)
			f->no_maint = 1;
		else if (strcmp(argv[i], "typed") == 0 || strcmp(argv[i], "desc") == 0) {
			evbuffer_add_printf(out, "'%s' output is not supported.\n", argv[i]);
			return -1;
		} else if (npos < 3)
			pos[npos++] = argv[i];
		else {
			evbuffer_add(out, stat_usage, sizeof(stat_usage) - 1);
			return -1;
		}
	}
	if (npos == 0)
		return 0;
	if (npos != 3) {
		evbuffer_add(out, stat_usage, sizeof(stat_usage) - 1);
		return -1;
	}
	if (parse_int(pos[0], -1, INT_MAX, &v) == 0)
		f->iid = (int)v;
	else if (snap != NULL && strcmp(pos[0], snap->conf->vip.id) == 0)
		f->iid = IID_FRONTEND;
	else if (snap != NULL && strcmp(pos[0], snap->conf->pool.id) == 0)
		f->iid = IID_BACKEND;
	else {
		evbuffer_add_printf(out, "No such proxy.\n");
		return -1;
	}
	if (parse_int(pos[1], INT_MIN, INT_MAX, &v) == -1) {
		evbuffer_add(out, stat_usage, sizeof(stat_usage) - 1);
		return -1;
	}
	f->types = (int)v;
	if (parse_int(pos[2], -1, INT_MAX, &v) == -1) {
		evbuffer_add(out, stat_usage, sizeof(stat_usage) - 1);
		return -1;
	}
	f->sid = (int)v;
	return 0;
}

static int
want(const struct stat_filter *f, int iid, int type)
{
	return (f->iid == -1 || f->iid == iid) && (f->types & (1 << type)) != 0;
}

static void
cmd_show_stat(char **argv, int argc, struct evbuffer *out)
{
	const struct lb_snapshot *snap = lb_proc.snap;
	char desc[sizeof(((struct lb_member *)0)->check_desc)];
	struct stat_filter f;
	struct stat_row r;
	json_t *arr = NULL;
	int64_t now = lb_wall_s();
	size_t i;

	if (parse_stat_args(argv, argc, &f, out) == -1)
		return;
	if (f.json)
		arr = json_array();
	else
		csv_header(out);
	if (snap != NULL && want(&f, IID_FRONTEND, TYPE_FRONTEND)) {
		frontend_row(&r, snap);
		emit_row(out, arr, &r);
	}
	if (snap != NULL && want(&f, IID_BACKEND, TYPE_SERVER)) {
		for (i = 0; i < snap->n; i++) {
			const struct lb_member *m = snap->members[i];
			const char *st = lb_stats_member_status(snap, m);

			if (f.sid != -1 && m->sid != f.sid)
				continue;
			if (f.up_only && !lb_stats_member_serving(st))
				continue;
			if (f.no_maint && strcmp(st, "MAINT") == 0)
				continue;
			server_row(&r, snap, m, now, desc, sizeof(desc));
			emit_row(out, arr, &r);
		}
	}
	if (snap != NULL && want(&f, IID_BACKEND, TYPE_BACKEND)) {
		backend_row(&r, snap);
		emit_row(out, arr, &r);
	}
	if (arr != NULL) {
		char *s = json_dumps(arr, JSON_COMPACT);

		if (s != NULL) {
			evbuffer_add_printf(out, "%s\n", s);
			free(s);
		}
		json_decref(arr);
	}
}

static void
cmd_show_info(struct evbuffer *out)
{
	const struct lb_snapshot *snap = lb_proc.snap;
	uint64_t up_ms = lb_proc.start_ms != 0 ? lb_now_ms() - lb_proc.start_ms : 0;
	uint64_t up = up_ms / 1000;
	struct rlimit rl;
	struct lb_conn_splice_stats sp;
	char host[256] = "";

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		rl.rlim_cur = 0;
	if (gethostname(host, sizeof(host) - 1) == -1)
		host[0] = '\0';
	evbuffer_add_printf(out, "Name: %s\n", PACKAGE_NAME);
	evbuffer_add_printf(out, "Version: %s\n", PACKAGE_VERSION);
#ifdef LB_RELEASE_DATE
	evbuffer_add_printf(out, "Release_date: %s\n", LB_RELEASE_DATE);
#else
	evbuffer_add_printf(out, "Release_date: \n");
#endif
	evbuffer_add_printf(out, "Nbthread: %d\n", lb_proc.n_workers);
	evbuffer_add_printf(out, "Nbproc: 1\n");
	evbuffer_add_printf(out, "Process_num: 1\n");
	evbuffer_add_printf(out, "Pid: %ld\n", (long)(lb_proc.pid != 0 ? lb_proc.pid : getpid()));
	evbuffer_add_printf(out, "Uptime: %" PRIu64 "d %" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s\n",
	    up / 86400, (up / 3600) % 24, (up / 60) % 60, up % 60);
	evbuffer_add_printf(out, "Uptime_sec: %" PRIu64 "\n", up);
	evbuffer_add_printf(out, "Start_time_sec: %" PRId64 "\n", lb_proc.start_wall);
	evbuffer_add_printf(out, "Ulimit-n: %llu\n", (unsigned long long)rl.rlim_cur);
	evbuffer_add_printf(out, "Maxconn: %d\n", lb_proc.maxconn);
	evbuffer_add_printf(out, "Hard_maxconn: %d\n", lb_proc.maxconn);
	lb_conn_splice_stats(&sp);
	evbuffer_add_printf(out, "Maxpipes: %u\n", sp.max_pipes);
	evbuffer_add_printf(out, "PipesUsed: %u\n", sp.pipes_used);
	evbuffer_add_printf(out, "PipesFree: %u\n", sp.pipes_free);
	evbuffer_add_printf(out, "SplicedBytes: %" PRIu64 "\n", sp.bytes);
	evbuffer_add_printf(out, "CurrConns: %u\n", LD(lb_proc.conns));
	evbuffer_add_printf(out, "CumConns: %" PRIu64 "\n", LD(lb_proc.fe.stot));
	evbuffer_add_printf(out, "CumReq: %" PRIu64 "\n", LD(lb_proc.fe.req_tot));
	evbuffer_add_printf(out, "Stopping: %d\n", LD(lb_proc.stopping) ? 1 : 0);
	evbuffer_add_printf(out, "Reloads: %" PRIu64 "\n", lb_proc.reloads);
	evbuffer_add_printf(out, "Generation: %" PRIu64 "\n", lb_proc.generation);
	if (snap != NULL) {
		evbuffer_add_printf(out, "Vip: %s\n", snap->conf->vip.id);
		evbuffer_add_printf(out, "Vip_listener: %s\n",
		    snap->listener != NULL ? snap->listener->name : "");
		evbuffer_add_printf(out, "Pool: %s\n", snap->conf->pool.id);
		evbuffer_add_printf(out, "Members: %zu\n", snap->n);
	}
	evbuffer_add_printf(out, "node: %s\n", host);
	evbuffer_add_printf(out, "description: \n");
}

/* lbproxy extension: one line per member with its health-check state. */
static void
cmd_show_health(struct evbuffer *out)
{
	const struct lb_snapshot *snap = lb_proc.snap;
	int64_t now = lb_wall_s();
	size_t i;

	evbuffer_add_printf(out, "# pool/member address status health check code duration_ms "
	    "rise fall chkfail chkdown lastchg desc\n");
	if (snap == NULL)
		return;
	for (i = 0; i < snap->n; i++) {
		const struct lb_member *m = snap->members[i];
		int h = LD(m->health);
		int rise = snap->conf->health_rise;
		int fall = snap->conf->hm != NULL ? snap->conf->hm->max_retries : 0;
		const char *chk = m->check_status == LB_CHK_UNKNOWN ?
		    (has_check(snap, m) ? "INI" : "-") : lb_check_status_names[m->check_status];

		evbuffer_add_printf(out, "%s/%s %s %s %s %s %d %d %d/%d %d/%d %" PRIu64 " %"
		    PRIu64 " %" PRId64 " \"%s\"\n",
		    snap->conf->pool.id, m->id, m->name,
		    lb_stats_member_status(snap, m),
		    h >= 0 && h <= LB_HEALTH_DOWN ? lb_health_names[h] : "?",
		    chk, m->check_code, m->check_duration_ms,
		    m->rise_cnt, rise, m->fall_cnt, fall, m->chkfail, m->chkdown,
		    now > m->last_change ? now - m->last_change : 0,
		    m->check_desc);
	}
}

/*
 * Find "<pool>/<member>" in the current snapshot (returns it borrowed). The
 * pool id is matched as a prefix, so member ids may contain '/'. Writes
 * HAProxy's error text to out and returns NULL when there is no such server.
 */
static struct lb_member *
find_server(const char *arg, struct evbuffer *out)
{
	const struct lb_snapshot *snap = lb_proc.snap;
	const char *pool, *mid;
	size_t plen, i;

	if (arg == NULL || strchr(arg, '/') == NULL) {
		evbuffer_add_printf(out, "Require 'backend/server'.\n");
		return NULL;
	}
	if (snap == NULL) {
		evbuffer_add_printf(out, "No such backend.\n");
		return NULL;
	}
	pool = snap->conf->pool.id;
	plen = strlen(pool);
	if (strncmp(arg, pool, plen) != 0 || arg[plen] != '/') {
		evbuffer_add_printf(out, "No such backend.\n");
		return NULL;
	}
	mid = arg + plen + 1;
	for (i = 0; i < snap->n; i++)
		if (strcmp(snap->members[i]->id, mid) == 0)
			return snap->members[i];
	evbuffer_add_printf(out, "No such server.\n");
	return NULL;
}

static void
cmd_admin_server(const char *arg, int disable, struct evbuffer *out)
{
	struct lb_member *m = find_server(arg, out);

	if (m == NULL)
		return;
	if (atomic_exchange(&m->cli_disabled, disable ? true : false) == (disable != 0))
		return;
	m->last_change = lb_wall_s();
	lb_notice("member %s (%s) %s from the stats socket", m->id, m->name,
	    disable ? "disabled (MAINT)" : "enabled");
}

/* The configured weight of m in the current config (HAProxy's "initial weight"). */
static int
initial_weight(const struct lb_member *m)
{
	const struct lb_config *conf = lb_proc.snap->conf;
	size_t i;

	for (i = 0; i < conf->n_members; i++)
		if (strcmp(conf->members[i].id, m->id) == 0)
			return conf->members[i].weight;
	return LD(m->weight);
}

/* "set weight <pool>/<member> N|N%": absolute 0..256, or relative to the configured weight. */
static void
cmd_set_weight(const char *arg, const char *wstr, struct evbuffer *out)
{
	struct lb_member *m = find_server(arg, out);
	char buf[32];
	size_t len;
	long w;
	int old;

	if (m == NULL)
		return;
	if (wstr == NULL || *wstr == '\0') {
		evbuffer_add_printf(out, "Require <weight> or <weight%%>.\n");
		return;
	}
	len = strlen(wstr);
	if (len < sizeof(buf) && wstr[len - 1] == '%') {
		memcpy(buf, wstr, len - 1);
		buf[len - 1] = '\0';
		if (parse_int(buf, 0, LONG_MAX, &w) == -1) {
			evbuffer_add_printf(out, "Relative weight must be a positive integer "
			    "followed by '%%'.\n");
			return;
		}
		if (w > 25600)
			w = 25600;
		w = initial_weight(m) * w / 100;
		if (w > 256)
			w = 256;
	} else if (parse_int(wstr, 0, 256, &w) == -1) {
		evbuffer_add_printf(out, "Absolute weight can only be between 0 and 256 inclusive.\n");
		return;
	}
	old = atomic_exchange(&m->weight, (int)w);
	if (old != (int)w) {
		if ((old == 0) != (w == 0))
			m->last_change = lb_wall_s();
		lb_notice("member %s (%s) weight %d -> %ld from the stats socket",
		    m->id, m->name, old, w);
	}
}

/* "get weight <pool>/<member>": HAProxy's "<current> (initial <configured>)". */
static void
cmd_get_weight(const char *arg, struct evbuffer *out)
{
	struct lb_member *m = find_server(arg, out);

	if (m == NULL)
		return;
	evbuffer_add_printf(out, "%d (initial %d)\n", LD(m->weight), initial_weight(m));
}

static const char help_text[] =
    "  help                                  : this message\n"
    "  show info                             : report information about the running process\n"
    "  show stat [iid type sid] [json] [up|no-maint] : report counters for each proxy and server\n"
    "  show health                           : report the health-check state of each member\n"
    "  disable server <pool>/<member>        : put a member in maintenance (MAINT)\n"
    "  enable server <pool>/<member>         : end a member's maintenance\n"
    "  get weight <pool>/<member>            : report a member's current and configured weight\n"
    "  set weight <pool>/<member> <w>[%]     : change a member's weight (0..256, or % of the configured one)\n"
    "  quit                                  : disconnect\n";

/* Split line into words on blanks; returns the count (at most max). */
static int
split_words(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	while (argc < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		argv[argc++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	return argc;
}

/* Run one command (no ';'); the reply goes to out, without the trailing empty line. */
static void
run_one(char *cmd, struct evbuffer *out)
{
	char *argv[STATS_MAX_ARGS + 1];
	int argc = split_words(cmd, argv, STATS_MAX_ARGS + 1);

	if (argc == 0)
		return;
	if (argc > STATS_MAX_ARGS) {
		evbuffer_add_printf(out, "Too many words on the command line.\n");
		return;
	}
	if (argc >= 2 && strcmp(argv[0], "show") == 0) {
		if (strcmp(argv[1], "stat") == 0) {
			cmd_show_stat(argv + 2, argc - 2, out);
			return;
		}
		if (strcmp(argv[1], "info") == 0 && argc == 2) {
			cmd_show_info(out);
			return;
		}
		if (strcmp(argv[1], "health") == 0 && argc == 2) {
			cmd_show_health(out);
			return;
		}
	} else if (argc >= 2 && strcmp(argv[1], "server") == 0 &&
	    (strcmp(argv[0], "disable") == 0 || strcmp(argv[0], "enable") == 0)) {
		cmd_admin_server(argc > 2 ? argv[2] : NULL, argv[0][0] == 'd', out);
		return;
	} else if (argc >= 2 && strcmp(argv[0], "set") == 0 && strcmp(argv[1], "weight") == 0) {
		cmd_set_weight(argc > 2 ? argv[2] : NULL, argc > 3 ? argv[3] : NULL, out);
		return;
	} else if (argc >= 2 && strcmp(argv[0], "get") == 0 && strcmp(argv[1], "weight") == 0) {
		cmd_get_weight(argc > 2 ? argv[2] : NULL, out);
		return;
	} else if (argc == 1 && strcmp(argv[0], "help") == 0) {
		evbuffer_add_printf(out, "The following commands are valid at this level:\n%s",
		    help_text);
		return;
	} else if (argc == 1 && strcmp(argv[0], "quit") == 0) {
		return;
	} else if (strcmp(argv[0], "_getsocks") == 0) {
		evbuffer_add_printf(out, "_getsocks must be alone on its connection.\n");
		return;
	}
	evbuffer_add_printf(out, "Unknown command. Please enter one of the following commands only :\n%s",
	    help_text);
}

void
lb_stats_command(const char *line, struct evbuffer *out)
{
	char *copy = strdup(line), *cmd, *next;

	if (copy == NULL) {
		evbuffer_add_printf(out, "Out of memory.\n\n");
		return;
	}
	/* like HAProxy: commands separated by ';', each answer followed by an empty line */
	for (cmd = copy; cmd != NULL; cmd = next) {
		next = strchr(cmd, ';');
		if (next != NULL)
			*next++ = '\0';
		run_one(cmd, out);
		evbuffer_add(out, "\n", 1);
	}
	free(copy);
}

/* --- socket: listener handover ------------------------------------------- */

/* Answer _getsocks on fd: the header and every listening descriptor, one message. */
static int
send_listeners(int fd)
{
	int fds[STATS_MAX_FDS];
	int n = lb_proc_listen_fds(fds, STATS_MAX_FDS);
	struct getsocks_hdr hdr;
	struct iovec iov;
	struct msghdr msg;
	union {
		char		buf[CMSG_SPACE(sizeof(int) * STATS_MAX_FDS)];
		struct cmsghdr	align;
	} cbuf;
	struct cmsghdr *cm;
	ssize_t r;

	if (n < 0)
		n = 0;
	if (n > STATS_MAX_FDS)
		n = STATS_MAX_FDS;
	memcpy(hdr.magic, GETSOCKS_MAGIC, sizeof(hdr.magic));
	hdr.count = (uint32_t)n;
	iov.iov_base = &hdr;
	iov.iov_len = sizeof(hdr);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (n > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	}
	do
		r = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r != (ssize_t)sizeof(hdr)) {
		lb_warn("stats socket: cannot hand over %d listener(s): %s", n,
		    r == -1 ? strerror(errno) : "short write");
		return -1;
	}
	lb_notice("stats socket: handed %d listening socket(s) over to a new process", n);
	return 0;
}

/* recvmsg with the 5 s timeout; collects SCM_RIGHTS descriptors into got. */
static ssize_t
recv_with_fds(int s, void *buf, size_t len, int *got, int *ngot, int cap, int *truncated)
{
	union {
		char		buf[CMSG_SPACE(sizeof(int) * STATS_MAX_FDS)];
		struct cmsghdr	align;
	} cbuf;
	struct iovec iov = { buf, len };
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t r;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	do
		r = recvmsg(s, &msg, MSG_CMSG_CLOEXEC);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	if (msg.msg_flags & MSG_CTRUNC)
		*truncated = 1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t n, i;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*ngot < cap)
				got[(*ngot)++] = fd;
			else {
				close(fd);
				*truncated = 1;
			}
		}
	}
	return r;
}

int
lb_stats_fetch_listeners(const char *path, int *fds, int max)
{
	static const char req[] = "_getsocks\n";
	struct sockaddr_un sa_un;
	struct timeval tv = { FETCH_TIMEOUT_S, 0 };
	struct getsocks_hdr hdr;
	int got[STATS_MAX_FDS];
	int s, ngot = 0, truncated = 0, ret = -1, err = 0, i;
	size_t have = 0;
	ssize_t r;

	if (strlen(path) >= sizeof(sa_un.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sa_un, 0, sizeof(sa_un));
	sa_un.sun_family = AF_UNIX;
	memcpy(sa_un.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s == -1)
		return -1;
	/* blocking on purpose (before the event loop), but never for long */
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(s, (struct sockaddr *)&sa_un, sizeof(sa_un)) == -1) {
		err = errno;
		goto out;
	}
	do
		r = send(s, req, sizeof(req) - 1, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r != (ssize_t)sizeof(req) - 1) {
		err = r == -1 ? errno : EIO;
		goto out;
	}
	while (have < sizeof(hdr)) {
		r = recv_with_fds(s, (char *)&hdr + have, sizeof(hdr) - have, got, &ngot,
		    STATS_MAX_FDS, &truncated);
		if (r == -1) {
			err = errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
			goto out;
		}
		if (r == 0) {
			err = EPROTO;	/* closed early: not an lbproxy, or an error text */
			goto out;
		}
		have += (size_t)r;
	}
	if (memcmp(hdr.magic, GETSOCKS_MAGIC, sizeof(hdr.magic)) != 0 ||
	    hdr.count != (uint32_t)ngot || truncated) {
		err = truncated ? EMSGSIZE : EPROTO;
		goto out;
	}
	ret = 0;
	for (i = 0; i < ngot; i++) {
		if (ret < max)
			fds[ret++] = got[i];
		else
			close(got[i]);
	}
	ngot = 0;
out:
	for (i = 0; i < ngot; i++)
		close(got[i]);
	close(s);
	if (ret == -1)
		errno = err;
	return ret;
}

/* --- socket: connections --------------------------------------------------- */

/* Run the command line and queue the whole reply; the connection closes once it drains. */
static void
client_reply(struct lb_oneshot_conn *c, char *line)
{
	struct evbuffer *out = lb_oneshot_conn_reply(c);
	size_t len = strlen(line);
	char *p;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	if (strcmp(p, "_getsocks") == 0) {
		(void)send_listeners(lb_oneshot_conn_fd(c));
		lb_oneshot_conn_close(c);
		return;
	}
	lb_stats_command(p, out);
	if (evbuffer_get_length(out) == 0)
		lb_oneshot_conn_close(c);
}

/*
 * The first n bytes of in as a string (malloc'd here, not by libevent:
 * evbuffer_readln's result comes from libevent's allocator, see mempool.h).
 */
static char *
take_line(struct evbuffer *in, size_t n)
{
	char *line = malloc(n + 1);

	if (line == NULL)
		return NULL;
	evbuffer_remove(in, line, n);
	line[n] = '\0';
	return line;
}

static void
client_request(struct lb_oneshot_conn *c, struct evbuffer *in)
{
	struct evbuffer_ptr eol;
	size_t eol_len;
	char *line;

	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos == -1 || (size_t)eol.pos > STATS_MAX_LINE) {
		if (eol.pos != -1 || evbuffer_get_length(in) > STATS_MAX_LINE)
			evbuffer_add_printf(lb_oneshot_conn_reply(c), "Command line too long.\n\n");
		return;
	}
	if ((line = take_line(in, (size_t)eol.pos)) == NULL) {
		lb_oneshot_conn_close(c);
		return;
	}
	evbuffer_drain(in, eol_len);
	client_reply(c, line);
	free(line);
}

/* A client that shut down its side without a newline still gets its answer. */
static int
client_eof(struct lb_oneshot_conn *c, struct evbuffer *in)
{
	size_t n = evbuffer_get_length(in);
	char *line;

	if (n == 0 || n > STATS_MAX_LINE || (line = take_line(in, n)) == NULL)
		return -1;
	client_reply(c, line);
	free(line);
	return 0;
}

static const struct lb_oneshot_ops stats_ops = {
	.what = "stats socket",
	.read_timeout_s = STATS_READ_TIMEOUT_S,
	.write_timeout_s = STATS_WRITE_TIMEOUT_S,
	.read_max = STATS_MAX_LINE + 2,
	/* one write for the whole reply: agents stop reading at the first short recv() */
	.max_single_write = 4 * 1024 * 1024,
	/* what the client sent beyond its command is dropped, so close() does not reset it */
	.flags = LB_ONESHOT_DRAIN_RECV,
	.request = client_request,
	.eof = client_eof,
};

/*
 * Bind a temporary name and rename it over path, so the socket is never
 * missing or briefly world-accessible, and an older process keeps serving
 * on its (now unlinked) socket until then. Returns the listening fd or -1.
 */
static int
bind_socket(const char *path, int mode, struct stat *sb)
{
	struct sockaddr_un sa_un;
	struct stat old;
	char tmp[sizeof(sa_un.sun_path)];
	int fd, saved, n;

	n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (lstat(path, &old) == 0 && !S_ISSOCK(old.st_mode)) {
		errno = EEXIST;		/* never replace something that is not a socket */
		return -1;
	}
	memset(&sa_un, 0, sizeof(sa_un));
	sa_un.sun_family = AF_UNIX;
	memcpy(sa_un.sun_path, tmp, (size_t)n + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	(void)unlink(tmp);
	if (bind(fd, (struct sockaddr *)&sa_un, sizeof(sa_un)) == -1)
		goto fail;
	if (chmod(tmp, (mode_t)mode) == -1 || listen(fd, STATS_BACKLOG) == -1 ||
	    rename(tmp, path) == -1 || stat(path, sb) == -1)
		goto fail_unlink;
	return fd;
fail_unlink:
	saved = errno;
	(void)unlink(tmp);
	errno = saved;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

struct lb_stats *
lb_stats_new(struct event_base *base, const char *path, int mode)
{
	struct lb_stats *st;
	struct stat sb;
	int fd, saved;

	fd = bind_socket(path, mode, &sb);
	if (fd == -1)
		return NULL;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		goto fail;
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	st->path = strdup(path);
	if (st->path == NULL)
		goto fail;
	st->srv = lb_oneshot_new(base, fd, &stats_ops, st->path);
	if (st->srv == NULL)
		goto fail;
	lb_info("stats socket listening on %s (mode %04o)", path, (unsigned)mode);
	return st;
fail:
	saved = errno != 0 ? errno : ENOMEM;
	close(fd);
	(void)unlink(path);
	if (st != NULL) {
		free(st->path);
		free(st);
	}
	errno = saved;
	return NULL;
}

void
lb_stats_free(struct lb_stats *st)
{
	struct stat sb;

	if (st == NULL)
		return;
	lb_oneshot_free(st->srv);
	/* remove the socket file only if a newer process has not replaced it */
	if (stat(st->path, &sb) == 0 && sb.st_dev == st->dev && sb.st_ino == st->ino)
		(void)unlink(st->path);
	free(st->path);
	free(st);
}
