/* An ensemble tilted by a field, by reweighting (mtsi train --tilt with
 * --data). Not installed. */
#ifndef MTSI_TILT_H
#define MTSI_TILT_H

#include "mtsi_rng.h"

/* The laws p e^{h_k sum x}, p the empirical law of n configurations (V
 * values each) closed under x -> -x, at the K fields h_k = H (2 (k + 1/2)
 * / K - 1), the midpoints of K equal parts of [-H, H]. A law is a set of
 * weights over the 2 n pairs j = (i, s): j < n is configuration i = j
 * with s = +1, j >= n is i = j - n with s = -1, weight e^{h_k s M_i}, M_i
 * the sum of configuration i. */
typedef struct {
    long n;
    int K;
    double H;
    double *cdf; /* K x 2n cumulative weights, each row ending at 1 */
    double ess;  /* the smallest effective number of pairs over the fields,
                    (sum w)^2 / sum w^2, halved: configurations */
} mtsi_tilt_table;

/* MTSI_EINVAL for n < 1, V < 1, K < 1 or H not in (0, 10]; MTSI_ENOMEM. */
int mtsi_tilt_table_init(mtsi_tilt_table *t, const double *configs, long n, long V, double H,
                         int K);
void mtsi_tilt_table_free(mtsi_tilt_table *t);
double mtsi_tilt_field(const mtsi_tilt_table *t, int k);
/* A field k uniform over the K, then a pair j from its law (two draws of
 * r, in that order). Returns j. */
long mtsi_tilt_draw(const mtsi_tilt_table *t, mtsi_rng *r, int *k);

#endif
