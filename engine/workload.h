/* workload.h — the traffic a producer instance is asked to send: when (rate schedule
 * with ramps and spikes, constant or Poisson arrivals) and with which key.
 *
 * A generator is a pure function of the scenario and its RNG stream: `wl_next` returns
 * the next intended send time at or after the previous one (several arrivals may
 * share a microsecond above 1M/s). It never looks at the
 * broker, so back-pressure cannot thin the offered load (latency is measured from these
 * intended times: no coordinated omission). */
#ifndef BL_WORKLOAD_H
#define BL_WORKLOAD_H

#include <stdint.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "scenario.h"

/* An exact instant: a whole microsecond and the fraction of one after it. */
typedef struct wl_instant {
    int64_t us;     /* INT64_MAX for none */
    double frac_us; /* in [0, 1) */
} wl_instant;

typedef struct wl_generator {
    const scn_rate *rate;
    scn_arrival arrival;
    scn_keys keys;
    int64_t end_us;        /* no arrivals at or after this time */
    int64_t next_us;       /* the next intended send time, or INT64_MAX when done */
    wl_instant next_exact; /* its exact instant (next_us is its microsecond) */
    int64_t next_key;      /* its key, or -1 */
    uint64_t sequential_next;
    gsl_rng *rng_arrivals;
    gsl_rng *rng_keys;
    gsl_ran_discrete_t *zipf_table;
} wl_generator;

/* What a generator is made of: the workload values of a producer entry, the end of the
 * load phase and where its random streams come from. */
typedef struct wl_options {
    const scn_rate *rate; /* the rate schedule; must outlive the generator */
    scn_arrival arrival;
    scn_keys keys;
    int64_t end_us;          /* > 0 */
    uint64_t seed;           /* the run's seed */
    const char *stream_name; /* the instance's name: its RNG streams derive from it */
} wl_options;

void wl_init(wl_generator *gen, const wl_options *options);
void wl_free(wl_generator *gen);
/* The rate in messages per second at time t. */
double wl_rate_at(const scn_rate *rate, int64_t t_us);
/* The messages the schedule asks for in [0, end_us): the integral of its rate (what a
 * generator's count approaches; the memory estimate's input). */
double wl_expected_count(const scn_rate *rate, int64_t end_us);
/* Consumes the current arrival and draws the next one. */
void wl_advance(wl_generator *gen);

#endif
