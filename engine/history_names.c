/* history_names.c — the name table of the history (nodes, topics, groups, fault kinds
 * and targets) and the names of the record enums.
 *
 * Names are interned once and records carry their index. The table itself (history.h)
 * is a plain array; lookups go through a small hash index kept beside it, so parsing a
 * long history with a thousand producer nodes does not strcmp its way through the
 * table on every line. The index is only a cache: every hit is verified with strcmp and
 * every miss is confirmed by a linear scan before a name is added, so a stale index
 * (another table, or a table reset) costs time, never a wrong answer. Indices depend
 * only on the order names were interned, never on addresses (DESIGN.md rule 4).
 *
 * Names of HIST_NAME_LEN bytes or more (a network fault's target listing many nodes)
 * live in the long-name store below, shared by every table of the process, each
 * distinct text once: tables are plain values their owners free with free(), so they
 * cannot own heap text. The store is bounded (HIST_LONG_NAMES_MAX texts) and lives
 * until the process exits. */
#include "history.h"

#include <stdlib.h>
#include <string.h>

#include "bl_assert.h"
#include "vec.h"

#define NAMES_INDEX_SLOTS 8192u /* power of two, >= 2 * HIST_NAMES_MAX */

_Static_assert(NAMES_INDEX_SLOTS >= 2u * HIST_NAMES_MAX, "the index must stay half empty");
_Static_assert(HIST_NAMES_MAX <= 65536, "name indices are uint16_t");

static struct {
    const hist_names *table;           /* the table the index was built for */
    uint32_t used;                     /* occupied slots */
    uint16_t slots[NAMES_INDEX_SLOTS]; /* name index + 1; 0 = empty */
} g_index;

/* The long-name store: texts[0 .. count), each malloc'd, NUL-terminated, distinct. */
static struct {
    char **texts;
    uint32_t count, capacity;
} g_long;

/* The stored copy of a long text (length bytes at text), added if new; NULL when the
 * store is full. Linear: a process holds few long names (one per network fault). */
static const char *long_name_store(const char *text, size_t length)
{
    BL_ASSERT(length >= HIST_NAME_LEN && length < HIST_LONG_NAME_LEN);
    for (uint32_t i = 0; i < g_long.count; i++)
        if (strncmp(g_long.texts[i], text, length) == 0 && g_long.texts[i][length] == '\0')
            return g_long.texts[i];
    if (g_long.count >= HIST_LONG_NAMES_MAX) return NULL;
    BL_GROW(g_long.texts, g_long.capacity, (uint64_t)g_long.count + 1, HIST_LONG_NAMES_MAX,
            "history long names");
    char *copy = malloc(length + 1);
    BL_ASSERT(copy != NULL);
    memcpy(copy, text, length);
    copy[length] = '\0';
    g_long.texts[g_long.count++] = copy;
    return copy;
}

static uint32_t name_hash(const char *name)
{
    uint32_t hash = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        hash = (hash ^ *p) * 16777619u;
    }
    return hash;
}

static void index_insert(uint32_t name_index, const char *name)
{
    BL_ASSERT(g_index.used < NAMES_INDEX_SLOTS / 2u);
    uint32_t slot = name_hash(name) & (NAMES_INDEX_SLOTS - 1u);
    while (g_index.slots[slot] != 0) {
        if (g_index.slots[slot] == name_index + 1u) return;
        slot = (slot + 1u) & (NAMES_INDEX_SLOTS - 1u);
    }
    g_index.slots[slot] = (uint16_t)(name_index + 1u);
    g_index.used++;
}

static void index_reset(const hist_names *names)
{
    memset(g_index.slots, 0, sizeof g_index.slots);
    g_index.used = 0;
    g_index.table = names;
    for (uint32_t i = 0; i < names->count; i++) index_insert(i, hist_name(names, i));
}

/* The index's candidate for `name` (verified), or -1. */
static int32_t index_lookup(const hist_names *names, const char *name)
{
    uint32_t slot = name_hash(name) & (NAMES_INDEX_SLOTS - 1u);
    while (g_index.slots[slot] != 0) {
        uint32_t candidate = g_index.slots[slot] - 1u;
        if (candidate < names->count && strcmp(hist_name(names, candidate), name) == 0) {
            return (int32_t)candidate;
        }
        slot = (slot + 1u) & (NAMES_INDEX_SLOTS - 1u);
    }
    return -1;
}

int32_t hist_names_find(const hist_names *names, const char *name)
{
    BL_ASSERT(names != NULL && name != NULL);
    BL_ASSERT(names->count <= HIST_NAMES_MAX);
    if (g_index.table != names) index_reset(names);
    int32_t found = index_lookup(names, name);
    if (found >= 0) return found;
    /* Confirm the miss: the index may be stale (a reused table at the same address). */
    for (uint32_t i = 0; i < names->count; i++) {
        if (strcmp(hist_name(names, i), name) == 0) {
            index_reset(names);
            return (int32_t)i;
        }
    }
    return -1;
}

