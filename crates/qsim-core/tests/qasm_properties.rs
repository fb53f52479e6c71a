//! Property tests of the OpenQASM importer and exporter: the importer never panics on any input,
//! and export followed by import reproduces the circuit.

use std::sync::OnceLock;

use proptest::prelude::*;
use qsim_core::circuit::{Circuit, Operation, Param};
use qsim_core::gate::Gate;
use qsim_core::matrix::Matrix;
use qsim_core::state::StateVector;
use qsim_core::{Complex64, qasm};

/// Valid programs to truncate and mutate: the reference cases plus one that uses every
/// statement kind.
fn seeds() -> &'static [String] {
    static SEEDS: OnceLock<Vec<String>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/qasm-reference");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("testdata/qasm-reference exists")
            .map(|e| e.expect("directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "qasm"))
            .collect();
        files.sort();
        let mut seeds: Vec<String> =
            files.iter().map(|p| std::fs::read_to_string(p).expect("readable case")).collect();
        seeds.push(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n// everything at once\n\
             opaque magic(a) x;\ngate g(t, p) a, b { rz(t*2) b; barrier a, b; U(p, 0, -p) a; }\n\
             gate ryy(theta) a,b { rx(pi/2) a; rx(pi/2) b; cx a,b; rz(theta) b; cx a,b; \
             rx(-pi/2) a; rx(-pi/2) b; }\nqreg q[3];\nqreg r[3];\ncreg c[3];\n\
             h q;\ncx q, r;\ng(0.25, -pi/2^2) q[0], r[2];\nryy(sqrt(2)*exp(-1)) q[1], q[2];\n\
             c4x q[0], q[1], q[2], r[0], r[1];\nbarrier q, r[0];\nmeasure q -> c;\n\
             reset r;\nmeasure r[1] -> c[0];\n"
                .to_string(),
        );
        seeds
    })
}

/// Characters that make up OpenQASM, so random text reaches deep into the parser.
const ALPHABET: &[char] = &[
    'q', 'r', 'c', 'h', 'x', 'u', 'g', 'a', 't', 'e', 'p', 'i', '0', '1', '2', '9', '.', '[', ']',
    '(', ')', '{', '}', ';', ',', '-', '>', '+', '*', '/', '^', '"', '=', ' ', '\n', 'é',
];

fn mutate(seed: &str, position: f64, kind: u8, replacement: char) -> String {
    let chars: Vec<char> = seed.chars().collect();
    let at = ((chars.len() as f64 * position) as usize).min(chars.len());
    let mut out: Vec<char> = chars[..at].to_vec();
    match kind % 4 {
        0 => {} // truncate
        1 => {
            out.push(replacement);
            out.extend(&chars[at..]);
        }
        2 => out.extend(chars.iter().skip(at + 1)),
        _ => {
            out.push(replacement);
            out.extend(chars.iter().skip(at + 1));
        }
    }
    out.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = qasm::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_token_soup_never_panics(
        text in proptest::collection::vec(proptest::sample::select(ALPHABET), 0..200)
    ) {
        let source: String = text.into_iter().collect();
        let _ = qasm::parse(&source);
        let _ = qasm::parse(&format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\n{source}"));
    }

    #[test]
    fn mutated_valid_programs_never_panic(
        seed in 0usize..41,
        edits in proptest::collection::vec(
            (0.0..1.0f64, any::<u8>(), proptest::sample::select(ALPHABET)), 1..4),
    ) {
        let mut source = seeds()[seed % seeds().len()].clone();
        for (position, kind, replacement) in edits {
            source = mutate(&source, position, kind, replacement);
        }
        match qasm::parse(&source) {
            Ok(_) => {}
            Err(qsim_core::Error::Qasm(e)) => {
                // Positions point into the text (the end of the file counts as a position).
                let lines = source.split('\n').count();
                prop_assert!(e.line >= 1 && e.line <= lines, "line {} of {lines}", e.line);
                prop_assert!(e.column >= 1);
            }
            Err(other) => prop_assert!(false, "non-QASM error {other:?}"),
        }
    }
}

/// One step of a random circuit; qubits are picked without replacement by `picks`.
#[derive(Clone, Debug)]
enum Step {
    Gate { gate: Gate, picks: [usize; 5], angles: [f64; 4] },
    Unitary { controlled: bool, picks: [usize; 5], angles: [f64; 4] },
    Barrier { picks: [usize; 5], width: usize },
    Measure { pick: usize, clbit: usize },
    Reset { pick: usize },
}

fn angle() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -7.0..7.0f64,
        1 => -1e6..1e6f64,
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => 1e-300..1e-200f64,
    ]
}

