//! The usage and cost ledger: requests, cache hits, retries, tokens, latency and cost per conversation, role and
//! model, with totals and the `usage.csv` users analyse.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::io::AtomicFile;
use crate::llm::TokenUsage;
use crate::{Error, Result};

pub use crate::config::ModelPrice;
/// One row of the ledger (a data type of the bottom layer, so that reports of any stage can carry it).
pub use crate::model::UsageRow;

/// What a price makes of the tokens an answer used (the price is a setting; what it costs is the ledger's).
pub trait Priced {
    /// What `usage` costs in USD: uncached prompt tokens at the input price, cache reads and writes at theirs,
    /// completion tokens at the output price.
    fn cost(&self, usage: &TokenUsage) -> f64;
}

impl Priced for ModelPrice {
    fn cost(&self, usage: &TokenUsage) -> f64 {
        (usage.uncached_prompt_tokens() as f64 * self.input_per_mtok
            + usage.cache_read_tokens as f64
                * self.cached_input_per_mtok.unwrap_or(self.input_per_mtok)
            + usage.cache_write_tokens as f64
                * self.cache_write_per_mtok.unwrap_or(self.input_per_mtok)
            + usage.completion_tokens as f64 * self.output_per_mtok)
            / 1e6
    }
}

/// The `usage.csv` columns, in order.
const COLUMNS: [&str; 14] = [
    "conversation",
    "role",
    "model",
    "requests",
    "cached",
    "retries",
    "failures",
    "prompt_tokens",
    "completion_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "latency_ms",
    "cost_usd",
];

impl UsageRow {
    /// Add `other` to this row.
    pub fn add(&mut self, other: &UsageRow) {
        self.requests += other.requests;
        self.cached += other.cached;
        self.retries += other.retries;
        self.failures += other.failures;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.cache_read_tokens += other.cache_read_tokens;
        self.cache_write_tokens += other.cache_write_tokens;
        self.reasoning_tokens += other.reasoning_tokens;
        self.latency_ms += other.latency_ms;
        self.cost_usd += other.cost_usd;
    }

    /// A row of one attempt's tokens and cost.
    fn spent(usage: &TokenUsage, price: Option<ModelPrice>) -> UsageRow {
        UsageRow {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            cache_read_tokens: usage.cache_read_tokens,
            cache_write_tokens: usage.cache_write_tokens,
            reasoning_tokens: usage.reasoning_tokens,
            cost_usd: price.map_or(0.0, |p| p.cost(usage)),
            ..UsageRow::default()
        }
    }

    /// The numbers of a row, as `usage.csv` writes them after the three key columns.
    fn fields(&self) -> [String; 11] {
        [
            self.requests.to_string(),
            self.cached.to_string(),
            self.retries.to_string(),
            self.failures.to_string(),
            self.prompt_tokens.to_string(),
            self.completion_tokens.to_string(),
            self.cache_read_tokens.to_string(),
            self.cache_write_tokens.to_string(),
            self.reasoning_tokens.to_string(),
            self.latency_ms.to_string(),
            // Shortest text that reads back as the same number, so a resumed run adds up to the same cost.
            self.cost_usd.to_string(),
        ]
    }
}

/// The ledger.
#[derive(Debug, Default)]
pub struct Ledger {
    rows: BTreeMap<(String, String, String), UsageRow>,
    total: UsageRow,
}

impl Ledger {
    fn record(&mut self, key: (&str, &str, &str), change: &UsageRow) {
        self.rows
            .entry((key.0.to_string(), key.1.to_string(), key.2.to_string()))
            .or_default()
            .add(change);
        self.total.add(change);
    }

    /// A successful request.
    pub fn success(
        &mut self,
        key: (&str, &str, &str),
        usage: TokenUsage,
        latency: Duration,
        price: Option<ModelPrice>,
    ) {
        let change = UsageRow {
            requests: 1,
            latency_ms: latency.as_millis() as u64,
            ..UsageRow::spent(&usage, price)
        };
        self.record(key, &change);
    }

    /// An answer served from the cache.
    pub fn cached(&mut self, key: (&str, &str, &str)) {
        let change = UsageRow {
            cached: 1,
            ..UsageRow::default()
        };
        self.record(key, &change);
    }

