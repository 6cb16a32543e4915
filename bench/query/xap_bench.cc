// SPDX-License-Identifier: GPL-2.0-or-later
// Peer harness: Xapian used directly (libxapian), for the relevance and
// latency benchmarks. Not part of lib/: this is how a Xapian user would do it
// (TermGenerator at index time, QueryParser at query time).
//
//   xap_bench index DB JSONL                 TermGenerator, English, STEM_SOME
//   xap_bench rel DB QUERIES.tsv [NAME]      TREC run (top 1000), QueryParser
//                                            defaults (OR), English, STEM_SOME
//   xap_bench lat DB QUERYFILE CORPUS SCHEME [PASSES]
//                                            top-10 ids, default op AND;
//                                            SCHEME own (an index from `index`)
//                                            or morgue (a morgue index: stems
//                                            without prefix, STEM_ALL, id in
//                                            value slot 4)
//   xap_bench remote HOST PORT QUERYFILE CORPUS SCHEME CLIENTS SECONDS
//                                            the same queries through
//                                            xapian-tcpsrv, CLIENTS connections
// For analysis, `lat` and `remote` also read BQ_XAP_COLLAPSE=SLOT (collapse
// key), BQ_XAP_TIEBREAK=SLOT (sort by relevance then value) and BQ_XAP_DATA=1
// (also read each hit's document data) and BQ_XAP_DOCIDS=1 (take Xapian's
// document numbers, not the ids: no document is opened) from the environment.
#include <xapian.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bq.h"

namespace {

const unsigned ID_SLOT_MORGUE = 4;     // MG_SLOT_ID in lib/schema.h
const unsigned RECORD_SLOT_MORGUE = 7; // MG_SLOT_RECORD

int add_doc(const mg_bq_doc *d, void *ctx)
{
    auto *db = static_cast<Xapian::WritableDatabase *>(ctx);
    Xapian::TermGenerator tg;
    tg.set_stemmer(Xapian::Stem("english"));
    tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    Xapian::Document doc;
    tg.set_document(doc);
    if (*d->title) {
        tg.index_text(d->title, 1, "S");
        tg.index_text(d->title);
        tg.increase_termpos();
    }
    tg.index_text(d->body);
    doc.set_data(d->id);
    std::string q = std::string("Q") + d->id;
    doc.add_boolean_term(q);
    db->replace_document(q, doc);
    return 0;
}

int cmd_index(const char *dbpath, const char *jsonl)
{
    Xapian::WritableDatabase db(dbpath, Xapian::DB_CREATE_OR_OVERWRITE);
    long n = mg_bq_jsonl_each(jsonl, add_doc, &db);
    if (n < 0)
        return 1;
    db.commit();
    std::fprintf(stderr, "xapian: indexed %ld documents into %s\n", n, dbpath);
    return 0;
}

Xapian::Query parse(Xapian::QueryParser &qp, const std::string &text)
{
    try {
        return qp.parse_query(text, Xapian::QueryParser::FLAG_DEFAULT);
    } catch (const Xapian::QueryParserError &) {
        return qp.parse_query(text, 0);
    }
}

int cmd_rel(const char *dbpath, const char *tsv, const char *name)
{
    Xapian::Database db(dbpath);
    Xapian::QueryParser qp;
    qp.set_stemmer(Xapian::Stem("english"));
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    qp.set_database(db);
    mg_bq_lines q;
    if (mg_bq_lines_read(tsv, 1, &q))
        return 1;
    Xapian::Enquire enq(db);
    enq.set_weighting_scheme(Xapian::BM25Weight());
    for (size_t i = 0; i < q.n; i++) {
        mg_bq_lower(q.text[i]);
        enq.set_query(parse(qp, q.text[i]));
        Xapian::MSet ms = enq.get_mset(0, 1000);
        unsigned rank = 0;
        for (auto it = ms.begin(); it != ms.end(); ++it)
            std::printf("%s Q0 %s %u %.6f %s\n", q.qid[i], it.get_document().get_data().c_str(),
                        ++rank, it.get_weight(), name);
    }
    mg_bq_lines_release(&q);
    return 0;
}

struct searcher {
    Xapian::Database db;
    Xapian::QueryParser qp;
    Xapian::Enquire enq;
    const mg_bq_lines *queries;
    bool morgue;
    bool read_data = false, docids_only = false;
    std::vector<std::string> ids;

    searcher(const Xapian::Database &d, const mg_bq_lines *q, bool m)
        : db(d), enq(db), queries(q), morgue(m)
    {
        qp.set_stemmer(Xapian::Stem("english"));
        qp.set_stemming_strategy(m ? Xapian::QueryParser::STEM_ALL
                                   : Xapian::QueryParser::STEM_SOME);
        // BQ_XAP_OR=1: the words ORed (Xapian's own pruning of an OR, the
        // peer of morgue's relaxed queries)
        const char *any = std::getenv("BQ_XAP_OR");
        qp.set_default_op(any && *any == '1' ? Xapian::Query::OP_OR : Xapian::Query::OP_AND);
        qp.set_database(db);
        // For analysis: what morgue's Enquire settings cost on their own.
        if (const char *e = std::getenv("BQ_XAP_COLLAPSE"))
            enq.set_collapse_key(static_cast<Xapian::valueno>(std::atoi(e)));
        if (const char *e = std::getenv("BQ_XAP_TIEBREAK"))
            enq.set_sort_by_relevance_then_value(static_cast<Xapian::valueno>(std::atoi(e)),
                                                 false);
        if (std::getenv("BQ_XAP_DATA"))
            read_data = true;
        if (std::getenv("BQ_XAP_DOCIDS"))
            docids_only = true;
    }

