//! Turns the reports of `bench-peers` into markdown: one table per workload with each
//! simulator's best time at 1 and 2 threads and the ratio ours/peer, the targets, the
//! cross-simulator checksums, and the machine and command.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use super::{
    BATCH_QUBITS, BATCH_SIZE, CHECK_TOLERANCE, GATE_ANGLE, GATE_LOOP_AMPLITUDES, LAYERS, REPEATS,
    REPEATS_BATCH, REPEATS_GATES_24, REPEATS_STAIRCASE_24, Run, SEED, Simulator, THREAD_VARIABLES,
    THREADS,
};

/// What the tables say about how they were made.
pub struct Context {
    /// The command line, as a user would type it.
    pub command: String,
    /// `/proc/loadavg` before and after the runs (None where unavailable).
    pub load_before: Option<String>,
    pub load_after: Option<String>,
}

/// The markdown, and everything that should fail the command.
pub struct Outcome {
    pub markdown: String,
    pub problems: Vec<String>,
}

/// The 1, 5 and 15 minute load averages, where the OS reports them.
pub fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

/// One line of a table: a (workload, qubit count, label) with its best time per thread count.
struct Row<'a> {
    workload: &'a str,
    num_qubits: usize,
    simulator: Simulator,
    label: &'a str,
    reference_only: bool,
    note: &'a str,
    /// Best seconds at each entry of [`THREADS`].
    best: [Option<f64>; 2],
}

impl Row<'_> {
    /// The best time over thread counts, and that thread count.
    fn best(&self) -> Option<(f64, usize)> {
        self.best
            .iter()
            .zip(THREADS)
            .filter_map(|(b, t)| b.map(|b| (b, t)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }
}

/// The workloads as they appear in reports, in table order, with their headings.
const SECTIONS: [(&str, &str); 5] = [
    ("staircase", "Staircase circuit, full statevector"),
    ("adjoint", "Adjoint gradient"),
    ("gate_1q", "Single-qubit gate"),
    ("gate_2q", "Two-qubit gate"),
    ("batch", "Batched 10-qubit circuits"),
];

/// What a section's workload is and what its timed region holds.
fn description(workload: &str) -> String {
    let loops: Vec<String> = super::GATE_QUBITS
        .iter()
        .map(|n| format!("{} at {n} qubits", (GATE_LOOP_AMPLITUDES >> n).max(1)))
        .collect();
    match workload {
        "staircase" => format!(
            "{LAYERS} layers of RY and RZ on every qubit, then CX(0,1), CX(1,2), ..., CX(n-2,n-1); \
             the full statevector from |0...0>. Timed: allocating the state and running the \
             pre-built (pre-transpiled) circuit. Best of {REPEATS} ({REPEATS_STAIRCASE_24} at 24 \
             qubits) after one untimed warm-up run."
        ),
        "adjoint" => format!(
            "Value and gradient of <Z_0 Z_(n-1)> with respect to all {} angles of the \
             {LAYERS}-layer staircase, from |0...0>. Timed: one gradient call on a pre-built \
             circuit and observable. Best of {REPEATS} after a warm-up run. Qiskit Aer has no \
             adjoint gradient.",
            2 * super::GRADIENT_QUBITS * LAYERS
        ),
        "gate_1q" | "gate_2q" => format!(
            "{} on a state allocated beforehand; time per application. To stay far above the \
             timer's resolution each timed loop applies the gate k times (k = {}); for the Python \
             peers that is a Python loop, so their per-call overhead counts. Best of {REPEATS} \
             ({REPEATS_GATES_24} at 24 qubits) after a warm-up loop.",
            if workload == "gate_1q" {
                format!("RX({GATE_ANGLE}) on qubit n/2")
            } else {
                "CX(n/2-1, n/2)".to_string()
            },
            loops.join(", ")
        ),
        _ => format!(
            "{BATCH_SIZE} staircase circuits of {BATCH_QUBITS} qubits, each with its own angles, \
             every statevector kept. Cells: circuits per second; the ratio is ours/peer in time \
             (below 1: ours is faster). Best of {REPEATS_BATCH} after a warm-up run."
        ),
    }
}

/// Renders everything; `failures` are runs that did not finish.
pub fn render(runs: &[Run], failures: &[String], context: &Context) -> Outcome {
    let rows = collect_rows(runs);
    let mut problems: Vec<String> = failures.to_vec();
    let mut md = String::new();
    let _ = writeln!(md, "## qsim-core: performance against peers\n");
    let _ = writeln!(
        md,
        "Measured with `{}`. Times are the best of R runs; each simulator ran in a fresh process \
         at 1 and at 2 threads; \"best\" is the better of the two and the ratio ours/peer \
         compares each side's best (below 1: qsim-core is faster).\n",
        context.command
    );

    for (workload, title) in SECTIONS {
        let section: Vec<&Row> = rows.iter().filter(|r| r.workload == workload).collect();
        if !section.is_empty() {
            render_section(&mut md, workload, title, &section, &rows);
        }
    }
    render_targets(&mut md, &rows);
    render_checks(&mut md, runs, &mut problems);
    render_machine(&mut md, runs, context);
    if !failures.is_empty() {
        let _ = writeln!(md, "### Failed runs\n");
        for failure in failures {
            let _ = writeln!(md, "- {failure}");
        }
        let _ = writeln!(md);
    }
    Outcome { markdown: md, problems }
}

/// Merges the measurements of all runs into rows, ordered by workload, qubits and simulator.
fn collect_rows(runs: &[Run]) -> Vec<Row<'_>> {
    let mut rows: Vec<Row> = Vec::new();
    for run in runs {
        let Some(slot) = THREADS.iter().position(|&t| t == run.threads) else { continue };
        for m in &run.report.results {
            let index = rows.iter().position(|r| {
                r.workload == m.workload && r.num_qubits == m.num_qubits && r.label == m.label
            });
            let index = index.unwrap_or_else(|| {
                rows.push(Row {
                    workload: &m.workload,
                    num_qubits: m.num_qubits,
                    simulator: run.simulator,
                    label: &m.label,
                    reference_only: m.reference_only,
                    note: &m.note,
                    best: [None; 2],
                });
                rows.len() - 1
            });
            rows[index].best[slot] = Some(m.best_seconds);
        }
    }
    let order = |r: &Row| {
        let section = SECTIONS.iter().position(|(w, _)| *w == r.workload).unwrap_or(usize::MAX);
        let simulator = Simulator::ALL.iter().position(|s| *s == r.simulator).unwrap_or(0);
        (section, r.num_qubits, simulator)
    };
    rows.sort_by_key(order);
    rows
}

