/*
 * core/hash.c: Murmur3 as Cassandra's Murmur3Partitioner computes it,
 * the v5 protocol's CRC32 and CRC24, and MD5 (for name-based UUIDs and
 * schema versions).
 */
#include "core.h"

#include <pthread.h>
#include <stdbool.h>

#include <stdio.h>
#include <stdlib.h>
#include <openssl/evp.h>
#include <zlib.h>

static inline uint64_t rotl64(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

static inline uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * Cassandra reads tail bytes as Java (signed) bytes, so each is sign
 * extended before shifting. Tokens must match Cassandra's bit for bit, so
 * the quirk is reproduced rather than "fixed".
 */
static inline uint64_t tail_byte(uint8_t b, int shift)
{
	return (uint64_t)(int64_t)(int8_t)b << shift;
}

void hl_murmur3_128(const void *key, size_t len, int64_t *out1, int64_t *out2)
{
	const uint8_t *data = key;
	const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
	uint64_t h1 = 0, h2 = 0, k1, k2;
	size_t nblocks = len / 16, i;
	const uint8_t *tail;

	for (i = 0; i < nblocks; i++) {
		k1 = load_le64(data + i * 16);
		k2 = load_le64(data + i * 16 + 8);

		k1 *= c1;
		k1 = rotl64(k1, 31);
		k1 *= c2;
		h1 ^= k1;
		h1 = rotl64(h1, 27);
		h1 += h2;
		h1 = h1 * 5 + 0x52dce729;

		k2 *= c2;
		k2 = rotl64(k2, 33);
		k2 *= c1;
		h2 ^= k2;
		h2 = rotl64(h2, 31);
		h2 += h1;
		h2 = h2 * 5 + 0x38495ab5;
	}

	tail = data + nblocks * 16;
	k1 = k2 = 0;
	switch (len & 15) {
	case 15: k2 ^= tail_byte(tail[14], 48); /* fall through */
	case 14: k2 ^= tail_byte(tail[13], 40); /* fall through */
	case 13: k2 ^= tail_byte(tail[12], 32); /* fall through */
	case 12: k2 ^= tail_byte(tail[11], 24); /* fall through */
	case 11: k2 ^= tail_byte(tail[10], 16); /* fall through */
	case 10: k2 ^= tail_byte(tail[9], 8); /* fall through */
	case 9:
		k2 ^= tail_byte(tail[8], 0);
		k2 *= c2;
		k2 = rotl64(k2, 33);
		k2 *= c1;
		h2 ^= k2;
		/* fall through */
	case 8: k1 ^= tail_byte(tail[7], 56); /* fall through */
	case 7: k1 ^= tail_byte(tail[6], 48); /* fall through */
	case 6: k1 ^= tail_byte(tail[5], 40); /* fall through */
	case 5: k1 ^= tail_byte(tail[4], 32); /* fall through */
	case 4: k1 ^= tail_byte(tail[3], 24); /* fall through */
	case 3: k1 ^= tail_byte(tail[2], 16); /* fall through */
	case 2: k1 ^= tail_byte(tail[1], 8); /* fall through */
	case 1:
		k1 ^= tail_byte(tail[0], 0);
		k1 *= c1;
		k1 = rotl64(k1, 31);
		k1 *= c2;
		h1 ^= k1;
		break;
	default:
		break;
	}

	/* Cassandra mixes in the length as a Java long */
	h1 ^= (uint64_t)len;
	h2 ^= (uint64_t)len;
	h1 += h2;
	h2 += h1;
	h1 = fmix64(h1);
	h2 = fmix64(h2);
	h1 += h2;
	h2 += h1;
	*out1 = (int64_t)h1;
	*out2 = (int64_t)h2;
}

int64_t hl_murmur3_h1(const void *key, size_t len)
{
	int64_t h1, h2;

	hl_murmur3_128(key, len, &h1, &h2);
	return h1;
}

int64_t hl_token(const void *key, size_t len)
{
	int64_t h;

	/* The empty key is the partitioner's minimum token. */
	if (len == 0)
		return INT64_MIN;
	h = hl_murmur3_h1(key, len);
	/* INT64_MIN is reserved as the ring's minimum, so it is remapped. */
	return h == INT64_MIN ? INT64_MAX : h;
}

/*
 * CRC-32 (zlib's polynomial) by carry-less multiplication, for x86-64 CPUs
 * with PCLMULQDQ: folding 64 bytes per step instead of zlib's table walk.
 * Every compressed SSTable chunk read is checksummed (crc_check_chance 1),
 * and this zlib's crc32 cost ~15 instructions per byte there: ~85% of a
 * point read from an SSTable. The method is Intel's "Fast CRC Computation
 * for Generic Polynomials Using PCLMULQDQ" (Gopal et al., 2009) in the
 * bit-reflected domain; the constants are the ones it derives for this
 * polynomial (x^(4*128+32) mod P, x^(4*128-32) mod P, ... and the Barrett
 * pair). Takes and returns the raw (not inverted) register; n >= 64 and a
 * multiple of 16.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define CRC_FOLD_HW 1

__attribute__((target("pclmul,sse4.1"))) static uint32_t crc32_fold(uint32_t reg,
								    const uint8_t *p,
								    size_t n)
{
	const __m128i k_4x = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);   /* fold by 64 B */
	const __m128i k_1x = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);   /* fold by 16 B */
	const __m128i k_64 = _mm_set_epi64x(0, 0x163cd6124);
	const __m128i barrett = _mm_set_epi64x(0x1f7011641, 0x1db710641);
	const __m128i lo32 = _mm_setr_epi32(-1, 0, -1, 0);
	__m128i a0, a1, a2, a3, t;

