//! The MNIST classifier whose penultimate layer defines this project's FID features.
//!
//! Architecture (default [`ClassifierConfig`]): an MLP 784 -> 256 -> ReLU -> 128 -> ReLU -> 10
//! (logits), trained with categorical cross-entropy and Adam (30 epochs, batches of 64, learning
//! rate 1e-3 decaying along a half cosine to 1e-5, seed 20240601) on the training split, every
//! image randomly shifted (up to 2 px), rotated (up to 15 degrees) and rescaled (up to 15%) each
//! epoch with bilinear resampling.
//! The FID features are the 128 ReLU outputs of the last hidden layer. Because the features come
//! from this small network and not from Inception-v3, FID values here are **"FID on our
//! classifier features"** and are comparable only with each other.

use std::path::Path;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::augment::Augmentation;
use crate::checkpoint::{CacheStatus, Checkpoint, load_or_train};
use crate::dataset::{IMAGE_PIXELS, LabeledImages, NUM_CLASSES};
use crate::error::{Error, Result};
use crate::nn::layer::{Activation, Layer, softmax_columns};
use crate::nn::loss::Loss;
use crate::nn::network::Sequential;
use crate::nn::train::{EpochReport, TrainConfig, fit};

/// How to build and train the classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierConfig {
    /// Hidden layer sizes (ReLU after each); the last one is the FID feature dimension.
    pub hidden: Vec<usize>,
    /// Random distortions applied to each training image every epoch.
    pub augmentation: Augmentation,
    /// Optimisation settings, including the seed.
    pub train: TrainConfig,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            hidden: vec![256, 128],
            augmentation: Augmentation {
                max_shift: 2.0,
                max_rotation_degrees: 15.0,
                max_scale: 0.15,
            },
            train: TrainConfig {
                epochs: 30,
                batch_size: 64,
                learning_rate: 1e-3,
                final_learning_rate: 1e-5,
                seed: 20_240_601,
                ..TrainConfig::default()
            },
        }
    }
}

impl ClassifierConfig {
    /// The classifier of the independent check: another network (two hidden layers of 512 and
    /// 64 units, so 64 FID features), trained without augmentation from another seed. FIDs on
    /// its features share no weights with the project's FID classifier, so a conclusion that
    /// holds on both does not come from one network's quirks.
    pub fn independent() -> Self {
        let default = ClassifierConfig::default();
        ClassifierConfig {
            hidden: vec![512, 64],
            augmentation: Augmentation {
                max_shift: 0.0,
                max_rotation_degrees: 0.0,
                max_scale: 0.0,
            },
            train: TrainConfig { epochs: 20, seed: 20_261_207, ..default.train },
        }
    }
}

/// A trained digit classifier: logits, class probabilities, and FID features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ClassifierRecord", into = "ClassifierRecord")]
pub struct Classifier {
    network: Sequential,
    config: ClassifierConfig,
    /// [`LabeledImages::fingerprint`] of the training data, so a cache is never reused for
    /// different data.
    train_fingerprint: u64,
}

/// The serialised form of [`Classifier`], checked on load.
#[derive(Serialize, Deserialize)]
struct ClassifierRecord {
    network: Sequential,
    config: ClassifierConfig,
    train_fingerprint: u64,
}

impl From<Classifier> for ClassifierRecord {
    fn from(c: Classifier) -> Self {
        ClassifierRecord {
            network: c.network,
            config: c.config,
            train_fingerprint: c.train_fingerprint,
        }
    }
}

impl TryFrom<ClassifierRecord> for Classifier {
    type Error = Error;

    fn try_from(r: ClassifierRecord) -> Result<Self> {
        let layers = r.network.layers();
        let shaped = r.network.input_dim() == IMAGE_PIXELS
            && r.network.output_dim() == NUM_CLASSES
            && layers.len() >= 3
            && matches!(layers[layers.len() - 1], Layer::Dense(_))
            && matches!(layers[layers.len() - 2], Layer::Activation(_));
        if !shaped {
            return Err(Error::InvalidModel {
                reason: "a classifier maps 784 pixels through hidden layers to 10 logits".into(),
            });
        }
        Ok(Classifier {
            network: r.network,
            config: r.config,
            train_fingerprint: r.train_fingerprint,
        })
    }
}

impl Checkpoint for Classifier {
    const FORMAT: qfile::Format = crate::checkpoint::CLASSIFIER_FORMAT;
}

impl Classifier {
    /// Trains a classifier on `train` (deterministic given `config.train.seed`); `on_epoch` sees
    /// each epoch's report.
    pub fn train(
        train: &LabeledImages,
        config: &ClassifierConfig,
        on_epoch: impl FnMut(&EpochReport),
    ) -> Result<Self> {
        config.augmentation.validate()?;
        if config.hidden.is_empty() {
            return Err(Error::InvalidConfig {
                field: "hidden",
                reason: "the FID features need at least one hidden layer".into(),
            });
        }
        let mut sizes = vec![IMAGE_PIXELS];
        sizes.extend(&config.hidden);
        sizes.push(NUM_CLASSES);
        let mut rng = qrandom::streams::CLASSIFIER_INIT.rng(config.train.seed);
        let mut network = Sequential::mlp(&sizes, Activation::Relu, &mut rng)?;
        let images = train.images();
        let labels = train.labels();
        let augmentation = config.augmentation;
        fit(
            &mut network,
            Loss::CategoricalCrossEntropy,
            &config.train,
            train.len(),
            |indices, rng| {
                let mut x = DMatrix::zeros(IMAGE_PIXELS, indices.len());
                let mut t = DMatrix::zeros(NUM_CLASSES, indices.len());
                for (col, &i) in indices.iter().enumerate() {
                    let image = images.image(i).ok_or(Error::DimensionMismatch {
                        what: "training index (below the set size)",
                        expected: images.len(),
                        got: i,
                    })?;
                    augmentation.apply(image, x.column_mut(col).as_mut_slice(), rng)?;
                    t[(usize::from(labels[i]), col)] = 1.0;
                }
                Ok((x, t))
            },
            on_epoch,
        )?;
        Ok(Classifier { network, config: config.clone(), train_fingerprint: train.fingerprint() })
    }

