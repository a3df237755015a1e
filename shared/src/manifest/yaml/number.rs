//! Numbers as Go prints them: kubectl's YAML goes JSON (Go's `encoding/json`)
//! → go-yaml, so a float's text is Go's `strconv.FormatFloat(f, 'g', -1, …)`.

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
/// of the non-finite values.
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
    // Rust's `{:e}` gives the shortest digits that round-trip, as Go's -1
    // precision does; only the layout differs.
    let sci = if single_precision {
        format!("{:e}", f as f32)
    } else {
        format!("{f:e}")
    };
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if !(-4..6).contains(&exponent) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exponent.unsigned_abs()));
    } else {
        let point = exponent + 1;
        if point <= 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat(point.unsigned_abs() as usize));
            out.push_str(&digits);
        } else {
            let point = point as usize;
            if point >= digits.len() {
                out.push_str(&digits);
                out.push_str(&"0".repeat(point - digits.len()));
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
    }
    out
}

/// Go's `%v` of a float inside `json: unsupported value: …`.
pub fn go_float_word(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "+Inf"
    } else {
        "-Inf"
    }
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
