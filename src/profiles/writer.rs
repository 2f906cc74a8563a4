//! The LLM scenario writer (`roles.scenario_writer.agent = "llm"`): for each drawn profile, one structured request
//! (prompts in `prompts/llm/scenario.toml`) that first judges whether the persona would plausibly shop for the target
//! for the drawn reason — seeing the item's title, which MUSE's gate never did — and then writes the backstory and
//! picks the requirements among the target's own attributes. An implausible draw is redrawn (and counted); picks
//! that are not among the offered attributes are replaced by the tables' requirements, and a narrative that names
//! the target is replaced by the tables' one, so every profile stays grounded in its target.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Result;
use crate::agents::llm::{Talk, wait_for};
use crate::catalog::money::Currencies;
use crate::catalog::sizes::Sizes;
use crate::config::{Config, RoleConfig, RoleName};
use crate::data;
use crate::llm::{ApiRole, ChatMessage, ChatRequest};
use crate::manager::structured::{StructuredPrompts, complete_json};
use crate::manager::{CallTag, Engine, Manager, Routes, UsageRow};
use crate::model::{Item, Profile, Requirement};
use crate::plan::Plan;
use crate::template::TemplateBank;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptFile {
    system: String,
    write: String,
}

/// What the writer did to one draw.
#[derive(Debug)]
pub enum Written {
    /// The model judged the draw implausible, for this reason.
    Implausible(String),
    /// The profile with the model's narrative and requirements.
    Profile {
        /// The rewritten profile.
        profile: Box<Profile>,
        /// Requirements the model picked outside the offered attributes, replaced by the tables' ones.
        replaced: usize,
        /// The model's narrative was unusable (empty, too short, or naming the target) and the tables' one stayed.
        narrative_kept: bool,
    },
}

/// What the writer did over a run, for the profiles report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WriterReport {
    /// Profiles whose scenario the model wrote.
    pub written: usize,
    /// Draws the model judged implausible (each was redrawn).
    pub implausible: usize,
    /// Requirements picked outside the target's attributes and replaced.
    pub requirements_replaced: usize,
    /// Narratives that were unusable, where the tables' narrative stayed.
    pub narratives_kept: usize,
    /// Requests, tokens and cost.
    pub usage: UsageRow,
}

#[derive(Serialize)]
struct Candidate<'a> {
    attribute: &'a str,
    /// As the persona would say it: a size in their country's system.
    value: &'a str,
}

#[derive(Serialize)]
struct WriteContext<'a> {
    persona: String,
    reason: &'a str,
    occasion: &'a str,
    recipient: &'a str,
    need: &'a str,
    title: &'a str,
    category: String,
    price: String,
    budget: String,
    requirements: usize,
    candidates: Vec<Candidate<'a>>,
}

/// The writer: its prompts, its model settings, and the manager its requests go through.
pub struct ScenarioWriter {
    manager: Arc<Manager>,
    engine: Engine,
    role: RoleConfig,
    prompts: TemplateBank,
    structured: StructuredPrompts,
    requirements: usize,
    /// The currencies a persona's budget and the target's price are written in.
    currencies: Currencies,
    /// The size systems a persona says the target's size in.
    sizes: Sizes,
}

impl ScenarioWriter {
    /// The writer the plan's config asks for (`None` when the role is `sim`), on the plan's engine with its answers
    /// cached in `cache`; with `dry`, on a manager of its own over the backend that sends nothing (and no cache).
    pub fn connect(plan: &Plan, cache: &Path, dry: bool) -> Result<Option<Self>> {
        let config = &plan.config;
        let engine = if dry {
            match Routes::connect(config, &[RoleName::ScenarioWriter], true)? {
                Some(routes) => Some(Engine::new(Arc::new(routes.manager(config, None)))?),
                None => None,
            }
        } else {
            plan.engine(&[RoleName::ScenarioWriter], cache)?
        };
        let Some(engine) = engine else {
            return Ok(None);
        };
        // The profiles are written whole each time: the stage's ledger starts empty.
        engine.manager().begin_stage(None)?;
        Self::over(&engine, config).map(Some)
    }

