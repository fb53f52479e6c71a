//! Trains every encoder/decoder pairing and measures its reconstruction floor: the FID (on our
//! classifier features) of held-out images encoded, measured with S shots and decoded.
//!
//! ```sh
//! cargo run --release --example decoder_report
//! ```
//!
//! Also decodes random (Haar) product states through the latent decoders: the "seeds decoded
//! directly" ablation that a quantum reverse process has to beat. Prints a
//! markdown table and writes PNG grids of reconstructions and decoded seeds.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use nalgebra::DMatrix;
use qdecoder::autoencoder::{Autoencoder, AutoencoderConfig};
use qdecoder::dataset::ImageSet;
use qdecoder::decoder::{Decoder, DecoderConfig};
use qdecoder::encoder::{Encoder, PcaEncoder, amplitude_image};
use qdecoder::image::{GridConfig, write_png_grid};
use qdecoder::state::{ProductState, QubitAngles};
use qdecoder::statistics::{Statistics, StatisticsKind};
use qdecoder::{Error, Result};
use qdiff_examples::error_line::run_main;
use qdiff_examples::scoring::{Scoring, ScoringArgs};
use qdiff_examples::workspace;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Train the encoder/decoder pairings and report their reconstruction FID on the held-out split.
#[derive(Parser, Debug)]
#[command(about, long_about)]
struct Args {
    #[command(flatten)]
    scoring: ScoringArgs,
    /// Output directory for the PNG grids [default: <workspace>/out/decoder-report].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed of the evaluation shots and the random seeds.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// One trained pairing.
struct Pairing {
    name: String,
    encoder: Encoder,
    decoder: Decoder,
    train_shots: Option<u64>,
    seconds: f64,
}

fn haar_states(n: usize, qubits: usize, rng: &mut ChaCha8Rng) -> Result<Vec<ProductState>> {
    (0..n)
        .map(|_| {
            ProductState::new(
                (0..qubits)
                    .map(|_| QubitAngles {
                        // Uniform on the sphere: cos(theta) uniform in [-1, 1].
                        theta: (1.0 - 2.0 * rng.random::<f64>()).acos(),
                        phi: std::f64::consts::TAU * rng.random::<f64>() - std::f64::consts::PI,
                    })
                    .collect(),
            )
        })
        .collect()
}

fn fmt_shots(s: Option<u64>) -> String {
    s.map_or_else(|| "exact".to_string(), |s| s.to_string())
}

fn main() -> ExitCode {
    run_main(report)
}

/// Fits every encoder/decoder pairing and prints its reconstruction floor.
fn report() -> Result<()> {
    let args = Args::parse();
    let out = args.out.unwrap_or_else(|| workspace().join("out/decoder-report"));
    let Scoring { mnist, evaluator, classifier_status, .. } = args.scoring.load(|_| {})?;
    eprintln!("classifier: {classifier_status:?}");
    let test = mnist.test.images().to_matrix();
    let train = mnist.train.images();
    let log = |name: &str| {
        let name = name.to_string();
        move |r: &qdecoder::nn::train::EpochReport| {
            eprintln!(
                "  {name}: epoch {} loss {:.4} ({:.0} images/s)",
                r.epoch, r.loss, r.samples_per_second
            )
        }
    };

    let mut pairings = Vec::new();
    let t = Instant::now();
    let ae_config = AutoencoderConfig::default();
    let autoencoder = Autoencoder::train(train, &ae_config, log("autoencoder"))?;
    let (learned, bloch_decoder) = autoencoder.into_parts();
    pairings.push(Pairing {
        name: "learned encoder, Bloch decoder (end to end)".into(),
        encoder: learned.clone(),
        decoder: bloch_decoder,
        train_shots: ae_config.shots,
        seconds: t.elapsed().as_secs_f64(),
    });

    let born = DecoderConfig { kind: StatisticsKind::Born, ..DecoderConfig::default() };
    let bloch = DecoderConfig { kind: StatisticsKind::Bloch, ..DecoderConfig::default() };
    let pixels = train.to_matrix();
    let mut add = |name: &str, encoder: Encoder, config: &DecoderConfig| -> Result<()> {
        let t = Instant::now();
        let decoder = Decoder::train(train, &encoder, config, log(name))?;
        pairings.push(Pairing {
            name: name.into(),
            encoder,
            decoder,
            train_shots: config.shots,
            seconds: t.elapsed().as_secs_f64(),
        });
        Ok(())
    };
    add("learned encoder (fixed), Born decoder", learned, &born)?;
    add(
        "PCA -> (theta, phi), Bloch decoder",
        Encoder::Pca(PcaEncoder::fit(&pixels, 10, true)?),
        &bloch,
    )?;
    add("PCA -> theta, Born decoder", Encoder::Pca(PcaEncoder::fit(&pixels, 10, false)?), &born)?;
    add(
        "amplitude, Born decoder",
        Encoder::Amplitude,
        &DecoderConfig { shots: Some(10_000), ..born.clone() },
    )?;

    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let eval_shots = [None, Some(100), Some(1000), Some(10_000)];
    println!(
        "Reconstruction of the 2,000 held-out images (FID on our classifier features, n = 2000; MSE per pixel):\n"
    );
    println!(
        "| encoding, decoder | training shots | train time (s) | FID exact | FID S=100 | FID S=1000 | FID S=10^4 | MSE S=1000 |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let shown: Vec<usize> = (0..20).collect();
    let originals = mnist.test.select(&shown)?;
    let mut grid = originals.images().pixels().to_vec();
    let mut grid_labels = originals.labels().to_vec();
    for p in &pairings {
        let mut fids = Vec::new();
        let mut mse = f32::NAN;
        for s in eval_shots {
            let rec = p.decoder.reconstruct(&test, &p.encoder, s, &mut rng)?;
            fids.push(evaluator.score(&rec)?.fid);
            if s == Some(1000) {
                mse = (&rec - &test).norm_squared() / test.len() as f32;
                let first = ImageSet::from_matrix(&rec.columns(0, shown.len()).into_owned())?;
                grid.extend_from_slice(first.pixels());
                grid_labels.extend(
                    evaluator.classifier().predict(&rec.columns(0, shown.len()).into_owned())?,
                );
            }
        }
        println!(
            "| {} | {} | {:.0} | {:.3} | {:.3} | {:.3} | {:.3} | {:.4} |",
            p.name,
            fmt_shots(p.train_shots),
            p.seconds,
            fids[0],
            fids[1],
            fids[2],
            fids[3],
            mse
        );
    }
    // The amplitude encoding also has a closed-form decoder: the distribution is the image.
    let mut fids = Vec::new();
    for s in eval_shots {
        let stats = Encoder::Amplitude.statistics(&test, StatisticsKind::Born)?;
        let mut rec = DMatrix::zeros(784, stats.len());
        for (mut col, st) in rec.column_iter_mut().zip(&stats) {
            let st = match s {
                Some(s) => st.sample_shots(s, &mut rng)?,
                None => st.clone(),
            };
            let Statistics::Born(p) = st else { return Err(Error::NotAProductEncoding) };
            col.copy_from_slice(&amplitude_image(&p)?);
        }
        fids.push(evaluator.score(&rec)?.fid);
    }
    println!(
        "| amplitude, closed form (distribution rescaled to max 1) | - | 0 | {:.3} | {:.3} | {:.3} | {:.3} | - |",
        fids[0], fids[1], fids[2], fids[3]
    );
    std::fs::create_dir_all(&out).map_err(|e| Error::Io { path: out.clone(), source: e })?;
    let grid_path = out.join("reconstructions.png");
    let config = GridConfig { columns: shown.len(), ..GridConfig::default() };
    write_png_grid(&grid_path, &ImageSet::new(grid)?, Some(&grid_labels), &config)?;

    println!(
        "\nAblation: 2,000 Haar-random product states decoded directly (no reverse process), exact statistics:\n"
    );
    println!("| decoder | FID | mean confidence | classes with >= 5% |");
    println!("|---|---|---|---|");
    let mut seeds_grid = Vec::new();
    let mut seeds_labels = Vec::new();
    for p in pairings.iter().filter(|p| !matches!(p.encoder, Encoder::Amplitude)) {
        let states = haar_states(2000, p.decoder.num_qubits(), &mut rng)?;
        let stats: Vec<Statistics> =
            states.iter().map(|s| Statistics::exact(s, p.decoder.kind())).collect();
        let images = p.decoder.decode(&stats)?;
        let score = evaluator.score(&images)?;
        let covered = score.class_histogram.iter().filter(|&&f| f >= 0.05).count();
        println!("| {} | {:.3} | {:.3} | {covered} |", p.name, score.fid, score.mean_confidence);
        let first = images.columns(0, shown.len()).into_owned();
        seeds_grid.extend_from_slice(ImageSet::from_matrix(&first)?.pixels());
        seeds_labels.extend(evaluator.classifier().predict(&first)?);
    }
    let seeds_path = out.join("haar_seeds_decoded.png");

    // Mixed reduced states have Bloch vectors shorter than 1; the decoders saw only unit ones.
    println!(
        "\nShortened Bloch vectors (r * exact, as for mixed reduced states), end-to-end decoder, held-out encodings:\n"
    );
    println!("| length r | FID decoded as is | FID after project_to_sphere |");
    println!("|---|---|---|");
    let end_to_end = &pairings[0];
    let exact = end_to_end.encoder.statistics(&test, StatisticsKind::Bloch)?;
    for r in [1.0, 0.9, 0.7, 0.5, 0.3] {
        let shrunk: Vec<Statistics> = exact
            .iter()
            .map(|s| match s {
                Statistics::Bloch(v) => {
                    Statistics::Bloch(v.iter().map(|b| b.map(|x| x * r)).collect())
                }
                other => other.clone(),
            })
            .collect();
        let projected: Vec<Statistics> = shrunk.iter().map(Statistics::project_to_sphere).collect();
        let as_is = evaluator.score(&end_to_end.decoder.decode(&shrunk)?)?.fid;
        let fixed = evaluator.score(&end_to_end.decoder.decode(&projected)?)?.fid;
        println!("| {r} | {as_is:.3} | {fixed:.3} |");
    }
    write_png_grid(&seeds_path, &ImageSet::new(seeds_grid)?, Some(&seeds_labels), &config)?;
    eprintln!("grids written to {} and {}", grid_path.display(), seeds_path.display());
    Ok(())
}
