/* schema.h — the scenario format's generic machinery: a YAML document walked against
 * tables of typed fields, with exactly one `FILE:LINE:COL: what is wrong, expected what`
 * error.
 *
 * engine/scenario.c describes the family-neutral part of the format with it; each broker
 * family describes its own keys with it in models/<family>/<family>_schema.c (handed to
 * the loader as an scn_family_schema, scenario.h), so the engine never names a family.
 * A mapping is parsed in three steps: indexed (unknown and duplicate keys are errors; a
 * key of another family says which), its fields parsed in table order (which is also
 * dependency order) with each absent field set from its one default, then the schema's
 * relation checks run. Only the first error is kept; every parser returns false on it.
 * Nothing here aborts on bad input; a default that does not parse is a programmer error
 * and asserts. */
#ifndef BL_SCHEMA_H
#define BL_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "scenario.h"
#include "time.h"

#define SCN_WHERE_LEN     192 /* key path of the node being parsed: topics[0].name */
#define SCN_FIELDS_MAX    48  /* keys in one schema table, a family's keys included */
#define SCN_ARG_LEN       160 /* one argument of `name(a, b)` */
#define SCN_ARGS_MAX      2
#define SCN_LIST_TEXT_LEN 400 /* "one of: a, b, c" lists in messages */
#define SCN_DESC_LEN      256 /* a description composed from the families' selectors */

#define SCN_S_US            TIME_US_PER_S
#define SCN_DAY_US          TIME_US_PER_DAY
#define SCN_DURATION_MAX_US (30 * SCN_DAY_US)
#define SCN_SIZE_MAX_BYTES  (1024LL * 1024 * 1024 * 1024 * 1024) /* 1024TiB */

/* The sections of the format a family extends with keys of its own. */
typedef enum scn_section {
    SCN_SECTION_NONE = 0,
    SCN_SECTION_CLUSTER,
    SCN_SECTION_TOPIC,
    SCN_SECTION_PRODUCER,
    SCN_SECTION_CONSUMER,
    SCN_SECTION_COUNT,
} scn_section;

typedef enum scn_type {
    SCN_T_DURATION,  /* int64_t us in [min, max] */
    SCN_T_SIZE,      /* uint64_t bytes in [min, max] */
    SCN_T_BANDWIDTH, /* uint64_t bytes per second, > 0 */
    SCN_T_RATE,      /* double per second in [min, max] */
    SCN_T_U32,       /* uint32_t in [min, max] */
    SCN_T_U64,       /* uint64_t, any */
    SCN_T_BOOL,      /* true | false */
    SCN_T_ENUM,      /* int-sized enum: index of the text in names[] */
    SCN_T_TEXT,      /* char[max + 1] */
    SCN_T_NAME,      /* char[SCN_NAME_LEN], [a-z0-9._-]+ */
    SCN_T_IDENT,     /* char[SCN_NAME_LEN], [A-Za-z0-9._-]+ */
    SCN_T_MAP,       /* nested mapping parsed with schema, into the field */
    SCN_T_CUSTOM,    /* parse(ctx, node, field) */
} scn_type;

typedef struct scn_ctx scn_ctx;
struct scn_schema;
typedef bool (*scn_parse_fn)(scn_ctx *ctx, yaml_node_t *node, void *target);

typedef struct scn_field {
    const char *key;
    scn_type type;
    size_t offset;                   /* of the destination in the mapping's struct */
    int64_t min, max;                /* ranges; TEXT: max length */
    const char *const *names;        /* ENUM: NULL-terminated, index = enum value */
    const struct scn_schema *schema; /* MAP */
    scn_parse_fn parse;              /* CUSTOM */
    const char *desc;                /* CUSTOM: what a good value looks like */
    bool required;
    const char *def; /* the default, written as in a scenario ("5ms", "all"),
                                       parsed like a value when the key is absent; NULL = zero
                                       (or set by a relation check). The one place a default
                                       is written: docs/scenario-format.md is tested
                                       against it. */
} scn_field;

