//! The `llm` agent family: the simulator's decisions (which act, which reasons, which item) phrased by a language
//! model. Each act is a prompt from `prompts/llm/`; the conversation so far goes to the model as chat messages from
//! the speaking agent's point of view; every request goes through the manager (limits, retries, cache, ledger).

use std::path::Path;
use std::sync::Arc;

use minijinja::Value;
use serde::{Deserialize, Serialize};

use super::sim::phrases::{SYSTEM_ACTS, SystemContext, UserAct, UserContext};
use crate::config::{RoleConfig, RoleName};
use crate::data;
use crate::llm::images::ImageLoader;
use crate::llm::{ApiRole, ChatMessage, ChatRequest, LlmError};
use crate::manager::{CallTag, Manager};
use crate::model::{Profile, Role, Turn};
use crate::template::TemplateBank;
use crate::{Error, Result};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptFile {
    system: String,
    /// The user agent's reject-reason decision (`decide = "llm"`).
    #[serde(default)]
    reasons: Option<String>,
    acts: std::collections::BTreeMap<String, String>,
}

/// An item as a decision prompt shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ItemCard {
    /// Title.
    pub title: String,
    /// Price as written.
    pub price: String,
    /// Leaf category.
    pub category: String,
    /// `key: value` pairs and features, joined.
    pub attributes: String,
    /// Image references.
    #[serde(skip)]
    pub images: Vec<String>,
}

/// One true difference between the wanted and the offered item, as a decision prompt shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DifferenceCard {
    /// Attribute key.
    pub attribute: String,
    /// The wanted value.
    pub wanted: String,
    /// The offered value (empty when missing).
    pub got: String,
}

/// The conversation a turn belongs to, and when it must be over.
#[derive(Debug, Clone, Default)]
pub struct Talk {
    /// Conversation id.
    pub id: String,
    /// The per-conversation deadline, if any.
    pub deadline: Option<std::time::Instant>,
    /// The time the conversation's requests took since its last turn, for that turn's latency.
    pub clock: crate::manager::TurnClock,
}

impl Talk {
    /// The real latency and time to first token of the requests made since the last turn (none when the turn
    /// needed no language model), in milliseconds.
    pub fn turn_time(&self) -> Option<(u32, Option<u32>)> {
        let ms = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        self.clock
            .take()
            .map(|s| (ms(s.latency_ms), s.first_token_ms.map(ms)))
    }
}

/// The LLM voice of one role.
pub struct LlmVoice {
    manager: Arc<Manager>,
    handle: tokio::runtime::Handle,
    role: RoleConfig,
    role_name: RoleName,
    speaker: Role,
    prompts: TemplateBank,
    structured: crate::manager::structured::StructuredPrompts,
    images: Option<Arc<ImageLoader>>,
}

#[derive(Serialize)]
struct UserPromptContext<'a> {
    #[serde(flatten)]
    ctx: &'a UserContext,
    persona: String,
    narrative: &'a str,
    formality: String,
    verbosity: String,
    language: &'a str,
}

impl LlmVoice {
    /// The voice of `speaker` (`User` for the user agent, `System` for the recommender), with prompts from
    /// `prompts_dir/llm/` overriding the embedded ones file by file. When the role has `vision`, `images` turns
    /// the items' image references into image content parts.
    pub fn new(
        speaker: Role,
        role: RoleConfig,
        manager: Arc<Manager>,
        handle: tokio::runtime::Handle,
        prompts_dir: Option<&Path>,
        images: Arc<ImageLoader>,
    ) -> Result<Self> {
        let (file_name, role_name, acts): (&str, RoleName, Vec<&str>) = match speaker {
            Role::User => (
                "user.toml",
                RoleName::UserAgent,
                UserAct::ALL.iter().map(|a| a.key()).collect(),
            ),
            Role::System => ("system.toml", RoleName::SystemAgent, SYSTEM_ACTS.to_vec()),
        };
        let (parsed, origin): (PromptFile, String) = data::llm_prompts(prompts_dir, file_name)?;
        let mut prompts = TemplateBank::single(&[("system", &parsed.system)], &origin)?;
        if role.decide == crate::config::Decider::Llm && speaker == Role::User {
            let reasons = parsed.reasons.as_ref().ok_or_else(|| {
                Error::data(&origin, "`reasons` is missing (needed by decide = \"llm\")")
            })?;
            prompts.add_group("reasons", std::slice::from_ref(reasons), &origin)?;
        }
        for act in acts {
            let text = parsed
                .acts
                .get(act)
                .ok_or_else(|| Error::data(&origin, format!("acts.{act} is missing")))?;
            prompts.add_group(&format!("act.{act}"), std::slice::from_ref(text), &origin)?;
        }
        Ok(LlmVoice {
            manager,
            handle,
            images: role.vision.then_some(images),
            structured: crate::manager::structured::StructuredPrompts::load(prompts_dir)?,
            role,
            role_name,
            speaker,
            prompts,
        })
    }

