/* replay_main.c — runs a libFuzzer harness without libFuzzer: every file named on the
 * command line, and every regular file under a directory named there (recursively, by
 * name in byte order, so the run is the same everywhere), is read whole and passed once
 * to LLVMFuzzerTestOneInput.
 *
 * It owns the replay of the crash-regression corpora (tests/corpus/<target>/) and the
 * seed corpora under ctest (tests/fuzz/fuzz.cmake), in any build: gcc's, the ASan+UBSan
 * one (BL_SANITIZE), clang's. An input that crashes the harness ends the process (the
 * test fails; the file being replayed is the last one printed); otherwise it prints how
 * many inputs it replayed and exits 0. Exit code 2 for a path it cannot read. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long g_replayed;

static int cannot(const char *what, const char *path)
{
    fprintf(stderr, "replay: cannot %s %s: %s\n", what, path, strerror(errno));
    return 2;
}

static int replay_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) return cannot("open", path);
    size_t capacity = 1 << 16, length = 0;
    uint8_t *data = malloc(capacity);
    if (data == NULL) {
        fclose(file);
        return cannot("allocate memory for", path);
    }
    for (;;) {
        length += fread(data + length, 1, capacity - length, file);
        if (length < capacity) break;
        uint8_t *grown = realloc(data, capacity * 2);
        if (grown == NULL) {
            free(data);
            fclose(file);
            return cannot("allocate memory for", path);
        }
        data = grown;
        capacity *= 2;
    }
    int failed = ferror(file);
    fclose(file);
    if (failed) {
        free(data);
        return cannot("read", path);
    }
    printf("replay: %s (%zu bytes)\n", path, length);
    fflush(stdout);
    LLVMFuzzerTestOneInput(data, length);
    free(data);
    g_replayed++;
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_path(const char *path)
{
    struct stat info;
    if (stat(path, &info) != 0) return cannot("find", path);
    if (S_ISREG(info.st_mode)) return replay_file(path);
    if (!S_ISDIR(info.st_mode)) return 0; /* a fifo, a socket: not an input */
    struct dirent **entries = NULL;
    int count = scandir(path, &entries, NULL, by_name);
    if (count < 0) return cannot("list", path);
    int rc = 0;
    for (int i = 0; i < count; i++) {
        const char *name = entries[i]->d_name;
        if (rc == 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            size_t length = strlen(path) + 1 + strlen(name) + 1;
            char *child = malloc(length);
            if (child != NULL) {
                snprintf(child, length, "%s/%s", path, name);
                rc = replay_path(child);
                free(child);
            } else {
                rc = cannot("allocate memory for", path);
            }
        }
        free(entries[i]);
    }
    free(entries);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIRECTORY...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        int rc = replay_path(argv[i]);
        if (rc != 0) return rc;
    }
    printf("replay: %lu inputs, no crash\n", g_replayed);
    return 0;
}
