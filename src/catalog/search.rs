//! Catalog search: BM25 over title, categories and body (FTS5), with filters on category path, price, rating and excluded ids.

use rusqlite::params;
use serde::Serialize;

use super::index::{Index, decode};
use crate::Result;
use crate::model::Item;

/// What to look for and which items qualify.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Free text; empty means "browse by filters" (best rated first).
    pub text: String,
    /// Category path filter: one label (`Footwear`) or a sub-path (`Women > Shoes`), matched as consecutive whole labels, case-insensitively.
    pub category: Option<String>,
    /// Lowest price.
    pub min_price: Option<f64>,
    /// Highest price.
    pub max_price: Option<f64>,
    /// Lowest rating.
    pub min_rating: Option<f64>,
    /// Ids never returned (items already shown).
    pub exclude: Vec<String>,
    /// Most results to return.
    pub limit: usize,
}

/// One search result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// BM25 score as FTS5 reports it (lower is better); 0 when browsing.
    pub score: f64,
    /// The item.
    pub item: Item,
}

/// The FTS5 query for free text: every word quoted, joined with OR so that BM25 ranks items matching more words first.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" OR "))
}

/// The LIKE pattern for a category filter over the stored `|A|B|` path key.
fn category_pattern(filter: &str) -> Option<String> {
    let labels: Vec<String> = filter
        .split('>')
        .map(|s| {
            s.trim()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        })
        .filter(|s| !s.is_empty())
        .collect();
    (!labels.is_empty()).then(|| format!("%|{}|%", labels.join("|")))
}

impl Index {
    /// Run `query`; results are ordered by score, then id, so ties are stable.
    pub fn search(&self, query: &Query) -> Result<Vec<Hit>> {
        let exclude = serde_json::to_string(&query.exclude).unwrap_or_else(|_| "[]".into());
        let category = query.category.as_deref().and_then(category_pattern);
        let filters = "(?2 IS NULL OR i.category_path LIKE ?2 ESCAPE '\\')
            AND (?3 IS NULL OR i.price >= ?3) AND (?4 IS NULL OR i.price <= ?4)
            AND (?5 IS NULL OR i.rating >= ?5)
            AND i.id NOT IN (SELECT value FROM json_each(?6))";
        let limit = query.limit as i64;
        let (sql, text) = match fts_query(&query.text) {
            Some(q) => (
                format!(
                    "SELECT i.json, bm25(items_fts, 8.0, 3.0, 1.0) AS score
                     FROM items_fts JOIN items i ON i.rowid = items_fts.rowid
                     WHERE items_fts MATCH ?1 AND {filters}
                     ORDER BY score, i.id LIMIT ?7"
                ),
                q,
            ),
            None => (
                format!(
                    "SELECT i.json, 0.0 AS score FROM items i
                     WHERE (?1 = '' OR 1) AND {filters}
                     ORDER BY i.rating IS NULL, i.rating DESC, i.id LIMIT ?7"
                ),
                String::new(),
            ),
        };
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                params![
                    text,
                    category,
                    query.min_price,
                    query.max_price,
                    query.min_rating,
                    exclude,
                    limit
                ],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?)),
            )
            .map_err(|e| self.err(e))?;
        let mut hits = Vec::new();
        for row in rows {
            let (json, score) = row.map_err(|e| self.err(e))?;
            hits.push(Hit {
                score,
                item: decode(&self.path, &json)?,
            });
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_words_and_drops_syntax() {
        assert_eq!(
            fts_query("waterproof hiking-boots").as_deref(),
            Some("\"waterproof\" OR \"hiking\" OR \"boots\"")
        );
        assert_eq!(fts_query("\" OR NEAR("), Some("\"or\" OR \"near\"".into()));
        assert_eq!(fts_query("  --  "), None);
    }

    #[test]
    fn category_pattern_matches_whole_labels() {
        assert_eq!(
            category_pattern("Footwear").as_deref(),
            Some("%|Footwear|%")
        );
        assert_eq!(
            category_pattern("Women > Shoes").as_deref(),
            Some("%|Women|Shoes|%")
        );
        assert_eq!(
            category_pattern("50%_off").as_deref(),
            Some("%|50\\%\\_off|%")
        );
        assert_eq!(category_pattern(" > "), None);
    }
}
