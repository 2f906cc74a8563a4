//! English word forms the lexicon's rules use: plurals and singulars, a verb's base form, articles, measures read
//! as words, the case a catalog wrote a phrase in, participles, capitals and waist-by-length sizes.

/// The case of a noun phrase as written in the catalog's segment, where the catalog wrote it in lowercase words
/// already matched (keeps "eBook" and "USB" as written).
pub(super) fn restore_case(lower: &str, written: Option<&String>) -> String {
    let Some(written) = written else {
        return lower.to_string();
    };
    lower
        .split_whitespace()
        .map(|w| {
            written
                .split(|c: char| c.is_whitespace() || c == '&' || c == ',')
                .find(|x| x.to_lowercase() == w)
                .map_or_else(|| w.to_string(), str::to_string)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn last_word(phrase: &str) -> &str {
    phrase.rsplit(' ').next().unwrap_or(phrase)
}

/// (everything up to and including the last space, the last word).
pub(super) fn split_last(phrase: &str) -> (&str, &str) {
    match phrase.rfind(' ') {
        Some(at) => (&phrase[..=at], &phrase[at + 1..]),
        None => ("", phrase),
    }
}

pub(super) fn looks_plural(word: &str) -> bool {
    let w = word.to_lowercase();
    w.len() > 3
        && w.ends_with('s')
        && !w.ends_with("ss")
        && !w.ends_with("us")
        && !w.ends_with("is")
        && !w.ends_with("'s")
}

pub(super) fn is_uncountable_suffix(word: &str) -> bool {
    ["ion", "ing", "ness", "ity", "wear", "ware"]
        .iter()
        .any(|s| word.ends_with(s) && word.len() > s.len() + 2)
}

pub(super) fn is_adjective(word: &str) -> bool {
    [
        "able",
        "ible",
        "proof",
        "resistant",
        "free",
        "friendly",
        "ready",
        "safe",
    ]
    .iter()
    .any(|s| word.ends_with(s))
}

pub(super) fn starts_with_plural_number(word: &str) -> bool {
    matches!(
        word,
        "two" | "three" | "four" | "five" | "six" | "dual" | "multiple" | "double" | "twin"
    ) || (word.starts_with(|c: char| c.is_ascii_digit())
        && word.parse::<f64>().is_ok_and(|n| n != 1.0))
}

pub(super) fn singularize(word: &str) -> String {
    let lower = word.to_lowercase();
    if let Some(stem) = word.strip_suffix("ies").filter(|_| lower.len() > 4) {
        format!("{stem}y")
    } else if ["ches", "shes", "sses", "xes", "zes"]
        .iter()
        .any(|s| lower.ends_with(s))
    {
        word[..word.len() - 2].to_string()
    } else if looks_plural(word) {
        word[..word.len() - 1].to_string()
    } else {
        word.to_string()
    }
}

pub(super) fn pluralize(word: &str) -> String {
    let lower = word.to_lowercase();
    let consonant_y = lower.ends_with('y')
        && !lower.ends_with("ay")
        && !lower.ends_with("ey")
        && !lower.ends_with("oy")
        && !lower.ends_with("uy");
    if consonant_y {
        format!("{}ies", &word[..word.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|s| lower.ends_with(s))
    {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

/// The base form of a third-person verb: "includes" → "include", "has" → "have", "carries" → "carry".
pub fn base_form(verb: &str) -> String {
    match verb {
        "is" => "are".into(),
        "has" => "have".into(),
        "does" => "do".into(),
        "goes" => "go".into(),
        "can" | "will" => verb.into(),
        _ => {
            if let Some(stem) = verb.strip_suffix("ies") {
                format!("{stem}y")
            } else if ["ches", "shes", "sses", "xes", "zes"]
                .iter()
                .any(|s| verb.ends_with(s))
            {
                verb[..verb.len() - 2].to_string()
            } else if let Some(stem) = verb.strip_suffix('s').filter(|_| !verb.ends_with("ss")) {
                stem.to_string()
            } else {
                verb.to_string()
            }
        }
    }
}

/// A measure's units read as words: "3 inch" → "3 inches".
pub(super) fn measure(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let after_number =
            i > 0 && words[i - 1] != "1" && words[i - 1].starts_with(|c: char| c.is_ascii_digit());
        out.push(match *w {
            "inch" if after_number => "inches".into(),
            "foot" if after_number => "feet".into(),
            "hour" if after_number => "hours".into(),
            // Litres and watts are capitals ("20 L", "20 W"): a lone "l" after a number reads as a one.
            "l" if after_number => "L".into(),
            "w" if after_number => "W".into(),
            other => other.to_string(),
        });
    }
    out.join(" ")
}

/// "a" or "an" for the sound that starts `word` (letters of acronyms, digits, silent h, "one", "uni-" …).
pub fn article(word: &str) -> &'static str {
    let first: String = word
        .split([' ', '-', '/'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    let lower = first.to_lowercase();
    let Some(c) = lower.chars().next() else {
        return "a";
    };
    if c.is_ascii_digit() {
        // "an 8", "an 11", "an 18", "an 80"; "a 1", "a 3".
        let digits: String = lower.chars().take_while(char::is_ascii_digit).collect();
        let an = digits.starts_with('8')
            || ((digits.len() == 2 || digits.len() == 5) && digits.starts_with("11"))
            || ((digits.len() == 2 || digits.len() == 5) && digits.starts_with("18"));
        return if an { "an" } else { "a" };
    }
    let is_acronym = first.len() > 1
        && first
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if is_acronym || first.len() == 1 && first.chars().all(|c| c.is_ascii_uppercase()) {
        return if "aefhilmnorsx".contains(c) {
            "an"
        } else {
            "a"
        };
    }
    const CONSONANT_SOUND: [&str; 12] = [
        "one", "once", "uni", "use", "usu", "uti", "eu", "ewe", "ure", "uro", "ubi", "ufo",
    ];
    const SILENT_H: [&str; 4] = ["hour", "honest", "honor", "heir"];
    if SILENT_H.iter().any(|p| lower.starts_with(p)) {
        return "an";
    }
    if CONSONANT_SOUND.iter().any(|p| lower.starts_with(p)) {
        return "a";
    }
    if "aeiou".contains(c) { "an" } else { "a" }
}

/// `phrase` with "a" or "an" before it.
pub fn with_article(phrase: &str) -> String {
    format!("{} {phrase}", article(phrase))
}

/// Whether a feature's words (lowercase) are a list of noun phrases of which a later one has its own article
/// ("political intrigue, found family and a slow-burn romance"): the writer left the first one bare, so no article
/// goes before the list ("a political intrigue, ..." is wrong).
pub(super) fn is_list_of_phrases(words: &[String]) -> bool {
    let Some(comma) = words.iter().position(|w| w.ends_with(',')) else {
        return false;
    };
    words[comma + 1..].windows(2).any(|w| {
        matches!(w[0].as_str(), "and" | "or") && matches!(w[1].as_str(), "a" | "an" | "the")
    })
}

/// Whether `word` (lowercase) is a past participle that can follow "it's": regular ("tested", "based") or one of
/// the irregular ones catalogs open features with ("made", "drawn", "built").
pub(super) fn is_participle(word: &str) -> bool {
    const IRREGULAR: [&str; 12] = [
        "made", "built", "drawn", "sewn", "woven", "knit", "spun", "grown", "written", "shown",
        "worn", "cut",
    ];
    (word.len() > 4 && word.ends_with("ed")) || IRREGULAR.contains(&word)
}

/// `value` with a capital first letter and the rest lowercase: "SPANISH", "spanish" -> "Spanish".
pub(super) fn capitalised(value: &str) -> String {
    let lower = value.to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether `size` (lowercase) is a waist-and-length size: "34w x 30l".
pub(super) fn is_waist_length(size: &str) -> bool {
    let digits_then = |part: &str, unit: char| {
        part.strip_suffix(unit)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    size.split_once(" x ")
        .is_some_and(|(w, l)| digits_then(w, 'w') && digits_then(l, 'l'))
}
