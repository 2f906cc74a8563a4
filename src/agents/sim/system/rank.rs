//! The recommender's retrieval: the needs summarised as a query, candidates retrieved from the catalog in the
//! category (by wanted values, else best rated; items shown and items of another department left out), reranked by
//! wanted and unwanted values, features and rating, the best picked with ties broken by the seeded RNG.

use super::SimSystem;
use crate::agents::sim::money;

/// The needs resolved to catalog ids, for fast scoring.
pub(super) struct Resolved {
    pub(super) wanted: Vec<(u32, u32)>,
    pub(super) unwanted: Vec<(u32, u32)>,
    pub(super) features: Vec<u32>,
}

impl SimSystem<'_> {
    /// The needs so far, summarised as a search query.
    pub(super) fn query(&self) -> String {
        let n = &self.needs;
        let mut parts: Vec<String> = Vec::new();
        parts.extend(n.wanted.iter().map(|(_, v)| v.clone()));
        parts.extend(n.features.iter().cloned());
        parts.push(n.category.clone().unwrap_or_else(|| n.need.clone()));
        let mut q = parts.join(" ");
        if !n.unwanted.is_empty() {
            let not: Vec<&str> = n.unwanted.iter().map(|(_, v)| v.as_str()).collect();
            q.push_str(&format!(" -{}", not.join(" -")));
        }
        if let Some(b) = n.budget {
            q.push_str(&format!(" under {}", money(b)));
        }
        q
    }

    /// Retrieve candidates in the category (by wanted values, else best rated), drop those shown, rerank: the best
    /// `count` (distinct titles, each with a fact to cite when more than one), the best first; empty when none is left.
    pub(super) fn best(&mut self, count: usize) -> Vec<u32> {
        let Some(leaf) = self.needs.category.clone() else {
            return Vec::new();
        };
        // An imperfect recommender: now and then one learnt preference is overlooked for this search, never the one
        // said last (nobody restates a wish and then shows something without it).
        let older = self.needs.wanted.len().saturating_sub(1);
        let slipped = (older > 0 && self.rng.chance(self.cfg.system_slip))
            .then(|| self.needs.wanted.remove(self.rng.below(older)));
        let best = self.rank(&leaf, count);
        if let Some(w) = slipped {
            self.needs.wanted.push(w);
        }
        best
    }

    /// Whether item `i` is of the department the shopper named (any, before one was named; unisex items are of
    /// every department).
    pub(super) fn in_department(&self, i: u32) -> bool {
        self.needs.department.is_none_or(|d| {
            self.cat
                .department(i)
                .is_none_or(|x| !crate::catalog::department::differ(x, d))
        })
    }

    /// How the items of category `leaf` are called, in the plural ("casual pants"): the noun of its items of the
    /// shopper's department, since one leaf name can stand for several categories ("Casual" under men's pants and
    /// under women's dresses); the leaf's own noun, or the leaf, when none is known.
    pub(super) fn category_noun(&self, leaf: &str) -> String {
        let items = self.cat.in_leaf(leaf);
        match items.iter().find(|&&i| self.in_department(i)) {
            Some(&i) if self.needs.department.is_some() => self.cat.noun(i).plural.clone(),
            _ => self
                .cat
                .leaf_noun(leaf)
                .map_or_else(|| leaf.to_string(), |n| n.plural.clone()),
        }
    }

    fn rank(&mut self, leaf: &str, count: usize) -> Vec<u32> {
        let leaf = leaf.to_string();
        // Items holding a wanted value, each with how many it holds: the postings joined and counted in sorted
        // order (no hash map built per turn).
        let mut postings: Vec<u32> = Vec::new();
        for (k, v) in &self.needs.wanted {
            postings.extend_from_slice(self.cat.with_value(&leaf, k, v));
        }
        postings.sort_unstable();
        let mut retrieved: Vec<(u32, u32)> = Vec::new();
        for i in postings {
            match retrieved.last_mut() {
                Some((last, c)) if *last == i => *c += 1,
                _ => retrieved.push((i, 1)),
            }
        }
        let was_retrieved = |i: u32| retrieved.binary_search_by_key(&i, |&(j, _)| j).is_ok();
        let k = self.cfg.candidates.get();
        let budget = self.needs.budget;
        let affordable =
            |i: u32| budget.is_none_or(|b| self.cat.item(i).price.is_none_or(|p| p <= b));
        // Once the shopper named a department, items of another one are left out (unisex ones stay).
        let in_department = |i: u32| self.in_department(i);
        // Retrieve: items matching the most wanted values (affordable ones when there are any), then the
        // category's best rated; keep a shortlist for the rerank.
        let mut hits: Vec<(u32, u32)> = retrieved
            .iter()
            .filter(|(i, _)| !self.shown.contains(i) && in_department(*i))
            .map(|&(i, c)| (c, i))
            .collect();
        if hits.iter().any(|(_, i)| affordable(*i)) {
            hits.retain(|(_, i)| affordable(*i));
        }
        let most_first = |a: &(u32, u32), b: &(u32, u32)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        if hits.len() > k * 20 {
            hits.select_nth_unstable_by(k * 20 - 1, most_first);
            hits.truncate(k * 20);
        }
        hits.sort_unstable_by(most_first);
        let mut pool: Vec<u32> = hits.into_iter().map(|(_, i)| i).collect();
        if pool.len() < k {
            let fresh =
                |i: &&u32| !self.shown.contains(i) && !was_retrieved(**i) && in_department(**i);
            let mut extra: Vec<u32> = self
                .cat
                .in_leaf(&leaf)
                .iter()
                .filter(fresh)
                .copied()
                .take(k * 4)
                .collect();
            if extra.iter().any(|&i| affordable(i)) {
                extra.retain(|&i| affordable(i));
            }
            pool.extend(extra);
        }
        if pool.is_empty() {
            return Vec::new();
        }
        let resolved = self.resolved();
        let scored: Vec<(f64, u32)> = pool
            .into_iter()
            .map(|i| (self.score(&resolved, i), i))
            .collect();
        self.pick_top(scored, k, count)
    }

    /// The `count` best of the `limit` best of `scored`: the best as [`Self::pick_best`] picks it, then the next best
    /// in score order, skipping a title already picked and an item with no fact to cite (a one-item turn when the
    /// best has none).
    fn pick_top(&mut self, mut scored: Vec<(f64, u32)>, limit: usize, count: usize) -> Vec<u32> {
        if count <= 1 {
            return self.pick_best(scored, limit).into_iter().collect();
        }
        keep_best(&mut scored, limit);
        let Some(best) = self.pick_best(scored.clone(), limit) else {
            return Vec::new();
        };
        let mut picks = vec![best];
        if !self.citable(best) {
            return picks;
        }
        for &(_, i) in &scored {
            if picks.len() == count {
                break;
            }
            let title = &self.cat.item(i).title;
            if picks.contains(&i)
                || picks.iter().any(|&p| self.cat.item(p).title == *title)
                || !self.citable(i)
            {
                continue;
            }
            picks.push(i);
        }
        picks
    }

    /// The best-scoring of the `limit` best of `scored` (score, catalog position), ties broken by the seeded RNG.
    pub(super) fn pick_best(&mut self, mut scored: Vec<(f64, u32)>, limit: usize) -> Option<u32> {
        keep_best(&mut scored, limit);
        let top = scored.first()?.0;
        let tied: Vec<u32> = scored
            .iter()
            .take_while(|(s, _)| (top - s).abs() < 1e-9)
            .map(|(_, i)| *i)
            .collect();
        self.rng.choose(&tied).copied()
    }

    /// The needs as catalog ids (values the catalog never uses cannot match and are dropped).
    pub(super) fn resolved(&self) -> Resolved {
        let pairs = |list: &[(String, String)]| -> Vec<(u32, u32)> {
            list.iter()
                .filter_map(|(k, v)| Some((self.cat.text_id(k)?, self.cat.text_id(v)?)))
                .collect()
        };
        Resolved {
            wanted: pairs(&self.needs.wanted),
            unwanted: pairs(&self.needs.unwanted),
            features: self
                .needs
                .features
                .iter()
                .filter_map(|f| self.cat.text_id(f))
                .collect(),
        }
    }

    pub(super) fn score(&self, r: &Resolved, i: u32) -> f64 {
        let count = |pairs: &[(u32, u32)]| {
            pairs
                .iter()
                .filter(|(k, v)| self.cat.has_pair(i, *k, *v))
                .count() as f64
        };
        let features = r
            .features
            .iter()
            .filter(|f| self.cat.has_feature_id(i, **f))
            .count() as f64;
        2.0 * count(&r.wanted) + 1.5 * features - 3.0 * count(&r.unwanted)
            + 0.1 * self.cat.item(i).rating
    }
}

