//! The usage and cost ledger: requests, cache hits, retries, tokens, latency and cost per conversation, role and
//! model, with totals and the `usage.csv` users analyse.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::io::AtomicFile;
use crate::llm::TokenUsage;
use crate::{Error, Result};

/// Prices per million tokens.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// USD per million prompt tokens.
    pub input_per_mtok: f64,
    /// USD per million completion tokens.
    pub output_per_mtok: f64,
}

/// One row: what one role of one conversation spent on one model.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct UsageRow {
    /// Requests sent (each attempt counts).
    pub requests: u64,
    /// Answers served from the cache.
    pub cached: u64,
    /// Attempts that failed and were retried.
    pub retries: u64,
    /// Requests that failed for good.
    pub failures: u64,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// Latency of the successful requests, in milliseconds.
    pub latency_ms: u64,
    /// Cost in USD.
    pub cost_usd: f64,
}

/// The ledger.
#[derive(Debug, Default)]
pub struct Ledger {
    rows: BTreeMap<(String, String, String), UsageRow>,
    total: UsageRow,
}

impl Ledger {
    fn row(&mut self, conversation: &str, role: &str, model: &str) -> &mut UsageRow {
        self.rows
            .entry((
                conversation.to_string(),
                role.to_string(),
                model.to_string(),
            ))
            .or_default()
    }

    /// A successful request.
    pub fn success(
        &mut self,
        key: (&str, &str, &str),
        usage: TokenUsage,
        latency: Duration,
        price: Option<ModelPrice>,
    ) {
        let cost = price.map_or(0.0, |p| {
            (usage.prompt_tokens as f64 * p.input_per_mtok
                + usage.completion_tokens as f64 * p.output_per_mtok)
                / 1e6
        });
        let ms = latency.as_millis() as u64;
        let row = self.row(key.0, key.1, key.2);
        row.requests += 1;
        row.prompt_tokens += usage.prompt_tokens;
        row.completion_tokens += usage.completion_tokens;
        row.latency_ms += ms;
        row.cost_usd += cost;
        let t = &mut self.total;
        t.requests += 1;
        t.prompt_tokens += usage.prompt_tokens;
        t.completion_tokens += usage.completion_tokens;
        t.latency_ms += ms;
        t.cost_usd += cost;
    }

    /// Tokens (and their cost) of an attempt that did not succeed but was paid for: an answer cut at
    /// `max_tokens`. Its request is counted by [`Ledger::failed`].
    pub fn spent(&mut self, key: (&str, &str, &str), usage: TokenUsage, price: Option<ModelPrice>) {
        let cost = price.map_or(0.0, |p| {
            (usage.prompt_tokens as f64 * p.input_per_mtok
                + usage.completion_tokens as f64 * p.output_per_mtok)
                / 1e6
        });
        let row = self.row(key.0, key.1, key.2);
        row.prompt_tokens += usage.prompt_tokens;
        row.completion_tokens += usage.completion_tokens;
        row.cost_usd += cost;
        let t = &mut self.total;
        t.prompt_tokens += usage.prompt_tokens;
        t.completion_tokens += usage.completion_tokens;
        t.cost_usd += cost;
    }

    /// An answer served from the cache.
    pub fn cached(&mut self, key: (&str, &str, &str)) {
        self.row(key.0, key.1, key.2).cached += 1;
        self.total.cached += 1;
    }

    /// A failed attempt; `fatal` when it will not be retried.
    pub fn failed(&mut self, key: (&str, &str, &str), fatal: bool) {
        let row = self.row(key.0, key.1, key.2);
        row.requests += 1;
        if fatal {
            row.failures += 1;
        } else {
            row.retries += 1;
        }
        self.total.requests += 1;
        if fatal {
            self.total.failures += 1;
        } else {
            self.total.retries += 1;
        }
    }

    /// Totals over every row.
    pub fn total(&self) -> &UsageRow {
        &self.total
    }

