//! The LLM retrieval chain of the system agent (`roles.system_agent.decide = "llm"`): before each recommendation
//! the model reads the conversation's text (never the simulator's dialogue acts) and sums up the needs and a search
//! query; the catalog's full-text index is searched with it (items already shown excluded, the category and budget
//! the model understood as filters, dropped when nothing passes them); the hits are reranked by the needs; and the
//! model picks one of the best candidates, shown as item cards, and writes the message. A pick outside the list
//! falls back to the best-ranked candidate, so every recommendation is a real catalog item.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::llm::Talk;
use crate::Result;
use crate::catalog::money::Money;
use crate::catalog::search::Query;
use crate::catalog::sizes::LocalSizes;
use crate::catalog::{Hit, Index};
use crate::config::{RoleConfig, RoleName};
use crate::data;
use crate::llm::images::ImageLoader;
use crate::llm::{ApiRole, ChatMessage, ChatRequest};
use crate::manager::structured::{StructuredPrompts, complete_json};
use crate::manager::{CallTag, Manager};
use crate::model::{Item, Role, Turn};
use crate::template::TemplateBank;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptFile {
    system: String,
    summarise: String,
    recommend: String,
}

/// What the model understood the customer wants.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Needs {
    /// One or two sentences.
    pub summary: String,
    /// The kind of item, or empty when not yet said.
    pub category: String,
    /// The most the customer will pay (0: not said).
    pub max_price: f64,
    /// Attribute words asked for.
    pub wanted: Vec<String>,
    /// Attribute words not wanted.
    pub avoid: Vec<String>,
    /// The search query.
    pub query: String,
}

/// A recommendation the chain settled on.
#[derive(Debug, Clone)]
pub struct Pick {
    /// The item.
    pub item: Item,
    /// The message the model wrote.
    pub message: String,
    /// The query that found it.
    pub query: String,
}

pub use crate::catalog::card::Card;

/// The chain: prompts, model settings, the manager, and a pool of catalog index connections.
pub struct RetrievalChain {
    manager: Arc<Manager>,
    handle: tokio::runtime::Handle,
    role: RoleConfig,
    prompts: TemplateBank,
    structured: StructuredPrompts,
    catalog: PathBuf,
    pool: Mutex<Vec<Index>>,
    candidates: usize,
    images: Option<Arc<ImageLoader>>,
}

impl RetrievalChain {
    /// A chain over the catalog index at `catalog`, showing the model `candidates` items per recommendation (with
    /// their pictures, through `images`, when the role has vision).
    pub fn new(
        manager: Arc<Manager>,
        handle: tokio::runtime::Handle,
        role: RoleConfig,
        prompts_dir: Option<&Path>,
        catalog: &Path,
        candidates: usize,
        images: Arc<ImageLoader>,
    ) -> Result<Self> {
        let (parsed, origin): (PromptFile, String) =
            data::llm_prompts(prompts_dir, "retrieval.toml")?;
        let prompts = TemplateBank::single(
            &[
                ("system", &parsed.system),
                ("summarise", &parsed.summarise),
                ("recommend", &parsed.recommend),
            ],
            &origin,
        )?;
        // Fail now, not in the first conversation, when the index cannot be opened.
        let first = Index::open(catalog)?;
        Ok(RetrievalChain {
            images: role.vision.then_some(images),
            manager,
            handle,
            role,
            prompts,
            structured: StructuredPrompts::load(prompts_dir)?,
            catalog: catalog.to_path_buf(),
            pool: Mutex::new(vec![first]),
            candidates: candidates.max(1),
        })
    }

    /// Read the needs from the conversation so far; `shown` are the titles of the items already recommended. The
    /// model reads the budget in the shopper's currency (`money`); it is converted back to the catalog's.
    pub fn needs(
        &self,
        talk: &Talk,
        history: &[Turn],
        shown: &[String],
        money: Money<'_>,
    ) -> Result<Needs> {
        let ctx = minijinja::context! {
            shown => minijinja::Value::from(minijinja::value::Serde(shown)),
            currency => money.code.as_str(),
        };
        let instruction = format!(
            "{}\n\n{}",
            self.prompts.render_prompt("system", &ctx)?,
            self.prompts.render_prompt("summarise", &ctx)?
        );
        let schema = json!({
            "type": "object",
            "properties": {
                "summary": {"type": "string", "description": "what the customer needs"},
                "category": {"type": "string"},
                "max_price": {"type": "number"},
                "wanted": {"type": "array", "items": {"type": "string"}},
                "avoid": {"type": "array", "items": {"type": "string"}},
                "query": {"type": "string"},
            },
            "required": ["summary", "category", "max_price", "wanted", "avoid", "query"],
            "additionalProperties": false,
        });
        let answer = self.ask(talk, instruction, history, &schema, &[])?;
        let words = |key: &str| -> Vec<String> {
            answer[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|w| w.trim().to_lowercase())
                .filter(|w| !w.is_empty())
                .collect()
        };
        let text = |key: &str| answer[key].as_str().unwrap_or("").trim().to_string();
        Ok(Needs {
            summary: text("summary"),
            category: text("category"),
            max_price: money.to_catalog(answer["max_price"].as_f64().unwrap_or(0.0).max(0.0)),
            wanted: words("wanted"),
            avoid: words("avoid"),
            query: text("query"),
        })
    }

