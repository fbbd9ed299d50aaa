#include "config.h"
#include "mtsi_cli.h"
#include "mtsi_err.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int mtsi_parse_double(const char *opt, const char *s, double *out)
{
    char *end = NULL;
    if (!s || !*s)
        return mtsi_error_set(MTSI_EINVAL, "%s: expected a number, got ''", opt);
    errno = 0;
    double v = strtod(s, &end);
    if (errno == ERANGE || *end != '\0' || end == s)
        return mtsi_error_set(MTSI_EINVAL, "%s: expected a number, got '%s'", opt, s);
    *out = v;
    return MTSI_OK;
}

int mtsi_parse_finite(const char *opt, const char *s, double *out)
{
    int rc = mtsi_parse_double(opt, s, out);
    if (rc)
        return rc;
    if (!isfinite(*out))
        return mtsi_error_set(MTSI_EINVAL, "%s: expected a finite number, got '%s'", opt, s);
    return MTSI_OK;
}

int mtsi_parse_long(const char *opt, const char *s, long *out)
{
    char *end = NULL;
    if (!s || !*s)
        return mtsi_error_set(MTSI_EINVAL, "%s: expected an integer, got ''", opt);
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno == ERANGE || *end != '\0' || end == s)
        return mtsi_error_set(MTSI_EINVAL, "%s: expected an integer, got '%s'", opt, s);
    *out = v;
    return MTSI_OK;
}

int mtsi_parse_long_range(const char *opt, const char *s, long lo, long hi, long *out)
{
    long v;
    int rc = mtsi_parse_long(opt, s, &v);
    if (rc)
        return rc;
    if (v < lo || v > hi)
        return mtsi_error_set(MTSI_EINVAL, "%s: %ld is outside the allowed range [%ld, %ld]",
                              opt, v, lo, hi);
    *out = v;
    return MTSI_OK;
}

int mtsi_cli_fail(const char *cmd)
{
    int code = mtsi_error_code();
    const char *m = mtsi_error_msg();
    fprintf(stderr, "mtsi %s: %s\n", cmd, (m && *m) ? m : "failed");
    if (code == MTSI_EINTR)
        return 130;
    return code == MTSI_EINVAL || code == MTSI_EIO ? 2 : 1;
}

int mtsi_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mtsi %s: %s (see 'mtsi %s --help')\n", cmd, buf, cmd);
    return 2;
}

char *mtsi_cli_command_line(int argc, char **argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = mtsi_malloc(n);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

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

int mtsi_out_check(const char *path, int force)
{
    struct stat st;
    if (!path || !*path)
        return mtsi_error_set(MTSI_EINVAL, "no output file given (--out)");
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return mtsi_error_set(MTSI_EINVAL, "output '%s' is a directory", path);
        if (!force)
            return mtsi_error_set(MTSI_EINVAL,
                                  "output '%s' exists; use --force to replace it", path);
    }
    if (!dir_writable(path))
        return mtsi_error_set(MTSI_EIO, "cannot write output '%s': directory is not writable or does not exist",
                              path);
    return MTSI_OK;
}

char *mtsi_out_tmpname(const char *path)
{
    size_t n = strlen(path) + 32;
    char *s = mtsi_malloc(n);
    if (s)
        snprintf(s, n, "%s.tmp-%ld", path, (long)getpid());
    return s;
}

int mtsi_out_commit(const char *tmp, const char *path)
{
    if (rename(tmp, path) != 0)
        return mtsi_error_set(MTSI_EIO, "cannot rename '%s' to '%s': %s", tmp, path,
                              strerror(errno));
    return MTSI_OK;
}

int mtsi_in_check(const char *path)
{
    struct stat st;
    if (!path || !*path)
        return mtsi_error_set(MTSI_EINVAL, "no input file given");
    if (stat(path, &st) != 0)
        return mtsi_error_set(MTSI_EINVAL, "cannot open '%s': %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return mtsi_error_set(MTSI_EINVAL, "'%s' is a directory, not a file", path);
    if (access(path, R_OK) != 0)
        return mtsi_error_set(MTSI_EINVAL, "cannot read '%s': %s", path, strerror(errno));
    return MTSI_OK;
}

static volatile sig_atomic_t signal_flag;

static void on_signal(int sig)
{
    signal_flag = sig;
}

void mtsi_signal_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int mtsi_signal_pending(void) { return signal_flag != 0; }
void mtsi_signal_reset(void) { signal_flag = 0; }

double mtsi_wtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct mtsi_progress {
    char label[64];
    long total;
    double t0, last;
    int enabled;
};

mtsi_progress *mtsi_progress_new(const char *label, long total)
{
    mtsi_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    snprintf(p->label, sizeof p->label, "%s", label);
    p->total = total;
    p->t0 = mtsi_wtime();
    p->last = -1.0;
    const char *env = getenv("MTSI_PROGRESS");
    p->enabled = env ? (strcmp(env, "0") != 0) : isatty(STDERR_FILENO);
    return p;
}

static void fmt_eta(double s, char *buf, size_t n)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, n, "--:--");
    else if (s < 3600)
        snprintf(buf, n, "%02d:%02d", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, n, "%dh%02d", (int)s / 3600, ((int)s % 3600) / 60);
}

void mtsi_progress_update(mtsi_progress *p, long done, const char *extra)
{
    if (!p || !p->enabled)
        return;
    double now = mtsi_wtime();
    int final = done >= p->total;
    if (!final && p->last >= 0 && now - p->last < 0.25)
        return;
    p->last = now;
    double el = now - p->t0;
    double rate = el > 0 ? (double)done / el : 0.0;
    char eta[32];
    fmt_eta(rate > 0 ? (double)(p->total - done) / rate : -1.0, eta, sizeof eta);
    fprintf(stderr, "\r%s %ld/%ld (%.0f%%) %.3g/s ETA %s %s\033[K", p->label, done, p->total,
            p->total > 0 ? 100.0 * (double)done / (double)p->total : 100.0, rate, eta,
            extra ? extra : "");
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

void mtsi_progress_free(mtsi_progress *p)
{
    free(p);
}

int mtsi_cli_option_error(const char *cmd, int ch, char **argv)
{
    if (ch == ':')
        return mtsi_cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
    return mtsi_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}
