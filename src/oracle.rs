//! Today's reading and writing around the same decision, kept as the test oracle of the byte-level path.
//!
//! The policy reads the request through borrowed views and converts by splicing the object's text
//! ([`crate::response::validate`]). This module does the same job the way the policy did before: the request read
//! into a `serde_json::Value` tree, the views built from that tree, the conversion applied to the tree, and the
//! answer written through the SDK's `ValidationResponse`. Both share [`crate::admission::decide`], so what is
//! compared is exactly what changed: reading and writing. The tests, the fuzz regressions and a differential fuzz
//! target require both to answer alike ([`same_answer`]).

use std::borrow::Cow;

use kubewarden_policy_sdk::response::ValidationResponse;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::admission::{Decision, GroupVersionKind, Operation, carries_a_decision, decide, without_object};
use crate::mutation::{MovePlan, MutationError};
use crate::nodes::{NODE_API_VERSION, NODE_FIELD_MASKS, NODE_KIND, NodeLookup, NodeQuery};
use crate::response::compile;
use crate::rules::{ALWAYS, ContainerList, RESTART_POLICY, RESTART_POLICY_RULES};
use crate::verdict::Verdict;
use crate::view::Slot;
use crate::view::{
    ContainerView, JobSpecView, JobTemplateView, List, ObjectView, PodSpecView, Present, Quantities, Quantity,
    SpecView, TemplateView, Text,
};
use crate::workload::PodSpecPath;

/// The request as it was read: owned strings and whole JSON trees. (Named as the policy's own type: serde's
/// messages about a malformed request name it.)
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdmissionRequest {
    kind: owned::GroupVersionKind,
    #[serde(default)]
    sub_resource: Option<String>,
    operation: Operation,
    #[serde(default)]
    object: Value,
    #[serde(default)]
    old_object: Value,
}

/// The kind owned: named as the byte-level path's `GroupVersionKind`, since serde's messages name the type, so that
/// both word a malformed `kind` alike.
mod owned {
    #[derive(serde::Deserialize)]
    pub(super) struct GroupVersionKind {
        #[serde(default)]
        pub(super) group: String,
        pub(super) kind: String,
    }
}

#[derive(Deserialize)]
struct Payload<'a> {
    request: AdmissionRequest,
    #[serde(borrow, default)]
    settings: Option<&'a RawValue>,
}

/// Answers a `validate` payload the way the policy did before it read bytes: the oracle.
pub fn validate(payload: &[u8], cluster: impl FnOnce(NodeQuery<'_>) -> NodeLookup) -> Vec<u8> {
    let verdict = match serde_json::from_slice::<Payload<'_>>(payload) {
        Err(error) => Verdict::reject(format!("malformed admission request: {error}")),
        Ok(Payload { request, settings }) => match compile(settings.map_or("", RawValue::get).as_bytes()) {
            Ok(policy) => evaluate(request, &policy, cluster),
            Err(error) => Verdict::reject(format!("the policy's settings are not valid: {error}")),
        },
    };
    response(verdict)
}

