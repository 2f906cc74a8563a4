//! The composer: a turn is planned as a sequence of parts (for the recommender an acknowledgement, the item
//! presented, why it fits, an invitation …; for the shopper a lead-in, what it says, a closing word), each part drawn
//! from its group of alternatives in `prompts/sim/system.toml` or `prompts/sim/user.toml` and filled with typed
//! variables. The dialogue's [`Memory`] keeps an alternative, or a phrase (a 4-gram outside values), from
//! being used twice in one dialogue.
//!
//! Parts are plain sentences with `{{ variable }}` slots and no control flow: what is said is the plan's decision
//! (in code), how it is said is the bank's. Loading checks every part against the writing rules that can be checked
//! (known variables, only those the plan gives its group, no sentence opening with a lowercase variable, no article
//! before one), so every alternative renders for every fill and every combination reads.

use std::collections::BTreeMap;

use super::realise::single_stops;
use super::variety::{MASK, MAX_ALTERNATIVES, Memory, PassThrough, gram_spans_into, grams};
use crate::data::DataFile;
use crate::rng::Rng;
use crate::template::Collapsed;
use crate::{Error, Result};

#[macro_use]
mod parts;
mod fill;

pub use fill::Fill;

pub use parts::{Part, Parts, Var};

/// One piece of a part: text, or a variable.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Var(Var),
}

/// One alternative of a part.
#[derive(Debug, Clone)]
struct Alternative {
    pieces: Vec<Piece>,
    /// Its first word, lowercased and hashed (0 when it opens with a variable).
    opening: u64,
}

impl Alternative {
    /// Its own phrases: the 4-grams of its text, variables left out.
    fn grams(&self) -> Vec<u64> {
        let mut masked = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => masked.push_str(t),
                Piece::Var(_) => {
                    masked.push(' ');
                    masked.push(MASK);
                    masked.push(' ');
                }
            }
        }
        grams(&masked)
    }
}

