/*
 * net: shard-per-core, shared-nothing event loops (ScyllaDB's model).
 *
 * A server runs N shard threads. Each owns an epoll loop, its own
 * listening socket on the same address (SO_REUSEPORT lets the kernel
 * spread accepted connections), its connections, its timers and a
 * per-shard user data pointer where the application hangs its state
 * (memtables, commit log, caches). Shards never share mutable state: work
 * for another shard is posted to it through a single-producer/
 * single-consumer lock-free ring per ordered pair of shards, woken by the
 * target's eventfd.
 *
 * Threading rule: every function taking a net_shard or net_conn must be
 * called on that shard's own thread (from inside a callback), except where
 * noted. net_server_* functions are for the thread that created the server.
 *
 * Typical use (the server module's srv_run):
 *
 *	net_block_signals();                  // in main, before any thread
 *	net_opts o;
 *	net_opts_from_cfg(&o, c);
 *	o.app = (net_app){ .on_open = ..., .on_data = ..., .on_close = ...,
 *			   .shard_init = ..., .shard_teardown = ..., .ctx = ... };
 *	net_server *s = net_server_new(&o, err);   // shards running, ready
 *	if (!s) return -1;
 *	net_server_wait(s);                   // until SIGINT/SIGTERM/request_stop
 *	net_server_stop(s);                   // joins shards, frees everything
 *
 * Prefix: net_.
 */
#ifndef HL_NET_H
#define HL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/core.h"
#include "config/config.h"

typedef struct net_server net_server;
typedef struct net_shard net_shard;
typedef struct net_conn net_conn;
typedef struct net_timer net_timer;

/* A unit of work run on a shard's thread (posts and timers). */
typedef void (*net_fn)(net_shard *on, void *arg);

/*
 * The application layer. Every callback runs on the connection's (or the
 * shard's) own thread. All members are optional.
 */
typedef struct net_app {
	/* A connection was accepted; the result is its app state (net_conn_data). */
	void *(*on_open)(net_conn *c);
	/*
	 * Bytes arrived. p/n is everything received and not yet consumed; return
	 * how many bytes were consumed (the rest is presented again, with more
	 * appended, on the next call). The app bounds its own frame sizes: the
	 * input buffer grows as long as nothing is consumed.
	 */
	size_t (*on_data)(net_conn *c, const uint8_t *p, size_t n);
	/* The connection is gone (peer closed, error, net_conn_close, stop).
	 * Called exactly once; writes after this are dropped. */
	void (*on_close)(net_conn *c);
	/* Once per shard, on the shard thread, before it accepts anything.
	 * Failure aborts net_server_new with this error. */
	int (*shard_init)(net_shard *s, void *ctx, hl_err *err);
	/* Once per shard whose init succeeded, on the shard thread, after every
	 * connection is closed and every posted message has run. Must not post. */
	void (*shard_teardown)(net_shard *s, void *ctx);
	/* Optional: once per loop iteration, on the shard thread, after the
	 * iteration's events, posted messages and timers ran and before their
	 * buffered output is written to the sockets (the server hands the
	 * commit log bytes appended meanwhile to its writer here, so an
	 * acknowledgement never leaves before its log bytes are on their way). */
	void (*before_flush)(net_shard *s, void *ctx);
	/* Immutable, application-wide context handed to the hooks. */
	void *ctx;
} net_app;

typedef struct net_opts {
	const char *address;   /* IPv4/IPv6 literal or host name; rpc_address */
	int port;              /* native_transport_port; 0 = ephemeral */
	int nshards;           /* 0 = number of online cores */
	int backlog;           /* listen(2) backlog */
	/* Output bytes pending on one connection above which it stops being
	 * read (backpressure); reading resumes once it drains below half. */
	size_t out_cap;
	/* Write "listening on HOST:PORT\n" to stderr once every shard accepts,
	 * whatever the log level (test harnesses wait for this line). */
	bool announce;
	/* One listening socket polled by every shard (EPOLLEXCLUSIVE) instead
	 * of one per shard; what happens anyway when SO_REUSEPORT is refused.
	 * Forcing it is for tests. */
	bool share_listener;
	net_app app;
} net_opts;

/* Defaults: 127.0.0.1:9042, cores shards, backlog 1024, out_cap 4 MiB. */
void net_opts_defaults(net_opts *o);
/* Defaults, then rpc_address, native_transport_port and shards from the
 * config, with announce on. o keeps pointers into c. */
void net_opts_from_cfg(net_opts *o, const cfg *c);

/* ---------------------------------------------------------------- server */

