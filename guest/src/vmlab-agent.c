/*
 * vmlab-agent: guest side of vmlab's guest cooperation channel.
 *
 * Serves a virtio-serial port (default name org.vmlab.agent) with a line protocol: one JSON
 * object per line each way. Requests {"id":N,"op":"ping"|"status"|"pci"}; replies carry the same id.
 * Unknown ops get {"id":N,"ok":false,"error":"unsupported op"}. See guest/README.md.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 4096
#define PROTOCOL 1

static const char *status_path = "/run/vmlab/workload.json";

static void say(const char *fmt, ...)
{
    char line[512];
    int n = snprintf(line, sizeof line, "vmlab-agent: ");
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- a strict parser for one flat JSON object: string, integer, true/false/null values ---- */

struct req {
    int has_id;
    uint64_t id;
    char op[64];
    int has_op;
    char dir[256]; /* "dir" member: the directory pagecache-map walks */
};

struct parser {
    const char *s;
    const char *err;
};

static void ws(struct parser *p)
{
    while (*p->s == ' ' || *p->s == '\t' || *p->s == '\r' || *p->s == '\n')
        p->s++;
}

/* Reads a string into out (truncating silently is not allowed: too long is an error). */
static int str(struct parser *p, char *out, size_t cap)
{
    size_t n = 0;
    if (*p->s != '"')
        return p->err = "expected a string", -1;
    p->s++;
    for (;;) {
        unsigned char c = (unsigned char)*p->s++;
        if (c == 0)
            return p->err = "unterminated string", -1;
        if (c == '"')
            break;
        if (c < 0x20)
            return p->err = "control character in string", -1;
        if (c == '\\') {
            char e = *p->s++;
            switch (e) {
            case '"': case '\\': case '/': c = (unsigned char)e; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u':
                for (int i = 0; i < 4; i++)
                    if (!isxdigit((unsigned char)*p->s++))
                        return p->err = "bad \\u escape", -1;
                c = '?'; /* non-ASCII never matters for keys or ops we know */
                break;
            default:
                return p->err = "bad escape in string", -1;
            }
        }
        if (n + 1 >= cap)
            return p->err = "string too long", -1;
        out[n++] = (char)c;
    }
    out[n] = 0;
    return 0;
}

static int parse_request(const char *line, struct req *r)
{
    struct parser p = {line, NULL};
    memset(r, 0, sizeof *r);
    ws(&p);
    if (*p.s != '{') {
        p.err = "expected a JSON object";
        goto bad;
    }
    p.s++;
    ws(&p);
    if (*p.s == '}') {
        p.s++;
    } else {
        for (;;) {
            char key[64], sval[256];
            ws(&p);
            if (str(&p, key, sizeof key))
                goto bad;
            ws(&p);
            if (*p.s++ != ':') {
                p.err = "expected ':'";
                goto bad;
            }
            ws(&p);
            if (*p.s == '"') {
                if (str(&p, sval, sizeof sval))
                    goto bad;
                if (!strcmp(key, "op")) {
                    if (strlen(sval) >= sizeof r->op) {
                        p.err = "op too long";
                        goto bad;
                    }
                    strcpy(r->op, sval);
                    r->has_op = 1;
                } else if (!strcmp(key, "dir")) {
                    strcpy(r->dir, sval);
                } else if (!strcmp(key, "id")) {
                    p.err = "id must be a non-negative integer";
                    goto bad;
                }
            } else if (*p.s == '-' || isdigit((unsigned char)*p.s)) {
                const char *start = p.s;
                if (*p.s == '-')
                    p.s++;
                while (isdigit((unsigned char)*p.s))
                    p.s++;
                if (*p.s == '.' || *p.s == 'e' || *p.s == 'E' || *start == '-' ||
                    p.s - start > 15) {
                    if (!strcmp(key, "id")) {
                        p.err = "id must be a non-negative integer below 10^15";
                        goto bad;
                    }
                    while (*p.s && strchr("+-.eE0123456789", *p.s))
                        p.s++;
                } else if (!strcmp(key, "id")) {
                    r->id = strtoull(start, NULL, 10);
                    r->has_id = 1;
                }
            } else if (!strncmp(p.s, "true", 4) || !strncmp(p.s, "null", 4)) {
                p.s += 4;
            } else if (!strncmp(p.s, "false", 5)) {
                p.s += 5;
            } else {
                p.err = "values must be strings, numbers, true, false or null";
                goto bad;
            }
            ws(&p);
            if (*p.s == ',') {
                p.s++;
                continue;
            }
            if (*p.s == '}') {
                p.s++;
                break;
            }
            p.err = "expected ',' or '}'";
            goto bad;
        }
    }
    ws(&p);
    if (*p.s) {
        p.err = "trailing characters after the object";
        goto bad;
    }
    return 0;
bad:
    /* Keep the id when it was read before the error so the peer can match the reply. */
    r->op[0] = 0;
    r->has_op = 0;
    strncpy(r->op, p.err ? p.err : "bad request", sizeof r->op - 1);
    return -1;
}

