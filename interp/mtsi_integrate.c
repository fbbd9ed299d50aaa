/* ODE and SDE integrators along an alpha path (SPEC 1.1):
 *   ODE  dX/dt = alpha' (.) b(alpha_t, X)
 *   SDE  dX = [alpha' (.) b - eps (X + (1 - alpha) (.) b)] dt + sqrt(2 eps alpha) dW
 * Steps are taken per path segment so kinks fall on step boundaries.
 * Sites with alpha = 0 and alpha' = 0 (observed or finished) stay fixed. */
#include "config.h"
#include "mtsi_err.h"
#include "mtsi_interp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mtsi_integrate_defaults(mtsi_integrate_opts *o)
{
    memset(o, 0, sizeof *o);
    o->kind = MTSI_INTEGRATOR_HEUN;
    o->steps = 50;
    o->eps = 0;
    o->schedule = MTSI_EPS_CONSTANT;
    o->t0 = 0;
    o->t1 = 1;
}

const char *mtsi_eps_schedule_name(mtsi_eps_schedule s)
{
    return s == MTSI_EPS_RISE ? "rise" : s == MTSI_EPS_LINEAR ? "linear" : "const";
}

static const char *const integrator_names[] = {"euler", "heun", "rk4", "em"};

const char *mtsi_integrator_name(mtsi_integrator_kind k)
{
    return k >= 0 && k < 4 ? integrator_names[k] : "?";
}

int mtsi_integrator_parse(const char *s, mtsi_integrator_kind *k)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, integrator_names[i])) {
            *k = (mtsi_integrator_kind)i;
            return MTSI_OK;
        }
    return mtsi_error_set(MTSI_EINVAL, "--integrator: unknown integrator '%s' (euler, heun, rk4)", s);
}

typedef struct {
    mtsi_drift *d;
    const mtsi_path *p;
    long batch, sample0, V;
    double *alpha, *dalpha, *b;
} ctx;

/* f = alpha' (.) b(alpha(t), X) for the whole batch (segment seg). */
static int rhs(ctx *c, int seg, double t, const double *X, double *f)
{
    const long V = c->V;
    for (long i = 0; i < c->batch; i++)
        mtsi_path_eval(c->p, c->sample0 + i, seg, t, c->alpha + i * V, c->dalpha + i * V);
    int rc = mtsi_drift_eval(c->d, c->batch, c->alpha, X, c->b);
    if (rc)
        return rc;
    for (long i = 0; i < c->batch * V; i++)
        f[i] = c->dalpha[i] == 0 ? 0.0 : c->dalpha[i] * c->b[i];
    return MTSI_OK;
}

static double eps_at(const mtsi_integrate_opts *o, double t)
{
    return o->schedule == MTSI_EPS_LINEAR ? o->eps * (1.0 - t)
           : o->schedule == MTSI_EPS_RISE ? o->eps * t
                                          : o->eps;
}

/* One Euler-Maruyama step of the SDE from the drift evaluated in c (k1 =
 * alpha' b). reversal: per value eps = |alpha'| / (1 - alpha). Values held
 * by the path do not move. */
static void em_step(ctx *c, int seg, double eps, int reversal, double h, const double *k1,
                    double *x, mtsi_rng *rng)
{
    const long V = c->V;
    for (long i = 0; i < c->batch * V; i++) {
        double al = c->alpha[i];
        if (al == 0 && c->dalpha[i] == 0)
            continue; /* held exactly */
        if (c->dalpha[i] == 0 && mtsi_path_held(c->p, c->sample0 + i / V, seg, i % V))
            continue;
        double e = reversal ? (al < 1 ? fabs(c->dalpha[i]) / (1.0 - al) : 0.0) : eps;
        double drift = k1[i] - e * (x[i] + (1.0 - al) * c->b[i]);
        double noise = sqrt(2.0 * e * al * h) * mtsi_rng_normal(rng);
        x[i] += h * drift + noise;
    }
}

