"""Writes qdiff device files (crates/qhw-mitigation/calibration/*.json) from the IBM
calibration snapshots that qiskit-ibm-runtime ships with its fake backends.

The numbers follow Qiskit Aer's NoiseModel.from_backend (qiskit_aer/noise/device/models.py),
so that our NoisyDevice and Aer's noise model describe the same device:

* T2 is capped at 2 T1, as Aer's _truncate_t2_value does; temperature 0 (no excited-state
  population), Aer's default.
* The depolarizing parameter of a gate is what Aer's _device_depolarizing_error derives: the
  reported gate error e is an average gate infidelity 1 - F of "depolarizing then thermal
  relaxation for the gate's duration"; with F_r the average gate fidelity of the relaxation part
  and d = 2^n, p = d (e - (1 - F_r)) / (d F_r - 1), 0 when e <= 1 - F_r, e clipped at d/(d+1)
  first. Our files store p (rho -> (1 - p) rho + p I/d), not e.
* One-qubit gates: the sx entry of each qubit (x and id carry the same error and duration in
  these snapshots; the script checks it). rz is virtual (zero duration and error): virtual_z.
* Two-qubit gates: the cx entry of each coupler. Our couplers are undirected, so the two
  directions are merged: mean error and mean duration, p derived from them (p is affine in e,
  so this is also the mean of the two directions' p at the mean duration). The largest
  differences between directions are written into the file's source text.
* Readout: prob_meas1_prep0 and prob_meas0_prep1 of the snapshot's properties. Aer's
  from_backend on these BackendV2 fakes uses the symmetric `error` of the measure instruction
  (the mean of the two) for both flips, because their Target does not carry the asymmetric
  numbers; the asymmetric ones are the measured ones.
* Faulty parts: couplers whose cx error is reported as 1 (IBM's marker of a gate that failed
  calibration) are left out of the coupling map; qubits whose readout flips sum to 1/3 or more
  are listed in faulty_qubits (at 3x error scale their readout would carry no information).

Usage: python convert.py OUT_DIR
"""

import json
import sys
from importlib.metadata import version
from pathlib import Path
from statistics import median

import qiskit.quantum_info as qi
from qiskit_aer.noise import thermal_relaxation_error
from qiskit_ibm_runtime import fake_provider

# (fake backend class, file stem). Both use cx as their two-qubit basis gate.
BACKENDS = [("FakeKolkataV2", "ibm_kolkata_27q"), ("FakeWashingtonV2", "ibm_washington_127q")]

# Labelled assumption, not a published figure: device time per job for loading, compiling
# and returning results (queueing excluded). The example device uses the same value.
JOB_LATENCY_S = 4.0

# A qubit whose readout flips sum to this or more is listed as faulty.
FAULTY_READOUT_SUM = 1.0 / 3.0


def relaxation(t1, t2, duration):
    """Aer's thermal relaxation error for one qubit (seconds), T2 capped at 2 T1."""
    return thermal_relaxation_error(t1, min(t2, 2.0 * t1), duration, 0.0)


def depolarizing_parameter(error, relax, num_qubits):
    """Aer's _device_depolarizing_error, returning the parameter (0 when none)."""
    relax_fid = qi.average_gate_fidelity(relax) if relax is not None else 1.0
    relax_infid = 1.0 - relax_fid
    if error is None or error <= relax_infid:
        return 0.0
    dim = 2**num_qubits
    error = min(error, dim / (dim + 1))
    p = dim * (error - relax_infid) / (dim * relax_fid - 1)
    return min(p, 4**num_qubits / (4**num_qubits - 1))


