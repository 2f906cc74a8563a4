//! Profiles: generation on the sample catalog (plausibility, budgets, requirements, determinism, near-duplicates) and MUSE import.

use std::collections::BTreeMap;

use serde_json::Value;

use musegen::catalog::import::item_from_object;
use musegen::catalog::money::{Currencies, nice_ceiling};
use musegen::config::CurrencyConfig;
use musegen::model::CurrencyCode;
use musegen::profiles::muse::parse_persona;
use musegen::profiles::tables::Tables;
use musegen::profiles::targets::{audience_allows, audience_mask};

use crate::util::{MuseFixture, jsonl, muse_fixtures, musegen, ok};

fn items_by_id(dir: &std::path::Path) -> BTreeMap<String, Value> {
    ok(dir, &["catalog", "export", "--jsonl", "items.jsonl"]);
    jsonl(&dir.join("items.jsonl"))
        .into_iter()
        .map(|i| (i["id"].as_str().unwrap().to_string(), i))
        .collect()
}

#[test]
fn generated_profiles_are_complete_plausible_and_grounded_in_their_target() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "2500"]);
    let out = ok(d, &["profiles", "--count", "400", "--json"]);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["written"], 400);
    let profiles = jsonl(&d.join("profiles.jsonl"));
    assert_eq!(profiles.len(), 400);
    let items = items_by_id(d);
    let bands = Tables::load(None).unwrap().bands;
    let currencies = Currencies::load(None, &CurrencyConfig::default()).unwrap();
    let mut reasons = BTreeMap::new();
    for p in &profiles {
        let persona = &p["persona"];
        let scenario = &p["scenario"];
        let target = &items[p["target_item_id"].as_str().unwrap()];
        for key in [
            "name",
            "gender",
            "age",
            "location",
            "income_band",
            "style",
            "language_mix",
            "formality",
            "verbosity",
        ] {
            assert!(!persona[key].is_null(), "persona.{key} missing in {p}");
        }
        let age = persona["age"].as_u64().unwrap();
        if age < 16 {
            assert!(
                persona["profession"].is_null(),
                "a child with a profession: {persona}"
            );
        } else {
            assert!(persona["profession"].is_string(), "{persona}");
        }
        let cats: Vec<&str> = target["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let gift = scenario["purchase_reason"] == "gift";
        if gift {
            // A gift suits its recipient: no men's things for a grandmother, kids' things for kids only.
            let recipient = scenario["recipient"].as_str().unwrap();
            let female = [
                "mother",
                "sister",
                "aunt",
                "wife",
                "niece",
                "goddaughter",
                "girl",
            ]
            .iter()
            .any(|w| recipient.contains(w));
            let male = [
                "father", "brother", "uncle", "husband", "nephew", "godson", "boy",
            ]
            .iter()
            .any(|w| recipient.contains(w));
            if cats.contains(&"Men") {
                assert!(!female, "{recipient} gets a men's item");
            }
            if cats.contains(&"Women") {
                assert!(!male, "{recipient} gets a women's item");
            }
            let young = ["nephew", "niece", "godson", "goddaughter", "little", "baby"]
                .iter()
                .any(|w| recipient.contains(w));
            let for_kids = ["Boys", "Girls", "Baby", "Children's Books"]
                .iter()
                .any(|c| cats.contains(c));
            assert_eq!(young, for_kids, "{recipient} and {cats:?}");
        }
        if age < 16 {
            assert_ne!(
                scenario["purchase_reason"], "work",
                "a child shopping for work: {p}"
            );
        }
        *reasons
            .entry(scenario["purchase_reason"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
        let cats: Vec<&str> = target["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(scenario["category"], target["categories"]);
        if !gift {
            if cats.contains(&"Men") {
                assert_ne!(persona["gender"], "female", "{p}");
                assert!(age >= 13);
            }
            if cats.contains(&"Women") {
                assert_ne!(persona["gender"], "male", "{p}");
            }
            if cats.contains(&"Girls") || cats.contains(&"Boys") {
                assert!(age <= 15, "{p}");
            }
            if cats.contains(&"Home & Kitchen") {
                assert!(age >= 16, "a child buying for the kitchen: {p}");
            }
        }
        let price = target["price"].as_f64().unwrap();
        let budget = scenario["budget"]["max"].as_f64().unwrap();
        assert!(budget >= price, "budget {budget} below price {price}");
        let band = bands
            .iter()
            .find(|b| persona["income_band"] == b.name.as_str())
            .unwrap();
        assert!(
            price <= band.max_item_price,
            "{price} beyond the {} band",
            band.name
        );
        // The band's highest budget, as the persona would state it in their currency (rounded there).
        let money = currencies.by_code(
            scenario["budget"]["currency"]
                .as_str()
                .and_then(CurrencyCode::parse),
        );
        let bound = nice_ceiling(price * band.budget_slack[1]);
        let stated = scenario["budget"]["amount"].as_f64().unwrap_or(budget);
        assert!(
            stated <= money.round_budget(bound) + 1e-9,
            "budget {stated} {} beyond the {} band's slack for {price}",
            money.code,
            band.name
        );
        let reqs = scenario["requirements"].as_array().unwrap();
        assert_eq!(reqs.len(), 2, "{scenario}");
        let target_text = serde_json::to_string(target).unwrap();
        for r in reqs {
            let value = r["value"].as_str().unwrap();
            assert!(
                target_text.contains(value),
                "requirement {value} not an attribute of the target"
            );
        }
        let narrative = scenario["narrative"].as_str().unwrap();
        assert!(narrative.len() > 80, "{narrative}");
        assert!(
            !narrative.contains(target["title"].as_str().unwrap()),
            "narrative names the target"
        );
        assert!(
            !narrative.contains("{{") && !narrative.contains("  "),
            "{narrative}"
        );
    }
    assert!(reasons.len() >= 6, "{reasons:?}");
    assert!(
        reasons["attend"] > reasons["worn_out"],
        "attend should be the most common reason: {reasons:?}"
    );
    // Persona and reason mixes follow the tables (targets bend to them, not the other way round).
    let gift_share = reasons["gift"] as f64 / 400.0;
    assert!(
        (0.08..0.24).contains(&gift_share),
        "gift share {gift_share} far from the table's 0.15"
    );
    let attend_share = reasons["attend"] as f64 / 400.0;
    assert!(
        (0.25..0.42).contains(&attend_share),
        "attend share {attend_share} far from the table's 0.33"
    );
}

#[test]
fn profiles_are_byte_identical_across_thread_counts_and_differ_by_seed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "1500"]);
    ok(
        d,
        &[
            "profiles",
            "--count",
            "300",
            "--threads",
            "1",
            "--output",
            "a.jsonl",
        ],
    );
    ok(
        d,
        &[
            "profiles",
            "--count",
            "300",
            "--threads",
            "3",
            "--output",
            "b.jsonl",
        ],
    );
    ok(
        d,
        &[
            "profiles", "--count", "300", "--seed", "8", "--output", "c.jsonl",
        ],
    );
    let a = std::fs::read(d.join("a.jsonl")).unwrap();
    assert_eq!(a, std::fs::read(d.join("b.jsonl")).unwrap());
    assert_ne!(a, std::fs::read(d.join("c.jsonl")).unwrap());
    // A shorter run is a prefix of a longer one: each record depends only on (seed, id).
    ok(
        d,
        &[
            "profiles",
            "--count",
            "100",
            "--threads",
            "2",
            "--output",
            "short.jsonl",
        ],
    );
    let short = std::fs::read(d.join("short.jsonl")).unwrap();
    assert!(a.starts_with(&short));
}

