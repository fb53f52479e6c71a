#!/usr/bin/env bash
# The error-scale sweep of docs/results.md (noise-unaware and noise-aware models on the IBM
# Kolkata model, validation split, 500 samples, 1024 shots per basis, seeds 7 and 1), then the
# plot. Each scale takes about 8 minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
for scale in ${SCALES:-0.1 0.3 1 3}; do
  cargo run --release --example nisq_diffusion -- --split validation --no-shot-training \
    --error-scale "$scale" --out "out/nisq/scale_$scale"
done