/* ---- replies ---- */

struct out {
    char buf[8192];
    size_t n;
    char *tail; /* malloc'd rest of a long reply (pagecache-map), sent after buf; NULL if none */
    size_t tail_n;
    struct mapping *unmap; /* file mappings pagecache-map leaves for after the reply */
    size_t unmap_n;
};

struct mapping {
    void *addr;
    size_t len;
};

/* Tearing down the mappings costs as much as a third of pagecache-map under TCG; the host
 * need not wait for it. */
static void finish(struct out *o)
{
    for (size_t i = 0; i < o->unmap_n; i++)
        munmap(o->unmap[i].addr, o->unmap[i].len);
    free(o->unmap);
    free(o->tail);
    o->unmap = NULL;
    o->unmap_n = 0;
    o->tail = NULL;
    o->tail_n = 0;
}

static void put(struct out *o, const char *fmt, ...)
{
    if (o->n >= sizeof o->buf)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->buf + o->n, sizeof o->buf - o->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        o->n += (size_t)k;
    if (o->n >= sizeof o->buf)
        o->n = sizeof o->buf - 1;
}

static void put_id(struct out *o, const struct req *r)
{
    if (r->has_id)
        put(o, "{\"id\":%" PRIu64, r->id);
    else
        put(o, "{\"id\":null");
}

static long meminfo(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    if (!p)
        return -1;
    p += strlen(key);
    while (*p == ' ' || *p == ':')
        p++;
    return strtol(p, NULL, 10);
}

static ssize_t slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = 0;
    return n;
}

static void status(struct out *o)
{
    char buf[4096];
    double up = 0;
    if (slurp("/proc/uptime", buf, sizeof buf) > 0)
        up = strtod(buf, NULL);
    put(o, ",\"uptime_s\":%.2f", up);
    if (slurp("/proc/meminfo", buf, sizeof buf) > 0)
        put(o, ",\"memory\":{\"total_kib\":%ld,\"free_kib\":%ld,\"available_kib\":%ld,"
               "\"cached_kib\":%ld}",
            meminfo(buf, "MemTotal"), meminfo(buf, "MemFree"), meminfo(buf, "MemAvailable"),
            meminfo(buf, "\nCached"));
    struct utsname u;
    if (uname(&u) == 0)
        put(o, ",\"kernel\":\"%s\"", u.release);
    ssize_t n = slurp(status_path, buf, sizeof buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = 0;
    if (n > 1 && buf[0] == '{' && buf[n - 1] == '}') {
        /* The workload wrote this object itself; it stays alive only while its pid does. */
        int alive = 0;
        const char *pid = strstr(buf, "\"pid\":");
        if (pid) {
            char proc[64];
            struct stat sb;
            snprintf(proc, sizeof proc, "/proc/%ld", strtol(pid + 6, NULL, 10));
            alive = stat(proc, &sb) == 0;
        }
        put(o, ",\"workload\":%s,\"workload_alive\":%s", buf, alive ? "true" : "false");
    } else {
        put(o, ",\"workload\":null,\"workload_alive\":false");
    }
}

/* The PCI functions the guest kernel sees now, so the host can watch a hot-plugged device come and go. */
static void pci(struct out *o)
{
    put(o, ",\"devices\":[");
    DIR *d = opendir("/sys/bus/pci/devices");
    int first = 1;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[320], vendor[16] = "", device[16] = "";
        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/vendor", e->d_name);
        ssize_t n = slurp(path, vendor, sizeof vendor);
        while (n > 0 && vendor[n - 1] == '\n')
            vendor[--n] = 0;
        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/device", e->d_name);
        n = slurp(path, device, sizeof device);
        while (n > 0 && device[n - 1] == '\n')
            device[--n] = 0;
        put(o, "%s{\"address\":\"%.32s\",\"vendor\":\"%s\",\"device\":\"%s\"}", first ? "" : ",", e->d_name,
            vendor, device);
        first = 0;
    }
    if (d)
        closedir(d);
    put(o, "]");
}

