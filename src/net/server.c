/*
 * net/server.c: the server and its shard threads. Binding (SO_REUSEPORT
 * listener per shard, or one listener shared with EPOLLEXCLUSIVE when the
 * kernel refuses), the startup handshake that runs every shard's init hook
 * before net_server_new returns, the event loop, signal waiting and the
 * orderly shutdown: close connections, run every message still in flight
 * (rounds separated by a barrier until one round does no work anywhere),
 * then the teardown hooks.
 */
#include "net_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define NET_MAX_EVENTS 256
/* Sanity bound: rings are N^2. */
#define NET_MAX_SHARDS 1024

void net_opts_defaults(net_opts *o)
{
	memset(o, 0, sizeof *o);
	o->address = "127.0.0.1";
	o->port = 9042;
	o->nshards = 0;
	o->backlog = 1024;
	o->out_cap = 4u << 20;
}

void net_opts_from_cfg(net_opts *o, const cfg *c)
{
	net_opts_defaults(o);
	if (c->rpc_address)
		o->address = c->rpc_address;
	o->port = c->native_transport_port;
	o->nshards = c->shards;
	o->announce = true;
}

int net_default_shard_count(void)
{
	cpu_set_t set;
	long n;

	/* the affinity mask honours taskset and container CPU limits */
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

static void addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
		snprintf(buf, len, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
		snprintf(buf, len, "%s:%u", ip, ntohs(a->sin_port));
	}
}

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

/*
 * A socket bound to ss and listening. With reuseport, *reuse_ok reports
 * whether the kernel accepted SO_REUSEPORT (set before bind, as the
 * kernel requires of every member of the group). Returns -1 with errno.
 */
static int open_listener(const struct sockaddr_storage *ss, socklen_t sl, int backlog,
			 bool reuseport, bool *reuse_ok)
{
	int fd, one = 1, e;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* restarts must not wait out TIME_WAIT */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (reuseport) {
		*reuse_ok = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0;
		if (!*reuse_ok)
			hl_debug("net: SO_REUSEPORT unavailable: %s", strerror(errno));
	}
	if (bind(fd, (const struct sockaddr *)ss, sl) < 0 || listen(fd, backlog) < 0)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/*
 * SO_REUSEPORT would let us silently share a port with another process
 * of the same user (say a second node started by mistake), splitting its
 * clients between the two. A plain bind first keeps "address in use" an
 * error, as in Cassandra.
 */
static int probe_port(const struct sockaddr_storage *ss, socklen_t sl)
{
	int fd, one = 1, rc = 0, e = 0;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (const struct sockaddr *)ss, sl) < 0) {
		rc = -1;
		e = errno;
	}
	close(fd);
	errno = e;
	return rc;
}

static int bind_all(net_server *srv, hl_err *err)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl;
	char port[16], where[INET6_ADDRSTRLEN + 16];
	bool reuse_ok = false, dummy;
	int rc = -1, i, g;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof port, "%d", srv->opts.port);
	g = getaddrinfo(srv->address, port, &hints, &ai);
	if (g) {
		hl_errf(err, HL_ERR_CONFIG, "cannot resolve address '%s': %s", srv->address,
			gai_strerror(g));
		goto exit;
	}
	memset(&ss, 0, sizeof ss);
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	sl = ai->ai_addrlen;
	addr_str(&ss, where, sizeof where);
	if (srv->opts.port && probe_port(&ss, sl) < 0) {
		hl_errf(err, HL_ERR_CONFIG, "cannot bind %s: %s", where, strerror(errno));
		goto exit;
	}
	srv->shards[0].lfd = open_listener(&ss, sl, srv->opts.backlog,
					   !srv->opts.share_listener, &reuse_ok);
	if (srv->shards[0].lfd < 0) {
		hl_errf(err, HL_ERR_CONFIG, "cannot listen on %s: %s", where, strerror(errno));
		goto exit;
	}
	srv->shards[0].lfd_owned = true;
	/* an ephemeral port is known only now; the others join it */
	sl = sizeof ss;
	if (getsockname(srv->shards[0].lfd, (struct sockaddr *)&ss, &sl) < 0) {
		hl_errf(err, HL_ERR_SERVER, "getsockname: %s", strerror(errno));
		goto exit;
	}
	srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
				 : ((struct sockaddr_in *)&ss)->sin_port);
	set_port(&ss, srv->port);
	for (i = 1; i < srv->nshards; i++) {
		net_shard *s = &srv->shards[i];

		s->lfd = reuse_ok ? open_listener(&ss, sl, srv->opts.backlog, true, &dummy) : -1;
		if (s->lfd >= 0) {
			s->lfd_owned = true;
			continue;
		}
		if (reuse_ok)
			hl_debug("net: shard %d shares shard 0's listener: %s", i, strerror(errno));
		/* fallback: one listener, every shard polls it exclusively */
		s->lfd = srv->shards[0].lfd;
		s->lfd_owned = false;
	}
	rc = 0;
