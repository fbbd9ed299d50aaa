/* The output rule, input checks and signal handling (see mtsi_out.h). */
#define _GNU_SOURCE
#include "config.h"
#include "mtsi_out.h"
#include "mtsi_err.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

/* Fixed tables (no allocation): the signal handler walks them. */
#define NOUT 64
#define NTMP 32
#define NIN 32
#define PLEN 4096

typedef struct {
    volatile sig_atomic_t used;
    char path[PLEN];
    char lock[PLEN];
    int lockfd;
    int force;
    int committed; /* written once by this run: its own file now */
} out_entry;

typedef struct {
    volatile sig_atomic_t used;
    char path[PLEN];
} tmp_entry;

typedef struct {
    int used;
    dev_t dev;
    ino_t ino;
    char path[PLEN];
} in_entry;

static out_entry outs[NOUT];
static tmp_entry tmps[NTMP];
static in_entry ins[NIN];
static int initialised;

static volatile sig_atomic_t signal_flag;
static volatile sig_atomic_t polling;

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

/* async-signal-safe: unlink + close only */
static void cleanup_files(void)
{
    for (int i = 0; i < NTMP; i++)
        if (tmps[i].used) {
            unlink(tmps[i].path);
            tmps[i].used = 0;
        }
    for (int i = 0; i < NOUT; i++)
        if (outs[i].used) {
            if (outs[i].lockfd >= 0) {
                unlink(outs[i].lock);
                close(outs[i].lockfd);
                outs[i].lockfd = -1;
            }
            outs[i].used = 0;
        }
}

void mtsi_out_cleanup(void) { cleanup_files(); }

static void on_signal(int sig)
{
    if (polling && !signal_flag) {
        signal_flag = sig;
        return;
    }
    cleanup_files();
    static const char msg[] = "mtsi: interrupted by a signal; temporary files removed\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_handlers(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue; /* nohup: stays ignored */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

static void init(void)
{
    if (initialised)
        return;
    initialised = 1;
    for (int i = 0; i < NOUT; i++)
        outs[i].lockfd = -1;
    atexit(cleanup_files);
    install_handlers();
}

void mtsi_signal_install(void)
{
    init();
    polling = 1;
}

int mtsi_signal_pending(void) { return signal_flag; }
void mtsi_signal_reset(void) { signal_flag = 0; }

/* ---- inputs ------------------------------------------------------------ */

static out_entry *find_out(const char *path)
{
    for (int i = 0; i < NOUT; i++)
        if (outs[i].used && !strcmp(outs[i].path, path))
            return &outs[i];
    return NULL;
}

int mtsi_in_check(const char *path)
{
    struct stat st;
    if (!path || !*path)
        return mtsi_error_set(MTSI_EINVAL, "no input file given");
    if (stat(path, &st) != 0)
        return mtsi_error_errno(MTSI_EINVAL, errno, "cannot open '%s'", path);
    if (!S_ISREG(st.st_mode))
        return mtsi_error_set(MTSI_EINVAL, "input '%s' is %s, not a regular file", path,
                              kind_of(st.st_mode));
    if (access(path, R_OK) != 0)
        return mtsi_error_errno(MTSI_EINVAL, errno, "cannot read '%s'", path);
    return mtsi_in_register(path);
}

int mtsi_in_register(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return MTSI_OK; /* the caller reports a missing file */
    for (int i = 0; i < NOUT; i++) {
        struct stat so;
        if (outs[i].used && !outs[i].committed && stat(outs[i].path, &so) == 0 &&
            so.st_dev == st.st_dev && so.st_ino == st.st_ino)
            return mtsi_error_set(MTSI_EINVAL, "input '%s' is also the output '%s'", path,
                                  outs[i].path);
    }
    for (int i = 0; i < NIN; i++)
        if (!ins[i].used || (ins[i].dev == st.st_dev && ins[i].ino == st.st_ino)) {
            ins[i].used = 1;
            ins[i].dev = st.st_dev;
            ins[i].ino = st.st_ino;
            snprintf(ins[i].path, sizeof ins[i].path, "%s", path);
            break;
        }
    return MTSI_OK;
}

/* ---- outputs ----------------------------------------------------------- */

static int dir_writable(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return 0;
    const char *dir = dirname(copy);
    int ok = access(dir, W_OK | X_OK) == 0;
    free(copy);
    return ok;
}

static int take_lock(out_entry *e)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        int fd = open(e->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
            return mtsi_error_errno(MTSI_EINVAL, errno, "cannot write output '%s' (lock '%s')",
                                    e->path, e->lock);
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int err = errno;
            close(fd);
            if (err == EWOULDBLOCK)
                return mtsi_error_set(MTSI_EINVAL,
                                      "output '%s' is being written by another mtsi run "
                                      "(locked: '%s')",
                                      e->path, e->lock);
            return mtsi_error_errno(MTSI_EINVAL, err, "cannot lock output '%s'", e->path);
        }
        /* The holder may have removed the lock file between our open and
         * flock: then we hold a lock on a dead inode; try again. */
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(e->lock, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino) {
            e->lockfd = fd;
            return MTSI_OK;
        }
        close(fd);
    }
    return mtsi_error_set(MTSI_EINVAL, "cannot lock output '%s': the lock file keeps changing",
                          e->path);
}

