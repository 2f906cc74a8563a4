//! The LLM judge (`roles.judge.agent = "llm"`): rubrics as data files (`evaluation/rubrics/*.toml`: a name, a
//! scale, aspects with anchored descriptions per score, and the prompt template), one structured request per
//! rubric and sample through the manager (so answers are cached and never paid twice), a reason before each
//! score, scores outside the scale refused, and `review.samples` judgements averaged.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::agents::llm::{Talk, wait_for};
use crate::config::{Config, RoleConfig, RoleName};
use crate::data::{self, RUBRICS};
use crate::llm::{ApiRole, ChatMessage, ChatRequest};
use crate::manager::structured::{StructuredPrompts, complete_json};
use crate::manager::{CallTag, Engine, Manager, UsageRow};
use crate::model::{AspectScore, Conversation, Profile, Role, RubricScores};
use crate::plan::Plan;
use crate::template::TemplateBank;
use crate::{Error, Result};

/// One aspect of a rubric.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aspect {
    /// Name (`content_quality`).
    pub name: String,
    /// What the judge is asked.
    pub question: String,
    /// Score (as text) → what it means.
    pub anchors: BTreeMap<String, String>,
}

/// A rubric file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    /// Name (the file's stem, and the key in reviews).
    pub name: String,
    /// One line on what it measures.
    pub description: String,
    /// Lowest and highest score.
    pub scale: [i64; 2],
    /// The aspects scored.
    pub aspects: Vec<Aspect>,
    /// The prompt template (MiniJinja): conversation, persona, scenario, aspects, low, high.
    pub prompt: String,
}

impl Rubric {
    /// The highest total.
    pub fn max_total(&self) -> f64 {
        (self.scale[1] * self.aspects.len() as i64) as f64
    }
}

/// Load the rubrics named in `names`: the embedded ones, replaced or joined by the `*.toml` of `dir/rubrics`.
pub fn load_rubrics(names: &[String], dir: Option<&Path>) -> Result<Vec<Rubric>> {
    let over = dir.map(|d| d.join("rubrics"));
    let files = data::load_set(
        RUBRICS,
        "evaluation/rubrics",
        over.as_deref().filter(|d| d.is_dir()),
        true,
    )?;
    let mut out = Vec::new();
    for name in names {
        let file = files
            .iter()
            .find(|f| f.file_name == format!("{name}.toml"))
            .ok_or_else(|| {
                let known: Vec<&str> = files
                    .iter()
                    .map(|f| f.file_name.trim_end_matches(".toml"))
                    .collect();
                Error::Config(format!(
                    "review.rubrics: no rubric `{name}` (known: {})",
                    known.join(", ")
                ))
            })?;
        let rubric: Rubric = data::parse(file)?;
        if rubric.scale[0] >= rubric.scale[1] || rubric.aspects.is_empty() {
            return Err(Error::data(
                &file.origin,
                "a rubric needs a scale [low, high] with low < high and at least one aspect",
            ));
        }
        out.push(rubric);
    }
    Ok(out)
}

/// The embedded pairwise prompt.
const PAIRWISE: &str = include_str!("../../evaluation/pairwise.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PairwiseFile {
    prompt: String,
}

/// The pairwise judge's verdict on two candidate replies A and B.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Preference {
    /// From +1 (A better in every judgement) to -1 (B better in every one); 0 when the judgements cancel out.
    pub score: f64,
    /// Each judgement: +1 for A, -1 for B, 0 for a tie; both orders for every sample.
    pub votes: Vec<i8>,
    /// The reason of the first judgement.
    pub reason: String,
}

/// The judge.
pub struct Judge {
    manager: Arc<Manager>,
    engine: Engine,
    role: RoleConfig,
    rubrics: Vec<(Rubric, TemplateBank)>,
    structured: StructuredPrompts,
    samples: u32,
    pairwise: TemplateBank,
}

impl Judge {
    /// The judge the plan's config asks for (`None` when `roles.judge` is `sim`), on the plan's engine, its answers
    /// cached in `cache`.
    pub fn connect(plan: &Plan, cache: &Path) -> Result<Option<Self>> {
        match plan.engine(&[RoleName::Judge], cache)? {
            Some(engine) => Self::over(&engine, &plan.config).map(Some),
            None => Ok(None),
        }
    }

    /// The run panel's view of the judge's requests.
    pub fn snapshot_source(&self) -> crate::progress::SnapshotSource {
        Manager::snapshot_source(&self.manager)
    }

    /// A judge sending through `engine` (whose manager routes the `judge` role).
    pub fn over(engine: &Engine, config: &Config) -> Result<Self> {
        let rubrics = load_rubrics(
            &config.review.rubrics,
            config.review.evaluation_dir.as_deref(),
        )?
        .into_iter()
        .map(|r| {
            let bank =
                TemplateBank::single(&[("prompt", &r.prompt)], &format!("rubric {}", r.name))?;
            Ok((r, bank))
        })
        .collect::<Result<Vec<_>>>()?;
        let user = config
            .review
            .evaluation_dir
            .as_ref()
            .map(|d| d.join("pairwise.toml"));
        let parsed: PairwiseFile =
            data::parse_override(user.as_deref(), PAIRWISE, "evaluation/pairwise.toml")?;
        let pairwise = TemplateBank::single(&[("prompt", &parsed.prompt)], "pairwise.toml")?;
        Ok(Judge {
            pairwise,
            manager: engine.manager().clone(),
            engine: engine.clone(),
            role: config.roles.judge.clone(),
            rubrics,
            structured: StructuredPrompts::load(config.prompts_dir.as_deref())?,
            samples: config.review.samples.get(),
        })
    }

