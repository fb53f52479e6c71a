//! How a backend turns one circuit into counts: validation against the device, the split into
//! independent qubit groups, exact distributions for small noisy groups, and per-shot
//! trajectories for everything else.
//!
//! A circuit whose measurements are all *terminal* (nothing touches a qubit after it is
//! measured) has a well-defined outcome distribution. Qubits that no multi-qubit gate connects
//! evolve independently, and with local noise and per-qubit readout errors their outcomes are
//! independent too, so each connected group is simulated on its own (a density matrix with the
//! device's noise after every gate, or a state vector when there is no noise) and shots are
//! drawn group by group. This is exact, and it is what keeps a batch packed onto disjoint
//! blocks of a wide device as cheap to simulate as its parts.
//!
//! Mid-circuit measurement (a qubit used again after being measured), or a noisy group wider
//! than the density-matrix limit, runs one quantum trajectory per shot: gates on a state vector,
//! each noise channel sampled as a Kraus jump, each measurement collapsing the state, each
//! recorded bit passed through the readout confusion.

use std::collections::HashMap;

use qchannels::channel::Channel;
use qrandom::distributions::uniform;
use qsim_core::Complex64;
use qsim_core::circuit::Operation;
use qsim_core::density::{DensityMatrix, DensityOp, superoperator};
use qsim_core::matrix::Matrix;
use qsim_core::measure::AliasSampler;
use qsim_core::state::StateVector;
use rand::Rng;

use crate::counts::{Counts, MAX_BITS};
use crate::error::{Error, Result};
use crate::experiment::Experiment;

/// Largest noiseless group simulated as a state vector for an exact distribution.
pub const STATE_VECTOR_MAX_QUBITS: usize = 26;

/// A noise channel and the qubits it acts on.
pub(crate) type PlacedChannel = (Vec<usize>, Channel);

/// The noise of a device as the executor needs it: channels after gates, readout confusion.
#[derive(Clone, Debug)]
pub(crate) struct NoiseSpec {
    pub name: String,
    pub num_qubits: usize,
    /// Channel after a physical single-qubit gate on qubit `q` (None: noiseless).
    pub after_1q: Vec<Option<Channel>>,
    /// Whether diagonal single-qubit gates ([`is_virtual_z`]) are frame changes: no noise.
    pub virtual_z: bool,
    /// Channels after a two-qubit gate on a coupled pair (keyed by the sorted pair), in order,
    /// each with the qubits it acts on (depolarizing on the pair, relaxation on each qubit).
    pub after_2q: HashMap<(usize, usize), Vec<PlacedChannel>>,
    /// Whether two-qubit gates are restricted to `after_2q`'s keys.
    pub restrict_coupling: bool,
    /// Whether gates on three or more qubits are allowed (ideal simulators only).
    pub allow_wide_gates: bool,
    /// Readout confusion per qubit.
    pub readout: Vec<[[f64; 2]; 2]>,
    /// Widest group simulated exactly on a density matrix.
    pub density_matrix_max_qubits: usize,
    /// Qubits nothing may touch or read (marked faulty in the calibration).
    pub faulty: Vec<bool>,
}

/// Whether `op` is a diagonal single-qubit gate that a device with virtual Z implements as a
/// frame change (no pulse: noiseless and instantaneous): `rz`, `p`, `u1`, `z`, `s`, `sdg`, `t`,
/// `tdg`. `id` is not one: it is a physical idle pulse.
pub(crate) fn is_virtual_z(op: &Operation) -> bool {
    use qsim_core::gate::Gate::*;
    matches!(op, Operation::Gate { gate: Rz | P | U1 | Z | S | Sdg | T | Tdg, .. })
}

impl NoiseSpec {
    /// A noiseless all-to-all device.
    pub fn ideal(num_qubits: usize) -> Self {
        Self {
            name: "ideal".into(),
            num_qubits,
            after_1q: vec![None; num_qubits],
            virtual_z: false,
            after_2q: HashMap::new(),
            restrict_coupling: false,
            allow_wide_gates: true,
            readout: vec![[[1.0, 0.0], [0.0, 1.0]]; num_qubits],
            density_matrix_max_qubits: 10,
            faulty: vec![false; num_qubits],
        }
    }

