/*
 * priv.h: least privilege (SPEC 13). The "lbproxy" keys that say who the
 * process runs as, whether it sandboxes itself and who may do what on its
 * stats sockets (parsed by config_priv.c into struct lb_priv_conf, which
 * struct lb_config embeds), and the one-way switch to that user once
 * everything privileged is done (priv.c). The sandbox itself is sandbox.h.
 */
#ifndef LB_PRIV_H
#define LB_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "lbproxy/cli.h"

struct json_t;
struct lb_config;
struct lb_diag;

/* One "lbproxy.stats_sockets" element: a socket besides the main one. */
struct lb_stats_sock_conf {
	char			*path;		/* resolved against the config's directory */
	int			 mode;		/* default 0660 */
	enum lb_cli_level	 level;		/* default user (read-only) */
};

struct lb_priv_conf {
	char			*user;		/* lbproxy.user: name or uid; NULL: stay */
	char			*group;		/* lbproxy.group: NULL: the user's group */
	bool			 sandbox;	/* lbproxy.sandbox, default true */
	enum lb_cli_level	 stats_socket_level; /* of lbproxy.stats_socket, default admin */
	struct lb_stats_sock_conf *stats_sockets;
	size_t			 n_stats_sockets;
};

/*
 * Defaults, then the keys of the "lbproxy" object (borrowed; NULL when the
 * file has none): JSON types and values are checked here, every error goes
 * to diag with its JSON path. dir is the config's directory, against which
 * relative paths resolve.
 */
void lb_config_priv_parse(struct lb_priv_conf *pc, const struct json_t *lbproxy,
    const char *dir, struct lb_diag *diag);
/* Free what pc owns (not pc itself). */
void lb_config_priv_fini(struct lb_priv_conf *pc);

/* Who the process becomes. */
struct lb_priv_ids {
	uid_t	uid;
	gid_t	gid;
	char	name[64];	/* for initgroups and logs; "" for a bare uid */
};

/*
 * Look up user (a name or a numeric uid) and group (NULL: the user's
 * primary group). Returns 0, or -1 with the reason in err.
 */
int lb_priv_resolve(const char *user, const char *group, struct lb_priv_ids *ids,
    char *err, size_t errlen);

/*
 * Whether the user (user_override, -u, wins over lbproxy.user) and group
 * exist; prints "lbproxy: ..." to fp and returns -1 if not. For -t and
 * before anything is bound.
 */
int lb_priv_check(const struct lb_config *conf, const char *user_override, FILE *fp);

/* Capabilities kept after the switch (bit n = capability n). */
#define LB_PRIV_CAP(n)	(1ULL << (n))
/*
 * What conf still needs once running as gid: CAP_NET_RAW when it has a PING
 * monitor and net.ipv4.ping_group_range (read from ping_range, "lo hi")
 * refuses gid an ICMP datagram socket; CAP_NET_BIND_SERVICE when it listens
 * on a port below unpriv_start (net.ipv4.ip_unprivileged_port_start), which
 * a reload may bind again. Pure: tests call it with their own values.
 */
unsigned long long lb_priv_caps_needed(const struct lb_config *conf, gid_t gid,
    const gid_t *groups, int ngroups, const char *ping_range, int unpriv_start);

/*
 * Become the configured user (user_override, -u, wins over lbproxy.user):
 * chown the stats sockets to it, keep only the capabilities still needed,
 * setgroups/setgid/setuid, set no_new_privs, and check there is no way back
 * (setuid(0) must fail). Call after everything privileged (binding, keys,
 * sockets) and before any thread starts: capabilities are per thread.
 * Does nothing when no user is configured. Returns 0, or -1 after printing
 * why to stderr.
 */
int lb_priv_drop(const struct lb_config *conf, const char *user_override);

#endif