    // Top 10, and each hit's id read as a client would need it.
    size_t run(size_t qi)
    {
        enq.set_query(parse(qp, queries->text[qi]));
        Xapian::MSet ms = enq.get_mset(0, 10);
        ids.clear();
        for (auto it = ms.begin(); it != ms.end(); ++it) {
            if (docids_only) {
                ids.push_back(std::to_string(*it));
                continue;
            }
            Xapian::Document doc = it.get_document();
            ids.push_back(morgue ? doc.get_value(ID_SLOT_MORGUE) : doc.get_data());
            if (read_data && morgue)
                ids.back() += doc.get_value(RECORD_SLOT_MORGUE).substr(0, 1);
        }
        return ids.size();
    }
};

int one_pass(void *ctx, size_t qi, size_t *nhits)
{
    try {
        *nhits = static_cast<searcher *>(ctx)->run(qi);
        return 0;
    } catch (const Xapian::Error &e) {
        std::fprintf(stderr, "xapian: %s\n", e.get_description().c_str());
        return 1;
    }
}

bool scheme_is_morgue(const char *scheme)
{
    if (!std::strcmp(scheme, "morgue"))
        return true;
    if (!std::strcmp(scheme, "own"))
        return false;
    std::fprintf(stderr, "xap_bench: scheme must be own or morgue\n");
    std::exit(2);
}

int cmd_lat(const char *dbpath, const char *qfile, const char *corpus, const char *scheme,
            int passes)
{
    mg_bq_lines q;
    if (mg_bq_lines_read(qfile, 0, &q))
        return 1;
    bool m = scheme_is_morgue(scheme);
    searcher s(Xapian::Database(dbpath), &q, m);
    mg_bq_pass_result r;
    mg_bq_passes(one_pass, &s, q.n, passes, &r);
    const char *any = std::getenv("BQ_XAP_OR");
    bool ored = any && *any == '1';
    mg_bq_pass_print(stdout,
                     m ? (ored ? "xapian-raw-or" : "xapian-raw")
                       : (ored ? "xapian-own-index-or" : "xapian-own-index"),
                     corpus, &r);
    mg_bq_lines_release(&q);
    return 0;
}

struct remote_arg {
    const char *host;
    unsigned port;
    const mg_bq_lines *q;
    bool morgue;
};

void *remote_open(int, void *arg)
{
    auto *a = static_cast<remote_arg *>(arg);
    try {
        return new searcher(Xapian::Remote::open(a->host, a->port, 10000, 10000), a->q,
                            a->morgue);
    } catch (const Xapian::Error &e) {
        std::fprintf(stderr, "xapian remote: %s\n", e.get_description().c_str());
        return nullptr;
    }
}

int remote_one(void *ctx, size_t qi)
{
    size_t n;
    return one_pass(ctx, qi, &n);
}

void remote_close(void *ctx)
{
    delete static_cast<searcher *>(ctx);
}

int cmd_remote(const char *host, const char *port, const char *qfile, const char *corpus,
               const char *scheme, int clients, double seconds)
{
    mg_bq_lines q;
    if (mg_bq_lines_read(qfile, 0, &q))
        return 1;
    remote_arg a = {host, (unsigned)std::atoi(port), &q, scheme_is_morgue(scheme)};
    mg_bq_load_ops ops = {remote_open, remote_one, remote_close, &a};
    mg_bq_load_result r;
    int rc = mg_bq_load_run(&ops, clients, q.n, 1.0, seconds, &r);
    mg_bq_load_print(stdout, std::getenv("BQ_XAP_DOCIDS") ? "xapian-tcpsrv-docids" : "xapian-tcpsrv",
                     corpus, clients, &r);
    mg_bq_lines_release(&q);
    return rc ? 1 : 0;
}

int usage()
{
    std::fprintf(stderr, "usage: xap_bench index DB JSONL | rel DB QUERIES.tsv [NAME] |\n"
                         "       lat DB QUERYFILE CORPUS own|morgue [PASSES] |\n"
                         "       remote HOST PORT QUERYFILE CORPUS own|morgue CLIENTS SECONDS\n");
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    std::string cmd = argv[1];
    try {
        if (cmd == "index" && argc == 4)
            return cmd_index(argv[2], argv[3]);
        if (cmd == "rel" && (argc == 4 || argc == 5))
            return cmd_rel(argv[2], argv[3], argc == 5 ? argv[4] : "xapian");
        if (cmd == "lat" && (argc == 6 || argc == 7))
            return cmd_lat(argv[2], argv[3], argv[4], argv[5], argc == 7 ? std::atoi(argv[6]) : 3);
        if (cmd == "remote" && argc == 9)
            return cmd_remote(argv[2], argv[3], argv[4], argv[5], argv[6], std::atoi(argv[7]),
                              std::atof(argv[8]));
    } catch (const Xapian::Error &e) {
        std::fprintf(stderr, "xap_bench: %s\n", e.get_description().c_str());
        return 1;
    }
    return usage();
}
