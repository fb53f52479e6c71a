//! The classical baselines: a DDPM on pixels (U-Net noise predictor) and two DDPMs on the
//! quantum model's latent features (MLP noise predictors: a full-size one, and one with as many
//! parameters as the quantum model), each trained (or loaded) and sampled with ancestral steps
//! and with DDIM.

use std::path::Path;
use std::time::Instant;

use nalgebra::DMatrix;
use qddpm_unet::model::UnetDdpm;
use qdecoder::checkpoint::CacheStatus;
use qdecoder::dataset::LabeledImages;
use qdiffusion::Result;
use qdiffusion::baseline::model::{Ddpm, DdpmConfig, to_intensities};
use qdiffusion::baseline::sample::Sampler;
use qdiffusion::baseline::train::fingerprint;
use qdiffusion::data::EncodedData;
use qrandom::stream::CipherStream;
use qrandom::streams::{LATENT_DDPM_SAMPLING, LATENT_MATCHED_DDPM_SAMPLING, PIXEL_DDPM_SAMPLING};
use rand_chacha::ChaCha8Rng;

use crate::mnist::cache::CachedModel;
use crate::mnist::codec::Codec;
use crate::mnist::config::{Encoding, ExperimentConfig};
use crate::mnist::event::{Event, note_cache};
use crate::mnist::metrics::{Provenance, Row, RowKind, scored};
use crate::mnist::scorer::Scoring;

/// Which baseline is sampled: the kinds of its two rows, the prefix and suffix of their names,
/// the random streams of its samplers, and its cache file.
pub(crate) struct Variant {
    kinds: (RowKind, RowKind),
    prefix: &'static str,
    suffix: &'static str,
    streams: CipherStream,
    cache: CachedModel,
}

const PIXEL: Variant = Variant {
    kinds: (RowKind::PixelDdpm, RowKind::PixelDdim),
    prefix: "pixel ",
    suffix: " (U-Net)",
    streams: PIXEL_DDPM_SAMPLING,
    cache: CachedModel::Ddpm,
};

/// The full-size latent DDPM.
pub(crate) const LATENT: Variant = Variant {
    kinds: (RowKind::LatentDdpm, RowKind::LatentDdim),
    prefix: "latent ",
    suffix: "",
    streams: LATENT_DDPM_SAMPLING,
    cache: CachedModel::LatentDdpm,
};

/// The latent DDPM with the quantum model's parameter count.
pub(crate) const LATENT_MATCHED: Variant = Variant {
    kinds: (RowKind::LatentMatchedDdpm, RowKind::LatentMatchedDdim),
    prefix: "latent parameter-matched ",
    suffix: "",
    streams: LATENT_MATCHED_DDPM_SAMPLING,
    cache: CachedModel::LatentMatchedDdpm,
};

/// Draws `n` samples with a sampler from a generator, in the model's range.
type Draw<'a> = dyn Fn(usize, Sampler, &mut ChaCha8Rng) -> Result<DMatrix<f32>> + 'a;

/// One DDPM sampled both ways: each scored row with its images.
pub(crate) struct DdpmSamples {
    pub(crate) ancestral: (Row, DMatrix<f32>),
    pub(crate) ddim: (Row, DMatrix<f32>),
}

/// Trains (or loads) the pixel DDPM and draws `config.samples` images with each sampler.
pub(crate) fn pixel_ddpm(
    config: &ExperimentConfig,
    cache: &Path,
    train: &LabeledImages,
    scoring: &Scoring<'_>,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<DdpmSamples> {
    on_event(Event::Stage("classical DDPM baseline"));
    let t0 = Instant::now();
    let epochs = config.ddpm.train.epochs;
    let (ddpm, status) = UnetDdpm::load_or_train(
        cache.join(PIXEL.cache.file_name(config)),
        train,
        &config.ddpm,
        |r| on_event(Event::Epoch { model: "DDPM", report: r, epochs }),
    )?;
    let provenance = Provenance {
        train_seconds: t0.elapsed().as_secs_f64(),
        loaded: matches!(status, CacheStatus::Loaded),
        parameters: Some(ddpm.num_parameters()),
    };
    note_cache(on_event, "DDPM", &status);
    on_event(Event::Stage("DDPM sampling"));
    let to_images = |x: &DMatrix<f32>| Ok(to_intensities(x));
    let draw = |n: usize, sampler: Sampler, rng: &mut ChaCha8Rng| {
        Ok(ddpm.sample_model_range(n, sampler, rng)?)
    };
    let steps = ddpm.config().steps;
    sample_both(config, &draw, steps, &PIXEL, provenance, scoring, &to_images)
}