uint16_t hist_names_intern(hist_names *names, const char *name)
{
    int32_t found = hist_names_find(names, name);
    if (found >= 0) return (uint16_t)found;
    size_t length = strlen(name);
    BL_ASSERTF(length < HIST_LONG_NAME_LEN, "history name too long (%zu bytes): %.40s...", length,
               name);
    for (size_t i = 0; i < length; i++) {
        BL_ASSERTF((unsigned char)name[i] >= 0x20u, "control character in history name");
    }
    BL_ASSERTF(names->count < HIST_NAMES_MAX, "history name table full (%d names)", HIST_NAMES_MAX);
    uint32_t index = names->count;
    bool stored = hist_names_set(names, index, name, length);
    BL_ASSERTF(stored, "history long-name store full (%u texts)", HIST_LONG_NAMES_MAX);
    return (uint16_t)index;
}

bool hist_names_set(hist_names *names, uint32_t index, const char *name, size_t length)
{
    BL_ASSERT(index < HIST_NAMES_MAX && length < HIST_LONG_NAME_LEN);
    const char *long_text = NULL;
    if (length >= HIST_NAME_LEN) {
        long_text = long_name_store(name, length);
        if (long_text == NULL) return false;
    }
    names->long_names[index] = long_text;
    if (long_text != NULL) names->long_count++;
    names->names[index][0] = '\0';
    if (long_text == NULL) {
        memcpy(names->names[index], name, length);
        names->names[index][length] = '\0';
    }
    if (index + 1 > names->count) names->count = index + 1;
    /* Stale entries (a table reset in place, a name redefined) only accumulate until the
     * next rebuild; a lookup verifies every hit. */
    if (g_index.table != names || g_index.used >= NAMES_INDEX_SLOTS / 2u)
        index_reset(names);
    else
        index_insert(index, hist_name(names, index));
    return true;
}

uint32_t hist_record_names(const hist_record *rec, uint16_t names[HIST_RECORD_NAMES_MAX])
{
    uint32_t n = 0;
    names[n++] = rec->node;
    switch ((hist_fn)rec->fn) {
    case HIST_SEND:
        if (rec->type == HIST_INVOKE) names[n++] = rec->topic;
        break;
    case HIST_DELIVER:
    case HIST_DEDUP:
    case HIST_PROCESS:
        names[n++] = rec->group;
        if (rec->death_reason != HIST_DEATH_NONE) names[n++] = rec->death_group;
        break;
    case HIST_COMMIT: names[n++] = rec->group; break;
    case HIST_STATS:
        names[n++] = rec->group;
        names[n++] = rec->source;
        names[n++] = rec->counter;
        break;
    case HIST_FAULT:
        names[n++] = rec->fault_kind;
        names[n++] = rec->fault_target;
        break;
    case HIST_SUBSCRIBE:
    case HIST_UNSUBSCRIBE:
        names[n++] = rec->group;
        names[n++] = rec->topic;
        break;
    case HIST_REQUEST:
    case HIST_FN_COUNT: break;
    }
    BL_ASSERT(n <= HIST_RECORD_NAMES_MAX);
    return n;
}

const char *hist_fn_name(hist_fn fn)
{
    static const char *const fn_names[HIST_FN_COUNT] = {
        [HIST_SEND] = "send",       [HIST_DELIVER] = "deliver",
        [HIST_DEDUP] = "dedup",     [HIST_PROCESS] = "process",
        [HIST_COMMIT] = "commit",   [HIST_FAULT] = "fault",
        [HIST_REQUEST] = "request", [HIST_SUBSCRIBE] = "subscribe",
        [HIST_STATS] = "stats",     [HIST_UNSUBSCRIBE] = "unsubscribe",
    };
    BL_ASSERT((unsigned)fn < HIST_FN_COUNT);
    return fn_names[fn];
}

const char *hist_type_name(hist_type type)
{
    static const char *const type_names[HIST_TYPE_COUNT] = {
        [HIST_INVOKE] = "invoke",
        [HIST_OK] = "ok",
        [HIST_FAIL] = "fail",
        [HIST_INFO] = "info",
    };
    BL_ASSERT((unsigned)type < HIST_TYPE_COUNT);
    return type_names[type];
}

const char *hist_death_name(hist_death reason)
{
    static const char *const names[HIST_DEATH_COUNT] = {
        [HIST_DEATH_NONE] = "",
        [HIST_DEATH_EXPIRED] = "expired",
        [HIST_DEATH_MAXLEN] = "maxlen",
        [HIST_DEATH_REJECTED] = "rejected",
        [HIST_DEATH_DELIVERY_LIMIT] = "delivery_limit",
    };
    BL_ASSERT((unsigned)reason < HIST_DEATH_COUNT);
    return names[reason];
}
