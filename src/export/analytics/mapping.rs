//! Column mappings (`musegen export tables --mapping FILE`): a TOML file that reshapes `chats.csv` and
//! `messages.csv` into a fixed external schema. Each `[[chats]]` or `[[messages]]` entry is one output column, in
//! order: `name`, and exactly one of `from = "COLUMN"` (a source column, renamed), `default = "CONSTANT"` (a column
//! we do not have) or `expr = "EXPRESSION"` (MiniJinja, over the row's source columns: `weekday >= 6`,
//! `text | split | length`). A table without entries keeps its own columns. Every name is checked before anything
//! is written: an unknown column is an error naming the file, line, entry and field, with a did-you-mean.

use std::path::{Path, PathBuf};

use minijinja::{Environment, Expression};
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use super::expr::{self, environment};
use crate::error::line_of;
use crate::{Error, Result};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    #[serde(default)]
    chats: Vec<RawEntry>,
    #[serde(default)]
    messages: Vec<RawEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    name: Spanned<String>,
    #[serde(default)]
    from: Option<Spanned<String>>,
    #[serde(default)]
    default: Option<Spanned<toml::Value>>,
    #[serde(default)]
    expr: Option<Spanned<String>>,
}

/// Where an output column's values come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A source column, by index.
    Column(usize),
    /// The same text on every row.
    Constant(String),
    /// A MiniJinja expression over the source columns.
    Expr(String),
}

/// One output column.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Output column name.
    pub name: String,
    /// Where its values come from.
    pub source: Source,
    /// The entry's line in the mapping file.
    pub line: usize,
    /// Which field gave the source (`from`, `default`, `expr`).
    pub field: &'static str,
}

/// A checked mapping for both tables; `None` keeps a table's own columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// The mapping file.
    pub path: PathBuf,
    /// Output columns of `chats.csv`.
    pub chats: Option<Vec<Entry>>,
    /// Output columns of `messages.csv`.
    pub messages: Option<Vec<Entry>>,
}

impl Mapping {
    /// Read and check `path` against the source columns of each table.
    pub fn load(path: &Path, chat_columns: &[&str], message_columns: &[&str]) -> Result<Mapping> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
        let raw: RawMapping = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| line_of(&text, s.start));
            Error::input(path, line, None, e.message().trim().to_string())
        })?;
        let env = environment();
        let check = |entries: Vec<RawEntry>, table: &str, columns: &[&str]| {
            if entries.is_empty() {
                return Ok(None);
            }
            let mut seen = std::collections::HashSet::new();
            entries
                .into_iter()
                .enumerate()
                .map(|(i, e)| {
                    let entry = check_entry(path, &text, &env, e, (table, i + 1), columns)?;
                    if !seen.insert(entry.name.clone()) {
                        return Err(Error::input(
                            path,
                            Some(entry.line),
                            Some("name"),
                            format!(
                                "{table} entry {}: column `{}` is named twice",
                                i + 1,
                                entry.name
                            ),
                        ));
                    }
                    Ok(entry)
                })
                .collect::<Result<Vec<_>>>()
                .map(Some)
        };
        Ok(Mapping {
            chats: check(raw.chats, "chats", chat_columns)?,
            messages: check(raw.messages, "messages", message_columns)?,
            path: path.to_path_buf(),
        })
    }
}

fn unknown_column(word: &str, table: &str, columns: &[&str]) -> String {
    let hint = crate::config::suggest(word, columns)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_else(|| format!("; the {table} columns are {}", columns.join(", ")));
    format!("no source column `{word}` in the {table} table{hint}")
}

fn check_entry(
    path: &Path,
    text: &str,
    env: &Environment<'static>,
    e: RawEntry,
    (table, n): (&str, usize),
    columns: &[&str],
) -> Result<Entry> {
    let line_at = |span: std::ops::Range<usize>| line_of(text, span.start);
    let name = e.name.get_ref().trim().to_string();
    let name_line = line_at(e.name.span());
    let err = |line: usize, field: &str, why: String| {
        Error::input(
            path,
            Some(line),
            Some(field),
            format!("{table} entry {n} (`{name}`): {why}"),
        )
    };
    if name.is_empty() {
        return Err(err(name_line, "name", "the column name is empty".into()));
    }
    let given = [e.from.is_some(), e.default.is_some(), e.expr.is_some()];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(err(
            name_line,
            "name",
            "give exactly one of `from`, `default` or `expr`".into(),
        ));
    }
    if let Some(from) = e.from {
        let line = line_at(from.span());
        let col = from.get_ref().trim();
        let index = columns
            .iter()
            .position(|c| *c == col)
            .ok_or_else(|| err(line, "from", unknown_column(col, table, columns)))?;
        return Ok(Entry {
            name,
            source: Source::Column(index),
            line,
            field: "from",
        });
    }
    if let Some(default) = e.default {
        let line = line_at(default.span());
        let constant = match default.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            _ => {
                return Err(err(
                    line,
                    "default",
                    "a constant is a string, number or boolean".into(),
                ));
            }
        };
        return Ok(Entry {
            name,
            source: Source::Constant(constant),
            line,
            field: "default",
        });
    }
    let Some(expr) = e.expr else {
        return Err(err(name_line, "name", "no source".into()));
    };
    let line = line_at(expr.span());
    let source = expr.get_ref().trim().to_string();
    let compiled = env
        .compile_expression(&source)
        .map_err(|e| err(line, "expr", format!("`{source}` does not compile: {e}")))?;
    let globals: Vec<&str> = env.globals().map(|(k, _)| k).collect();
    let mut used: Vec<String> = compiled.undeclared_variables(false).into_iter().collect();
    used.extend(expr::names_read(&source));
    used.sort();
    used.dedup();
    if let Some(unknown) = used
        .iter()
        .find(|v| !columns.contains(&v.as_str()) && !globals.contains(&v.as_str()))
    {
        return Err(err(line, "expr", unknown_column(unknown, table, columns)));
    }
    Ok(Entry {
        name,
        source: Source::Expr(source),
        line,
        field: "expr",
    })
}

