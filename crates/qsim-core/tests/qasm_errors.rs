//! Bad OpenQASM input: every kind of mistake is an `Error::Qasm` that points at the right place.

use qsim_core::{Error, QasmError, qasm};

/// Two lines of header, so statements below start on line 3.
const HEADER: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n";

fn qasm_error(source: &str) -> QasmError {
    match qasm::parse(source) {
        Err(Error::Qasm(e)) => e,
        other => panic!("expected an OpenQASM error for\n{source}\ngot {other:?}"),
    }
}

/// Asserts the error's position and that its message contains `needle`.
#[track_caller]
fn assert_error(source: &str, line: usize, column: usize, needle: &str) {
    let e = qasm_error(source);
    assert_eq!((e.line, e.column), (line, column), "position of `{}` for\n{source}", e.message);
    assert!(e.message.contains(needle), "message `{}` lacks `{needle}`", e.message);
}

fn program(body: &str) -> String {
    format!("{HEADER}{body}")
}

#[test]
fn unknown_gates() {
    assert_error(&program("qreg q[2];\nfoo q[0];"), 4, 1, "unknown gate `foo`");
    // qelib1 names need the include.
    assert_error("OPENQASM 2.0;\nqreg q[1];\n  h q[0];", 3, 3, "include \"qelib1.inc\"");
    assert_error("qreg q[1];\nryy(0.1) q[0], q[0];", 2, 1, "unknown gate `ryy`");
    // A gate body may only call gates defined before it (so no recursion).
    assert_error(&program("gate g a { g a; }"), 3, 12, "unknown gate `g`");
}

#[test]
fn wrong_parameter_and_argument_counts() {
    assert_error(&program("qreg q[2];\nrx q[0];"), 4, 1, "takes 1 parameter(s), got 0");
    assert_error(&program("qreg q[2];\nh(0.5) q[0];"), 4, 1, "takes 0 parameter(s), got 1");
    assert_error(
        &program("qreg q[2];\ncu3(1, 2) q[0], q[1];"),
        4,
        1,
        "takes 3 parameter(s), got 2",
    );
    assert_error(&program("qreg q[2];\ncx q[0];"), 4, 1, "acts on 2 qubit(s), got 1");
    assert_error(&program("qreg q[3];\nh q[0], q[1];"), 4, 1, "acts on 1 qubit(s), got 2");
    assert_error(
        &program("gate g(a, b) x { rx(a + b) x; }\nqreg q[1];\ng(1) q[0];"),
        5,
        1,
        "takes 2 parameter(s), got 1",
    );
    assert_error(&program("gate g a { cx a; }"), 3, 12, "acts on 2 qubit(s), got 1");
}

#[test]
fn registers_and_indices() {
    assert_error(&program("qreg q[2];\nh q[2];"), 4, 5, "index 2 is out of range");
    assert_error(&program("qreg q[2];\nh q[99999999999999999999999];"), 4, 5, "out of range");
    assert_error(&program("qreg q[2];\nh r[0];"), 4, 3, "undefined register `r`");
    assert_error(&program("qreg q[1];\ncreg c[1];\nh c[0];"), 5, 3, "classical register");
    assert_error(&program("qreg q[1];\ncreg c[1];\nmeasure c[0] -> q[0];"), 5, 9, "classical");
    assert_error(&program("qreg q[1];\nh q[0.5];"), 4, 5, "integer index");
    assert_error(&program("qreg q[0];"), 3, 8, "at least one bit");
    assert_error(&program("qreg q[20000];"), 3, 8, "past 16384");
    assert_error(&program("qreg pi[2];"), 3, 6, "keyword");
}

#[test]
fn duplicate_qubits_and_broadcast_mismatches() {
    assert_error(&program("qreg q[2];\ncx q[1], q[1];"), 4, 10, "q[1] is used twice");
    assert_error(&program("qreg q[2];\ncx q, q;"), 4, 7, "q[0] is used twice");
    assert_error(&program("qreg q[2];\nccx q[0], q[1], q[0];"), 4, 17, "twice");
    assert_error(&program("qreg q[2];\nbarrier q, q[1];"), 4, 12, "twice");
    assert_error(&program("gate g a, b { cx a, a; }"), 3, 21, "used twice");
    assert_error(&program("gate g a, a { h a; }"), 3, 11, "declared twice");
    assert_error(&program("qreg a[2];\nqreg b[3];\ncx a, b;"), 5, 7, "equal size");
    assert_error(&program("qreg q[2];\ncreg c[3];\nmeasure q -> c;"), 5, 14, "sizes differ");
    assert_error(&program("qreg q[2];\ncreg c[2];\nmeasure q -> c[0];"), 5, 14, "not a mix");
}

#[test]
fn redefinitions() {
    assert_error(&program("gate h a { U(0, 0, 0) a; }"), 3, 6, "already defined by \"qelib1.inc\"");
    assert_error(
        &program("gate g a { h a; }\ngate g a { x a; }"),
        4,
        6,
        "already defined at line 3",
    );
    assert_error(&program("opaque g a;\ngate g a { x a; }"), 4, 6, "already defined");
    assert_error(&program("gate U a { }"), 3, 6, "cannot be redefined");
    assert_error(&program("qreg q[1];\ncreg q[1];"), 4, 6, "already declared at line 3");
    assert_error(
        "OPENQASM 2.0;\ngate h a { U(pi/2, 0, pi) a; }\ninclude \"qelib1.inc\";",
        3,
        9,
        "`h`",
    );
    assert_error(&program("include \"qelib1.inc\";"), 3, 9, "already included");
}

