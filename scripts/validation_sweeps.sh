#!/usr/bin/env bash
# The validation-split runs behind the tables and figures of docs/results.md: every choice of
# the MNIST experiment (loss, capacity, steps) was made on these, never on the test digits.
#
#   scripts/validation_sweeps.sh GROUP...    GROUP: losses seeds capacity steps matched all
#
# Each run writes out/sweeps/NAME/ (metrics.json, samples, grids, checkpoint); a finished run
# is reused (its checkpoint and cached classical models load), so the script can be resumed.
# `cargo xtask plots` then draws docs/img/ from out/sweeps/. Seeds: training 1 (2, 3 where
# named), sampling 7. Runs compete for the cores: run nothing else while timing matters.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example mnist_diffusion
bin=target/release/examples/mnist_diffusion

run() { # NAME FLAGS...
  local name=$1; shift
  echo "== $name: $*"
  "$bin" --split validation --out "out/sweeps/$name" "$@" | grep -E "^\| (quantum|ablation|latent)"
}

# The defaults are the headline: the end-of-chain MMD plus the level terms (weight 1 each).
# The loss and capacity sweeps ran before that choice, around the end term alone (`end`) and
# the end term with teacher forcing (`capacity`): their flags spell that out.
end=(--levels-weight 0)
teacher=(--levels-weight 0 --teacher-weight 1)

losses() { # every term alone and with the end of the chain, and the other distances
  run end --no-baseline "${end[@]}"
  run levels1 --no-baseline --end-weight 0 --levels-weight 1
  run teacher1 --no-baseline --end-weight 0 --levels-weight 0 --teacher-weight 1
  run seq1 --no-baseline --end-weight 0 --levels-weight 0 --sequential-weight 1
  run end-levels1 --no-baseline --levels-weight 1
  run end-teacher1 --no-baseline "${teacher[@]}"
  run end-seq1 --no-baseline --levels-weight 0 --sequential-weight 1
  run end-teacher3 --no-baseline --levels-weight 0 --teacher-weight 3
  run end-levels3 --no-baseline --levels-weight 3
  run end-teacher1-levels1 --no-baseline --teacher-weight 1 --levels-weight 1
  run end-teacher1-energy --no-baseline "${teacher[@]}" --distance energy
  run sw-end --no-baseline "${end[@]}" --distance sliced
  run sw-end-levels1 --no-baseline --distance sliced --levels-weight 1
  run fidelity --no-baseline --loss denoising-fidelity
}

seeds() { # the close candidates at training seeds 2 and 3
  for s in 2 3; do
    run "end-s$s" --no-baseline "${end[@]}" --train-seed "$s"
    run "end-teacher1-s$s" --no-baseline "${teacher[@]}" --train-seed "$s"
    run "end-levels1-s$s" --no-baseline --levels-weight 1 --train-seed "$s"
  done
}

capacity() { # one knob at a time around the end term with teacher forcing
  run cap-time16 --no-baseline "${teacher[@]}" --time-features 16
  run cap-lr02 --no-baseline "${teacher[@]}" --learning-rate 0.02 --final-learning-rate 0.001
  run cap-time4 --no-baseline "${teacher[@]}" --time-features 4
  run cap-lr005 --no-baseline "${teacher[@]}" --learning-rate 0.005 --final-learning-rate 0.0005
  run cap-ancillas1 --no-baseline "${teacher[@]}" --ancillas 1
  run cap-layers2 --no-baseline "${teacher[@]}" --layers 2
  run cap-batch64 --no-baseline "${teacher[@]}" --batch 64
  run cap-iter300 --no-baseline "${teacher[@]}" --iterations 300 --curve-every 25
  run cap-ancillas4 --no-baseline "${teacher[@]}" --ancillas 4
  run cap-layers4 --no-baseline "${teacher[@]}" --layers 4
  run cap-batch128 --no-baseline "${teacher[@]}" --batch 128
  # The headline's loss: one ancilla at three seeds, and 300 iterations with the FID curve.
  run levels-ancillas1 --no-baseline --ancillas 1
  run levels-ancillas1-s2 --no-baseline --ancillas 1 --train-seed 2
  run levels-ancillas1-s3 --no-baseline --ancillas 1 --train-seed 3
  run levels-iter300 --no-baseline --iterations 300 --curve-every 25
  # Independent angles per step (QuDDPM's parametrisation).
  run levels-perstep --no-baseline --per-step
  run seq-perstep --no-baseline --per-step --end-weight 0 --levels-weight 0 --sequential-weight 1
  run end-seq-perstep --no-baseline --per-step --levels-weight 0 --sequential-weight 1
  # Sampling with a moving average of the parameters.
  run levels-ema09 --no-baseline --ema 0.9
  run levels-iter300-ema095 --no-baseline --iterations 300 --ema 0.95
  # 12 system qubits (the autoencoder is retrained for that latent), and 1,000 iterations.
  run levels-qubits12 --no-baseline --qubits 12
  run levels-iter1000 --no-baseline --iterations 1000
}

steps() { # the quantum model at T steps beside the latent DDPMs sampled with T steps
  for t in 10 20 50 100; do
    run "steps-$t" --no-pixel-baseline --steps "$t" --ancestral-steps "$t" --ddim-steps "$t"
  done
}

matched() { # the parameter-matched latent DDPM's shape and training; its width follows the
  # quantum model's parameter count, which does not depend on the iterations: one suffices here
  for layers in 1 2; do
    for features in 8 32; do
      run "matched-l$layers-f$features" --no-pixel-baseline --iterations 1 \
        --matched-layers "$layers" --matched-time-features "$features" --matched-epochs 120
    done
  done
  run matched-l2-f8-e400 --no-pixel-baseline --iterations 1 --matched-epochs 400
}

[ $# -gt 0 ] || { sed -n 2,11p "$0"; exit 2; }
for group in "$@"; do
  case $group in
    all) losses; seeds; capacity; steps; matched ;;
    losses|seeds|capacity|steps|matched) $group ;;
    *) echo "unknown group $group" >&2; exit 2 ;;
  esac
done
