//! The language models of a generation run: one request manager for the user agent and the recommender, their
//! voices, and the recommender's retrieval chain when a model decides.

use std::path::Path;
use std::sync::Arc;

use super::GeneratePaths;
use crate::agents::llm::LlmVoice;
use crate::agents::retrieval::RetrievalChain;
use crate::config::Config;
use crate::config::{AgentKind, Decider, RoleName};
use crate::manager::{Cache, Manager};
use crate::model::Role;
use crate::{Error, Result};

/// The manager and the voices of the roles a language model plays.
pub struct LlmSetup {
    /// The request manager of both roles.
    pub manager: Arc<Manager>,
    /// The user agent's voice, when it is a language model.
    pub user: Option<LlmVoice>,
    /// The recommender's voice, when it is a language model.
    pub system: Option<LlmVoice>,
    /// The recommender's retrieval chain, when a language model decides.
    pub chain: Option<RetrievalChain>,
    _runtime: tokio::runtime::Runtime,
}

impl LlmSetup {
    /// `None` when every role is `sim`.
    pub(super) fn new(config: &Config, paths: &GeneratePaths, dry: bool) -> Result<Option<Self>> {
        let usage = (!dry).then(|| paths.usage());
        Self::open(
            config,
            &paths.cache(),
            usage.as_deref(),
            &paths.catalog,
            dry,
        )
    }

    /// The agents' language models (`None` when every role is `sim`), their answers cached in `cache`, the ledger
    /// starting from `usage` when given, the retrieval chain searching `catalog`.
    pub fn open(
        config: &Config,
        cache: &Path,
        usage: Option<&Path>,
        catalog: &Path,
        dry: bool,
    ) -> Result<Option<Self>> {
        let roles = [RoleName::UserAgent, RoleName::SystemAgent];
        let Some(routes) = crate::manager::Routes::connect(config, &roles, dry)? else {
            return Ok(None);
        };
        let cache = if config.limits.cache {
            Some(Cache::open(cache)?)
        } else {
            None
        };
        let manager = Arc::new(routes.manager(config, cache));
        if let Some(usage) = usage {
            // A resumed run's ledger starts from what the earlier runs spent.
            manager.load_usage(usage)?;
        }
        Self::over(config, manager, catalog).map(Some)
    }

    /// The agents' voices and chain sending through `manager` (which must route the roles a language model
    /// plays), the retrieval chain searching `catalog`.
    pub fn over(config: &Config, manager: Arc<Manager>, catalog: &Path) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Run(format!("cannot start the async runtime: {e}")))?;
        let images = Arc::new(crate::llm::images::ImageLoader::new(
            config.catalog.images_dir.as_deref(),
        ));
        let voice = |speaker: Role, role: &crate::config::RoleConfig| {
            (role.agent == AgentKind::Llm)
                .then(|| {
                    LlmVoice::new(
                        speaker,
                        role.clone(),
                        manager.clone(),
                        runtime.handle().clone(),
                        config.prompts_dir.as_deref(),
                        images.clone(),
                    )
                })
                .transpose()
        };
        let system_role = &config.roles.system_agent;
        let chain = (system_role.agent == AgentKind::Llm && system_role.decide == Decider::Llm)
            .then(|| {
                RetrievalChain::new(
                    manager.clone(),
                    runtime.handle().clone(),
                    system_role.clone(),
                    config.prompts_dir.as_deref(),
                    catalog,
                    config.dialogue.candidates.get(),
                    images.clone(),
                )
            })
            .transpose()?;
        Ok(LlmSetup {
            chain,
            user: voice(Role::User, &config.roles.user_agent)?,
            system: voice(Role::System, &config.roles.system_agent)?,
            manager,
            _runtime: runtime,
        })
    }
}