fn evaluate(
    request: AdmissionRequest,
    policy: &crate::settings::Policy,
    cluster: impl FnOnce(NodeQuery<'_>) -> NodeLookup,
) -> Verdict {
    let kind = GroupVersionKind {
        group: Cow::Borrowed(&request.kind.group),
        kind: Cow::Borrowed(&request.kind.kind),
    };
    if !carries_a_decision(request.operation, request.sub_resource.as_deref()) {
        return Verdict::accept();
    }
    let Value::Object(fields) = &request.object else {
        return without_object(request.operation, Some(&kind));
    };
    let object = object_view(fields);
    let old = || match &request.old_object {
        Value::Object(fields) => Some(object_view(fields)),
        _ => None,
    };
    match decide(request.operation, Some(&kind), &object, old, policy, Some(cluster)) {
        Decision::Done(verdict) => verdict,
        Decision::Convert(planned) => {
            let mut converted = request.object.clone();
            let applied = apply(&planned.plan, &mut converted, planned.spec).map(|()| converted.to_string());
            planned.finish(applied)
        }
    }
}

/// The conversion on the tree: the moved containers taken out of `containers` and inserted into `initContainers`
/// with `restartPolicy: Always`.
fn apply(plan: &MovePlan, object: &mut Value, at: PodSpecPath) -> Result<(), MutationError> {
    let changed = || MutationError::SpecChanged(at.display());
    let spec = object
        .pointer_mut(at.pointer())
        .and_then(Value::as_object_mut)
        .ok_or_else(changed)?;
    let init_len = match spec.get(ContainerList::InitContainers.field()) {
        None | Some(Value::Null) => 0,
        Some(Value::Array(items)) => items.len(),
        Some(_) => return Err(changed()),
    };
    let containers = spec
        .get_mut(ContainerList::Containers.field())
        .and_then(Value::as_array_mut)
        .ok_or_else(changed)?;
    if plan.insert_at() > init_len || plan.moved().last().is_some_and(|&last| last >= containers.len()) {
        return Err(changed());
    }
    let mut moving = Vec::new();
    let mut staying = Vec::new();
    for (index, mut container) in std::mem::take(containers).into_iter().enumerate() {
        if plan.moved().binary_search(&index).is_ok() {
            if let Some(fields) = container.as_object_mut() {
                fields.insert(RESTART_POLICY.to_owned(), Value::String(ALWAYS.to_owned()));
            }
            moving.push(container);
        } else {
            staying.push(container);
        }
    }
    *containers = staying;
    let mut init_containers = match spec.remove(ContainerList::InitContainers.field()) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    init_containers.splice(plan.insert_at()..plan.insert_at(), moving);
    spec.insert(
        ContainerList::InitContainers.field().to_owned(),
        Value::Array(init_containers),
    );
    Ok(())
}

fn response(verdict: Verdict) -> Vec<u8> {
    let (accepted, message, mutated_object, audit_annotations, warnings) = match verdict {
        Verdict::Accept { warnings } => (true, None, None, None, warnings),
        Verdict::Reject { message, warnings, .. } => (false, Some(message), None, None, warnings),
        Verdict::Mutate {
            object,
            warnings,
            audit_annotations,
            ..
        } => (
            true,
            None,
            serde_json::from_str::<Value>(&object).ok(),
            Some(audit_annotations.into_iter().collect()),
            warnings,
        ),
    };
    let response = ValidationResponse {
        accepted,
        message,
        code: None,
        mutated_object,
        audit_annotations,
        warnings: (!warnings.is_empty()).then_some(warnings),
    };
    serde_json::to_vec(&response).unwrap_or_default()
}

/// Whether two answers to the same payload are the same: byte for byte, except that a converted object is
/// compared as JSON (the tree writes its keys sorted and compact, the splice keeps the request's own bytes). Says
/// how they differ when they do.
///
/// One difference is by design: a tree refuses valid JSON nested deeper than 128 levels, with a number beyond `f64`,
/// or with a `\u` escape of a lone UTF-16 surrogate (valid JSON text, but no Unicode string), anywhere in the
/// request, while the byte-level path skips what it does not read without such limits (and without recursion: it
/// never overflows its stack). An API server never sends any of them in a pod-carrying object (it prunes unknown
/// fields, the pod spec is 15 levels deep, and Go's encoding/json never writes a lone surrogate), so the oracle's
/// rejection of such a request as malformed is not required of the byte-level path. (A payload that is not UTF-8 is not compared at all: it is
/// not JSON, and the byte-level path refuses it up front, wherever the bad bytes are.) Two more come from serde_json
/// itself: how it words and places a syntax error in a value it skips ([`same_syntax_error`]), and a number that a
/// tree holds only as an `f64`, which the splice keeps as the request wrote it ([`same_json`]).
pub fn same_answer(bytes_path: &[u8], oracle: &[u8]) -> Result<(), String> {
    if bytes_path == oracle {
        return Ok(());
    }
    let message = |answer: &[u8]| {
        serde_json::from_slice::<ValidationResponse>(answer)
            .ok()
            .filter(|response| !response.accepted)
            .and_then(|response| response.message)
            .and_then(|message| message.strip_prefix("malformed admission request: ").map(str::to_owned))
    };
    let limit_of_the_tree = message(oracle).is_some_and(|message| {
        [
            "recursion limit exceeded",
            "number out of range",
            "surrogate",
            "unexpected end of hex escape",
        ]
        .iter()
        .any(|limit| message.contains(limit))
    });
    if limit_of_the_tree {
        return Ok(());
    }
    if let (Some(skipped), Some(read)) = (message(bytes_path), message(oracle))
        && same_syntax_error(&skipped, &read)
    {
        return Ok(());
    }

    let mut converted = serde_json::from_slice::<ValidationResponse>(bytes_path)
        .map_err(|error| format!("the answer is not a ValidationResponse: {error}"))?;
    let mut expected = serde_json::from_slice::<ValidationResponse>(oracle)
        .map_err(|error| format!("the oracle's answer is not a ValidationResponse: {error}"))?;
    let (Some(object), Some(expected_object)) = (converted.mutated_object.take(), expected.mutated_object.take())
    else {
        return Err(differ(bytes_path, oracle));
    };
    let rest = serde_json::to_vec(&converted).map_err(|error| error.to_string())?;
    let expected_rest = serde_json::to_vec(&expected).map_err(|error| error.to_string())?;
    if rest == expected_rest && same_json(&object, &expected_object) {
        return Ok(());
    }
    Err(differ(bytes_path, oracle))
}

/// serde_json words a syntax error, and places some, differently when it skips a value (the byte-level path skips
/// what it does not read) than when it reads it (the tree reads everything): a trailing comma in a skipped list is
/// "expected value", and a raw control character in a skipped string is named at the character instead of one byte
/// after it (one column further on the same line, or the start of the next line for a raw line feed). Both refuse
/// the request as malformed at the same place; the wording is serde_json's.
fn same_syntax_error(skipped: &str, read: &str) -> bool {
    let position = |message: &str| -> Option<(u64, u64)> {
        let (_, at) = message.rsplit_once(" at line ")?;
        let (line, column) = at.split_once(" column ")?;
        Some((line.parse().ok()?, column.parse().ok()?))
    };
    let (Some((line, column)), Some(read_at)) = (position(skipped), position(read)) else {
        return false;
    };
    [(line, column), (line, column + 1), (line + 1, 0)].contains(&read_at)
}

fn differ(bytes_path: &[u8], oracle: &[u8]) -> String {
    format!(
        "the answers differ:\n  bytes:  {}\n  oracle: {}",
        String::from_utf8_lossy(bytes_path),
        String::from_utf8_lossy(oracle)
    )
}

/// The same JSON, where a number that a tree holds only as an `f64` (a fraction, or an integer beyond 64 bits) may
/// differ in its last bits: the splice copies the request's digits, the tree keeps the nearest `f64`, and reading the
/// spliced digits back rounds them afresh. Every other value must be equal.
fn same_json(spliced: &serde_json::Value, tree: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (spliced, tree) {
        (Value::Number(a), Value::Number(b)) if a.is_f64() || b.is_f64() => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs()),
            _ => false,
        },
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_json(a, b)),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(key, a)| b.get(key).is_some_and(|b| same_json(a, b)))
        }
        (a, b) => a == b,
    }
}
/// The request of the one host call that answers `query`, as the module sends it (the SDK's
/// `ListAllResourcesRequest` / `GetResourceRequest`): the waPC operation and its JSON, for hosts that replay
/// recorded answers to the oracle.
pub fn host_request(query: NodeQuery<'_>) -> (&'static str, serde_json::Value) {
    let masks = NODE_FIELD_MASKS;
    match query {
        NodeQuery::All => (
            "list_resources_all",
            serde_json::json!({"api_version": NODE_API_VERSION, "kind": NODE_KIND, "label_selector": null,
                               "field_selector": null, "field_masks": masks}),
        ),
        NodeQuery::Named(name) => (
            "get_resource",
            serde_json::json!({"api_version": NODE_API_VERSION, "kind": NODE_KIND, "name": name, "namespace": null,
                               "disable_cache": false, "field_masks": masks}),
        ),
    }
}