/* ---- pagecache-map: the clean page cache as (frame, block) runs, without a kernel module ----
 *
 * For each regular file under dir on dir's file system: mmap it shared, mincore() says which pages
 * are cached; touching those maps them without IO, so /proc/self/pagemap gives their frame numbers
 * (guest-physical; root only); FIEMAP gives each page's disk block; /proc/kpageflags drops frames
 * that are dirty or under writeback (not restorable from disk). Only whole pages count: a file's
 * tail page holds zeros past EOF that the disk block need not. */

#define PAGE 4096ULL
#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define KPF_UPTODATE (1ULL << 3)
#define KPF_DIRTY (1ULL << 4)
#define KPF_WRITEBACK (1ULL << 8)
#define FIEMAP_BATCH 256

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct cache_map {
    FILE *out;                   /* the "map" array being written */
    uint64_t pfn, block, len;    /* the run being extended */
    uint64_t runs, pages, files, cached, unrestorable;
    double ms_populate, ms_pagemap; /* where the time goes (TCG makes kernel work dear) */
    struct mapping *maps;
    size_t nmaps, maps_cap;
    int pagemap, kpageflags;
    dev_t dev;
    const char *err;
};

static struct cache_map *walking; /* nftw's callback has no user pointer */

static void run_emit(struct cache_map *m, uint64_t pfn, uint64_t block, uint64_t len)
{
    if (!len)
        return;
    fprintf(m->out, "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]", m->runs ? "," : "", pfn, block, len);
    m->runs++;
    m->pages += len;
}

/* Emits the current run, split where kpageflags says a frame is dirty, in writeback or stale. */
static void run_flush(struct cache_map *m)
{
    uint64_t len = m->len;
    m->len = 0;
    if (!len)
        return;
    uint64_t *flags = malloc(len * 8);
    if (m->kpageflags < 0 || !flags ||
        pread(m->kpageflags, flags, len * 8, (off_t)(m->pfn * 8)) != (ssize_t)(len * 8)) {
        free(flags);
        run_emit(m, m->pfn, m->block, len);
        return;
    }
    uint64_t start = 0;
    for (uint64_t i = 0; i < len; i++) {
        if ((flags[i] & (KPF_DIRTY | KPF_WRITEBACK)) || !(flags[i] & KPF_UPTODATE)) {
            run_emit(m, m->pfn + start, m->block + start, i - start);
            m->unrestorable++;
            start = i + 1;
        }
    }
    run_emit(m, m->pfn + start, m->block + start, len - start);
    free(flags);
}

static void run_add(struct cache_map *m, uint64_t pfn, uint64_t block)
{
    if (m->len && pfn == m->pfn + m->len && block == m->block + m->len) {
        m->len++;
        return;
    }
    run_flush(m);
    m->pfn = pfn;
    m->block = block;
    m->len = 1;
}

