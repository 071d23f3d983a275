/*
 * net/timer.c: one-shot timers per shard in a binary min-heap keyed by
 * monotonic deadline; the loop sleeps in epoll_wait until the earliest.
 * Each timer knows its heap slot, so cancelling (the common case for
 * request timeouts) is O(log n) rather than a search.
 */
#include "net_priv.h"

#include <stdlib.h>

static bool earlier(const net_timer *a, const net_timer *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->seq < b->seq;
}

static void heap_set(net_shard *s, size_t i, net_timer *t)
{
	s->heap[i] = t;
	t->idx = i;
}

static void sift_up(net_shard *s, size_t i)
{
	net_timer *t = s->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!earlier(t, s->heap[p]))
			break;
		heap_set(s, i, s->heap[p]);
		i = p;
	}
	heap_set(s, i, t);
}

static void sift_down(net_shard *s, size_t i)
{
	net_timer *t = s->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		net_timer *best = t;

		if (l < s->nheap && earlier(s->heap[l], best)) {
			m = l;
			best = s->heap[l];
		}
		if (l + 1 < s->nheap && earlier(s->heap[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		heap_set(s, i, s->heap[m]);
		i = m;
	}
	heap_set(s, i, t);
}

static void heap_remove(net_shard *s, size_t i)
{
	net_timer *last = s->heap[--s->nheap];

	if (i == s->nheap)
		return;
	heap_set(s, i, last);
	sift_down(s, i);
	sift_up(s, last->idx);
}

net_timer *net_timer_add(net_shard *s, uint64_t delay_ms, net_fn fn, void *arg)
{
	net_timer *t = hl_calloc(1, sizeof *t);

	/* clamp so absurd delays do not overflow the deadline */
	if (delay_ms > (uint64_t)INT64_MAX / 2000000)
		delay_ms = (uint64_t)INT64_MAX / 2000000;
	t->deadline = hl_mono_nanos() + (int64_t)delay_ms * 1000000;
	t->seq = s->timer_seq++;
	t->fn = fn;
	t->arg = arg;
	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? s->capheap * 2 : 16;
		s->heap = hl_realloc(s->heap, s->capheap * sizeof *s->heap);
	}
	s->heap[s->nheap] = t;
	t->idx = s->nheap++;
	sift_up(s, t->idx);
	return t;
}

void net_timer_cancel(net_shard *s, net_timer *t)
{
	if (!t || t->idx >= s->nheap || s->heap[t->idx] != t)
		return;
	heap_remove(s, t->idx);
	free(t);
}

void net_timers_run(net_shard *s)
{
	int64_t now = hl_mono_nanos();
	/* a callback re-arming with delay 0 must wait for the next
	 * iteration, or a zero-delay chain would starve the loop: bound the
	 * pass by the count present at the start */
	size_t budget = s->nheap;

	while (s->nheap && budget--) {
		net_timer *t = s->heap[0];
		net_fn fn = t->fn;
		void *arg = t->arg;

		if (t->deadline > now)
			break;
		heap_remove(s, 0);
		/* freed first: the handle is documented dead once fn starts */
		free(t);
		fn(s, arg);
	}
}

int net_timers_timeout_ms(net_shard *s)
{
	int64_t d;

	if (!s->nheap)
		return -1;
	d = s->heap[0]->deadline - hl_mono_nanos();
	if (d <= 0)
		return 0;
	/* round up: waking early would just spin until the deadline */
	d = (d + 999999) / 1000000;
	return d > 3600000 ? 3600000 : (int)d;
}

void net_timers_free(net_shard *s)
{
	size_t i;

	for (i = 0; i < s->nheap; i++)
		free(s->heap[i]);
	free(s->heap);
	s->heap = NULL;
	s->nheap = s->capheap = 0;
}
