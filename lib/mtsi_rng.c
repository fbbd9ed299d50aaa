#include "config.h"
#include "mtsi_rng.h"

#include <math.h>

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t mtsi_rng_u64(mtsi_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[0] + s[3], 23) + s[0];
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Advances by 2^128 draws: streams never overlap in practice. */
static void jump(mtsi_rng *r)
{
    static const uint64_t J[] = {0x180ec6d33cfd0abaULL, 0xd5a61266f0c9392cULL,
                                 0xa9582618e03fc9aaULL, 0x39abdc4529b1661cULL};
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 64; b++) {
            if (J[i] & ((uint64_t)1 << b)) {
                s0 ^= r->s[0];
                s1 ^= r->s[1];
                s2 ^= r->s[2];
                s3 ^= r->s[3];
            }
            mtsi_rng_u64(r);
        }
    r->s[0] = s0;
    r->s[1] = s1;
    r->s[2] = s2;
    r->s[3] = s3;
}

void mtsi_rng_seed(mtsi_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0.0;
    r->pad_ = 0;
    for (uint64_t c = 0; c < stream; c++)
        jump(r);
}

double mtsi_rng_uniform(mtsi_rng *r)
{
    return (double)(mtsi_rng_u64(r) >> 11) * 0x1.0p-53;
}

double mtsi_rng_uniform_pos(mtsi_rng *r)
{
    return ((double)(mtsi_rng_u64(r) >> 11) + 0.5) * 0x1.0p-53;
}

uint64_t mtsi_rng_below(mtsi_rng *r, uint64_t n)
{
    /* Lemire's nearly divisionless method, unbiased. */
    uint64_t x = mtsi_rng_u64(r);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t l = (uint64_t)m;
    if (l < n) {
        uint64_t t = -n % n;
        while (l < t) {
            x = mtsi_rng_u64(r);
            m = (__uint128_t)x * n;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Marsaglia's polar method: exact normals, the spare deviate is kept in the
 * state so that the stream is a pure function of the seed. */
double mtsi_rng_normal(mtsi_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * mtsi_rng_uniform(r) - 1.0;
        v = 2.0 * mtsi_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}

void mtsi_rng_normal_fill(mtsi_rng *r, double *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = mtsi_rng_normal(r);
}

void mtsi_rng_normal_fillf(mtsi_rng *r, float *x, long n)
{
    for (long i = 0; i < n; i++)
        x[i] = (float)mtsi_rng_normal(r);
}