/* blk[i] = disk block of page i, or -1 (hole, inline, unwritten, delayed or unaligned extent). */
static int file_blocks(int fd, uint64_t npages, int64_t *blk)
{
    for (uint64_t i = 0; i < npages; i++)
        blk[i] = -1;
    size_t size = sizeof(struct fiemap) + FIEMAP_BATCH * sizeof(struct fiemap_extent);
    struct fiemap *fm = malloc(size);
    if (!fm)
        return -1;
    const uint32_t skip = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_ENCODED |
                          FIEMAP_EXTENT_DATA_ENCRYPTED | FIEMAP_EXTENT_NOT_ALIGNED |
                          FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_DATA_TAIL | FIEMAP_EXTENT_UNWRITTEN;
    uint64_t start = 0;
    for (int last = 0; !last && start < npages * PAGE;) {
        memset(fm, 0, size);
        fm->fm_start = start;
        fm->fm_length = npages * PAGE - start;
        fm->fm_extent_count = FIEMAP_BATCH;
        if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0) {
            free(fm);
            return -1;
        }
        if (fm->fm_mapped_extents == 0)
            break;
        for (uint32_t i = 0; i < fm->fm_mapped_extents; i++) {
            const struct fiemap_extent *e = &fm->fm_extents[i];
            last |= (e->fe_flags & FIEMAP_EXTENT_LAST) != 0;
            start = e->fe_logical + e->fe_length;
            if ((e->fe_flags & skip) || e->fe_logical % PAGE || e->fe_physical % PAGE)
                continue;
            for (uint64_t off = 0; off < e->fe_length; off += PAGE) {
                uint64_t page = (e->fe_logical + off) / PAGE;
                if (page < npages)
                    blk[page] = (int64_t)((e->fe_physical + off) / PAGE);
            }
        }
    }
    free(fm);
    return 0;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/* Maps the cached pages that have a block into our page tables, so pagemap shows their frames.
 * MADV_POPULATE_READ (Linux 5.14) does a whole run in the kernel; one minor fault per page costs
 * far more under TCG. Pages are cached, so neither reads the disk (unless evicted meanwhile). */
static void map_resident(char *a, uint64_t npages, const unsigned char *resident, const int64_t *blk)
{
    static int populate = 1;
    for (uint64_t i = 0; i < npages;) {
        if (!(resident[i] & 1) || blk[i] < 0) {
            i++;
            continue;
        }
        uint64_t j = i;
        while (j < npages && (resident[j] & 1) && blk[j] >= 0)
            j++;
        if (!populate || madvise(a + i * PAGE, (j - i) * PAGE, MADV_POPULATE_READ) != 0) {
            populate = populate && errno != EINVAL; /* an older kernel: touch page by page */
            for (uint64_t k = i; k < j; k++)
                (void)*(volatile char *)(a + k * PAGE); /* a minor fault maps the cached page */
        }
        i = j;
    }
}

static void map_file(struct cache_map *m, const char *path, uint64_t npages)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    size_t len = npages * PAGE;
    unsigned char *resident = malloc(npages);
    int64_t *blk = malloc(npages * sizeof *blk);
    uint64_t *pm = malloc(npages * sizeof *pm);
    char *a = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (a != MAP_FAILED && resident && blk && pm && mincore(a, len, resident) == 0 &&
        file_blocks(fd, npages, blk) == 0) {
        m->files++;
        double t = now_ms();
        map_resident(a, npages, resident, blk);
        m->ms_populate += now_ms() - t;
        t = now_ms();
        ssize_t got = pread(m->pagemap, pm, npages * 8, (off_t)((uintptr_t)a / PAGE * 8));
        m->ms_pagemap += now_ms() - t;
        if (got == (ssize_t)(npages * 8)) {
            for (uint64_t i = 0; i < npages; i++) {
                if (!(resident[i] & 1))
                    continue;
                m->cached++;
                if (blk[i] < 0 || !(pm[i] & PM_PRESENT))
                    continue;
                if ((pm[i] & PM_PFN_MASK) == 0) {
                    m->err = "pagemap hides frame numbers (the agent needs CAP_SYS_ADMIN)";
                    break;
                }
                run_add(m, pm[i] & PM_PFN_MASK, (uint64_t)blk[i]);
            }
        }
        run_flush(m);
    }
    if (a != MAP_FAILED) {
        if (m->nmaps == m->maps_cap) {
            size_t cap = m->maps_cap ? m->maps_cap * 2 : 256;
            struct mapping *more = realloc(m->maps, cap * sizeof *more);
            if (more) {
                m->maps = more;
                m->maps_cap = cap;
            }
        }
        if (m->nmaps < m->maps_cap)
            m->maps[m->nmaps++] = (struct mapping){a, len};
        else
            munmap(a, len);
    }
    free(resident);
    free(blk);
    free(pm);
    close(fd);
}

