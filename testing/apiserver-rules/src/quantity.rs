//! Kubernetes resource quantities (`500m`, `1.5`, `2Gi`, `1e3`, `100M`), parsed and compared exactly.
//!
//! An independent oracle: written from the grammar and the parsing rules of apimachinery's `resource.Quantity`
//! (`staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go`, `ParseQuantity`), not from the policy's code.
//!
//! ```text
//! <quantity>        ::= <signedNumber><suffix>
//! <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//! <signedNumber>    ::= <number> | "+"<number> | "-"<number>
//! <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
//! <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
//! <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
//! <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>      (an integer exponent)
//! ```
//!
//! As `ParseQuantity` does, a value is rounded away from zero to a whole number of nano units (`0.1n` is `1n`) and
//! its magnitude is capped at 2^63-1. The value is kept as an exact count of nano units, so sums and comparisons
//! (`Quantity.Add`, `Quantity.Cmp`) are exact; no floating point anywhere.

use std::cmp::Ordering;
use std::fmt;

/// Nano units per unit.
const NANO: i128 = 1_000_000_000;
/// The largest magnitude `ParseQuantity` keeps: 2^63-1 units.
const MAX_UNITS: i128 = i64::MAX as i128;

/// A parsed quantity: an exact number of nano units (10^-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity {
    nanos: i128,
}

/// Why a string is not a quantity (apimachinery answers `ErrFormatWrong` / `ErrSuffix` / `ErrNumeric`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityError(pub String);

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {}",
            self.0
        )
    }
}

impl std::error::Error for QuantityError {}

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity { nanos: 0 };

    /// The quantity of `units` whole units.
    pub fn from_units(units: i64) -> Self {
        Quantity {
            nanos: i128::from(units) * NANO,
        }
    }

    /// The quantity of `nanos` nano units.
    pub fn from_nanos(nanos: i128) -> Self {
        Quantity { nanos }
    }

    /// The exact value in nano units.
    pub fn nanos(self) -> i128 {
        self.nanos
    }

    /// Parses a quantity as the API server does (see the module documentation).
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        let wrong = || QuantityError(format!("{text:?}"));
        if text.is_empty() {
            return Err(wrong());
        }
        let (negative, rest) = match text.as_bytes()[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_end);
        let (whole, fraction) = match number.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (number, ""),
        };
        if fraction.contains('.') || (whole.is_empty() && fraction.is_empty()) {
            return Err(wrong());
        }
        // value = digits * 10^(exponent10 - fraction.len()) * 2^exponent2
        let (exponent10, exponent2) = suffix_exponents(suffix).ok_or_else(wrong)?;
        let digits = format!("{whole}{fraction}");
        let digits = digits.trim_start_matches('0');
        // Scale to nano units: multiply by 10^(9 + exponent10 - fraction.len()).
        let shift = 9 + exponent10 - fraction.len() as i64;
        let nanos = scaled(digits, shift, exponent2).ok_or_else(wrong)?;
        Ok(Quantity {
            nanos: if negative { -nanos } else { nanos },
        })
    }

    /// Sum, as `Quantity.Add` (exact; saturates far beyond any real quantity instead of overflowing).
    pub fn saturating_add(self, other: Quantity) -> Quantity {
        Quantity {
            nanos: self.nanos.saturating_add(other.nanos),
        }
    }

    /// Whether the quantity is zero.
    pub fn is_zero(self) -> bool {
        self.nanos == 0
    }
}

/// The power of ten and the power of two a suffix stands for, or `None` for an unknown suffix.
fn suffix_exponents(suffix: &str) -> Option<(i64, u32)> {
    let decimal = |e: i64| Some((e, 0));
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
        "Ki" => Some((0, 10)),
        "Mi" => Some((0, 20)),
        "Gi" => Some((0, 30)),
        "Ti" => Some((0, 40)),
        "Pi" => Some((0, 50)),
        "Ei" => Some((0, 60)),
        _ => {
            let exponent = suffix.strip_prefix(['e', 'E'])?;
            let unsigned = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let value: i64 = unsigned.parse().ok().filter(|v| *v <= 1_000_000)?;
            decimal(if exponent.starts_with('-') { -value } else { value })
        }
    }
}

