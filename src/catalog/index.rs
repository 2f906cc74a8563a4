//! The catalog index: items in SQLite (bundled) with an FTS5 table for BM25 search, built in a temporary file and renamed into place whole.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use super::lexicon::{self, Lexicon, LexiconBuilder};
use crate::io::temp_path;
use crate::model::Item;
use crate::{Error, Result};

const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE items(
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    category_path TEXT NOT NULL,
    price REAL,
    rating REAL,
    json TEXT NOT NULL
);
CREATE VIRTUAL TABLE items_fts USING fts5(title, categories, body, tokenize = 'porter unicode61');
";

/// Builds a catalog index in a temporary file; `commit` renames it over the target, dropping it leaves nothing.
pub struct IndexWriter {
    conn: Option<Connection>,
    target: PathBuf,
    temp: PathBuf,
    count: usize,
}

impl IndexWriter {
    /// Start a new, empty index for `target`.
    pub fn create(target: &Path) -> Result<Self> {
        Self::start(target, false)
    }

    /// Start from a copy of the existing index at `target` (or an empty one if there is none), to add items.
    pub fn append(target: &Path) -> Result<Self> {
        Self::start(target, target.exists())
    }

    fn start(target: &Path, copy_existing: bool) -> Result<Self> {
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
        }
        let temp = temp_path(target);
        let _ = std::fs::remove_file(&temp);
        if copy_existing {
            Index::open(target)?;
            std::fs::copy(target, &temp).map_err(|e| Error::write(&temp, e))?;
        }
        let conn = Connection::open(&temp).map_err(|e| Error::index(&temp, e))?;
        let idx = |e| Error::index(&temp, e);
        conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
            .map_err(idx)?;
        if !copy_existing {
            conn.execute_batch(SCHEMA).map_err(idx)?;
        }
        conn.execute_batch("BEGIN").map_err(idx)?;
        let count = conn
            .query_row("SELECT count(*) FROM items", [], |r| r.get::<_, i64>(0))
            .map_err(idx)? as usize;
        Ok(IndexWriter {
            conn: Some(conn),
            target: target.to_path_buf(),
            temp,
            count,
        })
    }

    fn conn(&self) -> Result<&Connection> {
        self.conn
            .as_ref()
            .ok_or_else(|| Error::Run("index writer already closed".into()))
    }

    /// Whether an item with `id` is already in the index being built.
    pub fn contains(&self, id: &str) -> Result<bool> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached("SELECT 1 FROM items WHERE id = ?1")
            .map_err(|e| Error::index(&self.temp, e))?;
        stmt.exists([id]).map_err(|e| Error::index(&self.temp, e))
    }

    /// Add one item (ids must be new).
    pub fn add(&mut self, item: &Item) -> Result<()> {
        let temp = self.temp.clone();
        let idx = |e| Error::index(&temp, e);
        let json = serde_json::to_string(item).map_err(|e| Error::Run(e.to_string()))?;
        let conn = self
            .conn
            .as_ref()
            .ok_or_else(|| Error::Run("index writer already closed".into()))?;
        let mut ins = conn
            .prepare_cached(
                "INSERT INTO items(id, title, category_path, price, rating, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(idx)?;
        ins.execute(params![
            item.id,
            item.title,
            path_key(&item.categories),
            item.price,
            item.rating,
            json
        ])
        .map_err(idx)?;
        let rowid = conn.last_insert_rowid();
        let mut fts = conn
            .prepare_cached(
                "INSERT INTO items_fts(rowid, title, categories, body) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(idx)?;
        fts.execute(params![
            rowid,
            item.title,
            item.categories.join(" "),
            search_body(item)
        ])
        .map_err(idx)?;
        self.count += 1;
        Ok(())
    }

    /// Items in the index so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Record a metadata entry (source, seed …).
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        let conn = self.conn()?;
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
            params![key, value],
        )
        .map_err(|e| Error::index(&self.temp, e))?;
        Ok(())
    }

    /// Finish: build and store the lexicon (from every item, so an appended index gets one for the whole
    /// catalog), commit, optimise the full-text index, and rename into place.
    pub fn commit(mut self) -> Result<()> {
        let temp = self.temp.clone();
        let idx = |e| Error::index(&temp, e);
        let lexicon = {
            let conn = self.conn()?;
            let mut builder = LexiconBuilder::new()?;
            let mut stmt = conn
                .prepare("SELECT json FROM items ORDER BY rowid")
                .map_err(idx)?;
            let mut rows = stmt.query([]).map_err(idx)?;
            while let Some(row) = rows.next().map_err(idx)? {
                let json: String = row.get(0).map_err(idx)?;
                builder.add(&decode(&temp, &json)?);
            }
            builder.finish()
        };
        self.set_meta(lexicon::META_KEY, &lexicon.to_json()?)?;
        if let Some(conn) = self.conn.take() {
            conn.execute_batch(
                "COMMIT; CREATE INDEX IF NOT EXISTS items_price ON items(price);
                 CREATE INDEX IF NOT EXISTS items_rating ON items(rating DESC, id);
                 INSERT INTO items_fts(items_fts) VALUES('optimize');",
            )
            .map_err(idx)?;
            conn.close().map_err(|(_, e)| idx(e))?;
        }
        std::fs::rename(&self.temp, &self.target).map_err(|e| Error::write(&self.target, e))
    }
}

