/* A stream of configurations from a pool of chains (mtsi_stream.h). */
#include "config.h"
#include "mtsi_stream.h"
#include "mtsi_err.h"
#include "mtsi_out.h"

#include <stdlib.h>
#include <string.h>

struct mtsi_stream {
    long n, therm, thin, V;
    mtsi_chain **ch;
    long *updates, *drawn; /* per chain */
    long total;            /* configurations drawn; the next comes from chain total % n */
};

void mtsi_stream_free(mtsi_stream *s)
{
    if (!s)
        return;
    if (s->ch)
        for (long i = 0; i < s->n; i++)
            mtsi_chain_free(s->ch[i]);
    free(s->ch);
    free(s->updates);
    free(s->drawn);
    free(s);
}

mtsi_stream *mtsi_stream_new(const mtsi_phi4_params *p, const mtsi_sampler_opts *o,
                             uint64_t seed, uint64_t first, long n, long therm, long thin)
{
    return mtsi_stream_new_tilted(p, o, seed, first, n, therm, thin, NULL, NULL);
}

mtsi_stream *mtsi_stream_new_tilted(const mtsi_phi4_params *p, const mtsi_sampler_opts *o,
                                    uint64_t seed, uint64_t first, long n, long therm, long thin,
                                    const double *h, const double *A)
{
    if (n < 1 || therm < 0 || thin < 1) {
        mtsi_error_set(MTSI_EINVAL, "stream: bad settings (%ld chains, therm %ld, thin %ld)", n,
                       therm, thin);
        return NULL;
    }
    mtsi_stream *s = mtsi_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->n = n;
    s->therm = therm;
    s->thin = thin;
    s->V = p->V;
    s->ch = mtsi_calloc((size_t)n, sizeof *s->ch);
    s->updates = mtsi_calloc((size_t)n, sizeof(long));
    s->drawn = mtsi_calloc((size_t)n, sizeof(long));
    if (!s->ch || !s->updates || !s->drawn) {
        mtsi_stream_free(s);
        return NULL;
    }
    for (long i = 0; i < n; i++) {
        mtsi_phi4_params pc = *p;
        mtsi_sampler_opts oc = *o;
        if (h || A) {
            pc.h = h ? h[i] : p->h;
            pc.A = A ? A[i] : p->A;
            mtsi_sampler_defaults(&oc, o->kind, &pc);
        }
        s->ch[i] = mtsi_chain_new(&pc, &oc, seed, first + (uint64_t)i, NULL);
        if (!s->ch[i]) {
            mtsi_stream_free(s);
            return NULL;
        }
        mtsi_chain_set_interruptible(s->ch[i], 0);
    }
    return s;
}

long mtsi_stream_chains(const mtsi_stream *s) { return s->n; }
long mtsi_stream_drawn(const mtsi_stream *s) { return s->total; }

int mtsi_stream_thermalize(mtsi_stream *s)
{
    int err = 0, intr = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : err, intr)
    for (long i = 0; i < s->n; i++) {
        while (!err && !intr && s->updates[i] < s->therm) {
            if (mtsi_signal_pending())
                intr = 1;
            else if (mtsi_chain_advance(s->ch[i], i, &s->updates[i], s->therm, NULL))
                err = 1;
        }
    }
    if (err)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EFAIL;
    if (intr)
        return mtsi_error_set(MTSI_EINTR, "interrupted while thermalising the %ld chains of the "
                                          "stream",
                              s->n);
    return MTSI_OK;
}

int mtsi_stream_draw(mtsi_stream *s, long m, double *x, long *chain)
{
    const long n = s->n, V = s->V, k0 = s->total % n;
    const long lanes = m < n ? m : n;
    int err = 0;
    /* lane l: chain (k0 + l) mod n, samples l, l + n, l + 2n, ... in order */
#pragma omp parallel for schedule(static) reduction(| : err)
    for (long l = 0; l < lanes; l++) {
        const long c = (k0 + l) % n;
        for (long j = l; j < m && !err; j += n) {
            for (long k = 0; k < s->thin && !err; k++)
                if (mtsi_chain_advance(s->ch[c], c, &s->updates[c], s->therm, NULL))
                    err = 1;
            if (!err) {
                memcpy(x + j * V, mtsi_chain_field(s->ch[c]), (size_t)V * sizeof(double));
                if (chain)
                    chain[j] = c;
                s->drawn[c]++;
            }
        }
    }
    if (err)
        return mtsi_error_code() ? mtsi_error_code() : MTSI_EFAIL;
    s->total += m;
    return MTSI_OK;
}

void mtsi_stream_save(mtsi_stream *s, mtsi_chain_table *t, long row0)
{
    for (long i = 0; i < s->n; i++)
        mtsi_chain_table_put(t, row0 + i, s->ch[i], s->updates[i], s->drawn[i]);
}

int mtsi_stream_restore(mtsi_stream *s, const mtsi_chain_table *t, long row0, const char *what)
{
    const long n = s->n;
    long total = 0;
    mtsi_chain_state *st = mtsi_malloc((size_t)n * sizeof *st);
    long *u = mtsi_malloc((size_t)n * sizeof(long)), *d = mtsi_malloc((size_t)n * sizeof(long));
    int rc = st && u && d ? MTSI_OK : MTSI_ENOMEM;
    for (long i = 0; !rc && i < n; i++) {
        mtsi_chain_table_get(t, row0 + i, &st[i], &u[i], &d[i]);
        total += d[i];
    }
    for (long i = 0; !rc && i < n; i++) {
        long want = total / n + (i < total % n ? 1 : 0);
        if (d[i] != want || u[i] != s->therm + d[i] * s->thin)
            rc = mtsi_error_set(MTSI_EINVAL, "%s: chain %ld of the stream has made %ld updates "
                                             "and given %ld configurations, not %ld and %ld "
                                             "(corrupt checkpoint; start over with --force)",
                                what, row0 + i, u[i], d[i], s->therm + want * s->thin, want);
    }
    for (long i = 0; !rc && i < n; i++) {
        mtsi_chain_set_state(s->ch[i], &st[i], t->fields + (row0 + i) * t->V);
        s->updates[i] = u[i];
        s->drawn[i] = d[i];
    }
    if (!rc)
        s->total = total;
    free(st);
    free(u);
    free(d);
    return rc;
}