#[test]
fn near_duplicate_narratives_are_rejected_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "800"]);
    // Tables whose narrative banks hold one sentence each make most narratives near-copies.
    let tables = d.join("tables");
    std::fs::create_dir(&tables).unwrap();
    std::fs::write(
        tables.join("narrative.toml"),
        r#"intros = ["{{ first_name }} lives in a quiet town and likes to keep things simple when shopping for anything at all."]
details = ["There is not much more to say about the matter, other than that it needs to be sorted out soon enough."]
needs = ["So the plan is to find {{ need }} without spending the whole weekend looking around the shops for it."]
closings = ["That is the whole story, and the rest will be decided once the right thing shows up in front of them."]
[[generic_needs]]
keywords = []
phrases = ["something new"]
"#,
    )
    .unwrap();
    let t = tables.to_str().unwrap();
    let dedup = musegen(
        d,
        &[
            "profiles",
            "--count",
            "60",
            "--json",
            "--set",
            &format!("profiles.tables_dir={t}"),
            "--set",
            "profiles.max_attempts=20",
        ],
    );
    let plain = ok(
        d,
        &[
            "profiles",
            "--count",
            "60",
            "--json",
            "--set",
            &format!("profiles.tables_dir={t}"),
            "--set",
            "profiles.dedup.enabled=false",
            "--output",
            "plain.jsonl",
        ],
    );
    let plain: Value = serde_json::from_str(&plain.stdout).unwrap();
    assert!(plain["rejected"].get("near_duplicate").is_none());
    // With the filter on, the run either rejects many draws or gives up on a profile with a clear message.
    if dedup.code == 0 {
        let report: Value = serde_json::from_str(&dedup.stdout).unwrap();
        assert!(
            report["rejected"]["near_duplicate"].as_u64().unwrap() > 10,
            "{report}"
        );
    } else {
        assert_eq!(dedup.code, 1, "{}", dedup.stderr);
        assert!(dedup.stderr.contains("near_duplicate"), "{}", dedup.stderr);
    }
    // The default tables produce varied narratives: few are rejected.
    let normal = ok(
        d,
        &[
            "profiles", "--count", "300", "--json", "--output", "n.jsonl",
        ],
    );
    let report: Value = serde_json::from_str(&normal.stdout).unwrap();
    let dup = report["rejected"]
        .get("near_duplicate")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    assert!(
        dup < 30,
        "{dup} near-duplicates among 300 default narratives"
    );
}

