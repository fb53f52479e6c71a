//! How long a circuit takes on a calibrated device: an as-soon-as-possible schedule built from
//! the device's gate durations.
//!
//! Every qubit has a clock, starting at 0. Operations are taken in circuit order; each starts
//! when all its qubits are free (the largest of their clocks) and moves their clocks to its end:
//!
//! - a one-qubit gate on `q` lasts the qubit's one-qubit gate time (`gate_time_1q_ns`, or its
//!   entry in `gate_time_overrides`); with `virtual_z`, the diagonal gates `rz`, `p`, `u1`, `z`,
//!   `s`, `sdg`, `t`, `tdg` are frame changes and last 0 (`id` stays a physical gate);
//! - a two-qubit gate lasts its coupler's time (`gate_time_2q_ns` or the coupler's override); a
//!   pair that is not a coupler is an [`Error::NotCoupled`], a gate on three or more qubits an
//!   [`Error::UnsupportedOperation`], as on the device itself;
//! - a `unitary` lasts a gate of its width (one qubit: never virtual; two: the coupler's time);
//! - `measure` lasts the readout time ([`DeviceCalibration::readout_time_ns`]) and `reset` the
//!   reset time ([`DeviceCalibration::reset_time_ns`]);
//! - `barrier` lasts 0 but synchronises its qubits: all their clocks move to the latest.
//!
//! A circuit without `measure` is read on every qubit at the end, as the device does
//! ([`crate::execution`]): one readout is added to every clock. The circuit's duration is the
//! largest clock. Parameters do not matter (durations do not depend on angles), so unbound
//! circuits can be scheduled.
//!
//! The schedule is only a clock: idle qubits get no noise ([`crate::device`]), and the gates'
//! own noise does not depend on when they start. A job's device time charges this duration
//! once per shot on top of the calibration's `shot_time_us` ([`crate::backend::JobTiming`],
//! `docs/devices.md`).
//!
//! ```
//! use qhw_mitigation::device::DeviceCalibration;
//! use qhw_mitigation::device::schedule::circuit_duration_ns;
//! use qsim_core::circuit::Circuit;
//! // The default device: 35 ns one-qubit gates, 300 ns two-qubit gates, no readout time.
//! let cal = DeviceCalibration::default();
//! let mut c = Circuit::new(3);
//! c.x(0)?.x(1)?.cx(0, 1)?.x(2)?; // x(2) runs alongside, it needs no qubit of the others
//! assert!((circuit_duration_ns(&c, &cal)? - 335.0).abs() < 1e-9);
//! # Ok::<(), qhw_mitigation::Error>(())
//! ```

use std::collections::HashMap;

use qsim_core::circuit::{Circuit, Operation};

use super::calibration::DeviceCalibration;
use crate::error::{Error, Result};
use crate::transpile::is_diagonal;

/// The duration of every operation on a device, from its calibration.
#[derive(Clone, Debug, PartialEq)]
pub struct GateDurations {
    device: String,
    /// One-qubit gate time of each qubit, ns.
    time_1q_ns: Vec<f64>,
    /// Two-qubit gate time of each coupler (sorted pair), ns.
    time_2q_ns: HashMap<(usize, usize), f64>,
    virtual_z: bool,
    readout_ns: f64,
    reset_ns: f64,
}

/// An as-soon-as-possible schedule of one circuit ([`GateDurations::schedule`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// When each operation of the circuit starts, ns, in circuit order (a barrier: the time
    /// it moves its qubits' clocks to).
    pub start_ns: Vec<f64>,
    /// How long each operation lasts, ns, in circuit order (0 for barriers and virtual Z).
    pub duration_ns: Vec<f64>,
    /// Each qubit's clock at the end, ns (the final readout included).
    pub qubit_ns: Vec<f64>,
    /// Whether a final readout of every qubit was added (the circuit measures nothing).
    pub final_readout: bool,
}

impl Schedule {
    /// The circuit's duration: the largest clock, ns (0 for an empty circuit).
    pub fn total_ns(&self) -> f64 {
        self.qubit_ns.iter().copied().fold(0.0, f64::max)
    }
}

