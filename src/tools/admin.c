/*
 * `helenus admin`: sends one command to a node's admin API (HTTP + JSON,
 * POST /v1/command; see docs/admin.md) and prints the answer. Exit status:
 * 0 done, 1 the node refused or failed the command, 2 usage or connection
 * errors (nodetool's convention).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "core/core.h"
#include "tools/tools.h"

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

/*
 * The flags before the command (nodetool's connection options). Scanned in
 * order; the first argument that is not one of them is the command.
 */
static const struct {
	const char *s, *l;
	bool value;
} admin_flags[] = {
	{ "-h", "--host", true },
	{ "-p", "--port", true },
	{ NULL, "--config", true },
	{ NULL, "--help", false },
};

int tool_admin(int argc, char **argv)
{
	const char *host = NULL, *port = NULL, *config = NULL;
	char cfg_host[256], cfg_port[16];
	int i = 1;
	for (; i < argc; i++) {
		size_t f = 0;
		while (f < sizeof admin_flags / sizeof admin_flags[0] &&
		       !(admin_flags[f].s && !strcmp(argv[i], admin_flags[f].s)) &&
		       strcmp(argv[i], admin_flags[f].l))
			f++;
		if (f == sizeof admin_flags / sizeof admin_flags[0])
			break;                 /* the command */
		if (!strcmp(admin_flags[f].l, "--help")) {
			tool_help("admin", stdout);
			return 0;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "helenus admin: %s needs a value\n", argv[i]);
			return 2;
		}
		const char *v = argv[++i];
		if (!strcmp(admin_flags[f].l, "--host"))
			host = v;
		else if (!strcmp(admin_flags[f].l, "--port"))
			port = v;
		else
			config = v;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: helenus admin [-h HOST] [-p PORT] [--config FILE] <command> "
			"[args]\n       helenus admin help [<command>]   (helenus admin --help)\n");
		return 2;
	}
	/* a command's page needs no node */
	if (!strcmp(argv[i], "help") && i + 1 < argc) {
		if (tool_admin_help(argv[i + 1], stdout) == 0)
			return 0;
		fprintf(stderr, "helenus admin: no command '%s' (helenus admin help lists them)\n",
			argv[i + 1]);
		return 2;
	}
	/* the node's own YAML says where its admin listener is; -h/-p win */
	if (config) {
		cfg c;
		hl_err e;
		hl_err_clear(&e);
		cfg_defaults(&c);
		if (cfg_load_file(&c, config, &e) < 0) {
			fprintf(stderr, "helenus admin: %s\n", e.msg);
			cfg_free(&c);
			return 2;
		}
		snprintf(cfg_host, sizeof cfg_host, "%s", c.rpc_address ? c.rpc_address : "127.0.0.1");
		snprintf(cfg_port, sizeof cfg_port, "%d", c.admin_port);
		cfg_free(&c);
		if (!host)
			host = cfg_host;
		if (!port)
			port = cfg_port;
	}
	if (!host)
		host = "127.0.0.1";
	if (!port)
		port = "7199";
	int fd = connect_to(host, port);
	if (fd < 0) {
		fprintf(stderr, "helenus admin: cannot connect to %s:%s: %s\n", host, port,
			strerror(errno ? errno : ECONNREFUSED));
		return 2;
	}
	hl_buf body, req;
	hl_buf_init(&body);
	hl_buf_init(&req);
	hl_buf_str(&body, "{\"args\": [");
	for (int k = i; k < argc; k++) {
		if (k > i)
			hl_buf_str(&body, ", ");
		hl_json_string(&body, argv[k], strlen(argv[k]));
	}
	hl_buf_str(&body, "]}");
	hl_buf_printf(&req, "POST /v1/command HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: "
		      "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		      host, port, body.len);
	hl_buf_put(&req, body.p, body.len);
	hl_buf_free(&body);
	int rc = 2;
	size_t off = 0;
	while (off < req.len) {
		ssize_t w = write(fd, req.p + off, req.len - off);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			fprintf(stderr, "helenus admin: write failed: %s\n", strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	hl_buf resp;
	hl_buf_init(&resp);
	char buf[65536];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		hl_buf_put(&resp, buf, (size_t)r);
	}
	const uint8_t *sep = resp.len ? memmem(resp.p, resp.len, "\r\n\r\n", 4) : NULL;
	int code = 0;
	if (!sep || sscanf((const char *)resp.p, "HTTP/1.%*d %d", &code) != 1) {
		fprintf(stderr, "helenus admin: no valid answer from %s:%s\n", host, port);
		hl_buf_free(&resp);
		goto out;
	}
	const char *jb = (const char *)sep + 4;
	size_t jn = resp.len - (size_t)(sep + 4 - resp.p);
	hl_arena *a = hl_arena_new(4096);
	char *text;
	size_t tl;
	if (code == 200 && hl_json_get_string(jb, jn, "output", a, &text, &tl) == 0) {
		fwrite(text, 1, tl, stdout);
		rc = 0;
	} else if (hl_json_get_string(jb, jn, "error", a, &text, &tl) == 0) {
		fprintf(stderr, "error: %.*s\n", (int)tl, text);
		rc = 1;
	} else {
		fprintf(stderr, "helenus admin: unexpected answer (HTTP %d)\n", code);
	}
	hl_arena_free(a);
	hl_buf_free(&resp);
out:
	hl_buf_free(&req);
	close(fd);
	return rc;
}