/// The `limit` best of `scored` (score, catalog position), best first, ties in catalog order: the best are selected
/// before they are sorted, since a shortlist of a few hundred is cut to a handful.
fn keep_best(scored: &mut Vec<(f64, u32)>, limit: usize) {
    let order = |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    if limit == 0 {
        scored.clear();
        return;
    }
    if scored.len() > limit {
        scored.select_nth_unstable_by(limit - 1, order);
        scored.truncate(limit);
    }
    scored.sort_unstable_by(order);
}

#[cfg(test)]
mod tests {
    use super::keep_best;

    #[test]
    fn the_best_are_those_a_full_sort_puts_first() {
        let mut state: u64 = 3;
        for n in [0usize, 1, 5, 40, 300] {
            for limit in [0usize, 1, 3, 10, 400] {
                // Scores drawn from a few values, so ties are broken by position.
                let scored: Vec<(f64, u32)> = (0..n as u32)
                    .map(|i| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1);
                        (f64::from((state >> 60) as u32) * 0.5, i * 7 % 1_009)
                    })
                    .collect();
                let mut sorted = scored.clone();
                sorted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                sorted.truncate(limit);
                let mut best = scored;
                keep_best(&mut best, limit);
                assert_eq!(best, sorted, "{n} items, limit {limit}");
            }
        }
    }
}
