//! Container logs as a container runtime keeps them, and the pod `log` subresource
//! that serves them the way the kubelet answers `kubectl logs` (options, errors, text/plain).
//!
//! Runtimes (the simulated kubelet, later the agent) append lines; the API server
//! drops a pod's logs when the pod is removed. `follow=true` answers with what
//! exists now: streaming new lines is left to the hosts.

use super::query::Query;
use super::{ApiError, ApiServer, Response};
use crate::api::validation::field_error::FieldError;
use crate::api::{meta, resources};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Lines kept per container instance, like a runtime's rotated log file.
pub const MAX_LINES_PER_CONTAINER: usize = 10_000;
/// Instances kept per container: the current one and the previous one, as a kubelet keeps.
const INSTANCES_KEPT: usize = 2;

/// One line a container printed, with the time the runtime received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub time: Timestamp,
    pub text: String,
}

/// Every pod's container logs: pod uid → container name → instance (restart count) → lines.
#[derive(Debug, Default)]
pub struct LogStore {
    pods: HashMap<String, BTreeMap<String, BTreeMap<u32, VecDeque<LogLine>>>>,
}

impl LogStore {
    /// Records one line printed by `instance` of `container` in the pod `pod_uid`.
    pub fn append(
        &mut self,
        pod_uid: &str,
        container: &str,
        instance: u32,
        time: Timestamp,
        line: &str,
    ) {
        let instances = self
            .pods
            .entry(pod_uid.to_string())
            .or_default()
            .entry(container.to_string())
            .or_default();
        let lines = instances.entry(instance).or_default();
        if lines.len() == MAX_LINES_PER_CONTAINER {
            lines.pop_front();
        }
        lines.push_back(LogLine {
            time,
            text: line.to_string(),
        });
        while instances.len() > INSTANCES_KEPT {
            instances.pop_first();
        }
    }

    /// Every kept line as (pod uid, container, instance, line), for snapshots.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str, u32, &LogLine)> {
        self.pods.iter().flat_map(|(uid, containers)| {
            containers.iter().flat_map(move |(c, instances)| {
                instances
                    .iter()
                    .flat_map(move |(i, lines)| lines.iter().map(move |l| (uid.as_str(), c.as_str(), *i, l)))
            })
        })
    }

    /// Forgets a pod's logs (the pod is gone from the API).
    pub fn remove_pod(&mut self, pod_uid: &str) {
        self.pods.remove(pod_uid);
    }

    /// The lines of one instance, oldest first (empty when it printed nothing).
    pub fn lines(
        &self,
        pod_uid: &str,
        container: &str,
        instance: u32,
    ) -> impl Iterator<Item = &LogLine> {
        self.instances(pod_uid, container)
            .and_then(|i| i.get(&instance))
            .into_iter()
            .flatten()
    }

    fn instances(
        &self,
        pod_uid: &str,
        container: &str,
    ) -> Option<&BTreeMap<u32, VecDeque<LogLine>>> {
        self.pods.get(pod_uid)?.get(container)
    }

    /// The newest instance at or below `at_most` that printed anything.
    fn newest(&self, pod_uid: &str, container: &str, at_most: u32) -> Option<u32> {
        self.instances(pod_uid, container)?
            .range(..=at_most)
            .next_back()
            .map(|(i, _)| *i)
    }
}

/// `PodLogOptions` from the query string, checked as Kubernetes validates them.
#[derive(Debug, Default, PartialEq)]
struct LogOptions {
    container: Option<String>,
    previous: bool,
    timestamps: bool,
    tail_lines: Option<usize>,
    since: Option<Timestamp>,
    limit_bytes: Option<usize>,
}