/* The keys present in one mapping, by field index. */
typedef struct scn_seen {
    const struct scn_schema *schema;
    yaml_node_t *map;
    yaml_node_t *keys[SCN_FIELDS_MAX];
    yaml_node_t *values[SCN_FIELDS_MAX];
} scn_seen;

typedef bool (*scn_check_fn)(scn_ctx *ctx, const scn_seen *seen, void *base);

typedef struct scn_schema {
    const scn_field *fields;
    uint32_t field_count;
    scn_check_fn check;  /* relations between fields, after them; or NULL */
    scn_section section; /* a section families extend, for "belongs to" errors */
    /* A family's extension (scn_schema_extend): its check runs after `check`, on the
     * mapping's struct + extension_offset (the family's options). */
    scn_check_fn extension_check;
    size_t extension_offset;
} scn_schema;

#define SCN_SCHEMA(fields_, check_)                                                                \
    {                                                                                              \
        (fields_), (uint32_t)(sizeof(fields_) / sizeof((fields_)[0])), (check_), SCN_SECTION_NONE, \
            NULL, 0                                                                                \
    }
#define SCN_SECTION_SCHEMA(fields_, check_, section_)                                              \
    {                                                                                              \
        (fields_), (uint32_t)(sizeof(fields_) / sizeof((fields_)[0])), (check_), (section_), NULL, \
            0                                                                                      \
    }
#define SCN_AT(key_, type_, struct_, member_) \
    .key = (key_), .type = (type_), .offset = offsetof(struct_, member_)
#define SCN_CUSTOM(key_, fn_, desc_) \
    .key = (key_), .type = SCN_T_CUSTOM, .offset = 0, .parse = (fn_), .desc = (desc_)
#define SCN_DURATION_FIELD(key_, struct_, member_, min_, def_)                                     \
    {                                                                                              \
        SCN_AT(key_, SCN_T_DURATION, struct_, member_), .min = (min_), .max = SCN_DURATION_MAX_US, \
                                                        .def = (def_)                              \
    }

/* A base schema with a family's fields appended (offsets moved by extension_offset). */
typedef struct scn_extended_schema {
    scn_field fields[SCN_FIELDS_MAX];
    scn_schema schema;
} scn_extended_schema;

/* The loader's state; families' parsers read `out` (the scenario parsed so far: the
 * cluster and topics are there before clients and faults) and `where`. */
struct scn_ctx {
    const char *path;
    yaml_document_t *doc;
    scn_scenario *out;
    char *error; /* SCN_ERROR_LEN bytes, the caller's */
    bool failed;
    char where[SCN_WHERE_LEN];
    char in_where[SCN_WHERE_LEN + 24]; /* scn_in() */
    const scn_families *families;      /* every family the loader knows */
    const scn_family_schema *family;   /* the one cluster.preset chose, or NULL before */
    scn_extended_schema sections[SCN_SECTION_COUNT]; /* the family's sections */
    char selector_desc[SCN_DESC_LEN];                /* every selector form, for messages */
    char broker_selector_desc[SCN_DESC_LEN];         /* the forms that name brokers */
    char preset_desc[SCN_LIST_TEXT_LEN];             /* "one of: kafka, ..." */
};

/* ---- errors and the key path ---- */

/* Records a warning at `node` for scn_lint to print (a family's check changing a value
 * by the family's own rule). */
