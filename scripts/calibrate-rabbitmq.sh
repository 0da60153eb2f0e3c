#!/usr/bin/env bash
# Holds the RabbitMQ model against a real RabbitMQ on this machine (issue 14): installs
# Debian's rabbitmq-server (3.10) and python3-pika when missing, starts a broker of its
# own (loopback only, its files in a temporary directory, its own ports), runs the
# workloads of scripts/calibrate_rabbitmq.py on it and on the model (rabbitmq-3.10), and
# prints both columns side by side. Exit 0 when the counts agree, 1 when one differs, 2
# when the broker could not be started. Takes about a minute (two broker starts).
# Usage: scripts/calibrate-rabbitmq.sh [BROKERLAB]   (default: build/brokerlab)
set -euo pipefail
cd "$(dirname "$0")/.."
brokerlab=${1:-build/brokerlab}
[ -x "$brokerlab" ] || { echo "calibrate-rabbitmq: no $brokerlab (build first, or pass one)" >&2; exit 2; }
./scripts/install_packages.sh rabbitmq-server python3-pika
# Debian's package starts a broker under systemd where there is one; ours is separate.
dir=$(mktemp -d /tmp/brokerlab-rabbitmq.XXXXXX)
port=5699
export RABBITMQ_NODENAME=brokerlabcal@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$port
export RABBITMQ_DIST_PORT=25699
export ERL_EPMD_ADDRESS=127.0.0.1
export ERL_EPMD_PORT=4399
export RABBITMQ_MNESIA_BASE=$dir/mnesia
export RABBITMQ_LOG_BASE=$dir/log
export RABBITMQ_CONFIG_FILE=$dir/rabbitmq
export RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
export RABBITMQ_FEATURE_FLAGS_FILE=$dir/feature_flags
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export HOME=$dir
mkdir -p "$dir/mnesia" "$dir/log"
echo '[].' >"$dir/enabled_plugins"
printf 'loopback_users.guest = true\nlisteners.tcp.default = 127.0.0.1:%s\n' "$port" >"$dir/rabbitmq.conf"
# rabbitmq-server run as root drops to the rabbitmq user: let it own its directory
if id rabbitmq >/dev/null 2>&1; then chown -R rabbitmq:rabbitmq "$dir"; fi

# start.sh starts the broker and waits until it serves; kill.sh kills it with kill -9
# (the calibration's own crash, then its restart).
cat >"$dir/start.sh" <<EOF
#!/usr/bin/env bash
(rabbitmq-server >>"$dir/server.log" 2>&1 &)
for _ in \$(seq 120); do
  timeout 10 rabbitmqctl -q await_startup >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "calibrate-rabbitmq: the broker did not start within 2 minutes; its log:" >&2
tail -20 "$dir/server.log" >&2
exit 1
EOF
cat >"$dir/kill.sh" <<EOF
#!/usr/bin/env bash
# the broker's own OS pid (its command line does not name it), then kill -9 and wait
pid=\$(timeout 10 rabbitmqctl -q eval 'os:getpid().' 2>/dev/null | tr -dc 0-9)
[ -n "\$pid" ] || exit 0
kill -9 "\$pid"
while kill -0 "\$pid" 2>/dev/null; do sleep 0.1; done
EOF
chmod +x "$dir/start.sh" "$dir/kill.sh"
cleanup() { "$dir/kill.sh"; pkill -f "epmd.*-port $ERL_EPMD_PORT" || true; rm -rf "$dir"; }
trap cleanup EXIT

# a broker of this name left running (an interrupted run) would answer instead of ours
"$dir/kill.sh"
"$dir/start.sh" || exit 2
# Debian's python3, where python3-pika is installed
/usr/bin/python3 scripts/calibrate_rabbitmq.py "$brokerlab" "$port" "$dir/kill.sh" "$dir/start.sh"
