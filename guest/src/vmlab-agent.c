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
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
};

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
            if (write_all(fd, o.buf, o.n) != 0) {
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
