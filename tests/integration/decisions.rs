//! The decisions a model makes with `decide = "llm"`, against a scripted model. The system agent's retrieval chain
//! over a real catalog index: the needs come from the model's reading of the conversation (sent as chat messages),
//! the search honours the understood category and budget and never returns an item already shown, the model's pick
//! among the cards is the item recommended, and a pick outside the list falls back to the best-ranked candidate.
//! The user agent's reject reasons: the model's picks among the true differences, cleaned and topped up, with both
//! items' pictures for a vision model.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use musegen::agents::llm::Talk;
use musegen::agents::retrieval::RetrievalChain;
use musegen::catalog::money::Money;
use musegen::catalog::sizes::{LocalSizes, Sizes};
use musegen::config::{AgentKind, Decider, LimitsConfig, RoleConfig, SizesConfig};
use musegen::llm::{
    ApiRole, BoxFuture, Capabilities, ChatBackend, ChatRequest, ChatResponse, Completion, LlmError,
    RateHints,
};
use musegen::manager::Manager;
use musegen::model::{Action, Role, Turn};

use crate::util::ok;

/// Answers the chain's two steps (the needs, then the given picks in order) and the user's reason picks.
struct Scripted {
    picks: Mutex<Vec<u64>>,
    seen: Mutex<Vec<ChatRequest>>,
}

impl ChatBackend for Scripted {
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Completion, LlmError>> {
        self.seen.lock().unwrap().push(request.clone());
        let instruction = &request.messages[0].content;
        let content = if instruction.contains("differences this shopper would mention") {
            serde_json::json!({"choices": [3, 3, 9, 1, 2]})
        } else if instruction.contains("sum up what the customer wants") {
            serde_json::json!({
                "summary": "Black sneakers for a wedding, under $80; the last pair was too loud.",
                "category": "Fashion Sneakers",
                "max_price": 80,
                "wanted": ["Black"],
                "avoid": [],
                "query": "black fashion sneakers",
            })
        } else {
            let choice = self.picks.lock().unwrap().remove(0);
            serde_json::json!({"choice": choice, "message": "Try this one."})
        };
        Box::pin(std::future::ready(Ok(Completion {
            response: ChatResponse {
                content: content.to_string(),
                finish_reason: Some("stop".into()),
                usage: None,
                latency_ms: None,
                first_token_ms: None,
            },
            hints: RateHints::default(),
        })))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            json_schema: true,
            ..Capabilities::default()
        }
    }
}

/// A scripted model with `picks`, and a manager over it.
fn scripted(picks: Vec<u64>) -> (Arc<Scripted>, Arc<Manager>) {
    let scripted = Arc::new(Scripted {
        picks: Mutex::new(picks),
        seen: Mutex::new(Vec::new()),
    });
    let manager = Arc::new(Manager::new(
        scripted.clone(),
        LimitsConfig::default(),
        None,
        BTreeMap::new(),
    ));
    (scripted, manager)
}

fn turn(role: Role, action: Action, text: &str) -> Turn {
    Turn {
        role,
        action,
        text: text.into(),
        items: vec![],
        images: vec![],
        slots: vec![],
        query: None,
        latency_ms: 1,
        first_token_ms: None,
    }
}

/// The numbered cards of a recommend prompt: (number, title, price).
fn cards(prompt: &str) -> Vec<(usize, String, f64)> {
    prompt
        .lines()
        .filter_map(|l| {
            let (n, rest) = l.split_once(". ")?;
            let n: usize = n.trim().parse().ok()?;
            let mut parts = rest.split(" | ");
            let title = parts.next()?.to_string();
            let price: f64 = parts.next()?.trim_start_matches('$').parse().ok()?;
            Some((n, title, price))
        })
        .collect()
}

