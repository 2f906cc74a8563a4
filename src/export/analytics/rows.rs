//! The rows of the flat tables: one per conversation (`chats.csv`) and one per turn (`messages.csv`, the turn's own
//! columns first, then every chat column but the id repeated). A value is JSON: null is an empty cell, an array is
//! written as JSON text. These column names are also what a column mapping's `from` and `expr` may name.

use serde_json::{Value, json};

use super::inputs::Chat;
use super::timeline::{date_of, hour_of, iso_weekday, rfc3339};
use crate::model::{Outcome, Role};

/// The columns of `chats.csv`, in order.
pub const CHAT_COLUMNS: &[&str] = &[
    "conversation_id",
    "user_id",
    "split",
    "outcome",
    "end_reason",
    "success",
    "turns",
    "rounds",
    "user_turns",
    "system_turns",
    "recommendations",
    "language",
    "user_name",
    "gender",
    "age",
    "age_band",
    "profession",
    "city",
    "country",
    "income_band",
    "style",
    "formality",
    "verbosity",
    "purchase_reason",
    "occasion",
    "recipient",
    "budget_max",
    "target_item_id",
    "target_category",
    "target_category_path",
    "accepted_item_id",
    "accepted_is_target",
    "items_recommended",
    "kept",
    "failed_checks",
    "grounding_ok",
    "fit_mean",
    "consistency_ok",
    "true_reasons",
    "requests",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cost_usd",
    "total_latency_ms",
    "started_at",
    "ended_at",
    "duration_s",
    "start_date",
    "start_hour",
    "start_weekday",
    "user_agent",
    "system_agent",
    "budget_currency",
    "budget_local",
];

/// The turn's own columns of `messages.csv`, before the repeated chat columns.
pub const TURN_COLUMNS: &[&str] = &[
    "conversation_id",
    "turn",
    "role",
    "action",
    "text",
    "item_ids",
    "timestamp",
    "date",
    "hour",
    "weekday",
    "latency_ms",
    "tokens",
    "words",
];

/// Every column of `messages.csv`, in order.
pub fn message_columns() -> Vec<&'static str> {
    TURN_COLUMNS
        .iter()
        .chain(CHAT_COLUMNS.iter().skip(1))
        .copied()
        .collect()
}

/// The age band of an age in years.
pub fn age_band(age: u32) -> &'static str {
    AGE_BANDS
        .iter()
        .find(|(_, lo, hi)| (*lo..=*hi).contains(&age))
        .map_or("65+", |(name, _, _)| name)
}

/// The age bands: name, lowest and highest age.
pub const AGE_BANDS: [(&str, u32, u32); 7] = [
    ("0-15", 0, 15),
    ("16-24", 16, 24),
    ("25-34", 25, 34),
    ("35-44", 35, 44),
    ("45-54", 45, 54),
    ("55-64", 55, 64),
    ("65+", 65, u32::MAX),
];

fn text(s: Option<&str>) -> Value {
    s.filter(|s| !s.is_empty())
        .map_or(Value::Null, |s| Value::String(s.to_string()))
}

