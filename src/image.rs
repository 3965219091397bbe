//! Docker/OCI image references and the patterns that pick sidecar images out of them.
//!
//! Both sides are normalized the way `distribution/reference` does it (`nginx` is `docker.io/library/nginx`,
//! `index.docker.io` is `docker.io`), so that a pattern written the short way matches an image written the long way
//! and the other way round. Registries are compared as whole path components: `docker.io/istio/proxyv2` never
//! matches `docker.io.evil.com/istio/proxyv2`.
//!
//! Hand-written rather than `oci_spec::distribution::Reference`: that parser is built on the `regex` crate, which
//! alone would take most of the module's size budget (see BENCHMARKS.md), and it cannot parse glob patterns anyway,
//! so the pattern side would need its own normalizer regardless. The grammar below is the one of
//! `distribution/reference` (`reference.go`), restricted to what the policy needs to tell repositories apart.

use std::fmt;

use thiserror::Error;
use wildmatch::WildMatch;

const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_LEGACY: &str = "index.docker.io";
const OFFICIAL_REPOSITORY_PREFIX: &str = "library/";
/// `distribution/reference` limits the whole name (registry and path) to 255 characters.
const MAX_NAME_LENGTH: usize = 255;
const MAX_TAG_LENGTH: usize = 128;

/// Why an image reference or pattern could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReferenceError {
    /// Nothing was written.
    #[error("it is empty")]
    Empty,
    /// Only a tag or digest was written.
    #[error("the repository name is empty")]
    EmptyName,
    /// Registries refuse longer names.
    #[error("the name is longer than {MAX_NAME_LENGTH} characters")]
    NameTooLong,
    /// The first component looks like a host but is not one.
    #[error("'{0}' is not a valid registry host")]
    InvalidRegistry(String),
    /// A path component breaks the repository grammar.
    #[error("path component '{0}' must be lowercase letters, digits and single separators (., _, __, -)")]
    InvalidPathComponent(String),
    /// The tag breaks the tag grammar.
    #[error("tag '{0}' must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'")]
    InvalidTag(String),
    /// The digest is not `ALGORITHM:HEX`.
    #[error("digest '{0}' must be ALGORITHM:HEX (sha256 takes 64 lowercase hex digits)")]
    InvalidDigest(String),
}

/// A container image, normalized: `registry/path`, with the tag and digest it was written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReference {
    name: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl ImageReference {
    /// Reads an image as the kubelet would pull it.
    pub fn parse(image: &str) -> Result<Self, ReferenceError> {
        let parts = split_reference(image, Syntax::Image)?;
        Ok(Self {
            name: normalize_name(parts.name, Syntax::Image)?,
            tag: parts.tag.map(str::to_owned),
            digest: parts.digest.map(str::to_owned),
        })
    }

    /// The tag that is pulled: the written one, or `latest` when neither a tag nor a digest is given.
    fn effective_tag(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(tag), _) => Some(tag),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }
}

impl fmt::Display for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// One entry of `sidecarImages`: a repository (glob allowed), optionally narrowed by a tag (glob allowed) or a digest.
#[derive(Debug, Clone)]
pub struct ImagePattern {
    name: TextPattern,
    tag: Option<TextPattern>,
    digest: Option<String>,
}

impl ImagePattern {
    /// Reads a pattern as written in `sidecarImages`; globs are allowed in every part but the digest.
    pub fn parse(pattern: &str) -> Result<Self, ReferenceError> {
        let parts = split_reference(pattern, Syntax::Pattern)?;
        Ok(Self {
            name: TextPattern::new(normalize_name(parts.name, Syntax::Pattern)?),
            tag: parts.tag.map(|tag| TextPattern::new(tag.to_owned())),
            digest: parts.digest.map(str::to_owned),
        })
    }

    /// Whether `image` is one of the images this pattern stands for.
    pub fn matches(&self, image: &ImageReference) -> bool {
        if !self.name.matches(&image.name) {
            return false;
        }
        if let Some(digest) = &self.digest
            && image.digest.as_deref() != Some(digest.as_str())
        {
            return false;
        }
        match &self.tag {
            None => true,
            Some(tag) => image.effective_tag().is_some_and(|t| tag.matches(t)),
        }
    }
}

