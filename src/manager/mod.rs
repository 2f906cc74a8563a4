//! The scheduler every LLM request goes through: RPM and TPM limits (governor) shared by all roles, an adaptive
//! concurrency gate with priority for conversations under way, retries with full-jitter exponential backoff that
//! honour `Retry-After`, a run-wide pause after a 429, an early stop on errors that retrying cannot fix, a response
//! cache, a usage and cost ledger, and a cost budget.

pub mod adapt;
pub mod cache;
pub mod clock;
pub mod dry;
pub mod engine;
pub mod gate;
pub mod ledger;
pub mod meter;
pub mod pace;
pub mod routes;
pub mod structured;
mod tokens;

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, RateLimiter};

pub use cache::Cache;
pub use clock::TurnClock;
pub use engine::Engine;
pub use gate::Gate;
pub use ledger::{Ledger, ModelPrice, Priced, UsageRow};
pub use meter::{Meter, MeterReading};
pub use routes::Routes;

use crate::config::{LimitsConfig, RoleName};
use crate::error::StopCause;
use crate::llm::{ChatBackend, ChatRequest, ChatResponse, LlmError, TokenUsage};
use crate::rng::Rng;

/// Who a request is for, for the ledger and the scheduling priority.
#[derive(Debug, Clone)]
pub struct CallTag {
    /// Conversation id.
    pub conversation: String,
    /// The role the request is for (it picks the backend, and the ledger row).
    pub role: RoleName,
    /// A conversation already under way (its later turns go before new conversations' first turns).
    pub under_way: bool,
}

/// The scheduler.
pub struct Manager {
    backend: Arc<dyn ChatBackend>,
    routes: BTreeMap<RoleName, Arc<dyn ChatBackend>>,
    cfg: LimitsConfig,
    rpm: DefaultDirectRateLimiter,
    tpm: DefaultDirectRateLimiter,
    tpm_burst: u32,
    gate: Gate,
    meter: Meter,
    pacing: tokio::sync::Mutex<()>,
    cache: Option<Cache>,
    ledger: Mutex<Ledger>,
    earlier_stages_usd: Mutex<f64>,
    prices: BTreeMap<String, ModelPrice>,
    token_caps: BTreeMap<RoleName, u32>,
    stopped: Mutex<Option<(String, StopCause)>>,
    pause_until: Mutex<Option<Instant>>,
    jitter: Mutex<Rng>,
}

impl Manager {
    /// A scheduler over `backend` with `cfg`'s limits, an optional cache, and a price table.
    pub fn new(
        backend: Arc<dyn ChatBackend>,
        cfg: LimitsConfig,
        cache: Option<Cache>,
        prices: BTreeMap<String, ModelPrice>,
    ) -> Self {
        let headroom = cfg.headroom.clamp(0.5, 1.0);
        let rpm = pace::paced_rpm(cfg.rpm, headroom);
        let tpm = pace::paced_rpm(cfg.tpm, headroom);
        // Requests are paced evenly; under a sliding minute (`limits.window`) the pace may catch up time lost to
        // late wake-ups, under per-second slices it may not (`pace`). Tokens may burst by one request's worth (at
        // least 8,192) or half a second of the budget.
        let tpm_burst = (tpm / 120).max(8192).min(tpm);
        Manager {
            backend,
            routes: BTreeMap::new(),
            rpm: RateLimiter::direct(pace::request_quota(cfg.rpm, headroom, cfg.window)),
            tpm: RateLimiter::direct(pace::per_minute(tpm, tpm_burst)),
            tpm_burst,
            gate: Gate::new(cfg.concurrency.get(), cfg.adaptive, f64::from(rpm) / 60.0),
            meter: Meter::default(),
            pacing: tokio::sync::Mutex::new(()),
            cfg,
            cache,
            ledger: Mutex::new(Ledger::default()),
            earlier_stages_usd: Mutex::new(0.0),
            prices,
            token_caps: BTreeMap::new(),
            stopped: Mutex::new(None),
            pause_until: Mutex::new(None),
            // Seeded per process, so two runs against one server do not retry in lockstep (sim output never
            // depends on it).
            jitter: Mutex::new(Rng::from_u64(crate::rng::process_seed())),
        }
    }

