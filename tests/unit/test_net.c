/*
 * Unit tests for net/: echo round trips over several connections on two
 * shards (IPv4 and IPv6), a payload large enough to hit the output cap
 * (backpressure), late writes to closed connections, close-after-flush,
 * cross-shard ping-pong and bursts with exact counts and order, self
 * posts, timers (fire and cancel), init failure, a busy port, and a
 * clean stop that closes connections and runs in-flight posts.
 */
#include "net/net.h"
#include "t.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PINGPONG_TOTAL 100000
#define BURST_TOTAL 100000

/* Shared test state: written on shard threads, read by the test thread. */
typedef struct tstate {
	_Atomic int opens, closes, teardowns, inits;
	_Atomic int close_posts_run;
	_Atomic long pings, pongs;
	_Atomic int pingpong_done;
	_Atomic long burst_got;
	_Atomic int burst_order_ok;
	long burst_next;                 /* shard 0 only */
	_Atomic int self_post_ran;
	_Atomic int timer_fired, cancelled_fired;
	_Atomic long long timer_elapsed_ns;
	long long timer_start_ns;
	_Atomic int late_dropped, late_sent;
	_Atomic int shard_bad;
	_Atomic long ext_got;            /* a check on a shard thread failed */
	int fail_shard;                  /* init fails on this shard; -1 none */
	bool start_msgs;                 /* run the messaging tests */
} tstate;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ------------------------------------------------------------ echo app */

static void *echo_open(net_conn *c)
{
	tstate *t = net_shard_app_ctx(net_shard_of(c));

	atomic_fetch_add(&t->opens, 1);
	return t;
}

static void late_reply(net_shard *s, void *arg)
{
	net_conn *c = arg;
	tstate *t = net_shard_app_ctx(s);

	if (net_conn_write(c, "late", 4) < 0)
		atomic_fetch_add(&t->late_dropped, 1);
	else
		atomic_fetch_add(&t->late_sent, 1);
	net_conn_unref(c);
}

static void count_close_post(net_shard *s, void *arg)
{
	tstate *t = arg;

	atomic_fetch_add(&t->close_posts_run, 1);
}

static void echo_close(net_conn *c)
{
	net_shard *s = net_shard_of(c);
	tstate *t = net_conn_data(c);

	atomic_fetch_add(&t->closes, 1);
	/* exercised at stop: must still run on the other shard */
	net_shard_post(s, (net_shard_id(s) + 1) % net_shard_count(s), count_close_post, t);
}

/* Echo everything, except the control words LATE and BYE. */
static size_t echo_data(net_conn *c, const uint8_t *p, size_t n)
{
	if (n == 4 && memcmp(p, "LATE", 4) == 0) {
		net_conn_ref(c);
		net_timer_add(net_shard_of(c), 30, late_reply, c);
		return n;
	}
	if (n == 3 && memcmp(p, "BYE", 3) == 0) {
		net_conn_write(c, "bye", 3);
		net_conn_close(c);
		if (net_conn_write(c, "x", 1) >= 0 || net_conn_is_open(c))
			atomic_store(&((tstate *)net_conn_data(c))->shard_bad, 1);
		return n;
	}
	net_conn_write(c, p, n);
	return n;
}

/* ------------------------------------------------------------ messaging */

static void pong(net_shard *s, void *arg);

static void ping(net_shard *s, void *arg)
{
	tstate *t = arg;

	if (net_shard_id(s) != 1)
		atomic_store(&t->shard_bad, 1);
	atomic_fetch_add(&t->pings, 1);
	net_shard_post(s, 0, pong, t);
}

static void pong(net_shard *s, void *arg)
{
	tstate *t = arg;
	long n;

	if (net_shard_id(s) != 0)
		atomic_store(&t->shard_bad, 1);
	n = atomic_fetch_add(&t->pongs, 1) + 1;
	if (atomic_load(&t->pings) + n >= PINGPONG_TOTAL)
		atomic_store(&t->pingpong_done, 1);
	else
		net_shard_post(s, 1, ping, t);
}

static void burst_msg(net_shard *s, void *arg)
{
	tstate *t = net_shard_app_ctx(s);
	long seq = (long)(intptr_t)arg;

	if (seq != t->burst_next)
		atomic_store(&t->burst_order_ok, 0);
	t->burst_next = seq + 1;
	atomic_fetch_add(&t->burst_got, 1);
}

static void self_post(net_shard *s, void *arg)
{
	tstate *t = arg;

	atomic_fetch_add(&t->self_post_ran, 1);
}