impl LogOptions {
    fn parse(query: &Query, pod: &str, now: Timestamp) -> Result<Self, ApiError> {
        let int = |name: &str| -> Result<Option<i64>, ApiError> {
            match query.get(name) {
                None | Some("") => Ok(None),
                Some(v) => v
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| ApiError::bad_request(format!("{name}: invalid value {v:?}"))),
            }
        };
        let mut errors = Vec::new();
        let tail = int("tailLines")?;
        if let Some(t) = tail.filter(|t| *t < 0) {
            errors.push(FieldError::invalid(
                "tailLines",
                t,
                "must be greater than or equal to 0",
            ));
        }
        let since_seconds = int("sinceSeconds")?;
        if let Some(s) = since_seconds.filter(|s| *s < 1) {
            errors.push(FieldError::invalid(
                "sinceSeconds",
                s,
                "must be greater than 0",
            ));
        }
        let limit = int("limitBytes")?;
        if let Some(l) = limit.filter(|l| *l < 1) {
            errors.push(FieldError::invalid(
                "limitBytes",
                l,
                "must be greater than 0",
            ));
        }
        let since_time =
            match query.get("sinceTime") {
                None | Some("") => None,
                Some(v) => Some(v.parse::<Timestamp>().map_err(|_| {
                    ApiError::bad_request(format!("sinceTime: invalid value {v:?}"))
                })?),
            };
        if since_time.is_some() && since_seconds.is_some() {
            errors.push(FieldError::forbidden(
                "",
                "at most one of `sinceTime` or `sinceSeconds` may be specified",
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid("", "PodLogOptions", pod, errors));
        }
        let since = since_time.or_else(|| {
            since_seconds.and_then(|s| now.checked_sub(SignedDuration::from_secs(s)).ok())
        });
        Ok(Self {
            container: query
                .get("container")
                .filter(|c| !c.is_empty())
                .map(str::to_string),
            previous: query.flag("previous"),
            timestamps: query.flag("timestamps"),
            tail_lines: tail.map(|t| usize::try_from(t).unwrap_or(0)),
            since,
            limit_bytes: limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX)),
        })
    }
}

fn names(pod: &Value, field: &str) -> Vec<String> {
    pod.pointer(&format!("/spec/{field}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// Go prints a string slice as `[a b]`.
fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// The container a request means, or Kubernetes' refusal.
fn pick_container(pod: &Value, name: &str, asked: Option<&str>) -> Result<String, ApiError> {
    let containers = names(pod, "containers");
    let init = names(pod, "initContainers");
    match asked {
        Some(c) if containers.iter().chain(&init).any(|n| n == c) => Ok(c.to_string()),
        Some(c) => Err(ApiError::bad_request(format!(
            "container {c} is not valid for pod {name}"
        ))),
        None if containers.len() == 1 => Ok(containers[0].clone()),
        None if containers.is_empty() => Err(ApiError::bad_request(format!(
            "a container name must be specified for pod {name}"
        ))),
        None => {
            let mut message = format!(
                "a container name must be specified for pod {name}, choose one of: {}",
                go_list(&containers)
            );
            if !init.is_empty() {
                message.push_str(&format!(
                    " or one of the init containers: {}",
                    go_list(&init)
                ));
            }
            Err(ApiError::bad_request(message))
        }
    }
}

/// Which instance's log the kubelet would read, from the container's status.
fn pick_instance(
    logs: &LogStore,
    uid: &str,
    pod: &Value,
    container: &str,
    previous: bool,
) -> Result<u32, ApiError> {
    let name = meta::name(pod);
    let status = ["containerStatuses", "initContainerStatuses"]
        .iter()
        .filter_map(|f| {
            pod.pointer(&format!("/status/{f}"))
                .and_then(Value::as_array)
        })
        .flatten()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(container))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "container {container:?} in pod {name:?} is not available"
            ))
        })?;
    let restarts = status
        .get("restartCount")
        .and_then(Value::as_u64)
        .and_then(|r| u32::try_from(r).ok())
        .unwrap_or(0);
    let state = status.get("state").unwrap_or(&Value::Null);
    let has_last = status.pointer("/lastState/terminated").is_some();
    let active = state.get("running").is_some() || state.get("terminated").is_some();
    if previous {
        // While running, the previous instance is the one before; while waiting to
        // restart, the last one to terminate is the newest the runtime holds.
        let before = if active {
            restarts.checked_sub(1)
        } else {
            Some(restarts)
        };
        return match before
            .and_then(|b| logs.newest(uid, container, b))
            .filter(|_| has_last)
        {
            Some(i) => Ok(i),
            None if has_last && before.is_some() => Ok(before.unwrap_or(0)),
            None => Err(ApiError::bad_request(format!(
                "previous terminated container {container:?} in pod {name:?} not found"
            ))),
        };
    }
    if active {
        return Ok(restarts);
    }
    if has_last {
        return Ok(logs.newest(uid, container, restarts).unwrap_or(restarts));
    }
    let reason = state.pointer("/waiting/reason").and_then(Value::as_str);
    Err(ApiError::bad_request(match reason {
        Some("ErrImagePull") => format!("container {container:?} in pod {name:?} is waiting to start: image can't be pulled"),
        Some("ImagePullBackOff") => format!("container {container:?} in pod {name:?} is waiting to start: trying and failing to pull image"),
        Some(r) => format!("container {container:?} in pod {name:?} is waiting to start: {r}"),
        None => format!("container {container:?} in pod {name:?} is waiting to start - no logs yet"),
    }))
}

