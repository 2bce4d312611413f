/*
 * cli.h: the HAProxy-compatible command socket (the "stats socket"): a Unix
 * stream socket on top of oneshot.c, one command line per connection
 * (commands separated by ';', each answer followed by an empty line), the
 * reply written whole, then the connection closed. "_getsocks" alone on a
 * connection hands the listeners over (handover.h). The commands and their
 * handlers are one table in cli.c. Main thread only.
 *
 * Each socket has HAProxy's access level (SPEC 13): a command above it is
 * answered "Permission denied" as HAProxy 2.6 does.
 */
#ifndef LB_CLI_H
#define LB_CLI_H

#include <stddef.h>

struct event_base;
struct evbuffer;
struct lb_cli;

/* HAProxy's "level" of a stats socket; each includes the ones before. */
enum lb_cli_level {
	LB_CLI_USER,		/* read: show, get, help */
	LB_CLI_OPERATOR,	/* plus clear counters (max values) */
	LB_CLI_ADMIN,		/* plus disable/enable/set server, set weight, _getsocks */
};
extern const char *const lb_cli_level_names[];	/* [LB_CLI_USER] = "user" ... */
/* "user", "operator" or "admin"; returns -1 for anything else. */
int lb_cli_level_parse(const char *s);

/*
 * Bind the socket at path with the given mode and level (an existing socket
 * file is replaced: a successor's socket takes the path over from its
 * predecessor). Returns a new lb_cli or NULL with errno set.
 */
struct lb_cli *lb_cli_new(struct event_base *base, const char *path, int mode,
    enum lb_cli_level level);
/*
 * Bind one more socket (a read-only one for monitoring agents, say) that
 * lives and dies with cli: lb_cli_free closes them all. Returns 0, or -1
 * with errno set (cli is unchanged).
 */
int lb_cli_add(struct lb_cli *cli, struct event_base *base, const char *path, int mode,
    enum lb_cli_level level);
/* Close the sockets; a file is removed unless a newer process replaced it. Accepts NULL. */
void lb_cli_free(struct lb_cli *cli);

/*
 * Run one command line (without newline) at level and append the reply to
 * out, exactly as the socket would send it. Used by the socket and by tests.
 */
void lb_cli_command(const char *line, enum lb_cli_level level, struct evbuffer *out);

#endif
