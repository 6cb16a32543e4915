/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/ring: the bounded rings between the indexer's reader
 * and its analysis threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ring.h"

/* Reserve the head slot, give it a record with a body of body_len bytes,
 * and push it. */
static mg_ring_item *push_one(mg_ring *q, _Atomic int *failed, size_t body_len)
{
    mg_ring_item *it = mg_ring_reserve(q, failed, NULL, NULL);
    assert_non_null(it);
    mg_record_release(&it->rec);
    it->rec.title = strdup("");
    it->rec.body = calloc(1, body_len + 1);
    assert_non_null(it->rec.body);
    memset(it->rec.body, 'x', body_len);
    mg_ring_push(q, it);
    return it;
}

typedef struct waiter {
    _Atomic int failed;
    int calls;
} waiter;

static void give_up(void *ctx)
{
    waiter *w = ctx;
    w->calls++;
    w->failed = 1;
}

/* Whether mg_ring_reserve waits on q (a full ring): its wait callback fails
 * the run, which ends the wait. A ring with room hands out a slot at once. */
static int reserve_waits(mg_ring *q)
{
    waiter w = {0, 0};
    mg_ring_item *it = mg_ring_reserve(q, &w.failed, give_up, &w);
    return !it && w.calls > 0;
}

/* Slots go round in order; a full ring hands out nothing once the run has
 * failed (the reader must not wait for consumers that stopped). */
static void test_slots_in_order(void **state)
{
    (void)state;
    mg_ring q;
    _Atomic int failed = 0;
    assert_int_equal(mg_ring_init(&q, 4, 1u << 20), 0);
    for (int i = 0; i < 4; i++)
        assert_ptr_equal(push_one(&q, &failed, 10), &q.it[i]);
    assert_true(q.head == 4 && q.tail == 0);
    assert_true(q.bytes == 4 * (10 + 256));
    assert_true(reserve_waits(&q));
    failed = 1;
    assert_null(mg_ring_reserve(&q, &failed, NULL, NULL));
    failed = 0;
    mg_ring_pop(&q, &q.it[0]);
    mg_ring_pop(&q, &q.it[1]);
    assert_true(q.tail == 2 && q.bytes == 2 * (10 + 256));
    assert_false(reserve_waits(&q));
    assert_ptr_equal(push_one(&q, &failed, 10), &q.it[0]); /* round again */
    mg_ring_close(&q);
    assert_int_equal(q.eof, 1);
    mg_ring_release(&q);
    mg_ring_release(&q); /* released already: a no-op */
}

/* The byte bound holds with slots to spare. */
static void test_bytes_bound(void **state)
{
    (void)state;
    mg_ring q;
    _Atomic int failed = 0;
    assert_int_equal(mg_ring_init(&q, 64, 1000), 0);
    push_one(&q, &failed, 300);
    assert_false(reserve_waits(&q));
    push_one(&q, &failed, 300); /* 2 * 556 bytes: over 1000 */
    assert_true(reserve_waits(&q));
    mg_ring_release(&q);
}

typedef struct reserver {
    mg_ring *q;
    _Atomic int *failed;
    mg_ring_item *got;
} reserver;

static void *reserve_thread(void *arg)
{
    reserver *r = arg;
    r->got = mg_ring_reserve(r->q, r->failed, NULL, NULL);
    return NULL;
}

/* A reader waiting on a full ring gets its slot once consumers drained it
 * to half. */
static void test_reader_waits_for_half(void **state)
{
    (void)state;
    mg_ring q;
    _Atomic int failed = 0;
    assert_int_equal(mg_ring_init(&q, 4, 1u << 20), 0);
    for (int i = 0; i < 4; i++)
        push_one(&q, &failed, 1);
    reserver r = {&q, &failed, NULL};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, reserve_thread, &r), 0);
    mg_ring_pop(&q, &q.it[0]);
    mg_ring_pop(&q, &q.it[1]); /* half: the reader goes on */
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_ptr_equal(r.got, &q.it[0]);
    assert_int_equal(q.full_wait, 0);
    mg_ring_release(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_in_order),
        cmocka_unit_test(test_bytes_bound),
        cmocka_unit_test(test_reader_waits_for_half),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
