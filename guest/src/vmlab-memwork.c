/*
 * vmlab-memwork: memory workload for vmlab QEMU guests.
 *
 * Allocates N MiB, writes every 4 KiB page once, then rewrites pages at a target rate with a
 * uniform or zipf page distribution. Every page carries a self-describing header and a fill
 * derived from (index, counter, nonce) so both this program and a host scanning guest physical
 * memory can verify it. Layout (little-endian u64 words; see guest/README.md):
 *   w0 magic "VMLABPG1"  w1 seq (odd while being rewritten)  w2 index  w3 counter
 *   w4 nonce  w5 check = mix(magic^nonce^index*K1^counter*K2)  w6 = ~index  w7 = 0
 *   w8..w511 = check + j * GOLDEN (wrapping)
 * A stable page has seq == 2 * counter.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define WORDS (PAGE / 8u)
#define MAGIC 0x31475042414C4D56ull /* "VMLABPG1" read as a little-endian u64 */
#define K1 0x9E3779B97F4A7C15ull
#define K2 0xC2B2AE3D27D4EB4Full
#define GOLDEN 0x9E3779B97F4A7C15ull
#define ZIPF_MULT 2654435761ull /* prime, so rank*M mod N is a bijection for any N below it */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t check_word(uint64_t nonce, uint64_t index, uint64_t counter)
{
    return mix64(MAGIC ^ nonce ^ (index * K1) ^ (counter * K2));
}

struct opts {
    uint64_t mib;
    double rate;          /* MiB/s; 0 = no rewrites; <0 = unlimited */
    int zipf;
    double zipf_s;
    double check_s;
    double report_s;
    const char *status_path;
    uint64_t seed;
    int have_seed;
    uint64_t fault_gen;   /* test hook: corrupt one word just before this check (0 = never) */
};

struct state {
    volatile uint64_t *mem;
    uint64_t pages;
    uint64_t nonce;
    uint64_t gen;
    uint64_t writes;
    uint64_t failures;
    double *cdf;          /* zipf only */
    uint64_t rng;
};

/* One write() per line so console output from other processes does not split it. */
static void say(const char *fmt, ...)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "vmlab-memwork: ");
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    ssize_t w = write(STDOUT_FILENO, buf, (size_t)n);
    (void)w;
}

static void die(const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "vmlab-memwork: error: %s\n", buf);
    exit(2);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t next_rand(struct state *st)
{
    st->rng += GOLDEN;
    return mix64(st->rng);
}

static void write_page(struct state *st, uint64_t index, uint64_t counter)
{
    volatile uint64_t *p = st->mem + index * WORDS;
    uint64_t check = check_word(st->nonce, index, counter);
    /* seqlock: odd before the body changes, even after; the fences keep the compiler and CPU from
     * reordering the body across the two seq stores, so a pause in between leaves seq odd. */
    p[1] = 2 * counter - 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    p[3] = counter;
    p[5] = check;
    for (uint64_t j = 8; j < WORDS; j++)
        p[j] = check + j * GOLDEN;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    p[1] = 2 * counter;
}

static void init_page(struct state *st, uint64_t index)
{
    volatile uint64_t *p = st->mem + index * WORDS;
    uint64_t check = check_word(st->nonce, index, 0);
    p[0] = MAGIC;
    p[1] = 0;
    p[2] = index;
    p[3] = 0;
    p[4] = st->nonce;
    p[5] = check;
    p[6] = ~index;
    p[7] = 0;
    for (uint64_t j = 8; j < WORDS; j++)
        p[j] = check + j * GOLDEN;
}

/* Returns the first bad word of a page, or -1 when the page is consistent. */
static int verify_page(const struct state *st, uint64_t index, uint64_t *expected, uint64_t *got)
{
    const volatile uint64_t *p = st->mem + index * WORDS;
    uint64_t counter = p[3];
    uint64_t check = check_word(st->nonce, index, counter);
    uint64_t head[8] = {MAGIC, 2 * counter, index, counter, st->nonce, check, ~index, 0};
    for (int j = 0; j < 8; j++) {
        if (p[j] != head[j]) {
            *expected = head[j];
            *got = p[j];
            return j;
        }
    }
    for (uint64_t j = 8; j < WORDS; j++) {
        uint64_t want = check + j * GOLDEN;
        if (p[j] != want) {
            *expected = want;
            *got = p[j];
            return (int)j;
        }
    }
    return -1;
}

