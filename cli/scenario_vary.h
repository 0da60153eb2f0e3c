/* scenario_vary.h — `compare --vary KEY=V1,V2`: variants of one scenario file with one
 * key set to each value.
 *
 * KEY is a dotted path through the YAML document: mapping keys by name, sequence
 * entries by index (`producers.0.acks`, `topics.1.partitions`, `cluster.brokers`). The
 * variant is the original document with that one scalar replaced (or the key added to
 * its mapping when the scenario left it at its default), written as a YAML file the
 * loader then validates like any other: a key the schema does not know, or a value it
 * does not accept, is the loader's own FILE:LINE:COL error. A relative
 * cluster.network.platform is made absolute, since the variant lives elsewhere. */
#ifndef BL_SCENARIO_VARY_H
#define BL_SCENARIO_VARY_H

#define VARY_ERROR_LEN 512

/* Writes the variant of `scenario_path` with `key` set to `value` to `out_path`.
 * Returns 0, or 2 with `error` saying what is wrong with the key (a path that does
 * not lead to a value, an index out of range) or why the files could not be used. */
int scenario_vary_write(const char *scenario_path, const char *key, const char *value,
                        const char *out_path, char error[VARY_ERROR_LEN]);

#endif
