/* Prints the digest of a training checkpoint (tests/train_digest.h), for
 * tests/train_cli.sh to compare an interrupted and resumed run with an
 * uninterrupted one. */
#include "config.h"
#include "mtsi_h5.h"
#include "train_digest.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: train_state MODEL.h5\n");
        return 2;
    }
    mtsi_h5_quiet();
    char buf[1024];
    if (train_digest(argv[1], buf, sizeof buf)) {
        fprintf(stderr, "train_state: '%s' is not a training checkpoint\n", argv[1]);
        return 2;
    }
    fputs(buf, stdout);
    return 0;
}
