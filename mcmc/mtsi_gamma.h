/* Statistical errors of Monte Carlo averages by the Gamma-method of
 * U. Wolff, "Monte Carlo errors with less errors", Comput. Phys. Commun. 156
 * (2004) 143 (hep-lat/0306017); SPEC.md section 3.
 *
 * Data model. There are nobs primary observables a_alpha, alpha = 0..nobs-1,
 * measured on R replica (independent Markov chains) of lengths N_1..N_R,
 * N = sum_r N_r. The values of one observable are stored replica after
 * replica, in Markov order inside a replicum (the layout of an ensemble's
 * /observables, SPEC section 5). A derived quantity F = f(abar) is a
 * function of the means; its error follows from the projected fluctuations
 *
 *     delta_F(i, r) = sum_alpha f_alpha (a_alpha(i, r) - abar_alpha),
 *
 * f_alpha = df/d abar_alpha (analytic if given, else a central difference
 * with step half the naive error of abar_alpha, as Wolff proposes).
 * Their autocorrelation, summed over replica,
 *
 *     Gamma_F(t) = 1/(sum_r max(N_r - t, 0)) sum_r sum_i delta(i,r) delta(i+t,r),
 *
 * is summed up to an automatic window W: W is the first t with
 * g(t) = exp(-t/tau) - tau/sqrt(t N) < 0, tau = S_tau / ln((2 ti + 1)/(2 ti - 1)),
 * ti = tau_int(t) the running estimate and S_tau = 1.5 by default. Then
 * Gamma_F(t) += C_F(W)/N corrects the bias from subtracting the estimated
 * mean, and with the corrected Gamma
 *
 *     C_F(W) = Gamma_F(0) + 2 sum_{t=1}^{W} Gamma_F(t),
 *     sigma_F^2 = C_F(W)/N = 2 tau_int Gamma_F(0)/N,
 *     tau_int = C_F(W)/(2 Gamma_F(0)),
 *     d tau_int ~ tau_int sqrt(2(2W+1)/N)          (Wolff eq. 42),
 *     d sigma_F ~ sigma_F sqrt((W + 1/2)/N).
 *
 * With R >= 2 replica the O(1/N) bias of f(abar) is estimated from the
 * per-replicum means, bias = (sum_r N_r f(abar_r)/N - f(abar))/(R - 1),
 * and reported, not subtracted.
 *
 * Degenerate inputs never produce NaN: the result carries flags saying
 * which estimate could not be made (see MTSI_GAMMA_*), with err = 0 and
 * tau_int = 0.5 where nothing better is known.
 *
 * For independent samples a plain bootstrap is provided as well. */
#ifndef MTSI_GAMMA_H
#define MTSI_GAMMA_H

#include <stdint.h>

/* Default S_tau of the automatic window (Wolff recommends 1 ... 2). */
#define MTSI_GAMMA_STAU 1.5

/* Flags of a result (bitwise or). */
enum {
    MTSI_GAMMA_CONSTANT = 1 << 0,  /* Gamma_F(0) = 0: no fluctuations; err = 0 exactly */
    MTSI_GAMMA_TOO_SHORT = 1 << 1, /* N < 2: no error estimate possible; err = 0 */
    MTSI_GAMMA_NO_WINDOW = 1 << 2, /* g(W) stayed >= 0 up to the largest lag
                                      (half the longest replicum): W is that
                                      lag and the error may be underestimated */
    MTSI_GAMMA_NEGATIVE = 1 << 3,  /* C_F(W) <= 0 (pathological Gamma): the
                                      naive error sqrt(Gamma(0)/N) with
                                      tau_int = 0.5 is reported instead */
    MTSI_GAMMA_BIAS = 1 << 4,      /* R >= 2 and the estimated bias of f(abar)
                                      exceeds err/4 (Wolff's warning level) */
    MTSI_GAMMA_UNDEFINED = 1 << 5  /* f or its gradient is not finite at abar:
                                      value, err are 0 and the call failed */
};

