//! Version negotiation: the first exchange on every link, whose shape never changes, so an old
//! agent and a new control plane can always tell each other why they cannot talk.

use serde::{Deserialize, Serialize};

/// The protocol version this build speaks best.
pub const PROTOCOL_VERSION: u32 = 1;

/// Every version this build can speak, newest first.
pub const SUPPORTED_VERSIONS: &[u32] = &[PROTOCOL_VERSION];

/// The agent's first message: who it is and which versions it speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hello {
    /// Protocol versions the agent can speak, in any order.
    pub protocol_versions: Vec<u32>,
    /// The agent's build (`kubeplay-agent 0.1.0`), for the page and for bug reports.
    pub agent_version: String,
}

/// The control plane's answer when it found a version both sides speak.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Welcome {
    /// The version every later message on this link follows.
    pub protocol_version: u32,
}

/// The control plane's answer when the link cannot go on; the agent shows `reason` and closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refused {
    pub reason: String,
    /// What the control plane would have spoken, so the user knows which side to upgrade.
    #[serde(default)]
    pub supported_versions: Vec<u32>,
}

/// Picks the newest version both sides speak, or says why there is none.
pub fn negotiate(hello: &Hello, supported: &[u32]) -> Result<Welcome, Refused> {
    supported
        .iter()
        .filter(|v| hello.protocol_versions.contains(v))
        .max()
        .map(|&protocol_version| Welcome { protocol_version })
        .ok_or_else(|| Refused {
            reason: format!(
                "no common protocol version: agent {} speaks {:?}, control plane speaks {:?}",
                hello.agent_version, hello.protocol_versions, supported
            ),
            supported_versions: supported.to_vec(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(versions: &[u32]) -> Hello {
        Hello { protocol_versions: versions.to_vec(), agent_version: "kubeplay-agent 0.1.0".into() }
    }

    #[test]
    fn the_newest_common_version_is_picked() {
        assert_eq!(negotiate(&hello(&[3, 1, 2]), &[1, 2]), Ok(Welcome { protocol_version: 2 }));
    }

    #[test]
    fn no_common_version_is_refused_with_both_lists() {
        let refused = negotiate(&hello(&[7]), &[1]).unwrap_err();
        assert_eq!(refused.supported_versions, vec![1]);
        assert!(refused.reason.contains("[7]") && refused.reason.contains("[1]"), "{}", refused.reason);
    }
}
