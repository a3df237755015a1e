//! RFC 3339 timestamps checked as Go's `time.Parse(time.RFC3339, s)` checks them.
//!
//! `metav1.Time` fields reject what Go rejects, with Go's message, so a bad
//! `creationTimestamp` reads the same here as on a real API server.

const LAYOUT: &str = "2006-01-02T15:04:05Z07:00";

/// `Ok` if Go would parse `s`, else Go's error text.
pub(crate) fn check_rfc3339(s: &str) -> Result<(), String> {
    let cannot = |rest: &str, elem: &str| {
        Err(format!(
            "parsing time {s:?} as {LAYOUT:?}: cannot parse {rest:?} as {elem:?}"
        ))
    };
    let out_of_range = |what: &str| Err(format!("parsing time {s:?}: {what} out of range"));

    let mut rest = s;
    let Some((year, r)) = digits(rest, 4, 4) else {
        return cannot(rest, "2006");
    };
    let _ = year;
    rest = r;
    let Some(r) = rest.strip_prefix('-') else {
        return cannot(rest, "-");
    };
    rest = r;
    let Some((month, r)) = digits(rest, 2, 2) else {
        return cannot(rest, "01");
    };
    if !(1..=12).contains(&month) {
        return out_of_range("month");
    }
    rest = r;
    let Some(r) = rest.strip_prefix('-') else {
        return cannot(rest, "-");
    };
    rest = r;
    let Some((day, r)) = digits(rest, 2, 2) else {
        return cannot(rest, "02");
    };
    rest = r;
    let Some(r) = rest.strip_prefix('T') else {
        return cannot(rest, "T");
    };
    rest = r;
    let Some((hour, r)) = digits(rest, 1, 2) else {
        return cannot(rest, "15");
    };
    if hour > 23 {
        return out_of_range("hour");
    }
    rest = r;
    let Some(r) = rest.strip_prefix(':') else {
        return cannot(rest, ":");
    };
    rest = r;
    let Some((minute, r)) = digits(rest, 2, 2) else {
        return cannot(rest, "04");
    };
    if minute > 59 {
        return out_of_range("minute");
    }
    rest = r;
    let Some(r) = rest.strip_prefix(':') else {
        return cannot(rest, ":");
    };
    rest = r;
    let Some((second, r)) = digits(rest, 2, 2) else {
        return cannot(rest, "05");
    };
    if second > 59 {
        return out_of_range("second");
    }
    rest = r;
    // Go accepts a fractional second after the seconds even when the layout has none.
    if let Some(frac) = rest.strip_prefix(['.', ',']) {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n > 0 {
            rest = &frac[n..];
        }
    }
    if let Some(r) = rest.strip_prefix('Z') {
        rest = r;
    } else {
        let zone = rest
            .strip_prefix(['+', '-'])
            .and_then(|r| digits(r, 2, 2))
            .and_then(|(_, r)| r.strip_prefix(':'))
            .and_then(|r| digits(r, 2, 2));
        match zone {
            Some((_, r)) => rest = r,
            None => return cannot(rest, "Z07:00"),
        }
    }
    if !rest.is_empty() {
        return Err(format!("parsing time {s:?}: extra text: {rest:?}"));
    }
    if day == 0 || day > days_in_month(year, month) {
        return out_of_range("day");
    }
    Ok(())
}

/// Reads `min..=max` leading ASCII digits.
fn digits(s: &str, min: usize, max: usize) -> Option<(u32, &str)> {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if n < min {
        return None;
    }
    let value = s[..n].parse().ok()?;
    Some((value, &s[n..]))
}

// `is_multiple_of` needs Rust 1.87; the workspace declares 1.85.
#[allow(clippy::manual_is_multiple_of)]
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_timestamps_pass() {
        for s in [
            "2024-02-29T10:00:00Z",
            "2024-01-01T00:00:00.123Z",
            "2024-01-01T00:00:00+02:00",
        ] {
            assert_eq!(check_rfc3339(s), Ok(()), "{s}");
        }
    }

    #[test]
    fn failures_read_like_go() {
        assert_eq!(
            check_rfc3339("yesterday").unwrap_err(),
            r#"parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006""#
        );
        assert_eq!(
            check_rfc3339("2024-01-01 10:00:00Z").unwrap_err(),
            r#"parsing time "2024-01-01 10:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 10:00:00Z" as "T""#
        );
        assert_eq!(
            check_rfc3339("2024-13-01T00:00:00Z").unwrap_err(),
            r#"parsing time "2024-13-01T00:00:00Z": month out of range"#
        );
        assert_eq!(
            check_rfc3339("2023-02-29T00:00:00Z").unwrap_err(),
            r#"parsing time "2023-02-29T00:00:00Z": day out of range"#
        );
        assert_eq!(
            check_rfc3339("2024-01-01T00:00:00").unwrap_err(),
            r#"parsing time "2024-01-01T00:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00""#
        );
    }
}
