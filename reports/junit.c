/* junit.c — JUnit XML from check's sweep documents (see junit.h). Text is escaped for
 * XML attributes and character data; no timestamps or host names, so the same check
 * gives the same document but for the times. */
#include "junit.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/bl_assert.h"

typedef struct text_buffer {
    char *data;
    size_t length, capacity;
} text_buffer;

__attribute__((format(printf, 2, 3))) static void put(text_buffer *buffer, const char *fmt, ...)
{
    for (;;) {
        va_list args;
        va_start(args, fmt);
        size_t room = buffer->capacity - buffer->length;
        int n = vsnprintf(buffer->data + buffer->length, room, fmt, args);
        va_end(args);
        BL_ASSERT(n >= 0);
        if ((size_t)n < room) {
            buffer->length += (size_t)n;
            return;
        }
        buffer->capacity = buffer->capacity * 2 + (size_t)n + 1;
        buffer->data = realloc(buffer->data, buffer->capacity);
        BL_ASSERT(buffer->data != NULL);
    }
}

/* Appends `text` escaped for an attribute value or character data. Control characters
 * XML 1.0 cannot carry become spaces. */
static void put_escaped(text_buffer *buffer, const char *text)
{
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
        switch (*c) {
        case '&': put(buffer, "&amp;"); break;
        case '<': put(buffer, "&lt;"); break;
        case '>': put(buffer, "&gt;"); break;
        case '"': put(buffer, "&quot;"); break;
        case '\'': put(buffer, "&apos;"); break;
        case '\n': put(buffer, "&#10;"); break;
        case '\t': put(buffer, "&#9;"); break;
        default: put(buffer, "%c", *c < 0x20 ? ' ' : (char)*c);
        }
    }
}

static long long integer(const json_t *object, const char *key)
{
    return (long long)json_integer_value(json_object_get(object, key));
}

static const char *string(const json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));
    return value != NULL ? value : "";
}

/* The failed runs of a sweep (exit 2, 3 or a signal). */
static long long failed_runs(const json_t *sweep)
{
    return integer(sweep, "failed_runs");
}

char *junit_xml(const junit_suite *suites, uint32_t suite_count)
{
    text_buffer buffer = {0};
    buffer.capacity = 4096;
    buffer.data = malloc(buffer.capacity);
    BL_ASSERT(buffer.data != NULL);
    long long tests = 0, failures = 0, errors = 0;
    double total_s = 0;
    for (uint32_t s = 0; s < suite_count; s++) {
        const json_t *expectations = json_object_get(suites[s].sweep, "expectations");
        tests += (long long)json_array_size(expectations) + 1; /* + the runs themselves */
        size_t i;
        json_t *e;
        json_array_foreach(expectations, i, e) failures +=
            strcmp(string(e, "verdict"), "held") != 0;
        errors += failed_runs(suites[s].sweep) > 0 || integer(suites[s].sweep, "completed") == 0;
        total_s += suites[s].wall_s;
    }
    put(&buffer, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    put(&buffer,
        "<testsuites name=\"brokerlab check\" tests=\"%lld\" failures=\"%lld\" "
        "errors=\"%lld\" time=\"%.3f\">\n",
        tests, failures, errors, total_s);
    for (uint32_t s = 0; s < suite_count; s++) {
        const json_t *sweep = suites[s].sweep;
        const json_t *expectations = json_object_get(sweep, "expectations");
        const json_t *seeds = json_object_get(sweep, "seeds");
        long long suite_failures = 0;
        size_t i;
        json_t *e;
        json_array_foreach(expectations, i, e)
        {
            suite_failures += strcmp(string(e, "verdict"), "held") != 0;
        }
        long long completed = integer(sweep, "completed");
        bool run_error = failed_runs(sweep) > 0 || completed == 0;
        put(&buffer, "  <testsuite name=\"");
        put_escaped(&buffer, string(sweep, "scenario"));
        put(&buffer,
            "\" tests=\"%zu\" failures=\"%lld\" errors=\"%d\" skipped=\"0\" time=\"%.3f\">\n",
            json_array_size(expectations) + 1, suite_failures, run_error ? 1 : 0, suites[s].wall_s);
        put(&buffer, "    <properties>\n      <property name=\"scenario_path\" value=\"");
        put_escaped(&buffer, suites[s].path);
        put(&buffer,
            "\"/>\n      <property name=\"seeds\" value=\"%lld..%lld\"/>\n    </properties>\n",
            integer(seeds, "first"), integer(seeds, "last"));
        /* The runs: every seed ran to its end. */
        put(&buffer, "    <testcase classname=\"");
        put_escaped(&buffer, string(sweep, "scenario"));
        put(&buffer, "\" name=\"every seed runs to its end\" time=\"%.3f\"", suites[s].wall_s);
        if (!run_error) {
            put(&buffer, "/>\n");
        } else {
            put(&buffer, ">\n      <error type=\"run\" message=\"");
            char message[128];
            snprintf(message, sizeof message, "%lld of %lld runs failed", failed_runs(sweep),
                     integer(seeds, "count"));
            put_escaped(&buffer, completed == 0 ? "no seed ran" : message);
            put(&buffer, "\">");
            json_t *run;
            json_array_foreach(json_object_get(sweep, "runs"), i, run)
            {
                if (json_object_get(run, "error") == NULL) continue;
                char line[64];
                snprintf(line, sizeof line, "seed %lld (exit %lld): ", integer(run, "seed"),
                         integer(run, "exit"));
                put_escaped(&buffer, line);
                put_escaped(&buffer, string(run, "error"));
                put_escaped(&buffer, "\n");
            }
            put(&buffer, "</error>\n    </testcase>\n");
        }
        json_array_foreach(expectations, i, e)
        {
            put(&buffer, "    <testcase classname=\"");
            put_escaped(&buffer, string(sweep, "scenario"));
            put(&buffer, "\" name=\"");
            put_escaped(&buffer, string(e, "kind"));
            put(&buffer, ": ");
            put_escaped(&buffer, string(e, "expr"));
            put(&buffer, "\" time=\"0\"");
            if (strcmp(string(e, "verdict"), "held") == 0) {
                put(&buffer, "/>\n");
                continue;
            }
            char message[256];
            if (strcmp(string(e, "kind"), "always") == 0)
                snprintf(message, sizeof message, "failed on %lld of %lld seeds; first: seed %lld",
                         integer(e, "failed_seeds"), completed, integer(e, "first_failing_seed"));
            else
                snprintf(message, sizeof message, "held on none of %lld seeds", completed);
            put(&buffer, ">\n      <failure type=\"expectation\" message=\"");
            put_escaped(&buffer, message);
            put(&buffer, "\">");
            const json_t *replay = json_object_get(e, "replay");
            if (json_is_string(replay)) {
                put_escaped(&buffer, "replay: ");
                put_escaped(&buffer, json_string_value(replay));
            }
            put(&buffer, "</failure>\n    </testcase>\n");
        }
        put(&buffer, "  </testsuite>\n");
    }
    put(&buffer, "</testsuites>\n");
    return buffer.data;
}
