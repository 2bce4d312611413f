/*
 * priv.c: the switch from root to lbproxy.user (SPEC 13), done once, after
 * the listeners are bound, the keys loaded and the stats sockets made, and
 * before any thread starts (capabilities and the no_new_privs bit belong to
 * a thread; the workers inherit them). What stays: the capabilities the
 * config still needs, CAP_NET_RAW for raw-socket PING checks where
 * ping_group_range refuses ICMP datagram sockets, CAP_NET_BIND_SERVICE when
 * a reload may bind a privileged port again. Nothing else, not even in the
 * bounding set, and no way back to uid 0. Raw capset(2) and prctl(2): the
 * two capabilities we may keep do not need libcap.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lbproxy/config.h"
#include "lbproxy/log.h"
#include "lbproxy/priv.h"
#include "lbproxy/util.h"

#define PRIV_MAX_GROUPS		256
#define PRIV_LAST_CAP_DEFAULT	40	/* CAP_CHECKPOINT_RESTORE, Linux 5.9 */

static const char *const cap_names[] = {
	[CAP_NET_BIND_SERVICE] = "cap_net_bind_service",
	[CAP_NET_RAW] = "cap_net_raw",
};

/* A decimal id (what chown(1) accepts besides names); -1 if s is not one. */
static long
numeric_id(const char *s)
{
	long v;

	return lb_parse_long(s, 0, 0x7ffffffe, &v) == 0 ? v : -1;
}

int
lb_priv_resolve(const char *user, const char *group, struct lb_priv_ids *ids,
    char *err, size_t errlen)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	char buf[16384];
	long id;

	memset(ids, 0, sizeof(*ids));
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &pwp) == 0 && pwp != NULL) {
		ids->uid = pw.pw_uid;
		ids->gid = pw.pw_gid;
		snprintf(ids->name, sizeof(ids->name), "%s", pw.pw_name);
	} else if ((id = numeric_id(user)) >= 0) {
		ids->uid = (uid_t)id;
		if (getpwuid_r(ids->uid, &pw, buf, sizeof(buf), &pwp) == 0 && pwp != NULL) {
			ids->gid = pw.pw_gid;
			snprintf(ids->name, sizeof(ids->name), "%s", pw.pw_name);
		} else if (group == NULL) {
			snprintf(err, errlen, "uid %ld has no passwd entry: set lbproxy.group too", id);
			return -1;
		}
	} else {
		snprintf(err, errlen, "no such user '%s'", user);
		return -1;
	}
	if (group == NULL)
		return 0;
	if (getgrnam_r(group, &gr, buf, sizeof(buf), &grp) == 0 && grp != NULL)
		ids->gid = gr.gr_gid;
	else if ((id = numeric_id(group)) >= 0)
		ids->gid = (gid_t)id;
	else {
		snprintf(err, errlen, "no such group '%s'", group);
		return -1;
	}
	return 0;
}

int
lb_priv_check(const struct lb_config *conf, const char *user_override, FILE *fp)
{
	const char *user = user_override != NULL ? user_override : conf->priv.user;
	struct lb_priv_ids ids;
	char err[256];

	if (user == NULL && conf->priv.group != NULL) {
		fprintf(fp, "lbproxy: lbproxy.group needs lbproxy.user (or -u)\n");
		return -1;
	}
	if (user != NULL && lb_priv_resolve(user, conf->priv.group, &ids, err, sizeof(err)) == -1) {
		fprintf(fp, "lbproxy: user %s: %s\n", user, err);
		return -1;
	}
	return 0;
}

/* Whether gid or one of groups is in ping_range ("lo hi", the sysctl's text). */
static bool
ping_allowed(const char *ping_range, gid_t gid, const gid_t *groups, int ngroups)
{
	unsigned long lo, hi;
	int i;

	if (ping_range == NULL || sscanf(ping_range, "%lu %lu", &lo, &hi) != 2)
		return false;
	if (gid >= lo && gid <= hi)
		return true;
	for (i = 0; i < ngroups; i++)
		if (groups[i] >= lo && groups[i] <= hi)
			return true;
	return false;
}

unsigned long long
lb_priv_caps_needed(const struct lb_config *conf, gid_t gid, const gid_t *groups,
    int ngroups, const char *ping_range, int unpriv_start)
{
	unsigned long long caps = 0;
	size_t i;

	for (i = 0; i < conf->n_pools; i++)
		if (conf->pools[i].hm != NULL && conf->pools[i].hm->type == LB_HM_PING &&
		    !ping_allowed(ping_range, gid, groups, ngroups))
			caps |= LB_PRIV_CAP(CAP_NET_RAW);
	/* a reload rebinds a listener when its address changes or it comes back up */
	for (i = 0; i < conf->n_listeners; i++)
		if (conf->listeners[i].port > 0 && conf->listeners[i].port < unpriv_start)
			caps |= LB_PRIV_CAP(CAP_NET_BIND_SERVICE);
	return caps;
}

/* The first line of a /proc/sys file into buf; false if it cannot be read. */
static bool
read_sysctl(const char *path, char *buf, size_t size)
{
	FILE *fp = fopen(path, "re");
	bool ok;

	if (fp == NULL)
		return false;
	ok = fgets(buf, (int)size, fp) != NULL;
	fclose(fp);
	return ok;
}

/*
 * Give a stats socket to the user, so that a successor running as it can
 * take it over (one started as root can anyway: a failure only warns).
 */