    fn is_noiseless(&self) -> bool {
        let identity = [[1.0, 0.0], [0.0, 1.0]];
        self.after_1q.iter().all(Option::is_none)
            && self.after_2q.values().all(Vec::is_empty)
            && self.readout.iter().all(|m| *m == identity)
    }

    /// Fails if qubit `q` is marked faulty.
    fn check_usable(&self, q: usize) -> Result<()> {
        if self.faulty.get(q).copied().unwrap_or(false) {
            return Err(Error::FaultyQubit { qubit: q, device: self.name.clone() });
        }
        Ok(())
    }

    /// The channels that follow a gate on `qubits`, with the qubits each acts on.
    pub(crate) fn noise_after(
        &self,
        op: &Operation,
        qubits: &[usize],
    ) -> Result<Vec<(Vec<usize>, Channel)>> {
        let mut out = Vec::new();
        match qubits {
            [q] => {
                if let (Some(ch), false) = (&self.after_1q[*q], self.virtual_z && is_virtual_z(op))
                {
                    out.push((vec![*q], ch.clone()));
                }
            }
            [a, b] => {
                let key = ((*a).min(*b), (*a).max(*b));
                match self.after_2q.get(&key) {
                    Some(channels) => out.extend(channels.iter().cloned()),
                    None if self.restrict_coupling => {
                        return Err(Error::NotCoupled { a: *a, b: *b, device: self.name.clone() });
                    }
                    None => {}
                }
            }
            _ if self.allow_wide_gates => {}
            _ => {
                return Err(Error::UnsupportedOperation {
                    op: op.name().to_string(),
                    reason: format!(
                        "device `{}` runs one- and two-qubit gates only; decompose it first",
                        self.name
                    ),
                });
            }
        }
        Ok(out)
    }
}

/// One step of a bound, validated circuit.
#[derive(Clone, Debug)]
enum Step {
    Gate { qubits: Vec<usize>, matrix: Matrix, noise: Vec<(Vec<usize>, Channel)> },
    Measure { qubit: usize, clbit: usize },
    Reset { qubit: usize },
}

impl Step {
    fn qubits(&self) -> Vec<usize> {
        match self {
            Step::Gate { qubits, .. } => qubits.clone(),
            Step::Measure { qubit, .. } | Step::Reset { qubit } => vec![*qubit],
        }
    }
}

/// Qubits connected by multi-qubit gates, and the `(output bit, qubit)` pairs they feed.
type Group = (Vec<usize>, Vec<(usize, usize)>);

/// A circuit checked against a device and bound to its parameters.
pub(crate) struct Plan {
    width: usize,
    num_bits: usize,
    measures_all: bool,
    steps: Vec<Step>,
    terminal: bool,
    /// Output bit <- qubit, for circuits whose measurements are terminal.
    outputs: Vec<(usize, usize)>,
}

impl Plan {
    pub fn new(spec: &NoiseSpec, experiment: &Experiment) -> Result<Self> {
        let circuit = &experiment.circuit;
        let width = circuit.num_qubits();
        if width > spec.num_qubits {
            return Err(Error::UnknownQubit { qubit: width - 1, num_qubits: spec.num_qubits });
        }
        let bound = circuit.bind(&experiment.theta)?;
        let measures_all = !bound.ops().iter().any(|op| matches!(op, Operation::Measure { .. }));
        let num_bits = if measures_all { width } else { circuit.num_clbits() };
        if num_bits > MAX_BITS {
            return Err(Error::TooManyQubits {
                what: "an outcome key",
                max: MAX_BITS,
                got: num_bits,
            });
        }
        let mut steps = Vec::with_capacity(bound.ops().len());
        let mut measured = vec![false; width];
        let mut terminal = true;
        let mut last_measure: HashMap<usize, usize> = HashMap::new();
        for op in bound.ops() {
            if !matches!(op, Operation::Barrier { .. }) {
                op.qubits().into_iter().try_for_each(|q| spec.check_usable(q))?;
            }
            let step = match op {
                Operation::Barrier { .. } => continue,
                Operation::Measure { qubit, clbit } => {
                    last_measure.insert(*clbit, *qubit);
                    Step::Measure { qubit: *qubit, clbit: *clbit }
                }
                Operation::Reset { qubit } => Step::Reset { qubit: *qubit },
                _ => {
                    let qubits = op.qubits();
                    let matrix = op.matrix(&[]).ok_or_else(|| Error::UnsupportedOperation {
                        op: op.name().into(),
                        reason: "no matrix".into(),
                    })?;
                    let noise = spec.noise_after(op, &qubits)?;
                    Step::Gate { qubits, matrix, noise }
                }
            };
            let qubits = step.qubits();
            if qubits.iter().any(|&q| measured[q]) {
                terminal = false;
            }
            if let Step::Measure { qubit, .. } = step {
                measured[qubit] = true;
            }
            steps.push(step);
        }
        let outputs = if measures_all {
            // Without `measure`, every qubit is read.
            (0..width).try_for_each(|q| spec.check_usable(q))?;
            (0..width).map(|q| (q, q)).collect()
        } else {
            let mut o: Vec<(usize, usize)> = last_measure.into_iter().collect();
            o.sort_unstable();
            o
        };
        Ok(Self { width, num_bits, measures_all, steps, terminal, outputs })
    }

