/* compare_output.h — how `compare` shows a comparison: compare.json always, and a
 * table on stdout (text or Markdown), the JSON itself, or an HTML page with overlay
 * plots. */
#ifndef BL_COMPARE_OUTPUT_H
#define BL_COMPARE_OUTPUT_H

#include <stdbool.h>

#include <jansson.h>

typedef enum {
    COMPARE_FORMAT_TEXT = 0,
    COMPARE_FORMAT_JSON,
    COMPARE_FORMAT_MD,
    COMPARE_FORMAT_HTML,
} compare_format;

bool compare_parse_format(const char *text, compare_format *format);

/* Writes DIR/compare.json (and DIR/compare.html for html) and prints the comparison
 * unless quiet. Returns 0, or 2 with the reason printed. */
int compare_write(const json_t *document, const char *dir, compare_format format, bool quiet);

#endif
