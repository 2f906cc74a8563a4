//! Groups of MiniJinja templates loaded from data files (title and description banks, narrative sentence banks), rendered by index.

use std::collections::HashMap;

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::{Error, Result};

/// Named groups of alternative templates; a caller picks one by index and renders it.
pub struct TemplateBank {
    env: Environment<'static>,
    sizes: HashMap<String, usize>,
}

impl TemplateBank {
    /// An empty bank. `strict` makes an undefined variable an error instead of an empty string.
    pub fn new(strict: bool) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(if strict {
            UndefinedBehavior::Strict
        } else {
            UndefinedBehavior::Lenient
        });
        TemplateBank {
            env,
            sizes: HashMap::new(),
        }
    }

    /// Compile `sources` as group `group`; `origin` names the data file in errors.
    pub fn add_group(&mut self, group: &str, sources: &[String], origin: &str) -> Result<()> {
        for (i, source) in sources.iter().enumerate() {
            self.env
                .add_template_owned(format!("{group}#{i}"), source.clone())
                .map_err(|e| Error::data(origin, format!("{group}[{i}]: {e}")))?;
        }
        self.sizes.insert(group.to_string(), sources.len());
        Ok(())
    }

    /// A lenient bank of one template per group, from `(group, source)` pairs of the data file `origin`.
    pub fn single(groups: &[(&str, &String)], origin: &str) -> Result<Self> {
        let mut bank = TemplateBank::new(false);
        for (group, source) in groups {
            bank.add_group(group, std::slice::from_ref(*source), origin)?;
        }
        Ok(bank)
    }

    /// How many templates group `group` holds.
    pub fn len(&self, group: &str) -> usize {
        self.sizes.get(group).copied().unwrap_or(0)
    }

    /// Whether the bank has no groups.
    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// Render template `index` of `group` with `ctx`, collapsing runs of whitespace.
    pub fn render(&self, group: &str, index: usize, ctx: &Value) -> Result<String> {
        Ok(collapse_whitespace(&self.render_raw(group, index, ctx)?))
    }

    /// Render a prompt: whitespace collapsed within each line, line breaks kept (lists stay lists), runs of blank
    /// lines made one.
    pub fn render_prompt(&self, group: &str, ctx: &Value) -> Result<String> {
        let text = self.render_raw(group, 0, ctx)?;
        let mut out: Vec<String> = Vec::new();
        for line in text.lines().map(collapse_whitespace) {
            if line.is_empty() && out.last().is_none_or(String::is_empty) {
                continue;
            }
            out.push(line);
        }
        while out.last().is_some_and(String::is_empty) {
            out.pop();
        }
        Ok(out.join("\n"))
    }

    fn render_raw(&self, group: &str, index: usize, ctx: &Value) -> Result<String> {
        let name = format!("{group}#{index}");
        let template = self
            .env
            .get_template(&name)
            .map_err(|e| Error::Run(format!("template {name}: {e}")))?;
        template
            .render(ctx)
            .map_err(|e| Error::Run(format!("template {name}: {e}")))
    }
}

/// Collapse runs of whitespace to one space, drop spaces before punctuation, and trim.
pub fn collapse_whitespace(text: &str) -> String {
    if text.is_ascii() {
        collapse_ascii(text)
    } else {
        collapse_words(text)
    }
}

