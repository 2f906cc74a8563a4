//! Analytics exports on a quickstart run: the turn log, the flat tables (and a 47-column mapping), the star and
//! snowflake schemas (foreign keys resolve, keys are stable, the DDL loads into SQLite with the data), StoryBot's
//! round trip through the importer, and the synthetic clock. The helpers here are shared by the three files.

mod schema;
mod storybot;
mod tables;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::{jsonl, ok, repo};

/// One quickstart run (200 conversations, reviewed), made once for every test of this file.
pub fn run() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("analytics-quickstart");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = repo("examples/quickstart.toml");
        ok(
            &dir,
            &["run", "--config", config.to_str().unwrap(), "--out", "run"],
        );
        dir.join("run")
    })
}

/// `musegen export ARGS --in RUN --out OUT --json`, parsed.
pub fn export(out: &Path, args: &[&str]) -> Value {
    let input = run().to_str().unwrap().to_string();
    let o = out.to_str().unwrap().to_string();
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--in", &input, "--out", &o, "--json"]);
    serde_json::from_str(&ok(out, &all).stdout).unwrap()
}

/// Header and rows of a CSV file, parsed by the csv crate.
pub fn csv_file(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

pub fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

pub fn conversations() -> Vec<Value> {
    jsonl(&run().join("kept.jsonl"))
}

/// The shoppers of the kept conversations (one user row each in the warehouse exports).
pub fn kept_users() -> usize {
    conversations()
        .iter()
        .map(|c| c["profile_id"].as_str().unwrap().to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

pub fn total_turns() -> usize {
    conversations()
        .iter()
        .map(|c| c["turns"].as_array().unwrap().len())
        .sum()
}

/// Every file under `dir`, by relative path, with its bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for family in ["analytics", "star", "snowflake", "storybot"] {
        for e in std::fs::read_dir(dir.join(family)).unwrap() {
            let p = e.unwrap().path();
            out.insert(
                format!("{family}/{}", p.file_name().unwrap().to_string_lossy()),
                std::fs::read(&p).unwrap(),
            );
        }
    }
    out
}

/// Milliseconds since 1970 of an RFC 3339 `…Z` time with milliseconds (for years after 1970).
pub fn millis(ts: &str) -> i64 {
    assert_eq!(ts.len(), 24, "{ts}");
    assert!(ts.ends_with('Z') && &ts[10..11] == "T", "{ts}");
    let n = |a: usize, b: usize| ts[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let days = days_from_civil(y, m, d);
    days * 86_400_000 + n(11, 13) * 3_600_000 + n(14, 16) * 60_000 + n(17, 19) * 1000 + n(20, 23)
}

/// Days since 1970-01-01 of a date, counted day by day (slow and obviously right).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = |y: i64, m: i64| match m {
        2 if leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let mut days = 0;
    for year in 1970..y {
        days += if leap(year) { 366 } else { 365 };
    }
    for month in 1..m {
        days += month_days(y, month);
    }
    days + d - 1
}

/// ISO weekday (Monday 1) of a day count: 1970-01-01 was a Thursday.
pub fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7) + 1
}

/// Foreign keys of a `schema.sql`: (table, column, referenced table, referenced column), and the tables in
/// creation order.
/// A foreign key: (table, column, referenced table, referenced column).
pub type ForeignKey = (String, String, String, String);

pub fn foreign_keys(schema: &str) -> (Vec<String>, Vec<ForeignKey>) {
    let mut tables = Vec::new();
    let mut keys = Vec::new();
    for line in schema.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
            tables.push(rest.trim_end_matches(" (").to_string());
        } else if let Some(rest) = line.strip_prefix("FOREIGN KEY (") {
            let (col, rest) = rest.split_once(") REFERENCES ").unwrap();
            let (table, rest) = rest.split_once(" (").unwrap();
            let target = rest.trim_end_matches([',', ')']);
            keys.push((
                tables.last().unwrap().clone(),
                col.to_string(),
                table.to_string(),
                target.to_string(),
            ));
        }
    }
    (tables, keys)
}

pub fn check_foreign_keys(folder: &Path) -> usize {
    let schema = std::fs::read_to_string(folder.join("schema.sql")).unwrap();
    let (tables, keys) = foreign_keys(&schema);
    let data: HashMap<String, (Vec<String>, Vec<Vec<String>>)> = tables
        .iter()
        .map(|t| (t.clone(), csv_file(&folder.join(format!("{t}.csv")))))
        .collect();
    let mut checked = 0;
    for (table, col, target, target_col) in &keys {
        let (h, rows) = &data[table];
        let (th, trows) = &data[target];
        let i = column(h, col);
        let ti = column(th, target_col);
        let known: BTreeSet<&str> = trows.iter().map(|r| r[ti].as_str()).collect();
        for r in rows {
            if !r[i].is_empty() {
                assert!(
                    known.contains(r[i].as_str()),
                    "{table}.{col} = {} not in {target}",
                    r[i]
                );
                checked += 1;
            }
        }
    }
    // Primary keys are unique.
    for t in &tables {
        let (_, rows) = &data[t];
        let keys: BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(keys.len(), rows.len(), "{t} keys repeat");
    }
    checked
}

/// Load `folder`'s schema.sql and CSV files into SQLite with foreign keys enforced.
pub fn load_sqlite(folder: &Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let schema = std::fs::read_to_string(folder.join("schema.sql")).unwrap();
    db.execute_batch(&schema).unwrap();
    db.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
    let (tables, _) = foreign_keys(&schema);
    for t in tables {
        let (header, rows) = csv_file(&folder.join(format!("{t}.csv")));
        let marks = vec!["?"; header.len()].join(", ");
        let sql = format!("INSERT INTO {t} ({}) VALUES ({marks})", header.join(", "));
        let tx = db.unchecked_transaction().unwrap();
        {
            let mut stmt = tx.prepare(&sql).unwrap();
            for r in rows {
                let values: Vec<Option<String>> = r
                    .into_iter()
                    .map(|c| Some(c).filter(|c| !c.is_empty()))
                    .collect();
                stmt.execute(rusqlite::params_from_iter(values))
                    .unwrap_or_else(|e| panic!("{t}: {e}"));
            }
        }
        tx.commit().unwrap();
    }
    let violations: i64 = db
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(violations, 0);
    db
}
