//! What every program that scores images shares: the flags naming the MNIST data and the FID
//! classifier's cache, and loading both into an [`Evaluator`].

use std::path::PathBuf;

use qdecoder::Result;
use qdecoder::checkpoint::CacheStatus;
use qdecoder::classifier::{Classifier, ClassifierConfig};
use qdecoder::dataset::Mnist;
use qdecoder::nn::train::EpochReport;
use qdecoder::score::Evaluator;

use crate::workspace;

/// The data and classifier flags (flatten them into a program's `clap` arguments).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ScoringArgs {
    /// MNIST directory: the training split trains the classifier, the test split is the
    /// reference. Standard file names, gzip or raw (default: `<workspace>/data/mnist`).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The FID classifier's cache, shared by every example: written atomically on first use,
    /// retrained if missing, unreadable or trained on other data
    /// (default: `<workspace>/out/cache/fid_classifier.bin`).
    #[arg(long)]
    pub classifier: Option<PathBuf>,
    /// Score with the independent check's classifier instead
    /// ([`ClassifierConfig::independent`]: another architecture, seed and training, 64
    /// features; default cache `<workspace>/out/cache/fid_classifier_independent.bin`).
    #[arg(long)]
    pub independent: bool,
}

/// The data and the evaluator that scores against its held-out split.
pub struct Scoring {
    /// The MNIST splits.
    pub mnist: Mnist,
    /// Scores sample sets against the held-out split (FID on our classifier features).
    pub evaluator: Evaluator,
    /// Where the classifier is cached.
    pub classifier_path: PathBuf,
    /// Whether the classifier was loaded or trained (and why).
    pub classifier_status: CacheStatus,
}

impl ScoringArgs {
    /// The MNIST directory.
    pub fn data_dir(&self) -> PathBuf {
        self.data.clone().unwrap_or_else(|| workspace().join("data/mnist"))
    }

    /// The classifier's cache file.
    pub fn classifier_path(&self) -> PathBuf {
        let name =
            if self.independent { "fid_classifier_independent.bin" } else { "fid_classifier.bin" };
        self.classifier.clone().unwrap_or_else(|| workspace().join("out/cache").join(name))
    }

    /// The configuration of the classifier these flags choose.
    pub fn classifier_config(&self) -> ClassifierConfig {
        if self.independent { ClassifierConfig::independent() } else { ClassifierConfig::default() }
    }

    /// Loads MNIST and the FID classifier these flags choose (training it if the cache cannot be
    /// used, reporting each epoch to `on_epoch`).
    pub fn load(&self, on_epoch: impl FnMut(&EpochReport)) -> Result<Scoring> {
        let mnist = Mnist::load(self.data_dir())?;
        let classifier_path = self.classifier_path();
        let (classifier, classifier_status) = Classifier::load_or_train(
            &classifier_path,
            &mnist.train,
            &self.classifier_config(),
            on_epoch,
        )?;
        let evaluator = Evaluator::new(classifier, &mnist.test.images().to_matrix())?;
        Ok(Scoring { mnist, evaluator, classifier_path, classifier_status })
    }
}
