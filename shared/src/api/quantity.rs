//! Resource quantities (`100m`, `128Mi`, `1e3`) parsed, compared and printed
//! the way Kubernetes' `resource.Quantity` does, so objects read back canonical.
//!
//! A quantity is kept exactly as `mantissa × 10^scale`; binary suffixes only
//! ever multiply by an integer, so no precision is lost. Like Kubernetes,
//! anything finer than a nano-unit is rounded up (away from zero).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// How a quantity was written, which decides how it is printed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `1e3`, `5E-3`
    DecimalExponent,
    /// `128Mi`, `1Gi`
    BinarySI,
    /// `100m`, `1k`, `5`
    DecimalSI,
}

/// Why a string is not a quantity; the texts are Kubernetes'.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]
    FormatWrong,
    #[error("unable to parse numeric part of quantity")]
    Numeric,
    #[error("unable to parse quantity's suffix")]
    Suffix,
}

#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    mantissa: i128,
    scale: i32,
    format: Format,
}

/// Finest precision Kubernetes keeps: nano-units.
const MIN_SCALE: i32 = -9;

impl Quantity {
    pub fn parse(s: &str) -> Result<Self, QuantityError> {
        let parts = split(s)?;
        let (base_exp10, binary_pow, format) = interpret_suffix(parts.suffix)?;
        let digits = format!("{}{}", parts.whole, parts.fraction);
        let mut mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| QuantityError::Numeric)?
        };
        let scale =
            base_exp10 - i32::try_from(parts.fraction.len()).map_err(|_| QuantityError::Numeric)?;
        if binary_pow > 0 {
            mantissa = mantissa
                .checked_mul(1i128 << binary_pow)
                .ok_or(QuantityError::Numeric)?;
        }
        if !parts.positive {
            mantissa = -mantissa;
        }
        let (mantissa, scale) = round_up_to(mantissa, scale, MIN_SCALE);
        let mut q = Quantity {
            mantissa,
            scale,
            format,
        };
        q.normalize_scale();
        q.saturate();
        Ok(q)
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Value in milli-units, rounded up (away from zero) like `MilliValue()`.
    pub fn millis(&self) -> i128 {
        scaled(self.mantissa, self.scale, -3)
    }

    /// Value in whole units, rounded up (away from zero) like `Value()`.
    pub fn value(&self) -> i128 {
        scaled(self.mantissa, self.scale, 0)
    }

    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// -1, 0 or 1.
    pub fn sign(&self) -> i32 {
        self.mantissa.signum() as i32
    }

    /// Kubernetes' canonical text: `0.5` → `500m`, `1024Mi` → `1Gi`, `1e3` stays `1e3`.
    pub fn canonical(&self) -> String {
        if self.mantissa == 0 {
            return "0".into();
        }
        let mut format = self.format;
        if format == Format::BinarySI {
            let small = self.value_cmp_int(-1024) == Ordering::Greater
                && self.value_cmp_int(1024) == Ordering::Less;
            if small || self.scale < 0 {
                format = Format::DecimalSI;
            }
        }
        match format {
            Format::BinarySI => {
                // scale >= 0 here: the value is an integer.
                let mut n = self.mantissa * 10i128.pow(self.scale as u32);
                let mut exp = 0;
                while exp < 60 && n % 1024 == 0 {
                    n /= 1024;
                    exp += 10;
                }
                let suffix = match exp {
                    0 => "",
                    10 => "Ki",
                    20 => "Mi",
                    30 => "Gi",
                    40 => "Ti",
                    50 => "Pi",
                    _ => "Ei",
                };
                format!("{n}{suffix}")
            }
            Format::DecimalSI | Format::DecimalExponent => {
                let (n, exp) = canonical_decimal(self.mantissa, self.scale);
                let suffix = if format == Format::DecimalExponent {
                    if exp == 0 {
                        String::new()
                    } else {
                        format!("e{exp}")
                    }
                } else {
                    match exp {
                        -9 => "n".into(),
                        -6 => "u".into(),
                        -3 => "m".into(),
                        0 => String::new(),
                        3 => "k".into(),
                        6 => "M".into(),
                        9 => "G".into(),
                        12 => "T".into(),
                        15 => "P".into(),
                        18 => "E".into(),
                        other => format!("e{other}"),
                    }
                };
                format!("{n}{suffix}")
            }
        }
    }

    fn value_cmp_int(&self, n: i128) -> Ordering {
        self.cmp(&Quantity {
            mantissa: n,
            scale: 0,
            format: Format::DecimalSI,
        })
    }

    /// Moves trailing zeros into the scale so equal values compare cheaply.
    fn normalize_scale(&mut self) {
        if self.mantissa == 0 {
            self.scale = 0;
            return;
        }
        while self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.scale += 1;
        }
    }

    /// Kubernetes caps quantities at the int64 range of their base unit.
    fn saturate(&mut self) {
        let max = i64::MAX as i128;
        if scaled(self.mantissa, self.scale, 0).unsigned_abs() > max as u128 {
            self.mantissa = if self.mantissa < 0 { -max } else { max };
            self.scale = 0;
        }
    }
}

