/* client.h — helpers every broker family's client models share: the application side of
 * a producer or consumer (a request's calls, a message's processing time) is the same
 * whatever broker it talks to. */
#ifndef BL_CLIENT_H
#define BL_CLIENT_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "../../engine/scenario.h"

/* Draws a duration from a scenario distribution, in µs, rounded to the nearest µs and
 * never negative (a normal distribution is truncated at 0). */
int64_t client_draw_duration(const scn_dist *dist, gsl_rng *rng);

#endif