    /// The run panel's view of the writer's requests.
    pub fn snapshot_source(&self) -> crate::progress::SnapshotSource {
        Manager::snapshot_source(&self.manager)
    }

    /// A writer sending through `engine` (whose manager routes the `scenario_writer` role).
    pub fn over(engine: &Engine, config: &Config) -> Result<Self> {
        let (parsed, origin): (PromptFile, String) =
            data::llm_prompts(config.prompts_dir.as_deref(), "scenario.toml")?;
        let prompts = TemplateBank::single(
            &[("system", &parsed.system), ("write", &parsed.write)],
            &origin,
        )?;
        Ok(ScenarioWriter {
            manager: engine.manager().clone(),
            engine: engine.clone(),
            role: config.roles.scenario_writer.clone(),
            prompts,
            structured: StructuredPrompts::load(config.prompts_dir.as_deref())?,
            requirements: config.profiles.requirements.get(),
            currencies: Currencies::load(config.profiles.tables_dir.as_deref(), &config.currency)?,
            sizes: Sizes::load(config.profiles.tables_dir.as_deref(), &config.sizes)?,
        })
    }

    /// How many requests should be in flight now (the manager's target): one draw asks one at a time.
    pub fn target_in_flight(&self) -> usize {
        self.manager.target_in_flight()
    }

    /// Family and model, recorded on each profile it wrote.
    pub fn name(&self) -> String {
        format!("llm:{}", self.role.model)
    }

    /// The usage totals so far.
    pub fn totals(&self) -> UsageRow {
        self.manager.totals()
    }

    /// Write the ledger (one row per profile) to `path`.
    pub fn write_usage(&self, path: &Path) -> Result<()> {
        self.manager.write_usage(path)
    }

    /// The answer's JSON Schema.
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "plausible": {"type": "boolean"},
                "reason": {"type": "string", "description": "why the draw is or is not plausible"},
                "narrative": {"type": "string", "description": "backstory of the shopper before an upcoming moment"},
                "requirements": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "choice": {"type": "integer"},
                            "text": {"type": "string", "description": "requirement as the shopper says it"},
                        },
                        "required": ["choice", "text"],
                        "additionalProperties": false,
                    },
                },
            },
            "required": ["plausible", "reason", "narrative", "requirements"],
            "additionalProperties": false,
        })
    }

    /// Judge and rewrite draw `attempt` of `profile`, whose target is `item`; `candidates` are the target's
    /// attributes a requirement may come from (attribute key, value).
    pub fn write(
        &self,
        profile: Profile,
        item: &Item,
        candidates: &[(String, String)],
        attempt: u32,
    ) -> Result<Written> {
        let ctx = self.context(&profile, item, candidates);
        let value = minijinja::Value::from(minijinja::value::Serde(&ctx));
        let messages = vec![
            ChatMessage::text(
                ApiRole::System,
                self.prompts.render_prompt("system", &value)?,
            ),
            ChatMessage::text(ApiRole::User, self.prompts.render_prompt("write", &value)?),
        ];
        let request = ChatRequest::for_role(&self.role, messages, 0);
        let tag = CallTag {
            conversation: profile.id.clone(),
            role: RoleName::ScenarioWriter,
            under_way: attempt > 0,
        };
        let talk = Talk {
            id: profile.id.clone(),
            deadline: None,
            clock: Default::default(),
        };
        let schema = Self::schema();
        let call = complete_json(&self.manager, &self.structured, request, &schema, &tag);
        let answer = wait_for(&self.engine.handle(), &talk, RoleName::ScenarioWriter, call)?;
        Ok(apply(
            profile,
            item,
            candidates,
            &answer,
            self.requirements,
            &self.name(),
        ))
    }

    fn context<'a>(
        &'a self,
        profile: &'a Profile,
        item: &'a Item,
        candidates: &'a [(String, String)],
    ) -> WriteContext<'a> {
        let p = &profile.persona;
        let s = &profile.scenario;
        let gender = format!("{:?}", p.gender).to_lowercase();
        let mut persona = format!("{}, {gender}, {} years old", p.name, p.age);
        if let Some(prof) = &p.profession {
            persona.push_str(&format!(", {prof}"));
        }
        if let Some(loc) = &p.location {
            persona.push_str(&format!(", living in {}, {}", loc.city, loc.country));
        }
        if let Some(style) = &p.style {
            persona.push_str(&format!(", {style} style"));
        }
        // In the persona's currency: the budget as they state it, the price converted.
        let local = self.currencies.for_profile(profile);
        let sizes = self.sizes.for_profile(profile);
        let money = |x: Option<f64>| x.map(|x| local.write(x)).unwrap_or_default();
        WriteContext {
            persona,
            reason: s.purchase_reason.as_deref().unwrap_or(""),
            occasion: s.occasion.as_deref().unwrap_or(""),
            recipient: s.recipient.as_deref().unwrap_or(""),
            need: s.need.as_deref().unwrap_or(""),
            title: &item.title,
            category: item.category_path(),
            price: money(item.price),
            budget: money(s.budget.as_ref().map(|b| b.max)),
            requirements: self.requirements,
            // A size as the persona says it ("UK 8" for the catalog's "US 9"), so that neither the requirement
            // texts nor the story the model writes give the catalog's system to a shopper who counts in another.
            candidates: candidates
                .iter()
                .map(|(attribute, value)| Candidate {
                    attribute,
                    value: sizes
                        .for_path(item.categories.iter().map(String::as_str), value)
                        .unwrap_or(value),
                })
                .collect(),
        }
    }
}

