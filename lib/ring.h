/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bounded rings that carry records from the indexer's reading thread to
 * its analysis threads (lib/index*.c): a fixed array of work items, bounded
 * in slots and in bytes, so memory stays bounded whatever the input. The
 * reader reserves the head slot, fills it and pushes it; the consumers
 * (index_update.c, index_rebuild.c) take slots under q->mu and pop the tail
 * when done with it. */
#ifndef MG_RING_H
#define MG_RING_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "xapian_shim.h"

/* One record in flight, and what analysis made of it. */
typedef struct mg_ring_item {
    mg_record rec;
    mg_xdoc *doc; /* update ring: made once per slot, reused */
    char uid[MG_XDB_MAX_TERM + 1];
    char where[320]; /* "FILE:LINE" for messages */
    uint64_t hash;
    size_t bytes;
    int dup;   /* the id was seen earlier in this run */
    int built; /* update ring: analysis done */
    int prior; /* update ring: what the index holds for the id (MG_PRIOR_*) */
    int rc;    /* analysis result */
    char msg[256];
} mg_ring_item;

/* What the writer found in the index before analysis. A record whose stored
 * hash is equal is not analysed at all; duplicates within the run are looked
 * up only when applied (an earlier copy may change the answer). */
enum { MG_PRIOR_UNKNOWN = 0, MG_PRIOR_ABSENT, MG_PRIOR_EQUAL, MG_PRIOR_DIFFERENT };

/* Slots [tail, head) are in flight. Update ring: the writer looks items up in
 * [checked, head), builders take [mid, checked), the writer applies the tail
 * once built (tail <= mid <= checked <= head). Shard ring: the worker takes
 * the tail. */
typedef struct mg_ring {
    mg_ring_item *it;
    size_t cap;
    unsigned long long head, checked, mid, tail;
    size_t bytes, max_bytes;
    int eof;
    int full_wait; /* the reader waits for the ring to drain to half */
    /* update ring: the builders wait for the writer's check of an item,
     * not for its push (mg_ring_push() leaves them asleep) */
    int checked_gate;
    pthread_mutex_t mu;
    pthread_cond_t space, work, done;
} mg_ring;

/* An empty ring of cap slots holding at most max_bytes of records (as
 * counted by mg_ring_push); -1 when out of memory. */
int mg_ring_init(mg_ring *q, size_t cap, size_t max_bytes);
/* Free the ring and the records and documents its slots kept; a zeroed or
 * released ring is left alone. */
void mg_ring_release(mg_ring *q);
/* Mark the end of input and wake every waiter: consumers finish what is in
 * flight and return. */
void mg_ring_close(mg_ring *q);
/* Wait for a free slot at the head of q and return it; NULL once *failed is
 * set. While it waits, waiting(ctx) is called about five times a second (on
 * the calling thread, q->mu not held; waiting may be NULL). */
mg_ring_item *mg_ring_reserve(mg_ring *q, const _Atomic int *failed, void (*waiting)(void *ctx),
                              void *ctx);
/* Hand the slot mg_ring_reserve returned, filled, to the consumers. */
void mg_ring_push(mg_ring *q, mg_ring_item *it);
/* The consumer is done with the tail slot it: free it for the reader. */
void mg_ring_pop(mg_ring *q, mg_ring_item *it);

#endif
