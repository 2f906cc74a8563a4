use super::*;
use crate::data::PROFILE_TABLES;

fn table() -> Sizes {
    Sizes::load(None, &SizesConfig::default()).unwrap()
}

const MEN: [&str; 5] = ["Footwear", "Men", "Shoes", "Athletic", "Running"];
const WOMEN: [&str; 4] = ["Footwear", "Women", "Shoes", "Boots"];

#[test]
fn a_catalog_size_is_said_in_the_shoppers_system_by_the_items_chart() {
    let t = table();
    let uk = t.for_country(Some("United Kingdom"));
    assert_eq!(uk.system(), Some("UK"));
    assert_eq!(uk.for_path(MEN.into_iter(), "US 9"), Some("UK 8"));
    // The slot's lowercase value converts too.
    assert_eq!(uk.for_path(MEN.into_iter(), "us 9.5"), Some("UK 8.5"));
    assert_eq!(uk.for_path(WOMEN.into_iter(), "US 7"), Some("UK 4.5"));
    // The chart's path anywhere in the item's: an imported catalog's root before it.
    let imported = ["Clothing, Shoes & Jewelry", "Men", "Shoes", "Boots"];
    assert_eq!(uk.for_path(imported.into_iter(), "US 9"), Some("UK 8"));
    let eu = t.for_country(Some("Germany"));
    assert_eq!(eu.for_path(MEN.into_iter(), "US 9"), Some("EU 42.5"));
    assert_eq!(eu.for_path(WOMEN.into_iter(), "US 8.5"), Some("EU 40"));
    assert_eq!(
        t.for_country(Some("India"))
            .for_path(MEN.into_iter(), "US 10"),
        Some("UK 9")
    );
    assert_eq!(
        t.for_country(Some("Japan"))
            .for_path(WOMEN.into_iter(), "US 7"),
        Some("JP 24")
    );
}

#[test]
fn what_no_chart_lists_stays_as_the_catalog_writes_it() {
    let t = table();
    let uk = t.for_country(Some("United Kingdom"));
    // No system, another department's path, a size off the chart.
    assert_eq!(uk.for_path(MEN.into_iter(), "M"), None);
    assert_eq!(
        uk.for_path(["Footwear", "Boys", "Shoes"].into_iter(), "US 9"),
        None
    );
    assert_eq!(uk.for_path(["Footwear", "Men"].into_iter(), "US 9"), None);
    assert_eq!(
        uk.for_path(["Men", "Accessories", "Shoes"].into_iter(), "US 9"),
        None
    );
    assert_eq!(uk.for_path(MEN.into_iter(), "US 15"), None);
    // The catalog's own system and countries the table leaves out say the catalog's value.
    for country in [Some("United States"), Some("Canada"), Some("Mexico"), None] {
        let s = t.for_country(country);
        assert_eq!(s.for_path(MEN.into_iter(), "US 9"), None, "{country:?}");
    }
    let off = Sizes::load(None, &SizesConfig { local: false }).unwrap();
    assert_eq!(off.for_country(Some("United Kingdom")).system(), None);
    assert_eq!(
        off.for_country(Some("United Kingdom"))
            .for_path(MEN.into_iter(), "US 9"),
        None
    );
    assert_eq!(LocalSizes::CATALOG.for_path(MEN.into_iter(), "US 9"), None);
}

#[test]
fn a_size_said_before_any_item_converts_only_when_the_department_settles_the_chart() {
    let t = table();
    let uk = t.for_country(Some("United Kingdom"));
    // Men's US 9 is a UK 8, women's a UK 6.5: without the department it is not guessed.
    assert_eq!(uk.for_department(None, "US 9"), None);
    assert_eq!(uk.for_department(Some("men"), "US 9"), Some("UK 8"));
    assert_eq!(uk.for_department(Some("women"), "US 9"), Some("UK 6.5"));
    // Only the men's chart lists US 13.
    assert_eq!(uk.for_department(None, "US 13"), Some("UK 12"));
    assert_eq!(uk.for_department(Some("kids"), "US 9"), None);
}

#[test]
fn the_embedded_table_gives_every_form_of_a_size() {
    let t = Sizes::embedded().expect("the embedded table loads");
    let forms: Vec<&str> = t.forms(MEN.into_iter(), "us 9").collect();
    assert_eq!(forms, ["US 9", "UK 8", "EU 42.5", "JP 27"]);
    assert_eq!(t.forms(MEN.into_iter(), "M").count(), 0);
}

#[test]
fn every_chart_converts_one_to_one() {
    let t = table();
    for chart in &t.charts {
        for s in 0..t.systems.len() {
            let mut seen: Vec<&str> = chart.rows.iter().filter_map(|r| r[s].as_deref()).collect();
            let n = seen.len();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), n, "{:?} {}", chart.path, t.systems[s]);
        }
    }
}

