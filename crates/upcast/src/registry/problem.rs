//! What can be wrong with a set of registered versions and steps.

use std::fmt;

use crate::Version;

/// One reason the registered versions and steps of a kind do not form one path to its
/// newest version. [`Registry::validate`](crate::Registry::validate) returns all of them in
/// [`Error::InvalidRegistry`](crate::Error::InvalidRegistry); each says how to fix itself.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::{Deserialize, Serialize};
/// use upcast::{Error, Problem, Registry, Tag, Versioned};
///
/// #[derive(Serialize, Deserialize, JsonSchema)]
/// struct UserV1;
/// impl Versioned for UserV1 { const KIND: &'static str = "user"; const VERSION: Tag = Tag::Number(1); }
/// #[derive(Serialize, Deserialize, JsonSchema)]
/// struct User;
/// impl Versioned for User { const KIND: &'static str = "user"; const VERSION: Tag = Tag::Text("3.1.0"); }
///
/// let Err(Error::InvalidRegistry(problems)) = Registry::builder().version::<UserV1>().version::<User>().build() else {
///     panic!("version 1 has no step");
/// };
/// assert!(matches!(problems[0], Problem::MissingStep { .. }));
/// assert!(problems[0].to_string().starts_with("no upcast step registered from `user` 1.0.0"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A type declares a version tag that does not parse.
    #[non_exhaustive]
    InvalidVersion {
        /// The declared kind.
        kind: String,
        /// The declared tag.
        tag: String,
        /// The type.
        type_name: &'static str,
        /// What the parser objected to.
        reason: String,
    },
    /// Two types declare the same kind and version.
    #[non_exhaustive]
    DuplicateVersion {
        /// The kind.
        kind: String,
        /// The version both declare.
        version: Version,
        /// The two types.
        types: [&'static str; 2],
    },
    /// Two types declare versions in one compatible range (such as 3.0.0 and 3.1.0).
    #[non_exhaustive]
    SharedRange {
        /// The kind.
        kind: String,
        /// The range, in Cargo's notation (`^3`).
        range: String,
        /// The older version and its type.
        older: (Version, &'static str),
        /// The newer version and its type.
        newer: (Version, &'static str),
    },
    /// More than one version of a kind reads untagged records.
    #[non_exhaustive]
    SeveralUntagged {
        /// The kind.
        kind: String,
        /// The versions that say `untagged`.
        versions: Vec<Version>,
    },
    /// A step starts or ends at a type that is not a registered version.
    #[non_exhaustive]
    UnregisteredStepEnd {
        /// The kind the type declares.
        kind: String,
        /// The version the type declares.
        tag: String,
        /// The type.
        type_name: &'static str,
        /// Whether the type is the step's target (else its source).
        is_target: bool,
        /// Whether the step is a downcast.
        downcast: bool,
    },
    /// A step goes from one kind to another.
    #[non_exhaustive]
    KindChange {
        /// The source's kind and version.
        from: (String, Version),
        /// The target's kind and version.
        to: (String, Version),
        /// Whether the step is a downcast.
        downcast: bool,
    },
    /// A step goes to an older version or stays within one compatible range.
    #[non_exhaustive]
    StepNotForward {
        /// The kind.
        kind: String,
        /// The step's source.
        from: Version,
        /// The step's target.
        to: Version,
    },
    /// A downcast does not undo a step: it must go back to the version whose step leads to
    /// its source.
    #[non_exhaustive]
    DowncastNotBack {
        /// The kind.
        kind: String,
        /// The downcast's source.
        from: Version,
        /// The downcast's target.
        to: Version,
        /// Where the target's own step goes, if it has one.
        step_to: Option<Version>,
    },
    /// A version other than the newest has no step, hence no path to the newest.
    #[non_exhaustive]
    MissingStep {
        /// The kind.
        kind: String,
        /// The version with no step.
        version: Version,
        /// Its type.
        type_name: &'static str,
        /// The newest version of the kind.
        newest: Version,
    },
    /// Versions of one kind declare different ids (`#[versioned(id = …)]`).
    #[non_exhaustive]
    KindIdMismatch {
        /// The kind.
        kind: String,
        /// The ids declared, with a type declaring each.
        ids: Vec<(u32, &'static str)>,
    },
    /// Two kinds have one id: a binary record's header would not say which it is.
    #[non_exhaustive]
    KindIdClash {
        /// The id.
        id: u32,
        /// The two kinds.
        kinds: [String; 2],
    },
}

impl Problem {
    /// The kind the problem is about (for a step across kinds, the source's).
    ///
    /// ```
    /// # use schemars::JsonSchema;
    /// # use serde::{Deserialize, Serialize};
    /// # use upcast::{Error, Registry, Tag, Versioned};
    /// # #[derive(Serialize, Deserialize, JsonSchema)]
    /// # struct Old;
    /// # impl Versioned for Old { const KIND: &'static str = "user"; const VERSION: Tag = Tag::Number(1); }
    /// # #[derive(Serialize, Deserialize, JsonSchema)]
    /// # struct New;
    /// # impl Versioned for New { const KIND: &'static str = "user"; const VERSION: Tag = Tag::Number(2); }
    /// let Err(Error::InvalidRegistry(problems)) = Registry::builder().version::<Old>().version::<New>().build() else {
    ///     unreachable!()
    /// };
    /// assert_eq!(problems[0].kind(), "user");
    /// ```
    pub fn kind(&self) -> &str {
        match self {
            Problem::InvalidVersion { kind, .. }
            | Problem::DuplicateVersion { kind, .. }
            | Problem::SharedRange { kind, .. }
            | Problem::SeveralUntagged { kind, .. }
            | Problem::UnregisteredStepEnd { kind, .. }
            | Problem::StepNotForward { kind, .. }
            | Problem::DowncastNotBack { kind, .. }
            | Problem::MissingStep { kind, .. }
            | Problem::KindIdMismatch { kind, .. } => kind,
            Problem::KindChange { from, .. } => &from.0,
            Problem::KindIdClash { kinds, .. } => &kinds[0],
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::InvalidVersion {
                kind,
                tag,
                type_name,
                reason,
            } => write!(
                f,
                "`{type_name}` declares `{kind}` version `{tag}`, which is not a version \
                 ({reason}); declare a version like `2`, `2.1` or `2.1.0`"
            ),
            Problem::DuplicateVersion {
                kind,
                version,
                types: [a, b],
            } => write!(
                f,
                "`{kind}` {version} is declared by `{a}` and by `{b}`; keep one type per version"
            ),
            Problem::SharedRange {
                kind,
                range,
                older,
                newer,
            } => write!(
                f,
                "`{kind}` {} (`{}`) and {} (`{}`) fall in one compatible range `{range}`: a \
                 minor or patch version reuses the type; delete `{}` and let `{}` read {} data",
                older.0, older.1, newer.0, newer.1, older.1, newer.1, older.0
            ),
            Problem::SeveralUntagged { kind, versions } => write!(
                f,
                "`{kind}` has {} untagged versions ({}); mark only the version of the records \
                 written before versioning",
                versions.len(),
                joined(versions)
            ),
            Problem::UnregisteredStepEnd {
                kind,
                tag,
                type_name,
                is_target,
                downcast,
            } => write!(
                f,
                "a {} {} `{type_name}` (`{kind}` {tag}), which is not a registered version; \
                 derive upcast::Versioned on it",
                step_name(*downcast),
                if *is_target { "goes to" } else { "starts from" }
            ),
            Problem::KindChange { from, to, downcast } => write!(
                f,
                "the {} from `{}` {} to `{}` {} changes the kind; a {0} stays within one kind",
                step_name(*downcast),
                from.0,
                from.1,
                to.0,
                to.1
            ),
            Problem::DowncastNotBack {
                kind,
                from,
                to,
                step_to,
            } => {
                write!(
                    f,
                    "the downcast from `{kind}` {from} to {to} does not undo a step: "
                )?;
                match step_to {
                    Some(next) => write!(f, "{to} steps to {next}")?,
                    None => write!(f, "{to} has no step")?,
                }
                write!(
                    f,
                    "; a downcast goes back from a version to the one whose step leads to it"
                )
            }
            Problem::StepNotForward { kind, from, to } => write!(
                f,
                "the step from `{kind}` {from} to {to} does not go forward to a newer \
                 compatible range; a step joins one range to a later one"
            ),
            Problem::MissingStep {
                kind,
                version,
                type_name,
                newest,
            } => write!(
                f,
                "no upcast step registered from `{kind}` {version}, so it has no path to the \
                 newest version {newest}; add #[upcast::register] impl From<{}> for \
                 <the next version's type>",
                short_name(type_name)
            ),
            Problem::KindIdMismatch { kind, ids } => {
                let ids: Vec<String> = ids
                    .iter()
                    .map(|(id, type_name)| format!("{id} ({})", short_name(type_name)))
                    .collect();
                write!(
                    f,
                    "the versions of `{kind}` declare different ids: {}; a kind has one id, \
                     declare the same #[versioned(id = …)] on every version",
                    ids.join(", ")
                )
            }
            Problem::KindIdClash { id, kinds: [a, b] } => write!(
                f,
                "`{a}` and `{b}` have the same id {id}, so a binary record would not say which \
                 it is; declare another with #[versioned(id = …)] on every version of one"
            ),
        }
    }
}

fn step_name(downcast: bool) -> &'static str {
    if downcast { "downcast" } else { "step" }
}

fn joined(versions: &[Version]) -> String {
    versions
        .iter()
        .map(Version::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `crate::records::UserV1` -> `UserV1`, for code the user pastes.
fn short_name(type_name: &str) -> &str {
    type_name.rsplit("::").next().unwrap_or(type_name)
}
