//! Property tests: the simplex projection, the tensored model, least squares and M3.

use proptest::prelude::*;
use qhw_mitigation::correction::{Correction, least_squares_on_simplex, mitigate};
use qhw_mitigation::counts::Counts;
use qhw_mitigation::m3::{M3Options, M3Solver, m3_correct};
use qhw_mitigation::readout::{AssignmentMatrix, FullReadout, TensoredReadout};
use qhw_mitigation::simplex::project_to_simplex;

fn flips(n: usize) -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec((0.0..0.2f64, 0.0..0.2f64), n)
}

proptest! {
    #[test]
    fn projection_is_a_distribution_idempotent_and_optimal(
        v in prop::collection::vec(-3.0..3.0f64, 1..40),
        w in prop::collection::vec(0.0..1.0f64, 40),
    ) {
        let x = project_to_simplex(&v);
        prop_assert!(x.iter().all(|&xi| xi >= 0.0));
        prop_assert!((x.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let again = project_to_simplex(&x);
        prop_assert!(x.iter().zip(&again).all(|(a, b)| (a - b).abs() < 1e-12));
        // Optimality (variational inequality): (v - x) . (y - x) <= 0 for any y in the simplex.
        let total: f64 = w[..v.len()].iter().sum::<f64>().max(1e-12);
        let y: Vec<f64> = w[..v.len()].iter().map(|wi| wi / total).collect();
        let inner: f64 = v.iter().zip(&x).zip(&y).map(|((vi, xi), yi)| (vi - xi) * (yi - xi)).sum();
        prop_assert!(inner <= 1e-9, "inner product {}", inner);
    }

    #[test]
    fn tensored_and_full_models_agree(f in flips(4), x in prop::collection::vec(0.0..1.0f64, 16)) {
        let t = TensoredReadout::from_flips(&f).unwrap();
        let full = FullReadout::from_tensored(&t).unwrap();
        let (a, b) = (t.apply(&x).unwrap(), full.apply(&x).unwrap());
        prop_assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 1e-13));
        let (a, b) = (t.solve(&x).unwrap(), full.solve(&x).unwrap());
        prop_assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 1e-9));
        let (a, b) = (t.apply_transpose(&x).unwrap(), full.apply_transpose(&x).unwrap());
        prop_assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 1e-13));
    }

    #[test]
    fn least_squares_is_a_distribution_no_worse_than_the_projected_inverse(
        f in flips(3),
        counts in prop::collection::vec(0u64..200, 8),
    ) {
        prop_assume!(counts.iter().sum::<u64>() > 0);
        let t = TensoredReadout::from_flips(&f).unwrap();
        let c = Counts::from_pairs(3, counts.iter().copied().enumerate()).unwrap();
        let p = c.dense_frequencies().unwrap();
        let x = least_squares_on_simplex(&t, &p).unwrap();
        prop_assert!(x.iter().all(|&xi| xi >= 0.0));
        prop_assert!((x.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let objective = |y: &[f64]| -> f64 {
            t.apply(y).unwrap().iter().zip(&p).map(|(a, b)| (a - b) * (a - b)).sum()
        };
        let start = project_to_simplex(&t.solve(&p).unwrap());
        prop_assert!(objective(&x) <= objective(&start) + 1e-15);
        let q = mitigate(&t, &c, &Correction::LeastSquares).unwrap();
        prop_assert!((q.total() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn m3_quasi_probabilities_sum_to_one_and_solvers_agree(
        f in flips(5),
        counts in prop::collection::vec((0usize..32, 1u64..100), 1..20),
        distance in 1usize..=5,
    ) {
        let t = TensoredReadout::from_flips(&f).unwrap();
        let c = Counts::from_pairs(5, counts).unwrap();
        let g = m3_correct(&t, &c, &M3Options { distance: Some(distance), solver: M3Solver::default() }).unwrap();
        let d = m3_correct(&t, &c, &M3Options { distance: Some(distance), solver: M3Solver::Direct }).unwrap();
        prop_assert!((g.quasi.total() - 1.0).abs() < 1e-10);
        prop_assert_eq!(g.quasi.len(), c.len());
        for (k, v) in g.quasi.iter() {
            prop_assert!((v - d.quasi.get(k)).abs() < 1e-9);
        }
    }
}