static int map_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    if (type == FTW_F && S_ISREG(st->st_mode) && st->st_dev == walking->dev && st->st_size >= (off_t)PAGE)
        map_file(walking, path, (uint64_t)st->st_size / PAGE);
    return walking->err ? 1 : 0;
}


static void pagecache_map(struct out *o, const char *dir)
{
    double t0 = now_ms();
    struct cache_map m = {.kpageflags = -1};
    struct stat st;
    char *map = NULL;
    size_t map_n = 0;
    if (strpbrk(dir, "\"\\")) { /* echoed in the reply unescaped */
        put(o, ",\"ok\":false,\"error\":\"dir must not contain quotes or backslashes\"}\n");
        return;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        put(o, ",\"ok\":false,\"error\":\"not a directory: %s\"}\n", dir);
        return;
    }
    m.dev = st.st_dev;
    m.pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (m.pagemap < 0) {
        put(o, ",\"ok\":false,\"error\":\"cannot open /proc/self/pagemap: %s\"}\n", strerror(errno));
        return;
    }
    m.kpageflags = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
    m.out = open_memstream(&map, &map_n);
    if (!m.out) {
        close(m.pagemap);
        put(o, ",\"ok\":false,\"error\":\"out of memory\"}\n");
        return;
    }
    walking = &m;
    nftw(dir, map_entry, 16, FTW_PHYS | FTW_MOUNT);
    walking = NULL;
    fputs("]}\n", m.out);
    fclose(m.out);
    close(m.pagemap);
    if (m.kpageflags >= 0)
        close(m.kpageflags);
    o->unmap = m.maps;
    o->unmap_n = m.nmaps;
    if (m.err) {
        free(map);
        put(o, ",\"ok\":false,\"error\":\"%s\"}\n", m.err);
        return;
    }
    put(o, ",\"ok\":true,\"op\":\"pagecache-map\",\"protocol\":%d,\"dir\":\"%s\",\"page_size\":%llu,"
           "\"files\":%" PRIu64 ",\"cached_pages\":%" PRIu64 ",\"pages\":%" PRIu64 ",\"runs\":%" PRIu64
           ",\"unrestorable\":%" PRIu64 ",\"kpageflags\":%s,\"ms\":%.1f,\"ms_populate\":%.1f,\"ms_pagemap\":%.1f,"
           "\"map\":[",
        PROTOCOL, dir, PAGE, m.files, m.cached, m.pages, m.runs, m.unrestorable,
        m.kpageflags >= 0 ? "true" : "false", now_ms() - t0, m.ms_populate, m.ms_pagemap);
    o->tail = map;
    o->tail_n = map_n;
}

static void answer(const char *line, struct out *o)
{
    struct req r;
    o->n = 0;
    if (parse_request(line, &r) != 0) {
        put_id(o, &r);
        put(o, ",\"ok\":false,\"error\":\"bad request: %s\"}\n", r.op);
        return;
    }
    if (!r.has_id || !r.has_op) {
        put_id(o, &r);
        put(o, ",\"ok\":false,\"error\":\"bad request: missing %s\"}\n", r.has_id ? "op" : "id");
        return;
    }
    put_id(o, &r);
    if (!strcmp(r.op, "ping")) {
        put(o, ",\"ok\":true,\"op\":\"ping\",\"protocol\":%d}\n", PROTOCOL);
    } else if (!strcmp(r.op, "status")) {
        put(o, ",\"ok\":true,\"op\":\"status\",\"protocol\":%d", PROTOCOL);
        status(o);
        put(o, "}\n");
    } else if (!strcmp(r.op, "pci")) {
        put(o, ",\"ok\":true,\"op\":\"pci\",\"protocol\":%d", PROTOCOL);
        pci(o);
        put(o, "}\n");
    } else if (!strcmp(r.op, "pagecache-map")) {
        pagecache_map(o, r.dir[0] ? r.dir : "/mnt/disk");
    } else {
        put(o, ",\"ok\":false,\"error\":\"unsupported op\"}\n");
    }
}

