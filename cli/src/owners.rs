//! Objects and their owners (`metadata.ownerReferences`, by uid), as `kubectl get ... -o yaml` lists them: a Pod's
//! ReplicaSet, a ReplicaSet's Deployment, a Job's CronJob. A finding is reported once, through the top-most owner
//! that is also in the input: that owner is what has to change.

use std::collections::HashMap;

use serde_json::Value;

/// The owners of every object read that has a uid.
#[derive(Debug, Default)]
pub struct Owners {
    owners: HashMap<String, Vec<String>>,
}

/// `metadata.uid`.
pub fn uid(object: &Value) -> Option<&str> {
    object
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .filter(|uid| !uid.is_empty())
}

impl Owners {
    /// Records an object and the uids of its owners.
    pub fn add(&mut self, object: &Value) {
        let Some(uid) = uid(object) else { return };
        let owners = object
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .map(|references| {
                references
                    .iter()
                    .filter_map(|reference| reference.get("uid").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        self.owners.insert(uid.to_owned(), owners);
    }

    /// The top-most owner of `uid` that is in the input (`uid` itself when none is), and how many owners up it is.
    pub fn root<'a>(&'a self, uid: &'a str) -> (&'a str, usize) {
        let mut current = uid;
        let mut depth = 0;
        // An owner chain is short; the bound only guards against a cycle in hand-written input.
        while depth < 16 {
            let Some(owner) = self
                .owners
                .get(current)
                .and_then(|owners| owners.iter().find(|owner| self.owners.contains_key(owner.as_str())))
            else {
                break;
            };
            current = owner;
            depth += 1;
        }
        (current, depth)
    }
}
