/*
 * stats.h: the stats rows in HAProxy's layout (FRONTEND, one per member,
 * BACKEND) and their CSV and JSON renderers, plus the read-only views the
 * command socket (cli.h) serves: show stat, show info, show health, show
 * servers state. Main thread only; counters are read with relaxed loads.
 */
#ifndef LB_STATS_H
#define LB_STATS_H

#include <stdbool.h>

struct evbuffer;
struct lb_snapshot;

/* HAProxy's row types; a filter's types is a mask of 1 << type. */
enum {
	LB_STATS_TYPE_FRONTEND = 0,
	LB_STATS_TYPE_BACKEND = 1,
	LB_STATS_TYPE_SERVER = 2,
};

/* Which rows a dump shows ("show stat [iid type sid] [up|no-maint]"). */
struct lb_stats_filter {
	int	 iid;		/* proxy id, -1 = every proxy */
	int	 types;		/* mask of 1 << LB_STATS_TYPE_*, -1 = all */
	int	 sid;		/* server id, -1 = every server */
	bool	 up_only;	/* "up": no server in MAINT or DOWN */
	bool	 no_maint;	/* "no-maint": no server in MAINT */
};

enum lb_stats_format {
	LB_STATS_CSV,		/* HAProxy's: "# " header, every cell ending in ',' */
	LB_STATS_JSON,		/* one array of objects, empty cells left out */
};

/* Every row. */
void lb_stats_filter_init(struct lb_stats_filter *f);
/* Append snap's rows that pass f to out (snap NULL: the CSV header or []). */
void lb_stats_dump(const struct lb_snapshot *snap, const struct lb_stats_filter *f,
    enum lb_stats_format fmt, struct evbuffer *out);

/*
 * Command handlers (cli.c's table): args are the words after the command's
 * own, the reply goes to out. They read the current snapshot (lb_proc).
 */
void lb_stats_show_stat(char **args, int nargs, struct evbuffer *out);
void lb_stats_show_info(char **args, int nargs, struct evbuffer *out);
/* lbproxy extension: one line per member with its health-check state. */
void lb_stats_show_health(char **args, int nargs, struct evbuffer *out);
/* HAProxy 2.6's "show servers state [<backend>]" (server-state file version 1). */
void lb_stats_show_servers_state(char **args, int nargs, struct evbuffer *out);

#endif