    /// A scheduler as [`Manager::new`] makes it, with `meter` counting its requests (tests hand in one with a clock
    /// they move by hand).
    pub fn with_meter(mut self, meter: Meter) -> Self {
        self.meter = meter;
        self
    }

    /// The limits in force, as the run panel shows them.
    pub fn limits(&self) -> meter::Limits {
        meter::Limits {
            rpm: self.cfg.rpm.get(),
            tpm: self.cfg.tpm.get(),
            concurrency: self.cfg.concurrency.get(),
        }
    }

    /// The running figures of this manager's requests now.
    pub fn snapshot(&self) -> crate::progress::RunSnapshot {
        self.meter.snapshot(self.limits(), self.gate.limit())
    }

    /// A closure reading [`Manager::snapshot`], for the run panel ([`crate::progress::Progress::watch`]); it holds
    /// the manager weakly, and reads an empty snapshot once the manager is gone.
    pub fn snapshot_source(manager: &Arc<Manager>) -> crate::progress::SnapshotSource {
        let weak = Arc::downgrade(manager);
        Arc::new(move || weak.upgrade().map(|m| m.snapshot()).unwrap_or_default())
    }

    /// Log the limits in force (with `-v`), once per manager.
    pub fn log_limits(&self) {
        let c = &self.cfg;
        let budget = c
            .max_cost_usd
            .map_or_else(|| "none".to_string(), |usd| format!("${usd:.2}"));
        tracing::info!(
            "limits: rpm {} (counted per {}), tpm {} (headroom {:.2}), concurrency {} ({}), max retries {}, budget {budget}, cache {}",
            c.rpm,
            match c.window {
                crate::config::RateWindow::Minute => "minute",
                crate::config::RateWindow::Second => "second",
            },
            c.tpm,
            c.headroom.clamp(0.5, 1.0),
            c.concurrency,
            if c.adaptive { "adaptive" } else { "fixed" },
            c.max_retries,
            if self.cache.is_some() { "on" } else { "off" }
        );
    }

    /// Run `change` on the concurrency gate and log when it moves the limit: a cut with `-v`, a step back up (one
    /// slot at a time, so many of them) with `-vv`.
    fn adapt(&self, change: impl FnOnce(&Gate)) {
        let before = self.gate.limit().floor();
        change(&self.gate);
        let after = self.gate.limit().floor();
        let ceiling = self.cfg.concurrency;
        if after < before {
            tracing::info!("adaptive concurrency: {before} -> {after} (ceiling {ceiling})");
        } else if after > before {
            tracing::debug!("adaptive concurrency: {before} -> {after} (ceiling {ceiling})");
        }
    }

    /// Send `role`'s requests to `backend` instead of the default one (the limits stay shared by every role).
    pub fn with_route(mut self, role: RoleName, backend: Arc<dyn ChatBackend>) -> Self {
        self.routes.insert(role, backend);
        self
    }

    /// Cap `role`'s token budget at `cap` instead of `limits.max_tokens_cap`.
    pub fn with_token_cap(mut self, role: RoleName, cap: u32) -> Self {
        self.token_caps.insert(role, cap);
        self
    }

    /// The largest token budget a request of `role` may grow to when its answer is cut at `max_tokens`.
    pub fn token_cap(&self, role: RoleName) -> u32 {
        self.token_caps
            .get(&role)
            .copied()
            .unwrap_or(self.cfg.max_tokens_cap.get())
    }