/// `(mantissa, exp)` with `exp` a multiple of three and no factor of ten left
/// in the mantissa except those needed to reach that multiple.
fn canonical_decimal(mantissa: i128, scale: i32) -> (i128, i32) {
    let mut m = mantissa;
    let mut e = scale;
    while m % 10 == 0 && m != 0 {
        m /= 10;
        e += 1;
    }
    match e % 3 {
        1 | -2 => {
            m *= 10;
            e -= 1;
        }
        2 | -1 => {
            m *= 100;
            e -= 2;
        }
        _ => {}
    }
    (m, e)
}

/// Rounds `mantissa × 10^scale` to `10^target` precision, away from zero.
fn round_up_to(mantissa: i128, scale: i32, target: i32) -> (i128, i32) {
    if scale >= target {
        return (mantissa, scale);
    }
    let drop = (target - scale) as u32;
    if drop > 38 {
        return (mantissa.signum(), target);
    }
    let div = 10i128.pow(drop);
    let q = mantissa / div;
    let r = mantissa % div;
    let q = if r == 0 { q } else { q + mantissa.signum() };
    (q, target)
}

/// The value at `10^target` units, rounded away from zero; saturating.
fn scaled(mantissa: i128, scale: i32, target: i32) -> i128 {
    if scale >= target {
        let up = (scale - target) as u32;
        match 10i128.checked_pow(up) {
            Some(f) => mantissa.saturating_mul(f),
            None => mantissa.signum() * i128::MAX,
        }
    } else {
        round_up_to(mantissa, scale, target).0
    }
}

struct Parts<'a> {
    positive: bool,
    whole: &'a str,
    fraction: &'a str,
    suffix: &'a str,
}

/// Splits `-1.5Gi` into sign, digits and suffix, rejecting what Kubernetes'
/// scanner rejects (`1.5.5`, `abc`, spaces).
fn split(s: &str) -> Result<Parts<'_>, QuantityError> {
    if s.is_empty() {
        return Err(QuantityError::FormatWrong);
    }
    let b = s.as_bytes();
    let mut pos = 0;
    let mut positive = true;
    match b[0] {
        b'+' => pos = 1,
        b'-' => {
            positive = false;
            pos = 1;
        }
        _ => {}
    }
    let whole_start = pos;
    while pos < b.len() && b[pos].is_ascii_digit() {
        pos += 1;
    }
    let whole = &s[whole_start..pos];
    let mut fraction = "";
    if pos < b.len() && b[pos] == b'.' {
        pos += 1;
        let f_start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        fraction = &s[f_start..pos];
    }
    let suffix_start = pos;
    while pos < b.len() && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < b.len() && matches!(b[pos], b'-' | b'+') {
        pos += 1;
    }
    while pos < b.len() && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos != b.len() {
        return Err(QuantityError::FormatWrong);
    }
    Ok(Parts {
        positive,
        whole,
        fraction,
        suffix: &s[suffix_start..],
    })
}

