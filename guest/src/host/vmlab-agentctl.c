/*
 * vmlab-agentctl (host tool, used by guest/test.sh): sends one request line to the host end of
 * the agent's virtio-serial chardev (a Unix socket) and prints the reply line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: vmlab-agentctl SOCKET 'JSON-REQUEST' [TIMEOUT_SECONDS]\n");
        return 2;
    }
    double timeout = argc == 4 ? atof(argv[3]) : 10;
    if (!(timeout > 0)) {
        fprintf(stderr, "vmlab-agentctl: error: timeout must be a positive number\n");
        return 2;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(argv[1]) >= sizeof sa.sun_path) {
        fprintf(stderr, "vmlab-agentctl: error: socket path too long\n");
        return 2;
    }
    strcpy(sa.sun_path, argv[1]);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "vmlab-agentctl: error: cannot connect to %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    size_t n = strlen(argv[2]);
    char *req = malloc(n + 2);
    if (!req)
        return 1;
    memcpy(req, argv[2], n);
    req[n++] = '\n';
    if (write(fd, req, n) != (ssize_t)n) {
        fprintf(stderr, "vmlab-agentctl: error: write failed: %s\n", strerror(errno));
        return 1;
    }
    /* Replies such as pagecache-map run to megabytes: the buffer grows. */
    size_t cap = 16384, len = 0;
    char *line = malloc(cap);
    if (!line)
        return 1;
    double deadline = now_s() + timeout;
    for (;;) {
        int left = (int)((deadline - now_s()) * 1000);
        if (left <= 0) {
            fprintf(stderr, "vmlab-agentctl: error: no reply within %.1f s\n", timeout);
            return 1;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        if (cap - len < 4096) {
            char *bigger = realloc(line, cap * 2);
            if (!bigger) {
                fprintf(stderr, "vmlab-agentctl: error: out of memory for a %zu-byte reply\n", len);
                return 1;
            }
            line = bigger;
            cap *= 2;
        }
        ssize_t k = read(fd, line + len, cap - 1 - len);
        if (k <= 0) {
            fprintf(stderr, "vmlab-agentctl: error: connection closed before a reply\n");
            return 1;
        }
        char *from = line + len;
        len += (size_t)k;
        char *nl = memchr(from, '\n', (size_t)(line + len - from));
        if (nl) {
            fwrite(line, 1, (size_t)(nl - line + 1), stdout);
            return 0;
        }
    }
}
