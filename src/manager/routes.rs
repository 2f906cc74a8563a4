//! Which backend serves each role: every role a language model plays is connected (roles on the same API, base URL
//! and key share one client and its connection pool), and the manager sends each request to its role's backend
//! while the limits stay shared by all.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Cache, Manager};
use crate::Result;
use crate::config::{AgentKind, Config, RoleName};
use crate::llm::ChatBackend;

/// The connected backends of the LLM roles of a stage.
pub struct Routes {
    first: Arc<dyn ChatBackend>,
    routes: Vec<(RoleName, Arc<dyn ChatBackend>)>,
}

impl Routes {
    /// Connect the roles of `wanted` that `config` gives to a language model; `None` when none is. With `dry`,
    /// every role gets the backend that sends nothing and needs no key.
    pub fn connect(config: &Config, wanted: &[RoleName], dry: bool) -> Result<Option<Self>> {
        let mut clients: BTreeMap<String, Arc<dyn ChatBackend>> = BTreeMap::new();
        let mut routes = Vec::new();
        for &role in wanted {
            let settings = config.roles.get(role);
            if settings.agent != AgentKind::Llm {
                continue;
            }
            let backend: Arc<dyn ChatBackend> = if dry {
                Arc::new(crate::manager::dry::DryRunBackend)
            } else {
                // One client per (API, base URL, key variable, headers): the key itself is not part of the name.
                let name = format!(
                    "{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}",
                    settings.backend,
                    settings.base_url,
                    settings.api_key_env,
                    settings.organization,
                    settings.headers
                );
                match clients.get(&name) {
                    Some(b) => b.clone(),
                    None => {
                        let b = crate::llm::connect(settings, config.limits.request_timeout_secs)?;
                        clients.insert(name, b.clone());
                        b
                    }
                }
            };
            routes.push((role, backend));
        }
        let first = routes.first().map(|(_, b)| b.clone());
        Ok(first.map(|first| Routes { first, routes }))
    }

    /// The manager over these routes, with `config`'s limits and prices.
    pub fn manager(self, config: &Config, cache: Option<Cache>) -> Manager {
        let mut manager = Manager::new(
            self.first,
            config.limits.clone(),
            cache,
            config.prices.clone(),
        );
        manager.log_limits();
        for (role, backend) in self.routes {
            let r = config.roles.get(role);
            tracing::info!(
                "route: {} -> {} model {}{}",
                role.key(),
                format!("{:?}", r.backend).to_lowercase(),
                r.model,
                if r.stream { " (streamed)" } else { "" }
            );
            manager = manager.with_route(role, backend);
            if let Some(cap) = config.roles.get(role).max_tokens_cap {
                manager = manager.with_token_cap(role, cap.get());
            }
        }
        manager
    }
}