/// Trains (or loads) a classical DDPM (`variant`, configured by `latent_config`) on the
/// quantum model's latent features, the Bloch vectors of the encoded training images (`data`,
/// exactly what the quantum model's MMD compares against), and draws `config.samples` with each
/// sampler, decoded by the quantum model's decoder. `None`, with a note, for an encoding
/// without a latent.
#[allow(clippy::too_many_arguments)]
pub(crate) fn latent_ddpm(
    config: &ExperimentConfig,
    variant: &Variant,
    latent_config: &DdpmConfig,
    cache: &Path,
    codec: &Codec,
    data: &EncodedData,
    scoring: &Scoring<'_>,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Option<DdpmSamples>> {
    if codec.encoding != Encoding::Latent {
        on_event(Event::Note(format!(
            "{}DDPM: skipped (the {} encoding has no latent)",
            variant.prefix,
            codec.encoding.name()
        )));
        return Ok(None);
    }
    let name = format!("{}DDPM", variant.prefix);
    on_event(Event::Stage("latent DDPM (classical, on the quantum model's features)"));
    let readout = config.quantum.encoding.readout();
    let features: Vec<Vec<f64>> =
        (0..data.len()).map(|i| data.features(i, readout)).collect::<Result<_>>()?;
    let dim = features.first().map_or(0, Vec::len);
    // Bloch coordinates lie in [-1, 1], the model range, so they are used as they are.
    let train = DMatrix::from_fn(dim, features.len(), |r, c| features[c][r] as f32);
    let t0 = Instant::now();
    let epochs = latent_config.train.epochs;
    let (ddpm, status) = Ddpm::load_or_train_on(
        cache.join(variant.cache.file_name(config)),
        &train,
        fingerprint(&train),
        latent_config,
        |r| on_event(Event::Epoch { model: &name, report: r, epochs }),
    )?;
    let provenance = Provenance {
        train_seconds: t0.elapsed().as_secs_f64(),
        loaded: matches!(status, CacheStatus::Loaded),
        parameters: Some(ddpm.network().num_parameters()),
    };
    note_cache(on_event, &name, &status);
    on_event(Event::Stage("latent DDPM sampling"));
    let decode = |x: &DMatrix<f32>| {
        let features: Vec<Vec<f64>> =
            x.column_iter().map(|c| c.iter().map(|&v| f64::from(v)).collect()).collect();
        codec.decode(&features)
    };
    let draw =
        |n: usize, sampler: Sampler, rng: &mut ChaCha8Rng| ddpm.sample_model_range(n, sampler, rng);
    let steps = ddpm.config().steps;
    Ok(Some(sample_both(config, &draw, steps, variant, provenance, scoring, &decode)?))
}

/// Draws `config.samples` with `draw` (a DDPM of `steps` steps) with the ancestral sampler and
/// with DDIM (members 0 and 1 of the variant's streams under the sampling seed), maps them to
/// images with `to_images` and scores them as the variant's rows.
fn sample_both(
    config: &ExperimentConfig,
    draw_samples: &Draw<'_>,
    steps: usize,
    variant: &Variant,
    provenance: Provenance,
    scoring: &Scoring<'_>,
    to_images: &dyn Fn(&DMatrix<f32>) -> Result<DMatrix<f32>>,
) -> Result<DdpmSamples> {
    let draw = |member: u64, kind: RowKind, name: String, sampler: Sampler| {
        let mut rng = variant.streams.rng(config.seed, member);
        let t0 = Instant::now();
        let images = to_images(&draw_samples(config.samples, sampler, &mut rng)?)?;
        let seconds = t0.elapsed().as_secs_f64();
        Ok::<_, qdiffusion::Error>((
            scored(scoring, kind, name, &images, provenance, seconds)?,
            images,
        ))
    };
    // Neither clips the denoised estimate (measured on the validation digits: the U-Net's DDIM-50
    // FID 47.4 unclipped, 50.4 clipped; the MLP's in docs/results.md).
    let (prefix, suffix) = (variant.prefix, variant.suffix);
    let (steps, sampler) = match config.ancestral_steps {
        None => (steps, Sampler::ddpm()),
        Some(steps) => (steps, Sampler::respaced(steps)),
    };
    let ancestral =
        draw(0, variant.kinds.0, format!("{prefix}DDPM, {steps} steps{suffix}"), sampler)?;
    let ddim = draw(
        1,
        variant.kinds.1,
        format!("{prefix}DDIM, {} steps{suffix}", config.ddim_steps),
        Sampler::ddim(config.ddim_steps),
    )?;
    Ok(DdpmSamples { ancestral, ddim })
}
