// SPDX-License-Identifier: GPL-2.0-or-later
// The shards of a sharded index for searching (xapian_shards.hh).
#include "xapian_shards.hh"

#include "hash.h"
#include "loglevel.h"
#include "schema.h"
#include "topology.h"

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

namespace mg
{

namespace
{

// What the process knows of its remote shards: which addresses are down,
// a generation counter bumped at every change, the prober thread.
struct Health {
    std::mutex mu;
    std::set<std::string> down;
    unsigned long gen = 1;
    bool prober = false;
    unsigned timeout_ms = 2000;
    void (*log)(void *ctx, int level, const char *msg) = nullptr;
    void *ctx = nullptr;
};

Health &health()
{
    static Health *h = new Health; // never freed: the prober may outlive main()
    return *h;
}

// Log through the configured function; call with h.mu held.
void say(Health &h, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void say(Health &h, int level, const char *fmt, ...)
{
    if (!h.log)
        return;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    h.log(h.ctx, level, msg);
}

Xapian::Database open_remote(const std::string &addr)
{
    char host[256];
    unsigned port;
    if (mg_topology_split_addr(addr.c_str(), host, sizeof host, &port))
        throw Xapian::InvalidArgumentError("shard address is not HOST:PORT: " + addr);
    unsigned t = health().timeout_ms;
    return Xapian::Remote::open(host, port, t, t);
}

bool is_down(const std::string &addr)
{
    Health &h = health();
    std::lock_guard<std::mutex> g(h.mu);
    return h.down.count(addr) != 0;
}

unsigned long generation()
{
    Health &h = health();
    std::lock_guard<std::mutex> g(h.mu);
    return h.gen;
}

// Try each address down until it answers again.
void probe_loop()
{
    Health &h = health();
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(MG_SHARD_PROBE_MS));
        std::vector<std::string> todo;
        {
            std::lock_guard<std::mutex> g(h.mu);
            todo.assign(h.down.begin(), h.down.end());
        }
        for (const std::string &addr : todo) {
            try {
                Xapian::Database db = open_remote(addr);
                db.get_doccount();
            } catch (...) {
                continue;
            }
            std::lock_guard<std::mutex> g(h.mu);
            if (h.down.erase(addr)) {
                h.gen++;
                say(h, MG_LOG_INFO, "shard %s answers again: searched again from now on",
                    addr.c_str());
            }
        }
    }
}

// Note addr down (logged once per outage) and start the prober.
void mark_down(const std::string &addr, const std::string &why)
{
    Health &h = health();
    std::lock_guard<std::mutex> g(h.mu);
    if (!h.down.insert(addr).second)
        return;
    h.gen++;
    say(h, MG_LOG_WARN,
        "shard %s unreachable (%.300s): searches answer from the other shards, marked "
        "partial; trying it again in the background",
        addr.c_str(), why.c_str());
    if (!h.prober) {
        try {
            std::thread(probe_loop).detach();
            h.prober = true;
        } catch (...) {
            // no thread: the shard comes back when the topology is reopened
        }
    }
}

} // namespace

void shards_configure(unsigned timeout_ms, void (*log)(void *ctx, int level, const char *msg),
                      void *ctx)
{
    Health &h = health();
    std::lock_guard<std::mutex> g(h.mu);
    h.timeout_ms = timeout_ms;
    h.log = log;
    h.ctx = ctx;
}

ShardSet::ShardSet(const std::string &path)
{
    mg_topology t;
    mg_err err;
    mg_err_clear(&err);
    if (mg_topology_load(path.c_str(), &t, &err)) {
        mg_topology_free(&t);
        throw Xapian::InvalidArgumentError(err.msg);
    }
    try {
        for (unsigned k = 0; k < t.n; k++) {
            Part p;
            p.remote = t.shards[k].remote != 0;
            p.name = t.shards[k].name;
            for (unsigned a = 0; a < t.shards[k].nalt; a++)
                p.alts.emplace_back(t.shards[k].alt[a]);
            parts_.push_back(p);
            remote_ |= p.remote;
        }
    } catch (...) {
        mg_topology_free(&t);
        throw;
    }
    mg_topology_free(&t);
    seen_gen_ = generation();
    for (Part &p : parts_)
        connect(p, -1);
    combine();
}