#[test]
fn the_chain_reads_the_conversation_searches_within_the_needs_and_recommends_the_models_pick() {
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &[
            "catalog",
            "sample",
            "--items",
            "1500",
            "--jsonl",
            "items.jsonl",
        ],
    );
    // Every item's picture, for the vision model.
    for item in crate::util::jsonl(&dir.path().join("items.jsonl")) {
        let path = dir.path().join(item["images"][0].as_str().unwrap());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, [0xff, 0xd8, 0xff]).unwrap();
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (scripted, manager) = scripted(vec![2, 99, 1]);
    let role = RoleConfig {
        agent: AgentKind::Llm,
        decide: Decider::Llm,
        vision: true,
        ..RoleConfig::default()
    };
    let chain = RetrievalChain::new(
        manager,
        runtime.handle().clone(),
        role,
        None,
        &dir.path().join("catalog.db"),
        5,
        Arc::new(musegen::llm::images::ImageLoader::new(Some(dir.path()))),
    )
    .unwrap();
    let history = vec![
        turn(Role::System, Action::Greet, "Hi! What are you looking for?"),
        turn(
            Role::User,
            Action::Inform,
            "Black sneakers for a wedding, under $80.",
        ),
    ];
    let talk = Talk {
        id: "c1".into(),
        deadline: None,
        clock: Default::default(),
    };
    let needs = chain.needs(&talk, &history, &[], Money::DOLLARS).unwrap();
    assert_eq!(needs.category, "Fashion Sneakers");
    assert_eq!(needs.max_price, 80.0);
    assert_eq!(needs.wanted, ["black"]);
    {
        let seen = scripted.seen.lock().unwrap();
        let m = &seen[0].messages;
        assert_eq!(m[0].role, ApiRole::System);
        assert_eq!(m[1].role, ApiRole::User, "the chat opens on the user side");
        assert_eq!(m[2].role, ApiRole::Assistant);
        assert_eq!(m[2].content, "Hi! What are you looking for?");
        assert_eq!(m[3].role, ApiRole::User);
        assert!(m[3].content.contains("under $80"));
        assert!(seen[0].json_schema.is_some());
    }

    let first = chain
        .pick(
            &talk,
            &history,
            &needs,
            &[],
            Money::DOLLARS,
            LocalSizes::CATALOG,
        )
        .unwrap()
        .unwrap();
    let (prompt, pictures) = {
        let seen = scripted.seen.lock().unwrap();
        let m = &seen[1].messages;
        (m[0].content.clone(), m.last().unwrap().images.len())
    };
    let shown = cards(&prompt);
    assert!(!shown.is_empty() && shown.len() <= 5, "{prompt}");
    assert_eq!(
        pictures,
        shown.len(),
        "one picture per card, with the last user message"
    );
    assert!(prompt.contains("Their pictures, in the order listed"));
    assert!(
        scripted.seen.lock().unwrap()[0]
            .messages
            .iter()
            .all(|m| m.images.is_empty()),
        "the needs step shows no pictures"
    );
    assert!(shown.iter().all(|c| c.2 <= 80.0), "over budget: {shown:?}");
    assert_eq!(first.item.title, shown[1].1, "the model picked card 2");
    assert!(
        first
            .item
            .categories
            .iter()
            .any(|c| c == "Fashion Sneakers")
    );
    assert_eq!(first.query, "black fashion sneakers");
    assert_eq!(first.message, "Try this one.");

    // Next time the first item is excluded; a pick outside the list falls back to the best-ranked card.
    let second = chain
        .pick(
            &talk,
            &history,
            &needs,
            std::slice::from_ref(&first.item.id),
            Money::DOLLARS,
            LocalSizes::CATALOG,
        )
        .unwrap()
        .unwrap();
    let prompt = scripted.seen.lock().unwrap()[2].messages[0].content.clone();
    let again = cards(&prompt);
    assert!(again.iter().all(|c| c.1 != first.item.title), "{again:?}");
    assert_eq!(second.item.title, again[0].1);
    assert_ne!(second.item.id, first.item.id);

    // A shopper in London is shown the candidates' sizes in UK sizes, as they say them, never the catalog's US ones.
    let tables = Sizes::load(None, &SizesConfig::default()).unwrap();
    chain
        .pick(
            &talk,
            &history,
            &needs,
            &[],
            Money::DOLLARS,
            tables.for_country(Some("United Kingdom")),
        )
        .unwrap()
        .unwrap();
    let prompt = scripted.seen.lock().unwrap()[3].messages[0].content.clone();
    let sized: Vec<&str> = prompt.lines().filter(|l| l.contains("Size: ")).collect();
    assert!(!sized.is_empty(), "{prompt}");
    assert!(
        sized
            .iter()
            .all(|l| l.contains("Size: UK ") && !l.contains("Size: US ")),
        "{prompt}"
    );
}

