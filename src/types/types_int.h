/*
 * types/types_int.h: private helpers shared by the types module's files
 * (arbitrary-precision integer text conversion, calendar arithmetic, value
 * readers). Only the .c files of src/types include this.
 */
#ifndef HL_TYPES_INT_H
#define HL_TYPES_INT_H

#include "types/types.h"

/* Big-endian loads of fixed-width serialized values (caller checked n). */
static inline uint32_t ty__be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t ty__be64(const uint8_t *p)
{
	return (uint64_t)ty__be32(p) << 32 | ty__be32(p + 4);
}

/* Append the signed decimal text of a two's-complement big-endian integer. */
void ty__varint_to_dec(const uint8_t *p, size_t n, hl_buf *out);
/*
 * Append the minimal two's-complement encoding (Java BigInteger.toByteArray)
 * of decimal digits `dig` (no sign, at least one digit) negated if neg.
 */
void ty__dec_to_varint(const char *dig, size_t n, bool neg, hl_buf *out);
/* Compare two varints numerically. */
int ty__varint_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn);
/* Compare two decimals (i32 scale + varint) numerically. */
int ty__decimal_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn);

/* Proleptic Gregorian calendar, as java.time uses. */
int64_t ty__days_from_civil(int64_t y, int m, int d);
void ty__civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* Append days since the epoch as ISO_LOCAL_DATE ("2011-02-03", "+10000-01-01", "-0001-..."). */
void ty__put_date(hl_buf *out, int64_t days);
/* Boolean and fixed-width integers as CQL and JSON both print them: 0 done,
 * -1 wrong size, 1 not one of those kinds. */
int ty__put_fixed(ty_kind k, const uint8_t *p, size_t n, hl_buf *out);

/* Append a duration in CQL's 1y2mo3d4h5m6s7ms8us9ns form ("0s" when zero). */
void ty__put_duration(hl_buf *out, int64_t months, int64_t days, int64_t nanos);

/* BigDecimal.toString of a serialized decimal (caller checked n >= 4) (json.c). */
void ty__put_bigdecimal(hl_buf *out, const uint8_t *p, size_t n);

/* 2^31: serialized date = days since epoch + this, as unsigned. */
#define TY_DATE_EPOCH 2147483648LL
#define TY_NANOS_PER_DAY 86400000000000LL

#endif
