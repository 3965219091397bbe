//! The policy as the offline tools run it: from the user's settings, with no cluster to ask.

use sidecar_placement_policy::settings::{Placement, Policy, Settings, SettingsError};

/// The policy `check` runs: the settings as written, except that a misplaced sidecar is always reported (never
/// converted: `mutate` and `mutateTemplates` are off) and no Node is ever looked up (there is no cluster: the
/// decision is made offline).
pub fn for_check(settings: &Settings) -> Result<Policy, SettingsError> {
    // Settings the policy would refuse are refused here too, with its words, before anything is overridden.
    settings.compile()?;
    let settings = Settings {
        mutate: false,
        mutate_templates: false,
        ..settings.clone()
    };
    settings.compile()
}

/// The policy `fix` runs: the settings as written, converting every misplaced sidecar it can, in Pods and in pod
/// templates alike, at `placement` when given (else the settings' own), without looking up Nodes.
pub fn for_fix(settings: &Settings, placement: Option<Placement>) -> Result<Policy, SettingsError> {
    settings.compile()?;
    let settings = Settings {
        mutate: true,
        mutate_templates: true,
        placement: placement.unwrap_or(settings.placement),
        ..settings.clone()
    };
    settings.compile()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_the_policy_refuses_are_refused_with_its_words() {
        let settings = Settings {
            sidecar_images: vec!["hashicorp/vault".into()],
            mutate_templates: true,
            ..Settings::default()
        };
        let expected = settings
            .compile()
            .expect_err("mutateTemplates without mutate")
            .to_string();
        assert_eq!(for_check(&settings).expect_err("refused").to_string(), expected);
        assert_eq!(for_fix(&settings, None).expect_err("refused").to_string(), expected);
    }
}