/// `digits * 2^exponent2 * 10^shift` as a count of nano units: computed exactly on the decimal digits, rounded
/// away from zero to a whole nano unit and capped at 2^63-1 units. `None` only for digits that are not digits.
fn scaled(digits: &str, shift: i64, exponent2: u32) -> Option<i128> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cap = MAX_UNITS * NANO;
    // Least significant digit first, so that doubling carries forward.
    let mut value: Vec<u8> = digits.bytes().rev().map(|b| b - b'0').collect();
    while value.last() == Some(&0) {
        value.pop();
    }
    if value.is_empty() {
        return Some(0);
    }
    for _ in 0..exponent2 {
        let mut carry = 0;
        for digit in value.iter_mut() {
            let doubled = *digit * 2 + carry;
            *digit = doubled % 10;
            carry = doubled / 10;
        }
        if carry > 0 {
            value.push(carry);
        }
    }
    // The digits before the nano point: past 28 of them the value is at least 10^28 nanos, beyond the cap.
    let integer_len = value.len() as i64 + shift;
    if integer_len > 28 {
        return Some(cap);
    }
    let mut nanos: i128 = 0;
    let mut dropped_nonzero = false;
    for (position, digit) in value.iter().enumerate().rev() {
        // `position` counts from the least significant digit; after shifting, its power of ten is position + shift.
        if position as i64 + shift >= 0 {
            nanos = nanos * 10 + i128::from(*digit);
        } else if *digit != 0 {
            dropped_nonzero = true;
        }
    }
    for _ in 0..shift.max(0) {
        nanos *= 10;
    }
    if dropped_nonzero {
        nanos += 1;
    }
    Some(nanos.min(cap))
}

impl PartialOrd<i64> for Quantity {
    fn partial_cmp(&self, other: &i64) -> Option<Ordering> {
        Some(self.nanos.cmp(&(i128::from(*other) * NANO)))
    }
}

impl PartialEq<i64> for Quantity {
    fn eq(&self, other: &i64) -> bool {
        self.nanos == i128::from(*other) * NANO
    }
}

