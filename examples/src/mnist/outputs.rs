//! Output files: sample sets (IDX), labelled grids (PNG) and the metrics (JSON).

use std::path::Path;

use nalgebra::DMatrix;
use qdecoder::dataset::ImageSet;
use qdecoder::image::{GridConfig, write_png_grid};
use qdecoder::score::Evaluator;
use qdiffusion::Result;

use crate::mnist::metrics::Metrics;

/// The first `n` columns (images) of `m`.
pub(crate) fn first_columns(m: &DMatrix<f32>, n: usize) -> DMatrix<f32> {
    m.columns(0, n.min(m.ncols())).into_owned()
}

/// `samples_<name>.idx` (all) and `samples_<name>.png` (the first 100, each labelled with the
/// classifier's digit).
pub(crate) fn write_samples(
    out: &Path,
    name: &str,
    images: &DMatrix<f32>,
    evaluator: &Evaluator,
) -> Result<()> {
    ImageSet::from_matrix(images)?.write_idx(out.join(format!("samples_{name}.idx")))?;
    write_grid(&out.join(format!("samples_{name}.png")), images, evaluator)
}

/// A PNG grid of the first 100 images, each labelled with the classifier's digit.
pub(crate) fn write_grid(path: &Path, images: &DMatrix<f32>, evaluator: &Evaluator) -> Result<()> {
    let first = first_columns(images, 100);
    let labels = evaluator.classifier().predict(&first)?;
    write_png_grid(path, &ImageSet::from_matrix(&first)?, Some(&labels), &GridConfig::default())?;
    Ok(())
}

/// `metrics.json`, atomically.
pub(crate) fn write_metrics(out: &Path, metrics: &Metrics) -> Result<()> {
    let text = serde_json::to_string_pretty(metrics)
        .map_err(|e| qdecoder::Error::Encode { what: "metrics", reason: e.to_string() })?;
    qfile::write_atomic(&out.join("metrics.json"), text.as_bytes())?;
    Ok(())
}
