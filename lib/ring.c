/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The indexer's bounded rings (ring.h): reserving, pushing and popping slots
 * under the ring's mutex, with hysteresis so that reader and consumers hand
 * over slots in batches. */
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int mg_ring_init(mg_ring *q, size_t cap, size_t max_bytes)
{
    memset(q, 0, sizeof *q);
    q->it = calloc(cap, sizeof *q->it);
    if (!q->it)
        return -1;
    q->cap = cap;
    q->max_bytes = max_bytes;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->space, NULL);
    pthread_cond_init(&q->work, NULL);
    pthread_cond_init(&q->done, NULL);
    return 0;
}

void mg_ring_release(mg_ring *q)
{
    if (!q->it)
        return;
    for (size_t i = 0; i < q->cap; i++) {
        mg_record_release(&q->it[i].rec);
        mg_xdoc_free(q->it[i].doc);
    }
    free(q->it);
    q->it = NULL;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->space);
    pthread_cond_destroy(&q->work);
    pthread_cond_destroy(&q->done);
}

void mg_ring_close(mg_ring *q)
{
    pthread_mutex_lock(&q->mu);
    q->eof = 1;
    pthread_cond_broadcast(&q->work);
    pthread_cond_broadcast(&q->done);
    pthread_cond_broadcast(&q->space);
    pthread_mutex_unlock(&q->mu);
}

/* At most half full, in slots and bytes (an empty ring always is). */
static int low(const mg_ring *q)
{
    return q->head - q->tail <= q->cap / 2 && q->bytes <= q->max_bytes / 2;
}

/* A full ring is left to drain to half before the reader goes on, so that
 * reader and consumer hand over slots in batches rather than wake each other
 * for every record. */
mg_ring_item *mg_ring_reserve(mg_ring *q, const _Atomic int *failed, void (*waiting)(void *ctx),
                              void *ctx)
{
    pthread_mutex_lock(&q->mu);
    if (q->head - q->tail >= q->cap || q->bytes >= q->max_bytes) {
        q->full_wait = 1;
        while (!*failed && !low(q)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            if (pthread_cond_timedwait(&q->space, &q->mu, &ts) == ETIMEDOUT) {
                pthread_mutex_unlock(&q->mu);
                if (waiting)
                    waiting(ctx);
                pthread_mutex_lock(&q->mu);
            }
        }
        q->full_wait = 0;
    }
    mg_ring_item *it = *failed ? NULL : &q->it[q->head % q->cap];
    pthread_mutex_unlock(&q->mu);
    return it;
}

void mg_ring_push(mg_ring *q, mg_ring_item *it)
{
    pthread_mutex_lock(&q->mu);
    it->bytes = strlen(it->rec.body) + strlen(it->rec.title) + 256;
    q->bytes += it->bytes;
    it->built = 0;
    it->prior = MG_PRIOR_UNKNOWN;
    q->head++;
    if (!q->checked_gate)
        pthread_cond_broadcast(&q->work);
    pthread_cond_broadcast(&q->done); /* the update writer checks new items */
    pthread_mutex_unlock(&q->mu);
}

void mg_ring_pop(mg_ring *q, mg_ring_item *it)
{
    pthread_mutex_lock(&q->mu);
    q->bytes -= it->bytes;
    q->tail++;
    if (q->full_wait && low(q))
        pthread_cond_broadcast(&q->space);
    pthread_mutex_unlock(&q->mu);
}
