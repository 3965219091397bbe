//! Kubernetes resource quantities (`500m`, `1.5`, `2Gi`, `1e3`, `100M`), read and compared exactly.
//!
//! The API server compares quantities exactly (`resource.Quantity.Cmp`), so the policy does too: a quantity is held
//! as a whole number of nano-units (10^-9), the finest scale Kubernetes keeps (finer values are rounded up, as
//! `Quantity` rounds them). No floating point is involved. A quantity too large for 128 bits (above about 3.4 * 10^29
//! units, far beyond any request) does not read, and the check that needed it is skipped.
//!
//! Written here rather than taken from a crate: the crates that parse quantities (k8s-openapi's `Quantity` is only a
//! string) convert to `f64`, which is inexact for `0.1` and for large memory sizes.

use std::fmt;

/// 10^9 nano-units make one unit.
const NANOS_PER_UNIT: u128 = 1_000_000_000;

/// A non-negative quantity in nano-units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity {
    nanos: u128,
}

/// How a quantity was written, which is how a message writes a sum of such quantities back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notation {
    /// Powers of 1024 (`Ki`, `Mi`, `Gi`...): memory as people write it.
    Binary,
    /// Plain numbers and powers of 1000 (`m`, `k`, `M`...).
    Decimal,
}

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity { nanos: 0 };

    /// Reads a quantity as the API server does: `<sign><number><suffix>`, the number with an optional fraction, the
    /// suffix a binary SI (`Ki`...`Ei`), decimal SI (`n`, `u`, `m`, `k`, `M`...`E`) or exponent (`e3`, `E-2`) one.
    /// `None` for anything else, and for negative quantities (no request may be negative).
    pub fn parse(text: &str) -> Option<(Quantity, Notation)> {
        let unsigned = text.strip_prefix('+').unwrap_or(text);
        if let Some(digits) = unsigned.strip_prefix('-') {
            // "-0" is zero; every other negative quantity is refused by the API server for requests and limits.
            return Quantity::parse(digits).filter(|(quantity, _)| *quantity == Quantity::ZERO);
        }
        let number_end = unsigned
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(unsigned.len());
        let (number, suffix) = unsigned.split_at(number_end);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
            return None;
        }
        let (scale, notation) = suffix_scale(suffix)?;
        // The value is digits * 10^(exponent10) * 2^(exponent2); in nano-units exponent10 gains 9.
        let mut digits: u128 = 0;
        for digit in whole.bytes().chain(fraction.bytes()) {
            digits = digits.checked_mul(10)?.checked_add(u128::from(digit - b'0'))?;
        }
        let exponent10 = scale.exponent10 + 9 - i32::try_from(fraction.len()).ok()?;
        let mut nanos = digits.checked_mul(2u128.checked_pow(scale.exponent2)?)?;
        if exponent10 >= 0 {
            nanos = nanos.checked_mul(10u128.checked_pow(exponent10.unsigned_abs())?)?;
        } else {
            // Below a nano-unit: round up, as Kubernetes does.
            let divisor = 10u128.checked_pow(exponent10.unsigned_abs()).unwrap_or(u128::MAX);
            nanos = nanos.div_ceil(divisor);
        }
        Some((Quantity { nanos }, notation))
    }

    /// The sum, saturating (a sum beyond 128 bits is larger than any pod request).
    #[must_use]
    pub fn plus(self, other: Quantity) -> Quantity {
        Quantity {
            nanos: self.nanos.saturating_add(other.nanos),
        }
    }

    /// Written back in `notation`, in the largest unit that keeps it whole: `1500m`, `2`, `192Mi`, `1536Ki`.
    pub fn display(self, notation: Notation) -> impl fmt::Display {
        Shown(self, notation)
    }
}

struct Scale {
    exponent10: i32,
    exponent2: u32,
}

fn suffix_scale(suffix: &str) -> Option<(Scale, Notation)> {
    let decimal = |exponent10| {
        Some((
            Scale {
                exponent10,
                exponent2: 0,
            },
            Notation::Decimal,
        ))
    };
    let binary = |exponent2| {
        Some((
            Scale {
                exponent10: 0,
                exponent2,
            },
            Notation::Binary,
        ))
    };
    match suffix {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ => {
            let exponent = suffix.strip_prefix(['e', 'E'])?;
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            decimal(exponent.parse().ok()?)
        }
    }
}

