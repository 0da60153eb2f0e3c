/* request_table.h — a client's requests in flight, as Kafka's NetworkClient keeps them
 * (InFlightRequests): per connection (one per broker), each request under its
 * correlation id with the deadline after which the client gives up on it
 * (request.timeout.ms). A request that ends without an answer — its deadline passed,
 * or its connection was reset — has an unknown outcome: the broker may or may not have
 * processed it; the caller records it so. Every family's clients use it.
 *
 * Capacity: at most per_connection_max requests per connection (the client's max in
 * flight; asserted), in slots that keep their index until removed, so a client keeps
 * what it needs per request (the batches of a produce) in an array beside the table.
 * Slots are taken lowest first and scanned in index order: connection by connection,
 * oldest slot first, which makes expiry order deterministic. */
#ifndef BL_REQUEST_TABLE_H
#define BL_REQUEST_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#define REQUEST_NONE UINT32_MAX /* no slot */

typedef struct request_slot {
    uint32_t correlation_id; /* 0 = free */
    uint32_t kind;           /* the client's: which API */
    int64_t sent_us;
    int64_t deadline_us; /* INT64_MAX = none */
} request_slot;

typedef struct request_table {
    uint32_t connection_count;
    uint32_t per_connection_max;
    request_slot *slots; /* connection_count * per_connection_max, by connection */
    uint32_t *in_flight; /* per connection */
} request_table;

void request_table_init(request_table *table, uint32_t connection_count,
                        uint32_t per_connection_max);
void request_table_free(request_table *table);
/* Forgets every request (the client process stopped). */
void request_table_clear(request_table *table);

/* Adds a request on `connection`, which must have room; returns its slot. */
uint32_t request_table_add(request_table *table, uint32_t connection, uint32_t correlation_id,
                           uint32_t kind, int64_t sent_us, int64_t deadline_us);
/* The slot of the request `correlation_id` on `connection`, or REQUEST_NONE. */
uint32_t request_table_find(const request_table *table, uint32_t connection,
                            uint32_t correlation_id);
void request_table_remove(request_table *table, uint32_t slot);

static inline uint32_t request_table_in_flight(const request_table *table, uint32_t connection)
{
    return table->in_flight[connection];
}

static inline request_slot *request_table_slot(const request_table *table, uint32_t slot)
{
    return &table->slots[slot];
}

static inline uint32_t request_table_connection_of(const request_table *table, uint32_t slot)
{
    return slot / table->per_connection_max;
}

/* The next live slot at or after `from` on `connection` (scan with from = first slot of
 * the connection, then slot + 1), or REQUEST_NONE. */
uint32_t request_table_next(const request_table *table, uint32_t connection, uint32_t from);
/* The first slot of `connection`, for request_table_next. */
static inline uint32_t request_table_first(const request_table *table, uint32_t connection)
{
    return connection * table->per_connection_max;
}
/* Visits the live slots of `connection` in index order, as `slot`; the body may remove
 * the slot it is given. */
#define REQUEST_TABLE_EACH(table, connection, slot)                                      \
    for (uint32_t slot = request_table_next((table), (connection),                       \
                                            request_table_first((table), (connection))); \
         slot != REQUEST_NONE; slot = request_table_next((table), (connection), slot + 1))

/* The earliest deadline of any request, or INT64_MAX. */
int64_t request_table_earliest_deadline(const request_table *table);

#endif
