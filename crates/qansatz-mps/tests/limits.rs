//! The size limits of configurations read from files: each is a typed error naming the limit.

use std::path::Path;

use qansatz_mps::Error;
use qansatz_mps::ansatz::{Ansatz, AnsatzConfig, MAX_LAYERS};
use qansatz_mps::embedding::{ConditionalAnsatz, ConditionalConfig, Conditioning, MAX_PARAMS};
use qansatz_mps::params::{FORMAT, ParameterFile, decode_params};

#[test]
fn too_many_layers_is_refused_before_the_circuit_is_built() {
    let config = AnsatzConfig { layers: usize::MAX, ..AnsatzConfig::default() };
    let err = Ansatz::new(config).unwrap_err();
    assert!(matches!(&err, Error::TooLarge(l) if l.limit == MAX_LAYERS as u64), "{err}");
    assert_eq!(
        err.to_string(),
        format!("the ansatz configuration declares {} layers (limit 10000)", usize::MAX)
    );
    let at_limit = AnsatzConfig { layers: MAX_LAYERS, num_qubits: 1, ..AnsatzConfig::default() };
    assert!(Ansatz::new(at_limit).is_ok());
}

#[test]
fn qubit_counts_that_overflow_are_refused() {
    let config =
        AnsatzConfig { num_qubits: usize::MAX, num_ancillas: 2, ..AnsatzConfig::default() };
    assert!(matches!(Ansatz::new(config), Err(Error::InvalidConfig { .. })));
}

#[test]
fn too_many_parameters_is_refused_for_every_conditioning() {
    let config = AnsatzConfig::default();
    for (conditioning, steps) in
        [(Conditioning::Embedded { dim: usize::MAX }, 10), (Conditioning::PerStep, usize::MAX)]
    {
        let err = ConditionalAnsatz::new(config.clone(), conditioning, steps).unwrap_err();
        assert!(
            matches!(&err, Error::TooLarge(l) if l.unit == "parameters" && l.limit == MAX_PARAMS as u64),
            "{err}"
        );
    }
}

#[test]
fn a_parameter_file_declaring_a_huge_model_is_a_typed_error() {
    let file = ParameterFile {
        config: ConditionalConfig {
            ansatz: AnsatzConfig::default(),
            conditioning: Conditioning::Embedded { dim: 1 << 40 },
            steps: 10,
        },
        params: vec![],
    };
    let bytes = FORMAT.encode(&file).unwrap();
    let err = decode_params(&bytes, Path::new("huge.par")).unwrap_err();
    assert!(matches!(err, Error::TooLarge(_)), "{err}");
}
