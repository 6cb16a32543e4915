/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An example of libmorgue-client: search a running morgued and print the
 * hits, then fetch the best one in full.
 *
 *   cc -o search search.c $(pkg-config --cflags --libs morgue-client libzmq jansson)
 *   ./search "military parade" [ENDPOINT...]
 *
 * Without ENDPOINT it uses $MORGUE_ENDPOINT or morgued's default endpoints.
 * Exit status: 0 hits, 1 none, 2 error, 3 no daemon answered. */
#include <stdio.h>
#include <string.h>

#include <morgue_client.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s QUERY [ENDPOINT...]\n", argv[0]);
        return 2;
    }
    mg_client_opts opts;
    mg_client_opts_default(&opts);
    opts.timeout_ms = 3000; /* per attempt; then retried on a fresh socket */
    opts.retries = 1;

    mg_client_err err;
    mg_client *c = mg_client_new((const char *const *)argv + 2, (size_t)argc - 2, &opts, &err);
    if (!c) {
        fprintf(stderr, "connect: %s\n", err.msg);
        return 2;
    }

    mg_client_query q = {.query = argv[1],
                         .limit = 5,
                         .facets = MG_CLIENT_FACET_SOURCE,
                         .hl_start = "[",
                         .hl_end = "]"};
    mg_client_results *r;
    if (mg_client_search(c, &q, &r, &err) != 0) {
        if (err.code == MG_CLIENT_ESERVER)
            fprintf(stderr, "the daemon says %s: %s\n", err.server_code, err.msg);
        else
            fprintf(stderr, "search: %s\n", err.msg);
        mg_client_free(c);
        return err.code == MG_CLIENT_ETIMEOUT || err.code == MG_CLIENT_ENOSOCK ? 3 : 2;
    }

    printf("%llu result(s) in %lld us\n", r->total_estimate, r->took_us);
    for (size_t i = 0; i < r->nhits; i++) {
        const mg_client_hit *h = &r->hits[i];
        printf("%u. %s (%s, %s) id=%s\n   %s\n", h->rank, h->title, h->source, h->date, h->id,
               h->snippet ? h->snippet : "");
    }
    for (size_t f = 0; f < r->nfacets; f++)
        for (size_t v = 0; v < r->facets[f].nvalues; v++)
            printf("facet %s: %s = %lu\n", r->facets[f].name, r->facets[f].values[v].value,
                   r->facets[f].values[v].count);

    int status = r->nhits > 0 ? 0 : 1;
    if (r->nhits > 0) {
        mg_client_doc *d;
        if (mg_client_get(c, r->hits[0].id, &d, &err) == 0) {
            printf("best hit: %s, %zu bytes of text\n", d->title, strlen(d->body));
            mg_client_doc_free(d);
        } else {
            fprintf(stderr, "get: %s\n", err.msg);
            status = 2;
        }
    }
    mg_client_results_free(r);
    mg_client_free(c);
    return status;
}
