// SPDX-License-Identifier: GPL-2.0-or-later
// The shards of a sharded index, for searching (docs/scaling.md): each
// local or remote (xapian-tcpsrv), combined into one Xapian::Database that
// merges rankings with global statistics. A shard that cannot be reached
// is left out of the combination (its name is in missing()) until it
// answers again; a shard with replicas fails over to the next one.
//
// Which shards are down is known process-wide: the first handle that finds
// one down logs it once and a background thread (started then) tries it
// every MG_SHARD_PROBE_MS until it answers, logs that too, and lets every
// handle take it back at its next refresh(). One ShardSet per thread, as
// for any Xapian::Database.
#ifndef MG_XAPIAN_SHARDS_HH
#define MG_XAPIAN_SHARDS_HH

#include <xapian.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#define MG_SHARD_PROBE_MS 200
// A connection to a remote shard is made again after this long, at the next
// reopen: xapian-tcpsrv reopens its database at the same path, which does
// not see a new generation published at the same Xapian revision (a
// --rebuild or --compact on the shard's host, each at revision 1).
#define MG_SHARD_RECONNECT_MS 1000

namespace mg
{

class ShardSet
{
  public:
    // Open the topology at path (topology.h). Throws a Xapian error when a
    // local shard cannot be opened or the file is wrong (InvalidArgumentError);
    // a remote shard that cannot be reached is only missing.
    explicit ShardSet(const std::string &path);
    const Xapian::Database &db() const { return all_; }
    bool remote() const { return remote_; }
    size_t size() const { return parts_.size(); }
    // Take back the shards that answer again and leave out those another
    // handle found down. true: the combination changed.
    bool refresh();
    // Reopen every shard at its latest revision, connecting again to a
    // remote one connected MG_SHARD_RECONNECT_MS ago or more (a network
    // error drops the shard). true: something changed.
    bool reopen();
    // After a network error from db(): leave out the shard it came from
    // (failing over to its next replica, or reconnecting at once when its
    // server closed the connection and answers again). true: db() changed
    // and the call may be retried; false: nothing to leave out.
    bool failed(const Xapian::NetworkError &e);
    // Whether f holds for the database of every shard open.
    bool every(const std::function<bool(const Xapian::Database &)> &f) const
    {
        for (const Part &p : parts_)
            if (p.cur >= 0 && !f(p.db))
                return false;
        return true;
    }
    // The names of the shards left out (topology.h), in topology order.
    const std::vector<std::string> &missing() const { return missing_; }
    // The sum of the local shards' revisions (remote ones do not tell).
    unsigned long long revision() const;
    // A stamp of what every shard holds (never 0), the same in every
    // process that sees the same shards: a hash of each shard's uuid and,
    // for a local one, its path and revision; for a remote one (whose
    // server tells no revision) its document count, last document number,
    // total length and morgue-index's metadata of its last commit and run
    // (a round trip each). Throws a Xapian error (NetworkError) as db() would.
    unsigned long long stamp() const;

  private:
    struct Part {
        bool remote = false;
        std::vector<std::string> alts; // local path, or host:port of each replica
        std::string name;
        int cur = -1; // the alternative open, -1: none (missing)
        Xapian::Database db;
        std::chrono::steady_clock::time_point opened; // when db was connected
    };
    bool connect(Part &p, int skip);
    void combine();
    std::vector<Part> parts_;
    Xapian::Database all_;
    std::vector<std::string> missing_;
    bool remote_ = false;
    unsigned long seen_gen_ = 0;
};

// Process-wide: the timeout of every remote operation and connection (ms),
// and where to log (level MG_LOG_*, one line, no newline; NULL: nowhere).
void shards_configure(unsigned timeout_ms, void (*log)(void *ctx, int level, const char *msg),
                      void *ctx);

} // namespace mg

#endif