    /// Groups of qubits connected by multi-qubit gates, each with the outputs it feeds.
    fn groups(&self) -> Vec<Group> {
        let mut parent: Vec<usize> = (0..self.width).collect();
        fn find(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        for step in &self.steps {
            let qubits = step.qubits();
            for w in qubits.windows(2) {
                let (ra, rb) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
        let mut groups: Vec<Group> = Vec::new();
        let mut index_of_root: HashMap<usize, usize> = HashMap::new();
        for q in 0..self.width {
            let r = find(&mut parent, q);
            let i = *index_of_root.entry(r).or_insert_with(|| {
                groups.push((Vec::new(), Vec::new()));
                groups.len() - 1
            });
            groups[i].0.push(q);
        }
        for &(bit, qubit) in &self.outputs {
            let r = find(&mut parent, qubit);
            groups[index_of_root[&r]].1.push((bit, qubit));
        }
        // A group nobody reads cannot change the counts.
        groups.retain(|g| !g.1.is_empty());
        groups
    }
}

/// One independent factor of an outcome distribution: probabilities over some output bits.
#[derive(Clone, Debug, PartialEq)]
pub struct Factor {
    /// The output bits this factor covers; bit `l` of a local outcome is `bits[l]`.
    pub bits: Vec<usize>,
    /// Probabilities of the `2^bits.len()` local outcomes.
    pub probabilities: Vec<f64>,
}

/// The exact distribution of read outcomes (readout error included) of one circuit, as a
/// product of independent factors.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeDistribution {
    num_bits: usize,
    factors: Vec<Factor>,
}

impl OutcomeDistribution {
    /// Bits per outcome.
    pub fn num_bits(&self) -> usize {
        self.num_bits
    }

    /// The independent factors (bits not in any factor always read 0).
    pub fn factors(&self) -> &[Factor] {
        &self.factors
    }

    /// Probabilities of all `2^num_bits` outcomes (at most 26 bits).
    pub fn dense(&self) -> Result<Vec<f64>> {
        if self.num_bits > 26 {
            return Err(Error::TooManyQubits {
                what: "a dense distribution",
                max: 26,
                got: self.num_bits,
            });
        }
        let mut p = vec![0.0; 1 << self.num_bits];
        p[0] = 1.0;
        let mut support = vec![0usize];
        for f in &self.factors {
            let mut next = Vec::with_capacity(support.len() * f.probabilities.len());
            for &base in &support {
                let pb = p[base];
                p[base] = 0.0;
                for (local, &pl) in f.probabilities.iter().enumerate() {
                    let k = base | spread(local, &f.bits);
                    p[k] += pb * pl;
                    next.push(k);
                }
            }
            next.sort_unstable();
            next.dedup();
            support = next;
        }
        Ok(p)
    }

    /// `shots` samples, tallied: each shot draws every factor once, so memory grows with the
    /// number of distinct outcomes, not with the shots.
    pub fn sample_counts<R: Rng + ?Sized>(&self, shots: u64, rng: &mut R) -> Result<Counts> {
        let samplers = self
            .factors
            .iter()
            .map(|f| Ok((AliasSampler::new(&f.probabilities)?, &f.bits)))
            .collect::<Result<Vec<_>>>()?;
        let mut counts = Counts::new(self.num_bits)?;
        if let [(sampler, bits)] = samplers.as_slice() {
            // One factor (the usual case): tally local outcomes, then spread each once.
            let mut local = vec![0u64; sampler.len()];
            for _ in 0..shots {
                local[sampler.sample(rng)] += 1;
            }
            for (k, n) in local.into_iter().enumerate() {
                counts.add(spread(k, bits), n)?;
            }
            return Ok(counts);
        }
        for _ in 0..shots {
            let outcome = samplers.iter().map(|(s, bits)| spread(s.sample(rng), bits)).sum();
            counts.add(outcome, 1)?;
        }
        Ok(counts)
    }
}

/// Places bit `l` of `local` at position `bits[l]`.
fn spread(local: usize, bits: &[usize]) -> usize {
    bits.iter().enumerate().map(|(l, &b)| ((local >> l) & 1) << b).sum()
}

/// Applies per-bit confusion matrices to a distribution over `confusion.len()` bits.
fn apply_confusion(p: &mut [f64], confusion: &[[[f64; 2]; 2]]) {
    for (l, m) in confusion.iter().enumerate() {
        let half = 1usize << l;
        for block in p.chunks_exact_mut(2 * half) {
            let (lo, hi) = block.split_at_mut(half);
            for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
                let (u, v) = (*a, *b);
                *a = m[0][0] * u + m[0][1] * v;
                *b = m[1][0] * u + m[1][1] * v;
            }
        }
    }
}

fn reset_superoperator() -> Matrix {
    let (o, z) = (Complex64::new(1.0, 0.0), Complex64::new(0.0, 0.0));
    let k0 = Matrix::new(1, vec![o, z, z, z]).expect("2x2");
    let k1 = Matrix::new(1, vec![z, o, z, z]).expect("2x2");
    superoperator(&[k0, k1])
}

/// The exact outcome distribution, when the plan allows one (terminal measurements, groups
/// small enough).
pub(crate) fn exact_distribution(spec: &NoiseSpec, plan: &Plan) -> Result<OutcomeDistribution> {
    if !plan.terminal {
        return Err(Error::NoExactDistribution {
            reason: "a qubit is used again after it is measured (mid-circuit measurement)".into(),
        });
    }
    let noiseless = spec.is_noiseless();
    let mut factors = Vec::new();
    for (qubits, outputs) in plan.groups() {
        let k = qubits.len();
        let local = |q: usize| qubits.binary_search(&q).expect("qubit of this group");
        let steps: Vec<&Step> = plan
            .steps
            .iter()
            .filter(|s| s.qubits().first().is_some_and(|q| qubits.binary_search(q).is_ok()))
            .collect();
        let has_reset = steps.iter().any(|s| matches!(s, Step::Reset { .. }));
        let probs = if noiseless && !has_reset && k <= STATE_VECTOR_MAX_QUBITS {
            let mut psi = StateVector::new(k)?;
            for s in &steps {
                if let Step::Gate { qubits: q, matrix, .. } = s {
                    let lq: Vec<usize> = q.iter().map(|&x| local(x)).collect();
                    psi.apply_operator(&lq, matrix)?;
                }
            }
            psi.probabilities()
        } else if k <= spec.density_matrix_max_qubits {
            let mut ops: Vec<DensityOp> = Vec::new();
            for s in &steps {
                match s {
                    Step::Gate { qubits: q, matrix, noise } => {
                        ops.push(DensityOp::Unitary {
                            qubits: q.iter().map(|&x| local(x)).collect(),
                            matrix: matrix.clone(),
                        });
                        for (nq, ch) in noise {
                            ops.push(DensityOp::Superoperator {
                                qubits: nq.iter().map(|&x| local(x)).collect(),
                                matrix: ch.superoperator(),
                            });
                        }
                    }
                    Step::Reset { qubit } => ops.push(DensityOp::Superoperator {
                        qubits: vec![local(*qubit)],
                        matrix: reset_superoperator(),
                    }),
                    // Terminal: a measurement only dephases, which the diagonal does not see.
                    Step::Measure { .. } => {}
                }
            }
            let mut rho = DensityMatrix::new(k)?;
            rho.apply_ops(&ops)?;
            rho.probabilities()
        } else {
            return Err(Error::NoExactDistribution {
                reason: format!(
                    "a connected group of {k} noisy qubits is wider than the density-matrix limit of {}",
                    spec.density_matrix_max_qubits
                ),
            });
        };
        let read_qubits: Vec<usize> = outputs.iter().map(|&(_, q)| local(q)).collect();
        let mut marginal = qsim_core::measure::marginal(&probs, k, &read_qubits)?;
        let confusion: Vec<[[f64; 2]; 2]> = outputs.iter().map(|&(_, q)| spec.readout[q]).collect();
        apply_confusion(&mut marginal, &confusion);
        // Rounding can leave -1e-17; the sampler needs non-negative weights.
        marginal.iter_mut().for_each(|p| *p = p.max(0.0));
        factors.push(Factor {
            bits: outputs.iter().map(|&(b, _)| b).collect(),
            probabilities: marginal,
        });
    }
    Ok(OutcomeDistribution { num_bits: plan.num_bits, factors })
}

/// Reads bit `bit` through qubit `q`'s confusion.
fn read_bit<R: Rng + ?Sized>(spec: &NoiseSpec, q: usize, bit: bool, rng: &mut R) -> bool {
    let m = spec.readout[q];
    let flip = if bit { m[0][1] } else { m[1][0] };
    if flip > 0.0 && uniform(rng) < flip { !bit } else { bit }
}

/// One trajectory per shot.
fn sample_trajectories<R: Rng + ?Sized>(
    spec: &NoiseSpec,
    plan: &Plan,
    shots: u64,
    rng: &mut R,
) -> Result<Counts> {
    let mut counts = Counts::new(plan.num_bits)?;
    for _ in 0..shots {
        let mut psi = StateVector::new(plan.width)?;
        let mut bits = vec![false; plan.num_bits];
        for step in &plan.steps {
            match step {
                Step::Gate { qubits, matrix, noise } => {
                    psi.apply_operator(qubits, matrix)?;
                    for (nq, ch) in noise {
                        ch.apply_trajectory(&mut psi, nq, rng)?;
                    }
                }
                Step::Measure { qubit, clbit } => {
                    let outcome = psi.measure_qubit(*qubit, rng)?;
                    bits[*clbit] = read_bit(spec, *qubit, outcome, rng);
                }
                Step::Reset { qubit } => psi.reset_qubit(*qubit, rng)?,
            }
        }
        if plan.measures_all {
            let probs = psi.probabilities();
            let k = qsim_core::measure::AliasSampler::new(&probs)?.sample(rng);
            for (q, b) in bits.iter_mut().enumerate() {
                *b = read_bit(spec, q, (k >> q) & 1 == 1, rng);
            }
        }
        let outcome = bits.iter().enumerate().map(|(i, &b)| (b as usize) << i).sum();
        counts.add(outcome, 1)?;
    }
    Ok(counts)
}

/// Counts of one experiment: exact distribution and sampling where possible, trajectories
/// otherwise.
pub(crate) fn execute<R: Rng + ?Sized>(
    spec: &NoiseSpec,
    experiment: &Experiment,
    rng: &mut R,
) -> Result<Counts> {
    let plan = Plan::new(spec, experiment)?;
    match exact_distribution(spec, &plan) {
        Ok(dist) => dist.sample_counts(experiment.shots, rng),
        Err(Error::NoExactDistribution { .. }) => {
            sample_trajectories(spec, &plan, experiment.shots, rng)
        }
        Err(e) => Err(e),
    }
}

/// The exact distribution of one experiment, or why there is none.
pub(crate) fn distribution(
    spec: &NoiseSpec,
    experiment: &Experiment,
) -> Result<OutcomeDistribution> {
    exact_distribution(spec, &Plan::new(spec, experiment)?)
}
