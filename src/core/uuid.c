/*
 * core/uuid.c: UUIDs: random (v4), name-based MD5 (v3), time-based (v1,
 * Cassandra's timeuuid), and the canonical 8-4-4-4-12 text form.
 */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* 100-ns intervals between 1582-10-15 (Gregorian reform) and 1970-01-01. */
#define UUID_EPOCH_OFFSET 0x01B21DD213814000LL

/* Fill p with OS randomness; abort if the kernel cannot supply any. */
static void os_random(void *p, size_t n)
{
	uint8_t *b = p;
	size_t got = 0;
	int fd;

	while (got < n) {
		ssize_t r = getrandom(b + got, n - got, 0);

		if (r > 0)
			got += (size_t)r;
		else if (r < 0 && errno == EINTR)
			continue;
		else
			break;
	}
	if (got == n)
		return;
	/* getrandom missing (old kernel/seccomp): fall back to the device */
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && got < n) {
		ssize_t r = read(fd, b + got, n - got);

		if (r > 0)
			got += (size_t)r;
		else if (!(r < 0 && errno == EINTR))
			break;
	}
	if (fd >= 0)
		close(fd);
	if (got < n) {
		fprintf(stderr, "helenus: no OS randomness available\n");
		abort();
	}
}

static void set_version(hl_uuid *u, unsigned version)
{
	u->b[6] = (uint8_t)((u->b[6] & 0x0F) | (version << 4));
	u->b[8] = (uint8_t)((u->b[8] & 0x3F) | 0x80); /* IETF variant 10xx */
}

void hl_uuid_random(hl_uuid *u)
{
	os_random(u->b, 16);
	set_version(u, 4);
}

void hl_uuid_from_md5(const void *p, size_t n, hl_uuid *u)
{
	hl_md5(p, n, u->b);
	set_version(u, 3);
}

void hl_uuid_time(int64_t unix_micros, hl_uuid *u)
{
	uint64_t ts = (uint64_t)unix_micros * 10 + (uint64_t)UUID_EPOCH_OFFSET;

	u->b[0] = (uint8_t)(ts >> 24);  /* time_low */
	u->b[1] = (uint8_t)(ts >> 16);
	u->b[2] = (uint8_t)(ts >> 8);
	u->b[3] = (uint8_t)ts;
	u->b[4] = (uint8_t)(ts >> 40);  /* time_mid */
	u->b[5] = (uint8_t)(ts >> 32);
	u->b[6] = (uint8_t)(ts >> 56);  /* time_hi (version set below) */
	u->b[7] = (uint8_t)(ts >> 48);
	/* Random clock sequence and node: no MAC is exposed, and the
	 * multicast bit marks the node as not a real IEEE address (RFC 4122
	 * section 4.5). */
	os_random(u->b + 8, 8);
	u->b[10] |= 0x01;
	set_version(u, 1);
}

void hl_uuid_str(const hl_uuid *u, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[u->b[i] >> 4];
		*o++ = hex[u->b[i] & 15];
	}
	*o = '\0';
}

int hl_uuid_parse(const char *s, size_t n, hl_uuid *u)
{
	hl_uuid t;
	size_t i, j = 0;

	if (n != 36)
		return -1;
	for (i = 0; i < 36;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -1;
			continue;
		}
		hi = hl_hexval(s[i]);
		lo = hl_hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		t.b[j++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	*u = t;
	return 0;
}

int hl_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
