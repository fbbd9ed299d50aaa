/* phi^4 energy, force and observables (SPEC.md section 3). */
#include "config.h"
#include "mtsi_phi4.h"
#include "mtsi_err.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int mtsi_phi4_set_lattice(mtsi_phi4_params *p, int dim, long L)
{
    if (dim < 1 || dim > MTSI_PHI4_MAXDIM)
        return mtsi_error_set(MTSI_EINVAL, "--dim: %d is not 1, 2 or 3", dim);
    if (L < 2)
        return mtsi_error_set(MTSI_EINVAL, "--L: %ld is too small (need L >= 2)", L);
    long V = 1;
    for (int d = 0; d < dim; d++) {
        if (V > MTSI_PHI4_MAX_SITES / L)
            return mtsi_error_set(MTSI_EINVAL, "--L: %ld^%d sites is more than the %ld sites "
                                  "allowed", L, dim, (long)MTSI_PHI4_MAX_SITES);
        V *= L;
    }
    p->dim = dim;
    p->L = L;
    p->V = V;
    return MTSI_OK;
}

void mtsi_phi4_set_direct(mtsi_phi4_params *p, double chi, double kappa, double gamma)
{
    p->chi = chi;
    p->kappa = kappa;
    p->gamma = gamma;
}

void mtsi_phi4_set_m2_lambda(mtsi_phi4_params *p, double m2, double lambda)
{
    mtsi_phi4_set_direct(p, 2.0, 2.0 * m2, 4.0 * lambda);
}

void mtsi_phi4_set_hopping(mtsi_phi4_params *p, double kappa_h, double lambda_h)
{
    mtsi_phi4_set_direct(p, 2.0 * kappa_h, 2.0 * (1.0 - 2.0 * lambda_h - 2.0 * p->dim * kappa_h),
                         4.0 * lambda_h);
}

int mtsi_phi4_validate(const mtsi_phi4_params *p)
{
    if (!isfinite(p->chi) || !isfinite(p->kappa) || !isfinite(p->gamma))
        return mtsi_error_set(MTSI_EINVAL, "couplings must be finite (chi=%g kappa=%g gamma=%g)",
                              p->chi, p->kappa, p->gamma);
    if (p->chi <= 0)
        return mtsi_error_set(MTSI_EINVAL, "chi = %g: the gradient coupling must be positive",
                              p->chi);
    if (p->gamma < 0)
        return mtsi_error_set(MTSI_EINVAL,
                              "gamma = %g: a negative quartic coupling makes the law unnormalisable",
                              p->gamma);
    if (!isfinite(p->h) || !isfinite(p->A))
        return mtsi_error_set(MTSI_EINVAL, "the tilt must be finite (h=%g, A=%g)", p->h, p->A);
    if (p->gamma == 0) {
        /* Free field: the zero mode has curvature kappa - A_a; it must be > 0. */
        for (long a = 0; a < (p->A_site ? p->V : 1); a++) {
            double A = mtsi_phi4_A_at(p, a);
            if (p->kappa - A <= 0)
                return mtsi_error_set(
                    MTSI_EINVAL,
                    "unstable parameters: gamma = 0 needs kappa - A > 0, got kappa = %g, A = %g",
                    p->kappa, A);
        }
    }
    return MTSI_OK;
}

long mtsi_phi4_neighbour(const mtsi_phi4_params *p, long a, int mu, int step)
{
    long s = 1;
    for (int d = p->dim - 1; d > mu; d--)
        s *= p->L;
    long x = (a / s) % p->L;
    long xn = (x + step + p->L) % p->L;
    return a + (xn - x) * s;
}

/* Calls f(row, row_plus, row_minus, n) over the array viewed as
 * [outer][L][inner] for axis mu: rows of `inner` contiguous sites at
 * coordinate x, x+1, x-1 (periodic). This turns every nearest-neighbour sum
 * into contiguous, vectorisable loops. */
static long axis_inner(const mtsi_phi4_params *p, int mu)
{
    long s = 1;
    for (int d = p->dim - 1; d > mu; d--)
        s *= p->L;
    return s;
}

/* out[a] = sum_mu (phi[a+mu] + phi[a-mu]). The contiguous (last) axis is
 * done line by line with the two wrap-around ends peeled, the others as
 * whole rows; no index arithmetic per site. */
static void neighbour_sum(const mtsi_phi4_params *p, const double *phi, double *out)
{
    const long L = p->L, V = p->V;
    for (long o = 0; o < V; o += L) {
        const double *f = phi + o;
        double *r = out + o;
        r[0] = f[1] + f[L - 1];
        for (long x = 1; x < L - 1; x++)
            r[x] = f[x + 1] + f[x - 1];
        r[L - 1] = f[0] + f[L - 2];
    }
    for (int mu = 0; mu < p->dim - 1; mu++) {
        long inner = axis_inner(p, mu);
        long outer = V / (L * inner);
        for (long o = 0; o < outer; o++) {
            const double *base = phi + o * L * inner;
            double *ob = out + o * L * inner;
            for (long x = 0; x < L; x++) {
                const double *rp = base + (x == L - 1 ? 0 : x + 1) * inner;
                const double *rm = base + (x == 0 ? L - 1 : x - 1) * inner;
                double *r = ob + x * inner;
                for (long i = 0; i < inner; i++)
                    r[i] += rp[i] + rm[i];
            }
        }
    }
}

