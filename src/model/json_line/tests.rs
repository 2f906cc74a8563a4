use super::*;
use crate::model::{GenerationMeta, Usage};

/// Every string shape JSON escapes, and some it does not.
const TEXTS: [&str; 9] = [
    "",
    "Plain words, long enough to be read eight bytes at a time.",
    "She said \"hi\" and left a \\ behind",
    "tab\there, newline\nthere, return\r, bell\u{7}, nul\u{0}, unit\u{1f}, del\u{7f}",
    "back\u{8}space and form\u{c}feed",
    "Café crème — ₹7,469 for the 👟, 日本語も",
    "\"",
    "1234567\"",
    "12345678\\abcdefgh\u{1}",
];

fn conversation(k: usize) -> Conversation {
    let text = |i: usize| TEXTS[(k + i) % TEXTS.len()].to_string();
    let turns = (0..12)
        .map(|i| Turn {
            role: if i % 2 == 0 { Role::System } else { Role::User },
            action: Action::ALL[(k + i) % Action::ALL.len()],
            text: text(i),
            items: (0..(k + i) % 3).map(|j| format!("s{j:07}")).collect(),
            images: (0..(k + i) % 2).map(|j| text(j + 3)).collect(),
            slots: (0..(k + i) % 3)
                .map(|j| Slot {
                    attribute: text(j + 1),
                    value: text(j + 2),
                    negative: (k + i + j).is_multiple_of(2),
                })
                .collect(),
            query: ((k + i) % 2 == 1).then(|| text(i + 4)),
            latency_ms: [0, 7, 4_189, u32::MAX][(k + i) % 4],
            first_token_ms: (k + i)
                .is_multiple_of(3)
                .then_some(((k * 31 + i) % 1_000) as u32),
        })
        .collect();
    Conversation {
        id: format!("c{k:08}"),
        profile_id: text(5),
        target_item_id: text(1),
        outcome: OUTCOMES[k % OUTCOMES.len()],
        end_reason: END_REASONS[k % END_REASONS.len()],
        rounds: [0, 6, u32::MAX][k % 3],
        accepted_item: k.is_multiple_of(2).then(|| text(2)),
        mentioned_items: (0..k % 4).map(text).collect(),
        turns,
        usage: Usage {
            requests: k as u32,
            prompt_tokens: (k * 1_000) as u64,
            completion_tokens: 3,
            cache_read_tokens: (k % 2) as u64,
            cache_write_tokens: 0,
            reasoning_tokens: (k % 3) as u64,
            cost_usd: [0.0, 0.1 + 0.2, 1e-9, 12_345.678][k % 4],
            latency_ms: u64::MAX,
        },
        meta: GenerationMeta {
            user_agent: "sim".into(),
            system_agent: text(3),
            config_hash: "abc".into(),
            seed: k as u64,
            musegen: "0.1.0".into(),
        },
    }
}

const OUTCOMES: [Outcome; 5] = [
    Outcome::Accepted,
    Outcome::Abandoned,
    Outcome::MaxRounds,
    Outcome::Failed,
    Outcome::Unknown,
];
const END_REASONS: [EndReason; 6] = [
    EndReason::AcceptedTarget,
    EndReason::AcceptedEquivalent,
    EndReason::OutOfPatience,
    EndReason::RoundLimit,
    EndReason::NoCandidates,
    EndReason::Unknown,
];

#[test]
fn a_line_is_what_serde_json_writes() {
    for k in 0..60 {
        let c = conversation(k);
        assert_eq!(
            to_json_line(&c).unwrap(),
            serde_json::to_string(&c).unwrap(),
            "conversation {k}"
        );
    }
}

#[test]
fn every_string_is_escaped_as_serde_json_escapes_it() {
    // Every byte value below 0x80 at every offset of an eight-byte read, and characters of every UTF-8 length.
    for b in 0u8..0x80 {
        for pad in 0..10 {
            let s = format!(
                "{}{}é{}",
                "x".repeat(pad),
                char::from(b),
                "y".repeat(9 - pad)
            );
            let mut out = Vec::new();
            string(&mut out, &s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&s).unwrap(),
                "byte {b:#x} after {pad}"
            );
        }
    }
}

#[test]
fn enum_names_are_serde_names() {
    let quoted = |name: &str| format!("\"{name}\"");
    for a in Action::ALL {
        assert_eq!(quoted(action_name(a)), serde_json::to_string(&a).unwrap());
    }
    for o in OUTCOMES {
        assert_eq!(quoted(outcome_name(o)), serde_json::to_string(&o).unwrap());
    }
    for e in END_REASONS {
        assert_eq!(
            quoted(end_reason_name(e)),
            serde_json::to_string(&e).unwrap()
        );
    }
    for r in [Role::User, Role::System] {
        assert_eq!(quoted(role_name(r)), serde_json::to_string(&r).unwrap());
    }
}
