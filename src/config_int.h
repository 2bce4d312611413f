/*
 * config_int.h: what the parser (config.c) hands to the validity pass
 * (config_check.c). The parser only turns JSON types into C types; every
 * rule about values (required, ranges, names, files, how fields combine)
 * lives in the check pass, as HAProxy separates cfgparse from
 * check_config_validity.
 */
#ifndef LB_CONFIG_INT_H
#define LB_CONFIG_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "lbproxy/config.h"

/* A required integer the file did not give. */
#define LB_UNSET	INT_MIN

/* TLS versions as OpenSSL numbers them (the config code does not link OpenSSL). */
#define LB_TLS1_2_VERSION	0x0303
#define LB_TLS1_3_VERSION	0x0304

/* How an object was given in the file. */
enum lb_seen {
	LB_SEEN_ABSENT,		/* no key, or null */
	LB_SEEN_OBJECT,
	LB_SEEN_INVALID,	/* wrong type, already reported */
};

/* A key written under its Contrail name, so messages use the user's spelling. */
struct lb_alias {
	char	*canon;		/* "vip.protocol_port" */
	char	*used;		/* "vip.port" */
};

/* One healthmonitors[] element as parsed. */
struct lb_hm_raw {
	struct lb_hm_conf	 c;
	char			*type;
	size_t			 idx;	/* index in the JSON array */
};

struct lb_parse {
	struct lb_config	 conf;		/* being built; moved out on success */
	struct lb_diag		*diag;

	unsigned char		 seen_vip;	/* enum lb_seen */
	unsigned char		 seen_pool;
	unsigned char		 seen_tls;

	/* Strings kept as written; the check pass turns them into values. */
	char			*vip_protocol;
	char			*persist_type;
	char			*tls_mode;
	char			*tls_min_version;
	char			*pool_protocol;
	char			*pool_method;
	char			*stats_socket_mode;
	char			*log_target;
	char			*log_level;

	size_t			*member_idx;	/* conf.members[i] is members[member_idx[i]] */
	struct lb_hm_raw	*hms;		/* every monitor, admin-up or not */
	size_t			 n_hms;

	struct lb_alias		*aliases;
	size_t			 n_aliases;
};

/*
 * The validity pass: report every problem in p->diag, fill the derived fields
 * (enums, tls_mode, http, defaults, absolute paths, conf.hm). Returns 0 if it
 * added no error, -1 otherwise.
 */
int lb_config_check(struct lb_parse *p);
/* The name the user wrote for canonical path (borrowed from p or path itself). */
const char *lb_config_alias(const struct lb_parse *p, const char *path);
/* Free what a monitor owns (not hm itself). */
void lb_hm_conf_fini(struct lb_hm_conf *hm);

#endif
