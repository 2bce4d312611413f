/*
 * cli.h: the HAProxy-compatible command socket (the "stats socket"): a Unix
 * stream socket on top of oneshot.c, one command line per connection
 * (commands separated by ';', each answer followed by an empty line), the
 * reply written whole, then the connection closed. "_getsocks" alone on a
 * connection hands the listeners over (handover.h). The commands and their
 * handlers are one table in cli.c. Main thread only.
 */
#ifndef LB_CLI_H
#define LB_CLI_H

struct event_base;
struct evbuffer;
struct lb_cli;

/*
 * Bind the socket at path with the given mode (an existing socket file is
 * replaced: a successor's socket takes the path over from its predecessor).
 * Returns a new lb_cli or NULL with errno set.
 */
struct lb_cli *lb_cli_new(struct event_base *base, const char *path, int mode);
/* Close the socket; its file is removed unless a newer process replaced it. Accepts NULL. */
void lb_cli_free(struct lb_cli *cli);

/*
 * Run one command line (without newline) and append the reply to out,
 * exactly as the socket would send it. Used by the socket and by tests.
 */
void lb_cli_command(const char *line, struct evbuffer *out);

#endif
