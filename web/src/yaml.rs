//! Writing a JSON tree back as YAML in the key order the user wrote.
//!
//! The core works on `serde_json::Value`, whose maps are sorted by key; a converted manifest printed in that order
//! would put `image` before `name` and `spec` before `metadata`. So the output follows the input: each map keeps the
//! order of the same map in the user's text, and keys the user never wrote there (a moved container's
//! `restartPolicy`, a new `initContainers`) follow the order in which the text first used them anywhere, then the
//! alphabet.

use std::collections::HashMap;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;
use serde_norway::Value as Yaml;

/// Where Kubernetes manifests conventionally write a key the user did not: before this sibling.
fn written_before(key: &str) -> Option<&'static str> {
    match key {
        "initContainers" => Some("containers"),
        _ => None,
    }
}

/// Where each key first appears in the user's text, and the named list elements it holds.
#[derive(Debug, Default)]
pub struct KeyOrder<'a> {
    ranks: HashMap<&'a str, usize>,
    /// List elements with a `name` (containers, volumes, ports, env entries), by name.
    named: HashMap<&'a str, Vec<&'a Yaml>>,
}

impl<'a> KeyOrder<'a> {
    pub fn learn(original: Option<&'a Yaml>) -> Self {
        let mut order = Self::default();
        if let Some(original) = original {
            order.walk(original);
        }
        order
    }

    fn walk(&mut self, node: &'a Yaml) {
        match node {
            Yaml::Mapping(mapping) => {
                for (key, value) in mapping {
                    if let Some(key) = key.as_str() {
                        let next = self.ranks.len();
                        self.ranks.entry(key).or_insert(next);
                    }
                    self.walk(value);
                }
            }
            Yaml::Sequence(items) => {
                for item in items {
                    if let Some(name) = item.get("name").and_then(Yaml::as_str) {
                        self.named.entry(name).or_default().push(item);
                    }
                    self.walk(item);
                }
            }
            Yaml::Tagged(tagged) => self.walk(&tagged.value),
            _ => {}
        }
    }

    fn rank(&self, key: &str) -> usize {
        self.ranks.get(key).copied().unwrap_or(usize::MAX)
    }

    /// The user's version of a list element: the element with the same `name` in the same list, else anywhere in
    /// the text (a conversion moves a container from `containers` to `initContainers`; of several elements with that
    /// name, the one sharing most keys), else the element at the same index.
    fn element_hint(&self, list: Option<&'a [Yaml]>, index: usize, item: &Value) -> Option<&'a Yaml> {
        let Some(name) = item.get("name").and_then(Value::as_str) else {
            return list.and_then(|list| list.get(index));
        };
        let same_name = |candidate: &&Yaml| candidate.get("name").and_then(Yaml::as_str) == Some(name);
        let in_list = list.and_then(|list| list.iter().find(same_name));
        let shared_keys = |candidate: &&&Yaml| {
            let keys = candidate.as_mapping().map(|mapping| mapping.keys());
            keys.map_or(0, |keys| {
                keys.filter(|key| key.as_str().is_some_and(|key| item.get(key).is_some()))
                    .count()
            })
        };
        in_list
            .or_else(|| self.named.get(name)?.iter().max_by_key(shared_keys).copied())
            .or_else(|| list.and_then(|list| list.get(index)))
    }
}

/// `value` as YAML, its maps ordered after `original` (the same document as the user wrote it).
pub fn to_yaml(value: &Value, original: Option<&Yaml>, order: &KeyOrder) -> Result<String, serde_norway::Error> {
    serde_norway::to_string(&Ordered {
        value,
        hint: original,
        order,
    })
}

struct Ordered<'a> {
    value: &'a Value,
    /// The node at the same place in the user's text, if there is one.
    hint: Option<&'a Yaml>,
    order: &'a KeyOrder<'a>,
}

impl Ordered<'_> {
    fn child<'a>(&'a self, value: &'a Value, hint: Option<&'a Yaml>) -> Ordered<'a> {
        Ordered {
            value,
            hint,
            order: self.order,
        }
    }
}

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Object(map) => {
                let hint = self.hint.and_then(Yaml::as_mapping);
                let position = |key: &str| hint.and_then(|hint| hint.keys().position(|k| k.as_str() == Some(key)));
                // Keys the user wrote here keep their place; a new key goes before its conventional successor if
                // the user wrote that one (`initContainers` before `containers`), else after them all.
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by_cached_key(|(key, _)| match position(key) {
                    Some(position) => (position, 1, 0, ""),
                    None => match written_before(key).and_then(position) {
                        Some(successor) => (successor, 0, 0, ""),
                        None => (usize::MAX, 0, self.order.rank(key), key.as_str()),
                    },
                });
                let mut out = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    let hint = hint.and_then(|hint| hint.get(key.as_str()));
                    out.serialize_entry(key, &self.child(value, hint))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let list = self.hint.and_then(Yaml::as_sequence).map(Vec::as_slice);
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for (index, item) in items.iter().enumerate() {
                    out.serialize_element(&self.child(item, self.order.element_hint(list, index, item)))?;
                }
                out.end()
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn round_trip(text: &str, edit: impl FnOnce(&mut Value)) -> String {
        let original: Yaml = serde_norway::from_str(text).expect("yaml");
        let mut value: Value = serde_norway::from_str(text).expect("yaml");
        edit(&mut value);
        to_yaml(&value, Some(&original), &KeyOrder::learn(Some(&original))).expect("serializable")
    }

    #[rstest]
    #[case::pod(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx\n"
    )]
    #[case::quoted_scalars(
        "kind: ConfigMap\ndata:\n  enabled: 'true'\n  port: '8080'\n  empty: ''\n  version: '1.10'\n"
    )]
    #[case::numbers_and_nulls("kind: X\nspec:\n  replicas: 3\n  ratio: 0.5\n  nothing: null\n  on: false\n")]
    fn unchanged_documents_keep_their_order(#[case] text: &str) {
        assert_eq!(round_trip(text, |_| {}), text);
    }

    #[test]
    fn moved_entries_follow_the_users_order() {
        let text = "kind: Pod\nspec:\n  restartPolicy: Never\n  containers:\n  - name: app\n    image: nginx\n  - name: agent\n    image: vault\n    ports:\n    - containerPort: 80\n";
        let output = round_trip(text, |pod| {
            let spec = pod.get_mut("spec").and_then(Value::as_object_mut).expect("spec");
            let mut agent = spec["containers"][1].clone();
            agent["restartPolicy"] = "Always".into();
            spec["containers"].as_array_mut().expect("list").truncate(1);
            spec.insert("initContainers".into(), Value::Array(vec![agent]));
        });
        assert_eq!(
            output,
            "kind: Pod\nspec:\n  restartPolicy: Never\n  initContainers:\n  - name: agent\n    image: vault\n    \
             ports:\n    - containerPort: 80\n    restartPolicy: Always\n  containers:\n  - name: app\n    \
             image: nginx\n"
        );
    }

    #[test]
    fn without_the_users_text_keys_are_alphabetical() {
        let value = serde_json::json!({"spec": 1, "kind": "Pod", "apiVersion": "v1"});
        assert_eq!(
            to_yaml(&value, None, &KeyOrder::default()).expect("serializable"),
            "apiVersion: v1\nkind: Pod\nspec: 1\n"
        );
    }
}