/// A string compared literally unless it holds a glob character, so that the common exact pattern costs one
/// string comparison.
#[derive(Debug, Clone)]
pub(crate) enum TextPattern {
    Exact(String),
    Glob(WildMatch),
}

impl TextPattern {
    pub(crate) fn new(text: String) -> Self {
        if has_glob(&text) {
            Self::Glob(WildMatch::new(&text))
        } else {
            Self::Exact(text)
        }
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        match self {
            Self::Exact(exact) => exact == text,
            Self::Glob(glob) => glob.matches(text),
        }
    }
}

pub(crate) fn has_glob(text: &str) -> bool {
    text.contains(['*', '?'])
}

/// Images are read strictly; patterns additionally allow `*` and `?` in the name and the tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Image,
    Pattern,
}

impl Syntax {
    fn allows(self, c: char) -> bool {
        self == Syntax::Pattern && (c == '*' || c == '?')
    }
}

struct ReferenceParts<'a> {
    name: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

fn split_reference(reference: &str, syntax: Syntax) -> Result<ReferenceParts<'_>, ReferenceError> {
    if reference.is_empty() {
        return Err(ReferenceError::Empty);
    }
    let (name_and_tag, digest) = match reference.split_once('@') {
        Some((before, digest)) => (before, Some(validate_digest(digest)?)),
        None => (reference, None),
    };
    // A ':' after the last '/' starts the tag; one before it belongs to the registry's port.
    let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_and_tag[last_slash..].rfind(':') {
        Some(colon) => {
            let colon = last_slash + colon;
            let tag = &name_and_tag[colon + 1..];
            (&name_and_tag[..colon], Some(validate_tag(tag, syntax)?))
        }
        None => (name_and_tag, None),
    };
    if name.is_empty() {
        return Err(ReferenceError::EmptyName);
    }
    Ok(ReferenceParts { name, tag, digest })
}

fn validate_tag(tag: &str, syntax: Syntax) -> Result<&str, ReferenceError> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || syntax.allows(c);
    let valid = tag.len() <= MAX_TAG_LENGTH
        && tag.chars().next().is_some_and(word)
        && tag.chars().all(|c| word(c) || c == '.' || c == '-');
    if valid {
        Ok(tag)
    } else {
        Err(ReferenceError::InvalidTag(tag.to_owned()))
    }
}

fn validate_digest(digest: &str) -> Result<&str, ReferenceError> {
    let invalid = || ReferenceError::InvalidDigest(digest.to_owned());
    let (algorithm, encoded) = digest.split_once(':').ok_or_else(invalid)?;
    let algorithm_ok = !algorithm.is_empty()
        && algorithm
            .split(['+', '.', '_', '-'])
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    let encoded_ok = if algorithm == "sha256" {
        encoded.len() == 64 && encoded.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    } else {
        !encoded.is_empty()
            && encoded
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | '_' | '-'))
    };
    if algorithm_ok && encoded_ok {
        Ok(digest)
    } else {
        Err(invalid())
    }
}

/// `registry/path` with Docker Hub's defaults filled in.
fn normalize_name(name: &str, syntax: Syntax) -> Result<String, ReferenceError> {
    let (registry, path) = match name.split_once('/') {
        Some((first, rest)) if is_registry(first, syntax) => (first, rest),
        _ => (DOCKER_HUB, name),
    };
    validate_registry(registry, syntax)?;
    for component in path.split('/') {
        validate_path_component(component, syntax)?;
    }
    let registry = if registry == DOCKER_HUB_LEGACY {
        DOCKER_HUB
    } else {
        registry
    };
    // `docker.io/*` means every Docker Hub repository, not every official one: a path that is nothing but a glob
    // is not an official image's name.
    let whole_hub = syntax == Syntax::Pattern && path.chars().all(|c| c == '*');
    let official = registry == DOCKER_HUB && !path.contains('/') && !whole_hub;
    let mut normalized = String::with_capacity(registry.len() + 1 + OFFICIAL_REPOSITORY_PREFIX.len() + path.len());
    normalized.push_str(registry);
    normalized.push('/');
    if official {
        normalized.push_str(OFFICIAL_REPOSITORY_PREFIX);
    }
    normalized.push_str(path);
    if normalized.len() > MAX_NAME_LENGTH {
        return Err(ReferenceError::NameTooLong);
    }
    Ok(normalized)
}