int mtsi_out_check(const char *path, int force)
{
    struct stat st;
    init();
    if (!path || !*path)
        return mtsi_error_set(MTSI_EINVAL, "no output file given (--out)");
    if (strlen(path) + 32 >= PLEN)
        return mtsi_error_set(MTSI_EINVAL, "output '%.64s...': path too long", path);
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return mtsi_error_set(MTSI_EINVAL, "output '%s' is %s; refusing to replace it", path,
                                  kind_of(st.st_mode));
        if (!force)
            return mtsi_error_set(MTSI_EINVAL, "output '%s' exists; use --force to replace it",
                                  path);
        for (int i = 0; i < NIN; i++)
            if (ins[i].used && ins[i].dev == st.st_dev && ins[i].ino == st.st_ino)
                return mtsi_error_set(MTSI_EINVAL, "output '%s' is the input '%s'; refusing to "
                                      "overwrite an input", path, ins[i].path);
    }
    if (!dir_writable(path))
        return mtsi_error_set(MTSI_EINVAL, "cannot write output '%s': directory is not writable "
                              "or does not exist", path);
    out_entry *e = find_out(path);
    if (e) {
        e->force = force;
        return MTSI_OK;
    }
    for (int i = 0; i < NOUT; i++)
        if (!outs[i].used) {
            e = &outs[i];
            break;
        }
    if (!e)
        return mtsi_error_set(MTSI_EFAIL, "too many outputs open at once");
    snprintf(e->path, sizeof e->path, "%s", path);
    snprintf(e->lock, sizeof e->lock, "%s.lock", path);
    e->force = force;
    e->committed = 0;
    e->lockfd = -1;
    int rc = take_lock(e);
    if (rc)
        return rc;
    e->used = 1;
    return MTSI_OK;
}

int mtsi_out_resume(const char *path)
{
    init();
    out_entry *e = find_out(path);
    if (e && e->committed)
        return MTSI_OK; /* already this run's own file */
    int rc = mtsi_out_check(path, 1);
    if (!rc && (e = find_out(path)) != NULL)
        e->committed = 1;
    return rc;
}

void mtsi_out_release(const char *path)
{
    out_entry *e = find_out(path);
    if (!e)
        return;
    e->used = 0;
    if (e->lockfd >= 0) {
        unlink(e->lock);
        close(e->lockfd);
        e->lockfd = -1;
    }
}

static void track(const char *path)
{
    for (int i = 0; i < NTMP; i++)
        if (!tmps[i].used) {
            snprintf(tmps[i].path, sizeof tmps[i].path, "%s", path);
            tmps[i].used = 1;
            return;
        }
}

void mtsi_out_track(const char *path)
{
    init();
    for (int i = 0; i < NTMP; i++)
        if (tmps[i].used && !strcmp(tmps[i].path, path))
            return;
    track(path);
}

void mtsi_out_keep(const char *path)
{
    for (int i = 0; i < NTMP; i++)
        if (tmps[i].used && !strcmp(tmps[i].path, path))
            tmps[i].used = 0;
}

char *mtsi_out_tmpname(const char *path)
{
    init();
    size_t n = strlen(path) + 48;
    char *s = mtsi_malloc(n);
    if (!s)
        return NULL;
    for (int k = 0; k < 100; k++) {
        if (k == 0)
            snprintf(s, n, "%s.tmp-%ld", path, (long)getpid());
        else
            snprintf(s, n, "%s.tmp-%ld-%d", path, (long)getpid(), k);
        int fd = open(s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            close(fd);
            track(s);
            return s;
        }
        if (errno != EEXIST) {
            mtsi_error_errno(errno == ENOSPC || errno == EDQUOT || errno == EIO ? MTSI_EIO
                                                                                : MTSI_EINVAL,
                             errno, "cannot create a temporary file for '%s'", path);
            free(s);
            return NULL;
        }
    }
    mtsi_error_set(MTSI_EIO, "cannot create a temporary file for '%s'", path);
    free(s);
    return NULL;
}