static uint64_t pick_page(struct state *st)
{
    if (!st->cdf)
        return next_rand(st) % st->pages;
    double u = (double)(next_rand(st) >> 11) * (1.0 / 9007199254740992.0);
    uint64_t lo = 0, hi = st->pages - 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (st->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Scatter hot ranks over the whole area so hot pages are not one contiguous block. */
    return (lo * ZIPF_MULT) % st->pages;
}

static void write_status(const struct opts *o, const struct state *st, const char *state,
                         double mibps)
{
    if (!o->status_path)
        return;
    char tmp[300], buf[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", o->status_path);
    int n = snprintf(buf, sizeof buf,
                     "{\"workload\":\"memory\",\"state\":\"%s\",\"pages\":%" PRIu64
                     ",\"mib\":%" PRIu64 ",\"nonce\":\"0x%016" PRIx64 "\",\"gen\":%" PRIu64
                     ",\"writes\":%" PRIu64 ",\"failures\":%" PRIu64
                     ",\"mibps\":%.1f,\"dist\":\"%s\",\"target_mibps\":%.1f,\"pid\":%d}\n",
                     state, st->pages, o->mib, st->nonce, st->gen, st->writes, st->failures, mibps,
                     o->zipf ? "zipf" : "uniform", o->rate, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    ssize_t w = write(fd, buf, (size_t)n);
    close(fd);
    if (w == n)
        rename(tmp, o->status_path);
}

static void full_check(const struct opts *o, struct state *st, double mibps)
{
    if (o->fault_gen && st->gen + 1 == o->fault_gen) {
        /* Deliberate damage so tests can prove the check fails; the host scan must flag it too. */
        st->mem[(st->pages / 2) * WORDS + 9] ^= 1;
        say("fault injected page=%" PRIu64 " word=9", st->pages / 2);
    }
    double t0 = now_s();
    uint64_t bad = 0, first = 0, expected = 0, got = 0;
    int word = -1;
    for (uint64_t i = 0; i < st->pages; i++) {
        uint64_t e, g;
        int w = verify_page(st, i, &e, &g);
        if (w >= 0) {
            if (bad++ == 0) {
                first = i;
                word = w;
                expected = e;
                got = g;
            }
        }
    }
    st->gen++;
    double ms = (now_s() - t0) * 1000.0;
    if (bad == 0) {
        say("check ok pages=%" PRIu64 " gen=%" PRIu64 " writes=%" PRIu64 " mibps=%.1f ms=%.0f",
            st->pages, st->gen, st->writes, mibps, ms);
    } else {
        st->failures += bad;
        say("check FAILED page=%" PRIu64 " word=%d expected=0x%016" PRIx64 " got=0x%016" PRIx64
            " bad=%" PRIu64 " pages=%" PRIu64 " gen=%" PRIu64 " writes=%" PRIu64,
            first, word, expected, got, bad, st->pages, st->gen, st->writes);
    }
    write_status(o, st, st->failures ? "failed" : "running", mibps);
}

static double parse_double(const char *name, const char *v, double min, double max)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= min && d <= max))
        die("%s must be a number in [%.15g, %.15g], got '%s'", name, min, max, v);
    return d;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vmlab-memwork [options]\n"
            "  --mib N          memory to allocate and keep under the invariant (default 64)\n"
            "  --rate R         page rewrites in MiB/s; 0 = none after the first touch; max = unlimited (default 10)\n"
            "  --dist D         uniform | zipf (default uniform)\n"
            "  --zipf-s S       zipf exponent (default 0.99)\n"
            "  --check T        seconds between full self-checks (default 5)\n"
            "  --report T       seconds between rate lines (default 5)\n"
            "  --status FILE    write a one-line JSON status after each check (for vmlab-agent)\n"
            "  --seed N         fixes the nonce and the page sequence (default: random)\n"
            "  --inject-fault G flips one bit of page pages/2 just before check number G (tests)\n");
}

