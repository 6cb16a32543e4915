/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sharded indexes (docs/scaling.md): which shard an article goes to, and the
 * topology file that lists the shards of an index. A topology is a Xapian
 * stub database file (a directory holding one as XAPIANDB, as morgue-index
 * --shards writes, or a plain file), one shard a line:
 *
 *     # a comment
 *     auto s0                    a local database (relative to the file)
 *     glass /srv/morgue/s1       the same, naming the backend
 *     remote 10.0.0.2:7000       a shard behind xapian-tcpsrv
 *     remote 10.0.0.3:7000 10.0.0.4:7000
 *                                a shard with a replica: tried in order
 *
 * A file without replica lines is also a stub Xapian's own tools open
 * (xapian-delve). */
#ifndef MG_TOPOLOGY_H
#define MG_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MG_TOPO_MAX_SHARDS 256
#define MG_TOPO_MAX_REPLICAS 8
#define MG_TOPO_STUB "XAPIANDB" /* the stub's name inside a directory */

/* The shard, 0..n-1, of the article with id[0..len) in an index of n shards:
 * FNV-1a 64 of the id's bytes, finished by MurmurHash3's 64-bit finaliser,
 * modulo n. Fixed for good: an index's articles were placed by it. */
unsigned mg_shard_of(const char *id, size_t len, unsigned n);

typedef struct mg_topo_shard {
    int remote;                      /* host:port addresses, else a local path */
    unsigned nalt;                   /* 1, or more for a shard with replicas */
    char *alt[MG_TOPO_MAX_REPLICAS]; /* absolute paths, or "host:port" */
    char *name;                      /* the line without its keyword */
} mg_topo_shard;

typedef struct mg_topology {
    unsigned n;
    mg_topo_shard *shards;
    int remote; /* some shard is remote */
} mg_topology;

/* Whether path is a topology (a directory holding MG_TOPO_STUB and no
 * database of its own, or a regular file): 1, else 0. */
int mg_topology_is(const char *path);

/* Read the topology at path (a file, or a directory holding MG_TOPO_STUB).
 * MG_EINVAL "FILE:LINE: ..." for a line it cannot read, MG_ENOTFOUND/MG_EIO
 * when it cannot be read. Free with mg_topology_free (also after failure). */
int mg_topology_load(const char *path, mg_topology *t, mg_err *err);
void mg_topology_free(mg_topology *t);

/* Write dir/MG_TOPO_STUB naming the local shards s0 .. s(n-1) of dir, and
 * sync it. */
int mg_topology_write_local(const char *dir, unsigned n, mg_err *err);

/* Split "host:port" (port 1..65535). 0, or -1 when malformed. */
int mg_topology_split_addr(const char *addr, char *host, size_t cap, unsigned *port);

#ifdef __cplusplus
}
#endif
#endif
