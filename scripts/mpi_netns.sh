#!/usr/bin/env bash
# Two "hosts" on one machine: network namespaces zoo-mpi-a and zoo-mpi-b joined by a veth pair, each with a
# link-local address that exists only inside its namespace (169.254.77.1 and .2; nothing is routed outside).
# Open MPI runs one rank in each over TCP, launching the second through an agent that enters the namespace
# instead of ssh, so gradients really cross a network interface. It then checks the 2-rank weights against
# one process and prints the bytes that crossed the veth. Needs root (ip netns); cleans up on exit.
#
#   scripts/mpi_netns.sh [ZOO_BINARY] [DATA_DIR]      (defaults: .build/release/zoo, ../shared/datasets)
set -euo pipefail
cd "$(dirname "$0")/.."
zoo="$(realpath "${1:-.build/release/zoo}")"
data="$(realpath "${2:-../shared/datasets}")"
work="$(mktemp -d /tmp/zoo-mpi-netns.XXXXXX)"
a=zoo-mpi-a b=zoo-mpi-b
address_a=169.254.77.1 address_b=169.254.77.2

cleanup() {
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$a"
ip netns add "$b"
ip link add zoo-veth-a netns "$a" type veth peer name zoo-veth-b netns "$b"
for side in a b; do
    namespace="zoo-mpi-$side" address="address_$side"
    ip -n "$namespace" link set lo up
    ip -n "$namespace" addr add "${!address}/30" dev "zoo-veth-$side"
    ip -n "$namespace" link set "zoo-veth-$side" up
done
ip netns exec "$a" timeout 5 bash -c "</dev/tcp/$address_b/9" 2>/dev/null || true  # wake the link (no ping needed)

# Open MPI calls the agent as `agent HOST COMMAND…`; the host is the address it was given.
cat > "$work/enter-namespace" <<AGENT
#!/bin/sh
case "\$1" in
    $address_a) namespace=$a ;;
    $address_b) namespace=$b ;;
    *) echo "enter-namespace: unknown host \$1" >&2; exit 1 ;;
esac
shift
exec ip netns exec "\$namespace" /bin/sh -c "\$*"
AGENT
chmod +x "$work/enter-namespace"
printf '%s slots=1\n%s slots=1\n' "$address_a" "$address_b" > "$work/hostfile"

# The first 1,000 images of real MNIST, as the CI test: 20 steps at a global batch of 51 (shares of 26 and 25).
python3 - "$data/mnist" "$work/data/mnist" <<'PYTHON'
import gzip, os, sys
source, target = sys.argv[1], sys.argv[2]
os.makedirs(target)
for prefix, count in (("train", 1000), ("t10k", 200)):
    for kind, header, size in (("images-idx3", 16, 784), ("labels-idx1", 8, 1)):
        raw = gzip.open(f"{source}/{prefix}-{kind}-ubyte.gz").read()
        head = bytearray(raw[:header]); head[4:8] = count.to_bytes(4, "big")
        open(f"{target}/{prefix}-{kind}-ubyte", "wb").write(bytes(head) + raw[header:header + count * size])
PYTHON

train=(train --model lenet --dataset mnist --data-dir "$work/data" --optimizer sgd --lr 0.05 --set optimizer.momentum=0.9 --epochs 1 --batch-size 51 --quiet)
received() { ip -n "$b" -s -j link show zoo-veth-b | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["bytes"])'; }

cd "$work"
OMP_NUM_THREADS=1 "$zoo" "${train[@]}" --out single >/dev/null
before=$(received)
ip netns exec "$a" env OMP_NUM_THREADS=1 mpirun --allow-run-as-root --hostfile hostfile -np 2 \
    --mca plm_rsh_agent "$work/enter-namespace" \
    --mca btl tcp,self --mca btl_tcp_if_include 169.254.77.0/30 --mca oob_tcp_if_include 169.254.77.0/30 \
    -x OMP_NUM_THREADS "$zoo" "${train[@]}" --out across >/dev/null
after=$(received)

python3 - <<'PYTHON'
from safetensors.numpy import load_file
import numpy as np
single, across = load_file("single/last.safetensors"), load_file("across/last.safetensors")
worst = max(np.linalg.norm(single[k] - across[k]) / np.linalg.norm(single[k]) for k in single if not k.startswith("optimizer."))
print(f"20 steps of LeNet, 1 process vs 2 ranks in two namespaces: largest relative weight difference {worst:.2e}")
assert worst < 1e-5
PYTHON
echo "bytes received by zoo-veth-b during the 2-rank run: $((after - before))"
