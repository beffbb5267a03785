/*
 * vmlab-mkfiles (host tool): writes the deterministic file set that build.sh packs into disk.img.
 * Byte k of file number f is byte (k % 8) of the little-endian word
 *   mix64(0x564D4C4142444953 ^ (f << 48) ^ (k / 8))        (splitmix64 finalizer, see README)
 * so any block of any file can be regenerated (and recognised in guest memory) from (f, offset).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DISK_SEED 0x564D4C4142444953ull /* "SIDBALMV" */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Sizes cycle through this list: large files for the warmer, small ones for metadata variety, and
 * one with a ragged tail so not every file ends on a block boundary. */
static const uint64_t SIZES[] = {4u << 20, 1u << 20, 256u << 10, 64u << 10, 16u << 10, 4u << 10,
                                 (1u << 20) + 123};

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: vmlab-mkfiles DIR TOTAL_BYTES\n");
        return 2;
    }
    const char *dir = argv[1];
    char *end;
    uint64_t total = strtoull(argv[2], &end, 10);
    if (*end || total == 0) {
        fprintf(stderr, "vmlab-mkfiles: error: TOTAL_BYTES must be a positive integer\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/data", dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "vmlab-mkfiles: error: cannot create %s: %s\n", path, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/INDEX", dir);
    FILE *index = fopen(path, "w");
    if (!index) {
        fprintf(stderr, "vmlab-mkfiles: error: cannot create %s: %s\n", path, strerror(errno));
        return 1;
    }
    fprintf(index, "# file-number path bytes (content: see guest/README.md, disk.img)\n");
    static uint64_t buf[(1u << 20) / 8];
    uint64_t used = 0, f = 0;
    for (;; f++) {
        uint64_t size = SIZES[f % (sizeof SIZES / sizeof SIZES[0])];
        if (used + size > total)
            break;
        snprintf(path, sizeof path, "%s/data/f%04" PRIu64 ".bin", dir, f);
        FILE *out = fopen(path, "wb");
        if (!out) {
            fprintf(stderr, "vmlab-mkfiles: error: cannot create %s: %s\n", path, strerror(errno));
            return 1;
        }
        for (uint64_t off = 0; off < size; off += sizeof buf) {
            uint64_t n = size - off < sizeof buf ? size - off : sizeof buf;
            for (uint64_t w = 0; w < (n + 7) / 8; w++)
                buf[w] = mix64(DISK_SEED ^ (f << 48) ^ (off / 8 + w)); /* x86: little-endian */
            if (fwrite(buf, 1, n, out) != n) {
                fprintf(stderr, "vmlab-mkfiles: error: writing %s: %s\n", path, strerror(errno));
                return 1;
            }
        }
        if (fclose(out) != 0) {
            fprintf(stderr, "vmlab-mkfiles: error: writing %s: %s\n", path, strerror(errno));
            return 1;
        }
        fprintf(index, "%" PRIu64 " data/f%04" PRIu64 ".bin %" PRIu64 "\n", f, f, size);
        used += size;
    }
    if (fclose(index) != 0)
        return 1;
    printf("%" PRIu64 " %" PRIu64 "\n", f, used);
    return 0;
}
