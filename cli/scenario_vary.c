/* scenario_vary.c — one key of a scenario's YAML set to a value (see scenario_vary.h),
 * through libyaml's document API: load, walk, replace one node, emit. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "scenario_vary.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "../engine/bl_assert.h"

#define VARY_DEPTH_MAX 16

/* Writes the error text; returns 2 (bad input). */
__attribute__((format(printf, 2, 3))) static int vary_fail(char error[VARY_ERROR_LEN],
                                                           const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(error, VARY_ERROR_LEN, fmt, args);
    va_end(args);
    return 2;
}

/* The value node of `key` in a mapping, or NULL; *pair receives the pair. */
static yaml_node_t *mapping_get(yaml_document_t *document, yaml_node_t *mapping, const char *key,
                                yaml_node_pair_t **pair)
{
    for (yaml_node_pair_t *p = mapping->data.mapping.pairs.start;
         p < mapping->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(document, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE && strlen(key) == k->data.scalar.length &&
            memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0) {
            *pair = p;
            return yaml_document_get_node(document, p->value);
        }
    }
    *pair = NULL;
    return NULL;
}

static int add_scalar(yaml_document_t *document, const char *text)
{
    int id = yaml_document_add_scalar(document, NULL, (yaml_char_t *)text, (int)strlen(text),
                                      YAML_ANY_SCALAR_STYLE);
    BL_ASSERTF(id != 0, "libyaml ran out of memory");
    return id;
}

/* Index of a node in the document (libyaml ids are 1-based positions). */
static int node_id(yaml_document_t *document, yaml_node_t *node)
{
    return (int)(node - document->nodes.start) + 1;
}

/* Sets the scalar at `key` (split at dots) to `value`. */
static int set_path(yaml_document_t *document, const char *key, const char *value,
                    char error[VARY_ERROR_LEN])
{
    char parts[VARY_DEPTH_MAX][128];
    uint32_t count = 0;
    const char *start = key;
    for (;;) {
        const char *dot = strchr(start, '.');
        size_t length = dot != NULL ? (size_t)(dot - start) : strlen(start);
        if (length == 0 || length >= sizeof parts[0] || count == VARY_DEPTH_MAX) {
            vary_fail(error,
                      "--vary %s: expected a dotted path of keys and indexes "
                      "(e.g. producers.0.acks)",
                      key);
            return 2;
        }
        memcpy(parts[count], start, length);
        parts[count][length] = '\0';
        count++;
        if (dot == NULL) break;
        start = dot + 1;
    }
    yaml_node_t *node = yaml_document_get_root_node(document);
    char walked[VARY_ERROR_LEN] = "";
    for (uint32_t i = 0; i < count; i++) {
        bool last = i + 1 == count;
        const char *part = parts[i];
        if (node == NULL || node->type == YAML_SCALAR_NODE) {
            vary_fail(error, "--vary %s: %s is a value, it has no key '%s'", key,
                      walked[0] != '\0' ? walked : "the document", part);
            return 2;
        }
        if (node->type == YAML_SEQUENCE_NODE) {
            char *end = NULL;
            errno = 0;
            long index = strtol(part, &end, 10);
            long length = (long)(node->data.sequence.items.top - node->data.sequence.items.start);
            if (errno != 0 || *end != '\0' || part[0] < '0' || part[0] > '9') {
                vary_fail(error,
                          "--vary %s: %s is a list, expected an index from 0 to %ld, not '%s'", key,
                          walked, length - 1, part);
                return 2;
            }
            if (index >= length) {
                vary_fail(error, "--vary %s: %s has %ld entr%s, so index %ld does not exist", key,
                          walked, length, length == 1 ? "y" : "ies", index);
                return 2;
            }
            yaml_node_item_t *item = node->data.sequence.items.start + index;
            if (last) {
                *item = add_scalar(document, value);
                return 0;
            }
            node = yaml_document_get_node(document, *item);
        } else {
            /* Adding nodes may move the node array: keep ids, not pointers, across it. */
            int parent_id = node_id(document, node);
            yaml_node_pair_t *pair = NULL;
            yaml_node_t *child = mapping_get(document, node, part, &pair);
            if (last) {
                int value_id = add_scalar(document, value);
                if (pair != NULL) {
                    pair->value = value_id;
                } else {
                    /* Left at its default: the key joins the mapping, and the loader says
                     * whether the mapping has such a key. */
                    int key_id = add_scalar(document, part);
                    BL_ASSERT(yaml_document_append_mapping_pair(document, parent_id, key_id,
                                                                value_id) == 1);
                }
                return 0;
            }
            if (child == NULL) {
                /* A section the scenario left out entirely (cluster.network): add it. */
                int mapping = yaml_document_add_mapping(document, NULL, YAML_ANY_MAPPING_STYLE);
                BL_ASSERT(mapping != 0);
                int key_id = add_scalar(document, part);
                BL_ASSERT(yaml_document_append_mapping_pair(document, parent_id, key_id, mapping) ==
                          1);
                child = yaml_document_get_node(document, mapping);
            }
            node = child;
        }
        size_t used = strlen(walked);
        snprintf(walked + used, sizeof walked - used, "%s%s", used > 0 ? "." : "", part);
    }
    return 0;
}