impl fmt::Display for Quantity {
    /// The value in its shortest exact decimal form: `1500m` as `1.5`, `1Ki` as `1024`, `1n` as `0.000000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.nanos < 0 { "-" } else { "" };
        let magnitude = self.nanos.unsigned_abs();
        let units = magnitude / NANO as u128;
        let fraction = magnitude % NANO as u128;
        if fraction == 0 {
            write!(f, "{sign}{units}")
        } else {
            let fraction = format!("{fraction:09}");
            write!(f, "{sign}{units}.{}", fraction.trim_end_matches('0'))
        }
    }
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Quantity::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn nanos(text: &str) -> i128 {
        Quantity::parse(text).unwrap_or_else(|e| panic!("{e}")).nanos()
    }

    // Examples of apimachinery's quantity documentation and of `TestQuantityParse` (quantity_test.go).
    #[rstest]
    #[case::zero("0", 0)]
    #[case::zero_nano("0n", 0)]
    #[case::zero_with_binary_suffix("0Ki", 0)]
    #[case::one("1", NANO)]
    #[case::plus_sign("+1", NANO)]
    #[case::minus_sign("-1", -NANO)]
    #[case::milli("500m", 500_000_000)]
    #[case::one_and_a_half("1.5", 1_500_000_000)]
    #[case::leading_dot(".5", 500_000_000)]
    #[case::trailing_dot("1.", NANO)]
    #[case::one_tenth("0.1", 100_000_000)]
    #[case::kibi("1Ki", 1024 * NANO)]
    #[case::gibi("2Gi", 2 * 1024 * 1024 * 1024 * NANO)]
    #[case::fractional_binary("1.5Gi", 1_610_612_736 * NANO)]
    #[case::exi("1Ei", (1i128 << 60) * NANO)]
    #[case::kilo("1k", 1000 * NANO)]
    #[case::mega("100M", 100_000_000 * NANO)]
    #[case::exa_suffix_not_exponent("1E", 1_000_000_000_000_000_000 * NANO)]
    #[case::exponent("1e3", 1000 * NANO)]
    #[case::capital_exponent("1E3", 1000 * NANO)]
    #[case::signed_exponent("1e+3", 1000 * NANO)]
    #[case::negative_exponent("12e-3", 12_000_000)]
    #[case::micro("100u", 100_000)]
    #[case::nano("1n", 1)]
    #[case::below_a_nano_rounds_up("0.1n", 1)]
    #[case::below_a_milli_is_kept("0.0001", 100_000)]
    #[case::many_decimals_round_up("1.0000000001", NANO + 1)]
    #[case::negative_rounds_away_from_zero("-0.1n", -1)]
    #[case::leading_zeros("0001.5", 1_500_000_000)]
    #[case::binary_rounds_after_scaling("0.0000000001Ki", 103)]
    #[case::capped_at_max_int64("1e30", MAX_UNITS * NANO)]
    #[case::capped_binary("9Ei", MAX_UNITS * NANO)]
    fn parses_exactly(#[case] text: &str, #[case] expected: i128) {
        assert_eq!(nanos(text), expected, "{text}");
    }

    #[rstest]
    #[case::empty("")]
    #[case::sign_only("-")]
    #[case::dot_only(".")]
    #[case::suffix_only("Ki")]
    #[case::two_dots("1.1.1")]
    #[case::plus_inside("1+1")]
    #[case::space("1 1")]
    #[case::lowercase_binary("1ki")]
    #[case::binary_typo("1Mii")]
    #[case::lone_i("1i")]
    #[case::empty_exponent("1e")]
    #[case::fractional_exponent("1e1.5")]
    #[case::exponent_after_suffix("1Ki3")]
    #[case::unknown_suffix("1x")]
    #[case::double_sign("--1")]
    fn refuses_what_is_not_a_quantity(#[case] text: &str) {
        assert!(Quantity::parse(text).is_err(), "{text} should not parse");
    }

    #[rstest]
    #[case::milli_vs_decimal("500m", "0.5", Ordering::Equal)]
    #[case::exponent_vs_kilo("1e3", "1k", Ordering::Equal)]
    #[case::kibi_vs_kilo("1Ki", "1k", Ordering::Greater)]
    #[case::mega_vs_mebi("100M", "100Mi", Ordering::Less)]
    #[case::tenth_vs_milli("0.1", "100m", Ordering::Equal)]
    #[case::gibi_vs_bytes("2Gi", "2147483648", Ordering::Equal)]
    #[case::smallest_difference("1", "1000000001n", Ordering::Less)]
    fn compares_exactly(#[case] a: &str, #[case] b: &str, #[case] order: Ordering) {
        assert_eq!(Quantity::parse(a).unwrap().cmp(&Quantity::parse(b).unwrap()), order);
    }

    #[test]
    fn sums_are_exact() {
        let sum = ["0.1", "0.2", "700m"]
            .iter()
            .map(|q| Quantity::parse(q).unwrap())
            .fold(Quantity::ZERO, Quantity::saturating_add);
        assert_eq!(sum, 1);
    }

    #[rstest]
    #[case::whole("2", "2")]
    #[case::milli("1500m", "1.5")]
    #[case::binary("1Ki", "1024")]
    #[case::nano("1n", "0.000000001")]
    #[case::negative("-250m", "-0.25")]
    fn displays_the_exact_value(#[case] text: &str, #[case] shown: &str) {
        assert_eq!(Quantity::parse(text).unwrap().to_string(), shown);
    }
}
