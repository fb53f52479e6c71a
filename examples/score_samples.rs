//! Scores a set of generated digits against the held-out MNIST split.
//!
//! ```sh
//! cargo run --release --example score_samples -- samples.idx
//! ```
//!
//! The input is any IDX file of unsigned bytes with shape N x 28 x 28 (gzip or raw), e.g. one
//! written by `qdecoder::dataset::ImageSet::write_idx`. The output is one JSON object on stdout:
//! `fid` (FID on our classifier features, not Inception-FID), `mean_confidence`,
//! `class_histogram` (10 fractions) and `n`. The first run trains the FID classifier (about 30 s
//! on two cores) and caches it; later runs load it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use qdecoder::checkpoint::CacheStatus;
use qdecoder::dataset::ImageSet;
use qdiff_examples::error_line::run_main;
use qdiff_examples::scoring::{Scoring, ScoringArgs};

/// Score an IDX sample set (uint8, N x 28 x 28) against the held-out MNIST split.
///
/// Prints one JSON object: `fid` (Frechet distance between Gaussian fits of the samples' and the
/// held-out images' features; the features are the 128-unit penultimate layer of the project's
/// own MNIST classifier, so this is "FID on our classifier features", not Inception-FID),
/// `mean_confidence` (mean top-class probability), `class_histogram` (fraction of samples per
/// predicted digit 0-9) and `n` (number of samples). Progress goes to stderr.
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Args {
    /// IDX file of samples (unsigned bytes, N x 28 x 28, at least 2 images; gzip or raw).
    samples: PathBuf,

    #[command(flatten)]
    scoring: ScoringArgs,
}

fn run(args: Args) -> Result<(), qdecoder::Error> {
    let samples = ImageSet::read_idx(&args.samples)?;
    let epochs = args.scoring.classifier_config().train.epochs;
    let Scoring { mnist, evaluator, classifier_path, classifier_status } =
        args.scoring.load(|r| {
            eprintln!("  classifier epoch {}/{epochs}: loss {:.4}", r.epoch, r.loss);
        })?;
    let cache = classifier_path.display();
    match classifier_status {
        CacheStatus::Loaded => eprintln!("loaded the FID classifier from {cache}"),
        CacheStatus::Trained { reason } => {
            eprintln!("trained the FID classifier ({reason}); cached at {cache}")
        }
    }
    let score = evaluator.score(&samples.to_matrix())?;
    eprintln!(
        "scored {} samples from {} against {} held-out images (FID on our classifier features)",
        score.n,
        args.samples.display(),
        mnist.test.len()
    );
    let features = if args.scoring.independent { "independent classifier" } else { "ours" };
    let json = serde_json::json!({
        "fid": score.fid,
        "features": features,
        "mean_confidence": score.mean_confidence,
        "class_histogram": score.class_histogram,
        "n": score.n,
    });
    println!("{json}");
    Ok(())
}

fn main() -> ExitCode {
    run_main(|| run(Args::parse()))
}