void scn_warn_parse(scn_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes `path:line:col: message` at node's start (1:1 without a node). Always false. */
bool scn_fail(scn_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void scn_error_one_line(char *text);
size_t scn_where_push_key(scn_ctx *ctx, const char *key);
size_t scn_where_push_index(scn_ctx *ctx, uint32_t item);
void scn_where_pop(scn_ctx *ctx, size_t saved);
/* "at the top level" or "in cluster.network", for messages about a mapping. */
const char *scn_in(scn_ctx *ctx);

/* ---- nodes ---- */

yaml_node_t *scn_node(const scn_ctx *ctx, int id);
scn_mark scn_mark_of(const yaml_node_t *node);
const char *scn_node_kind(const yaml_node_t *node);
/* The node's text if it is a non-empty scalar without NUL bytes, else NULL (error). */
const char *scn_scalar_get(scn_ctx *ctx, const yaml_node_t *node, const char *desc);
bool scn_node_check(scn_ctx *ctx, const yaml_node_t *node, yaml_node_type_t type, const char *desc);
/* Value node of `key` in a mapping node, or NULL. */
yaml_node_t *scn_map_find(const scn_ctx *ctx, const yaml_node_t *map, const char *key);
uint32_t scn_seq_length(const yaml_node_t *seq);
yaml_node_t *scn_seq_item(const scn_ctx *ctx, const yaml_node_t *seq, uint32_t item);

/* ---- scalar syntax ---- */

/* Decimal integer `-?(0|[1-9][0-9]*)`: sign and magnitude; *overflow if > UINT64_MAX. */
bool scn_int_text(const char *text, bool *negative, uint64_t *magnitude, bool *overflow);
/* A non-negative decimal integer that fits in uint32_t (selector indices). */
bool scn_u32_text(const char *text, uint32_t *out);
/* `[0-9]+(.[0-9]+)?` as a double (probabilities, zipf exponents). */
bool scn_decimal_text(const char *text, double *out);
/* True if text is 1..SCN_NAME_LEN-1 characters of [a-z0-9._-] (or also A-Z). */
bool scn_name_text(const char *text, bool upper_allowed);

/* `name` or `name(arg[, arg])`: the call syntax of selectors, keys and distributions. */
typedef struct scn_call {
    char name[32];
    char args[SCN_ARGS_MAX][SCN_ARG_LEN];
    uint32_t arg_count;
    bool has_parens;
} scn_call;

bool scn_call_parse(const char *text, scn_call *call);
/* " (inside [ ] or { }, quote a value that contains a comma)" when text looks cut at a
 * comma, else "". */
const char *scn_comma_hint(const char *text);

/* ---- formatting ---- */

const char *scn_format_size(int64_t bytes, char *buf, size_t buf_len);
/* "a, b, c" from a NULL-terminated name list. */
const char *scn_join(const char *const *names, char *buf, size_t buf_len);
/* "a, b or c" from count words, `last_glue` (" or ", " and ") before the last. */
const char *scn_join_words(const char *const *words, size_t count, const char *last_glue, char *buf,
                           size_t buf_len);
/* "a, b, c" from names stored every `stride` bytes; "(none defined)" if count is 0. */
const char *scn_join_names(const char *first, size_t stride, uint32_t count, char *buf,
                           size_t buf_len);

/* ---- schemas ---- */

int scn_schema_index(const scn_schema *schema, const char *key);
yaml_node_t *scn_seen_value(const scn_seen *seen, const char *key);
/* The first present value among keys (NULL-terminated), else the mapping itself. */
yaml_node_t *scn_seen_first(const scn_seen *seen, const char *const *keys);
const char *scn_field_desc(const scn_field *field, char *buf, size_t buf_len);
bool scn_field_parse(scn_ctx *ctx, const scn_field *field, yaml_node_t *node, void *target);
/* A rate such as 1000/s in [min, max] per second. */
bool scn_rate_value(scn_ctx *ctx, yaml_node_t *node, int64_t min, int64_t max, double *out);
/* Checks the node is a mapping whose keys are all in the schema, each once. */
bool scn_map_index(scn_ctx *ctx, yaml_node_t *map, const scn_schema *schema, scn_seen *seen);
/* Parses the present fields in table order and sets the absent ones from their defaults
 * (a nested mapping left out gets its fields' defaults), reports missing required ones,
 * then runs the schema's relation checks. */
bool scn_map_apply(scn_ctx *ctx, const scn_seen *seen, void *base);
bool scn_map_parse(scn_ctx *ctx, yaml_node_t *node, const scn_schema *schema, void *base);
/* Sets every field of the schema that has a default (recursively into mappings). */
void scn_schema_defaults(scn_ctx *ctx, const scn_schema *schema, void *base);
/* out = base's fields followed by ext's (offsets + ext_offset); ext may be NULL. */
void scn_schema_extend(scn_extended_schema *out, const scn_schema *base, const scn_schema *ext,
                       size_t ext_offset);

/* out = base's fields followed by every family's keys for `section` (each key once):
 * the cluster section before cluster.preset has chosen a family, so that an error in
 * the preset is reported rather than a key of its family. No family check runs. */
void scn_schema_extend_all(scn_extended_schema *out, const scn_schema *base,
                           const scn_families *families, scn_section section, size_t ext_offset);

/* A sequence of items stored in an array with a count. */
typedef struct scn_list {
    const char *what;         /* "topic", for messages */
    const scn_schema *schema; /* items are mappings parsed with it ... */
    scn_parse_fn parse;       /* ... or with this, if set */
    void (*init)(void *item); /* sentinels the schema's defaults do not set, or NULL */
    size_t item_size;
    uint32_t item_max;
    size_t mark_offset;   /* of the item's scn_mark, or SIZE_MAX */
    const char *name_key; /* key whose value must be unique, or NULL */
    size_t name_offset;
    bool nonempty;
} scn_list;

bool scn_list_parse(scn_ctx *ctx, yaml_node_t *node, const scn_list *list, void *items,
                    uint32_t *count);

/* ---- broker families ---- */

/* A family's selector form, such as Kafka's `leader(TOPIC/PARTITION)`. */
typedef struct scn_family_selector {
    const char *name;   /* "leader" */
    const char *syntax; /* "leader(TOPIC/PARTITION)", for messages */
    uint32_t kind;      /* goes to scn_selector.family_kind */
    bool names_brokers; /* a broker fault (slow_disk, disk_full) may target it */
    bool no_arg;        /* written without parentheses (`controller`) */
    /* Parses `arg` (the text between the parentheses of `text`) into
     * selector->family_args, with the scenario parsed so far in ctx->out. */
    bool (*parse)(scn_ctx *ctx, yaml_node_t *node, const char *text, char *arg,
                  scn_selector *selector);
    /* Writes the selector back as a scenario writes it ("leader(orders/0)"): parse's
     * inverse, for the fault timeline in results.json. */
    void (*format)(const scn_scenario *scenario, const scn_selector *selector, char *buf,
                   size_t buf_len);
} scn_family_selector;

/* What a broker family adds to the format. */
struct scn_family_schema {
    const char *name;           /* "kafka" */
    const char *const *presets; /* the cluster.preset values that choose it, NULL-ended */
    /* Keys added to a section, with offsets into the family's options struct for that
     * section (scn_family_options); NULL = none. Their check runs after the section's. */
    const scn_schema *sections[SCN_SECTION_COUNT];
    const scn_family_selector *selectors;
    uint32_t selector_count;
};

/* The format's keys, table by table, for documentation and its test: `table` is "top",
 * "cluster", "topics", "producers", "producers.rate", "producers.request" or
 * "consumers", or one of those + "/" + the family's name for the family's keys; `key`
 * is dotted below a mapping ("network.latency"); def is the default's text or NULL. */
typedef void (*scn_describe_fn)(void *user, const char *table, const char *key, const char *def,
                                bool required);
void scn_describe(const scn_family_schema *family, scn_describe_fn fn, void *user);

/* Writes `selector` as a scenario writes it (broker(1), producer(shop), consumers,
 * leader(orders/0): `family`, the scenario's family, formats its own forms) into buf,
 * cut short to fit buf_len. Returns buf. */
const char *scn_selector_format(const scn_scenario *scenario, const scn_family_schema *family,
                                const scn_selector *selector, char *buf, size_t buf_len);

/* The index of the topic named `name` in the scenario parsed so far. */
bool scn_topic_find(const scn_scenario *scenario, const char *name, uint32_t *out);
const char *scn_topic_names(const scn_scenario *scenario, char *buf, size_t buf_len);

#endif
