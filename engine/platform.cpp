// platform.cpp — builds the SimGrid platform from the scenario: one host per simulated
// node, each attached by its own NIC link (bandwidth = the scenario's, latency = half
// the one-way latency) to a star zone, so any two hosts are one scenario latency apart.
// With network.model: simgrid it also carries packets as SimGrid flows: communications
// started from the engine's loop with Comm::sendto_init (no actors), completed by
// SimGrid's max-min bandwidth sharing, the pattern of SimGrid's examples/cpp/dag-comm.
// To hand control back to the engine at the first completion, every flow has an
// unassigned Exec as successor: when the flow finishes, that Exec is vetoed (it has no
// host), and a vetoed activity makes Engine::run_until return after that round.
// This is the only C++ in brokerlab: SimGrid's zone builder and activities have no C API.
#include <simgrid/s4u.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "bl_assert.h"
#include "platform.h"

#include <simgrid/version.h>
}

extern "C" void platform_build(uint32_t host_count, const char *const *host_names, double latency_s,
                               double bandwidth_bytes_per_s, void **hosts_out)
{
    auto *zone = simgrid::s4u::create_star_zone("brokerlab");
    for (uint32_t i = 0; i < host_count; i++) {
        simgrid::s4u::Host *host = zone->create_host(host_names[i], 1e9);
        std::string link_name = std::string("nic-") + host_names[i];
        const simgrid::s4u::Link *link =
            zone->create_link(link_name, bandwidth_bytes_per_s)->set_latency(latency_s / 2)->seal();
        zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr,
                        {simgrid::s4u::LinkInRoute(link)}, true);
        hosts_out[i] = host;
    }
    zone->seal();
}

extern "C" int platform_load(const char *file, uint32_t host_count, const char *const *host_names,
                             void **hosts_out, int64_t *latency_us, uint64_t *bandwidth_bytes_per_s,
                             char *error, size_t error_len)
{
    auto *engine = simgrid::s4u::Engine::get_instance();
    try {
        engine->load_platform(file);
    } catch (const std::exception &e) {
        std::snprintf(error, error_len, "%s", e.what());
        return -1;
    }
    for (uint32_t i = 0; i < host_count; i++) {
        simgrid::s4u::Host *host = engine->host_by_name_or_null(host_names[i]);
        if (host == nullptr) {
            std::snprintf(
                error, error_len,
                "%s has no host named '%s' (it needs one host per node, named as the node: "
                "broker/0, producer/NAME/0, consumer/GROUP/0, nemesis, ...)",
                file, host_names[i]);
            return -1;
        }
        hosts_out[i] = host;
    }
    for (uint32_t a = 0; a < host_count; a++) {
        for (uint32_t b = 0; b < host_count; b++) {
            size_t at = static_cast<size_t>(a) * host_count + b;
            if (a == b || hosts_out[a] == hosts_out[b]) { /* one host (sim_node.same_process) */
                latency_us[at] = 0;
                bandwidth_bytes_per_s[at] = UINT64_MAX;
                continue;
            }
            std::vector<simgrid::s4u::Link *> links;
            double latency_s = 0;
            auto *src = static_cast<simgrid::s4u::Host *>(hosts_out[a]);
            auto *dst = static_cast<simgrid::s4u::Host *>(hosts_out[b]);
            try {
                src->route_to(dst, links, &latency_s);
            } catch (const std::exception &e) {
                std::snprintf(error, error_len, "%s: no route from %s to %s (%s)", file,
                              host_names[a], host_names[b], e.what());
                return -1;
            }
            double bandwidth = links.empty() ? 0 : links[0]->get_bandwidth();
            for (const auto *link : links) bandwidth = std::min(bandwidth, link->get_bandwidth());
            if (links.empty() || !(bandwidth >= 1)) {
                std::snprintf(error, error_len,
                              "%s: the route from %s to %s has no link with a bandwidth", file,
                              host_names[a], host_names[b]);
                return -1;
            }
            latency_us[at] = static_cast<int64_t>(std::llround(latency_s * 1e6));
            bandwidth_bytes_per_s[at] = static_cast<uint64_t>(bandwidth);
        }
    }
    return 0;
}