// ---- Views built from the tree --------------------------------------------------------------------------------

fn object_view(fields: &Map<String, Value>) -> ObjectView<'_> {
    let mirror = fields
        .get("metadata")
        .and_then(|metadata| metadata.get("annotations"))
        .and_then(Value::as_object)
        .is_some_and(|annotations| annotations.contains_key("kubernetes.io/config.mirror"));
    ObjectView {
        api_version: text(fields.get("apiVersion")),
        kind: text(fields.get("kind")),
        mirror,
        spec: slot(fields.get("spec"), |spec| SpecView {
            pod: pod_spec(spec),
            template: slot(spec.get("template"), template),
            job_template: slot(spec.get("jobTemplate"), |job| JobTemplateView {
                spec: slot(job.get("spec"), |job_spec| JobSpecView {
                    template: slot(job_spec.get("template"), template),
                }),
            }),
        }),
    }
}

fn template(fields: &Map<String, Value>) -> TemplateView<'_> {
    TemplateView {
        spec: slot(fields.get("spec"), pod_spec),
    }
}

fn pod_spec(fields: &Map<String, Value>) -> PodSpecView<'_> {
    let (requests, limits) = resources(fields.get("resources"));
    PodSpecView {
        containers: list(fields.get(ContainerList::Containers.field())),
        init_containers: list(fields.get(ContainerList::InitContainers.field())),
        node_name: text(fields.get("nodeName")),
        requests,
        limits,
    }
}

