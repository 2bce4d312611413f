/* log.h: process log (stderr, file or syslog) and the access log. */
#ifndef LB_LOG_H
#define LB_LOG_H

#include <stdbool.h>
#include "lbproxy/util.h"

enum lb_log_level {
	LB_LOG_ERR,
	LB_LOG_WARN,
	LB_LOG_NOTICE,
	LB_LOG_INFO,
	LB_LOG_DEBUG,
};

enum lb_log_target {
	LB_LOG_STDERR,
	LB_LOG_SYSLOG,
	LB_LOG_FILE,
};

/* Parse "err", "warning", "notice", "info", "debug"; returns -1 if unknown. */
int lb_log_level_parse(const char *s);
/* (Re)open the log; path is used for LB_LOG_FILE. Returns 0 or -1. */
int lb_log_open(enum lb_log_target target, const char *path, int level);
/* Raise or lower the level (-v adds verbosity on top of the config). */
void lb_log_set_level(int level);
int lb_log_get_level(void);
/* The descriptor lines go to (stderr or the file), -1 for syslog: for writers that cannot lock. */
int lb_log_fd(void);
void lb_log_close(void);

/* Thread-safe; one line per call, no trailing newline needed. */
void lb_log(int level, const char *fmt, ...) LB_PRINTF(2, 3);
/* Access-log line (written at INFO regardless of level, when enabled). */
void lb_log_access(const char *fmt, ...) LB_PRINTF(1, 2);

#define lb_err(...) lb_log(LB_LOG_ERR, __VA_ARGS__)
#define lb_warn(...) lb_log(LB_LOG_WARN, __VA_ARGS__)
#define lb_notice(...) lb_log(LB_LOG_NOTICE, __VA_ARGS__)
#define lb_info(...) lb_log(LB_LOG_INFO, __VA_ARGS__)
#define lb_debug(...) \
	do { if (lb_log_get_level() >= LB_LOG_DEBUG) lb_log(LB_LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
