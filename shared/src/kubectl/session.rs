//! The terminal's kubeconfig: contexts, the current one and each context's
//! namespace, as `kubectl config` shows and changes them. Both contexts reach
//! the same in-page cluster, under the names a playground user would meet.

use super::client::{CmdError, CmdResult};
use super::discovery::Discovery;
use super::tabwriter;

/// One kubeconfig context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub name: String,
    pub cluster: String,
    pub user: String,
    /// Empty means `default`.
    pub namespace: String,
}

/// kubectl's state between commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub contexts: Vec<Context>,
    pub current: String,
    /// Discovery, cached as kubectl caches it.
    pub(crate) discovery: Option<Discovery>,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// The playground's kubeconfig: `kubeplay` (current) and `kind-kubeplay`.
    pub fn new() -> Self {
        let context = |name: &str| Context { name: name.into(), cluster: name.into(), user: name.into(), namespace: String::new() };
        Self { contexts: vec![context("kubeplay"), context("kind-kubeplay")], current: "kubeplay".into(), discovery: None }
    }

    pub fn current_context(&self) -> Option<&Context> {
        self.contexts.iter().find(|c| c.name == self.current)
    }

    /// The namespace commands use without `-n`.
    pub fn namespace(&self) -> String {
        match self.current_context() {
            Some(c) if !c.namespace.is_empty() => c.namespace.clone(),
            _ => "default".into(),
        }
    }

    /// Forgets cached discovery (after the API may have changed).
    pub fn invalidate_discovery(&mut self) {
        self.discovery = None;
    }

    pub fn get_contexts(&self, only: Option<&str>, name_only: bool) -> CmdResult<String> {
        if let Some(n) = only {
            if !self.contexts.iter().any(|c| c.name == n) {
                return Err(CmdError::usage(format!("context {n} not found")));
            }
        }
        let chosen = self.contexts.iter().filter(|c| only.is_none_or(|n| n == c.name));
        if name_only {
            return Ok(chosen.map(|c| format!("{}\n", c.name)).collect());
        }
        let mut t = String::from("CURRENT\tNAME\tCLUSTER\tAUTHINFO\tNAMESPACE\n");
        for c in chosen {
            let mark = if c.name == self.current { "*" } else { "" };
            t.push_str(&format!("{mark}\t{}\t{}\t{}\t{}\n", c.name, c.cluster, c.user, c.namespace));
        }
        Ok(tabwriter::align(&t, tabwriter::GET))
    }

    pub fn use_context(&mut self, name: &str) -> CmdResult<String> {
        if !self.contexts.iter().any(|c| c.name == name) {
            return Err(CmdError::usage(format!("no context exists with the name: \"{name}\"")));
        }
        self.current = name.to_string();
        Ok(format!("Switched to context \"{name}\".\n"))
    }

    /// `config set-context [name|--current] --namespace=x`.
    pub fn set_context_namespace(&mut self, name: Option<&str>, namespace: Option<&str>) -> CmdResult<String> {
        let name = name.unwrap_or(&self.current).to_string();
        match self.contexts.iter_mut().find(|c| c.name == name) {
            Some(c) => {
                if let Some(ns) = namespace {
                    c.namespace = ns.to_string();
                }
                Ok(format!("Context \"{name}\" modified.\n"))
            }
            None => {
                let c = Context { name: name.clone(), cluster: self.current.clone(), user: self.current.clone(), namespace: namespace.unwrap_or("").into() };
                self.contexts.push(c);
                Ok(format!("Context \"{name}\" created.\n"))
            }
        }
    }

    /// `config view`, with credentials redacted as kubectl redacts them.
    pub fn view(&self, minify: bool) -> String {
        let shown: Vec<&Context> = self.contexts.iter().filter(|c| !minify || c.name == self.current).collect();
        let mut clusters: Vec<&str> = shown.iter().map(|c| c.cluster.as_str()).collect();
        clusters.dedup();
        let mut out = String::from("apiVersion: v1\nclusters:\n");
        for c in &clusters {
            out.push_str(&format!("- cluster:\n    certificate-authority-data: DATA+OMITTED\n    server: https://127.0.0.1:6443\n  name: {c}\n"));
        }
        out.push_str("contexts:\n");
        for c in &shown {
            out.push_str(&format!("- context:\n    cluster: {}\n", c.cluster));
            if !c.namespace.is_empty() {
                out.push_str(&format!("    namespace: {}\n", c.namespace));
            }
            out.push_str(&format!("    user: {}\n  name: {}\n", c.user, c.name));
        }
        out.push_str(&format!("current-context: {}\nkind: Config\npreferences: {{}}\nusers:\n", self.current));
        for c in &shown {
            out.push_str(&format!("- name: {}\n  user:\n    client-certificate-data: DATA+OMITTED\n    client-key-data: DATA+OMITTED\n", c.user));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_contexts_marks_the_current_one() {
        let s = Session::new();
        assert_eq!(
            s.get_contexts(None, false).unwrap(),
            "CURRENT   NAME            CLUSTER         AUTHINFO        NAMESPACE\n*         kubeplay        kubeplay        kubeplay        \n          kind-kubeplay   kind-kubeplay   kind-kubeplay   \n"
        );
    }

    #[test]
    fn use_context_switches_and_refuses_unknown_names() {
        let mut s = Session::new();
        assert_eq!(s.use_context("kind-kubeplay").unwrap(), "Switched to context \"kind-kubeplay\".\n");
        assert_eq!(s.current, "kind-kubeplay");
        assert_eq!(s.use_context("my-cluster").unwrap_err().to_string(), "error: no context exists with the name: \"my-cluster\"");
    }

    #[test]
    fn each_context_keeps_its_namespace() {
        let mut s = Session::new();
        s.set_context_namespace(None, Some("production")).unwrap();
        assert_eq!(s.namespace(), "production");
        s.use_context("kind-kubeplay").unwrap();
        assert_eq!(s.namespace(), "default");
    }
}