    /// Loads the classifier cached at `path` if it was trained with `config` on exactly `train`;
    /// otherwise trains one and caches it there atomically (creating the directory).
    pub fn load_or_train(
        path: impl AsRef<Path>,
        train: &LabeledImages,
        config: &ClassifierConfig,
        on_epoch: impl FnMut(&EpochReport),
    ) -> Result<(Self, CacheStatus)> {
        load_or_train(
            path.as_ref(),
            |c: &Classifier| c.stale_for(train, config),
            || Classifier::train(train, config, on_epoch),
        )
    }

    /// Why this classifier is not what [`Classifier::train`] makes of `train` with `config`
    /// (another configuration, or other data), or `None` if it is: the check
    /// [`Classifier::load_or_train`] makes of a cached model.
    pub fn stale_for(&self, train: &LabeledImages, config: &ClassifierConfig) -> Option<String> {
        if self.config != *config {
            Some("the cached model has another configuration".into())
        } else if self.train_fingerprint != train.fingerprint() {
            Some("the cached model was trained on other data".into())
        } else {
            None
        }
    }

    /// The configuration it was trained with.
    pub fn config(&self) -> &ClassifierConfig {
        &self.config
    }

    /// The underlying network (ending in logits).
    pub fn network(&self) -> &Sequential {
        &self.network
    }

    /// Dimension of the FID feature vectors (the last hidden layer's size).
    pub fn feature_dim(&self) -> usize {
        self.network.output_dim_after(self.feature_depth())
    }

    /// Number of layers up to and including the last hidden activation.
    fn feature_depth(&self) -> usize {
        self.network.layers().len() - 1
    }

    fn check_images(images: &DMatrix<f32>) -> Result<()> {
        if images.nrows() != IMAGE_PIXELS {
            return Err(Error::DimensionMismatch {
                what: "image rows (784 pixels per column)",
                expected: IMAGE_PIXELS,
                got: images.nrows(),
            });
        }
        if images.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: "images" });
        }
        Ok(())
    }

    /// FID features (columns) and class probabilities (columns) of images given as a 784 x N
    /// matrix of intensities in [0, 1] (see [`ImageSet::to_matrix`](crate::dataset::ImageSet::to_matrix)).
    pub fn features_and_probabilities(
        &self,
        images: &DMatrix<f32>,
    ) -> Result<(DMatrix<f32>, DMatrix<f32>)> {
        Self::check_images(images)?;
        let features = self.network.predict_to(images, self.feature_depth())?;
        let probabilities = self.probabilities_of_features(&features)?;
        Ok((features, probabilities))
    }

    /// Class probabilities (columns) from FID features (columns, as [`Classifier::features`]
    /// gives them): the classifier's last layer and a softmax.
    pub fn probabilities_of_features(&self, features: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        let mut probabilities = match self.network.layers().last() {
            Some(last @ Layer::Dense(_)) => last.forward(features)?,
            _ => {
                return Err(Error::InvalidModel {
                    reason: "classifier must end in a dense layer".into(),
                });
            }
        };
        softmax_columns(&mut probabilities);
        Ok(probabilities)
    }

    /// FID features of images (784 x N intensities in [0, 1]), one column per image.
    pub fn features(&self, images: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        Self::check_images(images)?;
        self.network.predict_to(images, self.feature_depth())
    }

    /// Class probabilities of images (784 x N intensities in [0, 1]), one column per image.
    pub fn probabilities(&self, images: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        Ok(self.features_and_probabilities(images)?.1)
    }

    /// The most probable digit of each image.
    pub fn predict(&self, images: &DMatrix<f32>) -> Result<Vec<u8>> {
        let p = self.probabilities(images)?;
        Ok(p.column_iter().map(|c| c.imax() as u8).collect())
    }

    /// Fraction of `data` classified correctly.
    pub fn accuracy(&self, data: &LabeledImages) -> Result<f64> {
        if data.is_empty() {
            return Err(Error::TooFewSamples { what: "accuracy", min: 1, got: 0 });
        }
        let predicted = self.predict(&data.images().to_matrix())?;
        let correct = predicted.iter().zip(data.labels()).filter(|(a, b)| a == b).count();
        Ok(correct as f64 / data.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::ImageSet;

    #[test]
    fn a_classifier_is_stale_for_other_data_or_settings() {
        let pixels: Vec<u8> = (0..40 * IMAGE_PIXELS).map(|i| ((i * 31) % 253) as u8).collect();
        let labels: Vec<u8> = (0..40).map(|i| (i % 10) as u8).collect();
        let data = LabeledImages::new(ImageSet::new(pixels).unwrap(), labels).unwrap();
        let mut config = ClassifierConfig { hidden: vec![8], ..ClassifierConfig::default() };
        config.train.epochs = 1;
        let classifier = Classifier::train(&data, &config, |_| {}).unwrap();
        assert_eq!(classifier.stale_for(&data, &config), None);
        let fewer = data.select(&(0..39).collect::<Vec<_>>()).unwrap();
        assert!(classifier.stale_for(&fewer, &config).unwrap().contains("other data"));
        let wider = ClassifierConfig { hidden: vec![9], ..config };
        assert!(classifier.stale_for(&data, &wider).unwrap().contains("configuration"));
    }
}
