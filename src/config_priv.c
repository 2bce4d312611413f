/*
 * config_priv.c: the least-privilege keys of the "lbproxy" block (SPEC 13):
 * user, group, sandbox, stats_socket_level and stats_sockets, the extra
 * stats sockets an HAProxy operator would declare with more "stats socket
 * <path> mode <m> level <l>" lines. Parsed and checked here in one pass,
 * errors with their JSON path like the rest of the file; config.c calls in
 * from its "lbproxy" block and struct lb_config embeds the result.
 */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "lbproxy/cli.h"
#include "lbproxy/diag.h"
#include "lbproxy/log.h"
#include "lbproxy/priv.h"
#include "lbproxy/util.h"

#define PRIV_NAME_MAX	63	/* user and group names (struct lb_priv_ids) */

/* v as a non-empty string of at most max bytes, or NULL after reporting why. */
static const char *
want_string(const json_t *v, const char *jpath, size_t max, struct lb_diag *diag)
{
	const char *s;

	if (!json_is_string(v)) {
		lb_diag_err(diag, "%s: expected a string", jpath);
		return NULL;
	}
	s = json_string_value(v);
	if (s[0] == '\0' || strlen(s) > max) {
		lb_diag_err(diag, "%s: must be 1 to %zu bytes long", jpath, max);
		return NULL;
	}
	return s;
}

/* A level name into *level; reports anything else. */
static void
parse_level(const json_t *v, const char *jpath, enum lb_cli_level *level,
    struct lb_diag *diag)
{
	const char *s = want_string(v, jpath, 16, diag);
	int l;

	if (s == NULL)
		return;
	if ((l = lb_cli_level_parse(s)) == -1)
		lb_diag_err(diag, "%s: \"%s\" is not one of user, operator, admin", jpath, s);
	else
		*level = (enum lb_cli_level)l;
}

/* An octal mode string ("0660") into *mode, as lbproxy.stats_socket_mode. */
static void
parse_mode(const json_t *v, const char *jpath, int *mode, struct lb_diag *diag)
{
	const char *s = want_string(v, jpath, 4, diag);
	size_t len;

	if (s == NULL)
		return;
	len = strlen(s);
	if (strspn(s, "01234567") != len || strtol(s, NULL, 8) > 0777) {
		lb_diag_err(diag, "%s: \"%s\" is not an octal mode like \"0660\"", jpath, s);
		return;
	}
	*mode = (int)strtol(s, NULL, 8);
}

/* Whether path is the main socket's or an earlier extra socket's; reports it. */
static bool
path_taken(const struct lb_priv_conf *pc, const char *main_sock, const char *path,
    const char *jpath, struct lb_diag *diag)
{
	size_t i;

	if (strcmp(path, main_sock) == 0) {
		lb_diag_err(diag, "%s: %s is lbproxy.stats_socket already", jpath, path);
		return true;
	}
	for (i = 0; i < pc->n_stats_sockets; i++)
		if (strcmp(pc->stats_sockets[i].path, path) == 0) {
			lb_diag_err(diag, "%s: %s is lbproxy.stats_sockets[%zu] already",
			    jpath, path, i);
			return true;
		}
	return false;
}

