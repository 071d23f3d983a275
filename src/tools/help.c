/*
 * tools/help.c: the manual pages `helenus <command> --help` prints (NAME,
 * SYNOPSIS, DESCRIPTION, OPTIONS, EXAMPLES, EXIT STATUS), and the page of
 * each admin command (`helenus admin help <command>`). The texts must name
 * every flag the parsers accept: tests/integration/test_help.py checks them
 * against the option tables in main.c, admin.c, cql.c and stress_opts.c.
 * (`helenus sstable --help` pages live beside their parser in sst_tool.c.)
 */
#include <stdio.h>
#include <string.h>

#include "tools/tools.h"

static const struct {
	const char *cmd;
	const char *text;
} pages[] = {
	{ "helenus",
	  "NAME\n"
	  "    helenus - an Apache Cassandra-compatible database\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    helenus <command> [options]\n"
	  "    helenus <command> --help\n"
	  "    helenus --help | --version\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    One binary for the node and its tools. It speaks the CQL native\n"
	  "    protocol (v3 to v5), keeps Cassandra's semantics and writes Cassandra's\n"
	  "    SSTable format.\n"
	  "\n"
	  "COMMANDS\n"
	  "    server    run a node\n"
	  "    admin     administer a running node, as nodetool\n"
	  "    cql       the interactive CQL shell, as cqlsh\n"
	  "    stress    load generator, as cassandra-stress\n"
	  "    sstable   offline SSTable tools: dump, metadata, verify, index, summary\n"
	  "\n"
	  "OPTIONS\n"
	  "    -h, --help   show this page (helenus <command> --help: the command's page)\n"
	  "    --version    print the version\n"
	  "\n"
	  "EXAMPLES\n"
	  "    helenus server --data-dir /tmp/helenus\n"
	  "    helenus cql -e 'SELECT release_version FROM system.local'\n"
	  "    helenus admin status\n"
	  "\n"
	  "EXIT STATUS\n"
	  "    That of the command; 2 for an unknown command or no command.\n" },
	{ "server",
	  "NAME\n"
	  "    helenus server - run a node\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    helenus server [--config FILE] [flags]\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    Runs a node until SIGINT or SIGTERM, then flushes its memtables and\n"
	  "    stops. Settings come from the defaults (a single developer node on\n"
	  "    127.0.0.1:9042 with data under ./data), then the --config file\n"
	  "    (cassandra.yaml key names; keys Helenus does not use are ignored), then\n"
	  "    the flags, whatever their order. No configuration file is read unless\n"
	  "    --config names one. The node logs to stderr; the admin listener\n"
	  "    announces itself as 'admin listening on HOST:PORT'.\n"
	  "\n"
	  "OPTIONS\n"
	  "    --config FILE          YAML configuration (cassandra.yaml key names)\n"
	  "    --listen-address ADDR  listen_address: internode traffic\n"
	  "    --rpc-address ADDR     rpc_address: client (CQL) and admin connections\n"
	  "    --native-port PORT     native_transport_port (default 9042)\n"
	  "    --storage-port PORT    storage_port (default 7000)\n"
	  "    --data-dir DIR         data, commitlog, hints and saved_caches under DIR\n"
	  "    --cluster-name NAME    cluster_name\n"
	  "    --num-tokens N         num_tokens (default 16)\n"
	  "    --shards N             shard threads (default 0: one per core)\n"
	  "    --admin-port PORT      admin_port for `helenus admin` (default 7199; 0: any)\n"
	  "    --log-level LEVEL      debug, info, warn (or warning) or error (default info)\n"
	  "    -h, --help             show this page\n"
	  "\n"
	  "EXAMPLES\n"
	  "    helenus server --data-dir /var/lib/helenus --shards 4\n"
	  "    helenus server --config conf/cassandra.yaml --log-level debug\n"
	  "\n"
	  "EXIT STATUS\n"
	  "    0 after a clean stop, 1 when start-up fails (helenus: error: ...),\n"
	  "    2 on a usage error.\n" },
	{ "admin",
	  "NAME\n"
	  "    helenus admin - administer a running node, as nodetool\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    helenus admin [-h HOST] [-p PORT] [--config FILE] <command> [args]\n"
	  "    helenus admin help [<command>]\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    Sends one command to the node's admin API (HTTP + JSON on\n"
	  "    rpc_address:admin_port) and prints the answer as nodetool prints it.\n"
	  "    The node is found from -h/-p; else from the rpc_address and admin_port\n"
	  "    of the --config file (the node's cassandra.yaml); else 127.0.0.1:7199.\n"
	  "    -h and -p win over the file. `helenus admin help` asks the node for its\n"
	  "    command list; `helenus admin help <command>` prints that command's page\n"
	  "    without a node.\n"
	  "\n"
	  "COMMANDS\n"
	  "    status, info, ring, describecluster, tablestats (cfstats),\n"
	  "    tablehistograms (cfhistograms), proxyhistograms, flush, compact, import,\n"
	  "    snapshot, listsnapshots, clearsnapshot, refresh, setcompactionthroughput,\n"
	  "    getcompactionthroughput, compactionstats, describering, getendpoints,\n"
	  "    gettimeout, settimeout, settraceprobability, gettraceprobability, drain,\n"
	  "    version, help\n"
	  "\n"
	  "OPTIONS\n"
	  "    -h HOST, --host HOST   the node's rpc_address (default 127.0.0.1)\n"
	  "    -p PORT, --port PORT   its admin_port (default 7199)\n"
	  "    --config FILE          read rpc_address and admin_port from a node's YAML\n"
	  "    --help                 show this page\n"
	  "\n"
	  "EXAMPLES\n"
	  "    helenus admin status\n"
	  "    helenus admin -p 7299 tablehistograms ks.users\n"
	  "    helenus admin --config /etc/helenus/cassandra.yaml flush ks\n"
	  "    helenus admin help settimeout\n"
	  "\n"
	  "EXIT STATUS\n"
	  "    0 when the command succeeded, 1 when the node refused or failed it,\n"
	  "    2 on a usage error or when the node cannot be reached.\n" },
	{ "cql",
	  "NAME\n"
	  "    helenus cql - the interactive CQL shell, as cqlsh\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    helenus cql [options] [host [port]]\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    Connects to a node over the native protocol and runs CQL statements and\n"
	  "    cqlsh's shell commands (DESCRIBE, COPY, CONSISTENCY, PAGING, EXPAND,\n"
	  "    TRACING, SOURCE, CAPTURE...), from a terminal, -e, -f or standard input.\n"
	  "    Connects to 127.0.0.1:9042 unless $CQLSH_HOST / $CQLSH_PORT or the host\n"
	  "    and port arguments say otherwise (the arguments win).\n"
	  "\n"
	  "OPTIONS\n"
	  "    -e STMT, --execute STMT     run the statement(s) and quit\n"
	  "    -f FILE, --file FILE        run the commands in FILE, then quit\n"
	  "    -k KEYSPACE, --keyspace KEYSPACE  start in KEYSPACE (USE)\n"
	  "    -u USER, --username USER    authenticate as USER\n"
	  "    -p PASSWORD, --password PASSWORD  authenticate with PASSWORD\n"
	  "    -C, --color                 always use color output\n"
	  "    --no-color                  never use color output\n"
	  "    -t, --tty                   force tty mode (command prompt)\n"
	  "    --cqlversion VERSION        CQL version to ask for (3.x)\n"
	  "    --protocol-version N        native protocol version (3, 4 or 5); default:\n"
	  "                                the highest the node accepts\n"
	  "    --connect-timeout SECONDS   connection timeout (default 5)\n"
	  "    --request-timeout SECONDS   request timeout (default 10)\n"
	  "    -v, --version               print cqlsh's version and exit\n"
	  "    -h, --help                  show this page\n"
	  "    --encoding ENC, --debug, --cqlshrc FILE, --browser B\n"
	  "                                accepted for cqlsh compatibility; no effect\n"
	  "    --ssl                       refused: TLS is not supported yet\n"
	  "\n"
	  "EXAMPLES\n"
	  "    helenus cql\n"
	  "    helenus cql -e 'SELECT * FROM system.local' 127.0.0.1 9042\n"
	  "    helenus cql -k ks -f schema.cql\n"
	  "\n"
	  "EXIT STATUS\n"
	  "    0 when every statement succeeded, 1 when the connection or a statement\n"
	  "    (with -e or -f) failed, 2 on a usage error.\n" },
	{ "stress",
	  "NAME\n"
	  "    helenus stress - load generator, as cassandra-stress\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    helenus stress <command> [n=N | duration=N[s|m|h]] [cl=LEVEL] [no-warmup]\n"
	  "                   [-rate ...] [-node ...] [-port ...] [-pop ...] [-col ...]\n"
	  "                   [-schema ...] [-mode ...] [-log ...] [--json FILE]\n"
	  "    helenus stress help\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    Drives a node over the native protocol with cassandra-stress's command\n"
	  "    line, default schema (keyspace1.standard1, keyspace1.counter1) and\n"
	  "    interval and summary output. Commands: write, read, mixed\n"
	  "    (ratio(write=W,read=R)), counter_write, options.\n"
	  "\n"
	  "OPTIONS\n"
	  "    n=N, duration=N{s,m,h}  how much (1k, 1m, 1b suffixes)\n"
	  "    cl=LEVEL                consistency level (default LOCAL_ONE)\n"
	  "    add=DIST                counter_write: the increments (default FIXED(1))\n"
	  "    no-warmup               skip the warm-up\n"
	  "    -rate threads=N | fixed=N/s | throttle=N/s\n"
	  "                            requests in flight (default 200), a fixed schedule\n"
	  "                            (latency from each op's intended start) or a cap\n"
	  "    -node HOST[,HOST...]    nodes (default 127.0.0.1); whitelist accepted\n"
	  "    -port native=PORT       (default 9042); thrift= and jmx= accepted, unused\n"
	  "    -pop seq=A..B [no-wrap] | dist=DIST\n"
	  "                            DIST: fixed(V), uniform(A..B), gaussian(A..B[,S]),\n"
	  "                            exp(A..B)\n"
	  "    -col n=DIST size=DIST   columns (default FIXED(5)) and value sizes\n"
	  "                            (default FIXED(34))\n"
	  "    -schema replication(factor=N[,strategy=S]) keyspace=NAME compression=C\n"
	  "    -mode native cql3 prepared | unprepared | simplenative; protocolVersion=4|5;\n"
	  "          connectionsPerHost=N (connections=N); maxPending=N (inflight=N);\n"
	  "          user=U password=P\n"
	  "    -log interval=N[s|ms] file=CSV level=L no-summary\n"
	  "    --json FILE             write the summary as JSON\n"
	  "    help, -h, --help, -?    show the option summary\n"
	  "\n"
	  "EXAMPLES\n"
	  "    helenus stress write n=100000 -rate threads=50\n"
	  "    helenus stress read duration=30s -pop dist=gaussian(1..100000) -port native=9042\n"
	  "    helenus stress mixed 'ratio(write=1,read=3)' n=1m -rate fixed=5000/s\n"
	  "\n"
	  "EXIT STATUS\n"
	  "    0 when the run completed, 1 when it could not run (connection, schema)\n"
	  "    or operations failed, 2 on a usage error.\n" },
};