/// Our row for the same workload and qubit count.
fn ours<'r, 'a>(rows: &'r [Row<'a>], workload: &str, num_qubits: usize) -> Option<&'r Row<'a>> {
    rows.iter().find(|r| {
        r.simulator == Simulator::QsimCore && r.workload == workload && r.num_qubits == num_qubits
    })
}

fn render_section(md: &mut String, workload: &str, title: &str, section: &[&Row], rows: &[Row]) {
    let batch = workload == "batch";
    let cell = |seconds: Option<f64>| match seconds {
        None => "-".to_string(),
        Some(s) if batch => rate(BATCH_SIZE as f64 / s),
        Some(s) => duration(s),
    };
    let _ = writeln!(md, "### {title}\n\n{}\n", description(workload));
    let _ = writeln!(md, "| qubits | simulator | 1 thread | 2 threads | best | ours/peer |");
    let _ = writeln!(md, "|---:|---|---:|---:|---:|---:|");
    for row in section {
        let best = match row.best() {
            Some((b, t)) => format!("{} ({t} t)", cell(Some(b))),
            None => "-".to_string(),
        };
        let ratio = match (ours(rows, workload, row.num_qubits).and_then(Row::best), row.best()) {
            _ if row.simulator == Simulator::QsimCore => String::new(),
            (Some((o, _)), Some((p, _))) if p > 0.0 => format!("{:.2}", o / p),
            _ => "-".to_string(),
        };
        let label = if row.reference_only {
            format!("{} (reference)", row.label)
        } else {
            row.label.into()
        };
        let _ = writeln!(
            md,
            "| {} | {label} | {} | {} | {best} | {ratio} |",
            row.num_qubits,
            cell(row.best[0]),
            cell(row.best[1]),
        );
    }
    let mut notes: Vec<(&str, &str)> =
        section.iter().filter(|r| !r.note.is_empty()).map(|r| (r.label, r.note)).collect();
    notes.dedup();
    notes.sort();
    notes.dedup();
    if !notes.is_empty() {
        let _ = writeln!(md);
    }
    for (label, note) in notes {
        let _ = writeln!(md, "- {label}: {note}");
    }
    let _ = writeln!(md);
}