// Open p: its path, or the first of its replicas that is not known to be
// down (but skip). false: none could be opened (p is missing).
bool ShardSet::connect(Part &p, int skip)
{
    p.cur = -1;
    p.db = Xapian::Database();
    if (!p.remote) { // a local shard that cannot be opened is an error
        p.db = Xapian::Database(p.alts[0]);
        p.cur = 0;
        return true;
    }
    for (size_t i = 0; i < p.alts.size(); i++) {
        if (static_cast<int>(i) == skip || is_down(p.alts[i]))
            continue;
        try {
            p.db = open_remote(p.alts[i]);
            p.cur = static_cast<int>(i);
            p.opened = std::chrono::steady_clock::now();
            return true;
        } catch (const Xapian::NetworkError &e) {
            mark_down(p.alts[i], e.get_msg());
        }
    }
    return false;
}

void ShardSet::combine()
{
    all_ = Xapian::Database();
    missing_.clear();
    for (const Part &p : parts_)
        if (p.cur >= 0)
            all_.add_database(p.db);
        else
            missing_.push_back(p.name);
}

bool ShardSet::refresh()
{
    unsigned long g = generation();
    if (g == seen_gen_)
        return false;
    seen_gen_ = g;
    bool changed = false;
    for (Part &p : parts_) {
        if (!p.remote)
            continue;
        if (p.cur >= 0 && is_down(p.alts[static_cast<size_t>(p.cur)])) {
            connect(p, p.cur); // another handle found it down: its replica, if any
            changed = true;
        } else if (p.cur < 0 && connect(p, -1)) {
            changed = true;
        }
    }
    if (changed)
        combine();
    return changed;
}

bool ShardSet::reopen()
{
    bool changed = false;
    auto now = std::chrono::steady_clock::now();
    for (Part &p : parts_) {
        if (p.cur < 0)
            continue;
        try {
            if (p.remote && now - p.opened >= std::chrono::milliseconds(MG_SHARD_RECONNECT_MS)) {
                p.db = open_remote(p.alts[static_cast<size_t>(p.cur)]);
                p.opened = now;
                changed = true;
                continue;
            }
            changed |= p.db.reopen();
        } catch (const Xapian::NetworkError &e) {
            if (!p.remote)
                throw;
            int was = p.cur;
            mark_down(p.alts[static_cast<size_t>(was)], e.get_msg());
            connect(p, was);
            changed = true;
        }
    }
    if (changed)
        combine();
    return changed;
}

bool ShardSet::failed(const Xapian::NetworkError &e)
{
    const std::string &where = e.get_context(); // "remote:tcp(HOST:PORT)"
    bool timeout = strcmp(e.get_type(), "NetworkTimeoutError") == 0;
    bool found = false;
    for (Part &p : parts_)
        if (p.remote && p.cur >= 0 &&
            where == "remote:tcp(" + p.alts[static_cast<size_t>(p.cur)] + ")")
            found = true;
    bool changed = false;
    // Every remote connection is made again: the others were left in the
    // middle of the exchange the failure interrupted.
    for (Part &p : parts_) {
        if (!p.remote || p.cur < 0)
            continue;
        int was = p.cur;
        const std::string &addr = p.alts[static_cast<size_t>(was)];
        bool culprit = where == "remote:tcp(" + addr + ")";
        if (!found) { // not told which: the one that does not answer
            try {
                p.db.keep_alive();
            } catch (const Xapian::NetworkError &) {
                culprit = true;
            }
        }
        if (culprit && timeout) {
            mark_down(addr, e.get_msg());
            connect(p, was);
        } else { // the culprit at once too: its server may have restarted
            connect(p, -1);
        }
        changed |= culprit;
    }
    combine();
    return changed || found;
}

unsigned long long ShardSet::stamp() const
{
    std::string s;
    for (const Part &p : parts_) {
        s += p.name + '\n';
        if (p.cur < 0) {
            s += "-\n";
            continue;
        }
        s += p.db.get_uuid() + ' ';
        if (p.remote)
            s += std::to_string(p.db.get_doccount()) + ' ' + std::to_string(p.db.get_lastdocid()) +
                 ' ' + std::to_string(p.db.get_total_length()) + ' ' +
                 p.db.get_metadata(MG_META_BUILT) + ' ' + p.db.get_metadata(MG_META_ADDED);
        else
            s += p.alts[0] + ' ' + std::to_string(p.db.get_revision());
        s += '\n';
    }
    uint64_t h = mg_fnv1a64(MG_FNV64_OFFSET, s.data(), s.size());
    return h ? h : 1;
}

unsigned long long ShardSet::revision() const
{
    unsigned long long sum = 0;
    for (const Part &p : parts_)
        if (!p.remote && p.cur >= 0)
            sum += p.db.get_revision();
    return sum;
}

} // namespace mg
