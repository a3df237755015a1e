//! Following a container's log through the API, as `kubectl logs -f` sees a kubelet stream it.
//! Both followers use it: the terminal's kubectl, which polls, and the agent's kube API gateway,
//! which streams to the real kubectl.
//!
//! - A [`LogCursor`] is a place in time, not a line count: each read asks for the log from the
//!   last line's time on (`timestamps=true&sinceTime=`), so a log at its length cap (old lines
//!   dropping off the front) still yields its new lines, and a read returns only a few lines.
//! - A [`ContainerInstance`] is the run of the container the follow began on. As with a
//!   kubelet, a follow ends after that instance's last lines once it stops running: it exited,
//!   or a restart replaced it (the last read then asks for the `previous` log, so the new
//!   instance's lines are not mixed in).

use jiff::Timestamp;
use serde_json::Value;

/// Where a follow is in the log: the time of the last line known, and how many lines of that
/// very time are known (several lines may share one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogCursor {
    last: Option<Timestamp>,
    known: usize,
}

impl LogCursor {
    /// The time the next read starts from (inclusive); `None` reads the whole log.
    pub fn since(&self) -> Option<Timestamp> {
        self.last
    }

    /// The new lines of a timestamped read (which starts at the cursor's time or earlier), with
    /// their timestamps only if `timestamps`; moves the cursor past them.
    pub fn advance(&mut self, read: &str, timestamps: bool) -> String {
        let (old_last, old_known) = (self.last, self.known);
        let mut seen_at_old = 0;
        let mut new = String::new();
        for line in read.lines() {
            let Some((time, text)) = line
                .split_once(' ')
                .and_then(|(t, text)| Some((t.parse::<Timestamp>().ok()?, text)))
            else {
                continue;
            };
            if let Some(old) = old_last {
                if time < old {
                    continue;
                }
                if time == old {
                    seen_at_old += 1;
                    if seen_at_old <= old_known {
                        continue;
                    }
                }
            }
            if self.last == Some(time) {
                self.known += 1;
            } else {
                self.last = Some(time);
                self.known = 1;
            }
            new.push_str(if timestamps { line } else { text });
            new.push('\n');
        }
        new
    }

    /// The query options of the next read: `kept` (the container, say), then timestamps, the
    /// cursor's time and, for a replaced instance's last read, `previous`.
    pub fn read_query(&self, kept: &[String], previous: bool) -> String {
        let mut query = kept.to_vec();
        query.push("timestamps=true".into());
        if let Some(since) = self.last {
            query.push(format!("sinceTime={since}"));
        }
        if previous {
            query.push("previous=true".into());
        }
        query.join("&")
    }
}

/// How a followed instance ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowEnd {
    /// It is not running any more (or its pod or status is gone): its log is the current one.
    Stopped,
    /// A restart replaced it: its log is now the `previous` one.
    Replaced,
}

/// One run of a container: what tells a restart from the same process going on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInstance {
    id: Option<String>,
    restarts: u64,
    running: bool,
}

impl ContainerInstance {
    /// The current instance of `container` in `pod` (its first container when `None`, as the
    /// API server defaults a log request).
    pub fn of(pod: &Value, container: Option<&str>) -> Option<ContainerInstance> {
        let name = match container {
            Some(name) => name,
            None => pod.pointer("/spec/containers/0/name")?.as_str()?,
        };
        let status = ["containerStatuses", "initContainerStatuses"]
            .iter()
            .filter_map(|list| pod.pointer(&format!("/status/{list}"))?.as_array())
            .flatten()
            .find(|s| s["name"] == name)?;
        Some(ContainerInstance {
            id: status["containerID"].as_str().map(str::to_string),
            restarts: status["restartCount"].as_u64().unwrap_or(0),
            running: status.pointer("/state/running").is_some_and(Value::is_object),
        })
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Whether the follow of this instance is over, seen from the container's instance `now`.
    pub fn ended(&self, now: Option<&ContainerInstance>) -> Option<FollowEnd> {
        match now {
            Some(now) if now.id == self.id && now.restarts == self.restarts => {
                (!now.running).then_some(FollowEnd::Stopped)
            }
            Some(_) => Some(FollowEnd::Replaced),
            None => Some(FollowEnd::Stopped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_cursor_passes_lines_it_knows_and_keeps_timestamps_only_when_asked() {
        let mut cursor = LogCursor::default();
        let first = "2027-01-15T08:00:00Z a\n2027-01-15T08:00:01.5Z b\n";
        assert_eq!(cursor.advance(first, false), "a\nb\n");
        // Read again from b's time: b is known, c shares its time, d is later.
        let again = "2027-01-15T08:00:01.5Z b\n2027-01-15T08:00:01.5Z c\n2027-01-15T08:00:02Z d\n";
        assert_eq!(
            cursor.advance(again, true),
            "2027-01-15T08:00:01.5Z c\n2027-01-15T08:00:02Z d\n"
        );
        assert_eq!(cursor.advance(again, false), "", "nothing twice");
        assert_eq!(
            cursor.read_query(&["container=app".into()], true),
            "container=app&timestamps=true&sinceTime=2027-01-15T08:00:02Z&previous=true"
        );
    }

    fn pod(id: &str, restarts: u64, state: Value) -> Value {
        json!({"spec": {"containers": [{"name": "app"}, {"name": "side"}]},
            "status": {"containerStatuses": [
                {"name": "side", "restartCount": 0, "containerID": "docker://s", "state": {"running": {}}},
                {"name": "app", "restartCount": restarts, "containerID": id, "state": state}]}})
    }

    #[test]
    fn an_instance_ends_when_it_stops_running_or_is_replaced() {
        let running = pod("docker://a", 0, json!({"running": {"startedAt": "2027-01-15T08:00:00Z"}}));
        let followed = ContainerInstance::of(&running, None).unwrap();
        assert!(followed.is_running(), "the first container by default");
        assert_eq!(followed.ended(ContainerInstance::of(&running, Some("app")).as_ref()), None);
        let exited = pod("docker://a", 0, json!({"terminated": {"exitCode": 1}}));
        assert_eq!(followed.ended(ContainerInstance::of(&exited, None).as_ref()), Some(FollowEnd::Stopped));
        let restarted = pod("docker://b", 1, json!({"running": {}}));
        assert_eq!(followed.ended(ContainerInstance::of(&restarted, None).as_ref()), Some(FollowEnd::Replaced));
        assert_eq!(followed.ended(None), Some(FollowEnd::Stopped), "the pod is gone");
        assert!(ContainerInstance::of(&running, Some("nope")).is_none());
    }
}