    /// What `conversation` spent, over its roles and models.
    pub fn conversation(&self, conversation: &str) -> UsageRow {
        let from = (conversation.to_string(), String::new(), String::new());
        let mut sum = UsageRow::default();
        for ((c, _, _), u) in self.rows.range(from..) {
            if c != conversation {
                break;
            }
            sum.requests += u.requests;
            sum.cached += u.cached;
            sum.retries += u.retries;
            sum.failures += u.failures;
            sum.prompt_tokens += u.prompt_tokens;
            sum.completion_tokens += u.completion_tokens;
            sum.latency_ms += u.latency_ms;
            sum.cost_usd += u.cost_usd;
        }
        sum
    }

    /// Take in the rows of an earlier run's `usage.csv` (a resumed run keeps what was spent before it); a missing
    /// file is no error, a malformed one names its line.
    pub fn load_csv(&mut self, path: &Path) -> Result<()> {
        if !path.is_file() {
            return Ok(());
        }
        let mut reader = csv::Reader::from_path(path)
            .map_err(|e| Error::read(path, std::io::Error::other(e)))?;
        for (i, record) in reader.records().enumerate() {
            let bad = |what: &str| Error::input(path, Some(i + 2), Some(what), "not a usage row");
            let r = record.map_err(|_| bad("row"))?;
            let n = |k: usize, what: &str| -> Result<u64> {
                r.get(k)
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| bad(what))
            };
            let u = UsageRow {
                requests: n(3, "requests")?,
                cached: n(4, "cached")?,
                retries: n(5, "retries")?,
                failures: n(6, "failures")?,
                prompt_tokens: n(7, "prompt_tokens")?,
                completion_tokens: n(8, "completion_tokens")?,
                latency_ms: n(9, "latency_ms")?,
                cost_usd: r
                    .get(10)
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| bad("cost_usd"))?,
            };
            let key = |k: usize| r.get(k).unwrap_or("").to_string();
            let row = self.rows.entry((key(0), key(1), key(2))).or_default();
            let t = &mut self.total;
            for (a, b, x) in [
                (&mut row.requests, &mut t.requests, u.requests),
                (&mut row.cached, &mut t.cached, u.cached),
                (&mut row.retries, &mut t.retries, u.retries),
                (&mut row.failures, &mut t.failures, u.failures),
                (
                    &mut row.prompt_tokens,
                    &mut t.prompt_tokens,
                    u.prompt_tokens,
                ),
                (
                    &mut row.completion_tokens,
                    &mut t.completion_tokens,
                    u.completion_tokens,
                ),
                (&mut row.latency_ms, &mut t.latency_ms, u.latency_ms),
            ] {
                *a += x;
                *b += x;
            }
            row.cost_usd += u.cost_usd;
            t.cost_usd += u.cost_usd;
        }
        Ok(())
    }

    /// Write `usage.csv`: one row per conversation, role and model.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        let mut file = AtomicFile::create(path)?;
        {
            let mut w = csv::Writer::from_writer(&mut file);
            let err = |e: csv::Error| Error::write(path, std::io::Error::other(e));
            w.write_record([
                "conversation",
                "role",
                "model",
                "requests",
                "cached",
                "retries",
                "failures",
                "prompt_tokens",
                "completion_tokens",
                "latency_ms",
                "cost_usd",
            ])
            .map_err(err)?;
            for ((c, r, m), u) in &self.rows {
                w.write_record([
                    c.clone(),
                    r.clone(),
                    m.clone(),
                    u.requests.to_string(),
                    u.cached.to_string(),
                    u.retries.to_string(),
                    u.failures.to_string(),
                    u.prompt_tokens.to_string(),
                    u.completion_tokens.to_string(),
                    u.latency_ms.to_string(),
                    format!("{:.6}", u.cost_usd),
                ])
                .map_err(err)?;
            }
            w.flush().map_err(|e| Error::write(path, e))?;
        }
        file.commit()
    }
}
