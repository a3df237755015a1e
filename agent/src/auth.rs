//! Who may drive this agent: a connection must present the join token, and a browser must come
//! from an origin the user allowed, so a web page someone happens to open cannot run containers.
//!
//! Browsers cannot set `Authorization` on a WebSocket, so the token is also accepted as a query
//! parameter or as a `Sec-WebSocket-Protocol` entry in Kubernetes' own form
//! (`base64url.bearer.authorization.k8s.io.<base64url token>`). kubectl sends it as its bearer
//! token, over HTTPS (see `kubeplay-agent kubeconfig`). Tokens compare in constant time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use subtle::ConstantTimeEq;
use warp::http::header::{AUTHORIZATION, ORIGIN, SEC_WEBSOCKET_PROTOCOL};
use warp::http::HeaderMap;

/// The subprotocol entry prefix Kubernetes' API server reads bearer tokens from.
pub const TOKEN_SUBPROTOCOL_PREFIX: &str = "base64url.bearer.authorization.k8s.io.";
/// The query parameter that carries the token for clients that can set neither header.
pub const TOKEN_QUERY_PARAMETER: &str = "token";
/// Shortest token accepted from the command line: anything shorter is guessable.
const MIN_TOKEN_LEN: usize = 16;
/// Random bytes in a generated token (256 bits).
const GENERATED_TOKEN_BYTES: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token must be at least {MIN_TOKEN_LEN} characters long (it is {0})")]
    TooShort(usize),
    #[error("the token may only contain letters, digits, '-', '_', '.' and '~' (found {0:?})")]
    BadCharacter(char),
    #[error("could not read random bytes from the operating system for a token: {0}")]
    Random(String),
}