/* A relative network platform file names a file beside the original scenario: the
 * variant names it by its absolute path. */
static void absolute_platform(yaml_document_t *document, const char *scenario_path)
{
    yaml_node_t *root = yaml_document_get_root_node(document);
    if (root == NULL || root->type != YAML_MAPPING_NODE) return;
    yaml_node_pair_t *pair = NULL;
    yaml_node_t *cluster = mapping_get(document, root, "cluster", &pair);
    if (cluster == NULL || cluster->type != YAML_MAPPING_NODE) return;
    yaml_node_t *network = mapping_get(document, cluster, "network", &pair);
    if (network == NULL || network->type != YAML_MAPPING_NODE) return;
    yaml_node_t *platform = mapping_get(document, network, "platform", &pair);
    if (platform == NULL || platform->type != YAML_SCALAR_NODE ||
        platform->data.scalar.length == 0 || platform->data.scalar.value[0] == '/')
        return;
    char relative[PATH_MAX], absolute[PATH_MAX];
    const char *slash = strrchr(scenario_path, '/');
    int n = slash == NULL
                ? snprintf(relative, sizeof relative, "%.*s", (int)platform->data.scalar.length,
                           (const char *)platform->data.scalar.value)
                : snprintf(relative, sizeof relative, "%.*s/%.*s", (int)(slash - scenario_path),
                           scenario_path, (int)platform->data.scalar.length,
                           (const char *)platform->data.scalar.value);
    if (n < 0 || (size_t)n >= sizeof relative || realpath(relative, absolute) == NULL)
        return; /* the loader will say it cannot open it */
    pair->value = add_scalar(document, absolute);
}

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
    return fwrite(buffer, 1, size, (FILE *)data) == size;
}

int scenario_vary_write(const char *scenario_path, const char *key, const char *value,
                        const char *out_path, char error[VARY_ERROR_LEN])
{
    FILE *in = fopen(scenario_path, "rb");
    if (in == NULL) {
        vary_fail(error, "%s: cannot open: %s", scenario_path, strerror(errno));
        return 2;
    }
    yaml_parser_t parser;
    yaml_document_t document;
    BL_ASSERT(yaml_parser_initialize(&parser) == 1);
    yaml_parser_set_input_file(&parser, in);
    int loaded = yaml_parser_load(&parser, &document);
    yaml_parser_delete(&parser);
    fclose(in);
    if (!loaded || yaml_document_get_root_node(&document) == NULL) {
        if (loaded) yaml_document_delete(&document);
        vary_fail(error, "%s: not a YAML document (run `brokerlab validate` on it)", scenario_path);
        return 2;
    }
    int rc = set_path(&document, key, value, error);
    if (rc != 0) {
        yaml_document_delete(&document);
        return rc;
    }
    absolute_platform(&document, scenario_path);
    FILE *out = fopen(out_path, "wb");
    if (out == NULL) {
        vary_fail(error, "cannot write %s: %s", out_path, strerror(errno));
        yaml_document_delete(&document);
        return 2;
    }
    fprintf(out, "# %s with %s: %s (brokerlab compare --vary)\n", scenario_path, key, value);
    yaml_emitter_t emitter;
    BL_ASSERT(yaml_emitter_initialize(&emitter) == 1);
    yaml_emitter_set_output(&emitter, write_handler, out);
    yaml_emitter_set_width(&emitter, 100);
    yaml_emitter_set_unicode(&emitter, 1);
    bool emitted = yaml_emitter_open(&emitter) == 1 &&
                   yaml_emitter_dump(&emitter, &document) == 1 &&
                   yaml_emitter_close(&emitter) == 1 && yaml_emitter_flush(&emitter) == 1;
    /* yaml_emitter_dump deletes the document, also when it fails. */
    yaml_emitter_delete(&emitter);
    if (fclose(out) != 0) emitted = false;
    if (!emitted) {
        vary_fail(error, "cannot write %s", out_path);
        return 2;
    }
    return 0;
}