fn step(unitary_only: bool) -> impl Strategy<Value = Step> {
    let picks = || proptest::array::uniform5(0usize..64);
    let angles = || proptest::array::uniform4(angle());
    let unitary = prop_oneof![
        8 => (proptest::sample::select(Gate::ALL.to_vec()), picks(), angles())
            .prop_map(|(gate, picks, angles)| Step::Gate { gate, picks, angles }),
        // Moderate angles: `u3` of huge angles is itself unitary only to about 1e-11, and no
        // decomposition can reproduce a non-unitary matrix to 1e-12.
        1 => (any::<bool>(), picks(), proptest::array::uniform4(-7.0..7.0f64))
            .prop_map(|(controlled, picks, angles)| Step::Unitary { controlled, picks, angles }),
        1 => (picks(), 1usize..4).prop_map(|(picks, width)| Step::Barrier { picks, width }),
    ];
    if unitary_only {
        unitary.boxed()
    } else {
        prop_oneof![
            8 => unitary,
            1 => (0usize..64, 0usize..3).prop_map(|(pick, clbit)| Step::Measure { pick, clbit }),
            1 => (0usize..64).prop_map(|pick| Step::Reset { pick }),
        ]
        .boxed()
    }
}

fn pick(n: usize, picks: &[usize], k: usize) -> Vec<usize> {
    let mut pool: Vec<usize> = (0..n).collect();
    picks.iter().take(k).map(|&p| pool.remove(p % pool.len())).collect()
}

/// Builds the circuit with the builder API, skipping steps wider than the register.
fn build(n: usize, steps: &[Step]) -> Circuit {
    let mut c = Circuit::with_clbits(n, 3);
    for s in steps {
        let result = match s {
            Step::Gate { gate, picks, angles } if gate.num_qubits() <= n => {
                let params: Vec<Param> =
                    angles[..gate.num_params()].iter().map(|&a| Param::Fixed(a)).collect();
                c.gate(*gate, &pick(n, picks, gate.num_qubits()), &params).map(|_| ())
            }
            Step::Unitary { controlled, picks, angles } if !controlled || n >= 2 => {
                let [t, p, l, g] = *angles;
                let m: Matrix = Gate::U3
                    .matrix(&[t, p, l])
                    .expect("finite angles")
                    .scale(Complex64::from_polar(1.0, g));
                let qubits = pick(n, picks, if *controlled { 2 } else { 1 });
                c.controlled_unitary(&qubits[1..], &qubits[..1], m).map(|_| ())
            }
            Step::Barrier { picks, width } => {
                c.barrier(&pick(n, picks, (*width).min(n))).map(|_| ())
            }
            Step::Measure { pick: p, clbit } => c.measure(p % n, *clbit).map(|_| ()),
            Step::Reset { pick: p } => c.reset(p % n).map(|_| ()),
            _ => Ok(()),
        };
        result.expect("the builder accepts every generated step");
    }
    c
}

fn final_state(c: &Circuit) -> StateVector {
    let mut psi = StateVector::new(c.num_qubits()).expect("small register");
    psi.apply_circuit(c, &[]).expect("unitary circuit");
    psi
}

/// Largest amplitude difference after removing the global phase of `b` relative to `a`.
fn distance_up_to_phase(a: &StateVector, b: &StateVector) -> f64 {
    let overlap = a.inner(b).expect("same size");
    let phase = if overlap.norm() > 0.0 {
        overlap.conj() / overlap.norm()
    } else {
        Complex64::new(1.0, 0.0)
    };
    a.amplitudes()
        .iter()
        .zip(b.amplitudes())
        .map(|(x, y)| (x - y * phase).norm())
        .fold(0.0, f64::max)
}

fn max_distance(a: &StateVector, b: &StateVector) -> f64 {
    a.amplitudes().iter().zip(b.amplitudes()).map(|(x, y)| (x - y).norm()).fold(0.0, f64::max)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn export_then_import_gives_the_same_statevector(
        n in 1usize..7,
        steps in proptest::collection::vec(step(true), 0..40),
    ) {
        let original = build(n, &steps);
        let text = qasm::to_qasm(&original).expect("bound circuits with small unitaries export");
        let back = qasm::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        prop_assert_eq!(back.num_qubits(), n);
        let (a, b) = (final_state(&original), final_state(&back));
        // Uncontrolled unitaries lose their global phase, which OpenQASM 2 cannot express.
        let bare_unitary = original.ops().iter().any(
            |op| matches!(op, Operation::Unitary { controls, .. } if controls.is_empty()));
        let dist = if bare_unitary { distance_up_to_phase(&a, &b) } else { max_distance(&a, &b) };
        prop_assert!(dist < 1e-12, "deviation {dist:e}\n{text}");
    }

    #[test]
    fn qelib1_circuits_round_trip_exactly(
        n in 1usize..7,
        steps in proptest::collection::vec(step(false), 0..40),
    ) {
        // Only gates that export under their own name (no definitions, no u0 -> id).
        let steps: Vec<Step> = steps
            .into_iter()
            .filter(|s| match s {
                Step::Gate { gate, .. } => gate.in_qelib1() && *gate != Gate::U0,
                Step::Unitary { .. } => false,
                _ => true,
            })
            .collect();
        let original = build(n, &steps);
        let text = qasm::to_qasm(&original).expect("exportable");
        let back = qasm::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        prop_assert_eq!(back, original, "{}", text);
    }
}

#[test]
fn unbound_parameters_are_refused_with_advice() {
    let mut c = Circuit::new(2);
    c.h(0).unwrap().ry(1, Param::var(3)).unwrap();
    match qasm::to_qasm(&c) {
        Err(qsim_core::Error::NotExportable { reason }) => {
            assert!(reason.contains("bind"), "{reason}")
        }
        other => panic!("expected NotExportable, got {other:?}"),
    }
}