#define LOAD16(q) _mm_loadu_si128((const __m128i *)(const void *)(q))
#define FOLD(x, k, next) _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128((x), (k), 0x00), \
						     _mm_clmulepi64_si128((x), (k), 0x11)), (next))
	a0 = _mm_xor_si128(LOAD16(p), _mm_cvtsi32_si128((int)reg));
	a1 = LOAD16(p + 16);
	a2 = LOAD16(p + 32);
	a3 = LOAD16(p + 48);
	p += 64;
	n -= 64;
	for (; n >= 64; p += 64, n -= 64) {
		a0 = FOLD(a0, k_4x, LOAD16(p));
		a1 = FOLD(a1, k_4x, LOAD16(p + 16));
		a2 = FOLD(a2, k_4x, LOAD16(p + 32));
		a3 = FOLD(a3, k_4x, LOAD16(p + 48));
	}
	/* four lanes into one, then any further 16-byte blocks */
	t = FOLD(a0, k_1x, a1);
	t = FOLD(t, k_1x, a2);
	t = FOLD(t, k_1x, a3);
	for (; n >= 16; p += 16, n -= 16)
		t = FOLD(t, k_1x, LOAD16(p));
#undef FOLD
#undef LOAD16
	/* 128 -> 64 bits, 64 -> 32 bits, then Barrett reduction */
	t = _mm_xor_si128(_mm_srli_si128(t, 8), _mm_clmulepi64_si128(t, k_1x, 0x10));
	t = _mm_xor_si128(_mm_srli_si128(t, 4),
			  _mm_clmulepi64_si128(_mm_and_si128(t, lo32), k_64, 0x00));
	{
		__m128i q = _mm_clmulepi64_si128(_mm_and_si128(t, lo32), barrett, 0x10);

		q = _mm_clmulepi64_si128(_mm_and_si128(q, lo32), barrett, 0x00);
		t = _mm_xor_si128(t, q);
	}
	return (uint32_t)_mm_extract_epi32(t, 1);
}

static int crc_fold_ok = -1;       /* -1: not probed yet (a benign race) */

static bool crc_fold_usable(void)
{
	if (crc_fold_ok < 0)
		crc_fold_ok = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
	return crc_fold_ok == 1;
}
#endif

uint32_t hl_crc32(uint32_t crc, const void *p, size_t n)
{
	const Bytef *b = p;

#ifdef CRC_FOLD_HW
	if (n >= 64 && crc_fold_usable()) {
		size_t blocks = n & ~(size_t)15;

		crc = ~crc32_fold(~crc, b, blocks);
		b += blocks;
		n -= blocks;
	}
#endif

	/* zlib takes uInt lengths; feed huge inputs in pieces */
	while (n > 0) {
		uInt step = n > 0x40000000u ? 0x40000000u : (uInt)n;

		crc = (uint32_t)crc32(crc, b, step);
		b += step;
		n -= step;
	}
	return crc;
}

uint32_t hl_crc32_v5(const void *p, size_t n)
{
	static const uint8_t seed[4] = { 0xFA, 0x2D, 0x55, 0xCA };

	return hl_crc32(hl_crc32(0, seed, 4), p, n);
}

/*
 * The bytes are the segment header as stored (little-endian), fed
 * least-significant first, i.e. in storage order.
 */
static uint32_t crc24_table[256];

/* Byte-at-a-time table of the bitwise definition (every v5 frame header
 * is checksummed twice per request: a bit loop cost ~230 instructions). */
static void crc24_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t crc = i << 16;

		for (int j = 0; j < 8; j++) {
			crc <<= 1;
			if (crc & 0x1000000)
				crc ^= 0x1974F0B;
		}
		crc24_table[i] = crc & 0xFFFFFF;
	}
}

uint32_t hl_crc24(const void *p, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const uint8_t *b = p;
	uint32_t crc = 0x875060;

	pthread_once(&once, crc24_init);
	if (n > 8)
		n = 8;
	for (size_t i = 0; i < n; i++)
		crc = ((crc << 8) & 0xFFFFFF) ^ crc24_table[((crc >> 16) ^ b[i]) & 0xFF];
	return crc;
}

void hl_md5(const void *p, size_t n, uint8_t out[16])
{
	unsigned int len = 0;

	if (!EVP_Digest(p, n, out, &len, EVP_md5(), NULL) || len != 16) {
		/* Only a crippled libcrypto (e.g. FIPS without MD5) gets here. */
		fprintf(stderr, "helenus: MD5 unavailable in libcrypto\n");
		abort();
	}
}
