//! The checked plan: the config turned once into what the stages share — the profile tables and attribute labels,
//! the phrase banks, and the catalog in memory — loaded and checked before any stage writes, and handed to every
//! stage of `musegen run` (a stage run alone builds the same plan).
//!
//! It also holds the run's one request manager and runtime ([`Engine`]), connected for the roles the run puts on a
//! model: `run` connects every stage's roles before the first file is written (a missing key fails the run then), a
//! stage run alone connects its own, and each stage starts its own ledger on it ([`crate::manager::Manager::begin_stage`]).
//!
//! Before the plan, `run` loaded the catalog into memory once per stage (dialogues, review, stats, exports) and
//! parsed the tables and phrase banks in each; now a bad table or phrase file fails before the first file is
//! written, and the catalog is read from its index once.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::Result;
use crate::agents::sim::PhraseBank;
use crate::catalog::labels::attribute_labels;
use crate::catalog::memory::AttributeLabels;
use crate::catalog::money::Currencies;
use crate::catalog::sizes::Sizes;
use crate::catalog::{Index, MemoryCatalog};
use crate::config::{AgentKind, Config, RoleName};
use crate::manager::{Cache, Engine, Routes};
use crate::profiles::tables::Tables;

/// What every stage of a run shares, built once from the config.
pub struct Plan {
    /// The effective, checked config.
    pub config: Config,
    /// The profile tables (`profiles.tables_dir` over the embedded ones).
    pub tables: Tables,
    /// Detail labels → attribute keys, read from the tables' `requirements.toml`.
    pub labels: AttributeLabels,
    /// The sim agents' phrase banks (`prompts_dir` over the embedded ones).
    pub phrases: PhraseBank,
    /// The currencies personas state budgets in (`profiles/currencies.toml` with `[currency]`'s rates).
    pub currencies: Currencies,
    /// The size systems personas say sizes in (`profiles/sizes.toml`, on or off by `[sizes]`).
    pub sizes: Sizes,
    catalog: Option<PlannedCatalog>,
    engine: Mutex<Option<PlannedEngine>>,
}

/// The run's engine, and the cache its answers go to.
struct PlannedEngine {
    cache: PathBuf,
    engine: Engine,
}

/// The catalog of a run: where its index is, and its items in memory.
struct PlannedCatalog {
    path: PathBuf,
    memory: Arc<MemoryCatalog>,
}

impl Plan {
    /// Load and check what the config names (tables, labels, phrase banks); no catalog yet.
    pub fn new(config: Config) -> Result<Plan> {
        let tables = Tables::for_config(&config.profiles)?;
        let labels = attribute_labels(config.profiles.tables_dir.as_deref())?;
        let currencies = Currencies::load(config.profiles.tables_dir.as_deref(), &config.currency)?;
        let sizes = Sizes::load(config.profiles.tables_dir.as_deref(), &config.sizes)?;
        let phrases = PhraseBank::load(
            config.prompts_dir.as_deref(),
            &config.profiles.language_mixes,
        )?;
        Ok(Plan {
            config,
            tables,
            labels,
            phrases,
            currencies,
            sizes,
            catalog: None,
            engine: Mutex::new(None),
        })
    }

    /// The plan with the catalog of the index at `path` in memory (read once, whichever stages use it).
    pub fn with_catalog(mut self, path: &Path) -> Result<Plan> {
        let index = Index::open(path)?;
        let memory = MemoryCatalog::load(&index, &self.labels)?;
        self.catalog = Some(PlannedCatalog {
            path: path.to_path_buf(),
            memory: Arc::new(memory),
        });
        Ok(self)
    }

    /// [`Plan::with_catalog`] when `path` names a file, the plan unchanged otherwise (stages that can work without
    /// a catalog, such as the review of conversations from elsewhere).
    pub fn with_catalog_if_there(self, path: Option<&Path>) -> Result<Plan> {
        match path.filter(|p| p.is_file()) {
            Some(p) => self.with_catalog(p),
            None => Ok(self),
        }
    }

    /// The catalog in memory, when the plan has one.
    pub fn catalog(&self) -> Option<&Arc<MemoryCatalog>> {
        self.catalog.as_ref().map(|c| &c.memory)
    }

    /// The catalog in memory when the plan's catalog is the index at `path` (the same file), so that a stage given
    /// another catalog than the plan's loads that one instead of using the wrong items.
    pub fn catalog_at(&self, path: &Path) -> Option<&Arc<MemoryCatalog>> {
        self.catalog
            .as_ref()
            .filter(|c| same_file(&c.path, path))
            .map(|c| &c.memory)
    }

    /// The catalog in memory for the index at `path`: the plan's when it is that file, else loaded now.
    pub fn catalog_for(&self, path: &Path) -> Result<Arc<MemoryCatalog>> {
        match self.catalog_at(path) {
            Some(c) => Ok(Arc::clone(c)),
            None => Ok(Arc::new(MemoryCatalog::load(
                &Index::open(path)?,
                &self.labels,
            )?)),
        }
    }
}

