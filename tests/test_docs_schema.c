/* test_docs_schema.c — docs/scenario-format.md against the schemas: every table of keys
 * with a `default` column lists exactly the keys of one schema table (scn_describe), and
 * each row's default is the schema's: the backquoted default is the field's default
 * text, **required** marks a required key, and a key without a default shows none. So
 * the documentation and the code cannot drift apart. A table is named by the heading
 * above it (the mapping below). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../engine/schema.h"
#include "../models/family.h"

#define ROWS_MAX 256
#define TEXT_LEN 160

typedef struct row {
    char table[TEXT_LEN];
    char key[TEXT_LEN];
    char def[TEXT_LEN]; /* the backquoted default, "" if none */
    bool required;
    bool matched;
} row;

typedef struct rows {
    row items[ROWS_MAX];
    uint32_t count;
} rows;

/* Heading of a documentation table -> scn_describe table. */
static const struct {
    const char *heading;
    const char *table;
} doc_tables[] = {
    {"Top level", "top"},
    {"cluster", "cluster"},
    {"cluster keys of the kafka family", "cluster/kafka"},
    {"cluster keys of the rabbitmq family", "cluster/rabbitmq"},
    {"topics", "topics"},
    {"topic keys of the kafka family", "topics/kafka"},
    {"topic keys of the rabbitmq family", "topics/rabbitmq"},
    {"producers", "producers"},
    {"rate", "producers.rate"},
    {"request", "producers.request"},
    {"producer keys of the kafka family", "producers/kafka"},
    {"producer keys of the rabbitmq family", "producers/rabbitmq"},
    {"consumers", "consumers"},
    {"consumer keys of the kafka family", "consumers/kafka"},
    {"consumer keys of the rabbitmq family", "consumers/rabbitmq"},
};

static void collect(void *user, const char *table, const char *key, const char *def, bool required)
{
    rows *schema = user;
    assert_true(schema->count < ROWS_MAX);
    row *r = &schema->items[schema->count++];
    memset(r, 0, sizeof *r);
    snprintf(r->table, sizeof r->table, "%s", table);
    snprintf(r->key, sizeof r->key, "%s", key);
    snprintf(r->def, sizeof r->def, "%s", def != NULL ? def : "");
    r->required = required;
}

/* The text between the first pair of backquotes of cell, or "". */
static void first_quoted(const char *cell, char out[TEXT_LEN])
{
    out[0] = '\0';
    const char *open = strchr(cell, '`');
    const char *close = open != NULL ? strchr(open + 1, '`') : NULL;
    if (close != NULL && (size_t)(close - open - 1) < TEXT_LEN) {
        memcpy(out, open + 1, (size_t)(close - open - 1));
        out[close - open - 1] = '\0';
    }
}

/* Cell `index` (0-based) of a table line `| a | b |`, trimmed; `\|` stays in a cell. */
static bool cell(const char *line, uint32_t index, char out[TEXT_LEN])
{
    const char *start = NULL;
    uint32_t pipes = 0;
    for (const char *c = line; *c != '\0'; c++) {
        if (*c != '|' || (c > line && c[-1] == '\\')) continue;
        if (pipes == index) start = c + 1;
        if (pipes == index + 1) {
            while (*start == ' ') start++;
            const char *end = c;
            while (end > start && end[-1] == ' ') end--;
            size_t length =
                (size_t)(end - start) < TEXT_LEN - 1 ? (size_t)(end - start) : TEXT_LEN - 1;
            memcpy(out, start, length);
            out[length] = '\0';
            return true;
        }
        pipes++;
    }
    return false;
}

static const char *table_of_heading(const char *heading)
{
    for (size_t i = 0; i < sizeof doc_tables / sizeof doc_tables[0]; i++)
        if (strcmp(doc_tables[i].heading, heading) == 0) return doc_tables[i].table;
    return NULL;
}

static void read_docs(rows *docs)
{
    FILE *file = fopen(BL_SOURCE_DIR "/docs/scenario-format.md", "r");
    assert_non_null(file);
    char line[4096];
    char heading[TEXT_LEN] = "";
    int default_column = -1; /* in the table being read, or -1 */
    while (fgets(line, sizeof line, file) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#') {
            const char *text = line + strspn(line, "# ");
            snprintf(heading, sizeof heading, "%s", text);
            continue;
        }
        if (line[0] != '|') {
            default_column = -1;
            continue;
        }
        char first[TEXT_LEN];
        cell(line, 0, first);
        if (strcmp(first, "key") == 0) {
            default_column = -1;
            char name[TEXT_LEN];
            for (uint32_t i = 1; cell(line, i, name); i++)
                if (strcmp(name, "default") == 0) default_column = (int)i;
            const char *table = table_of_heading(heading);
            if (default_column >= 0 && table == NULL)
                fail_msg("a table of keys under '%s', which names no schema table", heading);
            continue;
        }
        if (default_column < 0 || strncmp(first, "---", 3) == 0) continue;
        assert_true(docs->count < ROWS_MAX);
        row *r = &docs->items[docs->count++];
        memset(r, 0, sizeof *r);
        snprintf(r->table, sizeof r->table, "%s", table_of_heading(heading));
        first_quoted(first, r->key);
        char def[TEXT_LEN];
        cell(line, (uint32_t)default_column, def);
        r->required = strstr(def, "**required**") != NULL;
        first_quoted(def, r->def);
    }
    fclose(file);
}

static void test_docs_match_the_schemas(void **state)
{
    (void)state;
    rows *schema = calloc(1, sizeof *schema);
    rows *docs = calloc(1, sizeof *docs);
    assert_non_null(schema);
    assert_non_null(docs);
    const scn_families *families = family_schemas();
    for (uint32_t f = 0; f < families->count; f++) scn_describe(families->list[f], collect, schema);
    /* the family-neutral tables are described once per family: keep the first */
    read_docs(docs);
    assert_true(docs->count > 50);
    uint32_t failures = 0;
    for (uint32_t d = 0; d < docs->count; d++) {
        row *doc = &docs->items[d];
        row *found = NULL;
        for (uint32_t s = 0; s < schema->count && found == NULL; s++)
            if (strcmp(schema->items[s].table, doc->table) == 0 &&
                strcmp(schema->items[s].key, doc->key) == 0)
                found = &schema->items[s];
        if (found == NULL) {
            print_error("docs %s: key '%s' is not in the schema\n", doc->table, doc->key);
            failures++;
            continue;
        }
        found->matched = true;
        if (found->required != doc->required || strcmp(found->def, doc->def) != 0) {
            print_error("docs %s.%s: default %s'%s', the schema's is %s'%s'\n", doc->table,
                        doc->key, doc->required ? "required " : "", doc->def,
                        found->required ? "required " : "", found->def);
            failures++;
        }
    }
    for (uint32_t s = 0; s < schema->count; s++) {
        if (schema->items[s].matched) continue;
        bool described_twice = false;
        for (uint32_t t = 0; t < s && !described_twice; t++)
            described_twice = strcmp(schema->items[t].table, schema->items[s].table) == 0 &&
                              strcmp(schema->items[t].key, schema->items[s].key) == 0 &&
                              schema->items[t].matched;
        if (described_twice) continue;
        print_error("schema %s: key '%s' is not in docs/scenario-format.md\n",
                    schema->items[s].table, schema->items[s].key);
        failures++;
    }
    assert_int_equal(failures, 0);
    free(schema);
    free(docs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docs_match_the_schemas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