const char *mtsi_out_user_path(const char *tmp, char *buf, size_t n)
{
    for (int i = 0; i < NTMP; i++)
        if (tmps[i].used && !strcmp(tmps[i].path, tmp)) {
            const char *t = strstr(tmps[i].path, ".tmp-");
            const char *last = t;
            while (t) { /* the last ".tmp-" is ours */
                last = t;
                t = strstr(t + 1, ".tmp-");
            }
            size_t k = (size_t)(last - tmps[i].path);
            snprintf(buf, n, "%.*s", (int)k, tmps[i].path);
            return buf;
        }
    return tmp;
}

void mtsi_out_abort(const char *tmp)
{
    if (!tmp)
        return;
    unlink(tmp);
    mtsi_out_keep(tmp);
}

static int sync_file(const char *tmp, const char *path)
{
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mtsi_error_errno(MTSI_EIO, errno, "cannot write '%s'", path);
    int rc = MTSI_OK;
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        rc = mtsi_error_errno(MTSI_EIO, errno, "cannot write '%s'", path);
    close(fd);
    return rc;
}

/* Move tmp to path unless path exists: link (atomic no-clobber), or
 * renameat2(RENAME_NOREPLACE) where links are not supported. */
static int move_noclobber(const char *tmp, const char *path)
{
    if (link(tmp, path) == 0) {
        unlink(tmp);
        return 0;
    }
    if (errno == EEXIST)
        return EEXIST;
#ifdef SYS_renameat2
    if (syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno == EEXIST)
        return EEXIST;
#endif
    /* Neither is available (e.g. some network file systems): the lock on
     * path still keeps other mtsi writers out. */
    struct stat st;
    if (stat(path, &st) == 0)
        return EEXIST;
    return rename(tmp, path) == 0 ? 0 : errno;
}

int mtsi_out_commit(const char *tmp, const char *path)
{
    out_entry *e = find_out(path);
    int force = e ? e->force : 1; /* unregistered: an internal file (checkpoint) */
    int rc = MTSI_OK;
    struct stat st;
    if ((rc = sync_file(tmp, path)) == MTSI_OK) {
        int is_input = -1;
        if (stat(path, &st) == 0 && e && !e->committed)
            for (int i = 0; i < NIN && is_input < 0; i++)
                if (ins[i].used && ins[i].dev == st.st_dev && ins[i].ino == st.st_ino)
                    is_input = i;
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
            rc = mtsi_error_set(MTSI_EINVAL, "output '%s' is %s; refusing to replace it", path,
                                kind_of(st.st_mode));
        } else if (is_input >= 0) {
            rc = mtsi_error_set(MTSI_EINVAL, "output '%s' is the input '%s'; refusing to "
                                "overwrite an input", path, ins[is_input].path);
        } else if (force) {
            if (rename(tmp, path) != 0)
                rc = mtsi_error_errno(MTSI_EIO, errno, "cannot write '%s'", path);
        } else {
            int err = move_noclobber(tmp, path);
            if (err == EEXIST)
                rc = mtsi_error_set(MTSI_EINVAL, "output '%s' was created by someone else while "
                                    "this run wrote it; not replaced (use --force)", path);
            else if (err)
                rc = mtsi_error_errno(MTSI_EIO, err, "cannot write '%s'", path);
        }
    }
    if (rc)
        unlink(tmp);
    mtsi_out_keep(tmp);
    /* The file is this run's own now: a later commit of the same output
     * (a training checkpoint) replaces it. The lock is kept until exit or
     * mtsi_out_release, so files next to it (OUT.part) stay this run's. */
    if (e && !rc) {
        e->force = 1;
        e->committed = 1;
    }
    return rc;
}

int mtsi_out_write_error(const char *path)
{
    char *copy = strdup(path);
    struct statvfs vs;
    int full = copy && statvfs(dirname(copy), &vs) == 0 && vs.f_bavail < 16;
    free(copy);
    if (full)
        return mtsi_error_errno(MTSI_EIO, ENOSPC, "cannot write '%s'", path);
    return mtsi_error_set(MTSI_EIO, "cannot write '%s' (the HDF5 library reported a write "
                          "error)", path);
}

int mtsi_stdout_close(void)
{
    int bad = 0, err = 0;
    if (fflush(stdout) != 0) {
        bad = 1;
        err = errno;
    }
    if (ferror(stdout) && !bad) {
        bad = 1; /* an earlier write failed; its errno is gone */
        err = EIO;
    }
    if (fclose(stdout) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    if (bad)
        return mtsi_error_errno(MTSI_EIO, err, "cannot write to standard output");
    return MTSI_OK;
}