int main(int argc, char **argv)
{
    struct opts o = {.mib = 64, .rate = 10, .zipf = 0, .zipf_s = 0.99, .check_s = 5,
                     .report_s = 5, .status_path = NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc)
            die("unknown option or missing value: %s (try --help)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--mib"))
            o.mib = (uint64_t)parse_double("--mib", v, 1, 1 << 20);
        else if (!strcmp(a, "--rate"))
            o.rate = !strcmp(v, "max") ? -1 : parse_double("--rate", v, 0, 1e6);
        else if (!strcmp(a, "--dist")) {
            if (!strcmp(v, "zipf"))
                o.zipf = 1;
            else if (!strcmp(v, "uniform"))
                o.zipf = 0;
            else
                die("--dist must be uniform or zipf, got '%s'", v);
        } else if (!strcmp(a, "--zipf-s"))
            o.zipf_s = parse_double("--zipf-s", v, 0.01, 10);
        else if (!strcmp(a, "--check"))
            o.check_s = parse_double("--check", v, 0.1, 86400);
        else if (!strcmp(a, "--report"))
            o.report_s = parse_double("--report", v, 0.1, 86400);
        else if (!strcmp(a, "--status"))
            o.status_path = v;
        else if (!strcmp(a, "--seed")) {
            o.seed = (uint64_t)parse_double("--seed", v, 0, 9e15);
            o.have_seed = 1;
        } else if (!strcmp(a, "--inject-fault"))
            o.fault_gen = (uint64_t)parse_double("--inject-fault", v, 1, 1e15);
        else
            die("unknown option: %s (try --help)", a);
    }

    struct state st = {0};
    st.pages = o.mib * (1024 * 1024 / PAGE);
    if (o.have_seed) {
        st.nonce = mix64(o.seed ^ MAGIC);
    } else if (getrandom(&st.nonce, sizeof st.nonce, GRND_NONBLOCK) != sizeof st.nonce) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        st.nonce = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)getpid());
    }
    st.rng = st.nonce;

    size_t len = (size_t)(st.pages * PAGE);
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        die("cannot allocate %" PRIu64 " MiB: %s", o.mib, strerror(errno));
    /* Keep plain 4 KiB pages: a huge-page collapse would copy pages behind our back. */
    madvise(m, len, MADV_NOHUGEPAGE);
    st.mem = m;

    if (o.zipf) {
        st.cdf = malloc(st.pages * sizeof(double));
        if (!st.cdf)
            die("cannot allocate the zipf table");
        double sum = 0;
        for (uint64_t k = 0; k < st.pages; k++)
            sum += 1.0 / pow((double)(k + 1), o.zipf_s);
        double acc = 0;
        for (uint64_t k = 0; k < st.pages; k++) {
            acc += 1.0 / pow((double)(k + 1), o.zipf_s) / sum;
            st.cdf[k] = acc;
        }
        st.cdf[st.pages - 1] = 1.0;
    }

    double t0 = now_s();
    for (uint64_t i = 0; i < st.pages; i++)
        init_page(&st, i);
    if (mlock(m, len) != 0) {
        /* Not fatal: without swap the pages stay resident anyway. */
    }
    uint64_t *counters = calloc(st.pages, sizeof(uint64_t));
    if (!counters)
        die("cannot allocate the counter table");
    char rate[32];
    if (o.rate < 0)
        snprintf(rate, sizeof rate, "max");
    else
        snprintf(rate, sizeof rate, "%.1f", o.rate);
    say("start pages=%" PRIu64 " mib=%" PRIu64 " nonce=0x%016" PRIx64
        " dist=%s rate=%s check=%.1fs touch_ms=%.0f",
        st.pages, o.mib, st.nonce, o.zipf ? "zipf" : "uniform", rate, o.check_s,
        (now_s() - t0) * 1000.0);
    write_status(&o, &st, "running", 0);

    double pages_per_s = o.rate * 1024 * 1024 / PAGE;
    double start = now_s();
    double next_check = start + o.check_s, next_report = start + o.report_s;
    double base_t = start;          /* rate accounting restarts after each check's pause */
    uint64_t base_w = 0;
    double check_t = start;
    uint64_t check_w = 0;
    double report_t = start;
    uint64_t report_w = 0;

    for (;;) {
        double t = now_s();
        if (o.rate != 0) {
            uint64_t done = st.writes - base_w;
            uint64_t target = o.rate < 0 ? done + 256 : (uint64_t)((t - base_t) * pages_per_s);
            uint64_t due = target > done ? target - done : 0;
            if (due > 4096)
                due = 4096;
            for (uint64_t k = 0; k < due; k++) {
                uint64_t idx = pick_page(&st);
                write_page(&st, idx, ++counters[idx]);
                st.writes++;
            }
        }
        t = now_s();
        if (t >= next_report) {
            double mibps = (double)(st.writes - report_w) * PAGE / (1024.0 * 1024.0) / (t - report_t);
            say("rate mibps=%.1f writes=%" PRIu64 " pages=%" PRIu64, mibps, st.writes, st.pages);
            report_t = t;
            report_w = st.writes;
            next_report = t + o.report_s;
        }
        if (t >= next_check) {
            double mibps = (double)(st.writes - check_w) * PAGE / (1024.0 * 1024.0) / (t - check_t);
            full_check(&o, &st, mibps);
            double after = now_s();
            check_t = after;
            check_w = st.writes;
            base_t = after;
            base_w = st.writes;
            next_check = after + o.check_s;
        }
        if (o.rate >= 0) {
            /* Sleep 1 ms between batches; an idle workload sleeps until the next deadline. */
            double until = o.rate == 0 ? (next_check < next_report ? next_check : next_report)
                                       : now_s() + 0.001;
            double d = until - now_s();
            if (d > 0) {
                struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
    }
}
