/* dedup_store.h — the idempotent consumer's store of processed message ids: what a
 * consumer application keeps in its database under a unique key to skip a message it
 * has already processed (claim C17). One store per consumer group, owned by the run
 * rather than by any consumer process, so it survives kill -9 of every member. Shared
 * by every broker family's consumers. */
#ifndef BL_DEDUP_STORE_H
#define BL_DEDUP_STORE_H

#include <stdbool.h>
#include <stdint.h>

/* The idempotent consumer's store of processed message ids (a database unique key):
 * outside the consumer process, so it survives kill -9. Open addressing, linear probing,
 * backward-shift deletion; 0 is the empty slot (message ids start at 1). */
typedef struct dedup_store {
    uint64_t *slots;
    uint64_t capacity;   /* power of two */
    uint64_t count;
} dedup_store;

bool dedup_store_contains(const dedup_store *store, uint64_t msg_id);
void dedup_store_insert(dedup_store *store, uint64_t msg_id);
void dedup_store_remove(dedup_store *store, uint64_t msg_id);
void dedup_store_free(dedup_store *store);

#endif