static void timer_fn(net_shard *s, void *arg)
{
	tstate *t = arg;

	atomic_store(&t->timer_elapsed_ns, now_ns() - t->timer_start_ns);
	atomic_store(&t->timer_fired, 1);
}

static void cancelled_fn(net_shard *s, void *arg)
{
	tstate *t = arg;

	atomic_store(&t->cancelled_fired, 1);
}

static void ext_msg(net_shard *s, void *arg)
{
	tstate *t = arg;

	if (net_shard_id(s) != 1)
		atomic_store(&t->shard_bad, 1);
	atomic_fetch_add(&t->ext_got, 1);
}

static int t_init(net_shard *s, void *ctx, hl_err *err)
{
	tstate *t = ctx;
	int id = net_shard_id(s);

	if (id == t->fail_shard)
		return hl_errf(err, HL_ERR_SERVER, "shard %d refuses to start", id);
	atomic_fetch_add(&t->inits, 1);
	net_shard_set_data(s, t);
	if (!t->start_msgs)
		return 0;
	if (id == 0) {
		net_timer *c;

		if (net_shard_post(s, 1, ping, t) || net_shard_post(s, 0, self_post, t))
			atomic_store(&t->shard_bad, 1);
		/* not run inline: only on a later loop iteration */
		if (atomic_load(&t->self_post_ran) != 0)
			atomic_store(&t->shard_bad, 1);
		if (net_shard_post(s, 7, self_post, t) >= 0)
			atomic_store(&t->shard_bad, 1);
		c = net_timer_add(s, 20, cancelled_fn, t);
		net_timer_cancel(s, c);
	}
	if (id == 1) {
		long i;

		/* far more than a ring holds: the rest waits in overflow */
		for (i = 0; i < BURST_TOTAL; i++)
			net_shard_post(s, 0, burst_msg, (void *)(intptr_t)i);
		t->timer_start_ns = now_ns();
		net_timer_add(s, 50, timer_fn, t);
	}
	return 0;
}

static void t_teardown(net_shard *s, void *ctx)
{
	tstate *t = ctx;

	if (net_shard_data(s) != t || net_shard_post(s, 0, self_post, t) >= 0)
		atomic_store(&t->shard_bad, 1);
	atomic_fetch_add(&t->teardowns, 1);
}

/* ------------------------------------------------------------ clients */

static int connect_to(const char *host, int port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	memset(&ss, 0, sizeof ss);
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, host, &a->sin6_addr);
		sl = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, host, &a->sin_addr);
		sl = sizeof *a;
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send n bytes and read n back, both at once so neither side stalls. */
static int roundtrip(int fd, const uint8_t *p, size_t n, uint8_t *back)
{
	size_t sent = 0, got = 0;

	while (got < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN | (sent < n ? POLLOUT : 0) };
		ssize_t k;

		if (poll(&pfd, 1, 10000) <= 0)
			return -1;
		if ((pfd.revents & POLLOUT) && sent < n) {
			k = send(fd, p + sent, n - sent < 16384 ? n - sent : 16384, MSG_DONTWAIT);
			if (k > 0)
				sent += (size_t)k;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			k = recv(fd, back + got, n - got, MSG_DONTWAIT);
			if (k == 0)
				return -1;
			if (k > 0)
				got += (size_t)k;
			else if (errno != EAGAIN)
				return -1;
		}
	}
	return 0;
}

/* Read until EOF or n bytes; returns the count, -1 on timeout. */
static ssize_t read_all(int fd, char *buf, size_t n, int timeout_ms)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -1;
		k = recv(fd, buf + got, n - got, 0);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static int wait_for(_Atomic int *flag, int ms)
{
	while (ms-- > 0 && !atomic_load(flag))
		usleep(1000);
	return atomic_load(flag);
}

static net_opts test_opts(tstate *t, const char *addr)
{
	net_opts o;

	net_opts_defaults(&o);
	o.address = addr;
	o.port = 0;
	o.nshards = 2;
	o.out_cap = 64 * 1024;
	o.app = (net_app){ .on_open = echo_open, .on_data = echo_data, .on_close = echo_close,
			   .shard_init = t_init, .shard_teardown = t_teardown, .ctx = t };
	return o;
}

