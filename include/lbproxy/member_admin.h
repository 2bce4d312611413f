/*
 * member_admin.h: the stats socket's commands that change members (HAProxy's
 * "disable server", "enable server", "set server <b>/<s> state|weight",
 * "set weight", "get weight", "clear counters"). Handlers for cli.c's table: args are the words
 * after the command's own, the reply (HAProxy's texts; nothing on success)
 * goes to out. The member state they change lives in member.c.
 */
#ifndef LB_MEMBER_ADMIN_H
#define LB_MEMBER_ADMIN_H

struct evbuffer;

void lb_member_admin_disable(char **args, int nargs, struct evbuffer *out);
void lb_member_admin_enable(char **args, int nargs, struct evbuffer *out);
/* "set server <pool>/<member> state ready|drain|maint" or "... weight <w>[%]". */
void lb_member_admin_set_server(char **args, int nargs, struct evbuffer *out);
void lb_member_admin_set_weight(char **args, int nargs, struct evbuffer *out);
void lb_member_admin_get_weight(char **args, int nargs, struct evbuffer *out);
/* HAProxy's "clear counters": the max values (smax) of the listeners, pools and members. */
void lb_member_admin_clear_max(char **args, int nargs, struct evbuffer *out);

#endif
