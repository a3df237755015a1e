//! Numbers as Go prints them: kubectl's YAML goes JSON (Go's `encoding/json`)
//! → go-yaml, so a float's text is Go's `strconv.FormatFloat(f, 'g', -1, …)`.

use crate::api::go_float;
use serde_json::Number;

/// The YAML text go-yaml writes for a JSON number that Go's `encoding/json`
/// produced: integral values (below 1e21) come back as integers.
pub fn number_text(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 1e21 {
        let integral = format!("{f:.0}");
        if let Ok(i) = integral.parse::<i64>() {
            return i.to_string();
        }
        if let Ok(u) = integral.parse::<u64>() {
            return u.to_string();
        }
    }
    format_g(f, false)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64 or 32)` with go-yaml's spelling
/// of the non-finite values (`.nan`, `.inf`).
pub fn format_g(f: f64, single_precision: bool) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    go_float::format_g(f, single_precision)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_format_switches_to_exponent_like_go() {
        assert_eq!(format_g(1.5, false), "1.5");
        assert_eq!(format_g(0.0001, false), "0.0001");
        assert_eq!(format_g(0.00001, false), "1e-05");
        assert_eq!(format_g(123456.7, false), "123456.7");
        assert_eq!(format_g(1500000.5, false), "1.5000005e+06");
        assert_eq!(format_g(1e21, false), "1e+21");
        assert_eq!(format_g(-2.5e-300, false), "-2.5e-300");
        assert_eq!(format_g(100000.0, false), "100000");
        assert_eq!(format_g(0.1, true), "0.1");
    }

    #[test]
    fn integral_floats_print_as_integers() {
        assert_eq!(number_text(&Number::from_f64(3.0).unwrap()), "3");
        assert_eq!(number_text(&Number::from_f64(-0.0).unwrap()), "0");
        assert_eq!(number_text(&Number::from_f64(1e20).unwrap()), "1e+20");
        assert_eq!(number_text(&Number::from_f64(0.25).unwrap()), "0.25");
        assert_eq!(number_text(&Number::from(u64::MAX)), "18446744073709551615");
        assert_eq!(number_text(&Number::from(-7)), "-7");
    }
}
