//! Scoring sample sets: FID on our classifier features, confidence, mode coverage, memorisation.

use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::classifier::Classifier;
use crate::dataset::{IMAGE_PIXELS, NUM_CLASSES};
use crate::error::{Error, Result};
use crate::fid::{FeatureStatistics, frechet_distance};

/// The scores of one sample set against a reference set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleScore {
    /// FID on our classifier features (not Inception-FID) against the reference set.
    pub fid: f64,
    /// Mean over samples of the classifier's top class probability.
    pub mean_confidence: f64,
    /// Fraction of samples the classifier assigns to each digit (mode coverage).
    pub class_histogram: [f64; NUM_CLASSES],
    /// Number of samples scored.
    pub n: usize,
}

/// A classifier together with the feature statistics of a reference set (usually the held-out
/// split), ready to score any number of sample sets.
#[derive(Debug, Clone)]
pub struct Evaluator {
    classifier: Classifier,
    reference: FeatureStatistics,
}

impl Evaluator {
    /// Fits the reference statistics of `reference_images` (784 x N intensities in [0, 1]).
    pub fn new(classifier: Classifier, reference_images: &DMatrix<f32>) -> Result<Self> {
        let features = classifier.features(reference_images)?;
        Self::from_reference_features(classifier, &features)
    }

    /// Fits the reference statistics from the reference set's features (the classifier's
    /// [`Classifier::features`] of its images).
    pub fn from_reference_features(
        classifier: Classifier,
        features: &DMatrix<f32>,
    ) -> Result<Self> {
        let reference = FeatureStatistics::from_features(features)?;
        Ok(Evaluator { classifier, reference })
    }

    /// The classifier.
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// The reference feature statistics.
    pub fn reference(&self) -> &FeatureStatistics {
        &self.reference
    }

    /// Scores `images` (784 x N intensities in [0, 1], at least two).
    pub fn score(&self, images: &DMatrix<f32>) -> Result<SampleScore> {
        self.score_features(&self.classifier.features(images)?)
    }

    /// Scores a sample set from its FID features (the classifier's [`Classifier::features`] of
    /// the images, at least two columns): the same score as [`Evaluator::score`] on the images.
    pub fn score_features(&self, features: &DMatrix<f32>) -> Result<SampleScore> {
        let probabilities = self.classifier.probabilities_of_features(features)?;
        let stats = FeatureStatistics::from_features(features)?;
        let fid = frechet_distance(&stats, &self.reference)?;
        let n = features.ncols();
        let mut counts = [0usize; NUM_CLASSES];
        let mut confidence = 0.0;
        for column in probabilities.column_iter() {
            counts[column.imax()] += 1;
            confidence += f64::from(column.max());
        }
        let class_histogram = counts.map(|c| c as f64 / n as f64);
        Ok(SampleScore { fid, mean_confidence: confidence / n as f64, class_histogram, n })
    }
}

/// For each sample, the Euclidean pixel distance (intensities in [0, 1]) to its nearest image in
/// `train`: the memorisation check (a generator that copies training images scores near zero).
pub fn nearest_train_distances(samples: &DMatrix<f32>, train: &DMatrix<f32>) -> Result<Vec<f32>> {
    for (what, m) in [("sample", samples), ("training", train)] {
        if m.nrows() != IMAGE_PIXELS {
            return Err(Error::DimensionMismatch {
                what: if what == "sample" { "sample image rows" } else { "training image rows" },
                expected: IMAGE_PIXELS,
                got: m.nrows(),
            });
        }
    }
    if train.ncols() == 0 {
        return Err(Error::TooFewSamples { what: "nearest-neighbour search", min: 1, got: 0 });
    }
    if samples.iter().chain(train.iter()).any(|v| !v.is_finite()) {
        return Err(Error::NonFinite { what: "images" });
    }
    let train_t = train.transpose();
    let train_norms: Vec<f32> = train.column_iter().map(|c| c.norm_squared()).collect();
    // |s - t|^2 = |s|^2 + |t|^2 - 2 s.t, with the dot products as one matrix product per chunk.
    let starts: Vec<usize> = (0..samples.ncols()).step_by(256).collect();
    let parts: Vec<Vec<f32>> = starts
        .par_iter()
        .map(|&s| {
            let chunk = samples.columns(s, 256.min(samples.ncols() - s));
            let dots = &train_t * chunk;
            chunk
                .column_iter()
                .zip(dots.column_iter())
                .map(|(c, d)| {
                    let own = c.norm_squared();
                    let (best, _) = d.iter().zip(&train_norms).enumerate().fold(
                        (0, f32::INFINITY),
                        |(bi, bv), (i, (&dot, &t))| {
                            let v = own + t - 2.0 * dot;
                            if v < bv { (i, v) } else { (bi, bv) }
                        },
                    );
                    // The expansion cancels badly for near-copies; recompute the winner exactly.
                    c.iter()
                        .zip(train.column(best).iter())
                        .map(|(&a, &b)| f64::from(a - b).powi(2))
                        .sum::<f64>()
                        .sqrt() as f32
                })
                .collect()
        })
        .collect();
    Ok(parts.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_distances_find_exact_copies() {
        let train = DMatrix::from_fn(IMAGE_PIXELS, 5, |r, c| ((r + 3 * c) % 11) as f32 / 10.0);
        let mut samples = train.columns(1, 2).into_owned();
        samples[(0, 1)] += 0.5;
        let d = nearest_train_distances(&samples, &train).unwrap();
        assert!(d[0] < 1e-3);
        assert!((d[1] - 0.5).abs() < 1e-3);
    }
}
