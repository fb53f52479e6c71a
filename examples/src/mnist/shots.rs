//! Shot-based sampling as on hardware: the first seeds through an ideal backend (channel
//! averages estimated from shots, readout-mitigated), scored beside the exact trajectories of
//! the same seeds.

use std::path::Path;
use std::time::Instant;

use qdecoder::dataset::ImageSet;
use qdiffusion::features::Readout;
use qdiffusion::hardware::{self, ShotConfig};
use qdiffusion::reverse::ReverseModel;
use qdiffusion::sample;
use qdiffusion::{Error, Result};
use qhw_mitigation::backend::IdealBackend;

use crate::mnist::codec::Codec;
use crate::mnist::config::{Encoding, ExperimentConfig};
use crate::mnist::event::Event;
use crate::mnist::metrics::{Provenance, Row, RowKind, scored};
use crate::mnist::scorer::Scoring;

/// The two shot-based rows if `config.shots` asks for them (none otherwise); writes
/// `samples_quantum_shots.idx`.
pub(crate) fn shot_rows(
    config: &ExperimentConfig,
    reverse: &ReverseModel,
    params: &[f64],
    codec: &Codec,
    scoring: &Scoring<'_>,
    out: &Path,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<Row>> {
    let Some(shot) = config.shots else {
        return Ok(Vec::new());
    };
    if config.quantum.encoding != Encoding::Latent {
        return Err(Error::InvalidConfig {
            reason: "shot-based sampling reads Bloch vectors: latent encoding only".into(),
        });
    }
    on_event(Event::Stage("shot-based sampling (ideal backend, mitigated)"));
    let n = shot.samples.min(config.samples);
    let qubits = config.quantum.model.qubits;
    let angles = sample::seed_angles(qubits, n, config.seed);
    let backend = IdealBackend::new(reverse.num_system() + reverse.num_ancillas());
    let shot_config = ShotConfig { shots: shot.shots, seed: config.seed, ..ShotConfig::default() };
    let t0 = Instant::now();
    let features = hardware::estimate_bloch(&backend, reverse, params, &angles, &shot_config)?;
    let images = codec.decode(&features)?;
    let seconds = t0.elapsed().as_secs_f64();
    ImageSet::from_matrix(&images)?.write_idx(out.join("samples_quantum_shots.idx"))?;
    let seeds = sample::seeds(qubits, n, config.seed)?;
    let t0 = Instant::now();
    let exact = sample::generate(reverse, params, &seeds, config.seed, Readout::Bloch)?;
    let exact_images = codec.decode(&exact)?;
    Ok(vec![
        scored(
            scoring,
            RowKind::QuantumShots,
            format!("quantum, {} shots per basis, channel average (first {n} seeds)", shot.shots),
            &images,
            Provenance::NONE,
            seconds,
        )?,
        scored(
            scoring,
            RowKind::QuantumShotSeeds,
            format!("quantum, exact trajectories (the same {n} seeds)"),
            &exact_images,
            Provenance::NONE,
            t0.elapsed().as_secs_f64(),
        )?,
    ])
}
