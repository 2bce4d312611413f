/* log.c: the process log (stderr, file or syslog) and the access log. */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lbproxy/log.h"

static const char *const level_names[] = {
	[LB_LOG_ERR] = "error",
	[LB_LOG_WARN] = "warning",
	[LB_LOG_NOTICE] = "notice",
	[LB_LOG_INFO] = "info",
	[LB_LOG_DEBUG] = "debug",
};

static const int syslog_prio[] = {
	[LB_LOG_ERR] = LOG_ERR,
	[LB_LOG_WARN] = LOG_WARNING,
	[LB_LOG_NOTICE] = LOG_NOTICE,
	[LB_LOG_INFO] = LOG_INFO,
	[LB_LOG_DEBUG] = LOG_DEBUG,
};

static int log_level = LB_LOG_NOTICE;
static enum lb_log_target log_target = LB_LOG_STDERR;
static FILE *log_fp;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

int
lb_log_level_parse(const char *s)
{
	size_t i;

	if (strcasecmp(s, "err") == 0 || strcasecmp(s, "error") == 0)
		return LB_LOG_ERR;
	if (strcasecmp(s, "warn") == 0)
		return LB_LOG_WARN;
	for (i = 0; i < LB_ARRAY_SIZE(level_names); i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

int
lb_log_open(enum lb_log_target target, const char *path, int level)
{
	FILE *fp = NULL;

	if (target == LB_LOG_FILE) {
		fp = fopen(path, "ae");
		if (fp == NULL)
			return -1;
		setvbuf(fp, NULL, _IOLBF, 0);
	}
	pthread_mutex_lock(&log_lock);
	if (log_fp != NULL)
		fclose(log_fp);
	log_fp = fp;
	if (target == LB_LOG_SYSLOG && log_target != LB_LOG_SYSLOG)
		openlog("lbproxy", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_target = target;
	log_level = level;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void
lb_log_set_level(int level)
{
	if (level < LB_LOG_ERR)
		level = LB_LOG_ERR;
	if (level > LB_LOG_DEBUG)
		level = LB_LOG_DEBUG;
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

int
lb_log_get_level(void)
{
	return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

int
lb_log_fd(void)
{
	int fd;

	pthread_mutex_lock(&log_lock);
	fd = log_target == LB_LOG_SYSLOG ? -1 :
	    log_target == LB_LOG_FILE && log_fp != NULL ? fileno(log_fp) : STDERR_FILENO;
	pthread_mutex_unlock(&log_lock);
	return fd;
}

void
lb_log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fp != NULL)
		fclose(log_fp);
	log_fp = NULL;
	if (log_target == LB_LOG_SYSLOG)
		closelog();
	log_target = LB_LOG_STDERR;
	pthread_mutex_unlock(&log_lock);
}

/* Write one formatted line to the current target; level selects the syslog priority. */
static void
emit(int level, const char *fmt, va_list ap)
{
	char line[2048], ts[32];
	struct timeval tv;
	struct tm tm;
	FILE *fp;

	vsnprintf(line, sizeof(line), fmt, ap);
	pthread_mutex_lock(&log_lock);
	if (log_target == LB_LOG_SYSLOG) {
		syslog(syslog_prio[level], "%s", line);
	} else {
		fp = log_target == LB_LOG_FILE && log_fp != NULL ? log_fp : stderr;
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(fp, "%s.%03ld lbproxy[%d]: %s: %s\n", ts, (long)tv.tv_usec / 1000,
		    (int)getpid(), level_names[level], line);
	}
	pthread_mutex_unlock(&log_lock);
}

void
lb_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > lb_log_get_level())
		return;
	va_start(ap, fmt);
	emit(level, fmt, ap);
	va_end(ap);
}

void
lb_log_access(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LB_LOG_INFO, fmt, ap);
	va_end(ap);
}
