//! Query-string parameters of a request (`labelSelector`, `watch`, `limit`, …).

/// Decoded `key=value` pairs, in order.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: &str) -> Self {
        let pairs = raw
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        Self { pairs }
    }

    /// The first value given for `name`, as Go's `url.Values.Get` takes it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A boolean parameter: `true`/`1` (any case) is true, as Kubernetes parses them.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
    }

    /// Every value given for `name` (`dryRun=All&dryRun=All`).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// `%XX` escapes and `+` as space, as HTML forms and Go's query parser decode them.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_selectors_as_kubectl_sends_them() {
        let q = Query::parse("labelSelector=app%3Dmy-api%2Ctier+in+%28a%2Cb%29&watch=1&limit=500");
        assert_eq!(q.get("labelSelector"), Some("app=my-api,tier in (a,b)"));
        assert!(q.flag("watch"));
        assert_eq!(q.get("limit"), Some("500"));
        assert_eq!(q.get("missing"), None);
    }

    #[test]
    fn malformed_escapes_are_kept_literally() {
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
