/* OpenBLAS kernel selection: see mtsi_blas.h. */
#include "config.h"
#include "mtsi_blas.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *mtsi_blas_core(void)
{
    const char *name = openblas_get_corename();
    return name ? name : "unknown";
}

static const char *better_core(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    /* libgcc's checks include the OS's saved state (XCR0) for AVX/AVX-512 */
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
#endif
    return NULL;
}

void mtsi_blas_select_core(char **argv)
{
    const char *mode = getenv("MTSI_BLAS_CORE");
    if (getenv("OPENBLAS_CORETYPE") || (mode && !strcmp(mode, "keep")))
        return;
    if (strcasecmp(mtsi_blas_core(), "prescott") != 0)
        return;
    const char *core = better_core();
    if (!core)
        return;
    if (setenv("OPENBLAS_CORETYPE", core, 1) || setenv("MTSI_BLAS_CORE", "keep", 1))
        return;
    execv("/proc/self/exe", argv);
    /* exec failed: carry on with the generic kernels */
    unsetenv("OPENBLAS_CORETYPE");
}
