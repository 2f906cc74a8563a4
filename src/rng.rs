//! Seeded randomness: one independent RNG per (run seed, stage, record id), and the few samplers every stage needs.
//!
//! Records never share an RNG, so results do not depend on thread count or completion order.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// A stable 64-bit hash of `parts`, identical on every platform and run.
pub fn stable_hash(seed: u64, parts: &[&[u8]]) -> u64 {
    let mut buf = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for part in parts {
        buf.extend_from_slice(part);
        buf.push(0x1f);
    }
    xxh3_64_with_seed(&buf, seed)
}

/// A seed that differs between processes and between calls: the clock's nanoseconds, the process id and a
/// per-process counter, hashed. Only for what must *not* repeat across processes (the retry jitter, so that two
/// runs against one server do not retry in lockstep); never for anything that shapes output.
pub fn process_seed() -> u64 {
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    mix_process_seed(nanos, std::process::id(), call)
}

/// [`process_seed`]'s mixing of its inputs.
fn mix_process_seed(nanos: u64, pid: u32, call: u64) -> u64 {
    stable_hash(
        0x6a69_7474_6572,
        &[
            &nanos.to_le_bytes(),
            &pid.to_le_bytes(),
            &call.to_le_bytes(),
        ],
    )
}

/// The deterministic random source of one record.
pub struct Rng {
    inner: ChaCha8Rng,
}

impl Rng {
    /// The RNG of record `id` in `stage` under run `seed`.
    pub fn for_record(seed: u64, stage: &str, id: &str) -> Self {
        Self::from_u64(stable_hash(seed, &[stage.as_bytes(), id.as_bytes()]))
    }

    /// An RNG from a raw 64-bit seed.
    pub fn from_u64(seed: u64) -> Self {
        Rng {
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// An independent source beside this one (the same key, another of ChaCha's streams), drawing nothing from it.
    pub fn fork(&self, stream: u64) -> Self {
        let mut inner = self.inner.clone();
        inner.set_stream(stream);
        Rng { inner }
    }

    /// A uniformly random 64-bit value.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A uniform float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform integer in [0, n); 0 when n is 0.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift reduction; bias is negligible for the sizes used here.
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A uniform integer in the inclusive range [lo, hi].
    pub fn between(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as usize) as u32
    }

    /// A uniform float in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A standard normal draw (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A uniformly chosen element, or `None` when empty.
    pub fn choose<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }

    /// `k` distinct indices below `n`, in draw order.
    pub fn sample_indices(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut pool: Vec<usize> = (0..n).collect();
        let k = k.min(n);
        for i in 0..k {
            let j = i + self.below(n - i);
            pool.swap(i, j);
        }
        pool.truncate(k);
        pool
    }
}

/// A table of weights to sample indices from in O(log n).
#[derive(Debug, Clone)]
pub struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    /// Build from non-negative weights; `None` when no weight is positive or one is not finite.
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Option<Self> {
        let mut total = 0.0;
        let mut cumulative = Vec::new();
        for w in weights {
            if !w.is_finite() || w < 0.0 {
                return None;
            }
            total += w;
            cumulative.push(total);
        }
        (total > 0.0).then_some(Weighted { cumulative })
    }

    /// Draw one index with probability proportional to its weight.
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.unit() * total;
        let i = self.cumulative.partition_point(|c| *c <= x);
        i.min(self.cumulative.len().saturating_sub(1))
    }

    /// The probability of each entry (its weight over the total), in table order.
    pub fn probabilities(&self) -> Vec<f64> {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let mut previous = 0.0;
        self.cumulative
            .iter()
            .map(|&c| {
                let p = if total > 0.0 {
                    (c - previous) / total
                } else {
                    0.0
                };
                previous = c;
                p
            })
            .collect()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.cumulative.len()
    }

    /// Whether the table is empty (never true for a built table).
    pub fn is_empty(&self) -> bool {
        self.cumulative.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_seeds_differ_between_processes_and_calls() {
        // Two processes started in the same nanosecond still differ by their ids.
        assert_ne!(mix_process_seed(7, 100, 0), mix_process_seed(7, 101, 0));
        assert_ne!(mix_process_seed(7, 100, 0), mix_process_seed(7, 100, 1));
        let a = process_seed();
        let b = process_seed();
        assert_ne!(a, b);
        assert_ne!(Rng::from_u64(a).next_u64(), Rng::from_u64(b).next_u64());
    }

    #[test]
    fn same_record_same_stream_different_records_differ() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::for_record(7, "profiles", "p1");
                move |_| r.next_u64()
            })
            .collect();
        let mut r2 = Rng::for_record(7, "profiles", "p1");
        let b: Vec<u64> = (0..4).map(|_| r2.next_u64()).collect();
        assert_eq!(a, b);
        let mut r3 = Rng::for_record(7, "profiles", "p2");
        assert_ne!(a[0], r3.next_u64());
        let mut r4 = Rng::for_record(8, "profiles", "p1");
        assert_ne!(a[0], r4.next_u64());
    }

    #[test]
    fn weighted_follows_weights_and_skips_zero() {
        let table = Weighted::new([1.0, 0.0, 3.0]).unwrap();
        let mut rng = Rng::from_u64(1);
        let mut counts = [0usize; 3];
        for _ in 0..40_000 {
            counts[table.sample(&mut rng)] += 1;
        }
        assert_eq!(counts[1], 0);
        let share = counts[2] as f64 / 40_000.0;
        assert!((share - 0.75).abs() < 0.02, "share {share}");
        assert_eq!(table.probabilities(), vec![0.25, 0.0, 0.75]);
    }

    #[test]
    fn weighted_rejects_bad_tables() {
        assert!(Weighted::new([0.0, 0.0]).is_none());
        assert!(Weighted::new([1.0, f64::NAN]).is_none());
        assert!(Weighted::new([1.0, -1.0]).is_none());
        assert!(Weighted::new(Vec::new()).is_none());
    }

    #[test]
    fn below_and_sample_indices_stay_in_range() {
        let mut rng = Rng::from_u64(3);
        for n in 1..50 {
            assert!(rng.below(n) < n);
            let picked = rng.sample_indices(n, 3);
            assert_eq!(picked.len(), 3.min(n));
            let mut dedup = picked.clone();
            dedup.sort();
            dedup.dedup();
            assert_eq!(dedup.len(), picked.len());
        }
    }
}
