/* Planning by inpainting, its evaluation and the closed loop (SPEC.md 8). */
#include "config.h"
#include "mtsi_maze_plan.h"

#include "mtsi_cli.h"
#include "mtsi_err.h"
#include "mtsi_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NP MTSI_MAZE_NPTS

void mtsi_maze_path_shape(mtsi_shape *s)
{
    memset(s, 0, sizeof *s);
    s->naxes = 1;
    s->n[0] = MTSI_MAZE_NPTS;
    s->channels = 2;
    snprintf(s->kind, sizeof s->kind, "path");
}

int mtsi_maze_k(int i) { return i < MTSI_MAZE_NK - 1 ? 5 * (i + 1) : NP - 1; }

void mtsi_maze_reinterp(const double *path, int k, double *out)
{
    int o = 0;
    for (int i = 0; i < k; i++)
        for (int s = 0; s < MTSI_MAZE_SUB; s++, o++) {
            double t = (double)s / MTSI_MAZE_SUB;
            out[2 * o] = (1 - t) * path[i] + t * path[i + 1];
            out[2 * o + 1] = (1 - t) * path[NP + i] + t * path[NP + i + 1];
        }
    out[2 * o] = path[k];
    out[2 * o + 1] = path[NP + k];
}

/* ---- baselines ----------------------------------------------------------- */

/* Points a..b of the polyline q (nq points, interleaved) at equal arc
 * length into channel-major path indices i0..i1. */
static void resample(const double *q, int nq, int i0, int i1, double *path)
{
    double total = mtsi_maze_polyline_length(nq, q);
    int seg = 0;
    double acc = 0; /* arc length at the start of segment seg */
    for (int i = i0; i <= i1; i++) {
        double s = i1 > i0 ? total * (i - i0) / (i1 - i0) : 0;
        while (seg < nq - 2) {
            double l = hypot(q[2 * seg + 2] - q[2 * seg], q[2 * seg + 3] - q[2 * seg + 1]);
            if (acc + l >= s)
                break;
            acc += l;
            seg++;
        }
        double l = nq > 1 ? hypot(q[2 * seg + 2] - q[2 * seg], q[2 * seg + 3] - q[2 * seg + 1]) : 0;
        double t = l > 0 ? (s - acc) / l : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        int j = nq > 1 ? seg + 1 : seg;
        path[i] = (1 - t) * q[2 * seg] + t * q[2 * j];
        path[NP + i] = (1 - t) * q[2 * seg + 1] + t * q[2 * j + 1];
    }
}

static int baseline_one(const mtsi_maze_baseline *b, int npin, const int *idx, const double *pin,
                        double *path, mtsi_rng *rng)
{
    double q[2 * 256];
    for (int i = 0; i <= idx[0]; i++) {
        path[i] = pin[0];
        path[NP + i] = pin[1];
    }
    for (int j = 0; j + 1 < npin; j++) {
        const double *a = pin + 2 * j, *c = pin + 2 * j + 2;
        /* twice the ball's radius leaves the chords room to cut corners
         * and keep the clearance; pins closer to a wall get what fits */
        int nq = 0;
        for (int t = 2; b->shortest && t >= 0 && nq < 2; t--)
            if (mtsi_maze_shortest(b->m, a, c, t * MTSI_MAZE_RADIUS, q, 256, &nq) < 0 || nq > 256)
                nq = 0;
        if (nq < 2) { /* straight, or no path with clearance (a pin too close to a wall) */
            q[0] = a[0], q[1] = a[1], q[2] = c[0], q[3] = c[1];
            nq = 2;
        }
        resample(q, nq, idx[j], idx[j + 1], path);
    }
    for (int i = idx[npin - 1]; i < NP; i++) {
        path[i] = pin[2 * npin - 2];
        path[NP + i] = pin[2 * npin - 1];
    }
    if (b->noise > 0)
        for (int i = 0; i < NP; i++) {
            int pinned = 0;
            for (int j = 0; j < npin; j++)
                pinned |= idx[j] == i;
            if (pinned)
                continue;
            path[i] += b->noise * mtsi_rng_normal(rng);
            path[NP + i] += b->noise * mtsi_rng_normal(rng);
        }
    /* pins exactly */
    for (int j = 0; j < npin; j++) {
        path[idx[j]] = pin[2 * j];
        path[NP + idx[j]] = pin[2 * j + 1];
    }
    return MTSI_OK;
}

