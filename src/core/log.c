/* core/log.c -- the log sink. Thread-safe: each line is one write(2).
 * Log text may quote what a caller sent (a method, a request-id), so each
 * line is escaped here, once for every call site: no newline, escape
 * sequence or invalid UTF-8 reaches the log (core/utf8.h). */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/utf8.h"

static atomic_int min_level = LOG_INFO;

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void
log_set_level(log_level level)
{
	atomic_store(&min_level, (int) level);
}

int
log_level_parse(const char *s, log_level *out)
{
	static const char *const names[] = {
		"debug", "info", "warn", "error", "off"};
	for (int i = 0; i <= LOG_OFF; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (log_level) i;
			return 0;
		}
	}
	return -1;
}

int
log_enabled(log_level level)
{
	return (int) level >= atomic_load(&min_level);
}

void
log_msg(log_level level, const char *fmt, ...)
{
	if (!log_enabled(level) || level >= LOG_OFF) {
		return;
	}
	char line[1024];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = (int) strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - (size_t) n, ".%06ldZ %s ",
		ts.tv_nsec / 1000, level_names[level]);
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (m < 0) {
		return;
	}
	size_t len = (size_t) m < sizeof(text) ? (size_t) m : sizeof(text) - 1;
	utf8_escape(line + n, sizeof(line) - (size_t) n - 1, text, len, 0);
	n += (int) strlen(line + n);
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, (size_t) n);
	(void) w;
}