exit:
	if (ai)
		freeaddrinfo(ai);
	return rc;
}

/* ------------------------------------------------------------ event loop */

static void loop(net_shard *s)
{
	net_server *srv = s->srv;
	struct epoll_event evs[NET_MAX_EVENTS];

	while (!atomic_load_explicit(&srv->stop, memory_order_acquire)) {
		int timeout, n, i;

		if (s->busy) {
			timeout = 0;
		} else {
			timeout = net_timers_timeout_ms(s);
			/* a full ring drains without telling us: poll for room */
			if (s->ovf_pending && (timeout < 0 || timeout > 1))
				timeout = 1;
		}
		s->busy = false;
		n = epoll_wait(s->epfd, evs, NET_MAX_EVENTS, timeout);
		if (n < 0) {
			if (errno != EINTR)
				hl_error("net: shard %d epoll_wait: %s", s->id, strerror(errno));
			n = 0;
		}
		for (i = 0; i < n; i++) {
			int kind = *(int *)evs[i].data.ptr;

			if (kind == NET_EV_CONN) {
				net_conn_event(evs[i].data.ptr, evs[i].events);
			} else if (kind == NET_EV_LISTEN) {
				net_accept(s);
			} else {
				uint64_t v;

				/* clear the counter; the rings are drained below */
				while (read(s->evfd, &v, sizeof v) < 0 && errno == EINTR)
					;
			}
		}
		net_drain_incoming(s);
		net_timers_run(s);
		if (srv->opts.app.before_flush)
			srv->opts.app.before_flush(s, srv->opts.app.ctx);
		net_flush_overflow(s);
		net_flush_dirty(s);
		net_send_wakes(s);
		net_free_graves(s);
	}
}

static void shard_shutdown(net_shard *s)
{
	net_server *srv = s->srv;
	const net_app *app = &srv->opts.app;
	int64_t r;

	if (s->lfd >= 0)
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL);
	net_close_all(s);
	net_flush_dirty(s);
	/*
	 * Run what is still in flight so posted work (and the memory its
	 * argument owns) is not lost. Messages are created only by running
	 * messages, so a round in which no shard ran or moved anything
	 * proves every queue empty. Round 0 always counts as work, because
	 * on_close above may have posted.
	 */
	for (r = 0;; r++) {
		size_t did = r == 0, n;

		do {
			n = net_drain_incoming(s) + net_flush_overflow(s);
			net_flush_dirty(s);
			net_send_wakes(s);
			net_free_graves(s);
			did += n;
		} while (n);
		if (s->ovf_pending)
			did++;
		if (did)
			atomic_store(&srv->last_work_round, r);
		pthread_barrier_wait(&srv->bar);
		if (atomic_load(&srv->last_work_round) < r)
			break;
	}
	s->no_posts = true;
	/* a helper thread may have posted after the last round */
	net_close_external(s);
	if (s->init_ok && app->shard_teardown)
		app->shard_teardown(s, app->ctx);
	net_flush_dirty(s);
	net_free_graves(s);
	net_timers_free(s);
}

static void *shard_main(void *arg)
{
	net_shard *s = arg;
	net_server *srv = s->srv;
	const net_app *app = &srv->opts.app;
	char name[16];
	int go;

	snprintf(name, sizeof name, "shard-%d", s->id);
	pthread_setname_np(pthread_self(), name);
	s->init_ok = true;
	if (app->shard_init && app->shard_init(s, app->ctx, &s->init_err)) {
		s->init_ok = false;
		if (!s->init_err.msg[0])
			hl_errf(&s->init_err, HL_ERR_SERVER, "shard %d failed to start", s->id);
	}
	pthread_mutex_lock(&srv->mu);
	srv->nready++;
	pthread_cond_broadcast(&srv->cv);
	while (!srv->go)
		pthread_cond_wait(&srv->cv, &srv->mu);
	go = srv->go;
	pthread_mutex_unlock(&srv->mu);

	if (go > 0 && s->lfd >= 0) {
		struct epoll_event ev;

		memset(&ev, 0, sizeof ev);
		/* a shared listener wakes one shard per connection, not all */
		ev.events = EPOLLIN | (s->lfd_owned ? 0 : EPOLLEXCLUSIVE);
		ev.data.ptr = &s->kind_listen;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) < 0)
			hl_error("net: shard %d cannot poll its listener: %s", s->id, strerror(errno));
	}
	if (go > 0)
		loop(s);
	shard_shutdown(s);
	return NULL;
}

