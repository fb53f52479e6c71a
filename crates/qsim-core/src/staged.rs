//! A unitary circuit's execution plan, stage by stage, for callers that hold a state in pieces
//! (one MPI rank's slice of a distributed state, in `qsim-mpi`).
//!
//! [`StateVector::apply_circuit`](crate::state::StateVector::apply_circuit) fuses the gates and,
//! for states of more than 13 qubits, groups them into cache-blocking stages: before a stage its
//! qubits are moved to fixed low bit positions, then one chunk program runs on every chunk of
//! `2^chunk_bits` contiguous amplitudes. Every chunk runs the same program and no program looks
//! beyond its chunk, so a caller that holds any set of whole chunks, with each stage's qubits at
//! [`StagedRun::stage_positions`], gets the same amplitudes **bit for bit** by calling
//! [`StagedRun::run_stage`] on its own amplitudes, whatever the other qubits' positions. Smaller
//! states run one program over the whole state ([`StagedRun::run_whole`]).

use num_complex::Complex64;

use crate::circuit::{Circuit, Operation};
use crate::engine::{FusedOp, Plan};
use crate::error::{Error, Result};
use crate::kernels;

/// The plan of a unitary circuit for a state of a given width, with its angles bound.
#[derive(Debug)]
pub struct StagedRun<'c> {
    plan: PlanRef<'c>,
    fused: Vec<FusedOp>,
}

#[derive(Debug)]
enum PlanRef<'c> {
    /// The plan cached in the circuit (the state is exactly as wide as the circuit).
    Cached(&'c Plan),
    /// A plan made for a wider state, or for a list of operations.
    Owned(Plan),
}

impl StagedRun<'_> {
    /// The plan that [`StateVector::apply_circuit`](crate::state::StateVector::apply_circuit)
    /// uses for the unitary `circuit` on a state of `num_qubits` qubits, bound to `theta`.
    pub fn new<'c>(
        circuit: &'c Circuit,
        theta: &[f64],
        num_qubits: usize,
    ) -> Result<StagedRun<'c>> {
        circuit.check_theta(theta)?;
        if circuit.num_qubits() > num_qubits {
            return Err(Error::QubitOutOfRange { qubit: circuit.num_qubits() - 1, num_qubits });
        }
        check_unitary(circuit.ops())?;
        let plan = if circuit.num_qubits() == num_qubits {
            PlanRef::Cached(Plan::for_circuit(circuit))
        } else {
            PlanRef::Owned(Plan::new(circuit.ops(), num_qubits))
        };
        let fused = plan.get().bind(circuit.ops(), theta);
        Ok(StagedRun { plan, fused })
    }

    /// The plan that [`StateVector::run`](crate::state::StateVector::run) uses for the unitary
    /// stretch `ops` of a circuit (between measurements) on `num_qubits` qubits, bound to
    /// `theta` (already checked against the circuit).
    pub fn from_ops(
        ops: &[Operation],
        theta: &[f64],
        num_qubits: usize,
    ) -> Result<StagedRun<'static>> {
        check_unitary(ops)?;
        if let Some(&qubit) = ops.iter().flat_map(|op| op.qubits()).max().as_ref() {
            if qubit >= num_qubits {
                return Err(Error::QubitOutOfRange { qubit, num_qubits });
            }
        }
        let plan = Plan::new(ops, num_qubits);
        let fused = plan.bind(ops, theta);
        Ok(StagedRun { plan: PlanRef::Owned(plan), fused })
    }

    /// Width of the state the plan is for.
    pub fn num_qubits(&self) -> usize {
        self.plan.get().num_qubits()
    }

    /// True if there is nothing to run (no gates, or only barriers).
    pub fn is_empty(&self) -> bool {
        self.fused.is_empty()
    }

    /// `Some(b)` if the plan runs in cache-blocking stages over chunks of `2^b` amplitudes;
    /// `None` if it is one program over the whole state ([`StagedRun::run_whole`]).
    pub fn chunk_bits(&self) -> Option<usize> {
        self.plan.get().chunk_bits()
    }

    /// Number of stages (0 when [`StagedRun::chunk_bits`] is `None`).
    pub fn stages(&self) -> usize {
        self.plan.get().stage_count()
    }

    /// The qubits of stage `i`, each with the bit position it must hold while the stage runs
    /// (below [`StagedRun::chunk_bits`]), ascending by qubit. Empty if `i` is out of range.
    pub fn stage_positions(&self, i: usize) -> Vec<(usize, usize)> {
        if i >= self.stages() {
            return Vec::new();
        }
        self.plan.get().stage_positions(i)
    }

    /// Runs stage `i` on every chunk of `amps`, whose length must be a multiple of the chunk
    /// and whose stage qubits must sit at [`StagedRun::stage_positions`]. `spare` is a scratch
    /// buffer (resized as needed); the two may be exchanged, as the engine does.
    pub fn run_stage(
        &self,
        i: usize,
        amps: &mut Vec<Complex64>,
        spare: &mut Vec<Complex64>,
    ) -> Result<()> {
        let Some(bits) = self.chunk_bits().filter(|_| i < self.stages()) else {
            return Err(Error::DimensionMismatch {
                what: "stage index (stages of the plan)",
                expected: self.stages(),
                got: i,
            });
        };
        let chunk = 1usize << bits;
        if amps.is_empty() || amps.len() % chunk != 0 || !amps.len().is_power_of_two() {
            return Err(Error::DimensionMismatch {
                what: "amplitudes (a power-of-two multiple of the chunk)",
                expected: chunk,
                got: amps.len(),
            });
        }
        if !self.fused.is_empty() {
            self.plan.get().run_stage(i, &self.fused, amps, spare);
        }
        Ok(())
    }

    /// Runs the whole plan on a full state of [`StagedRun::num_qubits`] qubits, exactly as
    /// [`StateVector::apply_circuit`](crate::state::StateVector::apply_circuit) would.
    pub fn run_whole(&self, amps: &mut Vec<Complex64>) -> Result<()> {
        let n = self.num_qubits();
        if amps.len() != 1usize << n {
            return Err(Error::DimensionMismatch {
                what: "amplitudes (2^qubits of the plan)",
                expected: 1usize << n,
                got: amps.len(),
            });
        }
        if self.fused.is_empty() {
            return Ok(());
        }
        match self.chunk_bits() {
            None => self.plan.get().run_serial(&self.fused, amps),
            Some(_) => self.plan.get().run_bound(amps, &self.fused),
        }
        Ok(())
    }
}