fn enum_text<T: serde::Serialize>(v: T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The values of `chat` for [`CHAT_COLUMNS`].
pub fn chat_values(chat: &Chat<'_>) -> Vec<Value> {
    let c = chat.conversation;
    let p = chat.persona();
    let s = chat.profile.map(|p| &p.scenario);
    let r = chat.review;
    let accepted = c.accepted_item.as_deref().filter(|s| !s.is_empty());
    let u = &c.usage;
    let recommendations = c
        .turns
        .iter()
        .filter(|t| t.action == crate::model::Action::Recommend)
        .count();
    let total_tokens: u64 = chat.tokens.iter().map(|t| u64::from(*t)).sum();
    vec![
        json!(c.id),
        text(chat.user_id()),
        json!(chat.split),
        enum_text(c.outcome),
        enum_text(c.end_reason),
        json!(c.outcome == Outcome::Accepted),
        json!(c.turns.len()),
        json!(c.rounds),
        json!(chat.turns_by(Role::User)),
        json!(chat.turns_by(Role::System)),
        json!(recommendations),
        text(p.map(|p| p.language_mix.as_str())),
        text(p.map(|p| p.name.as_str())),
        p.map_or(Value::Null, |p| json!(p.gender.as_str())),
        p.map_or(Value::Null, |p| json!(p.age)),
        p.map_or(Value::Null, |p| json!(age_band(p.age))),
        text(p.and_then(|p| p.profession.as_deref())),
        text(p.and_then(|p| p.location.as_ref()).map(|l| l.city.as_str())),
        text(
            p.and_then(|p| p.location.as_ref())
                .map(|l| l.country.as_str()),
        ),
        text(p.and_then(|p| p.income_band.as_deref())),
        text(p.and_then(|p| p.style.as_deref())),
        p.map_or(Value::Null, |p| enum_text(p.formality)),
        p.map_or(Value::Null, |p| enum_text(p.verbosity)),
        text(s.and_then(|s| s.purchase_reason.as_deref())),
        text(s.and_then(|s| s.occasion.as_deref())),
        text(s.and_then(|s| s.recipient.as_deref())),
        s.and_then(|s| s.budget.as_ref())
            .map_or(Value::Null, |b| json!(b.max)),
        text(Some(c.target_item_id.as_str())),
        text(chat.target_category.last().map(String::as_str)),
        text(Some(chat.target_category.join(" > ").as_str())),
        text(accepted),
        accepted.map_or(Value::Null, |a| json!(a == c.target_item_id)),
        json!(c.mentioned_items),
        r.map_or(Value::Null, |r| json!(r.keep)),
        r.map_or(Value::Null, |r| json!(r.failed)),
        r.map_or(Value::Null, |r| json!(r.grounding.ok)),
        r.map_or(Value::Null, |r| json!(r.grounding.fit_mean)),
        r.map_or(Value::Null, |r| json!(r.consistency.ok)),
        r.and_then(|r| r.grounding.true_reasons)
            .map_or(Value::Null, |x| json!(x)),
        json!(u.requests),
        json!(u.prompt_tokens),
        json!(u.completion_tokens),
        json!(total_tokens),
        json!(u.cost_usd),
        json!(u.latency_ms),
        json!(rfc3339(chat.start_ms)),
        json!(rfc3339(chat.end_ms())),
        json!((chat.end_ms() - chat.start_ms) as f64 / 1000.0),
        json!(date_of(chat.start_ms).to_string()),
        json!(hour_of(chat.start_ms)),
        json!(iso_weekday(chat.start_ms)),
        json!(c.meta.user_agent),
        json!(c.meta.system_agent),
        // `budget_max` stays in the catalog's currency (what prices compare with); the budget as the persona stated it:
        s.and_then(|s| s.budget.as_ref()).map_or(Value::Null, |b| {
            json!(b.currency.unwrap_or(chat.catalog_currency).as_str())
        }),
        s.and_then(|s| s.budget.as_ref())
            .map_or(Value::Null, |b| json!(b.stated())),
    ]
}

/// The values of turn `i` of `chat` for [`message_columns`], given the chat's own values.
pub fn message_values(chat: &Chat<'_>, i: usize, chat_row: &[Value]) -> Vec<Value> {
    let t = &chat.conversation.turns[i];
    let at = chat.times[i];
    let mut row = vec![
        json!(chat.conversation.id),
        json!(i),
        enum_text(t.role),
        enum_text(t.action),
        json!(t.text),
        json!(t.items),
        json!(rfc3339(at)),
        json!(date_of(at).to_string()),
        json!(hour_of(at)),
        json!(iso_weekday(at)),
        json!(t.latency_ms),
        json!(chat.tokens[i]),
        json!(chat.words[i]),
    ];
    row.extend(chat_row.iter().skip(1).cloned());
    row
}

/// A flat-table cell: empty for null, `true`/`false`, numbers as JSON writes them, strings as they are, arrays and
/// objects as JSON text.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}
