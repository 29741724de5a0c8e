/* core/log.h -- leveled log lines on stderr, one write per line.
 *
 * Never log payloads, tokens or other secrets. */
#ifndef OZ_CORE_LOG_H
#define OZ_CORE_LOG_H

typedef enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO = 1,
	LOG_WARN = 2,
	LOG_ERROR = 3,
	LOG_OFF = 4,
} log_level;

/* Sets the lowest level that is written. Default LOG_INFO. */
void log_set_level(log_level level);

/* Parses "debug", "info", "warn", "error" or "off". Returns 0 on success,
 * -1 for any other text. */
int log_level_parse(const char *s, log_level *out);

/* Returns non-zero if lines at level would be written. */
int log_enabled(log_level level);

/* Writes "2026-11-25T13:39:49.123456Z LEVEL text\n" to stderr atomically
 * (one write), if level is enabled. */
void log_msg(log_level level, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif /* OZ_CORE_LOG_H */
