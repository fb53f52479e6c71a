//! Placing a circuit on a device: a connected path of well-calibrated qubits for its qubits,
//! and swaps wherever a two-qubit gate joins qubits that the coupling map does not.
//!
//! - [`CouplingMap`]: the device's coupled pairs as a graph, with all-pairs hop distances.
//! - [`best_path`]: the simple path of `length` qubits with the smallest error cost (two-qubit
//!   errors of its couplers, one-qubit and mean readout errors of its qubits), found by a
//!   depth-first search over simple paths from every qubit, pruned by the best cost so far.
//!   Heavy-hex devices (degree at most 3) have at most `2^(length - 1)` paths per start, so
//!   paths of the 12 qubits of the MNIST chain on a 127-qubit device take milliseconds.
//! - [`route`]: logical qubit `i` starts on `layout[i]`; before a two-qubit gate on qubits that
//!   are not neighbours, the first qubit is swapped along a shortest path towards the second
//!   until they are. The logical-to-physical map changes as it goes (so the swaps of one gate
//!   can help the next), and [`RoutedCircuit`] reports the final map and the swap count. The
//!   greedy choice is simple, not optimal: a lookahead router (SABRE) would often need fewer.
//!
//! - [`compile`]: both, then the translation to the device basis ([`crate::transpile`]).
//!
//! - [`compile_on_path`]: the same with every swap kept on a given path (a line), so a chain
//!   of `n` logical qubits only ever touches its `n` device qubits.
//!
//! A routed circuit is as wide as the device and keeps the input's classical bits; a compiled
//! circuit without `measure` operations gets a final measurement of logical qubit `i` into bit
//! `i`, so counts stay in the logical order whatever the layout.

use std::collections::VecDeque;

use qsim_core::circuit::{Circuit, Operation};
use qsim_core::gate::Gate;

use crate::device::DeviceCalibration;
use crate::error::{Error, Result};
use crate::transpile::{GateCounts, to_device_basis};

/// Largest number of partial paths [`best_path`] extends before it returns the best path found.
pub const PATH_SEARCH_BUDGET: usize = 20_000_000;

/// A device's coupled pairs as an undirected graph.
#[derive(Clone, Debug, PartialEq)]
pub struct CouplingMap {
    neighbours: Vec<Vec<usize>>,
    /// Hop distance between every pair (`u32::MAX`: not connected).
    distance: Vec<Vec<u32>>,
}

impl CouplingMap {
    /// The graph of `pairs` on `num_qubits` qubits.
    pub fn new(num_qubits: usize, pairs: &[[usize; 2]]) -> Result<Self> {
        let mut neighbours = vec![Vec::new(); num_qubits];
        for &[a, b] in pairs {
            for q in [a, b] {
                if q >= num_qubits {
                    return Err(Error::UnknownQubit { qubit: q, num_qubits });
                }
            }
            if a != b && !neighbours[a].contains(&b) {
                neighbours[a].push(b);
                neighbours[b].push(a);
            }
        }
        neighbours.iter_mut().for_each(|n| n.sort_unstable());
        let distance = (0..num_qubits).map(|s| bfs(&neighbours, s)).collect();
        Ok(Self { neighbours, distance })
    }

    /// The coupling map of a device calibration, without the couplers of faulty qubits.
    pub fn from_calibration(calibration: &DeviceCalibration) -> Result<Self> {
        let faulty = &calibration.faulty_qubits;
        let pairs: Vec<[usize; 2]> = calibration
            .couplers
            .iter()
            .map(|c| c.qubits)
            .filter(|p| !p.iter().any(|q| faulty.contains(q)))
            .collect();
        Self::new(calibration.qubits.len(), &pairs)
    }

    /// Qubits of the device.
    pub fn num_qubits(&self) -> usize {
        self.neighbours.len()
    }

    /// The qubits coupled to `q`, sorted.
    pub fn neighbours(&self, q: usize) -> &[usize] {
        &self.neighbours[q]
    }

    /// Hops between `a` and `b` (`None` when no path joins them).
    pub fn distance(&self, a: usize, b: usize) -> Option<usize> {
        let d = self.distance[a][b];
        (d != u32::MAX).then_some(d as usize)
    }

    /// The neighbour of `from` that is one hop closer to `to`.
    fn step_towards(&self, from: usize, to: usize) -> Option<usize> {
        let d = self.distance(from, to)?;
        self.neighbours[from].iter().copied().find(|&n| self.distance(n, to) == Some(d - 1))
    }
}