impl Plan {
    /// The engine for `roles` (`None` when the config puts none of them on a model), its answers cached in `cache`
    /// when `limits.cache` is on: the plan's one engine when it serves every one of `roles` with that cache, else one
    /// connected now, which becomes the plan's when it has none yet.
    pub fn engine(&self, roles: &[RoleName], cache: &Path) -> Result<Option<Engine>> {
        let on_model: Vec<RoleName> = roles
            .iter()
            .copied()
            .filter(|r| self.config.roles.get(*r).agent == AgentKind::Llm)
            .collect();
        if on_model.is_empty() {
            return Ok(None);
        }
        let mut slot = self.engine.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(planned) = slot.as_ref()
            && same_file(&planned.cache, cache)
            && on_model.iter().all(|r| planned.engine.manager().serves(*r))
        {
            return Ok(Some(planned.engine.clone()));
        }
        let Some(routes) = Routes::connect(&self.config, &on_model, false)? else {
            return Ok(None);
        };
        let cache_db = if self.config.limits.cache {
            Some(Cache::open(cache)?)
        } else {
            None
        };
        let engine = Engine::new(Arc::new(routes.manager(&self.config, cache_db)))?;
        if slot.is_none() {
            *slot = Some(PlannedEngine {
                cache: cache.to_path_buf(),
                engine: engine.clone(),
            });
        }
        Ok(Some(engine))
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_phrase_bank_fails_the_plan_before_any_stage() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sim")).unwrap();
        std::fs::write(dir.path().join("sim/user.toml"), "this is = = not toml").unwrap();
        let config = Config {
            prompts_dir: Some(dir.path().to_path_buf()),
            ..Config::default()
        };
        let err = Plan::new(config).err().expect("a broken phrase bank");
        assert!(err.to_string().contains("user.toml"), "{err}");
    }

    #[test]
    fn the_catalog_is_loaded_once_and_shared_for_its_own_path_only() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::default();
        let path = dir.path().join("catalog.db");
        crate::pipeline::build_sample_catalog(&config, &path, None, true).unwrap();
        let plan = Plan::new(config).unwrap().with_catalog(&path).unwrap();
        let first = plan.catalog_for(&path).unwrap();
        let second = plan
            .catalog_for(&dir.path().join(".").join("catalog.db"))
            .unwrap();
        assert!(
            Arc::ptr_eq(&first, &second),
            "the same file shares one load"
        );
        let other = dir.path().join("other.db");
        std::fs::copy(&path, &other).unwrap();
        let loaded = plan.catalog_for(&other).unwrap();
        assert!(
            !Arc::ptr_eq(&first, &loaded),
            "another file is loaded on its own"
        );
        assert_eq!(loaded.len(), first.len());
    }

    #[test]
    fn one_engine_serves_every_stage_of_a_run_and_a_stage_alone_connects_only_its_roles() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache.db");
        let mut config = Config::default();
        for role in [
            &mut config.roles.user_agent,
            &mut config.roles.system_agent,
            &mut config.roles.judge,
        ] {
            role.agent = AgentKind::Llm;
            // Any variable that is set will do as the key: nothing is sent.
            role.api_key_env = Some("PATH".into());
            role.base_url = Some("http://127.0.0.1:9/v1".into());
        }

        // `run` connects every role first; the stages then get that one engine.
        let run = Plan::new(config.clone()).unwrap();
        let first = run.engine(&RoleName::ALL, &cache).unwrap().unwrap();
        let dialogues = run
            .engine(&[RoleName::UserAgent, RoleName::SystemAgent], &cache)
            .unwrap()
            .unwrap();
        let judge = run.engine(&[RoleName::Judge], &cache).unwrap().unwrap();
        assert!(first.same(&dialogues) && first.same(&judge));
        assert!(
            run.engine(&[RoleName::ScenarioWriter], &cache)
                .unwrap()
                .is_none(),
            "the writer is sim"
        );

        // A stage run alone connects its own roles only, and another stage then gets an engine of its own.
        let alone = Plan::new(config).unwrap();
        let judge = alone.engine(&[RoleName::Judge], &cache).unwrap().unwrap();
        assert!(judge.manager().serves(RoleName::Judge));
        assert!(!judge.manager().serves(RoleName::UserAgent));
        let dialogues = alone
            .engine(&[RoleName::UserAgent], &cache)
            .unwrap()
            .unwrap();
        assert!(!dialogues.same(&judge));
        // Another cache is another engine.
        let elsewhere = run
            .engine(&[RoleName::Judge], &dir.path().join("other.db"))
            .unwrap()
            .unwrap();
        assert!(!elsewhere.same(&first));
    }
}
