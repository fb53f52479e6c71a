//! What a run measured: one scored row per set of images, keyed by what the images are, and the
//! ratios between them; written to `metrics.json` and printed as a table.

use nalgebra::DMatrix;
use qdecoder::score::SampleScore;
use qdiffusion::Result;
use serde::{Deserialize, Serialize};

use crate::mnist::scorer::Scoring;

use crate::mnist::config::ExperimentConfig;

/// What a row's images are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowKind {
    /// Real training images: the floor of the FID at this sample size.
    RealImages,
    /// Training images encoded and decoded: the floor of the encoding.
    DecodedTrainImages,
    /// The pixel DDPM, ancestral sampling.
    PixelDdpm,
    /// The pixel DDPM, DDIM sampling.
    PixelDdim,
    /// The latent DDPM (the quantum model's features and decoder), ancestral sampling.
    LatentDdpm,
    /// The latent DDPM, DDIM sampling.
    LatentDdim,
    /// The parameter-matched latent DDPM, ancestral sampling.
    LatentMatchedDdpm,
    /// The parameter-matched latent DDPM, DDIM sampling.
    LatentMatchedDdim,
    /// The quantum model, exact trajectories.
    Quantum,
    /// The ablation: the quantum model's seeds read out without the reverse process.
    Ablation,
    /// The quantum model from shots on a backend (channel averages, mitigated).
    QuantumShots,
    /// The quantum model's exact trajectories of the seeds sampled with shots.
    QuantumShotSeeds,
}

/// The scores of one set of images.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// What the images are.
    pub kind: RowKind,
    /// Its line in the table.
    pub name: String,
    /// FID on our classifier features against the held-out split, confidence, classes.
    pub score: SampleScore,
    /// Seconds spent training the model in this run (0 when loaded from cache).
    pub train_seconds: f64,
    /// True if the model was loaded from a cache or a finished checkpoint.
    pub loaded: bool,
    /// Trainable parameters of the model that generated the images (`None` for real images,
    /// the ablation, and the decoder floors).
    pub parameters: Option<usize>,
    /// Seconds spent producing the images.
    pub sample_seconds: f64,
}

/// The quantum model scored during training.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Iterations done.
    pub iteration: usize,
    /// FID of samples drawn with the parameters of that iteration (the run's sampling seeds).
    pub fid: f64,
}

/// Everything the run measured; written to `metrics.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Metrics {
    /// What FID means here.
    pub fid_features: String,
    /// The configuration of the run.
    pub config: ExperimentConfig,
    /// Floors, models and the ablation, in table order.
    pub rows: Vec<Row>,
    /// FID of the quantum samples over FID of the ablation.
    pub quantum_over_ablation: f64,
    /// FID of the quantum samples over FID of the pixel DDPM with ancestral sampling; `None`
    /// without the classical baseline.
    pub quantum_over_ddpm: Option<f64>,
    /// FID of the quantum samples over FID of the latent DDPM sampled with DDIM (the same
    /// features and decoder as the quantum model); `None` without it.
    pub quantum_over_latent_ddim: Option<f64>,
    /// Final training loss of the quantum model (mean of the last 10 iterations).
    pub quantum_final_loss: f64,
    /// The quantum model's training loss of every iteration (of this run's training; empty
    /// when a finished checkpoint was loaded).
    pub quantum_losses: Vec<f64>,
    /// The FID of the quantum model along its training, every
    /// [`ExperimentConfig::curve_every`](crate::mnist::config::ExperimentConfig::curve_every)
    /// iterations (empty without it).
    pub quantum_curve: Vec<CurvePoint>,
    /// Wall seconds of the whole run.
    pub total_seconds: f64,
}

impl Metrics {
    /// The row of `kind`, if the run produced one.
    pub fn row(&self, kind: RowKind) -> Option<&Row> {
        self.rows.iter().find(|r| r.kind == kind)
    }

    /// FID of the row of `a` over FID of the row of `b`, when both exist.
    pub fn fid_ratio(&self, a: RowKind, b: RowKind) -> Option<f64> {
        Some(self.row(a)?.score.fid / self.row(b)?.score.fid)
    }

    /// The results table as Markdown.
    pub fn table(&self) -> String {
        let mut s = String::from(
            "| images | FID | mean confidence | class histogram (0-9, %) | parameters | train s | sample s |\n\
             |---|---|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            let hist: Vec<String> =
                r.score.class_histogram.iter().map(|h| format!("{:.0}", 100.0 * h)).collect();
            let train =
                if r.loaded { "cached".to_string() } else { format!("{:.0}", r.train_seconds) };
            let parameters = r.parameters.map_or("-".to_string(), |p| p.to_string());
            s.push_str(&format!(
                "| {} | {:.2} | {:.3} | {} | {} | {} | {:.1} |\n",
                r.name,
                r.score.fid,
                r.score.mean_confidence,
                hist.join(" "),
                parameters,
                train,
                r.sample_seconds
            ));
        }
        s
    }
}

/// How a row's model came to be: training seconds in this run, and whether it was loaded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Provenance {
    pub(crate) train_seconds: f64,
    pub(crate) loaded: bool,
    /// Trainable parameters of the generative model, if the row has one.
    pub(crate) parameters: Option<usize>,
}

impl Provenance {
    /// Nothing trained (real images, the ablation, sets drawn from a model already counted).
    pub(crate) const NONE: Provenance =
        Provenance { train_seconds: 0.0, loaded: false, parameters: None };
}

/// Scores `images` as a row.
pub(crate) fn scored(
    scoring: &Scoring<'_>,
    kind: RowKind,
    name: String,
    images: &DMatrix<f32>,
    provenance: Provenance,
    sample_seconds: f64,
) -> Result<Row> {
    Ok(Row {
        kind,
        name,
        score: scoring.score(images)?,
        train_seconds: provenance.train_seconds,
        loaded: provenance.loaded,
        parameters: provenance.parameters,
        sample_seconds,
    })
}
