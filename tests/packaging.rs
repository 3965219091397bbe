//! The packaging agrees with itself and with the module.
//!
//! Users meet this policy through `policies/*.yaml` (kubectl apply), Artifact Hub (`artifacthub-pkg.yml`), the
//! Rancher UI (`questions-ui.yml`) and the OCI artifact annotated with `metadata.yml`. These tests keep them
//! consistent with each other and with the crate: versions, module references, mutation flags, rules, settings.
//! The YAML checks need nothing but the files; `policy_settings_are_accepted_by_the_module` loads the release
//! module through the wasm host (`policy-host`) and asks its `validate_settings` about every policy's settings.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

use policy_host::{PolicyHost, policy_wasm};
use serde::Deserialize;
use serde_json::{Value, json};

const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The OCI repository the release workflow pushes to (`REGISTRY` in the Makefile).
const OCI_REPOSITORY: &str = "ghcr.io/sidecar-placement/policies/sidecar-placement";
const SOURCE_URL: &str = "https://github.com/sidecar-placement/sidecar-placement-policy";
const POLICY_API_VERSION: &str = "policies.kubewarden.io/v1";
/// Every settings key, in the order of the settings reference: the policy's own list.
use sidecar_placement_policy::settings::SETTINGS as SETTING_KEYS;
/// What `checkNodes` lists, and so what metadata.yml and every manifest that checks nodes must grant.
const NODE_RESOURCE: (&str, &str) = ("v1", "Node");

/// Whether a `contextAwareResources` list (metadata.yml or a policy's spec) grants the Node listing.
fn grants_nodes(resources: &Value) -> bool {
    resources
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| r["apiVersion"] == NODE_RESOURCE.0 && r["kind"] == NODE_RESOURCE.1)
}
const PLACEMENTS: [&str; 2] = ["afterInitContainers", "beforeInitContainers"];
/// Cluster-wide policies must leave these namespaces alone.
const EXCLUDED_NAMESPACES: [&str; 2] = ["kube-system", "kubewarden"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn parse_yaml(text: &str, what: &str) -> Value {
    serde_norway::from_str(text).unwrap_or_else(|e| panic!("{what} is not valid YAML: {e}"))
}

fn yaml_file(relative: &str) -> Value {
    parse_yaml(&read(relative), relative)
}

fn metadata() -> Value {
    yaml_file("metadata.yml")
}

fn annotation<'a>(metadata: &'a Value, key: &str) -> &'a str {
    metadata["annotations"][key]
        .as_str()
        .unwrap_or_else(|| panic!("metadata.yml: annotation {key} is missing or not a string"))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Every `policies/*.yaml` / `*.yml`, sorted, with its path relative to the repository root.
/// The one file of `policies/` that is not a policy: the PolicyServer the mutating policies run on.
const POLICY_SERVER_FILE: &str = "policy-server.yaml";

/// Kinds with a pod template that a manifest of `policies/` may send the policy beyond metadata.yml's rules, which
/// name the built-in kinds only: (apiGroup, resource).
const POD_TEMPLATE_CRDS: [(&str, &str); 1] = [("argoproj.io", "rollouts")];

/// Every policy manifest of `policies/` (the PolicyServer aside).
fn policy_files() -> Vec<(String, String)> {
    let dir = root().join("policies");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml"))
        .filter(|path| path.file_name().is_some_and(|name| name != POLICY_SERVER_FILE))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = format!("policies/{}", path.file_name().unwrap().to_string_lossy());
            let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
            (name, text)
        })
        .collect()
}

/// The one manifest of a policy file (a file must hold exactly one YAML document).
fn policy_manifest(name: &str, text: &str) -> Value {
    parse_yaml(text, name)
}

fn settings_of(policy: &Value) -> Value {
    match &policy["spec"]["settings"] {
        Value::Null => json!({}),
        settings => settings.clone(),
    }
}

