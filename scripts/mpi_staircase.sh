#!/usr/bin/env bash
# The distributed state vector on the 15-layer staircase (RY, RZ on every qubit, then the CNOT
# chain; fixed angles), run by `run_qasm --mpi` under mpirun: for each width and rank count,
# rank 0 prints on stderr the schedule, the swaps, the bytes exchanged beside their lower bound,
# and the best wall time of --repeat runs; one process's best time (all cores) is printed first
# for comparison.
#
#   scripts/mpi_staircase.sh                      # 24..28 qubits at 1, 2 and 4 ranks, 3 repeats
#   QUBITS="24 26" RANKS="2 4 8" REPEAT=5 scripts/mpi_staircase.sh
#   HOSTFILE=hosts.txt RANKS=16 scripts/mpi_staircase.sh   # on a cluster
#   CHECK=1 QUBITS=24 RANKS=2 scripts/mpi_staircase.sh     # one run; text outputs compared
#   SCHEDULES=fewest-exchanges scripts/mpi_staircase.sh    # one schedule (default: both)
#
# Text output (the 32 largest amplitudes and the non-zero count) keeps rank 0 from gathering
# the state. CHECK=1 compares it with one process's, timing line excepted.
set -euo pipefail
cd "$(dirname "$0")/.."
QUBITS=${QUBITS:-24 25 26 27 28}
RANKS=${RANKS:-1 2 4}
REPEAT=${REPEAT:-3}
SCHEDULES=${SCHEDULES:-as-one-process fewest-exchanges}
# Threads per rank (rayon): by default the cores shared out, at least 1 (2 ranks of 1 thread on
# this 2-core machine, where one process runs 2 threads).
CORES=$(nproc)
LAYERS=15
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
if [ -n "${HOSTFILE:-}" ]; then MPIRUN+=(--hostfile "$HOSTFILE"); fi
if [ -n "${CHECK:-}" ]; then REPEAT=1; fi

cargo build --release -p qdiff-examples --features mpi --example run_qasm
run_qasm=target/release/examples/run_qasm
mkdir -p target/mpi-staircase

for n in $QUBITS; do
  file=target/mpi-staircase/staircase_$n.qasm
  # Angles: fixed, all non-zero (a zero RY would be diagonal and need no exchange).
  awk -v n="$n" -v layers="$LAYERS" 'BEGIN {
    print "OPENQASM 2.0;"; print "include \"qelib1.inc\";"; printf "qreg q[%d];\n", n
    k = 0
    for (l = 0; l < layers; l++) {
      for (q = 0; q < n; q++) {
        printf "ry(%.6f) q[%d];\n", 0.3 + 2.5 * sin(1.7 * k + 0.4), q; k++
        printf "rz(%.6f) q[%d];\n", -0.2 + 2.5 * cos(1.3 * k + 0.1), q; k++
      }
      for (q = 1; q < n; q++) printf "cx q[%d],q[%d];\n", q - 1, q
    }
  }' > "$file"
  echo "== staircase, $n qubits, $LAYERS layers"
  "$run_qasm" "$file" --repeat "$REPEAT" > "target/mpi-staircase/single_$n.txt"
  grep '^best of' "target/mpi-staircase/single_$n.txt" | sed 's/^/one process: /'
  for k in $RANKS; do
    for schedule in $SCHEDULES; do
      out=target/mpi-staircase/mpi_${n}_${k}_$schedule.txt
      threads=${THREADS_PER_RANK:-$(( CORES / k > 0 ? CORES / k : 1 ))}
      RAYON_NUM_THREADS=$threads "${MPIRUN[@]}" -x RAYON_NUM_THREADS -np "$k" \
        "$run_qasm" "$file" --mpi --mpi-schedule "$schedule" --repeat "$REPEAT" > "$out"
      if [ -n "${CHECK:-}" ]; then
        if diff <(grep -v '^best of' "target/mpi-staircase/single_$n.txt") \
          <(grep -v '^best of' "$out"); then
          echo "$k ranks, $schedule: text output identical to one process's (timing excepted)"
        else
          echo "$k ranks, $schedule: text output DIFFERS from one process's" >&2
          exit 1
        fi
      fi
    done
  done
done