    /// The rubrics, for the keep rule's field check and the report's scales.
    pub fn rubrics(&self) -> impl Iterator<Item = &Rubric> {
        self.rubrics.iter().map(|(r, _)| r)
    }

    /// The usage totals so far.
    pub fn totals(&self) -> UsageRow {
        self.manager.totals()
    }

    /// How many requests should be in flight now (the manager's target): one review asks one at a time.
    pub fn target_in_flight(&self) -> usize {
        self.manager.target_in_flight()
    }

    /// Start the judge's ledger on its engine, from an earlier run's at `path` when there is one.
    pub fn begin_stage(&self, path: &Path) -> Result<()> {
        self.manager.begin_stage(Some(path))
    }

    /// Write the ledger to `path`.
    pub fn write_usage(&self, path: &Path) -> Result<()> {
        self.manager.write_usage(path)
    }

    /// One structured judgement of conversation `id`: sample `k` of `prompt` (each sample is its own call and cache
    /// entry; OpenAI also takes the seed as a sampling hint).
    fn ask(
        &self,
        id: &str,
        prompt: String,
        schema: &Value,
        k: u32,
        min_tokens: u32,
    ) -> Result<Value> {
        let mut request = ChatRequest::for_role(
            &self.role,
            vec![ChatMessage::text(ApiRole::User, prompt)],
            min_tokens,
        );
        request.seed = (self.samples > 1).then_some(u64::from(k));
        let tag = CallTag {
            conversation: id.to_string(),
            role: RoleName::Judge,
            under_way: false,
        };
        let talk = Talk {
            id: id.to_string(),
            deadline: None,
            clock: Default::default(),
        };
        let call = complete_json(&self.manager, &self.structured, request, schema, &tag);
        wait_for(&self.engine.handle(), &talk, RoleName::Judge, call)
    }

    /// The schema of a rubric's answer: per aspect, a reason and then an integer score on the rubric's scale (a
    /// grammar-constrained server keeps it there; elsewhere an off-scale score is re-asked).
    fn schema(rubric: &Rubric) -> Value {
        let mut properties = serde_json::Map::new();
        for a in &rubric.aspects {
            properties.insert(
                a.name.clone(),
                json!({
                    "type": "object",
                    "properties": {
                        "reason": {"type": "string", "description": "why this score"},
                        "score": {"type": "integer", "minimum": rubric.scale[0], "maximum": rubric.scale[1]},
                    },
                    "required": ["reason", "score"],
                    "additionalProperties": false,
                }),
            );
        }
        let names: Vec<&str> = rubric.aspects.iter().map(|a| a.name.as_str()).collect();
        json!({"type": "object", "properties": properties, "required": names, "additionalProperties": false})
    }

    /// Score `c` on every rubric.
    pub fn score(
        &self,
        c: &Conversation,
        profile: Option<&Profile>,
    ) -> Result<BTreeMap<String, RubricScores>> {
        self.rubrics
            .iter()
            .map(|(r, _)| Ok((r.name.clone(), self.score_one(r, c, profile)?)))
            .collect()
    }

    /// Score `c` on `rubric` (one of this judge's), averaging `review.samples` judgements.
    pub fn score_one(
        &self,
        rubric: &Rubric,
        c: &Conversation,
        profile: Option<&Profile>,
    ) -> Result<RubricScores> {
        let bank = self
            .rubrics
            .iter()
            .find(|(r, _)| r.name == rubric.name)
            .map(|(_, b)| b)
            .ok_or_else(|| Error::Config(format!("rubric {} is not judged", rubric.name)))?;
        let transcript = transcript(c);
        let (persona, scenario) = match profile {
            Some(p) => {
                let q = &p.persona;
                let mut persona = format!("{}, {} years old", q.name, q.age);
                if let Some(prof) = &q.profession {
                    persona.push_str(&format!(", {prof}"));
                }
                (persona, p.scenario.narrative.clone())
            }
            None => (String::new(), String::new()),
        };
        let ctx = minijinja::context! {
            conversation => transcript.as_str(),
            persona => persona.as_str(),
            scenario => scenario.as_str(),
            aspects => minijinja::Value::from(minijinja::value::Serde(&rubric.aspects)),
            low => rubric.scale[0],
            high => rubric.scale[1],
        };
        let prompt = bank.render_prompt("prompt", &ctx)?;
        let schema = Self::schema(rubric);
        let mut sums: BTreeMap<String, (f64, String)> = BTreeMap::new();
        let mut valid = 0u32;
        for k in 0..self.samples {
            let answer = self.ask(&c.id, prompt.clone(), &schema, k, 200)?;
            if let Some(scores) = read_scores(rubric, &answer) {
                valid += 1;
                for (name, score, reason) in scores {
                    let e = sums.entry(name).or_insert((0.0, reason));
                    e.0 += score;
                }
            }
        }
        let aspects: BTreeMap<String, AspectScore> = sums
            .into_iter()
            .map(|(name, (sum, reason))| {
                (
                    name,
                    AspectScore {
                        score: sum / f64::from(valid.max(1)),
                        reason,
                    },
                )
            })
            .collect();
        let total = aspects.values().map(|a| a.score).sum();
        Ok(RubricScores {
            aspects,
            total,
            samples: valid,
        })
    }
}