/// A speaker's phrase bank: the alternatives of every part of `P`.
pub struct Bank<P: Parts> {
    groups: Vec<Vec<Alternative>>,
    /// Each phrase of the bank's own text with an alternative (part, index) that holds it, sorted: once said,
    /// those alternatives are not drawn again in the dialogue while others are left.
    by_gram: std::collections::HashMap<u64, (u32, u32), PassThrough>,
    /// The (part, index) of the alternatives holding each phrase, a run per phrase that `by_gram` points to.
    holders: Vec<(u16, u16)>,
    /// Ways to open a restated wish, by the frame the realiser opens it with (`[wish]` in the recommender's file).
    wish_heads: Vec<(&'static str, Vec<String>)>,
    /// Whether two parts of one turn may not open with the same word ("Hmm." then "Hmm, ...").
    distinct_openings: bool,
    parts: std::marker::PhantomData<P>,
}

/// The recommender's phrase bank (`system.toml`).
pub type SystemBank = Bank<Part>;

/// The parts of a file as written: table, key, alternatives.
pub type Tables = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// The realiser's wish frames (`realise::wishes`) and their keys in `[wish]`.
const WISH_FRAMES: [(&str, &str); 3] = [
    ("prefer", "you'd prefer "),
    ("like", "you'd like "),
    ("need", "you need "),
];

/// Whole-turn draws before a turn that repeats a phrase is kept anyway.
const ATTEMPTS: usize = 8;

/// Alternatives tried in order, at most, after every draw of a turn repeats a phrase.
const FALLBACK_TRIES: usize = 12;

/// The buffers of one turn's drafts, reused from draft to draft.
struct Draft {
    /// The draft's text with values masked.
    masked: String,
    /// Its phrases, each once.
    grams: Vec<u64>,
    /// Every phrase with the span of its words.
    spans: Vec<(u64, usize, usize)>,
    /// Where each part's text starts in `masked`, and its end.
    bounds: Vec<usize>,
    /// Whether a part repeats a phrase of the dialogue on its own (not only where it joins another).
    clashing: Vec<bool>,
}

impl SystemBank {
    /// The bank of `file` (`system.toml`): every part present and non-empty, no unknown part, every alternative
    /// within the writing rules; errors name the file, line and key. (The cap on a line's share is checked by
    /// `shapes::check`, which the phrase bank runs on loading.)
    pub fn load(file: &DataFile) -> Result<Self> {
        let mut tables: Tables = crate::data::parse(file)?;
        let wish_heads = wish_heads(file, tables.remove("wish").unwrap_or_default())?;
        let mut bank = Self::from_tables(file, "", tables)?;
        bank.wish_heads = wish_heads;
        Ok(bank)
    }
}

impl<P: Parts> Bank<P> {
    /// The bank of `tables` read from `file`, whose table names there are `prefix` + the part's table: every part
    /// present and non-empty, no unknown part, every alternative within the writing rules; errors name the file,
    /// line and key.
    pub fn from_tables(file: &DataFile, prefix: &str, tables: Tables) -> Result<Self> {
        for (table, keys) in &tables {
            for key in keys.keys() {
                if !P::ALL.iter().any(|p| p.key() == (table, key)) {
                    return Err(Error::data(
                        at(file, &format!("{prefix}{table}"), key),
                        format!("{prefix}{table}.{key} is not a part a plan is made of"),
                    ));
                }
            }
        }
        let mut groups = Vec::with_capacity(P::ALL.len());
        for &part in P::ALL {
            let (table, key) = part.key();
            let list = tables
                .get(table)
                .and_then(|t| t.get(key))
                .filter(|l| !l.is_empty())
                .ok_or_else(|| {
                    Error::data(
                        &file.origin,
                        format!("{prefix}{table}.{key} is missing or empty"),
                    )
                })?;
            let table = format!("{prefix}{table}");
            if list.len() > MAX_ALTERNATIVES {
                return Err(Error::data(
                    at(file, &table, key),
                    format!(
                        "{table}.{key} has {} alternatives; a part has at most {MAX_ALTERNATIVES}",
                        list.len()
                    ),
                ));
            }
            let mut alternatives = Vec::with_capacity(list.len());
            for (i, source) in list.iter().enumerate() {
                if let Some(j) = list[..i].iter().position(|x| x == source) {
                    return Err(Error::data(
                        at(file, &table, key),
                        format!("{table}.{key}[{i}] repeats [{j}]: each alternative once"),
                    ));
                }
                let alt = parse(source, part.vars()).map_err(|why| {
                    Error::data(at(file, &table, key), format!("{table}.{key}[{i}]: {why}"))
                })?;
                alternatives.push(alt);
            }
            groups.push(alternatives);
        }
        let mut by_gram: Vec<(u64, u16, u16)> = Vec::new();
        for (p, group) in groups.iter().enumerate() {
            for (i, alt) in group.iter().enumerate() {
                by_gram.extend(alt.grams().into_iter().map(|g| (g, p as u16, i as u16)));
            }
        }
        by_gram.sort_unstable();
        let holders = by_gram.iter().map(|&(_, p, i)| (p, i)).collect();
        let mut runs = std::collections::HashMap::with_hasher(PassThrough);
        for (k, &(g, _, _)) in by_gram.iter().enumerate() {
            runs.entry(g).or_insert((k as u32, k as u32)).1 = k as u32 + 1;
        }
        Ok(Bank {
            groups,
            by_gram: runs,
            holders,
            wish_heads: Vec::new(),
            distinct_openings: false,
            parts: std::marker::PhantomData,
        })
    }

    /// The same bank, drawing again a turn two of whose parts open with the same word.
    pub fn with_distinct_openings(mut self) -> Self {
        self.distinct_openings = true;
        self
    }

    /// How many parts of `picks` open with the word an earlier part opened with (0 unless the bank asks).
    fn same_openings(&self, plan: &[P], picks: &[usize]) -> usize {
        if !self.distinct_openings {
            return 0;
        }
        let words: Vec<u64> = plan
            .iter()
            .zip(picks)
            .map(|(p, &i)| self.groups[p.index()][i].opening)
            .collect();
        (1..words.len())
            .filter(|&j| words[j] != 0 && words[..j].contains(&words[j]))
            .count()
    }

    /// A restated wish ("you'd prefer black") opened by one of the bank's heads for its frame ("you're keen on
    /// black"), drawn evenly; a clause of another frame is returned as it is.
    pub fn reword_wish(&self, clause: &str, rng: &mut Rng) -> String {
        for ((_, frame), (_, heads)) in WISH_FRAMES.iter().zip(&self.wish_heads) {
            if let Some(rest) = clause.strip_prefix(frame)
                && let Some(head) = rng.choose(heads)
            {
                return format!("{head} {rest}");
            }
        }
        clause.to_string()
    }

    /// How many alternatives `part` has.
    pub fn len(&self, part: P) -> usize {
        self.groups[part.index()].len()
    }

