//! Deriving many independent generators from one seed.
//!
//! A run has one seed per purpose (training, sampling, a hardware job); everything random inside
//! it comes from generators derived from that seed by a fixed rule, so a result depends only on
//! the seed and on *which* draw it is, never on the order in which threads ran or on how much was
//! drawn before. Three rules are in use, each with its own type:
//!
//! - [`Stream`]: member `i` of a family is seeded with [`mix`]`(seed, offset + i)`: many
//!   generators (one per sample, per iteration, per job), each a short ChaCha8 stream;
//! - [`Key`]: one generator seeded with `seed ^ key`, for a single purpose that must not share
//!   the plain seed's stream (the initial weights of a network beside its shuffles);
//! - [`CipherStream`]: the ChaCha8 generator of `seed` itself, on cipher stream `id + i`: the
//!   cipher guarantees disjoint streams, so long sequences (sampling thousands of images) cannot
//!   overlap.
//!
//! The named instances of all three live in [`crate::streams`].

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Mixes `k` into `seed` with the SplitMix64 finaliser: consecutive `k` give uncorrelated seeds.
pub fn mix(seed: u64, k: u64) -> u64 {
    let mut z = seed ^ k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A family of generators: member `index` under `seed` is ChaCha8 seeded with
/// `mix(seed, offset + index)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stream {
    offset: u64,
}

impl Stream {
    /// The family whose member `i` mixes in `offset + i`.
    pub const fn new(offset: u64) -> Self {
        Self { offset }
    }

    /// The seed of member `index` under `seed` (to pass on to code that derives further).
    pub fn seed(self, seed: u64, index: u64) -> u64 {
        mix(seed, self.offset.wrapping_add(index))
    }

    /// The generator of member `index` under `seed`.
    pub fn rng(self, seed: u64, index: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.seed(seed, index))
    }
}

/// One generator per seed, ChaCha8 seeded with `seed ^ key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    key: u64,
}

impl Key {
    /// The derivation with this key.
    pub const fn new(key: u64) -> Self {
        Self { key }
    }

    /// The seed `seed ^ key`.
    pub fn seed(self, seed: u64) -> u64 {
        seed ^ self.key
    }

    /// The generator for `seed`.
    pub fn rng(self, seed: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.seed(seed))
    }
}

/// ChaCha8 seeded with the seed itself, on cipher stream `first + index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CipherStream {
    first: u64,
}

impl CipherStream {
    /// Streams numbered from `first`.
    pub const fn new(first: u64) -> Self {
        Self { first }
    }

    /// The generator of `seed` on cipher stream `first + index`.
    pub fn rng(self, seed: u64, index: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(self.first.wrapping_add(index));
        rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn mix_is_the_splitmix64_finaliser() {
        // SplitMix64's first outputs from state 0 (state advanced by the golden gamma, then
        // finalised): the reference values of the published algorithm.
        assert_eq!(mix(0, 1), 0xe220_a839_7b1d_cdaf);
        assert_eq!(mix(0, 2), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(mix(0, 3), 0x06c4_5d18_8009_454f);
    }

    #[test]
    fn members_and_derivations_are_distinct_and_reproducible() {
        let family = Stream::new(1_000);
        assert_eq!(family.seed(7, 3), mix(7, 1_003));
        assert_eq!(family.rng(7, 3).next_u64(), family.rng(7, 3).next_u64());
        assert_ne!(family.rng(7, 3).next_u64(), family.rng(7, 4).next_u64());
        assert_eq!(Key::new(0xff).seed(0x0f), 0xf0);
        let a = CipherStream::new(2).rng(7, 0).next_u64();
        let b = CipherStream::new(3).rng(7, 0).next_u64();
        assert_ne!(a, b);
        assert_eq!(CipherStream::new(2).rng(7, 1).next_u64(), b);
    }
}
