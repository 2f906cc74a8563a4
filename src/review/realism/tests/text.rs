//! Realism measures on the text of turns: broken fills, phrases a speaker repeats, preferences read from the text,
//! the storyline, keep rules on realism fields, and a shopper's goodbye.

use super::*;

#[test]
fn broken_fills_of_each_kind_are_found() {
    let cases = [
        ("I'll buy the scarves & wrap.", "category_as_noun"),
        (
            "It's one of our best-rated road running.",
            "category_as_noun",
        ),
        (
            "I need something with includes a protective case.",
            "clause_in_noun_slot",
        ),
        (
            "It has a tested for harmful substances.",
            "clause_in_noun_slot",
        ),
        (
            "You need a lightweight enough to wear while driving.",
            "clause_in_noun_slot",
        ),
        (
            "With you want a solid pattern in mind, I've gathered some ideas.",
            "clause_in_noun_slot",
        ),
        (
            "Thing is, a water-friendly materials dry quickly is a must.",
            "clause_in_noun_slot",
        ),
        ("I'd like something XL.", "size_or_brand_as_adjective"),
        ("It's navy and 9, perfect.", "size_or_brand_as_adjective"),
        ("It is a epic read.", "article_before_vowel"),
        ("So you'd prefer arcwave, then.", "lowercased_name"),
    ];
    for (text, kind) in cases {
        let mut t = clean();
        t[10] = turn(S, Close, text, &[], vec![]);
        let r = measure_turns(t, "weekend errands");
        let found: Vec<&str> = r
            .findings
            .iter()
            .filter(|f| f.flag == RealismFlag::BrokenFill)
            .map(|f| f.detail.as_str())
            .collect();
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        assert!(found[0].starts_with(kind), "{text}: {found:?}");
    }
    for fine in [
        "It's a useful one-piece, a USB cable and a one-off.",
        "Among our scarves & wraps, this is Arcwave's best.",
        "Catch is, it's 1,050 kr, and I was hoping to stay under 850 kr.",
        "It's tested for harmful substances and made in Portugal.",
        "They're lightweight enough to wear while driving.",
        "With you in mind, I've gathered some ideas.",
        "With the fact that you want a solid pattern in mind, I found one.",
        "I like the colour and 1,081 kr is a bit steep.",
        "It's black and 1,081 kr, and 10.99 kr is fine too; it's 10.99 kr.",
        "Water-friendly materials dry quickly, which is a must.",
        "It's a brand my friends keep recommending.",
        "I have seen enough for today.",
        "They have had enough to choose from.",
    ] {
        let mut t = clean();
        t[10] = turn(S, Close, fine, &[], vec![]);
        assert_eq!(
            measure_turns(t, "weekend errands").broken_fills,
            0,
            "{fine}"
        );
    }
}

#[test]
fn phrases_repeated_by_a_speaker_within_the_dialogue_are_counted() {
    let mut t = clean();
    t[3] = turn(
        U,
        Answer,
        "To be honest with you, up to $80.",
        &[],
        vec![slot("budget", "80", false)],
    );
    t[5] = turn(
        U,
        Answer,
        "To be honest with you, canvas.",
        &[],
        vec![slot("material", "canvas", false)],
    );
    let r = measure_turns(t, "weekend errands");
    // "to be honest with" and "be honest with you": two phrases.
    assert_eq!(r.repeated_phrases, 2);
}

#[test]
fn a_value_said_as_the_realiser_says_it_is_no_repeated_phrase() {
    // The catalog's "S/M" is said "a small/medium": saying it twice repeats the value, not a phrase.
    let mut t = clean();
    t[3] = turn(U, Answer, "Ideally in a small/medium.", &[], vec![]);
    t[5] = turn(
        U,
        Answer,
        "They should come in a small/medium.",
        &[],
        vec![],
    );
    let r = measure_turns(t, "weekend errands");
    assert_eq!(r.repeated_phrases, 0);
}

#[test]
fn without_slots_stated_is_read_from_the_text() {
    // An imported dialogue: no slots. The budget is a money amount in an earlier user turn.
    let t = vec![
        turn(U, Message, "Hi, I'd spend $80 at most.", &[], vec![]),
        turn(S, Message, "Sure, within your budget then.", &[], vec![]),
    ];
    let r = measure_turns(t, "weekend errands");
    assert!(!r.structured);
    assert_eq!(r.unfounded_references, 0);
    let t = vec![
        turn(U, Message, "Hi, I need shoes.", &[], vec![]),
        turn(S, Message, "Sure, within your budget then.", &[], vec![]),
    ];
    let r = measure_turns(t, "weekend errands");
    assert_eq!(flags(&r), [RealismFlag::UnfoundedBudget]);
}

#[test]
fn the_storyline_is_the_profile_and_the_items_shown() {
    let a = measure_turns(clean(), "weekend errands");
    let mut t = clean();
    t[0].text = "Hello there, what are you after?".into();
    let b = measure_turns(t, "weekend errands");
    assert_eq!(a.storyline, b.storyline, "new words, same story");
    let mut t = clean();
    t[6].items = vec!["m".into()];
    let c = measure_turns(t, "weekend errands");
    assert_ne!(a.storyline, c.storyline);
}

#[test]
fn realism_fields_can_be_used_in_keep_rules() {
    use crate::model::Review;
    let rule = crate::model::keep::KeepRule::compile(
        "realism.target_leaks == 0 && !realism.blind_accept",
        &Review::default(),
    )
    .unwrap();
    let p = rule.prepare().unwrap();
    let mut r = Review::default();
    assert!(p.judge(&r).0);
    r.realism.target_leaks = 1;
    assert_eq!(
        p.judge(&r),
        (false, vec!["realism.target_leaks == 0".to_string()])
    );
}

/// The shopper's goodbye after the closing is no reject, accept or reference: a clean dialogue ending on any
/// goodbye part of any register (`prompts/sim/user.toml`) still scores 0 on every flag.
#[test]
fn a_shoppers_goodbye_raises_no_flag() {
    let user: toml::Value =
        toml::from_str(include_str!("../../../../prompts/sim/user.toml")).unwrap();
    let mut lines = Vec::new();
    for register in ["casual", "neutral", "formal"] {
        for (table, key) in [
            ("farewell_accepted", "pleased"),
            ("farewell_accepted", "next"),
            ("farewell_abandoned", "okay"),
            ("farewell_abandoned", "thanks"),
            ("farewell", "bye"),
        ] {
            for v in user[register][table][key].as_array().unwrap() {
                lines.push(v.as_str().unwrap().to_string());
            }
        }
    }
    assert!(lines.len() > 250, "{}", lines.len());
    let cat = catalog();
    let data = RealismData::embedded().unwrap();
    let p = profile("weekend errands");
    let ctx = RealismContext {
        catalog: Some(&cat),
        profile: Some(&p),
        data: &data,
    };
    for line in &lines {
        let mut t = clean();
        t.push(turn(U, Close, line, &[], vec![]));
        let r = measure(&conversation(t), &ctx);
        assert_eq!(r.findings, vec![], "{line}: {:#?}", r.findings);
        assert_eq!(
            (r.rejects, r.accepts, r.recommendations),
            (1, 1, 2),
            "{line}"
        );
    }
    // The check can fail: a goodbye presupposing a question nobody asked is flagged.
    let mut t = clean();
    t.push(turn(U, Close, "Good question, thanks. Bye!", &[], vec![]));
    let r = measure(&conversation(t), &ctx);
    assert_eq!(flags(&r), vec![RealismFlag::UnfoundedQuestion]);
}
