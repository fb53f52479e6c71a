//! Encoder and decoder of one encoding: images to quantum states, read-out features to images.

use std::path::Path;
use std::time::Instant;

use nalgebra::DMatrix;
use num_complex::Complex64;
use qdecoder::autoencoder::Autoencoder;
use qdecoder::checkpoint::CacheStatus;
use qdecoder::dataset::LabeledImages;
use qdecoder::encoder::{AMPLITUDE_QUBITS, amplitude_images, amplitude_state};
use qdiffusion::data::EncodedData;
use qdiffusion::{Error, Result};

use crate::mnist::cache::CachedModel;
use crate::mnist::config::{Encoding, ExperimentConfig};
use crate::mnist::event::{Event, note_cache};
use crate::mnist::metrics::Provenance;

/// Encoder and decoder of one encoding.
pub(crate) struct Codec {
    pub(crate) encoding: Encoding,
    autoencoder: Option<Autoencoder>,
    /// How the autoencoder came to be (nothing to train for the amplitude encoding).
    pub(crate) provenance: Provenance,
}

impl Codec {
    /// The codec of `config`'s encoding, training (or loading) the autoencoder if it needs one.
    pub(crate) fn build(
        config: &ExperimentConfig,
        cache: &Path,
        train: &LabeledImages,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Self> {
        let encoding = config.quantum.encoding;
        let qubits = config.quantum.model.qubits;
        match encoding {
            Encoding::Latent => {
                if qubits != config.autoencoder.num_qubits {
                    return Err(Error::DimensionMismatch {
                        what: "qubits of the latent encoding",
                        expected: config.autoencoder.num_qubits,
                        got: qubits,
                    });
                }
                on_event(Event::Stage("autoencoder (latent encoding)"));
                let t0 = Instant::now();
                let epochs = config.autoencoder.train.epochs;
                let (ae, status) = Autoencoder::load_or_train(
                    cache.join(CachedModel::Autoencoder.file_name(config)),
                    train.images(),
                    &config.autoencoder,
                    |r| on_event(Event::Epoch { model: "autoencoder", report: r, epochs }),
                )?;
                note_cache(on_event, "autoencoder", &status);
                let provenance = Provenance {
                    train_seconds: t0.elapsed().as_secs_f64(),
                    loaded: matches!(status, CacheStatus::Loaded),
                    parameters: None,
                };
                Ok(Self { encoding, autoencoder: Some(ae), provenance })
            }
            Encoding::Amplitude => {
                if qubits != AMPLITUDE_QUBITS {
                    return Err(Error::DimensionMismatch {
                        what: "qubits of the amplitude encoding (32 x 32 padded images)",
                        expected: AMPLITUDE_QUBITS,
                        got: qubits,
                    });
                }
                let provenance = Provenance { train_seconds: 0.0, loaded: true, parameters: None };
                Ok(Self { encoding, autoencoder: None, provenance })
            }
        }
    }

    /// The training images (784 x N intensities) as states.
    pub(crate) fn encode(&self, images: &DMatrix<f32>) -> Result<EncodedData> {
        match &self.autoencoder {
            Some(ae) => Ok(EncodedData::Product(ae.encode_angles(images)?)),
            None => Ok(EncodedData::Amplitudes(
                (0..images.ncols())
                    .map(|j| {
                        let amps = amplitude_state(images.column(j).as_slice())?;
                        Ok(amps.into_iter().map(|a| Complex64::new(a, 0.0)).collect())
                    })
                    .collect::<Result<_>>()?,
            )),
        }
    }

    /// Readout features (one vector per sample) to 784 x N intensities.
    pub(crate) fn decode(&self, features: &[Vec<f64>]) -> Result<DMatrix<f32>> {
        match &self.autoencoder {
            Some(ae) => Ok(ae.decode_bloch_features(features)?),
            None => Ok(amplitude_images(features)?),
        }
    }
}
