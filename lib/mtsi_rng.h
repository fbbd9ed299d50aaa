/* Random streams: xoshiro256++ seeded by splitmix64, one independent stream
 * per chain (stream c is the seed's generator jumped c times by 2^128).
 * The whole state is a plain struct, so checkpoints store it verbatim and a
 * resumed run continues bit-for-bit. */
#ifndef MTSI_RNG_H
#define MTSI_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
    double spare;      /* second normal deviate of the last Box-Muller pair */
    int has_spare;
    int pad_;
} mtsi_rng;

/* Stream `stream` of the family named by `seed`. */
void mtsi_rng_seed(mtsi_rng *r, uint64_t seed, uint64_t stream);
uint64_t mtsi_rng_u64(mtsi_rng *r);
/* Uniform on [0, 1), 53 random bits. */
double mtsi_rng_uniform(mtsi_rng *r);
/* Uniform on (0, 1): never 0, safe for log(). */
double mtsi_rng_uniform_pos(mtsi_rng *r);
/* Uniform integer in [0, n). */
uint64_t mtsi_rng_below(mtsi_rng *r, uint64_t n);
/* Standard normal deviate. */
double mtsi_rng_normal(mtsi_rng *r);
/* Fill x[0..n) with standard normals (double / float). */
void mtsi_rng_normal_fill(mtsi_rng *r, double *x, long n);
void mtsi_rng_normal_fillf(mtsi_rng *r, float *x, long n);

#endif
