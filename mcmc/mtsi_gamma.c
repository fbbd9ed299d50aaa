/* The Gamma-method of Wolff (2004) for primary and derived observables over
 * several replica, and a plain bootstrap. Formulas in mtsi_gamma.h. */
#include "config.h"
#include "mtsi_gamma.h"
#include "mtsi_err.h"
#include "mtsi_rng.h"

#include <fftw3.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mtsi_gamma {
    int nobs, nrep;
    long n;          /* total length */
    long maxlen;     /* longest replicum */
    long *len;       /* [nrep] */
    long *off;       /* [nrep] start of each replicum */
    double stau;
    double *data;    /* [nobs][n] */
    double *mean;    /* [nobs] */
    double *var;     /* [nobs] mean square deviation (1/N normalisation) */
    double *rmean;   /* [nobs][nrep] per-replicum means */
    int *isset;      /* [nobs] */
    int *isconst;    /* [nobs] every value bitwise equal */
    /* workspace: allocated once, reused by every analysis */
    double *delta;   /* [n] projected fluctuations */
    double *gam;     /* [maxlen/2 + 1] Gamma_F(t) */
    double *grad;    /* [nobs] */
    double *abar;    /* [nobs] scratch argument of f */
    /* Lags beyond fft_lag come from one FFT of each replicum instead of
     * direct sums: O(N log N) rather than O(N W) when W is large (a very
     * slow or frozen chain). Buffers and plans are made on first use. */
    long fft_lag;
    long nfft;
    double *fin, *facc;
    fftw_complex *fout;
    fftw_plan fwd, bwd;
};

mtsi_gamma *mtsi_gamma_new(int nobs, int nrep, const long *len)
{
    if (nobs < 1) {
        mtsi_error_set(MTSI_EINVAL, "gamma: need at least one observable, got %d", nobs);
        return NULL;
    }
    if (nrep < 1 || !len) {
        mtsi_error_set(MTSI_EINVAL, "gamma: need at least one replicum, got %d", nrep);
        return NULL;
    }
    long n = 0, maxlen = 0;
    for (int r = 0; r < nrep; r++) {
        if (len[r] < 1) {
            mtsi_error_set(MTSI_EINVAL, "gamma: replicum %d has length %ld (must be >= 1)", r,
                           len[r]);
            return NULL;
        }
        if (len[r] > maxlen)
            maxlen = len[r];
        n += len[r];
    }
    mtsi_gamma *g = mtsi_calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->nobs = nobs;
    g->nrep = nrep;
    g->n = n;
    g->maxlen = maxlen;
    g->stau = MTSI_GAMMA_STAU;
    g->fft_lag = MTSI_GAMMA_FFT_LAG;
    g->len = mtsi_malloc((size_t)nrep * sizeof *g->len);
    g->off = mtsi_malloc((size_t)nrep * sizeof *g->off);
    g->data = mtsi_malloc((size_t)nobs * (size_t)n * sizeof *g->data);
    g->mean = mtsi_calloc((size_t)nobs, sizeof *g->mean);
    g->var = mtsi_calloc((size_t)nobs, sizeof *g->var);
    g->rmean = mtsi_calloc((size_t)nobs * (size_t)nrep, sizeof *g->rmean);
    g->isset = mtsi_calloc((size_t)nobs, sizeof *g->isset);
    g->isconst = mtsi_calloc((size_t)nobs, sizeof *g->isconst);
    g->delta = mtsi_malloc((size_t)n * sizeof *g->delta);
    g->gam = mtsi_malloc((size_t)(maxlen / 2 + 1) * sizeof *g->gam);
    g->grad = mtsi_malloc((size_t)nobs * sizeof *g->grad);
    g->abar = mtsi_malloc((size_t)nobs * sizeof *g->abar);
    if (!g->len || !g->off || !g->data || !g->mean || !g->var || !g->rmean || !g->isset ||
        !g->isconst || !g->delta || !g->gam || !g->grad || !g->abar) {
        mtsi_gamma_free(g);
        return NULL;
    }
    long o = 0;
    for (int r = 0; r < nrep; r++) {
        g->len[r] = len[r];
        g->off[r] = o;
        o += len[r];
    }
    return g;
}

void mtsi_gamma_free(mtsi_gamma *g)
{
    if (!g)
        return;
    free(g->len);
    free(g->off);
    free(g->data);
    free(g->mean);
    free(g->var);
    free(g->rmean);
    free(g->isset);
    free(g->isconst);
    free(g->delta);
    free(g->gam);
    free(g->grad);
    free(g->abar);
    /* FFTW's planner is not thread-safe: one plan operation at a time. */
#pragma omp critical(mtsi_fftw_planner)
    {
        if (g->fwd)
            fftw_destroy_plan(g->fwd);
        if (g->bwd)
            fftw_destroy_plan(g->bwd);
    }
    fftw_free(g->fin);
    fftw_free(g->fout);
    free(g->facc);
    free(g);
}

