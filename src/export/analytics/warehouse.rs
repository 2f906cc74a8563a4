//! What the star and snowflake schemas share: the first pass that gathers every dimension member (users, items,
//! categories, dates, actions, models), the surrogate keys (1, 2, … in sorted order of the natural key, so the same
//! input always gets the same keys; dates use YYYYMMDD), the date, action, model and item dimensions, and the fact
//! rows of the second pass (in [`super::facts`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::Inputs;
use super::schema::{SqlType, TableSpec, col, fk, req};
use super::timeline::date_of;
use crate::Result;
use crate::config::Date;
use crate::model::{Action, Item, Persona};

/// A dimension table and its rows.
pub type Table = (TableSpec, Vec<Vec<Value>>);

/// The members of every dimension, from a first pass over the conversations.
#[derive(Debug, Default)]
pub struct Dimensions {
    /// Conversation id → its number of turns.
    pub conversations: BTreeMap<String, usize>,
    /// User id → persona (when the profile is known).
    pub users: BTreeMap<String, Option<Persona>>,
    /// Item id → the catalog's item (when there is a catalog holding it).
    pub items: BTreeMap<String, Option<Item>>,
    /// Category paths (of targets and items).
    pub categories: BTreeSet<Vec<String>>,
    /// Days (since 1970-01-01) on which something happened.
    pub dates: BTreeSet<i64>,
    /// Dialogue acts, by name.
    pub actions: BTreeSet<String>,
    /// Agents (`sim`, `llm:MODEL`, `import:FORMAT`).
    pub models: BTreeSet<String>,
}

/// The serialised name of `v` (an enum with snake_case names).
pub fn name_of<T: serde::Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Gather the dimension members of every conversation of `inputs`.
pub fn collect(inputs: &Inputs) -> Result<Dimensions> {
    let mut d = Dimensions {
        // Every dialogue act, so `dim_action` is the same whatever the input holds.
        actions: Action::ALL.iter().map(|a| name_of(*a)).collect(),
        ..Dimensions::default()
    };
    let mut item_ids = BTreeSet::new();
    inputs.for_each_chat_untokenized(|chat| {
        let c = chat.conversation;
        d.conversations.insert(c.id.clone(), c.turns.len());
        if let Some(user) = chat.user_id() {
            d.users.insert(user.to_string(), chat.persona().cloned());
        }
        let named = [Some(&c.target_item_id), c.accepted_item.as_ref()];
        let turn_items = c.turns.iter().flat_map(|t| t.items.iter());
        for id in named
            .into_iter()
            .flatten()
            .chain(&c.mentioned_items)
            .chain(turn_items)
        {
            if !id.is_empty() {
                item_ids.insert(id.clone());
            }
        }
        if !chat.target_category.is_empty() {
            d.categories.insert(chat.target_category.clone());
        }
        d.dates.insert(date_of(chat.start_ms).days);
        d.dates.extend(chat.times.iter().map(|t| date_of(*t).days));
        d.models.insert(c.meta.user_agent.clone());
        d.models.insert(c.meta.system_agent.clone());
        d.actions.extend(c.turns.iter().map(|t| name_of(t.action)));
        Ok(())
    })?;
    for id in item_ids {
        let item = inputs.item(&id)?;
        if let Some(i) = item.as_ref().filter(|i| !i.categories.is_empty()) {
            d.categories.insert(i.categories.clone());
        }
        d.items.insert(id, item);
    }
    Ok(d)
}

/// Keys 1, 2, … in sorted order.
pub fn keyed<T: Ord + Clone>(members: impl IntoIterator<Item = T>) -> BTreeMap<T, i64> {
    let sorted: BTreeSet<T> = members.into_iter().collect();
    sorted.into_iter().zip(1..).collect()
}

/// The surrogate keys of one schema.
#[derive(Debug, Default)]
pub struct Keys {
    /// Conversation id → (conversation key, key of its first turn).
    pub conversation: BTreeMap<String, (i64, i64)>,
    /// User id → user key.
    pub user: BTreeMap<String, i64>,
    /// Item id → item key.
    pub item: BTreeMap<String, i64>,
    /// Category path → category key (full paths in the star, every prefix in the snowflake).
    pub category: BTreeMap<Vec<String>, i64>,
    /// Action name → action key.
    pub action: BTreeMap<String, i64>,
    /// Agent → model key.
    pub model: BTreeMap<String, i64>,
}