#[test]
fn missing_semicolons_and_truncated_files() {
    assert_error(&program("qreg q[1]\nh q[0];"), 4, 1, "expected `;`");
    assert_error(&program("qreg q[1];\nh q[0]\nx q[0];"), 5, 1, "expected `;`");
    assert_error(&program("qreg q[1];\nh q[0]"), 4, 7, "found end of file");
    assert_error(&program("qreg q[1];\nh q["), 4, 5, "found end of file");
    assert_error(&program("qreg q[1];\nrx(0.5"), 4, 7, "found end of file");
    assert_error(&program("qreg"), 3, 5, "found end of file");
    assert_error("OPENQASM 2.0", 1, 13, "found end of file");
}

#[test]
fn non_finite_angles() {
    assert_error(&program("qreg q[1];\nrx(1/0) q[0];"), 4, 4, "not a finite number");
    assert_error(&program("qreg q[1];\nu3(0, ln(0), 0) q[0];"), 4, 7, "not a finite number");
    assert_error(&program("qreg q[1];\nrz(sqrt(-1)) q[0];"), 4, 4, "NaN");
    assert_error(&program("qreg q[1];\nrx(1e999) q[0];"), 4, 4, "inf");
    // Inside a gate body the angle is only known at the call, so the call is blamed.
    assert_error(
        &program("gate g(a) x { rx(1/a) x; }\nqreg q[1];\n  g(0) q[0];"),
        5,
        3,
        "non-finite angle",
    );
}

#[test]
fn unterminated_constructs() {
    assert_error(&program("qreg q[1];\ngate g a {\n  h a;\n"), 4, 10, "never closed");
    assert_error("OPENQASM 2.0;\ninclude \"qelib1.inc;\nqreg q[1];", 2, 9, "unterminated string");
    assert_error(&program("qreg q[1];\nrx((0.5) q[0];"), 4, 10, "expected `)`");
    assert_error(&program("qreg q[1];\nrx(0.5 q[0];"), 4, 8, "expected `)`");
}

#[test]
fn unsupported_and_malformed_statements() {
    assert_error(&program("qreg q[1];\ncreg c[1];\nif (c == 1) x q[0];"), 5, 1, "not supported");
    assert_error(&program("opaque magic(a) x;\nqreg q[1];\nmagic(0.1) q[0];"), 5, 1, "opaque");
    assert_error(
        &program("opaque magic x;\ngate g x { magic x; }\nqreg q[1];\ng q[0];"),
        6,
        1,
        "opaque gate `magic`",
    );
    assert_error("OPENQASM 2.0;\ninclude \"stdgates.inc\";", 2, 9, "only \"qelib1.inc\"");
    assert_error("OPENQASM 3.0;", 1, 10, "only 2.0");
    assert_error("qreg q[1];\nOPENQASM 2.0;", 2, 1, "first statement");
    assert_error(&program("qreg q[1];\nh q[0]; é"), 4, 9, "unexpected character");
    assert_error(&program("qreg q[1];\n/* block */"), 4, 1, "expected a statement");
    assert_error(&program("qreg q[1];\nrx(theta) q[0];"), 4, 4, "unknown name `theta`");
    assert_error(&program("gate g(a) x { rx(b) x; }"), 3, 18, "not a parameter");
    assert_error(&program("gate g x { h y; }"), 3, 14, "not a qubit argument");
    assert_error(&program("gate g x { h x[0]; }"), 3, 15, "cannot be indexed");
    assert_error(
        &program("qreg q[1];\ncreg c[1];\ngate g x { measure x -> c[0]; }"),
        5,
        12,
        "not allowed",
    );
    assert_error(&program("gate g(a) { }"), 3, 11, "qubit argument name");
}

#[test]
fn hostile_inputs_are_bounded() {
    let deep = format!("{HEADER}qreg q[1];\nrx({}1{}) q[0];", "(".repeat(5000), ")".repeat(5000));
    assert!(qasm_error(&deep).message.contains("nested"));

    // Each level calls the previous twice: 2^40 gates if nothing stopped it.
    let mut source = program("gate g0 a { h a; h a; }\n");
    for level in 1..=40 {
        source += &format!("gate g{level} a {{ g{} a; g{} a; }}\n", level - 1, level - 1);
    }
    source += "qreg q[1];\ng40 q[0];";
    assert_error(&source, 45, 1, "expands to more than");

    // Long definition chains must not overflow the stack when expanded.
    let mut chain = program("gate g0 a { x a; }\n");
    for level in 1..=20_000 {
        chain += &format!("gate g{level} a {{ g{} a; }}\n", level - 1);
    }
    chain += "qreg q[1];\ng20000 q[0];";
    let circuit = qasm::parse(&chain).expect("a deep but small expansion is fine");
    assert_eq!(circuit.gate_count(), 1);

    // Huge signatures are looked up through hash maps, not quadratic scans.
    let names: Vec<String> = (0..50_000).map(|i| format!("a{i}")).collect();
    let wide = program(&format!(
        "opaque big({}) x;\ngate wide {} {{ barrier {}; }}\n",
        names.join(","),
        names.join(","),
        names.join(",")
    ));
    assert!(qasm::parse(&wide).is_ok());
}

#[test]
fn a_source_over_the_length_limit_is_refused_before_parsing() {
    let huge = " ".repeat(qasm::MAX_SOURCE_BYTES + 1);
    let err = qasm::parse(&huge).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit, .. } if limit == qasm::MAX_SOURCE_BYTES as u64),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!("the OpenQASM source is {} bytes (limit 67108864)", qasm::MAX_SOURCE_BYTES + 1)
    );
    // At the limit it is read (and, being empty of statements, is an empty circuit).
    assert!(qasm::parse(&huge[1..]).is_ok());
}
