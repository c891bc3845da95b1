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
    fn checked() {
        assert_eq!(Cents(i64::MAX).checked_add(Cents(1)), None);
        assert_eq!(Cents(1).checked_sub(Cents(2)), Some(Cents(-1)));
    }
}
