/*
 * priv.h: least privilege (SPEC 13). The "lbproxy" keys that say who may
 * do what on the stats sockets (parsed by config_priv.c into struct
 * lb_priv_conf, which struct lb_config embeds).
 */
#ifndef LB_PRIV_H
#define LB_PRIV_H

#include <stddef.h>

#include "lbproxy/cli.h"

struct json_t;
struct lb_diag;

/* One "lbproxy.stats_sockets" element: a socket besides the main one. */
struct lb_stats_sock_conf {
	char			*path;		/* resolved against the config's directory */
	int			 mode;		/* default 0660 */
	enum lb_cli_level	 level;		/* default user (read-only) */
};

struct lb_priv_conf {
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

#endif
