/*
 * net/post.c: inter-shard messaging. One single-producer/single-consumer
 * ring per ordered pair of shards (C11 atomics, no locks), an overflow
 * queue on the sender when a ring is full (never block, never drop), a
 * local queue for posts to oneself, and the eventfd that wakes a target.
 */
#include "net_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void net_msgq_push(net_msgq *q, net_msg m)
{
	if (q->len == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 64;
		net_msg *v = hl_malloc(ncap * sizeof *v);
		size_t i;

		/* unwrap into the new array so head restarts at 0 */
		for (i = 0; i < q->len; i++)
			v[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = v;
		q->cap = ncap;
		q->head = 0;
	}
	q->v[(q->head + q->len) % q->cap] = m;
	q->len++;
}

int net_msgq_pop(net_msgq *q, net_msg *m)
{
	if (!q->len)
		return -1;
	*m = q->v[q->head];
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return 0;
}

void net_msgq_free(net_msgq *q)
{
	free(q->v);
	memset(q, 0, sizeof *q);
}

net_ring *net_ring_of(net_server *srv, int to, int from)
{
	return &srv->rings[(size_t)to * (size_t)srv->nshards + (size_t)from];
}

/* Producer side; the caller is the ring's only producer. */
static bool ring_push(net_ring *r, net_msg m)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	if (tail - head >= NET_RING_CAP)
		return false;
	r->slot[tail % NET_RING_CAP] = m;
	/* release: the slot contents are visible before the new tail */
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return true;
}

int net_shard_post(net_shard *from, int to, net_fn fn, void *arg)
{
	net_msg m = { fn, arg };
	net_msgq *ovf;

	if (to < 0 || to >= from->srv->nshards || !fn || from->no_posts)
		return -1;
	if (to == from->id) {
		net_msgq_push(&from->local, m);
		from->busy = true;
		return 0;
	}
	ovf = &from->ovf[to];
	/* once anything waits in overflow, later posts queue behind it so
	 * one sender's messages keep their order */
	if (ovf->len || !ring_push(net_ring_of(from->srv, to, from->id), m)) {
		net_msgq_push(ovf, m);
		from->ovf_pending++;
		return 0;
	}
	from->wake[to] = 1;
	return 0;
}

size_t net_flush_overflow(net_shard *s)
{
	size_t moved = 0;
	int to;

	if (!s->ovf_pending)
		return 0;
	for (to = 0; to < s->srv->nshards; to++) {
		net_msgq *q = &s->ovf[to];
		net_ring *r;

		if (!q->len)
			continue;
		r = net_ring_of(s->srv, to, s->id);
		while (q->len && ring_push(r, q->v[q->head])) {
			net_msg m;

			net_msgq_pop(q, &m);
			s->ovf_pending--;
			moved++;
			s->wake[to] = 1;
		}
	}
	return moved;
}

/* Take the whole external queue under the lock, run it outside. */
static size_t run_external(net_shard *s)
{
	net_msgq q;
	net_msg m;
	size_t ran = 0;

	if (!atomic_load(&s->ext_pending))
		return 0;
	pthread_mutex_lock(&s->ext_mu);
	q = s->ext;
	memset(&s->ext, 0, sizeof s->ext);
	atomic_store(&s->ext_pending, 0);
	pthread_mutex_unlock(&s->ext_mu);
	while (!net_msgq_pop(&q, &m)) {
		m.fn(s, m.arg);
		ran++;
	}
	net_msgq_free(&q);
	return ran;
}

int net_server_post(net_server *srv, int to, net_fn fn, void *arg)
{
	net_msg m = { fn, arg };
	net_shard *s;
	bool wake;

	if (to < 0 || to >= srv->nshards || !fn)
		return -1;
	s = &srv->shards[to];
	pthread_mutex_lock(&s->ext_mu);
	if (s->ext_closed) {
		pthread_mutex_unlock(&s->ext_mu);
		return -1;
	}
	/* only the first message of a batch needs to wake the shard: it
	 * takes the whole queue at once */
	wake = s->ext.len == 0;
	net_msgq_push(&s->ext, m);
	atomic_store(&s->ext_pending, 1);
	pthread_mutex_unlock(&s->ext_mu);
	if (wake) {
		uint64_t one = 1;

		while (write(s->evfd, &one, sizeof one) < 0 && errno == EINTR)
			;
	}
	return 0;
}

void net_close_external(net_shard *s)
{
	pthread_mutex_lock(&s->ext_mu);
	s->ext_closed = true;
	atomic_store(&s->ext_pending, 1);
	pthread_mutex_unlock(&s->ext_mu);
	run_external(s);
}

size_t net_drain_incoming(net_shard *s)
{
	net_server *srv = s->srv;
	size_t ran = 0, nlocal;
	int from;

	for (from = 0; from < srv->nshards; from++) {
		net_ring *r;
		uint32_t head, tail, n = 0;

		if (from == s->id)
			continue;
		r = net_ring_of(srv, s->id, from);
		head = atomic_load_explicit(&r->head, memory_order_relaxed);
		tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		while (head != tail && n < NET_RING_BATCH) {
			net_msg m = r->slot[head % NET_RING_CAP];

			head++;
			n++;
			/* free the slot before running: fn may post back, and the
			 * sender may be waiting for room */
			atomic_store_explicit(&r->head, head, memory_order_release);
			m.fn(s, m.arg);
		}
		if (head != tail)
			s->busy = true;
		ran += n;
	}
	ran += run_external(s);
	/* only what was queued before this pass: a message that re-posts
	 * itself runs once per iteration, not forever */
	nlocal = s->local.len;
	while (nlocal--) {
		net_msg m;

		if (net_msgq_pop(&s->local, &m))
			break;
		m.fn(s, m.arg);
		ran++;
	}
	if (s->local.len)
		s->busy = true;
	return ran;
}

void net_send_wakes(net_shard *s)
{
	int to;

	for (to = 0; to < s->srv->nshards; to++) {
		uint64_t one = 1;

		if (!s->wake[to])
			continue;
		s->wake[to] = 0;
		/* EAGAIN means the counter is saturated: the target is awake anyway */
		while (write(s->srv->shards[to].evfd, &one, sizeof one) < 0 && errno == EINTR)
			;
	}
}
