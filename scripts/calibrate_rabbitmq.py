#!/usr/bin/python3
"""calibrate_rabbitmq.py — holds the RabbitMQ model against a real RabbitMQ on this machine.

Run by scripts/calibrate-rabbitmq.sh, which starts a local broker (loopback only) and
passes its AMQP port and the commands that kill -9 and restart it. Each workload runs on
the real broker (through pika, Python's AMQP client) and on the model (brokerlab run on a
scenario of scripts/calibration/, with the machine's measured loopback latency and fsync
time), and one table prints both columns with their difference:

  prefetch      deliveries a consumer with prefetch 50 holds without acking
  requeue       of those, redelivered (flag set) to a second consumer once the first is
                killed with kill -9 (R6)
  kill9         confirmed persistent messages of a durable queue lost when the broker is
                killed with kill -9 and restarted (R2-R4)
  sync-confirm  a publisher waiting for each confirm of a persistent message: messages
                per second (a round trip and, on 3.10, an fsync each)
  ttl           per-queue TTL: of 200 messages in a queue with a 500 ms x-message-ttl and
                no consumer, how many expired (R11)
  quorum        the prefetch, requeue and kill9 workloads on a quorum queue (x-queue-type
                quorum, one member: R10)

Exit 0 when the count rows agree exactly, 1 otherwise (the rate row is reported, not
gated: the real machine's scheduler is in it). Standard library and pika only.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pika

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def connect(port):
    """A connection to the broker, retried for 30 s while it finishes starting."""
    for attempt in range(30):
        try:
            return pika.BlockingConnection(
                pika.ConnectionParameters(host="127.0.0.1", port=port, heartbeat=60))
        except pika.exceptions.AMQPConnectionError:
            if attempt == 29:
                raise
            time.sleep(1)


def fresh_queue(channel, name, arguments=None):
    channel.queue_delete(queue=name)
    channel.queue_declare(queue=name, durable=True, arguments=arguments)


def publish_confirmed(channel, queue, count):
    channel.confirm_delivery()
    for i in range(count):
        channel.basic_publish(exchange="", routing_key=queue, body=b"x" * 100,
                              properties=pika.BasicProperties(delivery_mode=2),
                              mandatory=False)


# ---- the real broker's workloads ----

HOLDER = r"""
import sys, time, pika
port, queue, prefetch = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=port))
ch = c.channel()
ch.basic_qos(prefetch_count=prefetch)
got = 0
def on(ch_, method, props, body):
    global got
    got += 1
ch.basic_consume(queue=queue, on_message_callback=on, auto_ack=False)
deadline = time.time() + 3
while time.time() < deadline:
    c.process_data_events(time_limit=0.1)
