//! The object as the decision reads it: borrowed, lean views of the few fields placement depends on.
//!
//! Deserializing an object into a `serde_json::Value` builds a tree of every env var, probe and volume only to look
//! at a handful of strings. These views are read straight from the request's bytes: every field the decision does
//! not need is skipped unread (`IgnoredAny`), strings without escapes are borrowed, and nothing is copied.
//!
//! The views keep the distinctions the decision makes. A field can be absent, `null`, of the right type, or of a
//! wrong type, and the API server would refuse a wrong type. So a wrong type is recorded here and reported by the
//! rules, never turned into a parse error. A key given twice counts as its last value, as in `serde_json::Value`
//! and Go's `encoding/json`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::rules::{ContainerList, RESTART_POLICY, RESTART_POLICY_RULES};
use crate::workload::PodSpecPath;

/// The visitor methods of every JSON type a view does not expect: the value is consumed and `$other` recorded.
macro_rules! not_this_type {
    ($other:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            IgnoredAny::deserialize(SeqAccessDeserializer::new(seq))?;
            Ok($other)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            IgnoredAny::deserialize(MapAccessDeserializer::new(map))?;
            Ok($other)
        }
    };
}

/// A JSON value that should be a string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Text<'a> {
    /// Absent or `null`: how JSON says "not set".
    #[default]
    Unset,
    /// A string, borrowed from the input unless it had escapes.
    Str(Cow<'a, str>),
    /// Anything else.
    NotAString,
}

impl<'a> Text<'a> {
    /// The string, when it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Text::Str(text) => Some(text),
            Text::Unset | Text::NotAString => None,
        }
    }
}

/// A JSON value that should be an object read as `T`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Slot<T> {
    /// The key is not there.
    #[default]
    Absent,
    /// `null`.
    Null,
    /// An object.
    Object(T),
    /// Any other value.
    Other,
}

impl<T> Slot<T> {
    /// The object, when it is one.
    pub fn object(&self) -> Option<&T> {
        match self {
            Slot::Object(value) => Some(value),
            Slot::Absent | Slot::Null | Slot::Other => None,
        }
    }
}

/// A JSON value that should be a list of `T`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum List<T> {
    /// Absent or `null`: an empty list.
    #[default]
    Unset,
    /// A list.
    Items(Vec<T>),
    /// Any other value.
    NotAList,
}

/// Whether a key is set to something other than `null`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Present(pub bool);

/// The fields of a container that placement depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerView<'a> {
    /// `name`.
    pub name: Text<'a>,
    /// `image`.
    pub image: Text<'a>,
    /// `restartPolicy`: `Always` makes an init container a native sidecar.
    pub restart_policy: Text<'a>,
    /// `restartPolicyRules` (Kubernetes 1.34+).
    pub restart_policy_rules: Present,
    /// `resizePolicy` (in-place resize), which some API servers refuse on an init container.
    pub resize_policy: Present,
    /// `resources.requests`.
    pub requests: Quantities<'a>,
    /// `resources.limits`.
    pub limits: Quantities<'a>,
}

/// The fields of a pod spec that placement depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodSpecView<'a> {
    /// `containers`.
    pub containers: List<Slot<ContainerView<'a>>>,
    /// `initContainers`.
    pub init_containers: List<Slot<ContainerView<'a>>>,
    /// `nodeName`: set, the Pod runs there and nowhere else.
    pub node_name: Text<'a>,
    /// `resources.requests` (pod-level resources, Kubernetes 1.32+).
    pub requests: Quantities<'a>,
    /// `resources.limits` (pod-level resources).
    pub limits: Quantities<'a>,
}

impl<'a> PodSpecView<'a> {
    /// One of the two container lists.
    pub fn list(&self, list: ContainerList) -> &List<Slot<ContainerView<'a>>> {
        match list {
            ContainerList::Containers => &self.containers,
            ContainerList::InitContainers => &self.init_containers,
        }
    }
}

/// `resources.requests` (or the pod's): each resource's quantity as written (`500m`, `1`, the text of a number),
/// `None` while there is no such map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quantities<'a>(pub Option<Vec<(Cow<'a, str>, Quantity<'a>)>>);

/// A quantity as written: a string's content or a number's text; anything else cannot be one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Quantity<'a> {
    /// `"500m"` or `1.5`, as text.
    Text(Cow<'a, str>),
    /// A boolean, list, object or `null`.
    NotAQuantity,
}