/// A table's mapping compiled against one environment, ready to turn source rows into output rows.
pub struct Compiled<'env> {
    path: PathBuf,
    table: &'static str,
    entries: &'env [Entry],
    columns: Vec<&'static str>,
    exprs: Vec<Option<Expression<'env, 'env>>>,
}

impl<'env> Compiled<'env> {
    /// Compile `entries` (of `table`, whose source columns are `columns`) in `env`.
    pub fn new(
        env: &'env Environment<'static>,
        mapping: &'env Mapping,
        entries: &'env [Entry],
        table: &'static str,
        columns: Vec<&'static str>,
    ) -> Result<Self> {
        let exprs = entries
            .iter()
            .map(|e| match &e.source {
                Source::Expr(text) => env.compile_expression(text).map(Some).map_err(|x| {
                    Error::input(&mapping.path, Some(e.line), Some("expr"), x.to_string())
                }),
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Compiled {
            path: mapping.path.clone(),
            table,
            entries,
            columns,
            exprs,
        })
    }

    /// The output header.
    pub fn header(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.name.as_str()).collect()
    }

    /// The output cells of source `row` (of conversation `id`, named in evaluation errors).
    pub fn render(&self, row: &[Value], id: &str) -> Result<Vec<String>> {
        self.entries
            .iter()
            .zip(&self.exprs)
            .map(|(e, compiled)| match (&e.source, compiled) {
                (Source::Column(i), _) => {
                    Ok(row.get(*i).map(super::rows::cell).unwrap_or_default())
                }
                (Source::Constant(c), _) => Ok(c.clone()),
                (Source::Expr(_), Some(expr)) => {
                    let ctx: serde_json::Map<String, Value> = self
                        .columns
                        .iter()
                        .zip(row)
                        .map(|(name, v)| (name.to_string(), v.clone()))
                        .collect();
                    expr.eval(minijinja::Value::from(minijinja::value::Serde(&ctx)))
                        .map(|v| expr::cell(&v))
                        .map_err(|x| {
                            Error::input(
                                &self.path,
                                Some(e.line),
                                Some("expr"),
                                format!(
                                    "{} column `{}` on conversation {id}: {x}",
                                    self.table, e.name
                                ),
                            )
                        })
                }
                (Source::Expr(_), None) => Ok(String::new()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[&str] = &["conversation_id", "turns", "started_at", "weekday"];

    fn load(text: &str) -> Result<Mapping> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.toml");
        std::fs::write(&p, text).unwrap();
        Mapping::load(&p, COLS, COLS)
    }

    #[test]
    fn entries_rename_fill_and_derive() {
        let m = load(
            "[[chats]]\nname = \"id\"\nfrom = \"conversation_id\"\n\n[[chats]]\nname = \"src\"\ndefault = \"web\"\n\n[[chats]]\nname = \"weekend\"\nexpr = \"weekday >= 6\"\n\n[[chats]]\nname = \"n\"\ndefault = 3\n",
        )
        .unwrap();
        assert!(m.messages.is_none());
        let chats = m.chats.as_ref().unwrap();
        let env = environment();
        let c = Compiled::new(&env, &m, chats, "chats", COLS.to_vec()).unwrap();
        assert_eq!(c.header(), ["id", "src", "weekend", "n"]);
        let row = vec![
            serde_json::json!("c1"),
            serde_json::json!(5),
            serde_json::json!("x"),
            serde_json::json!(7),
        ];
        assert_eq!(c.render(&row, "c1").unwrap(), ["c1", "web", "true", "3"]);
    }

    #[test]
    fn unknown_columns_and_bad_entries_name_line_and_field() {
        let err = load("[[chats]]\nname = \"id\"\nfrom = \"conversation_ld\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("m.toml:3: field `from`"), "{err}");
        assert!(err.contains("chats entry 1 (`id`)"), "{err}");
        assert!(err.contains("did you mean `conversation_id`"), "{err}");
        let err = load("[[messages]]\nname = \"x\"\nexpr = \"turnz + 1\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("m.toml:3: field `expr`"), "{err}");
        assert!(err.contains("`turnz`"), "{err}");
        let err = load("[[chats]]\nname = \"x\"\nfrom = \"turns\"\ndefault = \"1\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("exactly one"), "{err}");
        let err = load("[[chats]]\nname = \"x\"\nform = \"turns\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("m.toml:3"), "{err}");
        assert!(load("[[chats]]\nname = \"x\"\nexpr = \"turns +\"\n").is_err());
        let err = load("[[chats]]\nname = \"x\"\nfrom = \"turns\"\n[[chats]]\nname = \"x\"\nfrom = \"turns\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("named twice"), "{err}");
    }
}
