/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Client connections counted and capped (contract in conns.h). */
#include "conns.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CLOSE_AFTER_NS 5000000ull /* after the reply: time for libzmq to write it */
#define BUSY_LOOK_NS 5000000ull   /* how often to look at a waiting connection being answered */

enum { NONE, ADMITTED, WAITING, BUSY, ANSWERED, SHUT };

struct mg_conns {
    long cap, nfd;
    _Atomic unsigned char *state; /* by descriptor */
    void *state_mem;              /* the same, for free() */
    _Atomic long open;
    _Atomic unsigned long long refused;
    struct {
        int fd;
        uint64_t deadline;        /* WAITING: end of the grace; ANSWERED: when to shut it */
        bool closing;             /* ANSWERED seen: deadline set */
    } wait[MG_CONNS_GRACE_SLOTS]; /* oldest first; main thread only */
    size_t nwait;
};

mg_conns *mg_conns_new(long cap, long nfd)
{
    mg_conns *c = calloc(1, sizeof *c);
    if (nfd > MG_CONNS_MAX_FDS)
        nfd = MG_CONNS_MAX_FDS;
    if (nfd < 0)
        nfd = 0;
    if (!c || !(c->state_mem = calloc((size_t)nfd + 1, sizeof *c->state))) {
        free(c);
        return NULL;
    }
    c->state = c->state_mem;
    c->cap = cap < 0 ? 0 : cap;
    c->nfd = nfd;
    atomic_init(&c->open, 0);
    atomic_init(&c->refused, 0);
    return c;
}

void mg_conns_free(mg_conns *c)
{
    if (!c)
        return;
    free(c->state_mem);
    free(c);
}

static bool tracked(const mg_conns *c, int fd)
{
    return c && fd >= 0 && fd < c->nfd;
}

static void unwait(mg_conns *c, size_t i)
{
    memmove(&c->wait[i], &c->wait[i + 1], (c->nwait - i - 1) * sizeof c->wait[0]);
    c->nwait--;
}

/* Forget what was known about fd (a connection gone, or one whose
 * disconnection was never reported). */
static void forget(mg_conns *c, int fd)
{
    unsigned char st = atomic_exchange(&c->state[fd], NONE);
    if (st == ADMITTED)
        atomic_fetch_sub(&c->open, 1);
    for (size_t i = 0; i < c->nwait; i++)
        if (c->wait[i].fd == fd) {
            unwait(c, i);
            break;
        }
}

static void shut(mg_conns *c, int fd)
{
    atomic_store(&c->state[fd], SHUT);
    atomic_fetch_add(&c->refused, 1);
    shutdown(fd, SHUT_RDWR); /* libzmq sees the end of the stream and closes fd */
}

bool mg_conns_accepted(mg_conns *c, int fd, uint64_t now_ns)
{
    if (!tracked(c, fd))
        return false;
    forget(c, fd);
    if (atomic_load(&c->open) < c->cap) {
        atomic_store(&c->state[fd], ADMITTED);
        atomic_fetch_add(&c->open, 1);
        return false;
    }
    if (c->nwait < MG_CONNS_GRACE_SLOTS) {
        c->wait[c->nwait].fd = fd;
        c->wait[c->nwait].deadline = now_ns + MG_CONNS_GRACE_MS * 1000000ull;
        c->wait[c->nwait].closing = false;
        c->nwait++;
        atomic_store(&c->state[fd], WAITING);
    } else {
        shut(c, fd);
    }
    return true;
}

void mg_conns_closed(mg_conns *c, int fd)
{
    if (tracked(c, fd))
        forget(c, fd);
}

uint64_t mg_conns_tick(mg_conns *c, uint64_t now_ns)
{
    if (!c)
        return UINT64_MAX;
    while (c->nwait > 0 && atomic_load(&c->open) < c->cap) {
        int fd = c->wait[0].fd;
        unwait(c, 0);
        atomic_store(&c->state[fd], ADMITTED);
        atomic_fetch_add(&c->open, 1);
    }
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < c->nwait;) {
        int fd = c->wait[i].fd;
        unsigned char st = atomic_load(&c->state[fd]);
        if (st == ANSWERED && !c->wait[i].closing) {
            c->wait[i].closing = true;
            c->wait[i].deadline = now_ns + CLOSE_AFTER_NS;
        }
        if (st == BUSY) {
            next = next < BUSY_LOOK_NS ? next : BUSY_LOOK_NS;
        } else if (now_ns >= c->wait[i].deadline) {
            shut(c, fd);
            unwait(c, i);
            continue;
        } else if (c->wait[i].deadline - now_ns < next) {
            next = c->wait[i].deadline - now_ns;
        }
        i++;
    }
    return next;
}

void mg_conns_request(mg_conns *c, int fd)
{
    unsigned char waiting = WAITING;
    if (tracked(c, fd))
        atomic_compare_exchange_strong(&c->state[fd], &waiting, BUSY);
}

void mg_conns_replied(mg_conns *c, int fd)
{
    unsigned char busy = BUSY;
    if (tracked(c, fd))
        atomic_compare_exchange_strong(&c->state[fd], &busy, ANSWERED);
}

long mg_conns_open(const mg_conns *c)
{
    return c ? atomic_load(&c->open) : 0;
}

long mg_conns_cap(const mg_conns *c)
{
    return c ? c->cap : 0;
}

unsigned long long mg_conns_refused(const mg_conns *c)
{
    return c ? atomic_load(&c->refused) : 0;
}
