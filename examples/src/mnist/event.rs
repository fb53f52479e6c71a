//! What a run reports as it goes, for a progress display.

use qdecoder::checkpoint::CacheStatus;
use qdecoder::nn::train::EpochReport;

/// One report of a running experiment.
#[derive(Clone, Debug)]
pub enum Event<'a> {
    /// A stage starts.
    Stage(&'a str),
    /// A classical model finished an epoch.
    Epoch {
        /// Which model.
        model: &'a str,
        /// The report of the epoch.
        report: &'a EpochReport,
        /// Epochs in all.
        epochs: usize,
    },
    /// The quantum model finished an iteration.
    Iteration {
        /// Iterations done.
        done: usize,
        /// Iterations in all.
        total: usize,
        /// The loss of the iteration.
        loss: f64,
    },
    /// A stage's note (cache hits, checkpoint resumes).
    Note(String),
}

/// Reports whether a cached model was loaded or trained, and why.
pub(crate) fn note_cache(on_event: &mut dyn FnMut(Event<'_>), what: &str, status: &CacheStatus) {
    on_event(Event::Note(match status {
        CacheStatus::Loaded => format!("{what}: loaded from cache"),
        CacheStatus::Trained { reason } => format!("{what}: trained ({reason})"),
    }));
}