long mtsi_gamma_n(const mtsi_gamma *g) { return g->n; }
int mtsi_gamma_nobs(const mtsi_gamma *g) { return g->nobs; }
int mtsi_gamma_nrep(const mtsi_gamma *g) { return g->nrep; }

int mtsi_gamma_set_stau(mtsi_gamma *g, double stau)
{
    if (!isfinite(stau) || stau < 0)
        return mtsi_error_set(MTSI_EINVAL, "gamma: S_tau must be finite and >= 0, got %g", stau);
    g->stau = stau;
    return MTSI_OK;
}

int mtsi_gamma_set_fft_lag(mtsi_gamma *g, long lag)
{
    if (lag < 0)
        return mtsi_error_set(MTSI_EINVAL, "gamma: FFT lag must be >= 0, got %ld", lag);
    g->fft_lag = lag;
    return MTSI_OK;
}

double mtsi_gamma_mean(const mtsi_gamma *g, int obs)
{
    return (obs >= 0 && obs < g->nobs) ? g->mean[obs] : 0.0;
}

/* Mean of x[0..n) in two passes: the second adds the mean residual, which
 * removes most of the rounding of the first (matters for constant-ish data
 * with a large offset, e.g. energies). */
static double mean2(const double *x, long n)
{
    double s = 0;
    for (long i = 0; i < n; i++)
        s += x[i];
    double m = s / (double)n;
    double c = 0;
    for (long i = 0; i < n; i++)
        c += x[i] - m;
    return m + c / (double)n;
}

int mtsi_gamma_set_obs_strided(mtsi_gamma *g, int obs, const double *x, long stride)
{
    if (obs < 0 || obs >= g->nobs)
        return mtsi_error_set(MTSI_EINVAL, "gamma: observable index %d out of range [0, %d)", obs,
                              g->nobs);
    if (stride < 1)
        return mtsi_error_set(MTSI_EINVAL, "gamma: stride %ld must be >= 1", stride);
    double *d = g->data + (size_t)obs * (size_t)g->n;
    int isconst = 1;
    for (long i = 0; i < g->n; i++) {
        double v = x[(size_t)i * (size_t)stride];
        if (!isfinite(v)) {
            g->isset[obs] = 0;
            return mtsi_error_set(MTSI_EINVAL, "gamma: observable %d has a non-finite value (%g) at "
                                  "measurement %ld", obs, v, i);
        }
        d[i] = v;
        if (v != d[0])
            isconst = 0;
    }
    g->isconst[obs] = isconst;
    if (isconst) {
        /* Exact: no rounding may invent fluctuations of a constant series. */
        g->mean[obs] = d[0];
        g->var[obs] = 0;
        for (int r = 0; r < g->nrep; r++)
            g->rmean[(size_t)obs * (size_t)g->nrep + (size_t)r] = d[0];
    } else {
        double m = mean2(d, g->n);
        double v = 0;
        for (long i = 0; i < g->n; i++)
            v += (d[i] - m) * (d[i] - m);
        g->mean[obs] = m;
        g->var[obs] = v / (double)g->n;
        for (int r = 0; r < g->nrep; r++)
            g->rmean[(size_t)obs * (size_t)g->nrep + (size_t)r] = mean2(d + g->off[r], g->len[r]);
    }
    g->isset[obs] = 1;
    return MTSI_OK;
}

int mtsi_gamma_set_obs(mtsi_gamma *g, int obs, const double *x)
{
    return mtsi_gamma_set_obs_strided(g, obs, x, 1);
}

static int check_set(const mtsi_gamma *g)
{
    for (int a = 0; a < g->nobs; a++)
        if (!g->isset[a])
            return mtsi_error_set(MTSI_EINVAL, "gamma: observable %d has no data", a);
    return MTSI_OK;
}

static void result_init(const mtsi_gamma *g, double value, mtsi_gamma_result *res)
{
    memset(res, 0, sizeof *res);
    res->value = value;
    res->tau_int = 0.5;
    res->n = g->n;
}

/* Gamma_F(t) of g->delta summed over replica, normalised by the number of
 * pairs (sum_r max(N_r - t, 0)) so that replica of any length combine. */