/// The object of a request, read along every path a pod spec can have, in one pass: whichever the kind says is
/// then used, the others are normally absent and cost nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectView<'a> {
    /// `apiVersion`, for manifests read without an admission request around them.
    pub api_version: Text<'a>,
    /// `kind`, likewise.
    pub kind: Text<'a>,
    /// Whether `metadata.annotations` carries the mirror-pod annotation.
    pub mirror: bool,
    /// `spec`: a Pod's pod spec, or a workload's spec around a template.
    pub spec: Slot<SpecView<'a>>,
}

/// `spec` of any kind: a Pod's pod spec fields, and the templates of workloads and CronJobs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecView<'a> {
    /// The pod spec fields, for a Pod.
    pub pod: PodSpecView<'a>,
    /// `spec.template`: a workload's pod template.
    pub template: Slot<TemplateView<'a>>,
    /// `spec.jobTemplate`: a CronJob's Job template.
    pub job_template: Slot<JobTemplateView<'a>>,
}

/// A pod template: `template.spec`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateView<'a> {
    /// The template's pod spec.
    pub spec: Slot<PodSpecView<'a>>,
}

/// A CronJob's `jobTemplate`: `jobTemplate.spec.template`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobTemplateView<'a> {
    /// `jobTemplate.spec`.
    pub spec: Slot<JobSpecView<'a>>,
}

/// A Job spec: `template`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobSpecView<'a> {
    /// The Job's pod template.
    pub template: Slot<TemplateView<'a>>,
}

/// Static pods are mirrored into the API server with this annotation and cannot be changed through it.
const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";

impl<T> Slot<T> {
    /// The slot with a reference to its object.
    pub fn as_ref(&self) -> Slot<&T> {
        match self {
            Slot::Absent => Slot::Absent,
            Slot::Null => Slot::Null,
            Slot::Object(value) => Slot::Object(value),
            Slot::Other => Slot::Other,
        }
    }

    fn map<U>(self, f: impl FnOnce(T) -> U) -> Slot<U> {
        match self {
            Slot::Absent => Slot::Absent,
            Slot::Null => Slot::Null,
            Slot::Object(value) => Slot::Object(f(value)),
            Slot::Other => Slot::Other,
        }
    }
}

impl<'a> ObjectView<'a> {
    /// Reads an object's JSON; `None` when the JSON is not an object.
    pub fn read(json: &'a str) -> Result<Option<Self>, serde_json::Error> {
        let slot: Slot<ObjectView<'a>> = crate::read_json(json)?;
        Ok(match slot {
            Slot::Object(object) => Some(object),
            Slot::Absent | Slot::Null | Slot::Other => None,
        })
    }

    /// The pod spec at `path`: `None` when the object has none there (a key on the way is missing or not an
    /// object); otherwise the slot, which the rules refuse unless it holds an object.
    pub fn pod_spec(&self, path: PodSpecPath) -> Option<Slot<&PodSpecView<'a>>> {
        let slot = match path {
            PodSpecPath::Pod => self.spec.as_ref().map(|spec| &spec.pod),
            PodSpecPath::Template => self.spec.object()?.template.object()?.spec.as_ref(),
            PodSpecPath::CronJobTemplate => {
                let job = self.spec.object()?.job_template.object()?.spec.object()?;
                job.template.object()?.spec.as_ref()
            }
        };
        (slot != Slot::Absent).then_some(slot)
    }

    /// Whether `spec.template.spec` is an object: what makes a kind this policy does not know by name a workload.
    pub fn has_pod_template(&self) -> bool {
        self.spec
            .object()
            .and_then(|spec| spec.template.object())
            .is_some_and(|template| matches!(template.spec, Slot::Object(_)))
    }
}

// ---- Reading -------------------------------------------------------------------------------------------------------
//
// Each view reads its object's keys one by one and skips every other value with `IgnoredAny`; a later key overwrites
// an earlier one. `Text`, `Slot` and `List` accept any JSON value, so that a wrong type is a fact for the rules.

/// Reads the keys of an object into `target`: `field` says what to do with each key it knows, and returns `false`
/// for keys to skip.
fn read_keys<'de, A, T>(
    mut map: A,
    mut target: T,
    mut field: impl FnMut(&mut T, &str, &mut A) -> Result<bool, A::Error>,
) -> Result<T, A::Error>
where
    A: MapAccess<'de>,
{
    while let Some(key) = map.next_key::<Cow<'de, str>>()? {
        if !field(&mut target, &key, &mut map)? {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(target)
}

/// Implements `Deserialize` for a view read as an object, with one `match` over the keys it knows.
macro_rules! object_view {
    ($view:ident, $expecting:literal, |$target:ident, $key:ident, $map:ident| $body:expr) => {
        impl<'de: 'a, 'a> Deserialize<'de> for $view<'a> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ViewVisitor<'a>(PhantomData<&'a ()>);
                impl<'de: 'a, 'a> Visitor<'de> for ViewVisitor<'a> {
                    type Value = $view<'a>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    // One copy of each view's reader, called from wherever the view occurs (a pod spec occurs three
                    // times in an object's view), instead of one inlined copy per occurrence: a smaller module.
                    #[inline(never)]
                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$view<'a>, A::Error> {
                        read_keys(map, $view::default(), |$target, $key, $map| $body)
                    }
                }
                deserializer.deserialize_map(ViewVisitor(PhantomData))
            }
        }
    };
}

