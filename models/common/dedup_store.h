/* dedup_store.h — the idempotent consumer's store of processed message ids: what a
 * consumer application keeps in its database under a unique key to skip a message it
 * has already processed (claim C17). One store per consumer group, owned by the run
 * rather than by any consumer process, so it survives kill -9 of every member. Shared
 * by every broker family's consumers. */
#ifndef BL_DEDUP_STORE_H
#define BL_DEDUP_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "../../engine/idmap.h"

/* The most ids one store holds: the messages its group processed in the run (ids are
 * unique in a run; a record whose processing a kill -9 cut short is removed again). The
 * scenarios here stay below 65,536; the benchmark's reference run produces 6.3M messages
 * and its 10x variant 63M. A valid scenario may produce more (30 days at high rates), so
 * the bound is the map's own limit (BL_IDMAP_ENTRIES_LIMIT, 2^30 ids: a table of 16 GiB),
 * and memory runs out first. */
#define DEDUP_STORE_IDS_MAX BL_IDMAP_ENTRIES_LIMIT

/* The idempotent consumer's store of processed message ids (a database unique key):
 * outside the consumer process, so it survives kill -9. A zeroed store is empty and
 * valid (the run allocates one per group); the first insertion sets the set up. */
typedef struct dedup_store {
    bl_idmap ids; /* a set of message ids (which start at 1), at most DEDUP_STORE_IDS_MAX */
} dedup_store;

bool dedup_store_contains(const dedup_store *store, uint64_t msg_id);
void dedup_store_insert(dedup_store *store, uint64_t msg_id);
void dedup_store_remove(dedup_store *store, uint64_t msg_id);
void dedup_store_free(dedup_store *store);

#endif