static double gamma_at(const mtsi_gamma *g, long t)
{
    double s = 0;
    long pairs = 0;
    for (int r = 0; r < g->nrep; r++) {
        const double *d = g->delta + g->off[r];
        long m = g->len[r] - t;
        for (long i = 0; i < m; i++)
            s += d[i] * d[i + t];
        if (m > 0)
            pairs += m;
    }
    return pairs > 0 ? s / (double)pairs : 0.0;
}

/* Number of pairs at lag t summed over replica. */
static long pairs_at(const mtsi_gamma *g, long t)
{
    long p = 0;
    for (int r = 0; r < g->nrep; r++)
        if (g->len[r] > t)
            p += g->len[r] - t;
    return p;
}

/* Gamma_F(t) for t0 <= t <= tmax into g->gam by FFT: the autocorrelation of
 * a replicum zero-padded to twice the longest one has no wrap-around. Returns
 * 0 if the buffers cannot be made (the caller then sums directly). */
static int gamma_fft(mtsi_gamma *g, long t0, long tmax)
{
    if (!g->fwd) {
        long nfft = 2 * g->maxlen;
        if (!g->fin)
            g->fin = fftw_alloc_real((size_t)nfft);
        if (!g->fout)
            g->fout = fftw_alloc_complex((size_t)(nfft / 2 + 1));
        if (!g->facc)
            g->facc = malloc((size_t)(g->maxlen / 2 + 1) * sizeof *g->facc);
        if (!g->fin || !g->fout || !g->facc)
            return 0;
        if (nfft > INT_MAX)
            return 0;
#pragma omp critical(mtsi_fftw_planner)
        {
            g->fwd = fftw_plan_dft_r2c_1d((int)nfft, g->fin, g->fout, FFTW_ESTIMATE);
            if (!g->bwd)
                g->bwd = fftw_plan_dft_c2r_1d((int)nfft, g->fout, g->fin, FFTW_ESTIMATE);
        }
        if (!g->fwd || !g->bwd)
            return 0;
        g->nfft = nfft;
    }
    const long nfft = g->nfft, nh = nfft / 2 + 1;
    for (long t = t0; t <= tmax; t++)
        g->facc[t] = 0;
    for (int r = 0; r < g->nrep; r++) {
        const long len = g->len[r];
        if (len <= t0)
            continue;
        memcpy(g->fin, g->delta + g->off[r], (size_t)len * sizeof *g->fin);
        memset(g->fin + len, 0, (size_t)(nfft - len) * sizeof *g->fin);
        fftw_execute(g->fwd);
        for (long k = 0; k < nh; k++) {
            double re = g->fout[k][0], im = g->fout[k][1];
            g->fout[k][0] = re * re + im * im;
            g->fout[k][1] = 0;
        }
        fftw_execute(g->bwd); /* unnormalised: nfft times the sums */
        long tend = tmax < len - 1 ? tmax : len - 1;
        for (long t = t0; t <= tend; t++)
            g->facc[t] += g->fin[t];
    }
    for (long t = t0; t <= tmax; t++) {
        long p = pairs_at(g, t);
        g->gam[t] = p > 0 ? g->facc[t] / ((double)nfft * (double)p) : 0.0;
    }
    return 1;
}

/* Automatic windowing, bias correction and errors from g->delta. */
static void analyse(mtsi_gamma *g, mtsi_gamma_result *res)
{
    const long n = g->n;
    if (n < 2) {
        res->flags |= MTSI_GAMMA_TOO_SHORT;
        return;
    }
    double *gam = g->gam;
    gam[0] = gamma_at(g, 0);
    if (!(gam[0] > 0)) {
        res->flags |= MTSI_GAMMA_CONSTANT;
        return;
    }
    const long tmax = g->maxlen / 2;
    long w = -1;
    if (g->stau == 0) {
        w = 0;
    } else {
        double gint = 0; /* sum_{t'=1}^{t} rho(t') = tau_int(t) - 1/2 */
        int have_fft = 0;
        for (long t = 1; t <= tmax; t++) {
            if (t > g->fft_lag && !have_fft)
                have_fft = gamma_fft(g, t, tmax) ? 1 : -1;
            if (have_fft <= 0)
                gam[t] = gamma_at(g, t);
            gint += gam[t] / gam[0];
            /* tau = S_tau / ln((2 ti + 1)/(2 ti - 1)) with ti = gint + 1/2;
             * ti <= 1/2 means no visible autocorrelation: tau -> 0 and g < 0. */
            double tau = gint > 0 ? g->stau / log((gint + 1) / gint) : 1e-300;
            double gw = exp(-(double)t / tau) - tau / sqrt((double)t * (double)n);
            if (gw < 0) {
                w = t;
                break;
            }
        }
        if (w < 0) {
            w = tmax;
            res->flags |= MTSI_GAMMA_NO_WINDOW;
        }
    }
    double c = gam[0];
    for (long t = 1; t <= w; t++)
        c += 2 * gam[t];
    res->window = w;
    if (!(c > 0)) {
        res->flags |= MTSI_GAMMA_NEGATIVE;
        res->gamma0 = gam[0];
        res->err = sqrt(gam[0] / (double)n);
        res->err_err = res->err * sqrt(0.5 / (double)n);
        res->tau_int = 0.5;
        res->tau_int_err = 0.5 * sqrt(2.0 / (double)n);
        return;
    }
    /* Bias correction of Gamma for the estimated mean: every Gamma(t),
     * t <= W, is low by about C_F/N. */
    for (long t = 0; t <= w; t++)
        gam[t] += c / (double)n;
    c = gam[0];
    for (long t = 1; t <= w; t++)
        c += 2 * gam[t];
    res->gamma0 = gam[0];
    res->err = sqrt(c / (double)n);
    res->tau_int = c / (2 * gam[0]);
    res->err_err = res->err * sqrt(((double)w + 0.5) / (double)n);
    res->tau_int_err = res->tau_int * sqrt(2.0 * (2.0 * (double)w + 1.0) / (double)n);
}

