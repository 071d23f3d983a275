/*
 * system/traces.c: the node's tracing store and the rows of
 * system_traces.sessions / events.
 *
 * Cassandra writes trace rows into real tables with a 24 h TTL. Helenus
 * keeps the last N completed sessions (and at most M events each) in
 * memory instead: one mutex, taken to publish a finished session and to
 * read the tables, never on the path of an untraced request. Sessions are
 * published complete (duration set), so a driver polling for the duration
 * sees the session and all its events at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/sys_int.h"

struct sys_traces {
	pthread_mutex_t mu;
	int max_events;
	int cap, head, n;              /* ring of the last `cap` sessions */
	sys_trace_session **ring;
};

sys_traces *sys_traces_new(int max_sessions, int max_events)
{
	sys_traces *t = hl_calloc(1, sizeof *t);

	pthread_mutex_init(&t->mu, NULL);
	t->cap = max_sessions > 0 ? max_sessions : 1;
	t->max_events = max_events;
	t->ring = hl_calloc((size_t)t->cap, sizeof *t->ring);
	return t;
}

void sys_trace_session_free(sys_trace_session *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nevents; i++)
		free(s->events[i].activity);
	free(s->events);
	for (int i = 0; i < s->nparams; i++) {
		free(s->param_keys[i]);
		free(s->param_vals[i]);
	}
	free(s->param_keys);
	free(s->param_vals);
	free(s->request);
	free(s);
}

void sys_traces_free(sys_traces *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->cap; i++)
		sys_trace_session_free(t->ring[i]);
	free(t->ring);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

void sys_traces_publish(sys_traces *t, sys_trace_session *s)
{
	sys_trace_session *old;

	pthread_mutex_lock(&t->mu);
	old = t->ring[t->head];
	t->ring[t->head] = s;
	t->head = (t->head + 1) % t->cap;
	if (t->n < t->cap)
		t->n++;
	pthread_mutex_unlock(&t->mu);
	sys_trace_session_free(old);   /* outside the lock */
}

void sys_trace_param(sys_trace_session *s, const char *key, const char *val)
{
	int i, at = s->nparams;

	for (i = 0; i < s->nparams; i++) {
		int c = strcmp(key, s->param_keys[i]);

		if (c == 0) {
			free(s->param_vals[i]);
			s->param_vals[i] = hl_strdup(val);
			return;
		}
		if (c < 0) {
			at = i;
			break;
		}
	}
	s->param_keys = hl_realloc(s->param_keys, sizeof *s->param_keys * (size_t)(s->nparams + 1));
	s->param_vals = hl_realloc(s->param_vals, sizeof *s->param_vals * (size_t)(s->nparams + 1));
	memmove(s->param_keys + at + 1, s->param_keys + at, sizeof *s->param_keys * (size_t)(s->nparams - at));
	memmove(s->param_vals + at + 1, s->param_vals + at, sizeof *s->param_vals * (size_t)(s->nparams - at));
	s->param_keys[at] = hl_strdup(key);
	s->param_vals[at] = hl_strdup(val);
	s->nparams++;
}

void sys_trace_event_add(sys_trace_session *s, int max_events, int64_t now_us, int64_t start_us,
			 const char *thread, const char *activity)
{
	sys_trace_event *e;

	if (max_events > 0 && s->nevents >= max_events)
		return;
	if (s->nevents == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->events = hl_realloc(s->events, sizeof *s->events * (size_t)s->cap);
	}
	/* one timeuuid per microsecond keeps the events in the order they happened */
	if (now_us <= s->last_event_us)
		now_us = s->last_event_us + 1;
	s->last_event_us = now_us;
	e = &s->events[s->nevents++];
	hl_uuid_time(now_us, &e->event_id);
	e->activity = hl_strdup(activity);
	snprintf(e->thread, sizeof e->thread, "%s", thread);
	e->source_elapsed = now_us - start_us > INT32_MAX ? INT32_MAX : (int32_t)(now_us - start_us);
}

static void session_row(sys_rb *r, const sys_trace_session *s)
{
	sys__rb_row(r);
	sys__put_uuid(r, "session_id", &s->id);
	sys__put_inet(r, "client", &s->client);
	sys__put_text(r, "command", s->command);
	sys__put_inet(r, "coordinator", &s->coordinator);
	sys__put_int(r, "coordinator_port", s->coordinator_port);
	sys__put_int(r, "duration", s->duration);
	sys__put_kv(r, "parameters", (const char *const *)s->param_keys,
		    (const char *const *)s->param_vals, s->nparams);
	sys__put_text(r, "request", s->request);
	sys__put_bigint(r, "started_at", s->started_at_ms);
}

static void event_rows(sys_rb *r, const sys_trace_session *s)
{
	for (int i = 0; i < s->nevents; i++) {
		const sys_trace_event *e = &s->events[i];

		sys__rb_row(r);
		sys__put_uuid(r, "session_id", &s->id);
		sys__put_uuid(r, "event_id", &e->event_id);
		sys__put_text(r, "activity", e->activity);
		sys__put_inet(r, "source", &s->coordinator);
		sys__put_int(r, "source_port", s->coordinator_port);
		sys__put_int(r, "source_elapsed", e->source_elapsed);
		sys__put_text(r, "thread", e->thread);
	}
}

void sys__trace_rows(sys_rb *r, sys_traces *t, bool events)
{
	pthread_mutex_lock(&t->mu);
	for (int i = 0; i < t->cap; i++) {
		const sys_trace_session *s = t->ring[i];

		if (!s)
			continue;
		if (events)
			event_rows(r, s);
		else
			session_row(r, s);
	}
	pthread_mutex_unlock(&t->mu);
}