impl Judge {
    /// Compare two candidate next replies `a` and `b` of the assistant after `history`, in both orders and
    /// `review.samples` times each, so that position bias cancels out.
    pub fn compare(
        &self,
        id: &str,
        history: &[crate::model::Turn],
        a: &str,
        b: &str,
        profile: Option<&Profile>,
    ) -> Result<Preference> {
        let conversation = transcript_of(history);
        let (persona, scenario) = profile
            .map(|p| {
                (
                    format!("{}, {} years old", p.persona.name, p.persona.age),
                    p.scenario.narrative.clone(),
                )
            })
            .unwrap_or_default();
        let schema = json!({
            "type": "object",
            "properties": {
                "reason": {"type": "string", "description": "why"},
                "better": {"type": "string", "enum": ["1", "2", "tie"]},
            },
            "required": ["reason", "better"],
            "additionalProperties": false,
        });
        let mut votes = Vec::new();
        let mut reason = String::new();
        for k in 0..self.samples {
            for (first, second, a_is_first) in [(a, b, true), (b, a, false)] {
                let ctx = minijinja::context! {
                    conversation => conversation.as_str(), first => first, second => second,
                    persona => persona.as_str(), scenario => scenario.as_str(),
                };
                let prompt = self.pairwise.render_prompt("prompt", &ctx)?;
                let answer = self.ask(id, prompt, &schema, k, 150)?;
                let vote: i8 = match (answer["better"].as_str(), a_is_first) {
                    (Some("1"), true) | (Some("2"), false) => 1,
                    (Some("2"), true) | (Some("1"), false) => -1,
                    _ => 0,
                };
                if reason.is_empty() {
                    reason = answer["reason"].as_str().unwrap_or("").to_string();
                }
                votes.push(vote);
            }
        }
        let score = votes.iter().map(|&v| f64::from(v)).sum::<f64>() / votes.len().max(1) as f64;
        Ok(Preference {
            score,
            votes,
            reason,
        })
    }
}

/// The aspects' (name, score, reason) of an answer, or `None` when a score is missing or off the scale (the
/// judgement is not used).
fn read_scores(rubric: &Rubric, answer: &Value) -> Option<Vec<(String, f64, String)>> {
    rubric
        .aspects
        .iter()
        .map(|a| {
            let v = &answer[&a.name];
            let score = v["score"]
                .as_f64()
                .filter(|s| s.fract() == 0.0)
                .filter(|s| (rubric.scale[0] as f64..=rubric.scale[1] as f64).contains(s))?;
            let reason = v["reason"].as_str().unwrap_or("").trim().to_string();
            Some((a.name.clone(), score, reason))
        })
        .collect()
}

/// The conversation as the judge reads it: `User:` and `Assistant:` lines.
pub fn transcript(c: &Conversation) -> String {
    transcript_of(&c.turns)
}

/// `turns` as `User:` and `Assistant:` lines.
fn transcript_of(turns: &[crate::model::Turn]) -> String {
    turns
        .iter()
        .map(|t| {
            let who = match t.role {
                Role::User => "User",
                Role::System => "Assistant",
            };
            format!("{who}: {}", t.text.trim())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rubrics_load_and_scores_off_the_scale_are_refused() {
        let names: Vec<String> = ["muse_filter", "coherence", "relevance"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let rubrics = load_rubrics(&names, None).unwrap();
        assert_eq!(rubrics[0].max_total(), 6.0);
        assert_eq!(rubrics[1].scale, [1, 5]);
        let muse = &rubrics[0];
        let ok = json!({"content_quality": {"reason": "a", "score": 2}, "logical_fluency": {"reason": "b", "score": 1}, "user_consistency": {"reason": "c", "score": 0}});
        let scores = read_scores(muse, &ok).unwrap();
        assert_eq!(scores.iter().map(|s| s.1).sum::<f64>(), 3.0);
        let off = json!({"content_quality": {"reason": "a", "score": 3}, "logical_fluency": {"reason": "b", "score": 1}, "user_consistency": {"reason": "c", "score": 0}});
        assert!(read_scores(muse, &off).is_none());
        let missing = json!({"content_quality": {"reason": "a", "score": 2}});
        assert!(read_scores(muse, &missing).is_none());
        let err = load_rubrics(&["nope".into()], None)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("known: muse_filter, coherence, relevance"),
            "{err}"
        );
    }
}