    /// Whether the bank has no parts (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The turn `plan` says, with `fill`'s values: each part's alternative drawn among those not used yet in the
    /// dialogue, drawn again (up to a few times) while the turn would repeat a phrase the dialogue already has; the
    /// alternatives and phrases used are then remembered.
    pub fn compose(
        &self,
        plan: &[P],
        fill: &Fill,
        memory: &mut Memory,
        rng: &mut Rng,
    ) -> Result<String> {
        let (picks, said) = self.pick(plan, fill, memory, rng)?;
        let text = self.render(plan, &picks, fill)?;
        self.remember(plan, &picks, &said, memory);
        Ok(text)
    }

    /// The same turn said twice, with `fill` and with `other` (the same variables, another item's values), in the
    /// same alternatives: a preference pair whose replies differ in their values only. The alternatives are drawn
    /// for `fill`; the dialogue's memory learns the first.
    pub fn compose_pair(
        &self,
        plan: &[P],
        fill: &Fill,
        other: &Fill,
        memory: &mut Memory,
        rng: &mut Rng,
    ) -> Result<(String, String)> {
        let (picks, said) = self.pick(plan, fill, memory, rng)?;
        let second = self.render(plan, &picks, other)?;
        let first = self.render(plan, &picks, fill)?;
        self.remember(plan, &picks, &said, memory);
        Ok((first, second))
    }

    /// The alternatives of `plan`'s parts for `fill`, with the phrases the turn would say: drawn among those not
    /// used yet, and again (up to a few times) while the turn would repeat a phrase of the dialogue; the draw with
    /// the fewest repeats. When every draw repeats one, a few unused alternatives of each part that repeats a phrase
    /// on its own are tried in order. (Drafts are checked in their masked form only: the text is rendered once, when
    /// kept.)
    fn pick(
        &self,
        plan: &[P],
        fill: &Fill,
        memory: &Memory,
        rng: &mut Rng,
    ) -> Result<(Vec<usize>, Vec<u64>)> {
        let mut picks: Vec<usize> = plan.iter().map(|&p| self.draw(p, memory, rng)).collect();
        let mut best: Option<(usize, Vec<usize>, Vec<u64>)> = None;
        let mut draft = Draft {
            masked: String::with_capacity(160),
            grams: Vec::with_capacity(32),
            spans: Vec::with_capacity(48),
            bounds: Vec::with_capacity(plan.len() + 1),
            clashing: Vec::with_capacity(plan.len()),
        };
        for attempt in 0..ATTEMPTS {
            let clashes = self.score(plan, &picks, fill, memory, &mut draft)?;
            if clashes == 0 {
                return Ok((picks, draft.grams));
            }
            if best.as_ref().is_none_or(|(c, _, _)| clashes < *c) {
                best = Some((clashes, picks.clone(), draft.grams.clone()));
            }
            if attempt + 1 == ATTEMPTS {
                break;
            }
            // Draw again the parts that clash alone, or all of them when only their joins do.
            let mut redrawn = false;
            for (j, &part) in plan.iter().enumerate() {
                if draft.clashing[j] {
                    picks[j] = self.draw(part, memory, rng);
                    redrawn = true;
                }
            }
            if !redrawn {
                for (j, &part) in plan.iter().enumerate() {
                    picks[j] = self.draw(part, memory, rng);
                }
            }
        }
        let Some((mut fewest, mut picks, mut said)) = best else {
            return Ok(Default::default());
        };
        // The rare turn whose draws all repeat a phrase (a frame ending "… that" before a clause the shopper said
        // earlier after "that"): the alternatives not used yet of each part that repeats one alone, in order, a
        // few at most (a phrase no alternative avoids is not worth a scan of them all).
        self.score(plan, &picks, fill, memory, &mut draft)?;
        let alone: Vec<usize> = (0..plan.len()).filter(|&j| draft.clashing[j]).collect();
        let mut tries = 0;
        'parts: for j in alone {
            let mut kept = picks[j];
            let used = memory.used_bits(plan[j].index() as u16);
            for a in (0..self.len(plan[j]).min(MAX_ALTERNATIVES)).filter(|&a| used & (1 << a) == 0)
            {
                if a == kept {
                    continue;
                }
                if tries == FALLBACK_TRIES {
                    picks[j] = kept;
                    break 'parts;
                }
                tries += 1;
                picks[j] = a;
                let clashes = self.score(plan, &picks, fill, memory, &mut draft)?;
                if clashes < fewest {
                    fewest = clashes;
                    kept = a;
                    said.clone_from(&draft.grams);
                    if !draft.clashing[j] {
                        break;
                    }
                }
            }
            picks[j] = kept;
            if fewest == 0 {
                break;
            }
        }
        Ok((picks, said))
    }

