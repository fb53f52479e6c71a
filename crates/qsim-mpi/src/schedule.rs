//! How a circuit is scheduled over the ranks.

/// How [`DistributedState`](crate::DistributedState) runs circuits. Both give the state one
/// process gives; they differ in the last bits and in the communication.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Schedule {
    /// The default: the circuit runs as the cache-blocking stages qsim-core's engine plans for
    /// one process, each global qubit a stage needs swapped in before it; measurement brings the
    /// layout back to the identity and adds probabilities in index order. Amplitudes,
    /// probabilities, measurement outcomes and samples are the same bits as one process's, so
    /// output is byte-identical. Stages mix every qubit they touch, so a stage that only applies
    /// a phase or a control to a global qubit still swaps it in.
    #[default]
    AsOneProcess,
    /// Fewest exchanges: light cones of local gates (each run by the engine on the slice as one
    /// circuit), a global qubit swapped in only when an operation mixes it, and diagonal gates or
    /// controls on global qubits applied without communication. On the 15-layer staircase this
    /// moves `g` half slices where the other schedule moves several times more, but gates run in
    /// another order than one process's, so amplitudes agree only to rounding (about 1e-16).
    FewestExchanges,
}