/// Apply the model's answer to the drawn profile, keeping it grounded: picks must be among `candidates`, the
/// narrative must be usable and must not name the target; whatever is not usable stays as the tables drew it.
fn apply(
    mut profile: Profile,
    item: &Item,
    candidates: &[(String, String)],
    answer: &Value,
    wanted: usize,
    writer: &str,
) -> Written {
    if answer["plausible"] == Value::Bool(false) {
        let why = answer["reason"].as_str().unwrap_or("").trim();
        return Written::Implausible(if why.is_empty() {
            "no reason given".into()
        } else {
            why.to_string()
        });
    }
    let mut picked: Vec<Requirement> = Vec::new();
    let mut replaced = 0;
    for r in answer["requirements"].as_array().into_iter().flatten() {
        let choice = r["choice"].as_u64().unwrap_or(0) as usize;
        let text = r["text"].as_str().unwrap_or("").trim();
        match candidates.get(choice.wrapping_sub(1)) {
            Some((attribute, value))
                if picked.len() < wanted && !picked.iter().any(|p| &p.value == value) =>
            {
                // The tables' phrasing when the model gave none.
                let fallback = profile
                    .scenario
                    .requirements
                    .iter()
                    .find(|q| &q.value == value)
                    .map(|q| q.text.clone());
                picked.push(Requirement {
                    attribute: attribute.clone(),
                    value: value.clone(),
                    text: if text.is_empty() {
                        fallback.unwrap_or_else(|| format!("It should have {value}."))
                    } else {
                        text.to_string()
                    },
                });
            }
            _ => replaced += 1,
        }
    }
    // Top up from the tables' requirements, so every profile reveals as many as configured.
    for q in &profile.scenario.requirements {
        if picked.len() >= wanted {
            break;
        }
        if !picked.iter().any(|p| p.value == q.value) {
            picked.push(q.clone());
        }
    }
    replaced = replaced.min(wanted);
    profile.scenario.requirements = picked;
    let narrative = answer["narrative"].as_str().unwrap_or("").trim();
    let names_target = narrative
        .to_lowercase()
        .contains(&item.title.to_lowercase())
        || narrative.contains(&item.id);
    let narrative_kept = narrative.chars().count() < 20 || names_target;
    if !narrative_kept {
        profile.scenario.narrative = narrative.to_string();
    }
    profile.scenario.written_by = Some(writer.to_string());
    Written::Profile {
        profile: Box::new(profile),
        replaced,
        narrative_kept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Budget, Scenario};

    fn drawn() -> (Profile, Item, Vec<(String, String)>) {
        let item = Item {
            id: "s1".into(),
            title: "Carhartt Men's Force Tappen Cargo Pant".into(),
            description: vec![],
            features: vec!["Ripstop fabric".into()],
            categories: vec!["Clothing".into(), "Men".into(), "Pants".into()],
            price: Some(49.99),
            rating: Some(4.5),
            details: [("Color".to_string(), "Black".to_string())].into(),
            images: vec![],
            new_description: None,
        };
        let profile = Profile {
            id: "p0000001".into(),
            persona: serde_json::from_value(
                json!({"name": "Sam Lee", "gender": "male", "age": 34, "language_mix": "en"}),
            )
            .unwrap(),
            scenario: Scenario {
                purchase_reason: Some("work".into()),
                occasion: None,
                recipient: None,
                need: Some("new trousers".into()),
                narrative: "The tables' story about a new job.".into(),
                requirements: vec![Requirement {
                    attribute: "color".into(),
                    value: "Black".into(),
                    text: "Black, please.".into(),
                }],
                budget: Some(Budget::catalog(60.0)),
                category: item.categories.clone(),
                written_by: None,
            },
            target_item_id: "s1".into(),
        };
        let candidates = vec![
            ("color".to_string(), "Black".to_string()),
            ("feature".to_string(), "Ripstop fabric".to_string()),
        ];
        (profile, item, candidates)
    }

    #[test]
    fn an_implausible_draw_says_why() {
        let (p, item, c) = drawn();
        let answer = json!({"plausible": false, "reason": "a men's pant for a girl of 9", "narrative": "", "requirements": []});
        match apply(p, &item, &c, &answer, 2, "llm:m") {
            Written::Implausible(why) => assert!(why.contains("men's pant")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn picks_outside_the_attributes_are_replaced_and_the_count_is_kept() {
        let (p, item, c) = drawn();
        let answer = json!({"plausible": true, "reason": "fits", "narrative": "Sam starts a new job on a building site next week and needs sturdy trousers.",
            "requirements": [{"choice": 2, "text": "I want tough ripstop fabric."}, {"choice": 9, "text": "Made of gold."}]});
        let Written::Profile {
            profile,
            replaced,
            narrative_kept,
        } = apply(p, &item, &c, &answer, 2, "llm:m")
        else {
            panic!()
        };
        assert_eq!(replaced, 1);
        assert!(!narrative_kept);
        let values: Vec<&str> = profile
            .scenario
            .requirements
            .iter()
            .map(|r| r.value.as_str())
            .collect();
        assert_eq!(values, ["Ripstop fabric", "Black"]);
        assert_eq!(
            profile.scenario.requirements[0].text,
            "I want tough ripstop fabric."
        );
        assert!(profile.scenario.narrative.starts_with("Sam starts"));
    }

    #[test]
    fn a_narrative_naming_the_target_is_not_used() {
        let (p, item, c) = drawn();
        let answer = json!({"plausible": true, "reason": "fits", "narrative": "He wants the Carhartt Men's Force Tappen Cargo Pant for work, nothing else.",
            "requirements": [{"choice": 1, "text": "Black."}]});
        let Written::Profile {
            profile,
            narrative_kept,
            ..
        } = apply(p, &item, &c, &answer, 2, "llm:m")
        else {
            panic!()
        };
        assert!(narrative_kept);
        assert_eq!(
            profile.scenario.narrative,
            "The tables' story about a new job."
        );
    }
}
