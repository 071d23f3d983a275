/*
 * net/conn.c: accepted connections. Non-blocking sockets with TCP_NODELAY,
 * a per-connection input buffer handed to the application, and buffered
 * output flushed once per loop iteration (so pipelined responses leave in
 * one send) and then on EPOLLOUT. Output above the cap stops reading from
 * that connection until it drains: backpressure instead of unbounded
 * memory. Structs are reference counted so asynchronous handlers can
 * learn that their connection went away.
 */
#include "net_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* Bytes read per readiness event: large enough for big frames to arrive
 * in few calls, small enough that one connection cannot hog the loop. */
#define NET_READ_CHUNK 65536
/* Connections accepted per listener event, for fairness with I/O. */
#define NET_ACCEPT_BATCH 64
/* Retry accepting this long after running out of descriptors. */
#define NET_ACCEPT_RETRY_MS 100

static size_t pending(const net_conn *c)
{
	return c->out.len - c->out_off;
}

static void update_events(net_conn *c)
{
	struct epoll_event ev;
	uint32_t want = 0;

	if (c->closed)
		return;
	if (!c->closing && !c->paused_app && !c->paused_bp)
		want |= EPOLLIN;
	if (pending(c))
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof ev);
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(c->sh->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
	else
		hl_warn("net: epoll_ctl(MOD) on connection %d: %s", c->fd, strerror(errno));
}

static void mark_dirty(net_conn *c)
{
	if (c->dirty)
		return;
	c->dirty = true;
	c->refs++;
	c->dirty_next = c->sh->dirty;
	c->sh->dirty = c;
}

void net_conn_ref(net_conn *c)
{
	c->refs++;
}

void net_conn_unref(net_conn *c)
{
	if (--c->refs > 0)
		return;
	/* freed after the current batch of epoll events, which may still
	 * mention this connection */
	c->grave_next = c->sh->grave;
	c->sh->grave = c;
}

void net_free_graves(net_shard *s)
{
	while (s->grave) {
		net_conn *c = s->grave;

		s->grave = c->grave_next;
		hl_buf_free(&c->in);
		hl_buf_free(&c->out);
		free(c);
	}
}

void net_conn_teardown(net_conn *c)
{
	net_shard *s = c->sh;

	if (c->closed)
		return;
	c->closed = true;
	c->closing = true;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	/* the input buffer may be what on_data is looking at: it goes with
	 * the struct */
	hl_buf_free(&c->out);
	c->out_off = 0;
	if (s->srv->opts.app.on_close) {
		c->refs++;
		s->srv->opts.app.on_close(c);
		c->refs--;
	}
	net_conn_unref(c);   /* the shard's own reference */
}

/* Send as much queued output as the socket takes; 0, or -1 if torn down. */
static int flush_out(net_conn *c)
{
	while (pending(c)) {
		ssize_t n = send(c->fd, c->out.p + c->out_off, pending(c), MSG_NOSIGNAL);

		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		hl_debug("net: send on connection %d: %s", c->fd, strerror(errno));
		net_conn_teardown(c);
		return -1;
	}
	if (!pending(c)) {
		c->out.len = 0;
		c->out_off = 0;
	} else if (c->out_off > c->out.len / 2) {
		/* compact only when the sent prefix dominates, keeping it O(n) */
		memmove(c->out.p, c->out.p + c->out_off, pending(c));
		c->out.len = pending(c);
		c->out_off = 0;
	}
	if (c->paused_bp && pending(c) <= c->sh->srv->opts.out_cap / 2)
		c->paused_bp = false;
	else if (pending(c) > c->sh->srv->opts.out_cap)
		c->paused_bp = true;
	if (c->closing && !pending(c)) {
		net_conn_teardown(c);
		return -1;
	}
	update_events(c);
	return 0;
}

static void deliver(net_conn *c);

void net_flush_dirty(net_shard *s)
{
	while (s->dirty) {
		net_conn *c = s->dirty;

		s->dirty = c->dirty_next;
		c->dirty = false;
		if (c->redeliver && !c->closed && !c->closing && !c->paused_app) {
			c->redeliver = false;
			deliver(c);
		}
		if (!c->closed)
			flush_out(c);
		net_conn_unref(c);
	}
}

static void read_in(net_conn *c)
{
	ssize_t n;

	hl_buf_reserve(&c->in, NET_READ_CHUNK);
	do
		n = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		hl_debug("net: recv on connection %d: %s", c->fd, strerror(errno));
		net_conn_teardown(c);
		return;
	}
	if (n == 0) {
		/* drivers never half-close: EOF means the client is gone, and
		 * everything it sent was already delivered */
		net_conn_teardown(c);
		return;
	}
	c->in.len += (size_t)n;
	deliver(c);
}