/// The join token; [`Token::matches`] is the only way to compare it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// A fresh token: 256 bits from the OS random number generator, base64url-encoded.
    pub fn generate() -> Result<Self, TokenError> {
        let mut bytes = [0u8; GENERATED_TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| TokenError::Random(e.to_string()))?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A token the user chose. Restricted to URL-unreserved characters so it travels unchanged
    /// in a query string and in a subprotocol header.
    pub fn given(token: &str) -> Result<Self, TokenError> {
        if let Some(bad) = token
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')))
        {
            return Err(TokenError::BadCharacter(bad));
        }
        if token.len() < MIN_TOKEN_LEN {
            return Err(TokenError::TooShort(token.len()));
        }
        Ok(Self(token.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison, so response timing reveals nothing about the token.
    pub fn matches(&self, presented: &str) -> bool {
        bool::from(self.0.as_bytes().ct_eq(presented.as_bytes()))
    }

    /// The `Sec-WebSocket-Protocol` entry a browser offers to present this token.
    #[cfg(test)]
    pub fn as_subprotocol(&self) -> String {
        format!(
            "{TOKEN_SUBPROTOCOL_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(self.0.as_bytes())
        )
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OriginError {
    #[error("--allow-origin {0:?} is not an origin: write scheme://host[:port], e.g. http://127.0.0.1:8080")]
    NotAnOrigin(String),
    #[error("--allow-origin null would let any sandboxed page or local file drive this agent; name the page's real origin")]
    Null,
}

/// The browser origins allowed to connect, normalised as browsers send them.
#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    allowed: Vec<String>,
}

impl OriginPolicy {
    pub fn new<S: AsRef<str>>(origins: &[S]) -> Result<Self, OriginError> {
        let allowed = origins
            .iter()
            .map(|o| {
                let o = o.as_ref();
                if o.trim().eq_ignore_ascii_case("null") {
                    return Err(OriginError::Null);
                }
                normalise_origin(o).ok_or_else(|| OriginError::NotAnOrigin(o.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { allowed })
    }

    pub fn allowed(&self) -> &[String] {
        &self.allowed
    }

    /// A request without an Origin header is not from a browser page and needs only the token.
    pub fn permits(&self, origin: Option<&str>) -> bool {
        match origin {
            None => true,
            Some(origin) => normalise_origin(origin).is_some_and(|o| self.allowed.contains(&o)),
        }
    }
}

/// `scheme://host[:port]` in lower case with the scheme's default port dropped, as browsers
/// serialise an origin; `None` for anything else (paths, queries, `null`).
fn normalise_origin(origin: &str) -> Option<String> {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = origin.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        return None;
    }
    if rest.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let default_port = if scheme == "http" { ":80" } else { ":443" };
    let host = rest.strip_suffix(default_port).unwrap_or(rest);
    Some(format!("{scheme}://{host}"))
}

/// Why a connection was turned away; the HTTP status follows from it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("no token presented (send Authorization: Bearer <token>, a '{TOKEN_SUBPROTOCOL_PREFIX}<token>' subprotocol or ?{TOKEN_QUERY_PARAMETER}=<token>)")]
    MissingToken,
    #[error("the token presented is not this agent's token")]
    WrongToken,
    #[error("origin {0} is not allowed to connect (start the agent with --allow-origin {0} to allow it)")]
    OriginNotAllowed(String),
}

impl Refusal {
    /// 401 for credentials, 403 for a page that may not connect at all.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::MissingToken | Refusal::WrongToken => 401,
            Refusal::OriginNotAllowed(_) => 403,
        }
    }
}

/// What an admitted connection agreed on in its handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// The subprotocol to answer with: a browser that offered any must get one of them back.
    pub subprotocol: Option<String>,
}

/// The check every connection passes before the WebSocket upgrade.
#[derive(Debug, Clone)]
pub struct Gate {
    token: Token,
    origins: OriginPolicy,
}

impl Gate {
    pub fn new(token: Token, origins: OriginPolicy) -> Self {
        Self { token, origins }
    }

    /// The Origin is checked first: a page from a foreign origin learns nothing about tokens.
    pub fn admit(&self, headers: &HeaderMap, raw_query: &str) -> Result<Admitted, Refusal> {
        let origin = headers
            .get(ORIGIN)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        if !self.origins.permits(origin.as_deref()) {
            return Err(Refusal::OriginNotAllowed(origin.unwrap_or_default()));
        }
        let offered = offered_subprotocols(headers);
        let presented = bearer_token(headers)
            .or_else(|| subprotocol_token(&offered))
            .or_else(|| query_token(raw_query));
        match presented {
            None => Err(Refusal::MissingToken),
            Some(t) if !self.token.matches(&t) => Err(Refusal::WrongToken),
            Some(_) => Ok(Admitted {
                subprotocol: chosen_subprotocol(&offered),
            }),
        }
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

fn offered_subprotocols(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn subprotocol_token(offered: &[String]) -> Option<String> {
    let encoded = offered
        .iter()
        .find_map(|p| p.strip_prefix(TOKEN_SUBPROTOCOL_PREFIX))?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')).ok()?;
    String::from_utf8(bytes).ok()
}

/// The first offered subprotocol that is not the token; the token entry itself if it was the
/// only one (browsers fail a handshake whose answer names none of their offers).
fn chosen_subprotocol(offered: &[String]) -> Option<String> {
    offered
        .iter()
        .find(|p| !p.starts_with(TOKEN_SUBPROTOCOL_PREFIX))
        .or_else(|| offered.first())
        .cloned()
}

fn query_token(raw_query: &str) -> Option<String> {
    raw_query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == TOKEN_QUERY_PARAMETER)
        .map(|(_, v)| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::http::HeaderValue;

    const TOKEN: &str = "s3cret-token-0123456789";

    fn gate(origins: &[&str]) -> Gate {
        Gate::new(
            Token::given(TOKEN).unwrap(),
            OriginPolicy::new(origins).unwrap(),
        )
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn generated_tokens_are_long_distinct_and_url_safe() {
        let a = Token::generate().unwrap();
        let b = Token::generate().unwrap();
        assert_eq!(a.as_str().len(), 43);
        assert!(!a.matches(b.as_str()));
        assert!(Token::given(a.as_str()).is_ok());
    }

    #[test]
    fn short_or_unsafe_tokens_from_the_command_line_are_refused() {
        assert_eq!(Token::given("short").unwrap_err(), TokenError::TooShort(5));
        assert_eq!(
            Token::given("has space in it here").unwrap_err(),
            TokenError::BadCharacter(' ')
        );
    }

    #[test]
    fn the_token_never_appears_in_debug_output() {
        assert!(!format!("{:?}", Token::given(TOKEN).unwrap()).contains(TOKEN));
    }

    #[test]
    fn a_bearer_header_with_the_token_is_admitted_without_origin() {
        let h = headers(&[("authorization", &format!("Bearer {TOKEN}"))]);
        assert_eq!(gate(&[]).admit(&h, ""), Ok(Admitted { subprotocol: None }));
    }

    #[test]
    fn basic_auth_is_not_a_way_to_present_the_token() {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("kubeplay:{TOKEN}"));
        let h = headers(&[("authorization", &format!("Basic {encoded}"))]);
        assert_eq!(gate(&[]).admit(&h, "").unwrap_err(), Refusal::MissingToken);
    }

    #[test]
    fn no_token_is_401_and_a_wrong_one_too() {
        assert_eq!(
            gate(&[]).admit(&HeaderMap::new(), "").unwrap_err(),
            Refusal::MissingToken
        );
        let h = headers(&[("authorization", "Bearer s3cret-token-0123456780")]);
        let refusal = gate(&[]).admit(&h, "").unwrap_err();
        assert_eq!(refusal, Refusal::WrongToken);
        assert_eq!(refusal.status(), 401);
    }

    #[test]
    fn a_token_prefix_is_not_the_token() {
        let h = headers(&[("authorization", "Bearer s3cret")]);
        assert_eq!(gate(&[]).admit(&h, "").unwrap_err(), Refusal::WrongToken);
    }

    #[test]
    fn the_token_in_the_query_is_admitted() {
        let q = format!("x=1&token={TOKEN}");
        assert!(gate(&[]).admit(&HeaderMap::new(), &q).is_ok());
    }

    #[test]
    fn a_browser_presents_the_token_as_a_subprotocol_and_gets_its_other_protocol_back() {
        let token = Token::given(TOKEN).unwrap();
        let offer = format!("v1.node.kubeplay.dev, {}", token.as_subprotocol());
        let h = headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("sec-websocket-protocol", &offer),
        ]);
        let admitted = gate(&["http://127.0.0.1:8080"]).admit(&h, "").unwrap();
        assert_eq!(
            admitted.subprotocol.as_deref(),
            Some("v1.node.kubeplay.dev")
        );
    }

    #[test]
    fn a_foreign_origin_is_403_even_with_the_right_token() {
        let h = headers(&[
            ("origin", "https://evil.example"),
            ("authorization", &format!("Bearer {TOKEN}")),
        ]);
        let refusal = gate(&["http://127.0.0.1:8080"]).admit(&h, "").unwrap_err();
        assert_eq!(
            refusal,
            Refusal::OriginNotAllowed("https://evil.example".into())
        );
        assert_eq!(refusal.status(), 403);
    }

    #[test]
    fn origins_compare_as_browsers_serialise_them() {
        let policy =
            OriginPolicy::new(&["HTTP://LocalHost:80/", "https://play.example:8443"]).unwrap();
        assert!(policy.permits(Some("http://localhost")));
        assert!(policy.permits(Some("https://play.example:8443")));
        assert!(!policy.permits(Some("https://play.example")));
        assert!(!policy.permits(Some("null")));
        assert!(policy.permits(None));
    }

    #[test]
    fn allowing_null_or_a_url_with_a_path_is_a_clear_error() {
        assert_eq!(OriginPolicy::new(&["null"]).unwrap_err(), OriginError::Null);
        assert!(matches!(
            OriginPolicy::new(&["http://a.example/page"]).unwrap_err(),
            OriginError::NotAnOrigin(_)
        ));
    }
}