static int baseline_fn(void *ctx, long n, int npin, const int *idx, const double *pin,
                       double *paths, mtsi_rng *rng)
{
    for (long i = 0; i < n; i++) {
        int rc = baseline_one(ctx, npin, idx, pin + 2 * npin * i, paths + 2 * NP * i, rng);
        if (rc)
            return rc;
    }
    return MTSI_OK;
}

int mtsi_maze_sampler_baseline(mtsi_maze_sampler *s, mtsi_maze_baseline *ctx,
                               const mtsi_maze *m, const char *kind, double noise)
{
    if (strcmp(kind, "straight") && strcmp(kind, "shortest"))
        return mtsi_error_set(MTSI_EINVAL, "unknown planner '%s' (expected straight or shortest)",
                              kind);
    if (!(noise >= 0) || !isfinite(noise))
        return mtsi_error_set(MTSI_EINVAL, "planner noise must be >= 0, got %g", noise);
    ctx->m = m;
    ctx->shortest = !strcmp(kind, "shortest");
    ctx->noise = noise;
    s->fn = baseline_fn;
    s->ctx = ctx;
    if (noise > 0)
        snprintf(s->name, sizeof s->name, "%s+noise:%g", kind, noise);
    else
        snprintf(s->name, sizeof s->name, "%s", kind);
    return MTSI_OK;
}

/* ---- planning ------------------------------------------------------------ */

static void keep_plan(mtsi_maze_plan_result *r, const double *path, int k)
{
    memcpy(r->path, path, sizeof r->path);
    mtsi_maze_reinterp(path, k, r->pts);
    r->npts = MTSI_MAZE_SUB * k + 1;
}

int mtsi_maze_plan_batch(const mtsi_maze *m, const mtsi_maze_sampler *s, long n,
                         const double *ends, mtsi_rng *rng, mtsi_maze_plan_result *r)
{
    double *pin = malloc((size_t)n * 4 * sizeof(double));
    double *paths = malloc((size_t)n * 2 * NP * sizeof(double));
    double *t = calloc((size_t)n, sizeof(double));
    long *live = malloc((size_t)n * sizeof(long));
    double buf[2 * MTSI_MAZE_MAXPLAN];
    int rc = MTSI_OK;
    if (!pin || !paths || !t || !live) {
        rc = mtsi_error_set(MTSI_ENOMEM, "out of memory (%ld plans)", n);
        goto out;
    }
    for (long i = 0; i < n; i++) {
        r[i].k = r[i].k_clear = -1;
        r[i].len = r[i].len_clear = r[i].time = r[i].time_clear = NAN;
        r[i].ntry = 0;
    }
    for (int ik = 0; ik < MTSI_MAZE_NK; ik++) {
        int k = mtsi_maze_k(ik), idx[2] = {0, k};
        long nl = 0;
        for (long i = 0; i < n; i++)
            if (r[i].k < 0 || r[i].k_clear < 0) {
                memcpy(pin + 4 * nl, ends + 4 * i, 4 * sizeof(double));
                live[nl++] = i;
            }
        if (!nl)
            break;
        double t0 = mtsi_wtime();
        rc = s->fn(s->ctx, nl, 2, idx, pin, paths, rng);
        if (rc)
            goto out;
        double share = (mtsi_wtime() - t0) / (double)nl;
        for (long j = 0; j < nl; j++) {
            mtsi_maze_plan_result *q = r + live[j];
            const double *path = paths + 2 * NP * j;
            t[live[j]] += share;
            q->ntry++;
            mtsi_maze_reinterp(path, k, buf);
            int np = MTSI_MAZE_SUB * k + 1;
            int ok = q->k < 0 && mtsi_maze_polyline_valid(m, np, buf, 0);
            if (q->k < 0 && (ok || ik == MTSI_MAZE_NK - 1))
                keep_plan(q, path, k);
            if (ok) {
                q->k = k;
                q->len = mtsi_maze_polyline_length(np, buf);
                q->time = t[live[j]];
            }
            if (q->k_clear < 0 && mtsi_maze_polyline_valid(m, np, buf, MTSI_MAZE_RADIUS)) {
                q->k_clear = k;
                q->len_clear = mtsi_maze_polyline_length(np, buf);
                q->time_clear = t[live[j]];
            }
        }
    }
    for (long i = 0; i < n; i++) /* the whole search when none was valid */
        if (r[i].k < 0)
            r[i].time = t[i];
out:
    free(pin), free(paths), free(t), free(live);
    return rc;
}

int mtsi_maze_plan(const mtsi_maze *m, const mtsi_maze_sampler *s, const double *start,
                   const double *goal, mtsi_rng *rng, mtsi_maze_plan_result *r)
{
    const double ends[4] = {start[0], start[1], goal[0], goal[1]};
    return mtsi_maze_plan_batch(m, s, 1, ends, rng, r);
}