static void test_server(void)
{
	tstate t;
	net_opts o;
	net_server *s;
	hl_err err;
	int port, fds[8], i, open_at_stop = 0;

	memset(&t, 0, sizeof t);
	t.fail_shard = -1;
	t.start_msgs = true;
	atomic_store(&t.burst_order_ok, 1);
	o = test_opts(&t, "127.0.0.1");
	s = net_server_new(&o, &err);
	CHECK(s != NULL);
	if (!s) {
		fprintf(stderr, "net_server_new: %s\n", err.msg);
		return;
	}
	port = net_server_port(s);
	CHECK(port > 0);
	CHECK(net_server_shard_count(s) == 2);
	CHECK(atomic_load(&t.inits) == 2);

	/* echo over several connections */
	for (i = 0; i < 8; i++) {
		char msg[32], back[32];
		size_t n;

		fds[i] = connect_to("127.0.0.1", port);
		CHECK(fds[i] >= 0);
		if (fds[i] < 0)
			continue;
		n = (size_t)snprintf(msg, sizeof msg, "hello %d", i);
		CHECK(roundtrip(fds[i], (const uint8_t *)msg, n, (uint8_t *)back) == 0);
		CHECK(memcmp(msg, back, n) == 0);
	}

	/* 8 MiB through a 64 KiB output cap: reading pauses and resumes */
	{
		size_t n = 8u << 20;
		uint8_t *p = malloc(n), *back = malloc(n);

		for (i = 0; (size_t)i < n; i++)
			p[i] = (uint8_t)(i * 7 + (i >> 13));
		CHECK(roundtrip(fds[0], p, n, back) == 0);
		CHECK(memcmp(p, back, n) == 0);
		free(p);
		free(back);
	}

	/* close after flush: the reply arrives, then EOF */
	{
		char buf[16];
		int fd = connect_to("127.0.0.1", port);

		CHECK(send(fd, "BYE", 3, 0) == 3);
		CHECK(read_all(fd, buf, sizeof buf, 5000) == 3);
		CHECK(memcmp(buf, "bye", 3) == 0);
		close(fd);
	}

	/* an asynchronous reply to a live connection, then to a dead one */
	{
		char buf[8];
		int fd = connect_to("127.0.0.1", port);

		CHECK(send(fd, "LATE", 4, 0) == 4);
		CHECK(read_all(fd, buf, 4, 5000) == 4);
		CHECK(memcmp(buf, "late", 4) == 0);
		CHECK(send(fd, "LATE", 4, 0) == 4);
		close(fd);
		usleep(100 * 1000);
		CHECK(atomic_load(&t.late_sent) == 1);
		CHECK(atomic_load(&t.late_dropped) == 1);
	}

	/* the port is taken: a second server must not silently share it */
	{
		tstate t2;
		net_opts o2;
		net_server *s2;

		memset(&t2, 0, sizeof t2);
		t2.fail_shard = -1;
		o2 = test_opts(&t2, "127.0.0.1");
		o2.port = port;
		s2 = net_server_new(&o2, &err);
		CHECK(s2 == NULL);
		CHECK(strstr(err.msg, "in use") != NULL);
		net_server_stop(s2);
	}

	/* messaging */
	CHECK(wait_for(&t.pingpong_done, 30000));
	CHECK_EQ_I64(atomic_load(&t.pings), PINGPONG_TOTAL / 2);
	CHECK_EQ_I64(atomic_load(&t.pongs), PINGPONG_TOTAL / 2);
	for (i = 0; i < 30000 && atomic_load(&t.burst_got) < BURST_TOTAL; i++)
		usleep(1000);
	CHECK_EQ_I64(atomic_load(&t.burst_got), BURST_TOTAL);
	CHECK(atomic_load(&t.burst_order_ok) == 1);
	CHECK(atomic_load(&t.self_post_ran) == 1);

	/* posts from a thread that is not a shard */
	for (i = 0; i < 1000; i++)
		CHECK(net_server_post(s, 1, ext_msg, &t) == 0);
	CHECK(net_server_post(s, 2, ext_msg, &t) < 0);
	for (i = 0; i < 5000 && atomic_load(&t.ext_got) < 1000; i++)
		usleep(1000);
	CHECK_EQ_I64(atomic_load(&t.ext_got), 1000);

	/* timers */
	CHECK(wait_for(&t.timer_fired, 5000));
	CHECK(atomic_load(&t.timer_elapsed_ns) >= 50LL * 1000000);
	CHECK(atomic_load(&t.cancelled_fired) == 0);

	/* stop with connections still open */
	for (i = 0; i < 8; i++)
		if (fds[i] >= 0)
			open_at_stop++;
	usleep(20 * 1000);
	net_server_stop(s);
	CHECK_EQ_I64(atomic_load(&t.teardowns), 2);
	CHECK_EQ_I64(atomic_load(&t.closes), atomic_load(&t.opens));
	CHECK_EQ_I64(atomic_load(&t.opens), 8 + 2);
	/* every on_close posted one message; all ran before teardown */
	CHECK_EQ_I64(atomic_load(&t.close_posts_run), atomic_load(&t.closes));
	for (i = 0; i < 8; i++) {
		char c;

		if (fds[i] < 0)
			continue;
		CHECK(read_all(fds[i], &c, 1, 2000) == 0);   /* EOF */
		close(fds[i]);
	}
	CHECK(open_at_stop == 8);
	CHECK(atomic_load(&t.shard_bad) == 0);
}

