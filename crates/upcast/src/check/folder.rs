//! The snapshot folder: `<dir>/<kind>/<version>.json` and `<version>.samples.jsonl`.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::finding::Finding;
use super::rules::SNAPSHOT_UNREADABLE;
use crate::Version;

const SCHEMA_SUFFIX: &str = ".json";
const SAMPLES_SUFFIX: &str = ".samples.jsonl";

/// What the folder holds, per kind and version.
#[derive(Default)]
pub(crate) struct Folder {
    pub(crate) kinds: BTreeMap<String, BTreeMap<Version, Files>>,
}

/// The files of one version.
#[derive(Default)]
pub(crate) struct Files {
    pub(crate) schema: Option<PathBuf>,
    pub(crate) samples: Option<PathBuf>,
}

/// Where the snapshot of `kind` at `version` lives.
pub(crate) fn schema_path(dir: &Path, kind: &str, version: &Version) -> PathBuf {
    dir.join(kind).join(format!("{version}{SCHEMA_SUFFIX}"))
}

/// Reads the folder's listing; a missing folder is empty. Files named after no version go
/// to `findings`; other files (a README) are ignored.
pub(crate) fn scan(dir: &Path, findings: &mut Vec<Finding>) -> io::Result<Folder> {
    let mut folder = Folder::default();
    let kinds = match fs::read_dir(dir) {
        Ok(kinds) => kinds,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(folder),
        Err(error) => return Err(error),
    };
    for entry in kinds {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let kind = entry.file_name().to_string_lossy().into_owned();
        let versions = folder.kinds.entry(kind.clone()).or_default();
        for file in fs::read_dir(entry.path())? {
            let path = file?.path();
            add_file(versions, &kind, path, findings);
        }
    }
    Ok(folder)
}

fn add_file(
    versions: &mut BTreeMap<Version, Files>,
    kind: &str,
    path: PathBuf,
    findings: &mut Vec<Finding>,
) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, is_samples) = match (
        name.strip_suffix(SAMPLES_SUFFIX),
        name.strip_suffix(SCHEMA_SUFFIX),
    ) {
        (Some(stem), _) => (stem, true),
        (None, Some(stem)) => (stem, false),
        (None, None) => return,
    };
    match Version::parse(stem) {
        Ok(version) => {
            let files = versions.entry(version).or_default();
            if is_samples {
                files.samples = Some(path)
            } else {
                files.schema = Some(path)
            }
        }
        Err(error) => findings.push(
            Finding::new(
                &SNAPSHOT_UNREADABLE,
                kind,
                None,
                format!("the file name is not a version: {error}"),
            )
            .at(path),
        ),
    }
}

/// A schema file's JSON, or why it cannot be read.
pub(crate) fn read_json(path: &Path) -> Result<Value, String> {
    let text = fs::read_to_string(path).map_err(|error| format!("cannot read it: {error}"))?;
    serde_json::from_str(&text).map_err(|error| format!("not JSON: {error}"))
}

/// Writes a snapshot: pretty, keys sorted, a final newline.
pub(crate) fn write_schema(path: &Path, schema: &Value) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut text = serde_json::to_string_pretty(schema).map_err(io::Error::other)?;
    text.push('\n');
    fs::write(path, text)
}

/// The documents of a samples file, each with its line number, or why a line is bad.
pub(crate) fn read_samples(path: &Path) -> io::Result<Vec<(usize, Result<Value, String>)>> {
    let text = fs::read_to_string(path)?;
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            (
                index + 1,
                serde_json::from_str(line).map_err(|e| e.to_string()),
            )
        })
        .collect())
}
