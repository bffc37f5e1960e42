//! The playbook's section 7, run as written (in a schema of its own): every command
//! succeeds but the backfill, which reports the two junk customers, and every output the
//! text quotes comes out.

use crate::support::scratch;

#[test]
fn the_playbook_walk_through_runs_as_written() {
    let Some(mut scratch) = scratch("shop_playbook") else {
        return;
    };
    let playbook = include_str!("../../../docs/playbook.md");
    let start = playbook.find("## 7. Move a kind").unwrap();
    let section = &playbook[start..];
    let section = &section[..section[3..]
        .find("\n## ")
        .map_or(section.len(), |end| end + 3)];
    let mut script = String::new();
    let mut quoted = Vec::new();
    for block in section.split("```sh\n").skip(1) {
        let block = &block[..block.find("```").unwrap()];
        for line in block.lines().map(str::trim) {
            match line.strip_prefix("# ") {
                Some(output) => quoted.push(output.trim_end_matches("...").trim_end()),
                None => script.push_str(&format!("{line}\n")),
            }
        }
    }
    let schema = format!("{}_shop", scratch.schema);
    let script = script
        .replace(
            "cargo run -q -p upcast-shop --",
            env!("CARGO_BIN_EXE_upcast-shop"),
        )
        .replace(
            "postgres://postgres@127.0.0.1:5432/test",
            &upcast_demo::pg::url(),
        )
        .replace("SCHEMA shop", &format!("SCHEMA {schema}"))
        .replace("shop.customers", &format!("{schema}.customers"));
    assert!(!script.contains("cargo run"), "{script}");
    let dir = tempfile::tempdir().unwrap();
    // Whatever happens, the service does not outlive the script.
    let script = format!("trap 'kill $(jobs -p) 2>/dev/null' EXIT\n{script}");
    let output = std::process::Command::new("bash")
        .args(["-c", &script])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
    scratch.client.batch_execute(&drop).unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{out}\n{err}");
    assert!(!err.contains("error:"), "{err}");
    for expected in quoted {
        let expected = expected.split("...").collect::<Vec<_>>();
        assert!(
            out.lines().any(|line| {
                line.starts_with(expected[0]) && expected.iter().all(|part| line.contains(part))
            }),
            "the playbook quotes `{}`; the run said:\n{out}\n{err}",
            expected.join("...")
        );
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "the walk-through cleans up after itself"
    );
}