fn bfs(neighbours: &[Vec<usize>], start: usize) -> Vec<u32> {
    let mut dist = vec![u32::MAX; neighbours.len()];
    dist[start] = 0;
    let mut queue = VecDeque::from([start]);
    while let Some(q) = queue.pop_front() {
        for &n in &neighbours[q] {
            if dist[n] == u32::MAX {
                dist[n] = dist[q] + 1;
                queue.push_back(n);
            }
        }
    }
    dist
}

/// The error cost [`best_path`] minimises for one qubit: its one-qubit gate error plus its
/// mean readout flip probability.
pub fn qubit_cost(calibration: &DeviceCalibration, q: usize) -> f64 {
    let c = &calibration.qubits[q];
    c.gate_error_1q + 0.5 * (c.readout_p1_given_0 + c.readout_p0_given_1)
}

/// The connected simple path of `length` qubits with the smallest total cost: [`qubit_cost`]
/// of its qubits plus the two-qubit error of its couplers, avoiding faulty qubits. Among equal costs the
/// lexicographically first path wins, so the answer is deterministic.
pub fn best_path(calibration: &DeviceCalibration, length: usize) -> Result<Vec<usize>> {
    let n = calibration.qubits.len();
    if length == 0 || length > n {
        return Err(Error::InvalidConfig {
            reason: format!("a path of {length} qubits on a device of {n}"),
        });
    }
    let map = CouplingMap::from_calibration(calibration)?;
    let mut edge = std::collections::HashMap::new();
    for c in &calibration.couplers {
        let [a, b] = c.qubits;
        edge.insert((a.min(b), a.max(b)), c.gate_error_2q);
    }
    let qcost: Vec<f64> = (0..n).map(|q| qubit_cost(calibration, q)).collect();
    let mut search = PathSearch {
        map: &map,
        edge: &edge,
        qcost: &qcost,
        length,
        best: None,
        on_path: vec![false; n],
        path: Vec::with_capacity(length),
        budget: PATH_SEARCH_BUDGET,
    };
    for start in (0..n).filter(|q| !calibration.faulty_qubits.contains(q)) {
        search.extend(start, 0.0);
    }
    search.best.map(|(_, p)| p).ok_or_else(|| Error::InvalidConfig {
        reason: format!("device `{}` has no connected path of {length} qubits", calibration.name),
    })
}

/// The state of [`best_path`]'s depth-first search.
struct PathSearch<'a> {
    map: &'a CouplingMap,
    edge: &'a std::collections::HashMap<(usize, usize), f64>,
    qcost: &'a [f64],
    length: usize,
    best: Option<(f64, Vec<usize>)>,
    on_path: Vec<bool>,
    path: Vec<usize>,
    budget: usize,
}

impl PathSearch<'_> {
    fn extend(&mut self, q: usize, cost_before: f64) {
        if self.budget == 0 {
            return;
        }
        self.budget -= 1;
        let cost = cost_before + self.qcost[q];
        if self.best.as_ref().is_some_and(|(b, _)| cost >= *b) {
            return;
        }
        self.path.push(q);
        self.on_path[q] = true;
        if self.path.len() == self.length {
            self.best = Some((cost, self.path.clone()));
        } else {
            for i in 0..self.map.neighbours(q).len() {
                let next = self.map.neighbours(q)[i];
                if !self.on_path[next] {
                    let e = self.edge[&(q.min(next), q.max(next))];
                    self.extend(next, cost + e);
                }
            }
        }
        self.on_path[q] = false;
        self.path.pop();
    }
}

/// A circuit placed and routed on a device.
#[derive(Clone, Debug, PartialEq)]
pub struct RoutedCircuit {
    /// The circuit on the device's qubits (as wide as the device), two-qubit gates only on
    /// coupled pairs; swaps appear as `swap` gates (three `cx` in the device basis).
    pub circuit: Circuit,
    /// Where each logical qubit started.
    pub initial_layout: Vec<usize>,
    /// Where each logical qubit ended.
    pub final_layout: Vec<usize>,
    /// Swaps inserted.
    pub swaps: usize,
}

