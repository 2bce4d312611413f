/*
 * proc_fixture.h: the process state the stats socket's tests run against
 * (test_stats, test_cli, test_member_admin, test_handover, test_metrics):
 * lb_proc around a parsed three-member HTTP pool with traffic counters set,
 * and helpers to run commands, parse "show stat" CSV and talk to a socket
 * from a thread while the test's event_base turns.
 */
#ifndef LB_TEST_PROC_FIXTURE_H
#define LB_TEST_PROC_FIXTURE_H

#include <stdatomic.h>
#include <stddef.h>

#include "lbproxy/cli.h"

struct event_base;
struct lb_member;
struct lb_listener;

#define FX_NMEMBERS	3
#define FX_NFIELDS	83	/* HAProxy's "show stat" columns up to dses */

/* m1 UP after an HTTP check, m2 DOWN (connection refused), m3 UP. */
extern struct lb_member *fx_mem[FX_NMEMBERS];
extern struct lb_listener *fx_lst;
extern struct lb_frontend *fx_fe;
extern struct lb_backend *fx_be;
extern char fx_tmpdir[64];

/* cmocka setup/teardown: build and free lb_proc (tmpdir made and removed). */
int fx_setup(void **state);
int fx_teardown(void **state);

/* The reply to the command line on an admin socket, as a new string (lb_cli_command). */
char *fx_run(const char *line);
/* The same, on a socket of that level. */
char *fx_run_at(const char *line, enum lb_cli_level level);
/* The reply to the command line is expect. */
void fx_expect(const char *line, const char *expect);

/* "show stat" CSV: row 0 holds the header names ("# " stripped). */
struct fx_csv {
	int	 nrows;
	char	*cell[16][FX_NFIELDS + 1];
	char	*text;
};
/* Parse (no quoted cells in these tests); every line must have FX_NFIELDS cells. */
void fx_csv_parse(struct fx_csv *c, const char *reply);
void fx_csv_free(struct fx_csv *c);
const char *fx_cell(const struct fx_csv *c, int row, const char *name);
/* Row whose svname is sv, or -1. */
int fx_row_of(const struct fx_csv *c, const char *sv);
/* The value of column name in the row of svname sv of "show stat -1 -1 -1". */
void fx_stat_of(const char *sv, const char *name, char *buf, size_t size);

/* A client of a Unix socket, run in a thread. */
struct fx_client {
	const char	*path;
	const char	*send;		/* bytes to send */
	size_t		 sendlen;
	int		 shut;		/* shutdown(SHUT_WR) after sending */
	char		 reply[65536];
	size_t		 len;
	int		 err;
	/* instead of the above: run fn(arg) in the thread */
	void		(*fn)(void *arg);
	void		*arg;
	_Atomic int	 done;
};
/* Run the client in a thread while base's loop turns, at most 10 s. */
void fx_client_run(struct event_base *base, struct fx_client *j);
/* "<tmpdir>/sock" */
void fx_sock_path(char *buf, size_t size);

#endif
