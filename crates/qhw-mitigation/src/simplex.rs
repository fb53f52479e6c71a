//! Euclidean projection onto the probability simplex.

/// The point of `{x : x_i >= 0, sum x_i = 1}` closest to `v` in Euclidean distance.
///
/// The projection is `x_i = max(v_i - tau, 0)` for the unique `tau` that makes the result sum to
/// 1; `tau` is found from the sorted values in O(n log n) (Held, Wolfe and Crowder 1974; Duchi et
/// al. 2008). Non-finite inputs are treated as 0 so the result is always a distribution; an empty
/// input gives an empty output.
pub fn project_to_simplex(v: &[f64]) -> Vec<f64> {
    if v.is_empty() {
        return Vec::new();
    }
    let clean: Vec<f64> = v.iter().map(|x| if x.is_finite() { *x } else { 0.0 }).collect();
    let mut sorted = clean.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let mut cumulative = 0.0;
    let mut tau = 0.0;
    for (i, &s) in sorted.iter().enumerate() {
        cumulative += s;
        let candidate = (cumulative - 1.0) / (i + 1) as f64;
        // The active set is the largest prefix whose smallest member stays above tau.
        if s - candidate > 0.0 {
            tau = candidate;
        }
    }
    clean.iter().map(|x| (x - tau).max(0.0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributions_are_fixed_points_and_known_cases_project_right() {
        let p = [0.2, 0.3, 0.5];
        let x = project_to_simplex(&p);
        assert!(x.iter().zip(p).all(|(a, b)| (a - b).abs() < 1e-15));
        // (1.2, -0.2) -> (1, 0); (0.6, 0.6) -> (0.5, 0.5)
        assert_eq!(project_to_simplex(&[1.2, -0.2]), vec![1.0, 0.0]);
        let y = project_to_simplex(&[0.6, 0.6]);
        assert!((y[0] - 0.5).abs() < 1e-15 && (y[1] - 0.5).abs() < 1e-15);
    }
}
