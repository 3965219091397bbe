//! The verdict as the JSON Kubewarden's host reads back from `validate` (the SDK's `ValidationResponse`), and the
//! whole `validate` call as a pure function of the payload and the cluster.
//!
//! The response is written directly, without building a tree: a converted object is copied in as the text the
//! splice produced. The fields and their order are those of `kubewarden_policy_sdk::response::ValidationResponse`
//! serialized by serde (every field present, `null` when unset), which `tests/` and the oracle hold it to.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::admission::{Decision, GroupVersionKind, Operation, carries_a_decision, decide, without_object};
use crate::mutation::MutationError;
use crate::nodes::{NodeLookup, NodeQuery};
use crate::settings::{Policy, Settings, SettingsError};
use crate::verdict::Verdict;
use crate::view::{ObjectView, Slot};

/// `{"request": AdmissionRequest, "settings": {...}}`, read in one pass: the object straight into its view (no
/// second reading of its text), the old object and the settings kept as raw text until they are needed.
#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    request: AdmissionRequest<'a>,
    #[serde(borrow, default)]
    settings: Option<&'a RawValue>,
}

/// The request as the waPC path reads it. (Named as the policy's own type: serde's messages about a malformed
/// request name it.)
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdmissionRequest<'a> {
    #[serde(borrow)]
    kind: GroupVersionKind<'a>,
    #[serde(default, borrow)]
    sub_resource: Option<Cow<'a, str>>,
    operation: Operation,
    #[serde(default, borrow)]
    object: Slot<ObjectView<'a>>,
    #[serde(default, borrow)]
    old_object: Option<&'a RawValue>,
}

/// Answers a `validate` payload. Every input gets an answer: a payload that cannot be read is rejected with the
/// reason, never turned into a waPC error (which the host reports as an opaque HTTP 500).
///
/// The decision is [`decide`], the one [`crate::evaluate`] makes; the payload is read once, with the object
/// straight into its view.
pub fn validate(payload: &[u8], cluster: impl FnOnce(NodeQuery<'_>) -> NodeLookup) -> Vec<u8> {
    let malformed = |error: &dyn std::fmt::Display| {
        validation_response(&Verdict::reject(format!("malformed admission request: {error}")))
    };
    // JSON is UTF-8 (RFC 8259), and the lean reading skips most strings unread: the whole payload is checked once,
    // so that a payload that is not text is refused wherever the bad bytes are (an API server never sends one).
    let payload = match std::str::from_utf8(payload) {
        Ok(text) => text,
        Err(error) => {
            let offset = error.valid_up_to();
            return malformed(&format_args!(
                "the payload is not UTF-8 text: invalid byte at offset {offset}"
            ));
        }
    };
    let Payload { request, settings } = match crate::read_json::<Payload<'_>>(payload) {
        Ok(payload) => payload,
        Err(error) => return malformed(&error),
    };
    let policy = match compile(settings.map_or("", RawValue::get).as_bytes()) {
        Ok(policy) => policy,
        Err(error) => {
            return validation_response(&Verdict::reject(format!(
                "the policy's settings are not valid: {error}"
            )));
        }
    };
    let verdict = if !carries_a_decision(request.operation, request.sub_resource.as_deref()) {
        Verdict::accept()
    } else if let Slot::Object(object) = &request.object {
        let old = || {
            request
                .old_object
                .and_then(|old| ObjectView::read(old.get()).ok().flatten())
        };
        match decide(
            request.operation,
            Some(&request.kind),
            object,
            old,
            &policy,
            Some(cluster),
        ) {
            Decision::Done(verdict) => verdict,
            Decision::Convert(planned) => {
                // The object's text, which the lean reading does not keep: found again for the rare conversion.
                let text = crate::scan::value_span(payload.as_bytes(), &[b"request", b"object"])
                    .and_then(|span| payload.get(span));
                let spliced = match text {
                    Some(text) => planned.plan.splice(text, planned.spec),
                    None => Err(MutationError::SpecChanged(planned.spec.display())),
                };
                planned.finish(spliced)
            }
        }
    } else {
        without_object(request.operation, Some(&request.kind))
    };
    validation_response(&verdict)
}