#[test]
fn the_user_model_picks_reasons_among_the_true_differences_and_sees_both_pictures() {
    use musegen::agents::llm::{DifferenceCard, ItemCard, LlmVoice};
    use musegen::llm::images::ImageLoader;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("want.jpg"), [0xff, 0xd8, 0xff]).unwrap();
    std::fs::write(dir.path().join("got.png"), [0x89, b'P', b'N', b'G']).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (scripted, manager) = scripted(vec![]);
    let role = RoleConfig {
        agent: AgentKind::Llm,
        decide: Decider::Llm,
        vision: true,
        ..RoleConfig::default()
    };
    let voice = LlmVoice::new(
        Role::User,
        role,
        manager,
        runtime.handle().clone(),
        None,
        Arc::new(ImageLoader::new(Some(dir.path()))),
    )
    .unwrap();
    assert!(voice.decides());
    let profile: musegen::model::Profile = serde_json::from_value(serde_json::json!({
        "id": "p1",
        "persona": {"name": "Ana Ruiz", "gender": "female", "age": 31, "language_mix": "en"},
        "scenario": {"narrative": "Ana has a wedding next month.", "requirements": []},
        "target_item_id": "t"
    }))
    .unwrap();
    let card = |title: &str, image: &str| ItemCard {
        title: title.into(),
        price: "$60".into(),
        category: "fashion sneakers".into(),
        attributes: "color: Black".into(),
        images: vec![image.into()],
    };
    let diff = |a: &str, w: &str, g: &str| DifferenceCard {
        attribute: a.into(),
        wanted: w.into(),
        got: g.into(),
    };
    let differences = [
        diff("color", "Black", "Red"),
        diff("material", "Canvas", "Leather"),
        diff("closure", "Lace-Up", "Slip-On"),
    ];
    let talk = Talk {
        id: "c9".into(),
        deadline: None,
        clock: Default::default(),
    };
    let picks = voice
        .pick_reasons(
            &talk,
            &profile,
            &card("Wanted Sneaker", "want.jpg"),
            &card("Offered Sneaker", "got.png"),
            &differences,
            2,
        )
        .unwrap();
    // [3, 3, 9, 1, 2]: the repeat and the out-of-range pick are dropped, the count is kept.
    assert_eq!(picks, [2, 0]);
    let seen = scripted.seen.lock().unwrap();
    let question = &seen[0].messages[0];
    assert_eq!(question.role, ApiRole::User);
    assert!(
        question
            .content
            .contains("3. closure: they want Lace-Up, it is Slip-On"),
        "{}",
        question.content
    );
    assert!(question.content.contains("Offered Sneaker"));
    assert_eq!(question.images.len(), 2);
    assert!(
        question.images[0].starts_with("data:image/jpeg;base64,"),
        "the wanted item first"
    );
    assert!(question.images[1].starts_with("data:image/png;base64,"));
}

#[test]
fn a_prompts_dir_overrides_the_chain_prompts_file_by_file_and_a_broken_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["catalog", "sample", "--items", "300"]);
    let prompts = dir.path().join("my-prompts");
    std::fs::create_dir_all(prompts.join("llm")).unwrap();
    let shipped = std::fs::read_to_string(crate::util::repo("prompts/llm/retrieval.toml")).unwrap();
    std::fs::write(
        prompts.join("llm/retrieval.toml"),
        shipped.replace(
            "Before you recommend something",
            "HOUSE STYLE. Before you recommend something",
        ),
    )
    .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (scripted, manager) = scripted(vec![1]);
    let role = RoleConfig {
        agent: AgentKind::Llm,
        decide: Decider::Llm,
        ..RoleConfig::default()
    };
    let catalog = dir.path().join("catalog.db");
    let images = Arc::new(musegen::llm::images::ImageLoader::new(None));
    let chain = RetrievalChain::new(
        manager.clone(),
        runtime.handle().clone(),
        role.clone(),
        Some(&prompts),
        &catalog,
        3,
        images.clone(),
    )
    .unwrap();
    let talk = Talk {
        id: "c2".into(),
        deadline: None,
        clock: Default::default(),
    };
    let history = [turn(Role::User, Action::Inform, "Black sneakers, please.")];
    chain.needs(&talk, &history, &[], Money::DOLLARS).unwrap();
    let instruction = scripted.seen.lock().unwrap()[0].messages[0].content.clone();
    assert!(instruction.contains("HOUSE STYLE."), "{instruction}");
    // The other files stay the shipped ones; a broken override names its file and line.
    std::fs::write(
        prompts.join("llm/retrieval.toml"),
        "system = \"x\"\nsummarise = \n",
    )
    .unwrap();
    let err = RetrievalChain::new(
        manager,
        runtime.handle().clone(),
        role,
        Some(&prompts),
        &catalog,
        3,
        images,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("retrieval.toml:2"), "{err}");
}
