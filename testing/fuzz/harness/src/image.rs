//! Image references and the patterns of `sidecarImages`.
//!
//! Properties, for any text:
//! 1. Parsing an image or a pattern, and matching, do not panic.
//! 2. An image that parses prints (normalized) as a reference that parses back to the same reference.
//! 3. An image that parses is also a valid pattern, and that pattern (as written, and normalized) matches it.
//! 4. A policy with the pattern as its only `sidecarImages` entry compiles exactly when the pattern parses, and calls
//!    a container with the image a sidecar exactly when the pattern matches the image.
//!
//! And for images built from parts (registry, path, tag, digest):
//! 5. The Docker Hub spellings (`x`, `docker.io/x`, `index.docker.io/x`, `library/x` for one component) are one image.
//! 6. Generalizing the pattern (registry `*`, last path component `*`, tag `*`, no tag) still matches.
//! 7. Another repository (last component changed, or a registry that only starts with the same name) and another
//!    literal tag do not match.

use arbitrary::Unstructured;
use sidecar_placement_policy::Settings;
use sidecar_placement_policy::image::{ImagePattern, ImageReference};

use crate::word;

/// Target `image`: UTF-8 text, `PATTERN\nIMAGE` (or one line used as both).
pub fn raw(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let (pattern, image) = text.split_once('\n').unwrap_or((text, text));
    check_image(image);
    check_image(pattern);
    check_pair(pattern, image);
}

/// Properties 2 and 3.
pub fn check_image(image: &str) {
    let Ok(reference) = ImageReference::parse(image) else {
        return;
    };
    let normalized = reference.to_string();
    match ImageReference::parse(&normalized) {
        Ok(again) if again == reference => {}
        other => panic!("image {image:?} normalizes to {normalized:?}, which parses as {other:?}, not {reference:?}"),
    }
    for written in [image, normalized.as_str()] {
        match ImagePattern::parse(written) {
            Ok(pattern) => assert!(
                pattern.matches(&reference),
                "the pattern {written:?} does not match the image {image:?} ({reference:?}); pattern: {pattern:?}"
            ),
            Err(error) => panic!("the image {image:?} is valid but {written:?} is refused as a pattern: {error}"),
        }
    }
}

/// Properties 1 and 4.
pub fn check_pair(pattern: &str, image: &str) {
    let parsed = ImagePattern::parse(pattern);
    let reference = ImageReference::parse(image);
    let matches = match (&parsed, &reference) {
        (Ok(parsed), Ok(reference)) => parsed.matches(reference),
        _ => false,
    };
    let settings = Settings {
        sidecar_images: vec![pattern.to_owned()],
        ..Settings::default()
    };
    match settings.compile() {
        Ok(policy) => {
            assert!(
                parsed.is_ok(),
                "settings with the pattern {pattern:?} compile, the pattern alone does not parse"
            );
            assert_eq!(
                policy.is_sidecar(None, Some(image)),
                matches,
                "the policy with sidecarImages [{pattern:?}] and the pattern disagree on the image {image:?}"
            );
        }
        Err(error) => assert!(
            parsed.is_err(),
            "the pattern {pattern:?} parses but settings with it are refused: {error}"
        ),
    }
}

const REGISTRIES: &[&str] = &[
    "docker.io",
    "index.docker.io",
    "gcr.io",
    "ghcr.io",
    "cr.l5d.io",
    "localhost",
    "localhost:5000",
    "[::1]:5000",
    "[::1]",
    "registry.example.com:443",
    "docker.io.evil.com",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    "Registry.Example.com",
    "my-registry",
];

const PATH_COMPONENTS: &[&str] = &[
    "library",
    "nginx",
    "hashicorp",
    "vault",
    "istio",
    "istio-release",
    "proxyv2",
    "linkerd",
    "proxy",
    "fluent-bit",
    "a",
    "a.b",
    "a__b",
    "a_b",
    "a-b",
    "a--b",
    "0",
];

const TAGS: &[&str] = &["latest", "1.25", "3.1.4", "v1", "1.15.2", "stable-2.14.10", "A_b", "_x"];

const DIGESTS: &[&str] = &[
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
    "sha512:0123456789abcdef",
    "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
];

/// An image written from parts.
#[derive(Debug, Clone)]
struct Parts {
    registry: Option<String>,
    path: Vec<String>,
    tag: Option<String>,
    digest: Option<String>,
}

impl Parts {
    fn generate(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        let registry = if u.arbitrary()? {
            Some(word(u, REGISTRIES, 12)?)
        } else {
            None
        };
        let path: Vec<String> = (0..u.int_in_range(1..=3u8)?)
            .map(|_| word(u, PATH_COMPONENTS, 12))
            .collect::<arbitrary::Result<_>>()?;
        let tag = if u.arbitrary()? { Some(word(u, TAGS, 12)?) } else { None };
        let digest = if u.ratio(1, 3)? {
            Some(word(u, DIGESTS, 12)?)
        } else {
            None
        };
        // Arbitrary text stays within its part: a ':' in a path component would start a tag, a '/' in a tag would
        // continue the path, and the image would no longer be made of these parts.
        let within = |part: &str, separators: &[char]| !part.contains(separators);
        let well_formed = registry.as_deref().is_none_or(|r| within(r, &['/', '@']))
            && path.iter().all(|c| within(c, &['/', ':', '@']))
            && tag.as_deref().is_none_or(|t| within(t, &['/', ':', '@']))
            && digest.as_deref().is_none_or(|d| within(d, &['/', '@']));
        if !well_formed {
            return Err(arbitrary::Error::IncorrectFormat);
        }
        Ok(Self {
            registry,
            path,
            tag,
            digest,
        })
    }

