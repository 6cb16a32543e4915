// SPDX-License-Identifier: GPL-2.0-or-later
// A measuring prototype, not part of morgue: what a delta layout for
// nightly updates would cost searches (bench/RESULTS-index.md, 2026-12-07).
// BASE is an index; a delta is a fresh index of the night's changed and new
// articles; the mask is the set of BASE's documents they replace or that
// were deleted, applied as AND_NOT of a posting source over BASE (and
// nothing over the delta). A stub file names BASE then the delta.
//
//   g++ -O2 -std=c++17 -o delta_proto bench/index/delta_proto.cc -lxapian
//   delta_proto mask BASE FEED.jsonl DEL.txt OUT   BASE's documents of the
//       feed's ids and of the deleted ids (one a line): OUT, docids (u32)
//   delta_proto lat BASE STUB MASK QUERIES PASSES   per query of QUERIES
//       (QueryParser, AND, english stems), in turns: BASE alone, BASE and the
//       delta, BASE and the delta with the mask; top 10 and an exact count
#include <xapian.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

using clk = std::chrono::steady_clock;

struct MaskSource : Xapian::PostingSource {
    std::shared_ptr<std::vector<Xapian::docid>> base_ids;
    std::string base_uuid;
    const std::vector<Xapian::docid> *ids = nullptr;
    std::vector<Xapian::docid> none;
    size_t i = 0;
    bool started = false;
    MaskSource(std::shared_ptr<std::vector<Xapian::docid>> b, std::string u) : base_ids(b), base_uuid(u) {}
    void init(const Xapian::Database &db) override {
        ids = db.get_uuid() == base_uuid ? base_ids.get() : &none;
        i = 0; started = false;
    }
    void next(double) override { if (started) i++; started = true; }
    void skip_to(Xapian::docid d, double) override {
        if (!started) started = true;
        auto it = std::lower_bound(ids->begin() + i, ids->end(), d);
        i = it - ids->begin();
    }
    bool at_end() const override { return i >= ids->size(); }
    Xapian::docid get_docid() const override { return (*ids)[i]; }
    double get_weight() const override { return 0; }
    Xapian::doccount get_termfreq_min() const override { return ids ? ids->size() : 0; }
    Xapian::doccount get_termfreq_est() const override { return ids ? ids->size() : 0; }
    Xapian::doccount get_termfreq_max() const override { return ids ? ids->size() : 0; }
    MaskSource *clone() const override { return new MaskSource(base_ids, base_uuid); }
    std::string name() const override { return "MaskSource"; }
};

static double ms(clk::time_point a, clk::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

int main(int argc, char **argv)
{
    if (argc == 6 && !strcmp(argv[1], "mask")) {
        auto t0 = clk::now();
        Xapian::Database base(argv[2]);
        std::vector<Xapian::docid> out;
        std::ifstream f(argv[3]);
        std::string line;
        size_t nfeed = 0, ndel = 0;
        auto look = [&](const std::string &id) {
            std::string t = "Q" + id;
            Xapian::PostingIterator p = base.postlist_begin(t);
            if (p != base.postlist_end(t)) out.push_back(*p);
        };
        while (std::getline(f, line)) {
            size_t k = line.find("\"id\":");
            if (k == std::string::npos) continue;
            k = line.find('"', k + 5);
            if (k == std::string::npos) continue;
            k++;
            look(line.substr(k, line.find('"', k) - k));
            nfeed++;
        }
        std::ifstream d(argv[4]);
        while (std::getline(d, line)) if (!line.empty()) { look(line); ndel++; }
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        FILE *o = fopen(argv[5], "wb");
        fwrite(out.data(), sizeof(Xapian::docid), out.size(), o);
        fclose(o);
        printf("feed %zu, deleted %zu, masked %zu in %.0f ms\n", nfeed, ndel, out.size(), ms(t0, clk::now()));
        return 0;
    }
    if (argc == 7 && !strcmp(argv[1], "lat")) {
        Xapian::Database base(argv[2]), both(argv[3]);
        auto ids = std::make_shared<std::vector<Xapian::docid>>();
        FILE *m = fopen(argv[4], "rb");
        Xapian::docid x;
        while (fread(&x, sizeof x, 1, m) == 1) ids->push_back(x);
        fclose(m);
        std::string uuid = base.get_uuid();
        std::vector<std::string> qs;
        std::ifstream f(argv[5]);
        std::string line;
        while (std::getline(f, line)) if (!line.empty()) qs.push_back(line);
        int passes = atoi(argv[6]);
        Xapian::QueryParser qp;
        qp.set_stemmer(Xapian::Stem("english"));
        qp.set_stemming_strategy(Xapian::QueryParser::STEM_ALL);
        qp.set_default_op(Xapian::Query::OP_AND);
        // modes: db (0 base, 1 base+delta, 2 base+delta masked) x (top10, exact count)
        std::vector<double> t[6];
        unsigned long long totals[6] = {0, 0, 0, 0, 0, 0};
        for (int p = 0; p < passes; p++)
            for (const std::string &s : qs) {
                Xapian::Query q;
                try { qp.set_database(base); q = qp.parse_query(s); } catch (...) { continue; }
                for (int mode = 0; mode < 6; mode++) {
                    int which = mode % 3;
                    bool masked = which == 2;
                    Xapian::Database &db = which ? both : base;
                    Xapian::Enquire e(db);
                    MaskSource src(ids, uuid);
                    e.set_query(masked ? Xapian::Query(Xapian::Query::OP_AND_NOT, q, Xapian::Query(&src)) : q);
                    auto a = clk::now();
                    Xapian::MSet ms_ = e.get_mset(0, 10, mode >= 3 ? db.get_doccount() : 0);
                    auto b = clk::now();
                    t[mode].push_back(ms(a, b));
                    if (p == 0) totals[mode] += ms_.get_matches_estimated();
                }
            }
        const char *names[6] = {"base top10", "base+delta top10", "base+delta masked top10", "base exact count", "base+delta exact count", "base+delta masked exact count"};
        for (int mode = 0; mode < 6; mode++) {
            auto v = t[mode];
            std::sort(v.begin(), v.end());
            double sum = 0; for (double d : v) sum += d;
            printf("%-32s n %zu  p50 %.2f  p95 %.2f  p99 %.2f  mean %.2f ms  (sum of estimates, pass 1: %llu)\n", names[mode], v.size(),
                   v[v.size() / 2], v[v.size() * 95 / 100], v[v.size() * 99 / 100], sum / v.size(), totals[mode]);
        }
        return 0;
    }
    fprintf(stderr, "usage\n");
    return 2;
}
