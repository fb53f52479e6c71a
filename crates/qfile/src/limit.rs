//! [`OverLimit`]: the error of an input that declares more than a documented limit allows.
//!
//! Readers of outside bytes check every size an input declares (an item count, a number of
//! layers or steps, a decompressed length) against a `pub const` limit beside them before
//! allocating anything of that size; the crates' error enums wrap this one type, so the
//! message always names the input, the size and the limit.

use thiserror::Error;

/// An input declares (or holds) more than a limit allows: "x.idx: IDX header declares
/// 4294967295 items (limit 10000000)".
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{what} {found} {unit} (limit {limit})")]
pub struct OverLimit {
    /// The input and how it states the size ("x.idx: IDX header declares").
    pub what: String,
    /// The size found (saturated at `u64::MAX`).
    pub found: u64,
    /// What is counted ("items", "layers", "bytes").
    pub unit: &'static str,
    /// The limit.
    pub limit: u64,
}

impl OverLimit {
    /// `Ok` if `found <= limit`, else the error; `what` is only built for the error.
    pub fn check(
        what: impl FnOnce() -> String,
        found: u64,
        unit: &'static str,
        limit: u64,
    ) -> Result<(), OverLimit> {
        if found <= limit { Ok(()) } else { Err(OverLimit { what: what(), found, unit, limit }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_up_to_the_limit_and_names_it_beyond() {
        assert!(OverLimit::check(|| unreachable!(), 10, "items", 10).is_ok());
        let err = OverLimit::check(|| "x.idx: IDX header declares".into(), 11, "items", 10);
        assert_eq!(err.unwrap_err().to_string(), "x.idx: IDX header declares 11 items (limit 10)");
    }
}
