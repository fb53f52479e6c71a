//! Scoring split over the ranks of a data-parallel run.
//!
//! The root asks, every other rank answers: for each sample set the root broadcasts the images,
//! every rank computes the classifier's FID features of its block of columns, and the root
//! gathers them and scores. Blocks are whole chunks of [`PREDICT_CHUNK`] columns, the chunks the
//! classifier computes one by one in a single process anyway, so the features (and hence every
//! score) are the same bits for any number of ranks. Between scoring phases the root sends
//! "proceed", which ends the other ranks' serving loop ([`Scorer::serve_until_proceed`]).

use nalgebra::DMatrix;
use qcomm::Collective;
use qdecoder::classifier::Classifier;
use qdecoder::nn::network::PREDICT_CHUNK;
use qdecoder::score::{Evaluator, SampleScore};
use qdiffusion::{Error, Result};

/// The first byte of a broadcast request.
const PROCEED: u8 = 0;
const FEATURES: u8 = 1;

/// The classifier's features of sample sets, computed by every rank of `comm` together.
pub(crate) struct Scorer<'a> {
    comm: &'a dyn Collective,
    classifier: &'a Classifier,
}

impl<'a> Scorer<'a> {
    /// A scorer over the ranks of `comm`, each holding the same `classifier`.
    pub(crate) fn new(comm: &'a dyn Collective, classifier: &'a Classifier) -> Self {
        Self { comm, classifier }
    }

    /// Root only: the FID features of `images` (784 x N), every rank computing its share.
    pub(crate) fn features(&self, images: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        if self.comm.size() == 1 {
            return Ok(self.classifier.features(images)?);
        }
        let mut request = Vec::with_capacity(17 + 4 * images.len());
        request.push(FEATURES);
        request.extend_from_slice(&(images.nrows() as u64).to_le_bytes());
        request.extend_from_slice(&(images.ncols() as u64).to_le_bytes());
        images.iter().for_each(|x| request.extend_from_slice(&x.to_le_bytes()));
        self.comm.broadcast(0, &mut request)?;
        self.share(images)
    }

    /// Root only: the score of `images` against `evaluator`'s reference set (the same
    /// classifier), the features computed by every rank.
    pub(crate) fn score(
        &self,
        evaluator: &Evaluator,
        images: &DMatrix<f32>,
    ) -> Result<SampleScore> {
        Ok(evaluator.score_features(&self.features(images)?)?)
    }

    /// Root only: ends the other ranks' current [`Scorer::serve_until_proceed`].
    pub(crate) fn proceed(&self) -> Result<()> {
        if self.comm.size() > 1 {
            self.comm.broadcast(0, &mut vec![PROCEED])?;
        }
        Ok(())
    }

    /// Every rank but the root: computes its share of each request until the root proceeds.
    pub(crate) fn serve_until_proceed(&self) -> Result<()> {
        if self.comm.size() == 1 {
            return Ok(());
        }
        loop {
            let mut request = Vec::new();
            self.comm.broadcast(0, &mut request)?;
            match request.split_first() {
                Some((&PROCEED, [])) => return Ok(()),
                Some((&FEATURES, rest)) if rest.len() >= 16 => {
                    let rows = u64::from_le_bytes(rest[..8].try_into().expect("8 bytes")) as usize;
                    let cols =
                        u64::from_le_bytes(rest[8..16].try_into().expect("8 bytes")) as usize;
                    let data = &rest[16..];
                    if rows.checked_mul(cols).and_then(|n| n.checked_mul(4)) != Some(data.len()) {
                        return Err(malformed(self.comm.rank()));
                    }
                    let values = data
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")));
                    self.share(&DMatrix::from_iterator(rows, cols, values))?;
                }
                _ => return Err(malformed(self.comm.rank())),
            }
        }
    }

    /// This rank's block of whole chunks of columns, gathered on every rank in column order.
    fn share(&self, images: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        let cols = images.ncols();
        let chunks = qcomm::block(cols.div_ceil(PREDICT_CHUNK), self.comm.rank(), self.comm.size());
        let start = (chunks.start * PREDICT_CHUNK).min(cols);
        let end = (chunks.end * PREDICT_CHUNK).min(cols);
        let mine: Vec<f64> = if end > start {
            let block = images.columns(start, end - start).into_owned();
            self.classifier.features(&block)?.iter().map(|&x| f64::from(x)).collect()
        } else {
            Vec::new()
        };
        let parts = self.comm.all_gather(&mine)?;
        let values: Vec<f32> = parts.iter().flatten().map(|&x| x as f32).collect();
        let rows = values.len().checked_div(cols).unwrap_or(0);
        if rows * cols != values.len() {
            return Err(malformed(self.comm.rank()));
        }
        Ok(DMatrix::from_vec(rows, cols, values))
    }
}

/// The root's scoring: its evaluator (classifier and reference statistics) and the ranks that
/// compute features with it.
pub(crate) struct Scoring<'a> {
    scorer: Scorer<'a>,
    evaluator: &'a Evaluator,
}

impl<'a> Scoring<'a> {
    /// Scores against `evaluator`, the features computed by every rank of `comm` (the others
    /// serving with the same classifier).
    pub(crate) fn new(comm: &'a dyn Collective, evaluator: &'a Evaluator) -> Self {
        Self { scorer: Scorer::new(comm, evaluator.classifier()), evaluator }
    }

    /// The score of `images`: the same bits for any number of ranks.
    pub(crate) fn score(&self, images: &DMatrix<f32>) -> Result<SampleScore> {
        self.scorer.score(self.evaluator, images)
    }

    /// The evaluator (for what the root does alone, such as labelling grids).
    pub(crate) fn evaluator(&self) -> &Evaluator {
        self.evaluator
    }

    /// Ends the other ranks' current serving loop.
    pub(crate) fn proceed(&self) -> Result<()> {
        self.scorer.proceed()
    }
}

fn malformed(rank: usize) -> Error {
    Error::InvalidConfig { reason: format!("rank {rank}: a malformed scoring request") }
}

#[cfg(test)]
mod tests {
    use qcomm::LocalGroup;
    use qdecoder::classifier::ClassifierConfig;
    use qdecoder::dataset::Mnist;

    use super::*;

    /// Features computed by 1 to 4 ranks (threads) are the one-process features bit for bit,
    /// across chunk boundaries and with more ranks than chunks.
    #[test]
    fn split_features_are_the_one_process_features() {
        let data = Mnist::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist")).unwrap();
        let mut config = ClassifierConfig::default();
        config.train.epochs = 1;
        let first = |n: usize| data.train.select(&(0..n).collect::<Vec<_>>()).unwrap();
        let classifier = Classifier::train(&first(600), &config, |_| {}).unwrap();
        let images = first(700).images().to_matrix();
        for size in 1..=4 {
            for cols in [1usize, 300, 700] {
                let batch = images.columns(0, cols).into_owned();
                // The batch's width matters to the last bits (matrix products of other shapes),
                // so the reference is this very batch in one process.
                let expected = classifier.features(&batch).unwrap();
                let results = LocalGroup::run(size, |comm| -> Result<Option<DMatrix<f32>>> {
                    let scorer = Scorer::new(comm, &classifier);
                    if comm.is_root() {
                        let features = scorer.features(&batch)?;
                        scorer.proceed()?;
                        Ok(Some(features))
                    } else {
                        scorer.serve_until_proceed().map(|()| None)
                    }
                });
                let root = results.into_iter().next().unwrap().unwrap().unwrap();
                assert_eq!(root, expected, "{size} ranks, {cols} columns");
            }
        }
    }
}
