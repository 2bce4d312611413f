/*
 * daemon.c: the process as a daemon: pidfile, daemonizing, network
 * namespace entry, descriptor limits (proc.c is the running configuration).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lbproxy/daemon.h"
#include "lbproxy/util.h"

int
lb_pidfile_write(const char *path, int pid)
{
	char *tmp = lb_asprintf("%s.%d.tmp", path, pid);
	FILE *fp;
	int rc = -1;

	if (tmp == NULL)
		return -1;
	fp = fopen(tmp, "we");
	if (fp == NULL)
		goto out;
	fprintf(fp, "%d\n", pid);
	if (fclose(fp) == 0 && rename(tmp, path) == 0)
		rc = 0;
	else
		unlink(tmp);
out:
	free(tmp);
	return rc;
}

void
lb_pidfile_remove(const char *path)
{
	char buf[32];
	FILE *fp;

	/* only remove our own: a takeover successor may have rewritten it */
	fp = fopen(path, "re");
	if (fp == NULL)
		return;
	if (fgets(buf, sizeof(buf), fp) != NULL && atoi(buf) == (int)getpid())
		unlink(path);
	fclose(fp);
}

/* Write end of the readiness pipe while the parent waits for the daemon. */
static int ready_fd = -1;

int
lb_daemonize(void)
{
	int fds[2], fd;
	char c = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	pid = fork();
	if (pid == -1)
		return -1;
	if (pid > 0) {
		/* the caller may read the pidfile as soon as we return: wait for it */
		close(fds[1]);
		while (read(fds[0], &c, 1) == -1 && errno == EINTR)
			;
		_exit(c == 'R' ? 0 : 2);
	}
	close(fds[0]);
	ready_fd = fds[1];
	if (setsid() == -1)
		return -1;
	fd = open("/dev/null", O_RDWR);
	if (fd != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return chdir("/");
}

void
lb_daemon_ready(void)
{
	if (ready_fd == -1)
		return;
	(void)!write(ready_fd, "R", 1);
	close(ready_fd);
	ready_fd = -1;
}

int
lb_netns_enter(const char *name)
{
	char path[512];
	int fd, rc, saved;

	if (strchr(name, '/') != NULL)
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rc = setns(fd, CLONE_NEWNET);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

long
lb_nofile_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? 1048576 : (long)rl.rlim_cur;
}
