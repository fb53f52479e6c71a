//! The workspace's one fingerprint hash: 64-bit FNV-1a (the `fnv` crate's hasher).
//!
//! It checksums the payload of every framed file ([`crate::frame`]) and identifies the data a
//! cached model was trained on. FNV-1a is not cryptographic; it is here because it is simple,
//! fast enough for files of a few megabytes, and detects every change of a single byte (each
//! step is a bijection of the 64-bit state), which is what a checksum against corruption needs.

use std::hash::Hasher;

use fnv::FnvHasher;

/// A running FNV-1a hash; feed bytes with [`update`](Self::update), read with
/// [`finish`](Self::finish).
#[derive(Default)]
pub struct Fingerprint(FnvHasher);

impl Fingerprint {
    /// The hash of no bytes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.write(bytes);
        self
    }

    /// Feeds a `u64` as its eight little-endian bytes (lengths, shapes, float bits).
    pub fn update_u64(&mut self, value: u64) -> &mut Self {
        self.update(&value.to_le_bytes())
    }

    /// The hash of everything fed so far.
    pub fn finish(&self) -> u64 {
        self.0.finish()
    }
}

/// The fingerprint of `bytes`.
pub fn fingerprint(bytes: &[u8]) -> u64 {
    Fingerprint::new().update(bytes).finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn matches_the_published_fnv1a_test_vectors() {
        // From the FNV reference test suite (64-bit FNV-1a).
        assert_eq!(fingerprint(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fingerprint(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fingerprint(b"foobar"), 0x8594_4171_f739_67e8);
    }

    proptest! {
        #[test]
        fn streaming_equals_one_shot(bytes in prop::collection::vec(any::<u8>(), 0..200), cut in 0usize..200) {
            let cut = cut.min(bytes.len());
            let streamed = Fingerprint::new().update(&bytes[..cut]).update(&bytes[cut..]).finish();
            prop_assert_eq!(streamed, fingerprint(&bytes));
        }

        #[test]
        fn every_single_byte_change_is_detected(bytes in prop::collection::vec(any::<u8>(), 1..200), at in any::<prop::sample::Index>(), flip in 1u8..=255) {
            let mut changed = bytes.clone();
            let i = at.index(bytes.len());
            changed[i] ^= flip;
            prop_assert_ne!(fingerprint(&changed), fingerprint(&bytes));
        }
    }
}
