/* The lattice phi^4 model (SPEC.md section 3).
 *
 * Lattice (Z_L)^dim, V = L^dim sites, periodic, row-major site index
 * a = ((x_0 * L) + x_1) * L + ... (last coordinate fastest).
 *
 *   E(phi) = sum_a [ (chi/2) sum_mu (phi_{a+mu} - phi_a)^2
 *                    + (kappa/2) phi_a^2 + (gamma/4) phi_a^4 ]
 *
 * Tilted law p_r ~ exp(-E + r), r(phi) = sum_a (A_a phi_a^2 / 2 + h_a phi_a).
 * "Action" below means E - r, the negative log-density of the tilted law. */
#ifndef MTSI_PHI4_H
#define MTSI_PHI4_H

#include <stddef.h>

#define MTSI_PHI4_MAXDIM 3
/* The largest lattice, V = L^dim sites: 2^24 (a 4096^2 or 256^3 lattice;
 * 128 MB per field). Larger is refused as bad input, never attempted. */
#define MTSI_PHI4_MAX_SITES (1L << 24)

typedef struct {
    int dim;            /* 1, 2 or 3 */
    long L;             /* sites per side */
    long V;             /* L^dim */
    double chi, kappa, gamma;
    double h, A;        /* uniform tilt */
    const double *h_site; /* optional per-site field (length V), overrides h */
    const double *A_site; /* optional per-site quadratic tilt, overrides A */
} mtsi_phi4_params;

/* Fill dim, L, V and the couplings; the tilt is zero. Conventions:
 *   (m^2, lambda):          chi = 2, kappa = 2 m^2, gamma = 4 lambda
 *   hopping (k_h, l_h):     chi = 2 k_h, kappa = 2 (1 - 2 l_h - 2 dim k_h), gamma = 4 l_h */
int mtsi_phi4_set_lattice(mtsi_phi4_params *p, int dim, long L);
void mtsi_phi4_set_direct(mtsi_phi4_params *p, double chi, double kappa, double gamma);
void mtsi_phi4_set_m2_lambda(mtsi_phi4_params *p, double m2, double lambda);
void mtsi_phi4_set_hopping(mtsi_phi4_params *p, double kappa_h, double lambda_h);

/* Checks that the tilted law is normalisable: chi > 0, gamma >= 0, and when
 * gamma = 0 every site has kappa - A_a > 0 (else the Gaussian is unstable).
 * Sets an MTSI_EINVAL message naming the bad value. */
int mtsi_phi4_validate(const mtsi_phi4_params *p);

static inline double mtsi_phi4_h_at(const mtsi_phi4_params *p, long a)
{
    return p->h_site ? p->h_site[a] : p->h;
}
static inline double mtsi_phi4_A_at(const mtsi_phi4_params *p, long a)
{
    return p->A_site ? p->A_site[a] : p->A;
}

/* Untilted energy E(phi). */
double mtsi_phi4_energy(const mtsi_phi4_params *p, const double *phi);
/* Tilted action E - r. */
double mtsi_phi4_action(const mtsi_phi4_params *p, const double *phi);
/* grad = d(E - r)/d phi (no energy: the cheap call of a leapfrog step). */
void mtsi_phi4_grad(const mtsi_phi4_params *p, const double *phi, double *grad);
/* grad = d(E - r)/d phi; returns E - r. */
double mtsi_phi4_force(const mtsi_phi4_params *p, const double *phi, double *grad);
/* (chi/2) sum_a sum_mu (x_{a+mu} - x_a)^2 = (1/2) x^T (-chi Laplacian) x. */
double mtsi_phi4_kinetic(const mtsi_phi4_params *p, const double *x);
/* Nearest neighbour of site a in direction mu (0..dim-1), step +1 or -1. */
long mtsi_phi4_neighbour(const mtsi_phi4_params *p, long a, int mu, int step);
/* lambda_k = sum_mu 4 sin^2(pi k_mu / L) for the r2c half-spectrum index
 * layout of FFTW (last dimension L/2+1); out has mtsi_phi4_nhalf() entries. */
long mtsi_phi4_nhalf(const mtsi_phi4_params *p);
void mtsi_phi4_lambda_half(const mtsi_phi4_params *p, double *out);
/* Multiplicity of each half-spectrum entry in the full spectrum (1 or 2),
 * so that sum_k f(k) = sum_half w_k f(k) for f(k) = f(-k). */
void mtsi_phi4_half_weights(const mtsi_phi4_params *p, double *w);

/* Per-configuration observables (SPEC section 3). */
typedef struct {
    double m, abs_m, m2, m4, energy; /* energy = E/V (untilted) */
    double ghat0;  /* |phi_hat(0)|^2 = V M^2 (unitary DFT) */
    double ghat1;  /* |phi_hat(k_min)|^2 averaged over the dim axes */
} mtsi_phi4_obs;

/* Measurement workspace: FFTW plans made once. */
typedef struct mtsi_phi4_meas mtsi_phi4_meas;
mtsi_phi4_meas *mtsi_phi4_meas_new(const mtsi_phi4_params *p);
void mtsi_phi4_meas_free(mtsi_phi4_meas *m);
/* Observables of one configuration; if G is not NULL it receives the
 * correlator along the axes, G[r] = (1/dim) sum_mu V^-1 sum_a phi_a phi_{a+r e_mu},
 * r = 0..L-1. Not thread-safe per workspace (one workspace per thread). */
void mtsi_phi4_meas_run(mtsi_phi4_meas *m, const double *phi, mtsi_phi4_obs *obs, double *G);

#endif