/* ------------------------------------------------------------ lifecycle */

static void free_server(net_server *srv)
{
	int i;

	if (!srv)
		return;
	for (i = 0; srv->shards && i < srv->nshards; i++) {
		net_shard *s = &srv->shards[i];
		int to;

		if (s->lfd >= 0 && s->lfd_owned)
			close(s->lfd);
		if (s->epfd >= 0)
			close(s->epfd);
		if (s->evfd >= 0)
			close(s->evfd);
		net_msgq_free(&s->local);
		net_msgq_free(&s->ext);
		pthread_mutex_destroy(&s->ext_mu);
		for (to = 0; s->ovf && to < srv->nshards; to++)
			net_msgq_free(&s->ovf[to]);
		free(s->ovf);
		free(s->wake);
		net_timers_free(s);
		net_free_graves(s);
	}
	free(srv->shards);
	free(srv->rings);
	if (srv->stop_evfd >= 0)
		close(srv->stop_evfd);
	pthread_mutex_destroy(&srv->mu);
	pthread_cond_destroy(&srv->cv);
	free(srv->address);
	free(srv);
}

static int init_shard(net_server *srv, int i, hl_err *err)
{
	net_shard *s = &srv->shards[i];
	struct epoll_event ev;

	s->srv = srv;
	s->id = i;
	s->kind_wake = NET_EV_WAKE;
	s->kind_listen = NET_EV_LISTEN;
	s->ovf = hl_calloc((size_t)srv->nshards, sizeof *s->ovf);
	s->wake = hl_calloc((size_t)srv->nshards, 1);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->epfd < 0 || s->evfd < 0)
		return hl_errf(err, HL_ERR_SERVER, "shard %d: %s", i, strerror(errno));
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.ptr = &s->kind_wake;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &ev) < 0)
		return hl_errf(err, HL_ERR_SERVER, "shard %d: epoll_ctl: %s", i, strerror(errno));
	return 0;
}