struct Shown(Quantity, Notation);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Shown(Quantity { nanos }, notation) = *self;
        if notation == Notation::Binary && nanos.is_multiple_of(NANOS_PER_UNIT) {
            let units = nanos / NANOS_PER_UNIT;
            for (suffix, exponent) in [("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)] {
                let size = 1u128 << exponent;
                if units >= size && units.is_multiple_of(size) {
                    return write!(f, "{}{suffix}", units / size);
                }
            }
            return write!(f, "{units}");
        }
        for (suffix, divisor) in [("", NANOS_PER_UNIT), ("m", 1_000_000), ("u", 1_000), ("n", 1)] {
            if nanos.is_multiple_of(divisor) {
                return write!(f, "{}{suffix}", nanos / divisor);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn nanos(text: &str) -> Option<u128> {
        Quantity::parse(text).map(|(quantity, _)| quantity.nanos)
    }

    /// Examples from the API server's own `resource.Quantity` documentation and tests (quantity.go,
    /// quantity_test.go): the same value however it is written.
    #[rstest]
    #[case::milli("500m", 500_000_000)]
    #[case::decimal_fraction("1.5", 1_500_000_000)]
    #[case::leading_dot(".5", 500_000_000)]
    #[case::trailing_dot("5.", 5_000_000_000)]
    #[case::binary("2Gi", 2 * (1 << 30) * NANOS_PER_UNIT)]
    #[case::exponent("1e3", 1_000 * NANOS_PER_UNIT)]
    #[case::capital_exponent("1E3", 1_000 * NANOS_PER_UNIT)]
    #[case::negative_exponent("12e-3", 12_000_000)]
    #[case::mega("100M", 100_000_000 * NANOS_PER_UNIT)]
    #[case::tenth("0.1", 100_000_000)]
    #[case::kibi("1Ki", 1024 * NANOS_PER_UNIT)]
    #[case::micro("1u", 1_000)]
    #[case::nano("1n", 1)]
    #[case::below_nano_rounds_up("0.1n", 1)]
    #[case::plus_sign("+1", NANOS_PER_UNIT)]
    #[case::negative_zero("-0", 0)]
    #[case::fractional_binary("1.5Gi", 3 * (1 << 29) * NANOS_PER_UNIT)]
    fn quantities(#[case] text: &str, #[case] expected: u128) {
        assert_eq!(nanos(text), Some(expected));
    }

    #[rstest]
    #[case::empty("")]
    #[case::negative("-1")]
    #[case::unknown_suffix("1x")]
    #[case::lowercase_binary("1ki")]
    #[case::two_dots("1.2.3")]
    #[case::only_a_suffix("Mi")]
    #[case::space("1 Gi")]
    #[case::exponent_without_digits("1e")]
    #[case::too_large("1e40")]
    fn not_quantities(#[case] text: &str) {
        assert_eq!(nanos(text), None);
    }

    #[test]
    fn equal_values_compare_equal_however_written() {
        let q = |text| Quantity::parse(text).expect("a quantity").0;
        assert_eq!(q("1"), q("1000m"));
        assert_eq!(q("1Ki"), q("1024"));
        assert_eq!(q("0.1").plus(q("0.2")), q("300m"));
        assert!(q("1G") < q("1Gi"));
    }

    #[rstest]
    #[case::whole("2", Notation::Decimal, "2")]
    #[case::milli("1.5", Notation::Decimal, "1500m")]
    #[case::nano("1n", Notation::Decimal, "1n")]
    #[case::mebi("192Mi", Notation::Binary, "192Mi")]
    #[case::kibi_when_not_mebi("1.5Mi", Notation::Binary, "1536Ki")]
    #[case::binary_with_a_fraction("0.5", Notation::Binary, "500m")]
    fn quantities_are_shown_in_their_notation(#[case] text: &str, #[case] notation: Notation, #[case] shown: &str) {
        let quantity = Quantity::parse(text).expect("a quantity").0;
        assert_eq!(quantity.display(notation).to_string(), shown);
    }
}