/// Places `circuit` with logical qubit `i` on `layout[i]` and inserts swaps so that every
/// two-qubit gate acts on coupled qubits (see the module documentation).
pub fn route(circuit: &Circuit, map: &CouplingMap, layout: &[usize]) -> Result<RoutedCircuit> {
    let n = circuit.num_qubits();
    let width = map.num_qubits();
    if layout.len() != n {
        return Err(Error::DimensionMismatch {
            what: "layout entries vs circuit qubits",
            expected: n,
            got: layout.len(),
        });
    }
    let mut physical_of = layout.to_vec();
    let mut logical_at: Vec<Option<usize>> = vec![None; width];
    for (l, &p) in layout.iter().enumerate() {
        if p >= width {
            return Err(Error::UnknownQubit { qubit: p, num_qubits: width });
        }
        if logical_at[p].replace(l).is_some() {
            return Err(Error::InvalidConfig {
                reason: format!("layout places two qubits on device qubit {p}"),
            });
        }
    }
    let mut out = Circuit::with_clbits(width, circuit.num_clbits());
    let mut swaps = 0;
    for op in circuit.ops() {
        let qubits = op.qubits();
        if let [a, b] = qubits[..] {
            let target = physical_of[b];
            while map.distance(physical_of[a], target).ok_or(Error::NotCoupled {
                a: physical_of[a],
                b: target,
                device: "the coupling map (no path joins them)".into(),
            })? > 1
            {
                let from = physical_of[a];
                let to = map.step_towards(from, target).expect("a shorter neighbour exists");
                out.gate(Gate::Swap, &[from, to], &[])?;
                swaps += 1;
                let moved = logical_at[to];
                logical_at[to] = Some(a);
                logical_at[from] = moved;
                physical_of[a] = to;
                if let Some(m) = moved {
                    physical_of[m] = from;
                }
            }
        }
        out.push(relabel(op, &physical_of))?;
    }
    Ok(RoutedCircuit {
        circuit: out,
        initial_layout: layout.to_vec(),
        final_layout: physical_of,
        swaps,
    })
}

/// A bound circuit made ready for a device: placed, routed, and in the device basis.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceCircuit {
    /// The circuit on the device's qubits, in `rz, sx, x, cx`.
    pub circuit: Circuit,
    /// Where each logical qubit started.
    pub initial_layout: Vec<usize>,
    /// Where each logical qubit ended (its measurement, when the input had none).
    pub final_layout: Vec<usize>,
    /// Swaps the routing inserted (three `cx` each, included in `gates`).
    pub swaps: usize,
    /// What the device runs.
    pub gates: GateCounts,
}

/// Routes `circuit` (bound) on the device with logical qubit `i` on `layout[i]`, or on
/// [`best_path`] when `layout` is `None`, then translates it to the device basis
/// ([`crate::transpile::to_device_basis`]).
pub fn compile(
    circuit: &Circuit,
    calibration: &DeviceCalibration,
    layout: Option<&[usize]>,
) -> Result<DeviceCircuit> {
    let path;
    let layout = match layout {
        Some(l) => l,
        None => {
            path = best_path(calibration, circuit.num_qubits())?;
            &path
        }
    };
    let map = CouplingMap::from_calibration(calibration)?;
    let mut routed = route(circuit, &map, layout)?;
    measure_if_unmeasured(circuit, &mut routed)?;
    let translated = to_device_basis(&routed.circuit)?;
    Ok(DeviceCircuit {
        gates: GateCounts::of(&translated),
        circuit: translated,
        initial_layout: routed.initial_layout,
        final_layout: routed.final_layout,
        swaps: routed.swaps,
    })
}

/// Appends a measurement of logical qubit `i` (at its final position) into bit `i` when
/// `original` measures nothing, so counts stay in the logical order.
fn measure_if_unmeasured(original: &Circuit, routed: &mut RoutedCircuit) -> Result<()> {
    if original.ops().iter().any(|op| matches!(op, Operation::Measure { .. })) {
        return Ok(());
    }
    let mut c = Circuit::with_clbits(routed.circuit.num_qubits(), original.num_qubits());
    c.append(&routed.circuit)?;
    for (l, &p) in routed.final_layout.iter().enumerate() {
        c.measure(p, l)?;
    }
    routed.circuit = c;
    Ok(())
}