    /// Search, rerank and let the model pick; `None` when the catalog has nothing left to show. The candidates'
    /// prices are shown in the shopper's currency (`money`) and their sizes in the shopper's size system (`sizes`).
    pub fn pick(
        &self,
        talk: &Talk,
        history: &[Turn],
        needs: &Needs,
        exclude: &[String],
        money: Money<'_>,
        sizes: LocalSizes<'_>,
    ) -> Result<Option<Pick>> {
        let query = if needs.query.is_empty() {
            format!("{} {}", needs.category, needs.wanted.join(" "))
        } else {
            needs.query.clone()
        };
        let mut ranked = rerank(self.search(&query, needs, exclude)?, needs, sizes);
        ranked.truncate(self.candidates);
        if ranked.is_empty() {
            return Ok(None);
        }
        let cards: Vec<Card> = ranked
            .iter()
            .map(|h| Card::local(&h.item, money, sizes))
            .collect();
        // With vision, every card's picture, in order (or none, so that numbers and pictures never disagree).
        let pictures: Vec<String> = match &self.images {
            Some(loader) => {
                let urls: Vec<Option<String>> = ranked
                    .iter()
                    .map(|h| h.item.images.first().and_then(|r| loader.url(r)))
                    .collect();
                if urls.iter().all(Option::is_some) {
                    urls.into_iter().flatten().collect()
                } else {
                    Vec::new()
                }
            }
            None => Vec::new(),
        };
        let first = !history
            .iter()
            .any(|t| t.role == Role::System && !t.items.is_empty());
        let ctx = minijinja::context! {
            summary => needs.summary.as_str(),
            candidates => minijinja::Value::from(minijinja::value::Serde(&cards)),
            first => first,
            pictures => !pictures.is_empty(),
        };
        let instruction = format!(
            "{}\n\n{}",
            self.prompts.render_prompt("system", &ctx)?,
            self.prompts.render_prompt("recommend", &ctx)?
        );
        let schema = json!({
            "type": "object",
            "properties": {
                "choice": {"type": "integer"},
                "message": {"type": "string", "description": "recommendation message"},
            },
            "required": ["choice", "message"],
            "additionalProperties": false,
        });
        let answer = self.ask(talk, instruction, history, &schema, &pictures)?;
        let choice = answer["choice"].as_u64().unwrap_or(0) as usize;
        let index = if (1..=ranked.len()).contains(&choice) {
            choice - 1
        } else {
            tracing::debug!(
                "{}: pick {choice} is not among {} candidates; the best-ranked one is shown",
                talk.id,
                ranked.len()
            );
            0
        };
        let item = ranked.swap_remove(index).item;
        let message = match answer["message"].as_str().map(str::trim) {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => format!(
                "You might like {}{}.",
                item.title,
                item.price
                    .map(|p| format!(", at {}", money.write(p)))
                    .unwrap_or_default()
            ),
        };
        Ok(Some(Pick {
            item,
            message,
            query,
        }))
    }

    /// Full-text search with the understood category and budget as filters, each dropped when nothing passes.
    fn search(&self, text: &str, needs: &Needs, exclude: &[String]) -> Result<Vec<Hit>> {
        let index = {
            let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
            pool.pop()
        };
        let index = match index {
            Some(i) => i,
            None => Index::open(&self.catalog)?,
        };
        let category = (!needs.category.is_empty()).then(|| needs.category.clone());
        let max_price = (needs.max_price > 0.0).then_some(needs.max_price);
        let base = Query {
            text: text.to_string(),
            exclude: exclude.to_vec(),
            limit: self.candidates * 4,
            ..Query::default()
        };
        let tries = [
            (category.clone(), max_price),
            (None, max_price),
            (category, None),
            (None, None),
        ];
        let mut hits = Vec::new();
        for (category, max_price) in tries {
            let q = Query {
                category,
                max_price,
                ..base.clone()
            };
            hits = index.search(&q)?;
            if !hits.is_empty() {
                break;
            }
        }
        if hits.is_empty() && !needs.category.is_empty() {
            // No word of the query matched: browse the understood category, best rated first.
            hits = index.search(&Query {
                text: String::new(),
                category: Some(needs.category.clone()),
                ..base
            })?;
        }
        self.pool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(index);
        Ok(hits)
    }

