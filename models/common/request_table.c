/* request_table.c — a client's requests in flight (see request_table.h). */
#include "request_table.h"

#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"

void request_table_init(request_table *table, uint32_t connection_count,
                        uint32_t per_connection_max)
{
    BL_ASSERT(connection_count >= 1 && per_connection_max >= 1);
    table->connection_count = connection_count;
    table->per_connection_max = per_connection_max;
    table->slots = calloc((size_t)connection_count * per_connection_max, sizeof *table->slots);
    table->in_flight = calloc(connection_count, sizeof *table->in_flight);
    BL_ASSERT(table->slots != NULL && table->in_flight != NULL);
}

void request_table_free(request_table *table)
{
    free(table->slots);
    free(table->in_flight);
    memset(table, 0, sizeof *table);
}

void request_table_clear(request_table *table)
{
    memset(table->slots, 0,
           (size_t)table->connection_count * table->per_connection_max * sizeof *table->slots);
    memset(table->in_flight, 0, table->connection_count * sizeof *table->in_flight);
}

uint32_t request_table_add(request_table *table, uint32_t connection, uint32_t correlation_id,
                           uint32_t kind, int64_t sent_us, int64_t deadline_us)
{
    BL_ASSERT(connection < table->connection_count);
    BL_ASSERT(correlation_id != 0);
    BL_ASSERT(deadline_us >= sent_us);
    BL_ASSERTF(table->in_flight[connection] < table->per_connection_max,
               "more than %u requests in flight on connection %u", table->per_connection_max,
               connection);
    BL_ASSERTF(request_table_find(table, connection, correlation_id) == REQUEST_NONE,
               "correlation id %u twice on connection %u", correlation_id, connection);
    uint32_t first = request_table_first(table, connection);
    for (uint32_t slot = first; slot < first + table->per_connection_max; slot++) {
        if (table->slots[slot].correlation_id != 0) continue;
        table->slots[slot] = (request_slot){.correlation_id = correlation_id,
                                            .kind = kind,
                                            .sent_us = sent_us,
                                            .deadline_us = deadline_us};
        table->in_flight[connection]++;
        return slot;
    }
    BL_ASSERTF(false, "connection %u has %u requests in flight and no free slot", connection,
               table->in_flight[connection]);
    return REQUEST_NONE;
}

uint32_t request_table_find(const request_table *table, uint32_t connection,
                            uint32_t correlation_id)
{
    BL_ASSERT(connection < table->connection_count);
    if (correlation_id == 0 || table->in_flight[connection] == 0) return REQUEST_NONE;
    uint32_t first = request_table_first(table, connection);
    for (uint32_t slot = first; slot < first + table->per_connection_max; slot++)
        if (table->slots[slot].correlation_id == correlation_id) return slot;
    return REQUEST_NONE;
}

void request_table_remove(request_table *table, uint32_t slot)
{
    BL_ASSERT(slot < table->connection_count * table->per_connection_max);
    BL_ASSERTF(table->slots[slot].correlation_id != 0, "removing free request slot %u", slot);
    uint32_t connection = request_table_connection_of(table, slot);
    BL_ASSERT(table->in_flight[connection] > 0);
    table->in_flight[connection]--;
    memset(&table->slots[slot], 0, sizeof table->slots[slot]);
}

uint32_t request_table_next(const request_table *table, uint32_t connection, uint32_t from)
{
    uint32_t end = request_table_first(table, connection) + table->per_connection_max;
    BL_ASSERT(from >= request_table_first(table, connection) && from <= end);
    if (table->in_flight[connection] == 0) return REQUEST_NONE;
    for (uint32_t slot = from; slot < end; slot++)
        if (table->slots[slot].correlation_id != 0) return slot;
    return REQUEST_NONE;
}

int64_t request_table_earliest_deadline(const request_table *table)
{
    int64_t earliest_us = INT64_MAX;
    for (uint32_t c = 0; c < table->connection_count; c++) {
        if (table->in_flight[c] == 0) continue;
        uint32_t first = request_table_first(table, c);
        for (uint32_t slot = first; slot < first + table->per_connection_max; slot++)
            if (table->slots[slot].correlation_id != 0 &&
                table->slots[slot].deadline_us < earliest_us)
                earliest_us = table->slots[slot].deadline_us;
    }
    return earliest_us;
}
