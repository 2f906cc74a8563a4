//! One request manager and the runtime its requests run on: what the stages of a run that send requests share
//! (the scenario writer, the dialogues, the judge, the preference pairs), so that the rate limits, the budget, the
//! cache and the threads are one per run rather than one per stage.

use std::sync::Arc;

use tokio::runtime::{Handle, Runtime};

use super::Manager;
use crate::{Error, Result};

/// A manager and the runtime its requests run on (cheap to clone: both are shared).
#[derive(Clone)]
pub struct Engine {
    manager: Arc<Manager>,
    runtime: Arc<Runtime>,
}

impl Engine {
    /// `manager` on a runtime of its own (two worker threads: the work is waiting on the network).
    pub fn new(manager: Arc<Manager>) -> Result<Engine> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Run(format!("cannot start the async runtime: {e}")))?;
        Ok(Engine {
            manager,
            runtime: Arc::new(runtime),
        })
    }

    /// The request manager.
    pub fn manager(&self) -> &Arc<Manager> {
        &self.manager
    }

    /// A handle on the runtime, for the blocking bridge and the tasks of a stage.
    pub fn handle(&self) -> Handle {
        self.runtime.handle().clone()
    }

    /// Whether this engine and `other` are the same one (the same manager).
    pub fn same(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.manager, &other.manager)
    }
}