    /// A failed attempt; `fatal` when it will not be retried. `spent` is what the attempt used when the server
    /// said (an answer cut at the token limit, or one without content, is billed all the same).
    pub fn failed(
        &mut self,
        key: (&str, &str, &str),
        fatal: bool,
        spent: Option<TokenUsage>,
        price: Option<ModelPrice>,
    ) {
        let base = spent.map_or_else(UsageRow::default, |u| UsageRow::spent(&u, price));
        let change = UsageRow {
            requests: 1,
            failures: u64::from(fatal),
            retries: u64::from(!fatal),
            ..base
        };
        self.record(key, &change);
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
            sum.add(u);
        }
        sum
    }

    /// Take in the rows of an earlier run's `usage.csv` (a resumed run keeps what was spent before it); a missing
    /// file is no error, a malformed one names its line. Columns are found by name, and a column an older
    /// musegen did not write counts as 0.
    pub fn load_csv(&mut self, path: &Path) -> Result<()> {
        if !path.is_file() {
            return Ok(());
        }
        let mut reader = csv::Reader::from_path(path)
            .map_err(|e| Error::read(path, std::io::Error::other(e)))?;
        let header = reader
            .headers()
            .map_err(|e| Error::read(path, std::io::Error::other(e)))?
            .clone();
        let at = |name: &str| header.iter().position(|h| h == name);
        for (i, record) in reader.records().enumerate() {
            let bad = |what: &str| Error::input(path, Some(i + 2), Some(what), "not a usage row");
            let r = record.map_err(|_| bad("row"))?;
            let n = |name: &'static str| -> Result<u64> {
                match at(name) {
                    None if COLUMNS[9..12].contains(&name) => Ok(0),
                    k => k
                        .and_then(|k| r.get(k))
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| bad(name)),
                }
            };
            let u = UsageRow {
                requests: n("requests")?,
                cached: n("cached")?,
                retries: n("retries")?,
                failures: n("failures")?,
                prompt_tokens: n("prompt_tokens")?,
                completion_tokens: n("completion_tokens")?,
                cache_read_tokens: n("cache_read_tokens")?,
                cache_write_tokens: n("cache_write_tokens")?,
                reasoning_tokens: n("reasoning_tokens")?,
                latency_ms: n("latency_ms")?,
                cost_usd: at("cost_usd")
                    .and_then(|k| r.get(k))
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| bad("cost_usd"))?,
            };
            let key = |name: &str| at(name).and_then(|k| r.get(k)).unwrap_or("").to_string();
            let (c, role, model) = (key("conversation"), key("role"), key("model"));
            self.record((&c, &role, &model), &u);
        }
        Ok(())
    }

    /// Write `usage.csv`: one row per conversation, role and model.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        let mut file = AtomicFile::create(path)?;
        {
            let mut w = csv::Writer::from_writer(&mut file);
            let err = |e: csv::Error| Error::write(path, std::io::Error::other(e));
            w.write_record(COLUMNS).map_err(err)?;
            for ((c, r, m), u) in &self.rows {
                let mut record = vec![c.clone(), r.clone(), m.clone()];
                record.extend(u.fields());
                w.write_record(&record).map_err(err)?;
            }
            w.flush().map_err(|e| Error::write(path, e))?;
        }
        file.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price() -> ModelPrice {
        ModelPrice {
            input_per_mtok: 3.0,
            output_per_mtok: 15.0,
            cached_input_per_mtok: Some(0.3),
            cache_write_per_mtok: Some(3.75),
        }
    }

    #[test]
    fn cache_reads_and_writes_are_priced_at_their_own_rates() {
        let usage = TokenUsage {
            prompt_tokens: 1_000_000 + 2_000_000 + 100_000,
            completion_tokens: 500_000,
            cache_read_tokens: 2_000_000,
            cache_write_tokens: 100_000,
            reasoning_tokens: 200_000,
        };
        let cost = price().cost(&usage);
        // 1M uncached × 3 + 2M read × 0.3 + 0.1M written × 3.75 + 0.5M out × 15 (reasoning inside it).
        assert!((cost - (3.0 + 0.6 + 0.375 + 7.5)).abs() < 1e-9, "{cost}");
        // Without cache prices, cached tokens cost the input price.
        let plain = ModelPrice {
            cached_input_per_mtok: None,
            cache_write_per_mtok: None,
            ..price()
        };
        assert!((plain.cost(&usage) - (3.1 * 3.0 + 7.5)).abs() < 1e-9);
    }

    #[test]
    fn failed_attempts_are_counted_and_paid_and_the_csv_round_trips() {
        let mut ledger = Ledger::default();
        let key = ("c1", "user_agent", "m");
        let cut = TokenUsage {
            prompt_tokens: 100,
            completion_tokens: 50,
            cache_read_tokens: 80,
            ..TokenUsage::default()
        };
        ledger.failed(key, false, Some(cut), Some(price()));
        ledger.failed(key, false, None, Some(price()));
        ledger.success(key, cut, Duration::from_millis(7), Some(price()));
        let row = ledger.conversation("c1");
        assert_eq!((row.requests, row.retries, row.failures), (3, 2, 0));
        assert_eq!(row.prompt_tokens, 200);
        assert_eq!(row.cache_read_tokens, 160);
        assert!((row.cost_usd - 2.0 * price().cost(&cut)).abs() < 1e-12);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("usage.csv");
        ledger.write_csv(&path).unwrap();
        let mut back = Ledger::default();
        back.load_csv(&path).unwrap();
        assert_eq!(back.conversation("c1").cache_read_tokens, 160);
        assert_eq!(back.total().prompt_tokens, 200);
        // An older file without the cache and reasoning columns still loads.
        std::fs::write(
            &path,
            "conversation,role,model,requests,cached,retries,failures,prompt_tokens,completion_tokens,latency_ms,cost_usd\n\
             c2,judge,m,1,0,0,0,10,5,3,0.000100\n",
        )
        .unwrap();
        back.load_csv(&path).unwrap();
        assert_eq!(back.conversation("c2").prompt_tokens, 10);
        assert_eq!(back.conversation("c2").cache_read_tokens, 0);
    }
}