/* ---- the port ---- */

static int find_port(const char *name, char *dev, size_t cap)
{
    snprintf(dev, cap, "/dev/virtio-ports/%s", name);
    if (access(dev, R_OK | W_OK) == 0)
        return 0;
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d)
        return -1;
    struct dirent *e;
    int found = -1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], got[128];
        snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
        ssize_t n = slurp(path, got, sizeof got);
        while (n > 0 && got[n - 1] == '\n')
            got[--n] = 0;
        if (n > 0 && !strcmp(got, name)) {
            snprintf(dev, cap, "/dev/%s", e->d_name);
            found = access(dev, R_OK | W_OK) == 0 ? 0 : -1;
            break;
        }
    }
    closedir(d);
    return found;
}

static int write_all(int fd, const char *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static void serve(int fd)
{
    static char line[MAX_LINE + 1];
    static struct out o;
    size_t len = 0;
    int overflow = 0;
    char chunk[1024];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            say("port read failed: %s; reopening", strerror(errno));
            return;
        }
        if (n == 0) {
            /* No host connected: virtio_console reports EOF until one is. Drop any partial line. */
            len = 0;
            overflow = 0;
            sleep_ms(100);
            continue;
        }
        for (ssize_t i = 0; i < n; i++) {
            char c = chunk[i];
            if (c != '\n') {
                if (len < MAX_LINE)
                    line[len++] = c;
                else
                    overflow = 1;
                continue;
            }
            line[len] = 0;
            if (overflow) {
                o.n = 0;
                put(&o, "{\"id\":null,\"ok\":false,\"error\":\"bad request: line longer than %d bytes\"}\n",
                    MAX_LINE);
            } else if (len == 0 || (len == 1 && line[0] == '\r')) {
                continue;
            } else {
                answer(line, &o);
            }
            len = 0;
            overflow = 0;
            int failed = write_all(fd, o.buf, o.n) != 0 ||
                         (o.tail && write_all(fd, o.tail, o.tail_n) != 0);
            finish(&o);
            if (failed) {
                say("port write failed: %s; reopening", strerror(errno));
                return;
            }
        }
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: vmlab-agent [--port NAME] [--status FILE] [--once-request LINE]\n"
               "  serves the virtio-serial port NAME (default org.vmlab.agent)\n"
               "  --status FILE        workload status JSON to report (default %s)\n"
               "  --once-request LINE  answer LINE on stdout and exit (for testing the protocol)\n",
            status_path);
}

int main(int argc, char **argv)
{
    const char *name = "org.vmlab.agent";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            name = argv[++i];
        } else if (!strcmp(argv[i], "--status") && i + 1 < argc) {
            status_path = argv[++i];
        } else if (!strcmp(argv[i], "--once-request") && i + 1 < argc) {
            static struct out o;
            answer(argv[++i], &o);
            fwrite(o.buf, 1, o.n, stdout);
            if (o.tail)
                fwrite(o.tail, 1, o.tail_n, stdout);
            finish(&o);
            return 0;
        } else {
            fprintf(stderr, "vmlab-agent: error: unexpected argument '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    char dev[300];
    for (int waited = 0;; waited++) {
        if (find_port(name, dev, sizeof dev) == 0) {
            int fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
            if (fd >= 0) {
                say("serving %s on %s", name, dev);
                serve(fd);
                close(fd);
                waited = 0;
            } else if (waited % 20 == 0) {
                say("cannot open %s: %s", dev, strerror(errno));
            }
        } else if (waited == 10) {
            say("no virtio-serial port named %s yet; still looking", name);
        }
        sleep_ms(500);
    }
}
