/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bytes queued per client connection (contract in outq.h): each reply is a
 * message whose buffer starts with a header naming the client's account;
 * libzmq calls release() once it is done with the buffer, from its I/O
 * thread, and the bytes leave the account. An account lives while it has
 * bytes queued. */
#include "outq.h"

#include "hash.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 1024

typedef struct account {
    struct account *next;
    mg_outq *q;
    size_t bytes; /* queued for this client */
    uint64_t hash;
    int fe;
    size_t idlen;
    unsigned char id[]; /* the routing id */
} account;

/* Before each reply's bytes: which account they count against. */
typedef struct header {
    account *acc;
    size_t len;
    max_align_t align[]; /* the bytes follow, aligned */
} header;

struct mg_outq {
    pthread_mutex_t mu;
    size_t cap;
    size_t bytes; /* all clients */
    account *buckets[NBUCKETS];
};

mg_outq *mg_outq_new(size_t cap)
{
    mg_outq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    pthread_mutex_init(&q->mu, NULL);
    q->cap = cap;
    return q;
}

void mg_outq_free(mg_outq *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < NBUCKETS; i++)
        for (account *a = q->buckets[i], *next; a; a = next) {
            next = a->next;
            free(a);
        }
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static uint64_t hash_of(int fe, const unsigned char *id, size_t n)
{
    return mg_fnv1a64(MG_FNV64_OFFSET ^ (uint64_t)fe, id, n);
}

/* The account of (fe, id), made when missing (NULL: out of memory). Under mu. */
static account *lookup(mg_outq *q, int fe, const unsigned char *id, size_t n)
{
    uint64_t h = hash_of(fe, id, n);
    account **slot = &q->buckets[h % NBUCKETS];
    for (account *a = *slot; a; a = a->next)
        if (a->hash == h && a->fe == fe && a->idlen == n && memcmp(a->id, id, n) == 0)
            return a;
    account *a = malloc(sizeof *a + n);
    if (!a)
        return NULL;
    *a = (account){.next = *slot, .q = q, .hash = h, .fe = fe, .idlen = n};
    memcpy(a->id, id, n);
    *slot = a;
    return a;
}

/* Take the bytes of a released reply off its account; drop an account left
 * empty. */
static void release(void *data, void *hint)
{
    (void)hint;
    header *hd = (header *)((char *)data - offsetof(header, align));
    account *a = hd->acc;
    mg_outq *q = a->q;
    pthread_mutex_lock(&q->mu);
    a->bytes -= hd->len;
    q->bytes -= hd->len;
    if (a->bytes == 0) {
        account **p = &q->buckets[a->hash % NBUCKETS];
        while (*p != a)
            p = &(*p)->next;
        *p = a->next;
        free(a);
    }
    pthread_mutex_unlock(&q->mu);
    free(hd);
}

int mg_outq_msg(mg_outq *q, int fe, const void *id, size_t idlen, const void *data, size_t len,
                zmq_msg_t *msg)
{
    header *hd = malloc(sizeof *hd + len);
    if (!hd)
        return -1;
    memcpy(hd->align, data, len);
    hd->len = len;
    pthread_mutex_lock(&q->mu);
    account *a = lookup(q, fe, id, idlen);
    bool full = a && a->bytes > 0 && (a->bytes + len > q->cap || a->bytes + len < len);
    if (a && !full) {
        a->bytes += len;
        q->bytes += len;
    }
    pthread_mutex_unlock(&q->mu);
    if (!a || full) {
        free(hd);
        return a ? 0 : -1;
    }
    hd->acc = a;
    if (zmq_msg_init_data(msg, hd->align, len, release, NULL) != 0) {
        release(hd->align, NULL);
        return -1;
    }
    return 1;
}

size_t mg_outq_bytes(mg_outq *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->bytes;
    pthread_mutex_unlock(&q->mu);
    return n;
}
