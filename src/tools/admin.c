/*
 * `helenus admin`: sends one command to a node's admin listener (see
 * src/server/admin.c for the wire format) and prints the answer. Exit
 * status: 0 done, 1 the node refused or failed the command, 2 usage or
 * connection errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/core.h"
#include "tools/tools.h"

static void put_u32(hl_buf *b, uint32_t v)
{
	hl_buf_u32(b, v);
}

static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	int fd = -1;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int tool_admin(int argc, char **argv)
{
	const char *host = "127.0.0.1", *port = "7199";
	int i = 1;
	for (; i < argc; i++) {
		if ((!strcmp(argv[i], "-h") || !strcmp(argv[i], "--host")) && i + 1 < argc)
			host = argv[++i];
		else if ((!strcmp(argv[i], "-p") || !strcmp(argv[i], "--port")) && i + 1 < argc)
			port = argv[++i];
		else if (!strcmp(argv[i], "--help"))
			break;
		else
			break;
	}
	if (i >= argc || !strcmp(argv[i], "--help")) {
		fprintf(i >= argc ? stderr : stdout,
			"usage: helenus admin [-h HOST] [-p PORT] <command> [args]\n"
			"       helenus admin help   lists the commands the node knows\n");
		return i >= argc ? 2 : 0;
	}
	int fd = connect_to(host, port);
	if (fd < 0) {
		fprintf(stderr, "helenus admin: cannot connect to %s:%s: %s\n", host, port,
			strerror(errno ? errno : ECONNREFUSED));
		return 2;
	}
	hl_buf req;
	hl_buf_init(&req);
	put_u32(&req, (uint32_t)(argc - i));
	for (int k = i; k < argc; k++) {
		put_u32(&req, (uint32_t)strlen(argv[k]));
		hl_buf_str(&req, argv[k]);
	}
	size_t off = 0;
	while (off < req.len) {
		ssize_t w = write(fd, req.p + off, req.len - off);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			fprintf(stderr, "helenus admin: write failed: %s\n", strerror(errno));
			hl_buf_free(&req);
			close(fd);
			return 2;
		}
		off += (size_t)w;
	}
	hl_buf_free(&req);
	uint8_t status = 2;
	bool first = true;
	char buf[65536];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		size_t skip = 0;
		if (first) {
			status = (uint8_t)buf[0];
			skip = 1;
			first = false;
		}
		FILE *f = status == 0 ? stdout : stderr;
		if (status != 0 && skip && r > 1)
			fputs("error: ", f);
		fwrite(buf + skip, 1, (size_t)r - skip, f);
	}
	close(fd);
	if (first) {
		fprintf(stderr, "helenus admin: the node closed the connection without answering\n");
		return 2;
	}
	if (status != 0)
		fputc('\n', stderr);
	return status == 0 ? 0 : 1;
}
