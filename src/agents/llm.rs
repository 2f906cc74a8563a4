//! The `llm` agent family: the simulator's decisions (which act, which reasons, which item) phrased by a language
//! model. Each act is a prompt from `prompts/llm/`; the conversation so far goes to the model as chat messages from
//! the speaking agent's point of view; every request goes through the manager (limits, retries, cache, ledger).

use std::path::Path;
use std::sync::Arc;

use minijinja::Value;
use serde::{Deserialize, Serialize};

use super::sim::{SystemContext, UserAct, UserContext};
use crate::config::{RoleConfig, RoleName};
use crate::data::{self, LLM_PROMPTS};
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
    acts: std::collections::BTreeMap<String, String>,
}

/// The conversation a turn belongs to, and when it must be over.
#[derive(Debug, Clone)]
pub struct Talk {
    /// Conversation id.
    pub id: String,
    /// The per-conversation deadline, if any.
    pub deadline: Option<std::time::Instant>,
}

/// The LLM voice of one role.
pub struct LlmVoice {
    manager: Arc<Manager>,
    handle: tokio::runtime::Handle,
    role: RoleConfig,
    role_name: RoleName,
    speaker: Role,
    prompts: TemplateBank,
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
        let dir = prompts_dir.map(|d| d.join("llm"));
        let files = data::load_set(
            LLM_PROMPTS,
            "prompts/llm",
            dir.as_deref().filter(|d| d.is_dir()),
            false,
        )?;
        let (file_name, role_name, acts): (&str, RoleName, Vec<&str>) = match speaker {
            Role::User => (
                "user.toml",
                RoleName::UserAgent,
                UserAct::ALL.iter().map(|a| a.key()).collect(),
            ),
            Role::System => (
                "system.toml",
                RoleName::SystemAgent,
                super::sim::SYSTEM_ACTS.to_vec(),
            ),
        };
        let file = data::find(&files, file_name)?;
        let parsed: PromptFile = data::parse(file)?;
        let mut prompts = TemplateBank::new(false);
        prompts.add_group("system", std::slice::from_ref(&parsed.system), &file.origin)?;
        for act in acts {
            let text = parsed
                .acts
                .get(act)
                .ok_or_else(|| Error::data(&file.origin, format!("acts.{act} is missing")))?;
            prompts.add_group(
                &format!("act.{act}"),
                std::slice::from_ref(text),
                &file.origin,
            )?;
        }
        Ok(LlmVoice {
            manager,
            handle,
            images: role.vision.then_some(images),
            role,
            role_name,
            speaker,
            prompts,
        })
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
        let request = ChatRequest {
            model: self.role.model.clone(),
            messages,
            temperature: Some(self.role.temperature),
            max_tokens: Some(self.role.max_tokens),
            json_schema: None,
            stream: self.role.stream,
            client_id: None,
        };
        let tag = CallTag {
            conversation: conversation.id.clone(),
            role: self.role_name,
            under_way: !history.is_empty(),
        };
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
        let call = self.manager.complete(&request, &tag);
        let answer = self
            .handle
            .block_on(async {
                match remaining {
                    Some(left) => tokio::time::timeout(left, call)
                        .await
                        .unwrap_or(Err(LlmError::Timeout(left))),
                    None => call.await,
                }
            })
            .map_err(|e| match e {
                LlmError::Stopped(why) => Error::Stopped(why),
                LlmError::Budget => {
                    Error::Stopped("the cost budget (limits.max_cost_usd) is spent".into())
                }
                e if !e.is_retryable() => Error::Stopped(e.to_string()),
                e => Error::Run(format!(
                    "{} request failed after retries: {e}",
                    self.role_name.key()
                )),
            })?;
        Ok(answer.content.trim().trim_matches('"').to_string())
    }
}
