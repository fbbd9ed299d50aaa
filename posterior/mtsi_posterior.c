/* Posterior drift and feasibility (SPEC.md section 2). */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_posterior.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double mtsi_posterior_alpha_max(double A)
{
    return A > 0 ? 1.0 / (1.0 + sqrt(A)) : 1.0;
}

/* Below this alpha the closed form loses precision (it divides by alpha);
 * there the exact limit b_r -> b(0, x) is used (x is then known exactly). */
#define ALPHA_TINY 1e-9

int mtsi_posterior_coef_at(double alpha, double A, double h, mtsi_posterior_coef *co)
{
    if (!(alpha >= 0 && alpha <= 1))
        return mtsi_error_set(MTSI_EINVAL, "alpha = %g outside [0, 1]", alpha);
    if (alpha < ALPHA_TINY) {
        *co = (mtsi_posterior_coef){alpha, 1 - alpha, 1, 0, 0, 0, 1};
        return MTSI_OK;
    }
    const double rho = (1 - alpha) / alpha;
    if (A == 0) {
        /* linear reward: alpha_r = alpha, x_r = x + alpha^2 h/(1 - alpha),
         * b_r = b(alpha, x_r) - alpha h/(1 - alpha) */
        if (alpha == 1) {
            if (h != 0)
                return mtsi_error_set(MTSI_EINVAL,
                                      "a field at alpha = 1 makes x_r infinite; start at t_min > 0");
            *co = (mtsi_posterior_coef){1, 0, 1, 0, 0, 0, 1};
            return MTSI_OK;
        }
        *co = (mtsi_posterior_coef){alpha, 1 - alpha, 1, alpha * alpha / (1 - alpha), 0,
                                    -alpha / (1 - alpha), 1};
        return MTSI_OK;
    }
    const double r2 = rho * rho - A;
    if (r2 < 0)
        return mtsi_error_set(MTSI_EINVAL, "A = %g is infeasible at alpha = %g (needs alpha <= %g)", A,
                              alpha, mtsi_posterior_alpha_max(A));
    if (r2 == 0)
        return mtsi_error_set(MTSI_EINVAL,
                              "alpha = %g is at the feasibility edge of A = %g: x_r is infinite",
                              alpha, A);
    const double rr = sqrt(r2), ar = 1.0 / (1.0 + rr), br = rr / (1.0 + rr);
    /* x_r = (ar^2/br)(rho/alpha) x + (ar^2/br) h with ar^2/br = ar/rr:
     *   c = rho (1 + rho) / (rr (1 + rr)),  d = ar / rr.
     * b_r = (x - x_r + ar b)/alpha; 1 - c is formed without cancellation
     * from rr - rho = -A/(rr + rho). */
    const double c = rho * (1 + rho) / (rr * (1 + rr)), d = ar / rr;
    const double one_minus_c = (-A / (rr + rho)) * (1 + rr + rho) / (rr * (1 + rr));
    *co = (mtsi_posterior_coef){ar, br, c, d, one_minus_c / alpha, -d / alpha, ar / alpha};
    return MTSI_OK;
}

int mtsi_posterior_train_site(double alpha, double A, double h, double x0, double x1,
                              double *alpha_r, double *x_r, double *target)
{
    mtsi_posterior_coef co;
    int rc = mtsi_posterior_coef_at(alpha, A, h, &co);
    if (rc)
        return rc;
    const double x = alpha * x0 + (1 - alpha) * x1;
    *alpha_r = co.alpha_r;
    *x_r = co.c * x + co.d * h;
    *target = (x0 - x1 - co.k1 * x - co.k2 * h) / co.q;
    return MTSI_OK;
}

static double reward_A(const mtsi_reward *r, long a) { return r->A_site ? r->A_site[a] : r->A; }
static double reward_h(const mtsi_reward *r, long a) { return r->h_site ? r->h_site[a] : r->h; }