int mtsi_gamma_primary(mtsi_gamma *g, int obs, mtsi_gamma_result *res)
{
    if (obs < 0 || obs >= g->nobs)
        return mtsi_error_set(MTSI_EINVAL, "gamma: observable index %d out of range [0, %d)", obs,
                              g->nobs);
    if (!g->isset[obs])
        return mtsi_error_set(MTSI_EINVAL, "gamma: observable %d has no data", obs);
    result_init(g, g->mean[obs], res);
    const double *d = g->data + (size_t)obs * (size_t)g->n;
    const double m = g->mean[obs];
    if (g->isconst[obs])
        memset(g->delta, 0, (size_t)g->n * sizeof *g->delta);
    else
        for (long i = 0; i < g->n; i++)
            g->delta[i] = d[i] - m;
    analyse(g, res);
    return MTSI_OK;
}

static int undefined(mtsi_gamma_result *res, const char *what, double v)
{
    res->value = 0;
    res->flags |= MTSI_GAMMA_UNDEFINED;
    return mtsi_error_set(MTSI_EINVAL, "gamma: derived quantity has a non-finite %s (%g) at the "
                          "mean of the data", what, v);
}

int mtsi_gamma_derived(mtsi_gamma *g, mtsi_gamma_fn f, mtsi_gamma_grad_fn grad, void *ctx,
                       mtsi_gamma_result *res)
{
    if (!f)
        return mtsi_error_set(MTSI_EINVAL, "gamma: no function given for a derived quantity");
    int rc = check_set(g);
    if (rc)
        return rc;
    const int na = g->nobs;
    double *ab = g->abar;
    memcpy(ab, g->mean, (size_t)na * sizeof *ab);
    const double fbar = f(ab, ctx);
    result_init(g, fbar, res);
    if (!isfinite(fbar))
        return undefined(res, "value", fbar);

    /* Gradient. Constant observables do not fluctuate: their component
     * never enters delta_F, so it is not needed (and is left at 0). */
    if (grad) {
        grad(ab, g->grad, ctx);
    } else {
        for (int a = 0; a < na; a++) {
            double h = sqrt(g->var[a] / (double)g->n) / 2;
            g->grad[a] = 0;
            if (g->isconst[a] || !(h > 0))
                continue;
            ab[a] = g->mean[a] + h;
            double fp = f(ab, ctx);
            ab[a] = g->mean[a] - h;
            double fm = f(ab, ctx);
            ab[a] = g->mean[a];
            g->grad[a] = (fp - fm) / (2 * h);
        }
    }
    for (int a = 0; a < na; a++) {
        if (g->isconst[a])
            g->grad[a] = 0;
        else if (!isfinite(g->grad[a]))
            return undefined(res, "gradient", g->grad[a]);
    }

    memset(g->delta, 0, (size_t)g->n * sizeof *g->delta);
    for (int a = 0; a < na; a++) {
        const double fa = g->grad[a];
        if (fa == 0)
            continue;
        const double *d = g->data + (size_t)a * (size_t)g->n;
        const double m = g->mean[a];
        for (long i = 0; i < g->n; i++)
            g->delta[i] += fa * (d[i] - m);
    }
    analyse(g, res);

    /* Bias of f(abar) from the spread of the per-replicum estimates. */
    if (g->nrep >= 2) {
        double fb = 0;
        int ok = 1;
        for (int r = 0; r < g->nrep && ok; r++) {
            for (int a = 0; a < na; a++)
                ab[a] = g->rmean[(size_t)a * (size_t)g->nrep + (size_t)r];
            double fr = f(ab, ctx);
            if (!isfinite(fr))
                ok = 0;
            fb += (double)g->len[r] * fr;
        }
        if (ok) {
            res->bias = (fb / (double)g->n - fbar) / (g->nrep - 1);
            if (fabs(res->bias) > res->err / 4 && res->err > 0)
                res->flags |= MTSI_GAMMA_BIAS;
        }
    }
    return MTSI_OK;
}

