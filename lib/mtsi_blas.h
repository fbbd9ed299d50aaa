/* OpenBLAS kernel selection for CPUs its run-time detection does not know. */
#ifndef MTSI_BLAS_H
#define MTSI_BLAS_H

/* OpenBLAS (DYNAMIC_ARCH builds, as Debian's) picks its kernels from the
 * CPU model when it is loaded. A model it does not know (a part newer than
 * the library, or a virtual machine that hides the model) gets the generic
 * SSE3 "Prescott" kernels: sgemm about three times slower on an AVX-512
 * machine. When OpenBLAS reports Prescott, the user has not set
 * OPENBLAS_CORETYPE and the CPU (and the OS) support AVX-512 (SkylakeX
 * kernels) or AVX2 with FMA (Haswell kernels), this sets OPENBLAS_CORETYPE
 * and executes the program again (same process, same pid, same argv), once;
 * MTSI_BLAS_CORE=keep turns it off. Returns only when nothing was done or
 * the exec failed. Call it first in main, before MPI_Init or any thread. */
void mtsi_blas_select_core(char **argv);

/* The name of the kernels OpenBLAS uses (e.g. "SkylakeX"). */
const char *mtsi_blas_core(void);

#endif
