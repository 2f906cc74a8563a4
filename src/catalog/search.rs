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

/// The FTS5 queries for free text: every word quoted, joined with AND (items holding every word) and with OR
/// (items holding any). Search tries AND first and tops up from OR, so BM25 ranks within each tier.
pub fn fts_queries(text: &str) -> Option<(String, String)> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| (words.join(" AND "), words.join(" OR ")))
}

/// The full-text constraint for a category filter: each label's words as a phrase in the `categories` column.
fn category_fts(filter: &str) -> Option<String> {
    let phrases: Vec<String> = filter
        .split('>')
        .filter_map(|label| {
            let words: Vec<String> = label
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect();
            (!words.is_empty()).then(|| format!("\"{}\"", words.join(" ")))
        })
        .collect();
    (!phrases.is_empty()).then(|| format!("{{categories}} : ({})", phrases.join(" AND ")))
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
    /// Run `query`; results are ordered by tier (all words, then some), then score, then id, so ties are stable.
    pub fn search(&self, query: &Query) -> Result<Vec<Hit>> {
        let mut ranked: Vec<(i64, f64)> = Vec::new();
        match fts_queries(&query.text) {
            Some((all_words, any_word)) => {
                ranked = self.ranked(Some(&all_words), query, &[])?;
                if ranked.len() < query.limit && all_words != any_word {
                    let seen: Vec<i64> = ranked.iter().map(|r| r.0).collect();
                    let more = self.ranked(Some(&any_word), query, &seen)?;
                    ranked.extend(more.into_iter().take(query.limit - ranked.len()));
                }
            }
            None => ranked.extend(self.ranked(None, query, &[])?),
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT json FROM items WHERE rowid = ?1")
            .map_err(|e| self.err(e))?;
        let mut hits = Vec::with_capacity(ranked.len());
        for (rowid, score) in ranked {
            let json: String = stmt
                .query_row([rowid], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            hits.push(Hit {
                score,
                item: decode(&self.path, &json)?,
            });
        }
        Ok(hits)
    }

    /// Row ids and scores of the best `query.limit` items matching `fts` (or every item when `None`) and the filters,
    /// leaving out `skip` rows. Only small columns are sorted; the item JSON is read for the winners alone.
    fn ranked(&self, fts: Option<&str>, query: &Query, skip: &[i64]) -> Result<Vec<(i64, f64)>> {
        let exclude = serde_json::to_string(&query.exclude).unwrap_or_else(|_| "[]".into());
        let skip = serde_json::to_string(skip).unwrap_or_else(|_| "[]".into());
        let category = query.category.as_deref().and_then(category_pattern);
        let filters = "(?2 IS NULL OR i.category_path LIKE ?2 ESCAPE '\\')
            AND (?3 IS NULL OR i.price >= ?3) AND (?4 IS NULL OR i.price <= ?4)
            AND (?5 IS NULL OR i.rating >= ?5)
            AND i.id NOT IN (SELECT value FROM json_each(?6))
            AND i.rowid NOT IN (SELECT value FROM json_each(?8))";
        // The category filter also narrows the full-text match (token level), so BM25 scores fewer rows;
        // the LIKE on the stored path keeps the exact whole-label semantics.
        let matcher = match (fts, query.category.as_deref().and_then(category_fts)) {
            (Some(q), Some(c)) => Some(format!("{c} AND ({q})")),
            (Some(q), None) => Some(q.to_string()),
            (None, Some(c)) => Some(c),
            (None, None) => None,
        };
        let sql = match (fts, &matcher) {
            (None, Some(_)) => format!(
                "SELECT i.rowid, 0.0 FROM items_fts f JOIN items i ON i.rowid = f.rowid
                 WHERE items_fts MATCH ?1 AND {filters}
                 ORDER BY i.rating IS NULL, i.rating DESC, i.id LIMIT ?7"
            ),
            (Some(_), _) => format!(
                "SELECT i.rowid, f.score FROM
                   (SELECT rowid, bm25(items_fts, 8.0, 3.0, 1.0) AS score FROM items_fts WHERE items_fts MATCH ?1) f
                 JOIN items i ON i.rowid = f.rowid
                 WHERE {filters}
                 ORDER BY f.score, i.id LIMIT ?7"
            ),
            (None, None) => format!(
                "SELECT i.rowid, 0.0 FROM items i
                 WHERE (?1 = '' OR 1) AND {filters}
                 ORDER BY i.rating IS NULL, i.rating DESC, i.id LIMIT ?7"
            ),
        };
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                params![
                    matcher.as_deref().unwrap_or(""),
                    category,
                    query.min_price,
                    query.max_price,
                    query.min_rating,
                    exclude,
                    query.limit as i64,
                    skip
                ],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)),
            )
            .map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_queries_quote_words_and_drop_syntax() {
        let (all, any) = fts_queries("waterproof hiking-boots").unwrap();
        assert_eq!(all, "\"waterproof\" AND \"hiking\" AND \"boots\"");
        assert_eq!(any, "\"waterproof\" OR \"hiking\" OR \"boots\"");
        assert_eq!(
            fts_queries("\" OR NEAR(").map(|q| q.1),
            Some("\"or\" OR \"near\"".into())
        );
        assert_eq!(fts_queries("  --  "), None);
    }

    #[test]
    fn category_fts_phrases_each_label() {
        assert_eq!(
            category_fts("Home & Kitchen > Bedding").as_deref(),
            Some("{categories} : (\"home kitchen\" AND \"bedding\")")
        );
        assert_eq!(category_fts(" & "), None);
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
