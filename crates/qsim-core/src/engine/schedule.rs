//! Orders the operations of a stage so that operations of one class meet and merge.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::fusion::Class;

/// Orders the operations `ops` (a dependency-closed subsequence) so that operations of one class
/// run back to back: whenever a class has ready operations, all of them (and any they unlock of
/// the same class) go first, preferring diagonal, then permutations, then single-qubit gates.
pub(super) fn schedule(classes: &[Class], qubits: &[Vec<usize>], ops: &[usize]) -> Vec<usize> {
    let m = ops.len();
    let mut indegree = vec![0usize; m];
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); m];
    let mut last: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for (pos, &i) in ops.iter().enumerate() {
        for &q in &qubits[i] {
            if let Some(p) = last.insert(q, pos) {
                if !successors[p].contains(&pos) {
                    successors[p].push(pos);
                    indegree[pos] += 1;
                }
            }
        }
    }
    let class_of = |pos: usize| classes[ops[pos]] as usize;
    let mut ready: [BinaryHeap<Reverse<usize>>; 4] = Default::default();
    for pos in 0..m {
        if indegree[pos] == 0 {
            ready[class_of(pos)].push(Reverse(pos));
        }
    }
    let mut out = Vec::with_capacity(m);
    while let Some(c) = (0..4).find(|&c| !ready[c].is_empty()) {
        while let Some(Reverse(pos)) = ready[c].pop() {
            out.push(ops[pos]);
            for &s in &successors[pos] {
                indegree[s] -= 1;
                if indegree[s] == 0 {
                    ready[class_of(s)].push(Reverse(s));
                }
            }
        }
    }
    out
}
