//! Which lines of the converted manifest are new: a longest-common-subsequence diff over YAML lines.
//!
//! Lines are compared together with the lines they are nested under, so a container that moved from `containers` to
//! `initContainers` shows as changed although each of its lines reads as before.

/// Above this many cells the LCS table is not built and every line between the common head and tail counts as
/// changed (manifests are far smaller; this only bounds memory on pathological input).
const MAX_TABLE_CELLS: usize = 4_000_000;

/// 1-based numbers of the lines of `after` that are not in `before` (added, changed or moved to another parent).
pub fn changed_lines(before: &str, after: &str) -> Vec<usize> {
    let old = nested(before);
    let new = nested(after);
    let head = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let tail = old[head..]
        .iter()
        .rev()
        .zip(new[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old_mid = &old[head..old.len() - tail];
    let new_mid = &new[head..new.len() - tail];
    let kept = lcs_members(old_mid, new_mid);
    kept.iter()
        .enumerate()
        .filter(|(_, kept)| !**kept)
        .map(|(index, _)| head + index + 1)
        .collect()
}

/// Each line of block-style YAML prefixed with the lines it is nested under (by indentation; a `- ` list item
/// nests under the key it is written level with, as serde_norway and kubectl write lists).
fn nested(text: &str) -> Vec<String> {
    let mut parents: Vec<(usize, &str)> = Vec::new();
    text.lines()
        .map(|line| {
            let content = line.trim_start_matches(' ');
            let indent = line.len() - content.len();
            let depth = indent * 2 + usize::from(content == "-" || content.starts_with("- "));
            while parents.last().is_some_and(|(parent, _)| *parent >= depth) {
                parents.pop();
            }
            let mut key: String = parents.iter().flat_map(|(_, text)| [*text, "\n"]).collect();
            key.push_str(content);
            if !content.trim().is_empty() {
                parents.push((depth, content));
            }
            key
        })
        .collect()
}

/// For each line of `new`, whether it belongs to a longest common subsequence with `old`.
fn lcs_members(old: &[String], new: &[String]) -> Vec<bool> {
    let (n, m) = (old.len(), new.len());
    if n == 0 || m == 0 || (n + 1).saturating_mul(m + 1) > MAX_TABLE_CELLS {
        return vec![false; m];
    }
    // table[i][j]: LCS length of old[i..] and new[j..], flattened.
    let width = m + 1;
    let mut table = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i * width + j] = if old[i] == new[j] {
                table[(i + 1) * width + j + 1] + 1
            } else {
                table[(i + 1) * width + j].max(table[i * width + j + 1])
            };
        }
    }
    let mut kept = vec![false; m];
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if old[i] == new[j] {
            kept[j] = true;
            i += 1;
            j += 1;
        } else if table[(i + 1) * width + j] >= table[i * width + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::same("a\nb\nc\n", "a\nb\nc\n", vec![])]
    #[case::appended("a\nb\n", "a\nb\nc\n", vec![3])]
    #[case::inserted_in_the_middle("a\nb\nc\n", "a\nx\nb\nc\n", vec![2])]
    #[case::changed_line("a\nb\nc\n", "a\nB\nc\n", vec![2])]
    #[case::moved_block("a\nm1\nm2\nb\nc\n", "a\nb\nm1\nm2\nc\n", vec![2])]
    #[case::everything_new("", "a\nb\n", vec![1, 2])]
    #[case::only_removals("a\nb\nc\n", "a\nc\n", vec![])]
    #[case::moved_to_another_parent(
        "containers:\n- name: app\n- name: agent\n  image: vault\n",
        "containers:\n- name: app\ninitContainers:\n- name: agent\n  image: vault\n  restartPolicy: Always\n",
        vec![3, 4, 5, 6]
    )]
    #[case::siblings_after_a_move_stay(
        "a:\n- x\n- y\n- z\n",
        "a:\n- x\n- z\nb:\n- y\n",
        vec![4, 5]
    )]
    fn changed(#[case] before: &str, #[case] after: &str, #[case] expected: Vec<usize>) {
        assert_eq!(changed_lines(before, after), expected);
    }
}