/// [`collapse_whitespace`] of any text, by its words.
fn collapse_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let glue = word.starts_with([',', '.', '!', '?', ';', ':', ')']);
        if !out.is_empty() && !glue {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// [`collapse_whitespace`] of an ASCII text, read by bytes (the same words: ASCII whitespace is tab to carriage
/// return and the space, as for `char::is_whitespace`).
fn collapse_ascii(text: &str) -> String {
    let bytes = text.as_bytes();
    let space = |b: u8| matches!(b, b'\t'..=b'\r' | b' ');
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if space(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !space(bytes[i]) {
            i += 1;
        }
        let glue = matches!(bytes[start], b',' | b'.' | b'!' | b'?' | b';' | b':' | b')');
        if !out.is_empty() && !glue {
            out.push(' ');
        }
        out.push_str(&text[start..i]);
    }
    out
}

/// [`collapse_whitespace`] written as the text is built, piece by piece, into one string: the same text as
/// collapsing the pieces joined, without building them joined first.
#[derive(Debug)]
pub struct Collapsed {
    out: String,
    /// Whether whitespace was read since the last character kept (a word starts at the next one).
    space: bool,
}

/// Whether `c` is punctuation glued to the word before it (no space before it).
fn glued(c: char) -> bool {
    matches!(c, ',' | '.' | '!' | '?' | ';' | ':' | ')')
}

impl Collapsed {
    /// An empty text with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Collapsed {
            out: String::with_capacity(capacity),
            space: true,
        }
    }

    /// Append `piece`.
    pub fn push(&mut self, piece: &str) {
        if piece.is_ascii() {
            let bytes = piece.as_bytes();
            let space = |b: u8| matches!(b, b'\t'..=b'\r' | b' ');
            let mut i = 0;
            while i < bytes.len() {
                if space(bytes[i]) {
                    self.space = true;
                    i += 1;
                    continue;
                }
                self.word_start(char::from(bytes[i]));
                // Copy a run of words at once: through each single space that a word other than glued
                // punctuation follows, which collapsing keeps as it is.
                let start = i;
                loop {
                    while i < bytes.len() && !space(bytes[i]) {
                        i += 1;
                    }
                    match bytes.get(i + 1) {
                        Some(&next)
                            if bytes[i] == b' ' && !space(next) && !glued(char::from(next)) =>
                        {
                            i += 1
                        }
                        _ => break,
                    }
                }
                self.out.push_str(&piece[start..i]);
            }
        } else {
            for c in piece.chars() {
                if c.is_whitespace() {
                    self.space = true;
                } else {
                    self.word_start(c);
                    self.out.push(c);
                }
            }
        }
    }

    /// Before character `c`: a space when it opens a word that is not punctuation glued to the last.
    fn word_start(&mut self, c: char) {
        if self.space {
            if !self.out.is_empty() && !glued(c) {
                self.out.push(' ');
            }
            self.space = false;
        }
    }

    /// The text.
    pub fn into_string(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapsed_piece_by_piece_is_collapsed_whole() {
        let cases: [&[&str]; 5] = [
            &[" Oh ,", " the  black", "\tpair . ", "Nice!"],
            &["", "  ", "a", "b ", ", c"],
            &[" Café  ", "crème", " ,brûlée\u{a0}\u{a0}ok", " )"],
            &["x", ")", " (", "y"],
            &["   ", " . "],
        ];
        for pieces in cases {
            let mut c = Collapsed::with_capacity(8);
            for p in pieces {
                c.push(p);
            }
            assert_eq!(
                c.into_string(),
                collapse_whitespace(&pieces.concat()),
                "{pieces:?}"
            );
        }
    }

    #[test]
    fn collapsed_runs_are_collapsed_whole() {
        // Pieces of every short mix of words, single and double spaces, tabs and glued punctuation.
        let atoms = [
            "a",
            "bc",
            " ",
            "  ",
            "\t",
            ",",
            ".",
            ")",
            "(",
            "é",
            "x y",
            " ,",
            "abcdefghij",
        ];
        let mut state: u64 = 7;
        for _ in 0..5_000 {
            let mut pieces = Vec::new();
            for _ in 0..3 {
                let mut piece = String::new();
                for _ in 0..4 {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    piece.push_str(atoms[(state >> 33) as usize % atoms.len()]);
                }
                pieces.push(piece);
            }
            let mut c = Collapsed::with_capacity(8);
            for p in &pieces {
                c.push(p);
            }
            assert_eq!(
                c.into_string(),
                collapse_whitespace(&pieces.concat()),
                "{pieces:?}"
            );
        }
    }

    #[test]
    fn renders_and_collapses() {
        let mut bank = TemplateBank::new(false);
        bank.add_group("t", &["{{ a }}  {{ missing }} , {{ b }}".into()], "test")
            .unwrap();
        let ctx = minijinja::context! { a => "x", b => "y" };
        assert_eq!(bank.render("t", 0, &ctx).unwrap(), "x, y");
        assert_eq!(bank.len("t"), 1);
    }

    #[test]
    fn ascii_texts_collapse_by_bytes_as_by_words() {
        for text in [
            "  a\t b\n\n c , d .e\x0b f\x0c g\r h ) i  ",
            "Hi!  ;x :y  ?z\x1c w",
            "",
            " \t ",
            ". leading glue",
        ] {
            assert_eq!(collapse_ascii(text), collapse_words(text), "{text:?}");
        }
        assert_eq!(
            collapse_whitespace(" a\t b\n\n c , d .e\x0b f\x0c g\r h ) i "),
            "a b c, d.e f g h) i"
        );
        assert_eq!(collapse_whitespace("\u{a0}a  b ,\u{2003}c"), "a b, c");
    }

    #[test]
    fn prompts_keep_their_lines() {
        let mut bank = TemplateBank::new(false);
        let source =
            "Items:\n{% for i in items %}{{ loop.index }}.  {{ i }}\n{% endfor %}\n\n\nPick one.\n"
                .to_string();
        bank.add_group("p", &[source], "test").unwrap();
        let ctx = minijinja::context! { items => vec!["a", "b"] };
        assert_eq!(
            bank.render_prompt("p", &ctx).unwrap(),
            "Items:\n1. a\n2. b\n\nPick one."
        );
    }

    #[test]
    fn strict_bank_reports_undefined_and_syntax_errors() {
        let mut bank = TemplateBank::new(true);
        bank.add_group("t", &["{{ nope }}".into()], "test").unwrap();
        assert!(bank.render("t", 0, &minijinja::context! {}).is_err());
        let err = bank.add_group("u", &["{% if %}".into()], "file.toml");
        assert!(err.unwrap_err().to_string().contains("file.toml"));
    }
}
