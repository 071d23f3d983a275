/*
 * net private header: the structures shared by the net/ files (server and
 * loop, connections, inter-shard messaging, timers). Only net/ includes it.
 */
#ifndef HL_NET_PRIV_H
#define HL_NET_PRIV_H

#include "net.h"

#include <pthread.h>
#include <stdatomic.h>

/* What an epoll event's data.ptr points at: the first member says. */
enum { NET_EV_LISTEN = 1, NET_EV_WAKE, NET_EV_CONN };

/* Slots per SPSC ring. Bursts beyond it wait in the sender's overflow
 * queue, so this only trades memory (N^2 rings) against retries. */
#define NET_RING_CAP 1024u
/* Messages taken from one ring per loop iteration, so one busy sender
 * cannot starve connections or the other rings. */
#define NET_RING_BATCH 256u

typedef struct net_msg {
	net_fn fn;
	void *arg;
} net_msg;

/* Growable FIFO (circular) of messages, single-threaded. */
typedef struct net_msgq {
	net_msg *v;
	size_t cap, head, len;
} net_msgq;

void net_msgq_push(net_msgq *q, net_msg m);
int net_msgq_pop(net_msgq *q, net_msg *m);   /* 0 ok, -1 empty */
void net_msgq_free(net_msgq *q);

/*
 * SPSC ring from one shard to another. head is written only by the
 * consumer, tail only by the producer; each on its own cache line so the
 * two threads do not false-share. Allocated 64-byte aligned.
 */
typedef struct net_ring {
	_Alignas(64) _Atomic uint32_t head;
	_Alignas(64) _Atomic uint32_t tail;
	_Alignas(64) net_msg slot[NET_RING_CAP];
} net_ring;

struct net_conn {
	int kind;                       /* NET_EV_CONN; must stay first */
	int fd;
	net_shard *sh;
	uint64_t id;
	int refs;                       /* the shard holds one while open */
	uint32_t events;                /* current epoll interest */
	bool closing, closed, paused_app, paused_bp, dirty;
	bool redeliver;                 /* unpaused with input buffered */
	hl_buf in;
	hl_buf out;
	size_t out_off;                 /* bytes of out already sent */
	void *data;
	struct sockaddr_storage peer;
	net_conn *prev, *next;          /* shard's open connections */
	net_conn *dirty_next;           /* shard's to-flush list */
	net_conn *grave_next;           /* shard's to-free list */
};

struct net_timer {
	int64_t deadline;               /* monotonic ns */
	uint64_t seq;                   /* FIFO among equal deadlines */
	size_t idx;                     /* position in the heap */
	net_fn fn;
	void *arg;
};

struct net_shard {
	net_server *srv;
	int id;
	pthread_t thread;
	int epfd;
	int evfd;                       /* wakes this shard */
	int kind_wake;                  /* NET_EV_WAKE, epoll tag */
	int kind_listen;                /* NET_EV_LISTEN, epoll tag */
	int lfd;                        /* listening socket, -1 if none */
	bool lfd_owned;                 /* false: shared with shard 0 */
	bool listen_paused;             /* out of fds: accept later */
	void *data;
	bool init_ok;
	bool no_posts;                  /* teardown reached */
	hl_err init_err;

	uint64_t next_conn_seq;
	net_conn *conns;                /* open connections */
	net_conn *dirty;                /* written to or closing this iteration */
	net_conn *grave;                /* refs reached 0; freed after events */

	net_msgq local;                 /* posts to self */
	/* posts from threads that are not shards (disk helpers...) */
	pthread_mutex_t ext_mu;
	net_msgq ext;                   /* under ext_mu */
	bool ext_closed;                /* under ext_mu: teardown reached */
	_Atomic int ext_pending;        /* hint: ext is not empty */
	net_msgq *ovf;                  /* [nshards]: waiting for ring space */
	size_t ovf_pending;             /* total messages in ovf */
	uint8_t *wake;                  /* [nshards]: posted to, write evfd */
	bool busy;                      /* work left: do not sleep */

	net_timer **heap;
	size_t nheap, capheap;
	uint64_t timer_seq;
};

struct net_server {
	net_opts opts;
	char *address;                  /* opts.address copy */
	int port;
	int nshards;
	net_shard *shards;
	net_ring *rings;                /* [to * nshards + from] */
	_Atomic int stop;
	int stop_evfd;                  /* wakes net_server_wait */

	/* startup handshake */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int nready;
	int go;                         /* 1 run, -1 abort */

	/* shutdown: rounds of draining until one passes with no work */
	pthread_barrier_t bar;
	_Atomic int64_t last_work_round;
};

/* post.c */
net_ring *net_ring_of(net_server *srv, int to, int from);
/* Run up to NET_RING_BATCH messages from each incoming ring and the local
 * queue's current contents; returns how many ran. */
size_t net_drain_incoming(net_shard *s);
/* Move overflow into rings as space allows; returns how many moved. */
size_t net_flush_overflow(net_shard *s);
/* Refuse further external posts and run the ones already queued. */
void net_close_external(net_shard *s);
void net_send_wakes(net_shard *s);

/* conn.c */
void net_accept(net_shard *s);
void net_conn_event(net_conn *c, uint32_t ev);
void net_flush_dirty(net_shard *s);
void net_free_graves(net_shard *s);
void net_close_all(net_shard *s);
void net_conn_teardown(net_conn *c);

/* timer.c */
void net_timers_run(net_shard *s);
int net_timers_timeout_ms(net_shard *s);  /* -1: no timer */
void net_timers_free(net_shard *s);

#endif
