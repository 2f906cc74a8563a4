//! From a role's settings to its backend: the base URL, the key and the account headers, from the config or the
//! conventional environment variables, and the client of the API it names.

use std::time::Duration;

use super::{ChatBackend, LlmError, Secret, anthropic, openai};

/// The backend a role's settings name: base URL and key from the config or the conventional environment variables
/// (`OPENAI_BASE_URL`/`OPENAI_API_KEY`, `ANTHROPIC_BASE_URL`/`ANTHROPIC_API_KEY`; for OpenAI also
/// `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`, sent as `OpenAI-Organization` and `OpenAI-Project`). A missing key is a config error
/// that names the variable (never its value).
pub fn connect(
    role: &crate::config::RoleConfig,
    timeout_secs: f64,
) -> crate::Result<std::sync::Arc<dyn ChatBackend>> {
    use crate::config::BackendKind;
    let (url_var, key_var, default_url) = match role.backend {
        BackendKind::Openai => (
            "OPENAI_BASE_URL",
            "OPENAI_API_KEY",
            "https://api.openai.com/v1",
        ),
        BackendKind::Anthropic => (
            "ANTHROPIC_BASE_URL",
            "ANTHROPIC_API_KEY",
            "https://api.anthropic.com",
        ),
    };
    let base = role
        .base_url
        .clone()
        .or_else(|| std::env::var(url_var).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| default_url.to_string());
    let key_var = role.api_key_env.as_deref().unwrap_or(key_var);
    let key = Secret::from_env(key_var).ok_or_else(|| {
        crate::Error::Config(format!(
            "no API key: set the environment variable {key_var} (or roles.*.api_key_env)"
        ))
    })?;
    tracing::info!(
        "client: {} API at {base} (key from {key_var})",
        format!("{:?}", role.backend).to_lowercase()
    );
    let timeout = Duration::from_secs_f64(timeout_secs);
    let fail =
        |e: LlmError| crate::Error::Config(format!("cannot set up the {url_var} client: {e}"));
    Ok(match role.backend {
        BackendKind::Openai => {
            let mut headers: Vec<(String, String)> = role
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            // Ids rather than secrets, but an account's all the same: sent, never printed.
            let env = |var: &str| std::env::var(var).ok().filter(|v| !v.trim().is_empty());
            if let Some(org) = role.organization.clone().or_else(|| env("OPENAI_ORG_ID")) {
                crate::secret::register(&org);
                headers.push(("OpenAI-Organization".into(), org));
            }
            if let Some(project) = role.project.clone().or_else(|| env("OPENAI_PROJECT_ID")) {
                crate::secret::register(&project);
                headers.push(("OpenAI-Project".into(), project));
            }
            std::sync::Arc::new(
                openai::OpenAiBackend::new(&base, Some(key), timeout)
                    .map_err(fail)?
                    .with_headers(headers),
            )
        }
        BackendKind::Anthropic => std::sync::Arc::new(
            anthropic::AnthropicBackend::new(&base, Some(key), timeout)
                .map_err(fail)?
                .with_headers(
                    role.headers
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
        ),
    })
}