/* sum_a sum_mu phi_a phi_{a+mu} */
static double link_sum(const mtsi_phi4_params *p, const double *phi)
{
    const long L = p->L, V = p->V;
    double s = 0;
    for (int mu = 0; mu < p->dim; mu++) {
        long inner = axis_inner(p, mu);
        long outer = V / (L * inner);
        for (long o = 0; o < outer; o++) {
            const double *base = phi + o * L * inner;
            for (long x = 0; x < L; x++) {
                const double *r = base + x * inner;
                const double *rp = base + ((x + 1) % L) * inner;
                for (long i = 0; i < inner; i++)
                    s += r[i] * rp[i];
            }
        }
    }
    return s;
}

double mtsi_phi4_energy(const mtsi_phi4_params *p, const double *phi)
{
    /* (chi/2) sum_mu (phi_{a+mu} - phi_a)^2 summed over a
     *   = chi (dim sum_a phi_a^2 - sum_a sum_mu phi_a phi_{a+mu}). */
    double s2 = 0, s4 = 0;
    for (long a = 0; a < p->V; a++) {
        double f2 = phi[a] * phi[a];
        s2 += f2;
        s4 += f2 * f2;
    }
    return p->chi * (p->dim * s2 - link_sum(p, phi)) + 0.5 * p->kappa * s2 + 0.25 * p->gamma * s4;
}

double mtsi_phi4_kinetic(const mtsi_phi4_params *p, const double *x)
{
    double s2 = 0;
    for (long a = 0; a < p->V; a++)
        s2 += x[a] * x[a];
    return p->chi * (p->dim * s2 - link_sum(p, x));
}

static double tilt(const mtsi_phi4_params *p, const double *phi)
{
    double r = 0;
    for (long a = 0; a < p->V; a++)
        r += 0.5 * mtsi_phi4_A_at(p, a) * phi[a] * phi[a] + mtsi_phi4_h_at(p, a) * phi[a];
    return r;
}

double mtsi_phi4_action(const mtsi_phi4_params *p, const double *phi)
{
    return mtsi_phi4_energy(p, phi) - tilt(p, phi);
}

void mtsi_phi4_grad(const mtsi_phi4_params *p, const double *phi, double *grad)
{
    neighbour_sum(p, phi, grad);
    const double c0 = 2.0 * p->chi * p->dim, chi = p->chi, kappa = p->kappa, gamma = p->gamma;
    if (!p->h_site && !p->A_site) {
        const double km = kappa - p->A, h = p->h;
        for (long a = 0; a < p->V; a++) {
            double f = phi[a];
            grad[a] = c0 * f - chi * grad[a] + (km + gamma * f * f) * f - h;
        }
        return;
    }
    for (long a = 0; a < p->V; a++) {
        double f = phi[a];
        grad[a] = c0 * f - chi * grad[a] + (kappa + gamma * f * f - mtsi_phi4_A_at(p, a)) * f -
                  mtsi_phi4_h_at(p, a);
    }
}

double mtsi_phi4_force(const mtsi_phi4_params *p, const double *phi, double *grad)
{
    /* dE/dphi_a = chi (2 dim phi_a - sum_mu (phi_{a+mu} + phi_{a-mu}))
     *             + kappa phi_a + gamma phi_a^3;  d r/d phi_a = A_a phi_a + h_a. */
    neighbour_sum(p, phi, grad);
    const double c0 = 2.0 * p->chi * p->dim;
    double e_kin2 = 0, e_pot = 0, r = 0;
    for (long a = 0; a < p->V; a++) {
        double f = phi[a], f2 = f * f;
        double A = mtsi_phi4_A_at(p, a), h = mtsi_phi4_h_at(p, a);
        double nb = grad[a];
        /* sum_a phi_a (2 dim phi_a - nb_a) = 2 x kinetic/chi */
        e_kin2 += f * (c0 * f - p->chi * nb);
        e_pot += 0.5 * p->kappa * f2 + 0.25 * p->gamma * f2 * f2;
        r += 0.5 * A * f2 + h * f;
        grad[a] = c0 * f - p->chi * nb + (p->kappa + p->gamma * f2 - A) * f - h;
    }
    return 0.5 * e_kin2 + e_pot - r;
}

long mtsi_phi4_nhalf(const mtsi_phi4_params *p)
{
    return p->V / p->L * (p->L / 2 + 1);
}

void mtsi_phi4_lambda_half(const mtsi_phi4_params *p, double *out)
{
    const long L = p->L, Lh = L / 2 + 1, n = mtsi_phi4_nhalf(p);
    double s2[4096];
    double *tab = L <= 4096 ? s2 : malloc((size_t)L * sizeof *tab);
    for (long k = 0; k < L; k++) {
        double s = sin(M_PI * (double)k / (double)L);
        tab[k] = 4.0 * s * s;
    }
    for (long i = 0; i < n; i++) {
        long rest = i;
        double lam = tab[rest % Lh];
        rest /= Lh;
        for (int d = 0; d < p->dim - 1; d++) {
            lam += tab[rest % L];
            rest /= L;
        }
        out[i] = lam;
    }
    if (tab != s2)
        free(tab);
}

