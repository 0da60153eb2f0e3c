/* dedup_store.c — the idempotent consumer's store of processed message ids (see
 * dedup_store.h): a bl_idmap set. */
#include "dedup_store.h"

#include "../../engine/bl_assert.h"

bool dedup_store_contains(const dedup_store *store, uint64_t msg_id)
{
    BL_ASSERT(msg_id != 0);
    return bl_idmap_contains(&store->ids, msg_id);
}

void dedup_store_insert(dedup_store *store, uint64_t msg_id)
{
    BL_ASSERT(msg_id != 0);
    if (store->ids.entries_max == 0) /* zeroed: not set up yet */
        bl_idmap_init(&store->ids, 0, DEDUP_STORE_IDS_MAX, "dedup store of a consumer group");
    bl_idmap_put(&store->ids, msg_id, NULL);
}

void dedup_store_remove(dedup_store *store, uint64_t msg_id)
{
    BL_ASSERT(msg_id != 0);
    bl_idmap_remove(&store->ids, msg_id);
}

void dedup_store_free(dedup_store *store)
{
    bl_idmap_free(&store->ids);
}
