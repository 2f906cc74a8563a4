//! Prices as people write them in conversation, shared by the simulator, the LLM retrieval chain and the
//! comparisons the simulated user rejects on; and the currencies personas state budgets in
//! (`profiles/currencies.toml`, rates overridable in `[currency]`).
//!
//! Amounts are kept in the catalog's currency everywhere a decision is made; a [`Money`] converts one into the
//! shopper's currency only to write it.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::config::CurrencyConfig;
use crate::data::{self, PROFILE_TABLES};
use crate::model::CurrencyCode;
use crate::{Error, Result};

/// A price in the catalog's dollars as people write it: `$89.99`, `$120`.
pub fn money(x: f64) -> String {
    Money::DOLLARS.write(x)
}

/// How one shopper's amounts are written: the currency, its symbol and placement, its rate per catalog unit.
/// Small and `Copy`, so a conversation carries it by value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Money<'a> {
    /// The currency.
    pub code: CurrencyCode,
    /// Written before the amount ("$", "₹", "CHF ").
    prefix: &'a str,
    /// Written after the amount (" kr").
    suffix: &'a str,
    /// Decimals a price shows when it is not whole (0: always whole).
    decimals: u8,
    /// The unit budgets are rounded in before the usual steps (₹100: budgets in ₹100s to ₹500s).
    unit: f64,
    /// Units of this currency per unit of the catalog's.
    rate: f64,
}

impl Money<'static> {
    /// The catalog's dollars, as every amount was written before local currencies.
    pub const DOLLARS: Money<'static> = Money {
        code: CurrencyCode::USD,
        prefix: "$",
        suffix: "",
        decimals: 2,
        unit: 1.0,
        rate: 1.0,
    };
}

impl Money<'_> {
    /// Whether this is the catalog's currency written the catalog's way (rate 1).
    pub fn is_catalog(&self) -> bool {
        self.rate == 1.0
    }

    /// `catalog` (an amount in the catalog's currency) in this currency, exactly.
    pub fn to_local(&self, catalog: f64) -> f64 {
        catalog * self.rate
    }

    /// `local` (an amount in this currency) in the catalog's currency, exactly.
    pub fn to_catalog(&self, local: f64) -> f64 {
        local / self.rate
    }

    /// A catalog amount written in this currency: converted, rounded to the currency's decimals ("₹7,469", "£71.09").
    pub fn write(&self, catalog: f64) -> String {
        self.write_local(self.to_local(catalog))
    }

    /// A local amount written as money is written in this currency: thousands grouped, cents only when not whole.
    pub fn write_local(&self, local: f64) -> String {
        let cents = self.decimals > 0 && (local - local.round()).abs() >= 0.005;
        // The amount in its smallest written unit, as an integer: float formatting costs thousands of instructions
        // a call, and a dialogue writes several amounts a turn. Where an integer could round otherwise than the
        // formatter would (a negative amount, one near a half unit, one too large), the formatter writes it.
        let scaled = if cents { local * 100.0 } else { local };
        let half = (scaled - scaled.floor() - 0.5).abs() < 1e-6;
        if !(0.0..1e15).contains(&scaled) || half {
            let digits = if cents {
                format!("{local:.2}")
            } else {
                format!("{local:.0}")
            };
            return self.grouped(&digits);
        }
        let n = scaled.round() as u64;
        let mut out = String::with_capacity(24 + self.prefix.len() + self.suffix.len());
        out.push_str(self.prefix);
        let (whole, frac) = if cents {
            (n / 100, Some(n % 100))
        } else {
            (n, None)
        };
        push_grouped(&mut out, whole);
        if let Some(f) = frac {
            out.push('.');
            out.push(char::from(b'0' + (f / 10) as u8));
            out.push(char::from(b'0' + (f % 10) as u8));
        }
        out.push_str(self.suffix);
        out
    }

    /// `digits` (a decimal as the formatter writes it) written as money: sign, prefix, thousands grouped, suffix.
    fn grouped(&self, digits: &str) -> String {
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let (sign, whole) = whole.strip_prefix('-').map_or(("", whole), |w| ("-", w));
        let mut out =
            String::with_capacity(digits.len() + self.prefix.len() + self.suffix.len() + 4);
        out.push_str(sign);
        out.push_str(self.prefix);
        let n = whole.len();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (n - i) % 3 == 0 && n > 3 {
                out.push(',');
            }
            out.push(c);
        }
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        out.push_str(self.suffix);
        out
    }

    /// The budget a persona states for `catalog` (an amount in the catalog's currency they mean to spend): converted,
    /// then rounded up to a figure people say in this currency (in its units: whole units below 20, then 5s, 10s, 50s).
    pub fn round_budget(&self, catalog: f64) -> f64 {
        nice_ceiling(self.to_local(catalog) / self.unit) * self.unit
    }
}

