//! Data-parallel training and sampling: with the batch split over K ranks (threads of an
//! in-process group), every rank ends with the parameters, losses and moving average of the
//! plain one-process trainer, bit for bit, for every loss term and K = 1, 2, 3, 4.

use qansatz_mps::ansatz::{AnsatzConfig, Block, Entangler, Init};
use qansatz_mps::embedding::{ConditionalAnsatz, Conditioning};
use qchannels::schedule::Schedule;
use qcomm::{Collective, LocalGroup};
use qdiffusion::data::EncodedData;
use qdiffusion::distance::{Distance, MarginalMmd, MmdKernel};
use qdiffusion::features::Readout;
use qdiffusion::forward::{ForwardProcess, NoiseKind};
use qdiffusion::reverse::ReverseModel;
use qdiffusion::sample;
use qdiffusion::train::{Loss, Terms, TrainConfig, TrainState, Trainer, share_state};

fn setup(steps: usize) -> (ReverseModel, ForwardProcess, EncodedData) {
    let config = AnsatzConfig {
        num_qubits: 3,
        num_ancillas: 1,
        layers: 2,
        block: Block::RyRz,
        entangler: Entangler::StaircaseXy,
        final_block: true,
        ancilla_coupling: Default::default(),
    };
    let reverse = ReverseModel::new(
        ConditionalAnsatz::new(config, Conditioning::Embedded { dim: 3 }, steps).unwrap(),
    )
    .unwrap();
    let forward = ForwardProcess::new(Schedule::cosine(steps, 0.008).unwrap(), NoiseKind::Local);
    // Two clusters of product states: near |000> and near |+++>.
    let data = EncodedData::Product(
        (0..40)
            .map(|i| {
                let jitter = 0.05 * ((i as f64) * 0.7).sin();
                if i % 2 == 0 {
                    vec![(0.1 + jitter, 0.0); 3]
                } else {
                    vec![(std::f64::consts::FRAC_PI_2 + jitter, 0.0); 3]
                }
            })
            .collect(),
    );
    (reverse, forward, data)
}

/// Every loss term (end, levels, teacher forcing, sequential, the per-qubit MMD, the moving
/// average), the denoising fidelity, the sliced Wasserstein distance on the Born readout, and a
/// batch smaller than the group; 11 samples split unevenly over 2, 3 and 4 ranks.
fn configs() -> Vec<TrainConfig> {
    let gaussian = MmdKernel::Gaussian { scales: vec![0.5, 1.0] };
    let base = TrainConfig {
        iterations: 3,
        batch: 11,
        data_batch: 13,
        learning_rate: 0.05,
        final_learning_rate: 0.01,
        loss: Loss::Ensembles {
            distance: Distance::Mmd { kernel: gaussian.clone() },
            terms: Terms { end: 1.0, levels: 0.7, teacher: 0.3, sequential: 0.4 },
        },
        readout: Readout::Bloch,
        marginal: Some(MarginalMmd { kernel: gaussian.clone(), weight: 0.5 }),
        init: Init::NearIdentity { scale: 0.01 },
        ema: Some(0.5),
        seed: 3,
        checkpoint_every: 0,
    };
    vec![
        base.clone(),
        TrainConfig { loss: Loss::DenoisingFidelity, marginal: None, ..base.clone() },
        // Fewer samples than ranks: some ranks hold none.
        TrainConfig { batch: 2, ..base.clone() },
        TrainConfig {
            loss: Loss::Ensembles {
                distance: Distance::SlicedWasserstein { projections: 5 },
                terms: Terms { levels: 0.5, ..Terms::END },
            },
            readout: Readout::Born,
            marginal: None,
            ..base
        },
    ]
}

#[test]
fn every_number_of_ranks_trains_bit_identical_parameters() {
    let (reverse, forward, data) = setup(3);
    for config in configs() {
        let trainer = Trainer::new(&reverse, &forward, &data, config.clone()).unwrap();
        let mut plain = trainer.init_state();
        trainer.train(&mut plain, None, |_| {}).unwrap();
        for ranks in 1..=4 {
            let states: Vec<TrainState> = LocalGroup::run(ranks, |comm| {
                let start = comm.is_root().then(|| trainer.init_state());
                let mut state = share_state(comm, start)?;
                trainer.train_on(comm, &mut state, None, |_| Ok(()))?;
                Ok::<_, qdiffusion::Error>(state)
            })
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
            for (rank, state) in states.iter().enumerate() {
                assert_eq!(state, &plain, "{:?}, rank {rank} of {ranks}", config.loss);
            }
        }
    }
}

#[test]
fn a_resumed_run_on_another_number_of_ranks_continues_bit_identically() {
    let (reverse, forward, data) = setup(3);
    let config = TrainConfig { iterations: 4, ..configs().remove(0) };
    let trainer = Trainer::new(&reverse, &forward, &data, config).unwrap();
    let mut plain = trainer.init_state();
    trainer.train(&mut plain, None, |_| {}).unwrap();
    // Two iterations on 3 ranks, then the rest on 2 from rank 0's state.
    let halfway = LocalGroup::run(3, |comm| {
        let mut state = share_state(comm, comm.is_root().then(|| trainer.init_state()))?;
        for _ in 0..2 {
            trainer.step_on(comm, &mut state)?;
        }
        Ok::<_, qdiffusion::Error>(state)
    });
    let root = halfway.into_iter().next().unwrap().unwrap();
    for result in LocalGroup::run(2, |comm| {
        let mut state = share_state(comm, comm.is_root().then(|| root.clone()))?;
        trainer.train_on(comm, &mut state, None, |_| Ok(()))?;
        Ok::<_, qdiffusion::Error>(state)
    }) {
        assert_eq!(result.unwrap(), plain);
    }
}

#[test]
fn every_number_of_ranks_draws_the_same_samples() {
    let (reverse, ..) = setup(3);
    let params: Vec<f64> =
        (0..reverse.model().num_params()).map(|i| 0.3 * (i as f64 * 0.9).sin()).collect();
    let seeds = sample::seeds(3, 9, 5).unwrap();
    let plain = sample::generate(&reverse, &params, &seeds, 5, Readout::Bloch).unwrap();
    for ranks in 1..=4 {
        for result in LocalGroup::run(ranks, |comm| {
            sample::generate_on(comm, &reverse, &params, &seeds, 5, Readout::Bloch)
        }) {
            assert_eq!(result.unwrap(), plain, "{ranks} ranks");
        }
    }
}
