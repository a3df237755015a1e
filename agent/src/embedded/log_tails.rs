//! Container logs of the local node's pods, followed over the node link into the API's log
//! store, as the page does for its agents' pods: the core's `pods/{name}/log` then answers
//! `kubectl logs` (with `--tail`, `--previous`, `--timestamps`) for real containers exactly as
//! for simulated ones, and the gateway's follow streams their new lines.
//!
//! Each running container instance (pod uid, container, restart count) is followed once;
//! lines the store already holds for it are skipped, so a new link does not repeat them.

use kubeplay_shared::api::{meta, resources};
use kubeplay_shared::node_protocol::{StreamId, StreamOpen};
use kubeplay_shared::{ApiServer, Timestamp};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// One container instance whose log is being followed.
#[derive(Debug)]
struct Tail {
    pod_uid: String,
    container: String,
    instance: u32,
    /// Lines the store already holds for this instance: the agent sends them again.
    skip: usize,
    /// Bytes after the last newline, waiting for the rest of their line.
    partial: Vec<u8>,
}

/// A log to open: its key and the stream request.
pub struct Wanted {
    key: (String, String, u32),
    pub open: StreamOpen,
}

#[derive(Debug, Default)]
pub struct LogTails {
    tails: HashMap<StreamId, Tail>,
    /// Container instances followed (or done) on this link: never followed twice.
    followed: HashSet<(String, String, u32)>,
    /// The store revision the pods were last looked at.
    checked: Option<u64>,
}

impl LogTails {
    /// The running container instances on `node` not followed yet, once per store change.
    pub fn wanted(&mut self, api: &ApiServer, node: &str) -> Vec<Wanted> {
        let revision = api.store().revision();
        if self.checked == Some(revision) {
            return Vec::new();
        }
        self.checked = Some(revision);
        let Some(pods) = resources::by_plural("", "v1", "pods") else {
            return Vec::new();
        };
        let mut wanted = Vec::new();
        for pod in api.list(pods, None) {
            if pod.pointer("/spec/nodeName").and_then(Value::as_str) != Some(node) {
                continue;
            }
            let statuses = pod
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for status in statuses.filter(|s| s.pointer("/state/running").is_some()) {
                let container = status.get("name").and_then(Value::as_str).unwrap_or("");
                let restarts = status.get("restartCount").and_then(Value::as_u64);
                let instance = u32::try_from(restarts.unwrap_or(0)).unwrap_or(u32::MAX);
                let key = (meta::uid(pod).to_string(), container.to_string(), instance);
                if self.followed.contains(&key) {
                    continue;
                }
                wanted.push(Wanted {
                    key,
                    open: StreamOpen::Logs {
                        namespace: meta::namespace(pod).to_string(),
                        pod: meta::name(pod).to_string(),
                        container: container.to_string(),
                        follow: true,
                        tail_lines: None,
                        previous: false,
                        timestamps: false,
                        since_seconds: None,
                    },
                });
            }
        }
        wanted
    }

    /// The log `wanted` is now followed on `stream`.
    pub fn opened(&mut self, api: &ApiServer, stream: StreamId, wanted: Wanted) {
        let (pod_uid, container, instance) = wanted.key;
        let skip = api.logs().lines(&pod_uid, &container, instance).count();
        self.followed
            .insert((pod_uid.clone(), container.clone(), instance));
        self.tails.insert(
            stream,
            Tail {
                pod_uid,
                container,
                instance,
                skip,
                partial: Vec::new(),
            },
        );
    }

    /// Bytes of a followed log; false when `stream` is no log of this link.
    pub fn data(
        &mut self,
        api: &mut ApiServer,
        stream: StreamId,
        data: &[u8],
        now: Timestamp,
    ) -> bool {
        let Some(tail) = self.tails.get_mut(&stream) else {
            return false;
        };
        tail.partial.extend_from_slice(data);
        tail.append_lines(api, false, now);
        true
    }

    /// The log ended (the container stopped): its last unfinished line is kept too.
    pub fn closed(&mut self, api: &mut ApiServer, stream: StreamId, now: Timestamp) -> bool {
        let Some(mut tail) = self.tails.remove(&stream) else {
            return false;
        };
        tail.append_lines(api, true, now);
        true
    }
}

impl Tail {
    /// Moves the complete lines into the store (`all`: the unfinished rest too).
    fn append_lines(&mut self, api: &mut ApiServer, all: bool, now: Timestamp) {
        while let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            self.push(api, &line[..line.len() - 1], now);
        }
        if all && !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.push(api, &line, now);
        }
    }

    fn push(&mut self, api: &mut ApiServer, line: &[u8], now: Timestamp) {
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        let text = String::from_utf8_lossy(line);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        api.logs_mut()
            .append(&self.pod_uid, &self.container, self.instance, now, text);
    }
}
