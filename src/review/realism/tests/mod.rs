//! Realism measures on hand-built dialogues with known answers: a clean dialogue scores 0 on every flag; each
//! flawed one raises exactly the flag it was built for.

use std::collections::BTreeMap;

use super::*;
use crate::catalog::{Index, IndexWriter, MemoryCatalog};
use crate::model::{
    Budget, EndReason, Formality, Gender, GenerationMeta, Item, Outcome, Persona, Requirement,
    Scenario, Slot, Usage, Verbosity,
};

fn item(id: &str, title: &str, path: &[&str], details: &[(&str, &str)]) -> Item {
    Item {
        id: id.into(),
        title: title.into(),
        description: vec![],
        features: vec!["Padded collar".into()],
        categories: path.iter().map(|s| s.to_string()).collect(),
        price: Some(50.0),
        rating: Some(4.0),
        details: details
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        images: vec![],
        new_description: None,
    }
}

fn catalog() -> MemoryCatalog {
    let dir = std::env::temp_dir().join(format!(
        "musegen-realism-cat-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("catalog.db");
    let mut w = IndexWriter::create(&path).unwrap();
    let shoes = ["Footwear", "Women", "Shoes", "Fashion Sneakers"];
    w.add(&item(
        "t",
        "Kinlow Women's Court Sneaker",
        &shoes,
        &[
            ("Color", "Black"),
            ("Material", "Canvas"),
            ("Brand", "Kinlow"),
            ("Size", "S/M"),
        ],
    ))
    .unwrap();
    w.add(&item(
        "a",
        "Arcwave Women's Retro Sneaker",
        &shoes,
        &[
            ("Color", "Nude"),
            ("Material", "Leather"),
            ("Brand", "Arcwave"),
        ],
    ))
    .unwrap();
    w.add(&item(
        "m",
        "Arcwave Men's Retro Sneaker",
        &["Footwear", "Men", "Shoes", "Fashion Sneakers"],
        &[
            ("Color", "Black"),
            ("Material", "Canvas"),
            ("Brand", "Arcwave"),
        ],
    ))
    .unwrap();
    w.commit().unwrap();
    let index = Index::open(&path).unwrap();
    let labels = vec![
        ("color".to_string(), vec!["Color".to_string()]),
        ("material".to_string(), vec!["Material".to_string()]),
        ("brand".to_string(), vec!["Brand".to_string()]),
        ("size".to_string(), vec!["Size".to_string()]),
    ];
    let cat = MemoryCatalog::load(&index, &labels).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    cat
}

fn profile(occasion: &str) -> Profile {
    Profile {
        id: "p1".into(),
        persona: Persona {
            name: "Ada Lake".into(),
            gender: Gender::Female,
            age: 34,
            profession: None,
            location: None,
            income_band: None,
            style: None,
            language_mix: "en".into(),
            formality: Formality::Neutral,
            verbosity: Verbosity::Normal,
        },
        scenario: Scenario {
            purchase_reason: Some("attend".into()),
            occasion: Some(occasion.into()),
            recipient: None,
            need: Some("new shoes".into()),
            narrative: String::new(),
            requirements: vec![Requirement {
                attribute: "material".into(),
                value: "Canvas".into(),
                text: "canvas".into(),
            }],
            budget: Some(Budget::catalog(80.0)),
            category: vec!["Footwear".into(), "Women".into()],
            written_by: None,
        },
        target_item_id: "t".into(),
    }
}

fn slot(attribute: &str, value: &str, negative: bool) -> Slot {
    Slot {
        attribute: attribute.into(),
        value: value.into(),
        negative,
    }
}

fn turn(role: Role, action: Action, text: &str, items: &[&str], slots: Vec<Slot>) -> Turn {
    Turn {
        role,
        action,
        text: text.into(),
        items: items.iter().map(|s| s.to_string()).collect(),
        images: vec![],
        slots,
        query: None,
        latency_ms: 0,
        first_token_ms: None,
    }
}

fn conversation(turns: Vec<Turn>) -> Conversation {
    let mentioned = turns
        .iter()
        .filter(|t| t.action == Action::Recommend)
        .flat_map(|t| t.items.clone())
        .collect();
    Conversation {
        id: "c1".into(),
        profile_id: "p1".into(),
        target_item_id: "t".into(),
        outcome: Outcome::Accepted,
        end_reason: EndReason::AcceptedTarget,
        rounds: 2,
        accepted_item: Some("t".into()),
        mentioned_items: mentioned,
        turns,
        usage: Usage::default(),
        meta: GenerationMeta {
            user_agent: "sim".into(),
            system_agent: "sim".into(),
            config_hash: String::new(),
            seed: 1,
            musegen: String::new(),
        },
    }
}

use Action::*;
use Role::{System as S, User as U};

/// A dialogue a person could have had: context and preferences stated before they are used, a reject that repeats
/// a stated wish, an accept that praises what was asked for, nothing broken.
fn clean() -> Vec<Turn> {
    vec![
        turn(S, Greet, "Hi! What can I help you find?", &[], vec![]),
        turn(
            U,
            Inform,
            "I need new shoes for weekend errands.",
            &[],
            vec![
                slot("need", "new shoes", false),
                slot("occasion", "weekend errands", false),
            ],
        ),
        turn(
            S,
            Clarify,
            "What is your budget?",
            &[],
            vec![slot("budget", "?", false)],
        ),
        turn(
            U,
            Answer,
            "Up to $80.",
            &[],
            vec![slot("budget", "80", false)],
        ),
        turn(
            S,
            Clarify,
            "Any material you like?",
            &[],
            vec![slot("material", "?", false)],
        ),
        turn(
            U,
            Answer,
            "Canvas, please.",
            &[],
            vec![slot("material", "canvas", false)],
        ),
        turn(
            S,
            Recommend,
            "How about Arcwave Women's Retro Sneaker at $50?",
            &["a"],
            vec![],
        ),
        turn(
            U,
            Reject,
            "I said canvas, and this one is leather.",
            &["a"],
            vec![
                slot("material", "canvas", false),
                slot("material", "leather", true),
            ],
        ),
        turn(
            S,
            Recommend,
            "Then try Kinlow Women's Court Sneaker, also $50. It should suit the occasion.",
            &["t"],
            vec![],
        ),
        turn(
            U,
            Accept,
            "Lovely, it's canvas. I'll take it.",
            &["t"],
            vec![],
        ),
        turn(S, Close, "Enjoy them!", &[], vec![]),
    ]
}

fn measure_turns(turns: Vec<Turn>, occasion: &str) -> Realism {
    let cat = catalog();
    let data = RealismData::embedded().unwrap();
    let p = profile(occasion);
    let ctx = RealismContext {
        catalog: Some(&cat),
        profile: Some(&p),
        data: &data,
    };
    measure(&conversation(turns), &ctx)
}

#[test]
fn a_clean_dialogue_scores_zero_on_every_flag() {
    let r = measure_turns(clean(), "weekend errands");
    assert!(r.structured);
    assert_eq!(
        (r.rejects, r.rejects_citing, r.accepts, r.recommendations),
        (1, 1, 1, 2)
    );
    assert_eq!(r.findings, vec![], "{:#?}", r.findings);
    assert_eq!(
        r.rejects_unstated + r.rejects_only_unstated + r.rejects_outside_requirements,
        0
    );
    assert_eq!(
        r.accepts_unstated_praise + r.other_department + r.target_leaks,
        0
    );
    assert_eq!(
        r.unfounded_references + r.repeated_phrases + r.broken_fills,
        0
    );
    assert!(!r.first_offer_accept && !r.blind_accept && !r.occasion_misfit);
    assert!(!r.self_purchase_mismatch);
    assert_eq!(r.storyline.len(), 16);
}

fn flags(r: &Realism) -> Vec<RealismFlag> {
    let mut f: Vec<RealismFlag> = r.findings.iter().map(|f| f.flag).collect();
    f.dedup();
    f
}

#[test]
fn a_reject_reading_out_the_hidden_target_is_seen() {
    let mut t = clean();
    // The reject cites black (the target's colour, not a requirement, never stated) alone.
    t[7] = turn(
        U,
        Reject,
        "It needs to be black, but this one's nude.",
        &["a"],
        vec![slot("color", "black", false), slot("color", "nude", true)],
    );
    let r = measure_turns(t, "weekend errands");
    assert_eq!(r.rejects_unstated, 1);
    assert_eq!(r.rejects_only_unstated, 1);
    assert_eq!(r.rejects_outside_requirements, 1);
    assert_eq!(
        r.target_leaks, 1,
        "black is the target's and no turn had said it"
    );
    assert_eq!(
        flags(&r),
        [
            RealismFlag::RejectUnstated,
            RealismFlag::RejectOutsideRequirements,
            RealismFlag::TargetLeak
        ]
    );
}

#[test]
fn an_accept_praising_an_unrevealed_value_before_any_preference_is_seen() {
    // No preference stated, the first recommendation accepted, praising black (never said, not in the offer).
    let t = vec![
        turn(S, Greet, "Hi! What can I help you find?", &[], vec![]),
        turn(
            U,
            Inform,
            "I need new shoes.",
            &[],
            vec![slot("need", "new shoes", false)],
        ),
        turn(
            S,
            Recommend,
            "How about Kinlow Women's Court Sneaker?",
            &["t"],
            vec![],
        ),
        turn(
            U,
            Accept,
            "Yes, it's black, which is what I wanted.",
            &["t"],
            vec![],
        ),
    ];
    let r = measure_turns(t, "weekend errands");
    assert_eq!(r.accepts_unstated_praise, 1);
    assert!(r.first_offer_accept);
    assert!(r.blind_accept);
    let details: Vec<&str> = r.findings.iter().map(|f| f.detail.as_str()).collect();
    assert!(details.contains(&"black"), "{details:?}");
}

#[test]
fn another_department_is_seen_and_an_objection_counted() {
    let mut t = clean();
    t[6] = turn(
        S,
        Recommend,
        "How about Arcwave Men's Retro Sneaker?",
        &["m"],
        vec![],
    );
    t[7] = turn(
        U,
        Reject,
        "That's a men's shoe, and I said canvas.",
        &["m"],
        vec![slot("material", "canvas", false)],
    );
    let r = measure_turns(t, "weekend errands");
    assert_eq!((r.other_department, r.other_department_objected), (1, 1));
    // Without the objection, only the department.
    let mut t = clean();
    t[6] = turn(
        S,
        Recommend,
        "How about Arcwave Men's Retro Sneaker?",
        &["m"],
        vec![],
    );
    let r = measure_turns(t, "weekend errands");
    assert_eq!((r.other_department, r.other_department_objected), (1, 0));
}

#[test]
fn a_woman_buying_a_mens_item_for_herself_contradicts_her_persona() {
    let mut t = clean();
    t[8] = turn(
        S,
        Recommend,
        "Then try Arcwave Men's Retro Sneaker.",
        &["m"],
        vec![],
    );
    t[9] = turn(
        U,
        Accept,
        "Lovely, it's canvas. I'll take it.",
        &["m"],
        vec![],
    );
    let r = measure_turns(t, "weekend errands");
    assert!(r.self_purchase_mismatch);
}

#[test]
fn unfounded_references_need_an_earlier_statement() {
    let t = vec![
        turn(S, Greet, "Hello and welcome.", &[], vec![]),
        // No occasion, no budget stated; "Good question." answers no question.
        turn(
            U,
            Inform,
            "Good question. I need new shoes.",
            &[],
            vec![slot("need", "new shoes", false)],
        ),
        turn(
            S,
            ChitChat,
            "I hope everything goes smoothly for the occasion.",
            &[],
            vec![],
        ),
        turn(U, ChitChat, "Thanks.", &[], vec![]),
        turn(
            S,
            Recommend,
            "How about Arcwave Women's Retro Sneaker?",
            &["a"],
            vec![],
        ),
        turn(
            U,
            Reject,
            "$50 is a bit much when I said $40.",
            &["a"],
            vec![slot("budget", "40", false)],
        ),
    ];
    let r = measure_turns(t, "weekend errands");
    let mut kinds: Vec<RealismFlag> = r
        .findings
        .iter()
        .map(|f| f.flag)
        .filter(|f| {
            matches!(
                f,
                RealismFlag::UnfoundedBudget
                    | RealismFlag::UnfoundedOccasion
                    | RealismFlag::UnfoundedQuestion
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            RealismFlag::UnfoundedBudget,
            RealismFlag::UnfoundedOccasion,
            RealismFlag::UnfoundedQuestion
        ]
    );
    assert_eq!(r.unfounded_references, 3);
}

#[test]
fn a_formal_occasion_with_a_casual_target_is_a_misfit() {
    // The target is a fashion sneaker: casual; a wedding is formal, a gala black-tie.
    let r = measure_turns(clean(), "a friend's wedding");
    assert!(r.occasion_misfit);
    assert_eq!(r.occasion_class, "formal");
    let r = measure_turns(clean(), "a charity gala");
    assert!(r.occasion_misfit);
    assert_eq!(r.occasion_class, "black_tie");
    let r = measure_turns(clean(), "everyday wear");
    assert!(!r.occasion_misfit);
    assert_eq!(r.occasion_class, "out_and_about");
    let r = measure_turns(clean(), "the usual weekly routine");
    assert!(!r.occasion_misfit);
    assert_eq!(r.occasion_class, "");
}

mod text;