/// `n` in decimal with its thousands grouped by commas ("7,469"), appended to `out`.
fn push_grouped(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut rest = n;
    loop {
        digits[len] = b'0' + (rest % 10) as u8;
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for i in (0..len).rev() {
        out.push(char::from(digits[i]));
        if i > 0 && i % 3 == 0 {
            out.push(',');
        }
    }
}

/// `text` with every amount written with a currency's letters ("ARS 21,591", "CA$59.83", "850 kr") written with its
/// bare number instead, so a measure of repeated words does not count a currency code as one. The marks are those of
/// the embedded `profiles/currencies.toml`; a mark made only of symbols ("$", "₹") is left alone. Only the table's own
/// marks count, so a feature like "UV400 protection" or a size like "US 9" is never read as money.
pub fn bare_amounts(text: &str) -> std::borrow::Cow<'_, str> {
    static MARKS: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        let (_, file) = PROFILE_TABLES
            .iter()
            .find(|(name, _)| *name == "currencies.toml")?;
        let parsed: CurrenciesFile = toml::from_str(file).ok()?;
        let lettered = |m: &str| m.chars().any(char::is_alphabetic);
        let mut alternatives = Vec::new();
        for r in &parsed.currencies {
            if lettered(&r.prefix) {
                alternatives.push(format!(r"\b{}([0-9])", regex::escape(&r.prefix)));
            }
            if lettered(&r.suffix) {
                alternatives.push(format!(r"([0-9]){}\b", regex::escape(&r.suffix)));
            }
        }
        regex::Regex::new(&alternatives.join("|")).ok()
    });
    match MARKS.as_ref() {
        Some(marks) => marks.replace_all(text, |c: &regex::Captures| {
            c.iter()
                .skip(1)
                .flatten()
                .map(|m| m.as_str())
                .collect::<String>()
        }),
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// Round up to a figure a person would say: whole units below 20, then 5s, 10s, 50s.
pub fn nice_ceiling(x: f64) -> f64 {
    let step = if x < 20.0 {
        1.0
    } else if x < 100.0 {
        5.0
    } else if x < 1000.0 {
        10.0
    } else {
        50.0
    };
    // A hair below a step (from a conversion) is that step, not the next.
    ((x - 1e-9) / step).ceil() * step
}

/// One row of `profiles/currencies.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CurrencyRow {
    code: CurrencyCode,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    suffix: String,
    decimals: u8,
    unit: f64,
    rate: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CurrenciesFile {
    currencies: Vec<CurrencyRow>,
    countries: HashMap<String, CurrencyCode>,
}

/// The currencies of `profiles/currencies.toml` with the config's rates, and which one each country uses.
#[derive(Debug, Clone)]
pub struct Currencies {
    rows: Vec<CurrencyRow>,
    countries: HashMap<String, usize>,
    catalog: usize,
    local: bool,
}

impl Currencies {
    /// The table (`tables_dir/currencies.toml` over the embedded one) with `cfg`'s rates; a code the table does not
    /// know, in the config or a country's entry, is an error naming it.
    pub fn load(tables_dir: Option<&Path>, cfg: &CurrencyConfig) -> Result<Self> {
        let (parsed, origin): (CurrenciesFile, _) =
            data::profile_table(tables_dir, "currencies.toml")?;
        Self::from_rows(parsed, cfg, &origin)
    }

    fn from_rows(parsed: CurrenciesFile, cfg: &CurrencyConfig, origin: &str) -> Result<Self> {
        let mut rows = parsed.currencies;
        let position =
            |rows: &[CurrencyRow], code: CurrencyCode| rows.iter().position(|r| r.code == code);
        for (i, r) in rows.iter().enumerate() {
            if position(&rows[..i], r.code).is_some() {
                return Err(Error::data(
                    origin,
                    format!("currency {} is listed twice", r.code),
                ));
            }
            if !(r.rate.is_finite() && r.rate > 0.0 && r.unit.is_finite() && r.unit > 0.0)
                || r.decimals > 2
            {
                return Err(Error::data(
                    origin,
                    format!(
                        "currency {}: rate and unit must be > 0, decimals 0 to 2",
                        r.code
                    ),
                ));
            }
        }
        let known = |rows: &[CurrencyRow]| {
            rows.iter()
                .map(|r| r.code.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (code, rate) in &cfg.rates {
            let found = CurrencyCode::parse(code).and_then(|c| position(&rows, c));
            let Some(i) = found else {
                return Err(Error::Config(format!(
                    "`currency.rates.{code}` names a currency profiles/currencies.toml does not list (it lists {})",
                    known(&rows)
                )));
            };
            rows[i].rate = *rate;
        }
        let Some(catalog) = position(&rows, cfg.catalog) else {
            return Err(Error::Config(format!(
                "`currency.catalog` = \"{}\" is not in profiles/currencies.toml (it lists {})",
                cfg.catalog,
                known(&rows)
            )));
        };
        // Rates are per catalog unit: the catalog's own currency is 1.
        let base = rows[catalog].rate;
        if !cfg.rates.contains_key(cfg.catalog.as_str()) {
            for r in &mut rows {
                r.rate /= base;
            }
        }
        rows[catalog].rate = 1.0;
        let mut countries = HashMap::new();
        for (country, code) in parsed.countries {
            let i = position(&rows, code).ok_or_else(|| {
                Error::data(
                    origin,
                    format!("country {country} uses {code}, which no [[currencies]] row lists"),
                )
            })?;
            countries.insert(country, i);
        }
        Ok(Currencies {
            rows,
            countries,
            catalog,
            local: cfg.local,
        })
    }

    /// The catalog's currency.
    pub fn catalog(&self) -> Money<'_> {
        self.money(self.catalog)
    }

    /// The currency a persona living in `country` states budgets and hears prices in: the country's when local
    /// currencies are on and the table knows it, else the catalog's.
    pub fn for_country(&self, country: Option<&str>) -> Money<'_> {
        let i = country
            .filter(|_| self.local)
            .and_then(|c| self.countries.get(c).copied())
            .unwrap_or(self.catalog);
        self.money(i)
    }

    /// The currency the shopper of `profile` counts in: their budget's, else (no budget) their country's.
    pub fn for_profile(&self, profile: &crate::model::Profile) -> Money<'_> {
        match &profile.scenario.budget {
            Some(b) => self.by_code(b.currency),
            None => self.for_country(
                profile
                    .persona
                    .location
                    .as_ref()
                    .map(|l| l.country.as_str()),
            ),
        }
    }

    /// The currency `code` (the catalog's when `None` or unknown).
    pub fn by_code(&self, code: Option<CurrencyCode>) -> Money<'_> {
        let i = code
            .and_then(|c| self.rows.iter().position(|r| r.code == c))
            .unwrap_or(self.catalog);
        self.money(i)
    }

    fn money(&self, i: usize) -> Money<'_> {
        let r = &self.rows[i];
        Money {
            code: r.code,
            prefix: &r.prefix,
            suffix: &r.suffix,
            decimals: r.decimals,
            unit: r.unit,
            rate: r.rate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Currencies {
        Currencies::load(None, &CurrencyConfig::default()).unwrap()
    }

    #[test]
    fn every_amount_written_with_letters_has_a_bare_number() {
        let t = table();
        for i in 0..t.rows.len() {
            let written = t.money(i).write_local(21591.0);
            let bare = bare_amounts(&written);
            assert!(
                !bare.chars().any(char::is_alphabetic),
                "{written} -> {bare}"
            );
        }
        assert_eq!(bare_amounts("ARS 21,591 or 850 kr"), "21,591 or 850");
        assert_eq!(
            bare_amounts("UV400 protection, a US 9"),
            "UV400 protection, a US 9"
        );
    }

    #[test]
    fn money_is_written_naturally() {
        assert_eq!(money(120.0), "$120");
        assert_eq!(money(89.99), "$89.99");
        assert_eq!(money(1299.0), "$1,299");
    }

    #[test]
    fn local_amounts_are_written_as_in_english_text() {
        let t = table();
        let inr = t.for_country(Some("India"));
        assert_eq!(inr.code.as_str(), "INR");
        assert_eq!(inr.write_local(7469.0), "₹7,469");
        assert_eq!(inr.write_local(125000.0), "₹125,000");
        // Rupees are written whole: an exact conversion shows no paise.
        assert_eq!(inr.write(89.99), "₹7,469");
        let gbp = t.for_country(Some("United Kingdom"));
        assert_eq!(gbp.write_local(69.99), "£69.99");
        assert_eq!(gbp.write_local(70.0), "£70");
        assert_eq!(t.for_country(Some("France")).write_local(85.0), "€85");
        assert_eq!(t.for_country(Some("Canada")).write_local(120.0), "CA$120");
        assert_eq!(t.for_country(Some("Japan")).write_local(12000.0), "¥12,000");
        assert_eq!(t.for_country(Some("Sweden")).write_local(850.0), "850 kr");
        assert_eq!(t.for_country(Some("United States")).write(85.0), "$85");
        assert_eq!(t.for_country(None).code, CurrencyCode::USD);
        assert_eq!(t.for_country(Some("Atlantis")).code, CurrencyCode::USD);
    }

    #[test]
    fn amounts_are_written_as_the_float_formatter_would() {
        // The integer path must write what `{:.2}` / `{:.0}` would, half cents and large amounts included.
        let t = table();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut amounts = vec![
            0.0,
            0.004,
            0.005,
            0.125,
            0.375,
            1.005,
            2.5,
            999.995,
            1e14 + 0.5,
            2e15,
            -3.25,
        ];
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let price = (x % 2_000_000) as f64 / 100.0;
            amounts.push(price);
            amounts.push(price * 1.37);
            amounts.push(price * 83.12);
            amounts.push(price / 7.0);
        }
        for i in 0..t.rows.len() {
            let m = t.money(i);
            for &a in &amounts {
                let cents = m.decimals > 0 && (a - a.round()).abs() >= 0.005;
                let digits = if cents {
                    format!("{a:.2}")
                } else {
                    format!("{a:.0}")
                };
                assert_eq!(m.write_local(a), m.grouped(&digits), "{a}");
            }
        }
    }

    #[test]
    fn conversions_round_trip_and_budgets_are_round_figures_never_below_the_amount() {
        let t = table();
        for country in [
            "India",
            "United Kingdom",
            "Germany",
            "Japan",
            "Canada",
            "South Korea",
            "Kenya",
        ] {
            let m = t.for_country(Some(country));
            for x in [9.99, 47.5, 85.0, 116.99, 640.0, 2399.0] {
                assert!(
                    (m.to_catalog(m.to_local(x)) - x).abs() < 1e-9,
                    "{country} {x}"
                );
                let b = m.round_budget(x);
                assert!(
                    m.to_catalog(b) >= x - 1e-9,
                    "{country}: budget {b} under {x}"
                );
                // A round figure: a whole number of the currency's units.
                assert!(
                    (b / m.unit - (b / m.unit).round()).abs() < 1e-9,
                    "{country}: {b}"
                );
            }
        }
        let inr = t.for_country(Some("India"));
        // $96 at 83 = ₹7,968 → ₹500 steps.
        assert_eq!(inr.round_budget(96.0), 8000.0);
        assert_eq!(t.for_country(Some("Japan")).round_budget(80.0), 12000.0);
        assert_eq!(t.catalog().round_budget(85.0), 85.0);
    }

    #[test]
    fn config_rates_override_and_unknown_codes_are_refused() {
        let mut cfg = CurrencyConfig::default();
        cfg.rates.insert("INR".into(), 100.0);
        let t = Currencies::load(None, &cfg).unwrap();
        assert_eq!(t.for_country(Some("India")).write(85.0), "₹8,500");
        cfg.rates.insert("XXX".into(), 2.0);
        let err = Currencies::load(None, &cfg).unwrap_err().to_string();
        assert!(err.contains("currency.rates.XXX"), "{err}");
        let off = CurrencyConfig {
            local: false,
            ..CurrencyConfig::default()
        };
        let t = Currencies::load(None, &off).unwrap();
        assert_eq!(t.for_country(Some("India")).code, CurrencyCode::USD);
    }
}