int mtsi_maze_plan_pins(const mtsi_maze *m, const mtsi_maze_sampler *s, int npin,
                        const int *idx, const double *pin, mtsi_rng *rng,
                        mtsi_maze_plan_result *r)
{
    if (npin < 2 || idx[0] != 0)
        return mtsi_error_set(MTSI_EINVAL, "a plan needs the start at index 0 and a goal");
    for (int j = 1; j < npin; j++)
        if (idx[j] <= idx[j - 1] || idx[j] >= NP)
            return mtsi_error_set(MTSI_EINVAL,
                                  "pinned indices must increase within 0..%d, got %d after %d",
                                  NP - 1, idx[j], idx[j - 1]);
    double path[2 * NP];
    double t0 = mtsi_wtime();
    int rc = s->fn(s->ctx, 1, npin, idx, pin, path, rng);
    if (rc)
        return rc;
    int k = idx[npin - 1];
    keep_plan(r, path, k);
    r->ntry = 1;
    r->time = r->time_clear = mtsi_wtime() - t0;
    int ok = mtsi_maze_polyline_valid(m, r->npts, r->pts, 0);
    int okc = mtsi_maze_polyline_valid(m, r->npts, r->pts, MTSI_MAZE_RADIUS);
    r->len = r->len_clear = mtsi_maze_polyline_length(r->npts, r->pts);
    r->k = ok ? k : -1;
    r->k_clear = okc ? k : -1;
    if (!okc)
        r->len_clear = NAN;
    if (!ok)
        r->len = NAN;
    return MTSI_OK;
}

long mtsi_maze_track(const mtsi_maze *m, long n, const double *pts, long max_steps)
{
    mtsi_maze_state st = {{pts[0], pts[1]}, {0, 0}};
    mtsi_maze_ctrl c;
    mtsi_maze_ctrl_init(&c);
    long reached = -1;
    if (n < 2 ? mtsi_maze_ctrl_follow(&c, 1, pts) : mtsi_maze_ctrl_follow(&c, (int)n - 1, pts + 2))
        return -1;
    double a[2];
    for (long t = 0; t <= max_steps; t++) {
        if (mtsi_maze_ctrl_action(&c, &st, a)) {
            reached = t;
            break;
        }
        if (t < max_steps)
            mtsi_maze_step(m, &st, a);
    }
    mtsi_maze_ctrl_clear(&c);
    return reached;
}

/* ---- evaluation ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Empirical quantile q of sorted v[n] (linear between order statistics). */
static double quantile(const double *v, long n, double q)
{
    if (n < 1)
        return NAN;
    double h = q * (double)(n - 1);
    long i = (long)floor(h);
    if (i >= n - 1)
        return v[n - 1];
    return v[i] + (h - (double)i) * (v[i + 1] - v[i]);
}

static double mean(const double *v, long n)
{
    double s = 0;
    for (long i = 0; i < n; i++)
        s += v[i];
    return n ? s / (double)n : NAN;
}

static int kslot(int k)
{
    for (int i = 0; i < MTSI_MAZE_NK; i++)
        if (mtsi_maze_k(i) == k)
            return i;
    return MTSI_MAZE_NK;
}

/* A generator per pair and per batch in O(1): seeded with a 64-bit mix
 * (splitmix64's finaliser) of the seed, the purpose and the index (stream
 * i of a seed costs i jumps: quadratic over 10,000 pairs). */