/* Hand the unconsumed input to the application and drop what it used. */
static void deliver(net_conn *c)
{
	const net_app *app = &c->sh->srv->opts.app;

	if (!app->on_data) {
		c->in.len = 0;
		return;
	}
	c->refs++;
	{
		size_t used = app->on_data(c, c->in.p, c->in.len);

		if (!c->closed) {
			if (used >= c->in.len) {
				c->in.len = 0;
			} else if (used) {
				memmove(c->in.p, c->in.p + used, c->in.len - used);
				c->in.len -= used;
			}
		}
	}
	net_conn_unref(c);
}

void net_conn_event(net_conn *c, uint32_t ev)
{
	if (c->closed)
		return;
	if (ev & EPOLLOUT) {
		if (flush_out(c))
			return;
	}
	if (ev & EPOLLIN) {
		if (!c->closing)
			read_in(c);
		return;
	}
	/* error or hang-up while not reading: nothing else will notice */
	if (ev & (EPOLLERR | EPOLLHUP))
		net_conn_teardown(c);
}

static void listen_resume(net_shard *s, void *arg)
{
	struct epoll_event ev;

	(void)arg;
	if (!s->listen_paused || s->lfd < 0)
		return;
	s->listen_paused = false;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.ptr = &s->kind_listen;
	epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->lfd, &ev);
}

static void listen_pause(net_shard *s)
{
	struct epoll_event ev;

	/* level-triggered: a listener we cannot accept from would spin */
	s->listen_paused = true;
	memset(&ev, 0, sizeof ev);
	ev.data.ptr = &s->kind_listen;
	epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->lfd, &ev);
	net_timer_add(s, NET_ACCEPT_RETRY_MS, listen_resume, NULL);
}

void net_accept(net_shard *s)
{
	const net_app *app = &s->srv->opts.app;
	int i;

	for (i = 0; i < NET_ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		struct epoll_event ev;
		net_conn *c;
		int fd, one = 1;

		fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				hl_warn("net: shard %d cannot accept: %s; retrying in %d ms",
					s->id, strerror(errno), NET_ACCEPT_RETRY_MS);
				listen_pause(s);
			}
			/* EAGAIN: drained (another shard may share this listener) */
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
		c = hl_calloc(1, sizeof *c);
		c->kind = NET_EV_CONN;
		c->fd = fd;
		c->sh = s;
		c->id = ((uint64_t)s->id << 48) | (++s->next_conn_seq & ((1ull << 48) - 1));
		c->refs = 1;
		c->events = EPOLLIN;
		c->peer = ss;
		hl_buf_init(&c->in);
		hl_buf_init(&c->out);
		memset(&ev, 0, sizeof ev);
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			hl_warn("net: epoll_ctl(ADD): %s", strerror(errno));
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		if (app->on_open) {
			c->refs++;
			c->data = app->on_open(c);
			net_conn_unref(c);
		}
	}
}

void net_close_all(net_shard *s)
{
	while (s->conns)
		net_conn_teardown(s->conns);
}

net_shard *net_shard_of(const net_conn *c)
{
	return c->sh;
}

void *net_conn_data(const net_conn *c)
{
	return c->data;
}

void net_conn_set_data(net_conn *c, void *data)
{
	c->data = data;
}

uint64_t net_conn_id(const net_conn *c)
{
	return c->id;
}

const struct sockaddr_storage *net_conn_peer(const net_conn *c)
{
	return &c->peer;
}

const char *net_conn_peer_str(const net_conn *c, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (c->peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&c->peer;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
		snprintf(buf, len, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&c->peer;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
		snprintf(buf, len, "%s:%u", ip, ntohs(a->sin_port));
	}
	return buf;
}

int net_conn_write(net_conn *c, const void *p, size_t n)
{
	if (c->closed || c->closing)
		return -1;
	hl_buf_put(&c->out, p, n);
	mark_dirty(c);
	if (pending(c) > c->sh->srv->opts.out_cap && !c->paused_bp) {
		c->paused_bp = true;
		update_events(c);
	}
	return 0;
}

void net_conn_close(net_conn *c)
{
	if (c->closed || c->closing)
		return;
	c->closing = true;
	update_events(c);
	mark_dirty(c);
}

bool net_conn_is_open(const net_conn *c)
{
	return !c->closed && !c->closing;
}

size_t net_conn_out_pending(const net_conn *c)
{
	return c->closed ? 0 : pending(c);
}

void net_conn_pause_read(net_conn *c, bool paused)
{
	c->paused_app = paused;
	update_events(c);
	/* bytes already buffered would otherwise wait for more to arrive */
	if (!paused && c->in.len && !c->closed) {
		c->redeliver = true;
		mark_dirty(c);
	}
}