def convert(class_name, stem):
    backend = getattr(fake_provider, class_name)()
    target = backend.target
    props = backend.properties()
    config = backend.configuration()
    n = backend.num_qubits
    qprops = target.qubit_properties
    notes = []

    # One-qubit gates.
    sx_durations = []
    qubits = []
    mismatched_x = []
    for q in range(n):
        sx = target["sx"][(q,)]
        for other in ("x", "id"):
            o = target[other][(q,)]
            if (o.error, o.duration) != (sx.error, sx.duration):
                mismatched_x.append((other, q, o.error, sx.error, o.duration, sx.duration))
        t1, t2 = qprops[q].t1, qprops[q].t2
        p1 = depolarizing_parameter(sx.error, relaxation(t1, t2, sx.duration), 1)
        if p1 > 1.0:
            raise SystemExit(f"{class_name}: qubit {q} has a depolarizing parameter {p1} > 1")
        sx_durations.append(sx.duration * 1e9)
        qubits.append(
            {
                "readout_p1_given_0": props.qubit_property(q, "prob_meas1_prep0")[0],
                "readout_p0_given_1": props.qubit_property(q, "prob_meas0_prep1")[0],
                "gate_error_1q": p1,
                "relaxation": {
                    "model": "t1_t2",
                    "t1_us": t1 * 1e6,
                    "t2_us": min(t2, 2.0 * t1) * 1e6,
                },
            }
        )
    capped = [q for q in range(n) if qprops[q].t2 > 2.0 * qprops[q].t1]
    gate_time_1q = max(set(sx_durations), key=sx_durations.count)
    overrides = [
        {"qubits": [q], "time_ns": t} for q, t in enumerate(sx_durations) if t != gate_time_1q
    ]

    # Two-qubit gates, both directions merged.
    cx = target["cx"]
    pairs = sorted({tuple(sorted(k)) for k in cx})
    couplers = []
    coupler_times = []
    dropped = []
    max_de = max_dt = max_dp = 0.0
    worst_de = worst_dt = worst_dp = None
    for a, b in pairs:
        sides = [cx[k] for k in ((a, b), (b, a)) if k in cx]
        errors = [s.error for s in sides]
        durations = [s.duration for s in sides]
        e = sum(errors) / len(errors)
        t = sum(durations) / len(durations)
        if e >= 1.0:
            dropped.append((a, b))
            continue

        def p2(err, dur):
            relax = relaxation(qprops[a].t1, qprops[a].t2, dur).expand(
                relaxation(qprops[b].t1, qprops[b].t2, dur)
            )
            return depolarizing_parameter(err, relax, 2)

        p = p2(e, t)
        if p > 1.0:
            raise SystemExit(f"{class_name}: coupler {a}-{b} has a depolarizing parameter {p} > 1")
        if len(sides) == 2:
            de = abs(errors[0] - errors[1])
            dt = abs(durations[0] - durations[1]) * 1e9
            dp = max(abs(p2(err, dur) - p) for err, dur in zip(errors, durations))
            if de > max_de:
                max_de, worst_de = de, (a, b)
            if dt > max_dt:
                max_dt, worst_dt = dt, (a, b)
            if dp > max_dp:
                max_dp, worst_dp = dp, (a, b)
        couplers.append({"qubits": [a, b], "gate_error_2q": p})
        coupler_times.append(((a, b), t * 1e9))
    gate_time_2q = median(t for _, t in coupler_times)
    overrides += [
        {"qubits": list(k), "time_ns": t} for k, t in coupler_times if t != gate_time_2q
    ]

    faulty = sorted(
        set(props.faulty_qubits())
        | {
            q
            for q, c in enumerate(qubits)
            if c["readout_p1_given_0"] + c["readout_p0_given_1"] >= FAULTY_READOUT_SUM
        }
    )

    readout_len_us = target["measure"][(0,)].duration * 1e6
    rep_delay_us = config.default_rep_delay * 1e6
    shot_time_us = rep_delay_us + readout_len_us

    if mismatched_x:
        notes.append(f"x/id entries that differ from sx: {mismatched_x}.")
    else:
        notes.append("x and id carry the same error and duration as sx on every qubit.")
    notes.append(
        f"Two-qubit directions merged by the mean of error and duration: largest difference "
        f"between the two directions of a pair {max_de:.3g} in reported error"
        f"{f' (coupler {worst_de})' if worst_de else ''}, {max_dt:.4g} ns in duration "
        f"(coupler {worst_dt}), {max_dp:.3g} in the derived depolarizing parameter "
        f"(coupler {worst_dp})."
    )
    if dropped:
        notes.append(f"Couplers reported with cx error 1 and left out: {dropped}.")
    if faulty:
        notes.append(
            f"Faulty qubits (readout flips P(1|0) + P(0|1) >= 1/3): {faulty}."
        )
    if capped:
        notes.append(f"T2 capped at 2 T1 (as Aer does) on qubits {capped}.")

    family = config.processor_type or {}
    revision = family.get("revision", "")
    description = (
        f"IBM {props.backend_name.replace('fake_', 'ibm_')} ({family.get('family', '?')} "
        f"r{revision}, {n} qubits, basis cx/sx/x/id/rz), from the calibration snapshot of "
        f"{props.last_update_date.isoformat()}. gate_error_1q and gate_error_2q are "
        f"depolarizing parameters p (rho -> (1-p) rho + p I/d), derived from the reported "
        f"average gate infidelities minus the thermal-relaxation infidelity of the gate's "
        f"duration, as Qiskit Aer's NoiseModel.from_backend does; they are not infidelities. "
        f"rz is virtual (virtual_z). T1/T2 relaxation applies during gates only; idle qubits, "
        f"reset and measure are noiseless (readout error aside)."
    )
    source = (
        f"qiskit_ibm_runtime.fake_provider.{class_name} (qiskit-ibm-runtime "
        f"{version('qiskit-ibm-runtime')}, backend_version {props.backend_version}, properties "
        f"last_update_date {props.last_update_date.isoformat()}), converted by "
        f"xtask/devices/convert.py with qiskit {version('qiskit')} and qiskit-aer "
        f"{version('qiskit-aer')}. Readout: prob_meas1_prep0 and prob_meas0_prep1 of each qubit. "
        f"One-qubit gates: the sx entry. Two-qubit gates: the cx entry. " + " ".join(notes) + (
            f" shot_time_us = the configuration's default_rep_delay ({rep_delay_us:.4g} us) "
            f"plus one readout ({readout_len_us:.4g} us), circuit time not included. "
            f"job_latency_s = {JOB_LATENCY_S} s is an assumption (loading, compilation and "
            f"results; no queueing), not a published figure."
        )
    )
    device = {
        "name": stem.replace("_", "-"),
        "description": description,
        "source": source,
        "qubits": qubits,
        "couplers": couplers,
        "gate_time_1q_ns": gate_time_1q,
        "gate_time_2q_ns": gate_time_2q,
        "gate_time_overrides": overrides,
        "virtual_z": True,
        "faulty_qubits": faulty,
        "job_latency_s": JOB_LATENCY_S,
        "shot_time_us": shot_time_us,
        "simulation": {"density_matrix_max_qubits": 10},
    }
    summary = {
        "max_direction_error_diff": max_de,
        "max_direction_duration_diff_ns": max_dt,
        "max_direction_p_diff": max_dp,
        "dropped_couplers": dropped,
        "faulty_qubits": faulty,
    }
    return device, summary


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for class_name, stem in BACKENDS:
        device, summary = convert(class_name, stem)
        path = out / f"{stem}.json"
        path.write_text(json.dumps(device, indent=1) + "\n")
        print(f"wrote {path}: {len(device['qubits'])} qubits, {len(device['couplers'])} couplers, "
              f"{summary}")


if __name__ == "__main__":
    main()
