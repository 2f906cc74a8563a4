//! The fact tables both schemas share: `fact_conversation` (one row per conversation), `fact_turn` (one per turn)
//! and `bridge_turn_item` (one per item a turn mentions), their definitions and their rows. Fact keys are stable
//! too: conversations are numbered in sorted order of their ids, turns from their conversation's first turn key.

use serde_json::{Value, json};

use super::inputs::Chat;
use super::schema::{Column, SqlType, TableSpec, col, fk, req};
use super::timeline::{date_of, hour_of, rfc3339};
use super::warehouse::{Keys, date_key, name_of};
use crate::model::{Action, Outcome, Role};

/// The fact tables, in creation order: `fact_conversation`, `fact_turn`, `bridge_turn_item`.
pub fn fact_specs() -> Vec<TableSpec> {
    use SqlType::*;
    let conversation = vec![
        req("conversation_key", Integer),
        req("conversation_id", Text),
        fk("user_key", "dim_user", "user_key"),
        fk("date_key", "dim_date", "date_key"),
        fk("user_model_key", "dim_model", "model_key"),
        fk("system_model_key", "dim_model", "model_key"),
        fk("target_item_key", "dim_item", "item_key"),
        fk("accepted_item_key", "dim_item", "item_key"),
        fk("target_category_key", "dim_category", "category_key"),
        req("outcome", Text),
        req("end_reason", Text),
        req("success", Bool),
        col("kept", Bool),
        col("grounding_ok", Bool),
        col("fit_mean", Double),
        req("turns", Integer),
        req("rounds", Integer),
        req("recommendations", Integer),
        req("requests", Integer),
        req("prompt_tokens", BigInt),
        req("completion_tokens", BigInt),
        req("tokens", BigInt),
        req("cost_usd", Double),
        req("latency_ms", BigInt),
        req("started_at", Text),
        req("ended_at", Text),
        req("split", Text),
    ];
    let turn: Vec<Column> = vec![
        req("turn_key", Integer),
        fk("conversation_key", "fact_conversation", "conversation_key"),
        req("turn_index", Integer),
        fk("date_key", "dim_date", "date_key"),
        fk("user_key", "dim_user", "user_key"),
        fk("action_key", "dim_action", "action_key"),
        fk("model_key", "dim_model", "model_key"),
        fk("item_key", "dim_item", "item_key"),
        req("role", Text),
        req("occurred_at", Text),
        req("hour", Integer),
        req("latency_ms", BigInt),
        req("tokens", Integer),
        req("words", Integer),
        req("item_count", Integer),
        col("text", Text),
    ];
    let bridge = vec![
        req("turn_item_key", Integer),
        fk("turn_key", "fact_turn", "turn_key"),
        fk("item_key", "dim_item", "item_key"),
        req("item_position", Integer),
    ];
    vec![
        TableSpec {
            name: "fact_conversation",
            columns: conversation,
        },
        TableSpec {
            name: "fact_turn",
            columns: turn,
        },
        TableSpec {
            name: "bridge_turn_item",
            columns: bridge,
        },
    ]
}

/// The fact rows of one conversation: its `fact_conversation` row, its `fact_turn` rows and its
/// `bridge_turn_item` rows (keyed from the turn key: turn key × 100 + position, items beyond 99 left out).
pub fn fact_rows(chat: &Chat<'_>, k: &Keys) -> (Vec<Value>, Vec<Vec<Value>>, Vec<Vec<Value>>) {
    let c = chat.conversation;
    let (conversation_key, first_turn) = k.conversation.get(&c.id).copied().unwrap_or((0, 0));
    let user = chat
        .user_id()
        .map_or(Value::Null, |u| Keys::get(&k.user, u));
    let review = chat.review;
    let tokens: u64 = chat.tokens.iter().map(|t| u64::from(*t)).sum();
    let recommendations = c
        .turns
        .iter()
        .filter(|t| t.action == Action::Recommend)
        .count();
    let target = Some(c.target_item_id.as_str()).filter(|s| !s.is_empty());
    let conversation = vec![
        json!(conversation_key),
        json!(c.id),
        user.clone(),
        json!(date_key(date_of(chat.start_ms).days)),
        Keys::get(&k.model, c.meta.user_agent.as_str()),
        Keys::get(&k.model, c.meta.system_agent.as_str()),
        k.item_of(target),
        k.item_of(c.accepted_item.as_deref().filter(|s| !s.is_empty())),
        k.category
            .get(&chat.target_category)
            .map_or(Value::Null, |v| json!(v)),
        json!(name_of(c.outcome)),
        json!(name_of(c.end_reason)),
        json!(c.outcome == Outcome::Accepted),
        review.map_or(Value::Null, |r| json!(r.keep)),
        review.map_or(Value::Null, |r| json!(r.grounding.ok)),
        review.map_or(Value::Null, |r| json!(r.grounding.fit_mean)),
        json!(c.turns.len()),
        json!(c.rounds),
        json!(recommendations),
        json!(c.usage.requests),
        json!(c.usage.prompt_tokens),
        json!(c.usage.completion_tokens),
        json!(tokens),
        json!(c.usage.cost_usd),
        json!(c.usage.latency_ms),
        json!(rfc3339(chat.start_ms)),
        json!(rfc3339(chat.end_ms())),
        json!(chat.split),
    ];
    let mut turns = Vec::with_capacity(c.turns.len());
    let mut bridge = Vec::new();
    for (i, t) in c.turns.iter().enumerate() {
        let turn_key = first_turn + i as i64;
        let at = chat.times[i];
        let agent = match t.role {
            Role::User => &c.meta.user_agent,
            Role::System => &c.meta.system_agent,
        };
        turns.push(vec![
            json!(turn_key),
            json!(conversation_key),
            json!(i),
            json!(date_key(date_of(at).days)),
            user.clone(),
            Keys::get(&k.action, name_of(t.action).as_str()),
            Keys::get(&k.model, agent.as_str()),
            k.item_of(t.items.first().map(String::as_str)),
            json!(name_of(t.role)),
            json!(rfc3339(at)),
            json!(hour_of(at)),
            json!(t.latency_ms),
            json!(chat.tokens[i]),
            json!(chat.words[i]),
            json!(t.items.len()),
            json!(t.text),
        ]);
        for (p, item) in t.items.iter().enumerate().take(99) {
            bridge.push(vec![
                json!(turn_key * 100 + p as i64 + 1),
                json!(turn_key),
                k.item_of(Some(item)),
                json!(p + 1),
            ]);
        }
    }
    (conversation, turns, bridge)
}