#[test]
fn muse_import_yields_one_profile_per_scenario_whose_targets_are_in_the_catalog() {
    for fixture in muse_fixtures() {
        muse_import_yields_profiles(&fixture);
    }
}

fn muse_import_yields_profiles(fixture: &MuseFixture) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let label = fixture.label;
    let src = fixture.file("user_scenarios.json");
    let scenarios = fixture.scenarios();
    let n = scenarios.len();
    let out = ok(d, &["profiles", "import", "--muse", src.to_str().unwrap()]);
    assert!(
        out.stdout.contains(&format!("imported {n} MUSE profiles")),
        "{label}: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("added {n} target items")),
        "{label}: {}",
        out.stdout
    );
    let profiles = jsonl(&d.join("profiles.jsonl"));
    assert_eq!(profiles.len(), n);
    let items = items_by_id(d);
    for p in &profiles {
        assert!(items.contains_key(p["target_item_id"].as_str().unwrap()));
    }
    // The first persona, read back field by field from MUSE's one-line form.
    let line = scenarios[0]["profile"]
        .as_str()
        .unwrap()
        .trim_start_matches('\'');
    let field = |key: &str| {
        line.split(',')
            .find_map(|part| part.trim().strip_prefix(key))
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(profiles[0]["persona"]["name"], field("Name:"), "{label}");
    assert_eq!(
        profiles[0]["persona"]["gender"],
        field("Gender:"),
        "{label}"
    );
    assert_eq!(
        profiles[0]["persona"]["age"],
        field("Age:").parse::<u64>().unwrap(),
        "{label}"
    );
    assert_eq!(
        profiles[0]["persona"]["profession"],
        field("Profession:"),
        "{label}"
    );
    assert_eq!(
        profiles[0]["target_item_id"],
        scenarios[0]["target_item"]["item_id"]
    );
    assert_eq!(
        profiles[0]["scenario"]["requirements"][0]["text"],
        scenarios[0]["requirements"]
    );
    // Importing again adds nothing new to the catalog.
    let again = ok(d, &["profiles", "import", "--muse", src.to_str().unwrap()]);
    assert!(
        again
            .stdout
            .contains(&format!("added 0 target items ({n} already present)")),
        "{label}: {}",
        again.stdout
    );
}

#[test]
fn the_rules_reject_musees_known_implausible_target() {
    // MUSE's shipped sample gives a 64-year-old woman "Carhartt Men's Force Tappen Cargo Pant" as her own target;
    // the project's own fixture has the same flaw at the same place (a men's work trouser for a woman of 61).
    for fixture in muse_fixtures() {
        implausible_target_is_rejected(&fixture);
    }
}