object_view!(ObjectView, "an object", |object, key, map| {
    match key {
        "apiVersion" => object.api_version = map.next_value()?,
        "kind" => object.kind = map.next_value()?,
        "metadata" => {
            object.mirror = match map.next_value::<Slot<MetadataView>>()? {
                Slot::Object(metadata) => metadata.mirror,
                _ => false,
            }
        }
        "spec" => object.spec = map.next_value()?,
        _ => return Ok(false),
    }
    Ok(true)
});

/// `metadata`: only whether the annotations carry the mirror-pod key.
#[derive(Default)]
struct MetadataView<'a> {
    mirror: bool,
    _input: PhantomData<&'a str>,
}

object_view!(MetadataView, "metadata", |metadata, key, map| {
    match key {
        "annotations" => {
            metadata.mirror = match map.next_value::<Slot<AnnotationKeys>>()? {
                Slot::Object(keys) => keys.mirror,
                _ => false,
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
});

/// `metadata.annotations`: the keys are read, the values skipped.
#[derive(Default)]
struct AnnotationKeys<'a> {
    mirror: bool,
    _input: PhantomData<&'a str>,
}

object_view!(AnnotationKeys, "annotations", |keys, key, _map| {
    keys.mirror |= key == MIRROR_POD_ANNOTATION;
    Ok(false)
});

object_view!(SpecView, "a spec", |spec, key, map| {
    match key {
        "template" => spec.template = map.next_value()?,
        "jobTemplate" => spec.job_template = map.next_value()?,
        _ => return pod_spec_field(&mut spec.pod, key, map),
    }
    Ok(true)
});

object_view!(PodSpecView, "a pod spec", |spec, key, map| pod_spec_field(
    spec, key, map
));

fn pod_spec_field<'de, A: MapAccess<'de>>(
    spec: &mut PodSpecView<'de>,
    key: &str,
    map: &mut A,
) -> Result<bool, A::Error> {
    match key {
        "containers" => spec.containers = map.next_value()?,
        "initContainers" => spec.init_containers = map.next_value()?,
        "nodeName" => spec.node_name = map.next_value()?,
        "resources" => (spec.requests, spec.limits) = resources(map.next_value()?),
        _ => return Ok(false),
    }
    Ok(true)
}

object_view!(TemplateView, "a pod template", |template, key, map| {
    match key {
        "spec" => template.spec = map.next_value()?,
        _ => return Ok(false),
    }
    Ok(true)
});

object_view!(JobTemplateView, "a Job template", |job, key, map| {
    match key {
        "spec" => job.spec = map.next_value()?,
        _ => return Ok(false),
    }
    Ok(true)
});

object_view!(JobSpecView, "a Job spec", |job, key, map| {
    match key {
        "template" => job.template = map.next_value()?,
        _ => return Ok(false),
    }
    Ok(true)
});

object_view!(ContainerView, "a container", |container, key, map| {
    match key {
        "name" => container.name = map.next_value()?,
        "image" => container.image = map.next_value()?,
        RESTART_POLICY => container.restart_policy = map.next_value()?,
        RESTART_POLICY_RULES => container.restart_policy_rules = map.next_value()?,
        "resizePolicy" => container.resize_policy = map.next_value()?,
        "resources" => (container.requests, container.limits) = resources(map.next_value()?),
        _ => return Ok(false),
    }
    Ok(true)
});

/// `resources`: `requests` and `limits`.
#[derive(Default)]
struct ResourcesView<'a> {
    requests: Quantities<'a>,
    limits: Quantities<'a>,
}

object_view!(ResourcesView, "resources", |resources, key, map| {
    match key {
        "requests" => resources.requests = quantities(map.next_value()?),
        "limits" => resources.limits = quantities(map.next_value()?),
        _ => return Ok(false),
    }
    Ok(true)
});

fn quantities(map: Slot<QuantityMap<'_>>) -> Quantities<'_> {
    match map {
        Slot::Object(QuantityMap(quantities)) => Quantities(Some(quantities)),
        _ => Quantities(None),
    }
}

fn resources(resources: Slot<ResourcesView<'_>>) -> (Quantities<'_>, Quantities<'_>) {
    match resources {
        Slot::Object(resources) => (resources.requests, resources.limits),
        _ => (Quantities(None), Quantities(None)),
    }
}

/// A map of resource names to quantities.
#[derive(Default)]
struct QuantityMap<'a>(Vec<(Cow<'a, str>, Quantity<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for QuantityMap<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for MapVisitor<'a> {
            type Value = QuantityMap<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of resources to quantities")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<QuantityMap<'a>, A::Error> {
                let mut quantities: Vec<(Cow<'a, str>, Quantity<'a>)> = Vec::new();
                while let Some(name) = map.next_key::<Cow<'de, str>>()? {
                    let quantity = map.next_value::<Quantity<'a>>()?;
                    // A resource named twice counts once, with its last quantity.
                    quantities.retain(|(existing, _)| *existing != name);
                    quantities.push((name, quantity));
                }
                Ok(QuantityMap(quantities))
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Quantity<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(deserializer)?;
        let text: &'a str = raw.get();
        Ok(if text.starts_with('"') {
            match crate::read_json::<Cow<'a, str>>(text) {
                Ok(text) => Quantity::Text(text),
                Err(_) => Quantity::NotAQuantity,
            }
        } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            Quantity::Text(Cow::Borrowed(text))
        } else {
            Quantity::NotAQuantity
        })
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Text<'a>, E> {
                Ok(Text::Str(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Text<'a>, E> {
                Ok(Text::Str(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Text<'a>, E> {
                Ok(Text::Str(Cow::Owned(text)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text<'a>, E> {
                Ok(Text::Unset)
            }
            fn visit_none<E: de::Error>(self) -> Result<Text<'a>, E> {
                Ok(Text::Unset)
            }
            not_this_type!(Text::NotAString);
        }
        deserializer.deserialize_any(TextVisitor(PhantomData))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Slot<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SlotVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for SlotVisitor<T> {
            type Value = Slot<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Slot<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Slot::Object)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Slot<T>, E> {
                Ok(Slot::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Slot<T>, E> {
                Ok(Slot::Null)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Slot<T>, E> {
                Ok(Slot::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Slot<T>, E> {
                Ok(Slot::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Slot<T>, E> {
                Ok(Slot::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Slot<T>, E> {
                Ok(Slot::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Slot<T>, E> {
                Ok(Slot::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Slot<T>, A::Error> {
                IgnoredAny::deserialize(SeqAccessDeserializer::new(seq))?;
                Ok(Slot::Other)
            }
        }
        deserializer.deserialize_any(SlotVisitor(PhantomData))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List<T>, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(List::Items(items))
            }
            fn visit_unit<E: de::Error>(self) -> Result<List<T>, E> {
                Ok(List::Unset)
            }
            fn visit_none<E: de::Error>(self) -> Result<List<T>, E> {
                Ok(List::Unset)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<List<T>, E> {
                Ok(List::NotAList)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<List<T>, E> {
                Ok(List::NotAList)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<List<T>, E> {
                Ok(List::NotAList)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<List<T>, E> {
                Ok(List::NotAList)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<List<T>, E> {
                Ok(List::NotAList)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<List<T>, A::Error> {
                IgnoredAny::deserialize(MapAccessDeserializer::new(map))?;
                Ok(List::NotAList)
            }
        }
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<IgnoredAny>::deserialize(deserializer).map(|value| Present(value.is_some()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn spec(json: &str) -> PodSpecView<'_> {
        match serde_json::from_str::<Slot<PodSpecView<'_>>>(json).expect("JSON") {
            Slot::Object(spec) => spec,
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn containers_are_read_for_the_fields_that_decide() {
        let spec = spec(
            r#"{"containers": [{"name": "app", "image": "nginx", "env": [{"name": "A", "value": "1"}],
                "restartPolicy": "Always", "restartPolicyRules": [{}], "resizePolicy": [],
                "resources": {"requests": {"cpu": "500m", "memory": 1e3}, "limits": {"cpu": "1"}}}],
                "nodeName": "n", "resources": {"requests": {"cpu": 2}}, "volumes": [{"name": "v"}]}"#,
        );
        let List::Items(containers) = &spec.containers else {
            panic!("a list")
        };
        let Slot::Object(app) = &containers[0] else {
            panic!("an object")
        };
        assert_eq!(app.name.as_str(), Some("app"));
        assert_eq!(app.image.as_str(), Some("nginx"));
        assert_eq!(app.restart_policy.as_str(), Some("Always"));
        assert_eq!(
            (app.restart_policy_rules, app.resize_policy),
            (Present(true), Present(true))
        );
        assert_eq!(
            app.requests,
            Quantities(Some(vec![
                ("cpu".into(), Quantity::Text("500m".into())),
                ("memory".into(), Quantity::Text("1e3".into()))
            ]))
        );
        assert_eq!(spec.node_name.as_str(), Some("n"));
        assert_eq!(
            spec.requests,
            Quantities(Some(vec![("cpu".into(), Quantity::Text("2".into()))]))
        );
    }

    #[rstest]
    #[case::absent(r#"{}"#, Text::Unset)]
    #[case::null(r#"{"name": null}"#, Text::Unset)]
    #[case::string(r#"{"name": "a"}"#, Text::Str("a".into()))]
    #[case::escaped(r#"{"name": "\u0061b"}"#, Text::Str("ab".into()))]
    #[case::number(r#"{"name": 7}"#, Text::NotAString)]
    #[case::list(r#"{"name": ["a", {"b": 1}]}"#, Text::NotAString)]
    #[case::object(r#"{"name": {"a": [1]}}"#, Text::NotAString)]
    #[case::last_of_two(r#"{"name": "a", "name": "b"}"#, Text::Str("b".into()))]
    fn texts(#[case] json: &str, #[case] expected: Text<'_>) {
        let container: ContainerView<'_> = serde_json::from_str(json).expect("JSON");
        assert_eq!(container.name, expected);
    }

    #[rstest]
    #[case::absent(r#"{}"#, List::Unset)]
    #[case::null(r#"{"containers": null}"#, List::Unset)]
    #[case::object(r#"{"containers": {"name": "a"}}"#, List::NotAList)]
    #[case::string(r#"{"containers": "a"}"#, List::NotAList)]
    #[case::entries(r#"{"containers": [5, null, {}]}"#, List::Items(vec![Slot::Other, Slot::Null, Slot::Object(ContainerView::default())]))]
    fn lists(#[case] json: &str, #[case] expected: List<Slot<ContainerView<'_>>>) {
        assert_eq!(spec(json).containers, expected);
    }

    #[rstest]
    #[case::pod("", "Pod", r#"{"spec": {"containers": [{"name": "a"}]}}"#, PodSpecPath::Pod, true)]
    #[case::pod_spec_null("", "Pod", r#"{"spec": null}"#, PodSpecPath::Pod, true)]
    #[case::pod_without_spec("", "Pod", r#"{"metadata": {}}"#, PodSpecPath::Pod, false)]
    #[case::template(
        "apps",
        "Deployment",
        r#"{"spec": {"template": {"spec": {"containers": []}}}}"#,
        PodSpecPath::Template,
        true
    )]
    #[case::template_not_an_object(
        "apps",
        "Deployment",
        r#"{"spec": {"template": "x"}}"#,
        PodSpecPath::Template,
        false
    )]
    #[case::cronjob(
        "batch",
        "CronJob",
        r#"{"spec": {"jobTemplate": {"spec": {"template": {"spec": 5}}}}}"#,
        PodSpecPath::CronJobTemplate,
        true
    )]
    fn pod_specs_are_found_where_the_kind_keeps_them(
        #[case] _group: &str,
        #[case] _kind: &str,
        #[case] json: &str,
        #[case] path: PodSpecPath,
        #[case] found: bool,
    ) {
        let object = ObjectView::read(json).expect("JSON").expect("an object");
        assert_eq!(object.pod_spec(path).is_some(), found);
    }

    #[rstest]
    #[case::mirror(
        r#"{"metadata": {"annotations": {"a": "1", "kubernetes.io/config.mirror": "x"}}}"#,
        true
    )]
    #[case::other_annotations(r#"{"metadata": {"annotations": {"a": {"b": 1}}}}"#, false)]
    #[case::annotations_not_a_map(r#"{"metadata": {"annotations": ["kubernetes.io/config.mirror"]}}"#, false)]
    fn mirror_pods(#[case] json: &str, #[case] mirror: bool) {
        assert_eq!(ObjectView::read(json).expect("JSON").expect("object").mirror, mirror);
    }

    #[test]
    fn json_that_is_not_an_object_has_no_view() {
        assert_eq!(ObjectView::read("[1]").expect("JSON"), None);
        assert!(ObjectView::read("{").is_err());
    }
}
