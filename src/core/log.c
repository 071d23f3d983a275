/*
 * core/log.c: leveled logging to stderr. Each line is formatted into a
 * stack buffer and emitted with one write(2), so lines from different
 * shard threads never interleave and no lock is needed.
 */
#include "core.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Process-wide by nature: there is one stderr and one configured level. */
static _Atomic int log_level = HL_LOG_INFO;

void hl_log_set_level(int level)
{
	atomic_store_explicit(&log_level, level, memory_order_relaxed);
}

void hl_log(int level, const char *fmt, ...)
{
	static const char *const names[] = { "DEBUG", "INFO ", "WARN ", "ERROR" };
	char line[4096];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t len, off;
	int n;

	if (level < atomic_load_explicit(&log_level, memory_order_relaxed))
		return;
	if (level < HL_LOG_DEBUG)
		level = HL_LOG_DEBUG;
	if (level > HL_LOG_ERROR)
		level = HL_LOG_ERROR;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, names[level]);
	len = n < 0 ? 0 : (size_t)n;
	if (len >= sizeof line)
		len = sizeof line - 1;
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof line - len, fmt, ap);
	va_end(ap);
	/* an over-long message is truncated, keeping room for the newline */
	if (n > 0)
		len += (size_t)n;
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';

	for (off = 0; off < len;) {
		ssize_t w = write(STDERR_FILENO, line + off, len - off);

		if (w > 0)
			off += (size_t)w;
		else if (!(w < 0 && errno == EINTR))
			break;
	}
}
