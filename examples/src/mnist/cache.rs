//! The classical models kept in the cache folder, and their file names.

use crate::mnist::config::ExperimentConfig;

/// A classical model the experiment caches between runs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum CachedModel {
    /// The FID classifier.
    Classifier,
    /// The autoencoder of the latent encoding.
    Autoencoder,
    /// The pixel DDPM (its U-Net).
    Ddpm,
    /// The latent DDPM.
    LatentDdpm,
    /// The parameter-matched latent DDPM.
    LatentMatchedDdpm,
}

impl CachedModel {
    /// The cache file name: the default configurations share the caches of the other examples;
    /// any other configuration (e.g. `--quick`, or the six-qubit autoencoder of
    /// `nisq_diffusion`) gets a file named by a fingerprint of its settings, so configurations
    /// never evict each other.
    pub(crate) fn file_name(self, config: &ExperimentConfig) -> String {
        let defaults = ExperimentConfig::default();
        let (stem, same, settings) = match self {
            CachedModel::Classifier => (
                "fid_classifier",
                config.classifier == defaults.classifier,
                json(&config.classifier),
            ),
            CachedModel::Autoencoder => (
                "autoencoder",
                config.autoencoder == defaults.autoencoder,
                json(&config.autoencoder),
            ),
            CachedModel::Ddpm => ("ddpm_unet", config.ddpm == defaults.ddpm, json(&config.ddpm)),
            // Its training data are the autoencoder's codes: another autoencoder, another model.
            CachedModel::LatentDdpm => (
                "latent_ddpm",
                config.latent_ddpm == defaults.latent_ddpm
                    && config.autoencoder == defaults.autoencoder,
                json(&config.latent_ddpm) + &json(&config.autoencoder),
            ),
            // Its width follows the quantum model: the cache checks the configuration and
            // retrains when it differs.
            CachedModel::LatentMatchedDdpm => (
                "latent_matched_ddpm",
                config.latent_matched_ddpm == defaults.latent_matched_ddpm
                    && config.autoencoder == defaults.autoencoder,
                json(&config.latent_matched_ddpm) + &json(&config.autoencoder),
            ),
        };
        if same {
            format!("{stem}.bin")
        } else {
            format!("{stem}_{:016x}.bin", qfile::fingerprint(settings.as_bytes()))
        }
    }
}

/// Settings as JSON text (for the fingerprint of a cache name).
fn json<T: serde::Serialize>(settings: &T) -> String {
    // Every settings type serializes; an empty text would only share a cache name.
    serde_json::to_string(settings).unwrap_or_default()
}