    /// One structured request with the conversation as chat messages from the recommender's point of view;
    /// `pictures` (image URLs) go with the customer's last message.
    fn ask(
        &self,
        talk: &Talk,
        instruction: String,
        history: &[Turn],
        schema: &Value,
        pictures: &[String],
    ) -> Result<Value> {
        let mut messages = vec![ChatMessage::text(ApiRole::System, instruction)];
        for t in history {
            let role = match t.role {
                Role::System => ApiRole::Assistant,
                Role::User => ApiRole::User,
            };
            messages.push(ChatMessage::text(role, t.text.clone()));
        }
        if messages.get(1).is_none_or(|m| m.role == ApiRole::Assistant) {
            messages.insert(1, ChatMessage::text(ApiRole::User, "(The chat opens.)"));
        }
        if !pictures.is_empty()
            && let Some(last) = messages.iter_mut().rev().find(|m| m.role == ApiRole::User)
        {
            last.images = pictures.to_vec();
        }
        let request = ChatRequest::for_role(&self.role, messages, 300);
        let tag = CallTag {
            conversation: talk.id.clone(),
            role: RoleName::SystemAgent,
            under_way: true,
        };
        let call = complete_json(&self.manager, &self.structured, request, schema, &tag);
        super::llm::wait_for(&self.handle, talk, RoleName::SystemAgent, call)
    }
}

/// The words of an item a need can match: title, categories, features and detail values, lowercase; a size also as
/// the shopper says it (`sizes`: "uk 8" beside the catalog's "us 9"), since the needs are read from their words.
fn item_text(item: &Item, sizes: LocalSizes<'_>) -> String {
    let mut text = item.title.to_lowercase();
    for part in item
        .categories
        .iter()
        .chain(&item.features)
        .chain(item.details.values())
    {
        text.push(' ');
        text.push_str(&part.to_lowercase());
    }
    for (k, v) in &item.details {
        if k.eq_ignore_ascii_case("size")
            && let Some(local) = sizes.for_path(item.categories.iter().map(String::as_str), v)
        {
            text.push(' ');
            text.push_str(&local.to_lowercase());
        }
    }
    text
}

/// Rerank search hits by the needs: the search order, plus a point per wanted word the item has, minus two per
/// unwanted word, minus three when over the budget. Stable: equal scores keep the search order. A size word matches
/// as the shopper says it (`sizes`) or as the catalog writes it.
pub fn rerank(hits: Vec<Hit>, needs: &Needs, sizes: LocalSizes<'_>) -> Vec<Hit> {
    let n = hits.len().max(1) as f64;
    let mut scored: Vec<(f64, usize, Hit)> = hits
        .into_iter()
        .enumerate()
        .map(|(rank, hit)| {
            let text = item_text(&hit.item, sizes);
            let mut score = 1.0 - rank as f64 / n;
            score += needs
                .wanted
                .iter()
                .filter(|w| text.contains(w.as_str()))
                .count() as f64;
            score -= 2.0
                * needs
                    .avoid
                    .iter()
                    .filter(|w| text.contains(w.as_str()))
                    .count() as f64;
            if needs.max_price > 0.0 && hit.item.price.is_some_and(|p| p > needs.max_price) {
                score -= 3.0;
            }
            (score, rank, hit)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, h)| h).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: &str, title: &str, price: f64, color: &str) -> Hit {
        Hit {
            score: 0.0,
            item: Item {
                id: id.into(),
                title: title.into(),
                description: vec![],
                features: vec![],
                categories: vec!["Footwear".into(), "Boots".into()],
                price: Some(price),
                rating: None,
                details: [("Color".to_string(), color.to_string())].into(),
                images: vec![],
                new_description: None,
            },
        }
    }

    #[test]
    fn rerank_prefers_wanted_values_and_the_budget_over_search_order() {
        let hits = vec![
            hit("a", "Trail Boot", 150.0, "Black"),
            hit("b", "Trail Boot Lite", 90.0, "Brown"),
            hit("c", "Hiking Boot", 95.0, "Black"),
        ];
        let needs = Needs {
            max_price: 120.0,
            wanted: vec!["black".into()],
            avoid: vec!["lite".into()],
            ..Needs::default()
        };
        let ids: Vec<String> = rerank(hits, &needs, LocalSizes::CATALOG)
            .into_iter()
            .map(|h| h.item.id)
            .collect();
        assert_eq!(ids, ["c", "a", "b"]);
    }

    #[test]
    fn a_size_the_shopper_wants_in_their_system_matches_the_catalogs_size() {
        let sized = |id: &str, size: &str| {
            let mut h = hit(id, "Everyday Sneaker", 60.0, "White");
            h.item.categories = vec!["Footwear".into(), "Men".into(), "Shoes".into()];
            h.item.details.insert("Size".into(), size.into());
            h
        };
        // A Londoner's "UK 8" is the catalog's "US 9" of the men's chart.
        let needs = Needs {
            wanted: vec!["uk 8".into()],
            ..Needs::default()
        };
        let tables =
            crate::catalog::sizes::Sizes::load(None, &crate::config::SizesConfig::default())
                .unwrap();
        let uk = tables.for_country(Some("United Kingdom"));
        let ids = |sizes| -> Vec<String> {
            rerank(vec![sized("a", "US 8"), sized("b", "US 9")], &needs, sizes)
                .into_iter()
                .map(|h| h.item.id)
                .collect()
        };
        assert_eq!(ids(uk), ["b", "a"]);
        assert_eq!(ids(LocalSizes::CATALOG), ["a", "b"]);
    }
}