impl PlanRef<'_> {
    fn get(&self) -> &Plan {
        match self {
            PlanRef::Cached(plan) => plan,
            PlanRef::Owned(plan) => plan,
        }
    }
}

fn check_unitary(ops: &[Operation]) -> Result<()> {
    match ops.iter().find(|op| !op.is_unitary()) {
        Some(op) => Err(Error::NonUnitaryOperation { op: op.name() }),
        None => Ok(()),
    }
}

/// Moves qubits between bit positions of the amplitudes `amps` (a power-of-two length):
/// afterwards the bit that was at position `p` of an index is at position `to[p]`. One
/// out-of-place pass through `spare` (resized as needed), after which the two are exchanged.
/// `to` must be a permutation of the positions.
pub fn permute_positions(
    amps: &mut Vec<Complex64>,
    spare: &mut Vec<Complex64>,
    to: &[usize],
) -> Result<()> {
    let bits = amps.len().trailing_zeros() as usize;
    let mut seen = vec![false; to.len()];
    let is_permutation = to.iter().all(|&p| p < to.len() && !std::mem::replace(&mut seen[p], true));
    if !amps.len().is_power_of_two() || to.len() != bits || !is_permutation {
        return Err(Error::DimensionMismatch {
            what: "positions (a permutation of the amplitude index's bits)",
            expected: bits,
            got: to.len(),
        });
    }
    if to.iter().enumerate().all(|(p, &q)| p == q) {
        return Ok(());
    }
    if spare.len() != amps.len() {
        spare.clear();
        let missing = amps.len().saturating_sub(spare.capacity());
        spare.try_reserve_exact(missing).map_err(|_| Error::OutOfMemory {
            num_qubits: bits,
            bytes: (amps.len() as u128) * 16,
        })?;
        spare.resize(amps.len(), Complex64::new(0.0, 0.0));
    }
    kernels::permute_bits(amps, spare, to);
    std::mem::swap(amps, spare);
    Ok(())
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};

    use super::*;
    use crate::circuit::Param;
    use crate::circuit::gate::Gate;

    fn random_circuit(n: usize, gates: usize, seed: u64) -> Circuit {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let kinds: Vec<Gate> = Gate::ALL.iter().copied().filter(|g| g.num_qubits() <= n).collect();
        let mut c = Circuit::new(n);
        for _ in 0..gates {
            let g = kinds[rng.random_range(0..kinds.len())];
            let mut qubits: Vec<usize> = (0..n).collect();
            for i in 0..g.num_qubits() {
                let j = rng.random_range(i..n);
                qubits.swap(i, j);
            }
            qubits.truncate(g.num_qubits());
            let params: Vec<Param> =
                (0..g.num_params()).map(|_| Param::Fixed(rng.random_range(-3.0..3.0))).collect();
            c.gate(g, &qubits, &params).unwrap();
        }
        c
    }

    fn start(n: usize) -> Vec<Complex64> {
        (0..1usize << n)
            .map(|i| Complex64::new((i as f64 * 0.37 + 0.1).sin(), (i as f64 * 0.11).cos()))
            .collect()
    }

    /// Running the stages on the two halves of the state separately, each half relaid out so
    /// the stage's qubits sit where the stage wants them, gives the engine's bits exactly.
    #[test]
    fn stages_on_pieces_match_the_whole_state_bit_for_bit() {
        let n = 16;
        let c = random_circuit(n, 300, 5);
        let mut whole = start(n);
        let direct = StagedRun::new(&c, &[], n).unwrap();
        direct.run_whole(&mut whole).unwrap();
        let mut reference = start(n);
        crate::engine::run_unitary(&mut reference, c.ops(), &[]);
        assert_eq!(whole, reference);

        // Two pieces: qubit n-1 is the piece index; each piece holds 2^(n-1) amplitudes.
        let staged = StagedRun::new(&c, &[], n).unwrap();
        assert!(staged.chunk_bits().unwrap() < n - 1);
        let all = start(n);
        let half = 1usize << (n - 1);
        let mut pieces: Vec<Vec<Complex64>> = vec![all[..half].to_vec(), all[half..].to_vec()];
        // position[q]: where logical qubit q sits (positions n-1 and up name the piece).
        let mut position: Vec<usize> = (0..n).collect();
        let mut spare = Vec::new();
        for i in 0..staged.stages() {
            let wanted = staged.stage_positions(i);
            if wanted.iter().any(|&(q, _)| position[q] == n - 1) {
                // Swap the piece qubit with a local qubit outside the stage, across pieces.
                let q = wanted.iter().find(|&&(q, _)| position[q] == n - 1).unwrap().0;
                let p = (0..n - 1)
                    .rev()
                    .find(|&p| !wanted.iter().any(|&(s, _)| position[s] == p))
                    .unwrap();
                let (a, b) = pieces.split_at_mut(1);
                for k in 0..half {
                    if (k >> p) & 1 == 1 {
                        std::mem::swap(&mut a[0][k], &mut b[0][k ^ (1 << p)]);
                    }
                }
                let other = position.iter().position(|&x| x == p).unwrap();
                position[other] = n - 1;
                position[q] = p;
            }
            // Local relayout: each stage qubit to its target, the displaced ones to the gaps.
            let mut to: Vec<usize> = (0..n - 1).collect();
            let mut at: Vec<usize> = vec![usize::MAX; n - 1];
            for (q, &p) in position.iter().enumerate() {
                if p < n - 1 {
                    at[p] = q;
                }
            }
            let targets: Vec<usize> = wanted.iter().map(|&(_, t)| t).collect();
            let mut gaps: Vec<usize> =
                wanted.iter().map(|&(q, _)| position[q]).filter(|p| !targets.contains(p)).collect();
            for &(q, t) in &wanted {
                to[position[q]] = t;
            }
            for &t in &targets {
                let q = at[t];
                if !wanted.iter().any(|&(s, _)| s == q) {
                    to[t] = gaps.pop().unwrap();
                }
            }
            let mut next = position.clone();
            for (q, p) in position.iter().enumerate() {
                if *p < n - 1 {
                    next[q] = to[*p];
                }
            }
            position = next;
            for piece in pieces.iter_mut() {
                permute_positions(piece, &mut spare, &to).unwrap();
                staged.run_stage(i, piece, &mut spare).unwrap();
            }
        }
        // Back to logical order.
        for (index, &want) in reference.iter().enumerate() {
            let mut physical = 0usize;
            for (q, &p) in position.iter().enumerate() {
                physical |= ((index >> q) & 1) << p;
            }
            let got = pieces[physical >> (n - 1)][physical & (half - 1)];
            assert_eq!(got, want, "amplitude {index}");
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        let c = random_circuit(15, 20, 1);
        let staged = StagedRun::new(&c, &[], 15).unwrap();
        let mut spare = Vec::new();
        assert!(staged.run_stage(staged.stages(), &mut start(15), &mut spare).is_err());
        assert!(staged.run_stage(0, &mut vec![Complex64::new(0.0, 0.0); 3], &mut spare).is_err());
        assert!(StagedRun::new(&c, &[], 14).is_err());
        assert!(permute_positions(&mut start(3), &mut spare, &[0, 0, 1]).is_err());
        assert!(StagedRun::from_ops(&[Operation::Measure { qubit: 0, clbit: 0 }], &[], 2).is_err());
    }
}
