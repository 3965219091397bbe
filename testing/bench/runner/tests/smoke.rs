//! The quick path of `make bench` on the 3-container Deployment: the runner loads both modules, times them, and the
//! policy answers what each case expects, so the benchmark cannot silently measure an error path.

use serde_json::Value;
use sidecar_bench::payload::{VAULT_AGENT, Variant};
use sidecar_bench::{Config, check_answer, floor_wasm, report, run};

#[test]
fn quick_run_times_the_right_answers() {
    let config = Config {
        policy: policy_host::policy_wasm().expect("the policy module"),
        floor: floor_wasm().expect("the floor module"),
        sizes: vec![3],
        quick: true,
        iterations: None,
    };
    let report = run(&config, &mut |_| {}).expect("the quick run");
    let [size] = report.sizes.as_slice() else {
        panic!("one size was asked for");
    };
    assert_eq!(size.containers, 3);
    assert_eq!(size.iterations, 3);

    let validate = &size.case(Variant::Validate).answer;
    assert!(validate.accepted && validate.mutated_object.is_none(), "{validate:?}");

    let reject = &size.case(Variant::Reject).answer;
    assert!(!reject.accepted, "{reject:?}");
    let message = reject.message.as_deref().unwrap_or_default();
    assert!(
        message.starts_with(
            "container 'vault-agent' (image 'hashicorp/vault:1.17.2') at spec.template.spec.containers[1]"
        ),
        "{message}"
    );

    let mutate = &size.case(Variant::Mutate).answer;
    let object = mutate.mutated_object.as_ref().expect("a mutated object");
    let spec = &object["spec"]["template"]["spec"];
    let init_names: Vec<&str> = spec["initContainers"]
        .as_array()
        .expect("initContainers")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(init_names, ["istio-init", "istio-proxy", VAULT_AGENT]);
    assert_eq!(spec["initContainers"][2]["restartPolicy"], "Always");
    assert_eq!(spec["containers"].as_array().map(Vec::len), Some(2));

    for figures in [&report.policy, &report.floor] {
        // Whole wasm pages, at least the 1 MiB stack of a Rust wasm32 module, and never shrinking.
        assert!(figures.bytes > 0);
        assert!(figures.memory_after_init >= 1 << 20, "{}", figures.memory_after_init);
        assert_eq!(figures.memory_after_init % 65_536, 0);
        assert!(figures.memory_after[0].1 >= figures.memory_after_init);
    }
    let markdown = report::markdown(&report, "test machine");
    assert!(markdown.contains("| 3 |"), "{markdown}");
    assert!(markdown.contains("policy.wasm ≤ 300 KB"), "{markdown}");
    assert!(
        markdown.contains("peak linear memory ≤ the floor's at every size"),
        "{markdown}"
    );
}

#[test]
fn wrong_answers_are_refused() {
    let accept = br#"{"accepted":true,"message":null,"code":null,"mutated_object":null,"audit_annotations":null,"warnings":null}"#;
    assert!(check_answer(Variant::Validate, 3, accept).is_ok());
    assert!(check_answer(Variant::Reject, 3, accept).is_err());
    assert!(check_answer(Variant::Mutate, 3, accept).is_err());
    let unrelated = br#"{"accepted":false,"message":"malformed admission request: EOF"}"#;
    assert!(check_answer(Variant::Reject, 3, unrelated).is_err());
    let not_moved: Value = serde_json::json!({"accepted": true, "mutated_object": {"spec": {"template": {"spec": {
        "containers": [{"name": "a"}, {"name": VAULT_AGENT}], "initContainers": []}}}}});
    assert!(check_answer(Variant::Mutate, 2, &serde_json::to_vec(&not_moved).unwrap()).is_err());
    assert!(check_answer(Variant::Validate, 3, b"boom").is_err());
}
