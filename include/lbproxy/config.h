/*
 * config.h: the pool file (JSON, Neutron LBaaS v1 logical device or Contrail
 * conf.json) as plain immutable structs. No jansson object outlives
 * lb_config_load(); nothing here depends on libevent.
 */
#ifndef LB_CONFIG_H
#define LB_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "lbproxy/diag.h"

enum lb_proto {
	LB_PROTO_TCP,
	LB_PROTO_HTTP,
	LB_PROTO_HTTPS,
};

enum lb_method {
	LB_METHOD_ROUND_ROBIN,
	LB_METHOD_LEAST_CONNECTIONS,
	LB_METHOD_SOURCE_IP,
};

enum lb_persist {
	LB_PERSIST_NONE,
	LB_PERSIST_SOURCE_IP,
	LB_PERSIST_HTTP_COOKIE,
	LB_PERSIST_APP_COOKIE,
};

enum lb_hm_type {
	LB_HM_PING,
	LB_HM_TCP,
	LB_HM_HTTP,
	LB_HM_HTTPS,
	LB_HM_TLS_HELLO,
};

/* What the VIP does with TLS, decided by lb_config_load from protocol, port and tls. */
enum lb_tls_mode {
	LB_TLS_NONE,		/* plain TCP or HTTP */
	LB_TLS_TERMINATE,	/* TLS ends at the VIP, members get plain HTTP */
	LB_TLS_PASSTHROUGH,	/* bytes relayed untouched (L4) */
};

extern const char *const lb_proto_names[];	/* [LB_PROTO_TCP] = "TCP" ... */
extern const char *const lb_method_names[];
extern const char *const lb_persist_names[];
extern const char *const lb_hm_type_names[];

struct lb_tls_conf {
	char	 *certificate_file;	/* absolute or relative to the config dir, resolved */
	char	 *private_key_file;	/* NULL: the key is in certificate_file */
	char	**sni_certificate_files;
	size_t	  n_sni;
	int	  min_version;		/* TLS1_2_VERSION (0x0303) by default */
	char	 *ciphers;		/* NULL: Mozilla intermediate */
	char	 *ciphersuites;		/* NULL: OpenSSL's TLS 1.3 default */
	bool	  passthrough_requested; /* tls.mode == "passthrough" */
};

struct lb_vip_conf {
	char			*id;
	char			*address;
	struct sockaddr_storage	 addr;	/* address + port */
	socklen_t		 addrlen;
	int			 port;
	enum lb_proto		 protocol;
	int			 connection_limit; /* -1 unlimited */
	bool			 admin_state_up;
	enum lb_persist		 persist;
	char			*cookie_name;	/* APP_COOKIE (HTTP_COOKIE: "SRV") */
	bool			 has_tls;	/* a tls block or ssl-crt was given */
	struct lb_tls_conf	 tls;
	enum lb_tls_mode	 tls_mode;	/* effective, see SPEC 2 "HTTPS semantics" */
	bool			 http;		/* L7: HTTP parsing (HTTP, or terminated HTTPS) */
};

struct lb_pool_conf {
	char		*id;
	enum lb_proto	 protocol;
	enum lb_method	 method;
	bool		 admin_state_up;
};

struct lb_member_conf {
	char			*id;
	char			*address;
	int			 port;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	int			 weight;	/* 0..256 */
	bool			 admin_state_up;
};

/* One "expected_codes" element: lo..hi inclusive. */
struct lb_code_range {
	int	lo;
	int	hi;
};

struct lb_hm_conf {
	char			*id;
	enum lb_hm_type		 type;
	int			 delay;		/* seconds */
	int			 timeout;	/* seconds, <= delay */
	int			 max_retries;	/* 1..10 = fall */
	char			*http_method;
	char			*url_path;
	char			*expected_codes;
	struct lb_code_range	*codes;
	size_t			 n_codes;
	bool			 admin_state_up;
};

struct lb_timeouts {
	int	connect;	/* all in milliseconds */
	int	client;
	int	server;
	int	http_request;
	int	http_keep_alive;
	int	tls_handshake;
	int	drain;
};

struct lb_config {
	char			*path;		/* as given with -c */
	char			*dir;		/* its directory, for relative paths */

	struct lb_vip_conf	 vip;
	struct lb_pool_conf	 pool;
	struct lb_member_conf	*members;
	size_t			 n_members;
	struct lb_hm_conf	*hm;		/* the first admin-up monitor, or NULL */

	/* the "lbproxy" block */
	char			*stats_socket;	/* resolved; default "<dir>/sock" */
	int			 stats_socket_mode;	/* default 0660 */
	char			*pid_file;
	int			 workers;	/* 0 = not set (use -w or CPUs) */
	int			 maxconn;	/* 0 = derive from RLIMIT_NOFILE */
	struct lb_timeouts	 timeouts;
	int			 retries;	/* default 3 */
	bool			 redispatch;	/* default true */
	bool			 splice;	/* default true: splice() bulk TCP data */
	bool			 xff;		/* X-Forwarded-For, default true */
	bool			 xfproto;	/* X-Forwarded-Proto, default true */
	bool			 xfport;	/* X-Forwarded-Port, default false */
	int			 health_rise;	/* default 2 */
	int			 health_jitter_pct; /* default 10 */
	bool			 health_fail_open; /* default false */
	int			 max_header_lines;	/* 100 */
	int			 max_header_bytes;	/* 32768 */
	int			 max_uri_bytes;		/* 8192 */
	int			 max_body_bytes;	/* 0: no limit */
	int			 log_target;	/* enum lb_log_target */
	char			*log_file;	/* LB_LOG_FILE */
	int			 log_level;	/* enum lb_log_level, default notice */
	bool			 access_log;	/* default false */
	char			*metrics_listen; /* "127.0.0.1:9101" or NULL */
	struct sockaddr_storage	 metrics_addr;	/* metrics_listen, parsed */
	socklen_t		 metrics_addrlen; /* 0 when metrics_listen is NULL */
};

/*
 * Load and validate path. Returns a new config (free with lb_config_free), or
 * NULL with every problem recorded in diag as "json.path: reason" (syntax
 * errors carry "line L, column C"). Warnings (Contrail custom-attributes that
 * are skipped, an unused certificate) go to diag->warns; unknown keys are only
 * logged at debug level.
 */
struct lb_config *lb_config_load(const char *path, struct lb_diag *diag);
/*
 * Same, from a string (tests, fuzzing). path names the file the text came
 * from (it need not exist; NULL = "-" in the current directory): relative
 * paths in the config resolve against its directory.
 */
struct lb_config *lb_config_parse(const char *json, size_t len, const char *path, struct lb_diag *diag);
void lb_config_free(struct lb_config *conf);

/* Parse "200", "200,202", "200-299", "200-204,301"; returns 0 or -1. *out is new. */
int lb_codes_parse(const char *s, struct lb_code_range **out, size_t *n);
bool lb_codes_match(const struct lb_code_range *r, size_t n, int code);

#endif
