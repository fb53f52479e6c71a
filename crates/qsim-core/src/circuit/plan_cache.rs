//! Plans derived from a circuit's operations, kept with the circuit but opaque to it.
//!
//! Running a circuit fast needs plans that cost far more to build than to use (the engine's
//! fusion and cache-blocking plan, the adjoint method's backward sweep), so a circuit keeps them
//! between runs. It keeps them as type-erased values that whoever runs the circuit builds and
//! reads back by type: the IR stays ignorant of who executes it and how, and depends on nothing
//! above it. Qulacs and roqoqo keep the same separation: their circuits are plain lists of
//! operations, and everything derived for execution belongs to the simulator.

use std::any::Any;
use std::sync::{Arc, OnceLock};

/// How many plan types one circuit can hold (the crate uses two: the engine's plan and the
/// adjoint plan).
const SLOTS: usize = 4;

/// Plans of one circuit, built on first use, one per type.
///
/// Reads are lock-free (one atomic load per slot looked at, and a type check), so threads that
/// run the same circuit in parallel share its plans at no cost. The owner drops the whole cache
/// on every change to the operations. `Clone` clones the slots, which shares the built plans
/// (`Arc`), as a derived `Clone` on typed `OnceLock<Arc<Plan>>` fields would.
#[derive(Clone, Default)]
pub(crate) struct PlanCache {
    /// A type occupies the first slot it finds empty and never leaves it, so every type appears
    /// at most once: a reader only walks past slots that already hold other types.
    slots: [OnceLock<Arc<dyn Any + Send + Sync>>; SLOTS],
}

impl PlanCache {
    /// The plan of type `T`, built with `build` if there is none yet. Concurrent first calls
    /// build it once (the others wait for it). `build` must not use this cache itself.
    pub(crate) fn get_or_init<T: Any + Send + Sync>(&self, build: impl FnOnce() -> T) -> &T {
        let mut build = Some(build);
        for slot in &self.slots {
            let entry = slot.get_or_init(|| {
                // Reached only for an empty slot, after which this function returns: `build` is
                // still there.
                let build = build.take().expect("the plan is built at most once per call");
                Arc::new(build())
            });
            if let Some(plan) = entry.downcast_ref::<T>() {
                return plan;
            }
        }
        unreachable!("more plan types than PlanCache slots ({SLOTS})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_is_built_once_and_found_again() {
        let cache = PlanCache::default();
        let mut builds = 0;
        assert_eq!(*cache.get_or_init(|| 7u32), 7);
        assert_eq!(*cache.get_or_init(|| "plan"), "plan");
        assert_eq!(
            *cache.get_or_init(|| {
                builds += 1;
                8u32
            }),
            7
        );
        assert_eq!(*cache.get_or_init(|| "other"), "plan");
        assert_eq!(builds, 0);
    }

    #[test]
    fn clones_share_built_plans_and_defaults_are_empty() {
        let cache = PlanCache::default();
        let first: *const Vec<u8> = cache.get_or_init(|| vec![1, 2, 3]);
        let copy = cache.clone();
        assert!(std::ptr::eq(first, copy.get_or_init(Vec::<u8>::new)));
        let fresh = PlanCache::default();
        assert!(fresh.get_or_init(Vec::<u8>::new).is_empty());
    }

    #[test]
    fn concurrent_first_calls_build_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cache = PlanCache::default();
        let builds = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    let value = cache.get_or_init(|| {
                        builds.fetch_add(1, Ordering::Relaxed);
                        42u64
                    });
                    assert_eq!(*value, 42);
                });
            }
        });
        assert_eq!(builds.load(Ordering::Relaxed), 1);
    }
}