int mtsi_gamma_series(const double *x, long n, mtsi_gamma_result *res)
{
    mtsi_gamma *g = mtsi_gamma_new(1, 1, &n);
    if (!g)
        return mtsi_error_code();
    int rc = mtsi_gamma_set_obs(g, 0, x);
    if (!rc)
        rc = mtsi_gamma_primary(g, 0, res);
    mtsi_gamma_free(g);
    return rc;
}

const char *mtsi_gamma_flag_str(int flags)
{
    static _Thread_local char buf[256];
    static const struct {
        int bit;
        const char *text;
    } names[] = {
        {MTSI_GAMMA_CONSTANT, "constant"},
        {MTSI_GAMMA_TOO_SHORT, "too few samples"},
        {MTSI_GAMMA_NO_WINDOW, "no window found"},
        {MTSI_GAMMA_NEGATIVE, "Gamma pathological, naive error"},
        {MTSI_GAMMA_BIAS, "bias > err/4"},
        {MTSI_GAMMA_UNDEFINED, "undefined"},
    };
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(flags & names[i].bit))
            continue;
        int k = snprintf(buf + used, sizeof buf - used, "%s%s", used ? ", " : "", names[i].text);
        if (k < 0 || (size_t)k >= sizeof buf - used)
            break;
        used += (size_t)k;
    }
    return buf;
}

static double mean_only(const double *abar, void *ctx)
{
    (void)ctx;
    return abar[0];
}

int mtsi_gamma_bootstrap(const double *x, long n, int nobs, mtsi_gamma_fn f, void *ctx,
                         long nboot, uint64_t seed, double *value, double *err)
{
    if (n < 1 || nobs < 1)
        return mtsi_error_set(MTSI_EINVAL, "bootstrap: need n >= 1 and nobs >= 1 (got %ld, %d)", n,
                              nobs);
    if (nboot < 2)
        return mtsi_error_set(MTSI_EINVAL, "bootstrap: need at least 2 resamples, got %ld", nboot);
    if (!f) {
        if (nobs != 1)
            return mtsi_error_set(MTSI_EINVAL, "bootstrap: no function given for %d observables",
                                  nobs);
        f = mean_only;
    }
    double *ab = mtsi_malloc((size_t)nobs * sizeof *ab);
    if (!ab)
        return MTSI_ENOMEM;
    int rc = MTSI_OK;
    for (int a = 0; a < nobs; a++)
        ab[a] = mean2(x + (size_t)a * (size_t)n, n);
    double f0 = f(ab, ctx);
    if (!isfinite(f0)) {
        rc = mtsi_error_set(MTSI_EINVAL, "bootstrap: f is not finite (%g) on the full sample", f0);
        goto done;
    }
    mtsi_rng rng;
    mtsi_rng_seed(&rng, seed, 0);
    /* Welford's running variance over the resamples. */
    double m = 0, s = 0;
    for (long b = 0; b < nboot; b++) {
        for (int a = 0; a < nobs; a++)
            ab[a] = 0;
        for (long i = 0; i < n; i++) {
            long j = (long)mtsi_rng_below(&rng, (uint64_t)n);
            for (int a = 0; a < nobs; a++)
                ab[a] += x[(size_t)a * (size_t)n + (size_t)j];
        }
        for (int a = 0; a < nobs; a++)
            ab[a] /= (double)n;
        double fb = f(ab, ctx);
        if (!isfinite(fb)) {
            rc = mtsi_error_set(MTSI_EINVAL, "bootstrap: f is not finite (%g) on resample %ld", fb,
                                b);
            goto done;
        }
        double dlt = fb - m;
        m += dlt / (double)(b + 1);
        s += dlt * (fb - m);
    }
    *value = f0;
    *err = sqrt(s / (double)(nboot - 1));
done:
    free(ab);
    return rc;
}