static void
chown_socket(const char *path, const struct lb_priv_ids *ids)
{
	if (chown(path, ids->uid, ids->gid) == -1)
		lb_warn("cannot give the stats socket %s to uid %u: %s; only root can "
		    "take it over", path, (unsigned)ids->uid, strerror(errno));
}

/*
 * Remove every capability but keep from the bounding set. That needs
 * CAP_SETPCAP, which a unit's CapabilityBoundingSet= may have taken away:
 * then only warn, no_new_privs already stops an exec() from gaining any.
 */
static int
drop_bounding(unsigned long long keep)
{
	char buf[32];
	int last = PRIV_LAST_CAP_DEFAULT, c;

	if (read_sysctl("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)))
		last = atoi(buf);
	for (c = 0; c <= last && c < 64; c++) {
		if (keep & LB_PRIV_CAP(c))
			continue;
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1)
			continue;	/* already gone, or unknown to this kernel */
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1) {
			if (errno != EPERM) {
				lb_err("cannot drop capability %d from the bounding set: %s", c,
				    strerror(errno));
				return -1;
			}
			lb_warn("cannot trim the capability bounding set without CAP_SETPCAP");
			break;
		}
	}
	return 0;
}

/* This thread's effective and permitted sets become keep (inheritable: none). */
static int
set_caps(unsigned long long keep)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data) == -1) {
		lb_err("cannot set capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* What this thread may keep of want: its permitted set (capget), or none. */
static unsigned long long
permitted(unsigned long long want)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data) == -1)
		return 0;
	return want & ((unsigned long long)data[1].permitted << 32 | data[0].permitted);
}

/* setgroups, setgid, setuid with the capabilities in keep surviving. */
static int
switch_user(const struct lb_priv_ids *ids, unsigned long long keep)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 || drop_bounding(keep) == -1)
		return -1;
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if ((ids->name[0] != '\0' ? initgroups(ids->name, ids->gid) :
	    setgroups(1, &ids->gid)) == -1) {
		lb_err("cannot set the groups of %s: %s", ids->name, strerror(errno));
		return -1;
	}
	if (setresgid(ids->gid, ids->gid, ids->gid) == -1 ||
	    setresuid(ids->uid, ids->uid, ids->uid) == -1) {
		lb_err("cannot switch to uid %u gid %u: %s", (unsigned)ids->uid,
		    (unsigned)ids->gid, strerror(errno));
		return -1;
	}
	if (set_caps(keep) == -1)
		return -1;
	(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
#if defined(__SANITIZE_ADDRESS__)
	/* tests only: LeakSanitizer ptraces our threads at exit, which needs a dumpable process */
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	return 0;
}

/* "cap_net_raw, cap_net_bind_service" or "none", into buf. */
static const char *
caps_text(unsigned long long caps, char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < LB_ARRAY_SIZE(cap_names); i++)
		if ((caps & LB_PRIV_CAP(i)) && cap_names[i] != NULL)
			n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s",
			    n > 0 ? ", " : "", cap_names[i]);
	return n > 0 ? buf : "none";
}

int
lb_priv_drop(const struct lb_config *conf, const char *user_override)
{
	const char *user = user_override != NULL ? user_override : conf->priv.user;
	char err[256], range[64], port[32], text[64];
	gid_t groups[PRIV_MAX_GROUPS];
	int ngroups = PRIV_MAX_GROUPS;
	unsigned long long keep;
	struct lb_priv_ids ids;
	size_t i;

	if (user == NULL)
		return 0;
	if (lb_priv_resolve(user, conf->priv.group, &ids, err, sizeof(err)) == -1) {
		lb_err("user %s: %s", user, err);
		return -1;
	}
	if (ids.uid == 0) {
		lb_warn("user %s is root: privileges not dropped", user);
		return 0;
	}
	if (ids.name[0] == '\0' || getgrouplist(ids.name, ids.gid, groups, &ngroups) == -1)
		ngroups = 0;
	if (!read_sysctl("/proc/sys/net/ipv4/ping_group_range", range, sizeof(range)))
		range[0] = '\0';
	if (!read_sysctl("/proc/sys/net/ipv4/ip_unprivileged_port_start", port, sizeof(port)))
		snprintf(port, sizeof(port), "1024");
	keep = lb_priv_caps_needed(conf, ids.gid, groups, ngroups, range, atoi(port));

	if (geteuid() != 0) {
		/* started as the user already (systemd User=): only trim what it was given */
		if (geteuid() != ids.uid || getegid() != ids.gid) {
			lb_err("user %s: cannot switch to uid %u gid %u: not running as root",
			    user, (unsigned)ids.uid, (unsigned)ids.gid);
			return -1;
		}
		keep = permitted(keep);
		if (set_caps(keep) == -1)
			return -1;
	} else {
		chown_socket(conf->stats_socket, &ids);
		for (i = 0; i < conf->priv.n_stats_sockets; i++)
			chown_socket(conf->priv.stats_sockets[i].path, &ids);
		if (switch_user(&ids, keep) == -1)
			return -1;
	}

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		lb_err("cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	/* no way back: a process that can become root again has dropped nothing */
	if (getuid() != ids.uid || geteuid() != ids.uid || getegid() != ids.gid ||
	    setuid(0) != -1 || setgid(0) != -1) {
		lb_err("user %s: privileges are not dropped for good; stopping", user);
		abort();
	}
	lb_notice("running as user %s (uid %u, gid %u), capabilities kept: %s",
	    ids.name[0] != '\0' ? ids.name : user, (unsigned)ids.uid, (unsigned)ids.gid,
	    caps_text(keep, text, sizeof(text)));
	return 0;
}
