#!/usr/bin/env bash
# Installs what the tests check zoo's output with, so `bash scripts/test.sh` skips only what cannot be had offline.
# Idempotent, and quick when everything is there (it only looks); never prompts, so CI runs it without stdin.
# System packages need root: without it their names are printed and the tests needing them skip, saying so
# (under CI=true they fail instead). A failed download is reported, not fatal: offline, the tests still run.
set -uo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
note() { echo "setup-test-deps: $*" >&2; }

# The libraries zoo links against (oneDNN, zlib, libspng and libjpeg-turbo for images), the Fashion-MNIST package, headless Chromium and a font (report.html
# screenshots), Open MPI (the mpirun tests).
apt_packages=(libdnnl-dev zlib1g-dev dataset-fashion-mnist chromium fonts-dejavu-core openmpi-bin libopenmpi-dev libspng-dev libturbojpeg0-dev)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    note "not root, so not installing ${missing[*]}; run: sudo apt-get install ${missing[*]}"
  elif ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    # A fresh machine may have no package lists yet.
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || note "could not install ${missing[*]}"
  fi
fi

# TensorBoard's EventAccumulator reads the event files; onnx.checker and onnxruntime the ONNX export; PyTorch
# loads the exported state_dict with strict=True.
if ! command -v python3 >/dev/null; then
  note "no python3: the tests that read zoo's files with Python skip (apt-get install python3 python3-pip)"
else
  # Looking a module up is instant; importing torch or tensorboard takes seconds.
  has() { python3 -c 'import importlib.util, sys; sys.exit(any(importlib.util.find_spec(m) is None for m in sys.argv[1:]))' "$@"; }
  python_modules=(tensorboard onnx onnxruntime safetensors numpy)
  if ! has "${python_modules[@]}"; then
    python3 -m pip install -q "${python_modules[@]}" </dev/null || note "could not pip install ${python_modules[*]}"
  fi
  # torch is large: the machine image's CPU-only wheel in /opt/wheels if there is one, else PyPI's torch.
  if ! has torch; then
    cpu_wheel=$(ls /opt/wheels/torch-*+cpu-*.whl 2>/dev/null | head -n 1)
    if [ -n "$cpu_wheel" ]; then
      python3 -m pip install -q "$cpu_wheel" </dev/null || note "could not install $cpu_wheel"
    else
      python3 -m pip install -q torch </dev/null || note "could not pip install torch"
    fi
  fi
fi

# Real MNIST: beside the checkout (../shared/datasets, as CI has it), else fetched into data/.
mnist=mnist/train-images-idx3-ubyte.gz
if [ ! -f "../shared/datasets/$mnist" ] && [ ! -f "data/$mnist" ]; then
  swift run -q zoo data fetch mnist --data-dir data </dev/null || note "could not fetch MNIST (offline?): the real-MNIST tests skip"
fi
exit 0
