//! Local currencies: personas state budgets and hear prices in their country's currency, while every decision
//! against the budget is made in the catalog's (a quickstart run: profiles, dialogues, review, stats, analytics);
//! and a config naming an unknown currency or a bad rate is refused with exit 2.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::{by_id, jsonl, musegen, ok, quickstart};

/// The currency each country of the test states budgets in, and how its amounts start or end.
const EXPECTED: &[(&str, &str, &str)] = &[
    ("India", "INR", "₹"),
    ("United Kingdom", "GBP", "£"),
    ("Germany", "EUR", "€"),
    ("France", "EUR", "€"),
    ("Spain", "EUR", "€"),
    ("Ireland", "EUR", "€"),
    ("Italy", "EUR", "€"),
    ("Netherlands", "EUR", "€"),
];

/// Currencies whose amounts are written with a dollar sign ("$85", "CA$120").
const DOLLARS: [&str; 3] = ["CAD", "MXN", "TWD"];

/// The amount `x` (a whole number of the currency) as the dialogue writes it: thousands grouped.
fn grouped(x: f64) -> String {
    let digits = format!("{:.0}", x);
    let n = digits.len();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn personas_state_budgets_in_their_currency_and_decisions_are_made_in_the_catalogs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = quickstart(d, "400", &[]);
    let prices: BTreeMap<String, Option<f64>> = jsonl(&d.join("items.jsonl"))
        .into_iter()
        .map(|i| (i["id"].as_str().unwrap().to_string(), i["price"].as_f64()))
        .collect();
    let profiles = by_id(&out.join("profiles.jsonl"));

    // Profiles: a budget in the country's currency, a round figure, converted back exactly for comparisons.
    let mut local_budgets: BTreeMap<&str, usize> = BTreeMap::new();
    for p in profiles.values() {
        let country = p["persona"]["location"]["country"].as_str().unwrap_or("");
        let b = &p["scenario"]["budget"];
        let max = b["max"].as_f64().unwrap();
        match EXPECTED.iter().find(|(c, _, _)| *c == country) {
            Some((_, code, _)) => {
                assert_eq!(b["currency"], *code, "{}: {b}", p["id"]);
                let amount = b["amount"].as_f64().unwrap();
                assert_eq!(
                    amount,
                    amount.round(),
                    "{}: a budget is a round figure: {b}",
                    p["id"]
                );
                // The target is affordable: the budget converted back is at least its price.
                let price = prices[p["target_item_id"].as_str().unwrap()].unwrap_or(0.0);
                assert!(
                    max + 1e-9 >= price,
                    "{}: {b} under the target's {price}",
                    p["id"]
                );
                *local_budgets.entry(*code).or_default() += 1;
            }
            None if country == "United States" => {
                assert!(b.get("currency").is_none(), "{}: {b}", p["id"]);
            }
            None => {}
        }
    }
    for code in ["INR", "GBP", "EUR"] {
        assert!(
            local_budgets.get(code).copied().unwrap_or(0) >= 5,
            "{local_budgets:?}"
        );
    }

    let conversations = jsonl(&out.join("conversations.jsonl"));
    let (mut stated, mut accepts_checked, mut price_rejects) = (0, 0, 0);
    for c in &conversations {
        let p = &profiles[c["profile_id"].as_str().unwrap()];
        let b = &p["scenario"]["budget"];
        let max = b["max"].as_f64().unwrap();
        let code = b["currency"].as_str();
        let country = p["persona"]["location"]["country"].as_str().unwrap_or("");
        let sign = EXPECTED
            .iter()
            .find(|(c, _, _)| *c == country)
            .map(|(_, _, s)| *s);
        let mut said_budget = false;
        for t in c["turns"].as_array().unwrap() {
            let text = t["text"].as_str().unwrap();
            // No dollar amount in a dialogue whose shopper counts in another currency.
            if let Some(code) = code
                && !DOLLARS.contains(&code)
            {
                assert!(!text.contains('$'), "{} ({code}): {text:?}", c["id"]);
            }
            let slots = t["slots"].as_array().cloned().unwrap_or_default();
            let budget_slot = slots.iter().find(|s| s["attribute"] == "budget");
            if let Some(slot) =
                budget_slot.filter(|_| t["role"] == "user" && t["action"] == "answer")
            {
                said_budget = true;
                // Stated as the persona counts: "₹8,000", "£70", "€85"; the slot keeps the catalog amount.
                if let Some(sign) = sign {
                    let amount = b["amount"].as_f64().unwrap();
                    let written = format!("{sign}{}", grouped(amount));
                    assert!(
                        text.contains(&written),
                        "{}: {written} not in {text:?}",
                        c["id"]
                    );
                    stated += 1;
                }
                let slot: f64 = slot["value"].as_str().unwrap().parse().unwrap();
                assert!(
                    (slot - max).abs() < 1e-6,
                    "{}: slot {slot}, budget {max}",
                    c["id"]
                );
            }
            let item = t["items"]
                .as_array()
                .and_then(|i| i.first())
                .and_then(Value::as_str);
            let price = item.and_then(|i| prices.get(i).copied().flatten());
            // Accepts never go over a stated budget; a reject that cites the budget is of an item over it (both
            // compared in the catalog's currency).
            if t["role"] == "user" && t["action"] == "accept" && said_budget {
                let accepted = c["accepted_item"]
                    .as_str()
                    .and_then(|i| prices.get(i).copied().flatten());
                if let Some(price) = accepted {
                    assert!(
                        price <= max + 0.005,
                        "{}: accepted {price} over {max}",
                        c["id"]
                    );
                    accepts_checked += 1;
                }
            }
            if t["role"] == "user" && t["action"] == "reject" && budget_slot.is_some() {
                let price = price.expect("a rejected item with a price");
                assert!(price > max, "{}: rejected {price} as over {max}", c["id"]);
                price_rejects += 1;
            }
        }
    }
    assert!(stated >= 20, "budgets stated in a local currency: {stated}");
    assert!(accepts_checked >= 50, "{accepts_checked}");
    assert!(price_rejects >= 1, "{price_rejects}");

    // The review finds no budget contradiction and the stats pass.
    for r in jsonl(&out.join("reviews.jsonl")) {
        let contradictions = r["consistency"]["contradictions"].as_array().unwrap();
        assert!(
            !contradictions
                .iter()
                .any(|x| x.as_str().unwrap().contains("budget")),
            "{}: {contradictions:?}",
            r["id"]
        );
    }
    let stats: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("stats.json")).unwrap()).unwrap();
    assert_eq!(stats["summary"]["failed"], 0, "{}", stats["summary"]);

    // The flat table: budget_max in the catalog's currency, the budget as stated beside it.
    let chats = std::fs::read_to_string(out.join("analytics/chats.csv")).unwrap();
    let header: Vec<&str> = chats.lines().next().unwrap().split(',').collect();
    for column in ["budget_max", "budget_currency", "budget_local"] {
        assert!(header.contains(&column), "{header:?}");
    }
    assert!(chats.contains(",INR,"), "no INR budget in chats.csv");
}

#[test]
fn a_config_with_an_unknown_currency_or_a_bad_rate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (set, names) in [
        ("currency.rates.XYZ=2.0", "currency.rates.XYZ"),
        ("currency.rates.INR=0", "currency.rates.INR"),
        ("currency.rates.INR=-83", "currency.rates.INR"),
        ("currency.catalog=\"ZZZ\"", "currency.catalog"),
        ("currency.catalog=\"usd\"", "currency.catalog"),
    ] {
        let out = musegen(d, &["profiles", "--count", "2", "--set", set]);
        assert_eq!(out.code, 2, "{set}: {}", out.stderr);
        let lines: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "{set}: one line, got {:?}", out.stderr);
        assert!(lines[0].contains(names), "{set}: {}", lines[0]);
    }
    // Local currencies off: everyone counts in the catalog's.
    ok(d, &["catalog", "sample", "--items", "300"]);
    ok(
        d,
        &["profiles", "--count", "60", "--set", "currency.local=false"],
    );
    for p in jsonl(&d.join("profiles.jsonl")) {
        assert!(
            p["scenario"]["budget"].get("currency").is_none(),
            "{}",
            p["scenario"]["budget"]
        );
    }
}
