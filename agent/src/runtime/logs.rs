//! `kubectl logs` on Docker: the current or previous instance's output, followed or not,
//! with timestamps, tail and since as the kubelet passes them to the runtime.

use super::{LogOptions, LogStream, RuntimeError};
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures_util::StreamExt;

pub fn stream(docker: &bollard::Docker, container_id: &str, options: &LogOptions) -> LogStream {
    let query = LogsOptions {
        follow: options.follow,
        stdout: true,
        stderr: true,
        since: options
            .since
            .map_or(0, |s| i32::try_from(s).unwrap_or(i32::MAX)),
        // Docker reads any `until` as a deadline, 0 included, and would end a follow at once.
        until: i32::MAX,
        timestamps: options.timestamps,
        tail: options
            .tail
            .map_or_else(|| "all".to_string(), |n| n.to_string()),
    };
    docker
        .logs(container_id, Some(query))
        .map(|chunk| match chunk {
            Ok(
                LogOutput::StdOut { message }
                | LogOutput::StdErr { message }
                | LogOutput::Console { message },
            ) => Ok(message.to_vec()),
            Ok(LogOutput::StdIn { .. }) => Ok(Vec::new()),
            Err(e) => Err(RuntimeError::Docker(e.to_string())),
        })
        .boxed()
}