    /// Whether the model also makes this role's decisions (`decide = "llm"`).
    pub fn decides(&self) -> bool {
        self.role.decide == crate::config::Decider::Llm
    }

    /// The user agent's decision of which of `differences` to raise when turning `offered` down (it wants
    /// `wanted`): indices into `differences`, the model's picks first (unique, in range), topped up in the given
    /// order to `count`.
    pub fn pick_reasons(
        &self,
        conversation: &Talk,
        profile: &Profile,
        wanted: &ItemCard,
        offered: &ItemCard,
        differences: &[DifferenceCard],
        count: usize,
    ) -> Result<Vec<usize>> {
        let p = &profile.persona;
        let ctx = minijinja::context! {
            persona => format!("{}, {} years old", p.name, p.age),
            narrative => profile.scenario.narrative.as_str(),
            wanted => Value::from(minijinja::value::Serde(wanted)),
            offered => Value::from(minijinja::value::Serde(offered)),
            differences => Value::from(minijinja::value::Serde(differences)),
            count => count,
        };
        let mut question =
            ChatMessage::text(ApiRole::User, self.prompts.render_prompt("reasons", &ctx)?);
        if let Some(images) = &self.images {
            question.images = images.urls(&wanted.images);
            question.images.extend(images.urls(&offered.images));
        }
        let request = ChatRequest::for_role(&self.role, vec![question], 100);
        let schema = serde_json::json!({
            "type": "object",
            "properties": {"choices": {"type": "array", "items": {"type": "integer"}}},
            "required": ["choices"],
            "additionalProperties": false,
        });
        let tag = CallTag {
            conversation: conversation.id.clone(),
            role: self.role_name,
            under_way: true,
        };
        let call = crate::manager::structured::complete_json(
            &self.manager,
            &self.structured,
            request,
            &schema,
            &tag,
        );
        let answer = self.wait(conversation, call)?;
        let mut picked: Vec<usize> = Vec::new();
        for c in answer["choices"].as_array().into_iter().flatten() {
            let i = c.as_u64().unwrap_or(0) as usize;
            if (1..=differences.len()).contains(&i)
                && !picked.contains(&(i - 1))
                && picked.len() < count
            {
                picked.push(i - 1);
            }
        }
        for i in 0..differences.len() {
            if picked.len() >= count {
                break;
            }
            if !picked.contains(&i) {
                picked.push(i);
            }
        }
        Ok(picked)
    }

    /// Family and model, for the conversation metadata.
    pub fn name(&self) -> String {
        format!("llm:{}", self.role.model)
    }

    /// A user turn for `act`.
    pub fn user(
        &self,
        conversation: &Talk,
        act: UserAct,
        profile: &Profile,
        ctx: &UserContext,
        history: &[Turn],
    ) -> Result<String> {
        let p = &profile.persona;
        let mut persona = format!("{}, {} years old", p.name, p.age);
        if let Some(prof) = &p.profession {
            persona.push_str(&format!(", {prof}"));
        }
        if let Some(loc) = &p.location {
            persona.push_str(&format!(", living in {}, {}", loc.city, loc.country));
        }
        let value = Value::from(minijinja::value::Serde(&UserPromptContext {
            ctx,
            persona,
            narrative: &profile.scenario.narrative,
            formality: format!("{:?}", p.formality).to_lowercase(),
            verbosity: format!("{:?}", p.verbosity).to_lowercase(),
            language: &p.language_mix,
        }));
        self.say(conversation, act.key(), &value, history, &[])
    }

