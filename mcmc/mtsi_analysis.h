/* Reading and analysing a phi^4 ensemble file (SPEC.md sections 3 and 5),
 * shared by `mtsi stats` and `mtsi compare`.
 *
 * An ensemble is an HDF5 file with root attributes kind, L, dim, chi,
 * kappa, gamma (field_h, quad_a optional), /configs [N, L, ..., L] and
 * either /observables/{m,abs_m,m2,m4,energy,ghat0,ghat1} [N] (optionally
 * /observables/G [N, L]) or nothing: then every observable is measured
 * from /configs, one configuration at a time. /chain [N], when present,
 * splits the configurations into replica (runs of equal chain index,
 * stored chain after chain); without it the file is one replicum.
 *
 * Every malformed input is an MTSI_EINVAL error whose message starts with
 * the file name; the file is only ever opened read-only. */
#ifndef MTSI_ANALYSIS_H
#define MTSI_ANALYSIS_H

#include "mtsi_gamma.h"

/* Primary per-configuration observables, in this order in mtsi_analysis_ens.obs
 * and in the Gamma object of the analysis. */
enum {
    MTSI_ENS_M,
    MTSI_ENS_ABS_M,
    MTSI_ENS_M2,
    MTSI_ENS_M4,
    MTSI_ENS_ENERGY,
    MTSI_ENS_GHAT0,
    MTSI_ENS_GHAT1,
    MTSI_ENS_NPRIM
};
/* Their dataset names under /observables. */
extern const char *const mtsi_analysis_prim_names[MTSI_ENS_NPRIM];

/* The eight summary rows of SPEC section 5: m, abs_m, m2, m4, energy,
 * binder, chi, xi2. */
#define MTSI_ENS_NROWS 8
extern const char *const mtsi_analysis_row_names[MTSI_ENS_NROWS];

/* Load options. */
enum {
    MTSI_ENS_LOAD_G = 1 << 0 /* also fill G (from /observables/G, or measured
                                from /configs when /observables is absent) */
};

typedef struct {
    char kind[32], sampler[64];
    long L, dim, seed, n_chains_attr;
    int has_seed, has_sampler, has_nchains;
    double chi, kappa, gamma, field_h, quad_a;
    long n, V;       /* configurations, sites */
    int nrep;        /* replica */
    long *replen;    /* [nrep] */
    double *obs;     /* [MTSI_ENS_NPRIM][n] */
    double *G;       /* [n][L] with MTSI_ENS_LOAD_G and when available, else NULL */
    int computed;    /* observables measured from /configs */
} mtsi_analysis_ens;

/* One summary row. ok = 0: no estimate (the reason is in note). */
typedef struct {
    const char *name;
    int ok;
    mtsi_gamma_result r;
    char note[160];
} mtsi_analysis_row;

/* Read path into e (zeroed first). On failure e holds nothing to free
 * beyond what mtsi_analysis_free releases; the error message names path. */
int mtsi_analysis_load(const char *path, int flags, mtsi_analysis_ens *e);
void mtsi_analysis_free(mtsi_analysis_ens *e);

/* Gamma-method analysis (S_tau = stau) of the eight rows. Derived rows
 * that are undefined at the means (e.g. <ghat1> <= 0) have ok = 0 and a
 * note; that is not a failure. Fails only on data the Gamma object refuses
 * (the message names path and the observable). */
int mtsi_analysis_run(const mtsi_analysis_ens *e, double stau, const char *path,
                          mtsi_analysis_row rows[MTSI_ENS_NROWS]);

/* Read k configurations (indices idx[0..k-1], 0 <= idx < e->n) of path's
 * /configs as doubles into out[k][V]. */
int mtsi_analysis_read_configs(const char *path, const mtsi_analysis_ens *e, const long *idx, int k,
                               double *out);

#endif