int mtsi_posterior_check(const mtsi_path *p, long nsample, const mtsi_reward *r, double t0)
{
    const long V = mtsi_path_sites(p);
    const int K = mtsi_path_nseg(p);
    double *al = malloc((size_t)V * sizeof(double));
    if (!al)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory");
    /* the largest A > 0 and whether some site has A = 0 with h != 0 */
    int rc = MTSI_OK;
    for (long i = 0; i < nsample && !rc; i++) {
        for (int seg = 0; seg < K && !rc; seg++) {
            double ta = (double)seg / K, tb = (double)(seg + 1) / K;
            if (tb <= t0)
                continue;
            if (ta < t0)
                ta = t0;
            for (int end = 0; end < 2 && !rc; end++) {
                double t = end ? tb : ta;
                mtsi_path_eval(p, i, seg, t, al, NULL);
                for (long a = 0; a < V; a++) {
                    if (al[a] == 0)
                        continue; /* known site: no drift needed */
                    double A = reward_A(r, a), h = reward_h(r, a);
                    double amax = mtsi_posterior_alpha_max(A);
                    if (A > 0 && al[a] > amax) {
                        double tneed = 1 - amax;
                        rc = mtsi_error_set(
                            MTSI_EINVAL,
                            "infeasible reward: A = %g > 0 needs alpha <= 1/(1 + sqrt(A)) = %.6g at "
                            "every site still to be sampled, but the path reaches alpha = %.6g "
                            "(site %ld, t = %.6g): a path from pure noise (alpha = 1) cannot "
                            "sample A > 0; start below that alpha (t >= %.6g on a generation "
                            "path) from configurations given with --from",
                            A, amax, al[a], a, t, tneed);
                        break;
                    }
                    if (A == 0 && h != 0 && al[a] >= 1) {
                        rc = mtsi_error_set(MTSI_EINVAL,
                                            "a field h = %g with A = 0 is singular at alpha = 1 "
                                            "(site %ld, t = %.6g): start at --t-min > 0",
                                            h, a, t);
                        break;
                    }
                }
            }
        }
    }
    free(al);
    return rc;
}

typedef struct {
    mtsi_drift *base;
    mtsi_reward r;
    double *h_site, *A_site;
    long V, cap;
    double *alpha_r, *x_r, *bb;
    double max_xr;
} post;

static void post_free(void *vp)
{
    post *p = vp;
    if (!p)
        return;
    free(p->h_site);
    free(p->A_site);
    free(p->alpha_r);
    free(p->x_r);
    free(p->bb);
    free(p);
}

static int post_eval(void *vp, long batch, const double *alpha, const double *x, double *b)
{
    post *p = vp;
    const long V = p->V, n = batch * V;
    if (n > p->cap) {
        free(p->alpha_r);
        free(p->x_r);
        free(p->bb);
        p->alpha_r = malloc((size_t)n * sizeof(double));
        p->x_r = malloc((size_t)n * sizeof(double));
        p->bb = malloc((size_t)n * sizeof(double));
        if (!p->alpha_r || !p->x_r || !p->bb) {
            p->cap = 0;
            return mtsi_error_set(MTSI_ENOMEM, "out of memory in the posterior drift");
        }
        p->cap = n;
    }
    /* coefficients are recomputed per site: alpha varies per site and sample */
    for (long i = 0; i < n; i++) {
        long a = i % V;
        mtsi_posterior_coef co;
        int rc = mtsi_posterior_coef_at(alpha[i], reward_A(&p->r, a), reward_h(&p->r, a), &co);
        if (rc)
            return rc;
        p->alpha_r[i] = co.alpha_r;
        double xr = co.c * x[i] + co.d * reward_h(&p->r, a);
        p->x_r[i] = xr;
        if (fabs(xr) > p->max_xr)
            p->max_xr = fabs(xr);
    }
    int rc = mtsi_drift_eval(p->base, batch, p->alpha_r, p->x_r, p->bb);
    if (rc)
        return rc;
    for (long i = 0; i < n; i++) {
        long a = i % V;
        mtsi_posterior_coef co;
        mtsi_posterior_coef_at(alpha[i], reward_A(&p->r, a), reward_h(&p->r, a), &co);
        b[i] = co.k1 * x[i] + co.k2 * reward_h(&p->r, a) + co.q * p->bb[i];
    }
    return MTSI_OK;
}

static const mtsi_drift_ops post_ops = {post_eval, post_free};

mtsi_drift *mtsi_drift_posterior_new(mtsi_drift *base, const mtsi_reward *r)
{
    post *p = mtsi_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->base = base;
    p->r = *r;
    p->V = mtsi_drift_sites(base);
    if (r->h_site) {
        p->h_site = malloc((size_t)p->V * sizeof(double));
        if (p->h_site)
            memcpy(p->h_site, r->h_site, (size_t)p->V * sizeof(double));
        p->r.h_site = p->h_site;
    }
    if (r->A_site) {
        p->A_site = malloc((size_t)p->V * sizeof(double));
        if (p->A_site)
            memcpy(p->A_site, r->A_site, (size_t)p->V * sizeof(double));
        p->r.A_site = p->A_site;
    }
    if ((r->h_site && !p->h_site) || (r->A_site && !p->A_site)) {
        post_free(p);
        mtsi_error_set(MTSI_ENOMEM, "out of memory");
        return NULL;
    }
    return mtsi_drift_wrap(&post_ops, p, mtsi_drift_shape(base), "posterior");
}

double mtsi_posterior_max_xr(mtsi_drift *d)
{
    post *p = mtsi_drift_self(d);
    return p->max_xr;
}