int tool_help(const char *cmd, FILE *f)
{
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
		if (!strcmp(pages[i].cmd, cmd)) {
			fputs(pages[i].text, f);
			return 0;
		}
	return -1;
}

/* ------------------------------------------------------------ admin commands */

static const struct {
	const char *name, *alias, *synopsis, *desc, *example;
} acmds[] = {
	{ "status", NULL, "status", "The node's state (UN), load, tokens, ownership, host id and rack.",
	  "status" },
	{ "info", NULL, "info [-T | --tokens]",
	  "Host id, gossip and native transport state, load, generation, uptime, shards,\n"
	  "    data center and rack; every token with -T.", "info -T" },
	{ "ring", NULL, "ring", "The token ring: one line per token.", "ring" },
	{ "describecluster", NULL, "describecluster",
	  "Cluster name, snitch, partitioner and schema versions.", "describecluster" },
	{ "tablestats", "cfstats", "tablestats [<keyspace>[.<table>] ...]",
	  "Per table: SSTable count, space used, memtable cells and bytes, partition and\n"
	  "    row estimates. No argument: every user table.", "tablestats ks.users" },
	{ "tablehistograms", "cfhistograms", "tablehistograms [<keyspace> <table> | <keyspace.table>]",
	  "Percentiles (50/75/95/98/99%, min, max) of the table's SSTables per partition\n"
	  "    read, local write and read latency (microseconds), and the size (bytes) and\n"
	  "    cell count of the partitions reads returned, since the node started. NaN\n"
	  "    when no read returned a partition. No argument: every table.",
	  "tablehistograms ks users" },
	{ "proxyhistograms", NULL, "proxyhistograms",
	  "Percentiles of coordinator latency (microseconds) of successful requests by\n"
	  "    operation: read, write, range, CAS read (SERIAL reads), CAS write\n"
	  "    (conditional updates and batches), view write (always 0).", "proxyhistograms" },
	{ "flush", NULL, "flush [<keyspace> [<table> ...]]",
	  "Write memtables to SSTables on every shard; returns once they are written.",
	  "flush ks users" },
	{ "compact", NULL, "compact [<keyspace> [<table> ...]]",
	  "Major compaction on every shard; returns once it is done.", "compact ks" },
	{ "import", NULL, "import <keyspace> <table> <directory>",
	  "Validate and load the SSTables found in the directory.", "import ks users /tmp/load" },
	{ "snapshot", NULL, "snapshot [-t <tag>] [<keyspace> [<table> ...]]",
	  "Hard-link the SSTables into snapshots/<tag>/ (tag: the time in ms).",
	  "snapshot -t before-upgrade ks" },
	{ "listsnapshots", NULL, "listsnapshots", "Every snapshot with its sizes and creation time.",
	  "listsnapshots" },
	{ "clearsnapshot", NULL, "clearsnapshot (-t <tag> | --all) [<keyspace> ...]",
	  "Delete snapshots.", "clearsnapshot --all" },
	{ "refresh", NULL, "refresh <keyspace> <table>",
	  "Load SSTables copied into the table's directory.", "refresh ks users" },
	{ "setcompactionthroughput", NULL, "setcompactionthroughput <MiB/s>",
	  "Compaction throttle per shard (0 = unthrottled), effective at once.",
	  "setcompactionthroughput 128" },
	{ "getcompactionthroughput", NULL, "getcompactionthroughput",
	  "The compaction throttle.", "getcompactionthroughput" },
	{ "compactionstats", NULL, "compactionstats",
	  "Pending, running and completed compactions.", "compactionstats" },
	{ "describering", NULL, "describering <keyspace>",
	  "The token ranges and their endpoints.", "describering ks" },
	{ "getendpoints", NULL, "getendpoints <keyspace> <table> <key>",
	  "The node(s) holding the partition of the key (single-column keys).",
	  "getendpoints ks users 42" },
	{ "gettimeout", NULL, "gettimeout <type>",
	  "A request timeout in ms. Types: read, range, write, counterwrite,\n"
	  "    cascontention, truncate, misc (request_timeout). They start from the\n"
	  "    config's *_request_timeout keys and are stored node-wide; Helenus does\n"
	  "    not enforce them yet.", "gettimeout read" },
	{ "settimeout", NULL, "settimeout <type> <ms>",
	  "Set a request timeout (see gettimeout) until the node restarts.",
	  "settimeout write 5000" },
	{ "settraceprobability", NULL, "settraceprobability <value>",
	  "Trace that fraction (0 to 1) of the requests that did not ask for tracing;\n"
	  "    their sessions go to system_traces (no tracing id in the response).\n"
	  "    Node-wide until the node restarts.", "settraceprobability 0.01" },
	{ "gettraceprobability", NULL, "gettraceprobability",
	  "The current trace probability.", "gettraceprobability" },
	{ "drain", NULL, "drain", "Flush every table (the node keeps serving).", "drain" },
	{ "version", NULL, "version", "The Cassandra release version the node reports.", "version" },
	{ "help", NULL, "help [<command>]",
	  "The node's command list, or a command's page.", "help tablehistograms" },
};

