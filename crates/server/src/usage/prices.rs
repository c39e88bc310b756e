//! Prices and cost. A price is per million tokens, as an exact decimal; a cost is an integer
//! number of nano-units of the currency (10⁻⁹), computed once per call and rounded half away
//! from zero. A model without a price costs 0 (and is never refused for that). The table is
//! held in memory and read again after a change (and at least every 10 s, for changes made
//! by another instance).

use std::collections::HashMap;
use std::str::FromStr;

use llm_adapters::types::Usage;
use rust_decimal::{Decimal, RoundingStrategy};

use super::price_store::{self, PriceRow};
use crate::providers::snapshot::SnapshotCache;
use crate::state::AppState;

/// Nano-units per unit, over tokens per million: the factor from `tokens × price/Mtok` to nanos.
const NANOS_PER_TOKEN_PRICE: i64 = 1_000;
/// Highest price per million tokens accepted.
const MAX_PRICE: i64 = 1_000_000;

/// One model's rates per million tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    /// Input.
    pub input: Decimal,
    /// Output.
    pub output: Decimal,
    /// Cached input (defaults to the input rate).
    pub cached_input: Decimal,
    /// Longest answer, for reservations.
    pub max_output_tokens: Option<u64>,
}

impl Price {
    /// The cost of `usage` in nano-units.
    pub fn cost_nanos(&self, usage: &Usage) -> i64 {
        let cached = usage.cached_tokens.min(usage.prompt_tokens);
        let total = Decimal::from(usage.prompt_tokens - cached) * self.input
            + Decimal::from(cached) * self.cached_input
            + Decimal::from(usage.completion_tokens) * self.output;
        let nanos = (total * Decimal::from(NANOS_PER_TOKEN_PRICE))
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        i64::try_from(nanos).unwrap_or(i64::MAX)
    }
}

/// A price given as a decimal string: at most 9 decimal places, 0 to 1,000,000.
pub fn parse_price(text: &str) -> Result<Decimal, String> {
    let d = Decimal::from_str(text.trim())
        .map_err(|_| format!("must be a decimal number such as \"2.50\", not {text:?}"))?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err("must not be negative".to_owned());
    }
    if d > Decimal::from(MAX_PRICE) {
        return Err(format!("must be at most {MAX_PRICE} per million tokens"));
    }
    if d.scale() > 9 {
        return Err("has more than 9 decimal places".to_owned());
    }
    Ok(d.normalize())
}

/// A cost in nano-units as a decimal string of the currency (`1500` → `"0.0000015"`).
pub fn format_nanos(nanos: i64) -> String {
    Decimal::new(nanos, 9).normalize().to_string()
}

/// Every price, by model name.
#[derive(Debug, Default)]
pub struct Prices {
    by_model: HashMap<String, Price>,
}

impl Prices {
    /// The price of the public model, else of the upstream model.
    pub fn of(&self, model: &str, upstream: Option<&str>) -> Option<&Price> {
        self.by_model
            .get(model)
            .or_else(|| upstream.and_then(|u| self.by_model.get(u)))
    }
}

/// A stored row as rates; a row that no longer parses is logged and left out.
pub fn price_of(row: &PriceRow) -> Option<Price> {
    let parse = |s: &str| parse_price(s).ok();
    let input = parse(&row.input_per_mtok)?;
    Some(Price {
        input,
        output: parse(&row.output_per_mtok)?,
        cached_input: match &row.cached_input_per_mtok {
            Some(c) => parse(c)?,
            None => input,
        },
        max_output_tokens: row.max_output_tokens.and_then(|n| u64::try_from(n).ok()),
    })
}

async fn load(state: &AppState) -> anyhow::Result<Prices> {
    let rows = price_store::list_prices(&state.db.conn).await?;
    let mut by_model = HashMap::with_capacity(rows.len());
    for row in &rows {
        match price_of(row) {
            Some(p) => {
                by_model.insert(row.model.clone(), p);
            }
            None => tracing::error!(model = %row.model, "stored price does not parse; ignored"),
        }
    }
    Ok(Prices { by_model })
}

impl SnapshotCache<Prices> {
    /// The current price table (empty, and logged, if it cannot be read).
    pub async fn prices(&self, state: &AppState) -> std::sync::Arc<Prices> {
        match self.get_or_load(|| load(state)).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "reading prices failed; costing calls at 0");
                std::sync::Arc::new(Prices::default())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(i: &str, o: &str, c: &str) -> Price {
        Price {
            input: parse_price(i).unwrap(),
            output: parse_price(o).unwrap(),
            cached_input: parse_price(c).unwrap(),
            max_output_tokens: None,
        }
    }

    #[test]
    fn cost_is_exact_and_rounded_once() {
        let p = price("2.50", "10.00", "1.25");
        // 1,000 input (200 cached) and 500 output tokens:
        // 800 × 2.50 + 200 × 1.25 + 500 × 10.00 = 7,250 per Mtok → 0.00725 → 7,250,000 nanos.
        let u = Usage {
            prompt_tokens: 1000,
            completion_tokens: 500,
            cached_tokens: 200,
        };
        assert_eq!(p.cost_nanos(&u), 7_250_000);
        assert_eq!(format_nanos(7_250_000), "0.00725");
        // One token at 0.0000005 per Mtok is 0.0005 nanos: rounds to 0; 0.0015 → 2? No: 0.5 → 1.
        let tiny = price("0.0005", "0", "0");
        assert_eq!(
            tiny.cost_nanos(&Usage {
                prompt_tokens: 1,
                ..Usage::default()
            }),
            1
        );
        assert_eq!(
            tiny.cost_nanos(&Usage {
                prompt_tokens: 0,
                ..Usage::default()
            }),
            0
        );
    }

    #[test]
    fn prices_are_checked() {
        assert_eq!(parse_price("2.50").unwrap().to_string(), "2.5");
        assert!(parse_price("-1").unwrap_err().contains("negative"));
        assert!(parse_price("abc").unwrap_err().contains("decimal"));
        assert!(parse_price("2000000").unwrap_err().contains("at most"));
        assert!(
            parse_price("0.0000000001")
                .unwrap_err()
                .contains("9 decimal")
        );
        assert_eq!(parse_price("0").unwrap(), Decimal::ZERO);
    }
}
