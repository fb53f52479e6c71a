//! Where each logical qubit lives: a permutation between logical qubits and physical bit
//! positions of the distributed index (`rank * 2^local + local index`).

/// The logical <-> physical qubit permutation of a distributed state. Physical positions below
/// the number of local qubits are bits of the index into a rank's slice; the others are bits of
/// the rank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QubitLayout {
    /// `physical[q]`: the position of logical qubit `q`.
    physical: Vec<usize>,
    /// `logical[p]`: the logical qubit at position `p`.
    logical: Vec<usize>,
}

impl QubitLayout {
    /// Every qubit at its own position.
    pub fn identity(num_qubits: usize) -> Self {
        Self { physical: (0..num_qubits).collect(), logical: (0..num_qubits).collect() }
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.physical.len()
    }

    /// The physical position of logical qubit `qubit` (which must be in range).
    pub fn physical(&self, qubit: usize) -> usize {
        self.physical[qubit]
    }

    /// The logical qubit at physical position `position` (which must be in range).
    pub fn logical(&self, position: usize) -> usize {
        self.logical[position]
    }

    /// True if every qubit is at its own position.
    pub fn is_identity(&self) -> bool {
        self.physical.iter().enumerate().all(|(q, &p)| q == p)
    }

    /// Exchanges the qubits at physical positions `a` and `b`.
    pub fn swap_positions(&mut self, a: usize, b: usize) {
        let (qa, qb) = (self.logical[a], self.logical[b]);
        self.logical.swap(a, b);
        self.physical[qa] = b;
        self.physical[qb] = a;
    }

    /// Moves the qubits at the first `to.len()` positions: the qubit at position `p` goes to
    /// `to[p]` (`to` must permute `0..to.len()`).
    pub fn move_local(&mut self, to: &[usize]) {
        let moved: Vec<usize> = (0..to.len()).map(|p| self.logical[p]).collect();
        for (p, &q) in moved.iter().enumerate() {
            self.physical[q] = to[p];
            self.logical[to[p]] = q;
        }
    }

    /// The logical index of physical index `index`: bit `physical(q)` of `index` becomes bit `q`.
    pub fn logical_index(&self, index: usize) -> usize {
        self.physical.iter().enumerate().fold(0, |acc, (q, &p)| acc | (((index >> p) & 1) << q))
    }
}

/// [`QubitLayout::logical_index`] by table lookup, one table per byte of the index: for
/// permuting whole states (`2^n` indices) quickly.
#[derive(Clone, Debug)]
pub struct IndexTables {
    /// `tables[k][b]`: the logical bits of physical byte `k` holding `b`.
    tables: Vec<[usize; 256]>,
}

impl IndexTables {
    /// The tables of `layout`.
    pub fn new(layout: &QubitLayout) -> Self {
        let bytes = layout.num_qubits().div_ceil(8);
        let tables = (0..bytes)
            .map(|k| {
                let mut table = [0usize; 256];
                for (b, entry) in table.iter_mut().enumerate() {
                    let index = b << (8 * k);
                    let bits = (0..8).map(|i| 8 * k + i).filter(|&p| p < layout.num_qubits());
                    *entry = bits
                        .filter(|&p| (index >> p) & 1 == 1)
                        .fold(0, |acc, p| acc | 1 << layout.logical(p));
                }
                table
            })
            .collect();
        Self { tables }
    }

    /// The logical index of physical index `index`.
    pub fn logical_index(&self, index: usize) -> usize {
        self.tables.iter().enumerate().fold(0, |acc, (k, t)| acc | t[(index >> (8 * k)) & 255])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_keep_the_two_maps_inverse() {
        let mut layout = QubitLayout::identity(5);
        layout.swap_positions(4, 1);
        layout.swap_positions(1, 0);
        for q in 0..5 {
            assert_eq!(layout.logical(layout.physical(q)), q);
        }
        assert_eq!(layout.physical(4), 0);
        assert_eq!(layout.physical(0), 1);
        assert_eq!(layout.physical(1), 4);
        // Physical index with only position 0 set holds logical qubit 4.
        assert_eq!(layout.logical_index(0b00001), 0b10000);
        assert!(!layout.is_identity());
    }

    #[test]
    fn tables_agree_with_the_bit_by_bit_map() {
        let mut layout = QubitLayout::identity(19);
        layout.swap_positions(18, 2);
        layout.swap_positions(9, 17);
        layout.swap_positions(0, 12);
        let tables = IndexTables::new(&layout);
        for index in (0..1usize << 19).step_by(97) {
            assert_eq!(tables.logical_index(index), layout.logical_index(index));
        }
    }
}
