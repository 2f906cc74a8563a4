//! A conversation as one line of JSON, byte for byte what `serde_json::to_string` writes, written directly.
//!
//! Written by hand because the derived path is a tenth of a sim dialogue's cost: serde_json escapes every string
//! (keys included) a byte at a time behind a call per field, and a dialogue writes some two hundred strings. Here
//! keys are constants, the enums' names come from a `match`, and a string is scanned eight bytes at a time for the
//! few bytes JSON escapes. The small, rare parts (usage, meta) still go through serde. The tests hold the writer to
//! serde's output on every shape of turn, and every struct is taken apart field by field below, so a field added to
//! a struct fails to compile here until it is written.

use super::conversation::{Action, Conversation, EndReason, Outcome, Role, Slot, Turn};

/// `c` as one line of JSON (no newline), as `serde_json::to_string(c)` writes it.
pub fn to_json_line(c: &Conversation) -> crate::Result<String> {
    let Conversation {
        id,
        profile_id,
        target_item_id,
        outcome,
        end_reason,
        rounds,
        accepted_item,
        mentioned_items,
        turns,
        usage,
        meta,
    } = c;
    let text_len: usize = turns.iter().map(|t| t.text.len() + 96).sum();
    let mut out = Vec::with_capacity(text_len + 512);
    out.extend_from_slice(b"{\"id\":");
    string(&mut out, id);
    out.extend_from_slice(b",\"profile_id\":");
    string(&mut out, profile_id);
    out.extend_from_slice(b",\"target_item_id\":");
    string(&mut out, target_item_id);
    out.extend_from_slice(b",\"outcome\":\"");
    out.extend_from_slice(outcome_name(*outcome).as_bytes());
    out.extend_from_slice(b"\",\"end_reason\":\"");
    out.extend_from_slice(end_reason_name(*end_reason).as_bytes());
    out.extend_from_slice(b"\",\"rounds\":");
    number(&mut out, u64::from(*rounds));
    out.extend_from_slice(b",\"accepted_item\":");
    match accepted_item {
        Some(a) => string(&mut out, a),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"mentioned_items\":");
    strings(&mut out, mentioned_items);
    out.extend_from_slice(b",\"turns\":");
    array(&mut out, turns, turn);
    out.extend_from_slice(b",\"usage\":");
    serde_json::to_writer(&mut out, usage).map_err(|e| crate::Error::Run(e.to_string()))?;
    out.extend_from_slice(b",\"meta\":");
    serde_json::to_writer(&mut out, meta).map_err(|e| crate::Error::Run(e.to_string()))?;
    out.push(b'}');
    // Every piece written is valid UTF-8: whole strings, or ASCII escapes between their characters.
    String::from_utf8(out).map_err(|e| crate::Error::Run(e.to_string()))
}

fn turn(out: &mut Vec<u8>, t: &Turn) {
    let Turn {
        role,
        action,
        text,
        items,
        images,
        slots,
        query,
        latency_ms,
        first_token_ms,
    } = t;
    out.extend_from_slice(b"{\"role\":\"");
    out.extend_from_slice(role_name(*role).as_bytes());
    out.extend_from_slice(b"\",\"action\":\"");
    out.extend_from_slice(action_name(*action).as_bytes());
    out.extend_from_slice(b"\",\"text\":");
    string(out, text);
    if !items.is_empty() {
        out.extend_from_slice(b",\"items\":");
        strings(out, items);
    }
    if !images.is_empty() {
        out.extend_from_slice(b",\"images\":");
        strings(out, images);
    }
    if !slots.is_empty() {
        out.extend_from_slice(b",\"slots\":");
        array(out, slots, slot);
    }
    if let Some(q) = query {
        out.extend_from_slice(b",\"query\":");
        string(out, q);
    }
    out.extend_from_slice(b",\"latency_ms\":");
    number(out, u64::from(*latency_ms));
    if let Some(f) = first_token_ms {
        out.extend_from_slice(b",\"first_token_ms\":");
        number(out, u64::from(*f));
    }
    out.push(b'}');
}

fn slot(out: &mut Vec<u8>, s: &Slot) {
    let Slot {
        attribute,
        value,
        negative,
    } = s;
    out.extend_from_slice(b"{\"attribute\":");
    string(out, attribute);
    out.extend_from_slice(b",\"value\":");
    string(out, value);
    if *negative {
        out.extend_from_slice(b",\"negative\":true");
    }
    out.push(b'}');
}

/// A list of strings.
fn strings(out: &mut Vec<u8>, list: &[String]) {
    array(out, list, |out, s| string(out, s));
}

/// A JSON array of `list`, each element written by `each`.
fn array<T>(out: &mut Vec<u8>, list: &[T], mut each: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (k, x) in list.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        each(out, x);
    }
    out.push(b']');
}

/// An unsigned integer in decimal.
fn number(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// `s` as a JSON string, escaped as serde_json escapes: `"`, `\` and control characters (the short forms where
/// JSON has them, else `\u00XX` in lowercase hex); everything else as it is.
fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none of them needs escaping.
        if let Some(chunk) = bytes.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            if !needs_escape(u64::from_le_bytes(word)) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => &[],
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether any of the eight bytes of `word` is a control character, `"` or `\` (may say yes for a byte ≥ 0x80
/// next to one that is; never no for one that is).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_in = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    below_space
        | zero_in(word ^ (ONES * u64::from(b'"')))
        | zero_in(word ^ (ONES * u64::from(b'\\')))
        != 0
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::User => "user",
        Role::System => "system",
    }
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::Greet => "greet",
        Action::Clarify => "clarify",
        Action::ChitChat => "chit_chat",
        Action::Recommend => "recommend",
        Action::Inform => "inform",
        Action::Answer => "answer",
        Action::Ask => "ask",
        Action::Reject => "reject",
        Action::Accept => "accept",
        Action::Abandon => "abandon",
        Action::Close => "close",
        Action::Message => "message",
    }
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Accepted => "accepted",
        Outcome::Abandoned => "abandoned",
        Outcome::MaxRounds => "max_rounds",
        Outcome::Failed => "failed",
        Outcome::Unknown => "unknown",
    }
}

fn end_reason_name(e: EndReason) -> &'static str {
    match e {
        EndReason::AcceptedTarget => "accepted_target",
        EndReason::AcceptedEquivalent => "accepted_equivalent",
        EndReason::OutOfPatience => "out_of_patience",
        EndReason::RoundLimit => "round_limit",
        EndReason::NoCandidates => "no_candidates",
        EndReason::Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests;
