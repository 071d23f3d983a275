/*
 * config/units.c: Cassandra 4.1+ duration and data-size strings
 * ("10s", "5000ms", "16MiB", "64KiB"): a non-negative integer followed
 * directly by a unit, as Cassandra's DurationSpec/DataStorageSpec accept.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct unit {
	const char *name;
	uint64_t mul;       /* in the target unit's base (ns or bytes) */
} unit;

/* Split "<digits><unit>" with no sign, space or fraction. */
static int split(const char *s, uint64_t *n, const char **u)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	*n = v;
	*u = end;
	return 0;
}

static int scale(uint64_t n, uint64_t mul, uint64_t div, uint64_t *out)
{
	if (mul && n > UINT64_MAX / mul)
		return -1;
	*out = n * mul / div;
	return 0;
}

int cfg_parse_duration_ms(const char *s, uint64_t *ms)
{
	/* longest suffixes first so "ms" is not read as "m" + junk */
	static const unit units[] = {
		{ "ms", 1000000ull }, { "us", 1000ull }, { "\xc2\xb5s", 1000ull },
		{ "ns", 1ull }, { "d", 86400000000000ull }, { "h", 3600000000000ull },
		{ "m", 60000000000ull }, { "s", 1000000000ull },
	};
	const char *u;
	uint64_t n;
	size_t i;

	if (split(s, &n, &u) || !*u)
		return -1;
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcasecmp(u, units[i].name))
			continue;
		/* whole milliseconds: sub-ms precision means nothing here */
		if (units[i].mul >= 1000000ull)
			return scale(n, units[i].mul / 1000000ull, 1, ms);
		return scale(n, 1, 1000000ull / units[i].mul, ms);
	}
	return -1;
}

int cfg_parse_size_bytes(const char *s, uint64_t *bytes)
{
	/* Cassandra spells these exactly so; "16MB" is rejected there too */
	static const unit units[] = {
		{ "B", 1ull }, { "KiB", 1ull << 10 }, { "MiB", 1ull << 20 }, { "GiB", 1ull << 30 },
	};
	const char *u;
	uint64_t n;
	size_t i;

	if (split(s, &n, &u) || !*u)
		return -1;
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (!strcmp(u, units[i].name))
			return scale(n, units[i].mul, 1, bytes);
	return -1;
}