    /// How many phrases of the dialogue the turn of `picks` would say again (and openings it would share), with the
    /// turn's phrases and the parts that repeat one on their own left in `draft`.
    fn score(
        &self,
        plan: &[P],
        picks: &[usize],
        fill: &Fill,
        memory: &Memory,
        draft: &mut Draft,
    ) -> Result<usize> {
        let Draft {
            masked,
            grams,
            spans,
            bounds,
            clashing,
        } = draft;
        masked.clear();
        bounds.clear();
        for j in 0..plan.len() {
            bounds.push(masked.len());
            self.render_into(
                &plan[j..=j],
                &picks[j..=j],
                fill,
                Some(memory),
                &mut |piece| masked.push_str(piece),
            )?;
        }
        bounds.push(masked.len());
        gram_spans_into(masked, spans);
        grams.clear();
        clashing.clear();
        clashing.resize(plan.len(), false);
        let mut clashes = 0;
        for &(g, start, end) in spans.iter() {
            let said = memory.has_gram(g);
            if !grams.contains(&g) {
                grams.push(g);
                clashes += usize::from(said);
            }
            // Each part opens with a space and closes with an end mark, outside any word: a phrase within its text
            // is a phrase of the part read alone.
            let j = bounds.partition_point(|&b| b <= start) - 1;
            if said && end <= bounds[j + 1] {
                clashing[j] = true;
            }
        }
        Ok(clashes + self.same_openings(plan, picks))
    }

    /// Remember the turn of `plan` in alternatives `picks`, which says the phrases `said`: the alternatives are
    /// spent, and so is every alternative holding a phrase the turn says.
    fn remember(&self, plan: &[P], picks: &[usize], said: &[u64], memory: &mut Memory) {
        for (&part, &i) in plan.iter().zip(picks) {
            memory.use_part(part.index() as u16, i as u16);
        }
        // Alternatives that hold a phrase just said are spent too.
        for &g in said {
            let Some(&(from, to)) = self.by_gram.get(&g) else {
                continue;
            };
            for &(p, i) in &self.holders[from as usize..to as usize] {
                memory.use_part(p, i);
            }
        }
        memory.remember(said);
    }

    /// An alternative of `part` not used yet in this dialogue, evenly among those left (any, when all were used).
    fn draw(&self, part: P, memory: &Memory, rng: &mut Rng) -> usize {
        let n = self.len(part);
        let all = if n >= MAX_ALTERNATIVES {
            u128::MAX
        } else {
            (1u128 << n) - 1
        };
        let mut free = !memory.used_bits(part.index() as u16) & all;
        let left = free.count_ones() as usize;
        if left == 0 {
            return rng.below(n);
        }
        // The k-th alternative left, in order: drop the k lowest bits still set.
        for _ in 0..rng.below(left) {
            free &= free - 1;
        }
        free.trailing_zeros() as usize
    }

    /// The text of `picks` (one alternative per part of `plan`) with `fill`'s values.
    fn render(&self, plan: &[P], picks: &[usize], fill: &Fill) -> Result<String> {
        let mut text = Collapsed::with_capacity(160);
        self.render_into(plan, picks, fill, None, &mut |piece| text.push(piece))?;
        Ok(single_stops(text.into_string()))
    }

    /// The text of `picks`, piece by piece, to `out`: with `fill`'s values, or with their masked twins when
    /// `masked` gives the memory to mask them by.
    fn render_into(
        &self,
        plan: &[P],
        picks: &[usize],
        fill: &Fill,
        masked: Option<&Memory>,
        out: &mut impl FnMut(&str),
    ) -> Result<()> {
        for (&part, &i) in plan.iter().zip(picks) {
            let alt = &self.groups[part.index()][i];
            out(" ");
            for piece in &alt.pieces {
                match piece {
                    Piece::Text(t) => out(t),
                    Piece::Var(v) => {
                        let text = match masked {
                            Some(memory) => fill.masked(*v, memory),
                            None => fill.said(*v),
                        };
                        let text = text.ok_or_else(|| {
                            let (table, key) = part.key();
                            Error::Run(format!(
                                "part {table}.{key} was planned without {{{{ {} }}}}",
                                v.name()
                            ))
                        })?;
                        out(text);
                    }
                }
            }
        }
        Ok(())
    }

