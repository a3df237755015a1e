//! A control plane's relay key: the secret one agent presents to another agent's relay to reach
//! a pod there. The relay listens on every interface, so it must tell the cluster's own agents
//! from anyone else on the LAN; every agent of a cluster learns the key in `registered`, over
//! a link its join token already admitted, and a relay serves only holders of a key one of its
//! live links gave it.
//!
//! The key is made at the edges (the page, the agent's embedded control plane, the tests'
//! harness) from the platform's random source and handed to the link as configuration: this
//! crate does no I/O. On the wire it is 64 lowercase hex digits.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes of a key: 256 bits, beyond guessing.
pub const RELAY_KEY_BYTES: usize = 32;

/// The key; `Debug` never shows it, so a logged `Target` or config does not leak it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelayKey([u8; RELAY_KEY_BYTES]);

/// Why text is not a relay key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a relay key is {} hex digits", RELAY_KEY_BYTES * 2)]
pub struct BadRelayKey;

impl RelayKey {
    /// A key from random bytes the host drew.
    pub fn from_bytes(bytes: [u8; RELAY_KEY_BYTES]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; RELAY_KEY_BYTES] {
        &self.0
    }

    /// The key as it travels: lowercase hex.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(RELAY_KEY_BYTES * 2);
        for b in self.0 {
            text.push(char::from(DIGITS[usize::from(b >> 4)]));
            text.push(char::from(DIGITS[usize::from(b & 0xf)]));
        }
        text
    }

    /// Reads [`RelayKey::to_hex`]'s form (either case).
    pub fn from_hex(text: &str) -> Result<Self, BadRelayKey> {
        let digits = text.as_bytes();
        if digits.len() != RELAY_KEY_BYTES * 2 {
            return Err(BadRelayKey);
        }
        let mut bytes = [0u8; RELAY_KEY_BYTES];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
        }
        Ok(Self(bytes))
    }
}

fn nibble(digit: u8) -> Result<u8, BadRelayKey> {
    match digit {
        b'0'..=b'9' => Ok(digit - b'0'),
        b'a'..=b'f' => Ok(digit - b'a' + 10),
        b'A'..=b'F' => Ok(digit - b'A' + 10),
        _ => Err(BadRelayKey),
    }
}

impl std::fmt::Debug for RelayKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RelayKey(..)")
    }
}

impl Serialize for RelayKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for RelayKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_travels_as_hex_and_reads_back() {
        let mut bytes = [0u8; RELAY_KEY_BYTES];
        bytes[0] = 0xab;
        bytes[31] = 0x07;
        let key = RelayKey::from_bytes(bytes);
        let hex = key.to_hex();
        assert_eq!(hex.len(), 64);
        assert!(hex.starts_with("ab00") && hex.ends_with("0007"), "{hex}");
        assert_eq!(RelayKey::from_hex(&hex), Ok(key));
        assert_eq!(RelayKey::from_hex(&hex.to_uppercase()), Ok(key));
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, format!("\"{hex}\""));
        assert_eq!(serde_json::from_str::<RelayKey>(&json).unwrap(), key);
    }

    #[test]
    fn anything_but_64_hex_digits_is_refused() {
        assert_eq!(RelayKey::from_hex(""), Err(BadRelayKey));
        assert_eq!(RelayKey::from_hex(&"0".repeat(63)), Err(BadRelayKey));
        assert_eq!(RelayKey::from_hex(&"0".repeat(65)), Err(BadRelayKey));
        assert_eq!(
            RelayKey::from_hex(&format!("{}g", "0".repeat(63))),
            Err(BadRelayKey)
        );
        assert_eq!(
            RelayKey::from_hex(&format!("{}é", "0".repeat(62))),
            Err(BadRelayKey)
        );
        assert!(serde_json::from_str::<RelayKey>("\"secret\"").is_err());
    }

    #[test]
    fn debug_output_hides_the_key() {
        let key = RelayKey::from_bytes([0x5a; RELAY_KEY_BYTES]);
        assert_eq!(format!("{key:?}"), "RelayKey(..)");
        assert!(!format!("{:?}", Some(key)).contains("5a"));
    }
}