/// The targets: staircase <= 0.5x the fastest peer, adjoint <= 0.1x Lightning's.
fn render_targets(md: &mut String, rows: &[Row]) {
    let mut lines = Vec::new();
    for (workload, target, peer_filter) in [
        ("staircase", 0.5, (|_: &Row| true) as fn(&Row) -> bool),
        ("adjoint", 0.1, |r: &Row| r.simulator == Simulator::Lightning),
    ] {
        let mut counts: Vec<usize> =
            rows.iter().filter(|r| r.workload == workload).map(|r| r.num_qubits).collect();
        counts.dedup();
        for n in counts {
            let Some((ours_best, _)) = ours(rows, workload, n).and_then(Row::best) else {
                continue;
            };
            let peer = rows
                .iter()
                .filter(|r| r.workload == workload && r.num_qubits == n)
                .filter(|r| r.simulator != Simulator::QsimCore && !r.reference_only)
                .filter(|r| peer_filter(r))
                .filter_map(|r| r.best().map(|(b, _)| (r, b)))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            let Some((peer, peer_best)) = peer else { continue };
            let ratio = ours_best / peer_best;
            let status = if ratio <= target {
                "met".to_string()
            } else {
                format!("not met: {:.1}x the target time", ratio / target)
            };
            lines.push(format!(
                "| {workload} | {n} | {} | {} {} | {ratio:.2} | <= {target} | {status} |",
                duration(ours_best),
                peer.label,
                duration(peer_best),
            ));
        }
    }
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### Targets (issue 2)\n\nStaircase: at most 0.5x the fastest peer's time; adjoint \
         gradient: at most 0.1x PennyLane Lightning's (its faster way of calling it). Each side \
         at its best thread count; reference-only rows excluded.\n"
    );
    let _ = writeln!(md, "| workload | qubits | qsim-core | peer | ours/peer | target | status |");
    let _ = writeln!(md, "|---|---:|---:|---|---:|---:|---|");
    for line in lines {
        let _ = writeln!(md, "{line}");
    }
    let _ = writeln!(md);
}

/// One checksum and the run that reported it.
struct Checked<'a> {
    label: &'a str,
    threads: usize,
    check: &'a Value,
}

/// Compares every checksum with qsim-core's (or, without ours, the first one reported).
fn render_checks(md: &mut String, runs: &[Run], problems: &mut Vec<String>) {
    // (section, qubits) -> every checksum, ours first.
    let mut groups: BTreeMap<(usize, usize), Vec<Checked>> = BTreeMap::new();
    let mut sorted: Vec<&Run> = runs.iter().collect();
    sorted.sort_by_key(|r| r.simulator != Simulator::QsimCore);
    for run in sorted {
        for m in &run.report.results {
            if let Some(check) = &m.check {
                let section = SECTIONS.iter().position(|(w, _)| *w == m.workload).unwrap_or(0);
                let checked = Checked { label: &m.label, threads: run.threads, check };
                groups.entry((section, m.num_qubits)).or_default().push(checked);
            }
        }
    }
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### Checksums\n\nEvery run's result is compared, number by number, with qsim-core's \
         (tolerance {CHECK_TOLERANCE:e}): the statevector's first 8 amplitudes and <Z_0 Z_(n-1)>, \
         the gradient's value and all its entries, and the batch's sum of <Z_0 Z_(n-1)>.\n"
    );
    let _ = writeln!(md, "| workload | qubits | value (reference) | runs | largest deviation |");
    let _ = writeln!(md, "|---|---:|---|---:|---:|");
    for ((section, n), checks) in groups {
        let workload = SECTIONS[section].0;
        let (ref_label, reference) = (checks[0].label, checks[0].check);
        let mut largest = 0.0f64;
        for &Checked { label, threads, check } in &checks[1..] {
            match deviation(reference, check) {
                Ok(d) if d <= CHECK_TOLERANCE => largest = largest.max(d),
                Ok(d) => {
                    largest = largest.max(d);
                    problems.push(format!(
                        "{workload} at {n} qubits: {label} at {threads} thread(s) differs from \
                         {ref_label} by {d:e} (tolerance {CHECK_TOLERANCE:e})"
                    ));
                }
                Err(e) => problems.push(format!(
                    "{workload} at {n} qubits: {label} at {threads} thread(s) cannot be compared \
                     with {ref_label}: {e}"
                )),
            }
        }
        let value = ["zz", "value", "zz_sum"]
            .iter()
            .find_map(|k| reference[k].as_f64().map(|v| format!("{k} = {v:.12}")))
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "| {workload} | {n} | {value} ({ref_label}) | {} | {largest:.1e} |",
            checks.len()
        );
    }
    let _ = writeln!(md);
}

/// Largest absolute difference between two checksums of the same shape.
fn deviation(a: &Value, b: &Value) -> Result<f64, String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            let d = (x - y).abs();
            if d.is_nan() { Err(format!("non-numeric value ({x} vs {y})")) } else { Ok(d) }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).try_fold(0.0, |m, (x, y)| Ok(f64::max(m, deviation(x, y)?)))
        }
        (Value::Array(x), Value::Array(y)) => {
            Err(format!("{} entries against {}", x.len(), y.len()))
        }
        (Value::Object(x), Value::Object(y)) => x.iter().try_fold(0.0, |m, (key, x)| {
            let y = y.get(key).ok_or_else(|| format!("no {key:?}"))?;
            Ok(f64::max(m, deviation(x, y)?))
        }),
        _ => Err(format!("different kinds of value ({a} vs {b})")),
    }
}