/* One stats_sockets[] element, appended to pc when it is valid. */
static void
parse_socket(struct lb_priv_conf *pc, const json_t *obj, size_t idx, const char *dir,
    const char *main_sock, struct lb_diag *diag)
{
	struct lb_stats_sock_conf sc = { .mode = 0660, .level = LB_CLI_USER };
	struct sockaddr_un sun;
	char jpath[96], sub[128];
	const char *key, *s;
	size_t nerr = diag->n;
	json_t *v;

	snprintf(jpath, sizeof(jpath), "lbproxy.stats_sockets[%zu]", idx);
	if (!json_is_object(obj)) {
		lb_diag_err(diag, "%s: expected an object", jpath);
		return;
	}
	json_object_foreach((json_t *)obj, key, v) {
		snprintf(sub, sizeof(sub), "%s.%s", jpath, key);
		if (strcmp(key, "path") == 0) {
			if ((s = want_string(v, sub, sizeof(sun.sun_path), diag)) != NULL) {
				free(sc.path);
				sc.path = lb_path_resolve(dir, s);
			}
		} else if (strcmp(key, "mode") == 0)
			parse_mode(v, sub, &sc.mode, diag);
		else if (strcmp(key, "level") == 0)
			parse_level(v, sub, &sc.level, diag);
		else
			lb_debug("%s: unknown key, ignored", sub);
	}
	snprintf(sub, sizeof(sub), "%s.path", jpath);
	if (sc.path == NULL && diag->n == nerr)
		lb_diag_err(diag, "%s: required", sub);
	else if (sc.path != NULL && strlen(sc.path) >= sizeof(sun.sun_path))
		lb_diag_err(diag, "%s: %s is longer than a Unix socket path can be (%zu bytes)",
		    sub, sc.path, sizeof(sun.sun_path) - 1);
	else if (sc.path != NULL)
		(void)path_taken(pc, main_sock, sc.path, sub, diag);
	if (diag->n != nerr) {
		free(sc.path);
		return;
	}
	pc->stats_sockets = lb_xrealloc(pc->stats_sockets,
	    (pc->n_stats_sockets + 1) * sizeof(*pc->stats_sockets));
	pc->stats_sockets[pc->n_stats_sockets++] = sc;
}

/* The "stats_sockets" array. */
static void
parse_sockets(struct lb_priv_conf *pc, const json_t *lbproxy, const json_t *arr,
    const char *dir, struct lb_diag *diag)
{
	const json_t *ms = json_object_get(lbproxy, "stats_socket");
	char *main_sock;
	size_t i;
	json_t *v;

	if (!json_is_array(arr)) {
		lb_diag_err(diag, "lbproxy.stats_sockets: expected an array");
		return;
	}
	/* config_check.c reports a bad stats_socket; compare with what it resolves it to */
	main_sock = lb_path_resolve(dir, json_is_string(ms) && json_string_value(ms)[0] != '\0' ?
	    json_string_value(ms) : "sock");
	json_array_foreach((json_t *)arr, i, v)
		parse_socket(pc, v, i, dir, main_sock, diag);
	free(main_sock);
}

void
lb_config_priv_parse(struct lb_priv_conf *pc, const json_t *lbproxy, const char *dir,
    struct lb_diag *diag)
{
	const char *s;
	json_t *v;

	memset(pc, 0, sizeof(*pc));
	pc->sandbox = true;
	pc->stats_socket_level = LB_CLI_ADMIN;	/* what lbproxy has always allowed */
	if (!json_is_object(lbproxy))
		return;		/* config.c reports a wrong type */

	if ((v = json_object_get(lbproxy, "user")) != NULL && !json_is_null(v) &&
	    (s = want_string(v, "lbproxy.user", PRIV_NAME_MAX, diag)) != NULL)
		pc->user = lb_xstrdup(s);
	if ((v = json_object_get(lbproxy, "group")) != NULL && !json_is_null(v) &&
	    (s = want_string(v, "lbproxy.group", PRIV_NAME_MAX, diag)) != NULL)
		pc->group = lb_xstrdup(s);
	if ((v = json_object_get(lbproxy, "sandbox")) != NULL && !json_is_null(v)) {
		if (json_is_boolean(v))
			pc->sandbox = json_is_true(v);
		else
			lb_diag_err(diag, "lbproxy.sandbox: expected a boolean");
	}
	if ((v = json_object_get(lbproxy, "stats_socket_level")) != NULL && !json_is_null(v))
		parse_level(v, "lbproxy.stats_socket_level", &pc->stats_socket_level, diag);
	if ((v = json_object_get(lbproxy, "stats_sockets")) != NULL && !json_is_null(v))
		parse_sockets(pc, lbproxy, v, dir, diag);
}

void
lb_config_priv_fini(struct lb_priv_conf *pc)
{
	size_t i;

	free(pc->user);
	free(pc->group);
	for (i = 0; i < pc->n_stats_sockets; i++)
		free(pc->stats_sockets[i].path);
	free(pc->stats_sockets);
	memset(pc, 0, sizeof(*pc));
}