impl GateDurations {
    /// The durations a calibration defines (after checking its times, indices and overrides).
    pub fn from_calibration(calibration: &DeviceCalibration) -> Result<Self> {
        let (time_1q_ns, time_2q_ns) = calibration.all_gate_times()?;
        let check = |what: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(v)
            } else {
                Err(Error::InvalidCalibration {
                    reason: format!("{what} = {v} must be finite and >= 0"),
                })
            }
        };
        Ok(Self {
            device: calibration.name.clone(),
            time_1q_ns,
            time_2q_ns,
            virtual_z: calibration.virtual_z,
            readout_ns: check("readout_time_ns", calibration.readout_time_ns())?,
            reset_ns: check("reset_time_ns", calibration.reset_time_ns())?,
        })
    }

    /// Qubits of the device.
    pub fn num_qubits(&self) -> usize {
        self.time_1q_ns.len()
    }

    fn check_qubit(&self, q: usize) -> Result<()> {
        if q < self.num_qubits() {
            Ok(())
        } else {
            Err(Error::UnknownQubit { qubit: q, num_qubits: self.num_qubits() })
        }
    }

    /// The duration of a gate of `name` on `qubits`, ns (`virtual_frame`: a diagonal gate
    /// the device may run as a frame change).
    fn gate_ns(&self, name: &str, qubits: &[usize], virtual_frame: bool) -> Result<f64> {
        for &q in qubits {
            self.check_qubit(q)?;
        }
        match *qubits {
            [_] if self.virtual_z && virtual_frame => Ok(0.0),
            [q] => Ok(self.time_1q_ns[q]),
            [a, b] => self
                .time_2q_ns
                .get(&(a.min(b), a.max(b)))
                .copied()
                .ok_or_else(|| Error::NotCoupled { a, b, device: self.device.clone() }),
            _ => Err(Error::UnsupportedOperation {
                op: name.to_string(),
                reason: format!(
                    "device `{}` runs one- and two-qubit gates only; decompose it first",
                    self.device
                ),
            }),
        }
    }

    /// How long one operation lasts on the device, ns (see the module documentation).
    pub fn operation_ns(&self, op: &Operation) -> Result<f64> {
        match op {
            Operation::Gate { gate, qubits, .. } => {
                self.gate_ns(gate.name(), qubits, is_diagonal(*gate))
            }
            Operation::Unitary { .. } => self.gate_ns("unitary", &op.qubits(), false),
            Operation::Measure { qubit, .. } => self.check_qubit(*qubit).map(|_| self.readout_ns),
            Operation::Reset { qubit } => self.check_qubit(*qubit).map(|_| self.reset_ns),
            Operation::Barrier { qubits } => {
                qubits.iter().try_for_each(|&q| self.check_qubit(q)).map(|_| 0.0)
            }
        }
    }

    /// The as-soon-as-possible schedule of `circuit` (see the module documentation).
    pub fn schedule(&self, circuit: &Circuit) -> Result<Schedule> {
        let width = circuit.num_qubits();
        if width > self.num_qubits() {
            return Err(Error::UnknownQubit { qubit: width - 1, num_qubits: self.num_qubits() });
        }
        let mut clock = vec![0.0_f64; width];
        let ops = circuit.ops();
        let mut start_ns = Vec::with_capacity(ops.len());
        let mut duration_ns = Vec::with_capacity(ops.len());
        let mut measures = false;
        for op in ops {
            let d = self.operation_ns(op)?;
            measures |= matches!(op, Operation::Measure { .. });
            let qubits = op.qubits();
            let start = qubits.iter().map(|&q| clock[q]).fold(0.0, f64::max);
            for &q in &qubits {
                clock[q] = start + d;
            }
            start_ns.push(start);
            duration_ns.push(d);
        }
        if !measures {
            clock.iter_mut().for_each(|c| *c += self.readout_ns);
        }
        Ok(Schedule { start_ns, duration_ns, qubit_ns: clock, final_readout: !measures })
    }

    /// The duration of `circuit` on the device, ns: [`Schedule::total_ns`] of its schedule.
    pub fn circuit_ns(&self, circuit: &Circuit) -> Result<f64> {
        Ok(self.schedule(circuit)?.total_ns())
    }
}