static void seed_indexed(mtsi_rng *r, uint64_t seed, uint64_t purpose, uint64_t i)
{
    uint64_t z = seed ^ (purpose * 0xbf58476d1ce4e5b9ULL) ^ ((i + 1) * 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    mtsi_rng_seed(r, z ^ (z >> 31), 0);
}

/* Pair i (SPEC 8): two distinct random free cells, each at its integer
 * position + U(-0.1, 0.1) per axis. */
static void draw_pair(const mtsi_maze *m, uint64_t seed, long i, double *e)
{
    mtsi_rng rng;
    seed_indexed(&rng, seed, 1, (uint64_t)i);
    int nf = mtsi_maze_nfree(m), c[2], w, h;
    c[0] = (int)mtsi_rng_below(&rng, (uint64_t)nf);
    do
        c[1] = (int)mtsi_rng_below(&rng, (uint64_t)nf);
    while (c[1] == c[0]);
    for (int j = 0; j < 2; j++) {
        mtsi_maze_free_cell(m, c[j], &w, &h);
        e[2 * j] = w + (2 * mtsi_rng_uniform(&rng) - 1) * 0.1;
        e[2 * j + 1] = h + (2 * mtsi_rng_uniform(&rng) - 1) * 0.1;
    }
}

int mtsi_maze_eval(const mtsi_maze *m, const mtsi_maze_sampler *s, const mtsi_maze_eval_opts *o,
                   mtsi_maze_eval_result *res, mtsi_maze_plans *plans)
{
    memset(res, 0, sizeof *res);
    const long N = o->pairs, B = o->batch < 1 ? 1 : o->batch;
    double *ratio = malloc((size_t)N * sizeof(double)), *ratio_c = malloc((size_t)N * sizeof(double));
    double *times = malloc((size_t)N * sizeof(double)), *ends = malloc((size_t)B * 4 * sizeof(double));
    mtsi_maze_plan_result *r = malloc((size_t)B * sizeof *r);
    if (!ratio || !ratio_c || !times || !ends || !r) {
        free(ratio), free(ratio_c), free(times), free(ends), free(r);
        return mtsi_error_set(MTSI_ENOMEM, "out of memory (%ld pairs)", N);
    }
    mtsi_progress *pg = o->progress ? mtsi_progress_new("plans", N) : NULL;
    int rc = MTSI_OK;
    double sshort = 0;
    res->pairs = N;
    for (long i0 = 0; i0 < N && !rc; i0 += B) {
        long nb = N - i0 < B ? N - i0 : B;
        for (long j = 0; j < nb; j++)
            draw_pair(m, o->seed, i0 + j, ends + 4 * j);
        mtsi_rng rng;
        seed_indexed(&rng, o->seed, 2, (uint64_t)(i0 / B));
        rc = mtsi_maze_plan_batch(m, s, nb, ends, &rng, r);
        if (rc)
            break;
        for (long j = 0; j < nb; j++) {
            const mtsi_maze_plan_result *q = r + j;
            long i = i0 + j;
            double shortest = mtsi_maze_shortest(m, ends + 4 * j, ends + 4 * j + 2, 0, NULL, 0, NULL);
            sshort += shortest;
            times[i] = q->time;
            res->khist[q->k < 0 ? MTSI_MAZE_NK : kslot(q->k)]++;
            res->khist_clear[q->k_clear < 0 ? MTSI_MAZE_NK : kslot(q->k_clear)]++;
            if (q->k >= 0) {
                res->valid++;
                ratio[res->nratio++] = q->len / shortest;
                if (o->loop_steps > 0) { /* the kept points 0..k as waypoints */
                    double w[2 * NP];
                    for (int t = 0; t <= q->k; t++) {
                        w[2 * t] = q->path[t];
                        w[2 * t + 1] = q->path[NP + t];
                    }
                    res->loop_n++;
                    if (mtsi_maze_track(m, q->k + 1, w, o->loop_steps) >= 0)
                        res->loop_reached++;
                }
            }
            if (q->k_clear >= 0) {
                res->valid_clear++;
                ratio_c[res->nratio_clear++] = q->len_clear / shortest;
            }
            if (plans) {
                memcpy(plans->ends + 4 * i, ends + 4 * j, 4 * sizeof(double));
                plans->k[i] = q->k;
                plans->k_clear[i] = q->k_clear;
                memcpy(plans->paths + (size_t)i * 2 * NP, q->path, sizeof q->path);
            }
        }
        if (pg) {
            char extra[96];
            snprintf(extra, sizeof extra, "valid %ld/%ld", res->valid, i0 + nb);
            mtsi_progress_update(pg, i0 + nb, extra);
        }
        if (!rc && i0 + nb < N && mtsi_signal_pending())
            rc = mtsi_error_set(MTSI_EINTR, "interrupted after %ld of %ld pairs", i0 + nb, N);
    }
    if (!rc) {
        qsort(ratio, (size_t)res->nratio, sizeof(double), cmp_double);
        qsort(ratio_c, (size_t)res->nratio_clear, sizeof(double), cmp_double);
        qsort(times, (size_t)N, sizeof(double), cmp_double);
        res->ratio_mean = mean(ratio, res->nratio);
        res->ratio_p95 = quantile(ratio, res->nratio, 0.95);
        res->ratio_max = res->nratio ? ratio[res->nratio - 1] : NAN;
        res->ratio_clear_mean = mean(ratio_c, res->nratio_clear);
        res->ratio_clear_p95 = quantile(ratio_c, res->nratio_clear, 0.95);
        res->time_median = quantile(times, N, 0.5);
        res->time_mean = mean(times, N);
        res->time_p95 = quantile(times, N, 0.95);
        res->shortest_mean = N ? sshort / (double)N : NAN;
    }
    mtsi_progress_free(pg);
    free(ratio), free(ratio_c), free(times), free(ends), free(r);
    return rc;
}

static json_t *json_khist(const long *h, int *rc)
{
    json_t *o = json_object();
    char key[16];
    for (int i = 0; i < MTSI_MAZE_NK; i++) {
        snprintf(key, sizeof key, "%d", mtsi_maze_k(i));
        mtsi_json_set(o, key, json_integer(h[i]), rc);
    }
    mtsi_json_set(o, "none", json_integer(h[MTSI_MAZE_NK]), rc);
    return o;
}

int mtsi_maze_eval_json(FILE *f, const mtsi_maze *m, const mtsi_maze_sampler *s,
                        const mtsi_maze_eval_opts *o, const mtsi_maze_eval_result *r)
{
    static const mtsi_json_layout lay[] = {{"", NULL, NULL, "\n ", NULL}};
    double N = (double)r->pairs;
    int rc = MTSI_OK;
    json_t *doc = json_object(), *v = json_object(), *vc = json_object(), *lr = json_object(),
           *lrc = json_object(), *t = json_object(), *cl = o->loop_steps > 0 ? json_object() : json_null();
    mtsi_json_set(doc, "maze", mtsi_json_str(mtsi_maze_name(m)), &rc);
    mtsi_json_set(doc, "planner", mtsi_json_str(s->name), &rc);
    mtsi_json_set(doc, "pairs", json_integer(r->pairs), &rc);
    mtsi_json_set(doc, "batch", json_integer(o->batch < 1 ? 1 : o->batch), &rc);
    mtsi_json_set(doc, "seed", json_integer((json_int_t)o->seed), &rc);
    mtsi_json_set(v, "count", json_integer(r->valid), &rc);
    mtsi_json_set(v, "fraction", mtsi_json_num(r->valid / N), &rc);
    mtsi_json_set(doc, "valid", v, &rc);
    mtsi_json_set(vc, "count", json_integer(r->valid_clear), &rc);
    mtsi_json_set(vc, "fraction", mtsi_json_num(r->valid_clear / N), &rc);
    mtsi_json_set(doc, "valid_clearance", vc, &rc);
    mtsi_json_set(doc, "k_hist", json_khist(r->khist, &rc), &rc);
    mtsi_json_set(doc, "k_hist_clearance", json_khist(r->khist_clear, &rc), &rc);
    mtsi_json_set(lr, "n", json_integer(r->nratio), &rc);
    mtsi_json_set(lr, "mean", mtsi_json_num(r->ratio_mean), &rc);
    mtsi_json_set(lr, "p95", mtsi_json_num(r->ratio_p95), &rc);
    mtsi_json_set(lr, "max", mtsi_json_num(r->ratio_max), &rc);
    mtsi_json_set(doc, "length_ratio", lr, &rc);
    mtsi_json_set(lrc, "n", json_integer(r->nratio_clear), &rc);
    mtsi_json_set(lrc, "mean", mtsi_json_num(r->ratio_clear_mean), &rc);
    mtsi_json_set(lrc, "p95", mtsi_json_num(r->ratio_clear_p95), &rc);
    mtsi_json_set(doc, "length_ratio_clearance", lrc, &rc);
    mtsi_json_set(doc, "shortest_mean", mtsi_json_num(r->shortest_mean), &rc);
    mtsi_json_set(t, "median", mtsi_json_num(r->time_median), &rc);
    mtsi_json_set(t, "mean", mtsi_json_num(r->time_mean), &rc);
    mtsi_json_set(t, "p95", mtsi_json_num(r->time_p95), &rc);
    mtsi_json_set(doc, "time_per_plan_s", t, &rc);
    if (o->loop_steps > 0) {
        mtsi_json_set(cl, "steps", json_integer(o->loop_steps), &rc);
        mtsi_json_set(cl, "n", json_integer(r->loop_n), &rc);
        mtsi_json_set(cl, "reached", json_integer(r->loop_reached), &rc);
        mtsi_json_set(cl, "fraction",
                      mtsi_json_num(r->loop_n ? (double)r->loop_reached / (double)r->loop_n : NAN),
                      &rc);
    }
    mtsi_json_set(doc, "closed_loop", cl, &rc);
    if (!rc)
        rc = mtsi_json_write(f, doc, MTSI_JSON_G17, lay, 1);
    else
        mtsi_error_set(rc, "no memory for the JSON summary");
    json_decref(doc);
    return rc;
}
