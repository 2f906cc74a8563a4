//! Who plays each role (`[roles.*]`): the agent family, the API and model, and what the model decides.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which agent plays each role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RolesConfig {
    /// The simulated shopper.
    pub user_agent: RoleConfig,
    /// The recommender.
    pub system_agent: RoleConfig,
    /// Writes each profile's scenario and requirements (`llm`), after a plausibility check; `sim` uses the tables.
    pub scenario_writer: RoleConfig,
    /// Scores conversations (the review stage).
    pub judge: RoleConfig,
}

impl RolesConfig {
    /// The settings of `role`.
    pub fn get(&self, role: RoleName) -> &RoleConfig {
        match role {
            RoleName::UserAgent => &self.user_agent,
            RoleName::SystemAgent => &self.system_agent,
            RoleName::ScenarioWriter => &self.scenario_writer,
            RoleName::Judge => &self.judge,
        }
    }
}

/// The roles a model can play; the key names the `[roles.*]` table and the `role` column of `usage.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoleName {
    /// The simulated shopper.
    UserAgent,
    /// The recommender.
    SystemAgent,
    /// The scenario writer of the profiles stage.
    ScenarioWriter,
    /// The judge of the review stage.
    Judge,
}

impl RoleName {
    /// Every role.
    pub const ALL: [RoleName; 4] = [
        RoleName::UserAgent,
        RoleName::SystemAgent,
        RoleName::ScenarioWriter,
        RoleName::Judge,
    ];

    /// The config key (`user_agent` …).
    pub fn key(self) -> &'static str {
        match self {
            RoleName::UserAgent => "user_agent",
            RoleName::SystemAgent => "system_agent",
            RoleName::ScenarioWriter => "scenario_writer",
            RoleName::Judge => "judge",
        }
    }
}

/// The agent family of a role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    /// The offline simulator (no key, deterministic).
    #[default]
    Sim,
    /// The simulator's decisions, phrased by a language model through the manager.
    Llm,
}

/// The API a role's model is reached through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// OpenAI-compatible chat completions (OpenAI, vLLM, Ollama, llama.cpp server, OpenRouter); `OPENAI_BASE_URL`, `OPENAI_API_KEY`.
    #[default]
    Openai,
    /// Anthropic Messages; `ANTHROPIC_BASE_URL`, `ANTHROPIC_API_KEY`.
    Anthropic,
}

/// One role's agent and model settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RoleConfig {
    /// `sim` or `llm`.
    pub agent: AgentKind,
    /// The API, for `llm`.
    pub backend: BackendKind,
    /// Model name.
    pub model: String,
    /// Sampling temperature.
    pub temperature: f32,
    /// Most tokens per answer.
    pub max_tokens: u32,
    /// The request field that carries `max_tokens` on the OpenAI-compatible API: `max_completion_tokens` (OpenAI's
    /// current name, the only one its reasoning models accept) or `max_tokens` (older servers that know only it).
    /// The Anthropic API always takes `max_tokens`.
    pub token_limit_field: TokenLimitField,
    /// Request fields sent as they are, beside the ones musegen sets (`reasoning_effort = "low"`,
    /// `top_p = 0.9` …), so a provider's new parameter needs no new release. A field named here wins over
    /// musegen's own, except `model`, `messages`, `system` and `stream`, which are refused.
    pub extra: std::collections::BTreeMap<String, serde_json::Value>,
    /// Largest budget an answer cut at `max_tokens` is asked again with (doubling each time); default
    /// `limits.max_tokens_cap`.
    pub max_tokens_cap: Option<std::num::NonZeroU32>,
    /// Base URL; default: the backend's environment variable (`OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`), else the public API.
    pub base_url: Option<String>,
    /// Environment variable holding the key; default `OPENAI_API_KEY` or `ANTHROPIC_API_KEY`.
    pub api_key_env: Option<String>,
    /// The model sees images: item images go along as image content parts (local files as base64 data URLs).
    pub vision: bool,
    /// Stream answers (server-sent events), as some gateways and local servers prefer; the answer is the same.
    pub stream: bool,
    /// OpenAI organisation id, sent as the `OpenAI-Organization` header; default: the `OPENAI_ORG_ID` variable.
    pub organization: Option<String>,
    /// OpenAI project id, sent as the `OpenAI-Project` header; default: the `OPENAI_PROJECT_ID` variable.
    pub project: Option<String>,
    /// Extra headers sent with every request of this role (OpenRouter's `HTTP-Referer`, a gateway's tenant …).
    pub headers: std::collections::BTreeMap<String, String>,
    /// Who makes the role's grounded decisions when a model phrases it (`agent = "llm"`). `sim`: the simulator.
    /// `llm`, for `system_agent`: the model summarises the conversation into needs and a query, the catalog index
    /// is searched and reranked, and the model picks among the best candidates (prompts/llm/retrieval.toml); for
    /// `user_agent`: the model compares the recommended item with the one it wants and picks which of their true
    /// differences to raise as reject reasons (`reasons` in prompts/llm/user.toml).
    pub decide: Decider,
}

/// The name of the request field that limits the answer's length on the OpenAI-compatible API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenLimitField {
    /// `max_completion_tokens`: OpenAI's name, required by its reasoning models (o-series, gpt-5 family).
    #[default]
    MaxCompletionTokens,
    /// `max_tokens`: the older name, for servers that know only it.
    MaxTokens,
}

impl TokenLimitField {
    /// The field's name in the request body.
    pub fn key(self) -> &'static str {
        match self {
            TokenLimitField::MaxCompletionTokens => "max_completion_tokens",
            TokenLimitField::MaxTokens => "max_tokens",
        }
    }
}

/// Request fields musegen builds itself, which `roles.*.extra` may not replace.
pub const RESERVED_REQUEST_FIELDS: [&str; 4] = ["model", "messages", "system", "stream"];

/// Who makes an agent's decisions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decider {
    /// The simulator.
    #[default]
    Sim,
    /// The language model, among grounded options.
    Llm,
}

impl Default for RoleConfig {
    fn default() -> Self {
        RoleConfig {
            agent: AgentKind::Sim,
            backend: BackendKind::Openai,
            model: "gpt-4o-mini".into(),
            temperature: 0.8,
            max_tokens: 200,
            token_limit_field: TokenLimitField::MaxCompletionTokens,
            extra: std::collections::BTreeMap::new(),
            max_tokens_cap: None,
            base_url: None,
            api_key_env: None,
            vision: false,
            stream: false,
            organization: None,
            project: None,
            headers: std::collections::BTreeMap::new(),
            decide: Decider::Sim,
        }
    }
}