/// Answers a `validate_settings` payload: `{"valid": bool, "message": ...}`.
pub fn validate_settings(payload: &[u8]) -> Vec<u8> {
    let message = compile(payload).err().map(|error| error.to_string());
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"{\"valid\":");
    out.extend_from_slice(if message.is_none() { b"true" } else { b"false" });
    out.extend_from_slice(b",\"message\":");
    optional_string(&mut out, message.as_deref());
    out.push(b'}');
    out
}

/// The policy of a settings payload.
pub fn compile(settings: &[u8]) -> Result<Policy, SettingsError> {
    Settings::from_json(settings)?.compile()
}

/// `{"accepted":..,"message":..,"code":null,"mutated_object":..,"audit_annotations":..,"warnings":..}`.
pub fn validation_response(verdict: &Verdict) -> Vec<u8> {
    let (accepted, message, object, annotations, warnings) = match verdict {
        Verdict::Accept { warnings } => (true, None, None, None, warnings),
        Verdict::Reject { message, warnings, .. } => (false, Some(message.as_str()), None, None, warnings),
        Verdict::Mutate {
            object,
            warnings,
            audit_annotations,
            ..
        } => (true, None, Some(object.as_str()), Some(audit_annotations), warnings),
    };
    let mut out = Vec::with_capacity(192 + object.map_or(0, str::len));
    out.extend_from_slice(b"{\"accepted\":");
    out.extend_from_slice(if accepted { b"true" } else { b"false" });
    out.extend_from_slice(b",\"message\":");
    optional_string(&mut out, message);
    out.extend_from_slice(b",\"code\":null,\"mutated_object\":");
    out.extend_from_slice(object.unwrap_or("null").as_bytes());
    out.extend_from_slice(b",\"audit_annotations\":");
    match annotations {
        Some(annotations) => {
            out.push(b'{');
            for (index, (key, value)) in annotations.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                string(&mut out, key);
                out.push(b':');
                string(&mut out, value);
            }
            out.push(b'}');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"warnings\":");
    if warnings.is_empty() {
        out.extend_from_slice(b"null");
    } else {
        out.push(b'[');
        for (index, warning) in warnings.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            string(&mut out, warning);
        }
        out.push(b']');
    }
    out.push(b'}');
    out
}

fn optional_string(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => string(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string, escaped as serde_json escapes it.
fn string(out: &mut Vec<u8>, text: &str) {
    // Writing a `&str` into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::AUDIT_MOVED_SIDECARS;
    use std::collections::BTreeMap;

    #[test]
    fn responses_have_every_field_in_the_sdk_order() {
        assert_eq!(
            String::from_utf8(validation_response(&Verdict::accept())).expect("UTF-8"),
            r#"{"accepted":true,"message":null,"code":null,"mutated_object":null,"audit_annotations":null,"warnings":null}"#
        );
        let rejected = Verdict::Reject {
            message: "a \"quoted\" \u{1}".into(),
            warnings: vec!["w".into()],
            findings: Vec::new(),
        };
        assert_eq!(
            String::from_utf8(validation_response(&rejected)).expect("UTF-8"),
            r#"{"accepted":false,"message":"a \"quoted\" \u0001","code":null,"mutated_object":null,"audit_annotations":null,"warnings":["w"]}"#
        );
    }

    #[test]
    fn a_mutation_carries_the_object_as_written() {
        let verdict = Verdict::Mutate {
            object: r#"{"b": 1, "a": [ ]}"#.into(),
            warnings: Vec::new(),
            audit_annotations: BTreeMap::from([(AUDIT_MOVED_SIDECARS.to_owned(), "x".to_owned())]),
            conversion: crate::verdict::Conversion::for_tests(),
        };
        assert_eq!(
            String::from_utf8(validation_response(&verdict)).expect("UTF-8"),
            r#"{"accepted":true,"message":null,"code":null,"mutated_object":{"b": 1, "a": [ ]},"audit_annotations":{"moved-native-sidecars":"x"},"warnings":null}"#
        );
    }

    #[test]
    fn settings_answers() {
        assert_eq!(
            validate_settings(br#"{"sidecarImages": ["a"]}"#),
            br#"{"valid":true,"message":null}"#
        );
        let refused = String::from_utf8(validate_settings(b"{}")).expect("UTF-8");
        assert!(
            refused.starts_with(r#"{"valid":false,"message":"the policy must be told"#),
            "{refused}"
        );
    }
}