/* Release the started threads (go > 0 runs them, go < 0 aborts them). */
static void release(net_server *srv, int go)
{
	pthread_mutex_lock(&srv->mu);
	srv->go = go;
	pthread_cond_broadcast(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
}

net_server *net_server_new(const net_opts *o, hl_err *err)
{
	net_server *srv = hl_calloc(1, sizeof *srv);
	sigset_t all, old;
	size_t nrings;
	int i, started = 0, failed = -1;
	bool bar_init = false;

	srv->opts = *o;
	srv->address = hl_strdup(o->address ? o->address : "127.0.0.1");
	srv->opts.address = srv->address;
	if (!srv->opts.backlog)
		srv->opts.backlog = 1024;
	if (!srv->opts.out_cap)
		srv->opts.out_cap = 4u << 20;
	srv->nshards = o->nshards > 0 ? o->nshards : net_default_shard_count();
	srv->stop_evfd = -1;
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->cv, NULL);
	atomic_init(&srv->stop, 0);
	atomic_init(&srv->last_work_round, -1);
	if (srv->nshards > NET_MAX_SHARDS) {
		hl_errf(err, HL_ERR_CONFIG, "too many shards: %d (at most %d)", srv->nshards,
			NET_MAX_SHARDS);
		goto fail;
	}
	if (o->port < 0 || o->port > 65535) {
		hl_errf(err, HL_ERR_CONFIG, "invalid port %d", o->port);
		goto fail;
	}
	srv->shards = hl_calloc((size_t)srv->nshards, sizeof *srv->shards);
	for (i = 0; i < srv->nshards; i++) {
		net_shard *s = &srv->shards[i];

		s->lfd = s->epfd = s->evfd = -1;
		pthread_mutex_init(&s->ext_mu, NULL);
		atomic_init(&s->ext_pending, 0);
	}
	nrings = (size_t)srv->nshards * (size_t)srv->nshards;
	srv->rings = aligned_alloc(64, nrings * sizeof *srv->rings);
	if (!srv->rings) {
		hl_errf(err, HL_ERR_SERVER, "out of memory for %zu shard rings", nrings);
		goto fail;
	}
	for (i = 0; (size_t)i < nrings; i++) {
		atomic_init(&srv->rings[i].head, 0);
		atomic_init(&srv->rings[i].tail, 0);
	}
	srv->stop_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (srv->stop_evfd < 0) {
		hl_errf(err, HL_ERR_SERVER, "eventfd: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < srv->nshards; i++)
		if (init_shard(srv, i, err))
			goto fail;
	if (bind_all(srv, err))
		goto fail;
	pthread_barrier_init(&srv->bar, NULL, (unsigned)srv->nshards);
	bar_init = true;

	/* shard threads handle no signals: main waits for them on a signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < srv->nshards; i++) {
		int e = pthread_create(&srv->shards[i].thread, NULL, shard_main, &srv->shards[i]);

		if (e) {
			hl_errf(err, HL_ERR_SERVER, "cannot start shard thread %d: %s", i, strerror(e));
			break;
		}
		started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (started < srv->nshards) {
		/* nobody has reached the barrier yet (all wait for go): resize it */
		pthread_barrier_destroy(&srv->bar);
		if (started)
			pthread_barrier_init(&srv->bar, NULL, (unsigned)started);
		else
			bar_init = false;
	}

	pthread_mutex_lock(&srv->mu);
	while (srv->nready < started)
		pthread_cond_wait(&srv->cv, &srv->mu);
	pthread_mutex_unlock(&srv->mu);
	for (i = 0; i < started && failed < 0; i++)
		if (!srv->shards[i].init_ok)
			failed = i;
	if (started < srv->nshards || failed >= 0) {
		if (failed >= 0)
			*err = srv->shards[failed].init_err;
		release(srv, -1);
		for (i = 0; i < started; i++)
			pthread_join(srv->shards[i].thread, NULL);
		goto fail;
	}
	release(srv, 1);
	if (o->announce) {
		char where[INET6_ADDRSTRLEN + 16];
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;

		getsockname(srv->shards[0].lfd, (struct sockaddr *)&ss, &sl);
		addr_str(&ss, where, sizeof where);
		/* straight to stderr, whatever the log level: harnesses wait for it */
		fprintf(stderr, "listening on %s\n", where);
		fflush(stderr);
	}
	hl_info("net: %d shard%s serving native transport on port %d", srv->nshards,
		srv->nshards == 1 ? "" : "s", srv->port);
	return srv;
fail:
	if (bar_init)
		pthread_barrier_destroy(&srv->bar);
	free_server(srv);
	return NULL;
}

int net_server_port(const net_server *s)
{
	return s->port;
}

int net_server_shard_count(const net_server *s)
{
	return s->nshards;
}

void net_server_request_stop(net_server *s)
{
	uint64_t one = 1;
	int i;
	ssize_t w;

	atomic_store_explicit(&s->stop, 1, memory_order_release);
	for (i = 0; i < s->nshards; i++)
		w = write(s->shards[i].evfd, &one, sizeof one);
	w = write(s->stop_evfd, &one, sizeof one);
	(void)w;
}

int net_server_wait(net_server *s)
{
	struct pollfd pfd[2];
	sigset_t set, old;
	int sfd, signo = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		hl_warn("net: signalfd: %s; waiting for a requested stop only", strerror(errno));
	pfd[0].fd = s->stop_evfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = sfd;
	pfd[1].events = POLLIN;
	for (;;) {
		int n = poll(pfd, sfd >= 0 ? 2 : 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			hl_error("net: poll: %s", strerror(errno));
			break;
		}
		if (sfd >= 0 && (pfd[1].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
				signo = (int)si.ssi_signo;
				break;
			}
		}
		if (pfd[0].revents & POLLIN)
			break;
	}
	if (sfd >= 0)
		close(sfd);
	/* the signal was consumed; restoring the old mask lets a second ^C
	 * during a slow shutdown kill the process, unless the caller had
	 * blocked it on purpose */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return signo;
}

void net_server_stop(net_server *s)
{
	int i;

	if (!s)
		return;
	net_server_request_stop(s);
	for (i = 0; i < s->nshards; i++)
		pthread_join(s->shards[i].thread, NULL);
	pthread_barrier_destroy(&s->bar);
	free_server(s);
}

void net_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* writes use MSG_NOSIGNAL, but other modules may write to pipes */
	signal(SIGPIPE, SIG_IGN);
}

/* ------------------------------------------------------------ shards */

int net_shard_id(const net_shard *s)
{
	return s->id;
}

int net_shard_count(const net_shard *s)
{
	return s->srv->nshards;
}

net_server *net_shard_server(net_shard *s)
{
	return s->srv;
}

void *net_shard_app_ctx(const net_shard *s)
{
	return s->srv->opts.app.ctx;
}

void net_shard_set_data(net_shard *s, void *data)
{
	s->data = data;
}

void *net_shard_data(const net_shard *s)
{
	return s->data;
}