/// The embedded table with `from` replaced by `to`, loaded from a folder: the error it gives.
fn broken(from: &str, to: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let embedded = PROFILE_TABLES
        .iter()
        .find(|(name, _)| *name == "sizes.toml")
        .map(|(_, text)| *text)
        .unwrap();
    assert!(embedded.contains(from), "{from}");
    std::fs::write(
        dir.path().join("sizes.toml"),
        embedded.replacen(from, to, 1),
    )
    .unwrap();
    let err = Sizes::load(Some(dir.path()), &SizesConfig::default())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("sizes.toml"), "{err}");
    err
}

#[test]
fn a_bad_table_is_refused_naming_the_file_and_the_field() {
    let err = broken(r#"["US 9", "UK 8","#, r#"["US 9", "UK8","#);
    assert!(
        err.contains("charts[0] (men's shoes).rows[4]") && err.contains("\"UK8\""),
        "{err}"
    );
    let err = broken(r#"["US 9", "UK 8","#, r#"["US 9", "EU 8","#);
    assert!(err.contains("its column is UK"), "{err}");
    let err = broken(
        r#"["US 9", "UK 8", "EU 42.5", "JP 27"]"#,
        r#"["US 9", "UK 8", "EU 42.5"]"#,
    );
    assert!(err.contains("rows[4]: has 3 sizes for 4 systems"), "{err}");
    let err = broken(r#"["US 9", "UK 8","#, r#"["US 9", "UK 7.5","#);
    assert!(err.contains("UK 7.5 is in two rows"), "{err}");
    let err = broken(r#""Germany" = "EU""#, r#""Germany" = "DE""#);
    assert!(
        err.contains(r#"countries."Germany""#) && err.contains("DE is not one of"),
        "{err}"
    );
    let err = broken(r#"department = "men""#, r#"department = "gents""#);
    assert!(err.contains("charts[0] (men's shoes).department"), "{err}");
    let err = broken(
        "systems = [\"US\", \"UK\", \"EU\", \"JP\"]\n\n[countries]",
        "systems = [\"US\", \"UK\", \"EU\"]\n\n[countries]",
    );
    assert!(err.contains("JP is not one of"), "{err}");
    // A misspelt field is named with its line.
    let err = broken("rows = [", "rowz = [");
    assert!(err.contains("sizes.toml:"), "{err}");
}

#[test]
fn a_womens_numeric_clothing_size_the_catalog_writes_bare_converts_by_its_chart() {
    let t = table();
    let jeans = ["Women", "Clothing", "Jeans"];
    let uk = t.for_country(Some("United Kingdom"));
    assert_eq!(uk.for_path(jeans.into_iter(), "8"), Some("UK 12"));
    assert_eq!(uk.for_path(jeans.into_iter(), " 0 "), Some("UK 4"));
    // Off the chart, another department's bare number, letter sizes: as the catalog writes them.
    assert_eq!(uk.for_path(jeans.into_iter(), "22"), None);
    assert_eq!(
        uk.for_path(["Girls", "Clothing", "Dresses"].into_iter(), "8"),
        None
    );
    assert_eq!(uk.for_path(jeans.into_iter(), "M"), None);
    // The catalog's system says the bare number; a system the chart does not give hears it too.
    for country in ["United States", "Germany", "Japan"] {
        assert_eq!(
            t.for_country(Some(country))
                .for_path(jeans.into_iter(), "8"),
            None,
            "{country}"
        );
    }
    // Before any item is in view, only the women's department settles it.
    assert_eq!(uk.for_department(Some("women"), "8"), Some("UK 12"));
    assert_eq!(uk.for_department(None, "8"), None);
    assert_eq!(uk.for_department(Some("girls"), "8"), None);
    // A women's shoe size is not a dress size: the shoe chart alone says it.
    assert_eq!(uk.for_department(Some("women"), "US 8"), Some("UK 5.5"));
    assert_eq!(uk.for_path(jeans.into_iter(), "US 8"), None);
    // Every form of it, for the review's masks.
    let forms: Vec<&str> = t.forms(jeans.into_iter(), "8").collect();
    assert_eq!(forms, ["US 8", "UK 12"]);
}

#[test]
fn a_bare_chart_must_give_every_row_in_the_catalogs_system() {
    let err = broken(r#"["US 8", "UK 12"],"#, r#"["", "UK 12"],"#);
    assert!(err.contains("rows[4]") && err.contains("catalog"), "{err}");
    let err = broken(
        "catalog = \"US\"\nsystems = [\"US\", \"UK\"]",
        "catalog = \"EU\"\nsystems = [\"US\", \"UK\"]",
    );
    assert!(err.contains("catalog"), "{err}");
}