impl Drop for IndexWriter {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            drop(conn);
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Category path as stored for element matching: `|A|B|C|`.
pub fn path_key(categories: &[String]) -> String {
    let mut key = String::from("|");
    for c in categories {
        key.push_str(&c.replace('|', "/"));
        key.push('|');
    }
    key
}

fn search_body(item: &Item) -> String {
    let mut body = item.description.join(" ");
    for f in &item.features {
        body.push(' ');
        body.push_str(f);
    }
    for v in item.details.values() {
        body.push(' ');
        body.push_str(v);
    }
    if let Some(d) = &item.new_description {
        body.push(' ');
        body.push_str(d);
    }
    body
}

/// A read-only open catalog index.
pub struct Index {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

impl Index {
    /// Open the index at `path`; a missing or foreign file is an input error.
    pub fn open(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::input(
                path,
                None,
                None,
                "no catalog index here; build one with `musegen catalog sample` or `musegen catalog import --from FILE`",
            ));
        }
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| Error::index(path, e))?;
        let ok: Option<i64> = conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'items_fts'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|_| Error::input(path, None, None, "not a musegen catalog index"))?;
        if ok.is_none() {
            return Err(Error::input(
                path,
                None,
                None,
                "not a musegen catalog index",
            ));
        }
        Ok(Index {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> Error {
        Error::index(&self.path, e)
    }

    /// Number of items.
    pub fn len(&self) -> Result<usize> {
        self.conn
            .query_row("SELECT count(*) FROM items", [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(|e| self.err(e))
    }

    /// Whether the index holds no item.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The item with `id`, if present.
    pub fn get(&self, id: &str) -> Result<Option<Item>> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT json FROM items WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        json.map(|j| decode(&self.path, &j)).transpose()
    }

    /// Visit every item in insertion order, streaming.
    pub fn for_each(&self, mut f: impl FnMut(Item) -> Result<()>) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT json FROM items ORDER BY rowid")
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let json: String = row.get(0).map_err(|e| self.err(e))?;
            f(decode(&self.path, &json)?)?;
        }
        Ok(())
    }

    /// The lexicon stored when the index was built; an index built before lexicons were stored gets one built
    /// from its items now (not written back: the index is opened read-only).
    pub fn lexicon(&self) -> Result<Lexicon> {
        if let Some(json) = self.meta(lexicon::META_KEY)? {
            return Lexicon::from_json(&json);
        }
        let mut builder = LexiconBuilder::new()?;
        self.for_each(|item| {
            builder.add(&item);
            Ok(())
        })?;
        Ok(builder.finish())
    }

    /// A metadata value recorded when the index was built.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }
}

pub(crate) fn decode(path: &Path, json: &str) -> Result<Item> {
    serde_json::from_str(json).map_err(|e| {
        Error::input(
            path,
            None,
            Some("json"),
            format!("corrupt item record: {e}"),
        )
    })
}