fn container(fields: &Map<String, Value>) -> ContainerView<'_> {
    let (requests, limits) = resources(fields.get("resources"));
    ContainerView {
        name: text(fields.get("name")),
        image: text(fields.get("image")),
        restart_policy: text(fields.get(RESTART_POLICY)),
        restart_policy_rules: present(fields.get(RESTART_POLICY_RULES)),
        resize_policy: present(fields.get("resizePolicy")),
        requests,
        limits,
    }
}

fn resources(value: Option<&Value>) -> (Quantities<'_>, Quantities<'_>) {
    let map = |name| match value.and_then(Value::as_object).and_then(|fields| fields.get(name)) {
        Some(Value::Object(quantities)) => Quantities(Some(
            quantities
                .iter()
                .map(|(resource, quantity)| {
                    let written = match quantity {
                        Value::String(text) => Quantity::Text(Cow::Borrowed(text)),
                        Value::Number(number) => Quantity::Text(Cow::Owned(number.to_string())),
                        _ => Quantity::NotAQuantity,
                    };
                    (Cow::Borrowed(resource.as_str()), written)
                })
                .collect(),
        )),
        _ => Quantities(None),
    };
    (map("requests"), map("limits"))
}

fn text(value: Option<&Value>) -> Text<'_> {
    match value {
        None | Some(Value::Null) => Text::Unset,
        Some(Value::String(text)) => Text::Str(Cow::Borrowed(text)),
        Some(_) => Text::NotAString,
    }
}

fn present(value: Option<&Value>) -> Present {
    Present(value.is_some_and(|value| !value.is_null()))
}

fn slot<'v, T>(value: Option<&'v Value>, view: impl FnOnce(&'v Map<String, Value>) -> T) -> Slot<T> {
    match value {
        None => Slot::Absent,
        Some(Value::Null) => Slot::Null,
        Some(Value::Object(fields)) => Slot::Object(view(fields)),
        Some(_) => Slot::Other,
    }
}

