//! The response cache (SQLite): every successful answer stored under a hash of the full request, so a repeated or
//! resumed run pays nothing twice. Keys never include the API key.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use crate::llm::{ChatRequest, ChatResponse};
use crate::{Error, Result};

/// A cache file.
pub struct Cache {
    conn: Mutex<Connection>,
    path: PathBuf,
}

/// The cache key of a request made for `conversation` and `role`: a 128-bit hash of the request's JSON and the
/// call's place. The same prompt in two conversations is two samples (at temperature > 0 they should differ);
/// the same call of the same conversation, rerun, is one.
pub fn key(request: &ChatRequest, conversation: &str, role: &str) -> String {
    let text = serde_json::to_string(request).unwrap_or_default();
    let mut bytes = Vec::with_capacity(text.len() + conversation.len() + role.len() + 2);
    bytes.extend_from_slice(conversation.as_bytes());
    bytes.push(0x1f);
    bytes.extend_from_slice(role.as_bytes());
    bytes.push(0x1f);
    bytes.extend_from_slice(text.as_bytes());
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes))
}

impl Cache {
    /// Open (or create) the cache at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
        }
        let conn = Connection::open(path).map_err(|e| Error::index(path, e))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS responses(key TEXT PRIMARY KEY, response TEXT NOT NULL);",
        )
        .map_err(|e| Error::index(path, e))?;
        Ok(Cache {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stored answer for `key`.
    pub fn get(&self, key: &str) -> Result<Option<ChatResponse>> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT response FROM responses WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| Error::index(&self.path, e))?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Store an answer (durably: the row is committed before the call returns).
    pub fn put(&self, key: &str, response: &ChatResponse) -> Result<()> {
        let text = serde_json::to_string(response).map_err(|e| Error::Run(e.to_string()))?;
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO responses(key, response) VALUES (?1, ?2)",
                params![key, text],
            )
            .map_err(|e| Error::index(&self.path, e))?;
        Ok(())
    }

    /// Stored answers.
    pub fn len(&self) -> Result<usize> {
        self.conn()
            .query_row("SELECT count(*) FROM responses", [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(|e| Error::index(&self.path, e))
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }
}