typedef struct {
    double value;       /* f(abar) (the mean itself for a primary) */
    double err;         /* sigma_F */
    double err_err;     /* its statistical error */
    double tau_int;     /* integrated autocorrelation time at W */
    double tau_int_err; /* its error, Wolff eq. 42 */
    double bias;        /* estimated bias of value (R >= 2), else 0 */
    double gamma0;      /* bias-corrected Gamma_F(0), the variance per sample */
    long window;        /* W */
    long n;             /* N, total number of measurements */
    int flags;          /* MTSI_GAMMA_* */
} mtsi_gamma_result;

/* A derived quantity f(abar), abar of length nobs, and optionally its
 * gradient (grad[alpha] = df/d abar_alpha). ctx is passed through. */
typedef double (*mtsi_gamma_fn)(const double *abar, void *ctx);
typedef void (*mtsi_gamma_grad_fn)(const double *abar, double *grad, void *ctx);

typedef struct mtsi_gamma mtsi_gamma;

/* Storage for nobs observables over nrep replica of lengths len[0..nrep-1]
 * (each >= 1). Allocates every buffer the analysis needs; the analysis
 * calls below allocate nothing. NULL with an error set on bad sizes. */
mtsi_gamma *mtsi_gamma_new(int nobs, int nrep, const long *len);
void mtsi_gamma_free(mtsi_gamma *g);

long mtsi_gamma_n(const mtsi_gamma *g);     /* N = sum of the lengths */
int mtsi_gamma_nobs(const mtsi_gamma *g);
int mtsi_gamma_nrep(const mtsi_gamma *g);

/* S_tau of the automatic window; stau = 0 means W = 0 (no autocorrelation
 * assumed). Default MTSI_GAMMA_STAU. Fails on stau < 0 or non-finite. */
int mtsi_gamma_set_stau(mtsi_gamma *g, double stau);

/* Lags t <= lag are summed directly (O(N) each); if the window is not
 * found by then, all larger lags come from one FFT per replicum, so that
 * a very slowly decorrelating chain costs O(N log N), not O(N^2). The FFT
 * buffers and plans are made on first use, inside the library-wide
 * critical section that serialises FFTW planning. 0 = FFT for every lag >= 1. */
#define MTSI_GAMMA_FFT_LAG 100
int mtsi_gamma_set_fft_lag(mtsi_gamma *g, long lag);

/* Copy the N values of observable obs (replica after replica). Fails on an
 * index out of range or a non-finite value (naming its position). */
int mtsi_gamma_set_obs(mtsi_gamma *g, int obs, const double *x);
/* The same with a stride: value i is x[i * stride] (rows of an [N][k] table). */
int mtsi_gamma_set_obs_strided(mtsi_gamma *g, int obs, const double *x, long stride);

/* Mean of observable obs over all replica (after set_obs). */
double mtsi_gamma_mean(const mtsi_gamma *g, int obs);

/* Error analysis of the primary observable obs. */
int mtsi_gamma_primary(mtsi_gamma *g, int obs, mtsi_gamma_result *res);

/* Error analysis of f(abar). grad may be NULL: numerical differentiation.
 * Returns MTSI_EINVAL (flag MTSI_GAMMA_UNDEFINED) when f or the gradient is
 * not finite at abar. */
int mtsi_gamma_derived(mtsi_gamma *g, mtsi_gamma_fn f, mtsi_gamma_grad_fn grad, void *ctx,
                       mtsi_gamma_result *res);

/* Convenience: one observable, one replicum of length n (allocates). */
int mtsi_gamma_series(const double *x, long n, mtsi_gamma_result *res);

/* Human-readable description of the flags ("" if none), e.g. for tables. */
const char *mtsi_gamma_flag_str(int flags);

/* Plain bootstrap for independent samples. x holds nobs observables of n
 * samples, observable-major (x[alpha * n + i]). f(abar) (or, with f = NULL
 * and nobs = 1, the mean) is evaluated on nboot resamples drawn with the
 * RNG stream (seed, 0); *value = f on the full sample, *err = standard
 * deviation over the resamples. nboot >= 2, n >= 1. Allocates. */
int mtsi_gamma_bootstrap(const double *x, long n, int nobs, mtsi_gamma_fn f, void *ctx,
                         long nboot, uint64_t seed, double *value, double *err);

#endif