fn render_machine(md: &mut String, runs: &[Run], context: &Context) {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let logical = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(logical);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let kib: f64 = m.lines().next()?.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!(", {:.1} GiB memory", kib / (1024.0 * 1024.0)))
        })
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| format!(", Linux {}", k.trim()))
        .unwrap_or_default();
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc: unknown".into());
    let mut versions: BTreeMap<&str, &str> = BTreeMap::new();
    for run in runs {
        for (package, version) in &run.report.versions {
            versions.insert(package, version);
        }
    }
    let python = versions.remove("python").unwrap_or("unknown");
    let ours = versions.remove("qsim-core").unwrap_or("unknown");
    let packages: Vec<String> = versions.iter().map(|(p, v)| format!("{p} {v}")).collect();
    let _ = writeln!(md, "### Machine and command\n");
    let _ = writeln!(md, "- Command: `{}`", context.command);
    let _ =
        writeln!(md, "- CPU: {model}, {cores} usable of {logical} logical CPUs{memory}{kernel}");
    let _ = writeln!(md, "- qsim-core {ours}, built by {rustc} (release profile)");
    let _ = writeln!(
        md,
        "- Python {python}; peers pinned in `xtask/peers/requirements.txt`: {}",
        packages.join(", ")
    );
    let _ = writeln!(
        md,
        "- Angles: seeded ChaCha8 (seed {SEED}), written once to the workload file every side \
         reads; threads fixed per process through {}",
        THREAD_VARIABLES.join(", ")
    );
    let load = |l: &Option<String>| l.clone().unwrap_or_else(|| "unknown".into());
    let _ = writeln!(
        md,
        "- Load average (1, 5, 15 min) before: {}, after: {}. Other work on the machine during \
         the run makes the numbers noisy; rerun on a quiet machine before quoting them.\n",
        load(&context.load_before),
        load(&context.load_after)
    );
}

/// A duration with three significant digits and a readable unit.
fn duration(seconds: f64) -> String {
    let (value, unit) = match seconds.abs() {
        s if s < 1e-6 => (seconds * 1e9, "ns"),
        s if s < 1e-3 => (seconds * 1e6, "µs"),
        s if s < 1.0 => (seconds * 1e3, "ms"),
        _ => (seconds, "s"),
    };
    format!("{} {unit}", significant(value))
}

/// A rate per second with three significant digits.
fn rate(per_second: f64) -> String {
    if per_second >= 1e6 {
        format!("{}M/s", significant(per_second / 1e6))
    } else if per_second >= 1e3 {
        format!("{}k/s", significant(per_second / 1e3))
    } else {
        format!("{}/s", significant(per_second))
    }
}

fn significant(value: f64) -> String {
    let decimals = match value.abs() {
        v if v >= 100.0 => 0,
        v if v >= 10.0 => 1,
        _ => 2,
    };
    format!("{value:.decimals$}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Measurement, Report};
    use super::*;

    fn run(simulator: Simulator, zz: f64) -> Run {
        let measurement = Measurement {
            workload: "staircase".into(),
            num_qubits: 10,
            label: format!("{simulator:?}"),
            reference_only: false,
            best_seconds: 1e-3,
            note: String::new(),
            check: Some(json!({ "zz": zz, "amplitudes": [[0.5, 0.0]] })),
        };
        let report = Report { versions: BTreeMap::new(), threads: 1, results: vec![measurement] };
        Run { simulator, threads: 1, report }
    }

    #[test]
    fn disagreeing_checksums_are_problems() {
        let context = Context { command: "test".into(), load_before: None, load_after: None };
        let agree = [run(Simulator::QsimCore, 0.25), run(Simulator::Qulacs, 0.25 + 1e-12)];
        assert!(render(&agree, &[], &context).problems.is_empty());
        let differ = [run(Simulator::QsimCore, 0.25), run(Simulator::Qulacs, 0.26)];
        let outcome = render(&differ, &[], &context);
        assert_eq!(outcome.problems.len(), 1, "{:?}", outcome.problems);
        assert!(outcome.markdown.contains("| staircase | 10 |"));
    }

    #[test]
    fn deviation_is_the_largest_difference_and_needs_the_same_shape() {
        let d = deviation(&json!({ "a": [1.0, 2.0], "b": 3 }), &json!({ "a": [1.0, 2.5], "b": 3 }));
        assert_eq!(d, Ok(0.5));
        assert!(deviation(&json!([1.0, 2.0]), &json!([1.0])).is_err());
        assert!(deviation(&json!({ "a": 1.0 }), &json!({ "b": 1.0 })).is_err());
    }
}