print(got, flush=True)
time.sleep(3600)
"""


QUORUM = {"x-queue-type": "quorum"}


def message_count(ch, queue, arguments=None):
    """The queue's ready messages once the count has settled: asked every 0.5 s until two
    answers 2 s apart agree, for at most 60 s (a quorum queue's member replays its log
    after a restart, and answers what it has applied so far; until it is back the
    declare fails)."""
    deadline = time.time() + 60
    last, last_t = None, 0.0
    while True:
        try:
            count = ch.queue_declare(queue=queue, durable=True, passive=True,
                                     arguments=arguments).method.message_count
        except pika.exceptions.ChannelClosedByBroker:
            if time.time() > deadline:
                raise
            time.sleep(0.5)
            ch = ch.connection.channel()
            continue
        if count != last:
            last, last_t = count, time.time()
        elif time.time() - last_t >= 2 or time.time() > deadline:
            return count
        time.sleep(0.5)


def real_prefetch_requeue(port, queue="calibrate.requeue", arguments=None):
    """A consumer with prefetch 50 holds deliveries without acking; killed, a second one
    gets them redelivered."""
    conn = connect(port)
    ch = conn.channel()
    fresh_queue(ch, queue, arguments)
    publish_confirmed(ch, queue, 200)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(port), queue, "50"],
                              stdout=subprocess.PIPE, text=True)
    held = int(holder.stdout.readline())
    os.kill(holder.pid, signal.SIGKILL)  # the kernel resets its socket
    holder.wait()
    time.sleep(0.5)
    redelivered = 0
    for _ in range(200):
        method, props, body = ch.basic_get(queue=queue, auto_ack=True)
        if method is None:
            break
        redelivered += 1 if method.redelivered else 0
    ch.queue_delete(queue=queue)
    conn.close()
    return held, redelivered


def real_kill9(port, kill_cmd, start_cmd, queue="calibrate.kill9", arguments=None):
    conn = connect(port)
    ch = conn.channel()
    fresh_queue(ch, queue, arguments)
    publish_confirmed(ch, queue, 500)
    conn.close()
    subprocess.run(kill_cmd, shell=True, check=True)
    subprocess.run(start_cmd, shell=True, check=True)
    conn = connect(port)
    ch = conn.channel()
    count = message_count(ch, queue, arguments)
    ch = conn.channel()
    ch.queue_delete(queue=queue)
    conn.close()
    return count


def real_sync_confirm(port, count=500, queue="calibrate.sync", arguments=None):
    conn = connect(port)
    ch = conn.channel()
    fresh_queue(ch, queue, arguments)
    start = time.monotonic()
    publish_confirmed(ch, queue, count)
    rate = count / (time.monotonic() - start)
    ch.queue_delete(queue=queue)
    conn.close()
    return rate


def real_ttl(port):
    """200 messages into a queue with a 500 ms x-message-ttl and no consumer: after 1.5 s
    none is left (removed at the head once expired, R11)."""
    conn = connect(port)
    ch = conn.channel()
    fresh_queue(ch, "calibrate.ttl", {"x-message-ttl": 500})
    publish_confirmed(ch, "calibrate.ttl", 200)
    time.sleep(1.5)
    left = ch.queue_declare(queue="calibrate.ttl", durable=True, passive=True).method.message_count
    ch.queue_delete(queue="calibrate.ttl")
    conn.close()
    return 200 - left


# ---- this machine, for the model ----

def loopback_latency_us(samples=200):
    """Half a TCP round trip on loopback."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname())
    peer, _ = server.accept()
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    peer.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        client.sendall(b"x")
        peer.recv(1)
        peer.sendall(b"y")
        client.recv(1)
        times.append(time.perf_counter() - start)
    for s in (client, peer, server):
        s.close()
    times.sort()
    return max(1, int(times[len(times) // 2] / 2 * 1e6))


def fsync_latency_us(directory, samples=50):
    times = []
    with tempfile.NamedTemporaryFile(dir=directory) as f:
        for _ in range(samples):
            f.write(b"x" * 200)
            f.flush()
            start = time.perf_counter()
            os.fsync(f.fileno())
            times.append(time.perf_counter() - start)
    times.sort()
    return max(1, int(times[len(times) // 2] * 1e6))


# ---- the model's side ----

def model_run(brokerlab, name, latency_us, fsync_us, out_dir, history=False):
    """Runs scripts/calibration/NAME.yaml with this machine's latency and fsync time put
    into its cluster section; returns (results, history lines)."""
    with open(os.path.join(HERE, "calibration", name + ".yaml")) as f:
        text = f.read()
    text = text.replace("LATENCY", "%dus" % latency_us).replace("FSYNC", "%dus" % fsync_us)
    path = os.path.join(out_dir, name + ".yaml")
    with open(path, "w") as f:
        f.write(text)
    run_dir = os.path.join(out_dir, name)
    args = [brokerlab, "run", path, "--out", run_dir, "--quiet"]
    if history:
        args += ["--history", "jsonl"]
    subprocess.run(args, check=False, stdout=subprocess.DEVNULL)
    with open(os.path.join(run_dir, "results.json")) as f:
        results = json.load(f)
    lines = []
    if history:
        with open(os.path.join(run_dir, "history.jsonl")) as f:
            lines = [json.loads(line) for line in f]
    return results, lines


def group(results, name):
    return results["groups"][name]


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: calibrate_rabbitmq.py BROKERLAB AMQP_PORT KILL_CMD START_CMD")
    brokerlab, port, kill_cmd, start_cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    out_dir = tempfile.mkdtemp(prefix="calibrate-rabbitmq-")
    latency_us = loopback_latency_us()
    fsync_us = fsync_latency_us(out_dir)
    print("this machine: loopback one-way latency %d us, fsync %d us" % (latency_us, fsync_us))

    held, redelivered = real_prefetch_requeue(port)
    ttl_expired = real_ttl(port)
    sync_rate = real_sync_confirm(port)
    lost_kill9 = 500 - real_kill9(port, kill_cmd, start_cmd)
    q_held, q_redelivered = real_prefetch_requeue(port, "calibrate.qq.requeue", QUORUM)
    q_sync_rate = real_sync_confirm(port, 500, "calibrate.qq.sync", QUORUM)
    q_lost_kill9 = 500 - real_kill9(port, kill_cmd, start_cmd, "calibrate.qq.kill9", QUORUM)

    res, hist = model_run(brokerlab, "requeue-on-kill", latency_us, fsync_us, out_dir, True)
    model_held = sum(1 for r in hist if r["f"] == "deliver" and r["node"] == "consumer/jobs/0")
    model_redelivered = group(res, "jobs")["redelivered"]
    res, _ = model_run(brokerlab, "kill9-confirmed", latency_us, fsync_us, out_dir)
    model_lost_kill9 = group(res, "q")["lost"]
    res, _ = model_run(brokerlab, "sync-confirm", latency_us, fsync_us, out_dir)
    model_rate = group(res, "s")["throughput_per_s"]  # its load phase, the publisher blocked
    res, _ = model_run(brokerlab, "ttl-expiry", latency_us, fsync_us, out_dir)
    model_expired = group(res, "ttl")["expired"]
    res, hist = model_run(brokerlab, "requeue-on-kill-quorum", latency_us, fsync_us, out_dir, True)
    model_q_held = sum(1 for r in hist if r["f"] == "deliver" and r["node"] == "consumer/jobs/0")
    model_q_redelivered = group(res, "jobs")["redelivered"]
    res, _ = model_run(brokerlab, "kill9-confirmed-quorum", latency_us, fsync_us, out_dir)
    model_q_lost_kill9 = group(res, "q")["lost"]
    res, _ = model_run(brokerlab, "sync-confirm-quorum", latency_us, fsync_us, out_dir)
    model_q_rate = group(res, "s")["throughput_per_s"]

    rows = [
        ("prefetch: deliveries held unacked (prefetch 50)", held, model_held, True),
        ("requeue: redelivered after kill -9 of the holder", redelivered, model_redelivered, True),
        ("kill9: confirmed persistent lost at a broker kill -9", lost_kill9, model_lost_kill9, True),
        ("sync-confirm: msg/s, one confirm at a time", sync_rate, model_rate, False),
        ("ttl: expired of 200 (x-message-ttl 500 ms)", ttl_expired, model_expired, True),
        ("quorum prefetch: deliveries held unacked (prefetch 50)", q_held, model_q_held, True),
        ("quorum requeue: redelivered after kill -9 of the holder", q_redelivered,
         model_q_redelivered, True),
        ("quorum kill9: confirmed lost at a broker kill -9", q_lost_kill9, model_q_lost_kill9,
         True),
        ("quorum sync-confirm: msg/s, one confirm at a time", q_sync_rate, model_q_rate, False),
    ]
    print("%-56s %12s %12s %12s" % ("workload", "real 3.10", "model 3.10", "model-real"))
    ok = True
    for name, real, model, gated in rows:
        if model is None:
            print("%-56s %12s %12s %12s" % (name, real, "not modelled", "-"))
            continue
        if isinstance(real, float) or isinstance(model, float):
            print("%-56s %12.1f %12.1f %+12.1f" % (name, real, model, model - real))
        else:
            print("%-56s %12d %12d %+12d" % (name, real, model, model - real))
        if gated and real != model:
            ok = False
    if ok:
        shutil.rmtree(out_dir)
    else:
        print("model runs kept in %s" % out_dir)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
