//! Token counts of prompt texts for the limits' estimates, with a memo: a conversation's requests repeat its system
//! prompt and history turn after turn, so most texts were counted before.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Token counts of message texts already encoded, by (encoding, content hash). A conversation's requests repeat its
/// system prompt and history turn after turn, so most messages were counted before; counting them again with BPE
/// was the largest part of the manager's CPU. Bounded: emptied when it reaches [`TOKEN_MEMO`] entries. (A plain map
/// under a lock: a caching crate would add a dependency for twenty lines.)
pub(super) fn count(bpe: &tiktoken_rs::CoreBPE, o200k: bool, text: &str) -> usize {
    static MEMO: OnceLock<Mutex<HashMap<u64, u32>>> = OnceLock::new();
    if text.len() < MEMO_MIN_BYTES {
        return bpe.encode_with_special_tokens(text).len();
    }
    let key = xxhash_rust::xxh3::xxh3_64_with_seed(text.as_bytes(), u64::from(o200k));
    let memo = MEMO.get_or_init(Default::default);
    if let Some(&n) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return n as usize;
    }
    let n = bpe.encode_with_special_tokens(text).len();
    let mut map = memo.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= TOKEN_MEMO {
        map.clear();
    }
    map.insert(key, n as u32);
    n
}

/// Entries of the token-count memo before it is emptied.
const TOKEN_MEMO: usize = 1 << 16;

/// Texts shorter than this are encoded each time (cheaper than a lookup).
const MEMO_MIN_BYTES: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_count_is_the_encoders_count_for_either_encoding() {
        let cl = tiktoken_rs::cl100k_base().unwrap();
        let o2 = tiktoken_rs::o200k_base().unwrap();
        let text =
            "0123456789 abcdefghij klmnopqrst uvwxyz, 0123456789 abcdefghij klmnopqrst uvwxyz.";
        for _ in 0..2 {
            assert_eq!(
                count(&cl, false, text),
                cl.encode_with_special_tokens(text).len()
            );
            assert_eq!(
                count(&o2, true, text),
                o2.encode_with_special_tokens(text).len()
            );
        }
    }
}
