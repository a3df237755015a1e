//! `kubectl exec` and `kubectl attach` on Docker: an exec instance attached to the container,
//! or the container's own process attached to, its TTY resizable; an exec's exit code is
//! readable once the output ends.

use super::RuntimeError;
use std::time::Duration;

/// How many times, and how far apart, an ended exec's exit code is asked for (a second in all).
const EXIT_CODE_POLLS: u32 = 50;
const EXIT_CODE_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// The handle of a running exec (or attach) that stays with the caller while stdin and output
/// move to their own tasks.
#[derive(Clone)]
pub struct ExecControl {
    docker: bollard::Docker,
    process: Process,
}

/// Which process a session is attached to; its TTY is resized differently.
#[derive(Clone)]
enum Process {
    Exec(String),
    /// A container's main process (`kubectl attach`).
    Container(String),
}

impl ExecControl {
    /// Sets the TTY size (only meaningful for sessions with a TTY).
    pub async fn resize(&self, cols: u16, rows: u16) -> Result<(), RuntimeError> {
        let (h, w) = (i32::from(rows), i32::from(cols));
        match &self.process {
            Process::Exec(id) => {
                let options = bollard::query_parameters::ResizeExecOptions { h, w };
                self.docker.resize_exec(id, options).await
            }
            Process::Container(id) => {
                let options = bollard::query_parameters::ResizeContainerTTYOptions { h, w };
                self.docker.resize_container_tty(id, options).await
            }
        }
        .map_err(|e| RuntimeError::Docker(e.to_string()))
    }

    /// The command's exit code, `None` while it is still running (always `None` for an
    /// attach, whose process is the container's: its end is the kubelet's to report).
    pub async fn exit_code(&self) -> Result<Option<i64>, RuntimeError> {
        let Process::Exec(exec_id) = &self.process else {
            return Ok(None);
        };
        let inspect = self
            .docker
            .inspect_exec(exec_id)
            .await
            .map_err(|e| RuntimeError::Docker(e.to_string()))?;
        Ok(if inspect.running == Some(true) {
            None
        } else {
            inspect.exit_code
        })
    }

    /// The command's exit code once its output ended: Docker records it a moment after the
    /// output ends, so this asks again for a while. `None` if it never showed.
    pub async fn exit_code_after_output(&self) -> Result<Option<i64>, RuntimeError> {
        for _ in 0..EXIT_CODE_POLLS {
            if let Some(code) = self.exit_code().await? {
                return Ok(Some(code));
            }
            tokio::time::sleep(EXIT_CODE_POLL_INTERVAL).await;
        }
        Ok(None)
    }
}

/// Starts `command` in the container `container_id`, attached.
pub async fn start(
    docker: &bollard::Docker,
    container_id: &str,
    command: Vec<String>,
    tty: bool,
    stdin: bool,
) -> Result<super::ExecSession, RuntimeError> {
    let docker_err = |e: bollard::errors::Error| RuntimeError::Docker(e.to_string());
    let config = bollard::exec::CreateExecOptions {
        cmd: Some(command),
        attach_stdin: Some(stdin),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(tty),
        ..Default::default()
    };
    let exec = docker
        .create_exec(container_id, config)
        .await
        .map_err(docker_err)?;
    let started = docker
        .start_exec(&exec.id, None)
        .await
        .map_err(docker_err)?;
    let bollard::exec::StartExecResults::Attached { output, input } = started else {
        return Err(RuntimeError::Docker("exec started detached".into()));
    };
    Ok(super::ExecSession {
        stdin: stdin.then_some(input),
        output: outputs(output),
        control: ExecControl {
            docker: docker.clone(),
            process: Process::Exec(exec.id),
        },
    })
}

/// Attaches to the main process of the container `container_id`: its output from now on and,
/// with `stdin`, its stdin. Dropping the session detaches; the container keeps running.
pub async fn attach(
    docker: &bollard::Docker,
    container_id: &str,
    stdin: bool,
    stdout: bool,
    stderr: bool,
) -> Result<super::ExecSession, RuntimeError> {
    let options = bollard::query_parameters::AttachContainerOptions {
        stream: true,
        stdin,
        stdout,
        stderr,
        ..Default::default()
    };
    let attached = docker
        .attach_container(container_id, Some(options))
        .await
        .map_err(|e| RuntimeError::Docker(e.to_string()))?;
    Ok(super::ExecSession {
        stdin: stdin.then_some(attached.input),
        output: outputs(attached.output),
        control: ExecControl {
            docker: docker.clone(),
            process: Process::Container(container_id.to_string()),
        },
    })
}

/// Docker's multiplexed output as stdout and stderr chunks (a TTY's console is stdout).
fn outputs(
    output: std::pin::Pin<
        Box<
            dyn futures_util::Stream<
                    Item = Result<bollard::container::LogOutput, bollard::errors::Error>,
                > + Send,
        >,
    >,
) -> futures_util::stream::BoxStream<'static, Result<super::ExecOutput, RuntimeError>> {
    use futures_util::StreamExt;
    output
        .filter_map(|chunk| async move {
            match chunk {
                Ok(bollard::container::LogOutput::StdErr { message }) => {
                    Some(Ok(super::ExecOutput::Stderr(message.to_vec())))
                }
                Ok(
                    bollard::container::LogOutput::StdOut { message }
                    | bollard::container::LogOutput::Console { message },
                ) => Some(Ok(super::ExecOutput::Stdout(message.to_vec()))),
                Ok(bollard::container::LogOutput::StdIn { .. }) => None,
                Err(e) => Some(Err(RuntimeError::Docker(e.to_string()))),
            }
        })
        .boxed()
}