impl Keys {
    /// Keys for `d`, with `category` as the category members.
    pub fn new(d: &Dimensions, category: BTreeMap<Vec<String>, i64>) -> Keys {
        let mut next_turn = 1;
        let conversation = d
            .conversations
            .iter()
            .zip(1..)
            .map(|((id, turns), key)| {
                let first = next_turn;
                next_turn += *turns as i64;
                (id.clone(), (key, first))
            })
            .collect();
        Keys {
            conversation,
            user: keyed(d.users.keys().cloned()),
            item: keyed(d.items.keys().cloned()),
            category,
            action: keyed(d.actions.iter().cloned()),
            model: keyed(d.models.iter().cloned()),
        }
    }

    /// The key of `k` in `map`, or null.
    pub fn get(map: &BTreeMap<String, i64>, k: &str) -> Value {
        map.get(k).map_or(Value::Null, |v| json!(v))
    }

    /// The item key of `id`, or null.
    pub fn item_of(&self, id: Option<&str>) -> Value {
        id.map_or(Value::Null, |i| Self::get(&self.item, i))
    }
}

/// `YYYYMMDD` as an integer: the date key.
pub fn date_key(days: i64) -> i64 {
    let (y, m, d) = Date { days }.civil();
    y * 10_000 + i64::from(m) * 100 + i64::from(d)
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// `dim_date`.
pub fn dim_date(d: &Dimensions) -> (TableSpec, Vec<Vec<Value>>) {
    use SqlType::*;
    let spec = TableSpec {
        name: "dim_date",
        columns: vec![
            req("date_key", Integer),
            req("calendar_date", Text),
            req("year", Integer),
            req("month", Integer),
            req("day", Integer),
            req("weekday", Integer),
            req("weekday_name", Text),
            req("is_weekend", Bool),
        ],
    };
    let rows = d
        .dates
        .iter()
        .map(|days| {
            let date = Date { days: *days };
            let (y, m, dd) = date.civil();
            let wd = date.weekday();
            vec![
                json!(date_key(*days)),
                json!(date.to_string()),
                json!(y),
                json!(m),
                json!(dd),
                json!(wd + 1),
                json!(WEEKDAYS[wd as usize]),
                json!(wd >= 5),
            ]
        })
        .collect();
    (spec, rows)
}

/// `dim_action`.
pub fn dim_action(k: &Keys) -> (TableSpec, Vec<Vec<Value>>) {
    let spec = TableSpec {
        name: "dim_action",
        columns: vec![
            req("action_key", SqlType::Integer),
            req("action", SqlType::Text),
            req("muse_label", SqlType::Text),
        ],
    };
    let rows = k
        .action
        .iter()
        .map(|(name, key)| {
            let label = serde_json::from_value::<Action>(json!(name))
                .map_or("chit-chat", |a| a.muse_label());
            vec![json!(key), json!(name), json!(label)]
        })
        .collect();
    (spec, rows)
}

/// `dim_model`: each agent, split into its family (`sim`, `llm`, `import`) and model.
pub fn dim_model(k: &Keys) -> (TableSpec, Vec<Vec<Value>>) {
    let spec = TableSpec {
        name: "dim_model",
        columns: vec![
            req("model_key", SqlType::Integer),
            req("agent", SqlType::Text),
            req("family", SqlType::Text),
            col("model", SqlType::Text),
        ],
    };
    let rows = k
        .model
        .iter()
        .map(|(agent, key)| {
            let (family, model) = match agent.split_once(':') {
                Some((f, m)) => (f, Some(m)),
                None => (agent.as_str(), None),
            };
            vec![json!(key), json!(agent), json!(family), json!(model)]
        })
        .collect();
    (spec, rows)
}

/// `dim_item`: every item a conversation refers to; title, price, rating and category from the catalog when it
/// holds the item, else the id alone.
pub fn dim_item(d: &Dimensions, k: &Keys) -> (TableSpec, Vec<Vec<Value>>) {
    let spec = TableSpec {
        name: "dim_item",
        columns: vec![
            req("item_key", SqlType::Integer),
            req("item_id", SqlType::Text),
            col("title", SqlType::Text),
            col("price", SqlType::Double),
            col("rating", SqlType::Double),
            fk("category_key", "dim_category", "category_key"),
        ],
    };
    let rows = d
        .items
        .iter()
        .map(|(id, item)| {
            let i = item.as_ref();
            vec![
                Keys::get(&k.item, id.as_str()),
                json!(id),
                i.map_or(Value::Null, |i| json!(i.title)),
                i.and_then(|i| i.price).map_or(Value::Null, |p| json!(p)),
                i.and_then(|i| i.rating).map_or(Value::Null, |r| json!(r)),
                i.and_then(|i| k.category.get(&i.categories))
                    .map_or(Value::Null, |c| json!(c)),
            ]
        })
        .collect();
    (spec, rows)
}