int mtsi_integrate(mtsi_drift *d, const mtsi_path *p, const mtsi_integrate_opts *o, long batch,
                   long sample0, double *x, mtsi_rng *rng)
{
    const long V = mtsi_path_sites(p);
    if (V != mtsi_drift_sites(d))
        return mtsi_error_set(MTSI_EINVAL, "the path has %ld sites but the model %ld", V,
                              mtsi_drift_sites(d));
    if (o->steps < 1)
        return mtsi_error_set(MTSI_EINVAL, "--steps: need at least 1 step, got %ld", o->steps);
    if (!(o->t0 >= 0 && o->t0 < o->t1 && o->t1 <= 1))
        return mtsi_error_set(MTSI_EINVAL, "integration interval [%g, %g] is not inside [0, 1]",
                              o->t0, o->t1);
    if (o->kind == MTSI_INTEGRATOR_EM && !(o->eps >= 0 && isfinite(o->eps)))
        return mtsi_error_set(MTSI_EINVAL, "--sde: eps must be >= 0, got %g", o->eps);
    const long n = batch * V;
    const int nbuf = 8;
    double *mem = malloc((size_t)(nbuf * n) * sizeof(double));
    if (!mem)
        return mtsi_error_set(MTSI_ENOMEM, "out of memory for the integrator (batch %ld)", batch);
    ctx c = {d, p, batch, sample0, V, mem, mem + n, mem + 2 * n};
    double *k1 = mem + 3 * n, *k2 = mem + 4 * n, *k3 = mem + 5 * n, *k4 = mem + 6 * n,
           *xt = mem + 7 * n;
    int rc = MTSI_OK;
    const int K = mtsi_path_nseg(p);
    for (int seg = 0; seg < K && !rc; seg++) {
        double a = (double)seg / K, bnd = (double)(seg + 1) / K;
        if (a < o->t0)
            a = o->t0;
        if (bnd > o->t1)
            bnd = o->t1;
        if (!(bnd > a))
            continue;
        const int reversal = mtsi_path_seg_reversal(p, seg);
        /* The last stage of a noisy inpainting path moves every point over
         * alpha in [0, alpha_s] only: steps in proportion to that span
         * (the first stage's alpha_s ... 1 gets the full count), at least 4. */
        long steps = o->steps;
        if (reversal) {
            const double as = mtsi_path_obs_alpha(p);
            long r = (long)ceil((double)o->steps * as / (1.0 - as));
            steps = r < 4 ? 4 : r;
            if (steps > o->steps)
                steps = o->steps;
        }
        const double h = (bnd - a) / (double)steps;
        for (long s = 0; s < steps && !rc; s++) {
            double t = a + h * (double)s;
            switch (reversal ? MTSI_INTEGRATOR_EM : o->kind) {
            case MTSI_INTEGRATOR_EULER:
                if (!(rc = rhs(&c, seg, t, x, k1)))
                    for (long i = 0; i < n; i++)
                        x[i] += h * k1[i];
                break;
            case MTSI_INTEGRATOR_HEUN:
                if ((rc = rhs(&c, seg, t, x, k1)))
                    break;
                for (long i = 0; i < n; i++)
                    xt[i] = x[i] + h * k1[i];
                if ((rc = rhs(&c, seg, t + h, xt, k2)))
                    break;
                for (long i = 0; i < n; i++)
                    x[i] += 0.5 * h * (k1[i] + k2[i]);
                break;
            case MTSI_INTEGRATOR_RK4:
                if ((rc = rhs(&c, seg, t, x, k1)))
                    break;
                for (long i = 0; i < n; i++)
                    xt[i] = x[i] + 0.5 * h * k1[i];
                if ((rc = rhs(&c, seg, t + 0.5 * h, xt, k2)))
                    break;
                for (long i = 0; i < n; i++)
                    xt[i] = x[i] + 0.5 * h * k2[i];
                if ((rc = rhs(&c, seg, t + 0.5 * h, xt, k3)))
                    break;
                for (long i = 0; i < n; i++)
                    xt[i] = x[i] + h * k3[i];
                if ((rc = rhs(&c, seg, t + h, xt, k4)))
                    break;
                for (long i = 0; i < n; i++)
                    x[i] += h / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
                break;
            case MTSI_INTEGRATOR_EM: {
                if ((rc = rhs(&c, seg, t, x, k1)))
                    break;
                em_step(&c, seg, eps_at(o, t), reversal || o->schedule == MTSI_EPS_REVERSAL, h, k1,
                        x, rng);
                break;
            }
            }
        }
    }
    free(mem);
    return rc;
}