void mtsi_phi4_half_weights(const mtsi_phi4_params *p, double *w)
{
    const long L = p->L, Lh = L / 2 + 1, n = mtsi_phi4_nhalf(p);
    for (long i = 0; i < n; i++) {
        long kl = i % Lh;
        w[i] = (kl == 0 || (L % 2 == 0 && kl == L / 2)) ? 1.0 : 2.0;
    }
}

struct mtsi_phi4_meas {
    mtsi_phi4_params p;
    double *in, *corr;
    fftw_complex *F;
    fftw_plan fwd, bwd;
    long idx1[MTSI_PHI4_MAXDIM];
};

mtsi_phi4_meas *mtsi_phi4_meas_new(const mtsi_phi4_params *p)
{
    mtsi_phi4_meas *m = mtsi_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->p = *p;
    m->p.h_site = m->p.A_site = NULL;
    long nh = mtsi_phi4_nhalf(p);
    m->in = fftw_alloc_real((size_t)p->V);
    m->corr = fftw_alloc_real((size_t)p->V);
    m->F = fftw_alloc_complex((size_t)nh);
    int n[MTSI_PHI4_MAXDIM];
    for (int d = 0; d < p->dim; d++)
        n[d] = (int)p->L;
    /* FFTW's planner is not thread-safe: plans are made one at a time. */
#pragma omp critical(mtsi_fftw_planner)
    {
        m->fwd = fftw_plan_dft_r2c(p->dim, n, m->in, m->F, FFTW_ESTIMATE);
        m->bwd = fftw_plan_dft_c2r(p->dim, n, m->F, m->corr, FFTW_ESTIMATE);
    }
    if (!m->in || !m->corr || !m->F || !m->fwd || !m->bwd) {
        mtsi_phi4_meas_free(m);
        mtsi_error_set(MTSI_ENOMEM, "cannot plan the FFT for L = %ld", p->L);
        return NULL;
    }
    /* Half-spectrum index of k = e_mu (momentum 2 pi / L along axis mu). */
    long Lh = p->L / 2 + 1;
    for (int mu = 0; mu < p->dim; mu++) {
        if (mu == p->dim - 1)
            m->idx1[mu] = 1;
        else {
            long s = Lh;
            for (int d = p->dim - 2; d > mu; d--)
                s *= p->L;
            m->idx1[mu] = s;
        }
    }
    return m;
}

void mtsi_phi4_meas_free(mtsi_phi4_meas *m)
{
    if (!m)
        return;
#pragma omp critical(mtsi_fftw_planner)
    {
        if (m->fwd)
            fftw_destroy_plan(m->fwd);
        if (m->bwd)
            fftw_destroy_plan(m->bwd);
    }
    fftw_free(m->in);
    fftw_free(m->corr);
    fftw_free(m->F);
    free(m);
}

void mtsi_phi4_meas_run(mtsi_phi4_meas *m, const double *phi, mtsi_phi4_obs *obs, double *G)
{
    const mtsi_phi4_params *p = &m->p;
    const long V = p->V;
    double s = 0, s2 = 0;
    for (long a = 0; a < V; a++) {
        s += phi[a];
        s2 += phi[a] * phi[a];
    }
    (void)s2;
    double M = s / (double)V;
    obs->m = M;
    obs->abs_m = fabs(M);
    obs->m2 = M * M;
    obs->m4 = M * M * M * M;
    obs->energy = mtsi_phi4_energy(p, phi) / (double)V;
    memcpy(m->in, phi, (size_t)V * sizeof *phi);
    fftw_execute_dft_r2c(m->fwd, m->in, m->F);
    const double invV = 1.0 / (double)V;
    obs->ghat0 = (m->F[0][0] * m->F[0][0] + m->F[0][1] * m->F[0][1]) * invV;
    double g1 = 0;
    for (int mu = 0; mu < p->dim; mu++) {
        const double *c = m->F[m->idx1[mu]];
        g1 += (c[0] * c[0] + c[1] * c[1]) * invV;
    }
    obs->ghat1 = g1 / p->dim;
    if (G) {
        /* G(x) = V^-2 c2r(|F|^2)(x), then averaged over the axes. */
        long nh = mtsi_phi4_nhalf(p);
        for (long i = 0; i < nh; i++) {
            double re = m->F[i][0], im = m->F[i][1];
            m->F[i][0] = re * re + im * im;
            m->F[i][1] = 0;
        }
        fftw_execute_dft_c2r(m->bwd, m->F, m->corr);
        const double norm = invV * invV / p->dim;
        for (long r = 0; r < p->L; r++) {
            double g = 0;
            for (int mu = 0; mu < p->dim; mu++)
                g += m->corr[r * axis_inner(p, mu)];
            G[r] = g * norm;
        }
    }
}
