//! Near-duplicate scenario detection in linear time: MinHash signatures over word shingles, LSH banding to find candidates,
//! and b-bit (8-bit) signatures kept per accepted text to confirm the estimated Jaccard similarity.

use std::collections::HashMap;

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::config::DedupConfig;
use crate::rng::Rng;

/// Computes MinHash signatures of texts.
pub struct MinHasher {
    funcs: Vec<(u64, u64)>,
    shingle_words: usize,
}

impl MinHasher {
    /// `n` hash functions over shingles of `shingle_words` words; the functions are fixed (seeded), so signatures are stable.
    pub fn new(n: usize, shingle_words: usize) -> Self {
        let mut rng = Rng::from_u64(0x6d75_7365_6765_6e00);
        let funcs = (0..n)
            .map(|_| (rng.next_u64() | 1, rng.next_u64()))
            .collect();
        MinHasher {
            funcs,
            shingle_words: shingle_words.max(1),
        }
    }

    /// The signature of `text` (case- and punctuation-insensitive word shingles).
    pub fn signature(&self, text: &str) -> Vec<u32> {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let k = self.shingle_words.min(words.len().max(1));
        let shingles: Vec<u64> = if words.is_empty() {
            vec![0]
        } else {
            words
                .windows(k)
                .map(|w| xxh3_64(w.join(" ").as_bytes()))
                .collect()
        };
        self.funcs
            .iter()
            .map(|&(a, b)| {
                shingles
                    .iter()
                    .map(|&x| (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32)
                    .min()
                    .unwrap_or(u32::MAX)
            })
            .collect()
    }
}

/// The set of accepted texts, queried and filled one signature at a time.
pub struct NearDuplicateIndex {
    bands: usize,
    rows: usize,
    threshold: f64,
    buckets: HashMap<u32, u32>,
    low_bits: Vec<u8>,
}

impl NearDuplicateIndex {
    /// An empty index for signatures of `bands × rows` values.
    pub fn new(cfg: &DedupConfig) -> Self {
        Self::with_capacity(cfg, 0)
    }

    /// An empty index sized for `expected` texts, so it never grows (and never holds two tables) mid-run.
    pub fn with_capacity(cfg: &DedupConfig, expected: usize) -> Self {
        let (bands, rows) = (cfg.bands.get(), cfg.rows.get());
        NearDuplicateIndex {
            bands,
            rows,
            threshold: cfg.threshold,
            buckets: HashMap::with_capacity(expected.saturating_mul(bands)),
            low_bits: Vec::with_capacity(expected.saturating_mul(bands * rows)),
        }
    }

    /// Hash functions a signature needs.
    pub fn signature_len(&self) -> usize {
        self.bands * self.rows
    }

    /// If `sig` is a near-duplicate of an accepted text, return that text's number and the estimated similarity;
    /// otherwise accept it and return `None`.
    pub fn check_and_insert(&mut self, sig: &[u32]) -> Option<(usize, f64)> {
        let keys: Vec<u32> = (0..self.bands).map(|b| self.band_key(sig, b)).collect();
        let mut best: Option<(usize, f64)> = None;
        for key in &keys {
            if let Some(&other) = self.buckets.get(key) {
                let j = self.estimate(sig, other as usize);
                if j >= self.threshold && best.is_none_or(|(_, bj)| j > bj) {
                    best = Some((other as usize, j));
                }
            }
        }
        if best.is_some() {
            return best;
        }
        let id = (self.low_bits.len() / self.signature_len()) as u32;
        self.low_bits.extend(sig.iter().map(|v| *v as u8));
        for key in keys {
            self.buckets.entry(key).or_insert(id);
        }
        None
    }

    /// Accepted texts.
    pub fn len(&self) -> usize {
        self.low_bits.len() / self.signature_len().max(1)
    }

    /// Whether nothing was accepted yet.
    pub fn is_empty(&self) -> bool {
        self.low_bits.is_empty()
    }

    /// A 32-bit key per band: collisions between unrelated texts only cost a verification against the stored signature.
    fn band_key(&self, sig: &[u32], band: usize) -> u32 {
        let lo = band * self.rows;
        let hi = (lo + self.rows).min(sig.len());
        let mut bytes = Vec::with_capacity((hi - lo) * 4);
        for v in sig.get(lo..hi).unwrap_or(&[]) {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        xxh3_64_with_seed(&bytes, band as u64) as u32
    }

    /// b-bit MinHash estimate (Li & König): P(low 8 bits agree) = J + (1 − J)/256.
    fn estimate(&self, sig: &[u32], other: usize) -> f64 {
        let n = self.signature_len();
        let stored = &self.low_bits[other * n..(other + 1) * n];
        let agree = sig
            .iter()
            .zip(stored)
            .filter(|(a, b)| (**a as u8) == **b)
            .count();
        let p = agree as f64 / n as f64;
        let c = 1.0 / 256.0;
        ((p - c) / (1.0 - c)).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(threshold: f64) -> (MinHasher, NearDuplicateIndex) {
        let cfg = DedupConfig {
            threshold,
            ..DedupConfig::default()
        };
        let idx = NearDuplicateIndex::new(&cfg);
        (
            MinHasher::new(idx.signature_len(), cfg.shingle_words.get()),
            idx,
        )
    }

    #[test]
    fn near_copies_are_caught_and_different_texts_pass() {
        let (h, mut idx) = index(0.6);
        let a = "Maya has a cousin's wedding in Jaipur next month and wants to look elegant without overspending on the outfit she will wear to the sangeet night";
        let b = "Maya has a cousin's wedding in Jaipur next month and wants to look elegant without overspending on the outfit she will wear to the mehendi night";
        let c = "After years of weekend hikes, Tom's boots finally split at the sole, so he is replacing them before the autumn trail season starts in the hills";
        assert!(idx.check_and_insert(&h.signature(a)).is_none());
        let dup = idx.check_and_insert(&h.signature(b));
        assert!(matches!(dup, Some((0, j)) if j > 0.6), "{dup:?}");
        assert!(idx.check_and_insert(&h.signature(c)).is_none());
        assert_eq!(idx.len(), 2);
    }

    #[test]
    fn estimate_tracks_true_jaccard() {
        let (h, mut idx) = index(0.99);
        let words: Vec<String> = (0..200).map(|i| format!("w{i}")).collect();
        let a = words.join(" ");
        let mut changed = words.clone();
        for w in changed.iter_mut().skip(100) {
            w.push('x');
        }
        let b = changed.join(" ");
        idx.check_and_insert(&h.signature(&a));
        let sa = h.signature(&a);
        let sb = h.signature(&b);
        let exact = sa.iter().zip(&sb).filter(|(x, y)| x == y).count() as f64 / sa.len() as f64;
        let est = idx.estimate(&sb, 0);
        // 3-shingles: 98 shared of 198+98 distinct ≈ 0.33.
        assert!((exact - 0.33).abs() < 0.15, "exact {exact}");
        assert!((est - exact).abs() < 0.1, "est {est} exact {exact}");
    }
}