/// `(power of ten, power of two, format)` for a suffix.
fn interpret_suffix(suffix: &str) -> Result<(i32, u32, Format), QuantityError> {
    let dec = |e| Ok((e, 0, Format::DecimalSI));
    let bin = |p| Ok((0, p, Format::BinarySI));
    match suffix {
        "" => dec(0),
        "n" => dec(-9),
        "u" => dec(-6),
        "m" => dec(-3),
        "k" => dec(3),
        "M" => dec(6),
        "G" => dec(9),
        "T" => dec(12),
        "P" => dec(15),
        "E" => dec(18),
        "Ki" => bin(10),
        "Mi" => bin(20),
        "Gi" => bin(30),
        "Ti" => bin(40),
        "Pi" => bin(50),
        "Ei" => bin(60),
        s if s.len() > 1 && (s.starts_with('e') || s.starts_with('E')) => {
            let exp: i32 = s[1..].parse().map_err(|_| QuantityError::Suffix)?;
            if exp.abs() > 1000 {
                return Err(QuantityError::Numeric);
            }
            Ok((exp, 0, Format::DecimalExponent))
        }
        _ => Err(QuantityError::Suffix),
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        let s = self.scale.min(other.scale);
        let a = scaled(self.mantissa, self.scale, s);
        let b = scaled(other.mantissa, other.scale, s);
        a.cmp(&b)
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Quantity::parse(s).unwrap().canonical()
    }

    #[test]
    fn canonical_forms_match_kubernetes() {
        for (input, want) in [
            ("100m", "100m"),
            ("0.1", "100m"),
            ("0.5", "500m"),
            ("128Mi", "128Mi"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1000Mi", "1000Mi"),
            ("1000M", "1G"),
            ("1000", "1k"),
            ("1500", "1500"),
            ("1.5k", "1500"),
            ("1e3", "1e3"),
            ("1E6", "1e6"),
            ("500M", "500M"),
            ("10Gi", "10Gi"),
            (".001Ki", "1024m"),
            (".000000000001Ki", "2n"),
            ("3.001n", "4n"),
            ("1.5Gi", "1536Mi"),
            ("1025", "1025"),
            ("0", "0"),
            ("0Mi", "0"),
            ("-100m", "-100m"),
            ("+1", "1"),
            ("1.", "1"),
            ("1.G", "1G"),
            ("100.035k", "100035"),
        ] {
            assert_eq!(canon(input), want, "{input}");
        }
    }

    #[test]
    fn malformed_quantities_are_refused_with_kubernetes_wording() {
        for bad in ["abc", "1.5.5", "", " 1", "1 ", "1+1.0M"] {
            assert_eq!(
                Quantity::parse(bad).unwrap_err(),
                QuantityError::FormatWrong,
                "{bad}"
            );
        }
        for bad in ["0.1mi", "1i", "-3.01e-"] {
            assert_eq!(
                Quantity::parse(bad).unwrap_err(),
                QuantityError::Suffix,
                "{bad}"
            );
        }
        assert_eq!(
            QuantityError::FormatWrong.to_string(),
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
    }

    #[test]
    fn negative_quantities_parse_and_compare_below_zero() {
        let q = Quantity::parse("-1").unwrap();
        assert_eq!(q.sign(), -1);
        assert!(q < Quantity::parse("0").unwrap());
    }

    #[test]
    fn values_round_up_like_kubernetes() {
        assert_eq!(Quantity::parse("100m").unwrap().millis(), 100);
        assert_eq!(Quantity::parse("0.1").unwrap().millis(), 100);
        assert_eq!(Quantity::parse("100m").unwrap().value(), 1);
        assert_eq!(Quantity::parse("1.5").unwrap().value(), 2);
        assert_eq!(Quantity::parse("128Mi").unwrap().value(), 128 * 1024 * 1024);
        assert_eq!(Quantity::parse("500M").unwrap().value(), 500_000_000);
        assert_eq!(Quantity::parse("1e3").unwrap().value(), 1000);
    }

    #[test]
    fn comparison_ignores_notation() {
        assert_eq!(
            Quantity::parse("1k").unwrap(),
            Quantity::parse("1000").unwrap()
        );
        assert_eq!(
            Quantity::parse("0.5").unwrap(),
            Quantity::parse("500m").unwrap()
        );
        assert!(Quantity::parse("600m").unwrap() > Quantity::parse("500m").unwrap());
        assert!(Quantity::parse("1Gi").unwrap() > Quantity::parse("1G").unwrap());
    }

    #[test]
    fn display_and_from_str_round_trip() {
        let q: Quantity = "256Mi".parse().unwrap();
        assert_eq!(q.to_string(), "256Mi");
        assert_eq!(q.format(), Format::BinarySI);
    }
}