    /// The largest probability of any one whole line of `plan`, drawn evenly among the alternatives left after
    /// `used` earlier draws of each part in the dialogue: the product over parts of 1 / (alternatives − used).
    pub fn max_line_probability(&self, plan: &[P], used: usize) -> f64 {
        plan.iter()
            .map(|&p| 1.0 / (self.len(p).saturating_sub(used).max(1) as f64))
            .product()
    }
}

/// The heads of restated wishes (`[wish]`: `prefer`, `like`, `need`, each a list of lowercase phrases taking a
/// noun phrase), in the order of [`WISH_FRAMES`].
fn wish_heads(
    file: &DataFile,
    mut table: BTreeMap<String, Vec<String>>,
) -> Result<Vec<(&'static str, Vec<String>)>> {
    let mut out = Vec::new();
    for (key, _) in WISH_FRAMES {
        let heads = table
            .remove(key)
            .filter(|l| !l.is_empty())
            .ok_or_else(|| Error::data(&file.origin, format!("wish.{key} is missing or empty")))?;
        for (i, h) in heads.iter().enumerate() {
            let bad = h.contains(['{', '}', '.', '?', '!'])
                || h.trim() != h
                || !h.starts_with(|c: char| c.is_lowercase());
            if bad {
                return Err(Error::data(
                    at(file, "wish", key),
                    format!(
                        "wish.{key}[{i}]: a head is a lowercase phrase with no slot and no end mark"
                    ),
                ));
            }
        }
        out.push((key, heads));
    }
    if let Some(key) = table.keys().next() {
        return Err(Error::data(
            at(file, "wish", key),
            format!("wish.{key} is not a wish frame (prefer, like, need)"),
        ));
    }
    Ok(out)
}

/// The file's origin with the line of `key` in `[table]`, when it can be found.
fn at(file: &DataFile, table: &str, key: &str) -> String {
    let header = format!("[{table}]");
    let mut in_table = false;
    for (n, line) in file.text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            in_table = line == header;
        } else if in_table
            && line
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        {
            return format!("{}:{}", file.origin, n + 1);
        }
    }
    file.origin.clone()
}

/// One alternative of a part given `vars`, checked against the writing rules.
fn parse(source: &str, vars: &[Var]) -> std::result::Result<Alternative, String> {
    if source.contains("{%") || source.contains("{#") {
        return Err(
            "parts hold no control flow ({% %}, {# #}): the plan decides what is said".into(),
        );
    }
    let mut pieces = Vec::new();
    let mut rest = source;
    while let Some(open) = rest.find("{{") {
        let text = &rest[..open];
        let close = rest[open..]
            .find("}}")
            .ok_or_else(|| "a `{{` is never closed".to_string())?;
        let name = rest[open + 2..open + close].trim();
        let var = Var::ALL
            .into_iter()
            .find(|v| v.name() == name)
            .ok_or_else(|| format!("unknown variable {{{{ {name} }}}}"))?;
        if !vars.contains(&var) {
            let allowed: Vec<&str> = vars.iter().map(|v| v.name()).collect();
            return Err(format!(
                "{{{{ {name} }}}} is not given to this part (it has: {})",
                if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                }
            ));
        }
        let before = text.trim_end();
        let so_far = pieces.iter().any(|p| matches!(p, Piece::Var(_))) || !before.is_empty();
        if !var.capitalised() && (!so_far || before.ends_with(['.', '!', '?'])) {
            return Err(format!(
                "a sentence opens with the lowercase {{{{ {name} }}}}"
            ));
        }
        let last_word = before
            .rsplit(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("");
        if matches!(last_word, "a" | "an" | "A" | "An") {
            return Err(format!("an article stands before {{{{ {name} }}}}"));
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text.to_string()));
        }
        pieces.push(Piece::Var(var));
        rest = &rest[open + close + 2..];
    }
    if rest.contains("}}") {
        return Err("a `}}` was never opened".into());
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_string()));
    }
    let first = source.trim_start().chars().next();
    if first.is_some_and(|c| c.is_lowercase()) {
        return Err("a part is a sentence and opens with a capital".into());
    }
    let opening = match pieces.first() {
        Some(Piece::Text(t)) => {
            let word: String = t
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '\'')
                .flat_map(char::to_lowercase)
                .collect();
            xxhash_rust::xxh3::xxh3_64(word.as_bytes())
        }
        _ => 0,
    };
    let last = source.trim_end().chars().last();
    if !last.is_some_and(|c| matches!(c, '.' | '!' | '?')) {
        return Err("a part is a sentence and ends with . ! or ?".into());
    }
    Ok(Alternative { pieces, opening })
}

pub mod shapes;
pub mod user;

#[cfg(test)]
mod tests;
