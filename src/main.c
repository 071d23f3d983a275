/*
 * main.c: the `helenus` binary. Parses the subcommand and its flags,
 * builds the configuration (defaults < --config file < flags), sets up
 * logging and signals, and hands over to the server module. Nothing else
 * lives here: the request path is src/server's srv_run.
 */
#include "config/config.h"
#include "core/core.h"
#include "net/net.h"
#include "server/server.h"
#include "tools/tools.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HL_VERSION
#define HL_VERSION "0.1.0"
#endif


static void usage(FILE *f)
{
	fprintf(f,
		"usage: helenus <command> [options]\n"
		"\n"
		"commands: server, admin, cql, stress, sstable (helenus <command> --help)\n"
		"helenus --help shows the manual page; helenus --version the version.\n");
}

static void server_usage(FILE *f)
{
	fprintf(f, "usage: helenus server [--config FILE] [flags] (helenus server --help)\n");
}

static int parse_level(const char *s, int *level)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
		{ "debug", HL_LOG_DEBUG }, { "info", HL_LOG_INFO },
		{ "warn", HL_LOG_WARN }, { "warning", HL_LOG_WARN }, { "error", HL_LOG_ERROR },
	};
	size_t i;

	for (i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		if (!strcmp(s, levels[i].name)) {
			*level = levels[i].level;
			return 0;
		}
	}
	return -1;
}

enum {
	OPT_CONFIG = 256, OPT_LISTEN, OPT_RPC, OPT_NATIVE_PORT, OPT_STORAGE_PORT, OPT_DATA_DIR,
	OPT_CLUSTER, OPT_NUM_TOKENS, OPT_SHARDS, OPT_LOG_LEVEL, OPT_ADMIN_PORT,
};

/* A flag that sets a configuration key, or 0 for the special ones. */
static const char *flag_key(int opt)
{
	switch (opt) {
	case OPT_LISTEN:
		return "listen_address";
	case OPT_RPC:
		return "rpc_address";
	case OPT_NATIVE_PORT:
		return "native_transport_port";
	case OPT_STORAGE_PORT:
		return "storage_port";
	case OPT_CLUSTER:
		return "cluster_name";
	case OPT_NUM_TOKENS:
		return "num_tokens";
	case OPT_SHARDS:
		return "shards";
	case OPT_ADMIN_PORT:
		return "admin_port";
	default:
		return NULL;
	}
}

typedef struct flag {
	int opt;
	const char *val;
} flag;

static int cmd_server(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "listen-address", required_argument, NULL, OPT_LISTEN },
		{ "rpc-address", required_argument, NULL, OPT_RPC },
		{ "native-port", required_argument, NULL, OPT_NATIVE_PORT },
		{ "storage-port", required_argument, NULL, OPT_STORAGE_PORT },
		{ "data-dir", required_argument, NULL, OPT_DATA_DIR },
		{ "cluster-name", required_argument, NULL, OPT_CLUSTER },
		{ "num-tokens", required_argument, NULL, OPT_NUM_TOKENS },
		{ "shards", required_argument, NULL, OPT_SHARDS },
		{ "admin-port", required_argument, NULL, OPT_ADMIN_PORT },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	flag *flags = hl_calloc((size_t)argc + 1, sizeof *flags);
	const char *config = NULL;
	size_t nflags = 0, i;
	int level = HL_LOG_INFO, rc = 2, o;
	bool have_cfg = false;
	hl_err err;
	cfg c;

	memset(&err, 0, sizeof err);
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (o == 'h') {
			tool_help("server", stdout);
			rc = 0;
			goto exit;
		}
		if (o == '?' || o == ':') {
			if (o == ':')
				fprintf(stderr, "helenus server: %s needs a value\n", argv[optind - 1]);
			else
				fprintf(stderr, "helenus server: unknown flag '%s'\n", argv[optind - 1]);
			server_usage(stderr);
			goto exit;
		}
		if (o == OPT_CONFIG) {
			config = optarg;
		} else if (o == OPT_LOG_LEVEL) {
			if (parse_level(optarg, &level)) {
				fprintf(stderr, "helenus server: --log-level must be debug, info, "
					"warn or error, not '%s'\n", optarg);
				goto exit;
			}
		} else {
			/* applied after the file, whatever their position */
			flags[nflags].opt = o;
			flags[nflags++].val = optarg;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "helenus server: unexpected argument '%s'\n", argv[optind]);
		server_usage(stderr);
		goto exit;
	}
	hl_log_set_level(level);
	/* before any thread exists, so every thread inherits the mask */
	net_block_signals();

	cfg_defaults(&c);
	have_cfg = true;
	rc = 1;
	if (config && cfg_load_file(&c, config, &err))
		goto fail;
	for (i = 0; i < nflags; i++) {
		const char *k = flag_key(flags[i].opt);

		if (flags[i].opt == OPT_DATA_DIR)
			cfg_set_data_dir(&c, flags[i].val);
		else if (k && cfg_set(&c, k, flags[i].val, &err))
			goto fail;
	}
	if (cfg_validate(&c, &err))
		goto fail;
	hl_info("helenus %s starting: cluster '%s', listen %s:%d, native %s:%d", HL_VERSION,
		c.cluster_name, c.listen_address, c.storage_port, c.rpc_address,
		c.native_transport_port);
	if (srv_run(&c, &err))
		goto fail;
	hl_info("helenus stopped");
	rc = 0;
	goto exit;
fail:
	fprintf(stderr, "helenus: error: %s\n", err.msg[0] ? err.msg : "startup failed");
exit:
	if (have_cfg)
		cfg_free(&c);
	free(flags);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		tool_help("helenus", stdout);
		return 0;
	}
	/* the manual pages of the shell and the load generator (their parsers
	 * keep their own short usage lines for errors) */
	if (argc > 2 && (!strcmp(cmd, "cql") || !strcmp(cmd, "stress")) &&
	    (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
		tool_help(cmd, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("helenus %s\n", HL_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "server"))
		return cmd_server(argc - 1, argv + 1);
	if (!strcmp(cmd, "admin"))
		return tool_admin(argc - 1, argv + 1);
	if (!strcmp(cmd, "cql"))
		return tool_cql(argc - 1, argv + 1);
	if (!strcmp(cmd, "stress"))
		return tool_stress(argc - 1, argv + 1);
	if (!strcmp(cmd, "sstable"))
		return tool_sstable(argc - 1, argv + 1);
	fprintf(stderr, "helenus: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return 2;
}