/// The duration of `circuit` on the device `calibration` describes, ns, from an
/// as-soon-as-possible schedule (see the module documentation). To schedule many circuits on
/// one device, build its [`GateDurations`] once.
pub fn circuit_duration_ns(circuit: &Circuit, calibration: &DeviceCalibration) -> Result<f64> {
    GateDurations::from_calibration(calibration)?.circuit_ns(circuit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::GateTimeOverride;
    use qsim_core::circuit::Param;
    use qsim_core::gate::Gate;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// The default device (35 ns / 300 ns) with a 1000 ns readout and a 700 ns reset.
    fn device() -> DeviceCalibration {
        DeviceCalibration {
            readout_time_ns: Some(1000.0),
            reset_time_ns: Some(700.0),
            ..DeviceCalibration::default()
        }
    }

    #[test]
    fn a_hand_computed_schedule() {
        let d = GateDurations::from_calibration(&device()).unwrap();
        let mut c = Circuit::with_clbits(4, 2);
        c.x(0).unwrap().sx(1).unwrap(); // both 0 -> 35, in parallel
        c.sx(1).unwrap(); // 35 -> 70 on qubit 1
        c.cx(0, 1).unwrap(); // waits for qubit 1: 70 -> 370
        c.x(2).unwrap(); // 0 -> 35, independent
        c.barrier(&[1, 2]).unwrap(); // qubit 2 waits to 370
        c.x(2).unwrap(); // 370 -> 405
        c.measure(0, 0).unwrap(); // 370 -> 1370
        c.reset(3).unwrap(); // 0 -> 700
        c.measure(2, 1).unwrap(); // 405 -> 1405
        let s = d.schedule(&c).unwrap();
        let starts = [0.0, 0.0, 35.0, 70.0, 0.0, 370.0, 370.0, 370.0, 0.0, 405.0];
        assert_eq!(s.start_ns.len(), starts.len());
        for (i, (&got, want)) in s.start_ns.iter().zip(starts).enumerate() {
            assert!(close(got, want), "operation {i}: starts at {got}, not {want}");
        }
        assert!(!s.final_readout);
        let clocks = [1370.0, 370.0, 1405.0, 700.0];
        assert!(s.qubit_ns.iter().zip(clocks).all(|(&a, b)| close(a, b)), "{:?}", s.qubit_ns);
        assert!(close(s.total_ns(), 1405.0));
        assert!(close(circuit_duration_ns(&c, &device()).unwrap(), 1405.0));
    }

    #[test]
    fn circuits_without_measure_are_read_at_the_end() {
        let mut c = Circuit::new(3);
        c.h(0).unwrap().cx(0, 1).unwrap();
        let s = GateDurations::from_calibration(&device()).unwrap().schedule(&c).unwrap();
        assert!(s.final_readout);
        // h 0 -> 35, cx 35 -> 335, then every qubit is read for 1000 ns (qubit 2 idles).
        assert!(close(s.total_ns(), 1335.0));
        assert!(close(s.qubit_ns[2], 1000.0));
        // Without a readout time (older files, the default device) only the gates count.
        assert!(close(circuit_duration_ns(&c, &DeviceCalibration::default()).unwrap(), 335.0));
    }

    #[test]
    fn virtual_z_gates_are_free_and_id_is_not() {
        let mut c = Circuit::new(1);
        c.rz(0, Param::Fixed(0.3)).unwrap().s(0).unwrap().t(0).unwrap().z(0).unwrap();
        c.sx(0).unwrap().rz(0, Param::var(0)).unwrap().gate(Gate::Id, &[0], &[]).unwrap();
        let physical = device();
        let frames = DeviceCalibration { virtual_z: true, ..device() };
        // 4 diagonal gates, sx, rz, id: 7 gates of 35 ns, or only sx and id with virtual Z
        // (plus the final readout of 1000 ns either way; the circuit needs no binding).
        assert!(close(circuit_duration_ns(&c, &physical).unwrap(), 7.0 * 35.0 + 1000.0));
        assert!(close(circuit_duration_ns(&c, &frames).unwrap(), 2.0 * 35.0 + 1000.0));
    }

    #[test]
    fn overrides_replace_the_default_times() {
        let mut cal = device();
        cal.readout_time_ns = None;
        cal.gate_time_overrides = vec![
            GateTimeOverride { qubits: vec![2], time_ns: 50.0 },
            GateTimeOverride { qubits: vec![3, 2], time_ns: 420.0 },
        ];
        let d = GateDurations::from_calibration(&cal).unwrap();
        let op = |qubits: &[usize]| Operation::Gate {
            gate: if qubits.len() == 1 { Gate::X } else { Gate::Cx },
            qubits: qubits.to_vec(),
            params: Vec::new(),
        };
        assert!(close(d.operation_ns(&op(&[2])).unwrap(), 50.0));
        assert!(close(d.operation_ns(&op(&[1])).unwrap(), 35.0));
        assert!(close(d.operation_ns(&op(&[2, 3])).unwrap(), 420.0));
        assert!(close(d.operation_ns(&op(&[1, 2])).unwrap(), 300.0));
        // Absent readout: the reset falls back to its own 700 ns, measure to 0.
        assert!(close(d.operation_ns(&Operation::Reset { qubit: 0 }).unwrap(), 700.0));
        assert!(close(d.operation_ns(&Operation::Measure { qubit: 0, clbit: 0 }).unwrap(), 0.0));
        let mut c = Circuit::new(4);
        c.x(2).unwrap().x(2).unwrap().cx(3, 2).unwrap().cx(0, 1).unwrap();
        // Qubit 2: 50 + 50 + 420 = 520 ns; qubits 0, 1: 300 ns.
        assert!(close(d.circuit_ns(&c).unwrap(), 520.0));
    }

    #[test]
    fn the_device_refuses_what_it_cannot_schedule() {
        let d = GateDurations::from_calibration(&device()).unwrap();
        let mut c = Circuit::new(3);
        c.cx(0, 2).unwrap();
        assert!(matches!(d.circuit_ns(&c), Err(Error::NotCoupled { a: 0, b: 2, .. })));
        let mut c = Circuit::new(3);
        c.ccx(0, 1, 2).unwrap();
        assert!(matches!(d.circuit_ns(&c), Err(Error::UnsupportedOperation { .. })));
        assert!(matches!(d.circuit_ns(&Circuit::new(6)), Err(Error::UnknownQubit { .. })));
        let bad = DeviceCalibration { readout_time_ns: Some(-1.0), ..device() };
        assert!(GateDurations::from_calibration(&bad).is_err());
    }
}
