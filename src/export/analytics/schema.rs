//! Table definitions shared by the star and snowflake schemas, and what is generated from them: the portable DDL
//! (`schema.sql`, for SQLite and PostgreSQL alike), the load scripts (`load_sqlite.sql` for the sqlite3 shell,
//! `load_postgres.sql` for psql) and the CSV cells. Types: INTEGER (keys, counts, and booleans as 0/1), BIGINT
//! (token and millisecond sums), DOUBLE PRECISION, TEXT. The first column is the primary key; an empty cell is NULL.

use std::fmt::Write as _;

use serde_json::Value;

/// A portable column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    /// 32-bit-safe integer: keys, counts.
    Integer,
    /// 64-bit integer: token and millisecond totals.
    BigInt,
    /// Floating point.
    Double,
    /// Text.
    Text,
    /// A boolean, stored as INTEGER 0/1.
    Bool,
}

impl SqlType {
    fn ddl(self) -> &'static str {
        match self {
            SqlType::Integer | SqlType::Bool => "INTEGER",
            SqlType::BigInt => "BIGINT",
            SqlType::Double => "DOUBLE PRECISION",
            SqlType::Text => "TEXT",
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Column name.
    pub name: &'static str,
    /// Type.
    pub ty: SqlType,
    /// Whether NULL is refused.
    pub required: bool,
    /// The table and column a foreign key points at.
    pub references: Option<(&'static str, &'static str)>,
}

/// A column that may be NULL.
pub const fn col(name: &'static str, ty: SqlType) -> Column {
    Column {
        name,
        ty,
        required: false,
        references: None,
    }
}

/// A column that may not be NULL.
pub const fn req(name: &'static str, ty: SqlType) -> Column {
    Column {
        name,
        ty,
        required: true,
        references: None,
    }
}

/// A foreign key to `table`'s `column` (nullable).
pub const fn fk(name: &'static str, table: &'static str, column: &'static str) -> Column {
    Column {
        name,
        ty: SqlType::Integer,
        required: false,
        references: Some((table, column)),
    }
}

/// One table: its name and columns, the first being the primary key.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// Table (and CSV file) name.
    pub name: &'static str,
    /// Columns, primary key first.
    pub columns: Vec<Column>,
}

impl TableSpec {
    /// The column names, for the CSV header.
    pub fn header(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.name).collect()
    }

    /// The CSV cells of `row`, typed by the columns: NULL empty, booleans 0/1.
    pub fn cells(&self, row: &[Value]) -> Vec<String> {
        row.iter()
            .zip(&self.columns)
            .map(|(v, c)| match (v, c.ty) {
                (Value::Bool(b), _) => if *b { "1" } else { "0" }.to_string(),
                (v, _) => super::rows::cell(v),
            })
            .collect()
    }
}

/// `schema.sql`: DROP (facts first) then CREATE TABLE (dimensions first) for `tables`, given in creation order.
pub fn ddl(title: &str, tables: &[TableSpec]) -> String {
    let mut out = format!(
        "-- {title}, written by musegen. Portable DDL: SQLite and PostgreSQL.\n\
         -- Booleans are INTEGER 0/1; an empty CSV cell is NULL; keys are stable for the same input.\n\n"
    );
    for t in tables.iter().rev() {
        let _ = writeln!(out, "DROP TABLE IF EXISTS {};", t.name);
    }
    out.push('\n');
    for t in tables {
        let _ = writeln!(out, "CREATE TABLE {} (", t.name);
        let mut lines: Vec<String> = t
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let constraint = if i == 0 {
                    " NOT NULL PRIMARY KEY"
                } else if c.required {
                    " NOT NULL"
                } else {
                    ""
                };
                format!("    {} {}{constraint}", c.name, c.ty.ddl())
            })
            .collect();
        for c in &t.columns {
            if let Some((table, column)) = c.references {
                lines.push(format!(
                    "    FOREIGN KEY ({}) REFERENCES {table} ({column})",
                    c.name
                ));
            }
        }
        let _ = writeln!(out, "{}\n);\n", lines.join(",\n"));
    }
    out
}

/// `load_sqlite.sql`, run from inside the folder: `sqlite3 warehouse.db < load_sqlite.sql`. The shell imports an
/// empty cell as '', so nullable columns are set back to NULL before the foreign keys are checked.
pub fn load_sqlite(tables: &[TableSpec]) -> String {
    let mut out = String::from(
        "-- Load the CSV files into SQLite; run from this folder: sqlite3 warehouse.db < load_sqlite.sql\n\
         PRAGMA foreign_keys = OFF;\n.read schema.sql\n",
    );
    for t in tables {
        let _ = writeln!(out, ".import --csv --skip 1 {}.csv {}", t.name, t.name);
    }
    for t in tables {
        for c in t.columns.iter().filter(|c| !c.required) {
            let _ = writeln!(
                out,
                "UPDATE {} SET {} = NULL WHERE {} = '';",
                t.name, c.name, c.name
            );
        }
    }
    out.push_str("PRAGMA foreign_keys = ON;\nPRAGMA foreign_key_check;\n");
    out
}

/// `load_postgres.sql`, run from inside the folder: `psql -d DB -f load_postgres.sql`.
pub fn load_postgres(tables: &[TableSpec]) -> String {
    let mut out = String::from(
        "-- Load the CSV files into PostgreSQL; run from this folder: psql -d DB -f load_postgres.sql\n\
         \\set ON_ERROR_STOP on\n\\ir schema.sql\n",
    );
    for t in tables {
        let _ = writeln!(
            out,
            "\\copy {} ({}) FROM '{}.csv' CSV HEADER",
            t.name,
            t.header().join(", "),
            t.name
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Vec<TableSpec> {
        vec![
            TableSpec {
                name: "dim_a",
                columns: vec![req("a_key", SqlType::Integer), col("name", SqlType::Text)],
            },
            TableSpec {
                name: "fact_b",
                columns: vec![
                    req("b_key", SqlType::Integer),
                    fk("a_key", "dim_a", "a_key"),
                    col("ok", SqlType::Bool),
                ],
            },
        ]
    }

    #[test]
    fn ddl_runs_in_sqlite_and_cells_are_typed() {
        let t = tables();
        let sql = ddl("test", &t);
        assert!(sql.find("DROP TABLE IF EXISTS fact_b") < sql.find("DROP TABLE IF EXISTS dim_a"));
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch(&sql).unwrap();
        db.execute_batch(&sql).unwrap();
        db.execute_batch("PRAGMA foreign_keys = ON; INSERT INTO dim_a VALUES (1, 'x');")
            .unwrap();
        assert!(
            db.execute_batch("INSERT INTO fact_b VALUES (1, 2, 1);")
                .is_err()
        );
        let row = [Value::from(1), Value::Null, Value::Bool(true)];
        assert_eq!(t[1].cells(&row), ["1", "", "1"]);
        assert!(load_sqlite(&t).contains(".import --csv --skip 1 dim_a.csv dim_a"));
        assert!(load_sqlite(&t).contains("UPDATE fact_b SET a_key = NULL WHERE a_key = '';"));
        assert!(
            load_postgres(&t)
                .contains("\\copy fact_b (b_key, a_key, ok) FROM 'fact_b.csv' CSV HEADER")
        );
    }
}
