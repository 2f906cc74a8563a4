//! Prices as people write them in conversation, shared by the simulator, the LLM retrieval chain and the
//! comparisons the simulated user rejects on.

/// A price as people write it: `$89.99`, `$120`.
pub fn money(x: f64) -> String {
    if (x - x.round()).abs() < 0.005 {
        format!("${:.0}", x)
    } else {
        format!("${x:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_naturally() {
        assert_eq!(money(120.0), "$120");
        assert_eq!(money(89.99), "$89.99");
    }
}
