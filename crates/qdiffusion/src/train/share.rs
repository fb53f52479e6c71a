//! Keeping the ranks of a data-parallel run on one training state: the root's state sent to
//! every rank, and a check that their parameters agree.

use std::path::Path;

use qcomm::Collective;
use qfile::Format;

use super::TrainState;
use crate::error::{Error, Result};

/// The framing of a training state sent between ranks (never written to a file).
const STATE_MESSAGE: Format = Format::new(*b"QDIFFSTA", 1, "training state message");

/// What error messages call the broadcast state (it has no file).
const MESSAGE_NAME: &str = "(training state from rank 0)";

/// The root's (rank 0's) `state` on every rank: a collective. The root passes `Some`; what the
/// other ranks pass is ignored. Resuming a data-parallel run this way needs the checkpoint on
/// the root only, and whatever the root decided (resume, start afresh) holds on every rank.
pub fn share_state(comm: &dyn Collective, state: Option<TrainState>) -> Result<TrainState> {
    let mut bytes = match (comm.is_root(), &state) {
        (true, Some(state)) => STATE_MESSAGE.encode(state)?,
        (true, None) => {
            return Err(Error::InvalidConfig {
                reason: "the root rank has no training state to share".into(),
            });
        }
        (false, _) => Vec::new(),
    };
    comm.broadcast(0, &mut bytes)?;
    match state.filter(|_| comm.is_root()) {
        Some(state) => Ok(state),
        None => Ok(STATE_MESSAGE.decode(&bytes, Path::new(MESSAGE_NAME))?),
    }
}

/// Checks that every rank holds bit-identical parameters, iteration and moving average (a
/// fingerprint of them, gathered): a collective. Data-parallel training keeps them identical
/// by construction; this catches ranks that were started on different data or settings.
pub fn check_agreement(comm: &dyn Collective, state: &TrainState) -> Result<()> {
    let mut fingerprint = qfile::Fingerprint::new();
    fingerprint.update_u64(state.iteration as u64);
    for value in state.params.iter().chain(&state.average) {
        fingerprint.update_u64(value.to_bits());
    }
    agree(comm, "the training state", fingerprint.finish())
}

/// Checks that every rank passed the same `value`: a collective.
pub(crate) fn agree(comm: &dyn Collective, what: &'static str, value: u64) -> Result<()> {
    // Two exact halves: any 32-bit integer is an f64.
    let halves = [(value >> 32) as f64, (value & 0xffff_ffff) as f64];
    let parts = comm.all_gather(&halves)?;
    let differing: Vec<usize> = (0..parts.len()).filter(|&r| parts[r] != parts[0]).collect();
    if differing.is_empty() {
        return Ok(());
    }
    Err(Error::RanksDisagree {
        what,
        detail: format!("ranks {differing:?} differ from rank 0 (of {} ranks)", parts.len()),
    })
}

#[cfg(test)]
mod tests {
    use qansatz_mps::optim::Adam;
    use qcomm::LocalGroup;

    use super::*;

    fn state(first: f64) -> TrainState {
        TrainState {
            iteration: 3,
            params: vec![first, -0.25, 1e-300],
            adam: Adam::new(3, 0.01),
            losses: vec![0.5, 0.25, 0.125],
            average: Vec::new(),
        }
    }

    #[test]
    fn every_rank_gets_the_roots_state_bit_for_bit() {
        let root = state(0.1 + 0.2);
        for result in LocalGroup::run(3, |comm| {
            let mine = if comm.is_root() { Some(root.clone()) } else { Some(state(9.0)) };
            let shared = share_state(comm, mine)?;
            check_agreement(comm, &shared)?;
            Ok::<_, Error>(shared)
        }) {
            assert_eq!(result.unwrap(), root);
        }
    }

    #[test]
    fn differing_parameters_are_found_on_every_rank() {
        for result in
            LocalGroup::run(3, |comm| check_agreement(comm, &state(comm.rank().min(1) as f64)))
        {
            let err = result.unwrap_err();
            assert!(matches!(err, Error::RanksDisagree { .. }), "{err}");
            assert!(err.to_string().contains("ranks [1, 2]"), "{err}");
        }
    }

    #[test]
    fn a_root_without_a_state_is_an_error() {
        let results = LocalGroup::run(1, |comm| share_state(comm, None));
        assert!(matches!(results[0], Err(Error::InvalidConfig { .. })));
    }
}
