//! Money: integer euro cents, never floating point.

/// An amount in cents of a currency (for EUR: euro cents), with checked arithmetic.
///
/// Sign convention: amounts on transfers are never negative; the direction comes from which
/// account is debited and which is credited. Balances derived from totals may be negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(pub i64);

impl Cents {
    /// Zero.
    pub const ZERO: Cents = Cents(0);

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Cents) -> Option<Cents> {
        self.0.checked_add(other.0).map(Cents)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Cents) -> Option<Cents> {
        self.0.checked_sub(other.0).map(Cents)
    }

    /// The amount in Dutch notation: `€ 1.234,56`, `-€ 0,05`.
    pub fn to_dutch(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (euros, cents) = (abs / 100, abs % 100);
        let digits = euros.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push('.');
            }
            grouped.push(c);
        }
        format!("{sign}€ {grouped},{cents:02}")
    }
}

/// Occurs when text is not an amount in euros with at most two decimals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not an amount in euros: {why} (examples: 12,50 or 12.50 or 1250)")]
pub struct AmountError {
    /// The rejected text.
    pub input: String,
    /// What is wrong.
    pub why: &'static str,
}

impl Cents {
    /// Parses euros as people type them: `1250`, `12,50`, `12.5`, `-3,00`. A comma or a point
    /// separates the cents; more than two decimals, thousands separators and anything else are
    /// refused (an amount is never rounded silently).
    pub fn parse_euros(input: &str) -> Result<Cents, AmountError> {
        let err = |why| AmountError {
            input: input.to_owned(),
            why,
        };
        let t = input.trim();
        let t = t.strip_prefix('€').map_or(t, str::trim_start);
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (whole, frac) = match t.find([',', '.']) {
            Some(i) => (&t[..i], &t[i + 1..]),
            None => (t, ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("expected digits before the decimal separator"));
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("expected digits after the decimal separator"));
        }
        if frac.len() > 2 {
            return Err(err("more than two decimals"));
        }
        if t.len() > whole.len() && frac.is_empty() {
            return Err(err("expected digits after the decimal separator"));
        }
        let cents_part: i64 = match frac.len() {
            0 => 0,
            1 => i64::from(frac.as_bytes()[0] - b'0') * 10,
            _ => frac.parse().map_err(|_| err("bad cents"))?,
        };
        let euros: i64 = whole.parse().map_err(|_| err("too large"))?;
        let cents = euros
            .checked_mul(100)
            .and_then(|c| c.checked_add(cents_part))
            .ok_or_else(|| err("too large"))?;
        Ok(Cents(if neg { -cents } else { cents }))
    }
}

impl std::fmt::Display for Cents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_dutch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_notation() {
        for (c, s) in [
            (0, "€ 0,00"),
            (5, "€ 0,05"),
            (-5, "-€ 0,05"),
            (123456, "€ 1.234,56"),
            (100000000, "€ 1.000.000,00"),
            (i64::MIN, "-€ 92.233.720.368.547.758,08"),
        ] {
            assert_eq!(Cents(c).to_dutch(), s);
        }
    }

    #[test]
    fn parse_euros() {
        for (s, c) in [
            ("12,50", 1250),
            ("12.5", 1250),
            ("1250", 125000),
            ("-3,00", -300),
            ("€ 0,05", 5),
            ("0.99", 99),
        ] {
            assert_eq!(Cents::parse_euros(s), Ok(Cents(c)), "{s}");
        }
        for s in [
            "",
            "12,505",
            "1.234,56",
            "12,",
            ",5",
            "abc",
            "1e3",
            "99999999999999999999",
            "--1",
        ] {
            assert!(Cents::parse_euros(s).is_err(), "{s}");
        }
    }

    #[test]
    fn checked() {
        assert_eq!(Cents(i64::MAX).checked_add(Cents(1)), None);
        assert_eq!(Cents(1).checked_sub(Cents(2)), Some(Cents(-1)));
    }
}
