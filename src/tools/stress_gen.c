/*
 * tools/stress_gen.c: what `helenus stress` sends, decided without I/O.
 *
 * Keys follow cassandra-stress's predefined commands exactly (so a
 * keyspace1.standard1 written by one tool is read back by the other, and
 * the two spread keys over the ring the same way); column values and the
 * random population draws only need to be deterministic and cheap, so they
 * use a small PRNG of our own. Also here: distribution specs
 * ("gaussian(1..1M)"), the population walk, and the fixed-rate schedule.
 */
#include "tools/stress_int.h"
#include "core/core.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- java.util.Random */

#define JR_MULT 0x5DEECE66DULL
#define JR_MASK ((1ULL << 48) - 1)

void stress_jrand_seed(stress_jrand *r, int64_t seed)
{
	r->seed = ((uint64_t)seed ^ JR_MULT) & JR_MASK;
}

int32_t stress_jrand_next(stress_jrand *r, int bits)
{
	r->seed = (r->seed * JR_MULT + 0xB) & JR_MASK;
	return (int32_t)(uint32_t)(r->seed >> (48 - bits));
}

double stress_jrand_double(stress_jrand *r)
{
	int64_t hi = stress_jrand_next(r, 26);
	int64_t lo = stress_jrand_next(r, 27);

	return (double)((hi << 27) + lo) * 0x1.0p-53;
}

/* ---------------------------------------------------------------- small PRNG */