namespace
{
struct flows_state {
    platform_flow_done_fn done = nullptr;
    std::set<simgrid::s4u::Activity *> vetoed;
    std::set<simgrid::s4u::CommPtr> running;     // our references keep the flows alive
    std::vector<simgrid::s4u::CommPtr> finished; // released once run_until returned
    uint64_t in_flight = 0;
    bool callback_connected = false;
};
flows_state g_flows;

int64_t clock_us()
{
    return static_cast<int64_t>(std::llround(simgrid::s4u::Engine::get_clock() * 1e6));
}

void on_activity_completion(simgrid::s4u::Activity const &activity)
{
    const auto *comm = dynamic_cast<const simgrid::s4u::Comm *>(&activity);
    if (comm == nullptr || g_flows.done == nullptr) return;
    void *cookie = comm->get_data<void>();
    if (cookie == nullptr) return;
    BL_ASSERTF(activity.get_state() == simgrid::s4u::Activity::State::FINISHED,
               "a SimGrid flow failed");
    BL_ASSERT(g_flows.in_flight > 0);
    g_flows.in_flight--;
    // SimGrid still uses the activity after this callback (release_dependencies): drop
    // our reference only when run_until has returned.
    simgrid::s4u::CommPtr self(const_cast<simgrid::s4u::Comm *>(comm));
    g_flows.finished.push_back(self);
    g_flows.running.erase(self);
    g_flows.done(cookie, clock_us());
}
} // namespace

extern "C" void platform_flows_init(platform_flow_done_fn done)
{
    g_flows.done = done;
    g_flows.in_flight = 0;
    simgrid::s4u::Engine::get_instance()->track_vetoed_activities(&g_flows.vetoed);
    if (!g_flows.callback_connected)
        simgrid::s4u::Activity::on_completion_cb(on_activity_completion);
    g_flows.callback_connected = true;
}

extern "C" void platform_flow_start(void *src_host, void *dst_host, uint64_t size_bytes,
                                    void *cookie, int64_t now_us)
{
    BL_ASSERT(cookie != nullptr && g_flows.done != nullptr);
    if (clock_us() < now_us) platform_flows_advance(now_us);
    BL_ASSERTF(clock_us() == now_us, "SimGrid's clock %lld is not the engine's %lld",
               (long long)clock_us(), (long long)now_us);
    auto *src = static_cast<simgrid::s4u::Host *>(src_host);
    auto *dst = static_cast<simgrid::s4u::Host *>(dst_host);
    simgrid::s4u::CommPtr comm = simgrid::s4u::Comm::sendto_init(src, dst);
    comm->set_payload_size(size_bytes);
    comm->set_data(cookie);
    simgrid::s4u::ExecPtr stopper = simgrid::s4u::Exec::init();
    comm->add_successor(stopper);
    comm->start();
    g_flows.running.insert(comm);
    g_flows.in_flight++;
}

extern "C" uint64_t platform_flows_in_flight(void)
{
    return g_flows.in_flight;
}

extern "C" int64_t platform_flows_advance(int64_t until_us)
{
    const double until_s = static_cast<double>(until_us) / 1e6;
    if (clock_us() < until_us) simgrid::s4u::Engine::get_instance()->run_until(until_s);
    g_flows.vetoed.clear(); // the stoppers: their only reference was the flow's successor list
    g_flows.finished.clear();
    return clock_us();
}

extern "C" void platform_flows_shutdown(void)
{
    g_flows.done = nullptr;                                  // cancelling below reports nothing
    for (const auto &comm : g_flows.running) comm->cancel(); // flows still in the air at the end
    g_flows.running.clear();
    g_flows.vetoed.clear();
    g_flows.finished.clear();
    g_flows.in_flight = 0;
    simgrid::s4u::Engine::get_instance()->track_vetoed_activities(nullptr);
}

extern "C" const char *platform_simgrid_version(void)
{
#define BL_STRINGIFY_(x) #x
#define BL_STRINGIFY(x)  BL_STRINGIFY_(x)
    return BL_STRINGIFY(SIMGRID_VERSION_MAJOR) "." BL_STRINGIFY(
        SIMGRID_VERSION_MINOR) "." BL_STRINGIFY(SIMGRID_VERSION_PATCH);
}