/// Checks that `path` is a path of the device: distinct qubits of the device, none faulty,
/// consecutive ones coupled.
pub fn check_path(calibration: &DeviceCalibration, path: &[usize]) -> Result<()> {
    let n = calibration.qubits.len();
    for (i, &q) in path.iter().enumerate() {
        if q >= n {
            return Err(Error::UnknownQubit { qubit: q, num_qubits: n });
        }
        if path[..i].contains(&q) {
            return Err(Error::InvalidConfig {
                reason: format!("device qubit {q} appears twice on the path"),
            });
        }
        if calibration.faulty_qubits.contains(&q) {
            return Err(Error::FaultyQubit { qubit: q, device: calibration.name.clone() });
        }
    }
    let map = CouplingMap::from_calibration(calibration)?;
    for w in path.windows(2) {
        if map.distance(w[0], w[1]) != Some(1) {
            return Err(Error::NotCoupled {
                a: w[0],
                b: w[1],
                device: format!("{} (consecutive qubits of a path)", calibration.name),
            });
        }
    }
    Ok(())
}

/// Like [`compile`] with logical qubit `i` on `path[i]`, but swaps stay on the path: routing
/// sees only the couplers between consecutive path qubits (a line), so the circuit never
/// touches a qubit outside the path. Consecutive path qubits must be coupled.
pub fn compile_on_path(
    circuit: &Circuit,
    calibration: &DeviceCalibration,
    path: &[usize],
) -> Result<DeviceCircuit> {
    check_path(calibration, path)?;
    let line: Vec<[usize; 2]> = (1..path.len()).map(|i| [i - 1, i]).collect();
    let local = CouplingMap::new(path.len(), &line)?;
    let identity: Vec<usize> = (0..path.len()).collect();
    let mut routed = route(circuit, &local, &identity)?;
    measure_if_unmeasured(circuit, &mut routed)?;
    let translated = to_device_basis(&routed.circuit)?;
    // Local position i is device qubit path[i].
    let mut placed = Circuit::with_clbits(calibration.qubits.len(), translated.num_clbits());
    for op in translated.ops() {
        placed.push(relabel(op, path))?;
    }
    Ok(DeviceCircuit {
        gates: GateCounts::of(&placed),
        circuit: placed,
        initial_layout: path.to_vec(),
        final_layout: routed.final_layout.iter().map(|&l| path[l]).collect(),
        swaps: routed.swaps,
    })
}

/// `op` with logical qubits replaced by their current device qubits.
fn relabel(op: &Operation, physical_of: &[usize]) -> Operation {
    let map = |qs: &[usize]| qs.iter().map(|&q| physical_of[q]).collect::<Vec<_>>();
    match op {
        Operation::Gate { gate, qubits, params } => {
            Operation::Gate { gate: *gate, qubits: map(qubits), params: params.clone() }
        }
        Operation::Unitary { controls, targets, matrix } => Operation::Unitary {
            controls: map(controls),
            targets: map(targets),
            matrix: matrix.clone(),
        },
        Operation::Measure { qubit, clbit } => {
            Operation::Measure { qubit: physical_of[*qubit], clbit: *clbit }
        }
        Operation::Reset { qubit } => Operation::Reset { qubit: physical_of[*qubit] },
        Operation::Barrier { qubits } => Operation::Barrier { qubits: map(qubits) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 0 - 1 - 2 - 3 - 4 with 5 hanging off 2 (a small heavy-hex-like graph).
    fn tee() -> CouplingMap {
        CouplingMap::new(6, &[[0, 1], [1, 2], [2, 3], [3, 4], [2, 5]]).unwrap()
    }

    #[test]
    fn distances_follow_the_graph() {
        let m = tee();
        assert_eq!(m.distance(0, 4), Some(4));
        assert_eq!(m.distance(5, 0), Some(3));
        let apart = CouplingMap::new(3, &[[0, 1]]).unwrap();
        assert_eq!(apart.distance(0, 2), None);
    }

    #[test]
    fn routing_swaps_until_neighbours_and_tracks_the_layout() {
        let mut c = Circuit::new(3);
        c.cx(0, 2).unwrap();
        let r = route(&c, &tee(), &[0, 1, 4]).unwrap();
        // 0 walks 0 -> 1 -> 2 -> 3: three swaps, then cx(3, 4).
        assert_eq!(r.swaps, 3);
        assert_eq!(r.final_layout, vec![3, 0, 4]);
        let last_gate = r.circuit.ops().iter().rev().find(|op| op.qubits().len() == 2).unwrap();
        assert_eq!(last_gate.qubits(), vec![3, 4]);
        assert!(matches!(route(&c, &tee(), &[0, 0, 4]), Err(Error::InvalidConfig { .. })));
    }
}