fn list(value: Option<&Value>) -> List<Slot<ContainerView<'_>>> {
    match value {
        None | Some(Value::Null) => List::Unset,
        Some(Value::Array(items)) => List::Items(items.iter().map(|item| slot(Some(item), container)).collect()),
        Some(_) => List::NotAList,
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::json;

    use super::*;

    const CONTROL: &str = "control character (\\u0000-\\u001F) found while parsing a string";

    #[rstest]
    #[case::a_control_character_one_column_further(CONTROL, 5, 40, CONTROL, 5, 41, true)]
    #[case::a_raw_line_feed_starts_the_next_line(CONTROL, 5, 40, CONTROL, 6, 0, true)]
    #[case::a_trailing_comma_worded_otherwise_at_the_same_place(
        "expected value",
        1,
        1000,
        "trailing comma",
        1,
        1000,
        true
    )]
    #[case::two_columns_further(CONTROL, 5, 40, CONTROL, 5, 42, false)]
    #[case::one_column_before(CONTROL, 5, 41, CONTROL, 5, 40, false)]
    #[case::another_line(CONTROL, 5, 40, CONTROL, 7, 41, false)]
    #[case::a_trailing_comma_elsewhere("expected value", 1, 900, "trailing comma", 1, 1000, false)]
    fn a_syntax_error_in_a_skipped_value_is_the_same_refusal_at_the_same_place(
        #[case] skipped: &str,
        #[case] line: u64,
        #[case] column: u64,
        #[case] read: &str,
        #[case] read_line: u64,
        #[case] read_column: u64,
        #[case] same: bool,
    ) {
        let skipped = format!("{skipped} at line {line} column {column}");
        let read = format!("{read} at line {read_line} column {read_column}");
        assert_eq!(same_syntax_error(&skipped, &read), same);
    }

    fn refusal(message: &str) -> Vec<u8> {
        let message = format!("malformed admission request: {message}");
        serde_json::to_vec(
            &json!({"accepted": false, "message": message, "code": null, "mutated_object": null,
                                    "audit_annotations": null, "warnings": null}),
        )
        .unwrap_or_default()
    }

    #[rstest]
    #[case::deeper_than_128_levels("recursion limit exceeded at line 1 column 700")]
    #[case::a_number_beyond_f64("number out of range at line 1 column 700")]
    #[case::a_lone_surrogate("lone leading surrogate in hex escape at line 1 column 714")]
    #[case::a_leading_surrogate_without_its_pair("unexpected end of hex escape at line 1 column 714")]
    fn what_only_a_tree_refuses_is_not_required_of_the_byte_level_path(#[case] tree_only: &str) {
        let accepted = serde_json::to_vec(&json!({"accepted": true, "message": null, "code": null,
                                                  "mutated_object": null, "audit_annotations": null,
                                                  "warnings": null}))
        .unwrap_or_default();
        assert_eq!(same_answer(&accepted, &refusal(tree_only)), Ok(()));
        assert_eq!(
            same_answer(&refusal("expected value at line 1 column 779"), &refusal(tree_only)),
            Ok(())
        );
    }

    #[test]
    fn a_refusal_the_tree_words_otherwise_elsewhere_is_a_difference() {
        let skipped = refusal("expected value at line 1 column 779");
        assert!(same_answer(&skipped, &refusal("invalid escape at line 1 column 714")).is_err());
    }

    #[test]
    fn a_refusal_without_a_position_is_compared_as_it_is() {
        assert!(!same_syntax_error(
            "the payload is not UTF-8 text",
            "the payload is not UTF-8 text"
        ));
    }

    #[rstest]
    #[case::a_huge_integer_read_back_rounds_afresh(json!({"n": 4.444444444444444e107}), json!({"n": 4.444444444444445e107}), true)]
    #[case::fractions_one_bit_apart(json!([0.30000000000000004]), json!([0.3]), true)]
    #[case::integers_are_exact(json!({"n": 3}), json!({"n": 4}), false)]
    #[case::a_float_far_from_the_other(json!({"n": 1.5}), json!({"n": 1.25}), false)]
    #[case::an_integer_and_a_string(json!({"n": 3}), json!({"n": "3"}), false)]
    #[case::a_missing_key(json!({"a": 1, "b": 2}), json!({"a": 1}), false)]
    #[case::a_longer_list(json!([1, 2]), json!([1]), false)]
    fn numbers_a_tree_holds_as_f64_may_differ_in_their_last_bits(
        #[case] spliced: Value,
        #[case] tree: Value,
        #[case] same: bool,
    ) {
        assert_eq!(same_json(&spliced, &tree), same);
        assert_eq!(same_json(&tree, &spliced), same);
    }
}