    fn backend(&self, role: RoleName) -> &Arc<dyn ChatBackend> {
        self.routes.get(&role).unwrap_or(&self.backend)
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Why the run was stopped, if it was.
    pub fn stopped(&self) -> Option<String> {
        Self::lock(&self.stopped)
            .as_ref()
            .map(|(why, _)| why.clone())
    }

    fn stop_error(&self) -> Option<LlmError> {
        Self::lock(&self.stopped)
            .as_ref()
            .map(|(why, cause)| LlmError::Stopped(why.clone(), *cause))
    }

    /// The usage totals so far.
    pub fn totals(&self) -> UsageRow {
        Self::lock(&self.ledger).total().clone()
    }

    /// What `conversation` spent so far.
    pub fn usage_of(&self, conversation: &str) -> UsageRow {
        Self::lock(&self.ledger).conversation(conversation)
    }

    /// Take in an earlier run's ledger from `path` (when there is one), so the ledger covers every run.
    pub fn load_usage(&self, path: &std::path::Path) -> crate::Result<()> {
        Self::lock(&self.ledger).load_csv(path)
    }

    /// Whether `role` has a route of its own (it was connected with this manager).
    pub fn serves(&self, role: RoleName) -> bool {
        self.routes.contains_key(&role)
    }

    /// Start the ledger of a new stage of the run (the judge after the dialogues, say): the stage's own ledger
    /// starts from what earlier runs of it spent (`usage`, when there is one), what the stages before it spent in
    /// this run still counts against the budget, and the adaptive limit learns the new stage's latency afresh (a
    /// judge's answers take longer than a turn's, which is not saturation).
    pub fn begin_stage(&self, usage: Option<&std::path::Path>) -> crate::Result<()> {
        let mut ledger = Self::lock(&self.ledger);
        *Self::lock(&self.earlier_stages_usd) += ledger.total().cost_usd;
        *ledger = Ledger::default();
        if let Some(path) = usage {
            ledger.load_csv(path)?;
        }
        drop(ledger);
        self.gate.relearn();
        Ok(())
    }

    /// What the run has spent so far: the stages before this one and this stage's ledger.
    pub fn spent_usd(&self) -> f64 {
        *Self::lock(&self.earlier_stages_usd) + self.totals().cost_usd
    }

    /// Write the ledger as `usage.csv`.
    pub fn write_usage(&self, path: &std::path::Path) -> crate::Result<()> {
        Self::lock(&self.ledger).write_csv(path)
    }

    /// What the backend serving `role` supports.
    pub fn capabilities(&self, role: RoleName) -> crate::llm::Capabilities {
        self.backend(role).capabilities()
    }

    /// The current adaptive concurrency limit.
    pub fn concurrency(&self) -> f64 {
        self.gate.limit()
    }

    /// How many requests should be in flight now (the concurrency limit in force): a stage that plays one
    /// request at a time per job keeps about this many jobs open.
    pub fn target_in_flight(&self) -> usize {
        self.gate.limit() as usize
    }

    /// The request counters and the gate's state now.
    pub fn meter(&self) -> MeterReading {
        MeterReading {
            in_flight: self.gate.in_flight(),
            limit: self.gate.limit() as usize,
            mean_latency_ms: self.gate.mean_latency().map(|d| d.as_secs_f64() * 1000.0),
            ..self.meter.read()
        }
    }

    /// Estimated tokens of a request: the prompt (tiktoken, with the encoding of the model's family: o200k for
    /// gpt-4o, gpt-4.1, gpt-5 and the o-series, cl100k otherwise; plus 765 per image: a high-detail 1024×1024
    /// image on OpenAI's tariff) plus `max_tokens`.
    pub fn estimate_tokens(request: &ChatRequest) -> u32 {
        static CL100K: OnceLock<Option<tiktoken_rs::CoreBPE>> = OnceLock::new();
        static O200K: OnceLock<Option<tiktoken_rs::CoreBPE>> = OnceLock::new();
        let bpe = if uses_o200k(&request.model) {
            O200K.get_or_init(|| tiktoken_rs::o200k_base().ok())
        } else {
            CL100K.get_or_init(|| tiktoken_rs::cl100k_base().ok())
        };
        let o200k = uses_o200k(&request.model);
        let prompt: usize = request
            .messages
            .iter()
            .map(|m| {
                4 + 765 * m.images.len()
                    + match bpe {
                        Some(b) => tokens::count(b, o200k, &m.content),
                        None => m.content.len() / 4 + 1,
                    }
            })
            .sum();
        (prompt as u32).saturating_add(request.max_tokens.unwrap_or(256))
    }

    /// Send `request` through the limits, with retries, the cache and the ledger.
    pub async fn complete(
        &self,
        request: &ChatRequest,
        tag: &CallTag,
    ) -> Result<ChatResponse, LlmError> {
        let key3 = (
            tag.conversation.as_str(),
            tag.role.key(),
            request.model.as_str(),
        );
        if let Some(stop) = self.stop_error() {
            return Err(stop);
        }
        let cache_key = cache::key(request, &tag.conversation, tag.role.key());
        if let Some(cache) = &self.cache
            && let Ok(Some(hit)) = cache.get(&cache_key)
        {
            Self::lock(&self.ledger).cached(key3);
            self.meter.cached();
            tracing::debug!(
                "{}: {} answer from the cache",
                tag.conversation,
                tag.role.key()
            );
            clock::record(&hit);
            return Ok(hit);
        }
        if let Some(max) = self.cfg.max_cost_usd
            && self.spent_usd() >= max
        {
            return Err(LlmError::Budget);
        }
        let mut estimate = Self::estimate_tokens(request).clamp(1, self.tpm_burst);
        let mut request = request.clone();
        request.client_id = Some(cache_key.clone());
        let cap = self.token_cap(tag.role);
        let mut attempt: u32 = 0;
        loop {
            let permit = self.wait_turn(estimate, tag.under_way).await;
            if let Some(stop) = self.stop_error() {
                return Err(stop);
            }
            self.meter.sent();
            tracing::debug!(
                "{}: {} request to {} (attempt {}, ~{estimate} tokens)",
                tag.conversation,
                tag.role.key(),
                request.model,
                attempt + 1
            );
            let started = Instant::now();
            let result = self.backend(tag.role).complete(&request).await;
            let latency = started.elapsed();
            let price = self.prices.get(&request.model).copied();
            // An empty answer is a failed attempt that was paid for all the same (and is retried); an answer cut at
            // the token limit is asked again with a larger budget below.
            let (result, spent) = crate::llm::settle(result);
            match result {
                Ok(mut done) => {
                    // Kept with the cached answer, so a replay records the latency of the request behind it.
                    done.response.latency_ms = Some(latency.as_millis() as u64);
                    self.adapt(|gate| gate.success(latency));
                    drop(permit);
                    let usage = done.response.usage.unwrap_or(TokenUsage {
                        prompt_tokens: u64::from(estimate),
                        ..TokenUsage::default()
                    });
                    // Correct the token budget by what the server counted beyond the estimate.
                    let actual = (usage.prompt_tokens + usage.completion_tokens) as u32;
                    self.meter
                        .answered(u64::from(actual), price.map_or(0.0, |p| p.cost(&usage)));
                    if let Some(extra) =
                        NonZeroU32::new(actual.saturating_sub(estimate).min(self.tpm_burst))
                    {
                        let _ = self.tpm.until_n_ready(extra).await;
                    }
                    let price = self.prices.get(&request.model).copied();
                    if done.response.is_truncated() {
                        self.grow_budget(&mut request, cap, key3, usage, price)?;
                        estimate = Self::estimate_tokens(&request).clamp(1, self.tpm_burst);
                        continue;
                    }
                    if let Some(cache) = &self.cache
                        && let Err(e) = cache.put(&cache_key, &done.response)
                    {
                        tracing::warn!("response cache: {e}");
                    }
                    Self::lock(&self.ledger).success(key3, usage, latency, price);
                    clock::record(&done.response);
                    return Ok(done.response);
                }
                Err(e) => {
                    // The stop is raised before the slot is freed, so no request waiting for it goes out after a
                    // refusal.
                    if e.stops_run() {
                        self.stop(&e);
                    }
                    drop(permit);
                    let retry = e.is_retryable() && attempt < self.cfg.max_retries;
                    self.meter_failure(&e, spent, price, retry);
                    Self::lock(&self.ledger).failed(key3, !retry, spent, price);
                    if e.stops_run() {
                        self.stop(&e);
                        return Err(e);
                    }
                    if !retry {
                        return Err(e);
                    }
                    attempt += 1;
                    let hinted = e.retry_after();
                    if e.is_rate_limit() {
                        self.adapt(Gate::rate_limited);
                        if let Some(wait) = hinted {
                            self.pause(wait);
                        }
                    }
                    let delay = self.backoff(attempt, hinted);
                    tracing::debug!(
                        "retry {attempt} of {} after {delay:?}: {e}",
                        tag.conversation
                    );
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Count a failed attempt on the meter: its tokens and cost when it was paid for, a 429, a retry or a failure for
    /// good.
    fn meter_failure(
        &self,
        e: &LlmError,
        spent: Option<TokenUsage>,
        price: Option<ModelPrice>,
        retry: bool,
    ) {
        let tokens = spent.map_or(0, |u| u.prompt_tokens + u.completion_tokens);
        let cost = match (spent, price) {
            (Some(u), Some(p)) => p.cost(&u),
            _ => 0.0,
        };
        self.meter.answered(tokens, cost);
        if e.is_rate_limit() {
            self.meter.rate_limited();
        }
        if retry {
            self.meter.retried();
        } else {
            self.meter.failed();
        }
    }

    /// Wait for a concurrency slot, the end of a pause after a 429, and request and token capacity; the permit is
    /// the slot.
    async fn wait_turn(&self, estimate: u32, under_way: bool) -> gate::Permit<'_> {
        let permit = self.gate.acquire(under_way).await;
        self.wait_for_pause().await;
        // One request at a time waits on the rate limiters (a queue, not a herd that wakes together).
        let _turn = self.pacing.lock().await;
        self.rpm.until_ready().await;
        // While the first answers are awaited the limit grows with time: each send is a moment to let one more in.
        self.gate.wake_if_room();
        if let Some(n) = NonZeroU32::new(estimate) {
            let _ = self.tpm.until_n_ready(n).await;
        }
        permit
    }

    /// An answer cut at `request`'s budget: its tokens are paid for and counted, and the budget doubles up to
    /// `cap` for the next attempt; at the cap the request fails (its record, not the run).
    fn grow_budget(
        &self,
        request: &mut ChatRequest,
        cap: u32,
        key3: (&str, &str, &str),
        usage: TokenUsage,
        price: Option<ModelPrice>,
    ) -> Result<(), LlmError> {
        let budget = request.max_tokens.unwrap_or(cap);
        let grow = budget < cap;
        Self::lock(&self.ledger).failed(key3, !grow, Some(usage), price);
        if !grow {
            return Err(LlmError::Truncated(budget));
        }
        let next = budget.saturating_mul(2).min(cap);
        tracing::debug!(
            "{}: answer cut at max_tokens = {budget}; asking again with {next}",
            key3.0
        );
        request.max_tokens = Some(next);
        Ok(())
    }

    /// Stop the run for `e` (the first reason stays), unless it is a stop already.
    fn stop(&self, e: &LlmError) {
        if matches!(e, LlmError::Budget | LlmError::Stopped(..)) {
            return;
        }
        let mut stopped = Self::lock(&self.stopped);
        if stopped.is_none() {
            *stopped = Some((e.to_string(), e.stop_cause()));
        }
    }

    /// Full-jitter exponential backoff, never shorter than the server's hint.
    fn backoff(&self, attempt: u32, hinted: Option<Duration>) -> Duration {
        let cap = (self.cfg.backoff_base_ms as f64 * 2f64.powi(attempt.min(20) as i32 - 1))
            .min(self.cfg.backoff_max_ms as f64);
        let jittered = Self::lock(&self.jitter).unit() * cap;
        let ms = match hinted {
            Some(h) => jittered.max(h.as_secs_f64() * 1000.0),
            None => jittered,
        };
        Duration::from_secs_f64(ms / 1000.0)
    }

    /// After a 429 with a hint, hold every new request until the hinted time.
    fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut p = Self::lock(&self.pause_until);
        if p.is_none_or(|t| t < until) {
            *p = Some(until);
        }
    }

    async fn wait_for_pause(&self) {
        let until = *Self::lock(&self.pause_until);
        if let Some(t) = until {
            let now = Instant::now();
            if t > now {
                tokio::time::sleep(t - now).await;
            }
        }
    }
}

impl Drop for Manager {
    /// The manager's closing figures in the log (with `-v`): requests sent, answers from the cache, 429s, retries,
    /// failures, tokens and cost.
    fn drop(&mut self) {
        let s = self.snapshot();
        if s.sent + s.cached == 0 {
            return;
        }
        tracing::info!(
            "requests: {} sent, {} answered from the cache, {} 429s, {} retries, {} failed, {} tokens, ${:.4}",
            s.sent,
            s.cached,
            s.rate_limited,
            s.retries,
            s.failures,
            self.meter.tokens(),
            s.cost_usd
        );
    }
}

/// Whether `model` (an OpenRouter-style `openai/…` prefix ignored) uses the o200k encoding: gpt-4o, gpt-4.1,
/// gpt-5 and the o-series, by tiktoken-rs's own table of model prefixes.
pub fn uses_o200k(model: &str) -> bool {
    let name = model.rsplit('/').next().unwrap_or(model);
    matches!(
        tiktoken_rs::tokenizer::get_tokenizer(name),
        Some(tiktoken_rs::tokenizer::Tokenizer::O200kBase)
    )
}
