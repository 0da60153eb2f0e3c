/* history_output.c — a ring of HIST_OUTPUT_BUFFERS buffers between the simulation
 * (producer of bytes) and one writer thread (SHA-256, zstd, fwrite), guarded by one
 * mutex and two condition variables. The writer never touches simulation state, and a
 * failed write is remembered and reported at close, never fatal on the writer's thread. */
#include "history_output.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <zstd.h>

#include "bl_assert.h"

struct hist_output {
    FILE *out;
    EVP_MD_CTX *sha;
    ZSTD_CCtx *zstd;  /* NULL: write the bytes as they are */
    void *compressed; /* zstd's output buffer */
    size_t compressed_capacity;
    uint64_t file_bytes;
    int write_errno; /* first failed write, 0 if none */
    char *buffers[HIST_OUTPUT_BUFFERS];
    size_t lengths[HIST_OUTPUT_BUFFERS];
    unsigned filling;       /* index the simulation fills */
    unsigned next_to_write; /* index the writer takes next */
    unsigned submitted;     /* buffers handed over and not yet written */
    bool closing;
    pthread_mutex_t lock;
    pthread_cond_t work;  /* the writer waits for a submitted buffer */
    pthread_cond_t space; /* the simulation waits for a written one */
    pthread_t writer;
};

static void write_file(hist_output *output, const void *bytes, size_t length)
{
    if (output->out == NULL || output->write_errno != 0 || length == 0) return;
    errno = 0;
    size_t written = fwrite(bytes, 1, length, output->out);
    output->file_bytes += written;
    if (written != length) output->write_errno = errno != 0 ? errno : EIO;
}

/* Compresses `length` bytes (or ends the frame) and writes what zstd produced. */
static void write_compressed(hist_output *output, const char *bytes, size_t length,
                             ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {bytes, length, 0};
    for (;;) {
        ZSTD_outBuffer out = {output->compressed, output->compressed_capacity, 0};
        size_t remaining = ZSTD_compressStream2(output->zstd, &out, &in, mode);
        BL_ASSERTF(!ZSTD_isError(remaining), "zstd: %s", ZSTD_getErrorName(remaining));
        write_file(output, output->compressed, out.pos);
        bool done = mode == ZSTD_e_end ? remaining == 0 : in.pos == in.size;
        if (done) return;
    }
}

static void write_buffer(hist_output *output, const char *bytes, size_t length)
{
    BL_ASSERT(EVP_DigestUpdate(output->sha, bytes, length) == 1);
    if (output->zstd != NULL)
        write_compressed(output, bytes, length, ZSTD_e_continue);
    else
        write_file(output, bytes, length);
}

static void *writer_main(void *arg)
{
    hist_output *output = arg;
    pthread_mutex_lock(&output->lock);
    for (;;) {
        while (output->submitted == 0 && !output->closing)
            pthread_cond_wait(&output->work, &output->lock);
        if (output->submitted == 0) break; /* closing and nothing left */
        unsigned index = output->next_to_write;
        pthread_mutex_unlock(&output->lock);
        write_buffer(output, output->buffers[index], output->lengths[index]);
        pthread_mutex_lock(&output->lock);
        output->next_to_write = (index + 1) % HIST_OUTPUT_BUFFERS;
        output->submitted--;
        pthread_cond_signal(&output->space);
    }
    pthread_mutex_unlock(&output->lock);
    if (output->zstd != NULL) write_compressed(output, NULL, 0, ZSTD_e_end);
    return NULL;
}

hist_output *hist_output_open(FILE *out, bool compress)
{
    hist_output *output = calloc(1, sizeof *output);
    BL_ASSERT(output != NULL);
    output->out = out;
    output->sha = EVP_MD_CTX_new();
    BL_ASSERT(output->sha != NULL && EVP_DigestInit_ex(output->sha, EVP_sha256(), NULL) == 1);
    if (compress) {
        output->zstd = ZSTD_createCCtx();
        BL_ASSERT(output->zstd != NULL);
        BL_ASSERT(!ZSTD_isError(
            ZSTD_CCtx_setParameter(output->zstd, ZSTD_c_compressionLevel, HIST_OUTPUT_ZSTD_LEVEL)));
        output->compressed_capacity = ZSTD_CStreamOutSize();
        output->compressed = malloc(output->compressed_capacity);
        BL_ASSERT(output->compressed != NULL);
    }
    for (unsigned i = 0; i < HIST_OUTPUT_BUFFERS; i++) {
        output->buffers[i] = malloc(HIST_OUTPUT_BUFFER_BYTES);
        BL_ASSERT(output->buffers[i] != NULL);
    }
    BL_ASSERT(pthread_mutex_init(&output->lock, NULL) == 0);
    BL_ASSERT(pthread_cond_init(&output->work, NULL) == 0 &&
              pthread_cond_init(&output->space, NULL) == 0);
    BL_ASSERT(pthread_create(&output->writer, NULL, writer_main, output) == 0);
    return output;
}

char *hist_output_buffer(hist_output *output)
{
    return output->buffers[output->filling];
}

char *hist_output_submit(hist_output *output, size_t length)
{
    BL_ASSERT(length <= HIST_OUTPUT_BUFFER_BYTES);
    pthread_mutex_lock(&output->lock);
    /* The buffer after `filling` is free once fewer than all but one are submitted. */
    while (output->submitted == HIST_OUTPUT_BUFFERS - 1)
        pthread_cond_wait(&output->space, &output->lock);
    output->lengths[output->filling] = length;
    output->submitted++;
    output->filling = (output->filling + 1) % HIST_OUTPUT_BUFFERS;
    pthread_cond_signal(&output->work);
    pthread_mutex_unlock(&output->lock);
    return output->buffers[output->filling];
}

int hist_output_close(hist_output *output, unsigned char digest[32], uint64_t *file_bytes)
{
    pthread_mutex_lock(&output->lock);
    output->closing = true;
    pthread_cond_signal(&output->work);
    pthread_mutex_unlock(&output->lock);
    BL_ASSERT(pthread_join(output->writer, NULL) == 0);
    BL_ASSERT(output->submitted == 0);
    if (output->out != NULL && output->write_errno == 0 && fflush(output->out) != 0)
        output->write_errno = errno != 0 ? errno : EIO;
    unsigned int digest_len = 0;
    BL_ASSERT(EVP_DigestFinal_ex(output->sha, digest, &digest_len) == 1 && digest_len == 32);
    *file_bytes = output->file_bytes;
    int write_errno = output->write_errno;
    EVP_MD_CTX_free(output->sha);
    ZSTD_freeCCtx(output->zstd);
    free(output->compressed);
    pthread_mutex_destroy(&output->lock);
    pthread_cond_destroy(&output->work);
    pthread_cond_destroy(&output->space);
    for (unsigned i = 0; i < HIST_OUTPUT_BUFFERS; i++) free(output->buffers[i]);
    free(output);
    return write_errno;
}
