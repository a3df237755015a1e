//! Floats as Go prints them (`strconv.FormatFloat(f, 'g', -1, …)`, which `%v` uses):
//! Kubernetes' error messages and kubectl's YAML both show Go's text, not Rust's.

/// Go's shortest `%g`: the fewest digits that read back as `f`, in exponent
/// form below 1e-4 and from 1e6 on (`1e+06`); `single_precision` rounds to
/// a float32 first. Values that are not finite print as [`non_finite_word`].
pub fn format_g(f: f64, single_precision: bool) -> String {
    if !f.is_finite() {
        return non_finite_word(f).to_string();
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

/// Go's spelling of a float that is not finite: `NaN`, `+Inf` or `-Inf`.
pub fn non_finite_word(f: f64) -> &'static str {
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
    fn shortest_digits_switch_to_exponent_form_like_go() {
        assert_eq!(format_g(1.5, false), "1.5");
        assert_eq!(format_g(1000000.0, false), "1e+06");
        assert_eq!(format_g(0.00001, false), "1e-05");
        assert_eq!(format_g(-0.0, false), "-0");
        assert_eq!(format_g(0.1, true), "0.1");
    }

    #[test]
    fn non_finite_values_use_gos_words() {
        assert_eq!(format_g(f64::NAN, false), "NaN");
        assert_eq!(format_g(f64::INFINITY, false), "+Inf");
        assert_eq!(non_finite_word(f64::NEG_INFINITY), "-Inf");
    }
}
