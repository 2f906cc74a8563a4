//! Property tests for the importers: any input gives an error or valid items, never a panic, and never a half-written index.

use proptest::prelude::*;

use musegen::catalog::Index;
use musegen::catalog::import::{ImportFormat, ImportOptions, import_file};

fn import(bytes: &[u8], name: &str) -> Result<usize, i32> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join(name);
    std::fs::write(&src, bytes).unwrap();
    let db = dir.path().join("catalog.db");
    let opts = ImportOptions {
        format: ImportFormat::Auto,
        max_field_chars: 1000,
        strict: false,
    };
    match import_file(&src, &db, false, &opts) {
        Ok(report) => {
            let index = Index::open(&db).unwrap();
            assert_eq!(index.len().unwrap(), report.kept);
            index
                .for_each(|item| {
                    assert!(!item.id.is_empty() && !item.title.is_empty());
                    assert!(item.price.is_none_or(|p| p.is_finite() && p >= 0.0));
                    assert!(item.rating.is_none_or(|r| (0.0..=5.0).contains(&r)));
                    Ok(())
                })
                .unwrap();
            Ok(report.kept)
        }
        Err(e) => {
            assert!(!db.exists(), "half-written index after: {e}");
            assert_eq!(
                std::fs::read_dir(dir.path()).unwrap().count(),
                1,
                "temporary files left after: {e}"
            );
            Err(e.exit_code())
        }
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)),
        any::<i64>().prop_map(serde_json::Value::from),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_string()),
                    Just("title".to_string()),
                    Just("price".to_string()),
                    Just("rating".to_string()),
                    Just("categories".to_string()),
                    Just("details".to_string()),
                    Just("features".to_string()),
                    Just("images".to_string()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), ext in prop_oneof![Just("json"), Just("jsonl"), Just("csv"), Just("txt")]) {
        let _ = import(&bytes, &format!("in.{ext}"));
    }

    #[test]
    fn arbitrary_json_records_give_items_or_errors(records in prop::collection::vec(json_value(), 0..6)) {
        let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
        let _ = import(lines.join("\n").as_bytes(), "in.jsonl");
        let doc = serde_json::Value::Array(records).to_string();
        let _ = import(doc.as_bytes(), "in.json");
    }

    #[test]
    fn valid_records_are_all_kept(titles in prop::collection::vec("[A-Za-z][A-Za-z ]{0,20}", 1..8), price in 0.0f64..5000.0) {
        let lines: Vec<String> = titles.iter().enumerate()
            .map(|(i, t)| serde_json::json!({"id": format!("i{i}"), "title": t, "price": price, "categories": ["A", "B"]}).to_string())
            .collect();
        let valid = titles.iter().filter(|t| !t.trim().is_empty()).count();
        let kept = import(lines.join("\n").as_bytes(), "in.jsonl");
        prop_assert_eq!(kept.unwrap_or(0), valid);
        let csv: String = std::iter::once("id,title,price".to_string())
            .chain(titles.iter().enumerate().map(|(i, t)| format!("i{i},{t},{price}")))
            .collect::<Vec<_>>()
            .join("\n");
        prop_assert_eq!(import(csv.as_bytes(), "in.csv").unwrap_or(0), valid);
    }
}
