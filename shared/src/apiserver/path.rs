//! Request paths: which API endpoint a URL names.

use super::ApiError;
use crate::api::resources::{self, Resource};

/// What a request path addresses.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    Version,
    /// `/api`: the core group's versions.
    CoreVersions,
    /// `/apis`: every named group.
    Groups,
    /// `/api/v1` or `/apis/apps/v1`: the resources of one group version.
    ResourceList { group: String, version: String },
    Resource(ResourcePath),
}

/// A path under a resource: collection, object, or object subresource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourcePath {
    pub resource: &'static Resource,
    /// The namespace in the URL; `None` for cluster-scoped resources and for
    /// lists across all namespaces.
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    /// The legacy `/watch/` path prefix was used.
    pub watch: bool,
}

/// Kubernetes' answer for a path it does not serve.
pub fn not_served() -> ApiError {
    ApiError::new(super::Reason::NotFound, "the server could not find the requested resource")
}

pub fn parse(path: &str) -> Result<Route, ApiError> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let (group, version, rest) = match segs.as_slice() {
        ["version"] => return Ok(Route::Version),
        ["api"] => return Ok(Route::CoreVersions),
        ["apis"] => return Ok(Route::Groups),
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Err(not_served()),
    };
    if rest.is_empty() {
        return if resources::RESOURCES.iter().any(|r| r.group == group && r.version == version) {
            Ok(Route::ResourceList { group: group.into(), version: version.into() })
        } else {
            Err(not_served())
        };
    }
    let (watch, rest) = match rest {
        ["watch", rest @ ..] => (true, rest),
        _ => (false, rest),
    };
    let lookup = |plural: &str| resources::by_plural(group, version, plural).ok_or_else(not_served);
    let path = match rest {
        // `/namespaces/{ns}/{plural}...` addresses namespaced resources, except
        // that `/namespaces/{name}/{sub}` is a subresource of the Namespace itself.
        ["namespaces", ns, plural, tail @ ..] if group.is_empty() && matches!(*plural, "status" | "finalize") && tail.is_empty() => {
            ResourcePath {
                resource: lookup("namespaces")?,
                namespace: None,
                name: Some((*ns).into()),
                subresource: Some((*plural).into()),
                watch,
            }
        }
        ["namespaces", ns, plural, tail @ ..] => {
            let resource = lookup(plural)?;
            if !resource.namespaced {
                return Err(not_served());
            }
            named(resource, Some((*ns).into()), tail, watch)?
        }
        [plural, tail @ ..] => named(lookup(plural)?, None, tail, watch)?,
        [] => return Err(not_served()),
    };
    if let Some(sub) = &path.subresource {
        if !path.resource.has_subresource(sub) {
            return Err(not_served());
        }
    }
    Ok(Route::Resource(path))
}

fn named(resource: &'static Resource, namespace: Option<String>, tail: &[&str], watch: bool) -> Result<ResourcePath, ApiError> {
    let (name, subresource) = match tail {
        [] => (None, None),
        [name] => (Some((*name).to_string()), None),
        [name, sub] => (Some((*name).to_string()), Some((*sub).to_string())),
        _ => return Err(not_served()),
    };
    Ok(ResourcePath { resource, namespace, name, subresource, watch })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(path: &str) -> ResourcePath {
        match parse(path).unwrap() {
            Route::Resource(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn namespaced_object_and_subresource() {
        let r = res("/apis/apps/v1/namespaces/default/deployments/my-api/scale");
        assert_eq!(r.resource.kind, "Deployment");
        assert_eq!(r.namespace.as_deref(), Some("default"));
        assert_eq!(r.name.as_deref(), Some("my-api"));
        assert_eq!(r.subresource.as_deref(), Some("scale"));
    }

    #[test]
    fn all_namespaces_list_and_cluster_scoped_objects() {
        let r = res("/api/v1/pods");
        assert_eq!((r.resource.kind, r.namespace, r.name), ("Pod", None, None));
        let r = res("/api/v1/namespaces/kube-system");
        assert_eq!((r.resource.kind, r.name.as_deref()), ("Namespace", Some("kube-system")));
        let r = res("/api/v1/namespaces/dev/finalize");
        assert_eq!((r.name.as_deref(), r.subresource.as_deref()), (Some("dev"), Some("finalize")));
    }

    #[test]
    fn legacy_watch_prefix() {
        let r = res("/api/v1/watch/namespaces/default/pods");
        assert!(r.watch);
        assert_eq!(r.resource.plural, "pods");
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for p in ["/api/v1/namespaces/default/widgets", "/apis/apps/v2/deployments", "/foo", "/api/v1/pods/a/b/c", "/api/v1/pods/a/scale"] {
            assert_eq!(parse(p).unwrap_err().reason, crate::apiserver::Reason::NotFound, "{p}");
        }
    }

    #[test]
    fn discovery_paths() {
        assert_eq!(parse("/api").unwrap(), Route::CoreVersions);
        assert_eq!(parse("/apis/apps/v1").unwrap(), Route::ResourceList { group: "apps".into(), version: "v1".into() });
    }
}