/// Collects failures so one run reports every problem, each naming its file.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn check(&mut self, ok: bool, problem: impl FnOnce() -> String) {
        if !ok {
            self.0.push(problem());
        }
    }

    fn assert_none(self, what: &str) {
        if !self.0.is_empty() {
            let mut report = format!("{what}: {} problem(s)\n", self.0.len());
            for problem in &self.0 {
                let _ = writeln!(report, "  - {problem}");
            }
            panic!("{report}");
        }
    }
}

/// One (apiGroup, apiVersion, resource, operation) tuple a rule matches.
type RuleTuple = (String, String, String, String);

fn rule_tuples(rules: &Value) -> Vec<RuleTuple> {
    let mut tuples = Vec::new();
    for rule in rules.as_array().into_iter().flatten() {
        for group in strings(&rule["apiGroups"]) {
            for version in strings(&rule["apiVersions"]) {
                for resource in strings(&rule["resources"]) {
                    for operation in strings(&rule["operations"]) {
                        tuples.push((group.into(), version.into(), resource.into(), operation.into()));
                    }
                }
            }
        }
    }
    tuples
}

/// Whether one metadata rule matches the tuple (metadata rules list no wildcards; honour them anyway).
fn covered_by(tuple: &RuleTuple, metadata_rules: &Value) -> bool {
    let has = |list: &Value, item: &str| strings(list).iter().any(|x| *x == item || *x == "*");
    metadata_rules.as_array().into_iter().flatten().any(|rule| {
        has(&rule["apiGroups"], &tuple.0)
            && has(&rule["apiVersions"], &tuple.1)
            && has(&rule["resources"], &tuple.2)
            && has(&rule["operations"], &tuple.3)
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, the RFC 3339 form kwctl writes.
fn is_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| b.get(range).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !(digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10))
        || !(b[10] == b'T' && digits(11..13) && b[13] == b':' && digits(14..16) && b[16] == b':' && digits(17..19))
    {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    match rest.as_bytes() {
        [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

#[test]
fn metadata_declares_the_pod_carrying_rules_and_annotations() {
    let metadata = metadata();
    let mut problems = Problems::default();

    problems.check(metadata["mutating"] == json!(true), || {
        "metadata.yml: mutating must be true (the policy can mutate)".into()
    });
    problems.check(metadata["backgroundAudit"] == json!(true), || {
        "metadata.yml: backgroundAudit must be true".into()
    });
    problems.check(metadata["executionMode"] == json!("kubewarden-wapc"), || {
        "metadata.yml: executionMode must be kubewarden-wapc".into()
    });
    problems.check(metadata["policyType"] == json!("kubernetes"), || {
        "metadata.yml: policyType must be kubernetes".into()
    });
    problems.check(
        metadata["minimumKubewardenVersion"]
            .as_str()
            .is_some_and(|v| v.split('.').count() == 3 && v.split('.').all(|n| n.parse::<u32>().is_ok())),
        || "metadata.yml: minimumKubewardenVersion must be a x.y.z version".into(),
    );
    problems.check(grants_nodes(&metadata["contextAwareResources"]), || {
        "metadata.yml: contextAwareResources must list {apiVersion: v1, kind: Node} (checkNodes lists them; \
         kwctl run --allow-context-aware grants what is declared here)"
            .into()
    });
    problems.check(
        strings(&metadata["hostCapabilities"]) == ["kubernetes/get_resource", "kubernetes/list_resources_all"],
        || {
            "metadata.yml: hostCapabilities must be [kubernetes/get_resource, kubernetes/list_resources_all] (the order kwctl \
             keeps), the two host calls the policy makes: the one Node a Pod is pinned to, or every Node"
                .into()
        },
    );

    let expected: BTreeSet<RuleTuple> = [
        ("", "pods"),
        ("", "replicationcontrollers"),
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
    ]
    .into_iter()
    .flat_map(|(group, resource)| {
        ["CREATE", "UPDATE"].map(|op| (group.to_owned(), "v1".to_owned(), resource.to_owned(), op.to_owned()))
    })
    .collect();
    let actual: BTreeSet<RuleTuple> = rule_tuples(&metadata["rules"]).into_iter().collect();
    problems.check(actual == expected, || {
        format!(
            "metadata.yml: rules must cover exactly the pod-carrying kinds on CREATE and UPDATE;\n    missing: {:?}\n    extra: {:?}",
            expected.difference(&actual).collect::<Vec<_>>(),
            actual.difference(&expected).collect::<Vec<_>>()
        )
    });

    for key in [
        "io.artifacthub.displayName",
        "io.artifacthub.resources",
        "io.artifacthub.keywords",
        "io.kubewarden.policy.title",
        "io.kubewarden.policy.version",
        "io.kubewarden.policy.description",
        "io.kubewarden.policy.author",
        "io.kubewarden.policy.url",
        "io.kubewarden.policy.source",
        "io.kubewarden.policy.license",
        "io.kubewarden.policy.category",
        "io.kubewarden.policy.severity",
        "io.kubewarden.policy.ociUrl",
    ] {
        problems.check(
            metadata["annotations"][key]
                .as_str()
                .is_some_and(|v| !v.trim().is_empty()),
            || format!("metadata.yml: annotation {key} is missing or empty"),
        );
    }
    problems.check(metadata["annotations"]["io.kubewarden.policy.usage"].is_null(), || {
        "metadata.yml: io.kubewarden.policy.usage is filled from README.md by `kwctl annotate -u`; do not set it".into()
    });
    problems.assert_none("metadata.yml");

    assert_eq!(
        annotation(&metadata, "io.kubewarden.policy.ociUrl"),
        OCI_REPOSITORY,
        "metadata.yml: io.kubewarden.policy.ociUrl must be the OCI repository the release pushes to"
    );
    assert_eq!(annotation(&metadata, "io.kubewarden.policy.source"), SOURCE_URL);
    assert_eq!(annotation(&metadata, "io.kubewarden.policy.license"), "Apache-2.0");
    assert!(
        ["low", "medium", "high"].contains(&annotation(&metadata, "io.kubewarden.policy.severity")),
        "metadata.yml: io.kubewarden.policy.severity must be low, medium or high"
    );
}

#[test]
fn versions_agree_across_cargo_metadata_and_artifacthub() {
    let metadata = metadata();
    assert_eq!(
        annotation(&metadata, "io.kubewarden.policy.version"),
        VERSION,
        "metadata.yml io.kubewarden.policy.version must equal the version in Cargo.toml"
    );

    let pkg = yaml_file("artifacthub-pkg.yml");
    assert_eq!(
        pkg["version"].as_str(),
        Some(VERSION),
        "artifacthub-pkg.yml version must equal the version in Cargo.toml (regenerate it: make artifacthub)"
    );
    let image = format!("{OCI_REPOSITORY}:v{VERSION}");
    assert_eq!(
        pkg["containersImages"],
        json!([{"name": "policy", "image": image}]),
        "artifacthub-pkg.yml containersImages must name the OCI artifact of this version"
    );
    let wasm_link = format!("{SOURCE_URL}/releases/download/v{VERSION}/policy.wasm");
    assert!(
        pkg["links"]
            .as_array()
            .is_some_and(|links| links.contains(&json!({"name": "policy", "url": wasm_link}))),
        "artifacthub-pkg.yml links must contain the policy.wasm of release v{VERSION}: {wasm_link}"
    );
    let install = pkg["install"].as_str().unwrap_or_default();
    for command in [
        format!("kwctl pull {image}"),
        format!("kwctl scaffold manifest -t ClusterAdmissionPolicy registry://{image}"),
    ] {
        assert!(
            install.contains(&command),
            "artifacthub-pkg.yml install must show `{command}`"
        );
    }
}

#[test]
fn artifacthub_package_agrees_with_metadata() {
    let metadata = metadata();
    let pkg = yaml_file("artifacthub-pkg.yml");
    let mut problems = Problems::default();
    let mut same = |field: &str, actual: &Value, expected: &str| {
        problems.check(actual.as_str() == Some(expected), || {
            format!("artifacthub-pkg.yml {field} is {actual}, metadata.yml says {expected:?}")
        });
    };
    same(
        "name",
        &pkg["name"],
        annotation(&metadata, "io.kubewarden.policy.title"),
    );
    same(
        "displayName",
        &pkg["displayName"],
        annotation(&metadata, "io.artifacthub.displayName"),
    );
    same(
        "description",
        &pkg["description"],
        annotation(&metadata, "io.kubewarden.policy.description"),
    );
    same(
        "license",
        &pkg["license"],
        annotation(&metadata, "io.kubewarden.policy.license"),
    );
    same(
        "homeURL",
        &pkg["homeURL"],
        annotation(&metadata, "io.kubewarden.policy.url"),
    );
    same(
        "annotations.kubewarden/resources",
        &pkg["annotations"]["kubewarden/resources"],
        annotation(&metadata, "io.artifacthub.resources"),
    );
    same("provider.name", &pkg["provider"]["name"], "kubewarden");

    let keywords: Vec<&str> = annotation(&metadata, "io.artifacthub.keywords")
        .split(',')
        .map(str::trim)
        .collect();
    problems.check(strings(&pkg["keywords"]) == keywords, || {
        format!(
            "artifacthub-pkg.yml keywords {} differ from io.artifacthub.keywords {keywords:?}",
            pkg["keywords"]
        )
    });

    // "Name <email>" in metadata, {name, email} in the package.
    let author = annotation(&metadata, "io.kubewarden.policy.author");
    let (name, email) = author
        .split_once('<')
        .map(|(name, rest)| (name.trim(), rest.trim_end_matches('>').trim()))
        .unwrap_or((author, ""));
    problems.check(pkg["maintainers"] == json!([{"name": name, "email": email}]), || {
        format!(
            "artifacthub-pkg.yml maintainers {} differ from io.kubewarden.policy.author {author:?}",
            pkg["maintainers"]
        )
    });

    problems.check(pkg["createdAt"].as_str().is_some_and(is_rfc3339), || {
        format!(
            "artifacthub-pkg.yml createdAt {} is not an RFC 3339 timestamp",
            pkg["createdAt"]
        )
    });
    problems.check(
        strings(&pkg["recommendations"].as_array().map_or(json!([]), |r| {
            Value::Array(r.iter().map(|x| x["url"].clone()).collect())
        }))
        .contains(&"https://artifacthub.io/packages/helm/kubewarden/kubewarden-controller"),
        || "artifacthub-pkg.yml recommendations must point at the kubewarden-controller chart".into(),
    );

    // kwctl writes the mutation flag as the string 'true' / 'false'.
    let mutating = metadata["mutating"].as_bool().expect("metadata.yml mutating is a bool");
    problems.check(
        pkg["annotations"]["kubewarden/mutation"] == json!(mutating.to_string()),
        || {
            format!(
                "artifacthub-pkg.yml annotations.kubewarden/mutation is {}, metadata.yml mutating is {mutating}",
                pkg["annotations"]["kubewarden/mutation"]
            )
        },
    );

    match pkg["annotations"]["kubewarden/rules"].as_str() {
        Some(rules) => {
            let rules = parse_yaml(rules, "artifacthub-pkg.yml annotations.kubewarden/rules");
            problems.check(rules == metadata["rules"], || {
                format!(
                    "artifacthub-pkg.yml annotations.kubewarden/rules {rules} differ from metadata.yml rules {}",
                    metadata["rules"]
                )
            });
        }
        None => problems
            .0
            .push("artifacthub-pkg.yml annotations.kubewarden/rules is missing".into()),
    }

    problems.check(
        pkg["annotations"]["kubewarden/questions-ui"].as_str() == Some(read("questions-ui.yml").as_str()),
        || "artifacthub-pkg.yml annotations.kubewarden/questions-ui must be questions-ui.yml verbatim (make artifacthub)".into(),
    );
    problems.assert_none("artifacthub-pkg.yml");
}

#[test]
fn questions_ui_asks_for_every_setting() {
    let questions = yaml_file("questions-ui.yml");
    let questions = questions["questions"]
        .as_array()
        .expect("questions-ui.yml: `questions` is a list");
    let mut problems = Problems::default();

    let variables: Vec<&str> = questions.iter().filter_map(|q| q["variable"].as_str()).collect();
    let asked: BTreeSet<&str> = variables.iter().copied().collect();
    let settings: BTreeSet<&str> = SETTING_KEYS.into_iter().collect();
    problems.check(asked == settings && variables.len() == SETTING_KEYS.len(), || {
        format!(
            "questions-ui.yml must ask exactly one question per setting (the policy rejects unknown keys);\n    \
             missing: {:?}\n    not a setting: {:?}\n    variables: {variables:?}",
            settings.difference(&asked).collect::<Vec<_>>(),
            asked.difference(&settings).collect::<Vec<_>>()
        )
    });

    for question in questions {
        let variable = question["variable"].as_str().unwrap_or("<no variable>");
        for field in ["label", "description", "group"] {
            problems.check(question[field].as_str().is_some_and(|v| !v.trim().is_empty()), || {
                format!("questions-ui.yml {variable}: `{field}` is missing or empty")
            });
        }
        let (expected_type, expected_default) = match variable {
            "sidecarImages" | "sidecarContainerNames" => ("array[", json!([])),
            "restrictNativeSidecars" | "mutate" => ("boolean", json!(false)),
            "placement" => ("enum", json!("afterInitContainers")),
            _ => continue,
        };
        problems.check(question["type"] == json!(expected_type), || {
            format!(
                "questions-ui.yml {variable}: type is {}, expected {expected_type:?}",
                question["type"]
            )
        });
        problems.check(question["default"] == expected_default, || {
            format!(
                "questions-ui.yml {variable}: default is {}, the setting's default is {expected_default}",
                question["default"]
            )
        });
        if variable == "placement" {
            problems.check(strings(&question["options"]) == PLACEMENTS, || {
                format!("questions-ui.yml placement: options must be {PLACEMENTS:?}")
            });
        }
    }
    problems.assert_none("questions-ui.yml");
}

#[test]
fn policies_are_ready_to_apply() {
    let metadata = metadata();
    let files = policy_files();
    assert!(!files.is_empty(), "policies/ holds no *.yaml manifest");
    let module = format!("registry://{OCI_REPOSITORY}:v{VERSION}");
    let mut problems = Problems::default();

    for (name, text) in &files {
        problems.check(text.trim_start().starts_with('#'), || {
            format!("{name}: must start with a comment explaining when to use it")
        });
        let policy = policy_manifest(name, text);
        let spec = &policy["spec"];
        let kind = policy["kind"].as_str().unwrap_or_default();

        problems.check(policy["apiVersion"] == json!(POLICY_API_VERSION), || {
            format!(
                "{name}: apiVersion is {}, expected {POLICY_API_VERSION}",
                policy["apiVersion"]
            )
        });
        problems.check(kind == "ClusterAdmissionPolicy" || kind == "AdmissionPolicy", || {
            format!(
                "{name}: kind is {}, expected ClusterAdmissionPolicy or AdmissionPolicy",
                policy["kind"]
            )
        });
        problems.check(
            policy["metadata"]["name"].as_str().is_some_and(|n| !n.is_empty()),
            || format!("{name}: metadata.name is missing"),
        );
        problems.check(
            (kind == "AdmissionPolicy") == policy["metadata"]["namespace"].as_str().is_some_and(|n| !n.is_empty()),
            || format!("{name}: an AdmissionPolicy needs metadata.namespace, a ClusterAdmissionPolicy has none"),
        );
        problems.check(spec["module"] == json!(module), || {
            format!(
                "{name}: spec.module is {}, expected {module} (the registry path and v + the crate version)",
                spec["module"]
            )
        });

        let settings = settings_of(&policy);
        let mutate = match &settings["mutate"] {
            Value::Null => Some(false),
            value => value.as_bool(),
        };
        problems.check(
            spec["mutating"].is_boolean() && spec["mutating"].as_bool() == mutate,
            || {
                format!(
                    "{name}: spec.mutating is {} but settings.mutate is {} (default false): they must be equal",
                    spec["mutating"], settings["mutate"]
                )
            },
        );
        problems.check(
            spec["mode"].is_null() || spec["mode"] == "protect" || spec["mode"] == "monitor",
            || format!("{name}: spec.mode is {}, expected protect or monitor", spec["mode"]),
        );
        problems.check(spec["backgroundAudit"].is_boolean(), || {
            format!("{name}: spec.backgroundAudit must be set")
        });

        let unknown: Vec<&String> = settings
            .as_object()
            .map(|s| s.keys().filter(|k| !SETTING_KEYS.contains(&k.as_str())).collect())
            .unwrap_or_default();
        problems.check(settings.is_object() && unknown.is_empty(), || {
            format!("{name}: spec.settings must be a map of known settings, unknown: {unknown:?}")
        });
        problems.check(
            !strings(&settings["sidecarImages"]).is_empty() || !strings(&settings["sidecarContainerNames"]).is_empty(),
            || format!("{name}: settings must list sidecarImages or sidecarContainerNames"),
        );

        problems.check(
            settings["checkNodes"] != json!(true) || grants_nodes(&spec["contextAwareResources"]),
            || {
                format!(
                    "{name}: settings.checkNodes is true but spec.contextAwareResources does not grant \
                     {{apiVersion: v1, kind: Node}}: every lookup would be denied"
                )
            },
        );

        let tuples = rule_tuples(&spec["rules"]);
        problems.check(!tuples.is_empty(), || format!("{name}: spec.rules is empty"));
        let pod_template_crd = |tuple: &&RuleTuple| {
            POD_TEMPLATE_CRDS
                .iter()
                .any(|(group, resource)| tuple.0 == *group && tuple.2 == *resource)
        };
        for tuple in tuples
            .iter()
            .filter(|t| !covered_by(t, &metadata["rules"]) && !pod_template_crd(t))
        {
            problems
                .0
                .push(format!("{name}: rule {tuple:?} is not within metadata.yml's rules"));
        }

        if kind == "ClusterAdmissionPolicy" {
            let excluded: BTreeSet<&str> = spec["namespaceSelector"]["matchExpressions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| e["key"] == "kubernetes.io/metadata.name" && e["operator"] == "NotIn")
                .flat_map(|e| strings(&e["values"]))
                .collect();
            problems.check(EXCLUDED_NAMESPACES.iter().all(|ns| excluded.contains(ns)), || {
                format!("{name}: spec.namespaceSelector must exclude {EXCLUDED_NAMESPACES:?} (kubernetes.io/metadata.name NotIn)")
            });
        }
    }
    problems.assert_none("policies/");

    // The catalogue covers every way of running the policy.
    let manifests: Vec<Value> = files.iter().map(|(name, text)| policy_manifest(name, text)).collect();
    let has = |pred: &dyn Fn(&Value) -> bool| manifests.iter().any(pred);
    assert!(
        has(&|p| p["spec"]["mode"] == "monitor"),
        "policies/: no monitor-mode example"
    );
    assert!(
        has(&|p| p["spec"]["mode"] != "monitor" && p["spec"]["mutating"] == false),
        "policies/: no validate-only protect example"
    );
    assert!(
        has(&|p| p["spec"]["mutating"] == true),
        "policies/: no mutating example"
    );
    assert!(
        has(&|p| p["kind"] == "AdmissionPolicy"),
        "policies/: no namespaced AdmissionPolicy example"
    );
    assert!(
        has(&|p| p["spec"]["settings"]["checkNodes"] == true),
        "policies/: no example that checks the nodes"
    );
    assert!(
        has(&|p| p["spec"]["settings"]["mutateTemplates"] == true),
        "policies/: no example that rewrites workload templates"
    );
}

#[test]
fn policy_settings_are_accepted_by_the_module() {
    let wasm = policy_wasm().unwrap_or_else(|e| panic!("cannot get the policy module: {e}"));
    let host = PolicyHost::from_file(&wasm).unwrap_or_else(|e| panic!("cannot load {}: {e}", wasm.display()));

    // The check below would prove nothing if validate_settings accepted anything.
    let empty = host
        .validate_settings(&json!({}))
        .expect("validate_settings({}) answers");
    assert!(
        !empty.valid,
        "validate_settings must reject settings that name no sidecar, it accepted {{}}"
    );

    let mut problems = Problems::default();
    for (name, text) in policy_files() {
        let settings = settings_of(&policy_manifest(&name, &text));
        match host.validate_settings(&settings) {
            Ok(answer) => problems.check(answer.valid, || {
                format!(
                    "{name}: settings rejected by the module: {}\n    settings: {settings}",
                    answer.message.as_deref().unwrap_or("(no message)")
                )
            }),
            Err(e) => problems.0.push(format!(
                "{name}: validate_settings failed: {e}\n    settings: {settings}"
            )),
        }
    }
    problems.assert_none(&format!("settings of policies/ checked by {}", wasm.display()));
}

#[test]
fn rfc3339_check_is_strict_enough() {
    assert!(is_rfc3339("2026-01-27T13:43:18.508192882Z"));
    assert!(is_rfc3339("2023-01-19T14:46:21+02:00"));
    assert!(!is_rfc3339("2023-01-19 14:46:21Z"));
    assert!(!is_rfc3339("2023-01-19T14:46:21"));
    assert!(!is_rfc3339("2023-01-19T14:46:21.Z"));
    assert!(!is_rfc3339(""));
}

#[test]
fn rule_coverage_is_per_tuple() {
    let metadata_rules = json!([
        {"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"], "operations": ["CREATE", "UPDATE"]},
        {"apiGroups": ["batch"], "apiVersions": ["v1"], "resources": ["jobs"], "operations": ["CREATE"]},
    ]);
    let within = json!([{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"], "operations": ["UPDATE"]}]);
    assert!(rule_tuples(&within).iter().all(|t| covered_by(t, &metadata_rules)));
    // Each list is within some rule, but the combination (batch, jobs, UPDATE) is not.
    let mixed =
        json!([{"apiGroups": ["batch"], "apiVersions": ["v1"], "resources": ["jobs"], "operations": ["UPDATE"]}]);
    assert!(!rule_tuples(&mixed).iter().all(|t| covered_by(t, &metadata_rules)));
    let wildcard =
        json!([{"apiGroups": ["*"], "apiVersions": ["v1"], "resources": ["pods"], "operations": ["CREATE"]}]);
    assert!(!rule_tuples(&wildcard).iter().all(|t| covered_by(t, &metadata_rules)));
}

/// The README's YAML block right after the HTML comment that starts with `marker`.
fn readme_block(marker: &str) -> Value {
    let readme = read("README.md");
    let start = readme
        .find(marker)
        .unwrap_or_else(|| panic!("README.md has no block marked {marker:?}"));
    let after = &readme[start..];
    let open = after
        .find("```yaml\n")
        .unwrap_or_else(|| panic!("no ```yaml after {marker:?}"))
        + "```yaml\n".len();
    let close = after[open..]
        .find("```")
        .unwrap_or_else(|| panic!("the block after {marker:?} is not closed"));
    parse_yaml(&after[open..open + close], marker)
}

#[test]
fn the_readme_settings_file_is_one_the_module_accepts() {
    let settings = readme_block("<!-- a settings file");
    assert!(
        settings.get("settings").is_none(),
        "a settings file holds the settings alone"
    );
    let wasm = policy_wasm().unwrap_or_else(|e| panic!("cannot get the policy module: {e}"));
    let host = PolicyHost::from_file(&wasm).unwrap_or_else(|e| panic!("cannot load {}: {e}", wasm.display()));
    let response = host.validate_settings(&settings).expect("validate_settings answers");
    assert!(response.valid, "README's settings file is refused: {response:?}");
}

#[test]
fn the_readme_shows_what_policies_mutate_yaml_sets() {
    let shown = readme_block("<!-- the spec.settings of policies/mutate.yaml");
    let policy = yaml_file("policies/mutate.yaml");
    assert_eq!(
        shown["spec"]["settings"],
        settings_of(&policy),
        "README.md and policies/mutate.yaml differ"
    );
}

#[test]
fn monitoring_first_then_protecting_enforces_what_was_monitored() {
    assert_eq!(
        settings_of(&yaml_file("policies/monitor.yaml")),
        settings_of(&yaml_file("policies/protect.yaml")),
        "policies/monitor.yaml and policies/protect.yaml must have the same settings"
    );
    assert_eq!(yaml_file("policies/monitor.yaml")["spec"]["mode"], "monitor");
}

/// Every YAML document of a file.
fn yaml_documents(relative: &str) -> Vec<Value> {
    let text = read(relative);
    serde_norway::Deserializer::from_str(&text)
        .map(|document| {
            Value::deserialize(document).unwrap_or_else(|e| panic!("{relative}: a document is not YAML: {e}"))
        })
        .collect()
}

#[test]
fn the_mutating_policies_run_on_a_policy_server_of_their_own_that_can_read_nodes() {
    let documents = yaml_documents(&format!("policies/{POLICY_SERVER_FILE}"));
    let of_kind = |kind: &str| -> &Value {
        documents
            .iter()
            .find(|document| document["kind"] == kind)
            .unwrap_or_else(|| panic!("policies/{POLICY_SERVER_FILE} has no {kind}"))
    };
    let server = of_kind("PolicyServer");
    let account = of_kind("ServiceAccount");
    let role = of_kind("ClusterRole");
    let binding = of_kind("ClusterRoleBinding");
    assert!(
        server["spec"]["replicas"]
            .as_u64()
            .is_some_and(|replicas| replicas >= 2),
        "{server}"
    );
    assert_eq!(server["spec"]["serviceAccountName"], account["metadata"]["name"]);
    let sorted = |value: &Value| -> BTreeSet<String> { strings(value).into_iter().map(str::to_owned).collect() };
    assert_eq!(
        sorted(&server["spec"]["namespacedPoliciesCapabilities"]),
        sorted(&metadata()["hostCapabilities"]),
        "a namespaced policy with checkNodes needs the module's host capabilities"
    );
    let reads_nodes = role["rules"].as_array().into_iter().flatten().any(|rule| {
        strings(&rule["resources"]).contains(&"nodes")
            && ["get", "list", "watch"]
                .iter()
                .all(|verb| strings(&rule["verbs"]).contains(verb))
    });
    assert!(
        reads_nodes,
        "the ClusterRole must allow get, list and watch on nodes: {role}"
    );
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    assert_eq!(binding["subjects"][0]["name"], account["metadata"]["name"]);
    assert_eq!(binding["subjects"][0]["namespace"], account["metadata"]["namespace"]);
    for name in ["policies/mutate.yaml", "policies/mutate-templates.yaml"] {
        let policy = yaml_file(name);
        assert_eq!(policy["spec"]["policyServer"], server["metadata"]["name"], "{name}");
    }
}

#[test]
fn every_module_tag_in_the_readme_is_this_version() {
    let readme = read("README.md");
    let wanted = format!("v{VERSION}");
    let stale: Vec<&str> = readme
        .match_indices("sidecar-placement:v")
        .map(|(at, prefix)| {
            let tag = &readme[at + prefix.len() - 1..];
            let end = tag
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                .unwrap_or(tag.len());
            &tag[..end]
        })
        .filter(|tag| tag.chars().nth(1).is_some_and(|c| c.is_ascii_digit()) && *tag != wanted)
        .collect();
    assert!(
        stale.is_empty(),
        "README.md names module tags other than {wanted}: {stale:?} (see Releasing)"
    );
}