static void test_ipv6(void)
{
	tstate t;
	net_opts o;
	net_server *s;
	hl_err err;
	int fd;

	memset(&t, 0, sizeof t);
	t.fail_shard = -1;
	o = test_opts(&t, "::1");
	s = net_server_new(&o, &err);
	if (!s) {
		/* no IPv6 loopback in this sandbox: nothing to test */
		fprintf(stderr, "skipping IPv6: %s\n", err.msg);
		return;
	}
	fd = connect_to("::1", net_server_port(s));
	CHECK(fd >= 0);
	if (fd >= 0) {
		uint8_t back[5];

		CHECK(roundtrip(fd, (const uint8_t *)"ipv6!", 5, back) == 0);
		CHECK(memcmp(back, "ipv6!", 5) == 0);
		close(fd);
	}
	net_server_stop(s);
	CHECK_EQ_I64(atomic_load(&t.teardowns), 2);
}

/* The fallback when SO_REUSEPORT is refused: one listener, both shards. */
static void test_shared_listener(void)
{
	tstate t;
	net_opts o;
	net_server *s;
	hl_err err;
	int i, fds[6];

	memset(&t, 0, sizeof t);
	t.fail_shard = -1;
	o = test_opts(&t, "127.0.0.1");
	o.share_listener = true;
	s = net_server_new(&o, &err);
	CHECK(s != NULL);
	if (!s)
		return;
	for (i = 0; i < 6; i++) {
		uint8_t back[6];

		fds[i] = connect_to("127.0.0.1", net_server_port(s));
		CHECK(fds[i] >= 0);
		if (fds[i] < 0)
			continue;
		CHECK(roundtrip(fds[i], (const uint8_t *)"shared", 6, back) == 0);
		CHECK(memcmp(back, "shared", 6) == 0);
	}
	net_server_stop(s);
	for (i = 0; i < 6; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	CHECK_EQ_I64(atomic_load(&t.opens), 6);
	CHECK_EQ_I64(atomic_load(&t.closes), 6);
	CHECK_EQ_I64(atomic_load(&t.teardowns), 2);
}

static void test_init_failure(void)
{
	tstate t;
	net_opts o;
	net_server *s;
	hl_err err;

	memset(&t, 0, sizeof t);
	t.fail_shard = 1;
	o = test_opts(&t, "127.0.0.1");
	o.nshards = 3;
	s = net_server_new(&o, &err);
	CHECK(s == NULL);
	CHECK(strstr(err.msg, "shard 1 refuses") != NULL);
	/* the shards that did start were torn down */
	CHECK_EQ_I64(atomic_load(&t.inits), 2);
	CHECK_EQ_I64(atomic_load(&t.teardowns), 2);
}

static void test_bad_address(void)
{
	tstate t;
	net_opts o;
	hl_err err;

	memset(&t, 0, sizeof t);
	t.fail_shard = -1;
	o = test_opts(&t, "not an address!");
	CHECK(net_server_new(&o, &err) == NULL);
	CHECK(err.code == HL_ERR_CONFIG);
	o = test_opts(&t, "127.0.0.1");
	o.port = 70000;
	CHECK(net_server_new(&o, &err) == NULL);
}

static void request_stop_soon(net_shard *s, void *arg)
{
	net_server_request_stop(net_shard_server(s));
}

static int stopper_init(net_shard *s, void *ctx, hl_err *err)
{
	if (net_shard_id(s) == 0)
		net_timer_add(s, 10, request_stop_soon, NULL);
	return 0;
}

static void test_wait(void)
{
	net_opts o;
	net_server *s;
	hl_err err;

	net_opts_defaults(&o);
	o.port = 0;
	o.nshards = 1;
	o.app.shard_init = stopper_init;
	s = net_server_new(&o, &err);
	CHECK(s != NULL);
	if (!s)
		return;
	/* returns 0: stopped by request, not by a signal */
	CHECK(net_server_wait(s) == 0);
	net_server_stop(s);
}

int main(void)
{
	hl_log_set_level(HL_LOG_WARN);
	test_server();
	test_ipv6();
	test_shared_listener();
	test_init_failure();
	test_bad_address();
	test_wait();
	return T_DONE();
}
