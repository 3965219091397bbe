//! The structured targets on stable, without libFuzzer: a few thousand inputs from a fixed pseudo-random sequence
//! pass every property, and the generator still reaches every kind of verdict (a generator that stopped producing
//! mutations would make `make fuzz` check nothing while looking busy).

use fuzz_harness::{decision, image};
use sidecar_placement_policy::Verdict;

/// splitmix64: a fixed sequence, the same on every run.
struct Bytes(u64);

impl Bytes {
    fn next(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

#[test]
fn generated_decisions_pass_every_property_and_reach_every_verdict() {
    const INPUTS: usize = 3000;
    let mut bytes = Bytes(0x5EED);
    let (mut accepted, mut rejected, mut mutated) = (0, 0, 0);
    for index in 0..INPUTS {
        let input = bytes.next(64 + index % 960);
        match decision::structured_verdict(&input) {
            Some(Verdict::Accept { .. }) => accepted += 1,
            Some(Verdict::Reject { .. }) => rejected += 1,
            Some(Verdict::Mutate { .. }) => mutated += 1,
            None => {}
        }
    }
    eprintln!("{INPUTS} generated requests: accepted {accepted}, rejected {rejected}, mutated {mutated}");
    for (what, count) in [("accepted", accepted), ("rejected", rejected), ("mutated", mutated)] {
        assert!(
            count * 20 >= INPUTS,
            "only {count} of {INPUTS} generated requests were {what} (accepted {accepted}, rejected {rejected}, \
             mutated {mutated}): the generator no longer reaches every verdict"
        );
    }
}

#[test]
fn generated_images_pass_every_property() {
    let mut bytes = Bytes(0x1A6E);
    for index in 0..3000 {
        image::structured(&bytes.next(8 + index % 120));
    }
}
