/*
 * vmlab-warm: fills the guest page cache by reading every regular file under a directory.
 * Once by default; --loop re-reads forever, optionally capped at a rate, so cached pages stay hot
 * (and, with --drop, are evicted and refilled each pass).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUF (1u << 20)

struct pass {
    uint64_t files, bytes, errors;
};

static double rate_mibps;   /* 0 = unlimited */
static double pass_start;
static char *buf;

static void say(const char *fmt, ...)
{
    char line[512];
    int n = snprintf(line, sizeof line, "vmlab-warm: ");
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(STDOUT_FILENO, line, (size_t)n);
    (void)w;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pace(const struct pass *p)
{
    if (rate_mibps <= 0)
        return;
    double due = pass_start + (double)p->bytes / (rate_mibps * 1024 * 1024);
    double d = due - now_s();
    if (d > 0) {
        struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static void read_file(const char *path, struct pass *p)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        p->errors++;
        say("cannot open %s: %s", path, strerror(errno));
        return;
    }
    for (;;) {
        ssize_t n = read(fd, buf, BUF);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            p->errors++;
            say("cannot read %s: %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        p->bytes += (uint64_t)n;
        pace(p);
    }
    p->files++;
    close(fd);
}

static void walk(const char *dir, struct pass *p)
{
    DIR *d = opendir(dir);
    if (!d) {
        p->errors++;
        say("cannot open directory %s: %s", dir, strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) {
            p->errors++;
            continue;
        }
        struct stat sb;
        if (lstat(path, &sb) != 0) {
            p->errors++;
            continue;
        }
        if (S_ISDIR(sb.st_mode))
            walk(path, p);
        else if (S_ISREG(sb.st_mode))
            read_file(path, p);
    }
    closedir(d);
}

static void drop_caches(void)
{
    sync();
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd < 0 || write(fd, "3\n", 2) != 2)
        say("cannot drop caches: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: vmlab-warm [--loop] [--rate MIBPS] [--interval SECONDS] [--drop] DIR\n"
               "  reads every regular file under DIR once and prints files, bytes and time\n"
               "  --loop        repeat forever\n"
               "  --rate R      cap reading at R MiB/s (default unlimited)\n"
               "  --interval S  pause S seconds between passes in --loop (default 1)\n"
               "  --drop        drop the page cache before each pass (root only)\n");
}

static double num(const char *name, const char *v)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= 0 && d <= 1e9)) {
        fprintf(stderr, "vmlab-warm: error: %s must be a non-negative number, got '%s'\n", name, v);
        exit(2);
    }
    return d;
}

int main(int argc, char **argv)
{
    int loop = 0, drop = 0;
    double interval = 1;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--loop"))
            loop = 1;
        else if (!strcmp(a, "--drop"))
            drop = 1;
        else if (!strcmp(a, "--rate") && i + 1 < argc)
            rate_mibps = num("--rate", argv[++i]);
        else if (!strcmp(a, "--interval") && i + 1 < argc)
            interval = num("--interval", argv[++i]);
        else if (a[0] == '-' || dir) {
            fprintf(stderr, "vmlab-warm: error: unexpected argument '%s' (try --help)\n", a);
            return 2;
        } else
            dir = a;
    }
    if (!dir) {
        fprintf(stderr, "vmlab-warm: error: missing DIR (try --help)\n");
        return 2;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "vmlab-warm: error: %s is not a directory\n", dir);
        return 2;
    }
    buf = malloc(BUF);
    if (!buf) {
        fprintf(stderr, "vmlab-warm: error: out of memory\n");
        return 2;
    }
    for (uint64_t n = 1;; n++) {
        if (drop)
            drop_caches();
        struct pass p = {0};
        pass_start = now_s();
        walk(dir, &p);
        double s = now_s() - pass_start;
        say("pass=%" PRIu64 " files=%" PRIu64 " bytes=%" PRIu64 " ms=%.0f mibps=%.1f errors=%" PRIu64,
            n, p.files, p.bytes, s * 1000, s > 0 ? (double)p.bytes / 1048576.0 / s : 0.0, p.errors);
        if (!loop)
            return p.errors ? 1 : 0;
        struct timespec ts = {(time_t)interval, (long)((interval - (double)(time_t)interval) * 1e9)};
        nanosleep(&ts, NULL);
    }
}
