//! Adam (Kingma and Ba, 2015) for flat parameter vectors, serialisable so training can resume.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The Adam optimiser with its moment estimates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    /// Step size.
    pub learning_rate: f64,
    /// Decay of the first moment.
    pub beta1: f64,
    /// Decay of the second moment.
    pub beta2: f64,
    /// Denominator guard.
    pub epsilon: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: u64,
}

impl Adam {
    /// Adam for `n` parameters with the usual defaults (0.9, 0.999, 1e-8).
    pub fn new(n: usize, learning_rate: f64) -> Self {
        Self {
            learning_rate,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    /// Steps taken so far.
    pub fn steps_taken(&self) -> u64 {
        self.t
    }

    /// Number of parameters it was built for.
    pub fn len(&self) -> usize {
        self.m.len()
    }

    /// True if it was built for no parameters.
    pub fn is_empty(&self) -> bool {
        self.m.is_empty()
    }

    /// One descent step on `params` with gradient `grad`; both must have the length given at
    /// construction (an error, not a silent truncation, if not: nothing is changed then).
    pub fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<()> {
        for (what, got) in [("parameters", params.len()), ("gradient", grad.len())] {
            if got != self.m.len() {
                return Err(Error::DimensionMismatch { what, expected: self.m.len(), got });
            }
        }
        self.t += 1;
        let (b1, b2) = (self.beta1, self.beta2);
        let c1 = 1.0 - b1.powi(self.t as i32);
        let c2 = 1.0 - b2.powi(self.t as i32);
        for (((p, g), m), v) in params.iter_mut().zip(grad).zip(&mut self.m).zip(&mut self.v) {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= self.learning_rate * (*m / c1) / ((*v / c2).sqrt() + self.epsilon);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_minimises_a_quadratic() {
        let mut x = vec![3.0, -2.0];
        let mut adam = Adam::new(2, 0.1);
        for _ in 0..500 {
            let g: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
            adam.step(&mut x, &g).unwrap();
        }
        assert!(x.iter().all(|v| v.abs() < 1e-3), "{x:?}");
    }

    #[test]
    fn a_gradient_of_the_wrong_length_is_an_error_and_changes_nothing() {
        let mut x = vec![3.0, -2.0];
        let mut adam = Adam::new(2, 0.1);
        let err = adam.step(&mut x, &[1.0]).unwrap_err();
        assert!(matches!(err, Error::DimensionMismatch { what: "gradient", expected: 2, got: 1 }));
        assert!(adam.step(&mut [0.0; 3], &[1.0, 1.0]).is_err());
        assert_eq!((x, adam.steps_taken()), (vec![3.0, -2.0], 0));
    }
}