    fn name(&self) -> String {
        let path = self.path.join("/");
        match &self.registry {
            Some(registry) => format!("{registry}/{path}"),
            None => path,
        }
    }

    fn with_name(&self, name: &str) -> String {
        let mut text = name.to_owned();
        if let Some(tag) = &self.tag {
            text.push(':');
            text.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            text.push('@');
            text.push_str(digest);
        }
        text
    }

    fn written(&self) -> String {
        self.with_name(&self.name())
    }

    /// Whether the first path component would be read as a registry if nothing preceded it.
    fn first_component_looks_like_a_host(&self) -> bool {
        let first = &self.path[0];
        first.contains(['.', ':']) || first == "localhost" || first.chars().any(|c| c.is_ascii_uppercase())
    }
}

/// Target `image_parts`: an image and patterns built from registry, path, tag and digest (properties 1 to 7).
pub fn structured(bytes: &[u8]) {
    let mut u = Unstructured::new(bytes);
    let Ok(parts) = Parts::generate(&mut u) else {
        return;
    };
    let image = parts.written();
    check_image(&image);
    let Ok(reference) = ImageReference::parse(&image) else {
        return;
    };
    let must_match = |pattern: &str, why: &str| match ImagePattern::parse(pattern) {
        Ok(parsed) => assert!(
            parsed.matches(&reference),
            "{why}: the pattern {pattern:?} does not match the image {image:?} ({reference:?})"
        ),
        Err(error) => panic!("{why}: the pattern {pattern:?} is refused ({error}) though the image {image:?} is valid"),
    };
    let must_not_match = |pattern: &str, why: &str| {
        if let Ok(parsed) = ImagePattern::parse(pattern) {
            assert!(
                !parsed.matches(&reference),
                "{why}: the pattern {pattern:?} matches the image {image:?} ({reference:?})"
            );
        }
    };

    // 5. Docker Hub spellings.
    let on_docker_hub = matches!(parts.registry.as_deref(), None | Some("docker.io" | "index.docker.io"));
    if on_docker_hub && !parts.first_component_looks_like_a_host() {
        let path = parts.path.join("/");
        let mut spellings = vec![
            path.clone(),
            format!("docker.io/{path}"),
            format!("index.docker.io/{path}"),
        ];
        if parts.path.len() == 1 {
            spellings.push(format!("library/{path}"));
            spellings.push(format!("docker.io/library/{path}"));
        }
        for name in spellings {
            let spelled = parts.with_name(&name);
            assert_eq!(
                ImageReference::parse(&spelled).as_ref(),
                Ok(&reference),
                "{spelled:?} and {image:?} are the same Docker Hub image"
            );
        }
    }

    // 6. Generalizations.
    must_match(
        &parts.name(),
        "a pattern without tag or digest matches every tag and digest",
    );
    if parts.digest.is_none() || parts.tag.is_some() {
        must_match(
            &format!("{}:*", parts.name()),
            "the tag glob '*' matches the pulled tag",
        );
    }
    if parts.registry.is_some() {
        let mut generalized = parts.clone();
        generalized.registry = Some("*".to_owned());
        must_match(&generalized.written(), "a registry glob stands for any registry");
    }
    let mut last_glob = parts.clone();
    if let Some(last) = last_glob.path.last_mut() {
        *last = "*".to_owned();
    }
    must_match(&last_glob.written(), "a glob for the last path component");

    // 7. Other repositories, registries and tags.
    let mut other = parts.clone();
    if let Some(last) = other.path.last_mut() {
        last.push('x');
    }
    must_not_match(&other.name(), "another repository");
    if let Some(registry) = &parts.registry
        && !registry.starts_with('[')
        && !registry.contains(['*', '?'])
    {
        let (host, port) = registry
            .split_once(':')
            .map_or((registry.as_str(), None), |(h, p)| (h, Some(p)));
        let evil = match port {
            Some(port) => format!("{host}.evil.com:{port}"),
            None => format!("{host}.evil.com"),
        };
        let mut lookalike = parts.clone();
        lookalike.registry = Some(evil);
        if let Ok(lookalike_reference) = ImageReference::parse(&lookalike.written())
            && let Ok(pattern) = ImagePattern::parse(&parts.name())
            && !parts.name().contains(['*', '?'])
        {
            assert!(
                !pattern.matches(&lookalike_reference),
                "the pattern {:?} matches {:?}, on another registry",
                parts.name(),
                lookalike.written()
            );
        }
    }
    if let Some(tag) = &parts.tag
        && !tag.contains(['*', '?'])
    {
        let mut retagged = parts.clone();
        retagged.digest = None;
        retagged.tag = Some(format!("{tag}0"));
        must_not_match(&retagged.written(), "another literal tag");
    }
}
