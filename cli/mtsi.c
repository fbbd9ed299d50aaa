/* `mtsi`: git-style dispatcher to subcommands. */
#include "config.h"
#include "mtsi_cli.h"
#include "mtsi_cmd.h"
#include "mtsi_blas.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
} command;

static const command commands[] = {
    {"mcmc", mtsi_cmd_mcmc, "sample phi^4 lattices by MCMC (Langevin, MALA, HMC, FA-HMC, cluster)"},
    {"stats", mtsi_cmd_stats, "observables of an ensemble with Gamma-method errors"},
    {"compare", mtsi_cmd_compare, "compare two ensembles: z-scores, KS and W1 on M, a PNG figure"},
    {"model", mtsi_cmd_model, "inspect or create a drift-network checkpoint"},
    {"train", mtsi_cmd_train, "train the neural drift on an ensemble (checkpointed, resumable)"},
    {"fit-gaussian", mtsi_cmd_fit_gaussian, "analytic Gaussian (or +-m mixture) model of an ensemble"},
    {"sample", mtsi_cmd_sample, "generate, inpaint or fill in any order with a model's drift"},
    {"refine", mtsi_cmd_refine, "exact MCMC updates applied to every configuration (a corrector)"},
    {"sweep", mtsi_cmd_sweep, "MCMC over a grid of couplings, fields and L (MPI, SLURM arrays), Binder crossing"},
    {"images", mtsi_cmd_images, "the MNIST task: import, masks, baselines, PSNR/SSIM, digit classifier"},
    {"maze", mtsi_cmd_maze, "maze2d mazes: training paths, shortest paths, validity, planning"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: mtsi <command> [options]   (mtsi <command> --help for details)\n\n"
                 "mtsi %s - operator-based (multitask) stochastic interpolants for\n"
                 "lattice field theory.\n\ncommands:\n",
            PACKAGE_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nSee mtsi(1) and mtsi-<command>(1).\n");
}

int mtsi_cmd_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
    }
    return 0;
}

/* Every command's standard output is checked at the end (a full disk or
 * /dev/full must not exit 0): the status becomes 1 with one line. */
static int finish(const char *cmd, int status)
{
    if (mtsi_stdout_close()) {
        mtsi_cli_fail(cmd);
        return status ? status : 1;
    }
    return status;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return finish("--help", 0);
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("mtsi %s (OpenBLAS kernels: %s)\n", PACKAGE_VERSION, mtsi_blas_core());
        return finish("--version", 0);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return finish(commands[i].name, commands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "mtsi: unknown command '%s' (see 'mtsi --help')\n", argv[1]);
    return 2;
}

int main(int argc, char **argv)
{
    mtsi_blas_select_core(argv);
    return dispatch(argc, argv);
}