/// Tail first, then the time filter, then the byte limit, as the kubelet's log reader applies them.
fn render(lines: &[&LogLine], opts: &LogOptions) -> Vec<u8> {
    let start = opts.tail_lines.map_or(0, |t| lines.len().saturating_sub(t));
    let mut out = Vec::new();
    for line in &lines[start..] {
        if opts.since.is_some_and(|s| line.time < s) {
            continue;
        }
        if opts.timestamps {
            out.extend_from_slice(format!("{} ", rfc3339_nano(line.time)).as_bytes());
        }
        out.extend_from_slice(line.text.as_bytes());
        out.push(b'\n');
    }
    if let Some(limit) = opts.limit_bytes {
        out.truncate(limit);
    }
    out
}

/// Go's `time.RFC3339Nano` in UTC: the fraction without trailing zeros, none when whole.
fn rfc3339_nano(t: Timestamp) -> String {
    let whole = t.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.subsec_nanosecond();
    if nanos == 0 {
        format!("{whole}Z")
    } else {
        format!("{whole}.{}Z", format!("{nanos:09}").trim_end_matches('0'))
    }
}

impl ApiServer {
    /// The container logs every runtime writes into.
    pub fn logs(&self) -> &LogStore {
        &self.logs
    }

    pub fn logs_mut(&mut self) -> &mut LogStore {
        &mut self.logs
    }

    /// `GET /api/v1/namespaces/{ns}/pods/{name}/log`.
    pub(super) fn serve_log(
        &self,
        namespace: &str,
        name: &str,
        query: &Query,
        now: Timestamp,
    ) -> Result<Response, ApiError> {
        let res = resources::by_plural("", "v1", "pods").ok_or_else(super::path::not_served)?;
        let pod = self.get(res, namespace, name)?;
        let opts = LogOptions::parse(query, name, now)?;
        let container = pick_container(pod, name, opts.container.as_deref())?;
        let text_plain = |body| Response::Body {
            status: 200,
            content_type: "text/plain",
            body,
            warnings: Vec::new(),
        };
        if pod
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            // Not scheduled: no kubelet to ask, so Kubernetes answers with nothing.
            return Ok(text_plain(Vec::new()));
        }
        let uid = meta::uid(pod);
        let instance = pick_instance(&self.logs, uid, pod, &container, opts.previous)?;
        let lines: Vec<&LogLine> = self.logs.lines(uid, &container, instance).collect();
        Ok(text_plain(render(&lines, &opts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + s).unwrap()
    }

    fn opts(q: &str) -> LogOptions {
        LogOptions::parse(&Query::parse(q), "web", t(100)).unwrap()
    }

    #[test]
    fn a_container_keeps_its_newest_lines_and_two_instances() {
        let mut logs = LogStore::default();
        for i in 0..MAX_LINES_PER_CONTAINER + 5 {
            logs.append("u", "c", 0, t(0), &format!("line {i}"));
        }
        let kept: Vec<_> = logs.lines("u", "c", 0).collect();
        assert_eq!(kept.len(), MAX_LINES_PER_CONTAINER);
        assert_eq!(kept[0].text, "line 5");
        logs.append("u", "c", 1, t(1), "second");
        logs.append("u", "c", 2, t(2), "third");
        assert_eq!(logs.lines("u", "c", 0).count(), 0);
        assert_eq!(logs.newest("u", "c", 5), Some(2));
        logs.remove_pod("u");
        assert_eq!(logs.lines("u", "c", 2).count(), 0);
    }

    #[test]
    fn tail_since_timestamps_and_limit_apply_like_the_kubelet() {
        let lines: Vec<LogLine> = (0..5)
            .map(|i| LogLine {
                time: t(i * 30),
                text: format!("l{i}"),
            })
            .collect();
        let refs: Vec<&LogLine> = lines.iter().collect();
        assert_eq!(render(&refs, &opts("tailLines=2")), b"l3\nl4\n");
        assert_eq!(render(&refs, &opts("sinceSeconds=30")), b"l3\nl4\n");
        assert_eq!(render(&refs, &opts("limitBytes=4")), b"l0\nl");
        assert_eq!(
            render(&refs, &opts("tailLines=1&timestamps=true")),
            b"2026-01-01T00:02:00Z l4\n"
        );
    }

    #[test]
    fn timestamps_print_as_go_rfc3339_nano() {
        let t = t(0).checked_add(SignedDuration::from_millis(120)).unwrap();
        assert_eq!(rfc3339_nano(t), "2026-01-01T00:00:00.12Z");
    }

    #[test]
    fn negative_options_are_invalid_as_kubernetes_words_it() {
        let e = LogOptions::parse(&Query::parse("tailLines=-1"), "web", t(0)).unwrap_err();
        assert_eq!(e.message, "PodLogOptions \"web\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0");
    }
}