/// The first component names a registry only if it looks like a host (has '.' or ':', is `localhost`, or has
/// uppercase, which a repository path cannot). In a pattern a glob there (`*/istio-release/proxyv2`) stands for
/// any registry.
fn is_registry(first: &str, syntax: Syntax) -> bool {
    first.contains(['.', ':'])
        || first == "localhost"
        || first.chars().any(|c| c.is_ascii_uppercase())
        || (syntax == Syntax::Pattern && has_glob(first))
}

fn validate_registry(registry: &str, syntax: Syntax) -> Result<(), ReferenceError> {
    let invalid = || ReferenceError::InvalidRegistry(registry.to_owned());
    // IPv6 literals are bracketed: `[::1]:5000`.
    let (host, port) = if let Some(rest) = registry.strip_prefix('[') {
        let (address, after) = rest.split_once(']').ok_or_else(invalid)?;
        if address.is_empty() || !address.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return Err(invalid());
        }
        match after {
            "" => (None, None),
            _ => (None, Some(after.strip_prefix(':').ok_or_else(invalid)?)),
        }
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(registry), None),
        }
    };
    if let Some(host) = host {
        let label_ok = |label: &str| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || syntax.allows(c))
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if !host.split('.').all(label_ok) {
            return Err(invalid());
        }
    }
    if let Some(port) = port
        && (port.is_empty() || !port.chars().all(|c| c.is_ascii_digit() || syntax.allows(c)))
    {
        return Err(invalid());
    }
    Ok(())
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`, plus globs in patterns.
fn validate_path_component(component: &str, syntax: Syntax) -> Result<(), ReferenceError> {
    let invalid = || ReferenceError::InvalidPathComponent(component.to_owned());
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || syntax.allows(c);
    let bytes = component.as_bytes();
    if bytes.is_empty() || !alnum(char::from(bytes[0])) || !alnum(char::from(bytes[bytes.len() - 1])) {
        return Err(invalid());
    }
    // Between two alphanumerics stands at most one separator run: '.', '_', '__' or any number of '-'.
    let separators_ok = component
        .split(alnum)
        .all(|run| run.is_empty() || run == "." || run == "_" || run == "__" || run.bytes().all(|b| b == b'-'));
    if !separators_ok {
        return Err(invalid());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn matches(pattern: &str, image: &str) -> bool {
        let pattern = ImagePattern::parse(pattern).expect("valid pattern");
        let image = ImageReference::parse(image).expect("valid image");
        pattern.matches(&image)
    }

    #[rstest]
    #[case::no_tag_matches_any_tag("hashicorp/vault", "hashicorp/vault:1.15.2", true)]
    #[case::no_tag_matches_digest("hashicorp/vault", &format!("docker.io/hashicorp/vault@{DIGEST}"), true)]
    #[case::legacy_docker_hub_host("hashicorp/vault", "index.docker.io/hashicorp/vault:1.15", true)]
    #[case::official_image_library_prefix("nginx", "docker.io/library/nginx:1.25", true)]
    #[case::registry_is_a_whole_component("docker.io/istio/proxyv2", "docker.io.evil.com/istio/proxyv2:1.22", false)]
    #[case::short_name_is_docker_hub_only("istio/proxyv2", "gcr.io/istio-release/proxyv2:1.22", false)]
    #[case::glob_registry("*/istio-release/proxyv2", "gcr.io/istio-release/proxyv2:1.22", true)]
    #[case::tag_glob_matches("fluent/fluent-bit:3.*", "fluent/fluent-bit:3.1.4", true)]
    #[case::tag_glob_other_major("fluent/fluent-bit:3.*", "fluent/fluent-bit:2.2", false)]
    #[case::exact_tag_is_not_a_prefix("hashicorp/vault:1.15", "hashicorp/vault:1.15.2", false)]
    #[case::localhost_registry_with_port("localhost:5000/agent", "localhost:5000/agent:v1", true)]
    #[case::repository_glob("ghcr.io/acme/*", "ghcr.io/acme/log-shipper:2", true)]
    #[case::untagged_image_is_latest("nginx:latest", "nginx", true)]
    #[case::digest_only_image_has_no_tag("nginx:1.25", &format!("nginx@{DIGEST}"), false)]
    #[case::tag_and_digest_tag_matches("nginx:1.25", &format!("nginx:1.25@{DIGEST}"), true)]
    #[case::digest_pattern_matches(&format!("nginx@{DIGEST}"), &format!("nginx:1.25@{DIGEST}"), true)]
    #[case::digest_pattern_needs_digest(&format!("nginx@{DIGEST}"), "nginx:1.25", false)]
    #[case::other_registry_same_path("docker.io/hashicorp/vault", "quay.io/hashicorp/vault:1", false)]
    #[case::ipv6_registry("[::1]:5000/agent", "[::1]:5000/agent:v2", true)]
    #[case::legacy_host_in_pattern("index.docker.io/library/nginx", "nginx", true)]
    #[case::glob_does_not_cross_registry_boundary("docker.io/*", "docker.io.evil.com/x/y", false)]
    #[case::whole_docker_hub_matches_organisations("docker.io/*", "hashicorp/vault:1.15", true)]
    #[case::whole_docker_hub_matches_official_images("docker.io/*", "nginx", true)]
    #[case::whole_docker_hub_is_not_another_registry("docker.io/*", "quay.io/hashicorp/vault", false)]
    #[case::a_glob_prefix_is_still_an_official_name("docker.io/ngin*", "myorg/nginx", false)]
    fn image_pattern_table(#[case] pattern: &str, #[case] image: &str, #[case] expected: bool) {
        assert_eq!(matches(pattern, image), expected, "pattern {pattern} vs image {image}");
    }

    #[rstest]
    #[case::short("nginx", "docker.io/library/nginx")]
    #[case::org("myorg/app:1", "docker.io/myorg/app:1")]
    #[case::host_with_dot("gcr.io/a/b", "gcr.io/a/b")]
    #[case::host_with_port("registry:5000/a", "registry:5000/a")]
    #[case::localhost("localhost/a", "localhost/a")]
    #[case::legacy_hub("index.docker.io/library/nginx", "docker.io/library/nginx")]
    #[case::uppercase_host("MyRegistry/a", "MyRegistry/a")]
    fn image_normalization(#[case] image: &str, #[case] expected: &str) {
        assert_eq!(ImageReference::parse(image).expect("valid").to_string(), expected);
    }

    #[rstest]
    #[case::empty("", ReferenceError::Empty)]
    #[case::only_tag(":1.0", ReferenceError::EmptyName)]
    #[case::uppercase_path("docker.io/Library/nginx", ReferenceError::InvalidPathComponent("Library".into()))]
    #[case::space("my image", ReferenceError::InvalidPathComponent("my image".into()))]
    #[case::empty_tag("nginx:", ReferenceError::InvalidTag(String::new()))]
    #[case::bad_digest("nginx@sha256:abc", ReferenceError::InvalidDigest("sha256:abc".into()))]
    #[case::double_slash("a//b", ReferenceError::InvalidPathComponent(String::new()))]
    #[case::trailing_separator("app-", ReferenceError::InvalidPathComponent("app-".into()))]
    #[case::glob_in_image("nginx:*", ReferenceError::InvalidTag("*".into()))]
    #[case::bad_port("host:port/a", ReferenceError::InvalidRegistry("host:port".into()))]
    fn unreadable_images(#[case] image: &str, #[case] expected: ReferenceError) {
        assert_eq!(ImageReference::parse(image), Err(expected));
    }

    #[rstest]
    #[case::glob_in_path("ghcr.io/acme/*")]
    #[case::glob_registry("*/istio/proxyv2")]
    #[case::glob_tag("fluent/fluent-bit:3.*")]
    #[case::question_mark("otel/opentelemetry-collector?")]
    fn globs_are_patterns_only(#[case] pattern: &str) {
        assert!(ImagePattern::parse(pattern).is_ok());
        assert!(ImageReference::parse(pattern).is_err());
    }

    #[test]
    fn name_length_is_bounded() {
        let long = format!("a/{}", "b".repeat(300));
        assert_eq!(ImageReference::parse(&long), Err(ReferenceError::NameTooLong));
    }
}
