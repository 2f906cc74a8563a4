//! Tests of the composer: plans, memory, and the bank's loading rules.

use super::*;
use crate::agents::sim::PhraseBank;

fn embedded() -> SystemBank {
    let file = DataFile {
        file_name: "system.toml".into(),
        origin: "prompts/sim/system.toml".into(),
        text: crate::data::SIM_PHRASES
            .iter()
            .find(|(n, _)| *n == "system.toml")
            .map(|(_, t)| t.to_string())
            .unwrap(),
    };
    SystemBank::load(&file).unwrap()
}

fn with(text: &str) -> Result<SystemBank> {
    SystemBank::load(&DataFile {
        file_name: "system.toml".into(),
        origin: "my/system.toml".into(),
        text: text.to_string(),
    })
}

fn fill() -> Fill {
    let mut f = Fill::default();
    f.set(Var::Title, "Trail Boot")
        .set(Var::Price, "$90")
        .set(Var::Category, "hiking boots")
        .set(Var::Facts, "they're black leather")
        .set(Var::Contrast, "they're waterproof")
        .set(Var::Feedback, "you'd prefer black")
        .set(Var::Budget, "$120")
        .set(Var::Ref, "the black boots")
        .set(Var::Title2, "Summit Boot")
        .set(Var::Price2, "$120")
        .set(Var::Facts2, "they're suede")
        .set(Var::Title3, "Ridge Boot")
        .set(Var::Price3, "$75")
        .set(Var::Facts3, "they have a padded collar")
        .set(Var::Unmet, "you'd prefer black");
    f
}

#[test]
fn every_part_of_the_plan_appears() {
    let bank = embedded();
    let mut memory = Memory::default();
    memory.add_value("black");
    let f = fill();
    let mut rng = Rng::from_u64(9);
    let plan = [
        Part::AgainAckFeedback,
        Part::AgainPresent,
        Part::AgainContrast,
        Part::AgainBudget,
    ];
    let text = bank.compose(&plan, &f, &mut memory, &mut rng).unwrap();
    for needle in [
        "you'd prefer black",
        "Trail Boot",
        "$90",
        "they're waterproof",
        "$120",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
    // The contrast comes after the title, the acknowledgement before it.
    assert!(text.find("you'd prefer").unwrap() < text.find("Trail Boot").unwrap());
    assert!(text.find("Trail Boot").unwrap() < text.find("waterproof").unwrap());
}

#[test]
fn memory_keeps_a_dialogue_from_repeating_a_part_or_a_phrase() {
    let bank = embedded();
    let mut memory = Memory::default();
    let f = fill();
    let mut rng = Rng::from_u64(4);
    let plan = [Part::ChatPlain, Part::ChatOnward];
    let mut seen_grams: Vec<u64> = Vec::new();
    let mut lines = Vec::new();
    // Twelve turns of small talk: fewer than the alternatives of either part.
    for _ in 0..12 {
        let text = bank.compose(&plan, &f, &mut memory, &mut rng).unwrap();
        let g = grams(&memory.mask(&text));
        assert!(
            g.iter().all(|x| !seen_grams.contains(x)),
            "a phrase of {text} was said before"
        );
        seen_grams.extend(g);
        assert!(!lines.contains(&text), "{text} twice");
        lines.push(text);
    }
    // Without memory the same draws soon repeat a part.
    let mut repeated = false;
    let mut rng = Rng::from_u64(4);
    let mut seen = Vec::new();
    for _ in 0..40 {
        let text = bank
            .compose(&[Part::ChatPlain], &f, &mut Memory::default(), &mut rng)
            .unwrap();
        repeated |= seen.contains(&text);
        seen.push(text);
    }
    assert!(repeated, "40 draws of 24 alternatives with no memory");
}

#[test]
fn a_used_alternative_is_not_drawn_again_while_others_are_left() {
    let bank = embedded();
    let n = bank.len(Part::GreetHello);
    let mut memory = Memory::default();
    let f = Fill::default();
    let mut rng = Rng::from_u64(1);
    for _ in 0..n {
        bank.compose(&[Part::GreetHello], &f, &mut memory, &mut rng)
            .unwrap();
    }
    // Each alternative was used exactly once.
    assert!((0..n).all(|i| memory.used(Part::GreetHello as u16, i as u16)));
}

#[test]
fn every_alternative_renders_with_the_values_its_part_is_given() {
    let bank = embedded();
    let f = fill();
    let mut full = f.clone();
    full.set(Var::Need, "a new pair of boots")
        .set(Var::Occasion, "a hiking trip")
        .set(Var::Recipient, "your sister");
    for &part in Part::ALL {
        for i in 0..bank.len(part) {
            let text = bank.render(&[part], &[i], &full).unwrap();
            assert!(!text.contains("{{") && !text.contains("  "), "{text}");
            // No question outside the parts whose answer comes next.
            let asks = matches!(
                part,
                Part::GreetAsk
                    | Part::OpeningAskContext
                    | Part::OpeningAskRecipient
                    | Part::CategoryAsk
                    | Part::BudgetAsk
                    | Part::PreferenceAsk
                    | Part::RecommendInvite
                    | Part::AgainInvite
                    | Part::RecommendPresent
                    | Part::AgainPresent
                    | Part::SeveralInviteTwo
                    | Part::SeveralInviteThree
            );
            assert!(asks || !text.contains('?'), "{part:?}: {text}");
        }
    }
}

#[test]
fn loading_errors_name_the_file_the_line_and_the_key() {
    let text = crate::data::SIM_PHRASES
        .iter()
        .find(|(n, _)| *n == "system.toml")
        .map(|(_, t)| t.to_string())
        .unwrap();
    // A part the code does not plan with.
    let err = with(&text.replace("welcome = [", "welcom = ["))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("my/system.toml:") && err.contains("greet.welcom"),
        "{err}"
    );
    // A variable the part is not given.
    let err = with(&text.replace("\"Hi there!\",", "\"Hi there, {{ title }}!\","))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("greet.hello[0]") && err.contains("title"),
        "{err}"
    );
    // A sentence opening with a lowercase variable.
    let err = with(&text.replace(
        "\"Oh, {{ need }}, nice.\",",
        "\"Nice. {{ need }} is easy.\",",
    ))
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("opening.react_need[0]") && err.contains("opens with"),
        "{err}"
    );
    // An article before a variable, and control flow.
    assert!(with(&text.replace("\"Oh, {{ need }}, nice.\",", "\"Oh, a {{ need }}.\",")).is_err());
    assert!(with(&text.replace("\"Hi there!\",", "\"{% if x %}Hi!{% endif %}\",")).is_err());
    // A missing part.
    let err = with(&text.replace("[close_empty]", "[close_emptied]"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("close_empty") || err.contains("close_emptied"),
        "{err}"
    );
}

#[test]
fn the_phrase_bank_carries_the_system_bank() {
    let bank = PhraseBank::load(None, &[]).unwrap();
    assert!(bank.system_bank().len(Part::RecommendPresent) >= 30);
}