/* The shard count nshards = 0 means: the CPUs this process may run on
 * (affinity mask, so taskset and container limits count), at least 1. */
int net_default_shard_count(void);

/*
 * Binds every shard's listening socket, starts the shard threads, runs
 * each shard_init on its thread and returns once all shards are ready to
 * accept (NULL + err on any failure, with everything undone). Shard
 * threads run with all signals blocked.
 */
net_server *net_server_new(const net_opts *o, hl_err *err);
int net_server_port(const net_server *s);          /* the bound port */
int net_server_shard_count(const net_server *s);
/*
 * Blocks the calling thread until SIGINT or SIGTERM arrives (through a
 * signalfd, so they must be blocked: see net_block_signals) or someone
 * calls net_server_request_stop. Returns the signal number, or 0 for a
 * requested stop.
 */
int net_server_wait(net_server *s);
/* Ask the server to stop. Async-signal-safe; callable from any thread,
 * including shard threads. */
void net_server_request_stop(net_server *s);
/*
 * Stops every shard (connections closed with on_close, pending posts run,
 * pending timers dropped without running, teardown hooks run), joins the
 * threads and frees the server. Not from a shard thread. NULL is a no-op.
 */
void net_server_stop(net_server *s);

/* Block SIGINT/SIGTERM in the calling thread (and every thread it creates
 * later) so that net_server_wait receives them, and ignore SIGPIPE.
 * Call first thing in main. */
void net_block_signals(void);

/* ---------------------------------------------------------------- shards */

int net_shard_id(const net_shard *s);
int net_shard_count(const net_shard *s);
net_server *net_shard_server(net_shard *s);
void *net_shard_app_ctx(const net_shard *s);
void net_shard_set_data(net_shard *s, void *data);
void *net_shard_data(const net_shard *s);

/*
 * Run fn(to_shard, arg) on shard `to`'s thread. Never blocks and never
 * drops: when the ring to that shard is full the message waits in an
 * overflow queue on the sender and is retried; order from one sender to
 * one target is kept. Posting to yourself runs fn on the next loop
 * iteration. Returns -1 only for a bad shard index or after shutdown has
 * reached the teardown stage (then arg stays the caller's).
 */
int net_shard_post(net_shard *from, int to, net_fn fn, void *arg);

/*
 * The same from a thread that is not a shard (disk helper threads handing
 * results back): thread-safe, takes a lock. Returns -1 (arg stays the
 * caller's) for a bad index or once that shard reached teardown; stop
 * helper threads before (or in) the teardown hooks.
 */
int net_server_post(net_server *srv, int to, net_fn fn, void *arg);

/*
 * One-shot timer: fn(shard, arg) runs on this shard no earlier than
 * delay_ms from now. The handle is valid until fn starts or the timer is
 * cancelled; cancel only before that.
 */
net_timer *net_timer_add(net_shard *s, uint64_t delay_ms, net_fn fn, void *arg);
void net_timer_cancel(net_shard *s, net_timer *t);

/* ---------------------------------------------------------------- conns */

net_shard *net_shard_of(const net_conn *c);
void *net_conn_data(const net_conn *c);
void net_conn_set_data(net_conn *c, void *data);
/* Process-unique connection id (shard id in the top 16 bits). */
uint64_t net_conn_id(const net_conn *c);
const struct sockaddr_storage *net_conn_peer(const net_conn *c);
/* "ip:port" / "[ip6]:port" of the peer into buf; returns buf. */
const char *net_conn_peer_str(const net_conn *c, char *buf, size_t len);

/*
 * Queue bytes for the peer. Output is flushed at the end of the current
 * loop iteration (so many responses go out in one send) and then on
 * EPOLLOUT while the socket is full. Returns -1 (dropping the bytes) when
 * the connection is closed or closing.
 */
int net_conn_write(net_conn *c, const void *p, size_t n);
/* Close once queued output is flushed. Nothing more is read. on_close
 * runs later, never from inside this call. */
void net_conn_close(net_conn *c);
bool net_conn_is_open(const net_conn *c);   /* not closed nor closing */
size_t net_conn_out_pending(const net_conn *c);
/* App-level backpressure (e.g. too many requests in flight): stop/resume
 * reading this connection, independent of the output cap. */
void net_conn_pause_read(net_conn *c, bool paused);

/*
 * A reference keeps the net_conn struct alive (not the socket) so that an
 * asynchronous response can find out the connection closed meanwhile:
 * hold a ref while work is outstanding, check net_conn_is_open, write,
 * then unref. Same shard only.
 */
void net_conn_ref(net_conn *c);
void net_conn_unref(net_conn *c);

#endif