fn implausible_target_is_rejected(fixture: &MuseFixture) {
    let scenarios = fixture.scenarios();
    let tables = Tables::load(None).unwrap();
    let first = &scenarios[0];
    let persona = parse_persona(first["profile"].as_str().unwrap()).unwrap();
    let item = item_from_object(
        None,
        first["target_item"].as_object().unwrap(),
        100_000,
        false,
    )
    .unwrap();
    let mask = audience_mask(&item, &tables.audience_rules);
    assert_ne!(mask, 0, "the Men rule should apply to {}", item.title);
    assert!(!audience_allows(&tables.audience_rules, mask, &persona));
    // A woman's own bra target is fine for a woman, and not for a man.
    let bra = &scenarios[2];
    let woman = parse_persona(bra["profile"].as_str().unwrap()).unwrap();
    let bra_item = item_from_object(
        None,
        bra["target_item"].as_object().unwrap(),
        100_000,
        false,
    )
    .unwrap();
    let bra_mask = audience_mask(&bra_item, &tables.audience_rules);
    assert!(audience_allows(&tables.audience_rules, bra_mask, &woman));
    let man = parse_persona("Name: Vincent Blanchard, Gender: male, Age: 19").unwrap();
    assert!(!audience_allows(&tables.audience_rules, bra_mask, &man));
}

#[test]
fn occasions_fit_the_target_and_the_age_and_children_talk_casually() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "2500"]);
    ok(d, &["profiles", "--count", "1500"]);
    let tables = Tables::load(None).unwrap();
    let profiles = jsonl(&d.join("profiles.jsonl"));
    let (mut formal_occasions, mut children) = (0, 0);
    for p in &profiles {
        let age = p["persona"]["age"].as_u64().unwrap() as u32;
        let occasion = p["scenario"]["occasion"].as_str().unwrap();
        let leaf = p["scenario"]["category"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_str()
            .unwrap();
        assert!(
            !tables.occasion_fit.misfit(occasion, leaf),
            "{} targets {leaf} for {occasion}",
            p["id"]
        );
        formal_occasions += usize::from(
            tables
                .occasion_fit
                .occasion_class(occasion)
                .is_some_and(|c| c.class == "formal"),
        );
        // Each occasion the tables give an age range is drawn only within it.
        let row = tables
            .reasons
            .iter()
            .flat_map(|r| &r.occasions)
            .find(|o| o.text() == occasion)
            .unwrap();
        assert!(row.suits_age(age), "{}: {occasion} at {age}", p["id"]);
        // A recipient the shopper's age allows: no wife, husband or colleague's baby for a child.
        if let Some(recipient) = p["scenario"]["recipient"].as_str() {
            let row = tables
                .reasons
                .iter()
                .flat_map(|r| &r.recipients)
                .find(|r| recipient.ends_with(r.text.trim_start_matches("{{ their }} ")))
                .unwrap();
            assert!(
                age >= row.min_buyer_age,
                "{}: {recipient} at {age}",
                p["id"]
            );
            // A child's brother, cousin or best friend is a child, given a child's thing.
            if row.peer && age < 13 {
                let path = p["scenario"]["category"].to_string();
                let young = tables
                    .audience_rules
                    .iter()
                    .filter(|r| r.max_age.is_some())
                    .flat_map(|r| &r.keywords)
                    .any(|k| path.contains(&format!("\"{k}\"")));
                assert!(young, "{}: {recipient} at {age} gets {path}", p["id"]);
            }
        }
        // What nobody under an age buys, even as a gift (a rug, a cookbook at 7).
        let path: Vec<&str> = p["scenario"]["category"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        for rule in &tables.audience_rules {
            if let Some(min) = rule.buyer_min_age
                && rule.keywords.iter().any(|k| path.contains(&k.as_str()))
            {
                assert!(age >= min, "{}: {path:?} at {age}", p["id"]);
            }
        }
        let register = p["persona"]["formality"].as_str().unwrap();
        if age < 13 {
            children += 1;
            assert_eq!(register, "casual", "{}: a child of {age}", p["id"]);
            // A child's story is a child's: no move from a smaller town, packed schedule or hard-learnt lessons.
            let narrative = p["scenario"]["narrative"].as_str().unwrap();
            if age < tables.child_below {
                for adult in [
                    "smaller town",
                    "schedule is packed",
                    "the hard way",
                    "reads reviews",
                ] {
                    assert!(!narrative.contains(adult), "{}: {narrative}", p["id"]);
                }
            }
        } else if age < 18 {
            assert_ne!(register, "formal", "{}: a teenager of {age}", p["id"]);
        }
    }
    assert!(
        formal_occasions > 50 && children > 20,
        "{formal_occasions} {children}"
    );
}