    /// A system turn for `act` (one of the system acts of the phrase banks); `shown` are the image references of
    /// the item the turn is about, which a vision model sees with the customer's last message.
    pub fn system(
        &self,
        conversation: &Talk,
        act: &str,
        ctx: &SystemContext,
        history: &[Turn],
        shown: &[String],
    ) -> Result<String> {
        self.say(
            conversation,
            act,
            &Value::from(minijinja::value::Serde(ctx)),
            history,
            shown,
        )
    }

    /// The chat messages of `history` from this voice's point of view: its own turns are the assistant's, the other
    /// side's are the user's (with the images they showed, for a vision model); `shown` goes with the last user
    /// message.
    fn messages(
        &self,
        instruction: String,
        history: &[Turn],
        shown: &[String],
    ) -> Vec<ChatMessage> {
        let mut messages = vec![ChatMessage::text(ApiRole::System, instruction)];
        for t in history {
            let mut message = ChatMessage::text(
                if t.role == self.speaker {
                    ApiRole::Assistant
                } else {
                    ApiRole::User
                },
                t.text.clone(),
            );
            if let Some(images) = &self.images
                && message.role == ApiRole::User
            {
                message.images = images.urls(&t.images);
            }
            messages.push(message);
        }
        // Chat APIs want the first non-system message to come from the user side.
        if messages.get(1).is_none_or(|m| m.role == ApiRole::Assistant) {
            messages.insert(1, ChatMessage::text(ApiRole::User, "(The chat opens.)"));
        }
        if let Some(images) = &self.images
            && let Some(last) = messages.iter_mut().rev().find(|m| m.role == ApiRole::User)
        {
            last.images.extend(images.urls(shown));
        }
        messages
    }

    fn say(
        &self,
        conversation: &Talk,
        act: &str,
        ctx: &Value,
        history: &[Turn],
        shown: &[String],
    ) -> Result<String> {
        let instruction = self.prompts.render(&format!("act.{act}"), 0, ctx)?;
        let standing = self.prompts.render("system", 0, ctx)?;
        let messages = self.messages(
            format!("{standing}\n\nYour next message: {instruction}"),
            history,
            shown,
        );
        let request = ChatRequest::for_role(&self.role, messages, 0);
        let tag = CallTag {
            conversation: conversation.id.clone(),
            role: self.role_name,
            under_way: !history.is_empty(),
        };
        let answer = self.wait(conversation, self.manager.complete(&request, &tag))?;
        Ok(answer.content.trim().trim_matches('"').to_string())
    }

    fn wait<T>(
        &self,
        conversation: &Talk,
        call: impl std::future::Future<Output = std::result::Result<T, LlmError>>,
    ) -> Result<T> {
        wait_for(&self.handle, conversation, self.role_name, call)
    }
}

/// Run one LLM call of `conversation` to its end from a worker thread, within the conversation's deadline, and map
/// its error: a stop (bad key, budget, quota) stops the run, anything else fails this conversation only.
pub fn wait_for<T>(
    handle: &tokio::runtime::Handle,
    conversation: &Talk,
    role: RoleName,
    call: impl std::future::Future<Output = std::result::Result<T, LlmError>>,
) -> Result<T> {
    let remaining = match conversation.deadline {
        Some(d) => {
            let now = std::time::Instant::now();
            if now >= d {
                return Err(Error::Run(format!(
                    "conversation {} passed its deadline (limits.conversation_deadline_secs)",
                    conversation.id
                )));
            }
            Some(d - now)
        }
        None => None,
    };
    handle
        .block_on(async {
            match remaining {
                Some(left) => tokio::time::timeout(left, conversation.clock.time(call))
                    .await
                    .unwrap_or(Err(LlmError::Timeout(left))),
                None => conversation.clock.time(call).await,
            }
        })
        .map_err(|e| match e {
            LlmError::Stopped(why, cause) => Error::Stopped(why, cause),
            LlmError::Budget => Error::Stopped(
                "the cost budget (limits.max_cost_usd) is spent".into(),
                crate::error::StopCause::Other,
            ),
            e if e.stops_run() => {
                let cause = e.stop_cause();
                Error::Stopped(e.to_string(), cause)
            }
            e if e.is_retryable() => Error::Run(format!(
                "{} request of {} failed after retries: {e}",
                role.key(),
                conversation.id
            )),
            e => Error::Run(format!(
                "{} request of {} failed: {e}",
                role.key(),
                conversation.id
            )),
        })
}