/* splitmix64: one add and three multiply-xorshifts, fine for load shapes. */
uint64_t stress_rng_next(stress_rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

double stress_rng_double(stress_rng *r)
{
	return (double)(stress_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---------------------------------------------------------------- keys and values */

/*
 * One draw of commons-math's UniformRealDistribution(1, 100B + 1) bounded to
 * [1, 100B], as cassandra-stress's default identity distribution does. The
 * products go through volatiles so the compiler cannot fuse them into an
 * FMA, whose different rounding would change some keys.
 */
static int64_t identity_draw(stress_jrand *r)
{
	const double lower = 1.0, upper = 100000000000.0 + 1.0;
	double u = stress_jrand_double(r);
	volatile double a = u * upper;
	volatile double b = (1.0 - u) * lower;
	double v = a + b;
	int64_t x = (int64_t)v;

	if (x < 1)
		return 1;
	if (x > 100000000000LL)
		return 100000000000LL;
	return x;
}

size_t stress_key(int64_t seed, uint8_t *out, size_t len)
{
	/* Murmur3 h1 of "randomstrkey": the salt of the key generator's name */
	int64_t salt = hl_murmur3_h1("randomstrkey", 12);
	stress_jrand r;

	stress_jrand_seed(&r, seed ^ salt);
	(void)identity_draw(&r);        /* seeds the (fixed) size distribution */
	for (size_t i = 0; i < len; i += 16) {
		int64_t value = identity_draw(&r);

		for (size_t j = 0; j < 16 && i + j < len; j++) {
			int v = (int)(value & 15);

			/* 'A' + v, not 'A' + v - 10: cassandra-stress's keys use K..P */
			out[i + j] = (uint8_t)((v < 10 ? '0' : 'A') + v);
			value = (int64_t)((uint64_t)value >> 4);
		}
	}
	return len;
}

void stress_value(int64_t seed, int col, uint8_t *out, size_t len)
{
	stress_rng r = { .s = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + (uint64_t)col * 0x632BE59BD9B4E019ULL };
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t v = stress_rng_next(&r);

		memcpy(out + i, &v, 8);
	}
	if (i < len) {
		uint64_t v = stress_rng_next(&r);

		memcpy(out + i, &v, len - i);
	}
}

/* ---------------------------------------------------------------- distributions */

int stress_parse_long(const char *s, size_t n, int64_t *out)
{
	int64_t mult = 1, v = 0;
	size_t i = 0;

	while (n && isspace((unsigned char)s[0])) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (!n)
		return -1;
	switch (tolower((unsigned char)s[n - 1])) {
	case 'b':
		mult = 1000000000;
		n--;
		break;
	case 'm':
		mult = 1000000;
		n--;
		break;
	case 'k':
		mult = 1000;
		n--;
		break;
	}
	if (!n)
		return -1;
	for (; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > INT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

/* "A..B" (two or more dots, as cassandra-stress splits on \.\.+). */
static int parse_range(const char *s, size_t n, int64_t *lo, int64_t *hi)
{
	const char *dots = memmem(s, n, "..", 2);
	const char *b;

	if (!dots)
		return -1;
	b = dots;
	while (b < s + n && *b == '.')
		b++;
	if (stress_parse_long(s, (size_t)(dots - s), lo) ||
	    stress_parse_long(b, (size_t)(s + n - b), hi) || *lo > *hi)
		return -1;
	return 0;
}

static int parse_double(const char *s, size_t n, double *out)
{
	char buf[64], *end;

	if (!n || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	*out = strtod(buf, &end);
	return *end || !isfinite(*out) ? -1 : 0;
}

int stress_dist_parse(const char *spec, stress_dist *d, char *err, size_t errlen)
{
	const char *open = strchr(spec, '('), *close = strrchr(spec, ')');
	const char *args[4];
	size_t alen[4], nargs = 0, namelen;
	const char *p;

	memset(d, 0, sizeof *d);
	if (spec[0] == '~') {
		snprintf(err, errlen, "inverted distributions (%s) are not supported", spec);
		return -1;
	}
	if (!open || !close || close < open || close[1]) {
		snprintf(err, errlen, "illegal distribution specification: %s", spec);
		return -1;
	}
	namelen = (size_t)(open - spec);
	for (p = open + 1; p <= close && nargs < 4;) {
		const char *q = p;

		while (q < close && *q != ',')
			q++;
		args[nargs] = p;
		alen[nargs++] = (size_t)(q - p);
		p = q + 1;
	}
	if (p <= close) {
		snprintf(err, errlen, "too many parameters in %s", spec);
		return -1;
	}
#define NAME_IS(s) (namelen == strlen(s) && !strncasecmp(spec, s, namelen))
	if (NAME_IS("fixed")) {
		d->kind = STRESS_DIST_FIXED;
		if (nargs != 1 || stress_parse_long(args[0], alen[0], &d->min))
			goto bad;
		d->max = d->min;
		return 0;
	}
	if (NAME_IS("uniform")) {
		d->kind = STRESS_DIST_UNIFORM;
		if (nargs != 1 || parse_range(args[0], alen[0], &d->min, &d->max))
			goto bad;
		return 0;
	}
	if (NAME_IS("gaussian") || NAME_IS("gauss") || NAME_IS("normal") || NAME_IS("norm")) {
		d->kind = STRESS_DIST_GAUSSIAN;
		if (nargs < 1 || nargs > 3 || parse_range(args[0], alen[0], &d->min, &d->max))
			goto bad;
		if (nargs == 3) {
			if (parse_double(args[1], alen[1], &d->mean) ||
			    parse_double(args[2], alen[2], &d->stdev) || d->stdev <= 0)
				goto bad;
		} else {
			double edge = 3.0;

			if (nargs == 2 && (parse_double(args[1], alen[1], &edge) || edge <= 0))
				goto bad;
			/* cassandra-stress: centred, the range edge `edge` stdevs out */
			d->mean = ((double)d->min + (double)d->max) / 2.0;
			d->stdev = (((double)d->max - (double)d->min) / 2.0) / edge;
			if (d->stdev <= 0)
				d->stdev = 1e-9;
		}
		return 0;
	}
	if (NAME_IS("exp")) {
		d->kind = STRESS_DIST_EXP;
		if (nargs != 1 || parse_range(args[0], alen[0], &d->min, &d->max) || d->max <= d->min)
			goto bad;
		/* cassandra-stress sizes the mean so that the last 1/sqrt(range) of
		 * the probability lies past max: mean = range / -ln(sqrt(1/range)) */
		{
			double range = (double)(d->max - d->min);

			d->mean = range / (0.5 * log(range));
			if (!(d->mean > 0))
				d->mean = range;
		}
		return 0;
	}
#undef NAME_IS
	snprintf(err, errlen, "unsupported distribution '%.*s' (fixed, uniform, gaussian, exp)",
		 (int)namelen, spec);
	return -1;
bad:
	snprintf(err, errlen, "invalid parameters for distribution: %s", spec);
	return -1;
}

void stress_pop_init(stress_pop *p, const stress_dist *d, uint64_t rng_seed)
{
	p->d = *d;
	p->next = 0;
	p->rng.s = rng_seed;
}

static int64_t clamp(const stress_dist *d, double v)
{
	/* Java's (long) cast: truncation, saturating */
	int64_t x = v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v;

	return x < d->min ? d->min : x > d->max ? d->max : x;
}

bool stress_pop_next(stress_pop *p, int64_t *seed)
{
	const stress_dist *d = &p->d;

	switch (d->kind) {
	case STRESS_DIST_SEQ: {
		uint64_t total = (uint64_t)(d->max - d->min) + 1;

		if (!d->wrap && p->next >= total)
			return false;
		*seed = d->min + (int64_t)(p->next++ % total);
		return true;
	}
	case STRESS_DIST_FIXED:
		*seed = d->min;
		return true;
	case STRESS_DIST_UNIFORM: {
		uint64_t span = (uint64_t)(d->max - d->min) + 1;

		*seed = d->min + (int64_t)(span ? stress_rng_next(&p->rng) % span
						: stress_rng_next(&p->rng));
		return true;
	}
	case STRESS_DIST_GAUSSIAN: {
		/* Box-Muller; u1 in (0, 1] so the log is finite */
		double u1 = 1.0 - stress_rng_double(&p->rng), u2 = stress_rng_double(&p->rng);
		double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);

		*seed = clamp(d, d->mean + z * d->stdev);
		return true;
	}
	case STRESS_DIST_EXP: {
		double u = stress_rng_double(&p->rng);

		*seed = clamp(d, (double)d->min - d->mean * log(1.0 - u));
		return true;
	}
	}
	return false;
}

/* ---------------------------------------------------------------- fixed rate */

int64_t stress_rl_intended(const stress_rl *rl, uint64_t i)
{
	return rl->t0 + (int64_t)((unsigned __int128)i * 1000000000u / (uint64_t)rl->rate);
}

uint64_t stress_rl_due(const stress_rl *rl, int64_t now)
{
	/* intended(i) <= now  <=>  i * 10^9 < (now - t0 + 1) * rate */
	unsigned __int128 d;

	if (now < rl->t0)
		return 0;
	d = (unsigned __int128)(uint64_t)(now - rl->t0 + 1) * (uint64_t)rl->rate;
	return (uint64_t)((d + 999999999u) / 1000000000u);
}

/* ---------------------------------------------------------------- formatting */

void stress_commas(char *out, size_t n, double v, int decimals)
{
	char digits[64], *p = digits, *dot;
	size_t intlen, o = 0;

	snprintf(digits, sizeof digits, "%.*f", decimals, v);
	if (*p == '-') {
		if (o + 1 < n)
			out[o++] = '-';
		p++;
	}
	dot = strchr(p, '.');
	intlen = dot ? (size_t)(dot - p) : strlen(p);
	for (size_t i = 0; i < intlen; i++) {
		if (i && (intlen - i) % 3 == 0 && o + 1 < n)
			out[o++] = ',';
		if (o + 1 < n)
			out[o++] = p[i];
	}
	for (const char *q = p + intlen; *q && o + 1 < n; q++)
		out[o++] = *q;
	out[o] = 0;
}