int tool_admin_help(const char *name, FILE *f)
{
	for (size_t i = 0; i < sizeof acmds / sizeof acmds[0]; i++) {
		if (strcmp(acmds[i].name, name) && (!acmds[i].alias || strcmp(acmds[i].alias, name)))
			continue;
		fprintf(f, "NAME\n    helenus admin %s - nodetool %s\n\n", acmds[i].name,
			acmds[i].name);
		fprintf(f, "SYNOPSIS\n    helenus admin [-h HOST] [-p PORT] [--config FILE] %s\n\n",
			acmds[i].synopsis);
		fprintf(f, "DESCRIPTION\n    %s\n\n", acmds[i].desc);
		fprintf(f, "OPTIONS\n    -h HOST, --host HOST   the node's rpc_address (default "
			"127.0.0.1)\n    -p PORT, --port PORT   its admin_port (default 7199)\n"
			"    --config FILE          read both from the node's YAML\n"
			"    --help                 the page of helenus admin itself\n\n");
		fprintf(f, "EXAMPLES\n    helenus admin %s\n\n", acmds[i].example);
		fprintf(f, "EXIT STATUS\n    0 done, 1 the node refused or failed the command, 2 usage "
			"or\n    connection error.\n");
		return 0;
	}
	return -1;
}
