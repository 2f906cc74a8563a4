//! The MUSE file shapes, written from a conversations file on request: `detail_convs/conv_N.json` (Persona, Scenario,
//! Target_item, Mentioned_items, Conversations with Action, Mentioned_item, Image) and `convs/conv_N.json`
//! (`[{"Assistant": …}, {"User": …}]`), one file per conversation, each written whole.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::catalog::Index;
use crate::io::{AtomicFile, read_jsonl_lines};
use crate::model::{Conversation, Item, Profile, Role};
use crate::{Error, Result};

/// Write the MUSE shapes of every conversation in `conversations` under `dir` (`dir/detail_convs`, `dir/convs`).
/// Returns how many conversations were written.
pub fn export(conversations: &Path, profiles: &Path, catalog: &Path, dir: &Path) -> Result<usize> {
    let index = Index::open(catalog)?;
    let mut by_id: HashMap<String, Profile> = HashMap::new();
    read_jsonl_lines(profiles, |line, text| {
        let p: Profile = serde_json::from_str(text)
            .map_err(|e| Error::input(profiles, Some(line), None, format!("not a profile: {e}")))?;
        by_id.insert(p.id.clone(), p);
        Ok(())
    })?;
    let detail_dir = dir.join("detail_convs");
    let convs_dir = dir.join("convs");
    let mut n = 0;
    read_jsonl_lines(conversations, |line, text| {
        let c: Conversation = serde_json::from_str(text).map_err(|e| {
            Error::input(
                conversations,
                Some(line),
                None,
                format!("not a conversation: {e}"),
            )
        })?;
        let profile = by_id.get(&c.profile_id).ok_or_else(|| {
            Error::input(
                conversations,
                Some(line),
                Some("profile_id"),
                format!("profile {} is not in {}", c.profile_id, profiles.display()),
            )
        })?;
        let target = index.get(&c.target_item_id)?;
        let number = c.id.trim_start_matches('c').trim_start_matches('0');
        let number = if number.is_empty() { "0" } else { number };
        write_json(
            &detail_dir.join(format!("conv_{number}.json")),
            &detail(&c, profile, target.as_ref()),
        )?;
        write_json(&convs_dir.join(format!("conv_{number}.json")), &plain(&c))?;
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

fn speaker(role: Role) -> &'static str {
    match role {
        Role::System => "Assistant",
        Role::User => "User",
    }
}

/// MUSE's persona string: `Name: …, Gender: …, Age: …, Profession: …`.
fn persona_line(p: &Profile) -> String {
    let q = &p.persona;
    let mut s = format!(
        "Name: {}, Gender: {}, Age: {}",
        q.name,
        q.gender.as_str(),
        q.age
    );
    if let Some(prof) = &q.profession {
        s.push_str(&format!(", Profession: {prof}"));
    }
    s
}

/// An item in MUSE's item-profile shape.
pub fn muse_item(item: &Item) -> Value {
    json!({
        "item_id": item.id,
        "title": item.title,
        "description": item.description,
        "features": item.features,
        "categories": item.categories,
        "price": item.price,
        "average_rating": item.rating,
        "details": item.details,
        "images": item.images.first().cloned().unwrap_or_default(),
        "new_description": item.new_description.clone().unwrap_or_default(),
    })
}

fn detail(c: &Conversation, p: &Profile, target: Option<&Item>) -> Value {
    let turns: Vec<Value> = c
        .turns
        .iter()
        .map(|t| {
            let mut m = Map::new();
            m.insert(speaker(t.role).into(), Value::String(t.text.clone()));
            m.insert("Action".into(), Value::String(t.action.muse_label().into()));
            m.insert("Mentioned_item".into(), json!(t.items));
            m.insert("Image".into(), json!(t.images));
            Value::Object(m)
        })
        .collect();
    json!({
        "Persona": persona_line(p),
        "Scenario": p.scenario.narrative,
        "Target_item": target.map(muse_item).unwrap_or(Value::Null),
        "Mentioned_items": c.mentioned_items,
        "Conversations": turns,
    })
}

fn plain(c: &Conversation) -> Value {
    Value::Array(
        c.turns
            .iter()
            .map(|t| json!({ speaker(t.role): t.text }))
            .collect(),
    )
}

fn write_json(path: &Path, value: &Value) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    serde_json::to_writer_pretty(&mut f, value)
        .map_err(|e| Error::write(path, std::io::Error::other(e)))?;
    f.write_all(b"\n").map_err(|e| Error::write(path, e))?;
    f.commit()
}
