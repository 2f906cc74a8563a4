//! The language models of a generation run: one request manager for the user agent and the recommender, their
//! voices, and the recommender's retrieval chain when a model decides.

use std::path::Path;
use std::sync::Arc;

use super::GeneratePaths;
use crate::Result;
use crate::agents::llm::LlmVoice;
use crate::agents::retrieval::RetrievalChain;
use crate::config::Config;
use crate::config::{AgentKind, Decider, RoleName};
use crate::manager::{Engine, Manager};
use crate::model::Role;
use crate::plan::Plan;

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
    _engine: Engine,
}

impl LlmSetup {
    /// The roles a generation run may put on a model.
    pub const ROLES: [RoleName; 2] = [RoleName::UserAgent, RoleName::SystemAgent];

    /// `None` when every role is `sim`. The plan's engine serves the models, and the stage starts its ledger on it
    /// from the run folder's `usage.csv`; with `dry`, a manager of its own over the backend that sends nothing.
    pub(super) fn new(
        plan: &Plan,
        config: &Config,
        paths: &GeneratePaths,
        dry: bool,
    ) -> Result<Option<Self>> {
        let engine = if dry {
            match crate::manager::Routes::connect(config, &Self::ROLES, true)? {
                Some(routes) => Some(Engine::new(Arc::new(routes.manager(config, None)))?),
                None => None,
            }
        } else {
            plan.engine(&Self::ROLES, &paths.cache())?
        };
        let Some(engine) = engine else {
            return Ok(None);
        };
        // A resumed run's ledger starts from what the earlier runs spent.
        let usage = paths.usage();
        engine
            .manager()
            .begin_stage((!dry).then_some(usage.as_path()))?;
        Self::over(config, &engine, &paths.catalog).map(Some)
    }

    /// The agents' voices and chain sending through `engine` (whose manager must route the roles a language model
    /// plays), the retrieval chain searching `catalog`.
    pub fn over(config: &Config, engine: &Engine, catalog: &Path) -> Result<Self> {
        let manager = engine.manager().clone();
        let runtime = engine.handle();
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
                        runtime.clone(),
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
                    runtime.clone(),
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
            _engine: engine.clone(),
        })
    }
}
